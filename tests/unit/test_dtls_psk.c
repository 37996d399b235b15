/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Our PSK handshake engine (server/dtls/dtls_psk.h) against a real OpenSSL
 * DTLS 1.2 client, in one process, over an in-memory datagram channel the
 * test can read, drop, change and inject into.  The cookie exchange is
 * ours (dtls_hello.h) as in the server.
 *
 * What must hold: full handshakes complete for both suites, with and
 * without extended master secret, and the keys the engine hands over
 * carry application data both ways; a ticket it issues resumes
 * (abbreviated) and is refused once the identity is gone; every refusal
 * ends with its exact error code and the fatal alert a client sees; a
 * retransmitted client flight, or the timer, brings our last flight
 * again instead of a new handshake; a fragmented ClientKeyExchange is
 * reassembled.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "dtls_psk.h"
#include "testutil.h"

/* ---- in-memory datagram channel --------------------------------------- */

#define SLOTS 32
#define DMAX  2048

typedef struct {
    uint8_t d[SLOTS][DMAX];
    size_t n[SLOTS];
    size_t head, count;
} chan_t;

static chan_t c2s, s2c;
static BIO_METHOD *chan_method;

static void push(chan_t *q, const uint8_t *d, size_t n)
{
    assert_true(q->count < SLOTS && n <= DMAX);
    size_t i = (q->head + q->count) % SLOTS;
    memcpy(q->d[i], d, n);
    q->n[i] = n;
    q->count++;
}

static size_t pop(chan_t *q, uint8_t *out)
{
    if (q->count == 0)
        return 0;
    size_t n = q->n[q->head];
    memcpy(out, q->d[q->head], n);
    q->head = (q->head + 1) % SLOTS;
    q->count--;
    return n;
}

static void drain(chan_t *q)
{
    q->head = q->count = 0;
}

static int bio_write(BIO *b, const char *in, int n)
{
    push(BIO_get_data(b), (const uint8_t *)in, (size_t)n);
    return n;
}

static int bio_read(BIO *b, char *out, int cap)
{
    chan_t *q = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (q->count == 0 || q->n[q->head] > (size_t)cap) {
        BIO_set_retry_read(b);
        return -1;
    }
    return (int)pop(q, (uint8_t *)out);
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* ---- the client ------------------------------------------------------- */

static const uint8_t key_a[16] = "0123456789abcdef";
static const uint8_t key_wrong[16] = "0123456789abcdeX";
static const char *client_id = "device-a";
static const uint8_t *client_key = key_a;
static int revoked; /* the server's lookup forgets device-a */

static unsigned client_psk(SSL *ssl, const char *hint, char *identity,
                           unsigned max_id, unsigned char *psk,
                           unsigned max_psk)
{
    (void)ssl;
    (void)hint;
    size_t n = strlen(client_id);
    if (n + 1 > max_id || max_psk < 16)
        return 0;
    memcpy(identity, client_id, n + 1);
    memcpy(psk, client_key, 16);
    return 16;
}

static unsigned fast_timer(SSL *ssl, unsigned timer_us)
{
    (void)ssl;
    return timer_us == 0 ? 2000 : 2 * timer_us; /* 2 ms, doubling */
}

typedef struct {
    const char *suite;
    int no_ems;
    SSL_SESSION *resume;
} copts_t;

static SSL *client_new(const copts_t *o)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
    assert_non_null(ctx);
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_security_level(ctx, 0); /* CCM-8 is below level 1 */
    assert_int_equal(SSL_CTX_set_cipher_list(ctx, o->suite), 1);
    SSL_CTX_set_psk_client_callback(ctx, client_psk);
    if (o->no_ems)
        SSL_CTX_set_options(ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
    SSL *ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    assert_non_null(ssl);
    SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl, 1400);
    BIO *r = BIO_new(chan_method), *w = BIO_new(chan_method);
    BIO_set_data(r, &s2c);
    BIO_set_data(w, &c2s);
    SSL_set_bio(ssl, r, w);
    SSL_set_connect_state(ssl);
    if (o->resume != NULL)
        assert_int_equal(SSL_set_session(ssl, o->resume), 1);
    return ssl;
}

