#!/bin/bash
# oci-pod run / ps / status / stop / kill / rm / enter / logs end to end on a host without
# systemd as PID 1 (the no-systemd model: foreground pods run in this process, -d leaves a
# monitor process that keeps the pod's log and records its exit), from the busybox test image:
# exit codes pass through, records and refusals, the pod options landing in config.json and
# visible inside, and --rm / rm leaving nothing behind. The systemd model is tested in the box.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_root
need_command python3
[ -d /run/systemd/system ] && tap_skip_all "systemd is PID 1 here: this script tests the model without it"
images_build || tap_bail "cannot build the test images"
unset OCI_POD_ROOT NOTIFY_SOCKET INVOCATION_ID

ROOT=$TEST_TMP/root
busybox=$(images_layout busybox)
pod() { "$OCI_POD" --root "$ROOT" "$@"; }
# Stop whatever a failing test left running, then unmount what is left under TEST_TMP.
at_exit "awk -v t='$TEST_TMP/' 'index(\$5, t) == 1 { print \$5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"
at_exit "for n in \$(ls '$ROOT/pods' 2>/dev/null); do '$OCI_POD' --root '$ROOT' rm -f \$n; done"
status_of() {
    local rc=0
    "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null || rc=$?
    echo "$rc"
}
mounts_under() { awk -v t="$1" 'index($5, t) == 1' /proc/self/mountinfo | wc -l; }

tap_check "pull the busybox image" pod pull -q "oci:$busybox:latest"
IMG=oci:$busybox:latest

# --- help ---
for c in run ps status stop kill rm enter logs; do
    tap_check "$c --help exits 0" "$OCI_POD" "$c" --help
done

# --- foreground runs: output, exit codes, --rm ---
tap_is "run --rm echo prints its output" "hello" "$(pod run --rm -q "$IMG" echo hello 2>&1)"
rc=$(status_of pod run --rm -q "$IMG" sh -c 'exit 7')
tap_is "the application's exit code passes through" 7 "$rc"
rc=$(status_of pod run --rm -q "$IMG" sh -c 'kill -TERM $$')
tap_is "a signal ends it with 128+N" 143 "$rc"
tap_is "--rm leaves no pod behind" "" "$(ls "$ROOT/pods" 2>/dev/null)"
tap_is "--rm leaves no mount behind" 0 "$(mounts_under "$ROOT/")"
# A relative --root is the directory below the caller's cwd, for the store and the pod's state.
rel_name=relroot-$$
tap_is "run --rm with a relative --root works" "hello" \
    "$(cd "$TEST_TMP" && "$OCI_POD" --root root run --rm -q --name "$rel_name" "$IMG" echo hello 2>&1)"
tap_is "... and creates nothing outside it" "" "$(ls -d "/root/run/pods/$rel_name" 2>/dev/null)"
# Durability: a pod removed when it ends keeps nothing across a power loss, so its start syncs
# only bundle.json (which undoes a half-made bundle after a crash); a named pod's record is
# synced too.
fsyncs() { strace -f -qq -e trace=fsync,fdatasync -o "$TEST_TMP/fsyncs" "$@" >/dev/null 2>&1; grep -c 'sync(' "$TEST_TMP/fsyncs"; }
if command -v strace >/dev/null; then
    tap_is "run --rm syncs only bundle.json (file and directory)" 2 "$(fsyncs "$OCI_POD" --root "$ROOT" run --rm -q "$IMG" true)"
    n=$(fsyncs "$OCI_POD" --root "$ROOT" run --name synced -q "$IMG" true)
    if [ "$n" -gt 2 ]; then tap_ok "a named pod's record is synced ($n fsyncs)"; else
        tap_not_ok "a named pod's record is synced" "$n fsyncs"; fi
    pod rm synced >/dev/null 2>&1
else
    tap_skip "run --rm syncs only bundle.json (file and directory)" "no strace (apt-get install strace)"
    tap_skip "a named pod's record is synced" "no strace (apt-get install strace)"
fi
# libcurl and libarchive are loaded on first use: a run of a stored image, whose layers are
# extracted already, loads neither (the dynamic loader lists every object it maps).
tap_is "run of a stored image loads neither libcurl nor libarchive" "" \
    "$(LD_DEBUG=files "$OCI_POD" --root "$ROOT" run --rm -q "$IMG" true 2>&1 >/dev/null |
        grep -oE 'file=lib(curl|archive)[^ ]*' | sort -u)"

