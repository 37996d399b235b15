#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# An update campaign end to end: bulwark-server with its API on loopback,
# 20 provisioned devices in one `bulwark-device --fleet 20` process that
# bootstrap and register, a firmware row, and a campaign driven through
# the REST API.
# Tried: creating campaigns with a bad field, an unknown firmware, a
# selector nothing matches and one naming another model than the
# image's; a campaign with batches [10,100] and a 1 % failure threshold;
# pause of the halted campaign; abort; one device's history; the audit
# log.
# Must hold: 400 naming the field, 404, 422; every device's /3/0/3 is
# stored when it registers; the devices of batch 1 are started (Write
# /5/0/1) and fail (a device agent that cannot install refuses or fails
# the download), so the campaign halts after batch 1 with 2 failed and 18
# pending and no device of batch 2 ever started; pause then gets 409,
# abort 200 with the 18 pending devices aborted; the history of a failed
# device shows pending, downloading, failed; creation and abort are
# audited with actor "api:admin".
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwark-keystore
need_tool sqlite3

N=20
MODEL=bulwark-sim
server_init
mkdir -p "$W/keys" "$W/state"
for i in $(seq 1 $N); do
  ep=$(printf 'camp-%04d' "$i")
  provision "$ep" "$W/keys/$ep"
done
server_start

# field NAME: a top-level or counts member of the last campaign answer.
field() { sed -n "s/.*\"$1\":\\([^,}]*\\).*/\\1/p" "$W/body" | head -1 | tr -d '"'; }

"$DEVICE" --fleet $N --endpoint camp --bootstrap "coaps://127.0.0.1:$BS" \
    --keystore "$W/keys" --state "$W/state" --max-runtime 150 \
    >"$W/device.log" 2>&1 &
DEVICE_PID=$!
for _ in $(seq 300); do
  api GET '/devices?limit=100' >/dev/null || true
  (( $(grep -o '"registered":true' "$W/body" | wc -l) == N )) && break
  sleep 0.1
done
(( $(grep -o '"registered":true' "$W/body" | wc -l) == N )) || fail "not all $N devices registered"
echo "ok: $N devices bootstrapped and registered"

# /3/0/3 is read from every device that registers and stored.
for _ in $(seq 100); do
  seen=$(sqlite3 "$W/bulwark.db" "SELECT COUNT(*) FROM devices WHERE fw_version IS NOT NULL")
  (( seen == N )) && break
  sleep 0.1
done
(( seen == N )) || fail "firmware versions stored for $seen of $N devices"
echo "ok: every device's firmware version (/3/0/3) is stored"

# A firmware row for model bulwark-sim, version 2.0.0.  Written into the
# store directly: this test is about campaigns, not uploads.
FW=5a17c0ffee000001
sqlite3 "$W/bulwark.db" ".timeout 5000" "INSERT INTO firmware (id, model,
  version, security_counter, size, sha256, key_hash, image, uploaded_at,
  uploaded_by) VALUES ('$FW', 'bulwark-sim', '2.0.0', 1, 4, randomblob(32),
  randomblob(32), x'00010203', 0, 'test')" || fail "firmware row"

expect 400 POST /campaigns "{\"name\":\"x\",\"firmware\":\"$FW\",\"batches\":[50,40,100]}"
has '"field":"batches"'
expect 400 POST /campaigns "{\"name\":\"x\",\"firmware\":\"$FW\",\"window\":{\"start\":\"25:00\",\"end\":\"01:00\"}}"
has '"field":"window.start"'
expect 400 POST /campaigns "{\"name\":\"x\",\"firmware\":\"$FW\",\"colour\":1}"
has '"field":"colour"'
expect 400 POST /campaigns '{"name":"x","firmware":"NOT-AN-ID"}'
has '"field":"firmware"'
expect 404 POST /campaigns '{"name":"x","firmware":"00000000000000ff"}'
expect 422 POST /campaigns "{\"name\":\"x\",\"firmware\":\"$FW\",\"selector\":{\"tags\":[\"nowhere\"]}}"
has 'no matching device'
expect 422 POST /campaigns "{\"name\":\"x\",\"firmware\":\"$FW\",\"selector\":{\"model\":\"other\"}}"
has 'wrong model'
expect 404 GET /campaigns/1
echo "ok: 400 naming the field, 404 unknown firmware, 422 no matching device and wrong model"

expect 201 POST /campaigns "{\"name\":\"rollout\",\"firmware\":\"$FW\",\"batches\":[10,100],\"failure_threshold\":1}"
has '"state":"running"'
has '"total":20'
CID=$(field id)
[[ $CID =~ ^[0-9]+$ ]] || fail "no campaign id"
for _ in $(seq 600); do
  api GET "/campaigns/$CID" >/dev/null || true
  grep -q '"state":"halted"' "$W/body" && break
  sleep 0.1
done
has '"state":"halted"'
has '"current_batch":1'
has '"failed":2'
has '"pending":18'
has '"downloading":0'
has '"halt_reason":"batch 1: 2 of 2'
(( $(grep -o '"batch":1,' "$W/body" | wc -l) == 2 )) || fail "batch 1 does not hold 2 devices"
(( $(grep -o '"batch":2,"state":"pending"' "$W/body" | wc -l) == 18 )) ||
  fail "a device of batch 2 was started"
echo "ok: batch 1 (2 devices) failed; halted after batch 1 with 2 failed, 18 pending"

# The failed devices' history: pending, downloading, failed.
EP=$(grep -o '"endpoint":"camp-[0-9]*","batch":1,"state":"failed"' "$W/body" |
  head -1 | sed 's/"endpoint":"\([^"]*\)".*/\1/')
[[ -n $EP ]] || fail "no failed device of batch 1 listed"
expect 200 GET "/campaigns/$CID/devices/$EP"
has '"state":"failed"'
DETAIL=$(field detail)
grep -q '"history":\[{[^]]*"state":"pending"[^]]*"state":"downloading"[^]]*"state":"failed"' \
  "$W/body" || fail "history is not pending, downloading, failed"
expect 404 GET "/campaigns/$CID/devices/nosuch"
echo "ok: $EP's history: pending, downloading, failed ($DETAIL)"

sleep 2 # a few more ticks: still nobody of batch 2 starts
expect 200 GET "/campaigns/$CID"
has '"pending":18'
expect 409 POST "/campaigns/$CID/pause"
expect 409 POST "/campaigns/$CID/resume"
expect 200 POST "/campaigns/$CID/abort"
has '"state":"aborted"'
has '"aborted":18'
has '"failed":2'
expect 409 POST "/campaigns/$CID/abort"
expect 405 GET "/campaigns/$CID/abort"
expect 200 GET /campaigns
has '"items":\[{"id":'
echo "ok: pause and resume of a halted campaign get 409; abort aborts the 18 pending"

expect 200 GET '/audit?limit=1000'
has '"actor":"api:admin","action":"campaign-created"'
has '"actor":"api:admin","action":"campaign-aborted"'
grep -qF "$TOKEN" "$W/server.log" && fail "the token appears in the server log"
echo "ok: campaign creation and abort audited with actor api:admin"
