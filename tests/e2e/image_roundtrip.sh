#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwark-image's own round trips and error handling:
#   - keygen -> sign -> verify for ecdsa-p256 and ed25519; keys are PKCS#8
#     PEM, mode 0600, never overwritten without --force;
#   - verify with the wrong key or a damaged signature fails (exit 1) with
#     the reason; with the public key from getpub it succeeds;
#   - getpub's C array compiles and holds exactly the bytes of
#     `openssl pkey -pubout -outform DER`;
#   - trailers for 32-byte fields, RAM_LOAD, slot overflow, header checks;
#   - usage errors exit 2, --help exits 0 for every subcommand.
source "$(dirname "$0")/image_common.bash"
P64=$VEC/payload-64k.bin
cd "$WORK"

for type in ecdsa-p256 ed25519; do
  key=$WORK/$type.pem
  run "$TOOL" keygen --type "$type" -o "$key"
  expect 0 "keygen $type"
  [[ $(stat -c %a "$key") == 600 ]] || fail "$key mode $(stat -c %a "$key"), want 600"
  head -1 "$key" | grep -qx -- "-----BEGIN PRIVATE KEY-----" || fail "$key is not PKCS#8 PEM"
  openssl pkey -in "$key" -noout || fail "openssl cannot read $key"
  openssl pkey -in "$key" -text -noout | grep -qi "$([[ $type == ed25519 ]] && echo ED25519 || echo prime256v1)" ||
    fail "$key is not an $type key"

  # Never replace a key by accident; --force does.
  cp "$key" "$WORK/saved.pem"
  run "$TOOL" keygen --type "$type" -o "$key"
  expect 1 "keygen over an existing key"
  has "$WORK/err" "$key: already exists" "keygen refusal"
  cmp -s "$key" "$WORK/saved.pem" || fail "keygen changed $key without --force"
  run "$TOOL" keygen --type "$type" -o "$key" --force
  expect 0 "keygen --force"
  cmp -s "$key" "$WORK/saved.pem" && fail "keygen --force kept the old key"
  [[ $(stat -c %a "$key") == 600 ]] || fail "$key mode after --force"

  img=$WORK/$type.bin
  run "$TOOL" sign --key "$key" --version 4.5.6+7 --security-counter 0x10 \
    --header-size 0x100 --pad-header "$P64" "$img"
  expect 0 "sign with $type"
  run "$TOOL" verify --key "$key" "$img"
  expect 0 "verify $type image with its key"
  has "$WORK/out" "version           4.5.6+7" "$type version"
  has "$WORK/out" "security counter  16 (0x00000010)" "$type counter"
  # The public key alone (getpub --lang pem) is enough to verify.
  run "$TOOL" getpub --key "$key" --lang pem
  expect 0 "getpub --lang pem"
  cp "$WORK/out" "$WORK/$type.pub.pem"
  run "$TOOL" verify --key "$WORK/$type.pub.pem" "$img"
  expect 0 "verify with the public key"
  # Wrong keys: the imgtool test keys of both types.
  run "$TOOL" verify --key "$VEC/ec256.pem" --key "$VEC/ed25519.pem" "$img"
  expect 1 "verify $type image with the wrong keys"
  has "$WORK/err" "key check" "wrong key reason"
  has "$WORK/err" "(BW_EKEY)" "wrong key code"
  # A damaged signature (a bit of its last byte flipped) never verifies.
  len=$(filesize "$img")
  cp "$img" "$WORK/bad.bin"
  last=$(od -An -tu1 -j $((len - 1)) -N 1 "$img" | tr -d ' ')
  printf "\\$(printf %03o $((last ^ 0x01)))" |
    dd of="$WORK/bad.bin" bs=1 seek=$((len - 1)) conv=notrunc status=none
  run "$TOOL" verify --key "$key" "$WORK/bad.bin"
  expect 1 "verify with a damaged signature"
  has "$WORK/err" "signature check" "damaged signature reason"
  echo "ok: $type keygen, sign, verify, wrong key, damaged signature"

  # getpub: the C array compiles and holds the DER SubjectPublicKeyInfo.
  run "$TOOL" getpub --key "$key" --name test_key
  expect 0 "getpub --lang c"
  cp "$WORK/out" "$WORK/key.h"
  cat >"$WORK/dump.c" <<'C'
#include <stdio.h>
#include "key.h"
int main(void)
{
    return fwrite(test_key, 1, test_key_len, stdout) == test_key_len ? 0 : 1;
}
C
  cc -std=c11 -Wall -Wextra -Wpedantic -Werror -c "$WORK/dump.c" -I "$WORK" -o "$WORK/dump.o" ||
    fail "getpub's C output does not compile"
  cc "$WORK/dump.o" -o "$WORK/dump" || fail "link dump"
  "$WORK/dump" >"$WORK/c.der"
  openssl pkey -in "$key" -pubout -outform DER -out "$WORK/openssl.der"
  cmp "$WORK/c.der" "$WORK/openssl.der" || fail "getpub C array differs from openssl's DER"
  run "$TOOL" getpub --key "$key" --lang der
  expect 0 "getpub --lang der"
  cmp "$WORK/out" "$WORK/openssl.der" || fail "getpub --lang der differs from openssl's DER"
  echo "ok: $type getpub C array compiles and equals openssl's DER"
done

# Default names are imgtool's.
run "$TOOL" getpub --key "$VEC/ec256.pem"
has "$WORK/out" "const unsigned char ecdsa_pub_key[] = {" "default C name"
has "$WORK/out" "const unsigned int ecdsa_pub_key_len = 91;" "default C length"

