#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# LwM2M Send end to end: bulwark-server (DM and bootstrap over DTLS, the
# REST API) and a real bulwark-device with --send-interval 1, on loopback.
# Tried: the device bootstraps, registers and reports its temperature and
# battery level every second until --max-runtime ends it (it de-registers);
# the values are read back with GET /devices/{ep}/data (a path filter,
# paging with the "next" cursor, since) and with "bulwarkctl data"; then a
# Send made with the device's own DM credentials, over a session of its
# own, after the device de-registered.
# Must hold: the device logs 2.04 for its Sends; the API lists numbers at
# /3303/0/5700 and /3/0/9, newest first, sampled within the run and
# received no earlier than sampled minus a second; the pages do not
# overlap; every value is marked "source":"send" (?source=notify lists
# none); bulwarkctl prints the same values as a table; the Send from
# the unregistered session is answered 4.04 and nothing is stored for it.
set -euo pipefail
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl bulwark-coap-client
CLI=$BW_BIN_DIR/bulwark-coap-client

API_MAX_TIME=30
server_start --telemetry-max-rows 1000 -v
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

head -c 32 /dev/urandom >"$W/fk1"
K1=$(od -An -tx1 "$W/fk1" | tr -d ' \n')
expect 201 POST /devices "{\"endpoint\":\"dev-send\",\"psk_identity\":\"fac-5e1d0a77\",\"psk_hex\":\"$K1\"}"
expect 200 GET /devices/dev-send/data
grep -q '"data":\[\]' "$W/body" || fail "a new device already has data"
expect 404 GET /devices/dev-none/data
expect 400 GET '/devices/dev-send/data?path=/3303/0'
expect 400 GET '/devices/dev-send/data?since=soon'
expect 400 GET '/devices/dev-send/data?after=12'
expect 405 POST /devices/dev-send/data '{}'

T0=$(now_ms)
device_start d1 dev-send fac-5e1d0a77 "$W/fk1" --send-interval 1 --max-runtime 9
rc=0; wait "$DEVICE_PID" || rc=$?
DEVICE_PID=
T1=$(now_ms)
(( rc == 0 )) || fail "device exited $rc (expected 0 after de-registering)"
grep -q "registered with" "$W/device.log" || fail "device never registered"
sends=$(grep -c "Send: 2.04" "$W/device.log" || true)
(( sends >= 4 )) || fail "device logged $sends Sends answered 2.04, expected >= 4"
grep -q "Send refused\|Send failed\|Send not made" "$W/device.log" &&
  fail "a Send of the registered device went wrong"
echo "ok: the registered device made $sends Sends, each answered 2.04"

# The API: both paths, numbers, newest first, plausible times.
expect 200 GET '/devices/dev-send/data?limit=1000'
cp "$W/body" "$W/all.json"
n_temp=$(grep -o '"path":"/3303/0/5700"' "$W/all.json" | wc -l)
n_batt=$(grep -o '"path":"/3/0/9"' "$W/all.json" | wc -l)
(( n_temp == sends && n_batt == sends )) ||
  fail "stored $n_temp temperatures and $n_batt battery levels for $sends Sends"
