/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live observations (contract in db.h, "observations kept across
 * restarts"; table observations, docs/storage.md).
 *
 * A row belongs to the registration at its location, and through it to
 * its device: deleting that registration (De-register, expiry,
 * revocation, the device's deletion) deletes the row, and a new Register, which
 * moves the endpoint's registration to a new location, sets the row's location
 * to NULL (ON UPDATE SET NULL) in the same statement.  Such a row, or one whose
 * registration has expired, is dead: the LwM2M server deletes it when it learns
 * of the end, and the load at start deletes any a crash left behind.
 *
 * Ids come from the LwM2M server (its in-memory table is the source of
 * truth while it runs); observation_seq keeps the highest ever stored so
 * that a restart never hands out an id again, also after its row went.
 */
#include <string.h>

#include "db_int.h"

/* "/", or "/" and one to four decimal segments of 0..65535. */
static int path_ok(const char *p)
{
    if (strnlen(p, BW_DB_PATH_MAX + 1) > BW_DB_PATH_MAX || p[0] != '/')
        return 0;
    if (p[1] == '\0')
        return 1;
    size_t segs = 0;
    while (*p == '/') {
        p++;
        size_t n = 0;
        unsigned long v = 0;
        while (p[n] >= '0' && p[n] <= '9' && n < 6)
            v = v * 10 + (unsigned long)(p[n++] - '0');
        if (n == 0 || n > 5 || v > 65535 || (n > 1 && p[0] == '0'))
            return 0;
        p += n;
        segs++;
    }
    return *p == '\0' && segs <= 4;
}

static int location_ok(const char *loc)
{
    if (strnlen(loc, BW_DB_LOCATION_LEN + 1) != BW_DB_LOCATION_LEN)
        return 0;
    for (size_t i = 0; i < BW_DB_LOCATION_LEN; i++)
        if (!((loc[i] >= '0' && loc[i] <= '9') ||
              (loc[i] >= 'a' && loc[i] <= 'f')))
            return 0;
    return 1;
}

/* The rules of bw_db_observation_put, for a row going in or coming out. */
static int check(const bw_db_observation_t *o)
{
    if (o->id <= 0 || o->token_len == 0 || o->token_len > BW_DB_OBS_TOKEN_MAX ||
        o->accept < -1 || o->accept > 65535 || o->content_format > 65535)
        return BW_ERANGE;
    if (memchr(o->endpoint, '\0', sizeof o->endpoint) == NULL ||
        memchr(o->location, '\0', sizeof o->location) == NULL ||
        memchr(o->path, '\0', sizeof o->path) == NULL ||
        memchr(o->actor, '\0', sizeof o->actor) == NULL)
        return BW_EMALFORMED;
    int err = bw_db__endpoint_check(o->endpoint);
    if (err == 0 && (!location_ok(o->location) || !path_ok(o->path)))
        err = BW_EMALFORMED;
    if (err == 0)
        err = bw_db__text_check(o->actor, BW_DB_AUDIT_FIELD_MAX, 1, 0);
    return err;
}

int bw_db_observation_put(bw_db_t *db, const bw_db_observation_t *o)
{
    if (db == NULL || o == NULL)
        return BW_EINVAL;
    int err = check(o);
    if (err != 0)
        return err;
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    /* The device and its registration at location in one go: no row is
     * inserted when either is missing. */
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "INSERT INTO observations (id, location, token, "
                         "path, accept, content_format, actor, created_at) "
                         "SELECT ?1, r.location, ?2, ?3, ?4, ?5, ?6, ?7 FROM "
                         "devices d JOIN registrations r ON r.endpoint = "
                         "d.endpoint WHERE d.endpoint = ?8 AND r.location = "
                         "?9",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, o->id);
    sqlite3_bind_blob(st, 2, o->token, (int)o->token_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, o->accept);
    sqlite3_bind_int64(st, 5, o->content_format);
    sqlite3_bind_text(st, 6, o->actor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, o->created_ms);
    sqlite3_bind_text(st, 8, o->endpoint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, o->location, -1, SQLITE_STATIC);
    uint64_t n = 0;
    err = bw_db__step_write(db, st, &n);
    if (err != 0)
        return err; /* rolled back; a taken id or token: BW_EEXIST */
    if (n == 0)
        return bw_db__rollback(db, BW_ENOTFOUND);
    err = bw_db__write_by_int(
        db, "UPDATE observation_seq SET last_id = ?1 WHERE last_id < ?1", o->id,
        NULL);
    return err != 0 ? err : bw_db__commit(db);
}

int bw_db_observation_delete(bw_db_t *db, const char *endpoint, int64_t id)
{
    if (db == NULL || endpoint == NULL)
        return BW_EINVAL;
    if (id <= 0)
        return BW_ERANGE;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "DELETE FROM observations WHERE id = ?1 AND "
                         "(location IS NULL OR location IN (SELECT location "
                         "FROM registrations WHERE endpoint = ?2))",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_STATIC);
    uint64_t n = 0;
    err = bw_db__step_write(db, st, &n);
    if (err != 0)
        return err;
    if (n == 0)
        return bw_db__rollback(db, BW_ENOTFOUND);
    return bw_db__commit(db);
}

