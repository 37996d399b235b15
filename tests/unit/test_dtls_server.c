/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DTLS server engine in PSK mode against real OpenSSL DTLS 1.2
 * clients over loopback UDP (tests/dtls_client_fixture.h): handshakes and
 * echoes with both suites, a wrong key, an unknown identity, garbage of
 * every kind, replayed and altered records, session resumption, a lost
 * final flight.  Certificates, admission limits and
 * restarts have their own programs (test_dtls_server_cert.c, _limits.c,
 * _restart.c).  Every server is checked on the way out: no key of the PSK
 * table appears in any of its log lines.
 */
#define _GNU_SOURCE
#include "dtls_client_fixture.h"

/* A payload of n bytes that differs per (tag, n). */
static void payload(char *out, size_t n, unsigned tag)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('a' + (i * 7 + tag) % 26);
    out[n] = '\0';
}

/*
 * Tried: a PSK handshake with the client offering only `suite`, then 20
 * echoes of 1 to 951 bytes, then close_notify.
 * Must hold: the suite is the one negotiated; every echo comes back byte
 * for byte; on_data saw 20 datagrams, each with the client's identity, PSK
 * mode and the client's port; the counters say one handshake done, 20
 * records in and out, nothing dropped, no handshake object left once
 * application data flowed; the handshake is logged with the identity;
 * the close_notify removes the session.
 */
static void psk_echo(const char *suite, const char *identity,
                     const uint8_t *key, size_t key_len)
{
    fix_server_t *h = fix_server_new();
    fix_server_start(h);
    fix_client_t *c =
        fix_client_psk(fix_port(h), suite, identity, key, key_len);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(c->ssl)),
                        suite);

    char msg[1024];
    for (unsigned i = 0; i < 20; i++) {
        payload(msg, 1 + 50 * i, i);
        fix_echo(c, msg);
    }
    assert_int_equal(fix_rx_count(h), 20);
    for (unsigned i = 0; i < 20; i++) {
        fix_rx_t r = fix_rx_get(h, i);
        assert_string_equal(r.identity, identity);
        assert_int_equal(r.mode, BW_DTLS_MODE_PSK);
        assert_int_equal(r.port, c->port);
        assert_int_equal(r.len, 1 + 50 * i);
        payload(msg, r.len, i);
        assert_memory_equal(r.data, msg,
                            r.len < FIX_RX_DATA ? r.len : FIX_RX_DATA);
    }
    bw_dtls_stats_t st = FIX_WAIT_EQ(h, handshakes, 0);
    assert_int_equal(st.handshakes_started, 1);
    assert_int_equal(st.handshakes_done, 1);
    assert_int_equal(st.handshakes_failed, 0);
    assert_int_equal(st.records_in, 20);
    assert_int_equal(st.records_out, 20);
    assert_int_equal(st.sessions, 1);
    assert_int_equal(st.dropped_auth + st.dropped_replay + st.dropped_other, 0);
    assert_int_equal(st.hvr_sent, 1);
    fix_assert_log(h, "handshake done", identity);

    assert_true(SSL_shutdown(c->ssl) >= 0);
    FIX_WAIT_EQ(h, sessions, 0);
    fix_assert_log(h, "closed by peer", NULL);
    fix_client_free(c);
    fix_server_free(h);
}

static void test_psk_ccm8(void **state)
{
    (void)state;
    psk_echo("PSK-AES128-CCM8", "device-a", fix_key_a, sizeof fix_key_a);
}

static void test_psk_gcm(void **state)
{
    (void)state;
    psk_echo("PSK-AES128-GCM-SHA256", "device-b", fix_key_b, sizeof fix_key_b);
}

/* A fresh valid client completes a handshake and gets one echo. */
static void valid_client_works(fix_server_t *h, const char *msg)
{
    fix_client_t *c = fix_client_ok(fix_port(h), "PSK-AES128-CCM8");
    fix_echo(c, msg);
    fix_client_free(c);
}

/*
 * Tried, once per suite: a client that knows identity device-a but holds
 * a key differing in its last byte.
 * Must hold: the client's handshake fails on a fatal alert from the
 * server, well before its 5 s limit (without the alert it would keep
 * retransmitting until then); handshakes_failed is 1; a log line says the
 * Finished did not authenticate; nothing is delivered and no handshake or
 * session is left; then a client with the right key is served.
 */
