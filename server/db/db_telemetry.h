/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Telemetry: the values devices report with LwM2M Send (POST /dp) and in
 * the notifications of observations, one row per SenML record, each
 * marked with where it came from, kept per device with a bound on the row
 * count (docs/storage.md, table telemetry; migrations 9 and 10).
 *
 * This header owns the telemetry table: storing the records of one Send
 * (all of them or none, in one transaction, with the retention prune in
 * the same transaction so the bound holds at every commit) and reading
 * them back newest first, a page at a time.  It never decides what a
 * device may report: the LwM2M layer (server/lwm2m/lwm2m_send.h) checks
 * the registration and the paths before anything reaches the store.
 *
 * Values keep their SenML kind: a number (double; integers beyond 2^53
 * lose their low bits), a string (UTF-8, checked by the SenML reader), a
 * boolean, or opaque bytes.  Times are Unix milliseconds: sampled_at is
 * the device's (or the receive time when the device gave none),
 * received_at the server's.
 *
 * Retention keeps the max_rows newest rows of the device by sample time
 * (ties: the later insert wins), so a device whose clock jumped back
 * loses its stale-looking samples first.  The prune costs one index walk
 * of max_rows entries per Send.
 *
 * Threads and callbacks as in db.h: reads run with the write lock held
 * and their callback MUST NOT call back into the same bw_db_t.
 */
#ifndef BW_DB_TELEMETRY_H
#define BW_DB_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* Records of one Send stored at most (the LwM2M layer's bound is lower). */
#define BW_DB_TM_BATCH_MAX 1024
/* Rows kept per device at most; the operator's --telemetry-max-rows. */
#define BW_DB_TM_ROWS_MAX 100000000u
/* Largest page one read returns. */
#define BW_DB_TM_PAGE_MAX 1000
/* A string or opaque value: one datagram's payload is far below this. */
#define BW_DB_TM_VALUE_MAX 4096

typedef enum {
    BW_DB_TM_NUMBER = 1,
    BW_DB_TM_STRING = 2,
    BW_DB_TM_BOOL = 3,
    BW_DB_TM_OPAQUE = 4,
} bw_db_tm_kind_t;

/* Where a value came from (the source column).  UNKNOWN is stored as
 * NULL: the rows written before schema 10, which did not say. */
typedef enum {
    BW_DB_TM_SRC_UNKNOWN = 0,
    BW_DB_TM_SRC_SEND = 1,   /* LwM2M Send */
    BW_DB_TM_SRC_NOTIFY = 2, /* a notification of an observation */
} bw_db_tm_source_t;

/* "send", "notify", or NULL for UNKNOWN and anything else. */
const char *bw_db_tm_source_name(bw_db_tm_source_t s);

/* One value, in and out.  bytes: STRING (not NUL-terminated on the way
 * in; NUL-terminated on the way out) and OPAQUE. */
typedef struct {
    int64_t id;          /* out: row id (the paging cursor's tie-break) */
    const char *path;    /* "/3303/0/5700" */
    int64_t sampled_ms;  /* the sample's time */
    int64_t received_ms; /* out: when the server stored it */
    bw_db_tm_kind_t kind;
    double num;           /* NUMBER; BOOL: 0 or 1 */
    const uint8_t *bytes; /* STRING, OPAQUE */
    size_t len;
    bw_db_tm_source_t source;
} bw_db_tm_value_t;

/*
 * Store n values of endpoint (received at received_ms), then delete the
 * device's rows beyond the max_rows newest, in one transaction.
 * Returns 0, or
 *   BW_ENOTFOUND   no such device;
 *   BW_EMALFORMED  a path that is not /o/i/r or /o/i/r/ri, a string that
 *                  holds a NUL, a kind or a source out of the list, a
 *                  NUMBER or BOOL that is not finite (BOOL: not 0 or 1);
 *   BW_EOVERFLOW   a value above BW_DB_TM_VALUE_MAX;
 *   BW_ERANGE      n of 0 or above BW_DB_TM_BATCH_MAX, max_rows of 0 or
 *                  above BW_DB_TM_ROWS_MAX;
 *   BW_ETIMEOUT, BW_EIO, BW_EINVAL (NULL db, endpoint or values).
 * Nothing is stored on failure.
 */
int bw_db_telemetry_store(bw_db_t *db, const char *endpoint,
                          const bw_db_tm_value_t *v, size_t n,
                          int64_t received_ms, uint64_t max_rows);

/* A page of values, newest first (sampled_at, then id, descending). */
typedef struct {
    const char *path; /* only this path; NULL: every path */
    int64_t since_ms; /* sampled_at >= since_ms (INT64_MIN: no bound) */
    /* Cursor: rows strictly before (before_ms, before_id) in the order
     * above; before_id 0: from the newest. */
    int64_t before_ms;
    int64_t before_id;
    size_t limit; /* 1 .. BW_DB_TM_PAGE_MAX */
    /* Only rows of this source; UNKNOWN: every row. */
    bw_db_tm_source_t source;
} bw_db_tm_query_t;

/*
 * Walk the page q selects of endpoint's values: cb(arg, v) per row
 * (views valid during the call).  A non-zero return from cb stops the
 * walk and is returned.
 * Returns 0, or cb's code, BW_ENOTFOUND (no such device), BW_ERANGE
 * (limit 0 or above BW_DB_TM_PAGE_MAX), BW_EMALFORMED (a path filter
 * that is not an LwM2M path, a source filter out of the list), BW_EIO,
 * BW_EINVAL (NULL).
 */
int bw_db_telemetry_read(bw_db_t *db, const char *endpoint,
                         const bw_db_tm_query_t *q,
                         int (*cb)(void *arg, const bw_db_tm_value_t *v),
                         void *arg);

/* Rows stored for endpoint.  Returns 0 and *n, or as above. */
int bw_db_telemetry_count(bw_db_t *db, const char *endpoint, uint64_t *n);

#endif /* BW_DB_TELEMETRY_H */
