/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the bootloader's reading of its own state: both slots' trailers
 * (records, swap and revert progress flags, image_ok, magic) hold fuzz
 * bytes, around real signed images, and bw_boot_run() decides what to do.
 *
 * Setup, on a simulated NOR flash (tests/flashsim.h) of 512-byte sectors:
 * a primary slot of 4 units + a 2-sector trailer and a secondary slot of
 * 5 units + the same trailer.  Three images signed at start-up with one
 * P-256 key, the only trusted key:
 *   A  version 1, security counter 2, 2 units
 *   B  version 2, security counter 3, 3 units
 *   R  version 0, security counter 1, 2 units (a rollback candidate)
 *
 * Input (missing bytes are 0):
 *   byte 0  bits 0-1  write alignment 4, 8, 16 or 32
 *           bits 2-3  primary holds A, B, nothing, R
 *           bits 4-6  script run through the API first, to reach a real
 *                     state: 0 none, 1 set_pending(test), 2
 *                     set_pending(permanent), 3 test + boot (swapped), 4
 *                     test + boot + confirm, 5 test + boot + boot
 *                     (reverted), 6 permanent + boot, 7 test + boot +
 *                     confirm + boot
 *           bit 7     the trailer bytes below overwrite (1) or are
 *                     XORed into (0) what the script left
 *   byte 1  bits 0-1  stored security counter at start, 0..3
 *           bits 2-3  download area holds nothing, B, R, A
 *           bits 4-5  a power cut during one more boot after the script:
 *                     none, before, torn, after an operation
 *           bit 6     confirm after the first checked boot (if it booted)
 *           bit 7     set_pending(test) after the first checked boot
 *   byte 2  the operation the cut hits (1 + byte 2)
 *   byte 3  the cut's seed (which bytes a torn operation touches)
 *   then    per slot, primary first: TRAIL_FRONT bytes over the front of
 *           the trailer (records and progress flags), then TRAIL_TAIL
 *           bytes over its last bytes (reserved fields, image_ok, magic)
 *
 * Then two boots are checked (init + run; the second after the optional
 * confirm / set_pending).  For each:
 *   - bw_boot_run() returns 0 exactly when bw_boot_go() says GO;
 *   - GO only for a primary whose bytes are exactly A, B or R (no other
 *     bytes verify with the trusted key: a fuzzer cannot sign), reported
 *     with that image's counter, at or above the counter stored before
 *     the run (no rollback);
 *   - the stored counter moves only for a GO of a confirmed image: to
 *     that image's counter, never in a run that swapped in a test image,
 *     and never while the primary reads as TEST afterwards;
 *   - the recovery hook, when called, gets the run's error;
 *   - no flash rule is broken (no write over programmed bytes, no
 *     misaligned write or erase: the simulator counts them);
 *   - and, as everywhere, no crash and no sanitizer report.
 *
 * Seeds (tests/fuzz/corpus/boot_trailer/): every script on each image
 * placement with an all-zero XOR mask, i.e. the real trailer states that
 * set_pending, a swap, confirm and a revert leave behind, some of them
 * cut mid-swap; plus overwrite-mode copies of real trailers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "bulwark/boot.h"
#include "flashsim.h"

#define SECT        512u
#define UNITS       4u
#define TRAIL       (2u * SECT)
#define P_SIZE      (UNITS * SECT + TRAIL)
#define S_OFF       P_SIZE
#define S_SIZE      ((UNITS + 1u) * SECT + TRAIL)
#define N_SECT      ((P_SIZE + S_SIZE) / SECT)
#define TRAIL_FRONT 384u
#define TRAIL_TAIL  64u
#define HDR_BYTES   4u
#define IMG_MAX     (UNITS * SECT)

typedef struct {
    uint8_t bytes[IMG_MAX];
    uint32_t len;
    uint32_t cnt;
} image_t;

/* Made once per process: the key and the three images. */
static struct {
    int ready;
    uint8_t spki[128];
    size_t spki_len;
    image_t img[3]; /* A, B, R */
} g;

enum { IMG_A = 0, IMG_B = 1, IMG_R = 2 };

static void check(int cond)
{
    if (!cond)
        abort();
}

static size_t put_tlv(uint8_t *p, uint16_t type, const void *v, size_t len)
{
    bw_image_tlv_hdr_encode(type, (uint16_t)len, p);
    memcpy(p + BW_IMAGE_TLV_HDR_SIZE, v, len);
    return BW_IMAGE_TLV_HDR_SIZE + len;
}

