/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M server on the DTLS engine (contract in lwm2m_srv.h): the
 * registration interface, configuration and events.  Requests to devices
 * are in lwm2m_srv_request.c (the state both share: lwm2m_srv_int.h).
 *
 * Per worker: a table of requests in flight to devices (this worker's
 * peers only, touched by this worker only), their retransmission timers,
 * and a message-ID counter.  Shared: the registry (its own lock) and the
 * configuration (read-only).
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwm2m_observe_int.h"
#include "lwm2m_srv_int.h"

#define EXCHANGE_LIFETIME_MS BW_LWSRV__EXCHANGE_LIFETIME_MS
/* Room for the resource hook's answer: a 1024-byte block (the largest
 * CoAP over UDP takes, RFC 7959 SZX 6) and its options. */
#define RESOURCE_MSG_MAX 1280

typedef bw_lwsrv__wstate_t wstate_t;

/* A registration waiting for its write (lwm2m_srv.h, commit): copies of
 * everything the answer and the registry need, the object links last. */
struct bw_lwsrv_pending {
    bw_lwsrv_pending_t *next; /* on its worker's list of ended writes */
    bw_lwsrv_t *s;
    bw_lwsrv_req_t kind;
    int err; /* how the write ended */
    unsigned worker;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    bw_dtls_mode_t mode;
    uint8_t identity[BW_DTLS_IDENTITY_MAX];
    size_t identity_len;
    bw_coap_msg_t hdr; /* type, MID and token of the request; no options */
    char ep[BW_LWSRV_EP_MAX + 1];
    char location[BW_LWSRV_LOC_LEN + 1];
    bw_lwsrv_reg_t req; /* req.links points at links below */
    char links[];
};

bw_lwsrv_t *bw_lwsrv_new(const bw_lwsrv_config_t *cfg, unsigned workers)
{
    if (cfg == NULL || cfg->registry == NULL || cfg->authorize == NULL ||
        workers == 0 || (cfg->commit != NULL && cfg->dtls == NULL))
        return NULL;
    bw_lwsrv_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cfg = *cfg;
    if (s->cfg.send == NULL)
        s->cfg.send = bw_dtls_send;
    if (s->cfg.ack_timeout_ms == 0)
        s->cfg.ack_timeout_ms = 2000;
    if (s->cfg.max_retransmit == 0)
        s->cfg.max_retransmit = 4;
    s->nworkers = workers;
    s->ws = calloc(workers, sizeof *s->ws);
    s->obs = bw_lwsrv_obs_new();
    if (cfg->notify_store != NULL)
        s->sink = bw_lwsrv_obs_sink_new(cfg->notify_store, cfg->notify_arg);
    if (s->ws == NULL || s->obs == NULL ||
        (cfg->notify_store != NULL && s->sink == NULL)) {
        bw_lwsrv_obs_sink_free(s->sink);
        bw_lwsrv_obs_free(s->obs);
        free(s->ws);
        free(s);
        return NULL;
    }
    for (unsigned i = 0; i < workers; i++) {
        pthread_mutex_init(&s->ws[i].ended_lock, NULL);
        s->ws[i].ended_tail = &s->ws[i].ended;
        uint16_t mid;
        if (RAND_bytes((unsigned char *)&mid, sizeof mid) != 1)
            mid = (uint16_t)(i * 7919u);
        s->ws[i].next_mid = mid;
    }
    return s;
}

void bw_lwsrv_free(bw_lwsrv_t *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < s->nworkers; i++) {
        bw_lwsrv__inflight_drop(s, i, BW_ESTATE);
        pthread_mutex_destroy(&s->ws[i].ended_lock);
    }
    bw_lwsrv_obs_sink_free(s->sink); /* stores what was notified */
    bw_lwsrv_obs_free(s->obs);
    free(s->ws);
    free(s);
}

/* --- building messages ------------------------------------------------- */

