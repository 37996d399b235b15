/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests queued for devices: what the queue's delivery and the REST
 * API need beyond the state machine in db.h ("requests queued for a
 * device").  The rows, states and guards are db.h's; this header adds
 * the moves that carry a reason, the one a restart makes, and paging
 * across states.  docs/server.md "Queue mode" tells the whole story.
 *
 * Reasons.  An EXPIRED request says why in its result (result_code 0,
 * result the reason as UTF-8 text): BW_DB_REQ_WHY_TTL when its time to
 * live ran out (bw_db_request_expire), or the text given to
 * bw_db_request_give_up (cancelled by an operator, delivery given up).
 * An ANSWERED one holds the device's code and answer instead.
 *
 * Tries.  A delivery that got no answer puts the request back with
 * bw_db_request_retry, which counts it (the tries column) in the same
 * transaction: the count survives a restart, and the caller's give-up
 * rule reads it.  A request put back for any other reason (the device
 * not registered, the server stopping, bw_db_request_requeue_sent at
 * start) keeps its count.
 *
 * Retention.  ANSWERED and EXPIRED requests are kept until
 * bw_db_request_purge deletes them (the caller's periodic job decides
 * the age); a purged request is gone (bw_db_request_get: BW_ENOTFOUND).
 *
 * What it must never do: move a request out of ANSWERED or EXPIRED; let
 * two threads make the same move (every move is guarded by the state it
 * leaves, as in db.h).
 */
#ifndef BW_DB_REQUEST_H
#define BW_DB_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* A reason is one sentence for an operator ("cancelled by api:ops"). */
#define BW_DB_REQ_WHY_MAX 255
/* The reason bw_db_request_expire() records. */
#define BW_DB_REQ_WHY_TTL "its time to live ran out"
/* bw_db_request_page(): every state. */
#define BW_DB_REQ_ANY (-1)
/* Rows one bw_db_request_purge deletes at most: one transaction holds
 * the writer's lock, which every registration batch also waits for, so
 * it stays short (a few milliseconds); the caller runs as many as it
 * needs. */
#define BW_DB_REQ_PURGE_MAX 1000

/*
 * SENT -> QUEUED after a delivery that got no answer, its tries counted
 * (+1) in the same transaction; *tries (may be NULL) gets the count as
 * committed (0 on failure).
 * Returns 0, or BW_ENOTFOUND, BW_ESTATE (not SENT: answered, expired or
 * cancelled meanwhile), BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL db).
 */
int bw_db_request_retry(bw_db_t *db, int64_t id, int64_t now_ms,
                        unsigned *tries);

/*
 * Delete up to max ANSWERED or EXPIRED requests that became so (their
 * updated_at) before before_ms, in one transaction; QUEUED and SENT
 * ones are never touched.  *count (may be NULL) gets how many; fewer
 * than max means none is left.  Which ones of more than max go first is
 * not defined.
 * Returns 0, or BW_ERANGE (max 0 or above BW_DB_REQ_PURGE_MAX),
 * BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL db).
 */
int bw_db_request_purge(bw_db_t *db, int64_t before_ms, size_t max,
                        uint64_t *count);

/*
 * from (QUEUED or SENT) -> EXPIRED, why stored as the result text: an
 * operator cancels a queued request, or the delivery gives up on a sent
 * one after its tries.
 * Returns 0, or BW_ENOTFOUND (no such request), BW_ESTATE (not in
 * state from), BW_EMALFORMED (why empty or with control characters),
 * BW_EOVERFLOW (why above BW_DB_REQ_WHY_MAX), BW_ETIMEOUT, BW_EIO,
 * BW_EINVAL (NULL db or why, from neither QUEUED nor SENT).
 */
int bw_db_request_give_up(bw_db_t *db, int64_t id, bw_db_req_state_t from,
                          const char *why, int64_t now_ms);

/*
 * Every SENT request back to QUEUED: what a server does at start, when
 * the answers to what it had sent before it stopped are lost (the
 * device may have applied a Write or an Execute: docs/server.md says
 * what that means).  *count (may be NULL) gets how many.
 * Returns 0, BW_ETIMEOUT, BW_EIO, BW_EINVAL.
 */
int bw_db_request_requeue_sent(bw_db_t *db, int64_t now_ms, uint64_t *count);

/*
 * Up to max requests of a device with id > after_id, oldest first, in
 * one state or in any (state BW_DB_REQ_ANY).  Returns 0, cb's non-zero
 * code, BW_ENOTFOUND (device), BW_EMALFORMED (endpoint), BW_ERANGE (max
 * 0), BW_EIO, BW_EINVAL (NULL db or cb, state out of range).
 */
int bw_db_request_page(bw_db_t *db, const char *endpoint, int state,
                       int64_t after_id, size_t max, bw_db_request_cb cb,
                       void *arg);

/*
 * Whether ep may have QUEUED requests, from memory (never the disk, so
 * callable on any thread): 0 means it has none committed; 1 that it may
 * (the store's read tells for sure).  Until bw_db_request_queued_load
 * has run, and after it failed, every device may.  The store notes a
 * device when one of its requests becomes QUEUED (enqueue, requeue,
 * bw_db_request_requeue_sent) and forgets it when bw_db_request_list of
 * its QUEUED requests finds none: a request written to the database by
 * anything else than this handle is not seen.  1 for NULL arguments.
 */
int bw_db_request_may_have_queued(bw_db_t *db, const char *endpoint);

/*
 * Read which devices have QUEUED or SENT requests, for
 * bw_db_request_may_have_queued (once at start; again replaces it).
 * Returns 0, BW_ENOMEM, BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL db).
 */
int bw_db_request_queued_load(bw_db_t *db);

/* Which request states and operations are called in the API and the
 * store ("queued", "write-attributes"); NULL when out of range. */
const char *bw_db_request_state_name(bw_db_req_state_t state);
const char *bw_db_request_op_name(bw_db_req_op_t op);
/* The state named s.  Returns 0, BW_EMALFORMED, BW_EINVAL (NULL). */
int bw_db_request_state_parse(const char *s, bw_db_req_state_t *out);

#endif /* BW_DB_REQUEST_H */
