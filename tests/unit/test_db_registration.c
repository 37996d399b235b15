/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registrations in server/db: group commit of register, update and
 * de-register events (bw_db_registration_batch), per-event outcomes,
 * location ids, and expiry.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

#define BIG 10000

DBFX_PER_TEST

static void reg_event(bw_db_reg_event_t *e, const char *ep, uint32_t lt,
                      int64_t now)
{
    memset(e, 0, sizeof *e);
    e->op = BW_DB_REG_REGISTER;
    e->endpoint = ep;
    e->lifetime_s = lt;
    e->binding = "U";
    e->version = "1.1";
    e->object_links = "</1/0>,</3/0>,</5/0>";
    e->now_ms = now;
}

static int loc_cmp(const void *a, const void *b)
{
    return strcmp(((const bw_db_reg_event_t *)a)->location,
                  ((const bw_db_reg_event_t *)b)->location);
}

/* Tried: 10,000 REGISTER events in one call; then 10,000 UPDATEs (every
 * second one changing the lifetime) and 5,000 DEREGISTERs in a second
 * call.
 * Must hold: every event's result is 0; the store drew 10,000 distinct
 * locations of 32 lowercase hex digits; every row is there with its
 * values; updates moved updated_at and expires_at (from the new lifetime
 * or the stored one); de-registered locations are gone and the others
 * stay.  Each call is one transaction: the raw connection sees the rows
 * of a call all at once (checked through the row count between calls). */
static void test_batch_10000(void **state)
{
    (void)state;
    static bw_db_reg_event_t ev[BIG], sorted[BIG];
    static char names[BIG][24];
    for (int i = 0; i < BIG; i++) {
        snprintf(names[i], sizeof names[i], "urn:dev:n%05d", i);
        reg_event(&ev[i], names[i], 60 + (uint32_t)i, 1000000);
    }
    bw_assert_err(bw_db_registration_batch(f.db, ev, BIG), 0);
    for (int i = 0; i < BIG; i++) {
        bw_assert_err(ev[i].result, 0);
        assert_int_equal(strlen(ev[i].location), BW_DB_LOCATION_LEN);
        assert_int_equal(strspn(ev[i].location, "0123456789abcdef"),
                         BW_DB_LOCATION_LEN);
    }
    memcpy(sorted, ev, sizeof ev);
    qsort(sorted, BIG, sizeof sorted[0], loc_cmp);
    for (int i = 1; i < BIG; i++)
        assert_int_not_equal(strcmp(sorted[i - 1].location, sorted[i].location),
                             0);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM registrations"), BIG);

    bw_db_registration_t r;
    bw_assert_err(bw_db_registration_get(f.db, ev[1234].location, &r), 0);
    assert_string_equal(r.endpoint, "urn:dev:n01234");
    assert_int_equal(r.lifetime_s, 60 + 1234);
    assert_string_equal(r.binding, "U");
    assert_string_equal(r.version, "1.1");
    assert_string_equal(r.object_links, "</1/0>,</3/0>,</5/0>");
    assert_int_equal(r.registered_ms, 1000000);
    assert_int_equal(r.expires_ms, 1000000 + 1000 * (60 + 1234));

    static bw_db_reg_event_t ev2[BIG + BIG / 2];
    for (int i = 0; i < BIG; i++) {
        memset(&ev2[i], 0, sizeof ev2[i]);
        ev2[i].op = BW_DB_REG_UPDATE;
        memcpy(ev2[i].location, ev[i].location, sizeof ev2[i].location);
        ev2[i].lifetime_s = i % 2 == 0 ? 30 : 0;
        ev2[i].object_links = i == 7 ? "</3/0>" : NULL;
        ev2[i].now_ms = 2000000;
    }
    for (int i = 0; i < BIG / 2; i++) {
        bw_db_reg_event_t *e = &ev2[BIG + i];
        memset(e, 0, sizeof *e);
        e->op = BW_DB_REG_DEREGISTER;
        memcpy(e->location, ev[2 * i + 1].location, sizeof e->location);
        e->now_ms = 2000001;
    }
    bw_assert_err(bw_db_registration_batch(f.db, ev2, BIG + BIG / 2), 0);
    for (int i = 0; i < BIG + BIG / 2; i++)
        bw_assert_err(ev2[i].result, 0);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM registrations"),
                     BIG / 2);
    sqlite3_close(c);
    bw_assert_err(bw_db_registration_get(f.db, ev[0].location, &r), 0);
    assert_int_equal(r.lifetime_s, 30);
    assert_int_equal(r.updated_ms, 2000000);
    assert_int_equal(r.expires_ms, 2000000 + 30000);
    assert_int_equal(r.registered_ms, 1000000);
    bw_assert_err(bw_db_registration_get(f.db, ev[1].location, &r),
                  BW_ENOTFOUND);
    /* Odd ones were de-registered; 7 changed its links first, then went. */
    bw_assert_err(bw_db_registration_get(f.db, ev[8].location, &r), 0);
    assert_string_equal(r.object_links, "</1/0>,</3/0>,</5/0>");

    uint64_t gone = 0;
    bw_assert_err(bw_db_registration_expire(f.db, 2000000 + 30000, &gone), 0);
    assert_int_equal(gone, BIG / 2);
}

