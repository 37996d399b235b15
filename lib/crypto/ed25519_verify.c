/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ed25519 signature verification (RFC 8032 section 5.1.7), portable and
 * shared by both backends; only SHA-512 comes from the backend.
 *
 * The rules, and where they differ from other verifiers (docs/crypto.md
 * has the reasoning):
 *
 *   - S MUST be below L.  Without this check S + L would verify too, and
 *     a signature could be altered without the key (malleability).
 *   - A and R are decoded strictly: y below p, a root for x, and no
 *     "negative zero" x.  For R this gives exactly OpenSSL's verdicts,
 *     which compare R's bytes with the canonical encoding of the computed
 *     point; for A it is stricter than OpenSSL 3.0, which reduces y
 *     modulo p and ignores the sign of a zero x.
 *   - A public key of small order (order 1, 2, 4 or 8) is refused: with
 *     such a key signatures can be forged without any secret, and the
 *     all-zero key, what an unprovisioned slot may hold, is one of them.
 *     OpenSSL accepts such keys; libsodium refuses them, as here.
 *   - The equation is the cofactorless [S]B = R + [k]A, as OpenSSL
 *     checks it, so the two agree on every key both accept (the
 *     differential fuzzer tests exactly this).
 */
#include "bulwark/crypto.h"
#include "ed25519_int.h"

/* k = SHA-512(R || A || M) mod L (RFC 8032 section 5.1.7 step 2). */
static int challenge(uint8_t k[32], const uint8_t *r, const uint8_t *pub,
                     const uint8_t *msg, size_t msg_len)
{
    bw_hash_ctx_t h;
    uint8_t digest[BW_SHA512_LEN];
    int err = bw_sha512_init(&h);
    if (err == 0)
        err = bw_sha512_update(&h, r, 32);
    if (err == 0)
        err = bw_sha512_update(&h, pub, BW_ED25519_PUBKEY_LEN);
    if (err == 0)
        err = bw_sha512_update(&h, msg, msg_len);
    if (err != 0) {
        bw_hash_abort(&h);
        return err;
    }
    err = bw_sha512_finish(&h, digest);
    if (err != 0)
        return err;
    bw_ed25519__sc_reduce64(k, digest);
    return 0;
}

int bw_ed25519_verify(const uint8_t pub[BW_ED25519_PUBKEY_LEN],
                      const uint8_t *msg, size_t msg_len,
                      const uint8_t sig[BW_ED25519_SIG_LEN])
{
    static const uint8_t empty[1] = {0};
    const uint8_t *r_bytes, *s_bytes;
    uint8_t k[32];
    bw_ge_t a, r, check;
    int err;

    if (pub == NULL || sig == NULL || (msg == NULL && msg_len > 0))
        return BW_EINVAL;
    if (msg == NULL)
        msg = empty;
    r_bytes = sig;
    s_bytes = sig + 32;

    if (!bw_ed25519__sc_is_canonical(s_bytes))
        return BW_EMALFORMED;
    if (bw_ed25519__ge_decode(&a, pub) != 0 ||
        bw_ed25519__ge_is_small_order(&a))
        return BW_EMALFORMED;
    if (bw_ed25519__ge_decode(&r, r_bytes) != 0)
        return BW_EMALFORMED;

    err = challenge(k, r_bytes, pub, msg, msg_len);
    if (err != 0)
        return err;

    /* [S]B - [k]A must be R (affine: decode left Z = 1). */
    bw_ed25519__ge_double_scalarmult(&check, s_bytes, k, &a);
    if (!bw_ed25519__ge_equals_affine(&check, &r.x, &r.y))
        return BW_ESIGNATURE;
    return 0;
}
