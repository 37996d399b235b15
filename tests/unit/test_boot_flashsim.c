/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated flash (tests/flashsim.c) is itself under test: the
 * power-cut proofs are only as good as its NOR rules and its cuts.
 */
#include <string.h>

#include "flashsim.h"
#include "testutil.h"

/* 4 x 256 + 2 x 512: a mixed layout, 2048 bytes, 4-byte writes. */
static int setup_mixed(bw_flashsim_t *sim)
{
    uint32_t sizes[6] = {256, 256, 256, 256, 512, 512};
    return bw_flashsim_init(sim, sizes, 6, 4, 0xff);
}

static bw_flash_area_t whole(const bw_flashsim_t *sim)
{
    bw_flash_area_t fa = {bw_flashsim_dev(sim), 0, sim->dev.size};
    return fa;
}

/* A fresh device is erased; geometry is reported through sector_at. */
static void test_init_geometry(void **state)
{
    (void)state;
    bw_flashsim_t sim;
    assert_int_equal(setup_mixed(&sim), 0);
    bw_flash_area_t fa = whole(&sim);
    assert_int_equal(sim.dev.size, 2048);
    assert_int_equal(bw_flash_is_erased(&fa, 0, 2048), 1);
    uint32_t s, n;
    assert_int_equal(bw_flash_sector_at(&fa, 1030, &s, &n), 0);
    assert_int_equal(s, 1024);
    assert_int_equal(n, 512);
    assert_int_equal(bw_flash_sector_at(&fa, 255, &s, &n), 0);
    assert_int_equal(s, 0);
    assert_int_equal(n, 256);
    bw_assert_err(bw_flash_sector_at(&fa, 2048, &s, &n), BW_ERANGE);
    bw_flashsim_free(&sim);

    /* Bad layouts are refused. */
    uint32_t bad[2] = {256, 6};
    bw_assert_err(bw_flashsim_init(&sim, bad, 2, 4, 0xff), BW_EINVAL);
    bw_assert_err(bw_flashsim_init(&sim, bad, 1, 3, 0xff), BW_EINVAL);
    bw_assert_err(bw_flashsim_init(&sim, bad, 0, 4, 0xff), BW_EINVAL);
}

/*
 * NOR rules: a second write to programmed bytes is refused even when it
 * would only clear bits; writes must be aligned; erase restores them.
 */
static void test_nor_rules(void **state)
{
    (void)state;
    bw_flashsim_t sim;
    assert_int_equal(setup_mixed(&sim), 0);
    bw_flash_area_t fa = whole(&sim);
    const uint8_t a[4] = {1, 2, 3, 4}, z[4] = {0, 0, 0, 0};
    uint8_t got[4];
    assert_int_equal(bw_flash_write(&fa, 8, a, 4), 0);
    assert_int_equal(bw_flash_read(&fa, 8, got, 4), 0);
    assert_memory_equal(got, a, 4);
    bw_assert_err(bw_flash_write(&fa, 8, z, 4), BW_ESTATE);
    assert_int_equal(sim.violations, 1);
    /* Misalignment is caught by the area layer before the device. */
    bw_assert_err(bw_flash_write(&fa, 2, a, 4), BW_EALIGN);
    bw_assert_err(bw_flash_write(&fa, 12, a, 3), BW_EALIGN);
    /* And by the device itself when called directly. */
    bw_assert_err(sim.dev.ops->write(sim.dev.ctx, 2, a, 4), BW_EALIGN);
    /* Erasing part of a sector is refused; whole sectors work. */
    bw_assert_err(bw_flash_erase(&fa, 0, 128), BW_EALIGN);
    bw_assert_err(sim.dev.ops->erase(sim.dev.ctx, 0, 300), BW_EALIGN);
    assert_int_equal(bw_flash_erase(&fa, 0, 256), 0);
    assert_int_equal(bw_flash_is_erased(&fa, 0, 256), 1);
    assert_int_equal(bw_flash_write(&fa, 8, z, 4), 0);
    /* Erasing across mixed sizes: 256 + 512 from 768. */
    assert_int_equal(bw_flash_erase(&fa, 768, 768), 0);
    assert_int_equal(sim.sector_erases[0], 1);
    assert_int_equal(sim.sector_erases[3], 1);
    assert_int_equal(sim.sector_erases[4], 1);
    assert_int_equal(sim.sector_erases[5], 0);
    assert_int_equal(sim.writes, 2);
    assert_int_equal(sim.erases, 2);
    bw_flashsim_free(&sim);
}

