#!/bin/bash
# oci-pod-runner's command line on a busybox bundle: run's exit statuses, the create / start /
# state / kill / delete lifecycle and its state directory, refusals as one "oci-pod-runner:" line
# with nothing left behind, and the pod's PID 1 being the sealed copy of the runner.
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/bundles.sh"

need_root
command -v "$OCI_POD_RUNNER" >/dev/null 2>&1 || tap_skip_all "oci-pod-runner is not built"
need_command gcc python3

ROOT=$TEST_TMP/state
runner() { "$OCI_POD_RUNNER" --root "$ROOT" "$@"; }
B=$TEST_TMP/bundle
bundle_make "$B" -- /bin/true || tap_bail "cannot build the busybox bundle"

# run_status ARGS...: the exit status of `run` of a bundle whose config runs ARGS.
run_status() {
    local rc=0
    bundle_config "$B" -- "$@" || return 99
    runner run --no-machine --bundle "$B" rs </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    echo "$rc"
}

# runner_error DESC CMD...: fails with exactly one stderr line that starts "oci-pod-runner:";
# the line is left in $TEST_TMP/last.err.
runner_error() {
    local desc=$1 rc=0 lines
    shift
    "$@" >"$TEST_TMP/last.out" 2>"$TEST_TMP/last.err" </dev/null || rc=$?
    lines=$(wc -l <"$TEST_TMP/last.err")
    if [ "$rc" -eq 0 ]; then
        tap_not_ok "$desc" "unexpected success"
    elif [ "$lines" -ne 1 ] || [ "$(head -c 15 "$TEST_TMP/last.err")" != "oci-pod-runner:" ]; then
        tap_not_ok "$desc" "exit $rc, stderr is not one 'oci-pod-runner:' line:
$(cat "$TEST_TMP/last.err")"
    else
        tap_ok "$desc"
    fi
}

state_of() { runner state "$1" | json_query 'j["status"]'; }

# wait_status ID STATUS: poll until the state says STATUS (at most ~20 s; not a timing check).
wait_status() {
    local i
    for i in $(seq 200); do
        [ "$(state_of "$1" 2>/dev/null)" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

tap_check "--help prints the usage" runner --help
tap_is "--version names the runner" "oci-pod-runner" "$(runner --version | cut -d' ' -f1)"

# --- run: the application's exit status
tap_is "run /bin/true exits 0" 0 "$(run_status /bin/true)"
tap_is "run sh -c 'exit 7' exits 7" 7 "$(run_status /bin/sh -c 'exit 7')"
tap_is "an application killed by SIGTERM gives 143" 143 \
    "$(run_status /bin/sh -c 'kill -TERM $$; sleep 5')"
tap_is "a missing program gives 127" 127 "$(run_status /no/such/program)"
tap_check "... with one line naming it" grep -q "'/no/such/program'" "$TEST_TMP/err"
tap_is "run leaves no state directory" "" "$(ls -A "$ROOT" 2>/dev/null)"

bundle_config "$B" --hostname podhost -- /bin/hostname
runner run --no-machine --bundle "$B" hn </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
tap_is "the pod's hostname is config.json's" podhost "$(cat "$TEST_TMP/out")"

# linux.sysctl is written after pivot_root, before /proc/sys turns read-only.
bundle_config "$B" -- /bin/cat /proc/sys/kernel/shmmax
python3 - "$B/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["sysctl"] = {"kernel.shmmax": "12345"}
json.dump(c, open(sys.argv[1], "w"))
PY
runner run --no-machine --bundle "$B" sysctl </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
tap_is "linux.sysctl reaches the pod's ipc namespace" 12345 "$(cat "$TEST_TMP/out")"

# The init is not dumpable: only with CAP_SYS_PTRACE can the application read its exe link.
# PID 1 runs from a read-only view of the runner (or a sealed memfd copy): its exe link names
# neither the host binary's path nor anything that opens for writing.
bundle_config "$B" --cap-add CAP_SYS_PTRACE -- /bin/sh -c 'readlink /proc/1/exe; echo x >>/proc/1/exe && echo WRITTEN'
runner run --no-machine --bundle "$B" exe </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
host_runner=$(readlink -f "$OCI_POD_RUNNER")
case $(head -n 1 "$TEST_TMP/out") in
"" | "$host_runner" | "$host_runner "*) tap_not_ok "the pod's PID 1 does not run from the host binary" "$(cat "$TEST_TMP/out" "$TEST_TMP/err")" ;;
*) tap_ok "the pod's PID 1 does not run from the host binary ($(head -n 1 "$TEST_TMP/out"))" ;;
esac
tap_is "the pod's PID 1 exe cannot be written, even with CAP_SYS_PTRACE" "" \
    "$(grep -x WRITTEN "$TEST_TMP/out")"
