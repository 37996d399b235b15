/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observe and Cancel through the API (docs/api.md, "Observations"):
 *
 *   POST   /devices/{ep}/observe            {"path": "/3303/0/5700"}
 *   POST   /devices/{ep}/cancel             {"path": "/3303/0/5700"}
 *   DELETE /devices/{ep}/observations/{id}
 *   GET    /devices/{ep}/observations
 *
 * Observe answers like a Read (the device's code, content format and
 * payload: the first value) and adds "observation": the id the server
 * keeps it under, or null when the device did not take it.  The values
 * the device notifies afterwards go to the telemetry table beside those
 * of LwM2M Send (GET /devices/{ep}/data).  Cancel ends the observation on
 * the server at once and tells the device (GET with Observe 1); the
 * answer says what the device said, if anything.
 *
 * As in api_ops.c, the HTTPS thread waits for the device's answer (at
 * most BW_API_DEVICE_WAIT_MS) and the DTLS worker that delivers it only
 * copies and signals: a box shared by both, freed by whichever lets go
 * last.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "bulwark/coap.h"

/* Observations are asked for in SenML JSON (what a Read answers in). */
#define CF_SENML_JSON 110
/* An id in a URL: up to 19 digits (int64). */
#define ID_DIGITS_MAX 19

typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int refs;
    int done;
    int err;
    uint8_t code;
    uint32_t cf;
    int64_t obs_id;
    char *payload; /* NUL-terminated copy */
    size_t len;
} box_t;

static void box_release(box_t *b)
{
    pthread_mutex_lock(&b->m);
    int last = --b->refs == 0;
    pthread_mutex_unlock(&b->m);
    if (last) {
        pthread_mutex_destroy(&b->m);
        pthread_cond_destroy(&b->c);
        free(b->payload);
        free(b);
    }
}

static box_t *box_new(void)
{
    box_t *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&b->m, NULL);
    pthread_cond_init(&b->c, &ca);
    pthread_condattr_destroy(&ca);
    b->refs = 2;
    return b;
}

/* On the DTLS worker: copy, signal, never block. */
static void on_answer(void *arg, const bw_lwsrv_answer_t *a)
{
    box_t *b = arg;
    int err = a->err;
    char *copy = malloc(a->len + 1);
    if (copy != NULL) {
        if (a->len > 0)
            memcpy(copy, a->payload, a->len);
        copy[a->len] = '\0';
    } else if (err == 0) {
        err = BW_ENOMEM;
    }
    pthread_mutex_lock(&b->m);
    b->err = err;
    b->code = a->code;
    b->cf = a->content_format;
    b->obs_id = a->obs_id;
    b->payload = copy;
    b->len = copy != NULL ? a->len : 0;
    b->done = 1;
    pthread_cond_signal(&b->c);
    pthread_mutex_unlock(&b->m);
    box_release(b);
}

/* Wait for the answer (lock held on return); 0 when it came. */
static int box_wait(box_t *b)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += BW_API_DEVICE_WAIT_MS / 1000;
    pthread_mutex_lock(&b->m);
    int timed_out = 0;
    while (!b->done && !timed_out)
        timed_out = pthread_cond_timedwait(&b->c, &b->m, &until) != 0;
    return b->done ? 0 : BW_ETIMEOUT;
}

