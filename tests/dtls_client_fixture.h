/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenSSL DTLS 1.2 clients for the test_dtls_server_* programs, over real
 * loopback UDP, against the server of dtls_fixture.h.  Header only, like
 * it; include it after defining _GNU_SOURCE.
 *
 * A client is an OpenSSL DTLS client on its own connected UDP socket
 * (BIO_new_dgram), behind a filter BIO that copies the last datagram
 * written and read and can hold outgoing datagrams back or lose an
 * incoming one: tests replay or alter records and send them from the
 * client's own address and port, which is how the server tells its
 * sessions apart.  Every wait is bounded by FIX_WAIT_MS.
 */
#ifndef BW_DTLS_CLIENT_FIXTURE_H
#define BW_DTLS_CLIENT_FIXTURE_H

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "dtls_fixture.h"

/* ---- the capturing filter BIO ---------------------------------------- */

typedef struct {
    int hold; /* keep outgoing datagrams here instead of sending them */
    unsigned send_max;   /* if not 0: hold every datagram after this many */
    unsigned drop_in_at; /* if not 0: lose the datagram read with this number */
    size_t in_max;       /* largest datagram read */
    unsigned nout, nin;
    uint8_t out[FIX_DGRAM_MAX];
    size_t out_len;
    uint8_t in[FIX_DGRAM_MAX];
    size_t in_len;
    /* sequence numbers of the protected (epoch > 0) records read */
    int in_seq_seen;
    uint64_t in_seq_first, in_seq_last, in_seq_max;
} fix_capture_t;

static BIO_METHOD *fix_capture_method;

FIX void fix_capture_track(fix_capture_t *cap, const uint8_t *p, size_t n)
{
    while (n >= 13) {
        size_t len = (size_t)fix_get_be(p + 11, 2);
        if (13 + len > n)
            return;
        if (fix_get_be(p + 3, 2) > 0) {
            uint64_t seq = fix_get_be(p + 5, 6);
            if (!cap->in_seq_seen)
                cap->in_seq_first = seq;
            cap->in_seq_last = seq;
            if (!cap->in_seq_seen || seq > cap->in_seq_max)
                cap->in_seq_max = seq;
            cap->in_seq_seen = 1;
        }
        p += 13 + len;
        n -= 13 + len;
    }
}

FIX int fix_capture_write(BIO *b, const char *in, int n)
{
    fix_capture_t *cap = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (n < 0 || (size_t)n > sizeof cap->out)
        return -1;
    memcpy(cap->out, in, (size_t)n);
    cap->out_len = (size_t)n;
    cap->nout++;
    if (cap->hold || (cap->send_max != 0 && cap->nout > cap->send_max))
        return n;
    int r = BIO_write(BIO_next(b), in, n);
    BIO_copy_next_retry(b);
    return r;
}

FIX int fix_capture_read(BIO *b, char *out, int n)
{
    fix_capture_t *cap = BIO_get_data(b);
    int r = BIO_read(BIO_next(b), out, n);
    BIO_clear_retry_flags(b);
    BIO_copy_next_retry(b);
    if (r > 0 && ++cap->nin == cap->drop_in_at) {
        BIO_set_retry_read(b);
        return -1; /* as if the network lost it */
    }
    if (r > 0) {
        size_t k = (size_t)r < sizeof cap->in ? (size_t)r : sizeof cap->in;
        if ((size_t)r > cap->in_max)
            cap->in_max = (size_t)r;
        memcpy(cap->in, out, k);
        cap->in_len = k;
        fix_capture_track(cap, cap->in, k);
    }
    return r;
}

FIX long fix_capture_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    BIO *next = BIO_next(b);
    return next != NULL ? BIO_ctrl(next, cmd, num, ptr) : 0;
}

FIX int fix_capture_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* cmocka group setup and teardown for every program using clients. */
FIX int fix_group_setup(void **state)
{
    (void)state;
    fix_capture_method =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER, "datagram capture");
    if (fix_capture_method == NULL ||
        !BIO_meth_set_write(fix_capture_method, fix_capture_write) ||
        !BIO_meth_set_read(fix_capture_method, fix_capture_read) ||
        !BIO_meth_set_ctrl(fix_capture_method, fix_capture_ctrl) ||
        !BIO_meth_set_create(fix_capture_method, fix_capture_create))
        return -1;
    return 0;
}

FIX int fix_group_teardown(void **state)
{
    (void)state;
    BIO_meth_free(fix_capture_method);
    fix_capture_method = NULL;
    return 0;
}

/* ---- OpenSSL clients ------------------------------------------------- */

