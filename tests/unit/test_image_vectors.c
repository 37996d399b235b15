/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Images signed by MCUboot's imgtool 2.4.0 (tests/data/mcuboot/): every
 * file against the README's table, with only ec256 and ed25519 trusted.
 * Expected digests and key hashes are copied from imgtool's own
 * dumpinfo JSON beside each image; the trusted DER keys were written by
 * `openssl pkey -pubout -outform DER` from the PEMs, not by this code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/image.h"
#include "flashram.h"
#include "testutil.h"

typedef struct {
    uint8_t *data;
    size_t len;
    bw_flashram_t fr;
} file_img_t;

static void load(file_img_t *f, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "mcuboot/%s", name);
    f->len = bw_test_read_file(path, &f->data);
    bw_flashram_init(&f->fr, f->data, (uint32_t)f->len);
}

static void unload(file_img_t *f)
{
    free(f->data);
    f->data = NULL;
}

/* Trusted keys as a bootloader would embed them. */
typedef struct {
    uint8_t *ec, *ed, *other;
    size_t ec_len, ed_len, other_len;
    bw_image_key_t keys[2]; /* [0] ec256, [1] ed25519: the trusted set */
} keyset_t;

static void keys_load(keyset_t *k)
{
    k->ec_len = bw_test_read_file("mcuboot/keys/ec256.pub.der", &k->ec);
    k->ed_len = bw_test_read_file("mcuboot/keys/ed25519.pub.der", &k->ed);
    k->other_len =
        bw_test_read_file("mcuboot/keys/other-ec256.pub.der", &k->other);
    k->keys[0] = (bw_image_key_t){BW_IMAGE_KEY_ECDSA_P256, k->ec, k->ec_len};
    k->keys[1] = (bw_image_key_t){BW_IMAGE_KEY_ED25519, k->ed, k->ed_len};
}

static void keys_free(keyset_t *k)
{
    free(k->ec);
    free(k->ed);
    free(k->other);
}

/* What imgtool reported for one valid image. */
typedef struct {
    const char *file;
    uint8_t major, minor;
    uint16_t revision;
    uint32_t build;
    int has_sec_cnt;
    uint32_t sec_cnt;
    uint32_t img_size;
    uint32_t prot_size; /* tlv_hdr_prot.tlv_tot, 0 when absent */
    uint32_t tlv_size;  /* tlv_hdr.tlv_tot */
    const char *digest; /* SHA256 TLV from dumpinfo */
    size_t key_index;   /* which trusted key signed it */
} valid_t;

static const valid_t valid_images[] = {
    {"ec256-v1.2.3-sc7.bin", 1, 2, 3, 45, 1, 7, 204800, 12, 151,
     "faddca2fc21cf48e4aa29a06a6ac6ba010c047e255f89ed914b9be7f0c2a10e3", 0},
    {"ec256-v2.0.0-sc8.bin", 2, 0, 0, 0, 1, 8, 65536, 12, 151,
     "623712864eb64201454e47bda300816944a9ce7f44cfd0e356bd8f338a639260", 0},
    {"ed25519-v1.2.3-auto-padded-confirmed.bin", 1, 2, 3, 45, 1, 0x01020003,
     204800, 12, 144,
     "8d22a3350812e5c45b6d5c3b72a7402bb37d9267406d76a4b93faf91b3e528c0", 1},
    {"ed25519-v0.9.0-nosc-align8.bin", 0, 9, 0, 0, 0, 0, 65536, 0, 144,
     "c145ee16038854a794e96a54b5d59623c129158563a7d16581444c86151c89ed", 1},
};

#define HDR_SIZE 512u /* every vector was signed with --header-size 0x200 */

/*
 * Each valid image verifies with the trusted set, and what is reported
 * (version, counter, sizes, digest, signer) is what imgtool said.
 */
