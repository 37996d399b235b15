/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the CoAP message layer as a whole: the input is a script of
 * operations on one endpoint, and every step is checked against the
 * promises of include/bulwark/coap_endpoint.h.
 *
 * Input layout:
 *
 *   byte 0      slot length: BW_COAP_ENDPOINT_MIN_SLOT_LEN + 2 * byte
 *   byte 1      parameters: 0 = the RFC defaults, else bytes 2..5 pick
 *               ACK_TIMEOUT, ACK_RANDOM_FACTOR, MAX_RETRANSMIT, NSTART
 *               (always within the documented ranges)
 *   byte 6      PRNG seed
 *   then        operations, one selector byte and its arguments each:
 *     RAW       a datagram from one of three peers: peer, length, bytes
 *     CRAFTED   a datagram assembled from fields, with its message ID and
 *               token taken from what the endpoint sent (so ACKs, RSTs
 *               and responses match something) or from the script
 *     REQUEST   send a CON or NON request to a peer
 *     OTHER     send a CON/NON response or a ping (Empty CON)
 *     RESPOND   respond() to the last REQUEST/UNMATCHED event
 *     ACCEPT    accept() it          REJECT    reject() it
 *     POLL      advance the clock by a script-chosen amount, poll until
 *               nothing is due
 *     CANCEL    cancel() one of our exchanges (or a random MID)
 *     DUP       input the datagram of the last REQUEST/UNMATCHED again
 *     TOKEN     token() with a script-chosen length
 *
 * Beyond not crashing (and the endpoint's own invariant checker, which
 * runs in an assert at every entry point of a debug build), it checks:
 *   - every datagram the endpoint hands out fits the slot, parses, and is
 *     of the kind the situation calls for (an Empty ACK/RST with the right
 *     message ID, a retransmission of the CON that was sent, a stored
 *     piggybacked ACK);
 *   - every event is of a kind the call can produce, with the fields the
 *     header documents (err only on FAILED/REJECTED, REJECTED carries no
 *     MID or token, REQUEST/UNMATCHED describe their message);
 *   - a model of our own exchanges: send() opens one exactly when the
 *     header says, BW_EBUSY and BW_ENOMEM only when NSTART or the table
 *     is really exhausted, RESPONSE/DONE/FAILED/RETRANSMIT name a live
 *     exchange of the right kind and peer, an UNMATCHED response matches
 *     no live request, at most MAX_RETRANSMIT retransmissions each;
 *   - timers: poll() reports work only when next_timeout() <= now, at most
 *     one event per exchange per instant; afterwards next_timeout() is
 *     later than now, within EXCHANGE_LIFETIME or the longest
 *     retransmission timeout, and NEVER exactly when nothing is live;
 *   - answers: after respond()/accept()/reject() a duplicate of the
 *     message gets the very same answer, and a second decision is
 *     BW_ESTATE; a refused respond() leaves the buffer untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap_endpoint.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

#define PEERS     3
#define MAX_DGRAM 600 /* longer than any slot the script can pick */
#define NOPS      11

enum {
    OP_RAW,
    OP_CRAFTED,
    OP_REQUEST,
    OP_OTHER,
    OP_RESPOND,
    OP_ACCEPT,
    OP_REJECT,
    OP_POLL,
    OP_CANCEL,
    OP_DUP,
    OP_TOKEN,
};

/* Peer identities: lengths 1, 2 and the maximum; 0 is a prefix of 1. */
static const uint8_t PEER_ADDR[PEERS][BW_COAP_ENDPOINT_MAX_PEER_LEN] = {
    {0x0a},
    {0x0a, 0x00},
    {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32},
};
static const uint8_t PEER_LEN[PEERS] = {1, 2, BW_COAP_ENDPOINT_MAX_PEER_LEN};

