/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's live events (docs/api.md, "Live events"): an in-process
 * bus that the server's parts publish to (registrations, bootstrap,
 * campaigns, queued requests, stored telemetry) and that the REST API
 * streams to clients as Server-Sent Events (GET /api/v1/events,
 * api_events_sse.c).
 *
 * It owns a ring of the last `capacity` events, one mutex and one
 * condition variable.  Every event gets an id one above the previous
 * one; the first id of a run is the wall clock in microseconds when the
 * bus was made, so ids keep growing across restarts (a server publishes
 * far fewer than a million events a second) and a client resuming with
 * an id from an earlier run is told it missed events.  A reader keeps
 * its own cursor (the next id it wants) and reads the ring under the
 * mutex; a reader that falls more than `capacity` events behind loses
 * the oldest ones and is told how many.
 *
 * What it must never do: block a publisher on a reader (publishing
 * takes the mutex for one copy into the ring, never waits for anyone);
 * hand out an event twice to one cursor or skip one without counting
 * it; keep a pointer into a publisher's memory (events are copied).
 */
#ifndef BW_API_EVENTS_H
#define BW_API_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* Events kept by default: a burst of a few thousand registrations after
 * a restart fits, at about 600 bytes each (2.4 MiB). */
#define BW_EVENTS_RING_DEFAULT 4096
/* Largest ring bw_events_new accepts (about 40 MiB). */
#define BW_EVENTS_RING_MAX 65536
/* Longest event type ("campaign.device", "request.answered"). */
#define BW_EVENTS_TYPE_MAX 31
/* Longest data object as compact JSON: events carry a few small members
 * (states, paths, counts); bigger data is the store's business. */
#define BW_EVENTS_DATA_MAX 480
/* Type patterns in one filter ("device.*,campaign.*"). */
#define BW_EVENTS_FILTER_TYPES 8

typedef struct bw_events bw_events_t;

/* One event, as copied out of the ring. */
typedef struct {
    uint64_t id;
    int64_t time_ms; /* Unix milliseconds when it was published */
    char type[BW_EVENTS_TYPE_MAX + 1];
    char ep[BW_DB_ENDPOINT_MAX + 1];   /* "" when about no device */
    char data[BW_EVENTS_DATA_MAX + 1]; /* a JSON object, compact */
} bw_event_t;

/* What a reader missed before the event it gets next. */
typedef struct {
    uint64_t lost; /* events of this run pushed out of the ring */
    int restarted; /* its cursor is from before this run: events of
                      the earlier run may be lost too (not counted) */
} bw_events_gap_t;

/*
 * A filter: type patterns (each an exact type, or a prefix ending in
 * ".*": "device.*" matches "device.registered"; "*" matches all), and
 * an endpoint (exact).  No pattern, or no endpoint, matches everything.
 */
typedef struct {
    size_t ntypes;
    char types[BW_EVENTS_FILTER_TYPES][BW_EVENTS_TYPE_MAX + 1];
    char ep[BW_DB_ENDPOINT_MAX + 1]; /* "" matches every event */
} bw_events_filter_t;

/*
 * A bus keeping capacity events, the first one numbered first_id (0:
 * the wall clock in microseconds).  Returns 0 and *out, or BW_EINVAL
 * (NULL out, capacity 0 or above BW_EVENTS_RING_MAX), BW_ENOMEM.
 */
int bw_events_new(size_t capacity, uint64_t first_id, bw_events_t **out);

/* After every publisher and reader is gone.  NULL is a no-op. */
void bw_events_free(bw_events_t *bus);

/*
 * Publish an event of type (1..BW_EVENTS_TYPE_MAX of a-z 0-9 . _ -),
 * about endpoint ep (NULL or "": none), with data (a JSON object; the
 * reference is taken over and released; NULL: an empty object).  Any
 * thread; never waits for a reader.  A NULL bus is a no-op returning 0,
 * so a server part publishes without knowing whether anyone listens.
 * Returns 0, or
 *   BW_EOVERFLOW  data above BW_EVENTS_DATA_MAX as JSON: the event is
 *                 still published, with data {"truncated": true};
 *   BW_EINVAL     type missing or malformed, ep longer than
 *                 BW_DB_ENDPOINT_MAX, data not an object (nothing
 *                 published).
 */
