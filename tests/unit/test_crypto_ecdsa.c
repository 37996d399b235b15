/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECDSA P-256 verification, on both backends: fixed vectors (one made by
 * MCUboot's imgtool, others by Python's cryptography on OpenSSL), keys and
 * signatures generated here through OpenSSL's EVP, every kind of
 * corruption with its exact code, malformed DER, and keys off the curve.
 *
 * The *_mbedtls build of this program verifies with mbedTLS while OpenSSL
 * only generates the keys and signatures: that is the cross-check that the
 * device verifies what the host signed.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "bulwark/crypto.h"
#include "testutil.h"

typedef struct {
    const char *pub;
    const char *digest;
    const char *sig;
} vector_t;

static const vector_t fixed[] = {
    /* imgtool 2.4.0, tests/data/mcuboot/ec256-v1.2.3-sc7.bin, ec256.pem */
    {"045aad6fa0bee52e1957a33317767572e88bffd6b1ab0b30773600dccf23e6e6cf"
     "1542a95ab1524f5f876fa0119ec5f64f9b452a156e38e90e72fd3b064d89f554",
     "faddca2fc21cf48e4aa29a06a6ac6ba010c047e255f89ed914b9be7f0c2a10e3",
     "3045022016d2ebe011c3aad803d60c45c648281d5e21873bdae91e6a75e3b31459df"
     "24ed022100cc42f0e0b0a0d56f989324daa76009f17f1b51367f85a51273e133efe1"
     "88749e"},
    /* r below 2^248: 31 bytes of magnitude behind a sign byte */
    {"04fdbba38dc5287b32c4d48fa3a30934640254d4b33e92c68efc0a21e94dc90bbe"
     "fec2f902fdece33bb8a9fed99bdc2f0e0c014ade83a987f396245ce593f95c06",
     "d1da8d2980bf5d79aab30649d218a7cd14a254f6913ca903b6e514eb21654131",
     "30450220009b04d7eb8e616be67761c77494919201634ecffa8d691f208828cc84"
     "4cad8e022100d6411033de276e42b3f43bf8d27cc49b978297ab20c1e4a3377054"
     "d85e4fffc0"},
    /* both integers 33 bytes: the longest signature form */
    {"04fdbba38dc5287b32c4d48fa3a30934640254d4b33e92c68efc0a21e94dc90bbe"
     "fec2f902fdece33bb8a9fed99bdc2f0e0c014ade83a987f396245ce593f95c06",
     "82853c20b7e39fd5593a04bc3f0d2727b3a0dcf2692b92c182684ff1f9d2dc70",
     "3046022100c816bf27db5d82cb2a196840c1629d59998f6eb95ad529d65755101c"
     "ddbca891022100a383cff4012dc91e4a3e465d714b1bffd8f22768cd7356ae8cae"
     "c0c67c2fe8db"},
};

/* P-256 group order n, big-endian. */
static const char order_n[] =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

typedef struct {
    uint8_t pub[65];
    uint8_t digest[32];
    uint8_t sig[80];
    size_t sig_len;
} case_t;

static void load(case_t *c, const vector_t *v)
{
    bw_test_hex(v->pub, c->pub, sizeof c->pub);
    bw_test_hex(v->digest, c->digest, sizeof c->digest);
    c->sig_len = bw_test_hex(v->sig, c->sig, sizeof c->sig);
}

/* DER-encode 32-byte big-endian r and s minimally. */
static size_t der_encode(uint8_t *out, const uint8_t r[32], const uint8_t s[32])
{
    size_t n = 2;
    const uint8_t *ints[2] = {r, s};
    for (int k = 0; k < 2; k++) {
        const uint8_t *v = ints[k];
        size_t skip = 0;
        while (skip < 31 && v[skip] == 0)
            skip++;
        size_t len = 32 - skip;
        int pad = v[skip] & 0x80 ? 1 : 0;
        out[n++] = 0x02;
        out[n++] = (uint8_t)(len + (size_t)pad);
        if (pad)
            out[n++] = 0;
        memcpy(out + n, v + skip, len);
        n += len;
    }
    out[0] = 0x30;
    out[1] = (uint8_t)(n - 2);
    return n;
}

/* Take r and s out of a signature known to be well-formed. */
static void der_split(const uint8_t *sig, uint8_t r[32], uint8_t s[32])
{
    size_t p = 2;
    uint8_t *outs[2] = {r, s};
    for (int k = 0; k < 2; k++) {
        size_t len = sig[p + 1];
        const uint8_t *v = sig + p + 2;
        memset(outs[k], 0, 32);
        if (len == 33) {
            v++;
            len--;
        }
        memcpy(outs[k] + 32 - len, v, len);
        p += 2 + sig[p + 1];
    }
}

