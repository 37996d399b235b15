/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Proof against power loss: the boot core and the application calls are
 * run through whole update sequences on the simulated flash
 * (tests/flashsim.h), and power is cut at every flash operation of the
 * sequence, BEFORE it, TORN during it and AFTER it.  After every cut the
 * device reboots (the boot core runs again on what is left in flash) and
 * the sequence goes on the way a device would: the application retries
 * the download when the old image boots, confirms the new one when it
 * boots in test mode.  For a sample of cut points a second cut hits the
 * recovery run itself.
 *
 * Sequences:
 *   update   download B into the secondary, set pending (test), reboot
 *            and swap, first boot of B, confirm, reboot
 *   revert   (B already pending) swap, first boot of B without confirm,
 *            reboot and revert to A
 *   perm     download B, set pending (permanent), reboot and swap
 *
 * After every boot: the boot core said GO, the booted bytes are exactly
 * image A or image B, the stored security counter never moved for an
 * unconfirmed image, and the flash saw no NOR violation.  At the end of
 * each sequence: the final image and state are the expected ones and the
 * slots are consistent (the other image sits where the method puts it).
 * Anything else is a brick.  The test prints cut points x geometries and
 * bricks; bricks must be 0.
 *
 * Run time: every cut point of every sequence is tried in each geometry
 * and from both starting histories (3,438 runs, about 20 s under ASan),
 * except that the 128 KB-sector geometry, whose runs are the slowest,
 * samples every 4th operation.  BW_POWERCUT_FULL=1 tries them all (4,482
 * runs, about 46 s); docs/boot.md has the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "bulwark/boot.h"
#include "flashsim.h"
#include "testutil.h"

#define IMG_MAX       16384u
#define CHUNK         512u /* the application's download write size */
#define MAX_LIFECYCLE 24   /* boots a sequence may take before it is a brick */

typedef struct {
    const char *name;
    uint32_t sectors[40];
    size_t n_sectors;
    uint8_t align;
    uint32_t p_off, p_size, s_off, s_size, unit, units;
    uint32_t sample; /* try every sample-th op (1 = all) */
} geom_t;

/* 4 KB sectors, 4-byte writes: 4 units of 4 KB + a 4 KB trailer. */
static const geom_t geom_4k = {"4KB/align4", {0},   11,   4, 0, 20480,
                               20480,        24576, 4096, 4, 1};
/* 128 KB sectors, 32-byte writes: 1 unit + a 128 KB trailer. */
static const geom_t geom_128k = {"128KB/align32", {0},    5,      32, 0, 262144,
                                 262144,          393216, 131072, 1,  4};
/*
 * Mixed sizes, 8-byte writes, 8 KB units made of different sectors in
 * the two slots:
 *   primary   [2K 2K 4K][8K] [4K trailer]
 *   secondary [8K][4K 4K][8K] [2K 2K trailer]
 */
static const geom_t geom_mixed = {
    "mixed/align8",
    {2048, 2048, 4096, 8192, 4096, 8192, 4096, 4096, 8192, 2048, 2048},
    11,
    8,
    0,
    20480,
    20480,
    28672,
    8192,
    2,
    1};

typedef struct {
    uint8_t data[IMG_MAX];
    size_t len;
} image_t;

typedef struct {
    const geom_t *g;
    bw_flashsim_t sim;
    uint8_t *snapshot;
    uint32_t counter;
    uint32_t counter_snapshot;
    int recoveries;
    bw_image_key_t key;
    const image_t *a, *b;
} rig_t;

/* ---- images, signed here with OpenSSL in MCUboot's layout ------------ */

static EVP_PKEY *sign_key;
static uint8_t spki[128];
static size_t spki_len;
static image_t img_a, img_b, img_a0;

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static void sha256(const uint8_t *d, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    assert_int_equal(EVP_Digest(d, n, out, &len, EVP_sha256(), NULL), 1);
}

/*
 * header (32) | payload | protected TLVs (SEC_CNT) | TLVs: SHA256,
 * KEYHASH, ECDSA P-256 signature of the digest.
 */
