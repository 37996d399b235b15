/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Migration 10 (the telemetry row's source) on real SQLite files: a
 * schema-9 database with rows migrates with its values kept and their
 * source unknown (NULL); new rows keep "send" or "notify"; the read
 * filters by source; a source out of the list is refused by the API and
 * by the table's CHECK.
 */
#define _GNU_SOURCE
#include "db_telemetry.h"
#include "test_db_fixture.h"

#define EP "urn:dev:tm"

typedef struct {
    size_t n;
    char path[8][24];
    double num[8];
    char text[8][16];
    bw_db_tm_source_t source[8];
} seen_t;

static int collect(void *arg, const bw_db_tm_value_t *v)
{
    seen_t *s = arg;
    assert_true(s->n < 8);
    snprintf(s->path[s->n], sizeof s->path[0], "%s", v->path);
    s->num[s->n] = v->num;
    if (v->kind == BW_DB_TM_STRING)
        snprintf(s->text[s->n], sizeof s->text[0], "%.*s", (int)v->len,
                 (const char *)v->bytes);
    s->source[s->n] = v->source;
    s->n++;
    return 0;
}

static seen_t read_all(dbfx_t *f, bw_db_tm_source_t source)
{
    seen_t s;
    memset(&s, 0, sizeof s);
    bw_db_tm_query_t q = {
        .since_ms = INT64_MIN, .limit = 100, .source = source};
    bw_assert_err(bw_db_telemetry_read(f->db, EP, &q, collect, &s), 0);
    return s;
}

/* Tried: a database at schema 9 with two telemetry rows written as the
 * schema-9 program wrote them (no source column); open it with this
 * program.
 * Must hold: the version is the latest, both rows read back with their
 * path and value, their source unknown (NULL in the column), and every
 * source filter but "any" leaves them out. */
static void test_migrate_keeps_rows(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 9), 0);
    bw_assert_err(bw_db_device_add(f.db, EP, NULL, NULL, 1, NULL), 0);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(
        dbfx_exec(c, "INSERT INTO telemetry (device_id, path, sampled_at, "
                     "kind, value_num, value_text, value_blob, received_at) "
                     "SELECT id, '/3303/0/5700', 1000, 'number', 21.5, NULL, "
                     "NULL, 1001 FROM devices WHERE endpoint = '" EP "'"),
        SQLITE_OK);
    assert_int_equal(
        dbfx_exec(c, "INSERT INTO telemetry (device_id, path, sampled_at, "
                     "kind, value_num, value_text, value_blob, received_at) "
                     "SELECT id, '/3/0/1', 2000, 'string', NULL, 'model-x', "
                     "NULL, 2001 FROM devices WHERE endpoint = '" EP "'"),
        SQLITE_OK);
    sqlite3_close(c);
    dbfx_close(&f);

    dbfx_open(&f);
    unsigned v = 0;
    bw_assert_err(bw_db_schema_version(f.db, &v), 0);
    assert_int_equal(v, BW_DB_SCHEMA_VERSION);
    assert_true(v >= 10);
    seen_t s = read_all(&f, BW_DB_TM_SRC_UNKNOWN);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.path[0], "/3/0/1"); /* newest first */
    assert_string_equal(s.text[0], "model-x");
    assert_string_equal(s.path[1], "/3303/0/5700");
    assert_true(s.num[1] == 21.5);
    assert_int_equal(s.source[0], BW_DB_TM_SRC_UNKNOWN);
    assert_int_equal(s.source[1], BW_DB_TM_SRC_UNKNOWN);
    c = dbfx_raw(&f);
    assert_int_equal(
        dbfx_int(c, "SELECT COUNT(*) FROM telemetry WHERE source IS NULL"), 2);
    sqlite3_close(c);
    assert_int_equal(read_all(&f, BW_DB_TM_SRC_SEND).n, 0);
    assert_int_equal(read_all(&f, BW_DB_TM_SRC_NOTIFY).n, 0);
    dbfx_done(&f);
}

/* Tried: store one value from a Send and two from a notification, read
 * with each filter; store and read with a source out of the list; write
 * a bogus source behind the API.
 * Must hold: each filter returns exactly its rows with their source;
 * the bad source is BW_EMALFORMED with nothing stored; the CHECK refuses
 * the raw row. */
static void test_source_kept_and_filtered(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    bw_assert_err(bw_db_device_add(f.db, EP, NULL, NULL, 1, NULL), 0);
    bw_db_tm_value_t send = {.path = "/3303/0/5700",
                             .sampled_ms = 10,
                             .kind = BW_DB_TM_NUMBER,
                             .num = 20.0,
                             .source = BW_DB_TM_SRC_SEND};
    bw_db_tm_value_t notify[2] = {send, send};
    notify[0].sampled_ms = 11;
    notify[0].source = BW_DB_TM_SRC_NOTIFY;
    notify[1].sampled_ms = 12;
    notify[1].num = 22.0;
    notify[1].source = BW_DB_TM_SRC_NOTIFY;
    bw_assert_err(bw_db_telemetry_store(f.db, EP, &send, 1, 100, 10), 0);
    bw_assert_err(bw_db_telemetry_store(f.db, EP, notify, 2, 101, 10), 0);

    seen_t s = read_all(&f, BW_DB_TM_SRC_SEND);
    assert_int_equal(s.n, 1);
    assert_true(s.num[0] == 20.0);
    assert_int_equal(s.source[0], BW_DB_TM_SRC_SEND);
    s = read_all(&f, BW_DB_TM_SRC_NOTIFY);
    assert_int_equal(s.n, 2);
    assert_true(s.num[0] == 22.0);
    assert_int_equal(s.source[0], BW_DB_TM_SRC_NOTIFY);
    assert_int_equal(s.source[1], BW_DB_TM_SRC_NOTIFY);
    s = read_all(&f, BW_DB_TM_SRC_UNKNOWN);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.source[2], BW_DB_TM_SRC_SEND);

    bw_db_tm_value_t bad = send;
    bad.source = (bw_db_tm_source_t)7;
    bw_assert_err(bw_db_telemetry_store(f.db, EP, &bad, 1, 102, 10),
                  BW_EMALFORMED);
    uint64_t n = 0;
    bw_assert_err(bw_db_telemetry_count(f.db, EP, &n), 0);
    assert_int_equal(n, 3);
    bw_db_tm_query_t q = {
        .since_ms = INT64_MIN, .limit = 10, .source = (bw_db_tm_source_t)3};
    bw_assert_err(bw_db_telemetry_read(f.db, EP, &q, collect, &s),
                  BW_EMALFORMED);
    assert_string_equal(bw_db_tm_source_name(BW_DB_TM_SRC_SEND), "send");
    assert_string_equal(bw_db_tm_source_name(BW_DB_TM_SRC_NOTIFY), "notify");
    assert_null(bw_db_tm_source_name(BW_DB_TM_SRC_UNKNOWN));

    sqlite3 *c = dbfx_raw(&f);
    assert_int_not_equal(dbfx_exec(c, "UPDATE telemetry SET source = 'bogus'"),
                         SQLITE_OK);
    assert_int_equal(
        dbfx_int(c, "SELECT COUNT(*) FROM telemetry WHERE source = 'send'"), 1);
    sqlite3_close(c);
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_keeps_rows),
        cmocka_unit_test(test_source_kept_and_filtered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
