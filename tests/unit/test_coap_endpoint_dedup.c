/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message layer, receiving side: duplicate detection and replay,
 * entry expiry after EXCHANGE_LIFETIME / NON_LIFETIME, piggybacked and
 * separate responses in both roles, reject, and the deduplication table
 * filling up.  Fake clock, hand-made datagrams.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_endpoint.h"
#include "coap_endpoint_fixture.h"

#define SLOT 128
#define T0   5000u

#define PEER_A BW_EPFIX_PEER_A
#define PEER_B BW_EPFIX_PEER_B
static const uint8_t TOK[] = {0x71, 0x72};

typedef bw_epfix_t fix_t;

static void fix_init(fix_t *f, uint64_t seed)
{
    bw_epfix_init(f, NULL, seed, SLOT);
}

static size_t build(uint8_t *buf, size_t cap, uint8_t type, uint8_t code,
                    uint16_t mid, const uint8_t *tok, size_t tkl,
                    const char *payload)
{
    return bw_epfix_build(buf, cap, type, code, mid, tok, tkl,
                          BW_EPFIX_NO_OBSERVE, NULL, payload);
}

/* Receive a request and check it is reported as new. */
static void expect_request(fix_t *f, uint64_t now, const uint8_t *peer,
                           const uint8_t *req, size_t n,
                           bw_coap_endpoint_event_t *ev)
{
    bw_epfix_expect(f, now, peer, req, n, ev, BW_COAP_ENDPOINT_EV_REQUEST);
    assert_int_equal(ev->tx_len, 0);
}

/* Send a GET of type (CON or NON) with token TOK to PEER_A at T0, built
 * in req; returns its length, its MID in *mid. */
static size_t send_get(fix_t *f, uint8_t type, uint8_t *req, size_t cap,
                       uint16_t *mid)
{
    size_t rn = build(req, cap, type, BW_COAP_GET, 0, TOK, sizeof TOK, 0);
    assert_int_equal(
        bw_coap_endpoint_send(&f->ep, T0, PEER_A, sizeof PEER_A, req, rn, mid),
        0);
    return rn;
}

/* PEER_A's Empty message of type (ACK or RST) for mid arrives at now. */
static void peer_empty(fix_t *f, uint64_t now, uint8_t type, uint16_t mid,
                       bw_coap_endpoint_event_t *ev)
{
    uint8_t buf[8];
    size_t n = build(buf, sizeof buf, type, BW_COAP_EMPTY, mid, NULL, 0, 0);
    bw_epfix_input(f, now, PEER_A, buf, n, ev);
}

/*
 * A duplicate CON request is answered with the very bytes of the first
 * (piggybacked) response, which respond() turned into an ACK with the
 * request's MID; the application never sees the duplicate.  Before the
 * answer exists a duplicate is dropped silently.
 */
static void test_duplicate_con_replayed(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, req;
    uint8_t in[64], rsp[64], sent[64];
    size_t n, rn;
    (void)state;

    fix_init(&f, 1);
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET, 0x2001, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &req);
    assert_int_equal(req.type, BW_COAP_CON);
    assert_int_equal(req.mid, 0x2001);
    assert_memory_equal(req.token, TOK, sizeof TOK);

    bw_epfix_input(&f, T0 + 100, PEER_A, in, n, &ev); /* still pending */
    assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_NONE);
    assert_int_equal(ev.tx_len, 0);

    /* The caller builds with any type and MID; respond() fixes both. */
    rn = build(rsp, sizeof rsp, BW_COAP_CON, BW_COAP_CONTENT, 0, TOK,
               sizeof TOK, "42");
    assert_int_equal(bw_coap_endpoint_respond(&f.ep, T0 + 200, &req, rsp, rn),
                     0);
    assert_int_equal(rsp[0] >> 4 & 3, BW_COAP_ACK);
    assert_int_equal(rsp[2] << 8 | rsp[3], 0x2001);
    memcpy(sent, rsp, rn);
    memset(rsp, 0, sizeof rsp); /* the caller's buffer is free again */

    for (int i = 0; i < 3; i++) {
        bw_epfix_expect(&f, T0 + 1000 + (uint64_t)i, PEER_A, in, n, &ev,
                        BW_COAP_ENDPOINT_EV_NONE);
        assert_int_equal(ev.tx_len, rn);
        assert_memory_equal(ev.tx, sent, rn);
    }
    /* Answering twice is refused. */
    rn = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_CONTENT, 0, TOK,
               sizeof TOK, "43");
    bw_assert_err(bw_coap_endpoint_respond(&f.ep, T0 + 300, &req, rsp, rn),
                  BW_ESTATE);
}

