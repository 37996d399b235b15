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
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-image
need_tool sqlite3 sha256sum coap-client-openssl
IMAGE=$BW_BIN_DIR/bulwark-image
LIFETIME=

# Keys and images.  The payload is a few blocks plus a partial one.
"$IMAGE" keygen --type ecdsa-p256 -o "$W/fleet.pem" >/dev/null || fail "keygen"
"$IMAGE" keygen --type ed25519 -o "$W/stranger.pem" >/dev/null || fail "keygen"
head -c 5000 /dev/urandom >"$W/app.bin"
head -c 3000 /dev/urandom >"$W/app2.bin"
sign() { # KEY COUNTER OUT [extra...]
  local key=$1 cnt=$2 out=$3; shift 3
  "$IMAGE" sign --key "$key" --version 2.0.0 --security-counter "$cnt" \
      --pad-header "$@" "$W/app.bin" "$out" >/dev/null || fail "sign $out"
}
sign "$W/fleet.pem" 2 "$W/good.img" --model bulwark-sim
sign "$W/fleet.pem" 1 "$W/lower.img" --model bulwark-sim --header-size 64
sign "$W/stranger.pem" 3 "$W/stranger.img" --model bulwark-sim
sign "$W/fleet.pem" 3 "$W/nomodel.img"
"$IMAGE" sign --key "$W/fleet.pem" --version 2.1.0 --security-counter 3 \
    --model bulwark-sim --pad-header "$W/app2.bin" "$W/tampered.img" >/dev/null ||
  fail "sign tampered"
# One payload byte flipped: the digest no longer matches.
b=$(od -An -tu1 -j100 -N1 "$W/tampered.img" | tr -d ' ')
printf "\\x$(printf %02x $(( b ^ 1 )))" |
  dd of="$W/tampered.img" bs=1 seek=100 conv=notrunc status=none
ID=$(sha256sum "$W/good.img" | cut -c1-16)

server_init

# A device with a DM PSK: provisioned (factory credential), then turned
# into a DM credential in the store, as a rotation would leave it.
PSK_ID="fwdev-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
PSK=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n') # 32 ASCII bytes
printf %s "$PSK" >"$W/psk"
"$SERVER" provision "${S[@]}" --endpoint fw-0001 --psk-identity "$PSK_ID" \
    --psk-key-file "$W/psk" --model bulwark-sim >/dev/null || fail "provision"
sqlite3 "$W/bulwark.db" "UPDATE credentials SET purpose = 'dm'" || fail "purpose"

upload() { # FILE: prints the status, body in $W/body
  curl -s --cacert "$CERT" -o "$W/body" -w '%{http_code}' --max-time 30 -X POST \
      -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/octet-stream" \
      --data-binary "@$1" "$URL/firmware"
}
get() { api GET "$1"; } # PATH
expect_upload() { # STATUS FILE TEXT
  local got; got=$(upload "$2") || fail "curl upload $2"
  [[ $got == "$1" ]] || fail "upload $(basename "$2"): status $got, want $1"
  grep -qF -- "$3" "$W/body" || fail "upload $(basename "$2"): answer lacks '$3'"
}
rows() { sqlite3 "$W/bulwark.db" "SELECT COUNT(*) FROM firmware"; }

# Without a key every upload is refused.
server_start
expect_upload 422 "$W/good.img" "no image keys configured"
(( $(rows) == 0 )) || fail "a refused upload was stored"
server_stop
echo "ok: without --image-key, uploads are refused (422)"

server_start --image-key "$W/fleet.pem"
grep -q "firmware repository: 1 image key" "$W/server.log" || fail "key not loaded"
expect_upload 201 "$W/good.img" "\"id\":\"$ID\""
grep -qF "\"uri\":\"coaps://127.0.0.1:$DM/fw/$ID\"" "$W/body" || fail "no Package URI"
grep -qF '"model":"bulwark-sim"' "$W/body" || fail "no model"
grep -qF '"version":"2.0.0+0"' "$W/body" || fail "no version"
grep -qF '"security_counter":2' "$W/body" || fail "no counter"
grep -qF "\"sha256\":\"$(sha256sum "$W/good.img" | cut -c1-64)\"" "$W/body" ||
  fail "wrong sha256"
echo "ok: upload 201, id $ID and coaps://127.0.0.1:$DM/fw/$ID"

