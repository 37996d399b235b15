/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M server on the DTLS engine: the registration interface from
 * devices, and requests from the server to devices (bootstrap writes, DM
 * operations) with CoAP reliability.
 *
 * It plugs into server/dtls as its on_data and on_tick callbacks, so all
 * of a device's traffic is handled on the device's worker thread.  Other
 * threads (the API, the bootstrap logic) reach a device through
 * bw_lwsrv_request(), which hands the request to that worker
 * (bw_dtls_server_post) and reports the answer through a callback, on the
 * worker thread.
 *
 * Registration interface (Core 6.2): Register, Update, De-register are
 * validated (lwm2m_reg.h), the identity the DTLS handshake proved must own
 * the endpoint name (the authorize callback: the security store decides;
 * 4.03 Forbidden and an event otherwise), and the registry is updated.
 * With a commit hook (bw_lwsrv_config_t.commit) the write goes to the
 * store first and the registry is updated and the device answered only
 * once it is committed (bw_lwsrv_committed): nothing acknowledged is
 * lost when the server dies.
 * Retransmitted requests get the same answer again (registry dedup).
 * Bootstrap-Request (Core 6.1.3) is authorized the same way, answered
 * 2.04 and reported as an event: the bootstrap logic then sends its
 * writes with bw_lwsrv_request_to().
 *
 * Server to device: CON requests with a fresh token, retransmitted on
 * RFC 7252 timers (ACK_TIMEOUT 2 s, RANDOM_FACTOR 1.5, MAX_RETRANSMIT 4),
 * matched by token and peer; piggybacked and separate responses both
 * complete a request.  At most BW_LWSRV_MAX_INFLIGHT per worker.
 *
 * Block-wise requests (RFC 7959 section 2.5, Block1): a request may carry
 * one block of a larger body (bw_lwsrv_op_t.has_block1), and
 * bw_lwsrv_request_ex() hands the answer's Block1 option (and Max-Age)
 * back to the caller, who drives the transfer: one block per request,
 * the next one sent from the answer of the last.  This layer keeps no
 * state between blocks; it only builds each request and decodes each
 * answer.  The firmware push of a campaign (server/fleet) is the user.
 *
 * Observe (LwM2M Information Reporting, RFC 7641): bw_lwsrv_observe()
 * sends a GET with Observe 0; a 2.xx answer carrying Observe records the
 * observation (lwm2m_observe.h) under its token.  A later message with
 * that token from the session the device is registered over is a
 * notification: a CON one is ACKed, its payload decoded
 * (bw_lwsrv_obs_decode) and queued for the store
 * (bw_lwsrv_config_t.notify_store, on the store's own thread), a repeat
 * of the last message ID is ACKed and not stored again.  A notification
 * whose token matches no live observation gets a RST (RFC 7641 3.6; a
 * CON always did); one for an endpoint no longer registered gets a RST
 * and ends the observation.  An observation ends on Cancel
 * (bw_lwsrv_cancel: GET with Observe 1 and the same token), on a 4.xx or
 * 5.xx notification or a 2.xx one without Observe (the device stopped,
 * RFC 7641 3.2), and when its endpoint de-registers, expires or
 * registers again (the device forgets its observations then).
 */
#ifndef BW_LWSRV_SRV_H
#define BW_LWSRV_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap_block.h"
#include "dtls_server.h"
#include "lwm2m_observe.h"
#include "lwm2m_reg.h"
#include "lwm2m_registry.h"

#define BW_LWSRV_MAX_INFLIGHT 4096
#define BW_LWSRV_PATH_MAX     64
#define BW_LWSRV_PAYLOAD_MAX  1024

typedef enum {
    BW_LWSRV_EV_REGISTERED = 1,
    BW_LWSRV_EV_UPDATED,
    BW_LWSRV_EV_DEREGISTERED,
    BW_LWSRV_EV_EXPIRED,
    BW_LWSRV_EV_REFUSED, /* identity does not own the endpoint */
    BW_LWSRV_EV_BOOTSTRAP_REQUEST,
} bw_lwsrv_event_kind_t;

typedef struct {
    bw_lwsrv_event_kind_t kind;
    const char *ep;
    const bw_dtls_peer_info_t *peer; /* NULL for EXPIRED */
    unsigned worker;
    const bw_lwsrv_reg_t *req; /* REGISTERED, UPDATED, BOOTSTRAP */
    const char *why;           /* REFUSED */
} bw_lwsrv_event_t;

typedef struct bw_lwsrv bw_lwsrv_t;

/* A Register, Update or De-register waiting for its write to the store
 * (see bw_lwsrv_config_t.commit). */
typedef struct bw_lwsrv_pending bw_lwsrv_pending_t;

/* What such a write holds; valid during the commit() call only. */
typedef struct {
    bw_lwsrv_req_t kind;             /* REGISTER, UPDATE or DEREGISTER */
    const char *ep;                  /* the registration's endpoint */
    const char *location;            /* drawn already for a Register */
    const bw_lwsrv_reg_t *req;       /* the validated request */
    const bw_dtls_peer_info_t *peer; /* what the handshake proved */
} bw_lwsrv_write_t;

typedef struct {
    bw_lwsrv_registry_t *registry;
    bw_dtls_server_t *dtls; /* for post; NULL in tests that only feed data */
    /* 0 when the proven identity may act for ep; else BW_EAUTH and *why. */
    int (*authorize)(void *arg, const bw_dtls_peer_info_t *peer, const char *ep,
                     int bootstrap, const char **why);
    void (*event)(void *arg, const bw_lwsrv_event_t *ev);
    void *arg;
    /*
     * Requests from devices outside the registration interface (GET
     * /fw/<id>: firmware downloads, server/fleet).  Write the whole CoAP
     * response (same MID and token, ACK for a CON) into out and return
     * its length; 0 lets this layer answer 4.04.  NULL: every such
     * request gets 4.04.  Runs on the peer's worker thread, possibly on
     * several workers at once.
     */
    size_t (*resource)(void *arg, const bw_dtls_peer_info_t *peer,
                       const bw_coap_msg_t *req, uint8_t *out, size_t cap);
    void *resource_arg;
    /* How datagrams leave: bw_dtls_send unless set (tests). */
    int (*send)(bw_dtls_worker_t *w, const struct sockaddr *addr,
                socklen_t addr_len, const uint8_t *data, size_t len);
    uint32_t ack_timeout_ms; /* [2000] */
    uint32_t max_retransmit; /* [4] */
    /*
     * Registrations acknowledged only once stored.  NULL: a Register,
     * Update or De-register is applied to the registry and answered at
     * once (tests of this layer alone).  Set (dtls MUST be set too): once
     * it passed validation and authorization, it is handed to commit()
     * on the device's worker and neither applied to the registry nor
     * answered until bw_lwsrv_committed(p, ...) says how its write
     * ended.  commit() MUST NOT wait for the disk (it queues the write
     * for a writer thread, which commits many in one transaction) and
     * returns 0 (p is then the caller's until bw_lwsrv_committed), or an
     * error: the device is answered 5.00 at once and p is freed.  A
     * retransmission of a request whose write is in flight is dropped:
     * its answer comes when the write ends.
     */
    int (*commit)(void *arg, bw_lwsrv_pending_t *p, const bw_lwsrv_write_t *wr);
    /*
     * Where notified values go: called on the layer's own writer thread
     * (lwm2m_observe_sink.c), never on a DTLS worker, one call per
     * notification, with the values and the receive time (Unix ms).
     * NULL: notifications are acknowledged and counted, not stored.
     */
    bw_lwsrv_obs_store_fn notify_store;
    void *notify_arg;
} bw_lwsrv_config_t;

/* Returns NULL when out of memory or the configuration is incomplete. */
bw_lwsrv_t *bw_lwsrv_new(const bw_lwsrv_config_t *cfg, unsigned workers);
/* After the DTLS server stopped: fails every request still in flight. */
void bw_lwsrv_free(bw_lwsrv_t *s);

/*
 * How the write of p ended (any thread, exactly once per p; p is freed).
 * On the device's worker, then:
 *   0             the registry is changed, the event (REGISTERED,
 *                 UPDATED, DEREGISTERED) emitted, and then the device
 *                 answered 2.01 / 2.04 / 2.02;
 *   BW_ENOTFOUND  the store holds no such registration (Update,
 *                 De-register): it is dropped from memory too, and the
 *                 device answered 4.04 (it registers again);
 *   other codes   nothing changes in memory; answered 5.00.
 * When the server is stopping, p is freed and nobody is answered.
 */
void bw_lwsrv_committed(bw_lwsrv_pending_t *p, int err);

/* DTLS engine callbacks; arg is the bw_lwsrv_t. */
void bw_lwsrv_on_data(void *arg, bw_dtls_worker_t *w,
                      const bw_dtls_peer_info_t *peer, const uint8_t *data,
                      size_t len);
uint64_t bw_lwsrv_on_tick(void *arg, bw_dtls_worker_t *w, uint64_t now_ms);

/* The answer to a request: err 0 and the response, or BW_ETIMEOUT (no
 * answer after the retransmissions), BW_ERESET (RST), BW_ECLOSED (the
 * device's DTLS session is gone), BW_ENOMEM, BW_ESTATE (server stopping).  Runs
 * on the worker thread; payload is valid during the call only. */
typedef void (*bw_lwsrv_done_t)(void *arg, int err, uint8_t code,
                                uint32_t content_format, const uint8_t *payload,
                                size_t len);

/*
 * One request.  The Block1 fields come last and are all zero for "no
 * Block1", so a caller that clears the struct (calloc, a designated
 * initialiser) and sets what it needs is unaffected by them.
 *
 * Block1: with has_block1 set, the request carries Block1 (NUM
 * block1_num, M block1_more, SZX block1_szx) and payload is that block:
 * exactly BW_COAP_BLOCK_SIZE(block1_szx) bytes when block1_more is 1, at
 * most that many on the last block (RFC 7959 section 2.3).  SZX is 0..6
 * (16..1024 bytes; BERT is not spoken), NUM below 2^20.
 */
typedef struct {
    uint8_t method;               /* BW_COAP_GET, PUT, POST, DELETE */
    char path[BW_LWSRV_PATH_MAX]; /* "/3/0/1", "/bs" */
    int32_t content_format;       /* -1: none */
    int32_t accept;               /* -1: none */
    uint8_t observe;              /* 0: none, 1: register (0), 2: cancel (1) */
    char query[64];               /* "pmin=10&pmax=60" (Write-Attributes) */
    uint8_t payload[BW_LWSRV_PAYLOAD_MAX];
    size_t payload_len;
    uint8_t has_block1; /* 0: no Block1 option */
    uint8_t block1_more;
    uint8_t block1_szx;
    uint32_t block1_num;
} bw_lwsrv_op_t;

/*
 * The answer as bw_lwsrv_request_ex() reports it.  err, code,
 * content_format, payload and len as for bw_lwsrv_done_t.  The rest is
 * taken from the response's options (all zero when err is not 0):
 *   block1_err  0: the response carried a valid Block1, in block1;
 *               BW_ENOTFOUND: it carried none; BW_EOVERFLOW (a value of
 *               more than 3 bytes) or BW_EBLOCK (SZX 7): it carried one
 *               that cannot be used (block1 is then zero);
 *   has_max_age, max_age: Max-Age in seconds, when present (a 5.03
 *               says when to try again, RFC 7252 section 5.9.3.4).
 * Valid during the callback only (payload points into the datagram).
 */
typedef struct {
    int err;
    uint8_t code;
    uint32_t content_format; /* UINT32_MAX: none */
    const uint8_t *payload;
    size_t len;
    int block1_err;
    bw_coap_block_t block1;
    uint8_t has_max_age;
    uint32_t max_age;
    /* The Observe option, when present (has_observe 1: observe holds its
     * value); obs_id the observation bw_lwsrv_observe() recorded, 0 when
     * the device did not take it (no Observe in a 2.xx answer). */
    uint8_t has_observe;
    uint32_t observe;
    int64_t obs_id;
    /* The Location-Path options joined as a path ("/3303/1": where a
     * Create put the new instance, LwM2M 1.1 Core "Create"), "" when the
     * answer carried none, or one that is not segments of [A-Za-z0-9._~-]
     * or does not fit. */
    char location[BW_LWSRV_PATH_MAX];
} bw_lwsrv_answer_t;

typedef void (*bw_lwsrv_done_ex_t)(void *arg, const bw_lwsrv_answer_t *a);

/*
 * Send op to the registered endpoint ep (any thread).  done runs once.
 * Returns 0 (done will be called), or BW_ENOTFOUND (not registered),
 * BW_EINVAL (bad path, payload_len above BW_LWSRV_PAYLOAD_MAX, a Block1
 * outside the rules above: SZX above 6, NUM of 2^20 or more, M above 1,
 * a payload not the block's size with M set or above it without),
 * BW_ENOMEM, BW_ESTATE (no DTLS server to post to).
 */
int bw_lwsrv_request(bw_lwsrv_t *s, const char *ep, const bw_lwsrv_op_t *op,
                     bw_lwsrv_done_t done, void *arg);

/*
 * The same, with the answer's Block1 and Max-Age reported
 * (bw_lwsrv_answer_t): what a client driving a block-wise Write needs to
 * follow the server's size (a smaller SZX in a 2.31) and its refusals.
 * Same returns as bw_lwsrv_request().
 */
int bw_lwsrv_request_ex(bw_lwsrv_t *s, const char *ep, const bw_lwsrv_op_t *op,
                        bw_lwsrv_done_ex_t done, void *arg);

/* The same to a peer that is not registered (bootstrap), on its worker. */
int bw_lwsrv_request_to(bw_lwsrv_t *s, unsigned worker,
                        const struct sockaddr *addr, socklen_t addr_len,
                        const bw_lwsrv_op_t *op, bw_lwsrv_done_t done,
                        void *arg);

/*
 * Observe path on the registered endpoint ep (any thread): a GET with
 * Observe 0, Accept accept (-1: none; the API asks for SenML JSON) and a
 * fresh 8-byte token.  done runs once with the first answer; when it is
 * a 2.xx with Observe, the observation is recorded first (actor: who
 * asked, for the listing) and a->obs_id names it.  A 2.xx without
 * Observe means the device did not take it (obs_id 0).  With a store
 * attached (the observation journal, lwm2m_observe_journal.c) done runs
 * on the journal's thread once the observation is committed, else on
 * the DTLS worker: it must not assume either.
 * Returns as bw_lwsrv_request() (BW_EINVAL also for a path that is not
 * "/" and digits, an actor of BW_LWSRV_OBS_ACTOR_MAX bytes or more),
 * and BW_ECRYPTO (no randomness for the token).
 */
int bw_lwsrv_observe(bw_lwsrv_t *s, const char *ep, const char *path,
                     int32_t accept, const char *actor, bw_lwsrv_done_ex_t done,
                     void *arg);

/*
 * Cancel an observation of ep (any thread): the one with id when id > 0,
 * else the one of path.  It ends here at once (a late notification gets a
 * RST) and *ended (may be NULL) gets its last view; then the device is
 * sent a GET with Observe 1 and the same token (RFC 7641 3.6) and done
 * runs once with its answer.
 * Returns 0 (done will be called), or BW_ENOTFOUND (no such observation),
 * or, the observation ended already, bw_lwsrv_request()'s codes for the
 * GET (BW_ENOTFOUND also when ep is no longer registered).
 */
int bw_lwsrv_cancel(bw_lwsrv_t *s, const char *ep, int64_t id, const char *path,
                    bw_lwsrv_done_ex_t done, void *arg,
                    bw_lwsrv_obs_view_t *ended);

/* The live observations of ep, oldest first (bw_lwsrv_obs_list). */
int bw_lwsrv_observations(bw_lwsrv_t *s, const char *ep,
                          int (*cb)(void *arg, const bw_lwsrv_obs_view_t *v),
                          void *arg);

/* Wait until every notification received so far reached the store
 * (tests; a no-op without notify_store). */
void bw_lwsrv_notify_flush(bw_lwsrv_t *s);

/* Expire registrations past their lifetime (call every second or so). */
size_t bw_lwsrv_expire(bw_lwsrv_t *s, uint64_t now_ms);

/*
 * End ep's registration now, as a De-register from the device would (its
 * observations go, BW_LWSRV_EV_DEREGISTERED with ev->why = why and no
 * peer): the server's own decision, e.g. the credential it registered
 * with was revoked or the device deleted.  The store's row is the
 * caller's business.  Returns 0, BW_ENOTFOUND (not registered) or
 * BW_ENOMEM.
 */
int bw_lwsrv_end(bw_lwsrv_t *s, const char *ep, const char *why);

#endif /* BW_LWSRV_SRV_H */
