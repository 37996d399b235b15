/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests queued for devices (LwM2M queue mode: a sleeping device is
 * sent what waits for it when it next registers or updates), and their
 * state machine (drawn in db.h at bw_db_req_state_t).
 *
 * Every move is a single UPDATE guarded by the states it may leave
 * ("... WHERE id = ? AND state IN (...)"), so two server threads racing
 * to send the same request cannot both succeed: the loser sees no row
 * changed and is told BW_ESTATE.  The moves with a reason, the restart's
 * requeue and paging across states are declared in db_request.h.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "db_request.h"

static const char *const op_names[BW_DB_OP_COUNT_] = {
    "read",           "write",    "execute",          "create",
    "delete",         "discover", "write-attributes", "observe",
    "cancel-observe",
};

static const char *const state_names[] = {"queued", "sent", "answered",
                                          "expired"};

static int name_index(const unsigned char *s, const char *const *names, int n)
{
    for (int i = 0; i < n && s != NULL; i++)
        if (strcmp((const char *)s, names[i]) == 0)
            return i;
    return -1;
}

static int path_check(const char *path)
{
    int err = bw_db__text_check(path, BW_DB_PATH_MAX, 0, 0);
    if (err == 0 && path[0] != '/')
        err = BW_EMALFORMED;
    return err;
}

/* ---- which devices may have QUEUED requests ---------------------------
 *
 * The delivery engine asks, for every device that registers, whether it
 * has requests waiting; nearly all have none.  db->queued answers from
 * memory: a device is noted in the transaction that makes one of its
 * requests QUEUED (enqueue, requeue), and forgotten when a read of its
 * QUEUED requests, under the same lock, finds none.  So a device missing
 * from it has none committed; one present may have none any more (its
 * last request answered, expired or cancelled since), which the next
 * read finds out.  bw_db_request_queued_load fills it from the table.
 */
static size_t ep_bucket(const char *ep)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *ep != '\0'; ep++)
        h = (h ^ (unsigned char)*ep) * 1099511628211u;
    return (size_t)(h % BW_DB_QUEUED_BUCKETS);
}

/* Add ep to the buckets b; 0, or BW_ENOMEM. */
static int qdev_add(bw_db_qdev_t **b, const char *ep)
{
    bw_db_qdev_t **head = &b[ep_bucket(ep)];
    for (const bw_db_qdev_t *d = *head; d != NULL; d = d->next)
        if (strcmp(d->ep, ep) == 0)
            return 0;
    size_t n = strlen(ep) + 1;
    bw_db_qdev_t *d = malloc(sizeof *d + n);
    if (d == NULL)
        return BW_ENOMEM;
    memcpy(d->ep, ep, n);
    d->next = *head;
    *head = d;
    return 0;
}

static void qdev_free(bw_db_qdev_t **b)
{
    for (size_t i = 0; b != NULL && i < BW_DB_QUEUED_BUCKETS; i++)
        while (b[i] != NULL) {
            bw_db_qdev_t *d = b[i];
            b[i] = d->next;
            free(d);
        }
    free(b);
}

void bw_db__queued_free(bw_db_t *db)
{
    qdev_free(db->queued);
    db->queued = NULL;
}

/* ep may have QUEUED requests now (wlock held). */
static void queued_note(bw_db_t *db, const char *ep)
{
    pthread_mutex_lock(&db->queued_lock);
    if (db->queued != NULL && !db->queued_all &&
        (ep == NULL || qdev_add(db->queued, ep) != 0))
        db->queued_all = 1; /* no memory (or no name): every device may */
    pthread_mutex_unlock(&db->queued_lock);
}

/* The device of request id may have QUEUED requests now (wlock held,
 * inside the transaction that made it QUEUED). */
static void queued_note_request(bw_db_t *db, int64_t id)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT d.endpoint FROM queued_requests r JOIN "
                             "devices d ON d.id = r.device_id WHERE r.id = ?",
                             &st);
    int rc = SQLITE_ERROR;
    if (err == 0) {
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            queued_note(db, (const char *)sqlite3_column_text(st, 0));
        bw_db__release(st);
    }
    if (rc != SQLITE_ROW) { /* unknown: every device may */
        pthread_mutex_lock(&db->queued_lock);
        db->queued_all = 1;
        pthread_mutex_unlock(&db->queued_lock);
    }
}

