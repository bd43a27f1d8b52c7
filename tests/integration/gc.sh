#!/bin/bash
# oci-pod gc and oci-pod-gc on a store of their own: exactly the unshared blobs and layers of a
# removed image go, a dry run removes nothing, a rendered bundle's lease keeps its layers until
# unrender and a stale lease goes, a pod left behind by a killed `run --rm` goes after the grace
# period, old ingest and staging leftovers go and young ones stay, a manifest that cannot be read
# stops every blob removal, and a collection loop during four concurrent pulls breaks none of
# them. Issue 5, "GC".
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_root
need_command python3
images_build || tap_bail "cannot build the test images"
unset OCI_POD_ROOT NOTIFY_SOCKET
OCI_POD_GC=${OCI_POD_GC:-$(dirname "$(command -v "$OCI_POD")")/oci-pod-gc}
[ -x "$OCI_POD_GC" ] || tap_skip_all "oci-pod-gc is not built ('$OCI_POD_GC')"

ROOT=$TEST_TMP/root
at_exit "awk -v t='$TEST_TMP/' 'index(\$5, t) == 1 { print \$5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"
pod() { "$OCI_POD" --root "$ROOT" "$@"; }
busybox=$(images_layout busybox)
multilayer=$(images_layout multilayer)

# What an image of a layout consists of: its blobs ("blobs") or the ChainIDs of its layers
# ("chain"), one per line, sorted.
image_parts() {
    python3 - "$1" "$2" <<'EOF'
import hashlib, json, sys
layout, what = sys.argv[1], sys.argv[2]
def blob(d):
    return open(f"{layout}/blobs/{d.replace(':', '/')}", "rb").read()
desc = json.load(open(f"{layout}/index.json"))["manifests"][0]
manifest = json.loads(blob(desc["digest"]))
config = json.loads(blob(manifest["config"]["digest"]))
if what == "blobs":
    out = [desc["digest"], manifest["config"]["digest"]] + [l["digest"] for l in manifest["layers"]]
else:
    out, chain = [], None
    for diff in config["rootfs"]["diff_ids"]:
        chain = diff if chain is None else "sha256:" + hashlib.sha256(f"{chain} {diff}".encode()).hexdigest()
        out.append(chain)
print("\n".join(sorted(set(out))))
EOF
}
store_blobs() { (cd "$ROOT/store/blobs" && find . -type f | sed 's|^\./\([^/]*\)/|\1:|' | sort); }
store_layers() { (cd "$ROOT/layers" && ls | grep -v '^\.' | sed 's/-/:/' | sort); }
# removed_of KIND [GC OPTION...]: the names gc removed (or would) of that kind, sorted.
removed_of() {
    local kind=$1
    shift
    pod gc --json "$@" | json_query "'\n'.join(sorted(i['name'] for i in j['removed'] if i['kind'] == '$kind'))"
}

# --- two images sharing layers ---------------------------------------------------------------
pod pull -q "oci:$busybox:latest" >/dev/null && pod pull -q "oci:$multilayer:latest" >/dev/null ||
    tap_bail "cannot pull the test images"
for image in localhost/busybox localhost/multilayer; do
    pod render -q --bundle "$TEST_TMP/b" "$image" true >/dev/null && pod unrender "$TEST_TMP/b" ||
        tap_bail "cannot render $image"
done
unshared_blobs=$(comm -23 <(image_parts "$multilayer" blobs) <(image_parts "$busybox" blobs))
unshared_layers=$(comm -23 <(image_parts "$multilayer" chain) <(image_parts "$busybox" chain))
[ -n "$unshared_blobs" ] && [ -n "$unshared_layers" ] &&
    [ -n "$(comm -12 <(image_parts "$multilayer" chain) <(image_parts "$busybox" chain))" ] ||
    tap_bail "the test images do not share a layer"

tap_is "nothing to collect while both images are stored" "" "$(removed_of blob)$(removed_of layer)"
pod rmi localhost/multilayer >/dev/null
before_blobs=$(store_blobs)
tap_is "gc --dry-run lists exactly the removed image's unshared blobs" "$unshared_blobs" \
    "$(removed_of blob --dry-run)"
tap_is "... and its unshared layers" "$unshared_layers" "$(removed_of layer --dry-run)"
tap_is "... and removes nothing" "$before_blobs" "$(store_blobs)"
tap_is "oci-pod-gc removes exactly those blobs" "$unshared_blobs" \
    "$("$OCI_POD_GC" --root "$ROOT" --json | json_query "'\n'.join(sorted(i['name'] for i in j['removed'] if i['kind'] == 'blob'))")"
tap_is "... the store keeps busybox's blobs" "$(image_parts "$busybox" blobs)" "$(store_blobs)"
tap_is "... and busybox's layers" "$(image_parts "$busybox" chain)" "$(store_layers)"
tap_check "store verify passes after gc" pod store verify
tap_check "busybox still renders" sh -c "'$OCI_POD' --root '$ROOT' render -q --bundle '$TEST_TMP/b' localhost/busybox true && '$OCI_POD' unrender '$TEST_TMP/b'"
tap_is "a second gc finds nothing" "Freed 0 B: 0 pods, 0 leases, 0 blobs, 0 layers, 0 ingests, 0 leftovers" \
    "$(pod gc | tail -n 1)"

