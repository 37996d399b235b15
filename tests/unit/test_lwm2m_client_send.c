/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client core's Send (POST /dp) against a scripted DM server
 * (tests/lwm2m_peer.h): what the request carries (checked by reading the
 * SenML CBOR back with the SenML layer, not by comparing bytes the
 * writer made), when it may be made, how its answer is reported, and
 * Mute Send (/1/x/23).  Object 1024 of tests/lwm2m_sample_object.h
 * stands for the application's objects.  Time is driven by hand.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m_senml.h"
#include "lwm2m_peer.h"
#include "lwm2m_sample_object.h"
#include "testutil.h"

typedef struct {
    bw_lwm2m_peer_t peer;
    bw_lwm2m_client_t c;
    bw_lwm2m_client_config_t cfg;
    bw_sample_t obj;
} fix_t;

/* Records read back from a Send payload. */
#define MAX_RECS 16
typedef struct {
    size_t n;
    char name[MAX_RECS][BW_LWM2M_SENML_NAME_MAX + 1];
    bool has_time[MAX_RECS];
    double time[MAX_RECS];
    bw_lwm2m_value_t v[MAX_RECS];
} recs_t;

static int collect(void *ctx, const bw_lwm2m_senml_rec_t *rec)
{
    recs_t *r = ctx;
    assert_true(r->n < MAX_RECS);
    assert_true(rec->name_len <= BW_LWM2M_SENML_NAME_MAX);
    memcpy(r->name[r->n], rec->name, rec->name_len);
    r->name[r->n][rec->name_len] = '\0';
    r->has_time[r->n] = rec->has_time;
    r->time[r->n] = rec->time;
    r->v[r->n] = rec->value;
    r->n++;
    return 0;
}

static int setup_binding(void **state, const char *binding)
{
    fix_t *f = calloc(1, sizeof *f);
    bw_lwm2m_servers_t s;
    assert_non_null(f);
    bw_lwm2m_peer_init(&f->peer);
    bw_lwm2m_peer_config(&f->peer, &f->cfg, "dev-send", "coaps://bs:5784");
    assert_int_equal(bw_lwm2m_client_init(&f->c, &f->cfg, 11), 0);
    bw_sample_init(&f->obj, 1024, bw_sample_res, bw_sample_nres, 1);
    bw_sample_fill(&f->obj);
    assert_int_equal(bw_lwm2m_client_add_object(&f->c, &f->obj.obj), 0);
    bw_lwm2m_peer_set(&s, 101, 100, binding);
    bw_lwm2m_peer_store(&f->peer, &s, 1);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_binding(state, "U");
}

