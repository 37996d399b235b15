/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live observations in server/db (db_observe.c, migration 13): put,
 * delete, count and the load at start, on real SQLite files, with the
 * registrations they belong to written through bw_db_registration_batch
 * as the server writes them.  A raw connection looks at the rows.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

#define EP  "urn:dev:obs-a"
#define EP2 "urn:dev:obs-b"
#define T0  1700000000000LL

static dbfx_t f;

static int setup(void **state)
{
    (void)state;
    dbfx_init(&f);
    dbfx_open(&f);
    bw_assert_err(bw_db_device_add(f.db, EP, NULL, NULL, T0, NULL), 0);
    bw_assert_err(bw_db_device_add(f.db, EP2, NULL, NULL, T0, NULL), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dbfx_done(&f);
    return 0;
}

/* One registration event through the server's path; loc in/out. */
static int reg_op(bw_db_reg_op_t op, const char *ep, char *loc, int64_t now)
{
    bw_db_reg_event_t e;
    memset(&e, 0, sizeof e);
    e.op = op;
    e.endpoint = ep;
    e.lifetime_s = 60;
    e.binding = "U";
    e.version = "1.1";
    e.object_links = op == BW_DB_REG_REGISTER ? "</3303/0>" : NULL;
    e.now_ms = now;
    if (op != BW_DB_REG_REGISTER)
        snprintf(e.location, sizeof e.location, "%s", loc);
    bw_assert_err(bw_db_registration_batch(f.db, &e, 1), 0);
    if (op == BW_DB_REG_REGISTER)
        snprintf(loc, BW_DB_LOCATION_LEN + 1, "%s", e.location);
    return e.result;
}

static bw_db_observation_t obs(int64_t id, const char *ep, const char *loc,
                               uint8_t tok, const char *path)
{
    bw_db_observation_t o;
    memset(&o, 0, sizeof o);
    o.id = id;
    snprintf(o.endpoint, sizeof o.endpoint, "%s", ep);
    snprintf(o.location, sizeof o.location, "%s", loc);
    for (size_t i = 0; i < 8; i++)
        o.token[i] = (uint8_t)(tok + 17 * i);
    o.token_len = 8;
    snprintf(o.path, sizeof o.path, "%s", path);
    o.accept = 110;
    o.content_format = 110;
    snprintf(o.actor, sizeof o.actor, "api:admin");
    o.created_ms = T0 + id;
    return o;
}

static long long rows(sqlite3 *c)
{
    return dbfx_int(c, "SELECT COUNT(*) FROM observations");
}

typedef struct {
    size_t n;
    bw_db_observation_t o[8];
} seen_t;

static int collect(void *arg, const bw_db_observation_t *o)
{
    seen_t *s = arg;
    assert_true(s->n < 8);
    s->o[s->n++] = *o;
    return 0;
}

/* Tried: two observations of one registered device stored, one of them
 * deleted, the other loaded back; each state change looked at through a
 * raw connection.
 * Must hold: one row per put, gone after its delete, nothing else
 * touched; the load returns the other with every field as stored and
 * the highest id ever stored (the deleted one's), and drops nothing. */
static void test_put_delete_load(void **state)
{
    (void)state;
    char loc[BW_DB_LOCATION_LEN + 1] = "";
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP, loc, T0), 0);
    sqlite3 *c = dbfx_raw(&f);
    bw_db_observation_t a = obs(4, EP, loc, 1, "/3303/0/5700");
    bw_db_observation_t b = obs(9, EP, loc, 2, "/3/0");
    b.accept = -1;
    b.content_format = 11542;
    b.actor[0] = '\0';
    bw_assert_err(bw_db_observation_put(f.db, &a), 0);
    assert_int_equal(rows(c), 1);
    bw_assert_err(bw_db_observation_put(f.db, &b), 0);
    assert_int_equal(rows(c), 2);
    uint64_t n = 0;
    bw_assert_err(bw_db_observation_count(f.db, EP, &n), 0);
    assert_int_equal(n, 2);
    bw_assert_err(bw_db_observation_count(f.db, EP2, &n), 0);
    assert_int_equal(n, 0);

    bw_assert_err(bw_db_observation_delete(f.db, EP, 9), 0);
    assert_int_equal(rows(c), 1);
    assert_int_equal(dbfx_int(c, "SELECT id FROM observations"), 4);
    bw_assert_err(bw_db_observation_delete(f.db, EP, 9), BW_ENOTFOUND);
    bw_assert_err(bw_db_observation_delete(f.db, EP2, 4), BW_ENOTFOUND);
    assert_int_equal(rows(c), 1);

    dbfx_close(&f);
    dbfx_open(&f);
    seen_t s = {0};
    int64_t last = -1;
    uint64_t dropped = 99;
    bw_assert_err(
        bw_db_observation_load(f.db, T0 + 1000, collect, &s, &last, &dropped),
        0);
    assert_int_equal(last, 9);
    assert_int_equal(dropped, 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.o[0].id, 4);
    assert_string_equal(s.o[0].endpoint, EP);
    assert_string_equal(s.o[0].location, loc);
    assert_int_equal(s.o[0].token_len, 8);
    assert_memory_equal(s.o[0].token, a.token, 8);
    assert_string_equal(s.o[0].path, "/3303/0/5700");
    assert_int_equal(s.o[0].accept, 110);
    assert_int_equal(s.o[0].content_format, 110);
    assert_string_equal(s.o[0].actor, "api:admin");
    assert_int_equal(s.o[0].created_ms, T0 + 4);
    assert_int_equal(rows(c), 1);
    sqlite3_close(c);
}

