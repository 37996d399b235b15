/* SPDX-License-Identifier: Apache-2.0 */
/* text/plain numbers, booleans and object links: strict syntax, exact
 * ranges, and formatting that reads back to the same value. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m.h"

static int pint(const char *s, int64_t *v)
{
    return bw_lwm2m_text_parse_int(s, strlen(s), v);
}

static int puint(const char *s, uint64_t *v)
{
    return bw_lwm2m_text_parse_uint(s, strlen(s), v);
}

static int pflt(const char *s, double *v)
{
    return bw_lwm2m_text_parse_float(s, strlen(s), v);
}

/* Signed integers at their edges and one past them. */
static void test_int_edges(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(pint("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(pint("9223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(pint("-9223372036854775808", &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(pint("-1", &v), 0);
    assert_int_equal(v, -1);

    v = 42;
    bw_assert_err(pint("9223372036854775808", &v), BW_ERANGE);
    bw_assert_err(pint("-9223372036854775809", &v), BW_ERANGE);
    bw_assert_err(pint("99999999999999999999999", &v), BW_ERANGE);
    assert_int_equal(v, 42); /* unchanged on failure */
}

/* One spelling per number: no '+', spaces, leading zeros or "-0";
 * syntax errors win over range errors. */
static void test_int_syntax(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",   "-",   "+1",  " 1",   "1 ", "01",  "-01",
        "-0", "1.0", "1e3", "0x10", "1-", "--1", "9223372036854775808x"};
    int64_t v = 7;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        bw_assert_err(pint(bad[i], &v), BW_EMALFORMED);
    assert_int_equal(v, 7);
    /* NUL inside the counted length is a bad character, not an end. */
    bw_assert_err(bw_lwm2m_text_parse_int("1\0", 2, &v), BW_EMALFORMED);
}

/* Unsigned: full 64-bit range, no sign at all. */
static void test_uint_edges(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(puint("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(puint("0", &v), 0);
    assert_true(v == 0);
    bw_assert_err(puint("18446744073709551616", &v), BW_ERANGE);
    bw_assert_err(puint("-1", &v), BW_EMALFORMED);
    bw_assert_err(puint("+1", &v), BW_EMALFORMED);
    bw_assert_err(puint("00", &v), BW_EMALFORMED);
}

/* Floats in the JSON number form give the nearest double. */
static void test_float_valid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double v;
    } cases[] = {
        {"0", 0.0},
        {"1", 1.0},
        {"-12.34", -12.34},
        {"0.1", 0.1},
        {"1e3", 1000.0},
        {"1E+3", 1000.0},
        {"2.5e-3", 0.0025},
        {"123456789012345678", 123456789012345678.0},
        {"1.7976931348623157e308", 1.7976931348623157e308},
        {"4.9406564584124654e-324", 4.9406564584124654e-324},
        {"0.000000000000000000001", 1e-21},
        {"1e-400", 0.0}, /* underflow rounds to zero */
        {"1e-99999999999999999999", 0.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -99;
        assert_int_equal(pflt(cases[i].s, &v), 0);
        assert_true(v == cases[i].v);
    }
    double z = 1;
    assert_int_equal(pflt("-0.0", &z), 0);
    assert_true(z == 0.0 && signbit(z));
}

/* Grammar violations are BW_EMALFORMED; overflow to infinity is
 * BW_ERANGE; text beyond the length cap is BW_EOVERFLOW. */
static void test_float_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",    "-",   "+1",  ".5", "5.", "01.5",  "1e",    "1e+", "1.e3", "inf",
        "nan", "NaN", "1,5", " 1", "1 ", "0x1p3", "1.5.2", "--1", "1e3.5"};
    double v = 3.0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        bw_assert_err(pflt(bad[i], &v), BW_EMALFORMED);
    bw_assert_err(pflt("1e309", &v), BW_ERANGE);
    bw_assert_err(pflt("-1e99999999999", &v), BW_ERANGE);
    assert_true(v == 3.0);

    char longnum[BW_LWM2M_TEXT_FLOAT_MAX + 2];
    memset(longnum, '1', sizeof longnum - 1);
    longnum[sizeof longnum - 1] = '\0';
    bw_assert_err(pflt(longnum, &v), BW_EOVERFLOW);
    longnum[BW_LWM2M_TEXT_FLOAT_MAX] = '\0'; /* exactly at the cap */
    assert_int_equal(pflt(longnum, &v), 0);
    assert_true(v > 1.1e63 && v < 1.2e63);
}

/* Booleans are exactly "0" or "1"; another digit is out of range. */
static void test_bool(void **state)
{
    (void)state;
    bool b = false;
    assert_int_equal(bw_lwm2m_text_parse_bool("1", 1, &b), 0);
    assert_true(b);
    assert_int_equal(bw_lwm2m_text_parse_bool("0", 1, &b), 0);
    assert_false(b);
    bw_assert_err(bw_lwm2m_text_parse_bool("2", 1, &b), BW_ERANGE);
    bw_assert_err(bw_lwm2m_text_parse_bool("true", 4, &b), BW_EMALFORMED);
    bw_assert_err(bw_lwm2m_text_parse_bool("01", 2, &b), BW_EMALFORMED);
    bw_assert_err(bw_lwm2m_text_parse_bool("", 0, &b), BW_EMALFORMED);
}

/* Object links "oid:iid", each 0..65535 (65535:65535 is the null link). */
static void test_objlnk(void **state)
{
    (void)state;
    bw_lwm2m_objlnk_t l = {1, 1};
    assert_int_equal(bw_lwm2m_text_parse_objlnk("3:0", 3, &l), 0);
    assert_int_equal(l.oid, 3);
    assert_int_equal(l.iid, 0);
    assert_int_equal(bw_lwm2m_text_parse_objlnk("65535:65535", 11, &l), 0);
    assert_int_equal(l.oid, 65535);
    assert_int_equal(l.iid, 65535);
    bw_assert_err(bw_lwm2m_text_parse_objlnk("65536:0", 7, &l), BW_ERANGE);
    static const char *bad[] = {"3",    "3:",   ":0",   "3:0:1", "03:0",
                                "3:00", "3 :0", "-3:0", "",      "3:65536x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        bw_assert_err(bw_lwm2m_text_parse_objlnk(bad[i], strlen(bad[i]), &l),
                      BW_EMALFORMED);
}

static void expect_text(bw_lwm2m_value_t v, const char *want)
{
    char buf[64];
    size_t n = 99;
    assert_int_equal(bw_lwm2m_text_format(&v, buf, sizeof buf, &n), 0);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
}

/* Formatting writes the canonical form for every type. */
static void test_format(void **state)
{
    (void)state;
    expect_text(bw_lwm2m_value_int(INT64_MIN), "-9223372036854775808");
    expect_text(bw_lwm2m_value_int(INT64_MAX), "9223372036854775807");
    expect_text(bw_lwm2m_value_int(0), "0");
    expect_text(bw_lwm2m_value_time(1367491215), "1367491215");
    expect_text(bw_lwm2m_value_uint(UINT64_MAX), "18446744073709551615");
    expect_text(bw_lwm2m_value_bool(true), "1");
    expect_text(bw_lwm2m_value_bool(false), "0");
    expect_text(bw_lwm2m_value_objlnk(65535, 0), "65535:0");
    expect_text(bw_lwm2m_value_float(0.1), "0.1");
    expect_text(bw_lwm2m_value_float(-12.34), "-12.34");
    expect_text(bw_lwm2m_value_float(100.0), "100");
    expect_text(bw_lwm2m_value_float(1e21), "1e+21");
    expect_text(bw_lwm2m_value_float(1.5e-7), "1.5e-07");
    expect_text(bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "h\xc3\xa9", 3),
                "h\xc3\xa9");
    expect_text(bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, "\x01\x02\x03", 3),
                "AQID");
}

