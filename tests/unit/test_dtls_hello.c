/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ClientHello parser, the cookie and the HelloVerifyRequest, on
 * hand-built datagrams.  Malformed hellos (every truncation of the
 * datagram, every truncation of the body with the outer lengths kept
 * consistent, overlong vector lengths, fragments, wrong handshake or
 * content type, epoch 1, bad versions) must give the exact code and a
 * zeroed view; the HelloVerifyRequest must match RFC 6347 4.2.1 / 4.3.2
 * byte for byte; the cookie must cover exactly the fields the second
 * hello repeats, and the peer.  The exchange with a real OpenSSL client is
 * in test_dtls_openssl.c.
 */
#include <string.h>

#include "dtls_hello.h"
#include "dtls_record.h"
#include "testutil.h"

#define BODY_AT 25 /* record header (13) + handshake header (12) */

/*
 * Body of a DTLS 1.2 ClientHello: version, random (00..1f), session id
 * "SSSS", empty cookie, three suites (PSK-AES128-CCM8,
 * PSK-AES128-GCM-SHA256, the renegotiation SCSV), null compression, one
 * extension (signature_algorithms, 2 bytes of list).
 */
static const char body_hex[] =
    "fefd"
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "04 53535353"
    "00"
    "0006 c0a8 00a8 00ff"
    "01 00"
    "0008 000d 0004 0002 0401";
/* Offsets inside that body. */
enum {
    OFF_SID_LEN = 34,
    OFF_COOKIE_LEN = 39,
    OFF_CS_LEN = 40,
    OFF_COMP_LEN = 48,
    OFF_EXT_LEN = 50,
    LEN_NO_EXT = 50,
};

static uint8_t body[256];
static size_t body_len;

static void put24(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

/* Record header (handshake, DTLS 1.0 as OpenSSL sends it, epoch 0,
 * seq 0x0102030405), handshake header (ClientHello, message_seq 0,
 * unfragmented) and blen bytes of b, all lengths consistent. */
static size_t wrap(const uint8_t *b, size_t blen, uint8_t *out)
{
    bw_dtls_rec_header(out, BW_DTLS_CT_HANDSHAKE, BW_DTLS_VERSION_10, 0,
                       UINT64_C(0x0102030405), (uint16_t)(12 + blen));
    out[13] = 1;
    put24(out + 14, blen);
    out[17] = 0;
    out[18] = 0;
    put24(out + 19, 0);
    put24(out + 22, blen);
    memcpy(out + BODY_AT, b, blen);
    return BODY_AT + blen;
}

static int setup(void **state)
{
    (void)state;
    body_len = bw_test_hex(body_hex, body, sizeof body);
    return 0;
}

static void expect(const uint8_t *d, size_t n, int want)
{
    bw_dtls_hello_t h;
    memset(&h, 0xa5, sizeof h);
    bw_assert_err(bw_dtls_hello_parse(d, n, &h), want);
    if (want != 0) {
        bw_dtls_hello_t zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&h, &zero, sizeof h);
    }
}

/* The reference hello parses into a view pointing into the datagram; a
 * second record after it and bytes after the message inside the record
 * are left alone. */
