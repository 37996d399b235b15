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
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl
need_tool openssl python3

server_start

# Reaching the server: pinned certificate, names, TLS failures.
ctl 0 "${G[@]}" health
[[ $(cat "$W/out") == ok ]] || fail "health printed '$(cat "$W/out")', want ok"
ctl 0 --url "https://localhost:$API" --cacert "$CERT" health
ctl 0 --url "https://127.0.0.1:$API" --insecure health
err_has "warning: --insecure"
ctl 5 --url "https://127.0.0.1:$API" health
err_has "certificate"
err_has "--cacert"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=127.0.0.1 -keyout "$W/other-key.pem" -out "$W/other.pem" 2>/dev/null
ctl 5 --url "https://127.0.0.1:$API" --cacert "$W/other.pem" health
ctl 5 --url "https://localhost:$API" --cacert "$W/other.pem" health
ctl 5 --url "https://127.0.0.1:1" --cacert "$CERT" health
err_has "127.0.0.1:1"
echo "ok: health over the pinned certificate (by address and by name); 5 without trust, with another certificate, on a closed port"

# Authentication.
printf '%064d\n' 0 >"$W/wrong.token"; chmod 600 "$W/wrong.token"
ctl 6 --url "https://127.0.0.1:$API" --cacert "$CERT" --token-file "$W/wrong.token" devices
err_has "401 unauthorized"
ctl 6 --url "https://127.0.0.1:$API" --cacert "$CERT" devices
err_has "no API token"
echo short >"$W/short.token"; chmod 600 "$W/short.token"
ctl 6 --url "https://127.0.0.1:$API" --cacert "$CERT" --token-file "$W/short.token" devices
ctl 6 --url "https://127.0.0.1:$API" --cacert "$CERT" --token-file "$W/nosuch.token" devices
BULWARK_URL=https://127.0.0.1:$API BULWARK_CACERT=$CERT BULWARK_TOKEN=$TOKEN ctl 0 devices
BULWARK_URL=https://127.0.0.1:$API BULWARK_CACERT=$CERT BULWARK_TOKEN_FILE=$W/api.token ctl 0 devices
echo "ok: 6 for a wrong, missing, malformed or unreadable token; the token from the environment works"

# Provisioning and the device table.
head -c 32 /dev/urandom >"$W/fk1"
K3=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ctl 0 "${G[@]}" provision dev-0001 --model bulwark-sim --psk-identity fac-7c1e93a0 --psk-file "$W/fk1"
out_has "provisioned dev-0001, model bulwark-sim"
ctl 0 "${G[@]}" provision dev-0002 --psk-identity fac-22b4d7f1 --psk-hex "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ctl 0 "${G[@]}" provision dev-0003 --model m2 --psk-identity fac-0c3d5e7f --psk-hex "$K3"
ctl 1 "${G[@]}" provision dev-0004 --psk-identity fac-0b0b0b0b --psk-hex 0011223344556677
err_has "422 weak credential: "
ctl 1 "${G[@]}" provision dev-0005 --psk-identity fac-1a2b3c4d --psk-hex "$K3"
err_has "422 reused credential"
ctl 0 "${G[@]}" devices
head -1 "$W/out" | grep -q '^ENDPOINT  *MODEL  *TAGS  *REGISTERED  *LAST SEEN' || fail "no table heading"
[[ $(wc -l <"$W/out") == 4 ]] || fail "devices: want a heading and 3 rows"
grep -q '^dev-0001  *bulwark-sim  *-  *no  *-$' "$W/out" || fail "dev-0001 row wrong"
grep -q '^dev-0003  *m2  ' "$W/out" || fail "dev-0003 row wrong"
grep -q 'dev-0004\|dev-0005' "$W/out" && fail "a refused device is listed"
# Columns line up: TAGS starts at the same offset on every line.
cols=$(awk '{ match($0, /^[^ ]+ +[^ ]+ +/); print RLENGTH }' "$W/out" | sort -u | wc -l)
[[ $cols == 1 ]] || fail "devices table not aligned"
ctl 0 "${G[@]}" devices --limit 1
[[ $(wc -l <"$W/out") == 2 ]] || fail "--limit 1: want one row"
err_has "devices --after dev-0001"
ctl 0 "${G[@]}" devices --after dev-0001 --limit 1
grep -q '^dev-0002 ' "$W/out" || fail "--after dev-0001 must give dev-0002"
ctl 0 "${G[@]}" devices --model m2
[[ $(wc -l <"$W/out") == 2 ]] && grep -q '^dev-0003 ' "$W/out" || fail "--model m2 must give dev-0003 only"
ctl 0 "${G[@]}" --json devices
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
eps = [x["endpoint"] for x in d["devices"]]
assert eps == ["dev-0001", "dev-0002", "dev-0003"], eps
assert d["devices"][0]["model"] == "bulwark-sim" and d["next"] is None
' "$W/out" || fail "devices --json does not parse or is wrong"
ctl 0 "${G[@]}" devices --model bulwark-sim --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["endpoint"] for x in d["devices"]] == ["dev-0001"], d
' "$W/out" || fail "devices --model --json is wrong"
echo "ok: provisioned 3 devices (422 with the reason for weak and reused PSKs); table, pages, filters, --json"

ctl 0 "${G[@]}" device dev-0001
out_has "^endpoint: *dev-0001$"
out_has "^registered: *no$"
ctl 1 "${G[@]}" device dev-9999
err_has "^bulwarkctl: 404 "
ctl 1 "${G[@]}" read dev-0001 /3/0
err_has "404 not registered"

device_start d1 dev-0001 fac-7c1e93a0 "$W/fk1" --max-runtime 30
wait_registered dev-0001 || true
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
' "$W/out" || fail "read --json does not parse or is wrong"
ctl 1 "${G[@]}" write dev-0001 /3303/0/5701 K
err_has "the device answered 4.05 Method Not Allowed"
ctl 0 "${G[@]}" exec dev-0001 /3/0/4
out_has "^2.04 Changed$"
rc=0; wait "$DEVICE_PID" || rc=$?
DEVICE_PID=
[[ $rc == 75 ]] || fail "device exited $rc after Reboot, want 75"
echo "ok: read shows the resources, --json read parses, a read-only write exits 1 with 4.05, exec reboots"

ctl 0 "${G[@]}" audit --limit 1000
head -1 "$W/out" | grep -q '^ID  *TIME  *ACTOR  *ACTION  *SUBJECT  *DETAIL$' || fail "audit heading"
for act in provisioned read write execute; do
  grep -q " api:admin  *$act  " "$W/out" || fail "no audit row for api:admin $act"
done
# One entry a page: the hint's --after is that entry's id, and the page
# it names starts with the entry after it.
ctl 0 "${G[@]}" audit --limit 1
first=$(awk 'NR == 2 { print $1 }' "$W/out")
err_has "^(more: bulwarkctl audit --after $first)$"
ctl 0 "${G[@]}" audit --limit 1 --after "$first"
[[ $(awk 'NR == 2 { print $1 }' "$W/out") -gt $first ]] || fail "audit --after $first: not the next entry"
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

server_stop
ctl 5 "${G[@]}" health
grep -q "$TOKEN" "$W/all" && fail "the API token appears in bulwarkctl's output"
grep -q "$TOKEN" "$W/server.log" && fail "the API token appears in the server log"
grep -qi "$K3" "$W/all" "$W/server.log" && fail "a PSK appears in an output or the log"
echo "ok: 5 once the server is gone; token and PSKs in no output and no log"
