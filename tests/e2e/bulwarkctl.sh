#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwarkctl end to end: bulwark-server with its HTTPS API on loopback,
# bulwarkctl as the client (pinned to the server's generated certificate
# with --cacert), a real bulwark-device as the managed device.
# Tried: health by address and by a name that is not in the certificate
# (the pin must carry it), with --insecure, with no trust anchor, with a
# different pinned certificate, against a closed port; a wrong token, no
# token, the token from the environment; provisioning three devices (one
# with a weak PSK); the device table, pages, filters, --json (parsed with
# python3); one device before and after it registers; Read, a Write to a
# read-only resource, Execute Reboot; the audit log; usage errors.
# Must hold: the exit statuses of docs/bulwarkctl.md (0 ok, 1 API error,
# 2 usage, 5 unreachable/TLS, 6 authentication), the API's error and
# detail on stderr, tables with the right rows, JSON that parses and says
# the same, and the token in no output and no log.
set -euo pipefail
: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
SERVER=$BW_BIN_DIR/bulwark-server
DEVICE=$BW_BIN_DIR/bulwark-device
CTL=$BW_BIN_DIR/bulwarkctl
for p in "$SERVER" "$DEVICE" "$CTL"; do [[ -x $p ]] || { echo "FAIL: $p not built"; exit 1; }; done
for t in openssl python3; do
  command -v $t >/dev/null || { echo "FAIL: $t missing (scripts/install-deps)"; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bw-e2e-ctl.XXXXXX")
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
  [[ -f $WORK/out ]] && { echo "--- stdout"; cat "$WORK/out"; }
  [[ -f $WORK/err ]] && { echo "--- stderr"; cat "$WORK/err"; }
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
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 200); do [[ -s $WORK/ready ]] && break; sleep 0.05; done
[[ -s $WORK/ready ]] || fail "server did not start"
read -r DM BS API <"$WORK/ready"
[[ ${API:-0} -gt 0 ]] || fail "no API port in the ready file"
CERT=$WORK/state/api-cert.pem

# Every output of bulwarkctl is kept, to look for the token at the end.
: >"$WORK/all"
# ctl WANT-STATUS ARGS...: runs bulwarkctl (stdout in $WORK/out, stderr in
# $WORK/err) and checks its exit status.
ctl() {
  local want=$1; shift
  local rc=0
  "$CTL" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  cat "$WORK/out" "$WORK/err" >>"$WORK/all"
  [[ $rc == "$want" ]] || fail "bulwarkctl $*: exit $rc, want $want"
}
out_has() { grep -q -- "$1" "$WORK/out" || fail "stdout lacks '$1'"; }
err_has() { grep -q -- "$1" "$WORK/err" || fail "stderr lacks '$1'"; }
G=(--url "https://127.0.0.1:$API" --cacert "$CERT" --token-file "$WORK/api.token")

# Reaching the server: pinned certificate, names, TLS failures.
ctl 0 "${G[@]}" health
[[ $(cat "$WORK/out") == ok ]] || fail "health printed '$(cat "$WORK/out")', want ok"
ctl 0 --url "https://localhost:$API" --cacert "$CERT" health
ctl 0 --url "https://127.0.0.1:$API" --insecure health
err_has "warning: --insecure"
ctl 5 --url "https://127.0.0.1:$API" health
err_has "certificate"
err_has "--cacert"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=127.0.0.1 -keyout "$WORK/other-key.pem" -out "$WORK/other.pem" 2>/dev/null
ctl 5 --url "https://127.0.0.1:$API" --cacert "$WORK/other.pem" health
ctl 5 --url "https://localhost:$API" --cacert "$WORK/other.pem" health
ctl 5 --url "https://127.0.0.1:1" --cacert "$CERT" health
err_has "127.0.0.1:1"
echo "ok: health over the pinned certificate (by address and by name); 5 without trust, with another certificate, on a closed port"

