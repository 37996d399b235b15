/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block-wise clients facing a misbehaving server: out-of-order, duplicate,
 * growing and short blocks, a body that changes under the download,
 * malformed options, 2.31 / 4.08 / 4.13 answers, failing callbacks, and
 * the exact error (and sticky state) for each.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_block.h"
#include "coap_block_fixture.h"

/* A Block2 response: block num/more/szx carrying len body bytes. */
static void b2rsp(uint8_t *buf, bw_coap_msg_t *m, int32_t num, uint8_t more,
                  uint8_t szx, size_t len)
{
    bw_blkfix_block_msg(buf, m, BW_COAP_ACK, BW_COAP_CONTENT,
                        BW_COAP_OPT_BLOCK2, num, more, szx, len);
}

/* Start a download (SZX szx from offset start) into sink k; must succeed. */
static void b2start(bw_coap_block2_client_t *c, uint8_t szx, uint32_t start,
                    bw_blkfix_sink_t *k)
{
    assert_int_equal(
        bw_coap_block2_client_init(c, szx, start, bw_blkfix_sink_write, k), 0);
}

/* ---- Block2 client ---------------------------------------------------- */

/*
 * Out of order: after block 0, block 2 arrives instead of block 1:
 * BW_EBLOCK, and the error is sticky (the right block is now refused too,
 * and request() reports it); offset() says where to resume.
 */
static void test_b2c_out_of_order_sticky(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM], req[64];
    bw_coap_block2_client_t c;
    bw_coap_writer_t w;
    bw_coap_msg_t m;
    bw_blkfix_sink_t k = {0};
    int done;
    (void)state;

    b2start(&c, 2, 0, &k);
    b2rsp(buf, &m, 0, 1, 2, 64);
    assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
    assert_int_equal(done, 0);
    b2rsp(buf, &m, 2, 1, 2, 64);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EBLOCK);
    b2rsp(buf, &m, 1, 1, 2, 64);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EBLOCK);
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_assert_err(bw_coap_block2_client_request(&c, &w), BW_EBLOCK);
    assert_int_equal(bw_coap_block2_client_offset(&c), 64);
    assert_int_equal(k.calls, 1);
}

/*
 * The block accepted last, once more: BW_ESTALE, not delivered again, not
 * sticky (the next block is then accepted).  An older block is BW_EBLOCK.
 */
static void test_b2c_duplicate_block(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_coap_block2_client_t c;
    bw_coap_msg_t m;
    bw_blkfix_sink_t k = {0};
    int done;
    (void)state;

    b2start(&c, 0, 0, &k);
    b2rsp(buf, &m, 0, 1, 0, 16);
    assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
    b2rsp(buf, &m, 1, 1, 0, 16);
    assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_ESTALE);
    assert_int_equal(k.calls, 2);
    b2rsp(buf, &m, 2, 0, 0, 3);
    assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
    assert_int_equal(done, 1);
    assert_int_equal(k.bytes, 35);

    b2start(&c, 0, 0, &k);
    for (int i = 0; i < 3; i++) {
        b2rsp(buf, &m, i, 1, 0, 16);
        assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
    }
    b2rsp(buf, &m, 1, 1, 0, 16);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EBLOCK);
}

/*
 * Size and payload checks: a block larger than asked (SZX grows), a block
 * with M set but short, a payload longer than the block, all BW_EBLOCK.
 * A smaller SZX at the same offset is accepted (server negotiation).
 */
static void test_b2c_block_sizes(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_coap_block2_client_t c;
    bw_coap_msg_t m;
    bw_blkfix_sink_t k = {0};
    int done;
    (void)state;

    static const struct {
        int32_t num;
        uint8_t more, szx;
        size_t len;
    } bad[] = {
        {0, 1, 3, 128}, /* asked 64 (SZX 2), got 128 */
        {0, 1, 2, 63},  /* M set, short */
        {0, 0, 2, 65},  /* longer than the block */
        {0, 1, 2, 0},   /* M set, empty */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b2start(&c, 2, 0, &k);
        b2rsp(buf, &m, bad[i].num, bad[i].more, bad[i].szx, bad[i].len);
        bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EBLOCK);
    }
    b2start(&c, 2, 0, &k);
    b2rsp(buf, &m, 0, 1, 1, 32);
    assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
    assert_int_equal(bw_coap_block2_client_offset(&c), 32);
}

