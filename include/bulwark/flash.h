/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flash seam: how portable code reads, writes and erases the storage
 * that holds images, boot state and (later) the key/value store.
 *
 * A port supplies one bw_flash_ops_t per flash device (MCUboot's lesson:
 * a handful of calls plus geometry).  Portable code never looks at a
 * device's context and never assumes an image is mapped in RAM: every
 * byte is read through bw_flash_read().
 *
 * NOR semantics are assumed, and the simulated flash used by the tests
 * enforces them more strictly than real parts do:
 *   - erase works on whole sectors and sets every byte to erased_val
 *     (0xFF on NOR);
 *   - write programs write_align-aligned runs, a multiple of write_align
 *     long, into erased bytes only (programming only clears bits; writing
 *     twice without an erase is an error);
 *   - sectors may differ in size within one device.
 *
 * A flash area (bw_flash_area_t) is a window on a device: a slot, the
 * scratch or status area.  Offsets passed to the area functions are
 * relative to the area and checked against its size.
 */
#ifndef BULWARK_FLASH_H
#define BULWARK_FLASH_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Largest write alignment supported: 32 bytes covers every NOR and
 * internal MCU flash in common use (STM32H7 programs 32-byte words).
 */
#define BW_FLASH_MAX_ALIGN 32

/*
 * Operations of one flash device.  Every function returns 0, or BW_EIO
 * when the hardware failed (the state of the bytes concerned is then
 * unknown), BW_EALIGN / BW_ERANGE for a request the device cannot take.
 *
 * read:       len bytes at off into buf; any alignment.
 * write:      len bytes at off; off and len multiples of write_align.
 * erase:      [off, off + len) exactly covering whole sectors.
 * sector_at:  the sector containing off: its start and size.
 */
typedef struct {
    int (*read)(void *ctx, uint32_t off, void *buf, size_t len);
    int (*write)(void *ctx, uint32_t off, const void *buf, size_t len);
    int (*erase)(void *ctx, uint32_t off, uint32_t len);
    int (*sector_at)(void *ctx, uint32_t off, uint32_t *start,
                     uint32_t *size);
} bw_flash_ops_t;

/* A flash device: its operations, their context and its geometry. */
typedef struct {
    const bw_flash_ops_t *ops;
    void *ctx;
    uint32_t size;       /* bytes */
    uint8_t write_align; /* 1 .. BW_FLASH_MAX_ALIGN, a power of two */
    uint8_t erased_val;  /* 0xFF for NOR */
} bw_flash_t;

/* A window [off, off + size) on a device. */
typedef struct {
    const bw_flash_t *dev;
    uint32_t off;
    uint32_t size;
} bw_flash_area_t;

/*
 * Area operations: offsets relative to the area, bounds-checked
 * (BW_ERANGE when the request leaves the area, BW_EALIGN when a write or
 * erase is misaligned), then passed to the device.
 */
int bw_flash_read(const bw_flash_area_t *fa, uint32_t off, void *buf,
                  size_t len);
int bw_flash_write(const bw_flash_area_t *fa, uint32_t off, const void *buf,
                   size_t len);
int bw_flash_erase(const bw_flash_area_t *fa, uint32_t off, uint32_t len);
int bw_flash_sector_at(const bw_flash_area_t *fa, uint32_t off,
                       uint32_t *start, uint32_t *size);

/*
 * Is [off, off + len) all erased_val?  Returns 1 or 0, or a negative
 * error from the read.
 */
int bw_flash_is_erased(const bw_flash_area_t *fa, uint32_t off, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_FLASH_H */
