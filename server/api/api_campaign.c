/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Update campaigns through the API (docs/api.md, "Campaigns"): create
 * one (every field validated, 400 naming the field), list them, one with
 * its devices, pause/resume/abort (409 on a transition the state does not
 * allow), one device with its history.  Reads go to the store; creation
 * and control go through the campaign engine (server/fleet/campaign.h),
 * which records and acts under its own lock.  Every mutating call is
 * audited with the caller's token as actor ("api:<name>").
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "campaign.h"
#include "db_campaign.h"

/* A campaign's devices in one answer: the store's limit for targets. */
#define MAX_CONCURRENT_MAX 10000

static void audit(bw_api_t *a, const bw_api_req_t *r, const char *action,
                  int64_t id, const char *detail)
{
    char subject[32];
    snprintf(subject, sizeof subject, "campaign %lld", (long long)id);
    int err = bw_db_audit_append(a->cfg.db, bw_api__now_ms(), r->actor, action,
                                 subject, detail, NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
}

/* 400 naming the field: {"error":"bad request","field":f,"detail":...}. */
static json_t *bad_field(int *status, const char *field, const char *why)
{
    char d[256];
    snprintf(d, sizeof d, "%s: %s", field, why);
    json_t *j = bw_api__error(status, 400, "bad request", d);
    if (j != NULL)
        json_object_set_new(j, "field", json_string(field));
    return j;
}

static json_t *campaign_json(const bw_db_campaign_t *c)
{
    json_t *batches = json_array();
    for (size_t k = 0; batches != NULL && k < c->n_batches; k++)
        json_array_append_new(batches, json_integer(c->batches[k]));
    json_t *counts = json_object();
    if (counts != NULL) {
        for (int s = 0; s < BW_DB_CDEV_COUNT_; s++)
            json_object_set_new(counts,
                                bw_db_cdev_state_name((bw_db_cdev_state_t)s),
                                json_integer((json_int_t)c->counts[s]));
        json_object_set_new(counts, "total",
                            json_integer((json_int_t)c->total));
    }
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:o*, s:I, s:f, s:b, s:o*, s:I, "
        "s:I}",
        "id", (json_int_t)c->id, "name", c->name, "firmware", c->firmware_id,
        "version", c->version, "model", c->model, "state",
        bw_db_camp_state_name(c->state), "current_batch", (int)c->current_batch,
        "batches", batches, "max_concurrent", (json_int_t)c->max_concurrent,
        "failure_threshold", (double)c->threshold_bp / 100.0, "auto_upgrade",
        c->auto_upgrade, "counts", counts, "created_at",
        (json_int_t)c->created_ms, "updated_at", (json_int_t)c->updated_ms);
    if (o == NULL)
        return NULL;
    const char *delivery = bw_db_delivery_name(c->delivery);
    json_object_set_new(o, "delivery",
                        json_string(delivery != NULL ? delivery : "pull"));
    if (c->halt_reason[0] != '\0')
        json_object_set_new(o, "halt_reason", json_string(c->halt_reason));
    if (c->window_start >= 0) {
        char s[16], e[16];
        snprintf(s, sizeof s, "%02d:%02d", (c->window_start / 60) % 24,
                 c->window_start % 60);
        snprintf(e, sizeof e, "%02d:%02d", (c->window_end / 60) % 24,
                 c->window_end % 60);
        json_object_set_new(o, "window",
                            json_pack("{s:s, s:s}", "start", s, "end", e));
    }
    return o;
}

static json_t *cdev_json(const bw_db_cdev_t *d)
{
    return json_pack("{s:s, s:i, s:s, s:i, s:s, s:I}", "endpoint", d->endpoint,
                     "batch", (int)d->batch, "state",
                     bw_db_cdev_state_name(d->state), "result", d->result,
                     "detail", d->detail, "updated_at",
                     (json_int_t)d->updated_ms);
}

static json_t *storage_error(int *status, int err)
{
    if (err == BW_ENOTFOUND)
        return bw_api__error(status, 404, "not found", "no such campaign");
    return bw_api__error(status, 500, "storage", bw_strerror(err));
}

