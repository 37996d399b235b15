/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DTLS record layer on its own: the header codec against hand-built
 * datagrams (every truncation, bad versions and content types, several
 * records per datagram), the anti-replay window at and around its edges,
 * AEAD sealing and opening for both ciphers (round trips, every single-bit
 * flip refused, wrong keys refused, every short fragment refused), alert
 * bodies, and the TLS 1.2 PRF against a published vector and against
 * OpenSSL's own TLS1-PRF.  Interoperation with a real OpenSSL DTLS peer is
 * in test_dtls_openssl.c.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "dtls_record.h"
#include "testutil.h"

#define MAX_FRAGMENT (BW_DTLS_MAX_PLAINTEXT + 2048)

static const bw_dtls_aead_t algs[] = {BW_DTLS_AES128_CCM8, BW_DTLS_AES128_GCM};

static size_t tag_of(bw_dtls_aead_t alg)
{
    return alg == BW_DTLS_AES128_CCM8 ? 8 : 16;
}

static void fixed_keys(bw_dtls_keys_t *k, uint8_t fill)
{
    for (size_t i = 0; i < sizeof k->key; i++)
        k->key[i] = (uint8_t)(fill + i);
    for (size_t i = 0; i < sizeof k->iv; i++)
        k->iv[i] = (uint8_t)(0xa0 + fill + i);
}

/* ---- header codec ---------------------------------------------------- */

/* A header written by bw_dtls_rec_header() has the RFC 6347 layout byte
 * for byte and parses back to the same fields. */
static void test_header_roundtrip(void **state)
{
    (void)state;
    uint8_t d[BW_DTLS_HDR_LEN + 3];
    bw_dtls_rec_header(d, BW_DTLS_CT_APPDATA, BW_DTLS_VERSION_12, 0x1234,
                       UINT64_C(0xa1b2c3d4e5f6), 3);
    d[13] = 'x';
    d[14] = 'y';
    d[15] = 'z';
    uint8_t want[BW_DTLS_HDR_LEN];
    bw_test_hex("17 fefd 1234 a1b2c3d4e5f6 0003", want, sizeof want);
    assert_memory_equal(d, want, sizeof want);

    const uint8_t *p = d;
    size_t len = sizeof d;
    bw_dtls_rec_t r;
    bw_assert_err(bw_dtls_rec_next(&p, &len, &r), 0);
    assert_int_equal(r.type, BW_DTLS_CT_APPDATA);
    assert_int_equal(r.version, BW_DTLS_VERSION_12);
    assert_int_equal(r.epoch, 0x1234);
    assert_true(r.seq == UINT64_C(0xa1b2c3d4e5f6));
    assert_ptr_equal(r.fragment, d + 13);
    assert_int_equal(r.fragment_len, 3);
    assert_ptr_equal(p, d + sizeof d);
    assert_int_equal(len, 0);
}

/* Every prefix of a one-record datagram (header cut or fragment cut) is
 * BW_ETRUNC, leaves the cursor where it was and zeroes the record. */
static void test_header_every_truncation(void **state)
{
    (void)state;
    uint8_t d[BW_DTLS_HDR_LEN + 5];
    bw_dtls_rec_header(d, BW_DTLS_CT_HANDSHAKE, BW_DTLS_VERSION_10, 0, 7, 5);
    memset(d + 13, 0x55, 5);
    for (size_t cut = 0; cut < sizeof d; cut++) {
        const uint8_t *p = d;
        size_t len = cut;
        bw_dtls_rec_t r;
        memset(&r, 0xee, sizeof r);
        bw_assert_err(bw_dtls_rec_next(&p, &len, &r), BW_ETRUNC);
        assert_ptr_equal(p, d);
        assert_int_equal(len, cut);
        assert_int_equal(r.type, 0);
        assert_null(r.fragment);
        assert_int_equal(r.fragment_len, 0);
    }
}

/* Any major version byte other than 0xfe is BW_EVERSION; any minor byte
 * is passed up (the AAD binds it, the engine judges it). */
