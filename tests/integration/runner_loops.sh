#!/bin/bash
# Start/stop loops (issue 4): many short pods in a row leave nothing behind. On the host (no
# systemd as PID 1, so no scope): 200 `oci-pod run --rm IMAGE /bin/true` and 100
# `oci-pod-runner run --no-machine` of one bundle under one container ID (a reused ID fails at
# once if a run left its state). In the systemd box: 50 `oci-pod run --rm`, each in a
# machine-*.scope registered with machined. After each loop: no mount added, no runtime state,
# no pod directory, no process left, and in the box no scope and no machine.
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/systembox.sh"
. "$srcdir/tests/lib/images.sh"

need_root
need_oci_pod
: "${OCI_POD_RUNNER:=$(dirname "$(command -v "$OCI_POD")")/oci-pod-runner}"
have_runner=yes have_run=yes
[ -x "$OCI_POD_RUNNER" ] || have_runner=''
"$OCI_POD" run --help >/dev/null 2>&1 || have_run=''
[ -n "$have_runner$have_run" ] || tap_skip_all "neither oci-pod-runner nor 'oci-pod run' is built"

: "${LOOP_HOST:=200}" "${LOOP_RUNNER:=100}" "${LOOP_BOX:=50}"
images_build || tap_bail "cannot build the test images"
layout=$IMAGES_DIR/busybox
root=$TEST_TMP/root
# With --root ROOT, the runtime's state and the pods' locks are under ROOT/run (store/pods.hpp).
run_dir=$root/run

image=$("$OCI_POD" --root "$root" pull "oci:$layout:latest" 2>"$TEST_TMP/pull.err" | awk 'NR == 1 { print $1 }')
[ -n "$image" ] || tap_bail "oci-pod pull failed: $(cat "$TEST_TMP/pull.err")"

# Mounts that could come from our pods: below this script's directory or /run/oci-pod. Other
# tests (their pods too) may mount and unmount elsewhere on the host meanwhile, so the whole
# table is no measure.
our_mounts() {
    grep -e "$TEST_TMP" -e ' /run/oci-pod' /proc/self/mountinfo | awk '{ print $5, $9, $10 }' | sort
}
# Processes left from this script's pods: rooted below $TEST_TMP, or naming it on their
# command line (a runner or a monitor); the script's own shells are excluded.
our_processes() {
    local p c
    {
        grep -l -s -z -F -e "$TEST_TMP" /proc/[0-9]*/cmdline
        find /proc -mindepth 2 -maxdepth 2 -name root -lname "$TEST_TMP/*" 2>/dev/null
    } | sed -n 's|^/proc/\([0-9]*\)/.*|\1|p' | sort -u | while read -r p; do
        c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
        case $c in bash | grep | find | sed | sort) continue ;; esac
        echo "$p $c"
    done
}
run_entries() { find "$run_dir/runtime" "$run_dir/pods" -mindepth 1 -maxdepth 1 2>/dev/null; }
# repeat_ok COUNT "description" CMD...: run CMD COUNT times; ok when every run succeeds, else not
# ok with the number of failures and the output of the first.
repeat_ok() {
    local count=$1 desc=$2 i failures=0 first_failure=''
    shift 2
    for i in $(seq 1 "$count"); do
        if ! "$@" >"$TEST_TMP/run.out" 2>&1; then
            failures=$((failures + 1))
            [ -n "$first_failure" ] || first_failure="run $i: $(cat "$TEST_TMP/run.out")"
        fi
    done
    if [ "$failures" = 0 ]; then
        tap_ok "$desc"
    else
        tap_not_ok "$desc" "$failures failed; the first: $first_failure"
    fi
}

# --- oci-pod run --rm on the host, without systemd -----------------------------------------
host_loop() {
    mounts_before=$(our_mounts)
    repeat_ok "$LOOP_HOST" "$LOOP_HOST x oci-pod run --rm IMAGE /bin/true on the host" \
        "$OCI_POD" --root "$root" run --rm "$image" /bin/true </dev/null
    tap_is "... adds no mount" "$mounts_before" "$(our_mounts)"
    tap_is "... leaves no runtime state or lock in ROOT/run" "" "$(run_entries)"
    tap_is "... leaves no pod in ROOT/pods" "" "$(ls -A "$root/pods" 2>/dev/null)"
    tap_is "... leaves no process" "" "$(our_processes)"
    tap_is "... and ps -a lists nothing" "0" "$("$OCI_POD" --root "$root" ps -a --json 2>&1 | json_query 'len(j)' 2>&1)"
}
if [ -n "$have_run" ]; then
    host_loop
