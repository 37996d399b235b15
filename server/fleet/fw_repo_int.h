/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the firmware repository (fw_repo.c, fw_cache.c,
 * fw_serve.c): the handle, the image cache and the id helpers.
 *
 * The cache.  An array of entries, each one image's bytes, its ETag (the
 * id's 8 bytes) and when it was last served (a counter, not a clock).  A
 * read-write lock guards the array: serving a block takes it shared for
 * the lookup and the copy of one block (at most 1024 bytes), so workers
 * serve in parallel; inserting and evicting take it exclusive.  Entries
 * are immutable once inserted; bytes are freed only by an eviction or by
 * bw_fwrepo_free(), both under the exclusive lock, so no reader ever
 * sees freed memory.
 */
#ifndef BW_FWREPO_INT_H
#define BW_FWREPO_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "bulwark/image.h"
#include "fw_repo.h"

typedef struct {
    char id[BW_DB_FW_ID_LEN + 1];
    uint8_t etag[BW_DB_FW_ID_LEN / 2];
    uint8_t *data;
    size_t len;
    atomic_uint_fast64_t used; /* r->tick when last served */
} bw_fwrepo__entry_t;

typedef struct {
    bw_image_key_type_t type;
    size_t len;
    uint8_t der[BW_IMAGE_P256_SPKI_LEN]; /* the larger of the two forms */
} bw_fwrepo__key_t;

struct bw_fwrepo {
    bw_db_t *db;
    char dm_uri[BW_FWREPO_DM_URI_MAX + 1];
    bw_fwrepo__key_t keys[BW_FWREPO_KEYS_MAX];
    size_t n_keys;

    pthread_rwlock_t lock; /* the cache below */
    bw_fwrepo__entry_t **entries;
    size_t n, cap;
    size_t bytes, max_bytes;
    atomic_uint_fast64_t tick;
    atomic_uint next_mid; /* message IDs of NON answers */
};

/* 16 lowercase hex digits?  1 or 0. */
int bw_fwrepo__id_valid(const char *id, size_t len);
/* The 8 bytes of a valid id. */
void bw_fwrepo__id_bytes(const char *id, uint8_t out[BW_DB_FW_ID_LEN / 2]);

/* fw_cache.c */
/* Serve from the cache: with the shared lock held, find id and call
 * fn(arg, data, len, etag); returns fn's result, or BW_ENOTFOUND when id
 * is not cached (fn not called). */
int bw_fwrepo__cache_with(bw_fwrepo_t *r, const char *id,
                          int (*fn)(void *arg, const uint8_t *data, size_t len,
                                    const uint8_t *etag),
                          void *arg);
/* Insert image id (taking ownership of data, malloc'd), evicting the
 * least recently served images until it fits.  An image already cached,
 * or larger than the whole cache, is not inserted and data is freed. */
void bw_fwrepo__cache_put(bw_fwrepo_t *r, const char *id, uint8_t *data,
                          size_t len);
/* Drop every entry (bw_fwrepo_free). */
void bw_fwrepo__cache_clear(bw_fwrepo_t *r);

#endif /* BW_FWREPO_INT_H */
