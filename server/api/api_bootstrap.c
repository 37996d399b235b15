/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET, PUT and DELETE /api/v1/devices/{ep}/bootstrap (api_bootstrap.h).
 *
 * The answer is always the configuration the device gets at its next
 * bootstrap: {"endpoint", "server_uri", "lifetime", "binding",
 * "default": true when it is the server's defaults, "applies": when it
 * takes effect}.  DELETE removes the device's own configuration
 * (bw_db_bootstrap_delete): from then on the device gets the server's
 * defaults as they are at its next bootstrap, and "removed" says
 * whether it had one.
 */
#include <stdio.h>
#include <string.h>

#include "api_bootstrap.h"
#include "api_dm.h"
#include "api_int.h"

static const char applies[] =
    "at the device's next bootstrap (POST /devices/{ep}/rotate or "
    "'bulwarkctl rotate EP' starts one)";

void bw_api_bootstrap_defaults(bw_api_t *api, const char *dm_uri,
                               uint32_t lifetime_s)
{
    if (api == NULL || dm_uri == NULL)
        return;
    snprintf(api->bs_dm_uri, sizeof api->bs_dm_uri, "%s", dm_uri);
    api->bs_lifetime_s = lifetime_s;
    __atomic_store_n(&api->bs_ready, 1, __ATOMIC_RELEASE);
}

static int defaults(bw_api_t *a, bw_db_bootstrap_t *out)
{
    memset(out, 0, sizeof *out);
    if (!__atomic_load_n(&a->bs_ready, __ATOMIC_ACQUIRE))
        return 0;
    snprintf(out->server_uri, sizeof out->server_uri, "%s", a->bs_dm_uri);
    out->lifetime_s = a->bs_lifetime_s;
    snprintf(out->binding, sizeof out->binding, "U");
    return 1;
}

static json_t *config_json(const char *ep, const bw_db_bootstrap_t *c,
                           int is_default)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:b, s:s}", "endpoint", ep,
                     "server_uri", c->server_uri, "lifetime",
                     (json_int_t)c->lifetime_s, "binding", c->binding,
                     "default", is_default, "applies", applies);
}

static int same(const bw_db_bootstrap_t *x, const bw_db_bootstrap_t *y)
{
    return strcmp(x->server_uri, y->server_uri) == 0 &&
           x->lifetime_s == y->lifetime_s &&
           strcmp(x->binding, y->binding) == 0;
}

/* A URI the device's bootstrap can use: coap:// or coaps://, a host,
 * printable ASCII without spaces, quotes or angle brackets. */
static int uri_ok(const char *u)
{
    size_t n = strlen(u);
    if (n > BW_DB_URI_MAX)
        return 0;
    size_t scheme = strncmp(u, "coaps://", 8) == 0  ? 8
                    : strncmp(u, "coap://", 7) == 0 ? 7
                                                    : 0;
    if (scheme == 0 || n == scheme)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (u[i] <= ' ' || u[i] > '~' || strchr("\"<>\\", u[i]) != NULL)
            return 0;
    return 1;
}

/* The body of a PUT over the defaults; NULL, or what is wrong. */
static const char *parse(const json_t *body, bw_db_bootstrap_t *c)
{
    static const char *const members[] = {"server_uri", "lifetime", "binding",
                                          NULL};
    bw_api_dm_fault_t f = {NULL, NULL};
    if (bw_api_dm_members(body, members, &f) != 0)
        return "the members are server_uri, lifetime and binding";
    const json_t *u = json_object_get(body, "server_uri");
    if (u != NULL) {
        const char *s = json_string_value(u);
        if (s == NULL || !uri_ok(s))
            return "server_uri must be a coap:// or coaps:// URI of at most "
                   "255 characters";
        snprintf(c->server_uri, sizeof c->server_uri, "%s", s);
    }
    const json_t *l = json_object_get(body, "lifetime");
    if (l != NULL) {
        json_int_t v = json_is_integer(l) ? json_integer_value(l) : -1;
        if (v < BW_API_BOOTSTRAP_LIFETIME_MIN ||
            v > BW_API_BOOTSTRAP_LIFETIME_MAX)
            return "lifetime must be 10..31536000 seconds";
        c->lifetime_s = (uint32_t)v;
    }
    const json_t *b = json_object_get(body, "binding");
    if (b != NULL) {
        const char *s = json_string_value(b);
        if (s == NULL || (strcmp(s, "U") != 0 && strcmp(s, "UQ") != 0))
            return "binding must be \"U\" or \"UQ\" (queue mode)";
        snprintf(c->binding, sizeof c->binding, "%s", s);
    }
    return NULL;
}

