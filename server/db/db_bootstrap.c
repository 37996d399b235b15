/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bootstrap configurations (db.h): the DM server a device is given at
 * bootstrap (bootstrap_configs, schema 1) and its additional DM servers
 * (bootstrap_servers, schema 14).
 *
 * An additional server's key is sealed like a credential's PSK
 * (db_secret.c), under a key bound to a label made of the device's
 * endpoint, the server's Short Server ID and its PSK identity: a sealed
 * key copied to another device's row, another server's or a credential
 * does not open.  Only bw_db_bootstrap_keys opens them, for the
 * bootstrap server; the API never gets one back.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "db_int.h"

/* LwM2M 1.1 bindings a DM server can be given (Server /1/x/7). */
static int binding_check(const char *b)
{
    static const char *const ok[] = {"U", "UQ", "T", "TQ", "N", "NQ"};
    if (b == NULL)
        return BW_EINVAL;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(b, ok[i]) == 0)
            return 0;
    return BW_EMALFORMED;
}

/* The sealing label of an additional server's key. */
#define LABEL_PREFIX "bulwark bootstrap server"
#define LABEL_MAX                                                              \
    (sizeof LABEL_PREFIX + BW_DB_ENDPOINT_MAX + 1 + 2 + BW_DB_IDENTITY_MAX)

static size_t label(const char *ep, uint16_t ssid, const char *identity,
                    uint8_t out[LABEL_MAX])
{
    size_t n = 0, e = strlen(ep), i = strlen(identity);
    memcpy(out, LABEL_PREFIX, sizeof LABEL_PREFIX); /* with its NUL */
    n += sizeof LABEL_PREFIX;
    memcpy(out + n, ep, e + 1);
    n += e + 1;
    out[n++] = (uint8_t)(ssid >> 8);
    out[n++] = (uint8_t)ssid;
    memcpy(out + n, identity, i);
    return n + i;
}

static int key_weak(const uint8_t *psk, size_t n)
{
    size_t same = 1;
    for (size_t i = 1; i < n; i++)
        same += psk[i] == psk[0];
    return n < BW_DB_PSK_MIN || same == n;
}

static int server_check(const bw_db_bs_server_t *x)
{
    int err = bw_db__text_check(x->uri, BW_DB_URI_MAX, 0, 0);
    if (err == 0)
        err = binding_check(x->binding);
    if (err == 0)
        err = bw_db__text_check(x->psk_identity, BW_DB_IDENTITY_MAX, 0, 0);
    if (err == 0)
        err = bw_db__text_check(x->access, BW_DB_ACCESS_MAX, 1, 0);
    if (err == 0 && (x->ssid == 0 || x->ssid == 65535 || x->lifetime_s == 0))
        err = BW_ERANGE;
    if (err == 0 && x->psk_len > BW_DB_PSK_MAX)
        err = BW_EOVERFLOW;
    if (err == 0 && x->psk_len > 0 && key_weak(x->psk, x->psk_len))
        err = BW_EWEAK;
    return err;
}

static int config_check(const bw_db_bootstrap_t *cfg)
{
    int err = bw_db__text_check(cfg->server_uri, BW_DB_URI_MAX, 0, 0);
    if (err == 0)
        err = binding_check(cfg->binding);
    if (err == 0 && cfg->lifetime_s == 0)
        err = BW_ERANGE;
    if (err == 0 && cfg->n_servers > BW_DB_BS_SERVERS_MAX)
        err = BW_EINVAL;
    for (size_t i = 0; err == 0 && i < cfg->n_servers; i++) {
        err = server_check(&cfg->servers[i]);
        for (size_t j = 0; err == 0 && j < i; j++)
            if (cfg->servers[j].ssid == cfg->servers[i].ssid)
                err = BW_EDUPKEY;
    }
    return err;
}

/* A sealed key as stored. */
typedef struct {
    uint8_t nonce[BW_DB_NONCE_LEN];
    uint8_t box[BW_DB_PSK_MAX + BW_DB_MAC_LEN];
    size_t box_len;
} sealed_t;

/* The stored box of (dev, ssid, identity), to keep it (lock held, in the
 * transaction).  BW_ESTATE when there is none. */
