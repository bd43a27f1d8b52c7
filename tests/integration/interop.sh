#!/bin/bash
# The store is a plain OCI image layout that other tools read as it is: skopeo inspects our refs
# by their full names, umoci unpacks them (root: it creates files owned by other users), and what
# we store for an image is byte for byte what `skopeo copy docker://… oci:…` stores for it: the
# same manifest digest, the same layers, the same blob contents.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/registry.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_command docker-registry skopeo umoci curl python3
registry_client_env
images_build || tap_bail "cannot build the test images"
registry_start || tap_bail "cannot start docker-registry"
for name in busybox multilayer zstd; do
    images_push "$name" v1 "$REGISTRY_PORT" || tap_bail "cannot push '$name'"
done
R=$REGISTRY_HOST
ROOT=$TEST_TMP/root
STORE=$ROOT/store

for name in busybox multilayer zstd; do
    ref=$R/$name:v1
    tap_check "pull $name" "$OCI_POD" --root "$ROOT" pull -q --tls-verify=false "$ref"

    # skopeo reads our layout by the full reference name.
    ours=$(skopeo inspect "oci:$STORE:$ref" 2>&1 | json_query "j['Digest'] + ' ' + ' '.join(j['Layers'])" 2>&1)

    # The same image copied by skopeo into a layout of its own.
    theirs_dir=$TEST_TMP/skopeo-$name
    skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$theirs_dir:v1" >/dev/null 2>&1
    theirs=$(skopeo inspect "oci:$theirs_dir:v1" 2>&1 | json_query "j['Digest'] + ' ' + ' '.join(j['Layers'])" 2>&1)
    tap_is "$name: skopeo sees the same manifest digest and layers in our store and in its copy" \
        "$theirs" "$ours"

    differ=""
    for blob in "$theirs_dir"/blobs/sha256/*; do
        cmp -s "$blob" "$STORE/blobs/sha256/$(basename "$blob")" || differ="$differ $(basename "$blob")"
    done
    tap_is "$name: every blob skopeo stored is in our store with the same bytes" "" "$differ"
done

# Every blob in the store has the name of its content, and is read-only.
bad=""
for blob in "$STORE"/blobs/sha256/*; do
    [ "$(sha256sum <"$blob" | cut -c1-64)" = "$(basename "$blob")" ] || bad="$bad $(basename "$blob")"
    [ -w "$blob" ] && [ "$(id -u)" != 0 ] && bad="$bad $(basename "$blob"):writable"
done
tap_is "every stored blob is named by its sha256" "" "$bad"
tap_is "the layout says version 1.0.0" "1.0.0" \
    "$(json_query "j['imageLayoutVersion']" "$STORE/oci-layout" 2>&1)"

# umoci unpack applies the layers in order: whiteouts, opaque directories, hard links.
if [ "$(id -u)" = 0 ]; then
    bundle=$TEST_TMP/bundle
    if umoci unpack --image "$STORE:$R/multilayer:v1" "$bundle" >"$TEST_TMP/umoci.log" 2>&1; then
        tap_ok "umoci unpacks multilayer from our store"
        rootfs=$bundle/rootfs
        problems=""
        [ -x "$rootfs/bin/busybox" ] || problems="$problems no-busybox"
        [ -e "$rootfs/etc/motd" ] && problems="$problems motd-not-whited-out"
        [ -e "$rootfs/opt/app/old-config" ] && problems="$problems opaque-dir-not-applied"
        [ -f "$rootfs/opt/app/config" ] || problems="$problems no-config"
        [ -e "$rootfs/usr/share/many/file-000" ] && problems="$problems file-000-not-removed"
        [ -f "$rootfs/usr/share/many/file-001" ] || problems="$problems no-file-001"
        [ "$(stat -c %i "$rootfs/opt/app/data")" = "$(stat -c %i "$rootfs/opt/app/data-link")" ] ||
            problems="$problems hardlink-broken"
        [ "$(stat -c %u "$rootfs/home/app")" = 1000 ] || problems="$problems owner-lost"
        tap_is "the unpacked rootfs has every layer's changes" "" "$problems"
        # busybox-static is built for this machine, so the unpacked binary runs here.
        tap_is "the unpacked busybox runs" "hello" "$("$rootfs/bin/busybox" echo hello 2>&1)"
    else
        tap_not_ok "umoci unpacks multilayer from our store" "$(cat "$TEST_TMP/umoci.log")"
        tap_skip "the unpacked rootfs has every layer's changes" "unpack failed"
        tap_skip "the unpacked busybox runs" "unpack failed"
    fi
else
    tap_skip "umoci unpacks multilayer from our store" "needs root"
    tap_skip "the unpacked rootfs has every layer's changes" "needs root"
    tap_skip "the unpacked busybox runs" "needs root"
fi

# And the other way round: what skopeo writes into our store's layout, we list.
tap_check "skopeo copies an image into our store" \
    skopeo copy -q --src-tls-verify=false "docker://$R/busybox:v1" "oci:$STORE:$R/busybox:from-skopeo"
tap_is "images lists the image skopeo added" "$(images_digest busybox)" \
    "$("$OCI_POD" --root "$ROOT" images --json 2>/dev/null |
        json_query "' '.join(m['digest'] for m in j if m['name'] == '$R/busybox:from-skopeo')" 2>&1)"
tap_check "store verify accepts the result" "$OCI_POD" --root "$ROOT" store verify

tap_done