static void test_header_versions(void **state)
{
    (void)state;
    uint8_t d[BW_DTLS_HDR_LEN];
    for (unsigned major = 0; major < 256; major++) {
        bw_dtls_rec_header(d, BW_DTLS_CT_ALERT, (uint16_t)(major << 8 | 0xfd),
                           1, 1, 0);
        const uint8_t *p = d;
        size_t len = sizeof d;
        bw_dtls_rec_t r;
        bw_assert_err(bw_dtls_rec_next(&p, &len, &r),
                      major == 0xfe ? 0 : BW_EVERSION);
    }
    bw_dtls_rec_header(d, BW_DTLS_CT_ALERT, 0xfe00, 1, 1, 0);
    const uint8_t *p = d;
    size_t len = sizeof d;
    bw_dtls_rec_t r;
    bw_assert_err(bw_dtls_rec_next(&p, &len, &r), 0);
    assert_int_equal(r.version, 0xfe00);
}

/* Only content types 20..23 parse; every other byte is BW_EMALFORMED. */
static void test_header_content_types(void **state)
{
    (void)state;
    uint8_t d[BW_DTLS_HDR_LEN];
    for (unsigned t = 0; t < 256; t++) {
        bw_dtls_rec_header(d, (uint8_t)t, BW_DTLS_VERSION_12, 1, 1, 0);
        const uint8_t *p = d;
        size_t len = sizeof d;
        bw_dtls_rec_t r;
        bw_assert_err(bw_dtls_rec_next(&p, &len, &r),
                      t >= 20 && t <= 23 ? 0 : BW_EMALFORMED);
    }
}

/* A fragment of exactly 2^14 + 2048 bytes parses; one more byte is
 * BW_EMALFORMED even when the datagram holds it, and also when it does
 * not (the length itself is illegal, not merely cut). */
static void test_header_length_limit(void **state)
{
    (void)state;
    size_t cap = BW_DTLS_HDR_LEN + MAX_FRAGMENT + 1;
    uint8_t *d = calloc(1, cap);
    assert_non_null(d);
    bw_dtls_rec_t r;

    bw_dtls_rec_header(d, BW_DTLS_CT_APPDATA, BW_DTLS_VERSION_12, 1, 1,
                       MAX_FRAGMENT);
    const uint8_t *p = d;
    size_t len = BW_DTLS_HDR_LEN + MAX_FRAGMENT;
    bw_assert_err(bw_dtls_rec_next(&p, &len, &r), 0);
    assert_int_equal(r.fragment_len, MAX_FRAGMENT);

    bw_dtls_rec_header(d, BW_DTLS_CT_APPDATA, BW_DTLS_VERSION_12, 1, 1,
                       MAX_FRAGMENT + 1);
    p = d;
    len = cap;
    bw_assert_err(bw_dtls_rec_next(&p, &len, &r), BW_EMALFORMED);
    len = BW_DTLS_HDR_LEN;
    bw_assert_err(bw_dtls_rec_next(&p, &len, &r), BW_EMALFORMED);
    free(d);
}

/* Two records and an empty one in one datagram come out in order, the
 * cursor ending exactly at the end; garbage after them is an error for
 * the next call only. */
static void test_header_several_records(void **state)
{
    (void)state;
    uint8_t d[2 * BW_DTLS_HDR_LEN + 4 + BW_DTLS_HDR_LEN + 2];
    bw_dtls_rec_header(d, BW_DTLS_CT_HANDSHAKE, BW_DTLS_VERSION_12, 0, 5, 4);
    memcpy(d + 13, "abcd", 4);
    bw_dtls_rec_header(d + 17, BW_DTLS_CT_CCS, BW_DTLS_VERSION_12, 0, 6, 0);
    bw_dtls_rec_header(d + 30, BW_DTLS_CT_APPDATA, BW_DTLS_VERSION_12, 1, 0, 1);
    d[43] = '!';
    d[44] = 0x99; /* one stray byte: too short for a header */

    const uint8_t *p = d;
    size_t len = sizeof d;
    bw_dtls_rec_t r;
    bw_assert_err(bw_dtls_rec_next(&p, &len, &r), 0);
    assert_int_equal(r.type, BW_DTLS_CT_HANDSHAKE);
    assert_int_equal(r.seq, 5);
    assert_memory_equal(r.fragment, "abcd", 4);
    bw_assert_err(bw_dtls_rec_next(&p, &len, &r), 0);
    assert_int_equal(r.type, BW_DTLS_CT_CCS);
    assert_int_equal(r.fragment_len, 0);
    assert_ptr_equal(r.fragment, d + 30);
    bw_assert_err(bw_dtls_rec_next(&p, &len, &r), 0);
    assert_int_equal(r.epoch, 1);
    assert_int_equal(r.fragment[0], '!');
    assert_int_equal(len, 1);
    bw_assert_err(bw_dtls_rec_next(&p, &len, &r), BW_ETRUNC);
    assert_ptr_equal(p, d + 44);
}

