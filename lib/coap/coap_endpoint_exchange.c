/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message layer: exchanges, the messages we sent that still expect
 * something.  Retransmission of CON messages with doubling timeouts
 * (RFC 7252 section 4.2), the wait for a response (section 5.2), NSTART
 * (section 4.7) and message ID allocation (section 4.4).  Incoming ACKs,
 * RSTs and responses are matched to these rows in coap_endpoint_input.c;
 * the shared design notes are in coap_endpoint.c.
 *
 * EXCHANGE STATE MACHINE (one per row of ep->ex)
 *
 *                send(): CON                    poll(): retransmit
 *   +------+ -----------------------> +----------+ ----+
 *   |      |                          | WAIT_ACK |     |
 *   |      | <----------------------- +----------+ <---+
 *   |      |  input(): ACK with response,   |
 *   | FREE |  ACK of CON response or ping,  | input(): Empty ACK
 *   |      |  RST; poll(): give up; cancel  v  to a request
 *   |      |  send(): NON request  +---------------+
 *   |      | --------------------> | WAIT_RESPONSE |
 *   |      | <-------------------- +---------------+
 *   +------+  input(): response (by token), RST to a NON;
 *             poll(): no response in time; cancel()
 *
 *    FREE          The row is all zeros and its slot holds nothing.
 *    WAIT_ACK      A CON (request, response or ping) of `len` bytes sits
 *                  in the row's slot; it has been transmitted
 *                  1 + retransmits times; `deadline` is when the current
 *                  timeout (`timeout_ms`, doubled at each retransmission)
 *                  runs out.  retransmits <= MAX_RETRANSMIT.
 *    WAIT_RESPONSE A request was acknowledged (CON) or sent (NON) and its
 *                  response has not come; `deadline` is when we stop
 *                  waiting (EXCHANGE_LIFETIME after the Empty ACK for a
 *                  CON, NON_LIFETIME after sending a NON).  Only requests
 *                  reach this state.
 *
 *    Transitions, each performed through bw_coap__ex_set_state() (EX_SET):
 *      FREE -> WAIT_ACK           bw_coap_endpoint_send(), CON
 *      FREE -> WAIT_RESPONSE      bw_coap_endpoint_send(), NON request
 *      WAIT_ACK -> WAIT_ACK       bw_coap_endpoint_poll(), retransmission
 *      WAIT_ACK -> WAIT_RESPONSE  on_ack() in bw_coap_endpoint_input(),
 *                                 Empty ACK to a request (separate
 *                                 response follows)
 *      WAIT_ACK -> FREE           input(): piggybacked response, ACK of a
 *                                 CON response or ping, RST (on_ack,
 *                                 on_rst); poll(): give up after
 *                                 MAX_RETRANSMIT; cancel()
 *      WAIT_RESPONSE -> FREE      input(): the response (CON or NON, by
 *                                 token; on_response), RST to a NON
 *                                 request (on_rst); poll(): no response in
 *                                 time; cancel()
 *    A CON response that arrives while the request still waits for its
 *    ACK acknowledges it implicitly (section 5.2.2): WAIT_ACK -> FREE.
 */
#include "coap_endpoint_int.h"

#include <assert.h>

#include "bw_mem.h"

/* ---- the state setter -------------------------------------------------- */

/*
 * The only place an exchange changes state.  Entry actions: FREE wipes the
 * row; WAIT_ACK arms the retransmission timer with the current timeout;
 * WAIT_RESPONSE arms the give-up timer.  Debug builds record the caller's
 * source line in trace_line (see EX_SET).
 */
void bw_coap__ex_set_state(bw_coap_endpoint_t *ep,
                           bw_coap_endpoint_exchange_t *x,
                           uint8_t state BW_COAP__LINE_PARAM)
{
    switch (state) {
    case EX_FREE:
        bw__zero(x, sizeof *x);
        break;
    case EX_WAIT_ACK:
        x->deadline = ep->now + x->timeout_ms;
        break;
    case EX_WAIT_RESPONSE:
        x->deadline = ep->now + (x->confirmable ? ep->exchange_lifetime_ms
                                                : ep->non_lifetime_ms);
        break;
    default:
        assert(0 && "unknown exchange state");
        return;
    }
    x->state = state;
#ifndef NDEBUG
    x->trace_line = (uint16_t)line;
#endif
}

/* ---- the table --------------------------------------------------------- */

