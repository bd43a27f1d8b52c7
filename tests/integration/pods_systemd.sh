#!/bin/bash
# Pods under a real systemd (the box of tests/lib/systembox.sh): `oci-pod run -d` becomes the
# transient service oci-pod-NAME.service registered with machined, a foreground run gets
# machine-NAME.scope, both with the memory limit as a unit property; machinectl lists, signals
# and terminates the pod; oci-pod ps/logs/stop/enter work through systemd; `run --rm` leaves no
# unit, machine, state or mount behind. Issue 4, "How it is shown to work"; DESIGN.md §6.
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/systembox.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
"$OCI_POD" run --help >/dev/null 2>&1 || tap_skip_all "this oci-pod has no 'run' command"
box_test_begin
box_install "$builddir" || tap_bail "make install into the box failed: $(tail -n 5 "$BOX_DIR/install.log")"
# The box is an overlay of /: the image cache under /var/tmp is visible inside.
box_run test -f "$layout/index.json" || tap_bail "the box does not see '$layout'"

pod() { box_run /usr/local/bin/oci-pod "$@"; }

# The image into the box's store (/var/lib/oci-pod inside the box's overlay). The pull prints
# the stored name first.
image=$(pod pull "oci:$layout:latest" 2>"$TEST_TMP/pull.err" | awk 'NR == 1 { print $1 }')
[ -n "$image" ] || tap_bail "oci-pod pull in the box failed: $(cat "$TEST_TMP/pull.err")"
tap_ok "the busybox image is pulled into the box's store as '$image'"

# A host-visible directory bind-mounted into the pods: the app writes what it saw there.
box_run mkdir -p /var/tmp/pods-out
out=$BOX_ROOT/var/tmp/pods-out

# ps --json: the entry of pod NAME, or nothing.
ps_entry() {
    pod ps -a --json | json_query "[p for p in j if p.get('name') == '$1']" 2>/dev/null
}
# The exit code oci-pod status --json reports for NAME.
exit_code() {
    pod status --json "$1" | json_query "j.get('exitCode', j.get('exit_code', ''))" 2>/dev/null
}
machine_absent() { ! box_run machinectl show "$1" >/dev/null 2>&1; }

# --- a detached pod: a service registered with machined -----------------------------------
# The app traps SIGUSR1 and records it; SIGTERM (not trapped) ends it with 128+15.
app='echo web-started; trap "echo usr1 >> /out/usr1" USR1; while :; do sleep 1 & wait $!; done'
if pod run -d --name web --hostname webhost --memory 64M --stop-timeout 30 \
    -v /var/tmp/pods-out:/out "$image" sh -c "$app" >"$TEST_TMP/run-web.out" 2>&1; then
    tap_ok "oci-pod run -d --name web --memory 64M starts"
else
    tap_not_ok "oci-pod run -d --name web --memory 64M starts" "$(cat "$TEST_TMP/run-web.out")"
fi
wait_for box_run machinectl show web
tap_is "machinectl list shows web: class container, service oci-pod" "web container oci-pod" \
    "$(box_run machinectl list --no-legend | awk '$1 == "web" { print $1, $2, $3 }')"
tap_is "machinectl show web -p Unit: oci-pod-web.service" "oci-pod-web.service" \
    "$(box_run machinectl show web -p Unit --value)"
tap_is "the unit has MemoryMax=64M" "67108864" \
    "$(box_run systemctl show oci-pod-web.service -p MemoryMax --value)"
tap_is "the unit is active" "active" "$(box_run systemctl is-active oci-pod-web.service)"
root=$(box_run machinectl show web -p RootDirectory --value)
tap_is "machined knows the pod's root directory" "yes" \
    "$([ -n "$root" ] && box_run test -x "$root/bin/busybox" && echo yes)"
tap_is "oci-pod ps shows web running" "running" \
    "$(pod ps --json | json_query "[p.get('state') for p in j if p.get('name') == 'web'][0]" 2>&1)"
