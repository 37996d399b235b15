/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verification: the digest over header, payload and protected TLVs, then
 * the signatures (rules 21-24 of include/bulwark/image.h).  The image is
 * read through the caller's buffer in chunks; nothing else is buffered
 * but one TLV value at a time.
 */
#include "bw_mem.h"
#include "image_int.h"

/*
 * DER SubjectPublicKeyInfo prefixes: everything up to the raw key.
 * P-256: SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID prime256v1 },
 *                   BIT STRING (0 unused bits) 04||X||Y }
 * Ed25519 (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 },
 *                   BIT STRING (0 unused bits) key }
 */
static const uint8_t p256_prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
                                      0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                                      0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
                                      0x01, 0x07, 0x03, 0x42, 0x00};
static const uint8_t ed25519_prefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                         0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

/* The uncompressed-point marker that opens a raw P-256 key. */
#define P256_POINT_UNCOMPRESSED 0x04u
/* DER: the SEQUENCE tag; a length byte at or above this is long form. */
#define DER_SEQUENCE  0x30u
#define DER_LONG_FORM 0x80u

int bw_image_key_raw(const bw_image_key_t *key, uint8_t *raw, size_t raw_cap)
{
    const uint8_t *prefix;
    size_t prefix_len, raw_len;
    if (key == NULL || key->der == NULL || raw == NULL)
        return BW_EINVAL;
    if (key->type == BW_IMAGE_KEY_ECDSA_P256) {
        prefix = p256_prefix;
        prefix_len = sizeof p256_prefix;
        raw_len = BW_P256_PUBKEY_LEN;
    } else if (key->type == BW_IMAGE_KEY_ED25519) {
        prefix = ed25519_prefix;
        prefix_len = sizeof ed25519_prefix;
        raw_len = BW_ED25519_PUBKEY_LEN;
    } else {
        return BW_EINVAL;
    }
    if (key->der_len != prefix_len + raw_len ||
        !bw__equal(key->der, prefix, prefix_len))
        return BW_EINVAL;
    if (key->type == BW_IMAGE_KEY_ECDSA_P256 &&
        key->der[prefix_len] != P256_POINT_UNCOMPRESSED)
        return BW_EINVAL;
    if (raw_cap < raw_len)
        return BW_ENOSPC;
    bw__copy(raw, key->der + prefix_len, raw_len);
    return 0;
}

/* SHA-256 over [0, len) of fa, read through buf. */
static int hash_range(const bw_flash_area_t *fa, uint32_t len, uint8_t *buf,
                      size_t buf_len, uint8_t out[BW_SHA256_LEN])
{
    bw_hash_ctx_t ctx;
    int err = bw_sha256_init(&ctx);
    if (err != 0)
        return err;
    uint32_t off = 0;
    while (err == 0 && off < len) {
        size_t n = len - off < buf_len ? len - off : buf_len;
        err = bw_flash_read(fa, off, buf, n);
        if (err == 0)
            err = bw_sha256_update(&ctx, buf, n);
        off += (uint32_t)n;
    }
    /* Finish even after a failure: it releases the context. */
    int ferr = bw_sha256_finish(&ctx, out);
    return err != 0 ? err : ferr;
}

/* Index of the trusted key whose DER hashes to keyhash, or -1. */
static int find_key(const bw_image_key_t *keys, size_t n_keys,
                    const uint8_t keyhash[BW_SHA256_LEN], size_t *index)
{
    uint8_t h[BW_SHA256_LEN];
    for (size_t i = 0; i < n_keys; i++) {
        int err = bw_sha256(keys[i].der, keys[i].der_len, h);
        if (err != 0)
            return err;
        if (bw__equal(h, keyhash, sizeof h)) {
            *index = i;
            return 1;
        }
    }
    return 0;
}

/*
 * imgtool's --pad-sig (for MCUboot before 1.5) pads a DER signature with
 * zeros to 72 bytes.  Give the DER parser the SEQUENCE alone when the
 * bytes after it are all zero; anything else goes through whole and is
 * judged by the parser.
 */
static size_t ecdsa_len(const uint8_t *sig, size_t len)
{
    if (len < 2 || sig[0] != DER_SEQUENCE || sig[1] >= DER_LONG_FORM ||
        (size_t)sig[1] + 2 >= len)
        return len;
    size_t der = (size_t)sig[1] + 2;
    for (size_t i = der; i < len; i++)
        if (sig[i] != 0)
            return len;
    return der;
}

