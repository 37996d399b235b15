/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client core's registration against a scripted DM server
 * (tests/lwm2m_peer.h): when Updates go out and what they carry, the
 * retry schedule after 4.xx answers and timeouts and its bounds, the way
 * to bootstrap (bootstrap_after failures, or BW_EAUTH from the channel),
 * an Update answered 4.04, and De-register.  Time is driven by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m_peer.h"
#include "testutil.h"

/* The schedule itself (lib/lwm2m/lwm2m_client_retry.c), checked far past
 * the point the state machine reaches in a test. */
uint64_t bw_lwm2m__client_backoff(bw_lwm2m_client_t *c, uint32_t failures);

typedef struct {
    bw_lwm2m_peer_t peer;
    bw_lwm2m_client_t c;
    bw_lwm2m_client_config_t cfg;
} fix_t;

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    bw_lwm2m_servers_t s;
    assert_non_null(f);
    bw_lwm2m_peer_init(&f->peer);
    bw_lwm2m_peer_config(&f->peer, &f->cfg, "dev2", "coaps://bs:5784");
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 7), 0);
    bw_lwm2m_peer_set(&s, 101, 100, "U");
    bw_lwm2m_peer_store(&f->peer, &s, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Start with the stored set and register at time 0 ("/rd/r1"). */
static void registered(fix_t *f)
{
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_register(&f->peer, &f->c, 0, "rd/r1");
}

/*
 * Lifetime 100 s: nothing is sent before 90 s, step() names 90 s as the
 * next deadline, and at 90 s a bare Update goes to the location (no lt,
 * no b, no payload: nothing changed).  After its 2.04 the next one is
 * due 90 s later.
 */
static void test_update_at_ninety_percent(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    registered(f);
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 1), 90000);
    bw_lwm2m_peer_step(&f->c, 89999);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    bw_lwm2m_peer_step(&f->c, 90000);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd/r1");
    assert_int_equal(bw_lwm2m_peer_nqueries(&m), 0);
    assert_null(m.payload);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 90100, &m, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_UPDATED);
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 90100), 180100);
}

/*
 * objects_changed() sends an Update at the next step carrying the links
 * (Content-Format 40) and no lt; a DM Write of the lifetime to 50 sends
 * one with lt=50 and no links, and the schedule follows the new
 * lifetime (45 s).
 */
static void test_update_carries_what_changed(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    char v[16];
    uint32_t cf;
    registered(f);
    bw_lwm2m_client_objects_changed(&f->c);
    bw_lwm2m_peer_step(&f->c, 10);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd/r1");
    assert_int_equal(bw_coap_msg_uint(&m, BW_COAP_OPT_CONTENT_FORMAT, &cf), 0);
    assert_int_equal(cf, BW_COAP_FMT_LINK);
    assert_non_null(m.payload);
    assert_false(bw_lwm2m_peer_query(&m, "lt", v, sizeof v));
    bw_lwm2m_peer_reply(&f->peer, &f->c, 11, &m, BW_COAP_CHANGED, NULL);

    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 20, BW_COAP_PUT,
                                           "/1/1/1", BW_COAP_FMT_TEXT, "50", 2,
                                           NULL),
                     BW_COAP_CHANGED);
    bw_lwm2m_peer_step(&f->c, 20);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd/r1");
    assert_true(bw_lwm2m_peer_query(&m, "lt", v, sizeof v));
    assert_string_equal(v, "50");
    assert_false(bw_lwm2m_peer_query(&m, "b", v, sizeof v));
    assert_null(m.payload);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 21, &m, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 21), 21 + 45000);
    /* The changed lifetime was saved as a new generation. */
    bw_lwm2m_servers_t s;
    uint32_t gen;
    assert_int_equal(
        bw_lwm2m_servers_decode(f->peer.store, f->peer.store_len, &s, &gen), 0);
    assert_int_equal(gen, 2);
    assert_int_equal(s.srv[0].lifetime_s, 50);
}

/*
 * Register answered 4.03 over and over: each failure reports RETRY and
 * the next attempt comes after 1, 2, 4, 8 ... s, each within +-25%, and
 * never later than 1 h + 25% (checked on the backoff function far past
 * the ceiling too).  bootstrap_after is raised so the schedule runs.
 */
static void test_backoff_schedule_and_bounds(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    uint64_t now = 0;
    f->cfg.bootstrap_after = 100;
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 7), 0);
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    for (uint32_t k = 1; k <= 14; k++) {
        bw_lwm2m_peer_step(&f->c, now);
        bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd");
        bw_lwm2m_peer_reply(&f->peer, &f->c, now, &m, BW_COAP_FORBIDDEN, NULL);
        assert_int_equal(bw_lwm2m_client_state(&f->c),
                         BW_LWM2M_STATE_REGISTERING);
        assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_RETRY), k);
        uint64_t base = k <= 12 ? 1000u << (k - 1) : 3600000u;
        if (base > 3600000u)
            base = 3600000u;
        uint64_t next = bw_lwm2m_peer_step(&f->c, now);
        assert_in_range(next - now, base * 3 / 4, base * 5 / 4);
        bw_lwm2m_peer_step(&f->c, next - 1);
        assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
        now = next;
    }
    for (uint32_t k = 1; k < 5000; k += 37) {
        uint64_t d = bw_lwm2m__client_backoff(&f->c, k);
        assert_true(d >= 750 && d <= 4500000u);
    }
}

/*
 * Register sent, never answered: the message layer gives up (about
 * 93 s with the default parameters: 2 s * 1.5 * 31 at most), which
 * counts as one failure; after bootstrap_after (3) of them in a row the
 * client goes to the bootstrap server instead.
 */
