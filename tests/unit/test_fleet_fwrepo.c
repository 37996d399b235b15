/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware repository (server/fleet/fw_repo.h): uploads verified with
 * real signed images, each refusal with its own code and reason and
 * nothing stored; fleet keys loaded from PEM files; images served over
 * CoAP block by block (GET /fw/<id>) with ETag, Size2 and the error codes
 * of docs/firmware.md.
 *
 * Images are made here with OpenSSL (keys, digest, signatures) and
 * lib/image's encoders (header, TLV headers), in the layout imgtool
 * writes: header | payload | protected TLVs (SEC_CNT, MODEL) | SHA256,
 * KEYHASH, signature.
 */
#define _GNU_SOURCE
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bulwark/coap_block.h"
#include "bulwark/image.h"
#include "fw_repo.h"
#include "test_db_fixture.h"

#define MODEL "bulwark-sim"

typedef struct {
    EVP_PKEY *k;
    uint8_t der[128];
    size_t der_len;
    char pem[160]; /* a file in the fixture's directory */
} tkey_t;

typedef struct {
    dbfx_t f;
    tkey_t ec, ed, stranger;
    bw_fwrepo_t *repo;
} fx_t;

static void key_make(tkey_t *k, const char *type, const char *dir,
                     const char *name, int write_private)
{
    k->k = strcmp(type, "EC") == 0
               ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
               : EVP_PKEY_Q_keygen(NULL, NULL, type);
    assert_non_null(k->k);
    unsigned char *p = k->der;
    int n = i2d_PUBKEY(k->k, &p);
    assert_true(n > 0 && (size_t)n <= sizeof k->der);
    k->der_len = (size_t)n;
    snprintf(k->pem, sizeof k->pem, "%s/%s.pem", dir, name);
    FILE *f = fopen(k->pem, "w");
    assert_non_null(f);
    assert_int_equal(
        write_private ? PEM_write_PrivateKey(f, k->k, NULL, NULL, 0, NULL, NULL)
                      : PEM_write_PUBKEY(f, k->k),
        1);
    fclose(f);
}

static void sha256(const void *d, size_t n, uint8_t out[32])
{
    unsigned len = 0;
    assert_int_equal(EVP_Digest(d, n, out, &len, EVP_sha256(), NULL), 1);
}

typedef struct {
    size_t payload;
    uint32_t counter; /* with_counter */
    int with_counter;
    const char *model; /* NULL: no model TLV */
    bw_image_version_t version;
    uint8_t fill;
} spec_t;

static uint8_t *put_tlv(uint8_t *p, uint16_t type, const void *v, uint16_t n)
{
    bw_image_tlv_hdr_encode(type, n, p);
    memcpy(p + 4, v, n);
    return p + 4 + n;
}

