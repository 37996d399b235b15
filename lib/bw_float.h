/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IEEE 754 binary16/32/64 conversions done on bit patterns, shared by
 * every module of the core (CBOR floats of three widths, TLV floats of
 * two, SenML numbers).  Internal: declared here for lib/ only, never
 * installed and never included by an application.
 *
 * Working on the bits keeps every conversion exact and independent of
 * the FPU's rounding mode, and on a microcontroller without an FPU it
 * keeps the soft-float library (double multiply, divide, compare,
 * narrowing) out of the image: none of these functions does a single
 * floating-point operation.
 *
 *   binary16  | s | e (5)  | m (10) |   bias 15
 *   binary32  | s | e (8)  | m (23) |   bias 127
 *   binary64  | s | e (11) | m (52) |   bias 1023
 *
 * An exponent field of all ones is infinity (m = 0) or NaN; all zeros is
 * zero (m = 0) or a subnormal, whose value is m * 2^(1 - bias - mbits).
 */
#ifndef BW_FLOAT_H
#define BW_FLOAT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Field widths (exponent, mantissa) of the two narrow formats. */
#define BW__F16_EBITS 5
#define BW__F16_MBITS 10
#define BW__F32_EBITS 8
#define BW__F32_MBITS 23

/* binary64 fields. */
#define BW__F64_MBITS    52
#define BW__F64_EXP_MAX  0x7ffu
#define BW__F64_BIAS     1023
#define BW__F64_MANT     ((UINT64_C(1) << BW__F64_MBITS) - 1)
#define BW__F64_SIGN     (UINT64_C(1) << 63)
#define BW__F64_INFINITY UINT64_C(0x7ff0000000000000)

/*
 * The bits of d, and the double of bits (memcpy: no aliasing issue).
 * Inline: with a soft-float ABI both are no-ops, and a call would cost
 * more than the conversion.
 */
static inline uint64_t bw__f64_bits(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

static inline double bw__f64_from_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/*
 * Widen a narrow float with ebits exponent and mbits mantissa bits (the
 * sign above them, nothing above the sign) to binary64 bits.  Always
 * exact; a NaN keeps its payload, left-aligned.
 */
uint64_t bw__f_widen(uint32_t bits, unsigned ebits, unsigned mbits);

/*
 * Narrow binary64 bits to the format of ebits/mbits if and only if no
 * information is lost: zeros, infinities, normals and subnormals of the
 * narrow format.  NaN never narrows (its payload could be cut).  Returns
 * true with the narrow bits (sign included) in *out, else false (*out is
 * then meaningless).
 */
bool bw__f_narrow(uint64_t bits, unsigned ebits, unsigned mbits, uint32_t *out);

/*
 * Whether binary64 bits are a whole number whose magnitude is below 2^64:
 * then true, the magnitude in *mag and the sign bit in *neg.  NaN,
 * infinities, fractions and magnitudes of 2^64 and more give false.  Both
 * zeros are whole numbers (magnitude 0).
 */
bool bw__f64_whole(uint64_t bits, uint64_t *mag, bool *neg);

/*
 * binary64 arithmetic on bits, rounded to nearest with ties to even (the
 * default rounding of IEEE 754, what C's + and conversions give under
 * it), in lib/float_add.c.  bw__f64_add: a + b, with IEEE results for
 * zeros, subnormals, infinities and overflow; a NaN operand gives a
 * quiet NaN (one of the operands', quieted), inf - inf the default NaN.
 * bw__f64_from_u64: the double nearest u (-u when neg).
 * bw__f64_from_i64: the double nearest i.
 */
uint64_t bw__f64_add(uint64_t a, uint64_t b);
uint64_t bw__f64_from_u64(uint64_t u, bool neg);
uint64_t bw__f64_from_i64(int64_t i);

#endif /* BW_FLOAT_H */
