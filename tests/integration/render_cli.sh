#!/bin/bash
# oci-pod render / unrender and oci-pod-render end to end, from local OCI layouts: pull if
# missing, the bundle's files, the progress lines and the --json report (layers extracted on the
# first render, reused on the next), overlay and flattened root filesystems giving the same tree,
# the command line's overrides landing in config.json, refusals that leave everything as it was,
# and unrender undoing exactly what render made.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_root
need_command python3

# Run by hand with only OCI_POD set: the helper is built beside it.
command -v "$OCI_POD_RENDER" >/dev/null ||
    OCI_POD_RENDER=$(dirname "$(command -v "$OCI_POD")")/oci-pod-render
[ -x "$(command -v "$OCI_POD_RENDER")" ] || tap_skip_all "oci-pod-render is not built ('$OCI_POD_RENDER')"
images_build || tap_bail "cannot build the test images"
unset OCI_POD_ROOT NOTIFY_SOCKET

ROOT=$TEST_TMP/root
B=$TEST_TMP/bundles
mkdir -p "$B"
# Overlay mounts left by a failing test must not survive the script (or block removing TEST_TMP).
at_exit "awk -v t='$TEST_TMP/' 'index(\$5, t) == 1 { print \$5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"
pod() { "$OCI_POD" --root "$ROOT" "$@"; }
busybox=$(images_layout busybox)
multilayer=$(images_layout multilayer)
zstd=$(images_layout zstd)
status_of() {
    local rc=0
    "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    echo "$rc"
}
# The layer digests of NAME's "latest" manifest, one per line, bottom first.
layers_of() {
    local digest
    digest=$(images_digest "$1")
    json_query "'\n'.join(l['digest'] for l in j['layers'])" \
        "$(images_layout "$1")/blobs/sha256/${digest#sha256:}"
}
mounted() { awk -v d="$1" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo; }
# A listing of everything under DIR that changes when anything in it is created, removed,
# renamed or rewritten.
listing() { (cd "$1" && find . -printf '%p %y %m %U %G %s %T@\n' | sort); }

# --- help and usage errors ---
tap_check "render --help exits 0" "$OCI_POD" render --help
tap_check "unrender --help exits 0" "$OCI_POD" unrender --help
tap_is "render --help names every option" 18 \
    "$("$OCI_POD" render --help | grep -cE -- '^  (-., )?--(bundle|rootfs|entrypoint|env|user|workdir|hostname|tty|read-only|jobs|max-layer-size|max-layer-entries|json|quiet|pull|platform|tls-verify|creds)( |\[)')"
rc=$(status_of pod render "oci:$busybox:latest")
tap_is "render without --bundle: exit 2" 2 "$rc"
tap_is "... with one line saying so" \
    "oci-pod: missing '--bundle DIR'; see 'oci-pod render --help'" "$(cat "$TEST_TMP/err")"
rc=$(status_of pod render --bundle "$B/x" --rootfs tmpfs "oci:$busybox:latest")
tap_is "render --rootfs tmpfs: exit 2" 2 "$rc"
[ -e "$ROOT" ] && tap_not_ok "usage errors do not create the store" || tap_ok "usage errors do not create the store"

# --- an unknown image with --pull never ---
tap_check_error "render --pull never of an image not in the store" \
    pod render -q --pull never --bundle "$B/never" nosuch:1
tap_is "... says it is not in the store" \
    "oci-pod: image 'nosuch:1' is not in the store (--pull never)" "$(cat "$TEST_TMP/last.err")"
tap_check_error "render --pull never of a layout that was never pulled" \
    pod render -q --pull never --bundle "$B/never" "oci:$busybox:latest"
[ -e "$B/never" ] && tap_not_ok "... and no bundle directory is made" "$(ls -la "$B/never")" ||
    tap_ok "... and no bundle directory is made"
tap_is "... and nothing is pulled" "" "$(pod images --json | json_query "' '.join(m['name'] for m in j)")"

# --- pull if missing, then render ---
rc=$(status_of pod render --bundle "$B/bb" "oci:$busybox:latest")
tap_is "render of a layout not in the store: exit 0" 0 "$rc"
tap_is "... prints the bundle's absolute path" "$B/bb" "$(cat "$TEST_TMP/out")"
if grep -q '^Copying blob sha256:' "$TEST_TMP/err"; then tap_ok "... after pulling it"; else
    tap_not_ok "... after pulling it" "$(cat "$TEST_TMP/err")"; fi
