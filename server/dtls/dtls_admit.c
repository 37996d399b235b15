/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Peer addresses and admission control.
 *
 * A ClientHello that echoed a valid cookie has proved only that its sender
 * receives at the address it claims.  Before it costs a handshake object
 * (tens of kilobytes, and the CPU of a key exchange) it must also pass two
 * caps: handshakes in progress on this worker, and new handshakes from
 * its IP address (any port) in the current second.  The second cap is
 * what keeps one host cycling source ports from starving the others.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dtls_int.h"

int bw_dtls__addr_from(bw_dtls_addr_t *a, const struct sockaddr *sa,
                       socklen_t len)
{
    /* Copied out first: callers may hand us unaligned address bytes. */
    struct sockaddr_storage ss;
    memset(a, 0, sizeof *a);
    if (len < (socklen_t)sizeof(sa_family_t) || len > (socklen_t)sizeof ss)
        return BW_EINVAL;
    memcpy(&ss, sa, (size_t)len);
    if (ss.ss_family == AF_INET &&
        len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        a->family = AF_INET;
        a->port = in->sin_port;
        memcpy(a->addr, &in->sin_addr, 4);
        return 0;
    }
    if (ss.ss_family == AF_INET6 &&
        len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        a->family = AF_INET6;
        a->port = in6->sin6_port;
        memcpy(a->addr, &in6->sin6_addr, 16);
        return 0;
    }
    return BW_EINVAL;
}

socklen_t bw_dtls__addr_to(const bw_dtls_addr_t *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (a->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = a->port;
        memcpy(&in->sin_addr, a->addr, 4);
        return sizeof *in;
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = a->port;
    memcpy(&in6->sin6_addr, a->addr, 16);
    return sizeof *in6;
}

void bw_dtls__addr_str(const bw_dtls_addr_t *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    int af = a->family == AF_INET ? AF_INET : AF_INET6;
    if (inet_ntop(af, a->addr, host, sizeof host) == NULL)
        snprintf(host, sizeof host, "?");
    if (af == AF_INET)
        snprintf(buf, cap, "%s:%u", host, ntohs(a->port));
    else
        snprintf(buf, cap, "[%s]:%u", host, ntohs(a->port));
}

/* FNV-1a over the address bytes (not the port): the bucket of a host. */
static uint32_t host_key(const bw_dtls_addr_t *a)
{
    uint32_t h = 2166136261u ^ a->family;
    for (size_t i = 0; i < sizeof a->addr; i++)
        h = (h ^ a->addr[i]) * 16777619u;
    return h | 1u; /* never 0, the empty bucket */
}

int bw_dtls__admit(bw_dtls_worker_t *w, const bw_dtls_addr_t *a)
{
    const bw_dtls_server_config_t *cfg = &w->srv->cfg;
    if (w->nhs >= cfg->max_handshakes)
        return BW_ELIMIT;
    uint32_t key = host_key(a);
    bw_dtls_bucket_t *b = &w->buckets[key % BW_DTLS_BUCKETS];
    if (b->key != key || b->second != w->now_s) {
        b->key = key;
        b->second = w->now_s;
        b->count = 0;
    }
    if (b->count >= cfg->handshakes_per_addr)
        return BW_ELIMIT;
    b->count++;
    return 0;
}
