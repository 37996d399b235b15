/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Retention of queued requests in server/db (bw_db_request_purge,
 * db_request.h): answered and expired requests older than a cutoff are
 * deleted in bounded batches, queued and sent ones never.  Every time
 * is given by the test (the caller's clock), so ages are exact.
 */
#define _GNU_SOURCE
#include "db_request.h"
#include "test_db_fixture.h"

/* One day in ms: the times below are days on a controlled clock. */
#define DAY 86400000LL

DBFX_PER_TEST_DEVICE("urn:dev:old")

static int count(void *arg, const bw_db_request_t *r)
{
    (void)r;
    ++*(int *)arg;
    return 0;
}

/* Whether request id is still stored. */
static int exists(int64_t id)
{
    int n = 0;
    int err = bw_db_request_get(f.db, id, count, &n);
    if (err == BW_ENOTFOUND)
        return 0;
    bw_assert_err(err, 0);
    return n == 1;
}

/* A request queued at t, then moved to state at t (answered: sent and
 * answered; expired: cancelled; sent; queued). */
static int64_t request_at(int64_t t, bw_db_req_state_t state)
{
    int64_t id = 0;
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3/0", NULL,
                                        0, t, t + 400 * DAY, &id),
                  0);
    if (state == BW_DB_REQ_SENT || state == BW_DB_REQ_ANSWERED)
        bw_assert_err(bw_db_request_mark_sent(f.db, id, t), 0);
    if (state == BW_DB_REQ_ANSWERED)
        bw_assert_err(
            bw_db_request_answer(f.db, id, 0x45, (const uint8_t *)"{}", 2, t),
            0);
    if (state == BW_DB_REQ_EXPIRED)
        bw_assert_err(bw_db_request_give_up(f.db, id, BW_DB_REQ_QUEUED,
                                            "cancelled by api:ops", t),
                      0);
    return id;
}

/* Tried: requests in each of the four states made 40 days ago, and an
 * answered and an expired one made 20 days ago; a purge at day 100 of
 * everything final before day 70 (a 30-day retention).
 * Must hold: exactly the two old final ones are deleted (count 2, then
 * get says BW_ENOTFOUND); the old QUEUED and SENT ones and the recent
 * final ones stay; a second purge deletes nothing (count 0). */
static void test_only_old_final_ones(void **state)
{
    (void)state;
    int64_t q = request_at(60 * DAY, BW_DB_REQ_QUEUED);
    int64_t s = request_at(60 * DAY, BW_DB_REQ_SENT);
    int64_t a = request_at(60 * DAY, BW_DB_REQ_ANSWERED);
    int64_t e = request_at(60 * DAY, BW_DB_REQ_EXPIRED);
    int64_t a2 = request_at(80 * DAY, BW_DB_REQ_ANSWERED);
    int64_t e2 = request_at(80 * DAY, BW_DB_REQ_EXPIRED);
    uint64_t n = 99;
    bw_assert_err(bw_db_request_purge(f.db, 70 * DAY, 100, &n), 0);
    assert_int_equal(n, 2);
    assert_false(exists(a));
    assert_false(exists(e));
    assert_true(exists(q));
    assert_true(exists(s));
    assert_true(exists(a2));
    assert_true(exists(e2));
    bw_assert_err(bw_db_request_purge(f.db, 70 * DAY, 100, &n), 0);
    assert_int_equal(n, 0);
}

/* Tried: an answered request that became final exactly at the cutoff,
 * and one a millisecond before it.
 * Must hold: only the one before is deleted ("older than" is strict). */
static void test_cutoff_is_strict(void **state)
{
    (void)state;
    int64_t at = request_at(50 * DAY, BW_DB_REQ_ANSWERED);
    int64_t before = request_at(50 * DAY - 1, BW_DB_REQ_ANSWERED);
    uint64_t n = 0;
    bw_assert_err(bw_db_request_purge(f.db, 50 * DAY, 10, &n), 0);
    assert_int_equal(n, 1);
    assert_true(exists(at));
    assert_false(exists(before));
}

/* Tried: age is counted from when a request became final, not from its
 * creation: one queued on day 1 and answered on day 90, purged with a
 * cutoff of day 70.
 * Must hold: it stays (it has been final for 10 days only). */
