/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server/db schema and migrations on real SQLite files: from an empty
 * file, reopening, a staged upgrade, a database newer than the code, a
 * file that is not a database, and the connection settings (WAL, foreign
 * keys) the rest of the module relies on.
 */
#define _GNU_SOURCE
#include "db_telemetry.h"
#include "test_db_fixture.h"

/* Tried: open a path where no file exists.
 * Must hold: the schema is at BW_DB_SCHEMA_VERSION with one version row
 * per migration, every table exists, and the file is in WAL mode (the
 * journal mode is stored in the file, so a raw connection sees it). */
static void test_migrate_from_empty(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    unsigned v = 0;
    bw_assert_err(bw_db_schema_version(f.db, &v), 0);
    assert_int_equal(v, BW_DB_SCHEMA_VERSION);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM schema_version"),
                     BW_DB_SCHEMA_VERSION);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(DISTINCT version) FROM "
                                 "schema_version"),
                     BW_DB_SCHEMA_VERSION);
    static const char *const tables[] = {
        "meta",          "devices",   "credentials",     "bootstrap_configs",
        "registrations", "audit_log", "queued_requests", "telemetry",
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                 "AND name = '%s'",
                 tables[i]);
        if (dbfx_int(c, sql) != 1)
            fail_msg("table %s missing", tables[i]);
    }
    /* Schema 9 replaced schema 3's timeseries with telemetry. */
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                 "name LIKE 'timeseries%'"),
                     0);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(c, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(c);
    dbfx_done(&f);
}

/* Tried: add a device, close, open again (twice).
 * Must hold: the device is there, no migration ran a second time (still
 * one row per version), the key check value was written once. */
static void test_reopen(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    bw_assert_err(
        bw_db_device_add(f.db, "urn:dev:reopen", "m1", "a,b", 1000, NULL), 0);
    for (int i = 0; i < 2; i++) {
        dbfx_close(&f);
        dbfx_open(&f);
    }
    bw_db_device_t d;
    bw_assert_err(bw_db_device_get(f.db, "urn:dev:reopen", &d), 0);
    assert_string_equal(d.model, "m1");
    assert_string_equal(d.tags, "a,b");
    assert_int_equal(d.created_ms, 1000);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM schema_version"),
                     BW_DB_SCHEMA_VERSION);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM meta"), 1);
    sqlite3_close(c);
    dbfx_done(&f);
}

/* Tried: open with schema_target 1, add a device, close; open with the
 * latest schema.
 * Must hold: at 1 the later tables do not exist and the version is 1;
 * after the upgrade the version is the latest and the device survived. */
static void test_staged_upgrade(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 1), 0);
    unsigned v = 0;
    bw_assert_err(bw_db_schema_version(f.db, &v), 0);
    assert_int_equal(v, 1);
    bw_assert_err(bw_db_device_add(f.db, "urn:dev:old", NULL, NULL, 5, NULL),
                  0);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                 "name = 'registrations'"),
                     0);
    sqlite3_close(c);
    dbfx_close(&f);
    dbfx_open(&f);
    bw_assert_err(bw_db_schema_version(f.db, &v), 0);
    assert_int_equal(v, BW_DB_SCHEMA_VERSION);
    bw_db_device_t d;
    bw_assert_err(bw_db_device_get(f.db, "urn:dev:old", &d), 0);
    dbfx_done(&f);
}

/* Tried: a database whose schema_version holds a version above the
 * code's (as a newer server would leave it).
 * Must hold: open fails with BW_EVERSION, the message says the schema is
 * newer and names both versions, *out stays NULL and nothing was written
 * (the newest version row is still the foreign one). */
static void test_future_version_refused(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    dbfx_close(&f);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_exec(c, "INSERT INTO schema_version VALUES "
                                  "(99, 0)"),
                     SQLITE_OK);
    sqlite3_close(c);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 0), BW_EVERSION);
    assert_null(f.db);
    assert_non_null(strstr(f.why, "newer than this program"));
    assert_non_null(strstr(f.why, "99"));
    c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT MAX(version) FROM schema_version"),
                     99);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM schema_version"),
                     BW_DB_SCHEMA_VERSION + 1);
    sqlite3_close(c);
    dbfx_done(&f);
}