grep -q '"kind":"number"' "$W/all.json" || fail "values are not numbers"
grep -q '"next":null' "$W/all.json" || fail "a complete page has a next cursor"
# t and received_at of every row, in order.
mapfile -t ts < <(grep -o '"t":[0-9]*' "$W/all.json" | cut -d: -f2)
mapfile -t rx < <(grep -o '"received_at":[0-9]*' "$W/all.json" | cut -d: -f2)
(( ${#ts[@]} == 2 * sends && ${#rx[@]} == 2 * sends )) || fail "rows without t or received_at"
for i in "${!ts[@]}"; do
  (( ts[i] >= T0 - 1000 && ts[i] <= T1 + 1000 )) ||
    fail "row $i sampled at ${ts[i]}, outside the run [$T0, $T1]"
  (( rx[i] >= ts[i] - 1000 )) || fail "row $i received before it was sampled"
  (( i == 0 || ts[i] <= ts[i-1] )) || fail "rows not newest first at $i"
done
(( $(grep -o '"source":"send"' "$W/all.json" | wc -l) == 2 * sends )) ||
  fail "not every stored value is marked \"source\":\"send\""
expect 200 GET '/devices/dev-send/data?source=notify'
grep -q '"data":\[\]' "$W/body" || fail "?source=notify lists values of a Send"
expect 400 GET '/devices/dev-send/data?source=push'
echo "ok: API lists $((2 * sends)) values, newest first, sampled within the run, marked send"

expect 200 GET '/devices/dev-send/data?path=/3303/0/5700&limit=2'
grep -q '"/3/0/9"' "$W/body" && fail "the path filter let another path through"
next=$(grep -o '"next":"[0-9-]*"' "$W/body" | cut -d'"' -f4)
[[ -n $next ]] || fail "a full page has no next cursor"
first=$(grep -o '"t":[0-9]*' "$W/body" | cut -d: -f2 | tr '\n' ' ')
expect 200 GET "/devices/dev-send/data?path=/3303/0/5700&limit=2&after=$next"
second=$(grep -o '"t":[0-9]*' "$W/body" | cut -d: -f2 | tr '\n' ' ')
[[ -n $second ]] || fail "the second page is empty"
last_first=$(echo "$first" | awk '{print $NF}')
first_second=$(echo "$second" | awk '{print $1}')
(( first_second <= last_first )) || fail "page two ($second) is not older than page one ($first)"
mid=${ts[sends]}
expect 200 GET "/devices/dev-send/data?since=$mid"
mapfile -t st < <(grep -o '"t":[0-9]*' "$W/body" | cut -d: -f2)
(( ${#st[@]} >= 1 )) || fail "since=$mid returned nothing"
for t in "${st[@]}"; do (( t >= mid )) || fail "since=$mid let $t through"; done
echo "ok: path filter, paging with the cursor, since"

out=$(BULWARK_URL=https://127.0.0.1:$API BULWARK_TOKEN=$TOKEN \
      bulwarkctl --cacert "$CERT" data dev-send --path /3303/0/5700 --limit 3 2>"$W/ctl.err") ||
  { cat "$W/ctl.err"; fail "bulwarkctl data failed"; }
echo "$out" | head -1 | grep -q "TIME.*PATH.*KIND.*VALUE.*RECEIVED.*SOURCE" || fail "bulwarkctl: no table head: $out"
(( $(echo "$out" | grep -c "/3303/0/5700.*number.*send") == 3 )) || fail "bulwarkctl: rows missing: $out"
grep -q "more: bulwarkctl data dev-send --after" "$W/ctl.err" || fail "bulwarkctl: no next-page hint"
BULWARK_URL=https://127.0.0.1:$API BULWARK_TOKEN=$TOKEN \
  bulwarkctl --cacert "$CERT" --json data dev-send --limit 1 | grep -q '"endpoint":"dev-send"' ||
  fail "bulwarkctl --json data"
echo "ok: bulwarkctl data prints the values"

# The device's DM credentials (Security instance with bootstrap 0) from
# its server set: header of 14 bytes, then Security records.
mapfile -t B < <(od -An -v -tu1 "$W/d1/state/lwm2m/servers" | tr -s ' ' '\n' | grep -v '^$')
nsec=${B[5]}; off=14; ident=; : >"$W/dm.key"
for (( s = 0; s < nsec; s++ )); do
  bs=${B[off+4]}; off=$((off + 10)); ul=${B[off]}; off=$((off + 1 + ul))
  il=${B[off]}; id_off=$((off + 1)); off=$((off + 1 + il))
  kl=${B[off]}; k_off=$((off + 1)); off=$((off + 1 + kl))
  if (( bs == 0 )); then
    ident=$(for (( j = 0; j < il; j++ )); do printf "\\$(printf %03o "${B[id_off+j]}")"; done)
    for (( j = 0; j < kl; j++ )); do printf "\\$(printf %03o "${B[k_off+j]}")"; done >"$W/dm.key"
  fi
done
[[ -n $ident && -s $W/dm.key ]] || fail "no DM credentials in the device's server set"
before=$(grep -o '"path"' "$W/all.json" | wc -l)
printf '[{"n":"/3303/0/5700","v":99.5}]' >"$W/pack.json"
rc=0
"$CLI" --psk-identity "$ident" --psk-key-file "$W/dm.key" --timeout 20 \
    -m post -f "$W/pack.json" "coaps://127.0.0.1:$DM/dp" >"$W/cli.out" 2>"$W/cli.err" || rc=$?
(( rc == 3 )) || { cat "$W/cli.err"; fail "Send without a registration: exit $rc, expected 3 (4.xx)"; }
grep -q "4.04" "$W/cli.out" "$W/cli.err" || { cat "$W/cli.out" "$W/cli.err"; fail "not answered 4.04"; }
expect 200 GET '/devices/dev-send/data?limit=1000'
(( $(grep -o '"path"' "$W/body" | wc -l) == before )) || fail "the refused Send was stored"
grep -qF '"value":99.5' "$W/body" && fail "the refused value is in the store"
grep -q "dev-send: Send refused 4.04 (not registered)" "$W/server.log" || fail "server did not log the refusal"
echo "ok: a Send over a session with no registration is answered 4.04, nothing stored"
