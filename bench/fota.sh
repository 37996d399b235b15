#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/fota: firmware over the air at fleet scale.  1,000 simulated
# devices (one `bulwark-device --fleet` process, each device with its own
# flash file and an in-process bootloader) are updated with a signed
# 256 KiB image by one campaign over loopback.  Installed by CMake as
# bin/bench_fota, so `make bench` runs it; it builds nothing itself.
# Usage: bench_fota [--help]; settings come from the environment.
#
# Printed, each beside a baseline measured in the same run (ONE device
# updated alone the same way, by a campaign of its own):
#   - campaign time, creation to completion (the server's own created_at
#     and updated_at), and devices updated per second;
#   - server CPU seconds (bulwark-server, all threads: the scheduler's
#     count from /proc/PID/task/*/schedstat, utime + stime from
#     /proc/PID/stat beside it) over the campaign, per device update;
#   - bytes on the wire / image size: each device logs, when its download
#     completes, the UDP payload bytes and datagrams of its download
#     connection (DTLS handshake included); the sum over the devices is
#     divided by devices x image size, and printed again with 28 bytes of
#     IPv4 + UDP header added per datagram.  The raw minimum is the image
#     in 1024-byte blocks.
#
# Environment:
#   BENCH_FOTA_DEVICES=N     fleet size (default 1000; 50 is a quick check)
#   BENCH_FOTA_PROCS=P       split the fleet over P device processes (1)
#   BENCH_FOTA_CONCURRENT=M  the campaign's max_concurrent (100)
#   BENCH_FOTA_TIMEOUT=S     give up on a campaign after S seconds (1800)
#   BENCH_FOTA_PROVISION=cli one `bulwark-server provision` process per
#                            device instead of the REST API (api: one curl
#                            process, one POST /devices per device)
#   BENCH_FOTA_KEEP=1        keep the work directory (logs) and say where
#   BW_BIN_DIR               the built programs (default: this script's
#                            directory when installed, else build/release/bin)
#
# Everything runs on 127.0.0.1; every process started here is stopped at
# the end, also on failure, and the work directories (the devices' flash
# files, key stores and state under /dev/shm when it exists) are removed.
set -euo pipefail

if [[ ${1-} == -h || ${1-} == --help ]]; then
  # The comment above, without its first two lines and the leading "# ".
  sed -n '4,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
