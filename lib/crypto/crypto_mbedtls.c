/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device backend: lib/crypto on top of mbedTLS.
 *
 * Written against mbedTLS 2.28 (Debian 12) using only calls that also
 * exist in 3.6, so a device build can move to 3.6 without touching this
 * file beyond the compatibility block below:
 *
 *   - Hashing: 2.28 has mbedtls_sha256_starts_ret() and friends; the
 *     plain mbedtls_sha256_starts() there is deprecated and returns void
 *     (and is gone under MBEDTLS_DEPRECATED_REMOVED).  3.x removed the
 *     _ret names and gave the plain names an int return.  SHA_STARTS()
 *     and friends pick the int-returning name for the version at hand.
 *   - ECDSA: mbedtls_ecp_group_load, mbedtls_ecp_point_read_binary,
 *     mbedtls_ecp_check_pubkey, mbedtls_mpi_read_binary and
 *     mbedtls_ecdsa_verify have the same signatures in 2.28 and 3.6, and
 *     this file never touches a struct field (3.x made them private).
 *
 * Memory: hashing never allocates; the mbedTLS context lives inside the
 * caller's bw_hash_ctx_t (checked at compile time below).  ECDSA
 * verification goes through mbedTLS's bignum code, which allocates through
 * mbedTLS's own calloc hook (on a device: MBEDTLS_MEMORY_BUFFER_ALLOC_C
 * over a static pool the integrator sizes); a failed allocation surfaces
 * as BW_ECRYPTO.
 */
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/version.h>

#include "crypto_int.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define SHA256_STARTS mbedtls_sha256_starts
#define SHA256_UPDATE mbedtls_sha256_update
#define SHA256_FINISH mbedtls_sha256_finish
#define SHA512_STARTS mbedtls_sha512_starts
#define SHA512_UPDATE mbedtls_sha512_update
#define SHA512_FINISH mbedtls_sha512_finish
#else
#define SHA256_STARTS mbedtls_sha256_starts_ret
#define SHA256_UPDATE mbedtls_sha256_update_ret
#define SHA256_FINISH mbedtls_sha256_finish_ret
#define SHA512_STARTS mbedtls_sha512_starts_ret
#define SHA512_UPDATE mbedtls_sha512_update_ret
#define SHA512_FINISH mbedtls_sha512_finish_ret
#endif

/* What a bw_hash_ctx_t holds in this backend. */
typedef struct {
    uint32_t magic; /* BW_CRYPTO__MAGIC_*, or 0 when not started */
    union {
        mbedtls_sha256_context sha256;
        mbedtls_sha512_context sha512;
    } u;
} mb_hash_t;

_Static_assert(sizeof(mb_hash_t) <= sizeof(bw_hash_ctx_t),
               "mbedTLS hash state does not fit BW_HASH_CTX_SIZE");
_Static_assert(_Alignof(mb_hash_t) <= _Alignof(bw_hash_ctx_t),
               "bw_hash_ctx_t is not aligned enough for mbedTLS state");

static mb_hash_t *state(bw_hash_ctx_t *ctx)
{
    return (mb_hash_t *)(void *)ctx->u.bytes;
}

/* Releases nothing (nothing is allocated): only wipes. */
void bw_hash_abort(bw_hash_ctx_t *ctx)
{
    if (ctx != NULL)
        bw_crypto_wipe(ctx, sizeof *ctx);
}

int bw_sha256_init(bw_hash_ctx_t *ctx)
{
    if (ctx == NULL)
        return BW_EINVAL;
    bw_crypto_wipe(ctx, sizeof *ctx);
    mb_hash_t *h = state(ctx);
    mbedtls_sha256_init(&h->u.sha256);
    if (SHA256_STARTS(&h->u.sha256, 0) != 0) {
        bw_hash_abort(ctx);
        return BW_ECRYPTO;
    }
    h->magic = BW_CRYPTO__MAGIC_SHA256;
    return 0;
}

int bw_sha256_update(bw_hash_ctx_t *ctx, const void *data, size_t len)
{
    if (ctx == NULL || (data == NULL && len > 0))
        return BW_EINVAL;
    mb_hash_t *h = state(ctx);
    if (h->magic != BW_CRYPTO__MAGIC_SHA256)
        return BW_ESTATE;
    if (len == 0)
        return 0;
    return SHA256_UPDATE(&h->u.sha256, data, len) == 0 ? 0 : BW_ECRYPTO;
}

