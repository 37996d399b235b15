/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to server/lwm2m: the server's state, shared by lwm2m_srv.c (the
 * registration interface, configuration, events) and lwm2m_srv_request.c
 * (requests to devices: the per-worker table of requests in flight and
 * their retransmission timers).  Never included from outside
 * server/lwm2m.
 *
 * A worker's requests in flight sit in one array kept as a binary
 * min-heap on the time each is next due (a retransmission, or giving up
 * once acknowledged and no response came), so a loop turn looks at the
 * earliest one only and a due request costs O(log n).  Each request
 * holds its encoded message, sized to it.
 */
#ifndef BW_LWSRV_SRV_INT_H
#define BW_LWSRV_SRV_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lwm2m_srv.h"

/* RFC 7252 4.8: EXCHANGE_LIFETIME, how long a separate response may take
 * and how long an answered request is remembered for deduplication. */
#define BW_LWSRV__EXCHANGE_LIFETIME_MS 247000u

/* One request to a device, from post to answer or timeout. */
typedef struct bw_lwsrv__inflight {
    uint8_t token[8];
    uint16_t mid;
    uint8_t acked; /* empty ACK seen: a separate response will follow */
    socklen_t addr_len;
    struct sockaddr_storage addr;
    size_t heap_at; /* its index in the worker's heap */
    uint64_t next_ms, deadline_ms;
    uint32_t timeout_ms;
    unsigned attempts;
    bw_lwsrv_done_t done; /* exactly one of done, done_ex is set */
    bw_lwsrv_done_ex_t done_ex;
    void *arg;
    bw_lwsrv_t *s;
    unsigned worker;
    size_t len;
    uint8_t msg[]; /* the CON request, len bytes */
} bw_lwsrv__inflight_t;

/* One worker's share, touched by that worker only, but for the list of
 * ended writes (any thread, under ended_lock). */
typedef struct {
    bw_lwsrv__inflight_t **heap; /* min-heap on the due time */
    size_t n, cap;
    uint16_t next_mid;
    /* Registration writes that ended (bw_lwsrv_committed), to answer on
     * this worker: one posted job answers all that gathered, so a batch
     * committed together wakes the worker once. */
    pthread_mutex_t ended_lock;
    bw_lwsrv_pending_t *ended, **ended_tail;
} bw_lwsrv__wstate_t;

struct bw_lwsrv {
    bw_lwsrv_config_t cfg;
    unsigned nworkers;
    bw_lwsrv__wstate_t *ws;
    bw_lwsrv_obs_t *obs;       /* observations (lwm2m_observe.h) */
    bw_lwsrv_obs_sink_t *sink; /* notified values to the store, or NULL */
};

static inline uint64_t bw_lwsrv__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Every request in flight on worker wi answered err (the server stops);
 * its heap freed. */
void bw_lwsrv__inflight_drop(bw_lwsrv_t *s, unsigned wi, int err);

/* A message from peer that is not a request (a response, an empty ACK
 * or RST, a notification): matched to this worker's requests, else to
 * observations, else a CON is answered RST. */
void bw_lwsrv__answer(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                      const bw_dtls_peer_info_t *peer, const bw_coap_msg_t *m);

#endif /* BW_LWSRV_SRV_INT_H */
