/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /devices/{ep}/credentials, POST /devices/{ep}/credentials/{id}/
 * revoke and DELETE /devices/{ep} (api_creds.h).
 *
 * A revocation or a deletion is committed (with its audit entry) by the
 * store before anything else happens; then the DTLS sessions that
 * proved the credential are closed (cfg.close_identity) and the
 * registration the device made with it ends as if the device had
 * de-registered (bw_lwsrv_end).  A Register already past its
 * authorization when the revocation committed is refused by its own
 * group commit (BW_EREVOKED, 4.03); an Update finds its registration
 * gone (4.04).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_creds.h"

/* Longest {id}: ids are SQLite rowids, positive 64-bit; 18 digits keep
 * the value below 2^63 without an overflow check. */
#define ID_DIGITS_MAX 18

/* ---- shared pieces ------------------------------------------------------ */

static const char *purpose_name(bw_db_purpose_t p)
{
    return p == BW_DB_PURPOSE_DM ? "dm" : "bootstrap";
}

static const char *kind_name(bw_db_cred_kind_t k)
{
    return k == BW_DB_KIND_PSK ? "psk" : "cert";
}

static const char *state_name(bw_db_cred_state_t s)
{
    return s == BW_DB_CRED_ACTIVE    ? "active"
           : s == BW_DB_CRED_PENDING ? "pending"
                                     : "revoked";
}

/* The identity as JSON: a string when it is printable ASCII (what the
 * server issues and what factories use), else null and identity_hex. */
static void put_identity(json_t *o, const uint8_t *id, size_t n)
{
    int text = 1;
    for (size_t i = 0; i < n; i++)
        text &= id[i] >= 0x20 && id[i] < 0x7f;
    if (text) {
        json_object_set_new(o, "identity", json_stringn((const char *)id, n));
        return;
    }
    static const char hex[] = "0123456789abcdef";
    char h[2 * BW_DB_IDENTITY_MAX + 1];
    for (size_t i = 0; i < n && i < BW_DB_IDENTITY_MAX; i++) {
        h[2 * i] = hex[id[i] >> 4];
        h[2 * i + 1] = hex[id[i] & 15];
    }
    h[2 * (n < BW_DB_IDENTITY_MAX ? n : BW_DB_IDENTITY_MAX)] = '\0';
    json_object_set_new(o, "identity", json_null());
    json_object_set_new(o, "identity_hex", json_string(h));
}

/* End ep's registration in the DM server's memory (the store's row is
 * gone already): as a De-register, its observations end and the
 * campaigns and live events hear of it (bw_lwsrv_end).  1 when there
 * was one. */
static int end_registration(bw_api_t *a, const char *ep, const char *why)
{
    if (a->cfg.dm == NULL || bw_lwsrv_end(a->cfg.dm, ep, why) != 0)
        return 0;
    bw_api__log(a, "api: %s: registration ended (%s)", ep, why);
    return 1;
}

static void close_sessions(bw_api_t *a, bw_db_purpose_t purpose,
                           const uint8_t *identity, size_t len)
{
    if (a->cfg.close_identity != NULL && len > 0)
        a->cfg.close_identity(a->cfg.close_arg, purpose, identity, len);
}

/* {id}: 1..ID_DIGITS_MAX decimal digits without a leading zero (one
 * spelling per credential).  0 and *id, or -1. */
static int parse_id(const char *s, size_t n, int64_t *id)
{
    if (n == 0 || n > ID_DIGITS_MAX || (s[0] == '0' && n > 1))
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *id = v;
    return 0;
}

/* ---- GET /devices/{ep}/credentials -------------------------------------- */

typedef struct {
    json_t *list;
    int64_t last;
} list_ctx_t;

