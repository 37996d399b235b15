/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to server/db: the handle, the SQLite helpers every file of the
 * module shares, and the secret-handling calls of db_secret.c.
 *
 * Locking.  db->w is the one write connection; every function that
 * touches it holds db->wlock for the whole call, so a transaction is
 * never interleaved with another thread's statements.  Readers
 * (db->readers) each have their own lock and serve the lookups of the
 * security store only.
 */
#ifndef BW_DB_INT_H
#define BW_DB_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "db.h"

#define BW_DB_KEY_LEN 32

/* Keys derived from the master key (the master key itself is wiped as
 * soon as these exist). */
typedef struct {
    uint8_t seal[BW_DB_KEY_LEN];  /* per-identity secretbox keys */
    uint8_t hash[BW_DB_KEY_LEN];  /* keyed digests of PSKs (duplicates) */
    uint8_t check[BW_DB_KEY_LEN]; /* the key-check value in meta */
} bw_db_keys_t;

typedef struct {
    pthread_mutex_t lock;
    sqlite3 *c;
    sqlite3_stmt *psk;      /* the PSK lookup, prepared once */
    sqlite3_stmt *endpoint; /* identity -> endpoint */
} bw_db_reader_t;

struct bw_db {
    pthread_mutex_t wlock;
    sqlite3 *w;
    bw_db_reader_t *readers;
    unsigned n_readers;
    atomic_uint next_reader;
    int have_keys;
    bw_db_keys_t keys;
};

/* Nonce and sealed-box sizes of crypto_secretbox (XSalsa20-Poly1305). */
#define BW_DB_NONCE_LEN  24
#define BW_DB_MAC_LEN    16
#define BW_DB_DIGEST_LEN 32

/* db_sqlite.c */
int bw_db__err(int sqlite_rc);
int bw_db__exec(sqlite3 *c, const char *sql);
int bw_db__prepare(sqlite3 *c, const char *sql, sqlite3_stmt **st);
/* Lock the writer and BEGIN IMMEDIATE; on failure the lock is released. */
int bw_db__begin(bw_db_t *db);
/* COMMIT (on failure: ROLLBACK) and unlock.  Returns the COMMIT result. */
int bw_db__commit(bw_db_t *db);
/* ROLLBACK and unlock; returns err unchanged, for "return rollback(e)". */
int bw_db__rollback(bw_db_t *db, int err);
/* Run a write statement to completion and finalize it (lock held, inside
 * a transaction).  0 and *changes (may be NULL); on failure the
 * transaction is rolled back and the code returned. */
int bw_db__step_write(bw_db_t *db, sqlite3_stmt *st, uint64_t *changes);
/* Device id of an endpoint on the writer (lock held).  ENOTFOUND. */
int bw_db__device_id(bw_db_t *db, const char *endpoint, int64_t *id);
void bw_db__why(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Input rules (db_device.c). */
int bw_db__endpoint_check(const char *ep);
/* Text of at most max bytes without control characters (tab allowed
 * when tab is non-zero); empty allowed when allow_empty is non-zero.
 * BW_EMALFORMED, BW_EOVERFLOW, BW_EINVAL (NULL). */
int bw_db__text_check(const char *s, size_t max, int allow_empty, int tab);
/* Copy column i of a row into a buffer of cap bytes, NUL-terminated,
 * truncating never: a longer value is BW_EOVERFLOW (a corrupt row). */
int bw_db__column_text(sqlite3_stmt *st, int i, char *out, size_t cap);

/* db_schema.c: bring the schema on c up to target.  BW_EVERSION when
 * the database is newer than BW_DB_SCHEMA_VERSION. */
int bw_db__migrate(sqlite3 *c, unsigned target, char *why, size_t cap);

/* db_secret.c */
int bw_db__keys_load(const char *path, bw_db_keys_t *keys, char *why,
                     size_t cap);
/* Seal psk for identity: box gets len + BW_DB_MAC_LEN bytes. */
int bw_db__psk_seal(const bw_db_keys_t *k, const uint8_t *identity,
                    size_t identity_len, const uint8_t *psk, size_t len,
                    uint8_t nonce[BW_DB_NONCE_LEN], uint8_t *box);
/* Open a box sealed for identity.  BW_EAUTH, BW_ENOSPC, BW_EMALFORMED. */
int bw_db__psk_open(const bw_db_keys_t *k, const uint8_t *identity,
                    size_t identity_len, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *box, size_t box_len, uint8_t *psk,
                    size_t cap, size_t *psk_len);
void bw_db__psk_digest(const bw_db_keys_t *k, const uint8_t *psk, size_t len,
                       uint8_t out[BW_DB_DIGEST_LEN]);
/* The value stored in meta to recognise the master key later. */
void bw_db__key_check(const bw_db_keys_t *k, uint8_t out[BW_DB_DIGEST_LEN]);
void bw_db__keys_wipe(bw_db_keys_t *k);

#endif /* BW_DB_INT_H */
