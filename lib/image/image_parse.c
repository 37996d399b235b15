/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The structure of an image: both TLV areas, located and walked TLV by
 * TLV, every offset checked before the read (rules 7-20 of
 * include/bulwark/image.h).  Reads headers and small values only; the
 * payload is never touched here.
 */
#include "bw_mem.h"
#include "image_int.h"

/* MCUboot's struct image_dependency: image id, padding, a version. */
#define DEPENDENCY_LEN 12u
/* Smallest DER ECDSA signature: 30 06 02 01 r 02 01 s. */
#define ECDSA_SIG_MIN 8u

void bw_image__tlv_begin(bw_image__tlv_it_t *it, const bw_flash_area_t *fa,
                         uint32_t area_off, uint32_t area_size)
{
    it->fa = fa;
    it->type = 0;
    it->len = 0;
    it->val_off = 0;
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

/*
 * Rules 18-19 for the types this parser knows: the area each belongs to
 * and the value lengths allowed.  Unknown types are allowed anywhere and
 * take any length.
 */
typedef struct {
    uint8_t type;
    uint8_t prot; /* 1 protected area only, 0 unprotected only */
    uint8_t min;  /* value length range */
    uint8_t max;  /* 0: any length */
} tlv_rule_t;

static const tlv_rule_t tlv_rules[] = {
    {BW_IMAGE_TLV_SEC_CNT, 1, BW_IMAGE_SEC_CNT_LEN, BW_IMAGE_SEC_CNT_LEN},
    {BW_IMAGE_TLV_DEPENDENCY, 1, DEPENDENCY_LEN, DEPENDENCY_LEN},
    {BW_IMAGE_TLV_SHA256, 0, BW_SHA256_LEN, BW_SHA256_LEN},
    {BW_IMAGE_TLV_KEYHASH, 0, BW_IMAGE_KEYHASH_LEN, BW_IMAGE_KEYHASH_LEN},
    {BW_IMAGE_TLV_PUBKEY, 0, 0, 0},
    {BW_IMAGE_TLV_ECDSA_SIG, 0, ECDSA_SIG_MIN, BW_P256_SIG_DER_MAX},
    {BW_IMAGE_TLV_ED25519, 0, BW_ED25519_SIG_LEN, BW_ED25519_SIG_LEN},
};

/* The table's types and lengths are stored in bytes. */
_Static_assert(BW_IMAGE_TLV_SEC_CNT <= 0xffu && BW_P256_SIG_DER_MAX <= 0xffu &&
                   BW_ED25519_SIG_LEN <= 0xffu && BW_SHA256_LEN <= 0xffu,
               "TLV rule fields are 8 bits wide");

/* Rules 18-19: BW_ETYPE in the wrong area, BW_EMALFORMED for a bad
 * length, else 0. */
static int tlv_check(uint16_t type, uint16_t len, int prot)
{
    for (size_t i = 0; i < sizeof tlv_rules / sizeof tlv_rules[0]; i++) {
        const tlv_rule_t *r = &tlv_rules[i];
        if (r->type != type)
            continue;
        if (r->prot != prot)
            return BW_ETYPE;
        if (r->max != 0 && (len < r->min || len > r->max))
            return BW_EMALFORMED;
        return 0;
    }
    return 0;
}

/* Walk one area, checking rules 16-20 and collecting SHA256 / SEC_CNT. */
static int walk_area(const bw_flash_area_t *fa, uint32_t off, uint32_t size,
                     int prot, bw_image_info_t *info)
{
    bw_image__tlv_it_t it;
    int rc;
    bw_image__tlv_begin(&it, fa, off, size);
    while ((rc = bw_image__tlv_next(&it)) == 1) {
        int err = tlv_check(it.type, it.len, prot);
        if (err != 0)
            return err;
        if (it.type == BW_IMAGE_TLV_SHA256) {
            if (info->has_hash)
                return BW_EDUPKEY;
            err = bw_flash_read(fa, it.val_off, info->hash, it.len);
            if (err != 0)
                return err;
            info->has_hash = 1;
        } else if (it.type == BW_IMAGE_TLV_SEC_CNT) {
            uint8_t v[BW_IMAGE_SEC_CNT_LEN];
            if (info->has_sec_cnt)
                return BW_EDUPKEY;
            err = bw_flash_read(fa, it.val_off, v, sizeof v);
            if (err != 0)
                return err;
            info->sec_cnt = bw_image__le32(v);
            info->has_sec_cnt = 1;
        }
    }
    return rc;
}

/*
 * Read and check the info header of the area at off: it must fit in fa
 * (else BW_ETRUNC), carry the magic want (else BW_EMAGIC, or
 * BW_EMALFORMED for a protected area's magic where stray_prot says none
 * can be), count at least itself and be tot_want when that is not 0
 * (else BW_EMALFORMED), and the area must end inside fa (else
 * BW_ETRUNC).  *tot is the area's size.
 */
static int area_info(const bw_flash_area_t *fa, uint32_t off, uint16_t want,
                     uint16_t tot_want, int stray_prot, uint16_t *tot)
{
    uint8_t ih[BW_IMAGE_TLV_INFO_SIZE];
    if (fa->size - off < BW_IMAGE_TLV_INFO_SIZE)
        return BW_ETRUNC;
    int err = bw_flash_read(fa, off, ih, sizeof ih);
    if (err != 0)
        return err;
    uint16_t magic = bw_image__le16(ih);
    *tot = bw_image__le16(ih + 2);
    if (stray_prot && magic == BW_IMAGE_TLV_PROT_INFO_MAGIC)
        return BW_EMALFORMED;
    if (magic != want)
        return BW_EMAGIC;
    if (*tot < BW_IMAGE_TLV_INFO_SIZE || (tot_want != 0 && *tot != tot_want))
        return BW_EMALFORMED;
    if (*tot > fa->size - off)
        return BW_ETRUNC;
    return 0;
}

/* Rules 7-15: locate both areas.  off + size never wraps: every area is
 * first checked to end inside fa, whose size is a uint32_t. */
static int locate(const bw_flash_area_t *fa, bw_image_info_t *info)
{
    const bw_image_header_t *h = &info->hdr;
    bw_image_layout_t *l = &info->layout;
    uint16_t tot;
    int err;

    l->prot_off = (uint32_t)h->hdr_size + h->img_size;
    if (h->protect_tlv_size != 0) {
        err = area_info(fa, l->prot_off, BW_IMAGE_TLV_PROT_INFO_MAGIC,
                        h->protect_tlv_size, 0, &tot);
        if (err != 0)
            return err;
        l->prot_size = tot;
    }
    l->tlv_off = l->prot_off + l->prot_size;
    err = area_info(fa, l->tlv_off, BW_IMAGE_TLV_INFO_MAGIC, 0,
                    h->protect_tlv_size == 0, &tot);
    if (err != 0)
        return err;
    l->tlv_size = tot;
    l->total_size = l->tlv_off + l->tlv_size;
    return 0;
}

int bw_image_parse(const bw_flash_area_t *fa, bw_image_info_t *info)
{
    if (info == NULL)
        return BW_EINVAL;
    bw__zero(info, sizeof *info);
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
        bw__zero(info, sizeof *info);
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
