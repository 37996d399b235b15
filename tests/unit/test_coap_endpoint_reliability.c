/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message layer, sending side: CON retransmission schedule, give-up,
 * ACK and RST matching, NSTART, pings, message IDs, parameters, and how
 * malformed or unexpected datagrams are answered.  Driven by a fake clock
 * (plain numbers) and hand-made datagrams.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_endpoint.h"
#include "coap_endpoint_fixture.h"

#define SLOT 256
#define T0   1000u /* arbitrary start time: the clock origin is the caller's */

#define PEER_A BW_EPFIX_PEER_A
#define PEER_B BW_EPFIX_PEER_B
static const uint8_t TOK[] = {0xa1, 0xb2, 0xc3, 0xd4};

typedef bw_epfix_t fix_t;

static void fix_init(fix_t *f, const bw_coap_endpoint_params_t *p,
                     uint64_t seed)
{
    bw_epfix_init(f, p, seed, SLOT);
}

/* Build a datagram; requests carry Uri-Path "rd". */
static size_t build(uint8_t *buf, size_t cap, uint8_t type, uint8_t code,
                    uint16_t mid, const uint8_t *tok, size_t tkl,
                    const char *payload)
{
    const char *path =
        code != BW_COAP_EMPTY && BW_COAP_CODE_CLASS(code) == 0 ? "rd" : NULL;
    return bw_epfix_build(buf, cap, type, code, mid, tok, tkl,
                          BW_EPFIX_NO_OBSERVE, path, payload);
}

static uint16_t mid_of(const uint8_t *dgram)
{
    return (uint16_t)(dgram[2] << 8 | dgram[3]);
}

/* Send a CON GET with TOK to peer; returns its MID. */
static uint16_t send_get(fix_t *f, uint64_t now, const uint8_t *peer,
                         uint8_t *msg, size_t *len)
{
    uint16_t mid;
    *len = build(msg, SLOT, BW_COAP_CON, BW_COAP_GET, 0, TOK, sizeof TOK, 0);
    assert_int_equal(bw_coap_endpoint_send(&f->ep, now, peer, sizeof PEER_A,
                                           msg, *len, &mid),
                     0);
    assert_int_equal(mid_of(msg), mid);
    return mid;
}

/*
 * The whole schedule of an unanswered CON: first timeout in
 * [ACK_TIMEOUT, ACK_TIMEOUT * 1.5], each retransmission doubles it, the
 * retransmitted bytes are the original's, exactly MAX_RETRANSMIT (4)
 * retransmissions happen, and the give-up comes one doubled timeout after
 * the last as BW_ETIMEOUT.  Nothing happens a millisecond early.
 */
static void test_retransmission_schedule(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t msg[SLOT];
    size_t len;
    uint64_t first, t, timeout;
    unsigned retransmits = 0;
    (void)state;

    fix_init(&f, NULL, 7);
    uint16_t mid = send_get(&f, T0, PEER_A, msg, &len);
    first = bw_coap_endpoint_next_timeout(&f.ep) - T0;
    assert_true(first >= 2000 && first <= 3000);
    timeout = first;
    t = T0;
    for (;;) {
        uint64_t due = bw_coap_endpoint_next_timeout(&f.ep);
        assert_int_equal(due - t, timeout);
        assert_int_equal(bw_coap_endpoint_poll(&f.ep, due - 1, &ev), 0);
        assert_int_equal(bw_coap_endpoint_poll(&f.ep, due, &ev), 1);
        t = due;
        if (ev.kind == BW_COAP_ENDPOINT_EV_FAILED)
            break;
        assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_RETRANSMIT);
        assert_int_equal(ev.mid, mid);
        assert_int_equal(ev.tx_len, len);
        assert_memory_equal(ev.tx, msg, len);
        assert_memory_equal(ev.peer.addr, PEER_A, sizeof PEER_A);
        retransmits++;
        timeout *= 2;
    }
    bw_assert_err(ev.err, BW_ETIMEOUT);
    assert_int_equal(ev.mid, mid);
    assert_memory_equal(ev.token, TOK, sizeof TOK);
    assert_int_equal(retransmits, 4);
    assert_int_equal(t - T0, 31 * first); /* 1+2+4+8+16 timeouts */
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep),
                     BW_COAP_ENDPOINT_NEVER);
    assert_int_equal(bw_coap_endpoint_poll(&f.ep, UINT64_MAX - 1, &ev), 0);
}

