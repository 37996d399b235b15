/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Output for people: aligned tables, "name: value" blocks, times in UTC,
 * CoAP codes with their names.  Everything that came from the server is
 * sanitized before it reaches the terminal.  --json output bypasses all
 * of this (ctl_print_raw).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

static void out_of_memory(void)
{
    fputs(CTL_NAME ": out of memory\n", stderr);
    exit(CTL_API);
}

char *ctl_strdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        out_of_memory();
    return p;
}

char *ctl_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = NULL;
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    return p;
}

void ctl_sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

void ctl_print_raw(const ctl_answer_t *a)
{
    if (a->raw == NULL)
        return;
    fwrite(a->raw, 1, a->len, stdout);
    if (a->len == 0 || a->raw[a->len - 1] != '\n')
        putchar('\n');
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Unix time (seconds, or milliseconds when ms) as "2024-06-10 12:00:00Z". */
static char *utc(json_int_t t, int ms)
{
    time_t s = (time_t)(ms ? t / 1000 : t);
    struct tm tm;
    char buf[40];
    if (gmtime_r(&s, &tm) == NULL ||
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
        return ctl_printf("%lld", (long long)t);
    return ctl_strdup(buf);
}

char *ctl_cell(const json_t *v, const char *name)
{
    char *s;
    if (v == NULL || json_is_null(v)) {
        s = ctl_strdup("-");
    } else if (json_is_string(v)) {
        const char *t = json_string_value(v);
        s = ctl_strdup(*t != '\0' ? t : "-");
    } else if (json_is_boolean(v)) {
        s = ctl_strdup(json_is_true(v) ? "yes" : "no");
    } else if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (name != NULL && ends_with(name, "_ms") && i > 0)
            s = utc(i, 1);
        else if (name != NULL &&
                 (ends_with(name, "_at") || strcmp(name, "at") == 0) && i > 0)
            s = utc(i, i > 100000000000LL); /* after 1973 in ms */
        else
            s = ctl_printf("%lld", (long long)i);
    } else if (json_is_real(v)) {
        s = ctl_printf("%g", json_real_value(v));
    } else if (json_is_array(v)) {
        /* Scalars joined with commas; anything nested as JSON. */
        size_t i;
        const json_t *e;
        s = ctl_strdup("");
        json_array_foreach(v, i, e)
        {
            char *c = json_is_object(e) || json_is_array(e)
                          ? json_dumps(e, JSON_COMPACT)
                          : ctl_cell(e, NULL);
            char *n = ctl_printf("%s%s%s", s, i > 0 ? "," : "", c ? c : "");
            if (json_is_object(e) || json_is_array(e))
                ctl_json_free(c);
            else
                free(c);
            free(s);
            s = n;
        }
        if (*s == '\0') {
            free(s);
            s = ctl_strdup("-");
        }
    } else {
        char *d = json_dumps(v, JSON_COMPACT);
        s = ctl_strdup(d != NULL ? d : "?");
        ctl_json_free(d);
    }
    ctl_sanitize(s);
    return s;
}

void ctl_table_init(ctl_table_t *t, const char *const *heads)
{
    memset(t, 0, sizeof *t);
    while (heads[t->ncols] != NULL)
        t->ncols++;
    char **row = calloc(t->ncols, sizeof *row);
    if (row == NULL)
        out_of_memory();
    for (size_t i = 0; i < t->ncols; i++)
        row[i] = ctl_strdup(heads[i]);
    ctl_table_row(t, row);
    free(row);
}

void ctl_table_row(ctl_table_t *t, char **cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap != 0 ? t->cap * 2 : 16;
        char **nc = realloc(t->cells, cap * t->ncols * sizeof *nc);
        if (nc == NULL)
            out_of_memory();
        t->cells = nc;
        t->cap = cap;
    }
    memcpy(t->cells + t->nrows * t->ncols, cells, t->ncols * sizeof *cells);
    t->nrows++;
}

