/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A read-only flash device over a file loaded in memory, so that lib/image
 * (which reads images only through the flash seam) can check a file.
 * lib/flash.c has bounds-checked every request before it gets here.
 */
#include <string.h>

#include "image_tool.h"

static int mf_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const tool_memflash_t *fl = ctx;
    memcpy(buf, fl->data + off, len);
    return 0;
}

/* A file being checked is never changed. */
static int mf_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    (void)off;
    (void)buf;
    (void)len;
    return BW_EIO;
}

static int mf_erase(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx;
    (void)off;
    (void)len;
    return BW_EIO;
}

/* One sector the size of the file (never erased anyway). */
static int mf_sector_at(void *ctx, uint32_t off, uint32_t *start,
                        uint32_t *size)
{
    const tool_memflash_t *fl = ctx;
    (void)off;
    *start = 0;
    *size = fl->dev.size;
    return 0;
}

static const bw_flash_ops_t mf_ops = {
    .read = mf_read,
    .write = mf_write,
    .erase = mf_erase,
    .sector_at = mf_sector_at,
};

void tool_memflash_init(tool_memflash_t *fl, const uint8_t *data, uint32_t len)
{
    memset(fl, 0, sizeof(*fl));
    fl->data = data;
    fl->dev.ops = &mf_ops;
    fl->dev.ctx = fl;
    fl->dev.size = len;
    fl->dev.write_align = 1;
    fl->dev.erased_val = 0xff;
    fl->area.dev = &fl->dev;
    fl->area.off = 0;
    fl->area.size = len;
}