# --- leases: a bundle keeps its layers, wherever it is --------------------------------------
pod pull -q "oci:$multilayer:latest" >/dev/null
pod render -q --bundle "$TEST_TMP/kept" localhost/multilayer true >/dev/null
pod rmi localhost/multilayer >/dev/null
tap_is "a rendered bundle's layers stay after rmi of its image" "" "$(removed_of layer)"
tap_is "... its lease names it" "$TEST_TMP/kept" "$(cat "$ROOT"/leases/*.json | json_query "j['bundle']")"
pod unrender "$TEST_TMP/kept"
tap_is "after unrender its lease is gone" "" "$(ls "$ROOT/leases")"
tap_is "... and gc removes the layers" "$unshared_layers" "$(removed_of layer)"
pod pull -q "oci:$multilayer:latest" >/dev/null
pod render -q --bundle "$TEST_TMP/stale" localhost/multilayer true >/dev/null
umount "$TEST_TMP/stale/rootfs" && rm -rf "$TEST_TMP/stale"
pod rmi localhost/multilayer >/dev/null
tap_is "a lease whose bundle was deleted by hand is stale and goes" "$TEST_TMP/stale" "$(removed_of lease)"
tap_is "... and with it the layers only it kept" "$(image_parts "$busybox" chain)" "$(store_layers)"

# --- leftovers -------------------------------------------------------------------------------
mkdir -p "$ROOT/ingest/sha256-old" "$ROOT/ingest/sha256-young" "$ROOT/layers/.staging-sha256-old" \
    "$ROOT/layers/.removing-sha256-young"
touch -d '2 days ago' "$ROOT/ingest/sha256-old" "$ROOT/layers/.staging-sha256-old"
tap_is "ingest and staging leftovers older than a day go, interrupted removals always" \
    ".removing-sha256-young .staging-sha256-old sha256-old" \
    "$(pod gc --json | json_query "' '.join(sorted(i['name'] for i in j['removed']))")"
tap_is "... a young ingest stays (its pull may resume)" "sha256-young" "$(ls "$ROOT/ingest")"

# --- a pod left behind by a killed run --rm ------------------------------------------------
"$OCI_POD" --root "$ROOT" run --rm --name left localhost/busybox sleep 60 >/dev/null 2>&1 &
runner=$!
for _ in $(seq 1 100); do [ -f "$ROOT/pods/left/bundle/config.json" ] && break; sleep 0.1; done
sleep 0.5
kill -KILL "$runner"
wait "$runner" 2>/dev/null
# The pod's init goes with its runner's death only through the pid namespace: wait for it.
for _ in $(seq 1 50); do pgrep -f "sleep 60" >/dev/null || break; sleep 0.1; done
tap_is "a killed run --rm leaves its pod behind" "left" "$(ls "$ROOT/pods")"
tap_is "gc keeps it during the grace period" "" "$(removed_of pod)"
touch -d '1 hour ago' "$ROOT/pods/left" "$ROOT/pods/left/"*.json
tap_is "gc removes it after the grace period (30 minutes)" "left" "$(removed_of pod)"
tap_is "... with its bundle and its lease" "" "$(ls -A "$ROOT/pods")$(ls -A "$ROOT/leases")"

# --- a manifest that cannot be read stops blob removal -----------------------------------------
manifest=$(json_query "j['manifests'][0]['digest']" "$ROOT/store/index.json")
pod pull -q "oci:$multilayer:latest" >/dev/null && pod rmi localhost/multilayer >/dev/null
chmod u+w "$ROOT/store/blobs/sha256/${manifest#sha256:}"
echo garbage >"$ROOT/store/blobs/sha256/${manifest#sha256:}"
out=$(pod gc --json 2>"$TEST_TMP/gc.err")
tap_is "with busybox's manifest damaged, no blob is removed" "" \
    "$(echo "$out" | json_query "'\n'.join(i['name'] for i in j['removed'] if i['kind'] in ('blob', 'layer'))")"
tap_is "... and gc says why" "yes" "$(grep -q "no blob or layer is removed" "$TEST_TMP/gc.err" && echo yes)"
rm -rf "$ROOT"

# --- gc during concurrent pulls ---------------------------------------------------------------
stop=$TEST_TMP/stop-gc
( while [ ! -e "$stop" ]; do pod gc >/dev/null 2>&1; done ) &
gc_loop=$!
fails=0
for round in 1 2 3; do
    pids=()
    for name in busybox multilayer zstd shared; do
        layout=$(images_layout "$name")
        pod pull -q "oci:$layout:latest" >"$TEST_TMP/pull-$name.out" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
    for name in busybox multilayer zstd shared; do pod rmi "localhost/$name" >/dev/null 2>&1; done
done
touch "$stop"
wait "$gc_loop"
tap_is "a gc loop during 3 rounds of 4 concurrent pulls breaks none of them" "0" "$fails"
for name in busybox multilayer zstd shared; do pod pull -q "oci:$(images_layout "$name"):latest" >/dev/null; done
tap_check "... and the store verifies afterwards" pod store verify

tap_done
