#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The device's DTLS client in certificate mode (ECDHE-ECDSA, mutual
# authentication) against libcoap's servers on OpenSSL and on GnuTLS.
# A throw-away P-256 PKI is made with the openssl command line: a CA, a
# server certificate for "bulwark.test", a device certificate, an expired
# server certificate, and a second CA with a server and a device
# certificate of its own.  The device's credentials go into key store
# directories in DER (device/cert.der, device/key.der, ca/cert.der).
# Tried, against each server (which requires and verifies the device's
# certificate): GET with --server-name bulwark.test; the wrong name; a
# device that trusts the other CA; a device whose certificate the server's
# CA did not issue; a server presenting an expired certificate; a 64 KiB
# PUT/GET round trip.
# Must hold: the good cases exit 0 with identical bodies; each bad case
# exits 1 with a reason (certificate / name for the device's refusals) and
# the server keeps serving.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/dtls_common.bash"

KS=$BW_BIN_DIR/bulwark-keystore
P=$WORK/pki
mkdir -p "$P"

newkey() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null || fail "key $1"; }

# make_ca NAME: $P/NAME.key, $P/NAME.pem
make_ca() {
  newkey "$P/$1.key"
  openssl req -x509 -new -key "$P/$1.key" -subj "/CN=Bulwark Test $1" -days 30 \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$P/$1.pem" 2>/dev/null || fail "CA $1"
}

# issue CA NAME CN USAGE: $P/NAME.key, $P/NAME.pem signed by CA, valid now
issue() {
  local ca=$1 name=$2 cn=$3 usage=$4
  newkey "$P/$name.key"
  openssl req -new -key "$P/$name.key" -subj "/CN=$cn" -out "$P/$name.csr" 2>/dev/null ||
    fail "CSR $name"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=DNS:%s\n' \
    "$usage" "$cn" >"$P/$name.ext"
  openssl x509 -req -in "$P/$name.csr" -CA "$P/$ca.pem" -CAkey "$P/$ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$P/$name.ext" \
    -out "$P/$name.pem" 2>/dev/null || fail "certificate $name"
}

# issue_expired CA NAME CN: like issue, valid only during 2020.  openssl ca
# is the command-line tool that takes explicit validity dates.
issue_expired() {
  local ca=$1 name=$2 cn=$3
  newkey "$P/$name.key"
  openssl req -new -key "$P/$name.key" -subj "/CN=$cn" -out "$P/$name.csr" 2>/dev/null ||
    fail "CSR $name"
  : >"$P/index.txt"
  cat >"$P/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $P/index.txt
new_certs_dir = $P
serial = $P/serial
default_md = sha256
policy = p
x509_extensions = ext
[p]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$cn
EOF
  openssl rand -hex 8 >"$P/serial"
  openssl ca -batch -notext -config "$P/ca.cnf" -cert "$P/$ca.pem" -keyfile "$P/$ca.key" \
    -startdate 20200101000000Z -enddate 20201231000000Z \
    -in "$P/$name.csr" -out "$P/$name.pem" 2>/dev/null || fail "expired certificate $name"
}

# make_ks DIR CA DEVICE: a key store trusting CA, presenting DEVICE.
make_ks() {
  local dir=$1 ca=$2 dev=$3
  openssl x509 -in "$P/$ca.pem" -outform DER -out "$P/ca.der" || fail "DER $ca"
  openssl x509 -in "$P/$dev.pem" -outform DER -out "$P/dev.der" || fail "DER $dev"
  openssl ec -in "$P/$dev.key" -outform DER -out "$P/dev.key.der" 2>/dev/null || fail "DER key $dev"
  "$KS" put "$dir" ca/cert.der "$P/ca.der" || fail "key store $dir"
  "$KS" put "$dir" device/cert.der "$P/dev.der" || fail "key store $dir"
  "$KS" put "$dir" device/key.der "$P/dev.key.der" || fail "key store $dir"
  rm -f "$P/dev.key.der"
}

