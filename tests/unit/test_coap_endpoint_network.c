/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Two endpoints in one process, a client and a server, talking through an
 * in-memory network that loses and duplicates datagrams on a fixed
 * pattern.  Checks the end-to-end promise of the message layer: every
 * request is seen by the server application exactly once and every
 * response by the client application exactly once, in order, with
 * piggybacked and separate responses mixed, and that a dead link ends in
 * BW_ETIMEOUT rather than a hang.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "bulwark/coap_endpoint.h"
#include "coap_endpoint_fixture.h"

#define SLOT         128
#define NET_CAP      64   /* datagrams in flight at most */
#define LATENCY_MS   10   /* one-way delay */
#define DUP_DELAY_MS 25   /* the copy arrives later than the original */
#define SEPARATE_MS  3000 /* server's processing time for a separate answer */
#define REQUESTS     30

enum { NODE_CLIENT = 0, NODE_SERVER = 1 };
static const uint8_t ADDR[2][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}};

typedef struct {
    uint8_t to;
    uint64_t at;
    size_t len;
    uint8_t data[SLOT];
} pkt_t;

typedef struct {
    pkt_t q[NET_CAP];
    size_t n;
    unsigned sent;       /* datagrams offered to the network */
    unsigned drop_every; /* drop each Nth (0: never) */
    unsigned dup_every;  /* duplicate each Nth (0: never) */
    unsigned dropped, duplicated;
} net_t;

typedef bw_epfix_t node_t;

typedef struct {
    net_t net;
    node_t node[2];
    uint64_t now;
    /* client application */
    int next_req;      /* next request to send */
    int outstanding;   /* a request is in flight */
    int got[REQUESTS]; /* responses seen per request */
    int failed;        /* EV_FAILED seen by the client */
    int last_err;
    /* server application */
    int seen[REQUESTS]; /* requests seen per number */
    int sep_pending;    /* a separate response is due */
    uint64_t sep_at;
    uint8_t sep_tok[BW_COAP_MAX_TOKEN_LEN];
    uint8_t sep_tkl;
    int sep_num;
} world_t;

static void net_put(net_t *net, uint8_t to, uint64_t at, const uint8_t *d,
                    size_t len)
{
    assert_true(net->n < NET_CAP);
    assert_true(len <= SLOT);
    net->q[net->n].to = to;
    net->q[net->n].at = at;
    net->q[net->n].len = len;
    memcpy(net->q[net->n].data, d, len);
    net->n++;
}

/* Offer a datagram from `from` to the other node; may drop or duplicate. */
static void transmit(world_t *w, uint8_t from, const uint8_t *d, size_t len)
{
    net_t *net = &w->net;
    uint8_t to = (uint8_t)!from;

    net->sent++;
    if (net->drop_every != 0 && net->sent % net->drop_every == 0) {
        net->dropped++;
        return;
    }
    net_put(net, to, w->now + LATENCY_MS, d, len);
    if (net->dup_every != 0 && net->sent % net->dup_every == 0) {
        net->duplicated++;
        net_put(net, to, w->now + DUP_DELAY_MS, d, len);
    }
}

static int payload_num(const bw_coap_msg_t *m, const char *prefix)
{
    char buf[16];
    int num = -1;
    size_t plen = strlen(prefix);

    assert_true(m->payload_len < sizeof buf);
    memcpy(buf, m->payload, m->payload_len);
    buf[m->payload_len] = '\0';
    assert_int_equal(strncmp(buf, prefix, plen), 0);
    assert_int_equal(sscanf(buf + plen, "%d", &num), 1);
    return num;
}

static size_t build(uint8_t *buf, uint8_t type, uint8_t code,
                    const uint8_t *tok, size_t tkl, const char *prefix, int num)
{
    bw_coap_writer_t w;
    char body[16];
    size_t len;

    snprintf(body, sizeof body, "%s%d", prefix, num);
    bw_coap_writer_init(&w, buf, SLOT, type, code, 0, tok, tkl);
    if (code == BW_COAP_GET)
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "t", 1);
    bw_coap_writer_payload(&w, body, strlen(body));
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    return len;
}

