/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One boot: the decision table, the actions it picks, and the final
 * go/no-go on the primary image.
 *
 * A run repeats: read both trailers (bw_boot__view), pick the first rule
 * of boot_rules[] that matches, perform its action.  Every action either
 * ends the run (BOOT) or changes what the trailers say, so the loop ends;
 * it is bounded anyway.  A flash error ends the run with BW_EIO and leaves
 * a state the next run resumes from.
 */
#include "boot_int.h"
#include "bw_mem.h"

enum {
    ACT_BOOT = 1, /* verify the primary and report it */
    ACT_UPGRADE,  /* start (after verifying) or resume a swap */
    ACT_FINISH,   /* swap done, only the secondary trailer is left */
    ACT_REVERT,   /* start (after verifying) or resume a revert */
    ACT_CANCEL    /* erase the secondary trailer */
};

/* Facts a rule may require or exclude, besides the two trailer states. */
#define F_SEQ_MATCH 0x1u /* START in the secondary matches DONE */
#define F_SWAPPED   0x2u /* this run finished an upgrade */
#define F_NO_REVERT 0x4u /* the image to revert to does not verify */

#define SEC(x)  (1u << (x))
#define PRIM(x) (1u << (x))
#define ANY     0xffu

typedef struct {
    uint8_t sec;  /* mask of bw_boot_secondary_t */
    uint8_t prim; /* mask of bw_boot_primary_t */
    uint8_t need; /* facts that must hold */
    uint8_t deny; /* facts that must not hold */
    uint8_t action;
} boot_rule_t;

/*
 * The decision table, first match wins.  The order is the policy:
 * interrupted work first, then a revert that is due, then a new update.
 */
static const boot_rule_t boot_rules[] = {
    /* 1. The swap finished but the pending marker was not erased yet. */
    {SEC(BW_BOOT_SECONDARY_SWAPPING), ANY, F_SEQ_MATCH, 0, ACT_FINISH},
    /* 2. A swap was interrupted: resume it. */
    {SEC(BW_BOOT_SECONDARY_SWAPPING), ANY, 0, 0, ACT_UPGRADE},
    /* 3. A revert was interrupted: resume it. */
    {ANY, PRIM(BW_BOOT_PRIMARY_REVERTING), 0, 0, ACT_REVERT},
    /* 4. A test image swapped in by this run boots once. */
    {ANY, PRIM(BW_BOOT_PRIMARY_TEST), F_SWAPPED, 0, ACT_BOOT},
    /* 5. A test image not confirmed: drop anything pending, revert. */
    {SEC(BW_BOOT_SECONDARY_PENDING) | SEC(BW_BOOT_SECONDARY_JUNK),
     PRIM(BW_BOOT_PRIMARY_TEST), 0, 0, ACT_CANCEL},
    {SEC(BW_BOOT_SECONDARY_NONE), PRIM(BW_BOOT_PRIMARY_TEST), F_NO_REVERT, 0,
     ACT_BOOT},
    {SEC(BW_BOOT_SECONDARY_NONE), PRIM(BW_BOOT_PRIMARY_TEST), 0, 0, ACT_REVERT},
    /* 6. A torn or foreign secondary trailer is cleaned up. */
    {SEC(BW_BOOT_SECONDARY_JUNK), ANY, 0, 0, ACT_CANCEL},
    /* 7. A new update. */
    {SEC(BW_BOOT_SECONDARY_PENDING), ANY, 0, F_SWAPPED, ACT_UPGRADE},
    /* 8. Nothing to do. */
    {ANY, ANY, 0, 0, ACT_BOOT},
};

/* Each action changes the trailers; a run needs at most four. */
#define BOOT_MAX_ACTIONS 8u

static uint8_t decide(const boot_view_t *v, uint32_t facts)
{
    for (size_t i = 0; i < sizeof boot_rules / sizeof boot_rules[0]; i++) {
        const boot_rule_t *r = &boot_rules[i];
        if ((r->sec & SEC(v->sec)) && (r->prim & PRIM(v->prim)) &&
            (facts & r->need) == r->need && (facts & r->deny) == 0)
            return r->action;
    }
    return ACT_BOOT;
}

