/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Deleting a device with everything it owns (server/db/db.h,
 * bw_db_device_purge) and removing its own bootstrap configuration
 * (bw_db_bootstrap_delete), on a real SQLite file.  The rows a device
 * owns are found by walking the schema itself (every table with a
 * device_id or an endpoint column), so a table added later is checked
 * without touching this test.
 */
#define _GNU_SOURCE
#include "db_campaign.h"
#include "test_db_fixture.h"

DBFX_PER_TEST
static unsigned seed;

static void run(sqlite3 *c, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(c, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
}

/* A device with a row in every table that can hold one of it: two
 * credentials, a bootstrap configuration, a stored registration, a
 * queued request, telemetry, a campaign membership with its history. */
static int64_t full_device(const char *ep, int64_t campaign)
{
    int64_t id = 0;
    bw_assert_err(bw_db_device_add(f.db, ep, "m", NULL, 1, &id), 0);
    char ident[32];
    uint8_t psk[32];
    for (int p = 0; p < 2; p++) {
        snprintf(ident, sizeof ident, "%s-%u", p ? "dm" : "fac", ++seed);
        dbfx_psk(psk, sizeof psk, seed);
        bw_assert_err(
            bw_db_psk_import_for(f.db, ep,
                                 p ? BW_DB_PURPOSE_DM : BW_DB_PURPOSE_BOOTSTRAP,
                                 (const uint8_t *)ident, strlen(ident), psk,
                                 sizeof psk, BW_DB_CRED_ACTIVE, 2, NULL),
            0);
    }
    /* With an additional DM server (schema 14's bootstrap_servers). */
    bw_db_bootstrap_t bc = {.server_uri = "coaps://dm:5684",
                            .lifetime_s = 30,
                            .binding = "UQ",
                            .n_servers = 1,
                            .servers = {{.uri = "coaps://dm2:5684",
                                         .ssid = 2,
                                         .lifetime_s = 60,
                                         .binding = "U",
                                         .psk_identity = "x-1",
                                         .psk_len = 32,
                                         .access = "/3/0=R"}}};
    snprintf(bc.servers[0].psk_identity, sizeof bc.servers[0].psk_identity,
             "x-%u", ++seed);
    dbfx_psk(bc.servers[0].psk, 32, seed);
    bw_assert_err(bw_db_bootstrap_set(f.db, ep, &bc, 3), 0);
    dbfx_register(f.db, ep, 60, "</3/0>", 4);
    bw_assert_err(bw_db_request_enqueue(f.db, ep, BW_DB_OP_READ, "/3/0", NULL,
                                        0, 5, 100000, NULL),
                  0);
    sqlite3 *c = dbfx_raw(&f);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO telemetry (device_id, path, sampled_at, kind, "
             "value_num, received_at) VALUES (%lld, '/3303/0/5700', 6, "
             "'number', 21.5, 6), (%lld, '/3303/0/5700', 7, 'number', 21.6, 7);"
             "INSERT INTO campaign_devices (campaign_id, device_id, batch, "
             "state, result, detail, updated_at) VALUES (%lld, %lld, 1, "
             "'downloading', 0, '', 8);"
             "INSERT INTO campaign_events (campaign_id, device_id, at, state, "
             "detail) VALUES (%lld, %lld, 8, 'downloading', '')",
             (long long)id, (long long)id, (long long)campaign, (long long)id,
             (long long)campaign, (long long)id);
    run(c, sql);
    sqlite3_close(c);
    return id;
}

static int64_t campaign(void)
{
    sqlite3 *c = dbfx_raw(&f);
    run(c, "INSERT INTO firmware (id, model, version, security_counter, size, "
           "sha256, key_hash, image, uploaded_at, uploaded_by) VALUES "
           "('0011223344556677', 'm', '2.0.0', 2, 1, x'00', x'00', x'00', 1, "
           "'api:ops');"
           "INSERT INTO campaigns (name, firmware_id, selector, batches, "
           "max_concurrent, failure_threshold_bp, auto_upgrade, state, "
           "current_batch, created_by, created_at, updated_at) VALUES "
           "('c', '0011223344556677', 'model=m', '100', 10, 100, 0, 'running', "
           "1, 'api:ops', 1, 1)");
    long long id = dbfx_int(c, "SELECT max(id) FROM campaigns");
    sqlite3_close(c);
    return id;
}

/* Rows of the device (id, endpoint) in every table of the schema that
 * has a device_id or an endpoint column; *tables gets how many tables
 * have such a column.  The audit log is not counted: it keeps entries. */
static long long owned_rows(int64_t id, const char *ep, int *tables,
                            long long per_table[32], char names[32][40])
{
    sqlite3 *c = dbfx_raw(&f);
    sqlite3_stmt *t;
    assert_int_equal(sqlite3_prepare_v2(c,
                                        "SELECT name FROM sqlite_master WHERE "
                                        "type = 'table' AND name <> "
                                        "'audit_log' ORDER BY name",
                                        -1, &t, NULL),
                     SQLITE_OK);
    long long total = 0;
    int n = 0;
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(t, 0);
        char sql[256];
        const char *col = NULL;
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM pragma_table_info('%s') WHERE name = "
                 "'device_id'",
                 name);
        if (dbfx_int(c, sql) > 0)
            col = "device_id";
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM pragma_table_info('%s') WHERE name = "
                 "'endpoint'",
                 name);
        if (col == NULL && dbfx_int(c, sql) > 0)
            col = "endpoint";
        if (strcmp(name, "devices") == 0)
            col = "id";
        if (col == NULL)
            continue;
        if (strcmp(col, "endpoint") == 0)
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM %s WHERE endpoint = '%s'", name, ep);
        else
            snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s = %lld",
                     name, col, (long long)id);
        assert_true(n < 32);
        per_table[n] = dbfx_int(c, sql);
        snprintf(names[n], 40, "%s", name);
        total += per_table[n++];
    }
    sqlite3_finalize(t);
    sqlite3_close(c);
    *tables = n;
    return total;
}

