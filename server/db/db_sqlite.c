/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite backend: opening the database, its connections and their
 * settings, the transaction helpers the other files use, and the
 * security store's lookups on the read connections.
 *
 * Settings, and why (docs/storage.md has the long form):
 *   journal_mode=WAL     readers never block the writer nor it them, so
 *                        a PSK lookup during a registration batch does
 *                        not wait.
 *   synchronous=FULL     the WAL is fsync'ed at every commit: a write the
 *                        API or a device is told succeeded survives a
 *                        power cut, not only a crash.  Registrations pay
 *                        one fsync per batch (bw_db_registration_batch).
 *   foreign_keys=ON      checked after it is set: SQLite ignores the
 *                        pragma inside a transaction or when built
 *                        without foreign keys, and the schema relies on
 *                        cascades.
 *   busy_timeout         another process holding the write lock (an
 *                        operator's sqlite3 shell, a backup) is waited
 *                        for, then reported as BW_ETIMEOUT.
 *
 * Threads.  SQLite connections are opened with SQLITE_OPEN_NOMUTEX: each
 * is only ever used under one of our own locks, so SQLite's per-call
 * mutex would be paid for nothing.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BW_DB_OWNS_STATEMENTS /* the readers' own statements */
#include "db_int.h"

#define DEFAULT_READERS 4
#define DEFAULT_BUSY_MS 5000

void bw_db__why(char *why, size_t cap, const char *fmt, ...)
{
    if (why == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

int bw_db__err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return BW_ETIMEOUT;
    case SQLITE_NOMEM:
        return BW_ENOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return BW_EMALFORMED;
    case SQLITE_CONSTRAINT:
        return BW_EEXIST;
    case SQLITE_TOOBIG:
        return BW_EOVERFLOW;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return BW_EINVAL;
    default:
        return BW_EIO;
    }
}

int bw_db__exec(sqlite3 *c, const char *sql)
{
    return bw_db__err(sqlite3_exec(c, sql, NULL, NULL, NULL));
}

/* One statement without rows, from the cache (transaction control). */
static int run_once(sqlite3 *c, const char *sql)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(c, sql, &st);
    if (err == 0) {
        int rc = sqlite3_step(st);
        err = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : bw_db__err(rc);
        bw_db__release(st);
    }
    return err;
}

