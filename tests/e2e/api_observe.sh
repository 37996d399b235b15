#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Observe, notifications and Cancel end to end: bulwark-server with its
# HTTPS API on loopback and a real bulwark-device (temperature sampled
# every second) bootstrapped and registered over DTLS; bulwarkctl and
# curl as the clients.
# Tried: pmin 1 / pmax 3 on /3303/0/5700 through the attributes API, then
# `bulwarkctl observe --follow --for 4`; the values GET /data shows in a
# window; st 100 (only pmax may notify), then st removed and gt 100 /
# lt -100 (never crossed: only pmax again), then gt and lt removed; the
# observation list (API and bulwarkctl); a viewer's observe, cancel and
# list; cancel through bulwarkctl; a second cancel; an observe of a
# device that is not registered.
# Must hold: the observe answers 2.05 with the first value and an
# observation id, --follow prints values as they arrive; with pmin 1 the
# device notifies about every second (at least 4 in 6 s), increasing
# times, temperatures 17..25 °C; with st 100, and with gt/lt never
# crossed, at most 3 in 6 s (pmax 3); back to about one a second without
# them; the list shows the observation with its count; a viewer gets 403
# on observe and cancel (audited as denied) and 200 on the list; after
# cancel the stored count stays the same for 4 s and the list is empty;
# a second cancel is 404; the audit log has observe and
# cancel-observation.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl
need_tool python3
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

LIFETIME=120
API_MAX_TIME=60
server_start
VIEWER=$("$SERVER" token create "${S[@]}" --name viewer --role viewer) ||
  fail "token create viewer"

P=/3303/0/5700
# values FROM TO: the stored values of P sampled in [FROM, TO) (Unix ms),
# oldest first, one "t value" per line, into $W/vals; prints the count.
values() {
  expect 200 GET "/devices/dev-0001/data?path=$P&since=$1&limit=1000"
  python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d['data'] if r['t'] < int(sys.argv[2])]
if any(r.get('source') != 'notify' for r in rows):
    sys.exit('a stored notification is not marked \"source\": \"notify\"')
rows.reverse()
with open(sys.argv[3], 'w') as f:
    for r in rows:
        f.write('%d %r\n' % (r['t'], r['value']))
print(len(rows))" "$W/body" "$2" "$W/vals"
}
# phase SECONDS: count the values stored over the next SECONDS.
phase() {
  local from; from=$(now_ms)
  sleep "$1"
  values "$from" "$(now_ms)"
}

head -c 32 /dev/urandom >"$W/fk1"
ctl 0 "${G[@]}" provision dev-0001 --psk-identity fac-0b5e77ed --psk-file "$W/fk1"
expect 404 POST /devices/dev-0001/observe "{\"path\":\"$P\"}"
body_is "d['error'] == 'not registered'"

device_start d1 dev-0001 fac-0b5e77ed "$W/fk1" --sample-interval 1 --max-runtime 120
wait_registered dev-0001 || true
ctl 0 "${G[@]}" device dev-0001
out_has "^registered: *yes$"
echo "ok: device registered"

# ---- Observe with pmin 1 / pmax 3 ---------------------------------------
expect 200 POST /devices/dev-0001/attributes "{\"path\":\"$P\",\"pmin\":1,\"pmax\":3}"
body_is "d['code'] == '2.04'"
START=$(now_ms)
ctl 0 "${G[@]}" observe dev-0001 $P --follow --for 4
out_has "^2.05"
out_has "^observation: [0-9]"
# --follow printed the values notified meanwhile: "TIME PATH VALUE".
n=$(grep -c " $P " "$W/out" || true)
[[ $n -ge 2 ]] || fail "observe --follow printed $n values in 4 s"
expect 200 GET /devices/dev-0001/observations
body_is "len(d['observations']) == 1 and d['observations'][0]['path'] == '$P'"
body_is "d['observations'][0]['notifications'] >= 2 and d['observations'][0]['by'] == 'api:admin'"
OBS_ID=$(python3 -c "import json; print(json.load(open('$W/body'))['observations'][0]['id'])")
echo "ok: bulwarkctl observe: 2.05, observation $OBS_ID, --follow printed $n values"