/* 1 done, 0 wants more, -1 failed. */
static int client_step(SSL *ssl)
{
    int r = SSL_do_handshake(ssl);
    if (r == 1)
        return 1;
    int e = SSL_get_error(ssl, r);
    ERR_clear_error();
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

/* ---- the server side: the engine and its environment ------------------- */

static bw_dtls_psk_t eng;
static bw_dtls_psk_env_t env;
static bw_dtls_ticket_key_t tkey;
static uint64_t tcounter;
static bw_dtls_rand_pool_t pool;
static uint8_t cookie_secret[BW_DTLS_COOKIE_SECRET_LEN];
static uint8_t last_ch[DMAX + 64]; /* the second ClientHello, as sent */
static size_t last_ch_len;
static const uint8_t peer[4] = {127, 0, 0, 1};

static int lookup(void *arg, const uint8_t *id, size_t n, uint8_t *psk,
                  size_t cap, size_t *len)
{
    (void)arg;
    if (revoked || n != 8 || memcmp(id, "device-a", 8) != 0 || cap < 16)
        return BW_ENOTFOUND;
    memcpy(psk, key_a, 16);
    *len = 16;
    return 0;
}

static void env_send(void *arg, const uint8_t *d, size_t n)
{
    (void)arg;
    push(&s2c, d, n);
}

static int setup(void **state)
{
    (void)state;
    chan_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                               "test channel");
    BIO_meth_set_write(chan_method, bio_write);
    BIO_meth_set_read(chan_method, bio_read);
    BIO_meth_set_ctrl(chan_method, bio_ctrl);
    BIO_meth_set_create(chan_method, bio_create);
    env.aead = bw_dtls_aead_new();
    env.crypto = bw_dtls_crypto_new();
    env.rand = &pool;
    env.psk_lookup = lookup;
    env.ticket_key = &tkey;
    env.ticket_counter = &tcounter;
    env.send = env_send;
    env.now_ms = 1000000;
    env.now_s = 1000;
    RAND_bytes((uint8_t *)&tkey, sizeof tkey);
    RAND_bytes(cookie_secret, sizeof cookie_secret);
    return env.aead != NULL && env.crypto != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    bw_dtls_aead_free(env.aead);
    bw_dtls_crypto_free(env.crypto);
    BIO_meth_free(chan_method);
    return 0;
}

static void reset(void)
{
    drain(&c2s);
    drain(&s2c);
    client_id = "device-a";
    client_key = key_a;
    revoked = 0;
    memset(&eng, 0, sizeof eng);
}

/*
 * Run the client through the cookie exchange and hand its second
 * ClientHello to the engine; extra (may be NULL) is appended to that
 * datagram.  Returns bw_dtls_psk_start's result.
 */
static int start(SSL *c, const uint8_t *extra, size_t extra_len)
{
    uint8_t d[DMAX + 64], cookie[BW_DTLS_COOKIE_LEN], hvr[128];
    bw_dtls_hello_t h;
    size_t n, hl;
    assert_int_equal(client_step(c), 0);
    n = pop(&c2s, d);
    assert_int_equal(bw_dtls_hello_parse(d, n, &h), 0);
    assert_int_equal(
        bw_dtls_cookie_make(cookie_secret, peer, sizeof peer, &h, cookie), 0);
    assert_int_equal(bw_dtls_hvr_build(&h, cookie, hvr, sizeof hvr, &hl), 0);
    push(&s2c, hvr, hl);
    assert_int_equal(client_step(c), 0);
    n = pop(&c2s, d);
    assert_true(n > 0);
    if (extra != NULL) {
        memcpy(d + n, extra, extra_len);
        n += extra_len;
    }
    memcpy(last_ch, d, n);
    last_ch_len = n;
    assert_int_equal(bw_dtls_hello_parse(d, n, &h), 0);
    assert_int_equal(
        bw_dtls_cookie_check(cookie_secret, NULL, peer, sizeof peer, &h), 0);
    return bw_dtls_psk_start(&eng, &env, &h, d, n);
}

/* Feed every client datagram to the engine; the first error is returned. */
static int feed_all(void)
{
    uint8_t d[DMAX];
    size_t n;
    while ((n = pop(&c2s, d)) > 0) {
        int err = bw_dtls_psk_input(&eng, &env, d, n);
        if (err != 0)
            return err;
    }
    return 0;
}