static void test_parse_valid(void **state)
{
    (void)state;
    uint8_t d[512];
    size_t n = wrap(body, body_len, d);
    bw_dtls_hello_t h;
    bw_assert_err(bw_dtls_hello_parse(d, n, &h), 0);
    assert_int_equal(h.record_version, BW_DTLS_VERSION_10);
    assert_true(h.record_seq == UINT64_C(0x0102030405));
    assert_int_equal(h.message_seq, 0);
    assert_int_equal(h.client_version, BW_DTLS_VERSION_12);
    assert_ptr_equal(h.random, d + BODY_AT + 2);
    assert_int_equal(h.session_id_len, 4);
    assert_memory_equal(h.session_id, "SSSS", 4);
    assert_int_equal(h.cookie_len, 0);
    assert_ptr_equal(h.cookie, d + BODY_AT + OFF_COOKIE_LEN + 1);
    assert_int_equal(h.cipher_suites_len, 6);
    assert_ptr_equal(h.cipher_suites, d + BODY_AT + OFF_CS_LEN + 2);
    assert_int_equal(h.compression_len, 1);
    assert_int_equal(h.compression[0], 0);

    /* Another record after it: ignored. */
    bw_dtls_rec_header(d + n, BW_DTLS_CT_APPDATA, 0xfefd, 1, 0, 0);
    bw_assert_err(bw_dtls_hello_parse(d, n + 13, &h), 0);
    /* A second handshake message inside the same record: ignored. */
    d[11] = (uint8_t)((12 + body_len + 3) >> 8);
    d[12] = (uint8_t)(12 + body_len + 3);
    memcpy(d + n, "\x0e\x00\x00", 3);
    bw_assert_err(bw_dtls_hello_parse(d, n + 3, &h), 0);

    /* Without extensions, and with a DTLS 1.0 client version. */
    n = wrap(body, LEN_NO_EXT, d);
    d[BODY_AT + 1] = 0xff;
    bw_assert_err(bw_dtls_hello_parse(d, n, &h), 0);
    assert_int_equal(h.client_version, BW_DTLS_VERSION_10);
}

/* Every proper prefix of the datagram is BW_ETRUNC: the record header or
 * the record length says more is coming. */
static void test_every_datagram_truncation(void **state)
{
    (void)state;
    uint8_t d[512];
    size_t n = wrap(body, body_len, d);
    for (size_t cut = 0; cut < n; cut++)
        expect(d, cut, BW_ETRUNC);
}

/* Every prefix of the body, rewrapped so record and message lengths agree
 * with it, is BW_EMALFORMED: the message claims to be whole but a field
 * is missing.  The one exception is the cut right before the extensions,
 * which is a valid hello without any. */
static void test_every_body_truncation(void **state)
{
    (void)state;
    uint8_t d[512];
    for (size_t cut = 0; cut < body_len; cut++) {
        size_t n = wrap(body, cut, d);
        expect(d, n, cut == LEN_NO_EXT ? 0 : BW_EMALFORMED);
    }
}

static void expect_body(const uint8_t *b, size_t blen, int want)
{
    uint8_t d[512];
    expect(d, wrap(b, blen, d), want);
}

/* Length fields that overrun the message, or break a rule of their own
 * (session id over 32, odd or empty suites, no compression method), are
 * BW_EMALFORMED. */
static void test_overlong_lengths(void **state)
{
    (void)state;
    uint8_t b[256];
    static const struct {
        size_t off;
        uint8_t val;
    } one_byte[] = {
        {OFF_SID_LEN, 33},       /* more than 32 */
        {OFF_SID_LEN, 0xff},     /* past the end */
        {OFF_COOKIE_LEN, 0xff},  /* past the end */
        {OFF_COOKIE_LEN, 20},    /* eats the rest, suites missing */
        {OFF_CS_LEN + 1, 0x05},  /* odd */
        {OFF_CS_LEN + 1, 0x00},  /* empty */
        {OFF_CS_LEN, 0x10},      /* past the end */
        {OFF_CS_LEN + 1, 0x08},  /* swallows compression */
        {OFF_COMP_LEN, 0x00},    /* no method */
        {OFF_COMP_LEN, 0xff},    /* past the end */
        {OFF_EXT_LEN + 1, 0x09}, /* block longer than the rest */
        {OFF_EXT_LEN + 1, 0x07}, /* block shorter than the rest */
        {OFF_EXT_LEN + 5, 0x05}, /* one extension past its block */
    };
    for (size_t i = 0; i < sizeof one_byte / sizeof one_byte[0]; i++) {
        memcpy(b, body, body_len);
        b[one_byte[i].off] = one_byte[i].val;
        expect_body(b, body_len, BW_EMALFORMED);
    }
    /* One stray byte where the extensions block would start. */
    memcpy(b, body, LEN_NO_EXT);
    b[LEN_NO_EXT] = 0;
    expect_body(b, LEN_NO_EXT + 1, BW_EMALFORMED);
    /* A session id of exactly 32 bytes is fine. */
    uint8_t big[300];
    memcpy(big, body, OFF_SID_LEN);
    big[OFF_SID_LEN] = 32;
    memset(big + OFF_SID_LEN + 1, 'S', 32);
    memcpy(big + OFF_SID_LEN + 33, body + OFF_SID_LEN + 5,
           body_len - OFF_SID_LEN - 5);
    expect_body(big, body_len + 28, 0);
}

