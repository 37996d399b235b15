#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A device's credentials listed and revoked, and a device deleted, end to
# end: bulwark-server with its HTTPS API on loopback, a real
# bulwark-device that bootstraps and registers, curl and bulwarkctl as
# clients, sqlite3 on the database behind the API.
# Tried: GET /devices/{ep}/credentials (admin, viewer, bulwarkctl);
# revoking the device's active DM credential as admin (then again, as a
# viewer and an operator, with an unknown id, a non-numeric id, another
# device's credential id, injection strings in the endpoint, a NUL
# (%00) after a real endpoint name); a second
# bulwark-device started from a copy of the first one's key store and
# state taken before the revocation (the old DM credential, and a wrong
# factory key so it cannot bootstrap around the test); DELETE
# /devices/{ep} of the registered device (a viewer and an operator
# first), of an unknown device, twice, and `bulwarkctl device delete` of
# a second device.
# Must hold: the list shows the factory (bootstrap) credential and one
# active DM credential with the identity the device holds, and no key
# anywhere (the factory key and the DM key, read from the device's key
# state, are grepped for in every answer); the revocation answers 200
# once the store says revoked (audited credential-revoked, actor
# api:admin), the DTLS session made with it is closed, the registration
# is gone from GET /devices/{ep} and from the database at once; the copy's DM handshake fails; the device
# itself, refused by the DM server, bootstraps with its factory key, gets
# a new DM credential and registers again within 40 s (timings printed);
# 409 twice, 403 viewer and operator, 404 unknown id or another device's,
# 400 non-numeric id, 404 for the injections, and nothing changed by any
# refusal (table dumps compared); DELETE answers what it deleted
# (audited device-deleted), 404 after, the device cannot bootstrap any
# more, and after the server stopped no table holds a row of it; each
# registration the API ended is a device.deregistered live event with
# its why ("credential revoked", "device deleted").
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl
need_tool sqlite3 python3
# Updates every 9 s: a device notices a revocation at its next one.
LIFETIME=10
sql() { sqlite3 -batch -noheader "$W/bulwark.db" "$1"; }
hexof() { od -An -tx1 | tr -d ' \n'; }
now_ms() { date +%s%3N; }

server_init
head -c 32 /dev/urandom >"$W/fk1"
head -c 32 /dev/urandom >"$W/fk2"
FK1=$(hexof <"$W/fk1")
"$SERVER" provision "${S[@]}" --endpoint dev-0001 --psk-identity fac-3a7c91e2 \
  --psk-key-file "$W/fk1" >/dev/null || fail "provision dev-0001"
"$SERVER" provision "${S[@]}" --endpoint dev-0002 --psk-identity fac-d4b01f66 \
  --psk-key-file "$W/fk2" >/dev/null || fail "provision dev-0002"
OPS=$("$SERVER" token create "${S[@]}" --name ops --role operator) || fail "token create ops"
VIEWER=$("$SERVER" token create "${S[@]}" --name viewer --role viewer) || fail "token create viewer"
printf '%s\n' "$VIEWER" >"$W/viewer.token"
chmod 600 "$W/viewer.token"
ADMIN=$TOKEN

# Every answer is kept, to be grepped for keys at the end.
ANSWERS=$W/answers
: >"$ANSWERS"
api_keep() { local st; st=$(api_as "$@"); cat "$W/body" >>"$ANSWERS" 2>/dev/null || true; echo "$st"; }
want() { # want STATUS TOKEN METHOD PATH
  local got; got=$(api_keep "$2" "$3" "$4")
  [[ $got == "$1" ]] || fail "$3 $4: status $got, want $1"
}
# The tables a device can own rows in, dumped (refusals must not change
# them); of a registration only what an Update does not move.
dump() {
  sqlite3 -batch "$W/bulwark.db" \
    "SELECT * FROM devices; SELECT * FROM credentials;
     SELECT location, endpoint FROM registrations; SELECT * FROM bootstrap_configs;
     SELECT * FROM queued_requests; SELECT count(*) FROM telemetry;
     SELECT * FROM campaign_devices"
}
no_key() { # no_key FILE WHAT: neither key, in either case, in FILE
  local f=$1 k
  for k in "$FK1" "$DMK"; do
    grep -qi -- "$k" "$f" && fail "$2 holds key material"
    grep -qi -- "${k:0:16}" "$f" && fail "$2 holds part of a key"
  done
  return 0
}