/* A read under wlock found no QUEUED request of ep (or no such device). */
static void queued_forget(bw_db_t *db, const char *ep)
{
    pthread_mutex_lock(&db->queued_lock);
    if (db->queued != NULL)
        for (bw_db_qdev_t **pp = &db->queued[ep_bucket(ep)]; *pp != NULL;
             pp = &(*pp)->next)
            if (strcmp((*pp)->ep, ep) == 0) {
                bw_db_qdev_t *d = *pp;
                *pp = d->next;
                free(d);
                break;
            }
    pthread_mutex_unlock(&db->queued_lock);
}

int bw_db_request_may_have_queued(bw_db_t *db, const char *endpoint)
{
    if (db == NULL || endpoint == NULL)
        return 1;
    int may = 1;
    pthread_mutex_lock(&db->queued_lock);
    if (db->queued != NULL && !db->queued_all) {
        may = 0;
        for (const bw_db_qdev_t *d = db->queued[ep_bucket(endpoint)];
             d != NULL && !may; d = d->next)
            may = strcmp(d->ep, endpoint) == 0;
    }
    pthread_mutex_unlock(&db->queued_lock);
    return may;
}

int bw_db_request_queued_load(bw_db_t *db)
{
    if (db == NULL)
        return BW_EINVAL;
    bw_db_qdev_t **b = calloc(BW_DB_QUEUED_BUCKETS, sizeof *b);
    if (b == NULL)
        return BW_ENOMEM;
    /* Built aside and published whole: a half-read table would say "none"
     * of a device not read yet.  The writer's lock keeps every enqueue
     * out meanwhile. */
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT DISTINCT d.endpoint FROM queued_requests "
                             "r JOIN devices d ON d.id = r.device_id WHERE "
                             "r.state IN ('queued', 'sent')",
                             &st);
    int rc = SQLITE_DONE;
    while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *ep = sqlite3_column_text(st, 0);
        if (ep != NULL)
            err = qdev_add(b, (const char *)ep);
    }
    if (err == 0 && rc != SQLITE_DONE)
        err = bw_db__err(rc);
    bw_db__release(st);
    bw_db_qdev_t **old = NULL;
    pthread_mutex_lock(&db->queued_lock);
    if (err == 0) {
        old = db->queued;
        db->queued = b;
        db->queued_all = 0;
    }
    pthread_mutex_unlock(&db->queued_lock);
    pthread_mutex_unlock(&db->wlock);
    qdev_free(err == 0 ? old : b);
    return err;
}

/* sqlite3_bind_blob with a NULL pointer binds SQL NULL; an empty payload
 * is stored as NULL on purpose and read back as (NULL, 0). */
static void bind_payload(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
    if (p != NULL && n > 0)
        sqlite3_bind_blob(st, i, p, (int)n, SQLITE_STATIC);
}

int bw_db_request_enqueue(bw_db_t *db, const char *endpoint, bw_db_req_op_t op,
                          const char *path, const uint8_t *payload,
                          size_t payload_len, int64_t now_ms,
                          int64_t expires_ms, int64_t *id)
{
    if (id != NULL)
        *id = 0;
    if (db == NULL || (unsigned)op >= BW_DB_OP_COUNT_ ||
        (payload == NULL && payload_len != 0))
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0)
        err = path_check(path);
    if (err == 0 && payload_len > BW_DB_PAYLOAD_MAX)
        err = BW_EOVERFLOW;
    if (err == 0 && expires_ms <= now_ms)
        err = BW_ERANGE;
    if (err != 0)
        return err;
    int64_t dev;
    err = bw_db__begin_device(db, endpoint, NULL, &dev);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "INSERT INTO queued_requests (device_id, operation, "
                         "path, payload, state, result_code, created_at, "
                         "updated_at, expires_at) VALUES (?, ?, ?, ?, "
                         "'queued', 0, ?, ?, ?)",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, dev);
    sqlite3_bind_text(st, 2, op_names[op], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
    bind_payload(st, 4, payload, payload_len);
    sqlite3_bind_int64(st, 5, now_ms);
    sqlite3_bind_int64(st, 6, now_ms);
    sqlite3_bind_int64(st, 7, expires_ms);
    err = bw_db__step_write(db, st, NULL);
    if (err != 0)
        return err; /* rolled back */
    int64_t new_id = sqlite3_last_insert_rowid(db->w);
    queued_note(db, endpoint); /* before the commit makes it visible */
    return bw_db__commit_id(db, new_id, id);
}