[[ $# -eq 0 ]] || { echo "bench_fota: no arguments (see --help)" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
if [[ -n ${BW_BIN_DIR:-} ]]; then
  BIN=$BW_BIN_DIR
elif [[ -x $here/bulwark-server ]]; then
  BIN=$here
else
  BIN=$here/../build/release/bin
fi
N=${BENCH_FOTA_DEVICES:-1000}
PROCS=${BENCH_FOTA_PROCS:-1}
CONC=${BENCH_FOTA_CONCURRENT:-100}
LIMIT=${BENCH_FOTA_TIMEOUT:-1800}
HOW=${BENCH_FOTA_PROVISION:-api}
MODEL=bulwark-sim
PAYLOAD=262144 # the image's payload: 256 KiB
BLOCK=1024     # the block size devices ask for (SZX 6)
GEOM=4096x139  # 68 units of 4 KiB per slot (272 KiB): the image fits
IPUDP=28       # IPv4 (20) + UDP (8) header bytes per datagram

die() {
  echo "bench_fota: $*" >&2
  exit 1
}
if ! [[ $N =~ ^[0-9]+$ ]] || ((N < 1)); then die "BENCH_FOTA_DEVICES: a positive number"; fi
if ! [[ $PROCS =~ ^[0-9]+$ ]] || ((PROCS < 1)); then die "BENCH_FOTA_PROCS: a positive number"; fi
[[ $HOW == cli || $HOW == api ]] || die "BENCH_FOTA_PROVISION: cli or api"
# bulwark-device with one device exits to reboot (bulwark-boot restarts
# it); only a fleet of two or more reboots its devices in-process.
((N >= 2 * PROCS)) || die "at least 2 devices per process (BENCH_FOTA_DEVICES >= 2 x BENCH_FOTA_PROCS)"
((N <= PROCS * 1000)) || die "at most 1000 devices per process: raise BENCH_FOTA_PROCS"
for p in bulwark-server bulwark-device bulwarkctl bulwark-image \
  bulwark-bootctl bulwark-keystore; do
  [[ -x $BIN/$p ]] || die "$BIN/$p missing: build first (make)"
done
for t in openssl od awk sed sqlite3 curl; do
  command -v $t >/dev/null || die "$t missing: scripts/install-deps"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-fota.XXXXXX")
if [[ -d /dev/shm && -w /dev/shm ]]; then
  sim=$(mktemp -d /dev/shm/bench-fota.XXXXXX)
else
  sim=$work/sim
fi
# The simulated devices' own storage: flash files, key stores and state
# directories (in memory when /dev/shm exists: a device saves its download
# progress every 16 KiB with fsync, and 1,000 devices in one process
# waiting on one disk would time the disk, not the update).
flash=$sim/flash
mkdir -p "$sim"
mkdir -m 700 "$flash" "$sim/keys" "$sim/state"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$sim"
  if [[ -n ${BENCH_FOTA_KEEP:-} ]]; then
    echo "bench_fota: work directory kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() {
  echo "bench_fota: FAILED: $*" >&2
  echo "--- server log (last 20 lines)" >&2
  tail -20 "$work/server.log" >&2 2>/dev/null || true
  local f
  for f in "$work"/dev*.log; do
    [[ -f $f ]] || continue
    echo "--- $(basename "$f") (last 10 lines)" >&2
    tail -10 "$f" >&2
  done
  exit 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
# CPU seconds of a running process, every thread.  utime + stime of
# /proc/PID/stat count in clock ticks (10 ms), too coarse for one device's
# update; the scheduler's own nanosecond count (first field of
# /proc/PID/task/*/schedstat) is summed over the threads instead when the
# kernel has it (it misses threads that have exited; the server's threads
# live as long as it does).
cpu_s() {
  local st
  if [[ -r /proc/$1/schedstat ]]; then
    cat /proc/"$1"/task/*/schedstat 2>/dev/null |
      awk '{ ns += $1 } END { printf "%.6f", ns / 1e9 }'
    return
  fi
  st=$(cat "/proc/$1/stat") || fail "process $1 is gone"
  st=${st##*) }
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($12 + $13) / hz }' <<<"$st"
}
# The same from utime + stime, to cross-check.
cpu_ticks_s() {
  local st
  st=$(cat "/proc/$1/stat") || fail "process $1 is gone"
  st=${st##*) }
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($12 + $13) / hz }' <<<"$st"
}
# JSON member NAME (number or string) of a campaign's top level, from a
# `bulwarkctl --json campaign show` answer (the devices array stripped).
jfield() {
  tr -d '\n' <"$2" | sed 's/"devices": *\[.*\]//' |
    sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" | head -1
}

# Device names: process p (1..PROCS) runs f<p>-0001 .. f<p>-<its share>.
share() { echo $(((N + PROCS - 1 - ($1 - 1)) / PROCS)); }
ep_of() { printf 'f%d-%04d' "$1" "$2"; }

echo "bench_fota: $N devices in $PROCS process(es), one 256 KiB image, loopback"

# ---- keys and images -----------------------------------------------------
"$BIN/bulwark-image" keygen --type ecdsa-p256 -o "$work/image-key.pem" >/dev/null
openssl pkey -in "$work/image-key.pem" -pubout -outform DER -out "$work/image-key.der" 2>/dev/null
sign() { # VERSION COUNTER OUT
  head -c $PAYLOAD /dev/urandom >"$work/payload"
  "$BIN/bulwark-image" sign -k "$work/image-key.pem" --version "$1" \
    --security-counter "$2" --model $MODEL --header-size 0x200 \
    --pad-header "$work/payload" "$3" >/dev/null || fail "signing $3"
}
sign 1.0.0 1 "$work/v1.img"
sign 2.0.0 2 "$work/v2.img"
rm -f "$work/payload"
SIZE=$(stat -c %s "$work/v2.img")
BLOCKS=$(((SIZE + BLOCK - 1) / BLOCK))

# One flash file with v1 in its primary slot, copied for every device.
"$BIN/bulwark-bootctl" --flash "$work/tpl.flash" --geometry $GEOM \
  --key "$work/image-key.der" --counter "$work/tpl.counter" factory "$work/v1.img" \
  >/dev/null || fail "factory programming of the template flash"
flash_kib=$(($(stat -c %s "$work/tpl.flash") / 1024))
need_kib=$(((N + 2) * flash_kib * 11 / 10))
free_kib=$(df -Pk "$flash" | awk 'NR == 2 { print $4 }')
((free_kib > need_kib)) || die "$flash: $need_kib KiB needed for the flash files, $free_kib free"

# ---- server ----------------------------------------------------------------
S=(--db "$work/bulwark.db" --master-key "$work/master.key")
"$BIN/bulwark-server" init "${S[@]}" >/dev/null || fail "server init"
mkdir -p "$work/srv"
"$BIN/bulwark-server" run "${S[@]}" --bind 127.0.0.1 --dm-port 0 --bs-port 0 \
  --api-port 0 --state-dir "$work/srv" --image-key "$work/image-key.pem" \
  --ready-file "$work/ready" >"$work/server.log" 2>&1 &
SPID=$!
pids+=("$SPID")
for _ in $(seq 200); do [[ -s $work/ready ]] && break; sleep 0.05; done
[[ -s $work/ready ]] || fail "the server did not start"
read -r _ BS API <"$work/ready" # DM-PORT BS-PORT API-PORT
CTL=("$BIN/bulwarkctl" --url "https://127.0.0.1:$API" --token-file "$work/api.token"
  --cacert "$work/srv/api-cert.pem")

# ---- provisioning ----------------------------------------------------------
# Factory credentials go to the server (one POST /devices each, from a
# single curl process on one connection; with BENCH_FOTA_PROVISION=cli one
# `bulwark-server provision` process per device) and into the device's
# key store; each flash file is a copy of the v1 one.
: >"$work/curl.cfg"
chmod 600 "$work/curl.cfg"
provision() { # EP [MODEL]
  local ep=$1 model=${2:-$MODEL} id
  id="fac-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  head -c 32 /dev/urandom >"$work/k"
  printf %s "$id" >"$work/id"
  if [[ $HOW == api ]]; then
    {
      echo "url = \"https://127.0.0.1:$API/api/v1/devices\""
      echo "cacert = \"$work/srv/api-cert.pem\""
      echo "header = \"Authorization: Bearer $(tr -d '\n' <"$work/api.token")\""
      echo 'header = "Content-Type: application/json"'
      printf 'data = {"endpoint":"%s","model":"%s","psk_identity":"%s","psk_hex":"%s"}\n' \
        "$ep" "$model" "$id" "$(od -An -tx1 "$work/k" | tr -d ' \n')"
      echo 'output = "/dev/null"'
      printf '%s\n' 'write-out = "%{http_code}\n"'
      echo next
    } >>"$work/curl.cfg"
  else
    local t0
    t0=$(now_ms)
    "$BIN/bulwark-server" provision "${S[@]}" --endpoint "$ep" --psk-identity "$id" \
      --psk-key-file "$work/k" --model "$model" >/dev/null || fail "provision $ep"
    SRV_MS=$((SRV_MS + $(now_ms) - t0))
  fi
  mkdir -m 700 "$sim/keys/$ep"
  "$BIN/bulwark-keystore" put "$sim/keys/$ep" bs/psk-identity "$work/id" >/dev/null ||
    fail "key store of $ep"
  "$BIN/bulwark-keystore" put "$sim/keys/$ep" bs/psk "$work/k" >/dev/null ||
    fail "key store of $ep"
  cp "$work/tpl.flash" "$flash/$ep.flash"
  if [[ -f $work/tpl.counter ]]; then cp "$work/tpl.counter" "$flash/$ep.counter"; fi
}
SRV_MS=0
t=$(now_ms)
provision solo-0001
provision solo-0002 bulwark-idle # no campaign ever targets it
for p in $(seq 1 "$PROCS"); do
  for i in $(seq 1 "$(share "$p")"); do provision "$(ep_of "$p" "$i")"; done
done
rm -f "$work/k" "$work/id"
PROV_MS=$(($(now_ms) - t))
if [[ $HOW == api ]]; then
  t=$(now_ms)
  sed -i '$d' "$work/curl.cfg" # the last "next" opens nothing
  curl -s -K "$work/curl.cfg" >"$work/curl.out" || fail "curl POST /devices failed"
  API_MS=$(($(now_ms) - t))
  rm -f "$work/curl.cfg"
  ok=$(grep -c '^201$' "$work/curl.out" || true)
  ((ok == N + 2)) || fail "POST /devices: $ok of $((N + 2)) answered 201"
  PROV_MS=$((PROV_MS + API_MS))
  PROV_HOW="one curl process, POST /devices each: $(secs $API_MS) s of it; two bulwark-keystore puts and a flash copy per device"
else
  PROV_HOW="a bulwark-server provision process per device: $(secs $SRV_MS) s of it; two bulwark-keystore puts and a flash copy per device"
fi
echo "provisioned $((N + 2)) devices in $(secs $PROV_MS) s" \
  "($(awk -v ms=$PROV_MS -v n=$((N + 2)) 'BEGIN { printf "%.1f", ms / n }') ms each: $PROV_HOW)"

DEV=(--bootstrap "coaps://127.0.0.1:$BS" --model "$MODEL" --flash-geometry "$GEOM"
  --boot-key "$work/image-key.der" --sample-interval 600)

fw=$("${CTL[@]}" --json firmware upload "$work/v2.img") || fail "upload: $fw"
FW=$(printf '%s' "$fw" | sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p')
[[ -n $FW ]] || fail "no firmware id in: $fw"

# registered LOG: how many distinct devices logged a registration.
registered() {
  grep -h ': registered' "$@" 2>/dev/null | awk '{ print $3 }' | sort -u | wc -l
}

# Device logs get the wall time of each line in front (seconds, from
# bash's EPOCHREALTIME), so the download itself can be timed.
stamp() {
  local line
  while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# campaign NAME LOGS... -- CREATE-OPTIONS...: run one campaign to its end
# and set C_MS (creation to completion, server time), C_CPU (server CPU
# seconds), C_OK (devices succeeded), C_N (devices), C_X, C_Y, C_A, C_B
# (download bytes sent, received, datagrams sent, received, summed over
# the devices' logs), C_DL (downloads logged), C_RESUMED (lost or
# restarted connections), C_DEVCPU (device processes' CPU seconds).
campaign() {
  local name=$1 logs=() opts=() id rc=0 c0 c1 d0=0 d1=0 p
  shift
  while [[ $1 != -- ]]; do logs+=("$1"); shift; done
  shift
  opts=("$@")
  local before=()
  for p in "${logs[@]}"; do before+=("$(wc -l <"$p")"); done
  for p in "${dev_pids[@]}"; do d0=$(awk -v a="$d0" -v b="$(cpu_s "$p")" 'BEGIN { print a + b }'); done
  c0=$(cpu_s $SPID)
  local k0 k1
  k0=$(cpu_ticks_s $SPID)
  local out
  out=$("${CTL[@]}" --json campaign create --name "$name" --firmware "$FW" \
    --batches 100 "${opts[@]}") || fail "campaign create: $out"
  id=$(printf '%s' "$out" | grep -o '"id": *[0-9]*' | head -1 | grep -o '[0-9]*$')
  [[ -n $id ]] || fail "no campaign id in: $out"
  # Wait for the end by reading the campaign's row in the database: the
  # server's CPU over the campaign then holds no API polling at all.
  local state=running end=$(($(now_ms) + LIMIT * 1000))
  while [[ $state == running ]] && (($(now_ms) < end)); do
    sleep 0.2
    state=$(sqlite3 -cmd ".timeout 5000" "$work/bulwark.db" \
      "SELECT state FROM campaigns WHERE id = $id" 2>/dev/null || echo running)
  done
  [[ $state == completed ]] || rc=1
  c1=$(cpu_s $SPID)
  k1=$(cpu_ticks_s $SPID)
  C_TICKS=$(awk -v a="$k0" -v b="$k1" 'BEGIN { printf "%.2f", b - a }')
  for p in "${dev_pids[@]}"; do d1=$(awk -v a="$d1" -v b="$(cpu_s "$p")" 'BEGIN { print a + b }'); done
  ((rc == 0)) || fail "campaign $id: $state after $LIMIT s at most"
  "${CTL[@]}" --json campaign show "$id" >"$work/campaign-$id.json" ||
    fail "campaign show $id"
  local f=$work/campaign-$id.json
  C_MS=$(($(jfield updated_at "$f") - $(jfield created_at "$f")))
  C_OK=$(jfield succeeded "$f")
  C_N=$(jfield total "$f")
  C_CPU=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
  C_DEVCPU=$(awk -v a="$d0" -v b="$d1" 'BEGIN { printf "%.3f", b - a }')
  # This campaign's part of each log.
  : >"$work/part.log"
  local k=0
  for p in "${logs[@]}"; do
    tail -n +"$((${before[$k]} + 1))" "$p" >>"$work/part.log"
    k=$((k + 1))
  done
  read -r C_DL C_X C_A C_Y C_B < <(
    sed -n 's/.*firmware download complete: [0-9]* bytes; this connection sent \([0-9]*\) bytes in \([0-9]*\) datagrams, received \([0-9]*\) bytes in \([0-9]*\) .*/\1 \2 \3 \4/p' \
      "$work/part.log" |
      awk '{ n++; x += $1; a += $2; y += $3; b += $4 } END { print n + 0, x + 0, a + 0, y + 0, b + 0 }'
  )
  # Where each device's time went, from the campaign's own history.
  sqlite3 -cmd ".timeout 5000" -separator ' ' "$work/bulwark.db" "
    SELECT MIN(CASE WHEN e.state = 'downloading' THEN e.at END) - c.created_at,
           MIN(CASE WHEN e.state = 'downloaded' THEN e.at END) -
             MIN(CASE WHEN e.state = 'downloading' THEN e.at END),
           MIN(CASE WHEN e.state = 'succeeded' THEN e.at END) -
             MIN(CASE WHEN e.state = 'updating' THEN e.at END)
      FROM campaign_events e JOIN campaigns c ON c.id = e.campaign_id
     WHERE e.campaign_id = $id AND e.device_id IS NOT NULL
     GROUP BY e.device_id" >"$work/phases-$id" || fail "reading campaign $id's history"
  C_PHASES=$work/phases-$id
  # The download itself: "download of URI started" to "download complete".
  awk '/firmware download of .* started/ { t[$3] = $1 }
       /firmware download complete/ && ($3 in t) { printf "%.0f\n", ($1 - t[$3]) * 1000 }' \
    "$work/part.log" >"$work/transfer-$id"
  C_TRANSFER=$work/transfer-$id
  C_RESUMED=$(grep -c 'firmware download: \(connection lost\|.*starting over\)' "$work/part.log" || true)
}

# phase FILE COLUMN: "median / 90th percentile / max" seconds of a column
# of a phases file.
phase() {
  awk -v c="$2" '$c != "" { print $c }' "$1" | sort -n |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "-"; exit }
      m = int((NR + 1) / 2); p = int(NR * 0.9 + 0.999)
      printf "%.2f / %.2f / %.2f", v[m] / 1000, v[p] / 1000, v[NR] / 1000 }'
}

