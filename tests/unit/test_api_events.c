/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live event bus (server/api/api_events.h): ids, the ring and its
 * wrap-around, resuming from an id, the count of lost events, filters
 * and their parser, publishing limits, waiting, and many publishers
 * against one reader.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_events.h"
#include "testutil.h"

/* Publish n events "t.<i>" about "ep-<i % 3>", data {"i": i}. */
static void publish_n(bw_events_t *b, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        char type[16], ep[16];
        snprintf(type, sizeof type, "t.%d", i);
        snprintf(ep, sizeof ep, "ep-%d", i % 3);
        assert_int_equal(
            bw_events_publish(b, type, ep, json_pack("{s:i}", "i", i)), 0);
    }
}

/* Tried: a bus whose first id is 100; three events published, then read
 * from the start.
 * Must hold: ids 100, 101, 102 in order, with their type, endpoint and
 * data as compact JSON, a publication time close to now; the cursor
 * ends at 103 and a further read is BW_EAGAIN with no gap; the last id
 * is 102. */
static void test_publish_and_read(void **state)
{
    (void)state;
    bw_events_t *b;
    assert_int_equal(bw_events_new(8, 100, &b), 0);
    assert_int_equal(bw_events_last_id(b), 99);
    uint64_t cur = bw_events_cursor_now(b);
    assert_int_equal(cur, 100);
    publish_n(b, 0, 3);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    bw_event_t e;
    bw_events_gap_t gap;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(bw_events_next(b, &cur, NULL, &e, &gap), 0);
        char want[32];
        assert_int_equal(e.id, 100 + (uint64_t)i);
        snprintf(want, sizeof want, "t.%d", i);
        assert_string_equal(e.type, want);
        snprintf(want, sizeof want, "ep-%d", i % 3);
        assert_string_equal(e.ep, want);
        snprintf(want, sizeof want, "{\"i\":%d}", i);
        assert_string_equal(e.data, want);
        assert_true(e.time_ms <= now && e.time_ms > now - 5000);
        assert_int_equal(gap.lost, 0);
        assert_int_equal(gap.restarted, 0);
    }
    assert_int_equal(cur, 103);
    bw_assert_err(bw_events_next(b, &cur, NULL, &e, &gap), BW_EAGAIN);
    assert_int_equal(cur, 103);
    assert_int_equal(gap.lost, 0);
    assert_int_equal(bw_events_last_id(b), 102);
    /* No data and no endpoint: {} and "". */
    assert_int_equal(bw_events_publish(b, "x", NULL, NULL), 0);
    assert_int_equal(bw_events_next(b, &cur, NULL, &e, &gap), 0);
    assert_string_equal(e.data, "{}");
    assert_string_equal(e.ep, "");
    bw_events_free(b);
}

/* Tried: a ring of 4 with 10 events published (ids 1..10), read by a
 * cursor at 1, and another at 7.
 * Must hold: the first reader is told exactly 6 events were lost, then
 * gets 7, 8, 9, 10 in order and BW_EAGAIN; the second gets 7..10 with
 * no gap.  The ring keeps writing over itself: 3 more events (11..13)
 * are read after 10 without a gap. */
static void test_wrap_around_counts_lost(void **state)
{
    (void)state;
    bw_events_t *b;
    assert_int_equal(bw_events_new(4, 1, &b), 0);
    publish_n(b, 0, 10);
    uint64_t cur = 1, cur2 = 7;
    bw_event_t e;
    bw_events_gap_t gap;
    assert_int_equal(bw_events_next(b, &cur, NULL, &e, &gap), 0);
    assert_int_equal(gap.lost, 6);
    assert_int_equal(gap.restarted, 0);
    assert_int_equal(e.id, 7);
    assert_string_equal(e.type, "t.6");
    for (uint64_t id = 8; id <= 10; id++) {
        assert_int_equal(bw_events_next(b, &cur, NULL, &e, &gap), 0);
        assert_int_equal(gap.lost, 0);
        assert_int_equal(e.id, id);
    }
    bw_assert_err(bw_events_next(b, &cur, NULL, &e, &gap), BW_EAGAIN);
    for (uint64_t id = 7; id <= 10; id++) {
        assert_int_equal(bw_events_next(b, &cur2, NULL, &e, &gap), 0);
        assert_int_equal(gap.lost, 0);
        assert_int_equal(e.id, id);
    }
    publish_n(b, 10, 3);
    for (uint64_t id = 11; id <= 13; id++) {
        assert_int_equal(bw_events_next(b, &cur, NULL, &e, &gap), 0);
        assert_int_equal(gap.lost, 0);
        assert_int_equal(e.id, id);
        char want[16];
        snprintf(want, sizeof want, "t.%d", (int)id - 1);
        assert_string_equal(e.type, want);
    }
    bw_events_free(b);
}