static int kept_box(bw_db_t *db, int64_t dev, const bw_db_bs_server_t *x,
                    sealed_t *out)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT psk_nonce, psk_box FROM bootstrap_servers "
                             "WHERE device_id = ? AND ssid = ? AND "
                             "psk_identity = ?",
                             &st);
    if (err != 0)
        return err;
    sqlite3_bind_int64(st, 1, dev);
    sqlite3_bind_int64(st, 2, x->ssid);
    sqlite3_bind_text(st, 3, x->psk_identity, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        size_t nl = (size_t)sqlite3_column_bytes(st, 0);
        size_t bl = (size_t)sqlite3_column_bytes(st, 1);
        if (nl != BW_DB_NONCE_LEN || bl < BW_DB_MAC_LEN ||
            bl > sizeof out->box) {
            err = BW_EMALFORMED;
        } else {
            memcpy(out->nonce, sqlite3_column_blob(st, 0), nl);
            memcpy(out->box, sqlite3_column_blob(st, 1), bl);
            out->box_len = bl;
        }
    } else {
        err = rc == SQLITE_DONE ? BW_ESTATE : bw_db__err(rc);
    }
    bw_db__release(st);
    return err;
}

/* The sealed keys of cfg's servers, given or kept (lock held, in the
 * transaction; rolled back by the caller on failure). */
static int seal_all(bw_db_t *db, const char *ep, int64_t dev,
                    const bw_db_bootstrap_t *cfg, sealed_t *out)
{
    for (size_t i = 0; i < cfg->n_servers; i++) {
        const bw_db_bs_server_t *x = &cfg->servers[i];
        if (x->psk_len == 0) {
            int err = kept_box(db, dev, x, &out[i]);
            if (err != 0)
                return err;
            continue;
        }
        uint8_t l[LABEL_MAX];
        size_t n = label(ep, x->ssid, x->psk_identity, l);
        int err = bw_db__psk_seal(&db->keys, l, n, x->psk, x->psk_len,
                                  out[i].nonce, out[i].box);
        if (err != 0)
            return err;
        out[i].box_len = x->psk_len + BW_DB_MAC_LEN;
    }
    return 0;
}

static int insert_server(bw_db_t *db, int64_t dev, size_t pos,
                         const bw_db_bs_server_t *x, const sealed_t *k)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w,
        "INSERT INTO bootstrap_servers (device_id, position, uri, ssid, "
        "lifetime_s, binding, psk_identity, psk_nonce, psk_box, access) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, dev);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
    sqlite3_bind_text(st, 3, x->uri, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, x->ssid);
    sqlite3_bind_int64(st, 5, x->lifetime_s);
    sqlite3_bind_text(st, 6, x->binding, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, x->psk_identity, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, k->nonce, BW_DB_NONCE_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, k->box, (int)k->box_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, x->access, -1, SQLITE_STATIC);
    return bw_db__step_write(db, st, NULL);
}

int bw_db_bootstrap_set(bw_db_t *db, const char *endpoint,
                        const bw_db_bootstrap_t *cfg, int64_t now_ms)
{
    if (db == NULL || cfg == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0)
        err = config_check(cfg);
    if (err == 0 && cfg->n_servers > 0 && !db->have_keys)
        err = BW_ESTATE;
    if (err != 0)
        return err;
    sealed_t keys[BW_DB_BS_SERVERS_MAX];
    int64_t dev;
    err = bw_db__begin_device(db, endpoint, NULL, &dev);
    if (err != 0)
        return err;
    err = seal_all(db, endpoint, dev, cfg, keys);
    sqlite3_stmt *st = NULL;
    if (err == 0)
        err = bw_db__prepare(
            db->w,
            "INSERT INTO bootstrap_configs (device_id, server_uri, lifetime_s, "
            "binding, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (device_id) DO UPDATE SET server_uri = "
            "excluded.server_uri, lifetime_s = excluded.lifetime_s, binding = "
            "excluded.binding, updated_at = excluded.updated_at",
            &st);
    if (err != 0) {
        sodium_memzero(keys, sizeof keys);
        return bw_db__rollback(db, err);
    }
    sqlite3_bind_int64(st, 1, dev);
    sqlite3_bind_text(st, 2, cfg->server_uri, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, cfg->lifetime_s);
    sqlite3_bind_text(st, 4, cfg->binding, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ms);
    err = bw_db__step_write(db, st, NULL);
    if (err == 0)
        err = bw_db__write_by_int(
            db, "DELETE FROM bootstrap_servers WHERE device_id = ?", dev, NULL);
    for (size_t i = 0; err == 0 && i < cfg->n_servers; i++)
        err = insert_server(db, dev, i, &cfg->servers[i], &keys[i]);
    sodium_memzero(keys, sizeof keys);
    if (err != 0)
        return err; /* rolled back by step_write / insert_server */
    return bw_db__commit(db);
}

/* The additional servers of dev into out (lock held); keys opened when
 * open is set. */