static int list_one(void *arg, const bw_db_cred_t *c)
{
    list_ctx_t *l = arg;
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)c->id,
                          "purpose", purpose_name(c->purpose), "kind",
                          kind_name(c->kind), "state", state_name(c->state),
                          "created_at", (json_int_t)c->created_ms);
    if (o == NULL)
        return BW_ENOMEM;
    put_identity(o, c->identity, c->identity_len);
    json_object_set_new(o, "revoked_at",
                        c->revoked_ms != 0 ? json_integer(c->revoked_ms)
                                           : json_null());
    if (json_array_append_new(l->list, o) != 0)
        return BW_ENOMEM;
    l->last = c->id;
    return 0;
}

static json_t *creds_list(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    long limit = bw_api__limit(r->limit);
    int64_t after = 0;
    if (r->after != NULL && parse_id(r->after, strlen(r->after), &after) != 0)
        limit = -1;
    if (limit < 0)
        return bw_api__error(status, 400, "bad parameter",
                             "after must be a credential id (the previous "
                             "page's next), limit 1..1000");
    list_ctx_t l = {.list = json_array()};
    if (l.list == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    int err = bw_db_credential_list(a->cfg.db, r->ep, after, (size_t)limit,
                                    list_one, &l);
    if (err != 0) {
        json_decref(l.list);
        if (err == BW_ENOTFOUND || err == BW_EMALFORMED)
            return bw_api__error(status, 404, "not found", "no such device");
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
    size_t n = json_array_size(l.list);
    *status = 200;
    return json_pack("{s:s, s:o, s:o}", "endpoint", r->ep, "credentials",
                     l.list, "next",
                     n == (size_t)limit ? json_integer(l.last) : json_null());
}

/* ---- POST /devices/{ep}/credentials/{id}/revoke ------------------------- */

static json_t *creds_revoke(bw_api_t *a, const bw_api_req_t *r, int64_t id,
                            int *status)
{
    bw_db_device_t *dev = malloc(sizeof *dev);
    int err = dev != NULL ? bw_db_device_get(a->cfg.db, r->ep, dev) : BW_ENOMEM;
    free(dev);
    if (err == BW_ENOTFOUND || err == BW_EMALFORMED)
        return bw_api__error(status, 404, "not found", "no such device");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    int64_t now = bw_api__now_ms();
    bw_db_revoked_t rv;
    err = bw_db_credential_revoke(a->cfg.db, r->ep, id, now, r->actor, &rv);
    if (err == BW_ENOTFOUND)
        return bw_api__error(status, 404, "not found",
                             "the device has no credential with this id");
    if (err == BW_EREVOKED)
        return bw_api__error(status, 409, "already revoked",
                             "this credential is revoked already");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    /* Committed and audited: from here the credential opens nothing.
     * Its sessions end, and the registration made with it (the ACTIVE
     * DM one) ends in memory too. */
    close_sessions(a, rv.purpose, rv.identity, rv.identity_len);
    int ended = rv.registration_ended;
    if (rv.purpose == BW_DB_PURPOSE_DM && rv.was == BW_DB_CRED_ACTIVE)
        ended |= end_registration(a, r->ep, "credential revoked");
    bw_api__log(a, "api: %s: credential %lld (%s) revoked by %s", r->ep,
                (long long)id, purpose_name(rv.purpose), r->actor);
    json_t *c =
        json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)id, "purpose",
                  purpose_name(rv.purpose), "kind", kind_name(rv.kind), "state",
                  "revoked", "revoked_at", (json_int_t)now);
    if (c != NULL)
        put_identity(c, rv.identity, rv.identity_len);
    int can_bs = rv.bootstrap_left > 0;
    json_t *out =
        json_pack("{s:s, s:o?, s:s, s:b, s:b}", "endpoint", r->ep, "credential",
                  c, "was", state_name(rv.was), "registration_ended",
                  ended != 0, "can_bootstrap", can_bs);
    if (out != NULL && !can_bs)
        json_object_set_new(
            out, "warning",
            json_string("the device has no usable bootstrap credential left: "
                        "it can no longer bootstrap (provision a new factory "
                        "key with POST /devices)"));
    *status = 200;
    return out;
}