/* The image window *w of a slot starting at unit `first`. */
static void image_area(const bw_boot_t *b, boot_slot_t slot, uint32_t first,
                       bw_flash_area_t *w)
{
    const bw_flash_area_t *fa = bw_boot__area(b, slot);
    w->dev = fa->dev;
    w->off = fa->off + first * b->cfg.unit_size;
    w->size = b->cfg.units * b->cfg.unit_size;
}

/*
 * Verify the image in the window *w of slot from unit `first` (see
 * image_area) and check its counter against the stored one.
 * Returns 0, a lib/image code, BW_EROLLBACK, or the counter's error.
 * The success path is checked twice on purpose (fault hardening).
 */
static int verify(bw_boot_t *b, boot_slot_t slot, uint32_t first,
                  bw_flash_area_t *w, bw_image_info_t *info, uint32_t *stored)
{
    volatile uint32_t fih = BW_BOOT_NO_GO;
    image_area(b, slot, first, w);
    int err = bw_image_verify(w, b->cfg.keys, b->cfg.n_keys, b->buf,
                              sizeof b->buf, info);
    if (err != 0)
        return err;
    fih = BW_BOOT_GO;
    err = b->cfg.counter.read(b->cfg.counter.ctx, stored);
    if (err != 0)
        return err;
    uint32_t cnt = info->has_sec_cnt ? info->sec_cnt : 0u;
    if (cnt < *stored)
        return BW_EROLLBACK;
    if (fih != BW_BOOT_GO || !(cnt >= *stored))
        return BW_EROLLBACK;
    return 0;
}

static uint32_t div_up(uint32_t a, uint32_t b)
{
    return a / b + (a % b != 0);
}

/* Verify the pending image and start (or refuse) the upgrade. */
static int start_upgrade(bw_boot_t *b, const boot_view_t *v)
{
    bw_image_info_t info;
    uint32_t stored;
    bw_flash_area_t w;
    int err = verify(b, BOOT_SLOT_SECONDARY, 1, &w, &info, &stored);
    if (err == BW_EIO)
        return err;
    if (err != 0) /* not installable: forget it */
        return bw_boot__trailer_erase(b, BOOT_SLOT_SECONDARY);
    /* Move enough units for the larger of the two images. */
    uint32_t units = b->cfg.units;
    uint32_t old_size;
    image_area(b, BOOT_SLOT_PRIMARY, 0, &w);
    if (bw_image_total_size(&w, &old_size) == 0) {
        uint32_t size = info.layout.total_size > old_size
                            ? info.layout.total_size
                            : old_size;
        units = div_up(size, b->cfg.unit_size);
    }
    err = bw_boot__upgrade(b, v, units);
    if (err == BW_ENOSPC) /* every START slot torn: give up this update */
        return bw_boot__trailer_erase(b, BOOT_SLOT_SECONDARY);
    return err;
}

static int boot_primary(bw_boot_t *b, const boot_view_t *v,
                        bw_boot_result_t *res)
{
    bw_image_info_t *info = &res->image;
    uint32_t stored = 0;
    BOOT_SET_STATE(b, BOOT_S_VERIFY);
    bw_flash_area_t w;
    int err = verify(b, BOOT_SLOT_PRIMARY, 0, &w, info, &stored);
    if (err != 0) {
        /* No image information goes with a refusal. */
        bw__zero(info, sizeof *info);
        BOOT_SET_STATE(b, BOOT_S_FAILED);
        if (err != BW_EIO && b->cfg.recovery != NULL)
            b->cfg.recovery(b->cfg.recovery_ctx, err);
        return err;
    }
    uint32_t cnt = info->has_sec_cnt ? info->sec_cnt : 0u;
    /* A test image this run swapped in is unconfirmed, whatever a
     * corrupt primary trailer says (a stray REVERT_DONE flag). */
    int confirmed = v->prim != BW_BOOT_PRIMARY_TEST &&
                    !(b->swapped && b->last_swap == BW_BOOT_SWAP_TEST);
    res->confirmed = 0;
    if (confirmed) {
        /* Only a confirmed image moves the stored counter forward. */
        if (cnt > stored)
            err = b->cfg.counter.advance(b->cfg.counter.ctx, cnt);
        /* A counter that cannot be stored now is stored next boot. */
        res->confirmed = err == 0;
    }
    res->flash_off = w.off;
    res->max_size = w.size;
    res->swap = (bw_boot_swap_t)b->last_swap;
    BOOT_SET_STATE(b, BOOT_S_BOOTED);
    /* Second, independent look before saying yes. */
    if (b->state != BOOT_S_BOOTED || cnt < stored)
        return BW_EROLLBACK;
    res->go = BW_BOOT_GO;
    res->go_inv = ~BW_BOOT_GO;
    return 0;
}