/* One exchange of ours, as the model sees it. */
typedef struct {
    uint8_t live;
    uint8_t peer;
    uint8_t con;
    uint8_t kind; /* 'q' request, 'r' CON response, 'p' ping */
    uint8_t retransmits;
    uint16_t mid;
    uint8_t token_len;
    uint8_t token[BW_COAP_MAX_TOKEN_LEN];
} model_ex_t;

typedef struct {
    bw_coap_endpoint_t ep;
    bw_coap_endpoint_params_t params;
    uint8_t *arena;
    size_t slot;
    uint64_t now;
    const uint8_t *in;
    size_t left;
    model_ex_t ex[BW_COAP_ENDPOINT_MAX_EXCHANGES];
    uint16_t last_mid; /* of our last send */
    uint8_t last_tok[BW_COAP_MAX_TOKEN_LEN];
    uint8_t last_tkl;
    /* The last REQUEST or UNMATCHED event and a copy of its datagram. */
    bw_coap_endpoint_event_t last;
    uint8_t *last_dgram;
    size_t last_len;
    uint8_t last_peer;
} world_t;

static uint8_t take(world_t *w)
{
    if (w->left == 0)
        return 0;
    w->left--;
    return *w->in++;
}

static uint16_t take16(world_t *w)
{
    uint16_t hi = take(w);
    return (uint16_t)(hi << 8 | take(w));
}

static size_t model_live(const world_t *w)
{
    size_t n = 0;
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
        n += w->ex[i].live;
    return n;
}

/* Live requests and pings to peer: what NSTART counts. */
static unsigned model_outstanding(const world_t *w, uint8_t peer)
{
    unsigned n = 0;
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
        n += w->ex[i].live && w->ex[i].peer == peer && w->ex[i].kind != 'r';
    return n;
}

static model_ex_t *model_by_mid(world_t *w, uint16_t mid)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
        if (w->ex[i].live && w->ex[i].mid == mid)
            return &w->ex[i];
    return NULL;
}

static int peer_is(const bw_coap_peer_t *p, uint8_t idx)
{
    return p->len == PEER_LEN[idx] &&
           memcmp(p->addr, PEER_ADDR[idx], p->len) == 0;
}

/* The model exchange an event names: live, same MID, peer and token. */
static model_ex_t *model_of_event(world_t *w,
                                  const bw_coap_endpoint_event_t *ev)
{
    model_ex_t *x = model_by_mid(w, ev->mid);
    CHECK(x != NULL);
    CHECK(peer_is(&ev->peer, x->peer));
    CHECK(ev->token_len == x->token_len);
    CHECK(memcmp(ev->token, x->token, x->token_len) == 0);
    return x;
}

/* An Empty message of type for mid. */
static void check_empty(const uint8_t *tx, size_t len, uint8_t type,
                        uint16_t mid)
{
    CHECK(tx != NULL && len == BW_COAP_HEADER_LEN);
    CHECK(tx[0] == (uint8_t)(0x40u | (unsigned)type << 4));
    CHECK(tx[1] == BW_COAP_EMPTY);
    CHECK(tx[2] == (uint8_t)(mid >> 8) && tx[3] == (uint8_t)mid);
}

/* Fields every event shares, whatever its kind. */
static void check_common(const world_t *w, const bw_coap_endpoint_event_t *ev)
{
    CHECK((ev->tx == NULL) == (ev->tx_len == 0));
    CHECK(ev->tx_len <= w->slot);
    CHECK(ev->token_len <= BW_COAP_MAX_TOKEN_LEN);
    if (ev->kind == BW_COAP_ENDPOINT_EV_FAILED ||
        ev->kind == BW_COAP_ENDPOINT_EV_REJECTED)
        CHECK(ev->err < 0);
    else
        CHECK(ev->err == 0);
    if (ev->kind == BW_COAP_ENDPOINT_EV_REJECTED)
        CHECK(ev->mid == 0 && ev->token_len == 0);
    if (ev->tx_len > 0) {
        bw_coap_msg_t m;
        CHECK(bw_coap_parse(&m, ev->tx, ev->tx_len) == 0);
    }
}

