/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-bootctl: the application's side of the boot state on the POSIX
 * port, through lib/boot's application calls on the same flash image that
 * bulwark-boot uses.  Started by the application, it takes its settings
 * from the environment bulwark-boot exported (boot_cfg.h); options
 * override them.
 *
 *   status                    boot state of both slots, the images, the
 *                             stored security counter (key=value lines)
 *   install IMAGE [--permanent]
 *                             erase the secondary, write IMAGE into its
 *                             download area, mark it pending (test, or
 *                             for good)
 *   confirm                   mark the running image good
 *   factory IMAGE             manufacturing: erase the primary slot and
 *                             write IMAGE there (no update state)
 *
 * It never verifies or swaps: bulwark-boot does both at the next boot.
 * The counter store is opened read-only.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_cfg.h"

#define EXIT_USAGE  64 /* EX_USAGE */
#define EXIT_FAILED 1

/* Bytes written to flash per step (a multiple of every write alignment). */
#define BOOTCTL_CHUNK 4096u

static const char usage[] =
    "usage: bulwark-bootctl [options] status\n"
    "       bulwark-bootctl [options] install IMAGE [--permanent]\n"
    "       bulwark-bootctl [options] confirm\n"
    "       bulwark-bootctl [options] factory IMAGE\n"
    "\n"
    "Options (default: the environment set by bulwark-boot): --flash FILE,\n"
    "--geometry SPEC, --align N, --primary OFF:SIZE, --secondary OFF:SIZE,\n"
    "--unit SIZE, --key PUB.der (repeatable), --counter FILE, --config FILE.\n";

static int say_err(const char *what, int err)
{
    fprintf(stderr, "bulwark-bootctl: %s: %s (%s)\n", what, bw_err_name(err),
            bw_strerror(err));
    return EXIT_FAILED;
}

static void print_image(const char *name, const bw_flash_area_t *fa,
                        const bw_bootcfg_t *c)
{
    bw_image_info_t info;
    uint8_t buf[BW_BOOT_BUF_SIZE];
    int err = bw_image_verify(fa, c->boot.keys, c->boot.n_keys, buf, sizeof buf,
                              &info);
    if (err != 0 && err != BW_EIO) {
        bw_image_header_t hdr;
        if (bw_image_header_read(fa, &hdr) != 0) {
            printf("%s_image=none\n", name);
            return;
        }
        info.hdr = hdr;
    }
    const bw_image_version_t *v = &info.hdr.version;
    printf("%s_version=%u.%u.%u+%" PRIu32 "\n", name, v->major, v->minor,
           v->revision, v->build_num);
    if (err == 0)
        printf("%s_security_counter=%" PRIu32 "\n", name,
               info.has_sec_cnt ? info.sec_cnt : 0u);
    printf("%s_verified=%s\n", name, err == 0 ? "yes" : bw_err_name(err));
}

static int cmd_status(bw_bootcfg_t *c, bw_boot_t *b)
{
    static const char *const prim[] = {"?",         "none",      "test",
                                       "permanent", "reverting", "reverted"};
    static const char *const sec[] = {"?", "none", "pending", "swapping",
                                      "junk"};
    bw_boot_status_t st;
    bw_flash_area_t dl;
    uint32_t stored;
    int err = bw_boot_status(b, &st);
    if (err != 0)
        return say_err("status", err);
    printf("primary=%s\n", (unsigned)st.primary < 6u ? prim[st.primary] : "?");
    printf("confirmed=%s\n", st.primary == BW_BOOT_PRIMARY_TEST ? "no" : "yes");
    printf("secondary=%s\n",
           (unsigned)st.secondary < 5u ? sec[st.secondary] : "?");
    if (st.secondary == BW_BOOT_SECONDARY_PENDING)
        printf("pending=%s\n", st.pending_permanent ? "permanent" : "test");
    bw_flash_area_t pa = c->boot.primary;
    pa.size = c->boot.units * c->boot.unit_size;
    print_image("primary", &pa, c);
    (void)bw_boot_download_area(b, &dl);
    print_image("download", &dl, c);
    err = c->boot.counter.read(c->boot.counter.ctx, &stored);
    if (err != 0)
        return say_err("counter", err);
    printf("stored_security_counter=%" PRIu32 "\n", stored);
    return 0;
}

