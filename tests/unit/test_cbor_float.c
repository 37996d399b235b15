/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Floats: half-precision decoding (table, then all 65536 patterns against
 * a reference computed here by plain arithmetic), single-precision
 * decoding, and the writer's choice of the shortest exact width.
 */
#include "testutil.h"

#include <float.h>
#include <string.h>

#include "bulwark/cbor.h"

/* 2^e by repeated doubling or halving: exact for the range used here. */
static double pow2(int e)
{
    double v = 1.0;
    for (; e > 0; e--)
        v *= 2.0;
    for (; e < 0; e++)
        v *= 0.5;
    return v;
}

/* Decode one float item given as raw bytes. */
static double read_float(const uint8_t *buf, size_t len)
{
    bw_cbor_reader_t r;
    double d = -1.0;
    bw_cbor_reader_init(&r, buf, len);
    bw_assert_err(bw_cbor_read_double(&r, &d), 0);
    bw_assert_err(bw_cbor_finish(&r), 0);
    return d;
}

static double read_half(uint16_t h)
{
    uint8_t buf[3] = {0xf9, (uint8_t)(h >> 8), (uint8_t)h};
    return read_float(buf, sizeof buf);
}

/* Same value, sign of zero included; all NaNs are the same here. */
static void assert_same(double got, double want)
{
    if (want != want) {
        assert_true(got != got);
        return;
    }
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("got %.17g, want %.17g", got, want);
}

/* Half-precision table: the notable patterns and their exact values. */
static void test_half_table(void **state)
{
    (void)state;
    static const struct {
        uint16_t bits;
        double value;
    } rows[] = {
        {0x0000, 0.0},
        {0x8000, -0.0},
        {0x0001, 5.9604644775390625e-08}, /* smallest subnormal 2^-24 */
        {0x8001, -5.9604644775390625e-08},
        {0x0200, 3.0517578125e-05},      /* 2^-15, a subnormal */
        {0x03ff, 6.097555160522461e-05}, /* largest subnormal */
        {0x0400, 6.103515625e-05},       /* smallest normal 2^-14 */
        {0x3555, 0.333251953125},
        {0x3bff, 0.99951171875},
        {0x3c00, 1.0},
        {0x3c01, 1.0009765625},
        {0x3e00, 1.5},
        {0x4000, 2.0},
        {0xc000, -2.0},
        {0xc400, -4.0},
        {0x7bff, 65504.0}, /* largest finite */
        {0xfbff, -65504.0},
        {0x7c00, DBL_MAX * 2.0},  /* +infinity */
        {0xfc00, -DBL_MAX * 2.0}, /* -infinity */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_same(read_half(rows[i].bits), rows[i].value);
    /* NaN patterns: quiet, signalling, negative */
    static const uint16_t nans[] = {0x7e00, 0x7c01, 0x7fff, 0xfe00};
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        double d = read_half(nans[i]);
        assert_true(d != d);
    }
}

/*
 * Every half pattern: the decoded double equals the value computed from
 * the fields by plain arithmetic, and the writer encodes it back to the
 * same two bytes (every NaN to the canonical f9 7e 00).
 */
static void test_half_exhaustive(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 0x10000; h++) {
        unsigned sign = h >> 15;
        unsigned exp = (h >> 10) & 0x1f;
        unsigned mant = h & 0x3ff;
        double want;
        if (exp == 0)
            want = mant * pow2(-24);
        else if (exp == 31)
            want = mant ? (DBL_MAX * 2.0) * 0.0 : DBL_MAX * 2.0;
        else
            want = (1024 + mant) * pow2((int)exp - 25);
        if (sign)
            want = -want;
        double got = read_half((uint16_t)h);
        assert_same(got, want);

        uint8_t out[9];
        size_t len;
        bw_cbor_writer_t w;
        bw_cbor_writer_init(&w, out, sizeof out);
        bw_cbor_write_double(&w, got);
        bw_assert_err(bw_cbor_writer_finish(&w, &len), 0);
        assert_int_equal(len, 3);
        assert_int_equal(out[0], 0xf9);
        uint16_t back = (uint16_t)(out[1] << 8 | out[2]);
        if (exp == 31 && mant != 0)
            assert_int_equal(back, 0x7e00);
        else
            assert_int_equal(back, h);
    }
}

/* Single-precision decoding, subnormals and extremes included. */
static void test_single_decode(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        double value;
    } rows[] = {
        {"fa00000001", 1.4012984643248171e-45}, /* 2^-149 */
        {"fa80000001", -1.4012984643248171e-45},
        {"fa007fffff", 1.1754942106924411e-38}, /* largest subnormal */
        {"fa00800000", 1.1754943508222875e-38}, /* smallest normal */
        {"fa3f800000", 1.0},
        {"fa47c35000", 100000.0},
        {"fa7f7fffff", 3.4028234663852886e+38},
        {"fa7f800000", DBL_MAX * 2.0},
        {"faff800000", -DBL_MAX * 2.0},
        {"fb3ff199999999999a", 1.1},
        {"fb0000000000000001", 4.9406564584124654e-324},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t buf[9];
        size_t n = bw_test_hex(rows[i].hex, buf, sizeof buf);
        assert_same(read_float(buf, n), rows[i].value);
    }
    uint8_t nan[5] = {0xfa, 0x7f, 0x80, 0x00, 0x01};
    double d = read_float(nan, sizeof nan);
    assert_true(d != d);
}