json_t *bw_api__creds_route(bw_api_t *a, const char *rest,
                            const bw_api_req_t *r, int *status,
                            const char **allow)
{
    if (*rest == '\0') {
        if (strcmp(r->method, "GET") == 0)
            return creds_list(a, r, status);
        *allow = "GET";
        return bw_api__error(status, 405, "method not allowed", r->method);
    }
    if (*rest != '/')
        return bw_api__error(status, 404, "not found", "no such route");
    const char *p = rest + 1;
    const char *slash = strchr(p, '/');
    if (slash == NULL || strcmp(slash, "/revoke") != 0)
        return bw_api__error(status, 404, "not found",
                             "credentials are revoked with POST "
                             ".../credentials/{id}/revoke");
    int64_t id;
    if (parse_id(p, (size_t)(slash - p), &id) != 0)
        return bw_api__error(status, 400, "bad request",
                             "a credential id is a positive decimal number "
                             "(GET .../credentials lists them)");
    if (strcmp(r->method, "POST") != 0) {
        *allow = "POST";
        return bw_api__error(status, 405, "method not allowed", r->method);
    }
    return creds_revoke(a, r, id, status);
}

/* ---- DELETE /devices/{ep} ----------------------------------------------- */

/* The identities of a device's credentials, to end their sessions once
 * the device is gone.  A device has a few (factory key, a DM key per
 * rotation); past DELETE_IDS_MAX the older ones end when idle. */
#define DELETE_IDS_MAX 16

typedef struct {
    size_t n;
    struct {
        bw_db_purpose_t purpose;
        size_t len;
        uint8_t identity[BW_DB_IDENTITY_MAX];
    } c[DELETE_IDS_MAX];
} ids_t;

static int collect_id(void *arg, const bw_db_cred_t *c)
{
    ids_t *ids = arg;
    if (c->state != BW_DB_CRED_REVOKED && ids->n < DELETE_IDS_MAX) {
        ids->c[ids->n].purpose = c->purpose;
        ids->c[ids->n].len = c->identity_len;
        memcpy(ids->c[ids->n].identity, c->identity, c->identity_len);
        ids->n++;
    }
    return 0;
}

json_t *bw_api__device_delete(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    ids_t *ids = calloc(1, sizeof *ids);
    if (ids == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    /* Read before the purge (no identity is left after it); a credential
     * added between the two is revoked by the purge like the others and
     * its session ends when idle. */
    int err = bw_db_credential_list(a->cfg.db, r->ep, 0, BW_DB_LIST_MAX,
                                    collect_id, ids);
    bw_db_purged_t p;
    if (err == 0)
        err = bw_db_device_purge(a->cfg.db, r->ep, bw_api__now_ms(), r->actor,
                                 &p);
    if (err == 0)
        for (size_t i = 0; i < ids->n; i++)
            close_sessions(a, ids->c[i].purpose, ids->c[i].identity,
                           ids->c[i].len);
    free(ids);
    if (err == BW_ENOTFOUND || err == BW_EMALFORMED)
        return bw_api__error(status, 404, "not found", "no such device");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    int ended = end_registration(a, r->ep, "device deleted");
    bw_api__log(a, "api: %s: device deleted by %s", r->ep, r->actor);
    json_t *d = json_pack(
        "{s:I, s:b, s:b, s:I, s:I, s:I, s:I}", "credentials",
        (json_int_t)p.credentials, "registration", p.registration != 0 || ended,
        "bootstrap_config", p.bootstrap_config != 0, "queued_requests",
        (json_int_t)p.queued_requests, "telemetry", (json_int_t)p.telemetry,
        "campaigns", (json_int_t)p.campaigns, "campaign_events",
        (json_int_t)p.campaign_events);
    *status = 200;
    return json_pack("{s:s, s:o?, s:b}", "endpoint", r->ep, "deleted", d,
                     "registration_ended", ended != 0);
}