/* out = a - b for 32-byte big-endian numbers, a >= b. */
static void be_sub(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = a[i] - b[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

/* The fixed vectors verify on this backend. */
static void test_fixed_vectors(void **state)
{
    (void)state;
    case_t c;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        load(&c, &fixed[i]);
        bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, c.sig_len),
                      0);
    }
}

/*
 * Corruptions of a valid signature, each with its exact code: digest
 * bit flipped or signature value changed (valid DER) -> BW_ESIGNATURE;
 * another valid key -> BW_ESIGNATURE; a key coordinate changed (off the
 * curve) -> BW_EMALFORMED.
 */
static void test_corruptions(void **state)
{
    (void)state;
    case_t c, other;
    load(&c, &fixed[0]);
    load(&other, &fixed[1]);

    for (size_t bit = 0; bit < 256; bit += 5) {
        c.digest[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, c.sig_len),
                      BW_ESIGNATURE);
        c.digest[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* The last byte of s and a byte in the middle of r. */
    c.sig[c.sig_len - 1] ^= 0x01;
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, c.sig_len),
                  BW_ESIGNATURE);
    c.sig[c.sig_len - 1] ^= 0x01;
    c.sig[20] ^= 0x10;
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, c.sig_len),
                  BW_ESIGNATURE);
    c.sig[20] ^= 0x10;

    bw_assert_err(bw_ecdsa_p256_verify(other.pub, c.digest, c.sig, c.sig_len),
                  BW_ESIGNATURE);
    for (size_t i = 1; i < 65; i += 7) {
        c.pub[i] ^= 0x04;
        bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, c.sig_len),
                      BW_EMALFORMED);
        c.pub[i] ^= 0x04;
    }
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, c.sig_len), 0);
}

/*
 * Values out of range in well-formed DER fail verification, not parsing:
 * r = 0, s = 0, r = n, s = n.  s' = n - s is the other valid signature
 * ECDSA always admits; neither backend enforces low s, so both accept it.
 */
static void test_range(void **state)
{
    (void)state;
    case_t c;
    uint8_t r[32], s[32], n[32], zero[32] = {0}, alt[32], sig[80];
    load(&c, &fixed[0]);
    der_split(c.sig, r, s);
    bw_test_hex(order_n, n, sizeof n);

    size_t len = der_encode(sig, zero, s);
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, sig, len),
                  BW_ESIGNATURE);
    len = der_encode(sig, r, zero);
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, sig, len),
                  BW_ESIGNATURE);
    len = der_encode(sig, n, s);
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, sig, len),
                  BW_ESIGNATURE);
    len = der_encode(sig, r, n);
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, sig, len),
                  BW_ESIGNATURE);
    be_sub(alt, n, s);
    len = der_encode(sig, r, alt);
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, sig, len), 0);
    /* And our encoder reproduces the original, so the cases above mean
     * what they say. */
    len = der_encode(sig, r, s);
    assert_int_equal(len, c.sig_len);
    assert_memory_equal(sig, c.sig, len);
}

/* Signatures that are not strict DER ECDSA-Sig-Values: BW_EMALFORMED. */
static const char *const bad_der[] = {
    "",                       /* empty */
    "30",                     /* no length */
    "3000",                   /* empty SEQUENCE */
    "3106020101020101",       /* SET, not SEQUENCE */
    "3007020101020101",       /* SEQUENCE longer than the input */
    "3005020101020101",       /* SEQUENCE shorter than its contents */
    "300602010102010100",     /* a byte after the SEQUENCE */
    "308106020101020101",     /* long-form length */
    "3006030101020101",       /* BIT STRING instead of INTEGER */
    "30050200020101",         /* zero-length INTEGER */
    "300702020001020101",     /* r with a superfluous leading zero */
    "3006020181020101",       /* r negative */
    "3006020101020181",       /* s negative */
    "3003020101",             /* s missing */
    "3009020101020101020101", /* a third INTEGER */
    "3006020101028101",       /* s with a long-form length */
    "300602010102020101",     /* s running past the SEQUENCE */
    /* r of 34 bytes (00 00 + 32) */
    "302702220000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffff020101",
    /* r of 33 bytes without the sign-byte reason for it */
    "30260221017fffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffff020101",
};

