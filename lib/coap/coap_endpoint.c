/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message layer (RFC 7252 section 4): set-up, the helpers every part
 * of the endpoint shares, and the invariant checker.  The API and its
 * contract are in include/bulwark/coap_endpoint.h; the wire codec it
 * relies on is coap_msg.c / coap_writer.c.  The endpoint never sends
 * anything itself: it hands datagrams back to the caller, who owns the
 * socket and the clock.
 *
 * DESIGN NOTES
 *
 * The endpoint is two tables, each row a small state machine, plus a
 * PRNG word and the next message ID:
 *
 *   ex[]  exchanges: messages we sent that still expect something (an ACK,
 *         a response).  States, diagram and transitions:
 *         coap_endpoint_exchange.c.
 *   dd[]  deduplication entries: (peer, message ID) pairs we received,
 *         with the answer they got.  States, diagram and transitions:
 *         coap_endpoint_dedup.c.
 *
 * coap_endpoint_input.c decides which table an incoming datagram concerns.
 * Each table has one state setter (EX_SET, DD_SET); nothing else writes a
 * row's state.
 *
 * Every public entry point that changes the endpoint checks
 * bw_coap__ep_invariants() in an assert on the way in and on the way out.
 * The invariants:
 *   I1. Each row is in a known state; a FREE row is all zeros (but for
 *       its trace line).
 *   I2. WAIT_ACK rows are confirmable, hold 4..slot_len bytes and have
 *       retransmits <= MAX_RETRANSMIT; WAIT_RESPONSE rows are requests.
 *   I3. No two live exchanges share a message ID (ACKs match on it).
 *   I4. No peer has more than NSTART live requests and pings.
 *   I5. REPLY_SLOT entries hold 1..slot_len bytes; other entries none.
 *   I6. No two live entries share (peer, message ID).
 */
#include "coap_endpoint_int.h"

#include <assert.h>

#include "bw_mem.h"

/* ---- shared helpers ---------------------------------------------------- */

/*
 * splitmix64: a small, well-distributed generator whose whole state is one
 * word, so it lives in the context and two endpoints never share it.
 */
void bw_coap__ep_peer_set(bw_coap_peer_t *p, const void *addr, size_t len)
{
    bw__zero(p, sizeof *p);
    p->len = (uint8_t)len;
    bw__copy(p->addr, addr, len);
}

int bw_coap__ep_peer_eq(const bw_coap_peer_t *a, const bw_coap_peer_t *b)
{
    return a->len == b->len && bw__equal(a->addr, b->addr, a->len);
}

int bw_coap__ep_peer_ok(const void *peer, size_t len)
{
    return peer != NULL && len >= 1 && len <= BW_COAP_ENDPOINT_MAX_PEER_LEN;
}

static uint8_t *slot_of(const bw_coap_endpoint_t *ep, size_t index)
{
    return ep->arena + index * ep->slot_len;
}

/* Slots 0 .. MAX_EXCHANGES-1 belong to exchanges, the rest to entries. */
uint8_t *bw_coap__ex_slot(const bw_coap_endpoint_t *ep,
                          const bw_coap_endpoint_exchange_t *x)
{
    return slot_of(ep, (size_t)(x - ep->ex));
}

uint8_t *bw_coap__dd_slot(const bw_coap_endpoint_t *ep,
                          const bw_coap_endpoint_dedup_t *d)
{
    return slot_of(ep, BW_COAP_ENDPOINT_MAX_EXCHANGES + (size_t)(d - ep->dd));
}

int bw_coap__ep_is_response(uint8_t code)
{
    uint8_t c = BW_COAP_CODE_CLASS(code);
    return c >= BW_COAP__EP_CLASS_SUCCESS && c <= BW_COAP__EP_CLASS_LAST;
}

void bw_coap__ep_put_mid(uint8_t *msg, uint16_t mid)
{
    msg[2] = (uint8_t)(mid >> 8);
    msg[3] = (uint8_t)mid;
}