/* Tried: resuming as a client does (Last-Event-ID) on a ring of 4 with
 * ids 1..10: after 8 (kept), after 5 (6 is gone), after 10 (the newest),
 * after 99 (never published), and a bus of a later run (first id 1000)
 * asked for what follows 10.
 * Must hold: after 8 gives 9, 10 and no gap; after 5 reports exactly 1
 * lost (id 6) then 7; after 10 gives nothing until 11 is published and
 * then 11; after 99 replays nothing and gets 12 when it comes (a cursor
 * from nowhere starts at the newest); the later run's reader is told
 * restarted with no event of this run lost, then gets 1000. */
static void test_resume_by_id(void **state)
{
    (void)state;
    bw_events_t *b;
    assert_int_equal(bw_events_new(4, 1, &b), 0);
    publish_n(b, 0, 10);
    bw_event_t e;
    bw_events_gap_t gap;
    uint64_t c = bw_events_cursor_after(b, 8);
    assert_int_equal(bw_events_next(b, &c, NULL, &e, &gap), 0);
    assert_int_equal(e.id, 9);
    assert_int_equal(gap.lost, 0);
    assert_int_equal(bw_events_next(b, &c, NULL, &e, &gap), 0);
    assert_int_equal(e.id, 10);
    c = bw_events_cursor_after(b, 5);
    assert_int_equal(bw_events_next(b, &c, NULL, &e, &gap), 0);
    assert_int_equal(gap.lost, 1);
    assert_int_equal(e.id, 7);
    c = bw_events_cursor_after(b, 10);
    bw_assert_err(bw_events_next(b, &c, NULL, &e, &gap), BW_EAGAIN);
    uint64_t far = bw_events_cursor_after(b, 99);
    publish_n(b, 10, 1);
    assert_int_equal(bw_events_next(b, &c, NULL, &e, &gap), 0);
    assert_int_equal(e.id, 11);
    assert_int_equal(bw_events_next(b, &far, NULL, &e, &gap), 0);
    assert_int_equal(e.id, 11);
    assert_int_equal(gap.lost, 0);
    bw_events_free(b);

    assert_int_equal(bw_events_new(4, 1000, &b), 0);
    publish_n(b, 0, 2);
    c = bw_events_cursor_after(b, 10);
    assert_int_equal(bw_events_next(b, &c, NULL, &e, &gap), 0);
    assert_int_equal(gap.restarted, 1);
    assert_int_equal(gap.lost, 0);
    assert_int_equal(e.id, 1000);
    /* The later run's ring wrapped too: 6 of its own events counted. */
    publish_n(b, 2, 8);
    c = bw_events_cursor_after(b, 10);
    assert_int_equal(bw_events_next(b, &c, NULL, &e, &gap), 0);
    assert_int_equal(gap.restarted, 1);
    assert_int_equal(gap.lost, 6);
    assert_int_equal(e.id, 1006);
    bw_events_free(b);
}

/* Tried: filters on events "t.<i>" about ep-0/1/2 and on named types.
 * Must hold: an endpoint filter returns only that device's events and
 * moves the cursor past the others (ids 1, 4, 7 for ep-1 out of 1..9);
 * "device.*" matches device.registered and device.x but not "device",
 * "devices.registered" or "campaign.device"; a list matches any of its
 * patterns; "*" matches everything; a filter that matches nothing leaves
 * the cursor past every event. */
