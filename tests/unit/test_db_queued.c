/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which devices may have QUEUED requests (db_request.h,
 * bw_db_request_may_have_queued and bw_db_request_queued_load), on a real
 * database file: unknown before the load; after it, a device with none
 * is answered 0 from memory and one with a request 1; every way a request
 * becomes QUEUED (enqueue, a requeue of a SENT one, a restart's requeue)
 * makes its device 1 again; a device leaves only when a read of its
 * QUEUED requests finds none; and after a reopen (a restart) the load
 * finds every device that still has requests waiting.
 */
#define _GNU_SOURCE
#include "db_request.h"
#include "test_db_fixture.h"

static dbfx_t f;

static int setup(void **state)
{
    (void)state;
    dbfx_init(&f);
    dbfx_open(&f);
    if (bw_db_device_add(f.db, "dev-q1", NULL, NULL, 1, NULL) != 0 ||
        bw_db_device_add(f.db, "dev-q2", NULL, NULL, 1, NULL) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dbfx_done(&f);
    return 0;
}

static int count_rows(void *arg, const bw_db_request_t *r)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

/* The rows bw_db_request_list finds QUEUED for ep (at most 8). */
static int queued_of(const char *ep)
{
    int n = 0;
    bw_assert_err(
        bw_db_request_list(f.db, ep, BW_DB_REQ_QUEUED, 8, count_rows, &n), 0);
    return n;
}

static int64_t enqueue(const char *ep)
{
    int64_t id = 0;
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3/0/0", NULL,
                                        0, 1000, 1000 + 3600000, &id),
                  0);
    return id;
}

/* Before any load every device may have some (nothing is known); after
 * the load of an empty table none has. */
static void test_unknown_until_loaded(void **state)
{
    (void)state;
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 1);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "no-such-dev"), 1);
    bw_assert_err(bw_db_request_queued_load(f.db), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "no-such-dev"), 0);
    /* NULL arguments: "ask the store", which then says what is wrong. */
    assert_int_equal(bw_db_request_may_have_queued(NULL, "dev-q1"), 1);
    assert_int_equal(bw_db_request_may_have_queued(f.db, NULL), 1);
    bw_assert_err(bw_db_request_queued_load(NULL), BW_EINVAL);
}

/* A request's whole life: queued (1), sent, answered; the read that
 * finds no QUEUED one left makes the device 0; the other device is
 * untouched throughout. */
static void test_life_of_a_request(void **state)
{
    (void)state;
    bw_assert_err(bw_db_request_queued_load(f.db), 0);
    int64_t id = enqueue("dev-q1");
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 1);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q2"), 0);
    assert_int_equal(queued_of("dev-q1"), 1);
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 2000), 0);
    /* Sent, not yet answered: still 1 until a read finds none queued. */
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 1);
    bw_assert_err(bw_db_request_answer(f.db, id, 69, NULL, 0, 3000), 0);
    assert_int_equal(queued_of("dev-q1"), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 0);
}

/* A SENT request that got no answer goes back to QUEUED: its device must
 * count again, even after a read had found none queued. */
static void test_requeue_counts_again(void **state)
{
    (void)state;
    bw_assert_err(bw_db_request_queued_load(f.db), 0);
    int64_t id = enqueue("dev-q2");
    bw_assert_err(bw_db_request_mark_sent(f.db, id, 2000), 0);
    assert_int_equal(queued_of("dev-q2"), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q2"), 0);
    bw_assert_err(bw_db_request_requeue(f.db, id, 3000), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q2"), 1);
    assert_int_equal(queued_of("dev-q2"), 1);
}

/* A restart: one device has a QUEUED request, the other a SENT one, the
 * database is closed and opened again, SENT ones are requeued and the
 * load runs: both devices count; one with nothing does not. */
static void test_restart(void **state)
{
    (void)state;
    bw_assert_err(bw_db_device_add(f.db, "dev-q3", NULL, NULL, 1, NULL), 0);
    enqueue("dev-q1");
    bw_assert_err(bw_db_request_mark_sent(f.db, enqueue("dev-q2"), 2000), 0);
    dbfx_close(&f);
    dbfx_open(&f);
    uint64_t n = 0;
    bw_assert_err(bw_db_request_requeue_sent(f.db, 4000, &n), 0);
    assert_int_equal(n, 1);
    bw_assert_err(bw_db_request_queued_load(f.db), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 1);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q2"), 1);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q3"), 0);
    assert_int_equal(queued_of("dev-q2"), 1);
}

/* Loaded first, then a restart's requeue (the order a second engine on
 * the same handle would use): the requeued device counts too. */
static void test_requeue_sent_after_load(void **state)
{
    (void)state;
    bw_assert_err(bw_db_request_queued_load(f.db), 0);
    bw_assert_err(bw_db_request_mark_sent(f.db, enqueue("dev-q1"), 2000), 0);
    assert_int_equal(queued_of("dev-q1"), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 0);
    bw_assert_err(bw_db_request_requeue_sent(f.db, 3000, NULL), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 1);
}

/* A request cancelled or expired leaves its device counted until the
 * next read (1 is "may"); the read then clears it. */
static void test_gone_cleared_by_read(void **state)
{
    (void)state;
    bw_assert_err(bw_db_request_queued_load(f.db), 0);
    int64_t id = enqueue("dev-q1");
    bw_assert_err(bw_db_request_give_up(f.db, id, BW_DB_REQ_QUEUED,
                                        "cancelled by test", 2000),
                  0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 1);
    assert_int_equal(queued_of("dev-q1"), 0);
    assert_int_equal(bw_db_request_may_have_queued(f.db, "dev-q1"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unknown_until_loaded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_life_of_a_request, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_requeue_counts_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requeue_sent_after_load, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gone_cleared_by_read, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
