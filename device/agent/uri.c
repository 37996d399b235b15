/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server URIs as the Security object holds them (/0/x/0) and as
 * --bootstrap gives the factory one: coap://host[:port] or
 * coaps://host[:port], an optional trailing '/'.  The URI comes from the
 * bootstrap server or the command line, so it is parsed with every
 * length checked; anything beyond scheme, host and port is refused
 * rather than ignored (a path on a server URI would silently be lost).
 */
#include <string.h>

#include "agent.h"

static int fail(agent_uri_t *u, int err)
{
    memset(u, 0, sizeof *u);
    return err;
}

/* host: a name or IPv4 address of [A-Za-z0-9.-_], or [IPv6]. */
static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static int ipv6_char(char c)
{
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           (c >= '0' && c <= '9') || c == ':' || c == '.';
}

int agent_uri_parse(agent_uri_t *u, const char *text)
{
    if (u == NULL || text == NULL)
        return BW_EINVAL;
    memset(u, 0, sizeof *u);
    const char *p;
    if (strncmp(text, "coaps://", 8) == 0) {
        u->secure = 1;
        p = text + 8;
    } else if (strncmp(text, "coap://", 7) == 0) {
        p = text + 7;
    } else {
        return fail(u, strstr(text, "://") != NULL ? BW_EUNSUPPORTED
                                                   : BW_EMALFORMED);
    }

    const char *h = p, *h_end;
    if (*p == '[') {
        h = ++p;
        while (ipv6_char(*p))
            p++;
        if (*p != ']')
            return fail(u, BW_EMALFORMED);
        h_end = p++;
    } else {
        while (name_char(*p))
            p++;
        h_end = p;
    }
    size_t hlen = (size_t)(h_end - h);
    if (hlen == 0)
        return fail(u, BW_EMALFORMED);
    if (hlen > AGENT_HOST_MAX)
        return fail(u, BW_EOVERFLOW);
    memcpy(u->host, h, hlen);

    unsigned long port = u->secure ? 5684 : 5683;
    if (*p == ':') {
        p++;
        if (*p < '0' || *p > '9')
            return fail(u, BW_EMALFORMED);
        port = 0;
        /* Six digits at most: enough to tell 65536 and up from a port
         * without overflowing. */
        for (int n = 0; *p >= '0' && *p <= '9'; p++, n++) {
            if (n == 6)
                return fail(u, BW_ERANGE);
            port = port * 10 + (unsigned long)(*p - '0');
        }
        if (port == 0 || port > 65535)
            return fail(u, BW_ERANGE);
    }
    if (*p == '/')
        p++;
    if (*p != '\0')
        return fail(u, (*p == '?' || *p == '@' || *p == '#' || name_char(*p))
                           ? BW_EUNSUPPORTED
                           : BW_EMALFORMED);
    /* At most five digits: the port fits its buffer. */
    char digits[6];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + port % 10);
        port /= 10;
    } while (port > 0);
    for (size_t i = 0; i < n; i++)
        u->port[i] = digits[n - 1 - i];
    u->port[n] = '\0';
    return 0;
}

/* A path segment character: RFC 3986 unreserved. */
static int seg_char(char c)
{
    return name_char(c) || c == '~';
}

int agent_pkg_uri_parse(agent_uri_t *u, char *path, size_t cap,
                        const char *text, size_t len)
{
    char head[BW_LWM2M_URI_MAX];
    if (u == NULL || path == NULL || cap == 0 || text == NULL)
        return BW_EINVAL;
    path[0] = '\0';
    memset(u, 0, sizeof *u);
    const char *sep = len > 3 ? memchr(text, ':', len) : NULL;
    if (sep == NULL || (size_t)(sep - text) + 3 > len || sep[1] != '/' ||
        sep[2] != '/')
        return fail(u, BW_EMALFORMED);
    const char *auth = sep + 3, *end = text + len;
    const char *slash = memchr(auth, '/', (size_t)(end - auth));
    if (slash == NULL)
        return fail(u, memchr(auth, '?', (size_t)(end - auth)) != NULL
                           ? BW_EUNSUPPORTED
                           : BW_EMALFORMED);
    size_t hn = (size_t)(slash - text);
    if (hn >= sizeof head)
        return fail(u, BW_EOVERFLOW);
    memcpy(head, text, hn);
    head[hn] = '\0';
    int err = agent_uri_parse(u, head);
    if (err != 0)
        return err;
    /* The path: segments of unreserved characters, none empty. */
    size_t pn = (size_t)(end - slash) - 1;
    const char *p = slash + 1;
    if (pn == 0)
        return fail(u, BW_EMALFORMED);
    if (pn >= cap) {
        memset(u, 0, sizeof *u);
        return BW_EOVERFLOW;
    }
    for (size_t i = 0; i < pn; i++) {
        if (p[i] == '/') {
            if (i == 0 || p[i - 1] == '/' || i + 1 == pn)
                return fail(u, BW_EMALFORMED);
        } else if (!seg_char(p[i])) {
            return fail(u, p[i] == '?' || p[i] == '#' ? BW_EUNSUPPORTED
                                                      : BW_EMALFORMED);
        }
    }
    memcpy(path, p, pn);
    path[pn] = '\0';
    return 0;
}
