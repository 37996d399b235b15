/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/u64.c: 64-bit division by a divisor below 2^16 in 32-bit steps
 * (bw_u64.h), checked against the compiler's own 64-bit '/' and '%'.
 * Dividends: 0, 1, UINT64_MAX, every power of ten and of two with its
 * neighbours, values with a single 16-bit digit set; divisors: 1, the
 * decimal bases, primes, 0xff/0x100 and the largest, 65535.  Decimal
 * formatting by repeated division (as the text writers do) is compared
 * with printf's.
 */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/bw_u64.h"

static const uint32_t divisors[] = {
    1,   2,   3,    7,    9,    10,    11,    16,    100,
    255, 256, 1000, 4096, 9999, 10000, 65521, 65534, 65535,
};
#define N_DIVISORS (sizeof divisors / sizeof divisors[0])

/* The dividends tried; returns how many were written to out. */
static size_t dividends(uint64_t *out, size_t cap)
{
    size_t n = 0;
#define ADD(v)                                                                 \
    do {                                                                       \
        assert_true(n < cap);                                                  \
        out[n++] = (v);                                                        \
    } while (0)
    ADD(0);
    ADD(1);
    ADD(UINT64_MAX);
    ADD(UINT64_MAX - 1);
    ADD((uint64_t)INT64_MAX);
    ADD((uint64_t)INT64_MAX + 1);
    for (uint64_t p = 1;; p *= 10) { /* 10^0 .. 10^19 */
        ADD(p - 1);
        ADD(p);
        ADD(p + 1);
        if (p > UINT64_MAX / 10)
            break;
    }
    for (int s = 0; s < 64; s++) {
        uint64_t p = UINT64_C(1) << s;
        ADD(p - 1);
        ADD(p);
        ADD(p + 1);
    }
    for (int s = 0; s < 64; s += 16) { /* one base-2^16 digit set */
        ADD(UINT64_C(0xffff) << s);
        ADD(UINT64_C(0x8001) << s);
    }
#undef ADD
    return n;
}

/*
 * Quotient and remainder of every dividend by every divisor equal the
 * compiler's; the remainder pointer may be NULL (quotient unchanged).
 */
static void test_div_against_compiler(void **state)
{
    (void)state;
    uint64_t vals[320];
    size_t n = dividends(vals, sizeof vals / sizeof vals[0]);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < N_DIVISORS; j++) {
            uint64_t v = vals[i];
            uint32_t d = divisors[j];
            uint32_t rem = 0xdeadbeef;
            uint64_t q = bw__u64_div(v, d, &rem);
            if (q != v / d || rem != v % d)
                fail_msg("%" PRIu64 " / %" PRIu32 " = %" PRIu64 " r %" PRIu32
                         ", want %" PRIu64 " r %" PRIu64,
                         v, d, q, rem, v / d, v % d);
            assert_int_equal(bw__u64_div(v, d, NULL), v / d);
        }
    }
}

/* A pseudo-random sweep (a fixed LCG) over all dividends and divisors. */
static void test_div_sweep(void **state)
{
    (void)state;
    uint64_t x = 0x0123456789abcdefu;
    for (int i = 0; i < 200000; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        uint64_t v = x >> (i % 64);
        uint32_t d = (uint32_t)(x >> 20) % 65535u + 1u;
        uint32_t rem;
        uint64_t q = bw__u64_div(v, d, &rem);
        if (q != v / d || rem != v % d)
            fail_msg("%" PRIu64 " / %" PRIu32, v, d);
    }
}

/* Decimal text of v by division by 10 (digits from the right). */
static size_t fmt_by_10(uint64_t v, char *out)
{
    char tmp[20];
    size_t n = 0;
    do {
        uint32_t r;
        v = bw__u64_div(v, 10, &r);
        tmp[n++] = (char)('0' + r);
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

/* Decimal text of v by division by 10000 (four digits a step). */
static size_t fmt_by_10000(uint64_t v, char *out)
{
    uint32_t groups[5];
    size_t g = 0;
    do {
        v = bw__u64_div(v, 10000, &groups[g++]);
    } while (v);
    int n = sprintf(out, "%" PRIu32, groups[g - 1]);
    for (size_t i = g - 1; i > 0; i--)
        n += sprintf(out + n, "%04" PRIu32, groups[i - 1]);
    return (size_t)n;
}

/*
 * Decimal formatting through bw__u64_div gives printf's text for 0,
 * UINT64_MAX (20 digits) and every power of ten +-1: the carries and
 * digit-count changes where a formatter goes wrong.
 */
static void test_decimal_formatting(void **state)
{
    (void)state;
    uint64_t vals[320];
    size_t n = dividends(vals, sizeof vals / sizeof vals[0]);
    for (size_t i = 0; i < n; i++) {
        char want[24], a[24], b[24];
        int wn = snprintf(want, sizeof want, "%" PRIu64, vals[i]);
        assert_int_equal(fmt_by_10(vals[i], a), (size_t)wn);
        assert_string_equal(a, want);
        assert_int_equal(fmt_by_10000(vals[i], b), (size_t)wn);
        assert_string_equal(b, want);
    }
    char s[24];
    fmt_by_10(UINT64_MAX, s);
    assert_string_equal(s, "18446744073709551615");
    fmt_by_10(0, s);
    assert_string_equal(s, "0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_div_against_compiler),
        cmocka_unit_test(test_div_sweep),
        cmocka_unit_test(test_decimal_formatting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
