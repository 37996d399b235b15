/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client core in queue mode (binding UQ), its notifications, and two
 * clients living in one process, each against its own scripted server
 * (tests/lwm2m_peer.h).  Time is driven by hand.
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

static fix_t *make(const char *ep, const char *binding, uint64_t seed)
{
    fix_t *f = calloc(1, sizeof *f);
    bw_lwm2m_servers_t s;
    assert_non_null(f);
    bw_lwm2m_peer_init(&f->peer);
    bw_lwm2m_peer_config(&f->peer, &f->cfg, ep, "coaps://bs:5784");
    f->cfg.queue_idle_ms = 10000;
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, seed), 0);
    bw_lwm2m_peer_set(&s, 101, 100, binding);
    bw_lwm2m_peer_store(&f->peer, &s, 1);
    return f;
}

/*
 * Binding UQ: Register says b=UQ; the channel stays open queue_idle_ms
 * after the last traffic, then closes with SLEEP reported and step()
 * naming the Update time; nothing is sent while asleep; at the Update
 * time the client reconnects by itself and sends the Update, and sleeps
 * again queue_idle_ms after its answer.
 */
static void test_queue_mode_sleeps_and_wakes(void **state)
{
    fix_t *f = make("q1", "UQ", 3);
    bw_coap_msg_t m;
    char v[8];
    (void)state;
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd");
    assert_true(bw_lwm2m_peer_query(&m, "b", v, sizeof v));
    assert_string_equal(v, "UQ");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 100, &m, BW_COAP_CREATED, "rd/q");
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 100), 10100);
    /* Traffic from the server pushes the sleep back. */
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 5000, BW_COAP_GET,
                                           "/1/1", -1, NULL, 0, NULL),
                     BW_COAP_CONTENT);
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 10100), 15000);
    assert_true(f->peer.open);
    uint64_t next = bw_lwm2m_peer_step(&f->c, 15000);
    assert_false(f->peer.open);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_SLEEP);
    assert_int_equal(next, 90100);
    bw_lwm2m_peer_step(&f->c, 50000);
    assert_int_equal(f->peer.connects, 1);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);

    bw_lwm2m_peer_step(&f->c, 90100);
    assert_int_equal(f->peer.connects, 2);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd/q");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 90200, &m, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 90200), 100200);
    bw_lwm2m_peer_step(&f->c, 100200);
    assert_false(f->peer.open);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_SLEEP), 2);
    free(f);
}

/*
 * Asleep, the application reports a changed value: the client wakes at
 * once (it cannot know the server's pmin without asking the handler),
 * reconnects and tells the server with an Update.
 */
static void test_queue_mode_wakes_on_change(void **state)
{
    fix_t *f = make("q2", "UQ", 4);
    bw_coap_msg_t m;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(1, 1, 1);
    (void)state;
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_register(&f->peer, &f->c, 0, "rd/q");
    bw_lwm2m_peer_step(&f->c, 10000);
    assert_false(f->peer.open);
    bw_lwm2m_client_changed(&f->c, &p, 20000);
    assert_int_equal(bw_lwm2m_peer_step(&f->c, 20000) <= 20000 ||
                         bw_lwm2m_peer_pending(&f->peer) > 0,
                     1);
    assert_int_equal(f->peer.connects, 2);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd/q");
    free(f);
}

/*
 * The DM server observes /1/1; a DM Write to /1/1/2 (pmin) changes it, so
 * a notification with the observation's token goes out at the next
 * step.  The server answers that notification with an RST: the
 * observation ends, and a later change sends nothing.
 */
static void test_notification_and_rst_cancel(void **state)
{
    fix_t *f = make("n1", "U", 5);
    bw_coap_msg_t m, r;
    uint8_t buf[64];
    bw_coap_writer_t w;
    size_t len;
    uint8_t tok[3] = {0x0B, 0x5E, 0x01};
    (void)state;
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_register(&f->peer, &f->c, 0, "rd/n");

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 0x4242,
                        tok, sizeof tok);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_OBSERVE, 0);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "1", 1);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "1", 1);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_lwm2m_client_input(&f->c, 0, 10, buf, len), 0);
    bw_lwm2m_peer_take(&f->peer, &r);
    assert_int_equal(r.code, BW_COAP_CONTENT);
    assert_int_equal(bw_coap_msg_uint(&r, BW_COAP_OPT_OBSERVE, &(uint32_t){0}),
                     0);

    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 20, BW_COAP_PUT,
                                           "/1/1/2", BW_COAP_FMT_TEXT, "1", 1,
                                           NULL),
                     BW_COAP_CHANGED);
    bw_lwm2m_peer_step(&f->c, 30);
    bw_lwm2m_peer_step(&f->c, 2000);
    int seen = 0;
    while (bw_lwm2m_peer_pending(&f->peer) > 0) {
        bw_lwm2m_peer_take(&f->peer, &m);
        if (m.code == BW_COAP_CONTENT && m.token_len == sizeof tok &&
            memcmp(m.token, tok, sizeof tok) == 0) {
            seen = 1;
            break;
        }
    }
    assert_true(seen);

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_RST, BW_COAP_EMPTY, m.mid,
                        NULL, 0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_lwm2m_client_input(&f->c, 0, 2100, buf, len), 0);
    assert_int_equal(f->c.dm.nobs, 0);
    free(f);
}

