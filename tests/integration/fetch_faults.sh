#!/bin/bash
# Registry faults (THREATS.md §3.2) against tests/fixtures/fake_registry.py: each pull either
# ends complete and verified (`store verify` passes, the ref is listed) or fails with one
# "oci-pod:" error line, a non-zero exit and no ref set. The fake registry's request log proves
# what went over the wire: resumes use Range, retries are bounded, Authorization never reaches
# the storage host, tokens are refreshed once.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"

need_oci_pod
PY=/usr/bin/python3
[ -x "$PY" ] || tap_skip_all "needs /usr/bin/python3"

# The client sees only what this script configures.
export HOME=$TEST_TMP/home XDG_RUNTIME_DIR=$TEST_TMP/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$TEST_TMP/certs.d"
chmod 0700 "$XDG_RUNTIME_DIR"
: >"$TEST_TMP/registries.conf"
export CONTAINERS_REGISTRIES_CONF=$TEST_TMP/registries.conf
export OCI_POD_CERTS_DIRS=$TEST_TMP/certs.d
unset REGISTRY_AUTH_FILE DOCKER_CONFIG JOURNAL_STREAM

# --- test images: OCI layouts with tar+gzip layers of random (incompressible) data ---
# lib/img: config + layers of 100 kB, 3 MB and 1.5 MB. lib/foreign: its first layer is
# non-distributable with `urls` (file:, ftp:, data: and the storage host, in that order).
"$PY" - "$TEST_TMP" <<'EOF' || tap_bail "cannot write the test layouts"
import gzip, hashlib, io, json, os, random, sys, tarfile
top = sys.argv[1]
rnd = random.Random(7)

def layout(name, sizes, foreign=False):
    out = os.path.join(top, name)
    os.makedirs(out + "/blobs/sha256")
    def put(data):
        d = hashlib.sha256(data).hexdigest()
        open(out + "/blobs/sha256/" + d, "wb").write(data)
        return "sha256:" + d
    layers, diff_ids = [], []
    for i, n in enumerate(sizes):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
            ti = tarfile.TarInfo("file%d" % i)
            ti.size, ti.mtime, ti.mode = n, 0, 0o644
            t.addfile(ti, io.BytesIO(rnd.randbytes(n)))
        raw = raw.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        gz = gzip.compress(raw, compresslevel=1, mtime=0)
        d = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(gz),
             "size": len(gz)}
        if foreign and i == 0:
            d["mediaType"] = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            d["urls"] = ["file:///etc/passwd", "ftp://127.0.0.2/x", "data:,x",
                         "http://@STORAGE@/storage/" + d["digest"]]
        layers.append(d)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": put(config), "size": len(config)},
                           "layers": layers}).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(manifest),
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}
    json.dump(index, open(out + "/index.json", "w"))
    open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
    # name=digest:size lines for the shell
    with open(os.path.join(top, name + ".blobs"), "w") as f:
        for i, l in enumerate(layers):
            f.write("layer%d=%s:%d\n" % (i, l["digest"], l["size"]))

layout("img", [100_000, 3_000_000, 1_500_000])
layout("foreign", [200_000, 300_000], foreign=True)
EOF
blob_field() { # blob_field FILE NAME digest|size
    local v
    v=$(sed -n "s/^$2=//p" "$TEST_TMP/$1.blobs")
    if [ "$3" = digest ]; then echo "${v%:*}"; else echo "${v##*:}"; fi
}
BIG=$(blob_field img layer1 digest)
BIG_SIZE=$(blob_field img layer1 size)
SMALL=$(blob_field img layer0 digest)
FOREIGN=$(blob_field foreign layer0 digest)

# --- the fake registry ---
FAULTS=$TEST_TMP/faults.json
LOG=$TEST_TMP/requests.jsonl
echo '{}' >"$FAULTS"
fake_start() { # fake_start VAR [options]: starts an instance, sets VAR to its port
    local var=$1 out=$TEST_TMP/fake.$1 pid i
    shift
    "$PY" "$srcdir/tests/fixtures/fake_registry.py" --layout lib/img="$TEST_TMP/img" \
        --layout lib/foreign="$TEST_TMP/foreign" --faults "$FAULTS" --log "$LOG" "$@" \
        >"$out.port" 2>"$out.err" &
    pid=$!
    at_exit "kill $pid"
    for i in $(seq 100); do
        [ -s "$out.port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$out.port" ] || tap_bail "fake registry did not start: $(cat "$out.err")"
    printf -v "$var" '%s' "$(head -n1 "$out.port")"
}
fake_start PORT
REG=127.0.0.1:$PORT

