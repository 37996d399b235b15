/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numbers, booleans and object links as text (text/plain, appendix C).
 *
 * One spelling per value where the format allows it: no '+', no spaces,
 * no leading zeros, no "-0" for integers.  Integers are range-checked
 * exactly (INT64_MAX + 1 is BW_ERANGE, not a wrap).
 *
 * Floats use the JSON number grammar, checked here.  The conversion
 * between digits and doubles is the module's shared one
 * (lwm2m_number.c): exact, correctly rounded and independent of the
 * locale and of libc.  Writing picks the fewest digits that read back to
 * the same double and lays them out as C's "%g" would ("0.1", "1e+21",
 * "1.5e-07"), except that whole numbers below 10^17 are written without
 * an exponent ("100", not "1e+02").
 */
#include "bulwark/lwm2m.h"

#include "bw_float.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

/*
 * Exponents are clamped here while reading: any decimal exponent beyond
 * it already takes every double to zero or infinity, so larger ones need
 * no exact value and cannot overflow the counter.
 */
#define FLOAT_EXP_CLAMP 100000

/* Every digit of the longest float text accepted fits the conversion. */
_Static_assert(BW_LWM2M_TEXT_FLOAT_MAX <= BW_LWM2M__DEC_MAX_DIGITS,
               "float text longer than the shared conversion takes");

/* Longest float written: "-1.2345678901234567e-308" is 24; room to spare. */
#define FLOAT_OUT_MAX 32

/* Whole numbers below 10^17 are written without an exponent. */
#define FLOAT_PLAIN_DIGITS 17

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
        /* v * 10 + d > limit, without a 64-bit division: the first test
         * is against a constant and keeps v * 10 from wrapping. */
        if (v > UINT64_MAX / 10u || v * 10u > limit - d)
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
    size_t a = 0;
    while (a < len && s[a] != ':')
        a++;
    if (a == len)
        return BW_EMALFORMED;
    const char *colon = s + a;
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
     * fraction parts, leading zeros dropped) into sig and count how far
     * the fraction moves the exponent.
     */
    uint8_t sig[BW_LWM2M_TEXT_FLOAT_MAX];
    size_t nsig = 0, i = 0;
    int32_t exp_adj = 0;
    bool neg = i < len && s[i] == '-';
    if (neg)
        i++;
    if (i >= len || !is_digit(s[i]))
        return BW_EMALFORMED;
    if (s[i] == '0') {
        i++;
        if (i < len && is_digit(s[i]))
            return BW_EMALFORMED; /* leading zero */
    } else {
        while (i < len && is_digit(s[i]))
            sig[nsig++] = (uint8_t)s[i++];
    }
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit(s[i]))
            return BW_EMALFORMED;
        while (i < len && is_digit(s[i])) {
            if (nsig > 0 || s[i] != '0')
                sig[nsig++] = (uint8_t)s[i];
            exp_adj--;
            i++;
        }
    }
    int32_t e = 0;
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

    /* No significant digit is zero, keeping its sign ("-0.0"). */
    double v = 0.0;
    int err = bw_lwm2m__dec_to_double(sig, nsig, e + exp_adj, &v);
    if (err != 0)
        return err; /* BW_ERANGE: beyond the double range */
    *out = neg ? -v : v;
    return 0;
}

/*
 * Lay out digits d[0..n) (the first at 10^k) as C's "%.*g" does with
 * precision prec >= n: plain when -4 <= k < prec, else d.ddde+XX with at
 * least two exponent digits.  Returns the length written to out.
 */
