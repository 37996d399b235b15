/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot core on a simulated 4 KB-sector flash with the images MCUboot's
 * imgtool signed (tests/data/mcuboot): configuration checks, the boot
 * decision for each state, test/confirm/revert, permanent updates (also
 * through imgtool's own padded trailer), anti-rollback, safe mode, and the
 * hardened go value.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bulwark/boot.h"
#include "flashsim.h"
/* One test plants a single trailer flag, which only the internals name. */
#include "../../lib/boot/boot_int.h"
#include "testutil.h"

/* 63 units of 4 KB + a 4 KB trailer; the secondary has one unit more. */
#define SEC    4096u
#define UNITS  63u
#define P_SIZE ((UNITS + 1u) * SEC)
#define S_OFF  P_SIZE
#define S_SIZE ((UNITS + 2u) * SEC)
#define N_SECT (2u * UNITS + 3u)

typedef struct {
    bw_flashsim_t sim;
    uint32_t counter;
    int recoveries;
    int last_reason;
    uint8_t der[2][128];
    bw_image_key_t keys[2];
    bw_boot_config_t cfg;
    bw_boot_t b;
} rig_t;

static size_t load_key(const char *name, uint8_t *der)
{
    uint8_t *pem;
    size_t len = bw_test_read_file(name, &pem);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    assert_non_null(bio);
    EVP_PKEY *pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    if (pk == NULL) { /* the files hold private keys */
        BIO_free(bio);
        bio = BIO_new_mem_buf(pem, (int)len);
        pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    }
    assert_non_null(pk);
    uint8_t *q = der;
    int n = i2d_PUBKEY(pk, &q);
    assert_true(n > 0 && n <= 128);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    free(pem);
    return (size_t)n;
}

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
    r->recoveries++;
    r->last_reason = reason;
}

static int setup(void **state)
{
    rig_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    uint32_t sizes[N_SECT];
    bw_flashsim_uniform(sizes, N_SECT, SEC);
    assert_int_equal(bw_flashsim_init(&r->sim, sizes, N_SECT, 4, 0xff), 0);
    r->keys[0] = (bw_image_key_t){BW_IMAGE_KEY_ECDSA_P256, r->der[0],
                                  load_key("mcuboot/ec256.pem", r->der[0])};
    r->keys[1] = (bw_image_key_t){BW_IMAGE_KEY_ED25519, r->der[1],
                                  load_key("mcuboot/ed25519.pem", r->der[1])};
    const bw_flash_t *dev = bw_flashsim_dev(&r->sim);
    r->cfg.primary = (bw_flash_area_t){dev, 0, P_SIZE};
    r->cfg.secondary = (bw_flash_area_t){dev, S_OFF, S_SIZE};
    r->cfg.unit_size = SEC;
    r->cfg.units = UNITS;
    r->cfg.keys = r->keys;
    r->cfg.n_keys = 2;
    r->cfg.counter = (bw_boot_counter_t){counter_read, counter_advance, r};
    r->cfg.recovery = recovery;
    r->cfg.recovery_ctx = r;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    rig_t *r = *state;
    bw_flashsim_free(&r->sim);
    free(r);
    return 0;
}

/* Put a data file into the flash at a device offset, as a programmer. */
static void flash_file(rig_t *r, const char *name, uint32_t off)
{
    uint8_t *data;
    size_t len = bw_test_read_file(name, &data);
    bw_flashsim_poke(&r->sim, off, data, len);
    free(data);
}

/* Download through the API: erase the secondary, write name there. */
static void download(rig_t *r, const char *name)
{
    bw_flash_area_t dl;
    uint8_t *data;
    size_t len = bw_test_read_file(name, &data);
    assert_int_equal(bw_boot_init(&r->b, &r->cfg), 0);
    assert_int_equal(bw_boot_erase_secondary(&r->b), 0);
    assert_int_equal(bw_boot_download_area(&r->b, &dl), 0);
    assert_int_equal(dl.off, S_OFF + SEC);
    size_t wlen = (len + 3u) & ~(size_t)3u;
    uint8_t *padded = malloc(wlen);
    assert_non_null(padded);
    memset(padded, 0xff, wlen);
    memcpy(padded, data, len);
    assert_int_equal(bw_flash_write(&dl, 0, padded, wlen), 0);
    free(padded);
    free(data);
}

