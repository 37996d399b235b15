/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests from the server to devices (contract in lwm2m_srv.h; the
 * per-worker table in lwm2m_srv_int.h): built on the caller's thread,
 * handed to the device's worker, retransmitted there on RFC 7252 timers
 * and matched to their answers.
 *
 * The request is encoded once, when it is posted, into an allocation
 * sized to it that then travels to the worker and stays in its table
 * until answered: the worker only stamps its message ID.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_observe_int.h"
#include "lwm2m_srv_int.h"

/* Largest message the server builds (a request with a payload). */
#define MSG_MAX (BW_LWSRV_PAYLOAD_MAX + 256)

typedef bw_lwsrv__inflight_t inflight_t;
typedef bw_lwsrv__wstate_t wstate_t;

/* --- the heap: requests in flight ordered by when each is next due ------ */

/* Due: a retransmission, or the end of the wait for a separate response
 * once acknowledged; never later than the exchange's deadline. */
static uint64_t due_ms(const inflight_t *f)
{
    return f->acked || f->deadline_ms < f->next_ms ? f->deadline_ms
                                                   : f->next_ms;
}

static void heap_set(wstate_t *ws, size_t i, inflight_t *f)
{
    ws->heap[i] = f;
    f->heap_at = i;
}

static void sift_up(wstate_t *ws, size_t i)
{
    inflight_t *f = ws->heap[i];
    uint64_t due = due_ms(f);
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (due_ms(ws->heap[up]) <= due)
            break;
        heap_set(ws, i, ws->heap[up]);
        i = up;
    }
    heap_set(ws, i, f);
}

static void sift_down(wstate_t *ws, size_t i)
{
    inflight_t *f = ws->heap[i];
    uint64_t due = due_ms(f);
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= ws->n)
            break;
        if (c + 1 < ws->n && due_ms(ws->heap[c + 1]) < due_ms(ws->heap[c]))
            c++;
        if (due <= due_ms(ws->heap[c]))
            break;
        heap_set(ws, i, ws->heap[c]);
        i = c;
    }
    heap_set(ws, i, f);
}

/* After f's due time changed. */
static void heap_fix(wstate_t *ws, inflight_t *f)
{
    sift_up(ws, f->heap_at);
    sift_down(ws, f->heap_at);
}

/* 0, or BW_ENOMEM (the heap could not grow). */
static int heap_push(wstate_t *ws, inflight_t *f)
{
    if (ws->n == ws->cap) {
        size_t cap = ws->cap != 0 ? ws->cap * 2 : 64;
        inflight_t **h = realloc(ws->heap, cap * sizeof *h);
        if (h == NULL)
            return BW_ENOMEM;
        ws->heap = h;
        ws->cap = cap;
    }
    heap_set(ws, ws->n++, f);
    sift_up(ws, ws->n - 1);
    return 0;
}

static void heap_remove(wstate_t *ws, inflight_t *f)
{
    size_t i = f->heap_at;
    inflight_t *last = ws->heap[--ws->n];
    if (last != f) {
        heap_set(ws, i, last);
        heap_fix(ws, last);
    }
}

/* --- answers -------------------------------------------------------------- */

/* The answer of a request that failed before any response came. */
static bw_lwsrv_answer_t failed(int err)
{
    bw_lwsrv_answer_t a;
    memset(&a, 0, sizeof a);
    a.err = err;
    return a;
}

/* Tell the requester, through whichever callback it gave. */
static void report(const inflight_t *f, const bw_lwsrv_answer_t *a)
{
    if (f->done_ex != NULL)
        f->done_ex(f->arg, a);
    else
        f->done(f->arg, a->err, a->code, a->content_format, a->payload, a->len);
}

/* f out of the table first (the callback may post new requests), then
 * told, then freed. */
static void finish(wstate_t *ws, inflight_t *f, const bw_lwsrv_answer_t *a)
{
    heap_remove(ws, f);
    report(f, a);
    free(f);
}

static void finish_err(wstate_t *ws, inflight_t *f, int err)
{
    bw_lwsrv_answer_t a = failed(err);
    finish(ws, f, &a);
}

void bw_lwsrv__inflight_drop(bw_lwsrv_t *s, unsigned wi, int err)
{
    wstate_t *ws = &s->ws[wi];
    while (ws->n > 0)
        finish_err(ws, ws->heap[ws->n - 1], err);
    free(ws->heap);
    ws->heap = NULL;
    ws->cap = 0;
}

