/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tries of a queued request in server/db (db_request.h): counted by
 * bw_db_request_retry in the transaction that puts the request back,
 * kept across a close and reopen, left alone by every other move, and
 * added by schema 12 to requests an older schema stored.
 */
#define _GNU_SOURCE
#include "db_request.h"
#include "test_db_fixture.h"

DBFX_PER_TEST_DEVICE("urn:dev:mute")

typedef struct {
    int n;
    bw_db_req_state_t state;
    unsigned tries;
    int64_t updated;
} got_t;

static int grab(void *arg, const bw_db_request_t *r)
{
    got_t *g = arg;
    g->n++;
    g->state = r->state;
    g->tries = r->tries;
    g->updated = r->updated_ms;
    return 0;
}

static got_t get(int64_t id)
{
    got_t g = {0};
    bw_assert_err(bw_db_request_get(f.db, id, grab, &g), 0);
    assert_int_equal(g.n, 1);
    return g;
}

static int64_t enqueue(int64_t now)
{
    int64_t id = 0;
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3/0", NULL,
                                        0, now, now + 100000, &id),
                  0);
    return id;
}

/* Tried: a request sent and retried three times, closing and reopening
 * the database between the second and the third.
 * Must hold: a new request has 0 tries; each retry puts it back to
 * QUEUED at its time, counts one more and reports the count as
 * committed (1, 2, then 3 after the reopen: the store's count, not a
 * process's). */
static void test_retry_counts_durably(void **state)
{
    (void)state;
    int64_t id = enqueue(100);
    assert_int_equal(get(id).tries, 0);
    unsigned tries = 99;
    for (unsigned i = 1; i <= 3; i++) {
        if (i == 3) {
            dbfx_close(&f);
            dbfx_open(&f);
            assert_int_equal(get(id).tries, 2);
        }
        bw_assert_err(bw_db_request_mark_sent(f.db, id, 100 + 10 * i), 0);
        bw_assert_err(bw_db_request_retry(f.db, id, 105 + 10 * i, &tries), 0);
        assert_int_equal(tries, i);
        got_t g = get(id);
        assert_int_equal(g.state, BW_DB_REQ_QUEUED);
        assert_int_equal(g.tries, i);
        assert_int_equal(g.updated, 105 + 10 * i);
    }
}

/* Tried: retry a request that is QUEUED (not sent), one that is
 * ANSWERED, an unknown id, a NULL store.
 * Must hold: BW_ESTATE, BW_ESTATE, BW_ENOTFOUND, BW_EINVAL, *tries 0
 * each time, and the rows unchanged (no count, no move). */
static void test_retry_guards(void **state)
{
    (void)state;
    int64_t q = enqueue(100), a = enqueue(100);
    bw_assert_err(bw_db_request_mark_sent(f.db, a, 110), 0);
    bw_assert_err(bw_db_request_answer(f.db, a, 0x45, NULL, 0, 120), 0);
    unsigned tries = 7;
    bw_assert_err(bw_db_request_retry(f.db, q, 130, &tries), BW_ESTATE);
    assert_int_equal(tries, 0);
    tries = 7;
    bw_assert_err(bw_db_request_retry(f.db, a, 130, &tries), BW_ESTATE);
    assert_int_equal(tries, 0);
    tries = 7;
    bw_assert_err(bw_db_request_retry(f.db, 424242, 130, &tries), BW_ENOTFOUND);
    assert_int_equal(tries, 0);
    bw_assert_err(bw_db_request_retry(NULL, q, 130, NULL), BW_EINVAL);
    got_t g = get(q);
    assert_int_equal(g.state, BW_DB_REQ_QUEUED);
    assert_int_equal(g.tries, 0);
    assert_int_equal(g.updated, 100);
    g = get(a);
    assert_int_equal(g.state, BW_DB_REQ_ANSWERED);
    assert_int_equal(g.tries, 0);
}

