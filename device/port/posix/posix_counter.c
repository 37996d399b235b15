/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The security counter file; format and guarantees in posix_counter.h.
 */
#include "posix_counter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define COUNTER_PREFIX     "bwcnt1 "
#define COUNTER_PREFIX_LEN 7u

int bw_posix_counter_init(bw_posix_counter_t *c, const char *path,
                          int read_only)
{
    if (c == NULL || path == NULL || path[0] == '\0')
        return BW_EINVAL;
    memset(c, 0, sizeof *c);
    size_t n = strlen(path);
    if (n > BW_POSIX_COUNTER_PATH_MAX)
        return BW_ENOSPC;
    memcpy(c->path, path, n + 1);
    c->read_only = read_only != 0;
    return 0;
}

static void format_line(uint32_t v, char out[BW_POSIX_COUNTER_FILE_LEN + 1])
{
    snprintf(out, BW_POSIX_COUNTER_FILE_LEN + 1,
             COUNTER_PREFIX "%010" PRIu32 "/%08" PRIx32 "\n", v, ~v);
}

/* Decode exactly one well-formed line; -1 for anything else. */
static int parse_line(const char *s, size_t len, uint32_t *v)
{
    char want[BW_POSIX_COUNTER_FILE_LEN + 1];
    uint64_t x = 0;
    if (len != BW_POSIX_COUNTER_FILE_LEN ||
        memcmp(s, COUNTER_PREFIX, COUNTER_PREFIX_LEN) != 0)
        return -1;
    for (size_t i = COUNTER_PREFIX_LEN; i < COUNTER_PREFIX_LEN + 10u; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10u + (uint64_t)(s[i] - '0');
    }
    if (x > UINT32_MAX)
        return -1;
    /* The canonical encoding must match byte for byte (check included). */
    format_line((uint32_t)x, want);
    if (memcmp(want, s, BW_POSIX_COUNTER_FILE_LEN) != 0)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

int bw_posix_counter_read(void *ctx, uint32_t *value)
{
    const bw_posix_counter_t *c = ctx;
    char buf[BW_POSIX_COUNTER_FILE_LEN + 2];
    if (value != NULL)
        *value = 0;
    if (c == NULL || value == NULL)
        return BW_EINVAL;
    int fd = open(c->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : BW_EIO;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return BW_EIO;
        }
        if (n == 0 || (len += (size_t)n) == sizeof buf)
            break;
    }
    close(fd);
    return parse_line(buf, len, value) == 0 ? 0 : BW_EIO;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsync the directory holding path, so the rename itself is durable. */
static int sync_dir(const char *path)
{
    char dir[BW_POSIX_COUNTER_PATH_MAX + 1];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        dir[0] = '.';
        dir[1] = '\0';
    } else {
        size_t n = slash == path ? 1u : (size_t)(slash - path);
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int bw_posix_counter_advance(void *ctx, uint32_t value)
{
    const bw_posix_counter_t *c = ctx;
    char tmp[BW_POSIX_COUNTER_PATH_MAX + 5];
    char line[BW_POSIX_COUNTER_FILE_LEN + 1];
    uint32_t cur;
    if (c == NULL)
        return BW_EINVAL;
    int err = bw_posix_counter_read(ctx, &cur);
    if (err != 0)
        return err;
    if (value < cur)
        return BW_EROLLBACK;
    if (value == cur)
        return 0;
    if (c->read_only)
        return BW_ESTATE;
    snprintf(tmp, sizeof tmp, "%s.tmp", c->path);
    format_line(value, line);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return BW_EIO;
    int bad = write_all(fd, line, BW_POSIX_COUNTER_FILE_LEN) != 0;
    bad |= fsync(fd) != 0;
    bad |= close(fd) != 0;
    if (bad || rename(tmp, c->path) != 0) {
        unlink(tmp);
        return BW_EIO;
    }
    return sync_dir(c->path) == 0 ? 0 : BW_EIO;
}

bw_boot_counter_t bw_posix_counter_ops(bw_posix_counter_t *c)
{
    bw_boot_counter_t ops = {bw_posix_counter_read, bw_posix_counter_advance,
                             c};
    return ops;
}
