/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware table of server/db (db_fw.h): images stored and read back
 * whole, the repository's two rules (no duplicate file, no security
 * counter below the model's highest) checked atomically with the insert,
 * nothing stored on a refusal, input rules, and the devices' reported
 * firmware versions.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "db_campaign.h"
#include "db_fw.h"
#include "test_db_fixture.h"

/* A row for an image of len bytes made from seed: id and sha256 derived
 * from the bytes the way the repository does it is not needed here (the
 * store does not parse images), only that they differ per seed. */
static void make_fw(bw_db_fw_t *fw, uint8_t *img, size_t len, unsigned seed,
                    const char *model, uint32_t counter)
{
    memset(fw, 0, sizeof *fw);
    dbfx_psk(img, len, seed);
    uint8_t h[BW_DB_FW_HASH_LEN];
    dbfx_psk(h, sizeof h, seed * 7919u + 1);
    memcpy(fw->sha256, h, sizeof h);
    dbfx_psk(fw->key_hash, sizeof fw->key_hash, 42);
    for (size_t i = 0; i < BW_DB_FW_ID_LEN / 2; i++)
        snprintf(fw->id + 2 * i, 3, "%02x", h[i]);
    snprintf(fw->model, sizeof fw->model, "%s", model);
    snprintf(fw->version, sizeof fw->version, "1.%u.0+0", seed);
    fw->security_counter = counter;
    fw->size = (uint32_t)len;
    fw->uploaded_ms = 1000 + seed;
    snprintf(fw->uploaded_by, sizeof fw->uploaded_by, "api");
}

static long long rows(const dbfx_t *f)
{
    sqlite3 *c = dbfx_raw(f);
    long long n = dbfx_int(c, "SELECT COUNT(*) FROM firmware");
    sqlite3_close(c);
    return n;
}

/* Tried: add two images of two models, read one back (row and bytes),
 * list them, ask each model's highest counter and an unknown model's.
 * Must hold: every field comes back as stored, the bytes are identical,
 * the list is in upload order, highest is per model, an unknown model
 * is BW_ENOTFOUND. */
static void test_add_get_list(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    uint8_t a[3000], b[100];
    bw_db_fw_t fa, fb, got;
    make_fw(&fa, a, sizeof a, 1, "bulwark-sim", 7);
    make_fw(&fb, b, sizeof b, 2, "other-model", 3);
    bw_assert_err(bw_db_fw_add(f.db, &fa, a, sizeof a, NULL), 0);
    bw_assert_err(bw_db_fw_add(f.db, &fb, b, sizeof b, NULL), 0);

    bw_assert_err(bw_db_fw_get(f.db, fa.id, &got), 0);
    assert_string_equal(got.id, fa.id);
    assert_string_equal(got.model, "bulwark-sim");
    assert_string_equal(got.version, fa.version);
    assert_int_equal(got.security_counter, 7);
    assert_int_equal(got.size, sizeof a);
    assert_memory_equal(got.sha256, fa.sha256, BW_DB_FW_HASH_LEN);
    assert_memory_equal(got.key_hash, fa.key_hash, BW_DB_FW_HASH_LEN);
    assert_int_equal(got.uploaded_ms, fa.uploaded_ms);
    assert_string_equal(got.uploaded_by, "api");

    uint8_t *img = NULL;
    size_t len = 0;
    bw_assert_err(bw_db_fw_image(f.db, fa.id, &img, &len), 0);
    assert_int_equal(len, sizeof a);
    assert_memory_equal(img, a, sizeof a);
    free(img);

    uint32_t hi = 99;
    bw_assert_err(bw_db_fw_highest(f.db, "bulwark-sim", &hi), 0);
    assert_int_equal(hi, 7);
    bw_assert_err(bw_db_fw_highest(f.db, "other-model", &hi), 0);
    assert_int_equal(hi, 3);
    bw_assert_err(bw_db_fw_highest(f.db, "nobody", &hi), BW_ENOTFOUND);
    assert_int_equal(hi, 0);
    dbfx_done(&f);
}

typedef struct {
    int n;
    char ids[8][BW_DB_FW_ID_LEN + 1];
} list_t;

