#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Both of Bulwark's DTLS sides together: the device client (mbedTLS,
# bulwark-coap-client) against the server engine (OpenSSL handshakes plus
# our record layer, bulwark-coap-demo), PSK and certificate mode.
# Tried: a 64 KiB block-wise GET and PUT read back in each mode; two
# reconnects; the wrong PSK; a device certificate from another CA; the
# wrong expected server name.
# Must hold: bodies identical; reconnects resume the session (tickets);
# the wrong PSK fails fast as an authentication failure on both sides
# (the server's fatal alert, not a timeout); the foreign certificate is
# refused by the server and the wrong name by the device; a good device is
# served after each failure.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/pki.bash"
BWCLI=$BW_BIN_DIR/bulwark-coap-client
KS=$BW_BIN_DIR/bulwark-keystore
[[ -x $BWCLI && -x $KS ]] || fail "bulwark-coap-client or bulwark-keystore not built"

# run WANT-EXIT WHAT command...: stderr in $WORK/err
run() {
  local want=$1 what=$2 rc=0; shift 2
  "$@" 2>"$WORK/err" || rc=$?
  (( rc == want )) || { echo "--- client stderr"; cat "$WORK/err"; fail "$what: exit $rc, expected $want"; }
}

head -c 65536 /dev/urandom >"$WORK/big.bin"
head -c 65536 /dev/urandom >"$WORK/up.bin"

# --- PSK ---------------------------------------------------------------
KEY=device-0001-key-material
printf %s "$KEY" >"$WORK/psk.key"
printf %s "not-the-key-at-all-0001" >"$WORK/wrong.key"
echo "device-0001 $(od -An -tx1 "$WORK/psk.key" | tr -d ' \n')" >"$WORK/psk.txt"
chmod 600 "$WORK/psk.txt" "$WORK/psk.key" "$WORK/wrong.key"
start_server --psk-file "$WORK/psk.txt" --file "$WORK/big.bin"
URI=coaps://127.0.0.1:$PORT
PSK=(--psk-identity device-0001 --psk-key-file "$WORK/psk.key" --timeout 20)

run 0 "PSK GET /big" "$BWCLI" "${PSK[@]}" -b 1024 -o "$WORK/out" "$URI/big"
cmp "$WORK/big.bin" "$WORK/out" || fail "PSK: GET /big differs"
run 0 "PSK PUT /upload" "$BWCLI" "${PSK[@]}" -m put -b 1024 -f "$WORK/up.bin" "$URI/upload"
run 0 "PSK GET /upload" "$BWCLI" "${PSK[@]}" -o "$WORK/out" "$URI/upload"
cmp "$WORK/up.bin" "$WORK/out" || fail "PSK: PUT then GET differs"
echo "ok: PSK: 64 KiB GET and PUT through device and server DTLS, identical"

run 0 "PSK reconnects" "$BWCLI" "${PSK[@]}" --reconnect 2 -o "$WORK/out" "$URI/.well-known/core"
(( $(grep -ci "resumed" "$WORK/err") >= 2 )) && ! grep -qi "not resumed\|full handshake" "$WORK/err" ||
  { cat "$WORK/err"; fail "PSK: reconnects did not resume the session"; }
grep -q "abbreviated handshake done" "$WORK/server.log" || fail "server saw no abbreviated handshake"
echo "ok: PSK: two reconnects resumed (abbreviated handshakes on the server)"

start=$(date +%s%N)
run 1 "wrong PSK" "$BWCLI" --psk-identity device-0001 --psk-key-file "$WORK/wrong.key" \
    --timeout 20 -o "$WORK/out" "$URI/.well-known/core"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -qi "authentication" "$WORK/err" || { cat "$WORK/err"; fail "wrong PSK: reason is not authentication"; }
grep -q "does not authenticate" "$WORK/server.log" || fail "wrong PSK: server did not log the reason"
(( ms < 10000 )) || fail "wrong PSK took ${ms} ms: the alert should end it, not a timeout"
run 0 "good device after wrong PSK" "$BWCLI" "${PSK[@]}" -o "$WORK/out" "$URI/.well-known/core"
echo "ok: wrong PSK refused in ${ms} ms with a fatal alert; next device served"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; rm -f "$WORK/port"

# --- certificates ---------------------------------------------------------
pki_init
pki_cert server bulwark.test "DNS:bulwark.test"
pki_cert dev1 device-0001
pki_other_ca stranger device-0002
pki_der dev1; pki_der stranger
openssl x509 -in "$PKI/ca.pem" -outform DER -out "$PKI/ca.der"
for who in dev1 stranger; do
  mkdir -m 700 "$WORK/ks-$who"
  "$KS" put "$WORK/ks-$who" device/cert.der "$PKI/$who.crt.der" || fail "keystore put"
  "$KS" put "$WORK/ks-$who" device/key.der "$PKI/$who.key.der" || fail "keystore put"
  "$KS" put "$WORK/ks-$who" ca/cert.der "$PKI/ca.der" || fail "keystore put"
done
start_server --cert "$PKI/server.pem" --key "$PKI/server.key" --ca "$PKI/ca.pem" --file "$WORK/big.bin"
URI=coaps://127.0.0.1:$PORT
CERT=(--cert-mode --keystore "$WORK/ks-dev1" --server-name bulwark.test --timeout 20)

run 0 "cert GET /big" "$BWCLI" "${CERT[@]}" -b 1024 -o "$WORK/out" "$URI/big"
cmp "$WORK/big.bin" "$WORK/out" || fail "cert: GET /big differs"
run 0 "cert PUT /upload" "$BWCLI" "${CERT[@]}" -m put -b 1024 -f "$WORK/up.bin" "$URI/upload"
run 0 "cert GET /upload" "$BWCLI" "${CERT[@]}" -o "$WORK/out" "$URI/upload"
cmp "$WORK/up.bin" "$WORK/out" || fail "cert: PUT then GET differs"
grep -q "certificate CN 'device-0001'" "$WORK/server.log" || fail "server did not identify device-0001 by its certificate"
echo "ok: certificates: 64 KiB GET and PUT identical, device identified by its CN"

run 1 "foreign device certificate" "$BWCLI" --cert-mode --keystore "$WORK/ks-stranger" \
    --server-name bulwark.test --timeout 20 "$URI/.well-known/core"
grep -qi "certificate" "$WORK/err" || { cat "$WORK/err"; fail "foreign cert: reason lacks 'certificate'"; }
grep -q "unable to get local issuer certificate" "$WORK/server.log" || fail "foreign cert: server reason not logged"
echo "ok: device certificate from another CA refused by the server"

run 1 "wrong server name" "$BWCLI" --cert-mode --keystore "$WORK/ks-dev1" \
    --server-name other.test --timeout 20 "$URI/.well-known/core"
grep -qi "name" "$WORK/err" || { cat "$WORK/err"; fail "wrong name: reason lacks 'name'"; }
run 0 "good device after the failures" "$BWCLI" "${CERT[@]}" -o "$WORK/out" "$URI/.well-known/core"
echo "ok: wrong server name refused by the device; good device served after"
