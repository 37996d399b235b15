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
# overlap; bulwarkctl prints the same values as a table; the Send from
# the unregistered session is answered 4.04 and nothing is stored for it.
set -euo pipefail
: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
SERVER=$BW_BIN_DIR/bulwark-server
DEVICE=$BW_BIN_DIR/bulwark-device
CTL=$BW_BIN_DIR/bulwarkctl
CLI=$BW_BIN_DIR/bulwark-coap-client
for p in "$SERVER" "$DEVICE" "$CTL" "$CLI"; do
  [[ -x $p ]] || { echo "FAIL: $p not built"; exit 1; }
done
command -v curl >/dev/null || { echo "FAIL: curl missing (scripts/install-deps)"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bw-e2e-send.XXXXXX")
SERVER_PID= DEVICE_PID=
cleanup() {
  for pid in $DEVICE_PID $SERVER_PID; do
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  [[ -f $WORK/body ]] && { echo "--- last response"; head -c 3000 "$WORK/body"; echo; }
  [[ -f $WORK/server.log ]] && { echo "--- server log"; tail -30 "$WORK/server.log"; }
  [[ -f $WORK/device.log ]] && { echo "--- device log"; tail -30 "$WORK/device.log"; }
  exit 1
}

S=(--db "$WORK/bulwark.db" --master-key "$WORK/master.key")
"$SERVER" init "${S[@]}" >/dev/null || fail "init"
TOKEN=$(tr -d '\n' <"$WORK/api.token")
mkdir -p "$WORK/state"
"$SERVER" run "${S[@]}" --bind 127.0.0.1 --dm-port 0 --bs-port 0 --api-port 0 \
    --state-dir "$WORK/state" --lifetime 60 --ready-file "$WORK/ready" \
    --telemetry-max-rows 1000 -v >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 200); do [[ -s $WORK/ready ]] && break; sleep 0.05; done
[[ -s $WORK/ready ]] || fail "server did not start"
read -r DM BS API <"$WORK/ready"
URL=https://127.0.0.1:$API/api/v1