/* Remember the event (and its datagram) the application must answer. */
static void keep_last(world_t *w, const bw_coap_endpoint_event_t *ev,
                      const uint8_t *buf, size_t len, uint8_t peer)
{
    uint8_t *copy = malloc(len ? len : 1);

    CHECK(copy != NULL);
    memcpy(copy, buf, len);
    free(w->last_dgram);
    w->last_dgram = copy;
    w->last_len = len;
    w->last_peer = peer;
    w->last = *ev;
    /* Its view must point into the copy, which lives on. */
    CHECK(bw_coap_parse(&w->last.msg, copy, len) == 0);
}

/* Hand a datagram in and check the event against the model. */
static void do_input(world_t *w, uint8_t peer, const uint8_t *buf, size_t len,
                     bw_coap_endpoint_event_t *ev)
{
    bw_coap_msg_t m;
    int parsed;
    model_ex_t *x;

    CHECK(bw_coap_endpoint_input(&w->ep, w->now, PEER_ADDR[peer],
                                 PEER_LEN[peer], buf, len, ev) == 0);
    check_common(w, ev);
    CHECK(peer_is(&ev->peer, peer));
    parsed = bw_coap_parse(&m, buf, len) == 0;
    if (ev->tx_len > 0) /* only the message's own ID is ever answered */
        CHECK(len >= 4 && ev->tx[2] == buf[2] && ev->tx[3] == buf[3]);
    switch (ev->kind) {
    case BW_COAP_ENDPOINT_EV_NONE:
        if (ev->tx_len > BW_COAP_HEADER_LEN) { /* replayed piggyback */
            CHECK(parsed && m.type == BW_COAP_CON);
            CHECK((ev->tx[0] >> 4 & 3) == BW_COAP_ACK);
        }
        break;
    case BW_COAP_ENDPOINT_EV_REQUEST:
    case BW_COAP_ENDPOINT_EV_UNMATCHED:
        CHECK(parsed && (m.type == BW_COAP_CON || m.type == BW_COAP_NON));
        CHECK(ev->tx_len == 0 && ev->type == m.type && ev->mid == m.mid);
        CHECK(ev->token_len == m.token_len &&
              memcmp(ev->token, m.token, m.token_len) == 0);
        CHECK(ev->msg.code == m.code && ev->msg.payload_len == m.payload_len);
        if (ev->kind == BW_COAP_ENDPOINT_EV_REQUEST) {
            CHECK(BW_COAP_CODE_CLASS(m.code) == 0 && m.code != 0);
        } else {
            CHECK(BW_COAP_CODE_CLASS(m.code) >= 2 &&
                  BW_COAP_CODE_CLASS(m.code) <= 5);
            for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
                CHECK(!(w->ex[i].live && w->ex[i].kind == 'q' &&
                        w->ex[i].peer == peer &&
                        w->ex[i].token_len == m.token_len &&
                        memcmp(w->ex[i].token, m.token, m.token_len) == 0));
        }
        keep_last(w, ev, buf, len, peer);
        break;
    case BW_COAP_ENDPOINT_EV_RESPONSE:
        x = model_of_event(w, ev);
        CHECK(x->kind == 'q' && parsed);
        CHECK(ev->msg.code == m.code);
        if (m.type == BW_COAP_CON)
            check_empty(ev->tx, ev->tx_len, BW_COAP_ACK, m.mid);
        else
            CHECK(ev->tx_len == 0);
        memset(x, 0, sizeof *x);
        break;
    case BW_COAP_ENDPOINT_EV_DONE:
        x = model_of_event(w, ev);
        CHECK(x->kind == 'p' || (x->kind == 'r' && m.type == BW_COAP_ACK));
        CHECK(ev->tx_len == 0);
        memset(x, 0, sizeof *x);
        break;
    case BW_COAP_ENDPOINT_EV_FAILED:
        x = model_of_event(w, ev);
        CHECK(ev->err == BW_ERESET && parsed && m.type == BW_COAP_RST);
        CHECK(ev->tx_len == 0);
        memset(x, 0, sizeof *x);
        break;
    case BW_COAP_ENDPOINT_EV_REJECTED:
        if (ev->tx_len > 0) /* only an RST, only to a CON */
            check_empty(ev->tx, ev->tx_len, BW_COAP_RST,
                        (uint16_t)(buf[2] << 8 | buf[3]));
        break;
    default:
        CHECK(0 && "input produced an event kind it must not");
    }
}

