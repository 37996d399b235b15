/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message layer (RFC 7252 section 4): reliability, deduplication and
 * request/response matching, as a pure state machine.
 *
 * The endpoint owns the bookkeeping of one CoAP end point: the CON
 * messages it sent that still wait for an ACK (and their retransmission
 * schedule), the requests it sent that still wait for a response, and a
 * cache of the (peer, message ID) pairs it received recently, with the
 * answer it gave, so a duplicate is answered the same way or dropped.
 *
 * What it must never do: touch a socket, read a clock, draw randomness
 * from the system, allocate, or keep state outside the context.  The
 * transport hands datagrams in with bw_coap_endpoint_input() together with
 * an opaque peer identity (bytes compared exactly, such as a socket
 * address); every call takes the current time as a millisecond count from
 * any monotonic origin; randomness (initial message ID, tokens, the
 * ACK_RANDOM_FACTOR jitter) comes from a PRNG seeded by the caller.  The
 * engine tells the caller what to send (a datagram and its peer) and when
 * it next wants to be polled (bw_coap_endpoint_next_timeout()).
 *
 * Typical loop:
 *
 *   on datagram (peer, bytes):
 *       bw_coap_endpoint_input(&ep, now, peer, plen, bytes, n, &ev);
 *       if (ev.tx_len) transmit(ev.peer, ev.tx, ev.tx_len);
 *       if (ev.kind == BW_COAP_ENDPOINT_EV_REQUEST) { build the answer;
 *           bw_coap_endpoint_respond(&ep, now, &ev, buf, len);
 *           transmit(ev.peer, buf, len); }
 *       if (ev.kind == BW_COAP_ENDPOINT_EV_UNMATCHED) { a notification?
 *           if (an observation of ours has ev.token)
 *               bw_coap_endpoint_accept(&ep, now, &ev, &tx, &tx_len);
 *           else
 *               bw_coap_endpoint_reject(&ep, now, &ev, &tx, &tx_len);
 *           if (tx_len) transmit(ev.peer, tx, tx_len); }
 *   on timer (now >= bw_coap_endpoint_next_timeout(&ep)):
 *       while (bw_coap_endpoint_poll(&ep, now, &ev) == 1) {
 *           if (ev.tx_len) transmit(ev.peer, ev.tx, ev.tx_len);
 *           if (ev.kind == BW_COAP_ENDPOINT_EV_FAILED) ... ev.err ...
 *       }
 *   to send a request:
 *       build it with bw_coap_writer_* (any message ID; token from
 *       bw_coap_endpoint_token()), then bw_coap_endpoint_send(); on
 *       BW_EBUSY queue it until the peer's exchange ends.
 *
 * Message storage.  A CON the endpoint may have to retransmit, and a
 * piggybacked response it may have to repeat for a duplicate request, are
 * copied into an arena the caller provides at init: one fixed-size slot
 * per exchange and per deduplication entry (BW_COAP_ENDPOINT_ARENA_LEN).
 * The arena MUST stay valid, and untouched by the caller, for as long as
 * the endpoint is used.  Copying a context copies the reference to the
 * arena, not the arena: a copy needs its own arena to live on
 * independently.  Empty ACK and RST messages are never stored; they are
 * regenerated from the message ID when needed.
 *
 * Responses nobody waits for.  A response that matches no outstanding
 * request (by peer and token) is not rejected by the endpoint: it is
 * reported as EV_UNMATCHED, because the application may hold the token
 * beyond any exchange.  The usual case is an observation (RFC 7641): an
 * LwM2M server that observes a resource receives notifications, responses
 * carrying the observation's token, long after the request's exchange
 * ended.  The application answers with bw_coap_endpoint_accept() (an
 * Empty ACK for a CON, nothing for a NON) or bw_coap_endpoint_reject()
 * (an RST, which also cancels the observation at the peer, RFC 7641
 * section 3.6).  Duplicates are answered the same way again.  An
 * application that does neither still behaves as RFC 7252 section 5.3.2
 * asks (an unexpected response is rejected): the first transmission gets
 * no answer, and a retransmission of a CON gets an RST sent on the
 * application's behalf; duplicates of a NON are dropped.  The decision
 * SHOULD therefore be taken while handling the event.
 *
 * The state machines are drawn and explained in lib/coap/: exchanges
 * (messages we sent) in coap_endpoint_exchange.c, deduplication entries
 * (messages we received) in coap_endpoint_dedup.c, and the order in which
 * an incoming datagram is classified in coap_endpoint_input.c.
 */
