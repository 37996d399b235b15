/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client core's bootstrap against a scripted bootstrap server
 * (tests/lwm2m_peer.h): the factory start, a whole bootstrap followed by
 * the Register it leads to, a Finish refused as Not Acceptable, a save()
 * that fails, a stored set that does not parse, a bootstrap that never
 * finishes, and the Security object kept from DM servers.  Time is
 * driven by hand.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "lwm2m_peer.h"
#include "testutil.h"

#define FACTORY "coaps://bs.example.net:5784"

typedef struct {
    bw_lwm2m_peer_t peer;
    bw_lwm2m_client_t c;
    bw_lwm2m_client_config_t cfg;
} fix_t;

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    bw_lwm2m_peer_init(&f->peer);
    bw_lwm2m_peer_config(&f->peer, &f->cfg, "dev1", FACTORY);
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 42), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

/* The set with DM server ssid: Security /0/1, Server /1/1 as the peer's
 * scripted bootstrap writes them. */
static void expect_set(const bw_lwm2m_servers_t *s, uint16_t ssid,
                       uint32_t lifetime)
{
    const bw_lwm2m_security_t *dm = NULL, *bs = NULL;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++) {
        if (s->sec[i].in_use && s->sec[i].bootstrap)
            bs = &s->sec[i];
        else if (s->sec[i].in_use)
            dm = &s->sec[i];
    }
    assert_non_null(bs);
    assert_string_equal(bs->uri, FACTORY);
    assert_non_null(dm);
    assert_int_equal(dm->inst, 1);
    assert_int_equal(dm->ssid, ssid);
    assert_int_equal(dm->mode, BW_LWM2M_SEC_PSK);
    assert_string_equal(dm->uri, "coaps://dm.example.net:5684");
    assert_int_equal(dm->psk_id_len, 6);
    assert_memory_equal(dm->psk_id, "dev-id", 6);
    assert_int_equal(dm->psk_len, sizeof BW_PEER_PSK);
    assert_memory_equal(dm->psk, BW_PEER_PSK, sizeof BW_PEER_PSK);
    assert_true(s->srv[0].in_use);
    assert_int_equal(s->srv[0].inst, 1);
    assert_int_equal(s->srv[0].ssid, ssid);
    assert_int_equal(s->srv[0].lifetime_s, lifetime);
    assert_string_equal(s->srv[0].binding, "U");
}

/*
 * Nothing stored: the client starts from the factory bootstrap server,
 * takes Delete "/", Write /0/1 (PSK, SSID 101) and /1/1, and Finish;
 * then it must have saved exactly that set once (the bootstrap account
 * spared by the Delete), report BOOTSTRAPPED, close the bootstrap
 * channel, open one with the new PSK and Register with ep, lt, lwm2m=1.1,
 * b=U and links that list /1/1 but never the Security object.
 */
static void test_full_bootstrap_then_register(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_servers_t stored;
    uint32_t gen;
    bw_coap_msg_t m;
    char v[80];
    uint32_t cf;

    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);
    bw_lwm2m_peer_step(&f->c, 0);
    assert_int_equal(f->peer.connects, 1);
    assert_true(f->peer.last_sec.bootstrap);
    assert_string_equal(f->peer.last_sec.uri, FACTORY);

    bw_lwm2m_peer_bootstrap(&f->peer, &f->c, 10, 101, 300, "U");
    assert_int_equal(f->peer.saves, 1);
    assert_int_equal(bw_lwm2m_servers_decode(f->peer.store, f->peer.store_len,
                                             &stored, &gen),
                     0);
    assert_int_equal(gen, 1);
    expect_set(&stored, 101, 300);
    expect_set(bw_lwm2m_client_servers(&f->c), 101, 300);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_BOOTSTRAPPED),
                     1);
    assert_int_equal(f->peer.closes, 1);
    assert_true(all_zero(&f->c.staged, sizeof f->c.staged));

    bw_lwm2m_peer_step(&f->c, 20);
    assert_int_equal(f->peer.connects, 2);
    assert_false(f->peer.last_sec.bootstrap);
    assert_int_equal(f->peer.last_sec.ssid, 101);
    assert_memory_equal(f->peer.last_sec.psk, BW_PEER_PSK, sizeof BW_PEER_PSK);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd");
    assert_int_equal(bw_lwm2m_peer_nqueries(&m), 4);
    assert_true(bw_lwm2m_peer_query(&m, "ep", v, sizeof v));
    assert_string_equal(v, "dev1");
    assert_true(bw_lwm2m_peer_query(&m, "lt", v, sizeof v));
    assert_string_equal(v, "300");
    assert_true(bw_lwm2m_peer_query(&m, "lwm2m", v, sizeof v));
    assert_string_equal(v, "1.1");
    assert_true(bw_lwm2m_peer_query(&m, "b", v, sizeof v));
    assert_string_equal(v, "U");
    assert_int_equal(bw_coap_msg_uint(&m, BW_COAP_OPT_CONTENT_FORMAT, &cf), 0);
    assert_int_equal(cf, BW_COAP_FMT_LINK);
    assert_non_null(m.payload);
    char links[512];
    assert_true(m.payload_len < sizeof links);
    memcpy(links, m.payload, m.payload_len);
    links[m.payload_len] = '\0';
    assert_non_null(strstr(links, "</1/1>"));
    assert_null(strstr(links, "</0"));

    bw_lwm2m_peer_reply(&f->peer, &f->c, 30, &m, BW_COAP_CREATED, "rd/a1b2");
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERED);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_REGISTERED);
    const char *loc = NULL;
    assert_int_equal(bw_lwm2m_client_registered(&f->c, 0, &loc), 101);
    assert_string_equal(loc, "/rd/a1b2");
}

