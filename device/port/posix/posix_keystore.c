/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A directory of 0600 files as the device key store.  Layout, naming and
 * the atomic-replace protocol are described in posix_keystore.h.
 */
#include "posix_keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "bulwark/crypto.h"
#include "posix_err.h"

/* Full path of an item or its temporary file. */
#define PATH_CAP (BW_POSIX_KEYSTORE_DIR_MAX + 1u + BW_KEYSTORE_NAME_MAX + 6u)

static int name_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '_' || ch == '-';
}

/*
 * 1 when name is acceptable: components of [a-z0-9._-]+ joined by single
 * '/', none starting with '.', no "..", 1..BW_KEYSTORE_NAME_MAX bytes.
 */
static int name_ok(const char *name)
{
    size_t len;
    size_t i;
    int at_start = 1;

    if (name == NULL)
        return 0;
    len = strnlen(name, BW_KEYSTORE_NAME_MAX + 1u);
    if (len == 0 || len > BW_KEYSTORE_NAME_MAX || strstr(name, "..") != NULL)
        return 0;
    for (i = 0; i < len; i++) {
        char ch = name[i];
        if (ch == '/') {
            if (at_start)
                return 0; /* leading '/' or "//" */
            at_start = 1;
            continue;
        }
        if ((at_start && ch == '.') || !name_char_ok(ch))
            return 0;
        at_start = 0;
    }
    return !at_start; /* no trailing '/' */
}

static int make_private_dir(const char *path)
{
    struct stat st;

    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return BW_EIO;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return BW_EIO;
    if ((st.st_mode & 07777) != 0700 && chmod(path, 0700) != 0)
        return BW_EIO;
    return 0;
}

int bw_posix_keystore_init(bw_posix_keystore_t *ks, const char *dir)
{
    size_t len;

    if (ks == NULL || dir == NULL || dir[0] == '\0')
        return BW_EINVAL;
    len = strlen(dir);
    if (len > BW_POSIX_KEYSTORE_DIR_MAX)
        return BW_ENOSPC;
    memcpy(ks->dir, dir, len + 1u);
    return make_private_dir(ks->dir);
}

/* path = <dir>/<name>; the caller checked name. */
static void item_path(const bw_posix_keystore_t *ks, const char *name,
                      char path[PATH_CAP])
{
    /* Cannot be cut: both lengths are bounded and PATH_CAP holds both. */
    (void)snprintf(path, PATH_CAP, "%s/%s", ks->dir, name);
}

int bw_posix_keystore_get(void *ctx, const char *name, uint8_t *buf, size_t cap,
                          size_t *len)
{
    const bw_posix_keystore_t *ks = ctx;
    char path[PATH_CAP];
    struct stat st;
    size_t size;
    size_t got = 0;
    int fd;
    int rc = 0;

    if (len != NULL)
        *len = 0;
    if (ks == NULL || len == NULL || (buf == NULL && cap > 0) || !name_ok(name))
        return BW_EINVAL;
    item_path(ks, name, path);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return (errno == ENOENT || errno == ENOTDIR) ? BW_ENOTFOUND : BW_EIO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uintmax_t)st.st_size > BW_POSIX_KEYSTORE_ITEM_MAX) {
        close(fd);
        return BW_EIO;
    }
    size = (size_t)st.st_size;
    if (size > cap) {
        close(fd);
        *len = size;
        return BW_ENOSPC;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = BW_EIO; /* read error, or the file shrank under us */
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (rc != 0) {
        memset(buf, 0, got);
        return rc;
    }
    *len = size;
    return 0;
}

/*
 * Create the subdirectories of path (everything before its last '/'),
 * below the store's own directory (dir_len bytes of path).
 */
static int make_parents(char *path, size_t dir_len)
{
    char *p;

    for (p = path + dir_len + 1u; (p = strchr(p, '/')) != NULL; p++) {
        int rc;
        *p = '\0';
        rc = make_private_dir(path);
        *p = '/';
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return BW_EIO;
        done += (size_t)n;
    }
    return 0;
}

/* fsync the directory holding path, so a rename or unlink is durable. */
static int sync_parent(char *path)
{
    char *slash = strrchr(path, '/');
    int fd;
    int rc;

    *slash = '\0';
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *slash = '/';
    if (fd < 0)
        return BW_EIO;
    rc = fsync(fd) == 0 ? 0 : BW_EIO;
    close(fd);
    return rc;
}

int bw_posix_keystore_put(void *ctx, const char *name, const uint8_t *data,
                          size_t len)
{
    const bw_posix_keystore_t *ks = ctx;
    char path[PATH_CAP];
    char tmp[PATH_CAP];
    const char *base;
    size_t dir_part;
    int fd;
    int rc;

    if (ks == NULL || !name_ok(name) || (data == NULL && len > 0) ||
        len > BW_POSIX_KEYSTORE_ITEM_MAX)
        return BW_EINVAL;
    item_path(ks, name, path);
    rc = make_parents(path, strlen(ks->dir));
    if (rc != 0)
        return rc;

    /* tmp = <dir>/<sub>/.<base>.tmp: a name no item can have. */
    base = strrchr(path, '/') + 1;
    dir_part = (size_t)(base - path);
    memcpy(tmp, path, dir_part);
    (void)snprintf(tmp + dir_part, PATH_CAP - dir_part, ".%s.tmp", base);

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return BW_EIO;
    rc = fchmod(fd, 0600) == 0 ? 0 : BW_EIO;
    if (rc == 0)
        rc = write_all(fd, data, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = BW_EIO;
    if (close(fd) != 0 && rc == 0)
        rc = BW_EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = BW_EIO;
    if (rc != 0) {
        (void)unlink(tmp);
        return rc;
    }
    return sync_parent(path);
}

int bw_posix_keystore_erase(void *ctx, const char *name)
{
    const bw_posix_keystore_t *ks = ctx;
    char path[PATH_CAP];

    if (ks == NULL || !name_ok(name))
        return BW_EINVAL;
    item_path(ks, name, path);
    if (unlink(path) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return BW_EIO;
    }
    return sync_parent(path);
}

static const bw_keystore_ops_t keystore_ops = {
    .get = bw_posix_keystore_get,
    .put = bw_posix_keystore_put,
    .erase = bw_posix_keystore_erase,
};

bw_keystore_t bw_posix_keystore(bw_posix_keystore_t *ks)
{
    bw_keystore_t k = {&keystore_ops, ks};
    return k;
}

int bw_posix_read_secret(const char *path, uint8_t *out, size_t max,
                         size_t *len, char *err, size_t cap)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return bw_posix_errf(err, cap, "%s: %s", path, strerror(errno));
    /* One byte past the limit tells "too long" from "just fits". */
    uint8_t tmp[BW_POSIX_SECRET_MAX + 1];
    size_t room = max < BW_POSIX_SECRET_MAX ? max + 1 : sizeof tmp;
    size_t n = fread(tmp, 1, room, f);
    int bad = ferror(f);
    fclose(f);
    int rc = 0;
    if (bad)
        rc = bw_posix_errf(err, cap, "%s: read error", path);
    else if (n == 0)
        rc = bw_posix_errf(err, cap, "%s: empty PSK", path);
    else if (n > max)
        rc =
            bw_posix_errf(err, cap, "%s: PSK longer than %zu bytes", path, max);
    else {
        memcpy(out, tmp, n);
        *len = n;
    }
    bw_crypto_wipe(tmp, sizeof tmp);
    return rc;
}
