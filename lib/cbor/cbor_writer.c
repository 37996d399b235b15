/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The writer: items appended to a caller buffer in deterministic form
 * (RFC 8949 section 4.2.1: shortest heads, shortest exact floats).
 *
 * Error handling follows the sticky model of the reader with one twist:
 * running out of room is not a reason to stop measuring.  Once the buffer
 * is full, err becomes BW_ENOSPC, nothing more is written, and len keeps
 * growing by what each call would have written, so the caller learns the
 * size to allocate for a second attempt.  Any other error ends the
 * measuring too (the encoding is then meaningless) and replaces
 * BW_ENOSPC: a bug in the caller's data matters more than the buffer size.
 *
 * Invariant: while err is 0, len <= cap and buf[0..len) holds the
 * encoding so far.  Nothing is ever stored at or beyond buf + cap.
 */

#include "cbor_int.h"

#include "bw_mem.h"

/* True while the writer still writes or measures. */
static bool live(const bw_cbor_writer_t *w)
{
    return w->err == 0 || w->err == BW_ENOSPC;
}

/* Append n bytes of p, or measure them once the buffer is full. */
static void put(bw_cbor_writer_t *w, const void *p, size_t n)
{
    if (n > SIZE_MAX - w->len) {
        w->err = BW_EOVERFLOW;
        return;
    }
    if (w->err == 0 && n <= w->cap - w->len) {
        if (n > 0)
            bw__copy(w->buf + w->len, p, n);
    } else {
        w->err = BW_ENOSPC;
    }
    w->len += n;
}

