#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Additional DM servers in a bootstrap configuration, end to end:
# bulwark-server (both roles, its HTTPS API) as the primary, a second
# bulwark-server with --role dm and its own database as the additional
# DM server, a real bulwark-device, curl and bulwarkctl as clients,
# sqlite3 on the databases.
# Tried: the second server imports the device's DM credential (POST
# /devices with dm_psk_identity/dm_psk_hex through bulwarkctl provision
# --dm-psk-*, no factory key) and lists it; a factory key sent with a
# DM identity that is taken (one transaction: nothing stored, the
# factory key then provisions alone); on the primary, PUT
# /devices/{ep}/bootstrap with one additional server (its access map:
# R on /3/0, RW on /3303/0, Create on 3303, R on /9/0 the device does not
# have), GET, bad inputs one by one (URI, SSID clash with the primary or
# between servers, letters, paths, too many servers, keys, members), a
# GET answer PUT back without its key, DELETE and PUT again
# (bulwarkctl bootstrap --servers-file); then the device bootstraps and
# the primary reads /2 and /0 on it; then both servers work on the
# device through their own APIs.
# Must hold: the import answers 201 and the second server's credential
# list shows one active dm credential with that identity, no key; PUT
# and GET show the server with "psk": "set" and never the key (nor in
# the database, the audit log or the server log); each bad input is a
# 400 whose message names the member, and leaves the stored
# configuration as it was (table dump compared); the key is kept by the
# round trip; DELETE removes the rows (bootstrap_servers empty); the
# device bootstraps (Discover, /0/2, /1/2, /2/K written: the log names
# no failure) and registers with the primary; /2 holds exactly one
# Access Control instance per device object instance outside 0..2 and
# one Create grant for 3303, each owned by SSID 101, with the ACL
# entries the configuration gave SSID 7 and none for /9/0; /0 is not
# readable by a DM server (4.01); the device registers with both servers
# (both log lines), the second server reads /3/0 and /3303/0 but gets
# 4.01 for /4/0, /5/0/3 and a Write to /3/0/14, which the primary may
# make (and the second server then reads).
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl bulwark-keystore
need_tool sqlite3 python3
sql() { sqlite3 -batch -noheader "$W/bulwark.db" "$1"; }

server_start
head -c 32 /dev/urandom >"$W/fk1"
K1=$(od -An -tx1 "$W/fk1" | tr -d ' \n')
expect 201 POST /devices "{\"endpoint\":\"dev-0001\",\"psk_identity\":\"fac-5d02b7e4\",\"psk_hex\":\"$K1\"}"

# ---- the additional DM server: its own database, --role dm --------------
B=$W/b
mkdir -m 700 "$B" "$B/srv"
SB=(--db "$B/bulwark.db" --master-key "$B/master.key")
"$SERVER" init "${SB[@]}" >"$B/init.out" || fail "second server init"
"$SERVER" run "${SB[@]}" --role dm --bind 127.0.0.1 --dm-port 0 --api-port 0 \
  --state-dir "$B/srv" --ready-file "$B/ready" >>"$W/server-b.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do [[ -s $B/ready ]] && break; sleep 0.05; done
[[ -s $B/ready ]] || fail "the second server did not start"
read -r DMB _ APIB <"$B/ready"
[[ ${DMB:-0} -gt 0 && ${APIB:-0} -gt 0 ]] || fail "second server ports: '$(cat "$B/ready")'"
GB=(--url "https://127.0.0.1:$APIB" --cacert "$B/srv/api-cert.pem" --token-file "$B/api.token")

