/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request handler on the bootstrap interface: Bootstrap-Write (may
 * create instances and write read-only resources), Bootstrap-Read (only
 * /1 and /2), Bootstrap-Discover, Bootstrap-Delete with its two spared
 * instances (OMA LwM2M 1.1 Core, "Bootstrap-Delete": the Bootstrap-Server
 * Account and the Device instance), and the Security object kept away
 * from the DM interface.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m_dm.h"
#include "lwm2m_records.h"
#include "lwm2m_sample_object.h"

static bw_lwm2m_dm_t dm;
static bw_sample_t sec, srv, dev, obj;
static uint8_t out[1152];
static bw_coap_msg_t rsp;

static int setup(void **state)
{
    (void)state;
    bw_lwm2m_dm_init(&dm);
    bw_sample_init(&sec, 0, bw_sample_security_res, bw_sample_security_nres, 1);
    bw_sample_add(&sec, 0); /* the bootstrap server's account */
    bw_sample_set_str(&sec, 0, 0, "coaps://bs");
    bw_sample_set(&sec, 0, 1, bw_lwm2m_value_bool(true));
    bw_sample_add(&sec, 1);
    bw_sample_set_str(&sec, 1, 0, "coaps://dm");
    bw_sample_set(&sec, 1, 1, bw_lwm2m_value_bool(false));
    bw_sample_set(&sec, 1, 10, bw_lwm2m_value_int(101));
    bw_sample_init(&srv, 1, bw_sample_server_res, bw_sample_server_nres, 1);
    bw_sample_add(&srv, 0);
    bw_sample_set(&srv, 0, 0, bw_lwm2m_value_int(101));
    bw_sample_set(&srv, 0, 1, bw_lwm2m_value_int(300));
    bw_sample_init(&dev, 3, bw_sample_device_res, bw_sample_device_nres, 0);
    bw_sample_add(&dev, 0);
    bw_sample_fill(&obj);
    obj.obj.version = "1.1";
    assert_int_equal(bw_lwm2m_dm_add(&dm, &obj.obj), 0);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &dev.obj), 0);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &srv.obj), 0);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &sec.obj), 0);
    return 0;
}

static int bs(uint8_t code, const char *path, int format, const void *p,
              size_t len, int accept)
{
    bw_sample_req_t q = bw_sample_req(code, path);
    q.format = format;
    q.payload = p;
    q.len = len;
    q.accept = accept;
    return bw_sample_do(&dm, BW_LWM2M_IFACE_BOOTSTRAP, 0, &q, out, sizeof out,
                        &rsp);
}

/* Bootstrap-Write of a Server instance that does not exist creates it,
 * read-only Short Server ID included, in one BOOTSTRAP transaction; the
 * same TLV on the DM interface is refused (the id is read-only). */
static void test_bootstrap_write_creates(void **state)
{
    (void)state;
    /* /1/1: 0 = 102, 1 = 60, 7 = "U" */
    static const uint8_t tlv[] = {0xc1, 0x00, 0x66, 0xc1, 0x01,
                                  0x3c, 0xc1, 0x07, 'U'};
    bw_lwm2m_value_t t;
    assert_int_equal(
        bs(BW_COAP_PUT, "/1/1", BW_COAP_FMT_LWM2M_TLV, tlv, sizeof tlv, -1),
        BW_COAP_CHANGED);
    assert_int_equal(srv.last_kind, BW_LWM2M_TXN_BOOTSTRAP);
    assert_non_null(bw_sample_get(&srv, 1, 0, &t));
    assert_int_equal(t.v.i, 102);
    assert_int_equal(bw_sample_get(&srv, 1, 1, &t)->v.i, 60);

    bw_sample_req_t q = bw_sample_req(BW_COAP_PUT, "/1/0");
    q.format = BW_COAP_FMT_LWM2M_TLV;
    q.payload = tlv;
    q.len = sizeof tlv;
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out, sizeof out, &rsp),
        BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(bw_sample_get(&srv, 0, 0, &t)->v.i, 101);
}

/* Bootstrap-Write of a whole object in SenML writes two instances, one
 * new, atomically: when the second instance fails validation neither
 * changes and the new one is gone. */
