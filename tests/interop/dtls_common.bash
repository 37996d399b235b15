# SPDX-License-Identifier: Apache-2.0
#
# Shared by the scripts that drive bulwark-coap-client against libcoap's
# servers (sourced after common.bash, not run).  common.bash provides WORK,
# fail() and the EXIT trap that stops SERVER_PID; this adds:
#
#   start_libcoap PROG [server options...]
#       starts PROG (coap-server-notls, -openssl, -gnutls) on 127.0.0.1 on
#       a free pair of ports: PORT for coap://, DPORT (= PORT + 1, libcoap's
#       rule) for coaps://.  Returns once the server answers a plain GET.
#   stop_libcoap
#       stops it (the next start_libcoap may follow).
#   expect_exit WANT WHAT COMMAND...
#       runs COMMAND with stderr in $WORK/err; fails unless it exits WANT.
#   expect_reason REGEX WHAT
#       fails unless $WORK/err has a line matching REGEX (case-insensitive).

: "${BW_BIN_DIR:?}"
BWCLI=$BW_BIN_DIR/bulwark-coap-client
[[ -x $BWCLI ]] || fail "$BWCLI not built"

# A UDP port p is free when neither p nor p + 1 is bound (UDP or TCP: the
# libcoap servers also listen on TCP when built with it).
port_pair_free() {
  local p=$1
  ! ss -Hlnut "( sport = :$p or sport = :$((p + 1)) )" | grep -q .
}

start_libcoap() {
  local prog=$1; shift
  command -v "$prog" >/dev/null || fail "$prog missing (scripts/install-deps: libcoap3-bin)"
  local attempt p
  for attempt in 1 2 3 4 5; do
    p=$((20000 + RANDOM % 20000 * 2))
    port_pair_free "$p" || continue
    "$prog" -A 127.0.0.1 -p "$p" "$@" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      # Readiness: the server answers a plain GET of its root resource.
      if coap-client-notls -B 1 "coap://127.0.0.1:$p/" >/dev/null 2>&1; then
        PORT=$p
        DPORT=$((p + 1))
        SERVER_PROG=$prog
        return 0
      fi
      sleep 0.05
    done
    # Lost a race for the port, or the server refused its options.
    stop_libcoap
  done
  fail "$prog did not start (options: $*)"
}

stop_libcoap() {
  if [[ -n ${SERVER_PID:-} ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}

# The server must still be alive (a failed handshake must not kill it).
server_alive() {
  kill -0 "$SERVER_PID" 2>/dev/null || fail "$SERVER_PROG died"
}

expect_exit() {
  local want=$1 what=$2; shift 2
  local rc=0
  "$@" 2>"$WORK/err" || rc=$?
  if [[ $rc -ne $want ]]; then
    echo "--- client stderr"; cat "$WORK/err"
    fail "$what: exit status $rc, expected $want"
  fi
}

expect_reason() {
  local re=$1 what=$2
  grep -Eiq -- "$re" "$WORK/err" || {
    echo "--- client stderr"; cat "$WORK/err"
    fail "$what: no reason matching /$re/ on stderr"
  }
}
