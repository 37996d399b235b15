/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the CBOR reader and writer.
 *
 * 1. Walk the whole input generically (peek, the matching read for every
 *    kind, enter and leave every container), recording each item and
 *    re-encoding it with the writer as it goes.  Before each read, a read
 *    of the wrong kind must answer BW_ETYPE and leave the reader exactly
 *    as it was; read_int on a copy must agree with read_uint/read_nint.
 * 2. Skipping the input item by item must reach the same verdict (same
 *    error code, or success).
 * 3. If the walk succeeded: the re-encoding is never longer than the
 *    input (shortest forms only), walks to the same sequence of items,
 *    and re-encodes to itself byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/cbor.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

typedef struct {
    bw_cbor_kind_t kind;
    uint64_t u;         /* integer, tag, count, bool */
    uint64_t fbits;     /* float value's bits; every NaN the same */
    const uint8_t *ptr; /* string contents */
    size_t len;
} event_t;

/* A read of a kind that is certainly wrong for `kind`. */
static int wrong_read(bw_cbor_reader_t *r, bw_cbor_kind_t kind)
{
    uint64_t u;
    bool b;
    if (kind == BW_CBOR_BOOL)
        return bw_cbor_read_uint(r, &u);
    if (kind == BW_CBOR_NULL)
        return bw_cbor_read_undefined(r);
    if (kind == BW_CBOR_UINT)
        return bw_cbor_read_nint(r, &u);
    return bw_cbor_read_bool(r, &b);
}

/*
 * Walk buf, recording at most cap events and writing each to w.
 * Returns the verdict of the walk (0 or the first error).
 */
static int walk(const uint8_t *buf, size_t len, event_t *ev, size_t cap,
                size_t *count, bw_cbor_writer_t *w)
{
    bw_cbor_reader_t r;
    size_t n = 0;
    bw_cbor_reader_init(&r, buf, len);
    for (;;) {
        bw_cbor_kind_t k;
        int err = bw_cbor_peek(&r, &k);
        if (err != 0)
            return err;
        if (k == BW_CBOR_END) {
            if (bw_cbor_depth(&r) == 0)
                break;
            err = bw_cbor_leave(&r);
            if (err != 0)
                return err;
            continue;
        }

        bw_cbor_reader_t before = r;
        CHECK(wrong_read(&r, k) == BW_ETYPE);
        CHECK(memcmp(&before, &r, sizeof r) == 0);

        CHECK(n < cap);
        event_t *e = &ev[n++];
        memset(e, 0, sizeof *e);
        e->kind = k;
        switch (k) {
        case BW_CBOR_UINT:
        case BW_CBOR_NINT: {
            bw_cbor_reader_t copy = r;
            int64_t i;
            int ierr = bw_cbor_read_int(&copy, &i);
            if (k == BW_CBOR_UINT) {
                err = bw_cbor_read_uint(&r, &e->u);
                bw_cbor_write_uint(w, e->u);
            } else {
                err = bw_cbor_read_nint(&r, &e->u);
                bw_cbor_write_nint(w, e->u);
            }
            if (e->u > (uint64_t)INT64_MAX) {
                CHECK(ierr == BW_ERANGE);
            } else {
                CHECK(ierr == 0);
                CHECK(k == BW_CBOR_UINT ? i == (int64_t)e->u
                                        : i == -1 - (int64_t)e->u);
            }
            break;
        }
        case BW_CBOR_BYTES:
            err = bw_cbor_read_bytes(&r, &e->ptr, &e->len);
            bw_cbor_write_bytes(w, e->ptr, e->len);
            break;
        case BW_CBOR_TEXT: {
            const char *s;
            err = bw_cbor_read_text(&r, &s, &e->len);
            e->ptr = (const uint8_t *)s;
            bw_cbor_write_text(w, s, e->len);
            break;
        }
        case BW_CBOR_ARRAY: {
            size_t c;
            err = bw_cbor_enter_array(&r, &c);
            e->u = c;
            bw_cbor_write_array(w, c);
            break;
        }
        case BW_CBOR_MAP: {
            size_t c;
            err = bw_cbor_enter_map(&r, &c);
            e->u = c;
            bw_cbor_write_map(w, c);
            break;
        }
        case BW_CBOR_TAG:
            err = bw_cbor_read_tag(&r, &e->u);
            bw_cbor_write_tag(w, e->u);
            break;
        case BW_CBOR_FLOAT: {
            double d;
            err = bw_cbor_read_double(&r, &d);
            memcpy(&e->fbits, &d, sizeof d);
            if (d != d)
                e->fbits = UINT64_C(0x7ff8000000000000);
            bw_cbor_write_double(w, d);
            break;
        }
        case BW_CBOR_BOOL: {
            bool b;
            err = bw_cbor_read_bool(&r, &b);
            e->u = b;
            bw_cbor_write_bool(w, b);
            break;
        }
        case BW_CBOR_NULL:
            err = bw_cbor_read_null(&r);
            bw_cbor_write_null(w);
            break;
        default:
            err = bw_cbor_read_undefined(&r);
            bw_cbor_write_undefined(w);
            break;
        }
        if (err != 0)
            return err;
    }
    *count = n;
    return bw_cbor_finish(&r);
}

/* Verdict of skipping every top-level item. */
static int skip_all(const uint8_t *buf, size_t len)
{
    bw_cbor_reader_t r;
    bw_cbor_reader_init(&r, buf, len);
    for (;;) {
        bw_cbor_kind_t k;
        int err = bw_cbor_peek(&r, &k);
        if (err != 0)
            return err;
        if (k == BW_CBOR_END)
            return bw_cbor_finish(&r);
        const uint8_t *raw;
        size_t raw_len;
        size_t at = r.pos;
        err = bw_cbor_read_raw(&r, &raw, &raw_len);
        if (err != 0)
            return err;
        CHECK(raw == buf + at && raw_len > 0 && at + raw_len == r.pos);
    }
}

static bool same_event(const event_t *a, const event_t *b)
{
    return a->kind == b->kind && a->u == b->u && a->fbits == b->fbits &&
           a->len == b->len &&
           (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Every item takes at least one byte: size events always suffice. */
    size_t cap = size + 1;
    event_t *ev1 = malloc(cap * sizeof *ev1);
    event_t *ev2 = malloc(cap * sizeof *ev2);
    uint8_t *out1 = malloc(cap);
    uint8_t *out2 = malloc(cap);
    CHECK(ev1 && ev2 && out1 && out2);

    bw_cbor_writer_t w1;
    size_t n1 = 0;
    size_t len1 = 0;
    bw_cbor_writer_init(&w1, out1, size);
    int err = walk(data, size, ev1, cap, &n1, &w1);
    CHECK(skip_all(data, size) == err);

    if (err == 0) {
        CHECK(bw_cbor_writer_finish(&w1, &len1) == 0);
        CHECK(len1 <= size);

        bw_cbor_writer_t w2;
        size_t n2 = 0;
        size_t len2 = 0;
        bw_cbor_writer_init(&w2, out2, len1);
        CHECK(walk(out1, len1, ev2, cap, &n2, &w2) == 0);
        CHECK(bw_cbor_writer_finish(&w2, &len2) == 0);
        CHECK(n1 == n2);
        for (size_t i = 0; i < n1; i++)
            CHECK(same_event(&ev1[i], &ev2[i]));
        CHECK(len2 == len1 && memcmp(out1, out2, len1) == 0);
    }
    free(ev1);
    free(ev2);
    free(out1);
    free(out2);
    return 0;
}