/*
 * Over many seeds the initial timeout stays inside [2000, 3000] and
 * actually spreads over it (the jitter is not stuck at one end).
 */
static void test_initial_timeout_jitter(void **state)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    uint8_t msg[SLOT];
    size_t len;
    (void)state;

    for (uint64_t seed = 1; seed <= 300; seed++) {
        fix_t f;
        fix_init(&f, NULL, seed);
        send_get(&f, 0, PEER_A, msg, &len);
        uint64_t d = bw_coap_endpoint_next_timeout(&f.ep);
        assert_true(d >= 2000 && d <= 3000);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    assert_true(lo < 2100);
    assert_true(hi > 2900);
}

/*
 * Custom parameters: ACK_TIMEOUT 500 ms, no jitter (factor 1.0),
 * MAX_RETRANSMIT 2.  Retransmissions at exactly +500 and +1500, give-up
 * at +3500; lifetimes follow RFC 7252 section 4.8.2.
 */
static void test_custom_params(void **state)
{
    bw_coap_endpoint_params_t p;
    bw_coap_endpoint_event_t ev;
    fix_t f;
    uint8_t msg[SLOT];
    size_t len;
    (void)state;

    bw_coap_endpoint_params_default(&p);
    p.ack_timeout_ms = 500;
    p.ack_random_factor_milli = 1000;
    p.max_retransmit = 2;
    fix_init(&f, &p, 3);
    /* span = 500 * 3 = 1500; EL = 1500 + 200000 + 2000; NL = 101500 */
    assert_int_equal(bw_coap_endpoint_exchange_lifetime(&f.ep), 203500);
    assert_int_equal(bw_coap_endpoint_non_lifetime(&f.ep), 101500);
    send_get(&f, 0, PEER_A, msg, &len);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep), 500);
    assert_int_equal(bw_coap_endpoint_poll(&f.ep, 500, &ev), 1);
    assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_RETRANSMIT);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep), 1500);
    assert_int_equal(bw_coap_endpoint_poll(&f.ep, 1500, &ev), 1);
    assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_RETRANSMIT);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep), 3500);
    assert_int_equal(bw_coap_endpoint_poll(&f.ep, 3500, &ev), 1);
    assert_int_equal(ev.kind, BW_COAP_ENDPOINT_EV_FAILED);
    bw_assert_err(ev.err, BW_ETIMEOUT);
}

/* The RFC defaults and the lifetimes derived from them (247 s, 145 s). */
static void test_default_params(void **state)
{
    bw_coap_endpoint_params_t p;
    fix_t f;
    (void)state;

    bw_coap_endpoint_params_default(&p);
    assert_int_equal(p.ack_timeout_ms, 2000);
    assert_int_equal(p.ack_random_factor_milli, 1500);
    assert_int_equal(p.max_retransmit, 4);
    assert_int_equal(p.nstart, 1);
    fix_init(&f, NULL, 1);
    assert_int_equal(bw_coap_endpoint_exchange_lifetime(&f.ep), 247000);
    assert_int_equal(bw_coap_endpoint_non_lifetime(&f.ep), 145000);
}