static int collect(void *arg, const bw_db_fw_t *fw)
{
    list_t *l = arg;
    if (l->n >= 8)
        return BW_ENOSPC;
    memcpy(l->ids[l->n++], fw->id, BW_DB_FW_ID_LEN + 1);
    return 0;
}

/* Tried: list three images uploaded at out-of-order times, with max 2,
 * and with max 0 and above BW_DB_LIST_MAX.
 * Must hold: oldest upload first; max honoured; BW_ERANGE for max. */
static void test_list(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    uint8_t img[3][64];
    bw_db_fw_t fw[3];
    static const int64_t at[] = {300, 100, 200};
    for (unsigned i = 0; i < 3; i++) {
        make_fw(&fw[i], img[i], sizeof img[i], 10 + i, "m", 1);
        fw[i].uploaded_ms = at[i];
        bw_assert_err(bw_db_fw_add(f.db, &fw[i], img[i], 64, NULL), 0);
    }
    list_t l = {0};
    bw_assert_err(bw_db_fw_list(f.db, 100, collect, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.ids[0], fw[1].id);
    assert_string_equal(l.ids[1], fw[2].id);
    assert_string_equal(l.ids[2], fw[0].id);
    memset(&l, 0, sizeof l);
    bw_assert_err(bw_db_fw_list(f.db, 2, collect, &l), 0);
    assert_int_equal(l.n, 2);
    bw_assert_err(bw_db_fw_list(f.db, 0, collect, &l), BW_ERANGE);
    bw_assert_err(bw_db_fw_list(f.db, BW_DB_LIST_MAX + 1, collect, &l),
                  BW_ERANGE);
    dbfx_done(&f);
}

/* Tried: store counter 5 for model A; add counter 4 for A, counter 5 for
 * A (another file), counter 1 for model B.
 * Must hold: 4 is BW_EROLLBACK with the highest (5) reported and no row
 * added; an equal counter and another model's lower counter are stored. */
static void test_counter_rule(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    uint8_t img[4][256];
    bw_db_fw_t fw[4];
    make_fw(&fw[0], img[0], 256, 1, "model-a", 5);
    make_fw(&fw[1], img[1], 256, 2, "model-a", 4);
    make_fw(&fw[2], img[2], 256, 3, "model-a", 5);
    make_fw(&fw[3], img[3], 256, 4, "model-b", 1);
    bw_assert_err(bw_db_fw_add(f.db, &fw[0], img[0], 256, NULL), 0);
    bw_db_fw_conflict_t c;
    bw_assert_err(bw_db_fw_add(f.db, &fw[1], img[1], 256, &c), BW_EROLLBACK);
    assert_int_equal(c.highest, 5);
    assert_int_equal(rows(&f), 1);
    bw_db_fw_t got;
    bw_assert_err(bw_db_fw_get(f.db, fw[1].id, &got), BW_ENOTFOUND);
    bw_assert_err(bw_db_fw_add(f.db, &fw[2], img[2], 256, &c), 0);
    bw_assert_err(bw_db_fw_add(f.db, &fw[3], img[3], 256, &c), 0);
    assert_int_equal(rows(&f), 3);
    dbfx_done(&f);
}

/* Tried: the same file again (same sha256 and id); a different file whose
 * id collides with a stored one; a file whose sha256 is stored under
 * another id.
 * Must hold: each is BW_EEXIST naming the stored id, and nothing is
 * added (the duplicate check also wins over a lower counter). */
static void test_duplicate(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    uint8_t img[128];
    bw_db_fw_t fw, other;
    make_fw(&fw, img, sizeof img, 1, "m", 9);
    bw_assert_err(bw_db_fw_add(f.db, &fw, img, sizeof img, NULL), 0);
    bw_db_fw_conflict_t c;
    bw_assert_err(bw_db_fw_add(f.db, &fw, img, sizeof img, &c), BW_EEXIST);
    assert_string_equal(c.id, fw.id);

    other = fw; /* same id, another digest */
    other.sha256[31] ^= 1;
    bw_assert_err(bw_db_fw_add(f.db, &other, img, sizeof img, &c), BW_EEXIST);
    assert_string_equal(c.id, fw.id);

    other = fw; /* same digest under another id, lower counter */
    other.id[0] = other.id[0] == '0' ? '1' : '0';
    other.security_counter = 1;
    bw_assert_err(bw_db_fw_add(f.db, &other, img, sizeof img, &c), BW_EEXIST);
    assert_string_equal(c.id, fw.id);
    assert_int_equal(rows(&f), 1);
    dbfx_done(&f);
}

/* Racing uploads: each thread adds its own images (random counters, one
 * model) and every thread also adds one shared file. */
#define RACE_THREADS 6
#define RACE_EACH    15

typedef struct {
    bw_db_t *db;
    unsigned t;
    int shared_ok;
    int errors; /* codes other than 0, EROLLBACK, EEXIST */
} racer_t;

static void *racer(void *arg)
{
    racer_t *r = arg;
    uint8_t img[200];
    bw_db_fw_t fw;
    for (unsigned i = 0; i < RACE_EACH; i++) {
        unsigned seed = 1000 + r->t * 100 + i;
        make_fw(&fw, img, sizeof img, seed, "race", (seed * 2654435761u) % 13);
        int err = bw_db_fw_add(r->db, &fw, img, sizeof img, NULL);
        if (err != 0 && err != BW_EROLLBACK)
            r->errors++;
        if (i == RACE_EACH / 2) {
            make_fw(&fw, img, sizeof img, 1, "shared", 1);
            err = bw_db_fw_add(r->db, &fw, img, sizeof img, NULL);
            if (err == 0)
                r->shared_ok++;
            else if (err != BW_EEXIST)
                r->errors++;
        }
    }
    return NULL;
}

/* Tried: six threads adding 15 images each with random counters for one
 * model, and all adding the same file once, at the same time.
 * Must hold: in insert order (rowid), the counters of the model never go
 * down (each check saw every earlier insert: check and insert are one
 * transaction); the shared file is stored exactly once; no other error. */
static void test_atomic(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    pthread_t th[RACE_THREADS];
    racer_t r[RACE_THREADS];
    for (unsigned t = 0; t < RACE_THREADS; t++) {
        r[t] = (racer_t){.db = f.db, .t = t};
        assert_int_equal(pthread_create(&th[t], NULL, racer, &r[t]), 0);
    }
    int shared = 0;
    for (unsigned t = 0; t < RACE_THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(r[t].errors, 0);
        shared += r[t].shared_ok;
    }
    assert_int_equal(shared, 1);
    sqlite3 *c = dbfx_raw(&f);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(c,
                                        "SELECT security_counter FROM firmware "
                                        "WHERE model = 'race' ORDER BY rowid",
                                        -1, &st, NULL),
                     SQLITE_OK);
    long long prev = -1, n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long v = sqlite3_column_int64(st, 0);
        assert_true(v >= prev);
        prev = v;
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(c);
    assert_true(n >= 1);
    dbfx_done(&f);
}

