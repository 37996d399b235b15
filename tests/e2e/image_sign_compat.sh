#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Layout compatibility with MCUboot's imgtool 2.4.0: re-sign the payloads
# of tests/data/mcuboot with the parameters of imgtool's images (from the
# README and the dumpinfo.json files) and compare.
#   - Ed25519 signatures are deterministic: the files must be identical,
#     byte for byte (padded + confirmed trailer included).
#   - ECDSA signatures are random: with a signature of imgtool's length
#     (re-signed until the DER lengths match), every byte before the
#     signature value must be identical; the signature must verify with
#     `openssl dgst -sha256 -verify` over the signed bytes and with lib/image.
#   - `info --json` must print exactly imgtool's `dumpinfo -f json`.
source "$(dirname "$0")/image_common.bash"
cd "$VEC"

common=(--header-size 0x200 --pad-header)

# Ed25519, no security counter, align 8, not padded.
run "$TOOL" sign --key ed25519.pem --version 0.9.0 --align 8 "${common[@]}" \
  payload-64k.bin "$WORK/ed-nosc.bin"
expect 0 "sign ed25519 0.9.0"
cmp "$WORK/ed-nosc.bin" ed25519-v0.9.0-nosc-align8.bin ||
  fail "ed25519-v0.9.0-nosc-align8.bin not reproduced byte for byte"
echo "ok: ed25519-v0.9.0-nosc-align8.bin reproduced byte for byte"

# Ed25519, security counter auto, padded to a 256 KiB slot, confirmed.
run "$TOOL" sign --key ed25519.pem --version 1.2.3+45 --security-counter auto \
  --align 4 --slot-size 0x40000 --pad --confirm "${common[@]}" \
  payload-200k.bin "$WORK/ed-padded.bin"
expect 0 "sign ed25519 1.2.3+45 padded"
has "$WORK/out" "security counter 16908291" "auto security counter"
cmp "$WORK/ed-padded.bin" ed25519-v1.2.3-auto-padded-confirmed.bin ||
  fail "ed25519-v1.2.3-auto-padded-confirmed.bin not reproduced byte for byte"
echo "ok: ed25519-v1.2.3-auto-padded-confirmed.bin reproduced byte for byte"

# Without --confirm the only difference is image_ok (24 bytes from the
# end with 8-byte trailer fields): one byte, 0x01 -> 0xff.
run "$TOOL" sign --key ed25519.pem --version 1.2.3+45 --security-counter auto \
  --align 4 --slot-size 0x40000 --pad "${common[@]}" \
  payload-200k.bin "$WORK/ed-unconfirmed.bin"
expect 0 "sign ed25519 padded, not confirmed"
diffs=$(cmp -l "$WORK/ed-unconfirmed.bin" ed25519-v1.2.3-auto-padded-confirmed.bin || true)
[[ $(echo "$diffs" | wc -l) -eq 1 ]] || fail "unconfirmed image differs in more than image_ok: $diffs"
read -r pos ours theirs <<<"$diffs"
[[ $pos -eq $((0x40000 - 24 + 1)) && $ours == 377 && $theirs == 1 ]] ||
  fail "image_ok difference at byte $pos ($ours vs $theirs), want byte $((0x40000 - 23)) 377 vs 1"
echo "ok: without --confirm only image_ok differs"

# ecdsa NAME KEY VERSION COUNTER PAYLOAD: re-sign like imgtool's NAME.
ecdsa() {
  local ref=$1 key=$2 ver=$3 cnt=$4 payload=$5
  local img_size tlv_off sig_off ref_sig_len ours tries=0
  img_size=$(filesize "$payload")
  tlv_off=$((512 + img_size + 12))           # header room, payload, SEC_CNT area
  sig_off=$((tlv_off + 4 + 36 + 36 + 4))     # info, SHA256, KEYHASH, sig header
  ref_sig_len=$(le16 "$ref" $((sig_off - 2)))
  [[ $(le16 "$ref" $((sig_off - 4))) -eq 34 ]] || fail "$ref: no ECDSA TLV at $((sig_off - 4))"
  [[ $(filesize "$ref") -eq $((sig_off + ref_sig_len)) ]] || fail "$ref: signature is not last"
  ours=$WORK/$ref
  # A DER signature is 70 to 72 bytes (about half are 71): re-sign until
  # ours has imgtool's length, so that every other byte must match.
  while :; do
    run "$TOOL" sign --key "$key" --version "$ver" --security-counter "$cnt" \
      --align 4 "${common[@]}" "$payload" "$ours"
    expect 0 "sign $ref"
    [[ $(le16 "$ours" $((sig_off - 2))) -eq $ref_sig_len ]] && break
    tries=$((tries + 1))
    (( tries < 40 )) || fail "$ref: no $ref_sig_len-byte signature in 40 tries"
  done
  [[ $(filesize "$ours") -eq $(filesize "$ref") ]] || fail "$ref: sizes differ"
  cmp -n "$sig_off" "$ours" "$ref" || fail "$ref: bytes before the signature differ"
  cmp -s "$ours" "$ref" && fail "$ref: identical signature (ECDSA must be randomized)"
  # The signature signs the SHA-256 of [0, tlv_off): check it with OpenSSL.
  head -c "$tlv_off" "$ours" >"$WORK/signed"
  tail -c "$ref_sig_len" "$ours" >"$WORK/sig.der"
  openssl pkey -in "$key" -pubout -out "$WORK/pub.pem"
  openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig.der" "$WORK/signed" >/dev/null ||
    fail "$ref: openssl does not verify our signature"
  # And the digest in the SHA256 TLV is that SHA-256.
  local want got
  want=$(openssl dgst -sha256 -r "$WORK/signed" | cut -d' ' -f1)
  got=$(od -An -tx1 -v -j $((tlv_off + 8)) -N 32 "$ours" | tr -d ' \n')
  [[ $want == "$got" ]] || fail "$ref: SHA256 TLV $got, want $want"
  run "$TOOL" verify --key "$key" "$ours"
  expect 0 "verify re-signed $ref"
  echo "ok: $ref re-signed: identical but for the signature ($((tries + 1)) signing(s)); openssl and lib/image verify it"
}

ecdsa ec256-v1.2.3-sc7.bin ec256.pem 1.2.3+45 7 payload-200k.bin
ecdsa ec256-v2.0.0-sc8.bin ec256.pem 2.0.0 8 payload-64k.bin
ecdsa untrusted-key-v3.0.0.bin other-ec256.pem 3.0.0 9 payload-64k.bin

# info --json is imgtool's dumpinfo, for imgtool's files and for ours.
for f in ec256-v1.2.3-sc7 ec256-v2.0.0-sc8 ed25519-v0.9.0-nosc-align8 \
         ed25519-v1.2.3-auto-padded-confirmed; do
  run "$TOOL" info --json "$f.bin"
  expect 0 "info --json $f.bin"
  diff -u "$f.dumpinfo.json" "$WORK/out" || fail "info --json $f.bin differs from imgtool's dumpinfo"
done
cp "$WORK/ed-padded.bin" "$WORK/ed25519-v1.2.3-auto-padded-confirmed.bin"
run "$TOOL" info --json "$WORK/ed25519-v1.2.3-auto-padded-confirmed.bin"
diff -u ed25519-v1.2.3-auto-padded-confirmed.dumpinfo.json "$WORK/out" ||
  fail "info --json of our padded image differs from imgtool's dumpinfo"
echo "ok: info --json matches imgtool's dumpinfo for all four images"