ratio() { # BYTES DEVICES
  awk -v b="$1" -v n="$2" -v s="$SIZE" 'BEGIN { if (n == 0) print "-"; else printf "%.4f", b / (n * s) }'
}

# ---- baseline: one device, alone -------------------------------------------
# A process of two devices, so that an update reboots the device inside
# the process as in the fleet (a process of one device exits with the
# reboot code instead); the campaign targets solo-0001 alone, solo-0002
# stays idle.
"$BIN/bulwark-device" --fleet 2 --endpoint solo-%04d --keystore "$sim/keys" \
  --state "$sim/state" --flash-dir "$flash" "${DEV[@]}" 2> >(stamp >"$work/dev0.log") &
pids+=($!)
dev_pids=($!)
for _ in $(seq 300); do (($(registered "$work/dev0.log") == 2)) && break; sleep 0.1; done
(($(registered "$work/dev0.log") == 2)) || fail "the baseline devices did not register"
# Its /3/0/3 is read when it registers: give the server that moment.
sleep 1
campaign "bench baseline" "$work/dev0.log" -- --endpoint solo-0001 --max-concurrent 1
((C_OK == 1)) || fail "the baseline device was not updated (campaign: $C_OK of $C_N)"
((C_DL == 1)) || fail "the baseline device logged $C_DL completed downloads"
B_PHASES=$C_PHASES B_TRANSFER=$C_TRANSFER B_MS=$C_MS B_CPU=$C_CPU B_X=$C_X B_Y=$C_Y B_A=$C_A B_B=$C_B B_DEVCPU=$C_DEVCPU
kill "${dev_pids[0]}" 2>/dev/null || true
wait "${dev_pids[0]}" 2>/dev/null || true
echo "baseline: 1 device updated in $(secs "$B_MS") s"