K2=$(new_psk k2)
ID2=cust-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
ctl 0 "${GB[@]}" provision dev-0001 --dm-psk-identity "$ID2" --dm-psk-file "$W/k2"
out_has "provisioned dev-0001"
ctl 0 "${GB[@]}" --json credentials dev-0001
python3 - "$W/out" "$ID2" <<'EOF' || fail "second server's credential list"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["credentials"]
assert [(x["purpose"], x["state"], x["identity"]) for x in c] == [("dm", "active", sys.argv[2])], c
EOF
grep -qi "$K2" "$W/out" && fail "the credential list holds the key"
# Imported without a factory key: no bootstrap credential; an empty
# body and a key without its identity are refused.
ctl 2 "${GB[@]}" provision dev-0002
ctl 1 "${GB[@]}" provision dev-0002 --dm-psk-identity "x-$ID2" --dm-psk-hex 0101
TOKEN_B=$(tr -d '\n' <"$B/api.token")
URL_A=$URL CERT_A=$CERT
on_b() { URL=https://127.0.0.1:$APIB/api/v1 CERT=$B/srv/api-cert.pem; }
on_a() { URL=$URL_A CERT=$CERT_A; }
# One transaction: on the known dev-0001, a factory key with a DM
# identity that is taken stores nothing (its credential list stays the
# one DM credential), so the factory key then provisions on its own.
on_b
K3=$(new_psk k3)
K4=$(new_psk k4)
expect_as 422 "$TOKEN_B" POST /devices "{\"endpoint\":\"dev-0001\",\"psk_identity\":\"fac-3\",\"psk_hex\":\"$K3\",\"dm_psk_identity\":\"$ID2\",\"dm_psk_hex\":\"$K4\"}"
body_is "d['error'] == 'reused credential' and d['detail'].startswith('dm_psk:')"
expect_as 200 "$TOKEN_B" GET /devices/dev-0001/credentials
body_is "[(c['purpose'], c['identity']) for c in d['credentials']] == [('dm', '$ID2')]"
expect_as 201 "$TOKEN_B" POST /devices "{\"endpoint\":\"dev-0001\",\"psk_identity\":\"fac-3\",\"psk_hex\":\"$K3\"}"
on_a
echo "ok: the second server (DM $DMB) imported DM credential $ID2 for dev-0001; a refused import stored nothing"

# ---- the configuration through the API ------------------------------------
S7=$(cat <<EOF
{"uri":"coaps://127.0.0.1:$DMB","short_server_id":7,"lifetime":120,"binding":"U",
 "psk_identity":"$ID2","psk_hex":"$K2",
 "access":{"/3/0":"R","/3303/0":"WR","/3303":"C","/9/0":"R"}}
EOF
)
ALL=$W/answers
: >"$ALL"
keep() { cat "$W/body" >>"$ALL" 2>/dev/null || true; }
expect 200 PUT /devices/dev-0001/bootstrap "{\"lifetime\":60,\"servers\":[$S7]}"
keep
body_is "d['default'] is False and len(d['servers']) == 1"
body_is "d['servers'][0] == {'uri': 'coaps://127.0.0.1:$DMB', 'short_server_id': 7, 'lifetime': 120, 'binding': 'U', 'psk_identity': '$ID2', 'psk': 'set', 'access': {'/3/0': 'R', '/3303/0': 'RW', '/3303': 'C', '/9/0': 'R'}}"
expect 200 GET /devices/dev-0001/bootstrap
keep
cp "$W/body" "$W/got.json"
body_is "d['servers'][0]['psk'] == 'set' and 'psk_hex' not in d['servers'][0]"
dump() { sqlite3 -batch "$W/bulwark.db" "SELECT * FROM bootstrap_configs; SELECT device_id, position, uri, ssid, lifetime_s, binding, psk_identity, hex(psk_nonce), hex(psk_box), access FROM bootstrap_servers"; }
before=$(dump)
[[ $(sql "SELECT count(*) FROM bootstrap_servers") == 1 ]] || fail "bootstrap_servers: $(sql 'SELECT count(*) FROM bootstrap_servers') rows"
[[ $(sql "SELECT access FROM bootstrap_servers") == "/3/0=R;/3303/0=RW;/3303=C;/9/0=R" ]] ||
  fail "stored access: $(sql 'SELECT access FROM bootstrap_servers')"

# bad NAME JSON-OF-SERVERS WANT-IN-MESSAGE
bad() {
  local st
  st=$(api PUT /devices/dev-0001/bootstrap "{\"servers\":$2}")
  keep
  [[ $st == 400 ]] || fail "$1: status $st, want 400"
  grep -q -- "$3" "$W/body" || fail "$1: the message lacks '$3': $(cat "$W/body")"
  [[ $(dump) == "$before" ]] || fail "$1: the stored configuration changed"
}
srv() { # srv 'python dict update' -> one server as JSON
  python3 -c "
import json, sys
s = json.loads(sys.argv[1]); s.update($1); print(json.dumps(s))" "$S7"
}
bad "http URI" "[$(srv "{'uri': 'http://127.0.0.1:5684'}")]" "servers\[0\].uri"
bad "no host" "[$(srv "{'uri': 'coaps://:5684'}")]" "servers\[0\].uri"
bad "port 0" "[$(srv "{'uri': 'coaps://h:0'}")]" "servers\[0\].uri"
bad "port 70000" "[$(srv "{'uri': 'coaps://h:70000'}")]" "servers\[0\].uri"
bad "a path" "[$(srv "{'uri': 'coaps://h:5684/x'}")]" "servers\[0\].uri"
bad "primary SSID" "[$(srv "{'short_server_id': 101}")]" "not 101"
bad "SSID 1" "[$(srv "{'short_server_id': 1}")]" "short_server_id must be 2..65534"
bad "SSID 65535" "[$(srv "{'short_server_id': 65535}")]" "short_server_id must be 2..65534"
bad "SSID clash" "[$S7, $(srv "{'psk_identity': 'other-1'}")]" "servers\[1\].short_server_id 7 is servers\[0\]'s"
bad "letter X" "[$(srv "{'access': {'/3/0': 'RX'}}")]" "letters must be some of R W E D C"
bad "lower case" "[$(srv "{'access': {'/3/0': 'r'}}")]" "letters must be some of R W E D C"
bad "letter twice" "[$(srv "{'access': {'/3/0': 'RR'}}")]" "has a letter twice"
bad "C on an instance" "[$(srv "{'access': {'/3/0': 'RC'}}")]" "takes exactly"
bad "R on an object" "[$(srv "{'access': {'/3303': 'R'}}")]" "takes exactly"
bad "a resource" "[$(srv "{'access': {'/3/0/1': 'R'}}")]" "names a resource"
bad "Security object" "[$(srv "{'access': {'/0/1': 'R'}}")]" "names object 0, 1 or 2"
bad "no slash" "[$(srv "{'access': {'3/0': 'R'}}")]" "is not a path"
bad "leading zero" "[$(srv "{'access': {'/03/0': 'R'}}")]" "is not a path"
bad "access not an object" "[$(srv "{'access': ['/3/0']}")]" "access must be an object"
bad "four servers" "[$S7, $S7, $S7, $S7]" "at most 3 additional DM servers"
bad "short key" "[$(srv "{'psk_hex': '00112233'}")]" "psk_hex must be 32..128 hex digits"
bad "repeated key" "[$(srv "{'psk_hex': '55' * 32}")]" "one byte repeated"
bad "no identity" "[$(srv "{'psk_identity': ''}")]" "psk_identity must be"
bad "new identity, no key" "[$(python3 -c "
import json, sys
s = json.loads(sys.argv[1]); del s['psk_hex']; s['psk_identity'] = 'fresh-1'; print(json.dumps(s))" "$S7")]" "psk_hex is required"
bad "psk other than set" "[$(srv "{'psk': 'x'}")]" "psk is only ever"
bad "unknown member" "[$(srv "{'key': 1}")]" "servers\[0\] must be an object of"
bad "not an array" "{}" "servers must be an array"
bad "binding T" "[$(srv "{'binding': 'T'}")]" "binding must be"
bad "lifetime 5" "[$(srv "{'lifetime': 5}")]" "lifetime must be"
echo "ok: 29 bad configurations refused with 400, nothing stored"

# The GET answer PUT back (no key, "psk": "set") keeps the stored key.
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps({'lifetime': d['lifetime'], 'servers': d['servers']}))" "$W/got.json" >"$W/back.json"
expect 200 PUT /devices/dev-0001/bootstrap "$(cat "$W/back.json")"
keep
[[ $(dump | tail -1 | cut -d'|' -f9) == $(echo "$before" | tail -1 | cut -d'|' -f9) ]] ||
  fail "the round trip did not keep the sealed key"

