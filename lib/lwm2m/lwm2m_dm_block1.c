/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block-wise Write (RFC 7959 section 2.5, Block1) of a single OPAQUE
 * resource, streamed into the object's write_block() handler: the way a
 * server pushes a firmware package into /5/0/0 without the device ever
 * holding it whole.  The rules a server sees are at the top of
 * bulwark/lwm2m_dm.h; the object's side is in bulwark/lwm2m_object.h.
 *
 * One transfer at a time, kept in dm->block1 (the device has one Package
 * resource; a second slot would only let two pushes fight over it):
 *
 *                 block 0, M=1 accepted
 *   +--------+ ------------------------> +------+  next block, M=1: stay
 *   | closed |                          | open | <------------------+
 *   +--------+ <------------------------ +------+ -------------------+
 *        ^     last block accepted (2.04); the object answers
 *        |     BW_EBLOCK; a Write without Block1 of the resource
 *        |
 *        +---- dropped, object told (write_block with drop): block 0
 *              again from the same server (then the new one starts),
 *              or BW_LWM2M_DM_BLOCK1_IDLE_MS without a block accepted
 *
 * A block at the wrong offset, or a block the object refuses with
 * another error, leaves the transfer where it was: the blocks before it
 * stay accepted, and the server may send the expected block again (or
 * let the transfer expire).
 *
 * Why block 0 for another resource (or from another server) while one is
 * open is 5.03 and not 4.08: RFC 7959 keys a transfer by endpoint and
 * resource, and 4.08 says that this transfer's earlier blocks are
 * missing, which is false for its block 0 (a client reads 4.08 as "start
 * over", and would get the same answer again).  What is missing is room
 * for a second transfer: 5.03 Service Unavailable with Max-Age (RFC 7252
 * section 5.9.3.4) tells the client when to try again, and the open
 * transfer is not disturbed by someone else.  A later block of a transfer
 * that is not the open one is 4.08: none of its earlier blocks are here.
 */
#include "bulwark/coap_block.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

/* Bits from a block number to its byte offset: SZX + 4. */
#define SZX_SHIFT 4u

/* The answer, with a Block1 echo and a Max-Age when given. */
static int reply(const bw_lwm2m__req_t *r, uint8_t code,
                 const bw_coap_block_t *echo, const uint32_t *max_age)
{
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, r->out, r->cap, BW_COAP_ACK, code, r->req->mid,
                        r->req->token, r->req->token_len);
    if (max_age != NULL)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_MAX_AGE, *max_age);
    if (echo != NULL)
        (void)bw_coap_block_add(&w, BW_COAP_OPT_BLOCK1, echo);
    return bw_coap_writer_finish(&w, r->out_len) == 0 ? 0 : BW_ENOSPC;
}

/* Whether r may be taken block-wise: 0, or the code to answer. */
static uint8_t check_target(const bw_lwm2m__req_t *r)
{
    const bw_lwm2m_path_t *p = &r->path;
    bw_lwm2m_object_t *o = r->obj;
    const bw_lwm2m_res_def_t *def;
    uint32_t cf;

    if (r->iface != BW_LWM2M_IFACE_DM || r->req->code != BW_COAP_PUT ||
        p->depth != BW_LWM2M_DEPTH_RESOURCE || o == NULL ||
        o->write_block == NULL)
        return BW_COAP_REQUEST_TOO_LARGE;
    def = bw_lwm2m_object_res(o, p->id[BW_LWM2M_RESOURCE]);
    if (def == NULL || def->type != BW_LWM2M_TYPE_OPAQUE || def->multiple ||
        !(def->ops & BW_LWM2M_OP_W))
        return BW_COAP_REQUEST_TOO_LARGE;
    if (bw_coap_msg_uint(r->req, BW_COAP_OPT_CONTENT_FORMAT, &cf) != 0 ||
        cf != BW_COAP_FMT_OPAQUE)
        return BW_COAP_REQUEST_TOO_LARGE;
    int err = bw_lwm2m__dm_has_inst(o, p->id[BW_LWM2M_INSTANCE]);
    return err == 0 ? 0 : bw_lwm2m__dm_code(err);
}

/* One block (or a drop) as one transaction of its instance. */
static int stage(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *p,
                 const bw_lwm2m_block_t *b)
{
    uint16_t inst = p->id[BW_LWM2M_INSTANCE];
    int err = 0;

    if (o->ops->begin != NULL)
        err = o->ops->begin(o, inst, BW_LWM2M_TXN_UPDATE);
    if (err != 0)
        return err;
    err = o->write_block(o, p, b);
    if (err == 0 && o->ops->validate != NULL)
        err = o->ops->validate(o, inst);
    if (err != 0) {
        if (o->ops->rollback != NULL)
            o->ops->rollback(o, inst);
        return err;
    }
    if (o->ops->commit != NULL)
        o->ops->commit(o, inst);
    return 0;
}

static void close_transfer(bw_lwm2m_dm_t *dm)
{
    bw__zero(&dm->block1, sizeof dm->block1);
}

/* End the open transfer and tell its object.  The slot is free before the
 * object hears of it, so whatever the object does next finds it free. */
static void drop(bw_lwm2m_dm_t *dm)
{
    bw_lwm2m_block1_t t = dm->block1;
    if (!t.open)
        return;
    close_transfer(dm);
    bw_lwm2m_block_t b;
    bw__zero(&b, sizeof b);
    b.offset = t.expected;
    b.drop = 1;
    bw_lwm2m_object_t *o = bw_lwm2m_dm_object(dm, t.path.id[BW_LWM2M_OBJECT]);
    if (o != NULL && o->write_block != NULL)
        (void)stage(o, &t.path, &b); /* a refusal changes nothing here */
}

