/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /api/v1/devices/{ep}/data (viewer): the values a device reported
 * with LwM2M Send or in notifications, newest first, a page at a time
 * (docs/api.md).
 *
 *   ?path=/3303/0/5700   one resource (or resource instance) only
 *   ?source=send|notify  one source only
 *   ?since=<ms>          sampled at or after this Unix time in ms
 *   ?limit=N             1..1000 rows (default 100)
 *   ?after=<cursor>      the page after the one whose "next" this was
 *
 * Answer: {"endpoint": ep, "data": [{"path", "t", "received_at", "kind",
 * "value", "source"}...], "next": cursor or null}.  "source" is "send",
 * "notify", or null for rows stored before the server recorded it.  "t" and
 * "received_at" are Unix ms; "value" is a JSON number (number), true/false
 * (bool), a string (string), or base64 text (opaque, standard alphabet with
 * padding). The cursor is "<t>-<id>": the last row's time and row id, so a page
 * never repeats or skips a row however many share one time.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "db_telemetry.h"

/* A cursor's text: two int64 and a dash. */
#define CURSOR_MAX 48

typedef struct {
    json_t *list;
    int64_t last_t, last_id;
    size_t n;
    int err;
} page_t;

static json_t *value_json(const bw_db_tm_value_t *v)
{
    switch (v->kind) {
    case BW_DB_TM_NUMBER:
        return json_real(v->num);
    case BW_DB_TM_BOOL:
        return json_boolean(v->num != 0.0);
    case BW_DB_TM_STRING:
        return json_stringn((const char *)v->bytes, v->len);
    default: {
        /* 4 output characters per 3 bytes, and the NUL. */
        size_t cap = 4 * ((v->len + 2) / 3) + 1;
        char *b = malloc(cap);
        if (b == NULL)
            return NULL;
        int n = EVP_EncodeBlock((unsigned char *)b, v->bytes, (int)v->len);
        json_t *s = n >= 0 ? json_stringn(b, (size_t)n) : NULL;
        free(b);
        return s;
    }
    }
}

/* "send", "notify", or null (unknown). */
static json_t *source_json(bw_db_tm_source_t s)
{
    const char *name = bw_db_tm_source_name(s);
    return name != NULL ? json_string(name) : json_null();
}

static int one(void *arg, const bw_db_tm_value_t *v)
{
    static const char *const kinds[] = {"?", "number", "string", "bool",
                                        "opaque"};
    page_t *p = arg;
    json_t *val = value_json(v);
    json_t *row =
        val == NULL
            ? NULL
            : json_pack("{s:s, s:I, s:I, s:s, s:o, s:o}", "path", v->path, "t",
                        (json_int_t)v->sampled_ms, "received_at",
                        (json_int_t)v->received_ms, "kind", kinds[v->kind],
                        "value", val, "source", source_json(v->source));
    if (row == NULL || json_array_append_new(p->list, row) != 0)
        return BW_ENOMEM;
    p->last_t = v->sampled_ms;
    p->last_id = v->id;
    p->n++;
    return 0;
}

/* A decimal int64 (optionally negative when neg is allowed). */
static int parse_i64(const char *s, const char *end, int neg, int64_t *out)
{
    char buf[24];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof buf)
        return BW_EMALFORMED;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!(buf[0] >= '0' && buf[0] <= '9') && !(neg && buf[0] == '-'))
        return BW_EMALFORMED;
    char *e;
    errno = 0;
    long long v = strtoll(buf, &e, 10);
    if (*e != '\0' || errno != 0 || (neg && buf[0] == '-' && buf[1] == '\0'))
        return BW_EMALFORMED;
    *out = v;
    return 0;
}

/* "<t>-<id>": t may be negative ("-5-7"), id is positive. */
static int parse_cursor(const char *c, int64_t *t, int64_t *id)
{
    const char *dash = strrchr(c, '-');
    if (dash == NULL || dash == c || strnlen(c, CURSOR_MAX) >= CURSOR_MAX)
        return BW_EMALFORMED;
    if (parse_i64(c, dash, 1, t) != 0 ||
        parse_i64(dash + 1, dash + strlen(dash), 0, id) != 0 || *id <= 0)
        return BW_EMALFORMED;
    return 0;
}

json_t *bw_api__device_data(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    bw_db_tm_query_t q = {.path = r->path, .since_ms = INT64_MIN};
    long limit = bw_api__limit(r->limit);
    if (limit < 0)
        return bw_api__error(status, 400, "bad query", "limit must be 1..1000");
    q.limit = (size_t)limit;
    if (r->since != NULL &&
        parse_i64(r->since, r->since + strlen(r->since), 1, &q.since_ms) != 0)
        return bw_api__error(status, 400, "bad query",
                             "since must be a Unix time in milliseconds");
    if (r->source != NULL && strcmp(r->source, "send") == 0)
        q.source = BW_DB_TM_SRC_SEND;
    else if (r->source != NULL && strcmp(r->source, "notify") == 0)
        q.source = BW_DB_TM_SRC_NOTIFY;
    else if (r->source != NULL)
        return bw_api__error(status, 400, "bad query",
                             "source must be send or notify");
    if (r->after != NULL &&
        parse_cursor(r->after, &q.before_ms, &q.before_id) != 0)
        return bw_api__error(status, 400, "bad query",
                             "after must be the \"next\" of a previous page");
    page_t p = {.list = json_array()};
    if (p.list == NULL)
        return bw_api__error(status, 500, "out of memory", NULL);
    int err = bw_db_telemetry_read(a->cfg.db, r->ep, &q, one, &p);
    if (err != 0) {
        json_decref(p.list);
        if (err == BW_ENOTFOUND)
            return bw_api__error(status, 404, "not found", "no such device");
        if (err == BW_EMALFORMED)
            return bw_api__error(status, 400, "bad query",
                                 "path must be /object/instance/resource"
                                 "[/instance]");
        return bw_api__error(status, 500, "storage failure", bw_strerror(err));
    }
    json_t *next = json_null();
    if (p.n == q.limit) {
        char c[CURSOR_MAX];
        snprintf(c, sizeof c, "%lld-%lld", (long long)p.last_t,
                 (long long)p.last_id);
        next = json_string(c);
    }
    *status = 200;
    return json_pack("{s:s, s:o, s:o}", "endpoint", r->ep, "data", p.list,
                     "next", next);
}
