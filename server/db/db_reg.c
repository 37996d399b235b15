/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registrations, written in groups.
 *
 * A registration is the one write the LwM2M layer makes for nearly every
 * message a device sends (Register, Update every lifetime, De-register).
 * With synchronous=FULL each transaction costs an fsync of the WAL, a
 * few milliseconds on real disks; one transaction per event would cap
 * the server at a few hundred devices a second.  So the LwM2M layer
 * queues events and calls bw_db_registration_batch every few
 * milliseconds: one transaction, one fsync, for all of them, and only
 * then answers the devices (2.01 Created / 2.04 Changed).  bench/db.c
 * measures the difference.
 *
 * With each event go, in the same transaction, what the server must not
 * lose with it: the confirmation of the DM credential a device registered
 * with (the last step of a rotation, as bw_db_credential_confirm) and the
 * audit entries.  So one fsync covers a whole batch, and nothing of a
 * registration is acknowledged that is not on disk.
 *
 * Location ids are 128 random bits (libsodium's randombytes_buf) in
 * lowercase hex: unguessable, so knowing an endpoint name does not let
 * anyone update or de-register its registration.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "db_int.h"

static int location_check(const char *loc)
{
    if (strnlen(loc, BW_DB_LOCATION_LEN + 1) != BW_DB_LOCATION_LEN)
        return BW_EMALFORMED;
    for (size_t i = 0; i < BW_DB_LOCATION_LEN; i++) {
        char c = loc[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return BW_EMALFORMED;
    }
    return 0;
}

/* Binding letters of LwM2M 1.0 and 1.1 (U, S, T, N, Q), 1..3 of them. */
static int binding_check(const char *b)
{
    size_t n = strnlen(b, BW_DB_BINDING_MAX + 1);
    if (n == 0 || n > BW_DB_BINDING_MAX)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++)
        if (strchr("USTNQ", b[i]) == NULL || b[i] == '\0')
            return BW_EMALFORMED;
    return 0;
}

/* "1.0", "1.1", "1.2": digit '.' digit. */
static int version_check(const char *v)
{
    if (strnlen(v, BW_DB_VERSION_MAX + 1) != 3 || v[0] < '0' || v[0] > '9' ||
        v[1] != '.' || v[2] < '0' || v[2] > '9')
        return BW_EMALFORMED;
    return 0;
}

static int event_check(bw_db_reg_event_t *e)
{
    int err = 0;
    e->revoked = 0;
    if (e->audit_actor != NULL) {
        if (e->endpoint == NULL)
            return BW_EINVAL;
        err = bw_db__endpoint_check(e->endpoint);
        if (err == 0)
            err =
                bw_db__text_check(e->audit_actor, BW_DB_AUDIT_FIELD_MAX, 0, 0);
        if (err != 0)
            return err;
    }
    if (e->identity != NULL && e->op != BW_DB_REG_REGISTER)
        return BW_EINVAL;
    switch (e->op) {
    case BW_DB_REG_REGISTER:
        if (e->binding == NULL || e->version == NULL || e->object_links == NULL)
            return BW_EINVAL;
        err = bw_db__endpoint_check(e->endpoint);
        if (err == 0 && e->location[0] != '\0')
            err = location_check(e->location);
        if (err == 0)
            err = binding_check(e->binding);
        if (err == 0)
            err = version_check(e->version);
        if (err == 0)
            err = bw_db__text_check(e->object_links, BW_DB_LINKS_MAX, 1, 0);
        if (err == 0 && e->lifetime_s == 0)
            err = BW_ERANGE;
        return err;
    case BW_DB_REG_UPDATE:
        err = location_check(e->location);
        if (err == 0 && e->binding != NULL)
            err = binding_check(e->binding);
        if (err == 0 && e->object_links != NULL)
            err = bw_db__text_check(e->object_links, BW_DB_LINKS_MAX, 1, 0);
        return err;
    case BW_DB_REG_DEREGISTER:
        return location_check(e->location);
    default:
        return BW_EINVAL;
    }
}

enum {
    ST_REG,
    ST_UPD,
    ST_DEL,
    ST_CRED,   /* the DM credential a device registered with */
    ST_ACTIVE, /* ... becomes ACTIVE */
    ST_REVOKE, /* ... and its device's other DM credentials REVOKED */
    ST_AUDIT,
    ST_COUNT
};

static const char *const batch_sql[ST_COUNT] = {
    "INSERT INTO registrations (location, endpoint, lifetime_s, binding, "
    "lwm2m_version, object_links, registered_at, updated_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8) "
    "ON CONFLICT (endpoint) DO UPDATE SET location = excluded.location, "
    "lifetime_s = excluded.lifetime_s, binding = excluded.binding, "
    "lwm2m_version = excluded.lwm2m_version, object_links = "
    "excluded.object_links, registered_at = excluded.registered_at, "
    "updated_at = excluded.updated_at, expires_at = excluded.expires_at",
    "UPDATE registrations SET lifetime_s = COALESCE(?1, lifetime_s), "
    "binding = COALESCE(?2, binding), object_links = COALESCE(?3, "
    "object_links), updated_at = ?4, expires_at = ?4 + 1000 * "
    "COALESCE(?1, lifetime_s) WHERE location = ?5",
    "DELETE FROM registrations WHERE location = ?1",
    "SELECT c.id, c.device_id, c.state FROM credentials c JOIN devices d "
    "ON d.id = c.device_id WHERE c.identity = ?1 AND d.endpoint = ?2 AND "
    "c.purpose = 'dm'",
    /* Run for a PENDING one only: an UPDATE to the same value would still
     * rewrite the row and count as a credential change (db_sqlite.c,
     * "owners"). */
    "UPDATE credentials SET state = 'active' WHERE id = ?1",
    "UPDATE credentials SET state = 'revoked', revoked_at = ?1 WHERE "
    "device_id = ?2 AND id <> ?3 AND purpose = 'dm' AND state <> 'revoked'",
    "INSERT INTO audit_log (logged_at, actor, action, subject, detail) "
    "VALUES (?1, ?2, ?3, ?4, ?5)",
};

/* Run a bound statement that returns no row, then reset it. */
static int run(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? 0 : bw_db__err(rc);
}

static int audit_row(sqlite3_stmt **st, const bw_db_reg_event_t *e,
                     const char *action, const char *detail)
{
    sqlite3_stmt *s = st[ST_AUDIT];
    sqlite3_bind_int64(s, 1, e->now_ms);
    sqlite3_bind_text(s, 2, e->audit_actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, e->endpoint, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, detail, -1, SQLITE_TRANSIENT);
    return run(s);
}

/* The DM credential a REGISTER names (by its identity, of its device). */
typedef struct {
    int64_t id; /* 0: none (no identity, or not a DM credential here) */
    int64_t dev;
    int pending;
} cred_t;

/* Find it before the registration is written: 0 and *cr, BW_EREVOKED
 * when it was revoked after the device's authorization (the API's
 * revocation committed between the two: the registration is refused),
 * or a code that ends the batch. */
static int cred_find(sqlite3_stmt **st, const bw_db_reg_event_t *e, cred_t *cr)
{
    memset(cr, 0, sizeof *cr);
    if (e->identity == NULL || e->identity_len == 0 ||
        e->identity_len > BW_DB_IDENTITY_MAX)
        return 0;
    sqlite3_stmt *s = st[ST_CRED];
    sqlite3_bind_blob(s, 1, e->identity, (int)e->identity_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, e->endpoint, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int err = 0;
    if (rc == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(s, 2);
        if (state != NULL && strcmp(state, "revoked") == 0) {
            err = BW_EREVOKED;
        } else {
            cr->id = sqlite3_column_int64(s, 0);
            cr->dev = sqlite3_column_int64(s, 1);
            cr->pending = state != NULL && strcmp(state, "pending") == 0;
        }
    } else if (rc != SQLITE_DONE) {
        err = bw_db__err(rc);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return err;
}

/* The rotation's last step for a REGISTER whose credential was found. */
static int confirm(sqlite3 *c, sqlite3_stmt **st, bw_db_reg_event_t *e,
                   const cred_t *cr)
{
    if (cr->id == 0)
        return 0; /* not a DM credential of this device: nothing to do */
    int err = 0;
    if (cr->pending) {
        sqlite3_bind_int64(st[ST_ACTIVE], 1, cr->id);
        err = run(st[ST_ACTIVE]);
    }
    if (err != 0)
        return err;
    sqlite3_bind_int64(st[ST_REVOKE], 1, e->now_ms);
    sqlite3_bind_int64(st[ST_REVOKE], 2, cr->dev);
    sqlite3_bind_int64(st[ST_REVOKE], 3, cr->id);
    err = run(st[ST_REVOKE]);
    if (err == 0)
        e->revoked = (uint64_t)sqlite3_changes(c);
    return err;
}

/* What goes with an applied event in its transaction: the credential
 * confirmation and the audit entries.  0, or a code that ends the batch. */
static int extras(sqlite3 *c, sqlite3_stmt **st, bw_db_reg_event_t *e,
                  const cred_t *cr)
{
    static const char *const action[] = {"registered", "updated",
                                         "deregistered"};
    int err = e->op == BW_DB_REG_REGISTER ? confirm(c, st, e, cr) : 0;
    if (err != 0 || e->audit_actor == NULL)
        return err;
    err = audit_row(st, e, action[e->op], "");
    if (err == 0 && e->revoked > 0) {
        char detail[64];
        snprintf(detail, sizeof detail, "%llu older DM credential(s)",
                 (unsigned long long)e->revoked);
        err = audit_row(st, e, "credential-revoked", detail);
    }
    return err;
}

/* Bind and run one event.  Returns the event's own outcome; sets *fatal
 * when the error ends the whole batch (I/O, lock, memory). */
static int apply(sqlite3 *c, sqlite3_stmt **st, bw_db_reg_event_t *e,
                 int *fatal)
{
    sqlite3_stmt *s = st[e->op];
    int64_t now = e->now_ms;
    if (e->op == BW_DB_REG_REGISTER) {
        sqlite3_bind_text(s, 1, e->location, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, e->endpoint, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, e->lifetime_s);
        sqlite3_bind_text(s, 4, e->binding, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, e->version, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, e->object_links, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 7, now);
        sqlite3_bind_int64(s, 8, now + 1000 * (int64_t)e->lifetime_s);
    } else if (e->op == BW_DB_REG_UPDATE) {
        if (e->lifetime_s != 0)
            sqlite3_bind_int64(s, 1, e->lifetime_s);
        if (e->binding != NULL)
            sqlite3_bind_text(s, 2, e->binding, -1, SQLITE_STATIC);
        if (e->object_links != NULL)
            sqlite3_bind_text(s, 3, e->object_links, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, now);
        sqlite3_bind_text(s, 5, e->location, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(s, 1, e->location, -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_DONE)
        return e->op != BW_DB_REG_REGISTER && sqlite3_changes(c) == 0
                   ? BW_ENOTFOUND
                   : 0;
    /* A constraint failure aborts this statement only; the transaction
     * and the other events go on.  Anything else ends the batch. */
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return BW_EEXIST;
    *fatal = 1;
    return bw_db__err(rc);
}

static void fail_all(bw_db_reg_event_t *ev, size_t n, int err)
{
    for (size_t i = 0; i < n; i++) {
        ev[i].result = err;
        ev[i].revoked = 0;
    }
}

int bw_db_registration_batch(bw_db_t *db, bw_db_reg_event_t *events, size_t n)
{
    if (db == NULL || (events == NULL && n > 0))
        return BW_EINVAL;
    if (n > BW_DB_BATCH_MAX)
        return BW_EOVERFLOW;
    if (n == 0)
        return 0;
    /* Validation and drawing locations need no lock. */
    for (size_t i = 0; i < n; i++) {
        bw_db_reg_event_t *e = &events[i];
        e->result = event_check(e);
        if (e->result == 0 && e->op == BW_DB_REG_REGISTER &&
            e->location[0] == '\0') {
            uint8_t rnd[BW_DB_LOCATION_LEN / 2];
            randombytes_buf(rnd, sizeof rnd);
            sodium_bin2hex(e->location, sizeof e->location, rnd, sizeof rnd);
        }
    }
    int err = bw_db__begin(db);
    if (err != 0) {
        fail_all(events, n, err);
        return err;
    }
    sqlite3_stmt *st[ST_COUNT] = {NULL};
    for (int i = 0; i < ST_COUNT && err == 0; i++)
        err = bw_db__prepare(db->w, batch_sql[i], &st[i]);
    int fatal = 0;
    for (size_t i = 0; i < n && err == 0; i++) {
        if (events[i].result != 0)
            continue;
        cred_t cr = {0};
        if (events[i].op == BW_DB_REG_REGISTER) {
            int r = cred_find(st, &events[i], &cr);
            if (r == BW_EREVOKED) {
                events[i].result = r; /* refused: nothing written */
                continue;
            }
            if (r != 0) {
                err = events[i].result = r;
                break;
            }
        }
        events[i].result = apply(db->w, st, &events[i], &fatal);
        if (fatal)
            err = events[i].result;
        else if (events[i].result == 0)
            err = extras(db->w, st, &events[i], &cr);
    }
    for (int i = 0; i < ST_COUNT; i++)
        bw_db__release(st[i]);
    err = err != 0 ? bw_db__rollback(db, err) : bw_db__commit(db);
    if (err != 0)
        fail_all(events, n, err);
    return err;
}

int bw_db_registration_get(bw_db_t *db, const char *location,
                           bw_db_registration_t *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (db == NULL || location == NULL || out == NULL)
        return BW_EINVAL;
    int err = location_check(location);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "SELECT location, endpoint, lifetime_s, binding, "
                         "lwm2m_version, object_links, registered_at, "
                         "updated_at, expires_at FROM registrations WHERE "
                         "location = ?",
                         &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, location, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            sqlite3_int64 lt = sqlite3_column_int64(st, 2);
            out->lifetime_s = lt < 0 || lt > UINT32_MAX ? 0 : (uint32_t)lt;
            out->registered_ms = sqlite3_column_int64(st, 6);
            out->updated_ms = sqlite3_column_int64(st, 7);
            out->expires_ms = sqlite3_column_int64(st, 8);
            struct {
                int col;
                char *dst;
                size_t cap;
            } text[] = {
                {0, out->location, sizeof out->location},
                {1, out->endpoint, sizeof out->endpoint},
                {3, out->binding, sizeof out->binding},
                {4, out->version, sizeof out->version},
                {5, out->object_links, sizeof out->object_links},
            };
            for (size_t i = 0; i < 5 && err == 0; i++)
                err = bw_db__column_text(st, text[i].col, text[i].dst,
                                         text[i].cap);
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

int bw_db_registration_expire(bw_db_t *db, int64_t now_ms, uint64_t *count)
{
    if (count != NULL)
        *count = 0;
    if (db == NULL)
        return BW_EINVAL;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    uint64_t n = 0;
    err = bw_db__write_by_int(
        db, "DELETE FROM registrations WHERE expires_at <= ?", now_ms, &n);
    return err != 0 ? err : bw_db__commit_count(db, n, count);
}

/* ---- the start-up walk ------------------------------------------------ */

/* Column i as text, or NULL when it is NULL or not text. */
static const char *text_col(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_TEXT
               ? (const char *)sqlite3_column_text(st, i)
               : NULL;
}

/* Fill *row from the current result row; BW_EMALFORMED when a value
 * breaks the rules of bw_db_reg_row_t. */
static int walk_row(sqlite3_stmt *st, bw_db_reg_row_t *row)
{
    memset(row, 0, sizeof *row);
    row->location = text_col(st, 1);
    row->endpoint = text_col(st, 2);
    row->binding = text_col(st, 4);
    row->version = text_col(st, 5);
    row->object_links = text_col(st, 6);
    if (row->location == NULL || row->endpoint == NULL ||
        row->binding == NULL || row->version == NULL ||
        row->object_links == NULL)
        return BW_EMALFORMED;
    /* Text with a NUL inside would be cut short by every reader. */
    row->object_links_len = (size_t)sqlite3_column_bytes(st, 6);
    if (strlen(row->object_links) != row->object_links_len)
        return BW_EMALFORMED;
    static const int ints[] = {3, 7, 8, 9};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (sqlite3_column_type(st, ints[i]) != SQLITE_INTEGER)
            return BW_EMALFORMED;
    sqlite3_int64 lt = sqlite3_column_int64(st, 3);
    if (lt <= 0 || lt > UINT32_MAX)
        return BW_EMALFORMED;
    row->lifetime_s = (uint32_t)lt;
    row->registered_ms = sqlite3_column_int64(st, 7);
    row->updated_ms = sqlite3_column_int64(st, 8);
    row->expires_ms = sqlite3_column_int64(st, 9);
    int err = location_check(row->location);
    if (err == 0)
        err = bw_db__endpoint_check(row->endpoint);
    if (err == 0)
        err = binding_check(row->binding);
    if (err == 0)
        err = version_check(row->version);
    if (err == 0)
        err = bw_db__text_check(row->object_links, BW_DB_LINKS_MAX, 1, 0);
    return err != 0 ? BW_EMALFORMED : 0;
}

/* One page: rows after *after, at most page_rows.  *after moves to the
 * last rowid read; *n gets how many rows the page held. */
static int walk_page(bw_db_t *db, int64_t now_ms, unsigned page_rows,
                     int64_t *after, size_t *n,
                     int (*cb)(void *arg, const bw_db_reg_row_t *row),
                     void *arg, bw_db_reg_walk_t *stats)
{
    *n = 0;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w,
        "SELECT rowid, location, endpoint, lifetime_s, binding, "
        "lwm2m_version, object_links, registered_at, updated_at, expires_at "
        "FROM registrations WHERE rowid > ?1 AND expires_at > ?2 "
        "ORDER BY rowid LIMIT ?3",
        &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, *after);
        sqlite3_bind_int64(st, 2, now_ms);
        sqlite3_bind_int64(st, 3, page_rows);
        stats->pages++;
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            (*n)++;
            *after = sqlite3_column_int64(st, 0);
            bw_db_reg_row_t row;
            if (walk_row(st, &row) != 0) {
                stats->bad++;
                continue;
            }
            stats->rows++;
            err = cb(arg, &row);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_registration_walk(bw_db_t *db, int64_t now_ms, unsigned page_rows,
                            int (*cb)(void *arg, const bw_db_reg_row_t *row),
                            void *arg, bw_db_reg_walk_t *stats)
{
    bw_db_reg_walk_t own;
    if (stats == NULL)
        stats = &own;
    memset(stats, 0, sizeof *stats);
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    if (page_rows == 0 || page_rows > BW_DB_REG_PAGE_MAX)
        return BW_ERANGE;
    int64_t after = INT64_MIN;
    size_t n;
    int err;
    do
        err = walk_page(db, now_ms, page_rows, &after, &n, cb, arg, stats);
    while (err == 0 && n == page_rows);
    return err;
}
