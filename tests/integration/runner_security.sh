#!/bin/bash
# The runner against THREATS.md §2, the runtime CVEs a new runtime must not repeat. Every check
# runs under Debian's runc first (the reference: a check runc fails is either a finding about
# runc 1.1.5 or a wrong check) and under oci-pod-runner when it is built. Where a check could
# pass for the wrong reason, a "catches" point runs it against a deliberately weak setup (runc
# with a bad config, or chroot as a runtime that isolates nothing) and must see it fail; where
# that cannot be done safely, the comment says why the check can fail.
#
# RUNNER_TESTS=runc or =ocipod restricts the runtimes; RACE_RUNS (default 100) and CYCLES
# (default 100) size the loops of 2.3(b) and 2.6.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/bundles.sh"

need_root
need_command runc python3 gcc findmnt
bundles_build || tap_bail "cannot build the test rootfs"
RUNTIMES=$(bundles_runtimes)
: "${RACE_RUNS:=100}" "${CYCLES:=100}"

n=0
next_id() { n=$((n + 1)) && echo "sec-$n-$$"; }
rt_name() { [ "$1" = runc ] && echo runc || echo oci-pod-runner; }
rt_binary() { if [ "$1" = runc ]; then command -v runc; else readlink -f "$OCI_POD_RUNNER"; fi; }
rt_root() { echo "$TEST_TMP/$1"; }
rt_cmd() {
    local rt=$1
    shift
    if [ "$rt" = runc ]; then runc --root "$(rt_root runc)" "$@"; else "$OCI_POD_RUNNER" --root "$(rt_root ocipod)" "$@"; fi
}
# create without waiting: stdio /dev/null, so the init's fds 0-2 are not host files.
rt_create() {
    local rt=$1 b=$2 id=$3
    rt_cmd "$rt" create --bundle "$b" --pid-file "$TEST_TMP/$id.pid" "$id" </dev/null >/dev/null 2>"$TEST_TMP/$id.err"
}
mk() { bundle_make "$@" || tap_bail "cannot make bundle '$1'"; }
# run RT BUNDLE: the pod's stdout in $OUT, the runtime's and the pod's stderr in $ERR (kept
# apart: a runtime's warning line must not pass for the payload's output), the exit status as
# the function's. diag prints both for a failing point.
run() {
    local rc=0
    OUT=$(pod_run "$1" "$2" "$(next_id)" 2>"$TEST_TMP/run.err") || rc=$?
    ERR=$(cat "$TEST_TMP/run.err")
    return $rc
}
diag() { printf '%s\n--- stderr\n%s\n' "$OUT" "$ERR"; }
# check_created RT BUNDLE "description" CHECK: create (not start) a pod of BUNDLE, run CHECK PID
# on its init; ok when CHECK prints nothing, else not ok with what it printed. The pod is
# deleted after.
check_created() {
    local rt=$1 b=$2 desc=$3 check=$4 id pid out
    id=$(next_id)
    if rt_create "$rt" "$b" "$id" && pid=$(cat "$TEST_TMP/$id.pid"); then
        out=$("$check" "$pid")
        if [ -z "$out" ]; then tap_ok "$desc"; else tap_not_ok "$desc" "$out"; fi
    else
        tap_not_ok "$desc" "create failed: $(cat "$TEST_TMP/$id.err")"
    fi
    rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1
}
# The host's mounts, leaving out those of other test scripts running at the same time (make -j
# check): mount points in their temporary directories, which share this one's parent.
# Printed as sorted "mount point, file system type" lines.
host_mounts() {
    awk -v mine="$TEST_TMP/" -v others="${OCI_POD_TEST_TMPDIR:-/var/tmp}/" \
        'index($5 "/", others) != 1 || index($5 "/", mine) == 1 {
            for (i = 7; $i != "-"; i++) {}
            print $5, $(i + 1) }' /proc/self/mountinfo | sort
}
# no_host_mount_added BEFORE: true when no mount is there that BEFORE did not list, within
# 5 s. A mount a runtime leaked stays; one that another test (make -j check) or the system makes
# outside the test directories comes and goes, so a short wait tells them apart. Mounts that went
# away are somebody else's.
no_host_mount_added() {
    local i
    for i in $(seq 50); do
        [ -z "$(comm -13 <(printf '%s\n' "$1") <(host_mounts))" ] && return 0
        sleep 0.1
    done
    return 1
}
# The mounts added since BEFORE, for a diagnostic.
host_mounts_added() { comm -13 <(printf '%s\n' "$1") <(host_mounts) | sed 's/^/added: /'; }