rc=$(status_of pod run --name exited1 -q "$IMG" sh -c 'exit 3')
tap_is "run --name exited1 exits 3" 3 "$rc"
tap_is "ps without -a does not show an exited pod" "" "$(pod ps | awk 'NR > 1 && $1 == "exited1"')"
tap_is "ps -a shows it exited with its code" 1 \
    "$(pod ps -a | awk '$1 == "exited1" && $3 == "exited"' | grep -c 'Exited (3) ')"
tap_is "ps -a --json has its exit code" 3 \
    "$(pod ps -a --json | json_query "[p['exitCode'] for p in j if p['name'] == 'exited1'][0]")"
tap_is "status --json: state exited" exited "$(pod status --json exited1 | json_query "j['state']")"
tap_check_error "run --name exited1 again is refused" pod run --name exited1 -q "$IMG" true
tap_is "... like podman" "oci-pod: pod 'exited1' exists; remove it with 'oci-pod rm exited1'" \
    "$(cat "$TEST_TMP/last.err")"
tap_check_error "an invalid name is refused" pod run --name -bad -q "$IMG" true
tap_check_error "a missing image with --pull never is refused" pod run --pull never --name x1 -q nothere:1 true
tap_is "... leaving no pod" "" "$(ls "$ROOT/pods" | grep -x x1)"
rc=$(status_of pod run --rm -q "$IMG" /no/such/program)
tap_is "a command that does not exist: exit 127" 127 "$rc"
tap_is "... with one error line naming it" 1 "$(grep -c "'/no/such/program'" "$TEST_TMP/err")"
tap_check "rm removes an exited pod" pod rm exited1
tap_is "... its directory is gone" "" "$(ls "$ROOT/pods" | grep -x exited1)"
tap_check_error "rm of an unknown pod fails" pod rm exited1
# Several names: each is tried; one unknown name fails the command with one line for it, and
# the others are still removed.
pod run --name many1 -q "$IMG" true >/dev/null 2>&1
pod run --name many2 -q "$IMG" true >/dev/null 2>&1
rc=$(status_of pod rm many1 nosuch many2)
tap_is "rm NAME... removes every pod it can, and fails for the one it cannot" \
    "1 / 1 error line / " "$rc / $(grep -c . "$TEST_TMP/err") error line / $(ls "$ROOT/pods" | grep -x 'many[12]')"

# --- pod options land in config.json and inside ---
mkdir -p "$TEST_TMP/vol" && echo from-host >"$TEST_TMP/vol/file"
rc=$(status_of pod run --name opts -q --memory 64M --cpus 0.5 --pids-limit 50 --cap-drop net_raw \
    --cap-add sys_time -v "$TEST_TMP/vol:/data:ro" --tmpfs /scratch --hostname podhost \
    --stop-signal SIGINT "$IMG" sh -c 'cat /data/file; hostname; mount | grep -c " /scratch type tmpfs"; touch /data/x 2>/dev/null && echo rw || echo ro')
tap_is "run with options exits 0" 0 "$rc"
if [ -d /run/systemd/system ]; then
    tap_skip "without systemd, unenforced limits are named in a warning" "systemd runs this host"
else
    tap_is "without systemd, unenforced limits are named in a warning" 1 \
        "$(grep -c "^oci-pod: pod 'opts': .*memory, CPU, pids and I/O limits are not enforced" "$TEST_TMP/err")"
    # ... when the pod starts, not when it ends: the warning is already there while it runs.
    "$OCI_POD" --root "$ROOT" run --rm -q --memory 64M "$IMG" sh -c 'sleep 30' >/dev/null 2>"$TEST_TMP/early.err" </dev/null &
    early=$!
    for _ in $(seq 100); do
        grep -q "limits are not enforced" "$TEST_TMP/early.err" && break
        sleep 0.1
    done
    tap_is "... printed when the pod starts, while it runs" "1 running" \
        "$(grep -c "limits are not enforced" "$TEST_TMP/early.err") $(kill -0 "$early" 2>/dev/null && echo running)"
    kill -TERM "$early" 2>/dev/null
    wait "$early" 2>/dev/null
fi
tap_is "-v, hostname, --tmpfs and :ro are visible inside" "from-host podhost 1 ro" \
    "$(tr '\n' ' ' <"$TEST_TMP/out" | sed 's/ $//')"