static int setup_queue(void **state)
{
    return setup_binding(state, "UQ");
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void registered(fix_t *f)
{
    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_register(&f->peer, &f->c, 0, "rd/r1");
}

/* Take the next datagram: it must be a CON POST /dp in SenML CBOR;
 * its records go to *r. */
static void expect_send(fix_t *f, bw_coap_msg_t *m, recs_t *r)
{
    uint32_t cf = 0;
    bw_lwm2m_peer_expect(&f->peer, m, BW_COAP_POST, "/dp");
    assert_int_equal(bw_coap_msg_uint(m, BW_COAP_OPT_CONTENT_FORMAT, &cf), 0);
    assert_int_equal(cf, BW_COAP_FMT_SENML_CBOR);
    assert_non_null(m->payload);
    memset(r, 0, sizeof *r);
    assert_int_equal(bw_lwm2m_senml_cbor_read(m->payload, m->payload_len,
                                              collect, r, NULL, 0),
                     0);
}

static const bw_lwm2m_path_t p_count = BW_LWM2M_PATH_RES(1024, 0, 1);
static const bw_lwm2m_path_t p_inst1 = BW_LWM2M_PATH_INST(1024, 1);

/*
 * Send of /1024/0/1 and /1024/1 with a wall clock of 1700000000.250 s at
 * queue time 1000, stepped at 1500: one POST /dp whose records are the
 * count (5), then every readable resource of instance 1 in table order
 * (name "beta", count 7, readings empty, ok false), each with its full path as
 * name and the base time moved on by the 500 ms spent queued.  The 2.04 reports
 * EV_SEND_DONE and a result of 0 with code 2.04.
 */
static void test_send_carries_values_and_time(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    recs_t r;
    uint8_t code = 0;
    const bw_lwm2m_path_t paths[2] = {p_count, p_inst1};
    registered(f);
    assert_int_equal(bw_lwm2m_client_send_result(&f->c, &code), BW_ESTATE);
    assert_int_equal(
        bw_lwm2m_client_send(&f->c, paths, 2, 1000, 1700000000000 + 250), 0);
    /* Queued: the next step is due at once. */
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    bw_lwm2m_peer_step(&f->c, 1500);
    expect_send(f, &m, &r);
    assert_int_equal(r.n, 5);
    assert_string_equal(r.name[0], "/1024/0/1");
    assert_int_equal(r.v[0].type, BW_LWM2M_TYPE_INTEGER);
    assert_int_equal(r.v[0].v.i, 5);
    assert_string_equal(r.name[1], "/1024/1/0");
    assert_int_equal(r.v[1].type, BW_LWM2M_TYPE_STRING);
    assert_int_equal(r.v[1].v.bytes.len, 4);
    assert_memory_equal(r.v[1].v.bytes.ptr, "beta", 4);
    assert_string_equal(r.name[2], "/1024/1/1");
    assert_int_equal(r.v[2].v.i, 7);
    /* The empty multiple resource: a name-only record, as a Read
     * writes it. */
    assert_string_equal(r.name[3], "/1024/1/3");
    assert_int_equal(r.v[3].type, BW_LWM2M_TYPE_NONE);
    assert_string_equal(r.name[4], "/1024/1/5");
    assert_int_equal(r.v[4].type, BW_LWM2M_TYPE_BOOLEAN);
    assert_false(r.v[4].v.b);
    for (size_t i = 0; i < r.n; i++) {
        assert_true(r.has_time[i]);
        assert_true(fabs(r.time[i] - 1700000000.750) < 1e-6);
    }
    bw_lwm2m_peer_reply(&f->peer, &f->c, 1600, &m, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_SEND_DONE);
    assert_int_equal(bw_lwm2m_client_send_result(&f->c, &code), 0);
    assert_int_equal(code, BW_COAP_CHANGED);
    /* Idle again: another Send is taken. */
    assert_int_equal(bw_lwm2m_client_send(&f->c, paths, 1, 2000, 0), 0);
}

/*
 * Without a wall clock (time_ms 0) the pack carries no time at all; a
 * whole second is written as a CBOR integer (label -3, then major type 0
 * or 1), not a float.
 */
static void test_send_time_forms(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    recs_t r;
    registered(f);
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 10, 0), 0);
    bw_lwm2m_peer_step(&f->c, 10);
    expect_send(f, &m, &r);
    assert_int_equal(r.n, 1);
    assert_false(r.has_time[0]);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 11, &m, BW_COAP_CHANGED, NULL);

    assert_int_equal(
        bw_lwm2m_client_send(&f->c, &p_count, 1, 20, 1700000000000), 0);
    bw_lwm2m_peer_step(&f->c, 20);
    expect_send(f, &m, &r);
    assert_true(r.has_time[0]);
    assert_true(r.time[0] == 1700000000.0);
    /* array(1), map(3), -3, uint32 1700000000 */
    assert_true(m.payload_len > 8);
    assert_int_equal(m.payload[0], 0x81);
    assert_int_equal(m.payload[1], 0xA3);
    assert_int_equal(m.payload[2], 0x22);
    assert_int_equal(m.payload[3], 0x1A);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 21, &m, BW_COAP_CHANGED, NULL);
}

/*
 * The refusals of send() itself, each with its own code, and nothing
 * sent for any of them: before registration BW_ESTATE; NULL, zero or too
 * many paths BW_EINVAL; the root BW_EPATH; an absent object, instance or
 * resource, and the Security object, BW_ENOTFOUND; a write-only or
 * executable resource BW_EUNSUPPORTED; a second Send while one is queued
 * BW_EBUSY.
 */
