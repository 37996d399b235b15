/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Walking the device table a page at a time (db.h, "device listing"):
 * keyset paging by endpoint name, so a page costs an index range scan
 * however deep into the fleet it starts.
 */
#include <string.h>

#include "db_int.h"

int bw_db_device_list(bw_db_t *db, const char *after, size_t max,
                      int (*cb)(void *arg, const bw_db_device_t *d), void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    if (max == 0 || max > BW_DB_LIST_MAX)
        return BW_ERANGE;
    if (after == NULL)
        after = "";
    if (*after != '\0') {
        int err = bw_db__endpoint_check(after);
        if (err != 0)
            return err;
    }
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT id, endpoint, model, tags, created_at "
                             "FROM devices WHERE endpoint > ? "
                             "ORDER BY endpoint LIMIT ?",
                             &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)max);
        int rc = SQLITE_DONE;
        bw_db_device_t d;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            memset(&d, 0, sizeof d);
            d.id = sqlite3_column_int64(st, 0);
            d.created_ms = sqlite3_column_int64(st, 4);
            err = bw_db__column_text(st, 1, d.endpoint, sizeof d.endpoint);
            if (err == 0)
                err = bw_db__column_text(st, 2, d.model, sizeof d.model);
            if (err == 0)
                err = bw_db__column_text(st, 3, d.tags, sizeof d.tags);
            if (err == 0)
                err = cb(arg, &d);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}
