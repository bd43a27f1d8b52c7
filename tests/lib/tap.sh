# TAP output for integration tests (sourced). Each script prints test points with these helpers
# and ends with tap_done; automake's tap-driver and tests/run-tests count them.
#
#   tap_check "description" cmd args...   ok when cmd exits 0; otherwise not ok + its output
#   tap_check_fails "description" cmd...  ok when cmd exits non-zero
#   tap_ok / tap_not_ok "description" [diagnostic]
#   tap_skip "description" "reason"
#   tap_is "description" expected actual  ok when the strings are equal
#   tap_check_error "description" cmd...  ok when cmd fails with one "oci-pod:" line on stderr
#   tap_skip_all "reason"                 whole script skipped (plan 1..0)
#   tap_bail "reason"                     setup failed: "Bail out!" (counts as a failure)
#   tap_done                              prints the plan; exit status is decided by the driver
#   at_exit "command"                     run at exit, last registered first (stop servers by pid)
#
# Environment provided to every test (set by the Makefile's AM_TESTS_ENVIRONMENT or run-tests):
#   OCI_POD, OCI_POD_FETCH, OCI_POD_RENDER   the built binaries
#   TEST_TMP                 a fresh directory for this script, removed at exit unless KEEP_TMP=1
#                            (under $OCI_POD_TEST_TMPDIR, default /var/tmp)
#   OCI_POD_SKIP_INTEGRATION when set, every script reports itself skipped (make distcheck)
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

# Setup that every later test point depends on failed: the driver records an error.
tap_bail() {
    echo "Bail out! $1"
    exit 1
}

tap_done() {
    echo "1..$tap_count"
    exit 0
}

# tap_is "description" EXPECTED ACTUAL   ok when the two strings are equal
tap_is() {
    if [ "$2" = "$3" ]; then
        tap_ok "$1"
    else
        tap_not_ok "$1" "expected: '$2'
got:      '$3'"
    fi
}

# tap_check_error "description" cmd...   ok when cmd fails with exactly one line on stderr and
# that line starts with "oci-pod:" (the error users see; progress output is off with -q). The
# line is left in $TEST_TMP/last.err for further checks.
tap_check_error() {
    local desc=$1 rc=0 lines
    shift
    "$@" >"$TEST_TMP/last.out" 2>"$TEST_TMP/last.err" || rc=$?
    lines=$(wc -l <"$TEST_TMP/last.err")
    if [ "$rc" -eq 0 ]; then
        tap_not_ok "$desc" "unexpected success: $(cat "$TEST_TMP/last.out")"
    elif [ "$lines" -ne 1 ] || [ "$(head -c 8 "$TEST_TMP/last.err")" != "oci-pod:" ]; then
        tap_not_ok "$desc" "exit $rc, but stderr is not one 'oci-pod:' line ($lines lines):
$(cat "$TEST_TMP/last.err")"
    else
        tap_ok "$desc"
    fi
}

# wait_for CMD...: polls CMD (up to 30 s, by tenths) until it succeeds; its output is dropped.
wait_for() {
    local _
    for _ in $(seq 1 300); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# json_query EXPR [FILE]: evaluate the Python expression EXPR over the JSON document `j` read
# from FILE or stdin; strings print as they are, anything else as JSON. Fails when EXPR does.
json_query() {
    /usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin)
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r, sort_keys=True))' "$@"
}

# The oci-pod binary must exist and run; a script that cannot test anything says so.
need_oci_pod() {
    command -v "$OCI_POD" >/dev/null 2>&1 || tap_skip_all "oci-pod is not built ('$OCI_POD')"
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
: "${OCI_POD_RENDER:=oci-pod-render}"
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
    # tests/run-tests points OCI_POD_TEST_TMPDIR at a directory of its own, so it can find
    # anything a script left running.
    TEST_TMP=$(mktemp -d "${OCI_POD_TEST_TMPDIR:-/var/tmp}/oci-pod-test.XXXXXX")
    [ "${KEEP_TMP:-0}" = 1 ] || at_exit "rm -rf '$TEST_TMP'"
fi
export TEST_TMP OCI_POD OCI_POD_FETCH OCI_POD_RENDER srcdir

# `make distcheck` (and anyone short of time) sets this: the integration scripts then report
# themselves skipped instead of starting registries.
if [ -n "${OCI_POD_SKIP_INTEGRATION:-}" ]; then
    tap_skip_all "OCI_POD_SKIP_INTEGRATION is set"
fi