bw_coap_endpoint_exchange_t *bw_coap__ex_by_mid(bw_coap_endpoint_t *ep,
                                                uint16_t mid)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
        if (ep->ex[i].state != EX_FREE && ep->ex[i].mid == mid)
            return &ep->ex[i];
    return NULL;
}

bw_coap_endpoint_exchange_t *bw_coap__ex_by_token(bw_coap_endpoint_t *ep,
                                                  const bw_coap_peer_t *peer,
                                                  const bw_coap_msg_t *m)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++) {
        bw_coap_endpoint_exchange_t *x = &ep->ex[i];
        if (x->state != EX_FREE && x->kind == KIND_REQUEST &&
            x->token_len == m->token_len &&
            bw__equal(x->token, m->token, m->token_len) &&
            bw_coap__ep_peer_eq(&x->peer, peer))
            return x;
    }
    return NULL;
}

unsigned bw_coap__ex_outstanding(const bw_coap_endpoint_t *ep,
                                 const bw_coap_peer_t *peer)
{
    unsigned n = 0;
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
        if (ep->ex[i].state != EX_FREE && ep->ex[i].kind != KIND_RESPONSE &&
            bw_coap__ep_peer_eq(&ep->ex[i].peer, peer))
            n++;
    return n;
}

static bw_coap_endpoint_exchange_t *ex_free_row(bw_coap_endpoint_t *ep)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
        if (ep->ex[i].state == EX_FREE)
            return &ep->ex[i];
    return NULL;
}

/*
 * The next message ID in sequence (section 4.4) that no live exchange
 * uses, so an ACK can never match two of ours.
 */
uint16_t bw_coap__ep_mid_alloc(bw_coap_endpoint_t *ep)
{
    uint16_t mid = ep->next_mid++;
    while (bw_coap__ex_by_mid(ep, mid) != NULL)
        mid = ep->next_mid++;
    return mid;
}

void bw_coap__ev_from_exchange(bw_coap_endpoint_event_t *ev,
                               const bw_coap_endpoint_exchange_t *x)
{
    ev->mid = x->mid;
    ev->token_len = x->token_len;
    bw__copy(ev->token, x->token, x->token_len);
}

/* Initial timeout: uniform in [ACK_TIMEOUT, ACK_TIMEOUT * RANDOM_FACTOR]. */
static uint64_t initial_timeout(bw_coap_endpoint_t *ep)
{
    uint64_t base = ep->params.ack_timeout_ms;
    uint64_t spread = bw__u64_div(
        base * (ep->params.ack_random_factor_milli - BW_COAP__EP_FACTOR_ONE),
        BW_COAP__EP_FACTOR_ONE, NULL);
    /*
     * Scale a 30-bit random fraction to [0, spread] by multiplying rather
     * than with '%' (no 64-bit division routine): spread + 1 is below 2^34
     * (ACK_TIMEOUT < 2^32, factor at most 4), so the product fits 64 bits,
     * and the bias is under 2^-30.
     */
    uint64_t frac = bw__splitmix64(&ep->rng) >> 34;
    return base + ((frac * (spread + 1u)) >> 30);
}

/* ---- sending ----------------------------------------------------------- */

/* What send() is asked to track, from the message's type and code. */
static int send_kind(const bw_coap_msg_t *m, uint8_t *kind)
{
    uint8_t con = m->type == BW_COAP_CON;

    if (m->type != BW_COAP_CON && m->type != BW_COAP_NON)
        return BW_EINVAL;
    if (m->code == BW_COAP_EMPTY && con)
        *kind = KIND_PING;
    else if (BW_COAP_CODE_CLASS(m->code) == BW_COAP__EP_CLASS_REQUEST &&
             m->code != BW_COAP_EMPTY)
        *kind = KIND_REQUEST;
    else if (bw_coap__ep_is_response(m->code))
        *kind = KIND_RESPONSE;
    else
        return BW_EINVAL;
    return 0;
}