static void audit(bw_api_t *a, const bw_api_req_t *r, const char *action,
                  const char *path, const char *outcome)
{
    char detail[BW_LWSRV_OBS_PATH_MAX + 64];
    snprintf(detail, sizeof detail, "%s -> %s", path, outcome);
    int err = bw_db_audit_append(a->cfg.db, bw_api__now_ms(), r->actor, action,
                                 r->ep, detail, NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
}

/* The body's path: a string "/..." that fits; NULL if not. */
static const char *body_path(const bw_api_req_t *r)
{
    const char *p = json_string_value(json_object_get(r->body, "path"));
    /* path is the only member: anything else would be silently ignored. */
    if (p == NULL || p[0] != '/' || strlen(p) >= BW_LWSRV_OBS_PATH_MAX ||
        json_object_size(r->body) != 1)
        return NULL;
    return p;
}

static void code_text(char *out, size_t cap, uint8_t code)
{
    snprintf(out, cap, "%u.%02u", code >> 5, code & 31u);
}

static json_t *observe(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    const char *path = body_path(r);
    if (path == NULL)
        return bw_api__error(status, 400, "bad request",
                             "the body is {\"path\": \"/3303/0/5700\"}");
    box_t *b = box_new();
    int err = b != NULL
                  ? bw_lwsrv_observe(a->cfg.dm, r->ep, path, CF_SENML_JSON,
                                     r->actor, on_answer, b)
                  : BW_ENOMEM;
    if (err != 0) {
        if (b != NULL) {
            b->refs = 1; /* the callback will not run */
            box_release(b);
        }
        if (err == BW_ENOTFOUND)
            return bw_api__error(status, 404, "not registered",
                                 "the device is not registered");
        if (err == BW_EINVAL)
            return bw_api__error(status, 400, "bad request",
                                 "path is not an LwM2M path");
        return bw_api__error(status, 503, "unavailable", bw_strerror(err));
    }
    json_t *out;
    char code[16] = "timeout";
    if (box_wait(b) != 0) {
        out = bw_api__error(status, 504, "device timeout",
                            "no answer from the device in time");
    } else if (b->err != 0) {
        snprintf(code, sizeof code, "failed");
        out = bw_api__error(status, 504, "device unreachable",
                            bw_strerror(b->err));
    } else {
        code_text(code, sizeof code, b->code);
        json_t *p = b->cf == CF_SENML_JSON
                        ? json_loadb(b->payload, b->len, 0, NULL)
                        : NULL;
        if (p == NULL)
            p = json_stringn(b->payload, b->len); /* NULL: not UTF-8 */
        out = json_pack("{s:s, s:I, s:o, s:o}", "code", code, "content_format",
                        (json_int_t)b->cf, "payload",
                        p != NULL ? p : json_null(), "observation",
                        b->obs_id > 0 ? json_integer(b->obs_id) : json_null());
        *status = 200;
    }
    char outcome[64];
    if (b->done && b->obs_id > 0)
        snprintf(outcome, sizeof outcome, "%s, observation %lld", code,
                 (long long)b->obs_id);
    else
        snprintf(outcome, sizeof outcome, "%s, not observing", code);
    pthread_mutex_unlock(&b->m);
    box_release(b);
    audit(a, r, "observe", path, outcome);
    return out;
}

/* Cancel by id (id > 0) or path. */
static json_t *cancel(bw_api_t *a, const bw_api_req_t *r, int64_t id,
                      const char *path, int *status)
{
    bw_lwsrv_obs_view_t v;
    memset(&v, 0, sizeof v);
    box_t *b = box_new();
    int err = b != NULL ? bw_lwsrv_cancel(a->cfg.dm, r->ep, id, path, on_answer,
                                          b, &v)
                        : BW_ENOMEM;
    if (err != 0 && b != NULL) {
        b->refs = 1;
        box_release(b);
        b = NULL;
    }
    if (err != 0 && v.id == 0) {
        if (err == BW_ENOTFOUND)
            return bw_api__error(status, 404, "not found",
                                 "no such observation");
        return bw_api__error(status, err == BW_EINVAL ? 400 : 503,
                             err == BW_EINVAL ? "bad request" : "unavailable",
                             bw_strerror(err));
    }
    /* Ended here; what the device made of the Cancel, if it heard it. */
    char code[16];
    json_t *dev;
    if (b == NULL) {
        snprintf(code, sizeof code, "not sent");
        dev = json_null();
    } else if (box_wait(b) != 0 || b->err != 0) {
        snprintf(code, sizeof code, "%s", b->done ? "failed" : "timeout");
        dev = json_null();
    } else {
        code_text(code, sizeof code, b->code);
        dev = json_string(code);
    }
    if (b != NULL) {
        pthread_mutex_unlock(&b->m);
        box_release(b);
    }
    audit(a, r, "cancel-observation", v.path, code);
    *status = 200;
    return json_pack("{s:I, s:s, s:o, s:I}", "observation", (json_int_t)v.id,
                     "path", v.path, "code", dev != NULL ? dev : json_null(),
                     "notifications", (json_int_t)v.notifications);
}

static int one(void *arg, const bw_lwsrv_obs_view_t *v)
{
    json_t *o = json_pack(
        "{s:I, s:s, s:I, s:I, s:o, s:I, s:s}", "id", (json_int_t)v->id, "path",
        v->path, "since", (json_int_t)v->since_ms, "notifications",
        (json_int_t)v->notifications, "last_at",
        v->last_ms > 0 ? json_integer(v->last_ms) : json_null(), "dropped",
        (json_int_t)v->dropped, "by", v->actor);
    if (o == NULL || json_array_append_new(arg, o) != 0)
        return BW_ENOMEM;
    return 0;
}

static json_t *list(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    json_t *arr = json_array();
    int err = arr != NULL ? bw_lwsrv_observations(a->cfg.dm, r->ep, one, arr)
                          : BW_ENOMEM;
    if (err != 0) {
        json_decref(arr);
        return bw_api__error(status, 500, "internal", bw_strerror(err));
    }
    *status = 200;
    return json_pack("{s:s, s:o}", "endpoint", r->ep, "observations", arr);
}

/* "<digits>" as a positive id; 0 if not. */
static int64_t parse_id(const char *s)
{
    int64_t v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > ID_DIGITS_MAX || s[0] == '0')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

json_t *bw_api__observe_route(bw_api_t *a, const char *act, bw_api_req_t *r,
                              int *status, const char **allow)
{
    const char *m = r->method;
    int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
    int del = strcmp(m, "DELETE") == 0;
    int is_obs = strcmp(act, "observe") == 0;
    int is_cancel = strcmp(act, "cancel") == 0;
    int is_list = strcmp(act, "observations") == 0;
    const char *id_text =
        strncmp(act, "observations/", 13) == 0 ? act + 13 : NULL;
    if (!is_obs && !is_cancel && !is_list && id_text == NULL)
        return bw_api__error(status, 404, "not found", act);
    if ((is_obs || is_cancel) && !post) {
        *allow = "POST";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    if ((is_list && !get) || (id_text != NULL && !del)) {
        *allow = is_list ? "GET" : "DELETE";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    if (a->cfg.dm == NULL)
        return bw_api__error(status, 404, "not registered",
                             "this server does not run the DM role");
    if (is_list)
        return list(a, r, status);
    if (is_obs)
        return observe(a, r, status);
    if (is_cancel) {
        const char *path = body_path(r);
        if (path == NULL)
            return bw_api__error(status, 400, "bad request",
                                 "the body is {\"path\": \"/3303/0/5700\"}");
        return cancel(a, r, 0, path, status);
    }
    int64_t id = parse_id(id_text);
    if (id <= 0)
        return bw_api__error(status, 404, "not found", "no such observation");
    return cancel(a, r, id, NULL, status);
}
