/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The backend-independent half of ECDSA P-256 verification: parsing the
 * DER signature and the cheap checks of a raw public key.
 *
 * Both backends call these first, so a signature or key is refused (or
 * let through to the curve arithmetic) by the same rules whichever
 * library is linked.  Left to the backends: whether the point lies on
 * the curve, and the verification equation itself.
 *
 * Everything here reads public data only; none of it needs to run in
 * constant time.
 */
#include <string.h>

#include "crypto_int.h"

/* DER tags used by ECDSA-Sig-Value. */
#define DER_SEQUENCE 0x30
#define DER_INTEGER  0x02

/*
 * Longest INTEGER content for a P-256 value: 32 bytes of magnitude and a
 * leading 0x00 when the top bit of the magnitude is set.
 */
#define P256_INT_MAX (BW_P256_LEN + 1)

/* Group order n of P-256 (FIPS 186-4 D.1.2.3), big-endian. */
static const uint8_t p256_n[BW_P256_LEN] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
    0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/* Field prime p of P-256 (FIPS 186-4 D.1.2.3), big-endian. */
static const uint8_t p256_p[BW_P256_LEN] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* a < b for 32-byte big-endian numbers (public data: early exit is fine). */
static int be_less(const uint8_t *a, const uint8_t *b)
{
    for (size_t i = 0; i < BW_P256_LEN; i++) {
        if (a[i] != b[i])
            return a[i] < b[i];
    }
    return 0;
}

static int be_is_zero(const uint8_t *a)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < BW_P256_LEN; i++)
        acc |= a[i];
    return acc == 0;
}

/*
 * Read one DER INTEGER at in[*pos] (the bytes up to end belong to the
 * enclosing SEQUENCE) into out as a 32-byte big-endian number.
 */
static int read_integer(const uint8_t *in, size_t *pos, size_t end,
                        uint8_t out[BW_P256_LEN])
{
    size_t p = *pos;
    if (end - p < 2 || in[p] != DER_INTEGER)
        return BW_EMALFORMED;
    size_t len = in[p + 1];
    p += 2;
    /* Zero length is not an integer; 0x80 and up would be long form. */
    if (len == 0 || len > P256_INT_MAX || len > end - p)
        return BW_EMALFORMED;
    const uint8_t *v = in + p;
    *pos = p + len;
    if (v[0] & 0x80)
        return BW_EMALFORMED; /* negative */
    if (len > 1 && v[0] == 0x00 && !(v[1] & 0x80))
        return BW_EMALFORMED; /* leading zero that DER forbids */
    if (len == P256_INT_MAX) {
        /* 33 bytes only as a sign byte before a 32-byte magnitude. */
        if (v[0] != 0x00)
            return BW_EMALFORMED;
        v++;
        len--;
    }
    memset(out, 0, BW_P256_LEN);
    memcpy(out + BW_P256_LEN - len, v, len);
    return 0;
}

int bw_crypto__ecdsa_der_parse(const uint8_t *sig, size_t sig_len,
                               uint8_t r[BW_P256_LEN], uint8_t s[BW_P256_LEN])
{
    int err = BW_EMALFORMED;
    size_t pos = 2;

    memset(r, 0, BW_P256_LEN);
    memset(s, 0, BW_P256_LEN);
    if (sig_len < 2 || sig[0] != DER_SEQUENCE)
        goto fail;
    /*
     * The largest signature has 70 content bytes, so the length is always
     * short form, and it must cover exactly the rest of the input.
     */
    if (sig[1] & 0x80 || (size_t)sig[1] != sig_len - 2)
        goto fail;
    err = read_integer(sig, &pos, sig_len, r);
    if (err == 0)
        err = read_integer(sig, &pos, sig_len, s);
    if (err == 0 && pos != sig_len)
        err = BW_EMALFORMED; /* bytes after s inside the SEQUENCE */
    if (err != 0)
        goto fail;
    /* SEC 1 section 4.1.4 step 1: r and s in [1, n-1]. */
    if (be_is_zero(r) || be_is_zero(s) || !be_less(r, p256_n) ||
        !be_less(s, p256_n)) {
        err = BW_ESIGNATURE;
        goto fail;
    }
    return 0;

fail:
    memset(r, 0, BW_P256_LEN);
    memset(s, 0, BW_P256_LEN);
    return err;
}

int bw_crypto__p256_pub_precheck(const uint8_t pub[BW_P256_PUBKEY_LEN])
{
    if (pub[0] != 0x04)
        return BW_EMALFORMED; /* compressed, hybrid or infinity */
    if (!be_less(pub + 1, p256_p) || !be_less(pub + 1 + BW_P256_LEN, p256_p))
        return BW_EMALFORMED;
    return 0;
}