/* Handshake header problems: fragments are BW_EUNSUPPORTED, a fragment
 * reaching past its message BW_EMALFORMED, a fragment longer than its
 * record or a record too short for the header BW_ETRUNC. */
static void test_fragments(void **state)
{
    (void)state;
    uint8_t d[512];
    size_t n = wrap(body, body_len, d);

    put24(d + 22, body_len - 1); /* first part only */
    expect(d, n, BW_EUNSUPPORTED);
    put24(d + 19, 1); /* the rest */
    expect(d, n, BW_EUNSUPPORTED);
    put24(d + 22, body_len); /* offset 1 + whole length: past the end */
    expect(d, n, BW_EMALFORMED);
    put24(d + 19, body_len + 1); /* offset past the message */
    put24(d + 22, 0);
    expect(d, n, BW_EMALFORMED);

    n = wrap(body, body_len, d);
    put24(d + 14, body_len + 1); /* message and fragment longer than record */
    put24(d + 22, body_len + 1);
    expect(d, n, BW_ETRUNC);

    for (size_t rl = 0; rl < 12; rl++) { /* record shorter than a header */
        n = wrap(body, body_len, d);
        d[11] = 0;
        d[12] = (uint8_t)rl;
        expect(d, 13 + rl, BW_ETRUNC);
    }
}

/* Anything but an epoch-0 ClientHello record is BW_ETYPE. */
static void test_wrong_types(void **state)
{
    (void)state;
    uint8_t d[512];
    size_t n;
    static const uint8_t hs_types[] = {0, 2, 3, 11, 16, 20, 255};
    for (size_t i = 0; i < sizeof hs_types; i++) {
        n = wrap(body, body_len, d);
        d[13] = hs_types[i];
        expect(d, n, BW_ETYPE);
    }
    static const uint8_t ct[] = {
        BW_DTLS_CT_CCS, BW_DTLS_CT_ALERT, BW_DTLS_CT_APPDATA, 0, 0x99, 0xff};
    for (size_t i = 0; i < sizeof ct; i++) {
        n = wrap(body, body_len, d);
        d[0] = ct[i];
        expect(d, n, BW_ETYPE);
    }
    n = wrap(body, body_len, d);
    d[4] = 1; /* epoch 1 */
    expect(d, n, BW_ETYPE);
}

/* Record and client versions other than DTLS 1.0 / 1.2 are BW_EVERSION
 * (0xfefc would be a future DTLS, 0x0303 is TLS 1.2). */
static void test_versions(void **state)
{
    (void)state;
    uint8_t d[512];
    static const uint16_t bad[] = {0xfefc, 0xfefe, 0xfe00, 0x0303, 0xfdfd};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = wrap(body, body_len, d);
        d[1] = (uint8_t)(bad[i] >> 8);
        d[2] = (uint8_t)bad[i];
        expect(d, n, BW_EVERSION);
        n = wrap(body, body_len, d);
        d[BODY_AT] = (uint8_t)(bad[i] >> 8);
        d[BODY_AT + 1] = (uint8_t)bad[i];
        expect(d, n, BW_EVERSION);
    }
}

/*
 * The HelloVerifyRequest, byte by byte (RFC 6347 4.2.1 and 4.3.2):
 *   record:    16 | record version of the hello | epoch 0000 |
 *              record seq of the hello | length 001f
 *   handshake: 03 (hello_verify_request) | length 000013 |
 *              message_seq of the hello | offset 000000 | frag 000013
 *   body:      server_version feff (DTLS 1.0) | 10 | cookie (16)
 */