# --- helpers ---
n=0
# scenario 'FAULTS-JSON': a fresh store and log, the given faults
scenario() {
    n=$((n + 1))
    ROOT=$TEST_TMP/root$n
    printf '%s\n' "$1" >"$FAULTS"
    : >"$LOG"
}
pull() { # pull [REPO]: prints nothing, exit status of the pull
    "$OCI_POD" --root "$ROOT" pull -q --tls-verify=false "$REG/${1:-lib/img}:v1"
}
# The server logs a request after its last byte, so the client may finish first: wait until the
# log stops growing (20 ms without a new line) before reading it.
settle='import os, time
size = -1
for _ in range(100):
    now = os.path.getsize(sys.argv[1])
    if now == size:
        break
    size = now
    time.sleep(0.02)'
# count 'PYTHON-EXPR over e': log entries for which it holds
count() {
    "$PY" -c 'import json, sys
'"$settle"'
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    n += bool(eval(sys.argv[2]))
print(n)' "$LOG" "$1"
}
gets_of() { count "e['method'] == 'GET' and e['path'].endswith('/blobs/$1')"; }
ref_listed() { # ref_listed NAME
    "$OCI_POD" --root "$ROOT" images --json | "$PY" -c 'import json, sys
sys.exit(0 if any(i["name"] == sys.argv[1] for i in json.load(sys.stdin)) else 1)' "$1"
}
# complete "desc" [REPO]: the pull succeeded, the store verifies, the ref is listed
complete() {
    local desc=$1 repo=${2:-lib/img} out
    if ! out=$(pull "$repo" 2>&1); then
        tap_not_ok "$desc: pull completes" "$out"
        return 1
    fi
    if out=$("$OCI_POD" --root "$ROOT" store verify 2>&1) && ref_listed "$REG/$repo:v1"; then
        tap_ok "$desc: pull completes, store verified, ref listed"
    else
        tap_not_ok "$desc: pull completes, store verified, ref listed" "$out"
    fi
}
# refused "desc" PATTERN [REPO]: one error line matching PATTERN (grep -E), no ref set
refused() {
    local desc=$1 pattern=$2 repo=${3:-lib/img}
    tap_check_error "$desc: one error line" pull "$repo"
    if grep -Eq -- "$pattern" "$TEST_TMP/last.err"; then
        tap_ok "$desc: the error says what failed"
    else
        tap_not_ok "$desc: the error says what failed" "expected /$pattern/ in: $(cat "$TEST_TMP/last.err")"
    fi
    if [ -d "$ROOT" ] && ref_listed "$REG/$repo:v1"; then
        tap_not_ok "$desc: no ref set"
    else
        tap_ok "$desc: no ref set"
    fi
}
now() { date +%s.%N; }
elapsed_at_least() { # elapsed_at_least START SECONDS
    "$PY" -c 'import sys, time; sys.exit(0 if time.time() - float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$@"
}

# --- happy path: the baseline counts the fault tests compare with ---
scenario '{}'
complete "no faults"
tap_is "no faults: one GET per blob" 1 "$(gets_of "$BIG")"

# --- integrity ---
# 1. one flipped byte: the whole body is read and refused at commit, refetched once from 0,
# then the pull fails naming the digest.
scenario '{"faults": [{"kind": "flip_byte", "match": "'"$BIG"'"}]}'
refused "flipped byte" "$BIG"
tap_is "flipped byte: one refetch, no more (2 GETs)" 2 "$(gets_of "$BIG")"

# 3. the connection closes at 60 %: resumed with Range, exactly 2 GETs.
scenario '{"faults": [{"kind": "truncate", "match": "'"$BIG"'", "times": 1}]}'
complete "truncated body"
tap_is "truncated body: exactly 2 GETs for the blob" 2 "$(gets_of "$BIG")"
# bytes_of 'PYTHON-EXPR over e': the bytes sent in the first matching request
bytes_of() {
    "$PY" -c 'import json, sys
'"$settle"'
print(next((e["bytes"] for e in map(json.loads, open(sys.argv[1])) if eval(sys.argv[2])), -1))' \
        "$LOG" "$1"
}
cut=$(bytes_of "e['fault'] == 'truncate'")
tap_is "truncated body: the second GET resumes at byte $cut" 1 \
    "$(count "e['path'].endswith('$BIG') and e['range'] == 'bytes=$cut-' and e['status'] == 206")"

