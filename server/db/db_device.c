/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Devices (added, read, deleted with a count of what went; their
 * bootstrap configurations are in db_bootstrap.c), and the input rules
 * every file of the module applies to text before it reaches SQL (all SQL
 * is bound, never pasted; the rules keep log lines and exports clean).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "db_int.h"

static int ep_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || (c != '\0' && strchr("-._:@~+", c));
}

int bw_db__endpoint_check(const char *ep)
{
    if (ep == NULL)
        return BW_EINVAL;
    size_t n = strnlen(ep, BW_DB_ENDPOINT_MAX + 1);
    if (n == 0 || n > BW_DB_ENDPOINT_MAX)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++)
        if (!ep_char((unsigned char)ep[i]))
            return BW_EMALFORMED;
    return 0;
}

int bw_db__text_check(const char *s, size_t max, int allow_empty, int tab)
{
    if (s == NULL)
        return BW_EINVAL;
    size_t n = strnlen(s, max + 1);
    if (n > max)
        return BW_EOVERFLOW;
    if (n == 0 && !allow_empty)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(tab && c == '\t')) || c == 0x7f)
            return BW_EMALFORMED;
    }
    return 0;
}

int bw_db_device_add(bw_db_t *db, const char *endpoint, const char *model,
                     const char *tags, int64_t now_ms, int64_t *id)
{
    if (id != NULL)
        *id = 0;
    if (db == NULL)
        return BW_EINVAL;
    if (model == NULL)
        model = "";
    if (tags == NULL)
        tags = "";
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0)
        err = bw_db__text_check(model, BW_DB_MODEL_MAX, 1, 0);
    if (err == 0)
        err = bw_db__text_check(tags, BW_DB_TAGS_MAX, 1, 0);
    if (err != 0)
        return err;
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "INSERT INTO devices (endpoint, model, tags, "
                         "created_at) VALUES (?, ?, ?, ?)",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tags, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_ms);
    err = bw_db__step_write(db, st, NULL);
    if (err != 0)
        return err; /* rolled back; UNIQUE: EEXIST */
    return bw_db__commit_id(db, sqlite3_last_insert_rowid(db->w), id);
}

int bw_db_device_get(bw_db_t *db, const char *endpoint, bw_db_device_t *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (db == NULL || out == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "SELECT id, endpoint, model, tags, created_at "
                         "FROM devices WHERE endpoint = ?",
                         &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->id = sqlite3_column_int64(st, 0);
            out->created_ms = sqlite3_column_int64(st, 4);
            err =
                bw_db__column_text(st, 1, out->endpoint, sizeof out->endpoint);
            if (err == 0)
                err = bw_db__column_text(st, 2, out->model, sizeof out->model);
            if (err == 0)
                err = bw_db__column_text(st, 3, out->tags, sizeof out->tags);
        } else {
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        }
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    if (err != 0)
        memset(out, 0, sizeof *out);
    return err;
}

/* Registrations are keyed by endpoint name, not by device id (the LwM2M
 * layer writes them in batches by name): removed by hand.  The rest goes
 * with the device through ON DELETE CASCADE.  Inside the transaction;
 * rolled back on failure.  *regs and *devs: the rows each removed. */
static int delete_by_name(bw_db_t *db, const char *endpoint, uint64_t *regs,
                          uint64_t *devs)
{
    int err = bw_db__write_by_text(
        db, "DELETE FROM registrations WHERE endpoint = ?", endpoint, regs);
    if (err == 0)
        err = bw_db__write_by_text(db, "DELETE FROM devices WHERE endpoint = ?",
                                   endpoint, devs);
    return err;
}

int bw_db_device_delete(bw_db_t *db, const char *endpoint)
{
    if (db == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    uint64_t regs = 0, devs = 0;
    err = delete_by_name(db, endpoint, &regs, &devs);
    if (err != 0)
        return err; /* rolled back */
    if (devs == 0)
        return bw_db__rollback(db, BW_ENOTFOUND);
    return bw_db__commit(db);
}

/* ---- deleting a device, with what goes ---------------------------------- */

/* The single count a statement with one device-id parameter returns
 * (lock held, in a transaction; rolled back on failure). */
static int count_of(bw_db_t *db, const char *sql, int64_t dev, uint64_t *n)
{
    int64_t v = 0;
    int err = bw_db__read_by_int(db, sql, dev, &v);
    if (err != 0)
        return bw_db__rollback(db, err);
    *n = (uint64_t)v;
    return 0;
}

/* "3 credentials, registration, ..." for the audit entry. */
static void purged_text(const bw_db_purged_t *p, char *out, size_t cap)
{
    snprintf(out, cap,
             "%llu credential(s), %s, %s, %llu queued request(s), %llu "
             "telemetry value(s), %llu campaign membership(s) with %llu "
             "history entries",
             (unsigned long long)p->credentials,
             p->registration ? "its registration" : "no registration",
             p->bootstrap_config ? "its bootstrap configuration"
                                 : "no bootstrap configuration",
             (unsigned long long)p->queued_requests,
             (unsigned long long)p->telemetry, (unsigned long long)p->campaigns,
             (unsigned long long)p->campaign_events);
}

int bw_db_device_purge(bw_db_t *db, const char *endpoint, int64_t now_ms,
                       const char *actor, bw_db_purged_t *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (db == NULL || out == NULL)
        return BW_EINVAL;
    int64_t dev;
    int err = bw_db__begin_device(db, endpoint, actor, &dev);
    if (err != 0)
        return err;
    /* Counted before the cascade takes them: every table that refers to
     * devices (db_schema.c), and registrations by name. */
    bw_db_purged_t p = {0};
    uint64_t bc = 0;
    static const struct {
        const char *sql;
        size_t off;
    } counts[] = {
        {"SELECT count(*) FROM credentials WHERE device_id = ?",
         offsetof(bw_db_purged_t, credentials)},
        {"SELECT count(*) FROM queued_requests WHERE device_id = ?",
         offsetof(bw_db_purged_t, queued_requests)},
        {"SELECT count(*) FROM telemetry WHERE device_id = ?",
         offsetof(bw_db_purged_t, telemetry)},
        {"SELECT count(*) FROM campaign_devices WHERE device_id = ?",
         offsetof(bw_db_purged_t, campaigns)},
        {"SELECT count(*) FROM campaign_events WHERE device_id = ?",
         offsetof(bw_db_purged_t, campaign_events)},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        uint64_t n = 0;
        err = count_of(db, counts[i].sql, dev, &n);
        if (err != 0)
            return err;
        memcpy((unsigned char *)&p + counts[i].off, &n, sizeof n);
    }
    err = count_of(db,
                   "SELECT count(*) FROM bootstrap_configs WHERE device_id "
                   "= ?",
                   dev, &bc);
    if (err != 0)
        return err;
    p.bootstrap_config = bc > 0;
    uint64_t regs = 0;
    err = delete_by_name(db, endpoint, &regs, NULL);
    if (err != 0)
        return err;
    p.registration = regs > 0;
    if (actor != NULL) {
        char detail[256];
        purged_text(&p, detail, sizeof detail);
        err = bw_db__audit_insert(db, now_ms, actor, "device-deleted", endpoint,
                                  detail);
        if (err != 0)
            return err;
    }
    err = bw_db__commit(db);
    if (err == 0)
        *out = p;
    return err;
}