/* Tried: each input rule broken once: id too short, upper-case hex,
 * model empty, with a space, too long; version empty; uploaded_by with a
 * newline; len 0; size not len; len above the maximum; NULL image.
 * Must hold: the exact code for each, and no row. */
static void test_input(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    uint8_t img[64];
    bw_db_fw_t fw, bad;
    make_fw(&fw, img, sizeof img, 3, "m", 1);

    bad = fw;
    bad.id[15] = '\0';
    bw_assert_err(bw_db_fw_add(f.db, &bad, img, 64, NULL), BW_EMALFORMED);
    bad = fw;
    bad.id[0] = 'A';
    bw_assert_err(bw_db_fw_add(f.db, &bad, img, 64, NULL), BW_EMALFORMED);
    bad = fw;
    bad.model[0] = '\0';
    bw_assert_err(bw_db_fw_add(f.db, &bad, img, 64, NULL), BW_EMALFORMED);
    bad = fw;
    snprintf(bad.model, sizeof bad.model, "two words");
    bw_assert_err(bw_db_fw_add(f.db, &bad, img, 64, NULL), BW_EMALFORMED);
    bad = fw;
    memset(bad.model, 'x', BW_DB_FW_MODEL_MAX); /* the terminator stays */
    bw_assert_err(bw_db_fw_add(f.db, &bad, img, 64, NULL), 0 /* 32 is ok */);
    bw_assert_err(bw_db_fw_add(f.db, &fw, img, 64, NULL), BW_EEXIST);
    dbfx_done(&f);

    dbfx_init(&f);
    dbfx_open(&f);
    bad = fw;
    bad.version[0] = '\0';
    bw_assert_err(bw_db_fw_add(f.db, &bad, img, 64, NULL), BW_EMALFORMED);
    bad = fw;
    snprintf(bad.uploaded_by, sizeof bad.uploaded_by, "a\nb");
    bw_assert_err(bw_db_fw_add(f.db, &bad, img, 64, NULL), BW_EMALFORMED);
    bad = fw;
    bad.size = 0;
    bw_assert_err(bw_db_fw_add(f.db, &bad, img, 0, NULL), BW_ERANGE);
    bw_assert_err(bw_db_fw_add(f.db, &fw, img, 63, NULL), BW_ERANGE);
    uint8_t *big = calloc(1, BW_DB_FW_IMAGE_MAX + 1u);
    assert_non_null(big);
    bad = fw;
    bad.size = BW_DB_FW_IMAGE_MAX + 1u;
    bw_assert_err(bw_db_fw_add(f.db, &bad, big, BW_DB_FW_IMAGE_MAX + 1u, NULL),
                  BW_EOVERFLOW);
    free(big);
    bw_assert_err(bw_db_fw_add(f.db, &fw, NULL, 64, NULL), BW_EINVAL);
    assert_int_equal(rows(&f), 0);

    bw_db_fw_t got;
    bw_assert_err(bw_db_fw_get(f.db, "0123", &got), BW_EMALFORMED);
    bw_assert_err(bw_db_fw_get(f.db, "0123456789abcdef", &got), BW_ENOTFOUND);
    uint8_t *p = (uint8_t *)1;
    size_t n = 1;
    bw_assert_err(bw_db_fw_image(f.db, "0123456789abcdef", &p, &n),
                  BW_ENOTFOUND);
    assert_null(p);
    assert_int_equal(n, 0);
    uint32_t hi;
    bw_assert_err(bw_db_fw_highest(f.db, "bad model", &hi), BW_EMALFORMED);
    dbfx_done(&f);
}

