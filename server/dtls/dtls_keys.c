/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Record keys from a finished handshake: the TLS 1.2 PRF with SHA-256
 * (RFC 5246 section 5) and the key block layout of RFC 5246 6.3.
 *
 *   P_SHA256(secret, seed) = HMAC(secret, A(1) + seed) ||
 *                            HMAC(secret, A(2) + seed) || ...
 *   A(0) = seed,  A(i) = HMAC(secret, A(i-1))
 *   PRF(secret, label, seed) = P_SHA256(secret, label + seed)
 *
 * For the AES-128 AEAD suites the key block is 40 bytes:
 *
 *   0                16               32        36        40
 *   +----------------+----------------+---------+---------+
 *   | client key     | server key     | cli IV  | srv IV  |
 *   +----------------+----------------+---------+---------+
 *
 * This runs once per handshake, so it favours plainness over speed.  Every
 * intermediate (A(i), HMAC outputs, the key block) is wiped before return.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dtls_record.h"

#define SHA256_LEN    32
#define KEY_BLOCK_LEN (2 * BW_DTLS_KEY_LEN + 2 * BW_DTLS_FIXED_IV_LEN)

/* HMAC-SHA256 of one contiguous buffer. */
static int hmac256(const uint8_t *key, size_t key_len, const uint8_t *msg,
                   size_t len, uint8_t out[SHA256_LEN])
{
    unsigned int olen = 0;
    ERR_set_mark(); /* see dtls_record.c: keep the error queue clean */
    if (HMAC(EVP_sha256(), key, (int)key_len, msg, len, out, &olen) == NULL ||
        olen != SHA256_LEN) {
        ERR_pop_to_mark();
        return BW_ECRYPTO;
    }
    ERR_clear_last_mark();
    return 0;
}

int bw_dtls_prf_sha256(const uint8_t *secret, size_t secret_len,
                       const char *label, const uint8_t *seed, size_t seed_len,
                       uint8_t *out, size_t out_len)
{
    /* buf = A(i) || label || seed: each output block is the HMAC of all
     * of buf, the next A(i) the HMAC of its first 32 bytes. */
    uint8_t buf[SHA256_LEN + BW_DTLS_PRF_SEED_MAX];
    uint8_t block[SHA256_LEN];
    size_t label_len = strlen(label);
    uint8_t *const out0 = out;
    const size_t want = out_len;
    int err = 0;

    if (secret_len > INT32_MAX || label_len + seed_len > BW_DTLS_PRF_SEED_MAX) {
        if (out_len > 0)
            memset(out, 0, out_len);
        return BW_EINVAL;
    }
    size_t ls_len = label_len + seed_len;
    memcpy(buf + SHA256_LEN, label, label_len);
    if (seed_len > 0)
        memcpy(buf + SHA256_LEN + label_len, seed, seed_len);

    /* A(1) = HMAC(secret, label || seed) */
    err = hmac256(secret, secret_len, buf + SHA256_LEN, ls_len, buf);
    while (err == 0 && out_len > 0) {
        err = hmac256(secret, secret_len, buf, SHA256_LEN + ls_len, block);
        if (err != 0)
            break;
        size_t n = out_len < SHA256_LEN ? out_len : SHA256_LEN;
        memcpy(out, block, n);
        out += n;
        out_len -= n;
        if (out_len > 0) /* A(i+1) = HMAC(secret, A(i)) */
            err = hmac256(secret, secret_len, buf, SHA256_LEN, buf);
    }
    if (err != 0 && want > 0)
        OPENSSL_cleanse(out0, want);
    OPENSSL_cleanse(buf, sizeof(buf));
    OPENSSL_cleanse(block, sizeof(block));
    return err;
}

int bw_dtls_derive_keys(const uint8_t master[BW_DTLS_MASTER_LEN],
                        const uint8_t client_random[BW_DTLS_RANDOM_LEN],
                        const uint8_t server_random[BW_DTLS_RANDOM_LEN],
                        bw_dtls_keys_t *client_write,
                        bw_dtls_keys_t *server_write)
{
    uint8_t seed[2 * BW_DTLS_RANDOM_LEN];
    uint8_t kb[KEY_BLOCK_LEN];

    /* Key expansion takes the server random first (RFC 5246 6.3), the
     * reverse of the master secret computation. */
    memcpy(seed, server_random, BW_DTLS_RANDOM_LEN);
    memcpy(seed + BW_DTLS_RANDOM_LEN, client_random, BW_DTLS_RANDOM_LEN);
    int err = bw_dtls_prf_sha256(master, BW_DTLS_MASTER_LEN, "key expansion",
                                 seed, sizeof(seed), kb, sizeof(kb));
    if (err == 0) {
        memcpy(client_write->key, kb, BW_DTLS_KEY_LEN);
        memcpy(server_write->key, kb + BW_DTLS_KEY_LEN, BW_DTLS_KEY_LEN);
        memcpy(client_write->iv, kb + 2 * BW_DTLS_KEY_LEN,
               BW_DTLS_FIXED_IV_LEN);
        memcpy(server_write->iv,
               kb + 2 * BW_DTLS_KEY_LEN + BW_DTLS_FIXED_IV_LEN,
               BW_DTLS_FIXED_IV_LEN);
    } else {
        OPENSSL_cleanse(client_write, sizeof(*client_write));
        OPENSSL_cleanse(server_write, sizeof(*server_write));
    }
    OPENSSL_cleanse(kb, sizeof(kb));
    OPENSSL_cleanse(seed, sizeof(seed));
    return err;
}