# Authentication.
printf '%064d\n' 0 >"$WORK/wrong.token"; chmod 600 "$WORK/wrong.token"
ctl 6 --url "https://127.0.0.1:$API" --cacert "$CERT" --token-file "$WORK/wrong.token" devices
err_has "401 unauthorized"
ctl 6 --url "https://127.0.0.1:$API" --cacert "$CERT" devices
err_has "no API token"
echo short >"$WORK/short.token"; chmod 600 "$WORK/short.token"
ctl 6 --url "https://127.0.0.1:$API" --cacert "$CERT" --token-file "$WORK/short.token" devices
ctl 6 --url "https://127.0.0.1:$API" --cacert "$CERT" --token-file "$WORK/nosuch.token" devices
BULWARK_URL=https://127.0.0.1:$API BULWARK_CACERT=$CERT BULWARK_TOKEN=$TOKEN ctl 0 devices
BULWARK_URL=https://127.0.0.1:$API BULWARK_CACERT=$CERT BULWARK_TOKEN_FILE=$WORK/api.token ctl 0 devices
echo "ok: 6 for a wrong, missing, malformed or unreadable token; the token from the environment works"

# Provisioning and the device table.
head -c 32 /dev/urandom >"$WORK/fk1"
K3=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ctl 0 "${G[@]}" provision dev-0001 --model bulwark-sim --psk-identity fac-7c1e93a0 --psk-file "$WORK/fk1"
out_has "provisioned dev-0001, model bulwark-sim"
ctl 0 "${G[@]}" provision dev-0002 --psk-identity fac-22b4d7f1 --psk-hex "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ctl 0 "${G[@]}" provision dev-0003 --model m2 --psk-identity fac-0c3d5e7f --psk-hex "$K3"
ctl 1 "${G[@]}" provision dev-0004 --psk-identity fac-0b0b0b0b --psk-hex 0011223344556677
err_has "422 weak credential: "
ctl 1 "${G[@]}" provision dev-0005 --psk-identity fac-1a2b3c4d --psk-hex "$K3"
err_has "422 reused credential"
ctl 0 "${G[@]}" devices
head -1 "$WORK/out" | grep -q '^ENDPOINT  *MODEL  *TAGS  *REGISTERED' || fail "no table heading"
[[ $(wc -l <"$WORK/out") == 4 ]] || fail "devices: want a heading and 3 rows"
grep -q '^dev-0001  *bulwark-sim  *-  *no$' "$WORK/out" || fail "dev-0001 row wrong"
grep -q '^dev-0003  *m2  ' "$WORK/out" || fail "dev-0003 row wrong"
grep -q 'dev-0004\|dev-0005' "$WORK/out" && fail "a refused device is listed"
# Columns line up: TAGS starts at the same offset on every line.
cols=$(awk '{ match($0, /^[^ ]+ +[^ ]+ +/); print RLENGTH }' "$WORK/out" | sort -u | wc -l)
[[ $cols == 1 ]] || fail "devices table not aligned"
ctl 0 "${G[@]}" devices --limit 1
[[ $(wc -l <"$WORK/out") == 2 ]] || fail "--limit 1: want one row"
err_has "devices --after dev-0001"
ctl 0 "${G[@]}" devices --after dev-0001 --limit 1
grep -q '^dev-0002 ' "$WORK/out" || fail "--after dev-0001 must give dev-0002"
ctl 0 "${G[@]}" devices --model m2
[[ $(wc -l <"$WORK/out") == 2 ]] && grep -q '^dev-0003 ' "$WORK/out" || fail "--model m2 must give dev-0003 only"
ctl 0 "${G[@]}" --json devices
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
eps = [x["endpoint"] for x in d["devices"]]
assert eps == ["dev-0001", "dev-0002", "dev-0003"], eps
assert d["devices"][0]["model"] == "bulwark-sim" and d["next"] is None
' "$WORK/out" || fail "devices --json does not parse or is wrong"
ctl 0 "${G[@]}" devices --model bulwark-sim --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["endpoint"] for x in d["devices"]] == ["dev-0001"], d
' "$WORK/out" || fail "devices --model --json is wrong"
echo "ok: provisioned 3 devices (422 with the reason for weak and reused PSKs); table, pages, filters, --json"

ctl 0 "${G[@]}" device dev-0001
out_has "^endpoint: *dev-0001$"
out_has "^registered: *no$"
ctl 1 "${G[@]}" device dev-9999
err_has "^bulwarkctl: 404 "
ctl 1 "${G[@]}" read dev-0001 /3/0
err_has "404 not registered"

