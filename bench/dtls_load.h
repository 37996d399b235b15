/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/dtls: the handshake load generator.
 *
 * Many stock OpenSSL DTLS 1.2 clients in one epoll loop, each on its own
 * non-blocking UDP socket bound to an address of its own.  A client does
 * the full handshake (cookie exchange included), sends one 16-byte
 * application record and waits for its echo: that record is what lets the
 * server free the handshake object, so afterwards the server holds one
 * idle compact session for the client.  Then the client closes its socket
 * without a close_notify, as a sleeping device would.
 *
 * Source addresses are never reused within a run (a new ClientHello from
 * a known address would replace that session): addr_next() hands out
 * 127.0.0.1 .. 127.0.0.8 times ports 20000 .. 60999, skipping any a bind
 * refuses.  With keep set, the finished clients are not closed but handed
 * back with their record keys, for the request/response phase.
 *
 * Included by bench/dtls.c only.
 */
#ifndef BW_BENCH_DTLS_LOAD_H
#define BW_BENCH_DTLS_LOAD_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "dtls_certs.h"
#include "dtls_child.h"
#include "dtls_record.h"

#define LOAD_MAX_INFLIGHT 256
/* A client that has not finished in this time is given up (counted). */
#define LOAD_GIVE_UP_S 5.0
/* How often the retransmission timers of the clients are looked at. */
#define LOAD_TIMER_SCAN_S 0.02
#define LOAD_PING_LEN     16

/* Where the next client binds. */
typedef struct {
    uint8_t ip_lo, ip_hi; /* 127.0.0.lo .. 127.0.0.hi, or a fixed base */
    uint32_t base;        /* host order; 0: use the 127.0.0.x spread */
    uint8_t ip;
    uint16_t port, port_lo, port_hi;
    uint32_t seq; /* with base: base + seq, all on port_lo */
} addr_gen_t;

static void addr_spread(addr_gen_t *g)
{
    memset(g, 0, sizeof *g);
    g->ip_lo = 1;
    g->ip_hi = 8;
    g->ip = 1;
    g->port_lo = 20000;
    g->port_hi = 60999;
    g->port = g->port_lo;
}

/* One address per client: base, base + 1, ... all with one port. */
static void addr_block(addr_gen_t *g, uint32_t base, uint16_t port)
{
    memset(g, 0, sizeof *g);
    g->base = base;
    g->port_lo = port;
}

static int addr_next(addr_gen_t *g, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    if (g->base != 0) {
        sa->sin_addr.s_addr = htonl(g->base + g->seq++);
        sa->sin_port = htons(g->port_lo);
        return 0;
    }
    if (g->ip > g->ip_hi)
        return -1; /* used up */
    sa->sin_addr.s_addr = htonl(0x7f000000u | g->ip);
    sa->sin_port = htons(g->port);
    if (g->port++ == g->port_hi) {
        g->port = g->port_lo;
        g->ip++;
    }
    return 0;
}

/* What a kept client leaves behind for the request/response phase. */
typedef struct {
    struct sockaddr_in addr;
    bw_dtls_aead_t alg;
    bw_dtls_keys_t client_write, server_write;
} kept_t;

typedef struct {
    SSL *ssl;
    int fd;
    int echo; /* handshake done, waiting for the echo */
    double started;
} conn_t;

typedef struct {
    SSL_CTX *ctx;
    struct sockaddr_in server;
    addr_gen_t addrs;
    int ep;
    conn_t conns[LOAD_MAX_INFLIGHT];
    unsigned inflight;
    uint64_t started, done, failed, bind_skipped;
    const char *suite; /* negotiated, for the report */
    kept_t *keep;      /* NULL: close finished clients */
    size_t keep_cap;
} load_t;