# ---- the fleet -------------------------------------------------------------
dev_pids=()
logs=()
t=$(now_ms)
for p in $(seq 1 "$PROCS"); do
  fleet=(--fleet "$(share "$p")" --endpoint "f$p-%04d" --keystore "$sim/keys"
    --state "$sim/state")
  "$BIN/bulwark-device" "${fleet[@]}" --flash-dir "$flash" "${DEV[@]}" \
    2> >(stamp >"$work/dev$p.log") &
  pids+=($!)
  dev_pids+=($!)
  logs+=("$work/dev$p.log")
done
for _ in $(seq $((LIMIT * 2))); do
  (($(registered "${logs[@]}") == N)) && break
  for p in "${dev_pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a device process exited"; done
  sleep 0.5
done
got=$(registered "${logs[@]}")
((got == N)) || fail "only $got of $N devices registered"
REG_MS=$(($(now_ms) - t))
echo "fleet: $N devices bootstrapped and registered in $(secs $REG_MS) s"
# Every device's /3/0/3 must be stored before the campaign picks targets.
for _ in $(seq 120); do
  seen=$(sqlite3 -cmd ".timeout 5000" "$work/bulwark.db" \
    "SELECT COUNT(*) FROM devices WHERE fw_version = '1.0.0+0' AND model = '$MODEL'" 2>/dev/null || echo 0)
  ((seen == N)) && break
  sleep 0.5