server_start
device_start d1 dev-0001 fac-3a7c91e2 "$W/fk1" --max-runtime 150
wait_registered dev-0001 || fail "dev-0001 did not register"
# The DM credential the device holds: in its saved server set (the
# Security record: identity length, identity, key length, key).
DMID=$(sql "SELECT CAST(c.identity AS TEXT) FROM credentials c JOIN devices d ON d.id = c.device_id WHERE d.endpoint = 'dev-0001' AND c.purpose = 'dm' AND c.state = 'active'")
DMK=$(python3 -c "
import sys
b = open(sys.argv[1], 'rb').read()
i = b.index(sys.argv[2].encode()) + len(sys.argv[2])
print(b[i + 1:i + 1 + b[i]].hex())" "$W/d1/state/lwm2m/servers" "$DMID") ||
  fail "the device's server set does not hold $DMID"
[[ $DMID == dm-* && ${#DMK} == 64 ]] || fail "DM credential: '$DMID', ${#DMK} hex digits of key"
echo "ok: dev-0001 bootstrapped and registered as $DMID"

# ---- the list --------------------------------------------------------------
want 200 "$ADMIN" GET /devices/dev-0001/credentials
body_is "d['endpoint'] == 'dev-0001' and d['next'] is None and len(d['credentials']) == 2"
body_is "[(c['purpose'], c['state'], c['kind']) for c in d['credentials']] == [('dm', 'active', 'psk'), ('bootstrap', 'active', 'psk')]"
body_is "d['credentials'][0]['identity'] == '$DMID' and d['credentials'][1]['identity'] == 'fac-3a7c91e2'"
body_is "d['credentials'][0]['id'] > d['credentials'][1]['id'] and all(c['revoked_at'] is None and c['created_at'] > 0 for c in d['credentials'])"
body_is "all(set(c) == {'id', 'purpose', 'kind', 'state', 'identity', 'created_at', 'revoked_at'} for c in d['credentials'])"
DMCID=$(python3 -c "import json; print(json.load(open('$W/body'))['credentials'][0]['id'])")
no_key "$W/body" "the credential list"
want 200 "$VIEWER" GET /devices/dev-0001/credentials
want 200 "$ADMIN" "GET" "/devices/dev-0001/credentials?limit=1"
body_is "len(d['credentials']) == 1 and d['next'] == $DMCID"
want 200 "$ADMIN" GET "/devices/dev-0001/credentials?limit=1&after=$DMCID"
body_is "d['credentials'][0]['purpose'] == 'bootstrap'"
want 400 "$ADMIN" GET "/devices/dev-0001/credentials?after=x1"
want 404 "$ADMIN" GET /devices/dev-9999/credentials
want 405 "$ADMIN" PUT /devices/dev-0001/credentials
ctl 0 "${G[@]}" credentials dev-0001
out_has "$DMID"
out_has "fac-3a7c91e2"
out_has "IDENTITY"
no_key "$W/out" "bulwarkctl credentials"
ctl 0 "${G[@]}" --json credentials dev-0001
no_key "$W/out" "bulwarkctl --json credentials"
# The next-page hint names the command to run; following it gives the
# bootstrap credential (a full page: a hint again), following that an
# empty page and no hint.
ctl 0 "${G[@]}" credentials dev-0001 --limit 1
err_has "^(more: bulwarkctl credentials dev-0001 --after $DMCID)$"
ctl 0 "${G[@]}" credentials dev-0001 --limit 1 --after "$DMCID"
out_has "fac-3a7c91e2"
next=$(sed -n 's/^(more: bulwarkctl credentials dev-0001 --after \([0-9]*\))$/\1/p' "$W/err")
[[ -n $next ]] || fail "credentials: no hint after a full page"
ctl 0 "${G[@]}" credentials dev-0001 --limit 1 --after "$next"
[[ $(wc -l <"$W/out") == 1 ]] || fail "credentials --after $next: want the heading only"
grep -q "more:" "$W/err" && fail "credentials: a hint after the last page"
echo "ok: credentials listed (bootstrap + active DM $DMID, id $DMCID), no key material"

# ---- refusals: nothing changes ----------------------------------------------
want 200 "$ADMIN" GET /devices/dev-0002/credentials
OTHER=$(python3 -c "import json; print(json.load(open('$W/body'))['credentials'][0]['id'])")
before=$(dump)
want 403 "$VIEWER" POST "/devices/dev-0001/credentials/$DMCID/revoke"
body_is "d['role_needed'] == 'admin'"
want 403 "$OPS" POST "/devices/dev-0001/credentials/$DMCID/revoke"
want 404 "$ADMIN" POST /devices/dev-0001/credentials/999999/revoke
want 404 "$ADMIN" POST "/devices/dev-0001/credentials/$OTHER/revoke"
want 404 "$ADMIN" POST "/devices/dev-9999/credentials/$DMCID/revoke"
want 400 "$ADMIN" POST /devices/dev-0001/credentials/abc/revoke
want 400 "$ADMIN" POST /devices/dev-0001/credentials/-1/revoke
want 400 "$ADMIN" POST /devices/dev-0001/credentials/01/revoke
want 404 "$ADMIN" POST /devices/dev-0001/credentials/0/revoke
want 405 "$ADMIN" GET "/devices/dev-0001/credentials/$DMCID/revoke"
for inj in "dev-0001'%20OR%20'1'='1" "dev-0001%27%3B%20DELETE%20FROM%20credentials%3B--" \
           "%25" "..%2Fdev-0002" "dev-0001%2F..%2Fdev-0002" "dev-0001%00" "dev-0001%00x"; do
  st=$(api_keep "$ADMIN" POST "/devices/$inj/credentials/$DMCID/revoke")
  [[ $st == 404 || $st == 400 ]] || fail "revoke with endpoint $inj: status $st, want 404 or 400"
  st=$(api_keep "$ADMIN" DELETE "/devices/$inj")
  [[ $st == 404 || $st == 400 ]] || fail "DELETE of endpoint $inj: status $st, want 404 or 400"
  st=$(api_keep "$ADMIN" GET "/devices/$inj/credentials")
  [[ $st == 404 || $st == 400 ]] || fail "list of endpoint $inj: status $st, want 404 or 400"
done
ctl 1 --url "https://127.0.0.1:$API" --cacert "$CERT" --token-file "$W/viewer.token" revoke dev-0001 "$DMCID"
err_has "403"
[[ $(dump) == "$before" ]] || fail "a refused call changed the database"
wait_registered dev-0001 || fail "dev-0001 lost its registration through a refused call"
echo "ok: 403 viewer/operator, 404 unknown or foreign id, 400 bad id, injections refused; nothing changed"

# ---- revoke the DM credential ----------------------------------------------
# The live events of the registrations the API ends, from here on.
opened=$(grep -c 'events -> 200 stream' "$W/server.log" || true)
"${CTL[@]}" events --json --type device.deregistered --endpoint dev-0001 \
  >"$W/events.out" 2>"$W/events.err" &
EVENTS_PID=$!
PIDS+=("$EVENTS_PID")
for _ in $(seq 100); do
  (( $(grep -c 'events -> 200 stream' "$W/server.log" || true) > opened )) && break
  sleep 0.05
done
rm -rf "$W/snap"
cp -a "$W/d1" "$W/snap" # holds the DM credential about to be revoked
OLDLOC=$(sql "SELECT location FROM registrations WHERE endpoint = 'dev-0001'")
[[ -n $OLDLOC ]] || fail "no stored registration of dev-0001"
mark=$(wc -l <"$W/device.log")
t0=$(now_ms)
ctl 0 "${G[@]}" --json revoke dev-0001 "$DMCID"
t1=$(now_ms)
cp "$W/out" "$W/body"
cat "$W/out" >>"$ANSWERS"
body_is "d['endpoint'] == 'dev-0001' and d['was'] == 'active' and d['registration_ended'] is True and d['can_bootstrap'] is True"
body_is "d['credential']['id'] == $DMCID and d['credential']['state'] == 'revoked' and d['credential']['identity'] == '$DMID' and d['credential']['purpose'] == 'dm'"
body_is "'warning' not in d"
want 200 "$VIEWER" GET /devices/dev-0001
# Unregistered, or (the device is quick) registered anew elsewhere.
body_is "d['registered'] is False or d['registration']['location'] != '$OLDLOC'"
t2=$(now_ms)
[[ $(sql "SELECT state FROM credentials WHERE id = $DMCID") == revoked ]] || fail "not revoked in the store"
# (The device may be back already, registered anew with a fresh DM
# credential: the one made with the revoked credential is what must go.)
[[ $(sql "SELECT count(*) FROM registrations WHERE location = '$OLDLOC'") == 0 ]] ||
  fail "the stored registration made with the revoked credential is still there"
[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'credential-revoked' AND actor = 'api:admin' AND subject = 'dev-0001' AND detail LIKE '%$DMID%registration ended'") == 1 ]] ||
  fail "no credential-revoked audit entry by api:admin naming $DMID"
no_key "$W/body" "the revocation's answer"
closed() {
  tail -n +"$((mark + 1))" "$W/device.log" |
    grep -q "channel to coaps://127.0.0.1:$DM: closed by the server: server sent close_notify"
}
for _ in $(seq 50); do closed && break; sleep 0.1; done
closed || fail "the device's DM session made with $DMID was not closed by the server"
echo "ok: revoked (bulwarkctl round trip $((t1 - t0)) ms); GET /devices/dev-0001 no longer showed the old registration $((t2 - t0)) ms after the call began"
want 409 "$ADMIN" POST "/devices/dev-0001/credentials/$DMCID/revoke"
ctl 1 "${G[@]}" revoke dev-0001 "$DMCID"
err_has "409"

# The copy: the revoked DM credential, and a factory key the server does
# not know (so it cannot bootstrap around the revocation).
head -c 32 /dev/urandom >"$W/bogus"
"$DEVICE" --endpoint dev-0001 --bootstrap "coaps://127.0.0.1:$BS" --keystore "$W/snap/keys" \
  --state "$W/snap/state" --psk-identity fac-3a7c91e2 --psk-key-file "$W/bogus" \
  --exit-after-register --max-runtime 6 -v >"$W/snap.log" 2>&1 && fail "the copy with the revoked credential registered"
grep -q "connecting to coaps://127.0.0.1:$DM" "$W/snap.log" || fail "the copy did not try its DM server"
grep -q "dm: .*unknown PSK identity '$DMID'" "$W/server.log" ||
  fail "the DM server did not refuse a handshake with the revoked identity $DMID"
echo "ok: a fresh handshake with the revoked DM credential fails: $(grep -m1 "dm: .*unknown PSK identity '$DMID'" "$W/server.log" | cut -d' ' -f3-)"

# The device itself: its session closed, its next DM handshake refused,
# back to bootstrap, a new DM credential, registered again.
new=
for _ in $(seq 400); do
  new=$(sql "SELECT CAST(identity AS TEXT) FROM credentials c JOIN devices d ON d.id = c.device_id WHERE d.endpoint = 'dev-0001' AND c.purpose = 'dm' AND c.state = 'active'")
  if [[ -n $new && $new != "$DMID" && $(api_as "$ADMIN" GET /devices/dev-0001) == 200 ]] &&
     grep -q '"registered":true' "$W/body"; then break; fi
  new=
  sleep 0.1
done
t3=$(now_ms)
[[ -n $new ]] || fail "dev-0001 did not come back with a new DM credential within 40 s"
echo "ok: dev-0001 re-bootstrapped and registered as $new $((t3 - t0)) ms after the revocation"
want 200 "$ADMIN" GET /devices/dev-0001/credentials
body_is "[(c['purpose'], c['state']) for c in d['credentials']][:3] == [('dm', 'active'), ('dm', 'revoked'), ('bootstrap', 'active')]"
body_is "d['credentials'][1]['revoked_at'] is not None"
# The copy's refused handshake and the device's own (a resumption whose
# ticket is ignored, then a full handshake) both name the identity.
(( $(grep -c "dm: .*unknown PSK identity '$DMID'" "$W/server.log") >= 2 )) ||
  fail "the device's own DM handshake with the revoked credential was not refused"

# ---- delete the device -------------------------------------------------------
DEVID=$(sql "SELECT id FROM devices WHERE endpoint = 'dev-0001'")
before=$(dump)
want 403 "$VIEWER" DELETE /devices/dev-0001
want 403 "$OPS" DELETE /devices/dev-0001
want 404 "$ADMIN" DELETE /devices/dev-9999
[[ $(dump) == "$before" ]] || fail "a refused DELETE changed the database"
want 405 "$ADMIN" PATCH /devices/dev-0001
mark=$(wc -l <"$W/device.log")
t0=$(now_ms)
want 200 "$ADMIN" DELETE /devices/dev-0001
t1=$(now_ms)
body_is "d['endpoint'] == 'dev-0001' and d['registration_ended'] is True"
body_is "d['deleted']['credentials'] == 3 and d['deleted']['registration'] is True and d['deleted']['bootstrap_config'] is False"
what=$(python3 -c "import json; print(json.load(open('$W/body'))['deleted'])")
want 404 "$ADMIN" GET /devices/dev-0001
want 404 "$ADMIN" GET /devices/dev-0001/credentials
want 404 "$ADMIN" DELETE /devices/dev-0001
[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'device-deleted' AND actor = 'api:admin' AND subject = 'dev-0001'") == 1 ]] ||
  fail "no device-deleted audit entry"
echo "ok: DELETE answered in $((t1 - t0)) ms: $what"

# The device is refused at its next Update and can no longer bootstrap.
bs_refused() {
  tail -n +"$((mark + 1))" "$W/device.log" |
    grep -q "handshake with coaps://127.0.0.1:$BS: authentication failed" &&
    grep -q "bs: .*unknown PSK identity 'fac-3a7c91e2'" "$W/server.log"
}
for _ in $(seq 300); do bs_refused && break; sleep 0.1; done
bs_refused || fail "the deleted device's bootstrap handshake did not fail within 30 s"
regs=$(grep -c "dev-0001: registered" "$W/server.log" || true)
sleep 2
[[ $(grep -c "dev-0001: registered" "$W/server.log" || true) == "$regs" ]] || fail "the deleted device registered"
echo "ok: the deleted device's bootstrap handshake fails ($(($(now_ms) - t0)) ms after the DELETE)"

# Each ended registration was a device.deregistered event saying why.
for _ in $(seq 50); do
  [[ $(grep -c '"why":"device deleted"' "$W/events.out" || true) == 1 ]] && break
  sleep 0.1
done
stop_pid "$EVENTS_PID"
python3 - "$W/events.out" <<'PY' || fail "live events of the ended registrations: $(cat "$W/events.out")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
why = [e["data"].get("why") for e in ev
       if e["type"] == "device.deregistered" and e["endpoint"] == "dev-0001"]
# The device's own re-registration in between may be followed by
# nothing else: exactly the two the API caused, in order.
assert why == ["credential revoked", "device deleted"], why
assert all(e["data"]["server"] == "dm" for e in ev)
PY
echo "ok: device.deregistered published for the revocation and for the deletion, each with its why"

ctl 0 "${G[@]}" device delete dev-0002
out_has "dev-0002: deleted: 1 credential(s)"
ctl 1 "${G[@]}" device delete dev-0002
err_has "404"

no_key "$ANSWERS" "an API answer"
no_key "$W/server.log" "the server's log"
no_key "$W/all" "bulwarkctl's output"

# ---- the database, the server stopped ---------------------------------------
kill "$DEVICE_PID" 2>/dev/null || true
wait "$DEVICE_PID" 2>/dev/null || true
DEVICE_PID=
server_stop
left=0
for t in $(sql "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'audit_log'"); do
  cols=$(sql "SELECT group_concat(name, ' ') FROM pragma_table_info('$t')")
  n=0
  case " $cols " in
    *" device_id "*) n=$(sql "SELECT count(*) FROM $t WHERE device_id = $DEVID") ;;
    *" endpoint "*) n=$(sql "SELECT count(*) FROM $t WHERE endpoint = 'dev-0001'") ;;
  esac
  [[ $t == devices ]] && n=$(sql "SELECT count(*) FROM devices WHERE id = $DEVID")
  [[ $n == 0 ]] || { echo "table $t holds $n row(s) of dev-0001"; left=1; }
done
[[ $left == 0 ]] || fail "rows of the deleted device are left"
[[ $(sql "SELECT count(*) FROM audit_log WHERE subject = 'dev-0001'") -gt 3 ]] || fail "the audit log lost the device's entries"
echo "ok: no table holds a row of the deleted device; the audit log keeps its history ($(elapsed) s)"