static void make_image(EVP_PKEY *pk, image_t *im, uint8_t major,
                       uint32_t payload, uint32_t cnt)
{
    bw_image_layout_t l;
    check(bw_image_layout(BW_IMAGE_HEADER_SIZE, payload, 8, 0, IMG_MAX, &l) ==
          0);
    memset(im->bytes, 0xff, sizeof im->bytes);
    bw_image_header_t h = {0};
    h.hdr_size = BW_IMAGE_HEADER_SIZE;
    h.protect_tlv_size = (uint16_t)l.prot_size;
    h.img_size = payload;
    h.version.major = major;
    bw_image_header_encode(&h, im->bytes);
    for (uint32_t i = 0; i < payload; i++)
        im->bytes[BW_IMAGE_HEADER_SIZE + i] = (uint8_t)(i * 7u + major);
    uint8_t *p = im->bytes + l.prot_off;
    bw_image_tlv_info_encode(BW_IMAGE_TLV_PROT_INFO_MAGIC,
                             (uint16_t)l.prot_size, p);
    const uint8_t c[4] = {(uint8_t)cnt, 0, 0, 0};
    put_tlv(p + BW_IMAGE_TLV_INFO_SIZE, BW_IMAGE_TLV_SEC_CNT, c, 4);

    uint8_t digest[32], keyhash[32], sig[80];
    unsigned dl;
    check(EVP_Digest(im->bytes, l.tlv_off, digest, &dl, EVP_sha256(), NULL));
    check(EVP_Digest(g.spki, g.spki_len, keyhash, &dl, EVP_sha256(), NULL));
    /* Sign until the DER is 72 bytes, so every process lays the images
     * out alike and a saved input replays the same way. */
    size_t sig_len = 0;
    for (int tries = 0; tries < 256 && sig_len != 72; tries++) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
        sig_len = sizeof sig;
        check(ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
              EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
              EVP_PKEY_sign(ctx, sig, &sig_len, digest, 32) == 1);
        EVP_PKEY_CTX_free(ctx);
    }
    check(sig_len == 72);
    p = im->bytes + l.tlv_off + BW_IMAGE_TLV_INFO_SIZE;
    p += put_tlv(p, BW_IMAGE_TLV_SHA256, digest, 32);
    p += put_tlv(p, BW_IMAGE_TLV_KEYHASH, keyhash, 32);
    p += put_tlv(p, BW_IMAGE_TLV_ECDSA_SIG, sig, sig_len);
    uint32_t tot = (uint32_t)(p - (im->bytes + l.tlv_off));
    bw_image_tlv_info_encode(BW_IMAGE_TLV_INFO_MAGIC, (uint16_t)tot,
                             im->bytes + l.tlv_off);
    im->len = l.tlv_off + tot;
    im->cnt = cnt;
    check(im->len <= IMG_MAX);
}

static void init_once(void)
{
    if (g.ready)
        return;
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    check(pk != NULL);
    uint8_t *q = g.spki;
    int n = i2d_PUBKEY(pk, NULL);
    check(n > 0 && (size_t)n <= sizeof g.spki && i2d_PUBKEY(pk, &q) == n);
    g.spki_len = (size_t)n;
    make_image(pk, &g.img[IMG_A], 1, 700, 2);
    make_image(pk, &g.img[IMG_B], 2, 1300, 3);
    make_image(pk, &g.img[IMG_R], 0, 600, 1);
    EVP_PKEY_free(pk);
    g.ready = 1;
}

/* The rig of one input. */
typedef struct {
    bw_flashsim_t sim;
    uint32_t counter;
    int recovered;
    int reason;
    bw_image_key_t key;
    bw_boot_config_t cfg;
    bw_boot_t b;
} rig_t;

static int counter_read(void *ctx, uint32_t *v)
{
    *v = ((rig_t *)ctx)->counter;
    return 0;
}

static int counter_advance(void *ctx, uint32_t v)
{
    rig_t *r = ctx;
    if (v < r->counter)
        return BW_ERANGE;
    r->counter = v;
    return 0;
}

static void recovery(void *ctx, int reason)
{
    rig_t *r = ctx;
    r->recovered = 1;
    r->reason = reason;
}

static int boot_once(rig_t *r, bw_boot_result_t *res)
{
    check(bw_boot_init(&r->b, &r->cfg) == 0);
    return bw_boot_run(&r->b, res);
}

static void app_call(rig_t *r, int what)
{
    check(bw_boot_init(&r->b, &r->cfg) == 0);
    if (what == 0)
        (void)bw_boot_set_pending(&r->b, 0);
    else if (what == 1)
        (void)bw_boot_set_pending(&r->b, 1);
    else
        (void)bw_boot_confirm(&r->b);
}

/* Script steps, in order: 't' test, 'p' permanent, 'b' boot, 'c' confirm. */
static const char *const scripts[8] = {"",    "t",   "p",  "tb",
                                       "tbc", "tbb", "pb", "tbcb"};

static void run_script(rig_t *r, const char *s)
{
    bw_boot_result_t res;
    for (; *s != '\0'; s++) {
        if (*s == 't')
            app_call(r, 0);
        else if (*s == 'p')
            app_call(r, 1);
        else if (*s == 'c')
            app_call(r, 2);
        else
            (void)boot_once(r, &res);
    }
}

/* Apply n fuzz bytes at device offset off: overwrite or XOR. */
static void apply(rig_t *r, uint32_t off, const uint8_t *in, size_t n,
                  int overwrite)
{
    for (size_t i = 0; i < n; i++) {
        if (overwrite)
            r->sim.mem[off + i] = in[i];
        else
            r->sim.mem[off + i] ^= in[i];
    }
}