/* ---- parsing the body of POST /campaigns ------------------------------ */

/* An array of non-empty strings; *out is malloc'd (NULL when absent). */
static const char *str_list(const json_t *v, const char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (v == NULL)
        return NULL;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return "must be a non-empty array of strings";
    if (json_array_size(v) > BW_DB_SELECTOR_LIST_MAX)
        return "too many entries";
    const char **l = calloc(json_array_size(v), sizeof *l);
    if (l == NULL)
        return "out of memory";
    for (size_t i = 0; i < json_array_size(v); i++) {
        l[i] = json_string_value(json_array_get(v, i));
        if (l[i] == NULL || l[i][0] == '\0') {
            free(l);
            return "must be a non-empty array of strings";
        }
    }
    *out = l;
    *n = json_array_size(v);
    return NULL;
}

/* "HH:MM" -> minutes of the day, or -1. */
static int hhmm(const json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

static int known(const char *key, const char *const *keys)
{
    for (; *keys != NULL; keys++)
        if (strcmp(key, *keys) == 0)
            return 1;
    return 0;
}

typedef struct {
    bw_db_campaign_spec_t s;
    const char **lists[3];
} parsed_t;

static void parsed_free(parsed_t *p)
{
    for (int i = 0; i < 3; i++)
        free(p->lists[i]);
}

/* Fill p from the body; NULL, or the JSON error to answer. */
static json_t *parse(const json_t *b, parsed_t *p, int *status)
{
    static const char *const top[] = {"name",           "firmware",
                                      "selector",       "batches",
                                      "max_concurrent", "failure_threshold",
                                      "window",         "auto_upgrade",
                                      "delivery",       NULL};
    static const char *const selk[] = {"model", "versions", "tags", "endpoints",
                                       NULL};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)b, key, v)
    {
        if (!known(key, top))
            return bad_field(status, key, "unknown field");
    }
    bw_db_campaign_spec_t *s = &p->s;
    s->created_by = "api";
    s->window_start = s->window_end = -1;
    s->name = json_string_value(json_object_get(b, "name"));
    if (s->name == NULL || s->name[0] == '\0' ||
        strlen(s->name) > BW_DB_CAMPAIGN_NAME_MAX)
        return bad_field(status, "name",
                         "a string of 1..128 bytes is required");
    for (const char *c = s->name; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return bad_field(status, "name", "control characters");
    s->firmware_id = json_string_value(json_object_get(b, "firmware"));
    int hex =
        s->firmware_id != NULL && strlen(s->firmware_id) == BW_DB_FW_ID_LEN;
    for (size_t i = 0; hex && i < BW_DB_FW_ID_LEN; i++) {
        char c = s->firmware_id[i];
        hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    if (!hex)
        return bad_field(status, "firmware",
                         "a firmware id (16 lowercase hex digits) is "
                         "required");

    const json_t *sel = json_object_get(b, "selector");
    if (sel != NULL && !json_is_object(sel))
        return bad_field(status, "selector", "must be an object");
    json_object_foreach((json_t *)(uintptr_t)sel, key, v)
    {
        if (!known(key, selk)) {
            char f[96];
            snprintf(f, sizeof f, "selector.%.64s", key);
            return bad_field(status, f, "unknown field");
        }
    }
    const json_t *m = json_object_get(sel, "model");
    if (m != NULL) {
        s->selector.model = json_string_value(m);
        if (s->selector.model == NULL || s->selector.model[0] == '\0')
            return bad_field(status, "selector.model",
                             "must be a non-empty string");
    }
    static const char *const names[3] = {"selector.versions", "selector.tags",
                                         "selector.endpoints"};
    size_t *ns[3] = {&s->selector.n_versions, &s->selector.n_tags,
                     &s->selector.n_endpoints};
    for (int i = 0; i < 3; i++) {
        const char *why =
            str_list(json_object_get(sel, names[i] + 9), &p->lists[i], ns[i]);
        if (why != NULL)
            return bad_field(status, names[i], why);
    }
    s->selector.versions = p->lists[0];
    s->selector.tags = p->lists[1];
    s->selector.endpoints = p->lists[2];

    const json_t *bt = json_object_get(b, "batches");
    if (bt == NULL) {
        s->batches[0] = 100;
        s->n_batches = 1;
    } else {
        if (!json_is_array(bt) || json_array_size(bt) == 0 ||
            json_array_size(bt) > BW_DB_CAMPAIGN_BATCHES_MAX)
            return bad_field(status, "batches",
                             "an array of 1..16 percentages is required");
        for (size_t k = 0; k < json_array_size(bt); k++) {
            const json_t *x = json_array_get(bt, k);
            json_int_t pct = json_integer_value(x);
            if (!json_is_integer(x) || pct < 1 || pct > 100 ||
                (k > 0 && pct <= s->batches[k - 1]))
                return bad_field(status, "batches",
                                 "integers 1..100, strictly ascending");
            s->batches[k] = (uint8_t)pct;
        }
        s->n_batches = json_array_size(bt);
        if (s->batches[s->n_batches - 1] != 100)
            return bad_field(status, "batches", "the last must be 100");
    }

    const json_t *mc = json_object_get(b, "max_concurrent");
    s->max_concurrent = 10;
    if (mc != NULL) {
        if (!json_is_integer(mc) || json_integer_value(mc) < 1 ||
            json_integer_value(mc) > MAX_CONCURRENT_MAX)
            return bad_field(status, "max_concurrent",
                             "an integer 1..10000 is required");
        s->max_concurrent = (uint32_t)json_integer_value(mc);
    }
    const json_t *ft = json_object_get(b, "failure_threshold");
    s->threshold_bp = 100;
    if (ft != NULL) {
        double x = json_number_value(ft);
        if (!json_is_number(ft) || !(x >= 0.0 && x <= 100.0))
            return bad_field(status, "failure_threshold",
                             "a number of percent 0..100 is required");
        s->threshold_bp = (uint32_t)(x * 100.0 + 0.5); /* x >= 0 */
    }
    const json_t *w = json_object_get(b, "window");
    if (w != NULL) {
        if (!json_is_object(w) || json_object_size(w) != 2)
            return bad_field(status, "window",
                             "an object {\"start\":\"HH:MM\",\"end\":"
                             "\"HH:MM\"} is required");
        s->window_start = hhmm(json_object_get(w, "start"));
        s->window_end = hhmm(json_object_get(w, "end"));
        if (s->window_start < 0)
            return bad_field(status, "window.start", "HH:MM (UTC) expected");
        if (s->window_end < 0)
            return bad_field(status, "window.end", "HH:MM (UTC) expected");
        if (s->window_start == s->window_end)
            return bad_field(status, "window",
                             "start and end must differ (omit the window "
                             "for always)");
    }
    const json_t *au = json_object_get(b, "auto_upgrade");
    if (au != NULL && !json_is_boolean(au))
        return bad_field(status, "auto_upgrade", "must be true or false");
    s->auto_upgrade = json_is_true(au);
    const json_t *dv = json_object_get(b, "delivery");
    int delivery = dv == NULL ? BW_DB_DELIVERY_PULL
                              : bw_db_delivery_parse(json_string_value(dv));
    if (delivery < 0)
        return bad_field(status, "delivery", "\"pull\" or \"push\" expected");
    s->delivery = (bw_db_delivery_t)delivery;
    /* The order of the targets: random, not secret. */
    uint64_t seed = 0;
    if (RAND_bytes((unsigned char *)&seed, sizeof seed) != 1)
        seed = (uint64_t)bw_api__now_ms();
    s->seed = seed;
    return NULL;
}

/* ---- handlers ----------------------------------------------------------- */

static json_t *campaign_answer(bw_api_t *a, int64_t id, int *status, int code)
{
    bw_db_campaign_t *c = malloc(sizeof *c);
    if (c == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    int err = bw_db_campaign_get(a->cfg.db, id, c);
    json_t *out = err == 0 ? campaign_json(c) : storage_error(status, err);
    if (err == 0)
        *status = code;
    free(c);
    return out;
}

json_t *bw_api__campaign_create(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    if (a->cfg.campaigns == NULL)
        return bw_api__error(status, 503, "unavailable",
                             "campaigns need the DM role");
    parsed_t p;
    memset(&p, 0, sizeof p);
    json_t *bad = parse(r->body, &p, status);
    p.s.created_by = r->actor;
    if (bad != NULL) {
        parsed_free(&p);
        return bad;
    }
    int64_t id = 0;
    uint64_t n = 0;
    int err =
        bw_campaign_create(a->cfg.campaigns, &p.s, bw_api__now_ms(), &id, &n);
    char detail[256];
    snprintf(detail, sizeof detail, "%.128s: firmware %s, %llu device(s)",
             p.s.name, p.s.firmware_id, (unsigned long long)n);
    parsed_free(&p);
    switch (err) {
    case 0:
        audit(a, r, "campaign-created", id, detail);
        return campaign_answer(a, id, status, 201);
    case BW_ENOTFOUND:
        return bw_api__error(status, 404, "unknown firmware",
                             "no firmware with this id in the repository");
    case BW_ENOMATCH:
        return bw_api__error(status, 422, "no matching device",
                             "no device matches the selector");
    case BW_ETYPE:
        return bw_api__error(status, 422, "wrong model",
                             "selector.model is not the model the image is "
                             "built for");
    case BW_EMALFORMED:
    case BW_EOVERFLOW:
        return bad_field(status, "selector",
                         "an entry is too long, has control characters, a "
                         "tag holds a separator, or an endpoint name is not "
                         "one");
    default:
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
}

typedef struct {
    json_t *items;
    int64_t last;
} list_t;

static int list_one(void *arg, const bw_db_campaign_t *c)
{
    list_t *l = arg;
    json_t *o = campaign_json(c);
    l->last = c->id;
    return o != NULL && json_array_append_new(l->items, o) == 0 ? 0 : BW_ENOMEM;
}

json_t *bw_api__campaigns_list(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    (void)r;
    list_t l = {.items = json_array(), .last = 0};
    if (l.items == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    int err = 0;
    size_t before;
    do { /* every campaign, a page of the store at a time */
        before = json_array_size(l.items);
        err = bw_db_campaign_list(a->cfg.db, l.last, BW_DB_LIST_MAX, list_one,
                                  &l);
    } while (err == 0 && json_array_size(l.items) - before == BW_DB_LIST_MAX);
    if (err != 0) {
        json_decref(l.items);
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
    *status = 200;
    return json_pack("{s:o}", "items", l.items);
}

static int dev_one(void *arg, const bw_db_cdev_t *d)
{
    json_t *o = cdev_json(d);
    return o != NULL && json_array_append_new(arg, o) == 0 ? 0 : BW_ENOMEM;
}

json_t *bw_api__campaign_get(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    json_t *out = campaign_answer(a, r->id, status, 200);
    if (*status != 200)
        return out;
    json_t *devs = json_array();
    int err = devs != NULL
                  ? bw_db_campaign_devices(a->cfg.db, r->id, dev_one, devs)
                  : BW_ENOMEM;
    if (err != 0) {
        json_decref(devs);
        json_decref(out);
        return storage_error(status, err);
    }
    json_object_set_new(out, "devices", devs);
    return out;
}

json_t *bw_api__campaign_control(bw_api_t *a, const bw_api_req_t *r,
                                 bw_api_campaign_op_t op, int *status)
{
    static const char *const names[] = {"pause", "resume", "abort"};
    static const char *const actions[] = {"campaign-paused", "campaign-resumed",
                                          "campaign-aborted"};
    static const bw_campaign_op_t ops[] = {
        BW_CAMPAIGN_PAUSE, BW_CAMPAIGN_RESUME, BW_CAMPAIGN_ABORT};
    if (a->cfg.campaigns == NULL)
        return bw_api__error(status, 503, "unavailable",
                             "campaigns need the DM role");
    int err =
        bw_campaign_control(a->cfg.campaigns, r->id, ops[op], bw_api__now_ms());
    if (err == BW_ESTATE) {
        bw_db_campaign_t *c = malloc(sizeof *c);
        char d[96];
        snprintf(d, sizeof d, "cannot %s a campaign that is %s", names[op],
                 c != NULL && bw_db_campaign_get(a->cfg.db, r->id, c) == 0
                     ? bw_db_camp_state_name(c->state)
                     : "in this state");
        free(c);
        return bw_api__error(status, 409, "conflict", d);
    }
    if (err != 0)
        return storage_error(status, err);
    audit(a, r, actions[op], r->id, NULL);
    return campaign_answer(a, r->id, status, 200);
}

static int hist_one(void *arg, const bw_db_cevent_t *e)
{
    json_t *o = json_pack("{s:I, s:s, s:s}", "at", (json_int_t)e->at_ms,
                          "state", e->state, "detail", e->detail);
    return o != NULL && json_array_append_new(arg, o) == 0 ? 0 : BW_ENOMEM;
}

json_t *bw_api__campaign_device(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    bw_db_cdev_t d;
    int err = bw_db_campaign_device_get(a->cfg.db, r->id, r->ep, &d);
    if (err == BW_ENOTFOUND || err == BW_EMALFORMED) /* not a name */
        return bw_api__error(status, 404, "not found",
                             "no such campaign, or the device is not in it");
    if (err != 0)
        return storage_error(status, err);
    json_t *out = cdev_json(&d);
    json_t *h = json_array();
    err = out != NULL && h != NULL
              ? bw_db_campaign_history(a->cfg.db, r->id, r->ep, hist_one, h)
              : BW_ENOMEM;
    if (err != 0) {
        json_decref(out);
        json_decref(h);
        return storage_error(status, err);
    }
    json_object_set_new(out, "started_at", json_integer(d.started_ms));
    json_object_set_new(out, "history", h);
    *status = 200;
    return out;
}

/* ---- routes under /api/v1/campaigns ----------------------------------- */

static json_t *not_allowed(int *status, const char **allow, const char *what,
                           const char *method)
{
    *allow = what;
    return bw_api__error(status, 405, "method not allowed", method);
}

/* A campaign id: 1..18 decimal digits, no sign, no leading zero. */
static int64_t parse_id(const char *s, size_t n)
{
    if (n == 0 || n > 18 || s[0] == '0')
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

json_t *bw_api__campaign_route(bw_api_t *a, const char *rest, bw_api_req_t *r,
                               int *status, const char **allow)
{
    int get = strcmp(r->method, "GET") == 0;
    int post = strcmp(r->method, "POST") == 0;
    if (*rest == '\0') {
        if (get)
            return bw_api__campaigns_list(a, r, status);
        if (post)
            return bw_api__campaign_create(a, r, status);
        return not_allowed(status, allow, "GET, POST", r->method);
    }
    if (*rest++ != '/')
        return bw_api__error(status, 404, "not found", "no such route");
    const char *slash = strchr(rest, '/');
    size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
    r->id = parse_id(rest, n);
    if (r->id == 0)
        return bw_api__error(status, 404, "not found", "no such campaign");
    if (slash == NULL) {
        if (get)
            return bw_api__campaign_get(a, r, status);
        return not_allowed(status, allow, "GET", r->method);
    }
    const char *act = slash + 1;
    static const char *const ops[] = {"pause", "resume", "abort"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(act, ops[i]) != 0)
            continue;
        if (!post)
            return not_allowed(status, allow, "POST", r->method);
        return bw_api__campaign_control(a, r, (bw_api_campaign_op_t)i, status);
    }
    if (strncmp(act, "devices/", 8) != 0 || act[8] == '\0' ||
        strchr(act + 8, '/') != NULL)
        return bw_api__error(status, 404, "not found", "no such route");
    char ep[BW_DB_ENDPOINT_MAX + 1];
    if (strlen(act + 8) > BW_DB_ENDPOINT_MAX)
        return bw_api__error(status, 404, "not found", "no such device");
    snprintf(ep, sizeof ep, "%s", act + 8);
    if (!get)
        return not_allowed(status, allow, "GET", r->method);
    r->ep = ep;
    json_t *out = bw_api__campaign_device(a, r, status);
    r->ep = NULL; /* ep goes out of scope */
    return out;
}