static void test_hvr_layout(void **state)
{
    (void)state;
    uint8_t d[512], out[64], want[64];
    size_t n = wrap(body, body_len, d);
    d[2] = 0xfd;  /* record version 1.2 this time */
    d[10] = 0x77; /* seq 0x0102030477 */
    d[17] = 0x12;
    d[18] = 0x34; /* message_seq 0x1234 */
    bw_dtls_hello_t h;
    bw_assert_err(bw_dtls_hello_parse(d, n, &h), 0);
    uint8_t cookie[BW_DTLS_COOKIE_LEN];
    for (size_t i = 0; i < sizeof cookie; i++)
        cookie[i] = (uint8_t)(0xc0 + i);

    size_t ol = 99;
    bw_assert_err(bw_dtls_hvr_build(&h, cookie, out, 43, &ol), BW_ENOSPC);
    assert_int_equal(ol, 0);
    bw_assert_err(bw_dtls_hvr_build(&h, cookie, out, 44, &ol), 0);
    size_t wl = bw_test_hex("16 fefd 0000 000102030477 001f"
                            "03 000013 1234 000000 000013"
                            "feff 10 c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
                            want, sizeof want);
    assert_int_equal(ol, wl);
    assert_memory_equal(out, want, wl);
}

/* ---- cookie ----------------------------------------------------------- */

static const uint8_t secret[BW_DTLS_COOKIE_SECRET_LEN] = {0x5e, 0xc2, 0xe7};
static const uint8_t peer[6] = {127, 0, 0, 1, 0x16, 0x34};

/* Splice cookie into the reference body (rewrapped) and parse it. */
static size_t hello_with_cookie(const uint8_t *b, size_t blen,
                                const uint8_t *cookie, size_t clen, uint8_t *d,
                                bw_dtls_hello_t *h)
{
    uint8_t nb[300];
    memcpy(nb, b, OFF_COOKIE_LEN);
    nb[OFF_COOKIE_LEN] = (uint8_t)clen;
    memcpy(nb + OFF_COOKIE_LEN + 1, cookie, clen);
    memcpy(nb + OFF_COOKIE_LEN + 1 + clen, b + OFF_COOKIE_LEN + 1,
           blen - OFF_COOKIE_LEN - 1);
    size_t n = wrap(nb, blen + clen, d);
    bw_assert_err(bw_dtls_hello_parse(d, n, h), 0);
    return n;
}

/* The cookie of a hello checks once spliced into it, also when the
 * extensions, message_seq or record seq change (they are not hashed),
 * and fails when any hashed field or the peer changes, or the cookie has
 * another length.  peer_len over BW_DTLS_PEER_MAX is BW_EINVAL. */
