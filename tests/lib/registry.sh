# Local registries for integration tests (sourced after tap.sh).
#
#   registry_start [--tls] [--htpasswd USER:PASS] [--token] [--token-form token|access_token|both]
#                  [--token-expiry SECONDS] [--token-key-id x5c|kid] [--token-anonymous]
#
# starts Debian's docker-registry on a free 127.0.0.1 port (never 5000) with its storage under
# $TEST_TMP and waits until /v2/ answers. It is stopped by pid when the script exits. Exports:
#
#   REGISTRY_PORT, REGISTRY_PID, REGISTRY_HOST (127.0.0.1:PORT), REGISTRY_URL (http[s]://HOST)
#   REGISTRY_LOG        the registry's output, access log included ("GET /v2/.../blobs/...")
#   REGISTRY_DIR        config, storage, htpasswd
#   REGISTRY_SKOPEO     skopeo flags for pushing to it (--dest-tls-verify / --dest-cert-dir,
#                       --dest-creds)
#   REGISTRY_CURL       curl flags for talking to it directly (--cacert, -u)
#   OCI_POD_CERTS_DIRS  with --tls: $TEST_TMP/certs.d, holding 127.0.0.1:PORT/ca.crt (the test CA)
#   TOKEN_PORT, TOKEN_PID, TOKEN_LOG   with --token: the token server (tests/fixtures/token_server.py)
#
# Several registries may run at once; the variables describe the last one started.
# With --token and --htpasswd together, the user/password is checked by the token server.

: "${PYTHON:=/usr/bin/python3}"
registry_count=0

registry_free_port() {
    "$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The test CA and a server certificate for 127.0.0.1 and localhost, made once per script.
registry_make_ca() {
    local d=$TEST_TMP/pki
    [ -f "$d/server.crt" ] && return 0
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=oci-pod test CA" \
            -keyout ca.key -out ca.crt \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
                -keyout server.key -out server.csr &&
            printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
                "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
                "extendedKeyUsage=serverAuth" >server.ext &&
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
                -days 2 -extfile server.ext -out server.crt &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=oci-pod test token signer" \
                -keyout signer.key -out signer.csr &&
            printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature" >signer.ext &&
            openssl x509 -req -in signer.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
                -days 2 -extfile signer.ext -out signer.crt
    ) >"$d/openssl.log" 2>&1 || {
        cat "$d/openssl.log" >&2
        return 1
    }
}

# Trust the test CA for HOST:PORT: oci-pod through $OCI_POD_CERTS_DIRS, skopeo through a cert dir.
registry_trust() {
    local hostport=$1
    mkdir -p "$TEST_TMP/certs.d/$hostport"
    cp "$TEST_TMP/pki/ca.crt" "$TEST_TMP/certs.d/$hostport/ca.crt"
    export OCI_POD_CERTS_DIRS=$TEST_TMP/certs.d
}

# Wait until URL answers with one of the given HTTP codes (or the pid is gone).
registry_wait() {
    local url=$1 pid=$2 cacert=$3 code _
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 1
        code=$(curl -s -o /dev/null -w '%{http_code}' ${cacert:+--cacert "$cacert"} \
            --max-time 2 "$url" 2>/dev/null) || code=000
        case $code in 200 | 401 | 404) return 0 ;; esac
        sleep 0.1
    done
    return 1
}

token_start() {
    local dir=$1 tls=$2 form=$3 expiry=$4 keyid=$5 anonymous=$6 userpass=$7
    # With x5c the JWT carries a signer certificate issued by the test CA; with kid the
    # registry looks the key up among the rootcertbundle's own keys, so the CA key signs.
    local signer=signer
    [ "$keyid" = kid ] && signer=ca
    local args=(--port-file "$dir/token.port" --sign-key "$TEST_TMP/pki/$signer.key"
        --sign-cert "$TEST_TMP/pki/$signer.crt" --form "$form" --expiry "$expiry"
        --key-id "$keyid" --log "$dir/token.log")
    [ -n "$userpass" ] && args+=(--user "$userpass")
    [ "$anonymous" = 1 ] && args+=(--anonymous)
    [ "$tls" = 1 ] && args+=(--tls-cert "$TEST_TMP/pki/server.crt" --tls-key "$TEST_TMP/pki/server.key")
    : >"$dir/token.log"
    "$PYTHON" "$srcdir/tests/fixtures/token_server.py" "${args[@]}" >"$dir/token.out" 2>&1 &
    TOKEN_PID=$!
    at_exit "kill $TOKEN_PID; wait $TOKEN_PID"
    local _
    for _ in $(seq 1 100); do
        [ -s "$dir/token.port" ] && break
        kill -0 "$TOKEN_PID" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$dir/token.port" ]; then
        echo "token server did not start:" >&2
        cat "$dir/token.out" >&2
        return 1
    fi
    TOKEN_PORT=$(cat "$dir/token.port")
    TOKEN_LOG=$dir/token.log
    export TOKEN_PORT TOKEN_PID TOKEN_LOG
}

