/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credential purposes and rotation in server/db (schema 4): a factory
 * bootstrap key opens only the bootstrap server, a DM key only the DM
 * server; confirming a new DM credential activates it and revokes the
 * device's other DM credentials, never its bootstrap one.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

static dbfx_t f;

static const uint8_t bs_key[16] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65,
                                   0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb,
                                   0xdc, 0xed, 0xfe, 0x0f};

static int setup(void **state)
{
    (void)state;
    dbfx_init(&f);
    dbfx_open(&f);
    if (bw_db_device_add(f.db, "dev-7", "m", NULL, 1, NULL) != 0 ||
        bw_db_device_add(f.db, "dev-8", "m", NULL, 1, NULL) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dbfx_done(&f);
    return 0;
}

static int lk(int (*fn)(void *, const uint8_t *, size_t, uint8_t *, size_t,
                        size_t *),
              const char *id)
{
    uint8_t psk[64];
    size_t n;
    return fn(f.db, (const uint8_t *)id, strlen(id), psk, sizeof psk, &n);
}

static int import(const char *ep, bw_db_purpose_t p, const char *id,
                  unsigned seed, bw_db_cred_state_t st)
{
    uint8_t psk[32];
    dbfx_psk(psk, sizeof psk, seed);
    return bw_db_psk_import_for(f.db, ep, p, (const uint8_t *)id, strlen(id),
                                psk, sizeof psk, st, 5, NULL);
}

/*
 * Tried: a bootstrap credential and a DM credential for one device, each
 * looked up by both roles.  Must hold: each opens only its own role
 * (BW_ENOTFOUND for the other); the generic lookup finds both; the
 * identity lookup says endpoint and state only for the right purpose.
 */
static void test_roles_are_separate(void **state)
{
    (void)state;
    bw_assert_err(bw_db_psk_import_for(f.db, "dev-7", BW_DB_PURPOSE_BOOTSTRAP,
                                       (const uint8_t *)"fac-3c9d1e", 10,
                                       bs_key, sizeof bs_key, BW_DB_CRED_ACTIVE,
                                       5, NULL),
                  0);
    bw_assert_err(
        import("dev-7", BW_DB_PURPOSE_DM, "dm-a71f02", 1, BW_DB_CRED_ACTIVE),
        0);
    bw_assert_err(lk(bw_db_psk_lookup_bootstrap, "fac-3c9d1e"), 0);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "fac-3c9d1e"), BW_ENOTFOUND);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-a71f02"), 0);
    bw_assert_err(lk(bw_db_psk_lookup_bootstrap, "dm-a71f02"), BW_ENOTFOUND);
    bw_assert_err(lk(bw_db_psk_lookup, "fac-3c9d1e"), 0);
    bw_assert_err(lk(bw_db_psk_lookup, "dm-a71f02"), 0);

    char ep[65];
    bw_db_cred_state_t st;
    bw_assert_err(bw_db_identity_lookup(f.db, (const uint8_t *)"dm-a71f02", 9,
                                        BW_DB_PURPOSE_DM, ep, sizeof ep, &st),
                  0);
    assert_string_equal(ep, "dev-7");
    assert_int_equal(st, BW_DB_CRED_ACTIVE);
    bw_assert_err(bw_db_identity_lookup(f.db, (const uint8_t *)"dm-a71f02", 9,
                                        BW_DB_PURPOSE_BOOTSTRAP, ep, sizeof ep,
                                        &st),
                  BW_ENOTFOUND);
    assert_string_equal(ep, "");
    bw_assert_err(bw_db_psk_import_for(f.db, "dev-7", (bw_db_purpose_t)7,
                                       (const uint8_t *)"x-19af3c", 8, bs_key,
                                       sizeof bs_key, BW_DB_CRED_ACTIVE, 5,
                                       NULL),
                  BW_EINVAL);
}

