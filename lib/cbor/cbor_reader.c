/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pull reader: peek, typed reads, entering and leaving containers,
 * and the final completeness check.  Skipping lives in cbor_skip.c, the
 * head decoder in cbor_head.c.
 *
 * IMPLEMENTATION NOTES
 *
 * State: pos (next unread byte), depth (open containers) and left[d]
 * (items still unread in open container d, a map counting keys and values
 * separately).  "tagged" is set between a tag and its content.
 *
 * Invariants, true between calls while err is 0:
 *   1. pos <= len.
 *   2. depth <= BW_CBOR_MAX_DEPTH.
 *   3. left[d] never exceeds the bytes from pos to len for the innermost
 *      level, because every count was checked against the bytes left when
 *      its head was read and every item takes at least one byte.
 *   4. A tag consumes no item of its container; its content does.  So
 *      tagged implies that the innermost left[] (if any) is non-zero, and
 *      a container is never left with a tag pending.
 *
 * Every call first takes the next head through next(), which answers END
 * when the innermost container is exhausted or, at top level, the input
 * is.  Reading an item advances pos past it and counts it in its
 * container through consume().
 */

#include "cbor_int.h"

#include "bw_mem.h"

static int fail(bw_cbor_reader_t *r, int err)
{
    r->err = err;
    return err;
}

void bw_cbor_reader_init(bw_cbor_reader_t *r, const uint8_t *buf, size_t len)
{
    if (r == NULL)
        return;
    bw__zero(r, sizeof *r);
    r->buf = buf;
    r->len = len;
    if (buf == NULL && len != 0)
        r->err = BW_EINVAL;
}

/*
 * Decode the head of the next item into h, or h->kind = BW_CBOR_END when
 * there is none.  Errors are made sticky.
 */
static int next(bw_cbor_reader_t *r, bw_cbor__head_t *h)
{
    h->kind = BW_CBOR_END;
    if (r->err != 0)
        return r->err;
    if (r->depth > 0 && r->left[r->depth - 1] == 0)
        return 0;
    if (r->pos == r->len) {
        /* At top level an empty rest ends the sequence, unless a tag
         * still waits for its content. */
        if (r->depth == 0 && !r->tagged)
            return 0;
        return fail(r, BW_ETRUNC);
    }
    int err = bw_cbor__head(r->buf + r->pos, r->len - r->pos, h);
    if (err != 0)
        return fail(r, err);
    return 0;
}

/*
 * Take the next item's head when it is of kind `want`.  BW_ETYPE is
 * answered without making it sticky: the item stays for another read.
 */
static int take(bw_cbor_reader_t *r, bw_cbor__head_t *h, bw_cbor_kind_t want)
{
    int err = next(r, h);
    if (err != 0)
        return err;
    if (h->kind == BW_CBOR_END)
        return fail(r, r->depth > 0 ? BW_ESTATE : BW_ETRUNC);
    if (h->kind != want)
        return BW_ETYPE;
    return 0;
}

/* Move past an item whose head is h and count it in its container. */
static void consume(bw_cbor_reader_t *r, const bw_cbor__head_t *h)
{
    r->pos += h->hlen + h->body;
    if (h->kind == BW_CBOR_TAG) {
        r->tagged = 1;
        return;
    }
    r->tagged = 0;
    if (r->depth > 0)
        r->left[r->depth - 1]--;
}

int bw_cbor_peek(bw_cbor_reader_t *r, bw_cbor_kind_t *kind)
{
    bw_cbor__head_t h;
    if (kind != NULL)
        *kind = BW_CBOR_END;
    if (r == NULL)
        return BW_EINVAL;
    if (kind == NULL)
        return fail(r, r->err != 0 ? r->err : BW_EINVAL);
    int err = next(r, &h);
    if (err != 0)
        return err;
    *kind = h.kind;
    return 0;
}

/* Shared start of every typed read: argument checks, then take(). */
static int start(bw_cbor_reader_t *r, const void *out, bw_cbor__head_t *h,
                 bw_cbor_kind_t want)
{
    if (r == NULL)
        return BW_EINVAL;
    if (out == NULL && r->err == 0)
        return fail(r, BW_EINVAL);
    return take(r, h, want);
}

int bw_cbor_read_uint(bw_cbor_reader_t *r, uint64_t *value)
{
    bw_cbor__head_t h;
    if (value != NULL)
        *value = 0;
    int err = start(r, value, &h, BW_CBOR_UINT);
    if (err != 0)
        return err;
    consume(r, &h);
    *value = h.arg;
    return 0;
}

int bw_cbor_read_nint(bw_cbor_reader_t *r, uint64_t *n)
{
    bw_cbor__head_t h;
    if (n != NULL)
        *n = 0;
    int err = start(r, n, &h, BW_CBOR_NINT);
    if (err != 0)
        return err;
    consume(r, &h);
    *n = h.arg;
    return 0;
}

int bw_cbor_read_int(bw_cbor_reader_t *r, int64_t *value)
{
    bw_cbor__head_t h;
    if (value != NULL)
        *value = 0;
    int err = start(r, value, &h, BW_CBOR_UINT);
    if (err == BW_ETYPE && h.kind == BW_CBOR_NINT)
        err = 0;
    if (err != 0)
        return err;
    /* Both -1 - INT64_MAX (= INT64_MIN) and INT64_MAX fit; beyond, not. */
    if (h.arg > (uint64_t)INT64_MAX)
        return BW_ERANGE;
    consume(r, &h);
    if (h.kind == BW_CBOR_UINT)
        *value = (int64_t)h.arg;
    else
        *value = -1 - (int64_t)h.arg;
    return 0;
}