make_ca ca
make_ca other
issue ca server bulwark.test serverAuth
issue ca device bulwark-device-1 clientAuth
issue other other-server bulwark.test serverAuth
issue other other-device bulwark-device-2 clientAuth
issue_expired ca expired bulwark.test
openssl x509 -in "$P/expired.pem" -noout -checkend 0 >/dev/null &&
  fail "the expired certificate is not expired"

make_ks "$WORK/ks" ca device                # the device as provisioned
make_ks "$WORK/ks-other-ca" other device    # trusts the wrong CA
make_ks "$WORK/ks-other-dev" ca other-device  # a device the server's CA never issued

head -c 65536 /dev/urandom >"$WORK/in.bin"

run_server_checks() {
  local prog=$1
  start_libcoap "$prog" -c "$P/server.pem" -j "$P/server.key" -C "$P/ca.pem" -d 20
  local URL=coaps://127.0.0.1:$DPORT
  local CERT=(--keystore "$WORK/ks" --cert-mode)

  expect_exit 0 "$prog: GET / with the right name" \
    "$BWCLI" -v "${CERT[@]}" --server-name bulwark.test -o "$WORK/root" "$URL/"
  grep -q libcoap "$WORK/root" || fail "$prog: GET /: unexpected body"
  expect_reason 'cipher suite 0x[0-9A-F]{4} TLS-ECDHE-ECDSA' "$prog: -v names the ECDHE-ECDSA suite"
  echo "ok: $prog: mutual certificate authentication ($(grep -o 'TLS-ECDHE[A-Z0-9-]*' "$WORK/err"))"

  expect_exit 1 "$prog: wrong server name" \
    "$BWCLI" "${CERT[@]}" --server-name wrong.test "$URL/"
  expect_reason 'certificate.*name|name.*certificate' "$prog: wrong server name"
  server_alive
  echo "ok: $prog: wrong name refused: $(head -1 "$WORK/err" | cut -c1-100)"

  # Without --server-name the URI's host (127.0.0.1) is expected: not in
  # the certificate either.
  expect_exit 1 "$prog: no server name" "$BWCLI" "${CERT[@]}" "$URL/"
  expect_reason 'certificate' "$prog: no server name"

  expect_exit 1 "$prog: untrusted CA" \
    "$BWCLI" --keystore "$WORK/ks-other-ca" --cert-mode --server-name bulwark.test "$URL/"
  expect_reason 'certificate' "$prog: untrusted CA"
  server_alive
  echo "ok: $prog: server from an untrusted CA refused: $(head -1 "$WORK/err" | cut -c1-100)"

  expect_exit 1 "$prog: device from another CA" \
    "$BWCLI" --timeout 10 --keystore "$WORK/ks-other-dev" --cert-mode --server-name bulwark.test "$URL/"
  expect_reason 'handshake failed' "$prog: device from another CA"
  server_alive
  echo "ok: $prog: device certificate from another CA refused by the server: $(head -1 "$WORK/err" | cut -c1-100)"

  expect_exit 0 "$prog: PUT 64 KiB" \
    "$BWCLI" "${CERT[@]}" --server-name bulwark.test -m put -f "$WORK/in.bin" "$URL/upload"
  rm -f "$WORK/out"
  expect_exit 0 "$prog: GET /upload" \
    "$BWCLI" "${CERT[@]}" --server-name bulwark.test -o "$WORK/out" "$URL/upload"
  cmp "$WORK/in.bin" "$WORK/out" || fail "$prog: the 64 KiB body read back differs"
  echo "ok: $prog: 64 KiB PUT/GET round trip in certificate mode"
  stop_libcoap

  start_libcoap "$prog" -c "$P/expired.pem" -j "$P/expired.key" -C "$P/ca.pem"
  URL=coaps://127.0.0.1:$DPORT
  expect_exit 1 "$prog: expired server certificate" \
    "$BWCLI" "${CERT[@]}" --server-name bulwark.test "$URL/"
  expect_reason 'certificate.*expired|expired' "$prog: expired server certificate"
  server_alive
  echo "ok: $prog: expired server certificate refused: $(head -1 "$WORK/err" | cut -c1-100)"
  stop_libcoap
}

run_server_checks coap-server-openssl
run_server_checks coap-server-gnutls
