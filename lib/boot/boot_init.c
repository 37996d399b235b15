/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration checks, trailer geometry, the one state setter and the
 * invariant checker of the boot context.
 */
#include "boot_int.h"
#include "bw_mem.h"

void bw_boot__set_state(bw_boot_t *b, uint32_t state BOOT_LINE_PARAM)
{
    /* Failure is sticky until the context is initialised again. */
    if (b->state == BOOT_S_FAILED)
        return;
    b->state = state;
#ifndef NDEBUG
    b->trace_line = line;
#endif
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

int bw_boot__invariants(const bw_boot_t *b)
{
    if (b == NULL)
        return 0;
    const bw_boot_config_t *c = &b->cfg;
    uint32_t align = c->primary.dev ? c->primary.dev->write_align : 0;
    if (c->primary.dev == NULL || c->secondary.dev == NULL || c->units == 0 ||
        c->unit_size == 0)
        return 0;
    if (b->entry != max_u32(16u, align) || b->field != max_u32(8u, align) ||
        b->magic_len != max_u32(16u, align))
        return 0;
    if (b->ptrail != c->units * c->unit_size ||
        b->strail != (c->units + 1u) * c->unit_size ||
        b->ptrail >= c->primary.size || b->strail >= c->secondary.size)
        return 0;
    /* The states are the multiples of BOOT_S_STEP from IDLE to FAILED. */
    return b->state >= BOOT_S_IDLE && b->state <= BOOT_S_FAILED &&
           b->state % BOOT_S_STEP == 0;
}

/*
 * Walk the sectors of [0, size) of fa: each must start where the last
 * ended, and none may straddle a multiple of unit below tail nor the
 * boundary tail itself.
 */
static int check_sectors(const bw_flash_area_t *fa, uint32_t unit,
                         uint32_t tail)
{
    uint32_t pos = 0;
    while (pos < fa->size) {
        uint32_t s, n;
        int err = bw_flash_sector_at(fa, pos, &s, &n);
        if (err == BW_EALIGN || err == BW_ERANGE)
            return BW_EALIGN;
        if (err != 0)
            return BW_EIO;
        if (s != pos || n == 0)
            return BW_EALIGN;
        uint32_t end = pos + n;
        if (pos < tail && (end > tail || pos / unit != (end - 1u) / unit))
            return BW_EALIGN;
        pos = end;
    }
    return 0;
}

int bw_boot_init(bw_boot_t *b, const bw_boot_config_t *cfg)
{
    if (b == NULL)
        return BW_EINVAL;
    bw__zero(b, sizeof *b);
    if (cfg == NULL || cfg->primary.dev == NULL || cfg->secondary.dev == NULL ||
        cfg->keys == NULL || cfg->n_keys == 0 || cfg->counter.read == NULL ||
        cfg->counter.advance == NULL || cfg->units == 0 ||
        cfg->units > BW_BOOT_MAX_UNITS || cfg->unit_size == 0)
        return BW_EINVAL;
    const bw_flash_t *pd = cfg->primary.dev, *sd = cfg->secondary.dev;
    if (pd->erased_val != sd->erased_val ||
        (pd->erased_val != 0xffu && pd->erased_val != 0x00u))
        return BW_EINVAL;
    if (pd->write_align != sd->write_align || pd->write_align == 0 ||
        pd->write_align > BW_FLASH_MAX_ALIGN)
        return BW_EALIGN;
    uint64_t pimg = (uint64_t)cfg->units * cfg->unit_size;
    uint64_t simg = pimg + cfg->unit_size;
    if (pimg >= cfg->primary.size || simg >= cfg->secondary.size)
        return BW_ERANGE;
    if (cfg->unit_size % pd->write_align != 0)
        return BW_EALIGN;
    b->cfg = *cfg;
    b->entry = max_u32(16u, pd->write_align);
    b->field = max_u32(8u, pd->write_align);
    b->magic_len = max_u32(16u, pd->write_align);
    b->ptrail = (uint32_t)pimg;
    b->strail = (uint32_t)simg;
    int err = check_sectors(&cfg->primary, cfg->unit_size, b->ptrail);
    if (err == 0)
        err = check_sectors(&cfg->secondary, cfg->unit_size, b->strail);
    /* Both logs, plus MCUboot's tail (magic, image_ok, 3 reserved); no
     * overflow for any allowed unit count (static assert in boot_int.h). */
    uint32_t need =
        BOOT_LOG_ENTRIES(cfg->units) * b->entry + b->magic_len + 4u * b->field;
    if (err == 0 && (need > cfg->primary.size - b->ptrail ||
                     need > cfg->secondary.size - b->strail))
        err = BW_ENOSPC;
    if (err != 0) {
        bw__zero(b, sizeof *b);
        return err;
    }
    b->state = BOOT_S_IDLE;
    b->last_swap = BW_BOOT_SWAP_NONE;
    return 0;
}
