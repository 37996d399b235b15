/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arithmetic in GF(p), p = 2^255 - 19, for Ed25519 verification.
 *
 * The representation (ten unsigned limbs in radix 2^25.5) and the bound
 * every function keeps are described in ed25519_int.h.  The products are
 * written as loops over the limb pairs rather than unrolled by hand: the
 * factor each pair needs (2 when both limbs are odd, 19 when the product
 * wraps past 2^255) is then computed from the indices where a reader can
 * check it, and with constant bounds the compiler unrolls the loops and
 * folds the conditions away anyway.
 *
 * No secret ever reaches this file (see ed25519_int.h), so canonical
 * reduction and comparisons use ordinary branches.
 */
#include <string.h>

#include "ed25519_int.h"

/* Width and mask of limb i: 26 bits for even i, 25 for odd. */
#define W(i)    (26u - ((unsigned)(i)&1u))
#define MASK(i) ((1u << W(i)) - 1u)

/*
 * The limbs of 2p, added before subtracting so that no limb goes
 * negative: p's limbs are 2^26 - 19, then 2^25 - 1 and 2^26 - 1
 * alternating, so 2p's are twice those.  Each is at least as large as the
 * corresponding limb of any carried value.
 */
static const uint32_t two_p[BW_FE_LIMBS] = {
    0x7ffffda, 0x3fffffe, 0x7fffffe, 0x3fffffe, 0x7fffffe,
    0x3fffffe, 0x7fffffe, 0x3fffffe, 0x7fffffe, 0x3fffffe,
};

/* Offset of limb i: ceil(25.5 i). */
static unsigned offset(unsigned i)
{
    return (51u * i + 1u) / 2u;
}

/*
 * Bring limbs below 2^28 back to the carried bound: move each limb's
 * overflow into the next one, fold the overflow of the top limb (weight
 * 2^255 = 19) into limb 0, and carry limb 0 once more.
 */
static void carry32(uint32_t v[BW_FE_LIMBS])
{
    for (unsigned i = 0; i < BW_FE_LIMBS - 1; i++) {
        v[i + 1] += v[i] >> W(i);
        v[i] &= MASK(i);
    }
    v[0] += 19u * (v[9] >> 25);
    v[9] &= MASK(9);
    v[1] += v[0] >> 26;
    v[0] &= MASK(0);
}

/* The same for the 64-bit column sums of a product (each below 2^63). */
static void carry64(bw_fe_t *r, uint64_t c[BW_FE_LIMBS])
{
    for (unsigned i = 0; i < BW_FE_LIMBS - 1; i++) {
        c[i + 1] += c[i] >> W(i);
        c[i] &= MASK(i);
    }
    /* c[9] < 2^63, so its overflow times 19 is below 2^43. */
    c[0] += 19u * (c[9] >> 25);
    c[9] &= MASK(9);
    c[1] += c[0] >> 26;
    c[0] &= MASK(0);
    for (unsigned i = 0; i < BW_FE_LIMBS; i++)
        r->v[i] = (uint32_t)c[i];
}

void bw_ed25519__fe_zero(bw_fe_t *r)
{
    memset(r, 0, sizeof *r);
}

void bw_ed25519__fe_one(bw_fe_t *r)
{
    memset(r, 0, sizeof *r);
    r->v[0] = 1;
}

void bw_ed25519__fe_add(bw_fe_t *r, const bw_fe_t *a, const bw_fe_t *b)
{
    for (unsigned i = 0; i < BW_FE_LIMBS; i++)
        r->v[i] = a->v[i] + b->v[i];
    carry32(r->v);
}

void bw_ed25519__fe_sub(bw_fe_t *r, const bw_fe_t *a, const bw_fe_t *b)
{
    for (unsigned i = 0; i < BW_FE_LIMBS; i++)
        r->v[i] = a->v[i] + two_p[i] - b->v[i];
    carry32(r->v);
}

