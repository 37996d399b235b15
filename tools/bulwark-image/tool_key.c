/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keys through OpenSSL's EVP interface: load (PEM or DER, private or
 * public), generate, export, sign.  Only the two kinds of key lib/image
 * verifies are accepted: ECDSA on P-256 and Ed25519.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "image_tool.h"

/* The last OpenSSL error as text, for messages. */
static const char *ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown OpenSSL error";
}

const char *tool_key_type_name(tool_key_type_t type)
{
    return type == TOOL_KEY_ED25519 ? "ed25519" : "ecdsa-p256";
}

int tool_key_type_parse(const char *s, tool_key_type_t *type)
{
    if (strcmp(s, "ecdsa-p256") == 0) {
        *type = TOOL_KEY_ECDSA_P256;
        return 0;
    }
    if (strcmp(s, "ed25519") == 0) {
        *type = TOOL_KEY_ED25519;
        return 0;
    }
    return -1;
}

int tool_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return -1;
    return 0;
}

/* Never ask for a pass phrase: encrypted keys are refused. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/*
 * Classify pkey, fill key->type and key->spki (the DER SubjectPublicKeyInfo
 * lib/image and the KEYHASH TLV use).  Takes ownership of pkey.
 */
static int key_adopt(EVP_PKEY *pkey, int has_private, const char *name,
                     tool_key_t *key, tool_msg_t *m)
{
    size_t want;
    memset(key, 0, sizeof(*key));
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519) {
        key->type = TOOL_KEY_ED25519;
        want = BW_IMAGE_ED25519_SPKI_LEN;
    } else if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
        char group[64];
        size_t glen = 0;
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                           group, sizeof(group), &glen) != 1 ||
            strcmp(group, "prime256v1") != 0) {
            EVP_PKEY_free(pkey);
            return tool_err(m, TOOL_FAIL,
                            "%s: an EC key, but not on P-256 "
                            "(only ecdsa-p256 and ed25519 are supported)",
                            name);
        }
        key->type = TOOL_KEY_ECDSA_P256;
        want = BW_IMAGE_P256_SPKI_LEN;
    } else {
        const char *t = EVP_PKEY_get0_type_name(pkey);
        tool_err(m, TOOL_FAIL,
                 "%s: a %s key (only ecdsa-p256 and ed25519 "
                 "are supported)",
                 name, t ? t : "unknown");
        EVP_PKEY_free(pkey);
        return TOOL_FAIL;
    }
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(pkey, &der);
    if (n <= 0 || (size_t)n != want) {
        OPENSSL_free(der);
        EVP_PKEY_free(pkey);
        return tool_err(m, TOOL_FAIL,
                        "%s: cannot encode the public key in "
                        "its %zu-byte DER form",
                        name, want);
    }
    memcpy(key->spki, der, (size_t)n);
    key->spki_len = (size_t)n;
    OPENSSL_free(der);
    key->pkey = pkey;
    key->has_private = has_private;
    return TOOL_OK;
}

int tool_key_load(const char *path, tool_key_t *key, tool_msg_t *m)
{
    uint8_t *data;
    size_t len;
    memset(key, 0, sizeof(*key));
    int st = tool_read_file(path, &data, &len, m);
    if (st != TOOL_OK)
        return st;
    EVP_PKEY *pkey = NULL;
    int priv = 0;
    ERR_clear_error();
    if (len >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
        if (strstr((const char *)data, "ENCRYPTED") != NULL) {
            OPENSSL_cleanse(data, len);
            free(data);
            return tool_err(m, TOOL_FAIL,
                            "%s: encrypted private keys are "
                            "not supported",
                            path);
        }
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        if (bio != NULL) {
            pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
            priv = pkey != NULL;
            if (pkey == NULL && BIO_reset(bio) == 1)
                pkey = PEM_read_bio_PUBKEY(bio, NULL, no_password, NULL);
            BIO_free(bio);
        }
    } else {
        const unsigned char *p = data;
        pkey = d2i_PUBKEY(NULL, &p, (long)len);
        if (pkey != NULL && p != data + len) {
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
        if (pkey == NULL) {
            p = data;
            pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
            priv = pkey != NULL;
        }
    }
    OPENSSL_cleanse(data, len);
    free(data);
    if (pkey == NULL)
        return tool_err(m, TOOL_FAIL,
                        "%s: not a PEM or DER key that OpenSSL "
                        "can read (%s)",
                        path, ossl_reason());
    return key_adopt(pkey, priv, path, key, m);
}

void tool_key_free(tool_key_t *key)
{
    EVP_PKEY_free(key->pkey);
    memset(key, 0, sizeof(*key));
}

int tool_key_generate(tool_key_type_t type, tool_key_t *key, tool_msg_t *m)
{
    EVP_PKEY *pkey = type == TOOL_KEY_ED25519
                         ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
                         : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (pkey == NULL)
        return tool_err(m, TOOL_FAIL, "key generation failed: %s",
                        ossl_reason());
    return key_adopt(pkey, 1, "new key", key, m);
}

int tool_key_pem(const tool_key_t *key, int private, char **pem, size_t *len,
                 tool_msg_t *m)
{
    *pem = NULL;
    *len = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return tool_err(m, TOOL_FAIL, "out of memory");
    /* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"). */
    int ok = private ? PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0,
                                                NULL, NULL)
                     : PEM_write_bio_PUBKEY(bio, key->pkey);
    char *p = NULL;
    long n = ok == 1 ? BIO_get_mem_data(bio, &p) : 0;
    if (n <= 0 || (*pem = malloc((size_t)n)) == NULL) {
        BIO_free(bio);
        return tool_err(m, TOOL_FAIL, "cannot write the key as PEM: %s",
                        ossl_reason());
    }
    memcpy(*pem, p, (size_t)n);
    *len = (size_t)n;
    /* The memory BIO held the private key: wipe before freeing it. */
    OPENSSL_cleanse(p, (size_t)n);
    BIO_free(bio);
    return TOOL_OK;
}

int tool_key_sign(const tool_key_t *key, const uint8_t digest[32], uint8_t *sig,
                  size_t *sig_len, tool_msg_t *m)
{
    size_t n = TOOL_SIG_MAX;
    int ok = 0;
    if (!key->has_private)
        return tool_err(m, TOOL_FAIL, "a public key cannot sign");
    if (key->type == TOOL_KEY_ECDSA_P256) {
        /* The digest is the prehashed message: sign it as SHA-256. */
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->pkey, NULL);
        ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_sign(ctx, sig, &n, digest, 32) == 1;
        EVP_PKEY_CTX_free(ctx);
    } else {
        /* Pure Ed25519 with the 32-byte digest as the message. */
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        ok = ctx != NULL &&
             EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &n, digest, 32) == 1;
        EVP_MD_CTX_free(ctx);
    }
    if (!ok)
        return tool_err(m, TOOL_FAIL, "signing failed: %s", ossl_reason());
    *sig_len = n;
    return TOOL_OK;
}
