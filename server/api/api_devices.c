/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's store-backed endpoints: the device list with its filters,
 * provisioning, one device with its registration, last seen time and
 * object tree, and the audit log.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "api_objtree.h"
#include "db_list.h"

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

/* The clocks of one answer: every time in it is converted with these. */
typedef struct {
    uint64_t mono;
    int64_t wall;
} clocks_t;

static clocks_t clocks_now(void)
{
    clocks_t c = {mono_ms(), bw_api__now_ms()};
    return c;
}

/*
 * last_seen_ms (docs/api.md, "GET /devices"): the last Register or
 * Update the DM server took from the device.  Registered: the registry's
 * time of it; otherwise the stored registration's updated_at (a
 * registration the store still holds: the server restarted since, or
 * the device's registration is being written); -1 (null) when neither.
 */
static int64_t last_seen(int reg, const bw_lwsrv_regview_t *v, int64_t stored,
                         clocks_t c)
{
    if (reg)
        return wall_of(v->updated_ms, c.mono, c.wall);
    return stored >= 0 ? stored : -1;
}

static json_t *ms_or_null(int64_t ms)
{
    return ms >= 0 ? json_integer((json_int_t)ms) : json_null();
}

/* ---- GET /devices ------------------------------------------------------ */

/* Rows the store reads per device asked for, when a filter only the API
 * can apply (registered, seen_*) is given: a page stops there, short,
 * with next set. */
#define SCAN_PER_ITEM 10

typedef struct {
    bw_api_t *a;
    json_t *list;
    bw_lwsrv_regview_t *view;
    size_t limit;
    int want_reg;                    /* -1: any, else 0 or 1 */
    int64_t seen_before, seen_after; /* -1: absent */
    clocks_t clk;
} list_ctx_t;

static int list_one(void *arg, const bw_db_device_row_t *row)
{
    list_ctx_t *l = arg;
    const bw_db_device_t *d = &row->device;
    int reg = registered(l->a, d->endpoint, l->view);
    int64_t seen = last_seen(reg, l->view, row->stored_seen_ms, l->clk);
    if (l->want_reg >= 0 && reg != l->want_reg)
        return 0;
    if (l->seen_before >= 0 && (seen < 0 || seen >= l->seen_before))
        return 0;
    if (l->seen_after >= 0 && (seen < 0 || seen <= l->seen_after))
        return 0;
    json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:o}", "endpoint", d->endpoint,
                          "model", d->model, "tags", d->tags, "registered", reg,
                          "last_seen_ms", ms_or_null(seen));
    if (o == NULL || json_array_append_new(l->list, o) != 0)
        return BW_ENOMEM;
    return json_array_size(l->list) == l->limit ? BW_DB_FIND_STOP : 0;
}

/* A 400 naming the query parameter at fault. */
static json_t *bad_param(int *status, const char *name, const char *detail)
{
    json_t *e = bw_api__error(status, 400, "bad parameter", detail);
    if (e != NULL)
        json_object_set_new(e, "parameter", json_string(name));
    return e;
}