static void test_cookie_coverage(void **state)
{
    (void)state;
    uint8_t d[512], b[256], cookie[BW_DTLS_COOKIE_LEN], c2[BW_DTLS_COOKIE_LEN];
    bw_dtls_hello_t h, h2;
    size_t n = wrap(body, body_len, d);
    bw_assert_err(bw_dtls_hello_parse(d, n, &h), 0);
    bw_assert_err(bw_dtls_cookie_make(secret, peer, sizeof peer, &h, cookie),
                  0);
    bw_assert_err(bw_dtls_cookie_make(secret, peer, sizeof peer, &h, c2), 0);
    assert_memory_equal(cookie, c2, sizeof cookie); /* deterministic */

    hello_with_cookie(body, body_len, cookie, sizeof cookie, d, &h2);
    bw_assert_err(bw_dtls_cookie_check(secret, NULL, peer, sizeof peer, &h2),
                  0);
    memcpy(b, d + BODY_AT, body_len + 16);
    b[body_len + 16 - 1] ^= 0xff; /* last extension byte */
    n = wrap(b, body_len + 16, d);
    d[18] = 1; /* message_seq */
    d[10] = 9; /* record seq */
    bw_assert_err(bw_dtls_hello_parse(d, n, &h2), 0);
    assert_int_equal(h2.message_seq, 1);
    bw_assert_err(bw_dtls_cookie_check(secret, NULL, peer, sizeof peer, &h2),
                  0);

    /* The session id is not hashed: a client resuming with a ticket may
     * draw a fresh one for each hello (mbedTLS does), and a cookie bound
     * to it would send such a client round the cookie exchange forever. */
    memcpy(b, body, body_len);
    b[OFF_SID_LEN + 1] ^= 0x01;
    b[OFF_SID_LEN + 4] ^= 0x01;
    hello_with_cookie(b, body_len, cookie, sizeof cookie, d, &h2);
    bw_assert_err(bw_dtls_cookie_check(secret, NULL, peer, sizeof peer, &h2),
                  0);

    /* Each hashed region, one byte changed: version, random, suites,
     * compression (the cookie itself is spliced in afresh). */
    static const size_t hashed[] = {1,
                                    2,
                                    33,
                                    OFF_CS_LEN + 3,
                                    OFF_CS_LEN + 7,
                                    OFF_COMP_LEN + 1};
    for (size_t i = 0; i < sizeof hashed / sizeof hashed[0]; i++) {
        memcpy(b, body, body_len);
        b[hashed[i]] ^= hashed[i] == 1 ? 0x02 : 0x01; /* fefd <-> feff */
        hello_with_cookie(b, body_len, cookie, sizeof cookie, d, &h2);
        bw_assert_err(
            bw_dtls_cookie_check(secret, NULL, peer, sizeof peer, &h2),
            BW_EAUTH);
    }
    /* Other peer, shorter peer, other secret, truncated or longer cookie. */
    hello_with_cookie(body, body_len, cookie, sizeof cookie, d, &h2);
    uint8_t other_peer[6];
    memcpy(other_peer, peer, 6);
    other_peer[5] ^= 1;
    bw_assert_err(
        bw_dtls_cookie_check(secret, NULL, other_peer, sizeof peer, &h2),
        BW_EAUTH);
    bw_assert_err(bw_dtls_cookie_check(secret, NULL, peer, 5, &h2), BW_EAUTH);
    uint8_t other_secret[BW_DTLS_COOKIE_SECRET_LEN] = {0x5e, 0xc2, 0xe6};
    bw_assert_err(
        bw_dtls_cookie_check(other_secret, NULL, peer, sizeof peer, &h2),
        BW_EAUTH);
    bw_assert_err(
        bw_dtls_cookie_check(other_secret, secret, peer, sizeof peer, &h2), 0);
    hello_with_cookie(body, body_len, cookie, sizeof cookie - 1, d, &h2);
    bw_assert_err(bw_dtls_cookie_check(secret, NULL, peer, sizeof peer, &h2),
                  BW_EAUTH);
    uint8_t longer[BW_DTLS_COOKIE_LEN + 1];
    memcpy(longer, cookie, sizeof cookie);
    longer[BW_DTLS_COOKIE_LEN] = 0;
    hello_with_cookie(body, body_len, longer, sizeof longer, d, &h2);
    bw_assert_err(bw_dtls_cookie_check(secret, NULL, peer, sizeof peer, &h2),
                  BW_EAUTH);

    uint8_t wide[BW_DTLS_PEER_MAX + 1] = {0};
    bw_assert_err(bw_dtls_cookie_make(secret, wide, sizeof wide, &h, c2),
                  BW_EINVAL);
    bw_assert_err(bw_dtls_cookie_check(secret, NULL, wide, sizeof wide, &h2),
                  BW_EINVAL);
    bw_assert_err(bw_dtls_cookie_make(secret, wide, BW_DTLS_PEER_MAX, &h, c2),
                  0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_every_datagram_truncation),
        cmocka_unit_test(test_every_body_truncation),
        cmocka_unit_test(test_overlong_lengths),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_hvr_layout),
        cmocka_unit_test(test_cookie_coverage),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
