#!/bin/bash
# The oci-pod command line end to end, from local OCI layouts (no registry needed): usage errors
# and their exit status, help and version, what pull prints (the name and digest on stdout for
# scripts; progress on stderr as one line per blob, bars on a terminal, STATUS= and
# EXTEND_TIMEOUT_USEC= to systemd), oci-pod-fetch as the same pull, and images / inspect / rmi /
# store verify over the resulting store.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/registry.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_command python3 script
registry_client_env
images_build || tap_bail "cannot build the test images"
unset OCI_POD_ROOT NOTIFY_SOCKET

ROOT=$TEST_TMP/root
pod() { "$OCI_POD" --root "$ROOT" "$@"; }
busybox=$(images_layout busybox)
busybox_digest=$(images_digest busybox)
# "sha256:HEX SIZE" of every blob of the manifest DIGEST in LAYOUT (config first).
blobs_of() {
    json_query "'\n'.join(d['digest'] for d in [j['config']] + j['layers'])" \
        "$1/blobs/sha256/${2#sha256:}"
}
# Exit status of a command, its stdout and stderr left in $TEST_TMP/out and $TEST_TMP/err.
status_of() {
    local rc=0
    "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
    echo "$rc"
}

# --- help, version, usage errors ---
tap_is "--version" "oci-pod $(sed -n 's/^AC_INIT(\[oci-pod\], \[\([^]]*\)\].*/\1/p' "$srcdir/configure.ac")" \
    "$("$OCI_POD" --version 2>&1)"
tap_check "--help exits 0" "$OCI_POD" --help
"$OCI_POD" --help >"$TEST_TMP/help" 2>&1
if grep -q "store verify" "$TEST_TMP/help" && grep -q "/var/lib/oci-pod" "$TEST_TMP/help"; then
    tap_ok "--help lists the commands and the default root"
else
    tap_not_ok "--help lists the commands and the default root" "$(cat "$TEST_TMP/help")"
fi
for cmd in pull images inspect rmi "store verify"; do
    # shellcheck disable=SC2086
    tap_check "$cmd --help exits 0" "$OCI_POD" $cmd --help
done
"$OCI_POD" pull --help >"$TEST_TMP/help" 2>&1
tap_is "pull --help names its options" "4" \
    "$(grep -cE -- '--platform|--tls-verify|--creds|--quiet' "$TEST_TMP/help")"

usage_error() {
    local desc=$1 want=$2
    shift 2
    tap_check_error "$desc" "$@"
    if ! grep -qF -- "$want" "$TEST_TMP/last.err"; then
        tap_not_ok "... saying '$want'" "$(cat "$TEST_TMP/last.err")"
    else
        tap_ok "... saying '$want'"
    fi
    tap_is "... with exit status 2" 2 "$(status_of "$@")"
}
usage_error "an unknown option" "unknown option '--bogus'; see 'oci-pod --help'" \
    "$OCI_POD" --bogus images
usage_error "an unknown command" "unknown command 'pul'" "$OCI_POD" pul alpine
usage_error "--tls-verify=maybe" "invalid value 'maybe' for '--tls-verify'" \
    "$OCI_POD" pull --tls-verify=maybe alpine
usage_error "pull without SOURCE" "missing SOURCE; see 'oci-pod pull --help'" "$OCI_POD" pull
usage_error "--platform without an architecture" "'--platform'" \
    "$OCI_POD" pull --platform linux alpine
usage_error "--creds without ':'" "'--creds'" "$OCI_POD" pull --creds secretword alpine
if grep -q secretword "$TEST_TMP/last.err"; then
    tap_not_ok "... and the value is not echoed" "$(cat "$TEST_TMP/last.err")"
else
    tap_ok "... and the value is not echoed"
fi
rc=$(status_of "$OCI_POD_FETCH" --json x)
tap_is "oci-pod-fetch refuses an option pull does not have: exit 2" 2 "$rc"
tap_is "... with one line naming it" \
    "oci-pod-fetch: unknown option '--json'; see 'oci-pod-fetch --help'" "$(cat "$TEST_TMP/err")"

# --- reading commands without a store ---
tap_is "images without a store: the header only" \
    "REPOSITORY   TAG   DIGEST   TYPE   CREATED   SIZE" "$(pod images 2>&1)"
tap_is "images --json without a store: []" "[]" "$(pod images --json 2>&1)"
tap_check_error "inspect without a store" "$OCI_POD" --root "$ROOT" inspect busybox
tap_check_fails "store verify without a store fails" "$OCI_POD" --root "$ROOT" store verify
if [ -e "$ROOT" ]; then tap_not_ok "reading commands do not create the store"; else
    tap_ok "reading commands do not create the store"; fi