n=$(phase 6)
[[ $n -ge 4 ]] || fail "pmin 1: $n values in 6 s, want at least 4"
python3 - "$W/vals" "$START" <<'EOF' || fail "values not plausible: $(cat "$W/vals")"
import sys
rows = [l.split() for l in open(sys.argv[1])]
t = [int(r[0]) for r in rows]
v = [float(r[1]) for r in rows]
assert all(a < b for a, b in zip(t, t[1:])), "times not increasing"
assert all(x > int(sys.argv[2]) for x in t), "times before the observe"
assert all(17.0 <= x <= 25.0 for x in v), "temperature out of 17..25"
EOF
echo "ok: pmin 1 / pmax 3: $n notified values in 6 s, increasing times, 17..25 degC"

# ---- st, gt, lt -----------------------------------------------------------
expect 200 POST /devices/dev-0001/attributes "{\"path\":\"$P\",\"st\":100}"
body_is "d['code'] == '2.04'"
sleep 1
n=$(phase 6)
[[ $n -ge 1 && $n -le 3 ]] || fail "st 100: $n values in 6 s, want 1..3 (pmax only)"
echo "ok: st 100: $n values in 6 s (pmax only)"
expect 200 POST /devices/dev-0001/attributes \
    "{\"path\":\"$P\",\"st\":null,\"gt\":100,\"lt\":-100}"
body_is "d['code'] == '2.04'"
sleep 1
n=$(phase 6)
[[ $n -ge 1 && $n -le 3 ]] || fail "gt 100 / lt -100: $n values in 6 s, want 1..3"
echo "ok: gt 100 / lt -100 never crossed: $n values in 6 s (pmax only)"
expect 200 POST /devices/dev-0001/attributes "{\"path\":\"$P\",\"gt\":null,\"lt\":null}"
sleep 1
n=$(phase 4)
[[ $n -ge 3 ]] || fail "gt/lt removed: $n values in 4 s, want at least 3"
echo "ok: gt/lt removed: $n values in 4 s again"

# ---- roles, listing, cancel ---------------------------------------------
expect 403 POST /devices/dev-0001/observe "{\"path\":\"$P\"}" "$VIEWER"
expect 403 POST /devices/dev-0001/cancel "{\"path\":\"$P\"}" "$VIEWER"
expect 403 DELETE "/devices/dev-0001/observations/$OBS_ID" "" "$VIEWER"
expect 200 GET /devices/dev-0001/observations "" "$VIEWER"
body_is "[o['id'] for o in d['observations']] == [$OBS_ID]"
ctl 0 "${G[@]}" observations dev-0001
out_has "^$OBS_ID  *$P "
expect 400 POST /devices/dev-0001/observe '{"path":"/3303/0/5700","pmin":1}'
echo "ok: viewer 403 on observe and cancel, 200 on the list; bulwarkctl observations"

ctl 0 "${G[@]}" cancel dev-0001 $P
out_has "observation $OBS_ID cancelled"
expect 200 GET /devices/dev-0001/observations
body_is "d['observations'] == []"
sleep 1
before=$(values 0 99999999999999)
sleep 4
after=$(values 0 99999999999999)
[[ $before == "$after" ]] || fail "values still stored after cancel: $before then $after"
expect 404 POST /devices/dev-0001/cancel "{\"path\":\"$P\"}"
expect 404 DELETE "/devices/dev-0001/observations/$OBS_ID"
echo "ok: cancel: list empty, stored count stays at $after for 4 s, second cancel 404"

expect 200 GET "/audit?limit=1000"
body_is "any(e['action'] == 'observe' and e['subject'] == 'dev-0001' for e in d['entries'])"
body_is "any(e['action'] == 'cancel-observation' and e['subject'] == 'dev-0001' for e in d['entries'])"
body_is "any(e['action'] == 'denied' and 'observe' in e['detail'] for e in d['entries'])"
echo "ok: audit log has observe, cancel-observation and the viewer's denial"
echo "PASS"
