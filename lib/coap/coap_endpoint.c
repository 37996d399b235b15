/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message layer (RFC 7252 section 4): retransmission of CON messages,
 * ACK/RST matching, duplicate detection, request/response matching by
 * token, and NSTART.  The API and its contract are in
 * include/bulwark/coap_endpoint.h; the wire codec it relies on is
 * coap_msg.c / coap_writer.c.  This file never sends anything itself: it
 * hands datagrams back to the caller, who owns the socket and the clock.
 *
 * DESIGN NOTES
 *
 * Two tables, each a small state machine per row.
 *
 * 1. Exchanges: messages we sent that still expect something.
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
 *    Transitions, each performed through ex_set_state():
 *      FREE -> WAIT_ACK           bw_coap_endpoint_send(), CON
 *      FREE -> WAIT_RESPONSE      bw_coap_endpoint_send(), NON request
 *      WAIT_ACK -> WAIT_ACK       bw_coap_endpoint_poll(), retransmission
 *      WAIT_ACK -> WAIT_RESPONSE  bw_coap_endpoint_input(), Empty ACK to
 *                                 a request (separate response follows)
 *      WAIT_ACK -> FREE           input(): piggybacked response, ACK of a
 *                                 CON response or ping, RST; poll(): give
 *                                 up after MAX_RETRANSMIT; cancel()
 *      WAIT_RESPONSE -> FREE      input(): the response (CON or NON, by
 *                                 token), RST to a NON request; poll():
 *                                 no response in time; cancel()
 *    A CON response that arrives while the request still waits for its
 *    ACK acknowledges it implicitly (section 5.2.2): WAIT_ACK -> FREE.
 *
 * 2. Deduplication entries: (peer, message ID) pairs we received.
 *
 *            input(): new request            respond(), CON --> REPLY_SLOT
 *   +------+ -----------------> +---------+  accept(), CON ---> REPLY_ACK
 *   | FREE |                    | PENDING |  reject(), CON ---> REPLY_RST
 *   +------+                    +---------+  respond()/reject(), NON
 *      |                                                    --> SILENT
 *      +-- input(): response to our request --> REPLY_ACK (CON), SILENT (NON)
 *
 *   Every other state returns to FREE when the entry expires (checked
 *   lazily at each entry point) or is evicted to make room.
 *
 *    PENDING     The application got the request and owes an answer;
 *                duplicates are dropped meanwhile (the peer retransmits).
 *    REPLY_SLOT  The piggybacked response (`len` bytes) is in the slot;
 *                a duplicate CON gets it again.
 *    REPLY_ACK   We sent an Empty ACK; a duplicate CON gets it again.
 *    REPLY_RST   We sent an RST; a duplicate CON gets it again.
 *    SILENT      Nothing to repeat (NON, or NON request answered).
 *    An entry lives EXCHANGE_LIFETIME (CON) or NON_LIFETIME (NON) from
 *    its first reception, then becomes FREE; dd_set_state() performs
 *    every change.
 *
 * Every public entry point checks ep_invariants() in an assert on the way
 * in and on the way out.  The invariants:
 *   I1. Each row is in a known state; a FREE row is all zeros.
 *   I2. WAIT_ACK rows are confirmable, hold 4..slot_len bytes and have
 *       retransmits <= MAX_RETRANSMIT; WAIT_RESPONSE rows are requests.
 *   I3. No two live exchanges share a message ID (ACKs match on it).
 *   I4. No peer has more than NSTART live requests and pings.
 *   I5. REPLY_SLOT entries hold 1..slot_len bytes; other entries none.
 *   I6. No two live entries share (peer, message ID).
 */
#include "bulwark/coap_endpoint.h"

#include <assert.h>
#include <string.h>

/* Exchange states and kinds. */
enum { EX_FREE = 0, EX_WAIT_ACK, EX_WAIT_RESPONSE };
enum { KIND_NONE = 0, KIND_REQUEST, KIND_RESPONSE, KIND_PING };

/* Deduplication entry states. */
enum {
    DD_FREE = 0,
    DD_PENDING,
    DD_REPLY_SLOT,
    DD_REPLY_ACK,
    DD_REPLY_RST,
    DD_SILENT,
};

