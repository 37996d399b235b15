/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client core with two DM servers (OMA LwM2M 1.1 Core 6.2.1: a
 * client registers with every DM server it has a Server instance for).
 * The stored set holds SSID 101 (lifetime 100 s, "coaps://dm.example.net")
 * and SSID 202 (lifetime 60 s, "coaps://dm2.example.net"); the scripted
 * peer (tests/lwm2m_peer.h) plays both, telling them apart by the
 * channel each datagram goes out on (channel 0: 101, channel 1: 202).
 *
 * What must hold: both Registers go out at once, each on its own
 * channel; each registration keeps its own schedule, location and
 * parameters; one server failing or forgetting us never disturbs the
 * other; bootstrap comes only when credentials are refused or when no
 * server is left registered; stop() De-registers from both; a request is
 * handled as the SSID of the channel it came in on, and its effects
 * (observations, Updates) stay on that channel; Send goes to the first
 * registered server that is not muted.  Time is driven by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m_peer.h"
#include "testutil.h"

typedef struct {
    bw_lwm2m_peer_t peer;
    bw_lwm2m_client_t c;
    bw_lwm2m_client_config_t cfg;
} fix_t;

static const uint8_t PSK2[16] = {9, 8, 7, 6, 5, 4, 3, 2,
                                 1, 0, 1, 2, 3, 4, 5, 6};

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    bw_lwm2m_servers_t s;
    assert_non_null(f);
    bw_lwm2m_peer_init(&f->peer);
    bw_lwm2m_peer_config(&f->peer, &f->cfg, "dev-multi", "coaps://bs:5784");
    f->cfg.bootstrap_after = 2;
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 11), 0);
    bw_lwm2m_peer_set(&s, 101, 100, "U");
    /* The second DM server: Security /0/2 and Server /1/2. */
    s.sec[2].in_use = 1;
    s.sec[2].inst = 2;
    s.sec[2].ssid = 202;
    s.sec[2].mode = BW_LWM2M_SEC_PSK;
    strcpy(s.sec[2].uri, "coaps://dm2.example.net:5684");
    memcpy(s.sec[2].psk_id, "dev-2", 5);
    s.sec[2].psk_id_len = 5;
    memcpy(s.sec[2].psk, PSK2, sizeof PSK2);
    s.sec[2].psk_len = sizeof PSK2;
    s.srv[1].in_use = 1;
    s.srv[1].inst = 2;
    s.srv[1].ssid = 202;
    s.srv[1].lifetime_s = 60;
    strcpy(s.srv[1].binding, "U");
    assert_int_equal(bw_lwm2m_servers_check(&s, NULL), 0);
    bw_lwm2m_peer_store(&f->peer, &s, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Take the next datagram: a CON request code to path on channel ch. */
static void expect_on(fix_t *f, unsigned ch, bw_coap_msg_t *m, uint8_t code,
                      const char *path)
{
    bw_lwm2m_peer_expect(&f->peer, m, code, path);
    assert_int_equal(f->peer.taken_ch, ch);
}

/* Answer m as the server on channel ch. */
static void reply_on(fix_t *f, unsigned ch, uint64_t now,
                     const bw_coap_msg_t *m, uint8_t code, const char *loc)
{
    unsigned was = f->peer.ch;
    f->peer.ch = ch;
    bw_lwm2m_peer_reply(&f->peer, &f->c, now, m, code, loc);
    f->peer.ch = was;
}

/* The token of the observations the tests make. */
static const uint8_t OBS_TOK[2] = {0x0b, 0x5e};

/* Observe /1/inst/1 as the server on channel ch (the peer's requests
 * carry no Observe option): the answer must be 2.05 on that channel. */
static void observe_on(fix_t *f, unsigned ch, char inst, uint64_t now)
{
    bw_coap_writer_t w;
    bw_coap_msg_t m;
    uint8_t req[64];
    size_t len;
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_GET, 0x4242,
                        OBS_TOK, sizeof OBS_TOK);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_OBSERVE, 0);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "1", 1);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, &inst, 1);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "1", 1);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_lwm2m_client_input(&f->c, ch, now, req, len), 0);
    bw_lwm2m_peer_take(&f->peer, &m);
    assert_int_equal(f->peer.taken_ch, ch);
    assert_int_equal(m.code, BW_COAP_CONTENT);
}

