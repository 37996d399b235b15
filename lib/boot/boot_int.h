/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to lib/boot: trailer records, the classification of both
 * trailers, and the functions the module's files share.
 *
 * TRAILER LAYOUT (offsets from the start of a slot's trailer region; e is
 * the entry size, max(16, write_align); K = BW_BOOT_RECORD_SLOTS; n =
 * units).  Every entry is written once, whole, and never rewritten:
 *
 *   secondary trailer (written afresh for every update)
 *     entry 0 .. K-1      START record slots (first valid one counts)
 *     entry K             flag PCLEAN: the primary trailer was erased
 *     entry K+1 .. K+2n   flag per swap step: 2i = unit i primary ->
 *                         secondary, 2i+1 = unit i+1 secondary -> primary
 *   primary trailer (erased when an update starts, after START)
 *     entry 0 .. K-1      DONE record slots
 *     entry K             flag REVERT_START
 *     entry K+1 .. K+2n   flag per revert step (same numbering)
 *     entry K+2n+1        flag REVERT_DONE
 *   both, at the very end of the slot (MCUboot's trailer tail; f is the
 *   field size max(8, write_align), m the magic size max(16, write_align))
 *     end-m-4f .. end-m-f  reserved (MCUboot's swap_size, swap_info,
 *                          copy_done; never written, never read)
 *     end-m-f              image_ok: 0x01 then erased padding
 *     end-m                magic: 16 bytes, right-aligned in its field
 *
 * A flag is set when any of its bytes is not erased: it is written only
 * after the step it records is complete, so a torn flag still means
 * "done".  A record carries its own complement, so a torn record is
 * recognised and skipped:
 *
 *   0      1      2      4      6      8                 16
 *   +------+------+------+------+------+-----------------+
 *   | tag  | kind | seq  | units| 5aa5 | complement of   |
 *   |      |      | u16  | u16  |      | bytes 0..7      |
 *   +------+------+------+------+------+-----------------+
 */
#ifndef BW_BOOT_INT_H
#define BW_BOOT_INT_H

#include "bulwark/boot.h"

/* Run states (bw_boot_t.state), changed only by bw_boot__set_state(). */
#define BOOT_S_IDLE   0x11u /* initialised, no run yet */
#define BOOT_S_SWAP   0x22u /* installing an update */
#define BOOT_S_REVERT 0x33u /* reverting an unconfirmed update */
#define BOOT_S_VERIFY 0x44u /* checking the image to boot */
#define BOOT_S_BOOTED 0x55u /* a run ended with GO */
#define BOOT_S_FAILED 0x66u /* a run ended with NO_GO (sticky) */
/* Every state is a multiple of this (the invariant checker relies on it). */
#define BOOT_S_STEP 0x11u

#define BOOT_TAG_START 0xb1u
#define BOOT_TAG_DONE  0xd2u
#define BOOT_REC_LEN   16u

#define BOOT_IDX_PCLEAN   BW_BOOT_RECORD_SLOTS /* secondary */
#define BOOT_IDX_RSTART   BW_BOOT_RECORD_SLOTS /* primary */
#define BOOT_IDX_STEP(k)  (BW_BOOT_RECORD_SLOTS + 1u + (k))
#define BOOT_IDX_RDONE(n) (BW_BOOT_RECORD_SLOTS + 1u + 2u * (n))
/* Entries the larger (primary) log needs for n units. */
#define BOOT_LOG_ENTRIES(n) (BW_BOOT_RECORD_SLOTS + 2u + 2u * (n))
/* A trailer's size (log entries of at most BW_FLASH_MAX_ALIGN bytes, the
 * magic and four fields) fits 32 bits for every allowed unit count. */
_Static_assert((uint64_t)BOOT_LOG_ENTRIES(BW_BOOT_MAX_UNITS) *
                           BW_FLASH_MAX_ALIGN +
                       5u * BW_FLASH_MAX_ALIGN <=
                   UINT32_MAX,
               "trailer size overflows 32 bits");

typedef struct {
    uint8_t kind; /* BW_BOOT_SWAP_TEST or _PERM */
    uint16_t seq;
    uint16_t units;
} boot_rec_t;

typedef enum { BOOT_SLOT_PRIMARY = 0, BOOT_SLOT_SECONDARY = 1 } boot_slot_t;

/* Both trailers, decoded. */
typedef struct {
    /* secondary */
    bw_boot_secondary_t sec;
    uint8_t sec_magic;    /* magic intact */
    uint8_t sec_image_ok; /* image_ok set */
    uint8_t has_start;
    boot_rec_t start;
    uint8_t pclean;
    /* primary */
    bw_boot_primary_t prim;
    uint8_t has_done;
    boot_rec_t done;
    uint8_t image_ok; /* 1 set, 0 erased, 2 neither */
    uint8_t revert_start;
    uint8_t revert_done;
} boot_view_t;

/*
 * The one state setter.  Debug builds record the source line of every
 * change in trace_line; release builds (NDEBUG) leave it 0, so the setter
 * costs a store, not an extra argument at every call.
 */
#ifdef NDEBUG
#define BOOT_LINE_PARAM
#define BOOT_SET_STATE(b, s) bw_boot__set_state((b), (s))
#else
#define BOOT_LINE_PARAM      , uint32_t line
#define BOOT_SET_STATE(b, s) bw_boot__set_state((b), (s), __LINE__)
#endif
void bw_boot__set_state(bw_boot_t *b, uint32_t state BOOT_LINE_PARAM);
/* The invariant checker: 1 when the context is consistent (0 for NULL). */
int bw_boot__invariants(const bw_boot_t *b);

/* Trailer access (boot_trailer.c). */
const bw_flash_area_t *bw_boot__area(const bw_boot_t *b, boot_slot_t slot);
int bw_boot__flag_get(bw_boot_t *b, boot_slot_t slot, uint32_t idx);
int bw_boot__flag_set(bw_boot_t *b, boot_slot_t slot, uint32_t idx);
int bw_boot__rec_write(bw_boot_t *b, boot_slot_t slot, uint8_t tag,
                       const boot_rec_t *rec);
int bw_boot__trailer_erase(bw_boot_t *b, boot_slot_t slot);
int bw_boot__image_ok_write(bw_boot_t *b, boot_slot_t slot);
int bw_boot__magic_write(bw_boot_t *b, boot_slot_t slot);
int bw_boot__view(bw_boot_t *b, boot_view_t *v);

/* Swap steps (boot_swap.c). */
int bw_boot__upgrade(bw_boot_t *b, const boot_view_t *v, uint32_t units);
int bw_boot__revert(bw_boot_t *b, const boot_view_t *v);

#endif /* BW_BOOT_INT_H */