/* A signed image into a malloc'd buffer; *len its size. */
static uint8_t *image_make(const tkey_t *k, const spec_t *s, size_t *len)
{
    size_t model_len = s->model != NULL ? strlen(s->model) : 0;
    uint32_t prot = (s->with_counter ? 8u : 0u) +
                    (s->model != NULL ? 4u + (uint32_t)model_len : 0u);
    uint8_t sig[80];
    size_t sig_len = sizeof sig;
    size_t max = 32 + s->payload + (prot ? prot + 4 : 0) + 4 + 36 + 36 + 84;
    uint8_t *img = calloc(1, max);
    assert_non_null(img);
    bw_image_header_t h = {.hdr_size = 32,
                           .protect_tlv_size = (uint16_t)(prot ? prot + 4 : 0),
                           .img_size = (uint32_t)s->payload,
                           .version = s->version};
    bw_image_header_encode(&h, img);
    for (size_t i = 0; i < s->payload; i++)
        img[32 + i] = (uint8_t)(s->fill + i * 31);
    uint8_t *p = img + 32 + s->payload;
    if (prot) {
        bw_image_tlv_info_encode(BW_IMAGE_TLV_PROT_INFO_MAGIC,
                                 (uint16_t)(prot + 4), p);
        p += 4;
        if (s->with_counter) {
            uint8_t c[4] = {(uint8_t)s->counter, (uint8_t)(s->counter >> 8),
                            (uint8_t)(s->counter >> 16),
                            (uint8_t)(s->counter >> 24)};
            p = put_tlv(p, BW_IMAGE_TLV_SEC_CNT, c, 4);
        }
        if (s->model != NULL)
            p = put_tlv(p, BW_IMAGE_TLV_MODEL, s->model, (uint16_t)model_len);
    }
    uint8_t digest[32], keyhash[32];
    sha256(img, (size_t)(p - img), digest);
    sha256(k->der, k->der_len, keyhash);
    EVP_PKEY_CTX *ctx = NULL;
    int ok;
    if (EVP_PKEY_get_base_id(k->k) == EVP_PKEY_ED25519) {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        ok = m != NULL && EVP_DigestSignInit(m, NULL, NULL, NULL, k->k) == 1 &&
             EVP_DigestSign(m, sig, &sig_len, digest, 32) == 1;
        EVP_MD_CTX_free(m);
    } else {
        ctx = EVP_PKEY_CTX_new(k->k, NULL);
        ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_sign(ctx, sig, &sig_len, digest, 32) == 1;
        EVP_PKEY_CTX_free(ctx);
    }
    assert_true(ok);
    uint16_t sig_type = EVP_PKEY_get_base_id(k->k) == EVP_PKEY_ED25519
                            ? BW_IMAGE_TLV_ED25519
                            : BW_IMAGE_TLV_ECDSA_SIG;
    bw_image_tlv_info_encode(BW_IMAGE_TLV_INFO_MAGIC,
                             (uint16_t)(4 + 36 + 36 + 4 + sig_len), p);
    p += 4;
    p = put_tlv(p, BW_IMAGE_TLV_SHA256, digest, 32);
    p = put_tlv(p, BW_IMAGE_TLV_KEYHASH, keyhash, 32);
    p = put_tlv(p, sig_type, sig, (uint16_t)sig_len);
    *len = (size_t)(p - img);
    return img;
}

static spec_t spec(uint32_t counter, uint8_t fill)
{
    return (spec_t){.payload = 5000,
                    .counter = counter,
                    .with_counter = 1,
                    .model = MODEL,
                    .version = {1, 2, 3, 4},
                    .fill = fill};
}

static int setup(void **state)
{
    fx_t *x = calloc(1, sizeof *x);
    assert_non_null(x);
    dbfx_init(&x->f);
    dbfx_open(&x->f);
    key_make(&x->ec, "EC", x->f.dir, "fleet-ec", 1);      /* private PEM */
    key_make(&x->ed, "ED25519", x->f.dir, "fleet-ed", 0); /* public PEM */
    key_make(&x->stranger, "EC", x->f.dir, "stranger", 0);
    bw_fwrepo_config_t c = {.db = x->f.db};
    bw_assert_err(bw_fwrepo_new(&c, &x->repo), 0);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx_t *x = *state;
    bw_fwrepo_free(x->repo);
    EVP_PKEY_free(x->ec.k);
    EVP_PKEY_free(x->ed.k);
    EVP_PKEY_free(x->stranger.k);
    dbfx_done(&x->f);
    free(x);
    return 0;
}

static void load_fleet_keys(fx_t *x)
{
    char why[256];
    bw_assert_err(bw_fwrepo_key_load(x->repo, x->ec.pem, why, sizeof why), 0);
    bw_assert_err(bw_fwrepo_key_load(x->repo, x->ed.pem, why, sizeof why), 0);
    assert_int_equal(bw_fwrepo_key_count(x->repo), 2);
}

static long long rows(const fx_t *x)
{
    sqlite3 *c = dbfx_raw(&x->f);
    long long n = dbfx_int(c, "SELECT COUNT(*) FROM firmware");
    sqlite3_close(c);
    return n;
}

/* Tried: upload an image signed with the fleet's ECDSA key (loaded from a
 * private PEM) and one signed with its Ed25519 key (a public PEM).
 * Must hold: both accepted; id = first 8 bytes of SHA-256 of the file in
 * hex, key_hash = SHA-256 of the signer's DER SPKI, model, version in
 * bulwark-boot's form, counter and size as built; the row is stored; the
 * URI is the DM URI + /fw/ + id. */