mkdir -p "$WORK/d1"
"$DEVICE" --endpoint dev-0001 --bootstrap "coaps://127.0.0.1:$BS" \
    --keystore "$WORK/d1/keys" --state "$WORK/d1/state" \
    --psk-identity fac-7c1e93a0 --psk-key-file "$WORK/fk1" \
    --max-runtime 30 >"$WORK/device.log" 2>&1 &
DEVICE_PID=$!
for _ in $(seq 150); do
  "$CTL" "${G[@]}" device dev-0001 2>/dev/null | grep -q '^registered: *yes' && break
  sleep 0.1
done
ctl 0 "${G[@]}" device dev-0001
out_has "^registered: *yes$"
out_has "^registration$"
out_has "^lifetime: *60$"
echo "ok: device detail before and after registration; 1 for an unknown device"

ctl 0 "${G[@]}" read dev-0001 /3/0
out_has "^NAME  *VALUE$"
out_has "^/3/0/0  *Bulwark$"
ctl 0 "${G[@]}" --json read dev-0001 /3/0/0
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["code"] == "2.05", d
assert any(r.get("vs") == "Bulwark" for r in d["payload"]), d
' "$WORK/out" || fail "read --json does not parse or is wrong"
ctl 1 "${G[@]}" write dev-0001 /3303/0/5701 K
err_has "the device answered 4.05 Method Not Allowed"
ctl 0 "${G[@]}" exec dev-0001 /3/0/4
out_has "^2.04 Changed$"
rc=0; wait "$DEVICE_PID" || rc=$?
DEVICE_PID=
[[ $rc == 75 ]] || fail "device exited $rc after Reboot, want 75"
echo "ok: read shows the resources, --json read parses, a read-only write exits 1 with 4.05, exec reboots"

ctl 0 "${G[@]}" audit --limit 1000
head -1 "$WORK/out" | grep -q '^ID  *TIME  *ACTOR  *ACTION  *SUBJECT  *DETAIL$' || fail "audit heading"
for act in provisioned read write execute; do
  grep -q " api:admin  *$act  " "$WORK/out" || fail "no audit row for api:admin $act"
done
echo "ok: audit"

# Usage errors: exit 2, nothing sent.
ctl 2
ctl 2 "${G[@]}" nosuch
err_has "unknown command"
ctl 2 "${G[@]}" devices --nosuch
ctl 2 "${G[@]}" devices --limit 0
ctl 2 "${G[@]}" devices --limit many
ctl 2 "${G[@]}" read dev-0001
ctl 2 "${G[@]}" read dev-0001 3/0
ctl 2 "${G[@]}" write dev-0001 /1/0/1
ctl 2 "${G[@]}" provision dev-0009 --psk-identity x
ctl 2 --url ftp://127.0.0.1 health
ctl 2 --timeout 0 health
ctl 2 "${G[@]}" campaign create --name c --firmware 0011223344556677 --batches 50,10,100
ctl 2 "${G[@]}" campaign create --name c --firmware 0011223344556677 --batches 10,50
ctl 2 "${G[@]}" campaign create --name c --firmware 0011223344556677 --window 9:00-17:00
ctl 2 "${G[@]}" campaign create --name c --firmware 0011223344556677 --failure-threshold 150
ctl 2 "${G[@]}" campaign create --firmware 0011223344556677
ctl 2 "${G[@]}" campaign watch 1 --interval 0
ctl 2 "${G[@]}" campaign frobnicate 1
ctl 2 "${G[@]}" firmware upload
ctl 0 --help
out_has "Exit status"
ctl 0 campaign --help
out_has "failure-threshold"
ctl 0 help devices
out_has "usage: bulwarkctl devices"
ctl 0 --version
out_has "^bulwarkctl [0-9]"
echo "ok: usage errors exit 2; help and version exit 0"

kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
ctl 5 "${G[@]}" health
grep -q "$TOKEN" "$WORK/all" && fail "the API token appears in bulwarkctl's output"
grep -q "$TOKEN" "$WORK/server.log" && fail "the API token appears in the server log"
grep -qi "$K3" "$WORK/all" "$WORK/server.log" && fail "a PSK appears in an output or the log"
echo "ok: 5 once the server is gone; token and PSKs in no output and no log"