static void test_timeouts_lead_to_bootstrap(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    uint64_t now = 0;
    f->cfg.bootstrap_after = 3;
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 9), 0);
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    for (int k = 1; k <= 3; k++) {
        bw_lwm2m_peer_step(&f->c, now);
        bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd");
        /* Let every retransmission and the give-up happen. */
        int guard = 0;
        while (bw_lwm2m_client_state(&f->c) == BW_LWM2M_STATE_REGISTERING &&
               bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_RETRY) < (size_t)k &&
               guard++ < 20) {
            now = bw_lwm2m_peer_step(&f->c, now);
            while (bw_lwm2m_peer_pending(&f->peer) > 0)
                bw_lwm2m_peer_take(&f->peer, &m); /* retransmissions */
        }
        assert_true(now < (uint64_t)k * 200000u);
        if (k < 3) {
            assert_int_equal(bw_lwm2m_client_state(&f->c),
                             BW_LWM2M_STATE_REGISTERING);
            now = bw_lwm2m_peer_step(&f->c, now);
        }
    }
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);
    bw_lwm2m_peer_step(&f->c, now);
    assert_true(f->peer.last_sec.bootstrap);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/bs");
}

/*
 * Registered; the DTLS session breaks and the reconnect is refused with
 * BW_EAUTH: one failure only, yet the client goes to bootstrap at once.
 * A plain network error (BW_ENET) instead only schedules a retry.
 */
static void test_eauth_leads_to_bootstrap(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    registered(f);
    bw_lwm2m_client_channel_failed(&f->c, 0, 5, BW_ENET);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERING);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_RETRY);
    f->peer.connect_result = BW_EAGAIN;
    uint64_t next = bw_lwm2m_peer_step(&f->c, 5);
    bw_lwm2m_peer_step(&f->c, next);
    assert_int_equal(f->peer.connects, 2);
    bw_lwm2m_client_channel_failed(&f->c, 0, next + 50, BW_EAUTH);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);
    f->peer.connect_result = 0;
    bw_lwm2m_peer_step(&f->c, next + 60);
    assert_true(f->peer.last_sec.bootstrap);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/bs");
}

/*
 * An Update answered 4.04 (the server lost our registration): a Register
 * goes out in the same step, not after a backoff, and it is no failure:
 * with bootstrap_after 1 the client still does not bootstrap.
 */
static void test_update_not_found_registers_again(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    f->cfg.bootstrap_after = 1;
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 7), 0);
    registered(f);
    bw_lwm2m_peer_step(&f->c, 90000);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd/r1");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 90010, &m, BW_COAP_NOT_FOUND, NULL);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERING);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_RETRY), 0);
    bw_lwm2m_peer_step(&f->c, 90010);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 90020, &m, BW_COAP_CREATED, "rd/r2");
    const char *loc = NULL;
    assert_int_not_equal(bw_lwm2m_client_registered(&f->c, 0, &loc), 0);
    assert_string_equal(loc, "/rd/r2");
    assert_int_equal(f->peer.connects, 1);
}

/*
 * A 2.01 without Location-Path, or with a segment holding '/', is a
 * failed Register (retry scheduled), never a registration.
 */
static void test_bad_location_is_a_failure(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 1, &m, BW_COAP_CREATED, NULL);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERING);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_RETRY);
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 0, NULL), 0);
}

/*
 * stop() while registered: DELETE to the location; its 2.02 ends in
 * STOPPED with DEREGISTERED reported and the channel closed; a second
 * stop() is BW_ESTATE and step() has nothing more to do.
 */
static void test_deregister(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    registered(f);
    assert_int_equal(bw_lwm2m_client_stop(&f->c, 100), 0);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_DEREGISTERING);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_DELETE, "/rd/r1");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 101, &m, BW_COAP_DELETED, NULL);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_STOPPED);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_DEREGISTERED);
    assert_false(f->peer.open);
    bw_assert_err(bw_lwm2m_client_stop(&f->c, 102), BW_ESTATE);
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 200000), UINT64_MAX);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
}

/* init() refuses a missing callback, an empty or overlong endpoint name
 * and an overlong bootstrap URI; step() before start() is BW_ESTATE. */
static void test_init_and_state_errors(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_client_config_t cfg = f->cfg;
    char longname[BW_LWM2M_ENDPOINT_MAX + 2];
    char longuri[BW_LWM2M_URI_MAX + 1];
    uint64_t next;
    memset(longname, 'e', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    memset(longuri, 'u', sizeof longuri - 1);
    longuri[sizeof longuri - 1] = '\0';
    cfg.save = NULL;
    bw_assert_err(bw_lwm2m_client_init(&f->c, &cfg, 1), BW_EINVAL);
    cfg = f->cfg;
    cfg.endpoint = "";
    bw_assert_err(bw_lwm2m_client_init(&f->c, &cfg, 1), BW_EINVAL);
    cfg.endpoint = longname;
    bw_assert_err(bw_lwm2m_client_init(&f->c, &cfg, 1), BW_EINVAL);
    longname[BW_LWM2M_ENDPOINT_MAX] = '\0';
    assert_int_equal(bw_lwm2m_client_init(&f->c, &cfg, 1), 0);
    cfg.bootstrap_uri = longuri;
    bw_assert_err(bw_lwm2m_client_init(&f->c, &cfg, 1), BW_EINVAL);
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 1), 0);
    bw_assert_err(bw_lwm2m_client_step(&f->c, 0, &next), BW_ESTATE);
    bw_assert_err(bw_lwm2m_client_stop(&f->c, 0), BW_ESTATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_update_at_ninety_percent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_update_carries_what_changed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_backoff_schedule_and_bounds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timeouts_lead_to_bootstrap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_eauth_leads_to_bootstrap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_update_not_found_registers_again,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_location_is_a_failure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deregister, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_and_state_errors, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
