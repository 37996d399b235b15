/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device operations through the API: Read, Write, Execute, Discover,
 * Create, Delete and Write-Attributes sent to a registered device with
 * bw_lwsrv_request(), the HTTPS thread waiting for the answer (at most
 * BW_API_DEVICE_WAIT_MS).  One path for all of them: build() makes the
 * CoAP request of each kind (the pure parts in api_dm_*.c), the request
 * is sent and waited for the same way, and bw_api__op_answer() adds what
 * each kind returns beside the device's code.
 *
 * Queue mode (api_queue.h): an operation with "async": true, or one for
 * a queue-mode device that is asleep, is not sent here: its body (less
 * "async" and "ttl") is committed to the store and the caller answered
 * 202 with the request's id.  The delivery engine rebuilds the CoAP
 * request from that body with the same bw_api__op_build() and stores the
 * answer as bw_api__op_answer() makes it, so a queued operation is sent
 * and answered exactly as a synchronous one.
 *
 * The answer comes on a DTLS worker thread, which must never wait: the
 * callback copies the answer, signals, and returns.  The waiter and the
 * callback share one reference-counted box, so an answer arriving after
 * the API gave up (504) lands in memory that is still there and is freed
 * by whichever side lets go last.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_dm.h"
#include "api_int.h"
#include "api_queue.h"
#include "bulwark/coap.h"

/* CoAP content formats used here (RFC 7252 12.3, LwM2M 1.1 Table 7.3-1). */
#define CF_TEXT       0
#define CF_LINK       40
#define CF_SENML_JSON 110
#define CF_NONE       UINT32_MAX /* the answer carried no Content-Format */

typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int refs; /* 2 while both sides hold it */
    int done;
    int err;
    uint8_t code;
    uint32_t cf;
    char *payload; /* NUL-terminated copy */
    size_t len;
    char location[BW_LWSRV_PATH_MAX]; /* the answer's Location-Path */
} waiter_t;

static void release(waiter_t *w)
{
    pthread_mutex_lock(&w->m);
    int last = --w->refs == 0;
    pthread_mutex_unlock(&w->m);
    if (last) {
        pthread_mutex_destroy(&w->m);
        pthread_cond_destroy(&w->c);
        free(w->payload);
        free(w);
    }
}

/* Why a registered device cannot be reached yet. */
static const char unheard_why[] =
    "the device has not spoken since this server started (its "
    "registration was loaded from the database): nothing reaches it "
    "before its next Update; with \"async\": true the request is "
    "queued and sent then";

/* On the DTLS worker: copy, signal, never block. */
static void on_answer(void *arg, const bw_lwsrv_answer_t *a)
{
    waiter_t *w = arg;
    int err = a->err;
    size_t len = a->len;
    const uint8_t *payload = a->payload;
    char *copy = malloc(len + 1);
    if (copy != NULL) {
        if (len > 0)
            memcpy(copy, payload, len);
        copy[len] = '\0';
    } else if (err == 0) {
        err = BW_ENOMEM;
    }
    pthread_mutex_lock(&w->m);
    w->err = err;
    w->code = a->code;
    w->cf = a->content_format;
    memcpy(w->location, a->location, sizeof w->location);
    w->payload = copy;
    w->len = copy != NULL ? len : 0;
    w->done = 1;
    pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
    release(w);
}

/* Free what jansson allocated (json_dumps): with its allocator, which the
 * API replaced (api_http.c wipes every block). */
static void json_free(void *p)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    if (p != NULL)
        f(p);
}

/* Fill op's payload from the "value" of a Write. */
static const char *write_payload(const json_t *v, bw_lwsrv_op_t *op)
{
    char num[64];
    const char *text = NULL;
    char *dumped = NULL;
    if (json_is_string(v)) {
        text = json_string_value(v);
        op->content_format = CF_TEXT;
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        text = num;
        op->content_format = CF_TEXT;
    } else if (json_is_real(v)) {
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        text = num;
        op->content_format = CF_TEXT;
    } else if (json_is_boolean(v)) {
        text = json_is_true(v) ? "1" : "0";
        op->content_format = CF_TEXT;
    } else if (json_is_array(v)) {
        dumped = json_dumps(v, JSON_COMPACT);
        if (dumped == NULL)
            return "value cannot be encoded";
        text = dumped;
        op->content_format = CF_SENML_JSON;
    } else {
        return "value must be a string, number or boolean (text), or a "
               "SenML JSON array";
    }
    size_t n = strlen(text);
    const char *why = NULL;
    if (n > sizeof op->payload)
        why = "value too large for one CoAP message";
    else
        memcpy(op->payload, text, n);
    op->payload_len = why == NULL ? n : 0;
    json_free(dumped);
    return why;
}

