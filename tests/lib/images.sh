# Standard test images as OCI layouts, built without the internet (sourced after tap.sh).
#
#   images_build                 build every image once (cached, see below); sets IMAGES_DIR
#   images_layout NAME           path of NAME's layout; its tag is "latest"
#   images_digest NAME           digest of what NAME's index.json entry points at
#   images_push NAME TAG PORT [SKOPEO-ARGS...]
#                                push NAME to 127.0.0.1:PORT/NAME:TAG with skopeo (default flags:
#                                $REGISTRY_SKOPEO from registry_start); indexes with all images
#
# Images:
#   busybox      one layer: busybox from Debian's busybox-static, applet links, /etc/passwd
#   multilayer   five layers over that base: a directory of many files, changes, whiteouts
#                (a file and an opaque directory), a hard link, removals
#   shared       the first two layers of multilayer (byte-identical) plus one of its own
#   multiarch    an index: linux/amd64 and linux/arm64/v8 plus two unknown/unknown attestations
#   zstd         zstd-compressed layers
#   docker-v2s2  Docker media types (manifest v2 schema 2)
#
# Layouts are written by tests/fixtures/make_layout.py, so their digests are stable; they are
# built once under ${OCI_POD_TEST_CACHE:-/var/tmp/oci-pod-test-cache}/KEY, where KEY is a hash
# of this file and make_layout.py (edit either and the images are rebuilt). Concurrent tests
# wait on a lock while one of them builds.

: "${PYTHON:=/usr/bin/python3}"
IMAGES_NAMES="busybox multilayer shared multiarch zstd docker-v2s2"

images_cache_root() {
    echo "${OCI_POD_TEST_CACHE:-/var/tmp/oci-pod-test-cache}"
}

# The busybox-static .deb: apt's cache, then the download cache, then `apt-get download`.
images_busybox_deb() {
    local debs=$1 version f
    version=$(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null | sed 's/:/%3a/')
    for f in /var/cache/apt/archives/busybox-static_"$version"_*.deb \
        "$debs"/busybox-static_*.deb; do
        [ -f "$f" ] && echo "$f" && return 0
    done
    mkdir -p "$debs"
    (cd "$debs" && apt-get download -q busybox-static >/dev/null 2>&1) || true
    for f in "$debs"/busybox-static_*.deb; do
        [ -f "$f" ] && echo "$f" && return 0
    done
    return 1
}

# The base rootfs: /bin/busybox with links for common applets, /etc/passwd and /etc/group.
images_busybox_rootfs() {
    local out=$1 debs=$2 deb x
    mkdir -p "$out/bin" "$out/etc" "$out/root" "$out/tmp" "$out/home"
    if deb=$(images_busybox_deb "$debs"); then
        x=$(mktemp -d "$out.deb.XXXXXX")
        dpkg -x "$deb" "$x" || return 1
        cp "$x/bin/busybox" "$out/bin/busybox"
        rm -rf "$x"
    elif [ -x /bin/busybox ] && dpkg-query -W busybox-static >/dev/null 2>&1; then
        # No apt repository reachable: the installed package has the same file.
        cp /bin/busybox "$out/bin/busybox"
    else
        echo "images: cannot get busybox-static (apt-get install busybox-static)" >&2
        return 1
    fi
    chmod 0755 "$out/bin/busybox"
    for x in sh ls cat echo true false sleep id env mkdir rm touch test wc sha256sum; do
        ln -s busybox "$out/bin/$x"
    done
    printf '%s\n' "root:x:0:0:root:/root:/bin/sh" \
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false" >"$out/etc/passwd"
    printf '%s\n' "root:x:0:" "nogroup:x:65534:" >"$out/etc/group"
    chmod 0644 "$out/etc/passwd" "$out/etc/group"
    chmod 0700 "$out/root"
    chmod 1777 "$out/tmp"
}

