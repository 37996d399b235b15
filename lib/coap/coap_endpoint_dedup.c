/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message layer: deduplication entries, the (peer, message ID) pairs
 * we received and the answer each got (RFC 7252 section 4.5), and the
 * calls that give that answer: respond(), accept(), reject().  Which
 * datagram creates an entry is decided in coap_endpoint_input.c; the
 * shared design notes are in coap_endpoint.c.
 *
 * DEDUPLICATION ENTRY STATE MACHINE (one per row of ep->dd)
 *
 *            input(): new request            respond(), CON --> REPLY_SLOT
 *   +------+ -----------------> +---------+  accept(), CON ---> REPLY_ACK
 *   |      |                    | PENDING |  reject(), CON ---> REPLY_RST
 *   |      |                    +---------+  respond()/reject(), NON
 *   |      |                                                --> SILENT
 *   | FREE | -- input(): response to our request --> REPLY_ACK (CON),
 *   |      |                                         SILENT (NON)
 *   |      |  input(): response     +-----------+  accept(), CON -> REPLY_ACK
 *   |      | ---------------------> | UNDECIDED |  reject(), CON -> REPLY_RST
 *   +------+  matching no exchange  +-----------+  accept()/reject(), NON
 *                                                                -> SILENT
 *                                   input(), duplicate CON -> REPLY_RST
 *
 *   Every state returns to FREE when the entry expires (checked lazily at
 *   each entry point, bw_coap__dd_expire()) or is evicted to make room
 *   (bw_coap__dd_insert()); PENDING is never evicted.
 *
 *    PENDING     The application got the request and owes an answer;
 *                duplicates are dropped meanwhile (the peer retransmits).
 *    REPLY_SLOT  The piggybacked response (`len` bytes) is in the slot;
 *                a duplicate CON gets it again.
 *    REPLY_ACK   We sent an Empty ACK; a duplicate CON gets it again.
 *    REPLY_RST   We sent an RST; a duplicate CON gets it again.
 *    SILENT      Nothing to repeat (NON, or NON request answered).
 *    UNDECIDED   A response matching none of our exchanges (typically an
 *                observe notification) was reported as EV_UNMATCHED; the
 *                application decides with accept() (it knows the token)
 *                or reject().  A duplicate CON arriving while it is still
 *                undecided is rejected with an RST on the application's
 *                behalf: RFC 7252 section 5.3.2 says an unexpected
 *                response is rejected, so an application that ignores the
 *                event gets the behaviour the RFC asks for, one
 *                retransmission late.  A duplicate NON is dropped, as any.
 *
 *    An entry lives EXCHANGE_LIFETIME (CON) or NON_LIFETIME (NON) from
 *    its first reception, then becomes FREE.  bw_coap__dd_set_state()
 *    (DD_SET) performs every change:
 *      FREE -> PENDING             on_message() in bw_coap_endpoint_input()
 *      FREE -> REPLY_ACK, SILENT   on_response(), matched response
 *      FREE -> UNDECIDED           on_response(), unmatched response
 *      PENDING -> REPLY_SLOT       bw_coap_endpoint_respond(), CON
 *      PENDING -> SILENT           bw_coap_endpoint_respond(), NON;
 *                                  bw_coap_endpoint_reject(), NON
 *      PENDING -> REPLY_ACK        bw_coap_endpoint_accept()
 *      PENDING -> REPLY_RST        bw_coap_endpoint_reject(), CON
 *      UNDECIDED -> REPLY_ACK      bw_coap_endpoint_accept(), CON
 *      UNDECIDED -> REPLY_RST      bw_coap_endpoint_reject(), CON;
 *                                  bw_coap__dd_replay(), duplicate CON
 *      UNDECIDED -> SILENT         accept() or reject(), NON
 *      any -> FREE                 bw_coap__dd_expire(), bw_coap__dd_insert()
 */
#include "coap_endpoint_int.h"

#include <assert.h>

#include "bw_mem.h"

/* ---- the state setter -------------------------------------------------- */

/* The only place a deduplication entry changes state; FREE wipes it. */
void bw_coap__dd_set_state(bw_coap_endpoint_dedup_t *d,
                           uint8_t state BW_COAP__LINE_PARAM)
{
    if (state == DD_FREE)
        bw__zero(d, sizeof *d);
    d->state = state;
#ifndef NDEBUG
    d->trace_line = (uint16_t)line;
#endif
}

/* ---- the table --------------------------------------------------------- */

void bw_coap__dd_expire(bw_coap_endpoint_t *ep)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES; i++)
        if (ep->dd[i].state != DD_FREE && ep->dd[i].expires <= ep->now)
            DD_SET(&ep->dd[i], DD_FREE);
}

bw_coap_endpoint_dedup_t *bw_coap__dd_find(bw_coap_endpoint_t *ep,
                                           const bw_coap_peer_t *peer,
                                           uint16_t mid)
{
    for (size_t i = 0; i < BW_COAP_ENDPOINT_DEDUP_ENTRIES; i++) {
        bw_coap_endpoint_dedup_t *d = &ep->dd[i];
        if (d->state != DD_FREE && d->mid == mid &&
            bw_coap__ep_peer_eq(&d->peer, peer))
            return d;
    }
    return NULL;
}

/*
 * Eviction order when the table is full: an UNDECIDED entry first (the
 * application had its chance; a duplicate is then simply reported again),
 * then an answered one; within each, the entry closest to expiry.
 * PENDING entries are never evicted, since the application is about to
 * answer them.  Returns 1 when c is a better victim than the current one.
 */
