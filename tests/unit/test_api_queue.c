/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure rules of queue mode (server/api/api_queue.h): where an
 * operation goes, when a device counts as awake, the "async" and "ttl"
 * members, what a failed delivery becomes, and the operation names the
 * store and the API share.
 */
#define _GNU_SOURCE
#include <limits.h>

#include "api_int.h"
#include "api_queue.h"
#include "testutil.h"

/* Tried: all 16 combinations of async, registered, queue mode, awake,
 * against the rule written out independently of the table:
 *   async: delivered at once when registered and (not queue mode or
 *          awake), else queued until it wakes;
 *   sync:  not registered is 404, a sleeping queue-mode device gets it
 *          queued, everything else is sent now.
 * Must hold: the table agrees on every combination, and non-zero values
 * other than 1 count as true. */
static void test_route_all_combinations(void **state)
{
    (void)state;
    for (int m = 0; m < 16; m++) {
        int async = m & 1, reg = (m >> 1) & 1, queue = (m >> 2) & 1,
            awake = (m >> 3) & 1;
        bw_api_queue_route_t want;
        if (async)
            want = reg && (!queue || awake) ? BW_API_QUEUE_QUEUE_SEND
                                            : BW_API_QUEUE_QUEUE_WAKE;
        else if (!reg)
            want = BW_API_QUEUE_NOT_REGISTERED;
        else if (queue && !awake)
            want = BW_API_QUEUE_QUEUE_WAKE;
        else
            want = BW_API_QUEUE_SEND_NOW;
        assert_int_equal(bw_api_queue_route(async, reg, queue, awake), want);
        assert_int_equal(
            bw_api_queue_route(async * 7, reg * -1, queue * 2, awake * 99),
            want);
    }
}

/* Tried: a device never seen, seen just now, 1 ms before the window
 * ends, exactly at its end, long ago, and "seen" in the future (the
 * clock went back).
 * Must hold: awake only within [last, last + BW_API_QUEUE_AWAKE_MS). */
static void test_awake_window(void **state)
{
    (void)state;
    const int64_t t = 1700000000000;
    assert_false(bw_api_queue_awake(0, t));
    assert_true(bw_api_queue_awake(t, t));
    assert_true(bw_api_queue_awake(t, t + BW_API_QUEUE_AWAKE_MS - 1));
    assert_false(bw_api_queue_awake(t, t + BW_API_QUEUE_AWAKE_MS));
    assert_false(bw_api_queue_awake(t, t + 3600000));
    assert_false(bw_api_queue_awake(t + 1, t));
    /* The window leaves room for the request's way: the device closes
     * its channel 10 s after the last exchange. */
    assert_true(BW_API_QUEUE_AWAKE_MS < 10000);
}

static int options(const char *json_async, const char *json_ttl, int *async,
                   int64_t *ttl_ms, const char **why)
{
    json_t *a = json_async != NULL
                    ? json_loads(json_async, JSON_DECODE_ANY, NULL)
                    : NULL;
    json_t *t =
        json_ttl != NULL ? json_loads(json_ttl, JSON_DECODE_ANY, NULL) : NULL;
    if (json_async != NULL)
        assert_non_null(a);
    if (json_ttl != NULL)
        assert_non_null(t);
    int err = bw_api_queue_options(a, t, async, ttl_ms, why);
    json_decref(a);
    json_decref(t);
    return err;
}

/* Tried: no members; async true and false; ttl 1, the maximum, 0, -5,
 * one past the maximum, 1.5, "60", a huge integer; async "yes", 1, null.
 * Must hold: defaults are sync and one day; good values are taken (ttl
 * in ms); each bad one gives its exact code and a reason. */