/* Every out-of-range parameter and bad buffer is refused with BW_EINVAL. */
static void test_init_invalid(void **state)
{
    bw_coap_endpoint_params_t p;
    fix_t f;
    (void)state;

    bw_assert_err(
        bw_coap_endpoint_init(NULL, NULL, 1, f.arena, sizeof f.arena, SLOT),
        BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_init(&f.ep, NULL, 1, NULL, 0, SLOT),
                  BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_init(&f.ep, NULL, 1, f.arena,
                                        sizeof f.arena - 1, SLOT),
                  BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_init(&f.ep, NULL, 1, f.arena, sizeof f.arena,
                                        BW_COAP_ENDPOINT_MIN_SLOT_LEN - 1),
                  BW_EINVAL);
    const struct {
        uint32_t timeout;
        uint16_t factor;
        uint8_t retx, nstart;
    } bad[] = {
        {0, 1500, 4, 1},
        {2000, 999, 4, 1},
        {2000, BW_COAP_ENDPOINT_MAX_RANDOM_FACTOR_MILLI + 1, 4, 1},
        {2000, 1500, BW_COAP_ENDPOINT_MAX_RETRANSMIT_LIMIT + 1, 1},
        {2000, 1500, 4, 0},
        {2000, 1500, 4, BW_COAP_ENDPOINT_MAX_EXCHANGES + 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bw_coap_endpoint_params_default(&p);
        p.ack_timeout_ms = bad[i].timeout;
        p.ack_random_factor_milli = bad[i].factor;
        p.max_retransmit = bad[i].retx;
        p.nstart = bad[i].nstart;
        bw_assert_err(
            bw_coap_endpoint_init(&f.ep, &p, 1, f.arena, sizeof f.arena, SLOT),
            BW_EINVAL);
    }
}

/*
 * A piggybacked response (ACK, same MID, same token) ends the exchange:
 * reported once as EV_RESPONSE with the message, and no more timers.
 * An ACK with the right MID from another peer, or with another MID, or
 * with the right MID but another token, is refused as stale and the CON
 * keeps being retransmitted.
 */
static void test_ack_stops_retransmission(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t msg[SLOT], ack[SLOT];
    static const uint8_t other_tok[] = {9, 9, 9, 9};
    size_t len, n;
    (void)state;

    fix_init(&f, NULL, 11);
    uint16_t mid = send_get(&f, T0, PEER_A, msg, &len);

    n = build(ack, sizeof ack, BW_COAP_ACK, BW_COAP_CONTENT, mid, TOK,
              sizeof TOK, "hello");
    bw_epfix_expect(&f, T0 + 10, PEER_B, ack, n, &ev,
                    BW_COAP_ENDPOINT_EV_REJECTED);
    bw_assert_err(ev.err, BW_ESTALE);

    n = build(ack, sizeof ack, BW_COAP_ACK, BW_COAP_CONTENT,
              (uint16_t)(mid + 1), TOK, sizeof TOK, "hello");
    bw_epfix_input(&f, T0 + 10, PEER_A, ack, n, &ev);
    bw_assert_err(ev.err, BW_ESTALE);

    n = build(ack, sizeof ack, BW_COAP_ACK, BW_COAP_CONTENT, mid, other_tok,
              sizeof other_tok, "hello");
    bw_epfix_input(&f, T0 + 10, PEER_A, ack, n, &ev);
    bw_assert_err(ev.err, BW_ESTALE);
    assert_int_not_equal(bw_coap_endpoint_next_timeout(&f.ep),
                         BW_COAP_ENDPOINT_NEVER);

    n = build(ack, sizeof ack, BW_COAP_ACK, BW_COAP_CONTENT, mid, TOK,
              sizeof TOK, "hello");
    bw_epfix_expect(&f, T0 + 20, PEER_A, ack, n, &ev,
                    BW_COAP_ENDPOINT_EV_RESPONSE);
    assert_int_equal(ev.err, 0);
    assert_int_equal(ev.mid, mid);
    assert_int_equal(ev.msg.code, BW_COAP_CONTENT);
    assert_int_equal(ev.msg.payload_len, 5);
    assert_memory_equal(ev.msg.payload, "hello", 5);
    assert_int_equal(ev.tx_len, 0);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep),
                     BW_COAP_ENDPOINT_NEVER);
    assert_int_equal(bw_coap_endpoint_poll(&f.ep, T0 + 1000000, &ev), 0);

    /* The same ACK again finds nothing: stale, no second response. */
    bw_epfix_expect(&f, T0 + 30, PEER_A, ack, n, &ev,
                    BW_COAP_ENDPOINT_EV_REJECTED);
    bw_assert_err(ev.err, BW_ESTALE);
}