/*
 * A cut BEFORE leaves the bytes alone, AFTER completes them; both make
 * the device dead (BW_EIO on every call) until reboot.
 */
static void test_cut_before_after(void **state)
{
    (void)state;
    bw_flashsim_t sim;
    assert_int_equal(setup_mixed(&sim), 0);
    bw_flash_area_t fa = whole(&sim);
    const uint8_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t got[8];
    bw_flashsim_arm(&sim, 2, BW_FLASHSIM_CUT_BEFORE, 1);
    assert_int_equal(bw_flash_write(&fa, 0, a, 4), 0);
    bw_assert_err(bw_flash_write(&fa, 4, a + 4, 4), BW_EIO);
    bw_assert_err(bw_flash_read(&fa, 0, got, 4), BW_EIO);
    bw_assert_err(bw_flash_erase(&fa, 0, 256), BW_EIO);
    bw_flashsim_reboot(&sim);
    assert_int_equal(bw_flash_read(&fa, 0, got, 8), 0);
    assert_memory_equal(got, a, 4);
    assert_int_equal(bw_flash_is_erased(&fa, 4, 4), 1);

    bw_flashsim_reset_ops(&sim);
    bw_flashsim_arm(&sim, 1, BW_FLASHSIM_CUT_AFTER, 1);
    bw_assert_err(bw_flash_write(&fa, 4, a + 4, 4), BW_EIO);
    bw_flashsim_reboot(&sim);
    assert_int_equal(bw_flash_read(&fa, 0, got, 8), 0);
    assert_memory_equal(got, a, 8);

    bw_flashsim_reset_ops(&sim);
    bw_flashsim_arm(&sim, 1, BW_FLASHSIM_CUT_BEFORE, 1);
    bw_assert_err(bw_flash_erase(&fa, 0, 256), BW_EIO);
    bw_flashsim_reboot(&sim);
    assert_int_equal(bw_flash_read(&fa, 0, got, 8), 0);
    assert_memory_equal(got, a, 8);
    bw_flashsim_free(&sim);
}

/*
 * A torn write programs a proper subset of its bytes (over many seeds
 * both tear styles appear, and never all bytes of a write whose bytes
 * all differ from erased).
 */
static void test_torn_write(void **state)
{
    (void)state;
    int seen_prefix = 0, seen_subset = 0;
    uint8_t data[32];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i + 1);
    for (uint32_t seed = 0; seed < 64; seed++) {
        bw_flashsim_t sim;
        assert_int_equal(setup_mixed(&sim), 0);
        bw_flash_area_t fa = whole(&sim);
        bw_flashsim_arm(&sim, 1, BW_FLASHSIM_CUT_TORN, seed);
        bw_assert_err(bw_flash_write(&fa, 32, data, 32), BW_EIO);
        bw_flashsim_reboot(&sim);
        uint8_t got[32];
        assert_int_equal(bw_flash_read(&fa, 32, got, 32), 0);
        size_t programmed = 0, prefix = 1;
        for (size_t i = 0; i < 32; i++) {
            if (got[i] == data[i])
                programmed++;
            else
                assert_int_equal(got[i], 0xff); /* never anything else */
            if (i > 0 && got[i] == data[i] && got[i - 1] != data[i - 1])
                prefix = 0;
        }
        if (sim.last_tear == BW_FLASHSIM_TEAR_PREFIX) {
            seen_prefix = 1;
            assert_true(prefix);
            assert_true(programmed < 32);
        } else {
            assert_int_equal(sim.last_tear, BW_FLASHSIM_TEAR_SUBSET);
            seen_subset = 1;
        }
        bw_flashsim_free(&sim);
    }
    assert_true(seen_prefix && seen_subset);
}

/*
 * A torn erase of a two-sector range: the first sector may be erased,
 * the torn one keeps some old or random bytes, the rest is untouched;
 * across seeds both styles appear and the range is never left intact
 * AND fully erased at once (something visibly happened or not).
 */