tap_is "... which stored it" "localhost/busybox:latest" \
    "$(pod images --json | json_query "' '.join(m['name'] for m in j)")"
[ -f "$B/bb/config.json" ] && tap_ok "DIR/config.json exists" || tap_not_ok "DIR/config.json exists"
[ -x "$B/bb/rootfs/bin/busybox" ] && tap_ok "DIR/rootfs/bin/busybox exists" ||
    tap_not_ok "DIR/rootfs/bin/busybox exists" "$(ls -la "$B/bb" "$B/bb/rootfs" 2>&1)"
tap_is "config.json runs the image's Cmd" '["/bin/sh"]' \
    "$(json_query "j['process']['args']" "$B/bb/config.json")"

rc=$(status_of pod render --bundle "$B/bb2" "oci:$busybox:latest")
tap_is "rendering it again: exit 0" 0 "$rc"
if grep -q '^Copying blob' "$TEST_TMP/err"; then
    tap_not_ok "... without pulling it again" "$(cat "$TEST_TMP/err")"
else
    tap_ok "... without pulling it again"
fi
rc=$(status_of pod render --pull always --bundle "$B/bb3" "oci:$busybox:latest")
tap_is "--pull always: exit 0" 0 "$rc"
if grep -q '^Copying blob sha256:[0-9a-f]* already present$' "$TEST_TMP/err"; then
    tap_ok "... after pulling it again"
else
    tap_not_ok "... after pulling it again" "$(cat "$TEST_TMP/err")"
fi
rc=$(status_of pod render -q --bundle "$B/bb5" "oci:$busybox:latest")
tap_is "-q: the path on stdout, nothing on stderr" "0 $B/bb5 " "$rc $(cat "$TEST_TMP/out") $(cat "$TEST_TMP/err")"
rc=$(status_of pod render -q --pull never --bundle "$B/bb4" busybox)
tap_is "a stored image by its short name with --pull never" "0 $B/bb4" "$rc $(cat "$TEST_TMP/out")"

# --- progress and the --json report over five layers, from an empty layer cache ---
ROOT_ML=$TEST_TMP/root-ml
nlayers=$(layers_of multilayer | wc -l)
rc=$(status_of "$OCI_POD" --root "$ROOT_ML" render --json --rootfs overlay --bundle "$B/ml-overlay" "oci:$multilayer:latest")
tap_is "render --json of a five-layer image: exit 0" "0 5" "$rc $nlayers"
cp "$TEST_TMP/out" "$TEST_TMP/first.json"
expected=""
n=0
for d in $(layers_of multilayer); do
    n=$((n + 1))
    expected="${expected}extracting layer $n/$nlayers ${d:0:19}"$'\n'"layer $n/$nlayers done"$'\n'
done
tap_is "one 'extracting layer N/M' and one 'layer N/M done' line per layer" \
    "$(sort <<<"$expected" | sed '/^$/d')" "$(grep -E '^(extracting layer|layer) ' "$TEST_TMP/err" | sort)"
tap_is "--json: the first render extracts every layer and reuses none" "5 0" \
    "$(json_query "'%d %d' % (len(j['layers']['extracted']), len(j['layers']['reused']))" "$TEST_TMP/first.json")"
tap_is "--json: bundle, rootfs, image and digest" \
    "$B/ml-overlay overlay localhost/multilayer:latest $(images_digest multilayer)" \
    "$(json_query "' '.join([j['bundle'], j['rootfs'], j['image'], j['digest']])" "$TEST_TMP/first.json")"
tap_is "--json: bytes written, entries and seconds are numbers, bytes written > 0" "True" \
    "$(json_query "str(j['bytesWritten'] > 0 and j['entries'] > 0 and j['bytesCopied'] == 0 and j['seconds'] >= 0)" "$TEST_TMP/first.json")"
if mounted "$B/ml-overlay/rootfs"; then tap_ok "--rootfs overlay: DIR/rootfs is a mount point"; else
    tap_not_ok "--rootfs overlay: DIR/rootfs is a mount point" "$(grep "$TEST_TMP" /proc/self/mountinfo)"; fi

