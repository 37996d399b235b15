/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A simulated NOR flash device for tests, with power-cut injection.
 *
 * The simulator implements bw_flash_ops_t over RAM and is deliberately
 * stricter than real parts, so a bug that real flash would forgive shows
 * up here:
 *   - erase takes whole sectors only and sets them to erased_val;
 *   - write takes write_align-aligned offsets and lengths, and every byte
 *     it programs MUST still be erased: programming a byte twice without
 *     an erase is refused (BW_ESTATE) and counted as a violation, even
 *     when the new value would only clear bits;
 *   - sectors may have any sizes (uniform or mixed layouts).
 *
 * Power cuts.  Every write and every erase call is one "operation",
 * numbered from 1 since the last bw_flashsim_reset_ops().  A test arms a
 * cut at operation N with one of three timings:
 *   BEFORE  the operation does nothing;
 *   TORN    a write programs only some of its bytes (a prefix, or an
 *           arbitrary subset); an erase leaves part of its range erased
 *           and the rest unchanged, or garbled with random bytes;
 *   AFTER   the operation completes.
 * In all three cases the call returns BW_EIO and the device is "dead":
 * every later read, write or erase fails with BW_EIO until the test
 * calls bw_flashsim_reboot(), which models power coming back (memory
 * contents survive, the cut is disarmed).
 *
 * Test code only: it allocates with malloc and is never linked into a
 * product.
 */
#ifndef BW_FLASHSIM_H
#define BW_FLASHSIM_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/flash.h"

/* Most sectors a simulated device may have (tests use far fewer). */
#define BW_FLASHSIM_MAX_SECTORS 1024

typedef enum {
    BW_FLASHSIM_CUT_BEFORE = 1,
    BW_FLASHSIM_CUT_TORN = 2,
    BW_FLASHSIM_CUT_AFTER = 3
} bw_flashsim_cut_t;

/* How a torn operation was torn (chosen from the seed; reported). */
typedef enum {
    BW_FLASHSIM_TEAR_NONE = 0,
    BW_FLASHSIM_TEAR_PREFIX = 1,  /* write: only a prefix programmed */
    BW_FLASHSIM_TEAR_SUBSET = 2,  /* write: an arbitrary subset programmed */
    BW_FLASHSIM_TEAR_PARTIAL = 3, /* erase: part erased, rest unchanged */
    BW_FLASHSIM_TEAR_GARBLE = 4   /* erase: part erased, rest random */
} bw_flashsim_tear_t;

typedef struct {
    bw_flash_t dev; /* dev.ctx points at this simulator */
    uint8_t *mem;
    uint32_t *sector_size;   /* n_sectors entries */
    uint32_t *sector_erases; /* wear: erases per sector, never reset */
    size_t n_sectors;
    /* Operation counting and the armed cut. */
    uint64_t ops;    /* writes + erases since the last reset_ops */
    uint64_t writes; /* totals since the last reset_ops */
    uint64_t erases;
    uint64_t cut_at; /* 0 = no cut armed */
    bw_flashsim_cut_t cut_mode;
    uint32_t rng;
    int dead;
    bw_flashsim_tear_t last_tear; /* what the last torn op did */
    uint64_t violations; /* double writes, misaligned or partial erases */
} bw_flashsim_t;

/*
 * Create a device with n_sectors sectors of the given sizes, all erased.
 * write_align 1..BW_FLASH_MAX_ALIGN, a power of two.
 * Returns 0, or BW_EINVAL for a bad layout, BW_ENOMEM.
 */
int bw_flashsim_init(bw_flashsim_t *sim, const uint32_t *sector_sizes,
                     size_t n_sectors, uint8_t write_align, uint8_t erased_val);

/* Fill sizes[0..n) with one size; returns n (a helper for layouts). */
size_t bw_flashsim_uniform(uint32_t *sizes, size_t n, uint32_t size);

void bw_flashsim_free(bw_flashsim_t *sim);

/* The device, for bw_flash_area_t.dev. */
const bw_flash_t *bw_flashsim_dev(const bw_flashsim_t *sim);

/*
 * Arm a power cut at operation number op (counted from 1 after the last
 * reset_ops; op <= ops already done never fires).  seed picks how a torn
 * operation tears and which bytes it touches, reproducibly.
 */
void bw_flashsim_arm(bw_flashsim_t *sim, uint64_t op, bw_flashsim_cut_t mode,
                     uint32_t seed);

/* Disarm any cut. */
void bw_flashsim_disarm(bw_flashsim_t *sim);

/* Power comes back: the device works again, no cut is armed. */
void bw_flashsim_reboot(bw_flashsim_t *sim);

/* Restart operation numbering (and the write/erase totals) at 0. */
void bw_flashsim_reset_ops(bw_flashsim_t *sim);

/* Index of the sector holding device offset off, or -1. */
long bw_flashsim_sector_index(const bw_flashsim_t *sim, uint32_t off);

/*
 * Write bytes directly, bypassing NOR rules and counting (for setting
 * up a state, or corrupting one, in a test).
 */
void bw_flashsim_poke(bw_flashsim_t *sim, uint32_t off, const void *data,
                      size_t len);

#endif /* BW_FLASHSIM_H */