/* Write file into fa from offset 0, padding the tail with 0xFF. */
static int write_file(const bw_flash_area_t *fa, const char *path,
                      uint32_t align)
{
    uint8_t buf[BOOTCTL_CHUNK];
    FILE *f = fopen(path, "rbe");
    if (f == NULL) {
        perror(path);
        return EXIT_FAILED;
    }
    uint32_t off = 0;
    int err = 0;
    for (;;) {
        size_t n = fread(buf, 1, sizeof buf, f);
        if (n == 0)
            break;
        if (n > fa->size - off) {
            fclose(f);
            fprintf(stderr,
                    "bulwark-bootctl: %s is larger than the %" PRIu32
                    "-byte slot area\n",
                    path, fa->size);
            return EXIT_FAILED;
        }
        size_t padded = (n + align - 1u) / align * align;
        memset(buf + n, 0xff, padded - n);
        err = bw_flash_write(fa, off, buf, padded);
        if (err != 0)
            break;
        off += (uint32_t)n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "bulwark-bootctl: reading %s failed\n", path);
        return EXIT_FAILED;
    }
    return err != 0 ? say_err("write", err) : 0;
}

static int cmd_install(bw_bootcfg_t *c, bw_boot_t *b, const char *image,
                       int permanent)
{
    bw_flash_area_t dl;
    int err = bw_boot_erase_secondary(b);
    if (err == BW_ESTATE) {
        fprintf(stderr, "bulwark-bootctl: the running image is an "
                        "unconfirmed test image: confirm it first\n");
        return EXIT_FAILED;
    }
    if (err != 0)
        return say_err("erase secondary", err);
    (void)bw_boot_download_area(b, &dl);
    int rc = write_file(&dl, image, c->align);
    if (rc != 0)
        return rc;
    err = bw_boot_set_pending(b, permanent);
    if (err != 0)
        return say_err("set pending", err);
    printf("installed %s as %s update; it is swapped in at the next boot\n",
           image, permanent ? "a permanent" : "a test");
    return 0;
}

static int cmd_factory(bw_bootcfg_t *c, const char *image)
{
    const bw_flash_area_t *pa = &c->boot.primary;
    int err = bw_flash_erase(pa, 0, pa->size);
    if (err != 0)
        return say_err("erase primary", err);
    bw_flash_area_t img = *pa;
    img.size = c->boot.units * c->boot.unit_size;
    int rc = write_file(&img, image, c->align);
    if (rc == 0)
        printf("wrote %s into the primary slot\n", image);
    return rc;
}

int main(int argc, char **argv)
{
    /* Beyond the settings (boot_cfg.h). */
    static const struct option own[] = {
        {"permanent", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static bw_bootcfg_t cfg;
    static bw_boot_t boot;
    char err[512];
    int ch, permanent = 0;
    bw_bootcfg_init(&cfg);
    while ((ch = bw_bootcfg_getopt(&cfg, argc, argv, "h", own, err,
                                   sizeof err)) != -1) {
        if (ch == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (ch == 'p') {
            permanent = 1;
            continue;
        }
        if (ch == BW_BOOTCFG_OPT_BAD)
            fprintf(stderr, "bulwark-bootctl: %s\n", err);
        else
            fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = optind < argc ? argv[optind] : NULL;
    const char *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    int nargs = argc - optind;
    int want = cmd == NULL                                              ? -1
               : strcmp(cmd, "status") == 0 || !strcmp(cmd, "confirm")  ? 1
               : strcmp(cmd, "install") == 0 || !strcmp(cmd, "factory") ? 2
                                                                        : -1;
    if (want < 0 || nargs != want ||
        (permanent && strcmp(cmd, "install") != 0)) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    int factory = strcmp(cmd, "factory") == 0;
    if (bw_bootcfg_open(&cfg, factory, 1, err, sizeof err) != 0) {
        fprintf(stderr, "bulwark-bootctl: %s\n", err);
        return EXIT_USAGE;
    }
    int rc;
    int e = bw_boot_init(&boot, &cfg.boot);
    if (e != 0)
        rc = say_err("slot layout", e);
    else if (factory)
        rc = cmd_factory(&cfg, arg);
    else if (strcmp(cmd, "status") == 0)
        rc = cmd_status(&cfg, &boot);
    else if (strcmp(cmd, "install") == 0)
        rc = cmd_install(&cfg, &boot, arg, permanent);
    else {
        e = bw_boot_confirm(&boot);
        rc = e != 0 ? say_err("confirm", e) : 0;
        if (rc == 0)
            printf("confirmed the running image\n");
    }
    bw_bootcfg_close(&cfg);
    return rc;
}