/* A response to req: piggybacked ACK for a CON, NON otherwise. */
static size_t build_response(wstate_t *ws, const bw_coap_msg_t *req,
                             uint8_t code, const char *loc, const char *diag,
                             uint8_t *out, size_t cap)
{
    bw_coap_writer_t w;
    int con = req->type == BW_COAP_CON;
    bw_coap_writer_init(&w, out, cap, con ? BW_COAP_ACK : BW_COAP_NON, code,
                        con ? req->mid : ws->next_mid++, req->token,
                        req->token_len);
    if (loc != NULL) {
        bw_coap_writer_add_opt(&w, 8, "rd", 2); /* Location-Path */
        bw_coap_writer_add_opt(&w, 8, loc, strlen(loc));
    }
    if (diag != NULL) {
        /* Diagnostic payload (RFC 7252 5.5.2): a reason, never a secret. */
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 0);
        bw_coap_writer_payload(&w, diag, strlen(diag));
    }
    size_t len;
    return bw_coap_writer_finish(&w, &len) == 0 ? len : 0;
}

static void send_empty(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                       const bw_dtls_peer_info_t *peer, uint8_t type,
                       uint16_t mid)
{
    uint8_t m[4] = {(uint8_t)(0x40 | (type << 4)), 0, (uint8_t)(mid >> 8),
                    (uint8_t)mid};
    (void)s->cfg.send(w, peer->addr, peer->addr_len, m, sizeof m);
}

/* --- the registration interface ------------------------------------------ */

static void emit(bw_lwsrv_t *s, bw_lwsrv_event_kind_t kind, const char *ep,
                 const bw_dtls_peer_info_t *peer, unsigned worker,
                 const bw_lwsrv_reg_t *req, const char *why)
{
    /* The device forgets its observations when it registers again, and
     * a registration that ended takes them with it. */
    if (kind == BW_LWSRV_EV_REGISTERED || kind == BW_LWSRV_EV_DEREGISTERED ||
        kind == BW_LWSRV_EV_EXPIRED)
        (void)bw_lwsrv_obs_end_ep(s->obs, ep);
    if (s->cfg.event == NULL)
        return;
    bw_lwsrv_event_t ev = {.kind = kind,
                           .ep = ep,
                           .peer = peer,
                           .worker = worker,
                           .req = req,
                           .why = why};
    s->cfg.event(s->cfg.arg, &ev);
}

/* --- registrations acknowledged once stored ------------------------------ */

/* Marks (peer, MID) as answered by nothing yet: a retransmission that
 * arrives while the write is in flight is dropped (registration()). */
static const uint8_t in_flight[1];

/* Hand a validated, authorized Register, Update or De-register to the
 * store (cfg.commit).  0: its answer comes from bw_lwsrv_committed();
 * otherwise the error, and the caller answers 5.00 now. */
static int defer(bw_lwsrv_t *s, unsigned wi, const bw_dtls_peer_info_t *peer,
                 const bw_coap_msg_t *req, bw_lwsrv_req_t kind,
                 const bw_lwsrv_reg_t *r, const char *ep, uint64_t now)
{
    size_t links = r->links != NULL ? r->links_len : 0;
    if (peer->identity_len > BW_DTLS_IDENTITY_MAX ||
        peer->addr_len > (socklen_t)sizeof(struct sockaddr_storage))
        return BW_EINVAL;
    bw_lwsrv_pending_t *p = calloc(1, sizeof *p + links + 1);
    if (p == NULL)
        return BW_ENOMEM;
    p->s = s;
    p->kind = kind;
    p->worker = wi;
    memcpy(&p->addr, peer->addr, (size_t)peer->addr_len);
    p->addr_len = peer->addr_len;
    p->mode = peer->mode;
    memcpy(p->identity, peer->identity, peer->identity_len);
    p->identity_len = peer->identity_len;
    p->hdr.type = req->type;
    p->hdr.mid = req->mid;
    p->hdr.token_len = req->token_len;
    memcpy(p->hdr.token, req->token, req->token_len);
    snprintf(p->ep, sizeof p->ep, "%s", ep);
    p->req = *r;
    if (r->links != NULL) {
        memcpy(p->links, r->links, links);
        p->req.links = p->links;
    }
    int err = kind == BW_LWSRV_REQ_REGISTER
                  ? bw_lwsrv_registry_location(p->location)
                  : 0;
    if (kind != BW_LWSRV_REQ_REGISTER)
        memcpy(p->location, r->location, sizeof p->location);
    if (err != 0) {
        free(p);
        return err;
    }
    bw_dtls_peer_info_t pi = {.addr = (const struct sockaddr *)&p->addr,
                              .addr_len = p->addr_len,
                              .mode = p->mode,
                              .identity = p->identity,
                              .identity_len = p->identity_len};
    bw_lwsrv_write_t wr = {.kind = kind,
                           .ep = p->ep,
                           .location = p->location,
                           .req = &p->req,
                           .peer = &pi};
    /* Before the hand-over: the answer may be on its way before commit()
     * returns, and it replaces this mark. */
    if (req->type == BW_COAP_CON)
        bw_lwsrv_registry_remember(s->cfg.registry, peer->addr, peer->addr_len,
                                   req->mid, in_flight, 0, now);
    err = s->cfg.commit(s->cfg.arg, p, &wr);
    if (err != 0)
        free(p);
    return err;
}

