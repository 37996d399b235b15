/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building a signed image, byte for byte as MCUboot's imgtool 2.x lays it
 * out (see include/bulwark/image.h for the format):
 *
 *   header | pad to hdr_size | payload | protected TLVs | unprotected TLVs
 *                                          SEC_CNT         SHA256, KEYHASH,
 *                                                          signature
 *   [ with --pad: erased bytes up to the slot's end, trailer at the end ]
 *
 * The digest covers everything before the unprotected area; the
 * signature signs the digest.  With --pad-header the header room is added
 * in front of the input (filled with the erased value, as imgtool does);
 * without it the input must already start with hdr_size zero bytes, which
 * the header then overwrites.
 */
#include <stdlib.h>
#include <string.h>

#include "image_tool.h"

void tool_sign_opts_init(tool_sign_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->hdr_size = BW_IMAGE_HEADER_SIZE;
    o->erased_val = 0xff;
    o->geom.align = 1;
    o->geom.max_align = TOOL_DEFAULT_MAX_ALIGN;
    o->geom.max_sectors = TOOL_DEFAULT_MAX_SECTORS;
}

/* Append one TLV (header + value) at *pos in out. */
static void put_tlv(uint8_t *out, size_t *pos, uint16_t type,
                    const uint8_t *val, uint16_t len)
{
    bw_image_tlv_hdr_encode(type, len, out + *pos);
    memcpy(out + *pos + BW_IMAGE_TLV_HDR_SIZE, val, len);
    *pos += BW_IMAGE_TLV_HDR_SIZE + (size_t)len;
}

/* Check the options against each other and the input's size. */
static int check_opts(const tool_sign_opts_t *o, const char *in_name,
                      size_t in_len, uint32_t *img_size, tool_msg_t *m)
{
    if (o->hdr_size < BW_IMAGE_HEADER_SIZE || o->hdr_size > 0xffffu)
        return tool_err(m, TOOL_USAGE,
                        "header size %lu out of range "
                        "(%u .. 65535)",
                        (unsigned long)o->hdr_size, BW_IMAGE_HEADER_SIZE);
    if (o->pad && o->slot_size == 0)
        return tool_err(m, TOOL_USAGE,
                        "--pad (and --confirm, which implies "
                        "it) needs --slot-size");
    if (o->pad_header) {
        if (in_len > UINT32_MAX - o->hdr_size)
            return tool_err(m, TOOL_FAIL, "%s: too large for an image",
                            in_name);
        *img_size = (uint32_t)in_len;
        return TOOL_OK;
    }
    if (in_len < o->hdr_size)
        return tool_err(m, TOOL_FAIL,
                        "%s: %zu bytes, shorter than the %lu-"
                        "byte header (use --pad-header to add the header "
                        "room)",
                        in_name, in_len, (unsigned long)o->hdr_size);
    if (in_len > UINT32_MAX)
        return tool_err(m, TOOL_FAIL, "%s: too large for an image", in_name);
    *img_size = (uint32_t)(in_len - o->hdr_size);
    return TOOL_OK;
}

int tool_image_build(const tool_sign_opts_t *o, const char *in_name,
                     const uint8_t *in, size_t in_len, const tool_key_t *key,
                     uint8_t **out, size_t *out_len, tool_msg_t *m)
{
    uint32_t img_size = 0;
    *out = NULL;
    *out_len = 0;
    int st = check_opts(o, in_name, in_len, &img_size, m);
    if (st != TOOL_OK)
        return st;
    if (!o->pad_header) {
        /* The header goes over these bytes: they must not be code. */
        for (uint32_t i = 0; i < o->hdr_size; i++) {
            if (in[i] != 0)
                return tool_err(m, TOOL_FAIL,
                                "%s: byte %lu of the header "
                                "room is not zero (the input must start "
                                "with %lu zero bytes, or use --pad-header)",
                                in_name, (unsigned long)i,
                                (unsigned long)o->hdr_size);
        }
    }

    /* Sizes first: bw_image_layout() checks every sum and limit. */
    size_t model_len = o->model != NULL ? strlen(o->model) : 0;
    uint32_t prot_len =
        (o->has_sec_cnt ? BW_IMAGE_TLV_HDR_SIZE + BW_IMAGE_SEC_CNT_LEN : 0) +
        (model_len ? BW_IMAGE_TLV_HDR_SIZE + (uint32_t)model_len : 0);
    uint32_t tlv_max = 2u * (BW_IMAGE_TLV_HDR_SIZE + BW_SHA256_LEN) +
                       BW_IMAGE_TLV_HDR_SIZE + TOOL_SIG_MAX;
    uint32_t room = UINT32_MAX;
    if (o->slot_size != 0) {
        uint32_t tsize = tool_trailer_size(&o->geom);
        if (tsize == 0 || tsize >= o->slot_size)
            return tool_err(m, TOOL_USAGE,
                            "slot size %lu leaves no room "
                            "after the %lu-byte trailer",
                            (unsigned long)o->slot_size, (unsigned long)tsize);
        room = o->slot_size - tsize;
    }
    bw_image_layout_t lay;
    int err = bw_image_layout(o->hdr_size, img_size, prot_len, tlv_max,
                              UINT32_MAX, &lay);
    if (err != 0)
        return tool_err(m, TOOL_FAIL, "%s: cannot lay out the image: %s",
                        in_name, bw_strerror(err));

    size_t cap = lay.total_size;
    if (o->pad && o->slot_size > cap)
        cap = o->slot_size;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return tool_err(m, TOOL_FAIL, "out of memory");
    memset(buf, o->erased_val, cap);

    /* Header room and payload, then the header itself. */
    if (o->pad_header)
        memcpy(buf + o->hdr_size, in, in_len);
    else
        memcpy(buf, in, in_len);
    bw_image_header_t hdr = {
        .load_addr = o->load_addr,
        .hdr_size = (uint16_t)o->hdr_size,
        .protect_tlv_size =
            (uint16_t)(prot_len ? prot_len + BW_IMAGE_TLV_INFO_SIZE : 0),
        .img_size = img_size,
        /* imgtool marks an image with a load address as loaded to RAM. */
        .flags = o->load_addr != 0 ? BW_IMAGE_F_RAM_LOAD : 0,
        .version = o->version,
    };
    bw_image_header_encode(&hdr, buf);

    size_t pos = lay.prot_off;
    if (prot_len != 0) {
        uint8_t cnt[BW_IMAGE_SEC_CNT_LEN] = {
            (uint8_t)o->sec_cnt, (uint8_t)(o->sec_cnt >> 8),
            (uint8_t)(o->sec_cnt >> 16), (uint8_t)(o->sec_cnt >> 24)};
        bw_image_tlv_info_encode(BW_IMAGE_TLV_PROT_INFO_MAGIC,
                                 (uint16_t)(prot_len + BW_IMAGE_TLV_INFO_SIZE),
                                 buf + pos);
        pos += BW_IMAGE_TLV_INFO_SIZE;
        /* imgtool's order: SEC_CNT, then custom TLVs by type. */
        if (o->has_sec_cnt)
            put_tlv(buf, &pos, BW_IMAGE_TLV_SEC_CNT, cnt, sizeof(cnt));
        if (model_len != 0)
            put_tlv(buf, &pos, BW_IMAGE_TLV_MODEL, (const uint8_t *)o->model,
                    (uint16_t)model_len);
    }

    uint8_t digest[BW_SHA256_LEN], keyhash[BW_SHA256_LEN];
    uint8_t sig[TOOL_SIG_MAX];
    size_t sig_len = 0;
    if (tool_sha256(buf, pos, digest) != 0 ||
        tool_sha256(key->spki, key->spki_len, keyhash) != 0) {
        free(buf);
        return tool_err(m, TOOL_FAIL, "SHA-256 failed");
    }
    st = tool_key_sign(key, digest, sig, &sig_len, m);
    if (st != TOOL_OK) {
        free(buf);
        return st;
    }

    /* Now the real unprotected size, and the fit in the slot. */
    uint32_t tlv_len = 2u * (BW_IMAGE_TLV_HDR_SIZE + BW_SHA256_LEN) +
                       BW_IMAGE_TLV_HDR_SIZE + (uint32_t)sig_len;
    err = bw_image_layout(o->hdr_size, img_size, prot_len, tlv_len, room, &lay);
    if (err == BW_ENOSPC) {
        free(buf);
        return tool_err(m, TOOL_FAIL,
                        "%s: the image (%lu bytes with its "
                        "TLVs) and the trailer (%lu bytes) do not fit in "
                        "the %lu-byte slot",
                        in_name,
                        (unsigned long)o->hdr_size + img_size +
                            (prot_len ? prot_len + BW_IMAGE_TLV_INFO_SIZE : 0) +
                            tlv_len + BW_IMAGE_TLV_INFO_SIZE,
                        (unsigned long)tool_trailer_size(&o->geom),
                        (unsigned long)o->slot_size);
    }
    if (err != 0) {
        free(buf);
        return tool_err(m, TOOL_FAIL, "%s: cannot lay out the image: %s",
                        in_name, bw_strerror(err));
    }
    bw_image_tlv_info_encode(BW_IMAGE_TLV_INFO_MAGIC, (uint16_t)lay.tlv_size,
                             buf + pos);
    pos += BW_IMAGE_TLV_INFO_SIZE;
    put_tlv(buf, &pos, BW_IMAGE_TLV_SHA256, digest, sizeof(digest));
    put_tlv(buf, &pos, BW_IMAGE_TLV_KEYHASH, keyhash, sizeof(keyhash));
    put_tlv(buf, &pos,
            key->type == TOOL_KEY_ED25519 ? BW_IMAGE_TLV_ED25519
                                          : BW_IMAGE_TLV_ECDSA_SIG,
            sig, (uint16_t)sig_len);

    if (o->pad) {
        /* Everything after the TLVs is erased; the trailer goes last. */
        memset(buf + pos, o->erased_val, o->slot_size - pos);
        tool_trailer_write(&o->geom, buf, o->slot_size, o->confirm);
        pos = o->slot_size;
    }
    *out = buf;
    *out_len = pos;
    return TOOL_OK;
}
