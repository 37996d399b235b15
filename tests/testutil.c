/* SPDX-License-Identifier: Apache-2.0 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/error.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t bw_test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == ':')
            continue;
        int v = hexval(*p);
        if (v < 0)
            fail_msg("bad hex character '%c' in \"%s\"", *p, hex);
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n >= cap)
            fail_msg("hex literal longer than %zu bytes", cap);
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (hi >= 0)
        fail_msg("odd number of hex digits in \"%s\"", hex);
    return n;
}

size_t bw_test_read_file(const char *path, uint8_t **data)
{
    char full[4096];
    if (path[0] == '/')
        snprintf(full, sizeof full, "%s", path);
    else
        snprintf(full, sizeof full, "%s/%s", BW_TEST_DATA_DIR, path);
    FILE *f = fopen(full, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", full);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    if (n < 0)
        fail_msg("cannot size %s", full);
    *data = malloc((size_t)n + 1);
    if (*data == NULL || fread(*data, 1, (size_t)n, f) != (size_t)n)
        fail_msg("cannot read %s", full);
    fclose(f);
    return (size_t)n;
}

void bw_test_assert_err_(int err, int expected, const char *expr,
                         const char *file, int line)
{
    if (err != expected) {
        print_error("%s = %s (%d), expected %s (%d)\n", expr, bw_err_name(err),
                    err, bw_err_name(expected), expected);
        _fail(file, line);
    }
}
