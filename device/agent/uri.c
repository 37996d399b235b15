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
