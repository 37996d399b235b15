/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The POSIX port's flash: one regular file ("flash image") that behaves
 * like a NOR flash device behind bw_flash_ops_t, for bulwark-boot and the
 * application that updates it (bulwark-bootctl).
 *
 * What it owns: the file descriptor of the flash image and its geometry.
 * What it must never do: let a write set a bit (programming only clears
 * bits, as on NOR: the new byte is old & data), accept a misaligned write
 * or an erase that does not cover whole sectors, or report success for
 * bytes that did not reach the file.
 *
 * Geometry is a list of sector runs written "SIZExCOUNT[,SIZExCOUNT...]"
 * ("4096x64" is 64 sectors of 4 KiB; "2048x8,4096x4,8192x2" is mixed),
 * a bare "SIZE" being one sector.  The file's size MUST be the sum of the
 * sectors; a new file is created fully erased (0xFF).
 *
 *   file offset 0                                              size
 *   +--------+--------+-- ... --+------------+-- ... --+-----------+
 *   | run 0 sector 0  | run 0 sector 1 ...   | run 1 sector 0 ...  |
 *   +--------+--------+-- ... --+------------+-- ... --+-----------+
 *
 * Durability: with sync set, every write and erase is followed by
 * fdatasync(), so a completed operation survives a crash of the OS, not
 * just of the process.  A process killed in the middle of an operation
 * leaves it torn (some bytes written, as on real flash); lib/boot is
 * built to recover from that.
 *
 * Fault injection for tests (both 0 = off, normally set from the
 * environment by the programs, see docs/boot.md):
 *   delay_us     sleep this long before every write and erase, so a test
 *                can kill the process in the middle of a swap;
 *   crash_at_op  the process kills itself (SIGKILL) instead of doing
 *                write/erase number crash_at_op (counted from 1 since
 *                open), a reproducible power cut.
 */
#ifndef BW_POSIX_FLASH_H
#define BW_POSIX_FLASH_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/flash.h"

/*
 * Sector runs in a geometry: 16 is far more than any real part has
 * (boot sector, main array, parameter sectors) and keeps the struct small.
 */
#define BW_POSIX_FLASH_MAX_RUNS 16u

/* Longest geometry string accepted (16 runs of "SIZExCOUNT,"). */
#define BW_POSIX_GEOMETRY_MAX 256u

/* Bytes erased or copied per system call when creating or erasing. */
#define BW_POSIX_FLASH_CHUNK 4096u

typedef struct {
    uint32_t size;  /* bytes per sector, > 0 */
    uint32_t count; /* sectors, > 0 */
} bw_posix_run_t;

typedef struct {
    bw_posix_run_t run[BW_POSIX_FLASH_MAX_RUNS];
    size_t n_runs;
    uint32_t total; /* sum of all sectors, fits in 32 bits */
} bw_posix_geometry_t;

typedef struct {
    bw_flash_t dev; /* dev.ctx points at this struct: do not copy */
    bw_posix_geometry_t geom;
    int fd;
    int sync;             /* fdatasync after every write and erase */
    uint32_t delay_us;    /* fault injection: sleep before each op */
    uint64_t crash_at_op; /* fault injection: SIGKILL at this op (0 off) */
    uint64_t ops;         /* writes + erases done since open */
} bw_posix_flash_t;

/*
 * Parse a geometry string into *g.
 * Returns 0, or BW_EMALFORMED (syntax, a zero size or count, too many
 * runs), BW_EOVERFLOW (the total does not fit in 32 bits), BW_EINVAL
 * (NULL).  *g is zeroed on failure.
 */
int bw_posix_geometry_parse(const char *s, bw_posix_geometry_t *g);

/*
 * Write g back as a string (the canonical form of the parse above).
 * Returns 0, BW_ENOSPC, BW_EINVAL.
 */
int bw_posix_geometry_format(const bw_posix_geometry_t *g, char *out,
                             size_t cap);

/*
 * Open the flash image at path with geometry g and write alignment align
 * (1 .. BW_FLASH_MAX_ALIGN, a power of two; erased value 0xFF).  With
 * create set, a missing file is created erased; an existing file must
 * have exactly g->total bytes either way.
 * Returns 0, or BW_EINVAL (NULL, bad alignment, a sector size that is not
 * a multiple of align), BW_ERANGE (existing file of another size),
 * BW_ENOTFOUND (missing and create not set), BW_EIO (the file system).
 */
int bw_posix_flash_open(bw_posix_flash_t *f, const char *path,
                        const bw_posix_geometry_t *g, uint8_t align,
                        int create);

/* Close the file (safe on a zeroed or closed struct). */
void bw_posix_flash_close(bw_posix_flash_t *f);

/* The device, for bw_flash_area_t.dev. */
const bw_flash_t *bw_posix_flash_dev(const bw_posix_flash_t *f);

/*
 * Sector containing off (also the ops' sector_at).  Returns 0 or
 * BW_ERANGE.
 */
int bw_posix_geometry_sector_at(const bw_posix_geometry_t *g, uint32_t off,
                                uint32_t *start, uint32_t *size);

#endif /* BW_POSIX_FLASH_H */
