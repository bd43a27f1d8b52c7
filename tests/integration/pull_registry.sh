#!/bin/bash
# Pulling from a real registry (Debian's docker-registry, anonymous, plain HTTP): by tag and by
# digest, what `images` reports, platform choice in an index (never an attestation), zstd and
# Docker v2s2 images, layer sharing between images, and that a repeated pull transfers nothing.
# Blob transfers are counted in the registry's access log, so "nothing fetched" is what the
# server saw, not what the client says.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/registry.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_command docker-registry skopeo curl python3
registry_client_env
images_build || tap_bail "cannot build the test images"
registry_start || tap_bail "cannot start docker-registry"
for name in $IMAGES_NAMES; do
    images_push "$name" v1 "$REGISTRY_PORT" || tap_bail "cannot push '$name'"
done

R=$REGISTRY_HOST
ROOT=$TEST_TMP/root
pod() { "$OCI_POD" --root "$ROOT" "$@"; }
# The digest `images --json` reports for NAME.
listed_digest() {
    pod images --json >"$TEST_TMP/images.json" 2>"$TEST_TMP/images.err" &&
        json_query "' '.join(m['digest'] for m in j if m['name'] == '$1')" "$TEST_TMP/images.json"
}
has_blob() { [ -f "$1/store/blobs/sha256/${2#sha256:}" ]; }

# --- by tag ---
busybox_digest=$(images_digest busybox)
registry_digest=sha256:$(skopeo inspect --raw --tls-verify=false "docker://$R/busybox:v1" | sha256sum | cut -c1-64)
tap_is "the registry serves the layout's manifest bytes" "$busybox_digest" "$registry_digest"

out=$(pod pull --tls-verify=false "$R/busybox:v1" 2>"$TEST_TMP/err")
tap_is "pull by tag prints the stored name and digest" "$R/busybox:v1 $busybox_digest" \
    "$(tail -n 1 <<<"$out")"
tap_is "images lists the tag with the registry's digest" "$registry_digest" "$(listed_digest "$R/busybox:v1")"
all_present=yes
for d in $(json_query "' '.join(d['digest'] for d in [j['config']] + j['layers'])" \
    "$(images_layout busybox)/blobs/sha256/${busybox_digest#sha256:}"); do
    has_blob "$ROOT" "$d" || all_present="no: $d"
done
tap_is "the manifest's config and layers are in the store" yes "$all_present"

# --- by digest ---
tap_check "pull by digest" pod pull -q --tls-verify=false "$R/busybox@$busybox_digest"
tap_is "images lists the digest reference" "$busybox_digest" "$(listed_digest "$R/busybox@$busybox_digest")"

# --- a repeated pull ---
before=$(registry_blob_gets busybox)
tap_check "pull the same tag again" pod pull -q --tls-verify=false "$R/busybox:v1"
tap_is "a repeated pull fetches no blob" "$before" "$(registry_blob_gets busybox)"

# --- plain HTTP only when asked for ---
tap_check_fails "no silent fallback to plain HTTP without --tls-verify=false" \
    pod pull -q "$R/busybox:v1"
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$R" >"$TEST_TMP/insecure.conf"
tap_check "registries.conf 'insecure = true' allows plain HTTP" \
    env CONTAINERS_REGISTRIES_CONF="$TEST_TMP/insecure.conf" \
    "$OCI_POD" --root "$TEST_TMP/root-conf" pull -q "$R/busybox:v1"

# --- layer sharing ---
tap_check "pull multilayer (5 layers, whiteouts)" pod pull -q --tls-verify=false "$R/multilayer:v1"
# Its base layer is busybox's, already stored: four layers and the config are new.
tap_is "multilayer: only the new layers and the config fetched" 5 "$(registry_blob_gets multilayer)"
tap_check "pull shared (2 of its 3 layers already stored)" pod pull -q --tls-verify=false "$R/shared:v1"
tap_is "shared: only its own layer and config fetched" 2 "$(registry_blob_gets shared)"
tap_is "images lists shared" "$(images_digest shared)" "$(listed_digest "$R/shared:v1")"

