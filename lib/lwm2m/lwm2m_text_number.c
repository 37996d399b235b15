/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numbers, booleans and object links as text (text/plain, appendix C).
 *
 * One spelling per value where the format allows it: no '+', no spaces,
 * no leading zeros, no "-0" for integers.  Integers are range-checked
 * exactly (INT64_MAX + 1 is BW_ERANGE, not a wrap).
 *
 * Floats use the JSON number grammar.  Turning decimal text into the
 * nearest double correctly is subtle, so after checking the grammar here
 * the digits are handed to the C library's strtod() in the form
 * "[-]DIGITSe[-]EXP": no decimal point, so the result does not depend on
 * the locale.  Writing uses snprintf("%.*g") with the fewest digits that
 * read back to the same double.
 */
#include "bulwark/lwm2m.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_int.h"

/*
 * Exponents are clamped here while reading: any decimal exponent beyond
 * it already takes every double to zero or infinity, so larger ones need
 * no exact value and cannot overflow the counter.
 */
#define FLOAT_EXP_CLAMP 100000

/* "-" + digits + "e-" + exponent digits + NUL, with room to spare. */
#define FLOAT_NORM_MAX (BW_LWM2M_TEXT_FLOAT_MAX + 2 + BW_LWM2M__U64_DIGITS + 2)

/* Digits of the longest %.17g output: "-1.2345678901234567e-308". */
#define FLOAT_OUT_MAX 32

/* Shortest and longest %g precision tried when writing a double. */
#define FLOAT_MIN_PREC 1
#define FLOAT_MAX_PREC 17 /* 17 significant digits always read back */

/*
 * Magnitude of a canonical unsigned decimal: digits only, no leading zero
 * unless the whole thing is "0".  Syntax is checked in full before range,
 * so "99999999999999999999x" is BW_EMALFORMED, not BW_ERANGE.
 */
static int parse_mag(const char *s, size_t len, uint64_t limit, uint64_t *out)
{
    if (len == 0)
        return BW_EMALFORMED;
    if (s[0] == '0' && len > 1)
        return BW_EMALFORMED;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return BW_EMALFORMED;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (limit - d) / 10u)
            return BW_ERANGE;
        v = v * 10u + d;
    }
    *out = v;
    return 0;
}

int bw_lwm2m_text_parse_int(const char *s, size_t len, int64_t *out)
{
    if (s == NULL && len > 0)
        return BW_EINVAL;
    bool neg = len > 0 && s[0] == '-';
    const char *d = neg ? s + 1 : s;
    size_t n = neg ? len - 1 : len;
    /* |INT64_MIN| is one more than INT64_MAX. */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    uint64_t mag;
    int err = parse_mag(d, n, limit, &mag);
    if (err != 0)
        return err;
    if (neg && mag == 0)
        return BW_EMALFORMED; /* "-0": zero has one spelling */
    if (neg)
        *out = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return 0;
}

int bw_lwm2m_text_parse_uint(const char *s, size_t len, uint64_t *out)
{
    if (s == NULL && len > 0)
        return BW_EINVAL;
    return parse_mag(s, len, UINT64_MAX, out);
}

int bw_lwm2m_text_parse_bool(const char *s, size_t len, bool *out)
{
    if (s == NULL && len > 0)
        return BW_EINVAL;
    if (len != 1 || s[0] < '0' || s[0] > '9')
        return BW_EMALFORMED;
    if (s[0] > '1')
        return BW_ERANGE; /* a number, but not a boolean */
    *out = s[0] == '1';
    return 0;
}

