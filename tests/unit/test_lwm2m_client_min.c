/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small-device profile (bw_lwm2m_client_min, bw_lwm2m_dm_min): a
 * client that speaks TLV, SenML CBOR and octet-stream only, without
 * Discover, Write-Attributes, Block1, Access Control or Send, against the
 * scripted DM server of tests/lwm2m_peer.h.  What it has must work as in
 * the full client (register, Read, Write, Observe and notify); what it
 * leaves out must be refused with the code the specifications give for an
 * unsupported format or operation, never crash or half-answer.  Object
 * 1024 of tests/lwm2m_sample_object.h stands for the application's
 * objects.  Time is driven by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m_senml.h"
#include "lwm2m_peer.h"
#include "lwm2m_records.h"
#include "lwm2m_sample_object.h"
#include "testutil.h"

typedef struct {
    bw_lwm2m_peer_t peer;
    bw_lwm2m_client_t c;
    bw_lwm2m_client_config_t cfg;
    bw_sample_t obj;
    uint16_t mid; /* of the next request we send */
} fix_t;

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    bw_lwm2m_servers_t s;
    assert_non_null(f);
    bw_lwm2m_peer_init(&f->peer);
    bw_lwm2m_peer_config(&f->peer, &f->cfg, "dev-min", "coaps://bs:5784");
    assert_int_equal(
        bw_lwm2m_client_init_profile(&f->c, &f->cfg, 7, &bw_lwm2m_client_min),
        0);
    bw_sample_fill(&f->obj);
    assert_int_equal(bw_lwm2m_client_add_object(&f->c, &f->obj.obj), 0);
    bw_lwm2m_peer_set(&s, 101, 100, "U");
    bw_lwm2m_peer_store(&f->peer, &s, 1);
    f->mid = 0x5000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Start and register; *links gets the Register payload (NUL-ended). */
static void registered(fix_t *f, char *links, size_t cap)
{
    bw_coap_msg_t m;
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd");
    assert_true(m.payload_len < cap);
    memcpy(links, m.payload, m.payload_len);
    links[m.payload_len] = '\0';
    bw_lwm2m_peer_reply(&f->peer, &f->c, 1, &m, BW_COAP_CREATED, "rd/m1");
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERED);
}

/* Hand q to the client as a datagram of the server (a fresh message ID
 * each time) and take the answer into *rsp; returns its code. */
static uint8_t ask(fix_t *f, const bw_sample_req_t *q, bw_coap_msg_t *rsp)
{
    static uint8_t buf[1200];
    size_t len = bw_sample_build(q, buf, sizeof buf);
    assert_true(len > 4);
    buf[2] = (uint8_t)(f->mid >> 8);
    buf[3] = (uint8_t)f->mid;
    f->mid++;
    assert_int_equal(bw_lwm2m_client_input(&f->c, 0, q->now, buf, len), 0);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 1);
    bw_lwm2m_peer_take(&f->peer, rsp);
    return rsp->code;
}

static uint32_t content_format(const bw_coap_msg_t *m)
{
    uint32_t cf = 0xFFFFFFFFu;
    assert_int_equal(bw_coap_msg_uint(m, BW_COAP_OPT_CONTENT_FORMAT, &cf), 0);
    return cf;
}

/*
 * Register: the links name the application's object and its instances and
 * say ct=11542; no Access Control object (/2) is listed, as the profile
 * has none (the full client lists "</2>").
 */
static void test_min_registers_without_acl_object(void **state)
{
    fix_t *f = *state;
    char links[512];
    registered(f, links, sizeof links);
    assert_non_null(strstr(links, "ct=11542"));
    assert_non_null(strstr(links, "</1024/0>"));
    assert_non_null(strstr(links, "</1024/1>"));
    assert_non_null(strstr(links, "</1/"));
    assert_null(strstr(links, "</2"));
}

