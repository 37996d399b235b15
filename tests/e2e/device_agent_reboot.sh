#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwark-device: the server's Reboot (/3/0/4) and Factory Reset (/3/0/5).
# Tried: a registered device told to reboot by the scripted server, then
# started again; a second device told to factory-reset (with
# --reboot-code 99), then started again.
# Must hold: the server gets its 2.04 before the device goes; the device
# exits with the reboot code bulwark-boot expects (75 by default, the
# --reboot-code value when given); after a reboot the saved server set is
# kept (the device registers directly, no second bootstrap); after a
# factory reset it is gone (the device bootstraps again).
source "$(dirname "$0")/device_agent_common.bash"

start_server reboot --ops-once --op "exec /3/0/4"
S=$W/reboot.log
DEV=(--endpoint dev-rb --bootstrap "coap://127.0.0.1:$BS" --state "$W/rb" -v)
start_device dev-rb "${DEV[@]}"
wait_exit "$DEV_PID" 20
[[ $RC == 75 ]] || fail "reboot: exit code $RC, want 75"
grep -qF "dev-rb: exec /3/0/4 -> 2.04" "$S" || fail "the server got no 2.04 for Reboot"
[[ -f $W/rb/lwm2m/servers ]] || fail "reboot lost the server set"
echo "ok: Reboot answered 2.04, then exit 75"

start_device dev-rb "${DEV[@]}" --exit-after-register --max-runtime 20
wait_exit "$DEV_PID" 25
[[ $RC == 0 ]] || fail "after the reboot: exit code $RC"
(( $(count "dev-rb: bootstrap request" "$S") == 1 )) || fail "bootstrapped again after a reboot"
(( $(count "dev-rb: registered /rd/" "$S") == 2 )) || fail "no second registration"
echo "ok: after the reboot the device registered with its saved set"

start_server reset --ops-once --op "exec /3/0/5"
S=$W/reset.log
DEV=(--endpoint dev-fr --bootstrap "coap://127.0.0.1:$BS" --state "$W/fr"
     --reboot-code 99 -v)
start_device dev-fr "${DEV[@]}"
wait_exit "$DEV_PID" 20
[[ $RC == 99 ]] || fail "factory reset: exit code $RC, want 99 (--reboot-code)"
grep -qF "dev-fr: exec /3/0/5 -> 2.04" "$S" || fail "the server got no 2.04 for Factory Reset"
[[ ! -e $W/fr/lwm2m/servers ]] || fail "factory reset kept the server set"
echo "ok: Factory Reset answered 2.04, server set erased, exit with --reboot-code"

start_device dev-fr "${DEV[@]}" --exit-after-register --max-runtime 20
wait_exit "$DEV_PID" 25
[[ $RC == 0 ]] || fail "after the factory reset: exit code $RC"
(( $(count "dev-fr: bootstrap request" "$S") == 2 )) || fail "no bootstrap after the factory reset"
echo "ok: after the factory reset the device bootstrapped again"