#ifndef BULWARK_COAP_ENDPOINT_H
#define BULWARK_COAP_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap.h"
#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Longest peer identity in bytes.  A struct sockaddr_in6 (28 bytes) fits,
 * with room to spare for a transport that prefixes an interface or
 * connection number.  Identities are compared byte for byte, so the
 * transport MUST present the same peer with the same bytes every time
 * (zero the unused parts of a socket address).
 */
#define BW_COAP_ENDPOINT_MAX_PEER_LEN 32

/*
 * Messages this endpoint can have in flight at once: CON messages waiting
 * for their ACK, and requests waiting for their response.  NSTART = 1
 * allows one outstanding request per peer, and a device talks to a
 * bootstrap server and one or two LwM2M servers; the rest is room for CON
 * notifications or separate responses still waiting for their ACK.
 */
#ifndef BW_COAP_ENDPOINT_MAX_EXCHANGES
#define BW_COAP_ENDPOINT_MAX_EXCHANGES 4
#endif

/*
 * Recently received (peer, message ID) pairs remembered for duplicate
 * detection.  Each is kept for EXCHANGE_LIFETIME (CON, 247 s by default)
 * or NON_LIFETIME (NON, 145 s).  Peers keep NSTART = 1, so each sends one
 * CON at a time and a handful of entries covers the peers a device has.
 * When the table is full an entry is evicted: an unmatched response the
 * application did not decide on, else the answered entry closest to
 * expiry; a duplicate of an evicted message is then handled as new, which
 * RFC 7252 (section 4.5, "SHOULD") tolerates for idempotent requests.
 * Requests still waiting for the application's answer are never evicted:
 * when every entry holds one, a new request (or unmatched response) is
 * dropped without any answer, not even an RST, and reported as
 * EV_REJECTED with BW_ENOMEM; a CON is retransmitted by its sender and
 * gets in once the application has answered a request.
 *
 * Both counts are defaults a build may override with -D (for every file
 * of the build; each slot of the arena is one datagram): a device with
 * one server and one request of its own at a time lives with 1 and 2
 * (scripts/size-m4, client-min).
 */
#ifndef BW_COAP_ENDPOINT_DEDUP_ENTRIES
#define BW_COAP_ENDPOINT_DEDUP_ENTRIES 8
#endif

/* Arena slots: one per exchange and one per deduplication entry. */
#define BW_COAP_ENDPOINT_SLOTS                                                 \
    (BW_COAP_ENDPOINT_MAX_EXCHANGES + BW_COAP_ENDPOINT_DEDUP_ENTRIES)

/*
 * Arena bytes needed for slots of slot_len bytes.  slot_len is the
 * longest datagram the endpoint will store (a CON it sends, or a
 * piggybacked response); RFC 7252 section 4.6 suggests 1152 bytes when
 * nothing is known about the path.
 */
#define BW_COAP_ENDPOINT_ARENA_LEN(slot_len)                                   \
    ((size_t)BW_COAP_ENDPOINT_SLOTS * (size_t)(slot_len))

/* Smallest useful slot: a header and the longest token. */
#define BW_COAP_ENDPOINT_MIN_SLOT_LEN                                          \
    (BW_COAP_HEADER_LEN + BW_COAP_MAX_TOKEN_LEN)

/*
 * Largest slot accepted.  Stored lengths are 16-bit, and a UDP payload
 * never exceeds 65507 bytes anyway.
 */
#define BW_COAP_ENDPOINT_MAX_SLOT_LEN 65507

