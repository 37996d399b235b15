#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Queue mode end to end: bulwark-server (DM, bootstrap, REST API) and two
# real bulwark-devices on loopback, driven with bulwarkctl and curl.
# Tried:
#   - the bootstrap configuration of dev-q set to binding UQ, lifetime
#     20 s with `bulwarkctl bootstrap` before its first bootstrap (a
#     viewer may read it, not set it);
#   - dev-q registers in queue mode and falls asleep; `bulwarkctl write
#     dev-q /3/0/14 +02:00` while it sleeps;
#   - an asynchronous Read of dev-u, an always-reachable device;
#   - a request with ttl 1 to dev-x, a device that never starts;
#   - cancelling a queued request with a viewer token, then an operator's;
#   - kill -9 of the server with a request queued for the sleeping dev-q
#     and one sent to dev-u (frozen with SIGSTOP, so it never answers),
#     and a restart.
# Must hold: the write is answered 202 "queued" and stays queued while
# dev-q sleeps; when dev-q wakes for its Update (resuming its DTLS
# session) the write is delivered: answered, code 2.04, and a Read right
# after shows +02:00; dev-u's async Read is answered with its payload
# (manufacturer Bulwark); dev-x's request expires with the ttl reason;
# the viewer gets 403 and the request stays queued, the operator's
# cancel makes it expired "cancelled by api:ops"; after kill -9 the
# queued request is still queued and is delivered at dev-q's next wake;
# the sent one is queued again at the restart and delivered once dev-u
# (cut and started again) registers.
# Well under 90 s: the lifetime of 20 s wakes dev-q every 18 s.
set -euo pipefail
: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
SERVER=$BW_BIN_DIR/bulwark-server
DEVICE=$BW_BIN_DIR/bulwark-device
CTLBIN=$BW_BIN_DIR/bulwarkctl
for p in "$SERVER" "$DEVICE" "$CTLBIN"; do
  [[ -x $p ]] || { echo "FAIL: $p not built"; exit 1; }
