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

# The Debian mirror apt is configured with (one-line and deb822 sources), for debootstrap.
images_debian_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        sed -n -e 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' \
            -e 's/^URIs: *\([^ ]*\).*/\1/p' "$f"
    done | grep -v -e '-security' -e '^cdrom:' | head -n 1
}

# A Debian bookworm minbase root filesystem as a tarball (numeric owners, xattrs, device nodes),
# made once by debootstrap and kept under the cache root whatever the images' key: debootstrap
# is neither quick nor reproducible, so editing this file does not redo it. Prints its path.
images_debian_rootfs() {
    local root out tmp mirror
    root=$(images_cache_root)
    out=$root/debian/bookworm-minbase.tar
    [ -f "$out" ] && echo "$out" && return 0
    mirror=$(images_debian_mirror)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    mkdir -p "$root/debian" || return 1
    tmp=$root/debian/.rootfs.$$
    rm -rf "$tmp"
    debootstrap --variant=minbase bookworm "$tmp/rootfs" "$mirror" >"$root/debian/debootstrap.log" 2>&1 ||
        { echo "images: debootstrap failed, see $root/debian/debootstrap.log" >&2 && return 1; }
    if findmnt -rn -o TARGET | grep -q "^$tmp/"; then
        echo "images: debootstrap left mounts under '$tmp'" >&2 && return 1
    fi
    rm -rf "$tmp/rootfs/var/cache/apt/archives/"*.deb "$tmp/rootfs/var/lib/apt/lists/"*_*
    tar --numeric-owner --xattrs --xattrs-include='*' -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" . &&
        mv "$tmp/rootfs.tar" "$out" && rm -rf "$tmp" && echo "$out"
}