static void test_filters(void **state)
{
    (void)state;
    bw_events_t *b;
    assert_int_equal(bw_events_new(16, 0, &b), 0);
    uint64_t first = bw_events_cursor_now(b);
    publish_n(b, 0, 9);
    bw_events_filter_t f;
    assert_int_equal(bw_events_filter_parse(NULL, "ep-1", &f), 0);
    uint64_t c = first;
    bw_event_t e;
    bw_events_gap_t gap;
    for (int i = 1; i < 9; i += 3) {
        assert_int_equal(bw_events_next(b, &c, &f, &e, &gap), 0);
        assert_int_equal(e.id, first + (uint64_t)i);
        assert_string_equal(e.ep, "ep-1");
    }
    bw_assert_err(bw_events_next(b, &c, &f, &e, &gap), BW_EAGAIN);
    assert_int_equal(c, first + 9);

    assert_int_equal(bw_events_filter_parse("device.*", NULL, &f), 0);
    assert_true(bw_events_filter_match(&f, "device.registered", "a"));
    assert_true(bw_events_filter_match(&f, "device.x", ""));
    assert_false(bw_events_filter_match(&f, "device", "a"));
    assert_false(bw_events_filter_match(&f, "device.", "a"));
    assert_false(bw_events_filter_match(&f, "devices.registered", "a"));
    assert_false(bw_events_filter_match(&f, "campaign.device", "a"));
    assert_int_equal(
        bw_events_filter_parse("campaign.*,telemetry", "dev-1", &f), 0);
    assert_int_equal(f.ntypes, 2);
    assert_true(bw_events_filter_match(&f, "telemetry", "dev-1"));
    assert_true(bw_events_filter_match(&f, "campaign.device", "dev-1"));
    assert_false(bw_events_filter_match(&f, "telemetry", "dev-2"));
    assert_false(bw_events_filter_match(&f, "telemetry", ""));
    assert_false(bw_events_filter_match(&f, "telemetry.x", "dev-1"));
    assert_false(bw_events_filter_match(&f, "device.registered", "dev-1"));
    assert_int_equal(bw_events_filter_parse("*", "", &f), 0);
    assert_true(bw_events_filter_match(&f, "anything", "x"));
    assert_true(bw_events_filter_match(NULL, "anything", "x"));

    assert_int_equal(bw_events_filter_parse("nothing.here", NULL, &f), 0);
    c = first;
    bw_assert_err(bw_events_next(b, &c, &f, &e, &gap), BW_EAGAIN);
    assert_int_equal(c, first + 9);
    bw_events_free(b);
}

/* Tried: malformed and oversized filters.
 * Must hold: each gets its exact code and leaves the filter zeroed
 * (matching everything would be the wrong failure). */
