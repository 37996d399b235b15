/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the ClientHello parser and the cookie exchange with whole
 * datagrams.
 *
 * A refused datagram must give one of the listed codes and a zeroed view.
 * For an accepted one: every pointer of the view lies inside the input;
 * the cookie is deterministic; the HelloVerifyRequest built for it is 44
 * bytes, parses as one epoch-0 handshake record and echoes the hello's
 * record version, record sequence number and message_seq and the cookie.
 * Then the cookie is spliced into the hello in place of the one it
 * carried (all three enclosing lengths fixed up): that datagram must
 * parse and pass bw_dtls_cookie_check() for the same peer and secret,
 * also as the previous secret, and fail for another secret or peer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_hello.h"
#include "dtls_record.h"

#define SPLICE_MAX 4096

static const uint8_t secret[BW_DTLS_COOKIE_SECRET_LEN] = {0x11, 0x22, 0x33};
static const uint8_t other[BW_DTLS_COOKIE_SECRET_LEN] = {0x44, 0x55, 0x66};
static const uint8_t peer[18] = {0x0a, 0x00, 0x16, 0x34, 0, 0, 0, 0, 0x20,
                                 0x01, 0x0d, 0xb8, 0,    0, 0, 0, 0, 1};

static int inside(const uint8_t *p, size_t n, const uint8_t *d, size_t size)
{
    return p != NULL && p >= d && p + n <= d + size;
}

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

static size_t get16(const uint8_t *p)
{
    return (size_t)p[0] << 8 | p[1];
}

static size_t get24(const uint8_t *p)
{
    return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

static void check_hvr(const bw_dtls_hello_t *h, const uint8_t *cookie)
{
    uint8_t out[64];
    size_t n = 0;
    if (bw_dtls_hvr_build(h, cookie, out, sizeof out, &n) != 0 || n != 44)
        abort();
    const uint8_t *p = out;
    size_t left = n;
    bw_dtls_rec_t r;
    if (bw_dtls_rec_next(&p, &left, &r) != 0 || left != 0 ||
        r.type != BW_DTLS_CT_HANDSHAKE || r.epoch != 0 ||
        r.version != h->record_version || r.seq != h->record_seq)
        abort();
    const uint8_t *f = r.fragment;
    if (f[0] != 3 || get24(f + 1) != 19 || get16(f + 4) != h->message_seq ||
        get24(f + 6) != 0 || get24(f + 9) != 19 || get16(f + 12) != 0xfeff ||
        f[14] != BW_DTLS_COOKIE_LEN ||
        memcmp(f + 15, cookie, BW_DTLS_COOKIE_LEN) != 0)
        abort();
}

/* Replace the hello's cookie with ours and fix the record, message and
 * fragment lengths; 0 if the result would not fit its length fields. */
static size_t splice(const uint8_t *d, size_t size, const bw_dtls_hello_t *h,
                     const uint8_t *cookie, uint8_t *out)
{
    size_t at = (size_t)(h->cookie - d); /* first cookie byte */
    size_t rec_len = get16(d + 11), msg_len = get24(d + 14);
    size_t grow = BW_DTLS_COOKIE_LEN;
    size_t end = 13 + rec_len; /* only the first record is kept */
    if (rec_len - h->cookie_len + grow > BW_DTLS_MAX_PLAINTEXT + 2048 ||
        end - h->cookie_len + grow > SPLICE_MAX)
        return 0;
    memcpy(out, d, at);
    out[at - 1] = BW_DTLS_COOKIE_LEN;
    memcpy(out + at, cookie, BW_DTLS_COOKIE_LEN);
    size_t rest = at + h->cookie_len;
    memcpy(out + at + grow, d + rest, end - rest);
    put16(out + 11, rec_len - h->cookie_len + grow);
    put24(out + 14, msg_len - h->cookie_len + grow);
    put24(out + 22, msg_len - h->cookie_len + grow);
    (void)size;
    return end - h->cookie_len + grow;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t spliced[SPLICE_MAX];
    bw_dtls_hello_t h, h2;
    uint8_t c1[BW_DTLS_COOKIE_LEN], c2[BW_DTLS_COOKIE_LEN];

    int err = bw_dtls_hello_parse(data, size, &h);
    if (err != 0) {
        static const bw_dtls_hello_t zero;
        if (err != BW_ETRUNC && err != BW_EMALFORMED && err != BW_EVERSION &&
            err != BW_EUNSUPPORTED && err != BW_ETYPE)
            abort();
        if (memcmp(&h, &zero, sizeof h) != 0)
            abort();
        return 0;
    }
    if (!inside(h.random, 32, data, size) ||
        !inside(h.session_id, h.session_id_len, data, size) ||
        !inside(h.cookie, h.cookie_len, data, size) ||
        !inside(h.cipher_suites, h.cipher_suites_len, data, size) ||
        !inside(h.compression, h.compression_len, data, size) ||
        h.session_id_len > 32 || h.cipher_suites_len == 0 ||
        h.cipher_suites_len % 2 != 0 || h.compression_len == 0)
        abort();

    const size_t plen = sizeof peer;
    if (bw_dtls_cookie_make(secret, peer, plen, &h, c1) != 0 ||
        bw_dtls_cookie_make(secret, peer, plen, &h, c2) != 0 ||
        memcmp(c1, c2, sizeof c1) != 0)
        abort();
    check_hvr(&h, c1);

    size_t n = splice(data, size, &h, c1, spliced);
    if (n == 0)
        return 0;
    if (bw_dtls_hello_parse(spliced, n, &h2) != 0 ||
        h2.cookie_len != BW_DTLS_COOKIE_LEN ||
        memcmp(h2.cookie, c1, BW_DTLS_COOKIE_LEN) != 0)
        abort();
    if (bw_dtls_cookie_check(secret, NULL, peer, plen, &h2) != 0 ||
        bw_dtls_cookie_check(other, secret, peer, plen, &h2) != 0 ||
        bw_dtls_cookie_check(other, NULL, peer, plen, &h2) != BW_EAUTH ||
        bw_dtls_cookie_check(secret, other, peer, plen - 1, &h2) != BW_EAUTH)
        abort();
    return 0;
}