static int read_servers(bw_db_t *db, const char *ep, int64_t dev, int open,
                        bw_db_bootstrap_t *out)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT uri, ssid, lifetime_s, binding, "
                             "psk_identity, psk_nonce, psk_box, access FROM "
                             "bootstrap_servers WHERE device_id = ? ORDER BY "
                             "position",
                             &st);
    if (err != 0)
        return err;
    sqlite3_bind_int64(st, 1, dev);
    int rc = SQLITE_DONE;
    while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n_servers == BW_DB_BS_SERVERS_MAX) {
            err = BW_EOVERFLOW;
            break;
        }
        bw_db_bs_server_t *x = &out->servers[out->n_servers++];
        sqlite3_int64 ssid = sqlite3_column_int64(st, 1);
        sqlite3_int64 lt = sqlite3_column_int64(st, 2);
        if (ssid <= 0 || ssid >= 65535 || lt <= 0 || lt > UINT32_MAX) {
            err = BW_ERANGE;
            break;
        }
        x->ssid = (uint16_t)ssid;
        x->lifetime_s = (uint32_t)lt;
        err = bw_db__column_text(st, 0, x->uri, sizeof x->uri);
        if (err == 0)
            err = bw_db__column_text(st, 3, x->binding, sizeof x->binding);
        if (err == 0)
            err = bw_db__column_text(st, 4, x->psk_identity,
                                     sizeof x->psk_identity);
        if (err == 0)
            err = bw_db__column_text(st, 7, x->access, sizeof x->access);
        x->psk_set = sqlite3_column_bytes(st, 6) > 0;
        if (err == 0 && open) {
            uint8_t l[LABEL_MAX];
            size_t n = label(ep, x->ssid, x->psk_identity, l);
            err = bw_db__psk_open(&db->keys, l, n, sqlite3_column_blob(st, 5),
                                  (size_t)sqlite3_column_bytes(st, 5),
                                  sqlite3_column_blob(st, 6),
                                  (size_t)sqlite3_column_bytes(st, 6), x->psk,
                                  sizeof x->psk, &x->psk_len);
        }
    }
    if (err == 0 && rc != SQLITE_DONE)
        err = bw_db__err(rc);
    bw_db__release(st);
    return err;
}

static int get(bw_db_t *db, const char *endpoint, int open,
               bw_db_bootstrap_t *out)
{
    if (out != NULL)
        sodium_memzero(out, sizeof *out);
    if (db == NULL || out == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    if (open && !db->have_keys)
        return BW_ESTATE;
    pthread_mutex_lock(&db->wlock);
    int64_t dev;
    err = bw_db__device_id(db, endpoint, &dev);
    sqlite3_stmt *st = NULL;
    if (err == 0)
        err = bw_db__prepare(db->w,
                             "SELECT server_uri, lifetime_s, binding FROM "
                             "bootstrap_configs WHERE device_id = ?",
                             &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, dev);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            sqlite3_int64 lt = sqlite3_column_int64(st, 1);
            out->lifetime_s = lt < 0 || lt > UINT32_MAX ? 0 : (uint32_t)lt;
            err = bw_db__column_text(st, 0, out->server_uri,
                                     sizeof out->server_uri);
            if (err == 0)
                err = bw_db__column_text(st, 2, out->binding,
                                         sizeof out->binding);
        } else {
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        }
    }
    bw_db__release(st);
    if (err == 0)
        err = read_servers(db, endpoint, dev, open, out);
    pthread_mutex_unlock(&db->wlock);
    if (err != 0)
        sodium_memzero(out, sizeof *out);
    return err;
}

int bw_db_bootstrap_get(bw_db_t *db, const char *endpoint,
                        bw_db_bootstrap_t *out)
{
    return get(db, endpoint, 0, out);
}

int bw_db_bootstrap_keys(bw_db_t *db, const char *endpoint,
                         bw_db_bootstrap_t *out)
{
    return get(db, endpoint, 1, out);
}

int bw_db_bootstrap_delete(bw_db_t *db, const char *endpoint, int *removed)
{
    if (removed != NULL)
        *removed = 0;
    if (db == NULL)
        return BW_EINVAL;
    int64_t dev;
    int err = bw_db__begin_device(db, endpoint, NULL, &dev);
    if (err != 0)
        return err;
    uint64_t n = 0;
    err = bw_db__write_by_int(
        db, "DELETE FROM bootstrap_servers WHERE device_id = ?", dev, NULL);
    if (err == 0)
        err = bw_db__write_by_int(
            db, "DELETE FROM bootstrap_configs WHERE device_id = ?", dev, &n);
    if (err != 0)
        return err; /* rolled back */
    err = bw_db__commit(db);
    if (err == 0 && removed != NULL)
        *removed = n > 0;
    return err;
}