int bw_sha256_finish(bw_hash_ctx_t *ctx, uint8_t out[BW_SHA256_LEN])
{
    if (ctx == NULL || out == NULL)
        return BW_EINVAL;
    mb_hash_t *h = state(ctx);
    if (h->magic != BW_CRYPTO__MAGIC_SHA256)
        return BW_ESTATE;
    int rc = SHA256_FINISH(&h->u.sha256, out);
    mbedtls_sha256_free(&h->u.sha256);
    bw_hash_abort(ctx);
    if (rc != 0) {
        memset(out, 0, BW_SHA256_LEN);
        return BW_ECRYPTO;
    }
    return 0;
}

int bw_sha512_init(bw_hash_ctx_t *ctx)
{
    if (ctx == NULL)
        return BW_EINVAL;
    bw_crypto_wipe(ctx, sizeof *ctx);
    mb_hash_t *h = state(ctx);
    mbedtls_sha512_init(&h->u.sha512);
    if (SHA512_STARTS(&h->u.sha512, 0) != 0) {
        bw_hash_abort(ctx);
        return BW_ECRYPTO;
    }
    h->magic = BW_CRYPTO__MAGIC_SHA512;
    return 0;
}

int bw_sha512_update(bw_hash_ctx_t *ctx, const void *data, size_t len)
{
    if (ctx == NULL || (data == NULL && len > 0))
        return BW_EINVAL;
    mb_hash_t *h = state(ctx);
    if (h->magic != BW_CRYPTO__MAGIC_SHA512)
        return BW_ESTATE;
    if (len == 0)
        return 0;
    return SHA512_UPDATE(&h->u.sha512, data, len) == 0 ? 0 : BW_ECRYPTO;
}

int bw_sha512_finish(bw_hash_ctx_t *ctx, uint8_t out[BW_SHA512_LEN])
{
    if (ctx == NULL || out == NULL)
        return BW_EINVAL;
    mb_hash_t *h = state(ctx);
    if (h->magic != BW_CRYPTO__MAGIC_SHA512)
        return BW_ESTATE;
    int rc = SHA512_FINISH(&h->u.sha512, out);
    mbedtls_sha512_free(&h->u.sha512);
    bw_hash_abort(ctx);
    if (rc != 0) {
        memset(out, 0, BW_SHA512_LEN);
        return BW_ECRYPTO;
    }
    return 0;
}

/* Map an mbedTLS error from the verification step to ours. */
static int verify_error(int rc)
{
    if (rc == MBEDTLS_ERR_ECP_VERIFY_FAILED)
        return BW_ESIGNATURE;
    return BW_ECRYPTO;
}

int bw_ecdsa_p256_verify(const uint8_t pub[BW_P256_PUBKEY_LEN],
                         const uint8_t digest[BW_SHA256_LEN],
                         const uint8_t *sig, size_t sig_len)
{
    uint8_t rb[BW_P256_LEN], sb[BW_P256_LEN];
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    int err, rc;

    if (pub == NULL || digest == NULL || sig == NULL)
        return BW_EINVAL;
    err = bw_crypto__p256_pub_precheck(pub);
    if (err != 0)
        return err;
    err = bw_crypto__ecdsa_der_parse(sig, sig_len, rb, sb);
    if (err != 0)
        return err;

    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    err = BW_ECRYPTO;
    if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) != 0)
        goto out;
    rc = mbedtls_ecp_point_read_binary(&grp, &q, pub, BW_P256_PUBKEY_LEN);
    if (rc != 0) {
        err = rc == MBEDTLS_ERR_MPI_ALLOC_FAILED ? BW_ECRYPTO : BW_EMALFORMED;
        goto out;
    }
    /* Range of X, Y and the curve equation (SEC 1 section 3.2.2.1). */
    rc = mbedtls_ecp_check_pubkey(&grp, &q);
    if (rc != 0) {
        err = rc == MBEDTLS_ERR_ECP_INVALID_KEY ? BW_EMALFORMED : BW_ECRYPTO;
        goto out;
    }
    if (mbedtls_mpi_read_binary(&r, rb, sizeof rb) != 0 ||
        mbedtls_mpi_read_binary(&s, sb, sizeof sb) != 0)
        goto out;
    rc = mbedtls_ecdsa_verify(&grp, digest, BW_SHA256_LEN, &q, &r, &s);
    err = rc == 0 ? 0 : verify_error(rc);

out:
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return err;
}

const char *bw_crypto_backend(void)
{
    return "mbedtls " MBEDTLS_VERSION_STRING;
}
