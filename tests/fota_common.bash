# SPDX-License-Identifier: Apache-2.0
#
# Shared by the firmware-over-the-air fault and campaign scripts (sourced,
# not run) that use the real programs end to end: bulwark-server with its
# firmware repository and REST API on loopback (tests/server_common.bash,
# sourced first: the work directory W, fail, the server, provision, api),
# devices provisioned with factory credentials whose flash holds v1 (the
# real bulwark-device, signed by bulwark-image), each run under its own
# bulwark-boot, images uploaded with bulwarkctl and rolled out by
# campaigns.
#
# What it adds to server_common.bash:
#   fota_images          keys, v1 (bulwark-device, 1.0.0, counter 1) and
#                        v2 (bulwark-device-v2, 2.0.0, counter 2) signed
#                        for model bulwark-sim; GEOMETRY that fits them
#                        (every server start takes the fleet key)
#   factory EP           a flash file with v1 in the primary slot
#   boot_dev EP [opts]   bulwark-boot + bulwark-device in the background
#   kill_dev EP          kill -9 of both processes (a power cut)
#   dev_exit, bstatus, count, wait_for, dl_offset
#   start_one EP         provision + factory + boot_dev, until registered
#   upload, campaign_create, campaign, cfield, cdev, campaign_wait,
#   cdev_wait            firmware and campaigns through the REST API
# The caller sets LIFETIME (default 30 here). Every process started here
# is stopped on exit, also on failure.  The payload is an ASan build of
# the device (about 6 MB): 64 KiB sectors keep the trailer small and the
# swap's operation count in the hundreds.
# shellcheck disable=SC2034 # RC, GEOMETRY, ... are read by the scripts
# shellcheck source=tests/server_common.bash
source "$(dirname "${BASH_SOURCE[0]}")/server_common.bash"
need bulwark-device bulwark-device-v2 bulwark-keystore bulwark-boot \
  bulwark-bootctl bulwark-image bulwarkctl
need_tool sqlite3 strip
# Flash files live in the work directory: no fdatasync (a killed process
# loses nothing the kernel already has).
export BW_FLASH_NOSYNC=1
MODEL=bulwark-sim
LIFETIME=30
SERVER_OPTS=(--image-key "$W/fleet.pem")

