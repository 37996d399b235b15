/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cookies of the stateless exchange (RFC 6347 4.2.1): an HMAC-SHA256 over
 * the peer address and the ClientHello fields the second hello repeats,
 * truncated to BW_DTLS_COOKIE_LEN bytes.  Contracts are in dtls_hello.h.
 *
 * Every field goes in with its length in front, so no two different
 * (peer, hello) pairs hash the same bytes:
 *
 *   peer_len (1) | peer | client_version (2) | random (32)
 *   | cs_len (2) | cipher_suites | comp_len (1) | compression
 *
 * Not the session id: a client resuming with a session ticket may draw a
 * fresh session id for every hello it writes (RFC 5077 3.4; mbedTLS
 * does), and a cookie bound to it would never verify: that client would
 * go round the cookie exchange forever.
 *
 * The cookie of a flood of ClientHellos is computed here for each of them,
 * so HMAC is spelled out over one EVP digest context (RFC 2104: an inner
 * and an outer SHA-256 over the key padded with 0x36 and 0x5c).  The
 * one-shot HMAC() of OpenSSL 3 looks up the MAC algorithm on every call
 * and takes about twice as long for the same bytes.  The padded keys and
 * the inner digest are wiped before return.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "dtls_hello.h"

#define SHA256_LEN   32
#define SHA256_BLOCK 64

/* SHA-256, fetched once for the process (an EVP_MD is immutable and
 * shared safely between threads); EVP_sha256() in EVP_DigestInit_ex would
 * fetch it again on every call. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_md != NULL ? sha256_md : EVP_sha256();
}

/* Feed the length-prefixed fields of the layout above into md. */
static int absorb(EVP_MD_CTX *md, const void *peer, size_t peer_len,
                  const bw_dtls_hello_t *h)
{
    uint8_t b[2];
    int ok = 1;

    b[0] = (uint8_t)peer_len;
    ok &= EVP_DigestUpdate(md, b, 1);
    ok &= EVP_DigestUpdate(md, peer, peer_len);
    b[0] = (uint8_t)(h->client_version >> 8);
    b[1] = (uint8_t)h->client_version;
    ok &= EVP_DigestUpdate(md, b, 2);
    ok &= EVP_DigestUpdate(md, h->random, 32);
    b[0] = (uint8_t)(h->cipher_suites_len >> 8);
    b[1] = (uint8_t)h->cipher_suites_len;
    ok &= EVP_DigestUpdate(md, b, 2);
    ok &= EVP_DigestUpdate(md, h->cipher_suites, h->cipher_suites_len);
    b[0] = h->compression_len;
    ok &= EVP_DigestUpdate(md, b, 1);
    ok &= EVP_DigestUpdate(md, h->compression, h->compression_len);
    return ok;
}

/* HMAC-SHA256(secret, fields) on md, truncated to the cookie length. */
static int cookie_mac(EVP_MD_CTX *md,
                      const uint8_t secret[BW_DTLS_COOKIE_SECRET_LEN],
                      const void *peer, size_t peer_len,
                      const bw_dtls_hello_t *h,
                      uint8_t cookie[BW_DTLS_COOKIE_LEN])
{
    uint8_t ipad[SHA256_BLOCK], opad[SHA256_BLOCK], inner[SHA256_LEN];
    uint8_t outer[SHA256_LEN];
    int ok;

    memset(ipad, 0x36, sizeof(ipad));
    memset(opad, 0x5c, sizeof(opad));
    for (size_t i = 0; i < BW_DTLS_COOKIE_SECRET_LEN; i++) {
        ipad[i] ^= secret[i];
        opad[i] ^= secret[i];
    }
    ERR_set_mark(); /* see dtls_record.c: keep the error queue clean */
    ok = EVP_DigestInit_ex(md, sha256(), NULL) == 1 &&
         EVP_DigestUpdate(md, ipad, sizeof(ipad)) == 1 &&
         absorb(md, peer, peer_len, h) &&
         EVP_DigestFinal_ex(md, inner, NULL) == 1 &&
         EVP_DigestInit_ex(md, sha256(), NULL) == 1 &&
         EVP_DigestUpdate(md, opad, sizeof(opad)) == 1 &&
         EVP_DigestUpdate(md, inner, sizeof(inner)) == 1 &&
         EVP_DigestFinal_ex(md, outer, NULL) == 1;
    memcpy(cookie, outer, BW_DTLS_COOKIE_LEN);
    OPENSSL_cleanse(ipad, sizeof(ipad));
    OPENSSL_cleanse(opad, sizeof(opad));
    OPENSSL_cleanse(inner, sizeof(inner));
    OPENSSL_cleanse(outer, sizeof(outer));
    if (!ok) {
        ERR_pop_to_mark();
        OPENSSL_cleanse(cookie, BW_DTLS_COOKIE_LEN);
        return BW_ECRYPTO;
    }
    ERR_clear_last_mark();
    return 0;
}

int bw_dtls_cookie_make(const uint8_t secret[BW_DTLS_COOKIE_SECRET_LEN],
                        const void *peer, size_t peer_len,
                        const bw_dtls_hello_t *hello,
                        uint8_t cookie[BW_DTLS_COOKIE_LEN])
{
    memset(cookie, 0, BW_DTLS_COOKIE_LEN);
    if (peer_len > BW_DTLS_PEER_MAX || (peer == NULL && peer_len > 0))
        return BW_EINVAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return BW_ECRYPTO;
    int err = cookie_mac(md, secret, peer, peer_len, hello, cookie);
    EVP_MD_CTX_free(md);
    return err;
}

int bw_dtls_cookie_check(const uint8_t current[BW_DTLS_COOKIE_SECRET_LEN],
                         const uint8_t *previous, const void *peer,
                         size_t peer_len, const bw_dtls_hello_t *hello)
{
    uint8_t want[BW_DTLS_COOKIE_LEN];

    if (peer_len > BW_DTLS_PEER_MAX || (peer == NULL && peer_len > 0))
        return BW_EINVAL;
    /* The length is public (it is on the wire); only the bytes need a
     * constant-time comparison. */
    if (hello->cookie_len != BW_DTLS_COOKIE_LEN)
        return BW_EAUTH;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return BW_ECRYPTO;

    int match = 0;
    int err = cookie_mac(md, current, peer, peer_len, hello, want);
    if (err == 0)
        match |= CRYPTO_memcmp(want, hello->cookie, BW_DTLS_COOKIE_LEN) == 0;
    /* The previous secret is tried whatever the first outcome, so the time
     * taken does not tell which secret matched. */
    if (err == 0 && previous != NULL) {
        err = cookie_mac(md, previous, peer, peer_len, hello, want);
        if (err == 0)
            match |=
                CRYPTO_memcmp(want, hello->cookie, BW_DTLS_COOKIE_LEN) == 0;
    }
    EVP_MD_CTX_free(md);
    OPENSSL_cleanse(want, sizeof(want));
    if (err != 0)
        return err;
    return match ? 0 : BW_EAUTH;
}