static size_t layout_g(const uint8_t *d, size_t n, int32_t k, int32_t prec,
                       char *out)
{
    size_t len = 0;
    if (k >= -4 && k < prec) {
        if (k < 0) {
            out[len++] = '0';
            out[len++] = '.';
            /* -1 - k zeros (bw__fill: the loop would be a memset). */
            bw__fill(out + len, '0', (size_t)(-1 - k));
            len += (size_t)(-1 - k);
            bw__copy(out + len, d, n);
            return len + n;
        }
        for (int32_t j = 0; j <= k; j++)
            out[len++] = (size_t)j < n ? (char)d[j] : '0';
        if (n > (size_t)k + 1) {
            out[len++] = '.';
            bw__copy(out + len, d + k + 1, n - (size_t)k - 1);
            len += n - (size_t)k - 1;
        }
        return len;
    }
    out[len++] = (char)d[0];
    if (n > 1) {
        out[len++] = '.';
        bw__copy(out + len, d + 1, n - 1);
        len += n - 1;
    }
    out[len++] = 'e';
    out[len++] = k < 0 ? '-' : '+';
    uint32_t mag = k < 0 ? (uint32_t)-k : (uint32_t)k;
    if (mag < 10)
        out[len++] = '0';
    return len + bw_lwm2m__fmt_u64(mag, out + len);
}

/* Whether digits d[0..n) with the first at 10^k read back to exactly v
 * (positive and finite: the same value is the same bits). */
static bool reads_back(const uint8_t *d, size_t n, int32_t k, double v)
{
    double back;
    return bw_lwm2m__dec_to_double(d, n, k - ((int32_t)n - 1), &back) == 0 &&
           bw__f64_bits(back) == bw__f64_bits(v);
}

/*
 * The shortest text that reads back to v, which MUST be finite.  Returns
 * the length written to out (FLOAT_OUT_MAX bytes).
 */
static size_t format_float(double v, char *out)
{
    uint8_t d[BW_LWM2M__DBL_DIGITS];
    int32_t k;
    size_t len = 0;
    /* Sign and zero on the bits: no soft-float negation or compare. */
    uint64_t bits = bw__f64_bits(v);
    if (bits >> 63) {
        out[len++] = '-';
        bits &= ~(UINT64_C(1) << 63);
        v = bw__f64_from_bits(bits);
    }
    if (bits == 0) {
        out[len++] = '0'; /* "0" and "-0", as %g writes them */
        return len;
    }
    size_t n = bw_lwm2m__dbl_digits(v, 0, d, &k);
    int32_t prec = (int32_t)n;
    if (k >= prec && k < FLOAT_PLAIN_DIGITS) {
        /* A whole number %g would write with an exponent: try it plain,
         * with as many digits as it has before the point. */
        uint8_t w[BW_LWM2M__DBL_DIGITS];
        int32_t wk;
        size_t wn = bw_lwm2m__dbl_digits(v, (int)k + 1, w, &wk);
        if (wn > 0 && reads_back(w, wn, wk, v))
            return len + layout_g(w, wn, wk, k + 1, out + len);
    }
    return len + layout_g(d, n, k, prec, out + len);
}

/* Append n bytes to buf at *pos if they fit. */
static int put(char *buf, size_t cap, size_t *pos, const void *src, size_t n)
{
    if (n > cap - *pos)
        return BW_ENOSPC;
    if (n > 0)
        bw__copy(buf + *pos, src, n);
    *pos += n;
    return 0;
}

static int put_int(char *buf, size_t cap, size_t *pos, int64_t i)
{
    char tmp[BW_LWM2M__U64_DIGITS + 1];
    return put(buf, cap, pos, tmp, bw_lwm2m__fmt_i64(i, tmp));
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
        if (((bw__f64_bits(v->v.f) >> 52) & 0x7FF) == 0x7FF)
            return BW_ERANGE; /* infinity or NaN */
        n = format_float(v->v.f, tmp);
        err = put(buf, cap, &pos, tmp, n);
        break;
    case BW_LWM2M_TYPE_BOOLEAN:
        err = put(buf, cap, &pos, v->v.b ? "1" : "0", 1);
        break;
    case BW_LWM2M_TYPE_OBJLNK:
        n = bw_lwm2m__fmt_objlnk(v->v.lnk.oid, v->v.lnk.iid, tmp);
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
