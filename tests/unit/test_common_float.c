/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/float.c, the bit-exact IEEE 754 conversions every module shares
 * (bw_float.h).  Each result is compared with a reference computed by
 * the host: plain double arithmetic for binary16 (exact), the compiler's
 * own float <-> double conversions for binary32, and integer casts for
 * the whole-number test.  NaN payloads, subnormals, infinities and the
 * neighbours of every rounding boundary are covered.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "../../lib/bw_float.h"

static uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static float f32_from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* m * 2^e by repeated doubling or halving: exact in the range used. */
static double scale2(double m, int e)
{
    for (; e > 0; e--)
        m *= 2.0;
    for (; e < 0; e++)
        m *= 0.5;
    return m;
}

/* Whether d is a whole number, by the compiler's conversions: from 2^52
 * on every double is one; below, the cast to int64_t truncates. */
static bool whole_ref(double d)
{
    if (!isfinite(d))
        return false;
    double a = d < 0 ? -d : d;
    return a >= 4503599627370496.0 || (double)(int64_t)a == a;
}

/* The double next to d, away from zero (up) or towards it (down), on
 * the bits: for a finite nonzero d both are finite doubles or inf. */
static double f64_step(double d, int dir)
{
    return bw__f64_from_bits(bw__f64_bits(d) + (uint64_t)(int64_t)dir);
}

