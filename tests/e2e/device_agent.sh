#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwark-device against the scripted LwM2M server (bw-lwm2m-testsrv),
# plain UDP on loopback.
# Tried: a device with no saved state and a factory bootstrap URI; the
# server reading /3/0, /4/0 and /3303/0 and writing the firmware Package
# URI (then "", which must cancel); the device killed with kill -9 and
# started again; SIGTERM.
# Must hold: exactly one bootstrap; the server set saved as one 0600 file
# in a 0700 directory; registration with the DM server the bootstrap
# server named; /3/0/0 reads "Bulwark" and the serial is the endpoint;
# /4/0/4 is the socket's address; a temperature is served; a Package URI
# written to a device that runs without a bootloader (no flash to download
# into) ends in Update Result 2 (out of storage) and an empty write sets
# it back to 0; after kill -9 the device registers directly with the
# saved DM server (no second bootstrap request); SIGTERM de-registers and
# exits 0.
source "$(dirname "$0")/device_agent_common.bash"

start_server srv \
  --op "read /3/0" --op "read /4/0" --op "read /3303/0" \
  --op "write /5/0/1 coap://127.0.0.1:9/fw.bin" --op "read /5/0/5" \
  --op "write /5/0/1" --op "read /5/0/5"
S=$W/srv.log
DEV=(--endpoint dev-e2e-1 --bootstrap "coap://127.0.0.1:$BS"
     --state "$W/state" --keystore "$W/keys" -v)

start_device dev "${DEV[@]}"
wait_for 1 "dev-e2e-1: bootstrap finished" "$S"
wait_for 1 "dev-e2e-1: registered /rd/" "$S"
echo "ok: bootstrap, then registration with the DM server it named"

[[ -f $W/state/lwm2m/servers ]] || fail "no server set in the state directory"
[[ $(stat -c %a "$W/state/lwm2m/servers") == 600 ]] || fail "server set not 0600"
[[ $(stat -c %a "$W/state") == 700 && $(stat -c %a "$W/state/lwm2m") == 700 ]] ||
  fail "state directories not 0700"
[[ -z $(find "$W/state" -name '.*.tmp') ]] || fail "temporary file left behind"
echo "ok: server set saved, 0600 in 0700 directories"

wait_for 2 'dev-e2e-1:   /5/0/5 = ' "$S"
grep -qF 'dev-e2e-1:   /3/0/0 = "Bulwark"' "$S" || fail "manufacturer not Bulwark"
grep -qF 'dev-e2e-1:   /3/0/1 = "bulwark-device"' "$S" || fail "model"
grep -qF 'dev-e2e-1:   /3/0/2 = "dev-e2e-1"' "$S" || fail "serial is not the endpoint"
grep -qF 'dev-e2e-1:   /4/0/0 = 41' "$S" || fail "bearer"
grep -qF 'dev-e2e-1:   /4/0/4/0 = "127.0.0.1"' "$S" || fail "IP address of the socket"
grep -qE 'dev-e2e-1:   /3303/0/5700 = [0-9]' "$S" || fail "no temperature value"
echo "ok: the server read Device, Connectivity and Temperature"

results=$(grep -F 'dev-e2e-1:   /5/0/5 = ' "$S" | awk '{print $NF}' | tr '\n' ' ')
[[ $results == "2 0 " ]] ||
  fail "Update Result without flash and after \"\": got '$results', want '2 0'"
grep -qF 'write /5/0/1 -> 2.04' "$S" || fail "Package URI write refused"
echo "ok: firmware URI write without flash ends in result 2, an empty write cancels to 0"

kill -9 "$DEV_PID"
wait "$DEV_PID" 2>/dev/null || true
start_device dev "${DEV[@]}"
wait_for 2 "dev-e2e-1: registered /rd/" "$S"
(( $(count "dev-e2e-1: bootstrap request" "$S") == 1 )) ||
  fail "the restarted device bootstrapped again instead of using its saved set"
grep -qF "dev-e2e-1: started: registering with the saved DM server" "$W/dev.log" ||
  fail "the device did not say it used the saved set"
echo "ok: after kill -9 the device registered directly with the saved DM server"

wait_for 4 'dev-e2e-1:   /5/0/5 = ' "$S" # its operations ran again
kill -TERM "$DEV_PID"
wait_exit "$DEV_PID" 5
[[ $RC == 0 ]] || fail "SIGTERM: exit code $RC"
wait_for 1 "dev-e2e-1: deregistered /rd/" "$S" 2
grep -qF "dev-e2e-1: deregistered" "$W/dev.log" || fail "device did not log the de-registration"
echo "ok: SIGTERM de-registers and exits 0"
