# SPDX-License-Identifier: Apache-2.0
#
# Shared by the interop scripts (sourced, not run): start Bulwark's example
# CoAP server on a free loopback port, stop it on exit, fail loudly.
# Needs BW_BIN_DIR (set by ctest) pointing at the built programs.
set -euo pipefail

: "${BW_BIN_DIR:?BW_BIN_DIR must point at the built programs (ctest sets it)}"
CLIENT=${CLIENT:-coap-client-notls}
command -v "$CLIENT" >/dev/null || { echo "FAIL: $CLIENT missing (scripts/install-deps)"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bw-interop.XXXXXX")
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; [[ -f $WORK/server.log ]] && { echo "--- server log"; tail -50 "$WORK/server.log"; }; exit 1; }

# start_server [server options...]: binds 127.0.0.1 on an ephemeral port,
# sets PORT once the server has said it is listening.
start_server() {
  "$BW_BIN_DIR/bulwark-coap-demo" --bind 127.0.0.1 --port 0 \
      --ready-file "$WORK/port" "$@" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    [[ -s $WORK/port ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start-up"
    sleep 0.05
  done
  [[ -s $WORK/port ]] || fail "server did not report its port"
  PORT=$(cat "$WORK/port")
}
