#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The device's DTLS client in PSK mode (bulwark-coap-client on mbedTLS)
# against libcoap's servers on OpenSSL and on GnuTLS.
# Tried, against each server: GET of the root resource with the PSK from
# the command line and from a key store directory; a 64 KiB random body
# PUT block-wise to a new resource and read back with Block2; a wrong key;
# a key store without the PSK; three handshakes in one run (--reconnect 2).
# Must hold: bodies come back byte for byte; a wrong key ends in exit
# status 1 with a reason naming authentication, and the server goes on
# serving (a good request right after works); a missing item is named;
# the reconnects succeed, and resume the session where the server keeps
# sessions (see the note at RESUMES below).
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/dtls_common.bash"

KS=$BW_BIN_DIR/bulwark-keystore
ID=bulwark-device-1
printf '%s' 'correct horse battery' >"$WORK/psk"
printf '%s' 'correct horse battery!' >"$WORK/wrong"
head -c 65536 /dev/urandom >"$WORK/in.bin"

# Key store directory holding the same PSK (dm/psk-identity, dm/psk).
printf '%s' "$ID" >"$WORK/id"
"$KS" put "$WORK/ks" dm/psk-identity "$WORK/id" || fail "bulwark-keystore put identity"
"$KS" put "$WORK/ks" dm/psk "$WORK/psk" || fail "bulwark-keystore put psk"
mkdir -p "$WORK/empty-ks"

run_server_checks() {
  local prog=$1 resumes=$2
  start_libcoap "$prog" -k "$(cat "$WORK/psk")" -h bulwark -d 20
  local URL=coaps://127.0.0.1:$DPORT
  local PSK=(--psk-identity "$ID" --psk-key-file "$WORK/psk")

  expect_exit 0 "$prog: GET /" "$BWCLI" -v "${PSK[@]}" -o "$WORK/root" "$URL/"
  grep -q libcoap "$WORK/root" || fail "$prog: GET /: unexpected body"
  expect_reason 'cipher suite 0x[0-9A-F]{4} TLS-PSK' "$prog: -v names the PSK suite"
  echo "ok: $prog: GET / over DTLS-PSK ($(grep -o 'TLS-PSK[A-Z0-9-]*' "$WORK/err"))"

  expect_exit 0 "$prog: GET / with the key store" \
    "$BWCLI" --keystore "$WORK/ks" -o "$WORK/root" "$URL/"
  echo "ok: $prog: PSK from the key store"

  expect_exit 0 "$prog: PUT 64 KiB" "$BWCLI" "${PSK[@]}" -m put -f "$WORK/in.bin" "$URL/upload"
  rm -f "$WORK/out"
  expect_exit 0 "$prog: GET /upload" "$BWCLI" "${PSK[@]}" -o "$WORK/out" "$URL/upload"
  cmp "$WORK/in.bin" "$WORK/out" || fail "$prog: the 64 KiB body read back differs"
  echo "ok: $prog: 64 KiB PUT (Block1) and GET (Block2), identical"

  expect_exit 1 "$prog: wrong PSK" \
    "$BWCLI" --timeout 10 --psk-identity "$ID" --psk-key-file "$WORK/wrong" "$URL/"
  expect_reason 'handshake failed: authentication' "$prog: wrong PSK"
  local why; why=$(head -1 "$WORK/err" | cut -c1-120)
  server_alive
  expect_exit 0 "$prog: GET / after the wrong PSK" "$BWCLI" "${PSK[@]}" -o "$WORK/root" "$URL/"
  echo "ok: $prog: wrong PSK refused ($why), server still serves"

  expect_exit 1 "$prog: key store without a PSK" \
    "$BWCLI" --keystore "$WORK/empty-ks" "$URL/"
  expect_reason 'missing from the key store' "$prog: key store without a PSK"
  echo "ok: $prog: missing credentials named"

  expect_exit 0 "$prog: --reconnect 2" \
    "$BWCLI" "${PSK[@]}" --reconnect 2 -o "$WORK/root" "$URL/time"
  [[ $(grep -c 'reconnect [12]: ' "$WORK/err") -eq 2 ]] ||
    { cat "$WORK/err"; fail "$prog: expected two reconnect reports"; }
  if [[ $resumes == yes ]]; then
    [[ $(grep -c 'reconnect [12]: session resumed' "$WORK/err") -eq 2 ]] ||
      { cat "$WORK/err"; fail "$prog: the reconnects did not resume the session"; }
    echo "ok: $prog: two reconnects, both resumed the session"
  else
    echo "ok: $prog: two reconnects ($(grep -o 'reconnect 2: .*' "$WORK/err"))"
  fi
  stop_libcoap
}

# RESUMES: coap-server-openssl keeps OpenSSL's default server session
# cache, so a session ID offered again is taken (abbreviated handshake).
# coap-server-gnutls sets up no session database or tickets in libcoap
# 4.3.1, so GnuTLS answers every reconnect with a full handshake; there
# only the reconnects themselves are checked.
run_server_checks coap-server-openssl yes
run_server_checks coap-server-gnutls no