int bw_coap_endpoint_send(bw_coap_endpoint_t *ep, uint64_t now,
                          const void *peer, size_t peer_len, uint8_t *msg,
                          size_t len, uint16_t *mid)
{
    bw_coap_msg_t m;
    bw_coap_peer_t p;
    bw_coap_endpoint_exchange_t *x = NULL;
    uint8_t kind, con;
    uint16_t id;

    if (mid != NULL)
        *mid = 0;
    if (ep == NULL || !bw_coap__ep_peer_ok(peer, peer_len) || msg == NULL)
        return BW_EINVAL;
    assert(bw_coap__ep_invariants(ep));
    ep->now = now;
    if (bw_coap_parse(&m, msg, len) != 0 || send_kind(&m, &kind) != 0)
        return BW_EINVAL;
    con = m.type == BW_COAP_CON;
    if (con && len > ep->slot_len)
        return BW_ENOSPC;
    bw_coap__ep_peer_set(&p, peer, peer_len);
    if (kind != KIND_RESPONSE &&
        bw_coap__ex_outstanding(ep, &p) >= ep->params.nstart)
        return BW_EBUSY;
    if (con || kind == KIND_REQUEST) { /* a NON response needs no row */
        x = ex_free_row(ep);
        if (x == NULL)
            return BW_ENOMEM;
    }
    id = bw_coap__ep_mid_alloc(ep);
    bw_coap__ep_put_mid(msg, id);
    if (x != NULL) {
        x->kind = kind;
        x->confirmable = con;
        x->mid = id;
        x->peer = p;
        x->token_len = m.token_len;
        bw__copy(x->token, m.token, m.token_len);
        if (con) {
            bw__copy(bw_coap__ex_slot(ep, x), msg, len);
            x->len = (uint16_t)len;
            x->timeout_ms = initial_timeout(ep);
            EX_SET(ep, x, EX_WAIT_ACK);
        } else {
            EX_SET(ep, x, EX_WAIT_RESPONSE);
        }
    }
    if (mid != NULL)
        *mid = id;
    assert(bw_coap__ep_invariants(ep));
    return 0;
}

/* ---- timers ------------------------------------------------------------ */

/* Index of the live exchange with the earliest deadline, or MAX when none. */
static size_t ex_earliest(const bw_coap_endpoint_t *ep)
{
    size_t best = BW_COAP_ENDPOINT_MAX_EXCHANGES;

    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
        if (ep->ex[i].state != EX_FREE &&
            (best == BW_COAP_ENDPOINT_MAX_EXCHANGES ||
             ep->ex[i].deadline < ep->ex[best].deadline))
            best = i;
    return best;
}

uint64_t bw_coap_endpoint_next_timeout(const bw_coap_endpoint_t *ep)
{
    size_t i;

    if (ep == NULL)
        return BW_COAP_ENDPOINT_NEVER;
    i = ex_earliest(ep);
    return i < BW_COAP_ENDPOINT_MAX_EXCHANGES ? ep->ex[i].deadline
                                              : BW_COAP_ENDPOINT_NEVER;
}

int bw_coap_endpoint_poll(bw_coap_endpoint_t *ep, uint64_t now,
                          bw_coap_endpoint_event_t *ev)
{
    bw_coap_endpoint_exchange_t *x;
    size_t i;

    if (ev != NULL)
        bw__zero(ev, sizeof *ev);
    if (ep == NULL || ev == NULL)
        return BW_EINVAL;
    assert(bw_coap__ep_invariants(ep));
    ep->now = now;
    bw_coap__dd_expire(ep);
    i = ex_earliest(ep);
    if (i == BW_COAP_ENDPOINT_MAX_EXCHANGES || ep->ex[i].deadline > now)
        return 0;
    x = &ep->ex[i];
    ev->peer = x->peer;
    bw_coap__ev_from_exchange(ev, x);
    if (x->state == EX_WAIT_ACK && x->retransmits < ep->params.max_retransmit) {
        x->retransmits++;
        x->timeout_ms *= 2;
        EX_SET(ep, x, EX_WAIT_ACK);
        ev->kind = BW_COAP_ENDPOINT_EV_RETRANSMIT;
        ev->tx = bw_coap__ex_slot(ep, x);
        ev->tx_len = x->len;
    } else {
        ev->kind = BW_COAP_ENDPOINT_EV_FAILED;
        ev->err = BW_ETIMEOUT;
        EX_SET(ep, x, EX_FREE);
    }
    assert(bw_coap__ep_invariants(ep));
    return 1;
}

int bw_coap_endpoint_cancel(bw_coap_endpoint_t *ep, uint16_t mid)
{
    bw_coap_endpoint_exchange_t *x;

    if (ep == NULL)
        return BW_EINVAL;
    assert(bw_coap__ep_invariants(ep));
    x = bw_coap__ex_by_mid(ep, mid);
    if (x == NULL)
        return BW_ENOTFOUND;
    EX_SET(ep, x, EX_FREE);
    assert(bw_coap__ep_invariants(ep));
    return 0;
}
