#!/bin/bash
# The renderer against an oracle it did not write: for every test image, the root filesystem
# oci-pod renders (flattened copy and overlay mount) must equal what `umoci unpack` makes of the
# same layout, entry by entry (tests/fixtures/tree_compare.py: path, type, mode, owner, size,
# content, symlink target, device numbers, xattrs; hard links too for the copy). The Debian image
# is built with umoci, so its whiteouts come from umoci as well. Then: the busybox bundle runs
# under Debian's runc unchanged but for the args given on our command line, and the layer cache
# extracts each ChainID once (a second image sharing lower layers extracts only its own layer,
# rendering it again extracts nothing).
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_root
need_command umoci python3 findmnt
images_build || tap_bail "cannot build the test images"
ROOT=$TEST_TMP/root
pod() { "$OCI_POD" --root "$ROOT" "$@"; }
compare() { "$PYTHON" "$srcdir/tests/fixtures/tree_compare.py" "$@"; }
# A bundle that a failing check leaves behind is undone at exit, before $TEST_TMP is removed (an
# overlay mount must not be removed through).
cleanup_at_exit() {
    at_exit "'$OCI_POD' unrender '$1' || umount -l '$1/rootfs'"
}

# The ChainIDs of LAYOUT's "latest" image, bottom first, computed from its config's diff_ids
# (image-spec config.md: ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " +
# DiffID(Ln))).
chain_ids() {
    "$PYTHON" - "$1" <<'EOF'
import hashlib, json, os, sys
layout = sys.argv[1]
def blob(d):
    return json.load(open(os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1])))
index = json.load(open(os.path.join(layout, "index.json")))
ref = [m for m in index["manifests"]
       if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "latest"][0]
chain = []
for diff_id in blob(blob(ref["digest"])["config"]["digest"])["rootfs"]["diff_ids"]:
    chain.append(diff_id if not chain else
                 "sha256:" + hashlib.sha256((chain[-1] + " " + diff_id).encode()).hexdigest())
print(" ".join(chain))
EOF
}

# render --json: the reused and extracted ChainIDs, each sorted, as "reused | extracted".
cache_report() {
    json_query "' '.join(sorted(j['layers']['reused'])) + ' | ' + ' '.join(sorted(j['layers']['extracted']))" "$1" 2>&1
}
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }

# unrender DIR, then DIR must be gone and not be a mount point any more.
unrender_check() {
    local name=$1 b=$2 out
    if ! out=$("$OCI_POD" unrender "$b" 2>&1); then
        tap_not_ok "$name: unrender" "$out"
    elif [ -e "$b" ] || findmnt -rn -o TARGET | grep -qxF "$b/rootfs"; then
        tap_not_ok "$name: unrender" "'$b' is still there: $(findmnt -rn -o TARGET,FSTYPE | grep -F "$b")"
    else
        tap_ok "$name: unrender removes the bundle"
    fi
}

# --- the comparison tool notices what it must notice ---
# Mutate a copy of a tree one way at a time; each must be reported as a difference at that path.
control=$TEST_TMP/control
mkdir -p "$control/base/dir" "$control/base/bin"
printf 'content one\n' >"$control/base/dir/file"
printf 'other\n' >"$control/base/dir/second"
ln -s file "$control/base/dir/link"
ln "$control/base/dir/file" "$control/base/dir/hard"
mknod "$control/base/dir/null" c 1 3
chmod 0755 "$control/base/bin"
tap_check "tree_compare: a tree equals its copy" \
    sh -c "cp -a '$control/base' '$control/same' && '$PYTHON' '$srcdir/tests/fixtures/tree_compare.py' '$control/base' '$control/same'"

