#!/bin/bash
# The runner against an oracle it did not write: for each config.json variation (user and
# groups, umask, capabilities reduced and extended, env, cwd, hostname, rlimits, extra mounts,
# masked and read-only paths, read-only root, noNewPrivileges false), the same bundle runs under
# Debian's runc and under oci-pod-runner, and what the application observes inside must be the
# same: `id`, the Cap* and NoNewPrivs lines of /proc/self/status, `hostname`, the rlimits, the
# normalised /proc/self/mountinfo, `pwd`, `env`, the umask and /dev. One test point per
# variation and aspect; a difference is printed as a diff.
#
# Each check can fail: runc run twice gives the same normalised observations (so nothing that
# legitimately changes from run to run is left in them), and every variation changes the aspect
# it varies under runc (so the comparison sees the field the config sets).
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/bundles.sh"

need_root
need_command runc python3 gcc
bundles_build || tap_bail "cannot build the test rootfs"

ASPECTS="id status hostname rlimits mounts pwd env umask dev"

# What the application prints; run by busybox sh as the pod's process. Each aspect is a section
# "@@ NAME". Only the application's own view is observed: under oci-pod-runner PID 1 is the stub
# init and the application a child of it, under runc the application is PID 1, so nothing about
# PID 1 (or $$) is compared.
write_observer() {
    cat >"$1/rootfs/observe.sh" <<'EOF'
echo "@@ id"; id
echo "@@ status"; grep -E '^(Cap|NoNewPrivs)' /proc/self/status
echo "@@ hostname"; hostname
echo "@@ rlimits"; echo "nofile $(ulimit -n) $(ulimit -Hn)"; echo "nproc $(ulimit -u) $(ulimit -Hu)"
echo "@@ mounts"; cat /proc/self/mountinfo
echo "@@ cgroup"; cat /proc/self/cgroup
echo "@@ pwd"; pwd
echo "@@ env"; env | sort
echo "@@ umask"; umask
echo "@@ dev"
cd /dev && for f in $(ls -A) $(ls -A pts | sed 's,^,pts/,'); do
    stat -c '%n %F %a %u:%g %t:%T' "$f"
    [ -L "$f" ] && echo "$f -> $(readlink "$f")"
done
echo "@@ writes"
for d in / /tmp /mnt/t /mnt/ro; do
    [ -d "$d" ] || continue
    if touch "$d/.oracle-write" 2>/dev/null; then echo "$d writable"; rm -f "$d/.oracle-write"; else echo "$d not writable"; fi
done
EOF
}

# Split RAW into OUT/ASPECT files, normalising:
#   mounts  each mountinfo line becomes "MOUNT-POINT FSTYPE FLAGS": mount and parent ids and
#           device numbers are per boot and per run; the root field names host directories of
#           binds; the source field is free text each runtime fills its own way ("tmpfs", "shm",
#           a host device). FLAGS are the per-mount ro/nosuid/nodev/noexec (atime flags follow the
#           kernel's defaults, not the config). Super options are kept for the test's own mounts
#           under /mnt (their size and mode come from the config). Lines are sorted: the order
#           masks are applied in is not observable to the application beyond the stacking, which
#           the kept lines show. Differences by design, normalised:
#           - /dev/console is dropped: oci-pod-runner binds the pod's pty there
#             (rootfs_setup.hpp), runc only with process.terminal;
#           - a masked directory is an empty read-only tmpfs under both; oci-pod-runner also makes
#             it nosuid,nodev,noexec, which nothing in an empty file system can observe, so those
#             three flags are dropped on the mounts at the config's maskedPaths;
#           - the tmpfs holding the cgroup v1 hierarchies: the config mounts /sys/fs/cgroup "ro";
#             runc 1.1.5 applies that to the hierarchies only and leaves its own tmpfs writable
#             (a tmpfs of the pod's mount namespace, nothing reaches the host through it),
#             oci-pod-runner makes it read-only as asked: shown as "ro" for both;
#           - on a hybrid cgroup host oci-pod-runner mounts every hierarchy /proc/self/cgroup
#             lists, the cgroup2 one at /sys/fs/cgroup/unified included; runc 1.1.5 leaves that
#             one out: the line is dropped (read-only either way, checked by runner_security.sh).
#           For cgroup mounts the root field is kept as "own" when it is the application's own
#           cgroup of that hierarchy (from /proc/self/cgroup) and "other" when it is not: a pod
#           that sees a cgroup tree above its own (the host's) differs from one that does not.
#   dev     "/dev/console" entries are dropped, as above.
#   cgroup  not compared (each runtime names its cgroups its own way); used for the mounts.
#   the rest as printed.
split_observations() {
    "$PYTHON" - "$1" "$2" "$3" <<'EOF'
import json, os, sys
raw, out, config = sys.argv[1], sys.argv[2], sys.argv[3]
masked = set(json.load(open(config)).get("linux", {}).get("maskedPaths", []))
os.makedirs(out, exist_ok=True)
sections, cur = {}, None
for line in open(raw, errors="replace").read().splitlines():
    if line.startswith("@@ "):
        cur = line[3:].strip()
        sections[cur] = []
    elif cur is not None:
        sections[cur].append(line)

own = {}
for line in sections.get("cgroup", []):
    parts = line.split(":", 2)
    if len(parts) == 3:
        for c in parts[1].split(","):
            own[c] = parts[2]

def mount_line(line):
    pre, _, post = line.partition(" - ")
    f = pre.split()
    root, point, opts = f[3], f[4], f[5].split(",")
    fstype, _, supers = (post.split() + ["", "", ""])[:3]
    flags = [o for o in ("ro", "nosuid", "nodev", "noexec") if o in opts]
    if point in masked and fstype == "tmpfs":
        flags = [o for o in flags if o == "ro"]
    if point == "/sys/fs/cgroup" and fstype == "tmpfs" and "ro" not in flags:
        flags.insert(0, "ro")
    s = "%s %s %s" % (point, fstype, ",".join(flags) or "-")
    if fstype in ("cgroup", "cgroup2"):
        key = next((o for o in supers.split(",") if o in own), "") if fstype == "cgroup" else ""
        s += " own" if own.get(key) == root else " other"
    if point.startswith("/mnt/"):
        keep = [o for o in supers.split(",") if o.split("=")[0] in ("ro", "size", "mode", "uid", "gid", "nr_inodes")]
        s += " [" + ",".join(keep) + "]"
    return s

for name, lines in sections.items():
    if name == "cgroup":
        continue
    if name == "mounts":
        lines = sorted(mount_line(l) for l in lines if l.strip())
        lines = [l for l in lines if not l.startswith("/dev/console ")
                 and not l.startswith("/sys/fs/cgroup/unified cgroup2 ")]
    elif name == "dev":
        lines = [l for l in lines if not l.startswith("console")]
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(lines) + "\n")
EOF
}

