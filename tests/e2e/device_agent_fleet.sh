#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwark-device --fleet: several independent devices in one process.
# Tried: --fleet 5 with endpoint "fleet" against the scripted server;
# --fleet 2 with the pattern "node%02d"; a device whose bootstrap server
# does not answer, with --exit-after-register --max-runtime 2.
# Must hold: every device bootstraps once and registers under its own
# name (fleet-0001..fleet-0005, node01, node02) with its own state
# directory (a 0600 server set in each), and the program exits 0 once all
# have registered; the unanswered device exits 1 and says why.
source "$(dirname "$0")/device_agent_common.bash"

start_server srv
S=$W/srv.log
start_device fleet --endpoint fleet --fleet 5 --bootstrap "coap://127.0.0.1:$BS" \
  --state "$W/state" --keystore "$W/keys" --exit-after-register --max-runtime 30
wait_exit "$DEV_PID" 35
[[ $RC == 0 ]] || fail "--fleet 5: exit code $RC"
for n in 1 2 3 4 5; do
  ep=fleet-000$n
  (( $(count "$ep: bootstrap request" "$S") == 1 )) || fail "$ep: not one bootstrap"
  (( $(count "$ep: registered /rd/" "$S") == 1 )) || fail "$ep: not registered"
  [[ $(stat -c %a "$W/state/$ep/lwm2m/servers") == 600 ]] || fail "$ep: no 0600 server set"
done
(( $(grep -c ": registered /rd/" "$S") == 5 )) || fail "registrations other than the five"
grep -qF "every device registered (5)" "$W/fleet.log" || fail "no final message"
echo "ok: --fleet 5 registered fleet-0001..fleet-0005, each with its own state"

start_device pattern --endpoint 'node%02d' --fleet 2 --bootstrap "coap://127.0.0.1:$BS" \
  --state "$W/state2" --exit-after-register --max-runtime 30
wait_exit "$DEV_PID" 35
[[ $RC == 0 ]] || fail "--fleet 2 with a pattern: exit code $RC"
for ep in node01 node02; do
  (( $(count "$ep: registered /rd/" "$S") == 1 )) || fail "$ep: not registered"
done
echo "ok: an endpoint pattern names the fleet node01, node02"

# Port 9 (discard) on loopback: nothing answers there.
start_device dead --endpoint lonely --bootstrap "coap://127.0.0.1:9" \
  --state "$W/state3" --exit-after-register --max-runtime 2
wait_exit "$DEV_PID" 10
[[ $RC == 1 ]] || fail "--max-runtime passed: exit code $RC, want 1"
grep -qF "lonely: not registered" "$W/dead.log" || fail "no reason given for the timeout"
echo "ok: --max-runtime ends an unregistered device with exit 1 and the reason"
