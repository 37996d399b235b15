#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Power cuts of a device in every phase of a firmware update.  The real
# bulwark-server runs two campaigns for one device, the real
# bulwark-device under bulwark-boot: v1 -> v2, then v2 -> v3.  The device
# (bulwark-boot and the device it runs, both with SIGKILL in one kill(1))
# is cut at points drawn from a seeded generator (the seed is printed;
# BW_SEED=N replays it), and started again under bulwark-boot after each:
#   download       when the download record reaches a random byte;
#   downloaded     after the package was verified (State Downloaded),
#                  before Execute (the server is held with SIGSTOP from
#                  the last block until the cut, so its poll cannot
#                  execute first);
#   swap           BW_FLASH_CRASH_AT_OP=N, N random in the swap's range
#                  (measured on a copy of the flash first): bulwark-boot
#                  kills itself instead of flash operation N;
#   test boot      the new image runs on test and has not confirmed yet
#                  (the server is held, so it cannot register), cut at a
#                  random moment.
#   execute        the device itself (BW_DEVICE_CRASH_AT_OP=1) at its
#                  first flash write after a restart in state Downloaded:
#                  marking the update pending when the Execute comes;
# Campaign 1 takes cuts in download (2), downloaded, execute and swap;
# campaign 2 in download (2), downloaded, swap and test boot: 10 cuts.
# Must hold: bulwark-boot never ends in safe mode (exit 90) and never
# logs SAFE MODE; each cut ends bulwark-boot with 137; after the execute
# cut the device is back on v1 with nothing pending and the server sends
# the Execute again; campaign 1
# completes with the device succeeded (result 1), v2 confirmed; after the
# cut on the test boot bulwark-boot reverts the unconfirmed v3 (docs/
# boot.md, rule 7: a TEST primary not swapped in this run is reverted),
# the device reports Update Result 8 and campaign 2 halts with the device
# failed (result 8); at the end the primary is v2, verified, confirmed,
# and the stored security counter is 2 (never 3).
# The server polls a downloading device's State every 2 s (docs/
# campaigns.md): after a cut in state Downloaded, the Execute must come
# within 20 s of the restart, not after a lost poll times out.
#
# shellcheck source=tests/fota_common.bash disable=SC2034
source "$(dirname "$0")/../fota_common.bash"