bundle_config "$B" -- /bin/readlink /proc/1/exe
rc=0
runner run --no-machine --bundle "$B" exe </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
tap_is "without CAP_SYS_PTRACE the application cannot read PID 1's exe link" "1 " \
    "$rc $(cat "$TEST_TMP/out")"

bundle_config "$B" -- /bin/sh -c 'echo $$ $PATH'
runner run --no-machine --bundle "$B" pid1 </dev/null >"$TEST_TMP/out" 2>&1
tap_is "the application is PID 2 under the stub init, with the config's PATH" \
    "2 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$(cat "$TEST_TMP/out")"

# run stops the pod when it is asked to: the stop signal, forwarded by the stub init.
bundle_config "$B" -- /bin/sleep 100
"$OCI_POD_RUNNER" --root "$ROOT" run --no-machine --bundle "$B" stopme </dev/null >/dev/null 2>&1 &
runner_pid=$!
wait_status stopme running || tap_not_ok "the pod to stop is running" "$(runner state stopme 2>&1)"
kill -TERM "$runner_pid"
rc=0
wait "$runner_pid" || rc=$?
tap_is "SIGTERM to run stops the pod with SIGTERM (143)" 143 "$rc"

# A terminal without --console-socket: run proxies its own stdin/stdout to the pod's pty.
bundle_config "$B" -- /bin/sh -c 'tty; exit 3'
python3 - "$B/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = True
json.dump(c, open(sys.argv[1], "w"))
PY
rc=0
runner run --no-machine --bundle "$B" --status-file "$TEST_TMP/status.json" tty1 </dev/null \
    >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
tap_is "a terminal pod's exit status comes through" 3 "$rc"
tap_is "its stdout is the pod's pty" /dev/pts/0 "$(tr -d '\r' <"$TEST_TMP/out")"
tap_is "the status file has the exit code" "3 None" \
    "$(json_query 'str(j["exitCode"]) + " " + str(j["signal"])' "$TEST_TMP/status.json")"
runner_error "create of a terminal pod without --console-socket is refused" \
    runner create --no-machine --bundle "$B" tty2
tap_check "... naming the field" grep -q "'process.terminal'" "$TEST_TMP/last.err"

# --- the lifecycle
bundle_config "$B" -- /bin/sleep 100
runner create --no-machine --bundle "$B" --pid-file "$TEST_TMP/pid" c1 </dev/null >/dev/null 2>"$TEST_TMP/err"
tap_is "create succeeds" "" "$(cat "$TEST_TMP/err")"
tap_is "state says created" created "$(state_of c1)"
pid=$(runner state c1 | json_query 'j["pid"]')
tap_is "state has the pid of the pid file" "$(cat "$TEST_TMP/pid" 2>/dev/null)" "$pid"
tap_is "state has the bundle" "$(cd "$B" && pwd -P)" "$(runner state c1 | json_query 'j["bundle"]')"
tap_check "the state directory is 0700" test "$(stat -c %a "$ROOT/c1")" = 700
tap_check "the init is alive, waiting" kill -0 "$pid"
case $(readlink "/proc/$pid/exe") in
"" | "$host_runner" | "$host_runner "*) tap_not_ok "the waiting init's exe is not the host binary" "$(readlink "/proc/$pid/exe")" ;;
*) tap_ok "the waiting init's exe is not the host binary" ;;
esac
tap_check_fails "the waiting init's exe does not open for writing from the host either" \
    sh -c "echo x >>/proc/$pid/exe"
runner_error "a second create of the same ID is refused" \
    runner create --no-machine --bundle "$B" c1
tap_check "... naming it" grep -q "'c1' already exists" "$TEST_TMP/last.err"
tap_check "start succeeds" runner start c1
tap_is "state says running" running "$(state_of c1)"
tap_check "the application runs in the pod" \
    sh -c "cat /proc/$pid/task/$pid/children | grep -q ."