static void test_age_from_final(void **state)
{
    (void)state;
    int64_t id = request_at(1 * DAY, BW_DB_REQ_QUEUED);
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 90 * DAY), 0);
    bw_assert_err(bw_db_request_answer(f.db, id, 0x45, NULL, 0, 90 * DAY), 0);
    uint64_t n = 9;
    bw_assert_err(bw_db_request_purge(f.db, 70 * DAY, 10, &n), 0);
    assert_int_equal(n, 0);
    assert_true(exists(id));
}

/* Tried: 7 old final requests purged in batches of 3, as the retention
 * job runs them.
 * Must hold: the batches delete 3, 3, 1 and then 0: never more than
 * asked in one transaction, and a short batch means none is left. */
static void test_batches(void **state)
{
    (void)state;
    for (int i = 0; i < 7; i++)
        (void)request_at(10 * DAY + i,
                         i % 2 ? BW_DB_REQ_EXPIRED : BW_DB_REQ_ANSWERED);
    static const uint64_t want[] = {3, 3, 1, 0};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        uint64_t n = 99;
        bw_assert_err(bw_db_request_purge(f.db, 40 * DAY, 3, &n), 0);
        assert_int_equal(n, want[i]);
    }
    sqlite3 *raw = dbfx_raw(&f);
    assert_int_equal(dbfx_int(raw, "SELECT COUNT(*) FROM queued_requests"), 0);
    sqlite3_close(raw);
}

/* Tried: a batch of 0 and one above BW_DB_REQ_PURGE_MAX, a NULL store,
 * and the largest batch allowed with a NULL count.
 * Must hold: BW_ERANGE, BW_ERANGE, BW_EINVAL (with *count 0 each time);
 * the largest batch works. */
static void test_arguments(void **state)
{
    (void)state;
    int64_t id = request_at(1 * DAY, BW_DB_REQ_ANSWERED);
    uint64_t n = 5;
    bw_assert_err(bw_db_request_purge(f.db, 2 * DAY, 0, &n), BW_ERANGE);
    assert_int_equal(n, 0);
    n = 5;
    bw_assert_err(
        bw_db_request_purge(f.db, 2 * DAY, BW_DB_REQ_PURGE_MAX + 1, &n),
        BW_ERANGE);
    assert_int_equal(n, 0);
    n = 5;
    bw_assert_err(bw_db_request_purge(NULL, 2 * DAY, 1, &n), BW_EINVAL);
    assert_int_equal(n, 0);
    assert_true(exists(id));
    bw_assert_err(bw_db_request_purge(f.db, 2 * DAY, BW_DB_REQ_PURGE_MAX, NULL),
                  0);
    assert_false(exists(id));
}

/* Tried: a device's page of requests after its old answered request was
 * purged, and the plan SQLite makes for the batch's inner SELECT.
 * Must hold: the page holds only the request left; the batch reads
 * through the queued_requests_done index (no scan of the table). */
static void test_page_and_plan(void **state)
{
    (void)state;
    (void)request_at(1 * DAY, BW_DB_REQ_ANSWERED);
    int64_t keep = request_at(1 * DAY, BW_DB_REQ_QUEUED);
    bw_assert_err(bw_db_request_purge(f.db, 2 * DAY, 10, NULL), 0);
    int n = 0;
    bw_assert_err(bw_db_request_page(f.db, ep, BW_DB_REQ_ANY, 0, 10, count, &n),
                  0);
    assert_int_equal(n, 1);
    assert_true(exists(keep));
    sqlite3 *raw = dbfx_raw(&f);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(raw,
                           "EXPLAIN QUERY PLAN SELECT id FROM queued_requests "
                           "WHERE state IN ('answered', 'expired') AND "
                           "updated_at < 5 LIMIT 10",
                           -1, &st, NULL),
        SQLITE_OK);
    int indexed = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 3);
        indexed |= d != NULL && strstr(d, "queued_requests_done") != NULL;
    }
    sqlite3_finalize(st);
    sqlite3_close(raw);
    assert_true(indexed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_only_old_final_ones, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cutoff_is_strict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_age_from_final, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_and_plan, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