MOBY_MASK=00000000a80425fb # the 14 default capabilities, THREATS §2.4

# ---- 2.1 CVE-2019-5736: the host runtime binary is never reachable from the pod --------------
t_2_1() {
    local rt=$1 name b bin sum
    name=$(rt_name "$rt")
    bin=$(rt_binary "$rt")
    sum=$(sha256sum <"$bin")
    b=$TEST_TMP/b21-$rt
    # The application forks a child first, so /proc/1 is another process under both runtimes
    # when the runtime keeps an init (oci-pod-runner's stub init); under runc PID 1 is the
    # application's shell, which may read its own /proc/1.
    mk "$b" --user 0:0 -- /bin/sh -c '
        for p in /proc/[0-9]*; do echo "exe $p $(readlink $p/exe)"; done
        /bin/probe write-exe
        if [ "$$" = 1 ]; then echo "init-is-app"; else
            for who in root user; do
                run=""; [ $who = user ] && run="setpriv --reuid 1000 --regid 1000 --clear-groups"
                $run sh -c "cat /proc/1/environ; for f in /proc/1/fd/*; do readlink \$f; done" 2>/dev/null |
                    grep -q . && echo "$who-reads-init" || echo "$who-denied-init"
            done
        fi'
    run "$rt" "$b" || true
    # readlink prints the host path (with " (deleted)" once replaced) only for the host binary;
    # a sealed copy reads "/memfd:NAME (deleted)", whatever NAME is.
    if printf '%s\n' "$OUT" | awk -v b="$bin" '$1 == "exe" && ($3 == b) { f = 1 } END { exit !f }'; then
        tap_not_ok "$name 2.1: no pod process shows the host binary as its exe" "$(diag)"
    elif ! printf '%s\n' "$OUT" | grep -q '^exe_paths_opened='; then
        tap_not_ok "$name 2.1: no pod process shows the host binary as its exe" "the probe did not run: $(diag)"
    else
        tap_ok "$name 2.1: no pod process shows the host binary as its exe"
    fi
    if printf '%s\n' "$OUT" | grep -E '^(self_exe|init_exe|reopen_exe_[0-9]+)=ok'; then
        tap_not_ok "$name 2.1: no /proc/N/exe opens for writing" "$(diag)"
    else
        tap_ok "$name 2.1: no /proc/N/exe opens for writing"
    fi
    tap_is "$name 2.1: the host binary is unchanged" "$sum" "$(sha256sum <"$bin")"
    # The init's environment and fd targets (both need ptrace read access, unlike listing
    # /proc/1/fd, which the directory's mode allows its owner) are closed to the pod's root
    # without CAP_SYS_PTRACE and to other users: PR_SET_DUMPABLE=0, or an init holding more
    # capabilities than the application. A dumpable init with the application's uid and
    # capabilities would let the application read them, and the check fails.
    if printf '%s\n' "$OUT" | grep -q '^init-is-app'; then
        tap_skip "$name 2.1: the init's environ and fds are closed to the pod" "PID 1 is the application itself"
    elif printf '%s\n' "$OUT" | grep -qx 'root-denied-init' &&
        printf '%s\n' "$OUT" | grep -qx 'user-denied-init'; then
        tap_ok "$name 2.1: the init's environ and fds are closed to the pod"
    else
        tap_not_ok "$name 2.1: the init's environ and fds are closed to the pod" "$(diag)"
    fi
    # (c) from the host, after create: the init's exe is a memfd or the payload, never the
    # host binary (runc's create.bats allows exactly these).
    mk "$b" -- /bin/true
    check_created "$rt" "$b" "$name 2.1: the created init's exe is not the host binary" init_exe_is_host_binary
}
# Prints the init's exe when it is the host binary $bin (of the caller).
init_exe_is_host_binary() {
    local exe
    exe=$(readlink "/proc/$1/exe")
    case $exe in "$bin" | "$bin "*) echo "$exe" ;; esac
}

# The same reads aimed at a process that is dumpable and has the reader's uid and capabilities
# (a child of the application under runc): they must succeed, so the check sees an open init.
catches_2_1() {
    local b=$TEST_TMP/b21-weak
    mk "$b" -- /bin/sh -c 'sleep 30 & p=$!
        sh -c "cat /proc/$p/environ; for f in /proc/$p/fd/*; do readlink \$f; done" 2>/dev/null |
            grep -q . && echo "root-reads-init" || echo "root-denied-init"; kill $p'
    run runc "$b"
    if printf '%s\n' "$OUT" | grep -qx 'root-reads-init'; then
        tap_ok "2.1 catches an open process: a dumpable child of the same uid and caps is readable"
    else tap_not_ok "2.1 catches an open process: a dumpable child of the same uid and caps is readable" "$(diag)"; fi
}