static void test_upload_ok(void **state)
{
    fx_t *x = *state;
    load_fleet_keys(x);
    spec_t s = spec(2, 1);
    size_t len;
    uint8_t *img = image_make(&x->ec, &s, &len);
    bw_db_fw_t fw;
    char why[256];
    bw_assert_err(
        bw_fwrepo_upload(x->repo, img, len, "api", 1234, &fw, why, sizeof why),
        0);
    uint8_t h[32], kh[32];
    char id[17];
    sha256(img, len, h);
    sha256(x->ec.der, x->ec.der_len, kh);
    for (int i = 0; i < 8; i++)
        snprintf(id + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(fw.id, id);
    assert_memory_equal(fw.sha256, h, 32);
    assert_memory_equal(fw.key_hash, kh, 32);
    assert_string_equal(fw.model, MODEL);
    assert_string_equal(fw.version, "1.2.3+4");
    assert_int_equal(fw.security_counter, 2);
    assert_int_equal(fw.size, len);
    bw_db_fw_t got;
    bw_assert_err(bw_db_fw_get(x->f.db, id, &got), 0);
    assert_int_equal(got.uploaded_ms, 1234);
    free(img);

    s = spec(2, 2);
    img = image_make(&x->ed, &s, &len);
    bw_assert_err(
        bw_fwrepo_upload(x->repo, img, len, "api", 1235, &fw, why, sizeof why),
        0);
    sha256(x->ed.der, x->ed.der_len, kh);
    assert_memory_equal(fw.key_hash, kh, 32);
    free(img);
    assert_int_equal(rows(x), 2);

    char uri[BW_FWREPO_URI_MAX + 1];
    bw_assert_err(bw_fwrepo_uri(x->repo, id, uri, sizeof uri), BW_ESTATE);
    bw_assert_err(bw_fwrepo_set_dm_uri(x->repo, "coaps://127.0.0.1:5684"), 0);
    bw_assert_err(bw_fwrepo_uri(x->repo, id, uri, sizeof uri), 0);
    char want[64];
    snprintf(want, sizeof want, "coaps://127.0.0.1:5684/fw/%s", id);
    assert_string_equal(uri, want);
    bw_assert_err(bw_fwrepo_uri(x->repo, "nothex!!nothex!!", uri, sizeof uri),
                  BW_EMALFORMED);
    bw_assert_err(bw_fwrepo_uri(x->repo, id, uri, 20), BW_ENOSPC);
}

/* One refusal: code, exact reason, nothing stored. */
static void refused(fx_t *x, const uint8_t *img, size_t len, int code,
                    const char *reason)
{
    long long before = rows(x);
    bw_db_fw_t fw;
    char why[256];
    bw_assert_err(
        bw_fwrepo_upload(x->repo, img, len, "api", 1, &fw, why, sizeof why),
        code);
    assert_string_equal(why, reason);
    assert_string_equal(fw.id, ""); /* out zeroed */
    assert_int_equal(rows(x), before);
}

/* Tried: with no key configured, a good image; then with the fleet keys:
 * a payload byte flipped; an image by a key the fleet does not have; an
 * image without a model TLV; the first image again; a lower counter for
 * the same model; a file cut short; an empty body.
 * Must hold: each refused with its own code and reason (the API's detail)
 * and the table unchanged; a higher counter is then accepted. */
static void test_upload_refusals(void **state)
{
    fx_t *x = *state;
    spec_t s = spec(2, 7);
    size_t len;
    uint8_t *good = image_make(&x->ec, &s, &len);
    refused(x, good, len, BW_EKEY, "no image keys configured");
    load_fleet_keys(x);
    char why[256], first_id[17];
    bw_db_fw_t fw;
    bw_assert_err(
        bw_fwrepo_upload(x->repo, good, len, "api", 1, &fw, why, sizeof why),
        0);
    memcpy(first_id, fw.id, sizeof first_id);

    s = spec(3, 8);
    size_t tl;
    uint8_t *tampered = image_make(&x->ec, &s, &tl);
    tampered[32 + 100] ^= 0x01;
    refused(x, tampered, tl, BW_EHASH,
            "digest: BW_EHASH: the SHA256 TLV does not match the image");
    free(tampered);

    size_t ul;
    uint8_t *unknown = image_make(&x->stranger, &s, &ul);
    refused(x, unknown, ul, BW_EKEY,
            "signature: BW_EKEY: signed by an unknown key");
    free(unknown);

    spec_t nm = spec(3, 9);
    nm.model = NULL;
    size_t nl;
    uint8_t *nomodel = image_make(&x->ec, &nm, &nl);
    refused(x, nomodel, nl, BW_EUNSUPPORTED, "image has no model");
    free(nomodel);

    char dup[64];
    snprintf(dup, sizeof dup, "already in the repository as %s", first_id);
    refused(x, good, len, BW_EEXIST, dup);

    spec_t lo = spec(1, 10);
    size_t ll;
    uint8_t *lower = image_make(&x->ed, &lo, &ll);
    refused(x, lower, ll, BW_EROLLBACK,
            "security counter 1 is below 2, already in the repository for "
            "model " MODEL);
    free(lower);

    refused(x, good, 20, BW_ETRUNC,
            "structure: BW_ETRUNC: the file is shorter than its header and "
            "TLVs say");
    refused(x, good, 0, BW_ERANGE, "empty body: the image is the request body");

    spec_t hi = spec(3, 11);
    size_t hl;
    uint8_t *higher = image_make(&x->ec, &hi, &hl);
    bw_assert_err(
        bw_fwrepo_upload(x->repo, higher, hl, "api", 2, &fw, why, sizeof why),
        0);
    free(higher);
    free(good);
    assert_int_equal(rows(x), 2);
}

/* Tried: load a missing file, a file that is not PEM, a P-384 key, the
 * same key twice.
 * Must hold: BW_EIO, BW_EMALFORMED, BW_EUNSUPPORTED, BW_EEXIST, each with
 * a reason naming the file; no key is added by a refusal. */
static void test_keys(void **state)
{
    fx_t *x = *state;
    char why[256], path[200];
    snprintf(path, sizeof path, "%s/none.pem", x->f.dir);
    bw_assert_err(bw_fwrepo_key_load(x->repo, path, why, sizeof why), BW_EIO);
    assert_non_null(strstr(why, path));
    snprintf(path, sizeof path, "%s/junk.pem", x->f.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", f);
    fclose(f);
    bw_assert_err(bw_fwrepo_key_load(x->repo, path, why, sizeof why),
                  BW_EMALFORMED);
    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    assert_non_null(p384);
    snprintf(path, sizeof path, "%s/p384.pem", x->f.dir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PUBKEY(f, p384), 1);
    fclose(f);
    EVP_PKEY_free(p384);
    bw_assert_err(bw_fwrepo_key_load(x->repo, path, why, sizeof why),
                  BW_EUNSUPPORTED);
    assert_int_equal(bw_fwrepo_key_count(x->repo), 0);
    bw_assert_err(bw_fwrepo_key_load(x->repo, x->ec.pem, why, sizeof why), 0);
    bw_assert_err(bw_fwrepo_key_load(x->repo, x->ec.pem, why, sizeof why),
                  BW_EEXIST);
    assert_int_equal(bw_fwrepo_key_count(x->repo), 1);
}

/* ---- serving ------------------------------------------------------------ */

typedef struct {
    uint8_t code, type;
    uint16_t mid;
    int has_etag;
    uint8_t etag[8];
    size_t etag_len;
    uint32_t cf, size2;
    int has_size2, has_block;
    bw_coap_block_t block;
    uint8_t payload[1100];
    size_t payload_len;
} resp_t;

/* GET (or method) /fw/<id> with Block2 num/szx (szx > 6: none); the
 * parsed answer.  Returns the answer's length. */
static size_t ask(bw_fwrepo_t *r, uint8_t method, uint8_t type,
                  const char *seg1, const char *seg2, uint32_t num, uint8_t szx,
                  int known, resp_t *out)
{
    uint8_t req[128], buf[1400];
    static const uint8_t tok[4] = {1, 2, 3, 4};
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, req, sizeof req, type, method, 0x1234, tok, 4);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, seg1, strlen(seg1));
    if (seg2 != NULL)
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, seg2, strlen(seg2));
    if (szx <= 6) {
        bw_coap_block_t b = {.num = num, .szx = szx};
        bw_coap_block_add(&w, BW_COAP_OPT_BLOCK2, &b);
    }
    size_t len;
    bw_assert_err(bw_coap_writer_finish(&w, &len), 0);
    bw_coap_msg_t m;
    bw_assert_err(bw_coap_parse(&m, req, len), 0);
    size_t n = bw_fwrepo_coap(r, &m, known, buf, sizeof buf);
    memset(out, 0, sizeof *out);
    if (n == 0)
        return 0;
    bw_coap_msg_t a;
    bw_assert_err(bw_coap_parse(&a, buf, n), 0);
    assert_int_equal(a.token_len, 4);
    assert_memory_equal(a.token, tok, 4);
    out->code = a.code;
    out->type = a.type;
    out->mid = a.mid;
    bw_coap_opt_t o;
    if (bw_coap_opt_find(&a, BW_COAP_OPT_ETAG, &o) == 0) {
        out->has_etag = 1;
        out->etag_len = o.len;
        memcpy(out->etag, o.value, o.len <= 8 ? o.len : 8);
    }
    (void)bw_coap_msg_uint(&a, BW_COAP_OPT_CONTENT_FORMAT, &out->cf);
    out->has_size2 = bw_coap_msg_uint(&a, BW_COAP_OPT_SIZE2, &out->size2) == 0;
    out->has_block =
        bw_coap_block_get(&a, BW_COAP_OPT_BLOCK2, &out->block) == 0;
    assert_true(a.payload_len <= sizeof out->payload);
    if (a.payload_len > 0)
        memcpy(out->payload, a.payload, a.payload_len);
    out->payload_len = a.payload_len;
    return n;
}

