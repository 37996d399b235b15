/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Our record layer and cookie exchange against real OpenSSL DTLS 1.2
 * peers, in one process, over an in-memory datagram channel that lets the
 * test read, drop, change and inject every datagram.
 *
 * Records, once per cipher suite (PSK-AES128-CCM8, PSK-AES128-GCM-SHA256;
 * each cipher list holds only that suite, and the negotiated one is
 * checked): an OpenSSL client and server complete a PSK handshake; the
 * keys derived here from the server's master secret and randoms must
 *   - open the client's application records (several sizes) and its
 *     close_notify alert;
 *   - seal records the client accepts (epoch 1, sequence numbers above
 *     anything the server used), while a replay of one of them and a
 *     copy with one flipped bit are not delivered.
 * And a flipped bit in a captured client record is refused by our open.
 *
 * Cookies: the first ClientHello of an OpenSSL client parses; our
 * HelloVerifyRequest makes it send a second ClientHello carrying our
 * cookie, with the same random and message_seq 1; the cookie checks for
 * the same peer and secret, before and after a rotation, and is refused
 * for another peer, another secret, or after two rotations.  Finally an
 * OpenSSL server behind DTLSv1_listen(), whose cookie verification is our
 * check, takes that second ClientHello and completes the handshake: the
 * exchange hands over to OpenSSL without a hitch.
 *
 * Setting BW_DTLS_CORPUS_DIR writes the captured datagrams there; that is
 * how the real datagrams in the fuzz seed corpora were made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "dtls_hello.h"
#include "dtls_record.h"
#include "testutil.h"

/* ---- in-memory datagram channel --------------------------------------- */

#define QUEUE_SLOTS 32
#define DGRAM_MAX   2048

typedef struct {
    uint8_t data[QUEUE_SLOTS][DGRAM_MAX];
    size_t len[QUEUE_SLOTS];
    size_t head, count;
} dgram_queue_t;

static dgram_queue_t c2s, s2c; /* client to server, server to client */
static BIO_METHOD *queue_method;

static void queue_push(dgram_queue_t *q, const uint8_t *d, size_t n)
{
    assert_true(q->count < QUEUE_SLOTS);
    assert_true(n <= DGRAM_MAX);
    size_t slot = (q->head + q->count) % QUEUE_SLOTS;
    memcpy(q->data[slot], d, n);
    q->len[slot] = n;
    q->count++;
}

/* Take the oldest datagram; 0 if there is none. */
static size_t queue_pop(dgram_queue_t *q, uint8_t *out, size_t cap)
{
    if (q->count == 0)
        return 0;
    size_t n = q->len[q->head];
    assert_true(n <= cap);
    memcpy(out, q->data[q->head], n);
    q->head = (q->head + 1) % QUEUE_SLOTS;
    q->count--;
    return n;
}

static int qbio_write(BIO *b, const char *in, int n)
{
    queue_push(BIO_get_data(b), (const uint8_t *)in, (size_t)n);
    return n;
}

/* One datagram per read, cut to the reader's buffer as a socket would. */
static int qbio_read(BIO *b, char *out, int cap)
{
    dgram_queue_t *q = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (q->count == 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = q->len[q->head];
    if (n > (size_t)cap)
        n = (size_t)cap;
    memcpy(out, q->data[q->head], n);
    q->head = (q->head + 1) % QUEUE_SLOTS;
    q->count--;
    return (int)n;
}

static long qbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int qbio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO *queue_bio(dgram_queue_t *q)
{
    BIO *b = BIO_new(queue_method);
    assert_non_null(b);
    BIO_set_data(b, q);
    return b;
}

static int setup(void **state)
{
    (void)state;
    queue_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                "datagram queue");
    if (queue_method == NULL || !BIO_meth_set_write(queue_method, qbio_write) ||
        !BIO_meth_set_read(queue_method, qbio_read) ||
        !BIO_meth_set_ctrl(queue_method, qbio_ctrl) ||
        !BIO_meth_set_create(queue_method, qbio_create))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    BIO_meth_free(queue_method);
    return 0;
}

