/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DTLS server engine under test, raw UDP sockets and hand-built
 * datagrams, for the test_dtls_server_* programs; the OpenSSL clients
 * that drive it are in dtls_client_fixture.h.  Header only: the engine
 * needs OpenSSL, which the shared helper library does not link.  Include
 * it after defining _GNU_SOURCE.
 *
 * The server runs in this process on 127.0.0.1, port 0.  Its on_data
 * callback records every datagram (identity, mode, worker, source port,
 * first bytes) and echoes it back with bw_dtls_send(); its log callback
 * keeps every line.  Both run on worker threads, so both write under a
 * mutex the test thread reads under.  PSKs come from a small table; when a
 * server is freed, every log line it wrote is searched for every key of
 * the table (raw bytes and hex), which must never appear.
 *
 * Every wait is bounded by FIX_WAIT_MS: a broken server fails a test, it
 * never hangs one.
 */
#ifndef BW_DTLS_FIXTURE_H
#define BW_DTLS_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dtls_server.h"
#include "testutil.h"

/* Every helper may go unused in one of the programs that include this. */
#define FIX static __attribute__((unused))

/* Longest any wait may take: a handshake, an echo, a counter to move. */
#define FIX_WAIT_MS 5000
/* Log lines kept per server (later ones are counted, not kept). */
#define FIX_LINES    1024
#define FIX_LINE_MAX 512
/* Deliveries recorded per server. */
#define FIX_RX_MAX 2048
/* Bytes of each delivery kept for comparison. */
#define FIX_RX_DATA   64
#define FIX_DGRAM_MAX 2048

/* ---- time ------------------------------------------------------------ */

FIX uint64_t fix_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