#define COAP_VERSION        1u
#define VERSION_SHIFT       6
#define TYPE_SHIFT          4
#define TYPE_BITS           0x30u
#define TWO_BITS            0x3u
#define FACTOR_ONE          1000u /* ACK_RANDOM_FACTOR 1.0 in thousandths */
#define CLASS_REQUEST       0
#define CLASS_SIGNAL        1 /* 1.xx is reserved (RFC 7252 section 12.1) */
#define CLASS_SUCCESS       2
#define CLASS_LAST_RESPONSE 5 /* 6.xx and 7.xx are reserved too */

#define EX_SET(ep, x, st, now) ex_set_state((ep), (x), (st), (now), __LINE__)
#define DD_SET(d, st)          dd_set_state((d), (st), __LINE__)

/* ---- helpers ---------------------------------------------------------- */

/*
 * splitmix64: a small, well-distributed generator whose whole state is one
 * word, so it lives in the context and two endpoints never share it.
 */
static uint64_t rng_next(bw_coap_endpoint_t *ep)
{
    uint64_t z;

    ep->rng += 0x9e3779b97f4a7c15u;
    z = ep->rng;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void peer_set(bw_coap_peer_t *p, const void *addr, size_t len)
{
    memset(p, 0, sizeof *p);
    p->len = (uint8_t)len;
    memcpy(p->addr, addr, len);
}

static int peer_eq(const bw_coap_peer_t *a, const bw_coap_peer_t *b)
{
    return a->len == b->len && memcmp(a->addr, b->addr, a->len) == 0;
}

static uint8_t *slot_of(const bw_coap_endpoint_t *ep, size_t index)
{
    return ep->arena + index * ep->slot_len;
}

static uint8_t *ex_slot(const bw_coap_endpoint_t *ep,
                        const bw_coap_endpoint_exchange_t *x)
{
    return slot_of(ep, (size_t)(x - ep->ex));
}

static uint8_t *dd_slot(const bw_coap_endpoint_t *ep,
                        const bw_coap_endpoint_dedup_t *d)
{
    return slot_of(ep, BW_COAP_ENDPOINT_MAX_EXCHANGES + (size_t)(d - ep->dd));
}

static uint8_t code_class(uint8_t code)
{
    return BW_COAP_CODE_CLASS(code);
}

static int is_response_code(uint8_t code)
{
    uint8_t c = code_class(code);
    return c >= CLASS_SUCCESS && c <= CLASS_LAST_RESPONSE;
}

static void put_mid(uint8_t *msg, uint16_t mid)
{
    msg[2] = (uint8_t)(mid >> 8);
    msg[3] = (uint8_t)mid;
}

static void put_type(uint8_t *msg, uint8_t type)
{
    msg[0] = (uint8_t)((msg[0] & ~TYPE_BITS) | (unsigned)type << TYPE_SHIFT);
}

/* Build an Empty ACK or RST for mid in ep->ctl. */
static const uint8_t *make_ctl(bw_coap_endpoint_t *ep, uint8_t type,
                               uint16_t mid)
{
    ep->ctl[0] =
        (uint8_t)(COAP_VERSION << VERSION_SHIFT | (unsigned)type << TYPE_SHIFT);
    ep->ctl[1] = BW_COAP_EMPTY;
    put_mid(ep->ctl, mid);
    return ep->ctl;
}

static void ev_ctl(bw_coap_endpoint_t *ep, bw_coap_endpoint_event_t *ev,
                   uint8_t type, uint16_t mid)
{
    ev->tx = make_ctl(ep, type, mid);
    ev->tx_len = BW_COAP_HEADER_LEN;
}

static void ev_reject(bw_coap_endpoint_event_t *ev, int err)
{
    ev->kind = BW_COAP_ENDPOINT_EV_REJECTED;
    ev->err = err;
}

static void ev_from_exchange(bw_coap_endpoint_event_t *ev,
                             const bw_coap_endpoint_exchange_t *x)
{
    ev->mid = x->mid;
    ev->token_len = x->token_len;
    memcpy(ev->token, x->token, x->token_len);
}

/* ---- state setters ---------------------------------------------------- */

/*
 * The only place an exchange changes state.  Entry actions: FREE wipes the
 * row; WAIT_ACK arms the retransmission timer with the current timeout;
 * WAIT_RESPONSE arms the give-up timer.  trace_line records the caller's
 * source line for post-mortem inspection of a context.
 */
static void ex_set_state(bw_coap_endpoint_t *ep, bw_coap_endpoint_exchange_t *x,
                         uint8_t state, uint64_t now, int line)
{
    switch (state) {
    case EX_FREE:
        memset(x, 0, sizeof *x);
        break;
    case EX_WAIT_ACK:
        x->deadline = now + x->timeout_ms;
        break;
    case EX_WAIT_RESPONSE:
        x->deadline = now + (x->confirmable ? ep->exchange_lifetime_ms
                                            : ep->non_lifetime_ms);
        break;
    default:
        assert(0 && "unknown exchange state");
        return;
    }
    x->state = state;
    x->trace_line = (uint16_t)line;
}

/* The only place a deduplication entry changes state; FREE wipes it. */
static void dd_set_state(bw_coap_endpoint_dedup_t *d, uint8_t state, int line)
{
    if (state == DD_FREE)
        memset(d, 0, sizeof *d);
    d->state = state;
    d->trace_line = (uint16_t)line;
}

/* ---- invariants ------------------------------------------------------- */

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
        return d->len == 0 && d->peer.len <= BW_COAP_ENDPOINT_MAX_PEER_LEN;
    default:
        return 0;
    }
}