# 4. a 200 to a Range request: the full body replaces the partial data (never appended).
scenario '{"faults": [{"kind": "truncate", "match": "'"$BIG"'", "times": 1},
                      {"kind": "ignore_range", "match": "'"$BIG"'", "times": 1}]}'
complete "200 to a Range request"
tap_is "200 to a Range request: the ranged GET got the whole blob" 1 \
    "$(count "e['range'] and e['status'] == 200 and e['bytes'] == $BIG_SIZE")"

# 5. 206 with the wrong Content-Range start: that answer is not spliced; refetch from 0.
scenario '{"faults": [{"kind": "truncate", "match": "'"$BIG"'", "times": 1},
                      {"kind": "wrong_content_range", "match": "'"$BIG"'", "times": 1}]}'
complete "wrong Content-Range start"
tap_is "wrong Content-Range start: then a GET from 0" 1 \
    "$(count "e['path'].endswith('$BIG') and e['range'] is None and e['status'] == 200 and e['bytes'] == $BIG_SIZE")"

# 2/12. one byte too many without Content-Length: the transfer is aborted (read bounded).
scenario '{"faults": [{"kind": "no_length", "extra": true, "match": "'"$BIG"'"}]}'
refused "extra bytes without Content-Length" "more than"

# 9. Docker-Content-Digest disagreeing with the blob's digest.
scenario '{"faults": [{"kind": "wrong_digest_header", "match": "'"$BIG"'"}]}'
refused "wrong Docker-Content-Digest on a blob" "$BIG|Docker-Content-Digest|server says"
scenario '{"faults": [{"kind": "wrong_digest_header", "match": "/manifests/"}]}'
refused "wrong Docker-Content-Digest on a manifest" "Docker-Content-Digest"

# 11. a manifest of 4 MiB + 1 byte, with and without Content-Length.
scenario '{"faults": [{"kind": "oversize_manifest"}]}'
refused "oversize manifest" "larger than"
scenario '{"faults": [{"kind": "oversize_manifest", "no_length": true}]}'
refused "oversize manifest without Content-Length" "larger than"

# 35. schema 1.
scenario '{"faults": [{"kind": "schema1"}]}'
refused "schema1 manifest" "[Ss]chema ?1"

# --- rate limiting and transient errors ---
# 21. 429 with Retry-After in seconds and as an HTTP date.
scenario '{"faults": [{"kind": "status", "code": 429, "retry_after": "2", "match": "'"$BIG"'", "times": 1}]}'
t0=$(now)
complete "429 with Retry-After: 2"
if elapsed_at_least "$t0" 1.9; then tap_ok "429 with Retry-After: 2: waited"; else tap_not_ok "429 with Retry-After: 2: waited"; fi
tap_is "429 with Retry-After: 2: one retry" 2 "$(gets_of "$BIG")"

scenario '{"faults": [{"kind": "status", "code": 429, "retry_after": "date+3", "match": "'"$BIG"'", "times": 1}]}'
t0=$(now)
complete "429 with Retry-After: HTTP-date"
if elapsed_at_least "$t0" 1.9; then tap_ok "429 with Retry-After: HTTP-date: waited"; else tap_not_ok "429 with Retry-After: HTTP-date: waited"; fi
tap_is "429 with Retry-After: HTTP-date: one retry" 2 "$(gets_of "$BIG")"

scenario '{"faults": [{"kind": "status", "code": 429, "match": "'"$BIG"'"}]}'
refused "429 forever" "429"
tap_is "429 forever: bounded attempts (5)" 5 "$(gets_of "$BIG")"

# 22. 503 once.
scenario '{"faults": [{"kind": "status", "code": 503, "match": "'"$BIG"'", "times": 1}]}'
complete "503 once"
tap_is "503 once: one retry" 2 "$(gets_of "$BIG")"