FIX void fix_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000u,
                          .tv_nsec = (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- the PSK table --------------------------------------------------- */

typedef struct {
    const char *identity;
    const uint8_t *key;
    size_t key_len;
} fix_psk_t;

static const uint8_t fix_key_a[16] = {0x3c, 0x91, 0x5e, 0x07, 0xa2, 0x6d,
                                      0xf4, 0x18, 0xc9, 0x40, 0x7b, 0xe3,
                                      0x25, 0x8a, 0xd6, 0x5f};
/* Printable on purpose: a key formatted with %s would show up as is. */
static const uint8_t fix_key_b[20] = "Kp4-ascii-secret-b!!";
/* What a client with a wrong key holds (never in the table). */
static const uint8_t fix_key_wrong[16] = {0x3c, 0x91, 0x5e, 0x07, 0xa2, 0x6d,
                                          0xf4, 0x18, 0xc9, 0x40, 0x7b, 0xe3,
                                          0x25, 0x8a, 0xd6, 0x60};

static const fix_psk_t fix_psks[] = {
    {"device-a", fix_key_a, sizeof fix_key_a},
    {"device-b", fix_key_b, sizeof fix_key_b},
};

/* The server harness; fix_psk_lookup() reads its revoked identity. */
typedef struct fix_server fix_server_t;
static int fix_is_revoked(fix_server_t *h, const uint8_t *identity,
                          size_t identity_len);

FIX int fix_psk_lookup(void *arg, const uint8_t *identity, size_t identity_len,
                       uint8_t *psk, size_t cap, size_t *psk_len)
{
    if (fix_is_revoked(arg, identity, identity_len))
        return BW_ENOTFOUND;
    for (size_t i = 0; i < sizeof fix_psks / sizeof fix_psks[0]; i++) {
        const fix_psk_t *e = &fix_psks[i];
        if (strlen(e->identity) != identity_len ||
            memcmp(e->identity, identity, identity_len) != 0)
            continue;
        if (e->key_len > cap)
            return BW_ENOSPC;
        memcpy(psk, e->key, e->key_len);
        *psk_len = e->key_len;
        return 0;
    }
    return BW_ENOTFOUND;
}

/* ---- the server ------------------------------------------------------ */

typedef struct {
    char identity[BW_DTLS_IDENTITY_MAX + 1];
    bw_dtls_mode_t mode;
    unsigned worker;
    uint16_t port; /* the peer's source port */
    size_t len;
    uint8_t data[FIX_RX_DATA];
} fix_rx_t;

struct fix_server {
    bw_dtls_server_t *srv;
    bw_dtls_server_config_t cfg;
    pthread_mutex_t lock;
    char lines[FIX_LINES][FIX_LINE_MAX];
    unsigned nlines;
    unsigned lines_lost;
    fix_rx_t rx[FIX_RX_MAX];
    unsigned nrx;
    int send_err; /* first bw_dtls_send() failure; 0 if none */
    unsigned worker_mask;
    char revoked[BW_DTLS_IDENTITY_MAX + 1]; /* the security store forgot it */
};

FIX int fix_is_revoked(fix_server_t *h, const uint8_t *identity,
                       size_t identity_len)
{
    pthread_mutex_lock(&h->lock);
    int r = strlen(h->revoked) == identity_len &&
            memcmp(h->revoked, identity, identity_len) == 0;
    pthread_mutex_unlock(&h->lock);
    return r;
}

/* From now on the PSK lookup answers BW_ENOTFOUND for identity. */
FIX void fix_revoke(fix_server_t *h, const char *identity)
{
    pthread_mutex_lock(&h->lock);
    snprintf(h->revoked, sizeof h->revoked, "%s", identity);
    pthread_mutex_unlock(&h->lock);
}

FIX void fix_on_data(void *arg, bw_dtls_worker_t *w,
                     const bw_dtls_peer_info_t *peer, const uint8_t *data,
                     size_t len)
{
    fix_server_t *h = arg;
    unsigned index = bw_dtls_worker_index(w);
    pthread_mutex_lock(&h->lock);
    if (h->nrx < FIX_RX_MAX) {
        fix_rx_t *r = &h->rx[h->nrx];
        size_t n = peer->identity_len < BW_DTLS_IDENTITY_MAX
                       ? peer->identity_len
                       : BW_DTLS_IDENTITY_MAX;
        memcpy(r->identity, peer->identity, n);
        r->identity[n] = '\0';
        r->mode = peer->mode;
        r->worker = index;
        r->port = 0;
        if (peer->addr->sa_family == AF_INET &&
            peer->addr_len >= (socklen_t)sizeof(struct sockaddr_in)) {
            struct sockaddr_in in;
            memcpy(&in, peer->addr, sizeof in);
            r->port = ntohs(in.sin_port);
        }
        r->len = len;
        memcpy(r->data, data, len < FIX_RX_DATA ? len : FIX_RX_DATA);
    }
    h->nrx++;
    if (index < 32)
        h->worker_mask |= 1u << index;
    pthread_mutex_unlock(&h->lock);

    int err = bw_dtls_send(w, peer->addr, peer->addr_len, data, len);
    if (err != 0) {
        pthread_mutex_lock(&h->lock);
        if (h->send_err == 0)
            h->send_err = err;
        pthread_mutex_unlock(&h->lock);
    }
}

FIX void fix_on_log(void *arg, bw_dtls_log_level_t level, const char *msg)
{
    fix_server_t *h = arg;
    (void)level;
    if (getenv("BW_TEST_VERBOSE") != NULL)
        fprintf(stderr, "  server: %s\n", msg);
    pthread_mutex_lock(&h->lock);
    if (h->nlines < FIX_LINES)
        snprintf(h->lines[h->nlines++], FIX_LINE_MAX, "%s", msg);
    else
        h->lines_lost++;
    pthread_mutex_unlock(&h->lock);
}

/* A harness with the default configuration (one worker, PSK table, log
 * at debug level); change h->cfg before fix_server_start(). */
FIX fix_server_t *fix_server_new(void)
{
    fix_server_t *h = calloc(1, sizeof *h);
    assert_non_null(h);
    assert_int_equal(pthread_mutex_init(&h->lock, NULL), 0);
    h->cfg.bind_addr = "127.0.0.1";
    h->cfg.port = 0;
    h->cfg.workers = 1;
    h->cfg.psk_lookup = fix_psk_lookup;
    h->cfg.on_data = fix_on_data;
    h->cfg.log = fix_on_log;
    h->cfg.log_level = BW_DTLS_LOG_DEBUG;
    h->cfg.arg = h;
    return h;
}

FIX void fix_server_start(fix_server_t *h)
{
    const char *why = NULL;
    int err = bw_dtls_server_new(&h->cfg, &h->srv, &why);
    if (err != 0)
        fail_msg("bw_dtls_server_new: %s (%s)", bw_strerror(err),
                 why != NULL ? why : "?");
    assert_non_null(h->srv);
    assert_int_not_equal(bw_dtls_server_port(h->srv), 0);
    bw_assert_err(bw_dtls_server_start(h->srv), 0);
}

FIX uint16_t fix_port(const fix_server_t *h)
{
    return bw_dtls_server_port(h->srv);
}

FIX bw_dtls_stats_t fix_stats(const fix_server_t *h)
{
    bw_dtls_stats_t st;
    bw_dtls_server_stats(h->srv, &st);
    return st;
}

/* Wait until a counter of bw_dtls_stats_t reaches at least want, or a
 * gauge (sessions, handshakes) is exactly want. */
#define FIX_WAIT(h, field, want)                                               \
    fix_wait_stat((h), offsetof(bw_dtls_stats_t, field), (want), 0, #field)
#define FIX_WAIT_EQ(h, field, want)                                            \
    fix_wait_stat((h), offsetof(bw_dtls_stats_t, field), (want), 1, #field)

FIX bw_dtls_stats_t fix_wait_stat(const fix_server_t *h, size_t offset,
                                  uint64_t want, int exact, const char *name)
{
    uint64_t end = fix_now_ms() + FIX_WAIT_MS;
    for (;;) {
        bw_dtls_stats_t st = fix_stats(h);
        uint64_t v;
        memcpy(&v, (const uint8_t *)&st + offset, sizeof v);
        if (exact ? v == want : v >= want)
            return st;
        if (fix_now_ms() >= end)
            fail_msg("stats.%s stayed at %llu, expected %s%llu within %d ms",
                     name, (unsigned long long)v, exact ? "" : "at least ",
                     (unsigned long long)want, FIX_WAIT_MS);
        fix_sleep_ms(2);
    }
}

FIX unsigned fix_rx_count(fix_server_t *h)
{
    pthread_mutex_lock(&h->lock);
    unsigned n = h->nrx;
    pthread_mutex_unlock(&h->lock);
    return n;
}

FIX fix_rx_t fix_rx_get(fix_server_t *h, unsigned i)
{
    pthread_mutex_lock(&h->lock);
    assert_true(i < h->nrx && i < FIX_RX_MAX);
    fix_rx_t r = h->rx[i];
    pthread_mutex_unlock(&h->lock);
    return r;
}

/* Whether a kept log line contains a (and b, if not NULL). */
FIX int fix_log_has(fix_server_t *h, const char *a, const char *b)
{
    int found = 0;
    pthread_mutex_lock(&h->lock);
    for (unsigned i = 0; i < h->nlines && !found; i++)
        found = strstr(h->lines[i], a) != NULL &&
                (b == NULL || strstr(h->lines[i], b) != NULL);
    pthread_mutex_unlock(&h->lock);
    return found;
}

FIX void fix_assert_log(fix_server_t *h, const char *a, const char *b)
{
    if (fix_log_has(h, a, b))
        return;
    pthread_mutex_lock(&h->lock);
    for (unsigned i = 0; i < h->nlines; i++)
        fprintf(stderr, "  log[%u]: %s\n", i, h->lines[i]);
    pthread_mutex_unlock(&h->lock);
    fail_msg("no log line contains \"%s\"%s%s%s", a, b != NULL ? " and \"" : "",
             b != NULL ? b : "", b != NULL ? "\"" : "");
}

FIX void fix_hex(const uint8_t *p, size_t n, int upper, char *out)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* No log line holds key, as raw bytes or in hex (either case). */
FIX void fix_assert_not_logged(fix_server_t *h, const uint8_t *key, size_t n)
{
    char lower[2 * 64 + 1], upper[2 * 64 + 1];
    assert_true(n <= 64);
    fix_hex(key, n, 0, lower);
    fix_hex(key, n, 1, upper);
    pthread_mutex_lock(&h->lock);
    for (unsigned i = 0; i < h->nlines; i++) {
        const char *l = h->lines[i];
        if (memmem(l, strlen(l), key, n) != NULL || strstr(l, lower) != NULL ||
            strstr(l, upper) != NULL) {
            pthread_mutex_unlock(&h->lock);
            fail_msg("a key appears in log line \"%s\"", l);
        }
    }
    pthread_mutex_unlock(&h->lock);
}

/* Stop and free the engine (keeping the log); returns its result. */
FIX int fix_server_stop(fix_server_t *h)
{
    int err = bw_dtls_server_free(h->srv);
    h->srv = NULL;
    return err;
}

/* Stop the engine if running, check the log for keys, free the harness. */
FIX void fix_server_free(fix_server_t *h)
{
    if (h->srv != NULL)
        bw_assert_err(fix_server_stop(h), 0);
    for (size_t i = 0; i < sizeof fix_psks / sizeof fix_psks[0]; i++)
        fix_assert_not_logged(h, fix_psks[i].key, fix_psks[i].key_len);
    fix_assert_not_logged(h, fix_key_wrong, sizeof fix_key_wrong);
    assert_int_equal(h->send_err, 0);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* ---- raw UDP --------------------------------------------------------- */

/* A non-blocking UDP socket on local_ip (a loopback address, any port),
 * connected to the server on 127.0.0.1 port. */
FIX int fix_udp_from(const char *local_ip, uint16_t port, uint16_t *local_port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, local_ip, &a.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (local_port != NULL) {
        socklen_t len = sizeof a;
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        *local_port = ntohs(a.sin_port);
    }
    return fd;
}

FIX int fix_udp(uint16_t port, uint16_t *local_port)
{
    return fix_udp_from("127.0.0.1", port, local_port);
}

FIX void fix_udp_send(int fd, const uint8_t *d, size_t n)
{
    ssize_t r = send(fd, d, n, 0);
    if (r != (ssize_t)n)
        fail_msg("send of %zu bytes: %s", n, r < 0 ? strerror(errno) : "short");
}

/* One datagram within timeout_ms: its length, or 0 if none came. */
FIX size_t fix_udp_recv(int fd, uint8_t *buf, size_t cap, unsigned timeout_ms)
{
    uint64_t end = fix_now_ms() + timeout_ms;
    for (;;) {
        ssize_t r = recv(fd, buf, cap, 0);
        if (r >= 0)
            return (size_t)r;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail_msg("recv: %s", strerror(errno));
        uint64_t now = fix_now_ms();
        if (now >= end)
            return 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        (void)poll(&p, 1, (int)(end - now));
    }
}

/* ---- hand-built datagrams -------------------------------------------- */

FIX void fix_put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

FIX uint64_t fix_get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/*
 * A ClientHello datagram as RFC 6347 4.2 lays it out: DTLS 1.2, the
 * given random, no session id, the cookie (may be empty), the two PSK
 * suites the server offers, null compression, no extensions.  Returns its
 * length.
 */
FIX size_t fix_client_hello(uint8_t *out, size_t cap, const uint8_t random[32],
                            const uint8_t *cookie, size_t cookie_len,
                            uint16_t msg_seq, uint64_t rec_seq)
{
    size_t body = 2 + 32 + 1 + 1 + cookie_len + 2 + 4 + 2;
    size_t total = 13 + 12 + body;
    assert_true(cookie_len <= 255 && total <= cap);
    uint8_t *p = out;
    p[0] = 22; /* handshake */
    fix_put_be(p + 1, 0xfefd, 2);
    fix_put_be(p + 3, 0, 2); /* epoch */
    fix_put_be(p + 5, rec_seq, 6);
    fix_put_be(p + 11, 12 + body, 2);
    p += 13;
    p[0] = 1; /* client_hello */
    fix_put_be(p + 1, body, 3);
    fix_put_be(p + 4, msg_seq, 2);
    fix_put_be(p + 6, 0, 3);    /* fragment offset */
    fix_put_be(p + 9, body, 3); /* fragment length */
    p += 12;
    fix_put_be(p, 0xfefd, 2);
    memcpy(p + 2, random, 32);
    p += 34;
    *p++ = 0; /* session id */
    *p++ = (uint8_t)cookie_len;
    if (cookie_len > 0)
        memcpy(p, cookie, cookie_len);
    p += cookie_len;
    static const uint8_t tail[] = {0x00, 0x04, 0xc0, 0xa8,
                                   0x00, 0xa8, 0x01, 0x00};
    memcpy(p, tail, sizeof tail);
    return total;
}

/*
 * Check that a datagram is exactly one HelloVerifyRequest (RFC 6347
 * 4.2.1: handshake record, epoch 0, message type 3, unfragmented,
 * server_version DTLS 1.0 or 1.2, a cookie filling the message) and copy
 * its cookie.  Returns 0, or -1 for anything else.
 */
FIX int fix_parse_hvr(const uint8_t *d, size_t n, uint8_t cookie[255],
                      size_t *cookie_len)
{
    if (n < 13 + 12 + 3 || d[0] != 22 || d[1] != 0xfe ||
        fix_get_be(d + 3, 2) != 0 || fix_get_be(d + 11, 2) != n - 13)
        return -1;
    const uint8_t *h = d + 13;
    size_t body = (size_t)fix_get_be(h + 1, 3);
    if (h[0] != 3 || body != n - 13 - 12 || fix_get_be(h + 6, 3) != 0 ||
        fix_get_be(h + 9, 3) != body)
        return -1;
    uint16_t version = (uint16_t)fix_get_be(h + 12, 2);
    if (version != 0xfeff && version != 0xfefd)
        return -1;
    size_t clen = h[14];
    if (body != 3 + clen || clen == 0)
        return -1;
    memcpy(cookie, h + 15, clen);
    *cookie_len = clen;
    return 0;
}

#endif /* BW_DTLS_FIXTURE_H */
