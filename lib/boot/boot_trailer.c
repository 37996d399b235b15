/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Slot trailers: where each entry lives, how flags and records are written
 * once and read back after a power cut, and how the two trailers are
 * classified into the states the decision table works on.  The layout is
 * drawn in boot_int.h and docs/boot.md.
 */
#include "boot_int.h"
#include "bw_mem.h"

/* MCUboot's trailer magic (the last 16 bytes of a slot). */
static const uint8_t boot_magic[16] = {0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2,
                                       0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f,
                                       0x2c, 0xb6, 0x79, 0x80};
#define BOOT_IMAGE_OK_SET 0x01u

const bw_flash_area_t *bw_boot__area(const bw_boot_t *b, boot_slot_t slot)
{
    return slot == BOOT_SLOT_PRIMARY ? &b->cfg.primary : &b->cfg.secondary;
}

static uint32_t trail_off(const bw_boot_t *b, boot_slot_t slot)
{
    return slot == BOOT_SLOT_PRIMARY ? b->ptrail : b->strail;
}

static uint8_t erased_val(const bw_boot_t *b)
{
    return b->cfg.primary.dev->erased_val;
}

static int entry_read(bw_boot_t *b, boot_slot_t slot, uint32_t idx,
                      uint8_t out[BW_FLASH_MAX_ALIGN])
{
    return bw_flash_read(bw_boot__area(b, slot),
                         trail_off(b, slot) + idx * b->entry, out, b->entry);
}

static int all_erased(const bw_boot_t *b, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != erased_val(b))
            return 0;
    return 1;
}

int bw_boot__flag_get(bw_boot_t *b, boot_slot_t slot, uint32_t idx)
{
    uint8_t e[BW_FLASH_MAX_ALIGN];
    int err = entry_read(b, slot, idx, e);
    if (err != 0)
        return err;
    return !all_erased(b, e, b->entry);
}

static int entry_write(bw_boot_t *b, boot_slot_t slot, uint32_t idx,
                       const uint8_t in[BW_FLASH_MAX_ALIGN])
{
    return bw_flash_write(bw_boot__area(b, slot),
                          trail_off(b, slot) + idx * b->entry, in, b->entry);
}

int bw_boot__flag_set(bw_boot_t *b, boot_slot_t slot, uint32_t idx)
{
    uint8_t e[BW_FLASH_MAX_ALIGN];
    /* Every byte differs from the erased value: any torn subset shows. */
    bw__fill(e, (uint8_t)~erased_val(b), sizeof e);
    return entry_write(b, slot, idx, e);
}

static void rec_encode(uint8_t tag, const boot_rec_t *rec, uint8_t *out)
{
    out[0] = tag;
    out[1] = rec->kind;
    out[2] = (uint8_t)rec->seq;
    out[3] = (uint8_t)(rec->seq >> 8);
    out[4] = (uint8_t)rec->units;
    out[5] = (uint8_t)(rec->units >> 8);
    out[6] = 0x5a;
    out[7] = 0xa5;
    for (unsigned i = 0; i < 8; i++)
        out[8 + i] = (uint8_t)~out[i];
}

/* 1 valid, 0 erased, 2 neither (torn or foreign). */
static int rec_decode(const bw_boot_t *b, const uint8_t *in, uint8_t tag,
                      boot_rec_t *rec)
{
    if (all_erased(b, in, b->entry))
        return 0;
    for (unsigned i = 0; i < 8; i++)
        if ((uint8_t)(in[8 + i] ^ in[i]) != 0xff)
            return 2;
    rec->kind = in[1];
    rec->seq = (uint16_t)(in[2] | in[3] << 8);
    rec->units = (uint16_t)(in[4] | in[5] << 8);
    if (in[0] != tag || in[6] != 0x5a || in[7] != 0xa5 ||
        (rec->kind != BW_BOOT_SWAP_TEST && rec->kind != BW_BOOT_SWAP_PERM) ||
        rec->units == 0 || rec->units > b->cfg.units)
        return 2;
    return 1;
}

/*
 * The first valid record among the slots: 1 found, 0 none, or error.
 * With none, *erased is the number of slots still erased (the others are
 * torn or foreign).
 */