expect_difference() {
    local desc=$1 path=$2 what=$3 mutation=$4 opts=${5:-} copy out rc=0
    copy=$control/m$tap_count
    cp -a "$control/base" "$copy"
    (cd "$copy" && eval "$mutation") || { tap_not_ok "tree_compare: $desc" "mutation failed"; return; }
    out=$(compare $opts "$control/base" "$copy" 2>&1) || rc=$?
    if [ "$rc" -ne 1 ]; then
        tap_not_ok "tree_compare: $desc" "exit $rc (want 1): $out"
    elif ! printf '%s\n' "$out" | grep -q "^$path: $what"; then
        tap_not_ok "tree_compare: $desc" "no '$path: $what' line in: $out"
    else
        tap_ok "tree_compare: $desc"
    fi
}
expect_difference "a chmod" dir/file "mode 0644 != 0600" "chmod 0600 dir/file"
expect_difference "a setuid bit" bin "mode 0755 != 4755" "chmod 4755 bin"
expect_difference "an owner" dir/file "uid 0 != 1234" "chown 1234 dir/file"
expect_difference "a group" dir/file "gid 0 != 99" "chgrp 99 dir/file"
expect_difference "content of the same size" dir/file "sha256" "printf 'content two\n' >dir/file"
expect_difference "a size" dir/second "size 6 != 7" "printf 'others\n' >dir/second"
expect_difference "a symlink target" dir/link "symlink target" "ln -sfn second dir/link"
expect_difference "device numbers" dir/null "device 1:3 != 1:5" "rm dir/null && mknod dir/null c 1 5"
expect_difference "a type" dir/second "type file != dir" "rm dir/second && mkdir dir/second"
expect_difference "an xattr" dir/file "xattr user.test absent != 'x'" \
    "'$PYTHON' -c 'import os; os.setxattr(\"dir/file\", \"user.test\", b\"x\")'"
expect_difference "a missing entry" dir/second "only in $control/base" "rm dir/second"
expect_difference "an extra entry" dir/new "only in $control/m" "touch dir/new"
expect_difference "a broken hard link (--links)" dir/file "hard links dir/file dir/hard != dir/file" \
    "cp -p dir/hard x && mv x dir/hard" --links
copy=$control/ignored
cp -a "$control/base" "$copy" && chmod 0600 "$copy/dir/second"
tap_check "tree_compare: --ignore leaves out a documented exception" \
    compare --ignore /dir/second "$control/base" "$copy"
copy=$control/overlay-xattr
cp -a "$control/base" "$copy" && setfattr_ok=1
"$PYTHON" -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' "$copy/dir" ||
    setfattr_ok=0
if [ "$setfattr_ok" = 1 ]; then
    tap_check "tree_compare: trusted.overlay.* is not compared" compare "$control/base" "$copy"
else
    tap_skip "tree_compare: trusted.overlay.* is not compared" "cannot set trusted.* xattrs here"
fi

# --- oracle: umoci unpack against render --rootfs copy and --rootfs overlay ---
names="busybox multilayer zstd"
if images_build_debian >"$TEST_TMP/debian.log" 2>&1; then
    names="$names debian debian-zstd"
else
    tap_skip "the Debian images" "cannot build them: $(tail -n 1 "$TEST_TMP/debian.log")"
fi

# The zstd images hold real zstd layers: each layer's media type and the zstd frame magic, one
# line per layer; "zstd" for a zstd layer.
layer_formats() {
    "$PYTHON" - "$1" <<'EOF'
import json, os, sys
layout = sys.argv[1]
def path(d):
    return os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1])
index = json.load(open(os.path.join(layout, "index.json")))
manifest = json.load(open(path(index["manifests"][0]["digest"])))
for layer in manifest["layers"]:
    with open(path(layer["digest"]), "rb") as f:
        magic = f.read(4)
    zstd = layer["mediaType"].endswith("+zstd") and magic == b"\x28\xb5\x2f\xfd"
    print("zstd" if zstd else layer["mediaType"] + " " + magic.hex())
EOF
}
for name in $names; do
    case $name in
    *zstd*)
        formats=$(layer_formats "$(images_layout "$name")" 2>&1)
        tap_is "$name: every layer is tar+zstd with a zstd frame" "zstd" \
            "$(printf '%s\n' "$formats" | sort -u)"
        ;;
    esac
done

# umoci 0.4.7 reads no tar+zstd layers: its oracle for a zstd image is an image of the same layer
# tars (the same diff_ids) in gzip: "debian" for debian-zstd, otherwise a twin that make_layout.py
# writes from the decompressed layers into OUT.
gzip_twin() {
    local layout=$1 out=$2
    mkdir -p "$out.src" || return 1
    "$PYTHON" - "$layout" "$out.src" <<'EOF' || return 1
import json, os, shutil, subprocess, sys
layout, src = sys.argv[1:]
def path(d):
    return os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1])
