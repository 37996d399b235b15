/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware table and the devices' reported versions (contract in
 * db_fw.h).  The repository's rules, no duplicate and no counter below
 * the model's highest, are checked inside the BEGIN IMMEDIATE
 * transaction that inserts, so the check and the insert see the same
 * table: a second upload racing the first waits for the write lock and
 * then sees the first one's row.
 */
#include <stdlib.h>
#include <string.h>

#include "db_fw.h"
#include "db_int.h"

#define ROW_COLUMNS                                                            \
    "id, model, version, security_counter, size, sha256, key_hash, "           \
    "uploaded_at, uploaded_by"

static int id_check(const char *id)
{
    if (id == NULL)
        return BW_EINVAL;
    size_t n = strnlen(id, BW_DB_FW_ID_LEN + 1);
    if (n != BW_DB_FW_ID_LEN)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return BW_EMALFORMED;
    return 0;
}

/* lib/image's rule for the model TLV: 1..32 bytes of 0x21..0x7e. */
static int model_check(const char *m)
{
    if (m == NULL)
        return BW_EINVAL;
    size_t n = strnlen(m, BW_DB_FW_MODEL_MAX + 1);
    if (n > BW_DB_FW_MODEL_MAX)
        return BW_EOVERFLOW;
    if (n == 0)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)m[i] < 0x21 || (unsigned char)m[i] > 0x7e)
            return BW_EMALFORMED;
    return 0;
}

/* A row of ROW_COLUMNS into *fw. */
static int read_row(sqlite3_stmt *st, bw_db_fw_t *fw)
{
    memset(fw, 0, sizeof *fw);
    sqlite3_int64 cnt = sqlite3_column_int64(st, 3);
    sqlite3_int64 size = sqlite3_column_int64(st, 4);
    if (cnt < 0 || cnt > UINT32_MAX || size < 0 || size > BW_DB_FW_IMAGE_MAX ||
        sqlite3_column_bytes(st, 5) != BW_DB_FW_HASH_LEN ||
        sqlite3_column_bytes(st, 6) != BW_DB_FW_HASH_LEN)
        return BW_EMALFORMED; /* not a row this code wrote */
    fw->security_counter = (uint32_t)cnt;
    fw->size = (uint32_t)size;
    memcpy(fw->sha256, sqlite3_column_blob(st, 5), BW_DB_FW_HASH_LEN);
    memcpy(fw->key_hash, sqlite3_column_blob(st, 6), BW_DB_FW_HASH_LEN);
    fw->uploaded_ms = sqlite3_column_int64(st, 7);
    int err = bw_db__column_text(st, 0, fw->id, sizeof fw->id);
    if (err == 0)
        err = bw_db__column_text(st, 1, fw->model, sizeof fw->model);
    if (err == 0)
        err = bw_db__column_text(st, 2, fw->version, sizeof fw->version);
    if (err == 0)
        err =
            bw_db__column_text(st, 8, fw->uploaded_by, sizeof fw->uploaded_by);
    return err;
}

/* Inside the transaction: is this file (or id) stored?  EEXIST and its
 * id, or 0. */
static int find_duplicate(bw_db_t *db, const bw_db_fw_t *fw, char *id_out)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w, "SELECT id FROM firmware WHERE sha256 = ? OR id = ? LIMIT 1",
        &st);
    if (err != 0)
        return err;
    sqlite3_bind_blob(st, 1, fw->sha256, BW_DB_FW_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fw->id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        err = bw_db__column_text(st, 0, id_out, BW_DB_FW_ID_LEN + 1);
        if (err == 0)
            err = BW_EEXIST;
    } else {
        err = rc == SQLITE_DONE ? 0 : bw_db__err(rc);
    }
    bw_db__release(st);
    return err;
}

/* On the writer (lock held): highest counter of model, ENOTFOUND. */
static int highest_locked(bw_db_t *db, const char *model, uint32_t *out)
{
    *out = 0;
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w, "SELECT MAX(security_counter) FROM firmware WHERE model = ?",
        &st);
    if (err != 0)
        return err;
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL) {
        err = BW_ENOTFOUND;
    } else if (rc == SQLITE_ROW) {
        sqlite3_int64 v = sqlite3_column_int64(st, 0);
        err = v < 0 || v > UINT32_MAX ? BW_EMALFORMED : 0;
        if (err == 0)
            *out = (uint32_t)v;
    } else {
        err = bw_db__err(rc);
        if (err == 0)
            err = BW_EIO;
    }
    bw_db__release(st);
    return err;
}

static int insert(bw_db_t *db, const bw_db_fw_t *fw, const uint8_t *image,
                  size_t len)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "INSERT INTO firmware (" ROW_COLUMNS
                             ", image) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             &st);
    if (err != 0)
        return err;
    sqlite3_bind_text(st, 1, fw->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fw->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, fw->version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, fw->security_counter);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)len);
    sqlite3_bind_blob(st, 6, fw->sha256, BW_DB_FW_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, fw->key_hash, BW_DB_FW_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, fw->uploaded_ms);
    sqlite3_bind_text(st, 9, fw->uploaded_by, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 10, image, (int)len, SQLITE_STATIC);
    return bw_db__step_done(st);
}