static void build_image(image_t *img, uint8_t major, uint32_t sec_cnt,
                        size_t payload, uint32_t seed)
{
    uint8_t *p = img->data;
    memset(p, 0, 32);
    put32(p, 0x96f3b83du);
    put16(p + 8, 32);
    put16(p + 10, 12);
    put32(p + 12, (uint32_t)payload);
    p[20] = major;
    uint32_t x = seed;
    for (size_t i = 0; i < payload; i++) {
        x = x * 1103515245u + 12345u;
        p[32 + i] = (uint8_t)(x >> 16);
    }
    size_t off = 32 + payload;
    put16(p + off, 0x6908);
    put16(p + off + 2, 12);
    put16(p + off + 4, 0x50);
    put16(p + off + 6, 4);
    put32(p + off + 8, sec_cnt);
    off += 12;
    uint8_t digest[32], keyhash[32], sig[80];
    size_t sig_len = sizeof sig;
    sha256(p, off, digest);
    sha256(spki, spki_len, keyhash);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(sign_key, NULL);
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
    assert_int_equal(EVP_PKEY_sign(ctx, sig, &sig_len, digest, 32), 1);
    EVP_PKEY_CTX_free(ctx);
    size_t tot = 4 + (4 + 32) + (4 + 32) + (4 + sig_len);
    put16(p + off, 0x6907);
    put16(p + off + 2, (uint32_t)tot);
    off += 4;
    put16(p + off, 0x10);
    put16(p + off + 2, 32);
    memcpy(p + off + 4, digest, 32);
    off += 36;
    put16(p + off, 0x01);
    put16(p + off + 2, 32);
    memcpy(p + off + 4, keyhash, 32);
    off += 36;
    put16(p + off, 0x22);
    put16(p + off + 2, (uint32_t)sig_len);
    memcpy(p + off + 4, sig, sig_len);
    img->len = off + 4 + sig_len;
}

static int make_images(void **state)
{
    (void)state;
    sign_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(sign_key);
    uint8_t *q = spki;
    int n = i2d_PUBKEY(sign_key, &q);
    assert_int_equal(n, BW_IMAGE_P256_SPKI_LEN);
    spki_len = (size_t)n;
    /* A spans 3 units of 4 KB; B is a little longer, other bytes. */
    build_image(&img_a, 1, 1, 9000, 1);
    build_image(&img_b, 2, 2, 9600, 2);
    /* A's predecessor, for devices that were updated before. */
    build_image(&img_a0, 0, 1, 8000, 3);
    return 0;
}

static int free_images(void **state)
{
    (void)state;
    EVP_PKEY_free(sign_key);
    return 0;
}

/* ---- the rig ---------------------------------------------------------- */

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
    (void)reason;
    ((rig_t *)ctx)->recoveries++;
}

static void rig_config(rig_t *r, bw_boot_config_t *cfg)
{
    const bw_flash_t *dev = bw_flashsim_dev(&r->sim);
    memset(cfg, 0, sizeof *cfg);
    cfg->primary = (bw_flash_area_t){dev, r->g->p_off, r->g->p_size};
    cfg->secondary = (bw_flash_area_t){dev, r->g->s_off, r->g->s_size};
    cfg->unit_size = r->g->unit;
    cfg->units = r->g->units;
    cfg->keys = &r->key;
    cfg->n_keys = 1;
    cfg->counter = (bw_boot_counter_t){counter_read, counter_advance, r};
    cfg->recovery = recovery;
    cfg->recovery_ctx = r;
}

static void rig_init(rig_t *r, const geom_t *g)
{
    uint32_t sizes[40];
    memset(r, 0, sizeof *r);
    r->g = g;
    if (g->sectors[0] != 0)
        memcpy(sizes, g->sectors, g->n_sectors * sizeof *sizes);
    else
        bw_flashsim_uniform(sizes, g->n_sectors, g->unit);
    assert_int_equal(
        bw_flashsim_init(&r->sim, sizes, g->n_sectors, g->align, 0xff), 0);
    r->snapshot = malloc(r->sim.dev.size);
    assert_non_null(r->snapshot);
    r->key = (bw_image_key_t){BW_IMAGE_KEY_ECDSA_P256, spki, spki_len};
    r->a = &img_a;
    r->b = &img_b;
}

static void rig_save(rig_t *r)
{
    memcpy(r->snapshot, r->sim.mem, r->sim.dev.size);
    r->counter_snapshot = r->counter;
}

static void rig_restore(rig_t *r)
{
    memcpy(r->sim.mem, r->snapshot, r->sim.dev.size);
    r->counter = r->counter_snapshot;
    r->recoveries = 0;
    bw_flashsim_reboot(&r->sim);
    bw_flashsim_reset_ops(&r->sim);
}

static void rig_free(rig_t *r)
{
    free(r->snapshot);
    bw_flashsim_free(&r->sim);
}

