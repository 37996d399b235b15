/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request and response bodies.
 *
 * The request body (-f) is read whole into memory, at most CLI_BODY_MAX
 * bytes: stdin cannot be read twice, and a Block1 upload may have to
 * start over at block 0 when the server asks for smaller blocks (4.13).
 *
 * The response body is never held: each block goes to the output file
 * (-o) or stdout as it arrives.  If the transfer fails, a file given with
 * -o is removed, so a truncated download never passes for a whole one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "posix_err.h"

int cli_body_load(cli_body_t *b, const char *path, char *err, size_t cap)
{
    memset(b, 0, sizeof *b);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return bw_posix_errf(err, cap, "%s: %s", path, strerror(errno));
    size_t cap_now = 0;
    int rc = 0;
    for (;;) {
        if (b->len == cap_now) {
            if (cap_now > CLI_BODY_MAX) {
                rc = bw_posix_errf(err, cap, "%s: larger than %u bytes", path,
                                   CLI_BODY_MAX);
                break;
            }
            size_t next = cap_now == 0 ? 65536 : cap_now * 2;
            uint8_t *p = realloc(b->data, next);
            if (p == NULL) {
                rc = bw_posix_errf(err, cap, "%s: out of memory", path);
                break;
            }
            b->data = p;
            cap_now = next;
        }
        size_t got = fread(b->data + b->len, 1, cap_now - b->len, f);
        b->len += got;
        if (got == 0) {
            if (ferror(f))
                rc = bw_posix_errf(err, cap, "%s: read error", path);
            break;
        }
    }
    if (rc == 0 && b->len > CLI_BODY_MAX)
        rc = bw_posix_errf(err, cap, "%s: larger than %u bytes", path,
                           CLI_BODY_MAX);
    if (f != stdin)
        fclose(f);
    if (rc != 0)
        cli_body_free(b);
    return rc;
}

void cli_body_free(cli_body_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

int cli_sink_open(cli_sink_t *s, const char *path, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (path == NULL || strcmp(path, "-") == 0) {
        s->f = stdout;
        return 0;
    }
    s->f = fopen(path, "wb");
    if (s->f == NULL)
        return bw_posix_errf(err, cap, "%s: %s", path, strerror(errno));
    s->path = path;
    return 0;
}

int cli_sink_rewind(cli_sink_t *s, char *err, size_t cap)
{
    s->written = 0;
    s->failed = 0;
    if (s->path == NULL)
        return 0; /* stdout: the repeated body simply follows */
    if (fflush(s->f) != 0 || ftruncate(fileno(s->f), 0) != 0 ||
        fseek(s->f, 0, SEEK_SET) != 0)
        return bw_posix_errf(err, cap, "%s: %s", s->path, strerror(errno));
    return 0;
}

int cli_sink_close(cli_sink_t *s, int ok, char *err, size_t cap)
{
    int rc = 0;
    if (s->f == NULL)
        return 0;
    if (s->path == NULL) {
        if (fflush(stdout) != 0 && ok)
            rc = bw_posix_errf(err, cap, "stdout: %s", strerror(errno));
    } else {
        if (fclose(s->f) != 0 && ok)
            rc = bw_posix_errf(err, cap, "%s: %s", s->path, strerror(errno));
        if (!ok || rc != 0)
            unlink(s->path);
    }
    s->f = NULL;
    return rc;
}

int cli_sink_write(void *arg, uint32_t offset, const uint8_t *data, size_t len)
{
    cli_sink_t *s = arg;
    /* The Block2 client hands bytes over in order without gaps. */
    if ((uint64_t)offset != s->written) {
        s->failed = 1;
        return -1;
    }
    if (len > 0 && fwrite(data, 1, len, s->f) != len) {
        s->failed = 1;
        return -1;
    }
    s->written += len;
    return 0;
}