index = json.load(open(os.path.join(layout, "index.json")))
manifest = json.load(open(path(index["manifests"][0]["digest"])))
config = json.load(open(path(manifest["config"]["digest"])))
layers = []
for i, layer in enumerate(manifest["layers"]):
    tar = os.path.join(src, "layer-%d.tar" % i)
    with open(tar, "wb") as f:
        subprocess.run(["zstd", "-d", "-q", "-c", path(layer["digest"])], stdout=f, check=True)
    layers.append({"blob": tar, "compression": "gzip"})
spec = {"ref": "latest", "images": [{"architecture": config["architecture"], "os": config["os"],
                                     "config": config.get("config", {}), "layers": layers}]}
with open(os.path.join(src, "spec.json"), "w") as f:
    json.dump(spec, f)
EOF
    "$PYTHON" "$srcdir/tests/fixtures/make_layout.py" "$out.src/spec.json" "$out" >/dev/null &&
        rm -rf "$out.src"
}
diff_ids() {
    "$PYTHON" - "$1" <<'EOF'
import json, os, sys
layout = sys.argv[1]
def blob(d):
    return json.load(open(os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1])))
index = json.load(open(os.path.join(layout, "index.json")))
print(" ".join(blob(blob(index["manifests"][0]["digest"])["config"]["digest"])["rootfs"]["diff_ids"]))
EOF
}

for name in $names; do
    layout=$(images_layout "$name")
    source=$layout
    case $name in
    debian-zstd) source=$(images_layout debian) ;;
    *zstd*)
        source=$TEST_TMP/gzip-twin-$name
        if ! out=$(gzip_twin "$layout" "$source" 2>&1); then
            tap_not_ok "$name: a gzip twin for umoci" "$out"
            continue
        fi
        ;;
    esac
    if [ "$source" != "$layout" ]; then
        tap_is "$name: umoci unpacks a gzip image with the same diff_ids" \
            "$(diff_ids "$layout")" "$(diff_ids "$source")"
    fi
    # One unpack per source layout (debian serves debian-zstd too).
    oracle=$TEST_TMP/umoci-$(basename "$source")
    if [ ! -d "$oracle/rootfs" ] && ! out=$(umoci unpack --image "$source:latest" "$oracle" 2>&1); then
        tap_not_ok "$name: umoci unpack" "$out"
        continue
    fi
    for mode in copy overlay; do
        b=$TEST_TMP/bundle-$name-$mode
        cleanup_at_exit "$b"
        if ! out=$(pod render --json --bundle "$b" --rootfs "$mode" "oci:$layout:latest" \
            2>&1 >"$TEST_TMP/render.json"); then
            tap_not_ok "$name: render --rootfs $mode" "$out"
            continue
        fi
        fstype=$(findmnt -n -o FSTYPE --mountpoint "$b/rootfs" 2>/dev/null)
        if [ "$mode" = overlay ]; then
            tap_is "$name: the overlay rootfs is an overlayfs mount" overlay "$fstype"
        else
            tap_is "$name: the copy rootfs is no mount point" "" "$fstype"
        fi
        tap_check "$name: $mode rootfs equals umoci's, hard links included" \
            compare --links "$oracle/rootfs" "$b/rootfs"
        if [ "$name" = busybox ] && [ "$mode" = copy ]; then
            # The comparison above can fail: one chmod in our copy is reported, exit 1.
            chmod 0700 "$b/rootfs/bin/busybox"
            out=$(compare "$oracle/rootfs" "$b/rootfs" 2>&1)
            tap_is "$name: after a chmod in our copy tree_compare reports it (exit 1)" \
                "bin/busybox: mode 0755 != 0700 (exit 1)" "$out (exit $?)"
        fi
        if [ "$name" = debian-zstd ] && [ "$mode" = copy ]; then
            # ChainIDs come from diff_ids: the zstd image reuses the layers of the gzip one.
            tap_is "$name: the layers extracted for debian are reused" \
                "$(sorted $(chain_ids "$(images_layout debian)")) | " \
                "$(cache_report "$TEST_TMP/render.json")"
        fi
        unrender_check "$name ($mode)" "$b"
    done
done
rm -rf "$TEST_TMP"/umoci-* "$TEST_TMP"/gzip-twin-*

