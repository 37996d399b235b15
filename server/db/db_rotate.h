/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which devices are due for a credential rotation (docs/server.md,
 * "Credentials and rotation"): the store's half of the rotation policy
 * (`bulwark-server run --rotate-days N`).
 *
 * A device is due when it has an ACTIVE DM credential and every ACTIVE
 * DM credential it has was created at or before a cut-off (the issue
 * time, not the confirmation time, is what ages a key), and no rotation
 * is under way: no PENDING DM credential created after a second cut-off.
 * A pending credential older than that is the remnant of a rotation the
 * device never finished (it lost the new set, or never came back from
 * the bootstrap server); it does not hold the device back.  The next
 * bootstrap revokes it anyway (bw_db_credential_revoke_pending).
 *
 * This header owns these two read-only queries.  It never changes a
 * credential: the rotation itself is the bootstrap server's (issue,
 * pending) and the DM server's (confirm, revoke) business.
 *
 * Threads and callbacks as in db.h: the walk runs with the write lock
 * held and its callback MUST NOT call back into the same bw_db_t.
 */
#ifndef BW_DB_ROTATE_H
#define BW_DB_ROTATE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* Largest page of bw_db_rotation_due_list(): the policy asks for a few
 * hundred at a time; one walk holds the write lock for its duration. */
#define BW_DB_ROTATION_LIST_MAX 10000

typedef struct {
    /* Due: every ACTIVE DM credential created at or before this. */
    int64_t active_before_ms;
    /* Under way: a PENDING DM credential created after this. */
    int64_t pending_after_ms;
    /* bw_db_rotation_due_list() only: a stored registration that
     * expires after this (devices that are, as far as the store knows,
     * registered). */
    int64_t now_ms;
} bw_db_rotation_query_t;

/*
 * Walk the devices that are due (as above) and registered in the store,
 * the oldest credential first, at most max of them: cb(arg, endpoint,
 * created_ms) with the creation time of the device's newest ACTIVE DM
 * credential.  A non-zero return from cb stops the walk and is returned.
 * The store's registrations are group-committed and may lag the DM
 * server's registry by a batch, or outlive a restart: the caller checks
 * the registry before acting.
 * Returns 0, or cb's code, BW_ERANGE (max 0 or above
 * BW_DB_ROTATION_LIST_MAX), BW_EOVERFLOW (a corrupt endpoint row),
 * BW_EIO, BW_EINVAL (NULL db, q or cb).
 */
int bw_db_rotation_due_list(
    bw_db_t *db, const bw_db_rotation_query_t *q, size_t max,
    int (*cb)(void *arg, const char *endpoint, int64_t created_ms), void *arg);

/*
 * Whether one device is due (as above; the registration is not looked
 * at: the caller knows the device just registered).  *due gets 1 or 0.
 * Returns 0, or BW_ENOTFOUND (no such device), BW_EMALFORMED (endpoint
 * breaks the endpoint rule), BW_EIO, BW_EINVAL (NULL db, q or due).  On
 * failure *due is 0.
 */
int bw_db_rotation_due(bw_db_t *db, const char *endpoint,
                       const bw_db_rotation_query_t *q, int *due);

#endif /* BW_DB_ROTATE_H */