/* Upload one image; its bytes and id. */
static uint8_t *stored(fx_t *x, size_t payload, char id[17], size_t *len)
{
    load_fleet_keys(x);
    spec_t s = spec(5, 3);
    s.payload = payload;
    uint8_t *img = image_make(&x->ec, &s, len);
    bw_db_fw_t fw;
    char why[256];
    bw_assert_err(
        bw_fwrepo_upload(x->repo, img, *len, "api", 1, &fw, why, sizeof why),
        0);
    memcpy(id, fw.id, 17);
    return img;
}

/* Download the whole image with blocks of szx from repository r;
 * checks every block's ETag, Content-Format and Block2. */
static void download(bw_fwrepo_t *r, const char *id, const uint8_t *img,
                     size_t len, uint8_t szx)
{
    uint8_t etag[8];
    for (int i = 0; i < 8; i++) {
        unsigned v;
        sscanf(id + 2 * i, "%2x", &v);
        etag[i] = (uint8_t)v;
    }
    size_t bs = BW_COAP_BLOCK_SIZE(szx), off = 0;
    resp_t a;
    for (uint32_t num = 0;; num++) {
        ask(r, BW_COAP_GET, BW_COAP_CON, "fw", id, num, szx, 1, &a);
        assert_int_equal(a.code, BW_COAP_CODE(2, 5));
        assert_int_equal(a.type, BW_COAP_ACK);
        assert_int_equal(a.mid, 0x1234);
        assert_true(a.has_etag);
        assert_int_equal(a.etag_len, 8);
        assert_memory_equal(a.etag, etag, 8);
        assert_int_equal(a.cf, BW_COAP_FMT_OPAQUE);
        assert_true(a.has_block);
        assert_int_equal(a.block.num, num);
        assert_int_equal(a.block.szx, szx);
        assert_int_equal(a.has_size2, num == 0);
        if (num == 0)
            assert_int_equal(a.size2, len);
        size_t want = len - off < bs ? len - off : bs;
        assert_int_equal(a.payload_len, want);
        assert_memory_equal(a.payload, img + off, want);
        off += want;
        assert_int_equal(a.block.more, off < len);
        if (!a.block.more)
            break;
    }
    assert_int_equal(off, len);
}