/* Check one signature TLV (it) by trusted key k over digest. */
static int check_sig(const bw_image__tlv_it_t *it, const bw_image_key_t *k,
                     const uint8_t digest[BW_SHA256_LEN], uint8_t *sig,
                     size_t sig_cap)
{
    uint8_t raw[BW_P256_PUBKEY_LEN];
    int err;
    /* A signature of the other kind cannot be by this key. */
    if ((it->type == BW_IMAGE_TLV_ECDSA_SIG) !=
        (k->type == BW_IMAGE_KEY_ECDSA_P256))
        return BW_ESIGNATURE;
    /* Parse checked the length, but flash may have changed since. */
    if (it->len > BW_P256_SIG_DER_MAX || it->len > sig_cap)
        return BW_EMALFORMED;
    err = bw_flash_read(it->fa, it->val_off, sig, it->len);
    if (err == 0)
        err = bw_image_key_raw(k, raw, sizeof raw);
    if (err != 0)
        return err;
    if (k->type == BW_IMAGE_KEY_ECDSA_P256) {
        err = bw_ecdsa_p256_verify(raw, digest, sig, ecdsa_len(sig, it->len));
    } else {
        if (it->len != BW_ED25519_SIG_LEN)
            return BW_EMALFORMED;
        err = bw_ed25519_verify(raw, digest, BW_SHA256_LEN, sig);
    }
    /* A signature that is not even well-formed does not verify either. */
    return err == BW_EMALFORMED ? BW_ESIGNATURE : err;
}

/* Rules 23-24 over the unprotected area. */
static int check_signatures(const bw_flash_area_t *fa,
                            const bw_image_key_t *keys, size_t n_keys,
                            const uint8_t digest[BW_SHA256_LEN], uint8_t *buf,
                            size_t buf_len, bw_image_info_t *info)
{
    bw_image__tlv_it_t it;
    int rc, found = 0, pending = 0;
    size_t pending_key = 0;
    bw_image__tlv_begin(&it, fa, info->layout.tlv_off, info->layout.tlv_size);
    while ((rc = bw_image__tlv_next(&it)) == 1) {
        int was_pending = pending;
        pending = 0;
        if (was_pending && (it.type == BW_IMAGE_TLV_ECDSA_SIG ||
                            it.type == BW_IMAGE_TLV_ED25519)) {
            int err = check_sig(&it, &keys[pending_key], digest, buf, buf_len);
            if (err != 0)
                return err;
            if (!found) {
                found = 1;
                info->key_index = pending_key;
            }
        } else if (it.type == BW_IMAGE_TLV_KEYHASH) {
            uint8_t kh[BW_IMAGE_KEYHASH_LEN];
            if (it.len != sizeof kh)
                return BW_EMALFORMED;
            int err = bw_flash_read(fa, it.val_off, kh, sizeof kh);
            if (err != 0)
                return err;
            err = find_key(keys, n_keys, kh, &pending_key);
            if (err < 0)
                return err;
            pending = err;
        }
    }
    if (rc != 0)
        return rc;
    return found ? 0 : BW_EKEY;
}

static int verify(const bw_flash_area_t *fa, const bw_image_key_t *keys,
                  size_t n_keys, uint8_t *buf, size_t buf_len,
                  bw_image_info_t *info)
{
    uint8_t digest[BW_SHA256_LEN];
    int err = bw_image_parse(fa, info);
    if (err != 0)
        return err;
    if (!info->has_hash)
        return BW_ENOTFOUND;
    err = hash_range(fa, info->layout.tlv_off, buf, buf_len, digest);
    if (err != 0)
        return err;
    if (!bw_ct_equal(digest, info->hash, sizeof digest))
        return BW_EHASH;
    return check_signatures(fa, keys, n_keys, digest, buf, buf_len, info);
}

int bw_image_verify(const bw_flash_area_t *fa, const bw_image_key_t *keys,
                    size_t n_keys, uint8_t *buf, size_t buf_len,
                    bw_image_info_t *info)
{
    uint8_t raw[BW_P256_PUBKEY_LEN];
    if (info == NULL)
        return BW_EINVAL;
    bw__zero(info, sizeof *info);
    if (fa == NULL || (keys == NULL && n_keys > 0) || buf == NULL ||
        buf_len < BW_IMAGE_VERIFY_BUF_MIN)
        return BW_EINVAL;
    /* A bad trusted key is the caller's bug: say so before any reading. */
    for (size_t i = 0; i < n_keys; i++)
        if (bw_image_key_raw(&keys[i], raw, sizeof raw) != 0)
            return BW_EINVAL;
    int err = verify(fa, keys, n_keys, buf, buf_len, info);
    if (err != 0)
        bw__zero(info, sizeof *info);
    return err;
}
