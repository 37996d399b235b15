/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 validation (RFC 3629), the one copy every module calls.
 *
 * The well-formed byte sequences, from RFC 3629 section 4:
 *
 *   U+0000..U+007F       00..7F
 *   U+0080..U+07FF       C2..DF  80..BF
 *   U+0800..U+0FFF       E0      A0..BF  80..BF
 *   U+1000..U+CFFF       E1..EC  80..BF  80..BF
 *   U+D000..U+D7FF       ED      80..9F  80..BF
 *   U+E000..U+FFFF       EE..EF  80..BF  80..BF
 *   U+10000..U+3FFFF     F0      90..BF  80..BF  80..BF
 *   U+40000..U+FFFFF     F1..F3  80..BF  80..BF  80..BF
 *   U+100000..U+10FFFF   F4      80..8F  80..BF  80..BF
 *
 * Narrowing the second byte's range is what rejects overlong forms
 * (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points
 * above U+10FFFF (F4 90.., F5..FF).  Each sequence is checked on its own,
 * in one forward pass, with no lookahead beyond it.
 */
#include "bw_utf8.h"

#include "bulwark/error.h"

int bw__utf8_next(const uint8_t *s, size_t avail, uint32_t *cp)
{
    uint8_t c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;       /* continuation bytes after the lead byte */
    uint8_t lo = 0x80; /* allowed range of the first continuation */
    uint8_t hi = 0xbf;
    uint32_t v;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        v = c & 0x0fu;
        if (c == 0xe0)
            lo = 0xa0; /* overlong below U+0800 */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates U+D800..U+DFFF */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        v = c & 0x07u;
        if (c == 0xf0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return BW_EUTF8; /* continuation, C0/C1 or F5..FF as lead */
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= avail)
            return 0; /* valid so far, cut by the end */
        uint8_t b = s[k];
        if (k == 1 ? (b < lo || b > hi) : (b & 0xc0) != 0x80)
            return BW_EUTF8;
        v = (v << 6) | (b & 0x3fu);
    }
    *cp = v;
    return (int)need + 1;
}

int bw__utf8_check(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++; /* ASCII, the common case */
            continue;
        }
        uint32_t cp;
        int n = bw__utf8_next(s + i, len - i, &cp);
        if (n <= 0)
            return BW_EUTF8;
        i += (size_t)n;
    }
    return 0;
}
