/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's store-backed endpoints: the device list, provisioning, one
 * device with its registration, and the audit log.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"

/* Monotonic milliseconds, the registry's clock. */
static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A registry time as Unix milliseconds. */
static int64_t wall_of(uint64_t mono, uint64_t now_mono, int64_t now_wall)
{
    return now_wall - (int64_t)(now_mono - mono);
}

static int registered(bw_api_t *a, const char *ep, bw_lwsrv_regview_t *v)
{
    return a->cfg.dm_reg != NULL &&
           bw_lwsrv_registry_get(a->cfg.dm_reg, ep, v) == 0;
}

typedef struct {
    bw_api_t *a;
    json_t *list;
    bw_lwsrv_regview_t *view;
    char last[BW_DB_ENDPOINT_MAX + 1];
} list_ctx_t;

static int list_one(void *arg, const bw_db_device_t *d)
{
    list_ctx_t *l = arg;
    json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "endpoint", d->endpoint,
                          "model", d->model, "tags", d->tags, "registered",
                          registered(l->a, d->endpoint, l->view));
    if (o == NULL || json_array_append_new(l->list, o) != 0)
        return BW_ENOMEM;
    snprintf(l->last, sizeof l->last, "%s", d->endpoint);
    return 0;
}

json_t *bw_api__devices_list(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    long limit = bw_api__limit(r->limit);
    if (limit < 0)
        return bw_api__error(status, 400, "bad parameter",
                             "limit must be 1..1000");
    list_ctx_t l = {.a = a, .list = json_array()};
    l.view = malloc(sizeof *l.view);
    if (l.list == NULL || l.view == NULL) {
        free(l.view);
        json_decref(l.list);
        return bw_api__error(status, 500, "internal", "out of memory");
    }
    int err =
        bw_db_device_list(a->cfg.db, r->after, (size_t)limit, list_one, &l);
    free(l.view);
    if (err == BW_EMALFORMED) {
        json_decref(l.list);
        return bw_api__error(status, 400, "bad parameter",
                             "after must be an endpoint name");
    }
    if (err != 0) {
        json_decref(l.list);
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
    size_t n = json_array_size(l.list);
    json_t *out = json_pack("{s:o}", "devices", l.list);
    if (out != NULL)
        json_object_set_new(out, "next",
                            n == (size_t)limit ? json_string(l.last)
                                               : json_null());
    *status = 200;
    return out;
}

/* A string member, or NULL (absent, or not a string: *bad set). */
static const char *str_member(const json_t *o, const char *key, int *bad)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode hex into out (cap bytes).  -1 when not hex or too long. */
static int unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return 0;
}