/* Server application: every third request gets a separate response. */
static void server_event(world_t *w, const bw_coap_endpoint_event_t *ev)
{
    node_t *s = &w->node[NODE_SERVER];
    uint8_t rsp[SLOT];
    const uint8_t *tx;
    size_t n, tx_len;

    if (ev->kind != BW_COAP_ENDPOINT_EV_REQUEST)
        return;
    int num = payload_num(&ev->msg, "req");
    assert_true(num >= 0 && num < REQUESTS);
    w->seen[num]++;
    if (num % 3 == 2) {
        assert_int_equal(
            bw_coap_endpoint_accept(&s->ep, w->now, ev, &tx, &tx_len), 0);
        transmit(w, NODE_SERVER, tx, tx_len);
        w->sep_pending = 1;
        w->sep_at = w->now + SEPARATE_MS;
        w->sep_num = num;
        w->sep_tkl = ev->token_len;
        memcpy(w->sep_tok, ev->token, ev->token_len);
        return;
    }
    n = build(rsp, BW_COAP_ACK, BW_COAP_CONTENT, ev->token, ev->token_len,
              "rsp", num);
    assert_int_equal(bw_coap_endpoint_respond(&s->ep, w->now, ev, rsp, n), 0);
    transmit(w, NODE_SERVER, rsp, n);
}

static void client_event(world_t *w, const bw_coap_endpoint_event_t *ev)
{
    if (ev->kind == BW_COAP_ENDPOINT_EV_RESPONSE) {
        int num = payload_num(&ev->msg, "rsp");
        assert_int_equal(num, w->next_req - 1); /* in order */
        w->got[num]++;
        w->outstanding = 0;
    } else if (ev->kind == BW_COAP_ENDPOINT_EV_FAILED) {
        w->failed++;
        w->last_err = ev->err;
        w->outstanding = 0;
    }
}