/* Step both sides until the client is done or fails (at most 8 rounds). */
static int run(SSL *c)
{
    for (int i = 0; i < 8; i++) {
        int r = client_step(c);
        if (r != 0)
            return r;
        int err = feed_all();
        if (err != 0) {
            r = client_step(c); /* let the client read our alert */
            return r == 0 ? -1 : r;
        }
    }
    return 0;
}

/* The last datagram we sent is one fatal alert with this description. */
static void assert_alert(uint8_t desc)
{
    assert_true(s2c.count > 0);
    size_t last = (s2c.head + s2c.count - 1) % SLOTS;
    const uint8_t *d = s2c.d[last];
    assert_int_equal(s2c.n[last], BW_DTLS_HDR_LEN + 2);
    assert_int_equal(d[0], BW_DTLS_CT_ALERT);
    assert_int_equal(d[BW_DTLS_HDR_LEN], BW_DTLS_ALERT_FATAL);
    assert_int_equal(d[BW_DTLS_HDR_LEN + 1], desc);
}

/* Application data both ways under the keys the engine handed over. */
static void assert_keys_work(SSL *c)
{
    uint8_t d[DMAX], plain[DMAX], rec[DMAX];
    size_t n, pn, rn;
    bw_dtls_rec_t r;
    assert_int_equal(SSL_write(c, "ping", 4), 4);
    n = pop(&c2s, d);
    const uint8_t *p = d;
    assert_int_equal(bw_dtls_rec_next(&p, &n, &r), 0);
    assert_int_equal(r.type, BW_DTLS_CT_APPDATA);
    assert_int_equal(bw_dtls_open(env.aead, (bw_dtls_aead_t)eng.alg, &eng.rx,
                                  &r, plain, sizeof plain, &pn),
                     0);
    assert_int_equal(pn, 4);
    assert_memory_equal(plain, "ping", 4);
    assert_int_equal(bw_dtls_seal(env.aead, (bw_dtls_aead_t)eng.alg, &eng.tx,
                                  BW_DTLS_CT_APPDATA, 1, eng.app_seq0,
                                  (const uint8_t *)"pong", 4, rec, sizeof rec,
                                  &rn),
                     0);
    push(&s2c, rec, rn);
    char buf[16];
    assert_int_equal(SSL_read(c, buf, sizeof buf), 4);
    assert_memory_equal(buf, "pong", 4);
}

static void client_free(SSL *c)
{
    /* As after a close: OpenSSL keeps the session resumable. */
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(c);
    bw_dtls_psk_wipe(&eng);
}

/* ---- tests ------------------------------------------------------------- */

/*
 * Tried: full handshakes for each suite, with and without extended master
 * secret.  Must hold: the engine chooses the suite the client offered,
 * both ends complete, the session is not a resumption, our record keys
 * carry data both ways (so master secret, key block and both Finished
 * agree with OpenSSL's), and the client holds a resumable ticket.
 */
static void test_full(void **state)
{
    (void)state;
    static const char *suites[] = {"PSK-AES128-CCM8", "PSK-AES128-GCM-SHA256"};
    for (int s = 0; s < 2; s++) {
        for (int no_ems = 0; no_ems < 2; no_ems++) {
            reset();
            copts_t o = {suites[s], no_ems, NULL};
            SSL *c = client_new(&o);
            bw_assert_err(start(c, NULL, 0), 0);
            assert_int_equal(eng.ems, !no_ems);
            assert_int_equal(run(c), 1);
            assert_int_equal(eng.state, BW_DTLS_PSK_DONE);
            assert_string_equal(SSL_get_cipher_name(c), suites[s]);
            assert_int_equal(eng.resumed, 0);
            assert_int_equal(eng.identity_len, 8);
            assert_memory_equal(eng.identity, "device-a", 8);
            assert_int_equal(SSL_SESSION_is_resumable(SSL_get_session(c)), 1);
            assert_keys_work(c);
            client_free(c);
        }
    }
}

/*
 * Tried: a client holding a wrong key for a known identity.
 * Must hold: its Finished record does not open under the keys of our
 * PSK: BW_EAUTH, a bad_record_mac alert, the client fails, and the
 * engine is FAILED with its secrets wiped.
 */
