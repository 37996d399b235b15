/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MCUboot's image trailer, as imgtool writes it at the end of a padded
 * slot image.  From the end of the slot backwards (F = max_align):
 *
 *   ... | swap status | swap_size | swap_info | copy_done | image_ok | magic |
 *       | max_sectors |     F     |     F     |     F     |    F     | 16 up |
 *       |  * 3 * align|           |           |           |          | to F  |
 *
 * The magic takes the last 16 bytes of its field (the field is 16 bytes
 * rounded up to F, so for F = 32 the first 16 bytes of it stay erased).
 * Each flag is the first byte of its field; swap_size is a u32.  A freshly
 * padded image has everything erased but the magic, and image_ok = 0x01
 * when it is confirmed.
 */
#include <string.h>

#include "image_tool.h"

/* MCUboot's magic for a trailer whose fields are 8 bytes. */
static const uint8_t magic_align8[TOOL_TRAILER_MAGIC_LEN] = {
    0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
    0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80,
};

/* The magic's last 14 bytes for other field sizes (after the u16 size). */
static const uint8_t magic_tail[TOOL_TRAILER_MAGIC_LEN - 2] = {
    0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
    0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a,
};

static uint32_t align_up(uint32_t n, uint32_t a)
{
    return (n + a - 1u) & ~(a - 1u);
}

uint32_t tool_trailer_size(const tool_trailer_geom_t *g)
{
    uint64_t t = (uint64_t)g->max_sectors * 3u * g->align;
    t += (uint64_t)g->max_align * 4u;
    t += align_up(TOOL_TRAILER_MAGIC_LEN, g->max_align);
    return t > UINT32_MAX ? 0 : (uint32_t)t;
}

void tool_trailer_magic(uint32_t max_align, uint8_t out[TOOL_TRAILER_MAGIC_LEN])
{
    if (max_align == TOOL_DEFAULT_MAX_ALIGN) {
        memcpy(out, magic_align8, sizeof(magic_align8));
        return;
    }
    out[0] = (uint8_t)(max_align & 0xffu);
    out[1] = (uint8_t)(max_align >> 8);
    memcpy(out + 2, magic_tail, sizeof(magic_tail));
}

/* Offset from the end of the slot of the field holding image_ok. */
static uint32_t image_ok_back(uint32_t max_align)
{
    return align_up(TOOL_TRAILER_MAGIC_LEN, max_align) + max_align;
}

void tool_trailer_write(const tool_trailer_geom_t *g, uint8_t *slot,
                        size_t slot_size, int confirm)
{
    tool_trailer_magic(g->max_align, slot + slot_size - TOOL_TRAILER_MAGIC_LEN);
    if (confirm)
        slot[slot_size - image_ok_back(g->max_align)] = 0x01;
}

void tool_trailer_read(const uint8_t *data, size_t len, size_t image_end,
                       uint8_t erased_val, tool_trailer_t *t)
{
    memset(t, 0, sizeof(*t));
    t->max_align = TOOL_DEFAULT_MAX_ALIGN;
    if (image_end >= len || len - image_end < TOOL_TRAILER_MAGIC_LEN)
        return;
    const uint8_t *mg = data + len - TOOL_TRAILER_MAGIC_LEN;
    memcpy(t->magic, mg, TOOL_TRAILER_MAGIC_LEN);
    uint32_t fa = (uint32_t)mg[0] | (uint32_t)mg[1] << 8;
    t->magic_state = TOOL_MAGIC_BAD;
    if (memcmp(mg, magic_align8, sizeof(magic_align8)) == 0) {
        t->magic_state = TOOL_MAGIC_GOOD;
    } else if (memcmp(mg + 2, magic_tail, sizeof(magic_tail)) == 0 &&
               (fa == 16u || fa == 32u)) {
        t->magic_state = TOOL_MAGIC_GOOD;
        t->max_align = fa;
    } else {
        size_t i = 0;
        while (i < TOOL_TRAILER_MAGIC_LEN && mg[i] == erased_val)
            i++;
        if (i == TOOL_TRAILER_MAGIC_LEN)
            t->magic_state = TOOL_MAGIC_UNSET;
    }
    /* image_ok, copy_done, swap_info, swap_size: four fields back. */
    uint32_t ok_back = image_ok_back(t->max_align);
    uint32_t need = ok_back + 3u * t->max_align;
    if (len - image_end < need)
        return;
    const uint8_t *end = data + len;
    t->present = 1;
    t->image_ok = end[-(ptrdiff_t)ok_back];
    t->copy_done = end[-(ptrdiff_t)(ok_back + t->max_align)];
    t->swap_info = end[-(ptrdiff_t)(ok_back + 2u * t->max_align)];
    const uint8_t *ss = end - (ok_back + 3u * t->max_align);
    t->swap_size = (uint32_t)ss[0] | (uint32_t)ss[1] << 8 |
                   (uint32_t)ss[2] << 16 | (uint32_t)ss[3] << 24;
}
