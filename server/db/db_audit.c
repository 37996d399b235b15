/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log: who did what to which device, appended and never
 * changed.  The schema's triggers refuse UPDATE and DELETE on the table
 * (db_schema.c), so even a bug elsewhere in the server cannot rewrite
 * history through this connection.  Entries are committed before
 * bw_db_audit_append returns: an action the API reports as done is in
 * the log.  Writes that record their own entry (a device's deletion, a
 * revocation) add it with bw_db__audit_insert, in their transaction.
 */
#include <string.h>

#include "db_int.h"

int bw_db_audit_append(bw_db_t *db, int64_t at_ms, const char *actor,
                       const char *action, const char *subject,
                       const char *detail, int64_t *id)
{
    if (id != NULL)
        *id = 0;
    if (db == NULL || actor == NULL || action == NULL || subject == NULL)
        return BW_EINVAL;
    if (actor[0] == '\0' || action[0] == '\0')
        return BW_EINVAL;
    if (detail == NULL)
        detail = "";
    int err = bw_db__text_check(actor, BW_DB_AUDIT_FIELD_MAX, 0, 0);
    if (err == 0)
        err = bw_db__text_check(action, BW_DB_AUDIT_FIELD_MAX, 0, 0);
    if (err == 0)
        err = bw_db__text_check(subject, BW_DB_AUDIT_FIELD_MAX, 1, 0);
    if (err == 0)
        err = bw_db__text_check(detail, BW_DB_AUDIT_DETAIL_MAX, 1, 1);
    if (err != 0)
        return err;
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    err = bw_db__audit_insert(db, at_ms, actor, action, subject, detail);
    if (err != 0)
        return err; /* rolled back */
    return bw_db__commit_id(db, sqlite3_last_insert_rowid(db->w), id);
}

int bw_db__audit_insert(bw_db_t *db, int64_t at_ms, const char *actor,
                        const char *action, const char *subject,
                        const char *detail)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "INSERT INTO audit_log (logged_at, actor, action, "
                             "subject, detail) VALUES (?, ?, ?, ?, ?)",
                             &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, at_ms);
    sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
    /* Static: the statement is stepped and released before this returns. */
    sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
    return bw_db__step_write(db, st, NULL);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s != NULL ? (const char *)s : "";
}

int bw_db_audit_read(bw_db_t *db, int64_t after_id, size_t max,
                     int (*cb)(void *arg, const bw_db_audit_entry_t *e),
                     void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    if (max == 0)
        return 0;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT id, logged_at, actor, action, subject, "
                             "detail FROM audit_log WHERE id > ? ORDER BY id "
                             "LIMIT ?",
                             &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, after_id);
        sqlite3_bind_int64(st, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            bw_db_audit_entry_t e = {
                .id = sqlite3_column_int64(st, 0),
                .at_ms = sqlite3_column_int64(st, 1),
                .actor = col_text(st, 2),
                .action = col_text(st, 3),
                .subject = col_text(st, 4),
                .detail = col_text(st, 5),
            };
            err = cb(arg, &e);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}
