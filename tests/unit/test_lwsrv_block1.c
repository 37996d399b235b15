/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block-wise requests from the LwM2M server (server/lwm2m/lwm2m_srv.c,
 * bw_lwsrv_op_t's Block1 fields and bw_lwsrv_request_ex()): what goes on
 * the wire for a block of a Write, and what the caller is told of the
 * answer's Block1 and Max-Age.  The real DTLS engine on loopback and a
 * real OpenSSL DTLS client that plays the device, answering with
 * messages built by the project's CoAP writer (some with options no
 * writer would produce, written byte by byte).
 */
#define _GNU_SOURCE
#include "dtls_fixture.h"
#include "dtls_client_fixture.h"

#include "bulwark/coap_block.h"
#include "lwm2m_srv.h"
#include "lwsrv_fixture.h"

static void up(void)
{
    h = fix_server_new();
    h->cfg.on_data = on_data;
    h->cfg.on_tick = on_tick;
    reg = bw_lwsrv_registry_new();
    assert_non_null(reg);
    fix_server_start(h);
    bw_lwsrv_config_t cfg = {
        .registry = reg, .dtls = h->srv, .authorize = authorize};
    lw = bw_lwsrv_new(&cfg, 1);
    assert_non_null(lw);
}

static void down(void)
{
    fix_server_free(h);
    bw_lwsrv_free(lw);
    bw_lwsrv_registry_free(reg);
    lw = NULL;
}

/* ---- the device's side ------------------------------------------------- */

#define LINKS "</>;rt=\"oma.lwm2m\";ct=11543,</5/0>"

/* Handshake as "device-a" and register; the client is returned. */
static fix_client_t *registered(void)
{
    fix_client_t *c = fix_client_psk(fix_port(h), "PSK-AES128-CCM8", "device-a",
                                     fix_key_a, sizeof fix_key_a);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    uint8_t req[256], b[512];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_POST, 9,
                        (const uint8_t *)"tok4", 4);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "rd", 2);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 40);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "ep=device-a", 11);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "lt=60", 5);
    bw_coap_writer_payload(&w, LINKS, strlen(LINKS));
    size_t n;
    assert_int_equal(bw_coap_writer_finish(&w, &n), 0);
    fix_client_write(c, req, n);
    int got = fix_client_read(c, b, sizeof b, FIX_WAIT_MS);
    assert_true(got > 0);
    bw_coap_msg_t m;
    assert_int_equal(bw_coap_parse(&m, b, (size_t)got), 0);
    assert_int_equal(m.code, BW_COAP_CODE(2, 1));
    return c;
}

/* The next request the device receives, parsed into *m (buf). */
static void next_request(fix_client_t *c, uint8_t *buf, size_t cap,
                         bw_coap_msg_t *m)
{
    int n = fix_client_read(c, buf, cap, FIX_WAIT_MS);
    assert_true(n > 0);
    assert_int_equal(bw_coap_parse(m, buf, (size_t)n), 0);
    assert_int_equal(m->type, BW_COAP_CON);
}

/*
 * A piggybacked answer to req: code, then the raw options given as
 * (number, value, length) triples in ascending order, written here byte
 * by byte so that values no writer would produce (a 4-byte Block1, SZX
 * 7) can be sent.  Deltas and lengths stay below 13.
 */
typedef struct {
    uint16_t number;
    const uint8_t *value;
    size_t len;
} raw_opt_t;

static void answer_raw(fix_client_t *c, const bw_coap_msg_t *req, uint8_t code,
                       const raw_opt_t *opts, size_t n)
{
    uint8_t out[256];
    size_t k = 0;
    out[k++] = (uint8_t)(0x40 | (BW_COAP_ACK << 4) | req->token_len);
    out[k++] = code;
    out[k++] = (uint8_t)(req->mid >> 8);
    out[k++] = (uint8_t)req->mid;
    memcpy(out + k, req->token, req->token_len);
    k += req->token_len;
    uint16_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t delta = (uint16_t)(opts[i].number - prev);
        assert_true(delta < 13 || delta - 13 < 256);
        assert_true(opts[i].len < 13);
        if (delta < 13) {
            out[k++] = (uint8_t)(delta << 4 | opts[i].len);
        } else {
            out[k++] = (uint8_t)(13 << 4 | opts[i].len);
            out[k++] = (uint8_t)(delta - 13);
        }
        memcpy(out + k, opts[i].value, opts[i].len);
        k += opts[i].len;
        prev = opts[i].number;
    }
    fix_client_write(c, out, k);
}