/* Write text value to path as the server on channel ch; its answer. */
static uint8_t put_on(fix_t *f, unsigned ch, uint64_t now, const char *path,
                      const char *value)
{
    f->peer.ch = ch;
    uint8_t code =
        bw_lwm2m_peer_request(&f->peer, &f->c, now, BW_COAP_PUT, path,
                              BW_COAP_FMT_TEXT, value, strlen(value), NULL);
    f->peer.ch = 0;
    return code;
}

/* Start at 0 and register with both: "/rd/a" (101), "/rd/b" (202). */
static void registered_both(fix_t *f)
{
    bw_coap_msg_t a, b;
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    expect_on(f, 0, &a, BW_COAP_POST, "/rd");
    expect_on(f, 1, &b, BW_COAP_POST, "/rd");
    reply_on(f, 0, 1, &a, BW_COAP_CREATED, "rd/a");
    reply_on(f, 1, 2, &b, BW_COAP_CREATED, "rd/b");
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 0, NULL), 101);
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 1, NULL), 202);
}

/*
 * Both Registers go out in the first step, each on its own channel to
 * its own server (connect() named each Security instance), each with its
 * own lt; the state is REGISTERING until the first 2.01 and REGISTERED
 * from then on.  Then each Update falls due at 90% of its own lifetime,
 * on its own channel, to its own location.
 */
static void test_registers_with_both(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t a, b;
    char v[16];
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    assert_int_equal(f->peer.connects, 2);
    assert_int_equal(f->peer.open, 3u);
    assert_int_equal(f->peer.last_ch, 1);
    assert_int_equal(f->peer.last_sec.ssid, 202);
    assert_string_equal(f->peer.last_sec.uri, "coaps://dm2.example.net:5684");
    expect_on(f, 0, &a, BW_COAP_POST, "/rd");
    assert_true(bw_lwm2m_peer_query(&a, "lt", v, sizeof v));
    assert_string_equal(v, "100");
    expect_on(f, 1, &b, BW_COAP_POST, "/rd");
    assert_true(bw_lwm2m_peer_query(&b, "lt", v, sizeof v));
    assert_string_equal(v, "60");
    assert_true(bw_lwm2m_peer_query(&b, "ep", v, sizeof v));
    assert_string_equal(v, "dev-multi");
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERING);
    reply_on(f, 1, 5, &b, BW_COAP_CREATED, "rd/b");
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERED);
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 0, NULL), 0);
    reply_on(f, 0, 10, &a, BW_COAP_CREATED, "rd/a");
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_REGISTERED), 2);

    /* 202: 90% of 60 s after 5 ms; 101: 90% of 100 s after 10 ms. */
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 10), 54005);
    bw_lwm2m_peer_step(&f->c, 54005);
    expect_on(f, 1, &b, BW_COAP_POST, "/rd/b");
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    reply_on(f, 1, 54010, &b, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 54010), 90010);
    bw_lwm2m_peer_step(&f->c, 90010);
    expect_on(f, 0, &a, BW_COAP_POST, "/rd/a");
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
}

/*
 * Server 202 forgets us (its Update answered 4.04): it alone gets a new
 * Register, on the channel that is still up (no new connect()); 101's
 * registration and location stay, and nothing goes to it.
 */
static void test_one_server_forgets(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    const char *loc = NULL;
    registered_both(f);
    bw_lwm2m_peer_step(&f->c, 54002);
    expect_on(f, 1, &m, BW_COAP_POST, "/rd/b");
    reply_on(f, 1, 54003, &m, BW_COAP_NOT_FOUND, NULL);
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 1, NULL), 0);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERED);
    bw_lwm2m_peer_step(&f->c, 54003);
    expect_on(f, 1, &m, BW_COAP_POST, "/rd");
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    reply_on(f, 1, 54004, &m, BW_COAP_CREATED, "rd/b2");
    assert_int_equal(f->peer.connects, 2);
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 1, &loc), 202);
    assert_string_equal(loc, "/rd/b2");
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 0, &loc), 101);
    assert_string_equal(loc, "/rd/a");
}