# --- runc runs our busybox bundle; only process.args differs from the image's defaults ---
if command -v runc >/dev/null 2>&1 && runc_version=$(runc --version 2>&1); then
    b=$TEST_TMP/run-busybox
    id=oci-pod-test-$$
    cleanup_at_exit "$b"
    if out=$(pod render --bundle "$b" "oci:$(images_layout busybox):latest" echo hello 2>&1); then
        tap_is "render sets process.args from the command line" '["echo", "hello"]' \
            "$(json_query "j['process']['args']" "$b/config.json" 2>&1)"
        tap_is "process.terminal is false" false \
            "$(json_query "j['process'].get('terminal', False)" "$b/config.json" 2>&1)"
        at_exit "runc delete -f $id"
        got=$(timeout 120 runc run --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/runc.err")
        tap_is "runc run prints hello ($(printf '%s' "$runc_version" | head -n 1))" hello "$got"
        tap_check "runc delete -f removes the container" runc delete -f "$id"
        tap_is "... and runc no longer lists it" "" "$(runc list -q 2>/dev/null | grep -xF "$id")"
        unrender_check "busybox (runc)" "$b"
    else
        tap_not_ok "render busybox with args 'echo hello'" "$out"
    fi
else
    tap_skip "runc run of the busybox bundle" "runc is not installed"
fi

# --- the layer cache: ChainIDs extracted once, shared between images ---
CACHE=$TEST_TMP/cache-root
cpod() { "$OCI_POD" --root "$CACHE" "$@"; }
multilayer=$(images_layout multilayer)
shared=$(images_layout shared)
ml_chain=$(chain_ids "$multilayer")
sh_chain=$(chain_ids "$shared")
# shared is the first two layers of multilayer plus one of its own.
set -- $sh_chain
sh_lower="$1 $2" sh_own=$3
set -- $ml_chain
tap_is "shared and multilayer have the same two lower ChainIDs" "$1 $2" "$sh_lower"


# Layer directories and their inode numbers: an extraction renames a new directory into place, so
# a reused layer keeps its inode. This is the store's own evidence, next to what --json says.
layer_inodes() {
    (cd "$CACHE/layers" 2>/dev/null && for d in sha256-*; do
        [ -d "$d" ] && echo "$d $(stat -c %i "$d")"
    done)
}
same_inodes() {
    if [ -z "$2" ]; then tap_not_ok "$1" "no layer directories to compare"; else tap_is "$@"; fi
}
# cache_render N MODE LAYOUT: render into $TEST_TMP/cache-N with --json; fails with its stderr.
cache_render() {
    local b=$TEST_TMP/cache-$1
    cleanup_at_exit "$b"
    cpod render --json --bundle "$b" --rootfs "$2" "oci:$3:latest" >"$TEST_TMP/cache-$1.json" \
        2>"$TEST_TMP/cache-$1.err" || { cat "$TEST_TMP/cache-$1.err" && return 1; }
}

if out=$(cache_render 1 copy "$multilayer"); then
    tap_is "multilayer into an empty cache: all five layers extracted" \
        " | $(sorted $ml_chain)" "$(cache_report "$TEST_TMP/cache-1.json")"
else
    tap_not_ok "render multilayer into an empty cache" "$out"
fi
inodes_1=$(layer_inodes)
if out=$(cache_render 2 copy "$shared"); then
    tap_is "shared after multilayer: the two shared layers reused, only its own extracted" \
        "$(sorted $sh_lower) | $sh_own" "$(cache_report "$TEST_TMP/cache-2.json")"
else
    tap_not_ok "render shared after multilayer" "$out"
fi
inodes_2=$(layer_inodes)
same_inodes "... the layer directories of multilayer are untouched (same inodes)" "$inodes_1" \
    "$(printf '%s\n' "$inodes_2" | grep -v "^${sh_own/:/-} ")"
if out=$(cache_render 3 overlay "$shared"); then
    tap_is "shared again: every layer reused, nothing extracted" \
        "$(sorted $sh_chain) | " "$(cache_report "$TEST_TMP/cache-3.json")"
else
    tap_not_ok "render shared again" "$out"
fi
same_inodes "... and no layer directory changed" "$inodes_2" "$(layer_inodes)"
want=$(for c in $ml_chain $sh_own; do echo "${c/:/-}"; done | sort -u)
have=$(cd "$CACHE/layers" 2>/dev/null && for d in *; do [ -d "$d" ] && echo "$d"; done | sort)
tap_is "the cache holds one layer directory per ChainID, named by it" "$want" "$have"
for b in "$TEST_TMP"/cache-[0-9]; do
    [ -d "$b" ] && "$OCI_POD" unrender "$b" >/dev/null 2>&1
done

tap_done
