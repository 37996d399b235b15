/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message layer, responses that match no request of ours
 * (EV_UNMATCHED): the client side of observe, where notifications carry
 * the token of a request whose exchange ended long ago.  The application
 * takes them with accept() or refuses them with reject(); duplicates get
 * the same answer; an application that does nothing still rejects a
 * retransmitted CON; the deduplication table's limits apply.  Fake clock,
 * hand-made datagrams.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_endpoint.h"
#include "coap_endpoint_fixture.h"

#define SLOT 128
#define T0   7000u
#define EL   247000u /* EXCHANGE_LIFETIME with the default parameters */

#define PEER_A BW_EPFIX_PEER_A
#define PEER_B BW_EPFIX_PEER_B
static const uint8_t TOK[] = {0x0b, 0x5e, 0x77};
static const uint8_t OTHER_TOK[] = {0x0b, 0x5e, 0x78};

typedef bw_epfix_t fix_t;

static void fix_init(fix_t *f, uint64_t seed)
{
    bw_epfix_init(f, NULL, seed, SLOT);
}

/* A message with an Observe option (sequence obs) when obs >= 0. */
static size_t build(uint8_t *buf, size_t cap, uint8_t type, uint8_t code,
                    uint16_t mid, const uint8_t *tok, size_t tkl, long obs,
                    const char *payload)
{
    return bw_epfix_build(buf, cap, type, code, mid, tok, tkl, obs, NULL,
                          payload);
}

/* Notifications carry TOK or OTHER_TOK: one token length serves both. */
_Static_assert(sizeof TOK == sizeof OTHER_TOK, "token lengths differ");

/*
 * A 2.05 notification (type, mid, token tok, Observe obs, payload) built
 * in in (64 bytes) arrives from PEER_A at now and is reported as
 * EV_UNMATCHED in *ev; returns its length for replays.
 */
static size_t notify(fix_t *f, uint64_t now, uint8_t *in, uint8_t type,
                     uint16_t mid, const uint8_t *tok, long obs,
                     const char *payload, bw_coap_endpoint_event_t *ev)
{
    size_t n = build(in, 64, type, BW_COAP_CONTENT, mid, tok, sizeof TOK, obs,
                     payload);
    bw_epfix_expect(f, now, PEER_A, in, n, ev, BW_COAP_ENDPOINT_EV_UNMATCHED);
    return n;
}

/*
 * Register an observation with PEER_A: CON GET with Observe 0, answered by
 * a piggybacked 2.05 with Observe.  Afterwards no exchange is left.
 */
static void observe(fix_t *f)
{
    bw_coap_endpoint_event_t ev;
    uint8_t req[64], rsp[64];
    size_t n;
    uint16_t mid;

    n = build(req, sizeof req, BW_COAP_CON, BW_COAP_GET, 0, TOK, sizeof TOK, 0,
              NULL);
    assert_int_equal(
        bw_coap_endpoint_send(&f->ep, T0, PEER_A, sizeof PEER_A, req, n, &mid),
        0);
    n = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_CONTENT, mid, TOK,
              sizeof TOK, 1, "20");
    bw_epfix_expect(f, T0 + 40, PEER_A, rsp, n, &ev,
                    BW_COAP_ENDPOINT_EV_RESPONSE);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f->ep),
                     BW_COAP_ENDPOINT_NEVER);
}

/*
 * A CON notification arriving after the registration exchange ended is
 * reported as EV_UNMATCHED with its own type, MID, token and payload, and
 * the endpoint sends nothing by itself.  accept() produces the Empty ACK;
 * each duplicate within EXCHANGE_LIFETIME gets that ACK again and is not
 * reported; deciding twice, or answering it like a request, is refused.
 * After the lifetime the same MID counts as a new message.
 */