int bw_db__begin(bw_db_t *db)
{
    pthread_mutex_lock(&db->wlock);
    int err = run_once(db->w, "BEGIN IMMEDIATE");
    if (err != 0)
        pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db__commit(bw_db_t *db)
{
    int err = run_once(db->w, "COMMIT");
    if (err != 0)
        (void)run_once(db->w, "ROLLBACK");
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db__step_write(bw_db_t *db, sqlite3_stmt *st, uint64_t *changes)
{
    int rc = sqlite3_step(st);
    bw_db__release(st);
    if (rc != SQLITE_DONE)
        return bw_db__rollback(db, bw_db__err(rc));
    if (changes != NULL)
        *changes = (uint64_t)sqlite3_changes(db->w);
    return 0;
}

int bw_db__rollback(bw_db_t *db, int err)
{
    (void)run_once(db->w, "ROLLBACK");
    pthread_mutex_unlock(&db->wlock);
    return err;
}

int bw_db__step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    bw_db__release(st);
    return rc == SQLITE_DONE ? 0 : bw_db__err(rc);
}

int bw_db__commit_count(bw_db_t *db, uint64_t v, uint64_t *out)
{
    int err = bw_db__commit(db);
    if (err == 0 && out != NULL)
        *out = v;
    return err;
}

int bw_db__commit_id(bw_db_t *db, int64_t v, int64_t *out)
{
    int err = bw_db__commit(db);
    if (err == 0 && out != NULL)
        *out = v;
    return err;
}

/* sql on the writer with ?1 bound: text when it is not NULL, else v when
 * bind_v is set, else nothing. */
static int prepare_one(bw_db_t *db, const char *sql, const char *text,
                       int bind_v, int64_t v, sqlite3_stmt **st)
{
    int err = bw_db__prepare(db->w, sql, st);
    if (err != 0)
        return err;
    if (text != NULL)
        sqlite3_bind_text(*st, 1, text, -1, SQLITE_STATIC);
    else if (bind_v)
        sqlite3_bind_int64(*st, 1, v);
    return 0;
}

static int write_one(bw_db_t *db, const char *sql, const char *text, int bind_v,
                     int64_t v, uint64_t *changes)
{
    sqlite3_stmt *st;
    int err = prepare_one(db, sql, text, bind_v, v, &st);
    if (err != 0)
        return bw_db__rollback(db, err);
    return bw_db__step_write(db, st, changes);
}

int bw_db__write_by_int(bw_db_t *db, const char *sql, int64_t v,
                        uint64_t *changes)
{
    return write_one(db, sql, NULL, 1, v, changes);
}

int bw_db__write_by_text(bw_db_t *db, const char *sql, const char *text,
                         uint64_t *changes)
{
    return write_one(db, sql, text, 0, 0, changes);
}

static int read_one(bw_db_t *db, const char *sql, const char *text, int bind_v,
                    int64_t v, int64_t *out)
{
    sqlite3_stmt *st;
    int err = prepare_one(db, sql, text, bind_v, v, &st);
    if (err != 0)
        return err;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
    bw_db__release(st);
    return err;
}

int bw_db__read_by_int(bw_db_t *db, const char *sql, int64_t v, int64_t *out)
{
    return read_one(db, sql, NULL, 1, v, out);
}

int bw_db__read_by_text(bw_db_t *db, const char *sql, const char *text,
                        int64_t *out)
{
    return read_one(db, sql, text, 0, 0, out);
}

int bw_db__device_id(bw_db_t *db, const char *endpoint, int64_t *id)
{
    return bw_db__read_by_text(db, "SELECT id FROM devices WHERE endpoint = ?",
                               endpoint, id);
}

int bw_db__begin_device(bw_db_t *db, const char *endpoint, const char *actor,
                        int64_t *dev)
{
    int err = bw_db__endpoint_check(endpoint);
    if (err == 0 && actor != NULL)
        err = bw_db__text_check(actor, BW_DB_AUDIT_FIELD_MAX, 0, 0);
    if (err == 0)
        err = bw_db__begin(db);
    if (err != 0)
        return err;
    err = bw_db__device_id(db, endpoint, dev);
    return err != 0 ? bw_db__rollback(db, err) : 0;
}

int bw_db__column_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    if (s == NULL)
        n = 0;
    if (n >= cap) {
        out[0] = '\0';
        return BW_EOVERFLOW;
    }
    if (n > 0)
        memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* An integer pragma's value, to check that a setting took. */
static int pragma_int(sqlite3 *c, const char *sql, sqlite3_int64 *v)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(c, sql, &st);
    if (err != 0)
        return err;
    int rc = sqlite3_step(st);
    err = rc == SQLITE_ROW ? 0 : bw_db__err(rc);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    bw_db__release(st);
    return err == 0 && rc != SQLITE_ROW ? BW_EIO : err;
}