int bw_db_fw_add(bw_db_t *db, const bw_db_fw_t *fw, const uint8_t *image,
                 size_t len, bw_db_fw_conflict_t *conflict)
{
    if (conflict != NULL)
        memset(conflict, 0, sizeof *conflict);
    if (db == NULL || fw == NULL || image == NULL)
        return BW_EINVAL;
    int err = id_check(fw->id);
    if (err == 0)
        err = model_check(fw->model);
    if (err == 0)
        err = bw_db__text_check(fw->version, BW_DB_FW_VERSION_MAX, 0, 0);
    if (err == 0)
        err = bw_db__text_check(fw->uploaded_by, BW_DB_FW_BY_MAX, 0, 0);
    if (err == 0 && len > BW_DB_FW_IMAGE_MAX)
        err = BW_EOVERFLOW;
    if (err == 0 && (len == 0 || fw->size != len))
        err = BW_ERANGE;
    if (err != 0)
        return err;
    err = bw_db__begin(db);
    if (err != 0)
        return err;
    char dup[BW_DB_FW_ID_LEN + 1] = "";
    err = find_duplicate(db, fw, dup);
    if (err == BW_EEXIST && conflict != NULL)
        memcpy(conflict->id, dup, sizeof conflict->id);
    uint32_t high = 0;
    if (err == 0) {
        err = highest_locked(db, fw->model, &high);
        if (err == BW_ENOTFOUND)
            err = 0; /* the model's first image */
        else if (err == 0 && fw->security_counter < high)
            err = BW_EROLLBACK;
        if (err == BW_EROLLBACK && conflict != NULL)
            conflict->highest = high;
    }
    if (err == 0)
        err = insert(db, fw, image, len);
    if (err != 0)
        return bw_db__rollback(db, err);
    return bw_db__commit(db);
}

int bw_db_fw_get(bw_db_t *db, const char *id, bw_db_fw_t *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (db == NULL || out == NULL)
        return BW_EINVAL;
    int err = id_check(id);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    err = bw_db__prepare(
        db->w, "SELECT " ROW_COLUMNS " FROM firmware WHERE id = ?", &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            err = read_row(st, out);
        else
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    if (err != 0)
        memset(out, 0, sizeof *out);
    return err;
}

int bw_db_fw_image(bw_db_t *db, const char *id, uint8_t **image, size_t *len)
{
    if (image != NULL)
        *image = NULL;
    if (len != NULL)
        *len = 0;
    if (db == NULL || image == NULL || len == NULL)
        return BW_EINVAL;
    int err = id_check(id);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w, "SELECT image FROM firmware WHERE id = ?", &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const void *b = sqlite3_column_blob(st, 0);
            int n = sqlite3_column_bytes(st, 0);
            if (n <= 0 || b == NULL)
                err = BW_EMALFORMED; /* the schema wants an image */
            else if ((size_t)n > BW_DB_FW_IMAGE_MAX)
                err = BW_EOVERFLOW;
            else if ((*image = malloc((size_t)n)) == NULL)
                err = BW_ENOMEM;
            if (err == 0) {
                memcpy(*image, b, (size_t)n);
                *len = (size_t)n;
            }
        } else {
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        }
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_fw_list(bw_db_t *db, size_t max,
                  int (*cb)(void *arg, const bw_db_fw_t *fw), void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    if (max == 0 || max > BW_DB_LIST_MAX)
        return BW_ERANGE;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(db->w,
                             "SELECT " ROW_COLUMNS " FROM firmware ORDER BY "
                             "uploaded_at, id LIMIT ?",
                             &st);
    if (err == 0) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
        bw_db_fw_t fw;
        int rc = SQLITE_DONE;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            err = read_row(st, &fw);
            if (err == 0)
                err = cb(arg, &fw);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_fw_highest(bw_db_t *db, const char *model, uint32_t *counter)
{
    if (counter != NULL)
        *counter = 0;
    if (db == NULL || counter == NULL)
        return BW_EINVAL;
    int err = model_check(model);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    err = highest_locked(db, model, counter);
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_device_fw_version(bw_db_t *db, const char *endpoint, char *version,
                            size_t cap, int64_t *seen_ms)
{
    if (version != NULL && cap > 0)
        version[0] = '\0';
    if (seen_ms != NULL)
        *seen_ms = 0;
    if (db == NULL || version == NULL || cap == 0)
        return BW_EINVAL;
    int err = bw_db__endpoint_check(endpoint);
    if (err != 0)
        return err;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "SELECT fw_version, fw_seen_at FROM devices WHERE "
                         "endpoint = ?",
                         &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            if (bw_db__column_text(st, 0, version, cap) != 0)
                err = BW_ENOSPC;
            else if (seen_ms != NULL)
                *seen_ms = sqlite3_column_int64(st, 1);
        } else {
            err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
        }
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    if (err != 0) {
        version[0] = '\0';
        if (seen_ms != NULL)
            *seen_ms = 0;
    }
    return err;
}