/*
 * Tried: a device with a bootstrap key, an active DM key, and a pending
 * new DM key (a rotation in progress); dev-8 has its own DM key.  The
 * device registers with the new key: confirm it.  Must hold: the new key
 * becomes ACTIVE, the old DM key is REVOKED (lookup BW_ENOTFOUND), the
 * bootstrap key and dev-8's key are untouched; confirming an unknown or
 * bootstrap identity is BW_ENOTFOUND and changes nothing.
 */
static void test_confirm_rotates(void **state)
{
    (void)state;
    bw_assert_err(
        import("dev-7", BW_DB_PURPOSE_DM, "dm-new-5e20", 2, BW_DB_CRED_PENDING),
        0);
    bw_assert_err(
        import("dev-8", BW_DB_PURPOSE_DM, "dm-other-4c", 3, BW_DB_CRED_ACTIVE),
        0);
    /* Both DM keys of dev-7 work during the rotation. */
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-a71f02"), 0);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-new-5e20"), 0);

    uint64_t revoked = 99;
    bw_assert_err(bw_db_credential_confirm(f.db, (const uint8_t *)"nobody", 6,
                                           9, &revoked),
                  BW_ENOTFOUND);
    assert_int_equal(revoked, 0);
    bw_assert_err(bw_db_credential_confirm(f.db, (const uint8_t *)"fac-3c9d1e",
                                           10, 9, &revoked),
                  BW_ENOTFOUND);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-a71f02"), 0);

    bw_assert_err(bw_db_credential_confirm(f.db, (const uint8_t *)"dm-new-5e20",
                                           11, 10, &revoked),
                  0);
    assert_int_equal(revoked, 1);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-a71f02"), BW_ENOTFOUND);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-new-5e20"), 0);
    bw_assert_err(lk(bw_db_psk_lookup_bootstrap, "fac-3c9d1e"), 0);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-other-4c"), 0);
    char ep[65];
    bw_db_cred_state_t st;
    bw_assert_err(bw_db_identity_lookup(f.db, (const uint8_t *)"dm-new-5e20",
                                        11, BW_DB_PURPOSE_DM, ep, sizeof ep,
                                        &st),
                  0);
    assert_int_equal(st, BW_DB_CRED_ACTIVE);
    /* Confirming again is harmless: nothing else to revoke. */
    bw_assert_err(bw_db_credential_confirm(f.db, (const uint8_t *)"dm-new-5e20",
                                           11, 11, &revoked),
                  0);
    assert_int_equal(revoked, 0);
}

/*
 * Tried: dev-8 has an active DM key (from the test above) and receives two
 * pending ones from bootstraps that never led to a registration; then the
 * pending ones are revoked as a new one would be issued.  Must hold: both
 * pending keys stop working, the active one and dev-7's keys are kept;
 * an unknown device is BW_ENOTFOUND; a second call revokes nothing.
 */
static void test_revoke_pending(void **state)
{
    (void)state;
    bw_assert_err(
        import("dev-8", BW_DB_PURPOSE_DM, "dm-p1-7b2e", 4, BW_DB_CRED_PENDING),
        0);
    bw_assert_err(
        import("dev-8", BW_DB_PURPOSE_DM, "dm-p2-90ac", 5, BW_DB_CRED_PENDING),
        0);
    uint64_t n = 99;
    bw_assert_err(bw_db_credential_revoke_pending(f.db, "nobody", 20, &n),
                  BW_ENOTFOUND);
    assert_int_equal(n, 0);
    bw_assert_err(bw_db_credential_revoke_pending(f.db, "dev-8", 20, &n), 0);
    assert_int_equal(n, 2);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-p1-7b2e"), BW_ENOTFOUND);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-p2-90ac"), BW_ENOTFOUND);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-other-4c"), 0);
    bw_assert_err(lk(bw_db_psk_lookup_dm, "dm-new-5e20"), 0);
    bw_assert_err(lk(bw_db_psk_lookup_bootstrap, "fac-3c9d1e"), 0);
    bw_assert_err(bw_db_credential_revoke_pending(f.db, "dev-8", 21, &n), 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_are_separate),
        cmocka_unit_test(test_confirm_rotates),
        cmocka_unit_test(test_revoke_pending),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
