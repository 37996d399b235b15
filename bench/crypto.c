/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/crypto: signature verification as the bootloader does it.
 *
 * Prints Ed25519 verifications per second for our portable verifier
 * (lib/crypto/ed25519_*.c, over the linked backend's SHA-512) beside
 * OpenSSL's own EVP Ed25519 verification in the same run, and the ratio;
 * the target is within 10x of OpenSSL, whose verifier uses 64-bit limbs
 * and hand-tuned code our 32-bit-friendly one does not.  ECDSA P-256
 * through bw_ecdsa_p256_verify() is printed for scale.
 *
 * Each verification checks a 32-byte message, as MCUboot signs the
 * image digest.
 */
#include <string.h>

#include <openssl/evp.h>

#include "bench.h"
#include "bulwark/crypto.h"

typedef struct {
    uint8_t pub[32];
    uint8_t sig[64];
    uint8_t msg[32];
    EVP_PKEY *key; /* OpenSSL's view of pub */
} ed_job_t;

typedef struct {
    uint8_t pub[65];
    uint8_t digest[32];
    uint8_t sig[80];
    size_t sig_len;
} ec_job_t;

static void die(const char *what)
{
    fprintf(stderr, "bench_crypto: %s failed\n", what);
    exit(1);
}

static uint64_t run_ours(void *arg)
{
    ed_job_t *j = arg;
    if (bw_ed25519_verify(j->pub, j->msg, sizeof j->msg, j->sig) != 0)
        abort();
    return j->sig[0];
}

static uint64_t run_openssl(void *arg)
{
    ed_job_t *j = arg;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestVerifyInit(md, NULL, NULL, NULL, j->key) != 1 ||
        EVP_DigestVerify(md, j->sig, 64, j->msg, sizeof j->msg) != 1)
        abort();
    EVP_MD_CTX_free(md);
    return j->sig[0];
}

static uint64_t run_ecdsa(void *arg)
{
    ec_job_t *j = arg;
    if (bw_ecdsa_p256_verify(j->pub, j->digest, j->sig, j->sig_len) != 0)
        abort();
    return j->sig[0];
}

static void setup_ed(ed_job_t *j)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    size_t len = sizeof j->pub, sig_len = sizeof j->sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    for (size_t i = 0; i < sizeof j->msg; i++)
        j->msg[i] = (uint8_t)(i * 7);
    if (key == NULL || md == NULL ||
        EVP_PKEY_get_raw_public_key(key, j->pub, &len) != 1 ||
        EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
        EVP_DigestSign(md, j->sig, &sig_len, j->msg, sizeof j->msg) != 1)
        die("Ed25519 key/signature");
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    j->key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, j->pub, 32);
    if (j->key == NULL)
        die("Ed25519 public key");
}

static void setup_ec(ec_job_t *j)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    size_t len = 0;
    EVP_PKEY_CTX *ctx;
    memset(j->digest, 0x5a, sizeof j->digest);
    if (key == NULL || EVP_PKEY_get_octet_string_param(
                           key, "pub", j->pub, sizeof j->pub, &len) != 1)
        die("P-256 key");
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    j->sig_len = sizeof j->sig;
    if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
        EVP_PKEY_sign(ctx, j->sig, &j->sig_len, j->digest, sizeof j->digest) !=
            1)
        die("P-256 signature");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    ed_job_t ed;
    ec_job_t ec;

    setup_ed(&ed);
    setup_ec(&ec);
    /* One check before timing: a wrong verdict aborts inside the loop. */
    if (bw_ed25519_verify(ed.pub, ed.msg, sizeof ed.msg, ed.sig) != 0)
        die("our Ed25519 verify");

    double ours = bench_rate(run_ours, &ed, seconds);
    double theirs = bench_rate(run_openssl, &ed, seconds);
    double ecdsa = bench_rate(run_ecdsa, &ec, seconds);
    printf("backend                     %s\n", bw_crypto_backend());
    printf("ed25519 verify, ours        %10.0f /s\n", ours);
    printf("ed25519 verify, OpenSSL EVP %10.0f /s\n", theirs);
    printf("ratio OpenSSL / ours        %10.2f  (target <= 10)\n",
           theirs / ours);
    printf("ecdsa p256 verify (backend) %10.0f /s\n", ecdsa);
    EVP_PKEY_free(ed.key);
    return 0;
}
