#!/bin/bash
# oci-pod in one command, on a fresh Debian 12 machine, as root, without the internet:
#
#   1. installs the build and demo dependencies from Debian (skipped when all are there)
#   2. builds oci-pod in ./build
#   3. builds a busybox image from Debian's busybox-static package (no image is downloaded)
#   4. starts Debian's docker-registry on a free 127.0.0.1 port and pushes the image with skopeo
#   5. runs `oci-pod pull` and `oci-pod images` against it, then `oci-pod store verify`
#   6. runs the image as a pod: `oci-pod run --rm` (render into the layer cache and an overlay
#      rootfs, namespaces, a fresh /dev, masked /proc, the default capabilities, a small init as
#      PID 1; a machined registration and a scope when systemd is PID 1)
#   7. renders the image into an OCI bundle (`oci-pod render`) and runs that bundle, unchanged,
#      with oci-pod's own runtime (`oci-pod-runner run`) and with Debian's runc
#   8. stops the registry and undoes the bundle; the store stays in /var/tmp/oci-pod-demo/root
#      (replaced by the next run) for you to look at
#
# Environment: OCI_POD_BUILD_DIR (default ./build), OCI_POD_DEMO_ROOT (the demo's store root).
set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
build=${OCI_POD_BUILD_DIR:-$top/build}
root=${OCI_POD_DEMO_ROOT:-/var/tmp/oci-pod-demo/root}
packages=(
    g++ make autoconf automake libtool pkg-config
    libsystemd-dev libcurl4-gnutls-dev libjansson-dev libgcrypt20-dev libarchive-dev
    libisal-dev libzstd-dev libseccomp-dev libcap-dev cpputest
    docker-registry skopeo busybox-static runc python3 curl ca-certificates
)

step() { printf '\n==> %s\n' "$*"; }
show() {
    printf '$ %s\n' "$*"
    "$@"
}

step "Checking packages"
missing=()
for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "demo.sh: run as root to install: ${missing[*]}" >&2
        exit 1
    fi
    echo "installing: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
else
    echo "all present"
fi

step "Building oci-pod in $build"
cd "$top"
[ -x configure ] || autoreconf -fi
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q --enable-werror
make -s -j"$(nproc)"
OCI_POD=$build/oci-pod
OCI_POD_RUNNER=$build/oci-pod-runner

# The test suite's helpers start the registry and build the image; they clean up at exit.
srcdir=$top
TEST_TMP=$(mktemp -d /var/tmp/oci-pod-demo-run.XXXXXX)
cleanup_cmds="rm -rf '$TEST_TMP'"
at_exit() { cleanup_cmds="$1
$cleanup_cmds"; }
cleanup() {
    local rc=$? cmd
    set +e
    while IFS= read -r cmd; do
        [ -n "$cmd" ] && eval "$cmd" >/dev/null 2>&1
    done <<<"$cleanup_cmds"
    [ -n "${REGISTRY_PID:-}" ] && echo "(registry stopped)"
    exit "$rc"
}
trap cleanup EXIT
export TEST_TMP srcdir
# shellcheck source=tests/lib/registry.sh
. "$top/tests/lib/registry.sh"
# shellcheck source=tests/lib/images.sh
. "$top/tests/lib/images.sh"

step "Building the busybox image from Debian's busybox-static"
images_build
echo "OCI layout: $(images_layout busybox) ($(images_digest busybox))"

step "Starting docker-registry"
registry_start
echo "listening on $REGISTRY_URL (pid $REGISTRY_PID, log $REGISTRY_LOG)"
images_push busybox latest "$REGISTRY_PORT"
echo "pushed $REGISTRY_HOST/busybox:latest"

step "Pulling it with oci-pod (store: $root)"
# The registry's port changes from run to run, and so does the image's name: start the demo's
# own store afresh (a store given with OCI_POD_DEMO_ROOT is left as it is).
[ -z "${OCI_POD_DEMO_ROOT:-}" ] && rm -rf "$root"
mkdir -p "$(dirname "$root")"
show "$OCI_POD" --root "$root" pull --tls-verify=false "$REGISTRY_HOST/busybox:latest"

step "Listing the store"
show "$OCI_POD" --root "$root" images
show "$OCI_POD" --root "$root" store verify

step "The store is a plain OCI layout"
show skopeo inspect --format '{{.Digest}} {{.Architecture}} {{len .Layers}} layer(s)' \
    "oci:$root/store:$REGISTRY_HOST/busybox:latest"

step "Running it as a pod"
show "$OCI_POD" --root "$root" run --rm --name "oci-pod-demo-$$" --hostname demo \
    "$REGISTRY_HOST/busybox:latest" sh -c 'echo "hello from pod $(hostname), PID $$ under $(cat /proc/1/comm)"; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'

step "Rendering it into an OCI bundle"
bundle=$TEST_TMP/bundle
show "$OCI_POD" --root "$root" render --bundle "$bundle" "$REGISTRY_HOST/busybox:latest" \
    echo hello from an oci-pod bundle
at_exit "'$OCI_POD' unrender '$bundle'"
show findmnt -n -o FSTYPE,TARGET "$bundle/rootfs" || echo "(a flattened copy)"
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); print("process.args:", c["process"]["args"])' \
    "$bundle/config.json"

step "Running the bundle with oci-pod's runtime, then with runc"
show "$OCI_POD_RUNNER" run --no-machine --bundle "$bundle" "oci-pod-demo-$$"
show runc run --bundle "$bundle" "oci-pod-demo-$$"

cat <<EOF

Done. Try:
  $OCI_POD --root $root inspect $REGISTRY_HOST/busybox:latest
  $OCI_POD --root $root run --rm -t $REGISTRY_HOST/busybox:latest sh
  $OCI_POD --root $root render --bundle /tmp/b $REGISTRY_HOST/busybox:latest ls -l /
  $OCI_POD --root $root rmi $REGISTRY_HOST/busybox:latest
EOF
