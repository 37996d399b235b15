/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bootloader core: decide which image to boot, install updates by
 * swapping slots, revert an update that was never confirmed, refuse
 * rollbacks, and survive power loss at every flash operation.
 *
 * What it owns: the two slots' trailers (the boot state kept at the end of
 * each slot) and the order of every flash write and erase it makes.  What
 * it leaves to others: image parsing and signatures (lib/image), the
 * storage behind the security counter and the jump itself (the port), and
 * the download (the application writes the new image into the secondary
 * slot, then calls bw_boot_set_pending()).  What it must never do: jump
 * to, or report as bootable, an image it has not verified in this run;
 * advance the stored security counter for an image that is not confirmed;
 * allocate, keep global state, or call the OS.
 *
 * Method: swap with offset.  The secondary slot is one "unit" longer than
 * the primary, and the application writes a new image one unit into it.
 * The swap then moves unit i of the primary down to unit i of the
 * secondary, and unit i+1 of the secondary up to unit i of the primary,
 * for i = 0, 1, ...: every sector of both slots is erased once per swap,
 * no scratch area is needed, and every step can be redone after a power
 * cut because its source is still intact.  Progress is recorded in the
 * slots' trailers before each irreversible step.  docs/boot.md has the
 * method, the trailer layout, the state table and the power-cut results.
 *
 * Slot layout (unit = unit_size bytes, n = units):
 *
 *   primary    | unit 0 | unit 1 | ... | unit n-1 | trailer      |
 *   secondary  | spare  | unit 0 | unit 1 | ... | unit n-1 | trailer |
 *                       ^ the application downloads here
 *                         (bw_boot_download_area())
 *
 * A unit is one or more whole sectors in both slots (mixed sector sizes
 * are fine as long as every unit boundary is a sector boundary in both),
 * and each trailer is one or more whole sectors after the last unit.
 *
 * States of the primary image, as the bootloader sees them:
 *   none       nothing to do: the image was installed by the factory or
 *              confirmed; it boots and its security counter is stored
 *   test       swapped in once; it boots right after the swap; if the
 *              next boot finds it still unconfirmed, the swap is reverted
 *   permanent  swapped in for good (counts as confirmed)
 *   revert     the unconfirmed test image is being (or was) swapped back
 */
#ifndef BULWARK_BOOT_H
#define BULWARK_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"
#include "bulwark/flash.h"
#include "bulwark/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Copy and verification buffer inside the context.  512 bytes: a multiple
 * of every write alignment up to BW_FLASH_MAX_ALIGN, and small enough for
 * the RAM a bootloader can spare; larger only means fewer flash reads.
 */
#define BW_BOOT_BUF_SIZE 512u

/*
 * Slots for each self-checking record (START, DONE) in a trailer.  A
 * record torn by a power cut cannot be rewritten in place (NOR), so the
 * next slot is used; four slots survive three cuts in a row at the same
 * write before the bootloader has to fall back (docs/boot.md).
 */
#define BW_BOOT_RECORD_SLOTS 4u

/* Most units in a slot: the record's unit count is 16 bits. */
#define BW_BOOT_MAX_UNITS 0xfffeu

/*
 * Hardened go/no-go values (STYLE.md section 3): many bits set and far
 * apart from each other and from 0/1, so one flipped bit or a skipped
 * instruction cannot turn "no" into "yes".
 */
#define BW_BOOT_GO    0x3cc3a55au
#define BW_BOOT_NO_GO 0xc33c5aa5u

/* What a run did (MCUboot's swap type numbers). */
typedef enum {
    BW_BOOT_SWAP_NONE = 1,
    BW_BOOT_SWAP_TEST = 2,
    BW_BOOT_SWAP_PERM = 3,
    BW_BOOT_SWAP_REVERT = 4
} bw_boot_swap_t;

/*
 * The security counter store (OTP, a TPM NV index, a file).
 *   read:     the stored value; 0 when nothing was ever stored.
 *   advance:  store value; MUST refuse (return an error, change nothing)
 *             when value is below the stored one.
 * Both return 0 or a negative BW_E* code (BW_EIO for the storage).
 */
