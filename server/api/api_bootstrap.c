/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET, PUT and DELETE /api/v1/devices/{ep}/bootstrap (api_bootstrap.h).
 *
 * The answer is always the configuration the device gets at its next
 * bootstrap: {"endpoint", "server_uri", "lifetime", "binding", "servers"
 * (additional DM servers, without their keys), "default": true when it
 * is the server's defaults, "applies": when it takes effect}.  DELETE removes
 * the device's own configuration (bw_db_bootstrap_delete): from then on the
 * device gets the server's defaults as they are at its next bootstrap, and
 * "removed" says whether it had one.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_bootstrap.h"
#include "api_bootstrap_int.h"
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
    json_t *servers = bw_api__bs_servers_json(c);
    if (servers == NULL)
        return NULL;
    return json_pack("{s:s, s:s, s:I, s:s, s:o, s:b, s:s}", "endpoint", ep,
                     "server_uri", c->server_uri, "lifetime",
                     (json_int_t)c->lifetime_s, "binding", c->binding,
                     "servers", servers, "default", is_default, "applies",
                     applies);
}

/* The same as the defaults: the defaults have no additional server. */
static int same(const bw_db_bootstrap_t *x, const bw_db_bootstrap_t *y)
{
    return strcmp(x->server_uri, y->server_uri) == 0 &&
           x->lifetime_s == y->lifetime_s &&
           strcmp(x->binding, y->binding) == 0 && x->n_servers == 0 &&
           y->n_servers == 0;
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

/* The body of a PUT over the defaults; NULL, or what is wrong (why
 * holds the text of a bad "servers").  cur: the stored configuration
 * (NULL: none), whose keys servers given without one keep. */
static const char *parse(const json_t *body, const bw_db_bootstrap_t *cur,
                         bw_db_bootstrap_t *c, char *why, size_t cap)
{
    static const char *const members[] = {"server_uri", "lifetime", "binding",
                                          "servers", NULL};
    bw_api_dm_fault_t f = {NULL, NULL};
    if (bw_api_dm_members(body, members, &f) != 0)
        return "the members are server_uri, lifetime, binding and servers";
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
    if (bw_api__bs_servers_parse(json_object_get(body, "servers"), cur, c, why,
                                 cap) != 0)
        return why;
    return NULL;
}

/* "; additional: ssid 2 coaps://h:5684 (R on 1, C on 1)" for the audit
 * entry: what each server reaches, never its key. */
static void servers_text(const bw_db_bootstrap_t *c, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->n_servers && n < cap; i++) {
        const bw_db_bs_server_t *x = &c->servers[i];
        int w = snprintf(
            out + n, cap - n, "%s ssid %u %s identity %s access %s",
            i == 0 ? "; additional DM servers:" : ";", (unsigned)x->ssid,
            x->uri, x->psk_identity, x->access[0] != '\0' ? x->access : "none");
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

static json_t *store(bw_api_t *a, const bw_api_req_t *r, bw_db_bootstrap_t *c,
                     int is_default, const char *action, int *status)
{
    int err = bw_db_bootstrap_set(a->cfg.db, r->ep, c, bw_api__now_ms());
    if (err == BW_ENOTFOUND)
        return bw_api__error(status, 404, "not found", "no such device");
    if (err == BW_EMALFORMED || err == BW_EOVERFLOW || err == BW_ERANGE ||
        err == BW_EDUPKEY || err == BW_EWEAK)
        return bw_api__error(status, 400, "bad request", bw_strerror(err));
    if (err == BW_ESTATE)
        return bw_api__error(status, 409, "conflict",
                             "a key to keep is no longer stored: give "
                             "psk_hex");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    char detail[BW_DB_AUDIT_DETAIL_MAX];
    int w = snprintf(detail, sizeof detail, "binding %s, lifetime %u s, %s",
                     c->binding, (unsigned)c->lifetime_s, c->server_uri);
    if (w > 0 && (size_t)w < sizeof detail)
        servers_text(c, detail + w, sizeof detail - (size_t)w);
    err = bw_db_audit_append(a->cfg.db, bw_api__now_ms(), r->actor, action,
                             r->ep, detail, NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
    *status = 200;
    for (size_t i = 0; i < c->n_servers; i++)
        c->servers[i].psk_set = 1; /* given, or kept: stored now */
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

/* GET, PUT or DELETE with the three configurations in the heap. */
static json_t *answer(bw_api_t *a, const bw_api_req_t *r, int del, int get,
                      bw_db_bootstrap_t *def, bw_db_bootstrap_t *cur,
                      bw_db_bootstrap_t *c, int *status)
{
    int have_def = defaults(a, def);
    if (del)
        return reset(a, r, have_def ? def : NULL, status);
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
    err = bw_db_bootstrap_get(a->cfg.db, r->ep, cur);
    if (err != 0 && err != BW_ENOTFOUND)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    int configured = err == 0;
    if (get) {
        *status = 200;
        if (!configured)
            return config_json(r->ep, def, 1);
        return config_json(r->ep, cur, have_def && same(cur, def));
    }
    /* PUT replaces: the members given, the defaults for the others. */
    *c = *def;
    char why[512];
    const char *bad =
        parse(r->body, configured ? cur : NULL, c, why, sizeof why);
    if (bad != NULL)
        return bw_api__error(status, 400, "bad request", bad);
    return store(a, r, c, same(c, def), "bootstrap-config", status);
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
    /* The defaults, the stored configuration and the new one: about 4 KB
     * each, on the heap; the new one may hold keys. */
    bw_db_bootstrap_t *cfgs = calloc(3, sizeof *cfgs);
    if (cfgs == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    json_t *out = answer(a, r, del, get, &cfgs[0], &cfgs[1], &cfgs[2], status);
    OPENSSL_cleanse(cfgs, 3 * sizeof *cfgs);
    free(cfgs);
    return out;
}
