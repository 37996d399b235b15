/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IEEE 754 conversions on bit patterns (layouts in bw_float.h).  Every
 * binary16 and binary32 value is a binary64 value, so widening is exact;
 * narrowing is allowed only when it is exact too, which is what makes a
 * writer's "shortest float" choice deterministic (RFC 8949 section
 * 4.2.2).
 */
#include "bw_float.h"

uint64_t bw__f_widen(uint32_t bits, unsigned ebits, unsigned mbits)
{
    int32_t emax = (int32_t)(1u << ebits) - 1;
    int32_t e = (int32_t)(bits >> mbits) & emax;
    uint32_t m = bits & ((UINT32_C(1) << mbits) - 1);
    uint64_t out = (uint64_t)((bits >> (ebits + mbits)) & 1u) << 63;
    if (e == emax) {
        e = (int32_t)BW__F64_EXP_MAX; /* infinity or NaN, payload kept */
    } else if (e == 0 && m == 0) {
        return out; /* a zero */
    } else {
        if (e == 0) {
            /* Subnormal m * 2^(1 - bias - mbits): shift the leading one up
             * to the hidden bit's place, lowering the exponent as it goes,
             * then drop it. */
            e = 1;
            while (!(m >> mbits)) {
                m <<= 1;
                e--;
            }
            m &= (UINT32_C(1) << mbits) - 1;
        }
        e += BW__F64_BIAS - (emax >> 1);
    }
    return out | (uint64_t)e << BW__F64_MBITS |
           (uint64_t)m << (BW__F64_MBITS - mbits);
}

bool bw__f_narrow(uint64_t bits, unsigned ebits, unsigned mbits, uint32_t *out)
{
    int32_t emax = (int32_t)(1u << ebits) - 1;
    int32_t bias = emax >> 1;
    uint32_t sign = (uint32_t)(bits >> 63) << (ebits + mbits);
    int32_t e = (int32_t)(bits >> BW__F64_MBITS) & (int32_t)BW__F64_EXP_MAX;
    uint64_t m = bits & BW__F64_MANT;

    *out = sign;
    if (e == 0)
        return m == 0; /* zeros; double subnormals are far below any
                        * narrow value */
    if (e == (int32_t)BW__F64_EXP_MAX) {
        *out |= (uint32_t)emax << mbits;
        return m == 0; /* infinities; NaN never narrows */
    }
    /*
     * value = sig * 2^(exp - 52) with sig the 53-bit significand.  A
     * narrow normal keeps mbits fraction bits; a narrow subnormal's unit
     * is 2^(1 - bias - mbits), so it keeps fewer.  shift is how many low
     * bits of sig fall away: they must all be zero.
     */
    int32_t exp = e - BW__F64_BIAS;
    int32_t ne = exp + bias; /* narrow biased exponent */
    int32_t shift = BW__F64_MBITS - (int32_t)mbits;
    if (ne >= emax)
        return false; /* above the largest narrow value */
    if (ne < 1) {
        shift += 1 - ne;
        ne = 0;
        if (shift > BW__F64_MBITS)
            return false; /* below the smallest narrow subnormal */
    }
    uint64_t sig = m | (UINT64_C(1) << BW__F64_MBITS);
    uint32_t nm = (uint32_t)(sig >> shift);
    if ((uint64_t)nm << shift != sig)
        return false;
    /* A normal's hidden bit lands on the exponent's lowest bit: take it
     * off, then add the exponent. */
    if (ne != 0)
        nm = (nm & ((UINT32_C(1) << mbits) - 1)) | (uint32_t)ne << mbits;
    *out |= nm;
    return true;
}

bool bw__f64_whole(uint64_t bits, uint64_t *mag, bool *neg)
{
    int32_t e = (int32_t)((bits >> BW__F64_MBITS) & BW__F64_EXP_MAX);
    uint64_t sig = (bits & BW__F64_MANT) | (UINT64_C(1) << BW__F64_MBITS);
    *mag = 0;
    *neg = (bits >> 63) != 0;
    if (e == 0)
        return (bits & BW__F64_MANT) == 0; /* zeros; subnormals are < 1 */
    /* value = sig * 2^s with 2^52 <= sig < 2^53, so s above 11 is 2^64 or
     * more (and takes in NaN and the infinities, whose e is all ones). */
    int32_t s = e - BW__F64_BIAS - BW__F64_MBITS;
    if (s > 63 - BW__F64_MBITS)
        return false;
    if (s >= 0) {
        *mag = sig << s;
        return true;
    }
    if (s < -BW__F64_MBITS)
        return false; /* 0 < |value| < 1 */
    if (sig & ((UINT64_C(1) << -s) - 1))
        return false;
    *mag = sig >> -s;
    return true;
}