/* Head with the shortest argument form. */
static void put_head(bw_cbor_writer_t *w, uint8_t major, uint64_t arg)
{
    uint8_t head[BW_CBOR_MAX_HEAD_LEN];
    size_t n;
    uint8_t mt = (uint8_t)(major << 5);

    if (arg < BW_CBOR__AI_1BYTE) {
        head[0] = (uint8_t)(mt | arg);
        n = 0;
    } else if (arg <= UINT8_MAX) {
        head[0] = (uint8_t)(mt | BW_CBOR__AI_1BYTE);
        n = 1;
    } else if (arg <= UINT16_MAX) {
        head[0] = (uint8_t)(mt | BW_CBOR__AI_2BYTES);
        n = 2;
    } else if (arg <= UINT32_MAX) {
        head[0] = (uint8_t)(mt | BW_CBOR__AI_4BYTES);
        n = 4;
    } else {
        head[0] = (uint8_t)(mt | BW_CBOR__AI_8BYTES);
        n = 8;
    }
    for (size_t i = 0; i < n; i++)
        head[1 + i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
    put(w, head, 1 + n);
}

void bw_cbor_writer_init(bw_cbor_writer_t *w, uint8_t *buf, size_t cap)
{
    if (w == NULL)
        return;
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
    if (buf == NULL && cap != 0) {
        w->cap = 0;
        w->err = BW_EINVAL;
    }
}

void bw_cbor_write_uint(bw_cbor_writer_t *w, uint64_t value)
{
    if (w != NULL && live(w))
        put_head(w, BW_CBOR__MT_UINT, value);
}

void bw_cbor_write_nint(bw_cbor_writer_t *w, uint64_t n)
{
    if (w != NULL && live(w))
        put_head(w, BW_CBOR__MT_NINT, n);
}

void bw_cbor_write_int(bw_cbor_writer_t *w, int64_t value)
{
    if (w == NULL || !live(w))
        return;
    if (value >= 0)
        put_head(w, BW_CBOR__MT_UINT, (uint64_t)value);
    else
        /* -1 - value, computed without overflow for INT64_MIN */
        put_head(w, BW_CBOR__MT_NINT, (uint64_t)(-(value + 1)));
}

static void put_string(bw_cbor_writer_t *w, uint8_t major, const void *data,
                       size_t len)
{
    if (data == NULL && len != 0) {
        w->err = BW_EINVAL;
        return;
    }
    put_head(w, major, (uint64_t)len);
    if (live(w))
        put(w, data, len);
}

void bw_cbor_write_bytes(bw_cbor_writer_t *w, const void *data, size_t len)
{
    if (w != NULL && live(w))
        put_string(w, BW_CBOR__MT_BYTES, data, len);
}

void bw_cbor_write_text(bw_cbor_writer_t *w, const char *text, size_t len)
{
    if (w == NULL || !live(w))
        return;
    if (text != NULL && bw__utf8_check((const uint8_t *)text, len) != 0) {
        w->err = BW_EUTF8;
        return;
    }
    put_string(w, BW_CBOR__MT_TEXT, text, len);
}

void bw_cbor_write_array(bw_cbor_writer_t *w, size_t count)
{
    if (w != NULL && live(w))
        put_head(w, BW_CBOR__MT_ARRAY, (uint64_t)count);
}

void bw_cbor_write_map(bw_cbor_writer_t *w, size_t pairs)
{
    if (w != NULL && live(w))
        put_head(w, BW_CBOR__MT_MAP, (uint64_t)pairs);
}

void bw_cbor_write_tag(bw_cbor_writer_t *w, uint64_t tag)
{
    if (w != NULL && live(w))
        put_head(w, BW_CBOR__MT_TAG, tag);
}

static void put_simple(bw_cbor_writer_t *w, uint8_t value)
{
    uint8_t b = (uint8_t)((BW_CBOR__MT_SIMPLE << 5) | value);
    if (w != NULL && live(w))
        put(w, &b, 1);
}

void bw_cbor_write_bool(bw_cbor_writer_t *w, bool value)
{
    put_simple(w, value ? BW_CBOR__SIMPLE_TRUE : BW_CBOR__SIMPLE_FALSE);
}

void bw_cbor_write_null(bw_cbor_writer_t *w)
{
    put_simple(w, BW_CBOR__SIMPLE_NULL);
}

void bw_cbor_write_undefined(bw_cbor_writer_t *w)
{
    put_simple(w, BW_CBOR__SIMPLE_UNDEFINED);
}

/* Initial byte and big-endian bits of a float of n bytes. */
static void put_float(bw_cbor_writer_t *w, uint8_t ai, uint64_t bits, size_t n)
{
    uint8_t out[1 + 8];
    out[0] = (uint8_t)((BW_CBOR__MT_SIMPLE << 5) | ai);
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(bits >> (8 * (n - 1 - i)));
    put(w, out, 1 + n);
}

/* Half-precision bits of the one NaN written. */
#define HALF_QUIET_NAN 0x7e00u

void bw_cbor_write_double(bw_cbor_writer_t *w, double value)
{
    uint32_t narrow;
    uint64_t bits;

    if (w == NULL || !live(w))
        return;
    bits = bw__f64_bits(value);
    /* Every NaN is written as the one quiet NaN; infinities narrow to
     * half like any other exact value (bw_float.h). */
    if ((bits & ~BW__F64_SIGN) > BW__F64_INFINITY) {
        put_float(w, BW_CBOR__AI_2BYTES, HALF_QUIET_NAN, 2);
    } else if (bw__f_narrow(bits, BW__F16_EBITS, BW__F16_MBITS, &narrow)) {
        put_float(w, BW_CBOR__AI_2BYTES, narrow, 2);
    } else if (bw__f_narrow(bits, BW__F32_EBITS, BW__F32_MBITS, &narrow)) {
        put_float(w, BW_CBOR__AI_4BYTES, narrow, 4);
    } else {
        put_float(w, BW_CBOR__AI_8BYTES, bits, 8);
    }
}

void bw_cbor_write_raw(bw_cbor_writer_t *w, const void *data, size_t len)
{
    if (w == NULL || !live(w))
        return;
    if (data == NULL && len != 0) {
        w->err = BW_EINVAL;
        return;
    }
    put(w, data, len);
}

int bw_cbor_writer_finish(const bw_cbor_writer_t *w, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (w == NULL)
        return BW_EINVAL;
    if (w->err != 0 && w->err != BW_ENOSPC)
        return w->err;
    if (len != NULL)
        *len = w->len;
    return w->err;
}
