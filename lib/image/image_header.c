/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The 32-byte image header: decode, check, encode, and the version order.
 * Rules 1-6 of the check order in include/bulwark/image.h live here.
 */
#include <string.h>

#include "image_int.h"

int bw_image_header_decode(const uint8_t in[BW_IMAGE_HEADER_SIZE],
                           bw_image_header_t *hdr)
{
    if (hdr == NULL)
        return BW_EINVAL;
    memset(hdr, 0, sizeof *hdr);
    if (in == NULL)
        return BW_EINVAL;

    if (bw_image__le32(in) != BW_IMAGE_MAGIC)
        return BW_EMAGIC;
    bw_image_header_t h;
    h.load_addr = bw_image__le32(in + 4);
    h.hdr_size = bw_image__le16(in + 8);
    h.protect_tlv_size = bw_image__le16(in + 10);
    h.img_size = bw_image__le32(in + 12);
    h.flags = bw_image__le32(in + 16);
    h.version.major = in[20];
    h.version.minor = in[21];
    h.version.revision = bw_image__le16(in + 22);
    h.version.build_num = bw_image__le32(in + 24);
    /* in[28..31] is padding: MCUboot ignores it and so do we. */

    if (h.hdr_size < BW_IMAGE_HEADER_SIZE)
        return BW_ERANGE;
    if (h.img_size > UINT32_MAX - h.hdr_size)
        return BW_EOVERFLOW;
    if ((h.flags & BW_IMAGE_F_UNSUPPORTED) != 0)
        return BW_EUNSUPPORTED;
    *hdr = h;
    return 0;
}

int bw_image_header_read(const bw_flash_area_t *fa, bw_image_header_t *hdr)
{
    uint8_t raw[BW_IMAGE_HEADER_SIZE];
    if (hdr == NULL)
        return BW_EINVAL;
    memset(hdr, 0, sizeof *hdr);
    if (fa == NULL)
        return BW_EINVAL;
    /* An empty read validates the area (device, ops, bounds) and nothing
     * else. */
    int err = bw_flash_read(fa, 0, NULL, 0);
    if (err != 0)
        return err;
    if (fa->size < BW_IMAGE_HEADER_SIZE)
        return BW_ETRUNC;
    err = bw_flash_read(fa, 0, raw, sizeof raw);
    if (err != 0)
        return err;
    err = bw_image_header_decode(raw, hdr);
    if (err != 0)
        return err;
    /* Rule 4 made this sum safe. */
    if ((uint32_t)hdr->hdr_size + hdr->img_size > fa->size) {
        memset(hdr, 0, sizeof *hdr);
        return BW_ETRUNC;
    }
    return 0;
}

void bw_image_header_encode(const bw_image_header_t *hdr,
                            uint8_t out[BW_IMAGE_HEADER_SIZE])
{
    bw_image__put32(out, BW_IMAGE_MAGIC);
    bw_image__put32(out + 4, hdr->load_addr);
    bw_image__put16(out + 8, hdr->hdr_size);
    bw_image__put16(out + 10, hdr->protect_tlv_size);
    bw_image__put32(out + 12, hdr->img_size);
    bw_image__put32(out + 16, hdr->flags);
    out[20] = hdr->version.major;
    out[21] = hdr->version.minor;
    bw_image__put16(out + 22, hdr->version.revision);
    bw_image__put32(out + 24, hdr->version.build_num);
    bw_image__put32(out + 28, 0);
}

static int cmp_u32(uint32_t a, uint32_t b)
{
    return (a > b) - (a < b);
}

int bw_image_version_cmp(const bw_image_version_t *a,
                         const bw_image_version_t *b)
{
    int c = cmp_u32(a->major, b->major);
    if (c == 0)
        c = cmp_u32(a->minor, b->minor);
    if (c == 0)
        c = cmp_u32(a->revision, b->revision);
    if (c == 0)
        c = cmp_u32(a->build_num, b->build_num);
    return c;
}