/* After a guarded UPDATE of request id that stepped to rc, inside the
 * transaction: commit when it changed the row; else roll back with
 * BW_ESTATE (the request is in another state) or BW_ENOTFOUND. */
static int settle(bw_db_t *db, int rc, int64_t id)
{
    if (rc != SQLITE_DONE)
        return bw_db__rollback(db, bw_db__err(rc));
    if (sqlite3_changes(db->w) > 0)
        return bw_db__commit(db);
    int64_t one;
    int err = bw_db__read_by_int(
        db, "SELECT 1 FROM queued_requests WHERE id = ?", id, &one);
    return bw_db__rollback(db, err == 0 ? BW_ESTATE : err);
}

/*
 * One guarded move: from the state named `from` to `to`.  No row changed
 * means the request is unknown (BW_ENOTFOUND) or in another state
 * (BW_ESTATE); which one is read in the same transaction.
 */
static int move(bw_db_t *db, int64_t id, bw_db_req_state_t from,
                bw_db_req_state_t to, int code, const uint8_t *result,
                size_t result_len, int64_t now_ms)
{
    if (db == NULL)
        return BW_EINVAL;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "UPDATE queued_requests SET state = ?1, updated_at "
                         "= ?2, result_code = CASE WHEN ?3 > 0 THEN ?3 ELSE "
                         "result_code END, result = CASE WHEN ?3 > 0 THEN ?4 "
                         "ELSE result END WHERE id = ?5 AND state = ?6",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_text(st, 1, state_names[to], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int(st, 3, code);
    bind_payload(st, 4, result, result_len);
    sqlite3_bind_int64(st, 5, id);
    sqlite3_bind_text(st, 6, state_names[from], -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bw_db__release(st);
    if (rc == SQLITE_DONE && to == BW_DB_REQ_QUEUED &&
        sqlite3_changes(db->w) > 0)
        queued_note_request(db, id); /* leaves sqlite3_changes as it is */
    return settle(db, rc, id);
}

int bw_db_request_mark_sent(bw_db_t *db, int64_t id, int64_t now_ms)
{
    return move(db, id, BW_DB_REQ_QUEUED, BW_DB_REQ_SENT, 0, NULL, 0, now_ms);
}

int bw_db_request_requeue(bw_db_t *db, int64_t id, int64_t now_ms)
{
    return move(db, id, BW_DB_REQ_SENT, BW_DB_REQ_QUEUED, 0, NULL, 0, now_ms);
}

int bw_db_request_answer(bw_db_t *db, int64_t id, int code,
                         const uint8_t *result, size_t result_len,
                         int64_t now_ms)
{
    if (result == NULL && result_len != 0)
        return BW_EINVAL;
    if (code < 1 || code > 255)
        return BW_ERANGE;
    if (result_len > BW_DB_PAYLOAD_MAX)
        return BW_EOVERFLOW;
    return move(db, id, BW_DB_REQ_SENT, BW_DB_REQ_ANSWERED, code, result,
                result_len, now_ms);
}

int bw_db_request_expire(bw_db_t *db, int64_t now_ms, uint64_t *count)
{
    if (count != NULL)
        *count = 0;
    if (db == NULL)
        return BW_EINVAL;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "UPDATE queued_requests SET state = 'expired', "
                         "updated_at = ?1, result_code = 0, result = "
                         "CAST(?2 AS BLOB) WHERE state IN ('queued', "
                         "'sent') AND expires_at <= ?1",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_text(st, 2, BW_DB_REQ_WHY_TTL, -1, SQLITE_STATIC);
    uint64_t n = 0;
    err = bw_db__step_write(db, st, &n);
    return err != 0 ? err : bw_db__commit_count(db, n, count);
}

#define REQ_COLUMNS                                                            \
    "SELECT r.id, d.endpoint, r.operation, r.path, r.payload, r.state, "       \
    "r.result_code, r.result, r.created_at, r.updated_at, r.expires_at, "      \
    "r.tries FROM queued_requests r JOIN devices d ON d.id = r.device_id "

/* The tries column as a count (the CHECK keeps it at 0 or above; a
 * count past UINT_MAX reads as UINT_MAX, which is past any limit). */
static unsigned tries_of(int64_t v)
{
    return v < 0 ? 0 : v > (int64_t)UINT_MAX ? UINT_MAX : (unsigned)v;
}

/* Walk the rows of st (bound by the caller), lock held.  *rows counts
 * them. */
static int walk(sqlite3_stmt *st, bw_db_request_cb cb, void *arg, size_t *rows)
{
    int rc = SQLITE_DONE, err = 0;
    *rows = 0;
    while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int op =
            name_index(sqlite3_column_text(st, 2), op_names, BW_DB_OP_COUNT_);
        int state = name_index(sqlite3_column_text(st, 5), state_names, 4);
        if (op < 0 || state < 0)
            return BW_EMALFORMED; /* the CHECK constraints forbid this */
        bw_db_request_t r = {
            .id = sqlite3_column_int64(st, 0),
            .endpoint = (const char *)sqlite3_column_text(st, 1),
            .op = (bw_db_req_op_t)op,
            .path = (const char *)sqlite3_column_text(st, 3),
            .payload = sqlite3_column_blob(st, 4),
            .payload_len = (size_t)sqlite3_column_bytes(st, 4),
            .state = (bw_db_req_state_t)state,
            .result_code = sqlite3_column_int(st, 6),
            .result = sqlite3_column_blob(st, 7),
            .result_len = (size_t)sqlite3_column_bytes(st, 7),
            .created_ms = sqlite3_column_int64(st, 8),
            .updated_ms = sqlite3_column_int64(st, 9),
            .expires_ms = sqlite3_column_int64(st, 10),
            .tries = tries_of(sqlite3_column_int64(st, 11)),
        };
        (*rows)++;
        err = cb(arg, &r);
    }
    if (err == 0 && rc != SQLITE_DONE)
        err = bw_db__err(rc);
    return err;
}

int bw_db_request_get(bw_db_t *db, int64_t id, bw_db_request_cb cb, void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    size_t rows = 0;
    int err = bw_db__prepare(db->w, REQ_COLUMNS "WHERE r.id = ?", &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, id);
        err = walk(st, cb, arg, &rows);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err == 0 && rows == 0 ? BW_ENOTFOUND : err;
}

int bw_db_request_list(bw_db_t *db, const char *endpoint,
                       bw_db_req_state_t state, size_t max, bw_db_request_cb cb,
                       void *arg)
{
    if (db == NULL || cb == NULL || (unsigned)state > BW_DB_REQ_EXPIRED)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    int64_t dev;
    sqlite3_stmt *st = NULL;
    size_t rows;
    err = bw_db__device_id(db, endpoint, &dev);
    if (err == 0)
        err = bw_db__prepare(db->w,
                             REQ_COLUMNS "WHERE r.device_id = ? AND r.state "
                                         "= ? ORDER BY r.id LIMIT ?",
                             &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, dev);
        sqlite3_bind_text(st, 2, state_names[state], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, max > INT64_MAX ? INT64_MAX : (int64_t)max);
        err = walk(st, cb, arg, &rows);
        if (err == 0 && rows == 0 && max > 0 && state == BW_DB_REQ_QUEUED)
            queued_forget(db, endpoint);
    } else if (err == BW_ENOTFOUND) {
        queued_forget(db, endpoint); /* the device is gone */
    }
    bw_db__release(st);
    pthread_mutex_unlock(&db->wlock);
    return err;
}

