/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DTLS 1.2 record layer for established sessions (RFC 6347 section 4.1,
 * RFC 5246 section 6, AEAD per RFC 5116 / RFC 6655 / RFC 5288).
 *
 * A handshake (ours for PSK, dtls_psk.h, or OpenSSL's) ends with the
 * master secret and both randoms; the record keys are derived from them
 * (here, or with the worker's prefetched crypto, dtls_crypto.c) and the
 * handshake object is freed.  From then on a session is a few hundred bytes of
 * plain data (see dtls_session.h), and every application record is opened
 * and sealed by this file.
 *
 * What this file owns: the record header codec, key derivation (TLS 1.2
 * PRF with SHA-256), AEAD sealing and opening for the two ciphers the
 * server offers (AES-128-CCM-8 and AES-128-GCM, both with an 8-byte
 * explicit nonce equal to epoch||sequence number), the 64-entry
 * anti-replay window and alert records.
 *
 * What it never does: keep per-session heap state (the AEAD scratch
 * context is per worker and holds no key between calls), read a clock,
 * touch a socket, or choose a sequence number (the caller owns sequence
 * numbers and MUST never seal twice with the same epoch and sequence
 * number under one key: that reuses a nonce).
 *
 * Record header on the wire (13 bytes, big endian):
 *
 *   0      1      3      5                11     13
 *   +------+------+------+----------------+------+----------
 *   | type | ver  |epoch |  sequence (48) | len  | fragment
 *   +------+------+------+----------------+------+----------
 *
 * A protected fragment (epoch > 0) is explicit_nonce(8) || ciphertext ||
 * tag (8 bytes for CCM-8, 16 for GCM).  The additional data is
 * epoch||seq(8) || type(1) || version(2) || plaintext length(2).
 */
#ifndef BW_DTLS_RECORD_H
#define BW_DTLS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#define BW_DTLS_HDR_LEN    13
#define BW_DTLS_VERSION_12 0xfefd
#define BW_DTLS_VERSION_10 0xfeff
/* Sequence numbers are 48 bits (RFC 6347 4.1). */
#define BW_DTLS_SEQ_MAX ((UINT64_C(1) << 48) - 1)
/* Largest plaintext of one record (RFC 5246 6.2.1: 2^14). */
#define BW_DTLS_MAX_PLAINTEXT      16384
#define BW_DTLS_EXPLICIT_NONCE_LEN 8
#define BW_DTLS_MASTER_LEN         48
#define BW_DTLS_RANDOM_LEN         32
#define BW_DTLS_KEY_LEN            16 /* AES-128 */
#define BW_DTLS_FIXED_IV_LEN       4  /* the implicit part of the nonce */
/* Width of the anti-replay window (RFC 6347 4.1.2.6 suggests at least 32). */
#define BW_DTLS_REPLAY_WINDOW 64

enum {
    BW_DTLS_CT_CCS = 20,
    BW_DTLS_CT_ALERT = 21,
    BW_DTLS_CT_HANDSHAKE = 22,
    BW_DTLS_CT_APPDATA = 23,
};

/* The two AEAD ciphers; the numbers are the IANA cipher suite values of
 * the PSK suites, only used to name them. */
typedef enum {
    BW_DTLS_AES128_CCM8 = 1, /* tag 8 */
    BW_DTLS_AES128_GCM = 2,  /* tag 16 */
} bw_dtls_aead_t;

/* Bytes a sealed record adds to its plaintext: header + nonce + tag. */
size_t bw_dtls_overhead(bw_dtls_aead_t alg);

/* One record, as split off a datagram.  fragment points into the datagram. */
typedef struct {
    uint8_t type;
    uint16_t version;
    uint16_t epoch;
    uint64_t seq; /* 48 bits */
    const uint8_t *fragment;
    size_t fragment_len;
} bw_dtls_rec_t;

/*
 * Split the next record off *data (a datagram may carry several records).
 * On success advances *data and *len past the record.
 * Returns 0, or BW_ETRUNC (fewer bytes than the header or its length),
 * BW_EVERSION (major byte is not 0xfe), BW_EMALFORMED (unknown content
 * type, fragment longer than 2^14 + 2048).  On error *rec is zeroed and
 * *data, *len are unchanged; the caller drops the rest of the datagram
 * (RFC 6347 4.1.2.7: invalid records are silently discarded).
 */
int bw_dtls_rec_next(const uint8_t **data, size_t *len, bw_dtls_rec_t *rec);

/* Write a 13-byte record header into out. */
void bw_dtls_rec_header(uint8_t out[BW_DTLS_HDR_LEN], uint8_t type,
                        uint16_t version, uint16_t epoch, uint64_t seq,
                        uint16_t len);

/* Keys of one direction (client-write or server-write) of one epoch. */
typedef struct {
    uint8_t key[BW_DTLS_KEY_LEN];
    uint8_t iv[BW_DTLS_FIXED_IV_LEN];
} bw_dtls_keys_t;

/*
 * key_block = PRF(master, "key expansion", server_random + client_random)
 * cut into client_write_key, server_write_key, client_write_IV,
 * server_write_IV (RFC 5246 6.3; no MAC keys for AEAD ciphers).  Both
 * ciphers use the SHA-256 PRF.
 * Returns 0, or BW_ECRYPTO.  Wipes its intermediate key block.
 */
int bw_dtls_derive_keys(const uint8_t master[BW_DTLS_MASTER_LEN],
                        const uint8_t client_random[BW_DTLS_RANDOM_LEN],
                        const uint8_t server_random[BW_DTLS_RANDOM_LEN],
                        bw_dtls_keys_t *client_write,
                        bw_dtls_keys_t *server_write);

/*
 * The TLS 1.2 PRF with HMAC-SHA256 (RFC 5246 section 5):
 * P_SHA256(secret, label || seed) cut to out_len bytes.  Exposed for
 * bw_dtls_derive_keys() and its known-answer test.
 * Returns 0, or BW_EINVAL (label and seed together longer than
 * BW_DTLS_PRF_SEED_MAX), BW_ECRYPTO.  On error out is zeroed.
 */
/* Longest label + seed: "key expansion" and two randoms need 77. */
#define BW_DTLS_PRF_SEED_MAX 128
int bw_dtls_prf_sha256(const uint8_t *secret, size_t secret_len,
                       const char *label, const uint8_t *seed, size_t seed_len,
                       uint8_t *out, size_t out_len);

/*
 * Anti-replay window (RFC 6347 4.1.2.6).  top is one more than the highest
 * sequence number accepted so far (0: none yet); bit i of bitmap set means
 * top - 1 - i was accepted.  Check before opening, update only after the
 * record authenticated, so a forged record cannot move the window.
 */
typedef struct {
    uint64_t top;
    uint64_t bitmap;
} bw_dtls_replay_t;

/* 0 if seq is new, BW_EREPLAY if seen, BW_ESTALE if left of the window. */
int bw_dtls_replay_check(const bw_dtls_replay_t *w, uint64_t seq);
void bw_dtls_replay_update(bw_dtls_replay_t *w, uint64_t seq);

/*
 * AEAD scratch context: one per worker thread, reused for every record;
 * holds no key between calls.  new() returns NULL on allocation failure.
 */
typedef struct bw_dtls_aead_ctx bw_dtls_aead_ctx_t;
bw_dtls_aead_ctx_t *bw_dtls_aead_new(void);
void bw_dtls_aead_free(bw_dtls_aead_ctx_t *ctx);

/*
 * Open (authenticate and decrypt) a protected record with the sender's
 * keys.  Plaintext goes to out (cap bytes; out MAY equal
 * rec->fragment + BW_DTLS_EXPLICIT_NONCE_LEN for in-place decryption).
 * Does not consult or update any replay window.
 * Returns 0, or BW_ETRUNC (fragment shorter than nonce + tag), BW_ENOSPC,
 * BW_EOVERFLOW (more than 2^14 bytes of plaintext, RFC 5246 6.2.1),
 * BW_EAUTH (tag mismatch: nothing is written to out that the caller may
 * use; *out_len is 0), BW_EINVAL (epoch 0), BW_ECRYPTO.
 */
int bw_dtls_open(bw_dtls_aead_ctx_t *ctx, bw_dtls_aead_t alg,
                 const bw_dtls_keys_t *keys, const bw_dtls_rec_t *rec,
                 uint8_t *out, size_t cap, size_t *out_len);

/*
 * Seal a plaintext into one complete record (header, explicit nonce,
 * ciphertext, tag) at out.  The explicit nonce is epoch||seq.  plain MAY
 * equal out + BW_DTLS_HDR_LEN + BW_DTLS_EXPLICIT_NONCE_LEN (sealing in
 * place); any other overlap is not allowed.
 * Returns 0, or BW_ENOSPC (cap < len + bw_dtls_overhead(alg)), BW_EINVAL
 * (len > 2^14, epoch 0, seq > BW_DTLS_SEQ_MAX), BW_ECRYPTO.
 */
int bw_dtls_seal(bw_dtls_aead_ctx_t *ctx, bw_dtls_aead_t alg,
                 const bw_dtls_keys_t *keys, uint8_t type, uint16_t epoch,
                 uint64_t seq, const uint8_t *plain, size_t len, uint8_t *out,
                 size_t cap, size_t *out_len);

/* Alerts (RFC 5246 7.2). */
enum {
    BW_DTLS_ALERT_WARNING = 1,
    BW_DTLS_ALERT_FATAL = 2,
    BW_DTLS_ALERT_CLOSE_NOTIFY = 0,
    BW_DTLS_ALERT_BAD_RECORD_MAC = 20,
    BW_DTLS_ALERT_HANDSHAKE_FAILURE = 40,
    BW_DTLS_ALERT_DECRYPT_ERROR = 51,
    BW_DTLS_ALERT_INTERNAL_ERROR = 80,
};

/*
 * Parse a decrypted alert body (2 bytes: level, description).
 * Returns 0, or BW_ETRUNC / BW_ETRAILING / BW_EMALFORMED (unknown level).
 */
int bw_dtls_alert_parse(const uint8_t *body, size_t len, uint8_t *level,
                        uint8_t *desc);

#endif /* BW_DTLS_RECORD_H */