/* Tried: download a stored image (about 5.3 KB) with 1024-byte blocks,
 * then with 256-byte blocks; then from a second repository on the same
 * store whose cache is empty; then an image added to the store directly
 * (not through an upload, never cached).
 * Must hold: the bytes reassemble to the file; every block has ETag = the
 * id's 8 bytes, Content-Format 42, the Block2 asked for and M set until
 * the last; Size2 = the file size on block 0 only; a cold cache reads the
 * store. */
static void test_serve_blocks(void **state)
{
    fx_t *x = *state;
    char id[17];
    size_t len;
    uint8_t *img = stored(x, 5000, id, &len);
    download(x->repo, id, img, len, 6);
    download(x->repo, id, img, len, 4);
    bw_fwrepo_t *cold;
    bw_fwrepo_config_t c = {.db = x->f.db};
    bw_assert_err(bw_fwrepo_new(&c, &cold), 0);
    download(cold, id, img, len, 6);

    uint8_t raw[700];
    bw_db_fw_t fw = {.id = "00112233aabbccdd",
                     .model = "m",
                     .version = "9.9.9+9",
                     .security_counter = 1,
                     .size = sizeof raw,
                     .uploaded_by = "test"};
    dbfx_psk(raw, sizeof raw, 77);
    fw.sha256[0] = 0xee;
    bw_assert_err(bw_db_fw_add(x->f.db, &fw, raw, sizeof raw, NULL), 0);
    download(cold, fw.id, raw, sizeof raw, 6);
    bw_fwrepo_free(cold);
    free(img);
}

