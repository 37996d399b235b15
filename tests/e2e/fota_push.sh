#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Firmware push end to end: bulwark-server (API, DM server, a fleet image
# key), two provisioned devices each running the real bulwark-device
# under its own bulwark-boot with v1 programmed at the factory, firmware
# v2 (bulwark-device-v2, signed) uploaded with bulwarkctl, and a campaign
# created with `bulwarkctl campaign create --delivery push`.
# Tried: the server writes v2 into each device's /5/0/0 block by block
# (Block1, one block in flight per device), polls /5/0/3, executes the
# update; each bootloader verifies and swaps, v2 passes its health check.
# Also: --delivery with another value (bulwarkctl exit 2) and in the API
# (400, field delivery).
# Must hold: the campaign shows "delivery":"push" and completes with both
# devices succeeded; each flash runs 2.0.0+0, confirmed; each device log
# shows "firmware push started" and no pull (no "firmware download of",
# no /fw/ URI); the server logs the push of the whole image.  The push
# time (campaign creation to completion, and the server's per-device
# figure) is printed: the payload is this build's program, several MB
# under the sanitizers, so it is thousands of round trips.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwark-device-v2 bulwark-keystore bulwark-boot \
  bulwark-bootctl bulwark-image bulwarkctl
need_tool strip
B=$BW_BIN_DIR
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

N=${BW_PUSH_DEVICES:-2}
MODEL=bulwark-sim
export BW_FLASH_NOSYNC=1 # the flash files live in the work dir: no fdatasync

# ---- images: v1 and v2, this build's programs without their symbols ----
"$B/bulwark-image" keygen --type ecdsa-p256 -o "$W/fleet.pem" >/dev/null
"$B/bulwark-image" getpub --key "$W/fleet.pem" --lang der >"$W/fleet.der"
strip -o "$W/app1" "$B/bulwark-device" 2>/dev/null || cp "$B/bulwark-device" "$W/app1"
strip -o "$W/app2" "$B/bulwark-device-v2" 2>/dev/null || cp "$B/bulwark-device-v2" "$W/app2"
sign() { # IN OUT VERSION COUNTER
  "$B/bulwark-image" sign --key "$W/fleet.pem" --version "$3" \
    --security-counter "$4" --model "$MODEL" --pad-header "$1" "$2" \
    >/dev/null || fail "signing $2"
}
sign "$W/app1" "$W/v1.img" 1.0.0 1
sign "$W/app2" "$W/v2.img" 2.0.0 2
V2_SIZE=$(stat -c %s "$W/v2.img")
# 64 KiB sectors; each slot holds the larger image plus one spare unit.
SECTOR=65536
BIG=$(( V2_SIZE > $(stat -c %s "$W/v1.img") ? V2_SIZE : $(stat -c %s "$W/v1.img") ))
UNITS=$(( (BIG + SECTOR - 1) / SECTOR + 1 ))
GEOM=${SECTOR}x$(( 2 * UNITS + 3 ))
flashargs() { echo --flash "$1" --geometry "$GEOM" --key "$W/fleet.der" --counter "$1.counter"; }

# ---- server, devices provisioned, v1 programmed at the factory ----------
server_init
ep_of() { printf 'push-%04d' "$1"; }
for i in $(seq 1 "$N"); do
  ep=$(ep_of "$i"); d=$W/dev/$ep
  mkdir -p -m 700 "$d" "$d/state"
  provision "$ep" "$d/keys"
  # shellcheck disable=SC2046
  "$B/bulwark-bootctl" $(flashargs "$d/flash") factory "$W/v1.img" >/dev/null ||
    fail "factory programming of $ep"
done

SERVER_OPTS=(--image-key "$W/fleet.pem")
server_start

for i in $(seq 1 "$N"); do
  ep=$(ep_of "$i"); d=$W/dev/$ep
  # shellcheck disable=SC2046
  "$B/bulwark-boot" $(flashargs "$d/flash") --app-name bulwark-device -- \
      --endpoint "$ep" --bootstrap "coaps://127.0.0.1:$BS" --keystore "$d/keys" \
      --state "$d/state" --model "$MODEL" >"$W/dev-$ep.log" 2>&1 &
  PIDS+=($!)
done
n=0
for _ in $(seq 600); do
  n=$( (grep -l "registered" "$W"/dev-*.log 2>/dev/null || true) | wc -l)
  (( n == N )) && break
  sleep 0.1
