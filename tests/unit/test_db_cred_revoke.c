/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device's credentials listed and revoked one by one (server/db/db.h,
 * bw_db_credential_list and bw_db_credential_revoke), on a real SQLite
 * file: the order and content of the list (never a key), paging, the
 * effect of a revocation on the lookups the DTLS engines make, on the
 * stored registration and on the audit log, the refused moves out of
 * REVOKED, and the input rules with their exact codes.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

DBFX_PER_TEST
static unsigned seed;

static void add(const char *ep)
{
    bw_assert_err(bw_db_device_add(f.db, ep, "m", NULL, 1, NULL), 0);
}

/* A PSK credential of ep; its id, and its key in psk (32 bytes). */
static int64_t cred(const char *ep, bw_db_purpose_t p, const char *id,
                    bw_db_cred_state_t st, int64_t now, uint8_t psk[32])
{
    uint8_t k[32];
    dbfx_psk(psk != NULL ? psk : k, 32, ++seed);
    int64_t cid = 0;
    bw_assert_err(bw_db_psk_import_for(f.db, ep, p, (const uint8_t *)id,
                                       strlen(id), psk != NULL ? psk : k, 32,
                                       st, now, &cid),
                  0);
    assert_true(cid > 0);
    return cid;
}

static void registered(const char *ep)
{
    dbfx_register(f.db, ep, 60, "</1/1>,</3/0>", 10);
}

static long long count(const char *sql)
{
    sqlite3 *c = dbfx_raw(&f);
    long long n = dbfx_int(c, sql);
    sqlite3_close(c);
    return n;
}

typedef struct {
    bw_db_cred_t c[8];
    size_t n;
    int stop_at; /* return BW_EABORTED from this call (1-based), 0 never */
} seen_t;

static int collect(void *arg, const bw_db_cred_t *c)
{
    seen_t *s = arg;
    if (s->n >= 8)
        return BW_ENOSPC;
    s->c[s->n++] = *c;
    return s->stop_at != 0 && (int)s->n == s->stop_at ? BW_EABORTED : 0;
}

static int lookup(const char *id, bw_db_purpose_t p)
{
    uint8_t key[BW_DB_PSK_MAX];
    size_t n = 0;
    return p == BW_DB_PURPOSE_DM
               ? bw_db_psk_lookup_dm(f.db, (const uint8_t *)id, strlen(id), key,
                                     sizeof key, &n)
               : bw_db_psk_lookup_bootstrap(f.db, (const uint8_t *)id,
                                            strlen(id), key, sizeof key, &n);
}

/* Tried: a device with a factory key, an active and a pending DM key,
 * and a second device; listed whole, in pages of one, and with a
 * callback that stops the walk.  Must hold: newest first with purpose,
 * kind, state, identity and times as imported; no credential of the
 * other device; pages continue where the last one ended; the callback's
 * code comes back. */