static void test_torn_erase(void **state)
{
    (void)state;
    int seen_partial = 0, seen_garble = 0, seen_mixed = 0;
    for (uint32_t seed = 0; seed < 64; seed++) {
        bw_flashsim_t sim;
        assert_int_equal(setup_mixed(&sim), 0);
        bw_flash_area_t fa = whole(&sim);
        uint8_t fill[256];
        memset(fill, 0x5a, sizeof fill);
        for (uint32_t off = 0; off < 512; off += 256)
            assert_int_equal(bw_flash_write(&fa, off, fill, 256), 0);
        bw_flashsim_reset_ops(&sim);
        bw_flashsim_arm(&sim, 1, BW_FLASHSIM_CUT_TORN, seed);
        bw_assert_err(bw_flash_erase(&fa, 0, 512), BW_EIO);
        bw_flashsim_reboot(&sim);
        int erased = bw_flash_is_erased(&fa, 0, 512);
        assert_true(erased == 0 || erased == 1); /* no read error */
        uint8_t got[512];
        assert_int_equal(bw_flash_read(&fa, 0, got, 512), 0);
        size_t n_erased = 0, n_old = 0;
        for (size_t i = 0; i < 512; i++) {
            n_erased += got[i] == 0xff;
            n_old += got[i] == 0x5a;
        }
        assert_true(n_erased > 0); /* a torn erase always erased a run */
        if (sim.last_tear == BW_FLASHSIM_TEAR_PARTIAL) {
            seen_partial = 1;
            assert_int_equal(n_erased + n_old, 512);
            if (n_old > 0)
                seen_mixed = 1;
        } else {
            assert_int_equal(sim.last_tear, BW_FLASHSIM_TEAR_GARBLE);
            seen_garble = 1;
        }
        bw_flashsim_free(&sim);
    }
    assert_true(seen_partial && seen_garble && seen_mixed);
}

/* Operations are counted from 1; a cut armed in the past never fires. */
static void test_op_counting(void **state)
{
    (void)state;
    bw_flashsim_t sim;
    assert_int_equal(setup_mixed(&sim), 0);
    bw_flash_area_t fa = whole(&sim);
    const uint8_t a[4] = {1, 2, 3, 4};
    uint8_t got[4];
    assert_int_equal(bw_flash_write(&fa, 0, a, 4), 0);
    assert_int_equal(bw_flash_read(&fa, 0, got, 4), 0); /* reads: no op */
    assert_int_equal(bw_flash_erase(&fa, 256, 256), 0);
    assert_int_equal(sim.ops, 2);
    bw_flashsim_arm(&sim, 1, BW_FLASHSIM_CUT_BEFORE, 0);
    assert_int_equal(bw_flash_write(&fa, 4, a, 4), 0);
    assert_int_equal(sim.dead, 0);
    bw_flashsim_reset_ops(&sim);
    bw_flashsim_arm(&sim, 1, BW_FLASHSIM_CUT_BEFORE, 0);
    bw_flashsim_disarm(&sim);
    assert_int_equal(bw_flash_write(&fa, 8, a, 4), 0);
    assert_int_equal(sim.ops, 1);
    /* Refused requests are not operations. */
    bw_assert_err(bw_flash_write(&fa, 8, a, 4), BW_ESTATE);
    assert_int_equal(sim.ops, 1);
    bw_flashsim_free(&sim);
}

/* Erased value 0x00 (some flash types) works the same way. */
static void test_erased_zero(void **state)
{
    (void)state;
    bw_flashsim_t sim;
    uint32_t sizes[2];
    bw_flashsim_uniform(sizes, 2, 128);
    assert_int_equal(bw_flashsim_init(&sim, sizes, 2, 8, 0x00), 0);
    bw_flash_area_t fa = whole(&sim);
    const uint8_t a[8] = {0, 0, 0, 9, 0, 0, 0, 0};
    assert_int_equal(bw_flash_is_erased(&fa, 0, 256), 1);
    assert_int_equal(bw_flash_write(&fa, 0, a, 8), 0);
    bw_assert_err(bw_flash_write(&fa, 0, a, 8), BW_ESTATE);
    assert_int_equal(bw_flash_erase(&fa, 0, 128), 0);
    assert_int_equal(bw_flash_is_erased(&fa, 0, 256), 1);
    bw_flashsim_free(&sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_geometry),
        cmocka_unit_test(test_nor_rules),
        cmocka_unit_test(test_cut_before_after),
        cmocka_unit_test(test_torn_write),
        cmocka_unit_test(test_torn_erase),
        cmocka_unit_test(test_op_counting),
        cmocka_unit_test(test_erased_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
