/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the files of the CoAP message layer
 * (lib/coap/coap_endpoint*.c); never included from outside them.
 *
 * Where things live:
 *   coap_endpoint.c           set-up, PRNG, peers, slots, the Empty
 *                             ACK/RST builder, the invariant checker
 *   coap_endpoint_exchange.c  exchanges (messages we sent): their state
 *                             machine, send(), poll(), cancel()
 *   coap_endpoint_dedup.c     deduplication entries (messages we received):
 *                             their state machine, respond(), accept(),
 *                             reject()
 *   coap_endpoint_input.c     input(): classify a datagram and hand it to
 *                             the table it concerns
 */
#ifndef BW_COAP_ENDPOINT_INT_H
#define BW_COAP_ENDPOINT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap_endpoint.h"
#include "bw_u64.h"

/* Exchange states (coap_endpoint_exchange.c) and what was sent. */
enum { EX_FREE = 0, EX_WAIT_ACK, EX_WAIT_RESPONSE };
enum { KIND_NONE = 0, KIND_REQUEST, KIND_RESPONSE, KIND_PING };

/* Deduplication entry states (coap_endpoint_dedup.c). */
enum {
    DD_FREE = 0,
    DD_PENDING,
    DD_REPLY_SLOT,
    DD_REPLY_ACK,
    DD_REPLY_RST,
    DD_SILENT,
    DD_UNDECIDED,
};

/* Header bits (RFC 7252 section 3). */
#define BW_COAP__EP_VERSION       1u
#define BW_COAP__EP_VERSION_SHIFT 6
#define BW_COAP__EP_TYPE_SHIFT    4
#define BW_COAP__EP_TYPE_BITS     0x30u
#define BW_COAP__EP_TWO_BITS      0x3u

/* ACK_RANDOM_FACTOR 1.0 in thousandths. */
#define BW_COAP__EP_FACTOR_ONE 1000u

/* Code classes (RFC 7252 section 12.1). */
#define BW_COAP__EP_CLASS_REQUEST 0
#define BW_COAP__EP_CLASS_SIGNAL  1 /* 1.xx is reserved */
#define BW_COAP__EP_CLASS_SUCCESS 2
#define BW_COAP__EP_CLASS_LAST    5 /* 6.xx and 7.xx are reserved too */

/*
 * The state setters.  Debug builds record the caller's source line in
 * trace_line for post-mortem inspection of a context; NDEBUG builds leave
 * trace_line 0 and pass no line (the field stays, so the layout of the
 * public structs does not depend on NDEBUG).
 */
#ifdef NDEBUG
#define BW_COAP__LINE_PARAM
#define BW_COAP__LINE_ARG
#else
#define BW_COAP__LINE_PARAM , int line
#define BW_COAP__LINE_ARG   , __LINE__
#endif
#define EX_SET(ep, x, st)                                                      \
    bw_coap__ex_set_state((ep), (x), (st)BW_COAP__LINE_ARG)
#define DD_SET(d, st) bw_coap__dd_set_state((d), (st)BW_COAP__LINE_ARG)

/* ---- coap_endpoint.c ----------------------------------------------------
 */

/* The endpoint's PRNG is bw__splitmix64(&ep->rng) (bw_u64.h). */

/* Time: each public call that is given now stores it in ep->now first;
 * the functions below read it there instead of taking it. */

/* Copy len (1..MAX_PEER_LEN) bytes of addr into p, zeroing the rest. */
void bw_coap__ep_peer_set(bw_coap_peer_t *p, const void *addr, size_t len);

/* 1 when a and b are the same peer (same length, same bytes). */
int bw_coap__ep_peer_eq(const bw_coap_peer_t *a, const bw_coap_peer_t *b);

/* 1 when peer/len is a valid identity argument. */
int bw_coap__ep_peer_ok(const void *peer, size_t len);

/* Arena slot of exchange row x / deduplication entry d. */
uint8_t *bw_coap__ex_slot(const bw_coap_endpoint_t *ep,
                          const bw_coap_endpoint_exchange_t *x);