# The layer changes of the Debian image, run in a rootfs that umoci unpacked; umoci repack then
# writes them as a layer, whiteouts included. Layer 2 deletes files and a directory tree,
# swaps a directory and a file both ways, replaces a directory by a symlink, adds hard links (to a
# file of the layer below and within the layer), changes modes and owners, adds setuid/setgid
# files, a sticky directory, symlinks (relative, absolute, dangling), a fifo and xattrs (user.*
# and security.capability).
images_debian_changes() {
    local r=$1 f
    for f in etc/issue etc/issue.net usr/share/common-licenses etc/cron.daily etc/hostname \
        usr/share/doc/dpkg usr/bin/dpkg usr/bin/true etc/debian_version etc/apt/apt.conf.d \
        var/lib/dpkg/info; do
        [ -e "$r/$f" ] || { echo "images: '$f' missing from the Debian rootfs" >&2 && return 1; }
    done
    rm -f "$r/etc/issue" "$r/etc/issue.net" "$r"/usr/share/doc/*/changelog.Debian.gz
    rm -rf "$r/usr/share/common-licenses"
    rm -rf "$r/etc/cron.daily" && printf 'no cron here\n' >"$r/etc/cron.daily"
    rm -f "$r/etc/hostname" && mkdir -m 0750 "$r/etc/hostname" &&
        printf 'oracle\n' >"$r/etc/hostname/name"
    rm -rf "$r/usr/share/doc/dpkg" && ln -s ../../../etc/motd "$r/usr/share/doc/dpkg"
    mkdir -p "$r/usr/local/bin" "$r/opt/oracle/shared"
    ln "$r/usr/bin/dpkg" "$r/usr/local/bin/dpkg-hardlink"
    printf 'linked twice\n' >"$r/opt/oracle/data" && ln "$r/opt/oracle/data" "$r/opt/oracle/data-link"
    chmod 0600 "$r/etc/debian_version" && chown 1000:1001 "$r/etc/debian_version"
    chown 65534:65534 "$r/opt/oracle" && chmod 0711 "$r/opt/oracle"
    cp "$r/usr/bin/true" "$r/usr/local/bin/suid-true" && chmod 4755 "$r/usr/local/bin/suid-true"
    cp "$r/usr/bin/true" "$r/usr/local/bin/sgid-true" && chown 0:50 "$r/usr/local/bin/sgid-true" &&
        chmod 2711 "$r/usr/local/bin/sgid-true"
    chmod 1777 "$r/opt/oracle/shared"
    ln -s ../../bin/bash "$r/usr/local/bin/relative-bash"
    ln -s /usr/bin/dpkg "$r/usr/local/bin/absolute-dpkg"
    ln -s /nonexistent/target "$r/opt/oracle/dangling"
    mkfifo -m 0620 "$r/opt/oracle/fifo"
    # security.capability v2 (20 bytes, little endian): cap_net_bind_service (bit 10) permitted
    # and effective.
    "$PYTHON" -c 'import os, struct, sys
os.setxattr(sys.argv[1], "user.oci-pod.note", b"oracle")
os.setxattr(sys.argv[2], "security.capability", struct.pack("<5I", 0x02000001, 1 << 10, 0, 0, 0))' \
        "$r/opt/oracle/data" "$r/usr/local/bin/sgid-true"
}

# Layer 3, over layer 2: remove what layer 2 added (a symlink, one name of a hard link), turn the
# layer-2 directory back into a file, replace a directory by a new one of the same name, drop
# a setuid bit and remove a large directory tree.
images_debian_changes2() {
    local r=$1
    rm -f "$r/usr/local/bin/absolute-dpkg" "$r/opt/oracle/data-link"
    rm -rf "$r/etc/hostname" && printf 'oracle-again\n' >"$r/etc/hostname"
    rm -rf "$r/etc/apt/apt.conf.d" && mkdir "$r/etc/apt/apt.conf.d" &&
        printf 'APT::Sandbox::User "root";\n' >"$r/etc/apt/apt.conf.d/00oracle"
    chmod 0755 "$r/usr/local/bin/suid-true"
    rm -rf "$r/var/lib/dpkg/info"
}

# The Debian minbase image in OUT/debian, built with umoci so that its whiteouts come from a tool
# that is not ours: layer 1 is the debootstrap rootfs, layers 2 and 3 the changes above; tag
# "latest". Then OUT/debian-zstd: the same layers (same diff_ids) compressed with zstd by
# make_layout.py (umoci writes only gzip).
images_debian_layout() {
    local out=$1 tarball=$2 tmp b
    tmp=$out/.debian-build.$$
    rm -rf "$tmp" && mkdir -p "$tmp" || return 1
    b=$tmp/bundle
    umoci init --layout "$tmp/debian" &&
        umoci new --image "$tmp/debian:latest" &&
        umoci config --image "$tmp/debian:latest" --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            --config.cmd /bin/bash --os linux --architecture "$(dpkg --print-architecture)" &&
        umoci unpack --image "$tmp/debian:latest" "$b" &&
        tar --numeric-owner --xattrs --xattrs-include='*' -C "$b/rootfs" -xpf "$tarball" &&
        umoci repack --refresh-bundle --history.created_by "debootstrap --variant=minbase bookworm" \
            --image "$tmp/debian:latest" "$b" &&
        images_debian_changes "$b/rootfs" &&
        umoci repack --refresh-bundle --history.created_by "deletions, replacements, links, modes" \
            --image "$tmp/debian:latest" "$b" &&
        images_debian_changes2 "$b/rootfs" &&
        umoci repack --history.created_by "changes over the layer below" \
            --image "$tmp/debian:latest" "$b" &&
        umoci gc --layout "$tmp/debian" || return 1
    rm -rf "$b"
    "$PYTHON" - "$tmp/debian" "$tmp/zstd.json" "$tmp" <<'EOF' || return 1
import gzip, json, os, shutil, sys
layout, spec_path, tmp = sys.argv[1:]
def blob(digest):
    return os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])
index = json.load(open(os.path.join(layout, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))
layers = []
for i, layer in enumerate(manifest["layers"]):
    path = os.path.join(tmp, "layer-%d.tar" % i)
    with gzip.open(blob(layer["digest"])) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    layers.append({"blob": path, "compression": "zstd", "comment": "umoci layer %d, as zstd" % i})
spec = {"ref": "latest", "images": [{"architecture": config["architecture"],
                                     "config": config["config"], "layers": layers}]}
with open(spec_path, "w") as f:
    json.dump(spec, f)
EOF
    "$PYTHON" "$srcdir/tests/fixtures/make_layout.py" "$tmp/zstd.json" "$tmp/debian-zstd" \
        >/dev/null || return 1
    rm -f "$tmp"/layer-*.tar "$tmp/zstd.json"
    mv "$tmp/debian" "$out/debian" && mv "$tmp/debian-zstd" "$out/debian-zstd" && rmdir "$tmp"
}

# Build the Debian images (debian, debian-zstd) into IMAGES_DIR, once: only the tests that need
# them call this (debootstrap needs the Debian mirror, and a minute or two the first time).
images_build_debian() {
    local root
    images_build || return 1
    [ -f "$IMAGES_DIR/debian.done" ] && return 0
    root=$(images_cache_root)
    (
        flock 9 || exit 1
        [ -f "$IMAGES_DIR/debian.done" ] && exit 0
        tarball=$(images_debian_rootfs) || exit 1
        rm -rf "$IMAGES_DIR/debian" "$IMAGES_DIR/debian-zstd"
        images_debian_layout "$IMAGES_DIR" "$tarball" >"$IMAGES_DIR/debian.log" 2>&1 || {
            cat "$IMAGES_DIR/debian.log" >&2
            exit 1
        }
        touch "$IMAGES_DIR/debian.done"
    ) 9>"$root/lock" || {
        echo "images: building the Debian images failed" >&2
        return 1
    }
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