/* On the device's worker: the write of p ended; apply, emit, answer. */
static void write_ended(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                        bw_lwsrv_pending_t *p)
{
    unsigned wi = bw_dtls_worker_index(w);
    const struct sockaddr *addr = (const struct sockaddr *)&p->addr;
    bw_dtls_peer_info_t peer = {.addr = addr,
                                .addr_len = p->addr_len,
                                .mode = p->mode,
                                .identity = p->identity,
                                .identity_len = p->identity_len};
    bw_lwsrv_registry_t *reg = s->cfg.registry;
    uint64_t now = bw_lwsrv__mono_ms();
    char ep[BW_LWSRV_EP_MAX + 1];
    uint8_t code = BW_COAP_CODE(5, 0);
    const char *loc = NULL, *why = "registration not stored";
    int err = p->err;
    if (err == 0 && p->kind == BW_LWSRV_REQ_REGISTER) {
        err = bw_lwsrv_registry_register_at(reg, &p->req, wi, addr, p->addr_len,
                                            now, p->location);
        if (err == 0) {
            code = BW_COAP_CODE(2, 1);
            loc = p->location;
            emit(s, BW_LWSRV_EV_REGISTERED, p->ep, &peer, wi, &p->req, NULL);
        }
    } else if (err == 0 && p->kind == BW_LWSRV_REQ_UPDATE) {
        err = bw_lwsrv_registry_update(reg, &p->req, wi, addr, p->addr_len, now,
                                       ep);
        /* BW_ENOMEM (a grown entry): 5.00, the device tries again. */
        code = err == 0              ? BW_COAP_CODE(2, 4)
               : err == BW_ENOTFOUND ? BW_COAP_CODE(4, 4)
                                     : BW_COAP_CODE(5, 0);
        why = err == BW_ENOTFOUND ? "no such registration" : "out of memory";
        if (err == 0)
            emit(s, BW_LWSRV_EV_UPDATED, ep, &peer, wi, &p->req, NULL);
    } else if (err == 0) {
        /* Gone from the store: gone, even if memory lost it meanwhile. */
        code = BW_COAP_CODE(2, 2);
        if (bw_lwsrv_registry_deregister(reg, p->location, ep) == 0)
            emit(s, BW_LWSRV_EV_DEREGISTERED, ep, &peer, wi, &p->req, NULL);
    } else if (err == BW_EREVOKED) {
        /* Its credential was revoked while the write waited. */
        code = BW_COAP_CODE(4, 3);
        why = "credential revoked";
    } else if (err == BW_ENOTFOUND && p->kind != BW_LWSRV_REQ_REGISTER) {
        /* The store does not know it: neither does memory from now on,
         * and the device registers again. */
        (void)bw_lwsrv_registry_deregister(reg, p->location, NULL);
        code = BW_COAP_CODE(4, 4);
        why = "no such registration";
    }
    uint8_t out[BW_LWSRV_DEDUP_MAX + 64];
    size_t len = build_response(&s->ws[wi], &p->hdr, code, loc,
                                BW_COAP_CODE_CLASS(code) == 2 ? NULL : why, out,
                                sizeof out);
    if (len == 0)
        return;
    if (p->hdr.type == BW_COAP_CON)
        bw_lwsrv_registry_remember(reg, addr, p->addr_len, p->hdr.mid, out, len,
                                   now);
    (void)s->cfg.send(w, addr, p->addr_len, out, len);
}