/* An RST to our CON ends the exchange with BW_ERESET and stops timers. */
static void test_rst_ends_exchange(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t msg[SLOT], rst[8];
    size_t len, n;
    (void)state;

    fix_init(&f, NULL, 12);
    uint16_t mid = send_get(&f, T0, PEER_A, msg, &len);
    n = build(rst, sizeof rst, BW_COAP_RST, BW_COAP_EMPTY, mid, NULL, 0, 0);
    bw_epfix_expect(&f, T0 + 5, PEER_A, rst, n, &ev,
                    BW_COAP_ENDPOINT_EV_FAILED);
    bw_assert_err(ev.err, BW_ERESET);
    assert_int_equal(ev.mid, mid);
    assert_memory_equal(ev.token, TOK, sizeof TOK);
    assert_int_equal(bw_coap_endpoint_next_timeout(&f.ep),
                     BW_COAP_ENDPOINT_NEVER);
    /* A second RST is stale. */
    bw_epfix_input(&f, T0 + 6, PEER_A, rst, n, &ev);
    bw_assert_err(ev.err, BW_ESTALE);
}

/*
 * NSTART = 1: a second request to the same peer is refused with BW_EBUSY
 * (nothing recorded, the buffer untouched) while another peer is free; once
 * the first exchange ends, the peer accepts a request again.  A CON
 * response (notification) is not a request and is not limited.
 */
static void test_nstart(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t msg[SLOT], msg2[SLOT], copy[SLOT], ack[8];
    size_t len, len2, n;
    uint16_t mid2;
    (void)state;

    fix_init(&f, NULL, 13);
    uint16_t mid = send_get(&f, T0, PEER_A, msg, &len);
    len2 = build(msg2, sizeof msg2, BW_COAP_CON, BW_COAP_GET, 0x4242, TOK,
                 sizeof TOK, 0);
    memcpy(copy, msg2, len2);
    bw_assert_err(bw_coap_endpoint_send(&f.ep, T0, PEER_A, sizeof PEER_A, msg2,
                                        len2, &mid2),
                  BW_EBUSY);
    assert_memory_equal(copy, msg2, len2);
    assert_int_equal(mid2, 0);
    /* A NON request counts as outstanding too. */
    len2 = build(msg2, sizeof msg2, BW_COAP_NON, BW_COAP_GET, 0, TOK,
                 sizeof TOK, 0);
    bw_assert_err(bw_coap_endpoint_send(&f.ep, T0, PEER_A, sizeof PEER_A, msg2,
                                        len2, NULL),
                  BW_EBUSY);
    /* Another peer is not affected. */
    assert_int_equal(bw_coap_endpoint_send(&f.ep, T0, PEER_B, sizeof PEER_B,
                                           msg2, len2, NULL),
                     0);
    /* A CON notification to A is allowed. */
    len2 = build(msg2, sizeof msg2, BW_COAP_CON, BW_COAP_CONTENT, 0, TOK,
                 sizeof TOK, "22.5");
    assert_int_equal(bw_coap_endpoint_send(&f.ep, T0, PEER_A, sizeof PEER_A,
                                           msg2, len2, NULL),
                     0);
    /* End the first exchange; A takes a request again. */
    n = build(ack, sizeof ack, BW_COAP_RST, BW_COAP_EMPTY, mid, NULL, 0, 0);
    bw_epfix_expect(&f, T0 + 1, PEER_A, ack, n, &ev,
                    BW_COAP_ENDPOINT_EV_FAILED);
    len2 = build(msg2, sizeof msg2, BW_COAP_CON, BW_COAP_GET, 0, TOK,
                 sizeof TOK, 0);
    assert_int_equal(bw_coap_endpoint_send(&f.ep, T0 + 2, PEER_A, sizeof PEER_A,
                                           msg2, len2, NULL),
                     0);
}