static int better_victim(const bw_coap_endpoint_dedup_t *c,
                         const bw_coap_endpoint_dedup_t *cur)
{
    int rc = c->state == DD_UNDECIDED, rcur;

    if (c->state == DD_PENDING)
        return 0;
    if (cur == NULL)
        return 1;
    rcur = cur->state == DD_UNDECIDED;
    if (rc != rcur)
        return rc > rcur;
    return c->expires < cur->expires;
}

bw_coap_endpoint_dedup_t *bw_coap__dd_insert(bw_coap_endpoint_t *ep,
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
        if (better_victim(c, d))
            d = c;
    }
    if (d == NULL)
        return NULL;
    DD_SET(d, DD_FREE);
    d->peer = *peer;
    d->mid = mid;
    d->confirmable = confirmable;
    d->expires = ep->now +
                 (confirmable ? ep->exchange_lifetime_ms : ep->non_lifetime_ms);
    DD_SET(d, state);
    return d;
}

void bw_coap__dd_replay(bw_coap_endpoint_t *ep, bw_coap_endpoint_dedup_t *d,
                        bw_coap_endpoint_event_t *ev)
{
    switch (d->state) {
    case DD_REPLY_SLOT:
        ev->tx = bw_coap__dd_slot(ep, d);
        ev->tx_len = d->len;
        break;
    case DD_REPLY_ACK:
        bw_coap__ev_ctl(ep, ev, BW_COAP_ACK, d->mid);
        break;
    case DD_UNDECIDED: /* nobody claimed it: reject it now */
        DD_SET(d, DD_REPLY_RST);
        bw_coap__ev_ctl(ep, ev, BW_COAP_RST, d->mid);
        break;
    case DD_REPLY_RST:
        bw_coap__ev_ctl(ep, ev, BW_COAP_RST, d->mid);
        break;
    default: /* PENDING, SILENT: nothing to repeat */
        break;
    }
}

/* ---- answering --------------------------------------------------------- */

/*
 * The entry of the message ev reported (by its peer and mid), if it still
 * waits for the application: PENDING (a request) or UNDECIDED (an
 * unmatched response).
 */
static bw_coap_endpoint_dedup_t *waiting(bw_coap_endpoint_t *ep,
                                         const bw_coap_endpoint_event_t *ev)
{
    bw_coap_endpoint_dedup_t *d;

    if (ev->peer.len < 1 || ev->peer.len > BW_COAP_ENDPOINT_MAX_PEER_LEN)
        return NULL;
    bw_coap__dd_expire(ep);
    d = bw_coap__dd_find(ep, &ev->peer, ev->mid);
    if (d == NULL || (d->state != DD_PENDING && d->state != DD_UNDECIDED))
        return NULL;
    return d;
}

int bw_coap_endpoint_respond(bw_coap_endpoint_t *ep, uint64_t now,
                             const bw_coap_endpoint_event_t *req, uint8_t *msg,
                             size_t len)
{
    bw_coap_endpoint_dedup_t *d;
    bw_coap_msg_t m;

    if (ep == NULL || req == NULL || msg == NULL)
        return BW_EINVAL;
    assert(bw_coap__ep_invariants(ep));
    ep->now = now;
    if (bw_coap_parse(&m, msg, len) != 0 || !bw_coap__ep_is_response(m.code))
        return BW_EINVAL;
    d = waiting(ep, req);
    if (d == NULL || d->state != DD_PENDING) /* a response is not answered */
        return BW_ESTATE;
    if (d->confirmable) {
        if (len > ep->slot_len)
            return BW_ENOSPC;
        bw_coap__ep_put_type(msg, BW_COAP_ACK);
        bw_coap__ep_put_mid(msg, d->mid);
        bw__copy(bw_coap__dd_slot(ep, d), msg, len);
        d->len = (uint16_t)len;
        DD_SET(d, DD_REPLY_SLOT);
    } else {
        bw_coap__ep_put_type(msg, BW_COAP_NON);
        bw_coap__ep_put_mid(msg, bw_coap__ep_mid_alloc(ep));
        DD_SET(d, DD_SILENT);
    }
    assert(bw_coap__ep_invariants(ep));
    return 0;
}

/*
 * Shared by accept() (type ACK) and reject() (type RST): answer the
 * message ev reported with an Empty message of `type`, remembered for
 * duplicates of a CON.  Accepting a NON response sends nothing; accepting
 * a NON request makes no sense (there is nothing to acknowledge).
 */
static int answer_empty(bw_coap_endpoint_t *ep, uint64_t now,
                        const bw_coap_endpoint_event_t *ev, uint8_t type,
                        const uint8_t **tx, size_t *tx_len)
{
    bw_coap_endpoint_dedup_t *d;

    if (tx != NULL)
        *tx = NULL;
    if (tx_len != NULL)
        *tx_len = 0;
    if (ep == NULL || ev == NULL || tx == NULL || tx_len == NULL)
        return BW_EINVAL;
    assert(bw_coap__ep_invariants(ep));
    ep->now = now;
    d = waiting(ep, ev);
    if (d == NULL)
        return BW_ESTATE;
    if (!d->confirmable) {
        if (type == BW_COAP_ACK && d->state == DD_PENDING)
            return BW_ESTATE;
        DD_SET(d, DD_SILENT);
        if (type == BW_COAP_ACK) { /* an unmatched NON taken: no answer */
            assert(bw_coap__ep_invariants(ep));
            return 0;
        }
    } else {
        DD_SET(d, type == BW_COAP_ACK ? DD_REPLY_ACK : DD_REPLY_RST);
    }
    *tx = bw_coap__ep_ctl(ep, type, d->mid);
    *tx_len = BW_COAP_HEADER_LEN;
    assert(bw_coap__ep_invariants(ep));
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
