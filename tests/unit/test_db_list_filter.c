/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filtered device walk (bw_db_device_find, bw_db_device_filter_check,
 * bw_db_device_seen in db_list.c): each filter alone and together,
 * keyset paging with a filter, where a walk says it stopped, the tag rule
 * shared with campaign selectors, values that look like SQL or LIKE
 * patterns, the stored last-seen time, and the exact errors.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

#include "db_campaign.h"

#define MAXN 64

typedef struct {
    int n;
    char eps[MAXN][BW_DB_ENDPOINT_MAX + 1];
    int64_t seen[MAXN];
    int stop_at; /* 0: never stop, else BW_DB_FIND_STOP after this many */
} got_t;

static int collect(void *arg, const bw_db_device_row_t *row)
{
    got_t *g = arg;
    if (g->n >= MAXN)
        return BW_ENOSPC;
    snprintf(g->eps[g->n], sizeof g->eps[0], "%s", row->device.endpoint);
    g->seen[g->n] = row->stored_seen_ms;
    g->n++;
    return g->stop_at != 0 && g->n == g->stop_at ? BW_DB_FIND_STOP : 0;
}

/* The endpoints found, joined by spaces, for whole-answer comparisons. */
static const char *joined(const got_t *g)
{
    static char buf[MAXN * (BW_DB_ENDPOINT_MAX + 1) + 1];
    buf[0] = '\0';
    for (int i = 0; i < g->n; i++) {
        if (i > 0)
            strcat(buf, " ");
        strcat(buf, g->eps[i]);
    }
    return buf;
}

static const char *find(dbfx_t *f, const bw_db_device_filter_t *flt)
{
    static got_t g;
    memset(&g, 0, sizeof g);
    bw_db_page_t page;
    bw_assert_err(bw_db_device_find(f->db, flt, NULL, BW_DB_FIND_ROWS_MAX,
                                    collect, &g, &page),
                  0);
    assert_int_equal(page.more, 0);
    return joined(&g);
}

/* A fleet whose names, models and tags cross each other. */
static void fleet(dbfx_t *f)
{
    static const struct {
        const char *ep, *model, *tags;
    } d[] = {
        {"alpha-1", "m1", "eu,roof"},
        {"alpha-2", "m2", "eu basement"},
        {"alpha-3", "m1", "us,roof"},
        {"alphabet", "m1", "eu, roof,spare"},
        {"beta-1", "m1", "eu"},
        {"beta-2", "m2", "roof,eu"},
        {"gamma", "", ""},
        {"al", "m1", "EU,Roof"},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        bw_assert_err(
            bw_db_device_add(f->db, d[i].ep, d[i].model, d[i].tags, 1000, NULL),
            0);
}

/* Tried: each filter alone over a fleet of eight devices: no filter, a
 * prefix, a prefix equal to a whole name, a model, the empty model, one
 * tag, two tags, a tag nobody has.
 * Must hold: exactly the devices the rule names, in endpoint order; a
 * prefix keeps the device named by it and those that extend it, not one
 * sorting just after; "" model keeps the device without one; tags are
 * words between commas, spaces and tabs, compared case-sensitively. */
static void test_each_filter(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    fleet(&f);
    bw_db_device_filter_t none = {0};
    assert_string_equal(find(&f, &none), "al alpha-1 alpha-2 alpha-3 alphabet "
                                         "beta-1 beta-2 gamma");
    bw_db_device_filter_t p = {.prefix = "alpha-"};
    assert_string_equal(find(&f, &p), "alpha-1 alpha-2 alpha-3");
    p.prefix = "alpha";
    assert_string_equal(find(&f, &p), "alpha-1 alpha-2 alpha-3 alphabet");
    p.prefix = "al";
    assert_string_equal(find(&f, &p), "al alpha-1 alpha-2 alpha-3 alphabet");
    p.prefix = "alpha-3";
    assert_string_equal(find(&f, &p), "alpha-3");
    p.prefix = "b";
    assert_string_equal(find(&f, &p), "beta-1 beta-2");
    p.prefix = "zz";
    assert_string_equal(find(&f, &p), "");
    bw_db_device_filter_t m = {.model = "m2"};
    assert_string_equal(find(&f, &m), "alpha-2 beta-2");
    m.model = "";
    assert_string_equal(find(&f, &m), "gamma");
    m.model = "M1"; /* byte-wise */
    assert_string_equal(find(&f, &m), "");
    const char *roof[] = {"roof"};
    bw_db_device_filter_t t = {.tags = roof, .n_tags = 1};
    assert_string_equal(find(&f, &t), "alpha-1 alpha-3 alphabet beta-2");
    const char *eu_roof[] = {"eu", "roof"};
    t.tags = eu_roof;
    t.n_tags = 2;
    assert_string_equal(find(&f, &t), "alpha-1 alphabet beta-2");
    const char *basement[] = {"basement"};
    t.tags = basement;
    t.n_tags = 1;
    assert_string_equal(find(&f, &t), "alpha-2");
    const char *nobody[] = {"attic"};
    t.tags = nobody;
    assert_string_equal(find(&f, &t), "");
    dbfx_done(&f);
}

/* Tried: the filter's tag rule against bw_db_selector_match (the
 * campaign selector's) on tags texts where a substring, another case or
 * a neighbouring word would match a looser rule: "roo", "EU", "oof",
 * "spare", "u".
 * Must hold: for every device and tag, the walk keeps the device exactly
 * when the campaign rule matches it. */
static void test_tag_rule_is_the_selectors(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    fleet(&f);
    static const char *const probes[] = {
        "roof", "roo", "EU", "eu", "oof", "spare", "u", "Roof", "basement"};
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        const char *tag[] = {probes[k]};
        bw_db_device_filter_t t = {.tags = tag, .n_tags = 1};
        char want[512] = "";
        bw_db_device_filter_t all = {0};
        got_t g = {0};
        bw_assert_err(
            bw_db_device_find(f.db, &all, NULL, 100, collect, &g, NULL), 0);
        for (int i = 0; i < g.n; i++) {
            bw_db_device_t d;
            bw_assert_err(bw_db_device_get(f.db, g.eps[i], &d), 0);
            bw_db_selector_t sel = {.tags = tag, .n_tags = 1};
            if (bw_db_selector_match(&sel, d.model, d.tags, NULL, d.endpoint)) {
                if (want[0] != '\0')
                    strcat(want, " ");
                strcat(want, d.endpoint);
            }
        }
        assert_string_equal(find(&f, &t), want);
    }
    dbfx_done(&f);
}

