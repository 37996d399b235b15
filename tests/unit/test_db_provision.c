/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Provisioning in one transaction (server/db/db.h,
 * bw_db_device_provision), on a real SQLite file: a device and its
 * factory bootstrap and DM PSKs stored together; a refused second
 * credential (identity or key already used, also by the first item)
 * leaves neither the device nor the first credential behind; on a known
 * device it leaves its credentials as they were; a weak key, too many
 * items and bad device fields are refused with their exact codes and
 * the index of what was refused.  Counts are read from the tables
 * themselves.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

DBFX_PER_TEST

/* The integer sql answers, on a raw connection of its own. */
static long long count(const char *sql)
{
    sqlite3 *c = dbfx_raw(&f);
    long long v = dbfx_int(c, sql);
    sqlite3_close(c);
    return v;
}

/* Two items for the next provisioning: a factory key "fac-<tag>" and a
 * DM key "dm-<tag>", keys from seeds s1, s2. */
typedef struct {
    char id1[32], id2[32];
    uint8_t k1[32], k2[32];
    bw_db_psk_item_t it[2];
} pair_t;

static void pair(pair_t *p, const char *tag, unsigned s1, unsigned s2)
{
    snprintf(p->id1, sizeof p->id1, "fac-%s", tag);
    snprintf(p->id2, sizeof p->id2, "dm-%s", tag);
    dbfx_psk(p->k1, sizeof p->k1, s1);
    dbfx_psk(p->k2, sizeof p->k2, s2);
    p->it[0] =
        (bw_db_psk_item_t){BW_DB_PURPOSE_BOOTSTRAP, (const uint8_t *)p->id1,
                           strlen(p->id1), p->k1, sizeof p->k1};
    p->it[1] = (bw_db_psk_item_t){BW_DB_PURPOSE_DM, (const uint8_t *)p->id2,
                                  strlen(p->id2), p->k2, sizeof p->k2};
}

/* A new device with both keys: created, one device row, two active
 * credentials with their purposes; the same again for the same device
 * with other keys: not created, four credentials, model kept. */
static void test_both_stored(void **state)
{
    (void)state;
    pair_t p;
    int created = -1;
    size_t refused = 9;
    pair(&p, "a", 1, 2);
    bw_assert_err(bw_db_device_provision(f.db, "dev-a", "m1", "t", p.it, 2, 10,
                                         &created, &refused),
                  0);
    assert_int_equal(created, 1);
    assert_int_equal(refused, 2);
    assert_int_equal(count("SELECT count(*) FROM devices"), 1);
    assert_int_equal(count("SELECT count(*) FROM credentials WHERE state = "
                           "'active' AND purpose = 'bootstrap'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM credentials WHERE state = "
                           "'active' AND purpose = 'dm'"),
                     1);
    pair(&p, "a2", 3, 4);
    bw_assert_err(bw_db_device_provision(f.db, "dev-a", "other", NULL, p.it, 2,
                                         11, &created, NULL),
                  0);
    assert_int_equal(created, 0);
    assert_int_equal(count("SELECT count(*) FROM credentials"), 4);
    assert_int_equal(count("SELECT count(*) FROM devices WHERE model = 'm1'"),
                     1);
}

/* The DM identity is already another device's: BW_EEXIST, item 1
 * refused, and no trace of dev-b (no device, no factory credential); the
 * same factory identity then provisions fine. */
static void test_refused_second_leaves_nothing(void **state)
{
    (void)state;
    pair_t p, q;
    int created = -1;
    size_t refused = 9;
    pair(&p, "a", 1, 2);
    bw_assert_err(bw_db_device_provision(f.db, "dev-a", NULL, NULL, p.it, 2, 10,
                                         NULL, NULL),
                  0);
    pair(&q, "b", 5, 6);
    q.it[1].identity = (const uint8_t *)p.id2; /* dev-a's DM identity */
    q.it[1].identity_len = strlen(p.id2);
    bw_assert_err(bw_db_device_provision(f.db, "dev-b", NULL, NULL, q.it, 2, 11,
                                         &created, &refused),
                  BW_EEXIST);
    assert_int_equal(created, 0);
    assert_int_equal(refused, 1);
    assert_int_equal(count("SELECT count(*) FROM devices"), 1);
    assert_int_equal(count("SELECT count(*) FROM credentials"), 2);
    pair(&q, "b", 5, 6);
    bw_assert_err(bw_db_device_provision(f.db, "dev-b", NULL, NULL, q.it, 2, 12,
                                         &created, NULL),
                  0);
    assert_int_equal(created, 1);
}

/* On a known device, the second item carries the first item's key:
 * BW_EDUPKEY, item 1 refused, the device's credentials as they were;
 * the same identity for both items: BW_EEXIST. */
static void test_known_device_unchanged(void **state)
{
    (void)state;
    pair_t p;
    size_t refused = 9;
    pair(&p, "a", 1, 2);
    bw_assert_err(bw_db_device_provision(f.db, "dev-a", NULL, NULL, p.it, 1, 10,
                                         NULL, NULL),
                  0);
    pair(&p, "a2", 7, 7);
    bw_assert_err(bw_db_device_provision(f.db, "dev-a", NULL, NULL, p.it, 2, 11,
                                         NULL, &refused),
                  BW_EDUPKEY);
    assert_int_equal(refused, 1);
    pair(&p, "a3", 8, 9);
    p.it[1].identity = p.it[0].identity;
    p.it[1].identity_len = p.it[0].identity_len;
    bw_assert_err(bw_db_device_provision(f.db, "dev-a", NULL, NULL, p.it, 2, 12,
                                         NULL, &refused),
                  BW_EEXIST);
    assert_int_equal(refused, 1);
    assert_int_equal(count("SELECT count(*) FROM credentials"), 1);
    assert_int_equal(count("SELECT count(*) FROM devices"), 1);
}

/* Refused before any write: a weak key (item 0: BW_EWEAK), too many
 * items or items NULL (BW_EINVAL), a bad endpoint (BW_EMALFORMED,
 * refused = n): the database stays empty. */
static void test_refused_up_front(void **state)
{
    (void)state;
    pair_t p;
    size_t refused = 9;
    pair(&p, "a", 1, 2);
    memset(p.k1, 0x41, sizeof p.k1); /* one byte repeated */
    bw_assert_err(bw_db_device_provision(f.db, "dev-a", NULL, NULL, p.it, 2, 10,
                                         NULL, &refused),
                  BW_EWEAK);
    assert_int_equal(refused, 0);
    bw_assert_err(bw_db_device_provision(f.db, "dev-a", NULL, NULL, p.it,
                                         BW_DB_PROVISION_MAX + 1, 10, NULL,
                                         NULL),
                  BW_EINVAL);
    bw_assert_err(bw_db_device_provision(f.db, "dev-a", NULL, NULL, NULL, 1, 10,
                                         NULL, NULL),
                  BW_EINVAL);
    pair(&p, "a", 1, 2);
    bw_assert_err(bw_db_device_provision(f.db, "dev a", NULL, NULL, p.it, 2, 10,
                                         NULL, &refused),
                  BW_EMALFORMED);
    assert_int_equal(refused, 2);
    assert_int_equal(count("SELECT count(*) FROM devices"), 0);
    assert_int_equal(count("SELECT count(*) FROM credentials"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_both_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_second_leaves_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_known_device_unchanged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_up_front, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
