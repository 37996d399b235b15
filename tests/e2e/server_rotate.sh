#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Credential rotation on demand and by policy, end to end: bulwark-server
# with its HTTPS API on loopback, a real bulwark-device that bootstraps
# and registers, curl and bulwarkctl as clients, sqlite3 to look at the
# credentials behind the API.
# Tried: POST /devices/{ep}/rotate by an operator (curl), then
# `bulwarkctl rotate` (a second rotation); rotate for a provisioned device
# that is not registered, for an unknown device, with a viewer's token, with
# GET (by an admin: a route that is not in the table needs admin); then a
# second server run with --rotate-days 1 against the same
# database, the device's DM credential aged two days by hand.
# Must hold: 202 {"endpoint","state":"rotation-requested"} once the device
# acknowledged; the device registers again with a new DM identity drawn
# by the server; afterwards exactly one active DM credential, the old one
# revoked, none pending, the factory key untouched; the audit log has
# rotation-requested (actor api:ops), credential-issued, registered,
# credential-revoked in that order; 409 with the reason (bulwarkctl exit
# 1) for the unregistered device, 404 for the unknown one, 403 for the
# viewer, 405 for GET; the policy rotates the aged credential without any
# API call (actor "policy"), once only, and leaves the unregistered device
# alone; no key or token in any log.
set -euo pipefail
: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
SERVER=$BW_BIN_DIR/bulwark-server
DEVICE=$BW_BIN_DIR/bulwark-device
CTL=$BW_BIN_DIR/bulwarkctl
for p in "$SERVER" "$DEVICE" "$CTL"; do [[ -x $p ]] || { echo "FAIL: $p not built"; exit 1; }; done
for t in curl sqlite3; do
  command -v $t >/dev/null || { echo "FAIL: $t missing (scripts/install-deps)"; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bw-e2e-rotate.XXXXXX")
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
  [[ -f $WORK/body ]] && { echo "--- last response"; cat "$WORK/body"; echo; }
  [[ -f $WORK/err ]] && { echo "--- bulwarkctl stderr"; cat "$WORK/err"; }
  [[ -f $WORK/server.log ]] && { echo "--- server log"; tail -40 "$WORK/server.log"; }
  [[ -f $WORK/device.log ]] && { echo "--- device log"; tail -30 "$WORK/device.log"; }
  exit 1
}
sql() { sqlite3 -batch -noheader "$WORK/bulwark.db" "$1"; }
# The device's DM credentials: identity|state, one a line, oldest first.
dm_creds() {
  sql "SELECT CAST(c.identity AS TEXT) || '|' || c.state FROM credentials c JOIN devices d ON d.id = c.device_id WHERE d.endpoint = '$1' AND c.purpose = 'dm' ORDER BY c.id"
}
active_dm() {
  sql "SELECT CAST(c.identity AS TEXT) FROM credentials c JOIN devices d ON d.id = c.device_id WHERE d.endpoint = '$1' AND c.purpose = 'dm' AND c.state = 'active'"
}

S=(--db "$WORK/bulwark.db" --master-key "$WORK/master.key")
"$SERVER" init "${S[@]}" >/dev/null || fail "init"
head -c 32 /dev/urandom >"$WORK/fk1"
head -c 32 /dev/urandom >"$WORK/fk2"
"$SERVER" provision "${S[@]}" --endpoint dev-0001 --psk-identity fac-5e21a9c4 \
    --psk-key-file "$WORK/fk1" >/dev/null || fail "provision dev-0001"
"$SERVER" provision "${S[@]}" --endpoint dev-0002 --psk-identity fac-b0c7d315 \
    --psk-key-file "$WORK/fk2" >/dev/null || fail "provision dev-0002"
ADMIN=$(tr -d '\n' <"$WORK/api.token")
OPS=$("$SERVER" token create "${S[@]}" --name ops --role operator) || fail "token create ops"
VIEWER=$("$SERVER" token create "${S[@]}" --name viewer --role viewer) || fail "token create viewer"
printf '%s\n' "$OPS" >"$WORK/ops.token"
printf '%s\n' "$VIEWER" >"$WORK/viewer.token"
chmod 600 "$WORK/ops.token" "$WORK/viewer.token"

