/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact conversion between decimal digits and IEEE 754 doubles, without
 * libc (its decimal conversions depend on the locale, pull stdio into a
 * small build and are not always correctly rounded on small C libraries).
 * One implementation for every text format of the module: text/plain
 * (lwm2m_text_number.c) and SenML JSON (lwm2m_json.c reads,
 * lwm2m_senml_json_num.c writes).  Each format checks its own syntax and
 * lays out its own text; only digits and exponents cross this file's
 * border.
 *
 * Reading: integers only, no floating-point arithmetic (on a device
 * without an FPU that would link the soft-float library).  The value is
 * a quotient of two big integers; 64 bits of it, from long division,
 * truncated to 53 give a double at most one ulp below the value, which is
 * then corrected by comparing the decimal value with the midpoints
 * between neighbouring doubles, using the same fixed-size big integers.
 *
 * Writing: the exact decimal digits of the double are generated with the
 * same big integers (r / s scaled into [1, 10), one digit per step), then
 * rounded (ties to even) to the precision asked for, or to the shortest
 * prefix that reads back to the same double, trying 1, 2, ... 17 digits.
 * 17 always works.
 *
 * Sizes: every value handled is below 2^1100 (10^308 * 10 on the write
 * side; on the read side 10^64 * 5^308, or 2^55 * 5^388 against 10^64
 * scaled by 2^688, for BW_LWM2M__DEC_MAX_DIGITS digits), so a 1280-bit big
 * integer with overflow checks suffices.
 */

#include "lwm2m_int.h"

#include "bw_mem.h"

#define BN_WORDS 40 /* 1280 bits; see "Sizes" above */

typedef struct {
    uint32_t w[BN_WORDS]; /* little endian */
    size_t n;             /* words in use; w[n-1] != 0 unless n == 0 */
    bool ovf;             /* a result did not fit: a bug, reported */
} bn_t;

static void bn_set_u64(bn_t *a, uint64_t v)
{
    bw__zero(a, sizeof(*a));
    while (v) {
        a->w[a->n++] = (uint32_t)v;
        v >>= 32;
    }
}

/* Append a carry out of the top word, if any. */
static void bn_carry(bn_t *a, uint64_t carry)
{
    if (!carry)
        return;
    if (a->n == BN_WORDS) {
        a->ovf = true;
        return;
    }
    a->w[a->n++] = (uint32_t)carry;
}

