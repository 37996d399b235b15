/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware repository (contract in fw_repo.h): the fleet's image
 * keys, upload verification and the Package URI.  The cache is in
 * fw_cache.c, serving over CoAP in fw_serve.c.
 *
 * Upload checks, in order, each refusal with its own reason:
 *   1. at least one fleet key is configured        BW_EKEY
 *   2. the structure parses (lib/image rules 1-20)  its code
 *   3. digest and signature by a fleet key (21-24)  its code
 *   4. a model TLV, well formed                     BW_EUNSUPPORTED,
 *                                                   BW_EMALFORMED
 *   5. a security counter (an image without one counts as 0)
 *   6. in the store, atomically: not stored yet     BW_EEXIST
 *      and counter >= the model's highest           BW_EROLLBACK
 * The image is read through a read-only flash device over the uploaded
 * bytes, as lib/image reads everything.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_repo_int.h"

/* The digest is computed through this buffer in chunks of its size. */
#define VERIFY_BUF 4096

__attribute__((format(printf, 3, 4))) static void why_set(char *why, size_t cap,
                                                          const char *fmt, ...)
{
    if (why == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

int bw_fwrepo__id_valid(const char *id, size_t len)
{
    if (id == NULL || len != BW_DB_FW_ID_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

static unsigned hexval(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

void bw_fwrepo__id_bytes(const char *id, uint8_t out[BW_DB_FW_ID_LEN / 2])
{
    for (size_t i = 0; i < BW_DB_FW_ID_LEN / 2; i++)
        out[i] = (uint8_t)(hexval(id[2 * i]) << 4 | hexval(id[2 * i + 1]));
}

int bw_fwrepo_new(const bw_fwrepo_config_t *cfg, bw_fwrepo_t **out)
{
    if (out != NULL)
        *out = NULL;
    if (cfg == NULL || cfg->db == NULL || out == NULL)
        return BW_EINVAL;
    if (cfg->dm_uri != NULL && strlen(cfg->dm_uri) > BW_FWREPO_DM_URI_MAX)
        return BW_EOVERFLOW;
    bw_fwrepo_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return BW_ENOMEM;
    if (pthread_rwlock_init(&r->lock, NULL) != 0) {
        free(r);
        return BW_ENOMEM;
    }
    r->db = cfg->db;
    if (cfg->dm_uri != NULL)
        snprintf(r->dm_uri, sizeof r->dm_uri, "%s", cfg->dm_uri);
    r->max_bytes =
        cfg->cache_max != 0 ? cfg->cache_max : (size_t)BW_FWREPO_CACHE_DEFAULT;
    uint16_t mid = 0x5a5a;
    (void)RAND_bytes((unsigned char *)&mid, sizeof mid);
    atomic_init(&r->next_mid, mid);
    atomic_init(&r->tick, 0);
    *out = r;
    return 0;
}

void bw_fwrepo_free(bw_fwrepo_t *r)
{
    if (r == NULL)
        return;
    bw_fwrepo__cache_clear(r);
    pthread_rwlock_destroy(&r->lock);
    free(r);
}

int bw_fwrepo_set_dm_uri(bw_fwrepo_t *r, const char *dm_uri)
{
    if (r == NULL || dm_uri == NULL)
        return BW_EINVAL;
    if (strlen(dm_uri) > BW_FWREPO_DM_URI_MAX)
        return BW_EOVERFLOW;
    snprintf(r->dm_uri, sizeof r->dm_uri, "%s", dm_uri);
    return 0;
}

size_t bw_fwrepo_key_count(const bw_fwrepo_t *r)
{
    return r != NULL ? r->n_keys : 0;
}

/* ---- keys ------------------------------------------------------------ */

/* Never ask for a pass phrase: an encrypted key file is refused. */
static int no_pass(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* The file's bytes into buf (cap); BW_EIO, BW_EOVERFLOW. */
static int read_small(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return BW_EIO;
    size_t n = fread(buf, 1, cap, f);
    int err = ferror(f) ? BW_EIO : n == cap ? BW_EOVERFLOW : 0;
    fclose(f);
    *len = n;
    return err;
}

/* The key in pem: public first, then private (its public half). */
static EVP_PKEY *pem_key(const char *pem, size_t len)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k =
        b != NULL ? PEM_read_bio_PUBKEY(b, NULL, no_pass, NULL) : NULL;
    BIO_free(b);
    if (k != NULL)
        return k;
    b = BIO_new_mem_buf(pem, (int)len);
    k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, no_pass, NULL) : NULL;
    BIO_free(b);
    return k;
}

/* Classify k and write its DER SubjectPublicKeyInfo into *out. */
static int key_spki(EVP_PKEY *k, bw_fwrepo__key_t *out, const char **what)
{
    size_t want;
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
        out->type = BW_IMAGE_KEY_ED25519;
        want = BW_IMAGE_ED25519_SPKI_LEN;
    } else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
        char group[64] = "";
        size_t glen = 0;
        if (EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group,
                                           &glen) != 1 ||
            strcmp(group, "prime256v1") != 0) {
            *what = "an EC key on a curve other than P-256";
            return BW_EUNSUPPORTED;
        }
        out->type = BW_IMAGE_KEY_ECDSA_P256;
        want = BW_IMAGE_P256_SPKI_LEN;
    } else {
        *what = "not an ECDSA P-256 or Ed25519 key";
        return BW_EUNSUPPORTED;
    }
    int n = i2d_PUBKEY(k, NULL);
    if (n <= 0 || (size_t)n != want) {
        *what = "its public key has an unexpected encoding";
        return BW_EUNSUPPORTED;
    }
    unsigned char *p = out->der;
    if (i2d_PUBKEY(k, &p) != n) {
        *what = "its public key cannot be encoded";
        return BW_EMALFORMED;
    }
    out->len = want;
    return 0;
}

int bw_fwrepo_key_load(bw_fwrepo_t *r, const char *path, char *why,
                       size_t why_cap)
{
    if (r == NULL || path == NULL)
        return BW_EINVAL;
    char *pem = malloc(BW_FWREPO_KEY_FILE_MAX);
    if (pem == NULL)
        return BW_ENOMEM;
    size_t len = 0;
    int err = read_small(path, pem, BW_FWREPO_KEY_FILE_MAX, &len);
    EVP_PKEY *k = err == 0 ? pem_key(pem, len) : NULL;
    /* A private key file: its bytes go as soon as it is parsed. */
    OPENSSL_cleanse(pem, BW_FWREPO_KEY_FILE_MAX);
    free(pem);
    if (err != 0) {
        why_set(why, why_cap, "%s: %s", path,
                err == BW_EIO ? "cannot read it" : "too large for a key file");
        return err;
    }
    if (k == NULL) {
        why_set(why, why_cap, "%s: not a PEM key (or an encrypted one)", path);
        return BW_EMALFORMED;
    }
    bw_fwrepo__key_t key;
    memset(&key, 0, sizeof key);
    const char *what = "";
    err = key_spki(k, &key, &what);
    EVP_PKEY_free(k);
    if (err != 0) {
        why_set(why, why_cap, "%s: %s", path, what);
        return err;
    }
    for (size_t i = 0; i < r->n_keys; i++)
        if (r->keys[i].len == key.len &&
            memcmp(r->keys[i].der, key.der, key.len) == 0) {
            why_set(why, why_cap, "%s: this key is already trusted", path);
            return BW_EEXIST;
        }
    if (r->n_keys == BW_FWREPO_KEYS_MAX) {
        why_set(why, why_cap, "%s: at most %u image keys", path,
                (unsigned)BW_FWREPO_KEYS_MAX);
        return BW_ENOMEM;
    }
    r->keys[r->n_keys++] = key;
    return 0;
}

/* ---- upload ----------------------------------------------------------- */

/* A read-only flash device over the uploaded bytes. */
typedef struct {
    const uint8_t *data;
    bw_flash_t dev;
    bw_flash_area_t area;
} memflash_t;

static int mf_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const memflash_t *m = ctx;
    memcpy(buf, m->data + off, len); /* lib/flash checked the bounds */
    return 0;
}