/*
 * Ceiling on MAX_RETRANSMIT.  The timeout doubles at each retransmission;
 * 2^8 times the largest ACK_TIMEOUT still fits the 64-bit millisecond
 * arithmetic with a wide margin, and no real network wants more attempts.
 */
#define BW_COAP_ENDPOINT_MAX_RETRANSMIT_LIMIT 8

/*
 * Ceiling on ACK_RANDOM_FACTOR, in thousandths.  RFC 7252 section 4.8
 * requires at least 1.0; more than 4.0 only makes a lost ACK wait longer.
 */
#define BW_COAP_ENDPOINT_MAX_RANDOM_FACTOR_MILLI 4000

/* Returned by bw_coap_endpoint_next_timeout() when no timer is armed. */
#define BW_COAP_ENDPOINT_NEVER UINT64_MAX

/*
 * Transmission parameters (RFC 7252 section 4.8).  Fill with
 * bw_coap_endpoint_params_default() and change what the deployment needs;
 * both ends of a path SHOULD agree on them.
 */
typedef struct {
    uint32_t ack_timeout_ms;          /* ACK_TIMEOUT: 2000 */
    uint16_t ack_random_factor_milli; /* ACK_RANDOM_FACTOR x 1000: 1500 */
    uint8_t max_retransmit;           /* MAX_RETRANSMIT: 4 */
    uint8_t nstart;                   /* NSTART: 1 */
    uint32_t max_latency_ms;          /* MAX_LATENCY: 100000 */
    uint32_t processing_delay_ms;     /* PROCESSING_DELAY: 2000 */
} bw_coap_endpoint_params_t;

/* An opaque peer identity: len bytes of addr, compared exactly. */
typedef struct {
    uint8_t len;
    uint8_t addr[BW_COAP_ENDPOINT_MAX_PEER_LEN];
} bw_coap_peer_t;

/* One message in flight (fields private). */
typedef struct {
    uint8_t state;       /* EX_FREE, EX_WAIT_ACK, EX_WAIT_RESPONSE */
    uint8_t kind;        /* request, CON response, or ping */
    uint8_t confirmable; /* sent as CON (retransmitted, copy in slot) */
    uint8_t retransmits; /* retransmissions so far */
    uint8_t token_len;
    uint8_t token[BW_COAP_MAX_TOKEN_LEN];
    uint16_t mid;
    uint16_t len;        /* datagram bytes in the slot */
    uint16_t trace_line; /* line of the last state change; 0 if NDEBUG */
    uint64_t timeout_ms; /* current retransmission timeout */
    uint64_t deadline;   /* next retransmission or give-up */
    bw_coap_peer_t peer;
} bw_coap_endpoint_exchange_t;

/* One remembered incoming message (fields private). */
typedef struct {
    uint8_t state;       /* DD_FREE, DD_PENDING, DD_REPLY_*, ... */
    uint8_t confirmable; /* received as CON */
    uint16_t mid;
    uint16_t len;        /* stored reply bytes in the slot */
    uint16_t trace_line; /* line of the last state change; 0 if NDEBUG */
    uint64_t expires;
    bw_coap_peer_t peer;
} bw_coap_endpoint_dedup_t;

/*
 * The endpoint.  Caller-allocated; fields are private by agreement.  It
 * holds no pointer into itself; it refers to the caller's arena.
 */
typedef struct {
    bw_coap_endpoint_params_t params;
    uint64_t exchange_lifetime_ms; /* derived, section 4.8.2 */
    uint64_t non_lifetime_ms;      /* derived, section 4.8.2 */
    uint64_t rng;                  /* PRNG state */
    uint64_t now;                  /* given to the public call under way */
    uint8_t *arena;
    size_t slot_len;
    uint16_t next_mid;
    uint8_t ctl[BW_COAP_HEADER_LEN]; /* last Empty ACK or RST produced */
    bw_coap_endpoint_exchange_t ex[BW_COAP_ENDPOINT_MAX_EXCHANGES];
    bw_coap_endpoint_dedup_t dd[BW_COAP_ENDPOINT_DEDUP_ENTRIES];
} bw_coap_endpoint_t;

