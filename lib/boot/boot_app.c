/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The application's side of the boot state: where to download, marking an
 * update pending, confirming the running image, reading the state.  Each
 * call writes at most a few trailer entries, in an order that leaves a
 * state the bootloader understands after a cut at any of them.
 */
#include "boot_int.h"
#include "bw_mem.h"

/* Every call below starts here: a usable context, then both trailers. */
static int app_view(bw_boot_t *b, boot_view_t *v)
{
    if (!bw_boot__invariants(b))
        return BW_EINVAL;
    return bw_boot__view(b, v);
}

int bw_boot_download_area(const bw_boot_t *b, bw_flash_area_t *fa)
{
    if (fa != NULL)
        bw__zero(fa, sizeof *fa);
    if (fa == NULL || !bw_boot__invariants(b))
        return BW_EINVAL;
    fa->dev = b->cfg.secondary.dev;
    fa->off = b->cfg.secondary.off + b->cfg.unit_size;
    fa->size = b->cfg.units * b->cfg.unit_size;
    return 0;
}

int bw_boot_status(bw_boot_t *b, bw_boot_status_t *st)
{
    boot_view_t v;
    if (st != NULL)
        bw__zero(st, sizeof *st);
    if (st == NULL)
        return BW_EINVAL;
    int err = app_view(b, &v);
    if (err != 0)
        return err;
    st->primary = v.prim;
    st->secondary = v.sec;
    st->pending_permanent =
        v.sec == BW_BOOT_SECONDARY_PENDING && v.sec_image_ok;
    st->image_ok = v.image_ok == 1;
    return 0;
}

int bw_boot_erase_secondary(bw_boot_t *b)
{
    boot_view_t v;
    int err = app_view(b, &v);
    if (err != 0)
        return err;
    if (v.prim == BW_BOOT_PRIMARY_TEST)
        return BW_ESTATE;
    /* Trailer first: a cut after it leaves nothing pending. */
    err = bw_boot__trailer_erase(b, BOOT_SLOT_SECONDARY);
    if (err == 0)
        err = bw_flash_erase(&b->cfg.secondary, 0, b->strail);
    return err;
}

int bw_boot_set_pending(bw_boot_t *b, int permanent)
{
    boot_view_t v;
    bw_flash_area_t dl;
    bw_image_header_t hdr;
    int err = app_view(b, &v);
    if (err != 0)
        return err;
    if (v.prim == BW_BOOT_PRIMARY_TEST || v.sec == BW_BOOT_SECONDARY_SWAPPING)
        return BW_ESTATE;
    (void)bw_boot_download_area(b, &dl);
    err = bw_image_header_read(&dl, &hdr);
    if (err != 0)
        return err;
    permanent = permanent != 0;
    if (v.sec == BW_BOOT_SECONDARY_PENDING) {
        if (v.sec_image_ok == permanent)
            return 0;
        if (permanent) /* image_ok is still erased: one more write */
            return bw_boot__image_ok_write(b, BOOT_SLOT_SECONDARY);
    }
    if (v.sec != BW_BOOT_SECONDARY_NONE) {
        err = bw_boot__trailer_erase(b, BOOT_SLOT_SECONDARY);
        if (err != 0)
            return err;
    }
    /* image_ok before magic: the magic is what makes it pending. */
    if (permanent)
        err = bw_boot__image_ok_write(b, BOOT_SLOT_SECONDARY);
    if (err == 0)
        err = bw_boot__magic_write(b, BOOT_SLOT_SECONDARY);
    return err;
}

int bw_boot_confirm(bw_boot_t *b)
{
    boot_view_t v;
    int err = app_view(b, &v);
    if (err != 0)
        return err;
    if (v.prim != BW_BOOT_PRIMARY_TEST)
        return 0; /* factory, confirmed, permanent or reverted already */
    if (v.image_ok == 2)
        return BW_EMALFORMED;
    return bw_boot__image_ok_write(b, BOOT_SLOT_PRIMARY);
}
