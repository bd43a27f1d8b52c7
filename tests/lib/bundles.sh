# Runtime bundles for the runner tests (sourced after tap.sh): a busybox root filesystem built
# once, copied per bundle, and a config.json from tests/fixtures/make_runtime_config.py.
#
#   bundles_build                  build the rootfs template once (cached); sets BUNDLES_TEMPLATE
#   bundle_make DIR [CONFIG-OPTIONS...] -- ARGS...
#                                  DIR/rootfs (a copy of the template) and DIR/config.json
#   bundle_config DIR [CONFIG-OPTIONS...] -- ARGS...
#                                  rewrite DIR/config.json only
#   runc_run BUNDLE ID             runc --root $TEST_TMP/runc run (stdin /dev/null)
#   ocipod_run BUNDLE ID           $OCI_POD_RUNNER --root $TEST_TMP/ocipod run --no-machine
#   pod_run RUNTIME BUNDLE ID      one of the two by name: runc | ocipod
#
# The template: busybox-static (tests/lib/images.sh) with a link for every applet, a user "app"
# 1000:1000 with groups 1001 and 1002, and /bin/probe: tests/fixtures/runtime_probe.c built with
# gcc -static (raw system calls busybox cannot make). It is kept under
# ${OCI_POD_TEST_CACHE:-/var/tmp/oci-pod-test-cache}/bundles-KEY, KEY a hash of this file,
# images.sh and the probe source.

. "$srcdir/tests/lib/images.sh"
: "${OCI_POD_RUNNER:=oci-pod-runner}"
export OCI_POD_RUNNER

bundles_key() {
    cat "$srcdir/tests/lib/bundles.sh" "$srcdir/tests/lib/images.sh" \
        "$srcdir/tests/fixtures/runtime_probe.c" | sha256sum | cut -c1-16
}

bundles_build() {
    local root key dir tmp a
    root=$(images_cache_root)
    key=$(bundles_key)
    dir=$root/bundles-$key
    mkdir -p "$root" || return 1
    if [ ! -f "$dir/done" ]; then
        (
            flock 9 || exit 1
            [ -f "$dir/done" ] && exit 0
            tmp=$root/.bundles-$key.$$
            rm -rf "$tmp"
            mkdir -p "$tmp" || exit 1
            images_busybox_rootfs "$tmp/rootfs" "$root/debs" || exit 1
            for a in $("$tmp/rootfs/bin/busybox" --list); do
                [ -e "$tmp/rootfs/bin/$a" ] || ln -s busybox "$tmp/rootfs/bin/$a"
            done
            printf '%s\n' "app:x:1000:1000:app:/home/app:/bin/sh" >>"$tmp/rootfs/etc/passwd"
            printf '%s\n' "app:x:1000:" "extra1:x:1001:app" "extra2:x:1002:app" \
                "tty:x:5:" >>"$tmp/rootfs/etc/group"
            mkdir -p "$tmp/rootfs/home/app" "$tmp/rootfs/proc" "$tmp/rootfs/sys" \
                "$tmp/rootfs/dev" "$tmp/rootfs/mnt" "$tmp/rootfs/run"
            chown 1000:1000 "$tmp/rootfs/home/app"
            gcc -static -O1 -o "$tmp/rootfs/bin/probe" "$srcdir/tests/fixtures/runtime_probe.c" ||
                exit 1
            touch "$tmp/done"
            rm -rf "$dir"
            mv "$tmp" "$dir"
        ) 9>"$root/lock" || {
            echo "bundles: building the rootfs template failed" >&2
            return 1
        }
    fi
    BUNDLES_TEMPLATE=$dir/rootfs
    export BUNDLES_TEMPLATE
}

bundle_config() {
    local dir=$1
    shift
    "$PYTHON" "$srcdir/tests/fixtures/make_runtime_config.py" "$dir/config.json" "$@"
}

bundle_make() {
    local dir=$1
    [ -n "${BUNDLES_TEMPLATE:-}" ] || bundles_build || return 1
    mkdir -p "$dir" && cp -a "$BUNDLES_TEMPLATE" "$dir/rootfs" && bundle_config "$@"
}

runc_run() {
    runc --root "$TEST_TMP/runc" run --bundle "$1" "$2" </dev/null
}

ocipod_run() {
    "$OCI_POD_RUNNER" --root "$TEST_TMP/ocipod" run --no-machine --bundle "$1" "$2" </dev/null
}

pod_run() {
    local rt=$1
    shift
    case $rt in
    runc) runc_run "$@" ;;
    ocipod) ocipod_run "$@" ;;
    *) echo "pod_run: unknown runtime '$rt'" >&2 && return 2 ;;
    esac
}

# The runtimes a script tests: runc always (the reference that proves each check), oci-pod-runner
# when it is built; RUNNER_TESTS=runc or =ocipod restricts to one.
bundles_runtimes() {
    local list="runc"
    [ -x "$OCI_POD_RUNNER" ] && list="$list ocipod"
    case ${RUNNER_TESTS:-} in
    runc | ocipod) list=$RUNNER_TESTS ;;
    esac
    echo "$list"
}