static void wrong_psk_with(const char *suite)
{
    fix_server_t *h = fix_server_new();
    fix_server_start(h);
    fix_client_t *bad = fix_client_psk(fix_port(h), suite, "device-a",
                                       fix_key_wrong, sizeof fix_key_wrong);
    uint64_t t0 = fix_now_ms();
    assert_int_equal(fix_client_handshake(bad, FIX_WAIT_MS), FIX_FAILED);
    uint64_t took = fix_now_ms() - t0;
    assert_true(fix_client_got_alert(bad));
    assert_true(took < FIX_WAIT_MS / 2);
    fix_client_free(bad);

    bw_dtls_stats_t st = FIX_WAIT(h, handshakes_failed, 1);
    assert_int_equal(st.handshakes_failed, 1);
    assert_int_equal(st.handshakes_done, 0);
    fix_assert_log(h, "handshake failed", "Finished");
    fix_assert_log(h, "Finished", "device-a");
    st = FIX_WAIT_EQ(h, handshakes, 0);
    assert_int_equal(st.sessions, 0);
    assert_int_equal(fix_rx_count(h), 0);

    valid_client_works(h, "after a wrong key");
    assert_int_equal(fix_rx_count(h), 1);
    assert_string_equal(fix_rx_get(h, 0).identity, "device-a");
    st = fix_stats(h);
    assert_int_equal(st.handshakes_failed, 1);
    assert_int_equal(st.handshakes_done, 1);
    fix_server_free(h);
}

static void test_wrong_psk_ccm8(void **state)
{
    (void)state;
    wrong_psk_with("PSK-AES128-CCM8");
}

static void test_wrong_psk_gcm(void **state)
{
    (void)state;
    wrong_psk_with("PSK-AES128-GCM-SHA256");
}

/*
 * Tried: a client with an identity the table does not hold, then one
 * whose identity carries format directives and control characters.
 * Must hold: each is refused with a fatal alert; the refusal is logged
 * with the identity (control characters escaped: one line, no terminal
 * sequences, the directives printed as text); nothing is delivered and no
 * handshake or session is left; then a known client is served.
 */
static void test_unknown_identity(void **state)
{
    (void)state;
    fix_server_t *h = fix_server_new();
    fix_server_start(h);
    static const char *ids[] = {"device-zz", "evil%s%n\n\x1b[2J"};
    for (unsigned i = 0; i < 2; i++) {
        fix_client_t *c = fix_client_psk(fix_port(h), "PSK-AES128-GCM-SHA256",
                                         ids[i], fix_key_a, sizeof fix_key_a);
        assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_FAILED);
        assert_true(fix_client_got_alert(c));
        fix_client_free(c);
        FIX_WAIT(h, handshakes_failed, i + 1);
    }
    fix_assert_log(h, "unknown PSK identity", "'device-zz'");
    fix_assert_log(h, "unknown PSK identity", "evil%s%n");
    assert_false(fix_log_has(h, "\n", NULL));
    assert_false(fix_log_has(h, "\x1b", NULL));

    bw_dtls_stats_t st = FIX_WAIT_EQ(h, handshakes, 0);
    assert_int_equal(st.handshakes_failed, 2);
    assert_int_equal(st.handshakes_done, 0);
    assert_int_equal(st.sessions, 0);
    assert_int_equal(fix_rx_count(h), 0);

    valid_client_works(h, "after strangers");
    assert_int_equal(fix_rx_count(h), 1);
    fix_server_free(h);
}

/* xorshift32: the same "random" garbage on every run. */
static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void fill_rand(uint8_t *p, size_t n, uint32_t *s)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)next_rand(s);
}

static uint64_t dropped(const bw_dtls_stats_t *st)
{
    return st->dropped_auth + st->dropped_replay + st->dropped_other;
}