/* A posted job: w is NULL when the server stops (nobody is answered). */
/* A posted job (arg: the write whose arrival posted it, first on the
 * list): every ended write of that worker.  w is NULL when the server
 * stops (nobody is answered). */
static void ended_job(void *arg, bw_dtls_worker_t *w)
{
    bw_lwsrv_pending_t *first = arg;
    bw_lwsrv_t *s = first->s;
    wstate_t *ws = &s->ws[first->worker];
    pthread_mutex_lock(&ws->ended_lock);
    bw_lwsrv_pending_t *list = ws->ended;
    ws->ended = NULL;
    ws->ended_tail = &ws->ended;
    pthread_mutex_unlock(&ws->ended_lock);
    for (bw_lwsrv_pending_t *p = list, *next; p != NULL; p = next) {
        next = p->next;
        if (w != NULL)
            write_ended(s, w, p);
        OPENSSL_cleanse(p->identity, sizeof p->identity);
        free(p);
    }
}

void bw_lwsrv_committed(bw_lwsrv_pending_t *p, int err)
{
    if (p == NULL)
        return;
    p->err = err;
    p->next = NULL;
    wstate_t *ws = &p->s->ws[p->worker];
    pthread_mutex_lock(&ws->ended_lock);
    int first = ws->ended == NULL; /* else a job is on its way */
    *ws->ended_tail = p;
    ws->ended_tail = &p->next;
    pthread_mutex_unlock(&ws->ended_lock);
    if (first &&
        bw_dtls_server_post(p->s->cfg.dtls, p->worker, ended_job, p) != 0)
        ended_job(p, NULL);
}