/* ---- anti-replay window ---------------------------------------------- */

/* In-order numbers are each new once and replays afterwards. */
static void test_replay_in_order(void **state)
{
    (void)state;
    bw_dtls_replay_t w = {0, 0};
    for (uint64_t s = 0; s < 200; s++) {
        bw_assert_err(bw_dtls_replay_check(&w, s), 0);
        bw_dtls_replay_update(&w, s);
        bw_assert_err(bw_dtls_replay_check(&w, s), BW_EREPLAY);
        if (s > 0)
            bw_assert_err(bw_dtls_replay_check(&w, s - 1), BW_EREPLAY);
    }
    assert_int_equal(w.top, 200);
}

/* Out of order inside the window: the holes stay acceptable, each exactly
 * once, and numbers above top stay new. */
static void test_replay_out_of_order(void **state)
{
    (void)state;
    bw_dtls_replay_t w = {0, 0};
    static const uint64_t order[] = {10, 3, 7, 11, 9, 4, 60, 12, 5};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        bw_assert_err(bw_dtls_replay_check(&w, order[i]), 0);
        bw_dtls_replay_update(&w, order[i]);
    }
    for (uint64_t s = 0; s <= 60; s++) {
        int seen = 0;
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
            seen |= order[i] == s;
        bw_assert_err(bw_dtls_replay_check(&w, s), seen ? BW_EREPLAY : 0);
    }
    bw_assert_err(bw_dtls_replay_check(&w, 61), 0);
    /* A forged number that was only checked, never updated, stays new. */
    bw_assert_err(bw_dtls_replay_check(&w, 8), 0);
    bw_assert_err(bw_dtls_replay_check(&w, 8), 0);
}

/* With top - 1 = 100: 100 - 63 = 37 is the last slot inside the window,
 * 36 is stale; marking 37 works, and one step up pushes it out. */
static void test_replay_edge(void **state)
{
    (void)state;
    bw_dtls_replay_t w = {0, 0};
    bw_dtls_replay_update(&w, 100);
    bw_assert_err(bw_dtls_replay_check(&w, 37), 0);
    bw_assert_err(bw_dtls_replay_check(&w, 36), BW_ESTALE);
    bw_assert_err(bw_dtls_replay_check(&w, 0), BW_ESTALE);
    bw_dtls_replay_update(&w, 37);
    bw_assert_err(bw_dtls_replay_check(&w, 37), BW_EREPLAY);
    bw_dtls_replay_update(&w, 36); /* stale: must not change anything */
    assert_true(w.top == 101 && w.bitmap == (UINT64_C(1) | UINT64_C(1) << 63));
    bw_dtls_replay_update(&w, 101);
    bw_assert_err(bw_dtls_replay_check(&w, 37), BW_ESTALE);
    bw_assert_err(bw_dtls_replay_check(&w, 38), 0);
    bw_assert_err(bw_dtls_replay_check(&w, 100), BW_EREPLAY);
}

/* Jumps of 63, 64 and far more: a jump of 63 keeps the old top at the
 * last slot; 64 or more empties the window (no undefined shift). */
static void test_replay_jumps(void **state)
{
    (void)state;
    bw_dtls_replay_t w = {0, 0};
    for (uint64_t s = 0; s < 64; s++)
        bw_dtls_replay_update(&w, s);
    assert_true(w.bitmap == UINT64_MAX);
    bw_dtls_replay_update(&w, 63 + 63);
    bw_assert_err(bw_dtls_replay_check(&w, 63), BW_EREPLAY);
    bw_assert_err(bw_dtls_replay_check(&w, 64), 0);
    bw_assert_err(bw_dtls_replay_check(&w, 62), BW_ESTALE);

    bw_dtls_replay_update(&w, 126 + 64);
    assert_true(w.bitmap == 1);
    bw_assert_err(bw_dtls_replay_check(&w, 126), BW_ESTALE);
    bw_assert_err(bw_dtls_replay_check(&w, 127), 0);

    bw_dtls_replay_update(&w, UINT64_C(1) << 40);
    assert_true(w.bitmap == 1);
    assert_true(w.top == (UINT64_C(1) << 40) + 1);
    bw_assert_err(bw_dtls_replay_check(&w, (UINT64_C(1) << 40) - 1), 0);
    bw_assert_err(bw_dtls_replay_check(&w, 190), BW_ESTALE);
}