static void test_wrong_key(void **state)
{
    (void)state;
    reset();
    client_key = key_wrong;
    copts_t o = {"PSK-AES128-CCM8", 0, NULL};
    SSL *c = client_new(&o);
    bw_assert_err(start(c, NULL, 0), 0);
    assert_int_equal(client_step(c), 0);
    bw_assert_err(feed_all(), BW_EAUTH);
    assert_int_equal(eng.state, BW_DTLS_PSK_FAILED);
    assert_string_equal(eng.why, "client Finished does not authenticate");
    static const uint8_t zero[sizeof eng.tx] = {0};
    assert_memory_equal(&eng.tx, zero, sizeof zero);
    assert_alert(BW_DTLS_ALERT_BAD_RECORD_MAC);
    client_free(c);
}

/*
 * Tried: the client's Finished record, opened with the right keys, one
 * verify_data byte changed, sealed again with the client's keys (so the
 * record authenticates but the Finished is wrong).
 * Must hold: BW_EAUTH with a decrypt_error alert, not DONE.
 */
static void test_wrong_finished(void **state)
{
    (void)state;
    reset();
    copts_t o = {"PSK-AES128-GCM-SHA256", 0, NULL};
    SSL *c = client_new(&o);
    bw_assert_err(start(c, NULL, 0), 0);
    assert_int_equal(client_step(c), 0);
    /* Record by record, each as its own datagram, so the keys exist
     * (ClientKeyExchange fed) before the Finished is re-sealed. */
    uint8_t d[DMAX], plain[DMAX], out[DMAX];
    size_t n, pn, total = 0;
    int err = 0;
    while (err == 0 && (n = pop(&c2s, d)) > 0) {
        const uint8_t *p = d;
        size_t left = n;
        bw_dtls_rec_t r;
        while (err == 0 && left > 0 && bw_dtls_rec_next(&p, &left, &r) == 0) {
            size_t on = BW_DTLS_HDR_LEN + r.fragment_len;
            if (r.epoch == 1) {
                assert_int_equal(bw_dtls_open(env.aead, (bw_dtls_aead_t)eng.alg,
                                              &eng.rx, &r, plain, sizeof plain,
                                              &pn),
                                 0);
                assert_int_equal(pn, 24);
                plain[23] ^= 1;
                assert_int_equal(bw_dtls_seal(env.aead, (bw_dtls_aead_t)eng.alg,
                                              &eng.rx, r.type, 1, r.seq, plain,
                                              pn, out, sizeof out, &on),
                                 0);
                total++;
            } else {
                memcpy(out, r.fragment - BW_DTLS_HDR_LEN, on);
            }
            err = bw_dtls_psk_input(&eng, &env, out, on);
        }
    }
    bw_assert_err(err, BW_EAUTH);
    assert_string_equal(eng.why, "client Finished does not verify");
    assert_alert(BW_DTLS_ALERT_DECRYPT_ERROR);
    assert_int_equal(total, 1);
    client_free(c);
}

/*
 * Tried: an identity the lookup does not know.
 * Must hold: BW_EAUTH at the ClientKeyExchange with an
 * unknown_psk_identity alert (115); the client fails; the refused
 * identity is kept for the log line.
 */
static void test_unknown_identity(void **state)
{
    (void)state;
    reset();
    client_id = "device-zz";
    copts_t o = {"PSK-AES128-CCM8", 0, NULL};
    SSL *c = client_new(&o);
    bw_assert_err(start(c, NULL, 0), 0);
    assert_int_equal(client_step(c), 0);
    bw_assert_err(feed_all(), BW_EAUTH);
    assert_string_equal(eng.why, "unknown PSK identity");
    assert_int_equal(eng.identity_len, 9);
    assert_alert(115);
    assert_int_equal(client_step(c), -1);
    client_free(c);
}

/* The client's ClientKeyExchange datagram (first of its flight). */
static size_t cke_datagram(uint8_t *d, SSL *c)
{
    assert_int_equal(client_step(c), 0);
    size_t n = pop(&c2s, d);
    assert_true(n > BW_DTLS_HDR_LEN + 12);
    assert_int_equal(d[BW_DTLS_HDR_LEN], 16);
    return n;
}

