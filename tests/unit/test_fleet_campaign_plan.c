/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The campaign planner (server/fleet/campaign_plan.h), with no store and
 * no network: batch sizes, the failure threshold, max_concurrent, the
 * UTC window, pause/resume/abort, auto-upgrade and timeouts.  A small
 * simulator plays devices against bw_cplan_step: it applies the
 * planner's actions and lets the started devices finish as the test
 * says.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "campaign_plan.h"
#include "testutil.h"

#define MIN_MS   60000LL
#define DAY_MS   (1440 * MIN_MS)
#define MAX_DEVS 1000

/* 2024-06-10 00:00 UTC, a Monday: any whole day works. */
#define T0 1717977600000LL

typedef struct {
    bw_cplan_campaign_t c;
    bw_cplan_device_t d[MAX_DEVS];
    size_t n;
    bw_cplan_action_t act[MAX_DEVS];
    bw_cplan_out_t out;
    size_t bounds[BW_DB_CAMPAIGN_BATCHES_MAX];
} sim_t;

/* n registered pending devices in batches by the ceil rule. */
static void sim_init(sim_t *s, size_t n, const uint8_t *pcts, size_t nb)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->c.state = BW_DB_CAMP_RUNNING;
    s->c.current_batch = 1;
    s->c.n_batches = (unsigned)nb;
    s->c.max_concurrent = MAX_DEVS;
    s->c.threshold_bp = 100;
    s->c.window_start = s->c.window_end = -1;
    bw_db_campaign_batch_bounds(pcts, nb, n, s->bounds);
    unsigned b = 1;
    for (size_t i = 0; i < n; i++) {
        while (i >= s->bounds[b - 1])
            b++;
        s->d[i].state = BW_DB_CDEV_PENDING;
        s->d[i].batch = b;
        s->d[i].registered = 1;
    }
}

/* One step at now; applies the decisions to the simulated devices and
 * the campaign.  Returns the number of devices started. */
static size_t sim_step(sim_t *s, int64_t now)
{
    s->out.actions = s->act;
    s->out.cap = MAX_DEVS;
    bw_assert_err(bw_cplan_step(&s->c, s->d, s->n, now, &s->out), 0);
    size_t started = 0;
    for (size_t i = 0; i < s->out.n; i++) {
        bw_cplan_device_t *d = &s->d[s->act[i].index];
        switch (s->act[i].kind) {
        case BW_CPLAN_START:
            assert_int_equal(d->state, BW_DB_CDEV_PENDING);
            d->state = BW_DB_CDEV_DOWNLOADING;
            d->started_ms = d->updated_ms = now;
            started++;
            break;
        case BW_CPLAN_TIMEOUT:
            d->state = BW_DB_CDEV_FAILED;
            break;
        case BW_CPLAN_ABORT:
        case BW_CPLAN_CANCEL:
            d->state = BW_DB_CDEV_ABORTED;
            break;
        }
    }
    s->c.state = s->out.state;
    s->c.current_batch = s->out.current_batch;
    return started;
}

static size_t count(const sim_t *s, bw_db_cdev_state_t st)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        k += s->d[i].state == st;
    return k;
}

/* Every device downloading becomes succeeded (or failed when fail says
 * so for its index). */
static void finish_all(sim_t *s, int (*fails)(size_t i))
{
    for (size_t i = 0; i < s->n; i++)
        if (s->d[i].state == BW_DB_CDEV_DOWNLOADING)
            s->d[i].state = fails != NULL && fails(i) ? BW_DB_CDEV_FAILED
                                                      : BW_DB_CDEV_SUCCEEDED;
}

/* Tried: bounds of [10,50,100] over 20, 1000 and 7 targets, and of
 * [1,2,100] over 20.
 * Must hold: ceil(pct * n / 100) each: 2/10/20, 100/500/1000, 1/4/7,
 * and 1/1/20 (an empty second batch). */
static void test_batch_bounds(void **state)
{
    (void)state;
    static const uint8_t p[] = {10, 50, 100}, q[] = {1, 2, 100};
    size_t b[3];
    bw_db_campaign_batch_bounds(p, 3, 20, b);
    assert_int_equal(b[0], 2);
    assert_int_equal(b[1], 10);
    assert_int_equal(b[2], 20);
    bw_db_campaign_batch_bounds(p, 3, 1000, b);
    assert_int_equal(b[0], 100);
    assert_int_equal(b[1], 500);
    assert_int_equal(b[2], 1000);
    bw_db_campaign_batch_bounds(p, 3, 7, b);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[1], 4);
    assert_int_equal(b[2], 7);
    bw_db_campaign_batch_bounds(q, 3, 20, b);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[1], 1);
    assert_int_equal(b[2], 20);
}