void bw_coap__ep_put_type(uint8_t *msg, uint8_t type)
{
    msg[0] = (uint8_t)((msg[0] & ~BW_COAP__EP_TYPE_BITS) |
                       (unsigned)type << BW_COAP__EP_TYPE_SHIFT);
}

const uint8_t *bw_coap__ep_ctl(bw_coap_endpoint_t *ep, uint8_t type,
                               uint16_t mid)
{
    ep->ctl[0] = (uint8_t)(BW_COAP__EP_VERSION << BW_COAP__EP_VERSION_SHIFT |
                           (unsigned)type << BW_COAP__EP_TYPE_SHIFT);
    ep->ctl[1] = BW_COAP_EMPTY;
    bw_coap__ep_put_mid(ep->ctl, mid);
    return ep->ctl;
}

void bw_coap__ev_ctl(bw_coap_endpoint_t *ep, bw_coap_endpoint_event_t *ev,
                     uint8_t type, uint16_t mid)
{
    ev->tx = bw_coap__ep_ctl(ep, type, mid);
    ev->tx_len = BW_COAP_HEADER_LEN;
}

/* ---- invariants -------------------------------------------------------- */

/*
 * Checked only through assert(), so compiled only when asserts are on;
 * release builds keep none of this code.
 */
#ifndef NDEBUG

static int is_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

static int ex_row_ok(const bw_coap_endpoint_t *ep,
                     const bw_coap_endpoint_exchange_t *x)
{
    bw_coap_endpoint_exchange_t zero;

    if (x->state == EX_FREE) { /* I1, ignoring the trace */
        zero = *x;
        zero.trace_line = 0;
        return is_zero(&zero, sizeof zero);
    }
    if (x->kind < KIND_REQUEST || x->kind > KIND_PING ||
        x->token_len > BW_COAP_MAX_TOKEN_LEN ||
        x->peer.len > BW_COAP_ENDPOINT_MAX_PEER_LEN)
        return 0;
    if (x->state == EX_WAIT_ACK) /* I2 */
        return x->confirmable && x->len >= BW_COAP_HEADER_LEN &&
               x->len <= ep->slot_len &&
               x->retransmits <= ep->params.max_retransmit;
    if (x->state == EX_WAIT_RESPONSE)
        return x->kind == KIND_REQUEST;
    return 0;
}

static int dd_row_ok(const bw_coap_endpoint_t *ep,
                     const bw_coap_endpoint_dedup_t *d)
{
    bw_coap_endpoint_dedup_t zero;

    switch (d->state) {
    case DD_FREE:
        zero = *d;
        zero.trace_line = 0;
        return is_zero(&zero, sizeof zero);
    case DD_REPLY_SLOT: /* I5 */
        return d->len >= 1 && d->len <= ep->slot_len;
    case DD_PENDING:
    case DD_REPLY_ACK:
    case DD_REPLY_RST:
    case DD_SILENT:
    case DD_UNDECIDED:
        return d->len == 0 && d->peer.len <= BW_COAP_ENDPOINT_MAX_PEER_LEN;
    default:
        return 0;
    }
}

int bw_coap__ep_invariants(const bw_coap_endpoint_t *ep)
{
    size_t i, j, n;

    for (i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++) {
        const bw_coap_endpoint_exchange_t *x = &ep->ex[i];
        if (!ex_row_ok(ep, x))
            return 0;
        if (x->state == EX_FREE)
            continue;
        n = 0;
        for (j = 0; j < BW_COAP_ENDPOINT_MAX_EXCHANGES; j++) {
            const bw_coap_endpoint_exchange_t *y = &ep->ex[j];
            if (j == i || y->state == EX_FREE)
                continue;
            if (y->mid == x->mid) /* I3 */
                return 0;
            if (y->kind != KIND_RESPONSE &&
                bw_coap__ep_peer_eq(&x->peer, &y->peer))
                n++;
        }
        if (x->kind != KIND_RESPONSE && n + 1 > ep->params.nstart) /* I4 */
            return 0;
    }
    for (i = 0; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES; i++) {
        const bw_coap_endpoint_dedup_t *d = &ep->dd[i];
        if (!dd_row_ok(ep, d))
            return 0;
        if (d->state == DD_FREE)
            continue;
        for (j = i + 1; j < BW_COAP_ENDPOINT_DEDUP_ENTRIES; j++) /* I6 */
            if (ep->dd[j].state != DD_FREE && ep->dd[j].mid == d->mid &&
                bw_coap__ep_peer_eq(&ep->dd[j].peer, &d->peer))
                return 0;
    }
    return 1;
}
#endif /* NDEBUG */