uint8_t *bw_coap__dd_slot(const bw_coap_endpoint_t *ep,
                          const bw_coap_endpoint_dedup_t *d);

/* 1 for codes 2.xx .. 5.xx. */
int bw_coap__ep_is_response(uint8_t code);

/* Rewrite the message ID / type of the datagram at msg (>= 4 bytes). */
void bw_coap__ep_put_mid(uint8_t *msg, uint16_t mid);
void bw_coap__ep_put_type(uint8_t *msg, uint8_t type);

/*
 * Build an Empty ACK or RST for mid in ep->ctl and return it (4 bytes,
 * valid until the next call on the endpoint).
 */
const uint8_t *bw_coap__ep_ctl(bw_coap_endpoint_t *ep, uint8_t type,
                               uint16_t mid);

/* Put that Empty ACK or RST into ev->tx. */
void bw_coap__ev_ctl(bw_coap_endpoint_t *ep, bw_coap_endpoint_event_t *ev,
                     uint8_t type, uint16_t mid);

#ifndef NDEBUG
/* 1 when every invariant listed in coap_endpoint.c holds. */
int bw_coap__ep_invariants(const bw_coap_endpoint_t *ep);
#endif

/* ---- coap_endpoint_exchange.c -------------------------------------------
 */

void bw_coap__ex_set_state(bw_coap_endpoint_t *ep,
                           bw_coap_endpoint_exchange_t *x,
                           uint8_t state BW_COAP__LINE_PARAM);

/* The live exchange that sent mid, or NULL. */
bw_coap_endpoint_exchange_t *bw_coap__ex_by_mid(bw_coap_endpoint_t *ep,
                                                uint16_t mid);

/* The live request to peer whose token is m's, or NULL. */
bw_coap_endpoint_exchange_t *bw_coap__ex_by_token(bw_coap_endpoint_t *ep,
                                                  const bw_coap_peer_t *peer,
                                                  const bw_coap_msg_t *m);

/* Requests and pings outstanding to peer (what NSTART limits). */
unsigned bw_coap__ex_outstanding(const bw_coap_endpoint_t *ep,
                                 const bw_coap_peer_t *peer);

/* A fresh message ID that no live exchange uses. */
uint16_t bw_coap__ep_mid_alloc(bw_coap_endpoint_t *ep);

/* Copy x's message ID and token into ev. */
void bw_coap__ev_from_exchange(bw_coap_endpoint_event_t *ev,
                               const bw_coap_endpoint_exchange_t *x);

/* ---- coap_endpoint_dedup.c ----------------------------------------------
 */

void bw_coap__dd_set_state(bw_coap_endpoint_dedup_t *d,
                           uint8_t state BW_COAP__LINE_PARAM);

/* Free the entries whose lifetime ended at or before ep->now. */
void bw_coap__dd_expire(bw_coap_endpoint_t *ep);

/* The live entry for (peer, mid), or NULL. */
bw_coap_endpoint_dedup_t *bw_coap__dd_find(bw_coap_endpoint_t *ep,
                                           const bw_coap_peer_t *peer,
                                           uint16_t mid);

/*
 * Remember (peer, mid) in `state`, taking a free entry or evicting one
 * (see coap_endpoint_dedup.c); NULL when every entry is PENDING.
 */
bw_coap_endpoint_dedup_t *bw_coap__dd_insert(bw_coap_endpoint_t *ep,
                                             const bw_coap_peer_t *peer,
                                             uint16_t mid, uint8_t confirmable,
                                             uint8_t state);

/*
 * A duplicate of the message d remembers arrived: put the answer it gets
 * into ev->tx (none for PENDING and SILENT); an UNDECIDED CON is rejected
 * on the application's behalf.
 */
void bw_coap__dd_replay(bw_coap_endpoint_t *ep, bw_coap_endpoint_dedup_t *d,
                        bw_coap_endpoint_event_t *ev);

#endif /* BW_COAP_ENDPOINT_INT_H */
