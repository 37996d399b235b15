#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The DTLS server engine in certificate mode (mutual authentication)
# against libcoap's OpenSSL and GnuTLS clients.
# Tried: a device certificate from the fleet CA (with each client), a 64
# KiB block-wise GET through DTLS; then no client certificate, one from
# another CA, an expired one and a revoked one (CRL).  Must hold: the good
# ones are served as TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 and identified by
# their CN; each bad one is refused with its reason logged; a good client
# is still served after them.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/pki.bash"

pki_init
pki_cert server localhost "DNS:localhost,IP:127.0.0.1"
pki_cert dev1 device-0001
pki_cert revoked device-0002
pki_revoke revoked
pki_cert_expired expired device-0003
pki_other_ca stranger device-0004

head -c 65536 /dev/urandom >"$WORK/big.bin"
start_server --cert "$PKI/server.pem" --key "$PKI/server.key" --ca "$PKI/ca.pem" \
    --crl "$PKI/crl.pem" --file "$WORK/big.bin"
URI=coaps://127.0.0.1:$PORT

good() {
  local client=$1
  rm -f "$WORK/out"
  $client -B 20 -c "$PKI/dev1.pem" -j "$PKI/dev1.key" -C "$PKI/ca.pem" \
      -o "$WORK/out" "$URI/.well-known/core" || fail "$client: good client exited $?"
  grep -q '</big>' "$WORK/out" || fail "$client: good client got no discovery answer"
}

# refused CLIENT LOG-REGEX [client options]
refused() {
  local client=$1 why=$2; shift 2
  local before
  before=$(grep -cE "$why" "$WORK/server.log" || true)
  rm -f "$WORK/out"
  $client -B 5 "$@" -C "$PKI/ca.pem" -o "$WORK/out" "$URI/.well-known/core" >/dev/null 2>&1 || true
  [[ ! -s $WORK/out ]] || fail "$client: served a client that should be refused ($why)"
  (( $(grep -cE "$why" "$WORK/server.log" || true) > before )) ||
    fail "$client: refusal not logged as '$why'"
  good "$client"
}

for client in coap-client-openssl coap-client-gnutls; do
  command -v $client >/dev/null || fail "$client missing (scripts/install-deps)"
  good $client
  rm -f "$WORK/out"
  $client -B 60 -c "$PKI/dev1.pem" -j "$PKI/dev1.key" -C "$PKI/ca.pem" -b 1024 \
      -o "$WORK/out" "$URI/big" || fail "$client: GET /big exited $?"
  cmp "$WORK/big.bin" "$WORK/out" || fail "$client: GET /big through DTLS differs"
  echo "ok: $client: certificate mode, 64 KiB block-wise GET identical"

  refused $client "client sent no certificate"
  echo "ok: $client: no client certificate refused"
  # GnuTLS withholds a certificate whose issuer is not among the CAs the
  # server asked for; OpenSSL sends it and the chain check refuses it.
  refused $client "unable to get local issuer certificate|client sent no certificate" -c "$PKI/stranger.pem" -j "$PKI/stranger.key"
  echo "ok: $client: certificate from another CA refused"
  refused $client "certificate has expired" -c "$PKI/expired.pem" -j "$PKI/expired.key"
  echo "ok: $client: expired client certificate refused"
  refused $client "certificate revoked" -c "$PKI/revoked.pem" -j "$PKI/revoked.key"
  echo "ok: $client: revoked client certificate refused"
done

grep -q "ECDHE-ECDSA-AES128-CCM8, certificate CN 'device-0001'" "$WORK/server.log" ||
  fail "no ECDHE-ECDSA-AES128-CCM8 handshake identified as device-0001"
echo "ok: TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, identity from the certificate CN"
