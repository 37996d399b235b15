#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Firmware download resume.  bulwark-device under bulwark-boot downloads
# a signed image from the scripted server, which answers each block a
# little late so the download can be interrupted.
# Tried and what must hold:
#   1. kill -9 of the device mid-download, then a new start: the first
#      block asked for after the restart is not block 0 (the test server's
#      log says which blocks it served), the download ends verified (State
#      2, /5/0/7 = 2.0.0+0);
#   2. kill -9 mid-download, and the server restarted (same ports) with
#      another image: the stored ETag does not match, the device starts
#      over from block 0 and ends with the other image verified
#      (/5/0/7 = 3.0.0+0).
source "$(dirname "$0")/device_fota_common.bash"

sign "$W/v1.img" 1.0.0 1
sign "$W/v2.img" 2.0.0 2
sign "$W/v3.img" 3.0.0 3

# kill_app: SIGKILL the device running under bulwark-boot, then wait for
# bulwark-boot to end (it reports the signal).
kill_app() {
  local child
  child=$(pgrep -P "$DEV_PID" | head -1)
  [[ -n $child ]] || fail "no device process under bulwark-boot"
  kill -9 "$child"
  wait_exit "$DEV_PID" 10
}

# blocks LOG [FROM]: the block numbers served, from line FROM on.
blocks() {
  tail -n +"${2:-1}" "$1" | awk '/^fw: block /{print $3}'
}

# ---- 1. kill -9 and restart: resumed -------------------------------------
F=$W/flash1.img
factory "$F" "$W/v1.img"
start_server k1 --firmware "$W/v2.img" --fw-delay-ms 1 --ops-once \
  --op "write /5/0/1 coap://127.0.0.1:@DM@/fw/v2" \
  --then-op "wait-state 2" --then-op "read /5/0/7"
S=$W/k1.log
DEV=(--endpoint res1 --bootstrap "coap://127.0.0.1:$BS" --state "$W/st1" -v)
boot_device res1 "$F" "${DEV[@]}"
wait_for 60 "fw: block " "$S" 60
kill_app
mapfile -t before < <(blocks "$S")
last=${before[-1]}
mark=$(( $(wc -l <"$S") + 1 ))
boot_device res1 "$F" "${DEV[@]}"
wait_for 1 "res1: state 2 reached" "$S" 120
mapfile -t after < <(blocks "$S" "$mark")
first=${after[0]}
(( first > 0 )) || fail "the restarted download began at block $first"
(( first <= last + 1 )) || fail "resumed at block $first, past the last served ($last)"
expect "$S" "res1:   /5/0/7 = \"2.0.0+0\""
grep -q "resuming the firmware download" "$W/res1.log" || fail "no resume logged"
kill -TERM "$DEV_PID"; wait_exit "$DEV_PID" 10
echo "ok: killed after block $last, resumed at block $first, verified"

# ---- 2. another image after the restart: starts over -----------------------
F=$W/flash2.img
factory "$F" "$W/v1.img"
start_server k2 --firmware "$W/v2.img" --fw-delay-ms 1 --ops-once \
  --op "write /5/0/1 coap://127.0.0.1:@DM@/fw/v2"
S=$W/k2.log
DEV=(--endpoint res2 --bootstrap "coap://127.0.0.1:$BS" --state "$W/st2" -v)
boot_device res2 "$F" "${DEV[@]}"
wait_for 60 "fw: block " "$S" 60
kill_app
kill -TERM "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true
start_server k2b --firmware "$W/v3.img" --bs-port "$BS" --dm-port "$DM" \
  --ops-once --op "wait-state 2" --op "read /5/0/7"
S=$W/k2b.log
boot_device res2 "$F" "${DEV[@]}"
wait_for 1 "res2: state 2 reached" "$S" 120
mapfile -t served < <(blocks "$S")
(( ${#served[@]} >= 2 )) || fail "the new server served ${#served[@]} blocks"
(( served[0] > 0 )) || fail "the resume did not ask for its stored offset first"
(( served[1] == 0 )) || fail "after the ETag changed: block ${served[1]}, want 0"
expect "$S" "res2:   /5/0/7 = \"3.0.0+0\""
grep -q "the package changed (another ETag): starting over" "$W/res2.log" ||
  fail "res2.log: no start-over logged"
kill -TERM "$DEV_PID"; wait_exit "$DEV_PID" 10
echo "PASS: download resumed after kill -9; another ETag started over"