/* ---- the requester's side ---------------------------------------------- */

typedef struct {
    pthread_mutex_t lock;
    int done;
    bw_lwsrv_answer_t a; /* payload cleared: valid during the call only */
    uint8_t payload[64];
} result_t;

static void done_ex(void *arg, const bw_lwsrv_answer_t *a)
{
    result_t *r = arg;
    pthread_mutex_lock(&r->lock);
    r->a = *a;
    r->a.payload = NULL;
    if (a->len <= sizeof r->payload && a->len > 0)
        memcpy(r->payload, a->payload, a->len);
    r->done = 1;
    pthread_mutex_unlock(&r->lock);
}

static int result_done(result_t *r)
{
    uint64_t end = fix_now_ms() + FIX_WAIT_MS;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int d = r->done;
        pthread_mutex_unlock(&r->lock);
        if (d || fix_now_ms() >= end)
            return d;
        fix_sleep_ms(5);
    }
}

/* A Write of one block of /5/0/0: NUM num, M more, SZX szx, len bytes of
 * a pattern that depends on num. */
static bw_lwsrv_op_t block_op(uint32_t num, uint8_t more, uint8_t szx,
                              size_t len)
{
    bw_lwsrv_op_t op;
    memset(&op, 0, sizeof op);
    op.method = BW_COAP_PUT;
    snprintf(op.path, sizeof op.path, "/5/0/0");
    op.content_format = BW_COAP_FMT_OPAQUE;
    op.accept = -1;
    op.has_block1 = 1;
    op.block1_num = num;
    op.block1_more = more;
    op.block1_szx = szx;
    for (size_t i = 0; i < len; i++)
        op.payload[i] = (uint8_t)(i * 7u + num);
    op.payload_len = len;
    return op;
}

/*
 * Tried: block 3 (M=1) of 1024 bytes to /5/0/0, answered 2.31 with the
 * Block1 echo 6/1/512 (the device asking for 512-byte blocks: the same
 * offset, 3072, counted in its size); then the last block, 6000/0/16
 * with 5 bytes, answered 2.04 with the echo 6000/0/16.
 * Must hold: on the wire, a CON PUT with Uri-Path 5, 0, 0,
 * Content-Format 42, Block1 NUM 3, M 1, SZX 6 and the 1024 bytes; the
 * callback gets 2.31 with block1_err 0 and block1 {6, 1, 5}, no Max-Age;
 * the last block carries M 0 and its 5 bytes, and its answer {6000, 0,
 * 0}.
 */