static void test_con_notification_accepted(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, note;
    uint8_t in[64], rsp[64];
    const uint8_t *tx;
    size_t n, tx_len;
    (void)state;

    fix_init(&f, 1);
    observe(&f);
    n = notify(&f, T0 + 60000, in, BW_COAP_CON, 0x5a01, TOK, 2, "21", &note);
    assert_int_equal(note.err, 0);
    assert_int_equal(note.type, BW_COAP_CON);
    assert_int_equal(note.mid, 0x5a01);
    assert_int_equal(note.token_len, sizeof TOK);
    assert_memory_equal(note.token, TOK, sizeof TOK);
    assert_int_equal(note.msg.payload_len, 2);
    assert_memory_equal(note.msg.payload, "21", 2);
    assert_memory_equal(note.peer.addr, PEER_A, sizeof PEER_A);
    assert_int_equal(note.tx_len, 0);

    n = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_CONTENT, 0, TOK, sizeof TOK,
              -1, NULL);
    bw_assert_err(bw_coap_endpoint_respond(&f.ep, T0 + 60000, &note, rsp, n),
                  BW_ESTATE);
    assert_int_equal(
        bw_coap_endpoint_accept(&f.ep, T0 + 60000, &note, &tx, &tx_len), 0);
    bw_epfix_expect_empty(tx, tx_len, BW_COAP_ACK, 0x5a01);
    bw_assert_err(
        bw_coap_endpoint_accept(&f.ep, T0 + 60000, &note, &tx, &tx_len),
        BW_ESTATE);
    assert_null(tx);
    bw_assert_err(
        bw_coap_endpoint_reject(&f.ep, T0 + 60000, &note, &tx, &tx_len),
        BW_ESTATE);

    for (int i = 1; i <= 3; i++) { /* our ACK was lost three times */
        bw_epfix_expect(&f, T0 + 60000 + 3000u * (unsigned)i, PEER_A, in, n,
                        &ev, BW_COAP_ENDPOINT_EV_NONE);
        bw_epfix_expect_empty(ev.tx, ev.tx_len, BW_COAP_ACK, 0x5a01);
    }
    bw_epfix_input(&f, T0 + 60000 + EL - 1, PEER_A, in, n, &ev);
    bw_epfix_expect_empty(ev.tx, ev.tx_len, BW_COAP_ACK, 0x5a01);
    bw_epfix_expect(&f, T0 + 60000 + EL, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_UNMATCHED);
    assert_int_equal(ev.tx_len, 0);
}

/*
 * reject() of a CON notification with a token the application does not
 * know gives an RST for its MID, which every duplicate gets again; the
 * application is not told about the duplicates.
 */
static void test_con_notification_rejected(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, note;
    uint8_t in[64];
    const uint8_t *tx;
    size_t n, tx_len;
    (void)state;

    fix_init(&f, 2);
    n = notify(&f, T0, in, BW_COAP_CON, 0x5b01, OTHER_TOK, 9, "x", &note);
    assert_int_equal(
        bw_coap_endpoint_reject(&f.ep, T0 + 1, &note, &tx, &tx_len), 0);
    bw_epfix_expect_empty(tx, tx_len, BW_COAP_RST, 0x5b01);
    bw_assert_err(bw_coap_endpoint_accept(&f.ep, T0 + 2, &note, &tx, &tx_len),
                  BW_ESTATE);
    for (int i = 0; i < 2; i++) {
        bw_epfix_expect(&f, T0 + 2500u * (unsigned)(i + 1), PEER_A, in, n, &ev,
                        BW_COAP_ENDPOINT_EV_NONE);
        bw_epfix_expect_empty(ev.tx, ev.tx_len, BW_COAP_RST, 0x5b01);
    }
}

/*
 * A NON notification is reported the same way (type NON).  accept() sends
 * nothing (tx NULL, length 0) and succeeds; a duplicate is dropped
 * without a report.  reject() of another NON notification gives one RST;
 * its duplicate is dropped silently.
 */
static void test_non_notification(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, note;
    uint8_t in[64];
    const uint8_t *tx = (const uint8_t *)"junk";
    size_t n, tx_len = 99;
    (void)state;

    fix_init(&f, 3);
    observe(&f);
    n = notify(&f, T0 + 5000, in, BW_COAP_NON, 0x5c01, TOK, 3, "22", &note);
    assert_int_equal(note.type, BW_COAP_NON);
    assert_int_equal(note.mid, 0x5c01);
    assert_memory_equal(note.token, TOK, sizeof TOK);
    assert_int_equal(note.tx_len, 0);
    assert_int_equal(
        bw_coap_endpoint_accept(&f.ep, T0 + 5000, &note, &tx, &tx_len), 0);
    assert_null(tx);
    assert_int_equal(tx_len, 0);
    bw_epfix_expect_dropped(&f, T0 + 5001, PEER_A, in, n, &ev);

    n = notify(&f, T0 + 6000, in, BW_COAP_NON, 0x5c02, OTHER_TOK, 4, "23",
               &note);
    assert_int_equal(
        bw_coap_endpoint_reject(&f.ep, T0 + 6000, &note, &tx, &tx_len), 0);
    bw_epfix_expect_empty(tx, tx_len, BW_COAP_RST, 0x5c02);
    bw_epfix_expect_dropped(&f, T0 + 6001, PEER_A, in, n, &ev);
}

