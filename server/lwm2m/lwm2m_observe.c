/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The observation registry (contract in lwm2m_observe.h).
 *
 * Each observation sits in two hash chains: by token (a notification's
 * lookup, on a DTLS worker) and by endpoint (the API's list and cancel,
 * and the end of a registration).  Tokens are random, so their first
 * bytes spread them; endpoints are hashed with FNV-1a.  One mutex guards
 * both; nothing under it allocates more than one entry or waits.
 *
 * With a journal (bw_lwsrv_obs_set_journal) every observation that ends
 * here, whichever way (taken, ended with its endpoint, replaced by a new
 * one), is handed to it for deletion once the lock is let go; the
 * journal's own lock is never held while this one is taken.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_observe.h"

/* Chains of each table: a power of two, a few entries per chain at the
 * largest count. */
#define TOKEN_BUCKETS 4096u
#define EP_BUCKETS    4096u

typedef struct entry {
    struct entry *tnext; /* token chain */
    struct entry *enext; /* endpoint chain */
    bw_lwsrv_obs_view_t v;
    uint16_t last_mid;
    uint8_t has_mid;
} entry_t;

struct bw_lwsrv_obs {
    pthread_mutex_t lock;
    entry_t *by_token[TOKEN_BUCKETS];
    entry_t *by_ep[EP_BUCKETS];
    size_t n;
    int64_t next_id;
    bw_lwsrv_obs_journal_t *journal; /* NULL: memory only */
};

/* Ids of observations ended under the lock, for the journal after it:
 * at most one endpoint's worth, or the two an add replaces. */
typedef struct {
    size_t n;
    int64_t id[BW_LWSRV_OBS_PER_EP];
    char ep[BW_LWSRV_EP_MAX + 1];
} ended_t;

static void ended_note(ended_t *x, const entry_t *e)
{
    if (x->n < BW_LWSRV_OBS_PER_EP) {
        x->id[x->n++] = e->v.id;
        memcpy(x->ep, e->v.ep, sizeof x->ep);
    }
}

/* Hand the ended ones to the journal (lock not held).  A deletion that
 * cannot be queued leaves a row behind; the next start drops it when its
 * registration is gone, and until then it costs a stale entry only. */
static void ended_flush(bw_lwsrv_obs_t *o, const ended_t *x)
{
    bw_lwsrv_obs_journal_t *j = __atomic_load_n(&o->journal, __ATOMIC_ACQUIRE);
    for (size_t i = 0; j != NULL && i < x->n; i++)
        (void)bw_lwsrv_obs_journal_del(j, x->ep, x->id[i]);
}

static size_t token_hash(const uint8_t *t)
{
    return ((size_t)t[0] << 8 | t[1]) & (TOKEN_BUCKETS - 1);
}

static size_t ep_hash(const char *ep)
{
    uint32_t h = 2166136261u;
    for (; *ep != '\0'; ep++)
        h = (h ^ (uint8_t)*ep) * 16777619u;
    return h & (EP_BUCKETS - 1);
}

bw_lwsrv_obs_t *bw_lwsrv_obs_new(void)
{
    bw_lwsrv_obs_t *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    pthread_mutex_init(&o->lock, NULL);
    o->next_id = 1;
    return o;
}

void bw_lwsrv_obs_free(bw_lwsrv_obs_t *o)
{
    if (o == NULL)
        return;
    /* First: what it writes last may end observations here. */
    bw_lwsrv_obs_journal_free(o->journal);
    o->journal = NULL;
    for (size_t i = 0; i < TOKEN_BUCKETS; i++)
        while (o->by_token[i] != NULL) {
            entry_t *e = o->by_token[i];
            o->by_token[i] = e->tnext;
            free(e);
        }
    pthread_mutex_destroy(&o->lock);
    free(o);
}

static entry_t **find_token(bw_lwsrv_obs_t *o, const uint8_t *token)
{
    entry_t **pp = &o->by_token[token_hash(token)];
    for (; *pp != NULL; pp = &(*pp)->tnext)
        if (memcmp((*pp)->v.token, token, BW_LWSRV_OBS_TOKEN_LEN) == 0)
            return pp;
    return NULL;
}

/* Unlink e from both chains and free it (lock held). */
static void unlink_entry(bw_lwsrv_obs_t *o, entry_t *e)
{
    entry_t **pp = &o->by_token[token_hash(e->v.token)];
    while (*pp != e)
        pp = &(*pp)->tnext;
    *pp = e->tnext;
    pp = &o->by_ep[ep_hash(e->v.ep)];
    while (*pp != e)
        pp = &(*pp)->enext;
    *pp = e->enext;
    o->n--;
    free(e);
}

