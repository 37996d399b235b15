/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host backend: lib/crypto on top of OpenSSL 3, through EVP only (no
 * API deprecated in 3.0, so the build can turn deprecation warnings into
 * errors).
 *
 * Memory: OpenSSL keeps a digest's state in an EVP_MD_CTX it allocates
 * itself; this backend stores the pointer in the caller's bw_hash_ctx_t
 * and frees it in finish() or bw_hash_abort().  That is why a started
 * context must end in one of those two calls, and why copying a started
 * context does not give two independent hashes (both copies would share
 * one EVP_MD_CTX).  Public keys are rebuilt into an EVP_PKEY for each
 * verification; nothing outlives a call.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>

#include "crypto_int.h"

/* What a bw_hash_ctx_t holds in this backend. */
typedef struct {
    uint32_t magic; /* BW_CRYPTO__MAGIC_*, or 0 when not started */
    EVP_MD_CTX *md; /* owned; NULL when not started */
} ossl_hash_t;

_Static_assert(sizeof(ossl_hash_t) <= sizeof(bw_hash_ctx_t),
               "OpenSSL hash state does not fit BW_HASH_CTX_SIZE");
_Static_assert(_Alignof(ossl_hash_t) <= _Alignof(bw_hash_ctx_t),
               "bw_hash_ctx_t is not aligned enough for OpenSSL state");

static ossl_hash_t *state(bw_hash_ctx_t *ctx)
{
    return (ossl_hash_t *)(void *)ctx->u.bytes;
}

void bw_hash_abort(bw_hash_ctx_t *ctx)
{
    if (ctx == NULL)
        return;
    ossl_hash_t *h = state(ctx);
    /* A zeroed or finished context has magic 0 and owns nothing. */
    if (h->magic == BW_CRYPTO__MAGIC_SHA256 ||
        h->magic == BW_CRYPTO__MAGIC_SHA512)
        EVP_MD_CTX_free(h->md);
    bw_crypto_wipe(ctx, sizeof *ctx);
}

static int hash_init(bw_hash_ctx_t *ctx, const EVP_MD *md, uint32_t magic)
{
    if (ctx == NULL)
        return BW_EINVAL;
    bw_crypto_wipe(ctx, sizeof *ctx);
    ossl_hash_t *h = state(ctx);
    h->md = EVP_MD_CTX_new();
    if (h->md == NULL)
        return BW_ECRYPTO;
    if (EVP_DigestInit_ex(h->md, md, NULL) != 1) {
        EVP_MD_CTX_free(h->md);
        bw_crypto_wipe(ctx, sizeof *ctx);
        return BW_ECRYPTO;
    }
    h->magic = magic;
    return 0;
}

static int hash_update(bw_hash_ctx_t *ctx, uint32_t magic, const void *data,
                       size_t len)
{
    if (ctx == NULL || (data == NULL && len > 0))
        return BW_EINVAL;
    ossl_hash_t *h = state(ctx);
    if (h->magic != magic)
        return BW_ESTATE;
    if (len == 0)
        return 0;
    return EVP_DigestUpdate(h->md, data, len) == 1 ? 0 : BW_ECRYPTO;
}

static int hash_finish(bw_hash_ctx_t *ctx, uint32_t magic, uint8_t *out,
                       size_t out_len)
{
    if (ctx == NULL || out == NULL)
        return BW_EINVAL;
    ossl_hash_t *h = state(ctx);
    if (h->magic != magic)
        return BW_ESTATE;
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex(h->md, out, &n) == 1 && n == out_len;
    bw_hash_abort(ctx);
    if (!ok) {
        memset(out, 0, out_len);
        return BW_ECRYPTO;
    }
    return 0;
}

int bw_sha256_init(bw_hash_ctx_t *ctx)
{
    return hash_init(ctx, EVP_sha256(), BW_CRYPTO__MAGIC_SHA256);
}

int bw_sha256_update(bw_hash_ctx_t *ctx, const void *data, size_t len)
{
    return hash_update(ctx, BW_CRYPTO__MAGIC_SHA256, data, len);
}