static int mf_refuse_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    (void)off;
    (void)buf;
    (void)len;
    return BW_EIO; /* an upload is never changed */
}

static int mf_refuse_erase(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx;
    (void)off;
    (void)len;
    return BW_EIO;
}

static int mf_sector(void *ctx, uint32_t off, uint32_t *start, uint32_t *size)
{
    const memflash_t *m = ctx;
    (void)off;
    *start = 0;
    *size = m->dev.size;
    return 0;
}

static const bw_flash_ops_t mf_ops = {
    .read = mf_read,
    .write = mf_refuse_write,
    .erase = mf_refuse_erase,
    .sector_at = mf_sector,
};

static void memflash_init(memflash_t *m, const uint8_t *data, uint32_t len)
{
    memset(m, 0, sizeof *m);
    m->data = data;
    m->dev.ops = &mf_ops;
    m->dev.ctx = m;
    m->dev.size = len;
    m->dev.write_align = 1;
    m->dev.erased_val = 0xff;
    m->area.dev = &m->dev;
    m->area.size = len;
}

/* What a lib/image code means, for the refusal's reason. */
static const char *image_reason(int err)
{
    switch (err) {
    case BW_ETRUNC:
        return "the file is shorter than its header and TLVs say";
    case BW_EMAGIC:
        return "wrong magic number";
    case BW_ERANGE:
        return "header size out of range";
    case BW_EOVERFLOW:
        return "a length overflows";
    case BW_EUNSUPPORTED:
        return "encrypted or compressed images are not supported";
    case BW_EMALFORMED:
        return "malformed TLV area";
    case BW_ETYPE:
        return "a TLV in the wrong area";
    case BW_EDUPKEY:
        return "a TLV that may appear once appears twice";
    case BW_ENOTFOUND:
        return "no SHA256 TLV";
    case BW_EHASH:
        return "the SHA256 TLV does not match the image";
    case BW_ESIGNATURE:
        return "a signature by a fleet key does not verify";
    case BW_EKEY:
        return "signed by an unknown key";
    default:
        return bw_strerror(err);
    }
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32
               ? 0
               : BW_ECRYPTO;
}

