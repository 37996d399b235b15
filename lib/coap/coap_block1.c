/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block1 (RFC 7959 sections 2.3 and 2.5): a request body in blocks.  The
 * client side reads each block through a callback and follows the
 * server's 2.31 / 4.13 / 4.08 answers; the server side checks the order of
 * blocks and streams each one into a sink.  The contract is in
 * include/bulwark/coap_block.h; the option codec is in coap_block.c.
 *
 * Block1 client states:
 *
 *            _request()            _response(): 2.xx, last block,
 *   +-------+ -------> +------+      or any code but 2.xx/4.08/4.13  +------+
 *   | READY |          | SENT | -----------------------------------> | DONE |
 *   +-------+ <------- +------+                                      +------+
 *       ^  _response(): 2.31 or 2.xx (next block, maybe renumbered),
 *       |               4.13 with a smaller Block1 (offset back to 0)
 *       |
 *   FAILED (sticky err), from SENT on 4.08, a 4.13 leaving nothing to
 *   try, an echo that does not match; from READY when the source fails.
 *
 *   READY   `offset` is where the next block starts, at size `szx`.
 *   SENT    the block [offset, offset + cur_len) went out, cur_more says
 *           whether more follow; _request() may build it again.
 *   DONE    the final response arrived.
 *   FAILED  `err` holds the first error; every call returns it.
 *
 * Block1 server states:
 *
 *   +------+  block 0, M=1   +-----------+  next block, M=0   +------+
 *   | IDLE | --------------> | RECEIVING | -----------------> | DONE |
 *   +------+                +-----------+                    +------+
 *      ^  block 0, M=0 / no Block1: straight to DONE            |
 *      +---- 4.13 or sink failure (from any)   block 0 restarts-+
 *
 *   RECEIVING  bytes [0, expected) went to the sink; the block accepted
 *              last is [last_off, last_off + last_len).
 *   DONE       the body is complete; only a new block 0 starts another.
 * Out-of-order blocks leave the state as it is (answered 4.08).
 * Every change goes through srv_set_state() / cli_set_state().
 */
#include "bulwark/coap_block.h"

#include "bw_mem.h"
#include "coap_block_int.h"

enum { C_READY = 0, C_SENT, C_DONE, C_FAILED };
enum { S_IDLE = 0, S_RECEIVING, S_DONE };

#define SZX_SHIFT     BW_COAP__SZX_SHIFT
#define CLASS_SUCCESS 2

static uint32_t block_offset(uint32_t num, uint8_t szx)
{
    return BW_COAP__BLOCK_OFF(num, szx);
}

/* ---- client ----------------------------------------------------------- */

static void cli_set_state(bw_coap_block1_client_t *c, uint8_t state, int err)
{
    c->state = state;
    if (state == C_FAILED && c->err == 0)
        c->err = err;
}

static int cli_fail(bw_coap_block1_client_t *c, int err)
{
    cli_set_state(c, C_FAILED, err);
    return c->err;
}

int bw_coap_block1_client_init(bw_coap_block1_client_t *c, uint8_t szx,
                               uint32_t total, bw_coap_block_read_fn source,
                               void *arg)
{
    if (c != NULL)
        bw__zero(c, sizeof *c);
    if (c == NULL || source == NULL || szx > BW_COAP_BLOCK_MAX_SZX)
        return BW_EINVAL;
    c->source = source;
    c->arg = arg;
    c->total = total;
    c->szx = szx;
    c->size1 = BW_COAP_BLOCK_SIZE_UNKNOWN;
    cli_set_state(c, C_READY, 0);
    return 0;
}

int bw_coap_block1_client_request(bw_coap_block1_client_t *c,
                                  bw_coap_writer_t *w, uint8_t *scratch,
                                  size_t scratch_len)
{
    bw_coap__block_put_t j;
    int fit, rc;

    if (c == NULL || c->source == NULL || w == NULL || scratch == NULL)
        return BW_EINVAL;
    if (c->state == C_FAILED)
        return c->err;
    if (c->state == C_DONE)
        return BW_ESTATE;
    fit = bw_coap_block_szx_fit(scratch_len);
    if (fit < 0)
        return BW_EINVAL;
    /* offset is a multiple of the old size, so of any smaller one too. */
    if (c->szx > fit)
        c->szx = (uint8_t)fit;
    j.read = c->source;
    j.arg = c->arg;
    j.total = c->total;
    j.off = c->offset;
    j.szx = c->szx;
    j.opt = BW_COAP_OPT_BLOCK1;
    j.size_opt = 0; /* Size1 with the first block only */
    /* The offset never passes a known total (cli_advance() moves only
     * while cur_more), so BW_ERANGE here is the block number alone. */
    rc = bw_coap__block_put(&j, w, scratch);
    if (rc != 0)
        return cli_fail(c, rc);
    c->cur_len = (uint16_t)j.len;
    c->cur_more = j.more;
    cli_set_state(c, C_SENT, 0);
    return 0;
}