/* Start from a stored set A, then force a bootstrap (the DM server
 * refuses our PSK) so a bootstrap runs with A in use. */
static void bootstrap_from_stored(fix_t *f, bw_lwm2m_servers_t *a)
{
    bw_coap_msg_t m;
    bw_lwm2m_peer_set(a, 7, 600, "U");
    bw_lwm2m_peer_store(&f->peer, a, 5);
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERING);
    f->peer.connect_result = BW_EAGAIN;
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_client_channel_failed(&f->c, 0, 5, BW_EAUTH);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);
    f->peer.connect_result = 0;
    bw_lwm2m_peer_step(&f->c, 10);
    assert_true(f->peer.last_sec.bootstrap);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/bs");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 10, &m, BW_COAP_CHANGED, NULL);
}

/*
 * A Finish over a set with no usable DM server (a PSK-mode Security
 * instance without a key; then nothing at all after Delete "/") is
 * answered 4.06 with a text diagnostic; nothing is saved, the set in use
 * is still A byte for byte, and the client keeps bootstrapping: a fixed
 * set then finishes normally.
 */
static void test_invalid_staged_set_is_not_acceptable(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_servers_t a;
    bw_coap_msg_t r;
    uint8_t tlv[512];
    size_t n;
    uint32_t cf;

    bootstrap_from_stored(f, &a);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 11, BW_COAP_DELETE,
                                           "/", -1, NULL, 0, NULL),
                     BW_COAP_DELETED);
    n = bw_lwm2m_peer_tlv_security(tlv, sizeof tlv, 1, "coaps://x:1", 0, "id",
                                   NULL, 0, 9);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 12, BW_COAP_PUT,
                                           "/0/1", BW_COAP_FMT_LWM2M_TLV, tlv,
                                           n, NULL),
                     BW_COAP_CHANGED);
    n = bw_lwm2m_peer_tlv_server(tlv, sizeof tlv, 1, 9, 60, "U");
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 13, BW_COAP_PUT,
                                           "/1/1", BW_COAP_FMT_LWM2M_TLV, tlv,
                                           n, NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 14, BW_COAP_POST,
                                           "/bs", -1, NULL, 0, &r),
                     BW_COAP_NOT_ACCEPTABLE);
    assert_int_equal(bw_coap_msg_uint(&r, BW_COAP_OPT_CONTENT_FORMAT, &cf), 0);
    assert_int_equal(cf, BW_COAP_FMT_TEXT);
    assert_non_null(r.payload);
    assert_true(r.payload_len > 0);
    assert_int_equal(f->peer.saves, 0);
    assert_memory_equal(bw_lwm2m_client_servers(&f->c), &a, sizeof a);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);

    /* Nothing but the bootstrap account left: "no DM server". */
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 15, BW_COAP_DELETE,
                                           "/", -1, NULL, 0, NULL),
                     BW_COAP_DELETED);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 16, BW_COAP_POST,
                                           "/bs", -1, NULL, 0, &r),
                     BW_COAP_NOT_ACCEPTABLE);
    assert_memory_equal(bw_lwm2m_client_servers(&f->c), &a, sizeof a);

    /* Fixed: the same attempt finishes. */
    n = bw_lwm2m_peer_tlv_security(tlv, sizeof tlv, 1,
                                   "coaps://dm.example.net:5684", 0, "dev-id",
                                   BW_PEER_PSK, sizeof BW_PEER_PSK, 101);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 17, BW_COAP_PUT,
                                           "/0/1", BW_COAP_FMT_LWM2M_TLV, tlv,
                                           n, NULL),
                     BW_COAP_CHANGED);
    n = bw_lwm2m_peer_tlv_server(tlv, sizeof tlv, 1, 101, 300, "U");
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 18, BW_COAP_PUT,
                                           "/1/1", BW_COAP_FMT_LWM2M_TLV, tlv,
                                           n, NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 19, BW_COAP_POST,
                                           "/bs", -1, NULL, 0, NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(f->peer.saves, 1);
    expect_set(bw_lwm2m_client_servers(&f->c), 101, 300);
    assert_int_equal(f->c.generation, 6);
}