static void test_valid_images(void **state)
{
    (void)state;
    keyset_t k;
    keys_load(&k);
    for (size_t i = 0; i < sizeof valid_images / sizeof valid_images[0]; i++) {
        const valid_t *v = &valid_images[i];
        file_img_t f;
        uint8_t buf[512], digest[32];
        bw_image_info_t info;
        load(&f, v->file);
        bw_test_hex(v->digest, digest, sizeof digest);

        bw_assert_err(
            bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info), 0);
        assert_int_equal(info.hdr.version.major, v->major);
        assert_int_equal(info.hdr.version.minor, v->minor);
        assert_int_equal(info.hdr.version.revision, v->revision);
        assert_int_equal(info.hdr.version.build_num, v->build);
        assert_int_equal(info.has_sec_cnt, v->has_sec_cnt);
        assert_int_equal(info.sec_cnt, v->sec_cnt);
        assert_int_equal(info.hdr.flags, 0);
        assert_int_equal(info.hdr.load_addr, 0);
        assert_int_equal(info.hdr.hdr_size, HDR_SIZE);
        assert_int_equal(info.hdr.img_size, v->img_size);
        assert_int_equal(info.hdr.protect_tlv_size, v->prot_size);
        assert_int_equal(info.has_hash, 1);
        assert_memory_equal(info.hash, digest, sizeof digest);
        assert_int_equal(info.key_index, v->key_index);
        assert_int_equal(info.layout.prot_off, HDR_SIZE + v->img_size);
        assert_int_equal(info.layout.prot_size, v->prot_size);
        assert_int_equal(info.layout.tlv_off,
                         HDR_SIZE + v->img_size + v->prot_size);
        assert_int_equal(info.layout.tlv_size, v->tlv_size);
        uint32_t total = HDR_SIZE + v->img_size + v->prot_size + v->tlv_size;
        assert_int_equal(info.layout.total_size, total);
        /* Never a write, and never a read bigger than the buffer. */
        assert_int_equal(f.fr.writes, 0);
        assert_true(f.fr.max_read <= sizeof buf);

        /* The boot core's helpers agree with verify. */
        uint32_t cnt = 99, size = 0;
        bw_assert_err(bw_image_security_counter(&f.fr.area, &cnt),
                      v->has_sec_cnt ? 0 : BW_ENOTFOUND);
        assert_int_equal(cnt, v->sec_cnt);
        bw_assert_err(bw_image_total_size(&f.fr.area, &size), 0);
        assert_int_equal(size, total);
        bw_image_header_t hdr;
        bw_assert_err(bw_image_header_read(&f.fr.area, &hdr), 0);
        assert_memory_equal(&hdr, &info.hdr, sizeof hdr);
        unload(&f);
    }
    keys_free(&k);
}

/*
 * The padded image fills its 0x40000 slot and carries a trailer with
 * image_ok set: the total image length excludes the erased gap and the
 * trailer, so a swap copies only the image.
 */
static void test_padded_total_excludes_trailer(void **state)
{
    (void)state;
    file_img_t f;
    uint32_t size = 0;
    load(&f, "ed25519-v1.2.3-auto-padded-confirmed.bin");
    assert_int_equal(f.len, 0x40000);
    bw_assert_err(bw_image_total_size(&f.fr.area, &size), 0);
    assert_int_equal(size, 0x200 + 204800 + 12 + 144);
    assert_true(size < f.len);
    unload(&f);
}

/*
 * SHA-256 of each committed DER key equals the KEYHASH TLV imgtool wrote
 * (dumpinfo JSON), so the keys the tests trust are the ones that signed.
 */
static void test_keyhash_matches_dumpinfo(void **state)
{
    (void)state;
    keyset_t k;
    uint8_t h[32], want[32];
    keys_load(&k);
    assert_int_equal(k.ec_len, BW_IMAGE_P256_SPKI_LEN);
    assert_int_equal(k.ed_len, BW_IMAGE_ED25519_SPKI_LEN);
    bw_assert_err(bw_sha256(k.ec, k.ec_len, h), 0);
    bw_test_hex(
        "a5d0b546a36275641065068993422ef6be1aea8dbad6f8a89708d04584e7546e",
        want, sizeof want);
    assert_memory_equal(h, want, 32);
    bw_assert_err(bw_sha256(k.ed, k.ed_len, h), 0);
    bw_test_hex(
        "c4726c65eb297403ba190baea45f11ff10f09e41239e3b07d6dd1037ef862501",
        want, sizeof want);
    assert_memory_equal(h, want, 32);
    keys_free(&k);
}