/*
 * Tried, with one client established: from a stranger's address, random
 * datagrams of 0 to 1500 bytes and three larger than 1500, the client's
 * last application record cut at every length and whole; from the
 * client's own address, the record cut at every length 1 .. n-1, the
 * record with version 0303 (TLS, not DTLS), with version feff and a
 * sequence number 1000 ahead, and with epoch 2, two ClientHellos (no
 * cookie, a made-up cookie), random datagrams.  An echo of the client goes
 * between the batches (the server reads one socket in order, so when the echo
 * is back everything before it was handled). Must hold: nothing crashes;
 * nothing but the echoes is delivered; every stranger datagram counts as
 * dropped_other and starts no handshake (handshakes_started stays 1, handshakes
 * 0, no HelloVerifyRequest beyond the client's own); every cut record counts as
 * dropped_other; the TLS-version and epoch-2 records as dropped_other, the
 * forged sequence number as dropped_auth, and it does not move the replay
 * window (the next echo, far below it, still works); the hellos from the
 * client's address get HelloVerifyRequests and start nothing; the session
 * survives it all.
 */
static void test_garbage(void **state)
{
    (void)state;
    fix_server_t *h = fix_server_new();
    fix_server_start(h);
    fix_client_t *c = fix_client_ok(fix_port(h), "PSK-AES128-CCM8");
    fix_echo(c, "a record to cut");
    uint8_t rec[FIX_DGRAM_MAX];
    size_t rec_len = c->cap.out_len;
    memcpy(rec, c->cap.out, rec_len);
    assert_int_equal(rec[0], 23);
    assert_int_equal(fix_get_be(rec + 3, 2), 1);

    int stranger = fix_udp(fix_port(h), NULL);
    uint32_t seed = 0x2545f491u;
    uint8_t d[1600];
    unsigned echoes = 1;
    bw_dtls_stats_t st0 = fix_stats(h);

    /* random datagrams from a stranger, then some above the largest
     * datagram the server takes (1500) */
    unsigned n = 0;
    for (size_t len = 0; len <= 1500; len += len < 40 ? 1 : 37, n++) {
        fill_rand(d, len, &seed);
        fix_udp_send(stranger, d, len);
    }
    static uint8_t big[9000];
    static const size_t big_sizes[] = {1501, 2000, sizeof big};
    for (size_t i = 0; i < 3; i++, n++) {
        fill_rand(big, big_sizes[i], &seed);
        fix_udp_send(stranger, big, big_sizes[i]);
    }
    fix_echo(c, "after random datagrams");
    echoes++;
    bw_dtls_stats_t st = fix_stats(h);
    assert_int_equal(st.dropped_other - st0.dropped_other, n);
    assert_int_equal(st.hvr_sent, st0.hvr_sent);

    /* the record cut at every length, and whole, from a stranger */
    st0 = st;
    for (size_t len = 0; len <= rec_len; len++)
        fix_udp_send(stranger, rec, len);
    fix_echo(c, "after cut records from a stranger");
    echoes++;
    st = fix_stats(h);
    assert_int_equal(st.dropped_other - st0.dropped_other, rec_len + 1);

    /* the record cut at every length from the client's own address */
    st0 = st;
    for (size_t len = 1; len < rec_len; len++)
        fix_client_raw(c, rec, len);
    fix_echo(c, "after cut records");
    echoes++;
    st = fix_stats(h);
    assert_int_equal(st.dropped_other - st0.dropped_other, rec_len - 1);
    assert_int_equal(st.dropped_auth, st0.dropped_auth);

    /* wrong versions and epoch from the client's own address */
    st0 = st;
    memcpy(d, rec, rec_len);
    fix_put_be(d + 1, 0x0303, 2);
    fix_client_raw(c, d, rec_len);
    memcpy(d, rec, rec_len);
    fix_put_be(d + 3, 2, 2);
    fix_client_raw(c, d, rec_len);
    fix_echo(c, "after wrong versions");
    echoes++;
    st = fix_stats(h);
    assert_int_equal(st.dropped_other - st0.dropped_other, 2);
    st0 = st;
    memcpy(d, rec, rec_len);
    fix_put_be(d + 1, 0xfeff, 2);
    fix_put_be(d + 5, fix_get_be(rec + 5, 6) + 1000, 6);
    fix_client_raw(c, d, rec_len);
    fix_echo(c, "after a forged sequence number");
    echoes++;
    st = fix_stats(h);
    assert_int_equal(st.dropped_auth - st0.dropped_auth, 1);
    assert_int_equal(st.dropped_replay, st0.dropped_replay);

    /* ClientHellos from the client's own address, without a cookie and
     * with a made-up one: answered statelessly, the session untouched */
    st0 = st;
    uint8_t random[32], fake[16];
    fill_rand(random, sizeof random, &seed);
    fill_rand(fake, sizeof fake, &seed);
    size_t hl = fix_client_hello(d, sizeof d, random, NULL, 0, 0, 0);
    fix_client_raw(c, d, hl);
    hl = fix_client_hello(d, sizeof d, random, fake, sizeof fake, 1, 1);
    fix_client_raw(c, d, hl);
    fix_echo(c, "after hellos from the client's address");
    echoes++;
    st = fix_stats(h);
    assert_int_equal(st.hvr_sent - st0.hvr_sent, 2);
    assert_int_equal(st.handshakes_started, 1);
    assert_int_equal(st.sessions, 1);

    /* random datagrams from the client's own address */
    st0 = st;
    unsigned nonempty = 0;
    for (size_t len = 1; len <= 1500; len += len < 40 ? 1 : 37) {
        fill_rand(d, len, &seed);
        fix_client_raw(c, d, len);
        nonempty++;
    }
    fix_echo(c, "after random datagrams from the client");
    echoes++;
    st = fix_stats(h);
    assert_true(dropped(&st) - dropped(&st0) >= nonempty);

    assert_int_equal(fix_rx_count(h), echoes);
    for (unsigned i = 0; i < echoes; i++)
        assert_int_equal(fix_rx_get(h, i).port, c->port);
    assert_int_equal(st.handshakes_started, 1);
    assert_int_equal(st.handshakes, 0);
    assert_int_equal(st.sessions, 1);
    assert_int_equal(st.hvr_sent, 3);
    assert_int_equal(st.records_in, echoes);
    close(stranger);
    fix_client_free(c);
    fix_server_free(h);
}

