/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request handler's block-wise Write (PUT with Block1, RFC 7959
 * section 2.5) against an object that records every handler call: each
 * block is one transaction (begin, write_block, validate, commit; or
 * rollback), a dropped transfer is told in a transaction of its own, one
 * transfer is open at a time (5.03 for a second one's block 0, 4.08 for
 * its later blocks), a failed block leaves the transfer where it was, an
 * object's BW_EBLOCK ends it, a successful Write without Block1 of the
 * resource (or its instance) ends it, and objects without write_block,
 * like the RAM object of tests/lwm2m_sample_object.c, still answer 4.13.
 * Requests are real CoAP messages (tests/lwm2m_sample_object.c builds
 * them with the CoAP writer).
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_block.h"
#include "bulwark/lwm2m_dm.h"
#include "lwm2m_sample_object.h"

#define OBJ_ID 1025

enum { R_BLOB = 0, R_BLOB2 = 1, R_NAME = 2, R_LIST = 3 };

static const bw_lwm2m_res_def_t rec_res[] = {
    {R_BLOB, BW_LWM2M_TYPE_OPAQUE, BW_LWM2M_OP_W, 0, 0},
    {R_BLOB2, BW_LWM2M_TYPE_OPAQUE, BW_LWM2M_OP_W, 0, 0},
    {R_NAME, BW_LWM2M_TYPE_STRING, BW_LWM2M_OP_RW, 0, 0},
    {R_LIST, BW_LWM2M_TYPE_OPAQUE, BW_LWM2M_OP_W, 1, 0},
};

/* One handler call, in the order they came. */
typedef struct {
    char op; /* 'b'egin 'w'rite_block 'v'alidate 'c'ommit 'r'ollback
                'W'rite */
    uint16_t res;
    uint32_t offset;
    size_t len;
    uint8_t more, drop;
} call_t;

typedef struct {
    bw_lwm2m_object_t obj;
    call_t calls[64];
    size_t n;
    int fail_block;    /* write_block returns this once, when nonzero */
    int fail_validate; /* validate returns this once, when nonzero */
    uint32_t bytes;    /* bytes of R_BLOB taken so far */
} rec_t;

static bw_lwm2m_dm_t dm;
static rec_t rec;
static bw_sample_t sample;
static uint8_t out[1152];
static bw_coap_msg_t rsp;
static uint8_t body[4096];

static void note(char op, uint16_t res, const bw_lwm2m_block_t *b)
{
    assert_true(rec.n < sizeof rec.calls / sizeof rec.calls[0]);
    call_t *c = &rec.calls[rec.n++];
    memset(c, 0, sizeof *c);
    c->op = op;
    c->res = res;
    if (b != NULL) {
        c->offset = b->offset;
        c->len = b->len;
        c->more = b->more;
        c->drop = b->drop;
    }
}

static int r_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    (void)o;
    assert_true(cap >= 1);
    ids[0] = 0;
    *n = 1;
    return 0;
}

static int r_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *p,
                   const bw_lwm2m_value_t *v)
{
    (void)o;
    (void)v;
    note('W', p->id[2], NULL);
    return 0;
}

static int r_begin(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind)
{
    (void)o;
    assert_int_equal(inst, 0);
    assert_int_equal(kind, BW_LWM2M_TXN_UPDATE);
    note('b', 0, NULL);
    return 0;
}

static int r_validate(bw_lwm2m_object_t *o, uint16_t inst)
{
    (void)o;
    (void)inst;
    note('v', 0, NULL);
    int err = rec.fail_validate;
    rec.fail_validate = 0;
    return err;
}

static void r_commit(bw_lwm2m_object_t *o, uint16_t inst)
{
    (void)o;
    (void)inst;
    note('c', 0, NULL);
}

static void r_rollback(bw_lwm2m_object_t *o, uint16_t inst)
{
    (void)o;
    (void)inst;
    note('r', 0, NULL);
}

static int r_block(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *p,
                   const bw_lwm2m_block_t *b)
{
    (void)o;
    note('w', p->id[2], b);
    if (b->drop) {
        assert_null(b->data);
        assert_int_equal(b->len, 0);
        return 0;
    }
    /* The bytes are the body's at that offset (body[i] = i % 253). */
    for (size_t i = 0; i < b->len; i++)
        assert_int_equal(b->data[i], body[b->offset + i]);
    int err = rec.fail_block;
    rec.fail_block = 0;
    return err;
}

static const bw_lwm2m_object_ops_t rec_ops = {
    .list = r_list,
    .write = r_write,
    .begin = r_begin,
    .validate = r_validate,
    .commit = r_commit,
    .rollback = r_rollback,
};

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i % 253u);
    bw_lwm2m_dm_init(&dm);
    memset(&rec, 0, sizeof rec);
    rec.obj.id = OBJ_ID;
    rec.obj.res = rec_res;
    rec.obj.nres = sizeof rec_res / sizeof rec_res[0];
    rec.obj.ops = &rec_ops;
    rec.obj.write_block = r_block;
    assert_int_equal(bw_lwm2m_dm_add(&dm, &rec.obj), 0);
    bw_sample_fill(&sample);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &sample.obj), 0);
    return 0;
}

