/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block-wise servers facing a misbehaving client: blocks out of order,
 * repeated, past the end, with the wrong payload size or malformed
 * options, bodies too large, failing callbacks; the answer code and exact
 * error for each.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "bulwark/coap_block.h"
#include "coap_block_fixture.h"

/* ---- Block2 server ---------------------------------------------------- */

/* Serve a body of total bytes from src in blocks of at most SZX max_szx;
 * must succeed. */
static void b2sstart(bw_coap_block2_server_t *s, uint8_t max_szx,
                     uint32_t total, bw_blkfix_src_t *src)
{
    assert_int_equal(
        bw_coap_block2_server_init(s, max_szx, total, bw_blkfix_src_read, src),
        0);
}

/* Ask server s for a block given as raw Block2 hex (NULL: none). */
static int ask(const bw_coap_block2_server_t *s, const char *opts_hex,
               size_t scratch_len, bw_coap_writer_t *w, uint8_t *out)
{
    static uint8_t q[64], scratch[1024];
    char hex[128];
    bw_coap_msg_t req;
    size_t n;

    snprintf(hex, sizeof hex, "40 01 00 01 %s", opts_hex ? opts_hex : "");
    n = bw_test_hex(hex, q, sizeof q);
    assert_int_equal(bw_coap_parse(&req, q, n), 0);
    bw_coap_writer_init(w, out, BW_BLKFIX_DGRAM, BW_COAP_ACK, BW_COAP_CONTENT,
                        1, NULL, 0);
    return bw_coap_block2_server_respond(s, &req, w, scratch, scratch_len);
}

/* Finish the answer ask() left in w (over out) and parse it into rsp. */
static void served(bw_coap_writer_t *w, uint8_t *out, bw_coap_msg_t *rsp)
{
    size_t len;

    assert_int_equal(bw_coap_writer_finish(w, &len), 0);
    assert_int_equal(bw_coap_parse(rsp, out, len), 0);
}

/*
 * Blocks past the end are BW_ERANGE (known size: NUM 4 of 64 for a
 * 200-byte body; NUM 1 of an empty one; unknown size: the source reports
 * nothing there) and w is untouched.  Malformed Block2 values give the
 * codec's code.  M in a request is ignored.
 */
static void test_b2s_range_and_malformed(void **state)
{
    static uint8_t out[BW_BLKFIX_DGRAM];
    bw_blkfix_src_t src = {200, 0, 0}, empty = {0, 0, 0};
    bw_coap_block2_server_t s, u, z;
    bw_coap_writer_t w;
    bw_coap_msg_t rsp;
    bw_coap_block_t b;
    (void)state;

    b2sstart(&s, 6, 200, &src);
    b2sstart(&u, 6, BW_COAP_BLOCK_SIZE_UNKNOWN, &src);
    b2sstart(&z, 6, 0, &empty);
    bw_assert_err(ask(&s, "d1 0a 42", 1024, &w, out), BW_ERANGE); /* 4/0/2 */
    assert_int_equal(w.len, 4);
    bw_assert_err(ask(&u, "d1 0a 42", 1024, &w, out), BW_ERANGE);
    assert_int_equal(w.len, 4);
    bw_assert_err(ask(&z, "d1 0a 12", 1024, &w, out), BW_ERANGE); /* 1/0/2 */
    assert_int_equal(ask(&s, "d1 0a 32", 1024, &w, out), 0);      /* 3/0/2 */
    served(&w, out, &rsp);
    assert_int_equal(rsp.payload_len, 200 - 192);
    assert_int_equal(bw_coap_block_get(&rsp, BW_COAP_OPT_BLOCK2, &b), 0);
    assert_int_equal(b.more, 0);

    bw_assert_err(ask(&s, "d1 0a 07", 1024, &w, out), BW_EBLOCK);
    bw_assert_err(ask(&s, "d4 0a 00 00 00 06", 1024, &w, out), BW_EOVERFLOW);
    assert_int_equal(w.len, 4);
    /* M set in the request (1/1/2) is ignored: block 1 is served. */
    assert_int_equal(ask(&s, "d1 0a 1a", 1024, &w, out), 0);
    served(&w, out, &rsp);
    assert_int_equal(rsp.payload_len, 64);
    assert_int_equal(rsp.payload[0], bw_blkfix_body_at(64));
}

