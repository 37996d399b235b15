#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bulwark-coap-client over plain UDP against libcoap's coap-server-notls.
# Tried: GET of the server's root and /time; a 64 KiB random body PUT
# block-wise (Block1) to a new resource at three block sizes and read back
# with Block2; a GET of a missing resource; DELETE; a server that is not
# there; command-line mistakes.  Must hold: bodies come back byte for byte,
# exit status 0 on 2.xx, 3 (and the code on stderr) on 4.xx, 1 with a
# reason when nothing answers, 2 on usage errors; a failed download leaves
# no output file behind.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/dtls_common.bash"

start_libcoap coap-server-notls -d 20
URL=coap://127.0.0.1:$PORT

expect_exit 0 "GET /" "$BWCLI" -o "$WORK/root" "$URL/"
grep -q libcoap "$WORK/root" || fail "GET /: unexpected body: $(head -c 200 "$WORK/root")"
expect_exit 0 "GET /time" "$BWCLI" -o "$WORK/time" "$URL/time"
[[ -s $WORK/time ]] || fail "GET /time: empty body"
echo "ok: GET / and /time"

head -c 65536 /dev/urandom >"$WORK/in.bin"
for size in 1024 256 64; do
  expect_exit 0 "PUT 64 KiB in $size-byte blocks" \
    "$BWCLI" -m put -b "$size" -f "$WORK/in.bin" "$URL/up$size"
  rm -f "$WORK/out"
  expect_exit 0 "GET back /up$size" "$BWCLI" -b "$size" -o "$WORK/out" "$URL/up$size"
  cmp "$WORK/in.bin" "$WORK/out" || fail "block size $size: the body read back differs"
  echo "ok: 64 KiB PUT and GET in $size-byte blocks, identical"
done

# Body from stdin, a size that is no multiple of the block size.
head -c 3001 /dev/urandom >"$WORK/odd.bin"
expect_exit 0 "PUT from stdin" "$BWCLI" -m put -b 512 -f - "$URL/odd" <"$WORK/odd.bin"
expect_exit 0 "GET /odd" "$BWCLI" -o "$WORK/out" "$URL/odd"
cmp "$WORK/odd.bin" "$WORK/out" || fail "3001-byte body from stdin differs"
echo "ok: 3001-byte body from stdin"

expect_exit 3 "GET of a missing resource" "$BWCLI" -o "$WORK/missing" "$URL/no/such/thing"
expect_reason '4\.04' "GET of a missing resource"
[[ ! -e $WORK/missing ]] || fail "a 4.04 left an output file behind"
echo "ok: 4.04 gives exit 3 and the code"

expect_exit 0 "DELETE /odd" "$BWCLI" -m delete "$URL/odd"
expect_exit 3 "GET after DELETE" "$BWCLI" "$URL/odd"
expect_reason '4\.04' "GET after DELETE"
echo "ok: DELETE"

# A port nobody listens on: ICMP port unreachable, or silence until the
# timeout.  Either way exit 1 with a reason, quickly.
stop_libcoap
expect_exit 1 "GET from a closed port" "$BWCLI" --timeout 5 "$URL/time"
expect_reason 'network|timed out|no response' "GET from a closed port"
echo "ok: nothing listening gives exit 1 with a reason"

expect_exit 2 "no URI" "$BWCLI"
expect_exit 2 "http URI" "$BWCLI" "http://127.0.0.1/"
expect_exit 2 "block size 100" "$BWCLI" -b 100 "$URL/"
expect_exit 2 "unknown method" "$BWCLI" -m fetch "$URL/"
expect_exit 2 "-f with GET" "$BWCLI" -f "$WORK/in.bin" "$URL/"
expect_exit 2 "credentials for coap://" "$BWCLI" --cert-mode "$URL/"
expect_exit 2 "coaps:// without credentials" "$BWCLI" "coaps://127.0.0.1:$DPORT/"
expect_exit 2 "bad escape" "$BWCLI" "$URL/a%zz"
echo "ok: usage errors give exit 2"
