#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwark-boot refuses what it must refuse, says why, and never executes
# an image it did not verify:
#   - an update signed with an unknown key is dropped (BW_EKEY), v1 runs;
#   - an update with a security counter below the stored one is dropped
#     (BW_EROLLBACK), the running image stays;
#   - a byte flipped in the primary payload on flash: safe mode (exit 90,
#     BW_EHASH), the application's marker file is not created;
#   - a primary whose counter is below the stored one: safe mode,
#     BW_EROLLBACK, nothing runs;
#   - an erased flash: safe mode, BW_EMAGIC;
#   - a damaged counter file: safe mode, nothing runs (never read as 0);
#   - a flash file that does not match the geometry: configuration error;
#   - settings from a config file work, an unknown setting is refused.
source "$(dirname "$0")/boot_common.bash"

keygen stranger ed
mkimage "$W/v1.img" v1 trusted 1.0.0 3
mkimage "$W/v2.img" v2 trusted 2.0.0 5
mkimage "$W/evil.img" evil stranger 9.0.0 9
mkimage "$W/old.img" old trusted 0.9.0 2

# Unknown key.
factory "$W/v1.img"
plan "install $W/evil.img reboot" "exit 0"
boot stranger
expect_rc 0
expect_runs "v1 v1"
expect_log stranger "pending update refused: BW_EKEY"
[[ ! -e $BW_TESTAPP_DIR/ran-evil ]] || fail "the foreign image ran"

# Lower security counter than the stored one (v2 confirmed stored 5).
factory "$W/v2.img"
plan "install $W/old.img reboot" "exit 0"
boot rollback
expect_rc 0
expect_runs "v2 v2"
expect_log rollback "pending update refused: BW_EROLLBACK"
[[ $(stored_counter) == 5 ]] || fail "stored counter $(stored_counter), want 5"
[[ ! -e $BW_TESTAPP_DIR/ran-old ]] || fail "the rolled-back image ran"

# A byte flipped in the primary payload (the primary slot starts at 0; the
# payload at the 32-byte header; 1000 bytes in is inside the ELF).
factory "$W/v1.img"
rm -f "$BW_TESTAPP_DIR"/ran-*
plan "exit 0"
byte=$(od -An -tu1 -j1032 -N1 "$FLASH" | tr -d ' ')
printf "\\$(printf '%03o' $(( byte ^ 0x40 )))" |
  dd of="$FLASH" bs=1 seek=1032 conv=notrunc status=none
boot tampered
expect_rc 90
expect_log tampered "SAFE MODE: no image may boot: BW_EHASH"
[[ ! -e $BW_TESTAPP_DIR/ran-v1 ]] || fail "the tampered image ran"
[[ ! -s $BW_TESTAPP_DIR/log ]] || fail "the application ran"

# The primary's counter below the stored one (the store says 4, v1 has 3).
factory "$W/v1.img"
printf 'bwcnt1 0000000004/fffffffb\n' >"$COUNTER"
boot lowprimary
expect_rc 90
expect_log lowprimary "SAFE MODE: no image may boot: BW_EROLLBACK"
[[ ! -e $BW_TESTAPP_DIR/ran-v1 ]] || fail "a rolled-back primary ran"

# A damaged counter file is not taken for "nothing stored".
factory "$W/v1.img"
printf 'bwcnt1 0000000004/fffffffa\n' >"$COUNTER"
boot badcounter
expect_log badcounter "SAFE MODE: the security counter store .* damaged"
expect_rc 90
[[ ! -e $BW_TESTAPP_DIR/ran-v1 ]] || fail "ran with a damaged counter store"

# The same settings from a config file; bulwark-bootctl status reads the
# verified primary and the stored counter.
cat >"$W/boot.conf" <<EOF
# settings of this device
flash $FLASH
geometry = $GEOMETRY
align $ALIGN
key $W/trusted.der
counter $COUNTER
EOF
printf 'bwcnt1 0000000003/fffffffc\n' >"$COUNTER"
bulwark-bootctl --config "$W/boot.conf" status >"$W/status" ||
  fail "bootctl status with a config file"
grep -qx "primary_verified=yes" "$W/status" || fail "status: $(cat "$W/status")"
grep -qx "primary_version=1.0.0+0" "$W/status" || fail "status version"
grep -qx "stored_security_counter=3" "$W/status" || fail "status counter"
echo "bogus 1" >>"$W/boot.conf"
if bulwark-bootctl --config "$W/boot.conf" status 2>"$W/err" >/dev/null; then
  fail "an unknown config setting was accepted"
fi
grep -q 'boot.conf:7: unknown setting "bogus"' "$W/err" || fail "$(cat "$W/err")"
bulwark-boot --help | grep -q -- "--reboot-code" || fail "--help"

# Nothing on flash at all.
rm -f "$FLASH" "$COUNTER"
boot empty
expect_rc 90
expect_log empty "SAFE MODE: no image may boot: BW_EMAGIC"
[[ -s $FLASH ]] || fail "the flash image was not created"

# A flash image of another geometry is refused before anything is touched.
GEOMETRY=4096x40
boot geometry
expect_rc 78
expect_log geometry "does not match the geometry"

echo "PASS: unknown key, rollbacks, tampering, empty flash, bad counter refused"