# --- pull, not on a terminal ---
rc=$(status_of pod pull "oci:$busybox:latest")
tap_is "pull exits 0" 0 "$rc"
tap_is "pull prints the stored name and the digest" "localhost/busybox:latest $busybox_digest" \
    "$(cat "$TEST_TMP/out")"
expected=""
for d in $(blobs_of "$busybox" "$busybox_digest"); do
    expected="$expected$(printf 'Copying blob %s ' "${d:0:19}")"$'\n'
done
got=$(grep '^Copying blob' "$TEST_TMP/err" | sed 's/^\(Copying blob sha256:[0-9a-f]\{12\} \).* done$/\1/' | sort)
tap_is "one 'Copying blob ... done' line per blob on stderr" "$(sort <<<"$expected" | sed '/^$/d')" "$got"
nblobs=$(blobs_of "$busybox" "$busybox_digest" | wc -l)
if tail -n 1 "$TEST_TMP/err" | grep -qE "^Fetched $nblobs blobs \(.*\) in [0-9.]+ s$"; then
    tap_ok "a summary line ends the progress"
else
    tap_not_ok "a summary line ends the progress" "$(cat "$TEST_TMP/err")"
fi
if grep -q $'\e' "$TEST_TMP/err"; then
    tap_not_ok "no terminal escapes when stderr is not a terminal" "$(cat -v "$TEST_TMP/err")"
else
    tap_ok "no terminal escapes when stderr is not a terminal"
fi

rc=$(status_of pod pull "oci:$busybox:latest")
tap_is "pulling again says every blob is already present" "$nblobs" \
    "$(grep -c '^Copying blob sha256:[0-9a-f]\{12\} already present$' "$TEST_TMP/err")"
tap_is "... and that nothing was fetched" "Nothing fetched: $nblobs blobs were already present" \
    "$(tail -n 1 "$TEST_TMP/err")"

rc=$(status_of pod pull -q "oci:$busybox:latest")
tap_is "pull -q prints the digest alone" "$busybox_digest" "$(cat "$TEST_TMP/out")"
tap_is "... and nothing on stderr" "" "$(cat "$TEST_TMP/err")"

# --- on a terminal: bars redrawn in place ---
script -qec "'$OCI_POD' --root '$TEST_TMP/root-tty' pull 'oci:$(images_layout multilayer):latest'" \
    /dev/null >"$TEST_TMP/tty" 2>&1
if grep -q $'\e\[K' "$TEST_TMP/tty" && grep -q "^Fetched" <(tr -d '\r' <"$TEST_TMP/tty" | sed 's/\x1b\[[0-9]*[A-Z]//g'); then
    tap_ok "on a terminal: lines are redrawn with ANSI sequences and a summary follows"
else
    tap_not_ok "on a terminal: lines are redrawn with ANSI sequences and a summary follows" \
        "$(cat -v "$TEST_TMP/tty")"
fi

# --- under systemd: STATUS= and EXTEND_TIMEOUT_USEC= ---
sock=$TEST_TMP/notify.sock
python3 - "$sock" "$TEST_TMP/notify.log" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
with open(sys.argv[2], "w") as out:
    try:
        while True:
            msg = s.recv(4096).decode()
            out.write(msg + "\n")
            out.flush()
            if msg.startswith("STATUS=Pulled"):
                break
    except socket.timeout:
        pass
EOF
listener=$!
at_exit "kill $listener"
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$sock "$OCI_POD" --root "$TEST_TMP/root-notify" pull -q "oci:$busybox:latest" \
    >/dev/null 2>&1
wait "$listener"
if grep -q "^STATUS=Pulling oci:$busybox:latest: .* of " "$TEST_TMP/notify.log" &&
    grep -q "^EXTEND_TIMEOUT_USEC=[0-9]\+$" "$TEST_TMP/notify.log" &&
    grep -q "^STATUS=Pulled oci:$busybox:latest$" "$TEST_TMP/notify.log"; then
    tap_ok "under systemd: STATUS= progress, EXTEND_TIMEOUT_USEC= and a final STATUS="
else
    tap_not_ok "under systemd: STATUS= progress, EXTEND_TIMEOUT_USEC= and a final STATUS=" \
        "$(cat "$TEST_TMP/notify.log" 2>&1)"
fi

# --- oci-pod-fetch is the same pull ---
multilayer=$(images_layout multilayer)
out=$("$OCI_POD_FETCH" --root "$ROOT" -q "oci:$multilayer:latest" 2>&1)
tap_is "oci-pod-fetch takes pull's options and prints the digest" "$(images_digest multilayer)" "$out"
out=$(OCI_POD_ROOT=$ROOT "$OCI_POD" pull "oci:$(images_layout docker-v2s2):latest" --quiet 2>&1)
tap_is "\$OCI_POD_ROOT and options after the argument" "$(images_digest docker-v2s2)" "$out"

