/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The POSIX UDP port (device/port/posix/posix_udp.c) on loopback: the
 * datagram seam carries datagrams intact, reports "nothing yet", "too
 * long" and an unreachable peer with their codes; the plain transport
 * passes datagrams through once connected and refuses before; entropy
 * and the clock behave.
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "posix_udp.h"

/* A bound loopback socket (family af) and its port as text. */
static int peer_socket(int af, char port[8])
{
    struct sockaddr_storage ss = {0};
    socklen_t len = sizeof ss;
    int fd = socket(af, SOCK_DGRAM, 0);

    assert_true(fd >= 0);
    if (af == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
        close(fd);
        return -1;
    }
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    snprintf(port, 8, "%u",
             (unsigned)ntohs(af == AF_INET
                                 ? ((struct sockaddr_in *)&ss)->sin_port
                                 : ((struct sockaddr_in6 *)&ss)->sin6_port));
    return fd;
}

static int wait_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 1000) == 1;
}

/* Round trip over IPv4 and (where the host has it) IPv6: the peer gets
 * the exact bytes, its reply comes back exactly; with nothing waiting
 * recv is BW_EAGAIN; a reply longer than cap is BW_ENOSPC and dropped,
 * so the next recv gets the following datagram. */
static void test_dgram_roundtrip(void **state)
{
    static const char *const hosts[] = {"127.0.0.1", "::1"};
    static const int fams[] = {AF_INET, AF_INET6};
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        char port[8];
        int peer = peer_socket(fams[i], port);
        bw_posix_udp_t u;
        bw_dgram_t d;
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        uint8_t buf[64];
        size_t len = 7;
        ssize_t n;

        if (peer < 0) {
            assert_int_equal(fams[i], AF_INET6); /* no IPv6 here */
            continue;
        }
        assert_int_equal(bw_posix_udp_open(&u, hosts[i], port), 0);
        d = bw_posix_udp_dgram(&u);
        bw_assert_err(d.ops->recv(d.ctx, buf, sizeof buf, &len), BW_EAGAIN);
        assert_int_equal(len, 0);
        assert_int_equal(d.ops->send(d.ctx, (const uint8_t *)"ping", 4), 0);
        n = recvfrom(peer, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
        assert_int_equal(n, 4);
        assert_memory_equal(buf, "ping", 4);
        assert_int_equal(sendto(peer, "0123456789abcdef-long", 21, 0,
                                (struct sockaddr *)&from, flen),
                         21);
        assert_int_equal(
            sendto(peer, "pong", 4, 0, (struct sockaddr *)&from, flen), 4);
        assert_true(wait_readable(bw_posix_udp_fd(&u)));
        bw_assert_err(d.ops->recv(d.ctx, buf, 16, &len), BW_ENOSPC);
        assert_true(wait_readable(bw_posix_udp_fd(&u)));
        assert_int_equal(d.ops->recv(d.ctx, buf, 16, &len), 0);
        assert_int_equal(len, 4);
        assert_memory_equal(buf, "pong", 4);
        bw_posix_udp_close(&u);
        assert_int_equal(bw_posix_udp_fd(&u), -1);
        close(peer);
    }
}

/* Sending to a port nobody listens on: the kernel's ICMP port
 * unreachable surfaces as BW_ENET on a later call, not as silence; a
 * closed socket is BW_ENET too; bad arguments are BW_EINVAL. */
static void test_dgram_errors(void **state)
{
    char port[8];
    int peer = peer_socket(AF_INET, port);
    bw_posix_udp_t u;
    bw_dgram_t d;
    uint8_t buf[8];
    size_t len;
    int rc = 0;
    int i;

    (void)state;
    close(peer); /* now nothing listens on port */
    assert_int_equal(bw_posix_udp_open(&u, "127.0.0.1", port), 0);
    d = bw_posix_udp_dgram(&u);
    assert_int_equal(d.ops->send(d.ctx, (const uint8_t *)"x", 1), 0);
    for (i = 0; i < 100 && rc != BW_ENET; i++) {
        rc = d.ops->recv(d.ctx, buf, sizeof buf, &len);
        if (rc == BW_EAGAIN)
            usleep(1000);
    }
    bw_assert_err(rc, BW_ENET);
    bw_posix_udp_close(&u);
    bw_assert_err(d.ops->send(d.ctx, (const uint8_t *)"x", 1), BW_ENET);
    bw_assert_err(bw_posix_udp_open(&u, "", port), BW_EINVAL);
    bw_assert_err(bw_posix_udp_open(&u, "127.0.0.1", NULL), BW_EINVAL);
    assert_int_equal(u.fd, -1);
}

/* The plain transport refuses send before connect() (BW_ESTATE), then
 * connects at once, polls as "connected, no deadline", carries a
 * datagram, refuses oversize sends, and refuses again after close(). */
static void test_plain_transport(void **state)
{
    char port[8];
    int peer = peer_socket(AF_INET, port);
    bw_posix_udp_t u;
    bw_posix_plain_t p;
    bw_transport_t *t;
    uint32_t next = 0;
    uint8_t buf[8];

    (void)state;
    assert_int_equal(bw_posix_udp_open(&u, "127.0.0.1", port), 0);
    t = bw_posix_plain_init(&p, bw_posix_udp_dgram(&u));
    bw_assert_err(bw_transport_send(t, (const uint8_t *)"a", 1, 0), BW_ESTATE);
    assert_int_equal(bw_transport_connect(t, 0), 0);
    assert_int_equal(bw_transport_poll(t, 0, &next), 0);
    assert_int_equal(next, BW_TRANSPORT_NEVER);
    assert_int_equal(bw_transport_send(t, (const uint8_t *)"abc", 3, 0), 0);
    assert_int_equal(recv(peer, buf, sizeof buf, 0), 3);
    assert_memory_equal(buf, "abc", 3);
    bw_assert_err(bw_transport_send(t, buf, BW_POSIX_UDP_MAX + 1u, 0),
                  BW_EINVAL);
    bw_transport_close(t);
    bw_assert_err(bw_transport_send(t, (const uint8_t *)"a", 1, 0), BW_ESTATE);
    bw_posix_udp_close(&u);
    close(peer);
}

/* Two 32-byte draws differ (a stuck source would repeat), and the clock
 * does not run backwards. */
static void test_entropy_and_clock(void **state)
{
    uint8_t a[32];
    uint8_t b[32];
    uint32_t t0 = bw_posix_now_ms();

    (void)state;
    assert_int_equal(bw_posix_entropy(NULL, a, sizeof a), 0);
    assert_int_equal(bw_posix_entropy(NULL, b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    usleep(2000);
    assert_true((uint32_t)(bw_posix_now_ms() - t0) >= 2u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dgram_roundtrip),
        cmocka_unit_test(test_dgram_errors),
        cmocka_unit_test(test_plain_transport),
        cmocka_unit_test(test_entropy_and_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