typedef struct {
    int fd;
    uint16_t port; /* local */
    SSL_CTX *ctx;
    SSL *ssl;
    fix_capture_t cap;
    char identity[BW_DTLS_IDENTITY_MAX + 1];
    uint8_t key[64];
    size_t key_len;
    unsigned long err; /* OpenSSL's error when the client gave up */
} fix_client_t;

enum { FIX_OK = 0, FIX_FAILED = -1, FIX_TIMEOUT = -2 };

FIX unsigned fix_client_psk_cb(SSL *ssl, const char *hint, char *identity,
                               unsigned max_identity, unsigned char *psk,
                               unsigned max_psk)
{
    const fix_client_t *c = SSL_get_app_data(ssl);
    (void)hint;
    size_t n = strlen(c->identity);
    if (n + 1 > max_identity || c->key_len > max_psk)
        return 0;
    memcpy(identity, c->identity, n + 1);
    memcpy(psk, c->key, c->key_len);
    return (unsigned)c->key_len;
}

/* A client of the server on port with its own socket (on local_ip) and
 * an empty DTLS 1.2 context; configure c->ctx, then
 * fix_client_handshake(). */
FIX fix_client_t *fix_client_new_from(const char *local_ip, uint16_t port)
{
    fix_client_t *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->fd = fix_udp_from(local_ip, port, &c->port);
    c->ctx = SSL_CTX_new(DTLS_client_method());
    assert_non_null(c->ctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(c->ctx, DTLS1_2_VERSION), 1);
    /* CCM-8 sits below OpenSSL 3's default security level. */
    SSL_CTX_set_security_level(c->ctx, 0);
    return c;
}

FIX fix_client_t *fix_client_new(uint16_t port)
{
    return fix_client_new_from("127.0.0.1", port);
}

/* A PSK client (on local_ip) offering exactly one suite. */
FIX fix_client_t *fix_client_psk_from(const char *local_ip, uint16_t port,
                                      const char *suite, const char *identity,
                                      const uint8_t *key, size_t key_len)
{
    fix_client_t *c = fix_client_new_from(local_ip, port);
    assert_true(strlen(identity) <= BW_DTLS_IDENTITY_MAX &&
                key_len <= sizeof c->key);
    snprintf(c->identity, sizeof c->identity, "%s", identity);
    memcpy(c->key, key, key_len);
    c->key_len = key_len;
    assert_int_equal(SSL_CTX_set_cipher_list(c->ctx, suite), 1);
    SSL_CTX_set_psk_client_callback(c->ctx, fix_client_psk_cb);
    return c;
}

FIX fix_client_t *fix_client_psk(uint16_t port, const char *suite,
                                 const char *identity, const uint8_t *key,
                                 size_t key_len)
{
    return fix_client_psk_from("127.0.0.1", port, suite, identity, key,
                               key_len);
}