/*
 * An application that ignores EV_UNMATCHED: the first transmission of a
 * CON gets no answer; its retransmission gets an RST sent on the
 * application's behalf (RFC 7252 section 5.3.2), and so does every later
 * one; a late decision is refused.  An ignored NON's duplicate is dropped.
 */
static void test_ignored(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, note;
    uint8_t in[64];
    const uint8_t *tx;
    size_t n, tx_len;
    (void)state;

    fix_init(&f, 4);
    n = notify(&f, T0, in, BW_COAP_CON, 0x5d01, TOK, 5, "24", &note);
    assert_int_equal(note.tx_len, 0);
    bw_epfix_expect(&f, T0 + 2500, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_NONE);
    bw_epfix_expect_empty(ev.tx, ev.tx_len, BW_COAP_RST, 0x5d01);
    bw_epfix_input(&f, T0 + 7500, PEER_A, in, n, &ev);
    bw_epfix_expect_empty(ev.tx, ev.tx_len, BW_COAP_RST, 0x5d01);
    bw_assert_err(
        bw_coap_endpoint_accept(&f.ep, T0 + 7500, &note, &tx, &tx_len),
        BW_ESTATE);

    n = notify(&f, T0, in, BW_COAP_NON, 0x5d02, TOK, 6, "25", &note);
    bw_epfix_expect_dropped(&f, T0 + 1, PEER_A, in, n, &ev);
}

/*
 * Matching is by peer and token: while a request to PEER_A is
 * outstanding, a response with another token, or with its token from
 * PEER_B, is unmatched and leaves the request untouched (still
 * retransmitted on schedule); the right one from PEER_A is its response.
 */
static void test_match_by_peer_and_token(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t req[64], in[64];
    size_t n;
    uint16_t mid;
    uint64_t due;
    (void)state;

    fix_init(&f, 5);
    n = build(req, sizeof req, BW_COAP_CON, BW_COAP_GET, 0, TOK, sizeof TOK, -1,
              NULL);
    assert_int_equal(
        bw_coap_endpoint_send(&f.ep, T0, PEER_A, sizeof PEER_A, req, n, &mid),
        0);
    due = bw_coap_endpoint_next_timeout(&f.ep);
    n = notify(&f, T0 + 10, in, BW_COAP_CON, 0x5e01, OTHER_TOK, -1, "a", &ev);
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_CONTENT, 0x5e02, TOK,
              sizeof TOK, -1, "b");
    bw_epfix_expect(&f, T0 + 20, PEER_B, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_UNMATCHED);
    assert_memory_equal(ev.peer.addr, PEER_B, sizeof PEER_B);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep), due);

    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_CONTENT, 0x5e03, TOK,
              sizeof TOK, -1, "c");
    bw_epfix_expect(&f, T0 + 30, PEER_A, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_RESPONSE);
    assert_int_equal(ev.mid, mid);
    bw_epfix_expect_empty(ev.tx, ev.tx_len, BW_COAP_ACK, 0x5e03);
}

/*
 * The deduplication table and unmatched responses.  When every entry
 * holds a request still waiting for the application, an unmatched CON is
 * dropped with no answer at all and reported as BW_ENOMEM.  When an entry
 * must be evicted, an undecided unmatched response goes before answered
 * entries: its duplicate is then reported again as new, while the
 * answered requests' duplicates still get their replies.
 */