leader=$(box_run machinectl show web -p Leader --value)
tap_is "machinectl status web shows the leader" "yes" \
    "$([ -n "$leader" ] && box_run machinectl status web --no-pager | grep -q "Leader: $leader\b" && echo yes)"
tap_is "the leader is in the pod's unit" "yes" \
    "$(box_run grep -q '^0::.*/oci-pod-web\.service' "/proc/$leader/cgroup" && echo yes)"

logs_have() { pod logs "$1" 2>&1 | grep -q "$2"; }
wait_for logs_have web web-started
tap_is "oci-pod logs web shows the app's output from the journal" "web-started" \
    "$(pod logs web 2>&1 | grep -o web-started | head -n 1)"
# The image has no hostname link; busybox has the applet.
tap_is "oci-pod enter web busybox hostname runs in the pod" "webhost" "$(pod enter web busybox hostname 2>&1)"

# machinectl kill signals every process of the machine's unit (--kill-whom=all): the app gets
# the signal itself and, through the pod's init, possibly once more. --kill-whom=leader signals
# the init alone, which passes it on exactly once.
box_run machinectl kill web --signal=SIGUSR1
wait_for test -s "$out/usr1"
tap_is "machinectl kill web --signal=SIGUSR1 reaches the app" "usr1" "$(sort -u "$out/usr1" 2>&1)"
sleep 0.5
: >"$out/usr1"
box_run machinectl kill web --kill-whom=leader --signal=SIGUSR1
wait_for test -s "$out/usr1"
sleep 0.5
tap_is "... with --kill-whom=leader, exactly once (the init passes it on)" "usr1" "$(cat "$out/usr1" 2>&1)"

tap_check_error "a second pod named web is refused while web runs" \
    box_run /usr/local/bin/oci-pod run -d --name web "$image" true
tap_is "... and web still runs" "active" "$(box_run systemctl is-active oci-pod-web.service)"

box_run machinectl terminate web
if wait_for machine_absent web; then
    tap_ok "machinectl terminate web stops it"
else
    tap_not_ok "machinectl terminate web stops it" "$(box_run machinectl status web --no-pager 2>&1)"
fi
wait_for sh -c "! box_run systemctl is-active -q oci-pod-web.service"
# 143 = 128+SIGTERM: the stop signal ended the app, not SIGKILL after the 30 s stop timeout.
tap_is "oci-pod status web: exited with SIGTERM's status" "143" "$(exit_code web)"
tap_is "oci-pod ps -a lists web as exited" "exited" \
    "$(pod ps -a --json | json_query "[p.get('state') for p in j if p.get('name') == 'web'][0]" 2>&1)"
tap_check "oci-pod rm web" pod rm web
tap_is "... and ps -a no longer lists it" "[]" "$(ps_entry web)"

# --- oci-pod stop goes through the unit ----------------------------------------------------
pod run -d --name web2 --stop-timeout 30 "$image" sh -c 'while :; do sleep 1 & wait $!; done' \
    >/dev/null 2>&1
wait_for box_run machinectl show web2
tap_is "a second detached pod runs" "active" "$(box_run systemctl is-active oci-pod-web2.service)"
tap_check "oci-pod stop web2" pod stop web2
# inactive, or failed when the unit counts 143 as a failure: either way no longer running.
tap_is "... stops its unit" "stopped" "$(
    state=$(box_run systemctl is-active oci-pod-web2.service)
    case $state in inactive | failed) echo stopped ;; *) echo "$state" ;; esac
)"
tap_is "... unregisters the machine" "yes" "$(machine_absent web2 && echo yes)"
tap_is "... and records SIGTERM's status" "143" "$(exit_code web2)"
pod rm -f web2 >/dev/null 2>&1

