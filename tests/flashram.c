/* SPDX-License-Identifier: Apache-2.0 */
#include "flashram.h"

#include <string.h>

static int fr_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    bw_flashram_t *fr = ctx;
    uint32_t n = fr->reads++;
    if (len > fr->max_read)
        fr->max_read = len;
    if (n == fr->fail_read)
        return BW_EIO;
    if (off > fr->size || len > fr->size - off)
        return BW_ERANGE;
    memcpy(buf, fr->data + off, len);
    return 0;
}

static int fr_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    bw_flashram_t *fr = ctx;
    (void)off;
    (void)buf;
    (void)len;
    fr->writes++;
    return BW_EIO;
}

static int fr_erase(void *ctx, uint32_t off, uint32_t len)
{
    bw_flashram_t *fr = ctx;
    (void)off;
    (void)len;
    fr->writes++;
    return BW_EIO;
}

static int fr_sector_at(void *ctx, uint32_t off, uint32_t *start,
                        uint32_t *size)
{
    bw_flashram_t *fr = ctx;
    if (off >= fr->size)
        return BW_ERANGE;
    *start = off - off % BW_FLASHRAM_SECTOR;
    *size = BW_FLASHRAM_SECTOR;
    return 0;
}

static const bw_flash_ops_t flashram_ops = {
    .read = fr_read,
    .write = fr_write,
    .erase = fr_erase,
    .sector_at = fr_sector_at,
};

void bw_flashram_init(bw_flashram_t *fr, const void *data, uint32_t size)
{
    memset(fr, 0, sizeof *fr);
    fr->data = data;
    fr->size = size;
    fr->fail_read = BW_FLASHRAM_NEVER;
    fr->dev.ops = &flashram_ops;
    fr->dev.ctx = fr;
    fr->dev.size = size;
    fr->dev.write_align = 1;
    fr->dev.erased_val = 0xff;
    fr->area.dev = &fr->dev;
    fr->area.off = 0;
    fr->area.size = size;
}