/*
 * Tried, each on a fresh handshake: the ClientKeyExchange cut so its
 * fragment is longer than the record; its identity length one past the
 * message; a byte after the identity; a message length above the
 * reassembly limit; a fragment reaching past its message.
 * Must hold: BW_ETRUNC, BW_ETRUNC, BW_EMALFORMED, BW_EOVERFLOW,
 * BW_EMALFORMED, each with a decode_error alert (50).
 */
static void test_bad_messages(void **state)
{
    (void)state;
    const int want[] = {BW_ETRUNC, BW_ETRUNC, BW_EMALFORMED, BW_EOVERFLOW,
                        BW_EMALFORMED};
    for (int k = 0; k < 5; k++) {
        reset();
        copts_t o = {"PSK-AES128-CCM8", 0, NULL};
        SSL *c = client_new(&o);
        bw_assert_err(start(c, NULL, 0), 0);
        uint8_t d[DMAX];
        size_t n = cke_datagram(d, c);
        uint8_t *rec = d, *hs = d + BW_DTLS_HDR_LEN;
        size_t rlen = ((size_t)rec[11] << 8) | rec[12];
        size_t mlen = ((size_t)hs[1] << 16) | (hs[2] << 8) | hs[3];
        switch (k) {
        case 0: /* record cut by one byte: the fragment overruns it */
            rec[12] = (uint8_t)(rlen - 1);
            n = BW_DTLS_HDR_LEN + rlen - 1;
            break;
        case 1: /* identity length one more than there is */
            hs[13] = (uint8_t)(hs[13] + 1);
            break;
        case 2: /* one more byte in message, fragment and record */
            hs[3] = hs[11] = (uint8_t)(mlen + 1);
            rec[12] = (uint8_t)(rlen + 1);
            d[BW_DTLS_HDR_LEN + rlen] = 0;
            n = BW_DTLS_HDR_LEN + rlen + 1;
            break;
        case 3: /* message announced at 64 KiB, this its first fragment */
            hs[1] = 1;
            hs[2] = hs[3] = 0;
            break;
        case 4: /* fragment offset 1: the fragment overruns the message */
            hs[8] = 1;
            break;
        }
        bw_assert_err(bw_dtls_psk_input(&eng, &env, d, n), want[k]);
        assert_alert(50);
        client_free(c);
    }
}

/*
 * Tried: a ClientKeyExchange (for a known identity, message_seq 2) placed
 * after the ClientHello in its datagram, before any ServerHello.  Then a
 * ClientHello (a new message_seq) where a ClientKeyExchange is expected.
 * Must hold: BW_EORDER with unexpected_message (10) and no ServerHello
 * sent; then BW_ETYPE with unexpected_message.
 */
static void test_out_of_order(void **state)
{
    (void)state;
    reset();
    copts_t o = {"PSK-AES128-CCM8", 0, NULL};
    SSL *c = client_new(&o);
    uint8_t cke[BW_DTLS_HDR_LEN + 12 + 10];
    bw_dtls_rec_header(cke, BW_DTLS_CT_HANDSHAKE, BW_DTLS_VERSION_12, 0, 9,
                       12 + 10);
    static const uint8_t msg[] = {16,  0,   0,   10,  0,   2,  0,   0,
                                  0,   0,   0,   10,  0,   8,  'd', 'e',
                                  'v', 'i', 'c', 'e', '-', 'a'};
    memcpy(cke + BW_DTLS_HDR_LEN, msg, sizeof msg);
    bw_assert_err(start(c, cke, sizeof cke), BW_EORDER);
    assert_int_equal(s2c.count, 1); /* the alert, no ServerHello */
    assert_alert(10);
    client_free(c);

    reset();
    c = client_new(&o);
    bw_assert_err(start(c, NULL, 0), 0);
    uint8_t ch[BW_DTLS_HDR_LEN + 12 + 4];
    bw_dtls_rec_header(ch, BW_DTLS_CT_HANDSHAKE, BW_DTLS_VERSION_12, 0, 9,
                       12 + 4);
    static const uint8_t m2[] = {1, 0, 0, 4, 0,    2,    0, 0,
                                 0, 0, 0, 4, 0xfe, 0xfd, 0, 0};
    memcpy(ch + BW_DTLS_HDR_LEN, m2, sizeof m2);
    drain(&s2c);
    bw_assert_err(bw_dtls_psk_input(&eng, &env, ch, sizeof ch), BW_ETYPE);
    assert_alert(10);
    client_free(c);
}