static int rec_find(bw_boot_t *b, boot_slot_t slot, uint8_t tag,
                    boot_rec_t *rec, uint32_t *erased)
{
    uint8_t e[BW_FLASH_MAX_ALIGN];
    *erased = 0;
    for (uint32_t i = 0; i < BW_BOOT_RECORD_SLOTS; i++) {
        int err = entry_read(b, slot, i, e);
        if (err != 0)
            return err;
        int r = rec_decode(b, e, tag, rec);
        if (r == 1)
            return 1;
        *erased += (uint32_t)(r == 0);
    }
    return 0;
}

int bw_boot__rec_write(bw_boot_t *b, boot_slot_t slot, uint8_t tag,
                       const boot_rec_t *rec)
{
    uint8_t e[BW_FLASH_MAX_ALIGN];
    for (uint32_t i = 0; i < BW_BOOT_RECORD_SLOTS; i++) {
        int err = entry_read(b, slot, i, e);
        if (err != 0)
            return err;
        if (!all_erased(b, e, b->entry))
            continue; /* torn by an earlier cut: never write over it */
        bw__fill(e, erased_val(b), sizeof e);
        rec_encode(tag, rec, e);
        return entry_write(b, slot, i, e);
    }
    return BW_ENOSPC;
}

int bw_boot__trailer_erase(bw_boot_t *b, boot_slot_t slot)
{
    const bw_flash_area_t *fa = bw_boot__area(b, slot);
    uint32_t t = trail_off(b, slot);
    return bw_flash_erase(fa, t, fa->size - t);
}

static uint32_t image_ok_off(const bw_boot_t *b, boot_slot_t slot)
{
    return bw_boot__area(b, slot)->size - b->magic_len - b->field;
}

int bw_boot__image_ok_write(bw_boot_t *b, boot_slot_t slot)
{
    uint8_t f[BW_FLASH_MAX_ALIGN];
    bw__fill(f, erased_val(b), sizeof f);
    f[0] = BOOT_IMAGE_OK_SET;
    return bw_flash_write(bw_boot__area(b, slot), image_ok_off(b, slot), f,
                          b->field);
}

int bw_boot__magic_write(bw_boot_t *b, boot_slot_t slot)
{
    uint8_t m[BW_FLASH_MAX_ALIGN];
    const bw_flash_area_t *fa = bw_boot__area(b, slot);
    bw__fill(m, erased_val(b), sizeof m);
    bw__copy(m + b->magic_len - sizeof boot_magic, boot_magic,
             sizeof boot_magic);
    return bw_flash_write(fa, fa->size - b->magic_len, m, b->magic_len);
}

/* image_ok: 1 set, 0 erased, 2 anything else. */
static int image_ok_read(bw_boot_t *b, boot_slot_t slot)
{
    uint8_t f[BW_FLASH_MAX_ALIGN];
    int err = bw_flash_read(bw_boot__area(b, slot), image_ok_off(b, slot), f,
                            b->field);
    if (err != 0)
        return err;
    if (!all_erased(b, f + 1, b->field - 1u))
        return 2;
    if (f[0] == BOOT_IMAGE_OK_SET)
        return 1;
    return f[0] == erased_val(b) ? 0 : 2;
}

static int magic_read(bw_boot_t *b, boot_slot_t slot)
{
    uint8_t m[BW_FLASH_MAX_ALIGN];
    const bw_flash_area_t *fa = bw_boot__area(b, slot);
    int err = bw_flash_read(fa, fa->size - b->magic_len, m, b->magic_len);
    if (err != 0)
        return err;
    return bw__equal(m + b->magic_len - sizeof boot_magic, boot_magic,
                     sizeof boot_magic);
}

/* Is [off, off + len) of the slot erased?  1, 0, or error. */
static int range_erased(bw_boot_t *b, boot_slot_t slot, uint32_t off,
                        uint32_t len)
{
    return bw_flash_is_erased(bw_boot__area(b, slot), off, len);
}

/*
 * The secondary trailer, as an ordered table of what it can look like:
 *   a valid START record              SWAPPING
 *   all erased                        NONE
 *   magic, image_ok set or erased, every START slot erased or torn (at
 *   least one erased), the rest of the log erased          PENDING
 *   anything else (torn erase, torn magic, foreign data)   JUNK
 */
