/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Swap with offset: installing an update and reverting it, one unit at a
 * time, resumable after a power cut at any flash operation.
 *
 * IMPLEMENTATION NOTES
 *
 * Names: P[i] is unit i of the primary slot; S[j] is unit j of the
 * secondary slot, where S[0] is the spare unit and the downloaded image
 * starts at S[1].  m is the number of units the swap moves (enough for the
 * larger of the two images).
 *
 * Upgrade, for i = 0 .. m-1 (flags in the secondary trailer):
 *   step 2i    erase S[i],  copy P[i]   -> S[i]    (S[i] is free: it is
 *              the spare for i = 0, else its content went up in step 2i-1)
 *   step 2i+1  erase P[i],  copy S[i+1] -> P[i]    (P[i] is saved in S[i])
 * Afterwards P[0..m-1] is the new image and S[0..m-1] the old one, at
 * offset 0.
 *
 * Revert, for i = m-1 .. 0 (flags in the primary trailer):
 *   step 2(m-1-i)    erase S[i+1], copy P[i] -> S[i+1]  (S[i+1] is free:
 *                    a stale copy for i = m-1, else it went down already)
 *   step 2(m-1-i)+1  erase P[i],   copy S[i] -> P[i]    (P[i] is saved)
 * Afterwards P is the old image again and S[1..m] the new one, so the
 * same update can be set pending again without a new download.
 *
 * Invariants that make every step redoable: a step's source is never
 * touched before the step's flag is set; a step always begins by erasing
 * its destination; a flag is written only after its step completed.  So
 * after a cut the first step without a flag is simply done again.  Each
 * sector of both slots is erased exactly once per upgrade and once per
 * revert.
 */
#include "boot_int.h"

/* Erase unit du of dst, then copy unit su of src into it. */
static int copy_unit(bw_boot_t *b, boot_slot_t src, uint32_t su,
                     boot_slot_t dst, uint32_t du)
{
    const bw_flash_area_t *sa = bw_boot__area(b, src);
    const bw_flash_area_t *da = bw_boot__area(b, dst);
    uint32_t unit = b->cfg.unit_size;
    uint8_t ev = da->dev->erased_val;
    int err = bw_flash_erase(da, du * unit, unit);
    for (uint32_t off = 0; err == 0 && off < unit;) {
        uint32_t n =
            unit - off < BW_BOOT_BUF_SIZE ? unit - off : BW_BOOT_BUF_SIZE;
        err = bw_flash_read(sa, su * unit + off, b->buf, n);
        if (err != 0)
            break;
        /* Erased chunks need no programming: fewer writes, less wear. */
        int blank = 1;
        for (uint32_t i = 0; i < n && blank; i++)
            blank = b->buf[i] == ev;
        if (!blank)
            err = bw_flash_write(da, du * unit + off, b->buf, n);
        off += n;
    }
    return err;
}

/*
 * Run step k of an upgrade (revert 0) or a revert (revert 1) over m
 * units, as tabled at the top of this file: an even step copies unit i of
 * the primary to the secondary, an odd step copies back; the upgrade
 * reads S[i+1] on its odd steps, the revert writes S[i+1] on its even
 * steps.
 */
static int do_step(bw_boot_t *b, int revert, uint32_t m, uint32_t k)
{
    uint32_t odd = k & 1u;
    uint32_t i = revert ? m - 1u - k / 2u : k / 2u;
    uint32_t s_unit = i + (uint32_t)(revert ? !odd : odd);
    if (!odd)
        return copy_unit(b, BOOT_SLOT_PRIMARY, i, BOOT_SLOT_SECONDARY, s_unit);
    return copy_unit(b, BOOT_SLOT_SECONDARY, s_unit, BOOT_SLOT_PRIMARY, i);
}