/* The largest 48-bit number is accepted once; the window around it works
 * the same as anywhere else. */
static void test_replay_seq_max(void **state)
{
    (void)state;
    bw_dtls_replay_t w = {0, 0};
    bw_dtls_replay_update(&w, BW_DTLS_SEQ_MAX - 1);
    bw_assert_err(bw_dtls_replay_check(&w, BW_DTLS_SEQ_MAX), 0);
    bw_dtls_replay_update(&w, BW_DTLS_SEQ_MAX);
    bw_assert_err(bw_dtls_replay_check(&w, BW_DTLS_SEQ_MAX), BW_EREPLAY);
    bw_assert_err(bw_dtls_replay_check(&w, BW_DTLS_SEQ_MAX - 1), BW_EREPLAY);
    bw_assert_err(bw_dtls_replay_check(&w, BW_DTLS_SEQ_MAX - 2), 0);
    bw_assert_err(bw_dtls_replay_check(&w, BW_DTLS_SEQ_MAX - 64), BW_ESTALE);
    assert_true(w.top == BW_DTLS_SEQ_MAX + 1);
}

/* ---- AEAD ------------------------------------------------------------- */

static bw_dtls_aead_ctx_t *aead;

static int setup_aead(void **state)
{
    (void)state;
    aead = bw_dtls_aead_new();
    return aead == NULL ? -1 : 0;
}

static int teardown_aead(void **state)
{
    (void)state;
    bw_dtls_aead_free(aead);
    aead = NULL;
    return 0;
}

static void parse_one(const uint8_t *d, size_t n, bw_dtls_rec_t *r)
{
    size_t left = n;
    bw_assert_err(bw_dtls_rec_next(&d, &left, r), 0);
    assert_int_equal(left, 0);
}

/* Plaintexts of 0, 1, 15, 16, 17, 120 and 2^14 bytes seal to a record of
 * len + overhead bytes with the header and explicit nonce as specified,
 * and open back to the same bytes, also in place.  Sealing in place gives
 * the same record as sealing from a separate buffer. */
static void test_seal_open_roundtrip(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 15, 16, 17, 120, BW_DTLS_MAX_PLAINTEXT};
    size_t cap = BW_DTLS_MAX_PLAINTEXT + 64;
    uint8_t *plain = malloc(cap), *rec = malloc(cap), *rec2 = malloc(cap);
    uint8_t *out = malloc(cap);
    assert_true(plain && rec && rec2 && out);
    bw_dtls_keys_t k;
    fixed_keys(&k, 1);
    for (size_t i = 0; i < cap; i++)
        plain[i] = (uint8_t)(i * 7 + 3);

    for (size_t a = 0; a < 2; a++) {
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            size_t n = lens[i], rl = 0, ol = 99;
            uint64_t seq = UINT64_C(0x0102030405) + i;
            bw_assert_err(bw_dtls_seal(aead, algs[a], &k, BW_DTLS_CT_APPDATA, 2,
                                       seq, plain, n, rec, cap, &rl),
                          0);
            assert_int_equal(rl, n + bw_dtls_overhead(algs[a]));
            assert_int_equal(rl, n + 13 + 8 + tag_of(algs[a]));
            uint8_t hdr[13], nonce[8];
            bw_dtls_rec_header(hdr, BW_DTLS_CT_APPDATA, BW_DTLS_VERSION_12, 2,
                               seq, (uint16_t)(rl - 13));
            assert_memory_equal(rec, hdr, 13);
            memcpy(nonce, hdr + 3, 8); /* epoch || seq */
            assert_memory_equal(rec + 13, nonce, 8);
            if (n >= 16) /* the ciphertext is not the plaintext */
                assert_memory_not_equal(rec + 21, plain, n);

            bw_dtls_rec_t r;
            parse_one(rec, rl, &r);
            bw_assert_err(bw_dtls_open(aead, algs[a], &k, &r, out, cap, &ol),
                          0);
            assert_int_equal(ol, n);
            if (n > 0)
                assert_memory_equal(out, plain, n);

            /* in place */
            uint8_t *in_place = rec + 13 + 8;
            bw_assert_err(bw_dtls_open(aead, algs[a], &k, &r, in_place, n, &ol),
                          0);
            assert_int_equal(ol, n);
            if (n > 0)
                assert_memory_equal(in_place, plain, n);

            /* seal in place: plaintext already where the ciphertext goes */
            size_t rl2 = 0;
            bw_assert_err(bw_dtls_seal(aead, algs[a], &k, BW_DTLS_CT_APPDATA, 2,
                                       seq, plain, n, rec, cap, &rl),
                          0);
            memcpy(rec2 + 21, plain, n);
            bw_assert_err(bw_dtls_seal(aead, algs[a], &k, BW_DTLS_CT_APPDATA, 2,
                                       seq, rec2 + 21, n, rec2, cap, &rl2),
                          0);
            assert_int_equal(rl2, rl);
            assert_memory_equal(rec2, rec, rl);
        }
    }
    free(plain);
    free(rec);
    free(rec2);
    free(out);
}

