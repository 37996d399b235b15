/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The POSIX key store (device/port/posix/posix_keystore.c) against a real
 * directory under /tmp: values round-trip byte for byte, names outside the
 * documented alphabet never reach the file system, modes are 0600/0700
 * whatever the umask, and a temporary file left by a crash mid-put never
 * changes what get() returns.
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_keystore.h"

typedef struct {
    char root[64]; /* mkdtemp() directory, removed at teardown */
    char dir[128]; /* the store: root/keys */
    bw_posix_keystore_t ks;
    bw_keystore_t k;
} fx_t;

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->root, "/tmp/bw-ks-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/keys", f->root);
    assert_int_equal(bw_posix_keystore_init(&f->ks, f->dir), 0);
    f->k = bw_posix_keystore(&f->ks);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static int ks_get(fx_t *f, const char *name, uint8_t *buf, size_t cap,
                  size_t *len)
{
    return f->k.ops->get(f->k.ctx, name, buf, cap, len);
}

static int ks_put(fx_t *f, const char *name, const void *data, size_t len)
{
    return f->k.ops->put(f->k.ctx, name, data, len);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode & 07777;
}

/* put, get and erase one item: the bytes come back exactly (including a
 * zero byte), and after erase the item is BW_ENOTFOUND; erasing it again
 * is still 0. */
static void test_put_get_erase(void **state)
{
    fx_t *f = *state;
    const uint8_t v[] = {0x01, 0x00, 0xfe, 0x42};
    uint8_t buf[16];
    size_t len = 99;

    assert_int_equal(ks_put(f, BW_KEY_DM_PSK, v, sizeof v), 0);
    assert_int_equal(ks_get(f, BW_KEY_DM_PSK, buf, sizeof buf, &len), 0);
    assert_int_equal(len, sizeof v);
    assert_memory_equal(buf, v, sizeof v);

    assert_int_equal(f->k.ops->erase(f->k.ctx, BW_KEY_DM_PSK), 0);
    bw_assert_err(ks_get(f, BW_KEY_DM_PSK, buf, sizeof buf, &len),
                  BW_ENOTFOUND);
    assert_int_equal(len, 0);
    assert_int_equal(f->k.ops->erase(f->k.ctx, BW_KEY_DM_PSK), 0);
}

/* Overwrite with a shorter value: get returns only the new bytes (no tail
 * of the old value). */
static void test_overwrite(void **state)
{
    fx_t *f = *state;
    uint8_t buf[32];
    size_t len = 0;

    assert_int_equal(ks_put(f, "bs/psk-identity", "endpoint-long-name", 18), 0);
    assert_int_equal(ks_put(f, "bs/psk-identity", "ep2", 3), 0);
    assert_int_equal(ks_get(f, "bs/psk-identity", buf, sizeof buf, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "ep2", 3);
}

/* Names outside [a-z0-9._-] components joined by single '/', or with a
 * component starting with '.', or longer than 64 bytes: every operation
 * answers BW_EINVAL and nothing appears on disk (in particular not above
 * the store, for "../escape"). */
static void test_bad_names(void **state)
{
    fx_t *f = *state;
    static const char *const bad[] = {
        "",        "..",          "../escape",   "bs/../dm",
        "a..b",    "/abs",        "Upper",       "bs//psk",
        "bs/",     ".hidden",     "bs/.psk.tmp", "a b",
        "bs\\psk", "caf\xc3\xa9", ".",           "bs/./psk",
    };
    char longname[BW_KEYSTORE_NAME_MAX + 2];
    char path[256];
    uint8_t buf[8];
    size_t len;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bw_assert_err(ks_put(f, bad[i], "x", 1), BW_EINVAL);
        bw_assert_err(ks_get(f, bad[i], buf, sizeof buf, &len), BW_EINVAL);
        bw_assert_err(f->k.ops->erase(f->k.ctx, bad[i]), BW_EINVAL);
    }
    bw_assert_err(ks_put(f, NULL, "x", 1), BW_EINVAL);
    snprintf(path, sizeof path, "%s/escape", f->root);
    assert_int_equal(access(path, F_OK), -1);

    /* Exactly the limit is fine; one more byte is not. */
    memset(longname, 'a', sizeof longname);
    longname[BW_KEYSTORE_NAME_MAX] = '\0';
    assert_int_equal(ks_put(f, longname, "x", 1), 0);
    longname[BW_KEYSTORE_NAME_MAX] = 'a';
    longname[BW_KEYSTORE_NAME_MAX + 1] = '\0';
    bw_assert_err(ks_put(f, longname, "x", 1), BW_EINVAL);
    bw_assert_err(ks_get(f, longname, buf, sizeof buf, &len), BW_EINVAL);
}