mkdir -p "$WORK/state"
# start_server DM-PORT BS-PORT [options]: run the server (log appended),
# wait for its ports (0: picked; the second run reuses the first's, which
# the device saved).
start_server() {
  local dm=$1 bs=$2; shift 2
  rm -f "$WORK/ready"
  "$SERVER" run "${S[@]}" --bind 127.0.0.1 --dm-port "$dm" --bs-port "$bs" --api-port 0 \
      --state-dir "$WORK/state" --lifetime 60 --ready-file "$WORK/ready" "$@" \
      >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do [[ -s $WORK/ready ]] && break; sleep 0.05; done
  [[ -s $WORK/ready ]] || fail "server did not start"
  read -r DM BS API <"$WORK/ready"
  URL=https://127.0.0.1:$API/api/v1
}
stop_server() {
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
}
# start_device: dev-0001 in the background, until stopped (60 s at most).
start_device() {
  mkdir -p "$WORK/d1"
  "$DEVICE" --endpoint dev-0001 --bootstrap "coaps://127.0.0.1:$BS" \
      --keystore "$WORK/d1/keys" --state "$WORK/d1/state" \
      --psk-identity fac-5e21a9c4 --psk-key-file "$WORK/fk1" \
      --max-runtime 60 >>"$WORK/device.log" 2>&1 &
  DEVICE_PID=$!
}
stop_device() {
  kill "$DEVICE_PID" 2>/dev/null || true; wait "$DEVICE_PID" 2>/dev/null || true; DEVICE_PID=
}
registrations() { grep -c "dev-0001: registered" "$WORK/server.log" || true; }
# wait_registered N: until the server logged N registrations of dev-0001.
wait_registered() {
  for _ in $(seq 200); do (( $(registrations) >= $1 )) && return 0; sleep 0.1; done
  fail "dev-0001 did not register (want $1 registrations, saw $(registrations))"
}
# wait_rotated OLD-ID: until dev-0001's one active DM identity is another.
wait_rotated() {
  local id
  for _ in $(seq 200); do
    id=$(active_dm dev-0001)
    [[ -n $id && $id != "$1" && $(dm_creds dev-0001 | grep -c '|pending') == 0 ]] && return 0
    sleep 0.1
  done
  fail "dev-0001's DM credential was not rotated away from $1: $(dm_creds dev-0001 | tr '\n' ' ')"
}
# check_rotated OLD NEW: the state of the credentials after a rotation.
check_rotated() {
  [[ $2 == dm-* && $2 != "$1" ]] || fail "new DM identity '$2' (old '$1')"
  local creds; creds=$(dm_creds dev-0001)
  grep -qx "$1|revoked" <<<"$creds" || fail "old identity $1 not revoked: $creds"
  [[ $(grep -c '|active' <<<"$creds") == 1 ]] || fail "not exactly one active DM credential: $creds"
  grep -q '|pending' <<<"$creds" && fail "a pending DM credential is left: $creds"
  [[ $(sql "SELECT state FROM credentials WHERE CAST(identity AS TEXT) = 'fac-5e21a9c4'") == active ]] ||
    fail "the factory bootstrap credential was touched"
}
# trail_after ID: dev-0001's rotation actions after audit entry ID, in order.
trail_after() {
  sql "SELECT action FROM audit_log WHERE subject = 'dev-0001' AND id >= $1 AND action IN ('rotation-requested', 'credential-issued', 'registered', 'credential-revoked') ORDER BY id" | tr '\n' ' '
}
TRAIL="rotation-requested credential-issued registered credential-revoked "

# api TOKEN METHOD PATH: prints the status, the body in $WORK/body.
api() {
  curl -sk -o "$WORK/body" -w '%{http_code}' --max-time 40 -X "$2" \
      -H "Authorization: Bearer $1" "$URL$3"
}
expect() { # STATUS TOKEN METHOD PATH
  local want=$1; shift
  local got; got=$(api "$@") || fail "curl $2 $3 failed"
  [[ $got == "$want" ]] || fail "$2 $3: status $got, want $want"
}
has() { grep -q -- "$1" "$WORK/body" || fail "response lacks $1"; }
# ctl WANT-STATUS TOKEN-FILE ARGS...: bulwarkctl, stdout in $WORK/out.
ctl() {
  local want=$1 tf=$2; shift 2
  local rc=0
  "$CTL" --url "https://127.0.0.1:$API" --cacert "$WORK/state/api-cert.pem" \
      --token-file "$tf" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [[ $rc == "$want" ]] || fail "bulwarkctl $*: exit $rc, want $want"
}

# ---- on demand ----------------------------------------------------------
start_server 0 0
start_device
wait_registered 1
id0=$(active_dm dev-0001)
[[ $id0 == dm-* ]] || fail "no active DM credential after bootstrap (got '$id0')"
echo "ok: dev-0001 bootstrapped and registered with $id0"

mark=$(sql "SELECT coalesce(max(id), 0) + 1 FROM audit_log")
expect 202 "$OPS" POST /devices/dev-0001/rotate
has '"endpoint":"dev-0001"'
has '"state":"rotation-requested"'
has '"path":"/1/[0-9]*/9"'
wait_registered 2
wait_rotated "$id0"
id1=$(active_dm dev-0001)
check_rotated "$id0" "$id1"
trail=$(trail_after "$mark")
[[ $trail == "$TRAIL" ]] || fail "audit trail '$trail', want '$TRAIL'"
[[ $(sql "SELECT actor FROM audit_log WHERE id >= $mark AND action = 'rotation-requested'") == api:ops ]] ||
  fail "rotation-requested not audited with actor api:ops"
sql "SELECT detail FROM audit_log WHERE id >= $mark AND action = 'credential-issued'" | grep -q "identity $id1" ||
  fail "credential-issued does not name $id1"