runner_error "delete of a running pod is refused" runner delete c1
tap_check "... and the pod still runs" kill -0 "$pid"
tap_check "kill sends the signal" runner kill c1 KILL
tap_check "state then says stopped" wait_status c1 stopped
tap_check "delete succeeds" runner delete c1
tap_check "the state directory is gone" test ! -e "$ROOT/c1"
runner_error "state of a deleted pod fails" runner state c1

runner create --no-machine --bundle "$B" c2 </dev/null >/dev/null 2>&1
pid=$(runner state c2 | json_query 'j["pid"]')
runner start c2
tap_check "kill by name (TERM) works" runner kill c2 TERM
tap_check "... and the pod stops" wait_status c2 stopped
runner delete c2

# linux.namespaces with a path joins that namespace: a pod whose pid namespace is another pod's
# sees that pod's processes, and is not PID 1 or 2 there.
bundle_config "$B" -- /bin/sleep 60
runner create --no-machine --bundle "$B" --pid-file "$TEST_TMP/host.pid" host </dev/null >/dev/null 2>&1
runner start host
BJ=$TEST_TMP/bundle-join
bundle_make "$BJ" --namespace "pid=/proc/$(cat "$TEST_TMP/host.pid")/ns/pid" -- \
    /bin/sh -c 'grep -lx sleep /proc/[0-9]*/comm | wc -l; [ $$ -gt 2 ] && echo not-pid-1-or-2'
tap_is "a pod joining another pod's pid namespace by path sees its process" \
    "1 not-pid-1-or-2" "$(runner run --no-machine --bundle "$BJ" joiner </dev/null 2>&1 | tr '\n' ' ' | sed 's/ $//')"
runner delete --force host >/dev/null 2>&1

# A stop signal sent while the pod is created but not started is kept, not dropped (a pid
# namespace's init drops signals it has no handler for): the application gets it when it starts.
bundle_config "$B" -- /bin/sleep 60
runner create --no-machine --bundle "$B" early </dev/null >/dev/null 2>&1
tap_check "kill TERM of a created pod is accepted" runner kill early TERM
sleep 0.2
runner start early
tap_check "... and the application, started after it, ends with it" wait_status early stopped
runner delete --force early >/dev/null 2>&1

runner create --no-machine --bundle "$B" c3 </dev/null >/dev/null 2>&1
runner start c3
tap_check "delete --force kills a running pod" runner delete --force c3
tap_check "... and removes its state" test ! -e "$ROOT/c3"

runner create --no-machine --bundle "$B" c4 </dev/null >/dev/null 2>&1
pid=$(runner state c4 | json_query 'j["pid"]')
tap_check "delete of a created pod (never started) works" runner delete c4
# Gone, or a zombie its new parent has not reaped yet: either way it has exited.
tap_check "... and its init is gone" \
    sh -c "! kill -0 $pid 2>/dev/null || grep -q '^$pid (.*) Z ' /proc/$pid/stat"

# --- HOME from the pod's /etc/passwd when process.env has none (as runc does)
home_of() {
    bundle_config "$B" "$@" -- /bin/sh -c 'echo "$HOME"' || return 1
    runner run --no-machine --bundle "$B" home </dev/null 2>"$TEST_TMP/err"
}
tap_is "user 0 gets HOME=/root" /root "$(home_of --user 0:0)"
tap_is "user 1000 gets its passwd home" /home/app "$(home_of --user 1000:1000)"
tap_is "a uid without an entry gets HOME=/" / "$(home_of --user 4242:4242)"
tap_is "a HOME in process.env is kept" /elsewhere "$(home_of --user 0:0 --env HOME=/elsewhere)"
cp "$B/rootfs/etc/passwd" "$TEST_TMP/passwd.saved"
rm -f "$B/rootfs/etc/passwd" && ln -s /etc/group "$B/rootfs/etc/passwd"
tap_is "a symlinked /etc/passwd is not followed (HOME=/)" / "$(home_of --user 0:0)"
rm -f "$B/rootfs/etc/passwd" && cp "$TEST_TMP/passwd.saved" "$B/rootfs/etc/passwd"

# --- linux.resources.devices without systemd: the v1 devices cgroup (THREATS §2)
if [ -w /sys/fs/cgroup/devices ] && [ -e /sys/fs/cgroup/devices/devices.allow ]; then
    bundle_config "$B" -- /bin/sh -c \
        'if mknod /tmp/l b 7 0 2>/dev/null && head -c1 /tmp/l >/dev/null 2>&1; then echo opened; else echo denied; fi; head -c1 /dev/zero | wc -c'
    runner run --no-machine --bundle "$B" dev1 </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    tap_is "a loop device cannot be made (CAP_MKNOD) or opened; /dev/zero can" "denied