static void test_list(void **state)
{
    (void)state;
    add("dev-a");
    add("dev-b");
    int64_t bs = cred("dev-a", BW_DB_PURPOSE_BOOTSTRAP, "fac-01", 0, 100, NULL);
    int64_t dm = cred("dev-a", BW_DB_PURPOSE_DM, "dm-01", 0, 200, NULL);
    (void)cred("dev-b", BW_DB_PURPOSE_DM, "dm-b", 0, 250, NULL);
    int64_t pend =
        cred("dev-a", BW_DB_PURPOSE_DM, "dm-02", BW_DB_CRED_PENDING, 300, NULL);

    seen_t s = {0};
    bw_assert_err(bw_db_credential_list(f.db, "dev-a", 0, 100, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.c[0].id, pend);
    assert_int_equal(s.c[1].id, dm);
    assert_int_equal(s.c[2].id, bs);
    assert_int_equal(s.c[0].state, BW_DB_CRED_PENDING);
    assert_int_equal(s.c[0].purpose, BW_DB_PURPOSE_DM);
    assert_int_equal(s.c[0].created_ms, 300);
    assert_int_equal(s.c[0].revoked_ms, 0);
    assert_int_equal(s.c[1].state, BW_DB_CRED_ACTIVE);
    assert_int_equal(s.c[2].purpose, BW_DB_PURPOSE_BOOTSTRAP);
    assert_int_equal(s.c[2].kind, BW_DB_KIND_PSK);
    assert_int_equal(s.c[2].identity_len, 6);
    assert_memory_equal(s.c[2].identity, "fac-01", 6);

    /* Pages of one, each after the last id seen. */
    int64_t after = 0;
    int64_t want[] = {pend, dm, bs};
    for (size_t i = 0; i < 3; i++) {
        seen_t p = {0};
        bw_assert_err(
            bw_db_credential_list(f.db, "dev-a", after, 1, collect, &p), 0);
        assert_int_equal(p.n, 1);
        assert_int_equal(p.c[0].id, want[i]);
        after = p.c[0].id;
    }
    seen_t end = {0};
    bw_assert_err(bw_db_credential_list(f.db, "dev-a", after, 1, collect, &end),
                  0);
    assert_int_equal(end.n, 0);

    seen_t stop = {.stop_at = 2};
    bw_assert_err(bw_db_credential_list(f.db, "dev-a", 0, 100, collect, &stop),
                  BW_EABORTED);
    assert_int_equal(stop.n, 2);
}

/* Tried: listing with every bad argument.  Must hold: the exact code of
 * each, and the callback never called. */
static void test_list_input(void **state)
{
    (void)state;
    add("dev-a");
    (void)cred("dev-a", BW_DB_PURPOSE_DM, "dm-01", 0, 1, NULL);
    seen_t s = {0};
    bw_assert_err(bw_db_credential_list(f.db, "dev-zz", 0, 10, collect, &s),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_credential_list(f.db, "dev a", 0, 10, collect, &s),
                  BW_EMALFORMED);
    bw_assert_err(
        bw_db_credential_list(f.db, "x' OR '1'='1", 0, 10, collect, &s),
        BW_EMALFORMED);
    bw_assert_err(bw_db_credential_list(f.db, "", 0, 10, collect, &s),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_credential_list(f.db, "dev-a", 0, 0, collect, &s),
                  BW_ERANGE);
    bw_assert_err(bw_db_credential_list(f.db, "dev-a", 0, BW_DB_LIST_MAX + 1,
                                        collect, &s),
                  BW_ERANGE);
    bw_assert_err(bw_db_credential_list(f.db, "dev-a", -1, 10, collect, &s),
                  BW_ERANGE);
    bw_assert_err(bw_db_credential_list(f.db, "dev-a", 0, 10, NULL, &s),
                  BW_EINVAL);
    bw_assert_err(bw_db_credential_list(NULL, "dev-a", 0, 10, collect, &s),
                  BW_EINVAL);
    bw_assert_err(bw_db_credential_list(f.db, NULL, 0, 10, collect, &s),
                  BW_EINVAL);
    assert_int_equal(s.n, 0);
}

/* Tried: revoking a device's pending DM key, then its active DM key while
 * a registration is stored, then its factory key (the last one).  Must
 * hold: each answer says what the key was and what went; the revoked key
 * no longer opens a session of its role and no longer owns the
 * endpoint; the registration goes with the active DM key only; the
 * factory key's revocation says no bootstrap credential is left; one
 * audit entry each, actor as given, naming the identity; no key in
 * any answer field (the struct has none: the identity is compared). */
static void test_revoke(void **state)
{
    (void)state;
    add("dev-a");
    uint8_t k[32];
    int64_t bs = cred("dev-a", BW_DB_PURPOSE_BOOTSTRAP, "fac-01", 0, 100, NULL);
    int64_t dm = cred("dev-a", BW_DB_PURPOSE_DM, "dm-01", 0, 200, k);
    int64_t pend =
        cred("dev-a", BW_DB_PURPOSE_DM, "dm-02", BW_DB_CRED_PENDING, 300, NULL);
    registered("dev-a");
    bw_assert_err(lookup("dm-02", BW_DB_PURPOSE_DM), 0);

    bw_db_revoked_t r;
    bw_assert_err(
        bw_db_credential_revoke(f.db, "dev-a", pend, 400, "api:ops", &r), 0);
    assert_int_equal(r.was, BW_DB_CRED_PENDING);
    assert_int_equal(r.purpose, BW_DB_PURPOSE_DM);
    assert_int_equal(r.registration_ended, 0);
    assert_int_equal(r.bootstrap_left, 1);
    assert_int_equal(r.identity_len, 5);
    assert_memory_equal(r.identity, "dm-02", 5);
    bw_assert_err(lookup("dm-02", BW_DB_PURPOSE_DM), BW_ENOTFOUND);
    bw_assert_err(lookup("dm-01", BW_DB_PURPOSE_DM), 0);
    assert_int_equal(count("SELECT count(*) FROM registrations"), 1);

    bw_assert_err(
        bw_db_credential_revoke(f.db, "dev-a", dm, 500, "api:ops", &r), 0);
    assert_int_equal(r.was, BW_DB_CRED_ACTIVE);
    assert_int_equal(r.registration_ended, 1);
    assert_int_equal(count("SELECT count(*) FROM registrations"), 0);
    bw_assert_err(lookup("dm-01", BW_DB_PURPOSE_DM), BW_ENOTFOUND);
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_db_cred_state_t st;
    bw_assert_err(bw_db_identity_lookup(f.db, (const uint8_t *)"dm-01", 5,
                                        BW_DB_PURPOSE_DM, ep, sizeof ep, &st),
                  BW_ENOTFOUND);
    char q1[96];
    snprintf(q1, sizeof q1,
             "SELECT revoked_at FROM credentials WHERE id = %lld",
             (long long)dm);
    assert_int_equal(count(q1), 500);
    bw_assert_err(lookup("fac-01", BW_DB_PURPOSE_BOOTSTRAP), 0);

    bw_assert_err(
        bw_db_credential_revoke(f.db, "dev-a", bs, 600, "api:admin", &r), 0);
    assert_int_equal(r.purpose, BW_DB_PURPOSE_BOOTSTRAP);
    assert_int_equal(r.bootstrap_left, 0);
    bw_assert_err(lookup("fac-01", BW_DB_PURPOSE_BOOTSTRAP), BW_ENOTFOUND);

    assert_int_equal(count("SELECT count(*) FROM audit_log WHERE action = "
                           "'credential-revoked' AND subject = 'dev-a' AND "
                           "actor LIKE 'api:%'"),
                     3);
    assert_int_equal(count("SELECT count(*) FROM audit_log WHERE action = "
                           "'credential-revoked' AND detail LIKE "
                           "'%identity dm-01, was active); registration "
                           "ended'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM audit_log WHERE detail LIKE "
                           "'%identity fac-01%cannot bootstrap'"),
                     1);
    /* The key itself is nowhere in the audit log. */
    sqlite3 *c = dbfx_raw(&f);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(c,
                                        "SELECT count(*) FROM audit_log WHERE "
                                        "instr(CAST(detail AS BLOB), ?) > 0",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(q, 1, k, 8, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    sqlite3_close(c);
}

/* Tried: revoking twice, moving a revoked key back with
 * bw_db_credential_set_state, confirming it as a registration would,
 * revoking without an actor.  Must hold: BW_EREVOKED and nothing changes
 * (revoked_at, audit log); BW_ESTATE for both moves out of REVOKED;
 * BW_ENOTFOUND for the confirmation; no audit entry without an actor. */
static void test_revoked_stays(void **state)
{
    (void)state;
    add("dev-a");
    int64_t dm = cred("dev-a", BW_DB_PURPOSE_DM, "dm-01", 0, 1, NULL);
    bw_db_revoked_t r;
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-a", dm, 50, NULL, &r), 0);
    assert_int_equal(count("SELECT count(*) FROM audit_log"), 0);
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-a", dm, 60, "api:x", &r),
                  BW_EREVOKED);
    assert_int_equal(r.identity_len, 0); /* zeroed on failure */
    assert_int_equal(count("SELECT revoked_at FROM credentials"), 50);
    assert_int_equal(count("SELECT count(*) FROM audit_log"), 0);
    bw_assert_err(bw_db_credential_set_state(f.db, (const uint8_t *)"dm-01", 5,
                                             BW_DB_CRED_ACTIVE, 70),
                  BW_ESTATE);
    bw_assert_err(bw_db_credential_set_state(f.db, (const uint8_t *)"dm-01", 5,
                                             BW_DB_CRED_PENDING, 70),
                  BW_ESTATE);
    bw_assert_err(bw_db_credential_set_state(f.db, (const uint8_t *)"dm-01", 5,
                                             BW_DB_CRED_REVOKED, 70),
                  BW_ESTATE);
    uint64_t n = 9;
    bw_assert_err(
        bw_db_credential_confirm(f.db, (const uint8_t *)"dm-01", 5, 80, &n),
        BW_ENOTFOUND);
    assert_int_equal(count("SELECT count(*) FROM credentials WHERE state = "
                           "'revoked'"),
                     1);
}

/* Tried: revoking another device's credential through this device, ids
 * that do not exist (0, negative, past the last), an unknown device,
 * malformed endpoints (an SQL injection among them), a bad actor, NULL
 * arguments.  Must hold: the exact code of each, and no credential's
 * state and no audit entry changed. */
static void test_revoke_input(void **state)
{
    (void)state;
    add("dev-a");
    add("dev-b");
    int64_t a = cred("dev-a", BW_DB_PURPOSE_DM, "dm-a", 0, 1, NULL);
    int64_t b = cred("dev-b", BW_DB_PURPOSE_DM, "dm-b", 0, 1, NULL);
    bw_db_revoked_t r;
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-a", b, 5, "api:x", &r),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-a", 0, 5, "api:x", &r),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-a", -a, 5, "api:x", &r),
                  BW_ENOTFOUND);
    bw_assert_err(
        bw_db_credential_revoke(f.db, "dev-a", b + 100, 5, "api:x", &r),
        BW_ENOTFOUND);
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-zz", a, 5, "api:x", &r),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_credential_revoke(f.db,
                                          "dev-a'; DELETE FROM "
                                          "credentials; --",
                                          a, 5, "api:x", &r),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_credential_revoke(f.db, "", a, 5, "api:x", &r),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-a", a, 5, "api:\n", &r),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-a", a, 5, "", &r),
                  BW_EMALFORMED);
    char longactor[BW_DB_AUDIT_FIELD_MAX + 2];
    memset(longactor, 'a', sizeof longactor - 1);
    longactor[sizeof longactor - 1] = '\0';
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-a", a, 5, longactor, &r),
                  BW_EOVERFLOW);
    bw_assert_err(bw_db_credential_revoke(f.db, NULL, a, 5, "api:x", &r),
                  BW_EINVAL);
    bw_assert_err(bw_db_credential_revoke(NULL, "dev-a", a, 5, "api:x", &r),
                  BW_EINVAL);
    bw_assert_err(bw_db_credential_revoke(f.db, "dev-a", a, 5, "api:x", NULL),
                  BW_EINVAL);
    assert_int_equal(count("SELECT count(*) FROM credentials WHERE state = "
                           "'active'"),
                     2);
    assert_int_equal(count("SELECT count(*) FROM audit_log"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
