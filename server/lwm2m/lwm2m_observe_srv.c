/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observe and Cancel sent to a device, and the list of observations
 * (contract in lwm2m_srv.h).  The first answer to an Observe comes on the
 * device's worker; the observation is recorded there, before the
 * requester hears of it and before any notification can follow (they
 * arrive on the same worker, one message at a time).
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
        if (bw_lwsrv_obs_add(bw_lwsrv__obs(q->s), &q->v, &id) == 0)
            out.obs_id = id;
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
