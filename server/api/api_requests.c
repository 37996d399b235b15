/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Queued requests through the API (docs/api.md, "Queued and asynchronous
 * operations"):
 *
 *   GET    /api/v1/requests/{id}              one request (viewer)
 *   DELETE /api/v1/requests/{id}              cancel a queued one (operator)
 *   GET    /api/v1/devices/{ep}/requests      a device's, oldest first
 *          ?state=queued|sent|answered|expired ?after=<id> ?limit=N (viewer)
 *
 * A request is shown as {"id", "endpoint", "op", "path", "state",
 * "created_at", "updated_at", "expires_at", "tries": its deliveries that
 * got no answer, "request": the operation's body as given (less "async"
 * and "ttl")}; an answered one adds what the
 * synchronous call would have returned ("code", and "payload", "links",
 * "location" as the operation has them), an expired one its "reason".
 * Cancelling moves a queued request to expired with the reason
 * "cancelled by <actor>"; one already sent, answered or expired is 409.
 * A request deleted by the retention job (api_queue.h) is 404, as one
 * that never was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* ?after= and {id}: a request id, decimal, 1..INT64_MAX; -1 if bad. */
static int64_t id_arg(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 18)
        return -1;
    int64_t v = 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

static json_t *request_json(const bw_db_request_t *q)
{
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "id",
        (json_int_t)q->id, "endpoint", q->endpoint, "op",
        bw_db_request_op_name(q->op), "path", q->path, "state",
        bw_db_request_state_name(q->state), "created_at",
        (json_int_t)q->created_ms, "updated_at", (json_int_t)q->updated_ms,
        "expires_at", (json_int_t)q->expires_ms, "tries", (json_int_t)q->tries);
    if (o == NULL)
        return NULL;
    json_t *body = q->payload_len > 0 ? json_loadb((const char *)q->payload,
                                                   q->payload_len, 0, NULL)
                                      : NULL;
    json_object_set_new(o, "request", body != NULL ? body : json_null());
    if (q->state == BW_DB_REQ_ANSWERED) {
        /* The stored answer is the synchronous call's object: its
         * members join the request's. */
        json_t *ans = q->result_len > 0 ? json_loadb((const char *)q->result,
                                                     q->result_len, 0, NULL)
                                        : NULL;
        if (json_is_object(ans)) {
            json_object_update_missing(o, ans);
        } else {
            /* result_code is a CoAP code, 1..255 (the store checks). */
            unsigned rc = (unsigned)q->result_code & 0xffu;
            char code[8];
            snprintf(code, sizeof code, "%u.%02u", rc >> 5, rc & 31u);
            json_object_set_new(o, "code", json_string(code));
        }
        json_decref(ans);
    } else if (q->state == BW_DB_REQ_EXPIRED) {
        json_t *why = q->result_len > 0
                          ? json_stringn((const char *)q->result, q->result_len)
                          : NULL;
        json_object_set_new(o, "reason", why != NULL ? why : json_null());
    }
    return o;
}

static int one(void *arg, const bw_db_request_t *q)
{
    json_t **out = arg;
    *out = request_json(q);
    return *out != NULL ? 0 : BW_ENOMEM;
}

typedef struct {
    json_t *list;
    int64_t last;
    size_t n;
} page_t;

static int add(void *arg, const bw_db_request_t *q)
{
    page_t *p = arg;
    json_t *o = request_json(q);
    if (o == NULL || json_array_append_new(p->list, o) != 0)
        return BW_ENOMEM;
    p->last = q->id;
    p->n++;
    return 0;
}

json_t *bw_api__device_requests(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    int state = BW_DB_REQ_ANY;
    if (r->state != NULL) {
        bw_db_req_state_t st;
        if (bw_db_request_state_parse(r->state, &st) != 0)
            return bw_api__error(status, 400, "bad request",
                                 "state must be queued, sent, answered or "
                                 "expired");
        state = (int)st;
    }
    int64_t after = r->after != NULL ? id_arg(r->after) : 0;
    long limit = bw_api__limit(r->limit);
    if (after < 0 || limit < 0)
        return bw_api__error(status, 400, "bad request",
                             "after must be a request id, limit 1..1000");
    page_t p = {json_array(), 0, 0};
    if (p.list == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    int err = bw_db_request_page(a->cfg.db, r->ep, state, after, (size_t)limit,
                                 add, &p);
    if (err != 0) {
        json_decref(p.list);
        if (err == BW_ENOTFOUND)
            return bw_api__error(status, 404, "not found", "no such device");
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
    *status = 200;
    return json_pack("{s:s, s:o, s:o}", "endpoint", r->ep, "requests", p.list,
                     "next",
                     p.n == (size_t)limit ? json_integer(p.last) : json_null());
}

static json_t *get_one(bw_api_t *a, int64_t id, int *status)
{
    json_t *out = NULL;
    int err = bw_db_request_get(a->cfg.db, id, one, &out);
    if (err == 0) {
        *status = 200;
        return out;
    }
    json_decref(out);
    if (err == BW_ENOTFOUND)
        return bw_api__error(status, 404, "not found", "no such request");
    return bw_api__error(status, 500, "storage", bw_strerror(err));
}

static json_t *cancel(bw_api_t *a, const bw_api_req_t *r, int64_t id,
                      int *status)
{
    json_t *before = get_one(a, id, status);
    if (*status != 200)
        return before;
    char ep[BW_DB_ENDPOINT_MAX + 1], path[BW_DB_PATH_MAX + 1];
    snprintf(ep, sizeof ep, "%s",
             json_string_value(json_object_get(before, "endpoint")));
    snprintf(path, sizeof path, "%s",
             json_string_value(json_object_get(before, "path")));
    char state[16];
    snprintf(state, sizeof state, "%s",
             json_string_value(json_object_get(before, "state")));
    json_decref(before);
    char why[BW_DB_REQ_WHY_MAX + 1];
    snprintf(why, sizeof why, "cancelled by %s", r->actor);
    int err = bw_db_request_give_up(a->cfg.db, id, BW_DB_REQ_QUEUED, why,
                                    bw_api__now_ms());
    if (err == BW_ESTATE || err == BW_ENOTFOUND) {
        char d[96];
        snprintf(d, sizeof d,
                 "only a queued request can be cancelled; this one is %s",
                 err == BW_ESTATE && strcmp(state, "queued") == 0 ? "sent"
                                                                  : state);
        return bw_api__error(status, 409, "conflict", d);
    }
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    char detail[BW_DB_PATH_MAX + 40];
    snprintf(detail, sizeof detail, "request %lld %s", (long long)id, path);
    err = bw_db_audit_append(a->cfg.db, bw_api__now_ms(), r->actor,
                             "request-cancelled", ep, detail, NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
    return get_one(a, id, status);
}

json_t *bw_api__requests_route(bw_api_t *a, const char *rest, bw_api_req_t *r,
                               int *status, const char **allow)
{
    if (rest[0] != '/')
        return bw_api__error(status, 404, "not found",
                             "a request is /api/v1/requests/{id}; a device's "
                             "are /api/v1/devices/{ep}/requests");
    int64_t id = id_arg(rest + 1);
    if (id <= 0)
        return bw_api__error(status, 404, "not found", "no such request");
    if (strcmp(r->method, "GET") == 0)
        return get_one(a, id, status);
    if (strcmp(r->method, "DELETE") == 0)
        return cancel(a, r, id, status);
    *allow = "GET, DELETE";
    return bw_api__error(status, 405, "method not allowed", r->method);
}
