/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API tokens through the API (docs/api.md, "Tokens"): create one (its
 * text in the 201 answer, the only time it is shown), list them (never a
 * secret or a hash), revoke one by name.  Every route here needs the
 * admin role (api_http.c's table).  Creation and revocation are audited
 * with the caller as actor; a revocation empties the verified-token
 * cache before it is answered.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"

static json_t *token_json(const bw_db_token_t *t)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "name", t->name, "role",
                          bw_db_role_name(t->role), "id", t->lookup,
                          "created_at", (json_int_t)t->created_ms);
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "last_used_at",
                        t->last_used_ms != 0 ? json_integer(t->last_used_ms)
                                             : json_null());
    json_object_set_new(o, "revoked_at",
                        t->revoked_ms != 0 ? json_integer(t->revoked_ms)
                                           : json_null());
    return o;
}

static void audit(bw_api_t *a, const bw_api_req_t *r, const char *action,
                  const char *name, const char *detail)
{
    char subject[BW_DB_TOKEN_NAME_MAX + 8];
    snprintf(subject, sizeof subject, "token %s", name);
    int err = bw_db_audit_append(a->cfg.db, bw_api__now_ms(), r->actor, action,
                                 subject, detail, NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
}

static json_t *create(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    json_t *jn = json_object_get(r->body, "name");
    json_t *jr = json_object_get(r->body, "role");
    const char *name = json_string_value(jn);
    const char *role_s = json_string_value(jr);
    bw_db_role_t role;
    if (name == NULL || bw_db_token_name_check(name) != 0)
        return bw_api__error(status, 400, "bad request",
                             "name: 1..64 of A-Z a-z 0-9 - . _");
    if (role_s == NULL || bw_db_role_parse(role_s, &role) != 0)
        return bw_api__error(status, 400, "bad request",
                             "role: viewer, operator or admin");
    char text[BW_DB_TOKEN_HEX + 1];
    bw_db_token_t t;
    int err =
        bw_db_token_create(a->cfg.db, name, role, bw_api__now_ms(), text, &t);
    if (err == BW_EEXIST)
        return bw_api__error(status, 409, "conflict",
                             "a token with this name exists (names of revoked "
                             "tokens are not reused)");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    char detail[32];
    snprintf(detail, sizeof detail, "role %s", bw_db_role_name(role));
    audit(a, r, "token-created", name, detail);
    json_t *o = token_json(&t);
    /* jansson copies the text into a block its (wiping) allocator frees. */
    if (o != NULL)
        json_object_set_new(o, "token", json_string(text));
    sodium_memzero(text, sizeof text);
    *status = 201;
    return o;
}

static int list_one(void *arg, const bw_db_token_t *t)
{
    json_t *o = token_json(t);
    return o != NULL && json_array_append_new(arg, o) == 0 ? 0 : BW_ENOMEM;
}

static json_t *list(bw_api_t *a, int *status)
{
    json_t *items = json_array();
    int err = items != NULL ? bw_db_token_list(a->cfg.db, list_one, items)
                            : BW_ENOMEM;
    if (err != 0) {
        json_decref(items);
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
    *status = 200;
    return json_pack("{s:o}", "items", items);
}

static json_t *revoke(bw_api_t *a, const bw_api_req_t *r, const char *name,
                      int *status)
{
    bw_db_token_t t;
    int err = bw_db_token_revoke(a->cfg.db, name, bw_api__now_ms(), &t);
    if (err == BW_ENOTFOUND)
        return bw_api__error(status, 404, "not found", "no such token");
    if (err == BW_EREVOKED)
        return bw_api__error(status, 409, "conflict", "revoked already");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    /* Before answering: the next request with this token gets 401. */
    bw_api__auth_forget(a);
    audit(a, r, "token-revoked", name, NULL);
    *status = 200;
    return token_json(&t);
}

json_t *bw_api__tokens_route(bw_api_t *a, const char *rest, bw_api_req_t *r,
                             int *status, const char **allow)
{
    const char *m = r->method;
    if (*rest == '\0') {
        if (strcmp(m, "GET") == 0)
            return list(a, status);
        if (strcmp(m, "POST") == 0)
            return create(a, r, status);
        *allow = "GET, POST";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    const char *name = rest + 1;
    if (*rest != '/' || bw_db_token_name_check(name) != 0)
        return bw_api__error(status, 404, "not found", "no such token");
    if (strcmp(m, "DELETE") != 0) {
        *allow = "DELETE";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    return revoke(a, r, name, status);
}