static int configure_writer(sqlite3 *c, char *why, size_t cap)
{
    sqlite3_stmt *st;
    int err = bw_db__prepare(c, "PRAGMA journal_mode=WAL", &st);
    if (err == 0) {
        int rc = sqlite3_step(st);
        const unsigned char *mode =
            rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
        if (mode == NULL || strcmp((const char *)mode, "wal") != 0)
            err = rc == SQLITE_ROW ? BW_EIO : bw_db__err(rc);
        bw_db__release(st);
    }
    if (err != 0) {
        bw_db__why(why, cap, "cannot switch the database to WAL mode: %s",
                   err == BW_EMALFORMED ? "not a database file"
                                        : sqlite3_errmsg(c));
        return err != 0 ? err : BW_EIO;
    }
    sqlite3_int64 fk = 0;
    err = bw_db__exec(c, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
    if (err == 0)
        err = pragma_int(c, "PRAGMA foreign_keys", &fk);
    if (err == 0 && fk != 1)
        err = BW_EIO;
    if (err != 0)
        bw_db__why(why, cap, "cannot enable foreign keys: %s",
                   sqlite3_errmsg(c));
    return err;
}

static int open_conn(const char *path, int flags, unsigned busy_ms,
                     sqlite3 **out, char *why, size_t cap)
{
    int rc = sqlite3_open_v2(path, out, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        bw_db__why(why, cap, "cannot open database %s: %s", path,
                   *out != NULL ? sqlite3_errmsg(*out) : "out of memory");
        sqlite3_close(*out);
        *out = NULL;
        return bw_db__err(rc);
    }
    sqlite3_extended_result_codes(*out, 1);
    sqlite3_busy_timeout(*out, (int)busy_ms);
    return 0;
}

/* Store the key-check value on first use; compare it afterwards. */
static int check_master_key(bw_db_t *db, char *why, size_t cap)
{
    uint8_t want[BW_DB_DIGEST_LEN];
    bw_db__key_check(&db->keys, want);
    int err = bw_db__exec(db->w, "BEGIN IMMEDIATE");
    sqlite3_stmt *st = NULL;
    if (err == 0)
        err = bw_db__prepare(
            db->w, "SELECT value FROM meta WHERE name = 'key_check'", &st);
    if (err == 0) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const void *have = sqlite3_column_blob(st, 0);
            if (sqlite3_column_bytes(st, 0) != BW_DB_DIGEST_LEN ||
                have == NULL || sodium_memcmp(have, want, sizeof want) != 0) {
                bw_db__why(why, cap,
                           "the master key is not the one this database was "
                           "created with: check the master key file");
                err = BW_EAUTH;
            }
            bw_db__release(st);
            st = NULL;
        } else if (rc == SQLITE_DONE) {
            bw_db__release(st);
            st = NULL;
            err = bw_db__prepare(db->w,
                                 "INSERT INTO meta (name, value) "
                                 "VALUES ('key_check', ?)",
                                 &st);
            if (err == 0) {
                sqlite3_bind_blob(st, 1, want, sizeof want, SQLITE_STATIC);
                rc = sqlite3_step(st);
                err = rc == SQLITE_DONE ? 0 : bw_db__err(rc);
            }
        } else {
            err = bw_db__err(rc);
        }
    }
    bw_db__release(st);
    if (err == 0)
        err = bw_db__exec(db->w, "COMMIT");
    if (err != 0) {
        (void)bw_db__exec(db->w, "ROLLBACK");
        if (why != NULL && cap > 0 && why[0] == '\0')
            bw_db__why(why, cap, "cannot check the master key: %s",
                       sqlite3_errmsg(db->w));
    }
    sodium_memzero(want, sizeof want);
    return err;
}

static int open_readers(bw_db_t *db, const char *path, unsigned busy_ms,
                        unsigned schema, char *why, size_t cap)
{
    /* Before schema 4 there is no purpose column: every credential is a
     * DM one (staged upgrades only; a normal open is at the latest). */
    const char *psk_sql =
        schema >= 4 ? "SELECT c.kind, c.state, c.psk_nonce, c.psk_box, "
                      "c.purpose, d.endpoint FROM credentials c JOIN devices "
                      "d ON d.id = c.device_id WHERE c.identity = ?"
                    : "SELECT c.kind, c.state, c.psk_nonce, c.psk_box, 'dm', "
                      "d.endpoint FROM credentials c JOIN devices d ON d.id = "
                      "c.device_id WHERE c.identity = ?";
    const char *ep_sql =
        schema >= 4 ? "SELECT d.endpoint, c.purpose, c.state FROM credentials "
                      "c JOIN devices d ON d.id = c.device_id WHERE "
                      "c.identity = ? AND c.state <> 'revoked'"
                    : "SELECT d.endpoint, 'dm', c.state FROM credentials c "
                      "JOIN devices d ON d.id = c.device_id WHERE c.identity "
                      "= ? AND c.state <> 'revoked'";
    for (unsigned i = 0; i < db->n_readers; i++) {
        bw_db_reader_t *r = &db->readers[i];
        pthread_mutex_init(&r->lock, NULL);
        /* Read-write, then query_only: a read-only connection to a WAL
         * database needs special care when the -shm file is missing;
         * query_only refuses writes all the same. */
        int err =
            open_conn(path, SQLITE_OPEN_READWRITE, busy_ms, &r->c, why, cap);
        if (err == 0)
            err = bw_db__exec(r->c, "PRAGMA query_only=1");
        if (err == 0)
            err = bw_db__prepare(r->c, psk_sql, &r->psk);
        if (err == 0)
            err = bw_db__prepare(r->c, ep_sql, &r->endpoint);
        if (err != 0) {
            bw_db__why(why, cap, "cannot open a read connection: %s",
                       r->c != NULL ? sqlite3_errmsg(r->c) : "no memory");
            return err;
        }
    }
    return 0;
}

