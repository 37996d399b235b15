/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How a campaign delivers its image, in the store (db_campaign.h,
 * bw_db_delivery_t; schema 8, campaigns.delivery): pull by default, push
 * when asked, kept across reads and listing, refused out of range, and a
 * campaign written before migration 8 read back as pull.  A real SQLite
 * file per test (test_db_fixture.h).
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

#include "db_campaign.h"

#define FW "00112233445566aa"

static void add_fw(dbfx_t *f)
{
    sqlite3 *c = dbfx_raw(f);
    assert_int_equal(
        dbfx_exec(c, "INSERT INTO firmware (id, model, version, "
                     "security_counter, size, sha256, key_hash, image, "
                     "uploaded_at, uploaded_by) VALUES ('" FW "', 'sim', "
                     "'2.0.0', 1, 4, randomblob(32), randomblob(32), "
                     "x'00010203', 1000, 'test')"),
        SQLITE_OK);
    sqlite3_close(c);
}

static bw_db_campaign_spec_t spec(void)
{
    bw_db_campaign_spec_t s = {
        .name = "rollout",
        .firmware_id = FW,
        .batches = {100},
        .n_batches = 1,
        .max_concurrent = 10,
        .threshold_bp = 100,
        .window_start = -1,
        .window_end = -1,
        .created_by = "test",
        .seed = 7,
    };
    return s;
}

typedef struct {
    size_t n;
    bw_db_delivery_t d[4];
} listed_t;

static int collect(void *arg, const bw_db_campaign_t *c)
{
    listed_t *l = arg;
    assert_true(l->n < 4);
    l->d[l->n++] = c->delivery;
    return 0;
}

/*
 * Tried: a campaign from a spec that leaves delivery zero, one with
 * BW_DB_DELIVERY_PUSH, one with the value 2 (no such delivery); the
 * names and their parsing.
 * Must hold: the first reads back as pull and the second as push, by id
 * and in the list, and the column holds 'pull' and 'push'; the third is
 * BW_ERANGE with nothing created; names are "pull" and "push", parsing
 * is their inverse and anything else (or NULL) is -1.
 */
static void test_delivery_stored(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    add_fw(&f);
    bw_assert_err(bw_db_device_add(f.db, "a1", "sim", "", 1000, NULL), 0);
    bw_db_campaign_spec_t s = spec();
    int64_t pull_id = 0, push_id = 0, bad_id = 9;
    bw_assert_err(bw_db_campaign_create(f.db, &s, 2000, &pull_id, NULL), 0);
    s.delivery = BW_DB_DELIVERY_PUSH;
    bw_assert_err(bw_db_campaign_create(f.db, &s, 2000, &push_id, NULL), 0);
    s.delivery = (bw_db_delivery_t)2;
    bw_assert_err(bw_db_campaign_create(f.db, &s, 2000, &bad_id, NULL),
                  BW_ERANGE);
    assert_int_equal(bad_id, 0);

    bw_db_campaign_t c;
    bw_assert_err(bw_db_campaign_get(f.db, pull_id, &c), 0);
    assert_int_equal(c.delivery, BW_DB_DELIVERY_PULL);
    bw_assert_err(bw_db_campaign_get(f.db, push_id, &c), 0);
    assert_int_equal(c.delivery, BW_DB_DELIVERY_PUSH);
    listed_t l = {0};
    bw_assert_err(bw_db_campaign_list(f.db, 0, 10, collect, &l), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.d[0], BW_DB_DELIVERY_PULL);
    assert_int_equal(l.d[1], BW_DB_DELIVERY_PUSH);
    sqlite3 *raw = dbfx_raw(&f);
    assert_int_equal(dbfx_int(raw, "SELECT COUNT(*) FROM campaigns WHERE "
                                   "delivery = 'push'"),
                     1);
    assert_int_equal(dbfx_int(raw, "SELECT COUNT(*) FROM campaigns WHERE "
                                   "delivery = 'pull'"),
                     1);
    sqlite3_close(raw);

    assert_string_equal(bw_db_delivery_name(BW_DB_DELIVERY_PULL), "pull");
    assert_string_equal(bw_db_delivery_name(BW_DB_DELIVERY_PUSH), "push");
    assert_null(bw_db_delivery_name(BW_DB_DELIVERY_COUNT_));
    assert_int_equal(bw_db_delivery_parse("pull"), BW_DB_DELIVERY_PULL);
    assert_int_equal(bw_db_delivery_parse("push"), BW_DB_DELIVERY_PUSH);
    assert_int_equal(bw_db_delivery_parse("PUSH"), -1);
    assert_int_equal(bw_db_delivery_parse(""), -1);
    assert_int_equal(bw_db_delivery_parse(NULL), -1);
    dbfx_done(&f);
}

/*
 * Tried: a database stopped at schema 7 with a campaign written as the
 * code of that time did (no delivery column), then opened with the
 * latest schema; then a row whose delivery is damaged by hand.
 * Must hold: at 7 there is no delivery column; after the upgrade the old
 * campaign reads back as pull; a value other than 'pull' or 'push' cannot
 * be written (the CHECK of migration 8 refuses it).
 */
static void test_delivery_migration(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 7), 0);
    add_fw(&f);
    sqlite3 *raw = dbfx_raw(&f);
    assert_int_equal(dbfx_int(raw, "SELECT COUNT(*) FROM pragma_table_info("
                                   "'campaigns') WHERE name = 'delivery'"),
                     0);
    assert_int_equal(
        dbfx_exec(raw, "INSERT INTO campaigns (name, firmware_id, selector, "
                       "batches, max_concurrent, failure_threshold_bp, "
                       "auto_upgrade, state, current_batch, created_by, "
                       "created_at, updated_at) VALUES ('old', '" FW "', "
                       "'model=sim\n', '100', 10, 100, 0, 'running', 1, "
                       "'test', 1000, 1000)"),
        SQLITE_OK);
    sqlite3_close(raw);
    dbfx_close(&f);

    dbfx_open(&f);
    bw_db_campaign_t c;
    bw_assert_err(bw_db_campaign_get(f.db, 1, &c), 0);
    assert_string_equal(c.name, "old");
    assert_int_equal(c.delivery, BW_DB_DELIVERY_PULL);
    raw = dbfx_raw(&f);
    assert_int_not_equal(
        dbfx_exec(raw,
                  "UPDATE campaigns SET delivery = 'carrier' WHERE id = 1"),
        SQLITE_OK);
    sqlite3_close(raw);
    bw_assert_err(bw_db_campaign_get(f.db, 1, &c), 0);
    assert_int_equal(c.delivery, BW_DB_DELIVERY_PULL);
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivery_stored),
        cmocka_unit_test(test_delivery_migration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