else
    tap_skip "$LOOP_HOST x oci-pod run --rm on the host" "this oci-pod has no 'run' command"
fi

# --- oci-pod-runner run on one bundle, under one ID ----------------------------------------
runner_loop() {
    bundle=$TEST_TMP/bundle
    "$OCI_POD" --root "$root" render -q --bundle "$bundle" "$image" /bin/true >/dev/null 2>&1 ||
        tap_bail "oci-pod render of the bundle failed"
    at_exit "'$OCI_POD' unrender '$bundle'"
    id=loop
    state=$TEST_TMP/runner-state
    mounts_before=$(our_mounts)
    repeat_ok "$LOOP_RUNNER" "$LOOP_RUNNER x oci-pod-runner run --no-machine of one bundle under one ID" \
        "$OCI_POD_RUNNER" --root "$state" run --no-machine --bundle "$bundle" "$id" </dev/null
    tap_is "... leaves no state directory" "" "$(find "$state" -mindepth 1 -maxdepth 1 2>/dev/null)"
    tap_is "... adds no mount" "$mounts_before" "$(our_mounts)"
    tap_is "... leaves no process" "" "$(our_processes)"
    tap_is "... and the bundle is as rendered (rootfs still mounted, config unchanged)" "yes" \
        "$(mountpoint -q "$bundle/rootfs" && grep -q '"/bin/true"' "$bundle/config.json" && echo yes)"
}
if [ -n "$have_runner" ]; then
    runner_loop
else
    tap_skip "$LOOP_RUNNER x oci-pod-runner run" "oci-pod-runner is not built ('$OCI_POD_RUNNER')"
fi

# --- oci-pod run --rm in the systemd box: scope and machine each time ----------------------
if [ -z "$have_run" ]; then
    tap_skip "the loop in the systemd box" "this oci-pod has no 'run' command"
    tap_done
fi
if ! command -v systemd-nspawn >/dev/null || ! command -v nsenter >/dev/null; then
    tap_skip "the loop in the systemd box" "needs systemd-nspawn and nsenter"
    tap_done
fi
builddir=$(dirname "$(command -v "$OCI_POD")")
if [ ! -f "$builddir/Makefile" ]; then
    tap_skip "the loop in the systemd box" "'$builddir' is not a build directory"
    tap_done
fi
box_start || tap_bail "cannot boot the systemd box: $BOX_ERROR"
box_install "$builddir" || tap_bail "make install into the box failed: $(tail -n 5 "$BOX_DIR/install.log")"
pod() { box_run /usr/local/bin/oci-pod "$@"; }
box_image=$(pod pull "oci:$layout:latest" 2>"$TEST_TMP/pull.err" | awk 'NR == 1 { print $1 }')
[ -n "$box_image" ] || tap_bail "oci-pod pull in the box failed: $(cat "$TEST_TMP/pull.err")"

box_mounts() { box_run awk '{ print $5 }' /proc/1/mountinfo | sort; }
box_state() {
    box_run find /run/oci-pod/runtime /run/oci-pod/pods /var/lib/oci-pod/pods -mindepth 1 -maxdepth 1 2>/dev/null
}
# One pod first, held open, shows the loop's runs really get a scope and a machine.
box_run mkdir -p /var/tmp/loop-out
rm -f "$BOX_ROOT/var/tmp/loop-out/go"
pod run --rm --name probe -v /var/tmp/loop-out:/out "$box_image" \
    sh -c 'i=0; while [ ! -e /out/go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done' \
    >/dev/null 2>&1 &
probe=$!
at_exit "kill $probe"
for i in $(seq 1 300); do
    box_run machinectl show probe >/dev/null 2>&1 && break
    sleep 0.1
done
tap_is "a pod run in the box has a scope" "machine-probe.scope" \
    "$(box_run machinectl show probe -p Unit --value 2>&1)"
touch "$BOX_ROOT/var/tmp/loop-out/go"
wait "$probe"

mounts_before=$(box_mounts)
state_before=$(box_state)
repeat_ok "$LOOP_BOX" "$LOOP_BOX x oci-pod run --rm IMAGE /bin/true in the box (scope + machined)" \
    pod run --rm "$box_image" /bin/true
tap_is "... leaves no machine-* unit" "" "$(box_run systemctl list-units --all --no-legend 'machine-*')"
tap_is "... no machine" "" "$(box_run machinectl list --no-legend)"
tap_is "... no pod state" "$state_before" "$(box_state)"
tap_is "... and no mount in the box's PID 1 namespace" "$mounts_before" "$(box_mounts)"
tap_done