/* Tried: a file of text where the database should be.
 * Must hold: BW_EMALFORMED with a message, and the file is unchanged. */
static void test_not_a_database(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    static const char junk[] = "this is not a database, it is a shopping list "
                               "with more than one hundred bytes in it so "
                               "that SQLite reads a whole header of junk.\n";
    FILE *fp = fopen(f.db_path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(junk, 1, sizeof junk - 1, fp), sizeof junk - 1);
    fclose(fp);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 0), BW_EMALFORMED);
    assert_null(f.db);
    assert_true(f.why[0] != '\0');
    struct stat st;
    assert_int_equal(stat(f.db_path, &st), 0);
    assert_int_equal(st.st_size, sizeof junk - 1);
    dbfx_done(&f);
}

/* Tried: bad arguments to open.
 * Must hold: BW_EINVAL, *out NULL. */
static void test_open_args(void **state)
{
    (void)state;
    bw_db_t *db = (bw_db_t *)&db;
    bw_db_config_t cfg = {.path = NULL};
    bw_assert_err(bw_db_open(&cfg, &db, NULL, 0), BW_EINVAL);
    assert_null(db);
    bw_assert_err(bw_db_open(NULL, &db, NULL, 0), BW_EINVAL);
    cfg.path = "/tmp/never-created.db";
    bw_assert_err(bw_db_open(&cfg, NULL, NULL, 0), BW_EINVAL);
    cfg.readers = BW_DB_READERS_MAX + 1;
    bw_assert_err(bw_db_open(&cfg, &db, NULL, 0), BW_EINVAL);
}

/* Tried: delete a device that has a credential, a bootstrap config, a
 * queued request, a sample and a registration.
 * Must hold: every one of those rows is gone (foreign keys are on and
 * cascade; the registration is removed by name), the audit log is kept;
 * deleting it again is BW_ENOTFOUND. */
static void test_delete_cascades(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    const char *ep = "urn:dev:gone";
    bw_assert_err(bw_db_device_add(f.db, ep, NULL, NULL, 1, NULL), 0);
    uint8_t psk[16];
    dbfx_psk(psk, sizeof psk, 7);
    bw_assert_err(bw_db_psk_import(f.db, ep, (const uint8_t *)"id-77", 5, psk,
                                   sizeof psk, BW_DB_CRED_ACTIVE, 1, NULL),
                  0);
    bw_db_bootstrap_t bs = {.server_uri = "coaps://dm.example:5684",
                            .lifetime_s = 300,
                            .binding = "U"};
    bw_assert_err(bw_db_bootstrap_set(f.db, ep, &bs, 1), 0);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3/0", NULL,
                                        0, 1, 1000, NULL),
                  0);
    bw_db_tm_value_t tm = {
        .path = "/3/0/9", .sampled_ms = 1, .kind = BW_DB_TM_NUMBER, .num = 80};
    bw_assert_err(bw_db_telemetry_store(f.db, ep, &tm, 1, 1, 10), 0);
    bw_db_reg_event_t ev = {.op = BW_DB_REG_REGISTER,
                            .endpoint = ep,
                            .lifetime_s = 60,
                            .binding = "U",
                            .version = "1.1",
                            .object_links = "</3/0>",
                            .now_ms = 1};
    bw_assert_err(bw_db_registration_batch(f.db, &ev, 1), 0);
    bw_assert_err(
        bw_db_audit_append(f.db, 1, "op", "device.delete", ep, NULL, NULL), 0);
    bw_assert_err(bw_db_device_delete(f.db, ep), 0);
    sqlite3 *c = dbfx_raw(&f);
    static const char *const tables[] = {"credentials", "bootstrap_configs",
                                         "queued_requests", "telemetry",
                                         "registrations"};
    for (size_t i = 0; i < 5; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", tables[i]);
        if (dbfx_int(c, sql) != 0)
            fail_msg("%s kept a row of a deleted device", tables[i]);
    }
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM audit_log"), 1);
    sqlite3_close(c);
    bw_assert_err(bw_db_device_delete(f.db, ep), BW_ENOTFOUND);
    dbfx_done(&f);
}

/* Tried: devices with malformed names and fields, and a duplicate.
 * Must hold: the exact code for each; nothing is stored. */