/*
 * Read /1024/0 with Accept TLV and with Accept SenML CBOR: 2.05 in the
 * format asked for, and the payload decodes (with the library's own
 * decoders) to the instance's values: name "alpha", count 5, level 2.5,
 * readings 10 and 20, ok true, blob 01 02 03, in table order.
 */
static void test_min_read_tlv_and_senml_cbor(void **state)
{
    fix_t *f = *state;
    char links[512];
    bw_coap_msg_t r;
    bw_recs_t got;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(1024, 0);
    bw_lwm2m_sink_t sink = {NULL, bw_recs_collect, &got, NULL, 0};
    registered(f, links, sizeof links);

    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, "/1024/0");
    q.accept = BW_COAP_FMT_LWM2M_TLV;
    q.now = 10;
    assert_int_equal(ask(f, &q, &r), BW_COAP_CONTENT);
    assert_int_equal(content_format(&r), BW_COAP_FMT_LWM2M_TLV);
    memset(&got, 0, sizeof got);
    assert_int_equal(
        bw_lwm2m_tlv_decode(r.payload, r.payload_len, &base, &sink), 0);
    assert_int_equal(got.n, 7);
    assert_int_equal(got.rec[1].path.id[2], 1);
    assert_int_equal(got.rec[1].value.v.bytes.len, 1); /* raw TLV bytes */
    assert_int_equal(got.rec[1].value.v.bytes.ptr[0], 5);

    q.accept = BW_COAP_FMT_SENML_CBOR;
    q.now = 11;
    assert_int_equal(ask(f, &q, &r), BW_COAP_CONTENT);
    assert_int_equal(content_format(&r), BW_COAP_FMT_SENML_CBOR);
    memset(&got, 0, sizeof got);
    assert_int_equal(
        bw_lwm2m_senml_cbor_decode(r.payload, r.payload_len, &base, &sink), 0);
    const bw_lwm2m_record_t want[] = {
        {BW_LWM2M_PATH_RES(1024, 0, 0),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "alpha", 5)},
        {BW_LWM2M_PATH_RES(1024, 0, 1), bw_lwm2m_value_int(5)},
        {BW_LWM2M_PATH_RES(1024, 0, 2), bw_lwm2m_value_float(2.5)},
        {BW_LWM2M_PATH_RI(1024, 0, 3, 0), bw_lwm2m_value_int(10)},
        {BW_LWM2M_PATH_RI(1024, 0, 3, 1), bw_lwm2m_value_int(20)},
        {BW_LWM2M_PATH_RES(1024, 0, 5), bw_lwm2m_value_bool(true)},
        {BW_LWM2M_PATH_RES(1024, 0, 6),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, "\x01\x02\x03", 3)},
    };
    bw_recs_expect(&got, want, sizeof want / sizeof want[0]);
}

/*
 * One resource without Accept: text/plain is not in the profile, so the
 * answer is TLV (the client picks the format when none is asked for);
 * an opaque resource comes as octet-stream.  Accept text/plain is 4.06.
 */
static void test_min_single_value_defaults_to_tlv(void **state)
{
    fix_t *f = *state;
    char links[512];
    bw_coap_msg_t r;
    registered(f, links, sizeof links);

    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, "/1024/0/1");
    q.now = 10;
    assert_int_equal(ask(f, &q, &r), BW_COAP_CONTENT);
    assert_int_equal(content_format(&r), BW_COAP_FMT_LWM2M_TLV);
    /* One resource TLV: type 0xC1 (resource, 8-bit id, length 1), id 1,
     * value 5. */
    assert_int_equal(r.payload_len, 3);
    assert_memory_equal(r.payload, "\xC1\x01\x05", 3);

    q = bw_sample_req(BW_COAP_GET, "/1024/0/6");
    q.now = 11;
    assert_int_equal(ask(f, &q, &r), BW_COAP_CONTENT);
    assert_int_equal(content_format(&r), BW_COAP_FMT_OPAQUE);
    assert_int_equal(r.payload_len, 3);

    q = bw_sample_req(BW_COAP_GET, "/1024/0/1");
    q.accept = BW_COAP_FMT_TEXT;
    q.now = 12;
    assert_int_equal(ask(f, &q, &r), BW_COAP_NOT_ACCEPTABLE);
}

