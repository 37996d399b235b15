/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Listing devices a page at a time (bw_db_device_list, db_list.c):
 * order, keyset paging, the page limit, input rules.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"
#include "db_list.h"

typedef struct {
    int n;
    char eps[8][BW_DB_ENDPOINT_MAX + 1];
    char models[8][BW_DB_MODEL_MAX + 1];
} seen_t;

static int collect(void *arg, const bw_db_device_t *d)
{
    seen_t *s = arg;
    if (s->n >= 8)
        return BW_ENOSPC;
    snprintf(s->eps[s->n], sizeof s->eps[0], "%s", d->endpoint);
    snprintf(s->models[s->n], sizeof s->models[0], "%s", d->model);
    s->n++;
    return 0;
}

static int stop_first(void *arg, const bw_db_device_t *d)
{
    (void)d;
    ++*(int *)arg;
    return BW_EABORTED;
}

/* Tried: five devices added out of name order; list all; pages of two
 * following the last endpoint seen; a start after the last device; a
 * callback that stops the walk.
 * Must hold: endpoint (byte) order with each device's own model; pages
 * continue exactly where the previous one ended, no device twice or
 * missed; an empty page at the end; the callback's code is returned
 * after one call. */
static void test_order_and_paging(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    static const char *const add[] = {"dev-c", "dev-a", "dev-e", "dev-b",
                                      "dev-d"};
    for (int i = 0; i < 5; i++) {
        char model[16];
        snprintf(model, sizeof model, "m-%s", add[i] + 4);
        bw_assert_err(bw_db_device_add(f.db, add[i], model, NULL, 1000, NULL),
                      0);
    }
    seen_t s = {0};
    bw_assert_err(bw_db_device_list(f.db, NULL, 10, collect, &s), 0);
    assert_int_equal(s.n, 5);
    static const char *const want[] = {"dev-a", "dev-b", "dev-c", "dev-d",
                                       "dev-e"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(s.eps[i], want[i]);
        assert_string_equal(s.models[i] + 2, want[i] + 4);
    }
    /* Pages of two. */
    char after[BW_DB_ENDPOINT_MAX + 1] = "";
    int total = 0;
    for (int page = 0; page < 3; page++) {
        seen_t p = {0};
        bw_assert_err(bw_db_device_list(f.db, after, 2, collect, &p), 0);
        assert_int_equal(p.n, page < 2 ? 2 : 1);
        for (int i = 0; i < p.n; i++)
            assert_string_equal(p.eps[i], want[total + i]);
        total += p.n;
        snprintf(after, sizeof after, "%s", p.eps[p.n - 1]);
    }
    assert_int_equal(total, 5);
    seen_t end = {0};
    bw_assert_err(bw_db_device_list(f.db, "dev-e", 2, collect, &end), 0);
    assert_int_equal(end.n, 0);
    int calls = 0;
    bw_assert_err(bw_db_device_list(f.db, "", 10, stop_first, &calls),
                  BW_EABORTED);
    assert_int_equal(calls, 1);
    dbfx_done(&f);
}

/* Tried: max 0 and max above BW_DB_LIST_MAX; an after that breaks the
 * endpoint rule (a quote, a space, 65 bytes); NULL db or callback; the
 * largest page on an empty store.
 * Must hold: BW_ERANGE, BW_EMALFORMED, BW_EINVAL respectively, the
 * callback never called; BW_DB_LIST_MAX itself is accepted. */
static void test_input(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    seen_t s = {0};
    bw_assert_err(bw_db_device_list(f.db, NULL, 0, collect, &s), BW_ERANGE);
    bw_assert_err(
        bw_db_device_list(f.db, NULL, BW_DB_LIST_MAX + 1, collect, &s),
        BW_ERANGE);
    bw_assert_err(bw_db_device_list(f.db, "a'b", 10, collect, &s),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_device_list(f.db, "a b", 10, collect, &s),
                  BW_EMALFORMED);
    char longep[BW_DB_ENDPOINT_MAX + 2];
    memset(longep, 'x', sizeof longep - 1);
    longep[sizeof longep - 1] = '\0';
    bw_assert_err(bw_db_device_list(f.db, longep, 10, collect, &s),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_device_list(NULL, NULL, 10, collect, &s), BW_EINVAL);
    bw_assert_err(bw_db_device_list(f.db, NULL, 10, NULL, &s), BW_EINVAL);
    assert_int_equal(s.n, 0);
    bw_assert_err(bw_db_device_list(f.db, NULL, BW_DB_LIST_MAX, collect, &s),
                  0);
    assert_int_equal(s.n, 0);
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_paging),
        cmocka_unit_test(test_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