/* Write an image the way an application downloads: CHUNK-byte writes. */
static int download(rig_t *r, bw_boot_t *b, const image_t *img)
{
    bw_flash_area_t dl;
    uint8_t chunk[CHUNK];
    int err = bw_boot_erase_secondary(b);
    if (err == 0)
        err = bw_boot_download_area(b, &dl);
    for (size_t off = 0; err == 0 && off < img->len; off += CHUNK) {
        size_t n = img->len - off < CHUNK ? img->len - off : CHUNK;
        memset(chunk, 0xff, sizeof chunk);
        memcpy(chunk, img->data + off, n);
        size_t wn = (n + r->g->align - 1u) & ~(size_t)(r->g->align - 1u);
        err = bw_flash_write(&dl, (uint32_t)off, chunk, wn);
    }
    return err;
}

/*
 * Where the device starts from:
 *   FRESH  A programmed at the factory and booted once (counter stored);
 *          both trailers erased.
 *   USED   A0 from the factory, then updated to A (test, confirmed), so
 *          the primary trailer holds the last update's records and the
 *          secondary holds A0: a torn erase of a trailer now leaves stale
 *          records behind, which the core must not trust.
 */
typedef enum { HIST_FRESH, HIST_USED } hist_t;

static void boot_ok(rig_t *r, bw_boot_t *b)
{
    bw_boot_config_t cfg;
    bw_boot_result_t res;
    rig_config(r, &cfg);
    assert_int_equal(bw_boot_init(b, &cfg), 0);
    assert_int_equal(bw_boot_run(b, &res), 0);
    assert_int_equal(bw_boot_go(&res), BW_BOOT_GO);
}

static int download(rig_t *r, bw_boot_t *b, const image_t *img);

static void rig_factory(rig_t *r, hist_t hist)
{
    bw_boot_t b;
    const image_t *first = hist == HIST_FRESH ? r->a : &img_a0;
    bw_flashsim_poke(&r->sim, r->g->p_off, first->data, first->len);
    boot_ok(r, &b);
    if (hist == HIST_USED) {
        assert_int_equal(download(r, &b, r->a), 0);
        assert_int_equal(bw_boot_set_pending(&b, 0), 0);
        boot_ok(r, &b); /* swap to A */
        assert_int_equal(bw_boot_confirm(&b), 0);
        boot_ok(r, &b);
    }
    assert_int_equal(r->counter, 1);
}

/* Which image is at the device offset: 'A', 'B' or 0. */
static int which_image(rig_t *r, uint32_t off)
{
    const image_t *c[2] = {r->a, r->b};
    for (int i = 0; i < 2; i++)
        if (off + c[i]->len <= r->sim.dev.size &&
            memcmp(r->sim.mem + off, c[i]->data, c[i]->len) == 0)
            return 'A' + i;
    return 0;
}

typedef enum { SEQ_UPDATE, SEQ_REVERT, SEQ_PERM } seq_t;

typedef struct {
    int b_test_boots;   /* B booted unconfirmed */
    int confirm_called; /* the application asked to confirm B */
    int perm_requested;
    char last;       /* image booted last */
    const char *why; /* first failed check */
} life_t;

#define FAIL(l, msg)                                                           \
    do {                                                                       \
        (l)->why = (msg);                                                      \
        return -1;                                                             \
    } while (0)

/*
 * One boot and what the application does after it.  Returns 1 when the
 * sequence reached its end, 0 to boot again, -1 for a brick.
 */
static int lifecycle_step(rig_t *r, seq_t seq, life_t *l)
{
    bw_boot_t b;
    bw_boot_config_t cfg;
    bw_boot_result_t res;
    rig_config(r, &cfg);
    if (bw_boot_init(&b, &cfg) != 0)
        FAIL(l, "init");
    int err = bw_boot_run(&b, &res);
    if (err == BW_EIO)
        return 0; /* power cut during the boot itself */
    if (err != 0 || bw_boot_go(&res) != BW_BOOT_GO)
        FAIL(l, "no bootable image");
    int img = which_image(r, res.flash_off);
    if (img == 0)
        FAIL(l, "booted bytes are neither A nor B");
    if (r->sim.violations != 0)
        FAIL(l, "NOR violation");
    int unconfirmed_b = img == 'B' && !res.confirmed;
    if (r->counter >= 2 && !l->confirm_called && !l->perm_requested)
        FAIL(l, "counter advanced for an unconfirmed image");
    if (img == 'B' && res.confirmed && !l->confirm_called && !l->perm_requested)
        FAIL(l, "B confirmed without confirm");
    l->last = (char)img;
    if (seq == SEQ_REVERT) {
        if (unconfirmed_b && ++l->b_test_boots > 1)
            FAIL(l, "unconfirmed B booted twice");
        if (img == 'A' && l->b_test_boots > 0)
            return 1;
        if (img == 'A') {
            bw_boot_status_t st;
            if (bw_boot_status(&b, &st) != 0)
                return 0;
            if (st.primary == BW_BOOT_PRIMARY_REVERTED)
                return 1; /* reverted before B's first boot could run */
            FAIL(l, "A booted before the swap");
        }
        return 0; /* B booted, not confirmed: reboot */
    }
    if (img == 'B' && res.confirmed)
        return 1;
    if (img == 'B') {
        l->confirm_called = 1;
        (void)bw_boot_confirm(&b); /* a cut here is just a reboot */
        return 0;
    }
    /* A runs: (re)download B and mark it pending. */
    if (download(r, &b, r->b) != 0)
        return 0;
    if (seq == SEQ_PERM)
        l->perm_requested = 1;
    (void)bw_boot_set_pending(&b, seq == SEQ_PERM);
    return 0;
}

