/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact number conversion used by SenML JSON (lwm2m_senml_json_num.c),
 * checked against the host C library as an independent implementation:
 * glibc's strtod is correctly rounded and its %.*e prints exact digits.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/lwm2m/lwm2m_json.h"

/* xorshift64: reproducible inputs without global state in the library. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

/* Parse text through the tokenizer as one JSON number. */
static int parse(const char *s, double *d)
{
    bw_lwm2m_json_t js;
    bw_lwm2m_json_tok_t tok;
    bw_lwm2m__json_init(&js, (const uint8_t *)s, strlen(s));
    int err = bw_lwm2m__json_next(&js, &tok);
    if (err)
        return err;
    *d = tok.d;
    return 0;
}

/*
 * Random doubles (all bit patterns, finite): formatting then reading back
 * with strtod must give the same double, and our reader must agree.  The
 * text must be the shortest: strtod of %.(p-1)e with one digit fewer must
 * not round-trip.
 */
static void test_format_round_trip(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 5000; i++) {
        double v = from_bits(rnd(&seed));
        if (!isfinite(v))
            continue;
        char out[BW_LWM2M_JSON_DOUBLE_MAX + 1];
        size_t n = bw_lwm2m__json_fmt_double(v, out);
        assert_true(n > 0 && n <= BW_LWM2M_JSON_DOUBLE_MAX);
        out[n] = '\0';
        assert_true(strchr(out, '.') || strchr(out, 'e'));
        assert_true(strtod(out, NULL) == v);
        double mine = 0; /* set by parse(); gcc -O2 cannot tell */
        assert_int_equal(parse(out, &mine), 0);
        assert_true(memcmp(&mine, &v, sizeof(v)) == 0);
        /* Count significant digits printed. */
        int digits = 0;
        bool lead = true;
        for (const char *p = out; *p && *p != 'e'; p++) {
            if (*p >= '1' && *p <= '9')
                lead = false;
            if (*p >= '0' && *p <= '9' && !lead)
                digits++;
        }
        /* trailing zeros after the point in "100.0" do not count */
        if (!strchr(out, 'e')) {
            const char *dot = strchr(out, '.');
            const char *end = out + n - 1;
            while (end > dot && *end == '0') {
                end--;
                digits--;
            }
            if (end == dot) {
                /* integer value: zeros before the point are not digits */
                const char *p = dot - 1;
                while (p > out && *p == '0') {
                    p--;
                    digits--;
                }
            }
        }
        if (digits > 1) {
            char shorter[40];
            snprintf(shorter, sizeof(shorter), "%.*e", digits - 2, v);
            assert_true(strtod(shorter, NULL) != v);
        }
    }
}

/*
 * Random decimal strings (up to 40 digits, exponents across the range and
 * beyond, so subnormals, halfway cases near them, and overflow all
 * occur): our reader must equal strtod bit for bit, or report BW_ERANGE
 * exactly when strtod overflows to infinity.
 */
static void test_parse_matches_strtod(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    for (int i = 0; i < 5000; i++) {
        char s[80];
        size_t n = 0;
        int nd = 1 + (int)(rnd(&seed) % 40);
        s[n++] = (char)('1' + rnd(&seed) % 9);
        if (nd > 1)
            s[n++] = '.';
        for (int k = 1; k < nd; k++)
            s[n++] = (char)('0' + rnd(&seed) % 10);
        int e = (int)(rnd(&seed) % 700) - 350;
        n += (size_t)snprintf(s + n, sizeof(s) - n, "e%d", e);
        double mine = 0, ref = strtod(s, NULL);
        int err = parse(s, &mine);
        if (isinf(ref)) {
            bw_assert_err(err, BW_ERANGE);
            continue;
        }
        assert_int_equal(err, 0);
        if (memcmp(&mine, &ref, sizeof(ref)) != 0)
            fail_msg("%s: got %a want %a", s, mine, ref);
    }
}

/*
 * Hand-picked hard cases: exact halfway points between doubles (ties to
 * even), the largest double and the first value that rounds past it, the
 * smallest subnormal and half of it, and values just around them.
 */
static void test_parse_edges(void **state)
{
    (void)state;
    static const char *cases[] = {
        "9007199254740993",       /* 2^53 + 1: tie, rounds to even */
        "9007199254740995",       /* tie, rounds up to even */
        "1.7976931348623157e308", /* DBL_MAX */
        "1.7976931348623158e308", /* still DBL_MAX */
        "4.9406564584124654e-324",
        "2.4703282292062328e-324",
        "2.4703282292062327e-324", /* just below half: zero */
        "2.2250738585072011e-308", /* largest subnormal region */
        "2.2250738585072014e-308", /* DBL_MIN */
        "0.1",
        "1e23",
        "8.533e-320",
        "123456789012345678901234567890",
        "1e-400",
        "0.000000000000000000000000000000000000001",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double mine = -1;
        assert_int_equal(parse(cases[i], &mine), 0);
        double ref = strtod(cases[i], NULL);
        if (memcmp(&mine, &ref, sizeof(ref)) != 0)
            fail_msg("%s: got %a want %a", cases[i], mine, ref);
    }
    double d;
    /* The first decimal that rounds to 2^1024 overflows. */
    bw_assert_err(parse("1.7976931348623159e308", &d), BW_ERANGE);
    bw_assert_err(parse("1e309", &d), BW_ERANGE);
    bw_assert_err(parse("-1e99999999999", &d), BW_ERANGE);
}

/* Fixed formatting choices: plain for moderate exponents, else 'e'. */
static void test_format_forms(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.0, "0.0"},       {-0.0, "-0.0"},
        {1.0, "1.0"},       {100.0, "100.0"},
        {23.1, "23.1"},     {-1.5, "-1.5"},
        {0.1, "0.1"},       {0.0001, "0.0001"},
        {1e-6, "1e-6"},     {1.5e-7, "1.5e-7"},
        {1e17, "1e17"},     {1e16, "10000000000000000.0"},
        {120.1, "120.1"},   {1.7976931348623157e308, "1.7976931348623157e308"},
        {5e-324, "5e-324"}, {1320067464.0, "1320067464.0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[BW_LWM2M_JSON_DOUBLE_MAX + 1];
        size_t n = bw_lwm2m__json_fmt_double(cases[i].v, out);
        out[n] = '\0';
        assert_string_equal(out, cases[i].want);
    }
    char out[BW_LWM2M_JSON_DOUBLE_MAX];
    assert_int_equal(bw_lwm2m__json_fmt_double(NAN, out), 0);
    assert_int_equal(bw_lwm2m__json_fmt_double(-INFINITY, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_parse_matches_strtod),
        cmocka_unit_test(test_parse_edges),
        cmocka_unit_test(test_format_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
