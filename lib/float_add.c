/* SPDX-License-Identifier: Apache-2.0 */
/*
 * binary64 addition and integer-to-binary64 conversion on bit patterns
 * (layouts in bw_float.h), rounded to nearest, ties to even, as IEEE 754
 * prescribes for the default rounding mode.  SenML needs exactly these
 * (bt + t, bv + v, an integer typed as a float); doing them here keeps
 * the soft-float library's add and conversion routines out of a
 * microcontroller image.
 *
 * Working form: a value is m * 2^(e - BIAS - MBITS - GUARD) with the
 * biased exponent e (at least 1) and a significand m carrying GUARD
 * extra bits below the binary64 mantissa: the guard and round bits and a
 * sticky bit (bit 0), the OR of every bit shifted out below it.  These
 * three bits decide the rounding exactly (the classic argument: after an
 * alignment shift of two or more, a subtraction normalises by at most
 * one place; with a shift below two nothing is lost at all).
 */
#include "bw_float.h"

#define GUARD      3
#define M_TOP      (BW__F64_MBITS + GUARD)        /* hidden bit's place: 55 */
#define F64_HIDDEN (UINT64_C(1) << BW__F64_MBITS) /* 2^52 */
#define F64_QUIET  (UINT64_C(1) << (BW__F64_MBITS - 1))
/* The NaN an invalid operation (inf - inf) gives. */
#define F64_DEFAULT_NAN (BW__F64_INFINITY | F64_QUIET)

/* Shift m right by n (n >= 1), ORing what falls off into bit 0. */
static uint64_t shift_sticky(uint64_t m, uint32_t n)
{
    if (n > M_TOP + 1)
        return m != 0;
    return (m >> n) | ((m << (64 - n)) != 0);
}

/*
 * sign | m * 2^(e - BIAS - MBITS - GUARD), rounded: normalise m so its
 * leading one is at M_TOP (or stop at e = 1, a subnormal), round off the
 * guard bits, pack.  A mantissa rounded up to 2^53 carries into the
 * exponent by the addition itself, and an exponent reaching all ones
 * is infinity, as it must be.
 */
static uint64_t round_pack(uint64_t sign, int32_t e, uint64_t m)
{
    if (m == 0)
        return sign;
    while (m >> (M_TOP + 1)) {
        m = shift_sticky(m, 1);
        e++;
    }
    while (!(m >> M_TOP) && e > 1) {
        m <<= 1;
        e--;
    }
    if (e >= (int32_t)BW__F64_EXP_MAX)
        return sign | BW__F64_INFINITY;
    uint32_t rest = (uint32_t)m & ((1u << GUARD) - 1);
    const uint32_t half = 1u << (GUARD - 1);
    m >>= GUARD;
    if (rest > half || (rest == half && (m & 1)))
        m++;
    /* A normal m has the hidden bit set, which adds the 1 back to e - 1;
     * a subnormal (e = 1) has not, and its exponent field is 0. */
    return sign | (((uint64_t)(e - 1) << BW__F64_MBITS) + m);
}

uint64_t bw__f64_from_u64(uint64_t u, bool neg)
{
    /* u = u * 2^0: e - BIAS - MBITS - GUARD = 0. */
    return round_pack(neg ? BW__F64_SIGN : 0,
                      BW__F64_BIAS + BW__F64_MBITS + GUARD, u);
}

uint64_t bw__f64_from_i64(int64_t i)
{
    /* |INT64_MIN| = 2^63 as the unsigned 0 - (uint64_t)i. */
    uint64_t mag = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    return bw__f64_from_u64(mag, i < 0);
}

uint64_t bw__f64_add(uint64_t a, uint64_t b)
{
    uint64_t mag_a = a & ~BW__F64_SIGN, mag_b = b & ~BW__F64_SIGN;
    /* Let a be the operand of the larger magnitude (NaNs above all). */
    if (mag_a < mag_b) {
        uint64_t t = a;
        a = b;
        b = t;
        t = mag_a;
        mag_a = mag_b;
        mag_b = t;
    }
    if (mag_a >= BW__F64_INFINITY) {
        if (mag_a > BW__F64_INFINITY)
            return a | F64_QUIET; /* NaN in, quiet NaN out */
        if (mag_b == BW__F64_INFINITY && ((a ^ b) & BW__F64_SIGN))
            return F64_DEFAULT_NAN; /* inf - inf */
        return a;
    }
    int32_t ea = (int32_t)(mag_a >> BW__F64_MBITS);
    int32_t eb = (int32_t)(mag_b >> BW__F64_MBITS);
    uint64_t ma = mag_a & BW__F64_MANT, mb = mag_b & BW__F64_MANT;
    /* A normal's hidden bit; a subnormal's unit is that of e = 1. */
    if (ea != 0)
        ma |= F64_HIDDEN;
    else
        ea = 1;
    if (eb != 0)
        mb |= F64_HIDDEN;
    else
        eb = 1;
    ma <<= GUARD;
    mb <<= GUARD;
    if (ea > eb)
        mb = shift_sticky(mb, (uint32_t)(ea - eb));
    if ((a ^ b) & BW__F64_SIGN) {
        ma -= mb; /* |a| >= |b|: no wrap */
        if (ma == 0)
            return 0; /* x - x is +0 when rounding to nearest */
    } else {
        ma += mb;
    }
    return round_pack(a & BW__F64_SIGN, ea, ma);
}
