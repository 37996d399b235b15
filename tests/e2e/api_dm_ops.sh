#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Discover, Create, Delete and Write-Attributes end to end: bulwark-server
# with its HTTPS API on loopback, a real bulwark-device bootstrapped and
# registered over DTLS, curl and bulwarkctl as the clients.
# Tried, through the API: Discover of /3, of a resource, of an object the
# device lacks; Write-Attributes of pmin/pmax/gt/lt/st on the temperature
# value, removal with null, epmin (which the device does not take),
# pmin above pmax; Create on a single-instance object (/3) and on an
# object the device lacks, Create bodies that are refused (Creates that
# succeed: device_create.sh); Delete of the Device instance, of a temperature
# instance, of one that does not exist, of a whole object; malformed
# bodies (unknown attribute, negative pmin, a string pmin, no attribute,
# create without value, create on an instance path, an unknown member);
# a SenML Write beside them; a viewer token on the four routes; a device
# that is not registered;
# the audit log; a device that stops answering.  Through bulwarkctl:
# discover (table and --json), attrs and --clear, create, delete, usage
# errors, --help, a viewer token.
# Must hold: Discover lists /3/0/... with typed attributes and shows the
# attributes written (and not those removed); the device's own answers
# come back as {"code":...} with HTTP 200 (2.04, 4.00, 4.04, 4.05 as
# listed below); bad bodies get 400 naming the member, before anything
# is sent; a viewer gets 403 and is audited as denied; 404 for a device
# not registered; 504 when the device does not answer; every call that
# reached the device is audited with its action, path and code;
# bulwarkctl exits 0, 1 (device error, API error) or 2 (usage) as
# docs/bulwarkctl.md says.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl
need_tool python3

LIFETIME=120
API_MAX_TIME=60
server_start
VIEWER=$("$SERVER" token create "${S[@]}" --name viewer --role viewer) ||
  fail "token create viewer"

# dev_code OP BODY CODE: the device answered CODE (HTTP 200).
dev_code() {
  expect 200 POST "/devices/dev-0001/$1" "$2"
  body_is "d == {'code': '$3'} or (d['code'] == '$3' and '$1' == 'discover')"
}
# bad OP BODY FIELD: 400 whose detail names FIELD.
bad() {
  expect 400 POST "/devices/dev-0001/$1" "$2"
  body_is "d['error'] == 'bad request' and d['detail'].startswith('$3')"
}

head -c 32 /dev/urandom >"$W/fk1"
ctl 0 "${G[@]}" provision dev-0001 --psk-identity fac-5d11e0a3 --psk-file "$W/fk1"
ctl 0 "${G[@]}" provision dev-0002 --psk-identity fac-6e22f1b4 \
    --psk-hex "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# Not registered yet: 404 on every route, nothing sent.
for req in 'discover {"path":"/3"}' 'create {"path":"/3303","value":[]}' \
           'delete {"path":"/3303/0"}' 'attributes {"path":"/3/0/9","pmin":1}'; do
  expect 404 POST "/devices/dev-0002/${req%% *}" "${req#* }"
  body_is "d['error'] == 'not registered'"
done
echo "ok: 404 for a device that is not registered"

device_start d1 dev-0001 fac-5d11e0a3 "$W/fk1" --max-runtime 240
wait_registered dev-0001 || true
ctl 0 "${G[@]}" device dev-0001
out_has "^registered: *yes$"
# The temperature object samples once a second: wait for its value.
for _ in $(seq 50); do
  [[ $(api POST /devices/dev-0001/read '{"path":"/3303/0/5700"}') == 200 ]] &&
    grep -q '"code":"2.05"' "$W/body" && break
  sleep 0.1
done
body_is "d['code'] == '2.05'"

# ---- Discover ----------------------------------------------------------
expect 200 POST /devices/dev-0001/discover '{"path":"/3"}'
body_is "d['code'] == '2.05' and d['content_format'] == 40"
body_is "d['links'][0] == {'path': '/3', 'attributes': {'ver': '1.1'}}"
body_is "{'/3/0', '/3/0/0', '/3/0/4', '/3/0/13'} <= {l['path'] for l in d['links']}"
body_is "all(l['path'] == '/3' or l['path'].startswith('/3/0') for l in d['links'])"
body_is "d['payload'].startswith('</3>;ver=1.1,</3/0>')"
# A multiple resource carries dim, an integer.
body_is "[l['attributes']['dim'] for l in d['links'] if l['path'] == '/3/0/6'][0] >= 0"
dev_code discover '{"path":"/9"}' 4.04
body_is "d['links'] is None"
bad discover '{"path":"/3","depth":1}' "depth: "
bad discover '{"path":3}' "path must be"
echo "ok: discover /3 lists /3/0/... with ver and dim typed; /9 is 4.04; bad bodies 400"

