/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log of server/db: entries appended and read back in order,
 * paging, input rules, survival across reopen, and the schema refusing
 * to change or delete an entry.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

typedef struct {
    int n;
    int64_t ids[16];
    char actions[16][32];
    char details[16][64];
    int64_t at[16];
} seen_t;

static int collect(void *arg, const bw_db_audit_entry_t *e)
{
    seen_t *s = arg;
    if (s->n >= 16)
        return BW_ENOSPC;
    s->ids[s->n] = e->id;
    s->at[s->n] = e->at_ms;
    snprintf(s->actions[s->n], sizeof s->actions[0], "%s", e->action);
    snprintf(s->details[s->n], sizeof s->details[0], "%s", e->detail);
    s->n++;
    return 0;
}

static int stop_at_two(void *arg, const bw_db_audit_entry_t *e)
{
    (void)e;
    int *n = arg;
    return ++*n == 2 ? BW_EABORTED : 0;
}

/* Tried: append five entries (times deliberately not increasing), close,
 * reopen, read all; read after the second id; read at most two; stop the
 * walk from the callback.
 * Must hold: entries come back in append order with increasing ids and
 * their own fields; paging starts after the given id; max is honoured;
 * the callback's code is returned. */
static void test_append_and_read(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    static const char *const actions[] = {
        "device.add", "psk.import", "psk.revoke", "device.delete", "login"};
    static const int64_t at[] = {500, 400, 600, 100, 700};
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        char detail[32];
        snprintf(detail, sizeof detail, "step\t%d", i);
        bw_assert_err(bw_db_audit_append(f.db, at[i], "alice", actions[i],
                                         "urn:dev:x", detail, &ids[i]),
                      0);
        if (i > 0)
            assert_true(ids[i] > ids[i - 1]);
    }
    dbfx_close(&f);
    dbfx_open(&f);
    seen_t s = {0};
    bw_assert_err(bw_db_audit_read(f.db, 0, 100, collect, &s), 0);
    assert_int_equal(s.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(s.ids[i], ids[i]);
        assert_int_equal(s.at[i], at[i]);
        assert_string_equal(s.actions[i], actions[i]);
        char detail[32];
        snprintf(detail, sizeof detail, "step\t%d", i);
        assert_string_equal(s.details[i], detail);
    }
    memset(&s, 0, sizeof s);
    bw_assert_err(bw_db_audit_read(f.db, ids[1], 100, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.actions[0], "psk.revoke");
    memset(&s, 0, sizeof s);
    bw_assert_err(bw_db_audit_read(f.db, 0, 2, collect, &s), 0);
    assert_int_equal(s.n, 2);
    int calls = 0;
    bw_assert_err(bw_db_audit_read(f.db, 0, 100, stop_at_two, &calls),
                  BW_EABORTED);
    assert_int_equal(calls, 2);
    dbfx_done(&f);
}

/* Tried: change and delete an entry through a raw SQLite connection (as
 * any code with the file could try).
 * Must hold: both statements fail with a constraint error naming the
 * append-only rule; the entry is unchanged. */
static void test_append_only(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    bw_assert_err(
        bw_db_audit_append(f.db, 1, "bob", "psk.import", "d", "ok", NULL), 0);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_exec(c, "UPDATE audit_log SET actor = 'mallory'"),
                     SQLITE_CONSTRAINT);
    assert_non_null(strstr(sqlite3_errmsg(c), "append-only"));
    assert_int_equal(dbfx_exec(c, "DELETE FROM audit_log"), SQLITE_CONSTRAINT);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM audit_log WHERE actor "
                                 "= 'bob'"),
                     1);
    sqlite3_close(c);
    dbfx_done(&f);
}

/* Tried: entries with an empty actor, a NULL action, a newline in the
 * subject, an escape byte in the detail, an actor over the maximum, a
 * detail of exactly the maximum.
 * Must hold: BW_EINVAL, BW_EINVAL, BW_EMALFORMED, BW_EMALFORMED,
 * BW_EOVERFLOW, 0; only the last is stored. */
static void test_input(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    bw_assert_err(bw_db_audit_append(f.db, 1, "", "a", "s", NULL, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_db_audit_append(f.db, 1, "x", NULL, "s", NULL, NULL),
                  BW_EINVAL);
    bw_assert_err(
        bw_db_audit_append(f.db, 1, "x", "a", "s\nforged", NULL, NULL),
        BW_EMALFORMED);
    bw_assert_err(bw_db_audit_append(f.db, 1, "x", "a", "s", "\x1b[31m", NULL),
                  BW_EMALFORMED);
    char big[BW_DB_AUDIT_DETAIL_MAX + 1];
    memset(big, 'a', sizeof big - 1);
    big[BW_DB_AUDIT_FIELD_MAX + 1] = '\0';
    bw_assert_err(bw_db_audit_append(f.db, 1, big, "a", "s", NULL, NULL),
                  BW_EOVERFLOW);
    memset(big, 'd', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bw_assert_err(bw_db_audit_append(f.db, 1, "x", "a", "s", big, NULL), 0);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM audit_log"), 1);
    sqlite3_close(c);
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_read),
        cmocka_unit_test(test_append_only),
        cmocka_unit_test(test_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