api() { # METHOD PATH [BODY]: prints the status, body in $WORK/body
  local args=(-H "Authorization: Bearer $TOKEN")
  [[ -n ${3-} ]] && args+=(-H "Content-Type: application/json" --data-binary "$3")
  curl -sk -o "$WORK/body" -w '%{http_code}' --max-time 30 -X "$1" "${args[@]}" "$URL$2"
}
expect() { # STATUS METHOD PATH [BODY]
  local want=$1; shift
  local got; got=$(api "$@") || fail "curl $1 $2 failed"
  [[ $got == "$want" ]] || fail "$1 $2: status $got, want $want"
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

head -c 32 /dev/urandom >"$WORK/fk1"
K1=$(od -An -tx1 "$WORK/fk1" | tr -d ' \n')
expect 201 POST /devices "{\"endpoint\":\"dev-send\",\"psk_identity\":\"fac-5e1d0a77\",\"psk_hex\":\"$K1\"}"
expect 200 GET /devices/dev-send/data
grep -q '"data":\[\]' "$WORK/body" || fail "a new device already has data"
expect 404 GET /devices/dev-none/data
expect 400 GET '/devices/dev-send/data?path=/3303/0'
expect 400 GET '/devices/dev-send/data?since=soon'
expect 400 GET '/devices/dev-send/data?after=12'
expect 405 POST /devices/dev-send/data '{}'

T0=$(now_ms)
mkdir -p "$WORK/d1"
"$DEVICE" --endpoint dev-send --bootstrap "coaps://127.0.0.1:$BS" \
    --keystore "$WORK/d1/keys" --state "$WORK/d1/state" \
    --psk-identity fac-5e1d0a77 --psk-key-file "$WORK/fk1" \
    --send-interval 1 --max-runtime 9 >"$WORK/device.log" 2>&1 &
DEVICE_PID=$!
rc=0; wait "$DEVICE_PID" || rc=$?
DEVICE_PID=
T1=$(now_ms)
(( rc == 0 )) || fail "device exited $rc (expected 0 after de-registering)"
grep -q "registered with" "$WORK/device.log" || fail "device never registered"
sends=$(grep -c "Send: 2.04" "$WORK/device.log" || true)
(( sends >= 4 )) || fail "device logged $sends Sends answered 2.04, expected >= 4"
grep -q "Send refused\|Send failed\|Send not made" "$WORK/device.log" &&
  fail "a Send of the registered device went wrong"
echo "ok: the registered device made $sends Sends, each answered 2.04"

# The API: both paths, numbers, newest first, plausible times.
expect 200 GET '/devices/dev-send/data?limit=1000'
cp "$WORK/body" "$WORK/all.json"
n_temp=$(grep -o '"path":"/3303/0/5700"' "$WORK/all.json" | wc -l)
n_batt=$(grep -o '"path":"/3/0/9"' "$WORK/all.json" | wc -l)
(( n_temp == sends && n_batt == sends )) ||
  fail "stored $n_temp temperatures and $n_batt battery levels for $sends Sends"
grep -q '"kind":"number"' "$WORK/all.json" || fail "values are not numbers"
grep -q '"next":null' "$WORK/all.json" || fail "a complete page has a next cursor"
# t and received_at of every row, in order.
mapfile -t ts < <(grep -o '"t":[0-9]*' "$WORK/all.json" | cut -d: -f2)
mapfile -t rx < <(grep -o '"received_at":[0-9]*' "$WORK/all.json" | cut -d: -f2)
(( ${#ts[@]} == 2 * sends && ${#rx[@]} == 2 * sends )) || fail "rows without t or received_at"
for i in "${!ts[@]}"; do
  (( ts[i] >= T0 - 1000 && ts[i] <= T1 + 1000 )) ||
    fail "row $i sampled at ${ts[i]}, outside the run [$T0, $T1]"
  (( rx[i] >= ts[i] - 1000 )) || fail "row $i received before it was sampled"
  (( i == 0 || ts[i] <= ts[i-1] )) || fail "rows not newest first at $i"
done
echo "ok: API lists $((2 * sends)) values, newest first, sampled within the run"

expect 200 GET '/devices/dev-send/data?path=/3303/0/5700&limit=2'
grep -q '"/3/0/9"' "$WORK/body" && fail "the path filter let another path through"
next=$(grep -o '"next":"[0-9-]*"' "$WORK/body" | cut -d'"' -f4)
[[ -n $next ]] || fail "a full page has no next cursor"
first=$(grep -o '"t":[0-9]*' "$WORK/body" | cut -d: -f2 | tr '\n' ' ')
expect 200 GET "/devices/dev-send/data?path=/3303/0/5700&limit=2&after=$next"
second=$(grep -o '"t":[0-9]*' "$WORK/body" | cut -d: -f2 | tr '\n' ' ')
[[ -n $second ]] || fail "the second page is empty"
last_first=$(echo "$first" | awk '{print $NF}')
first_second=$(echo "$second" | awk '{print $1}')
(( first_second <= last_first )) || fail "page two ($second) is not older than page one ($first)"
mid=${ts[sends]}
expect 200 GET "/devices/dev-send/data?since=$mid"
mapfile -t st < <(grep -o '"t":[0-9]*' "$WORK/body" | cut -d: -f2)
(( ${#st[@]} >= 1 )) || fail "since=$mid returned nothing"
for t in "${st[@]}"; do (( t >= mid )) || fail "since=$mid let $t through"; done
echo "ok: path filter, paging with the cursor, since"

out=$(BULWARK_URL=https://127.0.0.1:$API BULWARK_TOKEN=$TOKEN \
      "$CTL" --cacert "$WORK/state/api-cert.pem" data dev-send --path /3303/0/5700 --limit 3 2>"$WORK/ctl.err") ||
  { cat "$WORK/ctl.err"; fail "bulwarkctl data failed"; }
echo "$out" | head -1 | grep -q "TIME.*PATH.*KIND.*VALUE.*RECEIVED" || fail "bulwarkctl: no table head: $out"
(( $(echo "$out" | grep -c "/3303/0/5700.*number") == 3 )) || fail "bulwarkctl: rows missing: $out"
grep -q "more: bulwarkctl data dev-send --after" "$WORK/ctl.err" || fail "bulwarkctl: no next-page hint"
BULWARK_URL=https://127.0.0.1:$API BULWARK_TOKEN=$TOKEN \
  "$CTL" --cacert "$WORK/state/api-cert.pem" --json data dev-send --limit 1 | grep -q '"endpoint":"dev-send"' ||
  fail "bulwarkctl --json data"
echo "ok: bulwarkctl data prints the values"

# The device's DM credentials (Security instance with bootstrap 0) from
# its server set: header of 14 bytes, then Security records.
mapfile -t B < <(od -An -v -tu1 "$WORK/d1/state/lwm2m/servers" | tr -s ' ' '\n' | grep -v '^$')
nsec=${B[5]}; off=14; ident=; : >"$WORK/dm.key"
for (( s = 0; s < nsec; s++ )); do
  bs=${B[off+4]}; off=$((off + 10)); ul=${B[off]}; off=$((off + 1 + ul))
  il=${B[off]}; id_off=$((off + 1)); off=$((off + 1 + il))
  kl=${B[off]}; k_off=$((off + 1)); off=$((off + 1 + kl))
  if (( bs == 0 )); then
    ident=$(for (( j = 0; j < il; j++ )); do printf "\\$(printf %03o "${B[id_off+j]}")"; done)
    for (( j = 0; j < kl; j++ )); do printf "\\$(printf %03o "${B[k_off+j]}")"; done >"$WORK/dm.key"
  fi
done
[[ -n $ident && -s $WORK/dm.key ]] || fail "no DM credentials in the device's server set"
before=$(grep -o '"path"' "$WORK/all.json" | wc -l)
printf '[{"n":"/3303/0/5700","v":99.5}]' >"$WORK/pack.json"
rc=0
"$CLI" --psk-identity "$ident" --psk-key-file "$WORK/dm.key" --timeout 20 \
    -m post -f "$WORK/pack.json" "coaps://127.0.0.1:$DM/dp" >"$WORK/cli.out" 2>"$WORK/cli.err" || rc=$?
(( rc == 3 )) || { cat "$WORK/cli.err"; fail "Send without a registration: exit $rc, expected 3 (4.xx)"; }
grep -q "4.04" "$WORK/cli.out" "$WORK/cli.err" || { cat "$WORK/cli.out" "$WORK/cli.err"; fail "not answered 4.04"; }
expect 200 GET '/devices/dev-send/data?limit=1000'
(( $(grep -o '"path"' "$WORK/body" | wc -l) == before )) || fail "the refused Send was stored"
grep -q '99.5' "$WORK/body" && fail "the refused value is in the store"
grep -q "dev-send: Send refused 4.04 (not registered)" "$WORK/server.log" || fail "server did not log the refusal"
echo "ok: a Send over a session with no registration is answered 4.04, nothing stored"
