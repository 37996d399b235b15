/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 validation for text strings (RFC 8949 section 3.1 requires major
 * type 3 to hold valid UTF-8; RFC 3629 defines it).
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
 * above U+10FFFF (F4 90.., F5..FF).  Validation is one forward pass with no
 * lookahead beyond the sequence being checked.
 */
#include "cbor_int.h"

int bw_cbor__utf8_check(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;       /* continuation bytes after the lead byte */
        uint8_t lo = 0x80; /* allowed range of the first continuation */
        uint8_t hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return BW_EUTF8;
        }
        if (len - i - 1 < need)
            return BW_EUTF8;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return BW_EUTF8;
        for (size_t k = 2; k <= need; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return BW_EUTF8;
        }
        i += need + 1;
    }
    return 0;
}
