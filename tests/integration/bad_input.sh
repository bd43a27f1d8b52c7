#!/bin/bash
# Bad input is refused cleanly: malformed or truncated manifests, wrong media types, digests that
# do not match or are not digests (../), oversized manifests, unknown tags and repositories,
# wrong credentials, invalid references, broken archives. Each case must end with a non-zero
# exit, exactly one line on stderr starting with "oci-pod:", and a store whose files are exactly
# as before (compared by a listing of every path, type, mode, size and sha256).
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/registry.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_command docker-registry skopeo curl htpasswd python3
registry_client_env
images_build || tap_bail "cannot build the test images"
registry_start || tap_bail "cannot start docker-registry"
images_push busybox v1 "$REGISTRY_PORT" || tap_bail "cannot push busybox"
R=$REGISTRY_HOST
ROOT=$TEST_TMP/root
"$OCI_POD" --root "$ROOT" pull -q --tls-verify=false "$R/busybox:v1" >/dev/null 2>&1 ||
    tap_bail "cannot pull busybox: $("$OCI_POD" --root "$ROOT" pull -q --tls-verify=false "$R/busybox:v1" 2>&1)"

snapshot() {
    (
        cd "$ROOT" 2>/dev/null || exit 0
        find . -printf '%p %y %m %s\n' | LC_ALL=C sort
        find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2
    )
}
snapshot >"$TEST_TMP/before"

# refused "description" pull-args...: one error line, non-zero exit, store unchanged.
refused() {
    local desc=$1
    shift
    tap_check_error "$desc: refused with one error line" "$OCI_POD" --root "$ROOT" pull -q "$@"
    snapshot >"$TEST_TMP/after"
    if cmp -s "$TEST_TMP/before" "$TEST_TMP/after"; then
        tap_ok "$desc: store unchanged"
    else
        tap_not_ok "$desc: store unchanged" "$(diff "$TEST_TMP/before" "$TEST_TMP/after")"
        cp "$TEST_TMP/after" "$TEST_TMP/before"
    fi
}

# --- hostile OCI layouts (oci: sources) ---
H=$TEST_TMP/hostile
zeros=sha256:$(printf '0%.0s' $(seq 64))
tiny='{"entries": [{"path": "hello", "content": "hello\n"}]}'
manifest_head='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"'
config_desc='"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"'$zeros'","size":2}'
"$PYTHON" - "$TEST_TMP/hostile.json" <<EOF || tap_bail "cannot write the hostile layout spec"
import json, sys
head = '$manifest_head'
config = '$config_desc'
specs = [
    {"ref": "malformed", "raw": {"bytes": "{not json"}},
    {"ref": "truncated", "raw": {"bytes": head + ",\"config\":"}},
    {"ref": "not-an-object", "raw": {"bytes": "[1, 2, 3]"}},
    {"ref": "schema1", "raw": {"bytes": json.dumps({"schemaVersion": 1, "name": "x", "tag": "y",
        "fsLayers": [], "history": []}),
        "mediaType": "application/vnd.docker.distribution.manifest.v1+prettyjws"}},
    {"ref": "type-mismatch", "raw": {"bytes": head + "," + config + ",\"layers\":[]}",
        "mediaType": "application/vnd.oci.image.index.v1+json"}},
    {"ref": "unknown-type", "raw": {"bytes": head + "," + config + ",\"layers\":[]}",
        "mediaType": "application/x-unknown"}},
    {"ref": "dotdot-digest", "raw": {"bytes": head + "," + config + ",\"layers\":[{\"mediaType\":"
        "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:../../../../etc/passwd\","
        "\"size\":10}]}"}},
    {"ref": "md5-digest", "raw": {"bytes": head + "," + config + ",\"layers\":[{\"mediaType\":"
        "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"md5:d41d8cd98f00b204e9800998ecf8427e\","
        "\"size\":10}]}"}},
    {"ref": "oversized", "raw": {"bytes": head + "," + config + ",\"layers\":[],\"annotations\":"
        "{\"pad\":\"" + "x" * (5 << 20) + "\"}}"}},
    {"ref": "bzip2-layer", "images": [{"layers": [dict($tiny,
        mediaType="application/vnd.oci.image.layer.v1.tar+bzip2")]}]},
    {"ref": "in-toto-layer", "images": [{"layers": [dict($tiny, mediaType="application/vnd.in-toto+json")]}]},
    {"ref": "wrong-config-type", "images": [{"config_mediaType": "application/octet-stream",
        "layers": [$tiny]}]},
    {"ref": "bad-manifest-digest", "images": [{"layers": [$tiny]}]},
    {"ref": "bad-manifest-size", "images": [{"layers": [$tiny]}]},
]
json.dump(specs, open(sys.argv[1], "w"))
EOF
"$PYTHON" "$srcdir/tests/fixtures/make_layout.py" "$TEST_TMP/hostile.json" "$H" >"$TEST_TMP/hostile.refs" ||
    tap_bail "cannot write the hostile layout"