/* Tried: puts that break each rule, and puts that collide with a stored
 * row or name a registration that is not the device's.
 * Must hold: the exact code of each, and no row written by any. */
static void test_put_refused(void **state)
{
    (void)state;
    char loc[BW_DB_LOCATION_LEN + 1] = "", loc2[BW_DB_LOCATION_LEN + 1] = "";
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP, loc, T0), 0);
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP2, loc2, T0), 0);
    bw_db_observation_t good = obs(1, EP, loc, 1, "/3303/0/5700");
    bw_assert_err(bw_db_observation_put(f.db, &good), 0);
    sqlite3 *c = dbfx_raw(&f);

    static const struct {
        const char *what;
        int err;
    } cases[] = {
        {"id 0", BW_ERANGE},
        {"token_len 0", BW_ERANGE},
        {"token_len 9", BW_ERANGE},
        {"accept -2", BW_ERANGE},
        {"accept 65536", BW_ERANGE},
        {"content_format 65536", BW_ERANGE},
        {"endpoint with a space", BW_EMALFORMED},
        {"location short", BW_EMALFORMED},
        {"location upper case", BW_EMALFORMED},
        {"path without /", BW_EMALFORMED},
        {"path with five segments", BW_EMALFORMED},
        {"path segment 65536", BW_EMALFORMED},
        {"path empty segment", BW_EMALFORMED},
        {"actor with a newline", BW_EMALFORMED},
        {"id in use", BW_EEXIST},
        {"token in use", BW_EEXIST},
        {"location of another device", BW_ENOTFOUND},
        {"unknown device", BW_ENOTFOUND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_db_observation_t o = obs(2, EP, loc, 2, "/3303/0/5701");
        switch (i) {
        case 0:
            o.id = 0;
            break;
        case 1:
            o.token_len = 0;
            break;
        case 2:
            o.token_len = 9;
            break;
        case 3:
            o.accept = -2;
            break;
        case 4:
            o.accept = 65536;
            break;
        case 5:
            o.content_format = 65536;
            break;
        case 6:
            snprintf(o.endpoint, sizeof o.endpoint, "a b");
            break;
        case 7:
            o.location[31] = '\0';
            break;
        case 8:
            o.location[0] = 'A';
            break;
        case 9:
            snprintf(o.path, sizeof o.path, "3303/0");
            break;
        case 10:
            snprintf(o.path, sizeof o.path, "/1/2/3/4/5");
            break;
        case 11:
            snprintf(o.path, sizeof o.path, "/65536");
            break;
        case 12:
            snprintf(o.path, sizeof o.path, "/3303//1");
            break;
        case 13:
            snprintf(o.actor, sizeof o.actor, "api:a\nb");
            break;
        case 14:
            o.id = 1;
            break;
        case 15:
            memcpy(o.token, good.token, 8);
            break;
        case 16:
            snprintf(o.location, sizeof o.location, "%s", loc2);
            break;
        case 17:
            snprintf(o.endpoint, sizeof o.endpoint, "urn:dev:none");
            break;
        }
        int err = bw_db_observation_put(f.db, &o);
        if (err != cases[i].err)
            fail_msg("%s: %s, want %s", cases[i].what, bw_err_name(err),
                     bw_err_name(cases[i].err));
        assert_int_equal(rows(c), 1);
    }
    bw_assert_err(bw_db_observation_put(NULL, &good), BW_EINVAL);
    bw_assert_err(bw_db_observation_put(f.db, NULL), BW_EINVAL);
    bw_assert_err(bw_db_observation_delete(f.db, EP, 0), BW_ERANGE);
    bw_assert_err(bw_db_observation_delete(f.db, "a b", 1), BW_EMALFORMED);
    bw_assert_err(bw_db_observation_delete(f.db, NULL, 1), BW_EINVAL);
    int64_t last;
    bw_assert_err(bw_db_observation_load(f.db, T0, NULL, NULL, &last, NULL),
                  BW_EINVAL);
    uint64_t n;
    bw_assert_err(bw_db_observation_count(f.db, "a b", &n), BW_EMALFORMED);
    /* The highest id is that of the one row stored, not of a refusal. */
    assert_int_equal(dbfx_int(c, "SELECT last_id FROM observation_seq"), 1);
    sqlite3_close(c);
}

