#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A firmware download interrupted by the death of the server.  The real
# bulwark-server (coaps://, firmware repository, campaigns) updates one
# device, the real bulwark-device under bulwark-boot, from v1 to v2 (a
# 6 MB image).  When the device has recorded a third of the image as
# written, the server is killed with SIGKILL (its DTLS sessions are lost:
# the device must handshake again) and, once the device has noticed
# (its block request answered by nothing, "connection lost"), started
# again on the same database and ports.
# Must hold:
#   - the device resumes rather than restarts: it logs "resuming at byte
#     N" with N > 0, every block-wise GET it starts after the restart
#     begins past byte 0 and it never starts over (the server keeps no
#     per-block log: the device's verbose log says where each GET
#     starts);
#   - the device registers again as soon as its resume needed a new
#     handshake (the server lost the registration's session too), not
#     after its next Update times out;
#   - the download completes verified, the campaign (re-read from the
#     store by the new server) ends completed with the device succeeded,
#     Update Result 1;
#   - the device runs v2, confirmed by its health check, and its flash
#     says so: primary 2.0.0+0, verified, confirmed.
# shellcheck source=tests/fota_common.bash disable=SC2034
source "$(dirname "$0")/../fota_common.bash"

EP=sr-0001
LIFETIME=10
fota_images
server_start
start_one "$EP"
echo "ok: $EP bootstrapped and registered on v1 [$(elapsed) s]"

FW=$(upload "$W/v2.img")
SIZE=$(stat -c %s "$W/v2.img")
CID=$(campaign_create "$FW")
echo "ok: v2 uploaded as $FW ($SIZE bytes), campaign $CID created"

# Kill the server once a third of the image is recorded as written.
want=$(( SIZE / 3 ))
for _ in $(seq 1200); do
  (( $(dl_offset "$EP") >= want )) && break
  sleep 0.05
done
at=$(dl_offset "$EP")
(( at >= want )) || fail "the download did not reach byte $want in 60 s (at $at)"
server_kill9
mark=$(( $(wc -l <"$W/$EP.log") + 1 ))
echo "ok: server killed with SIGKILL at byte $at of $SIZE [$(elapsed) s]"

# The device notices the dead server: its next block request (or its
# retransmission) meets a closed port.  Then the server comes back.
for _ in $(seq 600); do
  grep -q "firmware download: connection lost" <(tail -n +"$mark" "$W/$EP.log") && break
  sleep 0.05
done
grep -q "firmware download: connection lost" <(tail -n +"$mark" "$W/$EP.log") ||
  fail "the device did not notice the dead server within 30 s"
server_start
echo "ok: the device lost the connection; server started again on DM port $DM [$(elapsed) s]"

campaign_wait "$CID" completed 180
[[ $(cdev "$EP" state) == succeeded ]] || fail "$EP: $(cdev "$EP" state), want succeeded"
[[ $(cdev "$EP" result) == 1 ]] || fail "$EP: result $(cdev "$EP" result), want 1"
[[ $(cfield succeeded) == 1 && $(cfield failed) == 0 ]] || fail "counts are wrong"
echo "ok: campaign $CID completed, $EP succeeded with Update Result 1 [$(elapsed) s]"

after=$(tail -n +"$mark" "$W/$EP.log")
res=$(printf '%s\n' "$after" | sed -n 's/.*firmware download: resuming at byte \([0-9]*\) of.*/\1/p' | head -1)
[[ -n $res ]] || fail "no 'resuming at byte N' after the restart"
(( res > 0 )) || fail "resumed at byte $res"
grep -q "starting over from byte 0" <<<"$after" &&
  fail "the download started over after the restart"
mapfile -t gets < <(printf '%s\n' "$after" | sed -n 's/.*firmware: GET .* from byte \([0-9]*\)$/\1/p')
(( ${#gets[@]} >= 1 )) || fail "no block-wise GET logged after the restart"
for g in "${gets[@]}"; do
  (( g > 0 )) || fail "a GET after the restart began at byte 0"
done
grep -q "the DM server took a new handshake after the connection was lost: registering again" \
  <<<"$after" || fail "the device did not register again after the new handshake"
grep -q "downloaded and verified" <<<"$after" || fail "no verified download"
grep -q "health check passed: 2.0.0+0 confirmed" <<<"$after" ||
  fail "v2 was not confirmed"
echo "ok: resumed at byte $res (GETs after the restart from: ${gets[*]}), never from 0"

[[ $(bstatus "$EP" primary_version) == 2.0.0+0 ]] || fail "primary is not v2"
[[ $(bstatus "$EP" primary_verified) == yes ]] || fail "primary does not verify"
[[ $(bstatus "$EP" confirmed) == yes ]] || fail "v2 is not confirmed"
echo "PASS: server killed at byte $at, download resumed at byte $res, v2 confirmed [$(elapsed) s]"
