#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Create and Delete end to end: bulwark-server (DM and bootstrap over DTLS,
# the REST API) and a real bulwark-device, on loopback.
# Tried: API Create of /3303 instances with Application Type (5750) and
# units (5701); Read of them; the registration's links; a restart of the
# device; Delete; and the refusals: an existing id, a read-only resource,
# a value of the wrong type, past the instance limit, Create on a
# single-instance object, Delete of an unknown id, of the built-in
# sensor and of the object.
# Must hold: Create answers 2.01 with "location" as the device's
# Location-Path (also when the device picked the id); Read gives the
# written values; GET /devices/{ep} lists the new instance once the
# device's Update came; after a restart the instance and its values are
# still there; Delete answers 2.02 and the instance reads 4.04 and leaves
# the links; each refusal has its code (4.00, 4.05, 5.00, 4.04) and the
# object reads the same before and after it.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device
need_tool python3

API_MAX_TIME=30
LIFETIME=60
server_start -v
EP=dev-create

head -c 32 /dev/urandom >"$W/fk1"
K1=$(od -An -tx1 "$W/fk1" | tr -d ' \n')
expect 201 POST /devices "{\"endpoint\":\"$EP\",\"psk_identity\":\"fac-c4ea7e01\",\"psk_hex\":\"$K1\"}"

start() {
  device_start d1 "$EP" fac-c4ea7e01 "$W/fk1" --max-runtime 200
  wait_registered "$EP" || { tail -20 "$W/device.log"; fail "device did not register"; }
}
stop() {
  kill -TERM "$DEVICE_PID" 2>/dev/null || true
  wait "$DEVICE_PID" 2>/dev/null || true
  DEVICE_PID=
}
on_exit stop
start

# op OP BODY: the device's answer to the operation (HTTP 200) in $W/body.
op() { expect 200 POST "/devices/$EP/$1" "$2"; }
# code_is CODE: the last answer's device code.
code_is() { body_is "d['code'] == '$1'"; }
# links_have PATH / links_lack PATH: GET /devices/{ep}, within 10 s.
links_wait() {
  for _ in $(seq 100); do
    expect 200 GET "/devices/$EP"
    if python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
has = ('<' + sys.argv[2] + '>') in (d.get('registration') or {}).get('links', '')
sys.exit(0 if has == (sys.argv[3] == 'has') else 1)" "$W/body" "$1" "$2" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  cat "$W/body"
  fail "GET /devices/$EP: links never $2 $1"
}
# snapshot NAME: the whole object as Read /3303 shows it, less the
# sensor's moving values, into $W/NAME.
snapshot() {
  op read '{"path":"/3303"}'
  code_is 2.05
  python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
moving = ('/5700', '/5601', '/5602')
rows, bn = [], ''
for r in d['payload']:
    bn = r.get('bn', bn)
    name = bn + r.get('n', '')
    if not name.endswith(moving):
        rows.append((name, r.get('v'), r.get('vs')))
print(sorted(rows))" "$W/body" >"$W/$1"
}
same() { cmp -s "$W/$1" "$W/$2" || { diff "$W/$1" "$W/$2" || true; fail "$3 changed the object"; }; }

# ---- Create --------------------------------------------------------------
op create '{"path":"/3303","value":[{"bn":"/3303/1/","n":"5750","vs":"Outdoor"},{"n":"5701","vs":"Far"}]}'
body_is "d == {'code': '2.01', 'location': '/3303/1'}"
op read '{"path":"/3303/1"}'
code_is 2.05
body_is "sorted(r['vs'] for r in d['payload'] if 'vs' in r) == ['Far', 'Outdoor']"
op read '{"path":"/3303/1/5700"}'
code_is 4.04
# The device picks the id (no instance named): the location says which.
op create '{"path":"/3303","value":[]}'
body_is "d == {'code': '2.01', 'location': '/3303/2'}"
op read '{"path":"/3303/2/5701"}'
body_is "d['code'] == '2.05' and 'Cel' in json.dumps(d['payload'])"
links_wait /3303/1 has
links_wait /3303/2 has
echo "ok: Create answers 2.01 with the device's location; values read back; the Update carries the links"

# ---- Restart -------------------------------------------------------------
stop
grep -q "Temperature instances saved" "$W/device.log" || [[ -s $W/d1/state/objects/3303 ]] ||
  fail "the device kept no record of its instances"
start
grep -q "Temperature: 2 created instance(s) restored" "$W/device.log" ||
  fail "the restarted device did not restore its instances"
op read '{"path":"/3303/1/5750"}'
body_is "d['code'] == '2.05' and 'Outdoor' in json.dumps(d['payload'])"
op read '{"path":"/3303/1/5701"}'
body_is "d['code'] == '2.05' and 'Far' in json.dumps(d['payload'])"
links_wait /3303/1 has
echo "ok: after a restart the created instances and their values are there"

# ---- Refusals, nothing changed --------------------------------------------
snapshot before
op create '{"path":"/3303","value":[{"bn":"/3303/1/","n":"5750","vs":"Again"}]}'
code_is 4.00
snapshot after; same before after "Create of an existing id"
op create '{"path":"/3303","value":[{"bn":"/3303/3/","n":"5700","v":20.5}]}'
code_is 4.05
snapshot after; same before after "Create with a read-only resource"
op create '{"path":"/3303","value":[{"bn":"/3303/3/","n":"5750","v":7}]}'
code_is 4.00
snapshot after; same before after "Create with a number for a string"
op create '{"path":"/3303","value":[{"bn":"/3303/3/","n":"5701","vs":""}]}'
code_is 4.00
snapshot after; same before after "Create with empty units"
op create '{"path":"/3","value":[]}'
code_is 4.05
op delete '{"path":"/3303/9"}'
code_is 4.04
op delete '{"path":"/3303/0"}'
code_is 4.05
op delete '{"path":"/3303"}'
code_is 4.05
snapshot after; same before after "the refused Deletes"
# The limit: instances 0, 1, 2 and one more; the fifth is refused.
op create '{"path":"/3303","value":[]}'
body_is "d == {'code': '2.01', 'location': '/3303/3'}"
snapshot full
op create '{"path":"/3303","value":[]}'
code_is 5.00
op create '{"path":"/3303","value":[{"bn":"/3303/7/","n":"5750","vs":"x"}]}'
code_is 5.00
snapshot after; same full after "Create past the limit"
echo "ok: refusals 4.00 / 4.05 / 4.04 / 5.00, each leaving the object as it was"

# ---- Delete --------------------------------------------------------------
op delete '{"path":"/3303/1"}'
code_is 2.02
op read '{"path":"/3303/1"}'
code_is 4.04
op delete '{"path":"/3303/1"}'
code_is 4.04
links_wait /3303/1 lacks
op read '{"path":"/3303/0/5701"}'
body_is "d['code'] == '2.05' and 'Cel' in json.dumps(d['payload'])"
stop
start
op read '{"path":"/3303/1"}'
code_is 4.04
op read '{"path":"/3303/2/5701"}'
code_is 2.05
echo "ok: Delete answers 2.02, the instance is gone (also after a restart) and leaves the links"