/* Tried: a request with one try counted, then put back by the moves
 * that do not count: requeue, the restart's requeue_sent, a give-up;
 * and a second request answered after a counted try.
 * Must hold: the count stays 1 through all of them (only a delivery
 * that got no answer counts), and the answered one keeps its 1. */
static void test_other_moves_keep_count(void **state)
{
    (void)state;
    int64_t id = enqueue(100), b = enqueue(100);
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 110), 0);
    bw_assert_err(bw_db_request_retry(f.db, id, 120, NULL), 0);
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 130), 0);
    bw_assert_err(bw_db_request_requeue(f.db, id, 140), 0);
    assert_int_equal(get(id).tries, 1);
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 150), 0);
    uint64_t n = 0;
    bw_assert_err(bw_db_request_requeue_sent(f.db, 160, &n), 0);
    assert_int_equal(n, 1);
    got_t g = get(id);
    assert_int_equal(g.state, BW_DB_REQ_QUEUED);
    assert_int_equal(g.tries, 1);
    bw_assert_err(bw_db_request_give_up(f.db, id, BW_DB_REQ_QUEUED,
                                        "no answer after 1 tries", 170),
                  0);
    g = get(id);
    assert_int_equal(g.state, BW_DB_REQ_EXPIRED);
    assert_int_equal(g.tries, 1);
    bw_assert_err(bw_db_request_mark_sent(f.db, b, 110), 0);
    bw_assert_err(bw_db_request_retry(f.db, b, 120, NULL), 0);
    bw_assert_err(bw_db_request_mark_sent(f.db, b, 130), 0);
    bw_assert_err(bw_db_request_answer(f.db, b, 0x45, NULL, 0, 140), 0);
    g = get(b);
    assert_int_equal(g.state, BW_DB_REQ_ANSWERED);
    assert_int_equal(g.tries, 1);
}

/* Tried: the queue's memory of which devices have QUEUED requests
 * loaded while the only request is SENT and then forgotten by a list
 * that finds none queued; then the request retried.
 * Must hold: after the retry the device may have queued requests again
 * (the retry notes it, as requeue does), so its next wake reads it. */
static void test_retry_notes_device(void **state)
{
    (void)state;
    int64_t id = enqueue(100);
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 110), 0);
    bw_assert_err(bw_db_request_queued_load(f.db), 0);
    got_t g = {0};
    bw_assert_err(bw_db_request_list(f.db, ep, BW_DB_REQ_QUEUED, 1, grab, &g),
                  0);
    assert_int_equal(g.n, 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, ep), 0);
    bw_assert_err(bw_db_request_retry(f.db, id, 120, NULL), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, ep), 1);
}

/* Tried: a database made at schema 11 (before tries) holding a queued
 * request, opened again by this code (migrated to 12).
 * Must hold: the request reads back with 0 tries and its state, and a
 * retry counts from there. */
static void test_migration_starts_at_zero(void **state)
{
    (void)state;
    dbfx_t g;
    dbfx_init(&g);
    bw_assert_err(dbfx_open_with(&g, g.key_path, 11), 0);
    bw_assert_err(bw_db_device_add(g.db, ep, NULL, NULL, 1, NULL), 0);
    int64_t id = 0;
    bw_assert_err(bw_db_request_enqueue(g.db, ep, BW_DB_OP_READ, "/3/0", NULL,
                                        0, 100, 100000, &id),
                  0);
    dbfx_close(&g);
    dbfx_open(&g);
    got_t r = {0};
    bw_assert_err(bw_db_request_get(g.db, id, grab, &r), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.state, BW_DB_REQ_QUEUED);
    assert_int_equal(r.tries, 0);
    unsigned tries = 0;
    bw_assert_err(bw_db_request_mark_sent(g.db, id, 110), 0);
    bw_assert_err(bw_db_request_retry(g.db, id, 120, &tries), 0);
    assert_int_equal(tries, 1);
    dbfx_done(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_retry_counts_durably, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_guards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_moves_keep_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_notes_device, setup,
                                        teardown),
        cmocka_unit_test(test_migration_starts_at_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