# ---- 2.2 CVE-2024-21626: fd leaks and process.cwd ----------------------------------------------
MARKER=/oci-pod-marker-$$
t_2_2() {
    local rt=$1 name b i bad="" out
    name=$(rt_name "$rt")
    b=$TEST_TMP/b22-$rt
    mk "$b" -- /bin/true
    # (a) cwd through a leaked fd: either the pod does not start or its cwd is in the rootfs and
    # ../../.. does not reach the host's root (where the marker is).
    for i in $(seq 3 20); do
        bundle_config "$b" --cwd "/proc/self/fd/$i" -- /bin/sh -c 'echo "cwd $(readlink /proc/self/cwd)"; ls -a ../../.. /proc/self/cwd/../../..'
        run "$rt" "$b" || continue
        if printf '%s\n' "$OUT" | grep -q "${MARKER#/}"; then
            bad="$bad
fd $i: $OUT"
        fi
    done
    if [ -z "$bad" ]; then tap_ok "$name 2.2a: cwd /proc/self/fd/3..20 does not escape"; else
        tap_not_ok "$name 2.2a: cwd /proc/self/fd/3..20 does not escape" "$bad"; fi
    # (b) the application's fds: 0, 1 and 2 only.
    bundle_config "$b" -- /bin/probe fds
    run "$rt" "$b"
    out=$(printf '%s\n' "$OUT" | grep '^fd ' | grep -v -E '^fd [012] ')
    if [ -z "$out" ] && printf '%s\n' "$OUT" | grep -q '^fd 0 '; then
        tap_ok "$name 2.2b: the application has fds 0-2 only"
    else tap_not_ok "$name 2.2b: the application has fds 0-2 only" "$(diag)"; fi
    # (b) the created init's fds, seen from the host: an allow-list (stdio, pts, anon inodes,
    # pipes, sockets, the exec fifo or state files under the runtime's root, a memfd).
    bundle_config "$b" -- /bin/true
    check_created "$rt" "$b" "$name 2.2b: the created init holds only allowed fds" init_fds_not_allowed
    # (c) fds the caller leaks (no CLOEXEC: bash redirections) must not reach the pod.
    bundle_config "$b" -- /bin/sh -c '/bin/probe fds; ls -l /proc/1/fd/ 2>&1'
    OUT=$( (exec 7</ 8<"$HOSTFILE" && pod_run "$rt" "$b" "$(next_id)") 2>"$TEST_TMP/run.err")
    ERR=$(cat "$TEST_TMP/run.err")
    if printf '%s\n' "$OUT" | grep -q -e '^fd [78] ' -e "$HOSTFILE" -e ' 7 -> ' -e ' 8 -> '; then
        tap_not_ok "$name 2.2c: fds leaked by the caller do not reach the pod" "$(diag)"
    elif ! printf '%s\n' "$OUT" | grep -q '^fd 0 '; then
        tap_not_ok "$name 2.2c: fds leaked by the caller do not reach the pod" "the probe did not run: $(diag)"
    else
        tap_ok "$name 2.2c: fds leaked by the caller do not reach the pod"
    fi
}
# Prints the fds of init PID that are not on the allow-list, for runtime $rt and bundle $b.
init_fds_not_allowed() {
    local f i t
    for f in /proc/"$1"/fd/*; do
        i=${f##*/}
        [ "$i" -le 2 ] && continue
        t=$(readlink "$f")
        case $t in
        /dev/pts/* | anon_inode:* | pipe:* | socket:* | /memfd:* | "$(rt_root "$rt")"/*) ;;
        *)
            # A directory of the pod's own root (after pivot_root the host shows it as "/"):
            # allowed when it is the bundle's rootfs itself, by device and inode.
            [ "$(stat -L -c %d:%i "$f" 2>/dev/null)" = "$(stat -c %d:%i "$b/rootfs")" ] ||
                echo "fd $i -> $t ($(stat -L -c '%F %d:%i' "$f" 2>&1))"
            ;;
        esac
    done
}
# The same check on a launcher that closes nothing (the probe started directly): it must see fd
# 7 and 8.
catches_2_2c() {
    local out
    out=$( (exec 7</ 8<"$HOSTFILE" && "$TEST_TMP/b22-runc/rootfs/bin/probe" fds) 2>&1)
    if printf '%s\n' "$out" | grep -q '^fd 7 -> /$' && printf '%s\n' "$out" | grep -q "^fd 8 -> $HOSTFILE"; then
        tap_ok "2.2c catches a leak: a launcher that closes nothing passes fds 7 and 8 on"
    else tap_not_ok "2.2c catches a leak: a launcher that closes nothing passes fds 7 and 8 on" "$out"; fi
}

# ---- 2.3 CVE-2021-30465: mount targets resolved in the root -------------------------------------
t_2_3() {
    local rt=$1 name b before x=oci-pod-x-$$ t=oci-pod-race-$$ i escaped=0 started=0 loop
    name=$(rt_name "$rt")
    b=$TEST_TMP/b23-$rt
    # (a) mnt -> /: a tmpfs at /mnt/X lands at the rootfs's /X or the pod fails; nothing named X
    # appears at the host's root, and the host's mount table is unchanged.
    mk "$b" --tmpfs "/mnt/$x" -- /bin/sh -c "grep -c ' /$x ' /proc/self/mountinfo"
    rm -rf "$b/rootfs/mnt" && ln -s / "$b/rootfs/mnt"
    before=$(host_mounts)
    if run "$rt" "$b" && [ "$OUT" != 1 ]; then
        tap_not_ok "$name 2.3a: a mount through mnt -> / lands in the rootfs" "inside: $(diag)"
    elif [ -e "/$x" ] || ! no_host_mount_added "$before"; then
        tap_not_ok "$name 2.3a: a mount through mnt -> / lands in the rootfs" \
            "host changed: $(ls -d "/$x" 2>&1) $(host_mounts_added "$before")"
    else
        tap_ok "$name 2.3a: a mount through mnt -> / lands in the rootfs"
    fi
    rmdir "/${x:?}" 2>/dev/null
    # (b) the race: vol/dir and vol/link (-> /) exchanged in a loop while pods start with a bind
    # whose destination is vol/dir/T. Each pod that starts must see the bind's marker inside its
    # root (at /vol/dir/T or, through the link resolved in the root, /T); the host root must not
    # get a T.
    local vol=$TEST_TMP/vol-$rt src=$TEST_TMP/src-$rt
    mkdir -p "$vol/dir" "$src" && ln -sfn / "$vol/link" && echo "race-marker" >"$src/marker"
    mk "$b" --bind "$vol:/vol" --bind "$src:/vol/dir/$t" -- /bin/sh -c "cat /vol/dir/$t/marker /$t/marker 2>/dev/null"
    "$PYTHON" - "$vol" <<'EOF' &
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
vol = sys.argv[1].encode()
fd = os.open(vol, os.O_DIRECTORY)
AT_RENAME_EXCHANGE = 2
while True:
    libc.renameat2(fd, b"dir", fd, b"link", AT_RENAME_EXCHANGE)
EOF
    loop=$!
    before=$(host_mounts)
    for i in $(seq "$RACE_RUNS"); do
        if run "$rt" "$b"; then
            started=$((started + 1))
            printf '%s\n' "$OUT" | grep -q race-marker || escaped=$((escaped + 1))
        fi
    done
    kill "$loop" && wait "$loop" 2>/dev/null
    if [ "$escaped" = 0 ] && [ ! -e "/$t" ] && no_host_mount_added "$before"; then
        tap_ok "$name 2.3b: $RACE_RUNS starts against a rename-exchange race, every bind inside ($started started)"
    else
        # runc 1.1.5 sometimes makes the destination on the host through the swapped link (its
        # MkdirAll follows it, CVE-2024-45310): a known failure of the reference.
        local todo=""
        [ "$rt" = runc ] && [ "$escaped" = 0 ] && todo=" # TODO runc 1.1.5 creates mount targets through a swapped symlink (CVE-2024-45310)"
        tap_not_ok "$name 2.3b: $RACE_RUNS starts against a rename-exchange race, every bind inside$todo" \
            "$escaped of $started pods did not see the bind; host /$t: $(ls -d "/$t" 2>&1); host mounts: $(host_mounts_added "$before")"
        rmdir "/$t" 2>/dev/null
    fi
    # (c) /proc a symlink in the image: the pod must not start.
    mk "$b.c" -- /bin/true
    rm -rf "$b.c/rootfs/proc" && ln -s /bad-proc "$b.c/rootfs/proc"
    if run "$rt" "$b.c"; then tap_not_ok "$name 2.3c: /proc as a symlink refuses to start" "started: $(diag)"
    else tap_ok "$name 2.3c: /proc as a symlink refuses to start"; fi
    # (d) a mount under /proc: refused.
    mk "$b.d" --tmpfs /proc/sys/oci-pod-x -- /bin/true
    if run "$rt" "$b.d"; then tap_not_ok "$name 2.3d: a mount destination under /proc is refused" "started: $(diag)"
    else tap_ok "$name 2.3d: a mount destination under /proc is refused"; fi
}

# ---- 2.4 CVE-2022-29162: inheritable and ambient capabilities ----------------------------------
cap_probe_bundle() {
    mk "$@" -- /bin/sh -c '/bin/probe caps; echo "--- file caps"; /bin/probe-cap caps'
    cp "$1/rootfs/bin/probe" "$1/rootfs/bin/probe-cap" && setcap cap_sys_admin+ei "$1/rootfs/bin/probe-cap"
}
# The status line KEY of the probe's first (or, with 2, second) report.
cap_field() { printf '%s\n' "$OUT" | awk -v k="$1:" -v n="${2:-1}" '$1 == k { if (++c == n) print $2 }'; }
t_2_4() {
    local rt=$1 name b k
    name=$(rt_name "$rt")
    b=$TEST_TMP/b24-$rt
    cap_probe_bundle "$b" --caps moby
    run "$rt" "$b"
    for k in CapInh CapAmb; do
        tap_is "$name 2.4: $k is empty by default" 0000000000000000 "$(cap_field $k)"
    done
    for k in CapBnd CapPrm CapEff; do
        tap_is "$name 2.4: $k is the configured set" $MOBY_MASK "$(cap_field $k)"
    done
    tap_is "$name 2.4: NoNewPrivs is 1" 1 "$(cap_field NoNewPrivs)"
    # cap_sys_admin+ei on a file: with empty inheritable (and no_new_privs) it gains nothing.
    tap_is "$name 2.4: a cap_sys_admin+ei file gains nothing" "$MOBY_MASK $MOBY_MASK" \
        "$(cap_field CapPrm 2) $(cap_field CapEff 2)"
    # Also with noNewPrivileges false: only the empty inheritable set stops the gain.
    cap_probe_bundle "$b" --caps moby --no-new-privs false
    run "$rt" "$b"
    tap_is "$name 2.4: a cap_sys_admin+ei file gains nothing without no_new_privs" "$MOBY_MASK $MOBY_MASK" \
        "$(cap_field CapPrm 2) $(cap_field CapEff 2)"
}
# The weak config the CVE was about (inheritable CAP_SYS_ADMIN, no_new_privs off): the same check
# must see the file gain CAP_SYS_ADMIN (bit 21).
catches_2_4() {
    local b=$TEST_TMP/b24-weak
    cap_probe_bundle "$b" --caps moby --cap-add CAP_SYS_ADMIN --inheritable CAP_SYS_ADMIN --no-new-privs false
    # permitted and effective without SYS_ADMIN, bounding with it (inheritable needs it there).
    "$PYTHON" -c 'import json, sys
c = json.load(open(sys.argv[1])); k = c["process"]["capabilities"]
for s in ("permitted", "effective"): k[s].remove("CAP_SYS_ADMIN")
json.dump(c, open(sys.argv[1], "w"))' "$b/config.json"
    run runc "$b"
    local prm
    prm=$(cap_field CapPrm 2)
    if [ -n "$prm" ] && [ $((0x$prm & (1 << 21))) != 0 ]; then
        tap_ok "2.4 catches the CVE's config: with inheritable CAP_SYS_ADMIN the file gains it under runc"
    else
        tap_not_ok "2.4 catches the CVE's config: with inheritable CAP_SYS_ADMIN the file gains it under runc" "$(diag)"
    fi
}

# ---- 2.5 masked and read-only paths; adversarial /dev and /proc ---------------------------------
t_2_5() {
    local rt=$1 name b out pattern sentinel
    name=$(rt_name "$rt")
    b=$TEST_TMP/b25-$rt
    mk "$b" -- /bin/sh -c '
        for f in /proc/kcore /proc/keys /proc/timer_list; do
            [ -e $f ] || { echo "$f absent"; continue; }
            echo "$f $(cat $f 2>/dev/null | wc -c) bytes"
        done
        echo "acpi [$(ls -A /proc/acpi 2>/dev/null)] firmware [$(ls -A /sys/firmware 2>/dev/null)]"
        if [ -e /proc/sysrq-trigger ]; then
            (echo c > /proc/sysrq-trigger) 2>/dev/null && echo "sysrq written" || echo "sysrq refused"
        else echo "sysrq refused (absent)"; fi
        (echo 1 > /proc/sys/kernel/core_pattern) 2>&1 | grep -q "Read-only" && echo "core_pattern EROFS" || echo "core_pattern not EROFS"
        mount -o remount,rw /proc/sys 2>/dev/null && echo "remount done" || echo "remount refused"
        echo "--- mountinfo"; cat /proc/self/mountinfo'
    pattern=$(cat /proc/sys/kernel/core_pattern)
    run "$rt" "$b"
    if printf '%s\n' "$OUT" | grep -E '^/proc/(kcore|keys|timer_list) ' | grep -v -e ' 0 bytes' -e ' absent'; then
        tap_not_ok "$name 2.5: kcore, keys and timer_list read nothing" "$(diag)"
    else tap_ok "$name 2.5: kcore, keys and timer_list read nothing"; fi
    tap_check "$name 2.5: /proc/acpi and /sys/firmware are empty" grep -qx 'acpi \[\] firmware \[\]' <<<"$(diag)"
    tap_check "$name 2.5: sysrq-trigger cannot be written" grep -q '^sysrq refused' <<<"$(diag)"
    tap_check "$name 2.5: core_pattern gives EROFS" grep -qx 'core_pattern EROFS' <<<"$(diag)"
    tap_check "$name 2.5: remount,rw of /proc/sys is refused" grep -qx 'remount refused' <<<"$(diag)"
    out=$(printf '%s\n' "$OUT" | sed -n '/^--- mountinfo/,$p')
    if printf '%s\n' "$out" | grep -q ' /proc/keys ' && printf '%s\n' "$out" | grep -q ' /proc/timer_list ' &&
        printf '%s\n' "$out" | grep -q ' /proc/acpi ' && printf '%s\n' "$out" | grep -q ' /sys/firmware ' &&
        printf '%s\n' "$out" | grep -q ' /proc/sys ro,'; then
        tap_ok "$name 2.5: mountinfo lists the masks and read-only /proc/sys"
    else tap_not_ok "$name 2.5: mountinfo lists the masks and read-only /proc/sys" "$out"; fi
    tap_is "$name 2.5: the host core_pattern is unchanged" "$pattern" "$(cat /proc/sys/kernel/core_pattern)"

    # Adversarial rootfs variants: start or fail, but write nothing on the host.
    local v
    for v in devnull devlink ptmxfile proclink; do
        sentinel=$TEST_TMP/hostdev-$rt-$v
        mkdir -p "$sentinel"
        mk "$b.$v" -- /bin/sh -c 'echo started; ls -la /dev; cat /proc/keys | wc -c'
        case $v in
        devnull) rm -f "$b.$v/rootfs/dev/null" && ln -s /proc/sys/kernel/core_pattern "$b.$v/rootfs/dev/null" ;;
        devlink) rm -rf "$b.$v/rootfs/dev" && ln -s "$sentinel" "$b.$v/rootfs/dev" ;;
        ptmxfile) echo "not a device" >"$b.$v/rootfs/dev/ptmx" ;;
        proclink) rm -rf "$b.$v/rootfs/proc" && ln -s /proc "$b.$v/rootfs/proc" ;;
        esac
        run "$rt" "$b.$v" && out=started || out="failed: $(printf '%s\n' "$ERR" | tail -n 1)"
        # runc 1.1.5 follows a /dev symlink out of the rootfs when it makes the /dev symlinks
        # (CVE-2026-41579): the check sees it, a known failure of the reference, not of the check.
        local todo=""
        [ "$rt/$v" = runc/devlink ] && todo=" # TODO runc 1.1.5 creates the /dev symlinks through it (CVE-2026-41579)"
        if [ "$(cat /proc/sys/kernel/core_pattern)" != "$pattern" ] || [ -n "$(ls -A "$sentinel")" ]; then
            tap_not_ok "$name 2.5: adversarial rootfs '$v' writes nothing on the host ($out)$todo" \
                "core_pattern: $(cat /proc/sys/kernel/core_pattern); $sentinel: $(ls -A "$sentinel")"
        elif [ "$out" = started ] && ! printf '%s\n' "$OUT" | tail -n 1 | grep -qx 0; then
            tap_not_ok "$name 2.5: adversarial rootfs '$v' masks correctly ($out)" "$(diag)"
        else
            tap_ok "$name 2.5: adversarial rootfs '$v' writes nothing on the host and masks ($out)"
        fi
    done
}
# Without masks, the same check must see /proc/timer_list's content (reading it is harmless; the
# write checks are not tried unmasked, they would change the host).
catches_2_5() {
    local b=$TEST_TMP/b25-weak
    mk "$b" --no-masks -- /bin/sh -c 'echo "/proc/timer_list $(cat /proc/timer_list | wc -c) bytes"'
    run runc "$b"
    if printf '%s\n' "$OUT" | grep -q '^/proc/timer_list ' && ! printf '%s\n' "$OUT" | grep -q ' 0 bytes'; then
        tap_ok "2.5 catches an unmasked /proc: timer_list has content without maskedPaths"
    else tap_not_ok "2.5 catches an unmasked /proc: timer_list has content without maskedPaths" "$(diag)"; fi
}

# ---- 2.6 seccomp, cgroupfs read-only, mount hygiene, no abstract sockets -----------------------
SECCOMP_EXPECTED="unshare_user=EPERM keyctl=EPERM clone3=ENOSYS io_uring_setup=EPERM mount=EPERM clone_newns=EPERM"
probe_syscalls() { printf '%s\n' "$OUT" | grep -E '^(unshare_user|keyctl|clone3|io_uring_setup|mount|clone_newns)=' | tr '\n' ' ' | sed 's/ $//'; }
t_2_6() {
    local rt=$1 name b before i id out
    name=$(rt_name "$rt")
    b=$TEST_TMP/b26-$rt
    mk "$b" --seccomp -- /bin/probe syscalls
    run "$rt" "$b"
    tap_is "$name 2.6: the config's seccomp filter refuses the calls" "$SECCOMP_EXPECTED" "$(probe_syscalls)"
    # Every cgroup file system inside is mounted read-only, and nothing can be created in it.
    mk "$b" -- /bin/sh -c 'grep -E " - cgroup2? " /proc/self/mountinfo | awk "{print \$5, \$6}"
        for d in $(grep -E " - cgroup2? " /proc/self/mountinfo | awk "{print \$5}"); do
            mkdir "$d/oci-pod-probe" 2>/dev/null && echo "created in $d"; done; true'
    run "$rt" "$b"
    if [ -z "$OUT" ]; then tap_skip "$name 2.6: cgroup file systems are read-only inside" "no cgroup mount inside"
    elif printf '%s\n' "$OUT" | grep -q -e '^created' -e ' rw'; then
        tap_not_ok "$name 2.6: cgroup file systems are read-only inside" "$(diag)"
    else tap_ok "$name 2.6: cgroup file systems are read-only inside"; fi
    # Create/delete cycles leave the host's mount table as it was.
    mk "$b" -- /bin/true
    before=$(host_mounts)
    out=""
    for i in $(seq "$CYCLES"); do
        id=$(next_id)
        rt_create "$rt" "$b" "$id" || out="$out
create $i: $(cat "$TEST_TMP/$id.err")"
        rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || out="$out
delete $i failed"
    done
    if [ -z "$out" ] && no_host_mount_added "$before"; then
        tap_ok "$name 2.6: $CYCLES create/delete cycles leave the host mount table unchanged"
    else
        tap_not_ok "$name 2.6: $CYCLES create/delete cycles leave the host mount table unchanged" \
            "mounts changed: $(host_mounts_added "$before")$out"
    fi
    # No abstract unix sockets: every socket of a created pod's init and of the runtime's
    # processes is unnamed or path-based (CVE-2020-15257).
    check_created "$rt" "$b" "$name 2.6: the pod's and runtime's sockets are not abstract" abstract_sockets
}
# Prints the abstract unix sockets held by init PID and by runtime $rt's processes.
abstract_sockets() {
    local p f
    for p in "$1" $(pgrep -x -f "$(rt_binary "$rt").*" 2>/dev/null); do
        for f in /proc/"$p"/fd/*; do readlink "$f"; done 2>/dev/null |
            sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | while read -r ino; do
                awk -v i="$ino" '$7 == i && $8 ~ /^@/ { print }' "/proc/$p/net/unix"
            done
    done
}
catches_2_6() {
    local b=$TEST_TMP/b26-weak
    mk "$b" -- /bin/probe syscalls
    run runc "$b"
    if [ "$(probe_syscalls)" != "$SECCOMP_EXPECTED" ]; then
        tap_ok "2.6 catches a missing filter: without linux.seccomp runc's pod makes the calls"
    else tap_not_ok "2.6 catches a missing filter: without linux.seccomp runc's pod makes the calls" "$(diag)"; fi
}

# ---- 2.7 devices ------------------------------------------------------------------------------
# With CAP_MKNOD (the moby set), device nodes made in the pod's /tmp (the rootfs: no nodev) must
# not open, failing with EPERM (or the mknod itself being refused): a block device and /dev/fuse
# (char 10:229, which moby denies). A host block device bind-mounted without a linux.devices
# entry must not open either. The devices are ones the test itself can open on the host (a loop
# device: this machine refuses its disk even to the host's root, and has no sda; /dev/mem would
# fail for want of CAP_SYS_RAWIO whatever the device policy), so a refusal inside is the
# runtime's.
# Why it fails where: under runc here (cgroup v1 hybrid) the devices cgroup denies the open; runc
# always appends "b *:* m" and "c *:* m", so mknod succeeds. oci-pod-runner leaves the device
# policy to systemd (DevicePolicy=closed on the pod's scope or unit, unit_properties.hpp); with
# --no-machine or without systemd as PID 1 there is no such cgroup, and only a nodev mount or a
# withheld CAP_MKNOD could refuse these.
t_2_7() {
    local rt=$1 name b blk="" f
    name=$(rt_name "$rt")
    b=$TEST_TMP/b27-$rt
    for f in /dev/loop[0-9]*; do
        [ -b "$f" ] && head -c1 "$f" >/dev/null 2>&1 && blk=$f && break
    done
    if [ -z "$blk" ] || [ ! -c /dev/fuse ]; then
        tap_skip "$name 2.7: device nodes do not open" "no loop device or /dev/fuse the host can open"
        return
    fi
    mk "$b" --caps moby --bind "$blk:/hostblock" -- /bin/sh -c "
        for n in 'block b $(stat -c '%t %T' "$blk" | { read -r ma mi; echo $((16#$ma)) $((16#$mi)); })' 'fuse c 10 229'; do
            set -- \$n
            if ! mknod /tmp/\$1 \$2 \$3 \$4 2>/dev/null; then echo \"\$1 mknod-refused\"
            else echo \"\$1 \$(/bin/probe open /tmp/\$1 r | head -n 1)\"; fi
        done
        echo \"hostblock \$(/bin/probe open /hostblock r | head -n 1)\"
        for d in null zero urandom; do head -c1 /dev/\$d >/dev/null 2>&1 && echo \"\$d works\" || echo \"\$d broken\"; done"
    run "$rt" "$b"
    local dev
    for dev in block fuse hostblock; do
        if printf '%s\n' "$OUT" | grep -qx -e "$dev mknod-refused" -e "$dev open=EPERM"; then
            tap_ok "$name 2.7: '$dev' does not open ($(printf '%s\n' "$OUT" | grep "^$dev " | cut -d' ' -f2))"
        else tap_not_ok "$name 2.7: '$dev' does not open (EPERM)" "$(diag)"; fi
    done
    tap_check "$name 2.7: /dev/null, zero and urandom work" \
        test "$(printf '%s\n' "$OUT" | grep -c ' works$')" = 3
}

HOSTFILE=$TEST_TMP/host-file
echo "host" >"$HOSTFILE"
touch "$MARKER" && at_exit "rm -f '$MARKER'"
for rt in $RUNTIMES; do
    at_exit "for id in \$(ls '$(rt_root "$rt")' 2>/dev/null); do $( [ "$rt" = runc ] && echo "runc --root '$(rt_root runc)'" || echo "'$OCI_POD_RUNNER' --root '$(rt_root ocipod)'") delete --force \$id; done"
done
[ -x "$OCI_POD_RUNNER" ] || tap_skip "oci-pod-runner: every check" "oci-pod-runner is not built ('$OCI_POD_RUNNER')"

for rt in $RUNTIMES; do t_2_1 "$rt"; done
catches_2_1
for rt in $RUNTIMES; do t_2_2 "$rt"; done
catches_2_2c
for rt in $RUNTIMES; do t_2_3 "$rt"; done
for rt in $RUNTIMES; do t_2_4 "$rt"; done
catches_2_4
for rt in $RUNTIMES; do t_2_5 "$rt"; done
catches_2_5
for rt in $RUNTIMES; do t_2_6 "$rt"; done
catches_2_6
for rt in $RUNTIMES; do t_2_7 "$rt"; done

tap_done
