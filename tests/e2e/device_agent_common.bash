# SPDX-License-Identifier: Apache-2.0
#
# Shared by the bulwark-device end-to-end scripts (sourced, not run): a
# work directory, the scripted LwM2M test server (bw-lwm2m-testsrv, plain
# UDP on loopback, ephemeral ports) and helpers to run and watch devices.
# Every process started here is stopped on exit.
# Needs BW_BIN_DIR (set by ctest) pointing at the built programs.
set -euo pipefail

: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
DEVICE=$BW_BIN_DIR/bulwark-device
TESTSRV=$BW_BIN_DIR/bw-lwm2m-testsrv
for p in "$DEVICE" "$TESTSRV"; do
  [[ -x $p ]] || { echo "FAIL: $p not built"; exit 1; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/bw-e2e-dev.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${BW_KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for f in "$W"/*.log; do
    [[ -f $f ]] && { echo "--- $f"; tail -30 "$f"; }
  done
  exit 1
}

# start_server NAME [testsrv options...]: sets BS and DM (its ports) and
# SRV_PID; the log is $W/NAME.log.
start_server() {
  local name=$1; shift
  rm -f "$W/$name.ready"
  "$TESTSRV" --ready-file "$W/$name.ready" "$@" >"$W/$name.log" 2>&1 &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  for _ in $(seq 100); do
    [[ -s $W/$name.ready ]] && break
    kill -0 "$SRV_PID" 2>/dev/null || fail "test server $name exited at start-up"
    sleep 0.05
  done
  [[ -s $W/$name.ready ]] || fail "test server $name did not report its ports"
  read -r BS DM <"$W/$name.ready"
}

# start_device NAME [bulwark-device options...]: in the background, log
# $W/NAME.log; sets DEV_PID.
start_device() {
  local name=$1; shift
  "$DEVICE" "$@" >>"$W/$name.log" 2>&1 &
  DEV_PID=$!
  PIDS+=("$DEV_PID")
}

# count PATTERN FILE: lines of FILE matching the fixed string PATTERN.
count() { grep -cF -- "$1" "$2" 2>/dev/null || true; }

# wait_for N PATTERN FILE [SECONDS]: until FILE holds N lines with PATTERN.
wait_for() {
  local n=$1 pat=$2 file=$3 t=${4:-20}
  for _ in $(seq $((t * 20))); do
    (( $(count "$pat" "$file") >= n )) && return 0
    sleep 0.05
  done
  fail "waited ${t}s for $n x '$pat' in $(basename "$file")"
}

# wait_exit PID SECONDS: sets RC to the exit code of PID (a child of this
# shell), or fails after SECONDS.
wait_exit() {
  local pid=$1 t=$2
  for _ in $(seq $((t * 20))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && fail "process $pid still running after ${t}s"
  RC=0
  wait "$pid" || RC=$?
}
