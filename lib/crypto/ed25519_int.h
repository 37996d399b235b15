/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arithmetic behind Ed25519 verification (RFC 8032), private to
 * lib/crypto.  Three layers, one file each:
 *
 *   ed25519_fe.c   the field GF(p), p = 2^255 - 19
 *   ed25519_ge.c   points of edwards25519 and the double-scalar multiply
 *   ed25519_sc.c   scalars modulo the group order L
 *
 * and ed25519_verify.c on top.  Every input is public (keys, signatures,
 * messages), so the code may branch and index on any value; nothing here
 * is meant for secret scalars and nothing may be reused for signing.
 *
 * FIELD ELEMENTS.  A bw_fe_t holds ten unsigned 32-bit limbs in radix
 * 2^25.5: limb i carries bits [ceil(25.5 i), ceil(25.5 (i+1))), i.e.
 * even limbs 26 bits wide and odd limbs 25, at offsets
 *
 *   limb:    0   1   2   3    4    5    6    7    8    9
 *   offset:  0  26  51  77  102  128  153  179  204  230   (sum = 255)
 *
 * Why this shape: a 32-bit MCU multiplies 32x32->64 in one instruction
 * and has no wider type, so limbs must be under 32 bits and a sum of ten
 * products must fit in 64.  With 25/26-bit limbs, a product of limbs i and
 * j lands at offset(i) + offset(j), which is offset(i+j) plus one extra
 * bit exactly when i and j are both odd, and 2^255 = 19 (mod p) folds
 * the top half back with a factor 19: every correction is a factor of 2,
 * 19 or 38.  The result is a radix whose limbs never need signed
 * arithmetic (so no shifts of negative numbers).
 *
 * Bound kept by every function that returns a bw_fe_t ("carried"): limb i
 * is below 2^w(i), except limb 1, below 2^25 + 2^17.  Multiplication is
 * correct for inputs whose limbs are all below 2^27 (then 19 * limb fits
 * in 32 bits and ten products of at most 2^28 * 2^31.25 fit in 64).  A
 * carried value is not necessarily below p; bw_ed25519__fe_tobytes()
 * gives the one canonical encoding.
 *
 * POINTS use extended twisted Edwards coordinates (X:Y:Z:T) with
 * x = X/Z, y = Y/Z, x*y = T/Z (Hisil, Wong, Carter, Dawson 2008; the
 * formulas of RFC 8032 section 5.1.4).  A point that is only ever added
 * is kept "cached" as (Y+X, Y-X, 2d*T, 2Z), which saves work on every
 * addition that uses it.
 */
#ifndef BW_ED25519_INT_H
#define BW_ED25519_INT_H

#include <stddef.h>
#include <stdint.h>

#define BW_FE_LIMBS 10

typedef struct {
    uint32_t v[BW_FE_LIMBS];
} bw_fe_t;

typedef struct {
    bw_fe_t x, y, z, t;
} bw_ge_t;

typedef struct {
    bw_fe_t ypx, ymx, t2d, z2;
} bw_ge_cached_t;

/* ---- field (ed25519_fe.c) ---- */

void bw_ed25519__fe_zero(bw_fe_t *r);
void bw_ed25519__fe_one(bw_fe_t *r);
void bw_ed25519__fe_add(bw_fe_t *r, const bw_fe_t *a, const bw_fe_t *b);
void bw_ed25519__fe_sub(bw_fe_t *r, const bw_fe_t *a, const bw_fe_t *b);
void bw_ed25519__fe_neg(bw_fe_t *r, const bw_fe_t *a);
void bw_ed25519__fe_mul(bw_fe_t *r, const bw_fe_t *a, const bw_fe_t *b);
void bw_ed25519__fe_sq(bw_fe_t *r, const bw_fe_t *a);
/* r = a^((p-5)/8) = a^(2^252 - 3), the core of a square root. */
void bw_ed25519__fe_pow2523(bw_fe_t *r, const bw_fe_t *a);

/*
 * Load 32 little-endian bytes; bit 255 is ignored (the caller reads it as
 * the sign of x).  Returns 0, or -1 when the remaining 255 bits encode a
 * number >= p, which RFC 8032 section 5.1.3 step 1 rejects.
 */
int bw_ed25519__fe_frombytes(bw_fe_t *r, const uint8_t s[32]);
/* Canonical encoding: the value reduced below p, bit 255 clear. */
void bw_ed25519__fe_tobytes(uint8_t s[32], const bw_fe_t *a);
int bw_ed25519__fe_iszero(const bw_fe_t *a);
/* Lowest bit of the canonical value: RFC 8032's "negative" x. */
int bw_ed25519__fe_isodd(const bw_fe_t *a);

/* ---- points (ed25519_ge.c) ---- */

/*
 * Decode a point per RFC 8032 section 5.1.3, strictly: y below p, x^2
 * must have a root, and x = 0 with the sign bit set is refused.
 * Returns 0 or -1; r is the identity on failure.
 */
int bw_ed25519__ge_decode(bw_ge_t *r, const uint8_t s[32]);
/* 1 when [8]P is the identity, i.e. P has order 1, 2, 4 or 8. */
int bw_ed25519__ge_is_small_order(const bw_ge_t *p);
/* 1 when the projective point p equals the affine point (x, y). */
int bw_ed25519__ge_equals_affine(const bw_ge_t *p, const bw_fe_t *x,
                                 const bw_fe_t *y);
/*
 * r = [s]B - [k]A for the base point B, with s and k 32-byte
 * little-endian scalars below 2^253 (callers pass values below L).
 * Variable time: for public inputs only.
 */
void bw_ed25519__ge_double_scalarmult(bw_ge_t *r, const uint8_t s[32],
                                      const uint8_t k[32], const bw_ge_t *a);

/* ---- scalars (ed25519_sc.c) ---- */

/* 1 when the 32-byte little-endian s is below L (RFC 8032 5.1.7 step 1). */
int bw_ed25519__sc_is_canonical(const uint8_t s[32]);
/* out = in mod L, for a 64-byte little-endian in (a SHA-512 digest). */
void bw_ed25519__sc_reduce64(uint8_t out[32], const uint8_t in[64]);

/*
 * Width of the signed sliding windows used by the double-scalar multiply:
 * digits are odd in [-(2^(w-1) - 1), 2^(w-1) - 1] and at least w apart.
 * 5 costs 8 precomputed points per base (2.5 KB of stack for both) and
 * about 253/6 additions per scalar; 4 would halve the stack for ~20% more
 * additions.
 */
#define BW_ED25519_WINDOW 5
#define BW_ED25519_TABLE  (1 << (BW_ED25519_WINDOW - 2))

/*
 * Recode a 32-byte little-endian scalar below 2^253 into 256 signed
 * digits d[i] with sum d[i] 2^i = s, each 0 or odd with
 * |d[i]| < 2^(BW_ED25519_WINDOW-1).
 */
void bw_ed25519__sc_slide(int8_t d[256], const uint8_t s[32]);

#endif /* BW_ED25519_INT_H */