echo "ok: POST rotate -> 202; the device re-bootstrapped, registered with $id1, $id0 revoked, trail in order"

mark=$(sql "SELECT coalesce(max(id), 0) + 1 FROM audit_log")
ctl 0 "$WORK/ops.token" rotate dev-0001
grep -q "dev-0001: rotation-requested" "$WORK/out" || fail "bulwarkctl rotate printed '$(cat "$WORK/out")'"
wait_registered 3
wait_rotated "$id1"
id2=$(active_dm dev-0001)
check_rotated "$id1" "$id2"
[[ $id2 != "$id0" ]] || fail "an identity was reused"
[[ $(dm_creds dev-0001 | grep -c '|revoked') == 2 ]] || fail "want 2 revoked DM credentials: $(dm_creds dev-0001)"
trail=$(trail_after "$mark")
[[ $trail == "$TRAIL" ]] || fail "audit trail '$trail', want '$TRAIL'"
echo "ok: bulwarkctl rotate -> rotation-requested; $id2 active, $id1 revoked"

ctl 1 "$WORK/ops.token" rotate dev-0002
grep -q "409 not registered" "$WORK/err" || fail "bulwarkctl rotate of an unregistered device: no 409 with reason"
grep -q "must be online" "$WORK/err" || fail "409 without the reason"
expect 409 "$OPS" POST /devices/dev-0002/rotate
expect 404 "$OPS" POST /devices/dev-9999/rotate
ctl 1 "$WORK/viewer.token" rotate dev-0001
grep -q "403 forbidden" "$WORK/err" || fail "a viewer's rotate was not refused with 403"
expect 403 "$VIEWER" POST /devices/dev-0001/rotate
has '"role_needed":"operator"'
expect 405 "$ADMIN" GET /devices/dev-0001/rotate
[[ $(active_dm dev-0001) == "$id2" ]] || fail "a refused call changed the credential"
[[ $(dm_creds dev-0002 | wc -l) == 0 ]] || fail "dev-0002 got a DM credential"
echo "ok: unregistered 409 (exit 1), unknown 404, viewer 403 (exit 1), GET 405"

# ---- by policy ----------------------------------------------------------
stop_device
stop_server
# The active DM credential, issued two days ago.
sql "UPDATE credentials SET created_at = created_at - 2 * 86400000 WHERE CAST(identity AS TEXT) = '$id2'"
n_api=$(sql "SELECT count(*) FROM audit_log WHERE action = 'rotation-requested' AND actor LIKE 'api:%'")
mark=$(sql "SELECT coalesce(max(id), 0) + 1 FROM audit_log")
regs=$(registrations)
start_server "$DM" "$BS" --rotate-days 1
grep -q "rotation policy: DM credentials older than 1 day" "$WORK/server.log" || fail "policy not announced"
start_device
wait_registered $((regs + 2))
wait_rotated "$id2"
id3=$(active_dm dev-0001)
check_rotated "$id2" "$id3"
trail=$(trail_after "$mark")
want="registered $TRAIL"
[[ $trail == "$want" ]] || fail "policy audit trail '$trail', want '$want'"
[[ $(sql "SELECT actor FROM audit_log WHERE id >= $mark AND action = 'rotation-requested'") == policy ]] ||
  fail "the policy's rotation is not audited with actor policy"
[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'rotation-requested' AND actor LIKE 'api:%'") == "$n_api" ]] ||
  fail "an API rotation happened in the policy run"
# The new credential is fresh: no second rotation (the next ticks check
# the re-registration), and the unregistered device is left alone.
sleep 2.5
[[ $(sql "SELECT count(*) FROM audit_log WHERE id >= $mark AND action = 'rotation-requested'") == 1 ]] ||
  fail "the policy rotated more than once"
[[ $(active_dm dev-0001) == "$id3" ]] || fail "the fresh credential was rotated again"
[[ $(sql "SELECT count(*) FROM audit_log WHERE subject = 'dev-0002' AND action LIKE 'rotation-%'") == 0 ]] ||
  fail "the policy tried to rotate the unregistered dev-0002"
echo "ok: --rotate-days 1 rotated the 2-day-old $id2 to $id3 without an API call, once"

stop_device
stop_server
if grep -q "rotation-failed" <(sql "SELECT action FROM audit_log"); then
  fail "a rotation failed: $(sql "SELECT detail FROM audit_log WHERE action = 'rotation-failed'")"
fi
for f in "$WORK/server.log" "$WORK/device.log"; do
  for k in fk1 fk2; do
    hex=$(od -An -tx1 "$WORK/$k" | tr -d ' \n')
    grep -qi "$hex" "$f" && fail "a key appears in $(basename "$f")"
  done
  for t in "$ADMIN" "$OPS" "$VIEWER"; do grep -q "$t" "$f" && fail "a token appears in $(basename "$f")"; done
done
echo "ok: no failed rotation; no key or token in any log"