static int ep_invariants(const bw_coap_endpoint_t *ep)
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
            if (y->kind != KIND_RESPONSE && peer_eq(&x->peer, &y->peer))
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
                peer_eq(&ep->dd[j].peer, &d->peer))
                return 0;
    }
    return 1;
}
#endif /* NDEBUG */

/* ---- tables ----------------------------------------------------------- */

static bw_coap_endpoint_exchange_t *ex_by_mid(bw_coap_endpoint_t *ep,
                                              uint16_t mid)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
        if (ep->ex[i].state != EX_FREE && ep->ex[i].mid == mid)
            return &ep->ex[i];
    return NULL;
}

static bw_coap_endpoint_exchange_t *ex_by_token(bw_coap_endpoint_t *ep,
                                                const bw_coap_peer_t *peer,
                                                const bw_coap_msg_t *m)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++) {
        bw_coap_endpoint_exchange_t *x = &ep->ex[i];
        if (x->state != EX_FREE && x->kind == KIND_REQUEST &&
            x->token_len == m->token_len &&
            memcmp(x->token, m->token, m->token_len) == 0 &&
            peer_eq(&x->peer, peer))
            return x;
    }
    return NULL;
}

/* Requests and pings outstanding to peer (what NSTART limits). */
static unsigned ex_outstanding(const bw_coap_endpoint_t *ep,
                               const bw_coap_peer_t *peer)
{
    unsigned n = 0;
    for (size_t i = 0; i < BW_COAP_ENDPOINT_MAX_EXCHANGES; i++)
        if (ep->ex[i].state != EX_FREE && ep->ex[i].kind != KIND_RESPONSE &&
            peer_eq(&ep->ex[i].peer, peer))
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
 * A fresh message ID: the next in sequence (section 4.4) that no live
 * exchange uses, so an ACK can never match two of ours.
 */
static uint16_t mid_alloc(bw_coap_endpoint_t *ep)
{
    uint16_t mid = ep->next_mid++;
    while (ex_by_mid(ep, mid) != NULL)
        mid = ep->next_mid++;
    return mid;
}

/* Initial timeout: uniform in [ACK_TIMEOUT, ACK_TIMEOUT * RANDOM_FACTOR]. */
static uint64_t initial_timeout(bw_coap_endpoint_t *ep)
{
    uint64_t base = ep->params.ack_timeout_ms;
    uint64_t spread =
        base * (ep->params.ack_random_factor_milli - FACTOR_ONE) / FACTOR_ONE;
    return base + rng_next(ep) % (spread + 1);
}

static void dd_expire(bw_coap_endpoint_t *ep, uint64_t now)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES; i++)
        if (ep->dd[i].state != DD_FREE && ep->dd[i].expires <= now)
            DD_SET(&ep->dd[i], DD_FREE);
}

static bw_coap_endpoint_dedup_t *
dd_find(bw_coap_endpoint_t *ep, const bw_coap_peer_t *peer, uint16_t mid)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES; i++) {
        bw_coap_endpoint_dedup_t *d = &ep->dd[i];
        if (d->state != DD_FREE && d->mid == mid && peer_eq(&d->peer, peer))
            return d;
    }
    return NULL;
}

/*
 * Remember (peer, mid).  Takes a free entry, else evicts the answered
 * entry closest to expiry; entries still PENDING are never evicted, since
 * the application is about to answer them.  NULL when all are pending.
 */
