#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The REST API end to end: bulwark-server with its HTTPS API on loopback,
# curl as the client, a real bulwark-device as the managed device.
# Tried: the token file made by init; the self-signed certificate made on
# first start (fingerprint logged, and it is the one served); health
# without a token; other calls without a token and with a wrong one;
# provisioning two devices over the API (one with a weak PSK) and a
# malformed body, an unknown route, a wrong method, an oversized body;
# listing; a device bootstrapping and registering, then Read /3/0, a
# Write to a read-only resource, Execute Reboot; the audit log; the log.
# Must hold: 401 with a JSON error without the right token, 422 with the
# reason for the weak PSK, 201 for the good one; the registered device
# answers 2.05 with manufacturer "Bulwark", 4.05 to the write, 2.04 to
# Reboot and then exits 75; the API's actions are audited with actor
# "api:admin" (the token file's token); the token never appears in the
# server log.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device
need_tool openssl

server_init
[[ -f $W/api.token ]] || fail "init made no API token next to the master key"
[[ $(stat -c %a "$W/api.token") == 600 ]] || fail "API token not 0600"
[[ $TOKEN =~ ^[0-9a-f]{64}$ ]] || fail "API token is not 64 hex digits"
server_start

# The certificate: made on first start, its fingerprint logged and served.
[[ $(stat -c %a "$W/srv/api-key.pem") == 600 ]] || fail "API key not 0600"
fpr=$(openssl x509 -in "$CERT" -noout -fingerprint -sha256 | sed 's/.*=//')
grep -q "fingerprint $fpr" "$W/server.log" || fail "certificate fingerprint $fpr not logged"
served=$(openssl s_client -connect "127.0.0.1:$API" </dev/null 2>/dev/null |
  openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//')
[[ $served == "$fpr" ]] || fail "served certificate $served is not the generated one"
echo "ok: self-signed certificate generated, fingerprint logged"

expect 200 GET /health "" ""
has '"status":"ok"'
expect 401 GET /devices "" ""
has '"error"'
last=${TOKEN: -1}; [[ $last == 0 ]] && flip=1 || flip=0
expect 401 GET /devices "" "${TOKEN%?}$flip"
expect 401 GET /devices "" "short"
expect 401 GET /nosuch "" ""
echo "ok: health open; no token and wrong tokens get 401 with a JSON error"

expect 404 GET /nosuch
expect 405 DELETE /devices
expect 405 GET /devices/x/read
expect 400 POST /devices '{"endpoint": "dev-0001",'
has '"malformed JSON"'
expect 400 POST /devices '[1,2]'
head -c 70000 /dev/zero | tr '\0' 'a' >"$W/big"
expect 413 POST /devices "@$W/big"
expect 400 GET '/devices?limit=1001'
echo "ok: 404, 405, 400 with a reason, 413 above 64 KiB"

head -c 32 /dev/urandom >"$W/fk1"
K1=$(od -An -tx1 "$W/fk1" | tr -d ' \n')
K2=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
expect 201 POST /devices "{\"endpoint\":\"dev-0001\",\"model\":\"m1\",\"psk_identity\":\"fac-7c1e93a0\",\"psk_hex\":\"$K1\"}"
expect 201 POST /devices "{\"endpoint\":\"dev-0002\",\"psk_identity\":\"fac-22b4d7f1\",\"psk_hex\":\"$K2\"}"
expect 422 POST /devices '{"endpoint":"dev-0003","psk_identity":"fac-0b0b0b0b","psk_hex":"0011223344556677"}'
has 'weak credential'
has '128 bits'
expect 422 POST /devices "{\"endpoint\":\"dev-0004\",\"psk_identity\":\"fac-99e0a1c2\",\"psk_hex\":\"$K1\"}"
has 'already used'
expect 200 GET /devices
has '"endpoint":"dev-0001"'
has '"endpoint":"dev-0002"'
grep -q 'dev-0003\|dev-0004' "$W/body" && fail "a refused device was kept"
expect 200 GET '/devices?limit=1'
has '"next":"dev-0001"'
expect 200 GET '/devices?after=dev-0001&limit=1'
has '"endpoint":"dev-0002"'
echo "ok: provisioned two devices; weak and reused PSKs get 422 with the reason; list pages"

expect 200 GET /devices/dev-0001
has '"registered":false'
expect 404 GET /devices/dev-9999
expect 404 POST /devices/dev-0001/read '{"path":"/3/0"}'

device_start d1 dev-0001 fac-7c1e93a0 "$W/fk1" --max-runtime 30
wait_registered dev-0001 || fail "dev-0001 did not register"
has '"location":"'
has '"lifetime":60'
echo "ok: GET /devices/dev-0001 shows the registration"

expect 200 POST /devices/dev-0001/read '{"path":"/3/0"}'
has '"code":"2.05"'
has '"content_format":110'
has '"Bulwark"'
expect 200 POST /devices/dev-0001/write '{"path":"/3303/0/5701","value":"K"}'
has '"code":"4.05"'
expect 400 POST /devices/dev-0001/write '{"path":"/3303/0/5701"}'
echo "ok: Read /3/0 answers 2.05 with the manufacturer; a read-only write 4.05"

expect 200 POST /devices/dev-0001/execute '{"path":"/3/0/4","args":""}'
has '"code":"2.04"'
rc=0; wait "$DEVICE_PID" || rc=$?
DEVICE_PID=
[[ $rc == 75 ]] || fail "device exited $rc after Reboot, want 75"
echo "ok: Execute Reboot answers 2.04, the device exits 75"

expect 200 GET '/audit?limit=1000'
for act in provisioned read write execute; do
  grep -q "\"actor\":\"api:admin\",\"action\":\"$act\"" "$W/body" || fail "no audit entry for api $act"
done
expect 200 GET '/audit?after=1&limit=1'
has '"next":'
echo "ok: the API's actions are audited"

server_stop
grep -q "$TOKEN" "$W/server.log" && fail "the API token appears in the server log"
for k in "$K1" "$K2"; do grep -qi "$k" "$W/server.log" && fail "a PSK appears in the server log"; done
grep -q "api: POST /api/v1/devices -> 201" "$W/server.log" || fail "requests not logged"
echo "ok: token and keys never logged"
