/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Points of edwards25519 (-x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19))
 * for Ed25519 verification: strict decoding, the small-order test, and
 * [s]B - [k]A computed with signed sliding windows (Straus/Shamir: both
 * scalars share one chain of doublings).
 *
 * Coordinates and the cached form are described in ed25519_int.h; the
 * addition and doubling formulas are RFC 8032 section 5.1.4's.  All
 * inputs are public, so the code branches on digits freely.
 *
 * Stack: two tables of BW_ED25519_TABLE cached points (160 bytes each)
 * and two 256-byte digit strings, about 3.4 KB with the default window;
 * no heap and no mutable static data.
 */
#include <string.h>

#include "ed25519_int.h"

/* d = -121665/121666 (RFC 8032 section 5.1), little-endian. */
static const uint8_t const_d[32] = {
    0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41,
    0x41, 0x4d, 0x0a, 0x70, 0x00, 0x98, 0xe8, 0x79, 0x77, 0x79, 0x40,
    0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52};

/* 2d, used by every addition. */
static const uint8_t const_2d[32] = {
    0x59, 0xf1, 0xb2, 0x26, 0x94, 0x9b, 0xd6, 0xeb, 0x56, 0xb1, 0x83,
    0x82, 0x9a, 0x14, 0xe0, 0x00, 0x30, 0xd1, 0xf3, 0xee, 0xf2, 0x80,
    0x8e, 0x19, 0xe7, 0xfc, 0xdf, 0x56, 0xdc, 0xd9, 0x06, 0x24};

/* 2^((p-1)/4), a square root of -1. */
static const uint8_t const_sqrtm1[32] = {
    0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f,
    0xad, 0x06, 0x18, 0x43, 0x2f, 0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00,
    0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b};

/* The base point B: y = 4/5 and the even x (RFC 8032 section 5.1). */
static const uint8_t const_bx[32] = {
    0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25,
    0x95, 0x60, 0xc7, 0x2c, 0x69, 0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2,
    0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21};
static const uint8_t const_by[32] = {
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};

/* Load a constant that is known to be canonical. */
static void fe_const(bw_fe_t *r, const uint8_t s[32])
{
    (void)bw_ed25519__fe_frombytes(r, s);
}

static void ge_identity(bw_ge_t *r)
{
    bw_ed25519__fe_zero(&r->x);
    bw_ed25519__fe_one(&r->y);
    bw_ed25519__fe_one(&r->z);
    bw_ed25519__fe_zero(&r->t);
}

/* Affine (x, y) to extended coordinates. */
static void ge_from_affine(bw_ge_t *r, const bw_fe_t *x, const bw_fe_t *y)
{
    r->x = *x;
    r->y = *y;
    bw_ed25519__fe_one(&r->z);
    bw_ed25519__fe_mul(&r->t, x, y);
}

static void ge_to_cached(bw_ge_cached_t *c, const bw_ge_t *p, const bw_fe_t *d2)
{
    bw_ed25519__fe_add(&c->ypx, &p->y, &p->x);
    bw_ed25519__fe_sub(&c->ymx, &p->y, &p->x);
    bw_ed25519__fe_mul(&c->t2d, &p->t, d2);
    bw_ed25519__fe_add(&c->z2, &p->z, &p->z);
}

/*
 * r = p + q, or p - q when negate is set (-q swaps Y+X with Y-X and
 * negates T, which swaps F and G below).  r may alias p.
 */