/* ---- owners: what the PSK lookup read, for the identity lookup --------
 *
 * A registration reads its identity twice: the handshake's PSK lookup,
 * then the authorization of the Register (bw_db_identity_lookup: which
 * endpoint the identity belongs to).  The PSK lookup reads the owner
 * with the key and leaves it here; the first identity lookup of that
 * identity takes it (once) instead of asking the database again, if it
 * is younger than BW_DB_OWNER_MS and nothing has since changed the
 * answer: owners_gen moves after every commit on the writer that changed
 * a credential row or removed a device (an update hook notes the change,
 * the WAL hook, run once the commit is done, moves the generation), and
 * an entry is good only under the generation read before its query.  A
 * change made by another process is seen once the entry is too old.
 * No key material is kept here: identities and endpoint names only.
 */
static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t owner_slot(const uint8_t *identity, size_t len)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ identity[i]) * 1099511628211u;
    return (size_t)(h % BW_DB_OWNER_SLOTS);
}

static void on_row_change(void *arg, int op, const char *dbname,
                          const char *table, sqlite3_int64 rowid)
{
    bw_db_t *db = arg;
    (void)dbname;
    (void)rowid;
    /* A new credential cannot change an owner already read: identities
     * are unique, and a row deleted on the way moves the generation. */
    if ((strcmp(table, "credentials") == 0 && op != SQLITE_INSERT) ||
        (strcmp(table, "devices") == 0 && op == SQLITE_DELETE))
        db->owners_dirty = 1;
}

/* Pages in the WAL past which a commit checkpoints it: SQLite's own
 * default, which this hook replaces (sqlite3_wal_hook). */
#define WAL_CHECKPOINT_PAGES 1000

static int on_commit(void *arg, sqlite3 *c, const char *dbname, int pages)
{
    bw_db_t *db = arg;
    if (db->owners_dirty) {
        db->owners_dirty = 0;
        atomic_fetch_add_explicit(&db->owners_gen, 1, memory_order_release);
    }
    if (pages >= WAL_CHECKPOINT_PAGES)
        (void)sqlite3_wal_checkpoint_v2(c, dbname, SQLITE_CHECKPOINT_PASSIVE,
                                        NULL, NULL);
    return SQLITE_OK;
}

/* Without the table (out of memory), every identity lookup queries. */
static void owners_start(bw_db_t *db)
{
    db->owners = calloc(BW_DB_OWNER_SLOTS, sizeof *db->owners);
    sqlite3_update_hook(db->w, on_row_change, db);
    sqlite3_wal_hook(db->w, on_commit, db);
}

static void owner_put(bw_db_t *db, uint64_t gen, const uint8_t *identity,
                      size_t len, const unsigned char *purpose,
                      const unsigned char *state, const unsigned char *ep,
                      int ep_len)
{
    if (db->owners == NULL || purpose == NULL || ep == NULL || ep_len <= 0 ||
        (size_t)ep_len > BW_DB_ENDPOINT_MAX)
        return;
    bw_db_owner_t *o = &db->owners[owner_slot(identity, len)];
    pthread_mutex_lock(&db->owners_lock);
    memcpy(o->identity, identity, len);
    o->identity_len = len;
    o->purpose = strcmp((const char *)purpose, "bootstrap") == 0
                     ? BW_DB_PURPOSE_BOOTSTRAP
                     : BW_DB_PURPOSE_DM;
    o->state = state != NULL && strcmp((const char *)state, "pending") == 0
                   ? BW_DB_CRED_PENDING
                   : BW_DB_CRED_ACTIVE;
    memcpy(o->endpoint, ep, (size_t)ep_len);
    o->endpoint[ep_len] = '\0';
    o->gen = gen;
    o->at_ms = mono_ms();
    pthread_mutex_unlock(&db->owners_lock);
}

/* Take the owner of identity if a fresh one is here: 1 (filled, the
 * entry emptied) or 0. */
