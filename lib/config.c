/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "name = value" configuration text (include/bulwark/config.h).
 *
 * One pass over the text, one line at a time: the line is bounded first
 * (length, then bytes), then split into name and value, which are copied
 * NUL-terminated into the caller's scratch and handed to the callback.
 * Nothing is kept between lines, so the parser holds no state but the
 * position; the scratch is big enough for any accepted line by
 * construction (see bw_config_scratch_t).
 */
#include "bulwark/config.h"

#include <stdint.h>

/* The messages below spell the limits out. */
_Static_assert(BW_CONFIG_TEXT_MAX == 65536u, "message says 65536 bytes");
_Static_assert(BW_CONFIG_LINE_MAX == 4096u, "message says 4096 bytes");

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* A '#' at i starts a comment when it opens the line or follows a blank. */
static int comment_at(const char *l, size_t i)
{
    return l[i] == '#' && (i == 0 || blank(l[i - 1]));
}

/*
 * The quoted value starting after the '"' at l[i - 1]: unescaped into out
 * (room for n - i bytes at least), *olen set.  Only blanks and a comment
 * may follow the closing quote.
 */
static int quoted(const char *l, size_t n, size_t i, char *out, size_t *olen,
                  const char **what)
{
    size_t o = 0;
    for (;;) {
        if (i == n) {
            *what = "quoted value without its closing '\"'";
            return BW_ETRUNC;
        }
        char c = l[i++];
        if (c == '"')
            break;
        if (c == '\\') {
            if (i == n) {
                *what = "quoted value without its closing '\"'";
                return BW_ETRUNC;
            }
            if (l[i] != '"' && l[i] != '\\') {
                *what = "inside quotes only \\\" and \\\\ are escapes";
                return BW_EMALFORMED;
            }
            c = l[i++];
        }
        out[o++] = c;
    }
    while (i < n && blank(l[i]))
        i++;
    if (i < n && !comment_at(l, i)) {
        *what = "text after the closing '\"'";
        return BW_ETRAILING;
    }
    *olen = o;
    return 0;
}

/*
 * One line l[0..n) (no LF, no final CR).  On a setting, *name and *value
 * point into out; on a blank or comment line, *name is NULL.
 */
static int line_parse(const char *l, size_t n, char *out, const char **name,
                      const char **value, const char **what)
{
    *name = NULL;
    for (size_t k = 0; k < n; k++) {
        unsigned char b = (unsigned char)l[k];
        if ((b < 0x20 && b != '\t') || b == 0x7f) {
            *what = b == 0 ? "NUL byte" : "control character";
            return BW_EMALFORMED;
        }
    }
    size_t i = 0;
    while (i < n && blank(l[i]))
        i++;
    if (i == n || l[i] == '#')
        return 0;

    size_t ns = i;
    while (i < n && name_char(l[i]))
        i++;
    size_t ne = i;
    while (i < n && blank(l[i]))
        i++;
    if (i == n || comment_at(l, i)) {
        *what = "expected \"name = value\"";
        return BW_EMALFORMED;
    }
    if (l[i] != '=') {
        *what = i == ne ? "a name is letters, digits, '-', '_' and '.'"
                        : "expected '=' after the name";
        return BW_EMALFORMED;
    }
    if (ne == ns) {
        *what = "a setting needs a name before '='";
        return BW_EMALFORMED;
    }
    if (l[ns] == '-') {
        *what = "names are written without the leading \"--\"";
        return BW_EMALFORMED;
    }
    i++; /* '=' */
    while (i < n && blank(l[i]))
        i++;

    /* Name, then value, NUL-terminated each: ne - ns + 1 + (n - i) + 1
     * <= n + 2 bytes, within the scratch. */
    size_t o = 0;
    for (size_t k = ns; k < ne; k++)
        out[o++] = l[k];
    out[o++] = '\0';
    char *v = out + o;
    size_t vlen = 0;
    if (i < n && l[i] == '"') {
        int err = quoted(l, n, i + 1, v, &vlen, what);
        if (err != 0)
            return err;
    } else if (i < n && !comment_at(l, i)) {
        size_t e = i;
        while (e < n && !comment_at(l, e))
            e++;
        while (e > i && blank(l[e - 1]))
            e--;
        for (size_t k = i; k < e; k++)
            v[vlen++] = l[k];
    }
    v[vlen] = '\0';
    *name = out;
    *value = v;
    return 0;
}

int bw_config_parse(const char *text, size_t len, bw_config_scratch_t *scratch,
                    bw_config_fn fn, void *arg, bw_config_diag_t *diag)
{
    bw_config_diag_t local;
    if (diag == NULL)
        diag = &local;
    diag->line = 0;
    diag->what = "";
    if ((text == NULL && len > 0) || scratch == NULL || fn == NULL) {
        diag->what = "invalid arguments";
        return BW_EINVAL;
    }
    if (len > BW_CONFIG_TEXT_MAX) {
        diag->what = "file larger than 65536 bytes";
        return BW_EOVERFLOW;
    }
    size_t pos = 0;
    unsigned line = 0;
    while (pos < len) {
        line++;
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t n = end - pos;
        if (n > BW_CONFIG_LINE_MAX) {
            diag->line = line;
            diag->what = "line longer than 4096 bytes";
            return BW_EOVERFLOW;
        }
        if (n > 0 && text[pos + n - 1] == '\r')
            n--;
        const char *name, *value, *what = "";
        int err = line_parse(text + pos, n, scratch->buf, &name, &value, &what);
        if (err == 0 && name != NULL)
            err = fn(arg, line, name, value);
        if (err != 0) {
            diag->line = line;
            diag->what = what;
            return err;
        }
        pos = end + 1; /* past the LF; end == len ends the loop too */
    }
    diag->line = line;
    return 0;
}