int bw_events_publish(bw_events_t *bus, const char *type, const char *ep,
                      json_t *data);

/* The id of the last event published (first_id - 1 when none yet). */
uint64_t bw_events_last_id(bw_events_t *bus);

/*
 * The cursor of a reader that has seen event last_id (a client's
 * Last-Event-ID): last_id + 1, kept as given even when those events are
 * gone (bw_events_next then counts them).  last_id beyond the newest
 * event (a bogus or foreign id) starts after the newest.
 */
uint64_t bw_events_cursor_after(bw_events_t *bus, uint64_t last_id);

/* The cursor of a reader that wants only events published from now. */
uint64_t bw_events_cursor_now(bw_events_t *bus);

/*
 * The first event at or after *cursor that f matches (NULL: all), into
 * *out; *cursor moves past it.  Events f does not match are skipped.
 * *gap (zeroed first) says what was lost between the cursor and the
 * oldest event still kept; the cursor moves over that too.
 * Returns 0 with *out, or
 *   BW_EAGAIN  nothing (more) yet: *cursor is past every event so far,
 *              *gap may still report a loss;
 *   BW_EINVAL  NULL bus, cursor, out or gap.
 */
int bw_events_next(bw_events_t *bus, uint64_t *cursor,
                   const bw_events_filter_t *f, bw_event_t *out,
                   bw_events_gap_t *gap);

/*
 * Wait until an event newer than last_id is published, bw_events_wake
 * is called, or timeout_ms passes.  Returns 0 (look again), BW_ETIMEOUT,
 * or BW_EINVAL (NULL bus).
 */
int bw_events_wait(bw_events_t *bus, uint64_t last_id, int timeout_ms);

/* Wake every bw_events_wait (a reader is stopping). */
void bw_events_wake(bw_events_t *bus);

/*
 * A filter from the query of GET /events: types a comma-separated list
 * of patterns (NULL or "": all), ep an endpoint name (NULL or "": all).
 * Returns 0 and *f, or (*f zeroed)
 *   BW_EMALFORMED  a pattern with characters outside a-z 0-9 . _ - or a
 *                  "*" anywhere but alone or after a final ".", an empty
 *                  pattern, an endpoint with characters the API's names
 *                  do not have;
 *   BW_EOVERFLOW   a pattern above BW_EVENTS_TYPE_MAX, more than
 *                  BW_EVENTS_FILTER_TYPES patterns, an endpoint above
 *                  BW_DB_ENDPOINT_MAX;
 *   BW_EINVAL      NULL f.
 */
int bw_events_filter_parse(const char *types, const char *ep,
                           bw_events_filter_t *f);

/* Whether f (NULL: all) matches an event of type about ep. */
int bw_events_filter_match(const bw_events_filter_t *f, const char *type,
                           const char *ep);

/* ---- the REST API's side (api_events_sse.c) ------------------------ */

struct bw_api;

/* Event streams open at once; one more is answered 503.  Each holds a
 * connection (of the API's 256) and about 2 KiB; a few dashboards and
 * command lines need a handful. */
#define BW_API_EVENTS_STREAMS_MAX 32
/* A stream with nothing to say sends a comment this often, so proxies
 * keep it open and a client notices a dead server; it is also when the
 * server notices a client that went away. */
#define BW_API_EVENTS_HEARTBEAT_MS 15000

/*
 * Serve GET /api/v1/events from bus (which MUST outlive the API): starts
 * the thread that wakes the streams.  Call once, after bw_api_start.
 * Returns 0, or BW_ESTATE (already attached), BW_ENOMEM, BW_EINVAL (NULL
 * api or bus).  Until it is called, GET /events answers 503.
 */
int bw_api_events_attach(struct bw_api *api, bw_events_t *bus);

#endif /* BW_API_EVENTS_H */
