/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed-memfd execution of a verified image (device/port/posix/
 * posix_exec.h): the copy is sealed against every change, bytes that
 * changed on flash after verification are refused, and the sealed copy
 * really runs with the arguments given.  The "image" wraps a system
 * program (/bin/true, /bin/false, /bin/sh) in a 32-byte header and a
 * protected TLV area; the digest a verification would have checked is
 * computed here, as bw_image_verify() defines it.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulwark/crypto.h"
#include "posix_exec.h"
#include "posix_flash.h"
#include "testutil.h"

/* Where the image starts on the simulated device (a sector boundary). */
#define IMG_OFF 4096u
#define HDR     32u
#define PROT    12u /* info header + SEC_CNT TLV */

typedef struct {
    char dir[64];
    char path[96];
    bw_posix_flash_t f;
    bw_boot_result_t res;
    uint32_t payload_len;
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/bw-posix-exec.XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/flash.img", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    char cmd[128];
    bw_posix_flash_close(&fx->f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    int rc = system(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* Put program prog into the flash as an image and fill fx->res as a GO
 * decision of lib/boot would. */
static void make_image(fixture_t *fx, const char *prog)
{
    uint8_t *payload = NULL;
    size_t n = bw_test_read_file(prog, &payload);
    assert_non_null(payload);
    bw_posix_geometry_t g;
    assert_int_equal(bw_posix_geometry_parse("65536x8", &g), 0);
    assert_int_equal(bw_posix_flash_open(&fx->f, fx->path, &g, 8, 1), 0);
    fx->f.sync = 0;
    uint8_t hdr[HDR] = {0}, prot[PROT];
    bw_image_header_t h = {0};
    h.hdr_size = HDR;
    h.protect_tlv_size = PROT;
    h.img_size = (uint32_t)n;
    h.version.major = 1;
    bw_image_header_encode(&h, hdr);
    bw_image_tlv_info_encode(BW_IMAGE_TLV_PROT_INFO_MAGIC, PROT, prot);
    bw_image_tlv_hdr_encode(BW_IMAGE_TLV_SEC_CNT, 4, prot + 4);
    memset(prot + 8, 0, 4);
    int fd = fx->f.fd;
    assert_int_equal(pwrite(fd, hdr, HDR, IMG_OFF), HDR);
    assert_int_equal(pwrite(fd, payload, n, IMG_OFF + HDR), (ssize_t)n);
    assert_int_equal(pwrite(fd, prot, PROT, IMG_OFF + HDR + n), PROT);

    bw_boot_result_t *r = &fx->res;
    memset(r, 0, sizeof *r);
    r->go = BW_BOOT_GO;
    r->go_inv = ~BW_BOOT_GO;
    r->flash_off = IMG_OFF;
    r->max_size = 65536u * 7u;
    r->image.hdr = h;
    r->image.layout.prot_off = HDR + (uint32_t)n;
    r->image.layout.prot_size = PROT;
    r->image.layout.tlv_off = HDR + (uint32_t)n + PROT;
    r->image.has_hash = 1;
    bw_hash_ctx_t hc;
    assert_int_equal(bw_sha256_init(&hc), 0);
    assert_int_equal(bw_sha256_update(&hc, hdr, HDR), 0);
    assert_int_equal(bw_sha256_update(&hc, payload, n), 0);
    assert_int_equal(bw_sha256_update(&hc, prot, PROT), 0);
    assert_int_equal(bw_sha256_finish(&hc, r->image.hash), 0);
    fx->payload_len = (uint32_t)n;
    free(payload);
}

/* The loaded copy holds exactly the payload, carries all four seals, and
 * can be neither written, grown nor shrunk. */
static void test_load_sealed(void **state)
{
    fixture_t *fx = *state;
    char err[256];
    make_image(fx, "/bin/true");
    int fd = bw_posix_exec_load(bw_posix_flash_dev(&fx->f), &fx->res, err,
                                sizeof err);
    assert_true(fd >= 0);
    int seals = fcntl(fd, F_GET_SEALS);
    assert_int_equal(
        seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
        F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    assert_int_equal(pwrite(fd, "x", 1, 0), -1);
    assert_int_equal(ftruncate(fd, 1), -1);
    assert_int_equal(ftruncate(fd, (off_t)fx->payload_len + 1), -1);
    assert_int_equal(fcntl(fd, F_ADD_SEALS, 0), -1); /* sealed seals */
    uint8_t *want = NULL;
    size_t n = bw_test_read_file("/bin/true", &want);
    uint8_t *got = malloc(n + 1);
    assert_non_null(got);
    assert_int_equal(pread(fd, got, n + 1, 0), (ssize_t)n);
    assert_memory_equal(got, want, n);
    free(got);
    free(want);
    close(fd);
}

/* A byte changed on flash after verification, in the payload, the header
 * or the protected TLVs: the load is refused and says why. */
static void test_changed_after_verify(void **state)
{
    fixture_t *fx = *state;
    char err[256];
    make_image(fx, "/bin/true");
    /* Payload, header (img_size field), SEC_CNT value. */
    const uint32_t spots[3] = {IMG_OFF + HDR + 100u, IMG_OFF + 12u,
                               IMG_OFF + fx->res.image.layout.prot_off + 9u};
    for (size_t i = 0; i < 3; i++) {
        uint8_t b;
        assert_int_equal(pread(fx->f.fd, &b, 1, spots[i]), 1);
        b ^= 0x01;
        assert_int_equal(pwrite(fx->f.fd, &b, 1, spots[i]), 1);
        err[0] = '\0';
        assert_int_equal(bw_posix_exec_load(bw_posix_flash_dev(&fx->f),
                                            &fx->res, err, sizeof err),
                         -1);
        assert_non_null(strstr(err, "changed after verification"));
        b ^= 0x01; /* restore: the next spot is tested alone */
        assert_int_equal(pwrite(fx->f.fd, &b, 1, spots[i]), 1);
    }
    /* Restored: loads again (so the refusals above were the changes). */
    int fd = bw_posix_exec_load(bw_posix_flash_dev(&fx->f), &fx->res, err,
                                sizeof err);
    assert_true(fd >= 0);
    close(fd);
}

/* Without a GO decision (either copy wrong) nothing is loaded. */
static void test_no_go(void **state)
{
    fixture_t *fx = *state;
    char err[256];
    make_image(fx, "/bin/true");
    fx->res.go_inv = BW_BOOT_GO;
    assert_int_equal(bw_posix_exec_load(bw_posix_flash_dev(&fx->f), &fx->res,
                                        err, sizeof err),
                     -1);
    fx->res.go_inv = ~BW_BOOT_GO;
    fx->res.go = BW_BOOT_NO_GO;
    assert_int_equal(bw_posix_exec_load(bw_posix_flash_dev(&fx->f), &fx->res,
                                        err, sizeof err),
                     -1);
}

static int run_prog(fixture_t *fx, const char *prog, char *const argv[])
{
    char err[256];
    make_image(fx, prog);
    int fd = bw_posix_exec_load(bw_posix_flash_dev(&fx->f), &fx->res, err,
                                sizeof err);
    assert_true(fd >= 0);
    int st = bw_posix_exec_run(fd, argv, err, sizeof err);
    close(fd);
    bw_posix_flash_close(&fx->f);
    unlink(fx->path);
    assert_true(st != -1);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* The sealed copies run: /bin/true exits 0, /bin/false 1, and /bin/sh
 * sees the arguments ("exit 42"). */
static void test_run(void **state)
{
    fixture_t *fx = *state;
    char a0[] = "app", a1[] = "-c", a2[] = "exit 42";
    char *const plain[] = {a0, NULL};
    char *const sh[] = {a0, a1, a2, NULL};
    assert_int_equal(run_prog(fx, "/bin/true", plain), 0);
    assert_int_equal(run_prog(fx, "/bin/false", plain), 1);
    assert_int_equal(run_prog(fx, "/bin/sh", sh), 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_sealed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_after_verify, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_go, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
