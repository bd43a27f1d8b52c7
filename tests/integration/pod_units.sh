#!/bin/bash
# Pod files run by oci-pod@NAME.service in a real systemd (the box of tests/lib/systembox.sh):
# oci-pod as the .deb installs it ($OCI_POD_DEB, which tests/run-tests builds; without it, `make
# install` of the build), a pod file in /etc/oci-pod/pods, and systemctl, machinectl and
# journalctl as an admin uses them; with the .deb, apt-get remove keeps the store and purge
# deletes it. Issue 5, "How it is shown to work".
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/systembox.sh"
. "$srcdir/tests/lib/images.sh"
. "$srcdir/tests/lib/registry.sh"

need_oci_pod
"$OCI_POD" pod --help >/dev/null 2>&1 || tap_skip_all "this oci-pod has no 'pod' command"
box_test_begin
if [ -n "${OCI_POD_DEB:-}" ]; then
    bin=/usr/bin/oci-pod
    cp "$OCI_POD_DEB" "$BOX_ROOT/var/tmp/oci-pod.deb"
    if box_run dpkg -i /var/tmp/oci-pod.deb >"$TEST_TMP/dpkg.out" 2>&1 ||
        box_run env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -q >>"$TEST_TMP/dpkg.out" 2>&1; then
        tap_ok "dpkg -i $(basename "$OCI_POD_DEB") (then apt-get -f install) in the box"
    else
        tap_bail "installing the .deb into the box failed: $(tail -n 20 "$TEST_TMP/dpkg.out")"
    fi
    tap_is "... its postinst made /var/lib/oci-pod and /run/oci-pod (systemd-tmpfiles), 0700" \
        "700 700" "$(box_run stat -c %a /var/lib/oci-pod /run/oci-pod | tr '\n' ' ' | sed 's/ $//')"
    tap_is "... and enabled oci-pod-gc.timer" "enabled" "$(box_run systemctl is-enabled oci-pod-gc.timer)"
else
    bin=/usr/local/bin/oci-pod
    box_install "$builddir" || tap_bail "make install into the box failed: $(tail -n 5 "$BOX_DIR/install.log")"
fi
box_run systemctl daemon-reload || tap_bail "systemctl daemon-reload failed in the box"

pod() { box_run "$bin" "$@"; }

# The web pod's image comes from docker-registry on 127.0.0.1 (the box shares the host's
# network), plain HTTP as registries.conf allows for a loopback registry marked insecure.
registry_start || tap_bail "cannot start docker-registry"
images_push busybox v1 "$REGISTRY_PORT" || tap_bail "cannot push the busybox image"
mkdir -p "$BOX_ROOT/etc/containers/registries.conf.d"
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REGISTRY_HOST" \
    >"$BOX_ROOT/etc/containers/registries.conf.d/oci-pod-test.conf"
web_image=$REGISTRY_HOST/busybox:v1
image=$(pod pull "oci:$layout:latest" 2>"$TEST_TMP/pull.err" | awk 'NR == 1 { print $1 }')
[ -n "$image" ] || tap_bail "oci-pod pull in the box failed: $(cat "$TEST_TMP/pull.err")"

state() { box_run systemctl show "$1" -p ActiveState --value; }
journal_lines() { box_run journalctl -q --no-pager -o cat -u "$1" 2>/dev/null | grep -c -- "$2"; }
journal_has() { [ "$(journal_lines "$1" "$2")" -ge 1 ]; }
machine_absent() { ! box_run machinectl show "$1" >/dev/null 2>&1; }

tap_is "the installed oci-pod@.service runs oci-pod run --pod" "$bin run --pod=%i" \
    "$(box_run systemctl cat oci-pod@.service 2>/dev/null | sed -n 's/^ExecStart=//p')"

box_run mkdir -p /etc/oci-pod/pods
# The app says hello once, then waits; SIGTERM (not trapped) ends it.
cat >"$BOX_ROOT/etc/oci-pod/pods/web.pod" <<EOF
# A test pod.
[Pod]
Image=$web_image
Exec=sh -c 'echo "hello from \$(hostname)"; trap "echo got-hup" HUP; while :; do sleep 1 & wait \$!; done'
HostName=webhost
Memory=64M
StopTimeout=20
EOF
tap_check "oci-pod pod validate web" pod pod validate web
tap_is "oci-pod pod list shows web, its image and an inactive service" "web $web_image inactive" \
    "$(pod pod list | awk '$1 == "web" { print $1, $2, $3 }')"

# --- start, machined, the journal ----------------------------------------------------------
if box_run timeout 60 systemctl start oci-pod@web >"$TEST_TMP/start.out" 2>&1; then
    tap_ok "systemctl start oci-pod@web"
else
    tap_not_ok "systemctl start oci-pod@web" "$(cat "$TEST_TMP/start.out"; box_run journalctl -q --no-pager -n 20 -u oci-pod@web)"
fi
tap_is "... the unit is active once start returns (Type=notify)" "active" "$(state oci-pod@web.service)"
tap_is "... its first start pulled the image from the registry" "$web_image" \
    "$(pod images --json | json_query "' '.join(i['name'] for i in j if i['name'] == '$web_image')")"