typedef struct {
    int (*read)(void *ctx, uint32_t *value);
    int (*advance)(void *ctx, uint32_t value);
    void *ctx;
} bw_boot_counter_t;

/*
 * Safe mode: called when no slot holds an image that may boot.  reason is
 * the verification error of the primary image (BW_EMAGIC for an empty
 * slot, BW_EHASH, BW_EKEY, BW_EROLLBACK, ...).  The port stays in its
 * recovery loop (serial download, a blinking LED): it MUST NOT jump.
 */
typedef void (*bw_boot_recovery_fn)(void *ctx, int reason);

typedef struct {
    bw_flash_area_t primary;    /* units * unit_size + its trailer */
    bw_flash_area_t secondary;  /* (units + 1) * unit_size + its trailer */
    uint32_t unit_size;         /* whole sectors in both slots */
    uint32_t units;             /* 1 .. BW_BOOT_MAX_UNITS */
    const bw_image_key_t *keys; /* trusted keys, as lib/image takes them */
    size_t n_keys;
    bw_boot_counter_t counter;
    bw_boot_recovery_fn recovery; /* may be NULL */
    void *recovery_ctx;
} bw_boot_config_t;

/*
 * The bootloader context.  Caller-allocated, fields private.  It holds a
 * copy of the configuration (whose keys and areas' devices MUST outlive
 * it), the trailer geometry computed by bw_boot_init(), the run state and
 * the work buffer.
 */
typedef struct {
    bw_boot_config_t cfg;
    uint32_t state;      /* BOOT_S_* in lib/boot/boot_int.h */
    uint32_t entry;      /* trailer entry size */
    uint32_t field;      /* MCUboot trailer field size */
    uint32_t magic_len;  /* MCUboot magic field size */
    uint32_t ptrail;     /* primary trailer offset in the slot */
    uint32_t strail;     /* secondary trailer offset in the slot */
    uint32_t swapped;    /* this run finished a swap (TEST/PERM) */
    uint32_t last_swap;  /* bw_boot_swap_t of this run */
    uint32_t trace_line; /* source line of the last state change (debug
                            builds; 0 under NDEBUG) */
    uint8_t buf[BW_BOOT_BUF_SIZE];
} bw_boot_t;

/*
 * The decision of a run.  The port jumps only when bw_boot_go() says
 * BW_BOOT_GO; everything else in here is information.
 */
typedef struct {
    uint32_t go;           /* BW_BOOT_GO or BW_BOOT_NO_GO */
    uint32_t go_inv;       /* ~go: both must agree */
    uint32_t flash_off;    /* device offset of the image header to boot */
    uint32_t max_size;     /* bytes of the slot the image may occupy */
    bw_image_info_t image; /* header, layout and counter, verified */
    bw_boot_swap_t swap;   /* what this run did */
    uint8_t confirmed;     /* the image is confirmed (counter stored) */
} bw_boot_result_t;

/* What bw_boot_status() reports, for the application and for tests. */
typedef enum {
    BW_BOOT_PRIMARY_NONE = 1,      /* factory or confirmed */
    BW_BOOT_PRIMARY_TEST = 2,      /* swapped in, not confirmed yet */
    BW_BOOT_PRIMARY_PERM = 3,      /* swapped in permanently */
    BW_BOOT_PRIMARY_REVERTING = 4, /* revert under way */
    BW_BOOT_PRIMARY_REVERTED = 5   /* the test image was swapped back */
} bw_boot_primary_t;

typedef enum {
    BW_BOOT_SECONDARY_NONE = 1,     /* trailer erased: nothing pending */
    BW_BOOT_SECONDARY_PENDING = 2,  /* set_pending done, swap not begun */
    BW_BOOT_SECONDARY_SWAPPING = 3, /* a swap is under way */
    BW_BOOT_SECONDARY_JUNK = 4      /* torn or foreign; next boot erases */
} bw_boot_secondary_t;

typedef struct {
    bw_boot_primary_t primary;
    bw_boot_secondary_t secondary;
    uint8_t pending_permanent; /* PENDING: image_ok set in the secondary */
    uint8_t image_ok;          /* primary image_ok flag */
} bw_boot_status_t;

