/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SenML JSON numbers as text: the layout of a double as a JSON number.
 * The digits themselves (shortest, correctly rounded, without libc) come
 * from lwm2m_number.c, which text/plain shares; only the JSON spelling is
 * here.  Reading is in the tokenizer (lwm2m_json.c).
 */
#include "lwm2m_int.h"
#include "bw_mem.h"
#include "lwm2m_json.h"

size_t bw_lwm2m__json_fmt_double(double v, char out[BW_LWM2M_JSON_DOUBLE_MAX])
{
    uint64_t u;
    size_t len = 0;
    bw__copy(&u, &v, sizeof(u));
    if (((u >> 52) & 0x7ff) == 0x7ff)
        return 0; /* NaN, infinity */
    if (u >> 63) {
        out[len++] = '-';
        v = -v;
    }
    if (v == 0) {
        bw__copy(out + len, "0.0", 3);
        return len + 3;
    }
    uint8_t best[BW_LWM2M__DBL_DIGITS];
    int32_t bk = 0;
    /* best[0..p) with the first digit at 10^bk, no trailing zero. */
    int p = (int)bw_lwm2m__dbl_digits(v, 0, best, &bk);
    if (p == 0)
        return 0; /* cannot happen for a finite nonzero v */

    if (bk >= -5 && bk < 17) {
        /* Plain notation: "123.45", "0.00012", "100.0". */
        if (bk < 0) {
            out[len++] = '0';
            out[len++] = '.';
            for (int32_t i = -1; i > bk; i--)
                out[len++] = '0';
            bw__copy(out + len, best, (size_t)p);
            len += (size_t)p;
        } else {
            for (int32_t i = 0; i <= bk; i++)
                out[len++] = i < p ? (char)best[i] : '0';
            out[len++] = '.';
            if (p > bk + 1) {
                bw__copy(out + len, best + bk + 1, (size_t)(p - bk - 1));
                len += (size_t)(p - bk - 1);
            } else {
                out[len++] = '0';
            }
        }
        return len;
    }
    /* Exponent notation: "1.5e-7", "1e300". */
    out[len++] = (char)best[0];
    if (p > 1) {
        out[len++] = '.';
        bw__copy(out + len, best + 1, (size_t)(p - 1));
        len += (size_t)(p - 1);
    }
    out[len++] = 'e';
    len += bw_lwm2m__fmt_i64(bk, out + len);
    return len;
}
