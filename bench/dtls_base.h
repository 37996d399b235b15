/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/dtls: baselines measured in the same run.
 *
 * 1. `openssl speed` for the primitives a handshake or a record costs:
 *    ECDH P-256, ECDSA P-256 sign and verify, AES-128-GCM and
 *    HMAC-SHA256 on 128-byte blocks (run as subprocesses, machine-readable
 *    output parsed).
 *
 * 2. Stock OpenSSL's DTLS server state machine alone: a client and a
 *    server SSL object in this process, joined by in-memory datagram
 *    queues, with the server configured as the engine configures its
 *    SSL_CTX (same suites, group, client certificate check, no session
 *    cache).  Only the server's calls are timed (SSL_new and SSL_free
 *    included), with the monotonic clock: the thread CPU clock is a
 *    system call, too slow to read around every call, and this thread is
 *    pinned, so the best of three rounds is the least disturbed.  No
 *    sockets, no cookie exchange, no key export.  It is the floor under the
 * engine's cost per handshake: what is left above it is the engine's own work
 *    (sockets, HelloVerifyRequest, BIO, key derivation, session table).
 *
 * Included by bench/dtls.c only.
 */
#ifndef BW_BENCH_DTLS_BASE_H
#define BW_BENCH_DTLS_BASE_H

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

#include "dtls_certs.h"
#include "dtls_child.h"
#include "dtls_load.h"

typedef struct {
    double ecdh, ecdsa_sign, ecdsa_verify; /* operations per second */
    double gcm128, hmac128;                /* 128-byte blocks per second */
} speed_t;

/* Run one `openssl speed -mr` and pick the figures out of its +F lines. */
static void speed_run(const char *args, speed_t *sp)
{
    char cmd[256], line[512];
    snprintf(cmd, sizeof cmd, "openssl speed -mr -seconds 1 %s 2>/dev/null",
             args);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return;
    while (fgets(line, sizeof line, p) != NULL) {
        int idx, bits;
        double a, b;
        char name[64];
        if (sscanf(line, "+F4:%d:%d:%lf:%lf", &idx, &bits, &a, &b) == 4 &&
            bits == 256) {
            sp->ecdsa_sign = a;
            sp->ecdsa_verify = b;
        } else if (sscanf(line, "+F5:%d:%d:%lf", &idx, &bits, &a) == 3 &&
                   bits == 256) {
            sp->ecdh = a;
        } else if (sscanf(line, "+F:%d:%63[^:]:%lf", &idx, name, &a) == 3) {
            /* bytes per second over the one block size asked for (128) */
            if (strcmp(name, "AES-128-GCM") == 0)
                sp->gcm128 = a / 128;
            else if (strcmp(name, "hmac(sha256)") == 0)
                sp->hmac128 = a / 128;
        }
    }
    pclose(p);
}

static void speed_all(speed_t *sp)
{
    memset(sp, 0, sizeof *sp);
    speed_run("ecdhp256 ecdsap256", sp);
    speed_run("-bytes 128 -evp aes-128-gcm", sp);
    speed_run("-bytes 128 -hmac sha256", sp);
}

/* --- in-memory datagram queues ------------------------------------------ */

#define MQ_SLOTS 16
#define MQ_DGRAM 1600

typedef struct {
    uint8_t data[MQ_SLOTS][MQ_DGRAM];
    size_t len[MQ_SLOTS];
    size_t head, count;
} mq_t;

static int mq_write(BIO *b, const char *in, int n)
{
    mq_t *q = BIO_get_data(b);
    if (q->count == MQ_SLOTS || n < 0 || (size_t)n > MQ_DGRAM)
        return -1;
    size_t slot = (q->head + q->count++) % MQ_SLOTS;
    memcpy(q->data[slot], in, (size_t)n);
    q->len[slot] = (size_t)n;
    return n;
}

static int mq_read(BIO *b, char *out, int cap)
{
    mq_t *q = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (q->count == 0 || cap < 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = q->len[q->head] < (size_t)cap ? q->len[q->head] : (size_t)cap;
    memcpy(out, q->data[q->head], n);
    q->head = (q->head + 1) % MQ_SLOTS;
    q->count--;
    return (int)n;
}

static long mq_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return 28;
    default:
        return 0;
    }
}

static int mq_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

typedef struct {
    BIO_METHOD *method;
    SSL_CTX *server, *client;
    mq_t c2s, s2c;
} base_t;