# ---- Write-Attributes ---------------------------------------------------
dev_code attributes '{"path":"/3303/0/5700","pmin":10,"pmax":60}' 2.04
expect 200 POST /devices/dev-0001/discover '{"path":"/3303/0/5700"}'
body_is "d['links'] == [{'path': '/3303/0/5700', 'attributes': {'pmin': 10, 'pmax': 60}}]"
dev_code attributes '{"path":"/3303/0/5700","gt":30.5,"lt":-10,"st":0.5}' 2.04
expect 200 POST /devices/dev-0001/discover '{"path":"/3303/0/5700"}'
body_is "d['links'][0]['attributes'] == {'pmin': 10, 'pmax': 60, 'gt': 30.5, 'lt': -10.0, 'st': 0.5}"
dev_code attributes '{"path":"/3303/0/5700","pmin":null,"st":null}' 2.04
expect 200 POST /devices/dev-0001/discover '{"path":"/3303/0/5700"}'
body_is "d['links'][0]['attributes'] == {'pmax': 60, 'gt': 30.5, 'lt': -10.0}"
# What the device refuses: epmin (it knows pmin, pmax, gt, lt, st only),
# pmin above pmax, gt on a string resource.
dev_code attributes '{"path":"/3303/0/5700","epmin":1}' 4.00
dev_code attributes '{"path":"/3303/0/5700","pmin":90}' 4.00
dev_code attributes '{"path":"/3303/0/5701","gt":1}' 4.00
dev_code attributes '{"path":"/3303/9/5700","pmin":1}' 4.04
expect 200 POST /devices/dev-0001/discover '{"path":"/3303/0/5700"}'
body_is "d['links'][0]['attributes'] == {'pmax': 60, 'gt': 30.5, 'lt': -10.0}"
# What the API refuses before sending.
bad attributes '{"path":"/3303/0/5700","pmn":10}' "pmn: "
bad attributes '{"path":"/3303/0/5700","pmin":-1}' "pmin: "
bad attributes '{"path":"/3303/0/5700","pmin":"10"}' "pmin: "
bad attributes '{"path":"/3303/0/5700","pmax":1.5}' "pmax: "
bad attributes '{"path":"/3303/0/5700","st":-0.5}' "st: "
bad attributes '{"path":"/3303/0/5700","gt":1e300}' "gt: "
bad attributes '{"path":"/3303/0/5700"}' "no attribute"
bad attributes '{"pmin":1}' "path must be"
echo "ok: write-attributes set, shown by discover, removed with null; device 4.00/4.04 passed back; bad bodies 400 naming the member"

# ---- Create, Delete ------------------------------------------------------
# Created Temperature instances are tested in device_create.sh; here the
# refusals the device passes back: a single-instance object and an
# object it does not have.
dev_code create '{"path":"/3","value":[]}' 4.05
dev_code create '{"path":"/9","value":[]}' 4.04
bad create '{"path":"/3303"}' "value: is required"
bad create '{"path":"/3303","value":{"n":"1"}}' "value: must be"
bad create '{"path":"/3303/0","value":[]}' "path: "
bad create '{"path":"/3303","value":[],"instnace":1}' "instnace: "
bad create '{"path":"/3303","value":[{"bn":"/3303/1/"}],"instance":1}' "value: records carry no"
bad create '{"path":"/3303","value":[{"n":"1"}],"instance":65535}' "instance: "
dev_code delete '{"path":"/3/0"}' 4.05
dev_code delete '{"path":"/3303/0"}' 4.05
dev_code delete '{"path":"/3303/7"}' 4.04
dev_code delete '{"path":"/3303"}' 4.05
expect 200 POST /devices/dev-0001/read '{"path":"/3303/0/5701"}'
body_is "d['code'] == '2.05'"
bad delete '{"path":"/3303/0","x":1}' "x: "
# Create shares Write's SenML path: a SenML Write still goes through.
expect 200 POST /devices/dev-0001/write '{"path":"/3/0/14","value":[{"n":"/3/0/14","vs":"+02:00"}]}'
body_is "d == {'code': '2.04'}"
expect 200 POST /devices/dev-0001/read '{"path":"/3/0/14"}'
body_is "d['payload'][0]['vs'] == '+02:00'"
echo "ok: create 4.05 (a single-instance object), 4.04 for no object, nothing created; delete 4.05/4.04; bad bodies 400"

# ---- Roles ---------------------------------------------------------------
for op in discover create delete attributes; do
  expect 403 POST "/devices/dev-0001/$op" '{"path":"/3303/0"}' "$VIEWER"
  body_is "d['role_needed'] == 'operator'"
done
echo "ok: a viewer gets 403 (operator needed) on the four routes"