registry_start() {
    local tls=0 htpasswd="" token=0 form=token expiry=300 keyid=x5c anonymous=0
    while [ $# -gt 0 ]; do
        case $1 in
        --tls) tls=1 ;;
        --htpasswd) htpasswd=$2 && shift ;;
        --token) token=1 ;;
        --token-form) form=$2 && shift ;;
        --token-expiry) expiry=$2 && shift ;;
        --token-key-id) keyid=$2 && shift ;;
        --token-anonymous) anonymous=1 ;;
        *) echo "registry_start: unknown option '$1'" >&2 && return 2 ;;
        esac
        shift
    done
    command -v docker-registry >/dev/null || { echo "docker-registry is not installed" >&2 && return 1; }
    registry_count=$((registry_count + 1))
    local dir=$TEST_TMP/registry.$registry_count scheme=http
    mkdir -p "$dir/storage"
    if [ "$tls" = 1 ] || [ "$token" = 1 ]; then registry_make_ca || return 1; fi
    [ "$tls" = 1 ] && scheme=https

    local auth=""
    if [ "$token" = 1 ]; then
        token_start "$dir" "$tls" "$form" "$expiry" "$keyid" "$anonymous" "$htpasswd" || return 1
        auth="auth:
  token:
    realm: $scheme://127.0.0.1:$TOKEN_PORT/token
    service: oci-pod-test-registry
    issuer: oci-pod-test-issuer
    rootcertbundle: $TEST_TMP/pki/ca.crt"
    elif [ -n "$htpasswd" ]; then
        htpasswd -Bbn "${htpasswd%%:*}" "${htpasswd#*:}" >"$dir/htpasswd" 2>/dev/null || return 1
        auth="auth:
  htpasswd:
    realm: oci-pod-test
    path: $dir/htpasswd"
    fi

    local port pid _
    for _ in 1 2 3 4 5; do
        port=$(registry_free_port)
        [ "$port" = 5000 ] && continue
        {
            echo "version: 0.1"
            echo "log:"
            echo "  level: info"
            echo "  formatter: text"
            echo "storage:"
            echo "  filesystem:"
            echo "    rootdirectory: $dir/storage"
            echo "  delete:"
            echo "    enabled: true"
            echo "  maintenance:"
            echo "    uploadpurging:"
            echo "      enabled: false"
            echo "http:"
            echo "  addr: 127.0.0.1:$port"
            echo "  secret: oci-pod-test-$RANDOM$RANDOM"
            if [ "$tls" = 1 ]; then
                echo "  tls:"
                echo "    certificate: $TEST_TMP/pki/server.crt"
                echo "    key: $TEST_TMP/pki/server.key"
            fi
            [ -n "$auth" ] && echo "$auth"
        } >"$dir/config.yml"
        # docker-registry reads REGISTRY_* variables as configuration overrides; ours (and
        # REGISTRY_AUTH_FILE, meant for clients) must not reach it.
        # shellcheck disable=SC2046
        env $(env | sed -n 's/^\(REGISTRY_[A-Za-z0-9_]*\)=.*/-u \1/p') \
            docker-registry serve "$dir/config.yml" >>"$dir/log" 2>&1 &
        pid=$!
        if registry_wait "$scheme://127.0.0.1:$port/v2/" "$pid" \
            "$([ "$tls" = 1 ] && echo "$TEST_TMP/pki/ca.crt")"; then
            break
        fi
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        pid=""
    done
    if [ -z "$pid" ]; then
        echo "docker-registry did not start:" >&2
        tail -n 20 "$dir/log" >&2
        return 1
    fi
    at_exit "kill $pid; wait $pid"

    REGISTRY_PORT=$port
    REGISTRY_PID=$pid
    REGISTRY_HOST=127.0.0.1:$port
    REGISTRY_URL=$scheme://127.0.0.1:$port
    REGISTRY_LOG=$dir/log
    REGISTRY_DIR=$dir
    REGISTRY_SKOPEO=()
    REGISTRY_CURL=(-sS)
    if [ "$tls" = 1 ]; then
        registry_trust "$REGISTRY_HOST"
        REGISTRY_SKOPEO+=(--dest-cert-dir="$TEST_TMP/certs.d/$REGISTRY_HOST")
        REGISTRY_CURL+=(--cacert "$TEST_TMP/pki/ca.crt")
    else
        REGISTRY_SKOPEO+=(--dest-tls-verify=false)
    fi
    if [ "$token" = 1 ] && [ "$tls" = 1 ]; then
        registry_trust "127.0.0.1:$TOKEN_PORT"
    fi
    if [ -n "$htpasswd" ]; then
        REGISTRY_SKOPEO+=(--dest-creds="$htpasswd")
        REGISTRY_CURL+=(-u "$htpasswd")
    fi
    export REGISTRY_PORT REGISTRY_PID REGISTRY_HOST REGISTRY_URL REGISTRY_LOG REGISTRY_DIR
}