/*
 * With NSTART raised to 4, the exchange table (4 rows) is the limit: the
 * fifth message is refused with BW_ENOMEM; cancel() frees a row.  MIDs
 * come out consecutive and never collide.
 */
static void test_table_full_and_cancel(void **state)
{
    bw_coap_endpoint_params_t p;
    fix_t f;
    uint8_t msg[SLOT];
    size_t len;
    uint16_t mids[BW_COAP_ENDPOINT_MAX_EXCHANGES + 1];
    (void)state;

    bw_coap_endpoint_params_default(&p);
    p.nstart = BW_COAP_ENDPOINT_MAX_EXCHANGES;
    fix_init(&f, &p, 14);
    for (int i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++) {
        mids[i] = send_get(&f, T0, PEER_A, msg, &len);
        if (i > 0)
            assert_int_equal(mids[i], (uint16_t)(mids[i - 1] + 1));
    }
    len =
        build(msg, sizeof msg, BW_COAP_CON, BW_COAP_GET, 0, TOK, sizeof TOK, 0);
    bw_assert_err(
        bw_coap_endpoint_send(&f.ep, T0, PEER_B, sizeof PEER_B, msg, len, NULL),
        BW_ENOMEM);
    bw_assert_err(bw_coap_endpoint_cancel(&f.ep, (uint16_t)(mids[3] + 7)),
                  BW_ENOTFOUND);
    assert_int_equal(bw_coap_endpoint_cancel(&f.ep, mids[1]), 0);
    bw_assert_err(bw_coap_endpoint_cancel(&f.ep, mids[1]), BW_ENOTFOUND);
    assert_int_equal(
        bw_coap_endpoint_send(&f.ep, T0, PEER_B, sizeof PEER_B, msg, len, NULL),
        0);
}

/*
 * Ping both ways: an Empty CON received is answered with an RST carrying
 * its MID and reported as nothing; an Empty CON we send completes with
 * EV_DONE when the RST comes back.
 */
static void test_ping(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t ping[8], rst[8];
    size_t n;
    uint16_t mid;
    (void)state;

    fix_init(&f, NULL, 15);
    n = build(ping, sizeof ping, BW_COAP_CON, BW_COAP_EMPTY, 0xbeef, NULL, 0,
              0);
    bw_epfix_expect(&f, T0, PEER_A, ping, n, &ev, BW_COAP_ENDPOINT_EV_NONE);
    assert_int_equal(ev.tx_len, 4);
    assert_memory_equal(ev.tx, "\x70\x00\xbe\xef", 4);

    n = build(ping, sizeof ping, BW_COAP_CON, BW_COAP_EMPTY, 0, NULL, 0, 0);
    assert_int_equal(
        bw_coap_endpoint_send(&f.ep, T0, PEER_B, sizeof PEER_B, ping, n, &mid),
        0);
    n = build(rst, sizeof rst, BW_COAP_RST, BW_COAP_EMPTY, mid, NULL, 0, 0);
    bw_epfix_expect(&f, T0 + 3, PEER_B, rst, n, &ev, BW_COAP_ENDPOINT_EV_DONE);
    assert_int_equal(ev.err, 0);
    assert_int_equal(ev.mid, mid);
    /* An Empty NON is not a valid message. */
    n = build(ping, sizeof ping, BW_COAP_NON, BW_COAP_EMPTY, 1, NULL, 0, 0);
    bw_epfix_input(&f, T0, PEER_A, ping, n, &ev);
    bw_assert_err(ev.err, BW_EMALFORMED);
    assert_int_equal(ev.tx_len, 0);
}