# DELETE removes it, rows and key; bulwarkctl puts it back from a file.
expect 200 DELETE /devices/dev-0001/bootstrap
keep
body_is "d['removed'] is True and d['servers'] == [] and d['default'] is True"
[[ $(sql "SELECT count(*) FROM bootstrap_servers") == 0 ]] || fail "DELETE left bootstrap_servers rows"
expect 200 GET /devices/dev-0001/bootstrap
body_is "d['servers'] == []"
printf '[%s]\n' "$S7" >"$W/servers.json"
chmod 600 "$W/servers.json"
ctl 0 "${G[@]}" bootstrap dev-0001 --lifetime 60 --servers-file "$W/servers.json"
out_has "server 2: ssid 7 coaps://127.0.0.1:$DMB"
out_has "key set access /3/0=R /3303/0=RW /3303=C /9/0=R"
cat "$W/out" >>"$ALL"
ctl 0 "${G[@]}" bootstrap dev-0001 --show
out_has "identity $ID2"
cat "$W/out" >>"$ALL"
echo "ok: GET shows the server without its key; round trip, DELETE, bulwarkctl"

# ---- the device bootstraps -------------------------------------------------
device_start d1 dev-0001 fac-5d02b7e4 "$W/fk1" --max-runtime 120
wait_registered dev-0001 || fail "dev-0001 did not register with the primary"
grep -q "dev-0001: bootstrap finished" "$W/server.log" || fail "no 'bootstrap finished' in the log"
grep -q "bootstrap failed" "$W/server.log" && fail "a bootstrap failed"
expect 200 GET /devices/dev-0001
cp "$W/body" "$W/dev.json"
expect 200 POST /devices/dev-0001/read '{"path":"/2"}'
keep
cp "$W/body" "$W/acl.json"
python3 - "$W/dev.json" "$W/acl.json" <<'EOF' || fail "the Access Control instances are not what the configuration says"
import json, sys
dev = json.load(open(sys.argv[1]))
ans = json.load(open(sys.argv[2]))
assert ans["code"] == "2.05", ans
# The device's object instances outside 0..2, from its registration.
have = {(o["id"], i) for o in dev["objects"] for i in o["instances"] if o["id"] > 2}
assert (3, 0) in have and (3303, 0) in have, have
# SenML JSON: names resolved against the base name.
vals, bn = {}, ""
for r in ans["payload"]:
    bn = r.get("bn", bn)
    vals[bn + r.get("n", "")] = r.get("v")