/*
 * A response without Block2: as the first answer it is the whole body
 * (delivered from the start offset on); after blocks it is BW_EBLOCK.
 * A non-2.xx answer ends the transfer with nothing delivered.
 */
static void test_b2c_missing_block_and_errors(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_coap_block2_client_t c;
    bw_coap_msg_t m;
    bw_blkfix_sink_t k = {0};
    int done;
    (void)state;

    b2start(&c, 6, 10, &k);
    b2rsp(buf, &m, -1, 0, 0, 40);
    assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
    assert_int_equal(done, 1);
    assert_int_equal(k.calls, 1);
    assert_int_equal(k.bytes, 40);

    b2start(&c, 0, 0, &k);
    b2rsp(buf, &m, 0, 1, 0, 16);
    assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
    b2rsp(buf, &m, -1, 0, 0, 16);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EBLOCK);

    k.calls = 0;
    b2start(&c, 0, 0, &k);
    bw_blkfix_spec_t nf = {
        BW_COAP_ACK, BW_COAP_NOT_FOUND, 0, -1, 0, 0, NULL, -1, 0, 0, 0};
    bw_blkfix_make(&nf, buf, &m);
    assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
    assert_int_equal(done, 1);
    assert_int_equal(k.calls, 0);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_ESTATE);
}

/*
 * The ETag of the first block binds the rest: a different ETag, one that
 * disappears, or one that appears after a first block without, is
 * BW_EBLOCK; an ETag longer than 8 bytes is
 * BW_EOPTION.  Malformed Block2 values and an overlong Size2 fail with the
 * codec's code; Size2 is reported.
 */
static void test_b2c_etag_and_options(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_coap_block2_client_t c;
    bw_coap_msg_t m;
    bw_blkfix_sink_t k = {0};
    int done;
    (void)state;

    bw_blkfix_spec_t sp = {BW_COAP_ACK,
                           BW_COAP_CONTENT,
                           BW_COAP_OPT_BLOCK2,
                           0,
                           1,
                           0,
                           "a1 a2",
                           1000,
                           BW_COAP_OPT_SIZE2,
                           16,
                           0};
    /* The ETag of block 0, then of block 1: each change is refused. */
    static const struct {
        const char *first, *second;
    } etags[] = {
        {"a1 a2", "a1 a3"}, /* different */
        {"a1 a2", NULL},    /* disappears */
        {NULL, "a1 a2"},    /* appears */
    };
    for (size_t i = 0; i < sizeof etags / sizeof etags[0]; i++) {
        b2start(&c, 0, 0, &k);
        sp.num = 0;
        sp.payload_off = 0;
        sp.etag = etags[i].first;
        bw_blkfix_make(&sp, buf, &m);
        assert_int_equal(bw_coap_block2_client_response(&c, &m, &done), 0);
        assert_int_equal(bw_coap_block2_client_size(&c), 1000);
        sp.num = 1;
        sp.payload_off = 16;
        sp.etag = etags[i].second;
        bw_blkfix_make(&sp, buf, &m);
        bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EBLOCK);
    }

    b2start(&c, 0, 0, &k);
    sp.num = 0;
    sp.payload_off = 0;
    sp.etag = "01 02 03 04 05 06 07 08 09";
    bw_blkfix_make(&sp, buf, &m);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EOPTION);

    static const struct {
        const char *hex;
        int err;
    } raw[] = {
        {"60 45 00 01 d1 0a 07 ff 00", BW_EBLOCK},                /* SZX 7 */
        {"60 45 00 01 d4 0a 00 00 00 06 ff 00", BW_EOVERFLOW},    /* 4 bytes */
        {"60 45 00 01 d1 0a 06 55 00 01 02 03 04", BW_EOVERFLOW}, /* Size2 */
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        size_t n = bw_test_hex(raw[i].hex, buf, BW_BLKFIX_DGRAM);
        assert_int_equal(bw_coap_parse(&m, buf, n), 0);
        b2start(&c, 6, 0, &k);
        bw_assert_err(bw_coap_block2_client_response(&c, &m, &done),
                      raw[i].err);
    }
}