int bw_sha256_finish(bw_hash_ctx_t *ctx, uint8_t out[BW_SHA256_LEN])
{
    return hash_finish(ctx, BW_CRYPTO__MAGIC_SHA256, out, BW_SHA256_LEN);
}

int bw_sha512_init(bw_hash_ctx_t *ctx)
{
    return hash_init(ctx, EVP_sha512(), BW_CRYPTO__MAGIC_SHA512);
}

int bw_sha512_update(bw_hash_ctx_t *ctx, const void *data, size_t len)
{
    return hash_update(ctx, BW_CRYPTO__MAGIC_SHA512, data, len);
}

int bw_sha512_finish(bw_hash_ctx_t *ctx, uint8_t out[BW_SHA512_LEN])
{
    return hash_finish(ctx, BW_CRYPTO__MAGIC_SHA512, out, BW_SHA512_LEN);
}

/*
 * Build an EVP_PKEY from a raw uncompressed P-256 point.  OpenSSL decodes
 * the point with EC_POINT_oct2point, which refuses points off the curve;
 * the explicit public check below says so in code rather than relying on
 * it.  Returns 0, BW_EMALFORMED or BW_ECRYPTO.
 */
static int load_p256_key(const uint8_t pub[BW_P256_PUBKEY_LEN], EVP_PKEY **out)
{
    char group[] = SN_X9_62_prime256v1;
    uint8_t point[BW_P256_PUBKEY_LEN];
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *pctx = NULL, *check = NULL;
    int err = BW_ECRYPTO;

    *out = NULL;
    memcpy(point, pub, sizeof point); /* OSSL_PARAM takes non-const */
    params[0] =
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  point, sizeof point);
    params[2] = OSSL_PARAM_construct_end();

    pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1)
        goto out;
    if (EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        /* Off the curve (EC_R_POINT_IS_NOT_ON_CURVE and relatives). */
        err = ERR_GET_REASON(ERR_peek_last_error()) == ERR_R_MALLOC_FAILURE
                  ? BW_ECRYPTO
                  : BW_EMALFORMED;
        goto out;
    }
    check = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
    if (check == NULL)
        goto out;
    /*
     * The quick check (on the curve, not the point at infinity) is the
     * whole check for P-256: its cofactor is 1, so every point on the
     * curve has prime order and the full check's n*Q = O test, which costs
     * as much as the verification itself, can never fail after it.
     */
    if (EVP_PKEY_public_check_quick(check) != 1) {
        err = BW_EMALFORMED;
        goto out;
    }
    err = 0;

out:
    if (err != 0) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(pctx);
    /* Leave no stale entries for the next caller of OpenSSL. */
    ERR_clear_error();
    return err;
}

int bw_ecdsa_p256_verify(const uint8_t pub[BW_P256_PUBKEY_LEN],
                         const uint8_t digest[BW_SHA256_LEN],
                         const uint8_t *sig, size_t sig_len)
{
    uint8_t r[BW_P256_LEN], s[BW_P256_LEN];
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *vctx = NULL;
    int err;

    if (pub == NULL || digest == NULL || sig == NULL)
        return BW_EINVAL;
    err = bw_crypto__p256_pub_precheck(pub);
    if (err != 0)
        return err;
    /*
     * Parsed here only to apply the shared DER rules; OpenSSL gets the
     * original bytes, which those rules proved to be canonical DER (the
     * form OpenSSL itself insists on).
     */
    err = bw_crypto__ecdsa_der_parse(sig, sig_len, r, s);
    if (err != 0)
        return err;
    err = load_p256_key(pub, &pkey);
    if (err != 0)
        return err;

    err = BW_ECRYPTO;
    vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (vctx == NULL || EVP_PKEY_verify_init(vctx) != 1)
        goto out;
    switch (EVP_PKEY_verify(vctx, sig, sig_len, digest, BW_SHA256_LEN)) {
    case 1:
        err = 0;
        break;
    case 0:
        err = BW_ESIGNATURE;
        break;
    default:
        err = BW_ECRYPTO;
        break;
    }

out:
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return err;
}

const char *bw_crypto_backend(void)
{
    return "openssl " OPENSSL_VERSION_STR;
}