/* Columns on a terminal: UTF-8 code points (no wide characters expected
 * in names and versions). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

void ctl_print_items(const json_t *items, const char *const *heads,
                     const char *const *keys, const char *const *as)
{
    ctl_table_t t;
    ctl_table_init(&t, heads);
    char **row = calloc(t.ncols, sizeof *row);
    if (row == NULL)
        out_of_memory();
    size_t i;
    const json_t *e;
    json_array_foreach(items, i, e)
    {
        for (size_t k = 0; k < t.ncols; k++)
            row[k] = ctl_cell(json_object_get(e, keys[k]),
                              as != NULL ? as[k] : keys[k]);
        ctl_table_row(&t, row);
    }
    free(row);
    ctl_table_print(&t, stdout);
}

void ctl_table_print(ctl_table_t *t, FILE *out)
{
    size_t *w = calloc(t->ncols, sizeof *w);
    if (w == NULL)
        out_of_memory();
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t k = 0; k < t->ncols; k++) {
            size_t n = width(t->cells[r * t->ncols + k]);
            if (n > w[k])
                w[k] = n;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t k = 0; k < t->ncols; k++) {
            const char *s = t->cells[r * t->ncols + k];
            if (k + 1 == t->ncols) {
                fprintf(out, "%s\n", s);
            } else {
                fputs(s, out);
                for (size_t i = width(s); i < w[k] + 2; i++)
                    fputc(' ', out);
            }
        }
    }
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(w);
    memset(t, 0, sizeof *t);
}

static int listed(const char *key, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(key, names[i]) == 0)
            return 1;
    return 0;
}

void ctl_print_fields(const json_t *o, const char *const *names)
{
    size_t w = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)o, key, v)
    {
        if ((listed(key, names) || !(json_is_object(v) || json_is_array(v))) &&
            strlen(key) > w)
            w = strlen(key);
    }
    for (size_t i = 0; names[i] != NULL; i++) {
        v = json_object_get(o, names[i]);
        if (v == NULL)
            continue;
        char *s = ctl_cell(v, names[i]);
        printf("%s:%*s %s\n", names[i], (int)(w - strlen(names[i])), "", s);
        free(s);
    }
    json_object_foreach((json_t *)(uintptr_t)o, key, v)
    {
        if (listed(key, names) || json_is_object(v) || json_is_array(v))
            continue;
        char *k = ctl_strdup(key);
        ctl_sanitize(k);
        char *s = ctl_cell(v, key);
        printf("%s:%*s %s\n", k, (int)(w - strlen(k)), "", s);
        free(s);
        free(k);
    }
}

const char *ctl_coap_name(const char *code)
{
    static const struct {
        const char *code, *text;
    } names[] = {
        {"2.01", "2.01 Created"},
        {"2.02", "2.02 Deleted"},
        {"2.03", "2.03 Valid"},
        {"2.04", "2.04 Changed"},
        {"2.05", "2.05 Content"},
        {"2.31", "2.31 Continue"},
        {"4.00", "4.00 Bad Request"},
        {"4.01", "4.01 Unauthorized"},
        {"4.02", "4.02 Bad Option"},
        {"4.03", "4.03 Forbidden"},
        {"4.04", "4.04 Not Found"},
        {"4.05", "4.05 Method Not Allowed"},
        {"4.06", "4.06 Not Acceptable"},
        {"4.08", "4.08 Request Entity Incomplete"},
        {"4.12", "4.12 Precondition Failed"},
        {"4.13", "4.13 Request Entity Too Large"},
        {"4.15", "4.15 Unsupported Content-Format"},
        {"5.00", "5.00 Internal Server Error"},
        {"5.01", "5.01 Not Implemented"},
        {"5.03", "5.03 Service Unavailable"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(code, names[i].code) == 0)
            return names[i].text;
    return code;
}

int ctl_list(ctl_t *c, const char *path, const char *member,
             const char *const *heads, const char *const *keys,
             const char *const *as, const ctl_page_t *p, const char *arg,
             int filtered)
{
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        const json_t *items = json_object_get(a.body, member);
        if (json_is_array(items)) {
            ctl_print_items(items, heads, keys, as);
            ctl_page_more(p, arg, json_object_get(a.body, "next"), filtered);
        } else {
            rc = ctl_fail(CTL_API, "the answer has no list of %s", member);
        }
    }
    ctl_answer_free(&a);
    return rc;
}
