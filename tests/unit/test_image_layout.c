/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The writing side of lib/image (layout and encoders, for the host tool)
 * and the small pure helpers: header codec, version order, key
 * extraction.  Where possible the expected bytes come from an imgtool
 * image, so a codec that is wrong in the same way both ways still fails.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/image.h"
#include "flashram.h"
#include "testutil.h"

/*
 * The layout of ec256-v2.0.0-sc8.bin as imgtool chose it (dumpinfo:
 * header 0x200, 64 KiB payload, protected tlv_tot 12, unprotected 151)
 * comes out of bw_image_layout() from the TLV byte counts alone, and its
 * total is the file's length.
 */
static void test_layout_matches_imgtool(void **state)
{
    (void)state;
    bw_image_layout_t l;
    uint8_t *data;
    size_t n = bw_test_read_file("mcuboot/ec256-v2.0.0-sc8.bin", &data);
    /* protected: SEC_CNT 4+4; unprotected: SHA256 4+32, KEYHASH 4+32,
     * ECDSA 4+71. */
    bw_assert_err(bw_image_layout(0x200, 65536, 8, 147, 0x40000, &l), 0);
    assert_int_equal(l.prot_off, 0x200 + 65536);
    assert_int_equal(l.prot_size, 12);
    assert_int_equal(l.tlv_off, 0x200 + 65536 + 12);
    assert_int_equal(l.tlv_size, 151);
    assert_int_equal(l.total_size, n);
    /* ... and parse finds the same layout in the file. */
    bw_flashram_t fr;
    bw_image_info_t info;
    bw_flashram_init(&fr, data, (uint32_t)n);
    bw_assert_err(bw_image_parse(&fr.area, &info), 0);
    assert_memory_equal(&info.layout, &l, sizeof l);
    free(data);
}

/* Every limit of bw_image_layout(), just inside and just outside. */
static void test_layout_limits(void **state)
{
    (void)state;
    bw_image_layout_t l;
    /* No protected TLVs: no protected area at all. */
    bw_assert_err(bw_image_layout(32, 100, 0, 36, 1000, &l), 0);
    assert_int_equal(l.prot_size, 0);
    assert_int_equal(l.tlv_off, 132);
    assert_int_equal(l.total_size, 132 + 40);
    /* hdr_size 32 .. 65535. */
    bw_assert_err(bw_image_layout(31, 100, 0, 36, 1000, &l), BW_ERANGE);
    assert_int_equal(l.total_size, 0);
    bw_assert_err(bw_image_layout(0x10000, 100, 0, 36, UINT32_MAX, &l),
                  BW_ERANGE);
    bw_assert_err(bw_image_layout(0xffff, 100, 0, 36, UINT32_MAX, &l), 0);
    /* Each area's tlv_tot, info header included, fits 16 bits. */
    bw_assert_err(bw_image_layout(32, 0, 0xfffb, 0xfffb, UINT32_MAX, &l), 0);
    assert_int_equal(l.prot_size, 0xffff);
    assert_int_equal(l.tlv_size, 0xffff);
    bw_assert_err(bw_image_layout(32, 0, 0xfffc, 0, UINT32_MAX, &l),
                  BW_EOVERFLOW);
    bw_assert_err(bw_image_layout(32, 0, 0, 0xfffc, UINT32_MAX, &l),
                  BW_EOVERFLOW);
    /* The total past 32 bits, and exactly at 2^32 - 1. */
    bw_assert_err(
        bw_image_layout(32, UINT32_MAX - 32 - 4 + 1, 0, 0, UINT32_MAX, &l),
        BW_EOVERFLOW);
    bw_assert_err(
        bw_image_layout(32, UINT32_MAX - 32 - 4, 0, 0, UINT32_MAX, &l), 0);
    assert_int_equal(l.total_size, UINT32_MAX);
    /* The room: exactly full, and one byte short. */
    bw_assert_err(bw_image_layout(32, 100, 8, 36, 32 + 100 + 12 + 40, &l), 0);
    bw_assert_err(bw_image_layout(32, 100, 8, 36, 32 + 100 + 12 + 39, &l),
                  BW_ENOSPC);
    bw_assert_err(bw_image_layout(32, 100, 8, 36, 1000, NULL), BW_EINVAL);
}

