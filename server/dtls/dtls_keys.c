/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Record keys from a finished handshake, for callers without a worker
 * (tests, benchmarks): the TLS 1.2 PRF with SHA-256 (RFC 5246 section 5)
 * and the key block layout of RFC 5246 6.3.
 *
 * Both run the very code the workers run (dtls_crypto.c) on a crypto
 * context made for the call, so the known-answer tests of these two
 * functions test the handshake's PRF.  Workers keep their context and
 * never come here: making one fetches the algorithms.
 *
 * For the AES-128 AEAD suites the key block is 40 bytes:
 *
 *   0                16               32        36        40
 *   +----------------+----------------+---------+---------+
 *   | client key     | server key     | cli IV  | srv IV  |
 *   +----------------+----------------+---------+---------+
 */
#include <string.h>

#include <openssl/crypto.h>

#include "dtls_psk.h"

int bw_dtls_prf_sha256(const uint8_t *secret, size_t secret_len,
                       const char *label, const uint8_t *seed, size_t seed_len,
                       uint8_t *out, size_t out_len)
{
    bw_dtls_crypto_t *c = bw_dtls_crypto_new();
    if (c == NULL) {
        if (out_len > 0)
            memset(out, 0, out_len);
        return BW_ECRYPTO;
    }
    int err = bw_dtls_crypto_prf(c, secret, secret_len, label, seed, seed_len,
                                 out, out_len);
    bw_dtls_crypto_free(c);
    return err;
}

int bw_dtls_derive_keys(const uint8_t master[BW_DTLS_MASTER_LEN],
                        const uint8_t client_random[BW_DTLS_RANDOM_LEN],
                        const uint8_t server_random[BW_DTLS_RANDOM_LEN],
                        bw_dtls_keys_t *client_write,
                        bw_dtls_keys_t *server_write)
{
    bw_dtls_crypto_t *c = bw_dtls_crypto_new();
    if (c == NULL) {
        OPENSSL_cleanse(client_write, sizeof *client_write);
        OPENSSL_cleanse(server_write, sizeof *server_write);
        return BW_ECRYPTO;
    }
    int err = bw_dtls_crypto_keys(c, master, client_random, server_random,
                                  client_write, server_write);
    bw_dtls_crypto_free(c);
    return err;
}
