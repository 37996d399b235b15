#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A staged campaign that halts on a failed health check, with the real
# programs.  bulwark-server (coaps://, firmware repository, API) and 20
# provisioned devices of model bulwark-sim; v2 uploaded with bulwarkctl;
# a campaign with batches [10,100] and a 1 % failure threshold created
# while no device runs yet, so its batches are known before any device
# starts: the API names the two devices of batch 1.  Those two run the
# real bulwark-device under bulwark-boot with v1 in flash, one of them
# with --fail-health-check --health-timeout 5; the 18 devices of batch 2
# run bulwark-device without a bootloader (they only need to register:
# a Package URI would reach them only if the campaign started them, and
# they would log it).
# Must hold: every device registers; bulwarkctl campaign watch exits 3
# (halted); the campaign is halted in batch 1 with 1 succeeded, 1 failed
# (Update Result 8, reverted) and 18 pending, halt_reason "batch 1: 1 of
# 2"; the healthy device runs v2 confirmed, the failing one v1 confirmed
# (bulwark-boot reverted it) with the stored counter still 1; no device
# of batch 2 is started (all 18 pending, none logged a download), also a
# few seconds later.  The live events (bulwarkctl events --json
# --type 'campaign.*', connected before any device starts) tell the same
# story: each device of batch 1 moves through its states in order ending
# succeeded (result 1) and failed (result 8), the campaign goes to halted
# with the halt reason, and no device of batch 2 appears.
# shellcheck source=tests/fota_common.bash disable=SC2034
source "$(dirname "$0")/../fota_common.bash"

N=20
LIFETIME=30
fota_images
server_start
for i in $(seq 1 $N); do provision "$(printf 'ch-%04d' "$i")"; done
FW=$(upload "$W/v2.img")
CID=$(campaign_create "$FW" --batches 10,100 --failure-threshold 1)
campaign "$CID"
[[ $(cfield total) == "$N" ]] || fail "the campaign targets $(cfield total) devices, want $N"
mapfile -t B1 < <(grep -o '"endpoint":"ch-[0-9]*","batch":1,' "$W/body" |
  sed 's/"endpoint":"\([^"]*\)".*/\1/')
mapfile -t B2 < <(grep -o '"endpoint":"ch-[0-9]*","batch":2,' "$W/body" |
  sed 's/"endpoint":"\([^"]*\)".*/\1/')
