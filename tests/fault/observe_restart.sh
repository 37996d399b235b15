#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Observations across server restarts.  The real bulwark-server (HTTPS
# API, DM over DTLS) and two real bulwark-device instances (temperature
# sampled every second), each observed on /3303/0/5700 through the API
# with pmin 1 / pmax 2.  First the server is stopped in order (SIGTERM:
# its DTLS sessions are saved) and started again on the same database,
# ports and state directory.  Then dev-0002 stops (it de-registers), and
# at once the server is killed with SIGKILL and started again.
# Must hold:
#   - while the server runs, the observations table holds one row per
#     live observation, written before the API answered;
#   - after the orderly restart (the devices held with SIGSTOP while the
#     port is closed) both observations are listed under the same ids
#     and, within 30 s, new notified values of dev-0001 sampled
#     after the restart are stored (its registration was loaded at start
#     and its first notification over its saved session finds it), with
#     no re-registration and no lost channel in its log;
#   - after the SIGKILL restart dev-0001's observation is listed again
#     under the same id (loaded from the table before the DTLS port
#     opened);
#   - dev-0002's observation, ended by its De-register, is not listed and
#     has no row;
#   - a Cancel through the API removes dev-0001's observation: not
#     listed, and no row in the table once the server has stopped; the
#     highest id handed out is kept (never handed out again).
# With BW_OBS_CONTINUITY=1, also after the SIGKILL restart:
#   - within 30 s new notified values of dev-0001 are stored, with no
#     re-registration.  That needs the device's DTLS session to survive
#     the SIGKILL: sessions are saved at an orderly stop only, so the
#     device's records meet a server that cannot read them unless the
#     session saved at the last orderly stop is still the one it uses
#     (docs/server.md, "Registrations across a restart").
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl bulwark-keystore
need_tool python3 sqlite3
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
rows() { sqlite3 "$W/bulwark.db" "SELECT COUNT(*) FROM observations${1-}"; }

LIFETIME=120
API_MAX_TIME=30
P=/3303/0/5700
server_start

# dev EP: provisioned through the API and started; its pid in DEV_<EP>.
declare -A DEV
start_dev() {
  local id
  id="fac-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  head -c 32 /dev/urandom >"$W/$1.psk"
  ctl 0 "${G[@]}" provision "$1" --psk-identity "$id" --psk-file "$W/$1.psk"
  DEVICE_LOG=$W/$1.log
  "$DEVICE" --endpoint "$1" --bootstrap "coaps://127.0.0.1:$BS" \
    --keystore "$W/$1/keys" --state "$W/$1/state" --psk-identity "$id" \
    --psk-key-file "$W/$1.psk" --sample-interval 1 -v >>"$DEVICE_LOG" 2>&1 &
  DEV[$1]=$!
  PIDS+=("${DEV[$1]}")
  wait_registered "$1" || fail "$1 did not register"
}
observe() {
  expect 200 POST "/devices/$1/attributes" "{\"path\":\"$P\",\"pmin\":1,\"pmax\":2}"
  expect 200 POST "/devices/$1/observe" "{\"path\":\"$P\"}"
  python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
if d['code'] != '2.05' or not isinstance(d['observation'], int):
    sys.exit('observe: %r' % d)
print(d['observation'])" "$W/body" || fail "$1: observe not taken"
}
# notified EP SINCE: how many values of P notified by EP sampled at or
# after SINCE (Unix ms) are stored.
notified() {
  expect 200 GET "/devices/$1/data?path=$P&source=notify&since=$2&limit=1000"
  python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
print(len([r for r in d['data'] if r['t'] >= int(sys.argv[2])]))" "$W/body" "$2"
}
listed() {
  expect 200 GET "/devices/$1/observations"
  python3 -c "
import json, sys
print(' '.join(str(o['id']) for o in json.load(open(sys.argv[1]))['observations']))" "$W/body"
}

mkdir -p "$W/dev-0001" "$W/dev-0002"
start_dev dev-0001
start_dev dev-0002
ID1=$(observe dev-0001)
ID2=$(observe dev-0002)
[[ $ID1 != "$ID2" ]] || fail "two observations share id $ID1"
[[ $(rows) == 2 ]] || fail "$(rows) rows in observations, want 2"
[[ $(rows " WHERE id = $ID1") == 1 ]] || fail "no row for observation $ID1"
t=$(now_ms)
for _ in $(seq 50); do (( $(notified dev-0001 "$t") >= 2 )) && break; sleep 0.2; done
(( $(notified dev-0001 "$t") >= 2 )) || fail "dev-0001: no notified values stored in 10 s"
echo "ok: observations $ID1 (dev-0001) and $ID2 (dev-0002) stored, notifications arriving [$(elapsed) s]"

