/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Skipping whole items: one item (bw_cbor_skip), one item with a view of
 * its encoding (bw_cbor_read_raw), the rest of a container
 * (bw_cbor_skip_rest).
 *
 * The walk is iterative.  It keeps its own stack of "items still due" for
 * the containers it opens inside the skipped item, bounded by what is left
 * of BW_CBOR_MAX_DEPTH below the reader's current depth, so a skip accepts
 * exactly what reading the same item step by step would accept: same
 * well-formedness rules, same nesting limit, same UTF-8 check.  Its cost
 * is linear in the bytes skipped: every iteration consumes at least one.
 *
 * On failure the reader's position is left where it was and the error is
 * made sticky.
 */
#include "cbor_int.h"

/*
 * Walk one complete item starting at r->pos without touching r, and
 * return in *end the offset just past it.  A pending tag on the reader
 * needs no special case: the item at r->pos is then its content.
 */
static int walk(const bw_cbor_reader_t *r, size_t *end)
{
    size_t due[BW_CBOR_MAX_DEPTH]; /* items still due per open level */
    size_t open = 0;
    size_t room = BW_CBOR_MAX_DEPTH - r->depth; /* levels we may open */
    size_t pos = r->pos;

    for (;;) {
        bw_cbor__head_t h;
        if (pos == r->len)
            return BW_ETRUNC;
        int err = bw_cbor__head(r->buf + pos, r->len - pos, &h);
        if (err != 0)
            return err;
        if (h.kind == BW_CBOR_TEXT) {
            err = bw__utf8_check(r->buf + pos + h.hlen, h.body);
            if (err != 0)
                return err;
        }
        pos += h.hlen + h.body;

        if (h.kind == BW_CBOR_TAG)
            continue; /* the content completes the tagged item */
        if (h.kind == BW_CBOR_ARRAY || h.kind == BW_CBOR_MAP) {
            if (open >= room)
                return BW_EDEPTH;
            if (h.items > 0) {
                due[open++] = h.items;
                continue;
            }
        }
        /* One item completed; it may complete its containers in turn. */
        while (open > 0 && --due[open - 1] == 0)
            open--;
        if (open == 0)
            break;
    }
    *end = pos;
    return 0;
}

/* Skip one item; on success report where it started. */
static int skip_one(bw_cbor_reader_t *r, size_t *start)
{
    if (r->err != 0)
        return r->err;
    if (r->depth > 0 && r->left[r->depth - 1] == 0)
        return (r->err = BW_ESTATE);
    if (r->depth == 0 && r->pos == r->len && !r->tagged)
        return (r->err = BW_ETRUNC);
    size_t end;
    int err = walk(r, &end);
    if (err != 0)
        return (r->err = err);
    *start = r->pos;
    r->pos = end;
    r->tagged = 0;
    if (r->depth > 0)
        r->left[r->depth - 1]--;
    return 0;
}

int bw_cbor_skip(bw_cbor_reader_t *r)
{
    size_t start;
    if (r == NULL)
        return BW_EINVAL;
    return skip_one(r, &start);
}

int bw_cbor_read_raw(bw_cbor_reader_t *r, const uint8_t **data, size_t *len)
{
    size_t start;
    if (data != NULL)
        *data = NULL;
    if (len != NULL)
        *len = 0;
    if (r == NULL)
        return BW_EINVAL;
    if ((data == NULL || len == NULL) && r->err == 0)
        r->err = BW_EINVAL;
    int err = skip_one(r, &start);
    if (err != 0)
        return err;
    *data = r->buf + start;
    *len = r->pos - start;
    return 0;
}

int bw_cbor_skip_rest(bw_cbor_reader_t *r)
{
    size_t start;
    if (r == NULL)
        return BW_EINVAL;
    if (r->err != 0)
        return r->err;
    if (r->depth == 0)
        return (r->err = BW_ESTATE);
    while (r->left[r->depth - 1] > 0) {
        int err = skip_one(r, &start);
        if (err != 0)
            return err;
    }
    return 0;
}