/*
 * The header of ec256-v1.2.3-sc7.bin decodes to what dumpinfo says, and
 * encoding the decoded header gives back its 32 bytes (pad is zero there).
 */
static void test_header_codec_against_imgtool(void **state)
{
    (void)state;
    uint8_t *data, out[32];
    bw_image_header_t h;
    bw_test_read_file("mcuboot/ec256-v1.2.3-sc7.bin", &data);
    bw_assert_err(bw_image_header_decode(data, &h), 0);
    assert_int_equal(h.load_addr, 0);
    assert_int_equal(h.hdr_size, 512);
    assert_int_equal(h.protect_tlv_size, 12);
    assert_int_equal(h.img_size, 204800);
    assert_int_equal(h.flags, 0);
    assert_int_equal(h.version.major, 1);
    assert_int_equal(h.version.minor, 2);
    assert_int_equal(h.version.revision, 3);
    assert_int_equal(h.version.build_num, 45);
    bw_image_header_encode(&h, out);
    assert_memory_equal(out, data, 32);
    free(data);
}

/* Every field lands at its offset, little-endian, with distinct bytes. */
static void test_header_encode_bytes(void **state)
{
    (void)state;
    uint8_t out[32], want[32];
    bw_image_header_t h = {0x11223344u, 0x5566,
                           0x7788,      0x99aabbccu,
                           0x70608011u, {0x21, 0x22, 0x2324, 0x25262728u}};
    bw_test_hex("3db8f396 44332211 6655 8877 ccbbaa99 11806070"
                "21 22 2423 28272625 00000000",
                want, sizeof want);
    bw_image_header_encode(&h, out);
    assert_memory_equal(out, want, 32);
    bw_image_header_t back;
    bw_assert_err(bw_image_header_decode(out, &back), 0);
    assert_memory_equal(&back, &h, sizeof h);
    /* Decode's own checks (rules 2-5). */
    out[3] = 0;
    bw_assert_err(bw_image_header_decode(out, &back), BW_EMAGIC);
    assert_int_equal(back.hdr_size, 0);
}

/* TLV info and TLV headers: type/magic then length, little-endian. */
static void test_tlv_encoders(void **state)
{
    (void)state;
    uint8_t out[4], want[4];
    bw_image_tlv_info_encode(BW_IMAGE_TLV_PROT_INFO_MAGIC, 0x010c, out);
    bw_test_hex("0869 0c01", want, 4);
    assert_memory_equal(out, want, 4);
    bw_image_tlv_hdr_encode(BW_IMAGE_TLV_ECDSA_SIG, 0x0147, out);
    bw_test_hex("2200 4701", want, 4);
    assert_memory_equal(out, want, 4);
}

/*
 * An image written from bw_image_layout() with the encoders (as the host
 * tool will) parses back to the same layout, counter and digest.
 */
static void test_write_then_parse(void **state)
{
    (void)state;
    static uint8_t img[2048];
    bw_image_layout_t l;
    bw_image_header_t h = {0, 0x80, 12, 1000, 0, {3, 1, 4, 1}};
    memset(img, 0xff, sizeof img);
    bw_assert_err(
        bw_image_layout(h.hdr_size, h.img_size, 8, 36, sizeof img, &l), 0);
    h.protect_tlv_size = (uint16_t)l.prot_size;
    bw_image_header_encode(&h, img);
    for (uint32_t i = 0; i < h.img_size; i++)
        img[h.hdr_size + i] = (uint8_t)(i ^ 0x5a);
    uint8_t *p = img + l.prot_off;
    bw_image_tlv_info_encode(BW_IMAGE_TLV_PROT_INFO_MAGIC,
                             (uint16_t)l.prot_size, p);
    bw_image_tlv_hdr_encode(BW_IMAGE_TLV_SEC_CNT, 4, p + 4);
    memcpy(p + 8, "\x2a\x00\x00\x00", 4);
    p = img + l.tlv_off;
    bw_image_tlv_info_encode(BW_IMAGE_TLV_INFO_MAGIC, (uint16_t)l.tlv_size, p);
    bw_image_tlv_hdr_encode(BW_IMAGE_TLV_SHA256, 32, p + 4);
    bw_assert_err(bw_sha256(img, l.tlv_off, p + 8), 0);

    bw_flashram_t fr;
    bw_image_info_t info;
    uint8_t buf[128];
    bw_flashram_init(&fr, img, sizeof img);
    bw_assert_err(bw_image_parse(&fr.area, &info), 0);
    assert_memory_equal(&info.layout, &l, sizeof l);
    assert_int_equal(info.sec_cnt, 42);
    assert_memory_equal(info.hash, p + 8, 32);
    /* Unsigned, so verify gets as far as the signatures. */
    bw_assert_err(bw_image_verify(&fr.area, NULL, 0, buf, sizeof buf, &info),
                  BW_EKEY);
}

