/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message layer: bw_coap_endpoint_input(), which classifies one
 * received datagram and hands it to the table it concerns: an ACK or RST
 * to the exchange that sent its message ID (coap_endpoint_exchange.c), a
 * request or response to the deduplication table and, for a response, to
 * the request waiting for its token (coap_endpoint_dedup.c).  The shared
 * design notes are in coap_endpoint.c.
 *
 * DECISIONS, in the order they are taken (first match wins):
 *
 *   datagram                         answer in ev->tx   event
 *   -------------------------------  -----------------  ------------------
 *   unparseable, CON header readable RST                REJECTED (parse)
 *   unparseable otherwise            -                  REJECTED (parse)
 *   ACK, not Empty nor a response    -                  REJECTED EMALFORMED
 *   ACK, no exchange waits for it    -                  REJECTED ESTALE
 *   ACK of our CON response or ping  -                  DONE
 *   Empty ACK of our request         -                  NONE (wait on)
 *   ACK with response, token differs -                  REJECTED ESTALE
 *   ACK with response                -                  RESPONSE
 *   RST, not Empty                   -                  REJECTED EMALFORMED
 *   RST, nothing of ours it answers  -                  REJECTED ESTALE
 *   RST of our ping                  -                  DONE (the pong)
 *   RST of our message               -                  FAILED ERESET
 *   Empty CON (ping)                 RST                NONE
 *   Empty NON                        -                  REJECTED EMALFORMED
 *   reserved code class              RST if CON         REJECTED EUNSUPP.
 *   duplicate (peer, MID)            the first answer   NONE
 *                                    (CON; NON: none)
 *   response to our request (token)  Empty ACK if CON   RESPONSE
 *   response, nothing waits for it   -                  UNMATCHED
 *   request                          -                  REQUEST
 *   request/UNMATCHED, table full    -                  REJECTED ENOMEM
 *
 * A full deduplication table is answered with nothing at all: the peer
 * retransmits a CON and may find room later, which an RST would forbid.
 */
#include "coap_endpoint_int.h"

#include <assert.h>

#include "bw_mem.h"

static void ev_reject(bw_coap_endpoint_event_t *ev, int err)
{
    ev->kind = BW_COAP_ENDPOINT_EV_REJECTED;
    ev->err = err;
}

/* Report the message itself (ev->msg: a request or an unmatched
 * response) as `kind`. */
static void ev_message(bw_coap_endpoint_event_t *ev, uint8_t kind)
{
    const bw_coap_msg_t *m = &ev->msg;
    ev->kind = kind;
    ev->type = m->type;
    ev->mid = m->mid;
    ev->token_len = m->token_len;
    bw__copy(ev->token, m->token, m->token_len);
}

static void on_ack(bw_coap_endpoint_t *ep, const bw_coap_msg_t *m,
                   bw_coap_endpoint_event_t *ev)
{
    bw_coap_endpoint_exchange_t *x;

    /* An ACK is Empty or carries a response (section 4.2). */
    if (m->code != BW_COAP_EMPTY && !bw_coap__ep_is_response(m->code)) {
        ev_reject(ev, BW_EMALFORMED);
        return;
    }
    x = bw_coap__ex_by_mid(ep, m->mid);
    if (x == NULL || x->state != EX_WAIT_ACK ||
        !bw_coap__ep_peer_eq(&x->peer, &ev->peer)) {
        ev_reject(ev, BW_ESTALE); /* late, duplicated or foreign */
        return;
    }
    if (x->kind != KIND_REQUEST) {
        bw_coap__ev_from_exchange(ev, x);
        ev->kind = BW_COAP_ENDPOINT_EV_DONE;
        EX_SET(ep, x, EX_FREE);
        return;
    }
    if (m->code == BW_COAP_EMPTY) {
        /* Separate response follows; stop retransmitting. */
        EX_SET(ep, x, EX_WAIT_RESPONSE);
        return;
    }
    if (x->token_len != m->token_len ||
        !bw__equal(x->token, m->token, m->token_len)) {
        ev_reject(ev, BW_ESTALE); /* section 5.3.2: both must match */
        return;
    }
    bw_coap__ev_from_exchange(ev, x);
    ev->kind = BW_COAP_ENDPOINT_EV_RESPONSE;
    EX_SET(ep, x, EX_FREE);
}

static void on_rst(bw_coap_endpoint_t *ep, const bw_coap_msg_t *m,
                   bw_coap_endpoint_event_t *ev)
{
    bw_coap_endpoint_exchange_t *x;

    if (m->code != BW_COAP_EMPTY) { /* an RST is always Empty */
        ev_reject(ev, BW_EMALFORMED);
        return;
    }
    x = bw_coap__ex_by_mid(ep, m->mid);
    /* RST answers a CON still unacknowledged, or a NON we sent. */
    if (x == NULL || !bw_coap__ep_peer_eq(&x->peer, &ev->peer) ||
        (x->confirmable && x->state != EX_WAIT_ACK)) {
        ev_reject(ev, BW_ESTALE);
        return;
    }
    bw_coap__ev_from_exchange(ev, x);
    if (x->kind == KIND_PING) {
        ev->kind = BW_COAP_ENDPOINT_EV_DONE; /* the pong */
    } else {
        ev->kind = BW_COAP_ENDPOINT_EV_FAILED;
        ev->err = BW_ERESET;
    }
    EX_SET(ep, x, EX_FREE);
}