static void test_send_refusals(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_path_t many[BW_LWM2M_SEND_MAX_PATHS + 1];
    const bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    const bw_lwm2m_path_t no_obj = BW_LWM2M_PATH_RES(3303, 0, 5700);
    const bw_lwm2m_path_t no_inst = BW_LWM2M_PATH_RES(1024, 3, 1);
    const bw_lwm2m_path_t no_res = BW_LWM2M_PATH_RES(1024, 0, 9);
    const bw_lwm2m_path_t security = BW_LWM2M_PATH_INST(0, 1);
    const bw_lwm2m_path_t wo = BW_LWM2M_PATH_RES(1024, 0, 7);
    const bw_lwm2m_path_t exe = BW_LWM2M_PATH_RES(1024, 0, 4);
    const bw_lwm2m_path_t bad = {{1024, 65535, 1, 65535}, 3};

    assert_int_equal(bw_lwm2m_client_start(&f->c, 0), 0);
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 0, 0), BW_ESTATE);
    bw_lwm2m_peer_step(&f->c, 0);
    bw_lwm2m_peer_register(&f->peer, &f->c, 0, "rd/r1");
    for (size_t i = 0; i < BW_LWM2M_SEND_MAX_PATHS + 1; i++)
        many[i] = p_count;
    bw_assert_err(bw_lwm2m_client_send(NULL, &p_count, 1, 0, 0), BW_EINVAL);
    bw_assert_err(bw_lwm2m_client_send(&f->c, NULL, 1, 0, 0), BW_EINVAL);
    bw_assert_err(bw_lwm2m_client_send(&f->c, many, 0, 0, 0), BW_EINVAL);
    bw_assert_err(
        bw_lwm2m_client_send(&f->c, many, BW_LWM2M_SEND_MAX_PATHS + 1, 0, 0),
        BW_EINVAL);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &root, 1, 0, 0), BW_EPATH);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &bad, 1, 0, 0), BW_EPATH);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &no_obj, 1, 0, 0), BW_ENOTFOUND);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &no_inst, 1, 0, 0), BW_ENOTFOUND);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &no_res, 1, 0, 0), BW_ENOTFOUND);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &security, 1, 0, 0),
                  BW_ENOTFOUND);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &wo, 1, 0, 0), BW_EUNSUPPORTED);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &exe, 1, 0, 0), BW_EUNSUPPORTED);
    /* One good path after a bad one in the same call: still refused. */
    const bw_lwm2m_path_t mixed[2] = {p_count, no_res};
    bw_assert_err(bw_lwm2m_client_send(&f->c, mixed, 2, 0, 0), BW_ENOTFOUND);
    bw_lwm2m_peer_step(&f->c, 1);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);

    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 2, 0), 0);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &p_count, 1, 2, 0), BW_EBUSY);
    bw_lwm2m_peer_step(&f->c, 2);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 1);
    /* In flight: still busy. */
    bw_assert_err(bw_lwm2m_client_send(&f->c, &p_count, 1, 3, 0), BW_EBUSY);
}

/*
 * Error answers and silence.  4.00 ends the Send with BW_EMALFORMED and
 * the client stays REGISTERED with nothing else sent; 4.04 ends it with
 * BW_ENOTFOUND and an Update follows at the next step; a Send nobody
 * answers ends with BW_ETIMEOUT after the CoAP retransmissions (the same
 * bytes again), and the registration is untouched by it.
 */
