# SPDX-License-Identifier: Apache-2.0
#
# Shared by the end-to-end and fault scripts that start bulwark-server
# (sourced, not run; tests/fota_common.bash builds on it): the work
# directory, the processes to stop on exit, the server on loopback with
# ports picked by the kernel, its REST API through curl and bulwarkctl,
# devices provisioned with factory credentials and run as the real
# bulwark-device.
#
# What it provides:
#   W                    the work directory (kept with BW_KEEP=1)
#   SERVER DEVICE        the built bulwark-server and bulwark-device; the
#                        build directory is also first in PATH
#   need PROG...         each PROG built in BW_BIN_DIR, else FAIL
#   need_tool TOOL...    each TOOL installed, else FAIL (curl always is)
#   fail MSG             prints FAIL: MSG, the last API answer, bulwarkctl's
#                        last output and the tail of every $W/*.log and
#                        $W/*.err; exits 1
#   alive PID, elapsed   a process runs (not a zombie); seconds so far
#   PIDS                 more processes to stop on exit (append to it)
#   on_exit FUNC         FUNC runs on exit before anything is stopped
#   S                    --db and --master-key of the server's store
#   server_init          init once (its output in $W/init.out); TOKEN is
#                        the admin token from $W/api.token
#   server_start [run options...]   init if needed, run, wait for the
#                        ready file: DM BS API, URL (the API's base), CERT
#                        (its certificate), G (bulwarkctl's --url,
#                        --cacert, --token-file), CTL (bulwarkctl with G).
#                        A restart keeps the ports, database and state
#                        directory ($W/srv); the log goes on in
#                        $W/server.log.
#   server_kill9, server_stop       SIGKILL / SIGTERM, reaped
#   new_psk FILE         32 random bytes in $W/FILE; prints them in hex
#   provision EP [KEYS]  the server knows EP's factory PSK (model $MODEL
#                        if set) and EP's key store (KEYS, by default
#                        $W/EP.keys, then with $W/EP.state) holds it
#   device_start DIR EP ID KEY [bulwark-device options...]
#                        the device in the background (DEVICE_PID), key
#                        store and state in $W/DIR, factory credential ID
#                        and the key file KEY; log $W/device.log
#   wait_registered EP [TOKEN]      until GET /devices/EP shows it
#                        registered (15 s at most; 1 if it does not)
#   api METHOD PATH [BODY [TOKEN]]  the HTTP status (000: no answer),
#                        the body in $W/body; TOKEN "" sends none
#   expect STATUS METHOD PATH [BODY [TOKEN]]   fails on another status
#   api_as TOKEN METHOD PATH [BODY], expect_as STATUS TOKEN METHOD PATH
#                        [BODY]: the same with the token first
#   has TEXT, body_is PYEXPR        about the last answer
#   ctl WANT ARGS...     bulwarkctl ARGS exits WANT (stdout $W/out,
#                        stderr $W/err, both kept in $W/all);
#                        out_has, out_lacks, err_has
# What the caller may set (before server_start):
#   LIFETIME             run --lifetime (default 60; empty: the server's)
#   SERVER_API           0: no REST API (default 1)
#   SERVER_OPTS          an array of run options for every start
#   API_MAX_TIME         curl's --max-time for api (default 40)
#   MODEL                the model provision gives the devices
# Every process started here (and each one in PIDS) is stopped on exit,
# also on failure: SIGCONT, SIGTERM, SIGKILL after 5 s.
# shellcheck disable=SC2034 # DM, BS, CTL, ... are read by the scripts
set -euo pipefail

: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
export PATH="$BW_BIN_DIR:$PATH"
SERVER=$BW_BIN_DIR/bulwark-server
DEVICE=$BW_BIN_DIR/bulwark-device

need() {
  local p
  for p in "$@"; do
    [[ -x $BW_BIN_DIR/$p ]] || { echo "FAIL: $BW_BIN_DIR/$p not built"; exit 1; }
  done
}
need_tool() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "FAIL: $t missing (scripts/install-deps)"; exit 1; }
  done
}
need bulwark-server
need_tool curl