/* A CON or NON response, not a duplicate. */
static void on_response(bw_coap_endpoint_t *ep, const bw_coap_msg_t *m,
                        bw_coap_endpoint_event_t *ev)
{
    uint8_t con = m->type == BW_COAP_CON;
    bw_coap_endpoint_exchange_t *x = bw_coap__ex_by_token(ep, &ev->peer, m);

    if (x == NULL) {
        /*
         * Nobody asked, as far as the exchanges know; the application may
         * (an observation it holds, RFC 7641).  It accepts or rejects the
         * message; until then a duplicate is dropped (NON) or rejected
         * (CON), see coap_endpoint_dedup.c.
         */
        if (bw_coap__dd_insert(ep, &ev->peer, m->mid, con, DD_UNDECIDED) ==
            NULL) {
            ev_reject(ev, BW_ENOMEM);
            return;
        }
        ev_message(ev, BW_COAP_ENDPOINT_EV_UNMATCHED);
        return;
    }
    bw_coap__ev_from_exchange(ev, x);
    ev->kind = BW_COAP_ENDPOINT_EV_RESPONSE;
    EX_SET(ep, x, EX_FREE);
    /* Remember it so a retransmission gets the ACK again, not the app. */
    (void)bw_coap__dd_insert(ep, &ev->peer, m->mid, con,
                             con ? DD_REPLY_ACK : DD_SILENT);
    if (con)
        bw_coap__ev_ctl(ep, ev, BW_COAP_ACK, m->mid);
}

/* A CON or NON message. */
static void on_message(bw_coap_endpoint_t *ep, const bw_coap_msg_t *m,
                       bw_coap_endpoint_event_t *ev)
{
    uint8_t con = m->type == BW_COAP_CON;
    uint8_t cls = BW_COAP_CODE_CLASS(m->code);
    bw_coap_endpoint_dedup_t *dup;

    if (m->code == BW_COAP_EMPTY) {
        if (con) /* CoAP ping: answer with RST (section 4.3) */
            bw_coap__ev_ctl(ep, ev, BW_COAP_RST, m->mid);
        else /* a NON is never Empty */
            ev_reject(ev, BW_EMALFORMED);
        return;
    }
    if (cls == BW_COAP__EP_CLASS_SIGNAL || cls > BW_COAP__EP_CLASS_LAST) {
        if (con)
            bw_coap__ev_ctl(ep, ev, BW_COAP_RST, m->mid);
        ev_reject(ev, BW_EUNSUPPORTED);
        return;
    }
    dup = bw_coap__dd_find(ep, &ev->peer, m->mid);
    if (dup != NULL) {
        if (con)
            bw_coap__dd_replay(ep, dup, ev);
        return; /* a duplicate NON is dropped */
    }
    if (cls != BW_COAP__EP_CLASS_REQUEST) {
        on_response(ep, m, ev);
        return;
    }
    if (bw_coap__dd_insert(ep, &ev->peer, m->mid, con, DD_PENDING) == NULL) {
        ev_reject(ev, BW_ENOMEM);
        return;
    }
    ev_message(ev, BW_COAP_ENDPOINT_EV_REQUEST);
}

/* Reject a CON whose message ID can be read with RST (section 4.2). */
static void on_garbage(bw_coap_endpoint_t *ep, const uint8_t *buf, size_t len,
                       int err, bw_coap_endpoint_event_t *ev)
{
    if (len >= BW_COAP_HEADER_LEN &&
        buf[0] >> BW_COAP__EP_VERSION_SHIFT == BW_COAP__EP_VERSION &&
        ((buf[0] >> BW_COAP__EP_TYPE_SHIFT) & BW_COAP__EP_TWO_BITS) ==
            BW_COAP_CON)
        bw_coap__ev_ctl(ep, ev, BW_COAP_RST, (uint16_t)(buf[2] << 8 | buf[3]));
    ev_reject(ev, err);
}

int bw_coap_endpoint_input(bw_coap_endpoint_t *ep, uint64_t now,
                           const void *peer, size_t peer_len,
                           const uint8_t *buf, size_t len,
                           bw_coap_endpoint_event_t *ev)
{
    const bw_coap_msg_t *m;
    int rc;

    if (ev != NULL)
        bw__zero(ev, sizeof *ev);
    if (ep == NULL || ev == NULL || !bw_coap__ep_peer_ok(peer, peer_len) ||
        (buf == NULL && len > 0))
        return BW_EINVAL;
    assert(bw_coap__ep_invariants(ep));
    ep->now = now;
    bw_coap__ep_peer_set(&ev->peer, peer, peer_len);
    bw_coap__dd_expire(ep);

    /* Parsed in place: ev->msg is kept only for the events that report
     * the message (REQUEST, RESPONSE, UNMATCHED) and zeroed otherwise. */
    m = &ev->msg;
    rc = bw_coap_parse(&ev->msg, buf, len);
    if (rc != 0)
        on_garbage(ep, buf, len, rc, ev);
    else if (m->type == BW_COAP_ACK)
        on_ack(ep, m, ev);
    else if (m->type == BW_COAP_RST)
        on_rst(ep, m, ev);
    else
        on_message(ep, m, ev);
    if (ev->kind != BW_COAP_ENDPOINT_EV_REQUEST &&
        ev->kind != BW_COAP_ENDPOINT_EV_RESPONSE &&
        ev->kind != BW_COAP_ENDPOINT_EV_UNMATCHED)
        bw__zero(&ev->msg, sizeof ev->msg);
    if (ev->kind == BW_COAP_ENDPOINT_EV_REJECTED) { /* nothing to report */
        ev->mid = 0;
        ev->token_len = 0;
        bw__zero(ev->token, sizeof ev->token);
    }
    assert(bw_coap__ep_invariants(ep));
    return 0;
}