/*
 * Each valid image refused with BW_EKEY when only the other algorithm's
 * key is trusted, or no key at all ("no signature for this key").
 */
static void test_valid_images_wrong_key(void **state)
{
    (void)state;
    keyset_t k;
    keys_load(&k);
    for (size_t i = 0; i < sizeof valid_images / sizeof valid_images[0]; i++) {
        const valid_t *v = &valid_images[i];
        file_img_t f;
        uint8_t buf[256];
        bw_image_info_t info;
        load(&f, v->file);
        /* Only the key that did not sign. */
        const bw_image_key_t *other = &k.keys[1 - v->key_index];
        bw_assert_err(
            bw_image_verify(&f.fr.area, other, 1, buf, sizeof buf, &info),
            BW_EKEY);
        assert_int_equal(info.has_hash, 0); /* zeroed on failure */
        /* Only the signer: verifies, at index 0. */
        bw_assert_err(bw_image_verify(&f.fr.area, &k.keys[v->key_index], 1, buf,
                                      sizeof buf, &info),
                      0);
        assert_int_equal(info.key_index, 0);
        bw_assert_err(
            bw_image_verify(&f.fr.area, NULL, 0, buf, sizeof buf, &info),
            BW_EKEY);
        unload(&f);
    }
    keys_free(&k);
}

/*
 * untrusted-key-v3.0.0.bin is well formed and correctly hashed but signed
 * by other-ec256: BW_EKEY.  Trusting other-ec256 instead makes it verify,
 * which shows the refusal is about trust, not a broken image.
 */
static void test_untrusted_key(void **state)
{
    (void)state;
    keyset_t k;
    file_img_t f;
    uint8_t buf[1024];
    bw_image_info_t info;
    keys_load(&k);
    load(&f, "untrusted-key-v3.0.0.bin");
    bw_assert_err(
        bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info),
        BW_EKEY);
    bw_image_key_t other = {BW_IMAGE_KEY_ECDSA_P256, k.other, k.other_len};
    bw_assert_err(
        bw_image_verify(&f.fr.area, &other, 1, buf, sizeof buf, &info), 0);
    assert_int_equal(info.hdr.version.major, 3);
    assert_int_equal(info.sec_cnt, 9);
    unload(&f);
    keys_free(&k);
}

/*
 * Tampered payload and tampered protected security counter: the digest no
 * longer matches (BW_EHASH) whichever keys are trusted; parsing alone
 * still succeeds, and reports the tampered counter 0x63.
 */
static void test_tampered(void **state)
{
    (void)state;
    keyset_t k;
    uint8_t buf[4096];
    bw_image_info_t info;
    keys_load(&k);
    const char *files[] = {"tampered-payload.bin", "tampered-seccnt.bin"};
    for (size_t i = 0; i < 2; i++) {
        file_img_t f;
        load(&f, files[i]);
        bw_assert_err(
            bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info),
            BW_EHASH);
        bw_assert_err(
            bw_image_verify(&f.fr.area, NULL, 0, buf, sizeof buf, &info),
            BW_EHASH);
        bw_assert_err(bw_image_parse(&f.fr.area, &info), 0);
        if (i == 1)
            assert_int_equal(info.sec_cnt, 0x63);
        unload(&f);
    }
    keys_free(&k);
}