declare -A BOOT_PID=()
BOOT_ENV=()
# Each bulwark-boot and the device it runs: SIGKILL on exit (a power cut).
fota_cleanup() {
  local p c
  for p in "${BOOT_PID[@]}"; do
    for c in $(pgrep -P "$p" 2>/dev/null); do kill -9 "$c" 2>/dev/null || true; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
on_exit fota_cleanup

# ---- images ------------------------------------------------------------------

# sign APP OUT VERSION COUNTER [KEY [MODEL]]
sign() {
  bulwark-image sign --key "$W/${5:-fleet}.pem" --version "$3" \
    --security-counter "$4" --model "${6:-$MODEL}" --pad-header \
    "$1" "$2" >/dev/null || fail "signing $2"
}

fota_images() {
  bulwark-image keygen --type ecdsa-p256 -o "$W/fleet.pem" >/dev/null
  bulwark-image getpub --key "$W/fleet.pem" --lang der >"$W/fleet.der"
  strip -o "$W/app1" "$BW_BIN_DIR/bulwark-device"
  strip -o "$W/app2" "$BW_BIN_DIR/bulwark-device-v2"
  sign "$W/app1" "$W/v1.img" 1.0.0 1
  sign "$W/app2" "$W/v2.img" 2.0.0 2
  local big s
  big=$(stat -c %s "$W/app1")
  s=$(stat -c %s "$W/app2")
  (( s > big )) && big=$s
  # 64 KiB sectors: the image (payload, header, TLVs) and one spare unit
  # per slot, one trailer sector each.
  SECTOR=65536
  UNITS=$(( (big + 4096 + SECTOR - 1) / SECTOR + 1 ))
  GEOMETRY=${SECTOR}x$(( 2 * UNITS + 3 ))
}

# ---- devices -----------------------------------------------------------------

flashargs() {
  echo --flash "$W/$1.flash" --geometry "$GEOMETRY" --key "$W/fleet.der" \
    --counter "$W/$1.counter"
}

# factory EP: a new flash file for EP with v1 in its primary slot.
factory() {
  # shellcheck disable=SC2046
  bulwark-bootctl $(flashargs "$1") factory "$W/v1.img" >/dev/null ||
    fail "factory programming of $1"
}

# boot_dev EP [bulwark-device options...]: bulwark-boot running the device
# in the background, environment BOOT_ENV added; log $W/EP.log (both).
boot_dev() {
  local ep=$1; shift
  # shellcheck disable=SC2046
  env ${BOOT_ENV[@]+"${BOOT_ENV[@]}"} bulwark-boot $(flashargs "$ep") \
    --app-name bulwark-device -- --endpoint "$ep" \
    --bootstrap "coaps://127.0.0.1:$BS" --keystore "$W/$ep.keys" \
    --state "$W/$ep.state" --model "$MODEL" -v "$@" >>"$W/$ep.log" 2>&1 &
  BOOT_PID[$ep]=$!
}

# kill_dev EP: SIGKILL to bulwark-boot and to the device it runs, in one
# kill(1), as a power cut; RC is bulwark-boot's status (137).
kill_dev() {
  local p=${BOOT_PID[$1]} c
  c=$(pgrep -P "$p" 2>/dev/null | tr '\n' ' ')
  # shellcheck disable=SC2086
  kill -9 "$p" $c 2>/dev/null || true
  RC=0
  wait "$p" 2>/dev/null || RC=$?
  unset "BOOT_PID[$1]"
}

# dev_exit EP SECONDS: wait for bulwark-boot to end by itself; RC = its code.
dev_exit() {
  local p=${BOOT_PID[$1]}
  # (The shell's own "Killed" report of a cut is expected, not news.)
  { for _ in $(seq $(( $2 * 20 ))); do
      alive "$p" || break
      sleep 0.05
    done; } 2>/dev/null
  alive "$p" && fail "$1: bulwark-boot still running after $2 s"
  RC=0
  wait "$p" 2>/dev/null || RC=$?
  unset "BOOT_PID[$1]"
}

# bstatus EP KEY: one value of bulwark-bootctl status for EP's flash.
bstatus() {
  # shellcheck disable=SC2046
  bulwark-bootctl $(flashargs "$1") status 2>/dev/null | sed -n "s/^$2=//p"
}

# count PATTERN FILE: lines of FILE holding the fixed string PATTERN.
count() { grep -cF -- "$1" "$2" 2>/dev/null || true; }

# wait_for N PATTERN FILE [SECONDS]: until FILE holds N lines with PATTERN.
wait_for() {
  local n=$1 pat=$2 file=$3 t=${4:-30}
  for _ in $(seq $(( t * 20 ))); do
    (( $(count "$pat" "$file") >= n )) && return 0
    sleep 0.05
  done
  fail "waited ${t} s for $n x '$pat' in $(basename "$file")"
}

# start_one EP: EP provisioned, v1 in its flash, running under bulwark-boot
# and registered.
start_one() {
  provision "$1"
  factory "$1"
  boot_dev "$1"
  wait_for 1 "registered with" "$W/$1.log" 60
}

# dl_offset EP: bytes of the current download recorded as safe (0: none).
dl_offset() {
  sed -n 's/^offset=//p' "$W/$1.state/fw/download" 2>/dev/null | head -1 | grep . || echo 0
}

# ---- REST API ----------------------------------------------------------------

# upload IMAGE: bulwarkctl firmware upload; prints the firmware id.
upload() {
  local out id
  out=$("${CTL[@]}" --json firmware upload "$1") || fail "upload of $1: $out"
  id=$(printf '%s' "$out" | sed -n 's/.*"id": *"\([0-9a-f]\{16\}\)".*/\1/p' | head -1)
  [[ -n $id ]] || fail "no firmware id in: $out"
  echo "$id"
}

# campaign_create FIRMWARE [bulwarkctl campaign create options...]: prints
# the campaign id.
campaign_create() {
  local fw=$1 out id; shift
  out=$("${CTL[@]}" --json campaign create --name "test $fw" --firmware "$fw" "$@") ||
    fail "campaign create: $out"
  id=$(printf '%s' "$out" | tr -d '\n' | grep -o '"id": *[0-9]*' | head -1 | grep -o '[0-9]*$')
  [[ -n $id ]] || fail "no campaign id in: $out"
  echo "$id"
}

# campaign CID: GET /campaigns/CID into $W/body (fails on error).
campaign() {
  local st; st=$(api GET "/campaigns/$1")
  [[ $st == 200 ]] || fail "GET /campaigns/$1: $st"
}

# cfield NAME: a member of the campaign in $W/body (first occurrence).
cfield() {
  grep -oE "\"$1\":(\"[^\"]*\"|[^,}]*)" "$W/body" | head -1 | sed 's/^"[^"]*"://' | tr -d '"'
}

# cdev EP FIELD: one member of EP's entry in the campaign in $W/body.
cdev() {
  grep -o "{\"endpoint\":\"$1\"[^}]*}" "$W/body" | head -1 |
    grep -oE "\"$2\":(\"[^\"]*\"|[^,}]*)" | head -1 | sed 's/^"[^"]*"://' | tr -d '"'
}

# campaign_wait CID STATE SECONDS: until the campaign is in STATE; fails
# at once when it ends in another final state.
campaign_wait() {
  local st
  for _ in $(seq $(( $3 * 4 ))); do
    campaign "$1"
    st=$(cfield state)
    [[ $st == "$2" ]] && return 0
    [[ $st =~ ^(completed|halted|aborted)$ ]] && fail "campaign $1 ended $st, want $2"
    sleep 0.25
  done
  fail "campaign $1 not $2 after $3 s (state $(cfield state))"
}

# cdev_wait CID EP STATE SECONDS: until EP's entry is in STATE; fails at
# once when EP ends in another final state.
cdev_wait() {
  local st
  for _ in $(seq $(( $4 * 4 ))); do
    campaign "$1"
    st=$(cdev "$2" state)
    [[ $st == "$3" ]] && return 0
    [[ $st =~ ^(succeeded|failed|skipped|aborted)$ ]] &&
      fail "campaign $1: $2 ended $st (result $(cdev "$2" result)), want $3"
    sleep 0.25
  done
  fail "campaign $1: $2 not $3 after $4 s (state $(cdev "$2" state))"
}
