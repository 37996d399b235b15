/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Devices due for a credential rotation (db_rotate.h): two read-only
 * queries sharing one condition, so "due" means the same thing to the
 * minute scan and to the check made when a device registers.
 */
#include <string.h>

#include "db_int.h"
#include "db_rotate.h"

/*
 * The condition on a device row d, with ?1 the active cut-off and ?2 the
 * pending one: it has an ACTIVE DM credential, none created after ?1,
 * and no PENDING DM credential created after ?2.
 */
#define DUE_SQL                                                                \
    "EXISTS (SELECT 1 FROM credentials a WHERE a.device_id = d.id AND "        \
    "a.purpose = 'dm' AND a.state = 'active') AND NOT EXISTS (SELECT 1 FROM "  \
    "credentials a WHERE a.device_id = d.id AND a.purpose = 'dm' AND "         \
    "((a.state = 'active' AND a.created_at > ?1) OR (a.state = 'pending' AND " \
    "a.created_at > ?2)))"

int bw_db_rotation_due_list(
    bw_db_t *db, const bw_db_rotation_query_t *q, size_t max,
    int (*cb)(void *arg, const char *endpoint, int64_t created_ms), void *arg)
{
    if (db == NULL || q == NULL || cb == NULL)
        return BW_EINVAL;
    if (max == 0 || max > BW_DB_ROTATION_LIST_MAX)
        return BW_ERANGE;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w,
        "SELECT d.endpoint, (SELECT max(a.created_at) FROM credentials a "
        "WHERE a.device_id = d.id AND a.purpose = 'dm' AND a.state = "
        "'active') AS newest FROM devices d JOIN registrations r ON "
        "r.endpoint = d.endpoint WHERE r.expires_at > ?3 AND " DUE_SQL
        " ORDER BY newest, d.endpoint LIMIT ?4",
        &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, q->active_before_ms);
        sqlite3_bind_int64(st, 2, q->pending_after_ms);
        sqlite3_bind_int64(st, 3, q->now_ms);
        sqlite3_bind_int64(st, 4, (int64_t)max);
        char ep[BW_DB_ENDPOINT_MAX + 1];
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            err = bw_db__column_text(st, 0, ep, sizeof ep);
            if (err == 0)
                err = cb(arg, ep, sqlite3_column_int64(st, 1));
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_rotation_due(bw_db_t *db, const char *endpoint,
                       const bw_db_rotation_query_t *q, int *due)
{
    if (due != NULL)
        *due = 0;
    if (db == NULL || q == NULL || due == NULL)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "SELECT " DUE_SQL " FROM devices d WHERE "
                         "d.endpoint = ?3",
                         &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, q->active_before_ms);
        sqlite3_bind_int64(st, 2, q->pending_after_ms);
        sqlite3_bind_text(st, 3, endpoint, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *due = sqlite3_column_int(st, 0) != 0;
        else
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}
