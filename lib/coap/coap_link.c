/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoRE Link Format (RFC 6690): parser, attribute iterator and writer.
 * Typed value readers (uint, decimal, version, the LwM2M set) are in
 * coap_link_attr.c.  The grammar and the deliberate restrictions are
 * written out in include/bulwark/coap_link.h.
 *
 * One scanner per grammar item (scan_link, scan_param) is shared by the
 * validating pass, the callback pass and the attribute iterator, so the
 * three can never disagree about where an item ends.  Scanners take
 * [p, end) and never dereference end.
 */
#include "bulwark/coap_link.h"

#include <stddef.h>
#include <string.h>

#include "bw_mem.h"

#define LINK_SEP  ','
#define PARAM_SEP ';'
#define DQUOTE    '"'
#define BACKSLASH '\\'
/* "4294967295" */
#define UINT32_DIGITS 10

/* ---- character classes ------------------------------------------------ */

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 5987 attr-char without the "*" of ext-name-star. */
static int is_parmchar(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || (c != 0 && strchr("!#$&+-.^_`|~", c));
}

/* RFC 6690 ptokenchar: printable ASCII but SP DQUOTE "," ";" backslash. */
static int is_ptokenchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != DQUOTE && c != LINK_SEP &&
           c != PARAM_SEP && c != BACKSLASH;
}

/* RFC 3986 unreserved, gen-delims and sub-delims; "%" is handled apart. */
static int is_urichar(unsigned char c)
{
    return is_alpha(c) || is_digit(c) ||
           (c != 0 && strchr("-._~:/?#[]@!$&'()*+,;=", c));
}

/* What may follow a backslash in a quoted string (see coap_link.h). */
static int is_qchar(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t';
}

/*
 * Length of the valid UTF-8 sequence at p (first byte >= 0x80), or an
 * error: BW_EUTF8 for a bad lead, continuation, overlong form, surrogate
 * or code point past U+10FFFF; BW_ETRUNC when end cuts the sequence.
 */
static int utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t cp;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return BW_EUTF8;
    }
    for (size_t i = 1; i < n; i++) {
        if (p + i >= end)
            return BW_ETRUNC;
        if ((p[i] & 0xc0) != 0x80)
            return BW_EUTF8;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return BW_EUTF8;
    return (int)n;
}

/* ---- scanners --------------------------------------------------------- */

/* Quoted string body from just after the opening DQUOTE; *p ends past the
 * closing one.  Fills value/value_len/escaped. */
static int scan_quoted(const unsigned char **pp, const unsigned char *end,
                       bw_coap_link_attr_t *attr)
{
    const unsigned char *p = *pp;
    const unsigned char *start = p;

    for (;;) {
        if (p == end)
            return BW_ETRUNC;
        unsigned char c = *p;
        if (c == DQUOTE)
            break;
        if (c == BACKSLASH) {
            if (++p == end)
                return BW_ETRUNC;
            if (!is_qchar(*p))
                return BW_EMALFORMED;
            attr->escaped = 1;
            p++;
        } else if (c >= 0x80) {
            int n = utf8_seq(p, end);
            if (n < 0)
                return n;
            p += n;
        } else if (c < 0x20 && c != '\t') {
            return BW_EMALFORMED;
        } else if (c == 0x7f) {
            return BW_EMALFORMED;
        } else {
            p++;
        }
    }
    attr->value = (const char *)start;
    attr->value_len = (size_t)(p - start);
    *pp = p + 1;
    return 0;
}

/* One link-param starting at its ";".  *pp ends just past it. */
static int scan_param(const unsigned char **pp, const unsigned char *end,
                      bw_coap_link_attr_t *attr)
{
    const unsigned char *p = *pp + 1;
    const unsigned char *name = p;

    bw__zero(attr, sizeof *attr);
    if (p == end)
        return BW_ETRUNC;
    while (p < end && is_parmchar(*p))
        p++;
    if (p == name)
        return BW_EMALFORMED;
    if (p < end && *p == '*')
        p++;
    attr->name = (const char *)name;
    attr->name_len = (size_t)(p - name);
    if (p == end || *p == PARAM_SEP || *p == LINK_SEP) {
        attr->kind = BW_COAP_LINK_BARE;
        *pp = p;
        return 0;
    }
    if (*p != '=')
        return BW_EMALFORMED;
    if (++p == end)
        return BW_ETRUNC;
    if (*p == DQUOTE) {
        attr->kind = BW_COAP_LINK_QUOTED;
        p++;
        int err = scan_quoted(&p, end, attr);
        if (err != 0)
            return err;
    } else {
        const unsigned char *v = p;
        while (p < end && is_ptokenchar(*p))
            p++;
        if (p == v)
            return BW_EMALFORMED;
        attr->kind = BW_COAP_LINK_TOKEN;
        attr->value = (const char *)v;
        attr->value_len = (size_t)(p - v);
    }
    *pp = p;
    return 0;
}

