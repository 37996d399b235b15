/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The start-up walk of the stored registrations
 * (bw_db_registration_walk, server/db/db_reg.c): pages of bounded size
 * that together give every unexpired row exactly once, rows that break
 * the rules skipped and counted, the callback's code returned, and the
 * exact error for each bad argument.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

#define NOW 1700000000000LL

DBFX_PER_TEST

/* n registrations ep-00000.. committed at now, lifetime lt(i). */
static void store(size_t n, uint32_t (*lt)(size_t i), int64_t now)
{
    static bw_db_reg_event_t ev[1000];
    static char eps[1000][16];
    assert_true(n <= 1000);
    for (size_t i = 0; i < n; i++) {
        memset(&ev[i], 0, sizeof ev[i]);
        snprintf(eps[i], sizeof eps[i], "ep-%05zu", i);
        ev[i].op = BW_DB_REG_REGISTER;
        ev[i].endpoint = eps[i];
        ev[i].lifetime_s = lt(i);
        ev[i].binding = i % 3 == 0 ? "UQ" : "U";
        ev[i].version = i % 2 == 0 ? "1.1" : "1.0";
        ev[i].object_links = i % 5 == 0 ? "" : "</1/0>,</3/0>";
        ev[i].now_ms = now;
    }
    bw_assert_err(bw_db_registration_batch(f.db, ev, n), 0);
    for (size_t i = 0; i < n; i++)
        bw_assert_err(ev[i].result, 0);
}

static uint32_t lt_60(size_t i)
{
    (void)i;
    return 60;
}

/* Every fourth one 10 s, the others 600 s. */
static uint32_t lt_mixed(size_t i)
{
    return i % 4 == 0 ? 10 : 600;
}

typedef struct {
    uint8_t seen[1000];
    size_t calls;
    size_t stop_at; /* 0: never */
    int64_t min_expiry;
} seen_t;

static int on_row(void *arg, const bw_db_reg_row_t *row)
{
    seen_t *s = arg;
    unsigned i;
    assert_int_equal(sscanf(row->endpoint, "ep-%05u", &i), 1);
    assert_true(i < 1000);
    s->seen[i]++;
    s->calls++;
    assert_int_equal(strlen(row->location), BW_DB_LOCATION_LEN);
    assert_string_equal(row->binding, i % 3 == 0 ? "UQ" : "U");
    assert_string_equal(row->version, i % 2 == 0 ? "1.1" : "1.0");
    assert_string_equal(row->object_links, i % 5 == 0 ? "" : "</1/0>,</3/0>");
    assert_int_equal(row->object_links_len, strlen(row->object_links));
    assert_int_equal(row->registered_ms, row->updated_ms);
    assert_int_equal(row->expires_ms,
                     row->updated_ms + 1000 * (int64_t)row->lifetime_s);
    if (s->min_expiry == 0 || row->expires_ms < s->min_expiry)
        s->min_expiry = row->expires_ms;
    if (s->stop_at != 0 && s->calls == s->stop_at)
        return BW_EABORTED;
    return 0;
}

/*
 * Tried: 1,000 stored registrations, walked in pages of 1, 7, 100, 999,
 * 1,000 and 10,000 rows.
 * Must hold: every row is handed over exactly once with its values as
 * stored; the page count is what the page size makes (a last, empty or
 * short page ends the walk: ceil(1000 / n) pages, one more when n
 * divides 1000); nothing is counted bad.
 */
static void test_pages(void **state)
{
    (void)state;
    store(1000, lt_60, NOW);
    static const unsigned sizes[] = {1, 7, 100, 999, 1000, 10000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        static seen_t s;
        memset(&s, 0, sizeof s);
        bw_db_reg_walk_t st;
        bw_assert_err(
            bw_db_registration_walk(f.db, NOW, sizes[k], on_row, &s, &st), 0);
        assert_int_equal(st.rows, 1000);
        assert_int_equal(st.bad, 0);
        assert_int_equal(s.calls, 1000);
        for (size_t i = 0; i < 1000; i++)
            assert_int_equal(s.seen[i], 1);
        uint64_t pages = (1000 + sizes[k] - 1) / sizes[k];
        if (1000 % sizes[k] == 0)
            pages++; /* a full last page: one more, empty, tells the end */
        assert_int_equal(st.pages, pages);
    }
}

/*
 * Tried: 400 registrations, every fourth with a 10 s lifetime; walked at
 * the moment of storing, 10 s later (those expire: expires_at <= now)
 * and 600 s later.
 * Must hold: first all 400; then only the 300 longer ones, never a row
 * whose expires_at is at or before now; then none (and no callback).
 */
static void test_expired_skipped(void **state)
{
    (void)state;
    store(400, lt_mixed, NOW);
    static seen_t s;
    bw_db_reg_walk_t st;
    memset(&s, 0, sizeof s);
    bw_assert_err(bw_db_registration_walk(f.db, NOW, 64, on_row, &s, &st), 0);
    assert_int_equal(st.rows, 400);

    memset(&s, 0, sizeof s);
    bw_assert_err(
        bw_db_registration_walk(f.db, NOW + 10000, 64, on_row, &s, &st), 0);
    assert_int_equal(st.rows, 300);
    assert_int_equal(s.calls, 300);
    for (size_t i = 0; i < 400; i++)
        assert_int_equal(s.seen[i], i % 4 == 0 ? 0 : 1);
    assert_true(s.min_expiry > NOW + 10000);

    memset(&s, 0, sizeof s);
    bw_assert_err(
        bw_db_registration_walk(f.db, NOW + 600000, 64, on_row, &s, &st), 0);
    assert_int_equal(st.rows, 0);
    assert_int_equal(s.calls, 0);
}