int bw_cbor_read_bytes(bw_cbor_reader_t *r, const uint8_t **data, size_t *len)
{
    bw_cbor__head_t h;
    if (data != NULL)
        *data = NULL;
    if (len != NULL)
        *len = 0;
    int err = start(r, data, &h, BW_CBOR_BYTES);
    if (err == 0 && len == NULL)
        err = fail(r, BW_EINVAL);
    if (err != 0)
        return err;
    *data = r->buf + r->pos + h.hlen;
    *len = h.body;
    consume(r, &h);
    return 0;
}

int bw_cbor_read_text(bw_cbor_reader_t *r, const char **text, size_t *len)
{
    bw_cbor__head_t h;
    if (text != NULL)
        *text = NULL;
    if (len != NULL)
        *len = 0;
    int err = start(r, text, &h, BW_CBOR_TEXT);
    if (err == 0 && len == NULL)
        err = fail(r, BW_EINVAL);
    if (err != 0)
        return err;
    const uint8_t *p = r->buf + r->pos + h.hlen;
    if (bw__utf8_check(p, h.body) != 0)
        return fail(r, BW_EUTF8);
    consume(r, &h);
    *text = (const char *)p;
    *len = h.body;
    return 0;
}

int bw_cbor_read_double(bw_cbor_reader_t *r, double *value)
{
    bw_cbor__head_t h;
    if (value != NULL)
        *value = 0.0;
    int err = start(r, value, &h, BW_CBOR_FLOAT);
    if (err != 0)
        return err;
    consume(r, &h);
    /* Widening is exact (bw_float.h). */
    uint64_t bits = h.arg;
    if (h.ai == BW_CBOR__AI_2BYTES)
        bits = bw__f_widen((uint32_t)bits, BW__F16_EBITS, BW__F16_MBITS);
    else if (h.ai == BW_CBOR__AI_4BYTES)
        bits = bw__f_widen((uint32_t)bits, BW__F32_EBITS, BW__F32_MBITS);
    *value = bw__f64_from_bits(bits);
    return 0;
}

int bw_cbor_read_bool(bw_cbor_reader_t *r, bool *value)
{
    bw_cbor__head_t h;
    if (value != NULL)
        *value = false;
    int err = start(r, value, &h, BW_CBOR_BOOL);
    if (err != 0)
        return err;
    consume(r, &h);
    *value = h.ai == BW_CBOR__SIMPLE_TRUE;
    return 0;
}

int bw_cbor_read_null(bw_cbor_reader_t *r)
{
    bw_cbor__head_t h;
    int err = start(r, r, &h, BW_CBOR_NULL);
    if (err != 0)
        return err;
    consume(r, &h);
    return 0;
}

int bw_cbor_read_undefined(bw_cbor_reader_t *r)
{
    bw_cbor__head_t h;
    int err = start(r, r, &h, BW_CBOR_UNDEFINED);
    if (err != 0)
        return err;
    consume(r, &h);
    return 0;
}

int bw_cbor_read_tag(bw_cbor_reader_t *r, uint64_t *tag)
{
    bw_cbor__head_t h;
    if (tag != NULL)
        *tag = 0;
    int err = start(r, tag, &h, BW_CBOR_TAG);
    if (err != 0)
        return err;
    consume(r, &h);
    *tag = h.arg;
    return 0;
}

static int enter(bw_cbor_reader_t *r, size_t *out, bw_cbor_kind_t want)
{
    bw_cbor__head_t h;
    if (out != NULL)
        *out = 0;
    int err = start(r, out, &h, want);
    if (err != 0)
        return err;
    if (r->depth >= BW_CBOR_MAX_DEPTH)
        return fail(r, BW_EDEPTH);
    consume(r, &h);
    r->left[r->depth++] = h.items;
    *out = want == BW_CBOR_MAP ? h.items / 2 : h.items;
    return 0;
}

int bw_cbor_enter_array(bw_cbor_reader_t *r, size_t *count)
{
    return enter(r, count, BW_CBOR_ARRAY);
}

int bw_cbor_enter_map(bw_cbor_reader_t *r, size_t *pairs)
{
    return enter(r, pairs, BW_CBOR_MAP);
}

int bw_cbor_leave(bw_cbor_reader_t *r)
{
    if (r == NULL)
        return BW_EINVAL;
    if (r->err != 0)
        return r->err;
    if (r->depth == 0 || r->left[r->depth - 1] != 0)
        return fail(r, BW_ESTATE);
    r->depth--;
    return 0;
}

size_t bw_cbor_depth(const bw_cbor_reader_t *r)
{
    return r == NULL ? 0 : r->depth;
}

int bw_cbor_reader_error(const bw_cbor_reader_t *r)
{
    return r == NULL ? BW_EINVAL : r->err;
}

int bw_cbor_finish(bw_cbor_reader_t *r)
{
    if (r == NULL)
        return BW_EINVAL;
    if (r->err != 0)
        return r->err;
    if (r->depth > 0 || r->tagged)
        return fail(r, BW_ETRUNC);
    if (r->pos != r->len)
        return fail(r, BW_ETRAILING);
    return 0;
}
