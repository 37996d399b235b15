/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The owner a PSK lookup reads, handed to the identity lookup that
 * follows (db_sqlite.c, "owners"), on a real database file.  What must
 * hold: the identity lookup after a PSK lookup answers what the store
 * holds (endpoint, ACTIVE or PENDING, the purpose checked); a change
 * made through the store in between (a rotation's confirmation revoking
 * the old key) is seen at once; a change made behind the store's back
 * (another connection) is seen by the next lookup after the one the PSK
 * lookup prepared, and by every lookup once BW_DB_OWNER_MS has passed;
 * a buffer too small is BW_ENOSPC as from the database.
 */
#define _GNU_SOURCE
#include <time.h>

#include "test_db_fixture.h"
/* After the fixture, which finalizes its own raw statements. */
#include "db_int.h" /* BW_DB_OWNER_MS */

static dbfx_t f;

/* A key of its own for each import (a reused PSK is refused). */
static int import(const char *ep, bw_db_purpose_t purpose, const char *id,
                  bw_db_cred_state_t st)
{
    static uint8_t next = 1;
    uint8_t key[32];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(next * 31 + i * 7);
    next++;
    return bw_db_psk_import_for(f.db, ep, purpose, (const uint8_t *)id,
                                strlen(id), key, sizeof key, st, 5, NULL);
}

static int setup(void **state)
{
    (void)state;
    dbfx_init(&f);
    dbfx_open(&f);
    if (bw_db_device_add(f.db, "dev-o1", NULL, NULL, 1, NULL) != 0 ||
        import("dev-o1", BW_DB_PURPOSE_DM, "dm-o1-old", BW_DB_CRED_ACTIVE) !=
            0 ||
        import("dev-o1", BW_DB_PURPOSE_DM, "dm-o1-new", BW_DB_CRED_PENDING) !=
            0 ||
        import("dev-o1", BW_DB_PURPOSE_BOOTSTRAP, "fac-o1",
               BW_DB_CRED_ACTIVE) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dbfx_done(&f);
    return 0;
}

static int psk(int (*fn)(void *, const uint8_t *, size_t, uint8_t *, size_t,
                         size_t *),
               const char *id)
{
    uint8_t k[64];
    size_t n = 0;
    return fn(f.db, (const uint8_t *)id, strlen(id), k, sizeof k, &n);
}

static int owner(const char *id, bw_db_purpose_t purpose, char *ep, size_t cap,
                 bw_db_cred_state_t *st)
{
    return bw_db_identity_lookup(f.db, (const uint8_t *)id, strlen(id), purpose,
                                 ep, cap, st);
}

/* Revoke id with a second connection, as another process would. */
static void revoke_behind(const char *id)
{
    sqlite3 *c = dbfx_raw(&f);
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE credentials SET state = 'revoked' WHERE identity = "
             "CAST('%s' AS BLOB)",
             id);
    assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(c), 1);
    sqlite3_close(c);
}

/* The handshake's lookup, then the authorization's: the owner and the
 * state, ACTIVE for the old key and PENDING for the new one. */
static void test_owner_after_psk_lookup(void **state)
{
    (void)state;
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_db_cred_state_t st;
    bw_assert_err(psk(bw_db_psk_lookup_dm, "dm-o1-old"), 0);
    bw_assert_err(owner("dm-o1-old", BW_DB_PURPOSE_DM, ep, sizeof ep, &st), 0);
    assert_string_equal(ep, "dev-o1");
    assert_int_equal(st, BW_DB_CRED_ACTIVE);
    bw_assert_err(psk(bw_db_psk_lookup_dm, "dm-o1-new"), 0);
    bw_assert_err(owner("dm-o1-new", BW_DB_PURPOSE_DM, ep, sizeof ep, &st), 0);
    assert_string_equal(ep, "dev-o1");
    assert_int_equal(st, BW_DB_CRED_PENDING);
}