/* What an input or poll produced for the application. */
enum {
    /* Nothing for the application (an ACK, a ping, a duplicate...). */
    BW_COAP_ENDPOINT_EV_NONE = 0,
    /* A new request in msg: answer it with bw_coap_endpoint_respond(),
     * bw_coap_endpoint_accept() (separate response follows) or
     * bw_coap_endpoint_reject(). */
    BW_COAP_ENDPOINT_EV_REQUEST,
    /* The response (msg) to our request mid/token; the exchange is over. */
    BW_COAP_ENDPOINT_EV_RESPONSE,
    /* Our CON response or ping (mid/token) was acknowledged; over. */
    BW_COAP_ENDPOINT_EV_DONE,
    /* Our message mid/token failed: err is BW_ETIMEOUT or BW_ERESET. */
    BW_COAP_ENDPOINT_EV_FAILED,
    /* Poll only: tx is a retransmission of mid. */
    BW_COAP_ENDPOINT_EV_RETRANSMIT,
    /* The datagram was refused; err says why (parse error, BW_EMALFORMED
     * for an Empty NON, an ACK with a request code or a non-Empty RST,
     * BW_ESTALE for an ACK or RST that answers nothing of ours,
     * BW_EUNSUPPORTED for a reserved code class, BW_ENOMEM when no
     * deduplication entry could be had: then nothing is sent, not even
     * an RST).  tx may hold an RST to send. */
    BW_COAP_ENDPOINT_EV_REJECTED,
    /* A CON or NON response (msg; type, mid and token are its own) that
     * answers no request of ours: typically an observe notification.
     * Decide with bw_coap_endpoint_accept() (the token is known: Empty
     * ACK for a CON, nothing for a NON) or bw_coap_endpoint_reject()
     * (RST); see "Responses nobody waits for" above. */
    BW_COAP_ENDPOINT_EV_UNMATCHED,
};

/*
 * An event.  msg points into the datagram handed to input() and is valid
 * while that datagram is.  tx, when tx_len > 0, is a datagram to send to
 * peer now; it points into the arena or the endpoint and is valid until
 * the next call on the endpoint.
 */
typedef struct {
    uint8_t kind; /* BW_COAP_ENDPOINT_EV_* */
    int err;      /* FAILED, REJECTED: the reason; else 0 */
    bw_coap_peer_t peer;
    uint8_t type; /* REQUEST, UNMATCHED: BW_COAP_CON or BW_COAP_NON */
    uint16_t mid; /* REQUEST, UNMATCHED: its MID; others: the MID we sent */
    uint8_t token_len; /* all but NONE and REJECTED: the token */
    uint8_t token[BW_COAP_MAX_TOKEN_LEN];
    bw_coap_msg_t msg; /* REQUEST, RESPONSE, UNMATCHED: the parsed message */
    const uint8_t *tx;
    size_t tx_len;
} bw_coap_endpoint_event_t;

/* Fill p with the RFC 7252 defaults listed beside each field. */
void bw_coap_endpoint_params_default(bw_coap_endpoint_params_t *p);

/*
 * Set up an endpoint.
 *
 * params:   NULL for the defaults; copied.  ack_timeout_ms >= 1,
 *           1000 <= ack_random_factor_milli <= 4000,
 *           max_retransmit <= BW_COAP_ENDPOINT_MAX_RETRANSMIT_LIMIT,
 *           1 <= nstart <= BW_COAP_ENDPOINT_MAX_EXCHANGES.
 * seed:     entropy for the PRNG (initial MID, tokens, jitter).  Two
 *           endpoints SHOULD get different seeds, and a device SHOULD
 *           draw a fresh one at each boot so message IDs and tokens are
 *           not predictable.
 * arena:    BW_COAP_ENDPOINT_ARENA_LEN(slot_len) bytes or more, owned by
 *           the caller, valid while the endpoint is used.
 * slot_len: longest stored datagram, BW_COAP_ENDPOINT_MIN_SLOT_LEN ..
 *           BW_COAP_ENDPOINT_MAX_SLOT_LEN.
 * Returns 0, or BW_EINVAL (NULL pointers, a parameter out of range, an
 * arena too small); ep is then zeroed.
 */