/* Tried: an observation under each way a registration ends in the
 * store: De-register, a new Register (a new location), the expiry job,
 * revocation of the credential by device deletion; and an Update in
 * between, which keeps the location.
 * Must hold: the Update leaves the row; De-register and expiry delete it
 * in their own transaction; a new Register cuts it loose (location
 * NULL) and the next load deletes it and counts it; deleting the device
 * deletes its rows. */
static void test_registration_ends(void **state)
{
    (void)state;
    sqlite3 *c = dbfx_raw(&f);
    char loc[BW_DB_LOCATION_LEN + 1] = "";
    /* De-register. */
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP, loc, T0), 0);
    bw_db_observation_t o = obs(1, EP, loc, 1, "/3303/0/5700");
    bw_assert_err(bw_db_observation_put(f.db, &o), 0);
    bw_assert_err(reg_op(BW_DB_REG_UPDATE, EP, loc, T0 + 10), 0);
    assert_int_equal(rows(c), 1);
    bw_assert_err(reg_op(BW_DB_REG_DEREGISTER, EP, loc, T0 + 20), 0);
    assert_int_equal(rows(c), 0);

    /* A new Register: the row stays, cut loose, until the load. */
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP, loc, T0 + 30), 0);
    o = obs(2, EP, loc, 2, "/3303/0/5700");
    bw_assert_err(bw_db_observation_put(f.db, &o), 0);
    char old[BW_DB_LOCATION_LEN + 1];
    memcpy(old, loc, sizeof old);
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP, loc, T0 + 40), 0);
    assert_string_not_equal(old, loc);
    assert_int_equal(rows(c), 1);
    assert_int_equal(
        dbfx_int(c, "SELECT COUNT(*) FROM observations WHERE location IS NULL"),
        1);
    /* One under the new registration lives on. */
    o = obs(3, EP, loc, 3, "/3303/0/5701");
    bw_assert_err(bw_db_observation_put(f.db, &o), 0);
    seen_t s = {0};
    int64_t last = 0;
    uint64_t dropped = 0;
    bw_assert_err(
        bw_db_observation_load(f.db, T0 + 50, collect, &s, &last, &dropped), 0);
    assert_int_equal(dropped, 1);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.o[0].id, 3);
    assert_int_equal(last, 3);
    assert_int_equal(rows(c), 1);

    /* Expiry (lifetime 60 s from T0 + 40). */
    uint64_t expired = 0;
    bw_assert_err(bw_db_registration_expire(f.db, T0 + 40 + 60000, &expired),
                  0);
    assert_int_equal(expired, 1);
    assert_int_equal(rows(c), 0);

    /* Device deletion. */
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP2, loc, T0 + 70000), 0);
    o = obs(5, EP2, loc, 5, "/3/0/9");
    bw_assert_err(bw_db_observation_put(f.db, &o), 0);
    assert_int_equal(rows(c), 1);
    bw_assert_err(bw_db_device_delete(f.db, EP2), 0);
    assert_int_equal(rows(c), 0);
    sqlite3_close(c);
}

/* Tried: a registration that expired while the server was down (its row
 * still there, expires_at passed) with an observation, another that is
 * live; then the load at a time past the first one's expiry.
 * Must hold: only the live one is handed over; the other is deleted and
 * counted; the highest id is kept although its row went. */