/* A bootstrap key read by the bootstrap server's lookup, then asked for
 * as a DM identity: BW_ENOTFOUND, as from the database; as a bootstrap
 * identity it is found. */
static void test_purpose_checked(void **state)
{
    (void)state;
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_db_cred_state_t st;
    bw_assert_err(psk(bw_db_psk_lookup_bootstrap, "fac-o1"), 0);
    bw_assert_err(owner("fac-o1", BW_DB_PURPOSE_DM, ep, sizeof ep, &st),
                  BW_ENOTFOUND);
    assert_string_equal(ep, "");
    bw_assert_err(psk(bw_db_psk_lookup_bootstrap, "fac-o1"), 0);
    bw_assert_err(owner("fac-o1", BW_DB_PURPOSE_BOOTSTRAP, ep, sizeof ep, &st),
                  0);
    assert_string_equal(ep, "dev-o1");
}

/* The device registers with its new key (the rotation's confirmation
 * revokes the old one) between the old key's PSK lookup and its
 * identity lookup: the revocation must be seen at once. */
static void test_change_through_store_seen(void **state)
{
    (void)state;
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_db_cred_state_t st;
    bw_assert_err(psk(bw_db_psk_lookup_dm, "dm-o1-old"), 0);
    uint64_t revoked = 0;
    bw_assert_err(bw_db_credential_confirm(f.db, (const uint8_t *)"dm-o1-new",
                                           9, 10, &revoked),
                  0);
    assert_int_equal(revoked, 1);
    bw_assert_err(owner("dm-o1-old", BW_DB_PURPOSE_DM, ep, sizeof ep, &st),
                  BW_ENOTFOUND);
}

/* Revoked by another connection after the PSK lookup: the lookup that
 * lookup prepared still answers what was read (the documented window),
 * the next one reads the database and refuses. */
static void test_change_behind_store_once(void **state)
{
    (void)state;
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_db_cred_state_t st;
    bw_assert_err(psk(bw_db_psk_lookup_dm, "dm-o1-old"), 0);
    revoke_behind("dm-o1-old");
    bw_assert_err(owner("dm-o1-old", BW_DB_PURPOSE_DM, ep, sizeof ep, &st), 0);
    bw_assert_err(owner("dm-o1-old", BW_DB_PURPOSE_DM, ep, sizeof ep, &st),
                  BW_ENOTFOUND);
}

/* The same, with BW_DB_OWNER_MS passing before the identity lookup:
 * what the PSK lookup read is too old to answer. */
static void test_old_owner_not_used(void **state)
{
    (void)state;
    char ep[BW_DB_ENDPOINT_MAX + 1];
    bw_db_cred_state_t st;
    bw_assert_err(psk(bw_db_psk_lookup_dm, "dm-o1-old"), 0);
    revoke_behind("dm-o1-old");
    struct timespec t = {BW_DB_OWNER_MS / 1000 + 1, 0};
    nanosleep(&t, NULL);
    bw_assert_err(owner("dm-o1-old", BW_DB_PURPOSE_DM, ep, sizeof ep, &st),
                  BW_ENOTFOUND);
}

/* A buffer one byte short of the endpoint: BW_ENOSPC and an empty
 * string, as the database path answers. */
static void test_no_space(void **state)
{
    (void)state;
    char ep[6]; /* "dev-o1" needs 7 */
    bw_db_cred_state_t st;
    bw_assert_err(psk(bw_db_psk_lookup_dm, "dm-o1-old"), 0);
    bw_assert_err(owner("dm-o1-old", BW_DB_PURPOSE_DM, ep, sizeof ep, &st),
                  BW_ENOSPC);
    assert_string_equal(ep, "");
    bw_assert_err(owner("dm-o1-old", BW_DB_PURPOSE_DM, ep, sizeof ep, &st),
                  BW_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_owner_after_psk_lookup, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_purpose_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_through_store_seen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_change_behind_store_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_old_owner_not_used, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_space, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