/* The entry of ep matching id (> 0) or path (lock held); NULL if none. */
static entry_t *find_ep(bw_lwsrv_obs_t *o, const char *ep, int64_t id,
                        const char *path)
{
    for (entry_t *e = o->by_ep[ep_hash(ep)]; e != NULL; e = e->enext)
        if (strcmp(e->v.ep, ep) == 0 &&
            (id > 0 ? e->v.id == id
                    : path != NULL && strcmp(e->v.path, path) == 0))
            return e;
    return NULL;
}

static size_t count_ep(bw_lwsrv_obs_t *o, const char *ep)
{
    size_t k = 0;
    for (entry_t *e = o->by_ep[ep_hash(ep)]; e != NULL; e = e->enext)
        k += strcmp(e->v.ep, ep) == 0;
    return k;
}

static int view_ok(const bw_lwsrv_obs_view_t *v)
{
    return v->ep[0] != '\0' && memchr(v->ep, '\0', sizeof v->ep) != NULL &&
           v->path[0] == '/' && memchr(v->path, '\0', sizeof v->path) != NULL &&
           memchr(v->actor, '\0', sizeof v->actor) != NULL;
}

/* Link ne in (lock held): with a new id (restore 0), replacing an
 * observation of the same endpoint and path and one with the same token
 * (restore: refused instead), within the limits. */
static int link_entry(bw_lwsrv_obs_t *o, entry_t *ne, int restore, ended_t *x)
{
    const bw_lwsrv_obs_view_t *v = &ne->v;
    entry_t *old = find_ep(o, v->ep, 0, v->path);
    entry_t **same = find_token(o, v->token);
    if (restore) {
        if (old != NULL || same != NULL || find_ep(o, v->ep, v->id, NULL))
            return BW_EEXIST;
    } else {
        if (old != NULL) {
            ended_note(x, old);
            unlink_entry(o, old);
        }
        same = find_token(o, v->token);
        if (same != NULL) {
            ended_note(x, *same);
            unlink_entry(o, *same);
        }
    }
    if (o->n >= BW_LWSRV_OBS_MAX || count_ep(o, v->ep) >= BW_LWSRV_OBS_PER_EP)
        return BW_ELIMIT;
    if (restore) {
        if (v->id >= o->next_id)
            o->next_id = v->id + 1;
    } else {
        ne->v.id = o->next_id++;
    }
    size_t t = token_hash(ne->v.token), h = ep_hash(ne->v.ep);
    ne->tnext = o->by_token[t];
    o->by_token[t] = ne;
    /* At the chain's end: the listing shows the oldest first. */
    entry_t **pp = &o->by_ep[h];
    while (*pp != NULL)
        pp = &(*pp)->enext;
    *pp = ne;
    o->n++;
    return 0;
}

static int add(bw_lwsrv_obs_t *o, const bw_lwsrv_obs_view_t *v, int restore,
               int64_t *id)
{
    entry_t *ne = calloc(1, sizeof *ne);
    if (ne == NULL)
        return BW_ENOMEM;
    ne->v = *v;
    ne->v.notifications = 0;
    ne->v.dropped = 0;
    ne->v.last_ms = 0;
    ended_t x = {0};
    pthread_mutex_lock(&o->lock);
    int err = link_entry(o, ne, restore, &x);
    if (err == 0)
        *id = ne->v.id;
    pthread_mutex_unlock(&o->lock);
    if (err != 0)
        free(ne);
    ended_flush(o, &x);
    return err;
}

int bw_lwsrv_obs_add(bw_lwsrv_obs_t *o, const bw_lwsrv_obs_view_t *v,
                     int64_t *id)
{
    if (id != NULL)
        *id = 0;
    if (o == NULL || v == NULL || id == NULL || !view_ok(v))
        return BW_EINVAL;
    return add(o, v, 0, id);
}

int bw_lwsrv_obs_restore(bw_lwsrv_obs_t *o, const bw_lwsrv_obs_view_t *v)
{
    int64_t id;
    if (o == NULL || v == NULL || !view_ok(v) || v->id <= 0 ||
        v->id == INT64_MAX)
        return BW_EINVAL;
    return add(o, v, 1, &id);
}

void bw_lwsrv_obs_seen_id(bw_lwsrv_obs_t *o, int64_t last)
{
    if (o == NULL || last < 0 || last == INT64_MAX)
        return;
    pthread_mutex_lock(&o->lock);
    if (last >= o->next_id)
        o->next_id = last + 1;
    pthread_mutex_unlock(&o->lock);
}

void bw_lwsrv_obs_set_journal(bw_lwsrv_obs_t *o, bw_lwsrv_obs_journal_t *j)
{
    if (o != NULL)
        __atomic_store_n(&o->journal, j, __ATOMIC_RELEASE);
}

bw_lwsrv_obs_journal_t *bw_lwsrv_obs_journal_of(bw_lwsrv_obs_t *o)
{
    return o != NULL ? __atomic_load_n(&o->journal, __ATOMIC_ACQUIRE) : NULL;
}