/* Block num (size 2^(szx+4), M more, len bytes of body at its offset)
 * to path from server at now. */
static int put_block(const char *path, uint16_t server, uint32_t num, int more,
                     uint8_t szx, size_t len, uint64_t now)
{
    bw_sample_req_t q = bw_sample_req(BW_COAP_PUT, path);
    size_t off = (size_t)num << (szx + 4);
    assert_true(off + len <= sizeof body);
    q.format = BW_COAP_FMT_OPAQUE;
    q.block1 = (int)(num << 4 | (more ? 8u : 0u) | szx);
    q.payload = len > 0 ? body + off : NULL;
    q.len = len;
    q.now = now;
    return bw_sample_do(&dm, BW_LWM2M_IFACE_DM, server, &q, out, sizeof out,
                        &rsp);
}

/* A 64-byte block of /1025/0/0 from server 1. */
static int blk(uint32_t num, int more, uint64_t now)
{
    return put_block("/1025/0/0", 1, num, more, 2, 64, now);
}

/* The calls since mark as a string of op letters. */
static void expect_ops(size_t mark, const char *ops)
{
    char got[65];
    size_t n = 0;
    for (size_t i = mark; i < rec.n && n < 64; i++)
        got[n++] = rec.calls[i].op;
    got[n] = '\0';
    assert_string_equal(got, ops);
}

/* Three blocks of 64 bytes: each is begin, write_block, validate, commit
 * with its offset and M, answered 2.31 with Block1 echoed, then 2.04;
 * the object sees the body's bytes at their offsets. */
static void test_one_transaction_per_block(void **state)
{
    (void)state;
    assert_int_equal(blk(0, 1, 10), BW_COAP_CONTINUE);
    assert_int_equal(blk(1, 1, 20), BW_COAP_CONTINUE);
    bw_coap_block_t e;
    assert_int_equal(bw_coap_block_get(&rsp, BW_COAP_OPT_BLOCK1, &e), 0);
    assert_int_equal(e.num, 1);
    assert_int_equal(e.more, 1);
    assert_int_equal(e.szx, 2);
    assert_int_equal(put_block("/1025/0/0", 1, 2, 0, 2, 10, 30),
                     BW_COAP_CHANGED);
    expect_ops(0, "bwvcbwvcbwvc");
    assert_int_equal(rec.calls[1].offset, 0);
    assert_int_equal(rec.calls[5].offset, 64);
    assert_int_equal(rec.calls[9].offset, 128);
    assert_int_equal(rec.calls[9].len, 10);
    assert_int_equal(rec.calls[5].more, 1);
    assert_int_equal(rec.calls[9].more, 0);
    assert_int_equal(rec.calls[9].drop, 0);
}

/* A block whose validate fails is rolled back (4.00 for BW_ERANGE) and
 * the transfer stays at that block: sent again, it is taken. */