static void test_filter_parse_errors(void **state)
{
    (void)state;
    bw_events_filter_t f;
    static const char *const malformed[] = {
        "Device.registered",
        "device*",
        "*.device",
        "dev ice",
        ",a",
        "a,",
        "a,,b",
        ".*",
        "de*vice",
        "device.**",
        "device/x",
        "",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        if (malformed[i][0] == '\0')
            continue; /* "" is "all", tested below */
        memset(&f, 0x55, sizeof f);
        bw_assert_err(bw_events_filter_parse(malformed[i], NULL, &f),
                      BW_EMALFORMED);
        assert_int_equal(f.ntypes, 0);
        assert_int_equal(f.ep[0], '\0');
    }
    assert_int_equal(bw_events_filter_parse("", "", &f), 0);
    assert_int_equal(f.ntypes, 0);
    bw_assert_err(bw_events_filter_parse(NULL, "dev 1", &f), BW_EMALFORMED);
    bw_assert_err(bw_events_filter_parse(NULL, "dev\n1", &f), BW_EMALFORMED);
    char longep[BW_DB_ENDPOINT_MAX + 2];
    memset(longep, 'a', sizeof longep - 1);
    longep[sizeof longep - 1] = '\0';
    bw_assert_err(bw_events_filter_parse(NULL, longep, &f), BW_EOVERFLOW);
    longep[BW_DB_ENDPOINT_MAX] = '\0'; /* exactly the limit: fine */
    assert_int_equal(bw_events_filter_parse(NULL, longep, &f), 0);
    char longtype[BW_EVENTS_TYPE_MAX + 2];
    memset(longtype, 'a', sizeof longtype - 1);
    longtype[sizeof longtype - 1] = '\0';
    bw_assert_err(bw_events_filter_parse(longtype, NULL, &f), BW_EOVERFLOW);
    longtype[BW_EVENTS_TYPE_MAX] = '\0';
    assert_int_equal(bw_events_filter_parse(longtype, NULL, &f), 0);
    /* BW_EVENTS_FILTER_TYPES patterns fit; one more does not. */
    char list[256] = "a";
    for (int i = 1; i < BW_EVENTS_FILTER_TYPES; i++)
        strcat(list, ",a");
    assert_int_equal(bw_events_filter_parse(list, NULL, &f), 0);
    assert_int_equal(f.ntypes, BW_EVENTS_FILTER_TYPES);
    strcat(list, ",b");
    bw_assert_err(bw_events_filter_parse(list, NULL, &f), BW_EOVERFLOW);
    bw_assert_err(bw_events_filter_parse("a", NULL, NULL), BW_EINVAL);
}

/* Tried: publishing with a bad type, a long endpoint, data that is not
 * an object, data too large, and on a NULL bus; bad arguments to new
 * and next.
 * Must hold: BW_EINVAL publishes nothing (the last id stays); oversized
 * data is published as {"truncated":true} and reported BW_EOVERFLOW;
 * a NULL bus is a quiet no-op; new refuses capacities 0 and above the
 * maximum. */
static void test_publish_limits(void **state)
{
    (void)state;
    bw_events_t *b;
    bw_assert_err(bw_events_new(0, 1, &b), BW_EINVAL);
    assert_null(b);
    bw_assert_err(bw_events_new(BW_EVENTS_RING_MAX + 1, 1, &b), BW_EINVAL);
    bw_assert_err(bw_events_new(4, 1, NULL), BW_EINVAL);
    assert_int_equal(bw_events_new(4, 1, &b), 0);
    bw_assert_err(bw_events_publish(b, "Bad", NULL, NULL), BW_EINVAL);
    bw_assert_err(bw_events_publish(b, "", NULL, NULL), BW_EINVAL);
    bw_assert_err(bw_events_publish(b, NULL, NULL, NULL), BW_EINVAL);
    bw_assert_err(bw_events_publish(b, "a\"b", NULL, NULL), BW_EINVAL);
    char longtype[BW_EVENTS_TYPE_MAX + 2];
    memset(longtype, 'a', sizeof longtype - 1);
    longtype[sizeof longtype - 1] = '\0';
    bw_assert_err(bw_events_publish(b, longtype, NULL, NULL), BW_EINVAL);
    char longep[BW_DB_ENDPOINT_MAX + 2];
    memset(longep, 'e', sizeof longep - 1);
    longep[sizeof longep - 1] = '\0';
    bw_assert_err(bw_events_publish(b, "x", longep, NULL), BW_EINVAL);
    bw_assert_err(bw_events_publish(b, "x", NULL, json_array()), BW_EINVAL);
    assert_int_equal(bw_events_last_id(b), 0);

    char big[BW_EVENTS_DATA_MAX + 1];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bw_assert_err(bw_events_publish(b, "x", "ep", json_pack("{s:s}", "v", big)),
                  BW_EOVERFLOW);
    /* Exactly at the limit: {"v":"..."} is 8 bytes around the value. */
    big[BW_EVENTS_DATA_MAX - 8] = '\0';
    assert_int_equal(
        bw_events_publish(b, "y", "ep", json_pack("{s:s}", "v", big)), 0);
    uint64_t c = 1;
    bw_event_t e;
    bw_events_gap_t gap;
    assert_int_equal(bw_events_next(b, &c, NULL, &e, &gap), 0);
    assert_string_equal(e.type, "x");
    assert_string_equal(e.data, "{\"truncated\":true}");
    assert_int_equal(bw_events_next(b, &c, NULL, &e, &gap), 0);
    assert_string_equal(e.type, "y");
    assert_int_equal(strlen(e.data), BW_EVENTS_DATA_MAX);
    bw_assert_err(bw_events_next(b, NULL, NULL, &e, &gap), BW_EINVAL);
    bw_assert_err(bw_events_next(b, &c, NULL, NULL, &gap), BW_EINVAL);
    bw_assert_err(bw_events_next(NULL, &c, NULL, &e, &gap), BW_EINVAL);
    bw_events_free(b);
    assert_int_equal(
        bw_events_publish(NULL, "x", "ep", json_pack("{s:i}", "a", 1)), 0);
    bw_events_free(NULL);
}

