/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing images: where the TLV areas go and the encoders for the small
 * fixed structures.  Used by the host tool; the device only reads.
 */
#include "bw_mem.h"
#include "image_int.h"

/* Largest hdr_size: the field is 16 bits wide. */
#define HDR_SIZE_MAX 0xffffu

int bw_image_layout(uint32_t hdr_size, uint32_t img_size, uint32_t prot_len,
                    uint32_t tlv_len, uint32_t max_size, bw_image_layout_t *out)
{
    if (out == NULL)
        return BW_EINVAL;
    bw__zero(out, sizeof *out);
    if (hdr_size < BW_IMAGE_HEADER_SIZE || hdr_size > HDR_SIZE_MAX)
        return BW_ERANGE;
    /* Each area's tlv_tot counts its info header and must fit 16 bits. */
    const uint32_t area_room = BW_IMAGE_TLV_AREA_MAX - BW_IMAGE_TLV_INFO_SIZE;
    if (prot_len > area_room || tlv_len > area_room)
        return BW_EOVERFLOW;
    uint32_t prot_size = prot_len ? prot_len + BW_IMAGE_TLV_INFO_SIZE : 0;
    uint32_t tlv_size = tlv_len + BW_IMAGE_TLV_INFO_SIZE;
    /* hdr_size and both areas are at most 16 bits wide each: their sum
     * fits, only adding img_size can wrap. */
    uint32_t fixed = hdr_size + prot_size + tlv_size;
    if (img_size > UINT32_MAX - fixed)
        return BW_EOVERFLOW;
    uint32_t total = fixed + img_size;
    if (total > max_size)
        return BW_ENOSPC;
    out->prot_off = hdr_size + img_size;
    out->prot_size = prot_size;
    out->tlv_off = out->prot_off + prot_size;
    out->tlv_size = tlv_size;
    out->total_size = total;
    return 0;
}

void bw_image_tlv_info_encode(uint16_t magic, uint16_t tlv_tot,
                              uint8_t out[BW_IMAGE_TLV_INFO_SIZE])
{
    bw_image__put16(out, magic);
    bw_image__put16(out + 2, tlv_tot);
}

void bw_image_tlv_hdr_encode(uint16_t type, uint16_t len,
                             uint8_t out[BW_IMAGE_TLV_HDR_SIZE])
{
    bw_image__put16(out, type);
    bw_image__put16(out + 2, len);
}
