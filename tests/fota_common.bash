# SPDX-License-Identifier: Apache-2.0
#
# Shared by the firmware-over-the-air fault and campaign scripts (sourced,
# not run) that use the real programs end to end: bulwark-server with its
# firmware repository and REST API on loopback, devices provisioned with
# factory credentials whose flash holds v1 (the real bulwark-device,
# signed by bulwark-image), each run under its own bulwark-boot, images
# uploaded with bulwarkctl and rolled out by campaigns.
#
# What it provides:
#   fota_images          keys, v1 (bulwark-device, 1.0.0, counter 1) and
#                        v2 (bulwark-device-v2, 2.0.0, counter 2) signed
#                        for model bulwark-sim; GEOMETRY that fits them
#   server_start/_kill9/_stop   the server; a restart keeps its ports,
#                        database and state directory
#   provision EP         factory credentials on both sides
#   factory EP           a flash file with v1 in the primary slot
#   boot_dev EP [opts]   bulwark-boot + bulwark-device in the background
#   kill_dev EP          kill -9 of both processes (a power cut)
#   start_one EP         provision + factory + boot_dev, until registered
#   api, upload, campaign_create, cdev   REST API helpers
# Every process started here is stopped on exit, also on failure.  The
# payload is an ASan build of the device (about 6 MB): 64 KiB sectors
# keep the trailer small and the swap's operation count in the hundreds.
# shellcheck disable=SC2034 # RC, URL, ... are read by the scripts
set -euo pipefail

: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
for p in bulwark-server bulwark-device bulwark-device-v2 bulwark-keystore \
  bulwark-boot bulwark-bootctl bulwark-image bulwarkctl; do
  [[ -x $BW_BIN_DIR/$p ]] || { echo "FAIL: $BW_BIN_DIR/$p not built"; exit 1; }
done
for t in curl sqlite3 strip; do
  command -v $t >/dev/null || { echo "FAIL: $t missing (scripts/install-deps)"; exit 1; }
done
export PATH="$BW_BIN_DIR:$PATH"
# Flash files live in the work directory: no fdatasync (a killed process
# loses nothing the kernel already has).
export BW_FLASH_NOSYNC=1
MODEL=bulwark-sim

W=$(mktemp -d "${TMPDIR:-/tmp}/bw-fota-$(basename "$0" .sh).XXXXXX")
SERVER_PID=
declare -A BOOT_PID=()
BOOT_ENV=()
# alive PID: PID runs (a zombie does not count).
# (Its stderr is dropped: the shell's "Killed" report of a cut child may
# surface here, and is expected.)
alive() {
  local st
  st=$(ps -o stat= -p "$1") || return 1
  [[ $st != Z* ]]
} 2>/dev/null

cleanup() {
  local p c
  for p in "${BOOT_PID[@]}"; do
    for c in $(pgrep -P "$p" 2>/dev/null); do kill -9 "$c" 2>/dev/null || true; done
    kill -9 "$p" 2>/dev/null || true
  done
  for p in ${EXTRA_PIDS-}; do kill "$p" 2>/dev/null || true; done
  if [[ -n $SERVER_PID ]]; then
    # It may be held with SIGSTOP by a test.
    kill -CONT "$SERVER_PID" 2>/dev/null || true
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do alive "$SERVER_PID" || break; sleep 0.05; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  if [[ -n ${BW_KEEP:-} ]]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
} 2>/dev/null
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  [[ -f $W/body ]] && { echo "--- last API answer"; head -c 3000 "$W/body"; echo; }
  local f
  for f in "$W"/*.log; do
    [[ -f $f ]] && { echo "--- $(basename "$f")"; tail -25 "$f"; }
  done
  exit 1
}

# Elapsed seconds since the script started, for the run time report.
T0=$(date +%s%N)
elapsed() { echo $(( ($(date +%s%N) - T0) / 1000000000 )); }

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

# ---- server ------------------------------------------------------------------

S=(--db "$W/bulwark.db" --master-key "$W/master.key")
DM=0 BS=0 API=0

# server_start [run options...]: init on first use; keeps the ports of an
# earlier start, so a restart is the same server to the devices.
server_start() {
  [[ -f $W/bulwark.db ]] || bulwark-server init "${S[@]}" >/dev/null || fail "server init"
  mkdir -p "$W/srv"
  rm -f "$W/ready"
  bulwark-server run "${S[@]}" --bind 127.0.0.1 --dm-port "$DM" --bs-port "$BS" \
    --api-port "$API" --state-dir "$W/srv" --image-key "$W/fleet.pem" \
    --lifetime "${LIFETIME:-30}" --ready-file "$W/ready" "$@" >>"$W/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    [[ -s $W/ready ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited at start-up"
    sleep 0.05
  done
  [[ -s $W/ready ]] || fail "the server did not start"
  read -r DM BS API <"$W/ready"
  URL=https://127.0.0.1:$API/api/v1
  CTL=(bulwarkctl --url "https://127.0.0.1:$API" --token-file "$W/api.token"
       --cacert "$W/srv/api-cert.pem")
}

server_kill9() {
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

server_stop() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# ---- devices -----------------------------------------------------------------

flashargs() {
  echo --flash "$W/$1.flash" --geometry "$GEOMETRY" --key "$W/fleet.der" \
    --counter "$W/$1.counter"
}

# provision EP: the server knows EP's factory PSK (model bulwark-sim) and
# EP's key store holds it.
provision() {
  local ep=$1 id
  id="fac-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  head -c 32 /dev/urandom >"$W/k"
  printf %s "$id" >"$W/id"
  bulwark-server provision "${S[@]}" --endpoint "$ep" --psk-identity "$id" \
    --psk-key-file "$W/k" --model "$MODEL" >/dev/null || fail "provision $ep"
  mkdir -m 700 "$W/$ep.keys" "$W/$ep.state"
  bulwark-keystore put "$W/$ep.keys" bs/psk-identity "$W/id" >/dev/null
  bulwark-keystore put "$W/$ep.keys" bs/psk "$W/k" >/dev/null
  rm -f "$W/k" "$W/id"
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

# api METHOD PATH [JSON]: prints the HTTP status; the body is in $W/body.
api() {
  local args=(-H "Authorization: Bearer $(tr -d '\n' <"$W/api.token")")
  [[ -n ${3-} ]] && args+=(-H "Content-Type: application/json" --data-binary "$3")
  curl -s --cacert "$W/srv/api-cert.pem" -o "$W/body" -w '%{http_code}' \
    --max-time 40 -X "$1" "${args[@]}" "$URL$2" || echo 000
}

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