inst = {}
for name, v in vals.items():
    p = [int(x) for x in name.strip("/").split("/")]
    assert p[0] == 2, name
    e = inst.setdefault(p[1], {"acl": {}})
    if p[2] == 2:  # the ACL; "/2/K/2" alone: an empty one
        if len(p) == 4:
            e["acl"][p[3]] = v
    else:
        e[p[2]] = v
got = {}
for k, e in inst.items():
    assert e[3] == 101, ("owner", k, e)
    got[(e[0], e[1])] = e["acl"]
want = {i: {} for i in have}
want[(3, 0)] = {7: 1}
want[(3303, 0)] = {7: 3}
want[(3303, 65535)] = {7: 16}
assert got == want, (got, want)
print("ok: /2 holds %d Access Control instances, owner 101: %s" % (len(got), sorted(got)))
EOF
expect 200 POST /devices/dev-0001/read '{"path":"/0"}'
keep
body_is "d['code'] == '4.01'"
echo "ok: /0 is not readable by a DM server (4.01)"

# ---- both DM servers manage the device, each with its own rights --------
# The device registers with the additional server too (its own channel
# and DTLS session, the imported credential), and that server reaches
# only what its access map gave SSID 7; the primary, owner of every
# Access Control instance, reaches everything.
on_b
wait_registered dev-0001 "$TOKEN_B" || fail "dev-0001 did not register with the second server"
grep -q "dev-0001: registered with coaps://127.0.0.1:$DMB (server 7," "$W/device.log" ||
  fail "the device did not log its registration with the second server"
grep -q "dev-0001: registered with coaps://127.0.0.1:$DM (server 101," "$W/device.log" ||
  fail "the device did not log its registration with the primary"
dm_as() { # WANT_CODE TOKEN OP BODY: the device's answer code through the API
  expect_as 200 "$2" POST "/devices/dev-0001/$3" "$4"
  keep
  body_is "d['code'] == '$1'"
}
dm_as 2.05 "$TOKEN_B" read '{"path":"/3/0/0"}'        # R on /3/0
dm_as 4.01 "$TOKEN_B" write '{"path":"/3/0/14","value":"+02:00"}'
dm_as 4.01 "$TOKEN_B" read '{"path":"/4/0"}'          # nothing on /4/0
dm_as 4.01 "$TOKEN_B" read '{"path":"/5/0/3"}'
dm_as 2.05 "$TOKEN_B" read '{"path":"/3303/0"}'       # RW on /3303/0
on_a
dm_as 2.05 "$TOKEN" read '{"path":"/4/0"}'
dm_as 2.04 "$TOKEN" write '{"path":"/3/0/14","value":"+02:00"}'
on_b
dm_as 2.05 "$TOKEN_B" read '{"path":"/3/0/14"}'
body_is "'+02:00' in json.dumps(d['payload'])"
on_a
echo "ok: registered with both servers; SSID 7 reads /3/0 and /3303/0, is refused /4/0, /5/0 and writes to /3/0; the primary reaches all"

# No key anywhere: answers, bulwarkctl output, logs, audit, database.
expect 200 GET "/audit?limit=1000"
keep
for f in "$ALL" "$W/server.log" "$W/server-b.log"; do
  grep -qi -- "$K2" "$f" && fail "$f holds the additional server's key"
  grep -qi -- "${K2:0:16}" "$f" && fail "$f holds part of the additional server's key"
done
sqlite3 -batch "$W/bulwark.db" .dump | grep -qi -- "${K2:0:16}" &&
  fail "the primary's database holds the key in the clear"
echo "ok: the key is in no answer, log or database dump ($(elapsed) s)"
