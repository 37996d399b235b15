#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Queued requests across kill -9: their tries are counted in the
# database, and answered or expired ones are deleted after the retention.
# Tried:
#   - dev-t, a real bulwark-device, bootstraps and registers, then stops
#     (SIGTERM: it de-registers).  Its DM credentials, read from its
#     saved server set, make a device that never answers: one
#     bulwark-coap-client Register, after which it hangs up, so the
#     request the registration wakes gets no answer (one try each time);
#   - an async Read queued for dev-t; one such Register; kill -9 of the
#     server; a restart; a second Register; kill -9 and a restart
#     again; a third Register;
#   - a second request whose count reads 3 in the database while the
#     server is down (as a crash between the last try's count and the
#     give-up leaves it), then a Register;
#   - the first request's updated_at moved 31 days back while the server
#     is down; a start with --request-retention 0, then one with the
#     default (30 days); a recent answered request beside it.
# Must hold: after each try GET /requests/{id} shows "tries" 1, 2 (also
# after each kill -9 and restart), and the third try expires it with
# "no answer after 3 tries": 3 tries in total, each logged once, not 3
# more after a restart.  The second request is given up without being
# sent again.  With retention 0 the old request stays; with the default
# it is gone at the start's sweep (GET 404), one "requests-purged" audit
# entry says 1, and the recent one is still there.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwark-coap-client bulwark-keystore
need_tool python3 sqlite3

EP=dev-t
LIFETIME=60
server_start -v

sql() { sqlite3 -cmd ".timeout 5000" "$W/bulwark.db" "$1"; }
# field ID NAME: a member of GET /requests/ID ("" if the call failed).
field() {
  [[ $(api GET "/requests/$1") == 200 ]] || { echo; return 0; }
  python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ''))" \
    "$W/body" "$2"
}
# wait_field ID NAME VALUE SECONDS
wait_field() {
  local v=
  for _ in $(seq $(( $4 * 10 ))); do
    v=$(field "$1" "$2")
    [[ $v == "$3" ]] && return 0
    sleep 0.1
  done
  fail "request $1: $2 is '$v' after $4 s, want $3"
}
# tries_logged ID: the server's log lines of a try of request ID.
tries_logged() { grep -c "queue: $EP: request $1: try " "$W/server.log" || true; }

# ---- dev-t registers once, then only a device that never answers -------
head -c 32 /dev/urandom >"$W/fk"
K=$(od -An -tx1 "$W/fk" | tr -d ' \n')
expect 201 POST /devices "{\"endpoint\":\"$EP\",\"psk_identity\":\"fac-5d0c93e7\",\"psk_hex\":\"$K\"}"
device_start d "$EP" fac-5d0c93e7 "$W/fk" -v
wait_registered "$EP" || fail "dev-t did not register"
kill -TERM "$DEVICE_PID"; wait "$DEVICE_PID" 2>/dev/null || true; DEVICE_PID=
# The DM PSK from the saved server set (layout: lib/lwm2m/lwm2m_servers.c).
python3 - "$W/d/state/lwm2m/servers" "$W/dm.id" "$W/dm.psk" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
if b[:4] != b'BWSV' or b[4] != 1:
    sys.exit('not a version 1 server set')
p = 14
for _ in range(b[5]):
    bootstrap = b[p + 4]
    p += 10
    p += 1 + b[p]                                  # uri
    ident = b[p + 1:p + 1 + b[p]]; p += 1 + b[p]
    key = b[p + 1:p + 1 + b[p]]; p += 1 + b[p]
    if not bootstrap:
        open(sys.argv[2], 'wb').write(ident)
        open(sys.argv[3], 'wb').write(key)
        sys.exit(0)
sys.exit('no DM server in the set')
PY
mkdir -m 700 "$W/mute"
bulwark-keystore put "$W/mute" dm/psk-identity "$W/dm.id" >/dev/null
bulwark-keystore put "$W/mute" dm/psk "$W/dm.psk" >/dev/null
rm -f "$W/dm.psk"
printf '</1/1>,</3/0>' >"$W/links"
# mute_register: dev-t registers and hangs up at once (it answers nothing).
mute_register() {
  bulwark-coap-client -m post -f "$W/links" --keystore "$W/mute" --timeout 10 \
    "coaps://127.0.0.1:$DM/rd?ep=$EP&lt=60&b=U&lwm2m=1.1" >/dev/null 2>"$W/mute.err" ||
    fail "the muted dev-t could not register: $(cat "$W/mute.err")"
}
echo "ok: dev-t registered; its DM credentials make a device that never answers ($(elapsed) s)"