void bw_lwm2m__dm_block1_expire(bw_lwm2m_dm_t *dm, uint64_t now, uint64_t *next)
{
    const bw_lwm2m_block1_t *t = &dm->block1;
    if (!t->open)
        return;
    uint64_t end = t->last_ms + BW_LWM2M_DM_BLOCK1_IDLE_MS;
    if (now >= end) {
        drop(dm);
        return;
    }
    if (next != NULL && end < *next)
        *next = end;
}

void bw_lwm2m__dm_block1_end(bw_lwm2m_dm_t *dm, const bw_lwm2m_path_t *path)
{
    if (dm->block1.open && bw_lwm2m_path_is_prefix(path, &dm->block1.path))
        close_transfer(dm);
}

/* Block0 for another transfer while one is open: 5.03, Max-Age the
 * seconds until the open one expires (rounded up, at least 1). */
static int busy(const bw_lwm2m__req_t *r)
{
    uint64_t end = r->dm->block1.last_ms + BW_LWM2M_DM_BLOCK1_IDLE_MS;
    uint64_t left = end > r->now ? end - r->now : 0;
    uint32_t secs = (uint32_t)((left + 999u) / 1000u);
    if (secs == 0)
        secs = 1;
    return reply(r, BW_COAP_SERVICE_UNAVAILABLE, NULL, &secs);
}

/*
 * The echo of an accepted block (RFC 7959 section 2.3): the block itself,
 * or, when more follow and it is larger than we like, the same offset
 * counted in our preferred size, which the client uses from then on
 * (section 2.5, late negotiation).  Preferred: the largest block that
 * fits the response buffer after BW_LWM2M_DM_BLOCK1_HEAD bytes.
 */
static bw_coap_block_t echo_of(const bw_lwm2m__req_t *r,
                               const bw_coap_block_t *b, uint32_t off)
{
    bw_coap_block_t e = *b;
    int fit = r->cap > BW_LWM2M_DM_BLOCK1_HEAD
                  ? bw_coap_block_szx_fit(r->cap - BW_LWM2M_DM_BLOCK1_HEAD)
                  : 0;
    uint8_t pref = fit > 0 ? (uint8_t)fit : 0;
    if (b->more && pref < b->szx &&
        off >> (pref + SZX_SHIFT) <= BW_COAP_BLOCK_MAX_NUM) {
        e.szx = pref;
        e.num = off >> (pref + SZX_SHIFT);
    }
    return e;
}

int bw_lwm2m__dm_block1(const bw_lwm2m__req_t *r)
{
    bw_lwm2m_dm_t *dm = r->dm;
    bw_lwm2m_block1_t *t = &dm->block1;
    const bw_coap_msg_t *m = r->req;
    bw_coap_block_t b, e;

    uint8_t code = check_target(r);
    if (code != 0)
        return reply(r, code, NULL, NULL);
    if (bw_coap_block_get(m, BW_COAP_OPT_BLOCK1, &b) != 0)
        return reply(r, BW_COAP_BAD_OPTION, NULL, NULL);
    size_t len = m->payload_len, size = BW_COAP_BLOCK_SIZE(b.szx);
    if (len > size || (b.more && len != size))
        return reply(r, BW_COAP_BAD_REQUEST, NULL, NULL);

    /* NUM < 2^20 and SZX <= 6: the offset stays below 2^30. */
    uint32_t off = b.num << (b.szx + SZX_SHIFT);
    int ours = t->open && t->server == r->server &&
               bw_lwm2m_path_equal(&t->path, &r->path);
    if (off == 0 && t->open && !ours)
        return busy(r);
    if (off > 0) {
        if (!ours)
            return reply(r, BW_COAP_REQUEST_INCOMPLETE, NULL, NULL);
        if (b.more && off == t->last_off && len == t->last_len &&
            off + len == t->expected) {
            /* The block accepted last, again: the same answer. */
            t->last_ms = r->now;
            e = echo_of(r, &b, off);
            return reply(r, BW_COAP_CONTINUE, &e, NULL);
        }
        if (off != t->expected)
            return reply(r, BW_COAP_REQUEST_INCOMPLETE, NULL, NULL);
    } else if (ours) {
        drop(dm); /* block 0 again: a new transfer replaces the old */
    }

    bw_lwm2m_block_t blk;
    blk.data = len > 0 ? m->payload : NULL;
    blk.len = len;
    blk.offset = off;
    blk.more = b.more;
    blk.drop = 0;
    int err = stage(r->obj, &r->path, &blk);
    if (err == BW_EBLOCK) {
        close_transfer(dm); /* the object has nothing under way here */
        return reply(r, BW_COAP_REQUEST_INCOMPLETE, NULL, NULL);
    }
    if (err != 0)
        return reply(r, bw_lwm2m__dm_code(err), NULL, NULL);

    e = echo_of(r, &b, off);
    if (!b.more) {
        close_transfer(dm);
        bw_lwm2m_dm_changed(dm, &r->path, r->now);
        return reply(r, BW_COAP_CHANGED, &e, NULL);
    }
    t->open = 1;
    t->path = r->path;
    t->server = r->server;
    t->expected = off + (uint32_t)len;
    t->last_off = off;
    t->last_len = (uint16_t)len;
    t->last_ms = r->now;
    return reply(r, BW_COAP_CONTINUE, &e, NULL);
}

const bw_lwm2m_feature_t bw_lwm2m_feature_block1 = {
    .handle = bw_lwm2m__dm_block1,
    .expire = bw_lwm2m__dm_block1_expire,
    .end = bw_lwm2m__dm_block1_end,
};