static void op_raw(world_t *w)
{
    uint8_t peer = take(w) % PEERS;
    size_t len = take(w);
    uint8_t *buf;
    bw_coap_endpoint_event_t ev;

    if (len > w->left)
        len = w->left;
    buf = malloc(len ? len : 1); /* exact size: over-reads are caught */
    CHECK(buf != NULL);
    memcpy(buf, w->in, len);
    w->in += len;
    w->left -= len;
    do_input(w, peer, buf, len, &ev);
    free(buf);
}

/* Pick a message ID: one of ours, the last event's, or the script's. */
static uint16_t pick_mid(world_t *w, uint8_t sel)
{
    const model_ex_t *x = &w->ex[take(w) % BW_COAP_ENDPOINT_MAX_EXCHANGES];

    switch (sel & 3) {
    case 0:
        return x->live ? x->mid : w->last_mid;
    case 1:
        return w->last_mid;
    case 2:
        return w->last.mid;
    default:
        return take16(w);
    }
}

static void op_crafted(world_t *w)
{
    static const uint8_t codes[] = {
        BW_COAP_EMPTY,    BW_COAP_GET,        BW_COAP_POST,
        BW_COAP_CONTENT,  BW_COAP_CHANGED,    BW_COAP_NOT_FOUND,
        BW_COAP_CONTINUE, BW_COAP_CODE(1, 0), BW_COAP_CODE(7, 3)};
    uint8_t sel = take(w), peer = take(w) % PEERS;
    uint8_t type = sel & 3, tsel = sel >> 4 & 3, plen = sel >> 6;
    uint8_t code = codes[take(w) % sizeof codes];
    uint8_t buf[4 + BW_COAP_MAX_TOKEN_LEN + 1 + 3];
    uint8_t tok[BW_COAP_MAX_TOKEN_LEN];
    size_t tkl = 0, n;
    uint16_t mid = pick_mid(w, sel >> 2);
    bw_coap_endpoint_event_t ev;

    if (tsel == 0) {
        tkl = w->last_tkl;
        memcpy(tok, w->last_tok, tkl);
    } else if (tsel == 1) {
        const model_ex_t *x = &w->ex[take(w) % BW_COAP_ENDPOINT_MAX_EXCHANGES];
        tkl = x->token_len;
        memcpy(tok, x->token, tkl);
    } else if (tsel == 2) {
        tkl = take(w) % (BW_COAP_MAX_TOKEN_LEN + 1);
        for (size_t i = 0; i < tkl; i++)
            tok[i] = take(w);
    }
    buf[0] = (uint8_t)(0x40u | (unsigned)type << 4 | tkl);
    buf[1] = code;
    buf[2] = (uint8_t)(mid >> 8);
    buf[3] = (uint8_t)mid;
    memcpy(buf + 4, tok, tkl);
    n = 4 + tkl;
    if (plen > 0) {
        buf[n++] = 0xff;
        for (uint8_t i = 0; i < plen; i++)
            buf[n++] = take(w);
    }
    do_input(w, peer, buf, n, &ev);
}