/* Open a record after flipping one bit: must be BW_EAUTH, *out_len 0 and
 * no plaintext left in out. */
static void expect_auth_fail(bw_dtls_aead_t alg, const bw_dtls_keys_t *k,
                             const bw_dtls_rec_t *r, size_t plen)
{
    uint8_t out[256];
    size_t ol = 77;
    memset(out, 0xcc, sizeof out);
    bw_assert_err(bw_dtls_open(aead, alg, k, r, out, sizeof out, &ol),
                  BW_EAUTH);
    assert_int_equal(ol, 0);
    /* nothing left on OpenSSL's error queue (SSL_get_error reads it) */
    assert_int_equal(ERR_peek_error(), 0);
    for (size_t i = 0; i < plen; i++)
        assert_int_equal(out[i], 0);
}

static void expect_auth_fail_keeping_queue(bw_dtls_aead_t alg,
                                           const bw_dtls_keys_t *k,
                                           const bw_dtls_rec_t *r)
{
    uint8_t out[256];
    size_t ol;
    bw_assert_err(bw_dtls_open(aead, alg, k, r, out, sizeof out, &ol),
                  BW_EAUTH);
}

/* Every single-bit flip of a sealed 40-byte record is refused: in the
 * explicit nonce, the ciphertext and the tag (on the wire), and in each
 * header field the additional data binds (type, version, epoch, sequence
 * number; flipped in the parsed record, since some flips would not even
 * parse).  A fragment one byte shorter or longer (what a flipped length
 * does) is refused too. */
static void test_every_bit_flip(void **state)
{
    (void)state;
    const size_t n = 40;
    uint8_t plain[40], rec[128];
    bw_dtls_keys_t k;
    fixed_keys(&k, 9);
    memset(plain, 0x42, n);

    for (size_t a = 0; a < 2; a++) {
        size_t rl;
        bw_assert_err(bw_dtls_seal(aead, algs[a], &k, BW_DTLS_CT_APPDATA, 3, 77,
                                   plain, n, rec, sizeof rec, &rl),
                      0);
        bw_dtls_rec_t good, r;
        parse_one(rec, rl, &good);
        unsigned flips = 0;

        for (size_t byte = 13; byte < rl; byte++) {
            for (int bit = 0; bit < 8; bit++) {
                rec[byte] ^= (uint8_t)(1u << bit);
                expect_auth_fail(algs[a], &k, &good, n);
                rec[byte] ^= (uint8_t)(1u << bit);
                flips++;
            }
        }
        for (int bit = 0; bit < 8; bit++) {
            r = good;
            r.type ^= (uint8_t)(1u << bit);
            expect_auth_fail(algs[a], &k, &r, n);
        }
        for (int bit = 0; bit < 16; bit++) {
            r = good;
            r.version ^= (uint16_t)(1u << bit);
            expect_auth_fail(algs[a], &k, &r, n);
            r = good;
            r.epoch ^= (uint16_t)(1u << bit); /* 3 never flips to 0 */
            expect_auth_fail(algs[a], &k, &r, n);
        }
        for (int bit = 0; bit < 48; bit++) {
            r = good;
            r.seq ^= UINT64_C(1) << bit;
            expect_auth_fail(algs[a], &k, &r, n);
        }
        r = good;
        r.fragment_len--;
        expect_auth_fail(algs[a], &k, &r, n - 1);
        r = good;
        r.fragment_len++; /* reads the byte after the record in rec[] */
        expect_auth_fail(algs[a], &k, &r, n + 1);
        assert_int_equal(flips, 8 * (8 + n + tag_of(algs[a])));

        /* After all those failures the context still opens the record. */
        uint8_t out[64];
        size_t ol;
        bw_assert_err(
            bw_dtls_open(aead, algs[a], &k, &good, out, sizeof out, &ol), 0);
        assert_memory_equal(out, plain, n);
    }
}