/*
 * A failing sink stops the transfer with sticky BW_EABORTED; a start
 * offset that cannot be numbered at 16-byte blocks is BW_ERANGE; bad
 * arguments are BW_EINVAL.
 */
static void test_b2c_sink_failure_and_args(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM], req[64];
    bw_coap_block2_client_t c;
    bw_coap_writer_t w;
    bw_coap_msg_t m;
    bw_blkfix_sink_t k = {0};
    int done;
    (void)state;

    k.fail = 1;
    b2start(&c, 0, 0, &k);
    b2rsp(buf, &m, 0, 1, 0, 16);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EABORTED);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EABORTED);

    k.fail = 0;
    b2start(&c, 0, 0xfffffff0u, &k);
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_assert_err(bw_coap_block2_client_request(&c, &w), BW_ERANGE);

    bw_assert_err(
        bw_coap_block2_client_init(&c, 7, 0, bw_blkfix_sink_write, &k),
        BW_EINVAL);
    bw_assert_err(bw_coap_block2_client_init(&c, 0, 0, NULL, &k), BW_EINVAL);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, &done), BW_EINVAL);
    b2start(&c, 0, 0, &k);
    bw_assert_err(bw_coap_block2_client_response(&c, &m, NULL), BW_EINVAL);
    bw_assert_err(bw_coap_block2_client_response(&c, NULL, &done), BW_EINVAL);
}

/* Start an upload (SZX szx) of the body src; must succeed. */
static void b1start(bw_coap_block1_client_t *c, uint8_t szx, uint32_t total,
                    bw_blkfix_src_t *src)
{
    assert_int_equal(
        bw_coap_block1_client_init(c, szx, total, bw_blkfix_src_read, src), 0);
}

/* ---- Block1 client ---------------------------------------------------- */

/* Build the client's current block into buf, return its Block1. */
static bw_coap_block_t b1send(bw_coap_block1_client_t *c, uint8_t *buf)
{
    static uint8_t scratch[1024];
    bw_coap_writer_t w;
    bw_coap_msg_t m;
    bw_coap_block_t b;
    size_t len;

    bw_coap_writer_init(&w, buf, BW_BLKFIX_DGRAM, BW_COAP_CON, BW_COAP_PUT, 1,
                        NULL, 0);
    assert_int_equal(
        bw_coap_block1_client_request(c, &w, scratch, sizeof scratch), 0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(&m, buf, len), 0);
    assert_int_equal(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK1, &b), 0);
    return b;
}

/* The server's answer: code with optional Block1 echo and Size1. */
static int b1answer(bw_coap_block1_client_t *c, uint8_t code, int32_t num,
                    uint8_t more, uint8_t szx, int64_t size1, int *done)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_coap_msg_t m;
    bw_blkfix_spec_t sp = {
        BW_COAP_ACK, code,  BW_COAP_OPT_BLOCK1, num, more, szx,
        NULL,        size1, BW_COAP_OPT_SIZE1,  0,   0};
    bw_blkfix_make(&sp, buf, &m);
    return bw_coap_block1_client_response(c, &m, done);
}

/*
 * 2.31 problems, each sticky BW_EBLOCK: no Block1, an echo for another
 * block, an echo with a larger size, a 2.31 after the last block.  4.08
 * also ends in BW_EBLOCK.  A response before any request is BW_ESTATE.
 */
