/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flash areas: bounds and alignment checks in front of a port's device
 * operations (include/bulwark/flash.h).  Every check is done here, once,
 * so a port's functions only ever see requests that fit the device.
 */
#include "bulwark/flash.h"

/* Does [off, off + len) fit in an area of size bytes, without wrapping? */
static int fits(const bw_flash_area_t *fa, uint32_t off, size_t len)
{
    return off <= fa->size && len <= (size_t)(fa->size - off);
}

static int valid(const bw_flash_area_t *fa)
{
    return fa != NULL && fa->dev != NULL && fa->dev->ops != NULL &&
           fa->off <= fa->dev->size && fa->size <= fa->dev->size - fa->off;
}

int bw_flash_read(const bw_flash_area_t *fa, uint32_t off, void *buf,
                  size_t len)
{
    if (!valid(fa) || (buf == NULL && len > 0))
        return BW_EINVAL;
    if (!fits(fa, off, len))
        return BW_ERANGE;
    if (len == 0)
        return 0;
    return fa->dev->ops->read(fa->dev->ctx, fa->off + off, buf, len);
}

int bw_flash_write(const bw_flash_area_t *fa, uint32_t off, const void *buf,
                   size_t len)
{
    if (!valid(fa) || (buf == NULL && len > 0))
        return BW_EINVAL;
    if (!fits(fa, off, len))
        return BW_ERANGE;
    uint32_t align = fa->dev->write_align ? fa->dev->write_align : 1u;
    if (((fa->off + off) & (align - 1u)) != 0 || (len & (align - 1u)) != 0)
        return BW_EALIGN;
    if (len == 0)
        return 0;
    return fa->dev->ops->write(fa->dev->ctx, fa->off + off, buf, len);
}

int bw_flash_sector_at(const bw_flash_area_t *fa, uint32_t off,
                       uint32_t *start, uint32_t *size)
{
    uint32_t s, n;
    if (!valid(fa) || start == NULL || size == NULL)
        return BW_EINVAL;
    if (off >= fa->size)
        return BW_ERANGE;
    int err = fa->dev->ops->sector_at(fa->dev->ctx, fa->off + off, &s, &n);
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
    if (!valid(fa))
        return BW_EINVAL;
    if (!fits(fa, off, len))
        return BW_ERANGE;
    /* Walk the sectors: the range must start and end on their edges. */
    uint32_t pos = off, end = off + len;
    while (pos < end) {
        uint32_t s, n;
        int err = bw_flash_sector_at(fa, pos, &s, &n);
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
    if (!valid(fa))
        return BW_EINVAL;
    if (!fits(fa, off, len))
        return BW_ERANGE;
    while (len > 0) {
        size_t n = len < sizeof buf ? len : sizeof buf;
        int err = bw_flash_read(fa, off, buf, n);
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