/*
 * The writer picks the shortest exact width: each value here sits on one
 * side of a boundary (last exact half, first value half cannot hold,
 * smallest subnormals, precision limits).
 */
static void test_write_shortest(void **state)
{
    (void)state;
    static const struct {
        double value;
        const char *hex;
    } rows[] = {
        {0.0, "f90000"},
        {-0.0, "f98000"},
        {1.0, "f93c00"},
        {65504.0, "f97bff"},
        {65505.0, "fa477fe100"},       /* above half's range: single */
        {65520.0, "fa477ff000"},       /* rounds to half inf: not exact */
        {1.0009765625, "f93c01"},      /* 1 + 2^-10 */
        {1.00048828125, "fa3f801000"}, /* 1 + 2^-11: single */
        {1.00000011920928955078125, "fa3f800001"},          /* 1 + 2^-23 */
        {1.000000059604644775390625, "fb3ff0000010000000"}, /* 1 + 2^-24 */
        {5.9604644775390625e-08, "f90001"},                 /* 2^-24 */
        {2.98023223876953125e-08, "fa33000000"},            /* 2^-25 */
        {8.940696716308594e-08, "fa33c00000"},  /* 1.5 * 2^-24: no half */
        {6.097555160522461e-05, "f903ff"},      /* largest half subnormal */
        {1.4012984643248171e-45, "fa00000001"}, /* 2^-149 */
        {7.006492321624085e-46, "fb3690000000000000"}, /* 2^-150 */
        {3.4028234663852886e+38, "fa7f7fffff"},
        {3.402823669209385e+38, "fb47f0000000000000"}, /* 2^128 */
        {1.1, "fb3ff199999999999a"},
        {4.9406564584124654e-324, "fb0000000000000001"},
        {DBL_MAX, "fb7fefffffffffffff"},
        {DBL_MAX * 2.0, "f97c00"},
        {-DBL_MAX * 2.0, "f9fc00"},
        {(DBL_MAX * 2.0) * 0.0, "f97e00"},
        {-((DBL_MAX * 2.0) * 0.0), "f97e00"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t want[9];
        uint8_t got[9];
        size_t want_len = bw_test_hex(rows[i].hex, want, sizeof want);
        size_t len;
        bw_cbor_writer_t w;
        bw_cbor_writer_init(&w, got, sizeof got);
        bw_cbor_write_double(&w, rows[i].value);
        bw_assert_err(bw_cbor_writer_finish(&w, &len), 0);
        if (len != want_len || memcmp(got, want, len) != 0)
            fail_msg("%.17g: wrong encoding, want %s", rows[i].value,
                     rows[i].hex);
        if (rows[i].value == rows[i].value)
            assert_same(read_float(got, len), rows[i].value);
    }
}

/* Every finite half value, filled once by test_round_trip_spread. */
static double half_values[0x7c00];

/*
 * Round trip over a spread of doubles (powers of two times assorted
 * mantissas): what the writer emits reads back to the same double, and it
 * is never wider than needed: a single is written only when no finite
 * half equals the value (checked against every one of them), a double
 * only when the hardware's float conversion is not exact either.
 */
static void test_round_trip_spread(void **state)
{
    (void)state;
    static const double mants[] = {
        1.0, 1.5, 1.25, 1.0009765625, 1.00048828125, 1.1, 1.9990234375};
    for (uint32_t h = 0; h < 0x7c00; h++)
        half_values[h] = read_half((uint16_t)h);
    for (int e = -160; e <= 140; e++) {
        for (size_t m = 0; m < sizeof mants / sizeof mants[0]; m++) {
            for (int sign = 0; sign < 2; sign++) {
                double v = mants[m] * pow2(e) * (sign ? -1.0 : 1.0);
                double mag = v < 0 ? -v : v;
                uint8_t out[9];
                size_t len;
                bw_cbor_writer_t w;
                bw_cbor_writer_init(&w, out, sizeof out);
                bw_cbor_write_double(&w, v);
                bw_assert_err(bw_cbor_writer_finish(&w, &len), 0);
                assert_same(read_float(out, len), v);
                if (len > 3) {
                    for (uint32_t h = 0; h < 0x7c00; h++)
                        assert_true(half_values[h] != mag);
                }
                if (len > 5 && mag <= FLT_MAX)
                    assert_true((double)(float)v != v);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_table),
        cmocka_unit_test(test_half_exhaustive),
        cmocka_unit_test(test_single_decode),
        cmocka_unit_test(test_write_shortest),
        cmocka_unit_test(test_round_trip_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