static void registration(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                         const bw_dtls_peer_info_t *peer,
                         const bw_coap_msg_t *req, bw_lwsrv_req_t kind,
                         uint64_t now)
{
    unsigned wi = bw_dtls_worker_index(w);
    wstate_t *ws = &s->ws[wi];
    uint8_t out[BW_LWSRV_DEDUP_MAX + 64];
    size_t len;

    if (req->type == BW_COAP_CON &&
        bw_lwsrv_registry_recall(s->cfg.registry, peer->addr, peer->addr_len,
                                 req->mid, now, EXCHANGE_LIFETIME_MS, out,
                                 sizeof out, &len)) {
        if (len > 0) /* 0: its write is in flight, the answer will come */
            (void)s->cfg.send(w, peer->addr, peer->addr_len, out, len);
        return;
    }

    bw_lwsrv_reg_t r;
    const char *why = NULL;
    char ep[BW_LWSRV_EP_MAX + 1] = "";
    char loc[BW_LWSRV_LOC_LEN + 1];
    const char *locp = NULL;
    uint8_t code;
    int err = bw_lwsrv_reg_parse(req, kind, &r, &why);
    if (err == BW_EVERSION) {
        code = BW_COAP_CODE(4, 12); /* Precondition Failed (Core 6.2.1) */
    } else if (err != 0) {
        code = BW_COAP_CODE(4, 0);
    } else {
        int bootstrap = kind == BW_LWSRV_REQ_BOOTSTRAP;
        if (kind == BW_LWSRV_REQ_REGISTER || bootstrap)
            memcpy(ep, r.ep, sizeof ep);
        else if (bw_lwsrv_registry_ep_of(s->cfg.registry, r.location, ep) != 0)
            err = BW_ENOTFOUND;
        if (err == 0 &&
            s->cfg.authorize(s->cfg.arg, peer, ep, bootstrap, &why) != 0)
            err = BW_EAUTH;
        if (err == BW_ENOTFOUND) {
            code = BW_COAP_CODE(4, 4);
            why = "no such registration";
        } else if (err == BW_EAUTH) {
            code = BW_COAP_CODE(4, 3);
            if (why == NULL)
                why = "identity does not own this endpoint";
            emit(s, BW_LWSRV_EV_REFUSED, ep, peer, wi, &r, why);
        } else if (kind != BW_LWSRV_REQ_BOOTSTRAP && s->cfg.commit != NULL) {
            /* Answered once stored (write_ended), or 5.00 now. */
            if (defer(s, wi, peer, req, kind, &r, ep, now) == 0)
                return;
            code = BW_COAP_CODE(5, 0);
            why = "registration not stored";
        } else if (kind == BW_LWSRV_REQ_REGISTER) {
            err = bw_lwsrv_registry_register(
                s->cfg.registry, &r, wi, peer->addr, peer->addr_len, now, loc);
            code = err == 0 ? BW_COAP_CODE(2, 1) : BW_COAP_CODE(5, 0);
            locp = err == 0 ? loc : NULL;
            if (err == 0)
                emit(s, BW_LWSRV_EV_REGISTERED, ep, peer, wi, &r, NULL);
        } else if (kind == BW_LWSRV_REQ_UPDATE) {
            err = bw_lwsrv_registry_update(s->cfg.registry, &r, wi, peer->addr,
                                           peer->addr_len, now, ep);
            code = err == 0              ? BW_COAP_CODE(2, 4)
                   : err == BW_ENOTFOUND ? BW_COAP_CODE(4, 4)
                                         : BW_COAP_CODE(5, 0);
            if (err == 0)
                emit(s, BW_LWSRV_EV_UPDATED, ep, peer, wi, &r, NULL);
        } else if (kind == BW_LWSRV_REQ_DEREGISTER) {
            err = bw_lwsrv_registry_deregister(s->cfg.registry, r.location, ep);
            code = err == 0 ? BW_COAP_CODE(2, 2) : BW_COAP_CODE(4, 4);
            if (err == 0)
                emit(s, BW_LWSRV_EV_DEREGISTERED, ep, peer, wi, &r, NULL);
        } else {
            code = BW_COAP_CODE(2, 4);
        }
    }
    len = build_response(ws, req, code, locp,
                         BW_COAP_CODE_CLASS(code) == 2 ? NULL : why, out,
                         sizeof out);
    if (len == 0)
        return;
    if (req->type == BW_COAP_CON)
        bw_lwsrv_registry_remember(s->cfg.registry, peer->addr, peer->addr_len,
                                   req->mid, out, len, now);
    (void)s->cfg.send(w, peer->addr, peer->addr_len, out, len);
    /* The bootstrap logic starts its writes once the 2.04 is on its way. */
    if (kind == BW_LWSRV_REQ_BOOTSTRAP && code == BW_COAP_CODE(2, 4))
        emit(s, BW_LWSRV_EV_BOOTSTRAP_REQUEST, ep, peer, wi, &r, NULL);
}

/*
 * A registration loaded at start has no peer address until its device
 * speaks (lwm2m_registry.h).  After an orderly restart the device keeps
 * its DTLS session and may notify before its next Update: a notification
 * of a live observation whose endpoint has no address yet gives it this
 * peer's, once the peer's identity is authorized for that endpoint (as a
 * Register would be), so the notification is accepted and stored
 * (lwm2m_observe_notify.c) instead of answered with a Reset that would
 * end the observation.  An unauthorized peer changes nothing and gets
 * the Reset.
 */
static void adopt(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                  const bw_dtls_peer_info_t *peer, const bw_coap_msg_t *m)
{
    if (m->code == 0 || BW_COAP_CODE_CLASS(m->code) < 2 ||
        m->type == BW_COAP_ACK || m->type == BW_COAP_RST ||
        m->token_len != BW_LWSRV_OBS_TOKEN_LEN ||
        bw_lwsrv_registry_unheard(s->cfg.registry) == 0)
        return;
    bw_lwsrv_obs_view_t *v = malloc(sizeof *v);
    if (v == NULL)
        return;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    unsigned wi;
    const char *why = NULL;
    if (bw_lwsrv_obs_get(s->obs, m->token, v) == 0 &&
        bw_lwsrv_registry_peer(s->cfg.registry, v->ep, &wi, &addr, &addr_len) ==
            BW_ESTATE &&
        s->cfg.authorize(s->cfg.arg, peer, v->ep, 0, &why) == 0)
        (void)bw_lwsrv_registry_adopt(s->cfg.registry, v->ep,
                                      bw_dtls_worker_index(w), peer->addr,
                                      peer->addr_len);
    free(v);
}