/* Target from just after "<"; *pp ends past ">". */
static int scan_target(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;

    for (;;) {
        if (p == end)
            return BW_ETRUNC;
        if (*p == '>')
            break;
        if (*p == '%') {
            for (int i = 1; i <= 2; i++) {
                if (p + i == end)
                    return BW_ETRUNC;
                if (!is_hex(p[i]))
                    return BW_EMALFORMED;
            }
            p += 3;
        } else if (is_urichar(*p)) {
            p++;
        } else {
            return BW_EMALFORMED;
        }
    }
    *pp = p + 1;
    return 0;
}

/* One link-value; p MUST be before end.  *pp ends just past it. */
static int scan_link(const unsigned char **pp, const unsigned char *end,
                     bw_coap_link_t *link)
{
    const unsigned char *p = *pp;
    const unsigned char *target;
    const unsigned char *params;
    uint32_t count = 0;
    int err;

    if (*p != '<')
        return BW_EMALFORMED;
    target = ++p;
    err = scan_target(&p, end);
    if (err != 0)
        return err;
    link->target = (const char *)target;
    link->target_len = (size_t)(p - 1 - target);
    params = p;
    while (p < end && *p == PARAM_SEP) {
        bw_coap_link_attr_t attr;
        err = scan_param(&p, end, &attr);
        if (err != 0)
            return err;
        if (++count > BW_COAP_LINK_MAX_ATTRS)
            return BW_EOVERFLOW;
    }
    link->params = p > params ? (const char *)params : NULL;
    link->params_len = (size_t)(p - params);
    link->attr_count = (uint16_t)count;
    *pp = p;
    return 0;
}

/* One pass over the payload; cb NULL validates only. */
static int walk(const unsigned char *p, const unsigned char *end,
                bw_coap_link_cb_t cb, void *arg)
{
    uint32_t index = 0;

    if (p == end)
        return 0;
    for (;;) {
        bw_coap_link_t link;
        int err;

        bw__zero(&link, sizeof link);
        if (index >= BW_COAP_LINK_MAX_LINKS)
            return BW_EOVERFLOW;
        err = scan_link(&p, end, &link);
        if (err != 0)
            return err;
        link.index = (uint16_t)index++;
        if (cb != NULL) {
            int rc = cb(arg, &link);
            if (rc < 0)
                return rc;
            if (rc > 0)
                return BW_EABORTED;
        }
        if (p == end)
            return 0;
        if (*p != LINK_SEP)
            return BW_EMALFORMED;
        if (++p == end)
            return BW_ETRUNC;
    }
}

int bw_coap_link_parse(const char *buf, size_t len, bw_coap_link_cb_t cb,
                       void *arg)
{
    const unsigned char *p = (const unsigned char *)buf;
    int err;

    if (buf == NULL)
        return len > 0 ? BW_EINVAL : 0;
    err = walk(p, p + len, NULL, NULL);
    if (err != 0 || cb == NULL)
        return err;
    return walk(p, p + len, cb, arg);
}

/* ---- attributes ------------------------------------------------------- */

void bw_coap_link_attr_iter_init(bw_coap_link_attr_iter_t *it,
                                 const bw_coap_link_t *link)
{
    if (it == NULL)
        return;
    it->pos = NULL;
    it->end = NULL;
    if (link != NULL && link->params != NULL) {
        it->pos = link->params;
        it->end = link->params + link->params_len;
    }
}