int bw_coap_endpoint_init(bw_coap_endpoint_t *ep,
                          const bw_coap_endpoint_params_t *params,
                          uint64_t seed, uint8_t *arena, size_t arena_len,
                          size_t slot_len);

/*
 * Hand in one received datagram.
 *
 * Everything the peer can send is answered through *ev, never through the
 * return value: a malformed CON is answered with an RST in ev->tx and
 * reported as EV_REJECTED with the parse error; a duplicate gets the same
 * answer as the original (or none) and is reported as EV_NONE; a ping
 * (Empty CON) gets an RST; a CON response to our request gets its Empty
 * ACK in ev->tx; a response no request of ours waits for is reported as
 * EV_UNMATCHED for the application to accept or reject; a new message
 * that finds the deduplication table full of unanswered requests is
 * dropped without answer (EV_REJECTED, BW_ENOMEM); see the event kinds
 * above.
 *
 * peer/peer_len: who sent it (1 .. BW_COAP_ENDPOINT_MAX_PEER_LEN bytes).
 * buf/len:       the datagram; MUST outlive the use of ev->msg.
 * ev:            OUT, always filled when 0 is returned.
 * Returns 0, or BW_EINVAL (NULL pointer, peer_len out of range); ev is
 * then zeroed.
 */
int bw_coap_endpoint_input(bw_coap_endpoint_t *ep, uint64_t now,
                           const void *peer, size_t peer_len,
                           const uint8_t *buf, size_t len,
                           bw_coap_endpoint_event_t *ev);

/*
 * Send a message that starts something: a request (CON or NON), a
 * separate response or notification (CON or NON), or a ping (Empty CON).
 *
 * msg/len: a complete datagram built by the caller, e.g. with
 *          bw_coap_writer_*.  Its message ID is overwritten in place with
 *          a fresh one; then msg is what the caller transmits now.  A CON
 *          is copied into the arena for retransmission.
 * mid:     OUT (may be NULL): the message ID given.
 *
 * A request or ping opens an exchange that ends with EV_RESPONSE,
 * EV_DONE or EV_FAILED; a CON response opens one that ends with EV_DONE
 * or EV_FAILED; a NON response opens none.
 *
 * Returns 0, or
 *   BW_EINVAL   NULL pointers, msg not a parseable CON/NON request,
 *               response or Empty CON, peer_len out of range;
 *   BW_ENOSPC   a CON longer than slot_len;
 *   BW_EBUSY    NSTART requests (or pings) to this peer are outstanding:
 *               queue it and retry after their exchange ends;
 *   BW_ENOMEM   all BW_COAP_ENDPOINT_MAX_EXCHANGES slots are in use.
 * On failure msg is unchanged and nothing is recorded.
 */
int bw_coap_endpoint_send(bw_coap_endpoint_t *ep, uint64_t now,
                          const void *peer, size_t peer_len, uint8_t *msg,
                          size_t len, uint16_t *mid);

/*
 * Answer a request reported by EV_REQUEST (req is that event; only its
 * peer and mid are used).  An EV_UNMATCHED response cannot be answered
 * this way (BW_ESTATE): accept or reject it.
 *
 * msg/len: a response (code 2.xx .. 5.xx) echoing the request's token,
 *          which the caller MUST ensure.  Its type and message ID are
 *          rewritten in place: for a CON request it becomes the
 *          piggybacked ACK (and is kept in the arena, so a duplicate of
 *          the request gets it again); for a NON request it becomes a NON
 *          with a fresh message ID.  Then msg is what the caller transmits.
 * Returns 0, or BW_EINVAL (NULL pointers, msg not a parseable response),
 * BW_ESTATE (no such request waiting for an answer: already answered,
 * evicted or expired), BW_ENOSPC (an ACK longer than slot_len; the request
 * still waits, so a shorter answer can follow).  On failure msg is
 * unchanged.
 */
