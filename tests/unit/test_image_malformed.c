/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hand-built images that break one rule each of the check order in
 * include/bulwark/image.h, and a few that break two (the earlier rule
 * must win).  Each asserts the exact code.  The images are built in RAM
 * with a correct SHA256 TLV, so only the rule under test is broken.
 */
#include <string.h>

#include "bulwark/image.h"
#include "flashram.h"
#include "testutil.h"

#define CAP      1024u
#define PAYLOAD  64u     /* payload bytes of the baseline image */
#define HDR      32u     /* hdr_size of the baseline image */
#define T_VENDOR 0x7777u /* a type this module does not know */

typedef struct {
    uint8_t b[CAP];
    uint32_t len;
    uint32_t area;    /* start of the area being built */
    uint16_t magic;   /* its magic */
    uint32_t tlv_off; /* where the unprotected area starts */
    bw_flashram_t fr;
} img_t;

static void put16(img_t *m, uint32_t off, uint16_t v)
{
    m->b[off] = (uint8_t)v;
    m->b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(img_t *m, uint32_t off, uint32_t v)
{
    put16(m, off, (uint16_t)v);
    put16(m, off + 2, (uint16_t)(v >> 16));
}

/* Header (hdr_size bytes, padding 0xff as imgtool pads) and payload. */
static void b_init(img_t *m, uint16_t hdr_size, uint32_t img_size)
{
    bw_image_header_t h = {0};
    memset(m, 0, sizeof *m);
    h.hdr_size = hdr_size;
    h.img_size = img_size;
    h.version = (bw_image_version_t){1, 2, 3, 45};
    memset(m->b, 0xff, hdr_size);
    bw_image_header_encode(&h, m->b);
    for (uint32_t i = 0; i < img_size; i++)
        m->b[hdr_size + i] = (uint8_t)(i * 7 + 1);
    m->len = hdr_size + img_size;
}

static void b_area(img_t *m, uint16_t magic)
{
    m->area = m->len;
    m->magic = magic;
    if (magic == BW_IMAGE_TLV_INFO_MAGIC)
        m->tlv_off = m->len;
    m->len += 4;
}

static void b_tlv(img_t *m, uint16_t type, uint16_t len, const void *val)
{
    assert_true(m->len + 4u + len <= CAP);
    bw_image_tlv_hdr_encode(type, len, m->b + m->len);
    if (val != NULL)
        memcpy(m->b + m->len + 4, val, len);
    else
        memset(m->b + m->len + 4, 0xa5, len);
    m->len += 4u + len;
}

/* Close the area: its tlv_tot, and protect_tlv_size for the protected. */
static void b_end(img_t *m)
{
    uint16_t tot = (uint16_t)(m->len - m->area);
    bw_image_tlv_info_encode(m->magic, tot, m->b + m->area);
    if (m->magic == BW_IMAGE_TLV_PROT_INFO_MAGIC)
        put16(m, 10, tot);
}

/* A SHA256 TLV of everything before the unprotected area. */
static void b_sha(img_t *m)
{
    uint8_t h[32];
    bw_assert_err(bw_sha256(m->b, m->tlv_off, h), 0);
    b_tlv(m, BW_IMAGE_TLV_SHA256, 32, h);
}

static void b_sec_cnt(img_t *m, uint32_t v)
{
    uint8_t c[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    b_tlv(m, BW_IMAGE_TLV_SEC_CNT, 4, c);
}

/* One TLV for b_signed(); val NULL: filler bytes. */
typedef struct {
    uint16_t type, len;
    const void *val;
} tlv_t;

/* Header, payload, no protected area; the unprotected area holds a good
 * SHA256 TLV, then tlvs[0..n) (the signature part under test). */
static void b_signed(img_t *m, const tlv_t *tlvs, size_t n)
{
    b_init(m, HDR, PAYLOAD);
    b_area(m, BW_IMAGE_TLV_INFO_MAGIC);
    b_sha(m);
    for (size_t i = 0; i < n; i++)
        b_tlv(m, tlvs[i].type, tlvs[i].len, tlvs[i].val);
    b_end(m);
}

/* The baseline: header 32, payload 64, SEC_CNT 5 protected, SHA256. */
static void b_good(img_t *m)
{
    b_init(m, HDR, PAYLOAD);
    b_area(m, BW_IMAGE_TLV_PROT_INFO_MAGIC);
    b_sec_cnt(m, 5);
    b_end(m);
    b_area(m, BW_IMAGE_TLV_INFO_MAGIC);
    b_sha(m);
    b_end(m);
}

/* Parse m as an area of exactly m->len bytes (or len when nonzero). */
static int parse_len(img_t *m, uint32_t len, bw_image_info_t *info)
{
    bw_flashram_init(&m->fr, m->b, len);
    return bw_image_parse(&m->fr.area, info);
}

static int parse(img_t *m)
{
    bw_image_info_t info;
    return parse_len(m, m->len, &info);
}

static int verify_keys(img_t *m, const bw_image_key_t *keys, size_t n)
{
    uint8_t buf[BW_IMAGE_VERIFY_BUF_MIN];
    bw_image_info_t info;
    bw_flashram_init(&m->fr, m->b, m->len);
    return bw_image_verify(&m->fr.area, keys, n, buf, sizeof buf, &info);
}

/*
 * Trusted keys for the signature rules.  No test here holds a private
 * key, so no signature made here can verify: these keys serve for their
 * KEYHASH and to be handed well-formed signatures that fail.
 */
static uint8_t ec_der[BW_IMAGE_P256_SPKI_LEN];
static uint8_t ed_der[BW_IMAGE_ED25519_SPKI_LEN];

static void make_keys(bw_image_key_t keys[2])
{
    bw_test_hex("3059301306072a8648ce3d020106082a8648ce3d030107034200"
                "04",
                ec_der, sizeof ec_der);
    /* The generator point of P-256: a valid point, no one's key. */
    bw_test_hex(
        "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
        ec_der + 27, sizeof ec_der - 27);
    bw_test_hex("302a300506032b6570032100", ed_der, sizeof ed_der);
    /* RFC 8032 test 1 public key. */
    bw_test_hex(
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        ed_der + 12, sizeof ed_der - 12);
    keys[0] = (bw_image_key_t){BW_IMAGE_KEY_ECDSA_P256, ec_der, sizeof ec_der};
    keys[1] = (bw_image_key_t){BW_IMAGE_KEY_ED25519, ed_der, sizeof ed_der};
}

/* The baseline parses, and reports what was built. */
static void test_baseline(void **state)
{
    (void)state;
    img_t m;
    bw_image_info_t info;
    b_good(&m);
    bw_assert_err(parse_len(&m, m.len, &info), 0);
    assert_int_equal(info.hdr.hdr_size, HDR);
    assert_int_equal(info.hdr.img_size, PAYLOAD);
    assert_int_equal(info.hdr.protect_tlv_size, 12);
    assert_int_equal(info.has_sec_cnt, 1);
    assert_int_equal(info.sec_cnt, 5);
    assert_int_equal(info.has_hash, 1);
    assert_int_equal(info.layout.prot_off, HDR + PAYLOAD);
    assert_int_equal(info.layout.tlv_off, HDR + PAYLOAD + 12);
    assert_int_equal(info.layout.tlv_size, 4 + 36);
    assert_int_equal(info.layout.total_size, m.len);
    /* Trailing bytes after the image (a slot) do not matter. */
    memset(m.b + m.len, 0xff, 100);
    bw_assert_err(parse_len(&m, m.len + 100, &info), 0);
    assert_int_equal(info.layout.total_size, m.len);
}

/* Rules 1-6: the header, field by field. */
static void test_header_fields(void **state)
{
    (void)state;
    img_t m;
    bw_image_info_t info;
    b_good(&m);
    /* 1: fewer than 32 bytes in the area. */
    bw_assert_err(parse_len(&m, 0, &info), BW_ETRUNC);
    bw_assert_err(parse_len(&m, 31, &info), BW_ETRUNC);
    /* 2: magic, each byte. */
    for (int i = 0; i < 4; i++) {
        b_good(&m);
        m.b[i] ^= 0x10;
        bw_assert_err(parse(&m), BW_EMAGIC);
    }
    /* 3: hdr_size below the fixed header. */
    b_good(&m);
    put16(&m, 8, 0);
    bw_assert_err(parse(&m), BW_ERANGE);
    put16(&m, 8, 31);
    bw_assert_err(parse(&m), BW_ERANGE);
    /* 4: hdr_size + img_size wraps 32 bits (by one, and by a lot). */
    b_good(&m);
    put32(&m, 12, UINT32_MAX - HDR + 1);
    bw_assert_err(parse(&m), BW_EOVERFLOW);
    put32(&m, 12, UINT32_MAX);
    bw_assert_err(parse(&m), BW_EOVERFLOW);
    /* ... exactly 2^32 - 1 does not wrap: it is past the area (6). */
    put32(&m, 12, UINT32_MAX - HDR);
    bw_assert_err(parse(&m), BW_ETRUNC);
    /* 5: encrypted or compressed payloads. */
    const uint32_t bad_flags[] = {
        BW_IMAGE_F_ENCRYPTED_AES128, BW_IMAGE_F_ENCRYPTED_AES256,
        BW_IMAGE_F_COMPRESSED_LZMA1, BW_IMAGE_F_COMPRESSED_LZMA2};
    for (size_t i = 0; i < 4; i++) {
        b_good(&m);
        put32(&m, 16, bad_flags[i] | BW_IMAGE_F_PIC);
        bw_assert_err(parse(&m), BW_EUNSUPPORTED);
    }
    /* ... other flags are reported, not judged. */
    b_good(&m);
    put32(&m, 16, BW_IMAGE_F_NON_BOOTABLE | BW_IMAGE_F_RAM_LOAD | 0x80000000u);
    bw_assert_err(parse_len(&m, m.len, &info), 0);
    assert_int_equal(info.hdr.flags, BW_IMAGE_F_NON_BOOTABLE |
                                         BW_IMAGE_F_RAM_LOAD | 0x80000000u);
    /* 6: payload past the area; hdr_size past the area. */
    b_good(&m);
    put32(&m, 12, m.len);
    bw_assert_err(parse(&m), BW_ETRUNC);
    b_good(&m);
    put16(&m, 8, 0xffff);
    bw_assert_err(parse(&m), BW_ETRUNC);
    /* The header read alone sees the same codes. */
    bw_image_header_t h;
    bw_flashram_init(&m.fr, m.b, m.len);
    bw_assert_err(bw_image_header_read(&m.fr.area, &h), BW_ETRUNC);
    assert_int_equal(h.hdr_size, 0);
}

/* Rules 7-10: the protected area's info header. */
static void test_protected_info(void **state)
{
    (void)state;
    img_t m;
    bw_image_info_t info;
    /* 7: protect_tlv_size set, area ends with the payload (and 3 bytes in). */
    b_good(&m);
    bw_assert_err(parse_len(&m, HDR + PAYLOAD, &info), BW_ETRUNC);
    bw_assert_err(parse_len(&m, HDR + PAYLOAD + 3, &info), BW_ETRUNC);
    /* 8: wrong magic, including the unprotected one. */
    b_good(&m);
    put16(&m, HDR + PAYLOAD, BW_IMAGE_TLV_INFO_MAGIC);
    bw_assert_err(parse(&m), BW_EMAGIC);
    /* 9: tlv_tot below its own header, and tlv_tot != protect_tlv_size. */
    b_good(&m);
    put16(&m, 10, 3);
    put16(&m, HDR + PAYLOAD + 2, 3);
    bw_assert_err(parse(&m), BW_EMALFORMED);
    b_good(&m);
    put16(&m, 10, 16);
    bw_assert_err(parse(&m), BW_EMALFORMED);
    b_good(&m);
    put16(&m, HDR + PAYLOAD + 2, 8);
    bw_assert_err(parse(&m), BW_EMALFORMED);
    /* 10: both agree on a size that runs past the area. */
    b_good(&m);
    put16(&m, 10, 0xfff0);
    put16(&m, HDR + PAYLOAD + 2, 0xfff0);
    bw_assert_err(parse(&m), BW_ETRUNC);
}

/* Rules 11-15: the unprotected area's info header. */
static void test_unprotected_info(void **state)
{
    (void)state;
    img_t m;
    bw_image_info_t info;
    uint32_t u = HDR + PAYLOAD + 12; /* unprotected info header */
    /* 11: the area ends before (or inside) the unprotected header. */
    b_good(&m);
    bw_assert_err(parse_len(&m, u, &info), BW_ETRUNC);
    bw_assert_err(parse_len(&m, u + 2, &info), BW_ETRUNC);
    /* 12: a protected area the header does not declare (so unhashed). */
    b_good(&m);
    put16(&m, 10, 0);
    bw_assert_err(parse(&m), BW_EMALFORMED);
    /* 13: wrong magic. */
    b_good(&m);
    put16(&m, u, 0x6906);
    bw_assert_err(parse(&m), BW_EMAGIC);
    /* ... a second protected header after the protected area. */
    put16(&m, u, BW_IMAGE_TLV_PROT_INFO_MAGIC);
    bw_assert_err(parse(&m), BW_EMAGIC);
    /* 14: tlv_tot below its own header. */
    for (uint16_t tot = 0; tot < 4; tot++) {
        b_good(&m);
        put16(&m, u + 2, tot);
        bw_assert_err(parse(&m), BW_EMALFORMED);
    }
    /* 15: tlv_tot past the area, by one and by the most. */
    b_good(&m);
    put16(&m, u + 2, (uint16_t)(m.len - u + 1));
    bw_assert_err(parse(&m), BW_ETRUNC);
    put16(&m, u + 2, 0xffff);
    bw_assert_err(parse(&m), BW_ETRUNC);
    /* An empty unprotected area (tlv_tot 4) is well formed. */
    b_init(&m, HDR, PAYLOAD);
    b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
    b_end(&m);
    bw_assert_err(parse_len(&m, m.len, &info), 0);
    assert_int_equal(info.has_hash, 0);
    assert_int_equal(info.layout.prot_size, 0);
}

/* Rules 16-17: TLV headers and lengths against their area. */
static void test_tlv_bounds(void **state)
{
    (void)state;
    img_t m;
    uint32_t u = HDR + PAYLOAD + 12;
    /* 16: tlv_tot leaves 1..3 bytes after the last TLV. */
    for (uint16_t extra = 1; extra < 4; extra++) {
        b_good(&m);
        m.len += extra;
        put16(&m, u + 2, (uint16_t)(4 + 36 + extra));
        bw_assert_err(parse(&m), BW_EMALFORMED);
    }
    /* ... in the protected area too: tlv_tot 4 + 8 + 2. */
    b_init(&m, HDR, PAYLOAD);
    b_area(&m, BW_IMAGE_TLV_PROT_INFO_MAGIC);
    b_sec_cnt(&m, 5);
    m.len += 2;
    b_end(&m);
    b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
    b_sha(&m);
    b_end(&m);
    bw_assert_err(parse(&m), BW_EMALFORMED);
    /* 17: a TLV length one past its area, and the largest length. */
    b_good(&m);
    put16(&m, u + 4 + 2, 33);
    bw_assert_err(parse(&m), BW_EOVERFLOW);
    put16(&m, u + 4 + 2, 0xffff);
    bw_assert_err(parse(&m), BW_EOVERFLOW);
    /* ... a protected TLV running into the unprotected area. */
    b_good(&m);
    put16(&m, HDR + PAYLOAD + 4 + 2, 5);
    bw_assert_err(parse(&m), BW_EOVERFLOW);
    /* ... a TLV that fits its area exactly is fine (vendor, 0 bytes). */
    b_init(&m, HDR, PAYLOAD);
    b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
    b_sha(&m);
    b_tlv(&m, T_VENDOR, 0, NULL);
    b_end(&m);
    bw_assert_err(parse(&m), 0);
}

/* Rule 18: each TLV type in the area it must not be in. */
static void test_tlv_wrong_area(void **state)
{
    (void)state;
    img_t m;
    const uint16_t unprot_only[] = {BW_IMAGE_TLV_SHA256, BW_IMAGE_TLV_KEYHASH,
                                    BW_IMAGE_TLV_PUBKEY, BW_IMAGE_TLV_ECDSA_SIG,
                                    BW_IMAGE_TLV_ED25519};
    const uint16_t lens[] = {32, 32, 91, 70, 64};
    for (size_t i = 0; i < 5; i++) {
        b_init(&m, HDR, PAYLOAD);
        b_area(&m, BW_IMAGE_TLV_PROT_INFO_MAGIC);
        b_tlv(&m, unprot_only[i], lens[i], NULL);
        b_end(&m);
        b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
        b_sha(&m);
        b_end(&m);
        bw_assert_err(parse(&m), BW_ETYPE);
    }
    const uint16_t prot_only[] = {BW_IMAGE_TLV_SEC_CNT,
                                  BW_IMAGE_TLV_DEPENDENCY};
    for (size_t i = 0; i < 2; i++) {
        b_init(&m, HDR, PAYLOAD);
        b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
        b_sha(&m);
        b_tlv(&m, prot_only[i], i == 0 ? 4 : 12, NULL);
        b_end(&m);
        bw_assert_err(parse(&m), BW_ETYPE);
    }
    /* Unknown types are allowed in both areas, at any length. */
    b_init(&m, HDR, PAYLOAD);
    b_area(&m, BW_IMAGE_TLV_PROT_INFO_MAGIC);
    b_tlv(&m, T_VENDOR, 300, NULL);
    b_tlv(&m, BW_IMAGE_TLV_DEPENDENCY, 12, NULL);
    b_end(&m);
    b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
    b_sha(&m);
    b_tlv(&m, T_VENDOR, 1, NULL);
    b_tlv(&m, 0xffff, 7, NULL);
    b_end(&m);
    bw_assert_err(parse(&m), 0);
}

/* Rule 19: each known type one byte short and one byte long. */
static void test_tlv_lengths(void **state)
{
    (void)state;
    img_t m;
    const struct {
        uint16_t type;
        uint16_t min, max;
        int prot;
    } t[] = {
        {BW_IMAGE_TLV_SEC_CNT, 4, 4, 1},   {BW_IMAGE_TLV_DEPENDENCY, 12, 12, 1},
        {BW_IMAGE_TLV_KEYHASH, 32, 32, 0}, {BW_IMAGE_TLV_ECDSA_SIG, 8, 72, 0},
        {BW_IMAGE_TLV_ED25519, 64, 64, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const uint16_t tries[] = {(uint16_t)(t[i].min - 1),
                                  (uint16_t)(t[i].max + 1), t[i].min, t[i].max};
        for (size_t j = 0; j < 4; j++) {
            b_init(&m, HDR, PAYLOAD);
            if (t[i].prot) {
                b_area(&m, BW_IMAGE_TLV_PROT_INFO_MAGIC);
                b_tlv(&m, t[i].type, tries[j], NULL);
                b_end(&m);
            }
            b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
            b_sha(&m);
            if (!t[i].prot)
                b_tlv(&m, t[i].type, tries[j], NULL);
            b_end(&m);
            bw_assert_err(parse(&m), j < 2 ? BW_EMALFORMED : 0);
        }
    }
    /* SHA256 one short. */
    b_good(&m);
    put16(&m, HDR + PAYLOAD + 12 + 4 + 2, 31);
    m.len -= 1;
    put16(&m, HDR + PAYLOAD + 12 + 2, 4 + 35);
    bw_assert_err(parse(&m), BW_EMALFORMED);
}

/* Rule 20: a second SHA256 or SEC_CNT. */
static void test_tlv_duplicates(void **state)
{
    (void)state;
    img_t m;
    b_init(&m, HDR, PAYLOAD);
    b_area(&m, BW_IMAGE_TLV_PROT_INFO_MAGIC);
    b_sec_cnt(&m, 1);
    b_sec_cnt(&m, 2);
    b_end(&m);
    b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
    b_sha(&m);
    b_end(&m);
    bw_assert_err(parse(&m), BW_EDUPKEY);

    b_init(&m, HDR, PAYLOAD);
    b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
    b_sha(&m);
    b_tlv(&m, T_VENDOR, 3, NULL);
    b_sha(&m);
    b_end(&m);
    bw_assert_err(parse(&m), BW_EDUPKEY);
}

/* Two broken rules: the one earlier in the documented order decides. */
static void test_order(void **state)
{
    (void)state;
    img_t m;
    /* Bad magic (2) and hdr_size 0 (3). */
    b_good(&m);
    m.b[0] = 0;
    put16(&m, 8, 0);
    bw_assert_err(parse(&m), BW_EMAGIC);
    /* hdr_size 0 (3) and a wrapping img_size (4). */
    b_good(&m);
    put16(&m, 8, 0);
    put32(&m, 12, UINT32_MAX);
    bw_assert_err(parse(&m), BW_ERANGE);
    /* Encrypted (5) and payload past the area (6). */
    b_good(&m);
    put32(&m, 16, BW_IMAGE_F_ENCRYPTED_AES128);
    put32(&m, 12, 100000);
    bw_assert_err(parse(&m), BW_EUNSUPPORTED);
    /* A protected TLV overflowing (17) and a bad unprotected magic (13). */
    b_good(&m);
    put16(&m, HDR + PAYLOAD + 4 + 2, 0xffff);
    put16(&m, HDR + PAYLOAD + 12, 0x1234);
    bw_assert_err(parse(&m), BW_EMAGIC);
    /* SEC_CNT in the wrong area (18) with a wrong length (19). */
    b_init(&m, HDR, PAYLOAD);
    b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
    b_tlv(&m, BW_IMAGE_TLV_SEC_CNT, 3, NULL);
    b_end(&m);
    bw_assert_err(parse(&m), BW_ETYPE);
    /* A protected duplicate (20) before an unprotected overflow (17). */
    b_init(&m, HDR, PAYLOAD);
    b_area(&m, BW_IMAGE_TLV_PROT_INFO_MAGIC);
    b_sec_cnt(&m, 1);
    b_sec_cnt(&m, 1);
    b_end(&m);
    b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
    b_tlv(&m, T_VENDOR, 2, NULL);
    b_end(&m);
    put16(&m, m.len - 2 - 2, 9);
    bw_assert_err(parse(&m), BW_EDUPKEY);
    /* A structural error (16) wins over a wrong digest (22). */
    b_good(&m);
    m.b[HDR] ^= 1;
    m.len += 2;
    put16(&m, HDR + PAYLOAD + 12 + 2, 4 + 36 + 2);
    bw_assert_err(verify_keys(&m, NULL, 0), BW_EMALFORMED);
}

/* Rules 21-24 on hand-built images with the two trusted test keys. */
static void test_verify_rules(void **state)
{
    (void)state;
    img_t m;
    bw_image_key_t keys[2];
    uint8_t ec_hash[32], ed_hash[32], other[32];
    make_keys(keys);
    bw_assert_err(bw_sha256(ec_der, sizeof ec_der, ec_hash), 0);
    bw_assert_err(bw_sha256(ed_der, sizeof ed_der, ed_hash), 0);
    memset(other, 0x42, sizeof other);
    uint8_t ecdsa_sig[70];
    /* A well-formed DER signature that is not the key's: r = s = 1...1. */
    memset(ecdsa_sig, 0x11, sizeof ecdsa_sig);
    ecdsa_sig[0] = 0x30;
    ecdsa_sig[1] = 68;
    ecdsa_sig[2] = 0x02;
    ecdsa_sig[3] = 32;
    ecdsa_sig[36] = 0x02;
    ecdsa_sig[37] = 32;

    /* 21: no SHA256 TLV. */
    b_init(&m, HDR, PAYLOAD);
    b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
    b_tlv(&m, BW_IMAGE_TLV_KEYHASH, 32, ec_hash);
    b_tlv(&m, BW_IMAGE_TLV_ECDSA_SIG, 70, ecdsa_sig);
    b_end(&m);
    bw_assert_err(verify_keys(&m, keys, 2), BW_ENOTFOUND);
    /* 22: version, payload or protected TLV changed after hashing. */
    const uint32_t spots[] = {0x14, HDR + 3, HDR + PAYLOAD + 8};
    for (size_t i = 0; i < 3; i++) {
        b_good(&m);
        m.b[spots[i]] ^= 0x04;
        bw_assert_err(verify_keys(&m, keys, 2), BW_EHASH);
    }
    /* 22: the SHA256 TLV itself off by one bit, at each of its bytes. */
    for (uint32_t i = 0; i < 32; i++) {
        b_good(&m);
        m.b[HDR + PAYLOAD + 12 + 8 + i] ^= 0x20;
        bw_assert_err(verify_keys(&m, keys, 2), BW_EHASH);
    }
    /* 24: hash fine, no KEYHASH at all; or keys[] empty. */
    b_good(&m);
    bw_assert_err(verify_keys(&m, keys, 2), BW_EKEY);
    bw_assert_err(verify_keys(&m, NULL, 0), BW_EKEY);

    /* 23: a trusted key's ECDSA signature that does not verify. */
    const tlv_t ec_signed[] = {{BW_IMAGE_TLV_KEYHASH, 32, ec_hash},
                               {BW_IMAGE_TLV_ECDSA_SIG, 70, ecdsa_sig}};
    b_signed(&m, ec_signed, 2);
    bw_assert_err(verify_keys(&m, keys, 2), BW_ESIGNATURE);
    /* ... not trusting that key turns it into "no trusted signature". */
    bw_assert_err(verify_keys(&m, &keys[1], 1), BW_EKEY);
    /* ... a signature that is not DER is still BW_ESIGNATURE. */
    memset(m.b + m.len - 70, 0xee, 70);
    bw_assert_err(verify_keys(&m, keys, 2), BW_ESIGNATURE);

    /* The signature part after a good SHA256 TLV, and the verdict. */
    const struct {
        tlv_t tlv[4];
        size_t n;
        int err;
    } sigs[] = {
        /* 23: a trusted Ed25519 key's signature that does not verify. */
        {{{BW_IMAGE_TLV_KEYHASH, 32, ed_hash},
          {BW_IMAGE_TLV_ED25519, 64, NULL}},
         2,
         BW_ESIGNATURE},
        /* 23: a trusted P-256 key followed by a signature of the other
         * kind. */
        {{{BW_IMAGE_TLV_KEYHASH, 32, ec_hash},
          {BW_IMAGE_TLV_ED25519, 64, NULL}},
         2,
         BW_ESIGNATURE},
        /* 24: the signature does not follow the KEYHASH directly. */
        {{{BW_IMAGE_TLV_KEYHASH, 32, ec_hash},
          {T_VENDOR, 4, NULL},
          {BW_IMAGE_TLV_ECDSA_SIG, 70, ecdsa_sig}},
         3,
         BW_EKEY},
        /* 24: signatures by unknown keys, or with no KEYHASH, are ignored;
         * the last KEYHASH has nothing after it. */
        {{{BW_IMAGE_TLV_ECDSA_SIG, 70, ecdsa_sig},
          {BW_IMAGE_TLV_KEYHASH, 32, other},
          {BW_IMAGE_TLV_ED25519, 64, NULL},
          {BW_IMAGE_TLV_KEYHASH, 32, ec_hash}},
         4,
         BW_EKEY},
    };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        b_signed(&m, sigs[i].tlv, sigs[i].n);
        bw_assert_err(verify_keys(&m, keys, 2), sigs[i].err);
    }
}

/* Caller mistakes are BW_EINVAL, never an input code. */
static void test_einval(void **state)
{
    (void)state;
    img_t m;
    bw_image_info_t info;
    bw_image_header_t h;
    bw_image_key_t keys[2], bad;
    uint8_t buf[BW_IMAGE_VERIFY_BUF_MIN];
    uint32_t v;
    make_keys(keys);
    b_good(&m);
    bw_flashram_init(&m.fr, m.b, m.len);
    bw_assert_err(bw_image_parse(NULL, &info), BW_EINVAL);
    bw_assert_err(bw_image_parse(&m.fr.area, NULL), BW_EINVAL);
    bw_assert_err(bw_image_header_read(&m.fr.area, NULL), BW_EINVAL);
    bw_assert_err(bw_image_header_decode(NULL, &h), BW_EINVAL);
    bw_assert_err(bw_image_security_counter(&m.fr.area, NULL), BW_EINVAL);
    bw_assert_err(bw_image_total_size(&m.fr.area, NULL), BW_EINVAL);
    bw_assert_err(bw_image_verify(&m.fr.area, NULL, 1, buf, sizeof buf, &info),
                  BW_EINVAL);
    bw_assert_err(bw_image_verify(&m.fr.area, keys, 2, buf, sizeof buf, NULL),
                  BW_EINVAL);
    /* An area with no device. */
    bw_flash_area_t none = {NULL, 0, 64};
    bw_assert_err(bw_image_parse(&none, &info), BW_EINVAL);
    /* An area larger than its device. */
    bw_flash_area_t big = {&m.fr.dev, 0, m.len + 1};
    bw_assert_err(bw_image_header_read(&big, &h), BW_EINVAL);
    /* A trusted key that is not in the fixed DER form. */
    bad = keys[0];
    bad.der_len -= 1;
    bw_assert_err(bw_image_verify(&m.fr.area, &bad, 1, buf, sizeof buf, &info),
                  BW_EINVAL);
    bad = keys[1];
    bad.type = BW_IMAGE_KEY_ECDSA_P256;
    bw_assert_err(bw_image_verify(&m.fr.area, &bad, 1, buf, sizeof buf, &info),
                  BW_EINVAL);
    /* Good image, good helpers. */
    bw_assert_err(bw_image_security_counter(&m.fr.area, &v), 0);
    assert_int_equal(v, 5);
    bw_assert_err(bw_image_total_size(&m.fr.area, &v), 0);
    assert_int_equal(v, m.len);
}

/*
 * The baseline cut at every length from 0 to one byte short: always
 * BW_ETRUNC (parse, verify, and the helpers), and nothing read past the
 * area (the RAM device would answer BW_ERANGE).
 */
static void test_truncated_every_length(void **state)
{
    (void)state;
    img_t m;
    bw_image_info_t info;
    uint8_t buf[BW_IMAGE_VERIFY_BUF_MIN];
    uint32_t v;
    b_good(&m);
    for (uint32_t len = 0; len < m.len; len++) {
        bw_assert_err(parse_len(&m, len, &info), BW_ETRUNC);
        bw_assert_err(
            bw_image_verify(&m.fr.area, NULL, 0, buf, sizeof buf, &info),
            BW_ETRUNC);
        bw_assert_err(bw_image_total_size(&m.fr.area, &v), BW_ETRUNC);
        assert_int_equal(v, 0);
        bw_assert_err(bw_image_security_counter(&m.fr.area, &v), BW_ETRUNC);
    }
}

/* A security counter of 0 and of UINT32_MAX are reported as they are. */
static void test_sec_cnt_values(void **state)
{
    (void)state;
    img_t m;
    const uint32_t values[] = {0, 1, 0x01020003u, UINT32_MAX};
    for (size_t i = 0; i < 4; i++) {
        uint32_t v = 7;
        b_init(&m, 0x100, PAYLOAD);
        b_area(&m, BW_IMAGE_TLV_PROT_INFO_MAGIC);
        b_sec_cnt(&m, values[i]);
        b_end(&m);
        b_area(&m, BW_IMAGE_TLV_INFO_MAGIC);
        b_sha(&m);
        b_end(&m);
        bw_flashram_init(&m.fr, m.b, m.len);
        bw_assert_err(bw_image_security_counter(&m.fr.area, &v), 0);
        assert_int_equal(v, values[i]);
    }
}

/*
 * The MODEL TLV (bw_image_model).  Tried: a model in the protected area,
 * none, one only in the unprotected area, empty, 33 bytes, a space and a
 * control byte inside, two of them, a too small output buffer.  Must hold:
 * the value comes back only from the protected area and only when it is
 * 1..32 printable bytes, each failure has its own code and leaves "".
 */
static void b_model(img_t *m, const char *prot, size_t plen, int twice,
                    const char *unprot)
{
    b_init(m, HDR, PAYLOAD);
    b_area(m, BW_IMAGE_TLV_PROT_INFO_MAGIC);
    b_sec_cnt(m, 5);
    if (prot != NULL)
        b_tlv(m, BW_IMAGE_TLV_MODEL, (uint16_t)plen, prot);
    if (twice)
        b_tlv(m, BW_IMAGE_TLV_MODEL, (uint16_t)plen, prot);
    b_end(m);
    b_area(m, BW_IMAGE_TLV_INFO_MAGIC);
    b_sha(m);
    if (unprot != NULL)
        b_tlv(m, BW_IMAGE_TLV_MODEL, (uint16_t)strlen(unprot), unprot);
    b_end(m);
}

static int model_of(img_t *m, char *out, size_t cap)
{
    bw_image_info_t info;
    bw_assert_err(parse_len(m, m->len, &info), 0);
    strcpy(out, "x");
    return bw_image_model(&m->fr.area, &info, out, cap);
}

static void test_model(void **state)
{
    (void)state;
    img_t m;
    char out[BW_IMAGE_MODEL_MAX + 1];
    char big[40];
    memset(big, 'a', sizeof big);

    b_model(&m, "bulwark-sim", 11, 0, NULL);
    bw_assert_err(model_of(&m, out, sizeof out), 0);
    assert_string_equal(out, "bulwark-sim");
    b_model(&m, big, BW_IMAGE_MODEL_MAX, 0, NULL); /* the longest */
    bw_assert_err(model_of(&m, out, sizeof out), 0);
    assert_int_equal(strlen(out), BW_IMAGE_MODEL_MAX);
    bw_assert_err(model_of(&m, out, BW_IMAGE_MODEL_MAX), BW_ENOSPC);
    assert_string_equal(out, "");

    b_model(&m, NULL, 0, 0, NULL);
    bw_assert_err(model_of(&m, out, sizeof out), BW_ENOTFOUND);
    assert_string_equal(out, "");
    b_model(&m, NULL, 0, 0, "unsigned-model"); /* not covered: ignored */
    bw_assert_err(model_of(&m, out, sizeof out), BW_ENOTFOUND);

    b_model(&m, "", 0, 0, NULL);
    bw_assert_err(model_of(&m, out, sizeof out), BW_EMALFORMED);
    b_model(&m, big, BW_IMAGE_MODEL_MAX + 1, 0, NULL);
    bw_assert_err(model_of(&m, out, sizeof out), BW_EMALFORMED);
    b_model(&m, "bulwark sim", 11, 0, NULL);
    bw_assert_err(model_of(&m, out, sizeof out), BW_EMALFORMED);
    b_model(&m, "bulwark\nsim", 11, 0, NULL);
    bw_assert_err(model_of(&m, out, sizeof out), BW_EMALFORMED);
    b_model(&m, "a", 1, 1, NULL);
    bw_assert_err(model_of(&m, out, sizeof out), BW_EMALFORMED);
    assert_string_equal(out, "");

    bw_image_info_t info;
    b_model(&m, "a", 1, 0, NULL);
    bw_assert_err(parse_len(&m, m.len, &info), 0);
    bw_assert_err(bw_image_model(NULL, &info, out, sizeof out), BW_EINVAL);
    bw_assert_err(bw_image_model(&m.fr.area, NULL, out, sizeof out),
                  BW_EINVAL);
    bw_assert_err(bw_image_model(&m.fr.area, &info, NULL, 8), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_protected_info),
        cmocka_unit_test(test_unprotected_info),
        cmocka_unit_test(test_tlv_bounds),
        cmocka_unit_test(test_tlv_wrong_area),
        cmocka_unit_test(test_tlv_lengths),
        cmocka_unit_test(test_tlv_duplicates),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_verify_rules),
        cmocka_unit_test(test_einval),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_sec_cnt_values),
        cmocka_unit_test(test_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
