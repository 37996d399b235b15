/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers every backend shares: constant-time comparison, wiping,
 * and one-shot SHA-256 on top of the streaming calls.
 *
 * bw_ct_equal() and bw_crypto_wipe() handle secrets (MACs, keys), so they
 * are written to defeat the two things an optimiser does to such loops:
 * stopping at the first difference, and deleting stores to memory that is
 * never read again.
 */
#include "bulwark/crypto.h"

int bw_ct_equal(const void *a, const void *b, size_t len)
{
    /*
     * Reading through volatile keeps the compiler from turning the loop
     * into an early-exit memcmp; the accumulated difference is folded to
     * 0 or 1 with arithmetic only, no branch on it.
     */
    const volatile uint8_t *pa = a;
    const volatile uint8_t *pb = b;
    uint32_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (uint32_t)(pa[i] ^ pb[i]);
    /* diff is 0..255: diff - 1 wraps to all ones exactly when diff == 0. */
    return (int)(1u & ((diff - 1u) >> 8));
}

void bw_crypto_wipe(void *p, size_t len)
{
    /* Stores through a volatile pointer are observable, so never elided. */
    volatile uint8_t *v = p;
    for (size_t i = 0; i < len; i++)
        v[i] = 0;
}

int bw_sha256(const void *data, size_t len, uint8_t out[BW_SHA256_LEN])
{
    bw_hash_ctx_t ctx;
    int err;

    if (out == NULL || (data == NULL && len > 0))
        return BW_EINVAL;
    err = bw_sha256_init(&ctx);
    if (err != 0)
        return err;
    err = bw_sha256_update(&ctx, data, len);
    if (err != 0) {
        bw_hash_abort(&ctx);
        return err;
    }
    return bw_sha256_finish(&ctx, out);
}
