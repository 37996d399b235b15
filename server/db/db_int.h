/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to server/db: the handle, the SQLite helpers every file of the
 * module shares, and the secret-handling calls of db_secret.c.
 *
 * Locking.  db->w is the one write connection; every function that
 * touches it holds db->wlock for the whole call, so a transaction is
 * never interleaved with another thread's statements.  Readers
 * (db->readers) each have their own lock and serve the lookups of the
 * security store only.  Each connection is so used by one thread at a
 * time, which is what its statement cache (db_stmt.c) relies on.
 *
 * Statements.  bw_db__prepare hands out a statement compiled for the SQL
 * text, from the connection's cache when it has one (the writer), and
 * bw_db__release gives it back: reset and unbound, kept for the next
 * prepare of the same text.  Every statement from bw_db__prepare is
 * given back with bw_db__release, never sqlite3_finalize.
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

/* Statements kept per cached connection: the module's SQL texts on the
 * writer number about 90, all kept with room to spare; past it the least
 * recently used idle one is finalized. */
#define BW_DB_STMT_SLOTS 128
/* Connections with a cache in one process (one per open bw_db_t); a
 * connection opened past it compiles every statement, as it did before
 * the cache existed. */
#define BW_DB_STMT_CACHES 64

typedef struct bw_db_stmts bw_db_stmts_t;

/* Owners the PSK lookups read, for the identity lookup that follows
 * (db_sqlite.c, "owners"): a device's Register arrives one round trip
 * after its handshake, so a few seconds cover it; slots are direct-
 * mapped by identity, enough for the handshakes of a busy second. */
#define BW_DB_OWNER_SLOTS 1024
#define BW_DB_OWNER_MS    2000

typedef struct {
    uint8_t identity[BW_DB_IDENTITY_MAX];
    size_t identity_len; /* 0: empty */
    bw_db_purpose_t purpose;
    bw_db_cred_state_t state; /* ACTIVE or PENDING */
    char endpoint[BW_DB_ENDPOINT_MAX + 1];
    uint64_t gen;  /* owners_gen when read */
    int64_t at_ms; /* CLOCK_MONOTONIC */
} bw_db_owner_t;

/* Devices that may have QUEUED requests (db_request.c): a chained hash
 * of endpoint names; the buckets are fixed, the entries as many as such
 * devices. */
#define BW_DB_QUEUED_BUCKETS 4096

typedef struct bw_db_qdev {
    struct bw_db_qdev *next;
    char ep[]; /* NUL-terminated */
} bw_db_qdev_t;