static void test_device_input(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    bw_assert_err(bw_db_device_add(f.db, "", NULL, NULL, 0, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_device_add(f.db, "has space", NULL, NULL, 0, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_device_add(f.db, "quote'name", NULL, NULL, 0, NULL),
                  BW_EMALFORMED);
    char long_ep[BW_DB_ENDPOINT_MAX + 2];
    memset(long_ep, 'a', sizeof long_ep - 1);
    long_ep[sizeof long_ep - 1] = '\0';
    bw_assert_err(bw_db_device_add(f.db, long_ep, NULL, NULL, 0, NULL),
                  BW_EMALFORMED);
    long_ep[BW_DB_ENDPOINT_MAX] = '\0'; /* exactly the maximum */
    bw_assert_err(bw_db_device_add(f.db, long_ep, NULL, NULL, 0, NULL), 0);
    bw_assert_err(bw_db_device_add(f.db, "ok", "line\nbreak", NULL, 0, NULL),
                  BW_EMALFORMED);
    char big[BW_DB_TAGS_MAX + 2];
    memset(big, 't', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bw_assert_err(bw_db_device_add(f.db, "ok", NULL, big, 0, NULL),
                  BW_EOVERFLOW);
    int64_t id = 0;
    bw_assert_err(bw_db_device_add(f.db, "ok", NULL, NULL, 0, &id), 0);
    assert_true(id > 0);
    bw_assert_err(bw_db_device_add(f.db, "ok", NULL, NULL, 0, &id), BW_EEXIST);
    assert_int_equal(id, 0);
    bw_db_device_t d;
    bw_assert_err(bw_db_device_get(f.db, "nobody", &d), BW_ENOTFOUND);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM devices"), 2);
    sqlite3_close(c);
    dbfx_done(&f);
}

/* Tried: bootstrap configuration set, replaced, read, and refused.
 * Must hold: the last one set is read back; bad fields get their code. */
static void test_bootstrap_config(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    bw_assert_err(bw_db_device_add(f.db, "bs-1", NULL, NULL, 0, NULL), 0);
    bw_db_bootstrap_t bs = {.server_uri = "coaps://a:5684",
                            .lifetime_s = 60,
                            .binding = "U"},
                      got;
    bw_assert_err(bw_db_bootstrap_get(f.db, "bs-1", &got), BW_ENOTFOUND);
    bw_assert_err(bw_db_bootstrap_set(f.db, "bs-1", &bs, 1), 0);
    snprintf(bs.server_uri, sizeof bs.server_uri, "coaps://b:5684");
    bs.lifetime_s = 3600;
    snprintf(bs.binding, sizeof bs.binding, "UQ");
    bw_assert_err(bw_db_bootstrap_set(f.db, "bs-1", &bs, 2), 0);
    bw_assert_err(bw_db_bootstrap_get(f.db, "bs-1", &got), 0);
    assert_string_equal(got.server_uri, "coaps://b:5684");
    assert_int_equal(got.lifetime_s, 3600);
    assert_string_equal(got.binding, "UQ");
    bw_assert_err(bw_db_bootstrap_set(f.db, "nobody", &bs, 2), BW_ENOTFOUND);
    snprintf(bs.binding, sizeof bs.binding, "X");
    bw_assert_err(bw_db_bootstrap_set(f.db, "bs-1", &bs, 2), BW_EMALFORMED);
    snprintf(bs.binding, sizeof bs.binding, "U");
    bs.lifetime_s = 0;
    bw_assert_err(bw_db_bootstrap_set(f.db, "bs-1", &bs, 2), BW_ERANGE);
    bs.lifetime_s = 1;
    bs.server_uri[0] = '\0';
    bw_assert_err(bw_db_bootstrap_set(f.db, "bs-1", &bs, 2), BW_EMALFORMED);
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_from_empty),
        cmocka_unit_test(test_reopen),
        cmocka_unit_test(test_staged_upgrade),
        cmocka_unit_test(test_future_version_refused),
        cmocka_unit_test(test_not_a_database),
        cmocka_unit_test(test_open_args),
        cmocka_unit_test(test_delete_cascades),
        cmocka_unit_test(test_device_input),
        cmocka_unit_test(test_bootstrap_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