static void test_b1c_bad_continue(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_blkfix_src_t src = {100, 0, 0};
    bw_coap_block1_client_t c;
    int done;
    (void)state;

    static const struct {
        int32_t num;
        uint8_t szx;
        uint8_t code;
    } bad[] = {
        {-1, 2, BW_COAP_CONTINUE}, {1, 2, BW_COAP_CONTINUE},
        {0, 3, BW_COAP_CONTINUE},  {0, 2, BW_COAP_REQUEST_INCOMPLETE},
        {-1, 2, BW_COAP_CHANGED}, /* final code but more blocks to go */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b1start(&c, 2, 100, &src);
        bw_assert_err(b1answer(&c, bad[i].code, 0, 1, 2, -1, &done), BW_ESTATE);
        b1send(&c, buf);
        bw_assert_err(
            b1answer(&c, bad[i].code, bad[i].num, 1, bad[i].szx, -1, &done),
            BW_EBLOCK);
        bw_assert_err(b1answer(&c, BW_COAP_CONTINUE, 0, 1, 2, -1, &done),
                      BW_EBLOCK);
    }
    /* 2.31 for the last block. */
    b1start(&c, 6, 100, &src);
    bw_coap_block_t b = b1send(&c, buf);
    assert_int_equal(b.more, 0);
    bw_assert_err(b1answer(&c, BW_COAP_CONTINUE, 0, 1, 6, -1, &done),
                  BW_EBLOCK);
}

/*
 * 4.13: with a smaller Block1 size the upload restarts from block 0 at
 * that size (Size1 sent again); with Size1 below the body, or without a
 * smaller size, it fails with BW_EOVERFLOW.  Any other error code ends
 * the upload (done) without a library error.
 */
static void test_b1c_too_large_and_final(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM];
    bw_blkfix_src_t src = {3000, 0, 0};
    bw_coap_block1_client_t c;
    bw_coap_block_t b;
    int done;
    (void)state;

    b1start(&c, 6, 3000, &src);
    b = b1send(&c, buf);
    assert_int_equal(b1answer(&c, BW_COAP_CONTINUE, 0, 1, 6, -1, &done), 0);
    b = b1send(&c, buf);
    assert_int_equal(b.num, 1);
    assert_int_equal(
        b1answer(&c, BW_COAP_REQUEST_TOO_LARGE, 0, 0, 4, 4000, &done), 0);
    assert_int_equal(done, 0);
    b = b1send(&c, buf);
    assert_int_equal(b.num, 0);
    assert_int_equal(b.szx, 4);
    assert_int_equal(bw_coap_block1_client_offset(&c), 0);

    b1start(&c, 6, 3000, &src);
    b1send(&c, buf);
    bw_assert_err(b1answer(&c, BW_COAP_REQUEST_TOO_LARGE, 0, 0, 4, 2999, &done),
                  BW_EOVERFLOW);
    b1start(&c, 6, 3000, &src);
    b1send(&c, buf);
    bw_assert_err(b1answer(&c, BW_COAP_REQUEST_TOO_LARGE, -1, 0, 0, -1, &done),
                  BW_EOVERFLOW);

    b1start(&c, 6, 3000, &src);
    b1send(&c, buf);
    assert_int_equal(b1answer(&c, BW_COAP_INTERNAL_ERROR, -1, 0, 0, -1, &done),
                     0);
    assert_int_equal(done, 1);
    bw_assert_err(bw_coap_block1_client_request(&c, NULL, buf, 16), BW_EINVAL);
}

/*
 * A failing source, or one that claims more bytes follow while handing
 * fewer than a block, stops the upload with sticky BW_EABORTED.
 */
