/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware push, block-wise: PUT /5/0/0 with Block1 (RFC 7959) through
 * the real request handler into the Firmware Update object.  Requests are
 * real CoAP messages built with the CoAP writer (whole uploads are driven
 * by the library's own Block1 client, which follows the handler's 2.31
 * answers), parsed, handed to bw_lwm2m_dm_handle(), and the responses
 * parsed back.  What must hold: chunk() sees every byte of the package in
 * order exactly once, a block per call; the state machine moves IDLE ->
 * DOWNLOADING -> DOWNLOADED (or IDLE with chunk()'s result); blocks out of
 * order, after the end, or with no push under way get 4.08 and reach
 * nobody; a failed block leaves the blocks before it; a restart, a cancel
 * and an idle transfer tell the application through cancel().
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "bulwark/coap.h"
#include "bulwark/coap_block.h"
#include "bulwark/lwm2m_dm.h"
#include "bulwark/lwm2m_objects.h"

#define PKG_LEN (10 * 1024)
#define SERVER  101

typedef struct {
    bw_lwm2m_dm_t dm;
    bw_lwm2m_fw_t fw;
    bw_lwm2m_object_t fw_obj;
    uint8_t pkg[PKG_LEN];
    uint8_t got[PKG_LEN]; /* what chunk() was handed, by offset */
    size_t got_len;       /* chunk() calls must continue exactly here */
    int chunks, lasts, cancels;
    int refuse_last;   /* chunk() returns this for the last piece, once */
    uint8_t out[1152]; /* one datagram, as the client core uses */
    size_t cap;        /* of out handed to the handler */
    bw_coap_msg_t rsp;
    uint16_t mid;
} fix_t;

static int on_chunk(void *app, size_t off, const uint8_t *d, size_t n, int last)
{
    fix_t *f = app;
    if (last && f->refuse_last != 0) {
        int r = f->refuse_last;
        f->refuse_last = 0;
        return r;
    }
    f->chunks++;
    /* In order, no gap, no byte twice: a restart begins at 0 again. */
    if (off == 0)
        f->got_len = 0;
    assert_int_equal(off, f->got_len);
    assert_true(off + n <= PKG_LEN);
    if (n > 0)
        memcpy(f->got + off, d, n);
    f->got_len += n;
    f->lasts += last != 0;
    return 0;
}

static void on_cancel(void *app)
{
    ((fix_t *)app)->cancels++;
}

static void fw_setup(fix_t *f, uint8_t delivery)
{
    bw_lwm2m_fw_cfg_t fc;
    memset(&fc, 0, sizeof fc);
    fc.protocols = 1u << BW_LWM2M_FW_PROTO_COAPS;
    fc.delivery = delivery;
    fc.chunk = on_chunk;
    fc.cancel = on_cancel;
    fc.app = f;
    bw_lwm2m_dm_init(&f->dm);
    assert_int_equal(bw_lwm2m_fw_init(&f->fw, &f->fw_obj, &fc), 0);
    assert_int_equal(bw_lwm2m_dm_add(&f->dm, &f->fw_obj), 0);
}

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < PKG_LEN; i++)
        f->pkg[i] = (uint8_t)(i * 7u + i / 251u + 3u);
    f->cap = sizeof f->out;
    fw_setup(f, BW_LWM2M_FW_BOTH);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* The head of a request to path (e.g. "5/0/0"; segments split on '/'),
 * with Content-Format cf unless it is negative. */
static void head(fix_t *f, bw_coap_writer_t *w, uint8_t *buf, size_t cap,
                 uint8_t code, const char *path, int cf)
{
    static const uint8_t token[2] = {0xb1, 0x0c};
    bw_coap_writer_init(w, buf, cap, BW_COAP_CON, code, ++f->mid, token,
                        sizeof token);
    for (const char *s = path; *s != '\0';) {
        const char *e = strchr(s, '/');
        size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
        bw_coap_writer_add_opt(w, BW_COAP_OPT_URI_PATH, s, n);
        s += n + (e != NULL);
    }
    if (cf >= 0)
        bw_coap_writer_add_uint(w, BW_COAP_OPT_CONTENT_FORMAT, (uint32_t)cf);
}

/* Finish w, hand it to the handler at now from server, parse the answer
 * into f->rsp; returns its code. */
