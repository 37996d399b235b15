/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A NOR flash device over one file; see posix_flash.h for the rules.
 */
#include "posix_flash.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ERASED 0xffu

/* Parse a decimal u32 at *p, advancing it.  0 on success. */
static int parse_u32(const char **p, uint32_t *out)
{
    uint64_t v = 0;
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9') {
        v = v * 10u + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return -1;
        s++;
    }
    *p = s;
    *out = (uint32_t)v;
    return 0;
}

int bw_posix_geometry_parse(const char *s, bw_posix_geometry_t *g)
{
    if (g != NULL)
        memset(g, 0, sizeof *g);
    if (s == NULL || g == NULL)
        return BW_EINVAL;
    uint64_t total = 0;
    for (;;) {
        bw_posix_run_t r = {0, 1};
        if (g->n_runs == BW_POSIX_FLASH_MAX_RUNS || parse_u32(&s, &r.size))
            goto bad;
        if (*s == 'x' && (s++, parse_u32(&s, &r.count)))
            goto bad;
        if (r.size == 0 || r.count == 0)
            goto bad;
        total += (uint64_t)r.size * r.count;
        if (total > UINT32_MAX) {
            memset(g, 0, sizeof *g);
            return BW_EOVERFLOW;
        }
        g->run[g->n_runs++] = r;
        if (*s == '\0')
            break;
        if (*s++ != ',')
            goto bad;
    }
    g->total = (uint32_t)total;
    return 0;
bad:
    memset(g, 0, sizeof *g);
    return BW_EMALFORMED;
}

int bw_posix_geometry_format(const bw_posix_geometry_t *g, char *out,
                             size_t cap)
{
    if (g == NULL || out == NULL || cap == 0)
        return BW_EINVAL;
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < g->n_runs; i++) {
        int n = snprintf(out + used, cap - used, "%s%" PRIu32 "x%" PRIu32,
                         i ? "," : "", g->run[i].size, g->run[i].count);
        if (n < 0 || (size_t)n >= cap - used) {
            out[0] = '\0';
            return BW_ENOSPC;
        }
        used += (size_t)n;
    }
    return 0;
}

int bw_posix_geometry_sector_at(const bw_posix_geometry_t *g, uint32_t off,
                                uint32_t *start, uint32_t *size)
{
    uint64_t base = 0;
    for (size_t i = 0; i < g->n_runs; i++) {
        uint64_t span = (uint64_t)g->run[i].size * g->run[i].count;
        if (off < base + span) {
            uint64_t idx = (off - base) / g->run[i].size;
            *start = (uint32_t)(base + idx * g->run[i].size);
            *size = g->run[i].size;
            return 0;
        }
        base += span;
    }
    return BW_ERANGE;
}