/* Tried: prefix, model and tags together, and a prefix with a model no
 * device of the prefix has.
 * Must hold: the intersection of what each filter keeps alone. */
static void test_combined(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    fleet(&f);
    const char *roof[] = {"roof"};
    bw_db_device_filter_t c = {
        .prefix = "alpha", .model = "m1", .tags = roof, .n_tags = 1};
    assert_string_equal(find(&f, &c), "alpha-1 alpha-3 alphabet");
    const char *eu_roof[] = {"roof", "eu"};
    c.tags = eu_roof;
    c.n_tags = 2;
    assert_string_equal(find(&f, &c), "alpha-1 alphabet");
    bw_db_device_filter_t m2b = {.prefix = "b", .model = "m2"};
    assert_string_equal(find(&f, &m2b), "beta-2");
    bw_db_device_filter_t none = {.prefix = "gamma", .model = "m1"};
    assert_string_equal(find(&f, &none), "");
    dbfx_done(&f);
}

/* Tried: 40 devices, every third with tag "x" and model "mx"; walk the
 * tag filter with pages of 4 (the callback stops at 4) following
 * page.last; then with max_rows 5, where a page ends having read 5 rows.
 * Must hold: the pages together hold exactly the tagged devices in
 * order, none twice; more is 1 on every page but the last and page.last
 * is the last device read; with max_rows 5 a page may hold fewer than
 * asked (rows read that did not match) while more is 1, and rows counts
 * every row read. */
