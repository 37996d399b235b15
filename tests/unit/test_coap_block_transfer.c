/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block-wise transfers end to end (RFC 7959): a Block2 client downloading
 * from a Block2 server, and a Block1 client uploading to a Block1 server,
 * through real datagrams built with the writer and parsed back.  The body
 * is generated from its offset, so every delivered byte is checked where
 * it lands, and a running checksum over the delivery order is compared
 * with the one-shot checksum of the whole body.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_block.h"

#define DGRAM      1200 /* one datagram: 1024 payload + header and options */
#define MAX_ROUNDS 1100000

/* The body: byte i depends on i alone. */
static uint8_t body_at(uint32_t i)
{
    uint32_t x = i * 2654435761u;
    return (uint8_t)(x >> 24 ^ i);
}

static uint32_t fnv_step(uint32_t h, uint8_t b)
{
    return (h ^ b) * 16777619u;
}

static uint32_t fnv_range(uint32_t from, uint32_t to)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = from; i < to; i++)
        h = fnv_step(h, body_at(i));
    return h;
}

/* Source for both servers and the upload client. */
typedef struct {
    uint32_t total;
    int unknown; /* report the end through *more instead */
    unsigned calls;
} src_t;

static int src_read(void *arg, uint32_t off, uint8_t *buf, size_t len,
                    size_t *got, int *more)
{
    src_t *s = arg;
    size_t n = 0;

    s->calls++;
    assert_true(off <= s->total);
    if (!s->unknown)
        assert_true(off + len <= s->total); /* never asked past the end */
    while (n < len && off + n < s->total) {
        buf[n] = body_at(off + (uint32_t)n);
        n++;
    }
    *got = n;
    *more = off + n < s->total;
    return 0;
}

/* Sink: offsets must follow each other; bytes must match the body. */
typedef struct {
    uint32_t next;
    uint32_t hash;
    unsigned calls;
} sink_t;

static void sink_init(sink_t *k, uint32_t start)
{
    k->next = start;
    k->hash = 2166136261u;
    k->calls = 0;
}

static int sink_write(void *arg, uint32_t off, const uint8_t *data, size_t len)
{
    sink_t *k = arg;

    k->calls++;
    assert_int_equal(off, k->next);
    assert_true(len > 0);
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(data[i], body_at(off + (uint32_t)i));
        k->hash = fnv_step(k->hash, data[i]);
    }
    k->next = off + (uint32_t)len;
    return 0;
}

/* ---- Block2 ----------------------------------------------------------- */

typedef struct {
    uint8_t server_szx, client_szx;
    size_t scratch;
    uint32_t total, start;
    int unknown;
} dl_cfg_t;

typedef struct {
    unsigned rounds;
    uint8_t first_szx; /* block size of the first response */
    uint32_t size2;
    uint32_t offset;
} dl_res_t;

/* Build the client's request and parse it into req (in buf). */
static void make_request(bw_coap_block2_client_t *c, uint8_t *buf,
                         bw_coap_msg_t *req)
{
    static const uint8_t tok[] = {1, 2};
    bw_coap_writer_t w;
    size_t len;

    bw_coap_writer_init(&w, buf, DGRAM, BW_COAP_CON, BW_COAP_GET, 1, tok, 2);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "fw", 2);
    assert_int_equal(bw_coap_block2_client_request(c, &w), 0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(req, buf, len), 0);
}

static void make_response(const bw_coap_block2_server_t *s,
                          const bw_coap_msg_t *req, uint8_t *scratch,
                          size_t scratch_len, uint8_t *buf, bw_coap_msg_t *rsp)
{
    bw_coap_writer_t w;
    size_t len;

    bw_coap_writer_init(&w, buf, DGRAM, BW_COAP_ACK, BW_COAP_CONTENT, 1,
                        req->token, req->token_len);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, BW_COAP_FMT_OPAQUE);
    assert_int_equal(
        bw_coap_block2_server_respond(s, req, &w, scratch, scratch_len), 0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(rsp, buf, len), 0);
}