/* Run a campaign to its end, every device succeeding at once; record
 * how many devices each step started and check batch order. */
static void run_all(size_t n, size_t want1, size_t want2, size_t want3)
{
    static sim_t s;
    static const uint8_t p[] = {10, 50, 100};
    sim_init(&s, n, p, 3);
    size_t started[8] = {0}, steps = 0;
    while (s.c.state == BW_DB_CAMP_RUNNING && steps < 8) {
        started[steps] = sim_step(&s, T0);
        /* Nobody beyond the current batch is ever in flight. */
        for (size_t i = 0; i < s.n; i++)
            if (s.d[i].state == BW_DB_CDEV_DOWNLOADING)
                assert_true(s.d[i].batch == s.c.current_batch);
        finish_all(&s, NULL);
        steps++;
    }
    assert_int_equal(s.c.state, BW_DB_CAMP_COMPLETED);
    assert_int_equal(s.c.current_batch, 3);
    assert_int_equal(started[0], want1);
    assert_int_equal(started[1], want2);
    assert_int_equal(started[2], want3);
    assert_int_equal(count(&s, BW_DB_CDEV_SUCCEEDED), n);
}

/* Tried: [10,50,100] over 20 and over 1000 devices, all succeeding,
 * max_concurrent unlimited.
 * Must hold: the steps start 2, 8, 10 and 100, 400, 500 devices (the
 * ceil rule), never a device of a later batch, and the campaign
 * completes with every device succeeded. */
static void test_batches_20_and_1000(void **state)
{
    (void)state;
    run_all(20, 2, 8, 10);
    run_all(1000, 100, 400, 500);
}

static int fail_first(size_t i)
{
    return i == 0;
}

/* Tried: 20 devices, threshold 1 %, batches [10,100]; one of the two
 * devices of batch 1 fails.
 * Must hold: halted after batch 1 with a reason naming batch 1; nobody
 * of batch 2 started, now or in a later step; 18 pending. */
static void test_threshold_halts(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {10, 100};
    sim_init(&s, 20, p, 2);
    assert_int_equal(sim_step(&s, T0), 2);
    finish_all(&s, fail_first);
    assert_int_equal(sim_step(&s, T0), 0);
    assert_int_equal(s.c.state, BW_DB_CAMP_HALTED);
    assert_int_equal(s.c.current_batch, 1);
    assert_true(s.out.changed);
    assert_non_null(strstr(s.out.reason, "batch 1"));
    assert_non_null(strstr(s.out.reason, "1 of 2"));
    assert_int_equal(sim_step(&s, T0 + MIN_MS), 0);
    assert_int_equal(count(&s, BW_DB_CDEV_PENDING), 18);
    assert_int_equal(count(&s, BW_DB_CDEV_FAILED), 1);
}

static int fail_one_of_100(size_t i)
{
    return i == 37;
}

static int fail_two_of_100(size_t i)
{
    return i == 3 || i == 64;
}

/* Tried: failures exactly at the threshold: 1000 devices, 1 %, batch 1
 * of 100 with 1 failure; 2 devices at 50 % with 1 failure; then 2
 * failures in 100 at 1 %.
 * Must hold: at the threshold the campaign goes on to batch 2 (and
 * starts it); above it, it halts. */
static void test_threshold_boundary(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {10, 50, 100}, q[] = {50, 100};
    sim_init(&s, 1000, p, 3);
    assert_int_equal(sim_step(&s, T0), 100);
    finish_all(&s, fail_one_of_100);
    assert_int_equal(sim_step(&s, T0), 400);
    assert_int_equal(s.c.state, BW_DB_CAMP_RUNNING);
    assert_int_equal(s.c.current_batch, 2);

    sim_init(&s, 4, q, 2);
    s.c.threshold_bp = 5000;
    assert_int_equal(sim_step(&s, T0), 2);
    finish_all(&s, fail_first);
    assert_int_equal(sim_step(&s, T0), 2);
    assert_int_equal(s.c.current_batch, 2);

    sim_init(&s, 1000, p, 3);
    assert_int_equal(sim_step(&s, T0), 100);
    finish_all(&s, fail_two_of_100);
    assert_int_equal(sim_step(&s, T0), 0);
    assert_int_equal(s.c.state, BW_DB_CAMP_HALTED);
}

