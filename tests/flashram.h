/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A read-only flash device over a buffer in RAM, for tests that need an
 * image "in flash" (include/bulwark/flash.h).  Writes and erases fail
 * with BW_EIO: code that only reads must never try either.
 *
 * It counts reads and records the largest one, so a test can show that a
 * reader stays within its buffer, and it can fail the n-th read with
 * BW_EIO to exercise error paths.  Test code only.
 */
#ifndef BW_TEST_FLASHRAM_H
#define BW_TEST_FLASHRAM_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/flash.h"

/* Geometry the RAM device reports: one 4 KiB sector size throughout. */
#define BW_FLASHRAM_SECTOR 4096u

/* fail_read when no read is to fail. */
#define BW_FLASHRAM_NEVER UINT32_MAX

typedef struct {
    const uint8_t *data;
    uint32_t size;
    uint32_t reads;     /* reads served or failed so far */
    uint32_t fail_read; /* 0-based index of the read that fails, or NEVER */
    size_t max_read;    /* largest len asked for */
    uint32_t writes;    /* attempted writes and erases (all refused) */
    bw_flash_t dev;
    bw_flash_area_t area; /* the whole device */
} bw_flashram_t;

/*
 * Wrap data[0, size) (which MUST outlive fr) as a device and an area over
 * all of it.  The struct holds pointers into itself (area.dev, dev.ctx),
 * so it must not be copied after this call.
 */
void bw_flashram_init(bw_flashram_t *fr, const void *data, uint32_t size);

#endif /* BW_TEST_FLASHRAM_H */
