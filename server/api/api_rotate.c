/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting a credential rotation (api_rotate.h): which Server object
 * instance to Execute, the trigger shared by the API and the policy, and
 * the route POST /devices/{ep}/rotate.
 *
 * The route waits for the device's answer on its HTTPS thread the way
 * api_ops.c does: the answer comes on a DTLS worker, which copies it into
 * a reference-counted box, signals and returns; an answer arriving after
 * the route gave up (504) lands in memory still there.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "api_rotate.h"
#include "bulwark/coap.h"

/* Execute's success (RFC 7252 5.9.1.3, LwM2M Core 6.3.5). */
#define CODE_CHANGED ((2u << 5) | 4u)
/* The Bootstrap-Request Trigger resource of a Server object instance. */
#define RES_BOOTSTRAP_TRIGGER 9

/* ---- the Server object instance ----------------------------------------- */

/* "/1/<n>" with n a decimal instance id without leading zeros, below
 * 65535 (reserved, LwM2M Core 7.1)?  *inst gets n. */
static int server_path(const char *p, size_t n, uint16_t *inst)
{
    if (n < 4 || n > 8 || memcmp(p, "/1/", 3) != 0)
        return 0;
    if (p[3] == '0' && n > 4)
        return 0;
    uint32_t v = 0;
    for (size_t i = 3; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (uint32_t)(p[i] - '0');
    }
    if (v >= 65535)
        return 0;
    *inst = (uint16_t)v;
    return 1;
}

/* Skip the parameters of one link, from just past its '>': each
 * ";name" or ";name=token" or ";name=\"quoted\"".  Returns the index
 * past them, or 0 when they are malformed (0 can never be that index). */
static size_t skip_params(const char *s, size_t len, size_t i)
{
    while (i < len && s[i] == ';') {
        size_t t = ++i;
        while (i < len && s[i] != ';' && s[i] != ',' && s[i] != '=' &&
               s[i] != '"' && s[i] != '<' && s[i] != '>')
            i++;
        if (i == t)
            return 0; /* empty name */
        if (i < len && (s[i] == '"' || s[i] == '<' || s[i] == '>'))
            return 0;
        if (i >= len || s[i] != '=')
            continue;
        i++;
        if (i < len && s[i] == '"') {
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++; /* the escaped character, whatever it is */
            if (i >= len)
                return 0; /* unterminated */
            i++;
        } else {
            t = i;
            while (i < len && s[i] != ';' && s[i] != ',') {
                if (s[i] == '"' || s[i] == '<' || s[i] == '>')
                    return 0;
                i++;
            }
            if (i == t)
                return 0; /* "name=" with nothing */
        }
    }
    return i;
}

int bw_api_rotate_server_instance(const char *links, size_t len, uint16_t *inst)
{
    if (inst != NULL)
        *inst = 0;
    if (inst == NULL || (links == NULL && len > 0))
        return BW_EINVAL;
    size_t count = 0, i = 0;
    uint16_t first = 0;
    int has_default = 0;
    while (i < len) {
        if (links[i] != '<')
            return BW_EMALFORMED;
        size_t p = ++i;
        while (i < len && links[i] != '>' && links[i] != '<' && links[i] != ',')
            i++;
        if (i >= len || links[i] != '>')
            return BW_EMALFORMED;
        uint16_t v;
        if (server_path(links + p, i - p, &v)) {
            if (count++ == 0)
                first = v;
            has_default |= v == BW_API_ROTATE_SERVER_INSTANCE;
        }
        i = skip_params(links, len, i + 1);
        if (i == 0)
            return BW_EMALFORMED;
        if (i < len) {
            if (links[i] != ',' || i + 1 == len)
                return BW_EMALFORMED; /* junk, or a trailing comma */
            i++;
        }
    }
    if (count == 0)
        return BW_ENOTFOUND;
    *inst = count == 1 || !has_default ? first : BW_API_ROTATE_SERVER_INSTANCE;
    return 0;
}