done
command -v curl >/dev/null || { echo "FAIL: curl missing (scripts/install-deps)"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bw-e2e-queue.XXXXXX")
SERVER_PID= DEVQ_PID= DEVU_PID=
cleanup() {
  for pid in $DEVQ_PID $DEVU_PID $SERVER_PID; do
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  if [[ -n ${BW_KEEP:-} ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  [[ -f $WORK/body ]] && { echo "--- last response"; head -c 3000 "$WORK/body"; echo; }
  for f in server devq devu; do
    [[ -f $WORK/$f.log ]] && { echo "--- $f.log"; tail -30 "$WORK/$f.log"; }
  done
  exit 1
}
T0=$(date +%s)

S=(--db "$WORK/bulwark.db" --master-key "$WORK/master.key")
"$SERVER" init "${S[@]}" >/dev/null || fail "init"
TOKEN=$(tr -d '\n' <"$WORK/api.token")
mkdir -p "$WORK/state"
DM=0 BS=0 API=0
server_start() {
  rm -f "$WORK/ready"
  "$SERVER" run "${S[@]}" --bind 127.0.0.1 --dm-port "$DM" --bs-port "$BS" \
      --api-port "$API" --state-dir "$WORK/state" --lifetime 30 \
      --ready-file "$WORK/ready" -v >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do [[ -s $WORK/ready ]] && break; sleep 0.05; done
  [[ -s $WORK/ready ]] || fail "server did not start"
  read -r DM BS API <"$WORK/ready"
  URL=https://127.0.0.1:$API/api/v1
  CTL=("$CTLBIN" --url "https://127.0.0.1:$API" --token-file "$WORK/api.token"
       --cacert "$WORK/state/api-cert.pem")
}
server_start

api() { # METHOD PATH [BODY [TOKEN]]: prints the status, body in $WORK/body
  local tok=${4-$TOKEN} args=()
  args+=(-H "Authorization: Bearer $tok")
  [[ -n ${3-} ]] && args+=(-H "Content-Type: application/json" --data-binary "$3")
  curl -sk -o "$WORK/body" -w '%{http_code}' --max-time 40 -X "$1" "${args[@]}" "$URL$2"
}
expect() { # STATUS METHOD PATH [BODY [TOKEN]]
  local want=$1; shift
  local got; got=$(api "$@") || fail "curl $1 $2 failed"
  [[ $got == "$want" ]] || fail "$1 $2: status $got, want $want"
}
# state ID: the request's state ("" if unknown).
state() {
  api GET "/requests/$1" >/dev/null
  sed -n 's/.*"state":"\([a-z]*\)".*/\1/p' "$WORK/body"
}
# wait_state ID STATE SECONDS
wait_state() {
  local s=
  for _ in $(seq $(( $3 * 10 ))); do
    s=$(state "$1")
    [[ $s == "$2" ]] && return 0
    sleep 0.1
  done
  fail "request $1 is '$s' after $3 s, want $2"
}
# wait_log FILE PATTERN SECONDS [COUNT]
wait_log() {
  for _ in $(seq $(( $3 * 10 ))); do
    (( $(grep -cF -- "$2" "$1" 2>/dev/null || true) >= ${4:-1} )) && return 0
    sleep 0.1
  done
  fail "waited $3 s for ${4:-1} x '$2' in $(basename "$1")"
}
provision() { # EP ID: a device with a fresh factory PSK in $WORK/EP.key
  head -c 32 /dev/urandom >"$WORK/$1.key"
  local k; k=$(od -An -tx1 "$WORK/$1.key" | tr -d ' \n')
  expect 201 POST /devices "{\"endpoint\":\"$1\",\"psk_identity\":\"$2\",\"psk_hex\":\"$k\"}"
}
start_device() { # EP ID LOG
  mkdir -p "$WORK/$1"
  "$DEVICE" --endpoint "$1" --bootstrap "coaps://127.0.0.1:$BS" \
      --keystore "$WORK/$1/keys" --state "$WORK/$1/state" \
      --psk-identity "$2" --psk-key-file "$WORK/$1.key" -v >"$WORK/$3.log" 2>&1 &
}
# request_id: the id in bulwarkctl's "queued: request N" line ($WORK/out).
request_id() { sed -n 's/^queued: request \([0-9]*\).*/\1/p' "$WORK/out"; }

provision dev-q fac-71c0a2b4
provision dev-u fac-3e19d5c8
provision dev-x fac-0b4fe6a1
expect 201 POST /tokens '{"name":"view","role":"viewer"}'
VIEW=$(sed -n 's/.*"token":"\([0-9a-f]\{64\}\)".*/\1/p' "$WORK/body")
expect 201 POST /tokens '{"name":"ops","role":"operator"}'
OPS=$(sed -n 's/.*"token":"\([0-9a-f]\{64\}\)".*/\1/p' "$WORK/body")
[[ -n $VIEW && -n $OPS ]] || fail "no viewer or operator token"

# ---- the bootstrap configuration ---------------------------------------
"${CTL[@]}" bootstrap dev-q --show >"$WORK/out" || fail "bootstrap --show"
grep -q "^binding: *U$" "$WORK/out" || fail "default binding is not U: $(cat "$WORK/out")"
grep -q "^default: *yes" "$WORK/out" || fail "defaults not flagged: $(cat "$WORK/out")"
"${CTL[@]}" bootstrap dev-q --binding UQ --lifetime 20 >"$WORK/out" || fail "bootstrap set"
grep -q "^binding: *UQ$" "$WORK/out" || fail "binding not UQ: $(cat "$WORK/out")"
grep -q "^lifetime: *20$" "$WORK/out" || fail "lifetime not 20: $(cat "$WORK/out")"
grep -q "^server_uri: *coaps://127.0.0.1:$DM$" "$WORK/out" ||
  fail "server_uri is not the server's own: $(cat "$WORK/out")"
expect 200 GET /devices/dev-q/bootstrap '' "$VIEW"
grep -q '"binding":"UQ"' "$WORK/body" || fail "viewer does not see UQ"
expect 403 PUT /devices/dev-q/bootstrap '{"binding":"U"}' "$VIEW"
expect 400 PUT /devices/dev-q/bootstrap '{"binding":"T"}'
expect 400 PUT /devices/dev-q/bootstrap '{"lifetime":5}'
expect 400 PUT /devices/dev-q/bootstrap '{"server_uri":"http://x"}'
expect 404 GET /devices/dev-none/bootstrap
echo "ok: bootstrap configuration of dev-q set to UQ, 20 s; viewer reads, cannot set"

# ---- dev-q registers in queue mode and sleeps ---------------------------
start_device dev-q fac-71c0a2b4 devq; DEVQ_PID=$!
start_device dev-u fac-3e19d5c8 devu; DEVU_PID=$!
wait_log "$WORK/devq.log" "registered with" 20
expect 200 GET /devices/dev-q
grep -q '"queue":true' "$WORK/body" || fail "dev-q is not registered in queue mode"
wait_log "$WORK/devq.log" "queue mode: channel closed until the next update" 15
updates=$(grep -c "registration updated" "$WORK/devq.log" || true)
echo "ok: dev-q registered in queue mode and fell asleep ($(( $(date +%s) - T0 )) s)"

"${CTL[@]}" write dev-q /3/0/14 +02:00 >"$WORK/out" || fail "write to a sleeping device: $(cat "$WORK/out")"
ID=$(request_id)
[[ -n $ID ]] || fail "write not queued: $(cat "$WORK/out")"
grep -q "queue mode and asleep" "$WORK/out" || fail "no reason given: $(cat "$WORK/out")"
[[ $(state "$ID") == queued ]] || fail "request $ID not queued while dev-q sleeps"
(( $(grep -c "registration updated" "$WORK/devq.log" || true) == updates )) ||
  fail "dev-q woke before the check (test timing)"
"${CTL[@]}" requests dev-q --state queued >"$WORK/out" || fail "bulwarkctl requests"
grep -q "^$ID  *write  */3/0/14  *queued" "$WORK/out" || fail "requests lists no queued write: $(cat "$WORK/out")"
echo "ok: the write is queued (request $ID) while dev-q sleeps"

wait_state "$ID" answered 25
grep -q '"code":"2.04"' "$WORK/body" || fail "delivered write not answered 2.04"
grep -q "session resumed" "$WORK/devq.log" || fail "dev-q did not resume its DTLS session on waking"
"${CTL[@]}" read dev-q /3/0/14 >"$WORK/out" || fail "read after the wake: $(cat "$WORK/out")"
grep -q "+02:00" "$WORK/out" || fail "read after delivery shows $(cat "$WORK/out")"
"${CTL[@]}" request "$ID" >"$WORK/out" || fail "bulwarkctl request"
grep -q "^code: *2.04" "$WORK/out" || fail "bulwarkctl request shows no code: $(cat "$WORK/out")"
echo "ok: delivered when dev-q woke (session resumed): 2.04, Read shows +02:00 ($(( $(date +%s) - T0 )) s)"

# ---- async Read of an always-reachable device ----------------------------
wait_log "$WORK/devu.log" "registered with" 20
"${CTL[@]}" read --async dev-u /3/0/0 >"$WORK/out" || fail "async read"
UID_=$(request_id)
[[ -n $UID_ ]] || fail "async read not queued: $(cat "$WORK/out")"
wait_state "$UID_" answered 10
grep -q '"vs":"Bulwark"' "$WORK/body" || fail "async read answered without the manufacturer"
grep -q '"code":"2.05"' "$WORK/body" || fail "async read not 2.05"
echo "ok: an async Read of dev-u is answered with its payload"

# ---- ttl 1 to a device that never wakes ----------------------------------
expect 202 POST /devices/dev-x/write '{"path":"/3/0/14","value":"+01:00","async":true,"ttl":1}'
XID=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$WORK/body")
wait_state "$XID" expired 5
grep -q '"reason":"its time to live ran out"' "$WORK/body" || fail "expired without the ttl reason"
expect 400 POST /devices/dev-x/write '{"path":"/3/0/14","value":"x","async":true,"ttl":0}'
expect 400 POST /devices/dev-x/write '{"path":"/3/0/14","value":"x","async":"yes"}'
echo "ok: a request with ttl 1 to a device that never wakes expires"

# ---- cancel: viewer refused, operator allowed ----------------------------
expect 202 POST /devices/dev-x/read '{"path":"/3/0","async":true}' "$OPS"
CID=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$WORK/body")
expect 403 DELETE "/requests/$CID" '' "$VIEW"
[[ $(state "$CID") == queued ]] || fail "viewer's cancel changed the request"
expect 200 DELETE "/requests/$CID" '' "$OPS"
grep -q '"reason":"cancelled by api:ops"' "$WORK/body" || fail "cancel gave no reason"
expect 409 DELETE "/requests/$CID" '' "$OPS"
expect 404 GET /requests/999999
echo "ok: a viewer cannot cancel; an operator can, once"

# ---- kill -9 with a request queued, restart -------------------------------
wait_log "$WORK/devq.log" "queue mode: channel closed until the next update" 15 2
"${CTL[@]}" write dev-q /3/0/15 Europe/Paris >"$WORK/out" || fail "second write"
KID=$(request_id)
[[ -n $KID ]] || fail "second write not queued: $(cat "$WORK/out")"
# dev-u frozen: an async Read goes out (sent) and gets no answer.
kill -STOP "$DEVU_PID"
expect 202 POST /devices/dev-u/read '{"path":"/3/0/0","async":true}'
SID=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$WORK/body")
wait_state "$SID" sent 5
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
server_start
[[ $(state "$KID") == queued ]] || fail "request $KID is '$(state "$KID")' after kill -9, want queued"
[[ $(state "$SID") == queued ]] || fail "request $SID, sent at the kill, is '$(state "$SID")' after the restart, want queued"
grep -q "1 request(s) sent before the last stop are queued again" "$WORK/server.log" ||
  fail "the restart did not report the requeued request"
# dev-u's session died with the server: a power cut and a new start
# (its server set is kept, so it registers at once).
kill -9 "$DEVU_PID"; wait "$DEVU_PID" 2>/dev/null || true
mv "$WORK/devu.log" "$WORK/devu-1.log"
start_device dev-u fac-3e19d5c8 devu; DEVU_PID=$!
echo "ok: after kill -9 and a restart request $KID is still queued, $SID (sent) is queued again"
wait_state "$KID" answered 40
grep -q '"code":"2.04"' "$WORK/body" || fail "write after the restart not answered 2.04"
"${CTL[@]}" read dev-q /3/0/15 >"$WORK/out" || fail "read after the restart"
grep -q "Europe/Paris" "$WORK/out" || fail "read after the restart shows $(cat "$WORK/out")"
echo "ok: delivered at dev-q's next wake after the restart ($(( $(date +%s) - T0 )) s)"
wait_state "$SID" answered 40
grep -q '"vs":"Bulwark"' "$WORK/body" || fail "requeued read answered without its payload"
echo "ok: the requeued read is delivered when dev-u registers ($(( $(date +%s) - T0 )) s)"