static void test_bootstrap_write_object(void **state)
{
    (void)state;
    static const char ok[] =
        "[{\"n\":\"/1024/0/0\",\"vs\":\"one\"},"
        "{\"n\":\"/1024/2/0\",\"vs\":\"two\"},{\"n\":\"/1024/2/1\",\"v\":2},"
        "{\"n\":\"/1024/2/5\",\"vb\":true}]"; /* 5 is read-only: allowed */
    bw_lwm2m_value_t t;
    assert_int_equal(
        bs(BW_COAP_PUT, "/1024", BW_COAP_FMT_SENML_JSON, ok, strlen(ok), -1),
        BW_COAP_CHANGED);
    assert_int_equal(bw_sample_get(&obj, 0, 0, &t)->v.bytes.len, 3);
    assert_true(bw_sample_get(&obj, 2, 5, &t)->v.b);

    static const char bad[] = "[{\"n\":\"/1024/0/0\",\"vs\":\"zero\"},"
                              "{\"n\":\"/1024/3/1\",\"v\":-1}]";
    assert_int_equal(
        bs(BW_COAP_PUT, "/1024", BW_COAP_FMT_SENML_JSON, bad, strlen(bad), -1),
        BW_COAP_BAD_REQUEST);
    assert_int_equal(bw_sample_get(&obj, 0, 0, &t)->v.bytes.len, 3);
    assert_null(bw_sample_inst(&obj, 3));
}

/* More instances in one write than a transaction holds is 4.13, found
 * before any handler runs. */