/* Record a send() that succeeded; con/kind as built. */
static void sent(world_t *w, uint8_t peer, uint8_t con, uint8_t kind,
                 const uint8_t *msg, uint16_t mid)
{
    CHECK((uint16_t)(msg[2] << 8 | msg[3]) == mid);
    CHECK(model_by_mid(w, mid) == NULL); /* never two live with one ID */
    w->last_mid = mid;
    if (!con && kind == 'r') /* a NON response opens no exchange */
        return;
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++) {
        model_ex_t *x = &w->ex[i];
        if (x->live)
            continue;
        memset(x, 0, sizeof *x);
        x->live = 1;
        x->peer = peer;
        x->con = con;
        x->kind = kind;
        x->mid = mid;
        x->token_len = (uint8_t)(msg[0] & 0xfu);
        memcpy(x->token, msg + 4, x->token_len);
        return;
    }
    CHECK(0 && "send() opened more exchanges than the table has");
}

/* send() a message and check the outcome the model predicts. */
static void do_send(world_t *w, uint8_t peer, uint8_t *msg, size_t len,
                    uint8_t con, uint8_t kind)
{
    uint8_t copy[MAX_DGRAM];
    uint16_t mid = 1;
    int rc;
    int opens = con || kind == 'q';

    memcpy(copy, msg, len);
    rc = bw_coap_endpoint_send(&w->ep, w->now, PEER_ADDR[peer], PEER_LEN[peer],
                               msg, len, &mid);
    if (rc == 0) {
        CHECK(!(con && len > w->slot));
        CHECK(kind == 'r' || model_outstanding(w, peer) < w->params.nstart);
        CHECK(!opens || model_live(w) < BW_COAP_ENDPOINT_MAX_EXCHANGES);
        CHECK(memcmp(copy + 4, msg + 4, len - 4) == 0 && copy[0] == msg[0]);
        sent(w, peer, con, kind, msg, mid);
        return;
    }
    CHECK(mid == 0 && memcmp(copy, msg, len) == 0);
    if (rc == BW_ENOSPC)
        CHECK(con && len > w->slot);
    else if (rc == BW_EBUSY)
        CHECK(kind != 'r' && model_outstanding(w, peer) >= w->params.nstart);
    else if (rc == BW_ENOMEM)
        CHECK(opens && model_live(w) == BW_COAP_ENDPOINT_MAX_EXCHANGES);
    else
        CHECK(0 && "send() refused a valid message");
}

/* Build type/code/token/payload into msg; returns the length. */
static size_t build(world_t *w, uint8_t *msg, uint8_t type, uint8_t code,
                    size_t tkl, size_t plen)
{
    bw_coap_writer_t wr;
    uint8_t tok[BW_COAP_MAX_TOKEN_LEN];
    uint8_t payload[MAX_DGRAM];
    size_t len;

    CHECK(bw_coap_endpoint_token(&w->ep, tok, tkl) == 0);
    memset(payload, 'p', plen);
    bw_coap_writer_init(&wr, msg, MAX_DGRAM, type, code, 0, tok, tkl);
    if (code != BW_COAP_EMPTY && BW_COAP_CODE_CLASS(code) == 0)
        bw_coap_writer_add_opt(&wr, BW_COAP_OPT_URI_PATH, "rd", 2);
    if (plen > 0)
        bw_coap_writer_payload(&wr, payload, plen);
    CHECK(bw_coap_writer_finish(&wr, &len) == 0);
    return len;
}

static void op_request(world_t *w)
{
    uint8_t sel = take(w), peer = take(w) % PEERS;
    uint8_t con = sel & 1, tkl = (sel >> 1 & 7) + 1;
    uint8_t msg[MAX_DGRAM];
    size_t len = build(w, msg, con ? BW_COAP_CON : BW_COAP_NON,
                       (sel & 0x10) ? BW_COAP_POST : BW_COAP_GET, tkl,
                       (size_t)(sel >> 5) * 40);

    if (len > 4) {
        w->last_tkl = tkl;
        memcpy(w->last_tok, msg + 4, tkl);
    }
    do_send(w, peer, msg, len, con, 'q');
}

