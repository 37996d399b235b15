/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Write-Attributes, Discover, Register links, Observe and notifications:
 * the attribute rules (Core "Attributes"), their inheritance, and when a
 * notification is due (pmin, pmax, gt / lt / st), its sequence numbers,
 * and the 4.04 that ends the observation of a deleted instance.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_observe.h"
#include "bulwark/lwm2m_dm.h"
#include "lwm2m_sample_object.h"

static bw_lwm2m_dm_t dm;
static bw_sample_t obj, srv;
static uint8_t out[1152];
static bw_coap_msg_t rsp;
static const uint8_t tok[] = {0x0b, 0x5e};

static int setup(void **state)
{
    (void)state;
    bw_lwm2m_dm_init(&dm);
    bw_sample_fill(&obj);
    bw_sample_init(&srv, 1, bw_sample_server_res, bw_sample_server_nres, 1);
    bw_sample_add(&srv, 0);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &obj.obj), 0);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &srv.obj), 0);
    return 0;
}

/* PUT path?q1&q2... from server 101; returns the code. */
static int wattr(const char *path, const char *q1, const char *q2,
                 const char *q3)
{
    bw_sample_req_t q = bw_sample_req(BW_COAP_PUT, path);
    q.query[0] = q1;
    q.query[1] = q2;
    q.query[2] = q3;
    return bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out, sizeof out, &rsp);
}

static void discover_is(const char *path, const char *want)
{
    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, path);
    q.accept = BW_COAP_FMT_LINK;
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out, sizeof out, &rsp),
        BW_COAP_CONTENT);
    if (rsp.payload_len != strlen(want) ||
        memcmp(rsp.payload, want, rsp.payload_len) != 0)
        fail_msg("%s: got %.*s", path, (int)rsp.payload_len,
                 (const char *)rsp.payload);
}

/* Attributes set, shown by Discover at their level, inherited at
 * resource level (the Core's Discover examples), removed by bare name. */
static void test_attributes_discover(void **state)
{
    (void)state;
    assert_int_equal(wattr("/1024", "pmin=10", NULL, NULL), BW_COAP_CHANGED);
    assert_int_equal(wattr("/1024/0", "pmax=60", NULL, NULL), BW_COAP_CHANGED);
    assert_int_equal(wattr("/1024/0/1", "gt=50", "lt=42.2", "st=0.5"),
                     BW_COAP_CHANGED);
    discover_is("/1024/0/1",
                "</1024/0/1>;pmin=10;pmax=60;gt=50;lt=42.2;st=0.5");
    discover_is("/1024/0/3", "</1024/0/3>;dim=2;pmin=10;pmax=60");
    discover_is("/1024/1",
                "</1024/1>,</1024/1/0>,</1024/1/1>,</1024/1/2>,"
                "</1024/1/3>;dim=0,</1024/1/4>,</1024/1/5>,</1024/1/6>,"
                "</1024/1/7>");
    discover_is("/1", "</1>,</1/0>,</1/0/0>,</1/0/1>,</1/0/7>");
    assert_int_equal(wattr("/1024/0/1", "gt", NULL, NULL), BW_COAP_CHANGED);
    discover_is("/1024/0/1", "</1024/0/1>;pmin=10;pmax=60;lt=42.2;st=0.5");
    /* Another server sees none of them. */
    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, "/1024/0/1");
    q.accept = BW_COAP_FMT_LINK;
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 102, &q, out, sizeof out, &rsp),
        BW_COAP_CONTENT);
    assert_int_equal(rsp.payload_len, strlen("</1024/0/1>"));
}

/* Each rule of Core "Attributes" refused with 4.00, and nothing stored
 * by a refused request. */