SEED=${BW_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
echo "seed $SEED (BW_SEED=$SEED replays these kill points)"
# rnd VAR LO HI: VAR = a number in LO..HI from the seeded generator.
rnd() { printf -v "$1" '%d' $(( $2 + (RANDOM * 32768 + RANDOM) % ($3 - $2 + 1) )); }

EP=dk-0001
LIFETIME=30
fota_images
sign "$W/app1" "$W/v3.img" 3.0.0 3
SIZE=$(stat -c %s "$W/v2.img")
cuts=0

# no_brick: bulwark-boot's status RC is a cut (137), never safe mode.
no_brick() {
  (( RC != 90 )) || fail "$1: bulwark-boot went to safe mode (exit 90)"
  grep -q "SAFE MODE" "$W/$EP.log" && fail "$1: SAFE MODE logged"
  (( RC == 137 )) || fail "$1: bulwark-boot ended with $RC, want 137 (killed)"
  cuts=$(( cuts + 1 ))
}

# since: the device log from the mark on.  mark: set the mark at its end.
mark() { touch "$W/$EP.log"; MARK=$(( $(wc -l <"$W/$EP.log") + 1 )); }
since() { tail -n +"$MARK" "$W/$EP.log"; }
wait_since() { # PATTERN SECONDS [MESSAGE]
  for _ in $(seq $(( $2 * 50 ))); do
    grep -qF -- "$1" <(since) && return 0
    sleep 0.02
  done
  fail "${3:-waited $2 s for '$1' in $EP.log}"
}
# has / hasnt PATTERN MESSAGE: the log since the mark holds PATTERN (or
# does not), else fail with MESSAGE.
has() { grep -qF -- "$1" <(since) || fail "$2"; }
hasnt() { if grep -qF -- "$1" <(since); then fail "$2"; fi; }

# The swap's range: the flash operations of the boot that installs an
# update of this size, measured on a scratch device (v1 with v2 pending).
# shellcheck disable=SC2046
bulwark-bootctl $(flashargs ref) factory "$W/v1.img" >/dev/null
# shellcheck disable=SC2046
bulwark-bootctl $(flashargs ref) install "$W/v2.img" >/dev/null
# shellcheck disable=SC2046
bulwark-boot $(flashargs ref) --app-name ref -- --help >"$W/ref.out" 2>&1 ||
  fail "the reference swap did not boot"
SWAP_OPS=$(sed -nE 's/.*boot sequence done: ([0-9]+) flash.*/\1/p' "$W/ref.out" | head -1)
(( SWAP_OPS > 100 )) || fail "the reference swap took ${SWAP_OPS:-no} operations"
rm -f "$W/ref.flash" "$W/ref.counter"
echo "ok: a swap of this image takes $SWAP_OPS flash operations [$(elapsed) s]"

# cut_download LO HI: cut once the download record is at a random byte in
# LO..HI, start again.
cut_download() {
  local at target
  rnd target "$1" "$2"
  for _ in $(seq 1500); do
    (( $(dl_offset "$EP") >= target )) && break
    sleep 0.02
  done
  at=$(dl_offset "$EP")
  (( at >= target )) || fail "the download never reached byte $target (at $at)"
  kill_dev "$EP"
  no_brick "download cut at byte $at"
  grep -q "^done=1" "$W/$EP.state/fw/download" &&
    fail "download cut at byte $at: it had already ended (too slow to cut)"
  echo "ok: cut $cuts during the download at byte $at (target $target) [$(elapsed) s]"
  mark
  boot_dev "$EP"
  for _ in $(seq 1500); do
    grep -qE "firmware download: resuming at byte|firmware download failed" <(since) && break
    sleep 0.02
  done
  hasnt "firmware download failed" "the download did not resume after the restart (it failed)"
  has "firmware download: resuming at byte" "no resume logged within 30 s of the restart"
}

# arm_swap_cut: the next start of bulwark-boot cuts itself at a random
# flash operation of the swap to come (CRASH_OP).
arm_swap_cut() {
  local op
  rnd op 1 "$SWAP_OPS"
  CRASH_OP=$op
  BOOT_ENV=(BW_FLASH_CRASH_AT_OP="$op")
}

# restart_idle: start again (BOOT_ENV for this start only); the boot has
# nothing to install, so it writes nothing before the device runs.
restart_idle() {
  mark
  boot_dev "$EP"
  BOOT_ENV=()
  wait_since "booting primary" 30
  has "boot sequence done: 0 flash" "the boot before the swap wrote to flash: BW_FLASH_CRASH_AT_OP would be off"
}

# cut_downloaded [execute]: cut between "downloaded and verified" and
# Execute, then start again armed for the swap to come; with execute,
# armed instead to cut the device at its first flash write, which is
# marking the update pending when the Execute comes (cut_execute).
cut_downloaded() {
  local ms
  wait_since "firmware download complete" 60
  kill -STOP "$SERVER_PID"
  wait_since "downloaded and verified" 30
  rnd ms 0 500
  sleep "$(printf '0.%03d' "$ms")"
  kill_dev "$EP"
  no_brick "cut after the download"
  hasnt "marked for a test boot" "cut after the download: Execute came first"
  echo "ok: cut $cuts in state Downloaded, ${ms} ms after the check [$(elapsed) s]"
  if [[ -n ${1-} ]]; then
    BOOT_ENV=(BW_DEVICE_CRASH_AT_OP=1)
  else
    arm_swap_cut
  fi
  restart_idle
  kill -CONT "$SERVER_PID"
}

# cut_execute: the Execute comes and the device is cut at the first flash
# write of marking the update pending (bulwark-boot ends with the device's
# SIGKILL: 137).  Nothing is pending; the device comes back on the old
# image with the package held and Update Result 0, and the campaign must
# execute again (docs/campaigns.md: "execute not carried out").
cut_execute() {
  local old=$1
  dev_exit "$EP" 30
  no_brick "cut while marking the update pending"
  has "posix-flash: simulated power cut at operation 1" "execute cut: the device was not cut at its first flash write"
  has "application killed by signal 9" "execute cut: bulwark-boot did not see the device killed"
  hasnt "marked for a test boot" "execute cut: the update was marked pending before the cut"
  echo "ok: cut $cuts on the Execute, at the device's first flash write [$(elapsed) s]"
  arm_swap_cut
  restart_idle
  wait_since "firmware $old is downloaded and verified" 30
}

# cut_swap [hold]: the Execute reboots into the swap, which cuts itself at
# CRASH_OP; start again.  With hold, the server is stopped from the
# Execute on (for the test-boot cut).
cut_swap() {
  wait_since "marked for a test boot" 20 \
    "no Execute within 20 s of the restart in state Downloaded (the campaign did not poll /5/0/3 again)"
  [[ -n ${1-} ]] && kill -STOP "$SERVER_PID"
  dev_exit "$EP" 60
  no_brick "swap cut"
  has "simulated power cut at operation $CRASH_OP" "swap cut: no power cut at operation $CRASH_OP logged"
  hasnt "installed the pending update" "swap cut: the swap finished before the cut"
  echo "ok: cut $cuts during the swap at flash operation $CRASH_OP of $SWAP_OPS [$(elapsed) s]"
  mark
  boot_dev "$EP"
}

# cut_test_boot VERSION: on the test boot of VERSION, before it confirms.
cut_test_boot() {
  local ms
  wait_since "test boot of $1: health check" 60
  rnd ms 0 1500
  sleep "$(printf '%d.%03d' $(( ms / 1000 )) $(( ms % 1000 )))"
  kill_dev "$EP"
  no_brick "test boot cut"
  hasnt "health check passed" "test boot cut: $1 confirmed first"
  has "installed the pending update for a test boot" "test boot cut: the restarted swap did not finish"
  echo "ok: cut $cuts on the test boot of $1, ${ms} ms after it started [$(elapsed) s]"
  mark
  boot_dev "$EP"
  kill -CONT "$SERVER_PID"
}

# ---- campaign 1: v1 -> v2 ------------------------------------------------
server_start
provision "$EP"
factory "$EP"
mark
boot_dev "$EP"
wait_since "registered with" 60
FW2=$(upload "$W/v2.img")
C1=$(campaign_create "$FW2")
echo "ok: $EP registered on v1; campaign $C1 rolls out v2 ($SIZE bytes) [$(elapsed) s]"
cut_download 65536 $(( SIZE / 2 ))
cut_download $(( SIZE / 2 + 65536 )) $(( SIZE - 1048576 ))
cut_downloaded execute
cut_execute 2.0.0+0
cut_swap
grep -q "execute not carried out (running 1.0.0+0): retry 1 of 3" "$W/server.log" ||
  fail "the server did not log the Execute it sent again"
campaign_wait "$C1" completed 120
[[ $(cdev "$EP" state) == succeeded && $(cdev "$EP" result) == 1 ]] ||
  fail "campaign $C1: $EP $(cdev "$EP" state) result $(cdev "$EP" result), want succeeded 1"
has "health check passed: 2.0.0+0 confirmed" "v2 not confirmed"
[[ $(bstatus "$EP" primary_version) == 2.0.0+0 ]] || fail "primary is not v2"
[[ $(bstatus "$EP" primary_verified) == yes ]] || fail "v2 does not verify"
[[ $(bstatus "$EP" confirmed) == yes ]] || fail "v2 is not confirmed"
echo "ok: campaign $C1 completed: $EP succeeded (result 1), runs v2 confirmed [$(elapsed) s]"

# ---- campaign 2: v2 -> v3, cut on the test boot ---------------------------
FW3=$(upload "$W/v3.img")
C2=$(campaign_create "$FW3")
echo "ok: campaign $C2 rolls out v3 [$(elapsed) s]"
cut_download 65536 $(( SIZE / 2 ))
cut_download $(( SIZE / 2 + 65536 )) $(( SIZE - 1048576 ))
cut_downloaded
cut_swap hold
cut_test_boot 3.0.0+0
campaign_wait "$C2" halted 120
[[ $(cdev "$EP" state) == failed && $(cdev "$EP" result) == 8 ]] ||
  fail "campaign $C2: $EP $(cdev "$EP" state) result $(cdev "$EP" result), want failed 8"
has "reverted the unconfirmed update" "bulwark-boot did not revert v3"
has "update to 3.0.0+0 failed: running 2.0.0+0 again (reverted)" "the device did not report the revert"
echo "ok: campaign $C2 halted: $EP failed with result 8 ($(cdev "$EP" detail)) [$(elapsed) s]"

(( cuts == 10 )) || fail "only $cuts cuts"
[[ $(bstatus "$EP" primary_version) == 2.0.0+0 ]] || fail "primary is not v2 after the revert"
[[ $(bstatus "$EP" primary_verified) == yes ]] || fail "v2 does not verify after the revert"
[[ $(bstatus "$EP" confirmed) == yes ]] || fail "v2 is not confirmed after the revert"
[[ $(bstatus "$EP" stored_security_counter) == 2 ]] ||
  fail "stored counter $(bstatus "$EP" stored_security_counter), want 2"
echo "PASS: $cuts power cuts (seed $SEED), never safe mode; v2 confirmed, v3 reverted [$(elapsed) s]"
