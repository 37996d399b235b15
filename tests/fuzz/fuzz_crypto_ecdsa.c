/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Robustness of ECDSA P-256 signature and key parsing.
 *
 * Input: mode byte, then
 *   mode even: the DER signature, checked with a fixed valid key and the
 *              digest it signed (imgtool's vector), so a mutation of the
 *              seed signatures lands on the parser and on verification;
 *   mode odd:  a 65-byte raw public key, then the DER signature.
 *
 * What must hold, beside never crashing or reading past the input: the
 * answer is one of 0, BW_ESIGNATURE, BW_EMALFORMED; with the fixed key,
 * BW_EMALFORMED exactly when the signature is not canonical DER with
 * integers of at most 32 bytes of magnitude, judged by OpenSSL's own
 * DER codec (d2i then i2d must give the input back); and whatever the
 * key, nothing that is not canonical DER is ever accepted.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "bulwark/crypto.h"

static const uint8_t fixed_pub[65] = {
    0x04, 0x5a, 0xad, 0x6f, 0xa0, 0xbe, 0xe5, 0x2e, 0x19, 0x57, 0xa3,
    0x33, 0x17, 0x76, 0x75, 0x72, 0xe8, 0x8b, 0xff, 0xd6, 0xb1, 0xab,
    0x0b, 0x30, 0x77, 0x36, 0x00, 0xdc, 0xcf, 0x23, 0xe6, 0xe6, 0xcf,
    0x15, 0x42, 0xa9, 0x5a, 0xb1, 0x52, 0x4f, 0x5f, 0x87, 0x6f, 0xa0,
    0x11, 0x9e, 0xc5, 0xf6, 0x4f, 0x9b, 0x45, 0x2a, 0x15, 0x6e, 0x38,
    0xe9, 0x0e, 0x72, 0xfd, 0x3b, 0x06, 0x4d, 0x89, 0xf5, 0x54};

static const uint8_t fixed_digest[32] = {
    0xfa, 0xdd, 0xca, 0x2f, 0xc2, 0x1c, 0xf4, 0x8e, 0x4a, 0xa2, 0x9a,
    0x06, 0xa6, 0xac, 0x6b, 0xa0, 0x10, 0xc0, 0x47, 0xe2, 0x55, 0xf8,
    0x9e, 0xd9, 0x14, 0xb9, 0xbe, 0x7f, 0x0c, 0x2a, 0x10, 0xe3};

/* OpenSSL's idea of a canonical DER ECDSA-Sig-Value with P-256-sized,
 * non-negative integers. */
static int canonical_der(const uint8_t *sig, size_t len)
{
    const unsigned char *p = sig;
    unsigned char *der = NULL;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
    int ok = 0;
    if (s == NULL)
        return 0;
    int der_len = i2d_ECDSA_SIG(s, &der);
    if (der_len > 0 && (size_t)der_len == len && memcmp(der, sig, len) == 0) {
        const BIGNUM *r, *v;
        ECDSA_SIG_get0(s, &r, &v);
        ok = !BN_is_negative(r) && !BN_is_negative(v) &&
             BN_num_bytes(r) <= 32 && BN_num_bytes(v) <= 32;
    }
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 + 65 + 128)
        return 0;
    const uint8_t *pub = fixed_pub;
    const uint8_t *sig = data + 1;
    size_t sig_len = size - 1;
    int fixed = !(data[0] & 1);
    if (!fixed) {
        if (sig_len < 65)
            return 0;
        pub = data + 1;
        sig += 65;
        sig_len -= 65;
    }
    /* A copy of exactly sig_len bytes, so ASan sees any over-read. */
    uint8_t *copy = malloc(sig_len ? sig_len : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, sig, sig_len);

    int err = bw_ecdsa_p256_verify(pub, fixed_digest, copy, sig_len);
    if (err != 0 && err != BW_ESIGNATURE && err != BW_EMALFORMED)
        abort();
    if (fixed && (err == BW_EMALFORMED) != !canonical_der(copy, sig_len))
        abort();
    if (err == 0 && !canonical_der(copy, sig_len))
        abort();
    free(copy);
    return 0;
}