static int owner_take(bw_db_t *db, const uint8_t *identity, size_t len,
                      bw_db_owner_t *out)
{
    if (db->owners == NULL)
        return 0;
    bw_db_owner_t *o = &db->owners[owner_slot(identity, len)];
    uint64_t gen = atomic_load_explicit(&db->owners_gen, memory_order_acquire);
    int found = 0;
    pthread_mutex_lock(&db->owners_lock);
    if (o->identity_len == len && memcmp(o->identity, identity, len) == 0) {
        int64_t age = mono_ms() - o->at_ms;
        found = o->gen == gen && age >= 0 && age <= BW_DB_OWNER_MS;
        if (found)
            *out = *o;
        o->identity_len = 0;
    }
    pthread_mutex_unlock(&db->owners_lock);
    return found;
}

/*
 * Process-wide SQLite settings, made once before the first connection:
 * no memory statistics (SQLite's allocator otherwise takes a global
 * mutex and counts on every allocation, for sqlite3_memory_used and the
 * heap limits, none of which the server uses).  sqlite3_config only works
 * before SQLite is initialised: when another part of the process opened
 * a connection first, it answers SQLITE_MISUSE and the defaults stay,
 * which costs speed, not correctness.
 */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int bw_db_open(const bw_db_config_t *cfg, bw_db_t **out, char *why,
               size_t why_cap)
{
    if (why != NULL && why_cap > 0)
        why[0] = '\0';
    if (out == NULL)
        return BW_EINVAL;
    *out = NULL;
    if (cfg == NULL || cfg->path == NULL || cfg->readers > BW_DB_READERS_MAX)
        return BW_EINVAL;
    if (sodium_init() < 0)
        return BW_ECRYPTO;
    pthread_once(&sqlite_once, sqlite_setup);
    bw_db_t *db = calloc(1, sizeof *db);
    unsigned n = cfg->readers != 0 ? cfg->readers : DEFAULT_READERS;
    bw_db_reader_t *readers = calloc(n, sizeof *readers);
    if (db == NULL || readers == NULL) {
        free(db);
        free(readers);
        return BW_ENOMEM;
    }
    pthread_mutex_init(&db->wlock, NULL);
    pthread_mutex_init(&db->owners_lock, NULL);
    pthread_mutex_init(&db->queued_lock, NULL);
    db->readers = readers;
    db->n_readers = 0;
    unsigned busy =
        cfg->busy_timeout_ms != 0 ? cfg->busy_timeout_ms : DEFAULT_BUSY_MS;
    int err = 0;
    if (cfg->master_key_file != NULL) {
        err = bw_db__keys_load(cfg->master_key_file, &db->keys, why, why_cap);
        db->have_keys = err == 0;
        /* Kept out of swap where the system allows it; best effort. */
        if (err == 0)
            (void)sodium_mlock(&db->keys, sizeof db->keys);
    }
    if (err == 0)
        err = open_conn(cfg->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        busy, &db->w, why, why_cap);
    if (err == 0)
        db->wstmts = bw_db__stmts_new(db->w); /* NULL: compiled every time */
    if (err == 0)
        err = configure_writer(db->w, why, why_cap);
    if (err == 0)
        owners_start(db);
    if (err == 0)
        err = bw_db__migrate(db->w, cfg->schema_target, why, why_cap);
    if (err == 0 && db->have_keys)
        err = check_master_key(db, why, why_cap);
    if (err == 0) {
        db->n_readers = n;
        err = open_readers(db, cfg->path, busy,
                           cfg->schema_target != 0 ? cfg->schema_target
                                                   : BW_DB_SCHEMA_VERSION,
                           why, why_cap);
    }
    if (err != 0) {
        bw_db_close(db);
        return err;
    }
    *out = db;
    return 0;
}

void bw_db_close(bw_db_t *db)
{
    if (db == NULL)
        return;
    for (unsigned i = 0; i < db->n_readers; i++) {
        bw_db_reader_t *r = &db->readers[i];
        sqlite3_finalize(r->psk);
        sqlite3_finalize(r->endpoint);
        sqlite3_close(r->c);
        pthread_mutex_destroy(&r->lock);
    }
    free(db->readers);
    bw_db__stmts_free(db->wstmts);
    /* The writer closes last: the last connection to a WAL database
     * checkpoints it and removes the -wal file. */
    sqlite3_close(db->w);
    pthread_mutex_destroy(&db->wlock);
    pthread_mutex_destroy(&db->owners_lock);
    free(db->owners);
    bw_db__queued_free(db);
    pthread_mutex_destroy(&db->queued_lock);
    if (db->have_keys)
        (void)sodium_munlock(&db->keys, sizeof db->keys); /* also wipes */
    bw_db__keys_wipe(&db->keys);
    free(db);
}