int bw_lwm2m_text_parse_objlnk(const char *s, size_t len,
                               bw_lwm2m_objlnk_t *out)
{
    if (s == NULL && len > 0)
        return BW_EINVAL;
    const char *colon = len > 0 ? memchr(s, ':', len) : NULL;
    if (colon == NULL)
        return BW_EMALFORMED;
    size_t a = (size_t)(colon - s);
    uint16_t oid, iid;
    /* Both halves may be 65535: "65535:65535" is the null link. */
    int err = bw_lwm2m__dec_u16(s, a, BW_LWM2M_ID_NONE, &oid);
    int err2 =
        bw_lwm2m__dec_u16(colon + 1, len - a - 1, BW_LWM2M_ID_NONE, &iid);
    /* A syntax error anywhere wins over a range error. */
    if (err == BW_EMALFORMED || err2 == BW_EMALFORMED)
        return BW_EMALFORMED;
    if (err != 0 || err2 != 0)
        return BW_ERANGE;
    out->oid = oid;
    out->iid = iid;
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int bw_lwm2m_text_parse_float(const char *s, size_t len, double *out)
{
    if (s == NULL && len > 0)
        return BW_EINVAL;
    if (len > BW_LWM2M_TEXT_FLOAT_MAX)
        return BW_EOVERFLOW;

    /*
     * Grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
     * While checking it, gather the significant digits (integer and
     * fraction parts, leading zeros dropped) into norm and count how far
     * the fraction moves the exponent.
     */
    char norm[FLOAT_NORM_MAX];
    size_t nn = 0, i = 0;
    long exp_adj = 0;
    if (i < len && s[i] == '-')
        norm[nn++] = s[i++];
    size_t digits_at = nn;
    if (i >= len || !is_digit(s[i]))
        return BW_EMALFORMED;
    if (s[i] == '0') {
        i++;
        if (i < len && is_digit(s[i]))
            return BW_EMALFORMED; /* leading zero */
    } else {
        while (i < len && is_digit(s[i]))
            norm[nn++] = s[i++];
    }
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit(s[i]))
            return BW_EMALFORMED;
        while (i < len && is_digit(s[i])) {
            if (nn > digits_at || s[i] != '0')
                norm[nn++] = s[i];
            exp_adj--;
            i++;
        }
    }
    long e = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= len || !is_digit(s[i]))
            return BW_EMALFORMED;
        while (i < len && is_digit(s[i])) {
            if (e < FLOAT_EXP_CLAMP)
                e = e * 10 + (s[i] - '0');
            i++;
        }
        if (eneg)
            e = -e;
    }
    if (i != len)
        return BW_EMALFORMED;

    if (nn == digits_at) {
        /* No significant digit: zero, keeping its sign ("-0.0"). */
        *out = nn > 0 ? -0.0 : 0.0;
        return 0;
    }
    e += exp_adj;
    norm[nn++] = 'e';
    if (e < 0) {
        norm[nn++] = '-';
        e = -e;
    }
    nn += bw_lwm2m__fmt_u64((uint64_t)e, norm + nn);
    norm[nn] = '\0';

    char *end = NULL;
    double v = strtod(norm, &end);
    if (end != norm + nn)
        return BW_EMALFORMED; /* cannot happen for checked digits */
    if (isinf(v))
        return BW_ERANGE;
    *out = v;
    return 0;
}

/* Print v with %.*g, using '.' whatever the locale's separator is. */
static int print_g(double v, int prec, char *out)
{
    int n = snprintf(out, FLOAT_OUT_MAX, "%.*g", prec, v);
    if (n <= 0 || n >= FLOAT_OUT_MAX)
        return 0;
    for (int k = 0; k < n; k++)
        if (!is_digit(out[k]) && out[k] != '-' && out[k] != '+' &&
            out[k] != 'e')
            out[k] = '.';
    return n;
}

static bool reads_back(const char *s, int n, double v)
{
    double back;
    return n > 0 && bw_lwm2m_text_parse_float(s, (size_t)n, &back) == 0 &&
           memcmp(&back, &v, sizeof v) == 0;
}

/*
 * Shortest "%g" text that reads back to v, in JSON number form.  v MUST be
 * finite.  Returns the length written to out (FLOAT_OUT_MAX bytes).
 * Whole numbers below 10^17 are written without an exponent ("100", not
 * "1e+02"): longer by a few bytes but what every peer expects.
 */
