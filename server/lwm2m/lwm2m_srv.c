/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M server on the DTLS engine (contract in lwm2m_srv.h).
 *
 * Per worker: a list of requests in flight to devices (this worker's
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
#include "lwm2m_srv.h"

/* RFC 7252 4.8: EXCHANGE_LIFETIME, how long a separate response may take
 * and how long an answered request is remembered for deduplication. */
#define EXCHANGE_LIFETIME_MS 247000u
/* Largest message the server builds (a request with a payload). */
#define MSG_MAX (BW_LWSRV_PAYLOAD_MAX + 256)
/* Room for the resource hook's answer: a 1024-byte block (the largest
 * CoAP over UDP takes, RFC 7959 SZX 6) and its options. */
#define RESOURCE_MSG_MAX 1280

typedef struct inflight {
    struct inflight *next;
    uint8_t token[8];
    uint16_t mid;
    uint8_t acked; /* empty ACK seen: a separate response will follow */
    unsigned attempts;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    uint64_t next_ms, deadline_ms;
    uint32_t timeout_ms;
    size_t len;
    bw_lwsrv_done_t done; /* exactly one of done, done_ex is set */
    bw_lwsrv_done_ex_t done_ex;
    void *arg;
    uint8_t msg[MSG_MAX];
} inflight_t;

typedef struct {
    inflight_t *head;
    size_t n;
    uint16_t next_mid;
} wstate_t;

struct bw_lwsrv {
    bw_lwsrv_config_t cfg;
    unsigned nworkers;
    wstate_t *ws;
    bw_lwsrv_obs_t *obs;       /* observations (lwm2m_observe.h) */
    bw_lwsrv_obs_sink_t *sink; /* notified values to the store, or NULL */
};

typedef struct {
    bw_lwsrv_t *s;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    bw_lwsrv_op_t op;
    bw_lwsrv_done_t done;
    bw_lwsrv_done_ex_t done_ex;
    void *arg;
    uint8_t has_token; /* token given (an observation's), else fresh */
    uint8_t token[8];
} job_t;

/* A registration waiting for its write (lwm2m_srv.h, commit): copies of
 * everything the answer and the registry need, the object links last. */
struct bw_lwsrv_pending {
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

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

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
        uint16_t mid;
        if (RAND_bytes((unsigned char *)&mid, sizeof mid) != 1)
            mid = (uint16_t)(i * 7919u);
        s->ws[i].next_mid = mid;
    }
    return s;
}

/* The answer of a request that failed before any response came. */
static bw_lwsrv_answer_t failed(int err)
{
    bw_lwsrv_answer_t a;
    memset(&a, 0, sizeof a);
    a.err = err;
    return a;
}

/* Tell the requester, through whichever callback it gave. */
static void report(bw_lwsrv_done_t done, bw_lwsrv_done_ex_t done_ex, void *arg,
                   const bw_lwsrv_answer_t *a)
{
    if (done_ex != NULL)
        done_ex(arg, a);
    else
        done(arg, a->err, a->code, a->content_format, a->payload, a->len);
}

static void finish(wstate_t *ws, inflight_t **pp, const bw_lwsrv_answer_t *a)
{
    inflight_t *f = *pp;
    *pp = f->next;
    ws->n--;
    report(f->done, f->done_ex, f->arg, a);
    free(f);
}

static void finish_err(wstate_t *ws, inflight_t **pp, int err)
{
    bw_lwsrv_answer_t a = failed(err);
    finish(ws, pp, &a);
}

void bw_lwsrv_free(bw_lwsrv_t *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < s->nworkers; i++)
        while (s->ws[i].head != NULL)
            finish_err(&s->ws[i], &s->ws[i].head, BW_ESTATE);
    bw_lwsrv_obs_sink_free(s->sink); /* stores what was notified */
    bw_lwsrv_obs_free(s->obs);
    free(s->ws);
    free(s);
}

/* --- building messages ------------------------------------------------- */

static void add_segments(bw_coap_writer_t *w, uint16_t number, const char *s,
                         char sep)
{
    while (*s == sep)
        s++;
    while (*s != '\0') {
        const char *end = strchr(s, sep);
        size_t n = end != NULL ? (size_t)(end - s) : strlen(s);
        bw_coap_writer_add_opt(w, number, s, n);
        s += n;
        while (*s == sep)
            s++;
    }
}