/* Final checks once the sequence ended. */
static int check_final(rig_t *r, seq_t seq, life_t *l)
{
    bw_boot_t b;
    bw_boot_config_t cfg;
    bw_boot_result_t res;
    bw_boot_status_t st;
    rig_config(r, &cfg);
    /* One more boot changes nothing and boots the same image. */
    uint64_t ops = r->sim.ops;
    if (bw_boot_init(&b, &cfg) != 0 || bw_boot_run(&b, &res) != 0)
        FAIL(l, "final boot");
    if (r->sim.ops != ops)
        FAIL(l, "settled state still writes flash");
    if (which_image(r, res.flash_off) != l->last)
        FAIL(l, "final boot changed image");
    if (bw_boot_status(&b, &st) != 0 || st.secondary != BW_BOOT_SECONDARY_NONE)
        FAIL(l, "secondary trailer not clean");
    /* The other image sits where swap-offset leaves it. */
    if (seq == SEQ_REVERT) {
        if (l->last != 'A' || r->counter != 1 ||
            st.primary != BW_BOOT_PRIMARY_REVERTED)
            FAIL(l, "revert did not end on A");
        if (which_image(r, r->g->s_off + r->g->unit) != 'B')
            FAIL(l, "B not back at the download offset");
    } else {
        if (l->last != 'B' || r->counter != 2 || !res.confirmed)
            FAIL(l, "update did not end on B confirmed");
        if (which_image(r, r->g->s_off) != 'A')
            FAIL(l, "A not kept in the secondary");
    }
    return 0;
}

static int run_sequence(rig_t *r, seq_t seq, life_t *l, uint64_t second_cut)
{
    memset(l, 0, sizeof *l);
    int armed_second = second_cut == 0;
    for (int i = 0; i < MAX_LIFECYCLE; i++) {
        int rc = lifecycle_step(r, seq, l);
        if (rc < 0)
            return -1;
        if (r->sim.dead) {
            bw_flashsim_reboot(&r->sim);
            if (!armed_second) {
                /* Cut the recovery too, a few operations in. */
                bw_flashsim_arm(&r->sim, r->sim.ops + second_cut,
                                BW_FLASHSIM_CUT_TORN, (uint32_t)second_cut);
                armed_second = 1;
            }
            continue;
        }
        if (rc == 1)
            return check_final(r, seq, l);
    }
    l->why = "no progress";
    return -1;
}

typedef struct {
    unsigned long points;
    unsigned long bricks;
} tally_t;

static void prepare(rig_t *r, seq_t seq, hist_t hist)
{
    rig_factory(r, hist);
    if (seq == SEQ_REVERT) {
        bw_boot_t b;
        bw_boot_config_t cfg;
        rig_config(r, &cfg);
        assert_int_equal(bw_boot_init(&b, &cfg), 0);
        assert_int_equal(download(r, &b, r->b), 0);
        assert_int_equal(bw_boot_set_pending(&b, 0), 0);
    }
    rig_save(r);
}

/* Erases per sector in [off, off + size) during the run: min and max. */
static void wear_range(rig_t *r, const uint32_t *before, uint32_t off,
                       uint32_t size, uint32_t *lo, uint32_t *hi)
{
    *lo = UINT32_MAX;
    *hi = 0;
    for (uint32_t pos = off; pos < off + size;) {
        long i = bw_flashsim_sector_index(&r->sim, pos);
        assert_true(i >= 0);
        uint32_t n = r->sim.sector_erases[i] - before[i];
        *lo = n < *lo ? n : *lo;
        *hi = n > *hi ? n : *hi;
        pos += r->sim.sector_size[i];
    }
}