static void test_table_limits(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev, reqs[BW_COAP_ENDPOINT_DEDUP_ENTRIES];
    uint8_t in[64], note[64], rsp[64];
    const uint8_t *tx;
    size_t n, nn, tx_len;
    (void)state;

    fix_init(&f, 6);
    for (int i = 0; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES; i++) {
        n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET,
                  (uint16_t)(0x6000 + i), TOK, sizeof TOK, -1, NULL);
        bw_epfix_input(&f, T0 + (uint64_t)i, PEER_B, in, n, &reqs[i]);
        assert_int_equal(reqs[i].kind, BW_COAP_ENDPOINT_EV_REQUEST);
    }
    nn = build(note, sizeof note, BW_COAP_CON, BW_COAP_CONTENT, 0x6100, TOK,
               sizeof TOK, 7, "26");
    bw_epfix_expect(&f, T0 + 10, PEER_A, note, nn, &ev,
                    BW_COAP_ENDPOINT_EV_REJECTED);
    bw_assert_err(ev.err, BW_ENOMEM);
    assert_int_equal(ev.tx_len, 0);

    /* Answer all but one; the notification evicts the oldest answer. */
    for (int i = 0; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES - 1; i++)
        assert_int_equal(
            bw_coap_endpoint_accept(&f.ep, T0 + 20, &reqs[i], &tx, &tx_len), 0);
    bw_epfix_expect(&f, T0 + 30, PEER_A, note, nn, &ev,
                    BW_COAP_ENDPOINT_EV_UNMATCHED);
    /* Left undecided; a new request must evict something: the
     * notification, though request 1's answered entry is older. */
    n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET, 0x6200, TOK, sizeof TOK,
              -1, NULL);
    bw_epfix_expect(&f, T0 + 40, PEER_B, in, n, &ev,
                    BW_COAP_ENDPOINT_EV_REQUEST);
    n = build(rsp, sizeof rsp, BW_COAP_ACK, BW_COAP_CONTENT, 0, TOK, sizeof TOK,
              -1, NULL);
    assert_int_equal(bw_coap_endpoint_respond(&f.ep, T0 + 41, &ev, rsp, n), 0);
    for (int i = 1; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES - 1; i++) {
        n = build(in, sizeof in, BW_COAP_CON, BW_COAP_GET,
                  (uint16_t)(0x6000 + i), TOK, sizeof TOK, -1, NULL);
        bw_epfix_expect(&f, T0 + 50, PEER_B, in, n, &ev,
                        BW_COAP_ENDPOINT_EV_NONE);
        bw_epfix_expect_empty(ev.tx, ev.tx_len, BW_COAP_ACK,
                              (uint16_t)(0x6000 + i));
    }
    /* Its retransmission is new again (no RST: it was never seen). */
    bw_epfix_expect(&f, T0 + 60, PEER_A, note, nn, &ev,
                    BW_COAP_ENDPOINT_EV_UNMATCHED);
    assert_int_equal(ev.tx_len, 0);
}

/*
 * accept()/reject() take only a message waiting for a decision: an event
 * of another kind (a response to our own request) or a made-up MID is
 * BW_ESTATE; NULL arguments are BW_EINVAL with *tx cleared.
 */
static void test_decision_errors(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t note, fake;
    uint8_t in[64];
    const uint8_t *tx = in;
    size_t tx_len = 5;
    (void)state;

    fix_init(&f, 7);
    (void)notify(&f, T0, in, BW_COAP_CON, 0x6301, TOK, -1, "z", &note);
    fake = note;
    fake.mid = 0x6302;
    bw_assert_err(bw_coap_endpoint_accept(&f.ep, T0, &fake, &tx, &tx_len),
                  BW_ESTATE);
    fake = note;
    fake.peer.len = 0;
    bw_assert_err(bw_coap_endpoint_reject(&f.ep, T0, &fake, &tx, &tx_len),
                  BW_ESTATE);
    bw_assert_err(bw_coap_endpoint_accept(&f.ep, T0, NULL, &tx, &tx_len),
                  BW_EINVAL);
    assert_null(tx);
    assert_int_equal(tx_len, 0);
    bw_assert_err(bw_coap_endpoint_reject(&f.ep, T0, &note, NULL, &tx_len),
                  BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_accept(NULL, T0, &note, &tx, &tx_len),
                  BW_EINVAL);
    /* Still undecided after all the refused calls. */
    assert_int_equal(bw_coap_endpoint_accept(&f.ep, T0, &note, &tx, &tx_len),
                     0);
    bw_epfix_expect_empty(tx, tx_len, BW_COAP_ACK, 0x6301);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_con_notification_accepted),
        cmocka_unit_test(test_con_notification_rejected),
        cmocka_unit_test(test_non_notification),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_match_by_peer_and_token),
        cmocka_unit_test(test_table_limits),
        cmocka_unit_test(test_decision_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
