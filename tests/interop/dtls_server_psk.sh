#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The DTLS server engine (bulwark-coap-demo --psk-file) against libcoap's
# clients built on OpenSSL and on GnuTLS, PSK mode.
# Tried, with each client: discovery; a 64 KiB block-wise GET through
# DTLS, byte for byte; a 64 KiB block-wise PUT read back; the wrong PSK;
# an unknown identity.  Must hold: the transfers are exact and use
# TLS_PSK_WITH_AES_128_CCM_8; a wrong key or identity gets nothing, the
# server logs why (never the key), and a good client is served right after.
source "$(dirname "$0")/common.bash"

KEY=bulwark-test-key-0001
echo "dev1 $(printf %s "$KEY" | od -An -tx1 | tr -d ' \n')" >"$WORK/psk.txt"
echo "dev2 00112233445566778899aabbccddeeff" >>"$WORK/psk.txt"
chmod 600 "$WORK/psk.txt"
head -c 65536 /dev/urandom >"$WORK/big.bin"
head -c 65536 /dev/urandom >"$WORK/up.bin"
start_server --psk-file "$WORK/psk.txt" --file "$WORK/big.bin"
URI=coaps://127.0.0.1:$PORT

for client in coap-client-openssl coap-client-gnutls; do
  command -v $client >/dev/null || fail "$client missing (scripts/install-deps)"
  rm -f "$WORK/out"
  $client -B 20 -u dev1 -k "$KEY" -o "$WORK/out" "$URI/.well-known/core" ||
    fail "$client: discovery exited $?"
  grep -q '</big>' "$WORK/out" || fail "$client: discovery answer lacks /big"

  rm -f "$WORK/out"
  $client -B 60 -u dev1 -k "$KEY" -b 1024 -o "$WORK/out" "$URI/big" ||
    fail "$client: GET /big exited $?"
  cmp "$WORK/big.bin" "$WORK/out" || fail "$client: GET /big through DTLS differs"
  echo "ok: $client: 64 KiB block-wise GET through DTLS, identical"

  $client -B 60 -u dev1 -k "$KEY" -m put -b 1024 -f "$WORK/up.bin" "$URI/upload" >/dev/null ||
    fail "$client: PUT /upload exited $?"
  rm -f "$WORK/out"
  $client -B 60 -u dev1 -k "$KEY" -o "$WORK/out" "$URI/upload" || fail "$client: GET /upload exited $?"
  cmp "$WORK/up.bin" "$WORK/out" || fail "$client: PUT then GET through DTLS differs"
  echo "ok: $client: 64 KiB block-wise PUT through DTLS, read back identical"

  before=$(grep -c 'does not authenticate' "$WORK/server.log" || true)
  rm -f "$WORK/out"
  $client -B 5 -u dev1 -k "not-the-right-key-01" -o "$WORK/out" "$URI/.well-known/core" >/dev/null 2>&1 || true
  [[ ! -s $WORK/out ]] || fail "$client: answered with the wrong PSK"
  after=$(grep -c 'does not authenticate' "$WORK/server.log" || true)
  (( after == before + 1 )) || fail "$client: wrong PSK not logged as such"
  echo "ok: $client: wrong PSK refused and logged"

  rm -f "$WORK/out"
  $client -B 5 -u nobody -k "$KEY" -o "$WORK/out" "$URI/.well-known/core" >/dev/null 2>&1 || true
  [[ ! -s $WORK/out ]] || fail "$client: answered an unknown identity"
  grep -q "unknown PSK identity 'nobody'" "$WORK/server.log" || fail "$client: unknown identity not logged"
  echo "ok: $client: unknown identity refused and logged"

  rm -f "$WORK/out"
  $client -B 20 -u dev1 -k "$KEY" -o "$WORK/out" "$URI/.well-known/core" ||
    fail "$client: good client after the failures exited $?"
  grep -q '</big>' "$WORK/out" || fail "$client: good client after the failures got no answer"
done

grep -q 'PSK-AES128-CCM8' "$WORK/server.log" || fail "no handshake used TLS_PSK_WITH_AES_128_CCM_8"
hexkey=$(printf %s "$KEY" | od -An -tx1 | tr -d ' \n')
if grep -qi -e "$KEY" -e "$hexkey" "$WORK/server.log"; then fail "the PSK appears in the server log"; fi
echo "ok: PSK-AES128-CCM8 negotiated; the key never appears in the log"