static void ge_add(bw_ge_t *r, const bw_ge_t *p, const bw_ge_cached_t *q,
                   int negate)
{
    bw_fe_t a, b, c, d, e, f, g, h;

    bw_ed25519__fe_sub(&a, &p->y, &p->x);
    bw_ed25519__fe_mul(&a, &a, negate ? &q->ypx : &q->ymx);
    bw_ed25519__fe_add(&b, &p->y, &p->x);
    bw_ed25519__fe_mul(&b, &b, negate ? &q->ymx : &q->ypx);
    bw_ed25519__fe_mul(&c, &p->t, &q->t2d);
    bw_ed25519__fe_mul(&d, &p->z, &q->z2);
    bw_ed25519__fe_sub(&e, &b, &a);
    if (negate) {
        bw_ed25519__fe_add(&f, &d, &c);
        bw_ed25519__fe_sub(&g, &d, &c);
    } else {
        bw_ed25519__fe_sub(&f, &d, &c);
        bw_ed25519__fe_add(&g, &d, &c);
    }
    bw_ed25519__fe_add(&h, &b, &a);
    bw_ed25519__fe_mul(&r->x, &e, &f);
    bw_ed25519__fe_mul(&r->y, &g, &h);
    bw_ed25519__fe_mul(&r->t, &e, &h);
    bw_ed25519__fe_mul(&r->z, &f, &g);
}

/*
 * r = 2p.  T is computed only when want_t is set: a doubling followed by
 * another doubling never reads it, which saves one multiplication in most
 * steps of the main loop.  r may alias p.
 */
static void ge_dbl(bw_ge_t *r, const bw_ge_t *p, int want_t)
{
    bw_fe_t a, b, c, e, f, g, h;

    bw_ed25519__fe_sq(&a, &p->x);
    bw_ed25519__fe_sq(&b, &p->y);
    bw_ed25519__fe_sq(&c, &p->z);
    bw_ed25519__fe_add(&c, &c, &c);
    bw_ed25519__fe_add(&h, &a, &b);
    bw_ed25519__fe_add(&e, &p->x, &p->y);
    bw_ed25519__fe_sq(&e, &e);
    bw_ed25519__fe_sub(&e, &h, &e);
    bw_ed25519__fe_sub(&g, &a, &b);
    bw_ed25519__fe_add(&f, &c, &g);
    bw_ed25519__fe_mul(&r->x, &e, &f);
    bw_ed25519__fe_mul(&r->y, &g, &h);
    if (want_t)
        bw_ed25519__fe_mul(&r->t, &e, &h);
    bw_ed25519__fe_mul(&r->z, &f, &g);
}

int bw_ed25519__ge_decode(bw_ge_t *r, const uint8_t s[32])
{
    bw_fe_t y, u, v, v3, x, vx2, t, d;
    const int sign = s[31] >> 7;

    ge_identity(r);
    /* Step 1: y, refusing y >= p. */
    if (bw_ed25519__fe_frombytes(&y, s) != 0)
        return -1;
    /* Step 2: u = y^2 - 1, v = d y^2 + 1, x = u v^3 (u v^7)^((p-5)/8). */
    fe_const(&d, const_d);
    bw_ed25519__fe_sq(&u, &y);
    bw_ed25519__fe_mul(&v, &u, &d);
    bw_ed25519__fe_one(&t);
    bw_ed25519__fe_sub(&u, &u, &t);
    bw_ed25519__fe_add(&v, &v, &t);
    bw_ed25519__fe_sq(&v3, &v);
    bw_ed25519__fe_mul(&v3, &v3, &v); /* v^3 */
    bw_ed25519__fe_sq(&x, &v3);
    bw_ed25519__fe_mul(&x, &x, &v);
    bw_ed25519__fe_mul(&x, &x, &u); /* u v^7 */
    bw_ed25519__fe_pow2523(&x, &x);
    bw_ed25519__fe_mul(&x, &x, &v3);
    bw_ed25519__fe_mul(&x, &x, &u);
    /* Step 3: v x^2 = u keeps x; = -u takes x sqrt(-1); else no root. */
    bw_ed25519__fe_sq(&vx2, &x);
    bw_ed25519__fe_mul(&vx2, &vx2, &v);
    bw_ed25519__fe_sub(&t, &vx2, &u);
    if (!bw_ed25519__fe_iszero(&t)) {
        bw_ed25519__fe_add(&t, &vx2, &u);
        if (!bw_ed25519__fe_iszero(&t))
            return -1;
        fe_const(&t, const_sqrtm1);
        bw_ed25519__fe_mul(&x, &x, &t);
    }
    /* Step 4: the sign bit picks x or -x; x = 0 has no "negative". */
    if (bw_ed25519__fe_iszero(&x)) {
        if (sign)
            return -1;
    } else if (bw_ed25519__fe_isodd(&x) != sign) {
        bw_ed25519__fe_neg(&x, &x);
    }
    ge_from_affine(r, &x, &y);
    return 0;
}

