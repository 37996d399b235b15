/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The repository's image cache (design notes in fw_repo_int.h): images
 * by id, read-mostly, bounded in bytes, least recently served evicted
 * first.  A repository holds a handful to a few hundred images, so a
 * linear search is all the index it needs.
 */
#include <stdlib.h>
#include <string.h>

#include "fw_repo_int.h"

static bw_fwrepo__entry_t *find(const bw_fwrepo_t *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (memcmp(r->entries[i]->id, id, BW_DB_FW_ID_LEN) == 0)
            return r->entries[i];
    return NULL;
}

int bw_fwrepo__cache_with(bw_fwrepo_t *r, const char *id,
                          int (*fn)(void *arg, const uint8_t *data, size_t len,
                                    const uint8_t *etag),
                          void *arg)
{
    pthread_rwlock_rdlock(&r->lock);
    bw_fwrepo__entry_t *e = find(r, id);
    int err = BW_ENOTFOUND;
    if (e != NULL) {
        atomic_store_explicit(
            &e->used,
            atomic_fetch_add_explicit(&r->tick, 1, memory_order_relaxed),
            memory_order_relaxed);
        err = fn(arg, e->data, e->len, e->etag);
    }
    pthread_rwlock_unlock(&r->lock);
    return err;
}

static void entry_free(bw_fwrepo__entry_t *e)
{
    free(e->data);
    free(e);
}

/* Exclusive lock held: drop the least recently served entry. */
static void evict_one(bw_fwrepo_t *r)
{
    size_t victim = 0;
    uint_fast64_t oldest = UINT64_MAX;
    for (size_t i = 0; i < r->n; i++) {
        uint_fast64_t u =
            atomic_load_explicit(&r->entries[i]->used, memory_order_relaxed);
        if (u < oldest) {
            oldest = u;
            victim = i;
        }
    }
    r->bytes -= r->entries[victim]->len;
    entry_free(r->entries[victim]);
    r->entries[victim] = r->entries[--r->n];
}

void bw_fwrepo__cache_put(bw_fwrepo_t *r, const char *id, uint8_t *data,
                          size_t len)
{
    if (len > r->max_bytes) {
        free(data);
        return;
    }
    bw_fwrepo__entry_t *e = calloc(1, sizeof *e);
    if (e == NULL) {
        free(data);
        return;
    }
    memcpy(e->id, id, BW_DB_FW_ID_LEN);
    bw_fwrepo__id_bytes(id, e->etag);
    e->data = data;
    e->len = len;
    atomic_init(&e->used,
                atomic_fetch_add_explicit(&r->tick, 1, memory_order_relaxed));
    pthread_rwlock_wrlock(&r->lock);
    if (find(r, id) != NULL) { /* another worker loaded it first */
        pthread_rwlock_unlock(&r->lock);
        entry_free(e);
        return;
    }
    while (r->n > 0 && r->bytes + len > r->max_bytes)
        evict_one(r);
    if (r->n == r->cap) {
        size_t nc = r->cap != 0 ? 2 * r->cap : 16;
        bw_fwrepo__entry_t **ne = realloc(r->entries, nc * sizeof *ne);
        if (ne == NULL) {
            pthread_rwlock_unlock(&r->lock);
            entry_free(e);
            return;
        }
        r->entries = ne;
        r->cap = nc;
    }
    r->entries[r->n++] = e;
    r->bytes += len;
    pthread_rwlock_unlock(&r->lock);
}

void bw_fwrepo__cache_clear(bw_fwrepo_t *r)
{
    pthread_rwlock_wrlock(&r->lock);
    for (size_t i = 0; i < r->n; i++)
        entry_free(r->entries[i]);
    free(r->entries);
    r->entries = NULL;
    r->n = r->cap = 0;
    r->bytes = 0;
    pthread_rwlock_unlock(&r->lock);
}