/* ---- OpenSSL peers ---------------------------------------------------- */

static const uint8_t psk_key[16] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba,
                                    0xdc, 0xfe, 0x01, 0x23, 0x45, 0x67,
                                    0x89, 0xab, 0xcd, 0xef};
#define PSK_IDENTITY "bulwark-test-device"

static unsigned int client_psk(SSL *ssl, const char *hint, char *identity,
                               unsigned int max_identity, unsigned char *psk,
                               unsigned int max_psk)
{
    (void)ssl;
    (void)hint;
    if (max_identity < sizeof PSK_IDENTITY || max_psk < sizeof psk_key)
        return 0;
    memcpy(identity, PSK_IDENTITY, sizeof PSK_IDENTITY);
    memcpy(psk, psk_key, sizeof psk_key);
    return sizeof psk_key;
}

static unsigned int server_psk(SSL *ssl, const char *identity,
                               unsigned char *psk, unsigned int max_psk)
{
    (void)ssl;
    if (strcmp(identity, PSK_IDENTITY) != 0 || max_psk < sizeof psk_key)
        return 0;
    memcpy(psk, psk_key, sizeof psk_key);
    return sizeof psk_key;
}

static SSL *new_peer(int server, const char *suite)
{
    SSL_CTX *ctx =
        SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION), 1);
    /* CCM-8 sits below the default security level in OpenSSL 3. */
    SSL_CTX_set_security_level(ctx, 0);
    assert_int_equal(SSL_CTX_set_cipher_list(ctx, suite), 1);
    if (server)
        SSL_CTX_set_psk_server_callback(ctx, server_psk);
    else
        SSL_CTX_set_psk_client_callback(ctx, client_psk);
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    SSL_CTX_free(ctx); /* the SSL keeps its own reference */
    SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl, 1400);
    if (server) {
        SSL_set_bio(ssl, queue_bio(&c2s), queue_bio(&s2c));
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_bio(ssl, queue_bio(&s2c), queue_bio(&c2s));
        SSL_set_connect_state(ssl);
    }
    return ssl;
}

static void reset_channel(void)
{
    memset(&c2s, 0, sizeof c2s);
    memset(&s2c, 0, sizeof s2c);
}

/* Step both sides until both report the handshake done. */
static void handshake(SSL *client, SSL *server)
{
    int done_c = 0, done_s = 0;
    for (int i = 0; i < 50 && !(done_c && done_s); i++) {
        if (!done_c) {
            int rc = SSL_do_handshake(client);
            done_c = rc == 1;
            if (rc <= 0 && SSL_get_error(client, rc) != SSL_ERROR_WANT_READ) {
                ERR_print_errors_fp(stderr);
                fail_msg("client handshake failed");
            }
        }
        if (!done_s) {
            int rc = SSL_do_handshake(server);
            done_s = rc == 1;
            if (rc <= 0 && SSL_get_error(server, rc) != SSL_ERROR_WANT_READ) {
                ERR_print_errors_fp(stderr);
                fail_msg("server handshake failed");
            }
        }
    }
    assert_true(done_c && done_s);
}

static void save_capture(const char *name, const uint8_t *d, size_t n)
{
    const char *dir = getenv("BW_DTLS_CORPUS_DIR");
    if (dir == NULL)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
}

/* ---- records ---------------------------------------------------------- */

