# shellcheck shell=bash
# Benchmark images as OCI layouts, built once and reused (sourced by bench/* scripts).
#
#   bench_image_layout NAME      prints the layout directory for NAME, building it if needed
#   bench_image_info NAME KEY    a field of NAME's summary (layers, compressed, uncompressed, entries)
#
# Images (tag "bench" inside each layout):
#   tiny        busybox from Debian's busybox-static .deb, one gzip layer
#   debian      debootstrap --variant=minbase bookworm, five gzip layers split by paths
#   smallfiles  one gzip layer of 50,000 files of 100-2000 bytes, deterministic content
#
# Layouts are written by tests/fixtures/make_layout.py from a JSON spec (bench_image_spec).
# They live in $BENCH_CACHE/layouts/NAME with NAME.info (the writer's --summary) beside it; both appear only when complete (built under a .tmp name, then renamed), and the info
# records BENCH_IMAGES_VERSION so a change of recipe rebuilds. Needs root (debootstrap) and
# Debian's apt repositories.

BENCH_IMAGES_VERSION=3
: "${BENCH_CACHE:=${OCI_POD_BENCH_CACHE:-/var/tmp/oci-pod-bench-cache}}"
bench_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench_make_layout=$bench_lib_dir/../../tests/fixtures/make_layout.py

bench_python() {
    if [ -x /usr/bin/python3 ]; then /usr/bin/python3 "$@"; else python3 "$@"; fi
}

# The Debian mirror apt already uses (one-line or deb822 sources), else deb.debian.org.
bench_debian_mirror() {
    local uri
    if [ -n "${OCI_POD_BENCH_MIRROR:-}" ]; then
        echo "$OCI_POD_BENCH_MIRROR"
        return
    fi
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; break } }' |
        grep -E '/debian/?$' | head -n 1 || true)
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
            awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }' |
            grep -E '^https?://.*/debian/?$' | head -n 1 || true)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

# bench_build_rootfs NAME DIR: fills DIR (which exists and is empty) with NAME's tree.
bench_build_rootfs() {
    local name=$1 dir=$2 mirror
    case $name in
    tiny)
        (cd "$dir/.." && apt-get download -q busybox-static >/dev/null 2>&1) ||
            { echo "bench: 'apt-get download busybox-static' failed" >&2; return 1; }
        dpkg -x "$dir"/../busybox-static_*.deb "$dir"
        rm -f "$dir"/../busybox-static_*.deb
        local bb
        for bb in bin/busybox usr/bin/busybox; do
            if [ -x "$dir/$bb" ]; then
                ln -s busybox "$(dirname "$dir/$bb")/sh"
                break
            fi
        done
        ;;
    debian)
        mirror=$(bench_debian_mirror)
        echo "bench: debootstrap --variant=minbase bookworm from $mirror (a few minutes)" >&2
        debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir/../debootstrap.log" 2>&1 || {
            tail -n 20 "$dir/../debootstrap.log" >&2
            echo "bench: debootstrap failed" >&2
            return 1
        }
        # Leftovers that vary from run to run and are not part of an image.
        rm -rf "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/log/* \
            "$dir"/var/lib/apt/lists/* "$dir/debootstrap"
        ;;
    *)
        echo "bench: unknown image '$name'" >&2
        return 1
        ;;
    esac
}

# bench_image_spec NAME ROOTFS: the make_layout.py spec for NAME on stdout. Tree layers keep
# the owners from disk and leave out the contents of dev/, proc/ and sys/. A split tree has a
# first "rest" layer with everything outside the split prefixes (so it holds their parents),
# then one layer per group: its prefixes minus those of earlier groups.
bench_image_spec() {
    bench_python - "$1" "$2" <<'EOF'
import json, sys
name, root = sys.argv[1], sys.argv[2]
skip = ["dev/", "proc/", "sys/"]

def tree(**kw):
    return dict({"dir": root, "owners": "keep", "comment": "bench image " + name}, **kw)

def split(groups):
    taken = [p for g in groups for p in g]
    layers = [tree(exclude=skip + taken)]
    for i, group in enumerate(groups):
        earlier = [p for g in groups[:i] for p in g]
        layers.append(tree(include=group, exclude=skip + earlier))
    return layers

if name == "tiny":
    layers = [tree(exclude=skip)]
elif name == "debian":
    # Five layers of roughly 4-15 MB compressed each; the first ("rest") holds etc, var,
    # usr/sbin, the rest of usr/lib and all parents of the later layers' paths.
    layers = split([["usr/lib/x86_64-linux-gnu"], ["usr/share/locale"], ["usr/share"],
                    ["usr/bin"]])
elif name == "smallfiles":
    layers = [{"generate": {"smallfiles": 50000}, "comment": "bench image " + name}]
else:
    sys.exit("bench: unknown image '%s'" % name)
print(json.dumps({"ref": "bench", "images": [{"layers": layers, "config": {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["/bin/sh"]}}]}, indent=1, sort_keys=True))
EOF
}

bench_image_layout() {
    local name=$1 dir=$BENCH_CACHE/layouts
    local out=$dir/$name info=$dir/$name.info tmp=$dir/$name.tmp
    if [ -d "$out" ] && [ -f "$info" ] &&
        [ "$(bench_python -c 'import json,sys; print(json.load(open(sys.argv[1])).get("version"))' "$info")" = "$BENCH_IMAGES_VERSION" ]; then
        echo "$out"
        return
    fi
    echo "bench: building image '$name' into $out" >&2
    # An interrupted debootstrap may leave proc/sys mounted in its tree.
    local m
    awk -v t="$tmp/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
        umount -l "$m" || true
    done
    rm -rf --one-file-system "$out" "$info" "$tmp"
    mkdir -p "$tmp/rootfs"
    bench_image_spec "$name" "$tmp/rootfs" >"$tmp/spec.json" || return 1
    if [ "$name" != smallfiles ]; then
        bench_build_rootfs "$name" "$tmp/rootfs" || return 1
    fi
    bench_python "$bench_make_layout" --summary "$tmp/summary" "$tmp/spec.json" "$tmp/layout" \
        >/dev/null || { echo "bench: writing the '$name' layout failed" >&2; return 1; }
    bench_python -c 'import json,sys
s = json.load(open(sys.argv[1])); s["version"] = int(sys.argv[2])
print(json.dumps(s))' "$tmp/summary" "$BENCH_IMAGES_VERSION" >"$tmp/info"
    mv "$tmp/layout" "$out"
    mv "$tmp/info" "$info"
    rm -rf "$tmp"
    echo "$out"
}

bench_image_info() {
    bench_python -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
        "$BENCH_CACHE/layouts/$1.info" "$2"
}