/* A different key, a different fixed IV or the other cipher is refused;
 * the scratch context carries nothing from one key to the next (keys
 * alternate record by record). */
static void test_wrong_keys(void **state)
{
    (void)state;
    uint8_t plain[33], rec[128], out[128];
    bw_dtls_keys_t k1, k2, kiv;
    fixed_keys(&k1, 1);
    fixed_keys(&k2, 2);
    kiv = k1;
    kiv.iv[3] ^= 0x80;
    memset(plain, 0x11, sizeof plain);

    for (size_t a = 0; a < 2; a++) {
        size_t rl, ol;
        bw_dtls_rec_t r;
        bw_assert_err(bw_dtls_seal(aead, algs[a], &k1, BW_DTLS_CT_APPDATA, 1, 5,
                                   plain, sizeof plain, rec, sizeof rec, &rl),
                      0);
        parse_one(rec, rl, &r);
        expect_auth_fail(algs[a], &k2, &r, sizeof plain);
        expect_auth_fail(algs[a], &kiv, &r, sizeof plain);
        expect_auth_fail(algs[1 - a], &k1, &r,
                         r.fragment_len - 8 - tag_of(algs[1 - a]));
        /* An error someone else left on the queue survives our failure. */
        ERR_raise(ERR_LIB_USER, 42);
        expect_auth_fail_keeping_queue(algs[a], &k2, &r);
        assert_int_equal(ERR_GET_REASON(ERR_get_error()), 42);
        assert_int_equal(ERR_peek_error(), 0);
        for (int round = 0; round < 3; round++) {
            bw_assert_err(
                bw_dtls_open(aead, algs[a], &k1, &r, out, sizeof out, &ol), 0);
            expect_auth_fail(algs[a], &k2, &r, sizeof plain);
        }
    }
}

/* Fragments shorter than explicit nonce + tag are BW_ETRUNC for every
 * length from 0 up; exactly nonce + tag is an empty plaintext. */
static void test_short_fragments(void **state)
{
    (void)state;
    uint8_t rec[64], out[8];
    bw_dtls_keys_t k;
    fixed_keys(&k, 4);
    for (size_t a = 0; a < 2; a++) {
        size_t rl, ol = 5;
        bw_assert_err(bw_dtls_seal(aead, algs[a], &k, BW_DTLS_CT_ALERT, 1, 0,
                                   NULL, 0, rec, sizeof rec, &rl),
                      0);
        bw_dtls_rec_t r;
        parse_one(rec, rl, &r);
        size_t min = 8 + tag_of(algs[a]);
        assert_int_equal(r.fragment_len, min);
        for (size_t fl = 0; fl < min; fl++) {
            bw_dtls_rec_t s = r;
            s.fragment_len = fl;
            ol = 5;
            bw_assert_err(
                bw_dtls_open(aead, algs[a], &k, &s, out, sizeof out, &ol),
                BW_ETRUNC);
            assert_int_equal(ol, 0);
        }
        bw_assert_err(bw_dtls_open(aead, algs[a], &k, &r, out, 0, &ol), 0);
        assert_int_equal(ol, 0);
    }
}

/* Misuse and limits: epoch 0 (both ways), plaintext over 2^14, a sequence
 * number over 48 bits, output buffers one byte short, an unknown cipher;
 * and a received record whose plaintext would exceed 2^14. */