/* One checked boot. */
static void checked_boot(rig_t *r, bw_boot_result_t *res)
{
    uint32_t before = r->counter;
    uint64_t violations = r->sim.violations;
    r->recovered = 0;
    int rc = boot_once(r, res);
    uint32_t go = bw_boot_go(res);
    check((rc == 0) == (go == BW_BOOT_GO));
    check(r->sim.violations == violations);
    check(r->counter >= before);
    if (r->recovered)
        check(rc != 0 && r->reason == rc);
    if (go == BW_BOOT_GO) {
        const image_t *hit = NULL;
        for (size_t i = 0; i < 3; i++)
            if (memcmp(r->sim.mem, g.img[i].bytes, g.img[i].len) == 0)
                hit = &g.img[i];
        check(hit != NULL);
        check(res->flash_off == 0);
        check(res->image.layout.total_size == hit->len);
        check(res->image.has_sec_cnt && res->image.sec_cnt == hit->cnt);
        check(hit->cnt >= before);
    }
    if (r->counter != before) {
        check(go == BW_BOOT_GO && res->confirmed);
        check(r->counter == res->image.sec_cnt);
        check(res->swap != BW_BOOT_SWAP_TEST);
        bw_boot_status_t st;
        check(bw_boot_init(&r->b, &r->cfg) == 0);
        check(bw_boot_status(&r->b, &st) == 0);
        check(st.primary != BW_BOOT_PRIMARY_TEST);
    }
}

static const uint32_t aligns[4] = {4, 8, 16, 32};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t h[HDR_BYTES] = {0};
    init_once();
    memcpy(h, data, size < HDR_BYTES ? size : HDR_BYTES);
    data += size < HDR_BYTES ? size : HDR_BYTES;
    size -= size < HDR_BYTES ? size : HDR_BYTES;

    rig_t *r = calloc(1, sizeof *r);
    check(r != NULL);
    uint32_t sizes[N_SECT];
    bw_flashsim_uniform(sizes, N_SECT, SECT);
    check(bw_flashsim_init(&r->sim, sizes, N_SECT, (uint8_t)aligns[h[0] & 3u],
                           0xff) == 0);
    const bw_flash_t *dev = bw_flashsim_dev(&r->sim);
    r->key = (bw_image_key_t){BW_IMAGE_KEY_ECDSA_P256, g.spki, g.spki_len};
    r->cfg.primary = (bw_flash_area_t){dev, 0, P_SIZE};
    r->cfg.secondary = (bw_flash_area_t){dev, S_OFF, S_SIZE};
    r->cfg.unit_size = SECT;
    r->cfg.units = UNITS;
    r->cfg.keys = &r->key;
    r->cfg.n_keys = 1;
    r->cfg.counter = (bw_boot_counter_t){counter_read, counter_advance, r};
    r->cfg.recovery = recovery;
    r->cfg.recovery_ctx = r;
    r->counter = h[1] & 3u;

    static const int prim_img[4] = {IMG_A, IMG_B, -1, IMG_R};
    static const int dl_img[4] = {-1, IMG_B, IMG_R, IMG_A};
    int pi = prim_img[(h[0] >> 2) & 3u], di = dl_img[(h[1] >> 2) & 3u];
    if (pi >= 0)
        bw_flashsim_poke(&r->sim, 0, g.img[pi].bytes, g.img[pi].len);
    if (di >= 0)
        bw_flashsim_poke(&r->sim, S_OFF + SECT, g.img[di].bytes, g.img[di].len);

    run_script(r, scripts[(h[0] >> 4) & 7u]);
    unsigned cut = (h[1] >> 4) & 3u;
    if (cut != 0) {
        bw_boot_result_t res;
        bw_flashsim_reset_ops(&r->sim);
        bw_flashsim_arm(&r->sim, 1u + h[2], (bw_flashsim_cut_t)cut, h[3]);
        (void)boot_once(r, &res);
        bw_flashsim_reboot(&r->sim);
    }

    /* The fuzz bytes over both trailers. */
    int overwrite = (h[0] & 0x80u) != 0;
    const uint32_t trails[2] = {UNITS * SECT, S_OFF + (UNITS + 1u) * SECT};
    for (size_t t = 0; t < 2 && size > 0; t++) {
        size_t n = size < TRAIL_FRONT ? size : TRAIL_FRONT;
        apply(r, trails[t], data, n, overwrite);
        data += n;
        size -= n;
        n = size < TRAIL_TAIL ? size : TRAIL_TAIL;
        apply(r, trails[t] + TRAIL - TRAIL_TAIL, data, n, overwrite);
        data += n;
        size -= n;
    }

    bw_boot_result_t res;
    checked_boot(r, &res);
    if (bw_boot_go(&res) == BW_BOOT_GO) {
        if (h[1] & 0x40u)
            app_call(r, 2);
        if (h[1] & 0x80u)
            app_call(r, 0);
    }
    checked_boot(r, &res);

    bw_flashsim_free(&r->sim);
    free(r);
    return 0;
}
