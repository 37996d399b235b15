/* SPDX-License-Identifier: Apache-2.0 */
/*
 * URI to request options (RFC 7252 section 6.4, simplified).
 *
 * Accepted:  coap[s]://host[:port][/seg/seg...][?q&q...]
 * host is a name, a dotted IPv4 address or a bracketed IPv6 literal; it
 * is resolved later and never sent (servers addressed by IP need no
 * Uri-Host).  Each path and query segment is percent-decoded into
 * cli_uri_t.buf and becomes one Uri-Path / Uri-Query option.  A path of
 * "" or "/" has no segments; a fragment is refused, as section 6.4 asks.
 *
 * Every read is bounded by the terminator of the command-line string and
 * every write by buf's size; a segment that would not fit is an error,
 * never a truncation.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "posix_err.h"

/* RFC 7252 section 5.10: Uri-Path and Uri-Query values are 0-255 bytes. */
#define SEG_MAX 255

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

/*
 * Decode text[0..len) into u->buf at *used and append a segment to segs.
 * what names the part for messages ("path", "query").
 */
static int add_segment(cli_uri_t *u, cli_seg_t *segs, uint8_t *count,
                       size_t *used, const char *text, size_t len,
                       const char *what, char *err, size_t cap)
{
    if (*count >= CLI_URI_SEGMENTS)
        return bw_posix_errf(err, cap, "more than %d %s segments",
                             CLI_URI_SEGMENTS, what);
    size_t start = *used, out = *used;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)text[i];
        if (c == '%') {
            /* Both hex digits must lie inside the segment. */
            int hi = i + 1 < len ? hexval(text[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(text[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return bw_posix_errf(err, cap, "bad percent escape in %s",
                                     what);
            c = hi * 16 + lo;
            i += 2;
        }
        if (out >= sizeof u->buf)
            return bw_posix_errf(err, cap, "URI too long");
        u->buf[out++] = (uint8_t)c;
    }
    if (out - start > SEG_MAX)
        return bw_posix_errf(err, cap, "%s segment longer than %d bytes", what,
                             SEG_MAX);
    segs[*count].off = (uint16_t)start;
    segs[*count].len = (uint16_t)(out - start);
    (*count)++;
    *used = out;
    return 0;
}

/* Split text[0..len) at sep and add each piece. */
static int add_all(cli_uri_t *u, cli_seg_t *segs, uint8_t *count, size_t *used,
                   const char *text, size_t len, char sep, const char *what,
                   char *err, size_t cap)
{
    size_t begin = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == sep) {
            if (add_segment(u, segs, count, used, text + begin, i - begin, what,
                            err, cap) != 0)
                return -1;
            begin = i + 1;
        }
    }
    return 0;
}

static int parse_port(const char *p, size_t len, char *out, size_t outcap,
                      char *err, size_t cap)
{
    if (len == 0 || len > 5)
        return bw_posix_errf(err, cap, "bad port in URI");
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)p[i]))
            return bw_posix_errf(err, cap, "bad port in URI");
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return bw_posix_errf(err, cap, "port %lu out of range", v);
    snprintf(out, outcap, "%lu", v);
    return 0;
}

int cli_uri_parse(cli_uri_t *u, const char *text, char *err, size_t cap)
{
    memset(u, 0, sizeof *u);
    size_t n = strlen(text);
    if (n >= CLI_URI_MAX)
        return bw_posix_errf(err, cap, "URI longer than %d bytes",
                             CLI_URI_MAX - 1);
    const char *p;
    if (strncasecmp(text, "coap://", 7) == 0) {
        p = text + 7;
    } else if (strncasecmp(text, "coaps://", 8) == 0) {
        p = text + 8;
        u->secure = 1;
    } else {
        return bw_posix_errf(err, cap,
                             "URI must start with coap:// or coaps://");
    }
    if (strchr(p, '#') != NULL)
        return bw_posix_errf(err, cap, "URI with a fragment");

    /* host */
    const char *host, *hend, *rest;
    if (*p == '[') {
        host = p + 1;
        hend = strchr(host, ']');
        if (hend == NULL)
            return bw_posix_errf(err, cap, "unterminated [IPv6] host");
        rest = hend + 1;
    } else {
        host = p;
        hend = p + strcspn(p, ":/?");
        rest = hend;
    }
    size_t hlen = (size_t)(hend - host);
    if (hlen == 0)
        return bw_posix_errf(err, cap, "URI without a host");
    if (hlen >= sizeof u->host)
        return bw_posix_errf(err, cap, "host name too long");
    memcpy(u->host, host, hlen);
    u->host[hlen] = '\0';

    /* port */
    if (*rest == ':') {
        size_t plen = strcspn(rest + 1, "/?");
        if (parse_port(rest + 1, plen, u->port, sizeof u->port, err, cap) != 0)
            return -1;
        rest += 1 + plen;
    } else if (*rest != '\0' && *rest != '/' && *rest != '?') {
        return bw_posix_errf(err, cap, "unexpected '%c' after the host", *rest);
    } else {
        strcpy(u->port, u->secure ? "5684" : "5683");
    }

    /* path, then query */
    size_t used = 0;
    size_t plen = strcspn(rest, "?");
    if (plen > 1) { /* "" and "/" carry no Uri-Path */
        if (add_all(u, u->path, &u->npath, &used, rest + 1, plen - 1, '/',
                    "path", err, cap) != 0)
            return -1;
    }
    if (rest[plen] == '?') {
        const char *q = rest + plen + 1;
        if (add_all(u, u->query, &u->nquery, &used, q, strlen(q), '&', "query",
                    err, cap) != 0)
            return -1;
    }
    return 0;
}
