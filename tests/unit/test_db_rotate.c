/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which devices are due for a credential rotation (server/db/db_rotate.h),
 * on a real SQLite file: the age of the active DM credential, a rotation
 * under way (a recent pending credential), the registration the minute
 * scan requires, the order and size of its pages, and the input rules.
 */
#define _GNU_SOURCE
#include "db_rotate.h"
#include "test_db_fixture.h"

DBFX_PER_TEST
static unsigned seed;

#define DAY 86400000LL

static void add(const char *ep)
{
    bw_assert_err(bw_db_device_add(f.db, ep, "m", NULL, 1, NULL), 0);
}

/* A PSK credential of ep, created at created_ms, in state st. */
static void cred(const char *ep, bw_db_purpose_t p, const char *id,
                 bw_db_cred_state_t st, int64_t created_ms)
{
    uint8_t psk[32];
    dbfx_psk(psk, sizeof psk, ++seed);
    bw_assert_err(bw_db_psk_import_for(f.db, ep, p, (const uint8_t *)id,
                                       strlen(id), psk, sizeof psk, st,
                                       created_ms, NULL),
                  0);
}

static void revoke_id(const char *id)
{
    bw_assert_err(bw_db_credential_set_state(f.db, (const uint8_t *)id,
                                             strlen(id), BW_DB_CRED_REVOKED,
                                             50 * DAY),
                  0);
}

/* A stored registration of ep at now_ms for lifetime_s. */
static void registered(const char *ep, int64_t now_ms, uint32_t lifetime_s)
{
    dbfx_register(f.db, ep, lifetime_s, "</1/1>,</3/0>", now_ms);
}

static int due(const char *ep, int64_t active_before, int64_t pending_after)
{
    bw_db_rotation_query_t q = {.active_before_ms = active_before,
                                .pending_after_ms = pending_after};
    int d = -1;
    bw_assert_err(bw_db_rotation_due(f.db, ep, &q, &d), 0);
    return d;
}

/*
 * Tried: one device's active DM credential created on day 10, asked with
 * the cut-off just at, after and before it; the factory bootstrap key
 * (day 1) beside it.  Must hold: due exactly when the credential is at
 * or before the cut-off; the older bootstrap credential counts for
 * nothing.
 */
static void test_due_by_age(void **state)
{
    (void)state;
    add("dev-1");
    cred("dev-1", BW_DB_PURPOSE_BOOTSTRAP, "fac-0a1b2c", BW_DB_CRED_ACTIVE,
         1 * DAY);
    cred("dev-1", BW_DB_PURPOSE_DM, "dm-1a", BW_DB_CRED_ACTIVE, 10 * DAY);
    assert_int_equal(due("dev-1", 10 * DAY, 0), 1);
    assert_int_equal(due("dev-1", 11 * DAY, 0), 1);
    assert_int_equal(due("dev-1", 10 * DAY - 1, 0), 0);
}

/*
 * Tried: devices with no DM credential (bootstrap key only), a pending
 * DM credential only, revoked DM credentials only, and two active DM
 * credentials of which one is new.  Must hold: none is due: nothing to
 * rotate away from, or one credential is still young.
 */
static void test_not_due_without_old_active(void **state)
{
    (void)state;
    add("dev-a");
    cred("dev-a", BW_DB_PURPOSE_BOOTSTRAP, "fac-aa01", BW_DB_CRED_ACTIVE, DAY);
    add("dev-b");
    cred("dev-b", BW_DB_PURPOSE_DM, "dm-b1", BW_DB_CRED_PENDING, DAY);
    add("dev-c");
    cred("dev-c", BW_DB_PURPOSE_DM, "dm-c1", BW_DB_CRED_ACTIVE, DAY);
    revoke_id("dm-c1");
    add("dev-d");
    cred("dev-d", BW_DB_PURPOSE_DM, "dm-d1", BW_DB_CRED_ACTIVE, DAY);
    cred("dev-d", BW_DB_PURPOSE_DM, "dm-d2", BW_DB_CRED_ACTIVE, 20 * DAY);
    for (const char *const *ep =
             (const char *const[]){"dev-a", "dev-b", "dev-c", "dev-d", NULL};
         *ep != NULL; ep++)
        assert_int_equal(due(*ep, 10 * DAY, 0), 0);
}

/*
 * Tried: an old active DM credential with a pending one beside it,
 * created on day 30, asked with the pending cut-off before, at and
 * after day 30; then the pending one revoked.  Must hold: a pending
 * credential newer than the cut-off (a rotation under way) holds the
 * device back, an older one (abandoned) does not, a revoked one never.
 */
static void test_pending_holds_back(void **state)
{
    (void)state;
    add("dev-p");
    cred("dev-p", BW_DB_PURPOSE_DM, "dm-p1", BW_DB_CRED_ACTIVE, DAY);
    cred("dev-p", BW_DB_PURPOSE_DM, "dm-p2", BW_DB_CRED_PENDING, 30 * DAY);
    assert_int_equal(due("dev-p", 10 * DAY, 29 * DAY), 0);
    assert_int_equal(due("dev-p", 10 * DAY, 30 * DAY), 1);
    assert_int_equal(due("dev-p", 10 * DAY, 31 * DAY), 1);
    revoke_id("dm-p2");
    assert_int_equal(due("dev-p", 10 * DAY, 0), 1);
}

/*
 * Tried: bw_db_rotation_due with an unknown device, a malformed endpoint
 * and NULL arguments.  Must hold: BW_ENOTFOUND, BW_EMALFORMED, BW_EINVAL,
 * and *due 0 on every failure.
 */
