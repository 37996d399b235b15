/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observe and Cancel sent to a device, and the list of observations
 * (contract in lwm2m_srv.h).  The first answer to an Observe comes on the
 * device's worker; the observation is recorded there, before the
 * requester hears of it and before any notification can follow (they
 * arrive on the same worker, one message at a time).
 *
 * With a store (bw_lwsrv_observe_keep, lwm2m_observe.h) the requester
 * hears of it only once it is also stored: the answer is copied and
 * handed to the journal with the put, and the journal's thread passes it
 * on after the commit.  The worker never waits for the disk.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwm2m_observe_int.h"

typedef struct {
    bw_lwsrv_t *s;
    bw_lwsrv_obs_view_t v; /* ep, path, token, accept, actor */
    bw_lwsrv_done_ex_t done;
    void *arg;
    /* With a store: the answer waiting for the put (payload: bytes). */
    bw_lwsrv_answer_t out;
    uint8_t bytes[];
} obs_req_t;

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "/" and up to four numeric segments: what a device can observe. */
static int path_ok(const char *path)
{
    size_t n = strnlen(path, BW_LWSRV_OBS_PATH_MAX);
    if (n == 0 || n >= BW_LWSRV_OBS_PATH_MAX || path[0] != '/')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(path[i] == '/' || (path[i] >= '0' && path[i] <= '9')))
            return 0;
    return 1;
}

/* On the journal's thread: the put of q's observation ended. */
static void stored(void *arg, int err)
{
    obs_req_t *q = arg;
    bw_lwsrv_obs_t *o = bw_lwsrv__obs(q->s);
    bw_lwsrv_obs_view_t now;
    if (err != 0) {
        /* Not kept, so not live: its next notification gets a RST, which
         * ends it on the device too. */
        (void)bw_lwsrv_obs_take(o, q->v.token, NULL, 0, NULL, NULL);
        q->out.obs_id = 0;
    } else if (bw_lwsrv_obs_get(o, q->v.token, &now) != 0 ||
               now.id != q->v.id) {
        /* Ended while it was being written (a Cancel by path, say), its
         * deletion queued before this put: delete it again. */
        (void)bw_lwsrv_obs_journal_del(bw_lwsrv_obs_journal_of(o), q->v.ep,
                                       q->v.id);
    }
    q->done(q->arg, &q->out);
    free(q);
}

/* With a journal: copy the answer and hand the put over (0: stored()
 * answers), else an error and the observation is ended again. */
static int keep(obs_req_t **qp, bw_lwsrv_obs_journal_t *j,
                const bw_lwsrv_answer_t *out)
{
    obs_req_t *q = *qp;
    bw_lwsrv_regview_t *r = malloc(sizeof *r); /* 1.3 KB: not on a stack */
    int err = r != NULL ? 0 : BW_ENOMEM;
    if (err == 0)
        err = bw_lwsrv_registry_get(bw_lwsrv__registry(q->s), q->v.ep, r);
    obs_req_t *big = NULL;
    if (err == 0) {
        big = realloc(q, sizeof *q + out->len);
        err = big != NULL ? 0 : BW_ENOMEM;
    }
    if (err == 0) {
        *qp = q = big;
        q->out = *out;
        if (out->len > 0)
            memcpy(q->bytes, out->payload, out->len);
        q->out.payload = q->bytes;
        err = bw_lwsrv_obs_journal_put(j, &q->v, r->location, stored, q);
    }
    free(r);
    if (err != 0)
        (void)bw_lwsrv_obs_take(bw_lwsrv__obs(q->s), q->v.token, NULL, 0, NULL,
                                NULL);
    return err;
}

/* On the device's worker: the first answer. */
static void first_answer(void *arg, const bw_lwsrv_answer_t *a)
{
    obs_req_t *q = arg;
    bw_lwsrv_answer_t out = *a;
    out.obs_id = 0;
    if (a->err == 0 && BW_COAP_CODE_CLASS(a->code) == 2 && a->has_observe) {
        q->v.content_format = a->content_format;
        q->v.since_ms = real_ms();
        int64_t id = 0;
        bw_lwsrv_obs_t *o = bw_lwsrv__obs(q->s);
        if (bw_lwsrv_obs_add(o, &q->v, &id) == 0) {
            out.obs_id = id;
            q->v.id = id;
            bw_lwsrv_obs_journal_t *j = bw_lwsrv_obs_journal_of(o);
            if (j != NULL && keep(&q, j, &out) == 0)
                return; /* answered by stored() */
            if (j != NULL)
                out.obs_id = 0; /* not kept: ended again */
        }
        /* Not recorded (limits): its first notification gets a RST,
         * which ends it on the device. */
    }
    q->done(q->arg, &out);
    free(q);
}

static void op_init(bw_lwsrv_op_t *op, const char *path, int32_t accept,
                    uint8_t observe)
{
    memset(op, 0, sizeof *op);
    op->method = BW_COAP_GET;
    snprintf(op->path, sizeof op->path, "%s", path);
    op->content_format = -1;
    op->accept = accept;
    op->observe = observe;
}