/*
 * What the profile leaves out, each answered as the specifications say
 * for an unsupported format or operation, and nothing changed: Read with
 * Accept SenML JSON 4.06; Write in SenML JSON and in text/plain 4.15 (the
 * value stays 5); Discover (Accept link-format) 4.06; Write-Attributes
 * 4.05; a Write with Block1 4.13.  A Write in TLV still works (count 9).
 * bw_lwm2m_client_send() answers BW_EUNSUPPORTED and sends nothing.
 */
static void test_min_refuses_what_it_lacks(void **state)
{
    fix_t *f = *state;
    char links[512];
    bw_coap_msg_t r;
    bw_lwm2m_value_t tmp;
    registered(f, links, sizeof links);

    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, "/1024/0");
    q.accept = BW_COAP_FMT_SENML_JSON;
    q.now = 10;
    assert_int_equal(ask(f, &q, &r), BW_COAP_NOT_ACCEPTABLE);

    static const char json[] = "[{\"n\":\"/1024/0/1\",\"v\":8}]";
    q = bw_sample_req(BW_COAP_PUT, "/1024/0/1");
    q.format = BW_COAP_FMT_SENML_JSON;
    q.payload = json;
    q.len = sizeof json - 1;
    q.now = 11;
    assert_int_equal(ask(f, &q, &r), BW_COAP_UNSUPPORTED_FORMAT);
    q.format = BW_COAP_FMT_TEXT;
    q.payload = "8";
    q.len = 1;
    q.now = 12;
    assert_int_equal(ask(f, &q, &r), BW_COAP_UNSUPPORTED_FORMAT);
    assert_int_equal(bw_sample_get(&f->obj, 0, 1, &tmp)->v.i, 5);

    q = bw_sample_req(BW_COAP_PUT, "/1024/0/1");
    q.format = BW_COAP_FMT_LWM2M_TLV;
    q.payload = "\xC1\x01\x09";
    q.len = 3;
    q.now = 13;
    assert_int_equal(ask(f, &q, &r), BW_COAP_CHANGED);
    assert_int_equal(bw_sample_get(&f->obj, 0, 1, &tmp)->v.i, 9);

    q = bw_sample_req(BW_COAP_GET, "/1024/0");
    q.accept = BW_COAP_FMT_LINK;
    q.now = 14;
    assert_int_equal(ask(f, &q, &r), BW_COAP_NOT_ACCEPTABLE);

    q = bw_sample_req(BW_COAP_PUT, "/1024/0/1");
    q.query[0] = "pmin=5";
    q.now = 15;
    assert_int_equal(ask(f, &q, &r), BW_COAP_METHOD_NOT_ALLOWED);

    q = bw_sample_req(BW_COAP_PUT, "/1024/0/6");
    q.format = BW_COAP_FMT_OPAQUE;
    q.block1 = 0x0A; /* NUM 0, M 1, SZX 2 (64 bytes) */
    q.payload = links;
    q.len = 64;
    q.now = 16;
    assert_int_equal(ask(f, &q, &r), BW_COAP_REQUEST_TOO_LARGE);

    const bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(1024, 0, 1);
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p, 1, 20, 0),
                     BW_EUNSUPPORTED);
    bw_lwm2m_peer_step(&f->c, 20);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
}

/*
 * Observe /1024/0/1 in SenML CBOR: 2.05 with an Observe option; the
 * application changes the value to 6 and reports it; the next step sends
 * a notification with the observation's token, a higher Observe value, in
 * SenML CBOR, carrying 6.  Without Write-Attributes the server's default
 * pmin (0) applies.
 */
