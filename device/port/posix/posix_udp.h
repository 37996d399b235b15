/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The POSIX port's network seam: a connected, non-blocking UDP socket as a
 * bw_dgram_t (include/bulwark/transport.h), a plain-UDP bw_transport_t on
 * top of any bw_dgram_t (tests and unsecured lab use only), and the two
 * platform inputs the DTLS client needs: a monotonic millisecond clock
 * and an entropy source.
 *
 * What it owns: one socket per bw_posix_udp_t, closed by
 * bw_posix_udp_close().  What it must never do: block, log payloads, or
 * send to any peer but the one it connected to (the kernel drops
 * datagrams from other sources on a connected socket).
 *
 * The caller waits for input with poll(2) on bw_posix_udp_fd().
 */
#ifndef BW_POSIX_UDP_H
#define BW_POSIX_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"
#include "bulwark/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest datagram a UDP socket can carry (65535 less the 8-byte header). */
#define BW_POSIX_UDP_MAX 65527u

typedef struct {
    int fd; /* -1 when closed */
    /* Traffic since bw_posix_udp_open(): UDP payload bytes and datagrams
     * actually sent and received (what a benchmark calls "on the wire",
     * less the IP and UDP headers). */
    uint64_t tx_bytes, rx_bytes;
    uint32_t tx_dgrams, rx_dgrams;
} bw_posix_udp_t;

/*
 * Resolve host and port (numeric or names; IPv4 or IPv6, the first
 * address that accepts a connect() wins), open a non-blocking datagram
 * socket and connect it.
 * Returns 0, or BW_EINVAL (NULL or empty host or port), BW_ENOTFOUND (the
 * name does not resolve), BW_ENET (no socket could be opened or
 * connected).  On failure u->fd is -1.
 */
int bw_posix_udp_open(bw_posix_udp_t *u, const char *host, const char *port);

/* Close the socket (u->fd becomes -1).  Harmless when already closed. */
void bw_posix_udp_close(bw_posix_udp_t *u);

/* The socket, for poll(2); -1 when closed. */
int bw_posix_udp_fd(const bw_posix_udp_t *u);

/*
 * The bw_dgram_t for u.  send: 0, BW_EAGAIN (socket buffer full: dropped),
 * BW_ENET (also when closed; an ICMP "port unreachable" reported by the
 * kernel for an earlier datagram is BW_ENET too).  recv: 0 and *len,
 * BW_EAGAIN, BW_ENOSPC (longer than cap: dropped), BW_ENET.
 * u MUST outlive every use of the returned value.
 */
bw_dgram_t bw_posix_udp_dgram(bw_posix_udp_t *u);

/*
 * Plain UDP as a bw_transport_t: connect() returns 0 at once, poll()
 * returns 0 with *next_ms = BW_TRANSPORT_NEVER, send/recv pass datagrams
 * through unchanged (send: BW_ESTATE before connect() or after close();
 * BW_EINVAL above BW_POSIX_UDP_MAX; a full socket buffer drops the
 * datagram and returns 0, as a lossy network would).  No security at all.
 */
typedef struct {
    bw_transport_t transport; /* first member */
    bw_dgram_t dgram;
    int connected;
} bw_posix_plain_t;

/* Set p up over dgram (which MUST outlive p); returns &p->transport. */
bw_transport_t *bw_posix_plain_init(bw_posix_plain_t *p, bw_dgram_t dgram);

/* Milliseconds from CLOCK_MONOTONIC, truncated to 32 bits. */
uint32_t bw_posix_now_ms(void);

/*
 * Fill buf with len bytes from getrandom(2) (blocking only until the
 * kernel pool is first initialised, at boot).  ctx is unused.  Matches
 * bw_dtls_entropy_t.fill.  Returns 0 or BW_ECRYPTO.
 */
int bw_posix_entropy(void *ctx, uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* BW_POSIX_UDP_H */
