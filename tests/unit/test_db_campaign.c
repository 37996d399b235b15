/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Campaigns in the store (server/db/db_campaign.h): which devices a new
 * campaign targets (model, versions, tags, endpoints), skipped devices,
 * batches and order, guarded state changes with their history, counts,
 * listing, reported versions and auto-upgrade enrolment, input rules.
 * A real SQLite file per test (test_db_fixture.h).
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

#include "db_campaign.h"

#define FW_SIM   "00112233445566aa"
#define FW_OTHER "00112233445566bb"

/* A firmware row, written behind the API (the repository's own calls
 * are not this file's subject). */
static void add_fw(dbfx_t *f, const char *id, const char *model,
                   const char *version)
{
    sqlite3 *c = dbfx_raw(f);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO firmware (id, model, version, security_counter, "
             "size, sha256, key_hash, image, uploaded_at, uploaded_by) VALUES "
             "('%s', '%s', '%s', 1, 4, randomblob(32), randomblob(32), "
             "x'00010203', 1000, 'test')",
             id, model, version);
    assert_int_equal(dbfx_exec(c, sql), SQLITE_OK);
    sqlite3_close(c);
}

static void add_dev(dbfx_t *f, const char *ep, const char *model,
                    const char *tags, const char *version)
{
    bw_assert_err(bw_db_device_add(f->db, ep, model, tags, 1000, NULL), 0);
    if (version != NULL)
        bw_assert_err(
            bw_db_campaign_fw_reported(f->db, ep, version, 1500, NULL), 0);
}

/* The fleet most tests use: model sim (a1..a6) and other (b1). */
static void fleet(dbfx_t *f)
{
    dbfx_init(f);
    dbfx_open(f);
    add_fw(f, FW_SIM, "sim", "2.0.0");
    add_fw(f, FW_OTHER, "other", "9.0");
    add_dev(f, "a1", "sim", "eu,beta", "1.0.0");
    add_dev(f, "a2", "sim", "eu", "1.0.0");
    add_dev(f, "a3", "sim", "us beta", "1.1.0");
    add_dev(f, "a4", "sim", "eu, beta", "2.0.0"); /* already there */
    add_dev(f, "a5", "sim", "", NULL);            /* never reported */
    add_dev(f, "a6", "sim", "beta-eu", "1.0.0");
    add_dev(f, "b1", "other", "eu,beta", "1.0.0");
}