struct bw_db {
    pthread_mutex_t wlock;
    sqlite3 *w;
    bw_db_stmts_t *wstmts; /* the writer's statement cache; may be NULL */
    /* Owners read by the PSK lookups; owners_gen moves after every
     * commit that changed a credential or removed a device. */
    pthread_mutex_t owners_lock;
    bw_db_owner_t *owners; /* BW_DB_OWNER_SLOTS; may be NULL */
    atomic_uint_fast64_t owners_gen;
    int owners_dirty; /* writer, under wlock: such a change not committed */
    /* Devices that may have QUEUED requests: changed under wlock and
     * queued_lock, read under queued_lock alone.  NULL until loaded
     * (bw_db_request_queued_load): every device may have some. */
    pthread_mutex_t queued_lock;
    bw_db_qdev_t **queued;
    int queued_all; /* an entry could not be added: every device may */
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
/* A statement for sql on c (the lock of c held until it is released):
 * cached, or compiled now.  0, or the compile error (*st NULL). */
int bw_db__prepare(sqlite3 *c, const char *sql, sqlite3_stmt **st);
/* Give back a statement of bw_db__prepare (lock of its connection held):
 * reset and unbound when cached, finalized otherwise.  NULL: no-op. */
void bw_db__release(sqlite3_stmt *st);
/* A statement cache for c, registered so that bw_db__prepare finds it;
 * NULL when out of memory or BW_DB_STMT_CACHES are in use (c then
 * compiles every statement).  _free finalizes everything it holds and
 * unregisters it (before c closes); NULL is a no-op. */
bw_db_stmts_t *bw_db__stmts_new(sqlite3 *c);
void bw_db__stmts_free(bw_db_stmts_t *k);
/* A statement finalized behind the cache's back would be handed out
 * again: outside db_stmt.c, which owns the cache, and db_sqlite.c, whose
 * read connections own their two statements, it cannot be named. */
#ifndef BW_DB_OWNS_STATEMENTS
#pragma GCC poison sqlite3_finalize
#endif
/* Lock the writer and BEGIN IMMEDIATE; on failure the lock is released. */
int bw_db__begin(bw_db_t *db);
/* COMMIT (on failure: ROLLBACK) and unlock.  Returns the COMMIT result. */
int bw_db__commit(bw_db_t *db);
/* ROLLBACK and unlock; returns err unchanged, for "return rollback(e)". */
int bw_db__rollback(bw_db_t *db, int err);
/* Run a write statement to completion and release it (lock held, inside
 * a transaction).  0 and *changes (may be NULL); on failure the
 * transaction is rolled back and the code returned. */
int bw_db__step_write(bw_db_t *db, sqlite3_stmt *st, uint64_t *changes);
/* Run a statement to completion and release it, with no transaction
 * handling: 0, or the step's code (the caller rolls back).  For write
 * statements, whose step ends in SQLITE_DONE. */
int bw_db__step_done(sqlite3_stmt *st);
/* COMMIT and unlock as bw_db__commit; when it took, *out (may be NULL)
 * gets v: the count or the new row's id the call reports.  Returns the
 * COMMIT result. */
int bw_db__commit_count(bw_db_t *db, uint64_t v, uint64_t *out);
int bw_db__commit_id(bw_db_t *db, int64_t v, int64_t *out);
/* One write statement whose only parameter ?1 is v (text: the string
 * text), run inside the open transaction (lock held): prepared, bound,
 * then bw_db__step_write.  0 and *changes (may be NULL); on failure the
 * transaction is rolled back and the prepare or step code returned. */
int bw_db__write_by_int(bw_db_t *db, const char *sql, int64_t v,
                        uint64_t *changes);
int bw_db__write_by_text(bw_db_t *db, const char *sql, const char *text,
                         uint64_t *changes);
/* The integer in the first column of the first row of sql, whose only
 * parameter ?1 is v (text: the string text; NULL binds nothing, for a
 * statement without parameters), on the writer (lock held, inside a
 * transaction or not).  0 and *out; BW_ENOTFOUND when there is no row;
 * the prepare or step code.  *out is written on success only; nothing
 * is rolled back. */
int bw_db__read_by_int(bw_db_t *db, const char *sql, int64_t v, int64_t *out);
int bw_db__read_by_text(bw_db_t *db, const char *sql, const char *text,
                        int64_t *out);
/* Device id of an endpoint on the writer (lock held).  ENOTFOUND. */
int bw_db__device_id(bw_db_t *db, const char *endpoint, int64_t *id);
/* The start of a write about one device: endpoint (and actor, when not
 * NULL, as an audit field) checked, the transaction begun, *dev its id.
 * 0 with the transaction open, or the code with none (BW_EMALFORMED,
 * BW_ENOTFOUND, bw_db__begin's). */
int bw_db__begin_device(bw_db_t *db, const char *endpoint, const char *actor,
                        int64_t *dev);
void bw_db__why(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* db_request.c: forget the devices with queued requests (at close). */
void bw_db__queued_free(bw_db_t *db);

/* db_audit.c: one audit entry, inside the caller's transaction (lock
 * held; the fields already checked).  0, or the prepare or step code
 * with the transaction rolled back. */
int bw_db__audit_insert(bw_db_t *db, int64_t at_ms, const char *actor,
                        const char *action, const char *subject,
                        const char *detail);

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
