/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-boot: the bootloader of a Linux device running Bulwark.
 *
 * The slots live in one flash-image file (device/port/posix).  Each boot
 * runs lib/boot's sequence (finish or revert interrupted work, install a
 * pending update, revert an unconfirmed one, verify the primary, check
 * and store the security counter), then executes the verified primary
 * image from a sealed memfd (posix_exec.h).  When the application exits
 * with the reboot code, the device "reboots": the sequence runs again.
 * Any other exit code ends bulwark-boot with that code.  With no image
 * that may boot, it logs the reason and exits with BOOT_EXIT_SAFE_MODE
 * without executing anything.  Log lines go to stderr.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot_cfg.h"
#include "posix_exec.h"

/* Exit codes of bulwark-boot itself (sysexits.h values where one fits). */
#define BOOT_EXIT_USAGE     64 /* EX_USAGE: bad command line */
#define BOOT_EXIT_IO        74 /* EX_IOERR: flash kept failing */
#define BOOT_EXIT_CONFIG    78 /* EX_CONFIG: layout, keys, files */
#define BOOT_EXIT_SAFE_MODE 90 /* no image may boot: nothing executed */

/* Runs in a row that may fail with BW_EIO before giving up: each run
 * resumes where the last stopped, so a few retries ride out a glitch. */
#define BOOT_IO_RETRIES 3

/* Most application arguments passed on after "--". */
#define BOOT_MAX_ARGS 64

#define LOG(...)                                                               \
    do {                                                                       \
        fprintf(stderr, "bulwark-boot: " __VA_ARGS__);                         \
        fputc('\n', stderr);                                                   \
    } while (0)

static const char usage[] =
    "usage: bulwark-boot [options] [-- app-arguments...]\n"
    "\n"
    "Verify and run the primary image of a flash-image file; install,\n"
    "revert and roll back updates as lib/boot decides.\n"
    "\n"
    "  --flash FILE        flash image (created erased if missing)\n"
    "  --geometry SPEC     sectors: SIZExCOUNT[,SIZExCOUNT...], e.g. 4096x64\n"
    "  --align N           write alignment in bytes (default 8)\n"
    "  --primary OFF:SIZE  primary slot   (default: from a uniform geometry)\n"
    "  --secondary OFF:SIZE  secondary slot (default: likewise)\n"
    "  --unit SIZE         swap unit (default: the sector size)\n"
    "  --key PUB.der       trusted public key, DER SubjectPublicKeyInfo\n"
    "                      (P-256 or Ed25519); repeat for several\n"
    "  --counter FILE      security counter store\n"
    "  --reboot-code N     application exit code meaning \"reboot\" (75)\n"
    "  --config FILE       settings, one \"name value\" per line\n"
    "  --app-name NAME     argv[0] of the application (bulwark-app)\n"
    "  --help\n"
    "\n"
    "Exit: the application's exit code; 90 safe mode (nothing executed);\n"
    "64 usage; 74 flash I/O; 78 configuration.  The application finds the\n"
    "flash and its layout in BW_FLASH, BW_FLASH_GEOMETRY, BW_FLASH_ALIGN,\n"
    "BW_SLOT_PRIMARY, BW_SLOT_SECONDARY, BW_SLOT_UNIT, BW_BOOT_KEYS,\n"
    "BW_BOOT_COUNTER, BW_BOOT_REBOOT_CODE (used by bulwark-bootctl), and\n"
    "what booted in BW_BOOT_VERSION, BW_BOOT_CONFIRMED, BW_BOOT_COUNT.\n"
    "Tests: BW_FLASH_DELAY_US slows every flash write and erase;\n"
    "BW_FLASH_CRASH_AT_OP=N kills the process at flash operation N;\n"
    "BW_FLASH_NOSYNC=1 skips fdatasync (a killed process loses nothing).\n";

static const char *swap_name(bw_boot_swap_t s)
{
    switch (s) {
    case BW_BOOT_SWAP_TEST:
        return "installed the pending update for a test boot";
    case BW_BOOT_SWAP_PERM:
        return "installed the pending update permanently";
    case BW_BOOT_SWAP_REVERT:
        return "reverted the unconfirmed update";
    default:
        return "no swap";
    }
}

static const char *primary_name(bw_boot_primary_t p)
{
    static const char *const names[] = {"?",         "none",      "test",
                                        "permanent", "reverting", "reverted"};
    return (unsigned)p < 6u ? names[p] : "?";
}

