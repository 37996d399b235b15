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
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl
need_tool sqlite3
sql() { sqlite3 -batch -noheader "$W/bulwark.db" "$1"; }
# The device's DM credentials: identity|state, one a line, oldest first.
dm_creds() {
  sql "SELECT CAST(c.identity AS TEXT) || '|' || c.state FROM credentials c JOIN devices d ON d.id = c.device_id WHERE d.endpoint = '$1' AND c.purpose = 'dm' ORDER BY c.id"
}
active_dm() {
  sql "SELECT CAST(c.identity AS TEXT) FROM credentials c JOIN devices d ON d.id = c.device_id WHERE d.endpoint = '$1' AND c.purpose = 'dm' AND c.state = 'active'"
}

server_init
head -c 32 /dev/urandom >"$W/fk1"
head -c 32 /dev/urandom >"$W/fk2"
"$SERVER" provision "${S[@]}" --endpoint dev-0001 --psk-identity fac-5e21a9c4 \
    --psk-key-file "$W/fk1" >/dev/null || fail "provision dev-0001"
"$SERVER" provision "${S[@]}" --endpoint dev-0002 --psk-identity fac-b0c7d315 \
    --psk-key-file "$W/fk2" >/dev/null || fail "provision dev-0002"
ADMIN=$TOKEN
OPS=$("$SERVER" token create "${S[@]}" --name ops --role operator) || fail "token create ops"
VIEWER=$("$SERVER" token create "${S[@]}" --name viewer --role viewer) || fail "token create viewer"
printf '%s\n' "$OPS" >"$W/ops.token"
printf '%s\n' "$VIEWER" >"$W/viewer.token"
chmod 600 "$W/ops.token" "$W/viewer.token"

# start_device: dev-0001 in the background, until stopped (60 s at most).
start_device() { device_start d1 dev-0001 fac-5e21a9c4 "$W/fk1" --max-runtime 60; }
stop_device() {
  kill "$DEVICE_PID" 2>/dev/null || true; wait "$DEVICE_PID" 2>/dev/null || true; DEVICE_PID=
}
registrations() { grep -c "dev-0001: registered" "$W/server.log" || true; }
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

# Here the token comes first: api TOKEN METHOD PATH, expect STATUS TOKEN
# METHOD PATH.
api() { api_as "$@"; }
expect() { expect_as "$@"; }
# ctl WANT-STATUS TOKEN-FILE ARGS...: bulwarkctl, stdout in $W/out.
ctl() {
  local want=$1 tf=$2; shift 2
  local rc=0
  CTL_RAN=1
  bulwarkctl --url "https://127.0.0.1:$API" --cacert "$CERT" \
      --token-file "$tf" "$@" >"$W/out" 2>"$W/err" || rc=$?
  [[ $rc == "$want" ]] || fail "bulwarkctl $*: exit $rc, want $want"
}

# ---- on demand ----------------------------------------------------------
server_start
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
ctl 0 "$W/ops.token" rotate dev-0001
grep -q "dev-0001: rotation-requested" "$W/out" || fail "bulwarkctl rotate printed '$(cat "$W/out")'"
wait_registered 3
wait_rotated "$id1"
id2=$(active_dm dev-0001)
check_rotated "$id1" "$id2"
[[ $id2 != "$id0" ]] || fail "an identity was reused"
[[ $(dm_creds dev-0001 | grep -c '|revoked') == 2 ]] || fail "want 2 revoked DM credentials: $(dm_creds dev-0001)"
trail=$(trail_after "$mark")
[[ $trail == "$TRAIL" ]] || fail "audit trail '$trail', want '$TRAIL'"
echo "ok: bulwarkctl rotate -> rotation-requested; $id2 active, $id1 revoked"

ctl 1 "$W/ops.token" rotate dev-0002
grep -q "409 not registered" "$W/err" || fail "bulwarkctl rotate of an unregistered device: no 409 with reason"
grep -q "must be online" "$W/err" || fail "409 without the reason"
expect 409 "$OPS" POST /devices/dev-0002/rotate
expect 404 "$OPS" POST /devices/dev-9999/rotate
ctl 1 "$W/viewer.token" rotate dev-0001
grep -q "403 forbidden" "$W/err" || fail "a viewer's rotate was not refused with 403"
expect 403 "$VIEWER" POST /devices/dev-0001/rotate
has '"role_needed":"operator"'
expect 405 "$ADMIN" GET /devices/dev-0001/rotate
[[ $(active_dm dev-0001) == "$id2" ]] || fail "a refused call changed the credential"
[[ $(dm_creds dev-0002 | wc -l) == 0 ]] || fail "dev-0002 got a DM credential"
echo "ok: unregistered 409 (exit 1), unknown 404, viewer 403 (exit 1), GET 405"

# ---- by policy ----------------------------------------------------------
stop_device
server_stop
# The active DM credential, issued two days ago.
sql "UPDATE credentials SET created_at = created_at - 2 * 86400000 WHERE CAST(identity AS TEXT) = '$id2'"
n_api=$(sql "SELECT count(*) FROM audit_log WHERE action = 'rotation-requested' AND actor LIKE 'api:%'")
mark=$(sql "SELECT coalesce(max(id), 0) + 1 FROM audit_log")
regs=$(registrations)
server_start --rotate-days 1
grep -q "rotation policy: DM credentials older than 1 day" "$W/server.log" || fail "policy not announced"
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
server_stop
if grep -q "rotation-failed" <(sql "SELECT action FROM audit_log"); then
  fail "a rotation failed: $(sql "SELECT detail FROM audit_log WHERE action = 'rotation-failed'")"
fi
for f in "$W/server.log" "$W/device.log"; do
  for k in fk1 fk2; do
    hex=$(od -An -tx1 "$W/$k" | tr -d ' \n')
    grep -qi "$hex" "$f" && fail "a key appears in $(basename "$f")"
  done
  for t in "$ADMIN" "$OPS" "$VIEWER"; do grep -q "$t" "$f" && fail "a token appears in $(basename "$f")"; done
done
echo "ok: no failed rotation; no key or token in any log"
