/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry (contract in lwm2m_registry.h): entries on the heap, two
 * chained hash indexes (endpoint name, location) keyed with random bits,
 * one mutex.  The dedup table is a fixed ring of slots indexed by a hash
 * of (peer, message ID); a collision forgets the older answer, which only
 * costs a retransmission being answered afresh.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_registry.h"

#define DEDUP_SLOTS 4096

typedef struct entry {
    struct entry *next_ep, *next_loc;
    bw_lwsrv_regview_t v;
} entry_t;

typedef struct {
    uint8_t addr[28];
    uint8_t addr_len;
    uint16_t mid;
    uint8_t used;
    uint8_t len;
    uint64_t at_ms;
    uint8_t resp[BW_LWSRV_DEDUP_MAX];
} dedup_t;

struct bw_lwsrv_registry {
    pthread_mutex_t lock;
    entry_t **by_ep, **by_loc;
    size_t cap, count;
    uint64_t k0;
    dedup_t dedup[DEDUP_SLOTS];
};

static uint64_t hash_bytes(uint64_t k, const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325u ^ k;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9u;
    return h ^ (h >> 32);
}

static size_t slot_of(const bw_lwsrv_registry_t *r, const char *s)
{
    return (size_t)(hash_bytes(r->k0, s, strlen(s)) & (r->cap - 1));
}