/* A duplicate NON request is dropped, before and after the answer. */
static void test_duplicate_non_dropped(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, req;
    uint8_t in[64], rsp[64];
    size_t n, rn;
    (void)state;

    fix_init(&f, 2);
    n = build(in, sizeof in, BW_COAP_NON, BW_COAP_GET, 0x3001, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &req);
    assert_int_equal(req.type, BW_COAP_NON);
    bw_epfix_expect_dropped(&f, T0 + 1, PEER_A, in, n, &ev);
    /* The answer to a NON goes as NON with a fresh MID of ours. */
    rn = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_CONTENT, 0x3001, TOK,
               sizeof TOK, "v");
    assert_int_equal(bw_coap_endpoint_respond(&f.ep, T0 + 2, &req, rsp, rn), 0);
    assert_int_equal(rsp[0] >> 4 & 3, BW_COAP_NON);
    bw_epfix_expect_dropped(&f, T0 + 3, PEER_A, in, n, &ev);
}

/*
 * Entries expire: a duplicate CON one millisecond before
 * EXCHANGE_LIFETIME (247 s) still gets the stored answer; at the lifetime
 * the same MID is a new request.  NON entries last NON_LIFETIME (145 s).
 */
static void test_dedup_expiry(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, req;
    uint8_t in[64], rsp[64];
    size_t n, rn;
    const uint64_t el = 247000, nl = 145000;
    (void)state;

    fix_init(&f, 3);
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET, 0x4001, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &req);
    rn = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_CONTENT, 0, TOK,
               sizeof TOK, "a");
    assert_int_equal(bw_coap_endpoint_respond(&f.ep, T0, &req, rsp, rn), 0);
    bw_epfix_expect(&f, T0 + el - 1, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_NONE);
    assert_int_equal(ev.tx_len, rn);
    expect_request(&f, T0 + el, PEER_A, in, n, &ev);

    n = build(in, sizeof in, BW_COAP_NON, BW_COAP_GET, 0x4002, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &ev);
    bw_epfix_expect(&f, T0 + nl - 1, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_NONE);
    expect_request(&f, T0 + nl, PEER_A, in, n, &ev);
}

/* The same MID from two peers is two different messages. */
static void test_dedup_keyed_by_peer(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t in[64];
    size_t n;
    (void)state;

    fix_init(&f, 4);
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET, 0x5001, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &ev);
    expect_request(&f, T0, PEER_B, in, n, &ev);
    bw_epfix_expect(&f, T0, PEER_A, in, n, &ev, BW_COAP_ENDPOINT_EV_NONE);
}

/*
 * Server side of a separate response: accept() gives the Empty ACK (and a
 * duplicate of the request gets it again); later the response goes as a
 * CON of its own with a fresh MID, is retransmitted until the client's
 * ACK, which completes it with EV_DONE.
 */
