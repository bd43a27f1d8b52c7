#!/bin/bash
# Authentication and TLS against real servers: docker-registry with htpasswd (Basic) over TLS
# signed by a test CA that only $OCI_POD_CERTS_DIRS makes trusted, credentials from --creds, an
# auth.json ($REGISTRY_AUTH_FILE) and ~/.docker/config.json; wrong or missing credentials and a
# missing CA fail with one clear error and never fall back to plain HTTP. Then bearer tokens from
# tests/fixtures/token_server.py in both response forms ("token", "access_token"), with and
# without credentials.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$srcdir/tests/lib/registry.sh"
. "$srcdir/tests/lib/images.sh"

need_oci_pod
need_command docker-registry skopeo curl openssl htpasswd python3
registry_client_env
images_build || tap_bail "cannot build the test images"
digest=$(images_digest busybox)
n=0
# Each pull goes to a fresh store, so nothing one test stored helps the next.
new_root() {
    n=$((n + 1))
    root=$TEST_TMP/root.$n
}
stored_digest() {
    "$OCI_POD" --root "$1" images --json 2>/dev/null |
        json_query "' '.join(m['digest'] for m in j if m['name'] == '$2')" 2>/dev/null
}

# --- htpasswd (Basic) over TLS ---
user=alice pass='s3cr:et'  # a ':' in the password: --creds splits at the first one
registry_start --tls --htpasswd "$user:$pass" || tap_bail "cannot start docker-registry (TLS, htpasswd)"
images_push busybox v1 "$REGISTRY_PORT" || tap_bail "cannot push busybox"
R=$REGISTRY_HOST

new_root
tap_check "Basic auth over TLS with --creds" "$OCI_POD" --root "$root" pull -q --creds "$user:$pass" "$R/busybox:v1"
tap_is "the image is stored under its name" "$digest" "$(stored_digest "$root" "$R/busybox:v1")"

printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$R" "$(printf '%s' "$user:$pass" | base64 -w0)" \
    >"$TEST_TMP/auth.json"
new_root
tap_check "credentials from \$REGISTRY_AUTH_FILE" \
    env REGISTRY_AUTH_FILE="$TEST_TMP/auth.json" "$OCI_POD" --root "$root" pull -q "$R/busybox:v1"
tap_is "... stored" "$digest" "$(stored_digest "$root" "$R/busybox:v1")"

mkdir -p "$HOME/.docker"
cp "$TEST_TMP/auth.json" "$HOME/.docker/config.json"
new_root
tap_check "credentials from ~/.docker/config.json" "$OCI_POD" --root "$root" pull -q "$R/busybox:v1"
rm -rf "$HOME/.docker"

new_root
manifest_gets() { grep -c "\"GET /v2/busybox/manifests/v1 " "$REGISTRY_LOG"; }
before=$(manifest_gets)
tap_check_error "a wrong password fails with one error line" \
    "$OCI_POD" --root "$root" pull -q --creds "$user:wrong" "$R/busybox:v1"
if grep -qiE 'unauthori|authenticat|credential|denied|401' "$TEST_TMP/last.err"; then
    tap_ok "... which says authentication failed"
else
    tap_not_ok "... which says authentication failed" "$(cat "$TEST_TMP/last.err")"
fi
tries=$(($(manifest_gets) - before))
if [ "$tries" -le 3 ]; then
    tap_ok "... after at most 3 manifest requests ($tries)"
else
    tap_not_ok "... after at most 3 manifest requests" "$tries requests: credentials were retried"
fi
tap_is "... and stores nothing" "" "$(stored_digest "$root" "$R/busybox:v1")"

new_root
tap_check_error "no credentials at all fails with one error line" \
    "$OCI_POD" --root "$root" pull -q "$R/busybox:v1"

# The CA is known only through $OCI_POD_CERTS_DIRS: without it the server is untrusted.
mkdir -p "$TEST_TMP/no-certs"
http_requests() { grep -c '"GET /v2/' "$REGISTRY_LOG"; }
before_http=$(http_requests)
new_root
tap_check_error "without the CA, the certificate is refused with one error line" \
    env OCI_POD_CERTS_DIRS="$TEST_TMP/no-certs" \
    "$OCI_POD" --root "$root" pull -q --creds "$user:$pass" "$R/busybox:v1"
if grep -qiE 'certificate|tls|x509|verif|issuer|trust' "$TEST_TMP/last.err"; then
    tap_ok "... which names the TLS problem"
else
    tap_not_ok "... which names the TLS problem" "$(cat "$TEST_TMP/last.err")"
fi
if [ "$(http_requests)" = "$before_http" ] &&
    ! grep -q "client sent an HTTP request to an HTTPS server" "$REGISTRY_LOG"; then
    tap_ok "... and no request was sent, over TLS or plain HTTP"
else
    tap_not_ok "... and no request was sent, over TLS or plain HTTP" "$(tail -n 5 "$REGISTRY_LOG")"
fi

# --- bearer tokens (TLS registry, TLS token server) ---
token_user=bob token_pass=t0ken-pw
for form in token access_token; do
    registry_start --tls --token --token-form "$form" --htpasswd "$token_user:$token_pass" ||
        tap_bail "cannot start docker-registry with token auth"
    images_push busybox v1 "$REGISTRY_PORT" || tap_bail "cannot push busybox (token auth)"
    R=$REGISTRY_HOST
    : >"$TOKEN_LOG"
    new_root
    tap_check "bearer token ('$form' response form) with --creds" \
        "$OCI_POD" --root "$root" pull -q --creds "$token_user:$token_pass" "$R/busybox:v1"
    tap_is "... stored" "$digest" "$(stored_digest "$root" "$R/busybox:v1")"
    granted=$(grep -m1 '"status": 200' "$TOKEN_LOG" |
        json_query "str(j['user']) + ' ' + ' '.join(j['scope']) + ' ' + str(j['status'])" 2>&1)
    tap_is "... the token server saw the user and a pull scope" \
        "$token_user repository:busybox:pull 200" "$granted"
done

new_root
tap_check_error "a wrong password for the token server fails with one error line" \
    "$OCI_POD" --root "$root" pull -q --creds "$token_user:nope" "$R/busybox:v1"
new_root
tap_check_error "no credentials where the token server requires them: one error line" \
    "$OCI_POD" --root "$root" pull -q "$R/busybox:v1"

registry_start --tls --token --token-anonymous --htpasswd "$token_user:$token_pass" ||
    tap_bail "cannot start docker-registry with anonymous token auth"
images_push busybox v1 "$REGISTRY_PORT" || tap_bail "cannot push busybox (anonymous tokens)"
: >"$TOKEN_LOG"
new_root
tap_check "an anonymous bearer token for a public repository" \
    "$OCI_POD" --root "$root" pull -q "$REGISTRY_HOST/busybox:v1"
tap_is "... requested without credentials" "None" \
    "$(grep -m1 '"status": 200' "$TOKEN_LOG" | json_query "str(j['user'])" 2>&1)"

tap_done