static bw_coap_endpoint_dedup_t *dd_insert(bw_coap_endpoint_t *ep, uint64_t now,
                                           const bw_coap_peer_t *peer,
                                           uint16_t mid, uint8_t confirmable,
                                           uint8_t state)
{
    bw_coap_endpoint_dedup_t *d = NULL;

    for (size_t i = 0; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES; i++) {
        bw_coap_endpoint_dedup_t *c = &ep->dd[i];
        if (c->state == DD_FREE) {
            d = c;
            break;
        }
        if (c->state != DD_PENDING && (d == NULL || c->expires < d->expires))
            d = c;
    }
    if (d == NULL)
        return NULL;
    DD_SET(d, DD_FREE);
    d->peer = *peer;
    d->mid = mid;
    d->confirmable = confirmable;
    d->expires =
        now + (confirmable ? ep->exchange_lifetime_ms : ep->non_lifetime_ms);
    DD_SET(d, state);
    return d;
}

/* ---- setup ------------------------------------------------------------ */

void bw_coap_endpoint_params_default(bw_coap_endpoint_params_t *p)
{
    if (p == NULL)
        return;
    memset(p, 0, sizeof *p);
    p->ack_timeout_ms = 2000;
    p->ack_random_factor_milli = 1500;
    p->max_retransmit = 4;
    p->nstart = 1;
    p->max_latency_ms = 100000;
    p->processing_delay_ms = 2000;
}

static int params_ok(const bw_coap_endpoint_params_t *p)
{
    return p->ack_timeout_ms >= 1 && p->ack_random_factor_milli >= FACTOR_ONE &&
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
    memset(ep, 0, sizeof *ep);
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
    span = (uint64_t)p.ack_timeout_ms * ((1u << p.max_retransmit) - 1u) *
           p.ack_random_factor_milli / FACTOR_ONE;
    ep->exchange_lifetime_ms =
        span + 2u * (uint64_t)p.max_latency_ms + p.processing_delay_ms;
    ep->non_lifetime_ms = span + p.max_latency_ms;
    ep->rng = seed;
    ep->next_mid = (uint16_t)rng_next(ep);
    ep->arena = arena;
    ep->slot_len = slot_len;
    assert(ep_invariants(ep));
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
        token[i] = (uint8_t)rng_next(ep);
    return 0;
}

/* ---- input ------------------------------------------------------------ */

static void on_ack(bw_coap_endpoint_t *ep, uint64_t now, const bw_coap_msg_t *m,
                   bw_coap_endpoint_event_t *ev)
{
    bw_coap_endpoint_exchange_t *x;

    /* An ACK is Empty or carries a response (section 4.2). */
    if (m->code != BW_COAP_EMPTY && !is_response_code(m->code)) {
        ev_reject(ev, BW_EMALFORMED);
        return;
    }
    x = ex_by_mid(ep, m->mid);
    if (x == NULL || x->state != EX_WAIT_ACK || !peer_eq(&x->peer, &ev->peer)) {
        ev_reject(ev, BW_ESTALE); /* late, duplicated or foreign */
        return;
    }
    if (x->kind != KIND_REQUEST) {
        ev_from_exchange(ev, x);
        ev->kind = BW_COAP_ENDPOINT_EV_DONE;
        EX_SET(ep, x, EX_FREE, now);
        return;
    }
    if (m->code == BW_COAP_EMPTY) {
        /* Separate response follows; stop retransmitting. */
        EX_SET(ep, x, EX_WAIT_RESPONSE, now);
        return;
    }
    if (x->token_len != m->token_len ||
        memcmp(x->token, m->token, m->token_len) != 0) {
        ev_reject(ev, BW_ESTALE); /* section 5.3.2: both must match */
        return;
    }
    ev_from_exchange(ev, x);
    ev->kind = BW_COAP_ENDPOINT_EV_RESPONSE;
    ev->msg = *m;
    EX_SET(ep, x, EX_FREE, now);
}