# How many times the registry served a blob of REPO (GET /v2/REPO/blobs/...) so far.
registry_blob_gets() {
    local repo=$1 log=${2:-$REGISTRY_LOG}
    grep -c "\"GET /v2/$repo/blobs/sha256:[0-9a-f]* HTTP/[0-9.]*\" 20[06]" "$log"
}

# Store a blob in REPO with a monolithic upload: registry_put_blob REPO FILE
registry_put_blob() {
    local repo=$1 file=$2 digest location
    digest=sha256:$(sha256sum <"$file" | cut -c1-64)
    location=$(curl "${REGISTRY_CURL[@]}" -o /dev/null -D - -X POST \
        "$REGISTRY_URL/v2/$repo/blobs/uploads/" | tr -d '\r' |
        sed -n 's/^[Ll]ocation: //p') || return 1
    [ -n "$location" ] || { echo "registry_put_blob: no upload location" >&2 && return 1; }
    case $location in /*) location=$REGISTRY_URL$location ;; esac
    case $location in *\?*) location="$location&digest=$digest" ;; *) location="$location?digest=$digest" ;; esac
    curl "${REGISTRY_CURL[@]}" -f -o /dev/null -X PUT -H "Content-Type: application/octet-stream" \
        --data-binary "@$file" "$location"
}

# Store manifest bytes under REPO:TAG as they are: registry_put_manifest REPO TAG FILE MEDIATYPE
# Prints the HTTP status; the registry validates what it can, so hostile bytes may be refused.
registry_put_manifest() {
    local repo=$1 tag=$2 file=$3 type=$4
    curl "${REGISTRY_CURL[@]}" -o /dev/null -w '%{http_code}\n' -X PUT -H "Content-Type: $type" \
        --data-binary "@$file" "$REGISTRY_URL/v2/$repo/manifests/$tag"
}

# Push the image that LAYOUT's index.json names REF to REPO:TAG as its exact bytes, with curl:
# the config and layer blobs first, then the manifest with its own media type. For images skopeo
# would refuse or rewrite (unknown layer types, hostile fields). Prints the manifest PUT's status.
registry_push_raw() {
    local layout=$1 ref=$2 repo=$3 tag=$4 desc digest type blob
    desc=$(json_query "[m for m in j['manifests'] if m.get('annotations', {}).get('org.opencontainers.image.ref.name') == '$ref'][0]" \
        "$layout/index.json") || return 1
    digest=$(json_query "j['digest']" <<<"$desc") || return 1
    type=$(json_query "j['mediaType']" <<<"$desc") || return 1
    for blob in $(json_query "' '.join(d['digest'] for d in [j.get('config', {})] + j.get('layers', []) if 'digest' in d)" \
        "$layout/blobs/sha256/${digest#sha256:}" 2>/dev/null); do
        registry_put_blob "$repo" "$layout/blobs/sha256/${blob#sha256:}" || return 1
    done
    registry_put_manifest "$repo" "$tag" "$layout/blobs/sha256/${digest#sha256:}" "$type"
}

# Keep the host's client configuration out of the tests: no registries.conf, auth files or
# certs.d from /etc or the home directory, unless a test sets its own.
registry_client_env() {
    export HOME=$TEST_TMP/home XDG_RUNTIME_DIR=$TEST_TMP/run
    mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
    chmod 0700 "$XDG_RUNTIME_DIR"
    : >"$TEST_TMP/registries.conf"
    export CONTAINERS_REGISTRIES_CONF=$TEST_TMP/registries.conf
    export OCI_POD_CERTS_DIRS=${OCI_POD_CERTS_DIRS:-$TEST_TMP/certs.d}
    mkdir -p "$OCI_POD_CERTS_DIRS"
    # Under a journal stream, oci-pod would write "<3>message" lines instead of "oci-pod: ...".
    unset REGISTRY_AUTH_FILE DOCKER_CONFIG JOURNAL_STREAM
}
