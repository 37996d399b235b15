/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry (contract in lwm2m_registry.h): entries on the heap, two
 * chained hash indexes (endpoint name, location) keyed with random bits,
 * one mutex.  The dedup table is a fixed ring of slots indexed by a hash
 * of (peer, message ID); a collision forgets the older answer, which only
 * costs a retransmission being answered afresh.
 *
 * An entry is one allocation sized to what was registered: the fixed
 * fields, then the endpoint name, the object links (both NUL-terminated)
 * and the peer address, back to back.  A registered device costs its
 * entry (96 bytes on x86-64, plus its names, links and address) and two
 * index slots; bw_lwsrv_regview_t, with its room for the longest links,
 * exists only in the callers' copies.  An Update that changes the size
 * of the links or of the address replaces the entry; so does the first
 * address of an entry loaded at start (it had none).
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_registry.h"

#define DEDUP_SLOTS 4096
/* Object links kept per registration: what a view can hold (the rest is
 * cut, links_truncated says so). */
#define LINKS_KEPT (sizeof(((bw_lwsrv_regview_t *)0)->links) - 1)

typedef struct entry {
    struct entry *next_ep, *next_loc;
    uint64_t registered_ms, updated_ms, expires_ms; /* monotonic */
    uint32_t lifetime;
    unsigned worker;
    uint16_t links_len;
    uint8_t ep_len;
    uint8_t addr_len; /* at most sizeof(struct sockaddr_storage) */
    uint8_t queue, version_minor, links_truncated;
    char binding[4];
    char location[BW_LWSRV_LOC_LEN + 1];
    char text[]; /* ep NUL, links NUL, address (addr_len bytes) */
} entry_t;

static const char *ep_of(const entry_t *e)
{
    return e->text;
}

static const char *links_of(const entry_t *e)
{
    return e->text + e->ep_len + 1;
}

static const uint8_t *addr_of(const entry_t *e)
{
    return (const uint8_t *)e->text + e->ep_len + 1 + e->links_len + 1;
}

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
    size_t unheard; /* entries without an address (loaded at start);
                       written under the lock, read without it */
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
        if (strcmp(ep_of(e), ep) == 0)
            return e;
    return NULL;
}

static entry_t *find_loc(bw_lwsrv_registry_t *r, const char *loc)
{
    for (entry_t *e = r->by_loc[slot_of(r, loc)]; e != NULL; e = e->next_loc)
        if (strcmp(e->location, loc) == 0)
            return e;
    return NULL;
}

static void link_in(bw_lwsrv_registry_t *r, entry_t *e)
{
    size_t a = slot_of(r, ep_of(e)), b = slot_of(r, e->location);
    e->next_ep = r->by_ep[a];
    r->by_ep[a] = e;
    e->next_loc = r->by_loc[b];
    r->by_loc[b] = e;
    if (e->addr_len == 0)
        __atomic_store_n(&r->unheard, r->unheard + 1, __ATOMIC_RELAXED);
}

static void unlink_out(bw_lwsrv_registry_t *r, entry_t *e)
{
    entry_t **pp = &r->by_ep[slot_of(r, ep_of(e))];
    while (*pp != e)
        pp = &(*pp)->next_ep;
    *pp = e->next_ep;
    pp = &r->by_loc[slot_of(r, e->location)];
    while (*pp != e)
        pp = &(*pp)->next_loc;
    *pp = e->next_loc;
    if (e->addr_len == 0)
        __atomic_store_n(&r->unheard, r->unheard - 1, __ATOMIC_RELAXED);
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
    size_t unheard = r->unheard; /* link_in counts them again */
    for (entry_t *e = all, *n; e != NULL; e = n) {
        n = e->next_ep;
        link_in(r, e);
    }
    __atomic_store_n(&r->unheard, unheard, __ATOMIC_RELAXED);
}

/* Object links as kept: at most LINKS_KEPT bytes. */
static size_t links_kept(size_t len)
{
    return len > LINKS_KEPT ? LINKS_KEPT : len;
}

