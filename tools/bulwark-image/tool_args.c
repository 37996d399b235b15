/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line values: numbers, versions and the automatic security
 * counter, parsed strictly (a typo must not become a different image).
 */
#include <stdio.h>
#include <string.h>

#include "image_tool.h"

int tool_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s == NULL || *s == '\0')
        return -1;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (*s == '\0')
            return -1;
    }
    for (; *s != '\0'; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a') + 10u;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A') + 10u;
        else
            return -1;
        v = v * base + d;
        if (v > max)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/*
 * One decimal component of a version: digits up to a separator, no
 * leading zero (imgtool's pattern), at most max.  Advances *sp.
 */
static int version_part(const char **sp, uint32_t max, uint32_t *out)
{
    const char *s = *sp;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10u + (uint64_t)(*s - '0');
        if (v > max)
            return -1;
    }
    *out = (uint32_t)v;
    *sp = s;
    return 0;
}

int tool_parse_version(const char *s, bw_image_version_t *v)
{
    uint32_t major = 0, minor = 0, rev = 0, build = 0;
    if (s == NULL || version_part(&s, 0xffu, &major) != 0)
        return -1;
    if (*s == '.') {
        s++;
        if (version_part(&s, 0xffu, &minor) != 0)
            return -1;
        if (*s == '.') {
            s++;
            if (version_part(&s, 0xffffu, &rev) != 0)
                return -1;
            if (*s == '+') {
                s++;
                if (version_part(&s, 0xffffffffu, &build) != 0)
                    return -1;
            }
        }
    }
    if (*s != '\0')
        return -1;
    v->major = (uint8_t)major;
    v->minor = (uint8_t)minor;
    v->revision = (uint16_t)rev;
    v->build_num = build;
    return 0;
}

void tool_format_version(const bw_image_version_t *v, char *out, size_t out_len)
{
    snprintf(out, out_len, "%u.%u.%u+%lu", (unsigned)v->major,
             (unsigned)v->minor, (unsigned)v->revision,
             (unsigned long)v->build_num);
}

uint32_t tool_sec_cnt_auto(const bw_image_version_t *v)
{
    return ((uint32_t)v->major << 24) | ((uint32_t)v->minor << 16) |
           (uint32_t)v->revision;
}