cfg=$ROOT/pods/opts/bundle/config.json
tap_is "--memory/--cpus/--pids-limit land in linux.resources" "67108864 50000 100000 50" \
    "$(json_query "'%d %d %d %d' % (j['linux']['resources']['memory']['limit'], j['linux']['resources']['cpu']['quota'], j['linux']['resources']['cpu']['period'], j['linux']['resources']['pids']['limit'])" "$cfg")"
tap_is "--cap-add/--cap-drop change the bounding set" "False True" \
    "$(json_query "'%s %s' % ('CAP_NET_RAW' in j['process']['capabilities']['bounding'], 'CAP_SYS_TIME' in j['process']['capabilities']['bounding'])" "$cfg")"
tap_is "--stop-signal is the annotation" SIGINT \
    "$(json_query "j['annotations']['org.opencontainers.image.stopSignal']" "$cfg")"
pod rm opts >/dev/null 2>&1
rc=$(status_of pod run --rm -q --network host "$IMG" sh -c 'readlink /proc/self/ns/net')
tap_is "--network host shares the host's network namespace" "$(readlink /proc/self/ns/net)" \
    "$(cat "$TEST_TMP/out")"

# --- the default seccomp filter, and --seccomp unconfined ---
# A user namespace needs no capability, so only the filter stands between the pod and one (and
# the CAP_SYS_ADMIN it would hold there).
probe='grep "^Seccomp:" /proc/self/status | tr -d "\t"; unshare -U true 2>/dev/null && echo userns || echo no-userns'
tap_is "pods run under the default seccomp filter: no user namespace" "Seccomp:2 no-userns" \
    "$(pod run --rm -q "$IMG" sh -c "$probe" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
tap_is "--seccomp unconfined: no filter" "Seccomp:0 userns" \
    "$(pod run --rm -q --seccomp unconfined "$IMG" sh -c "$probe" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
tap_is "--cap-add SYS_ADMIN lifts the namespace rules, not the filter" "Seccomp:2 userns" \
    "$(pod run --rm -q --cap-add SYS_ADMIN "$IMG" sh -c "$probe" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
tap_check_error "--seccomp takes default or unconfined" pod run --rm -q --seccomp strict "$IMG" true

# --- detached without systemd: monitor, ps, logs, enter, kill, stop ---
tap_is "run -d prints the name" web \
    "$(pod run -d --name web -q "$IMG" sh -c 'echo started; trap "echo bye; exit 0" INT TERM; while :; do sleep 0.2; done' 2>&1)"
for _ in $(seq 100); do grep -q started "$ROOT/pods/web/log" 2>/dev/null && break; sleep 0.1; done
tap_is "ps shows web running" running "$(pod ps | awk '$1 == "web" { print $3 }')"
pid=$(pod status --json web | json_query "j['pid']")
[ "$pid" -gt 0 ] 2>/dev/null && tap_ok "status has the pod's init pid" || tap_not_ok "status has the pod's init pid" "$pid"
tap_is "logs shows its output" started "$(pod logs web)"
# machinectl kill (--kill-whom=all) and kill(1) on the unit reach the runner too: a signal
# meant for the application must not end the runner (and with it the pod's record).
runner=$(cat "$ROOT/run/pods/web/lock" 2>/dev/null)
for s in USR1 USR2 QUIT PIPE ALRM; do kill -s "$s" "$runner" 2>/dev/null; done
# Until the runner has taken them (none pending) or is gone.
for _ in $(seq 100); do
    grep -qE '^(SigPnd|ShdPnd):\s*0+$' "/proc/$runner/status" 2>/dev/null &&
        [ "$(grep -cE '^(SigPnd|ShdPnd):\s*0+$' "/proc/$runner/status")" = 2 ] && break
    [ -e "/proc/$runner" ] || break
    sleep 0.1
done
tap_is "SIGUSR1, SIGUSR2, SIGQUIT, SIGPIPE and SIGALRM to the runner leave web running" \
    "running $runner" "$(pod ps | awk '$1 == "web" { print $3 }') $(cat "$ROOT/run/pods/web/lock" 2>/dev/null)"
tap_check_error "a second run --name web is refused" pod run --name web -q "$IMG" true
tap_is "... saying it runs" "oci-pod: pod 'web' is already running, refusing" "$(cat "$TEST_TMP/last.err")"
tap_check_error "rm of a running pod without -f is refused" pod rm web
tap_is "enter runs a command in the pod (its host name)" web \
    "$(pod enter web cat /proc/sys/kernel/hostname </dev/null)"
