/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flash areas: bounds and alignment checks in front of a port's device
 * operations (include/bulwark/flash.h).  Every check is done here, once,
 * so a port's functions only ever see requests that fit the device.
 */
#include "bulwark/flash.h"

/*
 * The checks every area function starts with: BW_EINVAL for a missing or
 * inconsistent area or when the caller's other arguments are not args_ok,
 * BW_ERANGE when [off, off + len) does not fit in the area without
 * wrapping, else 0.
 */
static int check(const bw_flash_area_t *fa, uint32_t off, size_t len,
                 int args_ok)
{
    if (fa == NULL || fa->dev == NULL || fa->dev->ops == NULL ||
        fa->off > fa->dev->size || fa->size > fa->dev->size - fa->off ||
        !args_ok)
        return BW_EINVAL;
    if (off > fa->size || len > (size_t)(fa->size - off))
        return BW_ERANGE;
    return 0;
}

int bw_flash_read(const bw_flash_area_t *fa, uint32_t off, void *buf,
                  size_t len)
{
    int err = check(fa, off, len, buf != NULL || len == 0);
    if (err != 0 || len == 0)
        return err;
    return fa->dev->ops->read(fa->dev->ctx, fa->off + off, buf, len);
}

int bw_flash_write(const bw_flash_area_t *fa, uint32_t off, const void *buf,
                   size_t len)
{
    int err = check(fa, off, len, buf != NULL || len == 0);
    if (err != 0)
        return err;
    uint32_t align = fa->dev->write_align ? fa->dev->write_align : 1u;
    if (((fa->off + off) & (align - 1u)) != 0 || (len & (align - 1u)) != 0)
        return BW_EALIGN;
    if (len == 0)
        return 0;
    return fa->dev->ops->write(fa->dev->ctx, fa->off + off, buf, len);
}

int bw_flash_sector_at(const bw_flash_area_t *fa, uint32_t off, uint32_t *start,
                       uint32_t *size)
{
    uint32_t s, n;
    /* off must be inside the area: [off, off + 1) fits. */
    int err = check(fa, off, 1, start != NULL && size != NULL);
    if (err != 0)
        return err;
    err = fa->dev->ops->sector_at(fa->dev->ctx, fa->off + off, &s, &n);
    if (err != 0)
        return err;
    /* A sector straddling the area's edge cannot be erased through it. */
    if (s < fa->off || n > fa->off + fa->size - s)
        return BW_EALIGN;
    *start = s - fa->off;
    *size = n;
    return 0;
}

int bw_flash_erase(const bw_flash_area_t *fa, uint32_t off, uint32_t len)
{
    int err = check(fa, off, len, 1);
    if (err != 0)
        return err;
    /* Walk the sectors: the range must start and end on their edges. */
    uint32_t pos = off, end = off + len;
    while (pos < end) {
        uint32_t s, n;
        err = bw_flash_sector_at(fa, pos, &s, &n);
        if (err != 0)
            return err;
        if (s != pos || n == 0 || n > end - pos)
            return BW_EALIGN;
        pos += n;
    }
    if (len == 0)
        return 0;
    return fa->dev->ops->erase(fa->dev->ctx, fa->off + off, len);
}

int bw_flash_is_erased(const bw_flash_area_t *fa, uint32_t off, size_t len)
{
    uint8_t buf[64];
    int err = check(fa, off, len, 1);
    if (err != 0)
        return err;
    while (len > 0) {
        size_t n = len < sizeof buf ? len : sizeof buf;
        err = bw_flash_read(fa, off, buf, n);
        if (err != 0)
            return err;
        for (size_t i = 0; i < n; i++)
            if (buf[i] != fa->dev->erased_val)
                return 0;
        off += (uint32_t)n;
        len -= n;
    }
    return 1;
}
