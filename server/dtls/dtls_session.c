/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The session table of one worker.
 *
 * Sessions live in fixed chunks of BW_DTLS_CHUNK, so a session pointer
 * stays valid for its whole life, and are found through an index of
 * 32-bit ids with linear probing at most half full.  Per session that is
 * sizeof(bw_dtls_session_t) plus at most 16 bytes of index: the figure
 * the 512-byte budget is measured against (bench/dtls.c).
 *
 * The hash is keyed with random bits per table, so a peer choosing its
 * source addresses cannot aim them all at one probe chain.  Deletion
 * shifts the following entries back (no tombstones), so a long-lived
 * table never degrades.
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_int.h"

#define MIN_CAP 1024

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= UINT64_C(0x7fb5d329728ea185);
    x ^= x >> 27;
    x *= UINT64_C(0x81dadef4bc2dd44d);
    x ^= x >> 33;
    return x;
}

static uint32_t hash(const bw_dtls_table_t *t, const bw_dtls_addr_t *a)
{
    uint64_t w[3] = {0, 0, 0};
    memcpy(w, a, sizeof *a);
    uint64_t h = mix(w[0] ^ t->k0);
    h = mix(h ^ w[1] ^ t->k1);
    h = mix(h ^ w[2]);
    return (uint32_t)h;
}

static bw_dtls_session_t *get(const bw_dtls_table_t *t, uint32_t id)
{
    return &t->chunks[id / BW_DTLS_CHUNK][id % BW_DTLS_CHUNK];
}

int bw_dtls__table_init(bw_dtls_table_t *t)
{
    memset(t, 0, sizeof *t);
    t->cap = MIN_CAP;
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (t->slots == NULL)
        return BW_ENOMEM;
    if (RAND_bytes((unsigned char *)&t->k0, sizeof t->k0) != 1 ||
        RAND_bytes((unsigned char *)&t->k1, sizeof t->k1) != 1) {
        free(t->slots);
        t->slots = NULL;
        return BW_ECRYPTO;
    }
    return 0;
}

void bw_dtls__table_free(bw_dtls_table_t *t)
{
    for (uint32_t i = 0; i < t->nchunks; i++) {
        OPENSSL_cleanse(t->chunks[i],
                        BW_DTLS_CHUNK * sizeof(bw_dtls_session_t));
        free(t->chunks[i]);
    }
    free(t->chunks);
    free(t->free_ids);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static uint32_t id_of(const bw_dtls_table_t *t, const bw_dtls_session_t *s)
{
    for (uint32_t c = 0; c < t->nchunks; c++) {
        const bw_dtls_session_t *base = t->chunks[c];
        if (s >= base && s < base + BW_DTLS_CHUNK)
            return c * BW_DTLS_CHUNK + (uint32_t)(s - base);
    }
    return UINT32_MAX;
}

bw_dtls_session_t *bw_dtls__table_find(bw_dtls_table_t *t,
                                       const bw_dtls_addr_t *a)
{
    uint32_t mask = t->cap - 1;
    for (uint32_t i = hash(t, a) & mask;; i = (i + 1) & mask) {
        uint32_t v = t->slots[i];
        if (v == 0)
            return NULL;
        bw_dtls_session_t *s = get(t, v - 1);
        if (memcmp(&s->peer, a, sizeof *a) == 0)
            return s;
    }
}

static void insert_id(bw_dtls_table_t *t, uint32_t id)
{
    uint32_t mask = t->cap - 1;
    uint32_t i = hash(t, &get(t, id)->peer) & mask;
    while (t->slots[i] != 0)
        i = (i + 1) & mask;
    t->slots[i] = id + 1;
}

static int grow_index(bw_dtls_table_t *t)
{
    uint32_t old_cap = t->cap;
    uint32_t *old = t->slots;
    uint32_t *slots = calloc((size_t)old_cap * 2, sizeof *slots);
    if (slots == NULL)
        return BW_ENOMEM;
    t->slots = slots;
    t->cap = old_cap * 2;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i] != 0)
            insert_id(t, old[i] - 1);
    free(old);
    return 0;
}

static int grow_slab(bw_dtls_table_t *t)
{
    bw_dtls_session_t **chunks =
        realloc(t->chunks, (t->nchunks + 1) * sizeof *chunks);
    if (chunks == NULL)
        return BW_ENOMEM;
    t->chunks = chunks;
    uint32_t *ids = realloc(t->free_ids, (size_t)(t->nchunks + 1) *
                                             BW_DTLS_CHUNK * sizeof *ids);
    if (ids == NULL)
        return BW_ENOMEM;
    t->free_ids = ids;
    /* malloc, not calloc: pages stay untouched (and out of RSS) until a
     * session is placed there. */
    bw_dtls_session_t *chunk = malloc(BW_DTLS_CHUNK * sizeof *chunk);
    if (chunk == NULL)
        return BW_ENOMEM;
    t->chunks[t->nchunks] = chunk;
    /* Lowest ids on top of the stack, so sessions fill a chunk in order. */
    for (uint32_t i = BW_DTLS_CHUNK; i-- > 0;)
        t->free_ids[t->nfree++] = t->nchunks * BW_DTLS_CHUNK + i;
    t->nchunks++;
    return 0;
}

bw_dtls_session_t *bw_dtls__table_add(bw_dtls_table_t *t,
                                      const bw_dtls_addr_t *a)
{
    if ((t->count + 1) * 2 > t->cap && grow_index(t) != 0)
        return NULL;
    if (t->nfree == 0 && grow_slab(t) != 0)
        return NULL;
    uint32_t id = t->free_ids[--t->nfree];
    bw_dtls_session_t *s = get(t, id);
    memset(s, 0, sizeof *s);
    s->peer = *a;
    s->in_use = 1;
    insert_id(t, id);
    t->count++;
    return s;
}

void bw_dtls__table_del(bw_dtls_table_t *t, bw_dtls_session_t *s)
{
    uint32_t id = id_of(t, s);
    if (id == UINT32_MAX)
        return;
    uint32_t mask = t->cap - 1;
    uint32_t i = hash(t, &s->peer) & mask;
    while (t->slots[i] != id + 1) {
        if (t->slots[i] == 0)
            return; /* not indexed: nothing to undo */
        i = (i + 1) & mask;
    }
    /* Backward-shift deletion: pull later members of the chain into the
     * hole when their home slot does not lie between hole and them. */
    uint32_t hole = i;
    for (uint32_t j = (hole + 1) & mask; t->slots[j] != 0; j = (j + 1) & mask) {
        uint32_t home = hash(t, &get(t, t->slots[j] - 1)->peer) & mask;
        int between =
            hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole] = 0;
    OPENSSL_cleanse(s, sizeof *s);
    t->free_ids[t->nfree++] = id;
    t->count--;
}

bw_dtls_session_t *bw_dtls__table_at(bw_dtls_table_t *t, uint32_t pos)
{
    uint32_t v = t->slots[pos & (t->cap - 1)];
    return v == 0 ? NULL : get(t, v - 1);
}