static void test_paging_with_filter(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    char want[MAXN * 8] = "";
    for (int i = 0; i < 40; i++) {
        char ep[16];
        snprintf(ep, sizeof ep, "d%02d", i);
        int x = i % 3 == 0;
        bw_assert_err(bw_db_device_add(f.db, ep, x ? "mx" : "my",
                                       x ? "a,x" : "a,xx", 1000, NULL),
                      0);
        if (x) {
            if (want[0] != '\0')
                strcat(want, " ");
            strcat(want, ep);
        }
    }
    const char *x[] = {"x"};
    for (int by_model = 0; by_model < 2; by_model++) {
        bw_db_device_filter_t flt = {.tags = x, .n_tags = 1};
        if (by_model)
            flt = (bw_db_device_filter_t){.model = "mx"};
        char after[BW_DB_ENDPOINT_MAX + 1] = "", all[MAXN * 8] = "";
        int pages = 0;
        for (;;) {
            got_t g = {.stop_at = 4};
            bw_db_page_t page;
            bw_assert_err(
                bw_db_device_find(f.db, &flt, after, 100, collect, &g, &page),
                0);
            pages++;
            if (g.n > 0) {
                if (all[0] != '\0')
                    strcat(all, " ");
                strcat(all, joined(&g));
                assert_string_equal(page.last, g.eps[g.n - 1]);
            }
            if (!page.more)
                break;
            assert_int_equal(g.n, 4);
            snprintf(after, sizeof after, "%s", page.last);
            assert_true(pages < 10);
        }
        assert_string_equal(all, want);
        assert_int_equal(pages, 4); /* 14 devices: 4 + 4 + 4 + 2 */
    }
    /* A bound on rows read: the tag's LIKE narrows nothing here ("xx"
     * holds "x"), so five rows are read and one or two kept. */
    bw_db_device_filter_t flt = {.tags = x, .n_tags = 1};
    char after[BW_DB_ENDPOINT_MAX + 1] = "", all[MAXN * 8] = "";
    int short_pages = 0;
    for (int pages = 0;; pages++) {
        got_t g = {0};
        bw_db_page_t page;
        bw_assert_err(
            bw_db_device_find(f.db, &flt, after, 5, collect, &g, &page), 0);
        if (g.n > 0) {
            if (all[0] != '\0')
                strcat(all, " ");
            strcat(all, joined(&g));
        }
        short_pages += page.more && g.n < 5;
        if (!page.more) {
            assert_true(page.rows < 5);
            break;
        }
        assert_int_equal(page.rows, 5);
        snprintf(after, sizeof after, "%s", page.last);
        assert_true(pages < 20);
    }
    assert_string_equal(all, want);
    assert_true(short_pages > 0);
    dbfx_done(&f);
}

/* Tried: models and tags that read as SQL or as LIKE patterns: a quote
 * with OR, a statement terminator with DROP TABLE, "%", "_", a
 * backslash, "50%_off" next to "50xxoff".
 * Must hold: each is stored and matched as the literal bytes: "%" and
 * "_" keep only the device carrying exactly that tag, "50%_off" not
 * "50xxoff"; the devices table is still there with every row. */
