/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware update and the bootloader: the environment bulwark-boot gives
 * the application, the checks a downloaded package must pass, Execute
 * Update, and what a start finds.
 *
 * Under bulwark-boot (BW_FLASH set) the flash image, slot layout, trusted
 * keys (BW_BOOT_KEYS) and the stored security counter (BW_BOOT_COUNTER,
 * opened read-only: only the bootloader advances it) are read through
 * boot_cfg.c, as bulwark-bootctl reads them.  Without that environment,
 * firmware update is not available: a Package URI fails at once with
 * Update Result 2 and a log line saying why.
 *
 * The update, across the reboot (fota-seams: device side):
 *
 *   DOWNLOADED --Execute /5/0/2--> set_pending(test), "fw/update" =
 *        target version, exit with the reboot code; bulwark-boot swaps
 *   start, running == target, BW_BOOT_CONFIRMED=0: health check: register
 *        within --health-timeout -> bw_boot_confirm(), Update Result 1,
 *        IDLE; else exit with the reboot code unconfirmed (reverted)
 *   start, running != target: reverted: Update Result 8, DOWNLOADED (the
 *        package is back in the download area)
 *
 * Fleet (--fleet N --flash-dir DIR): each context has its own flash file
 * and counter file, and a reboot runs the bootloader core in this process
 * (bw_boot_run) instead of exiting: a simulation for load tests, the
 * payload is never executed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