static void test_send_errors_and_timeout(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m, again;
    recs_t r;
    uint8_t code;
    registered(f);

    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 10, 0), 0);
    bw_lwm2m_peer_step(&f->c, 10);
    expect_send(f, &m, &r);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 11, &m, BW_COAP_BAD_REQUEST, NULL);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_SEND_FAILED);
    bw_assert_err(bw_lwm2m_client_send_result(&f->c, &code), BW_EMALFORMED);
    assert_int_equal(code, BW_COAP_BAD_REQUEST);
    bw_lwm2m_peer_step(&f->c, 12);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERED);

    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 20, 0), 0);
    bw_lwm2m_peer_step(&f->c, 20);
    expect_send(f, &m, &r);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 21, &m, BW_COAP_NOT_FOUND, NULL);
    bw_assert_err(bw_lwm2m_client_send_result(&f->c, &code), BW_ENOTFOUND);
    bw_lwm2m_peer_step(&f->c, 22);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd/r1");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 23, &m, BW_COAP_CHANGED, NULL);

    size_t failed = bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_SEND_FAILED);
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 30, 0), 0);
    bw_lwm2m_peer_step(&f->c, 30);
    expect_send(f, &m, &r);
    uint64_t now = 30;
    unsigned retransmits = 0;
    while (bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_SEND_FAILED) == failed) {
        now = bw_lwm2m_peer_step(&f->c, now);
        assert_true(now < 300000);
        while (bw_lwm2m_peer_pending(&f->peer) > 0) {
            char path[32];
            bw_lwm2m_peer_take(&f->peer, &again);
            bw_lwm2m_peer_path(&again, BW_COAP_OPT_URI_PATH, path, sizeof path);
            if (strcmp(path, "/dp") != 0) {
                /* The Update due at 90 s waits for the Send's end. */
                assert_string_equal(path, "/rd/r1");
                assert_int_not_equal(
                    bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_SEND_FAILED),
                    failed);
                continue;
            }
            assert_int_equal(again.mid, m.mid);
            retransmits++;
        }
    }
    assert_int_equal(retransmits, 4);
    bw_assert_err(bw_lwm2m_client_send_result(&f->c, &code), BW_ETIMEOUT);
    assert_int_equal(code, 0);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERED);
}

/*
 * Mute Send: the server writes /1/1/23 true (a DM Write, saved with the
 * set), and send() answers BW_EMUTED; reading it back gives true; the
 * set decoded from "flash" holds it; written false again, Send works.
 * A Send queued before the server muted is dropped with BW_EMUTED.
 */
static void test_mute_send(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m, rsp;
    recs_t r;
    bw_lwm2m_servers_t s;
    uint32_t gen;
    registered(f);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 5, BW_COAP_PUT,
                                           "/1/1/23", BW_COAP_FMT_TEXT, "1", 1,
                                           NULL),
                     BW_COAP_CHANGED);
    bw_assert_err(bw_lwm2m_client_send(&f->c, &p_count, 1, 6, 0), BW_EMUTED);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 7, BW_COAP_GET,
                                           "/1/1/23", -1, NULL, 0, &rsp),
                     BW_COAP_CONTENT);
    assert_int_equal(rsp.payload_len, 1);
    assert_int_equal(rsp.payload[0], '1');
    bw_lwm2m_peer_step(&f->c, 8); /* saves the changed set */
    assert_int_equal(
        bw_lwm2m_servers_decode(f->peer.store, f->peer.store_len, &s, &gen), 0);
    assert_int_equal(s.srv[0].mute_send, 1);

    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 9, BW_COAP_PUT,
                                           "/1/1/23", BW_COAP_FMT_TEXT, "0", 1,
                                           NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 10, 0), 0);
    bw_lwm2m_peer_step(&f->c, 10);
    expect_send(f, &m, &r);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 11, &m, BW_COAP_CHANGED, NULL);

    /* Queued, then muted before the step: dropped, never sent. */
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 12, 0), 0);
    assert_int_equal(bw_lwm2m_peer_request(&f->peer, &f->c, 12, BW_COAP_PUT,
                                           "/1/1/23", BW_COAP_FMT_TEXT, "1", 1,
                                           NULL),
                     BW_COAP_CHANGED);
    bw_lwm2m_peer_step(&f->c, 13);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    bw_assert_err(bw_lwm2m_client_send_result(&f->c, NULL), BW_EMUTED);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_SEND_FAILED);
}

/*
 * Values that do not fit one datagram: the same 200-byte opaque resource
 * named eight times.  The Send ends with BW_ENOSPC at the step, nothing
 * is sent and the client stays REGISTERED.
 */