static void test_separate_response_server(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, req;
    uint8_t in[64], rsp[64];
    const uint8_t *tx;
    size_t n, rn, tx_len;
    uint16_t mid;
    (void)state;

    fix_init(&f, 5);
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_POST, 0x6001, TOK, sizeof TOK,
              "body");
    expect_request(&f, T0, PEER_A, in, n, &req);
    assert_int_equal(bw_coap_endpoint_accept(&f.ep, T0, &req, &tx, &tx_len), 0);
    assert_int_equal(tx_len, 4);
    assert_memory_equal(tx, "\x60\x00\x60\x01", 4);
    bw_assert_err(bw_coap_endpoint_accept(&f.ep, T0, &req, &tx, &tx_len),
                  BW_ESTATE);
    bw_epfix_input(&f, T0 + 10, PEER_A, in, n, &ev);
    assert_int_equal(ev.tx_len, 4);
    assert_memory_equal(ev.tx, "\x60\x00\x60\x01", 4);

    rn = build(rsp, sizeof rsp, BW_COAP_CON, BW_COAP_CHANGED, 0, TOK,
               sizeof TOK, 0);
    assert_int_equal(bw_coap_endpoint_send(&f.ep, T0 + 500, PEER_A,
                                           sizeof PEER_A, rsp, rn, &mid),
                     0);
    assert_int_not_equal(bw_coap_endpoint_next_timeout(&f.ep),
                         BW_COAP_ENDPOINT_NEVER);
    assert_int_equal(
        bw_coap_endpoint_poll(&f.ep, bw_coap_endpoint_next_timeout(&f.ep), &ev),
        1);
    assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_RETRANSMIT);
    peer_empty(&f, T0 + 4000, BW_COAP_ACK, mid, &ev);
    assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_DONE);
    assert_int_equal(ev.mid, mid);
    assert_memory_equal(ev.token, TOK, sizeof TOK);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep),
                     BW_COAP_ENDPOINT_NEVER);
    /* accept() of a NON request makes no sense. */
    n = build(in, sizeof in, BW_COAP_NON, BW_COAP_GET, 0x6002, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &req);
    bw_assert_err(bw_coap_endpoint_accept(&f.ep, T0, &req, &tx, &tx_len),
                  BW_ESTATE);
}

/*
 * Client side of a separate response: the Empty ACK stops retransmission
 * and leaves the request waiting (timer moves to EXCHANGE_LIFETIME); the
 * CON response, matched by token though its MID is new, is delivered once
 * and ACKed; its retransmission gets the ACK again without a second
 * delivery.
 */
static void test_separate_response_client(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t req[64], in[64];
    size_t n, rn;
    uint16_t mid;
    (void)state;

    fix_init(&f, 6);
    rn = send_get(&f, BW_COAP_CON, req, sizeof req, &mid);
    peer_empty(&f, T0 + 50, BW_COAP_ACK, mid, &ev);
    assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_NONE);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep), T0 + 50 + 247000);
    assert_int_equal(bw_coap_endpoint_poll(&f.ep, T0 + 100000, &ev), 0);
    /* Still waiting: a second request to the peer is refused. */
    bw_assert_err(
        bw_coap_endpoint_send(&f.ep, T0, PEER_A, sizeof PEER_A, req, rn, NULL),
        BW_EBUSY);

    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_CONTENT, 0x7777, TOK,
              sizeof TOK, "late");
    bw_epfix_expect(&f, T0 + 9000, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_RESPONSE);
    assert_int_equal(ev.mid, mid);
    assert_memory_equal(ev.msg.payload, "late", 4);
    assert_int_equal(ev.tx_len, 4);
    assert_memory_equal(ev.tx, "\x60\x00\x77\x77", 4);
    bw_epfix_expect(&f, T0 + 9100, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_NONE);
    assert_int_equal(ev.tx_len, 4);
    assert_memory_equal(ev.tx, "\x60\x00\x77\x77", 4);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep),
                     BW_COAP_ENDPOINT_NEVER);
}

/*
 * A separate CON response that overtakes the lost Empty ACK acknowledges
 * the request implicitly (RFC 7252 section 5.2.2): delivered, ACKed, no
 * more retransmissions.  A NON separate response is delivered without ACK.
 */