static size_t format_float(double v, char *out)
{
    int n = 0, prec;
    for (prec = FLOAT_MIN_PREC; prec <= FLOAT_MAX_PREC; prec++) {
        n = print_g(v, prec, out);
        if (reads_back(out, n, v))
            break;
    }
    const char *e = memchr(out, 'e', (size_t)n);
    if (e != NULL && e[1] == '+') {
        int x = atoi(e + 2);
        char alt[FLOAT_OUT_MAX];
        if (x < FLOAT_MAX_PREC) {
            int m = print_g(v, x + 1, alt);
            if (reads_back(alt, m, v)) {
                memcpy(out, alt, (size_t)m);
                n = m;
            }
        }
    }
    return (size_t)n;
}

/* Append n bytes to buf at *pos if they fit. */
static int put(char *buf, size_t cap, size_t *pos, const void *src, size_t n)
{
    if (n > cap - *pos)
        return BW_ENOSPC;
    if (n > 0)
        memcpy(buf + *pos, src, n);
    *pos += n;
    return 0;
}

static int put_int(char *buf, size_t cap, size_t *pos, int64_t i)
{
    char tmp[BW_LWM2M__U64_DIGITS + 1];
    size_t n = 0;
    uint64_t mag = (uint64_t)i;
    if (i < 0) {
        tmp[n++] = '-';
        mag = (uint64_t)0 - mag;
    }
    n += bw_lwm2m__fmt_u64(mag, tmp + n);
    return put(buf, cap, pos, tmp, n);
}

int bw_lwm2m_text_format(const bw_lwm2m_value_t *v, char *buf, size_t cap,
                         size_t *len)
{
    char tmp[FLOAT_OUT_MAX];
    size_t pos = 0, n;
    int err;
    *len = 0;
    if (buf == NULL && cap > 0)
        return BW_EINVAL;
    switch (v->type) {
    case BW_LWM2M_TYPE_INTEGER:
        err = put_int(buf, cap, &pos, v->v.i);
        break;
    case BW_LWM2M_TYPE_TIME:
        err = put_int(buf, cap, &pos, v->v.t);
        break;
    case BW_LWM2M_TYPE_UNSIGNED:
        n = bw_lwm2m__fmt_u64(v->v.u, tmp);
        err = put(buf, cap, &pos, tmp, n);
        break;
    case BW_LWM2M_TYPE_FLOAT:
        if (!isfinite(v->v.f))
            return BW_ERANGE;
        n = format_float(v->v.f, tmp);
        err = put(buf, cap, &pos, tmp, n);
        break;
    case BW_LWM2M_TYPE_BOOLEAN:
        err = put(buf, cap, &pos, v->v.b ? "1" : "0", 1);
        break;
    case BW_LWM2M_TYPE_OBJLNK:
        n = bw_lwm2m__fmt_u64(v->v.lnk.oid, tmp);
        tmp[n++] = ':';
        n += bw_lwm2m__fmt_u64(v->v.lnk.iid, tmp + n);
        err = put(buf, cap, &pos, tmp, n);
        break;
    case BW_LWM2M_TYPE_STRING:
    case BW_LWM2M_TYPE_CORELNK:
        err = bw_lwm2m_utf8_check(v->v.bytes.ptr, v->v.bytes.len);
        if (err == 0)
            err = put(buf, cap, &pos, v->v.bytes.ptr, v->v.bytes.len);
        break;
    case BW_LWM2M_TYPE_OPAQUE:
        err = bw_lwm2m_b64_encode(v->v.bytes.ptr, v->v.bytes.len, buf, cap,
                                  BW_LWM2M_B64_STD, &pos);
        break;
    default:
        return BW_ETYPE;
    }
    if (err != 0)
        return err;
    *len = pos;
    return 0;
}