static void handle(world_t *w, uint8_t node, bw_coap_endpoint_event_t *ev)
{
    if (ev->tx_len > 0)
        transmit(w, node, ev->tx, ev->tx_len);
    if (node == NODE_SERVER)
        server_event(w, ev);
    else
        client_event(w, ev);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Run until the client has sent every request and nothing is left. */
static void run(world_t *w, uint64_t limit)
{
    bw_coap_endpoint_event_t ev;

    while (w->now < limit) {
        /* Client application: one request at a time (NSTART). */
        if (!w->outstanding && w->next_req < REQUESTS) {
            uint8_t req[SLOT], tok[4];
            assert_int_equal(
                bw_coap_endpoint_token(&w->node[NODE_CLIENT].ep, tok, 4), 0);
            size_t n = build(req, BW_COAP_CON, BW_COAP_GET, tok, 4, "req",
                             w->next_req);
            assert_int_equal(bw_coap_endpoint_send(&w->node[NODE_CLIENT].ep,
                                                   w->now, ADDR[NODE_SERVER], 4,
                                                   req, n, NULL),
                             0);
            transmit(w, NODE_CLIENT, req, n);
            w->next_req++;
            w->outstanding = 1;
        }
        if (w->sep_pending && w->sep_at <= w->now) {
            uint8_t rsp[SLOT];
            size_t n = build(rsp, BW_COAP_CON, BW_COAP_CONTENT, w->sep_tok,
                             w->sep_tkl, "rsp", w->sep_num);
            assert_int_equal(bw_coap_endpoint_send(&w->node[NODE_SERVER].ep,
                                                   w->now, ADDR[NODE_CLIENT], 4,
                                                   rsp, n, NULL),
                             0);
            transmit(w, NODE_SERVER, rsp, n);
            w->sep_pending = 0;
        }
        /* Deliver what has arrived, oldest first. */
        for (;;) {
            size_t best = w->net.n;
            for (size_t i = 0; i < w->net.n; i++)
                if (w->net.q[i].at <= w->now &&
                    (best == w->net.n || w->net.q[i].at < w->net.q[best].at))
                    best = i;
            if (best == w->net.n)
                break;
            pkt_t p = w->net.q[best];
            w->net.q[best] = w->net.q[--w->net.n];
            assert_int_equal(bw_coap_endpoint_input(&w->node[p.to].ep, w->now,
                                                    ADDR[!p.to], 4, p.data,
                                                    p.len, &ev),
                             0);
            handle(w, p.to, &ev);
        }
        for (uint8_t node = 0; node < 2; node++)
            while (bw_coap_endpoint_poll(&w->node[node].ep, w->now, &ev) == 1)
                handle(w, node, &ev);
        if (w->next_req == REQUESTS && !w->outstanding && w->net.n == 0 &&
            !w->sep_pending &&
            bw_coap_endpoint_next_timeout(&w->node[NODE_SERVER].ep) ==
                BW_COAP_ENDPOINT_NEVER)
            return;
        /* Jump the clock to the next thing that can happen. */
        uint64_t next =
            min64(bw_coap_endpoint_next_timeout(&w->node[NODE_CLIENT].ep),
                  bw_coap_endpoint_next_timeout(&w->node[NODE_SERVER].ep));
        for (size_t i = 0; i < w->net.n; i++)
            next = min64(next, w->net.q[i].at);
        if (w->sep_pending)
            next = min64(next, w->sep_at);
        if (!w->outstanding && w->next_req < REQUESTS)
            next = w->now;
        assert_true(next != BW_COAP_ENDPOINT_NEVER);
        w->now = next > w->now ? next : w->now;
    }
    fail_msg("network run did not settle by %llu ms",
             (unsigned long long)limit);
}

static void world_init(world_t *w, unsigned drop_every, unsigned dup_every)
{
    memset(w, 0, sizeof *w);
    w->net.drop_every = drop_every;
    w->net.dup_every = dup_every;
    w->now = 100;
    for (int i = 0; i < 2; i++)
        bw_epfix_init(&w->node[i], NULL, 0xc0ffee + (uint64_t)i, SLOT);
}

static void check_exactly_once(const world_t *w)
{
    for (int i = 0; i < REQUESTS; i++) {
        assert_int_equal(w->seen[i], 1);
        assert_int_equal(w->got[i], 1);
    }
    assert_int_equal(w->failed, 0);
}

/*
 * A clean network: every request and response exactly once, in order.
 */
static void test_clean_network(void **state)
{
    static world_t w;
    (void)state;

    world_init(&w, 0, 0);
    run(&w, 10000000);
    check_exactly_once(&w);
}

/*
 * Every 3rd datagram lost and every 4th duplicated (requests, ACKs,
 * separate responses alike): retransmission recovers the losses and
 * deduplication hides the copies, so each application still sees each
 * message exactly once.  The pattern must really have hit both ways.
 */
static void test_lossy_duplicating_network(void **state)
{
    static world_t w;
    (void)state;

    world_init(&w, 3, 4);
    run(&w, 100000000);
    check_exactly_once(&w);
    assert_true(w.net.dropped >= REQUESTS / 2);
    assert_true(w.net.duplicated >= REQUESTS / 2);
}

/*
 * A harsher pattern (every 2nd lost, every 3rd duplicated) still
 * delivers, just later.
 */
static void test_very_lossy_network(void **state)
{
    static world_t w;
    (void)state;

    world_init(&w, 2, 3);
    run(&w, 100000000);
    check_exactly_once(&w);
}

/*
 * A dead link: everything is lost.  The first request ends in BW_ETIMEOUT
 * after its retransmissions, the server never sees anything, and the run
 * settles instead of hanging.
 */
static void test_dead_link(void **state)
{
    static world_t w;
    (void)state;

    world_init(&w, 1, 0);
    run(&w, 100000000);
    assert_int_equal(w.failed, REQUESTS);
    bw_assert_err(w.last_err, BW_ETIMEOUT);
    for (int i = 0; i < REQUESTS; i++)
        assert_int_equal(w.seen[i], 0);
    /* 1 transmission + 4 retransmissions per request. */
    assert_int_equal(w.net.sent, REQUESTS * 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_network),
        cmocka_unit_test(test_lossy_duplicating_network),
        cmocka_unit_test(test_very_lossy_network),
        cmocka_unit_test(test_dead_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
