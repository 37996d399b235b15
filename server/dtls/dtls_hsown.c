/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Handshake objects run by our own PSK engine (dtls_psk.h) instead of
 * OpenSSL: the glue between the engine and the worker (its clock, its
 * output queue, its counters and log, the session the handshake fills).
 *
 * The engine's outcome becomes a session exactly as an OpenSSL handshake
 * does (dtls_hs.c, complete()): identity and mode, record keys, the first
 * epoch-1 number left to the record layer above those the handshake used,
 * the client's epoch-1 handshake records marked seen.  The object is kept
 * after DONE until the client's first authentic application record, so a
 * retransmitted final flight of the client still gets our Finished again.
 *
 * Log lines are those of the OpenSSL path, so operators and the tests see
 * the same reasons whichever side ran the handshake.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dtls_int.h"

static void own_send(void *arg, const uint8_t *dgram, size_t len)
{
    bw_dtls_hs_t *hs = arg;
    bw_dtls__queue(hs->w, &hs->s->peer, dgram, len);
}

static void env_of(bw_dtls_hs_t *hs, bw_dtls_psk_env_t *env)
{
    bw_dtls_worker_t *w = hs->w;
    bw_dtls_server_t *srv = w->srv;
    *env = (bw_dtls_psk_env_t){
        .aead = w->aead,
        .crypto = w->crypto,
        .rand = &w->rand,
        .psk_lookup = srv->cfg.psk_lookup,
        .psk_arg = srv->cfg.arg,
        .ticket_key = &srv->ticket_key,
        .ticket_counter = &w->ticket_counter,
        .now_ms = w->now_ms,
        .now_s = w->now_s,
        .send = own_send,
        .send_arg = hs,
    };
}

/* The engine gave up: log why (as the OpenSSL path did), count it. */
static int own_failed(bw_dtls_worker_t *w, bw_dtls_session_t *s, int err)
{
    bw_dtls_hs_t *hs = s->hs;
    const bw_dtls_psk_t *p = &hs->psk;
    const char *why = p->why != NULL ? p->why : bw_strerror(err);
    char who[64];
    bw_dtls__addr_str(&s->peer, who, sizeof who);
    if (err == BW_EAUTH && p->alert == BW_DTLS_ALERT_BAD_RECORD_MAC) {
        bw_dtls__log(w, BW_DTLS_LOG_WARN,
                     "%s: handshake failed: client Finished does not "
                     "authenticate (wrong PSK for identity '%.*s'?)",
                     who, (int)p->identity_len, (const char *)p->identity);
    } else if (err == BW_EAUTH && strcmp(why, "unknown PSK identity") == 0) {
        /* The identity is the peer's claim, not a secret; printed with
         * non-printable bytes escaped. */
        char shown[2 * BW_DTLS_IDENTITY_MAX + 1];
        bw_dtls__shown(p->identity, p->identity_len, shown, sizeof shown);
        bw_dtls__log(w, BW_DTLS_LOG_WARN, "%s: unknown PSK identity '%s'", who,
                     shown);
        bw_dtls__log(w, BW_DTLS_LOG_WARN, "%s: handshake failed: %s", who, why);
    } else {
        bw_dtls__log(w, BW_DTLS_LOG_WARN, "%s: handshake failed: %s", who, why);
    }
    BW_DTLS_STAT(w, handshakes_failed);
    bw_dtls__hs_free(w, s);
    return err;
}

/* The engine is done: make the session usable. */
static void own_complete(bw_dtls_worker_t *w, bw_dtls_session_t *s)
{
    bw_dtls_hs_t *hs = s->hs;
    bw_dtls_psk_t *p = &hs->psk;
    memcpy(s->identity, p->identity, p->identity_len);
    s->identity_len = p->identity_len;
    s->mode = BW_DTLS_MODE_PSK;
    s->rx = p->rx;
    s->tx = p->tx;
    s->alg = p->alg;
    s->epoch = 1;
    s->write_seq = p->app_seq0;
    s->write_limit = s->write_seq + BW_DTLS_SEQ_GAP;
    /* The client's epoch-1 handshake records are seen: none of them can
     * be replayed as application data. */
    s->replay = p->in1;
    s->last_rx_s = w->now_s;
    hs->done = 1;
    hs->timer_ms = UINT64_MAX;
    BW_DTLS_STAT(w, handshakes_done);
    if (w->srv->cfg.log_level < BW_DTLS_LOG_INFO)
        return; /* not even the address is formatted for nothing */
    char who[64];
    bw_dtls__addr_str(&s->peer, who, sizeof who);
    bw_dtls__log(w, BW_DTLS_LOG_INFO, "%s: %s handshake done, %s, %s '%.*s'",
                 who, p->resumed ? "abbreviated" : "full",
                 bw_dtls_psk_suite_name(p), "identity", (int)s->identity_len,
                 (const char *)s->identity);
}

int bw_dtls__own_start(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                       const bw_dtls_hello_t *hello, const uint8_t *dgram,
                       size_t len)
{
    bw_dtls_hs_t *hs = malloc(sizeof *hs);
    if (hs == NULL)
        return BW_ENOMEM;
    /* Only the head and the engine's fixed part need zeroes; the engine
     * initialises its own state. */
    memset(hs, 0, offsetof(bw_dtls_hs_t, psk));
    hs->own = 1;
    hs->w = w;
    hs->s = s;
    hs->deadline_ms = w->now_ms + w->srv->cfg.handshake_timeout_ms;
    hs->timer_ms = UINT64_MAX;
    s->hs = hs;
    bw_dtls__hs_list_add(w, hs);
    BW_DTLS_STAT(w, handshakes_started);

    bw_dtls_psk_env_t env;
    env_of(hs, &env);
    int err = bw_dtls_psk_start(&hs->psk, &env, hello, dgram, len);
    if (hs->psk.note != NULL) {
        char who[64];
        bw_dtls__addr_str(&s->peer, who, sizeof who);
        bw_dtls__log(w, BW_DTLS_LOG_WARN, "%s: %s", who, hs->psk.note);
        hs->psk.note = NULL;
    }
    if (err != 0)
        return own_failed(w, s, err);
    bw_dtls__hs_set_timer(hs);
    return 0;
}

int bw_dtls__own_input(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                       const uint8_t *dgram, size_t len)
{
    bw_dtls_hs_t *hs = s->hs;
    bw_dtls_psk_env_t env;
    env_of(hs, &env);
    int err = bw_dtls_psk_input(&hs->psk, &env, dgram, len);
    if (err != 0) {
        if (hs->done) {
            /* Keys are in place: a late failure only ends the
             * handshake object, not the session. */
            bw_dtls__hs_free(w, s);
            return 0;
        }
        return own_failed(w, s, err);
    }
    if (!hs->done && hs->psk.state == BW_DTLS_PSK_DONE)
        own_complete(w, s);
    bw_dtls__hs_set_timer(hs);
    return 0;
}

int bw_dtls__own_timer(bw_dtls_worker_t *w, bw_dtls_session_t *s)
{
    bw_dtls_hs_t *hs = s->hs;
    bw_dtls_psk_env_t env;
    (void)w; /* hs->w is the same worker */
    env_of(hs, &env);
    int err = bw_dtls_psk_timer(&hs->psk, &env);
    if (err != 0)
        return err;
    bw_dtls__hs_set_timer(hs);
    return 0;
}