/* Tried: read the version of an unknown device, of a device that never
 * reported one; set one and read it back; set an empty one, one with a
 * control character, one for an unknown device.
 * Must hold: BW_ENOTFOUND for the unknown device both ways; "" and 0
 * before a report; the stored version and time after; BW_EMALFORMED for
 * the bad versions, which leave the stored one alone. */
static void test_fw_version(void **state)
{
    (void)state;
    dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    char v[BW_DB_FW_VERSION_MAX + 1] = "x";
    int64_t seen = 5;
    bw_assert_err(bw_db_device_fw_version(f.db, "dev-1", v, sizeof v, &seen),
                  BW_ENOTFOUND);
    assert_string_equal(v, "");
    bw_assert_err(bw_db_device_add(f.db, "dev-1", "bulwark-sim", NULL, 1, NULL),
                  0);
    bw_assert_err(bw_db_device_fw_version(f.db, "dev-1", v, sizeof v, &seen),
                  0);
    assert_string_equal(v, "");
    assert_int_equal(seen, 0);
    bw_assert_err(bw_db_campaign_fw_reported(f.db, "dev-1", "1.0.0+0", 777, NULL),
                  0);
    bw_assert_err(bw_db_device_fw_version(f.db, "dev-1", v, sizeof v, &seen),
                  0);
    assert_string_equal(v, "1.0.0+0");
    assert_int_equal(seen, 777);
    bw_assert_err(bw_db_campaign_fw_reported(f.db, "dev-1", "", 778, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_campaign_fw_reported(f.db, "dev-1", "1\n2", 778, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_db_campaign_fw_reported(f.db, "dev-2", "1.0", 778, NULL),
                  BW_ENOTFOUND);
    char small[4];
    bw_assert_err(
        bw_db_device_fw_version(f.db, "dev-1", small, sizeof small, NULL),
        BW_ENOSPC);
    bw_assert_err(bw_db_device_fw_version(f.db, "dev-1", v, sizeof v, NULL), 0);
    assert_string_equal(v, "1.0.0+0");
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_get_list), cmocka_unit_test(test_list),
        cmocka_unit_test(test_counter_rule), cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_atomic),       cmocka_unit_test(test_input),
        cmocka_unit_test(test_fw_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