static void op_other(world_t *w)
{
    uint8_t sel = take(w), peer = take(w) % PEERS;
    uint8_t con = sel & 1, msg[MAX_DGRAM];
    size_t len;

    if (sel & 2) { /* a ping */
        len = build(w, msg, BW_COAP_CON, BW_COAP_EMPTY, 0, 0);
        do_send(w, peer, msg, len, 1, 'p');
        return;
    }
    len = build(w, msg, con ? BW_COAP_CON : BW_COAP_NON,
                (sel & 4) ? BW_COAP_CONTENT : BW_COAP_NOT_FOUND, sel >> 3 & 7,
                (size_t)(sel >> 6) * 100);
    do_send(w, peer, msg, len, con, 'r');
}

/* Input the kept datagram again; it must be answered with want/len. */
static void expect_dup(world_t *w, const uint8_t *want, size_t want_len)
{
    bw_coap_endpoint_event_t ev;

    CHECK(w->last_dgram != NULL);
    CHECK(bw_coap_endpoint_input(&w->ep, w->now, PEER_ADDR[w->last_peer],
                                 PEER_LEN[w->last_peer], w->last_dgram,
                                 w->last_len, &ev) == 0);
    check_common(w, &ev);
    CHECK(ev.kind == BW_COAP_ENDPOINT_EV_NONE);
    CHECK(ev.tx_len == want_len);
    if (want_len > 0)
        CHECK(memcmp(ev.tx, want, want_len) == 0);
}

static void op_respond(world_t *w)
{
    static const uint8_t codes[] = {BW_COAP_CONTENT, BW_COAP_CHANGED,
                                    BW_COAP_NOT_FOUND, BW_COAP_INTERNAL_ERROR,
                                    BW_COAP_GET};
    uint8_t sel = take(w);
    uint8_t code = codes[sel % sizeof codes];
    uint8_t msg[MAX_DGRAM], copy[MAX_DGRAM];
    size_t plen = (size_t)take(w) * 2, len;
    bw_coap_writer_t wr;
    int rc;

    bw_coap_writer_init(&wr, msg, sizeof msg, BW_COAP_CON, code, 0x1234,
                        w->last.token, w->last.token_len);
    if (plen > 0) {
        memset(copy, 'r', plen);
        bw_coap_writer_payload(&wr, copy, plen);
    }
    CHECK(bw_coap_writer_finish(&wr, &len) == 0);
    memcpy(copy, msg, len);
    rc = bw_coap_endpoint_respond(&w->ep, w->now, &w->last, msg, len);
    if (rc != 0) {
        CHECK(memcmp(copy, msg, len) == 0);
        CHECK(rc == BW_ESTATE || rc == BW_EINVAL || rc == BW_ENOSPC);
        CHECK((rc == BW_EINVAL) == (code == BW_COAP_GET));
        if (rc == BW_ENOSPC)
            CHECK(len > w->slot && w->last.type == BW_COAP_CON);
        return;
    }
    CHECK(code != BW_COAP_GET && w->last.kind == BW_COAP_ENDPOINT_EV_REQUEST);
    CHECK(memcmp(copy + 4, msg + 4, len - 4) == 0);
    if (w->last.type == BW_COAP_CON) {
        CHECK((msg[0] >> 4 & 3) == BW_COAP_ACK && len <= w->slot);
        CHECK((uint16_t)(msg[2] << 8 | msg[3]) == w->last.mid);
        expect_dup(w, msg, len);
    } else {
        CHECK((msg[0] >> 4 & 3) == BW_COAP_NON);
        expect_dup(w, NULL, 0);
    }
    CHECK(bw_coap_endpoint_respond(&w->ep, w->now, &w->last, msg, len) ==
          BW_ESTATE);
}