/* ---- db_request.h ------------------------------------------------------ */

const char *bw_db_request_state_name(bw_db_req_state_t state)
{
    return (unsigned)state <= BW_DB_REQ_EXPIRED ? state_names[state] : NULL;
}

const char *bw_db_request_op_name(bw_db_req_op_t op)
{
    return (unsigned)op < BW_DB_OP_COUNT_ ? op_names[op] : NULL;
}

int bw_db_request_state_parse(const char *s, bw_db_req_state_t *out)
{
    if (s == NULL || out == NULL)
        return BW_EINVAL;
    int i = name_index((const unsigned char *)s, state_names, 4);
    if (i < 0)
        return BW_EMALFORMED;
    *out = (bw_db_req_state_t)i;
    return 0;
}

int bw_db_request_give_up(bw_db_t *db, int64_t id, bw_db_req_state_t from,
                          const char *why, int64_t now_ms)
{
    if (db == NULL || why == NULL ||
        (from != BW_DB_REQ_QUEUED && from != BW_DB_REQ_SENT))
        return BW_EINVAL;
    int err = bw_db__text_check(why, BW_DB_REQ_WHY_MAX, 0, 0);
    if (err != 0)
        return err;
    /* Not move(): that one records a result only with a CoAP code, and
     * a reason has none. */
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "UPDATE queued_requests SET state = 'expired', "
                         "updated_at = ?1, result_code = 0, result = "
                         "CAST(?2 AS BLOB) WHERE id = ?3 AND state = ?4",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_text(st, 4, state_names[from], -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bw_db__release(st);
    return settle(db, rc, id);
}

int bw_db_request_requeue_sent(bw_db_t *db, int64_t now_ms, uint64_t *count)
{
    if (count != NULL)
        *count = 0;
    if (db == NULL)
        return BW_EINVAL;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "SELECT DISTINCT d.endpoint FROM queued_requests r "
                         "JOIN devices d ON d.id = r.device_id WHERE "
                         "r.state = 'sent'",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        queued_note(db, (const char *)sqlite3_column_text(st, 0));
    bw_db__release(st);
    if (rc != SQLITE_DONE)
        return bw_db__rollback(db, bw_db__err(rc));
    uint64_t n = 0;
    err = bw_db__write_by_int(db,
                              "UPDATE queued_requests SET state = 'queued', "
                              "updated_at = ? WHERE state = 'sent'",
                              now_ms, &n);
    return err != 0 ? err : bw_db__commit_count(db, n, count);
}

int bw_db_request_page(bw_db_t *db, const char *endpoint, int state,
                       int64_t after_id, size_t max, bw_db_request_cb cb,
                       void *arg)
{
    if (db == NULL || cb == NULL || state < BW_DB_REQ_ANY ||
        state > BW_DB_REQ_EXPIRED)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    if (max == 0)
        return BW_ERANGE;
    pthread_mutex_lock(&db->wlock);
    int64_t dev;
    sqlite3_stmt *st = NULL;
    size_t rows;
    err = bw_db__device_id(db, endpoint, &dev);
    if (err == 0)
        err = bw_db__prepare(db->w,
                             REQ_COLUMNS "WHERE r.device_id = ?1 AND r.id > "
                                         "?2 AND (?3 IS NULL OR r.state = "
                                         "?3) ORDER BY r.id LIMIT ?4",
                             &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, dev);
        sqlite3_bind_int64(st, 2, after_id);
        if (state != BW_DB_REQ_ANY)
            sqlite3_bind_text(st, 3, state_names[state], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, max > INT64_MAX ? INT64_MAX : (int64_t)max);
        err = walk(st, cb, arg, &rows);
    }
    bw_db__release(st);
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_request_retry(bw_db_t *db, int64_t id, int64_t now_ms,
                        unsigned *tries)
{
    if (tries != NULL)
        *tries = 0;
    if (db == NULL)
        return BW_EINVAL;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "UPDATE queued_requests SET state = 'queued', "
                         "updated_at = ?1, tries = tries + 1 WHERE id = ?2 "
                         "AND state = 'sent'",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st);
    bw_db__release(st);
    if (rc != SQLITE_DONE || sqlite3_changes(db->w) == 0)
        return settle(db, rc, id); /* rolls back: BW_ESTATE, ... */
    /* The count as committed, read in the same transaction. */
    int64_t v = 0;
    err = bw_db__read_by_int(
        db, "SELECT tries FROM queued_requests WHERE id = ?", id, &v);
    if (err != 0) /* ENOTFOUND cannot be: the row was just written */
        return bw_db__rollback(db, err);
    unsigned n = tries_of(v);
    queued_note_request(db, id);
    err = bw_db__commit(db);
    if (err == 0 && tries != NULL)
        *tries = n;
    return err;
}

int bw_db_request_purge(bw_db_t *db, int64_t before_ms, size_t max,
                        uint64_t *count)
{
    if (count != NULL)
        *count = 0;
    if (db == NULL)
        return BW_EINVAL;
    if (max == 0 || max > BW_DB_REQ_PURGE_MAX)
        return BW_ERANGE;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    /* The inner SELECT walks queued_requests_done (state, updated_at):
     * two index ranges, at most max rows, whatever the table's size. */
    err = bw_db__prepare(db->w,
                         "DELETE FROM queued_requests WHERE id IN (SELECT id "
                         "FROM queued_requests WHERE state IN ('answered', "
                         "'expired') AND updated_at < ?1 LIMIT ?2)",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, before_ms);
    sqlite3_bind_int64(st, 2, (int64_t)max);
    uint64_t n = 0;
    err = bw_db__step_write(db, st, &n);
    return err != 0 ? err : bw_db__commit_count(db, n, count);
}