/*
 * Server 202 keeps refusing its Register (5.03) past bootstrap_after (2)
 * while 101 holds a registration: no bootstrap, 202 retries on its own
 * schedule, 101 keeps its Updates.  Once 101 is lost too (its channel
 * fails), the next failure of 202 sends the client to bootstrap.
 */
static void test_bootstrap_only_when_none_left(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    registered_both(f);
    bw_lwm2m_client_channel_failed(&f->c, 1, 100, BW_ENET);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERED);
    uint64_t now = 100;
    for (int i = 0; i < 3; i++) {
        now = bw_lwm2m_peer_step(&f->c, now);
        bw_lwm2m_peer_step(&f->c, now);
        expect_on(f, 1, &m, BW_COAP_POST, "/rd");
        reply_on(f, 1, now, &m, BW_COAP_SERVICE_UNAVAILABLE, NULL);
        assert_int_equal(bw_lwm2m_client_state(&f->c),
                         BW_LWM2M_STATE_REGISTERED);
    }
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 0, NULL), 101);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_RETRY), 4);

    /* 101's channel dies: nobody registered; 202's next failure (its
     * fourth in a row) goes to bootstrap, on channel 0. */
    bw_lwm2m_client_channel_failed(&f->c, 0, now + 1, BW_ENET);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERING);
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 0, NULL), 0);
    /* Step from deadline to deadline until 202 tries again (101's own
     * Register may go first: it stays unanswered). */
    int got = 0;
    now++;
    for (int i = 0; i < 8 && !got; i++) {
        now = bw_lwm2m_peer_step(&f->c, now);
        while (!got && bw_lwm2m_peer_pending(&f->peer) > 0) {
            bw_lwm2m_peer_take(&f->peer, &m);
            got = f->peer.taken_ch == 1;
            assert_int_equal(m.code, BW_COAP_POST);
        }
    }
    assert_true(got);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERING);
    reply_on(f, 1, now, &m, BW_COAP_SERVICE_UNAVAILABLE, NULL);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);
    assert_int_equal(f->peer.open, 0u);
    bw_lwm2m_peer_step(&f->c, now);
    expect_on(f, 0, &m, BW_COAP_POST, "/bs");
    assert_true(f->peer.last_sec.bootstrap);
}

/*
 * Server 202 refuses our credentials (BW_EAUTH from its channel): the
 * whole client goes back to bootstrap at once (the bootstrap server is
 * the one to fix credentials), both channels closed without De-register,
 * and 101's observation is gone with its registration.
 */
static void test_refused_credentials_bootstrap(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    registered_both(f);
    f->peer.ch = 0;
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 10, BW_COAP_GET,
                                           "/1/1/1", -1, NULL, 0, NULL),
                     BW_COAP_CONTENT);
    observe_on(f, 0, '1', 11);
    assert_int_equal(f->c.dm.nobs, 1);

    unsigned closes = f->peer.closes;
    bw_lwm2m_client_channel_failed(&f->c, 1, 20, BW_EAUTH);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);
    assert_int_equal(f->peer.closes, closes + 2);
    assert_int_equal(f->peer.open, 0u);
    assert_int_equal(f->c.dm.nobs, 0);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0); /* no DELETE */
    bw_lwm2m_peer_step(&f->c, 20);
    expect_on(f, 0, &m, BW_COAP_POST, "/bs");
}

/*
 * stop() De-registers from both at once; the client is DEREGISTERING
 * until the last answer, STOPPED after it, with one EV_DEREGISTERED per
 * server.
 */
static void test_stop_deregisters_both(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t a, b;
    registered_both(f);
    assert_int_equal(bw_lwm2m_client_stop(&f->c, 100), 0);
    expect_on(f, 0, &a, BW_COAP_DELETE, "/rd/a");
    expect_on(f, 1, &b, BW_COAP_DELETE, "/rd/b");
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_DEREGISTERING);
    reply_on(f, 1, 101, &b, BW_COAP_DELETED, NULL);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_DEREGISTERING);
    reply_on(f, 0, 102, &a, BW_COAP_DELETED, NULL);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_STOPPED);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_DEREGISTERED),
                     2);
    assert_int_equal(f->peer.open, 0u);
}