int bw_db_schema_version(bw_db_t *db, unsigned *version)
{
    if (db == NULL || version == NULL)
        return BW_EINVAL;
    sqlite3_int64 v = 0;
    pthread_mutex_lock(&db->wlock);
    int err = pragma_int(db->w, "SELECT MAX(version) FROM schema_version", &v);
    pthread_mutex_unlock(&db->wlock);
    *version = err == 0 ? (unsigned)v : 0;
    return err;
}

/* ---- the security store's lookups (read connections) ----------------- */

/*
 * A thread goes back to the read connection it used last when that one
 * is free: a read connection's page cache lasts until the next commit,
 * and lookups from one thread in between find the upper pages of the
 * indexes already read.  Else the next free one, round robin.
 */
static _Thread_local const bw_db_t *last_db;
static _Thread_local unsigned last_reader;

static bw_db_reader_t *reader_get(bw_db_t *db)
{
    if (last_db == db && last_reader < db->n_readers &&
        pthread_mutex_trylock(&db->readers[last_reader].lock) == 0)
        return &db->readers[last_reader];
    unsigned start = atomic_fetch_add(&db->next_reader, 1) % db->n_readers;
    unsigned pick = start;
    int got = 0;
    for (unsigned i = 0; i < db->n_readers && !got; i++) {
        pick = (start + i) % db->n_readers;
        got = pthread_mutex_trylock(&db->readers[pick].lock) == 0;
    }
    if (!got) {
        pick = start;
        pthread_mutex_lock(&db->readers[pick].lock);
    }
    last_db = db;
    last_reader = pick;
    return &db->readers[pick];
}

static void reader_put(bw_db_reader_t *r, sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    pthread_mutex_unlock(&r->lock);
}

/* purpose: NULL for any, else "dm" or "bootstrap". */
static int psk_lookup(void *arg, const char *purpose, const uint8_t *identity,
                      size_t identity_len, uint8_t *psk, size_t cap,
                      size_t *psk_len)
{
    bw_db_t *db = arg;
    if (psk_len != NULL)
        *psk_len = 0;
    if (db == NULL || identity == NULL || psk == NULL || psk_len == NULL)
        return BW_EINVAL;
    if (!db->have_keys)
        return BW_ESTATE;
    if (identity_len == 0 || identity_len > BW_DB_IDENTITY_MAX)
        return BW_ENOTFOUND;
    uint64_t gen = atomic_load_explicit(&db->owners_gen, memory_order_acquire);
    bw_db_reader_t *r = reader_get(db);
    sqlite3_stmt *st = r->psk;
    sqlite3_bind_blob(st, 1, identity, (int)identity_len, SQLITE_STATIC);
    int rc = sqlite3_step(st), err;
    if (rc == SQLITE_ROW) {
        const unsigned char *kind = sqlite3_column_text(st, 0);
        const unsigned char *state = sqlite3_column_text(st, 1);
        const unsigned char *what = sqlite3_column_text(st, 4);
        if (kind == NULL || state == NULL ||
            strcmp((const char *)kind, "psk") != 0 ||
            strcmp((const char *)state, "revoked") == 0 ||
            (purpose != NULL &&
             (what == NULL || strcmp((const char *)what, purpose) != 0))) {
            err = BW_ENOTFOUND;
        } else {
            const uint8_t *nonce = sqlite3_column_blob(st, 2);
            size_t nonce_len = (size_t)sqlite3_column_bytes(st, 2);
            const uint8_t *box = sqlite3_column_blob(st, 3);
            size_t box_len = (size_t)sqlite3_column_bytes(st, 3);
            err = nonce == NULL || box == NULL
                      ? BW_EAUTH
                      : bw_db__psk_open(&db->keys, identity, identity_len,
                                        nonce, nonce_len, box, box_len, psk,
                                        cap, psk_len);
            /* A box of the wrong shape is a tampered row, like one that
             * fails authentication. */
            if (err == BW_EMALFORMED)
                err = BW_EAUTH;
            if (err == 0)
                owner_put(db, gen, identity, identity_len, what, state,
                          sqlite3_column_text(st, 5),
                          sqlite3_column_bytes(st, 5));
        }
    } else {
        err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
    }
    reader_put(r, st);
    if (err != 0) {
        sodium_memzero(psk, cap);
        *psk_len = 0;
    }
    return err;
}

