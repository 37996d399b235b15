/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Notifications on their way to the store (contract in lwm2m_observe.h):
 * a DTLS worker copies the decoded values into one block and queues it;
 * one writer thread takes the blocks in order and calls the store.  The
 * queue is bounded (BW_LWSRV_OBS_QUEUE_MAX): a worker is never held up by
 * the disk, and a store that cannot keep up loses the newest values
 * rather than the server's memory.  Every value it hands over is marked
 * BW_LWSRV_SRC_NOTIFY, so the store can tell it from a Send.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m_observe.h"

typedef struct item {
    struct item *next;
    char ep[BW_LWSRV_EP_MAX + 1];
    int64_t now_ms;
    size_t n;
    bw_lwsrv_sample_t v[]; /* then the values' bytes */
} item_t;

struct bw_lwsrv_obs_sink {
    bw_lwsrv_obs_store_fn store;
    void *arg;
    pthread_mutex_t lock;
    pthread_cond_t more; /* an item was queued, or stopping */
    pthread_cond_t done; /* an item was stored */
    item_t *head, **tail;
    size_t queued;
    uint64_t put, stored; /* items ever queued and handed to the store */
    int stopping;
    pthread_t thread;
};

static void *writer(void *arg)
{
    bw_lwsrv_obs_sink_t *k = arg;
    pthread_mutex_lock(&k->lock);
    for (;;) {
        while (k->head == NULL && !k->stopping)
            pthread_cond_wait(&k->more, &k->lock);
        if (k->head == NULL)
            break;
        item_t *it = k->head;
        k->head = it->next;
        if (k->head == NULL)
            k->tail = &k->head;
        k->queued--;
        pthread_mutex_unlock(&k->lock);
        (void)k->store(k->arg, it->ep, it->v, it->n, it->now_ms);
        free(it);
        pthread_mutex_lock(&k->lock);
        k->stored++;
        pthread_cond_broadcast(&k->done);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

bw_lwsrv_obs_sink_t *bw_lwsrv_obs_sink_new(bw_lwsrv_obs_store_fn store,
                                           void *arg)
{
    if (store == NULL)
        return NULL;
    bw_lwsrv_obs_sink_t *k = calloc(1, sizeof *k);
    if (k == NULL)
        return NULL;
    k->store = store;
    k->arg = arg;
    k->tail = &k->head;
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->more, NULL);
    pthread_cond_init(&k->done, NULL);
    if (pthread_create(&k->thread, NULL, writer, k) != 0) {
        pthread_cond_destroy(&k->done);
        pthread_cond_destroy(&k->more);
        pthread_mutex_destroy(&k->lock);
        free(k);
        return NULL;
    }
    return k;
}

int bw_lwsrv_obs_sink_put(bw_lwsrv_obs_sink_t *k, const char *ep,
                          const bw_lwsrv_sample_t *v, size_t n, int64_t now_ms)
{
    if (k == NULL || ep == NULL || v == NULL || n == 0 ||
        n > BW_LWSRV_OBS_VALUES_MAX || strlen(ep) > BW_LWSRV_EP_MAX)
        return BW_EINVAL;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].len > BW_LWSRV_OBS_PAYLOAD_MAX)
            return BW_EINVAL;
        bytes += v[i].len;
    }
    item_t *it = malloc(sizeof *it + n * sizeof it->v[0] + bytes);
    if (it == NULL)
        return BW_ENOMEM;
    it->next = NULL;
    snprintf(it->ep, sizeof it->ep, "%s", ep);
    it->now_ms = now_ms;
    it->n = n;
    uint8_t *p = (uint8_t *)&it->v[n];
    for (size_t i = 0; i < n; i++) {
        it->v[i] = v[i];
        it->v[i].source = BW_LWSRV_SRC_NOTIFY; /* all the sink carries */
        if (v[i].len > 0) {
            memcpy(p, v[i].bytes, v[i].len);
            it->v[i].bytes = p;
            p += v[i].len;
        }
    }
    int err = 0;
    pthread_mutex_lock(&k->lock);
    if (k->stopping) {
        err = BW_ESTATE;
    } else if (k->queued >= BW_LWSRV_OBS_QUEUE_MAX) {
        err = BW_ELIMIT;
    } else {
        *k->tail = it;
        k->tail = &it->next;
        k->queued++;
        k->put++;
        pthread_cond_signal(&k->more);
    }
    pthread_mutex_unlock(&k->lock);
    if (err != 0)
        free(it);
    return err;
}

void bw_lwsrv_obs_sink_flush(bw_lwsrv_obs_sink_t *k)
{
    if (k == NULL)
        return;
    pthread_mutex_lock(&k->lock);
    uint64_t want = k->put;
    while (k->stored < want)
        pthread_cond_wait(&k->done, &k->lock);
    pthread_mutex_unlock(&k->lock);
}

void bw_lwsrv_obs_sink_free(bw_lwsrv_obs_sink_t *k)
{
    if (k == NULL)
        return;
    pthread_mutex_lock(&k->lock);
    k->stopping = 1; /* the writer stores what is queued, then ends */
    pthread_cond_signal(&k->more);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->done);
    pthread_cond_destroy(&k->more);
    pthread_mutex_destroy(&k->lock);
    free(k);
}