int bw_lwsrv_observe(bw_lwsrv_t *s, const char *ep, const char *path,
                     int32_t accept, const char *actor, bw_lwsrv_done_ex_t done,
                     void *arg)
{
    if (s == NULL || ep == NULL || path == NULL || done == NULL ||
        !path_ok(path) || strlen(ep) > BW_LWSRV_EP_MAX ||
        (actor != NULL && strlen(actor) >= BW_LWSRV_OBS_ACTOR_MAX))
        return BW_EINVAL;
    obs_req_t *q = calloc(1, sizeof *q);
    bw_lwsrv_op_t *op = malloc(sizeof *op);
    int err = q == NULL || op == NULL ? BW_ENOMEM : 0;
    if (err == 0 && RAND_bytes(q->v.token, sizeof q->v.token) != 1)
        err = BW_ECRYPTO;
    if (err == 0) {
        q->s = s;
        snprintf(q->v.ep, sizeof q->v.ep, "%s", ep);
        snprintf(q->v.path, sizeof q->v.path, "%s", path);
        snprintf(q->v.actor, sizeof q->v.actor, "%s",
                 actor != NULL ? actor : "");
        q->v.accept = accept;
        q->done = done;
        q->arg = arg;
        op_init(op, path, accept, 1);
        err = bw_lwsrv__request_token(s, ep, op, q->v.token, first_answer, q);
    }
    free(op);
    if (err != 0)
        free(q);
    return err;
}

int bw_lwsrv_cancel(bw_lwsrv_t *s, const char *ep, int64_t id, const char *path,
                    bw_lwsrv_done_ex_t done, void *arg,
                    bw_lwsrv_obs_view_t *ended)
{
    bw_lwsrv_obs_view_t v;
    if (s == NULL || ep == NULL || done == NULL || (id <= 0 && path == NULL))
        return BW_EINVAL;
    int err = bw_lwsrv_obs_take(bw_lwsrv__obs(s), NULL, ep, id, path, &v);
    if (err != 0)
        return err;
    if (ended != NULL)
        *ended = v;
    bw_lwsrv_op_t *op = malloc(sizeof *op);
    if (op == NULL)
        return BW_ENOMEM;
    op_init(op, v.path, v.accept, 2);
    err = bw_lwsrv__request_token(s, ep, op, v.token, done, arg);
    free(op);
    return err;
}

int bw_lwsrv_observations(bw_lwsrv_t *s, const char *ep,
                          int (*cb)(void *arg, const bw_lwsrv_obs_view_t *v),
                          void *arg)
{
    if (s == NULL)
        return BW_EINVAL;
    return bw_lwsrv_obs_list(bw_lwsrv__obs(s), ep, cb, arg);
}

void bw_lwsrv_notify_flush(bw_lwsrv_t *s)
{
    if (s != NULL)
        bw_lwsrv_obs_sink_flush(bw_lwsrv__sink(s));
}

/* ---- kept across restarts ---------------------------------------------- */

/* The load: what was kept goes back into the registry; what it refuses
 * is remembered, to be forgotten by the store once the journal runs. */
typedef struct {
    bw_lwsrv_obs_t *o;
    size_t loaded, skipped, cap;
    bw_lwsrv_obs_view_t *gone; /* ep and id of the refused ones */
} load_t;

static int restore_one(void *arg, const bw_lwsrv_obs_view_t *v)
{
    load_t *l = arg;
    int err = bw_lwsrv_obs_restore(l->o, v);
    if (err == 0) {
        l->loaded++;
        return 0;
    }
    if (err == BW_ENOMEM)
        return err;
    if (l->skipped == l->cap) {
        size_t cap = l->cap != 0 ? 2 * l->cap : 16;
        bw_lwsrv_obs_view_t *g = realloc(l->gone, cap * sizeof *g);
        if (g == NULL)
            return BW_ENOMEM;
        l->gone = g;
        l->cap = cap;
    }
    l->gone[l->skipped++] = *v;
    return 0;
}

int bw_lwsrv_observe_keep(bw_lwsrv_t *s, const bw_lwsrv_obs_store_t *st,
                          size_t *loaded)
{
    if (loaded != NULL)
        *loaded = 0;
    if (s == NULL || st == NULL || st->load == NULL || st->put == NULL ||
        st->del == NULL)
        return BW_EINVAL;
    bw_lwsrv_obs_t *o = bw_lwsrv__obs(s);
    if (bw_lwsrv_obs_journal_of(o) != NULL)
        return BW_ESTATE;
    load_t l = {.o = o};
    int64_t last = 0;
    int err = st->load(st->arg, restore_one, &l, &last);
    bw_lwsrv_obs_journal_t *j = NULL;
    if (err == 0) {
        bw_lwsrv_obs_seen_id(o, last);
        j = bw_lwsrv_obs_journal_new(st);
        err = j != NULL ? 0 : BW_ENOMEM;
    }
    if (err == 0) {
        bw_lwsrv_obs_set_journal(o, j);
        for (size_t i = 0; i < l.skipped; i++)
            (void)bw_lwsrv_obs_journal_del(j, l.gone[i].ep, l.gone[i].id);
        if (loaded != NULL)
            *loaded = l.loaded;
    }
    free(l.gone);
    return err;
}