/* Unix milliseconds: 1..18 decimal digits.  -1 when not. */
static int64_t parse_ms(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* The ?tag= values split at commas into tags[] (pointers into buf, which
 * the caller frees).  0, or -1 for an empty piece or too many. */
static int split_tags(const bw_api_req_t *r, char **buf, const char **tags,
                      size_t *n)
{
    *n = 0;
    *buf = NULL;
    if (r->n_tag == 0)
        return 0;
    if (r->n_tag > BW_API_TAG_ARGS_MAX)
        return -1;
    size_t total = 0;
    for (size_t i = 0; i < r->n_tag; i++)
        total += strlen(r->tag[i]) + 1;
    char *p = *buf = malloc(total);
    if (p == NULL)
        return -2;
    for (size_t i = 0; i < r->n_tag; i++) {
        size_t len = strlen(r->tag[i]);
        memcpy(p, r->tag[i], len + 1);
        for (char *piece = p;;) {
            char *comma = strchr(piece, ',');
            if (comma != NULL)
                *comma = '\0';
            if (*piece == '\0' || *n == BW_DB_FILTER_TAGS_MAX)
                return -1;
            tags[(*n)++] = piece;
            if (comma == NULL)
                break;
            piece = comma + 1;
        }
        p += len + 1;
    }
    return 0;
}

/* The filter details, by the field bw_db_device_filter_check names. */
static json_t *bad_filter(int *status, const char *field)
{
    if (field != NULL && strcmp(field, "prefix") == 0)
        return bad_param(status, "prefix",
                         "prefix must be 1..64 endpoint name characters "
                         "(A-Z a-z 0-9 -._:@~+)");
    if (field != NULL && strcmp(field, "model") == 0)
        return bad_param(status, "model",
                         "model must be at most 64 bytes without control "
                         "characters");
    return bad_param(status, "tag",
                     "tag must be tags of 1..255 bytes without spaces, tabs "
                     "or control characters, comma-separated or repeated, "
                     "at most 16 in all");
}

json_t *bw_api__devices_list(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    long limit = bw_api__limit(r->limit);
    if (limit < 0)
        return bad_param(status, "limit", "limit must be 1..1000");
    if (r->after != NULL && *r->after != '\0' &&
        !bw_lwsrv_ep_valid(r->after, strlen(r->after)))
        return bad_param(status, "after", "after must be an endpoint name");
    list_ctx_t l = {.a = a,
                    .limit = (size_t)limit,
                    .want_reg = -1,
                    .seen_before = -1,
                    .seen_after = -1};
    if (r->registered != NULL) {
        if (strcmp(r->registered, "true") == 0)
            l.want_reg = 1;
        else if (strcmp(r->registered, "false") == 0)
            l.want_reg = 0;
        else
            return bad_param(status, "registered",
                             "registered must be true or false");
    }
    if (r->seen_before != NULL &&
        (l.seen_before = parse_ms(r->seen_before)) < 0)
        return bad_param(status, "seen_before",
                         "seen_before must be a time in Unix milliseconds "
                         "(digits only)");
    if (r->seen_after != NULL && (l.seen_after = parse_ms(r->seen_after)) < 0)
        return bad_param(status, "seen_after",
                         "seen_after must be a time in Unix milliseconds "
                         "(digits only)");
    const char *tags[BW_DB_FILTER_TAGS_MAX];
    char *tag_buf;
    bw_db_device_filter_t f = {
        .prefix = r->prefix, .model = r->model, .tags = tags};
    int split = split_tags(r, &tag_buf, tags, &f.n_tags);
    if (split == -2)
        return bw_api__error(status, 500, "internal", "out of memory");
    const char *field = NULL;
    if (split != 0 || bw_db_device_filter_check(&f, &field) != 0) {
        free(tag_buf);
        return bad_filter(status, split != 0 ? "tag" : field);
    }
    /* Only what the store cannot decide makes a page read more rows. */
    int api_filter = l.want_reg >= 0 || l.seen_before >= 0 || l.seen_after >= 0;
    size_t rows = (size_t)limit * (api_filter ? SCAN_PER_ITEM : 1);
    l.list = json_array();
    l.view = malloc(sizeof *l.view);
    if (l.list == NULL || l.view == NULL) {
        free(tag_buf);
        free(l.view);
        json_decref(l.list);
        return bw_api__error(status, 500, "internal", "out of memory");
    }
    l.clk = clocks_now();
    bw_db_page_t page;
    int err =
        bw_db_device_find(a->cfg.db, &f, r->after, rows, list_one, &l, &page);
    free(tag_buf);
    free(l.view);
    if (err != 0) {
        json_decref(l.list);
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
    json_t *out = json_pack("{s:o}", "devices", l.list);
    if (out != NULL)
        json_object_set_new(out, "next",
                            page.more ? json_string(page.last) : json_null());
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

/* Decode hex into out (cap bytes).  -1 when not hex or too long. */
static int unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = bw_api__hex_digit(s[2 * i]),
            lo = bw_api__hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return 0;
}

/* One PSK pair of a POST /devices body: both members or neither.
 * 1: given (psk filled), 0: absent, -1: why set. */
static int psk_pair(const json_t *body, const char *id_name,
                    const char *hex_name, const char **id, uint8_t *psk,
                    size_t *psk_len, const char **why)
{
    int bad = 0;
    *id = str_member(body, id_name, &bad);
    const char *hex = str_member(body, hex_name, &bad);
    if (bad || (*id == NULL) != (hex == NULL)) {
        *why = "psk_identity goes with psk_hex, dm_psk_identity with "
               "dm_psk_hex, each a string";
        return -1;
    }
    if (*id == NULL)
        return 0;
    if (unhex(hex, psk, BW_DB_PSK_MAX, psk_len) != 0) {
        OPENSSL_cleanse(psk, BW_DB_PSK_MAX);
        *why = "psk_hex and dm_psk_hex must be 2..128 hex digits (1..64 "
               "bytes), an even number";
        return -1;
    }
    return 1;
}

static json_t *import_error(int *status, int err, const char *which)
{
    char msg[160];
    switch (err) {
    case BW_EWEAK:
        snprintf(msg, sizeof msg,
                 "%s: PSK under 128 bits or one byte repeated, or an "
                 "identity derived from the endpoint name",
                 which);
        return bw_api__error(status, 422, "weak credential", msg);
    case BW_EDUPKEY:
        snprintf(msg, sizeof msg, "%s: this PSK is already used by a device",
                 which);
        return bw_api__error(status, 422, "reused credential", msg);
    case BW_EEXIST:
        snprintf(msg, sizeof msg, "%s: this PSK identity is already used",
                 which);
        return bw_api__error(status, 422, "reused credential", msg);
    case BW_EMALFORMED:
    case BW_EOVERFLOW:
        return bw_api__error(status, 400, "bad request",
                             "endpoint (1..64 of A-Z a-z 0-9 -._:@~+), "
                             "model (64), tags (255) or a PSK identity "
                             "(128) malformed or too long");
    default:
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
}

/*
 * POST /devices: a device with its factory bootstrap PSK (psk_identity,
 * psk_hex), and/or the DM credential another bootstrap server gave it
 * (dm_psk_identity, dm_psk_hex: this server is then one of its DM
 * servers), each stored as an active credential of its purpose, in one
 * transaction with the device (bw_db_device_provision): a refused
 * credential leaves nothing behind, on a new device or a known one.
 */
json_t *bw_api__devices_add(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    int bad = 0;
    const char *ep = str_member(r->body, "endpoint", &bad);
    const char *model = str_member(r->body, "model", &bad);
    const char *tags = str_member(r->body, "tags", &bad);
    const char *id = NULL, *dm_id = NULL, *why = NULL;
    uint8_t psk[BW_DB_PSK_MAX], dm_psk[BW_DB_PSK_MAX];
    size_t psk_len = 0, dm_len = 0;
    int fac = 0, dm = 0;
    if (bad || ep == NULL)
        why = "endpoint is a required string; model and tags are optional "
              "strings";
    if (why == NULL)
        fac = psk_pair(r->body, "psk_identity", "psk_hex", &id, psk, &psk_len,
                       &why);
    if (why == NULL)
        dm = psk_pair(r->body, "dm_psk_identity", "dm_psk_hex", &dm_id, dm_psk,
                      &dm_len, &why);
    if (why == NULL && fac == 0 && dm == 0)
        why = "give the factory bootstrap PSK (psk_identity, psk_hex), a DM "
              "credential (dm_psk_identity, dm_psk_hex), or both";
    if (why != NULL) {
        OPENSSL_cleanse(psk, sizeof psk);
        OPENSSL_cleanse(dm_psk, sizeof dm_psk);
        return bw_api__error(status, 400, "bad request", why);
    }
    int64_t now = bw_api__now_ms();
    bw_db_psk_item_t items[BW_DB_PROVISION_MAX];
    const char *names[BW_DB_PROVISION_MAX];
    size_t n = 0, refused = 0;
    if (fac == 1) {
        items[n] =
            (bw_db_psk_item_t){BW_DB_PURPOSE_BOOTSTRAP, (const uint8_t *)id,
                               strlen(id), psk, psk_len};
        names[n++] = "psk";
    }
    if (dm == 1) {
        items[n] = (bw_db_psk_item_t){BW_DB_PURPOSE_DM, (const uint8_t *)dm_id,
                                      strlen(dm_id), dm_psk, dm_len};
        names[n++] = "dm_psk";
    }
    int err = bw_db_device_provision(a->cfg.db, ep, model, tags, items, n, now,
                                     NULL, &refused);
    OPENSSL_cleanse(psk, sizeof psk);
    OPENSSL_cleanse(dm_psk, sizeof dm_psk);
    OPENSSL_cleanse(items, sizeof items);
    const char *which = refused < n ? names[refused] : "device";
    if (err != 0)
        return import_error(status, err, which);
    char detail[2 * BW_DB_IDENTITY_MAX + 96];
    snprintf(detail, sizeof detail, "%s%s%s%s",
             fac ? "factory bootstrap PSK" : "", fac && dm ? "; " : "",
             dm ? "DM credential " : "", dm ? dm_id : "");
    err = bw_db_audit_append(a->cfg.db, now, r->actor, "provisioned", ep,
                             detail, NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
    *status = 201;
    json_t *out =
        json_pack("{s:s, s:s, s:s}", "endpoint", ep, "model",
                  model != NULL ? model : "", "tags", tags != NULL ? tags : "");
    if (out != NULL) {
        json_object_set_new(out, "bootstrap_credential", json_boolean(fac));
        json_object_set_new(out, "dm_credential", json_boolean(dm));
    }
    return out;
}

/*
 * The object tree of a registration (api_objtree.h), or null when its
 * links do not parse.  The registry keeps the first bytes of the links
 * (links_truncated): the store keeps them whole, so a cut text is read
 * from the stored registration; when that fails too, the links up to
 * the last complete one are used and objects_truncated says so.
 */
static void put_objects(bw_api_t *a, json_t *out, const bw_lwsrv_regview_t *v)
{
    json_t *tree = NULL;
    int cut = 0;
    if (!v->links_truncated) {
        (void)bw_api_objtree_json(v->links, strlen(v->links), &tree);
    } else {
        bw_db_registration_t *stored = malloc(sizeof *stored);
        if (stored != NULL &&
            bw_db_registration_get(a->cfg.db, v->location, stored) == 0 &&
            strcmp(stored->endpoint, v->ep) == 0)
            (void)bw_api_objtree_json(stored->object_links,
                                      strlen(stored->object_links), &tree);
        free(stored);
        if (tree == NULL) {
            /* Registered links hold no comma inside an attribute value
             * (lwm2m_reg.h: ver, ct, rt="oma.lwm2m"). */
            const char *comma = strrchr(v->links, ',');
            if (comma != NULL)
                (void)bw_api_objtree_json(v->links, (size_t)(comma - v->links),
                                          &tree);
            cut = 1;
        }
    }
    json_object_set_new(out, "objects", tree != NULL ? tree : json_null());
    if (cut)
        json_object_set_new(out, "objects_truncated", json_true());
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
    int reg = registered(a, r->ep, v);
    clocks_t clk = clocks_now();
    int64_t stored = -1;
    if (!reg && bw_db_device_seen(a->cfg.db, r->ep, &stored) != 0)
        stored = -1;
    if (out != NULL && reg) {
        json_t *rv = json_pack(
            "{s:s, s:I, s:s, s:b, s:s, s:s, s:b, s:I, s:I, s:I}", "location",
            v->location, "lifetime", (json_int_t)v->lifetime, "binding",
            v->binding, "queue", v->queue != 0, "version",
            v->version_minor == 1 ? "1.1" : "1.0", "links", v->links,
            "links_truncated", v->links_truncated != 0, "registered_ms",
            (json_int_t)wall_of(v->registered_ms, clk.mono, clk.wall),
            "updated_ms",
            (json_int_t)wall_of(v->updated_ms, clk.mono, clk.wall),
            "expires_ms",
            (json_int_t)wall_of(v->expires_ms, clk.mono, clk.wall));
        json_object_set_new(out, "registered", json_true());
        json_object_set_new(out, "registration", rv != NULL ? rv : json_null());
        put_objects(a, out, v);
    } else if (out != NULL) {
        json_object_set_new(out, "registered", json_false());
        json_object_set_new(out, "objects", json_null());
    }
    if (out != NULL)
        json_object_set_new(out, "last_seen_ms",
                            ms_or_null(last_seen(reg, v, stored, clk)));
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