static void op_decide(world_t *w, int accept)
{
    const uint8_t *tx;
    size_t tx_len;
    uint8_t keep[BW_COAP_HEADER_LEN];
    uint8_t type = accept ? BW_COAP_ACK : BW_COAP_RST;
    int rc =
        accept
            ? bw_coap_endpoint_accept(&w->ep, w->now, &w->last, &tx, &tx_len)
            : bw_coap_endpoint_reject(&w->ep, w->now, &w->last, &tx, &tx_len);

    if (rc != 0) {
        CHECK(rc == BW_ESTATE && tx == NULL && tx_len == 0);
        return;
    }
    CHECK(w->last.kind == BW_COAP_ENDPOINT_EV_REQUEST ||
          w->last.kind == BW_COAP_ENDPOINT_EV_UNMATCHED);
    if (accept && w->last.type == BW_COAP_NON) {
        /* Only an unmatched NON can be accepted, and gets no answer. */
        CHECK(w->last.kind == BW_COAP_ENDPOINT_EV_UNMATCHED);
        CHECK(tx == NULL && tx_len == 0);
    } else {
        check_empty(tx, tx_len, type, w->last.mid);
    }
    if (w->last.type == BW_COAP_CON) {
        memcpy(keep, tx, sizeof keep);
        expect_dup(w, keep, sizeof keep);
    } else {
        expect_dup(w, NULL, 0);
    }
    CHECK(bw_coap_endpoint_accept(&w->ep, w->now, &w->last, &tx, &tx_len) ==
          BW_ESTATE);
    CHECK(bw_coap_endpoint_reject(&w->ep, w->now, &w->last, &tx, &tx_len) ==
          BW_ESTATE);
}

/* Longest time any timer can be set ahead of the instant it is armed. */
static uint64_t max_horizon(const world_t *w)
{
    uint64_t rto = (uint64_t)w->params.ack_timeout_ms *
                       w->params.ack_random_factor_milli / 1000u
                   << w->params.max_retransmit;
    uint64_t el = bw_coap_endpoint_exchange_lifetime(&w->ep);
    return (rto > el ? rto : el) + 1;
}

static void op_poll(world_t *w)
{
    uint8_t scale = take(w) & 3;
    uint64_t step = (uint64_t)take16(w) << (4 * scale);
    unsigned events = 0;
    bw_coap_endpoint_event_t ev;
    uint64_t due;
    int rc;

    w->now += step;
    for (;;) {
        due = bw_coap_endpoint_next_timeout(&w->ep);
        rc = bw_coap_endpoint_poll(&w->ep, w->now, &ev);
        if (rc == 0)
            break;
        CHECK(rc == 1 && due <= w->now);
        CHECK(++events <= BW_COAP_ENDPOINT_MAX_EXCHANGES);
        check_common(w, &ev);
        model_ex_t *x = model_of_event(w, &ev);
        if (ev.kind == BW_COAP_ENDPOINT_EV_RETRANSMIT) {
            bw_coap_msg_t m;
            CHECK(x->con && ++x->retransmits <= w->params.max_retransmit);
            CHECK(bw_coap_parse(&m, ev.tx, ev.tx_len) == 0);
            CHECK(m.type == BW_COAP_CON && m.mid == x->mid);
        } else {
            CHECK(ev.kind == BW_COAP_ENDPOINT_EV_FAILED);
            CHECK(ev.err == BW_ETIMEOUT && ev.tx_len == 0);
            memset(x, 0, sizeof *x);
        }
    }
    CHECK(ev.kind == BW_COAP_ENDPOINT_EV_NONE && ev.tx_len == 0);
    due = bw_coap_endpoint_next_timeout(&w->ep);
    if (model_live(w) == 0) {
        CHECK(due == BW_COAP_ENDPOINT_NEVER);
    } else {
        CHECK(due != BW_COAP_ENDPOINT_NEVER && due > w->now);
        CHECK(due - w->now <= max_horizon(w));
    }
}