/*
 * The server acknowledged the current block (echo b): move past it, at the
 * server's size if it asked for a smaller one.  In the renumbered
 * sequence the next NUM is simply the new offset over the new size.
 */
static int cli_advance(bw_coap_block1_client_t *c, const bw_coap_block_t *b)
{
    if (b->szx > c->szx || block_offset(b->num, b->szx) != c->offset ||
        !c->cur_more)
        return cli_fail(c, BW_EBLOCK);
    c->offset += c->cur_len;
    c->szx = b->szx;
    cli_set_state(c, C_READY, 0);
    return 0;
}

/* 4.13: retry smaller from block 0 if the server allows, else give up. */
static int cli_too_large(bw_coap_block1_client_t *c, const bw_coap_msg_t *rsp,
                         const bw_coap_block_t *b, int has_block)
{
    uint32_t size1;
    int rc = bw_coap_msg_uint(rsp, BW_COAP_OPT_SIZE1, &size1);

    if (rc == 0)
        c->size1 = size1;
    else if (rc != BW_ENOTFOUND)
        return cli_fail(c, rc);
    if (c->size1 != BW_COAP_BLOCK_SIZE_UNKNOWN &&
        c->total != BW_COAP_BLOCK_SIZE_UNKNOWN && c->size1 < c->total)
        return cli_fail(c, BW_EOVERFLOW);
    if (!has_block || b->szx >= c->szx)
        return cli_fail(c, BW_EOVERFLOW);
    c->offset = 0;
    c->szx = b->szx;
    cli_set_state(c, C_READY, 0);
    return 0;
}

int bw_coap_block1_client_response(bw_coap_block1_client_t *c,
                                   const bw_coap_msg_t *rsp, int *done)
{
    bw_coap_block_t b;
    int rc, has;

    if (done != NULL)
        *done = 0;
    if (c == NULL || rsp == NULL || done == NULL || c->source == NULL)
        return BW_EINVAL;
    if (c->state == C_FAILED)
        return c->err;
    if (c->state != C_SENT)
        return BW_ESTATE;
    rc = bw_coap_block_get(rsp, BW_COAP_OPT_BLOCK1, &b);
    if (rc != 0 && rc != BW_ENOTFOUND)
        return cli_fail(c, rc);
    has = rc == 0;
    if (rsp->code == BW_COAP_CONTINUE)
        return has ? cli_advance(c, &b) : cli_fail(c, BW_EBLOCK);
    if (rsp->code == BW_COAP_REQUEST_TOO_LARGE)
        return cli_too_large(c, rsp, &b, has);
    if (rsp->code == BW_COAP_REQUEST_INCOMPLETE)
        return cli_fail(c, BW_EBLOCK);
    if (BW_COAP_CODE_CLASS(rsp->code) == CLASS_SUCCESS) {
        /* A server storing blocks as they come may answer 2.04 each. */
        if (c->cur_more)
            return has ? cli_advance(c, &b) : cli_fail(c, BW_EBLOCK);
        if (has && (b.szx > c->szx || block_offset(b.num, b.szx) != c->offset))
            return cli_fail(c, BW_EBLOCK);
        c->offset += c->cur_len;
    }
    cli_set_state(c, C_DONE, 0);
    *done = 1;
    return 0;
}

uint32_t bw_coap_block1_client_offset(const bw_coap_block1_client_t *c)
{
    return c != NULL ? c->offset : 0;
}

/* ---- server ----------------------------------------------------------- */

static void srv_set_state(bw_coap_block1_server_t *s, uint8_t state)
{
    if (state == S_IDLE) {
        s->expected = 0;
        s->last_off = 0;
        s->last_len = 0;
    }
    s->state = state;
}

int bw_coap_block1_server_init(bw_coap_block1_server_t *s, uint8_t max_szx,
                               uint32_t max_body, bw_coap_block_write_fn sink,
                               void *arg)
{
    if (s != NULL)
        bw__zero(s, sizeof *s);
    if (s == NULL || sink == NULL || max_szx > BW_COAP_BLOCK_MAX_SZX)
        return BW_EINVAL;
    s->sink = sink;
    s->arg = arg;
    s->max_body = max_body;
    s->max_szx = max_szx;
    srv_set_state(s, S_IDLE);
    return 0;
}

static int reply_code(bw_coap_block1_reply_t *r, uint8_t code, int err)
{
    r->code = code;
    return err;
}