static void test_injection_literal(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    static const char evil_model[] = "m' OR '1'='1";
    static const char drop_model[] = "m'); DROP TABLE devices;--";
    bw_assert_err(bw_db_device_add(f.db, "e1", evil_model, "50%_off", 1, NULL),
                  0);
    bw_assert_err(bw_db_device_add(f.db, "e2", drop_model, "50xxoff", 1, NULL),
                  0);
    bw_assert_err(bw_db_device_add(f.db, "e3", "m", "%", 1, NULL), 0);
    bw_assert_err(bw_db_device_add(f.db, "e4", "m", "_,a\\b", 1, NULL), 0);
    bw_assert_err(bw_db_device_add(f.db, "e5", "m", "ab", 1, NULL), 0);
    bw_db_device_filter_t m = {.model = evil_model};
    assert_string_equal(find(&f, &m), "e1");
    m.model = drop_model;
    assert_string_equal(find(&f, &m), "e2");
    m.model = "m' OR 1=1 --";
    assert_string_equal(find(&f, &m), "");
    static const struct {
        const char *tag, *want;
    } t[] = {
        {"50%_off", "e1"}, {"%", "e3"}, {"_", "e4"}, {"a\\b", "e4"},
        {"a_b", ""},       {"a%", ""},  {"'", ""},   {"50xxoff", "e2"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *tag[] = {t[i].tag};
        bw_db_device_filter_t flt = {.tags = tag, .n_tags = 1};
        assert_string_equal(find(&f, &flt), t[i].want);
    }
    bw_db_device_filter_t none = {0};
    assert_string_equal(find(&f, &none), "e1 e2 e3 e4 e5");
    dbfx_done(&f);
}

/* Tried: two devices registered through the registration batch at
 * times 5000 and 6000, one updated at 9000, one de-registered, one never
 * registered.
 * Must hold: stored_seen_ms is the stored registration's last time
 * (Register or Update), -1 without one; bw_db_device_seen says the same
 * and BW_ENOTFOUND without one, BW_EMALFORMED for a bad name. */
static void test_stored_seen(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    static const char *const eps[] = {"s1", "s2", "s3"};
    for (int i = 0; i < 3; i++)
        bw_assert_err(bw_db_device_add(f.db, eps[i], "m", "", 1, NULL), 0);
    bw_db_reg_event_t ev[2];
    memset(ev, 0, sizeof ev);
    for (int i = 0; i < 2; i++) {
        ev[i].op = BW_DB_REG_REGISTER;
        ev[i].endpoint = eps[i];
        ev[i].lifetime_s = 60;
        ev[i].binding = "U";
        ev[i].version = "1.1";
        ev[i].object_links = "</1/0>,</3/0>";
        ev[i].now_ms = 5000 + 1000 * i;
    }
    bw_assert_err(bw_db_registration_batch(f.db, ev, 2), 0);
    bw_db_reg_event_t up;
    memset(&up, 0, sizeof up);
    up.op = BW_DB_REG_UPDATE;
    memcpy(up.location, ev[0].location, sizeof up.location);
    up.now_ms = 9000;
    bw_assert_err(bw_db_registration_batch(f.db, &up, 1), 0);
    bw_assert_err(up.result, 0);
    got_t g = {0};
    bw_db_device_filter_t none = {0};
    bw_assert_err(bw_db_device_find(f.db, &none, NULL, 10, collect, &g, NULL),
                  0);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.seen[0], 9000);
    assert_int_equal(g.seen[1], 6000);
    assert_int_equal(g.seen[2], -1);
    int64_t s = 0;
    bw_assert_err(bw_db_device_seen(f.db, "s1", &s), 0);
    assert_int_equal(s, 9000);
    bw_assert_err(bw_db_device_seen(f.db, "s3", &s), BW_ENOTFOUND);
    assert_int_equal(s, -1);
    bw_assert_err(bw_db_device_seen(f.db, "bad name", &s), BW_EMALFORMED);
    bw_db_reg_event_t de;
    memset(&de, 0, sizeof de);
    de.op = BW_DB_REG_DEREGISTER;
    memcpy(de.location, ev[1].location, sizeof de.location);
    de.now_ms = 9500;
    bw_assert_err(bw_db_registration_batch(f.db, &de, 1), 0);
    bw_assert_err(bw_db_device_seen(f.db, "s2", &s), BW_ENOTFOUND);
    dbfx_done(&f);
}

/* Tried: every kind of bad filter through bw_db_device_filter_check and
 * bw_db_device_find, bad after, max_rows 0 and above the maximum, NULL
 * arguments.
 * Must hold: the exact code of the contract and the field named; find
 * returns the same code and calls nothing; page is zeroed. */
