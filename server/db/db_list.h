/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Listing devices from the store (db_list.c): pages in endpoint order,
 * keyset-paged by the last endpoint seen so a page never repeats or
 * skips a device while devices are added, with the filters the store
 * can decide in SQL (name prefix, model, tags), and the selector match
 * campaigns use.  What only the caller knows (registered now, last heard
 * from) it filters itself.
 *
 * Threads and callbacks as in db.h: any thread; walks call back with the
 * write lock held and the callback MUST NOT call into the same bw_db_t.
 */
#ifndef BW_DB_LIST_H
#define BW_DB_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/*
 * Call cb for up to max devices whose endpoint sorts after after (byte
 * order; NULL or "" starts at the first), in endpoint order: paging by
 * the last endpoint seen, stable while devices are added.  The device
 * given to cb is valid during the call only.  A non-zero return from cb
 * stops the walk and is returned.
 * Returns 0, cb's code, or BW_EMALFORMED (after breaks the endpoint
 * rule), BW_ERANGE (max 0 or above BW_DB_LIST_MAX), BW_EIO, BW_EINVAL
 * (NULL db or cb).
 */
int bw_db_device_list(bw_db_t *db, const char *after, size_t max,
                      int (*cb)(void *arg, const bw_db_device_t *d), void *arg);
/*
 * Filtered listing (db_list.c).  The filters the store can apply (name
 * prefix, model, tags) are decided in SQL with bound parameters, in
 * endpoint order, so paging stays keyset by endpoint: a device is never
 * listed twice or skipped when devices are added between pages.  What
 * only the caller knows (registered now, last heard from) it filters
 * in its callback; max_rows bounds the rows one call reads, and
 * bw_db_page_t says where to go on.
 */

/* Tags one filter may require (every one must be carried). */
#define BW_DB_FILTER_TAGS_MAX 16
/* Largest max_rows of bw_db_device_find(): ten full pages, so a caller
 * filtering in its callback can read ten rows per device it keeps, with
 * the write lock held a few milliseconds. */
#define BW_DB_FIND_ROWS_MAX 10000
/* Returned by a bw_db_device_find() callback: stop after this device. */
#define BW_DB_FIND_STOP 1

/*
 * What bw_db_device_find() keeps.  An absent field (NULL, n_tags 0)
 * keeps every device; the present ones must all hold.
 *   prefix  the endpoint name starts with it (byte-wise); 1..64
 *           endpoint characters (the endpoint rule);
 *   model   the model equals it (byte-wise); "" keeps devices provisioned
 *           without a model;
 *   tags    the device carries each one, by the rule campaign selectors
 *           use (bw_db_selector_match, db_campaign.h): a tag is a word
 *           of the device's tags text between commas, spaces and tabs,
 *           compared byte-wise.  Each 1..BW_DB_TAGS_MAX bytes without
 *           control characters or separators.
 */
typedef struct {
    const char *prefix;
    const char *model;
    const char *const *tags;
    size_t n_tags;
} bw_db_device_filter_t;

/*
 * Check a filter without touching the store.  *field (may be NULL) gets
 * the name of the wrong field ("prefix", "model", "tag"), else NULL.
 * Returns 0, or
 *   BW_EMALFORMED  prefix breaks the endpoint rule; model holds a
 *                  control character; a tag is empty or holds a control
 *                  character or a separator;
 *   BW_EOVERFLOW   prefix, model or a tag above its maximum, or more
 *                  than BW_DB_FILTER_TAGS_MAX tags (field "tag");
 *   BW_EINVAL      NULL f, NULL tags with n_tags above 0 (field "tag").
 */
int bw_db_device_filter_check(const bw_db_device_filter_t *f,
                              const char **field);

/* One device as bw_db_device_find() gives it. */
typedef struct {
    bw_db_device_t device;
    /* updated_at of its stored registration (the last Register or
     * Update the store recorded), Unix ms; -1 when it has none. */
    int64_t stored_seen_ms;
} bw_db_device_row_t;

/* Where a walk of bw_db_device_find() ended. */
typedef struct {
    char last[BW_DB_ENDPOINT_MAX + 1]; /* endpoint of the last row read,
                                          "" when none was */
    size_t rows;                       /* rows read */
    int more; /* 1: it stopped before the end (max_rows read, or the
                 callback stopped it): go on with after = last */
} bw_db_page_t;

/*
 * Read devices that match f and whose endpoint sorts after after (NULL
 * or "": from the first), in endpoint order, at most max_rows of them,
 * and call cb for each.  cb returns 0 to go on, BW_DB_FIND_STOP to stop
 * after this device, or a negative code, which stops the walk and is
 * returned.  The row is valid during the call only; cb runs with the
 * write lock held (see "Threads" above).  *page (may be NULL) is filled
 * whatever the outcome ("" and 0 before the first row).
 * Returns 0, cb's negative code, or
 *   BW_EMALFORMED, BW_EOVERFLOW  f as bw_db_device_filter_check, or
 *                  after breaking the endpoint rule (BW_EMALFORMED);
 *   BW_ERANGE      max_rows 0 or above BW_DB_FIND_ROWS_MAX;
 *   BW_EIO, BW_ENOMEM, BW_EINVAL (NULL db, f or cb).
 */
int bw_db_device_find(bw_db_t *db, const bw_db_device_filter_t *f,
                      const char *after, size_t max_rows,
                      int (*cb)(void *arg, const bw_db_device_row_t *row),
                      void *arg, bw_db_page_t *page);

/*
 * When the store last recorded a Register or Update of endpoint: the
 * updated_at of its stored registration, into *seen_ms (-1 on failure).
 * Returns 0, or BW_ENOTFOUND (no stored registration: never registered,
 * de-registered or expired), BW_EMALFORMED (endpoint), BW_EIO, BW_EINVAL.
 */
int bw_db_device_seen(bw_db_t *db, const char *endpoint, int64_t *seen_ms);

#endif /* BW_DB_LIST_H */
