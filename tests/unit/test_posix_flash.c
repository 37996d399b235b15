/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The POSIX port's file-backed flash and counter store
 * (device/port/posix): geometry strings, NOR rules on a real file, and
 * the advance-only counter file.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_counter.h"
#include "posix_flash.h"
#include "testutil.h"

/* A fresh temp directory per test, removed afterwards. */
static int setup(void **state)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/bw-posix-test.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", (char *)*state);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in(void **state, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", (char *)*state, name);
}

/* Uniform and mixed geometries parse to the right runs and total, and
 * print back canonically. */
static void test_geometry_parse(void **state)
{
    bw_posix_geometry_t g;
    char out[BW_POSIX_GEOMETRY_MAX];
    (void)state;
    assert_int_equal(bw_posix_geometry_parse("4096x64", &g), 0);
    assert_int_equal(g.n_runs, 1);
    assert_int_equal(g.total, 4096u * 64u);
    assert_int_equal(bw_posix_geometry_parse("2048x8,4096x4,8192", &g), 0);
    assert_int_equal(g.n_runs, 3);
    assert_int_equal(g.run[2].count, 1);
    assert_int_equal(g.total, 2048u * 8u + 4096u * 4u + 8192u);
    assert_int_equal(bw_posix_geometry_format(&g, out, sizeof out), 0);
    assert_string_equal(out, "2048x8,4096x4,8192x1");
    assert_int_equal(bw_posix_geometry_format(&g, out, 8), BW_ENOSPC);
}

/* Malformed geometry strings: each refused with the specific code and a
 * zeroed result. */
static void test_geometry_malformed(void **state)
{
    static const char *const bad[] = {
        "",      "x4",     "4096x",   "4096x0",  "0x4",       "4096x4,",
        ",4096", "4096y4", "-4096x1", "4096x4 ", "4096x4,,1", "99999999999x1",
    };
    bw_posix_geometry_t g;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bw_assert_err(bw_posix_geometry_parse(bad[i], &g), BW_EMALFORMED);
        assert_int_equal(g.total, 0);
        assert_int_equal(g.n_runs, 0);
    }
    /* 17 runs: one more than BW_POSIX_FLASH_MAX_RUNS. */
    char many[256] = "1";
    for (int i = 0; i < 16; i++)
        strcat(many, ",1");
    bw_assert_err(bw_posix_geometry_parse(many, &g), BW_EMALFORMED);
    bw_assert_err(bw_posix_geometry_parse("65536x65536", &g), BW_EOVERFLOW);
    bw_assert_err(bw_posix_geometry_parse(NULL, &g), BW_EINVAL);
}

/* A new file is created erased with the geometry's size; reopening with
 * another geometry is refused; a missing file without create is
 * BW_ENOTFOUND. */
static void test_open_create_validate(void **state)
{
    char path[128];
    bw_posix_geometry_t g, other;
    bw_posix_flash_t f;
    uint8_t buf[64];
    path_in(state, "flash.img", path, sizeof path);
    assert_int_equal(bw_posix_geometry_parse("1024x4,2048x2", &g), 0);
    bw_assert_err(bw_posix_flash_open(&f, path, &g, 8, 0), BW_ENOTFOUND);
    assert_int_equal(bw_posix_flash_open(&f, path, &g, 8, 1), 0);
    const bw_flash_t *dev = bw_posix_flash_dev(&f);
    assert_non_null(dev);
    assert_int_equal(dev->size, 8192);
    assert_int_equal(dev->erased_val, 0xff);
    bw_flash_area_t a = {dev, 0, dev->size};
    assert_int_equal(bw_flash_is_erased(&a, 0, dev->size), 1);
    assert_int_equal(bw_flash_read(&a, 8192 - 64, buf, 64), 0);
    bw_posix_flash_close(&f);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 8192);
    assert_int_equal(bw_posix_geometry_parse("1024x9", &other), 0);
    bw_assert_err(bw_posix_flash_open(&f, path, &other, 8, 1), BW_ERANGE);
    /* Alignment must be a power of two no larger than the maximum, and
     * divide every sector. */
    bw_assert_err(bw_posix_flash_open(&f, path, &g, 3, 0), BW_EINVAL);
    bw_assert_err(bw_posix_flash_open(&f, path, &g, 64, 0), BW_EINVAL);
    assert_int_equal(bw_posix_geometry_parse("1000x8", &other), 0);
    bw_assert_err(bw_posix_flash_open(&f, path, &other, 16, 1), BW_EINVAL);
}

/* NOR rules: programming only clears bits (0x0f over 0xf0 reads 0x00),
 * writes must be aligned, erases must cover whole sectors of a mixed
 * geometry, and sector_at reports each run's sectors. */
