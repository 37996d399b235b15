/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Queue mode on the server side (docs/server.md "Queue mode"; docs/api.md
 * "Queued and asynchronous operations"): device operations kept in the
 * store (server/db/db_request.h) until the device can hear them, and
 * delivered when it registers or updates.
 *
 * Who does what:
 *   - the API (api_ops.c) decides per operation whether it is sent at
 *     once, as before, or queued (bw_api_queue_route below): queued when
 *     the caller asks ("async": true), or when the device registered in
 *     queue mode and is asleep.  A queued request is committed to the
 *     store before the caller hears 202: after a crash nothing
 *     acknowledged is lost;
 *   - the delivery engine (api_queue.c, bw_api_queue_t) owns one thread.
 *     When a device registers or updates (server/app calls
 *     bw_api_queue_wake once the registration is committed), and when an
 *     asynchronous request is queued for a device that can hear it now,
 *     it sends that device's queued requests in creation order, one at a
 *     time: marked SENT before the request leaves, ANSWERED with the
 *     answer (stored as the JSON the synchronous call would have
 *     returned), or back to QUEUED when no answer came (a time-out, the
 *     session gone), to wait for the next wake; after
 *     BW_API_QUEUE_TRIES_MAX such tries it is given up (EXPIRED, with
 *     the reason).  The tries are counted in the store, in the
 *     transaction that puts the request back (bw_db_request_retry): a
 *     restart does not give a request its tries again.  Once a second
 *     it expires requests past their time to live
 *     (bw_db_request_expire);
 *   - retention: answered and expired requests older than
 *     cfg.retention_days are deleted by a periodic job on the same
 *     thread (BW_API_QUEUE_PURGE_MS), in transactions of at most
 *     BW_API_QUEUE_PURGE_BATCH rows, one audit entry per sweep with the
 *     count ("requests-purged");
 *   - at start, requests left SENT by a server that died are put back to
 *     QUEUED (their answer is lost; the device may have applied them
 *     already: a Write is sent again, which LwM2M Writes tolerate);
 *   - whether a queue-mode device is awake is known from the last
 *     exchange with it (bw_api_queue_seen: a Register or Update arriving,
 *     an answer to a request), see BW_API_QUEUE_AWAKE_MS.
 *
 * Threads.  bw_api_queue_wake and bw_api_queue_seen are called on DTLS
 * workers and take a mutex or two for a bounded, short time; they never
 * touch the disk.  A wake for a device the store knows has nothing
 * queued (bw_db_request_may_have_queued, in memory) ends there: the
 * engine's thread is not woken for the many devices that register with
 * nothing waiting.  Every store access happens on the engine's thread or on the
 * API's.  Answers arrive on workers, are copied, handed to the engine's
 * thread and written there.
 *
 * What it must never do: block a DTLS worker on the disk; send a device
 * two of its queued requests at once, or one out of creation order;
 * answer the API 202 before the request is committed; send a request
 * that is not marked SENT first (so a crash at any moment leaves it
 * QUEUED or SENT, never lost, and a restart requeues the SENT ones).
 */
#ifndef BW_API_QUEUE_H
#define BW_API_QUEUE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "db_request.h"

/* A queue-mode device closes its channel 10 s after its last exchange
 * (the LwM2M client's queue_idle_ms default, include/bulwark/
 * lwm2m_client.h).  It counts as awake for 8 s after an exchange: the
 * 2 s left are the request's way to it, so nothing is sent into a
 * channel that closes before it arrives. */
#define BW_API_QUEUE_AWAKE_MS 8000
/* Time to live of a queued request ("ttl", seconds): one day unless the
 * caller says, 30 days at most (a device asleep longer than that has
 * other problems; the row would only grow the table). */
#define BW_API_QUEUE_TTL_DEFAULT_S 86400
#define BW_API_QUEUE_TTL_MAX_S     (30 * 86400)
/* Deliveries of one request that got no answer before it is given up:
 * each one already retransmitted for about a minute (RFC 7252 timers),
 * so three wakes without an answer mean the request itself is the
 * trouble (or the device is gone). */
#define BW_API_QUEUE_TRIES_MAX 3
/* Devices remembered as recently seen (BW_API_QUEUE_AWAKE_MS).  Only
 * the last few seconds count, so this bounds the registrations and
 * updates per awake window it keeps track of; past it, a device not
 * remembered counts as asleep, which only delays its requests to its
 * next update. */
#define BW_API_QUEUE_SEEN_MAX 8192
/* Devices waiting for a delivery to start; past this, a wake is dropped
 * (logged) and its requests go at the device's next update. */
#define BW_API_QUEUE_WAKES_MAX 4096
/* How often requests past their time to live are expired. */
#define BW_API_QUEUE_SWEEP_MS 1000
/* Days answered and expired requests are kept (run --request-retention):
 * long enough to read an outcome back after a holiday; bounded so that
 * a fleet polled daily does not grow the table for ever.  0 keeps them
 * for ever; the most is about ten years (the cutoff's arithmetic stays
 * far from overflow, and nobody means more). */
#define BW_API_QUEUE_RETENTION_DAYS_DEFAULT 30
#define BW_API_QUEUE_RETENTION_DAYS_MAX     3650
/* How often the retention job looks for requests past the retention
 * (and once at start): a minute's lateness on a scale of days is
 * nothing. */
#define BW_API_QUEUE_PURGE_MS 60000
/* Requests one transaction of the retention job deletes: a few
 * milliseconds of the writer's lock, which registrations wait for. */
#define BW_API_QUEUE_PURGE_BATCH 256

/* ---- pure rules (api_queue_rules.c) ---------------------------------- */

