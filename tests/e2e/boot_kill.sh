#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwark-boot killed with SIGKILL in the middle of a swap or a revert,
# then started again: the interrupted work is finished and a verified
# image runs (the update, for a swap; the old image, for a revert), and
# the stored counter never moves for the unconfirmed update.
#   1. From outside: flash operations slowed with BW_FLASH_DELAY_US, the
#      test waits until bulwark-bootctl reports the swap (revert) under
#      way, kills bulwark-boot with kill -9 and starts it again.
#   2. A sweep: BW_FLASH_CRASH_AT_OP=N makes bulwark-boot kill itself
#      instead of flash operation N, for N over the whole swap and the
#      whole revert (every 3rd point also kills the recovery run at its
#      3rd operation); after each, a clean start must run the right image.
source "$(dirname "$0")/boot_common.bash"

mkimage "$W/v1.img" v1 trusted 1.0.0 1
mkimage "$W/v2.img" v2 trusted 2.0.0 2
factory "$W/v1.img"
plan "install $W/v2.img exit 0"
boot prepare
expect_rc 0
[[ $(stored_counter) == 1 ]] || fail "counter after the first boot"
cp "$FLASH" "$W/pending.img"
cp "$COUNTER" "$W/counter.saved"

# Reference runs: how many flash operations a swap and a revert take.
plan "exit 0"
boot refswap
expect_runs "v2"
swap_ops=$(sed -nE 's/.*boot sequence done: ([0-9]+) flash.*/\1/p' "$W/boot-refswap.log")
cp "$FLASH" "$W/testing.img"
plan "exit 0"
boot refrevert
expect_runs "v1"
revert_ops=$(sed -nE 's/.*boot sequence done: ([0-9]+) flash.*/\1/p' "$W/boot-refrevert.log")
(( swap_ops > 20 && revert_ops > 20 )) ||
  fail "swap $swap_ops / revert $revert_ops operations: too few to cut"

restore() { cp "$W/$1" "$FLASH"; cp "$W/counter.saved" "$COUNTER"; }

# kill_during SNAPSHOT STATE: start slowed, kill -9 once bulwark-bootctl
# reports STATE (a grep -E pattern on its status output).
kill_during() {
  restore "$1"
  plan "exit 0"
  # shellcheck disable=SC2046
  BW_FLASH_DELAY_US=20000 bulwark-boot $(flashargs) \
    >/dev/null 2>"$W/boot-slow.log" &
  local pid=$! seen=
  for _ in $(seq 200); do
    # shellcheck disable=SC2046
    if bulwark-bootctl $(flashargs) status 2>/dev/null | grep -Eq "$2"; then
      seen=1; break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ -n $seen ]] || fail "never saw '$2' before bulwark-boot ended"
  [[ ! -s $BW_TESTAPP_DIR/log ]] || fail "the application ran before the kill"
}

kill_during pending.img "^secondary=swapping"
boot afterkill
expect_rc 0
expect_runs "v2"
expect_log afterkill "installed the pending update for a test boot"
[[ $(stored_counter) == 1 ]] || fail "counter moved for the test image"

kill_during testing.img "^primary=reverting"
boot afterkill2
expect_rc 0
expect_runs "v1"
expect_log afterkill2 "reverted the unconfirmed update"

# sweep SNAPSHOT OPS TAG: cut at every point, the right image must run.
sweep() {
  local snap=$1 ops=$2 want=$3 n cuts=0
  for (( n = 1; n <= ops; n++ )); do
    restore "$snap"
    plan "exit 0"
    boot cut "BW_FLASH_CRASH_AT_OP=$n"
    [[ $RC == 137 ]] || fail "cut at $n: bulwark-boot exit $RC, want 137"
    [[ ! -s $BW_TESTAPP_DIR/log ]] || fail "cut at $n: the application ran"
    # Power comes back; every third time it fails again early on.  A
    # recovery run that gets through boots the application itself.
    RC=137
    if (( n % 3 == 0 )); then
      boot cut2 "BW_FLASH_CRASH_AT_OP=3"
      [[ $RC == 137 || $RC == 0 ]] || fail "second cut after $n: exit $RC"
    fi
    if [[ $RC == 137 ]]; then
      boot resume
      expect_rc 0
    fi
    local got; got=$(runs)
    [[ $got == "$want" ]] || fail "cut at $n: ran '$got', want $want"
    [[ $(stored_counter) == 1 ]] || fail "cut at $n: counter moved"
    cuts=$(( cuts + 1 ))
  done
  echo "cut $snap at $cuts of $ops flash operations: 0 bricks"
}

# A killed process loses nothing the kernel already has: fdatasync only
# matters when the OS dies too, so the sweep skips it to run faster.
export BW_FLASH_NOSYNC=1
sweep pending.img "$swap_ops" v2
sweep testing.img "$revert_ops" v1

echo "PASS: SIGKILL during swap and revert, then a verified image boots"