static void records_with(const char *suite, const char *openssl_name,
                         bw_dtls_aead_t alg, const char *tag)
{
    reset_channel();
    SSL *client = new_peer(0, suite), *server = new_peer(1, suite);
    handshake(client, server);
    assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(server)),
                        openssl_name);
    assert_int_equal(SSL_version(server), DTLS1_2_VERSION);

    uint8_t master[BW_DTLS_MASTER_LEN], cr[32], sr[32];
    assert_int_equal(SSL_SESSION_get_master_key(SSL_get_session(server), master,
                                                sizeof master),
                     sizeof master);
    assert_int_equal(SSL_get_client_random(server, cr, sizeof cr), 32);
    assert_int_equal(SSL_get_server_random(server, sr, sizeof sr), 32);
    bw_dtls_keys_t cw, sw;
    bw_assert_err(bw_dtls_derive_keys(master, cr, sr, &cw, &sw), 0);
    OPENSSL_cleanse(master, sizeof master);
    /* Nothing may be left in flight before we start capturing. */
    assert_int_equal(c2s.count, 0);
    assert_int_equal(s2c.count, 0);

    bw_dtls_aead_ctx_t *aead = bw_dtls_aead_new();
    assert_non_null(aead);
    uint8_t msg[1000], dgram[DGRAM_MAX], out[DGRAM_MAX];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 13 + 1);

    /* (1) client records open with the client-write keys */
    static const size_t sizes[] = {1, 120, 1000};
    bw_dtls_replay_t window = {0, 0};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(SSL_write(client, msg, (int)sizes[i]), (int)sizes[i]);
        size_t n = queue_pop(&c2s, dgram, sizeof dgram);
        assert_int_equal(n, sizes[i] + bw_dtls_overhead(alg));
        const uint8_t *p = dgram;
        size_t left = n, ol = 0;
        bw_dtls_rec_t r;
        bw_assert_err(bw_dtls_rec_next(&p, &left, &r), 0);
        assert_int_equal(left, 0);
        assert_int_equal(r.type, BW_DTLS_CT_APPDATA);
        assert_int_equal(r.epoch, 1);
        bw_assert_err(bw_dtls_replay_check(&window, r.seq), 0);
        bw_assert_err(bw_dtls_open(aead, alg, &cw, &r, out, sizeof out, &ol),
                      0);
        bw_dtls_replay_update(&window, r.seq);
        assert_int_equal(ol, sizes[i]);
        assert_memory_equal(out, msg, ol);
        /* the server-write keys must not open it */
        bw_assert_err(bw_dtls_open(aead, alg, &sw, &r, out, sizeof out, &ol),
                      BW_EAUTH);
        if (i == 1) {
            char name[64];
            snprintf(name, sizeof name, "openssl_appdata_%s.bin", tag);
            save_capture(name, dgram, n);
            /* (4) one flipped bit in the captured record is refused */
            for (size_t byte = BW_DTLS_HDR_LEN; byte < n; byte += 7) {
                dgram[byte] ^= 0x04;
                bw_assert_err(
                    bw_dtls_open(aead, alg, &cw, &r, out, sizeof out, &ol),
                    BW_EAUTH);
                dgram[byte] ^= 0x04;
            }
        }
    }

    /* (2) records we seal with the server-write keys reach the client */
    uint8_t rec[DGRAM_MAX];
    size_t rl = 0;
    for (size_t i = 0; i < 3; i++) {
        bw_assert_err(bw_dtls_seal(aead, alg, &sw, BW_DTLS_CT_APPDATA, 1,
                                   100 + i, msg + i, sizes[i], rec, sizeof rec,
                                   &rl),
                      0);
        queue_push(&s2c, rec, rl);
        int got = SSL_read(client, out, sizeof out);
        assert_int_equal(got, (int)sizes[i]);
        assert_memory_equal(out, msg + i, sizes[i]);
    }

    /* (3) the client does not deliver a replay, nor a record with one
     * flipped bit; a fresh record after them still arrives. */
    queue_push(&s2c, rec, rl);
    assert_true(SSL_read(client, out, sizeof out) <= 0);
    assert_int_equal(SSL_get_error(client, -1), SSL_ERROR_WANT_READ);
    bw_assert_err(bw_dtls_seal(aead, alg, &sw, BW_DTLS_CT_APPDATA, 1, 200, msg,
                               120, rec, sizeof rec, &rl),
                  0);
    rec[rl - 1] ^= 0x80;
    queue_push(&s2c, rec, rl);
    assert_true(SSL_read(client, out, sizeof out) <= 0);
    assert_int_equal(SSL_get_error(client, -1), SSL_ERROR_WANT_READ);
    rec[rl - 1] ^= 0x80;
    queue_push(&s2c, rec, rl);
    assert_int_equal(SSL_read(client, out, sizeof out), 120);
    assert_memory_equal(out, msg, 120);

    /* The client's close_notify is an alert we can open and parse. */
    SSL_shutdown(client);
    size_t n = queue_pop(&c2s, dgram, sizeof dgram);
    assert_true(n > 0);
    const uint8_t *p = dgram;
    size_t left = n, ol = 0;
    bw_dtls_rec_t r;
    bw_assert_err(bw_dtls_rec_next(&p, &left, &r), 0);
    assert_int_equal(r.type, BW_DTLS_CT_ALERT);
    bw_assert_err(bw_dtls_open(aead, alg, &cw, &r, out, sizeof out, &ol), 0);
    uint8_t level, desc;
    bw_assert_err(bw_dtls_alert_parse(out, ol, &level, &desc), 0);
    assert_int_equal(level, BW_DTLS_ALERT_WARNING);
    assert_int_equal(desc, BW_DTLS_ALERT_CLOSE_NOTIFY);
    char name[64];
    snprintf(name, sizeof name, "openssl_alert_%s.bin", tag);
    save_capture(name, dgram, n);

    bw_dtls_aead_free(aead);
    OPENSSL_cleanse(&cw, sizeof cw);
    OPENSSL_cleanse(&sw, sizeof sw);
    SSL_free(client);
    SSL_free(server);
}

