/* SPDX-License-Identifier: Apache-2.0 */
/*
 * REST API tokens (db_token.h): the text's syntax, argon2id hashes made
 * and checked outside the database lock, and the rows.  Every copy of a
 * token text or of a hash made here is wiped before it is freed.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "db_int.h"
#include "db_token.h"

/* Draws of a fresh token before giving up on lookup id collisions: with
 * 48-bit ids a second collision in a row means a broken CSPRNG. */
#define CREATE_TRIES 3

static const char *const role_names[] = {"admin", "operator", "viewer"};

const char *bw_db_role_name(bw_db_role_t role)
{
    return (unsigned)role < 3 ? role_names[role] : "?";
}

int bw_db_role_parse(const char *s, bw_db_role_t *out)
{
    if (s == NULL || out == NULL)
        return BW_EINVAL;
    for (unsigned i = 0; i < 3; i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (bw_db_role_t)i;
            return 0;
        }
    }
    return BW_EMALFORMED;
}

static int hex_digit(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

int bw_db_token_parse(const char *text, size_t len,
                      char lookup[BW_DB_TOKEN_LOOKUP_LEN + 1])
{
    if (lookup == NULL)
        return BW_EINVAL;
    memset(lookup, 0, BW_DB_TOKEN_LOOKUP_LEN + 1);
    if (text == NULL && len != 0)
        return BW_EINVAL;
    if (len < BW_DB_TOKEN_HEX)
        return BW_ETRUNC;
    if (len > BW_DB_TOKEN_HEX)
        return BW_EOVERFLOW;
    /* Every byte is looked at, whatever the first bad one: the time taken
     * does not depend on where a secret digit is wrong. */
    unsigned bad = 0;
    for (size_t i = 0; i < BW_DB_TOKEN_HEX; i++)
        bad |= (unsigned)!hex_digit((unsigned char)text[i]);
    if (bad)
        return BW_EMALFORMED;
    for (size_t i = 0; i < BW_DB_TOKEN_LOOKUP_LEN; i++) {
        char c = text[i];
        lookup[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
    }
    return 0;
}

int bw_db_token_name_check(const char *name)
{
    if (name == NULL)
        return BW_EINVAL;
    size_t n = strnlen(name, BW_DB_TOKEN_NAME_MAX + 1);
    if (n > BW_DB_TOKEN_NAME_MAX)
        return BW_EOVERFLOW;
    if (n == 0)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
            return BW_EMALFORMED;
    }
    return 0;
}

/* The columns every read selects, in this order. */
#define COLS "id, name, role, lookup, created_at, last_used_at, revoked_at"

static int row_read(sqlite3_stmt *st, bw_db_token_t *t)
{
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(st, 0);
    int err = bw_db__column_text(st, 1, t->name, sizeof t->name);
    char role[16];
    if (err == 0)
        err = bw_db__column_text(st, 2, role, sizeof role);
    if (err == 0)
        err = bw_db_role_parse(role, &t->role);
    if (err == 0)
        err = bw_db__column_text(st, 3, t->lookup, sizeof t->lookup);
    t->created_ms = sqlite3_column_int64(st, 4);
    t->last_used_ms = sqlite3_column_int64(st, 5);
    t->revoked_ms = sqlite3_column_int64(st, 6);
    if (err != 0) /* a row the schema's checks should have kept out */
        memset(t, 0, sizeof *t);
    return err != 0 ? BW_EIO : 0;
}

/* Does a row match "column = ?" (inside the caller's transaction)? */
static int exists(bw_db_t *db, const char *sql, const char *value, int *yes)
{
    int64_t one;
    int err = bw_db__read_by_text(db, sql, value, &one);
    *yes = err == 0;
    return err == BW_ENOTFOUND ? 0 : err;
}

static int insert(bw_db_t *db, const char *name, bw_db_role_t role,
                  const char *lookup, const char *hash, int64_t now_ms,
                  bw_db_token_t *out)
{
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    int taken = 0;
    err = exists(db, "SELECT 1 FROM api_tokens WHERE name = ?", name, &taken);
    if (err == 0 && taken)
        err = BW_EEXIST;
    if (err == 0)
        err = exists(db, "SELECT 1 FROM api_tokens WHERE lookup = ?", lookup,
                     &taken);
    if (err == 0 && taken)
        err = BW_EDUPKEY;
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "INSERT INTO api_tokens (name, role, lookup, hash, "
                         "created_at) VALUES (?, ?, ?, ?, ?)",
                         &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, bw_db_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, lookup, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ms);
    err = bw_db__step_write(db, st, NULL);
    if (err != 0)
        return err; /* rolled back */
    int64_t id = sqlite3_last_insert_rowid(db->w);
    err = bw_db__commit(db);
    if (err == 0 && out != NULL) {
        memset(out, 0, sizeof *out);
        out->id = id;
        snprintf(out->name, sizeof out->name, "%s", name);
        out->role = role;
        memcpy(out->lookup, lookup, sizeof out->lookup);
        out->created_ms = now_ms;
    }
    return err;
}