/* Missing items, also in a subdirectory that does not exist yet, are
 * BW_ENOTFOUND with *len 0. */
static void test_missing(void **state)
{
    fx_t *f = *state;
    uint8_t buf[8];
    size_t len = 5;

    bw_assert_err(ks_get(f, BW_KEY_TRUST_ANCHOR, buf, sizeof buf, &len),
                  BW_ENOTFOUND);
    assert_int_equal(len, 0);
    bw_assert_err(ks_get(f, "nothing", buf, sizeof buf, &len), BW_ENOTFOUND);
}

/* A buffer one byte short is BW_ENOSPC and *len says how much is needed
 * (also for a NULL buffer of capacity 0); the exact size then works. */
static void test_enospc_reports_size(void **state)
{
    fx_t *f = *state;
    uint8_t item[300];
    uint8_t buf[300];
    size_t len = 0;
    size_t i;

    for (i = 0; i < sizeof item; i++)
        item[i] = (uint8_t)(i * 7u);
    assert_int_equal(ks_put(f, BW_KEY_DEVICE_CERT, item, sizeof item), 0);
    bw_assert_err(ks_get(f, BW_KEY_DEVICE_CERT, buf, sizeof item - 1, &len),
                  BW_ENOSPC);
    assert_int_equal(len, sizeof item);
    len = 0;
    bw_assert_err(ks_get(f, BW_KEY_DEVICE_CERT, NULL, 0, &len), BW_ENOSPC);
    assert_int_equal(len, sizeof item);
    assert_int_equal(ks_get(f, BW_KEY_DEVICE_CERT, buf, len, &len), 0);
    assert_memory_equal(buf, item, sizeof item);
}

/* With umask 0 (which would leave 0666/0777), files are still 0600 and
 * the store and its subdirectories 0700; an existing store directory
 * with 0755 is tightened by init. */
static void test_modes(void **state)
{
    fx_t *f = *state;
    char path[256];
    mode_t old = umask(0);

    assert_int_equal(ks_put(f, "dm/psk", "k", 1), 0);
    umask(old);
    assert_int_equal(mode_of(f->dir), 0700);
    snprintf(path, sizeof path, "%s/dm", f->dir);
    assert_int_equal(mode_of(path), 0700);
    snprintf(path, sizeof path, "%s/dm/psk", f->dir);
    assert_int_equal(mode_of(path), 0600);

    assert_int_equal(chmod(f->dir, 0755), 0);
    assert_int_equal(bw_posix_keystore_init(&f->ks, f->dir), 0);
    assert_int_equal(mode_of(f->dir), 0700);
}

/* A crash between writing the temporary file and the rename leaves
 * "<dir>/bs/.psk.tmp" with the new bytes (here: garbage).  get() still
 * returns the old value; the next put() succeeds and leaves no temporary
 * file behind. */