static json_t *store(bw_api_t *a, const bw_api_req_t *r,
                     const bw_db_bootstrap_t *c, int is_default,
                     const char *action, int *status)
{
    int err = bw_db_bootstrap_set(a->cfg.db, r->ep, c, bw_api__now_ms());
    if (err == BW_ENOTFOUND)
        return bw_api__error(status, 404, "not found", "no such device");
    if (err == BW_EMALFORMED || err == BW_EOVERFLOW || err == BW_ERANGE)
        return bw_api__error(status, 400, "bad request", bw_strerror(err));
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    char detail[BW_DB_URI_MAX + 64];
    snprintf(detail, sizeof detail, "binding %s, lifetime %u s, %s", c->binding,
             (unsigned)c->lifetime_s, c->server_uri);
    err = bw_db_audit_append(a->cfg.db, bw_api__now_ms(), r->actor, action,
                             r->ep, detail, NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
    *status = 200;
    return config_json(r->ep, c, is_default);
}

/* DELETE: the device's own configuration goes; def (NULL: not known
 * yet) is what it gets instead. */
static json_t *reset(bw_api_t *a, const bw_api_req_t *r,
                     const bw_db_bootstrap_t *def, int *status)
{
    int removed = 0;
    int err = bw_db_bootstrap_delete(a->cfg.db, r->ep, &removed);
    if (err == BW_ENOTFOUND || err == BW_EMALFORMED)
        return bw_api__error(status, 404, "not found", "no such device");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    err = bw_db_audit_append(
        a->cfg.db, bw_api__now_ms(), r->actor, "bootstrap-config-reset", r->ep,
        removed ? "its own configuration removed: the server's defaults apply"
                : "it had no configuration of its own",
        NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
    json_t *out = def != NULL ? config_json(r->ep, def, 1)
                              : json_pack("{s:s, s:b, s:s}", "endpoint", r->ep,
                                          "default", 1, "applies", applies);
    if (out != NULL)
        json_object_set_new(out, "removed", json_boolean(removed));
    *status = 200;
    return out;
}

json_t *bw_api__device_bootstrap(bw_api_t *a, const bw_api_req_t *r,
                                 int *status, const char **allow)
{
    int get = strcmp(r->method, "GET") == 0;
    int put = strcmp(r->method, "PUT") == 0;
    int del = strcmp(r->method, "DELETE") == 0;
    if (!get && !put && !del) {
        *allow = "GET, PUT, DELETE";
        return bw_api__error(status, 405, "method not allowed", r->method);
    }
    bw_db_bootstrap_t def, cur;
    int have_def = defaults(a, &def);
    if (del)
        return reset(a, r, have_def ? &def : NULL, status);
    if (!have_def && !get)
        return bw_api__error(status, 503, "unavailable",
                             "the server's bootstrap defaults are not known "
                             "yet");
    bw_db_device_t dev;
    int err = bw_db_device_get(a->cfg.db, r->ep, &dev);
    if (err == BW_ENOTFOUND)
        return bw_api__error(status, 404, "not found", "no such device");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    err = bw_db_bootstrap_get(a->cfg.db, r->ep, &cur);
    if (err != 0 && err != BW_ENOTFOUND)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    int configured = err == 0;
    if (get) {
        *status = 200;
        if (!configured)
            return config_json(r->ep, &def, 1);
        return config_json(r->ep, &cur, have_def && same(&cur, &def));
    }
    /* PUT replaces: the members given, the defaults for the others. */
    bw_db_bootstrap_t c = def;
    const char *why = parse(r->body, &c);
    if (why != NULL)
        return bw_api__error(status, 400, "bad request", why);
    return store(a, r, &c, same(&c, &def), "bootstrap-config", status);
}