static void download(const dl_cfg_t *cfg, sink_t *k, dl_res_t *res)
{
    static uint8_t qbuf[DGRAM], rbuf[DGRAM], scratch[2048];
    src_t src = {cfg->total, cfg->unknown, 0};
    bw_coap_block2_server_t s;
    bw_coap_block2_client_t c;
    bw_coap_msg_t req, rsp;
    bw_coap_block_t b;
    int done = 0;

    assert_true(cfg->scratch <= sizeof scratch);
    memset(res, 0, sizeof *res);
    assert_int_equal(bw_coap_block2_server_init(
                         &s, cfg->server_szx,
                         cfg->unknown ? BW_COAP_BLOCK_SIZE_UNKNOWN : cfg->total,
                         src_read, &src),
                     0);
    assert_int_equal(bw_coap_block2_client_init(&c, cfg->client_szx, cfg->start,
                                                sink_write, k),
                     0);
    sink_init(k, cfg->start);
    while (!done) {
        assert_true(res->rounds++ < MAX_ROUNDS);
        make_request(&c, qbuf, &req);
        make_response(&s, &req, scratch, cfg->scratch, rbuf, &rsp);
        if (res->rounds == 1) {
            assert_int_equal(bw_coap_block_get(&rsp, BW_COAP_OPT_BLOCK2, &b),
                             0);
            res->first_szx = b.szx;
        }
        assert_int_equal(bw_coap_block2_client_response(&c, &rsp, &done), 0);
    }
    res->size2 = bw_coap_block2_client_size(&c);
    res->offset = bw_coap_block2_client_offset(&c);
    /* Finished: asking again is a state error. */
    uint8_t buf[32];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_assert_err(bw_coap_block2_client_request(&c, &w), BW_ESTATE);
    bw_assert_err(bw_coap_block2_client_response(&c, &rsp, &done), BW_ESTATE);
}

static unsigned blocks_for(uint32_t total, uint32_t start, uint8_t szx)
{
    uint32_t size = BW_COAP_BLOCK_SIZE(szx);
    uint32_t first = start / size;
    uint32_t end = total == 0 ? 1 : (total + size - 1) / size;
    return end > first ? end - first : 1;
}

/*
 * Every block size on both sides, bodies of 0, 1, size-1, size, size+1,
 * 3 sizes and 3 sizes + 5 bytes, size known and unknown: the whole body
 * arrives in order, in exactly ceil(total/size) exchanges (one for an
 * empty body), the first response uses the smaller of the two sizes, and
 * Size2 reports the total when the server knows it.
 */
static void test_block2_every_size(void **state)
{
    sink_t k;
    dl_res_t r;
    (void)state;

    for (uint8_t szx = 0; szx <= BW_COAP_BLOCK_MAX_SZX; szx++) {
        uint32_t size = BW_COAP_BLOCK_SIZE(szx);
        const uint32_t totals[] = {0,        1,        size - 1,    size,
                                   size + 1, 3 * size, 3 * size + 5};
        for (size_t t = 0; t < sizeof totals / sizeof totals[0]; t++)
            for (int unknown = 0; unknown <= 1; unknown++) {
                dl_cfg_t cfg = {szx, 6, 1024, totals[t], 0, unknown};
                download(&cfg, &k, &r);
                assert_int_equal(k.next, totals[t]);
                assert_int_equal(k.hash, fnv_range(0, totals[t]));
                assert_int_equal(r.rounds, blocks_for(totals[t], 0, szx));
                assert_int_equal(r.first_szx, szx);
                assert_int_equal(r.offset, totals[t]);
                assert_int_equal(r.size2, unknown ? BW_COAP_BLOCK_SIZE_UNKNOWN
                                                  : totals[t]);
                /* The same with the client asking for this size. */
                cfg.server_szx = 6;
                cfg.client_szx = szx;
                download(&cfg, &k, &r);
                assert_int_equal(k.hash, fnv_range(0, totals[t]));
                assert_int_equal(r.rounds, blocks_for(totals[t], 0, szx));
            }
    }
}

/*
 * Late negotiation: the client asks for 1024 and the server's scratch
 * holds only 100 bytes, so blocks are 64 bytes from the first response;
 * the client follows.  And a client that switches to a smaller size
 * mid-transfer gets that size at the same offset (NUM scaled).
 */
static void test_block2_late_negotiation(void **state)
{
    static uint8_t qbuf[DGRAM], rbuf[DGRAM], scratch[1024];
    src_t src = {5000, 0, 0};
    bw_coap_block2_server_t s;
    bw_coap_msg_t req, rsp;
    bw_coap_block_t b;
    bw_coap_writer_t w;
    sink_t k;
    dl_res_t r;
    size_t len;
    (void)state;

    dl_cfg_t cfg = {6, 6, 100, 5000, 0, 0};
    download(&cfg, &k, &r);
    assert_int_equal(r.first_szx, 2);
    assert_int_equal(r.rounds, (5000 + 63) / 64);
    assert_int_equal(k.hash, fnv_range(0, 5000));

    /* Asked for block 1 of 1024 (offset 1024) by a server that keeps to
     * 128: the answer is NUM 8 of 128, the same offset. */
    assert_int_equal(bw_coap_block2_server_init(&s, 3, 5000, src_read, &src),
                     0);
    len = bw_test_hex("40 01 00 01 d1 0a 16", qbuf, sizeof qbuf); /* 1/0/6 */
    assert_int_equal(bw_coap_parse(&req, qbuf, len), 0);
    bw_coap_writer_init(&w, rbuf, DGRAM, BW_COAP_ACK, BW_COAP_CONTENT, 1, NULL,
                        0);
    assert_int_equal(
        bw_coap_block2_server_respond(&s, &req, &w, scratch, sizeof scratch),
        0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(&rsp, rbuf, len), 0);
    assert_int_equal(bw_coap_block_get(&rsp, BW_COAP_OPT_BLOCK2, &b), 0);
    assert_int_equal(b.num, 8);
    assert_int_equal(b.szx, 3);
    assert_int_equal(b.more, 1);
    assert_int_equal(rsp.payload_len, 128);
    for (size_t i = 0; i < 128; i++)
        assert_int_equal(rsp.payload[i], body_at(1024 + (uint32_t)i));
}

