# SPDX-License-Identifier: Apache-2.0
#
# A throw-away PKI for the DTLS interop tests (sourced): P-256 keys, a
# fleet CA that can revoke, and certificates made to order.  Everything
# lands in $PKI (a directory under the test's $WORK).
#
#   pki_init                       the CA: $PKI/ca.pem, $PKI/ca.key
#   pki_cert NAME CN [SAN]         $PKI/NAME.pem/.key, valid 30 days
#   pki_cert_expired NAME CN       validity entirely in 2020
#   pki_revoke NAME                revoke and write $PKI/crl.pem
#   pki_other_ca NAME CN           a certificate from an unrelated CA
#   pki_der NAME                   $PKI/NAME.crt.der and NAME.key.der

pki_init() {
  PKI=$WORK/pki
  mkdir -p "$PKI/newcerts"
  : >"$PKI/index.txt"
  echo 1000 >"$PKI/serial"
  echo 1000 >"$PKI/crlnumber"
  cat >"$PKI/ca.cnf" <<EOF
[ ca ]
default_ca = fleet
[ fleet ]
database = $PKI/index.txt
new_certs_dir = $PKI/newcerts
certificate = $PKI/ca.pem
private_key = $PKI/ca.key
serial = $PKI/serial
crlnumber = $PKI/crlnumber
default_md = sha256
default_days = 30
default_crl_days = 30
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
EOF
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key"
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=Bulwark Test Fleet CA" \
      -days 30 -out "$PKI/ca.pem" 2>/dev/null
}

# pki_cert NAME CN [SAN] [extra openssl ca options...]
pki_cert() {
  local name=$1 cn=$2 san=${3:-} ; shift 3 2>/dev/null || shift $#
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key"
  local ext=()
  [[ -n $san ]] && ext=(-addext "subjectAltName=$san")
  openssl req -new -key "$PKI/$name.key" -subj "/CN=$cn" "${ext[@]}" \
      -out "$PKI/$name.csr" 2>/dev/null
  openssl ca -config "$PKI/ca.cnf" -batch -notext -in "$PKI/$name.csr" \
      -out "$PKI/$name.pem" "$@" 2>/dev/null
}

pki_cert_expired() {
  pki_cert "$1" "$2" "" -startdate 20200101000000Z -enddate 20200201000000Z
}

pki_revoke() {
  openssl ca -config "$PKI/ca.cnf" -revoke "$PKI/$1.pem" 2>/dev/null
  openssl ca -config "$PKI/ca.cnf" -gencrl -out "$PKI/crl.pem" 2>/dev/null
}

pki_other_ca() {
  local name=$1 cn=$2
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/other-ca.key"
  openssl req -x509 -new -key "$PKI/other-ca.key" -subj "/CN=Someone Else CA" \
      -days 30 -out "$PKI/other-ca.pem" 2>/dev/null
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "/CN=$cn" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/other-ca.pem" \
      -CAkey "$PKI/other-ca.key" -CAcreateserial -days 30 -out "$PKI/$name.pem" 2>/dev/null
}

pki_der() {
  openssl x509 -in "$PKI/$1.pem" -outform DER -out "$PKI/$1.crt.der"
  openssl pkey -in "$PKI/$1.key" -outform DER -out "$PKI/$1.key.der"
}
