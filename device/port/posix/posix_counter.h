/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The POSIX port's security counter store: one small file holding the
 * highest security counter confirmed on this device, behind lib/boot's
 * bw_boot_counter_t.
 *
 * What it owns: the file at path and its temporary sibling path + ".tmp".
 * What it must never do: lower the value, read a damaged file as 0 (that
 * would reopen every rollback), or leave a half-written file behind.
 *
 * File format, one line of text (27 bytes), so an operator can read it:
 *
 *   "bwcnt1 " value "/" check "\n"
 *     value  decimal, 10 digits, zero-padded
 *     check  ~value as 8 lowercase hex digits
 *
 * A missing file is a fresh device: the value is 0.  Any other content,
 * or a check that does not match, is BW_EIO: the store is damaged and
 * the bootloader then refuses to decide (safe mode) rather than guess.
 *
 * Advancing writes path + ".tmp", fsyncs it, renames it over path and
 * fsyncs the directory: after a crash the file holds the old value or
 * the new one, never a mix.
 */
#ifndef BW_POSIX_COUNTER_H
#define BW_POSIX_COUNTER_H

#include <stdint.h>

#include "bulwark/boot.h"

/* Longest path accepted (PATH_MAX on Linux, minus the ".tmp" suffix). */
#define BW_POSIX_COUNTER_PATH_MAX 4090u

/* Bytes of a counter file: "bwcnt1 " + 10 + "/" + 8 + "\n". */
#define BW_POSIX_COUNTER_FILE_LEN 27u

typedef struct {
    char path[BW_POSIX_COUNTER_PATH_MAX + 1];
    int read_only; /* advance refused with BW_ESTATE (bulwark-bootctl) */
} bw_posix_counter_t;

/*
 * Point c at path (the file need not exist yet).
 * Returns 0, BW_EINVAL (NULL or empty), BW_ENOSPC (path too long).
 */
int bw_posix_counter_init(bw_posix_counter_t *c, const char *path,
                          int read_only);

/*
 * The stored value (0 when the file does not exist).
 * Returns 0, BW_EIO (unreadable or damaged file), BW_EINVAL.
 */
int bw_posix_counter_read(void *ctx, uint32_t *value);

/*
 * Store value.  Equal to the stored value: nothing is written.
 * Returns 0, BW_EROLLBACK (value below the stored one: nothing changed),
 * BW_ESTATE (read-only), BW_EIO, BW_EINVAL.
 */
int bw_posix_counter_advance(void *ctx, uint32_t value);

/* The bw_boot_counter_t for lib/boot. */
bw_boot_counter_t bw_posix_counter_ops(bw_posix_counter_t *c);

#endif /* BW_POSIX_COUNTER_H */