/*
 * Two clients in one process with their own peers, stepped alternately:
 * each registers under its own name, with its own tokens, and neither
 * sees the other's traffic or events.
 */
static void test_two_clients(void **state)
{
    fix_t *a = make("alpha", "U", 11);
    fix_t *b = make("beta", "U", 12);
    bw_coap_msg_t ma, mb;
    char v[16];
    (void)state;
    assert_int_equal(bw_lwm2m_client_start(&a->c, 0), 0);
    assert_int_equal(bw_lwm2m_client_start(&b->c, 0), 0);
    bw_lwm2m_peer_step(&a->c, 0);
    bw_lwm2m_peer_step(&b->c, 0);
    bw_lwm2m_peer_expect(&a->peer, &ma, BW_COAP_POST, "/rd");
    bw_lwm2m_peer_expect(&b->peer, &mb, BW_COAP_POST, "/rd");
    assert_true(bw_lwm2m_peer_query(&ma, "ep", v, sizeof v));
    assert_string_equal(v, "alpha");
    assert_true(bw_lwm2m_peer_query(&mb, "ep", v, sizeof v));
    assert_string_equal(v, "beta");
    assert_false(ma.token_len == mb.token_len &&
                 memcmp(ma.token, mb.token, ma.token_len) == 0);
    /* b's answer handed to a is nobody's business there. */
    bw_lwm2m_peer_reply(&a->peer, &a->c, 1, &mb, BW_COAP_CREATED, "rd/b");
    assert_int_equal(bw_lwm2m_client_state(&a->c), BW_LWM2M_STATE_REGISTERING);
    bw_lwm2m_peer_reply(&b->peer, &b->c, 1, &mb, BW_COAP_CREATED, "rd/b");
    bw_lwm2m_peer_reply(&a->peer, &a->c, 2, &ma, BW_COAP_CREATED, "rd/a");
    const char *la = NULL, *lb = NULL;
    assert_int_not_equal(bw_lwm2m_client_registered(&a->c, 0, &la), 0);
    assert_int_not_equal(bw_lwm2m_client_registered(&b->c, 0, &lb), 0);
    assert_string_equal(la, "/rd/a");
    assert_string_equal(lb, "/rd/b");
    assert_int_equal(a->peer.nevents, 1);
    assert_int_equal(b->peer.nevents, 1);
    free(a);
    free(b);
}

/*
 * Events posted by objects (the Device object's Reboot and Factory Reset)
 * reach the application at the next step, each once, Reboot first when
 * both are pending.  Tried: each alone, then both.  (Factory Reset used to
 * be lost: its bit fell outside the byte that holds posted events.)
 */
static void test_posted_events(void **state)
{
    (void)state;
    fix_t *f = make("ev-1", "U", 7);
    uint64_t next;
    assert_int_equal(bw_lwm2m_client_start(&f->c, 1000), 0);
    bw_lwm2m_client_post_event(&f->c, BW_LWM2M_EV_FACTORY_RESET);
    assert_int_equal(bw_lwm2m_client_step(&f->c, 1001, &next), 0);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_FACTORY_RESET),
                     1);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_REBOOT), 0);
    assert_int_equal(bw_lwm2m_client_step(&f->c, 1002, &next), 0);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_FACTORY_RESET),
                     1);

    size_t before = f->peer.nevents;
    bw_lwm2m_client_post_event(&f->c, BW_LWM2M_EV_FACTORY_RESET);
    bw_lwm2m_client_post_event(&f->c, BW_LWM2M_EV_REBOOT);
    bw_lwm2m_client_post_event(&f->c,
                               BW_LWM2M_EV_REGISTERED); /* not postable */
    assert_int_equal(bw_lwm2m_client_step(&f->c, 1003, &next), 0);
    assert_int_equal(f->peer.nevents, before + 2);
    assert_int_equal(f->peer.events[before], BW_LWM2M_EV_REBOOT);
    assert_int_equal(f->peer.events[before + 1], BW_LWM2M_EV_FACTORY_RESET);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_mode_sleeps_and_wakes),
        cmocka_unit_test(test_queue_mode_wakes_on_change),
        cmocka_unit_test(test_notification_and_rst_cancel),
        cmocka_unit_test(test_two_clients),
        cmocka_unit_test(test_posted_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