HOSTDIR=$TEST_TMP/hostdir
mkdir -p "$HOSTDIR" && echo host >"$HOSTDIR/file"

# name|varied aspects|make_runtime_config.py options
VARIATIONS="default|-|
user|id status env|--user 1000:1000 --gids 1001,1002
umask|umask|--umask 027
caps-reduced|status|--caps CAP_KILL
caps-extended|status|--caps moby --cap-add CAP_NET_ADMIN
env|env|--env FOO=bar --env SPACED=a_b_c --env EMPTY=
cwd|pwd|--cwd /tmp
hostname|hostname|--hostname oracle-pod
rlimits|rlimits|--rlimit RLIMIT_NOFILE=4096:8192 --rlimit RLIMIT_NPROC=100:200
mounts|mounts|--tmpfs /mnt/t:size=1m,mode=0700,nosuid,nodev,noexec --bind $HOSTDIR:/mnt/ro:ro
masked|mounts|--masked /proc/cpuinfo --masked /home --readonly-path /etc
readonly-root|mounts|--readonly-root
nnp-false|status|--no-new-privs false"

RUNTIMES=$(bundles_runtimes)
[ -x "$OCI_POD_RUNNER" ] || RUNNER_MISSING="oci-pod-runner is not built ('$OCI_POD_RUNNER')"

# observe RUNTIME NAME BUNDLE -> $TEST_TMP/obs/RUNTIME-NAME/ASPECT; fails with the runtime's
# output when the pod does not run.
observe() {
    local rt=$1 name=$2 b=$3 raw=$TEST_TMP/obs/$1-$2.raw out
    mkdir -p "$TEST_TMP/obs"
    if ! out=$(pod_run "$rt" "$b" "oracle-$name-$$" 2>&1 >"$raw"); then
        echo "$rt run of '$name' failed: $out"
        return 1
    fi
    split_observations "$raw" "$TEST_TMP/obs/$rt-$name" "$b/config.json"
}

while IFS='|' read -r name varied opts; do
    b=$TEST_TMP/bundles/$name
    # shellcheck disable=SC2086 # the options are words
    bundle_make "$b" $opts -- /bin/sh /observe.sh || tap_bail "cannot make bundle '$name'"
    write_observer "$b"
    if ! out=$(observe runc "$name" "$b"); then
        tap_not_ok "$name: runs under runc" "$out"
        continue
    fi
    tap_ok "$name: runs under runc"
    # runc twice: whatever differs between two runs of the same runtime would make every
    # comparison fail, so the normalisation must have removed it.
    if out=$(observe runc "$name-again" "$b") &&
        out=$(diff -ru "$TEST_TMP/obs/runc-$name" "$TEST_TMP/obs/runc-$name-again"); then
        tap_ok "$name: two runc runs observe the same"
    else
        tap_not_ok "$name: two runc runs observe the same" "$out"
    fi
    for a in $varied; do
        [ "$a" = - ] && continue
        if cmp -s "$TEST_TMP/obs/runc-default/$a" "$TEST_TMP/obs/runc-$name/$a"; then
            tap_not_ok "$name: the variation shows in '$a' under runc" \
                "$(cat "$TEST_TMP/obs/runc-$name/$a")"
        else
            tap_ok "$name: the variation shows in '$a' under runc"
        fi
    done
    case " $RUNTIMES " in
    *" ocipod "*) ;;
    *)
        tap_skip "$name: oci-pod-runner observes what runc does" "${RUNNER_MISSING:-RUNNER_TESTS=$RUNNER_TESTS}"
        continue
        ;;
    esac
    if ! out=$(observe ocipod "$name" "$b"); then
        tap_not_ok "$name: runs under oci-pod-runner" "$out"
        continue
    fi
    tap_ok "$name: runs under oci-pod-runner"
    for a in $ASPECTS writes; do
        if out=$(diff -u --label runc --label oci-pod-runner \
            "$TEST_TMP/obs/runc-$name/$a" "$TEST_TMP/obs/ocipod-$name/$a"); then
            tap_ok "$name: $a as under runc"
        else
            tap_not_ok "$name: $a as under runc" "$out"
        fi
    done
done <<<"$VARIATIONS"

tap_done