/* Number of records in a datagram and the highest epoch-1 seq, if any. */
static unsigned records_in(const uint8_t *d, size_t n, uint64_t *seq1)
{
    bw_dtls_rec_t r;
    unsigned k = 0;
    while (n > 0 && bw_dtls_rec_next(&d, &n, &r) == 0) {
        k++;
        if (r.epoch == 1)
            *seq1 = r.seq;
    }
    return k;
}

/*
 * Tried: the client's second ClientHello arrives twice; then the timer
 * runs out; then our last flight is lost and the client's timer makes it
 * send its final flight again.
 * Must hold: the repeated hello brings our first flight again (same
 * server random, two records) without a new handshake; so does the
 * timer, only once due; the client's retransmitted final flight brings
 * our ChangeCipherSpec and Finished again under a higher epoch-1 number;
 * the client completes and the first application number is above both.
 */
static void test_retransmission(void **state)
{
    (void)state;
    reset();
    copts_t o = {"PSK-AES128-CCM8", 0, NULL};
    SSL *c = client_new(&o);
    bw_assert_err(start(c, NULL, 0), 0);
    uint8_t first[DMAX], again[DMAX], d[DMAX], sr[32];
    size_t fn = pop(&s2c, first);
    memcpy(sr, eng.sr, 32);
    /* The second ClientHello again, as a client retransmits it. */
    bw_assert_err(bw_dtls_psk_input(&eng, &env, last_ch, last_ch_len), 0);
    size_t an = pop(&s2c, again);
    assert_int_equal(an, fn);
    uint64_t s1 = 0;
    assert_int_equal(records_in(again, an, &s1), 2);
    assert_memory_equal(eng.sr, sr, 32);
    assert_memory_equal(again + BW_DTLS_HDR_LEN, first + BW_DTLS_HDR_LEN, 40);
    assert_int_equal(eng.state, BW_DTLS_PSK_WAIT_CKE);

    bw_assert_err(bw_dtls_psk_timer(&eng, &env), 0);
    assert_int_equal(s2c.count, 0); /* not due yet */
    env.now_ms += 1000;
    bw_assert_err(bw_dtls_psk_timer(&eng, &env), 0);
    assert_int_equal(s2c.count, 1);
    drain(&s2c);
    push(&s2c, first, fn);

    DTLS_set_timer_cb(c, fast_timer); /* the client's own retransmission */
    assert_int_equal(client_step(c), 0);
    bw_assert_err(feed_all(), 0);
    assert_int_equal(eng.state, BW_DTLS_PSK_DONE);
    uint64_t fin1 = 0, fin2 = 0;
    size_t n = pop(&s2c, d);
    records_in(d, n, &fin1);
    drain(&s2c); /* our last flight is lost */
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
    assert_int_equal(DTLSv1_handle_timeout(c), 1);
    bw_assert_err(feed_all(), 0);
    assert_int_equal(s2c.count, 1);
    n = pop(&s2c, d);
    records_in(d, n, &fin2);
    assert_true(fin2 > fin1);
    assert_true(eng.app_seq0 > fin2);
    push(&s2c, d, n);
    assert_int_equal(client_step(c), 1);
    assert_keys_work(c);
    client_free(c);
}

/*
 * Tried: the ClientKeyExchange cut into two fragments (second half sent
 * first, each in its own datagram); then fragments of one message_seq
 * that disagree on the message length.  A fragmented ClientHello.
 * Must hold: the first handshake completes with working keys; the second
 * ends with BW_EMALFORMED; the fragmented hello is refused by the hello
 * parser with BW_EUNSUPPORTED (no handshake is started for it).
 */