/* Every step of 2m whose flag (in log) is not set yet, in order. */
static int run_steps(bw_boot_t *b, int revert, uint32_t m, boot_slot_t log)
{
    for (uint32_t k = 0; k < 2u * m; k++) {
        int done = bw_boot__flag_get(b, log, BOOT_IDX_STEP(k));
        if (done < 0)
            return done;
        if (done)
            continue;
        int err = do_step(b, revert, m, k);
        if (err == 0)
            err = bw_boot__flag_set(b, log, BOOT_IDX_STEP(k));
        if (err != 0)
            return err;
    }
    return 0;
}

/*
 * Install (or go on installing) the update.  v is the current view;
 * units is the number of units to move when the update starts now.
 * Returns 0 when the swap is complete and the secondary trailer erased,
 * BW_ENOSPC when every START slot is torn (the caller cancels), or a flash
 * error.
 */
int bw_boot__upgrade(bw_boot_t *b, const boot_view_t *v, uint32_t units)
{
    boot_rec_t rec;
    int err;
    if (v->has_start) {
        rec = v->start;
    } else {
        /* A sequence number the stale primary trailer cannot hold. */
        rec.seq = (uint16_t)(v->has_done ? v->done.seq + 1u : 1u);
        rec.kind = v->sec_image_ok ? BW_BOOT_SWAP_PERM : BW_BOOT_SWAP_TEST;
        rec.units = (uint16_t)units;
        err = bw_boot__rec_write(b, BOOT_SLOT_SECONDARY, BOOT_TAG_START, &rec);
        if (err != 0)
            return err;
    }
    if (!v->has_start || !v->pclean) {
        /* The old primary trailer goes before any unit moves. */
        err = bw_boot__trailer_erase(b, BOOT_SLOT_PRIMARY);
        if (err == 0)
            err = bw_boot__flag_set(b, BOOT_SLOT_SECONDARY, BOOT_IDX_PCLEAN);
        if (err != 0)
            return err;
    }
    err = run_steps(b, 0, rec.units, BOOT_SLOT_SECONDARY);
    if (err != 0)
        return err;
    err = bw_boot__rec_write(b, BOOT_SLOT_PRIMARY, BOOT_TAG_DONE, &rec);
    if (err == BW_ENOSPC) {
        /*
         * Every DONE slot torn (BW_BOOT_RECORD_SLOTS cuts in a row at the
         * same write): the primary trailer holds nothing else yet, so it
         * is erased and the record written again.  PCLEAN stays set; a
         * cut during this erase lands here once more.
         */
        err = bw_boot__trailer_erase(b, BOOT_SLOT_PRIMARY);
        if (err == 0)
            err = bw_boot__rec_write(b, BOOT_SLOT_PRIMARY, BOOT_TAG_DONE, &rec);
    }
    if (err != 0)
        return err;
    /* The update is installed; only now may the pending marker go. */
    err = bw_boot__trailer_erase(b, BOOT_SLOT_SECONDARY);
    if (err != 0)
        return err;
    b->swapped = 1;
    b->last_swap = rec.kind;
    return 0;
}

/*
 * Revert (or go on reverting) the unconfirmed test image.  The caller has
 * verified the image in S[0..] before a revert starts.
 * Returns 0 when the old image is back in the primary, or a flash error.
 */
int bw_boot__revert(bw_boot_t *b, const boot_view_t *v)
{
    int err = 0;
    if (!v->revert_start)
        err = bw_boot__flag_set(b, BOOT_SLOT_PRIMARY, BOOT_IDX_RSTART);
    if (err == 0)
        err = run_steps(b, 1, v->done.units, BOOT_SLOT_PRIMARY);
    /* A lone REVERT_DONE (corruption: the view reads it only together
     * with REVERT_START) is already as good as written. */
    if (err == 0 && !v->revert_done)
        err = bw_boot__flag_set(b, BOOT_SLOT_PRIMARY,
                                BOOT_IDX_RDONE(b->cfg.units));
    if (err == 0)
        b->last_swap = BW_BOOT_SWAP_REVERT;
    return err;
}