/* The two truncated files: each a truncation error, from parse and verify. */
static void test_truncated_files(void **state)
{
    (void)state;
    keyset_t k;
    uint8_t buf[256];
    bw_image_info_t info;
    bw_image_header_t hdr;
    keys_load(&k);
    file_img_t f;
    load(&f, "truncated-header.bin");
    assert_int_equal(f.len, 100);
    bw_assert_err(bw_image_header_read(&f.fr.area, &hdr), BW_ETRUNC);
    bw_assert_err(
        bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info),
        BW_ETRUNC);
    unload(&f);
    load(&f, "truncated-tlv.bin");
    bw_assert_err(bw_image_header_read(&f.fr.area, &hdr), 0);
    bw_assert_err(bw_image_parse(&f.fr.area, &info), BW_ETRUNC);
    bw_assert_err(
        bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info),
        BW_ETRUNC);
    unload(&f);
    keys_free(&k);
}

/*
 * A valid image cut at many lengths, from nothing to one byte short:
 * every cut is BW_ETRUNC (never success, never another code); the full
 * length verifies.  Every length inside the header and the TLV areas is
 * tried, and a spread through the payload.
 */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    keyset_t k;
    file_img_t f;
    uint8_t buf[2048];
    bw_image_info_t info;
    keys_load(&k);
    load(&f, "ec256-v2.0.0-sc8.bin");
    uint32_t total = (uint32_t)f.len;
    uint32_t tlv_start = HDR_SIZE + 65536;
    for (uint32_t len = 0; len < total; len++) {
        if (len > HDR_SIZE + 8 && len < tlv_start - 8 && len % 1021 != 0)
            continue;
        bw_flashram_t fr;
        bw_flashram_init(&fr, f.data, len);
        bw_assert_err(bw_image_parse(&fr.area, &info), BW_ETRUNC);
        if (len < HDR_SIZE + 4 || len >= tlv_start - 4 || len % 7 == 0)
            bw_assert_err(
                bw_image_verify(&fr.area, k.keys, 2, buf, sizeof buf, &info),
                BW_ETRUNC);
    }
    bw_assert_err(
        bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info), 0);
    unload(&f);
    keys_free(&k);
}

/*
 * The digest does not depend on the work buffer: the smallest buffer, an
 * odd size and a large one all verify, and no read exceeds the buffer.
 * A buffer below the minimum is the caller's mistake.
 */
static void test_buffer_sizes(void **state)
{
    (void)state;
    keyset_t k;
    file_img_t f;
    static uint8_t buf[8192];
    bw_image_info_t info;
    const size_t sizes[] = {BW_IMAGE_VERIFY_BUF_MIN, 73, 1000, sizeof buf};
    keys_load(&k);
    load(&f, "ed25519-v0.9.0-nosc-align8.bin");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        bw_flashram_init(&f.fr, f.data, (uint32_t)f.len);
        bw_assert_err(
            bw_image_verify(&f.fr.area, k.keys, 2, buf, sizes[i], &info), 0);
        assert_true(f.fr.max_read <= sizes[i]);
    }
    bw_assert_err(bw_image_verify(&f.fr.area, k.keys, 2, buf,
                                  BW_IMAGE_VERIFY_BUF_MIN - 1, &info),
                  BW_EINVAL);
    bw_assert_err(bw_image_verify(&f.fr.area, k.keys, 2, NULL, 64, &info),
                  BW_EINVAL);
    unload(&f);
    keys_free(&k);
}

/*
 * A flash read that fails at any point of verification (header, TLV
 * headers, values, payload chunks, signature) makes verify return BW_EIO:
 * never success, never a misleading code.
 */
static void test_read_errors(void **state)
{
    (void)state;
    keyset_t k;
    file_img_t f;
    uint8_t buf[4096];
    bw_image_info_t info;
    keys_load(&k);
    load(&f, "ec256-v2.0.0-sc8.bin");
    bw_assert_err(
        bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info), 0);
    uint32_t n = f.fr.reads;
    assert_true(n > 20);
    for (uint32_t i = 0; i < n; i++) {
        bw_flashram_init(&f.fr, f.data, (uint32_t)f.len);
        f.fr.fail_read = i;
        bw_assert_err(
            bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info),
            BW_EIO);
    }
    unload(&f);
    keys_free(&k);
}