/* Tried: a batch of two where one device is skipped (already at the
 * version) and the other fails, threshold 60 %.
 * Must hold: skipped devices are left out of the rate: 1 of 1 failed
 * halts (counting the skipped one would give 50 % and go on). */
static void test_threshold_ignores_skipped(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {50, 100};
    sim_init(&s, 4, p, 2);
    s.c.threshold_bp = 6000;
    s.d[0].state = BW_DB_CDEV_SKIPPED;
    assert_int_equal(sim_step(&s, T0), 1);
    assert_int_equal(s.d[1].state, BW_DB_CDEV_DOWNLOADING);
    s.d[1].state = BW_DB_CDEV_FAILED;
    sim_step(&s, T0);
    assert_int_equal(s.c.state, BW_DB_CAMP_HALTED);
    assert_non_null(strstr(s.out.reason, "1 of 1"));
}

/* Tried: 20 devices in one batch, max_concurrent 5; some in flight,
 * some not registered.
 * Must hold: at most 5 in flight at any time; devices start in the
 * campaign's order, skipping unregistered ones, which start once they
 * are registered; 3 in flight leave room for 2. */
static void test_max_concurrent(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {100};
    sim_init(&s, 20, p, 1);
    s.c.max_concurrent = 5;
    s.d[1].registered = 0;
    s.d[3].registered = 0;
    assert_int_equal(sim_step(&s, T0), 5);
    static const size_t want[] = {0, 2, 4, 5, 6};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(s.d[want[i]].state, BW_DB_CDEV_DOWNLOADING);
    assert_int_equal(sim_step(&s, T0), 0); /* full */
    s.d[0].state = BW_DB_CDEV_SUCCEEDED;
    s.d[2].state = BW_DB_CDEV_UPDATING;
    s.d[4].state = BW_DB_CDEV_FAILED;
    s.d[1].registered = 1;
    /* In flight: 2 (updating), 5, 6: room for two, 1 comes first. */
    assert_int_equal(sim_step(&s, T0), 2);
    assert_int_equal(s.d[1].state, BW_DB_CDEV_DOWNLOADING);
    assert_int_equal(s.d[7].state, BW_DB_CDEV_DOWNLOADING);
    assert_int_equal(s.d[3].state, BW_DB_CDEV_PENDING);
}

/* Tried: bw_cplan_in_window for 09:00-17:00 and 22:00-02:00 (wrapping)
 * at their edges; a campaign with the wrapping window stepped at 12:00,
 * 23:30 and 01:59 UTC.
 * Must hold: start inclusive, end exclusive; the wrapping window holds
 * late evening and early morning only; nobody starts at 12:00. */
static void test_window(void **state)
{
    (void)state;
    assert_true(bw_cplan_in_window(-1, -1, 0));
    assert_false(bw_cplan_in_window(540, 1020, 539));
    assert_true(bw_cplan_in_window(540, 1020, 540));
    assert_true(bw_cplan_in_window(540, 1020, 1019));
    assert_false(bw_cplan_in_window(540, 1020, 1020));
    assert_true(bw_cplan_in_window(1320, 120, 1320));
    assert_true(bw_cplan_in_window(1320, 120, 1439));
    assert_true(bw_cplan_in_window(1320, 120, 0));
    assert_true(bw_cplan_in_window(1320, 120, 119));
    assert_false(bw_cplan_in_window(1320, 120, 120));
    assert_false(bw_cplan_in_window(1320, 120, 720));
    assert_false(bw_cplan_in_window(1320, 120, 1319));

    static sim_t s;
    static const uint8_t p[] = {100};
    sim_init(&s, 3, p, 1);
    s.c.window_start = 22 * 60;
    s.c.window_end = 2 * 60;
    s.c.max_concurrent = 1;
    assert_int_equal(sim_step(&s, T0 + 12 * 60 * MIN_MS), 0);
    assert_int_equal(sim_step(&s, T0 + (23 * 60 + 30) * MIN_MS), 1);
    finish_all(&s, NULL);
    assert_int_equal(sim_step(&s, T0 + DAY_MS + 119 * MIN_MS), 1);
    finish_all(&s, NULL);
    assert_int_equal(sim_step(&s, T0 + DAY_MS + 120 * MIN_MS), 0);
}

/* Tried: pause with devices pending and one finished batch; then resume.
 * Must hold: paused: nobody starts and the batch does not move (but a
 * timeout still fires); resumed: the next batch starts. */