static BIO *mq_bio(base_t *b, mq_t *q)
{
    BIO *bio = BIO_new(b->method);
    if (bio == NULL)
        certs_die("BIO_new");
    BIO_set_data(bio, q);
    return bio;
}

static unsigned base_server_psk(SSL *ssl, const char *identity,
                                unsigned char *psk, unsigned max_psk)
{
    (void)ssl;
    size_t len;
    if (child_psk(NULL, (const uint8_t *)identity, strlen(identity), psk,
                  max_psk, &len) != 0)
        return 0;
    return (unsigned)len;
}

/* The server context as dtls_hs.c sets it up. */
static SSL_CTX *base_server_ctx(const bench_certs_t *certs, int cert_mode)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());
    if (ctx == NULL)
        certs_die("server SSL_CTX");
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    const char *ciphers =
        cert_mode ? "ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-AES128-GCM-SHA256"
                  : "PSK-AES128-CCM8:PSK-AES128-GCM-SHA256";
    if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1 ||
        SSL_CTX_set1_groups_list(ctx, "P-256") != 1)
        certs_die("server cipher suites");
    if (!cert_mode) {
        SSL_CTX_set_psk_server_callback(ctx, base_server_psk);
        return ctx;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, certs->server_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, certs->server_key, SSL_FILETYPE_PEM) !=
            1 ||
        SSL_CTX_load_verify_locations(ctx, certs->ca, NULL) != 1)
        certs_die("server certificate");
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(certs->ca);
    if (names != NULL)
        SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    SSL_CTX_set_verify_depth(ctx, 4);
    return ctx;
}

/*
 * Full handshakes for `seconds` of wall time; returns handshakes per
 * second of time spent in the server's calls.  *suite gets the negotiated
 * suite's name.
 */
static double base_handshakes(base_t *b, double seconds, const char **suite)
{
    uint64_t count = 0;
    double server_time = 0, start = bench_now();
    while (bench_now() - start < seconds) {
        memset(&b->c2s, 0, sizeof b->c2s);
        memset(&b->s2c, 0, sizeof b->s2c);
        SSL *c = SSL_new(b->client);
        double t0 = bench_now();
        SSL *s = SSL_new(b->server);
        if (s != NULL) {
            SSL_set_bio(s, mq_bio(b, &b->c2s), mq_bio(b, &b->s2c));
            SSL_set_mtu(s, 1400);
            SSL_set_accept_state(s);
        }
        server_time += bench_now() - t0;
        if (c == NULL || s == NULL)
            certs_die("SSL_new");
        SSL_set_bio(c, mq_bio(b, &b->s2c), mq_bio(b, &b->c2s));
        SSL_set_mtu(c, 1400);
        SSL_set_connect_state(c);
        int c_done = 0, s_done = 0;
        for (int turn = 0; turn < 32 && !(c_done && s_done); turn++) {
            if (!c_done)
                c_done = SSL_do_handshake(c) == 1;
            if (!s_done) {
                t0 = bench_now();
                s_done = SSL_do_handshake(s) == 1;
                server_time += bench_now() - t0;
            }
        }
        if (!c_done || !s_done) {
            ERR_print_errors_fp(stderr);
            certs_die("in-memory handshake");
        }
        if (*suite == NULL)
            *suite = SSL_get_cipher_name(s);
        SSL_free(c);
        t0 = bench_now();
        SSL_free(s);
        server_time += bench_now() - t0;
        count++;
    }
    return (double)count / server_time;
}

static double base_run(const bench_certs_t *certs, int cert_mode,
                       double seconds, const char **suite)
{
    base_t b;
    memset(&b, 0, sizeof b);
    b.method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                            "bench datagram queue");
    if (b.method == NULL || !BIO_meth_set_write(b.method, mq_write) ||
        !BIO_meth_set_read(b.method, mq_read) ||
        !BIO_meth_set_ctrl(b.method, mq_ctrl) ||
        !BIO_meth_set_create(b.method, mq_create))
        certs_die("BIO method");
    b.server = base_server_ctx(certs, cert_mode);
    b.client = load_ctx(certs, cert_mode);
    double rate = 0;
    for (int round = 0; round < 3; round++) {
        double r = base_handshakes(&b, seconds / 3, suite);
        if (r > rate)
            rate = r;
    }
    SSL_CTX_free(b.server);
    SSL_CTX_free(b.client);
    BIO_meth_free(b.method);
    return rate;
}

#endif /* BW_BENCH_DTLS_BASE_H */
