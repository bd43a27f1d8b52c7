#!/bin/bash
# The runner's systemd side (src/run/{machine_registration,transient_service,unit_properties},
# src/c/bus) against the real systemd and machined of the test box (tests/lib/systembox.sh):
# machine-NAME.scope through CreateMachine with the pod's limits as systemctl reports them, a
# live duplicate refused, a stale machine cleared, transient services started, refused, failed
# and stopped, and the "unit" placement: RegisterMachine from inside a service, with the pod in
# its payload/ sub-cgroup. Each test point is one test of tests/integration/systemd-api-tests,
# run inside the box; the checks read back through machinectl and systemctl.
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/systembox.sh"

need_root
need_oci_pod
need_command systemd-nspawn nsenter

builddir=$(dirname "$(command -v "$OCI_POD")")
driver=$builddir/tests/integration/systemd-api-tests
[ -x "$driver" ] || tap_skip_all "'$driver' is not built (make check builds it)"
tests=$("$driver" -ln | tr ' ' '\n' | grep -E '^Systemd(Scope|Service|Unit)\.' | sort)
[ -n "$tests" ] || tap_bail "'$driver -ln' lists no systemd tests"

box_start || tap_bail "cannot boot the systemd box: $BOX_ERROR"
# The box is an overlay of the host's /: the driver goes into its upper layer, so the box sees
# this very build even when the overlay was mounted before it was linked.
inbox=/usr/local/libexec/oci-pod-test/systemd-api-tests
install -D -m 0755 "$driver" "$BOX_ROOT$inbox" || tap_bail "cannot copy the driver into the box"

tap_is "the box's systemd tracks units in a cgroup hierarchy" "yes" \
    "$(box_run cat /proc/self/cgroup | grep -qE '^0::/|:name=systemd:/' && echo yes)"

for t in $tests; do
    group=${t%%.*} name=${t#*.}
    out=$(box_run env OCI_POD_IN_SYSTEMD_BOX=1 "$inbox" -v -sg "$group" -sn "$name" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^OK (.*, 1 ran, '; then
        tap_ok "$group: $name"
    else
        tap_not_ok "$group: $name" "exit $rc
$out"
    fi
done

# Every test cleans up after itself: no machine, no scope, no oci-pod service remains.
tap_is "no machine is left registered" "" "$(box_run machinectl list --no-legend 2>&1)"
tap_is "no machine scope or oci-pod unit is left" "" \
    "$(box_run systemctl list-units --all --plain --no-legend 'machine-*' 'oci-pod-*' 2>&1)"
tap_done