static void test_pause_resume(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {50, 100};
    sim_init(&s, 4, p, 2);
    assert_int_equal(sim_step(&s, T0), 2);
    s.d[0].state = BW_DB_CDEV_SUCCEEDED;
    s.c.state = BW_DB_CAMP_PAUSED;
    assert_int_equal(sim_step(&s, T0 + 11 * MIN_MS), 0);
    assert_int_equal(s.out.n, 1);
    assert_int_equal(s.act[0].kind, BW_CPLAN_TIMEOUT);
    assert_int_equal(s.d[1].state, BW_DB_CDEV_FAILED);
    assert_int_equal(s.c.state, BW_DB_CAMP_PAUSED);
    assert_int_equal(s.c.current_batch, 1);
    assert_false(s.out.changed);
    s.c.state = BW_DB_CAMP_RUNNING;
    s.c.threshold_bp = 5000; /* 1 of 2 is at the threshold: go on */
    assert_int_equal(sim_step(&s, T0 + 12 * MIN_MS), 2);
    assert_int_equal(s.c.current_batch, 2);
}

/* Tried: abort with devices pending, downloading, downloaded and
 * updating.
 * Must hold: pending -> ABORT, downloading and downloaded -> CANCEL,
 * updating left to finish; nothing starts; the campaign stays aborted
 * and is not "changed". */
static void test_abort(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {100};
    sim_init(&s, 5, p, 1);
    s.c.state = BW_DB_CAMP_ABORTED;
    s.d[1].state = BW_DB_CDEV_DOWNLOADING;
    s.d[2].state = BW_DB_CDEV_DOWNLOADED;
    s.d[3].state = BW_DB_CDEV_UPDATING;
    s.d[1].started_ms = s.d[2].started_ms = s.d[3].updated_ms = T0;
    assert_int_equal(sim_step(&s, T0), 0);
    assert_int_equal(s.out.n, 4);
    int kinds[5] = {0};
    for (size_t i = 0; i < s.out.n; i++)
        kinds[s.act[i].index] = (int)s.act[i].kind;
    assert_int_equal(kinds[0], BW_CPLAN_ABORT);
    assert_int_equal(kinds[1], BW_CPLAN_CANCEL);
    assert_int_equal(kinds[2], BW_CPLAN_CANCEL);
    assert_int_equal(kinds[3], 0);
    assert_int_equal(kinds[4], BW_CPLAN_ABORT);
    assert_int_equal(s.c.state, BW_DB_CAMP_ABORTED);
    assert_false(s.out.changed);
    assert_int_equal(s.d[3].state, BW_DB_CDEV_UPDATING);
}

/* Tried: a completed campaign with an enrolled (pending, last batch)
 * device, with and without auto_upgrade, registered and not.
 * Must hold: only with auto_upgrade and registered does it start; the
 * campaign stays completed. */
static void test_auto_upgrade(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {50, 100};
    sim_init(&s, 4, p, 2);
    for (size_t i = 0; i < 3; i++)
        s.d[i].state = BW_DB_CDEV_SUCCEEDED;
    s.c.state = BW_DB_CAMP_COMPLETED;
    s.c.current_batch = 2;
    assert_int_equal(sim_step(&s, T0), 0);
    s.c.auto_upgrade = 1;
    s.d[3].registered = 0;
    assert_int_equal(sim_step(&s, T0), 0);
    s.d[3].registered = 1;
    assert_int_equal(sim_step(&s, T0), 1);
    assert_int_equal(s.d[3].state, BW_DB_CDEV_DOWNLOADING);
    assert_int_equal(s.c.state, BW_DB_CAMP_COMPLETED);
    assert_false(s.out.changed);
}

/* Tried: a device downloading since T0 stepped at 10 min - 1 ms and at
 * 10 min; a device updating since T0 at 5 min - 1 ms and 5 min; a
 * downloaded one (its clock is the download's start).
 * Must hold: TIMEOUT exactly at the limits, not before; the timed-out
 * devices count as failed in the same step, which halts the batch. */
