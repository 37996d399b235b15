/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the files of lib/lwm2m; never included from
 * outside the module.
 */
#ifndef BW_LWM2M_INT_H
#define BW_LWM2M_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/lwm2m.h"

/* Longest decimal uint64 ("18446744073709551615"). */
#define BW_LWM2M__U64_DIGITS 20

/*
 * Canonical decimal (no sign, no leading zero, "0" alone is fine) of at
 * most five digits, at most max.  Returns 0, BW_EMALFORMED or BW_ERANGE.
 */
int bw_lwm2m__dec_u16(const char *s, size_t len, uint32_t max, uint16_t *out);

/* Write v in decimal into out (room for BW_LWM2M__U64_DIGITS); returns n. */
size_t bw_lwm2m__fmt_u64(uint64_t v, char *out);

/* Longest object link text, "65535:65535". */
#define BW_LWM2M__OBJLNK_CHARS 11

/* Write an object link as "oid:iid" into out (room for
 * BW_LWM2M__OBJLNK_CHARS); returns n. */
size_t bw_lwm2m__fmt_objlnk(uint16_t oid, uint16_t iid, char *out);

/* Write v in decimal, '-' first when negative, into out (room for
 * BW_LWM2M__U64_DIGITS + 1); returns n. */
size_t bw_lwm2m__fmt_i64(int64_t v, char *out);

/* sink->type_of(path), or NONE without one. */
bw_lwm2m_type_t bw_lwm2m__type_of(const bw_lwm2m_sink_t *sink,
                                  const bw_lwm2m_path_t *path);

/* Hand a record to the sink: 0, the callback's negative code, or
 * BW_EABORTED for a positive one. */
int bw_lwm2m__emit(const bw_lwm2m_sink_t *sink, const bw_lwm2m_record_t *rec);

/*
 * Check a base path for the single-value formats (text, opaque): 0,
 * BW_EPATH when invalid, BW_EFORMAT when not a resource or resource
 * instance.
 */
int bw_lwm2m__single_base(const bw_lwm2m_path_t *base);

/*
 * The checks add() of a single-value writer (text, opaque) makes before
 * writing: the sticky error, then BW_EINVAL (NULL rec), BW_EFORMAT (a
 * value was already added) or BW_EPATH (rec is not at the base).
 */
int bw_lwm2m__single_add(const bw_lwm2m_text_writer_t *w,
                         const bw_lwm2m_record_t *rec);

/* ---- numbers as decimal text (lwm2m_number.c) ---------------------------
 *
 * The conversion every text format of the module shares (text/plain, SenML
 * JSON): exact, correctly rounded, no libc.  Syntax and layout stay with
 * each format; only digit strings and exponents pass through here.
 */

/*
 * Most significant digits bw_lwm2m__dec_to_double() takes.  The longest
 * text/plain float (BW_LWM2M_TEXT_FLOAT_MAX characters) and the SenML JSON
 * digit limit both fit; the big integers in lwm2m_number.c are sized for
 * it.
 */
#define BW_LWM2M__DEC_MAX_DIGITS 64

/* Significant digits that always identify a double (IEEE 754: 17). */
#define BW_LWM2M__DBL_DIGITS 17

/*
 * Exact decimal to double: digits[0..nd) (ASCII '0'..'9', the first one
 * nonzero unless nd is 0, nd <= BW_LWM2M__DEC_MAX_DIGITS) times 10^e10,
 * rounded to nearest, ties to even.  The sign is the caller's.  Returns 0
 * or BW_ERANGE when the result overflows the double range (*out is then
 * 0).  Values below half the smallest subnormal round to zero as IEEE 754
 * prescribes; nd 0 is zero.
 */
int bw_lwm2m__dec_to_double(const uint8_t *digits, size_t nd, int32_t e10,
                            double *out);

/*
 * Decimal digits of v, which MUST be positive and finite: out[0..n) as
 * ASCII, the first nonzero and the last nonzero, the first standing for
 * 10^*k (v ~ d0.d1d2... * 10^k).  prec 0 asks for the shortest digits that
 * read back (with bw_lwm2m__dec_to_double) to exactly v; prec 1..17 for v
 * correctly rounded (ties to even) to prec significant digits, trailing
 * zeros then dropped.  Returns n (1..BW_LWM2M__DBL_DIGITS), or 0 for a v
 * or prec outside those ranges.
 */
size_t bw_lwm2m__dbl_digits(double v, int prec,
                            uint8_t out[BW_LWM2M__DBL_DIGITS], int32_t *k);

#endif /* BW_LWM2M_INT_H */