done
(( n == N )) || fail "only $n of $N devices registered"
echo "ok: $N devices under bulwark-boot bootstrapped and registered on v1"

# ---- upload v2, push it -------------------------------------------------
out=$("${CTL[@]}" --json firmware upload "$W/v2.img") || fail "upload: $out"
FW=$(printf '%s' "$out" | sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p')
[[ -n $FW ]] || fail "no firmware id in: $out"
# A delivery that is neither pull nor push: a usage error for bulwarkctl
# (exit 2, nothing sent), a 400 naming the field for the API.
rc=0
"${CTL[@]}" campaign create --name bad --firmware "$FW" --delivery carrier-pigeon \
  >/dev/null 2>&1 || rc=$?
(( rc == 2 )) || fail "--delivery carrier-pigeon: exit $rc, want 2"
st=$(curl -sk -o "$W/body" -w '%{http_code}' --max-time 40 -X POST \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
  --data-binary "{\"name\":\"bad\",\"firmware\":\"$FW\",\"delivery\":\"sideways\"}" \
  "https://127.0.0.1:$API/api/v1/campaigns")
[[ $st == 400 ]] || fail "delivery sideways: status $st, want 400"
has '"field":"delivery"'
api GET /campaigns >/dev/null
has '"items":\[\]'
echo "ok: an unknown delivery is refused (bulwarkctl exit 2, API 400), no campaign created"

t0=$(now_ms)
out=$("${CTL[@]}" --json campaign create --name "push v2" --firmware "$FW" \
      --delivery push --max-concurrent "$N") || fail "campaign create: $out"
CID=$(printf '%s' "$out" | grep -o '"id": *[0-9]*' | head -1 | grep -o '[0-9]*$')
[[ -n $CID ]] || fail "no campaign id in: $out"
printf '%s' "$out" | grep -q '"delivery": *"push"' || fail "the campaign does not say push: $out"
echo "ok: v2 uploaded ($V2_SIZE bytes, $(( (V2_SIZE + 1023) / 1024 )) blocks); campaign $CID created with delivery push"

for _ in $(seq 2400); do
  api GET "/campaigns/$CID" >/dev/null || true
  grep -q '"state":"\(completed\|halted\|aborted\)"' <(sed 's/"devices":.*//' "$W/body") && break
  sleep 0.25
done
t1=$(now_ms)
has '"delivery":"push"'
has '"state":"completed"'
has "\"succeeded\":$N"
has '"failed":0'
echo "ok: campaign completed: $N of $N devices succeeded in $(( (t1 - t0) / 1000 )).$(( (t1 - t0) % 1000 / 100 )) s"

for i in $(seq 1 "$N"); do
  ep=$(ep_of "$i"); d=$W/dev/$ep log=$W/dev-$ep.log
  # shellcheck disable=SC2046
  st=$("$B/bulwark-bootctl" $(flashargs "$d/flash") status) || fail "bootctl status of $ep"
  ver=$(printf '%s\n' "$st" | sed -n 's/^primary_version=//p')
  conf=$(printf '%s\n' "$st" | sed -n 's/^confirmed=//p')
  [[ $ver == 2.0.0+0 && $conf == yes ]] || fail "$ep runs $ver (confirmed $conf)"
  grep -qF "firmware push started" "$log" || fail "$ep did not log the push"
  grep -qF "firmware download of" "$log" && fail "$ep pulled the image"
  grep -qF "/fw/" "$log" && fail "$ep was given a Package URI"
  grep -qF "health check passed" "$log" || fail "$ep did not pass its health check"
  grep -qF "$ep: firmware push done" "$W/server.log" || fail "no push of $ep in the server log"
  line=$(grep -F "$ep: firmware push done" "$W/server.log" | tail -1)
  echo "ok: $ep runs 2.0.0+0, confirmed; pushed, never pulled (${line##*push done: })"
done
blocks=$(( (V2_SIZE + 1023) / 1024 ))
grep -qF "firmware push done: $blocks block(s), $V2_SIZE bytes" "$W/server.log" ||
  fail "the server did not push $blocks blocks of $V2_SIZE bytes"
echo "ok: every block of the $V2_SIZE-byte image went out as a Block1 Write of /5/0/0"