/*
 * Resume at every byte offset (the streaming-versus-one-shot check for
 * downloads): for a 300-byte body and three block sizes, a download that
 * starts at k delivers exactly body[k..300) and nothing before it, and the
 * bytes of the first part [0, k) plus the resumed part hash to the
 * one-shot body.  Size changes by the server do not disturb the offset.
 */
static void test_block2_resume_every_offset(void **state)
{
    static const uint8_t sizes[][2] = {{0, 0}, {4, 4}, {6, 2}};
    const uint32_t total = 300;
    sink_t k;
    dl_res_t r;
    (void)state;

    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++)
        for (uint32_t start = 0; start <= total; start++) {
            dl_cfg_t cfg = {sizes[z][1], sizes[z][0], 1024, total, start, 0};
            download(&cfg, &k, &r);
            assert_int_equal(k.next, total);
            assert_int_equal(k.hash, fnv_range(start, total));
            assert_int_equal(r.offset, total);
            if (sizes[z][0] == sizes[z][1])
                assert_int_equal(r.rounds,
                                 blocks_for(total, start, sizes[z][0]));
        }
}

/*
 * An empty resource: one exchange, Block2 0/0/szx with no payload, Size2
 * 0, the sink never called.
 */
static void test_block2_zero_length(void **state)
{
    sink_t k;
    dl_res_t r;
    (void)state;

    for (int unknown = 0; unknown <= 1; unknown++) {
        dl_cfg_t cfg = {6, 6, 1024, 0, 0, unknown};
        download(&cfg, &k, &r);
        assert_int_equal(r.rounds, 1);
        assert_int_equal(k.calls, 0);
        assert_int_equal(r.offset, 0);
    }
}

/*
 * 1 MiB through a 1 KiB scratch buffer: 1024 exchanges of 1024 bytes,
 * checked byte by byte where they land and by checksum against the
 * one-shot body.  No buffer anywhere holds more than one block.
 */
static void test_block2_one_mebibyte(void **state)
{
    const uint32_t total = 1u << 20;
    sink_t k;
    dl_res_t r;
    (void)state;

    dl_cfg_t cfg = {6, 6, 1024, total, 0, 0};
    download(&cfg, &k, &r);
    assert_int_equal(r.rounds, 1024);
    assert_int_equal(k.calls, 1024);
    assert_int_equal(k.next, total);
    assert_int_equal(k.hash, fnv_range(0, total));
}

/* ---- Block1 ----------------------------------------------------------- */

typedef struct {
    uint8_t client_szx, server_szx;
    size_t scratch;
    uint32_t total;
    int unknown;
} ul_cfg_t;

typedef struct {
    unsigned rounds;
    unsigned continues;  /* 2.31 answers */
    uint32_t second_num; /* Block1 NUM of the second request */
    uint8_t second_szx;
} ul_res_t;