int bw_coap_endpoint_respond(bw_coap_endpoint_t *ep, uint64_t now,
                             const bw_coap_endpoint_event_t *req, uint8_t *msg,
                             size_t len);

/*
 * req is an EV_REQUEST or EV_UNMATCHED event (only its peer and mid are
 * used).
 *
 * For a CON request: acknowledge it now and answer later with a separate
 * response (bw_coap_endpoint_send() of a CON or NON response carrying the
 * request's token).  For an unmatched response: take it (its token is
 * one the application knows, such as an observation's); a CON gets an
 * Empty ACK, a NON nothing (*tx NULL, *tx_len 0).
 *
 * *tx and *tx_len: the Empty ACK to transmit, valid until the next call
 * on the endpoint.  A duplicate of the CON gets the Empty ACK again.
 * Returns 0, or BW_EINVAL (NULL pointers), BW_ESTATE (no such CON request
 * or unmatched response waiting for a decision: already answered,
 * expired, evicted, or a NON request, which has nothing to acknowledge).
 */
int bw_coap_endpoint_accept(bw_coap_endpoint_t *ep, uint64_t now,
                            const bw_coap_endpoint_event_t *req,
                            const uint8_t **tx, size_t *tx_len);

/*
 * Refuse a request the application cannot process at all (RFC 7252
 * section 4.2/4.3), or an unmatched response whose token it does not know
 * (section 5.3.2; for a notification this cancels the observation at the
 * peer, RFC 7641 section 3.6).  req is the EV_REQUEST or EV_UNMATCHED
 * event.  *tx is an RST to transmit, for a CON or a NON; duplicates of a
 * CON get the RST again, duplicates of a NON nothing.  Requests that are
 * merely wrong SHOULD get an error response (4.xx) through respond()
 * instead.
 * Returns 0, or BW_EINVAL (NULL pointers), BW_ESTATE (no such request or
 * unmatched response waiting for a decision).
 */
int bw_coap_endpoint_reject(bw_coap_endpoint_t *ep, uint64_t now,
                            const bw_coap_endpoint_event_t *req,
                            const uint8_t **tx, size_t *tx_len);

/*
 * Run the timers due at now.  Produces at most one event per call: a
 * retransmission (EV_RETRANSMIT, tx set) or a failure (EV_FAILED with
 * BW_ETIMEOUT: a CON unacknowledged after MAX_RETRANSMIT retransmissions,
 * or a response that did not come within EXCHANGE_LIFETIME (CON request)
 * or NON_LIFETIME (NON request)).  Call until it returns 0.
 * Returns 1 when *ev was filled, 0 when nothing is due (ev zeroed), or
 * BW_EINVAL.
 */
int bw_coap_endpoint_poll(bw_coap_endpoint_t *ep, uint64_t now,
                          bw_coap_endpoint_event_t *ev);

/*
 * Time (same origin as now) at which poll() next has work, or
 * BW_COAP_ENDPOINT_NEVER.  Deduplication entries expire lazily and need
 * no timer.
 */
uint64_t bw_coap_endpoint_next_timeout(const bw_coap_endpoint_t *ep);

/*
 * Forget the exchange of our message mid without reporting it (the
 * application gave up, e.g. on an observation).  Late answers to it are
 * then treated as unexpected.  Returns 0, or BW_ENOTFOUND, BW_EINVAL.
 */
int bw_coap_endpoint_cancel(bw_coap_endpoint_t *ep, uint16_t mid);

/*
 * Fill token with len (<= 8) bytes from the endpoint's PRNG, for a new
 * request.  Returns 0, or BW_EINVAL.
 */
int bw_coap_endpoint_token(bw_coap_endpoint_t *ep, uint8_t *token, size_t len);

/*
 * EXCHANGE_LIFETIME and NON_LIFETIME derived from the parameters
 * (RFC 7252 section 4.8.2), in milliseconds.
 */
uint64_t bw_coap_endpoint_exchange_lifetime(const bw_coap_endpoint_t *ep);
uint64_t bw_coap_endpoint_non_lifetime(const bw_coap_endpoint_t *ep);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_COAP_ENDPOINT_H */