static void version_str(const bw_image_version_t *v, char *out, size_t cap)
{
    snprintf(out, cap, "%u.%u.%u+%" PRIu32, v->major, v->minor, v->revision,
             v->build_num);
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* The fleet context's settings: its own flash and counter files. */
static int fleet_cfg(agent_dev_t *d, char *err, size_t cap)
{
    agent_t *a = d->app;
    bw_bootcfg_t *c = &d->fwu.cfg;
    char path[BW_BOOTCFG_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.flash", a->flash_dir, d->ep);
    if (bw_bootcfg_set(c, "flash", path, err, cap) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s.counter", a->flash_dir, d->ep);
    if (bw_bootcfg_set(c, "counter", path, err, cap) != 0)
        return -1;
    if (bw_bootcfg_set(c, "geometry",
                       a->flash_geometry != NULL ? a->flash_geometry
                                                 : AGENT_FW_FLEET_GEOMETRY,
                       err, cap) != 0)
        return -1;
    bw_bootcfg_new_source(c);
    for (size_t i = 0; i < a->n_boot_keys; i++)
        if (bw_bootcfg_set(c, "key", a->boot_keys[i], err, cap) != 0)
            return -1;
    return 0;
}

void agent_fw_open(agent_dev_t *d)
{
    agent_fw_t *f = &d->fwu;
    char err[256];
    f->udp.fd = -1;
    f->deadline = UINT64_MAX;
    bw_bootcfg_init(&f->cfg);
    f->fleet = d->app->flash_dir != NULL;
    if (!f->fleet && getenv("BW_FLASH") == NULL) {
        copy(f->why, sizeof f->why,
             "not running under bulwark-boot (BW_FLASH is not set)");
        return;
    }
    if ((f->fleet && fleet_cfg(d, err, sizeof err) != 0) ||
        bw_bootcfg_open(&f->cfg, f->fleet, !f->fleet, err, sizeof err) != 0) {
        /* err can be longer than why: cut it, on purpose. */
        size_t n = strlen(err);
        memcpy(f->why, err, n < sizeof f->why ? n : sizeof f->why - 1);
        f->why[n < sizeof f->why ? n : sizeof f->why - 1] = '\0';
        agent_log(d, "firmware update not available: %s", f->why);
        bw_bootcfg_close(&f->cfg);
        return;
    }
    const char *nosync = getenv("BW_FLASH_NOSYNC");
    if (f->fleet || (nosync != NULL && strcmp(nosync, "1") == 0))
        f->cfg.flash_dev.sync = 0;
    /* Fault injection for tests: a power cut of the device itself. */
    const char *crash = getenv("BW_DEVICE_CRASH_AT_OP");
    if (!f->fleet && crash != NULL)
        f->cfg.flash_dev.crash_at_op = strtoull(crash, NULL, 10);
    int e = bw_boot_init(&f->boot, &f->cfg.boot);
    if (e == 0)
        e = bw_boot_download_area(&f->boot, &f->dl);
    if (e != 0) {
        snprintf(f->why, sizeof f->why, "the slot layout: %s", bw_strerror(e));
        agent_log(d, "firmware update not available: %s", f->why);
        bw_bootcfg_close(&f->cfg);
        return;
    }
    f->available = 1;
    if (f->fleet)
        agent_fw_fleet_boot(d); /* what the flash file boots now */
    else {
        copy(f->running, sizeof f->running, getenv("BW_BOOT_VERSION"));
        const char *c = getenv("BW_BOOT_CONFIRMED");
        f->test_boot = c != NULL && strcmp(c, "0") == 0;
    }
}

void agent_fw_close(agent_dev_t *d)
{
    agent_fw_get_stop(d);
    bw_bootcfg_close(&d->fwu.cfg);
}

const char *agent_fw_version(const agent_dev_t *d)
{
    return d->fwu.running[0] != '\0' ? d->fwu.running : d->app->fw_version;
}

int agent_fw_may_register(const agent_dev_t *d)
{
    return !(d->fwu.health && d->app->fail_health);
}

/* Show a verified package: /5/0/6, /5/0/7. */
static void show_package(agent_dev_t *d, const char *name, const char *ver)
{
    agent_fw_t *f = &d->fwu;
    copy(f->pkg_name, sizeof f->pkg_name, name);
    copy(f->pkg_version, sizeof f->pkg_version, ver);
    (void)bw_lwm2m_fw_set_package_info(
        &d->fw, f->pkg_name[0] ? f->pkg_name : NULL,
        f->pkg_version[0] ? f->pkg_version : NULL);
}

/* A record of Execute Update: the update took, or it was reverted. */
static int after_update(agent_dev_t *d, const char *target, uint64_t now)
{
    agent_fw_t *f = &d->fwu;
    if (strcmp(f->running, target) == 0 && f->test_boot) {
        f->health = 1;
        f->health_deadline = now + d->app->health_ms;
        copy(f->target, sizeof f->target, target);
        agent_log(d,
                  "test boot of %s: health check: registering within "
                  "%llu s%s",
                  target, (unsigned long long)(d->app->health_ms / 1000u),
                  d->app->fail_health ? " (--fail-health-check: will not)"
                                      : "");
        return 1;
    }
    agent_fw_update_drop(d);
    if (strcmp(f->running, target) == 0) {
        /* Confirmed before the record was dropped. */
        agent_fw_rec_drop(d);
        (void)bw_lwm2m_fw_restore(&d->fw, BW_LWM2M_FW_IDLE,
                                  BW_LWM2M_FW_RESULT_SUCCESS);
        return 1;
    }
    agent_log(d, "update to %s failed: running %s again (reverted)", target,
              f->running[0] ? f->running : "?");
    agent_fw_dl_rec_t r;
    if (agent_fw_rec_load(d, &r) == 0 && r.done) {
        r.result = BW_LWM2M_FW_RESULT_FAILED;
        (void)agent_fw_rec_save(d, &r);
    } else {
        (void)bw_lwm2m_fw_restore(&d->fw, BW_LWM2M_FW_IDLE,
                                  BW_LWM2M_FW_RESULT_FAILED);
        return 1;
    }
    return 0;
}

void agent_fw_start(agent_dev_t *d, uint64_t now)
{
    agent_fw_t *f = &d->fwu;
    char target[AGENT_FW_VERSION_MAX];
    f->health = 0;
    f->resume = 0;
    if (!f->available)
        return;
    if (agent_fw_update_load(d, target, sizeof target) == 0 &&
        after_update(d, target, now))
        return;
    agent_fw_dl_rec_t r;
    if (agent_fw_rec_load(d, &r) != 0)
        return;
    if (r.done) {
        show_package(d, r.name, r.version);
        (void)bw_lwm2m_fw_restore(&d->fw, BW_LWM2M_FW_DOWNLOADED,
                                  (uint8_t)r.result);
        agent_log(d, "firmware %s is downloaded and verified%s", r.version,
                  r.result == BW_LWM2M_FW_RESULT_FAILED ? " (update failed)"
                                                        : "");
        return;
    }
    agent_log(d, "resuming the firmware download of %s at byte %u", r.uri,
              (unsigned)r.offset);
    f->rec = r;
    (void)bw_lwm2m_fw_restore_download(&d->fw, r.uri, strlen(r.uri));
    f->resume = 1;
}

void agent_fw_resume(agent_dev_t *d, uint64_t now)
{
    if (!d->fwu.resume)
        return;
    d->fwu.resume = 0;
    agent_fw_get_start(d, now);
}

void agent_fw_registered(agent_dev_t *d)
{
    agent_fw_t *f = &d->fwu;
    if (!f->health)
        return;
    f->health = 0;
    int err = bw_boot_confirm(&f->boot);
    if (err != 0) {
        agent_log(d, "health check passed, but confirming failed: %s",
                  bw_strerror(err));
        return;
    }
    f->test_boot = 0;
    agent_fw_update_drop(d);
    agent_fw_rec_drop(d);
    show_package(d, NULL, NULL);
    (void)bw_lwm2m_fw_restore(&d->fw, BW_LWM2M_FW_IDLE,
                              BW_LWM2M_FW_RESULT_SUCCESS);
    agent_log(d, "health check passed: %s confirmed", f->target);
}

void agent_fw_download(void *app, const char *uri, size_t len)
{
    agent_dev_t *d = app;
    agent_fw_t *f = &d->fwu;
    if (!f->available) {
        agent_log(d,
                  "firmware download refused: firmware update is not "
                  "available: %s",
                  f->why);
        (void)bw_lwm2m_fw_download_failed(&d->fw,
                                          BW_LWM2M_FW_RESULT_NO_STORAGE);
        return;
    }
    int err = bw_boot_erase_secondary(&f->boot);
    if (err != 0) {
        agent_log(d, "firmware download refused: %s",
                  err == BW_ESTATE
                      ? "the running image is on test (not confirmed): the "
                        "secondary slot holds the image a revert needs"
                      : "erasing the secondary slot failed");
        (void)bw_lwm2m_fw_download_failed(&d->fw,
                                          BW_LWM2M_FW_RESULT_NO_STORAGE);
        return;
    }
    memset(&f->rec, 0, sizeof f->rec);
    if (len > AGENT_FW_URI_MAX)
        len = AGENT_FW_URI_MAX;
    memcpy(f->rec.uri, uri, len);
    f->rec.uri[len] = '\0';
    show_package(d, NULL, NULL);
    agent_fw_update_drop(d);
    (void)agent_fw_rec_save(d, &f->rec);
    agent_log(d, "firmware download of %s started", f->rec.uri);
    agent_fw_get_start(d, d->app->now);
}

void agent_fw_cancel(void *app)
{
    agent_dev_t *d = app;
    if (!d->fwu.available)
        return;
    agent_fw_get_stop(d);
    agent_fw_rec_drop(d);
    show_package(d, NULL, NULL);
    agent_log(d, "firmware download or package dropped by the server");
}

int agent_fw_apply(void *app)
{
    agent_dev_t *d = app;
    agent_fw_t *f = &d->fwu;
    if (!f->available)
        return BW_EUNSUPPORTED;
    int err = bw_boot_set_pending(&f->boot, 0);
    if (err == 0)
        err = agent_fw_update_save(d, f->pkg_version);
    if (err != 0) {
        agent_log(d, "update to %s refused: %s", f->pkg_version,
                  bw_strerror(err));
        return err;
    }
    agent_log(d, "update to %s: marked for a test boot, rebooting",
              f->pkg_version);
    bw_lwm2m_client_post_event(&d->client, BW_LWM2M_EV_REBOOT);
    return 0;
}

/* The package refused by a check: log, forget it, return its result. */
static uint8_t refused(agent_dev_t *d, uint8_t result, const char *why)
{
    agent_fw_rec_drop(d);
    agent_log(d, "firmware package refused (result %u): %s", result, why);
    return result;
}

/*
 * Check the complete package in the download area: signature by a
 * trusted key, security counter, model.  Returns 0 (recorded as done,
 * PkgName/PkgVersion set) or the Update Result of the refusal.  Shared by
 * pull (agent_fw_finish) and push (agent_fw_chunk).
 */
static uint8_t check_package(agent_dev_t *d)
{
    agent_fw_t *f = &d->fwu;
    uint8_t buf[BW_BOOT_BUF_SIZE];
    char why[160], model[BW_IMAGE_MODEL_MAX + 1], ver[AGENT_FW_VERSION_MAX];
    bw_image_info_t info;
    uint32_t stored = 0;
    int err = bw_image_verify(&f->dl, f->cfg.boot.keys, f->cfg.boot.n_keys, buf,
                              sizeof buf, &info);
    if (err != 0) {
        snprintf(why, sizeof why, "verification: %s: %s", bw_err_name(err),
                 bw_strerror(err));
        return refused(d,
                       err == BW_EUNSUPPORTED ? BW_LWM2M_FW_RESULT_BAD_TYPE
                                              : BW_LWM2M_FW_RESULT_INTEGRITY,
                       why);
    }
    uint32_t cnt = info.has_sec_cnt ? info.sec_cnt : 0u;
    err = f->cfg.boot.counter.read(f->cfg.boot.counter.ctx, &stored);
    if (err != 0 || cnt < stored) {
        snprintf(why, sizeof why,
                 err != 0 ? "rollback refused: the stored security counter "
                            "cannot be read"
                          : "rollback refused: security counter %" PRIu32
                            " is below the stored %" PRIu32,
                 cnt, stored);
        return refused(d, BW_LWM2M_FW_RESULT_INTEGRITY, why);
    }
    err = bw_image_model(&f->dl, &info, model, sizeof model);
    if (err != 0 || strcmp(model, d->app->model) != 0) {
        if (err == BW_ENOTFOUND)
            snprintf(why, sizeof why, "the image names no model");
        else if (err != 0)
            snprintf(why, sizeof why, "the model TLV: %s", bw_strerror(err));
        else
            snprintf(why, sizeof why,
                     "the image is for model %s, this "
                     "device is %s",
                     model, d->app->model);
        return refused(d, BW_LWM2M_FW_RESULT_BAD_TYPE, why);
    }
    version_str(&info.hdr.version, ver, sizeof ver);
    f->rec.done = 1;
    f->rec.result = 0;
    copy(f->rec.name, sizeof f->rec.name, model);
    copy(f->rec.version, sizeof f->rec.version, ver);
    (void)agent_fw_rec_save(d, &f->rec);
    show_package(d, model, ver);
    agent_log(d,
              "firmware %s for %s downloaded and verified (%u bytes, "
              "security counter %" PRIu32 ")",
              ver, model, (unsigned)f->written, cnt);
    return 0;
}

void agent_fw_finish(agent_dev_t *d)
{
    uint8_t r = check_package(d);
    if (r != 0)
        (void)bw_lwm2m_fw_download_failed(&d->fw, r);
    else
        (void)bw_lwm2m_fw_downloaded(&d->fw);
}

/*
 * Push: a block of the Package resource written by the server (Block1).
 * Block 0 erases the secondary slot; each block is written at its offset
 * into the download area; the last one is checked as a pulled package
 * is.  Returns 0, an Update Result (refused), or a BW_E* code (the block
 * failed and may be sent again).
 */
int agent_fw_chunk(void *app, size_t offset, const uint8_t *data, size_t len,
                   int last)
{
    agent_dev_t *d = app;
    agent_fw_t *f = &d->fwu;
    if (!f->available) {
        agent_log(d, "firmware push refused: firmware update is not "
                     "available: %s",
                  f->why);
        return BW_LWM2M_FW_RESULT_NO_STORAGE;
    }
    if (offset == 0) {
        int err = bw_boot_erase_secondary(&f->boot);
        if (err != 0) {
            agent_log(d, "firmware push refused: %s",
                      err == BW_ESTATE ? "the running image is on test (not "
                                         "confirmed)"
                                       : "erasing the secondary slot failed");
            return BW_LWM2M_FW_RESULT_NO_STORAGE;
        }
        memset(&f->rec, 0, sizeof f->rec);
        copy(f->rec.uri, sizeof f->rec.uri, "push");
        f->written = 0;
        show_package(d, NULL, NULL);
        agent_fw_update_drop(d);
        agent_log(d, "firmware push started");
    }
    if (offset != f->written)
        return BW_EBLOCK; /* the object keeps the order; never here */
    if (len > f->dl.size || offset > f->dl.size - len) {
        agent_log(d, "firmware push refused: the package is larger than "
                     "the %u-byte download area",
                  (unsigned)f->dl.size);
        return BW_LWM2M_FW_RESULT_NO_STORAGE;
    }
    uint32_t align = f->cfg.align;
    size_t padded = (len + align - 1u) / align * align;
    if (len > 0 && ((offset % align) != 0 || (padded != len && !last) ||
                    padded > sizeof f->pad ||
                    padded > f->dl.size - offset))
        return BW_EUNSUPPORTED; /* blocks are powers of two: never here */
    if (len > 0) {
        memcpy(f->pad, data, len);
        memset(f->pad + len, 0xff, padded - len);
        if (bw_flash_write(&f->dl, (uint32_t)offset, f->pad, padded) != 0)
            return BW_EIO;
        f->written = (uint32_t)(offset + len);
    }
    if (!last)
        return 0;
    return check_package(d);
}

void agent_fw_fleet_boot(agent_dev_t *d)
{
    agent_fw_t *f = &d->fwu;
    if (!f->available || !f->fleet)
        return;
    bw_boot_t b;
    bw_boot_result_t res;
    int err = bw_boot_init(&b, &f->cfg.boot);
    if (err == 0)
        err = bw_boot_run(&b, &res);
    if (err == 0 && bw_boot_go(&res) == BW_BOOT_GO) {
        version_str(&res.image.hdr.version, f->running, sizeof f->running);
        f->test_boot = !res.confirmed;
        agent_log(d, "simulated boot: %s%s", f->running,
                  f->test_boot ? " (test, not confirmed)" : "");
    } else {
        f->running[0] = '\0';
        f->test_boot = 0;
        agent_log(d,
                  "simulated boot: no image may boot (%s): running on as "
                  "the simulated firmware",
                  bw_strerror(err));
    }
    /* The application's context sees the state the run left. */
    (void)bw_boot_init(&f->boot, &f->cfg.boot);
}
