#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwark-boot, the whole update cycle with real executables, on two flash
# layouts (uniform 4 KiB sectors with 8-byte writes and the default slot
# layout; mixed 4 KiB / 8 KiB sectors with 32-byte writes and an explicit
# layout).  One bulwark-boot process, the application "reboots" by exiting
# with the reboot code:
#   1. v1 (factory) runs, confirmed; its counter 1 is stored; it installs
#      v2 as a test update and reboots;
#   2. v2 runs unconfirmed and reboots without confirming;
#   3. the update is reverted: v1 runs again; it installs v2 again;
#   4. v2 runs unconfirmed, confirms itself, reboots;
#   5. v2 runs confirmed, the stored counter advanced to 2; reboots;
#   6. v2 still runs; exits 7, which bulwark-boot passes on.
# Which program ran is read from the tag inside the executed bytes.  Also:
# the counter never moves while v2 is only on test, and an installation
# while v2 is unconfirmed is refused.
source "$(dirname "$0")/boot_common.bash"

run_cycle() {
  mkimage "$W/v1.img" v1 trusted 1.0.0 1
  mkimage "$W/v2.img" v2 trusted 2.0.0 2
  factory "$W/v1.img"
  plan "install $W/v2.img reboot" \
       "install $W/v2.img reboot" \
       "install $W/v2.img reboot" \
       "confirm reboot" \
       "reboot" \
       "exit 7"
  boot cycle
  expect_rc 7
  expect_runs "v1 v2 v1 v2 v2 v2"
  # Run 2 tried to install while on test: refused by bulwark-bootctl.
  grep -c "bootctl install rc=0" "$BW_TESTAPP_DIR/log" | grep -qx 2 ||
    fail "expected exactly two accepted installs"
  grep -q "bootctl install rc=1" "$BW_TESTAPP_DIR/log" ||
    fail "install during a test boot was not refused"
  # The confirmed flag each run saw: factory, test, reverted, test, confirmed.
  local flags
  flags=$(grep -o 'confirmed=[01]' "$BW_TESTAPP_DIR/log" | cut -d= -f2 | paste -sd' ')
  [[ $flags == "1 0 1 0 1 1" ]] || fail "confirmed flags: got '$flags'"
  expect_log cycle "installed the pending update for a test boot"
  expect_log cycle "reverted the unconfirmed update"
  expect_log cycle "booting primary: version 2\.0\.0\+0, security counter 2, not confirmed"
  expect_log cycle "stored security counter advanced: 0 -> 1"
  expect_log cycle "stored security counter advanced: 1 -> 2"
  # Every unconfirmed boot of v2 left the stored counter at 1.
  local after
  after=$(grep -A1 "not confirmed" "$W/boot-cycle.log" |
          grep -o "stored security counter.*" | paste -sd'|')
  [[ $after == "stored security counter: 1|stored security counter: 1" ]] ||
    fail "counter around the test boots: '$after'"
  [[ $(stored_counter) == 2 ]] || fail "stored counter $(stored_counter), want 2"
  # And it stays v2 on the next power-up.
  plan "exit 0"
  boot again
  expect_rc 0
  expect_runs "v2"
  expect_log again "slots: primary none"
}

run_cycle

# Mixed sector sizes: primary 9 x 4 KiB (4 units of 8 KiB + trailer),
# secondary 6 x 8 KiB (5 units + trailer), 32-byte writes.
GEOMETRY=4096x9,8192x6
LAYOUT=(--primary 0:36864 --secondary 36864:49152 --unit 8192)
ALIGN=32
run_cycle

echo "PASS: update, test boot, revert, confirm, counter on two layouts"
