#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Live events (GET /api/v1/events, Server-Sent Events) end to end:
# bulwark-server with its HTTPS API on loopback, a real bulwark-device
# bootstrapping and registering over DTLS, `bulwarkctl events --json` and
# raw `curl -N` streams as the clients.
# Tried: bulwarkctl events --json (admin), a raw stream (viewer token)
# and a filtered one (?type=device.*&endpoint=dev-0001) opened before the
# device starts; no token; a bad filter; the device bootstraps and
# registers; an asynchronous Write through the API; streams up to the
# bound and one more; the raw stream killed, another Write while it is
# gone, then a reconnection with Last-Event-ID; the server stopped with
# streams open; SIGINT to bulwarkctl.
# Must hold: the raw stream answers text/event-stream and shows, for
# dev-0001 and in this order, bootstrap.requested, credential.issued,
# bootstrap.finished and device.registered within 20 s of the device's
# start; the Write shows up as request.answered with its request id and
# code 2.04; the filtered stream has only device.* events of dev-0001;
# bulwarkctl prints the same events (ids strictly increasing); no token
# is 401, a bad filter 400; stream 33 is 503 while 32 are open; the
# resumed stream starts exactly after the last id the killed one had,
# with the events bulwarkctl (connected throughout) printed in between
# (the two Writes' request.answered at least):
# no duplicate, no gap; the server exits within 5 s of SIGTERM with
# streams open, the curl streams end by themselves, bulwarkctl exits 0
# on SIGINT.
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwarkctl
need_tool python3
CTL_PID='' RAW_PID='' FILT_PID='' RAW2_PID=''
EXTRA_PIDS=()
stop_streams() {
  stop_pid ${EXTRA_PIDS[@]+"${EXTRA_PIDS[@]}"} $RAW2_PID $RAW_PID $FILT_PID $CTL_PID
}
on_exit stop_streams

LIFETIME=120
server_start
VIEWER=$("$SERVER" token create "${S[@]}" --name viewer --role viewer) ||
  fail "token create viewer"