static void test_leftover_tmp_ignored(void **state)
{
    fx_t *f = *state;
    char tmp[256];
    uint8_t buf[16];
    size_t len = 0;
    FILE *fp;

    assert_int_equal(ks_put(f, BW_KEY_BS_PSK, "old-key", 7), 0);
    snprintf(tmp, sizeof tmp, "%s/bs/.psk.tmp", f->dir);
    fp = fopen(tmp, "wb");
    assert_non_null(fp);
    fputs("half-written garbage", fp);
    fclose(fp);

    assert_int_equal(ks_get(f, BW_KEY_BS_PSK, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 7);
    assert_memory_equal(buf, "old-key", 7);

    assert_int_equal(ks_put(f, BW_KEY_BS_PSK, "new-key!", 8), 0);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(ks_get(f, BW_KEY_BS_PSK, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 8);
    assert_memory_equal(buf, "new-key!", 8);
}

/* An item that is a symbolic link (say, planted to point at a file the
 * device must not disclose) is not followed: BW_EIO. */
static void test_symlink_not_followed(void **state)
{
    fx_t *f = *state;
    char target[256];
    char link[256];
    uint8_t buf[16];
    size_t len = 0;

    assert_int_equal(ks_put(f, "ca/real", "secret", 6), 0);
    snprintf(target, sizeof target, "%s/ca/real", f->dir);
    snprintf(link, sizeof link, "%s/ca/cert.der", f->dir);
    assert_int_equal(symlink(target, link), 0);
    bw_assert_err(ks_get(f, BW_KEY_TRUST_ANCHOR, buf, sizeof buf, &len),
                  BW_EIO);
    assert_int_equal(len, 0);
}

/* init: NULL or empty is BW_EINVAL, a path longer than the limit
 * BW_ENOSPC, a regular file in place of the directory BW_EIO. */
static void test_init_errors(void **state)
{
    fx_t *f = *state;
    bw_posix_keystore_t ks2;
    char path[256];
    char *big;
    FILE *fp;

    bw_assert_err(bw_posix_keystore_init(&ks2, NULL), BW_EINVAL);
    bw_assert_err(bw_posix_keystore_init(&ks2, ""), BW_EINVAL);
    big = malloc(BW_POSIX_KEYSTORE_DIR_MAX + 2);
    assert_non_null(big);
    memset(big, 'd', BW_POSIX_KEYSTORE_DIR_MAX + 1);
    big[BW_POSIX_KEYSTORE_DIR_MAX + 1] = '\0';
    bw_assert_err(bw_posix_keystore_init(&ks2, big), BW_ENOSPC);
    free(big);

    snprintf(path, sizeof path, "%s/plainfile", f->root);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    bw_assert_err(bw_posix_keystore_init(&ks2, path), BW_EIO);
}

/* Write n bytes of pattern to root/name; return the path in out. */
static void secret_file(fx_t *f, const char *name, size_t n, char *out,
                        size_t cap)
{
    snprintf(out, cap, "%s/%s", f->root, name);
    FILE *fp = fopen(out, "wb");
    assert_non_null(fp);
    for (size_t i = 0; i < n; i++)
        fputc((int)(0xa0 + i), fp);
    assert_int_equal(fclose(fp), 0);
}

/*
 * bw_posix_read_secret: 1..max bytes are read byte for byte (a 0x0a
 * included); a missing file, an empty one and one of max + 1 bytes are
 * refused with a line naming the file, and nothing is copied out.
 */
static void test_read_secret(void **state)
{
    fx_t *f = *state;
    char path[160], err[256];
    uint8_t out[16];
    size_t n = 99;
    secret_file(f, "exact", sizeof out, path, sizeof path);
    assert_int_equal(
        bw_posix_read_secret(path, out, sizeof out, &n, err, sizeof err), 0);
    assert_int_equal(n, sizeof out);
    assert_int_equal(out[0], 0xa0);
    assert_int_equal(out[15], 0xaf);
    secret_file(f, "long", sizeof out + 1, path, sizeof path);
    memset(out, 0x55, sizeof out);
    assert_int_equal(
        bw_posix_read_secret(path, out, sizeof out, &n, err, sizeof err), -1);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err, "longer than 16 bytes"));
    assert_non_null(strstr(err, "long"));
    assert_int_equal(out[0], 0x55); /* nothing copied */
    secret_file(f, "empty", 0, path, sizeof path);
    assert_int_equal(
        bw_posix_read_secret(path, out, sizeof out, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    snprintf(path, sizeof path, "%s/absent", f->root);
    assert_int_equal(
        bw_posix_read_secret(path, out, sizeof out, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "absent"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enospc_reports_size, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leftover_tmp_ignored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_symlink_not_followed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_secret, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