/*
 * Size2: on block 0 and on any block the client asks it for (Size2 in the
 * request), never when the total is unknown.
 */
static void test_b2s_size2(void **state)
{
    static uint8_t out[BW_BLKFIX_DGRAM];
    bw_blkfix_src_t src = {5000, 0, 0};
    bw_coap_block2_server_t s, u;
    bw_coap_writer_t w;
    bw_coap_msg_t rsp;
    uint32_t v;
    (void)state;

    b2sstart(&s, 6, 5000, &src);
    b2sstart(&u, 6, BW_COAP_BLOCK_SIZE_UNKNOWN, &src);
    static const struct {
        int unknown;      /* ask u (total unknown) instead of s */
        const char *opts; /* the request's options, as for ask() */
        int size2;        /* Size2 5000 in the answer, else none */
    } cases[] = {
        {0, NULL, 1},          /* block 0 */
        {0, "d1 0a 16", 0},    /* 1/0/6, Size2 not asked for */
        {0, "d1 0a 16 50", 1}, /* 1/0/6 + Size2 in the request */
        {1, NULL, 0},          /* total unknown */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(
            ask(cases[i].unknown ? &u : &s, cases[i].opts, 1024, &w, out), 0);
        served(&w, out, &rsp);
        if (cases[i].size2) {
            assert_int_equal(bw_coap_msg_uint(&rsp, BW_COAP_OPT_SIZE2, &v), 0);
            assert_int_equal(v, 5000);
        } else {
            bw_assert_err(bw_coap_msg_uint(&rsp, BW_COAP_OPT_SIZE2, &v),
                          BW_ENOTFOUND);
        }
    }
}

/*
 * A failing source, or one breaking its contract (fewer bytes than asked
 * while saying more follow), is BW_EABORTED with w untouched; scratch
 * under 16 bytes and NULLs are BW_EINVAL.
 */
static void test_b2s_source_failures(void **state)
{
    static uint8_t out[BW_BLKFIX_DGRAM];
    bw_blkfix_src_t src = {500, 1, 0};
    bw_coap_block2_server_t s, u;
    bw_coap_writer_t w;
    (void)state;

    b2sstart(&s, 6, 500, &src);
    bw_assert_err(ask(&s, NULL, 1024, &w, out), BW_EABORTED);
    src.fail = 0;
    src.short_read = 1;
    bw_assert_err(ask(&s, NULL, 1024, &w, out), BW_EABORTED);
    b2sstart(&u, 4, BW_COAP_BLOCK_SIZE_UNKNOWN, &src);
    bw_assert_err(ask(&u, NULL, 1024, &w, out), BW_EABORTED);
    assert_int_equal(w.len, 4);
    src.short_read = 0;
    bw_assert_err(ask(&s, NULL, 15, &w, out), BW_EINVAL);
    bw_assert_err(
        bw_coap_block2_server_init(&s, 7, 1, bw_blkfix_src_read, &src),
        BW_EINVAL);
    bw_assert_err(bw_coap_block2_server_init(&s, 6, 1, NULL, &src), BW_EINVAL);
}

/* ---- Block1 server ---------------------------------------------------- */

/* Take uploads of at most max_body bytes in blocks of at most SZX max_szx
 * into sink k; must succeed. */
static void b1sstart(bw_coap_block1_server_t *s, uint8_t max_szx,
                     uint32_t max_body, bw_blkfix_sink_t *k)
{
    assert_int_equal(bw_coap_block1_server_init(s, max_szx, max_body,
                                                bw_blkfix_sink_write, k),
                     0);
}

static int b1recv(bw_coap_block1_server_t *s, int32_t num, uint8_t more,
                  uint8_t szx, size_t len, bw_coap_block1_reply_t *r)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_coap_msg_t m;
    bw_blkfix_block_msg(buf, &m, BW_COAP_CON, BW_COAP_PUT, BW_COAP_OPT_BLOCK1,
                        num, more, szx, len);
    return bw_coap_block1_server_receive(s, &m, r);
}