static void test_seal_open_limits(void **state)
{
    (void)state;
    size_t cap = BW_DTLS_MAX_PLAINTEXT + 64;
    uint8_t *buf = calloc(1, cap), *out = calloc(1, cap);
    assert_true(buf && out);
    uint8_t plain[16] = {0};
    bw_dtls_keys_t k;
    fixed_keys(&k, 5);
    for (size_t a = 0; a < 2; a++) {
        bw_dtls_aead_t alg = algs[a];
        size_t rl = 9, ol = 9, need = 16 + bw_dtls_overhead(alg);
        bw_assert_err(
            bw_dtls_seal(aead, alg, &k, 23, 0, 1, plain, 16, buf, cap, &rl),
            BW_EINVAL);
        assert_int_equal(rl, 0);
        bw_assert_err(bw_dtls_seal(aead, alg, &k, 23, 1, 1, buf,
                                   BW_DTLS_MAX_PLAINTEXT + 1, out, cap, &rl),
                      BW_EINVAL);
        bw_assert_err(bw_dtls_seal(aead, alg, &k, 23, 1, BW_DTLS_SEQ_MAX + 1,
                                   plain, 16, buf, cap, &rl),
                      BW_EINVAL);
        bw_assert_err(bw_dtls_seal(aead, alg, &k, 23, 1, 1, plain, 16, buf,
                                   need - 1, &rl),
                      BW_ENOSPC);
        bw_assert_err(bw_dtls_seal(aead, (bw_dtls_aead_t)7, &k, 23, 1, 1, plain,
                                   16, buf, cap, &rl),
                      BW_EINVAL);
        bw_assert_err(bw_dtls_seal(aead, alg, &k, 23, 1, BW_DTLS_SEQ_MAX, plain,
                                   16, buf, need, &rl),
                      0);
        assert_int_equal(rl, need);

        bw_dtls_rec_t r;
        parse_one(buf, rl, &r);
        bw_assert_err(bw_dtls_open(aead, alg, &k, &r, out, 15, &ol), BW_ENOSPC);
        assert_int_equal(ol, 0);
        bw_dtls_rec_t z = r;
        z.epoch = 0;
        bw_assert_err(bw_dtls_open(aead, alg, &k, &z, out, cap, &ol),
                      BW_EINVAL);
        z = r;
        z.fragment = buf;
        z.fragment_len = BW_DTLS_MAX_PLAINTEXT + 8 + tag_of(alg) + 1;
        bw_assert_err(bw_dtls_open(aead, alg, &k, &z, out, cap, &ol),
                      BW_EOVERFLOW);
        bw_assert_err(bw_dtls_open(aead, alg, &k, &r, out, 16, &ol), 0);
    }
    free(buf);
    free(out);
}

/* ---- alerts ----------------------------------------------------------- */

/* Two bytes with level 1 or 2 parse; shorter is BW_ETRUNC, longer
 * BW_ETRAILING, any other level BW_EMALFORMED; outputs zeroed on error. */
static void test_alert_parse(void **state)
{
    (void)state;
    uint8_t level = 9, desc = 9;
    const uint8_t ok[] = {BW_DTLS_ALERT_FATAL, BW_DTLS_ALERT_BAD_RECORD_MAC, 0};
    bw_assert_err(bw_dtls_alert_parse(ok, 2, &level, &desc), 0);
    assert_int_equal(level, 2);
    assert_int_equal(desc, 20);
    bw_assert_err(bw_dtls_alert_parse(ok, 1, &level, &desc), BW_ETRUNC);
    assert_int_equal(level, 0);
    bw_assert_err(bw_dtls_alert_parse(ok, 0, &level, &desc), BW_ETRUNC);
    bw_assert_err(bw_dtls_alert_parse(ok, 3, &level, &desc), BW_ETRAILING);
    for (unsigned l = 0; l < 256; l++) {
        uint8_t b[2] = {(uint8_t)l, 0};
        bw_assert_err(bw_dtls_alert_parse(b, 2, &level, &desc),
                      l == 1 || l == 2 ? 0 : BW_EMALFORMED);
    }
}

/* ---- PRF and key block ------------------------------------------------ */

/*
 * The TLS 1.2 PRF (SHA-256) test vector posted to the IETF TLS working
 * group list (https://www.ietf.org/mail-archive/web/tls/current/
 * msg03416.html) and confirmed on the OASIS PKCS#11 list
 * (https://lists.oasis-open.org/archives/pkcs11/201411/msg00019.html):
 * 100 bytes, so four HMAC blocks with the last one cut.
 */