static void op_cancel(world_t *w)
{
    uint8_t sel = take(w);
    uint16_t mid = pick_mid(w, sel);
    model_ex_t *x = model_by_mid(w, mid);
    int rc = bw_coap_endpoint_cancel(&w->ep, mid);

    if (x == NULL) {
        CHECK(rc == BW_ENOTFOUND);
    } else {
        CHECK(rc == 0);
        memset(x, 0, sizeof *x);
    }
}

static void op_dup(world_t *w)
{
    bw_coap_endpoint_event_t ev;
    uint8_t *copy;

    if (w->last_dgram == NULL)
        return;
    /* do_input() may replace the kept datagram: input from a copy. */
    copy = malloc(w->last_len ? w->last_len : 1);
    CHECK(copy != NULL);
    memcpy(copy, w->last_dgram, w->last_len);
    do_input(w, w->last_peer, copy, w->last_len, &ev);
    free(copy);
}

static void op_token(world_t *w)
{
    uint8_t tok[BW_COAP_MAX_TOKEN_LEN + 1];
    size_t len = take(w) % (BW_COAP_MAX_TOKEN_LEN + 2);
    int rc = bw_coap_endpoint_token(&w->ep, tok, len);

    CHECK(rc == (len <= BW_COAP_MAX_TOKEN_LEN ? 0 : BW_EINVAL));
}

static void setup(world_t *w, const uint8_t *data, size_t size)
{
    uint8_t cfg[7] = {0};
    size_t arena_len;

    memcpy(cfg, data, size < sizeof cfg ? size : sizeof cfg);
    w->in = data + (size < sizeof cfg ? size : sizeof cfg);
    w->left = size - (size_t)(w->in - data);
    w->slot = BW_COAP_ENDPOINT_MIN_SLOT_LEN + 2u * cfg[0];
    bw_coap_endpoint_params_default(&w->params);
    if (cfg[1] != 0) {
        w->params.ack_timeout_ms = 1u + (uint32_t)cfg[2] * 40u;
        w->params.ack_random_factor_milli =
            (uint16_t)(1000u + (cfg[3] * 3000u) / 255u);
        w->params.max_retransmit =
            cfg[4] % (BW_COAP_ENDPOINT_MAX_RETRANSMIT_LIMIT + 1);
        w->params.nstart = 1 + cfg[5] % BW_COAP_ENDPOINT_MAX_EXCHANGES;
    }
    arena_len = BW_COAP_ENDPOINT_ARENA_LEN(w->slot);
    w->arena = malloc(arena_len); /* exact size: overruns are caught */
    CHECK(w->arena != NULL);
    CHECK(bw_coap_endpoint_init(&w->ep, cfg[1] ? &w->params : NULL, cfg[6],
                                w->arena, arena_len, w->slot) == 0);
    w->now = 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    world_t *w = calloc(1, sizeof *w);

    CHECK(w != NULL);
    setup(w, data, size);
    while (w->left > 0) {
        switch (take(w) % NOPS) {
        case OP_RAW:
            op_raw(w);
            break;
        case OP_CRAFTED:
            op_crafted(w);
            break;
        case OP_REQUEST:
            op_request(w);
            break;
        case OP_OTHER:
            op_other(w);
            break;
        case OP_RESPOND:
            op_respond(w);
            break;
        case OP_ACCEPT:
            op_decide(w, 1);
            break;
        case OP_REJECT:
            op_decide(w, 0);
            break;
        case OP_POLL:
            op_poll(w);
            break;
        case OP_CANCEL:
            op_cancel(w);
            break;
        case OP_DUP:
            op_dup(w);
            break;
        default:
            op_token(w);
            break;
        }
    }
    free(w->last_dgram);
    free(w->arena);
    free(w);
    return 0;
}