static long long count(const char *sql)
{
    sqlite3 *c = dbfx_raw(&f);
    long long n = dbfx_int(c, sql);
    sqlite3_close(c);
    return n;
}

typedef struct {
    size_t n;
    char ep[4][BW_DB_ENDPOINT_MAX + 1];
} eps_t;

static int collect_cdev(void *arg, const bw_db_cdev_t *d)
{
    eps_t *e = arg;
    if (e->n < 4)
        snprintf(e->ep[e->n++], sizeof e->ep[0], "%s", d->endpoint);
    return 0;
}

/* Tried: a device with a row in every table that refers to devices, a
 * second such device, both in one running campaign; the first one
 * purged.  Must hold: before, every such table holds a row of it; after,
 * none does, and the counts returned match; the other device keeps
 * every row; one audit entry "device-deleted" with the actor and the
 * counts, and the earlier audit entries about it kept; the campaign
 * still reads, lists the other device only, and a state change for the
 * vanished device is applied to nothing without an error. */
static void test_purge_every_table(void **state)
{
    (void)state;
    int64_t camp = campaign();
    int64_t a = full_device("dev-a", camp);
    int64_t b = full_device("dev-b", camp);
    bw_assert_err(bw_db_audit_append(f.db, 9, "api:ops", "provisioned", "dev-a",
                                     NULL, NULL),
                  0);
    long long per[32], per_b[32];
    char names[32][40];
    int tables = 0, tables_b = 0;
    long long before = owned_rows(a, "dev-a", &tables, per, names);
    long long before_b = owned_rows(b, "dev-b", &tables_b, per_b, names);
    assert_true(tables >= 8);
    for (int i = 0; i < tables; i++)
        if (per[i] == 0)
            fail_msg("table %s holds no row of the device before", names[i]);

    bw_db_purged_t p;
    bw_assert_err(bw_db_device_purge(f.db, "dev-a", 10, "api:admin", &p), 0);
    assert_int_equal(p.credentials, 2);
    assert_int_equal(p.queued_requests, 1);
    assert_int_equal(p.telemetry, 2);
    assert_int_equal(p.campaigns, 1);
    assert_int_equal(p.campaign_events, 1);
    assert_int_equal(p.bootstrap_config, 1);
    assert_int_equal(p.registration, 1);
    /* Every row counted: credentials, requests, telemetry, memberships,
     * events, the configuration with its additional server, the
     * registration and the device. */
    assert_int_equal(before, 2 + 1 + 2 + 1 + 1 + 1 + 1 + 1 + 1);

    long long after = owned_rows(a, "dev-a", &tables, per, names);
    for (int i = 0; i < tables; i++)
        if (per[i] != 0)
            fail_msg("table %s still holds %lld row(s) of the device", names[i],
                     per[i]);
    assert_int_equal(after, 0);
    assert_int_equal(owned_rows(b, "dev-b", &tables_b, per_b, names), before_b);

    assert_int_equal(
        count("SELECT count(*) FROM audit_log WHERE action = "
              "'device-deleted' AND actor = 'api:admin' AND "
              "subject = 'dev-a' AND detail LIKE '2 credential(s), "
              "its registration, its bootstrap configuration, 1 "
              "queued request(s), 2 telemetry value(s), 1 "
              "campaign membership(s)%'"),
        1);
    assert_int_equal(count("SELECT count(*) FROM audit_log WHERE action = "
                           "'provisioned' AND subject = 'dev-a'"),
                     1);

    static bw_db_campaign_t c;
    bw_assert_err(bw_db_campaign_get(f.db, camp, &c), 0);
    assert_int_equal(c.total, 1);
    assert_int_equal(c.counts[BW_DB_CDEV_DOWNLOADING], 1);
    eps_t e = {0};
    bw_assert_err(bw_db_campaign_devices(f.db, camp, collect_cdev, &e), 0);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.ep[0], "dev-b");
    bw_db_cdev_change_t ch = {
        a, BW_DB_CDEV_DOWNLOADING, BW_DB_CDEV_FAILED, 9, "gone", 1};
    bw_assert_err(bw_db_campaign_apply(f.db, camp, NULL, &ch, 1, 11), 0);
    assert_int_equal(ch.applied, 0);
    bw_db_cdev_t d;
    bw_assert_err(bw_db_campaign_device_get(f.db, camp, "dev-a", &d),
                  BW_ENOTFOUND);
}