1" "$(cat "$TEST_TMP/out")"
    tap_check "... and the pod's devices cgroup is gone after run" \
        test ! -e /sys/fs/cgroup/devices/oci-pod/dev1
    runner create --no-machine --bundle "$B" dev2 </dev/null >/dev/null 2>&1
    pid=$(runner state dev2 | json_query 'j["pid"]')
    tap_is "a created pod's init is in its devices cgroup" /oci-pod/dev2 \
        "$(sed -n 's/^[0-9]*:devices://p' "/proc/$pid/cgroup")"
    runner delete dev2
    tap_check "... which delete removes" test ! -e /sys/fs/cgroup/devices/oci-pod/dev2
else
    tap_skip "the devices cgroup" "no writable cgroup v1 devices hierarchy"
    tap_skip "the devices cgroup" "no writable cgroup v1 devices hierarchy"
    tap_skip "the devices cgroup" "no writable cgroup v1 devices hierarchy"
    tap_skip "the devices cgroup" "no writable cgroup v1 devices hierarchy"
fi

# --- poststart / poststop hook failures are warnings (runtime-spec config.md), not errors
hooks_config() {
    python3 - "$B/config.json" "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["hooks"] = {"poststart": [{"path": sys.argv[2]}], "poststop": [{"path": sys.argv[3]}]}
json.dump(c, open(sys.argv[1], "w"))
PY
}
bundle_config "$B" -- /bin/true
hooks_config /bin/false /bin/true
rc=0
runner run --no-machine --bundle "$B" hk1 </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
tap_is "run with a failing poststart hook still exits with the application's status" 0 "$rc"
tap_is "... warning once about it" \
    "oci-pod-runner: warning: poststart hook '/bin/false' exited with status 1, ignoring." \
    "$(cat "$TEST_TMP/err")"
hooks_config /bin/true /bin/false
runner run --no-machine --bundle "$B" hk2 </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || true
tap_is "run warns about a failing poststop hook" \
    "oci-pod-runner: warning: poststop hook '/bin/false' exited with status 1, ignoring." \
    "$(cat "$TEST_TMP/err")"
hooks_config /bin/false /bin/false
runner create --no-machine --bundle "$B" hk3 </dev/null >/dev/null 2>&1
runner start hk3 >/dev/null 2>"$TEST_TMP/err"
tap_is "start warns about a failing poststart hook" \
    "oci-pod-runner: warning: poststart hook '/bin/false' exited with status 1, ignoring." \
    "$(cat "$TEST_TMP/err")"
wait_status hk3 stopped
runner delete hk3 >/dev/null 2>"$TEST_TMP/err"
tap_is "delete warns about a failing poststop hook" \
    "oci-pod-runner: warning: poststop hook '/bin/false' exited with status 1, ignoring." \
    "$(cat "$TEST_TMP/err")"
hooks_config /bin/true /bin/true
runner run --no-machine --bundle "$B" hk4 </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
tap_is "hooks that succeed give no warning" "" "$(cat "$TEST_TMP/err")"

# --- refusals leave nothing behind
python3 - "$B/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["intelRdt"] = {"closID": "x"}
json.dump(c, open(sys.argv[1], "w"))
PY
runner_error "an unsupported field in config.json is refused" \
    runner create --no-machine --bundle "$B" bad1
tap_check "... naming the field" grep -q "intelRdt" "$TEST_TMP/last.err"
tap_check "... leaving no state directory" test ! -e "$ROOT/bad1"
runner_error "run refuses it too" runner run --no-machine --bundle "$B" bad2
tap_check "... leaving no state directory" test ! -e "$ROOT/bad2"
bundle_config "$B" -- /bin/true
runner_error "an invalid ID is refused" runner create --no-machine --bundle "$B" ../x
runner_error "an unknown command is refused" runner frobnicate x
runner_error "an unknown option is refused" runner create --frob --bundle "$B" x
runner_error "kill with an unknown signal is refused" runner kill x NOSUCHSIG
runner_error "start of an unknown pod fails" runner start nosuch
tap_is "nothing is left in the state root" "" "$(ls -A "$ROOT" 2>/dev/null)"

tap_done