# stream OUT TOKEN [QUERY [LAST-ID]]: a raw SSE stream into OUT (headers
# first), in the background; its pid in $!.
stream() {
  local hdr=(-H "Authorization: Bearer $2")
  [[ -n ${4-} ]] && hdr+=(-H "Last-Event-ID: $4")
  curl -sN --cacert "$CERT" -D "$1.hdr" "${hdr[@]}" -o "$1" "$URL/events${3-}" &
}
# greeted FILE: the stream's first bytes (the greeting comment) arrived.
greeted() {
  for _ in $(seq 100); do grep -q '^: bulwark events' "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}
# sse FILE: the events of a raw stream as JSON lines "id type endpoint
# data" (python prints them; "lost" events as "- lost - {...}").
sse() {
  python3 - "$1" <<'EOF'
import json, sys
text = open(sys.argv[1], encoding='utf-8', errors='replace').read()
for block in text.split('\n\n'):
    f = {}
    for line in block.split('\n'):
        if not line or line.startswith(':') or ':' not in line:
            continue
        k, v = line.split(':', 1)
        f[k] = v[1:] if v.startswith(' ') else v
    if 'data' not in f:
        continue
    d = json.loads(f['data'])
    if f.get('event') == 'lost':
        print('- lost - %s' % json.dumps(d))
        continue
    assert str(d['id']) == f['id'], 'id line and JSON differ'
    assert d['type'] == f['event'], 'event line and JSON differ'
    print('%s %s %s %s' % (d['id'], d['type'], d['endpoint'] or '-',
                           json.dumps(d['data'], sort_keys=True)))
EOF
}

# ---- streams opened before anything happens ---------------------------
"${CTL[@]}" events --json >"$W/ctl.out" 2>"$W/ctl.err" &
CTL_PID=$!
stream "$W/raw" "$VIEWER"
RAW_PID=$!
stream "$W/filt" "$TOKEN" '?type=device.*&endpoint=dev-0001'
FILT_PID=$!
greeted "$W/raw" || fail "the raw stream did not start"
greeted "$W/filt" || fail "the filtered stream did not start"
grep -qi '^content-type: text/event-stream' "$W/raw.hdr" || fail "raw stream: not text/event-stream"
for _ in $(seq 100); do
  [[ $(grep -c 'events -> 200 stream' "$W/server.log") -ge 3 ]] && break; sleep 0.05
done
[[ $(grep -c 'events -> 200 stream' "$W/server.log") -eq 3 ]] ||
  fail "bulwarkctl's stream did not open"
code=$(curl -s --cacert "$CERT" -o "$W/body" -w '%{http_code}' --max-time 5 "$URL/events")
[[ $code == 401 ]] || fail "no token: $code, want 401"
code=$(curl -s --cacert "$CERT" -o "$W/body" -w '%{http_code}' --max-time 5 \
  -H "Authorization: Bearer $VIEWER" "$URL/events?type=Device")
[[ $code == 400 ]] || fail "bad filter: $code, want 400"
echo "ok: three streams open (bulwarkctl, viewer, filtered); no token 401, bad filter 400"

# ---- a device bootstraps and registers ---------------------------------
head -c 32 /dev/urandom >"$W/fk1"
"${CTL[@]}" provision dev-0001 --psk-identity fac-0e0e0001 \
  --psk-file "$W/fk1" >/dev/null || fail "provision"
mkdir -p "$W/d1"
T0=$(date +%s)
"$DEVICE" --endpoint dev-0001 --bootstrap "coaps://127.0.0.1:$BS" \
    --keystore "$W/d1/keys" --state "$W/d1/state" \
    --psk-identity fac-0e0e0001 --psk-key-file "$W/fk1" \
    --max-runtime 120 >"$W/device.log" 2>&1 &
DEVICE_PID=$!
for _ in $(seq 200); do
  grep -q '^data: .*"type":"device.registered".*"endpoint":"dev-0001"' "$W/raw" && break
  sleep 0.1
done
grep -q '"type":"device.registered"' "$W/raw" || fail "no device.registered within 20 s"
echo "ok: device.registered on the stream $(( $(date +%s) - T0 )) s after the device started"
sse "$W/raw" >"$W/raw.ev" || fail "raw stream does not parse"
python3 - "$W/raw.ev" <<'EOF' || fail "raw stream: wrong bootstrap/registration sequence: $(cat "$W/raw.ev")"
import sys
rows = [l.split(' ', 3) for l in open(sys.argv[1])]
ids = [int(r[0]) for r in rows if r[0] != '-']
assert ids == sorted(set(ids)), 'ids not strictly increasing'
mine = [r[1] for r in rows if r[2] == 'dev-0001']
want = ['bootstrap.requested', 'credential.issued', 'bootstrap.finished',
        'device.registered']
pos = [mine.index(w) for w in want]
assert pos == sorted(pos), 'out of order: %s' % mine
reg = [r for r in rows if r[1] == 'device.registered'][0]
assert '"lifetime": 120' in reg[3] and '"server": "dm"' in reg[3], reg[3]
EOF
echo "ok: bootstrap.requested, credential.issued, bootstrap.finished, device.registered in order"

# ---- an API write: request.answered ------------------------------------
code=$(api POST /devices/dev-0001/write '{"path":"/3/0/14","value":"+02:00","async":true}')
[[ $code == 202 ]] || fail "async write: $code, want 202"
REQ=$(python3 -c "import json; print(json.load(open('$W/body'))['id'])")
for _ in $(seq 100); do
  grep -q "\"type\":\"request.answered\".*\"request\":$REQ[,}]" "$W/raw" && break
  sleep 0.1
done
sse "$W/raw" | grep -q "request.answered dev-0001 .*\"code\": \"2.04\".*\"request\": $REQ[,}]" ||
  fail "no request.answered 2.04 for request $REQ"
echo "ok: the asynchronous Write (request $REQ) shows up as request.answered 2.04"

# ---- the bound: 32 streams, the 33rd is 503 -----------------------------
for i in $(seq 4 32); do
  stream "$W/x$i" "$VIEWER"
  EXTRA_PIDS+=($!)
done
for i in $(seq 4 32); do greeted "$W/x$i" || fail "stream $i did not open"; done
code=$(curl -s --cacert "$CERT" -o "$W/body" -w '%{http_code}' --max-time 5 \
  -H "Authorization: Bearer $VIEWER" "$URL/events")
[[ $code == 503 ]] || fail "stream 33: $code, want 503"
for pid in "${EXTRA_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
EXTRA_PIDS=()
echo "ok: 32 streams open, the 33rd answered 503"

# ---- resume with Last-Event-ID -----------------------------------------
kill "$RAW_PID"; wait "$RAW_PID" 2>/dev/null || true; RAW_PID=
LAST=$(sse "$W/raw" | awk '$1 != "-" {id = $1} END {print id}')
[[ -n $LAST ]] || fail "no event id in the raw stream"
# Two more Writes while it is gone: two events to replay.
for v in +03:00 +04:00; do
  code=$(api POST /devices/dev-0001/write "{\"path\":\"/3/0/14\",\"value\":\"$v\",\"async\":true}")
  [[ $code == 202 ]] || fail "async write $v: $code"
done
REQ2=$(python3 -c "import json; print(json.load(open('$W/body'))['id'])")
for _ in $(seq 100); do
  grep -q "\"request\":$REQ2[,}]" "$W/ctl.out" && break; sleep 0.1
done
grep -q "\"request\":$REQ2[,}]" "$W/ctl.out" || fail "bulwarkctl: no event for request $REQ2"
# The dead streams' slots are freed when the server next writes to them
# (an event or a heartbeat): retry while it answers 503.
for _ in $(seq 40); do
  : >"$W/raw2"
  stream "$W/raw2" "$VIEWER" "" "$LAST"
  RAW2_PID=$!
  greeted "$W/raw2" && break
  kill "$RAW2_PID" 2>/dev/null || true; wait "$RAW2_PID" 2>/dev/null || true; RAW2_PID=
  sleep 0.5
done
[[ -n $RAW2_PID ]] || fail "could not reconnect"
for _ in $(seq 50); do
  grep -q "\"request\":$REQ2[,}]" "$W/raw2" && break; sleep 0.1
done
sse "$W/raw2" >"$W/raw2.ev"
python3 - "$W/ctl.out" "$W/raw2.ev" "$LAST" <<'EOF' || fail "resume: duplicates or a gap"
import json, sys
ctl = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert all(e.get('type') != 'lost' for e in ctl), 'bulwarkctl lost events'
ids = [e['id'] for e in ctl]
assert ids == sorted(set(ids)), 'bulwarkctl: ids not strictly increasing'
last = int(sys.argv[3])
rows = [l.split(' ', 3) for l in open(sys.argv[2])]
assert rows and rows[0][0] != '-', 'resumed stream starts with a loss: %s' % rows[:1]
got = [int(r[0]) for r in rows]
want = [i for i in ids if i > last]
# bulwarkctl may have seen a few more since; the resumed stream must
# hold exactly what bulwarkctl shows after LAST, from the first on.
assert got[0] == want[0], 'resumed at %d, want %d' % (got[0], want[0])
assert len(got) >= 2, 'the two Writes were not replayed: %s' % got
n = min(len(got), len(want))
assert got[:n] == want[:n], 'resumed %s, bulwarkctl %s' % (got, want)
assert all(i > last for i in got), 'a duplicate at or before %d' % last
print('resumed after %d: %d events, same as bulwarkctl' % (last, n))
EOF
echo "ok: Last-Event-ID $LAST: the resumed stream continues with no duplicate and no gap"
sse "$W/filt" >"$W/filt.ev"
python3 - "$W/filt.ev" <<'EOF' || fail "filtered stream: $(cat "$W/filt.ev")"
import sys
rows = [l.split(' ', 3) for l in open(sys.argv[1])]
assert rows, 'nothing'
assert all(r[1].startswith('device.') and r[2] == 'dev-0001' for r in rows)
assert any(r[1] == 'device.registered' for r in rows)
EOF
echo "ok: ?type=device.*&endpoint=dev-0001 shows only device.* events of dev-0001"

# ---- the server stops with streams open --------------------------------
kill "$DEVICE_PID"; wait "$DEVICE_PID" 2>/dev/null || true; DEVICE_PID=
T0=$(date +%s%N)
kill -TERM "$SERVER_PID"
for _ in $(seq 100); do alive "$SERVER_PID" || break; sleep 0.05; done
alive "$SERVER_PID" && fail "the server still runs 5 s after SIGTERM"
wait "$SERVER_PID" || fail "the server exited with $?"
SERVER_PID=
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
for pid in $RAW2_PID $FILT_PID; do
  for _ in $(seq 40); do alive "$pid" || break; sleep 0.05; done
  alive "$pid" && fail "a curl stream did not end with the server"
done
RAW2_PID= FILT_PID=
echo "ok: the server stopped in $MS ms with streams open; the streams ended"
kill -INT "$CTL_PID"
rc=0; wait "$CTL_PID" || rc=$?
CTL_PID=
[[ $rc == 0 ]] || fail "bulwarkctl events: exit $rc on SIGINT, want 0"
echo "ok: bulwarkctl events exits 0 on SIGINT"
echo "PASS"