static void test_malformed_der(void **state)
{
    (void)state;
    case_t c;
    uint8_t sig[80];
    load(&c, &fixed[0]);
    for (size_t i = 0; i < sizeof bad_der / sizeof bad_der[0]; i++) {
        size_t len = bw_test_hex(bad_der[i], sig, sizeof sig);
        int err = bw_ecdsa_p256_verify(c.pub, c.digest, sig, len);
        if (err != BW_EMALFORMED)
            fail_msg("bad_der[%zu] gave %s", i, bw_err_name(err));
    }
    /* Every truncation of a valid signature. */
    for (size_t len = 0; len < c.sig_len; len++)
        bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, len),
                      BW_EMALFORMED);
    /* The minimal well-formed signature parses and merely fails. */
    size_t len = bw_test_hex("3006020101020101", sig, sizeof sig);
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, sig, len),
                  BW_ESIGNATURE);
}

/*
 * Keys that are not points on P-256: wrong prefix (compressed, hybrid,
 * infinity), X or Y not below p, and y + 1 (off the curve).
 */
static void test_bad_keys(void **state)
{
    (void)state;
    case_t c;
    uint8_t pub[65];
    load(&c, &fixed[0]);
    const uint8_t prefixes[] = {0x00, 0x02, 0x03, 0x06, 0x07, 0x05};
    for (size_t i = 0; i < sizeof prefixes; i++) {
        memcpy(pub, c.pub, sizeof pub);
        pub[0] = prefixes[i];
        bw_assert_err(bw_ecdsa_p256_verify(pub, c.digest, c.sig, c.sig_len),
                      BW_EMALFORMED);
    }
    memset(pub, 0, sizeof pub);
    bw_assert_err(bw_ecdsa_p256_verify(pub, c.digest, c.sig, c.sig_len),
                  BW_EMALFORMED);
    memset(pub, 0xff, sizeof pub);
    pub[0] = 0x04;
    bw_assert_err(bw_ecdsa_p256_verify(pub, c.digest, c.sig, c.sig_len),
                  BW_EMALFORMED);
    memcpy(pub, c.pub, sizeof pub);
    pub[64] ^= 0x01;
    bw_assert_err(bw_ecdsa_p256_verify(pub, c.digest, c.sig, c.sig_len),
                  BW_EMALFORMED);
}

static void test_invalid_args(void **state)
{
    (void)state;
    case_t c;
    load(&c, &fixed[0]);
    bw_assert_err(bw_ecdsa_p256_verify(NULL, c.digest, c.sig, c.sig_len),
                  BW_EINVAL);
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, NULL, c.sig, c.sig_len),
                  BW_EINVAL);
    bw_assert_err(bw_ecdsa_p256_verify(c.pub, c.digest, NULL, c.sig_len),
                  BW_EINVAL);
}

/* Generate a key and sign a digest with OpenSSL; fills c. */
static void openssl_sign(case_t *c, EVP_PKEY *key, unsigned seed)
{
    size_t pub_len = 0;
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, c->pub,
                                        sizeof c->pub, &pub_len),
        1);
    assert_int_equal(pub_len, 65);
    for (size_t i = 0; i < sizeof c->digest; i++)
        c->digest[i] = (uint8_t)(seed * 7919u + i * 31u);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
    c->sig_len = sizeof c->sig;
    assert_int_equal(
        EVP_PKEY_sign(ctx, c->sig, &c->sig_len, c->digest, sizeof c->digest),
        1);
    EVP_PKEY_CTX_free(ctx);
}

/*
 * 100 fresh OpenSSL keys, two signatures each: every one verifies here;
 * each fails with the other key, with a flipped digest bit, and with a
 * flipped low bit of s.
 */
static void test_openssl_random(void **state)
{
    (void)state;
    EVP_PKEY *prev = NULL;
    case_t c, d;
    for (unsigned k = 0; k < 100; k++) {
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        assert_non_null(key);
        for (unsigned m = 0; m < 2; m++) {
            openssl_sign(&c, key, k * 2 + m);
            bw_assert_err(
                bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, c.sig_len), 0);
            c.digest[k % 32] ^= (uint8_t)(1u << (m * 3 + k % 5));
            bw_assert_err(
                bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, c.sig_len),
                BW_ESIGNATURE);
            c.digest[k % 32] ^= (uint8_t)(1u << (m * 3 + k % 5));
            c.sig[c.sig_len - 1] ^= 0x01;
            bw_assert_err(
                bw_ecdsa_p256_verify(c.pub, c.digest, c.sig, c.sig_len),
                BW_ESIGNATURE);
            c.sig[c.sig_len - 1] ^= 0x01;
            if (prev != NULL) {
                openssl_sign(&d, prev, 0);
                bw_assert_err(
                    bw_ecdsa_p256_verify(d.pub, c.digest, c.sig, c.sig_len),
                    BW_ESIGNATURE);
            }
        }
        EVP_PKEY_free(prev);
        prev = key;
    }
    EVP_PKEY_free(prev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_vectors),
        cmocka_unit_test(test_corruptions),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_malformed_der),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_invalid_args),
        cmocka_unit_test(test_openssl_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