# 32-byte write size: trailer fields of 32 bytes, the magic that carries
# the field size (20 00 2d e1 ...), image_ok 64 bytes from the end.
key=$WORK/ed25519.pem
run "$TOOL" sign --key "$key" --version 1.0.0 --align 32 --slot-size 0x20000 \
  --confirm --pad-header --header-size 0x200 "$P64" "$WORK/a32.bin"
expect 0 "sign --align 32 --confirm"
[[ $(filesize "$WORK/a32.bin") -eq $((0x20000)) ]] || fail "padded size"
tailhex=$(tail -c 16 "$WORK/a32.bin" | od -An -tx1 -v | tr -d ' \n')
[[ $tailhex == 20002de15d29410b8d77679c110f1f8a ]] || fail "32-byte trailer magic $tailhex"
ok=$(od -An -tu1 -j $((0x20000 - 64)) -N 1 "$WORK/a32.bin" | tr -d ' ')
[[ $ok == 1 ]] || fail "image_ok at -64 is $ok"
run "$TOOL" info "$WORK/a32.bin"
expect 0 "info a32"
has "$WORK/out" "field size 32" "info trailer field size"
has "$WORK/out" "image_ok          0x01 (set)" "info image_ok"
run "$TOOL" verify --key "$key" "$WORK/a32.bin"
expect 0 "verify padded 32-byte-aligned image"
echo "ok: 32-byte trailer"

# --load-addr marks the image RAM_LOAD, as imgtool does.
run "$TOOL" sign --key "$key" --version 1.0.0 --load-addr 0x20000000 --pad-header "$P64" "$WORK/ram.bin"
expect 0 "sign --load-addr"
run "$TOOL" info "$WORK/ram.bin"
has "$WORK/out" "load_addr         0x20000000" "load address"
has "$WORK/out" "(RAM_LOAD)" "RAM_LOAD flag"

# The image and the trailer must fit in the slot.
run "$TOOL" sign --key "$key" --version 1.0.0 --slot-size 0x10000 --pad --pad-header "$P64" "$WORK/big.bin"
expect 1 "sign into a slot too small"
has "$WORK/err" "do not fit in the 65536-byte slot" "slot overflow message"
[[ ! -e $WORK/big.bin ]] || fail "an image that does not fit was written"

# Without --pad-header the header room must be zeros, as imgtool wants.
run "$TOOL" sign --key "$key" --version 1.0.0 --header-size 0x200 "$P64" "$WORK/nopad.bin"
expect 1 "sign without header room"
has "$WORK/err" "$P64: byte" "header room message"
head -c 512 /dev/zero >"$WORK/zero-led.bin"
cat "$P64" >>"$WORK/zero-led.bin"
run "$TOOL" sign --key "$key" --version 0.9.0 --header-size 0x200 --align 8 "$WORK/zero-led.bin" "$WORK/z.bin"
expect 0 "sign with zeroed header room"
run "$TOOL" verify --key "$key" "$WORK/z.bin"
expect 0 "verify zero-led image"

# Files that cannot be read are named in the message.
run "$TOOL" verify --key "$key" "$WORK/missing.bin"
expect 1 "verify a missing file"
has "$WORK/err" "$WORK/missing.bin: cannot open" "missing file message"
run "$TOOL" sign --key "$WORK/nokey.pem" --version 1 "$P64" "$WORK/x.bin"
expect 1 "sign with a missing key"
has "$WORK/err" "$WORK/nokey.pem: cannot open" "missing key message"
run "$TOOL" verify --key "$P64" "$VEC/ec256-v2.0.0-sc8.bin"
expect 1 "verify with a key file that is not a key"
has "$WORK/err" "$P64: not a PEM or DER key" "bad key message"
run "$TOOL" sign --key "$WORK/ed25519.pub.pem" --version 1 --pad-header "$P64" "$WORK/x.bin"
expect 1 "sign with a public key"
has "$WORK/err" "signing needs the private key" "public key signing message"
echo "ok: failures exit 1 and name the file"

# Usage errors exit 2; --help exits 0.
usage() { run "$TOOL" "$@"; expect 2 "usage error: $*"; }
usage
usage frobnicate
usage keygen --type rsa -o "$WORK/r.pem"
usage keygen --type ed25519
usage sign --key "$key" "$P64" "$WORK/x.bin"
usage sign --key "$key" --version 1.2 "$P64"
usage sign --key "$key" --version 256.0.0 "$P64" "$WORK/x.bin"
usage sign --key "$key" --version 1.02 "$P64" "$WORK/x.bin"
usage sign --key "$key" --version 1 --align 3 "$P64" "$WORK/x.bin"
usage sign --key "$key" --version 1 --header-size 16 "$P64" "$WORK/x.bin"
usage sign --key "$key" --version 1 --pad "$P64" "$WORK/x.bin"
usage sign --key "$key" --version 1 --security-counter 0x1g "$P64" "$WORK/x.bin"
usage sign --key "$key" --version 1 --bogus "$P64" "$WORK/x.bin"
usage verify "$VEC/ec256-v2.0.0-sc8.bin"
usage verify --key "$key"
usage info
usage getpub --key "$key" --lang rust
usage getpub --key "$key" --name "1bad"
[[ ! -e $WORK/x.bin ]] || fail "a usage error wrote an output"
for cmd in keygen sign verify info getpub; do
  run "$TOOL" "$cmd" --help
  expect 0 "$cmd --help"
  has "$WORK/out" "usage: bulwark-image $cmd" "$cmd --help text"
done
run "$TOOL" --help
expect 0 "--help"
echo "ok: usage errors exit 2, --help exits 0"