/*
 * Tried: 20 good rows, then rows damaged behind the API's back: a
 * location in upper case, an endpoint with a space, binding "X",
 * version "one", lifetime 0, lifetime as text, NULL object links, and
 * links with a control character.
 * Must hold: the walk still gives the 20 good rows (one bad row does not
 * cost the others their load) in pages of 3, and counts 8 bad ones.
 */
static void test_bad_rows_skipped(void **state)
{
    (void)state;
    store(28, lt_60, NOW);
    sqlite3 *c = dbfx_raw(&f);
    static const char *const damage[] = {
        "UPDATE registrations SET location = upper(location) WHERE endpoint = "
        "'ep-00020'",
        "UPDATE registrations SET endpoint = 'ep 00021' WHERE endpoint = "
        "'ep-00021'",
        "UPDATE registrations SET binding = 'X' WHERE endpoint = 'ep-00022'",
        "UPDATE registrations SET lwm2m_version = 'one' WHERE endpoint = "
        "'ep-00023'",
        "UPDATE registrations SET lifetime_s = 0 WHERE endpoint = 'ep-00024'",
        "UPDATE registrations SET lifetime_s = 'sixty' WHERE endpoint = "
        "'ep-00025'",
        "PRAGMA ignore_check_constraints = 1",
    };
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++)
        assert_int_equal(dbfx_exec(c, damage[i]), SQLITE_OK);
    /* object_links is NOT NULL: the column is rebuilt without it. */
    assert_int_equal(
        dbfx_exec(c, "PRAGMA writable_schema = 1; UPDATE sqlite_schema SET "
                     "sql = replace(sql, 'object_links TEXT NOT NULL', "
                     "'object_links TEXT') WHERE name = 'registrations'; "
                     "PRAGMA writable_schema = 0;"),
        SQLITE_OK);
    sqlite3_close(c);
    dbfx_close(&f);
    dbfx_open(&f);
    c = dbfx_raw(&f);
    assert_int_equal(dbfx_exec(c, "UPDATE registrations SET object_links = "
                                  "NULL WHERE endpoint = 'ep-00026'"),
                     SQLITE_OK);
    assert_int_equal(dbfx_exec(c, "UPDATE registrations SET object_links = "
                                  "'</1/0>' || char(7) WHERE endpoint = "
                                  "'ep-00027'"),
                     SQLITE_OK);
    sqlite3_close(c);

    static seen_t s;
    memset(&s, 0, sizeof s);
    bw_db_reg_walk_t st;
    bw_assert_err(bw_db_registration_walk(f.db, NOW, 3, on_row, &s, &st), 0);
    assert_int_equal(st.rows, 20);
    assert_int_equal(st.bad, 8);
    for (size_t i = 0; i < 28; i++)
        assert_int_equal(s.seen[i], i < 20 ? 1 : 0);
}

/*
 * Tried: a callback that answers BW_EABORTED at its 150th row, pages of
 * 100; then every bad argument: NULL db, NULL callback, page size 0 and
 * one above BW_DB_REG_PAGE_MAX.
 * Must hold: the walk stops there and returns BW_EABORTED, with stats as
 * far as it went (150 rows, 2 pages); then BW_EINVAL, BW_EINVAL,
 * BW_ERANGE, BW_ERANGE, each with stats zeroed and no callback.
 */
static void test_stop_and_errors(void **state)
{
    (void)state;
    store(300, lt_60, NOW);
    static seen_t s;
    memset(&s, 0, sizeof s);
    s.stop_at = 150;
    bw_db_reg_walk_t st;
    bw_assert_err(bw_db_registration_walk(f.db, NOW, 100, on_row, &s, &st),
                  BW_EABORTED);
    assert_int_equal(s.calls, 150);
    assert_int_equal(st.rows, 150);
    assert_int_equal(st.pages, 2);

    memset(&s, 0, sizeof s);
    memset(&st, 0xa5, sizeof st);
    bw_assert_err(bw_db_registration_walk(NULL, NOW, 100, on_row, &s, &st),
                  BW_EINVAL);
    assert_int_equal(st.rows + st.bad + st.pages, 0);
    bw_assert_err(bw_db_registration_walk(f.db, NOW, 100, NULL, &s, &st),
                  BW_EINVAL);
    bw_assert_err(bw_db_registration_walk(f.db, NOW, 0, on_row, &s, &st),
                  BW_ERANGE);
    bw_assert_err(bw_db_registration_walk(f.db, NOW, BW_DB_REG_PAGE_MAX + 1,
                                          on_row, &s, NULL),
                  BW_ERANGE);
    assert_int_equal(s.calls, 0);
    /* The largest page is allowed. */
    bw_assert_err(bw_db_registration_walk(f.db, NOW, BW_DB_REG_PAGE_MAX, on_row,
                                          &s, NULL),
                  0);
    assert_int_equal(s.calls, 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_rows_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_and_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