static void test_options(void **state)
{
    (void)state;
    int async = -1;
    int64_t ttl = -1;
    const char *why = "x";
    bw_assert_err(options(NULL, NULL, &async, &ttl, &why), 0);
    assert_int_equal(async, 0);
    assert_int_equal(ttl, (int64_t)BW_API_QUEUE_TTL_DEFAULT_S * 1000);
    assert_null(why);
    bw_assert_err(options("true", "1", &async, &ttl, &why), 0);
    assert_int_equal(async, 1);
    assert_int_equal(ttl, 1000);
    bw_assert_err(options("false", "2592000", &async, &ttl, &why), 0);
    assert_int_equal(async, 0);
    assert_int_equal(ttl, 2592000ll * 1000);
    static const char *const bad_ttl[] = {"0", "-5", "2592001",
                                          "9223372036854775807"};
    for (size_t i = 0; i < sizeof bad_ttl / sizeof bad_ttl[0]; i++) {
        why = NULL;
        bw_assert_err(options(NULL, bad_ttl[i], &async, &ttl, &why), BW_ERANGE);
        assert_non_null(why);
    }
    static const char *const wrong_ttl[] = {"1.5", "\"60\"", "null", "true"};
    for (size_t i = 0; i < sizeof wrong_ttl / sizeof wrong_ttl[0]; i++)
        bw_assert_err(options(NULL, wrong_ttl[i], &async, &ttl, &why),
                      BW_ETYPE);
    static const char *const wrong_async[] = {"\"yes\"", "1", "null", "[]"};
    for (size_t i = 0; i < sizeof wrong_async / sizeof wrong_async[0]; i++) {
        why = NULL;
        bw_assert_err(options(wrong_async[i], NULL, &async, &ttl, &why),
                      BW_ETYPE);
        assert_non_null(why);
    }
    bw_assert_err(bw_api_queue_options(NULL, NULL, NULL, &ttl, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_api_queue_options(NULL, NULL, &async, NULL, NULL),
                  BW_EINVAL);
}

/* Tried: each failure code a delivery can see, at each try count.
 * Must hold: not registered and stopping are requeued without counting;
 * time-outs, resets, closed sessions are retried until
 * BW_API_QUEUE_TRIES_MAX tries, then given up. */
static void test_after_failure(void **state)
{
    (void)state;
    static const int counted[] = {BW_ETIMEOUT, BW_ERESET, BW_ECLOSED, BW_ENOMEM,
                                  BW_EINVAL};
    for (unsigned tries = 0; tries <= BW_API_QUEUE_TRIES_MAX + 1; tries++) {
        assert_int_equal(bw_api_queue_after_failure(BW_ENOTFOUND, tries),
                         BW_API_QUEUE_REQUEUE);
        assert_int_equal(bw_api_queue_after_failure(BW_ESTATE, tries),
                         BW_API_QUEUE_REQUEUE);
        for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++)
            assert_int_equal(bw_api_queue_after_failure(counted[i], tries),
                             tries < BW_API_QUEUE_TRIES_MAX
                                 ? BW_API_QUEUE_RETRY
                                 : BW_API_QUEUE_GIVE_UP);
    }
}

/* Tried: the count of tries around BW_API_QUEUE_TRIES_MAX, and a
 * failure's outcome for the count the store reports after each try.
 * Must hold: spent exactly from BW_API_QUEUE_TRIES_MAX on; a request
 * sent and failed 3 times in a row is retried twice and given up at the
 * third (3 tries in total, whichever process counted them). */
static void test_tries_spent(void **state)
{
    (void)state;
    assert_false(bw_api_queue_tries_spent(0));
    assert_false(bw_api_queue_tries_spent(BW_API_QUEUE_TRIES_MAX - 1));
    assert_true(bw_api_queue_tries_spent(BW_API_QUEUE_TRIES_MAX));
    assert_true(bw_api_queue_tries_spent(UINT_MAX));
    static const bw_api_queue_failure_t want[] = {
        BW_API_QUEUE_RETRY, BW_API_QUEUE_RETRY, BW_API_QUEUE_GIVE_UP};
    assert_int_equal(sizeof want / sizeof want[0], BW_API_QUEUE_TRIES_MAX);
    for (unsigned count = 1; count <= BW_API_QUEUE_TRIES_MAX; count++)
        assert_int_equal(bw_api_queue_after_failure(BW_ETIMEOUT, count),
                         want[count - 1]);
}