/* Peer addresses as kept: at most a sockaddr_storage. */
static socklen_t addr_kept(socklen_t len)
{
    return len > (socklen_t)sizeof(struct sockaddr_storage)
               ? (socklen_t)sizeof(struct sockaddr_storage)
               : len;
}

/* A zeroed entry with its text filled in; links_len and addr_len
 * already cut to what is kept.  NULL when out of memory. */
static entry_t *entry_new(const char *ep, size_t ep_len, const char *links,
                          size_t links_len, const struct sockaddr *addr,
                          socklen_t addr_len)
{
    entry_t *e =
        calloc(1, sizeof *e + ep_len + 1 + links_len + 1 + (size_t)addr_len);
    if (e == NULL)
        return NULL;
    e->ep_len = (uint8_t)ep_len;
    e->links_len = (uint16_t)links_len;
    e->addr_len = (uint8_t)addr_len;
    memcpy(e->text, ep, ep_len);
    if (links_len > 0)
        memcpy(e->text + ep_len + 1, links, links_len);
    if (addr_len > 0) /* none for an entry loaded at start */
        memcpy((uint8_t *)e->text + ep_len + 1 + links_len + 1, addr,
               (size_t)addr_len);
    return e;
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
    size_t links = req->links != NULL ? links_kept(req->links_len) : 0;
    entry_t *e = entry_new(req->ep, strnlen(req->ep, BW_LWSRV_EP_MAX),
                           req->links, links, addr, addr_kept(addr_len));
    if (e == NULL)
        return BW_ENOMEM;
    memcpy(e->location, location, BW_LWSRV_LOC_LEN + 1);
    e->lifetime = req->lifetime;
    e->queue = req->queue;
    e->version_minor = req->version_minor;
    memcpy(e->binding, req->binding, sizeof e->binding);
    e->links_truncated = req->links != NULL && req->links_len > LINKS_KEPT;
    e->worker = worker;
    e->registered_ms = e->updated_ms = now_ms;
    e->expires_ms = now_ms + (uint64_t)req->lifetime * 1000u;

    pthread_mutex_lock(&r->lock);
    entry_t *old = find_ep(r, ep_of(e));
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

/*
 * Under the lock: e with the links (when req gives some) and peer
 * address of an Update.  In place when the sizes stay; otherwise a new
 * entry takes e's place in both indexes, and e is handed back in *old
 * for the caller to free.  NULL when out of memory (e unchanged).
 */
static entry_t *entry_refresh(bw_lwsrv_registry_t *r, entry_t *e,
                              const bw_lwsrv_reg_t *req,
                              const struct sockaddr *addr, socklen_t addr_len,
                              entry_t **old)
{
    *old = NULL;
    size_t links =
        req->links != NULL ? links_kept(req->links_len) : (size_t)e->links_len;
    if (links != e->links_len || addr_len != e->addr_len) {
        entry_t *n = entry_new(ep_of(e), e->ep_len,
                               req->links != NULL ? req->links : links_of(e),
                               links, addr, addr_len);
        if (n == NULL)
            return NULL;
        memcpy(n->location, e->location, sizeof n->location);
        n->registered_ms = e->registered_ms;
        n->lifetime = e->lifetime;
        n->queue = e->queue;
        n->version_minor = e->version_minor;
        n->links_truncated = e->links_truncated;
        memcpy(n->binding, e->binding, sizeof n->binding);
        unlink_out(r, e);
        link_in(r, n);
        *old = e;
        e = n;
    } else {
        if (req->links != NULL)
            memcpy(e->text + e->ep_len + 1, req->links, links);
        memcpy((uint8_t *)e->text + e->ep_len + 1 + e->links_len + 1, addr,
               (size_t)addr_len);
    }
    if (req->links != NULL)
        e->links_truncated = req->links_len > LINKS_KEPT;
    return e;
}

int bw_lwsrv_registry_update(bw_lwsrv_registry_t *r, const bw_lwsrv_reg_t *req,
                             unsigned worker, const struct sockaddr *addr,
                             socklen_t addr_len, uint64_t now_ms,
                             char ep[BW_LWSRV_EP_MAX + 1])
{
    entry_t *old = NULL;
    int err = 0;
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_loc(r, req->location);
    if (e == NULL) {
        err = BW_ENOTFOUND;
    } else {
        e = entry_refresh(r, e, req, addr, addr_kept(addr_len), &old);
        if (e == NULL)
            err = BW_ENOMEM;
    }
    if (err != 0) {
        pthread_mutex_unlock(&r->lock);
        if (ep != NULL)
            ep[0] = '\0';
        return err;
    }
    if (req->has_lifetime)
        e->lifetime = req->lifetime;
    if (req->has_binding) {
        memcpy(e->binding, req->binding, sizeof e->binding);
        e->queue = req->queue;
    }
    e->worker = worker;
    e->updated_ms = now_ms;
    e->expires_ms = now_ms + (uint64_t)e->lifetime * 1000u;
    if (ep != NULL)
        memcpy(ep, ep_of(e), (size_t)e->ep_len + 1);
    pthread_mutex_unlock(&r->lock);
    free(old);
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
            memcpy(ep, ep_of(e), (size_t)e->ep_len + 1);
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
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_ep(r, ep);
    if (e != NULL) {
        memcpy(out->ep, ep_of(e), (size_t)e->ep_len + 1);
        memcpy(out->location, e->location, sizeof out->location);
        out->lifetime = e->lifetime;
        out->queue = e->queue;
        out->version_minor = e->version_minor;
        memcpy(out->binding, e->binding, sizeof out->binding);
        out->worker = e->worker;
        memcpy(&out->addr, addr_of(e), e->addr_len);
        out->addr_len = e->addr_len;
        out->registered_ms = e->registered_ms;
        out->updated_ms = e->updated_ms;
        out->expires_ms = e->expires_ms;
        memcpy(out->links, links_of(e), (size_t)e->links_len + 1);
        out->links_truncated = e->links_truncated;
    }
    pthread_mutex_unlock(&r->lock);
    return e != NULL ? 0 : BW_ENOTFOUND;
}

int bw_lwsrv_registry_peer(bw_lwsrv_registry_t *r, const char *ep,
                           unsigned *worker, struct sockaddr_storage *addr,
                           socklen_t *addr_len)
{
    memset(addr, 0, sizeof *addr);
    *worker = 0;
    *addr_len = 0;
    int err = 0;
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_ep(r, ep);
    if (e == NULL) {
        err = BW_ENOTFOUND;
    } else if (e->addr_len == 0) {
        err = BW_ESTATE; /* loaded at start, not heard from since */
    } else {
        *worker = e->worker;
        memcpy(addr, addr_of(e), e->addr_len);
        *addr_len = e->addr_len;
    }
    pthread_mutex_unlock(&r->lock);
    return err;
}

int bw_lwsrv_registry_ep_of(bw_lwsrv_registry_t *r, const char *location,
                            char ep[BW_LWSRV_EP_MAX + 1])
{
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_loc(r, location);
    if (e != NULL)
        memcpy(ep, ep_of(e), (size_t)e->ep_len + 1);
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
            if (e->expires_ms + grace_ms <= now_ms) {
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
            expired(arg, ep_of(e));
        free(e);
    }
    return n;
}

size_t bw_lwsrv_registry_unheard(bw_lwsrv_registry_t *r)
{
    return __atomic_load_n(&r->unheard, __ATOMIC_RELAXED);
}

size_t bw_lwsrv_registry_count(bw_lwsrv_registry_t *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->count;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* ---- loaded at start ------------------------------------------------ */

/* 0 when loc is BW_LWSRV_LOC_LEN lowercase hex digits (the form
 * bw_lwsrv_registry_location draws). */
static int location_ok(const char *loc)
{
    if (strnlen(loc, BW_LWSRV_LOC_LEN + 1) != BW_LWSRV_LOC_LEN)
        return 0;
    for (size_t i = 0; i < BW_LWSRV_LOC_LEN; i++)
        if (!((loc[i] >= '0' && loc[i] <= '9') ||
              (loc[i] >= 'a' && loc[i] <= 'f')))
            return 0;
    return 1;
}

/* The stored binding ("U", "UQ") as the registry keeps it: the letters
 * but Q in binding, Q as queue.  0, or BW_EMALFORMED. */
static int binding_split(const char *b, char binding[4], uint8_t *queue)
{
    size_t n = strnlen(b, 4), k = 0;
    memset(binding, 0, 4);
    *queue = 0;
    if (n == 0 || n > 3)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++) {
        if (strchr("USTNQ", b[i]) == NULL)
            return BW_EMALFORMED;
        if (b[i] == 'Q')
            *queue = 1;
        else
            binding[k++] = b[i];
    }
    return k > 0 ? 0 : BW_EMALFORMED;
}

int bw_lwsrv_registry_load(bw_lwsrv_registry_t *r, const bw_lwsrv_loaded_t *l)
{
    if (r == NULL || l == NULL || l->ep == NULL || l->location == NULL ||
        l->binding == NULL)
        return BW_EINVAL;
    size_t ep_len = strnlen(l->ep, BW_LWSRV_EP_MAX + 1);
    char binding[4];
    uint8_t queue;
    if (!bw_lwsrv_ep_valid(l->ep, ep_len) || !location_ok(l->location) ||
        binding_split(l->binding, binding, &queue) != 0)
        return BW_EMALFORMED;
    if (l->lifetime == 0 || l->lifetime > BW_LWSRV_LT_MAX)
        return BW_ERANGE;
    size_t links = l->links != NULL ? links_kept(l->links_len) : 0;
    entry_t *e = entry_new(l->ep, ep_len, l->links, links, NULL, 0);
    if (e == NULL)
        return BW_ENOMEM;
    memcpy(e->location, l->location, BW_LWSRV_LOC_LEN + 1);
    e->lifetime = l->lifetime;
    e->queue = queue;
    e->version_minor = l->version_minor;
    memcpy(e->binding, binding, sizeof e->binding);
    e->links_truncated = l->links != NULL && l->links_len > LINKS_KEPT;
    e->registered_ms = l->registered_ms;
    e->updated_ms = l->updated_ms;
    e->expires_ms = l->expires_ms;

    int err = 0;
    pthread_mutex_lock(&r->lock);
    if (find_ep(r, ep_of(e)) != NULL || find_loc(r, e->location) != NULL) {
        err = BW_EEXIST;
    } else {
        link_in(r, e);
        r->count++;
        if (r->count > r->cap)
            grow(r);
    }
    pthread_mutex_unlock(&r->lock);
    if (err != 0)
        free(e);
    return err;
}

int bw_lwsrv_registry_adopt(bw_lwsrv_registry_t *r, const char *ep,
                            unsigned worker, const struct sockaddr *addr,
                            socklen_t addr_len)
{
    addr_len = addr_kept(addr_len);
    int err = 0;
    entry_t *old = NULL;
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_ep(r, ep);
    if (e == NULL) {
        err = BW_ENOTFOUND;
    } else if (e->addr_len != 0) {
        err = BW_EEXIST;
    } else {
        /* The address has no room in e: a new entry takes its place. */
        entry_t *n = entry_new(ep_of(e), e->ep_len, links_of(e), e->links_len,
                               addr, addr_len);
        if (n == NULL) {
            err = BW_ENOMEM;
        } else {
            memcpy(n->location, e->location, sizeof n->location);
            n->registered_ms = e->registered_ms;
            n->updated_ms = e->updated_ms;
            n->expires_ms = e->expires_ms;
            n->lifetime = e->lifetime;
            n->queue = e->queue;
            n->version_minor = e->version_minor;
            n->links_truncated = e->links_truncated;
            memcpy(n->binding, e->binding, sizeof n->binding);
            n->worker = worker;
            unlink_out(r, e);
            link_in(r, n);
            old = e;
        }
    }
    pthread_mutex_unlock(&r->lock);
    free(old);
    return err;
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