static void test_block1_request(void **state)
{
    (void)state;
    up();
    fix_client_t *c = registered();
    bw_lwsrv_op_t op = block_op(3, 1, 6, 1024);
    result_t r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    bw_assert_err(bw_lwsrv_request_ex(lw, "device-a", &op, done_ex, &r), 0);

    uint8_t b[FIX_DGRAM_MAX];
    bw_coap_msg_t m;
    next_request(c, b, sizeof b, &m);
    assert_int_equal(m.code, BW_COAP_PUT);
    char segs[16] = "";
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    bw_coap_opt_iter_init(&it, &m);
    while (bw_coap_opt_next(&it, &o) == 1)
        if (o.number == BW_COAP_OPT_URI_PATH)
            strncat(segs, (const char *)o.value, o.len);
    assert_string_equal(segs, "500");
    uint32_t cf;
    bw_assert_err(bw_coap_msg_uint(&m, BW_COAP_OPT_CONTENT_FORMAT, &cf), 0);
    assert_int_equal(cf, BW_COAP_FMT_OPAQUE);
    bw_coap_block_t blk;
    bw_assert_err(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK1, &blk), 0);
    assert_int_equal(blk.num, 3);
    assert_int_equal(blk.more, 1);
    assert_int_equal(blk.szx, 6);
    assert_int_equal(m.payload_len, 1024);
    assert_memory_equal(m.payload, op.payload, 1024);

    uint8_t resp[64];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, resp, sizeof resp, BW_COAP_ACK, BW_COAP_CONTINUE,
                        m.mid, m.token, m.token_len);
    bw_coap_block_t echo = {6, 1, 5};
    bw_assert_err(bw_coap_block_add(&w, BW_COAP_OPT_BLOCK1, &echo), 0);
    size_t len;
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    fix_client_write(c, resp, len);
    assert_true(result_done(&r));
    bw_assert_err(r.a.err, 0);
    assert_int_equal(r.a.code, BW_COAP_CONTINUE);
    bw_assert_err(r.a.block1_err, 0);
    assert_int_equal(r.a.block1.num, 6);
    assert_int_equal(r.a.block1.more, 1);
    assert_int_equal(r.a.block1.szx, 5);
    assert_int_equal(r.a.has_max_age, 0);

    /* The last block: short, M 0. */
    op = block_op(6000, 0, 0, 5);
    result_t r2 = {.lock = PTHREAD_MUTEX_INITIALIZER};
    bw_assert_err(bw_lwsrv_request_ex(lw, "device-a", &op, done_ex, &r2), 0);
    next_request(c, b, sizeof b, &m);
    bw_assert_err(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK1, &blk), 0);
    assert_int_equal(blk.num, 6000);
    assert_int_equal(blk.more, 0);
    assert_int_equal(blk.szx, 0);
    assert_int_equal(m.payload_len, 5);
    assert_memory_equal(m.payload, op.payload, 5);
    bw_coap_writer_init(&w, resp, sizeof resp, BW_COAP_ACK, BW_COAP_CHANGED,
                        m.mid, m.token, m.token_len);
    echo = (bw_coap_block_t){6000, 0, 0};
    bw_assert_err(bw_coap_block_add(&w, BW_COAP_OPT_BLOCK1, &echo), 0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    fix_client_write(c, resp, len);
    assert_true(result_done(&r2));
    assert_int_equal(r2.a.code, BW_COAP_CHANGED);
    bw_assert_err(r2.a.block1_err, 0);
    assert_int_equal(r2.a.block1.num, 6000);
    assert_int_equal(r2.a.block1.more, 0);
    fix_client_free(c);
    down();
}

/*
 * Tried: four answers to block 0, each with different options: none
 * (2.04 to a device that took the whole body at once), a 5.03 with
 * Max-Age 42 and no Block1 (another transfer open), a 2.31 whose Block1
 * value has 4 bytes, and a 2.31 whose Block1 has SZX 7 (BERT, which the
 * server does not speak).
 * Must hold: block1_err BW_ENOTFOUND, BW_ENOTFOUND with has_max_age 1 and
 * max_age 42, BW_EOVERFLOW, BW_EBLOCK; block1 zero whenever block1_err is
 * not 0; a request without Block1 carries no Block1 option.
 */
static void test_block1_answers(void **state)
{
    (void)state;
    up();
    fix_client_t *c = registered();
    static const uint8_t max_age[] = {42};
    static const uint8_t long_block[] = {0, 0, 0, 0x0e};
    static const uint8_t bert[] = {0x0f};
    const raw_opt_t none[] = {{0, NULL, 0}};
    const raw_opt_t busy[] = {{BW_COAP_OPT_MAX_AGE, max_age, 1}};
    const raw_opt_t too_long[] = {{BW_COAP_OPT_BLOCK1, long_block, 4}};
    const raw_opt_t szx7[] = {{BW_COAP_OPT_BLOCK1, bert, 1}};
    const struct {
        uint8_t code;
        const raw_opt_t *opts;
        size_t n;
        int want_err;
        int want_age;
    } cases[] = {
        {BW_COAP_CHANGED, none, 0, BW_ENOTFOUND, 0},
        {BW_COAP_SERVICE_UNAVAILABLE, busy, 1, BW_ENOTFOUND, 1},
        {BW_COAP_CONTINUE, too_long, 1, BW_EOVERFLOW, 0},
        {BW_COAP_CONTINUE, szx7, 1, BW_EBLOCK, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* The first case: a plain Write, no Block1. */
        bw_lwsrv_op_t op = block_op(0, 1, 6, 1024);
        if (i == 0) {
            op.has_block1 = 0;
            op.block1_more = 0;
            op.block1_szx = 0;
        }
        result_t r = {.lock = PTHREAD_MUTEX_INITIALIZER};
        bw_assert_err(bw_lwsrv_request_ex(lw, "device-a", &op, done_ex, &r), 0);
        uint8_t b[FIX_DGRAM_MAX];
        bw_coap_msg_t m;
        next_request(c, b, sizeof b, &m);
        bw_coap_block_t blk;
        bw_assert_err(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK1, &blk),
                      i == 0 ? BW_ENOTFOUND : 0);
        answer_raw(c, &m, cases[i].code, cases[i].opts, cases[i].n);
        assert_true(result_done(&r));
        bw_assert_err(r.a.err, 0);
        assert_int_equal(r.a.code, cases[i].code);
        bw_assert_err(r.a.block1_err, cases[i].want_err);
        assert_int_equal(r.a.block1.num, 0);
        assert_int_equal(r.a.block1.more, 0);
        assert_int_equal(r.a.block1.szx, 0);
        assert_int_equal(r.a.has_max_age, cases[i].want_age);
        assert_int_equal(r.a.max_age, cases[i].want_age ? 42 : 0);
    }
    fix_client_free(c);
    down();
}