static int send_req(fix_t *f, bw_coap_writer_t *w, const uint8_t *buf,
                    uint64_t now, uint16_t server, bw_lwm2m_iface_t iface)
{
    size_t len = 0, olen = 0;
    bw_coap_msg_t req;
    assert_int_equal(bw_coap_writer_finish(w, &len), 0);
    assert_int_equal(bw_coap_parse(&req, buf, len), 0);
    assert_int_equal(bw_lwm2m_dm_handle(&f->dm, now, iface, server, &req,
                                        f->out, f->cap, &olen),
                     0);
    assert_int_equal(bw_coap_parse(&f->rsp, f->out, olen), 0);
    return f->rsp.code;
}

/* One block of the package: NUM num at size szx, M more, the bytes of
 * pkg at that offset (len bytes), to path in format cf. */
static int block_to(fix_t *f, const char *path, int cf, uint32_t num, int more,
                    uint8_t szx, size_t len, uint64_t now, uint16_t server)
{
    uint8_t buf[1400];
    bw_coap_writer_t w;
    bw_coap_block_t b = {num, (uint8_t)more, szx};
    size_t off = (size_t)num << (szx + 4);
    head(f, &w, buf, sizeof buf, BW_COAP_PUT, path, cf);
    assert_int_equal(bw_coap_block_add(&w, BW_COAP_OPT_BLOCK1, &b), 0);
    assert_true(off + len <= PKG_LEN);
    if (len > 0)
        bw_coap_writer_payload(&w, f->pkg + off, len);
    return send_req(f, &w, buf, now, server, BW_LWM2M_IFACE_DM);
}

/* A full-size block of /5/0/0 at 1024 bytes (szx 6), more follow. */
static int block(fix_t *f, uint32_t num, int more, uint64_t now)
{
    return block_to(f, "5/0/0", BW_COAP_FMT_OPAQUE, num, more, 6, 1024, now,
                    SERVER);
}

static bw_coap_block_t echo(const fix_t *f)
{
    bw_coap_block_t b;
    assert_int_equal(bw_coap_block_get(&f->rsp, BW_COAP_OPT_BLOCK1, &b), 0);
    return b;
}

static int source(void *arg, uint32_t off, uint8_t *buf, size_t len,
                  size_t *got, int *more)
{
    fix_t *f = arg;
    assert_true(off + len <= PKG_LEN);
    memcpy(buf, f->pkg + off, len);
    *got = len;
    *more = off + len < PKG_LEN;
    return 0;
}

/*
 * Upload the whole package with the Block1 client at block size szx,
 * starting at now; returns the number of requests it took (every answer
 * but the last must be 2.31 with the block echoed, the last 2.04).
 */
static int push_all(fix_t *f, uint8_t szx, uint64_t now)
{
    bw_coap_block1_client_t c;
    uint8_t buf[1400], scratch[1024];
    int done = 0, rounds = 0;
    assert_int_equal(bw_coap_block1_client_init(&c, szx, PKG_LEN, source, f),
                     0);
    while (!done) {
        bw_coap_writer_t w;
        head(f, &w, buf, sizeof buf, BW_COAP_PUT, "5/0/0", BW_COAP_FMT_OPAQUE);
        assert_int_equal(
            bw_coap_block1_client_request(&c, &w, scratch, sizeof scratch), 0);
        int code = send_req(f, &w, buf, now + (uint64_t)rounds * 50u, SERVER,
                            BW_LWM2M_IFACE_DM);
        rounds++;
        assert_int_equal(bw_coap_block1_client_response(&c, &f->rsp, &done), 0);
        assert_int_equal(code, done ? BW_COAP_CHANGED : BW_COAP_CONTINUE);
        assert_true(rounds <= PKG_LEN / 16);
    }
    assert_int_equal(bw_coap_block1_client_offset(&c), PKG_LEN);
    return rounds;
}

static void expect_state(const fix_t *f, int state, int result)
{
    assert_int_equal(bw_lwm2m_fw_state(&f->fw), state);
    assert_int_equal(bw_lwm2m_fw_result(&f->fw), result);
}

/* 10 KiB in 1024-byte blocks: ten requests, chunk() sees each block once,
 * in order, and the package equals what was sent; DOWNLOADED at the end,
 * and nothing cancelled. */