/*
 * save() fails at Finish: the answer is 5.00, the set in use is still A,
 * the staged copy is wiped, a retry is scheduled within the first step
 * of the schedule (1 s +-25%), and the retry sends a new
 * Bootstrap-Request.
 */
static void test_save_failure_keeps_old_set(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_servers_t a;
    uint8_t tlv[512];
    size_t n;

    bootstrap_from_stored(f, &a);
    n = bw_lwm2m_peer_tlv_security(tlv, sizeof tlv, 1,
                                   "coaps://dm.example.net:5684", 0, "dev-id",
                                   BW_PEER_PSK, sizeof BW_PEER_PSK, 202);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 11, BW_COAP_PUT,
                                           "/0/1", BW_COAP_FMT_LWM2M_TLV, tlv,
                                           n, NULL),
                     BW_COAP_CHANGED);
    n = bw_lwm2m_peer_tlv_server(tlv, sizeof tlv, 1, 202, 300, "U");
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 12, BW_COAP_PUT,
                                           "/1/1", BW_COAP_FMT_LWM2M_TLV, tlv,
                                           n, NULL),
                     BW_COAP_CHANGED);
    f->peer.save_result = BW_EIO;
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 13, BW_COAP_POST,
                                           "/bs", -1, NULL, 0, NULL),
                     BW_COAP_INTERNAL_ERROR);
    assert_int_equal(f->peer.saves, 1);
    assert_memory_equal(bw_lwm2m_client_servers(&f->c), &a, sizeof a);
    assert_true(all_zero(&f->c.staged, sizeof f->c.staged));
    /* The blob handed to save() is gone from the client's buffer. */
    assert_null(
        memmem(f->c.buf, sizeof f->c.buf, BW_PEER_PSK, sizeof BW_PEER_PSK));
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_RETRY);
    assert_false(f->peer.open);

    uint64_t next = bw_lwm2m_peer_step(&f->c, 13);
    assert_in_range(next, 13 + 750, 13 + 1250);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    f->peer.save_result = 0;
    bw_lwm2m_peer_step(&f->c, next);
    bw_lwm2m_peer_bootstrap(&f->peer, &f->c, next + 1, 202, 300, "U");
    expect_set(bw_lwm2m_client_servers(&f->c), 202, 300);
}

/*
 * A stored blob with one flipped bit: start() says BW_EMALFORMED and the
 * client bootstraps from the factory server.  A load() that fails with
 * BW_EIO is passed on the same way, also to a factory bootstrap.
 */