static void test_failed_block_keeps_place(void **state)
{
    (void)state;
    assert_int_equal(blk(0, 1, 10), BW_COAP_CONTINUE);
    rec.fail_validate = BW_ERANGE;
    size_t mark = rec.n;
    assert_int_equal(blk(1, 1, 20), BW_COAP_BAD_REQUEST);
    expect_ops(mark, "bwvr");
    rec.fail_block = BW_ENOMEM;
    assert_int_equal(blk(1, 1, 25), BW_COAP_INTERNAL_ERROR);
    assert_int_equal(blk(2, 1, 30), BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(blk(1, 1, 40), BW_COAP_CONTINUE);
    assert_int_equal(blk(2, 0, 50), BW_COAP_CHANGED);
}

/* The object answering BW_EBLOCK (nothing under way there) is 4.08 and
 * ends the transfer: the next block is 4.08 without reaching it. */
static void test_object_eblock_ends(void **state)
{
    (void)state;
    assert_int_equal(blk(0, 1, 10), BW_COAP_CONTINUE);
    rec.fail_block = BW_EBLOCK;
    assert_int_equal(blk(1, 1, 20), BW_COAP_REQUEST_INCOMPLETE);
    size_t mark = rec.n;
    assert_int_equal(blk(1, 1, 30), BW_COAP_REQUEST_INCOMPLETE);
    expect_ops(mark, "");
}

/* Block 0 again restarts: first a transaction telling the drop (offset =
 * the 128 bytes accepted), then block 0 in its own. */
static void test_restart_tells_drop(void **state)
{
    (void)state;
    assert_int_equal(blk(0, 1, 10), BW_COAP_CONTINUE);
    assert_int_equal(blk(1, 1, 20), BW_COAP_CONTINUE);
    size_t mark = rec.n;
    assert_int_equal(blk(0, 1, 30), BW_COAP_CONTINUE);
    expect_ops(mark, "bwvcbwvc");
    assert_int_equal(rec.calls[mark + 1].drop, 1);
    assert_int_equal(rec.calls[mark + 1].offset, 128);
    assert_int_equal(rec.calls[mark + 5].drop, 0);
    assert_int_equal(rec.calls[mark + 5].offset, 0);
}

/* While /1025/0/0 is open: block 0 to /1025/0/1 is 5.03 with Max-Age
 * (the open one's seconds left, rounded up), a later block there 4.08;
 * neither reaches the object; /1025/0/0 goes on. */
static void test_second_transfer_refused(void **state)
{
    (void)state;
    assert_int_equal(blk(0, 1, 1000), BW_COAP_CONTINUE);
    size_t mark = rec.n;
    assert_int_equal(put_block("/1025/0/1", 1, 0, 1, 2, 64, 1500),
                     BW_COAP_SERVICE_UNAVAILABLE);
    uint32_t age = 0;
    assert_int_equal(bw_coap_msg_uint(&rsp, BW_COAP_OPT_MAX_AGE, &age), 0);
    assert_int_equal(age, 247); /* 246.5 s left */
    assert_int_equal(put_block("/1025/0/1", 1, 1, 1, 2, 64, 1500),
                     BW_COAP_REQUEST_INCOMPLETE);
    expect_ops(mark, "");
    assert_int_equal(blk(1, 1, 2000), BW_COAP_CONTINUE);
}

/* A successful Write without Block1 of the instance ends the open
 * transfer (its next block is 4.08); a failed one leaves it open. */
static void test_plain_write_ends(void **state)
{
    (void)state;
    assert_int_equal(blk(0, 1, 10), BW_COAP_CONTINUE);
    bw_sample_req_t q = bw_sample_req(BW_COAP_PUT, "/1025/0/0");
    q.format = BW_COAP_FMT_LWM2M_TLV;
    q.payload = "\xff";
    q.len = 1;
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 1, &q, out, sizeof out, &rsp),
        BW_COAP_BAD_REQUEST);
    assert_int_equal(blk(1, 1, 20), BW_COAP_CONTINUE);
    q = bw_sample_req(BW_COAP_PUT, "/1025/0/0");
    q.format = BW_COAP_FMT_OPAQUE;
    q.payload = "x";
    q.len = 1;
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 1, &q, out, sizeof out, &rsp),
        BW_COAP_CHANGED);
    assert_int_equal(rec.calls[rec.n - 3].op, 'W');
    assert_int_equal(blk(2, 1, 30), BW_COAP_REQUEST_INCOMPLETE);
}

/* Where Block1 cannot be taken: 4.13 and no handler call.  The sample
 * object has no write_block (its opaque /1024/0/6 too), a string
 * resource, a multiple opaque resource, an instance (/1025/0) and a
 * missing instance (4.04: the target is right but absent). */
static void test_refused_targets(void **state)
{
    (void)state;
    size_t mark = rec.n;
    assert_int_equal(put_block("/1024/0/6", 1, 0, 1, 2, 64, 10),
                     BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(put_block("/1025/0/2", 1, 0, 1, 2, 64, 10),
                     BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(put_block("/1025/0/3", 1, 0, 1, 2, 64, 10),
                     BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(put_block("/1025/0", 1, 0, 1, 2, 64, 10),
                     BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(put_block("/1025/1/0", 1, 0, 1, 2, 64, 10),
                     BW_COAP_NOT_FOUND);
    expect_ops(mark, "");
}

/* Expiry: notify reports the open transfer's deadline as its next time,
 * and at the deadline drops it with a told transaction (drop, offset
 * 64); before it, nothing is told. */
static void test_expiry_through_notify(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len;
    uint16_t server = 0;
    uint64_t next = 0;
    assert_int_equal(blk(0, 1, 500), BW_COAP_CONTINUE);
    size_t mark = rec.n;
    uint64_t end = 500 + BW_LWM2M_DM_BLOCK1_IDLE_MS;
    assert_int_equal(
        bw_lwm2m_dm_notify(&dm, 600, buf, sizeof buf, &len, &server, &next), 0);
    assert_int_equal(next, end);
    expect_ops(mark, "");
    assert_int_equal(
        bw_lwm2m_dm_notify(&dm, end, buf, sizeof buf, &len, &server, &next), 0);
    expect_ops(mark, "bwvc");
    assert_int_equal(rec.calls[mark + 1].drop, 1);
    assert_int_equal(rec.calls[mark + 1].offset, 64);
    assert_int_equal(next, UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_one_transaction_per_block, setup),
        cmocka_unit_test_setup(test_failed_block_keeps_place, setup),
        cmocka_unit_test_setup(test_object_eblock_ends, setup),
        cmocka_unit_test_setup(test_restart_tells_drop, setup),
        cmocka_unit_test_setup(test_second_transfer_refused, setup),
        cmocka_unit_test_setup(test_plain_write_ends, setup),
        cmocka_unit_test_setup(test_refused_targets, setup),
        cmocka_unit_test_setup(test_expiry_through_notify, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