/*
 * Malformed datagrams: a CON whose MID can be read gets an RST with that
 * MID and is reported with the codec's exact error; a malformed NON, ACK
 * or RST, a wrong version and a short header are dropped without a reply.
 */
static void test_malformed_input(void **state)
{
    static const struct {
        const char *hex;
        int err;
        int rst;
    } cases[] = {
        {"49 01 12 34 aa", BW_ETOKEN, 1},          /* TKL 9 */
        {"44 01 12 34 aa bb", BW_ETRUNC, 1},       /* token cut short */
        {"40 01 12 34 f0", BW_EOPTION, 1},         /* delta nibble 15 */
        {"40 01 12 34 ff", BW_EPAYLOAD, 1},        /* marker, no payload */
        {"40 00 12 34 b1 61", BW_EMALFORMED, 1},   /* Empty with bytes */
        {"50 01 12 34 ff", BW_EPAYLOAD, 0},        /* NON */
        {"60 45 12 34 ff", BW_EPAYLOAD, 0},        /* ACK */
        {"80 01 12 34", BW_EVERSION, 0},           /* version 2 */
        {"40 01 12", BW_ETRUNC, 0},                /* short header */
        {"", BW_ETRUNC, 0},                        /* nothing */
        {"40 01 12 34 d1 ff", BW_ETRUNC, 1},       /* extended delta */
        {"40 01 12 34 1e ff ff", BW_EOVERFLOW, 1}, /* length > max */
    };
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t buf[32];
    (void)state;

    fix_init(&f, NULL, 16);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = bw_test_hex(cases[i].hex, buf, sizeof buf);
        bw_epfix_expect(&f, T0, PEER_A, buf, n, &ev,
                        BW_COAP_ENDPOINT_EV_REJECTED);
        bw_assert_err(ev.err, cases[i].err);
        if (cases[i].rst) {
            assert_int_equal(ev.tx_len, 4);
            assert_memory_equal(ev.tx, "\x70\x00\x12\x34", 4);
        } else {
            assert_int_equal(ev.tx_len, 0);
        }
    }
}

/*
 * Messages that parse but cannot be handled: a CON with a reserved code
 * class (1.xx, 6.xx, 7.xx) is reset and reported BW_EUNSUPPORTED; an ACK
 * carrying a request code and a non-Empty RST are dropped as malformed; a
 * CON or NON response nobody asked for is not answered by the endpoint but
 * reported as EV_UNMATCHED for the application to decide (the flow is in
 * test_coap_endpoint_unmatched.c); an ACK or RST nobody waits for is
 * refused with BW_ESTALE.
 */