json_t *bw_api__devices_add(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    int bad = 0;
    const char *ep = str_member(r->body, "endpoint", &bad);
    const char *model = str_member(r->body, "model", &bad);
    const char *id = str_member(r->body, "psk_identity", &bad);
    const char *hex = str_member(r->body, "psk_hex", &bad);
    if (bad || ep == NULL || id == NULL || hex == NULL)
        return bw_api__error(status, 400, "bad request",
                             "endpoint, psk_identity and psk_hex are "
                             "required strings; model is an optional string");
    uint8_t psk[BW_DB_PSK_MAX];
    size_t psk_len = 0;
    if (unhex(hex, psk, sizeof psk, &psk_len) != 0) {
        OPENSSL_cleanse(psk, sizeof psk);
        return bw_api__error(status, 400, "bad request",
                             "psk_hex must be 2..128 hex digits (1..64 "
                             "bytes), an even number");
    }
    int64_t now = bw_api__now_ms();
    int created = 0;
    int err = bw_db_device_add(a->cfg.db, ep, model, NULL, now, NULL);
    if (err == 0)
        created = 1;
    else if (err == BW_EEXIST)
        err = 0; /* a key for a known device */
    if (err == 0)
        err = bw_db_psk_import_for(a->cfg.db, ep, BW_DB_PURPOSE_BOOTSTRAP,
                                   (const uint8_t *)id, strlen(id), psk,
                                   psk_len, BW_DB_CRED_ACTIVE, now, NULL);
    OPENSSL_cleanse(psk, sizeof psk);
    if (err != 0 && created)
        (void)bw_db_device_delete(a->cfg.db, ep); /* nothing half-made */
    switch (err) {
    case 0:
        break;
    case BW_EWEAK:
        return bw_api__error(status, 422, "weak credential",
                             "PSK under 128 bits or one byte repeated, or "
                             "an identity derived from the endpoint name");
    case BW_EDUPKEY:
        return bw_api__error(status, 422, "reused credential",
                             "this PSK is already used by a device");
    case BW_EEXIST:
        return bw_api__error(status, 422, "reused credential",
                             "this PSK identity is already used");
    case BW_EMALFORMED:
    case BW_EOVERFLOW:
        return bw_api__error(status, 400, "bad request",
                             "endpoint (1..64 of A-Z a-z 0-9 -._:@~+), "
                             "model (64) or psk_identity (128) malformed "
                             "or too long");
    default:
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
    err = bw_db_audit_append(a->cfg.db, now, r->actor, "provisioned", ep,
                             "factory bootstrap PSK", NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
    *status = 201;
    return json_pack("{s:s, s:s}", "endpoint", ep, "model",
                     model != NULL ? model : "");
}

json_t *bw_api__device_get(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    bw_db_device_t d;
    int err = bw_db_device_get(a->cfg.db, r->ep, &d);
    if (err == BW_ENOTFOUND || err == BW_EMALFORMED)
        return bw_api__error(status, 404, "not found", "no such device");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    if (v == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    json_t *out = json_pack("{s:s, s:s, s:s, s:I}", "endpoint", d.endpoint,
                            "model", d.model, "tags", d.tags, "created_ms",
                            (json_int_t)d.created_ms);
    if (out != NULL && registered(a, r->ep, v)) {
        uint64_t now_mono = mono_ms();
        int64_t now_wall = bw_api__now_ms();
        json_t *reg = json_pack(
            "{s:s, s:I, s:s, s:b, s:s, s:s, s:b, s:I, s:I, s:I}", "location",
            v->location, "lifetime", (json_int_t)v->lifetime, "binding",
            v->binding, "queue", v->queue != 0, "version",
            v->version_minor == 1 ? "1.1" : "1.0", "links", v->links,
            "links_truncated", v->links_truncated != 0, "registered_ms",
            (json_int_t)wall_of(v->registered_ms, now_mono, now_wall),
            "updated_ms",
            (json_int_t)wall_of(v->updated_ms, now_mono, now_wall),
            "expires_ms",
            (json_int_t)wall_of(v->expires_ms, now_mono, now_wall));
        json_object_set_new(out, "registered", json_true());
        json_object_set_new(out, "registration",
                            reg != NULL ? reg : json_null());
    } else if (out != NULL) {
        json_object_set_new(out, "registered", json_false());
    }
    free(v);
    *status = 200;
    return out;
}

static int audit_one(void *arg, const bw_db_audit_entry_t *e)
{
    json_t *list = arg;
    json_t *o =
        json_pack("{s:I, s:I, s:s, s:s, s:s, s:s?}", "id", (json_int_t)e->id,
                  "at_ms", (json_int_t)e->at_ms, "actor", e->actor, "action",
                  e->action, "subject", e->subject, "detail", e->detail);
    if (o == NULL || json_array_append_new(list, o) != 0)
        return BW_ENOMEM;
    return 0;
}

json_t *bw_api__audit(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    long limit = bw_api__limit(r->limit);
    long long after = 0;
    if (r->after != NULL) {
        char *end;
        after = strtoll(r->after, &end, 10);
        if (*r->after == '\0' || *end != '\0' || after < 0)
            limit = -1;
    }
    if (limit < 0)
        return bw_api__error(status, 400, "bad parameter",
                             "after must be an entry id (>= 0), limit "
                             "1..1000");
    json_t *list = json_array();
    if (list == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    int err = bw_db_audit_read(a->cfg.db, (int64_t)after, (size_t)limit,
                               audit_one, list);
    if (err != 0) {
        json_decref(list);
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
    size_t n = json_array_size(list);
    json_t *next = json_null();
    if (n == (size_t)limit)
        next = json_copy(json_object_get(json_array_get(list, n - 1), "id"));
    *status = 200;
    return json_pack("{s:o, s:o}", "entries", list, "next", next);
}