/* ---- set-up ------------------------------------------------------------ */

void bw_coap_endpoint_params_default(bw_coap_endpoint_params_t *p)
{
    if (p == NULL)
        return;
    bw__zero(p, sizeof *p);
    p->ack_timeout_ms = 2000;
    p->ack_random_factor_milli = 1500;
    p->max_retransmit = 4;
    p->nstart = 1;
    p->max_latency_ms = 100000;
    p->processing_delay_ms = 2000;
}

static int params_ok(const bw_coap_endpoint_params_t *p)
{
    return p->ack_timeout_ms >= 1 &&
           p->ack_random_factor_milli >= BW_COAP__EP_FACTOR_ONE &&
           p->ack_random_factor_milli <=
               BW_COAP_ENDPOINT_MAX_RANDOM_FACTOR_MILLI &&
           p->max_retransmit <= BW_COAP_ENDPOINT_MAX_RETRANSMIT_LIMIT &&
           p->nstart >= 1 && p->nstart <= BW_COAP_ENDPOINT_MAX_EXCHANGES;
}

int bw_coap_endpoint_init(bw_coap_endpoint_t *ep,
                          const bw_coap_endpoint_params_t *params,
                          uint64_t seed, uint8_t *arena, size_t arena_len,
                          size_t slot_len)
{
    bw_coap_endpoint_params_t p;
    uint64_t span;

    if (ep == NULL)
        return BW_EINVAL;
    bw__zero(ep, sizeof *ep);
    if (params != NULL)
        p = *params;
    else
        bw_coap_endpoint_params_default(&p);
    if (arena == NULL || !params_ok(&p) ||
        slot_len < BW_COAP_ENDPOINT_MIN_SLOT_LEN ||
        slot_len > BW_COAP_ENDPOINT_MAX_SLOT_LEN ||
        arena_len < BW_COAP_ENDPOINT_ARENA_LEN(slot_len))
        return BW_EINVAL;
    ep->params = p;
    /* MAX_TRANSMIT_SPAN = ACK_TIMEOUT * (2^MAX_RETRANSMIT - 1) * FACTOR */
    span = bw__u64_div((uint64_t)p.ack_timeout_ms *
                           ((1u << p.max_retransmit) - 1u) *
                           p.ack_random_factor_milli,
                       BW_COAP__EP_FACTOR_ONE, NULL);
    ep->exchange_lifetime_ms =
        span + 2u * (uint64_t)p.max_latency_ms + p.processing_delay_ms;
    ep->non_lifetime_ms = span + p.max_latency_ms;
    ep->rng = seed;
    ep->next_mid = (uint16_t)bw__splitmix64(&ep->rng);
    ep->arena = arena;
    ep->slot_len = slot_len;
    assert(bw_coap__ep_invariants(ep));
    return 0;
}

uint64_t bw_coap_endpoint_exchange_lifetime(const bw_coap_endpoint_t *ep)
{
    return ep != NULL ? ep->exchange_lifetime_ms : 0;
}

uint64_t bw_coap_endpoint_non_lifetime(const bw_coap_endpoint_t *ep)
{
    return ep != NULL ? ep->non_lifetime_ms : 0;
}

int bw_coap_endpoint_token(bw_coap_endpoint_t *ep, uint8_t *token, size_t len)
{
    if (ep == NULL || (token == NULL && len > 0) || len > BW_COAP_MAX_TOKEN_LEN)
        return BW_EINVAL;
    for (size_t i = 0; i < len; i++)
        token[i] = (uint8_t)bw__splitmix64(&ep->rng);
    return 0;
}
