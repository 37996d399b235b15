/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The writer's statement cache in server/db (db_sqlite.c, bw_db__prepare
 * and bw_db__release), on a real database file: a statement is compiled
 * once per text and handed back reset and unbound; a second prepare of a
 * text still in use gets a statement of its own; a pointer reused for
 * other text is compiled again; the cache stays within its slots; a
 * connection without a cache finalizes what is given back; a text that
 * does not compile leaves nothing behind.  Closing the database with
 * statements cached must finalize them all (the leak checker of the
 * sanitizer build sees it otherwise).
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"
/* After the fixture, which finalizes its own raw statements. */
#include "db_int.h"

static dbfx_t f;

static int setup(void **state)
{
    (void)state;
    dbfx_init(&f);
    dbfx_open(&f);
    pthread_mutex_lock(&f.db->wlock); /* bw_db__prepare's precondition */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pthread_mutex_unlock(&f.db->wlock);
    dbfx_done(&f);
    return 0;
}

/* Statements alive on c. */
static int live(sqlite3 *c)
{
    int n = 0;
    for (sqlite3_stmt *s = sqlite3_next_stmt(c, NULL); s != NULL;
         s = sqlite3_next_stmt(c, s))
        n++;
    return n;
}

/* Step st once; the integer in its first column. */
static sqlite3_int64 one(sqlite3_stmt *st)
{
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    return sqlite3_column_int64(st, 0);
}

static const char sql_echo[] = "SELECT ?1";

/* Prepared, bound, stepped halfway and given back; the next prepare of
 * the same text must get the same compiled statement, not stepping and
 * with its parameter unbound (NULL), and no new statement may exist. */
static void test_reused_reset_and_unbound(void **state)
{
    (void)state;
    sqlite3_stmt *a, *b;
    bw_assert_err(bw_db__prepare(f.db->w, sql_echo, &a), 0);
    int before = live(f.db->w);
    sqlite3_bind_int64(a, 1, 42);
    assert_int_equal(one(a), 42);
    bw_db__release(a);
    bw_assert_err(bw_db__prepare(f.db->w, sql_echo, &b), 0);
    assert_ptr_equal(a, b);
    assert_int_equal(live(f.db->w), before);
    assert_int_equal(sqlite3_stmt_busy(b), 0);
    assert_int_equal(sqlite3_step(b), SQLITE_ROW);
    assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);
    bw_db__release(b);
}

/* The same text prepared while its statement is still out (a query
 * nested in the walk of another): a distinct statement, usable at the
 * same time, finalized when given back; the cached one comes back after. */
static void test_nested_gets_its_own(void **state)
{
    (void)state;
    sqlite3_stmt *outer, *inner, *again;
    bw_assert_err(bw_db__prepare(f.db->w, sql_echo, &outer), 0);
    sqlite3_bind_int64(outer, 1, 1);
    assert_int_equal(one(outer), 1);
    int n = live(f.db->w);
    bw_assert_err(bw_db__prepare(f.db->w, sql_echo, &inner), 0);
    assert_ptr_not_equal(outer, inner);
    assert_int_equal(live(f.db->w), n + 1);
    sqlite3_bind_int64(inner, 1, 2);
    assert_int_equal(one(inner), 2);
    assert_int_equal(sqlite3_column_int64(outer, 0), 1); /* undisturbed */
    bw_db__release(inner);
    assert_int_equal(live(f.db->w), n);
    bw_db__release(outer);
    bw_assert_err(bw_db__prepare(f.db->w, sql_echo, &again), 0);
    assert_ptr_equal(again, outer);
    bw_db__release(again);
}

/* One buffer, two texts: the second prepare must run the second text
 * (the pointer matches, the text does not). */