void bw_ed25519__fe_neg(bw_fe_t *r, const bw_fe_t *a)
{
    bw_fe_t zero;
    bw_ed25519__fe_zero(&zero);
    bw_ed25519__fe_sub(r, &zero, a);
}

/*
 * Limb i times limb j has weight 2^(offset(i) + offset(j)).  That is
 * 2^offset(i+j) times 2 when i and j are both odd (two half bits make a
 * whole one), and when i + j >= 10 it is 2^255 * 2^offset(i+j-10), and
 * 2^255 = 19 (mod p).
 */
void bw_ed25519__fe_mul(bw_fe_t *r, const bw_fe_t *a, const bw_fe_t *b)
{
    uint64_t c[BW_FE_LIMBS] = {0};
    uint32_t b19[BW_FE_LIMBS];

    for (unsigned j = 0; j < BW_FE_LIMBS; j++)
        b19[j] = 19u * b->v[j];
    for (unsigned i = 0; i < BW_FE_LIMBS; i++) {
        const uint32_t ai = a->v[i];
        const uint32_t ai2 = 2u * a->v[i];
        for (unsigned j = 0; j < BW_FE_LIMBS - i; j++)
            c[i + j] += (uint64_t)((i & j & 1u) ? ai2 : ai) * b->v[j];
        for (unsigned j = BW_FE_LIMBS - i; j < BW_FE_LIMBS; j++)
            c[i + j - BW_FE_LIMBS] +=
                (uint64_t)((i & j & 1u) ? ai2 : ai) * b19[j];
    }
    carry64(r, c);
}

/* As fe_mul with b = a, taking each unordered pair once, doubled. */
void bw_ed25519__fe_sq(bw_fe_t *r, const bw_fe_t *a)
{
    uint64_t c[BW_FE_LIMBS] = {0};
    uint32_t a19[BW_FE_LIMBS];

    for (unsigned j = 0; j < BW_FE_LIMBS; j++)
        a19[j] = 19u * a->v[j];
    for (unsigned i = 0; i < BW_FE_LIMBS; i++) {
        for (unsigned j = i; j < BW_FE_LIMBS; j++) {
            /* At most 4 * 2^26.01: fits in 32 bits. */
            uint32_t x = a->v[i] << ((i != j) + (i & j & 1u));
            if (i + j < BW_FE_LIMBS)
                c[i + j] += (uint64_t)x * a->v[j];
            else
                c[i + j - BW_FE_LIMBS] += (uint64_t)x * a19[j];
        }
    }
    carry64(r, c);
}

/* r = a^(2^n): n squarings. */
static void sqn(bw_fe_t *r, const bw_fe_t *a, unsigned n)
{
    bw_ed25519__fe_sq(r, a);
    while (--n > 0)
        bw_ed25519__fe_sq(r, r);
}

/*
 * a^(2^252 - 3).  Since 2^252 - 3 = 4 (2^250 - 1) + 1, build
 * e_n = a^(2^n - 1) for growing n with e_(m+n) = e_m^(2^n) * e_n,
 * along n = 1, 2, 4, 5, 10, 20, 40, 50, 100, 200, 250: 250 squarings
 * and 10 multiplications, then two more squarings and one multiply.
 */
