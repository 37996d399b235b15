#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# An image tampered with after its upload ("in transit" from the
# repository to the device).  The real bulwark-server accepts v2 (signed,
# verified at upload); then, with the server stopped, one payload byte of
# the stored image is flipped in the database (sqlite3 UPDATE of the
# firmware BLOB) and the server is started again, so its cache is loaded
# from the altered row.  A campaign sends the image to the real
# bulwark-device under bulwark-boot.
# Must hold: the device downloads the package, refuses it with Update
# Result 5 (integrity: the digest does not match, BW_EHASH) and never
# executes it; the campaign reports the device failed with result 5; the
# primary slot is byte for byte what it was, v1, verified and confirmed,
# and nothing is left pending.
# shellcheck source=tests/fota_common.bash disable=SC2034
source "$(dirname "$0")/../fota_common.bash"

EP=tt-0001
LIFETIME=10
fota_images
server_start
start_one "$EP"
PRIMARY_SIZE=$(( (UNITS + 1) * SECTOR ))
before=$(head -c "$PRIMARY_SIZE" "$W/$EP.flash" | sha256sum | cut -d' ' -f1)
FW=$(upload "$W/v2.img")
echo "ok: $EP registered on v1; v2 uploaded as $FW [$(elapsed) s]"

# One byte of the payload (past the 512-byte header), flipped in the store.
server_stop
off=$(( 4096 + RANDOM % 65536 ))
DB=$W/bulwark.db
old=$(sqlite3 "$DB" "SELECT hex(substr(image, $off + 1, 1)) FROM firmware WHERE id = '$FW'")
[[ $old =~ ^[0-9A-F]{2}$ ]] || fail "no byte $off in the stored image"
new=$(printf '%02X' $(( 0x$old ^ 0x10 )))
len=$(sqlite3 "$DB" "SELECT length(image) FROM firmware WHERE id = '$FW'")
# (|| makes text: the CAST keeps the column a BLOB of the same bytes.)
sqlite3 "$DB" ".timeout 5000" "UPDATE firmware SET image = CAST(substr(image, 1, $off) ||
  x'$new' || substr(image, $off + 2) AS BLOB) WHERE id = '$FW'" || fail "tampering failed"
[[ $(sqlite3 "$DB" "SELECT typeof(image) FROM firmware WHERE id = '$FW'") == blob ]] ||
  fail "the tampered image is no longer a BLOB"
[[ $(sqlite3 "$DB" "SELECT length(image) FROM firmware WHERE id = '$FW'") == "$len" ]] ||
  fail "the tampered image changed size"
[[ $(sqlite3 "$DB" "SELECT hex(substr(image, $off + 1, 1)) FROM firmware WHERE id = '$FW'") == "$new" ]] ||
  fail "byte $off was not changed"
server_start
echo "ok: byte $off of the stored image flipped ($old -> $new), server restarted [$(elapsed) s]"

CID=$(campaign_create "$FW")
cdev_wait "$CID" "$EP" failed 120
[[ $(cdev "$EP" result) == 5 ]] || fail "$EP failed with result $(cdev "$EP" result), want 5"
echo "ok: campaign $CID: $EP failed with result 5 ($(cdev "$EP" detail)) [$(elapsed) s]"

grep -q "firmware download complete" "$W/$EP.log" || fail "the package was not downloaded"
grep -q "firmware package refused (result 5): verification: BW_EHASH" "$W/$EP.log" ||
  fail "the device did not refuse the package for its digest"
grep -q "marked for a test boot" "$W/$EP.log" && fail "the tampered package was executed"
after=$(head -c "$PRIMARY_SIZE" "$W/$EP.flash" | sha256sum | cut -d' ' -f1)
[[ $after == "$before" ]] || fail "the primary slot changed"
[[ $(bstatus "$EP" primary_version) == 1.0.0+0 && $(bstatus "$EP" primary_verified) == yes &&
   $(bstatus "$EP" confirmed) == yes ]] || fail "$EP does not hold v1, verified, confirmed"
[[ $(bstatus "$EP" secondary) == none ]] || fail "an update is left: secondary $(bstatus "$EP" secondary)"
echo "PASS: the tampered image was refused with result 5, campaign failed it, primary untouched [$(elapsed) s]"