# 24. 404 is final.
scenario '{}'
tap_check_error "unknown tag: one error line" "$OCI_POD" --root "$ROOT" pull -q --tls-verify=false "$REG/lib/img:nope"
tap_is "unknown tag: no retries" 1 "$(count "e['path'].endswith('/manifests/nope')")"

# --- authentication ---
# 13/19. anonymous bearer: one token, reused for every blob.
scenario '{"auth": {"type": "bearer", "token_ttl": 300}}'
complete "anonymous bearer token"
tap_is "anonymous bearer token: one token request" 1 "$(count "e['path'] == '/token'")"
tap_is "anonymous bearer token: every blob GET carried it" 0 \
    "$(count "'/blobs/' in e['path'] and e['auth'] != 'Bearer'")"

# 14. the token is revoked mid-pull (401 error="invalid_token"): one new token, then success.
scenario '{"auth": {"type": "bearer", "token_ttl": 300},
           "faults": [{"kind": "invalid_token", "match": "'"$BIG"'", "times": 1}]}'
complete "token expiry mid-pull"
tap_is "token expiry mid-pull: exactly one new token" 2 "$(count "e['path'] == '/token'")"

# ... and a registry that refuses the fresh token too: an auth error, no loop.
scenario '{"auth": {"type": "bearer", "token_ttl": 300},
           "faults": [{"kind": "invalid_token", "match": "'"$BIG"'"}]}'
refused "token refused again" "authentication failed"
if [ "$(count "e['path'] == '/token'")" -le 3 ]; then
    tap_ok "token refused again: no token loop"
else
    tap_not_ok "token refused again: no token loop" "$(count "e['path'] == '/token'") token requests"
fi

# 17. the token endpoint refuses (credentials required): "unauthorized", no retries.
scenario '{"auth": {"type": "bearer", "users": {"u": "p"}}}'
refused "token endpoint 401" "unauthorized"
tap_is "token endpoint 401: asked once" 1 "$(count "e['path'] == '/token'")"
tap_check "token endpoint with --creds" "$OCI_POD" --root "$ROOT" pull -q --tls-verify=false --creds u:p "$REG/lib/img:v1"

# --- redirects ---
# 27. blobs redirected to the storage host (127.0.0.2): no Authorization arrives there.
scenario '{"auth": {"type": "bearer", "token_ttl": 300}, "faults": [{"kind": "redirect", "match": "/blobs/"}]}'
complete "redirect to a storage host"
tap_is "redirect to a storage host: blobs came from the storage host" 4 \
    "$(count "e['server'] == 'storage' and e['status'] == 200")"
tap_is "redirect to a storage host: no Authorization reached it" 0 \
    "$(count "e['server'] == 'storage' and e['auth'] is not None")"

# 27/30. a resume at the storage host whose signed URL expired: back to the registry.
scenario '{"faults": [{"kind": "redirect", "match": "/blobs/"},
                      {"kind": "truncate", "server": "storage", "match": "'"$BIG"'", "times": 1},
                      {"kind": "storage_expire", "server": "storage", "times": 1}]}'
complete "signed URL expires during resume"
cut=$(bytes_of "e['fault'] == 'truncate'")
tap_is "signed URL expires during resume: fresh redirect for the ranged request" 1 \
    "$(count "e['server'] == 'registry' and e['path'].endswith('$BIG') and e['range'] == 'bytes=$cut-'")"

# 29. a redirect loop: fails after 10 hops.
scenario '{"faults": [{"kind": "redirect", "loop": true, "match": "'"$SMALL"'"}]}'
refused "redirect loop" "too many redirects"

# 31. a relative Location.
scenario '{"faults": [{"kind": "redirect", "relative": true, "match": "'"$BIG"'", "times": 1}]}'
complete "relative redirect"

# --- foreign layers ---
# 43/44. urls are tried (http only) without credentials; a challenge there is never followed.
scenario '{"auth": {"type": "bearer", "token_ttl": 300}}'
complete "foreign URL" lib/foreign
tap_is "foreign URL: fetched from the storage host without Authorization" 1 \
    "$(count "e['server'] == 'storage' and e['path'].endswith('$FOREIGN') and e['auth'] is None and e['status'] == 200")"
tap_is "foreign URL: not fetched from the registry" 0 "$(gets_of "$FOREIGN")"
scenario '{"auth": {"type": "bearer", "token_ttl": 300},
           "faults": [{"kind": "challenge", "server": "storage"}]}'