/* Download name and mark it pending, for good or for a test. */
static void stage(rig_t *r, const char *name, int permanent)
{
    download(r, name);
    assert_int_equal(bw_boot_set_pending(&r->b, permanent), 0);
}

/* One boot; returns bw_boot_run's code, res filled. */
static int boot(rig_t *r, bw_boot_result_t *res)
{
    assert_int_equal(bw_boot_init(&r->b, &r->cfg), 0);
    return bw_boot_run(&r->b, res);
}

/* Factory state: image name in the primary slot, booted once. */
static void factory_boot(rig_t *r, const char *name, bw_boot_result_t *res)
{
    flash_file(r, name, 0);
    assert_int_equal(boot(r, res), 0);
}

static bw_boot_status_t status(rig_t *r)
{
    bw_boot_status_t st;
    assert_int_equal(bw_boot_init(&r->b, &r->cfg), 0);
    assert_int_equal(bw_boot_status(&r->b, &st), 0);
    return st;
}

/* Misconfigurations are refused with a specific code. */
static void test_init_errors(void **state)
{
    rig_t *r = *state;
    bw_boot_t b;
    bw_boot_config_t c = r->cfg;
    assert_int_equal(bw_boot_init(&b, &c), 0);
    bw_assert_err(bw_boot_init(NULL, &c), BW_EINVAL);
    bw_assert_err(bw_boot_init(&b, NULL), BW_EINVAL);
    c.n_keys = 0;
    bw_assert_err(bw_boot_init(&b, &c), BW_EINVAL);
    c = r->cfg;
    c.counter.advance = NULL;
    bw_assert_err(bw_boot_init(&b, &c), BW_EINVAL);
    c = r->cfg;
    c.units = 0;
    bw_assert_err(bw_boot_init(&b, &c), BW_EINVAL);
    /* No room left for a trailer. */
    c = r->cfg;
    c.units = UNITS + 1u;
    bw_assert_err(bw_boot_init(&b, &c), BW_ERANGE);
    /* A unit that is not whole sectors. */
    c = r->cfg;
    c.unit_size = 6144;
    c.units = 40;
    bw_assert_err(bw_boot_init(&b, &c), BW_EALIGN);
    /* A secondary starting mid-sector. */
    c = r->cfg;
    c.secondary.off += 1024;
    c.secondary.size -= 1024;
    bw_assert_err(bw_boot_init(&b, &c), BW_EALIGN);
    /* Trailer too small for the records of this many units: 2 KB units
     * cannot be used with these sectors, so shrink through a tiny device. */
    bw_flashsim_t tiny;
    uint32_t sizes[7];
    bw_flashsim_uniform(sizes, 7, 64);
    assert_int_equal(bw_flashsim_init(&tiny, sizes, 7, 4, 0xff), 0);
    c = r->cfg;
    c.primary = (bw_flash_area_t){bw_flashsim_dev(&tiny), 0, 192};
    c.secondary = (bw_flash_area_t){bw_flashsim_dev(&tiny), 192, 256};
    c.unit_size = 64;
    c.units = 2;
    bw_assert_err(bw_boot_init(&b, &c), BW_ENOSPC);
    bw_flashsim_free(&tiny);
    /* Erased value 0x5a is not a flash this core knows. */
    c = r->cfg;
    r->sim.dev.erased_val = 0x5a;
    bw_assert_err(bw_boot_init(&b, &c), BW_EINVAL);
    r->sim.dev.erased_val = 0xff;
}

/*
 * A factory image boots as confirmed: GO, its header and counter are
 * reported, the counter is stored; a second run on the same context is
 * refused.
 */
