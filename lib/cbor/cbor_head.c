/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The item head decoder: the one place where input bytes become a major
 * type, an argument and a length.  Every reader path (peek, typed reads,
 * skip) goes through bw_cbor__head(), so the well-formedness rules and the
 * length-bomb checks live here once.
 *
 * Why declared sizes are checked here and not when the payload is read:
 * a 9-byte input can claim 2^64 array items or an 18 EB string.  Each item
 * takes at least one byte, so a count larger than the bytes left can never
 * be satisfied and is refused before anyone loops over it.
 */
#include "cbor_int.h"

/* Bytes of argument after the initial byte, for additional info 24..27. */
static const uint8_t arg_bytes[4] = {1, 2, 4, 8};

static int decode_simple(bw_cbor__head_t *h)
{
    switch (h->ai) {
    case BW_CBOR__SIMPLE_FALSE:
    case BW_CBOR__SIMPLE_TRUE:
        h->kind = BW_CBOR_BOOL;
        return 0;
    case BW_CBOR__SIMPLE_NULL:
        h->kind = BW_CBOR_NULL;
        return 0;
    case BW_CBOR__SIMPLE_UNDEFINED:
        h->kind = BW_CBOR_UNDEFINED;
        return 0;
    case BW_CBOR__AI_1BYTE:
        /*
         * RFC 8949 section 3.3: the two-byte form for values below 32 is
         * not well-formed; values 32..255 are unassigned simple values.
         */
        return h->arg < 32 ? BW_EMALFORMED : BW_EUNSUPPORTED;
    case BW_CBOR__AI_2BYTES:
    case BW_CBOR__AI_4BYTES:
    case BW_CBOR__AI_8BYTES:
        h->kind = BW_CBOR_FLOAT;
        return 0;
    default:
        /* 0..19: unassigned simple values, well-formed. */
        return BW_EUNSUPPORTED;
    }
}

int bw_cbor__head(const uint8_t *p, size_t avail, bw_cbor__head_t *h)
{
    uint8_t major = (uint8_t)(p[0] >> 5);
    uint8_t ai = (uint8_t)(p[0] & 0x1f);

    h->kind = BW_CBOR_END;
    h->ai = ai;
    h->hlen = 1;
    h->arg = ai;
    h->body = 0;
    h->items = 0;

    if (ai >= 28 && ai <= 30)
        return BW_EMALFORMED;
    if (ai == BW_CBOR__AI_INDEFINITE) {
        /* Only strings and containers have an indefinite form. */
        if (major >= BW_CBOR__MT_BYTES && major <= BW_CBOR__MT_MAP)
            return BW_EUNSUPPORTED;
        return BW_EMALFORMED;
    }
    if (ai >= BW_CBOR__AI_1BYTE) {
        uint8_t n = arg_bytes[ai - BW_CBOR__AI_1BYTE];
        if (avail - 1 < n)
            return BW_ETRUNC;
        h->arg = 0;
        for (uint8_t i = 1; i <= n; i++)
            h->arg = (h->arg << 8) | p[i];
        h->hlen = (uint8_t)(1 + n);
    }

    size_t rest = avail - h->hlen;
    switch (major) {
    case BW_CBOR__MT_UINT:
        h->kind = BW_CBOR_UINT;
        return 0;
    case BW_CBOR__MT_NINT:
        h->kind = BW_CBOR_NINT;
        return 0;
    case BW_CBOR__MT_BYTES:
    case BW_CBOR__MT_TEXT:
        h->kind = major == BW_CBOR__MT_BYTES ? BW_CBOR_BYTES : BW_CBOR_TEXT;
        if (h->arg > SIZE_MAX)
            return BW_EOVERFLOW;
        if (h->arg > rest)
            return BW_ETRUNC;
        h->body = (size_t)h->arg;
        return 0;
    case BW_CBOR__MT_ARRAY:
        h->kind = BW_CBOR_ARRAY;
        if (h->arg > SIZE_MAX)
            return BW_EOVERFLOW;
        if (h->arg > rest)
            return BW_ETRUNC;
        h->items = (size_t)h->arg;
        return 0;
    case BW_CBOR__MT_MAP:
        h->kind = BW_CBOR_MAP;
        /* A map of n pairs is 2n items, and 2n must fit a size_t. */
        if (h->arg > SIZE_MAX / 2)
            return BW_EOVERFLOW;
        if (h->arg * 2 > rest)
            return BW_ETRUNC;
        h->items = (size_t)h->arg * 2;
        return 0;
    case BW_CBOR__MT_TAG:
        h->kind = BW_CBOR_TAG;
        /* The content must follow: at least one more byte. */
        if (rest == 0)
            return BW_ETRUNC;
        return 0;
    default:
        return decode_simple(h);
    }
}