done
((seen == N)) || fail "firmware version 1.0.0+0 stored for $seen of $N devices"
# The server's idle cost with the fleet registered, for scale.
i0=$(cpu_s $SPID)
sleep 5
IDLE=$(awk -v a="$i0" -v b="$(cpu_s $SPID)" 'BEGIN { printf "%.3f", (b - a) / 5 }')

campaign "bench fleet" "${logs[@]}" -- --version 1.0.0+0 --max-concurrent "$CONC"
((C_N == N)) || fail "the campaign had $C_N targets, not $N"
((C_OK == N)) || echo "bench_fota: warning: $C_OK of $N devices succeeded"

# ---- report ----------------------------------------------------------------
# per A B [DECIMALS]: A / B
per() { awk -v a="$1" -v b="$2" -v d="${3:-4}" 'BEGIN { if (b == 0) print "-"; else printf "%.*f", d, a / b }'; }
echo
echo "image: $SIZE bytes (payload $PAYLOAD + header and TLVs), $BLOCKS blocks of $BLOCK;" \
  "campaign: batches [100], max_concurrent $CONC"
printf '%-44s %20s %20s\n' "" "fleet ($N)" "baseline (1)"
printf '%-44s %20s %20s\n' "campaign time, creation to completion (s)" "$(secs "$C_MS")" "$(secs "$B_MS")"
printf '%-44s %20s %20s\n' "devices updated per second" \
  "$(awk -v n="$C_OK" -v ms="$C_MS" 'BEGIN { printf "%.2f", n * 1000 / ms }')" \
  "$(awk -v ms="$B_MS" 'BEGIN { printf "%.2f", 1000 / ms }')"
