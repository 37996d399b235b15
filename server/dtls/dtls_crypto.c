/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Handshake crypto of one worker: SHA-256 and the TLS 1.2 PRF over
 * algorithm objects fetched once (dtls_psk.h, "Crypto context").
 *
 * OpenSSL 3 looks an algorithm up by name on every one-shot call (HMAC(),
 * EVP_Q_mac(), EVP_sha256() inside EVP_DigestInit): a fetch, a lock and a
 * context allocation per HMAC.  A handshake runs about a dozen HMACs, so
 * here the MAC and the digest are fetched when the worker starts and
 * their contexts are reused.  HMAC keys are set once per PRF call;
 * EVP_MAC_init() with a NULL key restarts with the key already set.
 *
 *   P_SHA256(secret, seed) = HMAC(secret, A(1) + seed) ||
 *                            HMAC(secret, A(2) + seed) || ...
 *   A(0) = seed,  A(i) = HMAC(secret, A(i-1))
 *   PRF(secret, label, seed) = P_SHA256(secret, label + seed)
 *
 * Every intermediate (A(i), the output blocks) is wiped before return.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "dtls_psk.h"

#define SHA256_LEN    32
#define KEY_BLOCK_LEN (2 * BW_DTLS_KEY_LEN + 2 * BW_DTLS_FIXED_IV_LEN)

struct bw_dtls_crypto {
    EVP_MAC *mac;
    EVP_MAC_CTX *hmac;
    EVP_MD *sha256;
    EVP_MD_CTX *md;
};

bw_dtls_crypto_t *bw_dtls_crypto_new(void)
{
    bw_dtls_crypto_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    c->hmac = c->mac != NULL ? EVP_MAC_CTX_new(c->mac) : NULL;
    c->md = EVP_MD_CTX_new();
    /* The digest is set once; each PRF call only sets its key. */
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (c->hmac == NULL || c->sha256 == NULL || c->md == NULL ||
        EVP_MAC_CTX_set_params(c->hmac, params) != 1) {
        bw_dtls_crypto_free(c);
        ERR_clear_error();
        return NULL;
    }
    return c;
}

void bw_dtls_crypto_free(bw_dtls_crypto_t *c)
{
    if (c == NULL)
        return;
    EVP_MAC_CTX_free(c->hmac);
    EVP_MAC_free(c->mac);
    EVP_MD_CTX_free(c->md);
    EVP_MD_free(c->sha256);
    free(c);
}

int bw_dtls_crypto_sha256(bw_dtls_crypto_t *c, const uint8_t *data, size_t len,
                          uint8_t out[32])
{
    unsigned n = 0;
    ERR_set_mark(); /* see dtls_record.c: keep the error queue clean */
    if (EVP_DigestInit_ex(c->md, c->sha256, NULL) != 1 ||
        EVP_DigestUpdate(c->md, data, len) != 1 ||
        EVP_DigestFinal_ex(c->md, out, &n) != 1 || n != SHA256_LEN) {
        ERR_pop_to_mark();
        OPENSSL_cleanse(out, SHA256_LEN);
        return BW_ECRYPTO;
    }
    ERR_clear_last_mark();
    return 0;
}

/* One HMAC under the key set last: two parts, the second may be empty. */
static int hmac2(bw_dtls_crypto_t *c, const uint8_t *a, size_t alen,
                 const uint8_t *b, size_t blen, uint8_t out[SHA256_LEN])
{
    size_t n = 0;
    return EVP_MAC_init(c->hmac, NULL, 0, NULL) == 1 &&
           EVP_MAC_update(c->hmac, a, alen) == 1 &&
           (blen == 0 || EVP_MAC_update(c->hmac, b, blen) == 1) &&
           EVP_MAC_final(c->hmac, out, &n, SHA256_LEN) == 1 && n == SHA256_LEN;
}

int bw_dtls_crypto_prf(bw_dtls_crypto_t *c, const uint8_t *secret,
                       size_t secret_len, const char *label,
                       const uint8_t *seed, size_t seed_len, uint8_t *out,
                       size_t out_len)
{
    /* ls = label || seed; a = A(i); each output block is
     * HMAC(A(i) || ls), the next A(i) the HMAC of A(i). */
    uint8_t ls[BW_DTLS_PRF_SEED_MAX], a[SHA256_LEN], block[SHA256_LEN];
    size_t label_len = strlen(label);
    uint8_t *const out0 = out;
    const size_t want = out_len;

    if (label_len + seed_len > BW_DTLS_PRF_SEED_MAX) {
        if (out_len > 0)
            memset(out, 0, out_len);
        return BW_EINVAL;
    }
    memcpy(ls, label, label_len);
    if (seed_len > 0)
        memcpy(ls + label_len, seed, seed_len);
    size_t ls_len = label_len + seed_len;

    ERR_set_mark();
    int ok = EVP_MAC_init(c->hmac, secret, secret_len, NULL) == 1 &&
             hmac2(c, ls, ls_len, NULL, 0, a); /* A(1) */
    while (ok && out_len > 0) {
        ok = hmac2(c, a, SHA256_LEN, ls, ls_len, block);
        if (!ok)
            break;
        size_t n = out_len < SHA256_LEN ? out_len : SHA256_LEN;
        memcpy(out, block, n);
        out += n;
        out_len -= n;
        if (out_len > 0)
            ok = hmac2(c, a, SHA256_LEN, NULL, 0, a);
    }
    OPENSSL_cleanse(ls, sizeof ls);
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(block, sizeof block);
    if (!ok) {
        ERR_pop_to_mark();
        if (want > 0)
            OPENSSL_cleanse(out0, want);
        return BW_ECRYPTO;
    }
    ERR_clear_last_mark();
    return 0;
}

int bw_dtls_crypto_keys(bw_dtls_crypto_t *c,
                        const uint8_t master[BW_DTLS_MASTER_LEN],
                        const uint8_t client_random[BW_DTLS_RANDOM_LEN],
                        const uint8_t server_random[BW_DTLS_RANDOM_LEN],
                        bw_dtls_keys_t *client_write,
                        bw_dtls_keys_t *server_write)
{
    uint8_t seed[2 * BW_DTLS_RANDOM_LEN];
    uint8_t kb[KEY_BLOCK_LEN];

    /* Key expansion takes the server random first (RFC 5246 6.3). */
    memcpy(seed, server_random, BW_DTLS_RANDOM_LEN);
    memcpy(seed + BW_DTLS_RANDOM_LEN, client_random, BW_DTLS_RANDOM_LEN);
    int err = bw_dtls_crypto_prf(c, master, BW_DTLS_MASTER_LEN, "key expansion",
                                 seed, sizeof seed, kb, sizeof kb);
    if (err == 0) {
        memcpy(client_write->key, kb, BW_DTLS_KEY_LEN);
        memcpy(server_write->key, kb + BW_DTLS_KEY_LEN, BW_DTLS_KEY_LEN);
        memcpy(client_write->iv, kb + 2 * BW_DTLS_KEY_LEN,
               BW_DTLS_FIXED_IV_LEN);
        memcpy(server_write->iv,
               kb + 2 * BW_DTLS_KEY_LEN + BW_DTLS_FIXED_IV_LEN,
               BW_DTLS_FIXED_IV_LEN);
    } else {
        OPENSSL_cleanse(client_write, sizeof *client_write);
        OPENSSL_cleanse(server_write, sizeof *server_write);
    }
    OPENSSL_cleanse(kb, sizeof kb);
    return err;
}