static void test_bootstrap_write_too_many(void **state)
{
    (void)state;
    uint8_t tlv[64];
    size_t n = 0;
    for (uint8_t i = 0; i <= BW_LWM2M_DM_MAX_TXN; i++) {
        tlv[n++] = 0x03; /* object instance, 3 bytes */
        tlv[n++] = i;
        tlv[n++] = 0xc1;
        tlv[n++] = 0x01;
        tlv[n++] = 0x01;
    }
    assert_int_equal(
        bs(BW_COAP_PUT, "/1024", BW_COAP_FMT_LWM2M_TLV, tlv, n, -1),
        BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(obj.begins, 0);
}

/* Bootstrap-Read: the Server object (and Access Control) only. */
static void test_bootstrap_read(void **state)
{
    (void)state;
    bw_recs_t got;
    memset(&got, 0, sizeof got);
    assert_int_equal(bs(BW_COAP_GET, "/1", -1, "", 0, -1), BW_COAP_CONTENT);
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(1);
    bw_lwm2m_sink_t sink = {NULL, bw_recs_collect, &got, NULL, 0};
    assert_int_equal(
        bw_lwm2m_tlv_decode(rsp.payload, rsp.payload_len, &base, &sink), 0);
    assert_int_equal(got.n, 2); /* ssid and lifetime of /1/0 */
    assert_int_equal(bs(BW_COAP_GET, "/1/0", -1, "", 0, BW_COAP_FMT_SENML_CBOR),
                     BW_COAP_CONTENT);
    assert_int_equal(bs(BW_COAP_GET, "/0", -1, "", 0, -1),
                     BW_COAP_UNAUTHORIZED);
    assert_int_equal(bs(BW_COAP_GET, "/0/1", -1, "", 0, -1),
                     BW_COAP_UNAUTHORIZED);
    assert_int_equal(bs(BW_COAP_GET, "/3/0", -1, "", 0, -1),
                     BW_COAP_UNAUTHORIZED);
    assert_int_equal(bs(BW_COAP_GET, "/1/0/1", -1, "", 0, -1),
                     BW_COAP_BAD_REQUEST);
    assert_int_equal(bs(BW_COAP_GET, "/", -1, "", 0, -1), BW_COAP_BAD_REQUEST);
    assert_int_equal(bs(BW_COAP_GET, "/1/7", -1, "", 0, -1), BW_COAP_NOT_FOUND);
}

/* Bootstrap-Discover on "/" (Core example form): the version, every
 * instance, uri on Security instances, ssid on all but the bootstrap
 * server's and on Server instances, ver on a versioned object. */
static void test_bootstrap_discover(void **state)
{
    (void)state;
    static const char want[] =
        "</>;lwm2m=1.1,</0/0>;uri=\"coaps://bs\","
        "</0/1>;ssid=101;uri=\"coaps://dm\",</1/0>;ssid=101,</3/0>,"
        "</1024>;ver=1.1,</1024/0>,</1024/1>";
    assert_int_equal(bs(BW_COAP_GET, "/", -1, "", 0, BW_COAP_FMT_LINK),
                     BW_COAP_CONTENT);
    assert_int_equal(rsp.payload_len, strlen(want));
    assert_memory_equal(rsp.payload, want, strlen(want));
    static const char one[] = "</>;lwm2m=1.1,</1/0>;ssid=101";
    assert_int_equal(bs(BW_COAP_GET, "/1", -1, "", 0, BW_COAP_FMT_LINK),
                     BW_COAP_CONTENT);
    assert_int_equal(rsp.payload_len, strlen(one));
    assert_memory_equal(rsp.payload, one, strlen(one));
    assert_int_equal(bs(BW_COAP_GET, "/1/0", -1, "", 0, BW_COAP_FMT_LINK),
                     BW_COAP_BAD_REQUEST);
}

/* Bootstrap-Delete "/" removes every instance but the bootstrap
 * server's Security instance and /3/0. */
static void test_bootstrap_delete_all(void **state)
{
    (void)state;
    assert_int_equal(bs(BW_COAP_DELETE, "/", -1, "", 0, -1), BW_COAP_DELETED);
    assert_non_null(bw_sample_inst(&sec, 0));
    assert_null(bw_sample_inst(&sec, 1));
    assert_null(bw_sample_inst(&srv, 0));
    assert_non_null(bw_sample_inst(&dev, 0));
    assert_null(bw_sample_inst(&obj, 0));
    assert_null(bw_sample_inst(&obj, 1));
}

/* Naming a spared instance is 4.00; "/O" spares it silently; other
 * instances go; resource paths are 4.00. */
static void test_bootstrap_delete_targets(void **state)
{
    (void)state;
    assert_int_equal(bs(BW_COAP_DELETE, "/0/0", -1, "", 0, -1),
                     BW_COAP_BAD_REQUEST);
    assert_int_equal(bs(BW_COAP_DELETE, "/3/0", -1, "", 0, -1),
                     BW_COAP_BAD_REQUEST);
    assert_int_equal(bs(BW_COAP_DELETE, "/0", -1, "", 0, -1), BW_COAP_DELETED);
    assert_non_null(bw_sample_inst(&sec, 0));
    assert_null(bw_sample_inst(&sec, 1));
    assert_int_equal(bs(BW_COAP_DELETE, "/1024/1", -1, "", 0, -1),
                     BW_COAP_DELETED);
    assert_non_null(bw_sample_inst(&obj, 0));
    assert_int_equal(bs(BW_COAP_DELETE, "/1024/1", -1, "", 0, -1),
                     BW_COAP_NOT_FOUND);
    assert_int_equal(bs(BW_COAP_DELETE, "/1024/0/1", -1, "", 0, -1),
                     BW_COAP_BAD_REQUEST);
    assert_int_equal(bs(BW_COAP_DELETE, "/55", -1, "", 0, -1),
                     BW_COAP_NOT_FOUND);
    assert_int_equal(bs(BW_COAP_POST, "/1024/0/4", -1, "", 0, -1),
                     BW_COAP_METHOD_NOT_ALLOWED);
}

/* The DM interface never reaches the Security object. */
static void test_security_hidden_from_dm(void **state)
{
    (void)state;
    static const uint8_t methods[] = {BW_COAP_GET, BW_COAP_PUT, BW_COAP_POST,
                                      BW_COAP_DELETE};
    for (size_t i = 0; i < sizeof methods; i++) {
        bw_sample_req_t q = bw_sample_req(methods[i], "/0/1");
        assert_int_equal(bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out,
                                      sizeof out, &rsp),
                         BW_COAP_UNAUTHORIZED);
    }
    assert_non_null(bw_sample_inst(&sec, 1));
    assert_int_equal(sec.writes + sec.removes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bootstrap_write_creates, setup),
        cmocka_unit_test_setup(test_bootstrap_write_object, setup),
        cmocka_unit_test_setup(test_bootstrap_write_too_many, setup),
        cmocka_unit_test_setup(test_bootstrap_read, setup),
        cmocka_unit_test_setup(test_bootstrap_discover, setup),
        cmocka_unit_test_setup(test_bootstrap_delete_all, setup),
        cmocka_unit_test_setup(test_bootstrap_delete_targets, setup),
        cmocka_unit_test_setup(test_security_hidden_from_dm, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
