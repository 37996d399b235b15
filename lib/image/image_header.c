/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The 32-byte image header: decode, check, encode, and the version order.
 * Rules 1-6 of the check order in include/bulwark/image.h live here.
 */
#include "bw_mem.h"
#include "image_int.h"

int bw_image_header_decode(const uint8_t in[BW_IMAGE_HEADER_SIZE],
                           bw_image_header_t *hdr)
{
    if (hdr == NULL)
        return BW_EINVAL;
    int err = BW_EINVAL;
    if (in != NULL)
        err = bw_image__le32(in) != BW_IMAGE_MAGIC ? BW_EMAGIC : 0;
    if (err == 0) {
        hdr->load_addr = bw_image__le32(in + 4);
        hdr->hdr_size = bw_image__le16(in + 8);
        hdr->protect_tlv_size = bw_image__le16(in + 10);
        hdr->img_size = bw_image__le32(in + 12);
        hdr->flags = bw_image__le32(in + 16);
        hdr->version.major = in[20];
        hdr->version.minor = in[21];
        hdr->version.revision = bw_image__le16(in + 22);
        hdr->version.build_num = bw_image__le32(in + 24);
        /* in[28..31] is padding: MCUboot ignores it and so do we. */
        if (hdr->hdr_size < BW_IMAGE_HEADER_SIZE)
            err = BW_ERANGE;
        else if (hdr->img_size > UINT32_MAX - hdr->hdr_size)
            err = BW_EOVERFLOW;
        else if ((hdr->flags & BW_IMAGE_F_UNSUPPORTED) != 0)
            err = BW_EUNSUPPORTED;
    }
    /* Nothing half-decoded is left behind. */
    if (err != 0)
        bw__zero(hdr, sizeof *hdr);
    return err;
}

int bw_image_header_read(const bw_flash_area_t *fa, bw_image_header_t *hdr)
{
    uint8_t raw[BW_IMAGE_HEADER_SIZE];
    if (hdr == NULL)
        return BW_EINVAL;
    /* An empty read validates the area (device, ops, bounds) and nothing
     * else. */
    int err = fa == NULL ? BW_EINVAL : bw_flash_read(fa, 0, NULL, 0);
    if (err == 0 && fa->size < BW_IMAGE_HEADER_SIZE)
        err = BW_ETRUNC;
    if (err == 0)
        err = bw_flash_read(fa, 0, raw, sizeof raw);
    if (err == 0)
        err = bw_image_header_decode(raw, hdr);
    /* Rule 4 made this sum safe. */
    if (err == 0 && (uint32_t)hdr->hdr_size + hdr->img_size > fa->size)
        err = BW_ETRUNC;
    if (err != 0)
        bw__zero(hdr, sizeof *hdr);
    return err;
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

/* major.minor.revision as one number ordered like them (the upper half
 * of a version; build_num is the lower). */
static uint32_t version_hi(const bw_image_version_t *v)
{
    return (uint32_t)v->major << 24 | (uint32_t)v->minor << 16 | v->revision;
}

int bw_image_version_cmp(const bw_image_version_t *a,
                         const bw_image_version_t *b)
{
    uint32_t x = version_hi(a), y = version_hi(b);
    if (x == y) {
        x = a->build_num;
        y = b->build_num;
    }
    return (x > y) - (x < y);
}