static void test_factory_boot(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    factory_boot(r, "mcuboot/ec256-v1.2.3-sc7.bin", &res);
    assert_int_equal(bw_boot_go(&res), BW_BOOT_GO);
    assert_int_equal(res.flash_off, 0);
    assert_int_equal(res.image.hdr.version.major, 1);
    assert_int_equal(res.image.hdr.version.minor, 2);
    assert_int_equal(res.image.hdr.version.revision, 3);
    assert_int_equal(res.image.sec_cnt, 7);
    assert_int_equal(res.swap, BW_BOOT_SWAP_NONE);
    assert_true(res.confirmed);
    assert_int_equal(r->counter, 7);
    bw_assert_err(bw_boot_run(&r->b, &res), BW_ESTATE);
    assert_int_equal(bw_boot_go(&res), BW_BOOT_NO_GO);
    assert_int_equal(r->sim.writes + r->sim.erases, 0); /* nothing written */
}

/* Safe mode: nothing valid anywhere means NO_GO and the recovery hook. */
static void test_safe_mode(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    bw_assert_err(boot(r, &res), BW_EMAGIC); /* empty flash */
    assert_int_equal(bw_boot_go(&res), BW_BOOT_NO_GO);
    assert_int_equal(r->recoveries, 1);
    assert_int_equal(r->last_reason, BW_EMAGIC);
    flash_file(r, "mcuboot/tampered-payload.bin", 0);
    bw_assert_err(boot(r, &res), BW_EHASH);
    assert_int_equal(r->last_reason, BW_EHASH);
    flash_file(r, "mcuboot/untrusted-key-v3.0.0.bin", 0);
    bw_assert_err(boot(r, &res), BW_EKEY);
    assert_int_equal(r->recoveries, 3);
    assert_int_equal(bw_boot_go(&res), BW_BOOT_NO_GO);
}

/*
 * Anti-rollback at boot: a primary image whose counter is below the stored
 * one never boots; an image without a counter counts as 0.
 */
static void test_rollback_primary(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    flash_file(r, "mcuboot/ec256-v1.2.3-sc7.bin", 0);
    r->counter = 8;
    bw_assert_err(boot(r, &res), BW_EROLLBACK);
    assert_int_equal(r->last_reason, BW_EROLLBACK);
    assert_int_equal(bw_boot_go(&res), BW_BOOT_NO_GO);
    assert_int_equal(r->counter, 8);
    flash_file(r, "mcuboot/ed25519-v0.9.0-nosc-align8.bin", 0);
    r->counter = 0;
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.image.has_sec_cnt, 0);
    r->counter = 1;
    bw_assert_err(boot(r, &res), BW_EROLLBACK);
}

/*
 * Test update and confirm: the first boot after set_pending(0) swaps and
 * boots the new image unconfirmed (counter unchanged); confirm; the next
 * boot stores the new counter and the old image sits in the secondary at
 * offset 0.
 */
static void test_update_confirm(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    factory_boot(r, "mcuboot/ec256-v1.2.3-sc7.bin", &res);
    stage(r, "mcuboot/ec256-v2.0.0-sc8.bin", 0);
    assert_int_equal(status(r).secondary, BW_BOOT_SECONDARY_PENDING);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_TEST);
    assert_int_equal(res.image.sec_cnt, 8);
    assert_false(res.confirmed);
    assert_int_equal(r->counter, 7);
    bw_boot_status_t st = status(r);
    assert_int_equal(st.primary, BW_BOOT_PRIMARY_TEST);
    assert_int_equal(st.secondary, BW_BOOT_SECONDARY_NONE);
    /* While unconfirmed, the secondary is the revert copy: hands off. */
    bw_assert_err(bw_boot_set_pending(&r->b, 0), BW_ESTATE);
    bw_assert_err(bw_boot_erase_secondary(&r->b), BW_ESTATE);
    assert_int_equal(bw_boot_confirm(&r->b), 0);
    assert_int_equal(bw_boot_confirm(&r->b), 0); /* no second write */
    assert_int_equal(status(r).primary, BW_BOOT_PRIMARY_NONE);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_NONE);
    assert_true(res.confirmed);
    assert_int_equal(res.image.sec_cnt, 8);
    assert_int_equal(r->counter, 8);
    /* The old image is intact at the secondary's start. */
    bw_flash_area_t old = {bw_flashsim_dev(&r->sim), S_OFF, UNITS * SEC};
    bw_image_info_t info;
    assert_int_equal(
        bw_image_verify(&old, r->keys, 2, r->b.buf, sizeof r->b.buf, &info), 0);
    assert_int_equal(info.sec_cnt, 7);
    assert_int_equal(r->sim.violations, 0);
}

