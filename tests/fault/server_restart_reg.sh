#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A restarted bulwark-server still knows its registrations.
# Tried: the real bulwark-server (SQLite, DTLS bootstrap and DM, HTTPS
# API) on loopback, lifetime 10 s; 10 devices registered in binding U
# (one `bulwark-device --fleet` process, an Update every 9 s over a DTLS
# session kept open) and 3 in queue mode (binding UQ, lifetime 20 s: the
# channel closes 10 s after each exchange and the next Update opens a new
# handshake).  Then the server is restarted twice on the same database,
# ports and state directory: first stopped with SIGTERM (its DTLS
# sessions are saved), then killed with SIGKILL (they are lost); the
# devices are held with SIGSTOP while the port is closed.
# Must hold:
#   - at each start the log says how many registrations were loaded (13),
#     before the DTLS port opens, and GET /devices/{ep} shows each device
#     registered at once, before it has said anything; a synchronous Read
#     of a device not heard from yet is a 503 that says why (no session
#     before its next Update) and names "async";
#   - after the SIGTERM restart every device's next Update is answered
#     2.04 ("registration updated" in its log), and no device registers
#     again: no "registered with" in the devices' log, no "registered"
#     line and no device.registered event from the server;
#   - after the SIGKILL restart the 3 queue-mode devices, whose next
#     Update comes with a new handshake, are answered 2.04 likewise and
#     do not register again.  The devices in binding U had their session
#     cut: their Update records cannot be read by the new process, so
#     they register again once their CoAP retransmissions run out (up to
#     93 s), unless the session the server saved at its last orderly stop
#     is still theirs; docs/server.md, "Registrations across a restart".
#     The script waits for that and checks every one of them came back
#     (updated or registered again), and prints how many did which.
set -euo pipefail
# shellcheck source=tests/server_common.bash
source "$(dirname "$0")/../server_common.bash"
need bulwark-device bulwark-keystore bulwarkctl
need_tool python3

NU=10 NQ=3
LIFETIME=10
server_init
mkdir -m 700 "$W/keys" "$W/state"
# key EP: the factory credential of EP in the fleet's key store layout.
key() {
  local id
  id="fac-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  head -c 32 /dev/urandom >"$W/k"
  printf %s "$id" >"$W/id"
  "$SERVER" provision "${S[@]}" --endpoint "$1" --psk-identity "$id" \
    --psk-key-file "$W/k" >/dev/null || fail "provision $1"
  mkdir -m 700 "$W/keys/$1"
  bulwark-keystore put "$W/keys/$1" bs/psk-identity "$W/id" >/dev/null
  bulwark-keystore put "$W/keys/$1" bs/psk "$W/k" >/dev/null
  rm -f "$W/k" "$W/id"
}
for i in $(seq $NU); do key "$(printf 'ru-%04d' "$i")"; done
for i in $(seq $NQ); do key "$(printf 'rq-%04d' "$i")"; done
server_start
for i in $(seq $NQ); do
  ctl 0 "${G[@]}" bootstrap "$(printf 'rq-%04d' "$i")" --binding UQ --lifetime 20
done

# events_start FILE: the live events of the running server into $W/FILE
# (a restart ends the stream).
events_start() {
  curl -s -N --cacert "$CERT" -H "Authorization: Bearer $TOKEN" \
    "$URL/events" >>"$W/$1" 2>/dev/null &
  EV_PID=$!
  PIDS+=("$EV_PID")
}
# events FILE TYPE: how many events of TYPE for the fleet's devices.
events() { grep -c "\"type\":\"$2\",\"endpoint\":\"r[uq]-" "$W/$1" || true; }

# devs PATTERN FROM: devices that logged PATTERN from line FROM on.
devs() {
  { tail -n +"$2" "$W/fleet.log" | grep -F -- "$1" || true; } |
    sed -n 's/^[^:]*: \(r[uq]-[0-9]*\): .*/\1/p' | sort -u
}
count() { devs "$@" | wc -l; }
# srv_lines PATTERN FROM: server log lines matching PATTERN from line FROM.
srv_lines() { tail -n +"$2" "$W/server.log" | { grep -E -- "$1" || true; }; }

FLEETS=()
for f in u q; do
  n=$NU
  [[ $f == q ]] && n=$NQ
  bulwark-device --fleet $n --endpoint "r$f" --keystore "$W/keys" --state "$W/state" \
    --bootstrap "coaps://127.0.0.1:$BS" -v >>"$W/fleet.log" 2>&1 &
  PIDS+=($!)
  FLEETS+=($!)
