/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time series: values of device resources over time (observations,
 * LwM2M Send), as text or opaque bytes, with bounded retention.
 *
 * Retention deletes in chunks of BW_DB_TS_DELETE_CHUNK rows, one
 * transaction each, oldest first: deleting a month of samples of a large
 * fleet in one transaction would hold the write lock (and delay every
 * registration batch) for seconds, and grow the WAL by the whole delete.
 */
#include <string.h>

#include "db_int.h"

int bw_db_ts_append(bw_db_t *db, const char *endpoint, const char *path,
                    int64_t at_ms, const char *text, const uint8_t *blob,
                    size_t blob_len)
{
    if (db == NULL || (text == NULL) == (blob == NULL))
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0)
        err = bw_db__text_check(path, BW_DB_PATH_MAX, 0, 0);
    if (err == 0 && path[0] != '/')
        err = BW_EMALFORMED;
    if (err == 0 && text != NULL)
        err = strnlen(text, BW_DB_PAYLOAD_MAX + 1) > BW_DB_PAYLOAD_MAX
                  ? BW_EOVERFLOW
                  : 0;
    if (err == 0 && blob != NULL && blob_len > BW_DB_PAYLOAD_MAX)
        err = BW_EOVERFLOW;
    if (err != 0)
        return err;
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    int64_t dev;
    err = bw_db__device_id(db, endpoint, &dev);
    sqlite3_stmt *st = NULL;
    if (err == 0)
        err = bw_db__prepare(db->w,
                             "INSERT INTO timeseries (device_id, path, "
                             "sampled_at, value_text, value_blob) VALUES (?, "
                             "?, ?, ?, ?)",
                             &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, dev);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at_ms);
    if (text != NULL)
        sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
    else if (blob_len == 0) /* a NULL pointer would bind SQL NULL */
        sqlite3_bind_zeroblob(st, 5, 0);
    else
        sqlite3_bind_blob(st, 5, blob, (int)blob_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return bw_db__rollback(db, bw_db__err(rc));
    return bw_db__commit(db);
}

int bw_db_ts_read(bw_db_t *db, const char *endpoint, const char *path,
                  int64_t from_ms, int64_t to_ms, size_t max,
                  int (*cb)(void *arg, const bw_db_sample_t *s), void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0)
        err = bw_db__text_check(path, BW_DB_PATH_MAX, 0, 0);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    int64_t dev;
    sqlite3_stmt *st = NULL;
    err = bw_db__device_id(db, endpoint, &dev);
    if (err == 0)
        err = bw_db__prepare(db->w,
                             "SELECT sampled_at, value_text, value_blob FROM "
                             "timeseries WHERE device_id = ? AND path = ? AND "
                             "sampled_at >= ? AND sampled_at < ? ORDER BY "
                             "sampled_at, id LIMIT ?",
                             &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, dev);
        sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, from_ms);
        sqlite3_bind_int64(st, 4, to_ms);
        sqlite3_bind_int64(st, 5, max > INT64_MAX ? INT64_MAX : (int64_t)max);
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            bw_db_sample_t s = {.at_ms = sqlite3_column_int64(st, 0)};
            if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
                s.text = (const char *)sqlite3_column_text(st, 1);
            } else {
                s.blob = sqlite3_column_blob(st, 2);
                s.blob_len = (size_t)sqlite3_column_bytes(st, 2);
                /* An empty blob comes back as a NULL pointer. */
                if (s.blob == NULL)
                    s.blob = (const uint8_t *)"";
            }
            err = cb(arg, &s);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_ts_delete_older(bw_db_t *db, int64_t before_ms, uint64_t *deleted)
{
    if (deleted != NULL)
        *deleted = 0;
    if (db == NULL)
        return BW_EINVAL;
    uint64_t total = 0;
    for (;;) {
        int err = bw_db__begin(db);
        if (err != 0)
            return err;
        sqlite3_stmt *st;
        err = bw_db__prepare(db->w,
                             "DELETE FROM timeseries WHERE id IN (SELECT id "
                             "FROM timeseries WHERE sampled_at < ? ORDER BY "
                             "sampled_at LIMIT ?)",
                             &st);
        if (err != 0)
            return bw_db__rollback(db, err);
        sqlite3_bind_int64(st, 1, before_ms);
        sqlite3_bind_int(st, 2, BW_DB_TS_DELETE_CHUNK);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return bw_db__rollback(db, bw_db__err(rc));
        int n = sqlite3_changes(db->w);
        err = bw_db__commit(db);
        if (err != 0)
            return err;
        total += (uint64_t)n;
        if (deleted != NULL)
            *deleted = total;
        if (n < BW_DB_TS_DELETE_CHUNK)
            return 0;
    }
}