static void test_min_observe_and_notify(void **state)
{
    fix_t *f = *state;
    char links[512];
    bw_coap_msg_t r, n;
    bw_recs_t got;
    uint32_t seq0 = 0, seq1 = 0;
    static const uint8_t tok[4] = {0x0B, 0x5E, 0x77, 0x01};
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(1024, 0, 1);
    bw_lwm2m_sink_t sink = {NULL, bw_recs_collect, &got, NULL, 0};
    registered(f, links, sizeof links);

    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, "/1024/0/1");
    q.accept = BW_COAP_FMT_SENML_CBOR;
    q.observe = 0;
    q.token = tok;
    q.token_len = sizeof tok;
    q.now = 10;
    assert_int_equal(ask(f, &q, &r), BW_COAP_CONTENT);
    assert_int_equal(bw_coap_msg_uint(&r, BW_COAP_OPT_OBSERVE, &seq0), 0);

    bw_sample_set(&f->obj, 0, 1, bw_lwm2m_value_int(6));
    bw_lwm2m_client_changed(&f->c, &base, 20);
    bw_lwm2m_peer_step(&f->c, 20);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 1);
    bw_lwm2m_peer_take(&f->peer, &n);
    assert_int_equal(n.code, BW_COAP_CONTENT);
    assert_int_equal(n.token_len, sizeof tok);
    assert_memory_equal(n.token, tok, sizeof tok);
    assert_int_equal(bw_coap_msg_uint(&n, BW_COAP_OPT_OBSERVE, &seq1), 0);
    assert_true(seq1 > seq0);
    assert_int_equal(content_format(&n), BW_COAP_FMT_SENML_CBOR);
    memset(&got, 0, sizeof got);
    assert_int_equal(
        bw_lwm2m_senml_cbor_decode(n.payload, n.payload_len, &base, &sink), 0);
    const bw_lwm2m_record_t want[] = {{base, bw_lwm2m_value_int(6)}};
    bw_recs_expect(&got, want, 1);
}

/*
 * Setting up: a NULL profile, or a request handler table with neither
 * TLV nor SenML CBOR (nothing could answer a Read of an instance), is
 * BW_EINVAL and leaves the client zeroed; a table of SenML CBOR alone is
 * fine.
 */
static void test_min_profile_checked_at_init(void **state)
{
    fix_t *f = *state;
    static const bw_lwm2m_dm_config_t opaque_only = {
        {&bw_lwm2m_codec_opaque, NULL, NULL, NULL, NULL}, NULL, NULL, NULL};
    static const bw_lwm2m_dm_config_t cbor_only = {
        {&bw_lwm2m_codec_senml_cbor, NULL, NULL, NULL, NULL}, NULL, NULL, NULL};
    const bw_lwm2m_client_profile_t bad = {&opaque_only, NULL, NULL};
    const bw_lwm2m_client_profile_t good = {&cbor_only, NULL, NULL};
    const bw_lwm2m_client_profile_t no_dm = {NULL, NULL, NULL};

    bw_assert_err(bw_lwm2m_client_init_profile(&f->c, &f->cfg, 1, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_lwm2m_client_init_profile(&f->c, &f->cfg, 1, &bad),
                  BW_EINVAL);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_IDLE);
    assert_null(f->c.profile);
    bw_assert_err(bw_lwm2m_client_init_profile(&f->c, &f->cfg, 1, &no_dm),
                  BW_EINVAL);
    /* static storage: the profile outlives the client */
    static bw_lwm2m_client_profile_t keep;
    keep = good;
    assert_int_equal(bw_lwm2m_client_init_profile(&f->c, &f->cfg, 1, &keep), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_min_registers_without_acl_object,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_min_read_tlv_and_senml_cbor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_min_single_value_defaults_to_tlv,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_min_refuses_what_it_lacks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_min_observe_and_notify, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_min_profile_checked_at_init, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