/* Tried: a GET without Block2; a NON GET; Size2 0 in a later block's
 * request is not needed (late negotiation is covered above).
 * Must hold: no Block2 means block 0 at 1024 bytes with Size2; a NON
 * request gets a NON answer (its own message ID). */
static void test_serve_defaults(void **state)
{
    fx_t *x = *state;
    char id[17];
    size_t len;
    uint8_t *img = stored(x, 3000, id, &len);
    resp_t a;
    ask(x->repo, BW_COAP_GET, BW_COAP_CON, "fw", id, 0, 7, 1, &a);
    assert_int_equal(a.code, BW_COAP_CODE(2, 5));
    assert_true(a.has_block);
    assert_int_equal(a.block.num, 0);
    assert_int_equal(a.block.szx, 6);
    assert_true(a.block.more);
    assert_true(a.has_size2);
    assert_int_equal(a.size2, len);
    assert_int_equal(a.payload_len, 1024);
    assert_memory_equal(a.payload, img, 1024);
    ask(x->repo, BW_COAP_GET, BW_COAP_NON, "fw", id, 1, 6, 1, &a);
    assert_int_equal(a.type, BW_COAP_NON);
    assert_int_equal(a.code, BW_COAP_CODE(2, 5));
    assert_memory_equal(a.payload, img + 1024, 1024);
    free(img);
}

/* Tried: an unknown (well-formed) id, a malformed id, a block past the
 * end, a block starting exactly at the end, PUT and POST, a requester
 * that is not a known device, /fw with no id, a path that is not /fw.
 * Must hold: 4.04, 4.04, 4.02, 4.02, 4.05, 4.05, 4.03, 4.04, and 0 (not
 * this module's request) for the other path; no error answer carries an
 * ETag. */