# Corrupt after the fact: one manifest's bytes no longer match its digest, another's size is wrong.
"$PYTHON" - "$H" <<'EOF' || tap_bail "cannot corrupt the hostile layout"
import json, os, sys
layout = sys.argv[1]
path = os.path.join(layout, "index.json")
index = json.load(open(path))
for m in index["manifests"]:
    ref = m["annotations"]["org.opencontainers.image.ref.name"]
    if ref == "bad-manifest-digest":
        blob = os.path.join(layout, "blobs", "sha256", m["digest"][7:])
        data = open(blob, "rb").read()
        os.remove(blob)
        open(blob, "wb").write(data.replace(b'"schemaVersion":2', b'"schemaVersion": 2'))
    if ref == "bad-manifest-size":
        m["size"] += 1
json.dump(index, open(path, "w"))
EOF

refused "malformed JSON manifest" "oci:$H:malformed"
refused "truncated manifest" "oci:$H:truncated"
refused "manifest that is not an object" "oci:$H:not-an-object"
refused "Docker schema 1 manifest" "oci:$H:schema1"
refused "index media type on a manifest" "oci:$H:type-mismatch"
refused "unknown manifest media type" "oci:$H:unknown-type"
refused "layer digest with ../" "oci:$H:dotdot-digest"
refused "md5 layer digest" "oci:$H:md5-digest"
refused "manifest over 4 MiB" "oci:$H:oversized"
refused "bzip2 layer media type" "oci:$H:bzip2-layer"
refused "in-toto layer in an image" "oci:$H:in-toto-layer"
refused "config media type that is not an image config" "oci:$H:wrong-config-type"
refused "manifest bytes that do not match the digest" "oci:$H:bad-manifest-digest"
refused "manifest size that does not match" "oci:$H:bad-manifest-size"
refused "unknown tag in a layout" "oci:$H:no-such-tag"
refused "layout directory that does not exist" "oci:$TEST_TMP/does-not-exist:latest"

# --- broken archives ---
head -c 4096 /dev/urandom >"$TEST_TMP/noise.tar"
tar -cf "$TEST_TMP/empty.tar" -T /dev/null
mkdir -p "$TEST_TMP/not-docker" && echo '[]' >"$TEST_TMP/not-docker/repositories"
tar -C "$TEST_TMP/not-docker" -cf "$TEST_TMP/no-manifest.tar" repositories
refused "oci-archive that is not a tar" "oci-archive:$TEST_TMP/noise.tar"
refused "empty oci-archive" "oci-archive:$TEST_TMP/empty.tar"
refused "docker-archive without manifest.json" "docker-archive:$TEST_TMP/no-manifest.tar"

# --- the registry ---
refused "unknown tag" --tls-verify=false "$R/busybox:no-such-tag"
refused "unknown repository" --tls-verify=false "$R/no-such-repo:v1"
refused "digest with ../" --tls-verify=false "$R/busybox@sha256:../../etc"
refused "digest with ../ and the right length" --tls-verify=false \
    "$R/busybox@sha256:../../../../../../../../../../../../../../../../../../../../etc/passwd"
refused "truncated digest" --tls-verify=false "$R/busybox@sha256:abc"
refused "uppercase digest" --tls-verify=false \
    "$R/busybox@sha256:$(images_digest busybox | cut -d: -f2 | tr a-f A-F)"
refused "unknown digest algorithm" --tls-verify=false "$R/busybox@md5:d41d8cd98f00b204e9800998ecf8427e"
refused "digest of nothing in the repository" --tls-verify=false "$R/busybox@$zeros"
refused "uppercase repository name" --tls-verify=false "$R/BusyBox:v1"
refused "tag with a space" --tls-verify=false "$R/busybox:bad tag"
refused "empty reference" ""

# Hostile manifests served by the registry itself (pushed as raw bytes).
for ref in bzip2-layer wrong-config-type; do
    status=$(registry_push_raw "$H" "$ref" hostile "$ref")
    if [ "$status" = 201 ]; then
        refused "registry serving a $ref manifest" --tls-verify=false "$R/hostile:$ref"
    else
        tap_not_ok "push the $ref manifest to the registry" "HTTP $status"
    fi
done

# Nothing listens on port 1: a clear error, no hang (the retries are bounded).
refused "connection refused" --tls-verify=false "127.0.0.1:1/busybox:v1"

# --- wrong credentials ---
registry_start --htpasswd carol:right || tap_bail "cannot start docker-registry (htpasswd)"
images_push busybox v1 "$REGISTRY_PORT" || tap_bail "cannot push busybox (htpasswd)"
refused "wrong credentials" --tls-verify=false --creds carol:wrong "$REGISTRY_HOST/busybox:v1"

tap_check "the store still verifies" "$OCI_POD" --root "$ROOT" store verify
tap_done
