#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `bulwark-image verify` against every file MCUboot's imgtool 2.4.0 made
# (tests/data/mcuboot, README.md there has imgtool's verdicts).  Trusting
# ec256.pem and ed25519.pem, it must accept exactly the four valid images
# with imgtool's version, security counter and digest (from the
# dumpinfo.json files), and refuse every other file with exit 1 and the
# specific reason: untrusted signer BW_EKEY, tampered payload or counter
# BW_EHASH, truncated files BW_ETRUNC at the right stage.  Keys given as
# DER public keys must work as well as the PEM private keys.
source "$(dirname "$0")/image_common.bash"
cd "$VEC"

trust=(--key ec256.pem --key ed25519.pem)

# valid IMAGE VERSION COUNTER DIGEST SIGNER: accepted, facts as imgtool's.
valid() {
  run "$TOOL" verify "${trust[@]}" "$1"
  expect 0 "$1 (valid for imgtool)"
  has "$WORK/out" "$1: OK" "$1"
  has "$WORK/out" "version           $2" "$1 version"
  has "$WORK/out" "security counter  $3" "$1 security counter"
  has "$WORK/out" "digest            $4" "$1 digest"
  has "$WORK/out" "signed by         $5" "$1 signer"
  # The same digest must be in the SHA256 TLV imgtool's dumpinfo shows.
  grep -q "\"data\": \"$4\"" "${1%.bin}.dumpinfo.json" || fail "$1: digest not imgtool's"
  # DER public keys (keys/*.pub.der) are as good as the PEM files.
  run "$TOOL" verify --key keys/ec256.pub.der --key keys/ed25519.pub.der "$1"
  expect 0 "$1 with DER public keys"
  echo "ok: $1 valid, version $2, counter $3"
}

# refused IMAGE CODE CHECK [keys...]: exit 1 with that code and check.
refused() {
  local img=$1 code=$2 check=$3
  shift 3
  run "$TOOL" verify "$@" "$img"
  expect 1 "$img"
  has "$WORK/err" "$img: refused: $check" "$img reason"
  has "$WORK/err" "($code)" "$img code"
  hasnt "$WORK/out" "OK" "$img"
  echo "ok: $img refused: $check ($code)"
}

valid ec256-v1.2.3-sc7.bin 1.2.3+45 "7 (0x00000007)" \
  faddca2fc21cf48e4aa29a06a6ac6ba010c047e255f89ed914b9be7f0c2a10e3 ec256.pem
valid ec256-v2.0.0-sc8.bin 2.0.0+0 "8 (0x00000008)" \
  623712864eb64201454e47bda300816944a9ce7f44cfd0e356bd8f338a639260 ec256.pem
valid ed25519-v1.2.3-auto-padded-confirmed.bin 1.2.3+45 "16908291 (0x01020003)" \
  8d22a3350812e5c45b6d5c3b72a7402bb37d9267406d76a4b93faf91b3e528c0 ed25519.pem
valid ed25519-v0.9.0-nosc-align8.bin 0.9.0+0 "none" \
  c145ee16038854a794e96a54b5d59623c129158563a7d16581444c86151c89ed ed25519.pem

# imgtool: "no signature for this key" with the other key of the pair.
refused ec256-v1.2.3-sc7.bin BW_EKEY "key check" --key ed25519.pem
refused ec256-v2.0.0-sc8.bin BW_EKEY "key check" --key ed25519.pem
refused ed25519-v1.2.3-auto-padded-confirmed.bin BW_EKEY "key check" --key ec256.pem
refused ed25519-v0.9.0-nosc-align8.bin BW_EKEY "key check" --key ec256.pem

refused untrusted-key-v3.0.0.bin BW_EKEY "key check" "${trust[@]}"
refused tampered-payload.bin BW_EHASH "digest check" "${trust[@]}"
refused tampered-seccnt.bin BW_EHASH "digest check" "${trust[@]}"
refused truncated-header.bin BW_ETRUNC "header check" "${trust[@]}"
refused truncated-tlv.bin BW_ETRUNC "TLV check" "${trust[@]}"
# The payloads are not images at all.
refused payload-64k.bin BW_EMAGIC "header check" "${trust[@]}"

# The untrusted image is refused for its key, not its shape: trusting the
# key that signed it, it verifies.
run "$TOOL" verify --key other-ec256.pem untrusted-key-v3.0.0.bin
expect 0 "untrusted-key-v3.0.0.bin with other-ec256.pem"
has "$WORK/out" "version           3.0.0+0" "untrusted image version"

# Every file of the directory has been judged: a new vector must be added
# here, not silently skipped.
judged="ec256-v1.2.3-sc7.bin ec256-v2.0.0-sc8.bin ed25519-v1.2.3-auto-padded-confirmed.bin
ed25519-v0.9.0-nosc-align8.bin untrusted-key-v3.0.0.bin tampered-payload.bin tampered-seccnt.bin
truncated-header.bin truncated-tlv.bin payload-64k.bin payload-200k.bin"
for f in *.bin; do
  [[ " $(echo $judged) " == *" $f "* ]] || fail "$f is not covered by this test"
done
echo "ok: all vectors agree with imgtool"