/* What happens to a device operation (bw_api_queue_route). */
typedef enum {
    BW_API_QUEUE_SEND_NOW,       /* sent at once, the caller waits */
    BW_API_QUEUE_QUEUE_SEND,     /* queued (202) and delivered at once */
    BW_API_QUEUE_QUEUE_WAKE,     /* queued (202) until the device wakes */
    BW_API_QUEUE_NOT_REGISTERED, /* 404: synchronous, nobody to ask */
} bw_api_queue_route_t;

/*
 * Where an operation goes, from: the caller asked for async; the device
 * is registered; it registered in queue mode; it is awake now
 * (bw_api_queue_awake).  An ordered table (first match wins):
 *   async, registered, not queue mode or awake -> QUEUE_SEND
 *   async                                      -> QUEUE_WAKE
 *   not registered                             -> NOT_REGISTERED
 *   queue mode and asleep                      -> QUEUE_WAKE
 *   otherwise                                  -> SEND_NOW
 * Non-zero arguments count as true.
 */
bw_api_queue_route_t bw_api_queue_route(int async, int registered,
                                        int queue_mode, int awake);

/* Whether a device last seen at last_ms (0: never) is awake at now_ms:
 * seen within the last BW_API_QUEUE_AWAKE_MS, not in the future by more
 * than that (a clock stepped back makes it asleep, the safe side). */
int bw_api_queue_awake(int64_t last_ms, int64_t now_ms);

/*
 * The members "async" and "ttl" of an operation's body (either may be
 * NULL: absent).  async: true or false.  ttl: whole seconds
 * 1..BW_API_QUEUE_TTL_MAX_S, default BW_API_QUEUE_TTL_DEFAULT_S.
 * Returns 0 with *async and *ttl_ms, or (*why says what is wrong, for a
 * 400) BW_ETYPE (async not a boolean, ttl not an integer), BW_ERANGE
 * (ttl outside its range), BW_EINVAL (NULL outputs).
 */
int bw_api_queue_options(const json_t *async_v, const json_t *ttl_v, int *async,
                         int64_t *ttl_ms, const char **why);

/* What to do with a request that was sent and got no answer (err from
 * bw_lwsrv_request or its callback) after its tries-th try. */
typedef enum {
    BW_API_QUEUE_REQUEUE, /* back to QUEUED, the try not counted */
    BW_API_QUEUE_RETRY,   /* back to QUEUED, the try counted */
    BW_API_QUEUE_GIVE_UP, /* EXPIRED with the reason */
} bw_api_queue_failure_t;

/*
 * BW_ENOTFOUND (the device is not registered: nothing left the server)
 * and BW_ESTATE (the server is stopping) are REQUEUE; any other failure
 * is RETRY while tries < BW_API_QUEUE_TRIES_MAX, then GIVE_UP.  tries
 * is the count with this try (the store's, bw_db_request_retry).
 */
bw_api_queue_failure_t bw_api_queue_after_failure(int err, unsigned tries);

/* Whether a request that got no answer tries times is given up rather
 * than sent again: tries >= BW_API_QUEUE_TRIES_MAX. */
int bw_api_queue_tries_spent(unsigned tries);

/*
 * The retention job's cutoff: answered and expired requests that became
 * so before it are deleted.  now_ms less days (0..
 * BW_API_QUEUE_RETENTION_DAYS_MAX, more counts as the most) of 86,400,000
 * ms; INT64_MIN when days is 0 (kept for ever: nothing is before it).
 */
int64_t bw_api_queue_retention_cutoff(int64_t now_ms, uint32_t days);

/* ---- the delivery engine (api_queue.c) ------------------------------- */

typedef struct bw_api_queue bw_api_queue_t;

typedef struct {
    bw_db_t *db;
    bw_lwsrv_t *dm;           /* the DM role's LwM2M layer */
    bw_lwsrv_registry_t *reg; /* and its registry */
    bw_api_log_t log;         /* one line per event; may be NULL */
    void *log_arg;
    struct bw_events *events; /* live events (api_events.h); may be NULL */
    /* Answered and expired requests are deleted this many days after
     * they became so; 0 keeps them for ever. */
    uint32_t retention_days;
} bw_api_queue_config_t;

/*
 * Requeue the requests a previous run left SENT, start the engine's
 * thread.  Returns NULL when cfg is incomplete, out of memory, or the
 * thread cannot start (logged).
 */
bw_api_queue_t *bw_api_queue_new(const bw_api_queue_config_t *cfg);

/* Stop the thread (a delivery in progress is left SENT or QUEUED as it
 * is: the next start requeues it).  Call before the DM role stops.
 * NULL is a no-op. */
void bw_api_queue_stop(bw_api_queue_t *q);

/* Free, after bw_api_queue_stop and after the DM role is gone (answers
 * still in flight land in the engine until then).  NULL is a no-op. */
void bw_api_queue_free(bw_api_queue_t *q);

/* An exchange with ep just happened (any thread; never blocks on the
 * disk).  NULL q is a no-op. */
void bw_api_queue_seen(bw_api_queue_t *q, const char *ep, int64_t now_ms);

/* Whether ep is awake (bw_api_queue_awake of its last exchange). */
int bw_api_queue_is_awake(bw_api_queue_t *q, const char *ep, int64_t now_ms);

/* ep registered, updated, or was given a request it can hear now: start
 * delivering its queued requests (any thread; never blocks on the disk).
 * NULL q is a no-op. */
void bw_api_queue_wake(bw_api_queue_t *q, const char *ep);

/* Let the API's handlers queue requests and wake the engine (after
 * bw_api_start; until then, every operation is synchronous). */
void bw_api_queue_attach(bw_api_t *api, bw_api_queue_t *q);

#endif /* BW_API_QUEUE_H */