/*
 * Tried, for one suite: (1) a record the server accepted, sent again from
 * the client's address; (2) a record the client sealed but the test held
 * back, sent with one bit flipped, in turn at every byte from the
 * sequence number on (header sequence number, explicit nonce, ciphertext,
 * tag); then the intact record; then that one again; (3) a record 70
 * records old (left of the 64-record window), sent again.
 * Must hold: (1) not delivered, dropped_replay + 1, no reply; (2) none of
 * the altered copies delivered, each one dropped_auth; the intact record
 * is then delivered and echoed (so a forged record neither burned its
 * sequence number nor moved the window) and its second copy is
 * dropped_replay; (3) dropped_replay, not delivered.  Then (4) two new
 * records in one datagram: both delivered and echoed, in order.
 */
static void replay_with(const char *suite)
{
    fix_server_t *h = fix_server_new();
    fix_server_start(h);
    fix_client_t *c = fix_client_ok(fix_port(h), suite);
    fix_echo(c, "first");
    uint8_t first[FIX_DGRAM_MAX];
    size_t first_len = c->cap.out_len;
    memcpy(first, c->cap.out, first_len);

    /* (1) */
    bw_dtls_stats_t st0 = fix_stats(h);
    fix_client_raw(c, first, first_len);
    bw_dtls_stats_t st = FIX_WAIT(h, dropped_replay, st0.dropped_replay + 1);
    fix_expect_silence(c, 200);
    fix_echo(c, "second");
    assert_int_equal(fix_rx_count(h), 2);
    assert_memory_equal(fix_rx_get(h, 1).data, "second", 6);

    /* (2) */
    c->cap.hold = 1;
    fix_client_write(c, "third", 5);
    c->cap.hold = 0;
    uint8_t held[FIX_DGRAM_MAX], d[FIX_DGRAM_MAX];
    size_t held_len = c->cap.out_len;
    memcpy(held, c->cap.out, held_len);
    st0 = fix_stats(h);
    unsigned altered = 0;
    for (size_t i = 5; i < held_len; i++) {
        if (i == 11 || i == 12)
            continue; /* the length field: a framing error, tested above */
        memcpy(d, held, held_len);
        d[i] ^= (uint8_t)(1u << (i % 8));
        fix_client_raw(c, d, held_len);
        altered++;
    }
    st = FIX_WAIT(h, dropped_auth, st0.dropped_auth + altered);
    assert_int_equal(st.dropped_auth - st0.dropped_auth, altered);
    assert_int_equal(st.records_in, st0.records_in);
    assert_int_equal(fix_rx_count(h), 2);
    fix_client_raw(c, held, held_len);
    uint8_t buf[64];
    assert_int_equal(fix_client_read(c, buf, sizeof buf, FIX_WAIT_MS), 5);
    assert_memory_equal(buf, "third", 5);
    assert_int_equal(fix_rx_count(h), 3);
    st0 = fix_stats(h);
    fix_client_raw(c, held, held_len);
    FIX_WAIT(h, dropped_replay, st0.dropped_replay + 1);

    /* (3) */
    fix_echo(c, "old");
    uint8_t old[FIX_DGRAM_MAX];
    size_t old_len = c->cap.out_len;
    memcpy(old, c->cap.out, old_len);
    char msg[32];
    for (unsigned i = 0; i < 70; i++) {
        snprintf(msg, sizeof msg, "filler %u", i);
        fix_echo(c, msg);
    }
    unsigned before = fix_rx_count(h);
    st0 = fix_stats(h);
    fix_client_raw(c, old, old_len);
    FIX_WAIT(h, dropped_replay, st0.dropped_replay + 1);
    fix_echo(c, "last");
    assert_int_equal(fix_rx_count(h), before + 1);

    /* (4) */
    uint8_t two[2 * FIX_DGRAM_MAX];
    c->cap.hold = 1;
    fix_client_write(c, "fourth", 6);
    size_t two_len = c->cap.out_len;
    memcpy(two, c->cap.out, two_len);
    fix_client_write(c, "fifth", 5);
    memcpy(two + two_len, c->cap.out, c->cap.out_len);
    two_len += c->cap.out_len;
    c->cap.hold = 0;
    fix_client_raw(c, two, two_len);
    assert_int_equal(fix_client_read(c, buf, sizeof buf, FIX_WAIT_MS), 6);
    assert_memory_equal(buf, "fourth", 6);
    assert_int_equal(fix_client_read(c, buf, sizeof buf, FIX_WAIT_MS), 5);
    assert_memory_equal(buf, "fifth", 5);
    assert_int_equal(fix_rx_count(h), before + 3);
    st = fix_stats(h);
    assert_int_equal(st.records_in, before + 3);
    assert_int_equal(st.dropped_auth, altered);
    fix_client_free(c);
    fix_server_free(h);
}