static void test_corrupt_blob_means_factory_bootstrap(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_servers_t a;
    bw_lwm2m_peer_set(&a, 7, 600, "U");
    bw_lwm2m_peer_store(&f->peer, &a, 5);
    f->peer.store[40] ^= 0x08;
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), BW_EMALFORMED);
    assert_int_equal(bw_lwm2m_client_state(&f->c),
                     BW_LWM2M_STATE_BOOTSTRAPPING);
    bw_lwm2m_peer_step(&f->c, 0);
    assert_true(f->peer.last_sec.bootstrap);
    assert_string_equal(f->peer.last_sec.uri, FACTORY);
    assert_int_equal(bw_lwm2m_servers_dm(bw_lwm2m_client_servers(&f->c), 0),
                     -1);

    bw_lwm2m_client_t *c2 = calloc(1, sizeof *c2);
    assert_non_null(c2);
    assert_int_equal(bw_lwm2m_client_init(c2, &f->cfg, 43), 0);
    f->peer.load_result = BW_EIO;
    assert_int_equal(bw_lwm2m_client_start(c2, 0), BW_EIO);
    assert_int_equal(bw_lwm2m_client_state(c2), BW_LWM2M_STATE_BOOTSTRAPPING);
    assert_int_equal(bw_lwm2m_client_start(c2, 0), BW_ESTATE);
    free(c2);
}

/*
 * The bootstrap server answers the Request and then goes silent: at
 * bootstrap_timeout_ms after the Request the attempt is abandoned (the
 * staged writes wiped, the channel closed, RETRY reported) and a new
 * Request follows after the backoff.
 */
static void test_bootstrap_timeout_abandons_and_retries(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    uint8_t tlv[512];
    f->cfg.bootstrap_timeout_ms = 30000;
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 42), 0);
    assert_int_equal(bw_lwm2m_client_start(&f->c, 1000), 0);
    bw_lwm2m_peer_step(&f->c, 1000);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/bs");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 1100, &m, BW_COAP_CHANGED, NULL);
    size_t n = bw_lwm2m_peer_tlv_server(tlv, sizeof tlv, 1, 5, 60, "U");
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 1200, BW_COAP_PUT,
                                           "/1/1", BW_COAP_FMT_LWM2M_TLV, tlv,
                                           n, NULL),
                     BW_COAP_CHANGED);
    uint64_t next = bw_lwm2m_peer_step(&f->c, 2000);
    assert_int_equal(next, 31000);
    bw_lwm2m_peer_step(&f->c, 30999);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_RETRY), 0);
    next = bw_lwm2m_peer_step(&f->c, 31000);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_RETRY), 1);
    assert_true(all_zero(&f->c.staged, sizeof f->c.staged));
    assert_false(f->peer.open);
    assert_in_range(next, 31000 + 750, 31000 + 1250);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    bw_lwm2m_peer_step(&f->c, next);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/bs");
}

/*
 * Once registered, the DM server cannot see the Security object: Read
 * of /0/1 and /0/1/5, Write of /0/1/5 and Discover of /0 all fail (4.xx)
 * and the key stays as it was.
 */
static void test_security_object_hidden_from_dm(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_servers_t a;
    bw_lwm2m_peer_set(&a, 7, 600, "U");
    bw_lwm2m_peer_store(&f->peer, &a, 5);
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_register(&f->peer, &f->c, 1, "rd/x");

    uint8_t code = bw_lwm2m_peer_request(&f->peer, &f->c, 2, BW_COAP_GET,
                                         "/0/1", -1, NULL, 0, NULL);
    assert_int_equal(BW_COAP_CODE_CLASS(code), 4);
    code = bw_lwm2m_peer_request(&f->peer, &f->c, 3, BW_COAP_GET, "/0/1/5", -1,
                                 NULL, 0, NULL);
    assert_int_equal(BW_COAP_CODE_CLASS(code), 4);
    code = bw_lwm2m_peer_request(&f->peer, &f->c, 4, BW_COAP_PUT, "/0/1/5",
                                 BW_COAP_FMT_OPAQUE, "\x01\x02", 2, NULL);
    assert_int_equal(BW_COAP_CODE_CLASS(code), 4);
    assert_memory_equal(bw_lwm2m_client_servers(&f->c)->sec[1].psk, BW_PEER_PSK,
                        sizeof BW_PEER_PSK);
    /* The Server object is the DM server's to read. */
    code = bw_lwm2m_peer_request(&f->peer, &f->c, 5, BW_COAP_GET, "/1/1", -1,
                                 NULL, 0, NULL);
    assert_int_equal(code, BW_COAP_CONTENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_bootstrap_then_register,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_invalid_staged_set_is_not_acceptable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_failure_keeps_old_set, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_corrupt_blob_means_factory_bootstrap, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bootstrap_timeout_abandons_and_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_security_object_hidden_from_dm,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
