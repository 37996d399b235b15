/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-image's image builder (tools/bulwark-image/image_build.c),
 * checked against lib/image: what it builds must parse and verify with
 * the signer's key, with the header fields, TLV areas and trailer where
 * image.h and imgtool put them; inconsistent options and inputs that do
 * not fit are refused with the right exit status and nothing built.
 */
#include <stdlib.h>
#include <string.h>

#include "image_tool.h"
#include "testutil.h"

#define PAYLOAD_LEN 1000u

static uint8_t payload[PAYLOAD_LEN];

static void fill_payload(void)
{
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7u + 3u);
}

/* Verify img with key through lib/image; returns its error code. */
static int verify(const uint8_t *img, size_t len, const tool_key_t *key,
                  bw_image_info_t *info)
{
    tool_memflash_t fl;
    uint8_t buf[256];
    bw_image_key_t k = {(bw_image_key_type_t)key->type, key->spki,
                        key->spki_len};
    tool_memflash_init(&fl, img, (uint32_t)len);
    return bw_image_verify(&fl.area, &k, 1, buf, sizeof(buf), info);
}

/*
 * Both key types: a padded, confirmed image with a security counter.
 * lib/image must accept it and report the header and counter given; the
 * payload sits at hdr_size; the header room is erased; the file is
 * exactly the slot with the magic at its end and image_ok set.
 */
static void test_build_verifies(void **state)
{
    static const tool_key_type_t types[] = {TOOL_KEY_ECDSA_P256,
                                            TOOL_KEY_ED25519};
    (void)state;
    fill_payload();
    for (size_t t = 0; t < 2; t++) {
        tool_key_t key;
        tool_msg_t m;
        assert_int_equal(tool_key_generate(types[t], &key, &m), TOOL_OK);
        tool_sign_opts_t o;
        tool_sign_opts_init(&o);
        o.hdr_size = 0x80;
        o.pad_header = 1;
        o.version = (bw_image_version_t){3, 1, 4, 15};
        o.has_sec_cnt = 1;
        o.sec_cnt = 0x1234;
        o.slot_size = 8192;
        o.geom.align = 4;
        o.pad = o.confirm = 1;
        uint8_t *img = NULL;
        size_t len = 0;
        assert_int_equal(tool_image_build(&o, "in", payload, PAYLOAD_LEN, &key,
                                          &img, &len, &m),
                         TOOL_OK);
        assert_int_equal(len, 8192);

        bw_image_info_t info;
        bw_assert_err(verify(img, len, &key, &info), 0);
        assert_int_equal(info.hdr.hdr_size, 0x80);
        assert_int_equal(info.hdr.img_size, PAYLOAD_LEN);
        assert_int_equal(info.hdr.protect_tlv_size, 12);
        assert_int_equal(info.hdr.flags, 0);
        assert_int_equal(info.hdr.version.major, 3);
        assert_int_equal(info.hdr.version.build_num, 15);
        assert_int_equal(info.has_sec_cnt, 1);
        assert_int_equal(info.sec_cnt, 0x1234);
        assert_memory_equal(img + 0x80, payload, PAYLOAD_LEN);
        for (size_t i = BW_IMAGE_HEADER_SIZE; i < 0x80; i++)
            assert_int_equal(img[i], 0xff);
        /* Unprotected TLVs: SHA256, KEYHASH, signature, in that order. */
        const uint8_t *u = img + info.layout.tlv_off + 4;
        assert_int_equal(u[0], BW_IMAGE_TLV_SHA256);
        assert_memory_equal(u + 4, info.hash, 32);
        u += 36;
        assert_int_equal(u[0], BW_IMAGE_TLV_KEYHASH);
        uint8_t kh[32];
        assert_int_equal(tool_sha256(key.spki, key.spki_len, kh), 0);
        assert_memory_equal(u + 4, kh, 32);
        u += 36;
        assert_int_equal(u[0], types[t] == TOOL_KEY_ED25519
                                   ? BW_IMAGE_TLV_ED25519
                                   : BW_IMAGE_TLV_ECDSA_SIG);
        /* Erased after the TLVs, then the trailer. */
        for (size_t i = info.layout.total_size; i < len - 24; i++)
            assert_int_equal(img[i], 0xff);
        assert_int_equal(img[len - 24], 0x01);
        assert_int_equal(img[len - 16], 0x77);

        /* One payload bit flipped: the digest no longer matches. */
        img[0x80 + 10] ^= 0x01;
        bw_assert_err(verify(img, len, &key, &info), BW_EHASH);
        free(img);
        tool_key_free(&key);
    }
}