static unsigned load_psk(SSL *ssl, const char *hint, char *identity,
                         unsigned max_identity, unsigned char *psk,
                         unsigned max_psk)
{
    (void)hint;
    int n =
        snprintf(identity, max_identity, BENCH_PSK_PREFIX "%p", (void *)ssl);
    if (n <= 0 || (unsigned)n >= max_identity || max_psk < sizeof bench_psk)
        return 0;
    memcpy(psk, bench_psk, sizeof bench_psk);
    return sizeof bench_psk;
}

/* The client side as a device would set it up. */
static SSL_CTX *load_ctx(const bench_certs_t *certs, int cert_mode)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
    if (ctx == NULL)
        certs_die("client SSL_CTX");
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    /* CCM-8 sits below OpenSSL 3's default security level. */
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
    /* BENCH_DTLS_NO_TICKET=1: devices that do not ask for a session
     * ticket, so the server issues none (to measure what one costs). */
    const char *nt = getenv("BENCH_DTLS_NO_TICKET");
    if (nt != NULL && nt[0] != '\0' && nt[0] != '0')
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    const char *ciphers =
        cert_mode ? "ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-AES128-GCM-SHA256"
                  : "PSK-AES128-CCM8:PSK-AES128-GCM-SHA256";
    if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1 ||
        SSL_CTX_set1_groups_list(ctx, "P-256") != 1)
        certs_die("client cipher suites");
    if (cert_mode) {
        if (SSL_CTX_use_certificate_file(ctx, certs->client_cert,
                                         SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, certs->client_key,
                                        SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_load_verify_locations(ctx, certs->ca, NULL) != 1)
            certs_die("client certificate");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_psk_client_callback(ctx, load_psk);
    }
    return ctx;
}

static void load_init(load_t *l, SSL_CTX *ctx, uint16_t port)
{
    memset(l, 0, sizeof *l);
    l->ctx = ctx;
    l->server.sin_family = AF_INET;
    l->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->server.sin_port = htons(port);
    addr_spread(&l->addrs);
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->ep < 0)
        certs_die("epoll_create1");
}

static void conn_close(load_t *l, conn_t *c)
{
    SSL_free(c->ssl); /* closes the socket (BIO_CLOSE) */
    c->ssl = NULL;
    c->fd = -1;
    l->inflight--;
}

/* Start one client in slot c: 0, or -1 when the addresses ran out. */
static int conn_start(load_t *l, conn_t *c, unsigned slot)
{
    struct sockaddr_in me;
    int fd = -1;
    while (fd < 0) {
        if (addr_next(&l->addrs, &me) != 0)
            return -1;
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            certs_die("socket");
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0 ||
            connect(fd, (struct sockaddr *)&l->server, sizeof l->server) != 0) {
            close(fd);
            fd = -1;
            l->bind_skipped++;
        }
    }
    SSL *ssl = SSL_new(l->ctx);
    BIO *bio = ssl != NULL ? BIO_new_dgram(fd, BIO_CLOSE) : NULL;
    if (bio == NULL)
        certs_die("client SSL");
    BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &l->server);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_mtu(ssl, 1400);
    SSL_set_connect_state(ssl);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = slot};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        certs_die("epoll_ctl");
    c->ssl = ssl;
    c->fd = fd;
    c->echo = 0;
    c->started = bench_now();
    l->inflight++;
    l->started++;
    return 0;
}