int bw_coap_link_attr_next(bw_coap_link_attr_iter_t *it,
                           bw_coap_link_attr_t *attr)
{
    const unsigned char *p;

    if (it == NULL || attr == NULL || it->pos == NULL || it->pos >= it->end ||
        *it->pos != PARAM_SEP)
        return 0;
    p = (const unsigned char *)it->pos;
    if (scan_param(&p, (const unsigned char *)it->end, attr) != 0) {
        bw__zero(attr, sizeof *attr);
        it->pos = it->end;
        return 0;
    }
    it->pos = (const char *)p;
    return 1;
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

int bw_coap_link_attr_is(const bw_coap_link_attr_t *attr, const char *name)
{
    size_t n;

    if (attr == NULL || name == NULL || attr->name == NULL)
        return 0;
    n = strlen(name);
    if (n != attr->name_len)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)attr->name[i]) !=
            lower((unsigned char)name[i]))
            return 0;
    return 1;
}

int bw_coap_link_find(const bw_coap_link_t *link, const char *name,
                      bw_coap_link_attr_t *attr)
{
    bw_coap_link_attr_iter_t it;
    bw_coap_link_attr_t cur;

    if (attr != NULL)
        bw__zero(attr, sizeof *attr);
    if (link == NULL || name == NULL || attr == NULL)
        return BW_EINVAL;
    bw_coap_link_attr_iter_init(&it, link);
    while (bw_coap_link_attr_next(&it, &cur)) {
        if (bw_coap_link_attr_is(&cur, name)) {
            *attr = cur;
            return 0;
        }
    }
    return BW_ENOTFOUND;
}

int bw_coap_link_attr_copy(const bw_coap_link_attr_t *attr, char *buf,
                           size_t cap, size_t *len)
{
    size_t n = 0;

    if (len != NULL)
        *len = 0;
    if (attr == NULL || len == NULL || (buf == NULL && cap > 0))
        return BW_EINVAL;
    if (cap > 0)
        buf[0] = '\0';
    if (attr->kind == BW_COAP_LINK_BARE)
        return BW_ETYPE;
    for (size_t i = 0; i < attr->value_len; i++) {
        char c = attr->value[i];
        /* The parser guarantees a character after every backslash. */
        if (attr->kind == BW_COAP_LINK_QUOTED && c == BACKSLASH &&
            i + 1 < attr->value_len)
            c = attr->value[++i];
        if (n + 1 >= cap) {
            if (cap > 0)
                buf[0] = '\0';
            return BW_ENOSPC;
        }
        buf[n++] = c;
    }
    if (n >= cap)
        return BW_ENOSPC;
    buf[n] = '\0';
    *len = n;
    return 0;
}

/* ---- writer ----------------------------------------------------------- */

static void wfail(bw_coap_link_writer_t *w, int err)
{
    if (w->err == 0)
        w->err = err;
}

/* Room for n more bytes?  Sets BW_ENOSPC when not. */
static int wroom(bw_coap_link_writer_t *w, size_t n)
{
    if (w->cap - w->len < n) {
        wfail(w, BW_ENOSPC);
        return 0;
    }
    return 1;
}

static void wput(bw_coap_link_writer_t *w, const char *s, size_t n)
{
    if (n > 0)
        bw__copy(w->buf + w->len, s, n);
    w->len += n;
}

/* Common entry checks for an attribute; returns the name length or 0. */
static size_t wattr_begin(bw_coap_link_writer_t *w, const char *name)
{
    size_t n, i;

    if (w == NULL || w->err != 0)
        return 0;
    if (name == NULL) {
        wfail(w, BW_EINVAL);
        return 0;
    }
    n = strlen(name);
    for (i = 0; i < n && is_parmchar((unsigned char)name[i]); i++)
        ;
    if (i < n && name[i] == '*' && i > 0)
        i++;
    if (n == 0 || i != n) {
        wfail(w, BW_EINVAL);
        return 0;
    }
    if (w->links == 0) {
        wfail(w, BW_EORDER);
        return 0;
    }
    return n;
}