/* Tried: one batch mixing good events with an UPDATE of an unknown
 * location, a malformed endpoint, a bad binding, a bad version, a
 * lifetime of 0, a malformed location, a REGISTER with a location that
 * another endpoint holds, and an op out of range.
 * Must hold: the batch returns 0; each bad event has its own code; both
 * good events were applied. */
static void test_batch_per_event_results(void **state)
{
    (void)state;
    bw_db_reg_event_t first;
    reg_event(&first, "urn:dev:holder", 60, 1);
    bw_assert_err(bw_db_registration_batch(f.db, &first, 1), 0);

    bw_db_reg_event_t ev[10];
    reg_event(&ev[0], "urn:dev:good-1", 60, 5);
    memset(&ev[1], 0, sizeof ev[1]);
    ev[1].op = BW_DB_REG_UPDATE;
    memset(ev[1].location, 'a', BW_DB_LOCATION_LEN);
    reg_event(&ev[2], "bad endpoint", 60, 5);
    reg_event(&ev[3], "urn:dev:b", 60, 5);
    ev[3].binding = "X";
    reg_event(&ev[4], "urn:dev:v", 60, 5);
    ev[4].version = "2";
    reg_event(&ev[5], "urn:dev:lt", 0, 5);
    memset(&ev[6], 0, sizeof ev[6]);
    ev[6].op = BW_DB_REG_DEREGISTER;
    snprintf(ev[6].location, sizeof ev[6].location, "XYZ");
    reg_event(&ev[7], "urn:dev:thief", 60, 5);
    memcpy(ev[7].location, first.location, sizeof ev[7].location);
    reg_event(&ev[8], "urn:dev:good-2", 60, 5);
    reg_event(&ev[9], "urn:dev:op", 60, 5);
    ev[9].op = (bw_db_reg_op_t)7;
    bw_assert_err(bw_db_registration_batch(f.db, ev, 10), 0);
    static const int want[10] = {0,
                                 BW_ENOTFOUND,
                                 BW_EMALFORMED,
                                 BW_EMALFORMED,
                                 BW_EMALFORMED,
                                 BW_ERANGE,
                                 BW_EMALFORMED,
                                 BW_EEXIST,
                                 0,
                                 BW_EINVAL};
    for (int i = 0; i < 10; i++)
        if (ev[i].result != want[i])
            fail_msg("event %d: %s, want %s", i, bw_err_name(ev[i].result),
                     bw_err_name(want[i]));
    bw_db_registration_t r;
    bw_assert_err(bw_db_registration_get(f.db, ev[0].location, &r), 0);
    bw_assert_err(bw_db_registration_get(f.db, ev[8].location, &r), 0);
    bw_assert_err(bw_db_registration_get(f.db, first.location, &r), 0);
    assert_string_equal(r.endpoint, "urn:dev:holder");
}

/* Tried: the same endpoint registers twice.
 * Must hold: the second registration replaces the first: a new location,
 * the old one is BW_ENOTFOUND, one row for the endpoint. */
static void test_reregister_replaces(void **state)
{
    (void)state;
    bw_db_reg_event_t a, b;
    reg_event(&a, "urn:dev:again", 60, 1);
    bw_assert_err(bw_db_registration_batch(f.db, &a, 1), 0);
    reg_event(&b, "urn:dev:again", 90, 2);
    bw_assert_err(bw_db_registration_batch(f.db, &b, 1), 0);
    assert_string_not_equal(a.location, b.location);
    bw_db_registration_t r;
    bw_assert_err(bw_db_registration_get(f.db, a.location, &r), BW_ENOTFOUND);
    bw_assert_err(bw_db_registration_get(f.db, b.location, &r), 0);
    assert_int_equal(r.lifetime_s, 90);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM registrations WHERE "
                                 "endpoint = 'urn:dev:again'"),
                     1);
    sqlite3_close(c);
}

