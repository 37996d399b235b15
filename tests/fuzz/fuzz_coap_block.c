/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz block-wise transfer with arbitrary datagrams.
 *
 * Input: one configuration byte, then records of [length byte][datagram].
 * The first bytes also go through the Block option value codec, which
 * must round-trip whatever it accepts.  Each record is copied into a
 * buffer of its exact size (so reading past it is caught) and handed, as
 * the application would, to all four block-wise roles: as a response to
 * the Block2 and Block1 clients (after each built its next request) and
 * as a request to the Block1 and Block2 servers.  The same datagram also
 * enters a message-layer endpoint that has a request outstanding, whose
 * matched responses feed a second Block2 client, so the path
 * datagram -> endpoint -> block reassembly is covered.
 *
 * Beyond not crashing, it checks the promises sinks rely on: bytes arrive
 * in order without gaps or overlap, and a client never moves backwards.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap_block.h"
#include "bulwark/coap_endpoint.h"

#define DGRAM 1400
#define SLOT  256
#define BODY  5000u

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

typedef struct {
    uint32_t next;
    int started;
} order_t;

/* Block2/Block1 client sinks: strictly contiguous from the first offset. */
static int sink_ordered(void *arg, uint32_t off, const uint8_t *data,
                        size_t len)
{
    order_t *o = arg;

    CHECK(len > 0 && data != NULL);
    if (o->started)
        CHECK(off == o->next);
    o->started = 1;
    o->next = off + (uint32_t)len;
    return 0;
}

/* Block1 server sink: contiguous, except that offset 0 starts a new body. */
static int sink_body(void *arg, uint32_t off, const uint8_t *data, size_t len)
{
    order_t *o = arg;

    CHECK(len > 0 && data != NULL);
    CHECK(off == 0 || off == o->next);
    o->next = off + (uint32_t)len;
    return 0;
}

/*
 * Body source.  A known-size server and the upload client never ask past
 * the end (strict); a server of unknown size may, and gets 0 bytes there.
 */
typedef struct {
    uint32_t total;
    int strict;
} src_t;

static int source(void *arg, uint32_t off, uint8_t *buf, size_t len,
                  size_t *got, int *more)
{
    const src_t *s = arg;
    size_t n = 0;

    if (s->strict)
        CHECK(off <= s->total && len <= s->total - off);
    while (n < len && off + n < s->total) {
        buf[n] = (uint8_t)(off + n);
        n++;
    }
    *got = n;
    *more = off + n < s->total;
    return 0;
}

static void codec(const uint8_t *data, size_t size)
{
    bw_coap_block_t b, back;
    uint8_t out[3];
    size_t n = size < 5 ? size : 5, len;

    if (bw_coap_block_decode(data, n, &b) != 0)
        return;
    CHECK(bw_coap_block_encode(&b, out, &len) == 0);
    CHECK(bw_coap_block_decode(out, len, &back) == 0);
    CHECK(back.num == b.num && back.more == b.more && back.szx == b.szx);
}

typedef struct {
    bw_coap_block2_client_t b2c, ep_b2c;
    bw_coap_block1_client_t b1c;
    bw_coap_block1_server_t b1s;
    bw_coap_block2_server_t b2s;
    order_t b2c_order, ep_order, b1s_order;
    bw_coap_endpoint_t ep;
    uint8_t arena[BW_COAP_ENDPOINT_ARENA_LEN(SLOT)];
    uint8_t out[DGRAM], scratch[1024];
    src_t b1c_src, b2s_src;
    uint64_t now;
    uint32_t last_b2c_offset;
} world_t;

static const uint8_t PEER[] = {127, 0, 0, 1, 0x16, 0x33};
static const uint8_t TOKEN[] = {0x74, 0x6b};

static void ep_request(world_t *w)
{
    bw_coap_writer_t wr;
    size_t len;

    bw_coap_writer_init(&wr, w->out, sizeof w->out, BW_COAP_CON, BW_COAP_GET, 0,
                        TOKEN, sizeof TOKEN);
    bw_coap_writer_add_opt(&wr, BW_COAP_OPT_URI_PATH, "fw", 2);
    if (bw_coap_block2_client_request(&w->ep_b2c, &wr) != 0 ||
        bw_coap_writer_finish(&wr, &len) != 0)
        return;
    (void)bw_coap_endpoint_send(&w->ep, w->now, PEER, sizeof PEER, w->out, len,
                                NULL);
}

