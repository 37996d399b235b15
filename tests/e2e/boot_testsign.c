/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal image signer for the bulwark-boot end-to-end tests, used when
 * the bulwark-image tool is not built.  It lays the image out with
 * lib/image's encoders and signs with OpenSSL:
 *
 *   header (hdr_size) | payload | [prot: SEC_CNT] | SHA256, KEYHASH, sig
 *
 * the same TLV order imgtool writes.  Not a product tool: no padding,
 * no trailer, no checks beyond what the tests need.
 *
 * usage: bw-boot-testsign --key PRIV.pem --version MAJ.MIN.REV[+BUILD]
 *                         [--sec-cnt N] [--hdr-size N] IN OUT
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bulwark/image.h"

/* Largest payload accepted: the test images are small executables. */
#define SIGN_MAX_PAYLOAD (8u * 1024u * 1024u)

/* Largest signature: ECDSA P-256 DER (72) or Ed25519 (64). */
#define SIGN_MAX_SIG 80u

static int die(const char *msg)
{
    fprintf(stderr, "bw-boot-testsign: %s\n", msg);
    return 1;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int sign_digest(EVP_PKEY *key, const uint8_t dig[32], uint8_t *sig,
                       size_t *sig_len, uint16_t *type)
{
    int ok = 0;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        ok = m != NULL && EVP_DigestSignInit(m, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestSign(m, sig, sig_len, dig, 32) == 1;
        EVP_MD_CTX_free(m);
        *type = BW_IMAGE_TLV_ED25519;
    } else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);
        ok = c != NULL && EVP_PKEY_sign_init(c) == 1 &&
             EVP_PKEY_sign(c, sig, sig_len, dig, 32) == 1;
        EVP_PKEY_CTX_free(c);
        *type = BW_IMAGE_TLV_ECDSA_SIG;
    }
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"version", required_argument, NULL, 'v'},
        {"sec-cnt", required_argument, NULL, 's'},
        {"hdr-size", required_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    const char *keyfile = NULL;
    unsigned maj = 0, min = 0, rev = 0, build = 0, hdr_size = 32;
    long long sec_cnt = -1;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'k')
            keyfile = optarg;
        else if (ch == 'v') {
            if (sscanf(optarg, "%u.%u.%u+%u", &maj, &min, &rev, &build) < 3)
                return die("bad --version");
        } else if (ch == 's')
            sec_cnt = atoll(optarg);
        else if (ch == 'H')
            hdr_size = (unsigned)atoi(optarg);
        else
            return die("usage: --key K --version V [--sec-cnt N] IN OUT");
    }
    if (keyfile == NULL || argc - optind != 2 || hdr_size < 32 ||
        hdr_size > 4096 || maj > 255 || min > 255 || rev > 65535)
        return die("usage: --key K --version V [--sec-cnt N] IN OUT");

    FILE *f = fopen(keyfile, "r");
    EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (key == NULL)
        return die("cannot read the private key");
    uint8_t *spki = NULL;
    int spki_len = i2d_PUBKEY(key, &spki);
    if (spki_len <= 0)
        return die("cannot encode the public key");

    uint8_t *img = malloc(SIGN_MAX_PAYLOAD + 8192u);
    if (img == NULL)
        return die("out of memory");
    memset(img, 0, hdr_size);
    f = fopen(argv[optind], "rb");
    if (f == NULL)
        return die("cannot open the payload");
    size_t n = fread(img + hdr_size, 1, SIGN_MAX_PAYLOAD + 1u, f);
    fclose(f);
    if (n > SIGN_MAX_PAYLOAD)
        return die("payload too large");

    uint32_t prot_len = sec_cnt >= 0 ? BW_IMAGE_TLV_HDR_SIZE + 4u : 0u;
    bw_image_header_t h = {0};
    h.hdr_size = (uint16_t)hdr_size;
    h.protect_tlv_size =
        (uint16_t)(prot_len ? prot_len + BW_IMAGE_TLV_INFO_SIZE : 0u);
    h.img_size = (uint32_t)n;
    h.version.major = (uint8_t)maj;
    h.version.minor = (uint8_t)min;
    h.version.revision = (uint16_t)rev;
    h.version.build_num = build;
    bw_image_header_encode(&h, img);

    /* Unprotected: SHA256 + KEYHASH + the signature (its max size first). */
    uint32_t tlv_max = 3u * BW_IMAGE_TLV_HDR_SIZE + 32u + 32u + SIGN_MAX_SIG;
    bw_image_layout_t lay;
    if (bw_image_layout(hdr_size, (uint32_t)n, prot_len, tlv_max, UINT32_MAX,
                        &lay) != 0)
        return die("layout failed");
    uint8_t *p = img + lay.prot_off;
    if (prot_len) {
        bw_image_tlv_info_encode(BW_IMAGE_TLV_PROT_INFO_MAGIC,
                                 (uint16_t)lay.prot_size, p);
        bw_image_tlv_hdr_encode(BW_IMAGE_TLV_SEC_CNT, 4, p + 4);
        put_u32(p + 8, (uint32_t)sec_cnt);
    }
    uint8_t dig[32], khash[32], sig[SIGN_MAX_SIG];
    size_t sig_len = sizeof sig;
    uint16_t sig_type = 0;
    if (EVP_Digest(img, lay.tlv_off, dig, NULL, EVP_sha256(), NULL) != 1 ||
        EVP_Digest(spki, (size_t)spki_len, khash, NULL, EVP_sha256(), NULL) !=
            1 ||
        sign_digest(key, dig, sig, &sig_len, &sig_type) != 0)
        return die("signing failed (need a P-256 or Ed25519 key)");

    uint32_t tlv_len = 3u * BW_IMAGE_TLV_HDR_SIZE + 64u + (uint32_t)sig_len;
    if (bw_image_layout(hdr_size, (uint32_t)n, prot_len, tlv_len, UINT32_MAX,
                        &lay) != 0)
        return die("layout failed");
    p = img + lay.tlv_off;
    bw_image_tlv_info_encode(BW_IMAGE_TLV_INFO_MAGIC, (uint16_t)lay.tlv_size,
                             p);
    p += 4;
    bw_image_tlv_hdr_encode(BW_IMAGE_TLV_SHA256, 32, p);
    memcpy(p + 4, dig, 32);
    p += 36;
    bw_image_tlv_hdr_encode(BW_IMAGE_TLV_KEYHASH, 32, p);
    memcpy(p + 4, khash, 32);
    p += 36;
    bw_image_tlv_hdr_encode(sig_type, (uint16_t)sig_len, p);
    memcpy(p + 4, sig, sig_len);

    f = fopen(argv[optind + 1], "wb");
    if (f == NULL || fwrite(img, 1, lay.total_size, f) != lay.total_size ||
        fclose(f) != 0)
        return die("cannot write the image");
    OPENSSL_free(spki);
    EVP_PKEY_free(key);
    free(img);
    return 0;
}
