/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the tests of server/db (tests/unit/test_db_*.c): a private
 * temporary directory with a real SQLite database file and a master key
 * file, and a second, raw SQLite connection to the same file for looking
 * behind the API (grepping for plaintext, tampering with rows).
 * Test code only.
 */
#ifndef BW_TEST_DB_FIXTURE_H
#define BW_TEST_DB_FIXTURE_H

/* Each test file defines _GNU_SOURCE before its first include. */

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "testutil.h"

typedef struct {
    char dir[64];
    char db_path[128];
    char key_path[128];
    bw_db_t *db;
    char why[256];
} dbfx_t;

/* A fresh directory with a new master key file; no database yet. */
static inline void dbfx_init(dbfx_t *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/bw-db-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db_path, sizeof f->db_path, "%s/bulwark.db", f->dir);
    snprintf(f->key_path, sizeof f->key_path, "%s/master.key", f->dir);
    bw_assert_err(bw_db_master_key_create(f->key_path), 0);
}

/* Open with the fixture's key (or key_path when given); returns the code. */
static inline int dbfx_open_with(dbfx_t *f, const char *key_path,
                                 unsigned target)
{
    bw_db_config_t cfg = {
        .path = f->db_path,
        .master_key_file = key_path,
        .schema_target = target,
    };
    f->why[0] = '\0';
    return bw_db_open(&cfg, &f->db, f->why, sizeof f->why);
}

static inline void dbfx_open(dbfx_t *f)
{
    int err = dbfx_open_with(f, f->key_path, 0);
    if (err != 0)
        fail_msg("bw_db_open: %s (%s)", bw_err_name(err), f->why);
}

static inline void dbfx_close(dbfx_t *f)
{
    bw_db_close(f->db);
    f->db = NULL;
}

/* Close and remove every file of the directory, then the directory. */
static inline void dbfx_done(dbfx_t *f)
{
    dbfx_close(f);
    DIR *d = opendir(f->dir);
    if (d != NULL) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
            (void)unlink(p);
        }
        closedir(d);
    }
    (void)rmdir(f->dir);
}

/* A raw connection to the database file (tests look behind the API). */
static inline sqlite3 *dbfx_raw(const dbfx_t *f)
{
    sqlite3 *c = NULL;
    assert_int_equal(sqlite3_open(f->db_path, &c), SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    return c;
}

/* Run SQL on a raw connection; the SQLite result code. */
static inline int dbfx_exec(sqlite3 *c, const char *sql)
{
    return sqlite3_exec(c, sql, NULL, NULL, NULL);
}

/* The single integer a query returns (fails the test otherwise). */
static inline long long dbfx_int(sqlite3 *c, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Register endpoint ep on db (a batch of one Register, binding U,
 * LwM2M 1.1) and check that it took. */
static inline void dbfx_register(bw_db_t *db, const char *ep,
                                 uint32_t lifetime_s, const char *links,
                                 int64_t now_ms)
{
    bw_db_reg_event_t e;
    memset(&e, 0, sizeof e);
    e.op = BW_DB_REG_REGISTER;
    e.endpoint = ep;
    e.lifetime_s = lifetime_s;
    e.binding = "U";
    e.version = "1.1";
    e.object_links = links;
    e.now_ms = now_ms;
    bw_assert_err(bw_db_registration_batch(db, &e, 1), 0);
    bw_assert_err(e.result, 0);
}

/* A PSK that differs for every seed (not constant, not repeated). */
static inline void dbfx_psk(uint8_t *psk, size_t n, unsigned seed)
{
    uint32_t x = 2166136261u ^ seed;
    for (size_t i = 0; i < n; i++) {
        x = (x ^ (uint32_t)i) * 16777619u + seed;
        psk[i] = (uint8_t)(x >> 13);
    }
}

/*
 * The usual fixture: one file-backed database per test, opened in
 * setup() and removed in teardown().  Defines `static dbfx_t f` and the
 * two cmocka functions.
 */
#define DBFX_PER_TEST                                                          \
    static dbfx_t f;                                                           \
    static int setup(void **state)                                             \
    {                                                                          \
        (void)state;                                                           \
        dbfx_init(&f);                                                         \
        dbfx_open(&f);                                                         \
        return 0;                                                              \
    }                                                                          \
    static int teardown(void **state)                                          \
    {                                                                          \
        (void)state;                                                           \
        dbfx_done(&f);                                                         \
        return 0;                                                              \
    }

/* The same with one device, endpoint name (a string literal), added in
 * setup(); `ep` is that name. */
#define DBFX_PER_TEST_DEVICE(name)                                             \
    static dbfx_t f;                                                           \
    static const char ep[] = name;                                             \
    static int setup(void **state)                                             \
    {                                                                          \
        (void)state;                                                           \
        dbfx_init(&f);                                                         \
        dbfx_open(&f);                                                         \
        return bw_db_device_add(f.db, ep, NULL, NULL, 1, NULL) == 0 ? 0 : -1;  \
    }                                                                          \
    static int teardown(void **state)                                          \
    {                                                                          \
        (void)state;                                                           \
        dbfx_done(&f);                                                         \
        return 0;                                                              \
    }

#endif /* BW_TEST_DB_FIXTURE_H */