complete "foreign URL answering 401" lib/foreign
tap_is "foreign URL answering 401: its token realm is never contacted" 0 \
    "$(count "e['server'] == 'storage' and e['path'] == '/token'")"
tap_is "foreign URL answering 401: the registry served the layer" 1 \
    "$(count "e['path'].endswith('/blobs/$FOREIGN') and e['status'] == 200")"

# --- TLS ---
# 25. https with a certificate from an unknown CA: a TLS error, no fallback to http; with the
# CA under certs.d the same pull works.
if command -v openssl >/dev/null; then
    T=$TEST_TMP/tls
    mkdir -p "$T"
    (
        cd "$T" &&
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
                -subj "/CN=oci-pod test CA" &&
            openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" &&
            printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf &&
            openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt \
                -days 2 -extfile ext.cnf
    ) >"$T/log" 2>&1 || tap_bail "cannot make test certificates: $(cat "$T/log")"
    fake_start TLS_PORT --tls-cert "$T/srv.crt" --tls-key "$T/srv.key"
    scenario '{}'
    tap_check_error "unknown CA: one error line" "$OCI_POD" --root "$ROOT" pull -q "127.0.0.1:$TLS_PORT/lib/img:v1"
    if grep -q "TLS" "$TEST_TMP/last.err" && grep -q -- "--tls-verify=false" "$TEST_TMP/last.err"; then
        tap_ok "unknown CA: the error says TLS and hints at --tls-verify=false"
    else
        tap_not_ok "unknown CA: the error says TLS and hints at --tls-verify=false" "$(cat "$TEST_TMP/last.err")"
    fi
    mkdir -p "$OCI_POD_CERTS_DIRS/127.0.0.1:$TLS_PORT"
    cp "$T/ca.crt" "$OCI_POD_CERTS_DIRS/127.0.0.1:$TLS_PORT/ca.crt"
    tap_check "CA in certs.d: pull over https" "$OCI_POD" --root "$ROOT" pull -q "127.0.0.1:$TLS_PORT/lib/img:v1"
    tap_check "CA in certs.d: store verified" "$OCI_POD" --root "$ROOT" store verify
    # 28. https -> http redirect: refused.
    scenario '{"faults": [{"kind": "redirect", "match": "/blobs/"}]}'
    tap_check_error "https to http redirect: refused" "$OCI_POD" --root "$ROOT" pull -q "127.0.0.1:$TLS_PORT/lib/img:v1"
    tap_is "https to http redirect: the storage host was never asked" 0 "$(count "e['server'] == 'storage'")"
else
    tap_skip "TLS tests" "needs openssl"
fi

# --- 47: kill -9 mid-pull, then a re-run resumes ---
# Last: the stalled request's handler sleeps on after the kill and logs when it wakes.
scenario '{"faults": [{"kind": "stall", "match": "'"$BIG"'", "fraction": 0.5, "seconds": 20, "times": 1}]}'
half=$((BIG_SIZE / 2))
"$OCI_POD" --root "$ROOT" pull -q --tls-verify=false "$REG/lib/img:v1" >/dev/null 2>&1 &
pid=$!
data=$ROOT/ingest/sha256-${BIG#sha256:}/data
for i in $(seq 100); do
    [ "$(stat -c %s "$data" 2>/dev/null || echo 0)" -ge "$half" ] && break
    sleep 0.1
done
got=$(stat -c %s "$data" 2>/dev/null || echo 0)
kill -9 "$pid"
wait "$pid" 2>/dev/null
tap_is "kill -9 mid-pull: the partial blob was kept" "$half" "$got"
printf '{}\n' >"$FAULTS"
: >"$LOG"
complete "kill -9 mid-pull: the re-run"
tap_is "kill -9 mid-pull: the re-run resumed with Range" 1 \
    "$(count "e['path'].endswith('$BIG') and e['range'] == 'bytes=$half-' and e['status'] == 206")"
tap_is "kill -9 mid-pull: only the missing bytes were transferred" $((BIG_SIZE - half)) \
    "$("$PY" -c 'import json, sys
'"$settle"'
print(sum(e["bytes"] for e in map(json.loads, open(sys.argv[1])) if e["path"].endswith(sys.argv[2]) and e["fault"] is None))' "$LOG" "$BIG")"

tap_done