# --- stop -t bounds the wait, whatever the pod's own stop timeout -----------------------
# The app ignores SIGTERM and the pod's stop timeout is 300 s: only -t 1 ends it quickly, with
# SIGKILL's status. (timeout 60 turns a stop that waits for the 300 s into a failure.)
pod run -d --name slow --stop-timeout 300 "$image" \
    sh -c 'trap "" TERM; while :; do sleep 1 & wait $!; done' >/dev/null 2>&1
wait_for box_run machinectl show slow
tap_check "stop -t 1 does not wait for the pod's 300 s stop timeout" \
    box_run timeout 60 /usr/local/bin/oci-pod stop -t 1 slow
tap_is "... the pod ends with SIGKILL's status" "137" "$(exit_code slow)"
pod rm -f slow >/dev/null 2>&1

# --- a foreground pod: machine-NAME.scope through CreateMachine -----------------------------
# The app waits for a file, so the scope is inspected while the pod surely runs.
rm -f "$out/fg-go" "$out/fg-cgroup"
box_run /usr/local/bin/oci-pod run --memory 64M --name fg -v /var/tmp/pods-out:/out "$image" \
    sh -c 'cat /proc/self/cgroup > /out/fg-cgroup; i=0
        while [ ! -e /out/fg-go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; echo fg-done' \
    >"$TEST_TMP/fg.out" 2>&1 &
fg_pid=$!
at_exit "kill $fg_pid"
wait_for box_run machinectl show fg
tap_is "a foreground run is registered in machine-fg.scope" "machine-fg.scope" \
    "$(box_run machinectl show fg -p Unit --value)"
tap_is "the scope has MemoryMax=64M" "67108864" \
    "$(box_run systemctl show machine-fg.scope -p MemoryMax --value)"
leader=$(box_run machinectl show fg -p Leader --value)
tap_is "the pod's processes are in the scope" "yes" \
    "$([ -n "$leader" ] && box_run grep -q '^0::.*/machine-fg\.scope' "/proc/$leader/cgroup" && echo yes)"
wait_for test -s "$out/fg-cgroup"
tap_is "the app ran (it wrote its /proc/self/cgroup)" "yes" "$([ -s "$out/fg-cgroup" ] && echo yes)"
touch "$out/fg-go"
wait "$fg_pid"
rc=$?
tap_is "the foreground run returns the app's status and output" "0 fg-done" \
    "$rc $(grep -o fg-done "$TEST_TMP/fg.out")"
tap_is "the scope is gone after the run" "" \
    "$(box_run systemctl list-units --all --no-legend 'machine-fg.scope' | grep -v 'not-found')"
tap_is "... and so is the machine" "yes" "$(machine_absent fg && echo yes)"
pod rm -f fg >/dev/null 2>&1

# --- run --rm leaves nothing behind --------------------------------------------------------
mount_points() { box_run awk '{ print $5 }' /proc/1/mountinfo | sort; }
state_dirs() {
    box_run find /run/oci-pod/runtime /run/oci-pod/pods /var/lib/oci-pod/pods -mindepth 1 -maxdepth 1 2>/dev/null
}
mounts_before=$(mount_points)
state_before=$(state_dirs)
tap_is "oci-pod run --rm returns the app's status" "7" \
    "$(
        pod run --rm --name gone "$image" sh -c 'exit 7' >/dev/null 2>&1
        echo $?
    )"
tap_is "... leaves no scope or service" "" \
    "$(box_run systemctl list-units --all --no-legend 'machine-gone.scope' 'oci-pod-gone.service' | grep -v not-found)"
tap_is "... no machine" "yes" "$(machine_absent gone && echo yes)"
tap_is "... no pod state (/run/oci-pod/runtime and pods, ROOT/pods)" "$state_before" "$(state_dirs)"
tap_is "... ps -a does not list it" "[]" "$(ps_entry gone)"
tap_is "... and no mount in the box's PID 1 namespace" "$mounts_before" "$(mount_points)"

tap_is "no machines are left" "" "$(box_run machinectl list --no-legend)"
tap_done
