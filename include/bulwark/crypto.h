/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one crypto interface the portable core uses.
 *
 * Image verification, the bootloader and (later) secure storage need a
 * handful of primitives: SHA-256 and SHA-512 (streaming, because an image
 * is read from flash in chunks), ECDSA P-256 verification and Ed25519
 * verification, plus constant-time comparison.  This header declares them
 * once; a backend implements them and is chosen at link time (libuv's
 * pattern: one declaration, one implementation per build):
 *
 *   lib/crypto/crypto_mbedtls.c   the device backend (mbedTLS 2.28; only
 *                                 APIs that also exist in 3.6)
 *   lib/crypto/crypto_openssl.c   the host backend (OpenSSL 3)
 *
 * Ed25519 verification is portable code of our own (lib/crypto/ed25519*.c)
 * on top of bw_sha512_*, because Debian's mbedTLS 2.28 has no Ed25519; see
 * docs/crypto.md for why that is the right trade.
 *
 * What this interface must never do: allocate in the device backend, keep
 * state outside the caller's contexts, or branch on secret data in the
 * functions marked constant-time.  Verification handles only public data
 * (keys, signatures, digests), so it need not be constant-time.
 *
 * Hash contexts are caller-allocated, opaque and large enough for every
 * backend; a backend checks at compile time that its state fits.  A
 * started context MUST end in exactly one finish() or bw_hash_abort(),
 * because the host backend keeps a pointer to memory OpenSSL allocated
 * inside it; for the same reason a started context MUST NOT be copied
 * and the copy used (both would share that memory).  bw_crypto_wipe() on
 * a started context would leak on the host: use bw_hash_abort().
 */
#ifndef BULWARK_CRYPTO_H
#define BULWARK_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_SHA256_LEN 32
#define BW_SHA512_LEN 64

/* Raw public keys: X9.62 uncompressed point 04||X||Y, and Ed25519's 32. */
#define BW_P256_PUBKEY_LEN   65
#define BW_ED25519_PUBKEY_LEN 32
#define BW_ED25519_SIG_LEN    64

/*
 * Largest DER ECDSA P-256 signature: SEQUENCE { INTEGER r, INTEGER s }
 * with each integer up to 33 bytes (a leading zero when the top bit is
 * set): 2 + 2 * (2 + 33) = 72.
 */
#define BW_P256_SIG_DER_MAX 72

/*
 * Opaque hash state.  Sized for mbedTLS 2.28/3.6 SHA-512 contexts (216
 * bytes at most on 64-bit hosts) with room to spare; aligned for any
 * backend's struct.
 */
#define BW_HASH_CTX_SIZE 256
typedef struct {
    union {
        uint64_t align_u64;
        void *align_ptr;
        unsigned char bytes[BW_HASH_CTX_SIZE];
    } u;
} bw_hash_ctx_t;

/*
 * SHA-256 / SHA-512, streaming.  init() then any number of update() then
 * finish(), which writes the digest and wipes the context (also when it
 * fails; out is zeroed then).  init() MUST NOT be called on a started
 * context (finish or abort it first); it leaves ctx zeroed on failure.
 * Returns 0, or BW_ECRYPTO when the backend fails, BW_EINVAL for NULL
 * (data may be NULL when len is 0), BW_ESTATE when update() or finish()
 * gets a context that the matching init() did not start (finished,
 * aborted, zeroed, or started for the other algorithm).  An update()
 * that fails leaves the context started: finish or abort it.
 */
int bw_sha256_init(bw_hash_ctx_t *ctx);
int bw_sha256_update(bw_hash_ctx_t *ctx, const void *data, size_t len);
int bw_sha256_finish(bw_hash_ctx_t *ctx, uint8_t out[BW_SHA256_LEN]);

int bw_sha512_init(bw_hash_ctx_t *ctx);
int bw_sha512_update(bw_hash_ctx_t *ctx, const void *data, size_t len);
int bw_sha512_finish(bw_hash_ctx_t *ctx, uint8_t out[BW_SHA512_LEN]);

/*
 * Abandon a hash context: release what the backend holds and wipe it.
 * Safe on a context that is started, finished, aborted or zeroed (so an
 * error path may call it unconditionally); ctx MUST be one of those, not
 * uninitialised memory.  NULL is ignored.
 */
void bw_hash_abort(bw_hash_ctx_t *ctx);

/* One-shot SHA-256.  Returns as the streaming calls do. */
int bw_sha256(const void *data, size_t len, uint8_t out[BW_SHA256_LEN]);

/*
 * Verify an ECDSA P-256 signature (DER, as in MCUboot's TLV 0x22) over a
 * SHA-256 digest with a raw uncompressed public key.  sig_len is the
 * exact length of the DER (at most BW_P256_SIG_DER_MAX to be valid); the
 * DER must be strict (minimal lengths and integers, nothing after it).
 * Returns 0 when it verifies, BW_ESIGNATURE when it does not (including
 * well-formed r or s of 0 or not below the group order), BW_EMALFORMED
 * for a signature that is not valid DER or a key that is not a point on
 * the curve, BW_ECRYPTO for a backend failure, BW_EINVAL for NULL.
 * Both backends give the same code for the same input.
 */
int bw_ecdsa_p256_verify(const uint8_t pub[BW_P256_PUBKEY_LEN],
                         const uint8_t digest[BW_SHA256_LEN],
                         const uint8_t *sig, size_t sig_len);

/*
 * Verify an Ed25519 signature (RFC 8032, pure Ed25519) over msg, with the
 * cofactorless equation [S]B = R + [k]A (as OpenSSL).  msg may be NULL
 * when msg_len is 0.
 * Returns 0, BW_ESIGNATURE, BW_EMALFORMED (key or R not a canonical point
 * encoding, a key of small order, S not below the group order),
 * BW_ECRYPTO (SHA-512 failed), BW_EINVAL.  docs/crypto.md lists where
 * this is stricter than OpenSSL and why.
 */
int bw_ed25519_verify(const uint8_t pub[BW_ED25519_PUBKEY_LEN],
                      const uint8_t *msg, size_t msg_len,
                      const uint8_t sig[BW_ED25519_SIG_LEN]);

/*
 * Constant-time equality of two buffers of len bytes: 1 when equal, else
 * 0.  Time depends on len only.
 */
int bw_ct_equal(const void *a, const void *b, size_t len);

/* Wipe len bytes so the compiler cannot elide it. */
void bw_crypto_wipe(void *p, size_t len);

/* Name of the linked backend ("mbedtls 2.28.3", "openssl 3.0.x"). */
const char *bw_crypto_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_CRYPTO_H */