/*
 * Signatures changed in a RAM copy (the unprotected area is not hashed, so
 * the digest still matches): a flipped bit in the ECDSA or Ed25519
 * signature is BW_ESIGNATURE; a flipped bit in the KEYHASH is BW_EKEY (the
 * signer is no longer a trusted key).
 */
static void test_signature_bits(void **state)
{
    (void)state;
    keyset_t k;
    uint8_t buf[4096];
    bw_image_info_t info;
    keys_load(&k);
    /* TLV offsets: unprotected header, SHA256 (4+32), KEYHASH (4+32), sig. */
    const struct {
        const char *file;
        uint32_t tlv_off;
    } cases[] = {
        {"ec256-v2.0.0-sc8.bin", HDR_SIZE + 65536 + 12},
        {"ed25519-v0.9.0-nosc-align8.bin", HDR_SIZE + 65536},
    };
    for (size_t i = 0; i < 2; i++) {
        file_img_t f;
        load(&f, cases[i].file);
        uint32_t keyhash = cases[i].tlv_off + 4 + 36 + 4;
        uint32_t sig = keyhash + 32 + 4;
        /* Last byte of r (ECDSA: after 30 len 02 len) / of R (Ed25519). */
        uint32_t bytes[] = {sig + 10, sig + 31, sig + 60};
        for (size_t b = 0; b < 3; b++) {
            f.data[bytes[b]] ^= 0x01;
            bw_assert_err(
                bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info),
                BW_ESIGNATURE);
            f.data[bytes[b]] ^= 0x01;
        }
        f.data[keyhash + 5] ^= 0x80;
        bw_assert_err(
            bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info),
            BW_EKEY);
        f.data[keyhash + 5] ^= 0x80;
        bw_assert_err(
            bw_image_verify(&f.fr.area, k.keys, 2, buf, sizeof buf, &info), 0);
        unload(&f);
    }
    keys_free(&k);
}

/*
 * An ECDSA signature padded with zeros to 72 bytes (imgtool --pad-sig)
 * still verifies; padding that is not all zeros is BW_ESIGNATURE.  The
 * padding goes into the unprotected area, so the digest is unchanged.
 */
static void test_padded_ecdsa_signature(void **state)
{
    (void)state;
    keyset_t k;
    file_img_t f;
    uint8_t buf[512];
    bw_image_info_t info;
    keys_load(&k);
    load(&f, "ec256-v2.0.0-sc8.bin"); /* signature of 71 bytes, last TLV */
    uint32_t u = HDR_SIZE + 65536 + 12;
    uint32_t sig_hdr = u + 4 + 36 + 36;
    assert_int_equal(f.data[sig_hdr], BW_IMAGE_TLV_ECDSA_SIG);
    assert_int_equal(f.data[sig_hdr + 2], 71);
    uint8_t *p = malloc(f.len + 1);
    assert_non_null(p);
    memcpy(p, f.data, f.len);
    p[f.len] = 0;
    p[sig_hdr + 2] = 72;
    p[u + 2] = (uint8_t)(p[u + 2] + 1); /* tlv_tot 151 -> 152 */
    bw_flashram_t fr;
    bw_flashram_init(&fr, p, (uint32_t)f.len + 1);
    bw_assert_err(bw_image_verify(&fr.area, k.keys, 2, buf, sizeof buf, &info),
                  0);
    assert_int_equal(info.layout.tlv_size, 152);
    p[f.len] = 1;
    bw_assert_err(bw_image_verify(&fr.area, k.keys, 2, buf, sizeof buf, &info),
                  BW_ESIGNATURE);
    free(p);
    unload(&f);
    keys_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_images),
        cmocka_unit_test(test_padded_total_excludes_trailer),
        cmocka_unit_test(test_keyhash_matches_dumpinfo),
        cmocka_unit_test(test_valid_images_wrong_key),
        cmocka_unit_test(test_untrusted_key),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_truncated_files),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_buffer_sizes),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_signature_bits),
        cmocka_unit_test(test_padded_ecdsa_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