static void test_records_ccm8(void **state)
{
    (void)state;
    records_with("PSK-AES128-CCM8", "PSK-AES128-CCM8", BW_DTLS_AES128_CCM8,
                 "ccm8");
}

static void test_records_gcm(void **state)
{
    (void)state;
    records_with("PSK-AES128-GCM-SHA256", "PSK-AES128-GCM-SHA256",
                 BW_DTLS_AES128_GCM, "gcm");
}

/* ---- cookie exchange -------------------------------------------------- */

static const uint8_t secret_a[BW_DTLS_COOKIE_SECRET_LEN] = {1, 2, 3, 4, 5};
static const uint8_t secret_b[BW_DTLS_COOKIE_SECRET_LEN] = {9, 8, 7, 6, 5};
static const uint8_t secret_c[BW_DTLS_COOKIE_SECRET_LEN] = {7, 7, 7};

static struct sockaddr_in peer_addr(uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(0x7f000001);
    return a;
}

/* What the listening server's verify callback checks against: the
 * engine would keep the same two things next to the SSL object. */
static bw_dtls_hello_t listen_hello;
static struct sockaddr_in listen_peer;

static int verify_cookie_cb(SSL *ssl, const unsigned char *cookie,
                            unsigned int len)
{
    (void)ssl;
    /* OpenSSL hands over the cookie it parsed; it must be the one our
     * parser saw, and it must check. */
    return len == listen_hello.cookie_len &&
           memcmp(cookie, listen_hello.cookie, len) == 0 &&
           bw_dtls_cookie_check(secret_a, NULL, &listen_peer,
                                sizeof listen_peer, &listen_hello) == 0;
}

static int generate_cookie_cb(SSL *ssl, unsigned char *cookie,
                              unsigned int *len)
{
    /* Reached only if verification failed: refuse to go on. */
    (void)ssl;
    (void)cookie;
    (void)len;
    return 0;
}

