#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwark-server killed with SIGKILL while it is acknowledging writes.
# Tried: the real bulwark-server (SQLite, DTLS bootstrap and DM, HTTPS
# API) on loopback; 50 devices provisioned through the API with factory
# PSKs, run as one `bulwark-device --fleet 50` process; while they
# bootstrap and register, two loops of API writes (POST /devices, POST
# /tokens, DELETE /tokens/{name}) record which requests were answered
# 2xx.  The server is killed once some devices have finished their
# bootstrap and some have not, and some API writes were acknowledged;
# then started again on the same database and ports.
# Must hold:
#   - every API write answered 2xx is in the database after the kill:
#     the device and its credential, with its "provisioned" audit entry;
#     the token; the token's revocation;
#   - every device that logged a finished bootstrap has a usable (not
#     revoked) DM credential in the database, and every device that
#     logged a registration has its registration row and an ACTIVE DM
#     credential (a registration is answered only after its commit);
#   - after the restart all 50 devices register with the server; a
#     device that had finished its bootstrap does so with the DM
#     credentials it holds, without bootstrapping again (none is
#     stranded with credentials the server never committed), and the
#     database holds the 50 registrations.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwark-keystore
need_tool sqlite3 od

N=50
FLEET_PID=
BURST_PIDS=() WATCH_PIDS=()
# Everything this test started is cut with SIGKILL on exit.
kill9_all() {
  local p
  for p in "${BURST_PIDS[@]}" "${WATCH_PIDS[@]}" $FLEET_PID $SERVER_PID; do
    kill -9 "$p" 2>/dev/null || true
  done
} 2>/dev/null
on_exit kill9_all

# sql QUERY: one answer from the database (the server may be running);
# SQL_DB=... for another copy.
sql() { sqlite3 -cmd ".timeout 5000" "${SQL_DB:-$W/bulwark.db}" "$1"; }

# ---- the server ------------------------------------------------------------

LIFETIME=10
server_init