static void test_send_too_large(void **state)
{
    fix_t *f = *state;
    bw_lwm2m_path_t p[BW_LWM2M_SEND_MAX_PATHS];
    uint8_t big[BW_SAMPLE_BYTES_MAX];
    memset(big, 0x5a, sizeof big);
    bw_sample_set(&f->obj, 0, 6,
                  bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, big, sizeof big));
    registered(f);
    for (size_t i = 0; i < BW_LWM2M_SEND_MAX_PATHS; i++)
        p[i] = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(1024, 0, 6);
    assert_int_equal(
        bw_lwm2m_client_send(&f->c, p, BW_LWM2M_SEND_MAX_PATHS, 1, 0), 0);
    bw_lwm2m_peer_step(&f->c, 1);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    bw_assert_err(bw_lwm2m_client_send_result(&f->c, NULL), BW_ENOSPC);
    assert_int_equal(bw_lwm2m_client_state(&f->c), BW_LWM2M_STATE_REGISTERED);
    /* Five copies fit (about 1 KB). */
    assert_int_equal(bw_lwm2m_client_send(&f->c, p, 5, 2, 0), 0);
    bw_lwm2m_peer_step(&f->c, 2);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 1);
}

/*
 * One request in flight at a time: an Update falling due while the Send
 * waits for its answer goes out only after the 2.04; a Send queued while
 * the Update is in flight waits for the Update's answer.
 */
static void test_send_and_update_take_turns(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    recs_t r;
    registered(f); /* lifetime 100 s: Update due at 90 s */
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 89900, 0), 0);
    bw_lwm2m_peer_step(&f->c, 89900);
    expect_send(f, &m, &r);
    bw_lwm2m_peer_step(&f->c, 90000);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 90001, &m, BW_COAP_CHANGED, NULL);
    bw_lwm2m_peer_step(&f->c, 90001);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd/r1");
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 90002, 0), 0);
    bw_lwm2m_peer_step(&f->c, 90002);
    assert_int_equal(bw_lwm2m_peer_pending(&f->peer), 0);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 90003, &m, BW_COAP_CHANGED, NULL);
    bw_lwm2m_peer_step(&f->c, 90003);
    expect_send(f, &m, &r);
}

/*
 * Queue mode: after queue_idle_ms the channel closes (EV_SLEEP).  A Send
 * then reopens it, and an Update goes first (the server learns we are
 * back), the Send right after its 2.04.  A Send queued when the channel
 * fails ends with BW_ECLOSED.
 */
static void test_send_wakes_from_queue_mode(void **state)
{
    fix_t *f = *state;
    bw_coap_msg_t m;
    recs_t r;
    registered(f);
    bw_lwm2m_peer_step(&f->c, 10000);
    assert_int_equal(bw_lwm2m_peer_last(&f->peer), BW_LWM2M_EV_SLEEP);
    unsigned connects = f->peer.connects;
    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 20000, 0), 0);
    bw_lwm2m_peer_step(&f->c, 20000);
    assert_int_equal(f->peer.connects, connects + 1);
    bw_lwm2m_peer_expect(&f->peer, &m, BW_COAP_POST, "/rd/r1");
    bw_lwm2m_peer_reply(&f->peer, &f->c, 20001, &m, BW_COAP_CHANGED, NULL);
    bw_lwm2m_peer_step(&f->c, 20001);
    expect_send(f, &m, &r);
    assert_int_equal(r.n, 1);
    bw_lwm2m_peer_reply(&f->peer, &f->c, 20002, &m, BW_COAP_CHANGED, NULL);

    assert_int_equal(bw_lwm2m_client_send(&f->c, &p_count, 1, 20003, 0), 0);
    bw_lwm2m_client_channel_failed(&f->c, 0, 20003, BW_ENET);
    bw_assert_err(bw_lwm2m_client_send_result(&f->c, NULL), BW_ECLOSED);
    assert_int_equal(bw_lwm2m_peer_count(&f->peer, BW_LWM2M_EV_SEND_FAILED), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_send_carries_values_and_time,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_time_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_errors_and_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mute_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_and_update_take_turns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_send_wakes_from_queue_mode,
                                        setup_queue, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