static void on_rst(bw_coap_endpoint_t *ep, uint64_t now, const bw_coap_msg_t *m,
                   bw_coap_endpoint_event_t *ev)
{
    bw_coap_endpoint_exchange_t *x;

    if (m->code != BW_COAP_EMPTY) { /* an RST is always Empty */
        ev_reject(ev, BW_EMALFORMED);
        return;
    }
    x = ex_by_mid(ep, m->mid);
    /* RST answers a CON still unacknowledged, or a NON we sent. */
    if (x == NULL || !peer_eq(&x->peer, &ev->peer) ||
        (x->confirmable && x->state != EX_WAIT_ACK)) {
        ev_reject(ev, BW_ESTALE);
        return;
    }
    ev_from_exchange(ev, x);
    if (x->kind == KIND_PING) {
        ev->kind = BW_COAP_ENDPOINT_EV_DONE; /* the pong */
    } else {
        ev->kind = BW_COAP_ENDPOINT_EV_FAILED;
        ev->err = BW_ERESET;
    }
    EX_SET(ep, x, EX_FREE, now);
}

/* A duplicate CON gets the answer the original got, if there was one. */
static void replay(bw_coap_endpoint_t *ep, const bw_coap_endpoint_dedup_t *d,
                   bw_coap_endpoint_event_t *ev)
{
    switch (d->state) {
    case DD_REPLY_SLOT:
        ev->tx = dd_slot(ep, d);
        ev->tx_len = d->len;
        break;
    case DD_REPLY_ACK:
        ev_ctl(ep, ev, BW_COAP_ACK, d->mid);
        break;
    case DD_REPLY_RST:
        ev_ctl(ep, ev, BW_COAP_RST, d->mid);
        break;
    default: /* PENDING, SILENT: nothing to repeat */
        break;
    }
}

static void on_response(bw_coap_endpoint_t *ep, uint64_t now,
                        const bw_coap_msg_t *m, bw_coap_endpoint_event_t *ev)
{
    uint8_t con = m->type == BW_COAP_CON;
    bw_coap_endpoint_exchange_t *x = ex_by_token(ep, &ev->peer, m);

    if (x == NULL) {
        /* Nobody asked: reject a CON with RST (section 5.3.2). */
        if (con)
            ev_ctl(ep, ev, BW_COAP_RST, m->mid);
        ev_reject(ev, BW_ESTALE);
        return;
    }
    ev_from_exchange(ev, x);
    ev->kind = BW_COAP_ENDPOINT_EV_RESPONSE;
    ev->msg = *m;
    EX_SET(ep, x, EX_FREE, now);
    /* Remember it so a retransmission gets the ACK again, not the app. */
    (void)dd_insert(ep, now, &ev->peer, m->mid, con,
                    con ? DD_REPLY_ACK : DD_SILENT);
    if (con)
        ev_ctl(ep, ev, BW_COAP_ACK, m->mid);
}

static void on_message(bw_coap_endpoint_t *ep, uint64_t now,
                       const bw_coap_msg_t *m, bw_coap_endpoint_event_t *ev)
{
    uint8_t con = m->type == BW_COAP_CON;
    uint8_t cls = code_class(m->code);
    const bw_coap_endpoint_dedup_t *dup;

    if (m->code == BW_COAP_EMPTY) {
        if (con) /* CoAP ping: answer with RST (section 4.3) */
            ev_ctl(ep, ev, BW_COAP_RST, m->mid);
        else /* a NON is never Empty */
            ev_reject(ev, BW_EMALFORMED);
        return;
    }
    if (cls == CLASS_SIGNAL || cls > CLASS_LAST_RESPONSE) {
        if (con)
            ev_ctl(ep, ev, BW_COAP_RST, m->mid);
        ev_reject(ev, BW_EUNSUPPORTED);
        return;
    }
    dup = dd_find(ep, &ev->peer, m->mid);
    if (dup != NULL) {
        if (con)
            replay(ep, dup, ev);
        return; /* a duplicate NON is dropped */
    }
    if (cls != CLASS_REQUEST) {
        on_response(ep, now, m, ev);
        return;
    }
    if (dd_insert(ep, now, &ev->peer, m->mid, con, DD_PENDING) == NULL) {
        /* No RST: the peer retransmits and may find room later. */
        ev_reject(ev, BW_ENOMEM);
        return;
    }
    ev->kind = BW_COAP_ENDPOINT_EV_REQUEST;
    ev->type = m->type;
    ev->mid = m->mid;
    ev->token_len = m->token_len;
    memcpy(ev->token, m->token, m->token_len);
    ev->msg = *m;
}

static int peer_len_ok(const void *peer, size_t len)
{
    return peer != NULL && len >= 1 && len <= BW_COAP_ENDPOINT_MAX_PEER_LEN;
}