static void test_cookie_exchange(void **state)
{
    (void)state;
    reset_channel();
    SSL *client = new_peer(0, "PSK-AES128-CCM8:PSK-AES128-GCM-SHA256");
    uint8_t d1[DGRAM_MAX], d2[DGRAM_MAX], hvr[64];
    bw_dtls_hello_t h1, h2;

    assert_true(SSL_connect(client) <= 0);
    size_t n1 = queue_pop(&c2s, d1, sizeof d1);
    assert_true(n1 > 0);
    save_capture("openssl_client_hello.bin", d1, n1);
    bw_assert_err(bw_dtls_hello_parse(d1, n1, &h1), 0);
    assert_int_equal(h1.client_version, BW_DTLS_VERSION_12);
    assert_int_equal(h1.cookie_len, 0);
    assert_int_equal(h1.message_seq, 0);
    assert_true(h1.cipher_suites_len >= 4);

    struct sockaddr_in pa = peer_addr(40001), pb = peer_addr(40002);
    uint8_t cookie[BW_DTLS_COOKIE_LEN];
    bw_assert_err(bw_dtls_cookie_make(secret_a, &pa, sizeof pa, &h1, cookie),
                  0);
    bw_assert_err(bw_dtls_cookie_check(secret_a, NULL, &pa, sizeof pa, &h1),
                  BW_EAUTH); /* no cookie yet */
    size_t hl = 0;
    bw_assert_err(bw_dtls_hvr_build(&h1, cookie, hvr, sizeof hvr, &hl), 0);
    save_capture("hello_verify_request.bin", hvr, hl);
    queue_push(&s2c, hvr, hl);

    assert_true(SSL_connect(client) <= 0);
    assert_int_equal(SSL_get_error(client, -1), SSL_ERROR_WANT_READ);
    size_t n2 = queue_pop(&c2s, d2, sizeof d2);
    assert_true(n2 > 0);
    save_capture("openssl_client_hello_cookie.bin", d2, n2);
    bw_assert_err(bw_dtls_hello_parse(d2, n2, &h2), 0);
    assert_int_equal(h2.cookie_len, BW_DTLS_COOKIE_LEN);
    assert_memory_equal(h2.cookie, cookie, BW_DTLS_COOKIE_LEN);
    assert_memory_equal(h2.random, h1.random, 32);
    assert_int_equal(h2.message_seq, 1);

    bw_assert_err(bw_dtls_cookie_check(secret_a, NULL, &pa, sizeof pa, &h2), 0);
    bw_assert_err(bw_dtls_cookie_check(secret_a, NULL, &pb, sizeof pb, &h2),
                  BW_EAUTH);
    bw_assert_err(bw_dtls_cookie_check(secret_a, NULL, &pa, sizeof pa - 1, &h2),
                  BW_EAUTH);
    bw_assert_err(bw_dtls_cookie_check(secret_b, NULL, &pa, sizeof pa, &h2),
                  BW_EAUTH);
    /* rotation: a becomes previous, b current */
    bw_assert_err(bw_dtls_cookie_check(secret_b, secret_a, &pa, sizeof pa, &h2),
                  0);
    bw_assert_err(bw_dtls_cookie_check(secret_b, secret_a, &pb, sizeof pb, &h2),
                  BW_EAUTH);
    /* second rotation: a is gone */
    bw_assert_err(bw_dtls_cookie_check(secret_c, secret_b, &pa, sizeof pa, &h2),
                  BW_EAUTH);

    /* An OpenSSL server takes over from the second ClientHello. */
    SSL *server = new_peer(1, "PSK-AES128-CCM8:PSK-AES128-GCM-SHA256");
    SSL_set_options(server, SSL_OP_COOKIE_EXCHANGE);
    SSL_CTX *sctx = SSL_get_SSL_CTX(server);
    SSL_CTX_set_cookie_verify_cb(sctx, verify_cookie_cb);
    SSL_CTX_set_cookie_generate_cb(sctx, generate_cookie_cb);
    listen_hello = h2;
    listen_peer = pa;
    queue_push(&c2s, d2, n2);
    BIO_ADDR *client_addr = BIO_ADDR_new();
    assert_non_null(client_addr);
    int rc = DTLSv1_listen(server, client_addr);
    if (rc != 1)
        ERR_print_errors_fp(stderr);
    assert_int_equal(rc, 1);
    BIO_ADDR_free(client_addr);
    handshake(client, server);
    assert_int_equal(SSL_write(client, "ping", 4), 4);
    char buf[8];
    assert_int_equal(SSL_read(server, buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);

    SSL_free(server);
    SSL_free(client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_ccm8),
        cmocka_unit_test(test_records_gcm),
        cmocka_unit_test(test_cookie_exchange),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