static void upload(const ul_cfg_t *cfg, sink_t *k, ul_res_t *res)
{
    static uint8_t qbuf[DGRAM], rbuf[DGRAM], scratch[2048];
    static const uint8_t tok[] = {9};
    src_t src = {cfg->total, cfg->unknown, 0};
    bw_coap_block1_client_t c;
    bw_coap_block1_server_t s;
    bw_coap_block1_reply_t reply;
    bw_coap_writer_t w;
    bw_coap_msg_t req, rsp;
    bw_coap_block_t b;
    size_t len;
    int done = 0;

    memset(res, 0, sizeof *res);
    sink_init(k, 0);
    assert_int_equal(bw_coap_block1_client_init(
                         &c, cfg->client_szx,
                         cfg->unknown ? BW_COAP_BLOCK_SIZE_UNKNOWN : cfg->total,
                         src_read, &src),
                     0);
    assert_int_equal(bw_coap_block1_server_init(&s, cfg->server_szx, 1u << 24,
                                                sink_write, k),
                     0);
    while (!done) {
        assert_true(res->rounds++ < MAX_ROUNDS);
        bw_coap_writer_init(&w, qbuf, DGRAM, BW_COAP_CON, BW_COAP_PUT, 1, tok,
                            1);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "up", 2);
        assert_int_equal(
            bw_coap_block1_client_request(&c, &w, scratch, cfg->scratch), 0);
        assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
        assert_int_equal(bw_coap_parse(&req, qbuf, len), 0);
        if (res->rounds == 2) {
            assert_int_equal(bw_coap_block_get(&req, BW_COAP_OPT_BLOCK1, &b),
                             0);
            res->second_num = b.num;
            res->second_szx = b.szx;
        }
        assert_int_equal(bw_coap_block1_server_receive(&s, &req, &reply), 0);
        if (reply.code == BW_COAP_CONTINUE)
            res->continues++;
        bw_coap_writer_init(&w, rbuf, DGRAM, BW_COAP_ACK,
                            reply.code ? reply.code : BW_COAP_CHANGED, 1, tok,
                            1);
        assert_int_equal(bw_coap_block1_reply_add(&reply, &w), 0);
        assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
        assert_int_equal(bw_coap_parse(&rsp, rbuf, len), 0);
        assert_int_equal(bw_coap_block1_client_response(&c, &rsp, &done), 0);
    }
    assert_int_equal(bw_coap_block1_server_received(&s), cfg->total);
    assert_int_equal(bw_coap_block1_client_offset(&c), cfg->total);
}

/*
 * Uploads at every block size, bodies of 0, 1, size-1, size, size+1 and
 * 3 sizes + 5, total known (Size1 sent) and unknown: the server's sink
 * gets the whole body in order, with one 2.31 per block but the last.
 */
static void test_block1_every_size(void **state)
{
    sink_t k;
    ul_res_t r;
    (void)state;

    for (uint8_t szx = 0; szx <= BW_COAP_BLOCK_MAX_SZX; szx++) {
        uint32_t size = BW_COAP_BLOCK_SIZE(szx);
        const uint32_t totals[] = {0,    1,        size - 1,
                                   size, size + 1, 3 * size + 5};
        for (size_t t = 0; t < sizeof totals / sizeof totals[0]; t++)
            for (int unknown = 0; unknown <= 1; unknown++) {
                ul_cfg_t cfg = {szx, 6, 1024, totals[t], unknown};
                upload(&cfg, &k, &r);
                unsigned blocks = blocks_for(totals[t], 0, szx);
                assert_int_equal(r.rounds, blocks);
                assert_int_equal(r.continues, blocks - 1);
                assert_int_equal(k.next, totals[t]);
                assert_int_equal(k.hash, fnv_range(0, totals[t]));
            }
    }
}

/*
 * The server prefers 128-byte blocks; the client starts with 1024.  The
 * first block is taken whole, the 2.31 asks for 128, and the client
 * continues at offset 1024 renumbered as NUM 8 of size 128, the body
 * arriving intact.  A client scratch of 40 bytes forces 32-byte blocks.
 */
static void test_block1_late_negotiation(void **state)
{
    sink_t k;
    ul_res_t r;
    (void)state;

    ul_cfg_t cfg = {6, 3, 1024, 5000, 0};
    upload(&cfg, &k, &r);
    assert_int_equal(r.second_num, 8);
    assert_int_equal(r.second_szx, 3);
    assert_int_equal(r.rounds, 1 + (5000 - 1024 + 127) / 128);
    assert_int_equal(k.hash, fnv_range(0, 5000));

    ul_cfg_t small = {6, 6, 40, 1000, 0};
    upload(&small, &k, &r);
    assert_int_equal(r.rounds, (1000 + 31) / 32);
    assert_int_equal(k.hash, fnv_range(0, 1000));
}

/* 1 MiB upload through a 1 KiB scratch buffer, checked by checksum. */
static void test_block1_one_mebibyte(void **state)
{
    sink_t k;
    ul_res_t r;
    (void)state;

    ul_cfg_t cfg = {6, 6, 1024, 1u << 20, 0};
    upload(&cfg, &k, &r);
    assert_int_equal(r.rounds, 1024);
    assert_int_equal(k.hash, fnv_range(0, 1u << 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block2_every_size),
        cmocka_unit_test(test_block2_late_negotiation),
        cmocka_unit_test(test_block2_resume_every_offset),
        cmocka_unit_test(test_block2_zero_length),
        cmocka_unit_test(test_block2_one_mebibyte),
        cmocka_unit_test(test_block1_every_size),
        cmocka_unit_test(test_block1_late_negotiation),
        cmocka_unit_test(test_block1_one_mebibyte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