static void test_due_errors(void **state)
{
    (void)state;
    bw_db_rotation_query_t q = {.active_before_ms = DAY};
    int d = 7;
    bw_assert_err(bw_db_rotation_due(f.db, "dev-none", &q, &d), BW_ENOTFOUND);
    assert_int_equal(d, 0);
    d = 7;
    bw_assert_err(bw_db_rotation_due(f.db, "dev 1", &q, &d), BW_EMALFORMED);
    assert_int_equal(d, 0);
    bw_assert_err(bw_db_rotation_due(f.db, "", &q, &d), BW_EMALFORMED);
    bw_assert_err(bw_db_rotation_due(NULL, "dev-1", &q, &d), BW_EINVAL);
    bw_assert_err(bw_db_rotation_due(f.db, "dev-1", NULL, &d), BW_EINVAL);
    bw_assert_err(bw_db_rotation_due(f.db, "dev-1", &q, NULL), BW_EINVAL);
    bw_assert_err(bw_db_rotation_due(f.db, NULL, &q, &d), BW_EINVAL);
}

typedef struct {
    char eps[8][65];
    int64_t created[8];
    size_t n;
    int stop_at; /* return BW_ELIMIT from this call (1-based); 0: never */
} seen_t;

static int collect(void *arg, const char *ep, int64_t created_ms)
{
    seen_t *s = arg;
    if (s->n >= 8)
        return BW_ENOSPC;
    snprintf(s->eps[s->n], sizeof s->eps[0], "%s", ep);
    s->created[s->n++] = created_ms;
    return s->stop_at != 0 && (int)s->n == s->stop_at ? BW_ELIMIT : 0;
}

/*
 * Tried: five devices with old credentials: three registered (created on
 * days 5, 3 and 4), one whose stored registration expired, one never
 * registered; a sixth registered with a young credential.  Listed with
 * room for all, with max 2, with a callback that stops after the first.
 * Must hold: exactly the three registered due devices, the oldest
 * credential first, with their creation times; max cuts the page; the
 * callback's code ends the walk and is returned.
 */
static void test_list(void **state)
{
    (void)state;
    const int64_t now = 100 * DAY;
    static const struct {
        const char *ep, *id;
        int64_t created;
        int reg; /* 0 none, 1 live, 2 expired */
    } devs[] = {
        {"dev-r5", "dm-r5", 5 * DAY, 1}, {"dev-r3", "dm-r3", 3 * DAY, 1},
        {"dev-r4", "dm-r4", 4 * DAY, 1}, {"dev-x1", "dm-x1", 1 * DAY, 2},
        {"dev-n2", "dm-n2", 2 * DAY, 0}, {"dev-y9", "dm-y9", 99 * DAY, 1},
    };
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        add(devs[i].ep);
        cred(devs[i].ep, BW_DB_PURPOSE_DM, devs[i].id, BW_DB_CRED_ACTIVE,
             devs[i].created);
        if (devs[i].reg == 1)
            registered(devs[i].ep, now - 1000, 60);
        else if (devs[i].reg == 2)
            registered(devs[i].ep, now - 120000, 60);
    }
    bw_db_rotation_query_t q = {
        .active_before_ms = 10 * DAY, .pending_after_ms = 0, .now_ms = now};
    seen_t s;
    memset(&s, 0, sizeof s);
    bw_assert_err(bw_db_rotation_due_list(f.db, &q, 100, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.eps[0], "dev-r3");
    assert_string_equal(s.eps[1], "dev-r4");
    assert_string_equal(s.eps[2], "dev-r5");
    assert_true(s.created[0] == 3 * DAY && s.created[2] == 5 * DAY);

    memset(&s, 0, sizeof s);
    bw_assert_err(bw_db_rotation_due_list(f.db, &q, 2, collect, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.eps[1], "dev-r4");

    memset(&s, 0, sizeof s);
    s.stop_at = 1;
    bw_assert_err(bw_db_rotation_due_list(f.db, &q, 100, collect, &s),
                  BW_ELIMIT);
    assert_int_equal(s.n, 1);

    /* A rotation under way takes dev-r3 out of the list. */
    cred("dev-r3", BW_DB_PURPOSE_DM, "dm-r3b", BW_DB_CRED_PENDING, now - 5);
    q.pending_after_ms = now - 3600000;
    memset(&s, 0, sizeof s);
    bw_assert_err(bw_db_rotation_due_list(f.db, &q, 100, collect, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.eps[0], "dev-r4");
}

/*
 * Tried: page sizes 0 and one above the maximum, NULL arguments.  Must
 * hold: BW_ERANGE and BW_EINVAL, and the callback never called.
 */
static void test_list_errors(void **state)
{
    (void)state;
    bw_db_rotation_query_t q = {.active_before_ms = DAY};
    seen_t s;
    memset(&s, 0, sizeof s);
    bw_assert_err(bw_db_rotation_due_list(f.db, &q, 0, collect, &s), BW_ERANGE);
    bw_assert_err(bw_db_rotation_due_list(f.db, &q, BW_DB_ROTATION_LIST_MAX + 1,
                                          collect, &s),
                  BW_ERANGE);
    bw_assert_err(bw_db_rotation_due_list(NULL, &q, 1, collect, &s), BW_EINVAL);
    bw_assert_err(bw_db_rotation_due_list(f.db, NULL, 1, collect, &s),
                  BW_EINVAL);
    bw_assert_err(bw_db_rotation_due_list(f.db, &q, 1, NULL, &s), BW_EINVAL);
    assert_int_equal(s.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_due_by_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_due_without_old_active, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pending_holds_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_due_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