# --- an index: the host's platform, never an attestation ---
multiarch_layout=$(images_layout multiarch)
index=$multiarch_layout/blobs/sha256/$(images_digest multiarch | cut -d: -f2)
attestations=$(json_query "' '.join(m['digest'] for m in j['manifests'] if m['platform']['os'] == 'unknown')" "$index")
manifest_for() { json_query "[m['digest'] for m in j['manifests'] if m['platform']['architecture'] == '$1'][0]" "$index"; }
# The per-architecture marker layer (the last one) of that platform's image.
marker_layer() {
    json_query "j['layers'][-1]['digest']" "$multiarch_layout/blobs/sha256/$(manifest_for "$1" | cut -d: -f2)"
}
case $(dpkg --print-architecture 2>/dev/null) in
amd64) host=amd64 other=arm64 ;;
arm64) host=arm64 other=amd64 ;;
*) host="" ;;
esac

tap_check "pull an index with attestations" pod pull -q --tls-verify=false "$R/multiarch:v1"
if [ -n "$host" ]; then
    arch=$(pod inspect "$R/multiarch:v1" 2>&1 | json_query "j['Config']['architecture']" 2>&1)
    tap_is "the host's platform ($host) was chosen" "$host" "$arch"
    if has_blob "$ROOT" "$(marker_layer "$host")" && ! has_blob "$ROOT" "$(marker_layer "$other")"; then
        tap_ok "only the $host image's layers were fetched"
    else
        tap_not_ok "only the $host image's layers were fetched"
    fi
else
    tap_skip "the host's platform was chosen" "no test image for $(dpkg --print-architecture)"
    tap_skip "only the host image's layers were fetched" "no test image for this architecture"
fi
touched=""
for d in $attestations; do
    grep -q "GET /v2/multiarch/manifests/$d" "$REGISTRY_LOG" && touched="$touched $d"
done
tap_is "no attestation manifest was requested" "" "$touched"

ROOT2=$TEST_TMP/root-arm64
tap_check "pull --platform linux/arm64" \
    "$OCI_POD" --root "$ROOT2" pull -q --platform linux/arm64 --tls-verify=false "$R/multiarch:v1"
config=$("$OCI_POD" --root "$ROOT2" inspect "$R/multiarch:v1" 2>&1 | json_query "j['Config']" 2>&1)
tap_is "--platform linux/arm64 chose the arm64/v8 image" "arm64 v8" \
    "$(json_query "j['architecture'] + ' ' + j.get('variant', '')" <<<"$config" 2>&1)"
if has_blob "$ROOT2" "$(marker_layer arm64)" && ! has_blob "$ROOT2" "$(marker_layer amd64)"; then
    tap_ok "--platform linux/arm64 fetched only the arm64 layers"
else
    tap_not_ok "--platform linux/arm64 fetched only the arm64 layers"
fi
tap_check_fails "--platform linux/s390x: no such image in the index" \
    "$OCI_POD" --root "$ROOT2" pull -q --platform linux/s390x --tls-verify=false "$R/multiarch:v1"

# --- zstd and Docker v2s2 ---
tap_check "pull an image with zstd layers" pod pull -q --tls-verify=false "$R/zstd:v1"
types=$(pod inspect "$R/zstd:v1" 2>&1 | json_query "' '.join(sorted(set(l['mediaType'] for l in j['Manifest']['layers'])))" 2>&1)
tap_is "its layers are stored as zstd" "application/vnd.oci.image.layer.v1.tar+zstd" "$types"

tap_check "pull a Docker v2s2 image" pod pull -q --tls-verify=false "$R/docker-v2s2:v1"
tap_is "images lists it with its v2s2 digest" "$(images_digest docker-v2s2)" \
    "$(listed_digest "$R/docker-v2s2:v1")"
pod images --json >"$TEST_TMP/images.json" 2>/dev/null
tap_is "its media type is Docker's" "application/vnd.docker.distribution.manifest.v2+json" \
    "$(json_query "[m['mediaType'] for m in j if m['name'] == '$R/docker-v2s2:v1'][0]" "$TEST_TMP/images.json" 2>&1)"

# --- the store afterwards ---
tap_check "store verify finds every blob intact" pod store verify
tap_check "the store is an OCI layout skopeo reads" skopeo inspect "oci:$ROOT/store:$R/multilayer:v1"

# oci-pod-fetch is the worker behind `oci-pod pull`; it takes the same arguments.
if [ -x "$OCI_POD_FETCH" ]; then
    tap_is "oci-pod-fetch pulls the same image" "$busybox_digest" \
        "$("$OCI_POD_FETCH" --root "$TEST_TMP/root-fetch" -q --tls-verify=false "$R/busybox:v1" 2>&1)"
else
    tap_skip "oci-pod-fetch pulls the same image" "'$OCI_POD_FETCH' is not built"
fi

tap_done