static void test_push_1024(void **state)
{
    fix_t *f = *state;
    assert_int_equal(push_all(f, 6, 1000), 10);
    assert_int_equal(f->chunks, 10);
    assert_int_equal(f->lasts, 1);
    assert_int_equal(f->got_len, PKG_LEN);
    assert_memory_equal(f->got, f->pkg, PKG_LEN);
    bw_coap_block_t e = echo(f); /* the 2.04 names the last block */
    assert_int_equal(e.num, 9);
    assert_int_equal(e.more, 0);
    assert_int_equal(e.szx, 6);
    expect_state(f, BW_LWM2M_FW_DOWNLOADED, 0);
    assert_int_equal(f->cancels, 0);
}

/* The same package in 512-byte blocks: twenty requests, same bytes. */
static void test_push_512(void **state)
{
    fix_t *f = *state;
    assert_int_equal(push_all(f, 5, 1000), 20);
    assert_int_equal(f->chunks, 20);
    assert_int_equal(f->got_len, PKG_LEN);
    assert_memory_equal(f->got, f->pkg, PKG_LEN);
    expect_state(f, BW_LWM2M_FW_DOWNLOADED, 0);
}

/* A response buffer of 600 bytes takes blocks of 256 at most after the
 * head room: block 0 of 1024 is accepted but echoed at SZX 4 (NUM 0),
 * and the client, following, sends the rest in 256-byte blocks starting
 * at NUM 4: 1 + 36 requests, the bytes all in order. */
static void test_push_smaller_preferred(void **state)
{
    fix_t *f = *state;
    f->cap = 600;
    assert_int_equal(block(f, 0, 1, 1000), BW_COAP_CONTINUE);
    bw_coap_block_t e = echo(f);
    assert_int_equal(e.szx, 4);
    assert_int_equal(e.num, 0);
    assert_int_equal(e.more, 1);
    memset(f->got, 0, sizeof f->got);
    f->got_len = 0;
    fw_setup(f, BW_LWM2M_FW_BOTH); /* start over with the client */
    f->chunks = 0;
    assert_int_equal(push_all(f, 6, 5000), 1 + (PKG_LEN - 1024) / 256);
    assert_int_equal(f->chunks, 1 + (PKG_LEN - 1024) / 256);
    assert_memory_equal(f->got, f->pkg, PKG_LEN);
    expect_state(f, BW_LWM2M_FW_DOWNLOADED, 0);
}

/* Block 2 after block 0 (block 1 missing): 4.08, chunk() not called,
 * and the transfer stays at block 1, which is then taken; block 1 again
 * (the block accepted last, as a new request) is 2.31 without reaching
 * chunk() a second time; after block 2, block 1 is out of order. */