# continuity SINCE MARK: dev-0001's values notified from SINCE on are
# stored (3 within 30 s) and its log from line MARK on shows no new
# registration and no lost channel.
continuity() {
  local n=0 after
  for _ in $(seq 150); do
    n=$(notified dev-0001 "$1")
    (( n >= 3 )) && break
    sleep 0.2
  done
  (( n >= 3 )) || fail "dev-0001: $n values notified after the restart in 30 s, want 3"
  expect 200 GET /devices/dev-0001/observations
  body_is "d['observations'][0]['id'] == $ID1 and d['observations'][0]['notifications'] >= 3"
  after=$(tail -n +"$(($2 + 1))" "$W/dev-0001.log")
  if grep -q "REGISTERED -> REGISTERING\|registered with\|channel .* closed" <<<"$after"; then
    fail "dev-0001 lost its registration or channel: $(grep -m3 "REGISTER\|channel" <<<"$after")"
  fi
  echo "ok: $n values notified after the restart, dev-0001 never re-registered [$(elapsed) s]"
}

# An orderly restart: sessions saved, registrations and observations
# loaded; the notifications go on.  The devices are held (SIGSTOP) while
# no process holds the port: a datagram sent then is answered by an ICMP
# port unreachable, which the device takes for a lost channel (it
# registers again); what is tested here is what the server remembers.
mark=$(wc -l <"$W/dev-0001.log")
kill -STOP "${DEV[dev-0001]}" "${DEV[dev-0002]}"
server_stop
server_start
kill -CONT "${DEV[dev-0001]}" "${DEV[dev-0002]}"
T=$(now_ms)
grep -q "registrations: 2 loaded" "$W/server.log" || fail "the log does not say 2 registrations were loaded"
[[ $(listed dev-0001) == "$ID1" ]] || fail "dev-0001 lists '$(listed dev-0001)' after the orderly restart, want $ID1"
[[ $(listed dev-0002) == "$ID2" ]] || fail "dev-0002 lists '$(listed dev-0002)' after the orderly restart, want $ID2"
echo "ok: server stopped with SIGTERM and started again: both observations listed [$(elapsed) s]"
continuity "$T" "$mark"

# dev-0002 de-registers; the server dies right after.
kill -TERM "${DEV[dev-0002]}"
for _ in $(seq 100); do alive "${DEV[dev-0002]}" || break; sleep 0.05; done
grep -q "de-registered\|DEREGISTERING -> STOPPED" "$W/dev-0002.log" ||
  fail "dev-0002 did not de-register"
mark=$(wc -l <"$W/dev-0001.log")
server_kill9
server_start
T=$(now_ms)
echo "ok: dev-0002 de-registered; server killed with SIGKILL and started again [$(elapsed) s]"

[[ $(listed dev-0001) == "$ID1" ]] || fail "dev-0001 lists '$(listed dev-0001)' after the restart, want $ID1"
[[ -z $(listed dev-0002) ]] || fail "dev-0002 still lists '$(listed dev-0002)'"
[[ $(rows " WHERE id = $ID2") == 0 ]] || fail "observation $ID2 still has a row"
echo "ok: observation $ID1 listed again with its id, $ID2 gone with its registration [$(elapsed) s]"

if [[ ${BW_OBS_CONTINUITY:-0} == 1 ]]; then
  continuity "$T" "$mark"
fi

# The device answers the Cancel only where it could be reached (above).
expect 200 DELETE "/devices/dev-0001/observations/$ID1"
body_is "d['observation'] == $ID1"
[[ -z $(listed dev-0001) ]] || fail "dev-0001 still lists '$(listed dev-0001)' after cancel"
server_stop
[[ $(rows) == 0 ]] || fail "$(rows) rows left in observations after cancel"
[[ $(sqlite3 "$W/bulwark.db" "SELECT last_id FROM observation_seq") -ge $ID2 ]] ||
  fail "the highest observation id was not kept"
echo "PASS: observation $ID1 carried on through an orderly restart, kept through SIGKILL, cancelled and deleted; $ID2 ended with its registration [$(elapsed) s]"