/*
 * Check the configuration and compute the trailer geometry.  The context
 * is then ready for one bw_boot_run() (a boot) and any number of the
 * application calls below.
 * Returns 0, or
 *   BW_EINVAL  NULL, missing counter callbacks, no keys, units 0 or above
 *              BW_BOOT_MAX_UNITS, an erased value other than 0xff or 0x00;
 *   BW_ERANGE  the slots are not units * unit_size (+1 unit for the
 *              secondary) plus a non-empty trailer;
 *   BW_EALIGN  a unit or trailer boundary is not a sector boundary, or
 *              the two slots' devices have different write alignments;
 *   BW_ENOSPC  a trailer is too small for the records of this many units;
 *   BW_EIO     the device failed to report its geometry.
 */
int bw_boot_init(bw_boot_t *b, const bw_boot_config_t *cfg);

/*
 * One boot: finish or revert what a power cut interrupted, install a
 * pending update, revert an unconfirmed one, then verify the primary
 * image, check it against the stored security counter, store its counter
 * when it is confirmed, and fill *res.  Call once per boot, after
 * bw_boot_init().
 *
 * Returns 0 with res->go = BW_BOOT_GO when the port may boot the image
 * at res->flash_off; otherwise res->go = BW_BOOT_NO_GO and
 *   BW_EIO            a flash (or counter) operation failed: reset and run
 *                     again; the state on flash is always resumable;
 *   BW_EMAGIC, BW_EHASH, BW_ESIGNATURE, BW_EKEY, BW_EROLLBACK, any other
 *   lib/image code    no image may boot (safe mode): the recovery hook
 *                     was called with the same code;
 *   BW_ESTATE         the context was already used for a run;
 *   BW_EINVAL         NULL.
 */
int bw_boot_run(bw_boot_t *b, bw_boot_result_t *res);

/*
 * The hardened go check for the port: BW_BOOT_GO only when both copies of
 * the decision agree (checked twice); BW_BOOT_NO_GO otherwise (also for
 * NULL).
 */
uint32_t bw_boot_go(const bw_boot_result_t *res);

/*
 * Application side.  These are power-loss safe: a cut leaves either the
 * old state or the new one, or a torn trailer that the next boot
 * recognises and cleans up.
 */

/*
 * The window the application downloads a new image into: the secondary
 * slot from its second unit, units * unit_size bytes.
 * Returns 0, BW_EINVAL.
 */
int bw_boot_download_area(const bw_boot_t *b, bw_flash_area_t *fa);

/*
 * Erase the whole secondary slot (trailer first) before a download.
 * Returns 0, BW_ESTATE when the running image is an unconfirmed test
 * image (the secondary holds the image a revert needs), BW_EIO, BW_EINVAL.
 */
int bw_boot_erase_secondary(bw_boot_t *b);

/*
 * Mark the downloaded image for installation at the next boot: as a test
 * (permanent = 0: swapped once, reverted unless confirmed) or for good.
 * Checks only that an image header is there; the bootloader verifies.
 * Calling it again with the same mode does nothing; a torn earlier call
 * is cleaned up (the trailer is erased and written again).
 * Returns 0, BW_ESTATE (the running image is an unconfirmed test image:
 * confirm it first), any bw_image_header_read() code for the downloaded
 * image, BW_EIO, BW_EINVAL.
 */
int bw_boot_set_pending(bw_boot_t *b, int permanent);

/*
 * Mark the running primary image as good (MCUboot's image_ok), so it is
 * not reverted; its security counter is stored at the next boot.  Does
 * nothing when the image is already confirmed.
 * Returns 0, BW_EMALFORMED (the image_ok field holds a value that is
 * neither set nor erased), BW_EIO, BW_EINVAL.
 */
int bw_boot_confirm(bw_boot_t *b);

/* Read the boot state of both slots.  Returns 0, BW_EIO, BW_EINVAL. */
int bw_boot_status(bw_boot_t *b, bw_boot_status_t *st);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_BOOT_H */
