/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The structure of an image: both TLV areas, located and walked TLV by
 * TLV, every offset checked before the read (rules 7-20 of
 * include/bulwark/image.h).  Reads headers and small values only; the
 * payload is never touched here.
 */
#include <string.h>

#include "image_int.h"

/* MCUboot's struct image_dependency: image id, padding, a version. */
#define DEPENDENCY_LEN 12u
/* Smallest DER ECDSA signature: 30 06 02 01 r 02 01 s. */
#define ECDSA_SIG_MIN 8u

void bw_image__tlv_begin(bw_image__tlv_it_t *it, const bw_flash_area_t *fa,
                         uint32_t area_off, uint32_t area_size)
{
    memset(it, 0, sizeof *it);
    it->fa = fa;
    it->pos = area_off + BW_IMAGE_TLV_INFO_SIZE;
    it->end = area_off + area_size;
}

int bw_image__tlv_next(bw_image__tlv_it_t *it)
{
    uint8_t th[BW_IMAGE_TLV_HDR_SIZE];
    if (it->pos == it->end)
        return 0;
    if (it->end - it->pos < BW_IMAGE_TLV_HDR_SIZE)
        return BW_EMALFORMED; /* rule 16 */
    int err = bw_flash_read(it->fa, it->pos, th, sizeof th);
    if (err != 0)
        return err;
    it->type = bw_image__le16(th);
    it->len = bw_image__le16(th + 2);
    uint32_t room = it->end - it->pos - BW_IMAGE_TLV_HDR_SIZE;
    if (it->len > room)
        return BW_EOVERFLOW; /* rule 17 */
    it->val_off = it->pos + BW_IMAGE_TLV_HDR_SIZE;
    it->pos = it->val_off + it->len;
    return 1;
}

/* Rule 18: is this type allowed in this area?  Unknown types are. */
static int type_allowed(uint16_t type, int prot)
{
    switch (type) {
    case BW_IMAGE_TLV_SEC_CNT:
    case BW_IMAGE_TLV_DEPENDENCY:
        return prot;
    case BW_IMAGE_TLV_SHA256:
    case BW_IMAGE_TLV_KEYHASH:
    case BW_IMAGE_TLV_PUBKEY:
    case BW_IMAGE_TLV_ECDSA_SIG:
    case BW_IMAGE_TLV_ED25519:
        return !prot;
    default:
        return 1;
    }
}

/* Rule 19: is len right for this type?  Unknown types take any length. */
static int len_ok(uint16_t type, uint16_t len)
{
    switch (type) {
    case BW_IMAGE_TLV_SEC_CNT:
        return len == BW_IMAGE_SEC_CNT_LEN;
    case BW_IMAGE_TLV_DEPENDENCY:
        return len == DEPENDENCY_LEN;
    case BW_IMAGE_TLV_SHA256:
        return len == BW_SHA256_LEN;
    case BW_IMAGE_TLV_KEYHASH:
        return len == BW_IMAGE_KEYHASH_LEN;
    case BW_IMAGE_TLV_ECDSA_SIG:
        return len >= ECDSA_SIG_MIN && len <= BW_P256_SIG_DER_MAX;
    case BW_IMAGE_TLV_ED25519:
        return len == BW_ED25519_SIG_LEN;
    default:
        return 1;
    }
}

/* Walk one area, checking rules 16-20 and collecting SHA256 / SEC_CNT. */
static int walk_area(const bw_flash_area_t *fa, uint32_t off, uint32_t size,
                     int prot, bw_image_info_t *info)
{
    bw_image__tlv_it_t it;
    int rc;
    bw_image__tlv_begin(&it, fa, off, size);
    while ((rc = bw_image__tlv_next(&it)) == 1) {
        if (!type_allowed(it.type, prot))
            return BW_ETYPE;
        if (!len_ok(it.type, it.len))
            return BW_EMALFORMED;
        if (it.type == BW_IMAGE_TLV_SHA256) {
            if (info->has_hash)
                return BW_EDUPKEY;
            int err = bw_flash_read(fa, it.val_off, info->hash, it.len);
            if (err != 0)
                return err;
            info->has_hash = 1;
        } else if (it.type == BW_IMAGE_TLV_SEC_CNT) {
            uint8_t v[BW_IMAGE_SEC_CNT_LEN];
            if (info->has_sec_cnt)
                return BW_EDUPKEY;
            int err = bw_flash_read(fa, it.val_off, v, sizeof v);
            if (err != 0)
                return err;
            info->sec_cnt = bw_image__le32(v);
            info->has_sec_cnt = 1;
        }
    }
    return rc;
}

