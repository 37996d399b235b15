/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Telemetry rows (contract in db_telemetry.h): one Send in one
 * transaction, the retention prune inside it.
 *
 * The prune finds the device's row at offset max_rows in newest-first
 * order (index telemetry_recent: device_id, sampled_at, id) and deletes
 * it and everything older.  Both statements are portable SQL (LIMIT 1
 * OFFSET n, a row-value comparison spelled out with OR).
 */
#include <math.h>
#include <string.h>

#include "db_int.h"
#include "db_telemetry.h"

static const char *const kind_name[] = {NULL, "number", "string", "bool",
                                        "opaque"};

const char *bw_db_tm_source_name(bw_db_tm_source_t s)
{
    return s == BW_DB_TM_SRC_SEND     ? "send"
           : s == BW_DB_TM_SRC_NOTIFY ? "notify"
                                      : NULL;
}

static int source_ok(bw_db_tm_source_t s)
{
    return s == BW_DB_TM_SRC_UNKNOWN || s == BW_DB_TM_SRC_SEND ||
           s == BW_DB_TM_SRC_NOTIFY;
}

/* "/o/i/r" or "/o/i/r/ri": ids 0..65534 in canonical decimal. */
static int path_ok(const char *p)
{
    size_t segs = 0;
    if (p == NULL || strnlen(p, BW_DB_PATH_MAX + 1) > BW_DB_PATH_MAX)
        return 0;
    while (*p == '/') {
        p++;
        size_t n = 0;
        unsigned long v = 0;
        while (p[n] >= '0' && p[n] <= '9' && n < 6)
            v = v * 10 + (unsigned long)(p[n++] - '0');
        if (n == 0 || n > 5 || v > 65534 || (n > 1 && p[0] == '0'))
            return 0;
        p += n;
        segs++;
    }
    return *p == '\0' && (segs == 3 || segs == 4);
}

static int value_check(const bw_db_tm_value_t *v)
{
    if (!path_ok(v->path) || !source_ok(v->source))
        return BW_EMALFORMED;
    switch (v->kind) {
    case BW_DB_TM_NUMBER:
        return isfinite(v->num) ? 0 : BW_EMALFORMED;
    case BW_DB_TM_BOOL:
        return v->num == 0.0 || v->num == 1.0 ? 0 : BW_EMALFORMED;
    case BW_DB_TM_STRING:
    case BW_DB_TM_OPAQUE:
        if (v->len > BW_DB_TM_VALUE_MAX)
            return BW_EOVERFLOW;
        if (v->len > 0 && v->bytes == NULL)
            return BW_EINVAL;
        if (v->kind == BW_DB_TM_STRING && v->len > 0 &&
            memchr(v->bytes, '\0', v->len) != NULL)
            return BW_EMALFORMED;
        return 0;
    default:
        return BW_EMALFORMED;
    }
}

static void bind_value(sqlite3_stmt *st, int64_t dev, const bw_db_tm_value_t *v,
                       int64_t received_ms)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_int64(st, 1, dev);
    sqlite3_bind_text(st, 2, v->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, v->sampled_ms);
    sqlite3_bind_text(st, 4, kind_name[v->kind], -1, SQLITE_STATIC);
    switch (v->kind) {
    case BW_DB_TM_NUMBER:
    case BW_DB_TM_BOOL:
        sqlite3_bind_double(st, 5, v->num);
        break;
    case BW_DB_TM_STRING:
        sqlite3_bind_text(st, 6, v->len > 0 ? (const char *)v->bytes : "",
                          (int)v->len, SQLITE_STATIC);
        break;
    default:
        /* A NULL pointer would bind SQL NULL: an empty value is a
         * zero-length blob. */
        if (v->len == 0)
            sqlite3_bind_zeroblob(st, 7, 0);
        else
            sqlite3_bind_blob(st, 7, v->bytes, (int)v->len, SQLITE_STATIC);
        break;
    }
    sqlite3_bind_int64(st, 8, received_ms);
    const char *src = bw_db_tm_source_name(v->source);
    if (src != NULL) /* else NULL: unknown */
        sqlite3_bind_text(st, 9, src, -1, SQLITE_STATIC);
}

/* Delete dev's rows beyond the max_rows newest (lock held, in the
 * transaction; on failure it is rolled back). */
static int prune(bw_db_t *db, int64_t dev, uint64_t max_rows)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT sampled_at, id FROM telemetry WHERE "
                             "device_id = ? ORDER BY sampled_at DESC, id DESC "
                             "LIMIT 1 OFFSET ?",
                             &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, dev);
    sqlite3_bind_int64(st, 2, (int64_t)max_rows);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        bw_db__release(st);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        bw_db__release(st);
        return bw_db__rollback(db, bw_db__err(rc));
    }
    int64_t t = sqlite3_column_int64(st, 0);
    int64_t id = sqlite3_column_int64(st, 1);
    bw_db__release(st);
    err = bw_db__prepare(db->w,
                         "DELETE FROM telemetry WHERE device_id = ? AND "
                         "(sampled_at < ? OR (sampled_at = ? AND id <= ?))",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, dev);
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_int64(st, 3, t);
    sqlite3_bind_int64(st, 4, id);
    return bw_db__step_write(db, st, NULL);
}