/* The instance to Execute for a registration: its links, or the one the
 * bootstrap sequence writes.  Links cut at the registry's copy limit
 * are read up to the last complete item. */
static uint16_t instance_of(const bw_lwsrv_regview_t *v)
{
    size_t n = strnlen(v->links, sizeof v->links - 1);
    uint16_t inst;
    int err = bw_api_rotate_server_instance(v->links, n, &inst);
    if (err == BW_EMALFORMED && v->links_truncated) {
        while (n > 0 && !(v->links[n - 1] == ',' && v->links[n] == '<'))
            n--;
        err = n > 0 ? bw_api_rotate_server_instance(v->links, n - 1, &inst)
                    : BW_ENOTFOUND;
    }
    return err == 0 ? inst : BW_API_ROTATE_SERVER_INSTANCE;
}

/* ---- the trigger -------------------------------------------------------- */

typedef struct {
    bw_db_t *db;
    char ep[BW_DB_ENDPOINT_MAX + 1];
    char actor[BW_DB_AUDIT_FIELD_MAX + 1];
    char path[BW_LWSRV_PATH_MAX];
    bw_api_rotate_done_t done;
    void *arg;
} trigger_t;

static void audit(bw_db_t *db, const char *actor, const char *action,
                  const char *ep, const char *detail)
{
    (void)bw_db_audit_append(db, bw_api__now_ms(), actor, action, ep, detail,
                             NULL);
}

/* On the DTLS worker: audit a failure, report, never block. */
static void on_trigger_answer(void *arg, int err, uint8_t code, uint32_t cf,
                              const uint8_t *payload, size_t len)
{
    trigger_t *t = arg;
    (void)cf;
    (void)payload;
    (void)len;
    if (err != 0 || code != CODE_CHANGED) {
        char detail[BW_LWSRV_PATH_MAX + 64];
        if (err != 0)
            snprintf(detail, sizeof detail, "%s -> %s", t->path,
                     bw_strerror(err));
        else
            snprintf(detail, sizeof detail, "%s -> %u.%02u", t->path, code >> 5,
                     code & 31u);
        audit(t->db, t->actor, "rotation-failed", t->ep, detail);
    }
    t->done(t->arg, t->ep, err, code);
    free(t);
}

int bw_api_rotate_request(const bw_api_rotate_env_t *env, const char *ep,
                          const char *actor, bw_api_rotate_done_t done,
                          void *arg, char path[BW_LWSRV_PATH_MAX])
{
    if (path != NULL)
        path[0] = '\0';
    if (env == NULL || env->db == NULL || ep == NULL || actor == NULL ||
        done == NULL)
        return BW_EINVAL;
    if (env->dm == NULL || env->reg == NULL)
        return BW_ESTATE;
    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    trigger_t *t = calloc(1, sizeof *t);
    bw_lwsrv_op_t *op = calloc(1, sizeof *op);
    int err = v != NULL && t != NULL && op != NULL ? 0 : BW_ENOMEM;
    if (err == 0)
        err = bw_lwsrv_registry_get(env->reg, ep, v);
    if (err == 0) {
        t->db = env->db;
        snprintf(t->ep, sizeof t->ep, "%s", ep);
        snprintf(t->actor, sizeof t->actor, "%s", actor);
        snprintf(t->path, sizeof t->path, "/1/%u/%u", (unsigned)instance_of(v),
                 RES_BOOTSTRAP_TRIGGER);
        t->done = done;
        t->arg = arg;
        op->method = BW_COAP_POST;
        snprintf(op->path, sizeof op->path, "%s", t->path);
        op->content_format = -1;
        op->accept = -1;
        if (path != NULL)
            snprintf(path, BW_LWSRV_PATH_MAX, "%s", t->path);
        /* Before the Execute: the device's bootstrap, and its
         * "credential-issued", may follow within milliseconds. */
        audit(env->db, actor, "rotation-requested", ep, t->path);
        err = bw_lwsrv_request(env->dm, ep, op, on_trigger_answer, t);
        if (err != 0) {
            char detail[BW_LWSRV_PATH_MAX + 64];
            snprintf(detail, sizeof detail, "%s -> not sent: %s", t->path,
                     bw_strerror(err));
            audit(env->db, actor, "rotation-failed", ep, detail);
        }
    }
    free(v);
    free(op);
    if (err != 0) {
        free(t); /* the callback will not run */
        if (path != NULL)
            path[0] = '\0';
    }
    return err;
}