/* Read an info header at off if it fits in fa (else BW_ETRUNC). */
static int read_info(const bw_flash_area_t *fa, uint32_t off, uint16_t *magic,
                     uint16_t *tot)
{
    uint8_t ih[BW_IMAGE_TLV_INFO_SIZE];
    if (fa->size - off < BW_IMAGE_TLV_INFO_SIZE)
        return BW_ETRUNC;
    int err = bw_flash_read(fa, off, ih, sizeof ih);
    if (err != 0)
        return err;
    *magic = bw_image__le16(ih);
    *tot = bw_image__le16(ih + 2);
    return 0;
}

/* Rules 7-15: locate both areas.  off + size never wraps: every area is
 * first checked to end inside fa, whose size is a uint32_t. */
static int locate(const bw_flash_area_t *fa, bw_image_info_t *info)
{
    const bw_image_header_t *h = &info->hdr;
    bw_image_layout_t *l = &info->layout;
    uint16_t magic, tot;
    int err;

    l->prot_off = (uint32_t)h->hdr_size + h->img_size;
    if (h->protect_tlv_size != 0) {
        err = read_info(fa, l->prot_off, &magic, &tot);
        if (err != 0)
            return err;
        if (magic != BW_IMAGE_TLV_PROT_INFO_MAGIC)
            return BW_EMAGIC;
        if (tot < BW_IMAGE_TLV_INFO_SIZE || tot != h->protect_tlv_size)
            return BW_EMALFORMED;
        if (tot > fa->size - l->prot_off)
            return BW_ETRUNC;
        l->prot_size = tot;
    }
    l->tlv_off = l->prot_off + l->prot_size;
    err = read_info(fa, l->tlv_off, &magic, &tot);
    if (err != 0)
        return err;
    if (magic == BW_IMAGE_TLV_PROT_INFO_MAGIC && h->protect_tlv_size == 0)
        return BW_EMALFORMED;
    if (magic != BW_IMAGE_TLV_INFO_MAGIC)
        return BW_EMAGIC;
    if (tot < BW_IMAGE_TLV_INFO_SIZE)
        return BW_EMALFORMED;
    if (tot > fa->size - l->tlv_off)
        return BW_ETRUNC;
    l->tlv_size = tot;
    l->total_size = l->tlv_off + l->tlv_size;
    return 0;
}

int bw_image_parse(const bw_flash_area_t *fa, bw_image_info_t *info)
{
    if (info == NULL)
        return BW_EINVAL;
    memset(info, 0, sizeof *info);
    int err = bw_image_header_read(fa, &info->hdr);
    if (err == 0)
        err = locate(fa, info);
    if (err == 0 && info->layout.prot_size != 0)
        err = walk_area(fa, info->layout.prot_off, info->layout.prot_size, 1,
                        info);
    if (err == 0)
        err =
            walk_area(fa, info->layout.tlv_off, info->layout.tlv_size, 0, info);
    if (err != 0)
        memset(info, 0, sizeof *info);
    return err;
}

int bw_image_security_counter(const bw_flash_area_t *fa, uint32_t *cnt)
{
    bw_image_info_t info;
    if (cnt == NULL)
        return BW_EINVAL;
    *cnt = 0;
    int err = bw_image_parse(fa, &info);
    if (err != 0)
        return err;
    if (!info.has_sec_cnt)
        return BW_ENOTFOUND;
    *cnt = info.sec_cnt;
    return 0;
}

int bw_image_total_size(const bw_flash_area_t *fa, uint32_t *size)
{
    bw_image_info_t info;
    if (size == NULL)
        return BW_EINVAL;
    *size = 0;
    int err = bw_image_parse(fa, &info);
    if (err != 0)
        return err;
    *size = info.layout.total_size;
    return 0;
}
