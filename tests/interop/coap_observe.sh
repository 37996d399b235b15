#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Observe (RFC 7641) of a counter that ticks every 200 ms, by libcoap's
# client for 3 seconds.  Must hold: at least 3 notifications arrive, the
# counter values strictly increase, and the server forgets the observer
# once the client cancels (it deregisters or resets at the end).
source "$(dirname "$0")/common.bash"

start_server --interval-ms 200

"$CLIENT" -B 10 -s 3 -w -o "$WORK/notes" "coap://127.0.0.1:$PORT/counter" ||
  fail "observe exited $?"
n=$(grep -c . "$WORK/notes" || true)
(( n >= 3 )) || fail "only $n notifications"
prev=-1
while read -r v; do
  [[ $v =~ ^[0-9]+$ ]] || fail "notification '$v' is not a counter value"
  (( v > prev )) || fail "counter went from $prev to $v"
  prev=$v
done <"$WORK/notes"
echo "ok: $n notifications, strictly increasing up to $prev"

# The server must have registered the observer, and forgotten it once the
# client went away (libcoap cancels with Observe: 1; an RST to the next
# notification would do as well).
grep -q "observe: registered" "$WORK/server.log" || fail "server did not log the registration"
for _ in $(seq 20); do
  grep -qE "observe: observer (deregistered|removed)" "$WORK/server.log" && break
  sleep 0.1
done
grep -qE "observe: observer (deregistered|removed)" "$WORK/server.log" ||
  fail "server still holds the observer after the client left"
echo "ok: observer registered, then removed when the client left"