static void test_fragments(void **state)
{
    (void)state;
    for (int bad = 0; bad < 2; bad++) {
        reset();
        copts_t o = {"PSK-AES128-GCM-SHA256", 0, NULL};
        SSL *c = client_new(&o);
        bw_assert_err(start(c, NULL, 0), 0);
        uint8_t d[DMAX], f[2][DMAX];
        size_t n = cke_datagram(d, c);
        const uint8_t *hs = d + BW_DTLS_HDR_LEN;
        size_t mlen = ((size_t)hs[1] << 16) | (hs[2] << 8) | hs[3];
        size_t half = mlen / 2, part[2] = {half, mlen - half};
        for (int i = 0; i < 2; i++) {
            uint8_t *r = f[i];
            bw_dtls_rec_header(r, BW_DTLS_CT_HANDSHAKE, BW_DTLS_VERSION_12, 0,
                               100 + (uint64_t)i, (uint16_t)(12 + part[i]));
            memcpy(r + BW_DTLS_HDR_LEN, hs, 6);
            size_t off = i == 0 ? 0 : half;
            uint8_t *h = r + BW_DTLS_HDR_LEN;
            h[6] = 0;
            h[7] = (uint8_t)(off >> 8);
            h[8] = (uint8_t)off;
            h[9] = 0;
            h[10] = (uint8_t)(part[i] >> 8);
            h[11] = (uint8_t)part[i];
            if (bad && i == 1)
                h[3] = (uint8_t)(h[3] + 1);
            memcpy(h + 12, hs + 12 + off, part[i]);
        }
        bw_assert_err(
            bw_dtls_psk_input(&eng, &env, f[1], BW_DTLS_HDR_LEN + 12 + part[1]),
            0);
        assert_int_equal(eng.state, BW_DTLS_PSK_WAIT_CKE);
        int err =
            bw_dtls_psk_input(&eng, &env, f[0], BW_DTLS_HDR_LEN + 12 + part[0]);
        if (bad) {
            bw_assert_err(err, BW_EMALFORMED);
            client_free(c);
            continue;
        }
        bw_assert_err(err, 0);
        assert_int_equal(eng.state, BW_DTLS_PSK_WAIT_FIN);
        /* The rest of the client's flight (CCS, Finished) if it shared
         * the datagram with the ClientKeyExchange. */
        size_t first = BW_DTLS_HDR_LEN + (((size_t)d[11] << 8) | d[12]);
        if (n > first)
            bw_assert_err(bw_dtls_psk_input(&eng, &env, d + first, n - first),
                          0);
        assert_int_equal(run(c), 1);
        assert_keys_work(c);
        client_free(c);
    }
    /* A ClientHello in two fragments never reaches the engine. */
    reset();
    copts_t o = {"PSK-AES128-CCM8", 0, NULL};
    SSL *c = client_new(&o);
    assert_int_equal(client_step(c), 0);
    uint8_t d[DMAX];
    size_t n = pop(&c2s, d);
    bw_dtls_hello_t h;
    uint8_t *hh = d + BW_DTLS_HDR_LEN;
    hh[11] = (uint8_t)(hh[11] - 1); /* fragment_length one short */
    bw_assert_err(bw_dtls_hello_parse(d, n, &h), BW_EUNSUPPORTED);
    client_free(c);
}

/*
 * Tried: a full handshake; a second client resumes with its session;
 * then the identity is revoked and a third client resumes with it.
 * Must hold: the second handshake is abbreviated (resumed, same identity,
 * keys work, OpenSSL says reused); the third is not resumed: the ticket
 * is ignored with a note, and the full handshake it falls back to fails
 * at the lookup with BW_EAUTH.
 */