static const char *secondary_name(bw_boot_secondary_t s)
{
    static const char *const names[] = {"?", "none", "pending", "swapping",
                                        "junk"};
    return (unsigned)s < 5u ? names[s] : "?";
}

static void version_str(const bw_image_version_t *v, char *out, size_t cap)
{
    snprintf(out, cap, "%u.%u.%u+%" PRIu32, v->major, v->minor, v->revision,
             v->build_num);
}

static void on_recovery(void *ctx, int reason)
{
    *(int *)ctx = reason;
    LOG("recovery hook: no bootable image (%s: %s)", bw_err_name(reason),
        bw_strerror(reason));
}

/*
 * Before the run: say what is on flash, and check a pending update the
 * way lib/boot will, so that a refusal can be logged with its reason
 * (lib/boot drops a pending image that fails without saying why).
 * Returns the verification result of the pending image, or 1 when
 * nothing is pending.
 */
static int inspect(bw_bootcfg_t *c, bw_boot_t *b)
{
    bw_boot_status_t st;
    bw_flash_area_t dl;
    bw_image_info_t info;
    uint8_t buf[BW_BOOT_BUF_SIZE];
    uint32_t stored = 0;
    char ver[48];
    if (bw_boot_status(b, &st) != 0)
        return 1;
    LOG("slots: primary %s%s, secondary %s%s", primary_name(st.primary),
        st.image_ok ? " (confirmed)" : "", secondary_name(st.secondary),
        st.pending_permanent ? " (permanent)" : "");
    if (st.secondary != BW_BOOT_SECONDARY_PENDING ||
        st.primary == BW_BOOT_PRIMARY_TEST)
        return 1;
    (void)bw_boot_download_area(b, &dl);
    int err = bw_image_verify(&dl, c->boot.keys, c->boot.n_keys, buf,
                              sizeof buf, &info);
    uint32_t cnt = info.has_sec_cnt ? info.sec_cnt : 0u;
    if (err == 0 && c->boot.counter.read(c->boot.counter.ctx, &stored) == 0 &&
        cnt < stored)
        err = BW_EROLLBACK;
    if (err != 0) {
        LOG("pending update refused: %s (%s); it will be dropped",
            bw_err_name(err), bw_strerror(err));
        return err;
    }
    version_str(&info.hdr.version, ver, sizeof ver);
    LOG("pending update: version %s, security counter %" PRIu32
        ", verified with key %zu",
        ver, cnt, info.key_index);
    return 0;
}

/* One boot: returns 0 with a sealed fd in *fd, or an exit code. */
static int boot_once(bw_bootcfg_t *c, unsigned n, int *fd)
{
    bw_boot_t b;
    bw_boot_result_t res;
    int reason = 0, err = 0;
    char ver[48], msg[256];
    uint32_t before = 0, after = 0;
    bw_boot_config_t bc = c->boot; /* the hook's context lives here */
    bc.recovery = on_recovery;
    bc.recovery_ctx = &reason;
    for (int attempt = 0; attempt < BOOT_IO_RETRIES; attempt++) {
        err = bw_boot_init(&b, &bc);
        if (err != 0) {
            LOG("slot layout refused by the boot core: %s (%s)",
                bw_err_name(err), bw_strerror(err));
            return BOOT_EXIT_CONFIG;
        }
        LOG("boot %u", n);
        (void)inspect(c, &b);
        if (c->boot.counter.read(c->boot.counter.ctx, &before) != 0) {
            /* Never guess a counter: a damaged store means recovery. */
            LOG("SAFE MODE: the security counter store %s is unreadable "
                "or damaged; nothing executed",
                c->counter);
            return BOOT_EXIT_SAFE_MODE;
        }
        uint64_t ops = c->flash_dev.ops;
        err = bw_boot_run(&b, &res);
        LOG("boot sequence done: %llu flash writes and erases",
            (unsigned long long)(c->flash_dev.ops - ops));
        if (err != BW_EIO)
            break;
        LOG("flash I/O error during the boot sequence; running it again");
    }
    if (err == BW_EIO)
        return BOOT_EXIT_IO;
    if (bw_boot_go(&res) != BW_BOOT_GO) {
        if (err == 0)
            err = reason != 0 ? reason : BW_ESTATE;
        LOG("SAFE MODE: no image may boot: %s (%s); nothing executed",
            bw_err_name(err), bw_strerror(err));
        return BOOT_EXIT_SAFE_MODE;
    }
    if (res.swap != BW_BOOT_SWAP_NONE)
        LOG("%s", swap_name(res.swap));
    if (c->boot.counter.read(c->boot.counter.ctx, &after) != 0)
        after = before;
    version_str(&res.image.hdr.version, ver, sizeof ver);
    LOG("booting primary: version %s, security counter %" PRIu32
        ", %s, key %zu",
        ver, res.image.has_sec_cnt ? res.image.sec_cnt : 0u,
        res.confirmed ? "confirmed" : "not confirmed (test)",
        res.image.key_index);
    if (after != before)
        LOG("stored security counter advanced: %" PRIu32 " -> %" PRIu32, before,
            after);
    else
        LOG("stored security counter: %" PRIu32, after);
    *fd = bw_posix_exec_load(bw_posix_flash_dev(&c->flash_dev), &res, msg,
                             sizeof msg);
    if (*fd < 0) {
        LOG("SAFE MODE: %s; nothing executed", msg);
        return BOOT_EXIT_SAFE_MODE;
    }
    char count[16];
    snprintf(count, sizeof count, "%u", n);
    setenv("BW_BOOT_VERSION", ver, 1);
    setenv("BW_BOOT_CONFIRMED", res.confirmed ? "1" : "0", 1);
    setenv("BW_BOOT_COUNT", count, 1);
    return 0;
}

