#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Firmware over the air, the device's side, end to end: bulwark-boot runs
# the real bulwark-device (signed 1.0.0 counter 1, then 2.0.0 counter 2,
# model bulwark-sim); the scripted LwM2M server writes a coap:// Package
# URI, waits for State 2, executes Update.
# Tried and what must hold:
#   1. update: v1 downloads v2 block-wise, Execute Update, bulwark-boot
#      swaps, v2 registers (health check), confirms: /3/0/3 = 2.0.0+0,
#      /5/0/5 = 1, /5/0/3 = 0; bulwark-bootctl shows v2 confirmed;
#   2. refusals on that device: a tampered payload, an unknown key (both
#      result 5), another model (6), a lower security counter (5,
#      "rollback refused"): each ends in state 0 with that result and the
#      primary slot unchanged;
#   3. a failing health check (--fail-health-check): v2 never registers,
#      reboots after --health-timeout, bulwark-boot reverts, v1 reports
#      /5/0/5 = 8 and /5/0/3 = 2;
#   4. without bulwark-boot (no BW_FLASH) a Package URI fails at once with
#      result 2 and a log line saying why.
source "$(dirname "$0")/device_fota_common.bash"

sign "$W/v1.img" 1.0.0 1
sign "$W/v2.img" 2.0.0 2

# ---- 1. update, health check passes -------------------------------------
F=$W/flash1.img
factory "$F" "$W/v1.img"
start_server s1 --firmware "$W/v2.img" --ops-once \
  --op "write /5/0/1 coap://127.0.0.1:@DM@/fw/v2" --op "wait-state 2" \
  --op "read /5/0/7" --op "exec /5/0/2" \
  --then-op "read /3/0/3" --then-op "read /5/0/5" --then-op "read /5/0/3"
S=$W/s1.log
boot_device dev1 "$F" --endpoint fota1 --bootstrap "coap://127.0.0.1:$BS" \
  --state "$W/st1" --health-timeout 20 -v
wait_for 1 "fota1:   /5/0/3 = 0" "$S" 90
expect "$S" "fota1:   /5/0/7 = \"2.0.0+0\""
expect "$S" "fota1: exec /5/0/2 -> 2.04"
expect "$S" "fota1:   /3/0/3 = \"2.0.0+0\""
expect "$S" "fota1:   /5/0/5 = 1"
grep -q "health check passed: 2.0.0+0 confirmed" "$W/dev1.log" ||
  fail "dev1.log: no health check"
grep -q "installed the pending update for a test boot" "$W/dev1.log" ||
  fail "bulwark-boot did not install the update"
(( $(count "fw: block " "$S") >= APP_SIZE / 1024 )) ||
  fail "fewer blocks served than the image has"
kill -TERM "$DEV_PID"; wait_exit "$DEV_PID" 10
[[ $(status "$F" primary_version) == 2.0.0+0 ]] || fail "primary is not v2"
[[ $(status "$F" confirmed) == yes ]] || fail "v2 is not confirmed"
echo "ok: v1 -> v2 downloaded, swapped, health check passed, confirmed"

# ---- 2. refusals -----------------------------------------------------------
cp "$W/v2.img" "$W/tampered.img"
printf '\x5a' | dd of="$W/tampered.img" bs=1 seek=$((APP_SIZE / 2)) conv=notrunc 2>/dev/null
sign "$W/unknown.img" 3.0.0 3 other
sign "$W/model.img" 3.0.0 3 fleet bulwark-other
sign "$W/rollback.img" 3.0.0 1
n=0
for c in tampered:5 unknown:5 model:6 rollback:5; do
  img=${c%%:*} want=${c##*:} n=$((n + 1))
  before=$(primary_sum "$F")
  start_server "r$n" --firmware "$W/$img.img" --ops-once \
    --op "write /5/0/1 coap://127.0.0.1:@DM@/fw/$img" --op "wait-state 0" \
    --op "read /5/0/5"
  S=$W/r$n.log
  boot_device "dev-r$n" "$F" --endpoint "fota-r$n" \
    --bootstrap "coap://127.0.0.1:$BS" --state "$W/st-r$n" -v
  wait_for 1 "fota-r$n:   /5/0/5 = " "$S" 60
  expect "$S" "fota-r$n:   /5/0/5 = $want"
  kill -TERM "$DEV_PID"; wait_exit "$DEV_PID" 10
  kill -TERM "$SRV_PID"
  [[ $(primary_sum "$F") == "$before" ]] || fail "$img: the primary slot changed"
  echo "ok: $img refused with result $want, primary untouched"
done
grep -q "rollback refused" "$W/dev-r4.log" || fail "no 'rollback refused' logged"

# ---- 3. health check fails: reverted --------------------------------------
F=$W/flash3.img
factory "$F" "$W/v1.img"
start_server s3 --firmware "$W/v2.img" --ops-once \
  --op "write /5/0/1 coap://127.0.0.1:@DM@/fw/v2" --op "wait-state 2" \
  --op "exec /5/0/2" \
  --then-op "read /3/0/3" --then-op "read /5/0/5" --then-op "read /5/0/3"
S=$W/s3.log
boot_device dev3 "$F" --endpoint fota3 --bootstrap "coap://127.0.0.1:$BS" \
  --state "$W/st3" --health-timeout 2 --fail-health-check -v
wait_for 1 "fota3:   /5/0/3 = " "$S" 90
expect "$S" "fota3:   /3/0/3 = \"1.0.0+0\""
expect "$S" "fota3:   /5/0/5 = 8"
expect "$S" "fota3:   /5/0/3 = 2"
grep -q "health check failed" "$W/dev3.log" || fail "dev3.log: no failed health check"
grep -q "reverted the unconfirmed update" "$W/dev3.log" || fail "no revert"
(( $(count "fota3: registered" "$S") == 2 )) || fail "v2 registered during its test boot"
kill -TERM "$DEV_PID"; wait_exit "$DEV_PID" 10
echo "ok: failed health check reverted to v1, result 8, state 2"

# ---- 4. no bulwark-boot ----------------------------------------------------
start_server s4 --firmware "$W/v2.img" --ops-once \
  --op "write /5/0/1 coap://127.0.0.1:@DM@/fw/v2" --op "wait-state 0" \
  --op "read /5/0/5"
S=$W/s4.log
start_device dev4 --endpoint fota4 --bootstrap "coap://127.0.0.1:$BS" \
  --state "$W/st4"
wait_for 1 "fota4:   /5/0/5 = " "$S" 30
expect "$S" "fota4:   /5/0/5 = 2"
grep -q "firmware update is not available: not running under bulwark-boot" \
  "$W/dev4.log" || fail "dev4.log: no reason logged"
echo "PASS: firmware update: success, refusals, revert, unavailable"
