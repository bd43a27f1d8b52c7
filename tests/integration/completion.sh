#!/bin/bash
# The bash completion of oci-pod (data/completion/oci-pod), with bash-completion loaded, called
# the way bash calls it (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT): command names and the
# words after `pod` and `store`, a command's options, the fixed values of --pull and
# --log-level, image names from a scratch store (the --root on the line, else $OCI_POD_ROOT),
# pod names from `ps -a`, pod file names from `pod list`, and nothing printed while completing.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/images.sh"

BASH_COMPLETION_MAIN=/usr/share/bash-completion/bash_completion
need_oci_pod
need_command python3
[ -f "$BASH_COMPLETION_MAIN" ] ||
    tap_skip_all "needs bash-completion ($BASH_COMPLETION_MAIN; apt-get install bash-completion)"
images_build || tap_bail "cannot build the test images"
unset OCI_POD_ROOT OCI_POD_PODS_PATH NOTIFY_SOCKET INVOCATION_ID

ROOT=$TEST_TMP/root
EMPTY=$TEST_TMP/empty-root
busybox=$(images_layout busybox)
at_exit "awk -v t='$TEST_TMP/' 'index(\$5, t) == 1 { print \$5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"
at_exit "for n in \$(ls '$ROOT/pods' 2>/dev/null); do '$OCI_POD' --root '$ROOT' rm -f \$n; done"

# The completion runs `oci-pod`: a wrapper of that name, first on PATH, runs the built binary.
oci_pod_bin=$(command -v "$OCI_POD")
case $oci_pod_bin in
    /*) ;;
    *) oci_pod_bin=$(cd "$(dirname "$oci_pod_bin")" && pwd)/$(basename "$oci_pod_bin") ;;
esac
mkdir -p "$TEST_TMP/bin" "$EMPTY" "$TEST_TMP/pods" || tap_bail "cannot make directories"
printf '#!/bin/bash\nexec %q "$@"\n' "$oci_pod_bin" >"$TEST_TMP/bin/oci-pod"
chmod +x "$TEST_TMP/bin/oci-pod"
PATH=$TEST_TMP/bin:$PATH
[ "$(command -v oci-pod)" = "$TEST_TMP/bin/oci-pod" ] || tap_bail "the oci-pod wrapper is not first on PATH"

# shellcheck disable=SC1090
. "$BASH_COMPLETION_MAIN"
# shellcheck disable=SC1091
. "$srcdir/data/completion/oci-pod"

tap_is "complete -p oci-pod names _oci_pod" "complete -F _oci_pod oci-pod" \
    "$(complete -p oci-pod 2>&1)"

# candidates WORD...: complete the last WORD of the line `oci-pod WORD...` (the cursor at its
# end) and print COMPREPLY sorted, on one line. With LINE set, COMP_LINE is LINE, and the WORDs
# are its words as bash splits them (at '=' and ':' too: "--pull=a" is the three words
# "--pull", "=", "a"). What the function itself prints goes to $TEST_TMP/printed.
: >"$TEST_TMP/printed"
candidates() {
    local COMP_WORDS=(oci-pod "$@") COMP_CWORD=$# COMP_LINE COMP_POINT
    COMP_LINE=${LINE:-${COMP_WORDS[*]}}
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _oci_pod oci-pod "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" \
        >>"$TEST_TMP/printed" 2>&1
    [ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd ' ' -
}

# --- commands, options and fixed values ---
tap_is "'ru' completes to run" "run" "$(candidates ru)"
tap_is "an empty word offers every command" \
    "enter gc images inspect kill logs pod ps pull render rm rmi run status stop store unrender" \
    "$(candidates "")"
tap_is "'pod va' completes to validate" "validate" "$(candidates pod va)"
tap_is "'pod' offers its three commands" "create list validate" "$(candidates pod "")"
tap_is "'store' offers verify" "verify" "$(candidates store "")"
tap_is "'run --me' completes to --memory" "--memory" "$(candidates run --me)"
tap_is "'ps -' offers ps's options and the global ones" \
    "--all --help --json --log-level --root --version -a -h" "$(candidates ps -)"
tap_is "run --pull offers its policies" "always missing never" "$(candidates run --pull "")"
tap_is "run --pull=a completes to always" "always" \
    "$(LINE="oci-pod run --pull=a" candidates run --pull = a)"
tap_is "--log-level before the command offers the levels" "debug error info notice warning" \
    "$(candidates --log-level "")"
tap_is "--log-level after the command offers the levels" "debug error info notice warning" \
    "$(candidates images --log-level "")"
tap_is "inspect -f offers the formats" "both config manifest" "$(candidates inspect -f "")"
tap_is "pull o offers the transports of a layout and an archive" "oci-archive: oci:" \
    "$(candidates pull o)"

# --- image names from the store ---
tap_check "pull the busybox image into a scratch store" \
    "$OCI_POD" --root "$ROOT" pull -q "oci:$busybox:latest"
export OCI_POD_ROOT=$EMPTY
tap_is "inspect localhost/bu completes from the --root on the line" "localhost/busybox:latest" \
    "$(candidates --root "$ROOT" inspect localhost/bu)"
tap_is "... and from --root=DIR" "localhost/busybox:latest" \
    "$(LINE="oci-pod --root=$ROOT inspect localhost/bu" candidates --root = "$ROOT" inspect localhost/bu)"
tap_is "... and from --root after the command" "localhost/busybox:latest" \
    "$(candidates inspect --root "$ROOT" localhost/bu)"
tap_is "without --root, \$OCI_POD_ROOT's store (empty) offers no image" "" \
    "$(candidates inspect localhost/bu)"
OCI_POD_ROOT=$ROOT
tap_is "without --root, \$OCI_POD_ROOT's store is used" "localhost/busybox:latest" \
    "$(candidates inspect localhost/bu)"
OCI_POD_ROOT=$EMPTY
tap_is "run offers images for IMAGE" "localhost/busybox:latest" \
    "$(candidates --root "$ROOT" run -e A=1 --pull never "")"
tap_is "after run's IMAGE, options are still run's" "--memory" \
    "$(candidates --root "$ROOT" run localhost/busybox:latest --me)"
tap_is "after COMMAND, the words are COMMAND's: no candidates" "" \
    "$(candidates --root "$ROOT" run localhost/busybox:latest ls --me)"

# --- pod names from ps -a ---
if [ "$(id -u)" = 0 ]; then
    tap_check "run the pod done1 to its end" \
        "$OCI_POD" --root "$ROOT" run --name done1 localhost/busybox true
    tap_is "rm offers the ended pod done1" "done1" "$(candidates --root "$ROOT" rm "")"
else
    tap_skip "run the pod done1 to its end" "needs root"
    tap_skip "rm offers the ended pod done1" "needs root"
fi

# --- pod file names from pod list ---
export OCI_POD_PODS_PATH=$TEST_TMP/pods
tap_check "pod create web1 writes a pod file" \
    "$OCI_POD" --root "$ROOT" pod create web1 localhost/busybox
tap_is "run --pod offers the pod file web1" "web1" "$(candidates run --pod w)"
tap_is "pod validate offers the pod file web1" "web1" "$(candidates pod validate "")"

tap_is "completing printed nothing" "" "$(cat "$TEST_TMP/printed")"

tap_done
