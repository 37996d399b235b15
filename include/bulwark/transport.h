/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport seam: how device code (CoAP, LwM2M) exchanges datagrams
 * with one server without knowing how they travel: plain UDP (tests only),
 * DTLS 1.2 on mbedTLS (device/dtls), or a modem that offloads DTLS.
 *
 * Two layers, both tables of function pointers supplied by the port:
 *
 *   bw_dgram_t      raw datagrams to and from one peer (a connected UDP
 *                   socket on POSIX, a modem's socket on a microcontroller)
 *   bw_transport_t  application datagrams over a (possibly secure) channel;
 *                   a DTLS transport sits on a bw_dgram_t
 *
 * The contract follows the rest of the core: nothing here blocks, owns a
 * thread or reads a clock.  The caller passes the current time (ms, any
 * monotonic origin, wrapping is not expected within a process lifetime)
 * and learns from poll() when it must call again; between calls it waits
 * on its socket however it likes (poll(2), an RTOS event, a modem URC).
 *
 * A transport never logs or returns key material; errors say what failed
 * (BW_EAUTH: the peer proved no knowledge of our PSK or we of its;
 * BW_ECERT: its certificate was refused), never with which secret.
 */
#ifndef BULWARK_TRANSPORT_H
#define BULWARK_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "No deadline": poll() sets *next_ms to this when nothing is pending. */
#define BW_TRANSPORT_NEVER UINT32_MAX

/*
 * Raw datagrams to and from one peer.
 * send: one datagram; 0, BW_EAGAIN (would block: drop it, the protocol
 *       above retransmits) or BW_ENET.
 * recv: one datagram if one is waiting: 0 and *len; BW_EAGAIN if none;
 *       BW_ENOSPC if it was longer than cap (it is dropped); BW_ENET.
 */
typedef struct {
    int (*send)(void *ctx, const uint8_t *buf, size_t len);
    int (*recv)(void *ctx, uint8_t *buf, size_t cap, size_t *len);
} bw_dgram_ops_t;

typedef struct {
    const bw_dgram_ops_t *ops;
    void *ctx;
} bw_dgram_t;

typedef struct bw_transport bw_transport_t;

/*
 * A channel to one server.
 *
 * connect: start connecting (DTLS: begin a handshake, offering the session
 *          saved by an earlier connection for resumption).  Returns 0 when
 *          the channel is usable at once (plain UDP), BW_EAGAIN when poll()
 *          must drive it, or an error.
 * poll:    consume what has arrived, run timers.  Returns 0 when connected,
 *          BW_EAGAIN while connecting, or why the channel failed:
 *          BW_EHANDSHAKE, BW_EAUTH, BW_ECERT, BW_ETIMEOUT, BW_ECLOSED
 *          (peer sent close_notify or a fatal alert), BW_ENET.  After a
 *          failure only connect() or close() may be called.  *next_ms is
 *          the absolute time to call poll() again at the latest
 *          (BW_TRANSPORT_NEVER if only new data can change anything).
 * send:    one application datagram.  0, BW_ESTATE (not connected),
 *          BW_EINVAL (longer than the channel carries), BW_ENET.
 * recv:    one application datagram if one is ready: 0 and *len;
 *          BW_EAGAIN if none; BW_ENOSPC if it did not fit (dropped);
 *          or a failure as for poll().
 * close:   orderly close (DTLS: close_notify).  Keeps what a later
 *          connect() needs to resume.  Never fails.
 */
typedef struct {
    int (*connect)(bw_transport_t *t, uint32_t now_ms);
    int (*poll)(bw_transport_t *t, uint32_t now_ms, uint32_t *next_ms);
    int (*send)(bw_transport_t *t, const uint8_t *buf, size_t len,
                uint32_t now_ms);
    int (*recv)(bw_transport_t *t, uint8_t *buf, size_t cap, size_t *len,
                uint32_t now_ms);
    void (*close)(bw_transport_t *t);
} bw_transport_ops_t;

/* Implementations embed this as their first member. */
struct bw_transport {
    const bw_transport_ops_t *ops;
};

static inline int bw_transport_connect(bw_transport_t *t, uint32_t now_ms)
{
    return t->ops->connect(t, now_ms);
}

static inline int bw_transport_poll(bw_transport_t *t, uint32_t now_ms,
                                    uint32_t *next_ms)
{
    return t->ops->poll(t, now_ms, next_ms);
}

static inline int bw_transport_send(bw_transport_t *t, const uint8_t *buf,
                                    size_t len, uint32_t now_ms)
{
    return t->ops->send(t, buf, len, now_ms);
}

static inline int bw_transport_recv(bw_transport_t *t, uint8_t *buf,
                                    size_t cap, size_t *len, uint32_t now_ms)
{
    return t->ops->recv(t, buf, cap, len, now_ms);
}

static inline void bw_transport_close(bw_transport_t *t)
{
    t->ops->close(t);
}

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_TRANSPORT_H */
