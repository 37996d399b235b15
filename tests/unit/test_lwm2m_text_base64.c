/* SPDX-License-Identifier: Apache-2.0 */
/* base64 (RFC 4648): test vectors, strict padding, one spelling per
 * byte string. */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m.h"

/* RFC 4648 section 10 vectors, both ways, in both alphabets. */
static void test_rfc_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *raw, *std, *url;
    } v[] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char enc[16];
        uint8_t dec[16];
        size_t n;
        size_t rl = strlen(v[i].raw);
        assert_int_equal(bw_lwm2m_b64_encode((const uint8_t *)v[i].raw, rl, enc,
                                             sizeof enc, BW_LWM2M_B64_STD, &n),
                         0);
        assert_int_equal(n, strlen(v[i].std));
        assert_memory_equal(enc, v[i].std, n);
        assert_int_equal(n, bw_lwm2m_b64_encoded_len(rl, BW_LWM2M_B64_STD));
        assert_int_equal(bw_lwm2m_b64_encode((const uint8_t *)v[i].raw, rl, enc,
                                             sizeof enc, BW_LWM2M_B64_URL, &n),
                         0);
        assert_int_equal(n, strlen(v[i].url));
        assert_memory_equal(enc, v[i].url, n);
        assert_int_equal(bw_lwm2m_b64_decode(v[i].std, strlen(v[i].std), dec,
                                             sizeof dec, BW_LWM2M_B64_STD, &n),
                         0);
        assert_int_equal(n, rl);
        assert_memory_equal(dec, v[i].raw, n);
        assert_int_equal(bw_lwm2m_b64_decode(v[i].url, strlen(v[i].url), dec,
                                             sizeof dec, BW_LWM2M_B64_URL, &n),
                         0);
        assert_int_equal(n, rl);
        assert_memory_equal(dec, v[i].raw, n);
    }
}

/* The two alphabets differ in two symbols and neither accepts the
 * other's. */
static void test_alphabets(void **state)
{
    (void)state;
    uint8_t dec[8];
    size_t n;
    assert_int_equal(
        bw_lwm2m_b64_decode("+/+/", 4, dec, sizeof dec, BW_LWM2M_B64_STD, &n),
        0);
    assert_int_equal(n, 3);
    assert_memory_equal(dec, "\xfb\xff\xbf", 3);
    assert_int_equal(
        bw_lwm2m_b64_decode("-_-_", 4, dec, sizeof dec, BW_LWM2M_B64_URL, &n),
        0);
    assert_memory_equal(dec, "\xfb\xff\xbf", 3);
    bw_assert_err(
        bw_lwm2m_b64_decode("-_-_", 4, dec, sizeof dec, BW_LWM2M_B64_STD, &n),
        BW_EMALFORMED);
    bw_assert_err(
        bw_lwm2m_b64_decode("+/+/", 4, dec, sizeof dec, BW_LWM2M_B64_URL, &n),
        BW_EMALFORMED);
}

/* Every padding or bit-level irregularity is BW_EMALFORMED, with the
 * output length left at 0. */
static void test_strict(void **state)
{
    (void)state;
    static const char *bad_std[] = {
        "Zg",       /* padding missing */
        "Zg=",      /* padding short */
        "Zg===",    /* length not a multiple of 4 */
        "Z===",     /* one symbol cannot make a byte */
        "====",     /* padding only */
        "Zh==",     /* nonzero unused bits */
        "Zm9=",     /* nonzero unused bits */
        "Zg==Zg==", /* padding in the middle */
        "Z=g=",     /* '=' among symbols */
        "Zm9v\n",   /* whitespace */
        "Zm 9v",    /* whitespace */
        "Zm9*",     /* outside the alphabet */
    };
    for (size_t i = 0; i < sizeof bad_std / sizeof bad_std[0]; i++) {
        uint8_t dec[16];
        size_t n = 5;
        bw_assert_err(bw_lwm2m_b64_decode(bad_std[i], strlen(bad_std[i]), dec,
                                          sizeof dec, BW_LWM2M_B64_STD, &n),
                      BW_EMALFORMED);
        assert_int_equal(n, 0);
    }
    static const char *bad_url[] = {"Zg==", "Z", "Zh", "Zm9", "Zm9vY"};
    for (size_t i = 0; i < sizeof bad_url / sizeof bad_url[0]; i++) {
        uint8_t dec[16];
        size_t n;
        bw_assert_err(bw_lwm2m_b64_decode(bad_url[i], strlen(bad_url[i]), dec,
                                          sizeof dec, BW_LWM2M_B64_URL, &n),
                      BW_EMALFORMED);
    }
}

/* Output room is checked before writing: one byte short is BW_ENOSPC
 * both ways; exact room works. */
static void test_nospace(void **state)
{
    (void)state;
    uint8_t dec[6];
    char enc[8];
    size_t n;
    bw_assert_err(
        bw_lwm2m_b64_decode("Zm9vYmFy", 8, dec, 5, BW_LWM2M_B64_STD, &n),
        BW_ENOSPC);
    assert_int_equal(
        bw_lwm2m_b64_decode("Zm9vYmFy", 8, dec, 6, BW_LWM2M_B64_STD, &n), 0);
    bw_assert_err(bw_lwm2m_b64_encode((const uint8_t *)"foobar", 6, enc, 7,
                                      BW_LWM2M_B64_STD, &n),
                  BW_ENOSPC);
    assert_int_equal(n, 0);
    assert_int_equal(bw_lwm2m_b64_encode((const uint8_t *)"foobar", 6, enc, 8,
                                         BW_LWM2M_B64_STD, &n),
                     0);
}

/* Every byte string of length 0..5 over a few byte values survives a
 * round trip, and the encoding is the only one accepted for it. */
static void test_roundtrip(void **state)
{
    (void)state;
    static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
    for (size_t len = 0; len <= 5; len++) {
        size_t combos = 1;
        for (size_t k = 0; k < len; k++)
            combos *= sizeof vals;
        for (size_t c = 0; c < combos; c++) {
            uint8_t raw[5], dec[5];
            size_t x = c;
            for (size_t k = 0; k < len; k++) {
                raw[k] = vals[x % sizeof vals];
                x /= sizeof vals;
            }
            for (int var = 0; var < 2; var++) {
                char enc[8];
                size_t n, m;
                assert_int_equal(bw_lwm2m_b64_encode(raw, len, enc, sizeof enc,
                                                     (bw_lwm2m_b64_t)var, &n),
                                 0);
                assert_int_equal(bw_lwm2m_b64_decode(enc, n, dec, sizeof dec,
                                                     (bw_lwm2m_b64_t)var, &m),
                                 0);
                assert_int_equal(m, len);
                assert_memory_equal(dec, raw, len);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_vectors), cmocka_unit_test(test_alphabets),
        cmocka_unit_test(test_strict),      cmocka_unit_test(test_nospace),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
