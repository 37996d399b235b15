#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Credential rotation against process death: bulwark-device is killed
# (SIGKILL, delivered by strace at the entry of the system call) at every
# write(), fsync() and rename() it makes while it re-bootstraps and saves
# its new server set, one run per call.
# Setup: the device bootstrapped once and holds set A; its DM credential
# is then revoked on the server, so the next start fails the DM handshake,
# goes back to bootstrap, receives set B and saves it.
# Must hold after every kill: the saved set is exactly A (byte for byte),
# or a complete new set; a restarted device never reports a set that does
# not decode, and registers (with A's server, which sends it back to
# bootstrap, or with B).
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device
need_tool strace sqlite3
# LeakSanitizer cannot run under ptrace; the kill runs are about state on
# disk, the leak checks run everywhere else.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

head -c 32 /dev/urandom >"$W/fk"
server_init
"$SERVER" provision "${S[@]}" --endpoint kd-0001 --psk-identity fac-5e8a02c4 \
    --psk-key-file "$W/fk" >/dev/null || fail "provision"
SERVER_API=0 LIFETIME=
server_start

D=(--endpoint kd-0001 --bootstrap "coaps://127.0.0.1:$BS" --keystore "$W/ks"
   --exit-after-register --max-runtime 20)
"$DEVICE" "${D[@]}" --state "$W/A" --psk-identity fac-5e8a02c4 \
    --psk-key-file "$W/fk" >"$W/device.log" 2>&1 || fail "first bootstrap"
BLOB=lwm2m/servers
[[ -f $W/A/$BLOB ]] || fail "no saved set after the first bootstrap"

revoke() { sqlite3 -cmd ".timeout 5000" "$W/bulwark.db" "UPDATE credentials SET state = 'revoked', revoked_at = 1 WHERE purpose = 'dm' AND state <> 'revoked'"; }

# How many of each call a whole re-bootstrap makes.
revoke
rm -rf "$W/st" && cp -a "$W/A" "$W/st"
strace -f -qq -o "$W/trace" -e trace=write,fsync,rename,renameat,renameat2 \
    "$DEVICE" "${D[@]}" --state "$W/st" >"$W/device.log" 2>&1 || fail "traced re-bootstrap"
cmp -s "$W/A/$BLOB" "$W/st/$BLOB" && fail "the re-bootstrap did not save a new set"
declare -A count
for sc in write fsync rename renameat renameat2; do
  count[$sc]=$(grep -c "^[0-9]* *$sc(" "$W/trace" || true)
done
(( count[write] > 0 && count[fsync] > 0 )) || fail "no write or fsync seen in the trace"

runs=0 old=0 new=0 skipped=0
for sc in write fsync rename renameat renameat2; do
  for ((n = 1; n <= count[$sc]; n++)); do
    revoke
    rm -rf "$W/st" && cp -a "$W/A" "$W/st"
    rc=0
    # In a subshell whose stderr is discarded: the shell's own "Killed"
    # report is expected here, not news.
    (strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" \
        "$DEVICE" "${D[@]}" --state "$W/st" >"$W/device.log" 2>&1
     exit $?) 2>/dev/null || rc=$?
    # A run may make one call fewer than the traced one (a log line less):
    # then it finished before call #n; its state is checked all the same.
    (( rc != 0 )) || skipped=$((skipped + 1))
    if [[ ! -f $W/st/$BLOB ]]; then
      fail "$sc #$n: the saved set is gone"
    elif cmp -s "$W/A/$BLOB" "$W/st/$BLOB"; then
      old=$((old + 1))
    else
      new=$((new + 1))
    fi
    # Restart without a kill: it must read the set and end registered.
    "$DEVICE" "${D[@]}" --state "$W/st" >"$W/device.log" 2>&1 ||
      fail "$sc #$n: restarted device did not register"
    if grep -q "does not decode\|reading the saved server set failed" "$W/device.log"; then
      fail "$sc #$n: the saved set was torn"
    fi
    runs=$((runs + 1))
  done
done
echo "ok: $((runs - skipped)) kills at write (${count[write]}), fsync (${count[fsync]}) and rename ($((count[rename] + count[renameat] + count[renameat2]))) calls: $old kept the old set, $new held the new one, none torn ($skipped runs finished first)"
(( old > 0 && new > 0 )) || fail "the kills did not cover both sides of the save ($old old, $new new)"
