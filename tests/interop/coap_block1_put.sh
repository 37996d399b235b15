#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Block-wise PUT (RFC 7959 Block1) by libcoap's client into the example
# server, which streams the blocks to a file.  Tried: several block sizes
# and sizes that are and are not multiples of the block size.  Must hold:
# the file written is byte-for-byte what was sent, and GET returns it.
source "$(dirname "$0")/common.bash"

start_server --upload "$WORK/uploaded.bin"

for spec in "256 20000" "1024 65536" "64 1000" "16 333"; do
  set -- $spec
  head -c "$2" /dev/urandom >"$WORK/in.bin"
  rm -f "$WORK/uploaded.bin"
  "$CLIENT" -B 30 -m put -b "$1" -f "$WORK/in.bin" "coap://127.0.0.1:$PORT/upload" ||
    fail "PUT -b $1 of $2 bytes exited $?"
  cmp "$WORK/in.bin" "$WORK/uploaded.bin" || fail "PUT -b $1 of $2 bytes: file differs"
  rm -f "$WORK/out"
  "$CLIENT" -B 30 -o "$WORK/out" "coap://127.0.0.1:$PORT/upload" || fail "GET /upload exited $?"
  cmp "$WORK/in.bin" "$WORK/out" || fail "GET /upload after PUT -b $1: content differs"
  echo "ok: PUT of $2 bytes in $1-byte blocks stored and read back"
done