int bw_db_token_add(bw_db_t *db, const char *name, bw_db_role_t role,
                    const char *text, int64_t now_ms, bw_db_token_t *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (db == NULL || text == NULL || (unsigned)role > BW_DB_ROLE_VIEWER)
        return BW_EINVAL;
    int err = bw_db_token_name_check(name);
    if (err != 0)
        return err;
    char lookup[BW_DB_TOKEN_LOOKUP_LEN + 1];
    size_t len = strnlen(text, BW_DB_TOKEN_HEX + 1);
    err = bw_db_token_parse(text, len, lookup);
    if (err != 0)
        return err;
    char hash[crypto_pwhash_STRBYTES];
    _Static_assert(crypto_pwhash_STRBYTES <= BW_DB_TOKEN_HASH_MAX,
                   "a stored hash fits BW_DB_TOKEN_HASH_MAX");
    /* Hashed before the transaction: argon2id must not hold the lock. */
    if (crypto_pwhash_str(hash, text, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return BW_ENOMEM;
    err = insert(db, name, role, lookup, hash, now_ms, out);
    sodium_memzero(hash, sizeof hash);
    return err;
}

int bw_db_token_create(bw_db_t *db, const char *name, bw_db_role_t role,
                       int64_t now_ms, char text[BW_DB_TOKEN_HEX + 1],
                       bw_db_token_t *out)
{
    if (text == NULL)
        return BW_EINVAL;
    int err = BW_EDUPKEY;
    for (int i = 0; i < CREATE_TRIES && err == BW_EDUPKEY; i++) {
        uint8_t raw[BW_DB_TOKEN_HEX / 2];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(text, BW_DB_TOKEN_HEX + 1, raw, sizeof raw);
        sodium_memzero(raw, sizeof raw);
        err = bw_db_token_add(db, name, role, text, now_ms, out);
    }
    if (err != 0)
        sodium_memzero(text, BW_DB_TOKEN_HEX + 1);
    return err;
}

/* The row of a lookup id, and its hash when hash is not NULL (lock held
 * only for the query).  BW_EAUTH when there is none. */
static int row_by_lookup(bw_db_t *db, const char *lookup, bw_db_token_t *t,
                         char *hash, size_t hash_cap)
{
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w, "SELECT " COLS ", hash FROM api_tokens WHERE lookup = ?", &st);
    if (err == 0) {
        sqlite3_bind_text(st, 1, lookup, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            err = row_read(st, t);
            if (err == 0 && hash != NULL &&
                bw_db__column_text(st, 7, hash, hash_cap) != 0)
                err = BW_EIO;
        } else {
            err = rc == SQLITE_DONE ? BW_EAUTH : bw_db__err(rc);
        }
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

static int find(bw_db_t *db, const char *text, size_t len, bw_db_token_t *out,
                char *hash, size_t hash_cap)
{
    memset(out, 0, sizeof *out);
    char lookup[BW_DB_TOKEN_LOOKUP_LEN + 1];
    int err = bw_db_token_parse(text, len, lookup);
    if (err == 0)
        err = row_by_lookup(db, lookup, out, hash, hash_cap);
    if (err == 0 && out->revoked_ms != 0)
        return BW_EREVOKED;
    if (err != 0)
        memset(out, 0, sizeof *out);
    return err;
}

int bw_db_token_find(bw_db_t *db, const char *text, size_t len,
                     bw_db_token_t *out)
{
    if (out == NULL)
        return BW_EINVAL;
    memset(out, 0, sizeof *out);
    if (db == NULL)
        return BW_EINVAL;
    return find(db, text, len, out, NULL, 0);
}

int bw_db_token_verify(bw_db_t *db, const char *text, size_t len,
                       bw_db_token_t *out)
{
    if (out == NULL)
        return BW_EINVAL;
    memset(out, 0, sizeof *out);
    if (db == NULL)
        return BW_EINVAL;
    char hash[BW_DB_TOKEN_HASH_MAX];
    int err = find(db, text, len, out, hash, sizeof hash);
    if (err == 0) {
        /* crypto_pwhash_str_verify: -1 both for a mismatch and for a hash
         * it cannot use; the hash was written by crypto_pwhash_str. */
        if (crypto_pwhash_str_verify(hash, text, len) != 0) {
            memset(out, 0, sizeof *out);
            err = BW_EAUTH;
        }
    }
    sodium_memzero(hash, sizeof hash);
    return err;
}

int bw_db_token_touch(bw_db_t *db, int64_t id, int64_t now_ms)
{
    if (db == NULL)
        return BW_EINVAL;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(
        db->w, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, id);
    uint64_t changes = 0;
    err = bw_db__step_write(db, st, &changes);
    if (err != 0)
        return err; /* rolled back and unlocked */
    if (changes == 0)
        return bw_db__rollback(db, BW_ENOTFOUND);
    return bw_db__commit(db);
}

int bw_db_token_revoke(bw_db_t *db, const char *name, int64_t now_ms,
                       bw_db_token_t *out)
{
    bw_db_token_t t;
    if (out == NULL)
        out = &t;
    memset(out, 0, sizeof *out);
    if (db == NULL || name == NULL)
        return BW_EINVAL;
    if (bw_db_token_name_check(name) != 0)
        return BW_ENOTFOUND;
    int err = bw_db__begin(db);
    if (err != 0)
        return err;
    sqlite3_stmt *st;
    err = bw_db__prepare(db->w,
                         "SELECT " COLS " FROM api_tokens WHERE name = ?", &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = row_read(st, out);
    else
        err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
    bw_db__release(st);
    if (err == 0 && out->revoked_ms != 0)
        err = BW_EREVOKED;
    if (err != 0)
        return bw_db__rollback(db, err);
    err = bw_db__prepare(
        db->w, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, out->id);
    err = bw_db__step_write(db, st, NULL);
    if (err != 0)
        return err;
    err = bw_db__commit(db);
    if (err == 0)
        out->revoked_ms = now_ms;
    return err;
}

int bw_db_token_list(bw_db_t *db, int (*cb)(void *arg, const bw_db_token_t *t),
                     void *arg)
{
    if (db == NULL || cb == NULL)
        return BW_EINVAL;
    pthread_mutex_lock(&db->wlock);
    sqlite3_stmt *st;
    int err = bw_db__prepare(
        db->w, "SELECT " COLS " FROM api_tokens ORDER BY name", &st);
    if (err == 0) {
        int rc = SQLITE_DONE;
        bw_db_token_t t;
        while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            err = row_read(st, &t);
            if (err == 0)
                err = cb(arg, &t);
        }
        if (err == 0 && rc != SQLITE_DONE)
            err = bw_db__err(rc);
        bw_db__release(st);
    }
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db_token_count(bw_db_t *db, uint64_t *n)
{
    if (n != NULL)
        *n = 0;
    if (db == NULL || n == NULL)
        return BW_EINVAL;
    int64_t v = 0;
    pthread_mutex_lock(&db->wlock);
    /* COUNT(*) always has its one row. */
    int err =
        bw_db__read_by_text(db, "SELECT COUNT(*) FROM api_tokens", NULL, &v);
    pthread_mutex_unlock(&db->wlock);
    if (err == 0)
        *n = (uint64_t)v;
    return err;
}
