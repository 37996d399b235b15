/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/dtls: request/response load on established sessions.
 *
 * The sessions were made by real OpenSSL clients (dtls_load.h, keep mode),
 * each from its own address 127.1.x.y on one shared port.  An OpenSSL
 * client object is far too slow to saturate the server, so the load is
 * driven by the project's record layer instead: with the client's keys
 * (derived from its master secret and randoms) requests are sealed with
 * bw_dtls_seal() and replies opened with bw_dtls_open().  One socket bound
 * to the wildcard address on that port sends every session's records with
 * sendmmsg(), choosing each record's source address with IP_PKTINFO, and
 * takes the replies with recvmmsg(); the destination address of a reply
 * says whose it is.  The server runs its real path: recvmmsg, session
 * lookup, replay check, open, the echo callback, seal, sendmmsg.
 *
 * Each request is 120 bytes of plaintext naming its session and sequence
 * number; the echo must open under the server's keys and match it.
 * Client sequence numbers start at 1000, far above the two records the
 * OpenSSL client sent in epoch 1 (Finished and the first ping), so no
 * nonce is ever reused.  At most one request per session is outstanding,
 * and `window` in all; a request unanswered after RR_LOST_S counts as lost
 * and the session sends the next one.
 *
 * Included by bench/dtls.c only.
 */
#ifndef BW_BENCH_DTLS_RR_H
#define BW_BENCH_DTLS_RR_H

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "dtls_load.h"
#include "dtls_record.h"

#define RR_PAYLOAD   120
#define RR_BATCH     64
#define RR_FIRST_SEQ 1000
#define RR_LOST_S    0.3

typedef struct {
    const kept_t *k;
    size_t n;
    uint32_t base; /* host order address of session 0 */
    int fd;
    struct sockaddr_in server;
    bw_dtls_aead_ctx_t *aead;
    uint64_t *seq;
    double *sent_at; /* 0: idle */
    uint32_t *ring;  /* idle sessions */
    size_t ring_head, ring_count;
    unsigned outstanding;
    uint64_t done, lost, bad;
} rr_t;

static void rr_push(rr_t *r, uint32_t idx)
{
    r->ring[(r->ring_head + r->ring_count++) % r->n] = idx;
}

static uint32_t rr_pop(rr_t *r)
{
    uint32_t idx = r->ring[r->ring_head];
    r->ring_head = (r->ring_head + 1) % r->n;
    r->ring_count--;
    return idx;
}

static void rr_payload(uint8_t p[RR_PAYLOAD], uint32_t idx, uint64_t seq)
{
    memset(p, 0xa5, RR_PAYLOAD);
    memcpy(p, &idx, sizeof idx);
    memcpy(p + sizeof idx, &seq, sizeof seq);
}

/* The socket is opened before the handshakes, to hold the port. */
static int rr_socket(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1, buf = 8 << 20;
    struct sockaddr_in any = {.sin_family = AF_INET};
    socklen_t len = sizeof any;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&any, sizeof any) != 0 ||
        getsockname(fd, (struct sockaddr *)&any, &len) != 0)
        certs_die("request socket");
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    *port = ntohs(any.sin_port);
    return fd;
}

static void rr_init(rr_t *r, const kept_t *k, size_t n, int fd, uint16_t port)
{
    memset(r, 0, sizeof *r);
    r->k = k;
    r->n = n;
    r->base = ntohl(k[0].addr.sin_addr.s_addr);
    r->fd = fd;
    r->server.sin_family = AF_INET;
    r->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->server.sin_port = htons(port);
    r->aead = bw_dtls_aead_new();
    r->seq = calloc(n, sizeof *r->seq);
    r->sent_at = calloc(n, sizeof *r->sent_at);
    r->ring = calloc(n, sizeof *r->ring);
    if (r->aead == NULL || r->seq == NULL || r->sent_at == NULL ||
        r->ring == NULL)
        certs_die("request state");
    for (uint32_t i = 0; i < n; i++) {
        if (ntohl(k[i].addr.sin_addr.s_addr) != r->base + i)
            certs_die("session addresses not consecutive");
        r->seq[i] = RR_FIRST_SEQ;
        rr_push(r, i);
    }
}

static void rr_free(rr_t *r)
{
    bw_dtls_aead_free(r->aead);
    free(r->seq);
    free(r->sent_at);
    free(r->ring);
}