static int view_secondary(bw_boot_t *b, boot_view_t *v)
{
    uint32_t free_slots;
    int r = rec_find(b, BOOT_SLOT_SECONDARY, BOOT_TAG_START, &v->start,
                     &free_slots);
    if (r < 0)
        return r;
    v->has_start = (uint8_t)r;
    int ok = image_ok_read(b, BOOT_SLOT_SECONDARY);
    if (ok < 0)
        return ok;
    v->sec_image_ok = ok == 1;
    int magic = magic_read(b, BOOT_SLOT_SECONDARY);
    if (magic < 0)
        return magic;
    v->sec_magic = (uint8_t)magic;
    if (v->has_start) {
        int f = bw_boot__flag_get(b, BOOT_SLOT_SECONDARY, BOOT_IDX_PCLEAN);
        if (f < 0)
            return f;
        v->pclean = (uint8_t)f;
        v->sec = BW_BOOT_SECONDARY_SWAPPING;
        return 0;
    }
    const bw_flash_area_t *fa = bw_boot__area(b, BOOT_SLOT_SECONDARY);
    int all =
        range_erased(b, BOOT_SLOT_SECONDARY, b->strail, fa->size - b->strail);
    if (all < 0)
        return all;
    if (all) {
        v->sec = BW_BOOT_SECONDARY_NONE;
        return 0;
    }
    v->sec = BW_BOOT_SECONDARY_JUNK;
    if (!magic || ok == 2)
        return 0;
    /* START slots (rec_find counted them): erased or torn, at least one
     * still erased. */
    uint32_t rest = b->strail + BW_BOOT_RECORD_SLOTS * b->entry;
    int clean = range_erased(b, BOOT_SLOT_SECONDARY, rest,
                             image_ok_off(b, BOOT_SLOT_SECONDARY) - rest);
    if (clean < 0)
        return clean;
    if (clean && free_slots > 0)
        v->sec = BW_BOOT_SECONDARY_PENDING;
    return 0;
}

/*
 * The primary trailer, as an ordered table (first match wins):
 *   no valid DONE record           NONE (factory image or settled)
 *   DONE says permanent            PERM
 *   REVERT_START and REVERT_DONE   REVERTED
 *   REVERT_START flag              REVERTING
 *   image_ok set                   NONE (confirmed)
 *   otherwise                      TEST (not confirmed)
 * While a swap is under way and the primary trailer has not been erased
 * yet (no PCLEAN flag), this view describes the previous update and the
 * decision table ignores it.
 */
static int view_primary(bw_boot_t *b, boot_view_t *v)
{
    uint32_t free_slots;
    int r =
        rec_find(b, BOOT_SLOT_PRIMARY, BOOT_TAG_DONE, &v->done, &free_slots);
    if (r < 0)
        return r;
    v->has_done = (uint8_t)r;
    int ok = image_ok_read(b, BOOT_SLOT_PRIMARY);
    if (ok < 0)
        return ok;
    v->image_ok = (uint8_t)ok;
    int rs = bw_boot__flag_get(b, BOOT_SLOT_PRIMARY, BOOT_IDX_RSTART);
    if (rs < 0)
        return rs;
    int rd =
        bw_boot__flag_get(b, BOOT_SLOT_PRIMARY, BOOT_IDX_RDONE(b->cfg.units));
    if (rd < 0)
        return rd;
    v->revert_start = (uint8_t)rs;
    v->revert_done = (uint8_t)rd;
    if (!v->has_done)
        v->prim = BW_BOOT_PRIMARY_NONE;
    else if (v->done.kind == BW_BOOT_SWAP_PERM)
        v->prim = BW_BOOT_PRIMARY_PERM;
    else if (rd && rs) /* DONE is written only after START: a lone DONE
                          is corruption, and must not read as confirmed */
        v->prim = BW_BOOT_PRIMARY_REVERTED;
    else if (rs)
        v->prim = BW_BOOT_PRIMARY_REVERTING;
    else if (ok == 1)
        v->prim = BW_BOOT_PRIMARY_NONE;
    else
        v->prim = BW_BOOT_PRIMARY_TEST;
    return 0;
}

int bw_boot__view(bw_boot_t *b, boot_view_t *v)
{
    bw__zero(v, sizeof *v);
    int err = view_secondary(b, v);
    if (err == 0)
        err = view_primary(b, v);
    return err;
}