static void done_plain(void *arg, int err, uint8_t code, uint32_t cf,
                       const uint8_t *payload, size_t len)
{
    (void)arg;
    (void)err;
    (void)code;
    (void)cf;
    (void)payload;
    (void)len;
}

/*
 * Tried: requests whose Block1 breaks RFC 7959 or the server's limits:
 * SZX 7, NUM 2^20, M 2, M 1 with a payload shorter than the block, M 0
 * with a payload longer than the block, Block1 fields set without
 * has_block1, has_block1 2; and request_ex with no callback.
 * Must hold: each is refused with BW_EINVAL before anything is sent (the
 * device receives nothing); the largest legal block (NUM 2^20 - 1, SZX
 * 6, 1024 bytes) is accepted, and so is a plain request through
 * bw_lwsrv_request.
 */
static void test_block1_refused(void **state)
{
    (void)state;
    up();
    fix_client_t *c = registered();
    bw_lwsrv_op_t bad[7];
    bad[0] = block_op(0, 1, 7, 1024);
    bad[1] = block_op(BW_COAP_BLOCK_MAX_NUM + 1, 1, 6, 1024);
    bad[2] = block_op(0, 2, 6, 1024);
    bad[3] = block_op(1, 1, 6, 1000);
    bad[4] = block_op(1, 0, 4, 257);
    bad[5] = block_op(0, 1, 6, 1024);
    bad[5].has_block1 = 0;
    bad[6] = block_op(0, 1, 6, 1024);
    bad[6].has_block1 = 2;
    result_t r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        bw_assert_err(bw_lwsrv_request_ex(lw, "device-a", &bad[i], done_ex, &r),
                      BW_EINVAL);
    bw_lwsrv_op_t ok = block_op(BW_COAP_BLOCK_MAX_NUM, 1, 6, 1024);
    bw_assert_err(bw_lwsrv_request_ex(lw, "device-a", &ok, NULL, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_lwsrv_request(lw, "device-a", &ok, NULL, NULL), BW_EINVAL);
    uint8_t b[FIX_DGRAM_MAX];
    assert_true(fix_client_read(c, b, sizeof b, 300) <= 0);

    bw_assert_err(bw_lwsrv_request_ex(lw, "device-a", &ok, done_ex, &r), 0);
    bw_coap_msg_t m;
    next_request(c, b, sizeof b, &m);
    bw_coap_block_t blk;
    bw_assert_err(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK1, &blk), 0);
    assert_int_equal(blk.num, BW_COAP_BLOCK_MAX_NUM);
    bw_lwsrv_op_t plain = {.method = BW_COAP_GET,
                           .path = "/5/0/3",
                           .content_format = -1,
                           .accept = -1};
    bw_assert_err(bw_lwsrv_request(lw, "device-a", &plain, done_plain, NULL),
                  0);
    fix_client_free(c);
    down();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block1_request),
        cmocka_unit_test(test_block1_answers),
        cmocka_unit_test(test_block1_refused),
    };
    return cmocka_run_group_tests(tests, fix_group_setup, fix_group_teardown);
}