/*
 * A request is handled as the SSID of its channel.  With two servers and
 * no Access Control instance each reaches only its own Server instance:
 * 202 reads and writes /1/2 on channel 1, 101 gets 4.04 for it on
 * channel 0.  202's Write of its lifetime (30) brings an Update with
 * lt=30 on channel 1 only, and its Observe of /1/2/1 notifies on
 * channel 1.
 */
static void test_requests_per_channel(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    char v[16];
    registered_both(f);
    f->peer.ch = 0;
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 10, BW_COAP_GET,
                                           "/1/2/1", -1, NULL, 0, NULL),
                     BW_COAP_NOT_FOUND);
    f->peer.ch = 1;
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 11, BW_COAP_GET,
                                           "/1/2/1", -1, NULL, 0, NULL),
                     BW_COAP_CONTENT);
    observe_on(f, 1, '2', 12);

    assert_int_equal(put_on(f, 1, 13, "/1/2/1", "30"), BW_COAP_CHANGED);
    bw_lwm2m_peer_step(&f->c, 14);
    /* The Update to 202 and the notification of the new lifetime, both
     * on channel 1; nothing on channel 0. */
    int update = 0, note = 0;
    while (bw_lwm2m_peer_pending(&f->peer) > 0) {
        bw_lwm2m_peer_take(&f->peer, &m);
        assert_int_equal(f->peer.taken_ch, 1);
        if (m.code == BW_COAP_POST) {
            update++;
            assert_true(bw_lwm2m_peer_query(&m, "lt", v, sizeof v));
            assert_string_equal(v, "30");
        } else {
            note++;
            assert_int_equal(m.code, BW_COAP_CONTENT);
            assert_int_equal(m.token_len, sizeof OBS_TOK);
            assert_memory_equal(m.token, OBS_TOK, sizeof OBS_TOK);
        }
    }
    assert_int_equal(update, 1);
    assert_int_equal(note, 1);
}

/*
 * Send goes to the first registered server whose Mute Send is false:
 * with 101 muted (its own /1/1/23 written on channel 0), POST /dp goes
 * to 202 on channel 1; with both muted, send() answers BW_EMUTED.
 */
static void test_send_skips_muted(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(1, 1, 1);
    registered_both(f);
    assert_int_equal(put_on(f, 0, 10, "/1/1/23", "1"), BW_COAP_CHANGED);
    /* 202 may not read 101's Server instance (no Access Control
     * instance): a path 202 can read, its own lifetime. */
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p, 1, 11, 0), BW_ENOTFOUND);
    p = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(1, 2, 1);
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p, 1, 11, 0), 0);
    bw_lwm2m_peer_step(&f->c, 11);
    expect_on(f, 1, &m, BW_COAP_POST, "/dp");
    reply_on(f, 1, 12, &m, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_SEND_DONE);

    assert_int_equal(put_on(f, 1, 13, "/1/2/23", "1"), BW_COAP_CHANGED);
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p, 1, 14, 0), BW_EMUTED);
}

/* A datagram on a channel that is not open, or out of range, is dropped
 * and counted; nothing is answered. */
static void test_closed_channel_dropped(void **state)
{
    fix_t *f = *state;
    static const uint8_t ping[] = {0x40, 0x00, 0x12, 0x34};
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    assert_int_equal(bw_lwm2m_client_input(&f->c, 1, 0, ping, sizeof ping), 0);
    assert_int_equal(bw_lwm2m_client_input(&f->c, BW_LWM2M_MAX_SERVERS, 0, ping,
                                           sizeof ping),
                     0);
    assert_int_equal(bw_lwm2m_client_dropped(&f->c), 2);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    /* Reports about a channel that was never opened change nothing. */
    bw_lwm2m_client_channel_failed(&f->c, 1, 0, BW_EAUTH);
    bw_lwm2m_client_channel_up(&f->c, 7, 0);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registers_with_both, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_one_server_forgets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_only_when_none_left,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_credentials_bootstrap,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_deregisters_both, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_requests_per_channel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_send_skips_muted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_channel_dropped, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