W=$(mktemp -d "${TMPDIR:-/tmp}/bw-$(basename "$(dirname "$0")")-$(basename "$0" .sh).XXXXXX")
SERVER_PID='' DEVICE_PID=''
PIDS=()
EXIT_FUNCS=()
CTL_RAN=

# alive PID: PID runs (a zombie, killed but not yet waited for, does not).
# (Its stderr is dropped: the shell's "Killed" report of a cut child may
# surface here, and is expected.)
alive() {
  local st
  st=$(ps -o stat= -p "$1") || return 1
  [[ $st != Z* ]]
} 2>/dev/null

# Elapsed seconds since the script started, for the run time report.
T0=$(date +%s%N)
elapsed() { echo $(( ($(date +%s%N) - T0) / 1000000000 )); }

on_exit() { EXIT_FUNCS+=("$1"); }

# stop_pid PID...: SIGCONT (a test may hold it stopped), SIGTERM, SIGKILL
# after 5 s; reaped.
stop_pid() {
  local p
  for p in "$@"; do
    [[ -n $p ]] || continue
    kill -CONT "$p" 2>/dev/null || continue
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "$@"; do
    [[ -n $p ]] || continue
    for _ in $(seq 100); do alive "$p" || break; sleep 0.05; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
} 2>/dev/null