printf '%-44s %20s %20s\n' "server CPU seconds per device update" \
  "$(per "$C_CPU" "$C_OK")" "$(per "$B_CPU" 1)"
printf '%-44s %20s %20s\n' "device-side CPU seconds per update" \
  "$(per "$C_DEVCPU" "$C_OK")" "$(per "$B_DEVCPU" 1)"
printf '%-44s %20s %20s\n' "bytes on the wire / image (UDP payloads)" \
  "$(ratio $((C_X + C_Y)) "$C_DL")" "$(ratio $((B_X + B_Y)) 1)"
printf '%-44s %20s %20s\n' "  with IPv4+UDP headers (28 B/datagram)" \
  "$(ratio $((C_X + C_Y + IPUDP * (C_A + C_B))) "$C_DL")" \
  "$(ratio $((B_X + B_Y + IPUDP * (B_A + B_B))) 1)"
printf '%-44s %20s %20s\n' "  sent by the device per download (B)" "$(per "$C_X" "$C_DL" 0)" "$B_X"
printf '%-44s %20s %20s\n' "  received by the device per download (B)" "$(per "$C_Y" "$C_DL" 0)" "$B_Y"
printf '%-44s %20s %20s\n' "  datagrams sent / received per download" \
  "$(per "$C_A" "$C_DL" 1) / $(per "$C_B" "$C_DL" 1)" "$B_A / $B_B"
