/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Conversions between the three IEEE 754 widths CBOR carries (major 7,
 * additional info 25, 26, 27) and double, done on the bit patterns so that
 * they are exact and never depend on the FPU's rounding mode or on
 * undefined float conversions of out-of-range values.
 *
 *   half    | s | e e e e e | m (10) |          bias 15
 *   single  | s | e (8)     | m (23) |          bias 127
 *   double  | s | e (11)    | m (52) |          bias 1023
 *
 * An exponent field of all ones is infinity (m = 0) or NaN; all zeros is
 * zero (m = 0) or a subnormal, whose value is m * 2^(1 - bias - mbits).
 * Every half and single value is a double value, so widening is exact.
 * Narrowing is allowed only when it is exact too: that is what makes the
 * writer's "shortest float" choice deterministic (RFC 8949 section 4.2.2).
 */
#include <string.h>

#include "cbor_int.h"

#define DOUBLE_MANT_BITS 52
#define DOUBLE_BIAS      1023
#define DOUBLE_EXP_MAX   0x7ff
#define MANT_MASK        ((UINT64_C(1) << DOUBLE_MANT_BITS) - 1)

double bw_cbor__bits_to_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static uint64_t double_to_bits(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/*
 * Widen a narrow float given its fields.  mbits is the narrow mantissa
 * width, bias its exponent bias, emax its all-ones exponent.
 */
static double widen(uint64_t sign, uint32_t exp, uint64_t mant, unsigned mbits,
                    int bias, uint32_t emax)
{
    uint64_t bits = sign << 63;
    if (exp == emax) {
        /* Infinity or NaN; the NaN payload is kept, left-aligned. */
        bits |= (uint64_t)DOUBLE_EXP_MAX << DOUBLE_MANT_BITS;
        bits |= mant << (DOUBLE_MANT_BITS - mbits);
        return bw_cbor__bits_to_double(bits);
    }
    if (exp == 0) {
        /*
         * Zero or subnormal: m * 2^(1 - bias - mbits).  The product of a
         * small integer and a power of two is exact in double.
         */
        double scale = mbits == 10 ? 0x1p-24 : 0x1p-149;
        double v = (double)mant * scale;
        return sign ? -v : v;
    }
    bits |= (uint64_t)((int)exp - bias + DOUBLE_BIAS) << DOUBLE_MANT_BITS;
    bits |= mant << (DOUBLE_MANT_BITS - mbits);
    return bw_cbor__bits_to_double(bits);
}

double bw_cbor__half_to_double(uint16_t half)
{
    return widen((uint64_t)(half >> 15), (uint32_t)((half >> 10) & 0x1f),
                 (uint64_t)(half & 0x3ff), 10, 15, 0x1f);
}

double bw_cbor__single_to_double(uint32_t single)
{
    return widen((uint64_t)(single >> 31), (single >> 23) & 0xff,
                 (uint64_t)(single & 0x7fffff), 23, 127, 0xff);
}

/*
 * Narrow a finite double to a format with mbits mantissa bits, exponent
 * bias `bias` and all-ones exponent emax.  Returns true and the narrow
 * bits (without sign placed: the caller shifts it) when exact.
 */
static bool narrow(double value, unsigned mbits, int bias, uint32_t emax,
                   uint64_t *out)
{
    uint64_t bits = double_to_bits(value);
    uint64_t sign = bits >> 63;
    uint32_t e = (uint32_t)((bits >> DOUBLE_MANT_BITS) & DOUBLE_EXP_MAX);
    uint64_t m = bits & MANT_MASK;
    unsigned total = 1 + (unsigned)(emax == 0x1f ? 5 : 8) + mbits;

    *out = 0;
    if (e == DOUBLE_EXP_MAX)
        return false; /* NaN and infinities are the writer's business */
    if (e == 0 && m == 0) {
        *out = sign << (total - 1);
        return true;
    }
    if (e == 0)
        return false; /* double subnormals are far below any narrow value */

    int exp = (int)e - DOUBLE_BIAS; /* unbiased */
    int min_normal = 1 - bias;      /* smallest normal exponent */
    int max_normal = (int)emax - 1 - bias;
    if (exp > max_normal)
        return false;
    if (exp >= min_normal) {
        unsigned drop = DOUBLE_MANT_BITS - mbits;
        if ((m & ((UINT64_C(1) << drop) - 1)) != 0)
            return false;
        *out = (sign << (total - 1)) | ((uint64_t)(exp + bias) << mbits) |
               (m >> drop);
        return true;
    }
    /*
     * Subnormal in the narrow format: value = k * 2^(min_normal - mbits)
     * with 0 < k < 2^mbits.  With sig the 53-bit significand,
     * value = sig * 2^(exp - 52), so k = sig >> shift where
     * shift = (min_normal - mbits) - (exp - 52), and the bits shifted out
     * must all be zero.
     */
    int shift = (min_normal - (int)mbits) - (exp - DOUBLE_MANT_BITS);
    if (shift > DOUBLE_MANT_BITS)
        return false; /* below the smallest narrow subnormal */
    uint64_t sig = m | (UINT64_C(1) << DOUBLE_MANT_BITS);
    if ((sig & ((UINT64_C(1) << shift) - 1)) != 0)
        return false;
    *out = (sign << (total - 1)) | (sig >> shift);
    return true;
}

bool bw_cbor__double_to_half(double value, uint16_t *out)
{
    uint64_t bits;
    bool ok = narrow(value, 10, 15, 0x1f, &bits);
    *out = (uint16_t)bits;
    return ok;
}

bool bw_cbor__double_to_single(double value, uint32_t *out)
{
    uint64_t bits;
    bool ok = narrow(value, 23, 127, 0xff, &bits);
    *out = (uint32_t)bits;
    return ok;
}