done
for _ in $(seq 300); do
  (( $(count "registered with" 1) == NU + NQ )) && break
  sleep 0.1
done
(( $(count "registered with" 1) == NU + NQ )) ||
  fail "$(count "registered with" 1) of $((NU + NQ)) devices registered in 30 s"
echo "ok: $NU devices in binding U and $NQ in queue mode registered [$(elapsed) s]"

# restarted HOW FILE: the server stopped with HOW (server_stop,
# server_kill9) and started again, its events into $W/FILE; checks the
# load.  Sets FM and SM, the lines of the
# fleet's and the server's logs from which on the new process counts.
restarted() {
  FM=$(( $(wc -l <"$W/fleet.log") + 1 ))
  # The fleets are held while no process holds the port: a datagram sent
  # then gets an ICMP port unreachable, which a device takes for a lost
  # channel (it registers again).  The server's memory is under test.
  kill -STOP "${FLEETS[@]}"
  "$1"
  [[ -n ${EV_PID-} ]] && { kill "$EV_PID" 2>/dev/null || true; }
  SM=$(( $(wc -l <"$W/server.log") + 1 ))
  server_start
  # Loaded, not heard from yet (the fleets still held): a synchronous
  # operation cannot reach it, and the answer says why and what to do.
  expect 503 POST /devices/ru-0001/read '{"path":"/3/0/0"}'
  body_is "'has not spoken since this server started' in d['detail'] and 'async' in d['detail']"
  kill -CONT "${FLEETS[@]}"
  events_start "$2"
  local loaded
  loaded=$(srv_lines "registrations: [0-9]+ loaded" "$SM")
  [[ $loaded == *"registrations: $((NU + NQ)) loaded"* ]] ||
    fail "after $1: the log says '$loaded', want $((NU + NQ)) loaded"
  # Loaded before the port opened: listed at once, before any Update.
  for ep in ru-0001 rq-0001; do
    expect 200 GET "/devices/$ep"
    body_is "d['registered'] is True"
  done
}

# updated_only WHO N FROM: the N devices matching WHO (a regex on the
# name) log "registration updated" from line FROM on, none of them
# registers again, and the server logs no Register of theirs.
updated_only() {
  local who=$1 n=$2 from=$3 u
  for _ in $(seq 250); do
    u=$(devs "registration updated" "$from" | grep -cE "$who" || true)
    (( u >= n )) && break
    sleep 0.1
  done
  (( u >= n )) || fail "$u of $n devices ($who) updated within 25 s: $(devs "registration updated" "$from" | tr '\n' ' ')"
  local again
  again=$(devs "registered with" "$from" | grep -E "$who" | tr '\n' ' ' || true)
  [[ -z $again ]] || fail "registered again instead of updating: $again"
  again=$(srv_lines ": (${who#^}).*: registered \(lifetime" "$SM" | head -3)
  [[ -z $again ]] || fail "the server took a Register: $again"
}

restarted server_stop events-term.txt
updated_only '^r[uq]-' $((NU + NQ)) "$FM"
sleep 0.5
(( $(events events-term.txt device.updated) >= NU + NQ )) ||
  fail "$(events events-term.txt device.updated) device.updated events after the SIGTERM restart, want $((NU + NQ))"
(( $(events events-term.txt device.registered) == 0 )) ||
  fail "$(events events-term.txt device.registered) device.registered events after the SIGTERM restart"
echo "ok: SIGTERM restart: $((NU + NQ)) registrations loaded, every device's next Update answered 2.04, none registered again [$(elapsed) s]"

restarted server_kill9 events-kill.txt
updated_only '^rq-' $NQ "$FM"
echo "ok: SIGKILL restart: the $NQ queue-mode devices updated over a new handshake (2.04), none registered again [$(elapsed) s]"
# For the record: what the devices in binding U do.
for _ in $(seq 1200); do
  (( $(count "registration updated" "$FM") + $(count "registered with" "$FM") >= NU + NQ )) && break
  sleep 0.1
done
ru=$(devs "registered with" "$FM" | grep -c '^ru-' || true)
uu=$(devs "registration updated" "$FM" | grep -c '^ru-' || true)
echo "ok: SIGKILL restart, binding U: $uu updated, $ru registered again after their Update timed out [$(elapsed) s]"
(( ru + uu >= NU )) || fail "binding U: only $((ru + uu)) of $NU devices came back in 120 s"
echo "PASS: registrations kept through SIGTERM and SIGKILL restarts [$(elapsed) s]"
