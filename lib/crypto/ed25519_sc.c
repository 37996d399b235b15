/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scalars for Ed25519 verification: the S < L test, reducing the 512-bit
 * challenge hash modulo L, and signed-window recoding.
 *
 * L = 2^252 + 27742317777372353535851937790883648493 is the order of the
 * base point.  The reduction is plain binary long division, one bit at a
 * time on 32-bit words: 512 shift-and-subtract steps cost a few
 * microseconds, next to milliseconds of curve arithmetic, and leave
 * nothing to get subtly wrong.  Every input is public.
 */
#include <string.h>

#include "ed25519_int.h"

/* Words of a scalar: 8 hold any value below 2^256; the 9th is headroom. */
#define SC_WORDS 9

/* L, little-endian bytes (RFC 8032 section 5.1). */
static const uint8_t order_l[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
    0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

static void load_words(uint32_t w[SC_WORDS], const uint8_t s[32])
{
    memset(w, 0, SC_WORDS * sizeof w[0]);
    for (unsigned i = 0; i < 32; i++)
        w[i / 4] |= (uint32_t)s[i] << (8 * (i % 4));
}

int bw_ed25519__sc_is_canonical(const uint8_t s[32])
{
    for (unsigned i = 32; i-- > 0;) {
        if (s[i] != order_l[i])
            return s[i] < order_l[i];
    }
    return 0; /* s == L */
}

/* a >= b */
static int words_ge(const uint32_t a[SC_WORDS], const uint32_t b[SC_WORDS])
{
    for (unsigned i = SC_WORDS; i-- > 0;) {
        if (a[i] != b[i])
            return a[i] > b[i];
    }
    return 1;
}

/* a -= b, for a >= b. */
static void words_sub(uint32_t a[SC_WORDS], const uint32_t b[SC_WORDS])
{
    uint32_t borrow = 0;
    for (unsigned i = 0; i < SC_WORDS; i++) {
        uint64_t d = (uint64_t)a[i] - b[i] - borrow;
        a[i] = (uint32_t)d;
        borrow = (uint32_t)(d >> 63);
    }
}

void bw_ed25519__sc_reduce64(uint8_t out[32], const uint8_t in[64])
{
    uint32_t l[SC_WORDS], r[SC_WORDS] = {0};

    load_words(l, order_l);
    /*
     * Invariant: r < L < 2^253, so 2r + 1 < 2^254 never overflows the
     * eight low words; after each step r is again below L.
     */
    for (unsigned bit = 512; bit-- > 0;) {
        uint32_t in_bit = (in[bit / 8] >> (bit % 8)) & 1u;
        for (unsigned i = SC_WORDS - 1; i > 0; i--)
            r[i] = (r[i] << 1) | (r[i - 1] >> 31);
        r[0] = (r[0] << 1) | in_bit;
        if (words_ge(r, l))
            words_sub(r, l);
    }
    for (unsigned i = 0; i < 32; i++)
        out[i] = (uint8_t)(r[i / 4] >> (8 * (i % 4)));
}

/*
 * Signed windows: scan from the low end; at an odd remainder take the
 * low BW_ED25519_WINDOW bits as a digit in [-2^(w-1), 2^(w-1)) (odd, so
 * never the bottom value), remove it from the number, which clears those
 * bits, and move on.  Removing a negative digit adds to the number, so it
 * can grow past 2^253 by a little: 256 digits always suffice.
 */
void bw_ed25519__sc_slide(int8_t d[256], const uint8_t s[32])
{
    const uint32_t window = 1u << BW_ED25519_WINDOW;
    uint32_t w[SC_WORDS];

    load_words(w, s);
    memset(d, 0, 256);
    for (unsigned i = 0; i < 256; i++) {
        if (w[0] & 1u) {
            int digit = (int)(w[0] & (window - 1u));
            if (digit >= (int)(window / 2))
                digit -= (int)window;
            d[i] = (int8_t)digit;
            /*
             * w -= digit.  A positive digit is w's own low bits, so no
             * borrow; a negative one adds, and the carry ripples up.
             */
            uint64_t acc = digit > 0 ? (uint64_t)w[0] - (uint64_t)digit
                                     : (uint64_t)w[0] + (uint64_t)-digit;
            w[0] = (uint32_t)acc;
            for (unsigned j = 1; j < SC_WORDS; j++) {
                acc = (uint64_t)w[j] + (acc >> 32);
                w[j] = (uint32_t)acc;
            }
        }
        for (unsigned j = 0; j < SC_WORDS - 1; j++)
            w[j] = (w[j] >> 1) | (w[j + 1] << 31);
        w[SC_WORDS - 1] >>= 1;
    }
}