int bw_lwsrv_obs_get(bw_lwsrv_obs_t *o, const uint8_t *token,
                     bw_lwsrv_obs_view_t *out)
{
    if (o == NULL || token == NULL || out == NULL)
        return BW_ENOTFOUND;
    pthread_mutex_lock(&o->lock);
    entry_t **pp = find_token(o, token);
    if (pp != NULL)
        *out = (*pp)->v;
    pthread_mutex_unlock(&o->lock);
    return pp != NULL ? 0 : BW_ENOTFOUND;
}

int bw_lwsrv_obs_note(bw_lwsrv_obs_t *o, const uint8_t *token, uint16_t mid,
                      int64_t now_ms, int *dup)
{
    if (dup != NULL)
        *dup = 0;
    if (o == NULL || token == NULL)
        return BW_ENOTFOUND;
    pthread_mutex_lock(&o->lock);
    entry_t **pp = find_token(o, token);
    if (pp != NULL) {
        entry_t *e = *pp;
        if (e->has_mid && e->last_mid == mid) {
            if (dup != NULL)
                *dup = 1;
        } else {
            e->has_mid = 1;
            e->last_mid = mid;
            e->v.notifications++;
            e->v.last_ms = now_ms;
        }
    }
    pthread_mutex_unlock(&o->lock);
    return pp != NULL ? 0 : BW_ENOTFOUND;
}

void bw_lwsrv_obs_dropped(bw_lwsrv_obs_t *o, const uint8_t *token)
{
    if (o == NULL || token == NULL)
        return;
    pthread_mutex_lock(&o->lock);
    entry_t **pp = find_token(o, token);
    if (pp != NULL)
        (*pp)->v.dropped++;
    pthread_mutex_unlock(&o->lock);
}

int bw_lwsrv_obs_take(bw_lwsrv_obs_t *o, const uint8_t *token, const char *ep,
                      int64_t id, const char *path, bw_lwsrv_obs_view_t *out)
{
    if (o == NULL || (token == NULL && ep == NULL))
        return BW_ENOTFOUND;
    ended_t x = {0};
    pthread_mutex_lock(&o->lock);
    entry_t *e = NULL;
    if (token != NULL) {
        entry_t **pp = find_token(o, token);
        e = pp != NULL ? *pp : NULL;
    } else {
        e = find_ep(o, ep, id, path);
    }
    if (e != NULL) {
        if (out != NULL)
            *out = e->v;
        ended_note(&x, e);
        unlink_entry(o, e);
    }
    pthread_mutex_unlock(&o->lock);
    ended_flush(o, &x);
    return e != NULL ? 0 : BW_ENOTFOUND;
}

size_t bw_lwsrv_obs_end_ep(bw_lwsrv_obs_t *o, const char *ep)
{
    size_t k = 0;
    if (o == NULL || ep == NULL)
        return 0;
    ended_t x = {0};
    pthread_mutex_lock(&o->lock);
    for (entry_t *e = o->by_ep[ep_hash(ep)]; e != NULL;) {
        entry_t *next = e->enext;
        if (strcmp(e->v.ep, ep) == 0) {
            ended_note(&x, e); /* at most BW_LWSRV_OBS_PER_EP of them */
            unlink_entry(o, e);
            k++;
        }
        e = next;
    }
    pthread_mutex_unlock(&o->lock);
    ended_flush(o, &x);
    return k;
}

int bw_lwsrv_obs_list(bw_lwsrv_obs_t *o, const char *ep,
                      int (*cb)(void *arg, const bw_lwsrv_obs_view_t *v),
                      void *arg)
{
    if (o == NULL || ep == NULL || cb == NULL)
        return BW_EINVAL;
    bw_lwsrv_obs_view_t *vs = malloc(BW_LWSRV_OBS_PER_EP * sizeof *vs);
    if (vs == NULL)
        return BW_ENOMEM;
    size_t n = 0;
    pthread_mutex_lock(&o->lock);
    for (entry_t *e = o->by_ep[ep_hash(ep)];
         e != NULL && n < BW_LWSRV_OBS_PER_EP; e = e->enext)
        if (strcmp(e->v.ep, ep) == 0)
            vs[n++] = e->v;
    pthread_mutex_unlock(&o->lock);
    int err = 0;
    for (size_t i = 0; i < n && err == 0; i++)
        err = cb(arg, &vs[i]);
    free(vs);
    return err;
}

size_t bw_lwsrv_obs_count(bw_lwsrv_obs_t *o)
{
    if (o == NULL)
        return 0;
    pthread_mutex_lock(&o->lock);
    size_t n = o->n;
    pthread_mutex_unlock(&o->lock);
    return n;
}