printf '%-44s %20s %20s\n' "raw minimum: image in 1024-byte blocks" "$BLOCKS blocks" "ratio 1.0000"
echo "per device, seconds, median / 90th percentile / max (from the campaign's history):"
printf '  %-42s %20s %20s\n' "created -> started (write /5/0/1)" "$(phase "$C_PHASES" 1)" "$(phase "$B_PHASES" 1)"
printf '  %-42s %20s %20s\n' "started -> downloaded (seen by 2 s polls)" "$(phase "$C_PHASES" 2)" "$(phase "$B_PHASES" 2)"
printf '  %-42s %20s %20s\n' "  of which the transfer (device's log)" "$(phase "$C_TRANSFER" 1)" "$(phase "$B_TRANSFER" 1)"
printf '  %-42s %20s %20s\n' "execute -> succeeded (reboot, re-register)" "$(phase "$C_PHASES" 3)" "$(phase "$B_PHASES" 3)"
echo "server CPU over the whole fleet campaign: $C_CPU s (utime + stime: $C_TICKS s);" \
  "idle with $N registered: $IDLE CPU-s/s"
echo "downloads logged: $C_DL of $C_OK updated; lost or restarted download connections: $C_RESUMED" \
  "(bytes of a lost connection are not in the sums)"
echo "provisioning: $(secs $PROV_MS) s for $((N + 2)) devices; fleet registration: $(secs $REG_MS) s"
ok=$(awk -v b=$((C_X + C_Y)) -v n="$C_DL" -v s="$SIZE" 'BEGIN { print (n > 0 && b / (n * s) <= 1.15) ? "met" : "missed" }')
echo "target: bytes on the wire / image size <= 1.15 (UDP payloads): $ok"
(( C_OK == N )) || exit 1