/*
 * Test update without confirm: the second boot reverts to the old image,
 * the counter never moves, the state is REVERTED, the new image is back
 * at the download offset, and a third boot does nothing.
 */
static void test_update_revert(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    factory_boot(r, "mcuboot/ec256-v1.2.3-sc7.bin", &res);
    stage(r, "mcuboot/ec256-v2.0.0-sc8.bin", 0);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.image.sec_cnt, 8);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_REVERT);
    assert_int_equal(res.image.sec_cnt, 7);
    assert_true(res.confirmed);
    assert_int_equal(r->counter, 7);
    assert_int_equal(status(r).primary, BW_BOOT_PRIMARY_REVERTED);
    bw_flash_area_t dl;
    bw_image_info_t info;
    assert_int_equal(bw_boot_download_area(&r->b, &dl), 0);
    assert_int_equal(
        bw_image_verify(&dl, r->keys, 2, r->b.buf, sizeof r->b.buf, &info), 0);
    assert_int_equal(info.sec_cnt, 8);
    uint64_t ops = r->sim.ops;
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_NONE);
    assert_int_equal(res.image.sec_cnt, 7);
    assert_int_equal(r->sim.ops, ops);
    /* Confirm in the reverted state changes nothing either. */
    assert_int_equal(bw_boot_confirm(&r->b), 0);
    assert_int_equal(r->sim.ops, ops);
    /* The same update can be set pending again without a download. */
    assert_int_equal(bw_boot_set_pending(&r->b, 1), 0);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_PERM);
    assert_int_equal(r->counter, 8);
}

/*
 * A pending image below the stored counter is refused before anything
 * moves: the pending marker is erased and the current image boots.
 */
static void test_rollback_pending(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    factory_boot(r, "mcuboot/ec256-v2.0.0-sc8.bin", &res);
    assert_int_equal(r->counter, 8);
    /* An older image pending for good, then a tampered one pending for a
     * test: both refused the same way. */
    static const struct {
        const char *file;
        int permanent;
    } refused[] = {
        {"mcuboot/ec256-v1.2.3-sc7.bin", 1},
        {"mcuboot/tampered-seccnt.bin", 0},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        stage(r, refused[i].file, refused[i].permanent);
        assert_int_equal(boot(r, &res), 0);
        assert_int_equal(res.swap, BW_BOOT_SWAP_NONE);
        assert_int_equal(res.image.sec_cnt, 8);
        assert_int_equal(status(r).secondary, BW_BOOT_SECONDARY_NONE);
    }
    assert_int_equal(r->recoveries, 0);
}

/*
 * imgtool's own padded, confirmed image (--pad --confirm) written whole at
 * the download offset is a permanent update: its trailer matches ours.
 * The counter is stored on the first boot, no confirm needed.
 */
static void test_imgtool_padded_permanent(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    factory_boot(r, "mcuboot/ec256-v1.2.3-sc7.bin", &res);
    assert_int_equal(bw_boot_erase_secondary(&r->b), 0);
    flash_file(r, "mcuboot/ed25519-v1.2.3-auto-padded-confirmed.bin",
               S_OFF + SEC);
    bw_boot_status_t st = status(r);
    assert_int_equal(st.secondary, BW_BOOT_SECONDARY_PENDING);
    assert_true(st.pending_permanent);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_PERM);
    assert_true(res.confirmed);
    assert_int_equal(res.image.sec_cnt, 0x01020003u);
    assert_int_equal(r->counter, 0x01020003u);
    assert_int_equal(status(r).primary, BW_BOOT_PRIMARY_PERM);
}

/*
 * set_pending: refuses an empty download area, is idempotent, can be
 * raised from test to permanent in place, and rewrites a torn trailer.
 */