static void test_replay_ccm8(void **state)
{
    (void)state;
    replay_with("PSK-AES128-CCM8");
}

static void test_replay_gcm(void **state)
{
    (void)state;
    replay_with("PSK-AES128-GCM-SHA256");
}

/*
 * Tried: a client whose handshake completes gets a session ticket; a
 * second client (another port) resumes with it; then the security store
 * forgets the identity and a third client tries to resume with the same
 * ticket.
 * Must hold: the second handshake is abbreviated (logged so), its echo
 * comes back with identity device-a; the third is refused: its handshake
 * fails on a fatal alert (a ticket must not outlive the credential, and
 * the client must not be told it is connected), the reason is logged, it
 * counts as a failed handshake, nothing of it is delivered, no session is
 * left for it.
 */
static void test_resumption(void **state)
{
    (void)state;
    fix_server_t *h = fix_server_new();
    fix_server_start(h);
    fix_client_t *c1 = fix_client_ok(fix_port(h), "PSK-AES128-CCM8");
    fix_echo(c1, "full");
    SSL_SESSION *sess = SSL_get1_session(c1->ssl);
    assert_non_null(sess);
    assert_int_equal(SSL_SESSION_is_resumable(sess), 1);

    fix_client_t *c2 = fix_client_psk(fix_port(h), "PSK-AES128-CCM8",
                                      "device-a", fix_key_a, sizeof fix_key_a);
    fix_client_ssl(c2);
    assert_int_equal(SSL_set_session(c2->ssl, sess), 1);
    assert_int_equal(fix_client_handshake(c2, FIX_WAIT_MS), FIX_OK);
    assert_int_equal(SSL_session_reused(c2->ssl), 1);
    fix_echo(c2, "resumed");
    assert_int_equal(fix_rx_count(h), 2);
    assert_string_equal(fix_rx_get(h, 1).identity, "device-a");
    assert_int_equal(fix_rx_get(h, 1).port, c2->port);
    fix_assert_log(h, "abbreviated handshake done", "'device-a'");

    fix_revoke(h, "device-a");
    fix_client_t *c3 = fix_client_psk(fix_port(h), "PSK-AES128-CCM8",
                                      "device-a", fix_key_a, sizeof fix_key_a);
    fix_client_ssl(c3);
    assert_int_equal(SSL_set_session(c3->ssl, sess), 1);
    int r = fix_client_handshake(c3, FIX_WAIT_MS);
    if (r == FIX_OK) {
        fix_client_write(c3, "revoked", 7);
        fix_expect_silence(c3, 300);
    }
    fix_assert_log(h, "revoked", NULL);
    bw_dtls_stats_t st = FIX_WAIT_EQ(h, handshakes, 0);
    assert_int_equal(st.sessions, 2);
    assert_int_equal(fix_rx_count(h), 2);
    if (r != FIX_FAILED)
        fail_msg("the resumption of a revoked identity was told it %s",
                 r == FIX_OK ? "succeeded" : "is still going on");
    assert_true(fix_client_got_alert(c3));
    assert_int_equal(st.handshakes_failed, 1);
    assert_int_equal(st.handshakes_done, 2);
    SSL_SESSION_free(sess);
    fix_client_free(c1);
    fix_client_free(c2);
    fix_client_free(c3);
    fix_server_free(h);
}