static void test_timeouts(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {100};
    sim_init(&s, 3, p, 1);
    s.d[0].state = BW_DB_CDEV_DOWNLOADING;
    s.d[0].started_ms = T0;
    s.d[1].state = BW_DB_CDEV_UPDATING;
    s.d[1].started_ms = T0 - 3 * MIN_MS;
    s.d[1].updated_ms = T0;
    s.d[2].state = BW_DB_CDEV_DOWNLOADED;
    s.d[2].started_ms = T0;
    s.d[2].updated_ms = T0 + 9 * MIN_MS;
    sim_step(&s, T0 + BW_CPLAN_UPDATE_TIMEOUT_MS - 1);
    assert_int_equal(s.out.n, 0);
    sim_step(&s, T0 + BW_CPLAN_UPDATE_TIMEOUT_MS);
    assert_int_equal(s.out.n, 1);
    assert_int_equal(s.act[0].index, 1);
    assert_int_equal(s.act[0].kind, BW_CPLAN_TIMEOUT);
    sim_step(&s, T0 + BW_CPLAN_DOWNLOAD_TIMEOUT_MS - 1);
    assert_int_equal(s.out.n, 0);
    assert_int_equal(s.c.state, BW_DB_CAMP_RUNNING);
    sim_step(&s, T0 + BW_CPLAN_DOWNLOAD_TIMEOUT_MS);
    assert_int_equal(s.out.n, 2);
    assert_int_equal(count(&s, BW_DB_CDEV_FAILED), 3);
    assert_int_equal(s.c.state, BW_DB_CAMP_HALTED);
}

/* Tried: [1,2,100] over 20: batch 2 is empty.
 * Must hold: when batch 1 finishes the campaign moves past the empty
 * batch 2 to batch 3 in the same step and starts it. */
static void test_empty_batch(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {1, 2, 100};
    sim_init(&s, 20, p, 3);
    assert_int_equal(sim_step(&s, T0), 1);
    finish_all(&s, NULL);
    assert_int_equal(sim_step(&s, T0), 19);
    assert_int_equal(s.c.current_batch, 3);
}

/* Tried: bad inputs: no batches, current batch 0 and past the end, a
 * device in batch 0 or past the end, an unknown state, too little room
 * for actions, NULL pointers.
 * Must hold: BW_EINVAL (BW_ENOSPC for the room) and an empty output. */
static void test_bad_input(void **state)
{
    (void)state;
    static sim_t s;
    static const uint8_t p[] = {100};
    sim_init(&s, 3, p, 1);
    s.out.actions = s.act;
    s.out.cap = 3;
    bw_cplan_campaign_t c = s.c;
    c.n_batches = 0;
    bw_assert_err(bw_cplan_step(&c, s.d, 3, T0, &s.out), BW_EINVAL);
    c = s.c;
    c.current_batch = 0;
    bw_assert_err(bw_cplan_step(&c, s.d, 3, T0, &s.out), BW_EINVAL);
    c.current_batch = 2;
    bw_assert_err(bw_cplan_step(&c, s.d, 3, T0, &s.out), BW_EINVAL);
    s.d[1].batch = 2;
    bw_assert_err(bw_cplan_step(&s.c, s.d, 3, T0, &s.out), BW_EINVAL);
    s.d[1].batch = 0;
    bw_assert_err(bw_cplan_step(&s.c, s.d, 3, T0, &s.out), BW_EINVAL);
    s.d[1].batch = 1;
    s.d[2].state = BW_DB_CDEV_COUNT_;
    bw_assert_err(bw_cplan_step(&s.c, s.d, 3, T0, &s.out), BW_EINVAL);
    s.d[2].state = BW_DB_CDEV_PENDING;
    s.out.cap = 2;
    bw_assert_err(bw_cplan_step(&s.c, s.d, 3, T0, &s.out), BW_ENOSPC);
    assert_int_equal(s.out.n, 0);
    bw_assert_err(bw_cplan_step(NULL, s.d, 3, T0, &s.out), BW_EINVAL);
    bw_assert_err(bw_cplan_step(&s.c, NULL, 3, T0, &s.out), BW_EINVAL);
    s.out.cap = 3;
    bw_assert_err(bw_cplan_step(&s.c, s.d, 3, T0, &s.out), 0);
    assert_int_equal(s.out.n, 3);
}

/* Tried: the Update Result meanings.
 * Must hold: 5 is the integrity failure, 8 the failed update, out of
 * range is "unknown result". */
static void test_result_text(void **state)
{
    (void)state;
    assert_non_null(strstr(bw_cplan_result_text(5), "integrity"));
    assert_non_null(strstr(bw_cplan_result_text(8), "update failed"));
    assert_string_equal(bw_cplan_result_text(10), "unknown result");
    assert_string_equal(bw_cplan_result_text(-1), "unknown result");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_bounds),
        cmocka_unit_test(test_batches_20_and_1000),
        cmocka_unit_test(test_threshold_halts),
        cmocka_unit_test(test_threshold_boundary),
        cmocka_unit_test(test_threshold_ignores_skipped),
        cmocka_unit_test(test_max_concurrent),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_pause_resume),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_auto_upgrade),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_empty_batch),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_result_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