int bw_db_psk_lookup(void *arg, const uint8_t *identity, size_t identity_len,
                     uint8_t *psk, size_t cap, size_t *psk_len)
{
    return psk_lookup(arg, NULL, identity, identity_len, psk, cap, psk_len);
}

int bw_db_psk_lookup_dm(void *arg, const uint8_t *identity, size_t identity_len,
                        uint8_t *psk, size_t cap, size_t *psk_len)
{
    return psk_lookup(arg, "dm", identity, identity_len, psk, cap, psk_len);
}

int bw_db_psk_lookup_bootstrap(void *arg, const uint8_t *identity,
                               size_t identity_len, uint8_t *psk, size_t cap,
                               size_t *psk_len)
{
    return psk_lookup(arg, "bootstrap", identity, identity_len, psk, cap,
                      psk_len);
}

int bw_db_identity_lookup(bw_db_t *db, const uint8_t *identity,
                          size_t identity_len, bw_db_purpose_t purpose,
                          char *endpoint, size_t cap, bw_db_cred_state_t *state)
{
    if (db == NULL || identity == NULL || endpoint == NULL || cap == 0 ||
        state == NULL)
        return BW_EINVAL;
    endpoint[0] = '\0';
    *state = BW_DB_CRED_REVOKED;
    if (identity_len == 0 || identity_len > BW_DB_IDENTITY_MAX)
        return BW_ENOTFOUND;
    bw_db_owner_t o;
    if (owner_take(db, identity, identity_len, &o)) {
        if (o.purpose != purpose)
            return BW_ENOTFOUND;
        if (strlen(o.endpoint) >= cap)
            return BW_ENOSPC;
        memcpy(endpoint, o.endpoint, strlen(o.endpoint) + 1);
        *state = o.state;
        return 0;
    }
    bw_db_reader_t *r = reader_get(db);
    sqlite3_stmt *st = r->endpoint;
    sqlite3_bind_blob(st, 1, identity, (int)identity_len, SQLITE_STATIC);
    int rc = sqlite3_step(st), err;
    if (rc == SQLITE_ROW) {
        const unsigned char *what = sqlite3_column_text(st, 1);
        const unsigned char *s = sqlite3_column_text(st, 2);
        const char *want = purpose == BW_DB_PURPOSE_DM ? "dm" : "bootstrap";
        if (what == NULL || strcmp((const char *)what, want) != 0) {
            err = BW_ENOTFOUND;
        } else {
            err = bw_db__column_text(st, 0, endpoint, cap) == 0 ? 0 : BW_ENOSPC;
            *state = s != NULL && strcmp((const char *)s, "pending") == 0
                         ? BW_DB_CRED_PENDING
                         : BW_DB_CRED_ACTIVE;
        }
    } else {
        err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
    }
    reader_put(r, st);
    if (err != 0)
        endpoint[0] = '\0';
    return err;
}

int bw_db_identity_endpoint(bw_db_t *db, const uint8_t *identity,
                            size_t identity_len, char *endpoint, size_t cap)
{
    if (db == NULL || identity == NULL || endpoint == NULL || cap == 0)
        return BW_EINVAL;
    endpoint[0] = '\0';
    if (identity_len == 0 || identity_len > BW_DB_IDENTITY_MAX)
        return BW_ENOTFOUND;
    bw_db_reader_t *r = reader_get(db);
    sqlite3_stmt *st = r->endpoint;
    sqlite3_bind_blob(st, 1, identity, (int)identity_len, SQLITE_STATIC);
    int rc = sqlite3_step(st), err;
    if (rc == SQLITE_ROW)
        err = bw_db__column_text(st, 0, endpoint, cap) == 0 ? 0 : BW_ENOSPC;
    else
        err = rc == SQLITE_DONE ? BW_ENOTFOUND : bw_db__err(rc);
    reader_put(r, st);
    return err;
}