static int build_request(const bw_lwsrv_op_t *op, uint16_t mid,
                         const uint8_t token[8], uint8_t *out, size_t cap,
                         size_t *len)
{
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, out, cap, BW_COAP_CON, op->method, mid, token, 8);
    if (op->observe != 0)
        bw_coap_writer_add_uint(&w, 6, op->observe == 1 ? 0 : 1);
    add_segments(&w, BW_COAP_OPT_URI_PATH, op->path, '/');
    if (op->content_format >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                (uint32_t)op->content_format);
    add_segments(&w, BW_COAP_OPT_URI_QUERY, op->query, '&');
    if (op->accept >= 0)
        bw_coap_writer_add_uint(&w, 17, (uint32_t)op->accept);
    if (op->has_block1) {
        bw_coap_block_t b = {op->block1_num, op->block1_more, op->block1_szx};
        if (bw_coap_block_add(&w, BW_COAP_OPT_BLOCK1, &b) != 0)
            return BW_EINVAL; /* checked by post(); kept as a backstop */
    }
    if (op->payload_len > 0)
        bw_coap_writer_payload(&w, op->payload, op->payload_len);
    return bw_coap_writer_finish(&w, len);
}

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
    uint64_t now = mono_ms();
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
        code = err == 0 ? BW_COAP_CODE(2, 4) : BW_COAP_CODE(4, 4);
        why = "no such registration";
        if (err == 0)
            emit(s, BW_LWSRV_EV_UPDATED, ep, &peer, wi, &p->req, NULL);
    } else if (err == 0) {
        /* Gone from the store: gone, even if memory lost it meanwhile. */
        code = BW_COAP_CODE(2, 2);
        if (bw_lwsrv_registry_deregister(reg, p->location, ep) == 0)
            emit(s, BW_LWSRV_EV_DEREGISTERED, ep, &peer, wi, &p->req, NULL);
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
static void write_job(void *arg, bw_dtls_worker_t *w)
{
    bw_lwsrv_pending_t *p = arg;
    if (w != NULL)
        write_ended(p->s, w, p);
    OPENSSL_cleanse(p->identity, sizeof p->identity);
    free(p);
}

void bw_lwsrv_committed(bw_lwsrv_pending_t *p, int err)
{
    if (p == NULL)
        return;
    p->err = err;
    if (bw_dtls_server_post(p->s->cfg.dtls, p->worker, write_job, p) != 0)
        write_job(p, NULL);
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
            code = err == 0 ? BW_COAP_CODE(2, 4) : BW_COAP_CODE(4, 4);
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

/* --- answers to our requests ------------------------------------------------
 */

static int same_peer(const inflight_t *f, const bw_dtls_peer_info_t *peer)
{
    return f->addr_len == peer->addr_len &&
           memcmp(&f->addr, peer->addr, (size_t)peer->addr_len) == 0;
}

/* What a response says, for the requester (bw_lwsrv_answer_t). */
static void decode_answer(const bw_coap_msg_t *m, bw_lwsrv_answer_t *a)
{
    memset(a, 0, sizeof *a);
    a->code = m->code;
    if (bw_coap_msg_uint(m, BW_COAP_OPT_CONTENT_FORMAT, &a->content_format) !=
        0)
        a->content_format = UINT32_MAX;
    a->payload = m->payload;
    a->len = m->payload_len;
    a->block1_err = bw_coap_block_get(m, BW_COAP_OPT_BLOCK1, &a->block1);
    a->has_max_age = bw_coap_msg_uint(m, BW_COAP_OPT_MAX_AGE, &a->max_age) == 0;
    if (!a->has_max_age)
        a->max_age = 0;
    a->has_observe = bw_coap_msg_uint(m, BW_COAP_OPT_OBSERVE, &a->observe) == 0;
    if (!a->has_observe)
        a->observe = 0;
}

static void answer(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                   const bw_dtls_peer_info_t *peer, const bw_coap_msg_t *m)
{
    wstate_t *ws = &s->ws[bw_dtls_worker_index(w)];
    for (inflight_t **pp = &ws->head; *pp != NULL; pp = &(*pp)->next) {
        inflight_t *f = *pp;
        if (!same_peer(f, peer))
            continue;
        int by_mid = (m->type == BW_COAP_ACK || m->type == BW_COAP_RST) &&
                     m->mid == f->mid;
        int by_token = m->code != 0 && m->token_len == 8 &&
                       memcmp(m->token, f->token, 8) == 0;
        if (m->type == BW_COAP_RST && by_mid) {
            finish_err(ws, pp, BW_ERESET);
            return;
        }
        if (m->code == 0 && by_mid) { /* empty ACK: separate response next */
            f->acked = 1;
            f->deadline_ms = mono_ms() + EXCHANGE_LIFETIME_MS;
            return;
        }
        if (by_token && (by_mid || m->type != BW_COAP_ACK)) {
            if (m->type == BW_COAP_CON)
                send_empty(s, w, peer, BW_COAP_ACK, m->mid);
            bw_lwsrv_answer_t a;
            decode_answer(m, &a);
            finish(ws, pp, &a);
            return;
        }
    }
    if (bw_lwsrv__notification(s, w, peer, m))
        return;
    /* Nobody asked: a CON gets a RST (RFC 7252 4.2), the rest is dropped. */
    if (m->type == BW_COAP_CON)
        send_empty(s, w, peer, BW_COAP_RST, m->mid);
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
            registration(s, w, peer, &m, kind, mono_ms());
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
    answer(s, w, peer, &m);
}

/* --- our requests ------------------------------------------------------------
 */

/* 0, or BW_ENOTFOUND when the peer has no session any more. */
static int transmit(bw_lwsrv_t *s, bw_dtls_worker_t *w, inflight_t *f)
{
    return s->cfg.send(w, (const struct sockaddr *)&f->addr, f->addr_len,
                       f->msg, f->len) == BW_ENOTFOUND
               ? BW_ENOTFOUND
               : 0;
}

static void job_run(void *arg, bw_dtls_worker_t *w)
{
    job_t *job = arg;
    bw_lwsrv_t *s = job->s;
    int err = 0;
    inflight_t *f = NULL;
    wstate_t *ws = NULL;
    if (w == NULL) {
        err = BW_ESTATE;
    } else {
        ws = &s->ws[bw_dtls_worker_index(w)];
        f = ws->n < BW_LWSRV_MAX_INFLIGHT ? calloc(1, sizeof *f) : NULL;
        if (f == NULL)
            err = BW_ENOMEM;
    }
    if (f != NULL) {
        f->mid = ws->next_mid++;
        if (job->has_token)
            memcpy(f->token, job->token, sizeof f->token);
        if ((!job->has_token && RAND_bytes(f->token, sizeof f->token) != 1) ||
            build_request(&job->op, f->mid, f->token, f->msg, sizeof f->msg,
                          &f->len) != 0)
            err = BW_EINVAL;
    }
    if (err != 0) {
        bw_lwsrv_answer_t a = failed(err);
        report(job->done, job->done_ex, job->arg, &a);
        free(f);
        free(job);
        return;
    }
    f->addr = job->addr;
    f->addr_len = job->addr_len;
    f->done = job->done;
    f->done_ex = job->done_ex;
    f->arg = job->arg;
    free(job);
    /* First timeout: ACK_TIMEOUT scaled by a random 1 .. 1.5. */
    uint16_t r = 0;
    (void)RAND_bytes((unsigned char *)&r, sizeof r);
    f->timeout_ms =
        s->cfg.ack_timeout_ms +
        (uint32_t)((uint64_t)s->cfg.ack_timeout_ms * (r % 501) / 1000);
    uint64_t now = mono_ms();
    f->next_ms = now + f->timeout_ms;
    f->deadline_ms = now + EXCHANGE_LIFETIME_MS;
    f->next = ws->head;
    ws->head = f;
    ws->n++;
    /* The device closed its session (or never had one): no point in
     * retransmitting into the void. */
    if (transmit(s, w, f) != 0)
        finish_err(ws, &ws->head, BW_ECLOSED);
}

/* Block1 as RFC 7959 section 2.3 allows it: 1 or 0. */
static int block1_ok(const bw_lwsrv_op_t *op)
{
    if (!op->has_block1)
        return op->block1_more == 0 && op->block1_szx == 0 &&
               op->block1_num == 0;
    if (op->has_block1 != 1 || op->block1_more > 1 ||
        op->block1_szx > BW_COAP_BLOCK_MAX_SZX ||
        op->block1_num > BW_COAP_BLOCK_MAX_NUM)
        return 0;
    size_t size = BW_COAP_BLOCK_SIZE(op->block1_szx);
    return op->block1_more ? op->payload_len == size : op->payload_len <= size;
}

static int post(bw_lwsrv_t *s, unsigned worker, const struct sockaddr *addr,
                socklen_t addr_len, const bw_lwsrv_op_t *op,
                bw_lwsrv_done_t done, bw_lwsrv_done_ex_t done_ex, void *arg,
                const uint8_t *token)
{
    if (s->cfg.dtls == NULL)
        return BW_ESTATE;
    if (op == NULL || (done == NULL) == (done_ex == NULL) ||
        op->path[0] != '/' || memchr(op->path, '\0', sizeof op->path) == NULL ||
        op->payload_len > sizeof op->payload || !block1_ok(op) ||
        addr_len > (socklen_t)sizeof(struct sockaddr_storage))
        return BW_EINVAL;
    job_t *job = malloc(sizeof *job);
    if (job == NULL)
        return BW_ENOMEM;
    job->s = s;
    memset(&job->addr, 0, sizeof job->addr);
    memcpy(&job->addr, addr, (size_t)addr_len);
    job->addr_len = addr_len;
    job->op = *op;
    job->done = done;
    job->done_ex = done_ex;
    job->arg = arg;
    job->has_token = token != NULL;
    if (token != NULL)
        memcpy(job->token, token, sizeof job->token);
    int err = bw_dtls_server_post(s->cfg.dtls, worker, job_run, job);
    if (err != 0)
        free(job);
    return err;
}

static int request_ep(bw_lwsrv_t *s, const char *ep, const bw_lwsrv_op_t *op,
                      bw_lwsrv_done_t done, bw_lwsrv_done_ex_t done_ex,
                      void *arg, const uint8_t *token)
{
    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    if (v == NULL)
        return BW_ENOMEM;
    int err = bw_lwsrv_registry_get(s->cfg.registry, ep, v);
    if (err == 0)
        err = post(s, v->worker, (const struct sockaddr *)&v->addr, v->addr_len,
                   op, done, done_ex, arg, token);
    free(v);
    return err;
}

int bw_lwsrv_request(bw_lwsrv_t *s, const char *ep, const bw_lwsrv_op_t *op,
                     bw_lwsrv_done_t done, void *arg)
{
    if (done == NULL)
        return BW_EINVAL;
    return request_ep(s, ep, op, done, NULL, arg, NULL);
}

int bw_lwsrv_request_ex(bw_lwsrv_t *s, const char *ep, const bw_lwsrv_op_t *op,
                        bw_lwsrv_done_ex_t done, void *arg)
{
    if (done == NULL)
        return BW_EINVAL;
    return request_ep(s, ep, op, NULL, done, arg, NULL);
}

int bw_lwsrv_request_to(bw_lwsrv_t *s, unsigned worker,
                        const struct sockaddr *addr, socklen_t addr_len,
                        const bw_lwsrv_op_t *op, bw_lwsrv_done_t done,
                        void *arg)
{
    if (worker >= s->nworkers || done == NULL)
        return BW_EINVAL;
    return post(s, worker, addr, addr_len, op, done, NULL, arg, NULL);
}

uint64_t bw_lwsrv_on_tick(void *arg, bw_dtls_worker_t *w, uint64_t now_ms)
{
    bw_lwsrv_t *s = arg;
    wstate_t *ws = &s->ws[bw_dtls_worker_index(w)];
    uint64_t now = mono_ms(); /* our own clock: inflight times use it */
    uint64_t next = now + 1000;
    (void)now_ms;
    for (inflight_t **pp = &ws->head; *pp != NULL;) {
        inflight_t *f = *pp;
        if (now >= f->deadline_ms) {
            finish_err(ws, pp, BW_ETIMEOUT);
            continue;
        }
        if (!f->acked && now >= f->next_ms) {
            if (f->attempts >= s->cfg.max_retransmit) {
                finish_err(ws, pp, BW_ETIMEOUT);
                continue;
            }
            f->attempts++;
            f->timeout_ms *= 2;
            f->next_ms = now + f->timeout_ms;
            if (transmit(s, w, f) != 0) {
                finish_err(ws, pp, BW_ECLOSED);
                continue;
            }
        }
        uint64_t due = f->acked ? f->deadline_ms : f->next_ms;
        if (due < next)
            next = due;
        pp = &f->next;
    }
    /* on_tick's clock is the engine's; ours may differ by an offset. */
    return now_ms + (next > now ? next - now : 0);
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
    return bw_lwsrv_registry_expire(s->cfg.registry, mono_ms(), 15000,
                                    expired_cb, &x);
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

int bw_lwsrv__request_token(bw_lwsrv_t *s, const char *ep,
                            const bw_lwsrv_op_t *op, const uint8_t *token,
                            bw_lwsrv_done_ex_t done, void *arg)
{
    if (done == NULL)
        return BW_EINVAL;
    return request_ep(s, ep, op, NULL, done, arg, token);
}