static int too_large(bw_coap_block1_server_t *s, bw_coap_block1_reply_t *r)
{
    srv_set_state(s, S_IDLE);
    r->has_size1 = 1;
    r->size1 = s->max_body;
    return reply_code(r, BW_COAP_REQUEST_TOO_LARGE, BW_EOVERFLOW);
}

/* A whole body in one request (no Block1). */
static int receive_whole(bw_coap_block1_server_t *s, const bw_coap_msg_t *req,
                         bw_coap_block1_reply_t *r)
{
    if (req->payload_len > s->max_body)
        return too_large(s, r);
    srv_set_state(s, S_IDLE);
    if (req->payload_len > 0 &&
        s->sink(s->arg, 0, req->payload, req->payload_len) != 0)
        return reply_code(r, BW_COAP_INTERNAL_ERROR, BW_EABORTED);
    s->expected = (uint32_t)req->payload_len;
    srv_set_state(s, S_DONE);
    return reply_code(r, 0, 0);
}

/* Echo of an accepted block at our preferred size (RFC 7959 2.5). */
static void echo(const bw_coap_block1_server_t *s, const bw_coap_block_t *b,
                 uint32_t off, bw_coap_block1_reply_t *r)
{
    r->has_block1 = 1;
    r->block1 = *b;
    if (b->more && s->max_szx < b->szx &&
        off >> (s->max_szx + SZX_SHIFT) <= BW_COAP_BLOCK_MAX_NUM) {
        r->block1.szx = s->max_szx;
        r->block1.num = off >> (s->max_szx + SZX_SHIFT);
    }
}

int bw_coap_block1_server_receive(bw_coap_block1_server_t *s,
                                  const bw_coap_msg_t *req,
                                  bw_coap_block1_reply_t *reply)
{
    bw_coap_block_t b;
    uint32_t off, size1;
    size_t len;
    int rc;

    if (reply != NULL)
        bw__zero(reply, sizeof *reply);
    if (s == NULL || s->sink == NULL || req == NULL || reply == NULL)
        return BW_EINVAL;
    rc = bw_coap_block_get(req, BW_COAP_OPT_BLOCK1, &b);
    if (rc == BW_ENOTFOUND)
        return receive_whole(s, req, reply);
    if (rc != 0)
        return reply_code(reply, BW_COAP_BAD_REQUEST, rc);
    rc = bw_coap_msg_uint(req, BW_COAP_OPT_SIZE1, &size1);
    if (rc == 0 && size1 > s->max_body)
        return too_large(s, reply);
    if (rc != 0 && rc != BW_ENOTFOUND)
        return reply_code(reply, BW_COAP_BAD_REQUEST, rc);
    off = block_offset(b.num, b.szx);
    len = req->payload_len;
    if (len > BW_COAP_BLOCK_SIZE(b.szx) ||
        (b.more && len != BW_COAP_BLOCK_SIZE(b.szx)))
        return reply_code(reply, BW_COAP_BAD_REQUEST, BW_EBLOCK);
    if (off == 0) {
        srv_set_state(s, S_IDLE); /* block 0 starts a new body */
        srv_set_state(s, S_RECEIVING);
    } else if (s->state == S_RECEIVING && b.more && off == s->last_off &&
               len == s->last_len && off + len == s->expected) {
        echo(s, &b, off, reply); /* the same block again: same answer */
        return reply_code(reply, BW_COAP_CONTINUE, 0);
    } else if (s->state != S_RECEIVING || off != s->expected) {
        return reply_code(reply, BW_COAP_REQUEST_INCOMPLETE, BW_EBLOCK);
    }
    if ((uint64_t)off + len > s->max_body)
        return too_large(s, reply);
    if (len > 0 && s->sink(s->arg, off, req->payload, len) != 0) {
        srv_set_state(s, S_IDLE);
        return reply_code(reply, BW_COAP_INTERNAL_ERROR, BW_EABORTED);
    }
    s->expected = off + (uint32_t)len;
    s->last_off = off;
    s->last_len = (uint16_t)len;
    echo(s, &b, off, reply);
    if (b.more)
        return reply_code(reply, BW_COAP_CONTINUE, 0);
    srv_set_state(s, S_DONE);
    return reply_code(reply, 0, 0);
}

int bw_coap_block1_reply_add(const bw_coap_block1_reply_t *reply,
                             bw_coap_writer_t *w)
{
    if (reply == NULL || w == NULL)
        return BW_EINVAL;
    if (reply->has_block1 &&
        bw_coap_block_add(w, BW_COAP_OPT_BLOCK1, &reply->block1) != 0)
        return BW_EINVAL;
    if (reply->has_size1)
        bw_coap_writer_add_uint(w, BW_COAP_OPT_SIZE1, reply->size1);
    return 0;
}

uint32_t bw_coap_block1_server_received(const bw_coap_block1_server_t *s)
{
    return s != NULL ? s->expected : 0;
}
