/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the image parser and verifier: the input is an image in a RAM
 * flash device of exactly its size.  Every entry point runs on it, with a
 * fixed trusted set (the ec256 and ed25519 test keys), and their answers
 * must agree with one another:
 *
 *   - header_read, parse, total_size, security_counter and verify fail
 *     with the same code wherever parse fails (verify may fail later);
 *   - a parsed layout lies inside the area and adds up;
 *   - the device never sees a read outside the area (flash.c checks, the
 *     device here checks again and aborts).
 *
 * A fuzzer cannot forge a SHA-256, so the input is run a second time with
 * its SHA256 TLV replaced by the true digest: that drives verification
 * into the KEYHASH and signature logic, where it must answer anything but
 * BW_EHASH, and never success (no one here holds a trusted private key,
 * and the seeds' signatures were made over other digests).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/image.h"

typedef struct {
    const uint8_t *data;
    uint32_t size;
} ramdev_t;

static int rd_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const ramdev_t *d = ctx;
    if (off > d->size || len > d->size - off)
        abort(); /* flash.c must have refused this */
    memcpy(buf, d->data + off, len);
    return 0;
}

static int rd_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    (void)off;
    (void)buf;
    (void)len;
    abort(); /* image code never writes */
}

static int rd_erase(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx;
    (void)off;
    (void)len;
    abort();
}

static int rd_sector_at(void *ctx, uint32_t off, uint32_t *start,
                        uint32_t *size)
{
    (void)ctx;
    *start = off & ~4095u;
    *size = 4096;
    return 0;
}

static const bw_flash_ops_t rd_ops = {rd_read, rd_write, rd_erase,
                                      rd_sector_at};

/* tests/data/mcuboot/keys/ec256.pub.der and ed25519.pub.der. */
static const uint8_t ec256_der[] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
    0x42, 0x00, 0x04, 0x5a, 0xad, 0x6f, 0xa0, 0xbe, 0xe5, 0x2e, 0x19, 0x57,
    0xa3, 0x33, 0x17, 0x76, 0x75, 0x72, 0xe8, 0x8b, 0xff, 0xd6, 0xb1, 0xab,
    0x0b, 0x30, 0x77, 0x36, 0x00, 0xdc, 0xcf, 0x23, 0xe6, 0xe6, 0xcf, 0x15,
    0x42, 0xa9, 0x5a, 0xb1, 0x52, 0x4f, 0x5f, 0x87, 0x6f, 0xa0, 0x11, 0x9e,
    0xc5, 0xf6, 0x4f, 0x9b, 0x45, 0x2a, 0x15, 0x6e, 0x38, 0xe9, 0x0e, 0x72,
    0xfd, 0x3b, 0x06, 0x4d, 0x89, 0xf5, 0x54};
static const uint8_t ed25519_der[] = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21,
    0x00, 0xf0, 0xde, 0x5e, 0x7d, 0x5a, 0x5e, 0xf6, 0x05, 0x5c, 0x56,
    0x5d, 0x3b, 0xb1, 0x56, 0xae, 0xda, 0x7b, 0x96, 0xd3, 0x22, 0xf4,
    0xfe, 0x6b, 0x98, 0xdb, 0xd2, 0x36, 0xfb, 0x0e, 0x78, 0x42, 0x43};

static const bw_image_key_t trusted[] = {
    {BW_IMAGE_KEY_ECDSA_P256, ec256_der, sizeof ec256_der},
    {BW_IMAGE_KEY_ED25519, ed25519_der, sizeof ed25519_der},
};

/* Image length the target looks at: big enough for every seed (whose
 * payloads were shrunk), small enough to keep runs fast. */
#define MAX_INPUT 8192u

static void check(int cond)
{
    if (!cond)
        abort();
}

static void make_area(ramdev_t *d, bw_flash_t *dev, bw_flash_area_t *fa,
                      const uint8_t *data, size_t size)
{
    d->data = data;
    d->size = (uint32_t)size;
    *dev = (bw_flash_t){&rd_ops, d, (uint32_t)size, 1, 0xff};
    *fa = (bw_flash_area_t){dev, 0, (uint32_t)size};
}

/* Offset of the SHA256 TLV's value in a parsed image, or 0. */
static uint32_t sha_tlv(const uint8_t *img, const bw_image_info_t *info)
{
    uint32_t pos = info->layout.tlv_off + BW_IMAGE_TLV_INFO_SIZE;
    uint32_t end = info->layout.tlv_off + info->layout.tlv_size;
    while (pos < end) {
        uint16_t type = (uint16_t)(img[pos] | img[pos + 1] << 8);
        uint16_t len = (uint16_t)(img[pos + 2] | img[pos + 3] << 8);
        if (type == BW_IMAGE_TLV_SHA256)
            return pos + 4;
        pos += 4u + len;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ramdev_t d;
    bw_flash_t dev;
    bw_flash_area_t fa;
    bw_image_info_t info, vinfo;
    bw_image_header_t hdr;
    uint8_t buf[BW_IMAGE_VERIFY_BUF_MIN + 17];
    uint32_t v;

    if (size > MAX_INPUT)
        return 0;
    make_area(&d, &dev, &fa, data, size);

    int herr = bw_image_header_read(&fa, &hdr);
    int perr = bw_image_parse(&fa, &info);
    int verr = bw_image_verify(&fa, trusted, 2, buf, sizeof buf, &vinfo);
    /* Header errors come first; parse errors are verify's errors. */
    if (herr != 0)
        check(perr == herr);
    if (perr != 0) {
        check(verr == perr);
        check(bw_image_total_size(&fa, &v) == perr && v == 0);
        check(bw_image_security_counter(&fa, &v) == perr);
        return 0;
    }
    check(verr != 0); /* nothing here is signed by a trusted key */

    const bw_image_layout_t *l = &info.layout;
    check(l->prot_off == (uint32_t)info.hdr.hdr_size + info.hdr.img_size);
    check(l->prot_size == info.hdr.protect_tlv_size);
    check(l->tlv_off == l->prot_off + l->prot_size);
    check(l->tlv_size >= BW_IMAGE_TLV_INFO_SIZE);
    check(l->total_size == l->tlv_off + l->tlv_size);
    check(l->total_size <= size && l->total_size > l->tlv_off);
    check(bw_image_total_size(&fa, &v) == 0 && v == l->total_size);
    int serr = bw_image_security_counter(&fa, &v);
    check(info.has_sec_cnt ? serr == 0 && v == info.sec_cnt
                           : serr == BW_ENOTFOUND);
    if (!info.has_hash) {
        check(verr == BW_ENOTFOUND);
        return 0;
    }

    /* Give it the true digest and look past the hash check. */
    uint8_t *copy = malloc(size);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    uint32_t at = sha_tlv(copy, &info);
    check(at != 0);
    check(bw_sha256(copy, l->tlv_off, copy + at) == 0);
    make_area(&d, &dev, &fa, copy, size);
    verr = bw_image_verify(&fa, trusted, 2, buf, sizeof buf, &vinfo);
    check(verr == BW_EKEY || verr == BW_ESIGNATURE);
    free(copy);
    return 0;
}