bw_lwsrv_registry_t *bw_lwsrv_registry_new(void)
{
    bw_lwsrv_registry_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->cap = 1024;
    r->by_ep = calloc(r->cap, sizeof *r->by_ep);
    r->by_loc = calloc(r->cap, sizeof *r->by_loc);
    if (r->by_ep == NULL || r->by_loc == NULL ||
        RAND_bytes((unsigned char *)&r->k0, sizeof r->k0) != 1) {
        free(r->by_ep);
        free(r->by_loc);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void bw_lwsrv_registry_free(bw_lwsrv_registry_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->cap; i++) {
        for (entry_t *e = r->by_ep[i], *n; e != NULL; e = n) {
            n = e->next_ep;
            free(e);
        }
    }
    free(r->by_ep);
    free(r->by_loc);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static entry_t *find_ep(bw_lwsrv_registry_t *r, const char *ep)
{
    for (entry_t *e = r->by_ep[slot_of(r, ep)]; e != NULL; e = e->next_ep)
        if (strcmp(e->v.ep, ep) == 0)
            return e;
    return NULL;
}

static entry_t *find_loc(bw_lwsrv_registry_t *r, const char *loc)
{
    for (entry_t *e = r->by_loc[slot_of(r, loc)]; e != NULL; e = e->next_loc)
        if (strcmp(e->v.location, loc) == 0)
            return e;
    return NULL;
}

static void link_in(bw_lwsrv_registry_t *r, entry_t *e)
{
    size_t a = slot_of(r, e->v.ep), b = slot_of(r, e->v.location);
    e->next_ep = r->by_ep[a];
    r->by_ep[a] = e;
    e->next_loc = r->by_loc[b];
    r->by_loc[b] = e;
}

static void unlink_out(bw_lwsrv_registry_t *r, entry_t *e)
{
    entry_t **pp = &r->by_ep[slot_of(r, e->v.ep)];
    while (*pp != e)
        pp = &(*pp)->next_ep;
    *pp = e->next_ep;
    pp = &r->by_loc[slot_of(r, e->v.location)];
    while (*pp != e)
        pp = &(*pp)->next_loc;
    *pp = e->next_loc;
}

/* Double the indexes when they average more than one entry per slot. */
static void grow(bw_lwsrv_registry_t *r)
{
    size_t cap = r->cap * 2;
    entry_t **ep = calloc(cap, sizeof *ep), **loc = calloc(cap, sizeof *loc);
    if (ep == NULL || loc == NULL) {
        free(ep);
        free(loc);
        return; /* longer chains, still correct */
    }
    entry_t *all = NULL;
    for (size_t i = 0; i < r->cap; i++) {
        for (entry_t *e = r->by_ep[i], *n; e != NULL; e = n) {
            n = e->next_ep;
            e->next_ep = all;
            all = e;
        }
    }
    free(r->by_ep);
    free(r->by_loc);
    r->by_ep = ep;
    r->by_loc = loc;
    r->cap = cap;
    for (entry_t *e = all, *n; e != NULL; e = n) {
        n = e->next_ep;
        link_in(r, e);
    }
}

static void set_links(bw_lwsrv_regview_t *v, const bw_lwsrv_reg_t *req)
{
    size_t n = req->links_len;
    v->links_truncated = n >= sizeof v->links;
    if (n >= sizeof v->links)
        n = sizeof v->links - 1;
    memcpy(v->links, req->links, n);
    v->links[n] = '\0';
}

static void set_peer(bw_lwsrv_regview_t *v, unsigned worker,
                     const struct sockaddr *addr, socklen_t addr_len)
{
    v->worker = worker;
    if (addr_len > (socklen_t)sizeof v->addr)
        addr_len = sizeof v->addr;
    memset(&v->addr, 0, sizeof v->addr);
    memcpy(&v->addr, addr, addr_len);
    v->addr_len = addr_len;
}

int bw_lwsrv_registry_register(bw_lwsrv_registry_t *r,
                               const bw_lwsrv_reg_t *req, unsigned worker,
                               const struct sockaddr *addr, socklen_t addr_len,
                               uint64_t now_ms,
                               char location[BW_LWSRV_LOC_LEN + 1])
{
    int err = bw_lwsrv_registry_location(location);
    return err != 0 ? err
                    : bw_lwsrv_registry_register_at(r, req, worker, addr,
                                                    addr_len, now_ms, location);
}

int bw_lwsrv_registry_location(char location[BW_LWSRV_LOC_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t rnd[BW_LWSRV_LOC_LEN / 2];
    location[0] = '\0';
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        return BW_ECRYPTO;
    for (size_t i = 0; i < sizeof rnd; i++) {
        location[2 * i] = hex[rnd[i] >> 4];
        location[2 * i + 1] = hex[rnd[i] & 15];
    }
    location[BW_LWSRV_LOC_LEN] = '\0';
    return 0;
}

int bw_lwsrv_registry_register_at(bw_lwsrv_registry_t *r,
                                  const bw_lwsrv_reg_t *req, unsigned worker,
                                  const struct sockaddr *addr,
                                  socklen_t addr_len, uint64_t now_ms,
                                  const char *location)
{
    if (strnlen(location, BW_LWSRV_LOC_LEN + 1) != BW_LWSRV_LOC_LEN)
        return BW_EINVAL;
    entry_t *e = calloc(1, sizeof *e);
    if (e == NULL)
        return BW_ENOMEM;
    memcpy(e->v.location, location, BW_LWSRV_LOC_LEN + 1);
    memcpy(e->v.ep, req->ep, sizeof e->v.ep);
    e->v.lifetime = req->lifetime;
    e->v.queue = req->queue;
    e->v.version_minor = req->version_minor;
    memcpy(e->v.binding, req->binding, sizeof e->v.binding);
    set_links(&e->v, req);
    set_peer(&e->v, worker, addr, addr_len);
    e->v.registered_ms = e->v.updated_ms = now_ms;
    e->v.expires_ms = now_ms + (uint64_t)req->lifetime * 1000u;

    pthread_mutex_lock(&r->lock);
    entry_t *old = find_ep(r, req->ep);
    if (old != NULL) {
        unlink_out(r, old);
        r->count--;
    }
    link_in(r, e);
    r->count++;
    if (r->count > r->cap)
        grow(r);
    pthread_mutex_unlock(&r->lock);
    free(old);
    return 0;
}

int bw_lwsrv_registry_update(bw_lwsrv_registry_t *r, const bw_lwsrv_reg_t *req,
                             unsigned worker, const struct sockaddr *addr,
                             socklen_t addr_len, uint64_t now_ms,
                             char ep[BW_LWSRV_EP_MAX + 1])
{
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_loc(r, req->location);
    if (e == NULL) {
        pthread_mutex_unlock(&r->lock);
        if (ep != NULL)
            ep[0] = '\0';
        return BW_ENOTFOUND;
    }
    if (req->has_lifetime)
        e->v.lifetime = req->lifetime;
    if (req->has_binding) {
        memcpy(e->v.binding, req->binding, sizeof e->v.binding);
        e->v.queue = req->queue;
    }
    if (req->links != NULL)
        set_links(&e->v, req);
    set_peer(&e->v, worker, addr, addr_len);
    e->v.updated_ms = now_ms;
    e->v.expires_ms = now_ms + (uint64_t)e->v.lifetime * 1000u;
    if (ep != NULL)
        memcpy(ep, e->v.ep, BW_LWSRV_EP_MAX + 1);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

int bw_lwsrv_registry_deregister(bw_lwsrv_registry_t *r, const char *location,
                                 char ep[BW_LWSRV_EP_MAX + 1])
{
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_loc(r, location);
    if (e != NULL) {
        unlink_out(r, e);
        r->count--;
        if (ep != NULL)
            memcpy(ep, e->v.ep, BW_LWSRV_EP_MAX + 1);
    } else if (ep != NULL) {
        ep[0] = '\0';
    }
    pthread_mutex_unlock(&r->lock);
    free(e);
    return e != NULL ? 0 : BW_ENOTFOUND;
}

int bw_lwsrv_registry_get(bw_lwsrv_registry_t *r, const char *ep,
                          bw_lwsrv_regview_t *out)
{
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_ep(r, ep);
    if (e != NULL)
        *out = e->v;
    pthread_mutex_unlock(&r->lock);
    if (e == NULL)
        memset(out, 0, sizeof *out);
    return e != NULL ? 0 : BW_ENOTFOUND;
}

int bw_lwsrv_registry_ep_of(bw_lwsrv_registry_t *r, const char *location,
                            char ep[BW_LWSRV_EP_MAX + 1])
{
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_loc(r, location);
    if (e != NULL)
        memcpy(ep, e->v.ep, BW_LWSRV_EP_MAX + 1);
    else
        ep[0] = '\0';
    pthread_mutex_unlock(&r->lock);
    return e != NULL ? 0 : BW_ENOTFOUND;
}

size_t bw_lwsrv_registry_expire(bw_lwsrv_registry_t *r, uint64_t now_ms,
                                uint64_t grace_ms,
                                void (*expired)(void *arg, const char *ep),
                                void *arg)
{
    entry_t *gone = NULL;
    size_t n = 0;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->cap; i++) {
        for (entry_t *e = r->by_ep[i], *next; e != NULL; e = next) {
            next = e->next_ep;
            if (e->v.expires_ms + grace_ms <= now_ms) {
                unlink_out(r, e);
                r->count--;
                e->next_ep = gone;
                gone = e;
                n++;
            }
        }
    }
    pthread_mutex_unlock(&r->lock);
    for (entry_t *e = gone, *next; e != NULL; e = next) {
        next = e->next_ep;
        if (expired != NULL)
            expired(arg, e->v.ep);
        free(e);
    }
    return n;
}

size_t bw_lwsrv_registry_count(bw_lwsrv_registry_t *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->count;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static dedup_t *dedup_slot(bw_lwsrv_registry_t *r, const struct sockaddr *addr,
                           socklen_t addr_len, uint16_t mid)
{
    uint8_t key[30];
    size_t n = addr_len > 28 ? 28 : (size_t)addr_len;
    memcpy(key, addr, n);
    key[n] = (uint8_t)(mid >> 8);
    key[n + 1] = (uint8_t)mid;
    return &r->dedup[hash_bytes(r->k0, key, n + 2) % DEDUP_SLOTS];
}

void bw_lwsrv_registry_remember(bw_lwsrv_registry_t *r,
                                const struct sockaddr *addr, socklen_t addr_len,
                                uint16_t mid, const uint8_t *resp, size_t len,
                                uint64_t now_ms)
{
    if (len > BW_LWSRV_DEDUP_MAX || addr_len > 28)
        return;
    pthread_mutex_lock(&r->lock);
    dedup_t *d = dedup_slot(r, addr, addr_len, mid);
    memset(d, 0, sizeof *d);
    memcpy(d->addr, addr, (size_t)addr_len);
    d->addr_len = (uint8_t)addr_len;
    d->mid = mid;
    d->used = 1;
    d->len = (uint8_t)len;
    d->at_ms = now_ms;
    memcpy(d->resp, resp, len);
    pthread_mutex_unlock(&r->lock);
}

int bw_lwsrv_registry_recall(bw_lwsrv_registry_t *r,
                             const struct sockaddr *addr, socklen_t addr_len,
                             uint16_t mid, uint64_t now_ms,
                             uint64_t lifetime_ms, uint8_t *resp, size_t cap,
                             size_t *len)
{
    int found = 0;
    if (addr_len > 28)
        return 0;
    pthread_mutex_lock(&r->lock);
    dedup_t *d = dedup_slot(r, addr, addr_len, mid);
    if (d->used && d->mid == mid && d->addr_len == addr_len &&
        memcmp(d->addr, addr, (size_t)addr_len) == 0 &&
        now_ms - d->at_ms <= lifetime_ms && d->len <= cap) {
        memcpy(resp, d->resp, d->len);
        *len = d->len;
        found = 1;
    }
    pthread_mutex_unlock(&r->lock);
    return found;
}