/* Tried: a device with a DM credential (active) and a second device with
 * one that was revoked after its holder passed authorization (the API's
 * revocation committed first); both REGISTER in one batch naming their
 * identities; then a REGISTER of the first device naming an identity
 * that is no DM credential of it (a certificate subject, say).
 * Must hold: the revoked one is BW_EREVOKED and nothing of it is written
 * (no row, no audit entry); the other is applied in the same transaction
 * and its credential stays active; the foreign identity changes nothing
 * and registers. */
static void test_register_revoked_identity(void **state)
{
    (void)state;
    uint8_t psk[32];
    bw_assert_err(bw_db_device_add(f.db, "urn:dev:ok", "m", NULL, 1, NULL), 0);
    bw_assert_err(bw_db_device_add(f.db, "urn:dev:cut", "m", NULL, 1, NULL), 0);
    dbfx_psk(psk, sizeof psk, 71);
    bw_assert_err(bw_db_psk_import_for(f.db, "urn:dev:ok", BW_DB_PURPOSE_DM,
                                       (const uint8_t *)"dm-ok", 5, psk,
                                       sizeof psk, BW_DB_CRED_ACTIVE, 1, NULL),
                  0);
    dbfx_psk(psk, sizeof psk, 72);
    bw_assert_err(bw_db_psk_import_for(f.db, "urn:dev:cut", BW_DB_PURPOSE_DM,
                                       (const uint8_t *)"dm-cut", 6, psk,
                                       sizeof psk, BW_DB_CRED_ACTIVE, 1, NULL),
                  0);
    bw_assert_err(bw_db_credential_set_state(f.db, (const uint8_t *)"dm-cut", 6,
                                             BW_DB_CRED_REVOKED, 2),
                  0);
    bw_db_reg_event_t e[2];
    reg_event(&e[0], "urn:dev:ok", 60, 3);
    e[0].identity = (const uint8_t *)"dm-ok";
    e[0].identity_len = 5;
    e[0].audit_actor = "dm";
    reg_event(&e[1], "urn:dev:cut", 60, 3);
    e[1].identity = (const uint8_t *)"dm-cut";
    e[1].identity_len = 6;
    e[1].audit_actor = "dm";
    bw_assert_err(bw_db_registration_batch(f.db, e, 2), 0);
    bw_assert_err(e[0].result, 0);
    bw_assert_err(e[1].result, BW_EREVOKED);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM registrations WHERE "
                                 "endpoint = 'urn:dev:cut'"),
                     0);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM audit_log WHERE "
                                 "subject = 'urn:dev:cut' AND action = "
                                 "'registered'"),
                     0);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM registrations WHERE "
                                 "endpoint = 'urn:dev:ok'"),
                     1);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM credentials WHERE "
                                 "identity = CAST('dm-ok' AS BLOB) AND "
                                 "state = 'active'"),
                     1);
    reg_event(&e[0], "urn:dev:ok", 60, 4);
    e[0].identity = (const uint8_t *)"CN=not-a-psk";
    e[0].identity_len = 12;
    bw_assert_err(bw_db_registration_batch(f.db, e, 1), 0);
    bw_assert_err(e[0].result, 0);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM credentials WHERE "
                                 "identity = CAST('dm-ok' AS BLOB) AND "
                                 "state = 'active'"),
                     1);
    sqlite3_close(c);
}

/* Tried: misuse: more events than BW_DB_BATCH_MAX, NULL events, a
 * malformed location to get.
 * Must hold: BW_EOVERFLOW, BW_EINVAL, BW_EMALFORMED; n = 0 is a no-op. */
static void test_batch_args(void **state)
{
    (void)state;
    bw_db_reg_event_t e;
    bw_assert_err(bw_db_registration_batch(f.db, &e, BW_DB_BATCH_MAX + 1),
                  BW_EOVERFLOW);
    bw_assert_err(bw_db_registration_batch(f.db, NULL, 1), BW_EINVAL);
    bw_assert_err(bw_db_registration_batch(f.db, NULL, 0), 0);
    bw_db_registration_t r;
    bw_assert_err(bw_db_registration_get(f.db, "short", &r), BW_EMALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_10000),
        cmocka_unit_test(test_batch_per_event_results),
        cmocka_unit_test(test_reregister_replaces),
        cmocka_unit_test(test_register_revoked_identity),
        cmocka_unit_test(test_batch_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