/* The value of binary16 bits h, computed with ldexp (exact). */
static double half_ref(uint16_t h)
{
    int e = (h >> 10) & 0x1f;
    int m = h & 0x3ff;
    double v;
    if (e == 0x1f)
        v = m ? NAN : INFINITY;
    else if (e == 0)
        v = scale2(m, -24);
    else
        v = scale2(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* bw__f64_bits / from_bits are the bits memcpy gives, both ways. */
static void test_bits_round_trip(void **state)
{
    (void)state;
    static const double vals[] = {0.0,     -0.0,    1.0,      -2.5,
                                  DBL_MIN, DBL_MAX, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint64_t want;
        memcpy(&want, &vals[i], sizeof want);
        assert_int_equal(bw__f64_bits(vals[i]), want);
        double back = bw__f64_from_bits(want);
        assert_memory_equal(&back, &vals[i], sizeof back);
    }
}

/*
 * Every one of the 65536 binary16 patterns: widening gives the value
 * ldexp computes (NaN: exponent all ones, payload left-aligned, sign
 * kept), and narrowing that double gives the same 16 bits back (NaN:
 * refused, its payload could not be known to fit).
 */
static void test_half_exhaustive(void **state)
{
    (void)state;
    for (uint32_t h = 0; h <= 0xffff; h++) {
        uint64_t w = bw__f_widen(h, BW__F16_EBITS, BW__F16_MBITS);
        double ref = half_ref((uint16_t)h);
        uint32_t back = 0xdeadbeef;
        bool ok = bw__f_narrow(w, BW__F16_EBITS, BW__F16_MBITS, &back);
        if (ref != ref) {
            uint64_t want = (uint64_t)(h >> 15) << 63 | BW__F64_INFINITY |
                            (uint64_t)(h & 0x3ff) << 42;
            assert_int_equal(w, want);
            assert_false(ok);
            continue;
        }
        if (w != bw__f64_bits(ref))
            fail_msg("half %04x widened to %016llx, want %.17g", h,
                     (unsigned long long)w, ref);
        assert_true(ok);
        assert_int_equal(back, h);
    }
}

/*
 * Narrowing to binary16 refuses what it cannot hold exactly: the
 * neighbouring doubles of every finite nonzero half (a fraction of an
 * ulp away), 65520 and above (past the largest half, 65504), half the
 * smallest subnormal, and a double subnormal.
 */
static void test_half_narrow_refuses(void **state)
{
    (void)state;
    uint32_t out;
    for (uint32_t h = 1; h < 0x7c00; h++) {
        double v = half_ref((uint16_t)h);
        for (int dir = -1; dir <= 1; dir += 2) {
            double n = f64_step(v, dir);
            if (bw__f_narrow(bw__f64_bits(n), BW__F16_EBITS, BW__F16_MBITS,
                             &out))
                fail_msg("%.17g narrowed to half %04x", n, out);
            if (bw__f_narrow(bw__f64_bits(-n), BW__F16_EBITS, BW__F16_MBITS,
                             &out))
                fail_msg("%.17g narrowed to half %04x", -n, out);
        }
    }
    assert_true(bw__f_narrow(bw__f64_bits(65504.0), 5, 10, &out));
    assert_int_equal(out, 0x7bff);
    assert_false(bw__f_narrow(bw__f64_bits(65536.0), 5, 10, &out));
    assert_false(bw__f_narrow(bw__f64_bits(scale2(1, -25)), 5, 10, &out));
    assert_false(bw__f_narrow(bw__f64_bits(DBL_TRUE_MIN), 5, 10, &out));
}

/* Check one binary32 pattern both ways against the compiler. */
static void check_single(uint32_t b)
{
    float f = f32_from_bits(b);
    double d = (double)f;
    uint64_t w = bw__f_widen(b, BW__F32_EBITS, BW__F32_MBITS);
    uint32_t back = 0;
    bool ok = bw__f_narrow(w, BW__F32_EBITS, BW__F32_MBITS, &back);
    if (f != f) {
        /* NaN: exponent all ones, the 23-bit payload left-aligned in the
         * 52-bit field, sign kept; never narrowed. */
        uint64_t want = (uint64_t)(b >> 31) << 63 | BW__F64_INFINITY |
                        (uint64_t)(b & 0x7fffff) << 29;
        if (w != want)
            fail_msg("NaN %08x widened to %016llx", b, (unsigned long long)w);
        assert_false(ok);
        return;
    }
    if (w != bw__f64_bits(d))
        fail_msg("single %08x widened to %016llx, compiler %016llx", b,
                 (unsigned long long)w, (unsigned long long)bw__f64_bits(d));
    if (!ok || back != b)
        fail_msg("single %08x narrowed back to %d/%08x", b, ok, back);
}

/*
 * binary32 edge cases, then a sweep of 2^20 patterns spread over the
 * whole 32-bit space (every exponent, both signs): widening equals the
 * compiler's (double)f bit for bit, narrowing gives the pattern back.
 */
static void test_single_against_compiler(void **state)
{
    (void)state;
    static const uint32_t edges[] = {
        0x00000000, 0x80000000, /* zeros */
        0x00000001, 0x80000001, /* smallest subnormals */
        0x00000002, 0x00000003, 0x00400000,
        0x00400001, 0x007fffff, 0x807fffff, /* largest subnormals */
        0x00800000, 0x80800000,             /* smallest normals */
        0x00800001, 0x3f800000, 0x3f800001,
        0x3fffffff, 0x7f7fffff, 0xff7fffff, /* largest finite */
        0x7f800000, 0xff800000,             /* infinities */
        0x7f800001, 0xff800001, /* signalling NaN, smallest payload */
        0x7fc00000, 0xffc00000, /* quiet NaNs */
        0x7fffffff, 0xffffffff, /* NaN, all payload bits */
        0x7fa5a5a5, 0x7f812345,
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        check_single(edges[i]);
    for (uint64_t b = 0; b <= 0xffffffffu; b += 4099)
        check_single((uint32_t)b);
}

/*
 * Narrowing to binary32 accepts exactly the doubles the compiler maps
 * to a float and back unchanged.  Tried: every float boundary with its
 * two double neighbours (values that would round to it, half-way cases
 * included), doubles just beyond FLT_MAX, half the smallest subnormal,
 * double subnormals, and NaNs with payloads that fit in 23 bits (still
 * refused: NaN never narrows).
 */
static void check_narrow32(double d)
{
    uint32_t out = 0;
    bool ok = bw__f_narrow(bw__f64_bits(d), BW__F32_EBITS, BW__F32_MBITS, &out);
    float f = (float)d;
    bool exact = d == d && (double)f == d;
    if (ok != exact)
        fail_msg("%.17g (%016llx): narrow says %d, compiler %d", d,
                 (unsigned long long)bw__f64_bits(d), ok, exact);
    if (ok && out != f32_bits(f))
        fail_msg("%.17g narrowed to %08x, compiler %08x", d, out, f32_bits(f));
}

static void test_single_narrow_boundaries(void **state)
{
    (void)state;
    static const uint32_t floats[] = {
        0x00000001, 0x00000002, 0x007fffff, 0x00800000, 0x00800001,
        0x33800000, 0x3f800000, 0x3f800001, 0x4b000000, 0x4b7fffff,
        0x5f000000, 0x7f000000, 0x7f7ffffe, 0x7f7fffff,
    };
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        for (int s = 0; s < 2; s++) {
            double d = (double)f32_from_bits(floats[i] | (uint32_t)s << 31);
            check_narrow32(d);
            check_narrow32(f64_step(d, 1));
            check_narrow32(f64_step(d, -1));
            /* Half-way to the next float: rounds, so not exact. */
            double next =
                (double)f32_from_bits((floats[i] + 1) | (uint32_t)s << 31);
            check_narrow32((d + next) / 2);
        }
    }
    check_narrow32((double)FLT_MAX * 2);
    check_narrow32(scale2(1, 128));
    check_narrow32(scale2(1, -150)); /* half the smallest subnormal */
    check_narrow32(scale2(3, -150));
    check_narrow32(DBL_TRUE_MIN);
    check_narrow32(DBL_MIN);
    check_narrow32(DBL_MAX);
    check_narrow32(INFINITY);
    check_narrow32(-INFINITY);
    check_narrow32(0.1);
    check_narrow32(1.0 / 3.0);
    uint32_t out;
    assert_false(bw__f_narrow(BW__F64_INFINITY | 1, 8, 23, &out));
    assert_false(bw__f_narrow(
        BW__F64_INFINITY | (UINT64_C(1) << 51) | BW__F64_SIGN, 8, 23, &out));
    /* A sweep of doubles whose low 29 mantissa bits are zero (exactly
     * representable when the exponent fits) and of some that are not. */
    for (uint64_t hi = 0; hi < 0x800; hi += 3) {
        uint64_t bits = hi << 52 | UINT64_C(0x000abcde0000000);
        check_narrow32(bw__f64_from_bits(bits));
        check_narrow32(bw__f64_from_bits(bits | 1u));
        check_narrow32(bw__f64_from_bits(bits | BW__F64_SIGN));
    }
}

/* One double against integer casts and the compiler's conversion. */
static void check_whole(double d)
{
    uint64_t mag = 12345;
    bool neg = false;
    bool ok = bw__f64_whole(bw__f64_bits(d), &mag, &neg);
    bool want = whole_ref(d) && (d < 0 ? -d : d) < scale2(1, 64);
    if (ok != want)
        fail_msg("%.17g: whole says %d, want %d", d, ok, want);
    assert_int_equal(neg, signbit(d) != 0);
    if (ok)
        assert_int_equal(mag, (uint64_t)(d < 0 ? -d : d));
    else
        assert_int_equal(mag, 0);
}

/*
 * Whole-number test: zeros of both signs, subnormals, fractions near 1,
 * 2^52 +- fractions, 2^53 and its neighbours, 2^63, the largest double
 * below 2^64, 2^64 itself, infinities and NaN.
 */
static void test_whole_edges(void **state)
{
    (void)state;
    static const double vals[] = {
        0.0,
        -0.0,
        DBL_TRUE_MIN,
        DBL_MIN,
        0.5,
        -0.5,
        1.0,
        -1.0,
        1.5,
        3.0,
        4503599627370495.5,
        4503599627370496.0,
        9007199254740992.0,
        9007199254740994.0,
        9223372036854775808.0,
        -9223372036854775808.0,
        18446744073709549568.0,
        18446744073709551616.0,
        -18446744073709551616.0,
        INFINITY,
        -INFINITY,
        NAN,
        DBL_MAX,
    };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        check_whole(vals[i]);
        if (vals[i] != 0 && isfinite(vals[i])) {
            check_whole(f64_step(vals[i], 1));
            check_whole(f64_step(vals[i], -1));
        }
    }
    for (int e = -60; e < 70; e++) {
        check_whole(scale2(1, e));
        check_whole(-scale2(1, e));
        check_whole(f64_step(scale2(1, e), 1));
        check_whole(f64_step(scale2(1, e), -1));
    }
}

/* A small xorshift generator: the sweeps below are reproducible. */
static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* A random double's bits, biased towards the hard cases of an add:
 * subnormals, nearby exponents, huge values, infinities, zeros. */
static uint64_t rand_f64(uint64_t *x)
{
    uint64_t r = next_rand(x), sign = r & BW__F64_SIGN;
    switch (next_rand(x) % 6) {
    case 0:
        return r; /* anything, NaNs included */
    case 1:
        return sign | (r & BW__F64_MANT); /* zero or subnormal */
    case 2: /* exponents near 1.0: long carries and cancellations */
        return sign | (uint64_t)(1020 + next_rand(x) % 8) << 52 |
               (r & BW__F64_MANT);
    case 3: /* near the top: overflow to infinity */
        return sign | (uint64_t)(2040 + next_rand(x) % 7) << 52 |
               (r & BW__F64_MANT);
    case 4: /* few mantissa bits: exact sums and ties */
        return sign | (uint64_t)(1000 + next_rand(x) % 64) << 52 | (r & 0xf);
    default:
        return sign | (next_rand(x) % 3 == 0 ? BW__F64_INFINITY : 0);
    }
}

static void check_add(uint64_t a, uint64_t b)
{
    double want = bw__f64_from_bits(a) + bw__f64_from_bits(b);
    uint64_t got = bw__f64_add(a, b);
    if (want != want) {
        /* NaN payloads are the platform's choice: any NaN will do. */
        if (bw__f64_from_bits(got) == bw__f64_from_bits(got))
            fail_msg("%016llx + %016llx: %016llx, not a NaN",
                     (unsigned long long)a, (unsigned long long)b,
                     (unsigned long long)got);
        return;
    }
    if (got != bw__f64_bits(want))
        fail_msg("%016llx + %016llx: %016llx, compiler %016llx",
                 (unsigned long long)a, (unsigned long long)b,
                 (unsigned long long)got,
                 (unsigned long long)bw__f64_bits(want));
}

/*
 * bw__f64_add equals the compiler's + (round to nearest, ties to even)
 * bit for bit.  Tried: every pair of a set of edge values (zeros of both
 * signs, smallest and largest subnormals and normals, 1 and its
 * neighbours, the largest finite, infinities, NaNs), each random value
 * with its own negation and near-negations (total and partial
 * cancellation), and 2^21 random pairs biased towards subnormals,
 * carries, overflow and halfway cases.  A NaN result only has to be a
 * NaN.
 */
static void test_add_against_compiler(void **state)
{
    (void)state;
    static const uint64_t edges[] = {
        0x0000000000000000, 0x8000000000000000, 0x0000000000000001,
        0x8000000000000001, 0x000fffffffffffff, 0x0010000000000000,
        0x8010000000000000, 0x001fffffffffffff, 0x3ff0000000000000,
        0xbff0000000000000, 0x3ff0000000000001, 0x3fefffffffffffff,
        0x4340000000000000, 0xc340000000000001, 0x7fefffffffffffff,
        0xffefffffffffffff, 0x7ff0000000000000, 0xfff0000000000000,
        0x7ff8000000000000, 0x7ff0000000000001, 0x3ca0000000000000,
        0x3ca0000000000001, 0xbc90000000000000,
    };
    size_t n = sizeof edges / sizeof edges[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            check_add(edges[i], edges[j]);
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (unsigned k = 0; k < (1u << 21); k++) {
        uint64_t a = rand_f64(&x);
        check_add(a, rand_f64(&x));
        check_add(a, (a ^ BW__F64_SIGN) + next_rand(&x) % 5 - 2);
    }
}

/*
 * bw__f64_from_u64 / bw__f64_from_i64 equal the compiler's conversions
 * (round to nearest, ties to even).  Tried: 0, +-1, 2^53 + 1 (the first
 * integer that rounds), INT64_MIN/MAX, UINT64_MAX, and 2^20 random
 * values of every magnitude.
 */
static void test_from_int_against_compiler(void **state)
{
    (void)state;
    static const int64_t edges[] = {0,
                                    1,
                                    -1,
                                    (INT64_C(1) << 53) + 1,
                                    -(INT64_C(1) << 53) - 1,
                                    (INT64_C(1) << 53) + 3,
                                    INT64_MAX,
                                    INT64_MIN,
                                    INT64_MIN + 1};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        assert_true(bw__f64_from_i64(edges[i]) ==
                    bw__f64_bits((double)edges[i]));
    assert_true(bw__f64_from_u64(UINT64_MAX, false) ==
                bw__f64_bits((double)UINT64_MAX));
    assert_true(bw__f64_from_u64(UINT64_MAX, true) ==
                bw__f64_bits(-(double)UINT64_MAX));
    uint64_t x = 0x2545f4914f6cdd1du;
    for (unsigned k = 0; k < (1u << 20); k++) {
        uint64_t u = next_rand(&x) >> (next_rand(&x) % 64);
        int64_t i = (int64_t)next_rand(&x) >> (next_rand(&x) % 64);
        if (bw__f64_from_u64(u, false) != bw__f64_bits((double)u))
            fail_msg("u64 %llu", (unsigned long long)u);
        if (bw__f64_from_i64(i) != bw__f64_bits((double)i))
            fail_msg("i64 %lld", (long long)i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits_round_trip),
        cmocka_unit_test(test_half_exhaustive),
        cmocka_unit_test(test_half_narrow_refuses),
        cmocka_unit_test(test_single_against_compiler),
        cmocka_unit_test(test_single_narrow_boundaries),
        cmocka_unit_test(test_whole_edges),
        cmocka_unit_test(test_add_against_compiler),
        cmocka_unit_test(test_from_int_against_compiler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