expect_upload 409 "$W/good.img" "already in the repository as $ID"
expect_upload 409 "$W/lower.img" \
  "security counter 1 is below 2, already in the repository for model bulwark-sim"
expect_upload 422 "$W/stranger.img" "signature: BW_EKEY: signed by an unknown key"
expect_upload 422 "$W/nomodel.img" "image has no model"
expect_upload 422 "$W/tampered.img" "digest: BW_EHASH"
: >"$W/empty"
expect_upload 400 "$W/empty" "empty body"
(( $(rows) == 1 )) || fail "refused uploads were stored ($(rows) rows)"
echo "ok: duplicate and lower counter 409, unknown key, no model, tampered 422, empty 400; nothing stored"

# A large image arrives in many pieces; a body above 16 MiB is refused.
head -c $((1536 * 1024)) /dev/urandom >"$W/big.bin"
"$IMAGE" sign --key "$W/fleet.pem" --version 2.0.1 --security-counter 2 \
    --model bulwark-sim --pad-header "$W/big.bin" "$W/big.img" >/dev/null ||
  fail "sign big"
expect_upload 201 "$W/big.img" "\"size\":$(stat -c %s "$W/big.img")"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero >"$W/huge.bin"
expect_upload 413 "$W/huge.bin" "the body limit is 16777216 bytes"
(( $(rows) == 2 )) || fail "want 2 images stored, have $(rows)"
echo "ok: a 1.5 MiB image accepted, a body above 16 MiB refused (413)"

[[ $(get /firmware) == 200 ]] || fail "GET /firmware"
grep -qF "\"items\":[{\"id\":\"$ID\"" "$W/body" || fail "list lacks $ID"
[[ $(get "/firmware/$ID") == 200 ]] || fail "GET /firmware/$ID"
grep -qF "\"id\":\"$ID\"" "$W/body" || fail "show lacks $ID"
[[ $(get /firmware/0123456789abcdef) == 404 ]] || fail "unknown id not 404"
n=$(sqlite3 "$W/bulwark.db" "SELECT COUNT(*) FROM audit_log WHERE actor LIKE 'api%' AND
    action = 'firmware-uploaded' AND subject = 'firmware $ID'")
(( n == 1 )) || fail "upload not audited"
n=$(sqlite3 "$W/bulwark.db" "SELECT COUNT(*) FROM audit_log WHERE actor LIKE 'api%' AND
    action = 'firmware-refused'")
(( n == 6 )) || fail "refusals audited $n times, want 6"
echo "ok: list, show, 404, audit"

# The download, as a device would do it (1024-byte blocks over DTLS).
rm -f "$W/out"
coap-client-openssl -B 30 -u "$PSK_ID" -k "$PSK" -b 1024 -o "$W/out" \
    "coaps://127.0.0.1:$DM/fw/$ID" >"$W/coap.log" 2>&1 ||
  fail "coap-client exited $? ($(cat "$W/coap.log"))"
cmp "$W/good.img" "$W/out" || fail "downloaded bytes differ from the file"
echo "ok: GET /fw/$ID over DTLS, $(stat -c %s "$W/out") bytes, identical"

rm -f "$W/out"
coap-client-openssl -B 10 -u "$PSK_ID" -k "$PSK" -o "$W/out" \
    "coaps://127.0.0.1:$DM/fw/0123456789abcdef" >"$W/coap.log" 2>&1 || true
grep -q "4.04" "$W/coap.log" || fail "wrong id: no 4.04 ($(cat "$W/coap.log"))"
echo "ok: wrong id 4.04"

rm -f "$W/out"
coap-client-openssl -B 5 -u "stranger-1" -k "$PSK" -o "$W/out" \
    "coaps://127.0.0.1:$DM/fw/$ID" >/dev/null 2>&1 || true
[[ ! -s $W/out ]] || fail "an unknown identity got image bytes"
echo "ok: unknown identity gets nothing"

# The image survives a restart (served from the store, cache cold).
server_stop
server_start --image-key "$W/fleet.pem"
rm -f "$W/out"
coap-client-openssl -B 30 -u "$PSK_ID" -k "$PSK" -b 1024 -o "$W/out" \
    "coaps://127.0.0.1:$DM/fw/$ID" >"$W/coap.log" 2>&1 ||
  fail "coap-client after restart exited $?"
cmp "$W/good.img" "$W/out" || fail "after restart: bytes differ"
echo "ok: after a restart, served from the store, identical"
