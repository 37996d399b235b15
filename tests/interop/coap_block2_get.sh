#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Block-wise GET (RFC 7959 Block2) of a 64 KiB resource by libcoap's client.
# Tried: the client's default, then every block size from 16 to 1024 bytes
# (the client asks for the smaller size: late negotiation).  Must hold: the
# bytes received are exactly the file the server serves.
source "$(dirname "$0")/common.bash"

head -c 65536 /dev/urandom >"$WORK/big.bin"
start_server --file "$WORK/big.bin"

"$CLIENT" -B 30 -o "$WORK/out" "coap://127.0.0.1:$PORT/big" || fail "GET /big exited $?"
cmp "$WORK/big.bin" "$WORK/out" || fail "default block size: content differs"
echo "ok: default block size, 65536 bytes identical"

for size in 16 32 64 128 256 512 1024; do
  rm -f "$WORK/out"
  "$CLIENT" -B 60 -b "$size" -o "$WORK/out" "coap://127.0.0.1:$PORT/big" || fail "GET -b $size exited $?"
  cmp "$WORK/big.bin" "$WORK/out" || fail "block size $size: content differs"
  echo "ok: block size $size, 65536 bytes identical"
done

# Start in the middle (block 10 of 1024 bytes): the server serves from
# that offset, as a resumed download needs.  libcoap 4.3's client fetches
# just that block; a later one may go on to the end.  Either way the bytes
# must be the file's from offset 10240 on.
rm -f "$WORK/out"
"$CLIENT" -B 30 -b 10,1024 -o "$WORK/out" "coap://127.0.0.1:$PORT/big" || fail "GET from block 10 exited $?"
got=$(stat -c %s "$WORK/out")
(( got >= 1024 )) || fail "GET from block 10: only $got bytes"
(( got <= 65536 - 10240 )) || fail "GET from block 10: $got bytes, more than the rest of the file"
cmp -n "$got" -i 10240:0 "$WORK/big.bin" "$WORK/out" ||
  fail "GET from block 10: bytes differ from the file at offset 10240"
echo "ok: GET from block 10 returns $got bytes from offset 10240"