static void test_ticket(void **state)
{
    (void)state;
    reset();
    copts_t o = {"PSK-AES128-CCM8", 0, NULL};
    SSL *c = client_new(&o);
    bw_assert_err(start(c, NULL, 0), 0);
    assert_int_equal(run(c), 1);
    /* Kept alive: freeing an SSL that did not shut down marks its
     * session not resumable. */
    SSL *c1 = c;
    SSL_SESSION *sess = SSL_get1_session(c1);

    reset();
    o.resume = sess;
    c = client_new(&o);
    bw_assert_err(start(c, NULL, 0), 0);
    assert_int_equal(eng.resumed, 1);
    assert_int_equal(eng.state, BW_DTLS_PSK_ABBR_WAIT_FIN);
    assert_int_equal(run(c), 1);
    /* The client is done first here: its Finished is still on its way. */
    assert_int_equal(eng.state, BW_DTLS_PSK_ABBR_WAIT_FIN);
    bw_assert_err(feed_all(), 0);
    assert_int_equal(eng.state, BW_DTLS_PSK_DONE);
    assert_int_equal(SSL_session_reused(c), 1);
    assert_memory_equal(eng.identity, "device-a", 8);
    assert_keys_work(c);
    client_free(c);

    reset();
    revoked = 1;
    c = client_new(&o);
    bw_assert_err(start(c, NULL, 0), 0);
    assert_int_equal(eng.resumed, 0);
    assert_non_null(eng.note);
    assert_int_equal(client_step(c), 0);
    bw_assert_err(feed_all(), BW_EAUTH);
    client_free(c);
    SSL_free(c1);
    SSL_SESSION_free(sess);
}

/*
 * Tried: tickets altered in one byte, cut short, and from another key.
 * Must hold: BW_EAUTH, BW_ETRUNC, BW_EAUTH; a good one opens to what was
 * sealed.
 */
static void test_ticket_codec(void **state)
{
    (void)state;
    bw_dtls_ticket_t t = {.suite = BW_DTLS_SUITE_PSK_GCM,
                          .ems = 1,
                          .issued_s = 77,
                          .identity_len = 3};
    memcpy(t.identity, "abc", 3);
    memset(t.master, 0x5a, sizeof t.master);
    uint8_t tk[BW_DTLS_TICKET_MAX];
    size_t n;
    bw_assert_err(
        bw_dtls_ticket_seal(env.aead, &tkey, &tcounter, &t, tk, sizeof tk, &n),
        0);
    bw_dtls_ticket_t u;
    bw_assert_err(bw_dtls_ticket_open(env.aead, &tkey, tk, n, &u), 0);
    assert_int_equal(u.suite, t.suite);
    assert_int_equal(u.issued_s, 77);
    assert_memory_equal(u.master, t.master, sizeof t.master);
    assert_memory_equal(u.identity, "abc", 3);
    tk[n - 1] ^= 1;
    bw_assert_err(bw_dtls_ticket_open(env.aead, &tkey, tk, n, &u), BW_EAUTH);
    tk[n - 1] ^= 1;
    bw_assert_err(bw_dtls_ticket_open(env.aead, &tkey, tk, 10, &u), BW_ETRUNC);
    bw_dtls_ticket_key_t other;
    memset(&other, 1, sizeof other);
    bw_assert_err(bw_dtls_ticket_open(env.aead, &other, tk, n, &u), BW_EAUTH);
}

/*
 * Tried: a fatal alert from the client while we wait for its
 * ClientKeyExchange; then one more datagram.
 * Must hold: BW_ECLOSED and nothing sent back (no alert answers an
 * alert); the engine is FAILED and refuses the next datagram with
 * BW_ESTATE.
 */
static void test_client_alert(void **state)
{
    (void)state;
    reset();
    copts_t o = {"PSK-AES128-CCM8", 0, NULL};
    SSL *c = client_new(&o);
    bw_assert_err(start(c, NULL, 0), 0);
    drain(&s2c);
    uint8_t a[BW_DTLS_HDR_LEN + 2];
    bw_dtls_rec_header(a, BW_DTLS_CT_ALERT, BW_DTLS_VERSION_12, 0, 9, 2);
    a[BW_DTLS_HDR_LEN] = BW_DTLS_ALERT_FATAL;
    a[BW_DTLS_HDR_LEN + 1] = BW_DTLS_ALERT_HANDSHAKE_FAILURE;
    bw_assert_err(bw_dtls_psk_input(&eng, &env, a, sizeof a), BW_ECLOSED);
    assert_int_equal(s2c.count, 0);
    assert_int_equal(eng.state, BW_DTLS_PSK_FAILED);
    bw_assert_err(bw_dtls_psk_input(&eng, &env, a, sizeof a), BW_ESTATE);
    client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_wrong_finished),
        cmocka_unit_test(test_unknown_identity),
        cmocka_unit_test(test_bad_messages),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_retransmission),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_ticket),
        cmocka_unit_test(test_ticket_codec),
        cmocka_unit_test(test_client_alert),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