static void test_unexpected_messages(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t buf[64];
    size_t n;
    (void)state;

    fix_init(&f, NULL, 17);
    static const uint8_t reserved[] = {BW_COAP_CODE(1, 0), BW_COAP_CODE(6, 1),
                                       BW_COAP_CODE(7, 31)};
    for (size_t i = 0; i < sizeof reserved; i++) {
        n = build(buf, sizeof buf, BW_COAP_CON, reserved[i], 0x0102, TOK,
                  sizeof TOK, 0);
        bw_epfix_input(&f, T0, PEER_A, buf, n, &ev);
        bw_assert_err(ev.err, BW_EUNSUPPORTED);
        assert_int_equal(ev.tx_len, 4);
        assert_memory_equal(ev.tx, "\x70\x00\x01\x02", 4);
    }
    n = build(buf, sizeof buf, BW_COAP_ACK, BW_COAP_GET, 0x0103, TOK,
              sizeof TOK, 0);
    bw_epfix_input(&f, T0, PEER_A, buf, n, &ev);
    bw_assert_err(ev.err, BW_EMALFORMED);
    assert_int_equal(ev.tx_len, 0);
    n = build(buf, sizeof buf, BW_COAP_RST, BW_COAP_CONTENT, 0x0104, NULL, 0,
              0);
    bw_epfix_input(&f, T0, PEER_A, buf, n, &ev);
    bw_assert_err(ev.err, BW_EMALFORMED);

    n = build(buf, sizeof buf, BW_COAP_CON, BW_COAP_CONTENT, 0x0105, TOK,
              sizeof TOK, "x");
    bw_epfix_expect(&f, T0, PEER_A, buf, n, &ev, BW_COAP_ENDPOINT_EV_UNMATCHED);
    assert_int_equal(ev.err, 0);
    assert_int_equal(ev.tx_len, 0);
    n = build(buf, sizeof buf, BW_COAP_NON, BW_COAP_CONTENT, 0x0106, TOK,
              sizeof TOK, "x");
    bw_epfix_expect(&f, T0, PEER_A, buf, n, &ev, BW_COAP_ENDPOINT_EV_UNMATCHED);
    assert_int_equal(ev.tx_len, 0);

    n = build(buf, sizeof buf, BW_COAP_ACK, BW_COAP_EMPTY, 0x0107, NULL, 0, 0);
    bw_epfix_expect(&f, T0, PEER_A, buf, n, &ev, BW_COAP_ENDPOINT_EV_REJECTED);
    bw_assert_err(ev.err, BW_ESTALE);
    assert_int_equal(ev.tx_len, 0);
    n = build(buf, sizeof buf, BW_COAP_RST, BW_COAP_EMPTY, 0x0108, NULL, 0, 0);
    bw_epfix_expect(&f, T0, PEER_A, buf, n, &ev, BW_COAP_ENDPOINT_EV_REJECTED);
    bw_assert_err(ev.err, BW_ESTALE);
    assert_int_equal(ev.tx_len, 0);
}

/*
 * send() refuses what it cannot track: unparseable bytes, ACK/RST types,
 * an Empty NON, a reserved code, a CON longer than the slot (BW_ENOSPC),
 * bad peers and NULLs (BW_EINVAL); the buffer stays untouched.
 */