static void test_set_pending(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    factory_boot(r, "mcuboot/ec256-v1.2.3-sc7.bin", &res);
    bw_assert_err(bw_boot_set_pending(&r->b, 0), BW_EMAGIC);
    stage(r, "mcuboot/ec256-v2.0.0-sc8.bin", 0);
    uint64_t ops = r->sim.ops;
    assert_int_equal(bw_boot_set_pending(&r->b, 0), 0);
    assert_int_equal(r->sim.ops, ops);
    assert_false(status(r).pending_permanent);
    assert_int_equal(bw_boot_set_pending(&r->b, 1), 0);
    assert_int_equal(r->sim.ops, ops + 1); /* just image_ok */
    assert_true(status(r).pending_permanent);
    /* Back to test needs an erase of the trailer, then both writes. */
    assert_int_equal(bw_boot_set_pending(&r->b, 0), 0);
    assert_false(status(r).pending_permanent);
    /* A torn magic: JUNK; set_pending cleans it and writes again. */
    uint8_t half[8] = {0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f};
    assert_int_equal(bw_boot_erase_secondary(&r->b), 0);
    download(r, "mcuboot/ec256-v2.0.0-sc8.bin");
    bw_flashsim_poke(&r->sim, S_OFF + S_SIZE - 16, half, sizeof half);
    assert_int_equal(status(r).secondary, BW_BOOT_SECONDARY_JUNK);
    assert_int_equal(bw_boot_set_pending(&r->b, 0), 0);
    assert_int_equal(status(r).secondary, BW_BOOT_SECONDARY_PENDING);
    assert_int_equal(r->sim.violations, 0);
}

/*
 * Trailers the core did not write: junk in the secondary trailer is
 * erased at boot; START slots that are all torn make the update be
 * dropped (nothing moved yet) rather than guessed at.
 */
static void test_junk_trailers(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    uint8_t junk[64];
    factory_boot(r, "mcuboot/ec256-v1.2.3-sc7.bin", &res);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37u + 1u);
    bw_flashsim_poke(&r->sim, S_OFF + S_SIZE - SEC + 100, junk, sizeof junk);
    assert_int_equal(status(r).secondary, BW_BOOT_SECONDARY_JUNK);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.image.sec_cnt, 7);
    assert_int_equal(status(r).secondary, BW_BOOT_SECONDARY_NONE);
    /* Four torn START records (16-byte entries at the trailer start). */
    stage(r, "mcuboot/ec256-v2.0.0-sc8.bin", 0);
    bw_flashsim_poke(&r->sim, S_OFF + S_SIZE - SEC, junk, 64);
    assert_int_equal(status(r).secondary, BW_BOOT_SECONDARY_JUNK);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_NONE);
    assert_int_equal(res.image.sec_cnt, 7);
    /* Three torn ones leave a slot: the update goes through. */
    stage(r, "mcuboot/ec256-v2.0.0-sc8.bin", 0);
    bw_flashsim_poke(&r->sim, S_OFF + S_SIZE - SEC, junk, 48);
    assert_int_equal(status(r).secondary, BW_BOOT_SECONDARY_PENDING);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_TEST);
    assert_int_equal(res.image.sec_cnt, 8);
}

/*
 * A revert whose target does not verify (the secondary was overwritten)
 * does not happen: the unconfirmed image keeps booting, unconfirmed.
 */
static void test_revert_target_invalid(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    factory_boot(r, "mcuboot/ec256-v1.2.3-sc7.bin", &res);
    stage(r, "mcuboot/ec256-v2.0.0-sc8.bin", 0);
    assert_int_equal(boot(r, &res), 0);
    uint8_t zero[4] = {0, 0, 0, 0};
    bw_flashsim_poke(&r->sim, S_OFF + 600, zero, sizeof zero);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_NONE);
    assert_int_equal(res.image.sec_cnt, 8);
    assert_false(res.confirmed);
    assert_int_equal(r->counter, 7);
    assert_int_equal(status(r).primary, BW_BOOT_PRIMARY_TEST);
}

/*
 * The rarest recovery path: power failed at the DONE write and the four
 * DONE slots are all torn.  The core erases the primary trailer (which
 * holds nothing else yet), writes DONE again and boots the new image.
 */