typedef struct {
    bw_events_t *b;
    int n;
    int base;
} pub_t;

static void *publisher(void *arg)
{
    pub_t *p = arg;
    for (int i = 0; i < p->n; i++) {
        char type[16];
        snprintf(type, sizeof type, "p.%d", p->base);
        bw_events_publish(p->b, type, NULL, json_pack("{s:i}", "i", i));
    }
    return NULL;
}

static void *waker(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    bw_events_wake(arg);
    return NULL;
}

/* Tried: bw_events_wait with nothing published (50 ms), after an event
 * newer than last_id, and woken by bw_events_wake from another thread;
 * then 4 publishers of 20,000 events each into a ring of 64 while one
 * reader reads as fast as it can.
 * Must hold: the quiet wait times out after at least 50 ms; the others
 * return 0.  The reader sees strictly increasing ids, each publisher's
 * events in its own order, and events read plus events reported lost is
 * exactly 80,000: nothing twice, nothing skipped uncounted. */
static void test_wait_and_concurrency(void **state)
{
    (void)state;
    bw_events_t *b;
    assert_int_equal(bw_events_new(64, 1, &b), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bw_assert_err(bw_events_wait(b, 0, 50), BW_ETIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms =
        (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 49);
    publish_n(b, 0, 1);
    assert_int_equal(bw_events_wait(b, 0, 5000), 0);
    pthread_t w;
    assert_int_equal(pthread_create(&w, NULL, waker, b), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(bw_events_wait(b, 1, 5000), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(w, NULL);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms < 4000); /* woken, not timed out */
    bw_events_free(b);

    enum { PUBS = 4, EACH = 20000 };
    assert_int_equal(bw_events_new(64, 1, &b), 0);
    pthread_t th[PUBS];
    pub_t p[PUBS];
    for (int i = 0; i < PUBS; i++) {
        p[i] = (pub_t){b, EACH, i};
        assert_int_equal(pthread_create(&th[i], NULL, publisher, &p[i]), 0);
    }
    uint64_t c = 1, last = 0, read = 0, lost = 0;
    int next_i[PUBS] = {0};
    while (read + lost < (uint64_t)PUBS * EACH) {
        bw_event_t e;
        bw_events_gap_t gap;
        int rc = bw_events_next(b, &c, NULL, &e, &gap);
        lost += gap.lost;
        if (rc == BW_EAGAIN) {
            (void)bw_events_wait(b, c - 1, 100);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_true(e.id > last);
        last = e.id;
        read++;
        int who = e.type[2] - '0', i = 0;
        assert_int_equal(sscanf(e.data, "{\"i\":%d}", &i), 1);
        assert_true(i >= next_i[who]); /* per publisher: in order */
        next_i[who] = i + 1;
    }
    for (int i = 0; i < PUBS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(read + lost, (uint64_t)PUBS * EACH);
    assert_int_equal(last, (uint64_t)PUBS * EACH);
    bw_events_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_and_read),
        cmocka_unit_test(test_wrap_around_counts_lost),
        cmocka_unit_test(test_resume_by_id),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_filter_parse_errors),
        cmocka_unit_test(test_publish_limits),
        cmocka_unit_test(test_wait_and_concurrency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