tap_is "... (the registry served its manifest)" "yes" \
    "$(grep -q 'GET /v2/busybox/manifests/v1' "$REGISTRY_LOG" && echo yes)"
tap_is "machinectl list shows web: class container, service oci-pod" "web container oci-pod" \
    "$(box_run machinectl list --no-legend | awk '$1 == "web" { print $1, $2, $3 }')"
tap_is "machinectl show web -p Unit: oci-pod@web.service" "oci-pod@web.service" \
    "$(box_run machinectl show web -p Unit --value)"
tap_is "the pod file's Memory= is the unit's MemoryMax" "67108864" \
    "$(box_run systemctl show oci-pod@web.service -p MemoryMax --value)"
leader1=$(box_run machinectl show web -p Leader --value)
tap_is "the pod's init is in the unit's payload cgroup" "yes" \
    "$(box_run grep -q 'oci-pod@web\.service/payload' "/proc/$leader1/cgroup" && echo yes)"
wait_for journal_has oci-pod@web.service "hello from webhost"
tap_is "journalctl -u oci-pod@web has the app's output exactly once" "1" \
    "$(journal_lines oci-pod@web.service "hello from webhost")"
tap_is "... under the pod's name as its identifier (journalctl -t web)" "1" \
    "$(box_run journalctl -q --no-pager -o cat -u oci-pod@web.service -t web | grep -c "hello from webhost")"
tap_is "oci-pod pod list shows the service active" "web active" \
    "$(pod pod list | awk '$1 == "web" { print $1, $3 }')"

box_run systemctl kill --signal=HUP oci-pod@web
wait_for journal_has oci-pod@web.service got-hup
tap_is "systemctl kill --signal=HUP oci-pod@web reaches the app" "yes" \
    "$(journal_has oci-pod@web.service got-hup && echo yes)"
sleep 1
tap_is "... and leaves the pod running (a reload, not a stop)" "active $leader1" \
    "$(state oci-pod@web.service) $(box_run machinectl show web -p Leader --value)"

# --- restart gives a fresh pod, stop stops it --------------------------------------------
tap_check "systemctl restart oci-pod@web" box_run timeout 60 systemctl restart oci-pod@web
leader2=$(box_run machinectl show web -p Leader --value)
tap_is "... a new leader" "yes" "$([ -n "$leader2" ] && [ "$leader2" != "$leader1" ] && echo yes)"
tap_check "systemctl stop oci-pod@web" box_run timeout 60 systemctl stop oci-pod@web
tap_is "... the unit is inactive, not failed (the stop signal ended the app)" "inactive" \
    "$(state oci-pod@web.service)"
tap_is "... and the machine is gone" "yes" "$(machine_absent web && echo yes)"

# --- machinectl terminate stops the service ----------------------------------------------
box_run timeout 60 systemctl start oci-pod@web
wait_for box_run machinectl show web
box_run machinectl terminate web
wait_for sh -c "[ \"\$(box_run systemctl show oci-pod@web.service -p ActiveState --value)\" = inactive ]"
tap_is "machinectl terminate web makes the unit inactive" "inactive" "$(state oci-pod@web.service)"
tap_is "... and leaves no pod state behind" "" "$(pod ps -a --json | json_query "[p['name'] for p in j if p['name'] == 'web']" 2>/dev/null | tr -d '[]"' )"

# --- a bad pod file fails the start, and the journal says where ------------------------------
cat >"$BOX_ROOT/etc/oci-pod/pods/typo.pod" <<EOF
[Pod]
Image=$image
Memroy=64M
EOF
tap_check_fails "systemctl start oci-pod@typo fails for an unknown key" \
    box_run timeout 60 systemctl start oci-pod@typo
tap_is "... the unit is failed" "failed" "$(state oci-pod@typo.service)"
wait_for journal_has oci-pod@typo.service "Memroy"
tap_is "... and journalctl names the file, the line and the key" "1" \
    "$(journal_lines oci-pod@typo.service "/etc/oci-pod/pods/typo.pod:3: unknown key 'Memroy' in section \[Pod\]")"
tap_check_error "oci-pod pod validate typo names the same" pod pod validate typo
box_run systemctl reset-failed oci-pod@typo.service >/dev/null 2>&1

# --- a drop-in changes the pod -------------------------------------------------------------
box_run mkdir -p /etc/oci-pod/pods/web.pod.d
printf '[Pod]\nMemory=32M\n' >"$BOX_ROOT/etc/oci-pod/pods/web.pod.d/10-memory.conf"
box_run timeout 60 systemctl start oci-pod@web
tap_is "a drop-in's Memory= overrides the pod file's" "33554432" \
    "$(box_run systemctl show oci-pod@web.service -p MemoryMax --value)"
box_run timeout 60 systemctl stop oci-pod@web