static void test_errors(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    fleet(&f);
    char long_prefix[BW_DB_ENDPOINT_MAX + 2];
    memset(long_prefix, 'a', sizeof long_prefix - 1);
    long_prefix[sizeof long_prefix - 1] = '\0';
    char long_model[BW_DB_MODEL_MAX + 2];
    memset(long_model, 'm', sizeof long_model - 1);
    long_model[sizeof long_model - 1] = '\0';
    char long_tag[BW_DB_TAGS_MAX + 2];
    memset(long_tag, 't', sizeof long_tag - 1);
    long_tag[sizeof long_tag - 1] = '\0';
    const char *lt[] = {long_tag}, *empty[] = {""}, *space[] = {"a b"},
               *comma[] = {"a,b"}, *ctl[] = {"a\x01"}, *tab[] = {"a\tb"};
    const char *many[BW_DB_FILTER_TAGS_MAX + 1];
    for (size_t i = 0; i < BW_DB_FILTER_TAGS_MAX + 1; i++)
        many[i] = "t";
    static const char *const fields[] = {"prefix", "model", "tag"};
    struct {
        bw_db_device_filter_t flt;
        int err, field; /* index into fields, -1 none */
    } c[] = {
        {{.prefix = "a b"}, BW_EMALFORMED, 0},
        {{.prefix = "a%"}, BW_EMALFORMED, 0},
        {{.prefix = "a'"}, BW_EMALFORMED, 0},
        {{.prefix = long_prefix}, BW_EOVERFLOW, 0},
        {{.model = "m\n"}, BW_EMALFORMED, 1},
        {{.model = long_model}, BW_EOVERFLOW, 1},
        {{.tags = lt, .n_tags = 1}, BW_EOVERFLOW, 2},
        {{.tags = empty, .n_tags = 1}, BW_EMALFORMED, 2},
        {{.tags = space, .n_tags = 1}, BW_EMALFORMED, 2},
        {{.tags = comma, .n_tags = 1}, BW_EMALFORMED, 2},
        {{.tags = tab, .n_tags = 1}, BW_EMALFORMED, 2},
        {{.tags = ctl, .n_tags = 1}, BW_EMALFORMED, 2},
        {{.tags = many, .n_tags = BW_DB_FILTER_TAGS_MAX + 1}, BW_EOVERFLOW, 2},
        {{.tags = NULL, .n_tags = 1}, BW_EINVAL, 2},
        {{.prefix = "", .model = ""}, 0, -1},
        {{.tags = many, .n_tags = BW_DB_FILTER_TAGS_MAX}, 0, -1},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        const char *field = "unset";
        bw_assert_err(bw_db_device_filter_check(&c[i].flt, &field), c[i].err);
        if (c[i].field < 0)
            assert_null(field);
        else
            assert_string_equal(field, fields[c[i].field]);
        got_t g = {0};
        bw_db_page_t page;
        memset(&page, 0x5a, sizeof page);
        bw_assert_err(
            bw_db_device_find(f.db, &c[i].flt, NULL, 10, collect, &g, &page),
            c[i].err);
        if (c[i].err != 0) {
            assert_int_equal(g.n, 0);
            assert_int_equal(page.rows, 0);
            assert_int_equal(page.more, 0);
            assert_string_equal(page.last, "");
        }
    }
    bw_db_device_filter_t none = {0};
    got_t g = {0};
    bw_assert_err(bw_db_device_filter_check(NULL, NULL), BW_EINVAL);
    bw_assert_err(bw_db_device_find(f.db, &none, NULL, 0, collect, &g, NULL),
                  BW_ERANGE);
    bw_assert_err(bw_db_device_find(f.db, &none, NULL, BW_DB_FIND_ROWS_MAX + 1,
                                    collect, &g, NULL),
                  BW_ERANGE);
    bw_assert_err(bw_db_device_find(f.db, &none, "a b", 10, collect, &g, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_device_find(NULL, &none, NULL, 10, collect, &g, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_db_device_find(f.db, NULL, NULL, 10, collect, &g, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_db_device_find(f.db, &none, NULL, 10, NULL, &g, NULL),
                  BW_EINVAL);
    assert_int_equal(g.n, 0);
    int64_t s = 0;
    bw_assert_err(bw_db_device_seen(f.db, "al", NULL), BW_EINVAL);
    bw_assert_err(bw_db_device_seen(NULL, "al", &s), BW_EINVAL);
    dbfx_done(&f);
}

/* Tried: a callback failing on the second device, and the model filter's
 * index.
 * Must hold: the callback's code is returned after two calls; the schema
 * holds devices_model on (model, endpoint) and the planner uses it for
 * a model filter (the statement as the store runs it, on a raw
 * connection). */
static int fail_second(void *arg, const bw_db_device_row_t *row)
{
    (void)row;
    return ++*(int *)arg == 2 ? BW_EIO : 0;
}

static void test_callback_error_and_index(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    fleet(&f);
    int calls = 0;
    bw_db_device_filter_t none = {0};
    bw_assert_err(
        bw_db_device_find(f.db, &none, NULL, 10, fail_second, &calls, NULL),
        BW_EIO);
    assert_int_equal(calls, 2);
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                 "type = 'index' AND name = 'devices_model'"),
                     1);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(c,
                           "EXPLAIN QUERY PLAN SELECT d.id FROM devices d "
                           "LEFT JOIN registrations r ON r.endpoint = "
                           "d.endpoint WHERE d.endpoint > '' AND d.endpoint "
                           ">= '' AND d.endpoint < 'z' AND d.model = 'm1' "
                           "ORDER BY d.endpoint LIMIT 10",
                           -1, &st, NULL),
        SQLITE_OK);
    int uses = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        uses |= strstr((const char *)sqlite3_column_text(st, 3),
                       "devices_model") != NULL;
    sqlite3_finalize(st);
    sqlite3_close(c);
    assert_true(uses);
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_filter),
        cmocka_unit_test(test_tag_rule_is_the_selectors),
        cmocka_unit_test(test_combined),
        cmocka_unit_test(test_paging_with_filter),
        cmocka_unit_test(test_injection_literal),
        cmocka_unit_test(test_stored_seen),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_callback_error_and_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