# api METHOD PATH [BODY]: prints the HTTP status (000: no answer).
api() {
  local body=()
  [[ $# -ge 3 ]] && body=(-H "Content-Type: application/json" -d "$3")
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    --cacert "$W/srv/api-cert.pem" -H "Authorization: Bearer $(cat "$W/api.token")" \
    -X "$1" "${body[@]}" "$URL$2" || true
}

hex() { od -An -tx1 -N "$1" /dev/urandom | tr -d ' \n'; }

server_start
echo "ok: server up: DM $DM, bootstrap $BS, API $API [$(elapsed) s]"

# ---- 50 devices with factory credentials -----------------------------------

mkdir -m 700 "$W/keys" "$W/state"
: >"$W/curl.cfg"
for i in $(seq 1 $N); do
  ep=$(printf 'k9-%04d' "$i")
  id="fac-$(hex 6)"
  head -c 32 /dev/urandom >"$W/k"
  key=$(od -An -tx1 "$W/k" | tr -d ' \n')
  {
    echo "url = \"$URL/devices\""
    echo "cacert = \"$W/srv/api-cert.pem\""
    echo 'header = "Content-Type: application/json"'
    echo "header = \"Authorization: Bearer $(cat "$W/api.token")\""
    printf 'data = "{\\"endpoint\\":\\"%s\\",\\"psk_identity\\":\\"%s\\",\\"psk_hex\\":\\"%s\\"}"\n' \
      "$ep" "$id" "$key"
    echo 'output = "/dev/null"'
    printf '%s\n' 'write-out = "%{http_code}\n"'
    echo next
  } >>"$W/curl.cfg"
  mkdir -m 700 "$W/keys/$ep"
  printf %s "$id" >"$W/id"
  bulwark-keystore put "$W/keys/$ep" bs/psk-identity "$W/id" >/dev/null || fail "key store of $ep"
  bulwark-keystore put "$W/keys/$ep" bs/psk "$W/k" >/dev/null || fail "key store of $ep"
done
rm -f "$W/k" "$W/id"
sed -i '$d' "$W/curl.cfg"
curl -s -K "$W/curl.cfg" >"$W/prov.out" || fail "POST /devices failed"
rm -f "$W/curl.cfg"
(( $(grep -c '^201$' "$W/prov.out") == N )) || fail "provisioning: not $N answers 201"
echo "ok: $N devices provisioned through the API [$(elapsed) s]"

# ---- the burst of API writes -------------------------------------------------

# burst K: API writes until the server stops answering; one line per
# request: "KIND NAME STATUS".
burst() {
  local k=$1 i=0 st prev=
  while :; do
    i=$((i + 1))
    local ep="api-$k-$i" tk="tk-$k-$i"
    st=$(api POST /devices "{\"endpoint\":\"$ep\",\"psk_identity\":\"id-$(hex 8)\",\"psk_hex\":\"$(hex 32)\"}")
    echo "device $ep $st" >>"$W/burst-$k.txt"
    [[ $st == 000 ]] && return 0
    st=$(api POST /tokens "{\"name\":\"$tk\",\"role\":\"viewer\"}")
    echo "token $tk $st" >>"$W/burst-$k.txt"
    [[ $st == 000 ]] && return 0
    if [[ -n $prev ]]; then
      st=$(api DELETE "/tokens/$prev")
      echo "revoke $prev $st" >>"$W/burst-$k.txt"
      [[ $st == 000 ]] && return 0
    fi
    prev=$tk
  done
}

# ---- kill -9 while the fleet bootstraps ---------------------------------------

# devs PATTERN [FROM]: the devices of the fleet that logged PATTERN (from
# line FROM of the log on), one a line.
devs() {
  { tail -n +"${2:-1}" "$W/fleet.log" | grep -F -- "$1" || true; } |
    sed -n 's/^[^:]*: \(k9-[0-9]*\): .*/\1/p' | sort -u
}
count() { devs "$@" | wc -l; }
acked() { { cat "$W"/burst-*.txt 2>/dev/null || true; } | { grep -c ' 2[0-9][0-9]$' || true; }; }

# The API writes first, so some are acknowledged before the kill; then
# the fleet, killed in the middle of its bootstraps.
for k in 1 2; do
  burst "$k" &
  BURST_PIDS+=($!)
done
for _ in $(seq 300); do
  (( $(acked) >= 6 )) && break
  sleep 0.05
done
(( $(acked) >= 6 )) || fail "the API acknowledged $(acked) writes in 15 s"
# Bootstraps come in a burst, faster than a shell loop polls: a watcher
# reads the fleet's output as it is written (a pipe, not the log file)
# and kills the server after the first registration once 5 devices have
# bootstrapped, or at 25 bootstraps; it keeps copying the output to the
# log after that.
watch_fleet() {
  tee -a "$W/fleet.log" | awk -v pid="$SERVER_PID" '
    !done && /: bootstrap finished/ { b++ }
    !done && /: registered with/ { r++ }
    !done && ((b >= 5 && r >= 1) || b >= 25) { system("kill -9 " pid); done = 1 }
    { }' >/dev/null
}
# The devices start spread over 4 s, so the kill finds some of them
# mid-bootstrap however fast one bootstrap is.
bulwark-device --fleet $N --fleet-ramp 4 --endpoint k9 --keystore "$W/keys" --state "$W/state" \
  --bootstrap "coaps://127.0.0.1:$BS" -v > >(watch_fleet) 2>&1 &
FLEET_PID=$!
for _ in $(seq 600); do
  alive "$SERVER_PID" || break
  kill -0 "$FLEET_PID" 2>/dev/null || fail "the fleet process exited"
  sleep 0.05
done
alive "$SERVER_PID" && fail "only $(count "bootstrap finished") devices bootstrapped in 30 s"
{ kill -9 "$SERVER_PID"; wait "$SERVER_PID"; } 2>/dev/null || true
SERVER_PID=
for p in "${BURST_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
BURST_PIDS=()
# The database as the killed server left it is checked below; the server
# starts again at once, while devices still retry.
mkdir "$W/snap"
cp "$W"/bulwark.db* "$W/snap/"
sleep 0.2 # answers already on their way reach the devices
# What the devices hold now, before the restarted server can give them
# anything new.
cp -r "$W/state" "$W/snap/state"
BS_DONE=$(devs "bootstrap finished")
REG_DONE=$(devs "registered with")
nb=$(count "bootstrap finished")
nr=$(count "registered with")
mark=$(( $(wc -l <"$W/fleet.log") + 1 ))
echo "ok: server killed with SIGKILL: $nb of $N devices had finished their bootstrap, $nr registered, $(acked) API writes acknowledged [$(elapsed) s]"
(( nb < N )) || fail "no device was still bootstrapping at the kill"
server_start
echo "ok: server started again on the same database and ports [$(elapsed) s]"

# ---- what was acknowledged is in the database ---------------------------------

SQL_DB=$W/snap/bulwark.db

na=0
while read -r kind name st; do
  [[ $st == 2?? ]] || continue
  na=$((na + 1))
  case $kind in
    device)
      [[ $(sql "SELECT COUNT(*) FROM devices d JOIN credentials c ON c.device_id = d.id
                WHERE d.endpoint = '$name' AND c.purpose = 'bootstrap'") == 1 ]] ||
        fail "POST /devices $name answered $st, but the device or its credential is not stored"
      [[ $(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'provisioned' AND subject = '$name'") == 1 ]] ||
        fail "POST /devices $name answered $st, but its audit entry is not stored" ;;
    token)
      [[ $(sql "SELECT COUNT(*) FROM api_tokens WHERE name = '$name'") == 1 ]] ||
        fail "POST /tokens $name answered $st, but the token is not stored" ;;
    revoke)
      [[ $(sql "SELECT COUNT(*) FROM api_tokens WHERE name = '$name' AND revoked_at IS NOT NULL") == 1 ]] ||
        fail "DELETE /tokens/$name answered $st, but the revocation is not stored" ;;
  esac
done < <(cat "$W"/burst-*.txt)
(( na >= 6 )) || fail "only $na API writes were acknowledged"
echo "ok: all $na API writes answered 2xx are in the database"

# A device's saved server set names the DM identity it will use (the
# identity is not secret; the key beside it is not looked at).
held=0
for d in "$W/snap/state"/*; do
  ep=${d##*/}
  f=$d/lwm2m/servers
  [[ -f $f ]] || continue
  id=$(grep -aoE 'dm-[0-9a-f]{16}' "$f" | head -1)
  [[ -n $id ]] || fail "$ep: no DM identity in its saved server set"
  [[ $(sql "SELECT COUNT(*) FROM credentials c JOIN devices d ON d.id = c.device_id
            WHERE d.endpoint = '$ep' AND c.identity = CAST('$id' AS BLOB)
            AND c.purpose = 'dm' AND c.state <> 'revoked'") == 1 ]] ||
    fail "$ep holds DM identity $id, which the server did not commit as usable"
  held=$((held + 1))
done
(( held >= nb )) || fail "$nb devices logged a finished bootstrap, $held saved a server set"
for ep in $BS_DONE; do
  [[ -f $W/snap/state/$ep/lwm2m/servers ]] || fail "$ep finished its bootstrap but saved no server set"
done
for ep in $REG_DONE; do
  [[ $(sql "SELECT COUNT(*) FROM registrations WHERE endpoint = '$ep'") == 1 ]] ||
    fail "$ep was answered 2.01, but its registration is not stored"
  [[ $(sql "SELECT COUNT(*) FROM credentials c JOIN devices d ON d.id = c.device_id
            WHERE d.endpoint = '$ep' AND c.purpose = 'dm' AND c.state = 'active'") == 1 ]] ||
    fail "$ep registered, but its DM credential is not stored as active"
  [[ $(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'registered' AND subject = '$ep'") -ge 1 ]] ||
    fail "$ep registered, but its audit entry is not stored"
done
echo "ok: the $held devices holding DM credentials hold committed ones; $nr acknowledged registrations stored with an active credential"
SQL_DB=

# ---- after the restart: every device ends registered ----------------------------

# stranded FROM: devices that had finished their bootstrap before the kill
# but bootstrapped again from line FROM of the log on (their DM
# credentials did not work).
stranded() { comm -12 <(printf '%s\n' "$BS_DONE") <(devs "bootstrap finished" "$1") | tr '\n' ' '; }

# The devices keep running: those with DM credentials whose connection
# was idle register again on their own (for information: a Register or
# Update lost with the server waits out its CoAP retransmissions first).
for _ in $(seq 200); do
  (( $(count "registered with" "$mark") >= nb )) && break
  sleep 0.05
done
echo "ok: $(count "registered with" "$mark") devices registered again on their own within 10 s [$(elapsed) s]"

# A device cut off in the middle of its bootstrap waits for it to time
# out (2 minutes in the client core), one whose Register was lost for its
# retransmissions (up to 93 s): power the fleet off and on instead.
{ kill -9 "$FLEET_PID"; wait "$FLEET_PID"; } 2>/dev/null || true
mark2=$(( $(wc -l <"$W/fleet.log") + 1 ))
bulwark-device --fleet $N --endpoint k9 --keystore "$W/keys" --state "$W/state" \
  --bootstrap "coaps://127.0.0.1:$BS" -v >>"$W/fleet.log" 2>&1 &
FLEET_PID=$!
regd=0
for _ in $(seq 600); do
  regd=$(count "registered with" "$mark2")
  (( regd >= N )) && break
  kill -0 "$FLEET_PID" 2>/dev/null || fail "the fleet process exited"
  sleep 0.05
done
(( regd >= N )) || fail "only $regd of $N devices registered after the fleet's power cycle"
again=$(stranded "$mark")
[[ -z $again ]] ||
  fail "bootstrapped before the kill, but bootstrapped again (their DM credentials did not work): $again"
rows=$(sql "SELECT COUNT(*) FROM registrations WHERE endpoint LIKE 'k9-%'")
(( rows == N )) || fail "$rows registrations stored, want $N"
echo "ok: after a power cycle of the fleet all $N devices are registered and stored [$(elapsed) s]"
echo "PASS: kill -9 lost nothing acknowledged ($na API writes, $nb bootstraps, $nr registrations) [$(elapsed) s]"