static void test_done_slots_all_torn(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    factory_boot(r, "mcuboot/ec256-v1.2.3-sc7.bin", &res);
    stage(r, "mcuboot/ec256-v2.0.0-sc8.bin", 0);
    /* Learn the number of operations of the swapping boot. */
    uint8_t *saved = malloc(r->sim.dev.size);
    assert_non_null(saved);
    memcpy(saved, r->sim.mem, r->sim.dev.size);
    bw_flashsim_reset_ops(&r->sim);
    assert_int_equal(boot(r, &res), 0);
    uint64_t total = r->sim.ops;
    memcpy(r->sim.mem, saved, r->sim.dev.size);
    free(saved);
    /* The last two operations are the DONE write and the trailer erase. */
    bw_flashsim_reset_ops(&r->sim);
    bw_flashsim_arm(&r->sim, total - 1u, BW_FLASHSIM_CUT_BEFORE, 0);
    bw_assert_err(boot(r, &res), BW_EIO);
    bw_flashsim_reboot(&r->sim);
    uint8_t junk[64];
    memset(junk, 0x42, sizeof junk);
    bw_flashsim_poke(&r->sim, P_SIZE - SEC, junk, sizeof junk);
    assert_int_equal(status(r).secondary, BW_BOOT_SECONDARY_SWAPPING);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_TEST);
    assert_int_equal(res.image.sec_cnt, 8);
    bw_boot_status_t st = status(r);
    assert_int_equal(st.primary, BW_BOOT_PRIMARY_TEST);
    assert_int_equal(st.secondary, BW_BOOT_SECONDARY_NONE);
    assert_int_equal(r->sim.violations, 0);
    /* A garbled image_ok cannot be confirmed over: refused. */
    uint8_t bad = 0x55;
    bw_flashsim_poke(&r->sim, P_SIZE - 24, &bad, 1);
    bw_assert_err(bw_boot_confirm(&r->b), BW_EMALFORMED);
}

/*
 * Tried: after a test swap, a lone REVERT_DONE flag in the primary trailer
 * (corruption: the bootloader writes it only after REVERT_START).  Must
 * hold: the image still reads as an unconfirmed test image, so the next
 * boot reverts to the old one and the stored counter never takes the test
 * image's value.
 */
static void test_lone_revert_done(void **state)
{
    rig_t *r = *state;
    bw_boot_result_t res;
    factory_boot(r, "mcuboot/ec256-v1.2.3-sc7.bin", &res);
    stage(r, "mcuboot/ec256-v2.0.0-sc8.bin", 0);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_TEST);
    assert_false(res.confirmed);
    assert_int_equal(bw_boot_init(&r->b, &r->cfg), 0);
    assert_int_equal(bw_boot__flag_set(&r->b, BOOT_SLOT_PRIMARY,
                                       BOOT_IDX_RDONE(r->cfg.units)),
                     0);
    assert_int_equal(status(r).primary, BW_BOOT_PRIMARY_TEST);
    assert_int_equal(boot(r, &res), 0);
    assert_int_equal(res.swap, BW_BOOT_SWAP_REVERT);
    assert_int_equal(res.image.sec_cnt, 7);
    assert_int_equal(r->counter, 7);
    assert_int_equal(r->sim.violations, 0);
}

/* The go check wants both copies to agree; anything else is NO_GO. */
static void test_go_hardening(void **state)
{
    (void)state;
    bw_boot_result_t res;
    memset(&res, 0, sizeof res);
    assert_int_equal(bw_boot_go(NULL), BW_BOOT_NO_GO);
    assert_int_equal(bw_boot_go(&res), BW_BOOT_NO_GO);
    res.go = BW_BOOT_GO;
    assert_int_equal(bw_boot_go(&res), BW_BOOT_NO_GO);
    res.go_inv = ~BW_BOOT_GO;
    assert_int_equal(bw_boot_go(&res), BW_BOOT_GO);
    res.go ^= 0x10u; /* one flipped bit */
    assert_int_equal(bw_boot_go(&res), BW_BOOT_NO_GO);
    res.go = 1;
    res.go_inv = ~1u;
    assert_int_equal(bw_boot_go(&res), BW_BOOT_NO_GO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_factory_boot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_safe_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_primary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_confirm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_revert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_imgtool_padded_permanent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_junk_trailers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revert_target_invalid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_done_slots_all_torn, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lone_revert_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_go_hardening, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