cleanup() {
  local f
  for f in ${EXIT_FUNCS[@]+"${EXIT_FUNCS[@]}"}; do "$f" || true; done
  stop_pid ${PIDS[@]+"${PIDS[@]}"} "$DEVICE_PID" "$SERVER_PID"
  if [[ -n ${BW_KEEP:-} ]]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
} 2>/dev/null
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  [[ -f $W/body ]] && { echo "--- last API answer"; head -c 3000 "$W/body"; echo; }
  if [[ -n $CTL_RAN ]]; then
    [[ -f $W/out ]] && { echo "--- bulwarkctl stdout"; head -c 3000 "$W/out"; }
    [[ -f $W/err ]] && { echo "--- bulwarkctl stderr"; head -c 3000 "$W/err"; }
  fi
  local f
  for f in "$W"/*.log "$W"/*.err; do
    [[ -f $f ]] && { echo "--- $(basename "$f")"; tail -30 "$f"; }
  done
  exit 1
}

# ---- server ------------------------------------------------------------------

S=(--db "$W/bulwark.db" --master-key "$W/master.key")
DM=0 BS=0 API=0
TOKEN=
LIFETIME=${LIFETIME-60}
SERVER_API=${SERVER_API:-1}
SERVER_OPTS=()

server_init() {
  if [[ ! -f $W/bulwark.db ]]; then
    "$SERVER" init "${S[@]}" >"$W/init.out" || fail "server init"
  fi
  [[ -f $W/api.token ]] || fail "init made no API token next to the master key"
  TOKEN=$(tr -d '\n' <"$W/api.token")
}

# server_start [run options...]: init on first use; keeps the ports of an
# earlier start, so a restart is the same server to the devices.
# shellcheck disable=SC2120 # the options are optional
server_start() {
  local opt=()
  [[ -n $TOKEN ]] || server_init
  [[ -n $LIFETIME ]] && opt+=(--lifetime "$LIFETIME")
  if [[ $SERVER_API == 1 ]]; then
    mkdir -p "$W/srv"
    opt+=(--api-port "${API:-0}" --state-dir "$W/srv")
  fi
  rm -f "$W/ready"
  "$SERVER" run "${S[@]}" --bind 127.0.0.1 --dm-port "$DM" --bs-port "$BS" \
    "${opt[@]}" ${SERVER_OPTS[@]+"${SERVER_OPTS[@]}"} --ready-file "$W/ready" "$@" \
    >>"$W/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    [[ -s $W/ready ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited at start-up"
    sleep 0.05
  done
  [[ -s $W/ready ]] || fail "the server did not start"
  read -r DM BS API <"$W/ready"
  if [[ $SERVER_API == 1 ]]; then
    [[ ${API:-0} -gt 0 ]] || fail "no API port in the ready file"
    URL=https://127.0.0.1:$API/api/v1
    CERT=$W/srv/api-cert.pem
    G=(--url "https://127.0.0.1:$API" --cacert "$CERT" --token-file "$W/api.token")
    CTL=(bulwarkctl "${G[@]}")
  fi
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

new_psk() {
  head -c 32 /dev/urandom >"$W/$1"
  od -An -tx1 "$W/$1" | tr -d ' \n'
}

# provision EP [KEYS]: the server knows EP's factory PSK (and model
# $MODEL) and the key store KEYS holds it; KEYS is $W/EP.keys by default,
# and then $W/EP.state is made for EP's state too.
provision() {
  local ep=$1 keys=${2-} id model=()
  [[ -n ${MODEL-} ]] && model=(--model "$MODEL")
  id="fac-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  head -c 32 /dev/urandom >"$W/k"
  printf %s "$id" >"$W/id"
  "$SERVER" provision "${S[@]}" --endpoint "$ep" --psk-identity "$id" \
    --psk-key-file "$W/k" ${model[@]+"${model[@]}"} >/dev/null || fail "provision $ep"
  if [[ -z $keys ]]; then
    keys=$W/$ep.keys
    mkdir -m 700 "$W/$ep.state"
  fi
  mkdir -m 700 "$keys"
  bulwark-keystore put "$keys" bs/psk-identity "$W/id" >/dev/null
  bulwark-keystore put "$keys" bs/psk "$W/k" >/dev/null
  rm -f "$W/k" "$W/id"
}

device_start() {
  local dir=$1 ep=$2 id=$3 key=$4
  shift 4
  mkdir -p "$W/$dir"
  "$DEVICE" --endpoint "$ep" --bootstrap "coaps://127.0.0.1:$BS" \
    --keystore "$W/$dir/keys" --state "$W/$dir/state" \
    --psk-identity "$id" --psk-key-file "$key" "$@" >>"$W/device.log" 2>&1 &
  DEVICE_PID=$!
}

wait_registered() {
  for _ in $(seq 150); do
    [[ $(api_as "${2-$TOKEN}" GET "/devices/$1") == 200 ]] &&
      grep -q '"registered":true' "$W/body" && return 0
    sleep 0.1
  done
  return 1
}

# ---- REST API ----------------------------------------------------------------

api() { api_as "${4-$TOKEN}" "$1" "$2" "${3-}"; }

api_as() {
  local args=() st
  [[ -n $1 ]] && args+=(-H "Authorization: Bearer $1")
  [[ -n ${4-} ]] && args+=(-H "Content-Type: application/json" --data-binary "$4")
  rm -f "$W/body"
  st=$(curl -s --cacert "$CERT" -o "$W/body" -w '%{http_code}' \
    --max-time "${API_MAX_TIME:-40}" -X "$2" ${args[@]+"${args[@]}"} "$URL$3") || true
  echo "${st:-000}"
}

expect() { expect_as "$1" "${5-$TOKEN}" "$2" "$3" "${4-}"; }

expect_as() {
  local got
  got=$(api_as "$2" "$3" "$4" "${5-}")
  [[ $got == "$1" ]] || fail "$3 $4${5:+ $5}: status $got, want $1"
}

has() { grep -q -- "$1" "$W/body" || fail "response lacks $1"; }

# body_is PYTHON-EXPRESSION: true of d, the last answer parsed as JSON.
body_is() {
  python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if ($1) else 1)" "$W/body" || fail "answer does not satisfy: $1"
}

ctl() {
  local want=$1 rc=0
  shift
  CTL_RAN=1
  bulwarkctl "$@" >"$W/out" 2>"$W/err" || rc=$?
  cat "$W/out" "$W/err" >>"$W/all"
  [[ $rc == "$want" ]] || fail "bulwarkctl $*: exit $rc, want $want"
}
out_has() { grep -q -- "$1" "$W/out" || fail "stdout lacks '$1'"; }
out_lacks() { grep -q -- "$1" "$W/out" && fail "stdout has '$1'"; return 0; }
err_has() { grep -q -- "$1" "$W/err" || fail "stderr lacks '$1'"; }
