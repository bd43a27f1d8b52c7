# TAP output for integration tests (sourced). Each script prints test points with these helpers
# and ends with tap_done; automake's tap-driver and tests/run-tests count them.
#
#   tap_check "description" cmd args...   ok when cmd exits 0; otherwise not ok + its output
#   tap_check_fails "description" cmd...  ok when cmd exits non-zero
#   tap_ok / tap_not_ok "description" [diagnostic]
#   tap_skip "description" "reason"
#   tap_skip_all "reason"                 whole script skipped (plan 1..0)
#   tap_done                              prints the plan; exit status is decided by the driver
#   at_exit "command"                     run at exit, last registered first (stop servers by pid)
#
# Environment provided to every test (set by the Makefile's AM_TESTS_ENVIRONMENT or run-tests):
#   OCI_POD, OCI_POD_FETCH   the built binaries
#   TEST_TMP                 a fresh directory for this script, removed at exit unless KEEP_TMP=1
#   srcdir                   the source tree

tap_count=0

tap_ok() {
    tap_count=$((tap_count + 1))
    echo "ok $tap_count - $1"
}

tap_not_ok() {
    tap_count=$((tap_count + 1))
    echo "not ok $tap_count - $1"
    if [ -n "${2:-}" ]; then
        printf '%s\n' "$2" | head -n 40 | sed 's/^/# /'
    fi
}

tap_skip() {
    tap_count=$((tap_count + 1))
    echo "ok $tap_count - $1 # SKIP $2"
}

tap_check() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then tap_ok "$desc"; else tap_not_ok "$desc" "$out"; fi
}

tap_check_fails() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then tap_not_ok "$desc" "unexpected success: $out"; else tap_ok "$desc"; fi
}

tap_skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

tap_done() {
    echo "1..$tap_count"
    exit 0
}

need_root() {
    [ "$(id -u)" = 0 ] || tap_skip_all "needs root"
}

need_command() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || tap_skip_all "needs '$c' (run tests/run-tests to install it)"
    done
}

: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${OCI_POD:=oci-pod}"
: "${OCI_POD_FETCH:=oci-pod-fetch}"
tap_exit_cmds=""
at_exit() {
    tap_exit_cmds="$1
$tap_exit_cmds"
}
tap_run_exit_cmds() {
    local cmd
    while IFS= read -r cmd; do
        [ -n "$cmd" ] && eval "$cmd" >/dev/null 2>&1
    done <<<"$tap_exit_cmds"
}
trap tap_run_exit_cmds EXIT

if [ -z "${TEST_TMP:-}" ]; then
    TEST_TMP=$(mktemp -d /var/tmp/oci-pod-test.XXXXXX)
    [ "${KEEP_TMP:-0}" = 1 ] || at_exit "rm -rf '$TEST_TMP'"
fi
export TEST_TMP OCI_POD OCI_POD_FETCH srcdir