/* pread/pwrite until done; 0 or BW_EIO. */
static int io_full(int fd, int wr, uint32_t off, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n =
            wr ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return BW_EIO;
        p += n;
        off += (uint32_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* Fault injection and durability around one write or erase. */
static void before_op(bw_posix_flash_t *f)
{
    f->ops++;
    if (f->delay_us != 0) {
        struct timespec ts = {(time_t)(f->delay_us / 1000000u),
                              (long)(f->delay_us % 1000000u) * 1000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    if (f->crash_at_op != 0 && f->ops == f->crash_at_op) {
        fprintf(stderr, "posix-flash: simulated power cut at operation %llu\n",
                (unsigned long long)f->ops);
        kill(getpid(), SIGKILL);
    }
}

static int after_op(bw_posix_flash_t *f, int err)
{
    if (err == 0 && f->sync && fdatasync(f->fd) != 0)
        err = BW_EIO;
    return err;
}

static int ff_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    bw_posix_flash_t *f = ctx;
    if (off > f->geom.total || len > f->geom.total - off)
        return BW_ERANGE;
    return io_full(f->fd, 0, off, buf, len);
}

static int ff_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    bw_posix_flash_t *f = ctx;
    const uint8_t *src = buf;
    uint8_t cur[BW_POSIX_FLASH_CHUNK];
    if (off > f->geom.total || len > f->geom.total - off)
        return BW_ERANGE;
    if (off % f->dev.write_align != 0 || len % f->dev.write_align != 0)
        return BW_EALIGN;
    before_op(f);
    int err = 0;
    while (err == 0 && len > 0) {
        size_t n = len < sizeof cur ? len : sizeof cur;
        err = io_full(f->fd, 0, off, cur, n);
        for (size_t i = 0; err == 0 && i < n; i++)
            cur[i] &= src[i]; /* programming only clears bits */
        if (err == 0)
            err = io_full(f->fd, 1, off, cur, n);
        off += (uint32_t)n;
        src += n;
        len -= n;
    }
    return after_op(f, err);
}

static int ff_erase(void *ctx, uint32_t off, uint32_t len)
{
    bw_posix_flash_t *f = ctx;
    uint8_t ff[BW_POSIX_FLASH_CHUNK];
    uint32_t start, size;
    if (off > f->geom.total || len > f->geom.total - off)
        return BW_ERANGE;
    if (len == 0)
        return 0;
    /* Both ends must be sector boundaries. */
    if (bw_posix_geometry_sector_at(&f->geom, off, &start, &size) != 0 ||
        start != off)
        return BW_EALIGN;
    if (off + len < f->geom.total &&
        (bw_posix_geometry_sector_at(&f->geom, off + len, &start, &size) != 0 ||
         start != off + len))
        return BW_EALIGN;
    before_op(f);
    memset(ff, ERASED, sizeof ff);
    int err = 0;
    while (err == 0 && len > 0) {
        uint32_t n = len < sizeof ff ? len : (uint32_t)sizeof ff;
        err = io_full(f->fd, 1, off, ff, n);
        off += n;
        len -= n;
    }
    return after_op(f, err);
}

static int ff_sector_at(void *ctx, uint32_t off, uint32_t *start,
                        uint32_t *size)
{
    const bw_posix_flash_t *f = ctx;
    return bw_posix_geometry_sector_at(&f->geom, off, start, size);
}

static const bw_flash_ops_t ff_ops = {ff_read, ff_write, ff_erase,
                                      ff_sector_at};

/* Fill a new file with the erased value up to total bytes. */
static int fill_erased(int fd, uint32_t total)
{
    uint8_t ff[BW_POSIX_FLASH_CHUNK];
    memset(ff, ERASED, sizeof ff);
    for (uint32_t off = 0; off < total;) {
        uint32_t n = total - off < sizeof ff ? total - off : sizeof ff;
        if (io_full(fd, 1, off, ff, n) != 0)
            return BW_EIO;
        off += n;
    }
    return fsync(fd) == 0 ? 0 : BW_EIO;
}

int bw_posix_flash_open(bw_posix_flash_t *f, const char *path,
                        const bw_posix_geometry_t *g, uint8_t align, int create)
{
    if (f == NULL)
        return BW_EINVAL;
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (path == NULL || g == NULL || g->n_runs == 0 || align == 0 ||
        align > BW_FLASH_MAX_ALIGN || (align & (align - 1u)) != 0)
        return BW_EINVAL;
    for (size_t i = 0; i < g->n_runs; i++)
        if (g->run[i].size % align != 0)
            return BW_EINVAL;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    int fresh = 0;
    if (fd < 0 && errno == ENOENT && create) {
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        fresh = 1;
    }
    if (fd < 0)
        return errno == ENOENT ? BW_ENOTFOUND : BW_EIO;
    struct stat st;
    int err = fstat(fd, &st) == 0 ? 0 : BW_EIO;
    if (err == 0 && fresh)
        err = fill_erased(fd, g->total);
    else if (err == 0 && (uint64_t)st.st_size != g->total)
        err = BW_ERANGE;
    if (err != 0) {
        close(fd);
        if (fresh)
            unlink(path);
        return err;
    }
    f->geom = *g;
    f->fd = fd;
    f->sync = 1;
    f->dev.ops = &ff_ops;
    f->dev.ctx = f;
    f->dev.size = g->total;
    f->dev.write_align = align;
    f->dev.erased_val = ERASED;
    return 0;
}

void bw_posix_flash_close(bw_posix_flash_t *f)
{
    if (f != NULL && f->dev.ops != NULL && f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
        f->dev.ops = NULL;
    }
}

const bw_flash_t *bw_posix_flash_dev(const bw_posix_flash_t *f)
{
    return f != NULL && f->dev.ops != NULL ? &f->dev : NULL;
}