/* Formatting failures: no room, a value text cannot carry, bad UTF-8. */
static void test_format_errors(void **state)
{
    (void)state;
    char buf[8];
    size_t n = 5;
    bw_lwm2m_value_t v = bw_lwm2m_value_int(-12345678);
    bw_assert_err(bw_lwm2m_text_format(&v, buf, sizeof buf, &n), BW_ENOSPC);
    assert_int_equal(n, 0);
    v = bw_lwm2m_value_float(INFINITY);
    bw_assert_err(bw_lwm2m_text_format(&v, buf, sizeof buf, &n), BW_ERANGE);
    v = bw_lwm2m_value_float(NAN);
    bw_assert_err(bw_lwm2m_text_format(&v, buf, sizeof buf, &n), BW_ERANGE);
    v = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "\xc0\x80", 2);
    bw_assert_err(bw_lwm2m_text_format(&v, buf, sizeof buf, &n), BW_EUTF8);
    v.type = BW_LWM2M_TYPE_NONE;
    bw_assert_err(bw_lwm2m_text_format(&v, buf, sizeof buf, &n), BW_ETYPE);
}

/*
 * Doubles of many magnitudes format to text that parses back to the
 * identical bits, never longer than 24 characters.
 */
static void test_float_roundtrip(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (!isfinite(d))
            continue;
        bw_lwm2m_value_t v = bw_lwm2m_value_float(d);
        char buf[64];
        size_t n;
        assert_int_equal(bw_lwm2m_text_format(&v, buf, sizeof buf, &n), 0);
        assert_true(n <= 24);
        double back;
        assert_int_equal(bw_lwm2m_text_parse_float(buf, n, &back), 0);
        assert_memory_equal(&back, &d, sizeof d);
    }
}