/*
 * Out of order: block 0, then block 2 (4.08, BW_EBLOCK), then block 1 is
 * still accepted; a fresh server receiving block 3 first answers 4.08.
 * The block accepted last, again, gets the same 2.31 without reaching the
 * sink twice.  After the last block, only block 0 starts anew.
 */
static void test_b1s_order(void **state)
{
    bw_coap_block1_server_t s;
    bw_coap_block1_reply_t r;
    bw_blkfix_sink_t k = {0};
    (void)state;

    b1sstart(&s, 6, 10000, &k);
    assert_int_equal(b1recv(&s, 0, 1, 2, 64, &r), 0);
    assert_int_equal(r.code, BW_COAP_CONTINUE);
    assert_int_equal(r.has_block1, 1);
    assert_int_equal(r.block1.num, 0);
    assert_int_equal(r.block1.more, 1);
    bw_assert_err(b1recv(&s, 2, 1, 2, 64, &r), BW_EBLOCK);
    assert_int_equal(r.code, BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(b1recv(&s, 1, 1, 2, 64, &r), 0);
    assert_int_equal(r.code, BW_COAP_CONTINUE);
    assert_int_equal(k.calls, 2);
    assert_int_equal(b1recv(&s, 1, 1, 2, 64, &r), 0); /* duplicate */
    assert_int_equal(r.code, BW_COAP_CONTINUE);
    assert_int_equal(r.block1.num, 1);
    assert_int_equal(k.calls, 2);
    assert_int_equal(b1recv(&s, 2, 0, 2, 10, &r), 0);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.block1.num, 2);
    assert_int_equal(r.block1.more, 0);
    assert_int_equal(bw_coap_block1_server_received(&s), 138);
    bw_assert_err(b1recv(&s, 3, 0, 2, 10, &r), BW_EBLOCK);
    assert_int_equal(r.code, BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(b1recv(&s, 0, 0, 2, 5, &r), 0);
    assert_int_equal(bw_coap_block1_server_received(&s), 5);

    b1sstart(&s, 6, 10000, &k);
    bw_assert_err(b1recv(&s, 3, 1, 2, 64, &r), BW_EBLOCK);
    assert_int_equal(r.code, BW_COAP_REQUEST_INCOMPLETE);
}

/*
 * Payload sizes: M set with fewer bytes than the block, or any block with
 * more, is 4.00 with BW_EBLOCK; malformed Block1 values are 4.00 with the
 * codec's code.
 */
static void test_b1s_payload_and_malformed(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_coap_block1_server_t s;
    bw_coap_block1_reply_t r;
    bw_coap_msg_t m;
    bw_blkfix_sink_t k = {0};
    size_t n;
    (void)state;

    b1sstart(&s, 6, 10000, &k);
    bw_assert_err(b1recv(&s, 0, 1, 2, 63, &r), BW_EBLOCK);
    assert_int_equal(r.code, BW_COAP_BAD_REQUEST);
    bw_assert_err(b1recv(&s, 0, 0, 2, 65, &r), BW_EBLOCK);
    assert_int_equal(r.code, BW_COAP_BAD_REQUEST);
    n = bw_test_hex("40 03 00 01 d1 0e 07 ff 00", buf, BW_BLKFIX_DGRAM);
    assert_int_equal(bw_coap_parse(&m, buf, n), 0);
    bw_assert_err(bw_coap_block1_server_receive(&s, &m, &r), BW_EBLOCK);
    assert_int_equal(r.code, BW_COAP_BAD_REQUEST);
    n = bw_test_hex("40 03 00 01 d4 0e 00 00 00 0e ff 00", buf,
                    BW_BLKFIX_DGRAM);
    assert_int_equal(bw_coap_parse(&m, buf, n), 0);
    bw_assert_err(bw_coap_block1_server_receive(&s, &m, &r), BW_EOVERFLOW);
    assert_int_equal(r.code, BW_COAP_BAD_REQUEST);
    assert_int_equal(k.calls, 0);
}

/*
 * Size limits: a body growing past max_body gets 4.13 with Size1 = the
 * limit (BW_EOVERFLOW); so does a Size1 announcing too much, before any
 * byte is stored; a whole body (no Block1) too large likewise.  A body
 * exactly at the limit is fine.
 */
static void test_b1s_too_large(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_coap_block1_server_t s;
    bw_coap_block1_reply_t r;
    bw_coap_msg_t m;
    bw_blkfix_sink_t k = {0};
    (void)state;

    b1sstart(&s, 6, 100, &k);
    assert_int_equal(b1recv(&s, 0, 1, 2, 64, &r), 0);
    bw_assert_err(b1recv(&s, 1, 0, 2, 37, &r), BW_EOVERFLOW);
    assert_int_equal(r.code, BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(r.has_size1, 1);
    assert_int_equal(r.size1, 100);
    /* The transfer was dropped: block 1 is now out of order. */
    bw_assert_err(b1recv(&s, 1, 0, 2, 36, &r), BW_EBLOCK);
    assert_int_equal(b1recv(&s, 0, 1, 2, 64, &r), 0);
    assert_int_equal(b1recv(&s, 1, 0, 2, 36, &r), 0);
    assert_int_equal(r.code, 0);

    k.calls = 0;
    bw_blkfix_spec_t sp = {
        BW_COAP_CON, BW_COAP_PUT, BW_COAP_OPT_BLOCK1, 0,  1, 2,
        NULL,        101,         BW_COAP_OPT_SIZE1,  64, 0};
    bw_blkfix_make(&sp, buf, &m);
    bw_assert_err(bw_coap_block1_server_receive(&s, &m, &r), BW_EOVERFLOW);
    assert_int_equal(r.code, BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(r.size1, 100);
    assert_int_equal(k.calls, 0);

    bw_assert_err(b1recv(&s, -1, 0, 0, 101, &r), BW_EOVERFLOW);
    assert_int_equal(r.code, BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(b1recv(&s, -1, 0, 0, 100, &r), 0);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.has_block1, 0);
    assert_int_equal(bw_coap_block1_server_received(&s), 100);
}

/*
 * The 2.31 echo asks for the server's size: block 1 of 1024 received by a
 * server preferring 128 is echoed as NUM 8, SZX 3.  A failing sink is 5.00
 * with BW_EABORTED and drops the body.
 */
static void test_b1s_echo_and_sink_failure(void **state)
{
    bw_coap_block1_server_t s;
    bw_coap_block1_reply_t r;
    bw_blkfix_sink_t k = {0};
    (void)state;

    b1sstart(&s, 3, 10000, &k);
    assert_int_equal(b1recv(&s, 0, 1, 6, 1024, &r), 0);
    assert_int_equal(r.block1.num, 0);
    assert_int_equal(r.block1.szx, 3);
    k.fail = 1;
    bw_assert_err(b1recv(&s, 8, 1, 3, 128, &r), BW_EABORTED);
    assert_int_equal(r.code, BW_COAP_INTERNAL_ERROR);
    k.fail = 0;
    bw_assert_err(b1recv(&s, 8, 1, 3, 128, &r), BW_EBLOCK);

    b1sstart(&s, 3, 10000, &k);
    assert_int_equal(b1recv(&s, 0, 1, 6, 1024, &r), 0);
    assert_int_equal(b1recv(&s, 1, 1, 6, 1024, &r), 0);
    assert_int_equal(r.block1.num, 8);
    assert_int_equal(r.block1.szx, 3);
    bw_assert_err(
        bw_coap_block1_server_init(&s, 7, 1, bw_blkfix_sink_write, &k),
        BW_EINVAL);
    bw_assert_err(bw_coap_block1_server_receive(&s, NULL, &r), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b2s_range_and_malformed),
        cmocka_unit_test(test_b2s_size2),
        cmocka_unit_test(test_b2s_source_failures),
        cmocka_unit_test(test_b1s_order),
        cmocka_unit_test(test_b1s_payload_and_malformed),
        cmocka_unit_test(test_b1s_too_large),
        cmocka_unit_test(test_b1s_echo_and_sink_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
