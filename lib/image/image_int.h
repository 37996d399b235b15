/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to lib/image: little-endian helpers and the TLV walker shared by
 * parse and verify.
 */
#ifndef BW_IMAGE_INT_H
#define BW_IMAGE_INT_H

#include <stdint.h>

#include "bulwark/image.h"

static inline uint16_t bw_image__le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t bw_image__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline void bw_image__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void bw_image__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/*
 * A TLV iterator over one area [off, end) whose bounds bw_image_parse()
 * has already checked against the flash area.  next() reads one TLV
 * header and checks rules 16-17; the value is at val_off.
 */
typedef struct {
    const bw_flash_area_t *fa;
    uint32_t pos;
    uint32_t end;
    uint16_t type;
    uint16_t len;
    uint32_t val_off;
} bw_image__tlv_it_t;

void bw_image__tlv_begin(bw_image__tlv_it_t *it, const bw_flash_area_t *fa,
                         uint32_t area_off, uint32_t area_size);

/* Returns 1 with the next TLV, 0 at the end, or a negative error. */
int bw_image__tlv_next(bw_image__tlv_it_t *it);

#endif /* BW_IMAGE_INT_H */
