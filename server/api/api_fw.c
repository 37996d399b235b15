/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware repository through the API (docs/api.md, "Firmware"):
 * upload a signed image (the raw request body, up to BW_API_FW_BODY_MAX;
 * the repository verifies it, server/fleet/fw_repo.h), list the images,
 * show one.  Uploads, accepted or refused, are audited with the caller's
 * token as actor ("api:<name>").
 */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "db_fw.h"
#include "fw_repo.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static json_t *fw_json(const bw_api_t *a, const bw_db_fw_t *f)
{
    char sha[2 * BW_DB_FW_HASH_LEN + 1], kh[2 * BW_DB_FW_HASH_LEN + 1];
    char uri[BW_FWREPO_URI_MAX + 1];
    hex(f->sha256, BW_DB_FW_HASH_LEN, sha);
    hex(f->key_hash, BW_DB_FW_HASH_LEN, kh);
    int have_uri = a->cfg.fwrepo != NULL &&
                   bw_fwrepo_uri(a->cfg.fwrepo, f->id, uri, sizeof uri) == 0;
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s?, s:I}", "id",
                     f->id, "model", f->model, "version", f->version,
                     "security_counter", (json_int_t)f->security_counter,
                     "size", (json_int_t)f->size, "sha256", sha, "key_hash", kh,
                     "uri", have_uri ? uri : NULL, "uploaded_at",
                     (json_int_t)f->uploaded_ms);
}

/* The caller's token as actor ("api:<name>"), "api" before tokens. */
static const char *actor_of(const bw_api_req_t *r)
{
    return r->actor != NULL && r->actor[0] != '\0' ? r->actor : "api";
}

static void audit(bw_api_t *a, const bw_api_req_t *r, const char *action,
                  const char *id, const char *detail)
{
    char subject[32];
    snprintf(subject, sizeof subject, "firmware%s%s", id != NULL ? " " : "",
             id != NULL ? id : "");
    int err = bw_db_audit_append(a->cfg.db, bw_api__now_ms(), actor_of(r),
                                 action, subject, detail, NULL);
    if (err != 0)
        bw_api__log(a, "api: audit log: %s", bw_strerror(err));
}

static json_t *upload(bw_api_t *a, const bw_api_req_t *r, int *status)
{
    if (a->cfg.fwrepo == NULL)
        return bw_api__error(status, 503, "unavailable",
                             "the firmware repository is not running");
    if (r->raw == NULL || r->raw_len == 0)
        return bw_api__error(status, 400, "bad request",
                             "empty body: send the signed image as the body "
                             "(Content-Type: application/octet-stream)");
    bw_db_fw_t fw;
    char why[256] = "";
    int err = bw_fwrepo_upload(a->cfg.fwrepo, r->raw, r->raw_len, actor_of(r),
                               bw_api__now_ms(), &fw, why, sizeof why);
    if (err == 0) {
        char d[BW_DB_FW_MODEL_MAX + BW_DB_FW_VERSION_MAX + 96];
        snprintf(d, sizeof d,
                 "model %s, version %s, security counter %lu, "
                 "%lu bytes",
                 fw.model, fw.version, (unsigned long)fw.security_counter,
                 (unsigned long)fw.size);
        audit(a, r, "firmware-uploaded", fw.id, d);
        json_t *j = fw_json(a, &fw);
        *status = 201;
        return j;
    }
    audit(a, r, "firmware-refused", NULL, why);
    switch (err) {
    case BW_EEXIST:
    case BW_EROLLBACK:
        return bw_api__error(status, 409, "conflict", why);
    case BW_ETIMEOUT:
    case BW_EIO:
    case BW_ENOMEM:
    case BW_ECRYPTO:
    case BW_EINVAL:
        return bw_api__error(status, 500, "storage", why);
    default:
        return bw_api__error(status, 422, "image refused", why);
    }
}

typedef struct {
    const bw_api_t *a;
    json_t *items;
} list_t;

static int list_cb(void *arg, const bw_db_fw_t *fw)
{
    list_t *l = arg;
    json_t *j = fw_json(l->a, fw);
    return j != NULL && json_array_append_new(l->items, j) == 0 ? 0 : BW_ENOMEM;
}

static json_t *list(bw_api_t *a, int *status)
{
    list_t l = {a, json_array()};
    if (l.items == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    int err = bw_db_fw_list(a->cfg.db, BW_DB_LIST_MAX, list_cb, &l);
    if (err != 0) {
        json_decref(l.items);
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    }
    return json_pack("{s:o}", "items", l.items);
}

static json_t *get_one(bw_api_t *a, const char *id, int *status)
{
    bw_db_fw_t fw;
    int err = bw_db_fw_get(a->cfg.db, id, &fw);
    if (err == BW_ENOTFOUND || err == BW_EMALFORMED)
        return bw_api__error(status, 404, "not found",
                             "no firmware with this id in the repository "
                             "(ids are 16 lowercase hex digits)");
    if (err != 0)
        return bw_api__error(status, 500, "storage", bw_strerror(err));
    return fw_json(a, &fw);
}

json_t *bw_api__firmware_route(bw_api_t *a, const char *rest, bw_api_req_t *r,
                               int *status, const char **allow)
{
    const char *m = r->method;
    if (rest[0] == '\0') {
        if (strcmp(m, "GET") == 0)
            return list(a, status);
        if (strcmp(m, "POST") == 0)
            return upload(a, r, status);
        *allow = "GET, POST";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    const char *id = rest + 1; /* rest starts with '/' */
    if (strchr(id, '/') != NULL || strlen(id) > BW_DB_FW_ID_LEN)
        return bw_api__error(status, 404, "not found", "no such route");
    if (strcmp(m, "GET") != 0) {
        *allow = "GET";
        return bw_api__error(status, 405, "method not allowed", m);
    }
    return get_one(a, id, status);
}
