#!/bin/bash
# Local sources end to end: an OCI layout directory (oci:DIR[:REF]), a tar of one
# (oci-archive:FILE[:REF]) and the `docker save` format (docker-archive:FILE, made by skopeo).
# Each pull must store exactly the source's blobs (or, for docker-archive, the same layer
# contents), pick the host's platform from an index, and leave a store that `store verify`
# accepts.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/registry.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_command skopeo tar python3
registry_client_env
images_build || tap_bail "cannot build the test images"
ROOT=$TEST_TMP/root
pod() { "$OCI_POD" --root "$ROOT" "$@"; }

# The digest a pull printed (-q: the digest alone) and what `images` lists for it.
listed() {
    pod images --json 2>/dev/null | json_query "' '.join(sorted(m['digest'] for m in j))" 2>&1
}
# Every blob of the manifest DIGEST in LAYOUT is in the store with the same bytes.
same_blobs() {
    local layout=$1 digest=$2 d missing=""
    for d in "$digest" $(json_query "' '.join(d['digest'] for d in [j['config']] + j['layers'])" \
        "$layout/blobs/sha256/${digest#sha256:}"); do
        cmp -s "$layout/blobs/sha256/${d#sha256:}" "$ROOT/store/blobs/sha256/${d#sha256:}" ||
            missing="$missing $d"
    done
    echo "$missing"
}

busybox=$(images_layout busybox)
busybox_digest=$(images_digest busybox)

# --- oci: ---
out=$(pod pull -q "oci:$busybox:latest" 2>"$TEST_TMP/err")
tap_is "oci:DIR:REF prints the manifest digest" "$busybox_digest" "$out"
tap_is "oci:DIR:REF stored every blob of the image" "" "$(same_blobs "$busybox" "$busybox_digest")"
tap_is "images lists it" "$busybox_digest" "$(listed)"

# A layout with one image needs no REF.
multilayer=$(images_layout multilayer)
multilayer_digest=$(images_digest multilayer)
cp -a "$multilayer" "$TEST_TMP/one-image"
tap_is "oci:DIR without REF takes the layout's only image" "$multilayer_digest" \
    "$(pod pull -q "oci:$TEST_TMP/one-image" 2>&1)"
tap_is "... and stored every blob" "" "$(same_blobs "$multilayer" "$multilayer_digest")"

# An index in a layout: the host's platform, like a registry pull.
case $(dpkg --print-architecture 2>/dev/null) in
amd64 | arm64) host=$(dpkg --print-architecture) ;;
*) host="" ;;
esac
multiarch=$(images_layout multiarch)
index=$multiarch/blobs/sha256/$(images_digest multiarch | cut -d: -f2)
tap_check "oci: with an index" pod pull -q "oci:$multiarch:latest"
if [ -n "$host" ]; then
    want=$(json_query "[m['digest'] for m in j['manifests'] if m['platform']['architecture'] == '$host'][0]" "$index")
    tap_is "... stored the $host image" "" "$(same_blobs "$multiarch" "$want")"
else
    tap_skip "... stored the host's image" "no test image for this architecture"
fi

# --- oci-archive: ---
zstd=$(images_layout zstd)
zstd_digest=$(images_digest zstd)
tar -C "$zstd" -cf "$TEST_TMP/zstd.tar" oci-layout index.json blobs
tap_is "oci-archive:FILE:REF prints the manifest digest" "$zstd_digest" \
    "$(pod pull -q "oci-archive:$TEST_TMP/zstd.tar:latest" 2>&1)"
tap_is "... and stored every blob" "" "$(same_blobs "$zstd" "$zstd_digest")"
# GNU tar's default member names start with "./"; both spellings are tar files of a layout.
shared=$(images_layout shared)
shared_digest=$(images_digest shared)
tar -C "$shared" -cf "$TEST_TMP/shared.tar" .
tap_is "oci-archive with ./ member names" "$shared_digest" \
    "$(pod pull -q "oci-archive:$TEST_TMP/shared.tar" 2>&1)"
tap_is "... and stored every blob" "" "$(same_blobs "$shared" "$shared_digest")"

# --- docker-archive: ---
# skopeo writes the `docker save` format: manifest.json, the config and uncompressed layer tars.
# The layers are the same file systems, so the config's diff_ids must come out the same.
rm -f "$TEST_TMP/busybox-docker.tar"
skopeo copy -q "oci:$busybox:latest" "docker-archive:$TEST_TMP/busybox-docker.tar:example.org/busybox:v1" \
    >/dev/null 2>&1 || tap_bail "skopeo cannot write a docker-archive"
# Into a store of its own, so the only image there is the one from the archive.
DROOT=$TEST_TMP/root-docker
tap_check "docker-archive:FILE" "$OCI_POD" --root "$DROOT" pull -q "docker-archive:$TEST_TMP/busybox-docker.tar"
want_diff_ids=$(json_query "' '.join(j['rootfs']['diff_ids'])" \
    "$busybox/blobs/sha256/$(json_query "j['config']['digest'][7:]" "$busybox/blobs/sha256/${busybox_digest#sha256:}")")
name=$("$OCI_POD" --root "$DROOT" images --json 2>/dev/null | json_query "' '.join(m['name'] for m in j)" 2>&1)
tap_is "... stored the same layers (diff_ids)" "$want_diff_ids" \
    "$("$OCI_POD" --root "$DROOT" inspect "$name" 2>&1 | json_query "' '.join(j['Config']['rootfs']['diff_ids'])" 2>&1)"
tap_check "... and store verify accepts it" "$OCI_POD" --root "$DROOT" store verify

tap_check "store verify accepts everything" pod store verify
tap_is "every stored blob is named by its sha256" "" "$(
    for b in "$ROOT"/store/blobs/sha256/*; do
        [ "$(sha256sum <"$b" | cut -c1-64)" = "$(basename "$b")" ] || echo -n " $(basename "$b")"
    done
)"

tap_done