static void test_load_drops_expired(void **state)
{
    (void)state;
    char la[BW_DB_LOCATION_LEN + 1] = "", lb[BW_DB_LOCATION_LEN + 1] = "";
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP, la, T0), 0);
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP2, lb, T0 + 50000), 0);
    bw_db_observation_t a = obs(7, EP, la, 1, "/3303/0/5700");
    bw_db_observation_t b = obs(6, EP2, lb, 2, "/3303/0/5700");
    bw_assert_err(bw_db_observation_put(f.db, &a), 0);
    bw_assert_err(bw_db_observation_put(f.db, &b), 0);
    seen_t s = {0};
    int64_t last = 0;
    uint64_t dropped = 0;
    /* EP expires at T0 + 60 s, EP2 at T0 + 110 s. */
    bw_assert_err(
        bw_db_observation_load(f.db, T0 + 60000, collect, &s, &last, &dropped),
        0);
    assert_int_equal(dropped, 1);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.o[0].endpoint, EP2);
    assert_int_equal(last, 7);
    uint64_t n = 9;
    bw_assert_err(bw_db_observation_count(f.db, NULL, &n), 0);
    assert_int_equal(n, 1);
}

static int stop_at_first(void *arg, const bw_db_observation_t *o)
{
    (void)o;
    (*(int *)arg)++;
    return BW_ELIMIT;
}

/* Tried: a load whose callback stops at once; a stored row damaged
 * behind the API (a token of 12 bytes, then a path that is no path).
 * Must hold: the callback's code comes back after one call; a damaged
 * row is BW_EMALFORMED and *last_id is left 0. */
static void test_load_stops(void **state)
{
    (void)state;
    char loc[BW_DB_LOCATION_LEN + 1] = "";
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP, loc, T0), 0);
    bw_db_observation_t a = obs(1, EP, loc, 1, "/3303/0/5700");
    bw_db_observation_t b = obs(2, EP, loc, 2, "/3303/0/5701");
    bw_assert_err(bw_db_observation_put(f.db, &a), 0);
    bw_assert_err(bw_db_observation_put(f.db, &b), 0);
    int calls = 0;
    int64_t last = 5;
    bw_assert_err(
        bw_db_observation_load(f.db, T0, stop_at_first, &calls, &last, NULL),
        BW_ELIMIT);
    assert_int_equal(calls, 1);
    assert_int_equal(last, 0);

    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_exec(c, "UPDATE observations SET token = "
                                  "x'000102030405060708090a0b' WHERE id = 2"),
                     SQLITE_OK);
    seen_t s = {0};
    bw_assert_err(bw_db_observation_load(f.db, T0, collect, &s, &last, NULL),
                  BW_EMALFORMED);
    assert_int_equal(last, 0);
    assert_int_equal(s.n, 1); /* the good one came first */
    assert_int_equal(dbfx_exec(c, "UPDATE observations SET token = "
                                  "x'0001020304050607', path = 'x' WHERE id = "
                                  "2"),
                     SQLITE_OK);
    s.n = 0;
    bw_assert_err(bw_db_observation_load(f.db, T0, collect, &s, &last, NULL),
                  BW_EMALFORMED);
    sqlite3_close(c);
}

/* Tried: a database at schema 12 (before the table) opened by this
 * program; an observation stored in it.
 * Must hold: the migration leaves the version at BW_DB_SCHEMA_VERSION,
 * the sequence starts at 0 (a load reports 0) and a put works. */
static void test_migration(void **state)
{
    (void)state;
    dbfx_close(&f);
    dbfx_done(&f);
    dbfx_init(&f);
    bw_assert_err(dbfx_open_with(&f, f.key_path, 12), 0);
    bw_assert_err(bw_db_device_add(f.db, EP, NULL, NULL, T0, NULL), 0);
    dbfx_close(&f);
    dbfx_open(&f);
    unsigned v = 0;
    bw_assert_err(bw_db_schema_version(f.db, &v), 0);
    assert_int_equal(v, BW_DB_SCHEMA_VERSION);
    seen_t s = {0};
    int64_t last = -1;
    bw_assert_err(bw_db_observation_load(f.db, T0, collect, &s, &last, NULL),
                  0);
    assert_int_equal(last, 0);
    assert_int_equal(s.n, 0);
    char loc[BW_DB_LOCATION_LEN + 1] = "";
    bw_assert_err(reg_op(BW_DB_REG_REGISTER, EP, loc, T0), 0);
    bw_db_observation_t a = obs(1, EP, loc, 1, "/");
    bw_assert_err(bw_db_observation_put(f.db, &a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_delete_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registration_ends, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_drops_expired, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