static void test_nor_semantics(void **state)
{
    char path[128];
    bw_posix_geometry_t g;
    bw_posix_flash_t f;
    uint8_t a8[8], b8[8], r[8];
    uint32_t start, size;
    path_in(state, "nor.img", path, sizeof path);
    assert_int_equal(bw_posix_geometry_parse("1024x4,2048x2", &g), 0);
    assert_int_equal(bw_posix_flash_open(&f, path, &g, 8, 1), 0);
    f.sync = 0; /* speed; durability is not what is tested here */
    const bw_flash_t *dev = bw_posix_flash_dev(&f);
    bw_flash_area_t a = {dev, 0, dev->size};
    memset(a8, 0xf0, sizeof a8);
    memset(b8, 0x0f, sizeof b8);
    assert_int_equal(bw_flash_write(&a, 1024, a8, 8), 0);
    assert_int_equal(bw_flash_write(&a, 1024, b8, 8), 0);
    assert_int_equal(bw_flash_read(&a, 1024, r, 8), 0);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(r[i], 0x00);
    /* Misaligned offset or length, straight to the device. */
    bw_assert_err(dev->ops->write(dev->ctx, 4, a8, 8), BW_EALIGN);
    bw_assert_err(dev->ops->write(dev->ctx, 8, a8, 7), BW_EALIGN);
    bw_assert_err(dev->ops->write(dev->ctx, 8192, a8, 8), BW_ERANGE);
    /* Erase: whole sectors only, across the run boundary is fine. */
    bw_assert_err(dev->ops->erase(dev->ctx, 512, 1024), BW_EALIGN);
    bw_assert_err(dev->ops->erase(dev->ctx, 4096, 1024), BW_EALIGN);
    assert_int_equal(dev->ops->erase(dev->ctx, 1024, 1024), 0);
    assert_int_equal(bw_flash_is_erased(&a, 1024, 1024), 1);
    assert_int_equal(dev->ops->erase(dev->ctx, 3072, 3072), 0);
    assert_int_equal(dev->ops->sector_at(dev->ctx, 4096 + 2047, &start, &size),
                     0);
    assert_int_equal(start, 4096);
    assert_int_equal(size, 2048);
    assert_int_equal(dev->ops->sector_at(dev->ctx, 1023, &start, &size), 0);
    assert_int_equal(start, 0);
    assert_int_equal(size, 1024);
    bw_assert_err(dev->ops->sector_at(dev->ctx, 8192, &start, &size),
                  BW_ERANGE);
    /* The writes and erases that went through were counted. */
    assert_int_equal(f.ops, 4);
    bw_posix_flash_close(&f);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The counter: 0 when absent, advances, refuses to go back (value kept),
 * equal is a no-op, read-only refuses to write, and the file has the
 * documented format with no temporary left behind. */
static void test_counter_advance(void **state)
{
    char path[128], tmp[140];
    bw_posix_counter_t c, ro;
    uint32_t v = 99;
    path_in(state, "counter", path, sizeof path);
    assert_int_equal(bw_posix_counter_init(&c, path, 0), 0);
    assert_int_equal(bw_posix_counter_read(&c, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(bw_posix_counter_advance(&c, 7), 0);
    assert_int_equal(bw_posix_counter_read(&c, &v), 0);
    assert_int_equal(v, 7);
    bw_assert_err(bw_posix_counter_advance(&c, 6), BW_EROLLBACK);
    assert_int_equal(bw_posix_counter_advance(&c, 7), 0);
    assert_int_equal(bw_posix_counter_read(&c, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(bw_posix_counter_init(&ro, path, 1), 0);
    bw_assert_err(bw_posix_counter_advance(&ro, 8), BW_ESTATE);
    bw_boot_counter_t ops = bw_posix_counter_ops(&c);
    assert_int_equal(ops.advance(ops.ctx, 0xffffffffu), 0);
    assert_int_equal(ops.read(ops.ctx, &v), 0);
    assert_int_equal(v, 0xffffffffu);
    FILE *fp = fopen(path, "r");
    char line[64] = "";
    assert_non_null(fp);
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    assert_string_equal(line, "bwcnt1 4294967295/00000000\n");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);
}

/* A damaged counter file is BW_EIO, never 0: wrong check, wrong prefix,
 * truncated, trailing bytes, value over 32 bits, non-digits.  And
 * advancing over a damaged file is refused too. */
static void test_counter_damaged(void **state)
{
    static const char *const bad[] = {
        "bwcnt1 0000000004/fffffffa\n",
        "bwcnt2 0000000004/fffffffb\n",
        "bwcnt1 0000000004/fffffffb",
        "bwcnt1 0000000004/fffffffb\nx",
        "bwcnt1 4294967296/fffffffff\n",
        "bwcnt1 00000000x4/fffffffb\n",
        "",
        "bwcnt1 0000000004/FFFFFFFB\n",
    };
    char path[128];
    bw_posix_counter_t c;
    uint32_t v;
    path_in(state, "counter", path, sizeof path);
    assert_int_equal(bw_posix_counter_init(&c, path, 0), 0);
    write_text(path, "bwcnt1 0000000004/fffffffb\n");
    assert_int_equal(bw_posix_counter_read(&c, &v), 0);
    assert_int_equal(v, 4);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, bad[i]);
        v = 5;
        bw_assert_err(bw_posix_counter_read(&c, &v), BW_EIO);
        assert_int_equal(v, 0);
        bw_assert_err(bw_posix_counter_advance(&c, 9), BW_EIO);
    }
    bw_assert_err(bw_posix_counter_init(&c, "", 0), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geometry_parse),
        cmocka_unit_test(test_geometry_malformed),
        cmocka_unit_test_setup_teardown(test_open_create_validate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nor_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_advance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_damaged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