/* Create the SSL object over socket + capture BIO (once per client). */
FIX void fix_client_ssl(fix_client_t *c)
{
    assert_null(c->ssl);
    assert_non_null(fix_capture_method);
    c->ssl = SSL_new(c->ctx);
    assert_non_null(c->ssl);
    SSL_set_app_data(c->ssl, c);
    BIO *sock = BIO_new_dgram(c->fd, BIO_NOCLOSE);
    BIO *filter = BIO_new(fix_capture_method);
    BIO_ADDR *peer = BIO_ADDR_new();
    assert_true(sock != NULL && filter != NULL && peer != NULL);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    assert_int_equal(getpeername(c->fd, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(BIO_ADDR_rawmake(peer, AF_INET, &a.sin_addr,
                                      sizeof a.sin_addr, a.sin_port),
                     1);
    assert_int_equal(BIO_ctrl_set_connected(sock, peer), 1);
    BIO_ADDR_free(peer);
    BIO_set_data(filter, &c->cap);
    assert_non_null(BIO_push(filter, sock));
    SSL_set_bio(c->ssl, filter, filter);
    SSL_set_options(c->ssl, SSL_OP_NO_QUERY_MTU);
    DTLS_set_link_mtu(c->ssl, 1400);
    SSL_set_connect_state(c->ssl);
}

/* Wait for the socket to become readable, running the client's DTLS
 * retransmission timer meanwhile.  1 readable, 0 deadline passed, -1 the
 * client gave up retransmitting. */
FIX int fix_client_wait(fix_client_t *c, uint64_t end)
{
    for (;;) {
        uint64_t now = fix_now_ms();
        if (now >= end)
            return 0;
        uint64_t wait = end - now;
        struct timeval tv;
        int timer = c->ssl != NULL && DTLSv1_get_timeout(c->ssl, &tv) == 1;
        if (timer) {
            uint64_t t =
                (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
            if (t < wait)
                wait = t;
        }
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r = poll(&p, 1, (int)wait);
        if (r > 0)
            return 1;
        if (timer && DTLSv1_get_timeout(c->ssl, &tv) == 1 && tv.tv_sec == 0 &&
            tv.tv_usec == 0 && DTLSv1_handle_timeout(c->ssl) < 0)
            return -1;
    }
}

/* Run the handshake: FIX_OK, FIX_FAILED (OpenSSL gave up: an alert, an
 * error) or FIX_TIMEOUT (no verdict within timeout_ms). */
FIX int fix_client_handshake(fix_client_t *c, unsigned timeout_ms)
{
    if (c->ssl == NULL)
        fix_client_ssl(c);
    uint64_t end = fix_now_ms() + timeout_ms;
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(c->ssl);
        if (r == 1)
            return FIX_OK;
        int e = SSL_get_error(c->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            c->err = ERR_peek_last_error();
            ERR_clear_error();
            return FIX_FAILED;
        }
        int w = fix_client_wait(c, end);
        if (w == 0)
            return FIX_TIMEOUT;
        if (w < 0)
            return FIX_FAILED;
    }
}

/* One application datagram within timeout_ms: its length, 0 if none came,
 * -1 if the connection failed or was closed. */
FIX int fix_client_read(fix_client_t *c, uint8_t *buf, size_t cap,
                        unsigned timeout_ms)
{
    uint64_t end = fix_now_ms() + timeout_ms;
    for (;;) {
        ERR_clear_error();
        int r = SSL_read(c->ssl, buf, (int)cap);
        if (r > 0)
            return r;
        int e = SSL_get_error(c->ssl, r);
        if (e != SSL_ERROR_WANT_READ) {
            ERR_clear_error();
            return -1;
        }
        int w = fix_client_wait(c, end);
        if (w <= 0)
            return w;
    }
}

FIX void fix_client_write(fix_client_t *c, const void *data, size_t len)
{
    ERR_clear_error();
    assert_int_equal(SSL_write(c->ssl, data, (int)len), (int)len);
}

/* Send msg and expect the same bytes back (the server echoes). */
FIX void fix_echo(fix_client_t *c, const char *msg)
{
    size_t n = strlen(msg);
    uint8_t buf[FIX_DGRAM_MAX];
    fix_client_write(c, msg, n);
    int r = fix_client_read(c, buf, sizeof buf, FIX_WAIT_MS);
    if (r <= 0)
        fail_msg("no echo of \"%s\" from the server on port %u (%s)", msg,
                 c->port, r == 0 ? "timeout" : "connection failed");
    assert_int_equal((size_t)r, n);
    assert_memory_equal(buf, msg, n);
}

/* Nothing arrives for the client within ms (no echo of a refused record). */
FIX void fix_expect_silence(fix_client_t *c, unsigned ms)
{
    uint8_t buf[FIX_DGRAM_MAX];
    int r = fix_client_read(c, buf, sizeof buf, ms);
    if (r > 0)
        fail_msg("unexpected %d bytes for the client on port %u", r, c->port);
}

/* Send bytes from the client's own address, bypassing its SSL object. */
FIX void fix_client_raw(fix_client_t *c, const uint8_t *d, size_t n)
{
    fix_udp_send(c->fd, d, n);
}

FIX void fix_client_free(fix_client_t *c)
{
    if (c == NULL)
        return;
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
    OPENSSL_cleanse(c->key, sizeof c->key);
    free(c);
}

/* Whether the client gave up because the server sent a fatal alert. */
FIX int fix_client_got_alert(const fix_client_t *c)
{
    int reason = ERR_GET_REASON(c->err);
    return reason >= SSL_AD_REASON_OFFSET &&
           reason < SSL_AD_REASON_OFFSET + 256;
}

/* A PSK client of the table's device-a that completes its handshake. */
FIX fix_client_t *fix_client_ok(uint16_t port, const char *suite)
{
    fix_client_t *c =
        fix_client_psk(port, suite, "device-a", fix_key_a, sizeof fix_key_a);
    int r = fix_client_handshake(c, FIX_WAIT_MS);
    if (r != FIX_OK)
        fail_msg("handshake of a valid client: %s",
                 r == FIX_TIMEOUT ? "timed out" : "failed");
    return c;
}

#endif /* BW_DTLS_CLIENT_FIXTURE_H */