# ---- three tries across two kill -9 --------------------------------------
expect 202 POST "/devices/$EP/read" '{"path":"/3/0/0","async":true}'
R1=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$W/body")
[[ $(field "$R1" tries) == 0 ]] || fail "a new request shows tries $(field "$R1" tries)"
mute_register
wait_field "$R1" tries 1 10
[[ $(field "$R1" state) == queued ]] || fail "after one try request $R1 is not queued"
server_kill9
server_start -v
[[ $(field "$R1" tries) == 1 ]] || fail "after kill -9 request $R1 shows tries $(field "$R1" tries), want 1"
echo "ok: try 1 counted and kept across kill -9 ($(elapsed) s)"
mute_register
wait_field "$R1" tries 2 10
[[ $(field "$R1" state) == queued ]] || fail "after two tries request $R1 is not queued"
server_kill9
server_start -v
[[ $(field "$R1" tries) == 2 ]] || fail "after kill -9 request $R1 shows tries $(field "$R1" tries), want 2"
echo "ok: try 2 counted and kept across the second kill -9 ($(elapsed) s)"
mute_register
wait_field "$R1" state expired 10
[[ $(field "$R1" tries) == 3 ]] || fail "expired with tries $(field "$R1" tries), want 3"
[[ $(field "$R1" reason) == "no answer after 3 tries"* ]] ||
  fail "expired for '$(field "$R1" reason)'"
[[ $(tries_logged "$R1") == 3 ]] || fail "$(tries_logged "$R1") tries of request $R1 logged, want 3"
echo "ok: the third try in total gives request $R1 up: 3 tries, not 3 more after a restart"

# ---- spent before the give-up committed ----------------------------------
expect 202 POST "/devices/$EP/read" '{"path":"/3/0/1","async":true}'
R2=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$W/body")
# dev-t is still registered, so R2 went out at once (its session gone:
# one try); the count is then made 3 behind the server's back.
wait_field "$R2" tries 1 10
server_kill9
sql "UPDATE queued_requests SET tries = 3 WHERE id = $R2"
server_start -v
mute_register
wait_field "$R2" state expired 10
[[ $(field "$R2" reason) == "no answer after 3 tries" ]] || fail "R2 expired for '$(field "$R2" reason)'"
[[ $(tries_logged "$R2") == 1 ]] || fail "request $R2, its tries spent, was sent again"
echo "ok: a request whose tries are spent is given up at the next wake, not sent"

# ---- retention -----------------------------------------------------------
# A recent answered request, which every sweep must keep.
sql "INSERT INTO queued_requests (device_id, operation, path, state, result_code,
       created_at, updated_at, expires_at)
     SELECT id, 'read', '/3/0/2', 'answered', 69, $(date +%s)000, $(date +%s)000,
       $(date +%s)000 + 86400000 FROM devices WHERE endpoint = '$EP'"
R3=$(sql "SELECT MAX(id) FROM queued_requests")
server_kill9
old=$(( ($(date +%s) - 31 * 86400) * 1000 ))
sql "UPDATE queued_requests SET updated_at = $old WHERE id = $R1"
server_start -v --request-retention 0
sleep 1
expect 200 GET "/requests/$R1"
echo "ok: with --request-retention 0 the 31 days old request is kept"
server_stop
server_start -v
for _ in $(seq 50); do
  [[ $(api GET "/requests/$R1") == 404 ]] && break
  sleep 0.1
done
expect 404 GET "/requests/$R1"
expect 200 GET "/requests/$R2"
expect 200 GET "/requests/$R3"
expect 200 GET "/audit?limit=1000"
python3 - "$W/body" <<'PY' || fail "the retention sweep is not audited once with its count"
import json, sys
d = json.load(open(sys.argv[1]))
e = [x for x in d['entries'] if x['action'] == 'requests-purged']
assert len(e) == 1, e
assert e[0]['actor'] == 'queue', e
assert e[0]['detail'].startswith('1 answered or expired request(s) older than 30 day'), e
PY
echo "ok: at the default retention the old request is deleted (404), audited once with its count; newer ones stay ($(elapsed) s)"