static void bn_mul_small(bn_t *a, uint32_t m)
{
    uint64_t carry = 0;
    for (size_t i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->w[i] * m + carry;
        a->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    bn_carry(a, carry);
}

static void bn_add_small(bn_t *a, uint32_t v)
{
    uint64_t carry = v;
    for (size_t i = 0; i < a->n && carry; i++) {
        uint64_t t = (uint64_t)a->w[i] + carry;
        a->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    bn_carry(a, carry);
}

static void bn_mul_pow5(bn_t *a, uint32_t e)
{
    while (e >= 13) {
        bn_mul_small(a, 1220703125u); /* 5^13 */
        e -= 13;
    }
    uint32_t m = 1;
    while (e--)
        m *= 5;
    bn_mul_small(a, m);
}

static void bn_shl(bn_t *a, uint32_t s)
{
    if (a->n == 0 || s == 0)
        return;
    size_t words = s / 32;
    unsigned bits = s % 32;
    uint32_t spill = bits ? a->w[a->n - 1] >> (32 - bits) : 0;
    size_t need = a->n + words + (spill ? 1 : 0);
    if (need > BN_WORDS) {
        a->ovf = true;
        return;
    }
    bn_t t;
    bw__zero(&t, sizeof(t));
    for (size_t i = 0; i < a->n; i++) {
        uint64_t v = (uint64_t)a->w[i] << bits;
        t.w[i + words] |= (uint32_t)v;
        if (i + words + 1 < BN_WORDS)
            t.w[i + words + 1] |= (uint32_t)(v >> 32);
    }
    t.n = need;
    t.ovf = a->ovf;
    bw__copy(a, &t, sizeof t); /* not "*a = t": a memcpy call */
}

/* 10^e = 5^e * 2^e. */
static void bn_mul_pow10(bn_t *a, uint32_t e)
{
    bn_mul_pow5(a, e);
    bn_shl(a, e);
}

static int bn_cmp(const bn_t *a, const bn_t *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (size_t i = a->n; i-- > 0;) {
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    }
    return 0;
}

/* a -= b; requires a >= b. */
static void bn_sub(bn_t *a, const bn_t *b)
{
    int64_t borrow = 0;
    for (size_t i = 0; i < a->n; i++) {
        int64_t t = (int64_t)a->w[i] - (i < b->n ? b->w[i] : 0) - borrow;
        borrow = t < 0;
        a->w[i] = (uint32_t)(t + (borrow ? ((int64_t)1 << 32) : 0));
    }
    while (a->n && a->w[a->n - 1] == 0)
        a->n--;
}

/* ---- doubles as integer pieces ---------------------------------------- */

static uint64_t dbits(double d)
{
    uint64_t u;
    bw__copy(&u, &d, sizeof(u));
    return u;
}

static double dfrom(uint64_t u)
{
    double d;
    bw__copy(&d, &u, sizeof(d));
    return d;
}

/* Positive finite d = m * 2^e with m < 2^53. */
static void decompose(double d, uint64_t *m, int32_t *e)
{
    uint64_t u = dbits(d);
    int32_t be = (int32_t)((u >> 52) & 0x7ff);
    uint64_t frac = u & ((UINT64_C(1) << 52) - 1);
    if (be == 0) {
        *m = frac;
        *e = -1074;
    } else {
        *m = frac | (UINT64_C(1) << 52);
        *e = be - 1075;
    }
}

/*
 * Compare digits * 10^e10 with n * 2^p (all positive).  Returns <0, 0, >0;
 * 2 on big-integer overflow (never expected).
 */
static int cmp_dec_bin(const uint8_t *digits, size_t nd, int32_t e10,
                       uint64_t n, int32_t p)
{
    bn_t l, r;
    bn_set_u64(&l, 0);
    for (size_t i = 0; i < nd; i++) {
        bn_mul_small(&l, 10);
        bn_add_small(&l, (uint32_t)(digits[i] - '0'));
    }
    bn_set_u64(&r, n);
    /* 10^e10 = 5^e10 * 2^e10: keep the 5s on their side, merge the 2s. */
    if (e10 >= 0)
        bn_mul_pow5(&l, (uint32_t)e10);
    else
        bn_mul_pow5(&r, (uint32_t)-e10);
    int32_t s = e10 - p;
    if (s > 0)
        bn_shl(&l, (uint32_t)s);
    else
        bn_shl(&r, (uint32_t)-s);
    if (l.ovf || r.ovf)
        return 2;
    return bn_cmp(&l, &r);
}

/* The largest finite double, as bits. */
#define DBL_MAX_BITS UINT64_C(0x7fefffffffffffff)

/*
 * Where the positive decimal digits * 10^e10 lies against the finite,
 * non-negative double with bits u: 0 when it rounds to u (to nearest,
 * ties to the even mantissa), 1 when above u's rounding interval, -1 when
 * below it, 2 on big-integer overflow (never expected).
 */
static int place(const uint8_t *digits, size_t nd, int32_t e10, uint64_t u)
{
    uint64_t m = 0;
    int32_t e = -1074;
    if (u != 0)
        decompose(dfrom(u), &m, &e);
    bool even = (m & 1) == 0;
    /* Upper midpoint: (2m+1) * 2^(e-1). */
    int c = cmp_dec_bin(digits, nd, e10, 2 * m + 1, e - 1);
    if (c == 2)
        return 2;
    if (c > 0 || (c == 0 && !even))
        return 1;
    if (u == 0)
        return 0; /* nothing below zero: a positive value this small */
    /* Lower midpoint; at the bottom of a binade the gap below halves. */
    uint64_t ln;
    int32_t lp;
    if (m == (UINT64_C(1) << 52) && e > -1074) {
        ln = 4 * m - 1;
        lp = e - 2;
    } else {
        ln = 2 * m - 1;
        lp = e - 1;
    }
    c = cmp_dec_bin(digits, nd, e10, ln, lp);
    if (c == 2)
        return 2;
    return c < 0 || (c == 0 && !even) ? -1 : 0;
}

/* Bits in use: 0 for zero, else 32 (n - 1) + the top word's. */
static uint32_t bn_bits(const bn_t *a)
{
    uint32_t b = a->n == 0 ? 0 : (uint32_t)(a->n - 1) * 32;
    for (uint32_t top = a->n == 0 ? 0 : a->w[a->n - 1]; top != 0; top >>= 1)
        b++;
    return b;
}

/*
 * The bits of a finite double at or just below the positive decimal
 * digits * 10^e10 (less than one ulp below; DBL_MAX_BITS when the value is
 * beyond it), from integers alone: the value is n / m * 2^e10 with
 * n = digits * 5^e10, m = 1 (or n = digits, m = 5^-e10), and 64 bits of
 * the quotient come from long division, one bit per step.  Returns 0, or
 * BW_ERANGE on big-integer overflow (never expected).
 */
static int approx_bits(const uint8_t *digits, size_t nd, int32_t e10,
                       uint64_t *u)
{
    bn_t n, m;
    bn_set_u64(&n, 0);
    for (size_t i = 0; i < nd; i++) {
        bn_mul_small(&n, 10);
        bn_add_small(&n, (uint32_t)(digits[i] - '0'));
    }
    bn_set_u64(&m, 1);
    if (e10 >= 0)
        bn_mul_pow5(&n, (uint32_t)e10);
    else
        bn_mul_pow5(&m, (uint32_t)-e10);
    /* Same bit length: n / m in (1/2, 2), the value n / m * 2^e2. */
    int32_t d = (int32_t)bn_bits(&n) - (int32_t)bn_bits(&m);
    int32_t e2 = e10 + d;
    if (d > 0)
        bn_shl(&m, (uint32_t)d);
    else
        bn_shl(&n, (uint32_t)-d);
    /* q = floor(n / m * 2^63), in [2^62, 2^64). */
    uint64_t q = 0;
    for (int i = 0; i < 64; i++) {
        q <<= 1;
        if (bn_cmp(&n, &m) >= 0) {
            bn_sub(&n, &m);
            q |= 1;
        }
        bn_shl(&n, 1);
    }
    if (n.ovf || m.ovf)
        return BW_ERANGE;
    e2 -= 63; /* value ~ q * 2^e2 */
    if (!(q >> 63)) {
        q <<= 1;
        e2--;
    }
    /* Truncate to 53 bits: biased exponent of the leading bit. */
    int32_t be = e2 + 63 + 1023;
    if (be >= 0x7ff)
        *u = DBL_MAX_BITS;
    else if (be <= 0)
        *u = 12 - be >= 64 ? 0 : q >> (12 - be); /* subnormal or zero */
    else
        *u = (uint64_t)be << 52 | ((q >> 11) & ((UINT64_C(1) << 52) - 1));
    return 0;
}

int bw_lwm2m__dec_to_double(const uint8_t *digits, size_t nd, int32_t e10,
                            double *out)
{
    *out = 0.0;
    if (nd == 0)
        return 0;
    if (nd > BW_LWM2M__DEC_MAX_DIGITS)
        return BW_ERANGE; /* beyond what the big integers are sized for */
    /* The value lies in [10^lead, 10^(lead+1)). */
    int32_t lead = (int32_t)nd - 1 + e10;
    if (lead > 308)
        return BW_ERANGE;
    if (lead < -325)
        return 0; /* below half the smallest subnormal: rounds to zero */

    uint64_t u;
    if (approx_bits(digits, nd, e10, &u) != 0)
        return BW_ERANGE;
    /*
     * Move u until the decimal value lies between the midpoints around
     * it.  The approximation is at most one ulp below, so the bound on
     * steps is only a guard.
     */
    for (int steps = 0; steps < 4096; steps++) {
        int c = place(digits, nd, e10, u);
        if (c == 2)
            return BW_ERANGE;
        if (c == 0) {
            *out = dfrom(u);
            return 0;
        }
        if (c > 0 && u == DBL_MAX_BITS)
            return BW_ERANGE; /* rounds past DBL_MAX */
        u = c > 0 ? u + 1 : u - 1;
    }
    return BW_ERANGE;
}

/* ---- writing ------------------------------------------------------------ */

/* Exact digits generated: every precision offered plus one to round from. */
#define GEN_DIGITS (BW_LWM2M__DBL_DIGITS + 1)

/*
 * Exact leading digits of positive finite d: digits[0..18) ('0'..'9'),
 * value = 0.d0 d1 d2 ... * 10^(k+1), i.e. d0 is the 10^k digit.  *rest is
 * true when nonzero digits follow the 18th.
 */
static int gen_digits(double d, uint8_t digits[GEN_DIGITS], int32_t *k,
                      bool *rest)
{
    uint64_t m;
    int32_t e;
    bn_t r, s;
    decompose(d, &m, &e);
    bn_set_u64(&r, m);
    bn_set_u64(&s, 1);
    if (e > 0)
        bn_shl(&r, (uint32_t)e);
    else
        bn_shl(&s, (uint32_t)-e);
    /* Estimate k = floor(log10(d)) from the binary exponent. */
    int32_t bits = e;
    for (uint64_t t = m; t > 1; t >>= 1)
        bits++;
    int32_t est = bits * 30103 / 100000; /* log10(2); fixed below */
    if (est >= 0)
        bn_mul_pow10(&s, (uint32_t)est);
    else
        bn_mul_pow10(&r, (uint32_t)-est);
    /* Fix the estimate so that s <= r < 10 s. */
    for (;;) {
        bn_t s10;
        bw__copy(&s10, &s, sizeof s);
        bn_mul_small(&s10, 10);
        if (bn_cmp(&r, &s) < 0) {
            bn_mul_small(&r, 10);
            est--;
        } else if (bn_cmp(&r, &s10) >= 0) {
            bw__copy(&s, &s10, sizeof s);
            est++;
        } else {
            break;
        }
        if (r.ovf || s.ovf)
            return BW_ERANGE;
    }
    for (int i = 0; i < GEN_DIGITS; i++) {
        uint8_t dig = 0;
        while (bn_cmp(&r, &s) >= 0) {
            bn_sub(&r, &s);
            dig++;
        }
        digits[i] = (uint8_t)('0' + dig);
        bn_mul_small(&r, 10);
    }
    if (r.ovf || s.ovf)
        return BW_ERANGE;
    *k = est;
    *rest = r.n != 0;
    return 0;
}

/*
 * Round the 18 exact digits to p significant digits (ties to even) into
 * out[0..p); *k may grow by one when rounding carries out ("9.99" -> "10").
 */
static void round_digits(const uint8_t digits[GEN_DIGITS], bool rest, int p,
                         uint8_t *out, int32_t *k)
{
    bw__copy(out, digits, (size_t)p);
    int cmp; /* tail compared with one half unit of the last kept digit */
    if (digits[p] > '5') {
        cmp = 1;
    } else if (digits[p] < '5') {
        cmp = -1;
    } else {
        cmp = rest ? 1 : 0;
        for (int i = p + 1; i < GEN_DIGITS && cmp == 0; i++)
            if (digits[i] != '0')
                cmp = 1;
    }
    bool up = cmp > 0 || (cmp == 0 && ((out[p - 1] - '0') & 1));
    if (!up)
        return;
    for (int i = p - 1; i >= 0; i--) {
        if (out[i] != '9') {
            out[i]++;
            return;
        }
        out[i] = '0';
    }
    /* All nines: 0.999 -> 1.000 with the exponent one higher. */
    out[0] = '1';
    (*k)++;
}

size_t bw_lwm2m__dbl_digits(double v, int prec,
                            uint8_t out[BW_LWM2M__DBL_DIGITS], int32_t *k)
{
    uint8_t exact[GEN_DIGITS];
    int32_t k0;
    bool rest;
    uint64_t u = dbits(v);
    if (u == 0 || (u >> 52) >= 0x7ff || prec < 0 || prec > BW_LWM2M__DBL_DIGITS)
        return 0; /* not positive and finite, or no such precision */
    if (gen_digits(v, exact, &k0, &rest) != 0)
        return 0;
    int p = prec > 0 ? prec : 1;
    for (;;) {
        *k = k0;
        round_digits(exact, rest, p, out, k);
        if (prec > 0)
            break;
        /* out has p digits with the first at 10^k: do they read back? */
        if (place(out, (size_t)p, *k - (p - 1), u) == 0)
            break;
        if (p == BW_LWM2M__DBL_DIGITS)
            return 0; /* cannot happen: 17 digits always round-trip */
        p++;
    }
    while (p > 1 && out[p - 1] == '0')
        p--;
    return (size_t)p;
}