static void rr_send(rr_t *r, unsigned window, double now)
{
    static uint8_t out[RR_BATCH][RR_PAYLOAD + 64];
    union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        size_t align; /* as struct cmsghdr */
    } ctl[RR_BATCH];
    struct mmsghdr msgs[RR_BATCH];
    struct iovec iov[RR_BATCH];
    uint32_t who[RR_BATCH];
    unsigned n = 0;
    while (n < RR_BATCH && r->ring_count > 0 && r->outstanding < window) {
        uint32_t idx = rr_pop(r);
        const kept_t *k = &r->k[idx];
        uint8_t plain[RR_PAYLOAD];
        size_t len;
        rr_payload(plain, idx, r->seq[idx]);
        if (bw_dtls_seal(r->aead, k->alg, &k->client_write, BW_DTLS_CT_APPDATA,
                         1, r->seq[idx]++, plain, sizeof plain, out[n],
                         sizeof out[n], &len) != 0)
            certs_die("bw_dtls_seal");
        memset(&msgs[n], 0, sizeof msgs[n]);
        memset(&ctl[n], 0, sizeof ctl[n]);
        iov[n].iov_base = out[n];
        iov[n].iov_len = len;
        struct msghdr *m = &msgs[n].msg_hdr;
        m->msg_name = &r->server;
        m->msg_namelen = sizeof r->server;
        m->msg_iov = &iov[n];
        m->msg_iovlen = 1;
        m->msg_control = ctl[n].buf;
        m->msg_controllen = sizeof ctl[n].buf;
        struct cmsghdr *cm = CMSG_FIRSTHDR(m);
        cm->cmsg_level = IPPROTO_IP;
        cm->cmsg_type = IP_PKTINFO;
        cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
        struct in_pktinfo pi = {.ipi_spec_dst = k->addr.sin_addr};
        memcpy(CMSG_DATA(cm), &pi, sizeof pi);
        who[n] = idx;
        r->sent_at[idx] = now;
        r->outstanding++;
        n++;
    }
    unsigned sent = 0;
    while (sent < n) {
        int s = sendmmsg(r->fd, msgs + sent, n - sent, 0);
        if (s <= 0)
            break;
        sent += (unsigned)s;
    }
    /* Not sent (socket buffer full): those sessions try again later. */
    for (unsigned i = sent; i < n; i++) {
        r->sent_at[who[i]] = 0;
        r->outstanding--;
        rr_push(r, who[i]);
    }
}

/* Take the replies waiting; returns how many datagrams were read. */
static int rr_recv(rr_t *r)
{
    static uint8_t in[RR_BATCH][512];
    union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        size_t align; /* as struct cmsghdr */
    } ctl[RR_BATCH];
    struct mmsghdr msgs[RR_BATCH];
    struct iovec iov[RR_BATCH];
    for (unsigned i = 0; i < RR_BATCH; i++) {
        memset(&msgs[i], 0, sizeof msgs[i]);
        iov[i].iov_base = in[i];
        iov[i].iov_len = sizeof in[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = ctl[i].buf;
        msgs[i].msg_hdr.msg_controllen = sizeof ctl[i].buf;
    }
    int n = recvmmsg(r->fd, msgs, RR_BATCH, MSG_DONTWAIT, NULL);
    for (int i = 0; i < n; i++) {
        struct msghdr *m = &msgs[i].msg_hdr;
        struct cmsghdr *cm = CMSG_FIRSTHDR(m);
        struct in_pktinfo pi;
        if (cm == NULL || cm->cmsg_level != IPPROTO_IP ||
            cm->cmsg_type != IP_PKTINFO) {
            r->bad++;
            continue;
        }
        memcpy(&pi, CMSG_DATA(cm), sizeof pi);
        uint32_t idx = ntohl(pi.ipi_addr.s_addr) - r->base;
        const uint8_t *p = in[i];
        size_t len = msgs[i].msg_len;
        bw_dtls_rec_t rec;
        uint8_t plain[512], want[RR_PAYLOAD];
        size_t plen;
        if (idx >= r->n || r->sent_at[idx] == 0 ||
            bw_dtls_rec_next(&p, &len, &rec) != 0 ||
            bw_dtls_open(r->aead, r->k[idx].alg, &r->k[idx].server_write, &rec,
                         plain, sizeof plain, &plen) != 0) {
            r->bad++;
            continue;
        }
        rr_payload(want, idx, r->seq[idx] - 1);
        if (plen != RR_PAYLOAD || memcmp(plain, want, RR_PAYLOAD) != 0) {
            r->bad++; /* a late echo of a request counted lost */
            continue;
        }
        r->sent_at[idx] = 0;
        r->outstanding--;
        r->done++;
        rr_push(r, idx);
    }
    return n < 0 ? 0 : n;
}

static void rr_expire(rr_t *r, double now)
{
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->sent_at[i] != 0 && now - r->sent_at[i] > RR_LOST_S) {
            r->sent_at[i] = 0;
            r->outstanding--;
            r->lost++;
            rr_push(r, i);
        }
    }
}

/* Run for `seconds`; returns the requests answered meanwhile. */
static uint64_t rr_run(rr_t *r, unsigned window, double seconds)
{
    uint64_t done0 = r->done;
    double start = bench_now(), now = start, next_expire = start + 0.1;
    while (now - start < seconds) {
        rr_send(r, window, now);
        int got = rr_recv(r);
        if (got == 0) {
            struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
            (void)poll(&pfd, 1, 1);
        }
        now = bench_now();
        if (now >= next_expire) {
            rr_expire(r, now);
            next_expire = now + 0.1;
        }
    }
    return r->done - done0;
}

#endif /* BW_BENCH_DTLS_RR_H */