int bw_coap_endpoint_input(bw_coap_endpoint_t *ep, uint64_t now,
                           const void *peer, size_t peer_len,
                           const uint8_t *buf, size_t len,
                           bw_coap_endpoint_event_t *ev)
{
    bw_coap_msg_t m;
    int rc;

    if (ev != NULL)
        memset(ev, 0, sizeof *ev);
    if (ep == NULL || ev == NULL || !peer_len_ok(peer, peer_len) ||
        (buf == NULL && len > 0))
        return BW_EINVAL;
    assert(ep_invariants(ep));
    peer_set(&ev->peer, peer, peer_len);
    dd_expire(ep, now);

    rc = bw_coap_parse(&m, buf, len);
    if (rc != 0) {
        /* Reject a CON we can read the ID of with RST (section 4.2). */
        if (len >= BW_COAP_HEADER_LEN &&
            buf[0] >> VERSION_SHIFT == COAP_VERSION &&
            ((buf[0] >> TYPE_SHIFT) & TWO_BITS) == BW_COAP_CON)
            ev_ctl(ep, ev, BW_COAP_RST, (uint16_t)(buf[2] << 8 | buf[3]));
        ev_reject(ev, rc);
    } else if (m.type == BW_COAP_ACK) {
        on_ack(ep, now, &m, ev);
    } else if (m.type == BW_COAP_RST) {
        on_rst(ep, now, &m, ev);
    } else {
        on_message(ep, now, &m, ev);
    }
    if (ev->kind == BW_COAP_ENDPOINT_EV_REJECTED) { /* nothing to report */
        ev->mid = 0;
        ev->token_len = 0;
        memset(ev->token, 0, sizeof ev->token);
    }
    assert(ep_invariants(ep));
    return 0;
}

/* ---- sending ---------------------------------------------------------- */

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
    if (ep == NULL || !peer_len_ok(peer, peer_len) || msg == NULL)
        return BW_EINVAL;
    assert(ep_invariants(ep));
    if (bw_coap_parse(&m, msg, len) != 0 ||
        (m.type != BW_COAP_CON && m.type != BW_COAP_NON))
        return BW_EINVAL;
    con = m.type == BW_COAP_CON;
    if (m.code == BW_COAP_EMPTY && con)
        kind = KIND_PING;
    else if (code_class(m.code) == CLASS_REQUEST && m.code != BW_COAP_EMPTY)
        kind = KIND_REQUEST;
    else if (is_response_code(m.code))
        kind = KIND_RESPONSE;
    else
        return BW_EINVAL;
    if (con && len > ep->slot_len)
        return BW_ENOSPC;
    peer_set(&p, peer, peer_len);
    if (kind != KIND_RESPONSE && ex_outstanding(ep, &p) >= ep->params.nstart)
        return BW_EBUSY;
    if (con || kind == KIND_REQUEST) { /* a NON response needs no row */
        x = ex_free_row(ep);
        if (x == NULL)
            return BW_ENOMEM;
    }
    id = mid_alloc(ep);
    put_mid(msg, id);
    if (x != NULL) {
        x->kind = kind;
        x->confirmable = con;
        x->mid = id;
        x->peer = p;
        x->token_len = m.token_len;
        memcpy(x->token, m.token, m.token_len);
        if (con) {
            memcpy(ex_slot(ep, x), msg, len);
            x->len = (uint16_t)len;
            x->timeout_ms = initial_timeout(ep);
            EX_SET(ep, x, EX_WAIT_ACK, now);
        } else {
            EX_SET(ep, x, EX_WAIT_RESPONSE, now);
        }
    }
    if (mid != NULL)
        *mid = id;
    assert(ep_invariants(ep));
    return 0;
}

/* The request req reported, if it still waits for its answer. */
static bw_coap_endpoint_dedup_t *
pending_request(bw_coap_endpoint_t *ep, uint64_t now,
                const bw_coap_endpoint_event_t *req)
{
    bw_coap_endpoint_dedup_t *d;

    if (req->peer.len < 1 || req->peer.len > BW_COAP_ENDPOINT_MAX_PEER_LEN)
        return NULL;
    dd_expire(ep, now);
    d = dd_find(ep, &req->peer, req->mid);
    return d != NULL && d->state == DD_PENDING ? d : NULL;
}