(( ${#B1[@]} == 2 && ${#B2[@]} == N - 2 )) ||
  fail "batches of ${#B1[@]} and ${#B2[@]} devices, want 2 and $(( N - 2 ))"
GOOD=${B1[0]} BAD=${B1[1]}
echo "ok: campaign $CID over $N devices; batch 1 is $GOOD and $BAD [$(elapsed) s]"

# The campaign's live events, from before any device starts.
"${CTL[@]}" events --json --type 'campaign.*' >"$W/events.out" 2>"$W/events.err" &
EVENTS_PID=$!
PIDS+=("$EVENTS_PID")

# Batch 1: real devices under bulwark-boot; $BAD fails its health check.
factory "$GOOD"
factory "$BAD"
boot_dev "$GOOD"
boot_dev "$BAD" --fail-health-check --health-timeout 5
# Batch 2: registered devices without a bootloader.
for ep in "${B2[@]}"; do
  bulwark-device --endpoint "$ep" --bootstrap "coaps://127.0.0.1:$BS" \
    --keystore "$W/$ep.keys" --state "$W/$ep.state" --fw-version 1.0.0 \
    >"$W/$ep.out" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 600); do
  n=$( (grep -l "registered with" "$W"/ch-*.log "$W"/ch-*.out 2>/dev/null || true) | wc -l)
  (( n == N )) && break
  sleep 0.1
done
(( n == N )) || fail "only $n of $N devices registered"
echo "ok: all $N devices bootstrapped and registered [$(elapsed) s]"

rc=0
timeout 240 "${CTL[@]}" campaign watch "$CID" --interval 1 >"$W/watch.out" 2>&1 || rc=$?
(( rc == 3 )) || { cat "$W/watch.out"; fail "campaign watch exited $rc, want 3 (halted)"; }
echo "ok: bulwarkctl campaign watch exited 3 (halted) [$(elapsed) s]"

campaign "$CID"
[[ $(cfield state) == halted ]] || fail "campaign state $(cfield state), want halted"
[[ $(cfield current_batch) == 1 ]] || fail "halted in batch $(cfield current_batch), want 1"
for c in succeeded:1 failed:1 pending:18 downloading:0 updating:0; do
  [[ $(cfield "${c%%:*}") == "${c#*:}" ]] ||
    fail "count ${c%%:*} is $(cfield "${c%%:*}"), want ${c#*:}"
done
grep -q '"halt_reason":"batch 1: 1 of 2' "$W/body" || fail "halt_reason: $(cfield halt_reason)"
[[ $(cdev "$GOOD" state) == succeeded && $(cdev "$GOOD" result) == 1 ]] ||
  fail "$GOOD: $(cdev "$GOOD" state) result $(cdev "$GOOD" result), want succeeded 1"
[[ $(cdev "$BAD" state) == failed && $(cdev "$BAD" result) == 8 ]] ||
  fail "$BAD: $(cdev "$BAD" state) result $(cdev "$BAD" result), want failed 8"
echo "ok: halted after batch 1: $GOOD succeeded, $BAD failed ($(cdev "$BAD" detail))"

# The devices as their flash says.
[[ $(bstatus "$GOOD" primary_version) == 2.0.0+0 && $(bstatus "$GOOD" confirmed) == yes &&
   $(bstatus "$GOOD" primary_verified) == yes ]] || fail "$GOOD does not run v2 confirmed"
[[ $(bstatus "$BAD" primary_version) == 1.0.0+0 && $(bstatus "$BAD" confirmed) == yes &&
   $(bstatus "$BAD" primary_verified) == yes ]] || fail "$BAD does not run v1 confirmed"
[[ $(bstatus "$BAD" stored_security_counter) == 1 ]] || fail "$BAD's counter moved"
grep -q "health check failed" "$W/$BAD.log" || fail "$BAD did not fail its health check"
grep -q "reverted the unconfirmed update" "$W/$BAD.log" || fail "$BAD was not reverted"
echo "ok: $GOOD runs v2 confirmed; $BAD was reverted to v1, counter still 1"

# Batch 2: nobody started, now or a little later.
sleep 3
campaign "$CID"
[[ $(cfield pending) == 18 ]] || fail "pending $(cfield pending) after 3 s, want 18"
for ep in "${B2[@]}"; do
  [[ $(cdev "$ep" state) == pending ]] || fail "$ep of batch 2 is $(cdev "$ep" state)"
  grep -q "firmware download" "$W/$ep.out" && fail "$ep of batch 2 was sent a Package URI"
done
# The events, read after the fact (the stream is still open: stop it).
stop_pid "$EVENTS_PID"
python3 - "$W/events.out" "$CID" "$GOOD" "$BAD" "${B2[@]}" <<'PY' ||
import json, sys
path, cid, good, bad, batch2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], set(sys.argv[5:])
ev = [json.loads(l) for l in open(path) if l.strip()]
def fail(m):
    print(m); [print(json.dumps(e)) for e in ev]; sys.exit(1)
if any(e.get("type") not in ("campaign.state", "campaign.device") for e in ev):
    fail("an event of another type passed the filter")
ids = [e["id"] for e in ev]
if ids != sorted(set(ids)):
    fail("event ids are not strictly increasing")
dev = {}
for e in ev:
    if e["type"] == "campaign.device":
        if e["data"]["campaign"] != cid:
            fail("an event of another campaign")
        dev.setdefault(e["endpoint"], []).append(e["data"])
if batch2 & set(dev):
    fail("devices of batch 2 appear: %s" % sorted(batch2 & set(dev)))
for ep, end, result in ((good, "succeeded", 1), (bad, "failed", 8)):
    st = dev.get(ep)
    if not st:
        fail("no campaign.device event for " + ep)
    for a, b in zip(st, st[1:]):
        if b["from"] != a["state"]:
            fail("%s: %s -> %s does not follow %s" % (ep, b["from"], b["state"], a["state"]))
    if st[-1]["state"] != end or st[-1].get("result") != result:
        fail("%s ends %s result %s, want %s %d" % (ep, st[-1]["state"], st[-1].get("result"), end, result))
    if "downloading" not in [s["state"] for s in st]:
        fail(ep + " never reported downloading")
halts = [e for e in ev if e["type"] == "campaign.state" and e["data"]["state"] == "halted"]
if len(halts) != 1 or halts[0]["data"]["campaign"] != cid or \
   "batch 1: 1 of 2 device(s) failed" not in (halts[0]["data"].get("detail") or ""):
    fail("want one campaign.state halted, its detail naming 'batch 1: 1 of 2 device(s) failed'")
if halts[0]["id"] < max(e["id"] for e in ev if e["type"] == "campaign.device" and e["endpoint"] == bad):
    fail("halted was published before the failing device's last state")
print("ok: %d campaign events: %s %s, %s %s, halted" % (len(ev),
      good, "->".join(s["state"] for s in dev[good]), bad, "->".join(s["state"] for s in dev[bad])))
PY
  fail "campaign events (above)"

echo "PASS: campaign $CID halted after batch 1 (1 succeeded, 1 failed, 18 never started) [$(elapsed) s]"