# Write the specs for every image (JSON for make_layout.py) into DIR.
images_write_specs() {
    local dir=$1 base=$2
    "$PYTHON" - "$dir" "$base" <<'EOF'
import json, os, sys
out, base = sys.argv[1], sys.argv[2]
cfg = {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"]}
busybox = {"dir": base, "comment": "busybox from Debian's busybox-static"}
many = {"comment": "a directory of many files", "entries":
        [{"path": "usr", "type": "dir"}, {"path": "usr/share", "type": "dir"},
         {"path": "usr/share/many", "type": "dir"}] +
        [{"path": "usr/share/many/file-%03d" % i, "content": "file %d\n" % i * (i + 1)}
         for i in range(300)]}
changes = {"comment": "add and change files", "entries": [
    {"path": "etc/motd", "content": "welcome\n"},
    {"path": "etc/passwd", "content": "root:x:0:0:root:/root:/bin/sh\n"
     "app:x:1000:1000:app:/home/app:/bin/sh\n"
     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
    {"path": "home/app", "type": "dir", "mode": "0750", "uid": 1000, "gid": 1000},
    {"path": "opt", "type": "dir"}, {"path": "opt/app", "type": "dir"},
    {"path": "opt/app/old-config", "content": "old=1\n"},
    {"path": "opt/app/bin", "type": "dir"},
    {"path": "opt/app/bin/run", "content": "#!/bin/sh\necho run\n", "mode": "0755"}]}
whiteouts = {"comment": "a whiteout and an opaque directory", "entries": [
    {"path": "etc/motd", "type": "whiteout"},
    {"path": "opt/app", "type": "dir"}, {"path": "opt/app", "type": "opaque"},
    {"path": "opt/app/config", "content": "new=1\n"}]}
removals = {"comment": "removals, a hard link and a symlink", "entries":
            [{"path": "usr/share/many/file-%03d" % i, "type": "whiteout"} for i in range(0, 300, 3)] +
            [{"path": "opt/app/data", "content": "data\n"},
             {"path": "opt/app/data-link", "type": "link", "target": "opt/app/data"},
             {"path": "opt/app/current", "type": "symlink", "target": "config"}]}
own = {"comment": "a layer of its own", "entries": [
    {"path": "srv", "type": "dir"}, {"path": "srv/shared-image", "content": "shared\n"}]}

def image(layers, **kw):
    d = {"config": cfg, "layers": layers}
    d.update(kw)
    return d

def arch_layer(arch):
    return {"comment": "per-arch marker", "entries": [{"path": "etc/arch", "content": arch + "\n"}]}

specs = {
    "busybox": {"images": [image([busybox])]},
    "multilayer": {"images": [image([busybox, many, changes, whiteouts, removals])]},
    "shared": {"images": [image([busybox, many, own])]},
    "multiarch": {"attestations": 2, "images": [
        image([busybox, arch_layer("amd64")], architecture="amd64"),
        image([busybox, arch_layer("arm64")], architecture="arm64", variant="v8")]},
    "zstd": {"images": [image([dict(busybox, compression="zstd"),
                               dict(own, compression="zstd")])]},
    "docker-v2s2": {"format": "docker", "images": [image([busybox, own])]},
}
for name, spec in specs.items():
    spec["ref"] = "latest"
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(spec, f, indent=1, sort_keys=True)
EOF
}

images_key() {
    cat "$srcdir/tests/lib/images.sh" "$srcdir/tests/fixtures/make_layout.py" |
        sha256sum | cut -c1-16
}

images_build() {
    local root key dir tmp name
    root=$(images_cache_root)
    key=$(images_key)
    dir=$root/$key
    mkdir -p "$root" || return 1
    if [ ! -f "$dir/done" ]; then
        (
            flock 9 || exit 1
            [ -f "$dir/done" ] && exit 0
            tmp=$root/.build-$key.$$
            rm -rf "$tmp"
            mkdir -p "$tmp/specs" "$tmp/src" || exit 1
            images_busybox_rootfs "$tmp/src/busybox-rootfs" "$root/debs" || exit 1
            images_write_specs "$tmp/specs" "$tmp/src/busybox-rootfs" || exit 1
            for name in $IMAGES_NAMES; do
                "$PYTHON" "$srcdir/tests/fixtures/make_layout.py" "$tmp/specs/$name.json" \
                    "$tmp/$name" >/dev/null || exit 1
            done
            rm -rf "$tmp/src"
            touch "$tmp/done"
            rm -rf "$dir"
            mv "$tmp" "$dir"
        ) 9>"$root/lock" || {
            echo "images: building the test images failed" >&2
            return 1
        }
    fi
    IMAGES_DIR=$dir
    export IMAGES_DIR
}

images_layout() {
    [ -n "${IMAGES_DIR:-}" ] || images_build || return 1
    echo "$IMAGES_DIR/$1"
}

images_digest() {
    images_latest_field "$1" digest
}

# The media type of NAME's top-level manifest or index.
images_media_type() {
    images_latest_field "$1" mediaType
}

# One field of the index.json entry of NAME's "latest" ref.
images_latest_field() {
    local layout
    layout=$(images_layout "$1") || return 1
    "$PYTHON" -c 'import json, sys
index = json.load(open(sys.argv[1] + "/index.json"))
print([m for m in index["manifests"]
       if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "latest"][0][sys.argv[2]])' "$layout" "$2"
}

# skopeo's oci: transport only reads OCI manifests from a layout; a Docker-typed image is handed
# to it in skopeo's own dir: format (manifest.json plus blobs named by their hex digest).
images_as_dir() {
    local layout=$1 out=$2 digest
    digest=$(images_digest "$(basename "$layout")") || return 1
    mkdir -p "$out"
    cp "$layout/blobs/sha256/${digest#sha256:}" "$out/manifest.json"
    "$PYTHON" -c 'import json, os, shutil, sys
layout, out = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(out, "manifest.json")))
for d in [m["config"]] + m["layers"]:
    h = d["digest"].split(":", 1)[1]
    shutil.copyfile(os.path.join(layout, "blobs", "sha256", h), os.path.join(out, h))' "$layout" "$out"
    echo "Directory Transport Version: 1.1" >"$out/version"
}

images_push() {
    local name=$1 tag=$2 port=$3 layout type src
    shift 3
    layout=$(images_layout "$name") || return 1
    local args=("$@")
    [ ${#args[@]} -eq 0 ] && args=("${REGISTRY_SKOPEO[@]}")
    type=$(images_media_type "$name") || return 1
    case $type in
    *docker*manifest.v2*)
        src=dir:$TEST_TMP/push-$name-$tag
        rm -rf "${src#dir:}"
        images_as_dir "$layout" "${src#dir:}" || return 1
        ;;
    *index* | *list*) src=oci:$layout:latest && args+=(--multi-arch=all) ;;
    *) src=oci:$layout:latest ;;
    esac
    skopeo copy -q --preserve-digests "${args[@]}" "$src" "docker://127.0.0.1:$port/$name:$tag"
}
