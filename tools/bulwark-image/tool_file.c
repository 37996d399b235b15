/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files: read whole, write atomically.  An output appears under its name
 * complete or not at all: it is written to a temporary file in the same
 * directory, flushed, and renamed (or linked, when an existing file must
 * not be replaced).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_tool.h"

int tool_read_file(const char *path, uint8_t **data, size_t *len, tool_msg_t *m)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tool_err(m, TOOL_FAIL, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return tool_err(m, TOOL_FAIL, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > TOOL_FILE_MAX) {
        close(fd);
        return tool_err(m, TOOL_FAIL,
                        "%s: %llu bytes, more than the %u "
                        "this tool reads",
                        path, (unsigned long long)st.st_size, TOOL_FILE_MAX);
    }
    size_t size = (size_t)st.st_size;
    /* One spare byte: an empty file still gets a buffer, text a NUL. */
    uint8_t *buf = malloc(size + 1u);
    if (buf == NULL) {
        close(fd);
        return tool_err(m, TOOL_FAIL, "%s: out of memory", path);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : 0;
            free(buf);
            close(fd);
            return tool_err(m, TOOL_FAIL, "%s: read failed: %s", path,
                            e ? strerror(e) : "file shrank while reading");
        }
        got += (size_t)n;
    }
    close(fd);
    buf[size] = 0; /* text readers (PEM) may treat it as a string */
    *data = buf;
    *len = size;
    return TOOL_OK;
}

/* Write all of data to fd. */
static int write_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int tool_write_file(const char *path, const void *data, size_t len,
                    unsigned mode, int exclusive, tool_msg_t *m)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return tool_err(m, TOOL_FAIL, "%s: path too long", path);
    /* mkstemp creates the file 0600; widen it only when asked. */
    int fd = mkstemp(tmp);
    if (fd < 0)
        return tool_err(m, TOOL_FAIL,
                        "%s: cannot create a temporary file "
                        "beside it: %s",
                        path, strerror(errno));
    int err = 0;
    const char *what = "write";
    if (fchmod(fd, (mode_t)mode) != 0) {
        err = errno;
        what = "chmod";
    } else if (write_all(fd, data, len) != 0) {
        err = errno;
    } else if (fsync(fd) != 0) {
        err = errno;
        what = "fsync";
    }
    if (close(fd) != 0 && err == 0) {
        err = errno;
        what = "close";
    }
    if (err != 0) {
        unlink(tmp);
        return tool_err(m, TOOL_FAIL, "%s: %s failed: %s", path, what,
                        strerror(err));
    }
    if (exclusive) {
        /* link() fails when path exists: no window to replace it. */
        if (link(tmp, path) != 0) {
            err = errno;
            unlink(tmp);
            if (err == EEXIST)
                return tool_err(m, TOOL_FAIL,
                                "%s: already exists (use "
                                "--force to replace it)",
                                path);
            return tool_err(m, TOOL_FAIL, "%s: cannot create: %s", path,
                            strerror(err));
        }
        unlink(tmp);
        return TOOL_OK;
    }
    if (rename(tmp, path) != 0) {
        err = errno;
        unlink(tmp);
        return tool_err(m, TOOL_FAIL,
                        "%s: cannot rename the temporary file "
                        "into place: %s",
                        path, strerror(err));
    }
    return TOOL_OK;
}