static void test_separate_response_implicit_ack(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t req[64], in[64];
    size_t n;
    uint16_t mid;
    (void)state;

    fix_init(&f, 7);
    send_get(&f, BW_COAP_CON, req, sizeof req, &mid);
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_CONTENT, 0x1111, TOK,
              sizeof TOK, "x");
    bw_epfix_expect(&f, T0 + 10, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_RESPONSE);
    assert_int_equal(ev.tx_len, 4);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep),
                     BW_COAP_ENDPOINT_NEVER);

    send_get(&f, BW_COAP_CON, req, sizeof req, &mid);
    peer_empty(&f, T0 + 20, BW_COAP_ACK, mid, &ev);
    n = build(in, sizeof in, BW_COAP_NON, BW_COAP_CONTENT, 0x1112, TOK,
              sizeof TOK, "y");
    bw_epfix_expect(&f, T0 + 30, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_RESPONSE);
    assert_int_equal(ev.tx_len, 0);
}

/*
 * A request whose response never comes: after the Empty ACK the exchange
 * gives up at EXCHANGE_LIFETIME with BW_ETIMEOUT; a NON request gives up
 * at NON_LIFETIME.  An RST answering a NON request ends it with
 * BW_ERESET.
 */
static void test_response_timeout(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t req[64];
    size_t rn;
    uint16_t mid;
    (void)state;

    fix_init(&f, 8);
    rn = send_get(&f, BW_COAP_CON, req, sizeof req, &mid);
    peer_empty(&f, T0, BW_COAP_ACK, mid, &ev);
    assert_int_equal(bw_coap_endpoint_poll(&f.ep, T0 + 247000 - 1, &ev), 0);
    assert_int_equal(bw_coap_endpoint_poll(&f.ep, T0 + 247000, &ev), 1);
    assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_FAILED);
    bw_assert_err(ev.err, BW_ETIMEOUT);

    rn = send_get(&f, BW_COAP_NON, req, sizeof req, &mid);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep), T0 + 145000);
    assert_int_equal(bw_coap_endpoint_poll(&f.ep, T0 + 145000, &ev), 1);
    bw_assert_err(ev.err, BW_ETIMEOUT);

    assert_int_equal(
        bw_coap_endpoint_send(&f.ep, T0, PEER_A, sizeof PEER_A, req, rn, &mid),
        0);
    peer_empty(&f, T0 + 1, BW_COAP_RST, mid, &ev);
    assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_FAILED);
    bw_assert_err(ev.err, BW_ERESET);
}

/*
 * reject(): an RST for the request, repeated for its duplicates; for a
 * NON request an RST once, duplicates dropped.
 */
static void test_reject(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, req;
    uint8_t in[64];
    const uint8_t *tx;
    size_t n, tx_len;
    (void)state;

    fix_init(&f, 9);
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET, 0x8001, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &req);
    assert_int_equal(bw_coap_endpoint_reject(&f.ep, T0, &req, &tx, &tx_len), 0);
    assert_int_equal(tx_len, 4);
    assert_memory_equal(tx, "\x70\x00\x80\x01", 4);
    bw_epfix_input(&f, T0 + 1, PEER_A, in, n, &ev);
    assert_int_equal(ev.tx_len, 4);
    assert_memory_equal(ev.tx, "\x70\x00\x80\x01", 4);

    n = build(in, sizeof in, BW_COAP_NON, BW_COAP_GET, 0x8002, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &req);
    assert_int_equal(bw_coap_endpoint_reject(&f.ep, T0, &req, &tx, &tx_len), 0);
    assert_memory_equal(tx, "\x70\x00\x80\x02", 4);
    bw_epfix_input(&f, T0 + 1, PEER_A, in, n, &ev);
    assert_int_equal(ev.tx_len, 0);
}