/* The args of an Execute, as plain text. */
static const char *execute_args(const json_t *body, bw_lwsrv_op_t *op)
{
    const json_t *args = json_object_get(body, "args");
    const char *s = args == NULL ? "" : json_string_value(args);
    if (s == NULL)
        return "args must be a string";
    if (strlen(s) > sizeof op->payload)
        return "args too long";
    if (*s != '\0') {
        op->content_format = CF_TEXT;
        op->payload_len = strlen(s);
        memcpy(op->payload, s, op->payload_len);
    }
    return NULL;
}

/* A fault of api_dm.h as a 400's detail, "field: why". */
static const char *fault_text(const bw_api_dm_fault_t *f, char *buf, size_t cap)
{
    if (f->field == NULL)
        return f->why;
    snprintf(buf, cap, "%s: %s", f->field, f->why);
    return buf;
}

/*
 * The CoAP request of each kind into op (path set already); NULL, or what
 * is wrong with the body for a 400 (may point into detail).  location
 * gets the instance a Create names.
 */
static const char *build(const json_t *body, bw_api_op_t kind,
                         bw_lwsrv_op_t *op, char *location, size_t loc_cap,
                         char *detail, size_t detail_cap)
{
    static const char *const path_only[] = {"path", NULL};
    static const char *const create_members[] = {"path", "value", "instance",
                                                 NULL};
    bw_api_dm_fault_t f = {NULL, NULL};
    int err = 0;
    switch (kind) {
    case BW_API_OP_READ:
        op->method = BW_COAP_GET;
        op->accept = CF_SENML_JSON;
        return NULL;
    case BW_API_OP_WRITE: {
        op->method = BW_COAP_PUT;
        const json_t *v = json_object_get(body, "value");
        return v != NULL ? write_payload(v, op) : "value is required";
    }
    case BW_API_OP_EXECUTE:
        op->method = BW_COAP_POST;
        return execute_args(body, op);
    case BW_API_OP_DISCOVER:
    case BW_API_OP_DELETE:
        op->method = kind == BW_API_OP_DISCOVER ? BW_COAP_GET : BW_COAP_DELETE;
        if (kind == BW_API_OP_DISCOVER)
            op->accept = CF_LINK;
        err = bw_api_dm_members(body, path_only, &f);
        break;
    case BW_API_OP_CREATE:
        op->method = BW_COAP_POST;
        err = bw_api_dm_members(body, create_members, &f);
        if (err == 0)
            err = bw_api_dm_create_payload(
                op->path, json_object_get(body, "value"),
                json_object_get(body, "instance"), (char *)op->payload,
                sizeof op->payload, &op->payload_len, location, loc_cap, &f);
        if (err == 0)
            op->content_format = CF_SENML_JSON;
        break;
    case BW_API_OP_ATTRIBUTES:
        op->method = BW_COAP_PUT;
        err = bw_api_dm_attrs_query(body, op->query, sizeof op->query, &f);
        break;
    }
    return err == 0 ? NULL : fault_text(&f, detail, detail_cap);
}

const char *bw_api__op_build(const json_t *body, bw_api_op_t kind,
                             bw_lwsrv_op_t *op, char *location, size_t loc_cap,
                             char *detail, size_t detail_cap)
{
    memset(op, 0, sizeof *op);
    if (loc_cap > 0)
        location[0] = '\0';
    const char *path = json_string_value(json_object_get(body, "path"));
    if (path == NULL || path[0] != '/' || strlen(path) >= sizeof op->path)
        return "path must be a string such as \"/3/0\"";
    snprintf(op->path, sizeof op->path, "%s", path);
    op->content_format = -1;
    op->accept = -1;
    return build(body, kind, op, location, loc_cap, detail, detail_cap);
}