/* Tried: purging twice, an unknown device, malformed endpoints (an SQL
 * injection among them), a bad actor, NULL arguments, and purging
 * without an actor.  Must hold: the exact code of each with nothing
 * deleted (the table dump is the same before and after); without an
 * actor the device goes and no audit entry is written. */
static void test_purge_input(void **state)
{
    (void)state;
    int64_t camp = campaign();
    (void)full_device("dev-a", camp);
    long long rows = count("SELECT (SELECT count(*) FROM credentials) + "
                           "(SELECT count(*) FROM devices) + (SELECT count(*) "
                           "FROM registrations) + (SELECT count(*) FROM "
                           "telemetry) + (SELECT count(*) FROM audit_log)");
    bw_db_purged_t p;
    bw_assert_err(bw_db_device_purge(f.db, "dev-zz", 1, "api:x", &p),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_device_purge(f.db, "dev-a' OR 1=1 --", 1, "api:x", &p),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_device_purge(f.db, "%", 1, "api:x", &p), BW_EMALFORMED);
    bw_assert_err(bw_db_device_purge(f.db, "", 1, "api:x", &p), BW_EMALFORMED);
    bw_assert_err(bw_db_device_purge(f.db, "dev-a", 1, "api:\x7f", &p),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_device_purge(f.db, NULL, 1, "api:x", &p), BW_EINVAL);
    bw_assert_err(bw_db_device_purge(NULL, "dev-a", 1, "api:x", &p), BW_EINVAL);
    bw_assert_err(bw_db_device_purge(f.db, "dev-a", 1, "api:x", NULL),
                  BW_EINVAL);
    assert_int_equal(p.credentials, 0); /* zeroed on failure */
    assert_int_equal(count("SELECT (SELECT count(*) FROM credentials) + "
                           "(SELECT count(*) FROM devices) + (SELECT count(*) "
                           "FROM registrations) + (SELECT count(*) FROM "
                           "telemetry) + (SELECT count(*) FROM audit_log)"),
                     rows);
    bw_assert_err(bw_db_device_purge(f.db, "dev-a", 1, NULL, &p), 0);
    assert_int_equal(count("SELECT count(*) FROM devices"), 0);
    assert_int_equal(count("SELECT count(*) FROM audit_log"), 0);
    bw_assert_err(bw_db_device_purge(f.db, "dev-a", 1, NULL, &p), BW_ENOTFOUND);
}

/* Tried: removing the bootstrap configuration of a device that has one,
 * of one that has none, of an unknown device, with a malformed endpoint
 * and NULL.  Must hold: the configuration is gone (the get answers
 * BW_ENOTFOUND, so the bootstrap server falls back to its defaults) and
 * *removed says whether there was one; the device and its credentials
 * stay; the exact code of each refusal. */
static void test_bootstrap_delete(void **state)
{
    (void)state;
    bw_assert_err(bw_db_device_add(f.db, "dev-a", "m", NULL, 1, NULL), 0);
    bw_db_bootstrap_t bc = {
        .server_uri = "coaps://dm:5684", .lifetime_s = 30, .binding = "UQ"};
    bw_assert_err(bw_db_bootstrap_set(f.db, "dev-a", &bc, 3), 0);
    int removed = -1;
    bw_assert_err(bw_db_bootstrap_delete(f.db, "dev-a", &removed), 0);
    assert_int_equal(removed, 1);
    bw_db_bootstrap_t got;
    bw_assert_err(bw_db_bootstrap_get(f.db, "dev-a", &got), BW_ENOTFOUND);
    bw_assert_err(bw_db_bootstrap_delete(f.db, "dev-a", &removed), 0);
    assert_int_equal(removed, 0);
    bw_assert_err(bw_db_bootstrap_delete(f.db, "dev-a", NULL), 0);
    assert_int_equal(count("SELECT count(*) FROM devices"), 1);
    removed = -1;
    bw_assert_err(bw_db_bootstrap_delete(f.db, "dev-zz", &removed),
                  BW_ENOTFOUND);
    assert_int_equal(removed, 0);
    bw_assert_err(bw_db_bootstrap_delete(f.db, "dev a", &removed),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_bootstrap_delete(f.db, NULL, &removed), BW_EINVAL);
    bw_assert_err(bw_db_bootstrap_delete(NULL, "dev-a", &removed), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_purge_every_table, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_purge_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_delete, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