static void feed(world_t *w, const uint8_t *dgram, size_t len)
{
    bw_coap_endpoint_event_t ev;
    bw_coap_block1_reply_t reply;
    bw_coap_writer_t wr;
    bw_coap_msg_t m;
    size_t n;
    int done;

    /* The message layer first, as the application would see it. */
    CHECK(bw_coap_endpoint_input(&w->ep, w->now, PEER, sizeof PEER, dgram, len,
                                 &ev) == 0);
    CHECK(ev.tx_len == 0 || ev.tx != NULL);
    if (ev.kind == BW_COAP_ENDPOINT_EV_RESPONSE) {
        (void)bw_coap_block2_client_response(&w->ep_b2c, &ev.msg, &done);
        ep_request(w);
    } else if (ev.kind == BW_COAP_ENDPOINT_EV_REQUEST) {
        bw_coap_writer_init(&wr, w->out, SLOT, BW_COAP_ACK, BW_COAP_NOT_FOUND,
                            0, ev.token, ev.token_len);
        if (bw_coap_writer_finish(&wr, &n) == 0)
            (void)bw_coap_endpoint_respond(&w->ep, w->now, &ev, w->out, n);
    }
    while (bw_coap_endpoint_poll(&w->ep, w->now, &ev) == 1)
        if (ev.kind == BW_COAP_ENDPOINT_EV_FAILED)
            ep_request(w);
    w->now += 700;

    if (bw_coap_parse(&m, dgram, len) != 0)
        return;

    /* Block2 client: ask, then take the datagram as the answer. */
    bw_coap_writer_init(&wr, w->out, sizeof w->out, BW_COAP_CON, BW_COAP_GET, 1,
                        NULL, 0);
    (void)bw_coap_block2_client_request(&w->b2c, &wr);
    (void)bw_coap_block2_client_response(&w->b2c, &m, &done);
    CHECK(bw_coap_block2_client_offset(&w->b2c) >= w->last_b2c_offset);
    w->last_b2c_offset = bw_coap_block2_client_offset(&w->b2c);

    /* Block1 client: send the current block, take the datagram. */
    bw_coap_writer_init(&wr, w->out, sizeof w->out, BW_COAP_CON, BW_COAP_PUT, 1,
                        NULL, 0);
    (void)bw_coap_block1_client_request(&w->b1c, &wr, w->scratch,
                                        sizeof w->scratch);
    (void)bw_coap_block1_client_response(&w->b1c, &m, &done);
    CHECK(bw_coap_block1_client_offset(&w->b1c) <= BODY);

    /* Block1 server: the datagram as a request; the reply must build. */
    (void)bw_coap_block1_server_receive(&w->b1s, &m, &reply);
    bw_coap_writer_init(&wr, w->out, sizeof w->out, BW_COAP_ACK,
                        reply.code ? reply.code : BW_COAP_CHANGED, 1, NULL, 0);
    CHECK(bw_coap_block1_reply_add(&reply, &wr) == 0);
    CHECK(bw_coap_writer_finish(&wr, &n) == 0);

    /* Block2 server: the datagram as a request. */
    bw_coap_writer_init(&wr, w->out, sizeof w->out, BW_COAP_ACK,
                        BW_COAP_CONTENT, 1, NULL, 0);
    if (bw_coap_block2_server_respond(&w->b2s, &m, &wr, w->scratch,
                                      sizeof w->scratch) == 0) {
        CHECK(bw_coap_writer_finish(&wr, &n) == 0);
        CHECK(bw_coap_parse(&m, w->out, n) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static world_t w;
    uint8_t cfg, szx;

    if (size < 1)
        return 0;
    codec(data + 1, size - 1);
    cfg = data[0];
    data++;
    size--;
    szx = (uint8_t)(cfg % (BW_COAP_BLOCK_MAX_SZX + 1));

    memset(&w, 0, sizeof w);
    w.b1c_src.total = BODY;
    w.b1c_src.strict = !(cfg & 0x80);
    w.b2s_src.total = BODY;
    w.b2s_src.strict = !(cfg & 0x40);
    CHECK(bw_coap_block2_client_init(&w.b2c, szx, (cfg >> 3) & 1 ? 100 : 0,
                                     sink_ordered, &w.b2c_order) == 0);
    CHECK(bw_coap_block2_client_init(&w.ep_b2c, szx, 0, sink_ordered,
                                     &w.ep_order) == 0);
    CHECK(bw_coap_block1_client_init(
              &w.b1c, szx, cfg & 0x80 ? BW_COAP_BLOCK_SIZE_UNKNOWN : BODY,
              source, &w.b1c_src) == 0);
    CHECK(bw_coap_block1_server_init(&w.b1s, szx, 4096, sink_body,
                                     &w.b1s_order) == 0);
    CHECK(bw_coap_block2_server_init(
              &w.b2s, szx, cfg & 0x40 ? BW_COAP_BLOCK_SIZE_UNKNOWN : BODY,
              source, &w.b2s_src) == 0);
    CHECK(bw_coap_endpoint_init(&w.ep, NULL, cfg, w.arena, sizeof w.arena,
                                SLOT) == 0);
    ep_request(&w);

    while (size > 0) {
        size_t len = data[0];
        uint8_t *copy;

        data++;
        size--;
        if (len > size)
            len = size;
        /* Exact-size copy so a read past the datagram is caught. */
        copy = malloc(len > 0 ? len : 1);
        CHECK(copy != NULL);
        memcpy(copy, data, len);
        feed(&w, copy, len);
        free(copy);
        data += len;
        size -= len;
    }
    return 0;
}