static void test_send_invalid(void **state)
{
    fix_t f;
    uint8_t buf[SLOT + 16], copy[SLOT + 16];
    char big[SLOT];
    size_t n;
    (void)state;

    fix_init(&f, NULL, 18);
    n = bw_test_hex("49 01 00 00", buf, sizeof buf);
    bw_assert_err(
        bw_coap_endpoint_send(&f.ep, 0, PEER_A, sizeof PEER_A, buf, n, NULL),
        BW_EINVAL);
    n = build(buf, sizeof buf, BW_COAP_ACK, BW_COAP_CONTENT, 0, NULL, 0, 0);
    bw_assert_err(
        bw_coap_endpoint_send(&f.ep, 0, PEER_A, sizeof PEER_A, buf, n, NULL),
        BW_EINVAL);
    n = build(buf, sizeof buf, BW_COAP_NON, BW_COAP_EMPTY, 0, NULL, 0, 0);
    bw_assert_err(
        bw_coap_endpoint_send(&f.ep, 0, PEER_A, sizeof PEER_A, buf, n, NULL),
        BW_EINVAL);
    n = build(buf, sizeof buf, BW_COAP_CON, BW_COAP_CODE(7, 0), 0, NULL, 0, 0);
    bw_assert_err(
        bw_coap_endpoint_send(&f.ep, 0, PEER_A, sizeof PEER_A, buf, n, NULL),
        BW_EINVAL);
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    n = build(buf, sizeof buf, BW_COAP_CON, BW_COAP_CONTENT, 0, TOK, sizeof TOK,
              big);
    memcpy(copy, buf, n);
    bw_assert_err(
        bw_coap_endpoint_send(&f.ep, 0, PEER_A, sizeof PEER_A, buf, n, NULL),
        BW_ENOSPC);
    assert_memory_equal(copy, buf, n);
    /* The same as NON needs no slot and goes. */
    buf[0] = (uint8_t)(buf[0] | 0x10);
    assert_int_equal(
        bw_coap_endpoint_send(&f.ep, 0, PEER_A, sizeof PEER_A, buf, n, NULL),
        0);
    bw_assert_err(bw_coap_endpoint_send(&f.ep, 0, PEER_A, 0, buf, n, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_send(&f.ep, 0, PEER_A,
                                        BW_COAP_ENDPOINT_MAX_PEER_LEN + 1, buf,
                                        n, NULL),
                  BW_EINVAL);
    bw_assert_err(
        bw_coap_endpoint_send(NULL, 0, PEER_A, sizeof PEER_A, buf, n, NULL),
        BW_EINVAL);
    bw_assert_err(
        bw_coap_endpoint_send(&f.ep, 0, PEER_A, sizeof PEER_A, NULL, n, NULL),
        BW_EINVAL);
}

/* bw_epfix_input(), poll(), token() refuse NULLs and bad peers with BW_EINVAL.
 */
static void test_api_invalid(void **state)
{
    fix_t f;
    bw_coap_endpoint_event_t ev;
    uint8_t tok[9];
    (void)state;

    fix_init(&f, NULL, 19);
    bw_assert_err(bw_coap_endpoint_input(&f.ep, 0, PEER_A, 0,
                                         (const uint8_t *)"", 0, &ev),
                  BW_EINVAL);
    bw_assert_err(
        bw_coap_endpoint_input(&f.ep, 0, NULL, 4, (const uint8_t *)"", 0, &ev),
        BW_EINVAL);
    bw_assert_err(
        bw_coap_endpoint_input(&f.ep, 0, PEER_A, sizeof PEER_A, NULL, 4, &ev),
        BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_input(&f.ep, 0, PEER_A, sizeof PEER_A,
                                         (const uint8_t *)"", 0, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_poll(NULL, 0, &ev), BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_poll(&f.ep, 0, NULL), BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_token(&f.ep, tok, 9), BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_token(&f.ep, NULL, 2), BW_EINVAL);
    bw_assert_err(bw_coap_endpoint_cancel(NULL, 1), BW_EINVAL);
    assert_int_equal(bw_coap_endpoint_next_timeout(NULL),
                     BW_COAP_ENDPOINT_NEVER);
}

/*
 * The PRNG lives in the context: the same seed gives the same MIDs and
 * tokens in two endpoints; different seeds give different ones.
 */
static void test_seeded_randomness(void **state)
{
    fix_t a, b, c;
    uint8_t ta[8], tb[8], tc[8], msg[SLOT];
    size_t len;
    (void)state;

    fix_init(&a, NULL, 0x1234);
    fix_init(&b, NULL, 0x1234);
    fix_init(&c, NULL, 0x1235);
    assert_int_equal(bw_coap_endpoint_token(&a.ep, ta, 8), 0);
    assert_int_equal(bw_coap_endpoint_token(&b.ep, tb, 8), 0);
    assert_int_equal(bw_coap_endpoint_token(&c.ep, tc, 8), 0);
    assert_memory_equal(ta, tb, 8);
    assert_memory_not_equal(ta, tc, 8);
    uint16_t ma = send_get(&a, 0, PEER_A, msg, &len);
    uint16_t mb = send_get(&b, 0, PEER_A, msg, &len);
    uint16_t mc = send_get(&c, 0, PEER_A, msg, &len);
    assert_int_equal(ma, mb);
    assert_int_not_equal(ma, mc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retransmission_schedule),
        cmocka_unit_test(test_initial_timeout_jitter),
        cmocka_unit_test(test_custom_params),
        cmocka_unit_test(test_default_params),
        cmocka_unit_test(test_init_invalid),
        cmocka_unit_test(test_ack_stops_retransmission),
        cmocka_unit_test(test_rst_ends_exchange),
        cmocka_unit_test(test_nstart),
        cmocka_unit_test(test_table_full_and_cancel),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_malformed_input),
        cmocka_unit_test(test_unexpected_messages),
        cmocka_unit_test(test_send_invalid),
        cmocka_unit_test(test_api_invalid),
        cmocka_unit_test(test_seeded_randomness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