json_t *bw_api__op_answer(bw_api_op_t kind, uint8_t code, uint32_t cf,
                          const char *payload, size_t len, const char *location)
{
    char text[8];
    snprintf(text, sizeof text, "%u.%02u", code >> 5, code & 31u);
    json_t *out = json_pack("{s:s}", "code", text);
    if (out == NULL)
        return NULL;
    if (kind == BW_API_OP_READ) {
        json_object_set_new(out, "content_format", json_integer(cf));
        json_t *p =
            cf == CF_SENML_JSON ? json_loadb(payload, len, 0, NULL) : NULL;
        if (p == NULL)
            p = json_stringn(payload, len); /* NULL: not UTF-8 */
        json_object_set_new(out, "payload", p != NULL ? p : json_null());
    } else if (kind == BW_API_OP_DISCOVER) {
        json_t *links = NULL;
        if (code == BW_COAP_CONTENT && (cf == CF_LINK || cf == CF_NONE))
            (void)bw_api_dm_links_json(payload, len, &links);
        json_object_set_new(out, "content_format", json_integer(cf));
        json_object_set_new(out, "links", links != NULL ? links : json_null());
        json_t *p = json_stringn(payload, len);
        json_object_set_new(out, "payload", p != NULL ? p : json_null());
    } else if (kind == BW_API_OP_CREATE && code == BW_COAP_CREATED &&
               location[0] != '\0') {
        json_object_set_new(out, "location", json_string(location));
    }
    return out;
}