static void test_prf_vector(void **state)
{
    (void)state;
    uint8_t secret[16], seed[16], want[100], got[100];
    bw_test_hex("9bbe436ba940f017b17652849a71db35", secret, sizeof secret);
    bw_test_hex("a0ba9f936cda311827a6f796ffd5198c", seed, sizeof seed);
    bw_test_hex("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e6"
                "1edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd"
                "3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42"
                "c5a72e5a5110fff70187347b66",
                want, sizeof want);
    bw_assert_err(bw_dtls_prf_sha256(secret, sizeof secret, "test label", seed,
                                     sizeof seed, got, sizeof got),
                  0);
    assert_memory_equal(got, want, sizeof want);
    /* Every shorter output is a prefix of the long one. */
    for (size_t n = 0; n < sizeof got; n++) {
        memset(got, 0, sizeof got);
        bw_assert_err(bw_dtls_prf_sha256(secret, sizeof secret, "test label",
                                         seed, sizeof seed, got, n),
                      0);
        assert_memory_equal(got, want, n);
        assert_int_equal(got[n], 0);
    }
    uint8_t big[BW_DTLS_PRF_SEED_MAX];
    memset(big, 1, sizeof big);
    memset(got, 0xff, sizeof got);
    bw_assert_err(bw_dtls_prf_sha256(secret, sizeof secret, "x", big,
                                     sizeof big, got, 10),
                  BW_EINVAL);
    assert_int_equal(got[0], 0);
}

/* OpenSSL's TLS1-PRF KDF, an independent implementation, over
 * "key expansion" || server_random || client_random. */
static void openssl_key_block(const uint8_t *master, const uint8_t *cr,
                              const uint8_t *sr, uint8_t out[40])
{
    uint8_t seed[13 + 64];
    memcpy(seed, "key expansion", 13);
    memcpy(seed + 13, sr, 32);
    memcpy(seed + 45, cr, 32);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    assert_non_null(kdf);
    EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
    assert_non_null(kc);
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                       (char *)"SHA256", 0),
                      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
                                                        (void *)master, 48),
                      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
                                                        seed, sizeof seed),
                      OSSL_PARAM_construct_end()};
    assert_int_equal(EVP_KDF_derive(kc, out, 40, p), 1);
    EVP_KDF_CTX_free(kc);
    EVP_KDF_free(kdf);
}

/* For 50 random master secrets and randoms, our key block equals
 * OpenSSL's, cut as client key | server key | client IV | server IV. */
static void test_derive_keys_vs_openssl(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++) {
        uint8_t master[48], cr[32], sr[32], kb[40];
        assert_int_equal(RAND_bytes(master, sizeof master), 1);
        assert_int_equal(RAND_bytes(cr, sizeof cr), 1);
        assert_int_equal(RAND_bytes(sr, sizeof sr), 1);
        bw_dtls_keys_t c, s;
        bw_assert_err(bw_dtls_derive_keys(master, cr, sr, &c, &s), 0);
        openssl_key_block(master, cr, sr, kb);
        assert_memory_equal(c.key, kb, 16);
        assert_memory_equal(s.key, kb + 16, 16);
        assert_memory_equal(c.iv, kb + 32, 4);
        assert_memory_equal(s.iv, kb + 36, 4);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_roundtrip),
        cmocka_unit_test(test_header_every_truncation),
        cmocka_unit_test(test_header_versions),
        cmocka_unit_test(test_header_content_types),
        cmocka_unit_test(test_header_length_limit),
        cmocka_unit_test(test_header_several_records),
        cmocka_unit_test(test_replay_in_order),
        cmocka_unit_test(test_replay_out_of_order),
        cmocka_unit_test(test_replay_edge),
        cmocka_unit_test(test_replay_jumps),
        cmocka_unit_test(test_replay_seq_max),
        cmocka_unit_test(test_seal_open_roundtrip),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_wrong_keys),
        cmocka_unit_test(test_short_fragments),
        cmocka_unit_test(test_seal_open_limits),
        cmocka_unit_test(test_alert_parse),
        cmocka_unit_test(test_prf_vector),
        cmocka_unit_test(test_derive_keys_vs_openssl),
    };
    return cmocka_run_group_tests(tests, setup_aead, teardown_aead);
}
