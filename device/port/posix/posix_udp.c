/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connected UDP sockets as bw_dgram_t, plain UDP as bw_transport_t, the
 * monotonic clock and getrandom() entropy for the POSIX port.  The
 * contracts are in posix_udp.h.
 */
#include "posix_udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* --- socket --- */

int bw_posix_udp_open(bw_posix_udp_t *u, const char *host, const char *port)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct addrinfo *ai;
    int rc;

    if (u == NULL)
        return BW_EINVAL;
    u->fd = -1;
    u->tx_bytes = u->rx_bytes = 0;
    u->tx_dgrams = u->rx_dgrams = 0;
    if (host == NULL || port == NULL || host[0] == '\0' || port[0] == '\0')
        return BW_EINVAL;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return (rc == EAI_SYSTEM || rc == EAI_AGAIN || rc == EAI_MEMORY)
                   ? BW_ENET
                   : BW_ENOTFOUND;

    rc = BW_ENET;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family,
                        ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            u->fd = fd;
            rc = 0;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return rc;
}

void bw_posix_udp_close(bw_posix_udp_t *u)
{
    if (u != NULL && u->fd >= 0) {
        close(u->fd);
        u->fd = -1;
    }
}

int bw_posix_udp_fd(const bw_posix_udp_t *u)
{
    return u != NULL ? u->fd : -1;
}

static int would_block(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK;
}

static int udp_send(void *ctx, const uint8_t *buf, size_t len)
{
    bw_posix_udp_t *u = ctx;
    ssize_t n;

    if (u == NULL || u->fd < 0)
        return BW_ENET;
    do {
        n = send(u->fd, buf, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return (would_block(errno) || errno == ENOBUFS) ? BW_EAGAIN : BW_ENET;
    /* A datagram socket sends all of it or nothing. */
    if ((size_t)n != len)
        return BW_ENET;
    u->tx_bytes += len;
    u->tx_dgrams++;
    return 0;
}

static int udp_recv(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    bw_posix_udp_t *u = ctx;
    ssize_t n;

    if (len != NULL)
        *len = 0;
    if (u == NULL || u->fd < 0 || len == NULL || (buf == NULL && cap > 0))
        return BW_ENET;
    /* MSG_TRUNC makes recv() report the datagram's full length, so a
     * datagram longer than cap is recognised (and dropped) rather than
     * silently cut. */
    do {
        n = recv(u->fd, buf, cap, MSG_TRUNC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return would_block(errno) ? BW_EAGAIN : BW_ENET;
    u->rx_bytes += (uint64_t)n;
    u->rx_dgrams++;
    if ((size_t)n > cap)
        return BW_ENOSPC;
    *len = (size_t)n;
    return 0;
}

static const bw_dgram_ops_t udp_ops = {
    .send = udp_send,
    .recv = udp_recv,
};

bw_dgram_t bw_posix_udp_dgram(bw_posix_udp_t *u)
{
    bw_dgram_t d = {&udp_ops, u};
    return d;
}

/* --- plain transport --- */

static int plain_connect(bw_transport_t *t, uint32_t now_ms)
{
    bw_posix_plain_t *p = (bw_posix_plain_t *)t;
    (void)now_ms;
    p->connected = 1;
    return 0;
}

static int plain_poll(bw_transport_t *t, uint32_t now_ms, uint32_t *next_ms)
{
    bw_posix_plain_t *p = (bw_posix_plain_t *)t;
    (void)now_ms;
    if (next_ms != NULL)
        *next_ms = BW_TRANSPORT_NEVER;
    return p->connected ? 0 : BW_ESTATE;
}

static int plain_send(bw_transport_t *t, const uint8_t *buf, size_t len,
                      uint32_t now_ms)
{
    bw_posix_plain_t *p = (bw_posix_plain_t *)t;
    int rc;
    (void)now_ms;
    if (!p->connected)
        return BW_ESTATE;
    if (len > BW_POSIX_UDP_MAX || (buf == NULL && len > 0))
        return BW_EINVAL;
    rc = p->dgram.ops->send(p->dgram.ctx, buf, len);
    return rc == BW_EAGAIN ? 0 : rc;
}

static int plain_recv(bw_transport_t *t, uint8_t *buf, size_t cap, size_t *len,
                      uint32_t now_ms)
{
    bw_posix_plain_t *p = (bw_posix_plain_t *)t;
    (void)now_ms;
    if (len != NULL)
        *len = 0;
    if (len == NULL || (buf == NULL && cap > 0))
        return BW_EINVAL;
    if (!p->connected)
        return BW_ESTATE;
    return p->dgram.ops->recv(p->dgram.ctx, buf, cap, len);
}

static void plain_close(bw_transport_t *t)
{
    ((bw_posix_plain_t *)t)->connected = 0;
}

static const bw_transport_ops_t plain_ops = {
    .connect = plain_connect,
    .poll = plain_poll,
    .send = plain_send,
    .recv = plain_recv,
    .close = plain_close,
};

bw_transport_t *bw_posix_plain_init(bw_posix_plain_t *p, bw_dgram_t dgram)
{
    if (p == NULL)
        return NULL;
    p->transport.ops = &plain_ops;
    p->dgram = dgram;
    p->connected = 0;
    return &p->transport;
}

/* --- clock and entropy --- */

uint32_t bw_posix_now_ms(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u +
                      (uint64_t)ts.tv_nsec / 1000000u);
}

int bw_posix_entropy(void *ctx, uint8_t *buf, size_t len)
{
    size_t got = 0;

    (void)ctx;
    if (buf == NULL && len > 0)
        return BW_ECRYPTO;
    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return BW_ECRYPTO;
        }
        got += (size_t)n;
    }
    return 0;
}