static uint64_t env_u64(const char *name)
{
    const char *v = getenv(name);
    return v != NULL ? strtoull(v, NULL, 10) : 0;
}

int main(int argc, char **argv)
{
    /* Beyond the settings (boot_cfg.h). */
    static const struct option own[] = {
        {"app-name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static bw_bootcfg_t cfg;
    char err[512];
    char *app_argv[BOOT_MAX_ARGS + 2];
    static char default_name[] = "bulwark-app";
    char *app_name = default_name;
    int ch;
    bw_bootcfg_init(&cfg);
    while ((ch = bw_bootcfg_getopt(&cfg, argc, argv, "+h", own, err,
                                   sizeof err)) != -1) {
        if (ch == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (ch == 'n') {
            app_name = optarg;
            continue;
        }
        if (ch == BW_BOOTCFG_OPT_BAD)
            LOG("%s", err);
        else
            fputs(usage, stderr);
        return BOOT_EXIT_USAGE;
    }
    if (argc - optind > BOOT_MAX_ARGS) {
        LOG("too many application arguments (at most %d)", BOOT_MAX_ARGS);
        return BOOT_EXIT_USAGE;
    }
    app_argv[0] = app_name;
    for (int i = optind; i < argc; i++)
        app_argv[1 + i - optind] = argv[i];
    app_argv[1 + argc - optind] = NULL;
    if (bw_bootcfg_open(&cfg, 1, 0, err, sizeof err) != 0) {
        LOG("%s", err);
        return BOOT_EXIT_CONFIG;
    }
    cfg.flash_dev.delay_us = (uint32_t)env_u64("BW_FLASH_DELAY_US");
    cfg.flash_dev.crash_at_op = env_u64("BW_FLASH_CRASH_AT_OP");
    if (env_u64("BW_FLASH_NOSYNC") != 0)
        cfg.flash_dev.sync = 0;
    if (bw_bootcfg_export_env(&cfg) != 0) {
        LOG("cannot set the application's environment");
        return BOOT_EXIT_CONFIG;
    }
    for (unsigned n = 1;; n++) {
        int fd = -1;
        int rc = boot_once(&cfg, n, &fd);
        if (rc != 0) {
            bw_bootcfg_close(&cfg);
            return rc;
        }
        int status = bw_posix_exec_run(fd, app_argv, err, sizeof err);
        close(fd);
        if (status == -1) {
            LOG("%s", err);
            bw_bootcfg_close(&cfg);
            return BOOT_EXIT_IO;
        }
        if (WIFSIGNALED(status)) {
            LOG("application killed by signal %d", WTERMSIG(status));
            bw_bootcfg_close(&cfg);
            return 128 + WTERMSIG(status);
        }
        int code = WEXITSTATUS(status);
        if (code != cfg.reboot_code) {
            LOG("application exited with %d", code);
            bw_bootcfg_close(&cfg);
            return code;
        }
        LOG("application asked for a reboot (exit %d)", code);
    }
}
