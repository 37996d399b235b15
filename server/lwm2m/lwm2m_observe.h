/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observations the DM server holds on devices (OMA LwM2M 1.1 Core,
 * Information Reporting: Observe, Cancel Observation, Notify; RFC 7641),
 * and what becomes of their notifications.
 *
 * Four parts, one per file:
 *
 *   lwm2m_observe.c         the registry: token -> (endpoint, path,
 *                           content format, who asked, counters), shared
 *                           by the DTLS workers (notifications arrive on
 *                           the device's worker) and the API threads
 *                           (observe, cancel, list), under one lock held
 *                           for bounded, I/O-free work only;
 *   lwm2m_observe_decode.c  a notification's payload into values
 *                           (bw_lwsrv_sample_t, as for LwM2M Send):
 *                           SenML CBOR and JSON through lwm2m_send.c's
 *                           decoder, text/plain, octet-stream and TLV;
 *   lwm2m_observe_sink.c    the hand-over to the store: a bounded queue
 *                           and one writer thread, so a DTLS worker never
 *                           waits for the disk on a notification;
 *   lwm2m_observe_journal.c the observations themselves kept in a store
 *                           across restarts (optional): each change of
 *                           the registry queued in order and written by a
 *                           thread of its own; the registry stays the
 *                           source of truth while the server runs.
 *
 * The LwM2M layer (lwm2m_srv.c, lwm2m_observe_notify.c) ties them to the
 * wire: who may notify (the session the device registered over), what is
 * acknowledged, reset or dropped, and when an observation ends
 * (de-registration, expiry, a new registration, Cancel, an error
 * notification); lwm2m_srv.h has that contract.
 *
 * What this module never does: trust a token from the network beyond a
 * lookup (the endpoint comes from the registry, never from a packet),
 * read past a payload, or block a worker on storage (a full queue drops
 * the notification and counts it).
 */
#ifndef BW_LWSRV_OBSERVE_H
#define BW_LWSRV_OBSERVE_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m_reg.h"
#include "lwm2m_send.h"

/* Live observations per server at most: a fleet of thousands of devices
 * with a few observed resources each. */
#define BW_LWSRV_OBS_MAX 65536u
/* Per device at most: the device keeps BW_LWM2M_DM_MAX_OBS (8) itself;
 * a few more cover replacements in flight. */
#define BW_LWSRV_OBS_PER_EP 16u
/* Observation tokens: 8 random bytes (RFC 7252 5.3.1 allows 0..8; the
 * longest makes a guessed notification least likely to match). */
#define BW_LWSRV_OBS_TOKEN_LEN 8u
/* Longest path observed: bw_lwsrv_op_t.path. */
#define BW_LWSRV_OBS_PATH_MAX 64u
/* The actor that asked, for the listing ("api:<token name>"). */
#define BW_LWSRV_OBS_ACTOR_MAX 72u
/* Notifications waiting for the store at most: past this the writer is
 * behind by seconds and new ones are dropped (counted). */
#define BW_LWSRV_OBS_QUEUE_MAX 4096u
/* New observations waiting for the journal's store at most: each is an
 * API caller waiting for its answer; past this the store is behind and
 * an observation is not kept (the caller is told). */
#define BW_LWSRV_OBS_JOURNAL_MAX 1024u
/* Largest notification payload decoded: a datagram's payload, with room
 * (bw_lwsrv_send_decode's bound). */
#define BW_LWSRV_OBS_PAYLOAD_MAX BW_LWSRV_SEND_PAYLOAD_MAX
/* Values per notification at most: as for a Send. */
#define BW_LWSRV_OBS_VALUES_MAX BW_LWSRV_SEND_MAX_RECORDS

/* One observation, as copied out to callers. */
typedef struct {
    int64_t id; /* 1, 2, ... per server: the API's observation id */
    char ep[BW_LWSRV_EP_MAX + 1];
    char path[BW_LWSRV_OBS_PATH_MAX];
    uint8_t token[BW_LWSRV_OBS_TOKEN_LEN];
    int32_t accept;          /* the Accept it was made with; -1: none */
    uint32_t content_format; /* of the first answer */
    char actor[BW_LWSRV_OBS_ACTOR_MAX];
    int64_t since_ms;       /* Unix ms: when the device accepted it */
    uint64_t notifications; /* received after the first answer */
    int64_t last_ms;        /* Unix ms of the last one; 0: none yet */
    uint64_t dropped;       /* not stored: bad payload or queue full */
} bw_lwsrv_obs_view_t;

/* ---- the registry (lwm2m_observe.c) --------------------------------- */

typedef struct bw_lwsrv_obs bw_lwsrv_obs_t;
typedef struct bw_lwsrv_obs_journal bw_lwsrv_obs_journal_t;
struct bw_lwsrv; /* the DM server, lwm2m_srv.h */

/* Returns NULL when out of memory. */
bw_lwsrv_obs_t *bw_lwsrv_obs_new(void);
void bw_lwsrv_obs_free(bw_lwsrv_obs_t *o);

/*
 * Record the observation the device accepted: v->ep, path, token, accept,
 * content_format, actor and since_ms are taken from v; id and counters
 * are set here (*id gets the id).  An observation of the same endpoint
 * and path is replaced (the device replaces it too: LwM2M keeps one per
 * server and path), and so is one with the same token.
 * Returns 0, or BW_ELIMIT (BW_LWSRV_OBS_MAX in all or BW_LWSRV_OBS_PER_EP
 * for this endpoint), BW_ENOMEM, BW_EINVAL (NULL, an empty endpoint or a
 * path not starting with '/').
 */
int bw_lwsrv_obs_add(bw_lwsrv_obs_t *o, const bw_lwsrv_obs_view_t *v,
                     int64_t *id);

/* The observation of token (BW_LWSRV_OBS_TOKEN_LEN bytes), copied into
 * *out.  Returns 0 or BW_ENOTFOUND (also for NULL arguments). */
int bw_lwsrv_obs_get(bw_lwsrv_obs_t *o, const uint8_t *token,
                     bw_lwsrv_obs_view_t *out);

/*
 * A notification of token arrived with message ID mid at now_ms (Unix):
 * counted, unless it repeats the message ID of the previous one (a
 * retransmission, RFC 7252 4.5), which sets *dup and counts nothing.
 * stored 0 counts it as dropped too.  Returns 0 or BW_ENOTFOUND.
 */
int bw_lwsrv_obs_note(bw_lwsrv_obs_t *o, const uint8_t *token, uint16_t mid,
                      int64_t now_ms, int *dup);
/* One more notification of token not stored (queue full, bad payload). */
void bw_lwsrv_obs_dropped(bw_lwsrv_obs_t *o, const uint8_t *token);

/*
 * End one observation and copy it into *out (may be NULL): by token when
 * token is not NULL, else the one of ep with id (id > 0) or with path
 * (path not NULL).  Returns 0 or BW_ENOTFOUND.
 */
int bw_lwsrv_obs_take(bw_lwsrv_obs_t *o, const uint8_t *token, const char *ep,
                      int64_t id, const char *path, bw_lwsrv_obs_view_t *out);

/* End every observation of ep; returns how many. */
size_t bw_lwsrv_obs_end_ep(bw_lwsrv_obs_t *o, const char *ep);

/*
 * Copy out the observations of ep, oldest first, calling cb(arg, v) for
 * each outside the lock.  A non-zero return from cb stops the walk and is
 * returned.  Returns 0, cb's code, BW_ENOMEM, BW_EINVAL.
 */
int bw_lwsrv_obs_list(bw_lwsrv_obs_t *o, const char *ep,
                      int (*cb)(void *arg, const bw_lwsrv_obs_view_t *v),
                      void *arg);

size_t bw_lwsrv_obs_count(bw_lwsrv_obs_t *o);

/*
 * Put back an observation a store kept (at start, before any DTLS
 * traffic): as bw_lwsrv_obs_add, but with v->id as its id (ids handed out
 * later are above it), counters zeroed, and nothing replaced: one of the
 * same endpoint and path or id, or the same token, is BW_EEXIST.  The
 * journal is not told (the store has it).
 * Returns 0, or BW_EEXIST, BW_ELIMIT, BW_ENOMEM, BW_EINVAL (as for add,
 * and an id not above 0 or INT64_MAX).
 */
int bw_lwsrv_obs_restore(bw_lwsrv_obs_t *o, const bw_lwsrv_obs_view_t *v);

/* Ids handed out from now on are above last (the highest a store ever
 * kept, also of observations that ended). */
void bw_lwsrv_obs_seen_id(bw_lwsrv_obs_t *o, int64_t last);

/* From now on every observation that ends here (take, end_ep, replaced
 * by add) is handed to j for deletion; o owns j (freed with it, first).
 * NULL: memory only.  Set it before the registry is shared. */
void bw_lwsrv_obs_set_journal(bw_lwsrv_obs_t *o, bw_lwsrv_obs_journal_t *j);
bw_lwsrv_obs_journal_t *bw_lwsrv_obs_journal_of(bw_lwsrv_obs_t *o);

/* ---- kept across restarts (lwm2m_observe_journal.c) ----------------- */

/*
 * A store of live observations (bulwark-server: the observations table,
 * server/db/db.h).  put and del run on the journal's thread, one at a
 * time, in the order of the changes; load runs once, before the journal
 * starts.
 */
typedef struct {
    /* Hand each kept observation to cb (ep, id, path, token, accept,
     * content_format, actor, since_ms), and set *last_id to the highest
     * id ever kept.  Drops those whose registration is gone first.
     * 0, or an error (cb's own stops the walk). */
    int (*load)(void *arg, int (*cb)(void *cbarg, const bw_lwsrv_obs_view_t *v),
                void *cbarg, int64_t *last_id);
    /* Keep v, of the registration at location, committed on return.
     * 0 or an error: the observation then ends (not kept, not live). */
    int (*put)(void *arg, const bw_lwsrv_obs_view_t *v, const char *location);
    /* Forget observation id of ep.  0 or an error, which changes nothing
     * here (the callee logs it; a row its registration took already is
     * not one). */
    int (*del)(void *arg, const char *ep, int64_t id);
    void *arg;
} bw_lwsrv_obs_store_t;

/* Start the journal's thread on st (put and del set).  Returns NULL when
 * out of memory, the thread cannot start or st lacks put or del. */
bw_lwsrv_obs_journal_t *
bw_lwsrv_obs_journal_new(const bw_lwsrv_obs_store_t *st);

/*
 * Queue the put of v (its id set) of the registration at location (any
 * thread, never waits for the store); then(arg, err) runs once on the
 * journal's thread with the put's result, after every change queued
 * before it was written.
 * Returns 0 (then will run), or BW_ELIMIT (BW_LWSRV_OBS_JOURNAL_MAX
 * waiting), BW_ESTATE (stopping), BW_ENOMEM, BW_EINVAL (NULL, id not
 * above 0, location longer than BW_LWSRV_LOC_LEN).
 */
int bw_lwsrv_obs_journal_put(bw_lwsrv_obs_journal_t *j,
                             const bw_lwsrv_obs_view_t *v, const char *location,
                             void (*then)(void *arg, int err), void *arg);

/* Queue the deletion of observation id of ep: never refused for the
 * bound.  Returns 0, BW_ESTATE, BW_ENOMEM, BW_EINVAL (NULL, id not above
 * 0, ep longer than BW_LWSRV_EP_MAX). */
int bw_lwsrv_obs_journal_del(bw_lwsrv_obs_journal_t *j, const char *ep,
                             int64_t id);

/* Wait until every change queued before the call was written. */
void bw_lwsrv_obs_journal_flush(bw_lwsrv_obs_journal_t *j);

/* Write what is queued (then runs for each put), stop, free.  NULL is a
 * no-op. */
void bw_lwsrv_obs_journal_free(bw_lwsrv_obs_journal_t *j);

/*
 * Keep the observations of the DM server s in st (lwm2m_observe_srv.c):
 * load what st kept into the registry (*loaded, may be NULL, gets how
 * many), then journal every change.  From then on an Observe is answered
 * (done of bw_lwsrv_observe) only once its observation is stored, on the
 * journal's thread; one the store refuses ends and is answered with
 * obs_id 0.  Call it once, before the DTLS server starts (a notification
 * must find its observation).
 * Returns 0, or st->load's code (nothing kept then: the registry holds
 * what was loaded before it, and no journal runs), BW_ESTATE (a journal
 * runs already), BW_ENOMEM, BW_EINVAL (NULL, st without load, put or
 * del).  A kept observation the registry refuses (limits, a duplicate)
 * is skipped, not an error.
 */
int bw_lwsrv_observe_keep(struct bw_lwsrv *s, const bw_lwsrv_obs_store_t *st,
                          size_t *loaded);

/* ---- notification payloads (lwm2m_observe_decode.c) ----------------- */

/*
 * Decode a notification of the observation of path (its text, "/3303/0"),
 * payload in content format cf, for a device registered with object links
 * links (links_truncated as for bw_lwsrv_send_decode), received at now_ms
 * (Unix).  Values go to out (cap entries, *n used), bytes into arena.
 *
 *   SenML CBOR (112), SenML JSON (110)  bw_lwsrv_send_decode: each
 *       record's own time (bt + t) when it has one, else now_ms;
 *   text/plain (0)     one value at path (a resource or resource
 *       instance): a number when the text reads as one, else a string;
 *   octet-stream (42)  one opaque value at path (same depths);
 *   LwM2M TLV (11542)  the TLV's values at their full paths, each kept
 *       as opaque bytes (TLV carries no types and the server knows no
 *       object definitions);
 *
 * Every value must lie at or under path (a device answering for another
 * resource is wrong, not news).  An empty payload is no value.
 * Returns 0, or
 *   BW_EFORMAT     another content format;
 *   BW_EPATH       path is not an LwM2M path, text or opaque at a path
 *                  that is not a resource (instance), a value outside
 *                  path;
 *   BW_EOVERFLOW   payload above BW_LWSRV_OBS_PAYLOAD_MAX, more than cap
 *                  values;
 *   BW_EMALFORMED  no value at all (and bw_lwsrv_send_decode's meaning);
 *   BW_EUTF8       text that is neither a number nor UTF-8;
 *   bw_lwsrv_send_decode's and bw_lwm2m_tlv_decode's codes for a pack
 *                  that does not parse (BW_ETRUNC, BW_ETRAILING, ...);
 *   BW_ENOSPC      arena too small; BW_EINVAL (NULL pointers).
 * *why (may be NULL) gets a short static reason on failure; *n is 0.
 */
int bw_lwsrv_obs_decode(uint32_t cf, const uint8_t *payload, size_t len,
                        const char *path, const char *links,
                        int links_truncated, int64_t now_ms,
                        bw_lwsrv_sample_t *out, size_t cap, size_t *n,
                        uint8_t *arena, size_t arena_cap, const char **why);

/* ---- the hand-over to the store (lwm2m_observe_sink.c) -------------- */

/* Store the n values of ep received at now_ms: 0 or an error (logged by
 * the callee; the values are gone either way).  Same signature as
 * bw_lwsrv_send_config_t.store, so one function serves both. */
typedef int (*bw_lwsrv_obs_store_fn)(void *arg, const char *ep,
                                     const bw_lwsrv_sample_t *v, size_t n,
                                     int64_t now_ms);

typedef struct bw_lwsrv_obs_sink bw_lwsrv_obs_sink_t;

/* Start the writer thread.  Returns NULL when out of memory or the thread
 * cannot start. */
bw_lwsrv_obs_sink_t *bw_lwsrv_obs_sink_new(bw_lwsrv_obs_store_fn store,
                                           void *arg);

/*
 * Queue a copy of the n values of ep (any thread, never waits for the
 * store).  Returns 0, or BW_ELIMIT (BW_LWSRV_OBS_QUEUE_MAX waiting),
 * BW_ESTATE (stopping), BW_ENOMEM, BW_EINVAL (NULL, n of 0 or above
 * BW_LWSRV_OBS_VALUES_MAX).
 */
int bw_lwsrv_obs_sink_put(bw_lwsrv_obs_sink_t *k, const char *ep,
                          const bw_lwsrv_sample_t *v, size_t n, int64_t now_ms);

/* Wait until everything queued before the call was handed to the store
 * (tests, orderly shutdown). */
void bw_lwsrv_obs_sink_flush(bw_lwsrv_obs_sink_t *k);

/* Store what is queued, stop the thread, free.  NULL is a no-op. */
void bw_lwsrv_obs_sink_free(bw_lwsrv_obs_sink_t *k);

#endif /* BW_LWSRV_OBSERVE_H */