static void test_b1c_source_failures(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM], scratch[64];
    bw_blkfix_src_t src = {500, 1, 0};
    bw_coap_block1_client_t c;
    bw_coap_writer_t w;
    (void)state;

    b1start(&c, 2, BW_COAP_BLOCK_SIZE_UNKNOWN, &src);
    bw_coap_writer_init(&w, buf, BW_BLKFIX_DGRAM, BW_COAP_CON, BW_COAP_PUT, 1,
                        NULL, 0);
    bw_assert_err(
        bw_coap_block1_client_request(&c, &w, scratch, sizeof scratch),
        BW_EABORTED);
    src.fail = 0;
    bw_assert_err(
        bw_coap_block1_client_request(&c, &w, scratch, sizeof scratch),
        BW_EABORTED);

    src.short_read = 1;
    b1start(&c, 2, BW_COAP_BLOCK_SIZE_UNKNOWN, &src);
    bw_assert_err(
        bw_coap_block1_client_request(&c, &w, scratch, sizeof scratch),
        BW_EABORTED);
    bw_assert_err(
        bw_coap_block1_client_init(&c, 7, 1, bw_blkfix_src_read, &src),
        BW_EINVAL);
}

/*
 * A non-2.xx answer in the middle of a transfer ends it too, for both
 * clients: after blocks were exchanged, a 5.03 (Block2, even one carrying
 * a Block2 option) or a 4.01 (Block1) gives 0 with *done set, nothing more
 * is delivered or sent, the offset stays where the last good block left
 * it, and the transfer is over (BW_ESTATE).  The caller reads the code.
 */
static void test_clients_error_mid_transfer(void **state)
{
    static uint8_t buf[BW_BLKFIX_DGRAM], req[64];
    bw_blkfix_src_t src = {100, 0, 0};
    bw_coap_block2_client_t c2;
    bw_coap_block1_client_t c1;
    bw_coap_writer_t w;
    bw_coap_msg_t m;
    bw_blkfix_sink_t k = {0};
    int done;
    (void)state;

    b2start(&c2, 0, 0, &k);
    b2rsp(buf, &m, 0, 1, 0, 16);
    assert_int_equal(bw_coap_block2_client_response(&c2, &m, &done), 0);
    assert_int_equal(done, 0);
    bw_blkfix_spec_t busy = {BW_COAP_ACK,
                             BW_COAP_SERVICE_UNAVAILABLE,
                             BW_COAP_OPT_BLOCK2,
                             1,
                             1,
                             0,
                             NULL,
                             -1,
                             0,
                             16,
                             16};
    bw_blkfix_make(&busy, buf, &m);
    assert_int_equal(bw_coap_block2_client_response(&c2, &m, &done), 0);
    assert_int_equal(done, 1);
    assert_int_equal(k.calls, 1);
    assert_int_equal(bw_coap_block2_client_offset(&c2), 16);
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_assert_err(bw_coap_block2_client_request(&c2, &w), BW_ESTATE);
    b2rsp(buf, &m, 1, 1, 0, 16);
    bw_assert_err(bw_coap_block2_client_response(&c2, &m, &done), BW_ESTATE);

    b1start(&c1, 2, 100, &src);
    b1send(&c1, buf);
    assert_int_equal(b1answer(&c1, BW_COAP_CONTINUE, 0, 1, 2, -1, &done), 0);
    assert_int_equal(done, 0);
    b1send(&c1, buf);
    assert_int_equal(b1answer(&c1, BW_COAP_UNAUTHORIZED, -1, 0, 0, -1, &done),
                     0);
    assert_int_equal(done, 1);
    assert_int_equal(bw_coap_block1_client_offset(&c1), 64);
    bw_assert_err(b1answer(&c1, BW_COAP_CHANGED, 1, 0, 2, -1, &done),
                  BW_ESTATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b2c_out_of_order_sticky),
        cmocka_unit_test(test_b2c_duplicate_block),
        cmocka_unit_test(test_b2c_block_sizes),
        cmocka_unit_test(test_b2c_missing_block_and_errors),
        cmocka_unit_test(test_b2c_etag_and_options),
        cmocka_unit_test(test_b2c_sink_failure_and_args),
        cmocka_unit_test(test_b1c_bad_continue),
        cmocka_unit_test(test_b1c_too_large_and_final),
        cmocka_unit_test(test_b1c_source_failures),
        cmocka_unit_test(test_clients_error_mid_transfer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