/* Tried: the retention's cutoff on a controlled clock: 30 days at a
 * fixed time, 1 day, 0 (for ever), above the most, and a clock so far
 * before 1970 that the subtraction would leave int64_t.
 * Must hold: now less exactly days x 86,400,000 ms; INT64_MIN for 0 and
 * for the clock at the edge; above the most counts as the most. */
static void test_retention_cutoff(void **state)
{
    (void)state;
    const int64_t now = 1800000000000; /* 2027-01-15 */
    assert_int_equal(bw_api_queue_retention_cutoff(now, 30),
                     now - 30 * 86400000LL);
    assert_int_equal(bw_api_queue_retention_cutoff(now, 1), now - 86400000LL);
    assert_int_equal(bw_api_queue_retention_cutoff(now, 0), INT64_MIN);
    assert_int_equal(
        bw_api_queue_retention_cutoff(now, BW_API_QUEUE_RETENTION_DAYS_MAX + 1),
        now - (int64_t)BW_API_QUEUE_RETENTION_DAYS_MAX * 86400000LL);
    assert_int_equal(
        bw_api_queue_retention_cutoff(now, UINT32_MAX),
        bw_api_queue_retention_cutoff(now, BW_API_QUEUE_RETENTION_DAYS_MAX));
    assert_int_equal(bw_api_queue_retention_cutoff(INT64_MIN + 5, 1),
                     INT64_MIN);
    assert_int_equal(BW_API_QUEUE_RETENTION_DAYS_DEFAULT, 30);
}

/* Tried: every API operation to the store's and back; the store's
 * observe operations; values out of range; NULL outputs.
 * Must hold: a round trip gives the operation back and its store name
 * is the API's name; observe has no API operation (BW_ENOTFOUND); out
 * of range is BW_EINVAL. */
static void test_op_mapping(void **state)
{
    (void)state;
    for (int k = BW_API_OP_READ; k <= BW_API_OP_ATTRIBUTES; k++) {
        bw_db_req_op_t d;
        bw_api_op_t back;
        bw_assert_err(bw_api__queue_db_op((bw_api_op_t)k, &d), 0);
        bw_assert_err(bw_api__queue_api_op(d, &back), 0);
        assert_int_equal(back, k);
        assert_string_equal(bw_db_request_op_name(d),
                            bw_api__op_name((bw_api_op_t)k));
    }
    bw_api_op_t k;
    bw_assert_err(bw_api__queue_api_op(BW_DB_OP_OBSERVE, &k), BW_ENOTFOUND);
    bw_assert_err(bw_api__queue_api_op(BW_DB_OP_CANCEL_OBSERVE, &k),
                  BW_ENOTFOUND);
    bw_assert_err(bw_api__queue_api_op(BW_DB_OP_COUNT_, &k), BW_EINVAL);
    bw_db_req_op_t d;
    bw_assert_err(bw_api__queue_db_op((bw_api_op_t)99, &d), BW_EINVAL);
    bw_assert_err(bw_api__queue_db_op(BW_API_OP_READ, NULL), BW_EINVAL);
    bw_assert_err(bw_api__queue_api_op(BW_DB_OP_READ, NULL), BW_EINVAL);
}

/* Tried: the queue handle's calls with a NULL queue (the API before the
 * engine is attached, a server without the DM role).
 * Must hold: nothing happens and no device counts as awake. */
static void test_null_queue(void **state)
{
    (void)state;
    bw_api_queue_seen(NULL, "dev", 1000);
    bw_api_queue_wake(NULL, "dev");
    assert_false(bw_api_queue_is_awake(NULL, "dev", 1000));
    assert_null(bw_api_queue_new(NULL));
    bw_api_queue_config_t cfg = {0};
    assert_null(bw_api_queue_new(&cfg));
    bw_api_queue_stop(NULL);
    bw_api_queue_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_all_combinations),
        cmocka_unit_test(test_awake_window),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_after_failure),
        cmocka_unit_test(test_tries_spent),
        cmocka_unit_test(test_retention_cutoff),
        cmocka_unit_test(test_op_mapping),
        cmocka_unit_test(test_null_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
