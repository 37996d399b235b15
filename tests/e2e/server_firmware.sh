#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The firmware repository end to end: bulwark-server with its API and a
# fleet image key on loopback, images made by bulwark-image, uploads with
# curl, downloads with libcoap's coap-client-openssl over DTLS (PSK) on
# the DM port.
# Tried: uploading a signed image (model bulwark-sim, counter 2); the same
# file again; an image with a lower counter; one signed by a key the
# server does not trust; one without a model; a tampered one; an empty
# body; listing and showing; a server without --image-key; then, as a
# device with a DM PSK, GET coaps://127.0.0.1:DM/fw/<id> with 1024-byte
# blocks, a wrong id, and the same GET with an identity the server does
# not know.
# Must hold: 201 with id = the first 8 bytes of SHA-256 of the file and
# the Package URI; 409 naming the stored id, 409 naming the counters,
# 422 naming the reason for the others, 400 for the empty body, nothing
# stored by a refusal; 422 "no image keys configured" without a key;
# the downloaded bytes equal the file; 4.04 for the wrong id; no bytes
# for the unknown identity; uploads are audited with actor "api".
set -euo pipefail
: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
SERVER=$BW_BIN_DIR/bulwark-server
IMAGE=$BW_BIN_DIR/bulwark-image
for p in "$SERVER" "$IMAGE"; do [[ -x $p ]] || { echo "FAIL: $p not built"; exit 1; }; done
for t in curl sqlite3 sha256sum coap-client-openssl; do
  command -v $t >/dev/null || { echo "FAIL: $t missing (scripts/install-deps)"; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bw-e2e-fw.XXXXXX")
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true
  fi
  [[ -n ${BW_KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  [[ -f $WORK/body ]] && { echo "--- last response"; cat "$WORK/body"; echo; }
  [[ -f $WORK/server.log ]] && { echo "--- server log"; tail -40 "$WORK/server.log"; }
  exit 1
}

# Keys and images.  The payload is a few blocks plus a partial one.
"$IMAGE" keygen --type ecdsa-p256 -o "$WORK/fleet.pem" >/dev/null || fail "keygen"
"$IMAGE" keygen --type ed25519 -o "$WORK/stranger.pem" >/dev/null || fail "keygen"
head -c 5000 /dev/urandom >"$WORK/app.bin"
head -c 3000 /dev/urandom >"$WORK/app2.bin"
sign() { # KEY COUNTER OUT [extra...]
  local key=$1 cnt=$2 out=$3; shift 3
  "$IMAGE" sign --key "$key" --version 2.0.0 --security-counter "$cnt" \
      --pad-header "$@" "$WORK/app.bin" "$out" >/dev/null || fail "sign $out"
}
sign "$WORK/fleet.pem" 2 "$WORK/good.img" --model bulwark-sim
sign "$WORK/fleet.pem" 1 "$WORK/lower.img" --model bulwark-sim --header-size 64
sign "$WORK/stranger.pem" 3 "$WORK/stranger.img" --model bulwark-sim
sign "$WORK/fleet.pem" 3 "$WORK/nomodel.img"
"$IMAGE" sign --key "$WORK/fleet.pem" --version 2.1.0 --security-counter 3 \
    --model bulwark-sim --pad-header "$WORK/app2.bin" "$WORK/tampered.img" >/dev/null ||
  fail "sign tampered"
# One payload byte flipped: the digest no longer matches.
b=$(od -An -tu1 -j100 -N1 "$WORK/tampered.img" | tr -d ' ')
printf "\\x$(printf %02x $(( b ^ 1 )))" |
  dd of="$WORK/tampered.img" bs=1 seek=100 conv=notrunc status=none
ID=$(sha256sum "$WORK/good.img" | cut -c1-16)

S=(--db "$WORK/bulwark.db" --master-key "$WORK/master.key")
"$SERVER" init "${S[@]}" >/dev/null || fail "init"
TOKEN=$(tr -d '\n' <"$WORK/api.token")
mkdir -p "$WORK/state"

# A device with a DM PSK: provisioned (factory credential), then turned
# into a DM credential in the store, as a rotation would leave it.
PSK_ID="fwdev-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
PSK=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n') # 32 ASCII bytes
printf %s "$PSK" >"$WORK/psk"
"$SERVER" provision "${S[@]}" --endpoint fw-0001 --psk-identity "$PSK_ID" \
    --psk-key-file "$WORK/psk" --model bulwark-sim >/dev/null || fail "provision"
sqlite3 "$WORK/bulwark.db" "UPDATE credentials SET purpose = 'dm'" || fail "purpose"

start() { # extra options
  rm -f "$WORK/ready"
  "$SERVER" run "${S[@]}" --bind 127.0.0.1 --dm-port 0 --bs-port 0 --api-port 0 \
      --state-dir "$WORK/state" --ready-file "$WORK/ready" "$@" \
      >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do [[ -s $WORK/ready ]] && break; sleep 0.05; done
  [[ -s $WORK/ready ]] || fail "server did not start"
  read -r DM BS API <"$WORK/ready"
  URL=https://127.0.0.1:$API/api/v1
}
stop() {
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
}
upload() { # FILE: prints the status, body in $WORK/body
  curl -sk -o "$WORK/body" -w '%{http_code}' --max-time 30 -X POST \
      -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/octet-stream" \
      --data-binary "@$1" "$URL/firmware"
}
get() { # PATH
  curl -sk -o "$WORK/body" -w '%{http_code}' --max-time 30 \
      -H "Authorization: Bearer $TOKEN" "$URL$1"
}
expect_upload() { # STATUS FILE TEXT
  local got; got=$(upload "$2") || fail "curl upload $2"
  [[ $got == "$1" ]] || fail "upload $(basename "$2"): status $got, want $1"
  grep -qF -- "$3" "$WORK/body" || fail "upload $(basename "$2"): answer lacks '$3'"
}
rows() { sqlite3 "$WORK/bulwark.db" "SELECT COUNT(*) FROM firmware"; }

# Without a key every upload is refused.
start
expect_upload 422 "$WORK/good.img" "no image keys configured"
(( $(rows) == 0 )) || fail "a refused upload was stored"
stop
echo "ok: without --image-key, uploads are refused (422)"

start --image-key "$WORK/fleet.pem"
grep -q "firmware repository: 1 image key" "$WORK/server.log" || fail "key not loaded"
expect_upload 201 "$WORK/good.img" "\"id\":\"$ID\""
grep -qF "\"uri\":\"coaps://127.0.0.1:$DM/fw/$ID\"" "$WORK/body" || fail "no Package URI"
grep -qF '"model":"bulwark-sim"' "$WORK/body" || fail "no model"
grep -qF '"version":"2.0.0+0"' "$WORK/body" || fail "no version"
grep -qF '"security_counter":2' "$WORK/body" || fail "no counter"
grep -qF "\"sha256\":\"$(sha256sum "$WORK/good.img" | cut -c1-64)\"" "$WORK/body" ||
  fail "wrong sha256"
echo "ok: upload 201, id $ID and coaps://127.0.0.1:$DM/fw/$ID"

expect_upload 409 "$WORK/good.img" "already in the repository as $ID"
expect_upload 409 "$WORK/lower.img" \
  "security counter 1 is below 2, already in the repository for model bulwark-sim"
expect_upload 422 "$WORK/stranger.img" "signature: BW_EKEY: signed by an unknown key"
expect_upload 422 "$WORK/nomodel.img" "image has no model"
expect_upload 422 "$WORK/tampered.img" "digest: BW_EHASH"
: >"$WORK/empty"
expect_upload 400 "$WORK/empty" "empty body"
(( $(rows) == 1 )) || fail "refused uploads were stored ($(rows) rows)"
echo "ok: duplicate and lower counter 409, unknown key, no model, tampered 422, empty 400; nothing stored"

# A large image arrives in many pieces; a body above 16 MiB is refused.
head -c $((1536 * 1024)) /dev/urandom >"$WORK/big.bin"
"$IMAGE" sign --key "$WORK/fleet.pem" --version 2.0.1 --security-counter 2 \
    --model bulwark-sim --pad-header "$WORK/big.bin" "$WORK/big.img" >/dev/null ||
  fail "sign big"
expect_upload 201 "$WORK/big.img" "\"size\":$(stat -c %s "$WORK/big.img")"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero >"$WORK/huge.bin"
expect_upload 413 "$WORK/huge.bin" "the body limit is 16777216 bytes"
(( $(rows) == 2 )) || fail "want 2 images stored, have $(rows)"
echo "ok: a 1.5 MiB image accepted, a body above 16 MiB refused (413)"

[[ $(get /firmware) == 200 ]] || fail "GET /firmware"
grep -qF "\"items\":[{\"id\":\"$ID\"" "$WORK/body" || fail "list lacks $ID"
[[ $(get "/firmware/$ID") == 200 ]] || fail "GET /firmware/$ID"
grep -qF "\"id\":\"$ID\"" "$WORK/body" || fail "show lacks $ID"
[[ $(get /firmware/0123456789abcdef) == 404 ]] || fail "unknown id not 404"
n=$(sqlite3 "$WORK/bulwark.db" "SELECT COUNT(*) FROM audit_log WHERE actor LIKE 'api%' AND
    action = 'firmware-uploaded' AND subject = 'firmware $ID'")
(( n == 1 )) || fail "upload not audited"
n=$(sqlite3 "$WORK/bulwark.db" "SELECT COUNT(*) FROM audit_log WHERE actor LIKE 'api%' AND
    action = 'firmware-refused'")
(( n == 6 )) || fail "refusals audited $n times, want 6"
echo "ok: list, show, 404, audit"

# The download, as a device would do it (1024-byte blocks over DTLS).
rm -f "$WORK/out"
coap-client-openssl -B 30 -u "$PSK_ID" -k "$PSK" -b 1024 -o "$WORK/out" \
    "coaps://127.0.0.1:$DM/fw/$ID" >"$WORK/coap.log" 2>&1 ||
  fail "coap-client exited $? ($(cat "$WORK/coap.log"))"
cmp "$WORK/good.img" "$WORK/out" || fail "downloaded bytes differ from the file"
echo "ok: GET /fw/$ID over DTLS, $(stat -c %s "$WORK/out") bytes, identical"

rm -f "$WORK/out"
coap-client-openssl -B 10 -u "$PSK_ID" -k "$PSK" -o "$WORK/out" \
    "coaps://127.0.0.1:$DM/fw/0123456789abcdef" >"$WORK/coap.log" 2>&1 || true
grep -q "4.04" "$WORK/coap.log" || fail "wrong id: no 4.04 ($(cat "$WORK/coap.log"))"
echo "ok: wrong id 4.04"

rm -f "$WORK/out"
coap-client-openssl -B 5 -u "stranger-1" -k "$PSK" -o "$WORK/out" \
    "coaps://127.0.0.1:$DM/fw/$ID" >/dev/null 2>&1 || true
[[ ! -s $WORK/out ]] || fail "an unknown identity got image bytes"
echo "ok: unknown identity gets nothing"

# The image survives a restart (served from the store, cache cold).
stop
start --image-key "$WORK/fleet.pem"
rm -f "$WORK/out"
coap-client-openssl -B 30 -u "$PSK_ID" -k "$PSK" -b 1024 -o "$WORK/out" \
    "coaps://127.0.0.1:$DM/fw/$ID" >"$WORK/coap.log" 2>&1 ||
  fail "coap-client after restart exited $?"
cmp "$WORK/good.img" "$WORK/out" || fail "after restart: bytes differ"
echo "ok: after a restart, served from the store, identical"