/*
 * respond() errors: not a response (BW_EINVAL), unknown request
 * (BW_ESTATE), an answer longer than the slot (BW_ENOSPC, the request
 * still pending so a short 5.00 can follow), an expired entry (BW_ESTATE).
 */
static void test_respond_errors(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t req, other;
    uint8_t in[64], rsp[SLOT + 32];
    char big[SLOT];
    size_t n, rn;
    (void)state;

    fix_init(&f, 10);
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET, 0x9001, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &req);
    rn =
        build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_GET, 0, TOK, sizeof TOK, 0);
    bw_assert_err(bw_coap_endpoint_respond(&f.ep, T0, &req, rsp, rn),
                  BW_EINVAL);
    other = req;
    other.mid = 0x9002;
    rn = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_CONTENT, 0, TOK,
               sizeof TOK, 0);
    bw_assert_err(bw_coap_endpoint_respond(&f.ep, T0, &other, rsp, rn),
                  BW_ESTATE);
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rn = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_CONTENT, 0, TOK,
               sizeof TOK, big);
    bw_assert_err(bw_coap_endpoint_respond(&f.ep, T0, &req, rsp, rn),
                  BW_ENOSPC);
    rn = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_INTERNAL_ERROR, 0, TOK,
               sizeof TOK, 0);
    assert_int_equal(bw_coap_endpoint_respond(&f.ep, T0, &req, rsp, rn), 0);

    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET, 0x9003, TOK, sizeof TOK,
              0);
    expect_request(&f, T0, PEER_A, in, n, &req);
    bw_assert_err(bw_coap_endpoint_respond(&f.ep, T0 + 247000, &req, rsp, rn),
                  BW_ESTATE);
    bw_assert_err(bw_coap_endpoint_respond(&f.ep, T0, NULL, rsp, rn),
                  BW_EINVAL);
}

/*
 * The table holds BW_COAP_ENDPOINT_DEDUP_ENTRIES messages.  While all are
 * pending, one more request is refused with BW_ENOMEM and no RST (the peer
 * will retry); once one is answered, the next request evicts it.
 */
static void test_dedup_table_full(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, reqs[BW_COAP_ENDPOINT_DEDUP_ENTRIES];
    uint8_t in[64], rsp[64];
    size_t n, rn;
    (void)state;

    fix_init(&f, 11);
    for (int i = 0; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES; i++) {
        n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET,
                  (uint16_t)(0xa000 + i), TOK, sizeof TOK, 0);
        expect_request(&f, T0 + (uint64_t)i, PEER_A, in, n, &reqs[i]);
    }
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET, 0xa0ff, TOK, sizeof TOK,
              0);
    bw_epfix_expect(&f, T0 + 20, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_REJECTED);
    bw_assert_err(ev.err, BW_ENOMEM);
    assert_int_equal(ev.tx_len, 0);

    rn = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_CONTENT, 0, TOK,
               sizeof TOK, 0);
    assert_int_equal(bw_coap_endpoint_respond(&f.ep, T0, &reqs[3], rsp, rn), 0);
    expect_request(&f, T0 + 21, PEER_A, in, n, &ev);
    /* The evicted request's duplicate now counts as new. */
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET, 0xa003, TOK, sizeof TOK,
              0);
    bw_epfix_expect(&f, T0 + 22, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_REJECTED);
    bw_assert_err(ev.err, BW_ENOMEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_con_replayed),
        cmocka_unit_test(test_duplicate_non_dropped),
        cmocka_unit_test(test_dedup_expiry),
        cmocka_unit_test(test_dedup_keyed_by_peer),
        cmocka_unit_test(test_separate_response_server),
        cmocka_unit_test(test_separate_response_client),
        cmocka_unit_test(test_separate_response_implicit_ack),
        cmocka_unit_test(test_response_timeout),
        cmocka_unit_test(test_reject),
        cmocka_unit_test(test_respond_errors),
        cmocka_unit_test(test_dedup_table_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