static void test_attribute_rules(void **state)
{
    (void)state;
    static const struct {
        const char *path, *q1, *q2, *q3;
        uint8_t code;
    } cases[] = {
        {"/1024/0/1", "lt=50", "gt=10", NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "lt=10", "gt=10", NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "st=-1", NULL, NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "lt=5", "gt=10", "st=3", BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "pmin=70", "pmax=60", NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0", "gt=1", NULL, NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/0", "gt=1", NULL, NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "foo=1", NULL, NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "pmin=abc", NULL, NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "pmin=", NULL, NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "pmin=1", "pmin=2", NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "gt=1e3", NULL, NULL, BW_COAP_BAD_REQUEST},
        {"/1024/0/1", "pmin=4294967296", NULL, NULL, BW_COAP_BAD_REQUEST},
        {"/1024/9", "pmin=1", NULL, NULL, BW_COAP_NOT_FOUND},
        {"/1024/0/99", "pmin=1", NULL, NULL, BW_COAP_NOT_FOUND},
        {"/", "pmin=1", NULL, NULL, BW_COAP_METHOD_NOT_ALLOWED},
        {"/1024/0/1", "lt=5", "gt=12", "st=3", BW_COAP_CHANGED},
        {"/1024/0/1", "pmin=10", "pmax=10", NULL, BW_COAP_CHANGED},
        {"/1024/0/1", "pmin=11", NULL, NULL, BW_COAP_BAD_REQUEST},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int code = wattr(cases[i].path, cases[i].q1, cases[i].q2, cases[i].q3);
        if (code != cases[i].code)
            fail_msg("case %zu: got %d.%02d", i, code >> 5, code & 31);
    }
    discover_is("/1024/0/1", "</1024/0/1>;pmin=10;pmax=10;gt=12;lt=5;st=3");
    assert_int_equal(dm.nattrs, 1);
}

/* The Register payload: Security left out, objects without instances
 * as </O>, ver on the object link. */
static void test_links(void **state)
{
    (void)state;
    char buf[256];
    size_t len = 0;
    bw_sample_t sec;
    bw_sample_init(&sec, 0, bw_sample_security_res, bw_sample_security_nres, 1);
    bw_sample_add(&sec, 0);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &sec.obj), 0);
    obj.obj.version = "1.2";
    bw_sample_remove_all(&srv);
    static const char want[] = "</>;rt=\"oma.lwm2m\";ct=11542,</1>,"
                               "</1024>;ver=1.2,</1024/0>,</1024/1>";
    assert_int_equal(bw_lwm2m_dm_links(&dm, buf, sizeof buf, &len), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    bw_assert_err(bw_lwm2m_dm_links(&dm, buf, 20, &len), BW_ENOSPC);
    assert_int_equal(len, 0);
}

static int observe(const char *path, int value, uint64_t now, uint32_t *seq)
{
    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, path);
    q.observe = value;
    q.token = tok;
    q.token_len = sizeof tok;
    q.now = now;
    int code =
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out, sizeof out, &rsp);
    /* no Observe option in the answer: UINT32_MAX */
    if (seq != NULL && bw_coap_msg_uint(&rsp, BW_COAP_OPT_OBSERVE, seq) != 0)
        *seq = 0xFFFFFFFFu;
    return code;
}

/* Poll: 1 and rsp parsed when a notification is due. */
static int poll_at(uint64_t now, uint64_t *next)
{
    size_t len = 0;
    uint16_t server = 0;
    int r = bw_lwm2m_dm_notify(&dm, now, out, sizeof out, &len, &server, next);
    if (r == 1) {
        assert_int_equal(server, 101);
        assert_int_equal(bw_coap_parse(&rsp, out, len), 0);
        assert_int_equal(rsp.token_len, sizeof tok);
        assert_memory_equal(rsp.token, tok, sizeof tok);
    }
    return r;
}

/* Registration answers with Observe; nothing is sent until a change;
 * a change is sent at once (pmin 0) with the next sequence number and
 * the new value; the same token again renews instead of adding. */
static void test_observe_change(void **state)
{
    (void)state;
    uint32_t seq, seq2;
    uint64_t next;
    assert_int_equal(observe("/1024/0/1", 0, 1000, &seq), BW_COAP_CONTENT);
    assert_true(seq <= BW_COAP_OBS_SEQ_MASK);
    assert_int_equal(dm.nobs, 1);
    assert_int_equal(poll_at(2000, &next), 0);
    assert_true(next == UINT64_MAX); /* no pmax: nothing scheduled */

    bw_sample_set(&obj, 0, 1, bw_lwm2m_value_int(6));
    bw_lwm2m_path_t p = BW_LWM2M_PATH_INST(1024, 0); /* a wider change */
    bw_lwm2m_dm_changed(&dm, &p, 2000);
    assert_int_equal(poll_at(2500, &next), 1);
    assert_int_equal(rsp.code, BW_COAP_CONTENT);
    assert_int_equal(rsp.type, BW_COAP_NON);
    assert_int_equal(bw_coap_msg_uint(&rsp, BW_COAP_OPT_OBSERVE, &seq2), 0);
    assert_int_equal(seq2, seq + 1);
    assert_int_equal(rsp.payload_len, 1);
    assert_int_equal(rsp.payload[0], '6');
    assert_int_equal(poll_at(2600, &next), 0);

    /* Same token: renewed in place. New token, same path: replaced. */
    assert_int_equal(observe("/1024/0/1", 0, 3000, &seq), BW_COAP_CONTENT);
    assert_int_equal(dm.nobs, 1);
    assert_int_equal(seq, seq2 + 1);
    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, "/1024/0/1");
    q.observe = 0;
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out, sizeof out, &rsp),
        BW_COAP_CONTENT);
    assert_int_equal(dm.nobs, 1);
    assert_int_equal(dm.obs[0].token_len, 2);
    assert_memory_equal(dm.obs[0].token, "\xa1\xb2", 2);
}