/* Steps 1-5: fill *fw from the verified image, or refuse. */
static int verify(const bw_fwrepo_t *r, const uint8_t *image, size_t len,
                  bw_db_fw_t *fw, char *why, size_t cap)
{
    if (r->n_keys == 0) {
        why_set(why, cap, "no image keys configured");
        return BW_EKEY;
    }
    memflash_t m;
    memflash_init(&m, image, (uint32_t)len);
    bw_image_info_t info;
    int err = bw_image_parse(&m.area, &info);
    if (err != 0) {
        why_set(why, cap, "structure: %s: %s", bw_err_name(err),
                image_reason(err));
        return err;
    }
    bw_image_key_t keys[BW_FWREPO_KEYS_MAX];
    for (size_t i = 0; i < r->n_keys; i++)
        keys[i] = (bw_image_key_t){.type = r->keys[i].type,
                                   .der = r->keys[i].der,
                                   .der_len = r->keys[i].len};
    uint8_t *buf = malloc(VERIFY_BUF);
    if (buf == NULL)
        return BW_ENOMEM;
    err = bw_image_verify(&m.area, keys, r->n_keys, buf, VERIFY_BUF, &info);
    free(buf);
    if (err != 0) {
        why_set(why, cap, "%s: %s: %s",
                err == BW_EHASH || err == BW_ENOTFOUND ? "digest" : "signature",
                bw_err_name(err), image_reason(err));
        return err;
    }
    err = bw_image_model(&m.area, &info, fw->model, sizeof fw->model);
    if (err == BW_ENOTFOUND) {
        why_set(why, cap, "image has no model");
        return BW_EUNSUPPORTED;
    }
    if (err != 0) {
        why_set(why, cap, "model: %s: malformed model TLV", bw_err_name(err));
        return err == BW_EIO ? BW_EIO : BW_EMALFORMED;
    }
    const bw_image_version_t *v = &info.hdr.version;
    /* The form bulwark-boot exports as BW_BOOT_VERSION, which devices
     * report in /3/0/3: campaigns compare the two as strings. */
    snprintf(fw->version, sizeof fw->version, "%u.%u.%u+%lu",
             (unsigned)v->major, (unsigned)v->minor, (unsigned)v->revision,
             (unsigned long)v->build_num);
    fw->security_counter = info.has_sec_cnt ? info.sec_cnt : 0;
    fw->size = (uint32_t)len;
    const bw_fwrepo__key_t *k = &r->keys[info.key_index];
    err = sha256(k->der, k->len, fw->key_hash);
    if (err == 0)
        err = sha256(image, len, fw->sha256);
    if (err == 0)
        hex(fw->sha256, BW_DB_FW_ID_LEN / 2, fw->id);
    return err;
}

