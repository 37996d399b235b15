/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PSK handshake engine: states, messages in and out, the transcript,
 * retransmission.  Contracts and the scope are in dtls_psk.h.
 *
 * States and what moves them:
 *
 *   start --full--> WAIT_CKE --ClientKeyExchange--> WAIT_FIN
 *         \                                          | CCS, Finished
 *          \--ticket--> ABBR_WAIT_FIN --CCS, Finished--> DONE
 *   any error -> FAILED (a fatal alert sent, secrets wiped)
 *
 * Our flights, each datagram one record per message:
 *   full, first   ServerHello, ServerHelloDone              (timer)
 *   full, last    [NewSessionTicket], ChangeCipherSpec, Finished (resent
 *                 only when the client's Finished comes again)
 *   abbreviated   ServerHello, ChangeCipherSpec, Finished    (timer)
 *
 * Handshake header (RFC 6347 4.2.2), 12 bytes:
 *   type (1) | length (3) | message_seq (2) | fragment_offset (3)
 *   | fragment_length (3)
 */
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "dtls_psk.h"

#define HS_HDR 12
enum {
    HT_CLIENT_HELLO = 1,
    HT_SERVER_HELLO = 2,
    HT_NEW_TICKET = 4,
    HT_SERVER_DONE = 14,
    HT_CKE = 16,
    HT_FINISHED = 20,
};
enum {
    AL_UNEXPECTED = 10,
    AL_DECODE = 50,
    AL_UNKNOWN_PSK = 115,
};
#define FIN_LEN          12
#define TIMER_INITIAL_MS 1000u
#define TIMER_MAX_MS     60000u

static uint32_t u24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static uint16_t u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

/* A whole (unfragmented) handshake header. */
static void hs_header(uint8_t *p, uint8_t type, uint32_t len, uint16_t seq)
{
    p[0] = type;
    put24(p + 1, len);
    put16(p + 4, seq);
    put24(p + 6, 0);
    put24(p + 9, len);
}

static const char *suite_name(uint16_t suite)
{
    return suite == BW_DTLS_SUITE_PSK_CCM8 ? "PSK-AES128-CCM8"
                                           : "PSK-AES128-GCM-SHA256";
}

/* --- secrets, failure ---------------------------------------------------- */

void bw_dtls_psk_wipe(bw_dtls_psk_t *p)
{
    OPENSSL_cleanse(p->master, sizeof p->master);
    OPENSSL_cleanse(&p->rx, sizeof p->rx);
    OPENSSL_cleanse(&p->tx, sizeof p->tx);
    OPENSSL_cleanse(p->fin_msg, sizeof p->fin_msg);
    OPENSSL_cleanse(p->frag, sizeof p->frag);
    p->state = BW_DTLS_PSK_FAILED;
    p->timer_ms = UINT64_MAX;
}

static void send_alert(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                       uint8_t desc)
{
    uint8_t a[BW_DTLS_HDR_LEN + 2];
    bw_dtls_rec_header(a, BW_DTLS_CT_ALERT, BW_DTLS_VERSION_12, 0,
                       p->out_seq0++, 2);
    a[BW_DTLS_HDR_LEN] = BW_DTLS_ALERT_FATAL;
    a[BW_DTLS_HDR_LEN + 1] = desc;
    env->send(env->send_arg, a, sizeof a);
    p->alert = desc;
}

static int fail(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env, int err,
                uint8_t alert, const char *why)
{
    if (alert != 0)
        send_alert(p, env, alert);
    p->why = why;
    bw_dtls_psk_wipe(p);
    return err;
}

/* --- transcript and flights ---------------------------------------------- */

static int append(bw_dtls_psk_t *p, const uint8_t *hdr, const uint8_t *body,
                  size_t n)
{
    if (n > sizeof p->transcript - HS_HDR - p->tlen)
        return BW_EOVERFLOW;
    memcpy(p->transcript + p->tlen, hdr, HS_HDR);
    if (n > 0)
        memcpy(p->transcript + p->tlen + HS_HDR, body, n);
    p->tlen = (uint16_t)(p->tlen + HS_HDR + n);
    return 0;
}

/* Append a message of ours; body already at transcript + tlen + 12. */
static int append_ours(bw_dtls_psk_t *p, uint8_t type, size_t n)
{
    uint8_t hdr[HS_HDR];
    hs_header(hdr, type, (uint32_t)n, p->srv_seq++);
    memcpy(p->transcript + p->tlen, hdr, HS_HDR);
    p->tlen = (uint16_t)(p->tlen + HS_HDR + n);
    return 0;
}

static int hash_transcript(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                           uint8_t out[32])
{
    return bw_dtls_crypto_sha256(env->crypto, p->transcript, p->tlen, out);
}

/* verify_data = PRF(master, label, hash), hash NULL: of the transcript. */
static int finished(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                    const char *label, const uint8_t *hash,
                    uint8_t out[FIN_LEN])
{
    uint8_t h[32];
    int err = 0;
    if (hash != NULL)
        memcpy(h, hash, sizeof h);
    else
        err = hash_transcript(p, env, h);
    if (err == 0)
        err = bw_dtls_crypto_prf(env->crypto, p->master, sizeof p->master,
                                 label, h, sizeof h, out, FIN_LEN);
    return err;
}

static void record(uint8_t *out, size_t *off, uint8_t type, uint16_t epoch,
                   uint64_t seq, const uint8_t *body, size_t n)
{
    bw_dtls_rec_header(out + *off, type, BW_DTLS_VERSION_12, epoch, seq,
                       (uint16_t)n);
    memcpy(out + *off + BW_DTLS_HDR_LEN, body, n);
    *off += BW_DTLS_HDR_LEN + n;
}

/*
 * Send our last flight: its epoch-0 messages, then for the flights that
 * end with it, ChangeCipherSpec and our Finished under a fresh epoch-1
 * number.  Everything fits one datagram (at most about 400 bytes).
 */
static int send_flight(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env)
{
    uint8_t out[BW_DTLS_DATAGRAM_MAX];
    size_t off = 0, pos = p->flight_off, end = pos + p->flight_len;
    int with_fin =
        p->state == BW_DTLS_PSK_ABBR_WAIT_FIN || p->state == BW_DTLS_PSK_DONE;
    while (pos + HS_HDR <= end) {
        size_t n = HS_HDR + u24(p->transcript + pos + 1);
        record(out, &off, BW_DTLS_CT_HANDSHAKE, 0, p->out_seq0++,
               p->transcript + pos, n);
        pos += n;
    }
    if (with_fin) {
        static const uint8_t ccs = 1;
        record(out, &off, BW_DTLS_CT_CCS, 0, p->out_seq0++, &ccs, 1);
        size_t n;
        int err =
            bw_dtls_seal(env->aead, (bw_dtls_aead_t)p->alg, &p->tx,
                         BW_DTLS_CT_HANDSHAKE, 1, p->out_seq1++, p->fin_msg,
                         sizeof p->fin_msg, out + off, sizeof out - off, &n);
        if (err != 0)
            return err;
        off += n;
    }
    env->send(env->send_arg, out, off);
    return 0;
}

static void arm_timer(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env)
{
    p->timer_ms = env->now_ms + p->timeout_ms;
}

/* --- the first flight ----------------------------------------------------- */

static int offers(const bw_dtls_hello_t *h, uint16_t suite)
{
    for (size_t i = 0; i + 1 < h->cipher_suites_len; i += 2)
        if (u16(h->cipher_suites + i) == suite)
            return 1;
    return 0;
}

/* Anything but the ClientHello in its datagram that is handshake: the
 * client spoke before our ServerHello. */
static int more_after_hello(const bw_dtls_hello_t *h, const uint8_t *dgram,
                            size_t len)
{
    if (h->msg + h->msg_len < dgram + h->record_len)
        return 1; /* another message in the hello's record */
    const uint8_t *q = dgram + h->record_len;
    size_t left = len - h->record_len;
    bw_dtls_rec_t rec;
    while (left > 0 && bw_dtls_rec_next(&q, &left, &rec) == 0)
        if (rec.type == BW_DTLS_CT_HANDSHAKE || rec.type == BW_DTLS_CT_CCS)
            return 1;
    return 0;
}

/*
 * A ticket we can resume from: ours, intact, fresh, for a suite the client
 * still offers, agreeing on EMS, for an identity the lookup still knows.
 */
static int try_ticket(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                      const bw_dtls_hello_t *h, const bw_dtls_psk_exts_t *x)
{
    bw_dtls_ticket_t t;
    if (x->ticket == NULL || env->ticket_key == NULL || h->session_id_len == 0)
        return 0;
    if (bw_dtls_ticket_open(env->aead, env->ticket_key, x->ticket,
                            x->ticket_len, &t) != 0)
        return 0;
    int ok = offers(h, t.suite) && t.ems == x->ems &&
             t.issued_s <= env->now_s &&
             env->now_s - t.issued_s <= BW_DTLS_TICKET_LIFETIME_S;
    if (ok) {
        /* A ticket proves an old handshake, not that the credential is
         * still good: ask the lookup again. */
        uint8_t key[BW_DTLS_PSK_KEY_MAX];
        size_t klen = 0;
        if (env->psk_lookup(env->psk_arg, t.identity, t.identity_len, key,
                            sizeof key, &klen) != 0) {
            p->note = "session ticket of a revoked PSK identity ignored";
            ok = 0;
        }
        OPENSSL_cleanse(key, sizeof key);
    }
    if (ok) {
        p->suite = t.suite;
        memcpy(p->master, t.master, sizeof p->master);
        memcpy(p->identity, t.identity, t.identity_len);
        p->identity_len = t.identity_len;
        p->resumed = 1;
    }
    OPENSSL_cleanse(&t, sizeof t);
    return ok;
}

static int server_random(const bw_dtls_psk_env_t *env,
                         uint8_t out[BW_DTLS_RANDOM_LEN])
{
    bw_dtls_rand_pool_t *r = env->rand;
    if (r == NULL)
        return RAND_bytes(out, BW_DTLS_RANDOM_LEN) == 1 ? 0 : BW_ECRYPTO;
    if (r->left < BW_DTLS_RANDOM_LEN) {
        if (RAND_bytes(r->buf, sizeof r->buf) != 1)
            return BW_ECRYPTO;
        r->left = sizeof r->buf;
    }
    r->left -= BW_DTLS_RANDOM_LEN;
    memcpy(out, r->buf + r->left, BW_DTLS_RANDOM_LEN);
    memset(r->buf + r->left, 0, BW_DTLS_RANDOM_LEN); /* never handed twice */
    return 0;
}

/* ServerHello body at the transcript's end; returns its length. */
static size_t server_hello(bw_dtls_psk_t *p)
{
    uint8_t *b = p->transcript + p->tlen + HS_HDR;
    size_t n = 0;
    put16(b, BW_DTLS_VERSION_12);
    memcpy(b + 2, p->sr, BW_DTLS_RANDOM_LEN);
    n = 2 + BW_DTLS_RANDOM_LEN;
    b[n++] = p->sid_len;
    memcpy(b + n, p->session_id, p->sid_len);
    n += p->sid_len;
    put16(b + n, p->suite);
    n += 2;
    b[n++] = 0; /* null compression */
    size_t ext = n + 2, e = ext;
    if (p->reneg) { /* renegotiation_info, empty renegotiated_connection */
        static const uint8_t r[] = {0xff, 0x01, 0x00, 0x01, 0x00};
        memcpy(b + e, r, sizeof r);
        e += sizeof r;
    }
    if (p->ems) {
        static const uint8_t r[] = {0x00, 0x17, 0x00, 0x00};
        memcpy(b + e, r, sizeof r);
        e += sizeof r;
    }
    if (p->send_ticket) {
        static const uint8_t r[] = {0x00, 0x23, 0x00, 0x00};
        memcpy(b + e, r, sizeof r);
        e += sizeof r;
    }
    if (e == ext)
        return n; /* no extensions block at all */
    put16(b + n, (uint32_t)(e - ext));
    return e;
}

/* Room at the transcript's end for one message of ours (<= 300 bytes). */
#define OUR_MSG_MAX (HS_HDR + 2 + 32 + 1 + 32 + 3 + 13 + 6 + BW_DTLS_TICKET_MAX)

int bw_dtls_psk_start(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                      const bw_dtls_hello_t *h, const uint8_t *dgram,
                      size_t len)
{
    bw_dtls_psk_exts_t x;
    memset(p, 0, offsetof(bw_dtls_psk_t, frag));
    p->tlen = 0;
    p->timer_ms = UINT64_MAX;
    p->timeout_ms = TIMER_INITIAL_MS;
    p->out_seq0 = h->record_seq;
    p->ch_seq = h->message_seq;
    p->cli_seq = (uint16_t)(h->message_seq + 1);
    p->srv_seq = h->message_seq;
    if (!bw_dtls_psk_eligible(h, &p->suite))
        return fail(p, env, BW_EUNSUPPORTED, 0, "not a PSK hello");
    if (bw_dtls_psk_exts(h, &x) != 0)
        return fail(p, env, BW_EMALFORMED, BW_DTLS_ALERT_HANDSHAKE_FAILURE,
                    "malformed ClientHello extensions");
    if (more_after_hello(h, dgram, len))
        return fail(p, env, BW_EORDER, AL_UNEXPECTED,
                    "client handshake message before our ServerHello");
    if (h->msg_len > sizeof p->transcript - 2 * OUR_MSG_MAX -
                         (HS_HDR + BW_DTLS_PSK_MSG_MAX) -
                         2 * (HS_HDR + FIN_LEN))
        return fail(p, env, BW_EOVERFLOW, BW_DTLS_ALERT_HANDSHAKE_FAILURE,
                    "ClientHello too long");
    memcpy(p->transcript, h->msg, h->msg_len);
    /* As if unfragmented: the parser only takes whole hellos, but its
     * header is rewritten anyway so the transcript is canonical. */
    hs_header(p->transcript, HT_CLIENT_HELLO, (uint32_t)(h->msg_len - HS_HDR),
              h->message_seq);
    p->tlen = (uint16_t)h->msg_len;
    memcpy(p->cr, h->random, BW_DTLS_RANDOM_LEN);
    p->ems = x.ems;
    p->reneg = x.reneg;
    if (server_random(env, p->sr) != 0)
        return fail(p, env, BW_ECRYPTO, BW_DTLS_ALERT_INTERNAL_ERROR,
                    "no randomness");

    if (try_ticket(p, env, h, &x)) {
        p->sid_len = h->session_id_len;
        memcpy(p->session_id, h->session_id, h->session_id_len);
    } else {
        p->suite = 0;
        bw_dtls_psk_eligible(h, &p->suite);
        p->send_ticket = x.ticket_ext && env->ticket_key != NULL;
    }
    p->alg = p->suite == BW_DTLS_SUITE_PSK_CCM8 ? BW_DTLS_AES128_CCM8
                                                : BW_DTLS_AES128_GCM;
    p->flight_off = p->tlen;
    append_ours(p, HT_SERVER_HELLO, server_hello(p));
    if (!p->resumed) {
        append_ours(p, HT_SERVER_DONE, 0);
        p->flight_len = (uint16_t)(p->tlen - p->flight_off);
        p->state = BW_DTLS_PSK_WAIT_CKE;
    } else {
        p->flight_len = (uint16_t)(p->tlen - p->flight_off);
        uint8_t v[FIN_LEN];
        int err = bw_dtls_crypto_keys(env->crypto, p->master, p->cr, p->sr,
                                      &p->rx, &p->tx);
        if (err == 0)
            err = finished(p, env, "server finished", NULL, v);
        if (err != 0)
            return fail(p, env, err, BW_DTLS_ALERT_INTERNAL_ERROR,
                        "key derivation failed");
        hs_header(p->fin_msg, HT_FINISHED, FIN_LEN, p->srv_seq++);
        memcpy(p->fin_msg + HS_HDR, v, FIN_LEN);
        OPENSSL_cleanse(v, sizeof v);
        append(p, p->fin_msg, p->fin_msg + HS_HDR, FIN_LEN);
        p->state = BW_DTLS_PSK_ABBR_WAIT_FIN;
    }
    int err = send_flight(p, env);
    if (err != 0)
        return fail(p, env, err, BW_DTLS_ALERT_INTERNAL_ERROR,
                    "sealing failed");
    arm_timer(p, env);
    return 0;
}

/* --- client messages ------------------------------------------------------ */

static int on_cke(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                  const uint8_t *hdr, const uint8_t *b, size_t n)
{
    if (n < 2 || (size_t)u16(b) + 2 > n)
        return fail(p, env, BW_ETRUNC, AL_DECODE,
                    "ClientKeyExchange shorter than its identity");
    size_t id_len = u16(b);
    if (id_len + 2 != n)
        return fail(p, env, BW_EMALFORMED, AL_DECODE,
                    "bytes after the PSK identity");
    if (id_len == 0 || id_len > BW_DTLS_IDENTITY_MAX) {
        p->identity_len = 0;
        return fail(p, env, BW_EAUTH, AL_UNKNOWN_PSK,
                    "PSK identity of unusable length refused");
    }
    memcpy(p->identity, b + 2, id_len);
    p->identity_len = (uint8_t)id_len;

    /* RFC 4279 2: premaster = N (2) | N zeros | N (2) | psk */
    uint8_t pms[4 + 2 * BW_DTLS_PSK_KEY_MAX];
    size_t klen = 0;
    int err = env->psk_lookup(env->psk_arg, b + 2, id_len, pms + 4,
                              BW_DTLS_PSK_KEY_MAX, &klen);
    if (err != 0 || klen == 0 || klen > BW_DTLS_PSK_KEY_MAX) {
        OPENSSL_cleanse(pms, sizeof pms);
        return fail(p, env, BW_EAUTH, AL_UNKNOWN_PSK, "unknown PSK identity");
    }
    memmove(pms + 4 + klen, pms + 4, klen);
    put16(pms, (uint32_t)klen);
    memset(pms + 2, 0, klen);
    put16(pms + 2 + klen, (uint32_t)klen);
    size_t pms_len = 4 + 2 * klen;

    err = append(p, hdr, b, n);
    if (err == 0) /* the session hash and the client Finished's */
        err = hash_transcript(p, env, p->hash_cke);
    if (err == 0 && p->ems) { /* RFC 7627 4 */
        err = bw_dtls_crypto_prf(
            env->crypto, pms, pms_len, "extended master secret", p->hash_cke,
            sizeof p->hash_cke, p->master, sizeof p->master);
    } else if (err == 0) {
        uint8_t seed[2 * BW_DTLS_RANDOM_LEN];
        memcpy(seed, p->cr, BW_DTLS_RANDOM_LEN);
        memcpy(seed + BW_DTLS_RANDOM_LEN, p->sr, BW_DTLS_RANDOM_LEN);
        err =
            bw_dtls_crypto_prf(env->crypto, pms, pms_len, "master secret", seed,
                               sizeof seed, p->master, sizeof p->master);
    }
    OPENSSL_cleanse(pms, sizeof pms);
    if (err == 0)
        err = bw_dtls_crypto_keys(env->crypto, p->master, p->cr, p->sr, &p->rx,
                                  &p->tx);
    if (err != 0)
        return fail(p, env, err == BW_EOVERFLOW ? err : BW_ECRYPTO,
                    BW_DTLS_ALERT_INTERNAL_ERROR, "key derivation failed");
    p->state = BW_DTLS_PSK_WAIT_FIN;
    return 0;
}

/* Our last flight of a full handshake: [NewSessionTicket], Finished. */
static int full_done(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env)
{
    p->flight_off = p->tlen;
    if (p->send_ticket) {
        bw_dtls_ticket_t t;
        uint8_t *b = p->transcript + p->tlen + HS_HDR;
        size_t n = 0;
        memset(&t, 0, sizeof t);
        t.suite = p->suite;
        t.ems = p->ems;
        t.issued_s = env->now_s;
        memcpy(t.master, p->master, sizeof t.master);
        t.identity_len = p->identity_len;
        memcpy(t.identity, p->identity, p->identity_len);
        b[0] = (uint8_t)(BW_DTLS_TICKET_LIFETIME_S >> 24);
        b[1] = (uint8_t)(BW_DTLS_TICKET_LIFETIME_S >> 16);
        b[2] = (uint8_t)(BW_DTLS_TICKET_LIFETIME_S >> 8);
        b[3] = (uint8_t)BW_DTLS_TICKET_LIFETIME_S;
        int err =
            bw_dtls_ticket_seal(env->aead, env->ticket_key, env->ticket_counter,
                                &t, b + 6, BW_DTLS_TICKET_MAX, &n);
        OPENSSL_cleanse(&t, sizeof t);
        if (err != 0)
            return fail(p, env, BW_ECRYPTO, BW_DTLS_ALERT_INTERNAL_ERROR,
                        "ticket sealing failed");
        put16(b + 4, (uint32_t)n);
        append_ours(p, HT_NEW_TICKET, 6 + n);
    }
    p->flight_len = (uint16_t)(p->tlen - p->flight_off);
    uint8_t v[FIN_LEN];
    int err = finished(p, env, "server finished", NULL, v);
    if (err != 0)
        return fail(p, env, err, BW_DTLS_ALERT_INTERNAL_ERROR,
                    "key derivation failed");
    hs_header(p->fin_msg, HT_FINISHED, FIN_LEN, p->srv_seq++);
    memcpy(p->fin_msg + HS_HDR, v, FIN_LEN);
    OPENSSL_cleanse(v, sizeof v);
    p->state = BW_DTLS_PSK_DONE;
    err = send_flight(p, env);
    if (err != 0)
        return fail(p, env, err, BW_DTLS_ALERT_INTERNAL_ERROR,
                    "sealing failed");
    return 0;
}

static int on_finished(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                       const uint8_t *hdr, const uint8_t *b, size_t n)
{
    uint8_t want[FIN_LEN];
    if (n < FIN_LEN)
        return fail(p, env, BW_ETRUNC, AL_DECODE, "client Finished too short");
    if (n > FIN_LEN)
        return fail(p, env, BW_EMALFORMED, AL_DECODE,
                    "client Finished too long");
    /* Full: the transcript ends at the ClientKeyExchange, hashed then. */
    int err =
        finished(p, env, "client finished",
                 p->state == BW_DTLS_PSK_WAIT_FIN ? p->hash_cke : NULL, want);
    if (err != 0)
        return fail(p, env, err, BW_DTLS_ALERT_INTERNAL_ERROR,
                    "key derivation failed");
    int same = CRYPTO_memcmp(want, b, FIN_LEN) == 0;
    OPENSSL_cleanse(want, sizeof want);
    if (!same)
        return fail(p, env, BW_EAUTH, BW_DTLS_ALERT_DECRYPT_ERROR,
                    "client Finished does not verify");
    int resumed = p->state == BW_DTLS_PSK_ABBR_WAIT_FIN;
    if (!resumed) {
        if (append(p, hdr, b, n) != 0)
            return fail(p, env, BW_EOVERFLOW, BW_DTLS_ALERT_INTERNAL_ERROR,
                        "transcript full");
        err = full_done(p, env);
        if (err != 0)
            return err;
    }
    p->state = BW_DTLS_PSK_DONE;
    p->app_seq0 = p->out_seq1 + BW_DTLS_PSK_SEQ_ROOM;
    p->timer_ms = UINT64_MAX;
    OPENSSL_cleanse(p->master, sizeof p->master);
    return 0;
}

/* A whole message with message_seq == cli_seq. */
static int on_message(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env, int epoch,
                      uint8_t type, const uint8_t *b, size_t n)
{
    uint8_t hdr[HS_HDR];
    hs_header(hdr, type, (uint32_t)n, p->cli_seq);
    if (p->state == BW_DTLS_PSK_WAIT_CKE && type == HT_CKE && epoch == 0) {
        p->cli_seq++;
        return on_cke(p, env, hdr, b, n);
    }
    if ((p->state == BW_DTLS_PSK_WAIT_FIN ||
         p->state == BW_DTLS_PSK_ABBR_WAIT_FIN) &&
        type == HT_FINISHED && epoch == 1) {
        p->cli_seq++;
        return on_finished(p, env, hdr, b, n);
    }
    if (p->state == BW_DTLS_PSK_DONE)
        return 0; /* nothing more is expected; ignore */
    return fail(p, env, BW_ETYPE, AL_UNEXPECTED,
                "unexpected handshake message");
}

/* Handshake messages of one record's plaintext. */
static int on_handshake(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                        int epoch, const uint8_t *b, size_t n, int *resend)
{
    while (n > 0 && p->state != BW_DTLS_PSK_FAILED) {
        if (n < HS_HDR)
            return fail(p, env, BW_ETRUNC, AL_DECODE,
                        "truncated handshake header");
        uint8_t type = b[0];
        uint32_t mlen = u24(b + 1), off = u24(b + 6), flen = u24(b + 9);
        uint16_t seq = u16(b + 4);
        if (flen > n - HS_HDR)
            return fail(p, env, BW_ETRUNC, AL_DECODE,
                        "handshake fragment longer than its record");
        if (off > mlen || flen > mlen - off)
            return fail(p, env, BW_EMALFORMED, AL_DECODE,
                        "handshake fragment beyond its message");
        const uint8_t *data = b + HS_HDR;
        b += HS_HDR + flen;
        n -= HS_HDR + flen;
        if (seq != p->cli_seq) {
            /* Earlier: the client did not hear us; later: reordered. */
            if ((seq == p->ch_seq && type == HT_CLIENT_HELLO &&
                 p->state != BW_DTLS_PSK_DONE) ||
                (p->state == BW_DTLS_PSK_DONE && !p->resumed &&
                 type == HT_FINISHED && epoch == 1))
                *resend = 1;
            continue;
        }
        if (mlen > BW_DTLS_PSK_MSG_MAX)
            return fail(p, env, BW_EOVERFLOW, AL_DECODE,
                        "handshake message too long");
        if (off == 0 && flen == mlen) {
            int err = on_message(p, env, epoch, type, data, mlen);
            if (err != 0)
                return err;
            continue;
        }
        if (!p->frag_active || p->frag_seq != seq) {
            p->frag_active = 1;
            p->frag_seq = seq;
            p->frag_type = type;
            p->frag_len = mlen;
            memset(p->frag_have, 0, sizeof p->frag_have);
        } else if (p->frag_type != type || p->frag_len != mlen) {
            return fail(p, env, BW_EMALFORMED, AL_DECODE,
                        "fragments disagree on their message");
        }
        memcpy(p->frag + off, data, flen);
        for (uint32_t i = off; i < off + flen; i++)
            p->frag_have[i / 8] |= (uint8_t)(1u << (i % 8));
        uint32_t have = 0;
        while (have < mlen && (p->frag_have[have / 8] >> (have % 8)) & 1u)
            have++;
        if (have == mlen) {
            p->frag_active = 0;
            int err = on_message(p, env, epoch, type, p->frag, mlen);
            if (err != 0)
                return err;
        }
    }
    return 0;
}

/* An epoch-1 handshake record: open it with the client's keys. */
static int on_epoch1(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                     const bw_dtls_rec_t *rec, int *resend)
{
    uint8_t plain[BW_DTLS_DATAGRAM_MAX];
    size_t n = 0;
    int waiting = p->state == BW_DTLS_PSK_WAIT_FIN ||
                  p->state == BW_DTLS_PSK_ABBR_WAIT_FIN;
    if ((!waiting && p->state != BW_DTLS_PSK_DONE) ||
        (waiting && !p->ccs_seen) ||
        bw_dtls_replay_check(&p->in1, rec->seq) != 0)
        return 0; /* before the keys or the CCS, or seen: drop */
    int err = bw_dtls_open(env->aead, (bw_dtls_aead_t)p->alg, &p->rx, rec,
                           plain, sizeof plain, &n);
    if (err != 0) {
        OPENSSL_cleanse(plain, sizeof plain);
        if (!waiting)
            return 0;
        /* A wrong PSK gives other keys: the client's Finished record does
         * not open.  Say so now rather than let the client time out. */
        return fail(p, env, BW_EAUTH, BW_DTLS_ALERT_BAD_RECORD_MAC,
                    "client Finished does not authenticate");
    }
    bw_dtls_replay_update(&p->in1, rec->seq);
    err = on_handshake(p, env, 1, plain, n, resend);
    OPENSSL_cleanse(plain, sizeof plain);
    return err;
}

int bw_dtls_psk_input(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env,
                      const uint8_t *dgram, size_t len)
{
    int resend = 0, err = 0;
    if (p->state == BW_DTLS_PSK_FAILED || p->state == 0)
        return BW_ESTATE;
    uint8_t before = p->state;
    while (err == 0 && len > 0) {
        bw_dtls_rec_t rec;
        if (bw_dtls_rec_next(&dgram, &len, &rec) != 0)
            break; /* the rest of the datagram is dropped */
        if (rec.epoch == 1 && rec.type == BW_DTLS_CT_HANDSHAKE) {
            err = on_epoch1(p, env, &rec, &resend);
        } else if (rec.epoch != 0) {
            continue;
        } else if (rec.type == BW_DTLS_CT_HANDSHAKE) {
            err = on_handshake(p, env, 0, rec.fragment, rec.fragment_len,
                               &resend);
        } else if (rec.type == BW_DTLS_CT_CCS) {
            if (rec.fragment_len != 1 || rec.fragment[0] != 1)
                err = fail(p, env, BW_EMALFORMED, AL_DECODE,
                           "malformed ChangeCipherSpec");
            else if (p->state == BW_DTLS_PSK_WAIT_FIN ||
                     p->state == BW_DTLS_PSK_ABBR_WAIT_FIN)
                p->ccs_seen = 1;
        } else if (rec.type == BW_DTLS_CT_ALERT && rec.fragment_len >= 2 &&
                   rec.fragment[0] == BW_DTLS_ALERT_FATAL) {
            err = fail(p, env, BW_ECLOSED, 0, "fatal alert from the client");
        }
    }
    if (err != 0 || p->state == BW_DTLS_PSK_FAILED)
        return err != 0 ? err : BW_ESTATE;
    /* Resend once per datagram, and not what was just sent. */
    if (resend && p->state == before) {
        if (p->state == BW_DTLS_PSK_DONE &&
            (p->resumed || p->out_seq1 + 1 >= p->app_seq0))
            return 0; /* no more numbers left to our Finished */
        err = send_flight(p, env);
        if (err != 0)
            return fail(p, env, err, BW_DTLS_ALERT_INTERNAL_ERROR,
                        "sealing failed");
    }
    return 0;
}

int bw_dtls_psk_timer(bw_dtls_psk_t *p, const bw_dtls_psk_env_t *env)
{
    if (p->state == BW_DTLS_PSK_DONE || p->state == BW_DTLS_PSK_FAILED ||
        env->now_ms < p->timer_ms)
        return 0;
    int err = send_flight(p, env);
    if (err != 0)
        return fail(p, env, err, BW_DTLS_ALERT_INTERNAL_ERROR,
                    "sealing failed");
    p->timeout_ms =
        p->timeout_ms * 2 > TIMER_MAX_MS ? TIMER_MAX_MS : p->timeout_ms * 2;
    arm_timer(p, env);
    return 0;
}

const char *bw_dtls_psk_suite_name(const bw_dtls_psk_t *p)
{
    return suite_name(p->suite);
}