rc=$(status_of "$OCI_POD" --root "$ROOT_ML" render --json --rootfs copy --bundle "$B/ml-copy" "oci:$multilayer:latest")
tap_is "render --json --rootfs copy of the same image: exit 0" 0 "$rc"
cp "$TEST_TMP/out" "$TEST_TMP/second.json"
tap_is "--json: the second render extracts nothing and reuses every layer" "0 5" \
    "$(json_query "'%d %d' % (len(j['layers']['extracted']), len(j['layers']['reused']))" "$TEST_TMP/second.json")"
tap_is "... the same chain, bottom first" \
    "$(json_query "' '.join(j['layers']['extracted'])" "$TEST_TMP/first.json")" \
    "$(json_query "' '.join(j['layers']['reused'])" "$TEST_TMP/second.json")"
tap_is "... no layer lines when nothing is extracted" "" "$(grep -E '^extracting layer' "$TEST_TMP/err")"
tap_is "--json: rootfs copy, bytes copied > 0, none written" "copy True" \
    "$(json_query "j['rootfs'] + ' ' + str(j['bytesCopied'] > 0 and j['bytesWritten'] == 0)" "$TEST_TMP/second.json")"
if mounted "$B/ml-copy/rootfs"; then tap_not_ok "--rootfs copy: DIR/rootfs is not a mount point"; else
    tap_ok "--rootfs copy: DIR/rootfs is not a mount point"; fi
# busybox is multilayer's bottom layer: rendering it extracts nothing.
"$OCI_POD" --root "$ROOT_ML" render --json --bundle "$B/ml-bb" "oci:$busybox:latest" \
    >"$TEST_TMP/third.json" 2>"$TEST_TMP/err"
tap_is "an image sharing the bottom layer reuses it and extracts nothing" \
    "$(json_query "j['layers']['extracted'][0]" "$TEST_TMP/first.json") 0" \
    "$(json_query "' '.join(j['layers']['reused']) + ' %d' % len(j['layers']['extracted'])" "$TEST_TMP/third.json" 2>&1)"

# The two trees: equal entry by entry, and really the image (whiteouts applied, files there).
if out=$(python3 "$srcdir/tests/fixtures/tree_compare.py" --links "$B/ml-overlay/rootfs" "$B/ml-copy/rootfs" 2>&1); then
    tap_ok "overlay and copy root filesystems are identical"
else
    tap_not_ok "overlay and copy root filesystems are identical" "$out"
fi
for t in ml-overlay ml-copy; do
    r=$B/$t/rootfs
    if [ -x "$r/bin/busybox" ] && [ -f "$r/opt/app/config" ] && [ ! -e "$r/etc/motd" ] &&
        [ ! -e "$r/opt/app/old-config" ] && [ ! -e "$r/usr/share/many/file-000" ] &&
        [ -f "$r/usr/share/many/file-001" ] && [ "$(readlink "$r/opt/app/current")" = config ]; then
        tap_ok "$t: the image's files are there and its whiteouts applied"
    else
        tap_not_ok "$t: the image's files are there and its whiteouts applied" "$(ls -laR "$r/opt" "$r/etc" 2>&1)"
    fi
done

# --- the command line in config.json ---
HOST_VALUE=from-our-env pod render -q --bundle "$B/args" -e FOO=bar -e HOST_VALUE -e UNSET_HERE \
    -w /opt/app --hostname box -u app -t --read-only "oci:$multilayer:latest" echo hello "two words" \
    >"$TEST_TMP/out" 2>&1
tap_is "COMMAND replaces the image's Cmd in process.args" '["echo", "hello", "two words"]' \
    "$(json_query "j['process']['args']" "$B/args/config.json" 2>&1)"
tap_is "-e NAME=VALUE, and -e NAME from our environment (unset names dropped)" \
    "FOO=bar HOST_VALUE=from-our-env" \
    "$(json_query "' '.join(e for e in j['process']['env'] if e.split('=')[0] in ('FOO', 'HOST_VALUE', 'UNSET_HERE'))" "$B/args/config.json" 2>&1)"