tap_is "enter sees the pod's pid 1" "1" "$(pod enter web sh -c 'cat /proc/1/stat | cut -d" " -f1' </dev/null)"
tap_is "enter passes the exit code" 5 "$(status_of pod enter web sh -c 'exit 5')"
tap_is "enter's command has the pod's environment" \
    "$(json_query "[e for e in j['process']['env'] if e.startswith('PATH=')][0]" "$ROOT/pods/web/bundle/config.json")" \
    "$(pod enter web sh -c 'echo PATH=$PATH' </dev/null)"
tap_is "enter's command has no inheritable or ambient caps" "0000000000000000 0000000000000000" \
    "$(pod enter web sh -c 'grep -E "^Cap(Inh|Amb)" /proc/self/status' </dev/null | awk '{ printf "%s%s", sep, $2; sep=" " }')"
# From a terminal (script(1) gives one), enter's command gets a new pty of the pod's own devpts,
# never the caller's terminal; without one it gets none.
if command -v script >/dev/null; then
    tap_is "enter from a terminal: a pty of the pod's devpts" "/dev/pts/0" \
        "$(script -qec "'$OCI_POD' --root '$ROOT' enter web busybox tty" /dev/null </dev/null | tr -d '\r\0^@' | grep -o '/dev/pts/[0-9]*')"
else
    tap_skip "enter from a terminal: a pty of the pod's devpts" "no script(1) (apt-get install bsdutils)"
fi
tap_is "enter without a terminal: none" "not a tty" "$(pod enter web busybox tty </dev/null)"
tap_check "stop web" pod stop web
tap_is "ps -a: web exited 0 (its trap ran)" "exited 0" \
    "$(pod ps -a --json | json_query "[p['state'] + ' ' + str(p['exitCode']) for p in j if p['name'] == 'web'][0]")"
tap_is "logs has the trap's output" "started bye" "$(pod logs web | tr '\n' ' ' | sed 's/ $//')"
tap_check "rm web" pod rm web

pod run -d --name victim -q "$IMG" sh -c 'trap "" TERM; while :; do sleep 0.2; done' >/dev/null 2>&1
for _ in $(seq 100); do [ "$(pod ps | awk '$1 == "victim" { print $3 }')" = running ] && break; sleep 0.1; done
tap_check "kill -s KILL victim" pod kill -s KILL victim
for _ in $(seq 100); do [ "$(pod ps -a | awk '$1 == "victim" { print $3 }')" = exited ] && break; sleep 0.1; done
tap_is "killed: exit 137" 137 "$(pod status --json victim | json_query "j.get('exitCode')")"
pod rm victim >/dev/null 2>&1

# stop of several pods: each stopped, and an unknown name is one error line and exit 1.
for n in s1 s2; do pod run -d --name "$n" -q "$IMG" sleep 60 >/dev/null 2>&1; done
for _ in $(seq 100); do [ "$(pod ps | awk '$3 == "running" && ($1 == "s1" || $1 == "s2")' | wc -l)" = 2 ] && break; sleep 0.1; done
rc=$(status_of pod stop -t 1 s1 nosuch s2)
tap_is "stop NAME... stops every pod it can, and fails for the one it cannot" "1 / 1 error line / 0 running" \
    "$rc / $(grep -c . "$TEST_TMP/err") error line / $(pod ps | awk '$1 == "s1" || $1 == "s2"' | wc -l) running"
pod rm s1 s2 >/dev/null 2>&1

pod run -d --name stubborn --stop-timeout 1 -q "$IMG" sh -c 'trap "" TERM INT; while :; do sleep 0.2; done' >/dev/null 2>&1
for _ in $(seq 100); do [ "$(pod ps | awk '$1 == "stubborn" { print $3 }')" = running ] && break; sleep 0.1; done
tap_check "stop of a pod that ignores SIGTERM ends it (SIGKILL after the timeout)" pod stop -t 1 stubborn
tap_is "... exit 137" 137 "$(pod status --json stubborn | json_query "j.get('exitCode')")"
tap_check "rm -f of an exited pod" pod rm -f stubborn

pod run -d --rm --name gone -q "$IMG" sleep 0.2 >/dev/null 2>&1
for _ in $(seq 100); do [ -e "$ROOT/pods/gone" ] || break; sleep 0.1; done
tap_is "-d --rm removes the pod when it ends" "" "$(ls "$ROOT/pods")"
tap_is "nothing is left mounted" 0 "$(mounts_under "$ROOT/")"

tap_done
