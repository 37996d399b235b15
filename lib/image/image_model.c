/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The model TLV (BW_IMAGE_TLV_MODEL): which device model an image is
 * built for.  Only the protected area is searched, because only it is
 * covered by the digest the signature signs.
 */
#include "bw_mem.h"
#include "image_int.h"

static int model_ok(const char *s, uint16_t len)
{
    for (uint16_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return 0;
    return 1;
}

int bw_image_model(const bw_flash_area_t *fa, const bw_image_info_t *info,
                   char *out, size_t cap)
{
    if (out == NULL || cap == 0)
        return BW_EINVAL;
    out[0] = '\0';
    if (fa == NULL || info == NULL)
        return BW_EINVAL;
    if (info->layout.prot_size == 0)
        return BW_ENOTFOUND;

    bw_image__tlv_it_t it;
    char val[BW_IMAGE_MODEL_MAX];
    uint16_t found = 0;
    int rc;
    bw_image__tlv_begin(&it, fa, info->layout.prot_off, info->layout.prot_size);
    while ((rc = bw_image__tlv_next(&it)) == 1) {
        if (it.type != BW_IMAGE_TLV_MODEL)
            continue;
        if (found != 0 || it.len == 0 || it.len > BW_IMAGE_MODEL_MAX)
            return BW_EMALFORMED; /* a second one, or a bad length */
        int err = bw_flash_read(fa, it.val_off, val, it.len);
        if (err != 0)
            return err;
        if (!model_ok(val, it.len))
            return BW_EMALFORMED;
        found = it.len;
    }
    if (rc < 0)
        return rc;
    if (found == 0)
        return BW_ENOTFOUND;
    if (cap < (size_t)found + 1)
        return BW_ENOSPC;
    bw__copy(out, val, found);
    out[found] = '\0';
    return 0;
}