static bw_db_campaign_spec_t spec_of(const char *fw)
{
    bw_db_campaign_spec_t s = {
        .name = "rollout",
        .firmware_id = fw,
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
    char ep[64][BW_DB_ENDPOINT_MAX + 1];
    bw_db_cdev_state_t st[64];
    unsigned batch[64];
} devs_t;

static int collect(void *arg, const bw_db_cdev_t *d)
{
    devs_t *v = arg;
    assert_true(v->n < 64);
    snprintf(v->ep[v->n], sizeof v->ep[0], "%s", d->endpoint);
    v->st[v->n] = d->state;
    v->batch[v->n] = d->batch;
    v->n++;
    return 0;
}

/* The endpoints of a campaign, sorted, joined by spaces. */
static void targets(dbfx_t *f, int64_t id, char *out, size_t cap)
{
    devs_t v = {0};
    bw_assert_err(bw_db_campaign_devices(f->db, id, collect, &v), 0);
    qsort(v.ep, v.n, sizeof v.ep[0],
          (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    for (size_t i = 0; i < v.n; i++) {
        strncat(out, v.ep[i], cap - strlen(out) - 1);
        if (i + 1 < v.n)
            strncat(out, " ", cap - strlen(out) - 1);
    }
}

static int64_t create_ok(dbfx_t *f, const bw_db_campaign_spec_t *s,
                         uint64_t want_targets)
{
    int64_t id = 0;
    uint64_t n = 0;
    bw_assert_err(bw_db_campaign_create(f->db, s, 2000, &id, &n), 0);
    assert_true(id > 0);
    assert_int_equal(n, want_targets);
    return id;
}

/* Tried: selectors: the image's model by default; versions; tags (as
 * separated words: "beta-eu" is not "beta"); endpoints (b1 is another
 * model); an explicit other model.
 * Must hold: exactly the matching devices; a device at the target
 * version is skipped ("already at 2.0.0"), the others pending; a
 * device that never reported a version matches only without versions;
 * the counts add up. */
static void test_selection(void **state)
{
    (void)state;
    dbfx_t f;
    fleet(&f);
    char got[512];
    bw_db_campaign_spec_t s = spec_of(FW_SIM);
    int64_t id = create_ok(&f, &s, 6);
    targets(&f, id, got, sizeof got);
    assert_string_equal(got, "a1 a2 a3 a4 a5 a6");
    bw_db_campaign_t c;
    bw_assert_err(bw_db_campaign_get(f.db, id, &c), 0);
    assert_int_equal(c.counts[BW_DB_CDEV_PENDING], 5);
    assert_int_equal(c.counts[BW_DB_CDEV_SKIPPED], 1);
    assert_int_equal(c.total, 6);
    assert_string_equal(c.model, "sim");
    assert_string_equal(c.version, "2.0.0");
    assert_int_equal(c.state, BW_DB_CAMP_RUNNING);
    assert_int_equal(c.current_batch, 1);
    bw_db_cdev_t d;
    bw_assert_err(bw_db_campaign_device_get(f.db, id, "a4", &d), 0);
    assert_int_equal(d.state, BW_DB_CDEV_SKIPPED);
    assert_string_equal(d.detail, "already at 2.0.0");

    static const char *const versions[] = {"1.0.0"};
    s = spec_of(FW_SIM);
    s.selector.versions = versions;
    s.selector.n_versions = 1;
    targets(&f, create_ok(&f, &s, 3), got, sizeof got);
    assert_string_equal(got, "a1 a2 a6");

    static const char *const tags[] = {"eu", "beta"};
    s = spec_of(FW_SIM);
    s.selector.tags = tags;
    s.selector.n_tags = 2;
    targets(&f, create_ok(&f, &s, 2), got, sizeof got);
    assert_string_equal(got, "a1 a4");

    static const char *const eps[] = {"a3", "a1", "b1"};
    s = spec_of(FW_SIM);
    s.selector.endpoints = eps;
    s.selector.n_endpoints = 3;
    targets(&f, create_ok(&f, &s, 2), got, sizeof got);
    assert_string_equal(got, "a1 a3");

    s = spec_of(FW_SIM);
    s.selector.model = "sim";
    targets(&f, create_ok(&f, &s, 6), got, sizeof got);
    assert_string_equal(got, "a1 a2 a3 a4 a5 a6");
    dbfx_done(&f);
}

/* Tried: a selector nothing matches; an unknown firmware id; a selector
 * naming another model than the image's (devices of model "other"
 * exist, and would all refuse the image).
 * Must hold: BW_ENOMATCH, BW_ENOTFOUND and BW_ETYPE, *id 0, and no
 * campaign row left behind (the transaction rolled back). */
static void test_nothing_to_do(void **state)
{
    (void)state;
    dbfx_t f;
    fleet(&f);
    static const char *const tags[] = {"asia"};
    bw_db_campaign_spec_t s = spec_of(FW_SIM);
    s.selector.tags = tags;
    s.selector.n_tags = 1;
    int64_t id = 99;
    bw_assert_err(bw_db_campaign_create(f.db, &s, 2000, &id, NULL),
                  BW_ENOMATCH);
    assert_int_equal(id, 0);
    s = spec_of("0123456789abcdef");
    bw_assert_err(bw_db_campaign_create(f.db, &s, 2000, &id, NULL),
                  BW_ENOTFOUND);
    s = spec_of(FW_SIM);
    s.selector.model = "other";
    bw_assert_err(bw_db_campaign_create(f.db, &s, 2000, &id, NULL), BW_ETYPE);
    assert_int_equal(id, 0);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM campaigns"), 0);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM campaign_devices"), 0);
    sqlite3_close(c);
    dbfx_done(&f);
}

/* Tried: every input rule of creation, one at a time.
 * Must hold: the documented code for each; nothing stored. */
static void test_input_rules(void **state)
{
    (void)state;
    dbfx_t f;
    fleet(&f);
    int64_t id;
    bw_db_campaign_spec_t s;
#define BAD(expr, code)                                                        \
    do {                                                                       \
        s = spec_of(FW_SIM);                                                   \
        expr;                                                                  \
        bw_assert_err(bw_db_campaign_create(f.db, &s, 2000, &id, NULL), code); \
    } while (0)
    BAD(s.name = "", BW_EMALFORMED);
    BAD(s.name = "a\nb", BW_EMALFORMED);
    BAD(s.firmware_id = "00112233445566AA", BW_EMALFORMED);
    BAD(s.firmware_id = "0011223344", BW_EMALFORMED);
    BAD((s.batches[0] = 50, s.batches[1] = 40, s.batches[2] = 100,
         s.n_batches = 3),
        BW_ERANGE);
    BAD((s.batches[0] = 10, s.batches[1] = 90, s.n_batches = 2), BW_ERANGE);
    BAD((s.batches[0] = 0, s.batches[1] = 100, s.n_batches = 2), BW_ERANGE);
    BAD(s.n_batches = 0, BW_ERANGE);
    BAD(s.max_concurrent = 0, BW_ERANGE);
    BAD(s.threshold_bp = 10001, BW_ERANGE);
    BAD(s.window_start = 60, BW_ERANGE);
    BAD((s.window_start = 60, s.window_end = 60), BW_ERANGE);
    BAD((s.window_start = 60, s.window_end = 1440), BW_ERANGE);
    static const char *const bad_ep[] = {"a 1"};
    BAD((s.selector.endpoints = bad_ep, s.selector.n_endpoints = 1),
        BW_EMALFORMED);
    static const char *const bad_tag[] = {"eu,beta"};
    BAD((s.selector.tags = bad_tag, s.selector.n_tags = 1), BW_EMALFORMED);
    static const char *const empty[] = {""};
    BAD((s.selector.versions = empty, s.selector.n_versions = 1),
        BW_EMALFORMED);
    BAD(s.selector.n_versions = 1, BW_EINVAL);
#undef BAD
    s = spec_of(FW_SIM);
    bw_assert_err(bw_db_campaign_create(NULL, &s, 2000, &id, NULL), BW_EINVAL);
    bw_assert_err(bw_db_campaign_create(f.db, NULL, 2000, &id, NULL),
                  BW_EINVAL);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM campaigns"), 0);
    sqlite3_close(c);
    dbfx_done(&f);
}

/* Tried: 20 devices, batches [10,100]; the same seed twice and another
 * seed.
 * Must hold: 2 devices in batch 1 and 18 in batch 2, listed by batch;
 * the same seed gives the same order, another seed a different one. */
static void test_batches_and_order(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    add_fw(&f, FW_SIM, "sim", "2.0.0");
    for (int i = 1; i <= 20; i++) {
        char ep[16];
        snprintf(ep, sizeof ep, "dev-%02d", i);
        add_dev(&f, ep, "sim", NULL, "1.0.0");
    }
    bw_db_campaign_spec_t s = spec_of(FW_SIM);
    s.batches[0] = 10;
    s.batches[1] = 100;
    s.n_batches = 2;
    devs_t v1 = {0}, v2 = {0}, v3 = {0};
    bw_assert_err(
        bw_db_campaign_devices(f.db, create_ok(&f, &s, 20), collect, &v1), 0);
    bw_assert_err(
        bw_db_campaign_devices(f.db, create_ok(&f, &s, 20), collect, &v2), 0);
    s.seed = 8;
    bw_assert_err(
        bw_db_campaign_devices(f.db, create_ok(&f, &s, 20), collect, &v3), 0);
    assert_int_equal(v1.n, 20);
    for (size_t i = 0; i < 20; i++) {
        assert_int_equal(v1.batch[i], i < 2 ? 1 : 2);
        assert_string_equal(v1.ep[i], v2.ep[i]);
    }
    int differ = 0;
    for (size_t i = 0; i < 20; i++)
        differ |= strcmp(v1.ep[i], v3.ep[i]) != 0;
    assert_true(differ);
    dbfx_done(&f);
}

typedef struct {
    size_t n;
    char state[8][16];
    char detail[8][96];
} hist_t;

static int hist(void *arg, const bw_db_cevent_t *e)
{
    hist_t *h = arg;
    assert_true(h->n < 8);
    snprintf(h->state[h->n], sizeof h->state[0], "%s", e->state);
    snprintf(h->detail[h->n], sizeof h->detail[0], "%s", e->detail);
    h->n++;
    return 0;
}

/* Tried: a device through pending -> downloading -> failed; a change
 * from a state the device is not in; a campaign change from the wrong
 * state together with a device change; halting with a reason.
 * Must hold: started_at is set on downloading; the stale change is not
 * applied and leaves no history; the wrong campaign state gives
 * BW_ESTATE and applies nothing, the device change included; the
 * history lists pending, downloading, failed in order; counts follow;
 * the halt reason and batch are stored. */
static void test_changes_and_history(void **state)
{
    (void)state;
    dbfx_t f;
    fleet(&f);
    bw_db_campaign_spec_t s = spec_of(FW_SIM);
    int64_t id = create_ok(&f, &s, 6);
    bw_db_cdev_t d;
    bw_assert_err(bw_db_campaign_device_get(f.db, id, "a1", &d), 0);
    assert_int_equal(d.state, BW_DB_CDEV_PENDING);
    assert_int_equal(d.started_ms, 0);

    bw_db_cdev_change_t ch = {
        d.device_id, BW_DB_CDEV_PENDING, BW_DB_CDEV_DOWNLOADING,
        -1,          "write /5/0/1",     0};
    bw_assert_err(bw_db_campaign_apply(f.db, id, NULL, &ch, 1, 3000), 0);
    assert_true(ch.applied);
    bw_assert_err(bw_db_campaign_device_get(f.db, id, "a1", &d), 0);
    assert_int_equal(d.state, BW_DB_CDEV_DOWNLOADING);
    assert_int_equal(d.started_ms, 3000);

    ch = (bw_db_cdev_change_t){
        d.device_id, BW_DB_CDEV_UPDATING, BW_DB_CDEV_SUCCEEDED, 1, "stale", 0};
    bw_assert_err(bw_db_campaign_apply(f.db, id, NULL, &ch, 1, 3500), 0);
    assert_false(ch.applied);

    bw_db_camp_change_t cc = {1u << BW_DB_CAMP_PAUSED, BW_DB_CAMP_RUNNING, 0,
                              NULL, "resume"};
    ch = (bw_db_cdev_change_t){d.device_id,       BW_DB_CDEV_DOWNLOADING,
                               BW_DB_CDEV_FAILED, 5,
                               "integrity",       0};
    bw_assert_err(bw_db_campaign_apply(f.db, id, &cc, &ch, 1, 3600), BW_ESTATE);
    assert_false(ch.applied);
    bw_assert_err(bw_db_campaign_device_get(f.db, id, "a1", &d), 0);
    assert_int_equal(d.state, BW_DB_CDEV_DOWNLOADING);

    cc = (bw_db_camp_change_t){1u << BW_DB_CAMP_RUNNING, BW_DB_CAMP_HALTED, 1,
                               "batch 1: 1 of 1 failed", "halted"};
    bw_assert_err(bw_db_campaign_apply(f.db, id, &cc, &ch, 1, 4000), 0);
    assert_true(ch.applied);
    bw_assert_err(bw_db_campaign_device_get(f.db, id, "a1", &d), 0);
    assert_int_equal(d.state, BW_DB_CDEV_FAILED);
    assert_int_equal(d.result, 5);
    assert_string_equal(d.detail, "integrity");
    assert_int_equal(d.updated_ms, 4000);

    hist_t h = {0};
    bw_assert_err(bw_db_campaign_history(f.db, id, "a1", hist, &h), 0);
    assert_int_equal(h.n, 3);
    assert_string_equal(h.state[0], "pending");
    assert_string_equal(h.state[1], "downloading");
    assert_string_equal(h.detail[1], "write /5/0/1");
    assert_string_equal(h.state[2], "failed");

    bw_db_campaign_t c;
    bw_assert_err(bw_db_campaign_get(f.db, id, &c), 0);
    assert_int_equal(c.state, BW_DB_CAMP_HALTED);
    assert_string_equal(c.halt_reason, "batch 1: 1 of 1 failed");
    assert_int_equal(c.counts[BW_DB_CDEV_FAILED], 1);
    assert_int_equal(c.counts[BW_DB_CDEV_PENDING], 4);
    assert_int_equal(c.updated_ms, 4000);

    bw_assert_err(bw_db_campaign_apply(f.db, 999, NULL, NULL, 0, 5000),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_campaign_get(f.db, 999, &c), BW_ENOTFOUND);
    bw_assert_err(bw_db_campaign_device_get(f.db, id, "b1", &d), BW_ENOTFOUND);
    bw_assert_err(bw_db_campaign_history(f.db, id, "no such", hist, &h),
                  BW_EMALFORMED);
    ch.detail = "bad\x01";
    bw_assert_err(bw_db_campaign_apply(f.db, id, NULL, &ch, 1, 5000),
                  BW_EMALFORMED);
    dbfx_done(&f);
}

typedef struct {
    size_t n;
    int64_t ids[8];
} ids_t;

static int collect_id(void *arg, const bw_db_campaign_t *c)
{
    ids_t *v = arg;
    assert_true(v->n < 8);
    v->ids[v->n++] = c->id;
    return 0;
}

static int collect_ref(void *arg, const bw_db_cdev_ref_t *r)
{
    ids_t *v = arg;
    assert_true(v->n < 8);
    v->ids[v->n++] = r->campaign_id;
    assert_string_equal(r->version, "2.0.0");
    return 0;
}

/* Tried: three campaigns listed whole and in pages of two; a device in
 * flight in two of them.
 * Must hold: id order, paging after the last id; in_flight finds
 * exactly the two campaigns where the device downloads or updates. */
static void test_list_and_in_flight(void **state)
{
    (void)state;
    dbfx_t f;
    fleet(&f);
    bw_db_campaign_spec_t s = spec_of(FW_SIM);
    int64_t a = create_ok(&f, &s, 6), b = create_ok(&f, &s, 6),
            c = create_ok(&f, &s, 6);
    ids_t v = {0};
    bw_assert_err(bw_db_campaign_list(f.db, 0, 10, collect_id, &v), 0);
    assert_int_equal(v.n, 3);
    assert_true(v.ids[0] == a && v.ids[1] == b && v.ids[2] == c);
    v.n = 0;
    bw_assert_err(bw_db_campaign_list(f.db, a, 2, collect_id, &v), 0);
    assert_int_equal(v.n, 2);
    assert_true(v.ids[0] == b && v.ids[1] == c);
    bw_assert_err(bw_db_campaign_list(f.db, 0, 0, collect_id, &v), BW_ERANGE);

    bw_db_cdev_t d;
    bw_assert_err(bw_db_campaign_device_get(f.db, a, "a2", &d), 0);
    bw_db_cdev_change_t ch[2] = {
        {d.device_id, BW_DB_CDEV_PENDING, BW_DB_CDEV_DOWNLOADING, -1, "", 0},
        {d.device_id, BW_DB_CDEV_DOWNLOADING, BW_DB_CDEV_UPDATING, -1, "", 0},
    };
    bw_assert_err(bw_db_campaign_apply(f.db, a, NULL, ch, 2, 3000), 0);
    assert_true(ch[0].applied && ch[1].applied);
    bw_assert_err(bw_db_campaign_apply(f.db, c, NULL, ch, 1, 3000), 0);
    v.n = 0;
    bw_assert_err(bw_db_campaign_in_flight(f.db, "a2", collect_ref, &v), 0);
    assert_int_equal(v.n, 2);
    assert_true(v.ids[0] == a && v.ids[1] == c);
    v.n = 0;
    bw_assert_err(bw_db_campaign_in_flight(f.db, "a1", collect_ref, &v), 0);
    assert_int_equal(v.n, 0);
    dbfx_done(&f);
}

/* Tried: reported versions: stored in devices.fw_version; a completed
 * auto-upgrade campaign and a device added after it (older version, a
 * newer one, another model, reporting twice); the same without
 * auto_upgrade.
 * Must hold: the older device is enrolled once, pending, in the last
 * batch, with an "enrolled" history row; the newer one, the other model
 * and the campaign without auto_upgrade never enrol it; bad versions
 * are refused with BW_EMALFORMED, unknown devices with BW_ENOTFOUND. */
static void test_fw_reported_and_enrolment(void **state)
{
    (void)state;
    dbfx_t f;
    fleet(&f);
    bw_db_campaign_spec_t s = spec_of(FW_SIM);
    s.batches[0] = 50;
    s.batches[1] = 100;
    s.n_batches = 2;
    s.auto_upgrade = 1;
    int64_t id = create_ok(&f, &s, 6);
    s.auto_upgrade = 0;
    int64_t plain = create_ok(&f, &s, 6);
    bw_db_camp_change_t cc = {1u << BW_DB_CAMP_RUNNING, BW_DB_CAMP_COMPLETED, 2,
                              NULL, "completed"};
    bw_assert_err(bw_db_campaign_apply(f.db, id, &cc, NULL, 0, 3000), 0);
    bw_assert_err(bw_db_campaign_apply(f.db, plain, &cc, NULL, 0, 3000), 0);

    add_dev(&f, "late-old", "sim", NULL, NULL);
    add_dev(&f, "late-new", "sim", NULL, NULL);
    add_dev(&f, "late-b", "other", NULL, NULL);
    uint64_t n = 9;
    bw_assert_err(
        bw_db_campaign_fw_reported(f.db, "late-new", "2.0.10", 4000, &n), 0);
    assert_int_equal(n, 0);
    bw_assert_err(bw_db_campaign_fw_reported(f.db, "late-b", "1.0.0", 4000, &n),
                  0);
    assert_int_equal(n, 0);
    bw_assert_err(
        bw_db_campaign_fw_reported(f.db, "late-old", "1.9.9", 4000, &n), 0);
    assert_int_equal(n, 1);
    bw_assert_err(
        bw_db_campaign_fw_reported(f.db, "late-old", "1.9.9", 4100, &n), 0);
    assert_int_equal(n, 0);

    bw_db_cdev_t d;
    bw_assert_err(bw_db_campaign_device_get(f.db, id, "late-old", &d), 0);
    assert_int_equal(d.state, BW_DB_CDEV_PENDING);
    assert_int_equal(d.batch, 2);
    hist_t h = {0};
    bw_assert_err(bw_db_campaign_history(f.db, id, "late-old", hist, &h), 0);
    assert_int_equal(h.n, 1);
    assert_non_null(strstr(h.detail[0], "enrolled"));
    bw_assert_err(bw_db_campaign_device_get(f.db, plain, "late-old", &d),
                  BW_ENOTFOUND);
    bw_assert_err(bw_db_campaign_device_get(f.db, id, "late-new", &d),
                  BW_ENOTFOUND);

    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT fw_seen_at FROM devices WHERE "
                                 "endpoint = 'late-old'"),
                     4100);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM devices WHERE "
                                 "endpoint = 'late-new' AND fw_version = "
                                 "'2.0.10'"),
                     1);
    sqlite3_close(c);

    bw_assert_err(bw_db_campaign_fw_reported(f.db, "a1", "", 5000, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_campaign_fw_reported(f.db, "a1", "1\n2", 5000, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_campaign_fw_reported(f.db, "zz", "1.0", 5000, NULL),
                  BW_ENOTFOUND);
    dbfx_done(&f);
}

/* Tried: version order and selector matching on their own.
 * Must hold: numeric runs compare as numbers (1.10 > 1.9, 01 == 1),
 * text byte-wise; tags are whole words separated by commas or spaces. */
static void test_version_and_match(void **state)
{
    (void)state;
    assert_true(bw_db_version_cmp("1.10.0", "1.9.0") > 0);
    assert_true(bw_db_version_cmp("1.9", "1.10") < 0);
    assert_int_equal(bw_db_version_cmp("1.01", "1.1"), 0);
    assert_true(bw_db_version_cmp("1.0", "1.0.1") < 0);
    assert_true(bw_db_version_cmp("1.0-rc1", "1.0-rc2") < 0);
    assert_int_equal(bw_db_version_cmp("abc", "abc"), 0);
    static const char *const tags[] = {"beta"};
    bw_db_selector_t sel = {.model = "m", .tags = tags, .n_tags = 1};
    assert_true(bw_db_selector_match(&sel, "m", "eu, beta", NULL, "e"));
    assert_true(bw_db_selector_match(&sel, "m", "beta", NULL, "e"));
    assert_false(bw_db_selector_match(&sel, "m", "beta-eu", NULL, "e"));
    assert_false(bw_db_selector_match(&sel, "n", "beta", NULL, "e"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_nothing_to_do),
        cmocka_unit_test(test_input_rules),
        cmocka_unit_test(test_batches_and_order),
        cmocka_unit_test(test_changes_and_history),
        cmocka_unit_test(test_list_and_in_flight),
        cmocka_unit_test(test_fw_reported_and_enrolment),
        cmocka_unit_test(test_version_and_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
