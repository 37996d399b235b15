/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block2 (RFC 7959 section 2.4): a response body in blocks.  The server
 * side reads one block through a callback into the caller's scratch and
 * writes it into the response; the client side checks each response
 * against the block it asked for and hands the payload to a sink.  The
 * contract is in include/bulwark/coap_block.h; the option codec is in
 * coap_block.c.
 *
 * Block2 client states:
 *
 *            _response(): block, M=1        _response(): block, M=0,
 *   +-------+ ------------> +---------+     or not 2.xx   +------+
 *   | START |               | RUNNING | ----------------> | DONE |
 *   +-------+ ----------------------------------------->  +------+
 *       |       _response(): no Block2, or M=0, or not 2.xx
 *       |                        |
 *       +------------------------+--> FAILED (sticky err): a block that
 *                                     does not fit the sequence, sink
 *                                     failure, malformed option
 *
 *   START    nothing accepted yet; `offset` is the block containing
 *            `start`; a response without Block2 is the whole body.
 *   RUNNING  bytes up to `offset` were accepted (those from `start` on
 *            delivered); `prev` is the offset of the last block, so its
 *            duplicate is recognised; `etag` is the first response's.
 *   DONE     the last block was delivered (or a non-2.xx ended it).
 *   FAILED   `err` holds the first error; every call returns it.
 * Every change goes through set_state().
 */
#include "bulwark/coap_block.h"

#include "bw_mem.h"
#include "coap_block_int.h"

enum { B2_START = 0, B2_RUNNING, B2_DONE, B2_FAILED };

#define SZX_SHIFT     BW_COAP__SZX_SHIFT
#define CLASS_SUCCESS 2

static uint32_t block_offset(uint32_t num, uint8_t szx)
{
    return BW_COAP__BLOCK_OFF(num, szx);
}

static uint8_t min_u8(uint8_t a, uint8_t b)
{
    return a < b ? a : b;
}

/* ---- server ----------------------------------------------------------- */

int bw_coap_block2_server_init(bw_coap_block2_server_t *s, uint8_t max_szx,
                               uint32_t total, bw_coap_block_read_fn read,
                               void *arg)
{
    if (s != NULL)
        bw__zero(s, sizeof *s);
    if (s == NULL || read == NULL || max_szx > BW_COAP_BLOCK_MAX_SZX)
        return BW_EINVAL;
    s->read = read;
    s->arg = arg;
    s->total = total;
    s->max_szx = max_szx;
    return 0;
}

int bw_coap_block2_server_respond(const bw_coap_block2_server_t *s,
                                  const bw_coap_msg_t *req, bw_coap_writer_t *w,
                                  uint8_t *scratch, size_t scratch_len)
{
    bw_coap_block_t asked;
    bw_coap_opt_t size2_opt;
    bw_coap__block_put_t j;
    int fit, rc;

    if (s == NULL || s->read == NULL || req == NULL || w == NULL ||
        scratch == NULL)
        return BW_EINVAL;
    fit = bw_coap_block_szx_fit(scratch_len);
    if (fit < 0)
        return BW_EINVAL;
    rc = bw_coap_block_get(req, BW_COAP_OPT_BLOCK2, &asked);
    if (rc == BW_ENOTFOUND)
        asked.szx = s->max_szx; /* block 0, our size */
    else if (rc != 0)
        return rc;
    /* Late negotiation: never larger than asked, scaled to the offset
     * (a multiple of the asked size, so of the smaller one too). */
    j.read = s->read;
    j.arg = s->arg;
    j.total = s->total;
    j.off = block_offset(asked.num, asked.szx);
    j.szx = min_u8(min_u8(asked.szx, s->max_szx), (uint8_t)fit);
    j.opt = BW_COAP_OPT_BLOCK2;
    /* Size2 on the first block, and whenever the client asks (section 4). */
    j.size_opt = bw_coap_opt_find(req, BW_COAP_OPT_SIZE2, &size2_opt) == 0;
    return bw_coap__block_put(&j, w, scratch);
}

/* ---- client ----------------------------------------------------------- */

static void set_state(bw_coap_block2_client_t *c, uint8_t state, int err)
{
    c->state = state;
    if (state == B2_FAILED && c->err == 0)
        c->err = err;
}

static int fail(bw_coap_block2_client_t *c, int err)
{
    set_state(c, B2_FAILED, err);
    return c->err;
}

int bw_coap_block2_client_init(bw_coap_block2_client_t *c, uint8_t szx,
                               uint32_t start, bw_coap_block_write_fn sink,
                               void *arg)
{
    if (c != NULL)
        bw__zero(c, sizeof *c);
    if (c == NULL || sink == NULL || szx > BW_COAP_BLOCK_MAX_SZX)
        return BW_EINVAL;
    c->sink = sink;
    c->arg = arg;
    c->start = start;
    c->szx = szx;
    c->offset = start >> (szx + SZX_SHIFT) << (szx + SZX_SHIFT);
    c->size2 = BW_COAP_BLOCK_SIZE_UNKNOWN;
    set_state(c, B2_START, 0);
    return 0;
}

