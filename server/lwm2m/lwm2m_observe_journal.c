/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The observations' journal (contract in lwm2m_observe.h): every change
 * of the in-memory table that the store must follow (an observation the
 * device accepted, one that ended) queued in order and written by one
 * thread of its own, so a DTLS worker never waits for the disk.
 *
 * One queue keeps the order of the changes: an observation ended right
 * after it was recorded is deleted after it was written, never before.
 * A put carries a callback that runs on this thread once the write is
 * committed (or failed): the requester hears of the observation only
 * then.  The queue is bounded (BW_LWSRV_OBS_JOURNAL_MAX); past it a put
 * is refused (the observation is not kept: the requester is told so) but
 * a deletion is still taken, since dropping it would leave a row the
 * next start brings back.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_observe.h"

typedef struct item {
    struct item *next;
    int put; /* 1: put v, of the registration at location; 0: delete */
    bw_lwsrv_obs_view_t v;
    char location[BW_LWSRV_LOC_LEN + 1];
    void (*then)(void *arg, int err);
    void *arg;
} item_t;

struct bw_lwsrv_obs_journal {
    bw_lwsrv_obs_store_t st;
    pthread_mutex_t lock;
    pthread_cond_t more; /* queued, or stopping */
    pthread_cond_t done; /* a change was written */
    item_t *head, **tail;
    size_t queued;
    uint64_t put, written; /* changes ever queued and written */
    int stopping;
    pthread_t thread;
};

static void *writer(void *arg)
{
    bw_lwsrv_obs_journal_t *j = arg;
    pthread_mutex_lock(&j->lock);
    for (;;) {
        while (j->head == NULL && !j->stopping)
            pthread_cond_wait(&j->more, &j->lock);
        if (j->head == NULL)
            break;
        item_t *it = j->head;
        j->head = it->next;
        if (j->head == NULL)
            j->tail = &j->head;
        j->queued--;
        pthread_mutex_unlock(&j->lock);
        int err = it->put ? j->st.put(j->st.arg, &it->v, it->location)
                          : j->st.del(j->st.arg, it->v.ep, it->v.id);
        if (it->then != NULL)
            it->then(it->arg, err);
        free(it);
        pthread_mutex_lock(&j->lock);
        j->written++;
        pthread_cond_broadcast(&j->done);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

bw_lwsrv_obs_journal_t *bw_lwsrv_obs_journal_new(const bw_lwsrv_obs_store_t *st)
{
    if (st == NULL || st->put == NULL || st->del == NULL)
        return NULL;
    bw_lwsrv_obs_journal_t *j = calloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    j->st = *st;
    j->tail = &j->head;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->more, NULL);
    pthread_cond_init(&j->done, NULL);
    if (pthread_create(&j->thread, NULL, writer, j) != 0) {
        pthread_cond_destroy(&j->done);
        pthread_cond_destroy(&j->more);
        pthread_mutex_destroy(&j->lock);
        free(j);
        return NULL;
    }
    return j;
}

/* Queue it (a put only below the bound); frees it on failure. */
static int enqueue(bw_lwsrv_obs_journal_t *j, item_t *it)
{
    int err = 0;
    pthread_mutex_lock(&j->lock);
    if (j->stopping) {
        err = BW_ESTATE;
    } else if (it->put && j->queued >= BW_LWSRV_OBS_JOURNAL_MAX) {
        err = BW_ELIMIT;
    } else {
        *j->tail = it;
        j->tail = &it->next;
        j->queued++;
        j->put++;
        pthread_cond_signal(&j->more);
    }
    pthread_mutex_unlock(&j->lock);
    if (err != 0)
        free(it);
    return err;
}

int bw_lwsrv_obs_journal_put(bw_lwsrv_obs_journal_t *j,
                             const bw_lwsrv_obs_view_t *v, const char *location,
                             void (*then)(void *arg, int err), void *arg)
{
    if (j == NULL || v == NULL || location == NULL || then == NULL ||
        v->id <= 0 || strlen(location) > BW_LWSRV_LOC_LEN)
        return BW_EINVAL;
    item_t *it = calloc(1, sizeof *it);
    if (it == NULL)
        return BW_ENOMEM;
    it->put = 1;
    it->v = *v;
    snprintf(it->location, sizeof it->location, "%s", location);
    it->then = then;
    it->arg = arg;
    return enqueue(j, it);
}

int bw_lwsrv_obs_journal_del(bw_lwsrv_obs_journal_t *j, const char *ep,
                             int64_t id)
{
    if (j == NULL || ep == NULL || id <= 0 || strlen(ep) > BW_LWSRV_EP_MAX)
        return BW_EINVAL;
    item_t *it = calloc(1, sizeof *it);
    if (it == NULL)
        return BW_ENOMEM;
    snprintf(it->v.ep, sizeof it->v.ep, "%s", ep);
    it->v.id = id;
    return enqueue(j, it);
}

void bw_lwsrv_obs_journal_flush(bw_lwsrv_obs_journal_t *j)
{
    if (j == NULL)
        return;
    pthread_mutex_lock(&j->lock);
    uint64_t want = j->put;
    while (j->written < want)
        pthread_cond_wait(&j->done, &j->lock);
    pthread_mutex_unlock(&j->lock);
}

void bw_lwsrv_obs_journal_free(bw_lwsrv_obs_journal_t *j)
{
    if (j == NULL)
        return;
    pthread_mutex_lock(&j->lock);
    j->stopping = 1; /* the writer writes what is queued, then ends */
    pthread_cond_signal(&j->more);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    pthread_cond_destroy(&j->done);
    pthread_cond_destroy(&j->more);
    pthread_mutex_destroy(&j->lock);
    free(j);
}
