# A real, booted systemd for tests that need units, scopes, D-Bus or machined (sourced after
# tap.sh). PID 1 on the build machines is not systemd, but their own root file system boots as a
# container in a second or two (DESIGN.md §7):
#
#   box_start [TARGET]   boot the box (default basic.target: small and quick; multi-user.target
#                        also starts every service the machine has enabled). The root is an
#                        overlay of / with its upper dir under $TEST_TMP/box, so nothing the box
#                        does reaches the host's files. Sets BOX_DIR, BOX_ROOT (the box's / as
#                        seen from the host), BOX_NSPAWN_PID and BOX_PID (the box's PID 1), and
#                        registers box_stop to run at exit. Returns non-zero, with the reason in
#                        BOX_ERROR, when the box cannot boot.
#   box_run CMD [ARG...] run a command inside every namespace of the box (nsenter -a); its
#                        exit status. The box shares the host network: a registry on 127.0.0.1
#                        serves both.
#   box_install BUILDDIR `make install` of that build into the box (DESTDIR=$BOX_ROOT), so the
#                        box runs the fresh binaries under /usr/local.
#   box_stop             SIGTERM to the systemd-nspawn started here (it shuts the box down),
#                        SIGKILL after 20 s, then unmount and remove the box. Safe to call twice.
#
# One box per script; the machine name is ocibox-PID so several scripts may boot boxes at once.

box_stop() {
    local i
    if [ -n "${BOX_NSPAWN_PID:-}" ]; then
        kill -TERM "$BOX_NSPAWN_PID" 2>/dev/null
        for i in $(seq 1 100); do
            kill -0 "$BOX_NSPAWN_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$BOX_NSPAWN_PID" 2>/dev/null
        BOX_NSPAWN_PID=''
    fi
    if [ -n "${BOX_DIR:-}" ]; then
        # Mounts the tests made inside the box first (deepest first), then the overlay itself.
        awk -v t="$BOX_DIR/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
            while read -r m; do umount -l "$m" 2>/dev/null; done
        rm -rf "$BOX_DIR"
        BOX_DIR=''
    fi
    BOX_PID=''
}

box_start() {
    local target=${1:-basic.target} i state
    BOX_ERROR=''
    if [ "$(id -u)" != 0 ]; then
        BOX_ERROR="booting a systemd box needs root"
        return 1
    fi
    if ! command -v systemd-nspawn >/dev/null || ! command -v nsenter >/dev/null; then
        BOX_ERROR="needs systemd-nspawn (apt-get install systemd-container) and nsenter"
        return 1
    fi
    BOX_DIR=$TEST_TMP/box
    BOX_ROOT=$BOX_DIR/root
    mkdir -p "$BOX_DIR/upper" "$BOX_DIR/work" "$BOX_ROOT"
    at_exit box_stop
    if ! mount -t overlay "ocibox-$$" \
        -o "lowerdir=/,upperdir=$BOX_DIR/upper,workdir=$BOX_DIR/work" "$BOX_ROOT" 2>"$BOX_DIR/mount.err"; then
        BOX_ERROR="cannot mount the box's overlay: $(cat "$BOX_DIR/mount.err")"
        return 1
    fi
    # A machine ID of its own, so the box's journal and D-Bus are not the host's (with the
    # host's D-Bus ID left in place, systemd-machine-id-setup would copy it).
    rm -f "$BOX_ROOT/etc/machine-id" "$BOX_ROOT/var/lib/dbus/machine-id"
    tr -d '-' </proc/sys/kernel/random/uuid >"$BOX_ROOT/etc/machine-id"
    setsid systemd-nspawn -D "$BOX_ROOT" --machine="ocibox-$$" -b --register=no --keep-unit \
        --link-journal=no --console=pipe -- --unit="$target" >"$BOX_DIR/log" 2>&1 </dev/null &
    BOX_NSPAWN_PID=$!
    # PID 1 of the box is systemd-nspawn's child.
    BOX_PID=''
    for i in $(seq 1 100); do
        BOX_PID=$(pgrep -P "$BOX_NSPAWN_PID" 2>/dev/null | head -n 1)
        [ -n "$BOX_PID" ] && [ "$(cat "/proc/$BOX_PID/comm" 2>/dev/null)" = systemd ] && break
        BOX_PID=''
        kill -0 "$BOX_NSPAWN_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$BOX_PID" ]; then
        BOX_ERROR="systemd-nspawn did not start systemd: $(tail -n 3 "$BOX_DIR/log" | tr '\n' ' ')"
        return 1
    fi
    # "degraded" counts: some of the machine's units may not suit a container.
    for i in $(seq 1 300); do
        state=$(nsenter -t "$BOX_PID" -a systemctl is-system-running 2>/dev/null)
        case $state in running | degraded) return 0 ;; esac
        sleep 0.1
    done
    BOX_ERROR="the box did not finish booting (state '$state'); see $BOX_DIR/log"
    return 1
}

box_run() {
    nsenter -t "$BOX_PID" -a "$@"
}

box_install() {
    make -s -C "$1" install DESTDIR="$BOX_ROOT" >"$BOX_DIR/install.log" 2>&1
}

# box_test_begin: the start every pod test in the box shares (after sourcing tap.sh and
# images.sh): root and the tools, the build of $OCI_POD (sets builddir), the test images (sets
# layout to the busybox image), a booted box; skips or bails out with the reason otherwise.
box_test_begin() {
    need_root
    need_oci_pod
    need_command systemd-nspawn nsenter machinectl
    builddir=$(dirname "$(command -v "$OCI_POD")")
    [ -f "$builddir/Makefile" ] || tap_skip_all "'$builddir' is not a build directory to install into the box"
    images_build || tap_bail "cannot build the test images"
    layout=$IMAGES_DIR/busybox
    box_start || tap_bail "cannot boot the systemd box: $BOX_ERROR"
}