/*
 * Tried: the server's last flight (ChangeCipherSpec and Finished, the
 * third datagram the client reads) is lost on its way to the client; the
 * client retransmits its own last flight when its timer fires.
 * Must hold: the server, which already counts the handshake done, answers
 * the retransmission with its last flight again; the client completes;
 * the server's first application record carries an epoch-1 sequence
 * number above those of its handshake records, resent ones included (one
 * number twice under one key reuses an AEAD nonce, and the client drops
 * the record as a replay); the echoes come back; one handshake started
 * and done, nothing failed, and no new cookie exchange.
 */
static void test_lost_final_flight(void **state)
{
    (void)state;
    fix_server_t *h = fix_server_new();
    fix_server_start(h);
    fix_client_t *c = fix_client_psk(fix_port(h), "PSK-AES128-CCM8", "device-a",
                                     fix_key_a, sizeof fix_key_a);
    c->cap.drop_in_at = 3;
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    assert_true(c->cap.nin >= 4);
    /* Epoch-1 numbers the server's handshake used, resent flight included. */
    assert_true(c->cap.in_seq_seen);
    uint64_t hs_max = c->cap.in_seq_max;
    unsigned nin = c->cap.nin;
    fix_client_write(c, "after a lost flight", 19);
    uint8_t buf[64];
    int r = fix_client_read(c, buf, sizeof buf, FIX_WAIT_MS);
    if (c->cap.nin > nin && c->cap.in_seq_last <= hs_max)
        fail_msg("the first application record came sealed with epoch 1 "
                 "sequence number %llu, which the handshake had already "
                 "used (up to %llu): a reused nonce, and a replay to the "
                 "client",
                 (unsigned long long)c->cap.in_seq_last,
                 (unsigned long long)hs_max);
    assert_int_equal(r, 19);
    assert_memory_equal(buf, "after a lost flight", 19);
    fix_echo(c, "and once more");
    bw_dtls_stats_t st = FIX_WAIT_EQ(h, handshakes, 0);
    assert_int_equal(st.handshakes_started, 1);
    assert_int_equal(st.handshakes_done, 1);
    assert_int_equal(st.handshakes_failed, 0);
    assert_int_equal(st.hvr_sent, 1);
    assert_int_equal(st.sessions, 1);
    fix_client_free(c);
    fix_server_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psk_ccm8),
        cmocka_unit_test(test_psk_gcm),
        cmocka_unit_test(test_wrong_psk_ccm8),
        cmocka_unit_test(test_wrong_psk_gcm),
        cmocka_unit_test(test_unknown_identity),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_replay_ccm8),
        cmocka_unit_test(test_replay_gcm),
        cmocka_unit_test(test_resumption),
        cmocka_unit_test(test_lost_final_flight),
    };
    return cmocka_run_group_tests(tests, fix_group_setup, fix_group_teardown);
}