int bw_coap_endpoint_respond(bw_coap_endpoint_t *ep, uint64_t now,
                             const bw_coap_endpoint_event_t *req, uint8_t *msg,
                             size_t len)
{
    bw_coap_endpoint_dedup_t *d;
    bw_coap_msg_t m;

    if (ep == NULL || req == NULL || msg == NULL)
        return BW_EINVAL;
    assert(ep_invariants(ep));
    if (bw_coap_parse(&m, msg, len) != 0 || !is_response_code(m.code))
        return BW_EINVAL;
    d = pending_request(ep, now, req);
    if (d == NULL)
        return BW_ESTATE;
    if (d->confirmable) {
        if (len > ep->slot_len)
            return BW_ENOSPC;
        put_type(msg, BW_COAP_ACK);
        put_mid(msg, d->mid);
        memcpy(dd_slot(ep, d), msg, len);
        d->len = (uint16_t)len;
        DD_SET(d, DD_REPLY_SLOT);
    } else {
        put_type(msg, BW_COAP_NON);
        put_mid(msg, mid_alloc(ep));
        DD_SET(d, DD_SILENT);
    }
    assert(ep_invariants(ep));
    return 0;
}

/* Shared by accept() and reject(): answer a pending request with an Empty
 * message of `type`, remembered as `state` for duplicates. */
static int answer_empty(bw_coap_endpoint_t *ep, uint64_t now,
                        const bw_coap_endpoint_event_t *req, uint8_t type,
                        const uint8_t **tx, size_t *tx_len)
{
    bw_coap_endpoint_dedup_t *d;

    if (tx != NULL)
        *tx = NULL;
    if (tx_len != NULL)
        *tx_len = 0;
    if (ep == NULL || req == NULL || tx == NULL || tx_len == NULL)
        return BW_EINVAL;
    assert(ep_invariants(ep));
    d = pending_request(ep, now, req);
    if (d == NULL || (type == BW_COAP_ACK && !d->confirmable))
        return BW_ESTATE;
    if (type == BW_COAP_ACK)
        DD_SET(d, DD_REPLY_ACK);
    else
        DD_SET(d, d->confirmable ? DD_REPLY_RST : DD_SILENT);
    *tx = make_ctl(ep, type, d->mid);
    *tx_len = BW_COAP_HEADER_LEN;
    assert(ep_invariants(ep));
    return 0;
}

int bw_coap_endpoint_accept(bw_coap_endpoint_t *ep, uint64_t now,
                            const bw_coap_endpoint_event_t *req,
                            const uint8_t **tx, size_t *tx_len)
{
    return answer_empty(ep, now, req, BW_COAP_ACK, tx, tx_len);
}

int bw_coap_endpoint_reject(bw_coap_endpoint_t *ep, uint64_t now,
                            const bw_coap_endpoint_event_t *req,
                            const uint8_t **tx, size_t *tx_len)
{
    return answer_empty(ep, now, req, BW_COAP_RST, tx, tx_len);
}

/* ---- timers ----------------------------------------------------------- */

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
        memset(ev, 0, sizeof *ev);
    if (ep == NULL || ev == NULL)
        return BW_EINVAL;
    assert(ep_invariants(ep));
    dd_expire(ep, now);
    i = ex_earliest(ep);
    if (i == BW_COAP_ENDPOINT_MAX_EXCHANGES || ep->ex[i].deadline > now)
        return 0;
    x = &ep->ex[i];
    ev->peer = x->peer;
    ev_from_exchange(ev, x);
    if (x->state == EX_WAIT_ACK && x->retransmits < ep->params.max_retransmit) {
        x->retransmits++;
        x->timeout_ms *= 2;
        EX_SET(ep, x, EX_WAIT_ACK, now);
        ev->kind = BW_COAP_ENDPOINT_EV_RETRANSMIT;
        ev->tx = ex_slot(ep, x);
        ev->tx_len = x->len;
    } else {
        ev->kind = BW_COAP_ENDPOINT_EV_FAILED;
        ev->err = BW_ETIMEOUT;
        EX_SET(ep, x, EX_FREE, now);
    }
    assert(ep_invariants(ep));
    return 1;
}

int bw_coap_endpoint_cancel(bw_coap_endpoint_t *ep, uint16_t mid)
{
    bw_coap_endpoint_exchange_t *x;

    if (ep == NULL)
        return BW_EINVAL;
    assert(ep_invariants(ep));
    x = ex_by_mid(ep, mid);
    if (x == NULL)
        return BW_ENOTFOUND;
    EX_SET(ep, x, EX_FREE, 0);
    assert(ep_invariants(ep));
    return 0;
}
