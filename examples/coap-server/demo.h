/* SPDX-License-Identifier: Apache-2.0 */
/*
 * State shared by the files of the demo server.  One instance, owned by
 * main(); nothing here is global.
 */
#ifndef BW_DEMO_H
#define BW_DEMO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap.h"
#include "bulwark/coap_block.h"
#include "bulwark/coap_endpoint.h"
#include "bulwark/coap_observe.h"

/*
 * Longest datagram handled: a 1024-byte block plus a generous header.
 * Also the endpoint's slot size, so every CON and piggybacked response
 * fits its arena slot.
 */
#define DEMO_MAX_DATAGRAM 1280

/* Observers of /counter at once. */
#define DEMO_MAX_OBSERVERS 8

typedef struct {
    uint8_t *data;
    size_t len;
} demo_body_t;

typedef struct {
    int fd;
    void *dtls; /* coaps: the DTLS side (dtls.c), else NULL */
    const char *ready_path; /* --ready-file */
    int quiet;
    uint64_t t0;
    bw_coap_endpoint_t ep;
    uint8_t arena[BW_COAP_ENDPOINT_ARENA_LEN(DEMO_MAX_DATAGRAM)];

    demo_body_t big;           /* /big */
    demo_body_t upload;        /* /upload, as received */
    size_t upload_cap;
    const char *upload_path;   /* or NULL: memory only */
    bw_coap_block1_server_t upload_rx;

    uint64_t counter;          /* /counter */
    uint64_t interval_ms;
    uint64_t next_tick;
    bw_coap_obs_registry_t obs;
    bw_coap_observer_t obs_slots[DEMO_MAX_OBSERVERS];
    bw_coap_peer_t obs_peer[DEMO_MAX_OBSERVERS];   /* where slot i lives */
    uint16_t obs_last_mid[DEMO_MAX_OBSERVERS];     /* its last notification */
} demo_t;

uint64_t demo_now_ms(void);
void demo_log(demo_t *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void demo_transmit(demo_t *d, const bw_coap_peer_t *peer, const uint8_t *buf,
                   size_t len);

/* main.c */
void demo_handle_datagram(demo_t *d, const bw_coap_peer_t *peer,
                          const uint8_t *buf, size_t len);
/* Run due timers; returns when they next need to run (ms). */
uint64_t demo_run_timers(demo_t *d);
int demo_write_ready(demo_t *d, unsigned port);

/* dtls.c: serve coaps:// until SIGINT or SIGTERM. */
typedef struct {
    const char *bind_addr;
    uint16_t port;
    const char *psk_file; /* lines "identity hex-key" */
    const char *cert, *key, *ca, *crl;
    const char *state_file;
    unsigned handshakes_per_addr;
    unsigned handshake_timeout_ms;
    int debug; /* log every dropped datagram */
} demo_dtls_opts_t;
int demo_dtls_serve(demo_t *d, const demo_dtls_opts_t *o);
void demo_dtls_transmit(demo_t *d, const bw_coap_peer_t *peer,
                        const uint8_t *buf, size_t len);

/* resources.c */
int demo_resources_init(demo_t *d, const char *file);
void demo_resources_free(demo_t *d);
void demo_handle_request(demo_t *d, const bw_coap_endpoint_event_t *req,
                         uint64_t now);
void demo_reply_start(bw_coap_writer_t *w, uint8_t *buf, size_t cap,
                      const bw_coap_endpoint_event_t *req, uint8_t code);
void demo_reply_send(demo_t *d, bw_coap_writer_t *w,
                     const bw_coap_endpoint_event_t *req, uint64_t now);

/* observe.c */
void demo_observe_get(demo_t *d, const bw_coap_endpoint_event_t *req,
                      uint64_t now);
void demo_observe_notify(demo_t *d, uint64_t now);
void demo_observe_init(demo_t *d);
void demo_observe_reset(demo_t *d, const bw_coap_peer_t *peer,
                        const uint8_t *buf, size_t len);
void demo_observe_failed(demo_t *d, const bw_coap_endpoint_event_t *ev);

#endif /* BW_DEMO_H */