/* pmin holds a change back until pmin after the last notification and
 * says when in *next_ms; pmax sends one without any change. */
static void test_pmin_pmax(void **state)
{
    (void)state;
    uint64_t next;
    assert_int_equal(wattr("/1024/0/1", "pmin=10", "pmax=30", NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(observe("/1024/0/1", 0, 1000, NULL), BW_COAP_CONTENT);
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(1024, 0, 1);
    bw_lwm2m_dm_changed(&dm, &p, 2000);
    assert_int_equal(poll_at(5000, &next), 0);
    assert_true(next == 11000);
    assert_int_equal(poll_at(11000, &next), 1);
    assert_int_equal(poll_at(12000, &next), 0);
    assert_true(next == 41000); /* pmax from the last one */
    assert_int_equal(poll_at(40999, NULL), 0);
    assert_int_equal(poll_at(41000, NULL), 1); /* unchanged, but pmax */
    assert_int_equal(rsp.payload[0], '5');
}

/* The server's default pmax applies when no attribute sets one. */
static void test_default_pmax(void **state)
{
    (void)state;
    dm.default_pmax = 20;
    assert_int_equal(observe("/1024/0", 0, 0, NULL), BW_COAP_CONTENT);
    assert_int_equal(poll_at(19999, NULL), 0);
    assert_int_equal(poll_at(20000, NULL), 1);
    uint32_t cf = 0;
    assert_int_equal(bw_coap_msg_uint(&rsp, BW_COAP_OPT_CONTENT_FORMAT, &cf),
                     0);
    assert_int_equal(cf, BW_COAP_FMT_LWM2M_TLV);
}

/* gt / lt / st: a change below the step and on the same side of both
 * thresholds is dropped; crossing gt, or moving by st, is sent. */
static void test_thresholds(void **state)
{
    (void)state;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(1024, 0, 1);
    assert_int_equal(wattr("/1024/0/1", "gt=20", "st=10", NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(observe("/1024/0/1", 0, 0, NULL), BW_COAP_CONTENT);
    bw_sample_set(&obj, 0, 1, bw_lwm2m_value_int(9)); /* 5 -> 9 */
    bw_lwm2m_dm_changed(&dm, &p, 100);
    assert_int_equal(poll_at(200, NULL), 0);
    assert_int_equal(dm.obs[0].changed, 0);
    bw_sample_set(&obj, 0, 1, bw_lwm2m_value_int(16)); /* moved 11 */
    bw_lwm2m_dm_changed(&dm, &p, 300);
    assert_int_equal(poll_at(300, NULL), 1);
    assert_memory_equal(rsp.payload, "16", 2);
    bw_sample_set(&obj, 0, 1, bw_lwm2m_value_int(21)); /* crosses gt */
    bw_lwm2m_dm_changed(&dm, &p, 400);
    assert_int_equal(poll_at(400, NULL), 1);
    assert_memory_equal(rsp.payload, "21", 2);
}

/* An observed instance deleted: the next notification is a 4.04
 * without Observe, and the observation is gone. */
static void test_deleted_instance(void **state)
{
    (void)state;
    assert_int_equal(observe("/1024/1", 0, 0, NULL), BW_COAP_CONTENT);
    bw_sample_req_t q = bw_sample_req(BW_COAP_DELETE, "/1024/1");
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out, sizeof out, &rsp),
        BW_COAP_DELETED);
    assert_int_equal(poll_at(10, NULL), 1);
    assert_int_equal(rsp.code, BW_COAP_NOT_FOUND);
    bw_coap_opt_t o;
    bw_assert_err(bw_coap_opt_find(&rsp, BW_COAP_OPT_OBSERVE, &o),
                  BW_ENOTFOUND);
    assert_int_equal(dm.nobs, 0);
}

/* Observe 1, cancel_token and cancel_server end observations; a full
 * table answers the Read without Observe. */
static void test_cancel_and_full(void **state)
{
    (void)state;
    uint32_t seq;
    assert_int_equal(observe("/1024/0/1", 0, 0, NULL), BW_COAP_CONTENT);
    assert_int_equal(observe("/1024/0/1", 1, 0, &seq), BW_COAP_CONTENT);
    assert_int_equal(seq, 0xFFFFFFFFu); /* no Observe in the answer */
    assert_int_equal(dm.nobs, 0);

    static const char *paths[] = {"/1024/0/0", "/1024/0/1", "/1024/0/2",
                                  "/1024/0/3", "/1024/0/5", "/1024/0/6",
                                  "/1024/1/0", "/1024/1/1", "/1024/1"};
    for (size_t i = 0; i < 9; i++) {
        uint8_t t[2] = {0x70, (uint8_t)i};
        bw_sample_req_t q = bw_sample_req(BW_COAP_GET, paths[i]);
        q.observe = 0;
        q.token = t;
        q.token_len = 2;
        assert_int_equal(bw_sample_do(&dm, BW_LWM2M_IFACE_DM,
                                      (uint16_t)(i < 4 ? 101 : 102), &q, out,
                                      sizeof out, &rsp),
                         BW_COAP_CONTENT);
        int has = bw_coap_msg_uint(&rsp, BW_COAP_OPT_OBSERVE, &seq) == 0;
        assert_int_equal(has, i < BW_LWM2M_DM_MAX_OBS);
    }
    assert_int_equal(dm.nobs, BW_LWM2M_DM_MAX_OBS);
    const uint8_t t1[2] = {0x70, 1};
    bw_lwm2m_dm_cancel_token(&dm, 101, t1, 2);
    assert_int_equal(dm.nobs, BW_LWM2M_DM_MAX_OBS - 1);
    bw_lwm2m_dm_cancel_token(&dm, 102, t1 /* not 102's */, 2);
    assert_int_equal(dm.nobs, BW_LWM2M_DM_MAX_OBS - 1);
    bw_lwm2m_dm_cancel_server(&dm, 102);
    assert_int_equal(dm.nobs, 3);
    bw_lwm2m_dm_cancel_server(&dm, 101);
    assert_int_equal(dm.nobs, 0);
}

/* Sequence numbers wrap at 24 bits; a CON goes out once 24 hours passed
 * since the last CON. */
static void test_seq_wrap_and_con(void **state)
{
    (void)state;
    uint32_t seq;
    assert_int_equal(observe("/1024/0/1", 0, 0, NULL), BW_COAP_CONTENT);
    dm.obs[0].seq = BW_COAP_OBS_SEQ_MASK;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(1024, 0, 1);
    bw_lwm2m_dm_changed(&dm, &p, 1);
    assert_int_equal(poll_at(1, NULL), 1);
    assert_int_equal(bw_coap_msg_uint(&rsp, BW_COAP_OPT_OBSERVE, &seq), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(rsp.type, BW_COAP_NON);
    bw_lwm2m_dm_changed(&dm, &p, 2);
    assert_int_equal(poll_at(BW_COAP_OBS_DEFAULT_CON_INTERVAL_MS, NULL), 1);
    assert_int_equal(rsp.type, BW_COAP_CON);
    assert_int_equal(bw_coap_msg_uint(&rsp, BW_COAP_OPT_OBSERVE, &seq), 0);
    assert_int_equal(seq, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_attributes_discover, setup),
        cmocka_unit_test_setup(test_attribute_rules, setup),
        cmocka_unit_test_setup(test_links, setup),
        cmocka_unit_test_setup(test_observe_change, setup),
        cmocka_unit_test_setup(test_pmin_pmax, setup),
        cmocka_unit_test_setup(test_default_pmax, setup),
        cmocka_unit_test_setup(test_thresholds, setup),
        cmocka_unit_test_setup(test_deleted_instance, setup),
        cmocka_unit_test_setup(test_cancel_and_full, setup),
        cmocka_unit_test_setup(test_seq_wrap_and_con, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