# ---- bulwarkctl ----------------------------------------------------------
ctl 0 "${G[@]}" discover dev-0001 /3
head -1 "$W/out" | grep -q '^PATH  *ATTRIBUTES$' || fail "discover: no table heading"
out_has "^/3  *ver=1.1$"
out_has "^/3/0/0  *-$"
out_has "^/3/0/6  *dim=[0-9]"
ctl 0 "${G[@]}" --json discover dev-0001 /3/0
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["code"] == "2.05" and d["links"][0]["path"] == "/3/0", d
' "$W/out" || fail "discover --json does not parse or is wrong"
ctl 1 "${G[@]}" discover dev-0001 /9
err_has "the device answered 4.04 Not Found"
ctl 0 "${G[@]}" attrs dev-0001 /3303/0/5700 --pmin 5 --pmax 50 --gt 25 --lt=-5.5
out_has "^2.04 Changed$"
ctl 0 "${G[@]}" discover dev-0001 /3303/0/5700
out_has "^/3303/0/5700  *pmin=5 pmax=50 gt=25 lt=-5.5$"
ctl 0 "${G[@]}" attrs dev-0001 /3303/0/5700 --clear gt --clear lt --st 2
ctl 0 "${G[@]}" discover dev-0001 /3303/0/5700
out_has "^/3303/0/5700  *pmin=5 pmax=50 st=2$"
ctl 1 "${G[@]}" attrs dev-0001 /3303/0/5700 --epmax 100
err_has "the device answered 4.00 Bad Request"
ctl 1 "${G[@]}" --json attrs dev-0001 /3303/0/5700 --pmin 51
python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == {"code": "4.00"}' \
  "$W/out" || fail "attrs --json of a refused write"
ctl 2 "${G[@]}" attrs dev-0001 /3303/0/5700
ctl 2 "${G[@]}" attrs dev-0001 /3303/0/5700 --pmin -1
ctl 2 "${G[@]}" attrs dev-0001 /3303/0/5700 --pmin 4294967296
ctl 2 "${G[@]}" attrs dev-0001 /3303/0/5700 --gt abc
ctl 2 "${G[@]}" attrs dev-0001 /3303/0/5700 --gt 1e5
ctl 2 "${G[@]}" attrs dev-0001 /3303/0/5700 --clear pmn
err_has "--clear wants one of"
ctl 2 "${G[@]}" attrs dev-0001 /3303/0/5700 --pmin 1 --clear pmin
err_has "pmin is given twice"
ctl 2 "${G[@]}" attrs dev-0001 3303/0/5700 --pmin 1
ctl 1 "${G[@]}" create dev-0001 /3 --value '[{"n":"14","vs":"+01:00"}]' --instance 3
err_has "the device answered 4.05 Method Not Allowed"
ctl 1 "${G[@]}" create dev-0001 /3303/0 --value '[]'
err_has "^bulwarkctl: 400 bad request: path: "
ctl 2 "${G[@]}" create dev-0001 /3303
err_has "--value JSON is required"
ctl 2 "${G[@]}" create dev-0001 /3303 --value '{"n":"1"}'
ctl 2 "${G[@]}" create dev-0001 /3303 --value '[]' --instance 65535
ctl 1 "${G[@]}" delete dev-0001 /3/0
err_has "the device answered 4.05 Method Not Allowed"
ctl 1 "${G[@]}" delete dev-0001 /3303/4
err_has "the device answered 4.04 Not Found"
ctl 2 "${G[@]}" delete dev-0001
BULWARK_TOKEN=$VIEWER ctl 1 --url "https://127.0.0.1:$API" --cacert "$CERT" discover dev-0001 /3
err_has "403 forbidden"
for cmd in discover create delete attrs; do
  ctl 0 "$cmd" --help
  out_has "^usage: bulwarkctl $cmd EP PATH"
done
ctl 0 help attrs
out_has "clear NAME"
echo "ok: bulwarkctl discover (table, --json), attrs and --clear, create, delete: exits 0/1/2 as documented; --help"

# ---- Audit ----------------------------------------------------------------
expect 200 GET '/audit?limit=1000'
body_is "any(e['action'] == 'write-attributes' and e['actor'] == 'api:admin' and e['subject'] == 'dev-0001' and e['detail'] == '/3303/0/5700?pmin=10&pmax=60 -> 2.04' for e in d['entries'])"
body_is "any(e['action'] == 'discover' and e['detail'] == '/3 -> 2.05' for e in d['entries'])"
body_is "any(e['action'] == 'create' and e['detail'] == '/3 -> 4.05' for e in d['entries'])"
body_is "any(e['action'] == 'delete' and e['detail'] == '/3/0 -> 4.05' for e in d['entries'])"
body_is "any(e['action'] == 'denied' and e['actor'] == 'api:viewer' and 'devices/dev-0001/attributes' in e['detail'] for e in d['entries'])"
body_is "not any('pmn' in (e['detail'] or '') for e in d['entries'])"
echo "ok: audited with action, endpoint, path (and query) and the device's code; refused bodies not sent"

# ---- A device that stops answering -----------------------------------------
kill -STOP "$DEVICE_PID"
start=$(date +%s)
expect 504 POST /devices/dev-0001/discover '{"path":"/3"}'
body_is "d['error'] == 'device timeout'"
took=$(( $(date +%s) - start ))
[[ $took -ge 29 && $took -le 40 ]] || fail "504 after $took s, want about 30"
kill -CONT "$DEVICE_PID"
expect 200 GET '/audit?limit=1000'
body_is "any(e['action'] == 'discover' and e['detail'] == '/3 -> timeout' for e in d['entries'])"
echo "ok: 504 after ${took} s when the device does not answer, audited as timeout"
