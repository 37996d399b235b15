/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DTLS server engine: many peers on one UDP port.
 *
 * Shape.  One worker thread per core, each with its own UDP socket bound
 * to the same address with SO_REUSEPORT.  The kernel hashes a datagram's
 * 4-tuple to pick the socket, so a peer always reaches the same worker and
 * a worker's sessions are touched by that worker alone: no locks on the
 * fast path.  Everything the application does for a peer (its callbacks,
 * its sends) happens on the peer's worker thread.
 *
 * Life of a peer.
 *   1. A ClientHello without a valid cookie is answered with a stateless
 *      HelloVerifyRequest (dtls_hello.h) and forgotten.
 *   2. A ClientHello with a valid cookie passes the admission checks (a
 *      cap on concurrent handshakes per worker, a cap on new handshakes per
 *      source address per second) and gets a handshake object: our own
 *      engine for the PSK suites (dtls_psk.h), OpenSSL's state machine for
 *      the certificate suites and anything else.
 *   3. When the handshake completes, the record keys are derived
 *      (dtls_record.h) and the peer becomes a compact session.  The
 *      handshake object is kept until the client's first authenticated
 *      application record proves it has our Finished (until then the
 *      client may retransmit its last flight, and the handshake answers),
 *      then freed.
 *   4. Established sessions cost a few hundred bytes (dtls_session.h);
 *      their records are opened and sealed by dtls_record.c.
 *
 * Credentials come from the application: a PSK lookup callback (the
 * security store; it MUST be thread-safe, every worker calls it) and, for
 * certificate mode, the fleet CA, the server's certificate and key and an
 * optional CRL.  Certificate mode always requires a client certificate.
 * The identity the handshake proved (PSK identity, or the client
 * certificate's subject CN) is passed with every datagram delivered, so
 * the layer above can bind it to an endpoint name.
 *
 * Graceful restart: bw_dtls_server_stop() with a state file configured
 * writes every established session to it (0600); the next start reads it,
 * deletes it, and devices carry on without a new handshake.  Outgoing
 * sequence numbers restart above a reserved gap, so no nonce is reused
 * even if the saved numbers were behind.
 *
 * Never logged: keys, PSKs, master secrets.  Logged (rate-limited): why a
 * handshake or a record was refused, with the peer's address.
 */
#ifndef BW_DTLS_SERVER_H
#define BW_DTLS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bulwark/error.h"

#define BW_DTLS_WORKERS_MAX 64
/* Longest identity carried: PSK identities in LwM2M are endpoint-like
 * names; certificate CNs are bounded by RFC 5280's ub-common-name (64). */
#define BW_DTLS_IDENTITY_MAX 128
/* Largest datagram received or sent (IPv6 minimum MTU is 1280; LwM2M
 * payloads are block-wise above that). */
#define BW_DTLS_DATAGRAM_MAX 1500

typedef struct bw_dtls_server bw_dtls_server_t;
typedef struct bw_dtls_worker bw_dtls_worker_t;

/* Who sent a delivered datagram: what the handshake proved. */
typedef enum { BW_DTLS_MODE_PSK = 1, BW_DTLS_MODE_CERT = 2 } bw_dtls_mode_t;

typedef struct {
    const struct sockaddr *addr;
    socklen_t addr_len;
    bw_dtls_mode_t mode;
    const uint8_t *identity; /* PSK identity or certificate subject CN */
    size_t identity_len;
} bw_dtls_peer_info_t;

typedef enum {
    BW_DTLS_LOG_ERROR = 0,
    BW_DTLS_LOG_WARN = 1,
    BW_DTLS_LOG_INFO = 2,
    BW_DTLS_LOG_DEBUG = 3,
} bw_dtls_log_level_t;

typedef struct {
    /* Where to listen: numeric address and port ("127.0.0.1", "::").
     * Port 0 picks a free port (see bw_dtls_server_port()). */
    const char *bind_addr;
    uint16_t port;
    unsigned workers; /* 0: one per online CPU */

    /* PSK mode: find the key for an identity.  0 and *psk_len on success,
     * BW_ENOTFOUND for an unknown identity.  Called on worker threads. */
    int (*psk_lookup)(void *arg, const uint8_t *identity, size_t identity_len,
                      uint8_t *psk, size_t cap, size_t *psk_len);

    /* Certificate mode (all three or none): PEM files. */
    const char *cert_file;
    const char *key_file;
    const char *ca_file;  /* the fleet CA clients must chain to */
    const char *crl_file; /* optional */

    /* Application callbacks, on the peer's worker thread. */
    void (*on_data)(void *arg, bw_dtls_worker_t *w,
                    const bw_dtls_peer_info_t *peer, const uint8_t *data,
                    size_t len);
    /* Called on every loop iteration with the monotonic time (ms), and
     * asked when it next wants to run.  May be NULL. */
    uint64_t (*on_tick)(void *arg, bw_dtls_worker_t *w, uint64_t now_ms);
    void *arg;

    void (*log)(void *arg, bw_dtls_log_level_t level, const char *msg);
    bw_dtls_log_level_t log_level;

    /* Limits; 0 picks the default in brackets. */
    unsigned max_handshakes;       /* per worker, in progress at once [1024] */
    unsigned handshakes_per_addr;  /* new ones per source address per s [64] */
    unsigned handshake_timeout_ms; /* whole handshake [30000] */
    unsigned idle_timeout_s;       /* drop a silent session [172800] */
    uint16_t mtu;                  /* handshake datagrams [1400] */

    /* Graceful restart: sessions are saved here on stop and loaded (then
     * deleted) on start.  NULL: no persistence. */
    const char *state_file;
} bw_dtls_server_config_t;

typedef struct {
    uint64_t datagrams_in;
    uint64_t hvr_sent; /* HelloVerifyRequests */
    uint64_t handshakes_started;
    uint64_t handshakes_done;
    uint64_t handshakes_failed;
    uint64_t handshakes_timed_out;
    uint64_t refused_limit; /* admission caps */
    uint64_t records_in;    /* application records opened */
    uint64_t records_out;
    uint64_t dropped_auth; /* records failing authentication */
    uint64_t dropped_replay;
    uint64_t dropped_other; /* garbage, no session, stale epoch */
    uint64_t sessions;      /* established now */
    uint64_t handshakes;    /* in progress now */
    uint64_t restored;      /* sessions loaded from the state file */
} bw_dtls_stats_t;

/*
 * Create the server: check the configuration, load certificates, bind
 * the sockets, load the state file.  Threads start in bw_dtls_server_start.
 * Returns 0, or BW_EINVAL (bad configuration), BW_ECERT (certificate,
 * key, CA or CRL file unusable), BW_ENET (bind failed), BW_ENOMEM, BW_EIO
 * (state file unreadable).  *err_msg, if not NULL, gets a static or
 * thread-local one-line reason on failure.
 */
int bw_dtls_server_new(const bw_dtls_server_config_t *cfg,
                       bw_dtls_server_t **out, const char **err_msg);

/* The bound UDP port (useful with port 0). */
uint16_t bw_dtls_server_port(const bw_dtls_server_t *srv);

/* Start the worker threads.  Returns 0, or BW_ENOMEM. */
int bw_dtls_server_start(bw_dtls_server_t *srv);

/* Ask the workers to stop.  Async-signal-safe: call it from a handler. */
void bw_dtls_server_stop(bw_dtls_server_t *srv);

/*
 * Wait for the workers to stop, save sessions if a state file is
 * configured, and free everything.  Returns 0, or BW_EIO if the state
 * could not be saved (the sessions are then lost, not half-written).
 */
int bw_dtls_server_free(bw_dtls_server_t *srv);

/* Sum of the workers' counters; approximate while they run. */
void bw_dtls_server_stats(const bw_dtls_server_t *srv, bw_dtls_stats_t *st);

/*
 * Send one application datagram to an established peer of this worker.
 * Only from the worker's own thread (inside a callback).
 * Returns 0, or BW_ENOTFOUND (no established session for this address),
 * BW_EINVAL (too long), BW_ENET.
 */
int bw_dtls_send(bw_dtls_worker_t *w, const struct sockaddr *addr,
                 socklen_t addr_len, const uint8_t *data, size_t len);

/* The worker's index, 0 .. workers - 1 (for per-worker application state). */
unsigned bw_dtls_worker_index(const bw_dtls_worker_t *w);

/* Number of workers (valid after bw_dtls_server_new). */
unsigned bw_dtls_server_workers(const bw_dtls_server_t *srv);

/*
 * Run fn(arg, w) on worker `index`'s thread, soon (from any thread).  This
 * is how other threads (an API request, a timer) reach a peer: sessions
 * belong to their worker, so work on them is handed over, not locked.
 * Jobs run in the order posted; jobs still queued when the server stops
 * run with w == NULL, so they can free what arg holds.
 * Returns 0, or BW_EINVAL (no such worker), BW_ENOMEM, BW_ESTATE
 * (stopping: fn will not run).
 */
int bw_dtls_server_post(bw_dtls_server_t *srv, unsigned index,
                        void (*fn)(void *arg, bw_dtls_worker_t *w), void *arg);

/*
 * End every session and handshake that proved identity (the credential
 * was revoked, the device deleted): each worker, on its own thread and
 * soon, sends an established session a close_notify alert (best effort:
 * a lost datagram is not resent) and forgets it, so the next record from
 * the peer starts nothing and its next handshake meets the store's
 * answer for the identity.  Returns 0 once every worker has the job, or
 * BW_EINVAL (identity empty or longer than BW_DTLS_IDENTITY_MAX),
 * BW_ENOMEM, BW_ESTATE (stopping).
 */
int bw_dtls_server_close_identity(bw_dtls_server_t *srv,
                                  const uint8_t *identity, size_t len);

#endif /* BW_DTLS_SERVER_H */
