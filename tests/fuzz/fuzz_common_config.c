/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the configuration text parser (bulwark/config.h).  For every input:
 *   - every setting handed over must follow the contract: a non-empty
 *     name of A-Z a-z 0-9 - _ . not starting with '-', a value without
 *     control bytes other than TAB, name and value together within one
 *     line, lines rising;
 *   - a failure must name a line within the text (or line 0 only for a
 *     text over the limit) and say why;
 *   - when the text is accepted, its settings are written out again, each
 *     value quoted and escaped ("name = \"...\""), and that text must
 *     parse to the same settings in the same order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/config.h"

typedef struct {
    char *log; /* "name\0value\0" per setting, in order */
    size_t used, cap;
    size_t pos;    /* second pass: where the next setting is compared */
    unsigned last; /* line of the previous setting */
    int compare;   /* 0: record into log; 1: compare with it */
    size_t settings;
} run_t;

static int name_ok(const char *n)
{
    if (n[0] == '\0' || n[0] == '-')
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
              (*n >= '0' && *n <= '9') || *n == '-' || *n == '_' || *n == '.'))
            return 0;
    return 1;
}

static int value_ok(const char *v)
{
    for (; *v; v++) {
        unsigned char b = (unsigned char)*v;
        if ((b < 0x20 && b != '\t') || b == 0x7f)
            return 0;
    }
    return 1;
}

static int check(void *arg, unsigned line, const char *name, const char *value)
{
    run_t *r = arg;
    size_t nl = strlen(name), vl = strlen(value);
    if (!name_ok(name) || !value_ok(value) || line <= r->last ||
        nl + vl > BW_CONFIG_LINE_MAX - 1)
        abort();
    r->last = line;
    r->settings++;
    if (r->compare) {
        if (r->pos + nl + vl + 2 > r->used ||
            memcmp(r->log + r->pos, name, nl + 1) != 0 ||
            memcmp(r->log + r->pos + nl + 1, value, vl + 1) != 0)
            abort();
        r->pos += nl + vl + 2;
        return 0;
    }
    /* name + value + 2 NULs <= line + 2 bytes: the log holds the input
     * size plus 2 per line. */
    if (r->used + nl + vl + 2 > r->cap)
        abort();
    memcpy(r->log + r->used, name, nl + 1);
    memcpy(r->log + r->used + nl + 1, value, vl + 1);
    r->used += nl + vl + 2;
    return 0;
}

/* The recorded settings as quoted lines; 0 if a line would be too long. */
static size_t emit(const run_t *r, char *out, size_t cap)
{
    size_t o = 0, p = 0;
    while (p < r->used) {
        const char *name = r->log + p;
        const char *value = name + strlen(name) + 1;
        size_t start = o;
        size_t need = strlen(name) + 5 + 2 * strlen(value) + 1;
        if (o + need > cap)
            abort(); /* cap was sized for the worst case */
        memcpy(out + o, name, strlen(name));
        o += strlen(name);
        memcpy(out + o, " = \"", 4);
        o += 4;
        for (const char *v = value; *v; v++) {
            if (*v == '"' || *v == '\\')
                out[o++] = '\\';
            out[o++] = *v;
        }
        out[o++] = '"';
        if (o - start > BW_CONFIG_LINE_MAX)
            return 0;
        out[o++] = '\n';
        p = (size_t)(value + strlen(value) + 1 - r->log);
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* On the heap at its exact size: a write past it is caught. */
    bw_config_scratch_t *scratch = malloc(sizeof *scratch);
    run_t r = {0};
    r.cap = size + 2 * (size + 1) + 2;
    r.log = malloc(r.cap);
    if (r.log == NULL || scratch == NULL) {
        free(r.log);
        free(scratch);
        return 0;
    }
    bw_config_diag_t d;
    int err = bw_config_parse((const char *)data, size, scratch, check, &r, &d);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (err != 0) {
        if (d.what == NULL || d.what[0] == '\0' || d.line > lines ||
            (d.line == 0 && err != BW_EOVERFLOW))
            abort();
        free(r.log);
        free(scratch);
        return 0;
    }
    /* Writing every value quoted at most doubles it: room for all. */
    size_t cap = r.used * 2 + r.settings * 8 + 1;
    char *text = malloc(cap);
    if (text == NULL) {
        free(r.log);
        free(scratch);
        return 0;
    }
    size_t n = emit(&r, text, cap);
    if (n > 0 && n <= BW_CONFIG_TEXT_MAX) {
        size_t first = r.settings;
        r.compare = 1;
        r.pos = 0;
        r.last = 0;
        r.settings = 0;
        err = bw_config_parse(text, n, scratch, check, &r, &d);
        if (err != 0 || r.settings != first || r.pos != r.used)
            abort();
    }
    free(text);
    free(r.log);
    free(scratch);
    return 0;
}