/* xorshift64: a fixed, reproducible stream of test inputs. */
static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/*
 * Reference layout, built from the C library (in the "C" locale of a test
 * program): "%.*g" with the fewest digits that strtod reads back to v;
 * then, when that has a positive exponent below 17, the same with one
 * digit per place before the point if that still reads back.
 */
static size_t ref_format(double v, char *out)
{
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(out, 40, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    const char *e = strchr(out, 'e');
    if (e != NULL && e[1] == '+' && atoi(e + 2) < 17) {
        char alt[40];
        int m = snprintf(alt, sizeof alt, "%.*g", atoi(e + 2) + 1, v);
        if (strtod(alt, NULL) == v) {
            memcpy(out, alt, (size_t)m + 1);
            n = m;
        }
    }
    return (size_t)n;
}

static void expect_ref(double d)
{
    char want[40], got[64];
    size_t wn = ref_format(d, want), n = 0;
    bw_lwm2m_value_t v = bw_lwm2m_value_float(d);
    assert_int_equal(bw_lwm2m_text_format(&v, got, sizeof got, &n), 0);
    if (n != wn || memcmp(got, want, n) != 0)
        fail_msg("%.17g: got %.*s want %s", d, (int)n, got, want);
}

/*
 * The writer's text is exactly what the C library's shortest "%g" gives
 * (the form peers and earlier releases saw), for random doubles of every
 * magnitude, whole numbers near the plain/exponent border, powers of ten,
 * halfway cases and the extremes.
 */
static void test_float_format_matches_printf(void **state)
{
    (void)state;
    static const double fixed[] = {
        0.0,
        -0.0,
        1.0,
        0.5,
        0.0001,
        0.00001,
        123456.0,
        1e16,
        1e17,
        2e17,
        9.5,
        0.15,
        1e21,
        1e22,
        1e23,
        5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        4503599627370497.0,
        9007199254740993.0,
        99999999999999999.0,
        123456789012345678.0,
        0.1 + 0.2,
        1.0 / 3.0,
        -2.5e-5,
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        expect_ref(fixed[i]);
    double p = 1;
    for (int i = 0; i < 25; i++, p *= 10) {
        expect_ref(p);
        expect_ref(p + 1);
        expect_ref(p * 7);
    }
    uint64_t x = 0x2545F4914F6CDD1Du;
    for (int i = 0; i < 5000; i++) {
        uint64_t r = next_rand(&x);
        double d;
        memcpy(&d, &r, sizeof d);
        if (isfinite(d))
            expect_ref(d);
        /* Whole numbers of up to 19 digits: the plain/exponent border. */
        expect_ref((double)(r >> (r % 64)));
    }
}

/*
 * Parsing rounds correctly: random decimal texts (up to 40 digits, with
 * fractions and exponents across the whole range) give the same double
 * as the C library's strtod, which rounds correctly.
 */
static void test_float_parse_matches_strtod(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 5000; i++) {
        char s[BW_LWM2M_TEXT_FLOAT_MAX + 1];
        size_t n = 0;
        uint64_t r = next_rand(&x);
        size_t ndig = 1 + r % 40;
        if (r & (1u << 8))
            s[n++] = '-';
        s[n++] = (char)('1' + next_rand(&x) % 9);
        size_t point = (size_t)(next_rand(&x) % (ndig + 1));
        for (size_t k = 1; k < ndig; k++) {
            if (k == point)
                s[n++] = '.';
            s[n++] = (char)('0' + next_rand(&x) % 10);
        }
        int exp = (int)(next_rand(&x) % 700) - 360;
        n += (size_t)snprintf(s + n, sizeof s - n, "e%d", exp);
        double want = strtod(s, NULL), got = 0;
        int err = bw_lwm2m_text_parse_float(s, n, &got);
        if (isinf(want)) {
            bw_assert_err(err, BW_ERANGE);
            continue;
        }
        assert_int_equal(err, 0);
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("%s: got %.17g want %.17g", s, got, want);
    }
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* The edges of the integer-only conversions (no floating-point
 * arithmetic in the library): ties at 2^53 and at 1 + 2^-53 go to the
 * even mantissa and one digit past the tie goes up; subnormals and the
 * normal/subnormal border; the top of the range (a value just under the
 * midpoint to 2^1024 is DBL_MAX, one past it BW_ERANGE); 0.1 and 1e300
 * exactly; -0 keeps its sign both ways; and 20- and 21-digit integers
 * past UINT64_MAX are BW_ERANGE without a wrap.  Each parse must give
 * exactly the expected bits and each format the expected text. */
static void test_float_integer_edges(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint64_t bits;
    } cases[] = {
        {"9007199254740993", UINT64_C(0x4340000000000000)}, /* 2^53 */
        {"9007199254740995", UINT64_C(0x4340000000000002)}, /* 2^53 + 4 */
        {"9007199254740993.0000000001", UINT64_C(0x4340000000000001)},
        {"1.00000000000000011102230246251565404236316680908203125",
         UINT64_C(0x3FF0000000000000)},
        {"1.00000000000000011102230246251565404236316680908203126",
         UINT64_C(0x3FF0000000000001)},
        {"0.1", UINT64_C(0x3FB999999999999A)},
        {"1e300", UINT64_C(0x7E37E43C8800759C)},
        {"5e-324", UINT64_C(0x0000000000000001)},
        {"2.4703282292062328e-324", UINT64_C(0x0000000000000001)},
        {"2.4703282292062327e-324", UINT64_C(0x0000000000000000)},
        {"2.2250738585072009e-308", UINT64_C(0x000FFFFFFFFFFFFF)},
        {"2.2250738585072014e-308", UINT64_C(0x0010000000000000)},
        {"1.7976931348623158e308", UINT64_C(0x7FEFFFFFFFFFFFFF)},
        {"-0", UINT64_C(0x8000000000000000)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = 7;
        assert_int_equal(pflt(cases[i].s, &v), 0);
        if (bits_of(v) != cases[i].bits)
            fail_msg("%s: got %016llx", cases[i].s,
                     (unsigned long long)bits_of(v));
    }
    double v = 3.0;
    bw_assert_err(pflt("1.7976931348623159e308", &v), BW_ERANGE);
    assert_true(v == 3.0);

    expect_text(bw_lwm2m_value_float(-0.0), "-0");
    expect_text(bw_lwm2m_value_float(9007199254740992.0), "9007199254740992");
    expect_text(bw_lwm2m_value_float(5e-324), "5e-324");
    expect_text(bw_lwm2m_value_float(2.2250738585072009e-308),
                "2.225073858507201e-308");
    expect_text(bw_lwm2m_value_float(1e300), "1e+300");
    expect_text(bw_lwm2m_value_float(1.7976931348623157e308),
                "1.7976931348623157e+308");

    uint64_t u = 5;
    bw_assert_err(puint("99999999999999999999", &u), BW_ERANGE);
    bw_assert_err(puint("184467440737095516150", &u), BW_ERANGE);
    assert_true(u == 5);
    int64_t i64 = 0;
    assert_int_equal(pint("-9223372036854775807", &i64), 0);
    assert_true(i64 == -INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_edges),
        cmocka_unit_test(test_int_syntax),
        cmocka_unit_test(test_uint_edges),
        cmocka_unit_test(test_float_valid),
        cmocka_unit_test(test_float_invalid),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_objlnk),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_float_roundtrip),
        cmocka_unit_test(test_float_format_matches_printf),
        cmocka_unit_test(test_float_parse_matches_strtod),
        cmocka_unit_test(test_float_integer_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
