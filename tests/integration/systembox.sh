#!/bin/bash
# The systemd test box (tests/lib/systembox.sh) itself: it boots a real systemd, D-Bus and
# machined answer inside, transient scopes and services work, the fresh build installs into it,
# and tearing it down leaves no process, mount or file behind. Every test that needs systemd
# stands on this.
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/systembox.sh"

need_root
need_oci_pod
need_command systemd-nspawn nsenter

started=$(date +%s%N)
box_start || tap_bail "cannot boot the systemd box: $BOX_ERROR"
boot_ms=$((($(date +%s%N) - started) / 1000000))
tap_ok "the box boots to basic.target (${boot_ms} ms)"

tap_is "systemd is PID 1 in the box" "systemd" "$(box_run cat /proc/1/comm)"
state=$(box_run systemctl is-system-running)
case $state in
running | degraded) tap_ok "systemctl is-system-running: $state" ;;
*) tap_not_ok "systemctl is-system-running: $state" "$(tail -n 20 "$BOX_DIR/log")" ;;
esac
tap_is "the box has a machine ID of its own" "different" \
    "$([ "$(box_run cat /etc/machine-id)" != "$(cat /etc/machine-id 2>/dev/null)" ] && echo different)"

# machined is activated on demand over D-Bus.
tap_check "machinectl list answers (machined over D-Bus)" box_run machinectl list --no-legend
tap_check "busctl reaches org.freedesktop.machine1" \
    box_run busctl call org.freedesktop.machine1 /org/freedesktop/machine1 \
    org.freedesktop.machine1.Manager ListMachines

# Transient units, as the runner and `oci-pod run -d` will use them.
cg=$(box_run systemd-run --scope --quiet --unit=ocibox-scope-test cat /proc/self/cgroup)
tap_is "systemd-run --scope puts the command in its own scope" "yes" \
    "$(echo "$cg" | grep -q '^0::/system.slice/ocibox-scope-test.scope$' && echo yes)"
out=$(box_run systemd-run --wait --pipe --quiet --unit=ocibox-service-test \
    -p Type=exec sh -c 'echo from-a-service; exit 3' 2>&1)
rc=$?
tap_is "systemd-run --wait runs a transient service and returns its status" \
    "3 from-a-service" "$rc $out"

# The fresh build, installed into the box (never into the host).
builddir=$(dirname "$(command -v "$OCI_POD")")
if [ -f "$builddir/Makefile" ]; then
    host_before=$(stat -c '%i %Y' /usr/local/bin/oci-pod 2>&1)
    if box_install "$builddir"; then
        tap_ok "make install DESTDIR=the box"
        tap_is "the box runs the installed oci-pod" "$("$OCI_POD" --version)" \
            "$(box_run /usr/local/bin/oci-pod --version)"
        tap_is "... and nothing was installed on the host" "$host_before" \
            "$(stat -c '%i %Y' /usr/local/bin/oci-pod 2>&1)"
    else
        tap_not_ok "make install DESTDIR=the box" "$(tail -n 20 "$BOX_DIR/install.log")"
    fi
else
    tap_skip "installing the build into the box" "'$builddir' is not a build directory"
fi

# Files the box writes stay in its overlay.
box_run sh -c 'echo box > /var/tmp/ocibox-written-inside'
tap_is "a file written in the box lands in its upper dir, not on the host" "box absent" \
    "$(cat "$BOX_DIR/upper/var/tmp/ocibox-written-inside") $([ -e /var/tmp/ocibox-written-inside ] || echo absent)"

# Teardown: the processes, the mounts and the directory go.
nspawn=$BOX_NSPAWN_PID pid1=$BOX_PID dir=$BOX_DIR
box_stop
tap_is "box_stop ends systemd-nspawn and the box's PID 1" "gone gone" \
    "$(kill -0 "$nspawn" 2>/dev/null || echo gone) $(kill -0 "$pid1" 2>/dev/null || echo gone)"
tap_is "... unmounts the box" "" "$(awk -v t="$dir/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo)"
tap_is "... and removes it" "absent" "$([ -e "$dir" ] || echo absent)"
tap_is "a second box_stop is harmless" "0" "$(
    box_stop
    echo $?
)"
tap_done