# --- images ---
pod images >"$TEST_TMP/images" 2>&1
tap_is "images: a header and one row per name" 4 "$(wc -l <"$TEST_TMP/images")"
tap_is "images: the header" "REPOSITORY TAG DIGEST TYPE CREATED SIZE" \
    "$(head -n 1 "$TEST_TMP/images" | tr -s ' ')"
row=$(grep '^localhost/busybox ' "$TEST_TMP/images" | tr -s ' ')
tap_is "images: busybox's row" \
    "localhost/busybox latest ${busybox_digest:7:12} oci ago $(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
n = m["config"]["size"] + sum(l["size"] for l in m["layers"])
print("%.2f MB" % (n / 1e6) if n < 1e7 else n)' "$busybox/blobs/sha256/${busybox_digest#sha256:}")" \
    "$(sed 's/ [0-9]* [a-z]* ago / ago /' <<<"$row")"
tap_is "images: a Docker v2s2 manifest is type docker" "docker" \
    "$(grep '^localhost/docker-v2s2 ' "$TEST_TMP/images" | tr -s ' ' | cut -d' ' -f4)"
tap_is "images --no-trunc: full digests" "$busybox_digest" \
    "$(pod images --no-trunc | grep '^localhost/busybox ' | tr -s ' ' | cut -d' ' -f3)"
tap_is "images --json: the fields" \
    "localhost/busybox:latest $busybox_digest application/vnd.oci.image.manifest.v1+json oci True" \
    "$(pod images --json | json_query "' '.join(str(x) for m in j if m['name'] == 'localhost/busybox:latest' for x in [m['name'], m['digest'], m['mediaType'], m['type'], m['size'] > 0 and m['created'].startswith('20')])")"

# --- inspect ---
tap_is "inspect: Name, Digest, Manifest and Config" \
    "Config Digest Manifest Name localhost/busybox:latest $busybox_digest" \
    "$(pod inspect busybox | json_query "' '.join(sorted(j) + [j['Name'], j['Digest']])")"
tap_is "inspect's manifest is the stored one" \
    "$(json_query "j['config']['digest']" "$busybox/blobs/sha256/${busybox_digest#sha256:}")" \
    "$(pod inspect localhost/busybox:latest | json_query "j['Manifest']['config']['digest']")"
tap_is "inspect -f config" "Config Digest Name" \
    "$(pod inspect -f config busybox | json_query "' '.join(sorted(j))")"
tap_is "inspect --format manifest" "Digest Manifest Name" \
    "$(pod inspect --format=manifest busybox | json_query "' '.join(sorted(j))")"
tap_check_error "inspect of an unknown image" "$OCI_POD" --root "$ROOT" inspect nosuch:1
tap_is "... says it is not in the store" "oci-pod: image 'nosuch:1' not found in the store" \
    "$(cat "$TEST_TMP/last.err")"

# --- rmi ---
rc=$(status_of pod rmi docker-v2s2 nosuch)
tap_is "rmi with one unknown name exits 1" 1 "$rc"
tap_is "... untags the known one" "Untagged: localhost/docker-v2s2:latest" "$(cat "$TEST_TMP/out")"
tap_is "... and names the unknown one" "oci-pod: image 'nosuch' not found in the store" \
    "$(cat "$TEST_TMP/err")"
tap_is "images no longer lists it" "" "$(pod images | grep docker-v2s2)"

# --- store verify ---
rc=$(status_of pod store verify)
tap_is "store verify on an intact store exits 0" 0 "$rc"
if grep -qE '^checked [0-9]+ blobs \(.*\): all good$' "$TEST_TMP/out"; then
    tap_ok "... and says all good"
else
    tap_not_ok "... and says all good" "$(cat "$TEST_TMP/out" "$TEST_TMP/err")"
fi
layer=$(json_query "j['layers'][0]['digest']" "$busybox/blobs/sha256/${busybox_digest#sha256:}")
blob=$ROOT/store/blobs/sha256/${layer#sha256:}
chmod u+w "$blob" && printf 'x' | dd of="$blob" bs=1 seek=100 conv=notrunc status=none
rc=$(status_of pod store verify)
tap_is "store verify finds a damaged blob: exit 1" 1 "$rc"
if grep -q "^bad: $layer" "$TEST_TMP/out" &&
    grep -qF "1 bad blob(s) moved to $ROOT/quarantine" "$TEST_TMP/out"; then
    tap_ok "... names it and where it went"
else
    tap_not_ok "... names it and where it went" "$(cat "$TEST_TMP/out" "$TEST_TMP/err")"
fi
rc=$(status_of pod store verify)
tap_is "... and then reports it missing: exit 1" 1 "$rc"
if grep -q "^missing: .*${layer#sha256:}" "$TEST_TMP/out"; then
    tap_ok "... as missing"
else
    tap_not_ok "... as missing" "$(cat "$TEST_TMP/out" "$TEST_TMP/err")"
fi

tap_done