int bw_ed25519__ge_is_small_order(const bw_ge_t *p)
{
    bw_ge_t q;
    ge_dbl(&q, p, 0);
    ge_dbl(&q, &q, 0);
    ge_dbl(&q, &q, 0);
    /*
     * x = 0 means [8]P is (0, 1) or (0, -1).  The latter has order 2,
     * which would give P order 16, more than the cofactor 8 allows; so
     * x = 0 is exactly [8]P = identity.
     */
    return bw_ed25519__fe_iszero(&q.x);
}

int bw_ed25519__ge_equals_affine(const bw_ge_t *p, const bw_fe_t *x,
                                 const bw_fe_t *y)
{
    bw_fe_t t;
    /* X/Z = x and Y/Z = y, without dividing: X = x Z and Y = y Z. */
    bw_ed25519__fe_mul(&t, x, &p->z);
    bw_ed25519__fe_sub(&t, &t, &p->x);
    if (!bw_ed25519__fe_iszero(&t))
        return 0;
    bw_ed25519__fe_mul(&t, y, &p->z);
    bw_ed25519__fe_sub(&t, &t, &p->y);
    return bw_ed25519__fe_iszero(&t);
}

/* tab[i] = (2i + 1) P, cached. */
static void build_table(bw_ge_cached_t tab[BW_ED25519_TABLE], const bw_ge_t *p,
                        const bw_fe_t *d2)
{
    bw_ge_t p2, cur = *p;
    bw_ge_cached_t c2;

    ge_dbl(&p2, p, 1);
    ge_to_cached(&c2, &p2, d2);
    ge_to_cached(&tab[0], p, d2);
    for (unsigned i = 1; i < BW_ED25519_TABLE; i++) {
        ge_add(&cur, &cur, &c2, 0);
        ge_to_cached(&tab[i], &cur, d2);
    }
}

/* r += digit * P for a table of odd multiples of P (or -= when sub). */
static void add_digit(bw_ge_t *r, const bw_ge_cached_t *tab, int digit, int sub)
{
    if (digit > 0)
        ge_add(r, r, &tab[digit / 2], sub);
    else if (digit < 0)
        ge_add(r, r, &tab[-digit / 2], !sub);
}

void bw_ed25519__ge_double_scalarmult(bw_ge_t *r, const uint8_t s[32],
                                      const uint8_t k[32], const bw_ge_t *a)
{
    int8_t ds[256], dk[256];
    bw_ge_cached_t tb[BW_ED25519_TABLE], ta[BW_ED25519_TABLE];
    bw_fe_t d2, bx, by;
    bw_ge_t b;
    int top;

    fe_const(&d2, const_2d);
    fe_const(&bx, const_bx);
    fe_const(&by, const_by);
    ge_from_affine(&b, &bx, &by);
    build_table(tb, &b, &d2);
    build_table(ta, a, &d2);
    bw_ed25519__sc_slide(ds, s);
    bw_ed25519__sc_slide(dk, k);

    ge_identity(r);
    for (top = 255; top >= 0 && ds[top] == 0 && dk[top] == 0; top--)
        ;
    for (int i = top; i >= 0; i--) {
        /* T is needed by an addition at this step and in the result. */
        ge_dbl(r, r, ds[i] != 0 || dk[i] != 0 || i == 0);
        add_digit(r, tb, ds[i], 0);
        add_digit(r, ta, dk[i], 1);
    }
}