static void conn_keep(load_t *l, conn_t *c)
{
    /* Kept in address order (addr_block): slot i is base + i. */
    struct sockaddr_in me;
    socklen_t alen = sizeof me;
    if (getsockname(c->fd, (struct sockaddr *)&me, &alen) != 0)
        certs_die("getsockname");
    uint32_t slot = ntohl(me.sin_addr.s_addr) - l->addrs.base;
    if (l->addrs.base == 0 || slot >= l->keep_cap)
        certs_die("kept client outside the address block");
    kept_t *k = &l->keep[slot];
    k->addr = me;
    SSL_SESSION *sess = SSL_get_session(c->ssl);
    uint8_t master[BW_DTLS_MASTER_LEN], cr[BW_DTLS_RANDOM_LEN],
        sr[BW_DTLS_RANDOM_LEN];
    uint16_t suite = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(c->ssl));
    /* PSK-AES128-CCM8 and ECDHE-ECDSA-AES128-CCM8; the others are GCM. */
    k->alg = suite == 0xc0a8 || suite == 0xc0ae ? BW_DTLS_AES128_CCM8
                                                : BW_DTLS_AES128_GCM;
    if (SSL_SESSION_get_master_key(sess, master, sizeof master) !=
            sizeof master ||
        SSL_get_client_random(c->ssl, cr, sizeof cr) != sizeof cr ||
        SSL_get_server_random(c->ssl, sr, sizeof sr) != sizeof sr ||
        bw_dtls_derive_keys(master, cr, sr, &k->client_write,
                            &k->server_write) != 0)
        certs_die("client keys");
    OPENSSL_cleanse(master, sizeof master);
}

/* Advance one client; returns 1 when it finished (or failed). */
static int conn_step(load_t *l, conn_t *c)
{
    uint8_t buf[256];
    if (!c->echo) {
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return 0;
            goto fail;
        }
        if (l->suite == NULL)
            l->suite = SSL_get_cipher_name(c->ssl);
        memset(buf, 0x5a, LOAD_PING_LEN);
        if (SSL_write(c->ssl, buf, LOAD_PING_LEN) != LOAD_PING_LEN)
            goto fail;
        c->echo = 1;
    }
    int r = SSL_read(c->ssl, buf, sizeof buf);
    if (r <= 0) {
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return 0;
        goto fail;
    }
    if (r != LOAD_PING_LEN || buf[0] != 0x5a)
        goto fail;
    if (l->keep != NULL)
        conn_keep(l, c);
    l->done++;
    return 1;
fail:
    ERR_clear_error();
    l->failed++;
    return 1;
}

/*
 * Run until `count` more clients have finished (or failed), with up to
 * `inflight` at once.  Returns the number finished in this call.
 */
static uint64_t load_run(load_t *l, uint64_t count, unsigned inflight)
{
    struct epoll_event evs[64];
    uint64_t goal_started = l->started + count;
    uint64_t done0 = l->done;
    double next_scan = bench_now() + LOAD_TIMER_SCAN_S;
    if (inflight > LOAD_MAX_INFLIGHT)
        inflight = LOAD_MAX_INFLIGHT;
    for (;;) {
        for (unsigned i = 0; i < inflight && l->started < goal_started; i++) {
            if (l->conns[i].ssl != NULL)
                continue;
            if (conn_start(l, &l->conns[i], i) != 0) {
                goal_started = l->started; /* addresses used up */
                break;
            }
            if (conn_step(l, &l->conns[i]))
                conn_close(l, &l->conns[i]);
        }
        if (l->inflight == 0)
            break;
        int n = epoll_wait(l->ep, evs, 64, 10);
        for (int i = 0; i < n; i++) {
            conn_t *c = &l->conns[evs[i].data.u32];
            if (c->ssl != NULL && conn_step(l, c))
                conn_close(l, c);
        }
        double now = bench_now();
        if (now < next_scan)
            continue;
        next_scan = now + LOAD_TIMER_SCAN_S;
        for (unsigned i = 0; i < inflight; i++) {
            conn_t *c = &l->conns[i];
            if (c->ssl == NULL)
                continue;
            if (now - c->started > LOAD_GIVE_UP_S) {
                l->failed++;
                conn_close(l, c);
            } else {
                (void)DTLSv1_handle_timeout(c->ssl); /* resends if due */
            }
        }
    }
    return l->done - done0;
}

static void load_free(load_t *l)
{
    for (unsigned i = 0; i < LOAD_MAX_INFLIGHT; i++)
        if (l->conns[i].ssl != NULL)
            conn_close(l, &l->conns[i]);
    close(l->ep);
}

#endif /* BW_BENCH_DTLS_LOAD_H */