static void test_serve_errors(void **state)
{
    fx_t *x = *state;
    char id[17];
    size_t len;
    uint8_t *img = stored(x, 2000, id, &len); /* 2 blocks of 1024 + a bit */
    free(img);
    resp_t a;
    ask(x->repo, BW_COAP_GET, BW_COAP_CON, "fw", "0123456789abcdef", 0, 6, 1,
        &a);
    assert_int_equal(a.code, BW_COAP_CODE(4, 4));
    assert_false(a.has_etag);
    ask(x->repo, BW_COAP_GET, BW_COAP_CON, "fw", "0123456789ABCDEF", 0, 6, 1,
        &a);
    assert_int_equal(a.code, BW_COAP_CODE(4, 4));
    ask(x->repo, BW_COAP_GET, BW_COAP_CON, "fw", id, 9, 6, 1, &a);
    assert_int_equal(a.code, BW_COAP_CODE(4, 2));
    assert_false(a.has_etag);
    size_t blocks = (len + 1023) / 1024;
    ask(x->repo, BW_COAP_GET, BW_COAP_CON, "fw", id, (uint32_t)blocks, 6, 1,
        &a);
    assert_int_equal(a.code, BW_COAP_CODE(4, 2));
    ask(x->repo, BW_COAP_PUT, BW_COAP_CON, "fw", id, 0, 6, 1, &a);
    assert_int_equal(a.code, BW_COAP_CODE(4, 5));
    ask(x->repo, BW_COAP_POST, BW_COAP_CON, "fw", id, 0, 7, 1, &a);
    assert_int_equal(a.code, BW_COAP_CODE(4, 5));
    ask(x->repo, BW_COAP_GET, BW_COAP_CON, "fw", id, 0, 6, 0, &a);
    assert_int_equal(a.code, BW_COAP_CODE(4, 3));
    assert_int_equal(a.payload_len > 0, 1); /* a diagnostic, not bytes */
    assert_int_equal(a.cf, BW_COAP_FMT_TEXT);
    ask(x->repo, BW_COAP_GET, BW_COAP_CON, "fw", NULL, 0, 6, 1, &a);
    assert_int_equal(a.code, BW_COAP_CODE(4, 4));
    assert_int_equal(
        ask(x->repo, BW_COAP_GET, BW_COAP_CON, "rd", NULL, 0, 6, 1, &a), 0);
}

/* Tried: the resource hook with the DTLS identity of a device's DM
 * credential, a bootstrap credential's identity, and an unknown one.
 * Must hold: the device gets 2.05; the other two 4.03 (images go to
 * known devices on the DM server only). */
static void test_resource_identity(void **state)
{
    fx_t *x = *state;
    char id[17];
    size_t len;
    uint8_t *img = stored(x, 1500, id, &len);
    free(img);
    bw_assert_err(bw_db_device_add(x->f.db, "dev-0001", MODEL, NULL, 1, NULL),
                  0);
    uint8_t psk[32], bpsk[32];
    dbfx_psk(psk, sizeof psk, 11);
    dbfx_psk(bpsk, sizeof bpsk, 12);
    static const char dm_id[] = "dm-4f1c2a";
    static const char bs_id[] = "fac-77a9e0";
    bw_assert_err(bw_db_psk_import_for(x->f.db, "dev-0001", BW_DB_PURPOSE_DM,
                                       (const uint8_t *)dm_id, strlen(dm_id),
                                       psk, 32, BW_DB_CRED_ACTIVE, 1, NULL),
                  0);
    bw_assert_err(bw_db_psk_import_for(x->f.db, "dev-0001",
                                       BW_DB_PURPOSE_BOOTSTRAP,
                                       (const uint8_t *)bs_id, strlen(bs_id),
                                       bpsk, 32, BW_DB_CRED_ACTIVE, 1, NULL),
                  0);
    uint8_t req[64], out[1400];
    static const uint8_t tok[2] = {9, 9};
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_GET, 7, tok,
                        2);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "fw", 2);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, id, 16);
    size_t rl;
    bw_assert_err(bw_coap_writer_finish(&w, &rl), 0);
    bw_coap_msg_t m, a;
    bw_assert_err(bw_coap_parse(&m, req, rl), 0);
    const char *ids[] = {dm_id, bs_id, "nobody"};
    const uint8_t want[] = {BW_COAP_CODE(2, 5), BW_COAP_CODE(4, 3),
                            BW_COAP_CODE(4, 3)};
    for (int i = 0; i < 3; i++) {
        bw_dtls_peer_info_t peer = {.identity = (const uint8_t *)ids[i],
                                    .identity_len = strlen(ids[i])};
        size_t n = bw_fwrepo_resource(x->repo, &peer, &m, out, sizeof out);
        assert_true(n > 0);
        bw_assert_err(bw_coap_parse(&a, out, n), 0);
        assert_int_equal(a.code, want[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upload_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resource_identity, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