static void test_same_pointer_other_text(void **state)
{
    (void)state;
    char buf[32];
    sqlite3_stmt *st;
    snprintf(buf, sizeof buf, "SELECT 7");
    bw_assert_err(bw_db__prepare(f.db->w, buf, &st), 0);
    assert_int_equal(one(st), 7);
    bw_db__release(st);
    snprintf(buf, sizeof buf, "SELECT 8");
    bw_assert_err(bw_db__prepare(f.db->w, buf, &st), 0);
    assert_int_equal(one(st), 8);
    bw_db__release(st);
}

/* More distinct texts than slots: each runs its own text, and the
 * connection never holds more than the slots' worth of statements. */
static void test_bounded(void **state)
{
    (void)state;
    enum { N = BW_DB_STMT_SLOTS + 20 };
    static char text[N][32];
    int base = live(f.db->w);
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "SELECT %d", i + 1000);
        sqlite3_stmt *st;
        bw_assert_err(bw_db__prepare(f.db->w, text[i], &st), 0);
        assert_int_equal(one(st), i + 1000);
        bw_db__release(st);
        assert_true(live(f.db->w) <= BW_DB_STMT_SLOTS);
    }
    assert_true(live(f.db->w) >= base);
    /* An early text was evicted: it is compiled again and still right. */
    sqlite3_stmt *st;
    bw_assert_err(bw_db__prepare(f.db->w, text[0], &st), 0);
    assert_int_equal(one(st), 1000);
    bw_db__release(st);
}

/* A read connection has no cache: what it is given back is finalized. */
static void test_uncached_connection(void **state)
{
    (void)state;
    bw_db_reader_t *r = &f.db->readers[0];
    pthread_mutex_lock(&r->lock);
    int n = live(r->c);
    sqlite3_stmt *st;
    bw_assert_err(bw_db__prepare(r->c, "SELECT 3", &st), 0);
    assert_int_equal(live(r->c), n + 1);
    assert_int_equal(one(st), 3);
    bw_db__release(st);
    assert_int_equal(live(r->c), n);
    bw_db__release(NULL); /* a no-op */
    pthread_mutex_unlock(&r->lock);
}

/* Text that does not compile: the SQLite error's code, st NULL, nothing
 * left on the connection, and the next good text works. */
static void test_compile_error(void **state)
{
    (void)state;
    int n = live(f.db->w);
    sqlite3_stmt *st = (sqlite3_stmt *)&st;
    bw_assert_err(bw_db__prepare(f.db->w, "SELEKT 1", &st), BW_EIO);
    assert_null(st);
    assert_int_equal(live(f.db->w), n);
    bw_assert_err(bw_db__prepare(f.db->w, "SELECT 5", &st), 0);
    assert_int_equal(one(st), 5);
    bw_db__release(st);
}

/* The cache under real use: the store's own writes go through it, and a
 * registration batch twice in a row compiles nothing the second time. */
static void test_store_writes_reuse(void **state)
{
    (void)state;
    pthread_mutex_unlock(&f.db->wlock);
    bw_assert_err(bw_db_device_add(f.db, "dev-c1", NULL, NULL, 1, NULL), 0);
    bw_db_reg_event_t ev = {.op = BW_DB_REG_REGISTER,
                            .endpoint = "dev-c1",
                            .lifetime_s = 60,
                            .binding = "U",
                            .version = "1.1",
                            .object_links = "</3/0>",
                            .now_ms = 1000};
    bw_assert_err(bw_db_registration_batch(f.db, &ev, 1), 0);
    bw_assert_err(ev.result, 0);
    pthread_mutex_lock(&f.db->wlock);
    int n = live(f.db->w);
    pthread_mutex_unlock(&f.db->wlock);
    ev.location[0] = '\0';
    ev.now_ms = 2000;
    bw_assert_err(bw_db_registration_batch(f.db, &ev, 1), 0);
    bw_assert_err(ev.result, 0);
    pthread_mutex_lock(&f.db->wlock);
    assert_int_equal(live(f.db->w), n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reused_reset_and_unbound, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nested_gets_its_own, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_same_pointer_other_text, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncached_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compile_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_writes_reuse, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
