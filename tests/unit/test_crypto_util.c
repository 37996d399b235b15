/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small helpers: constant-time comparison, wiping, and which backend
 * the program was linked with.  The last one guards the build itself:
 * the program built as test_crypto_util_mbedtls must really run on
 * mbedTLS, or every other *_mbedtls test would be testing OpenSSL twice.
 */
#include <string.h>

#include "bulwark/crypto.h"
#include "testutil.h"

static const char *prog_name;

/* Equal buffers give 1, any single differing bit gives 0, at every
 * position; length 0 is equal. */
static void test_ct_equal(void **state)
{
    (void)state;
    uint8_t a[64], b[64];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (uint8_t)(i * 37u);
    assert_int_equal(bw_ct_equal(a, b, sizeof a), 1);
    assert_int_equal(bw_ct_equal(a, b, 0), 1);
    for (size_t i = 0; i < sizeof a; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(bw_ct_equal(a, b, sizeof a), 0);
            /* The prefix before the difference still compares equal. */
            assert_int_equal(bw_ct_equal(a, b, i), 1);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* All bits different. */
    memset(a, 0x00, sizeof a);
    memset(b, 0xff, sizeof b);
    assert_int_equal(bw_ct_equal(a, b, sizeof a), 0);
}

/* Wipe zeroes exactly the bytes asked for and nothing beyond. */
static void test_wipe(void **state)
{
    (void)state;
    uint8_t buf[32];
    memset(buf, 0xa5, sizeof buf);
    bw_crypto_wipe(buf + 4, 20);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], (i >= 4 && i < 24) ? 0x00 : 0xa5);
    bw_crypto_wipe(buf, 0);
}

/* The backend named matches the program's name. */
static void test_backend_name(void **state)
{
    (void)state;
    const char *name = bw_crypto_backend();
    size_t n = strlen(prog_name);
    int want_mbedtls = n >= 8 && strcmp(prog_name + n - 8, "_mbedtls") == 0;
    assert_non_null(name);
    if (want_mbedtls)
        assert_true(strncmp(name, "mbedtls 2.", 10) == 0 ||
                    strncmp(name, "mbedtls 3.", 10) == 0);
    else
        assert_true(strncmp(name, "openssl 3.", 10) == 0);
}

int main(int argc, char **argv)
{
    prog_name = argc > 0 ? argv[0] : "";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_backend_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