# --- Notify=yes: the unit is active when the application says so ---------------------------
# The probe (tests/fixtures/runtime_probe.c, static) reaches the pods through a volume.
mkdir -p "$BOX_ROOT/opt/probe"
gcc -static -O1 -o "$BOX_ROOT/opt/probe/probe" "$srcdir/tests/fixtures/runtime_probe.c" ||
    tap_bail "cannot build the static probe (gcc -static)"
cat >"$BOX_ROOT/etc/oci-pod/pods/ready.pod" <<EOF
[Pod]
Image=$image
Volume=/opt/probe:/probe:ro
Exec=/probe/probe notify 3 "STATUS=warmed up\nREADY=1\nMAINPID=1"
Notify=yes
EOF
started=$(date +%s%N)
box_run timeout 60 systemctl start --no-block oci-pod@ready
sleep 1
tap_is "Notify=yes: one second in, before the application's READY=1, the unit is activating" \
    "activating" "$(state oci-pod@ready.service)"
wait_for sh -c "[ \"\$(box_run systemctl show oci-pod@ready.service -p ActiveState --value)\" = active ]"
waited=$((($(date +%s%N) - started) / 1000000))
tap_is "... and active after the application's READY=1 (3 s in)" "active" "$(state oci-pod@ready.service)"
tap_is "... not before" "yes" "$([ "$waited" -ge 2900 ] && echo yes || echo "after $waited ms")"
tap_is "... its STATUS= reaches the unit" "warmed up" \
    "$(box_run systemctl show oci-pod@ready.service -p StatusText --value)"
main=$(box_run systemctl show oci-pod@ready.service -p MainPID --value)
tap_is "... its MAINPID= does not: the main process is still oci-pod" "oci-pod" \
    "$(box_run cat "/proc/$main/comm" 2>&1)"
box_run timeout 60 systemctl stop oci-pod@ready

# --- socket activation: the socket unit's fd reaches the application -----------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$BOX_ROOT/etc/systemd/system/oci-pod@sock.socket" <<EOF
[Socket]
ListenStream=127.0.0.1:$port
FileDescriptorName=web
EOF
cat >"$BOX_ROOT/etc/oci-pod/pods/sock.pod" <<EOF
[Pod]
Image=$image
Volume=/opt/probe:/probe:ro
Exec=/probe/probe serve-fd3
EOF
box_run systemctl daemon-reload
tap_check "systemctl start oci-pod@sock.socket" box_run systemctl start oci-pod@sock.socket
reply=$(python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.settimeout(30)
print(s.makefile().readline().strip())' "$port" 2>&1)
tap_is "a connection starts oci-pod@sock.service; the application answers on fd 3" \
    "pid=2 LISTEN_PID=2 LISTEN_FDS=1 LISTEN_FDNAMES=web" "$reply"
tap_is "... the service is active" "active" "$(state oci-pod@sock.service)"
box_run systemctl stop oci-pod@sock.socket oci-pod@sock.service

# --- the collector: oci-pod-gc.service (sandboxed) and its timer ------------------------------
tap_check "systemctl enable --now oci-pod-gc.timer" box_run systemctl enable --now oci-pod-gc.timer
tap_is "systemctl list-timers shows oci-pod-gc.timer" "oci-pod-gc.timer" \
    "$(box_run systemctl list-timers --all --no-legend | grep -o 'oci-pod-gc\.timer' | head -n 1)"
store_blobs() { box_run find /var/lib/oci-pod/store/blobs -type f | sort; }
blobs_before=$(store_blobs)
pod pull -q "oci:$(images_layout multilayer):latest" >/dev/null
pod rmi localhost/multilayer >/dev/null
tap_is "a second image pulled and removed leaves blobs behind" "yes" \
    "$([ "$(store_blobs | wc -l)" -gt "$(echo "$blobs_before" | wc -l)" ] && echo yes)"
tap_check "systemctl start oci-pod-gc.service" box_run timeout 120 systemctl start oci-pod-gc.service
tap_is "... frees exactly the removed image's unshared blobs" "$blobs_before" "$(store_blobs)"
tap_is "... and says so in the journal" "yes" \
    "$(box_run journalctl -q --no-pager -o cat -u oci-pod-gc.service | grep -q '^Freed ' && echo yes)"

# --- remove keeps the store, purge deletes it ------------------------------------------------
if [ -n "${OCI_POD_DEB:-}" ]; then
    box_run env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q oci-pod >"$TEST_TMP/remove.out" 2>&1
    tap_is "apt-get remove oci-pod removes the program" "gone" \
        "$(box_run test -e /usr/bin/oci-pod && echo still there || echo gone)"
    tap_is "... and keeps the store with its images" "yes" \
        "$(box_run test -s /var/lib/oci-pod/store/index.json && echo yes)"
    box_run env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q oci-pod >"$TEST_TMP/purge.out" 2>&1
    tap_is "apt-get purge oci-pod deletes /var/lib/oci-pod" "gone" \
        "$(box_run test -e /var/lib/oci-pod && echo still there || echo gone)"
else
    tap_skip "apt-get remove and purge" "no .deb to install (tests/run-tests builds one and sets OCI_POD_DEB)"
fi

tap_done