static int same_peer(const inflight_t *f, const bw_dtls_peer_info_t *peer)
{
    return f->addr_len == peer->addr_len &&
           memcmp(&f->addr, peer->addr, (size_t)peer->addr_len) == 0;
}

/* A Location-Path segment as bw_lwsrv_answer_t.location takes it. */
static int segment_ok(const bw_coap_opt_t *o)
{
    if (o->len == 0)
        return 0;
    for (uint16_t i = 0; i < o->len; i++) {
        uint8_t c = o->value[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '~' ||
              c == '-'))
            return 0;
    }
    return 1;
}

/* The Location-Path options joined ("/3303/1"), or "" (see the header). */
static void take_location(const bw_coap_msg_t *m, char *out, size_t cap)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    size_t k = 0;
    out[0] = '\0';
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &o)) {
        if (o.number != BW_COAP_OPT_LOCATION_PATH)
            continue;
        if (!segment_ok(&o) || k + 1 + o.len >= cap) {
            out[0] = '\0';
            return;
        }
        out[k++] = '/';
        memcpy(out + k, o.value, o.len);
        k += o.len;
        out[k] = '\0';
    }
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
    take_location(m, a->location, sizeof a->location);
}

void bw_lwsrv__answer(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                      const bw_dtls_peer_info_t *peer, const bw_coap_msg_t *m)
{
    wstate_t *ws = &s->ws[bw_dtls_worker_index(w)];
    for (size_t i = 0; i < ws->n; i++) {
        inflight_t *f = ws->heap[i];
        if (!same_peer(f, peer))
            continue;
        int by_mid = (m->type == BW_COAP_ACK || m->type == BW_COAP_RST) &&
                     m->mid == f->mid;
        int by_token = m->code != 0 && m->token_len == 8 &&
                       memcmp(m->token, f->token, 8) == 0;
        if (m->type == BW_COAP_RST && by_mid) {
            finish_err(ws, f, BW_ERESET);
            return;
        }
        if (m->code == 0 && by_mid) { /* empty ACK: separate response next */
            f->acked = 1;
            f->deadline_ms =
                bw_lwsrv__mono_ms() + BW_LWSRV__EXCHANGE_LIFETIME_MS;
            heap_fix(ws, f);
            return;
        }
        if (by_token && (by_mid || m->type != BW_COAP_ACK)) {
            if (m->type == BW_COAP_CON)
                bw_lwsrv__send_empty(s, w, peer, BW_COAP_ACK, m->mid);
            bw_lwsrv_answer_t a;
            decode_answer(m, &a);
            finish(ws, f, &a);
            return;
        }
    }
    if (bw_lwsrv__notification(s, w, peer, m))
        return;
    /* Nobody asked: a CON gets a RST (RFC 7252 4.2), the rest is dropped. */
    if (m->type == BW_COAP_CON)
        bw_lwsrv__send_empty(s, w, peer, BW_COAP_RST, m->mid);
}

/* --- building and sending ------------------------------------------------- */

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

/* The CON request, message ID 0 (the worker stamps its own). */
static int build_request(const bw_lwsrv_op_t *op, const uint8_t token[8],
                         uint8_t *out, size_t cap, size_t *len)
{
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, out, cap, BW_COAP_CON, op->method, 0, token, 8);
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

/* 0, or BW_ENOTFOUND when the peer has no session any more. */
static int transmit(bw_lwsrv_t *s, bw_dtls_worker_t *w, inflight_t *f)
{
    return s->cfg.send(w, (const struct sockaddr *)&f->addr, f->addr_len,
                       f->msg, f->len) == BW_ENOTFOUND
               ? BW_ENOTFOUND
               : 0;
}