int bw_fwrepo_upload(bw_fwrepo_t *r, const uint8_t *image, size_t len,
                     const char *actor, int64_t now_ms, bw_db_fw_t *out,
                     char *why, size_t why_cap)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    why_set(why, why_cap, "%s", "");
    if (r == NULL || image == NULL || actor == NULL)
        return BW_EINVAL;
    if (len == 0) {
        why_set(why, why_cap, "empty body: the image is the request body");
        return BW_ERANGE;
    }
    if (len > BW_FWREPO_IMAGE_MAX) {
        why_set(why, why_cap, "larger than %u bytes",
                (unsigned)BW_FWREPO_IMAGE_MAX);
        return BW_EOVERFLOW;
    }
    bw_db_fw_t *fw = calloc(1, sizeof *fw);
    if (fw == NULL)
        return BW_ENOMEM;
    int err = verify(r, image, len, fw, why, why_cap);
    if (err == 0) {
        fw->uploaded_ms = now_ms;
        snprintf(fw->uploaded_by, sizeof fw->uploaded_by, "%s", actor);
        bw_db_fw_conflict_t c;
        err = bw_db_fw_add(r->db, fw, image, len, &c);
        if (err == BW_EEXIST)
            why_set(why, why_cap, "already in the repository as %s", c.id);
        else if (err == BW_EROLLBACK)
            why_set(why, why_cap,
                    "security counter %lu is below %lu, already in the "
                    "repository for model %s",
                    (unsigned long)fw->security_counter,
                    (unsigned long)c.highest, fw->model);
        else if (err != 0)
            why_set(why, why_cap, "storage: %s", bw_strerror(err));
    }
    if (err == 0) {
        /* Devices are told about a new image soon after: cache it now. */
        uint8_t *copy = malloc(len);
        if (copy != NULL) {
            memcpy(copy, image, len);
            bw_fwrepo__cache_put(r, fw->id, copy, len);
        }
        if (out != NULL)
            *out = *fw;
    }
    free(fw);
    return err;
}

int bw_fwrepo_uri(const bw_fwrepo_t *r, const char *id, char *out, size_t cap)
{
    if (out != NULL && cap > 0)
        out[0] = '\0';
    if (r == NULL || id == NULL || out == NULL || cap == 0)
        return BW_EINVAL;
    if (!bw_fwrepo__id_valid(id, strnlen(id, BW_DB_FW_ID_LEN + 1)))
        return BW_EMALFORMED;
    if (r->dm_uri[0] == '\0')
        return BW_ESTATE;
    int n = snprintf(out, cap, "%s/fw/%s", r->dm_uri, id);
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return BW_ENOSPC;
    }
    return 0;
}
