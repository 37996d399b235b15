#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Device and server together, over DTLS on loopback: bulwark-device
# bootstraps with its factory key, receives fresh DM credentials and
# registers with them; bulwark-server rotates (the new key active, the
# factory key still only a bootstrap key).
# Tried: a provisioned device from nothing to registered; the same device
# restarted (it must register directly with its saved set, no second
# bootstrap); a device with the wrong factory key; a device claiming
# another device's endpoint name with its own factory key; the factory key
# used against the DM server.
# Must hold: registration after bootstrap with an identity the server drew
# (dm-...), never the factory one; the DM credential active in the
# database and nothing revoked that should not be; each refusal logged by
# the server with its reason and audited; no key in any log.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device
need_tool sqlite3
sql() { sqlite3 -batch -noheader "$W/bulwark.db" "$1"; }

# Factory keys: 32 random bytes each, as a factory would make them.
head -c 32 /dev/urandom >"$W/fk1"
head -c 32 /dev/urandom >"$W/fk2"
head -c 32 /dev/urandom >"$W/wrong"
server_init
[[ $(stat -c %a "$W/master.key") == 600 ]] || fail "master key not 0600"
"$SERVER" provision "${S[@]}" --endpoint dev-0001 --psk-identity fac-7c1e93a0 \
    --psk-key-file "$W/fk1" >/dev/null || fail "provision dev-0001"
"$SERVER" provision "${S[@]}" --endpoint dev-0002 --psk-identity fac-22b4d7f1 \
    --psk-key-file "$W/fk2" >/dev/null || fail "provision dev-0002"
# The same key for another device, and an identity made of the name: refused.
if "$SERVER" provision "${S[@]}" --endpoint dev-0002 --psk-identity fac-09d1 \
    --psk-key-file "$W/fk1" 2>"$W/err"; then fail "a reused PSK was accepted"; fi
grep -q "already used" "$W/err" || fail "reused PSK: no reason given"
if "$SERVER" provision "${S[@]}" --endpoint dev-0002 --psk-identity dev-0002-bs \
    --psk-key-file "$W/wrong" 2>"$W/err"; then fail "an identity derived from the endpoint was accepted"; fi
# A new device whose key is refused is not left behind without one.
if "$SERVER" provision "${S[@]}" --endpoint dev-0009 --psk-identity fac-5e5e \
    --psk-key-file "$W/fk1" 2>"$W/err"; then fail "a reused PSK was accepted for a new device"; fi
[[ $(sql "SELECT count(*) FROM devices WHERE endpoint = 'dev-0009'") == 0 ]] ||
  fail "a refused provisioning left device dev-0009 behind"
echo "ok: provisioning refuses a reused PSK and a derived identity, and stores nothing then"

SERVER_API=0
server_start -v

# device DIR NAME FACTORY-ID KEYFILE [more options]: run one device (its
# key store and state in $W/DIR) until it registers (exit 0) or 30 s
# pass (exit 1).
device() {
  local dir=$1 ep=$2 id=$3 key=$4; shift 4
  mkdir -p "$W/$dir"
  "$DEVICE" --endpoint "$ep" --bootstrap "coaps://127.0.0.1:$BS" \
      --keystore "$W/$dir/keys" --state "$W/$dir/state" \
      --psk-identity "$id" --psk-key-file "$key" \
      --exit-after-register --max-runtime 30 "$@" >>"$W/device.log" 2>&1
}

device d1 dev-0001 fac-7c1e93a0 "$W/fk1" || fail "dev-0001 did not register"
grep -q "dev-0001: bootstrap finished" "$W/server.log" || fail "no bootstrap"
grep -q "dev-0001: registered" "$W/server.log" || fail "no registration"
dm_id=$(sql "SELECT CAST(identity AS TEXT) FROM credentials c JOIN devices d ON d.id = c.device_id WHERE d.endpoint = 'dev-0001' AND purpose = 'dm' AND state = 'active'")
[[ $dm_id == dm-* ]] || fail "no active DM credential drawn by the server (got '$dm_id')"
[[ $(sql "SELECT state FROM credentials WHERE CAST(identity AS TEXT) = 'fac-7c1e93a0'") == active ]] ||
  fail "the factory bootstrap credential was touched"
grep -q "identity '$dm_id'" "$W/server.log" || fail "the DM session did not use $dm_id"
echo "ok: bootstrap issued $dm_id, the device registered with it"

n_bs=$(grep -c "dev-0001: bootstrap request" "$W/server.log")
device d1 dev-0001 fac-7c1e93a0 "$W/fk1" || fail "dev-0001 did not register after a restart"
(( $(grep -c "dev-0001: bootstrap request" "$W/server.log") == n_bs )) ||
  fail "the restarted device bootstrapped again instead of using its saved set"
(( $(grep -c "dev-0001: registered" "$W/server.log") == 2 )) || fail "no second registration"
echo "ok: restarted device registered directly with its saved DM credentials"

if device d2 dev-0002 fac-22b4d7f1 "$W/wrong" --max-runtime 8; then fail "wrong factory key registered"; fi
grep -q "does not authenticate" "$W/server.log" || fail "wrong factory key: no reason logged"
echo "ok: wrong factory key refused"

if device d3 dev-0001 fac-22b4d7f1 "$W/fk2" --max-runtime 8; then
  fail "dev-0002's key bootstrapped as dev-0001"
fi
grep -q "dev-0001: refused: identity 'fac-22b4d7f1'" "$W/server.log" ||
  fail "endpoint claimed with another identity: not logged"
[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'refused' AND subject = 'dev-0001'") -ge 1 ]] ||
  fail "endpoint claimed with another identity: not audited"
echo "ok: a device claiming another's endpoint gets 4.03, logged and audited"

for f in "$W/server.log" "$W/device.log"; do
  for k in fk1 fk2; do
    hex=$(od -An -tx1 "$W/$k" | tr -d ' \n')
    if grep -qi "$hex" "$f"; then fail "a key appears in $(basename "$f")"; fi
  done
done
echo "ok: no key in any log"