const char *bw_api__op_name(bw_api_op_t kind)
{
    static const char *const names[] = {
        [BW_API_OP_READ] = "read",
        [BW_API_OP_WRITE] = "write",
        [BW_API_OP_EXECUTE] = "execute",
        [BW_API_OP_DISCOVER] = "discover",
        [BW_API_OP_CREATE] = "create",
        [BW_API_OP_DELETE] = "delete",
        [BW_API_OP_ATTRIBUTES] = "write-attributes",
    };
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

static void audit_op(bw_api_t *a, const char *actor, const char *action,
                     const char *ep, const bw_lwsrv_op_t *op,
                     const char *outcome)
{
    char detail[BW_LWSRV_PATH_MAX + sizeof op->query + 64];
    snprintf(detail, sizeof detail, "%s%s%s -> %s", op->path,
             op->query[0] != '\0' ? "?" : "", op->query, outcome);
    int err = bw_db_audit_append(a->cfg.db, bw_api__now_ms(), actor, action, ep,
                                 detail, NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
}

/*
 * Queue the operation (its body, "async" and "ttl" removed, is what is
 * stored: the delivery rebuilds the request from it) and answer 202.
 * Committed before the answer.
 */
static json_t *enqueue(bw_api_t *a, const bw_api_req_t *r, bw_api_op_t kind,
                       const json_t *stored, const bw_lwsrv_op_t *op,
                       int64_t ttl_ms, bw_api_queue_route_t route, int *status)
{
    bw_db_req_op_t dbop;
    char *text = json_dumps(stored, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL || bw_api__queue_db_op(kind, &dbop) != 0) {
        json_free(text);
        return bw_api__error(status, 500, "internal", "out of memory");
    }
    int64_t now = bw_api__now_ms(), id = 0;
    int err = bw_db_request_enqueue(a->cfg.db, r->ep, dbop, op->path,
                                    (const uint8_t *)text, strlen(text), now,
                                    now + ttl_ms, &id);
    json_free(text);
    if (err == BW_ENOTFOUND)
        return bw_api__error(status, 404, "not found", "no such device");
    if (err == BW_EOVERFLOW)
        return bw_api__error(status, 413, "request body too large",
                             "too large to queue");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    char outcome[40];
    snprintf(outcome, sizeof outcome, "queued #%lld", (long long)id);
    audit_op(a, r->actor, bw_api__op_name(kind), r->ep, op, outcome);
    const char *why =
        route == BW_API_QUEUE_QUEUE_SEND
            ? "queued as asked; the device can hear it now, so it is sent "
              "at once"
        : json_is_true(json_object_get(r->body, "async"))
            ? "queued as asked; it is sent when the device next registers "
              "or updates"
            : "the device is in queue mode and asleep: the request is sent "
              "when it next updates its registration";
    if (route == BW_API_QUEUE_QUEUE_SEND)
        bw_api_queue_wake(bw_api__queue(a), r->ep);
    *status = 202;
    return json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "state",
                     "queued", "why", why, "expires_at",
                     (json_int_t)(now + ttl_ms));
}

json_t *bw_api__device_op(bw_api_t *a, const bw_api_req_t *r, bw_api_op_t kind,
                          int *status)
{
    const char *action = bw_api__op_name(kind);
    int async = 0;
    int64_t ttl_ms = 0;
    const char *qwhy = NULL;
    if (bw_api_queue_options(json_object_get(r->body, "async"),
                             json_object_get(r->body, "ttl"), &async, &ttl_ms,
                             &qwhy) != 0)
        return bw_api__error(status, 400, "bad request", qwhy);
    /* The operation proper: the body without the queue's members. */
    json_t *body = json_copy(r->body);
    if (body == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    json_object_del(body, "async");
    json_object_del(body, "ttl");
    bw_lwsrv_op_t *op = calloc(1, sizeof *op);
    if (op == NULL) {
        json_decref(body);
        return bw_api__error(status, 500, "internal", "out of memory");
    }
    char location[BW_LWSRV_PATH_MAX] = "";
    char why_buf[256];
    const char *why = bw_api__op_build(
        body, kind, op, location, sizeof location, why_buf, sizeof why_buf);
    if (why != NULL) {
        free(op);
        json_decref(body);
        return bw_api__error(status, 400, "bad request", why);
    }
    if (a->cfg.dm == NULL) {
        free(op);
        json_decref(body);
        return bw_api__error(status, 404, "not registered",
                             "this server does not run the DM role");
    }
    /* Where it goes: api_queue.h's table. */
    bw_api_queue_t *q = bw_api__queue(a);
    bw_lwsrv_regview_t *view = malloc(sizeof *view);
    int registered = view != NULL && a->cfg.dm_reg != NULL &&
                     bw_lwsrv_registry_get(a->cfg.dm_reg, r->ep, view) == 0;
    int queue_mode = registered && view->queue != 0;
    /* Loaded from the database at start and silent since: no session,
     * no address to send on until it speaks (its next Update). */
    int unheard = registered && view->addr_len == 0;
    free(view);
    bw_api_queue_route_t route =
        bw_api_queue_route(async, registered, queue_mode,
                           bw_api_queue_is_awake(q, r->ep, bw_api__now_ms()));
    if (route == BW_API_QUEUE_QUEUE_SEND || route == BW_API_QUEUE_QUEUE_WAKE) {
        json_t *out =
            q == NULL ? bw_api__error(status, 503, "unavailable",
                                      "the request queue is not running")
                      : enqueue(a, r, kind, body, op, ttl_ms, route, status);
        free(op);
        json_decref(body);
        return out;
    }
    json_decref(body);
    waiter_t *w = calloc(1, sizeof *w);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (w != NULL) {
        pthread_mutex_init(&w->m, NULL);
        pthread_cond_init(&w->c, &ca);
        w->refs = 2;
    }
    pthread_condattr_destroy(&ca);
    int err = route != BW_API_QUEUE_SEND_NOW ? BW_ENOTFOUND
              : w != NULL
                  ? bw_lwsrv_request_ex(a->cfg.dm, r->ep, op, on_answer, w)
                  : BW_ENOMEM;
    if (err != 0) {
        free(op);
        if (w != NULL) {
            w->refs = 1; /* the callback will not run */
            release(w);
        }
        if (err == BW_ENOTFOUND)
            return bw_api__error(status, 404, "not registered",
                                 "the device is not registered");
        if (err == BW_EINVAL)
            return bw_api__error(status, 400, "bad request",
                                 "path is not an LwM2M path");
        if (err == BW_ESTATE && unheard)
            return bw_api__error(status, 503, "unavailable", unheard_why);
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
    char code[8] = "";
    if (!w->done) {
        snprintf(code, sizeof code, "timeout");
        out = bw_api__error(status, 504, "device timeout",
                            "no answer from the device in time");
    } else if (w->err != 0) {
        snprintf(code, sizeof code, "failed");
        out = bw_api__error(status, 504, "device unreachable",
                            bw_strerror(w->err));
    } else {
        snprintf(code, sizeof code, "%u.%02u", w->code >> 5, w->code & 31u);
        /* A Create's location is the device's Location-Path, never the
         * instance the request named. */
        out = bw_api__op_answer(kind, w->code, w->cf, w->payload, w->len,
                                w->location);
        *status = 200;
    }
    int answered = w->done && w->err == 0;
    pthread_mutex_unlock(&w->m);
    release(w);
    if (answered) /* an exchange: a queue-mode device stays awake */
        bw_api_queue_seen(q, r->ep, bw_api__now_ms());
    audit_op(a, r->actor, action, r->ep, op, code);
    free(op);
    return out;
}
