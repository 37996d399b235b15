/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time series in server/db: text and opaque values, range reads, and
 * retention (bw_db_ts_delete_older) across several delete chunks.
 */
#define _GNU_SOURCE
#include "test_db_fixture.h"

static dbfx_t f;
static const char ep[] = "urn:dev:meter";

static int setup(void **state)
{
    (void)state;
    dbfx_init(&f);
    dbfx_open(&f);
    return bw_db_device_add(f.db, ep, NULL, NULL, 1, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dbfx_done(&f);
    return 0;
}

typedef struct {
    int n;
    int64_t at[8];
    char text[8][16];
    size_t blob_len[8];
    int is_blob[8];
    uint8_t blob[8][8];
} samples_t;

static int collect(void *arg, const bw_db_sample_t *s)
{
    samples_t *c = arg;
    if (c->n >= 8)
        return BW_ENOSPC;
    c->at[c->n] = s->at_ms;
    c->is_blob[c->n] = s->blob != NULL;
    if (s->text != NULL)
        snprintf(c->text[c->n], sizeof c->text[0], "%s", s->text);
    c->blob_len[c->n] = s->blob_len;
    if (s->blob != NULL && s->blob_len <= 8)
        memcpy(c->blob[c->n], s->blob, s->blob_len);
    c->n++;
    return 0;
}

/* Tried: append text samples out of time order, an opaque one and an
 * empty opaque one on another path; read ranges.
 * Must hold: reads are in time order within [from, to); text and blob
 * values come back as given, the empty blob as a blob of length 0 (not
 * as a missing value); the other path's samples are not mixed in. */
static void test_append_read(void **state)
{
    (void)state;
    bw_assert_err(
        bw_db_ts_append(f.db, ep, "/3303/0/5700", 300, "21.5", NULL, 0), 0);
    bw_assert_err(
        bw_db_ts_append(f.db, ep, "/3303/0/5700", 100, "20.0", NULL, 0), 0);
    bw_assert_err(
        bw_db_ts_append(f.db, ep, "/3303/0/5700", 200, "20.7", NULL, 0), 0);
    static const uint8_t raw[] = {0, 1, 2, 0xff};
    bw_assert_err(
        bw_db_ts_append(f.db, ep, "/5/0/0", 150, NULL, raw, sizeof raw), 0);
    bw_assert_err(bw_db_ts_append(f.db, ep, "/5/0/0", 160, NULL, raw, 0), 0);
    samples_t s = {0};
    bw_assert_err(
        bw_db_ts_read(f.db, ep, "/3303/0/5700", 0, 1000, 10, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.at[0], 100);
    assert_string_equal(s.text[0], "20.0");
    assert_string_equal(s.text[2], "21.5");
    memset(&s, 0, sizeof s);
    bw_assert_err(
        bw_db_ts_read(f.db, ep, "/3303/0/5700", 100, 300, 10, collect, &s), 0);
    assert_int_equal(s.n, 2); /* 300 is outside [100, 300) */
    memset(&s, 0, sizeof s);
    bw_assert_err(bw_db_ts_read(f.db, ep, "/5/0/0", 0, 1000, 10, collect, &s),
                  0);
    assert_int_equal(s.n, 2);
    assert_true(s.is_blob[0]);
    assert_int_equal(s.blob_len[0], sizeof raw);
    assert_memory_equal(s.blob[0], raw, sizeof raw);
    assert_true(s.is_blob[1]);
    assert_int_equal(s.blob_len[1], 0);
}

/* Tried: 25,000 samples written behind the API in one transaction at
 * times 0..24999, then retention at 23,500, then at 23,500 again.
 * Must hold: exactly 23,500 deleted (three chunks of 10,000 at most),
 * the 1,500 newest stay and the oldest kept is at 23,500; the second
 * call deletes nothing. */
static void test_retention(void **state)
{
    (void)state;
    sqlite3 *c = dbfx_raw(&f);
    assert_int_equal(dbfx_exec(c, "DELETE FROM timeseries"), SQLITE_OK);
    assert_int_equal(
        dbfx_exec(c,
                  "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 "
                  "FROM n WHERE i < 24999) INSERT INTO timeseries "
                  "(device_id, path, sampled_at, value_text) SELECT "
                  "(SELECT id FROM devices WHERE endpoint = 'urn:dev:meter'),"
                  " '/3/0/7', i, 'v' FROM n"),
        SQLITE_OK);
    uint64_t gone = 0;
    bw_assert_err(bw_db_ts_delete_older(f.db, 23500, &gone), 0);
    assert_int_equal(gone, 23500);
    assert_int_equal(dbfx_int(c, "SELECT COUNT(*) FROM timeseries"), 1500);
    assert_int_equal(dbfx_int(c, "SELECT MIN(sampled_at) FROM timeseries"),
                     23500);
    bw_assert_err(bw_db_ts_delete_older(f.db, 23500, &gone), 0);
    assert_int_equal(gone, 0);
    sqlite3_close(c);
}

/* Tried: appends with both or neither value, a path without '/', an
 * unknown device, a value over the maximum.
 * Must hold: BW_EINVAL, BW_EINVAL, BW_EMALFORMED, BW_ENOTFOUND,
 * BW_EOVERFLOW. */
static void test_input(void **state)
{
    (void)state;
    uint8_t b[1] = {0};
    bw_assert_err(bw_db_ts_append(f.db, ep, "/1", 1, "x", b, 1), BW_EINVAL);
    bw_assert_err(bw_db_ts_append(f.db, ep, "/1", 1, NULL, NULL, 0), BW_EINVAL);
    bw_assert_err(bw_db_ts_append(f.db, ep, "1", 1, "x", NULL, 0),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_ts_append(f.db, "urn:dev:other", "/1", 1, "x", NULL, 0),
                  BW_ENOTFOUND);
    bw_assert_err(
        bw_db_ts_append(f.db, ep, "/1", 1, NULL, b, BW_DB_PAYLOAD_MAX + 1),
        BW_EOVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_read),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