static void test_out_of_order(void **state)
{
    fix_t *f = *state;
    assert_int_equal(block(f, 0, 1, 1000), BW_COAP_CONTINUE);
    assert_int_equal(block(f, 2, 1, 1100), BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(bw_coap_block_get(&f->rsp, BW_COAP_OPT_BLOCK1,
                                       &(bw_coap_block_t){0, 0, 0}),
                     BW_ENOTFOUND);
    assert_int_equal(f->chunks, 1);
    expect_state(f, BW_LWM2M_FW_DOWNLOADING, 0);
    assert_int_equal(block(f, 1, 1, 1200), BW_COAP_CONTINUE);
    assert_int_equal(f->chunks, 2);
    assert_int_equal(block(f, 1, 1, 1300), BW_COAP_CONTINUE);
    assert_int_equal(echo(f).num, 1);
    assert_int_equal(f->chunks, 2);
    assert_int_equal(f->got_len, 2048);
    /* A block before the one accepted last is out of order too. */
    assert_int_equal(block(f, 2, 1, 1400), BW_COAP_CONTINUE);
    assert_int_equal(block(f, 1, 1, 1500), BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(f->chunks, 3);
    assert_int_equal(f->got_len, 3072);
    assert_int_equal(f->cancels, 0);
}

/* After the 2.04, the last block again arrives as a new request: no
 * transfer is open, so 4.08; the package stays DOWNLOADED and chunk()
 * sees nothing more. */
static void test_last_block_repeated(void **state)
{
    fix_t *f = *state;
    assert_int_equal(push_all(f, 6, 1000), 10);
    int chunks = f->chunks;
    assert_int_equal(
        block_to(f, "5/0/0", BW_COAP_FMT_OPAQUE, 9, 0, 6, 1024, 3000, SERVER),
        BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(f->chunks, chunks);
    expect_state(f, BW_LWM2M_FW_DOWNLOADED, 0);
}

/* chunk() refuses the package at the last block with Update Result 5:
 * the write succeeds (2.04, the object's rule), IDLE with result 5, no
 * cancel(); a further block finds nothing under way: 4.08. */
static void test_refuse_last_result(void **state)
{
    fix_t *f = *state;
    for (uint32_t i = 0; i < 9; i++)
        assert_int_equal(block(f, i, 1, 1000 + i), BW_COAP_CONTINUE);
    f->refuse_last = BW_LWM2M_FW_RESULT_INTEGRITY;
    assert_int_equal(block(f, 9, 0, 2000), BW_COAP_CHANGED);
    expect_state(f, BW_LWM2M_FW_IDLE, 5);
    assert_int_equal(f->cancels, 0);
    assert_int_equal(block(f, 9, 0, 2100), BW_COAP_REQUEST_INCOMPLETE);
    expect_state(f, BW_LWM2M_FW_IDLE, 5);
}

/* chunk() fails the last block with a BW_E* code: the answer follows the
 * handler mapping (BW_EIO 5.00, BW_EINVAL 4.00), the block is rolled
 * back but the nine before stay taken (DOWNLOADING, no cancel), and the
 * same block sent again completes the package. */
static void test_refuse_last_error(void **state)
{
    fix_t *f = *state;
    for (uint32_t i = 0; i < 9; i++)
        assert_int_equal(block(f, i, 1, 1000 + i), BW_COAP_CONTINUE);
    f->refuse_last = BW_EIO;
    assert_int_equal(block(f, 9, 0, 2000), BW_COAP_INTERNAL_ERROR);
    expect_state(f, BW_LWM2M_FW_DOWNLOADING, 0);
    f->refuse_last = BW_EINVAL;
    assert_int_equal(block(f, 9, 0, 2100), BW_COAP_BAD_REQUEST);
    expect_state(f, BW_LWM2M_FW_DOWNLOADING, 0);
    assert_int_equal(f->cancels, 0);
    assert_int_equal(f->got_len, 9 * 1024);
    assert_int_equal(block(f, 9, 0, 2200), BW_COAP_CHANGED);
    expect_state(f, BW_LWM2M_FW_DOWNLOADED, 0);
    assert_memory_equal(f->got, f->pkg, PKG_LEN);
}

/* Mid-transfer, an empty Package (a Write without Block1) cancels: 2.04,
 * IDLE with result 0, cancel() once; the transfer is over, so the next
 * block is 4.08 and reaches nobody. */
static void test_cancel_mid_transfer(void **state)
{
    fix_t *f = *state;
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(block(f, i, 1, 1000 + i), BW_COAP_CONTINUE);
    uint8_t buf[64];
    bw_coap_writer_t w;
    head(f, &w, buf, sizeof buf, BW_COAP_PUT, "5/0/0", BW_COAP_FMT_OPAQUE);
    assert_int_equal(send_req(f, &w, buf, 1100, SERVER, BW_LWM2M_IFACE_DM),
                     BW_COAP_CHANGED);
    expect_state(f, BW_LWM2M_FW_IDLE, 0);
    assert_int_equal(f->cancels, 1);
    assert_int_equal(block(f, 3, 1, 1200), BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(f->chunks, 3);
    assert_int_equal(f->cancels, 1);
}

/* A transfer idle for the exchange lifetime is dropped: at 247 s minus
 * 1 ms after the last block nothing happens (notify says when it will),
 * at 247 s bw_lwm2m_dm_notify() drops it: IDLE with result 4 (connection
 * lost), cancel() once, and the next block is 4.08. */
static void test_idle_timeout(void **state)
{
    fix_t *f = *state;
    uint8_t note[256];
    size_t len = 0;
    uint16_t server = 0;
    uint64_t next = 0;
    assert_int_equal(block(f, 0, 1, 1000), BW_COAP_CONTINUE);
    assert_int_equal(block(f, 1, 1, 2000), BW_COAP_CONTINUE);
    uint64_t end = 2000 + BW_LWM2M_DM_BLOCK1_IDLE_MS;
    assert_int_equal(bw_lwm2m_dm_notify(&f->dm, end - 1, note, sizeof note,
                                        &len, &server, &next),
                     0);
    assert_int_equal(next, end);
    expect_state(f, BW_LWM2M_FW_DOWNLOADING, 0);
    assert_int_equal(bw_lwm2m_dm_notify(&f->dm, end, note, sizeof note, &len,
                                        &server, &next),
                     0);
    assert_int_equal(next, UINT64_MAX);
    expect_state(f, BW_LWM2M_FW_IDLE, BW_LWM2M_FW_RESULT_CONN_LOST);
    assert_int_equal(f->cancels, 1);
    assert_int_equal(block(f, 2, 1, end + 10), BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(f->chunks, 2);
}

/* The same expiry found by the request handler itself: a block arriving
 * after 247 s of silence is 4.08 (the transfer was dropped first, with
 * cancel()), and block 0 then starts a new push. */
static void test_idle_timeout_on_request(void **state)
{
    fix_t *f = *state;
    assert_int_equal(block(f, 0, 1, 1000), BW_COAP_CONTINUE);
    uint64_t late = 1000 + BW_LWM2M_DM_BLOCK1_IDLE_MS;
    assert_int_equal(block(f, 1, 1, late), BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(f->cancels, 1);
    expect_state(f, BW_LWM2M_FW_IDLE, BW_LWM2M_FW_RESULT_CONN_LOST);
    assert_int_equal(block(f, 0, 1, late + 1), BW_COAP_CONTINUE);
    expect_state(f, BW_LWM2M_FW_DOWNLOADING, 0);
}

/* Block 0 again from the same server mid-transfer restarts: the old push
 * is dropped (cancel() once), chunk() starts over at 0, and the whole
 * package then arrives intact. */
static void test_restart(void **state)
{
    fix_t *f = *state;
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(block(f, i, 1, 1000 + i), BW_COAP_CONTINUE);
    assert_int_equal(push_all(f, 6, 2000), 10);
    assert_int_equal(f->cancels, 1);
    assert_int_equal(f->chunks, 14);
    assert_memory_equal(f->got, f->pkg, PKG_LEN);
    expect_state(f, BW_LWM2M_FW_DOWNLOADED, 0);
}

/* With delivery PULL only, block 0 is refused 4.05 and opens nothing:
 * chunk() is never called and block 1 is 4.08. */
static void test_pull_only(void **state)
{
    fix_t *f = *state;
    fw_setup(f, BW_LWM2M_FW_PULL);
    assert_int_equal(block(f, 0, 1, 1000), BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(block(f, 1, 1, 1001), BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(f->chunks, 0);
    expect_state(f, BW_LWM2M_FW_IDLE, 0);
}

/* Block1 where a block-wise Write cannot be taken is 4.13 and changes
 * nothing: the Package URI (a string), the Package in text/plain, in
 * TLV, without Content-Format, a POST, and the bootstrap interface. */
static void test_not_opaque(void **state)
{
    fix_t *f = *state;
    assert_int_equal(
        block_to(f, "5/0/1", BW_COAP_FMT_TEXT, 0, 1, 0, 16, 1000, SERVER),
        BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(
        block_to(f, "5/0/0", BW_COAP_FMT_TEXT, 0, 1, 0, 16, 1000, SERVER),
        BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(
        block_to(f, "5/0/0", BW_COAP_FMT_LWM2M_TLV, 0, 1, 0, 16, 1000, SERVER),
        BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(block_to(f, "5/0/0", -1, 0, 1, 0, 16, 1000, SERVER),
                     BW_COAP_REQUEST_TOO_LARGE);

    uint8_t buf[128];
    bw_coap_writer_t w;
    bw_coap_block_t b = {0, 1, 0};
    head(f, &w, buf, sizeof buf, BW_COAP_POST, "5/0/0", BW_COAP_FMT_OPAQUE);
    bw_coap_block_add(&w, BW_COAP_OPT_BLOCK1, &b);
    bw_coap_writer_payload(&w, f->pkg, 16);
    assert_int_equal(send_req(f, &w, buf, 1000, SERVER, BW_LWM2M_IFACE_DM),
                     BW_COAP_REQUEST_TOO_LARGE);
    head(f, &w, buf, sizeof buf, BW_COAP_PUT, "5/0/0", BW_COAP_FMT_OPAQUE);
    bw_coap_block_add(&w, BW_COAP_OPT_BLOCK1, &b);
    bw_coap_writer_payload(&w, f->pkg, 16);
    assert_int_equal(send_req(f, &w, buf, 1000, 0, BW_LWM2M_IFACE_BOOTSTRAP),
                     BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(f->chunks, 0);
    expect_state(f, BW_LWM2M_FW_IDLE, 0);
}

/* A second server's block 0 while the first one's push is open: 5.03
 * with Max-Age = the seconds left before the open one expires; its block
 * 1 is 4.08; the first push goes on undisturbed. */
static void test_other_server_busy(void **state)
{
    fix_t *f = *state;
    assert_int_equal(block(f, 0, 1, 1000), BW_COAP_CONTINUE);
    assert_int_equal(
        block_to(f, "5/0/0", BW_COAP_FMT_OPAQUE, 0, 1, 6, 1024, 11000, 202),
        BW_COAP_SERVICE_UNAVAILABLE);
    uint32_t age = 0;
    assert_int_equal(bw_coap_msg_uint(&f->rsp, BW_COAP_OPT_MAX_AGE, &age), 0);
    assert_int_equal(age, (BW_LWM2M_DM_BLOCK1_IDLE_MS - 10000) / 1000);
    assert_int_equal(
        block_to(f, "5/0/0", BW_COAP_FMT_OPAQUE, 1, 1, 6, 1024, 11000, 202),
        BW_COAP_REQUEST_INCOMPLETE);
    assert_int_equal(f->chunks, 1);
    assert_int_equal(f->cancels, 0);
    assert_int_equal(block(f, 1, 1, 12000), BW_COAP_CONTINUE);
    assert_int_equal(f->got_len, 2048);
}

/* A malformed block: Block1 of four bytes or SZX 7 is 4.02; a block with
 * M set shorter than its size, or any block longer than its size, is
 * 4.00; none reaches chunk(). */
static void test_malformed_block(void **state)
{
    fix_t *f = *state;
    uint8_t buf[1400];
    bw_coap_writer_t w;
    head(f, &w, buf, sizeof buf, BW_COAP_PUT, "5/0/0", BW_COAP_FMT_OPAQUE);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_BLOCK1, "\x00\x00\x00\x0e", 4);
    bw_coap_writer_payload(&w, f->pkg, 1024);
    assert_int_equal(send_req(f, &w, buf, 1000, SERVER, BW_LWM2M_IFACE_DM),
                     BW_COAP_BAD_OPTION);
    head(f, &w, buf, sizeof buf, BW_COAP_PUT, "5/0/0", BW_COAP_FMT_OPAQUE);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_BLOCK1, "\x0f", 1);
    bw_coap_writer_payload(&w, f->pkg, 1024);
    assert_int_equal(send_req(f, &w, buf, 1000, SERVER, BW_LWM2M_IFACE_DM),
                     BW_COAP_BAD_OPTION);
    assert_int_equal(
        block_to(f, "5/0/0", BW_COAP_FMT_OPAQUE, 0, 1, 6, 1000, 1000, SERVER),
        BW_COAP_BAD_REQUEST);
    assert_int_equal(
        block_to(f, "5/0/0", BW_COAP_FMT_OPAQUE, 0, 0, 5, 513, 1000, SERVER),
        BW_COAP_BAD_REQUEST);
    assert_int_equal(f->chunks, 0);
    expect_state(f, BW_LWM2M_FW_IDLE, 0);
}

/* A one-block package (block 0, M 0) is a whole push: 2.04, DOWNLOADED,
 * chunk() once with last set; the single byte 0 block-wise cancels like
 * an empty write does. */
static void test_single_block(void **state)
{
    fix_t *f = *state;
    assert_int_equal(
        block_to(f, "5/0/0", BW_COAP_FMT_OPAQUE, 0, 0, 6, 700, 1000, SERVER),
        BW_COAP_CHANGED);
    assert_int_equal(f->chunks, 1);
    assert_int_equal(f->lasts, 1);
    expect_state(f, BW_LWM2M_FW_DOWNLOADED, 0);
    f->pkg[0] = 0;
    assert_int_equal(
        block_to(f, "5/0/0", BW_COAP_FMT_OPAQUE, 0, 0, 0, 1, 1100, SERVER),
        BW_COAP_CHANGED);
    expect_state(f, BW_LWM2M_FW_IDLE, 0);
    assert_int_equal(f->cancels, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_push_1024, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_512, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_smaller_preferred, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_block_repeated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refuse_last_result, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refuse_last_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_mid_transfer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout_on_request, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_opaque, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_server_busy, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_block, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