/* ---- POST /devices/{ep}/rotate ------------------------------------------ */

typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int refs; /* 2 while both sides hold it */
    int done;
    int err;
    uint8_t code;
} waiter_t;

static void release(waiter_t *w)
{
    pthread_mutex_lock(&w->m);
    int last = --w->refs == 0;
    pthread_mutex_unlock(&w->m);
    if (last) {
        pthread_mutex_destroy(&w->m);
        pthread_cond_destroy(&w->c);
        free(w);
    }
}

static void on_route_answer(void *arg, const char *ep, int err, uint8_t code)
{
    waiter_t *w = arg;
    (void)ep;
    pthread_mutex_lock(&w->m);
    w->err = err;
    w->code = code;
    w->done = 1;
    pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
    release(w);
}

static waiter_t *waiter_new(void)
{
    waiter_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->c, &ca);
    pthread_condattr_destroy(&ca);
    w->refs = 2;
    return w;
}

json_t *bw_api__device_rotate(bw_api_t *a, const char *ep, const char *actor,
                              int *status)
{
    bw_db_device_t *dev = malloc(sizeof *dev);
    int err = dev != NULL ? bw_db_device_get(a->cfg.db, ep, dev) : BW_ENOMEM;
    free(dev);
    if (err == BW_ENOTFOUND || err == BW_EMALFORMED)
        return bw_api__error(status, 404, "not found", "no such device");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    bw_api_rotate_env_t env = {
        .db = a->cfg.db, .dm = a->cfg.dm, .reg = a->cfg.dm_reg};
    if (env.dm == NULL || env.reg == NULL)
        return bw_api__error(status, 409, "not registered",
                             "this server does not run the DM role");
    waiter_t *w = waiter_new();
    if (w == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    char path[BW_LWSRV_PATH_MAX];
    err = bw_api_rotate_request(&env, ep, actor, on_route_answer, w, path);
    if (err != 0) {
        w->refs = 1; /* the callback will not run */
        release(w);
        if (err == BW_ENOTFOUND)
            return bw_api__error(status, 409, "not registered",
                                 "the device is not registered: a rotation "
                                 "starts with a request to the device, so it "
                                 "must be online");
        return bw_api__error(status, 503, "unavailable", bw_strerror(err));
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += BW_API_DEVICE_WAIT_MS / 1000;
    pthread_mutex_lock(&w->m);
    int timed_out = 0;
    while (!w->done && !timed_out)
        timed_out = pthread_cond_timedwait(&w->c, &w->m, &until) != 0;
    json_t *out;
    if (!w->done) {
        out = bw_api__error(status, 504, "device timeout",
                            "no answer from the device in time");
    } else if (w->err != 0) {
        out = bw_api__error(status, 504, "device unreachable",
                            bw_strerror(w->err));
    } else if (w->code != CODE_CHANGED) {
        char code[8], d[BW_LWSRV_PATH_MAX + 48];
        snprintf(code, sizeof code, "%u.%02u", w->code >> 5, w->code & 31u);
        snprintf(d, sizeof d, "the device answered %s to Execute %s", code,
                 path);
        out = bw_api__error(status, 502, "device refused", d);
        if (out != NULL)
            json_object_set_new(out, "code", json_string(code));
    } else {
        out = json_pack("{s:s, s:s, s:s}", "endpoint", ep, "state",
                        "rotation-requested", "path", path);
        *status = 202;
    }
    pthread_mutex_unlock(&w->m);
    release(w);
    return out;
}
