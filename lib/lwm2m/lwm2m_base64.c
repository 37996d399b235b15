/* SPDX-License-Identifier: Apache-2.0 */
/*
 * base64 (RFC 4648 sections 4 and 5), strict.
 *
 * text/plain carries opaque resources in base64 and SenML JSON carries
 * them in base64url.  Decoding accepts exactly one spelling of each byte
 * string: the variant's alphabet only, no whitespace, padding exactly as
 * the variant demands, and zero bits in the unused low bits of the last
 * symbol (RFC 4648 section 3.5), so "QQ==" decodes but "QR==" does not.
 */
#include "bulwark/lwm2m.h"

static const char ALPHA_STD[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char ALPHA_URL[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t bw_lwm2m_b64_encoded_len(size_t n, bw_lwm2m_b64_t variant)
{
    size_t full = n / 3, rem = n % 3;
    if (variant == BW_LWM2M_B64_URL)
        return full * 4 + (rem == 0 ? 0 : rem + 1);
    return (full + (rem != 0)) * 4;
}

int bw_lwm2m_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                        bw_lwm2m_b64_t variant, size_t *out_len)
{
    *out_len = 0;
    if (n > (SIZE_MAX / 4) * 3 - 2)
        return BW_ENOSPC; /* the encoded size would not fit a size_t */
    size_t need = bw_lwm2m_b64_encoded_len(n, variant);
    if (need > cap)
        return BW_ENOSPC;
    const char *a = variant == BW_LWM2M_B64_URL ? ALPHA_URL : ALPHA_STD;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
                     (uint32_t)in[i + 2];
        out[o++] = a[(w >> 18) & 63];
        out[o++] = a[(w >> 12) & 63];
        out[o++] = a[(w >> 6) & 63];
        out[o++] = a[w & 63];
    }
    if (i < n) {
        uint32_t w = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            w |= (uint32_t)in[i + 1] << 8;
        out[o++] = a[(w >> 18) & 63];
        out[o++] = a[(w >> 12) & 63];
        if (i + 1 < n)
            out[o++] = a[(w >> 6) & 63];
        if (variant == BW_LWM2M_B64_STD) {
            if (i + 1 >= n)
                out[o++] = '=';
            out[o++] = '=';
        }
    }
    *out_len = o;
    return 0;
}

/* Symbol value 0..63, or -1 for a character outside the alphabet. */
static int sym(char c, bw_lwm2m_b64_t variant)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (variant == BW_LWM2M_B64_URL)
        return c == '-' ? 62 : c == '_' ? 63 : -1;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int bw_lwm2m_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                        bw_lwm2m_b64_t variant, size_t *out_len)
{
    *out_len = 0;
    /* Symbols that carry data: all but the padding. */
    size_t data = n;
    if (variant == BW_LWM2M_B64_STD) {
        if (n % 4 != 0)
            return BW_EMALFORMED;
        if (data > 0 && in[data - 1] == '=')
            data--;
        if (data > 0 && in[data - 1] == '=')
            data--;
    }
    size_t rem = data % 4;
    if (rem == 1)
        return BW_EMALFORMED; /* 6 bits cannot make a byte */
    size_t total = (data / 4) * 3 + (rem == 0 ? 0 : rem - 1);
    if (total > cap)
        return BW_ENOSPC;

    size_t o = 0;
    uint32_t acc = 0;
    size_t have = 0; /* symbols in acc */
    for (size_t i = 0; i < data; i++) {
        int v = sym(in[i], variant);
        if (v < 0)
            return BW_EMALFORMED; /* includes '=' before the end */
        acc = acc << 6 | (uint32_t)v;
        if (++have == 4) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
            have = 0;
        }
    }
    if (have == 2) {
        if ((acc & 0x0F) != 0)
            return BW_EMALFORMED; /* nonzero unused bits */
        out[o++] = (uint8_t)(acc >> 4);
    } else if (have == 3) {
        if ((acc & 0x03) != 0)
            return BW_EMALFORMED;
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    *out_len = o;
    return 0;
}