/* On the worker (NULL: the server stops): into the table and out. */
static void job_run(void *arg, bw_dtls_worker_t *w)
{
    inflight_t *f = arg;
    bw_lwsrv_t *s = f->s;
    wstate_t *ws = w != NULL ? &s->ws[bw_dtls_worker_index(w)] : NULL;
    int err = w == NULL                        ? BW_ESTATE
              : f->len == 0                    ? BW_EINVAL /* not built */
              : ws->n >= BW_LWSRV_MAX_INFLIGHT ? BW_ENOMEM
                                               : 0;
    if (err == 0) {
        f->mid = ws->next_mid++;
        f->msg[2] = (uint8_t)(f->mid >> 8);
        f->msg[3] = (uint8_t)f->mid;
        /* First timeout: ACK_TIMEOUT scaled by a random 1 .. 1.5. */
        uint16_t r = 0;
        (void)RAND_bytes((unsigned char *)&r, sizeof r);
        f->timeout_ms =
            s->cfg.ack_timeout_ms +
            (uint32_t)((uint64_t)s->cfg.ack_timeout_ms * (r % 501) / 1000);
        uint64_t now = bw_lwsrv__mono_ms();
        f->next_ms = now + f->timeout_ms;
        f->deadline_ms = now + BW_LWSRV__EXCHANGE_LIFETIME_MS;
        err = heap_push(ws, f);
    }
    if (err != 0) {
        bw_lwsrv_answer_t a = failed(err);
        report(f, &a);
        free(f);
        return;
    }
    /* The device closed its session (or never had one): no point in
     * retransmitting into the void. */
    if (transmit(s, w, f) != 0)
        finish_err(ws, f, BW_ECLOSED);
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
    uint8_t tok[8], msg[MSG_MAX];
    size_t len = 0;
    if (token != NULL)
        memcpy(tok, token, sizeof tok);
    /* A request that cannot be built is reported BW_EINVAL through done,
     * as one that fails on the worker. */
    if ((token == NULL && RAND_bytes(tok, sizeof tok) != 1) ||
        build_request(op, tok, msg, sizeof msg, &len) != 0)
        len = 0;
    inflight_t *f = calloc(1, sizeof *f + len);
    if (f == NULL)
        return BW_ENOMEM;
    f->s = s;
    f->worker = worker;
    memcpy(f->token, tok, sizeof f->token);
    memcpy(&f->addr, addr, (size_t)addr_len);
    f->addr_len = addr_len;
    f->done = done;
    f->done_ex = done_ex;
    f->arg = arg;
    f->len = len;
    memcpy(f->msg, msg, len);
    int err = bw_dtls_server_post(s->cfg.dtls, worker, job_run, f);
    if (err != 0)
        free(f);
    return err;
}

static int request_ep(bw_lwsrv_t *s, const char *ep, const bw_lwsrv_op_t *op,
                      bw_lwsrv_done_t done, bw_lwsrv_done_ex_t done_ex,
                      void *arg, const uint8_t *token)
{
    struct sockaddr_storage addr;
    socklen_t addr_len;
    unsigned worker;
    int err =
        bw_lwsrv_registry_peer(s->cfg.registry, ep, &worker, &addr, &addr_len);
    if (err == 0)
        err = post(s, worker, (const struct sockaddr *)&addr, addr_len, op,
                   done, done_ex, arg, token);
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

int bw_lwsrv__request_token(bw_lwsrv_t *s, const char *ep,
                            const bw_lwsrv_op_t *op, const uint8_t *token,
                            bw_lwsrv_done_ex_t done, void *arg)
{
    if (done == NULL)
        return BW_EINVAL;
    return request_ep(s, ep, op, NULL, done, arg, token);
}

/* --- timers ----------------------------------------------------------------
 */

uint64_t bw_lwsrv_on_tick(void *arg, bw_dtls_worker_t *w, uint64_t now_ms)
{
    bw_lwsrv_t *s = arg;
    wstate_t *ws = &s->ws[bw_dtls_worker_index(w)];
    uint64_t now = bw_lwsrv__mono_ms(); /* our own clock: inflight times */
    uint64_t next = now + 1000;
    while (ws->n > 0) {
        inflight_t *f = ws->heap[0];
        if (due_ms(f) > now) {
            if (due_ms(f) < next)
                next = due_ms(f);
            break;
        }
        if (now >= f->deadline_ms || f->attempts >= s->cfg.max_retransmit) {
            finish_err(ws, f, BW_ETIMEOUT);
            continue;
        }
        f->attempts++;
        f->timeout_ms *= 2;
        f->next_ms = now + f->timeout_ms;
        sift_down(ws, 0);
        if (transmit(s, w, f) != 0)
            finish_err(ws, f, BW_ECLOSED);
    }
    /* on_tick's clock is the engine's; ours may differ by an offset. */
    return now_ms + (next > now ? next - now : 0);
}