/* Version order: major, minor, revision (16 bits), build (32 bits). */
static void test_version_cmp(void **state)
{
    (void)state;
    const bw_image_version_t v[] = {
        {0, 9, 0, 0}, {0, 9, 0, 1},   {0, 9, 0x00ff, 0}, {0, 9, 0x0100, 0},
        {1, 0, 0, 0}, {1, 2, 3, 45},  {1, 2, 3, 0x100},  {1, 3, 0, 0},
        {2, 0, 0, 0}, {255, 0, 0, 0},
    };
    size_t n = sizeof v / sizeof v[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int c = bw_image_version_cmp(&v[i], &v[j]);
            if (i < j)
                assert_true(c < 0);
            else if (i > j)
                assert_true(c > 0);
            else
                assert_int_equal(c, 0);
        }
}

/*
 * Key extraction from DER: the committed keys give their raw key (the
 * bytes after the fixed prefix); any change to the prefix, the length or
 * the point marker is refused; a short output is BW_ENOSPC.
 */
static void test_key_raw(void **state)
{
    (void)state;
    uint8_t *ec, *ed, raw[65];
    size_t ec_len = bw_test_read_file("mcuboot/keys/ec256.pub.der", &ec);
    size_t ed_len = bw_test_read_file("mcuboot/keys/ed25519.pub.der", &ed);
    bw_image_key_t k = {BW_IMAGE_KEY_ECDSA_P256, ec, ec_len};
    bw_assert_err(bw_image_key_raw(&k, raw, sizeof raw), 0);
    assert_memory_equal(raw, ec + 26, 65);
    assert_int_equal(raw[0], 0x04);
    bw_assert_err(bw_image_key_raw(&k, raw, 64), BW_ENOSPC);
    for (size_t i = 0; i < 27; i++) {
        ec[i] ^= 0x01;
        bw_assert_err(bw_image_key_raw(&k, raw, sizeof raw), BW_EINVAL);
        ec[i] ^= 0x01;
    }
    k.der_len = ec_len - 1;
    bw_assert_err(bw_image_key_raw(&k, raw, sizeof raw), BW_EINVAL);

    k = (bw_image_key_t){BW_IMAGE_KEY_ED25519, ed, ed_len};
    bw_assert_err(bw_image_key_raw(&k, raw, sizeof raw), 0);
    assert_memory_equal(raw, ed + 12, 32);
    bw_assert_err(bw_image_key_raw(&k, raw, 31), BW_ENOSPC);
    for (size_t i = 0; i < 12; i++) {
        ed[i] ^= 0x80;
        bw_assert_err(bw_image_key_raw(&k, raw, sizeof raw), BW_EINVAL);
        ed[i] ^= 0x80;
    }
    k.type = (bw_image_key_type_t)3;
    bw_assert_err(bw_image_key_raw(&k, raw, sizeof raw), BW_EINVAL);
    k.type = BW_IMAGE_KEY_ECDSA_P256; /* the Ed25519 DER as a P-256 key */
    bw_assert_err(bw_image_key_raw(&k, raw, sizeof raw), BW_EINVAL);
    bw_assert_err(bw_image_key_raw(NULL, raw, sizeof raw), BW_EINVAL);
    free(ec);
    free(ed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_matches_imgtool),
        cmocka_unit_test(test_layout_limits),
        cmocka_unit_test(test_header_codec_against_imgtool),
        cmocka_unit_test(test_header_encode_bytes),
        cmocka_unit_test(test_tlv_encoders),
        cmocka_unit_test(test_write_then_parse),
        cmocka_unit_test(test_version_cmp),
        cmocka_unit_test(test_key_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