int bw_coap_block2_client_request(bw_coap_block2_client_t *c,
                                  bw_coap_writer_t *w)
{
    bw_coap_block_t b;

    if (c == NULL || w == NULL || c->sink == NULL)
        return BW_EINVAL;
    if (c->state == B2_FAILED)
        return c->err;
    if (c->state == B2_DONE)
        return BW_ESTATE;
    b.num = c->offset >> (c->szx + SZX_SHIFT);
    b.more = 0; /* unused in requests (section 2.2) */
    b.szx = c->szx;
    if (b.num > BW_COAP_BLOCK_MAX_NUM)
        return fail(c, BW_ERANGE);
    return bw_coap_block_add(w, BW_COAP_OPT_BLOCK2, &b);
}

/* Hand [off, off + len) to the sink, minus what lies before start. */
static int deliver(bw_coap_block2_client_t *c, uint32_t off,
                   const uint8_t *data, size_t len)
{
    size_t skip = c->start > off ? c->start - off : 0;

    if (skip >= len)
        return 0;
    if (c->sink(c->arg, off + (uint32_t)skip, data + skip, len - skip) != 0)
        return BW_EABORTED;
    return 0;
}

/* The first response fixes the ETag; later ones must repeat it exactly. */
static int check_etag(bw_coap_block2_client_t *c, const bw_coap_msg_t *rsp)
{
    bw_coap_opt_t e;
    int found = bw_coap_opt_find(rsp, BW_COAP_OPT_ETAG, &e) == 0;

    if (found && (e.len < 1 || e.len > BW_COAP_BLOCK_MAX_ETAG_LEN))
        return BW_EOPTION;
    if (c->state == B2_START) {
        c->etag_len = found ? (uint8_t)e.len : 0;
        if (found)
            bw__copy(c->etag, e.value, e.len);
        return 0;
    }
    if ((found ? e.len : 0u) != c->etag_len ||
        (found && !bw__equal(c->etag, e.value, e.len)))
        return BW_EBLOCK; /* the body changed under the transfer */
    return 0;
}

int bw_coap_block2_client_response(bw_coap_block2_client_t *c,
                                   const bw_coap_msg_t *rsp, int *done)
{
    bw_coap_block_t b;
    uint32_t off, size2;
    size_t size;
    int rc;

    if (done != NULL)
        *done = 0;
    if (c == NULL || rsp == NULL || done == NULL || c->sink == NULL)
        return BW_EINVAL;
    if (c->state == B2_FAILED)
        return c->err;
    if (c->state == B2_DONE)
        return BW_ESTATE;
    if (BW_COAP_CODE_CLASS(rsp->code) != CLASS_SUCCESS) {
        set_state(c, B2_DONE, 0); /* the server's answer is final */
        *done = 1;
        return 0;
    }
    rc = bw_coap_block_get(rsp, BW_COAP_OPT_BLOCK2, &b);
    if (rc == BW_ENOTFOUND) {
        /* Only a first response may be the whole body in one piece. */
        if (c->state != B2_START)
            return fail(c, BW_EBLOCK);
        rc = deliver(c, 0, rsp->payload, rsp->payload_len);
        if (rc != 0)
            return fail(c, rc);
        c->offset = (uint32_t)rsp->payload_len;
        set_state(c, B2_DONE, 0);
        *done = 1;
        return 0;
    }
    if (rc != 0)
        return fail(c, rc);
    off = block_offset(b.num, b.szx);
    size = BW_COAP_BLOCK_SIZE(b.szx);
    if (b.szx > c->szx)
        return fail(c, BW_EBLOCK); /* a server may only shrink blocks */
    if (off != c->offset) {
        if (c->state == B2_RUNNING && off == c->prev && b.szx == c->szx)
            return BW_ESTALE; /* the previous block again: ignore */
        return fail(c, BW_EBLOCK);
    }
    if (rsp->payload_len > size || (b.more && rsp->payload_len != size))
        return fail(c, BW_EBLOCK);
    rc = check_etag(c, rsp);
    if (rc != 0)
        return fail(c, rc);
    rc = bw_coap_msg_uint(rsp, BW_COAP_OPT_SIZE2, &size2);
    if (rc == 0)
        c->size2 = size2;
    else if (rc != BW_ENOTFOUND)
        return fail(c, rc);
    rc = deliver(c, off, rsp->payload, rsp->payload_len);
    if (rc != 0)
        return fail(c, rc);
    c->prev = off;
    c->offset = off + (uint32_t)rsp->payload_len;
    c->szx = b.szx;
    set_state(c, b.more ? B2_RUNNING : B2_DONE, 0);
    *done = !b.more;
    return 0;
}

uint32_t bw_coap_block2_client_offset(const bw_coap_block2_client_t *c)
{
    if (c == NULL)
        return 0;
    return c->offset > c->start ? c->offset : c->start;
}

uint32_t bw_coap_block2_client_size(const bw_coap_block2_client_t *c)
{
    return c != NULL ? c->size2 : BW_COAP_BLOCK_SIZE_UNKNOWN;
}