int bw_boot_run(bw_boot_t *b, bw_boot_result_t *res)
{
    if (res != NULL) {
        bw__zero(res, sizeof *res);
        res->go = BW_BOOT_NO_GO;
        res->go_inv = ~BW_BOOT_NO_GO;
        res->swap = BW_BOOT_SWAP_NONE;
    }
    if (res == NULL || !bw_boot__invariants(b))
        return BW_EINVAL;
    if (b->state != BOOT_S_IDLE)
        return BW_ESTATE;
    uint32_t facts = 0;
    for (uint32_t n = 0; n < BOOT_MAX_ACTIONS; n++) {
        boot_view_t v;
        int err = bw_boot__view(b, &v);
        if (err != 0) {
            BOOT_SET_STATE(b, BOOT_S_FAILED);
            return err;
        }
        facts &= ~F_SEQ_MATCH;
        if (v.sec == BW_BOOT_SECONDARY_SWAPPING && v.pclean && v.has_done &&
            v.done.seq == v.start.seq)
            facts |= F_SEQ_MATCH;
        if (b->swapped)
            facts |= F_SWAPPED;
        switch (decide(&v, facts)) {
        case ACT_FINISH:
            BOOT_SET_STATE(b, BOOT_S_SWAP);
            err = bw_boot__trailer_erase(b, BOOT_SLOT_SECONDARY);
            b->swapped = 1;
            b->last_swap = v.done.kind;
            break;
        case ACT_UPGRADE:
            BOOT_SET_STATE(b, BOOT_S_SWAP);
            err = v.has_start ? bw_boot__upgrade(b, &v, v.start.units)
                              : start_upgrade(b, &v);
            break;
        case ACT_REVERT:
            BOOT_SET_STATE(b, BOOT_S_REVERT);
            if (!v.revert_start) {
                bw_image_info_t info;
                uint32_t stored;
                bw_flash_area_t w;
                err = verify(b, BOOT_SLOT_SECONDARY, 0, &w, &info, &stored);
                if (err != 0 && err != BW_EIO) {
                    /* Nothing valid to go back to: keep the test image. */
                    facts |= F_NO_REVERT;
                    err = 0;
                    break;
                }
            }
            if (err == 0)
                err = bw_boot__revert(b, &v);
            break;
        case ACT_CANCEL:
            err = bw_boot__trailer_erase(b, BOOT_SLOT_SECONDARY);
            break;
        default:
            return boot_primary(b, &v, res);
        }
        if (err != 0) {
            BOOT_SET_STATE(b, BOOT_S_FAILED);
            return err;
        }
    }
    /* Not reached with a consistent table; refuse rather than guess. */
    BOOT_SET_STATE(b, BOOT_S_FAILED);
    return BW_ESTATE;
}

uint32_t bw_boot_go(const bw_boot_result_t *res)
{
    if (res == NULL)
        return BW_BOOT_NO_GO;
    volatile uint32_t go = res->go, inv = res->go_inv;
    if (go != BW_BOOT_GO || inv != ~BW_BOOT_GO)
        return BW_BOOT_NO_GO;
    if ((go ^ inv) != 0xffffffffu || go != BW_BOOT_GO)
        return BW_BOOT_NO_GO;
    return BW_BOOT_GO;
}