void bw_coap_link_writer_init(bw_coap_link_writer_t *w, char *buf, size_t cap)
{
    if (w == NULL)
        return;
    bw__zero(w, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    if (buf == NULL && cap > 0)
        w->err = BW_EINVAL;
}

void bw_coap_link_writer_link(bw_coap_link_writer_t *w, const char *target,
                              size_t len)
{
    const unsigned char *t = (const unsigned char *)target;
    size_t sep;

    if (w == NULL || w->err != 0)
        return;
    if ((target == NULL && len > 0) || w->links >= BW_COAP_LINK_MAX_LINKS) {
        wfail(w, BW_EINVAL);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '%' && i + 2 < len && is_hex(t[i + 1]) &&
            is_hex(t[i + 2])) {
            i += 2;
        } else if (t[i] == '%' || !is_urichar(t[i])) {
            wfail(w, BW_EINVAL);
            return;
        }
    }
    sep = w->links > 0 ? 1 : 0;
    if (!wroom(w, sep + len + 2) || len + 2 < len)
        return;
    if (sep)
        wput(w, ",", 1);
    wput(w, "<", 1);
    wput(w, target, len);
    wput(w, ">", 1);
    w->links++;
}

void bw_coap_link_writer_flag(bw_coap_link_writer_t *w, const char *name)
{
    size_t n = wattr_begin(w, name);

    if (n == 0 || !wroom(w, n + 1))
        return;
    wput(w, ";", 1);
    wput(w, name, n);
}

void bw_coap_link_writer_token(bw_coap_link_writer_t *w, const char *name,
                               const char *value, size_t len)
{
    size_t n = wattr_begin(w, name);

    if (n == 0)
        return;
    if (value == NULL || len == 0) {
        wfail(w, BW_EINVAL);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_ptokenchar((unsigned char)value[i])) {
            wfail(w, BW_EINVAL);
            return;
        }
    }
    if (!wroom(w, n + 2) || !wroom(w, n + 2 + len))
        return;
    wput(w, ";", 1);
    wput(w, name, n);
    wput(w, "=", 1);
    wput(w, value, len);
}

void bw_coap_link_writer_quoted(bw_coap_link_writer_t *w, const char *name,
                                const char *value, size_t len)
{
    const unsigned char *v = (const unsigned char *)value;
    size_t n = wattr_begin(w, name);
    size_t escapes = 0;

    if (n == 0)
        return;
    if (value == NULL && len > 0) {
        wfail(w, BW_EINVAL);
        return;
    }
    for (size_t i = 0; i < len;) {
        if (v[i] >= 0x80) {
            int k = utf8_seq(v + i, v + len);
            if (k < 0) {
                wfail(w, BW_EINVAL);
                return;
            }
            i += (size_t)k;
            continue;
        }
        if ((v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f) {
            wfail(w, BW_EINVAL);
            return;
        }
        if (v[i] == DQUOTE || v[i] == BACKSLASH)
            escapes++;
        i++;
    }
    /* len + escapes cannot wrap: both are bounded by the caller's data. */
    if (!wroom(w, n + 4) || !wroom(w, n + 4 + len + escapes))
        return;
    wput(w, ";", 1);
    wput(w, name, n);
    wput(w, "=\"", 2);
    for (size_t i = 0; i < len; i++) {
        if (v[i] == DQUOTE || v[i] == BACKSLASH)
            wput(w, "\\", 1);
        wput(w, value + i, 1);
    }
    wput(w, "\"", 1);
}

/* Decimal digits of v into out (no NUL); returns how many. */
static size_t fmt_uint(char out[UINT32_DIGITS], uint32_t v)
{
    char tmp[UINT32_DIGITS];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

void bw_coap_link_writer_uint(bw_coap_link_writer_t *w, const char *name,
                              uint32_t value)
{
    char digits[UINT32_DIGITS];
    size_t n = fmt_uint(digits, value);

    bw_coap_link_writer_token(w, name, digits, n);
}

void bw_coap_link_writer_version(bw_coap_link_writer_t *w, const char *name,
                                 uint8_t major, uint8_t minor)
{
    char text[2 * UINT32_DIGITS + 1];
    size_t n = fmt_uint(text, major);

    text[n++] = '.';
    n += fmt_uint(text + n, minor);
    bw_coap_link_writer_token(w, name, text, n);
}

int bw_coap_link_writer_finish(const bw_coap_link_writer_t *w, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (w == NULL || len == NULL)
        return BW_EINVAL;
    if (w->err != 0)
        return w->err;
    *len = w->len;
    return 0;
}
