/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Differential fuzzing of bw_ed25519_verify() against OpenSSL's Ed25519.
 *
 * Input: public key (32 bytes) || signature (64) || message (the rest,
 * at most MAX_MSG bytes).  The seeds are valid signatures, so mutations
 * start next to the paths that matter (an almost-valid S, R or key).
 *
 * What must hold: the verdicts agree, except where docs/crypto.md says
 * ours is stricter on purpose, recognised here from the key bytes alone
 * (independently of our decoder): a key whose y is not below p, a key
 * with x = 0 and the sign bit set, and the eight keys of small order.
 * There OpenSSL may accept while ours must answer BW_EMALFORMED.  Ours
 * never accepts what OpenSSL refuses, and never returns another code.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bulwark/crypto.h"

#define MAX_MSG 512 /* longer messages only cost hashing time */

/* Canonical encodings of the points of order 1, 2, 4 and 8, and the two
 * x = 0 points with the sign bit set (x = 0 has no negative). */
static const uint8_t weak_keys[10][32] = {
    {0x01},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0x00},
    {[31] = 0x80},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
     0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
     0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0xfa},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
     0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
     0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
     0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
     0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x85},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
     0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
     0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0x01, [31] = 0x80},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
};

/* y (the low 255 bits) >= p = 2^255 - 19. */
static int y_not_canonical(const uint8_t k[32])
{
    if ((k[31] & 0x7f) != 0x7f || k[0] < 0xed)
        return 0;
    for (int i = 1; i < 31; i++) {
        if (k[i] != 0xff)
            return 0;
    }
    return 1;
}

static int stricter_on_purpose(const uint8_t k[32])
{
    if (y_not_canonical(k))
        return 1;
    for (size_t i = 0; i < sizeof weak_keys / sizeof weak_keys[0]; i++) {
        if (memcmp(k, weak_keys[i], 32) == 0)
            return 1;
    }
    return 0;
}

static int openssl_verify(const uint8_t *pub, const uint8_t *msg, size_t len,
                          const uint8_t *sig)
{
    EVP_PKEY *key =
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    if (key == NULL)
        return 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        abort();
    int ok = EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestVerify(md, sig, 64, msg, len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 96 || size > 96 + MAX_MSG)
        return 0;
    const uint8_t *pub = data, *sig = data + 32, *msg = data + 96;
    size_t len = size - 96;

    int ours = bw_ed25519_verify(pub, msg, len, sig);
    int theirs = openssl_verify(pub, msg, len, sig);
    if (ours != 0 && ours != BW_ESIGNATURE && ours != BW_EMALFORMED)
        abort(); /* no other code is possible for these inputs */
    if (ours == 0 && !theirs)
        abort(); /* we accept what OpenSSL refuses */
    if (ours != 0 && theirs &&
        !(ours == BW_EMALFORMED && stricter_on_purpose(pub)))
        abort(); /* we refuse what OpenSSL accepts, undocumented */
    return 0;
}