/* Row st (the load's SELECT) into *o; the rules of put apply. */
static int row(sqlite3_stmt *st, bw_db_observation_t *o)
{
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(st, 0);
    int err = bw_db__column_text(st, 1, o->endpoint, sizeof o->endpoint);
    if (err == 0)
        err = bw_db__column_text(st, 2, o->location, sizeof o->location);
    int len = sqlite3_column_bytes(st, 3);
    const void *tok = sqlite3_column_blob(st, 3);
    if (err == 0 && (tok == NULL || len <= 0 || len > BW_DB_OBS_TOKEN_MAX))
        err = BW_EMALFORMED;
    if (err == 0) {
        memcpy(o->token, tok, (size_t)len);
        o->token_len = (size_t)len;
        err = bw_db__column_text(st, 4, o->path, sizeof o->path);
    }
    sqlite3_int64 accept = sqlite3_column_int64(st, 5);
    sqlite3_int64 cf = sqlite3_column_int64(st, 6);
    if (err == 0 && (accept < -1 || accept > 65535 || cf < 0 || cf > 65535))
        err = BW_EMALFORMED;
    o->accept = (int32_t)(err == 0 ? accept : 0);
    o->content_format = (uint32_t)(err == 0 ? cf : 0);
    if (err == 0)
        err = bw_db__column_text(st, 7, o->actor, sizeof o->actor);
    o->created_ms = sqlite3_column_int64(st, 8);
    if (err == 0 && check(o) != 0)
        err = BW_EMALFORMED;
    return err != 0 ? BW_EMALFORMED : 0;
}

/* The walk of bw_db_observation_load (lock and transaction held). */
static int walk(bw_db_t *db, int (*cb)(void *arg, const bw_db_observation_t *o),
                void *arg)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w,
        "SELECT o.id, r.endpoint, o.location, o.token, o.path, o.accept, "
        "o.content_format, o.actor, o.created_at FROM observations o JOIN "
        "registrations r ON r.location = o.location ORDER BY o.id",
        &st);
    if (err != 0)
        return err;
    bw_db_observation_t o;
    size_t n = 0;
    int rc;
    while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (++n > BW_DB_OBS_MAX)
            err = BW_EOVERFLOW;
        else
            err = row(st, &o);
        if (err == 0)
            err = cb(arg, &o);
    }
    if (err == 0 && rc != SQLITE_DONE)
        err = bw_db__err(rc);
    bw_db__release(st);
    return err;
}

int bw_db_observation_load(bw_db_t *db, int64_t now_ms,
                           int (*cb)(void *arg, const bw_db_observation_t *o),
                           void *arg, int64_t *last_id, uint64_t *dropped)
{
    if (last_id != NULL)
        *last_id = 0;
    if (dropped != NULL)
        *dropped = 0;
    if (db == NULL || cb == NULL || last_id == NULL)
        return BW_EINVAL;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    /* Dead rows: a new Register moved the registration (location NULL),
     * or it is gone or expired. */
    uint64_t gone = 0;
    err = bw_db__write_by_int(db,
                              "DELETE FROM observations WHERE location IS NULL "
                              "OR NOT EXISTS (SELECT 1 FROM registrations r "
                              "WHERE r.location = observations.location AND "
                              "r.expires_at > ?1)",
                              now_ms, &gone);
    if (err != 0)
        return err;
    int64_t last = 0;
    err = bw_db__read_by_text(db, "SELECT last_id FROM observation_seq", NULL,
                              &last);
    if (err != 0) /* no row: the schema made one, the file is damaged */
        return bw_db__rollback(db, err == BW_ENOTFOUND ? BW_EMALFORMED : err);
    err = walk(db, cb, arg);
    /* The deletions stand whatever the walk met: they are right. */
    int cerr = bw_db__commit(db);
    if (err == 0)
        err = cerr;
    if (cerr == 0 && dropped != NULL)
        *dropped = gone;
    if (err == 0)
        *last_id = last;
    return err;
}

int bw_db_observation_count(bw_db_t *db, const char *endpoint, uint64_t *n)
{
    if (n != NULL)
        *n = 0;
    if (db == NULL || n == NULL)
        return BW_EINVAL;
    if (endpoint != NULL) {
        int err = bw_db__endpoint_check(endpoint);
        if (err != 0)
            return err;
    }
    /* COUNT(*) always has its one row. */
    int64_t v = 0;
    pthread_mutex_lock(&db->wlock);
    int err = bw_db__read_by_text(
        db,
        endpoint != NULL
            ? "SELECT COUNT(*) FROM observations o JOIN registrations r ON "
              "r.location = o.location WHERE r.endpoint = ?1"
            : "SELECT COUNT(*) FROM observations",
        endpoint, &v);
    pthread_mutex_unlock(&db->wlock);
    if (err == 0)
        *n = (uint64_t)v;
    return err;
}