void bw_lwsrv_on_data(void *arg, bw_dtls_worker_t *w,
                      const bw_dtls_peer_info_t *peer, const uint8_t *data,
                      size_t len)
{
    bw_lwsrv_t *s = arg;
    bw_coap_msg_t m;
    if (bw_coap_parse(&m, data, len) != 0)
        return; /* not CoAP: silently dropped (RFC 7252 4.2) */
    uint8_t cls = BW_COAP_CODE_CLASS(m.code);
    if (m.code != 0 && cls == 0) {
        bw_lwsrv_req_t kind = bw_lwsrv_classify(&m);
        if (kind != BW_LWSRV_REQ_OTHER && kind != BW_LWSRV_REQ_SEND) {
            registration(s, w, peer, &m, kind, bw_lwsrv__mono_ms());
            return;
        }
        /* Everything else (firmware downloads: GET /fw/<id>) goes to the
         * resource hook; what it does not answer is 4.04. */
        uint8_t out[RESOURCE_MSG_MAX];
        size_t n = s->cfg.resource != NULL
                       ? s->cfg.resource(s->cfg.resource_arg, peer, &m, out,
                                         sizeof out)
                       : 0;
        if (n == 0 || n > sizeof out)
            n = build_response(&s->ws[bw_dtls_worker_index(w)], &m,
                               BW_COAP_CODE(4, 4), NULL, NULL, out, sizeof out);
        if (n > 0)
            (void)s->cfg.send(w, peer->addr, peer->addr_len, out, n);
        return;
    }
    adopt(s, w, peer, &m);
    bw_lwsrv__answer(s, w, peer, &m);
}

typedef struct {
    bw_lwsrv_t *s;
} expire_ctx_t;

static void expired_cb(void *arg, const char *ep)
{
    expire_ctx_t *x = arg;
    emit(x->s, BW_LWSRV_EV_EXPIRED, ep, NULL, 0, NULL, NULL);
}

size_t bw_lwsrv_expire(bw_lwsrv_t *s, uint64_t now_ms)
{
    expire_ctx_t x = {s};
    (void)now_ms;
    /* A grace of a few seconds: an Update sent at the last moment may be
     * on its way (Core 6.2.2). */
    return bw_lwsrv_registry_expire(s->cfg.registry, bw_lwsrv__mono_ms(), 15000,
                                    expired_cb, &x);
}

int bw_lwsrv_end(bw_lwsrv_t *s, const char *ep, const char *why)
{
    bw_lwsrv_regview_t *v = malloc(sizeof *v); /* 1.3 KB: not on a stack */
    if (v == NULL)
        return BW_ENOMEM;
    int err = bw_lwsrv_registry_get(s->cfg.registry, ep, v);
    /* By its location: a Register that replaced it meanwhile stays. */
    if (err == 0)
        err = bw_lwsrv_registry_deregister(s->cfg.registry, v->location, NULL);
    free(v);
    if (err == 0)
        emit(s, BW_LWSRV_EV_DEREGISTERED, ep, NULL, 0, NULL, why);
    return err;
}

/* --- lent to the observation files (lwm2m_observe_int.h) ----------------- */

bw_lwsrv_obs_t *bw_lwsrv__obs(bw_lwsrv_t *s)
{
    return s->obs;
}

bw_lwsrv_obs_sink_t *bw_lwsrv__sink(bw_lwsrv_t *s)
{
    return s->sink;
}

bw_lwsrv_registry_t *bw_lwsrv__registry(bw_lwsrv_t *s)
{
    return s->cfg.registry;
}

void bw_lwsrv__send_empty(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                          const bw_dtls_peer_info_t *peer, uint8_t type,
                          uint16_t mid)
{
    send_empty(s, w, peer, type, mid);
}