tap_is "-w, --hostname, -u (from the image's passwd), -t and --read-only" \
    "/opt/app box 1000 1000 True True" \
    "$(json_query "'%s %s %d %d %s %s' % (j['process']['cwd'], j['hostname'], j['process']['user']['uid'], j['process']['user']['gid'], j['process']['terminal'], j['root']['readonly'])" "$B/args/config.json" 2>&1)"
pod render -q --bundle "$B/ep" --entrypoint '["/bin/busybox","sh","-c"]' "oci:$multilayer:latest" \
    >/dev/null 2>&1
tap_is "--entrypoint as a JSON array, without the image's Cmd" '["/bin/busybox", "sh", "-c"]' \
    "$(json_query "j['process']['args']" "$B/ep/config.json" 2>&1)"
pod render -q --bundle "$B/ep2" --entrypoint /bin/echo "oci:$multilayer:latest" hi >/dev/null 2>&1
tap_is "--entrypoint as one word, then COMMAND" '["/bin/echo", "hi"]' \
    "$(json_query "j['process']['args']" "$B/ep2/config.json" 2>&1)"

# --- refusals leave everything as it was ---
mkdir "$B/full"
echo keep >"$B/full/keep"
before=$(listing "$B/full")
tap_check_error "render into a non-empty directory" pod render -q --bundle "$B/full" "oci:$busybox:latest"
tap_is "... exits 1" 1 "$(status_of pod render -q --bundle "$B/full" "oci:$busybox:latest")"
tap_is "... and leaves it as it was" "$before" "$(listing "$B/full")"

mkdir -p "$B/mine/rootfs"
echo data >"$B/mine/rootfs/file"
before=$(listing "$B/mine")
tap_check_error "unrender of a directory render did not make" pod unrender "$B/mine"
tap_is "... leaves it as it was" "$before" "$(listing "$B/mine")"
tap_check_error "unrender of a directory that does not exist" pod unrender "$B/nosuch"

# --- unrender ---
rc=$(status_of pod unrender "$B/ml-overlay")
tap_is "unrender of an overlay bundle: exit 0" 0 "$rc"
if mounted "$B/ml-overlay/rootfs"; then tap_not_ok "... unmounts its rootfs"; else tap_ok "... unmounts its rootfs"; fi
[ -e "$B/ml-overlay" ] && tap_not_ok "... and removes DIR" "$(ls -la "$B/ml-overlay")" || tap_ok "... and removes DIR"
rc=$(status_of pod unrender "$B/ml-copy")
tap_is "unrender of a flattened bundle: exit 0" 0 "$rc"
[ -e "$B/ml-copy" ] && tap_not_ok "... removes DIR" || tap_ok "... removes DIR"
tap_check "... and the cached layers stay usable" pod render -q --bundle "$B/ml-again" "oci:$multilayer:latest"

# --- oci-pod-render is the same render ---
rc=$(status_of "$OCI_POD_RENDER" --root "$ROOT" -q --bundle "$B/helper" "oci:$zstd:latest" true)
tap_is "oci-pod-render renders a zstd image: exit 0, the path on stdout" "0 $B/helper" \
    "$rc $(cat "$TEST_TMP/out")"
[ -x "$B/helper/rootfs/bin/busybox" ] && [ -f "$B/helper/config.json" ] &&
    tap_ok "... config.json and rootfs/bin/busybox" || tap_not_ok "... config.json and rootfs/bin/busybox" \
    "$(ls -la "$B/helper" 2>&1)"
tap_is "... with the command" '["true"]' "$(json_query "j['process']['args']" "$B/helper/config.json" 2>&1)"
rc=$(status_of "$OCI_POD_RENDER" --root "$ROOT" --bundle "$B/h2" --pull never nosuch:2)
tap_is "oci-pod-render: one error line, exit 1" \
    "1 oci-pod-render: image 'nosuch:2' is not in the store (--pull never)" "$rc $(cat "$TEST_TMP/err")"
rc=$(status_of "$OCI_POD_RENDER" --root "$ROOT" "oci:$zstd:latest")
tap_is "oci-pod-render: a usage error, exit 2" \
    "2 oci-pod-render: missing '--bundle DIR'; see 'oci-pod-render --help'" "$rc $(cat "$TEST_TMP/err")"
tap_check "oci-pod-render --help" "$OCI_POD_RENDER" --help

tap_done