void bw_ed25519__fe_pow2523(bw_fe_t *r, const bw_fe_t *a)
{
    bw_fe_t e2, e4, e5, e10, e20, e50, e100, t;

    sqn(&t, a, 1);
    bw_ed25519__fe_mul(&e2, &t, a); /* 2^2 - 1 */
    sqn(&t, &e2, 2);
    bw_ed25519__fe_mul(&e4, &t, &e2); /* 2^4 - 1 */
    sqn(&t, &e4, 1);
    bw_ed25519__fe_mul(&e5, &t, a); /* 2^5 - 1 */
    sqn(&t, &e5, 5);
    bw_ed25519__fe_mul(&e10, &t, &e5); /* 2^10 - 1 */
    sqn(&t, &e10, 10);
    bw_ed25519__fe_mul(&e20, &t, &e10); /* 2^20 - 1 */
    sqn(&t, &e20, 20);
    bw_ed25519__fe_mul(&t, &t, &e20); /* 2^40 - 1 */
    sqn(&t, &t, 10);
    bw_ed25519__fe_mul(&e50, &t, &e10); /* 2^50 - 1 */
    sqn(&t, &e50, 50);
    bw_ed25519__fe_mul(&e100, &t, &e50); /* 2^100 - 1 */
    sqn(&t, &e100, 100);
    bw_ed25519__fe_mul(&t, &t, &e100); /* 2^200 - 1 */
    sqn(&t, &t, 50);
    bw_ed25519__fe_mul(&t, &t, &e50); /* 2^250 - 1 */
    sqn(&t, &t, 2);
    bw_ed25519__fe_mul(r, &t, a); /* 2^252 - 3 */
}

int bw_ed25519__fe_frombytes(bw_fe_t *r, const uint8_t s[32])
{
    /*
     * The 255-bit value is >= p = 2^255 - 19 only when bits 5..254 are
     * all ones and the low byte is at least 0xed.
     */
    int high_ones = (s[31] & 0x7f) == 0x7f && s[0] >= 0xed;
    for (unsigned i = 1; i < 31 && high_ones; i++)
        high_ones = s[i] == 0xff;

    for (unsigned i = 0; i < BW_FE_LIMBS; i++) {
        unsigned off = offset(i);
        unsigned first = off / 8, last = (off + W(i) - 1) / 8;
        uint64_t acc = 0;
        for (unsigned k = last + 1; k-- > first;)
            acc = (acc << 8) | s[k];
        r->v[i] = (uint32_t)(acc >> (off % 8)) & MASK(i);
    }
    if (high_ones) {
        bw_ed25519__fe_zero(r);
        return -1;
    }
    return 0;
}

void bw_ed25519__fe_tobytes(uint8_t s[32], const bw_fe_t *a)
{
    uint32_t v[BW_FE_LIMBS];
    uint32_t q;

    memcpy(v, a->v, sizeof v);
    carry32(v); /* now the value is below 2^255 + 2^27 < 2p */
    /*
     * q = floor((value + 19) / 2^255) is 1 exactly when value >= p; the
     * chain below computes it with the carries of value + 19.
     */
    q = (v[0] + 19u) >> 26;
    for (unsigned i = 1; i < BW_FE_LIMBS; i++)
        q = (v[i] + q) >> W(i);
    /* value - q p = value + 19 q - q 2^255: add, carry, drop bit 255. */
    v[0] += 19u * q;
    for (unsigned i = 0; i < BW_FE_LIMBS - 1; i++) {
        v[i + 1] += v[i] >> W(i);
        v[i] &= MASK(i);
    }
    v[9] &= MASK(9);

    /* Pack 255 bits little-endian. */
    uint64_t acc = 0;
    unsigned bits = 0, n = 0;
    for (unsigned i = 0; i < BW_FE_LIMBS; i++) {
        acc |= (uint64_t)v[i] << bits;
        bits += W(i);
        while (bits >= 8) {
            s[n++] = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    s[n] = (uint8_t)acc; /* the last 7 bits; n == 31 here */
}

int bw_ed25519__fe_iszero(const bw_fe_t *a)
{
    uint8_t s[32];
    uint8_t acc = 0;
    bw_ed25519__fe_tobytes(s, a);
    for (unsigned i = 0; i < sizeof s; i++)
        acc |= s[i];
    return acc == 0;
}

int bw_ed25519__fe_isodd(const bw_fe_t *a)
{
    uint8_t s[32];
    bw_ed25519__fe_tobytes(s, a);
    return s[0] & 1;
}