/*
 * No security counter, no padding: no protected area at all, and the
 * input's zeroed header room becomes the header (img_size excludes it).
 */
static void test_build_minimal(void **state)
{
    tool_key_t key;
    tool_msg_t m;
    (void)state;
    fill_payload();
    memset(payload, 0, 64);
    assert_int_equal(tool_key_generate(TOOL_KEY_ED25519, &key, &m), TOOL_OK);
    tool_sign_opts_t o;
    tool_sign_opts_init(&o);
    o.hdr_size = 64;
    o.load_addr = 0x20000000;
    uint8_t *img = NULL;
    size_t len = 0;
    assert_int_equal(
        tool_image_build(&o, "in", payload, PAYLOAD_LEN, &key, &img, &len, &m),
        TOOL_OK);
    bw_image_info_t info;
    bw_assert_err(verify(img, len, &key, &info), 0);
    assert_int_equal(info.hdr.img_size, PAYLOAD_LEN - 64);
    assert_int_equal(info.hdr.protect_tlv_size, 0);
    assert_int_equal(info.has_sec_cnt, 0);
    assert_int_equal(info.hdr.load_addr, 0x20000000);
    assert_int_equal(info.hdr.flags, BW_IMAGE_F_RAM_LOAD);
    /* Header 64 + payload + info 4 + 36 + 36 + 4 + 64: nothing after. */
    assert_int_equal(len, PAYLOAD_LEN + 4 + 36 + 36 + 4 + 64);
    assert_int_equal(info.layout.total_size, len);
    free(img);
    tool_key_free(&key);
}

/*
 * Refusals, each with nothing built: header room not zero (FAIL), input
 * shorter than the header (FAIL), --pad without a slot (USAGE), a slot
 * too small for image plus trailer (FAIL; one byte more fits), a
 * public-only key (FAIL).
 */
static void test_build_refusals(void **state)
{
    tool_key_t key;
    tool_msg_t m;
    tool_sign_opts_t o;
    uint8_t *img = (uint8_t *)&img;
    size_t len = 99;
    (void)state;
    fill_payload();
    assert_int_equal(tool_key_generate(TOOL_KEY_ED25519, &key, &m), TOOL_OK);

    tool_sign_opts_init(&o);
    memset(payload, 0, BW_IMAGE_HEADER_SIZE);
    payload[5] = 1;
    assert_int_equal(tool_image_build(&o, "in.bin", payload, PAYLOAD_LEN, &key,
                                      &img, &len, &m),
                     TOOL_FAIL);
    assert_null(img);
    assert_int_equal(len, 0);
    assert_non_null(strstr(m.text, "in.bin: byte 5"));
    assert_int_equal(
        tool_image_build(&o, "in.bin", payload, 31, &key, &img, &len, &m),
        TOOL_FAIL);

    tool_sign_opts_init(&o);
    o.pad_header = 1;
    o.pad = 1;
    assert_int_equal(
        tool_image_build(&o, "in", payload, PAYLOAD_LEN, &key, &img, &len, &m),
        TOOL_USAGE);

    /* Image 32 + 1000 + 144 = 1176 bytes; trailer 2*3*1 + 32 + 16 = 54. */
    tool_sign_opts_init(&o);
    o.pad_header = 1;
    o.geom.max_sectors = 2;
    o.slot_size = 1176 + 54 - 1;
    assert_int_equal(
        tool_image_build(&o, "in", payload, PAYLOAD_LEN, &key, &img, &len, &m),
        TOOL_FAIL);
    assert_non_null(strstr(m.text, "do not fit"));
    assert_null(img);
    o.slot_size = 1176 + 54;
    o.pad = 1;
    assert_int_equal(
        tool_image_build(&o, "in", payload, PAYLOAD_LEN, &key, &img, &len, &m),
        TOOL_OK);
    assert_int_equal(len, 1176 + 54);
    free(img);

    tool_key_t pub = key;
    pub.has_private = 0;
    tool_sign_opts_init(&o);
    o.pad_header = 1;
    assert_int_equal(
        tool_image_build(&o, "in", payload, PAYLOAD_LEN, &pub, &img, &len, &m),
        TOOL_FAIL);
    assert_null(img);
    tool_key_free(&key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_verifies),
        cmocka_unit_test(test_build_minimal),
        cmocka_unit_test(test_build_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