/*
 * Wear of one uninterrupted sequence: erases per sector of the units the
 * images occupy and of each trailer (the download's own erase included).
 */
static void print_wear(rig_t *r, const char *name, const uint32_t *before)
{
    const geom_t *g = r->g;
    uint32_t used = (uint32_t)((r->b->len + g->unit - 1) / g->unit);
    uint32_t pl, ph, sl, sh, ptl, pth, stl, sth;
    wear_range(r, before, g->p_off, used * g->unit, &pl, &ph);
    wear_range(r, before, g->s_off, (used + 1) * g->unit, &sl, &sh);
    wear_range(r, before, g->p_off + g->units * g->unit,
               g->p_size - g->units * g->unit, &ptl, &pth);
    wear_range(r, before, g->s_off + (g->units + 1) * g->unit,
               g->s_size - (g->units + 1) * g->unit, &stl, &sth);
    printf("wear %-14s %-7s erases/sector: primary units %u-%u, "
           "secondary units %u-%u, primary trailer %u-%u, secondary "
           "trailer %u-%u\n",
           g->name, name, pl, ph, sl, sh, ptl, pth, stl, sth);
}

static void run_geometry(const geom_t *g, seq_t seq, hist_t hist, tally_t *t,
                         int full)
{
    static const char *names[] = {"update", "revert", "perm"};
    rig_t r;
    life_t l;
    rig_init(&r, g);
    prepare(&r, seq, hist);
    /* Count the operations (and the wear) of an uninterrupted run. */
    rig_restore(&r);
    uint32_t before[40];
    memcpy(before, r.sim.sector_erases, r.sim.n_sectors * sizeof *before);
    assert_int_equal(run_sequence(&r, seq, &l, 0), 0);
    uint64_t total = r.sim.ops;
    if (hist == HIST_USED)
        print_wear(&r, names[seq], before);
    uint32_t sample = full ? 1 : g->sample;
    unsigned long points = 0, bricks = 0;
    for (uint64_t op = 1; op <= total; op++) {
        if (sample > 1 && op % sample != 0 && op != total)
            continue;
        for (int mode = BW_FLASHSIM_CUT_BEFORE; mode <= BW_FLASHSIM_CUT_AFTER;
             mode++) {
            rig_restore(&r);
            bw_flashsim_arm(&r.sim, op, (bw_flashsim_cut_t)mode,
                            (uint32_t)(op * 7 + (uint64_t)mode));
            /* Every 5th point also cuts the recovery run. */
            uint64_t second = op % 5 == 0 ? 1 + op % 13 : 0;
            points++;
            if (run_sequence(&r, seq, &l, second) != 0) {
                bricks++;
                if (bricks <= 5)
                    printf("BRICK %s %s %s op %llu mode %d: %s\n", g->name,
                           names[seq], hist ? "used" : "fresh",
                           (unsigned long long)op, mode, l.why);
            }
        }
    }
    printf("%-14s %-7s %-5s ops %3llu  cut points %5lu  bricks %lu\n", g->name,
           names[seq], hist ? "used" : "fresh", (unsigned long long)total,
           points, bricks);
    t->points += points;
    t->bricks += bricks;
    rig_free(&r);
}

/*
 * Every cut point of the three sequences in the three geometries must
 * leave a device that boots a verified image and ends in the expected
 * state: bricks must be 0.
 */
static void test_powercut_all(void **state)
{
    (void)state;
    const char *env = getenv("BW_POWERCUT_FULL");
    int full = env != NULL && env[0] == '1';
    const geom_t *geoms[] = {&geom_4k, &geom_128k, &geom_mixed};
    tally_t t = {0, 0};
    for (size_t gi = 0; gi < 3; gi++)
        for (int s = SEQ_UPDATE; s <= SEQ_PERM; s++)
            for (int h = HIST_FRESH; h <= HIST_USED; h++)
                run_geometry(geoms[gi], (seq_t)s, (hist_t)h, &t, full);
    printf("power-cut: %lu cut points (sum over 3 geometries, %s), "
           "bricks %lu\n",
           t.points, full ? "exhaustive" : "sampled", t.bricks);
    assert_int_equal(t.bricks, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_powercut_all),
    };
    return cmocka_run_group_tests(tests, make_images, free_images);
}