int bw_db_telemetry_store(bw_db_t *db, const char *endpoint,
                          const bw_db_tm_value_t *v, size_t n,
                          int64_t received_ms, uint64_t max_rows)
{
    if (db == NULL || endpoint == NULL || v == NULL)
        return BW_EINVAL;
    if (n == 0 || n > BW_DB_TM_BATCH_MAX || max_rows == 0 ||
        max_rows > BW_DB_TM_ROWS_MAX)
        return BW_ERANGE;
    int err = bw_db__endpoint_check(endpoint);
    for (size_t i = 0; err == 0 && i < n; i++)
        err = value_check(&v[i]);
    if (err != 0)
        return err;
    int64_t dev;
    err = bw_db__begin_device(db, endpoint, NULL, &dev);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "INSERT INTO telemetry (device_id, path, sampled_at, "
                         "kind, value_num, value_text, value_blob, "
                         "received_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, "
                         "?, ?)",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    for (size_t i = 0; i < n; i++) {
        bind_value(st, dev, &v[i], received_ms);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) {
            bw_db__release(st);
            return bw_db__rollback(db, bw_db__err(rc));
        }
    }
    bw_db__release(st);
    err = prune(db, dev, max_rows);
    if (err != 0)
        return err; /* rolled back */
    return bw_db__commit(db);
}

static int kind_of(const unsigned char *name, bw_db_tm_kind_t *k)
{
    for (int i = 1; i <= BW_DB_TM_OPAQUE; i++)
        if (name != NULL && strcmp((const char *)name, kind_name[i]) == 0) {
            *k = (bw_db_tm_kind_t)i;
            return 0;
        }
    return BW_EMALFORMED;
}

/* The source column: NULL (rows before schema 10) is UNKNOWN. */
static bw_db_tm_source_t source_of(const unsigned char *name)
{
    if (name != NULL && strcmp((const char *)name, "send") == 0)
        return BW_DB_TM_SRC_SEND;
    if (name != NULL && strcmp((const char *)name, "notify") == 0)
        return BW_DB_TM_SRC_NOTIFY;
    return BW_DB_TM_SRC_UNKNOWN;
}

int bw_db_telemetry_read(bw_db_t *db, const char *endpoint,
                         const bw_db_tm_query_t *q,
                         int (*cb)(void *arg, const bw_db_tm_value_t *v),
                         void *arg)
{
    if (db == NULL || endpoint == NULL || q == NULL || cb == NULL)
        return BW_EINVAL;
    if (q->limit == 0 || q->limit > BW_DB_TM_PAGE_MAX)
        return BW_ERANGE;
    if ((q->path != NULL && !path_ok(q->path)) || !source_ok(q->source))
        return BW_EMALFORMED;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    int64_t dev;
    sqlite3_stmt *st = NULL;
    err = bw_db__device_id(db, endpoint, &dev);
    if (err == 0)
        err = bw_db__prepare(
            db->w,
            "SELECT id, path, sampled_at, received_at, kind, value_num, "
            "value_text, value_blob, source FROM telemetry WHERE "
            "device_id = ?1 AND (?2 IS NULL OR path = ?2) AND "
            "sampled_at >= ?3 AND (?5 = 0 OR sampled_at < ?4 OR "
            "(sampled_at = ?4 AND id < ?5)) AND (?7 IS NULL OR source = ?7) "
            "ORDER BY sampled_at DESC, id DESC LIMIT ?6",
            &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, dev);
        if (q->path != NULL)
            sqlite3_bind_text(st, 2, q->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, q->since_ms);
        sqlite3_bind_int64(st, 4, q->before_ms);
        sqlite3_bind_int64(st, 5, q->before_id);
        sqlite3_bind_int64(st, 6, (int64_t)q->limit);
        const char *src = bw_db_tm_source_name(q->source);
        if (src != NULL)
            sqlite3_bind_text(st, 7, src, -1, SQLITE_STATIC);
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            bw_db_tm_value_t v;
            memset(&v, 0, sizeof v);
            v.id = sqlite3_column_int64(st, 0);
            v.path = (const char *)sqlite3_column_text(st, 1);
            v.sampled_ms = sqlite3_column_int64(st, 2);
            v.received_ms = sqlite3_column_int64(st, 3);
            err = kind_of(sqlite3_column_text(st, 4), &v.kind);
            if (err != 0 || v.path == NULL) {
                err = BW_EMALFORMED; /* a row the CHECKs should forbid */
                break;
            }
            if (v.kind == BW_DB_TM_NUMBER || v.kind == BW_DB_TM_BOOL) {
                v.num = sqlite3_column_double(st, 5);
            } else if (v.kind == BW_DB_TM_STRING) {
                v.bytes = sqlite3_column_text(st, 6);
                v.len = (size_t)sqlite3_column_bytes(st, 6);
            } else {
                v.bytes = sqlite3_column_blob(st, 7);
                v.len = (size_t)sqlite3_column_bytes(st, 7);
            }
            if (v.bytes == NULL) /* an empty value comes back as NULL */
                v.bytes = (const uint8_t *)"";
            v.source = source_of(sqlite3_column_text(st, 8));
            err = cb(arg, &v);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
    }
    bw_db__release(st);
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_telemetry_count(bw_db_t *db, const char *endpoint, uint64_t *n)
{
    if (n != NULL)
        *n = 0;
    if (db == NULL || endpoint == NULL || n == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    int64_t dev, v = 0;
    err = bw_db__device_id(db, endpoint, &dev);
    if (err == 0) /* COUNT(*) always has its one row */
        err = bw_db__read_by_int(
            db, "SELECT COUNT(*) FROM telemetry WHERE device_id = ?", dev, &v);
    pthread_mutex_unlock(&db->wlock);
    if (err == 0)
        *n = (uint64_t)v;
    return err;
}
