/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request handler's changing operations on the DM interface: Write
 * (replace, partial update), Create, Delete, Execute; transactions that
 * change all or nothing; the exact response code of each refusal.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "bulwark/lwm2m_dm.h"
#include "lwm2m_sample_object.h"

static bw_lwm2m_dm_t dm;
static bw_sample_t obj, dev;
static uint8_t out[1152];
static bw_coap_msg_t rsp;

static int setup(void **state)
{
    (void)state;
    bw_lwm2m_dm_init(&dm);
    bw_sample_fill(&obj);
    bw_sample_init(&dev, 3, bw_sample_device_res, bw_sample_device_nres, 0);
    bw_sample_add(&dev, 0);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &obj.obj), 0);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &dev.obj), 0);
    return 0;
}

static int send_req(uint8_t code, const char *path, int format,
                    const void *payload, size_t len)
{
    bw_sample_req_t q = bw_sample_req(code, path);
    q.format = format;
    q.payload = payload;
    q.len = len;
    return bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out, sizeof out, &rsp);
}

static int64_t int_at(uint16_t inst, uint16_t res)
{
    bw_lwm2m_value_t t;
    const bw_lwm2m_value_t *v = bw_sample_get(&obj, inst, res, &t);
    assert_non_null(v);
    return v->v.i;
}

static int has(uint16_t inst, uint16_t res)
{
    bw_lwm2m_value_t t;
    return bw_sample_get(&obj, inst, res, &t) != NULL;
}

static void assert_name(uint16_t inst, const char *want)
{
    bw_lwm2m_value_t t;
    const bw_lwm2m_value_t *v = bw_sample_get(&obj, inst, 0, &t);
    assert_non_null(v);
    assert_int_equal(v->v.bytes.len, strlen(want));
    assert_memory_equal(v->v.bytes.ptr, want, strlen(want));
}

/* One resource in text/plain: 2.04, the new value, an UPDATE transaction
 * that is committed. */
static void test_write_resource(void **state)
{
    (void)state;
    assert_int_equal(
        send_req(BW_COAP_PUT, "/1024/0/1", BW_COAP_FMT_TEXT, "42", 2),
        BW_COAP_CHANGED);
    assert_int_equal(int_at(0, 1), 42);
    assert_int_equal(obj.last_kind, BW_LWM2M_TXN_UPDATE);
    assert_int_equal(obj.commits, 1);
    assert_int_equal(obj.rollbacks, 0);
}

/* TLV for instance 0: 0 "new" (string), 1 = 9, 3 = {5: 55}. */
static const uint8_t tlv_inst0[] = {
    0xc3, 0x00, 'n', 'e', 'w', 0xc1, 0x01, 0x09, 0x83, 0x03, 0x41, 0x05, 0x37,
};

/* Write replace of an instance (PUT): named values set, unnamed writable
 * ones back to their defaults (level is gone), the multiple resource
 * holds only the instances written; read-only ones stay. */
static void test_write_replace(void **state)
{
    (void)state;
    assert_int_equal(send_req(BW_COAP_PUT, "/1024/0", BW_COAP_FMT_LWM2M_TLV,
                              tlv_inst0, sizeof tlv_inst0),
                     BW_COAP_CHANGED);
    assert_int_equal(obj.last_kind, BW_LWM2M_TXN_REPLACE);
    assert_name(0, "new");
    assert_int_equal(int_at(0, 1), 9);
    assert_false(has(0, 2));
    assert_int_equal(obj.inst[0].res[3].nri, 1);
    assert_int_equal(obj.inst[0].res[3].ri_id[0], 5);
    assert_int_equal(obj.inst[0].res[3].ri_val[0], 55);
    assert_true(has(0, 5));
}

/* Partial update (POST to the instance): named values change, the rest
 * stays, and a multiple resource keeps the instances not named (Core
 * 1.1 Write, partial update). */
static void test_write_partial(void **state)
{
    (void)state;
    assert_int_equal(send_req(BW_COAP_POST, "/1024/0", BW_COAP_FMT_LWM2M_TLV,
                              tlv_inst0, sizeof tlv_inst0),
                     BW_COAP_CHANGED);
    assert_int_equal(obj.last_kind, BW_LWM2M_TXN_UPDATE);
    assert_name(0, "new");
    assert_true(has(0, 2));
    assert_int_equal(obj.inst[0].res[3].nri, 3); /* 0, 1 and the new 5 */
    /* PUT on the multiple resource itself replaces its instances. */
    static const uint8_t multi[] = {0x83, 0x03, 0x41, 0x02, 0x07};
    assert_int_equal(send_req(BW_COAP_PUT, "/1024/0/3", BW_COAP_FMT_LWM2M_TLV,
                              multi, sizeof multi),
                     BW_COAP_CHANGED);
    assert_int_equal(obj.inst[0].res[3].nri, 1);
    assert_int_equal(obj.inst[0].res[3].ri_id[0], 2);
}

/* A multi-resource write whose validate() fails changes nothing: the
 * name written before the failing count is rolled back (count -1 breaks
 * the object's rule: 4.00); the same with a validate that refuses the
 * instance outright. */
static void test_validate_fails(void **state)
{
    (void)state;
    static const char json[] =
        "[{\"n\":\"/1024/0/0\",\"vs\":\"zzz\"},{\"n\":\"/1024/0/1\",\"v\":-1}]";
    assert_int_equal(send_req(BW_COAP_POST, "/1024/0", BW_COAP_FMT_SENML_JSON,
                              json, strlen(json)),
                     BW_COAP_BAD_REQUEST);
    assert_name(0, "alpha");
    assert_int_equal(int_at(0, 1), 5);
    assert_int_equal(obj.rollbacks, 1);
    assert_int_equal(obj.commits, 0);

    obj.fail_validate = 0 + 1;
    assert_int_equal(send_req(BW_COAP_PUT, "/1024/0", BW_COAP_FMT_LWM2M_TLV,
                              tlv_inst0, sizeof tlv_inst0),
                     BW_COAP_BAD_REQUEST);
    assert_name(0, "alpha");
    assert_true(has(0, 2)); /* the replace's reset was undone too */
    assert_int_equal(obj.inst[0].res[3].nri, 2);
}

/* A write handler failing half-way (the third write) leaves the instance
 * as it was: 5.00, rollback, no commit. */
static void test_write_fails_midway(void **state)
{
    (void)state;
    obj.fail_write_after = 3;
    assert_int_equal(send_req(BW_COAP_POST, "/1024/0", BW_COAP_FMT_LWM2M_TLV,
                              tlv_inst0, sizeof tlv_inst0),
                     BW_COAP_INTERNAL_ERROR);
    assert_int_equal(obj.writes, 3);
    assert_name(0, "alpha");
    assert_int_equal(int_at(0, 1), 5);
    assert_int_equal(obj.rollbacks, 1);
    assert_int_equal(obj.commits, 0);
}

/* Refusals: each before any handler runs (no write, no begin). */
static void test_write_refused(void **state)
{
    (void)state;
    static const struct {
        uint8_t method;
        const char *path;
        int format;
        const char *payload;
        uint8_t code;
    } cases[] = {
        {BW_COAP_PUT, "/1024/0/5", BW_COAP_FMT_TEXT, "1",
         BW_COAP_METHOD_NOT_ALLOWED}, /* read-only */
        {BW_COAP_PUT, "/1024/0/4", BW_COAP_FMT_TEXT, "1",
         BW_COAP_METHOD_NOT_ALLOWED}, /* executable */
        {BW_COAP_PUT, "/1024/0/99", BW_COAP_FMT_TEXT, "1", BW_COAP_NOT_FOUND},
        {BW_COAP_PUT, "/1024/8/1", BW_COAP_FMT_TEXT, "1", BW_COAP_NOT_FOUND},
        {BW_COAP_PUT, "/1024/0/1", BW_COAP_FMT_TEXT, "x1",
         BW_COAP_BAD_REQUEST}, /* not an integer */
        {BW_COAP_PUT, "/1024/0/1", 50, "1", BW_COAP_UNSUPPORTED_FORMAT},
        {BW_COAP_PUT, "/1024/0/1", -1, "1", BW_COAP_UNSUPPORTED_FORMAT},
        {BW_COAP_PUT, "/1024/0/1", BW_COAP_FMT_OPAQUE, "1",
         BW_COAP_BAD_REQUEST}, /* octet-stream is for opaque only */
        {BW_COAP_PUT, "/1024/0", BW_COAP_FMT_TEXT, "1",
         BW_COAP_UNSUPPORTED_FORMAT}, /* text cannot carry an instance */
        {BW_COAP_POST, "/1024/0", BW_COAP_FMT_SENML_JSON,
         "[{\"n\":\"/1024/0/5\",\"vb\":true}]", BW_COAP_METHOD_NOT_ALLOWED},
        {BW_COAP_POST, "/1024/0", BW_COAP_FMT_SENML_JSON,
         "[{\"n\":\"/1024/0/99\",\"v\":1}]", BW_COAP_NOT_FOUND},
        {BW_COAP_POST, "/1024/0", BW_COAP_FMT_SENML_JSON,
         "[{\"n\":\"/1024/0/1\",\"vs\":\"1\"}]", BW_COAP_BAD_REQUEST},
        {BW_COAP_POST, "/1024/0", BW_COAP_FMT_SENML_JSON,
         "[{\"n\":\"/1024/0/1\",\"v\":1}", BW_COAP_BAD_REQUEST},
        {BW_COAP_POST, "/1024/0", BW_COAP_FMT_LWM2M_TLV, "\xc1\x01",
         BW_COAP_BAD_REQUEST}, /* truncated TLV */
        {BW_COAP_PUT, "/1024", BW_COAP_FMT_LWM2M_TLV, "",
         BW_COAP_METHOD_NOT_ALLOWED}, /* DM Write on an object */
        {BW_COAP_POST, "/1024/0/3/1", BW_COAP_FMT_TEXT, "1",
         BW_COAP_METHOD_NOT_ALLOWED},
        {BW_COAP_PUT, "/0/0/0", BW_COAP_FMT_TEXT, "x", BW_COAP_UNAUTHORIZED},
        {BW_COAP_FETCH, "/1024/0", -1, "", BW_COAP_METHOD_NOT_ALLOWED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int code = send_req(cases[i].method, cases[i].path, cases[i].format,
                            cases[i].payload, strlen(cases[i].payload));
        if (code != cases[i].code)
            fail_msg("case %zu %s: got %d.%02d", i, cases[i].path, code >> 5,
                     code & 31);
    }
    assert_int_equal(obj.writes, 0);
    assert_int_equal(obj.begins, 0);
}

/* A value longer than the handler's buffer (a 900-byte opaque in SenML
 * JSON: base64 is decoded into the dm's buffer) is 4.13, not a crash
 * and not a truncation. */
static void test_write_too_large(void **state)
{
    (void)state;
    static char json[1400];
    size_t n =
        (size_t)snprintf(json, sizeof json, "[{\"n\":\"/1024/0/6\",\"vd\":\"");
    for (size_t i = 0; i < 1200; i++)
        json[n++] = 'A';
    memcpy(json + n, "\"}]", 3);
    n += 3;
    assert_int_equal(
        send_req(BW_COAP_PUT, "/1024/0/6", BW_COAP_FMT_SENML_JSON, json, n),
        BW_COAP_REQUEST_TOO_LARGE);
    assert_int_equal(obj.writes, 0);
}

/* The bytes of a STRING or OPAQUE resource of instance 0. */
static size_t bytes_at(uint16_t res, const uint8_t **ptr)
{
    bw_lwm2m_value_t t;
    const bw_lwm2m_value_t *v = bw_sample_get(&obj, 0, res, &t);
    assert_non_null(v);
    *ptr = v->v.bytes.ptr;
    return v->v.bytes.len;
}

/* An empty payload on a single value is the empty value: tried a PUT of
 * "" in text/plain to a string, in octet-stream and text/plain (base64
 * of nothing) to an opaque, and with no Content-Format to a string.
 * Must hold: 2.04, the object's write() called once per request, the
 * value now empty (before the fix the request answered 2.04 and wrote
 * nothing, so "alpha" stayed). */
static void test_write_empty_value(void **state)
{
    (void)state;
    const uint8_t *p;
    assert_int_equal(
        send_req(BW_COAP_PUT, "/1024/0/0", BW_COAP_FMT_TEXT, "", 0),
        BW_COAP_CHANGED);
    assert_int_equal(obj.writes, 1);
    assert_int_equal(obj.commits, 1);
    assert_int_equal(bytes_at(0, &p), 0);

    assert_int_equal(
        send_req(BW_COAP_PUT, "/1024/0/6", BW_COAP_FMT_OPAQUE, "", 0),
        BW_COAP_CHANGED);
    assert_int_equal(obj.writes, 2);
    assert_int_equal(bytes_at(6, &p), 0);

    bw_sample_fill(&obj); /* blob 01 02 03 again */
    assert_int_equal(
        send_req(BW_COAP_PUT, "/1024/0/6", BW_COAP_FMT_TEXT, "", 0),
        BW_COAP_CHANGED);
    assert_int_equal(bytes_at(6, &p), 0);

    bw_sample_fill(&obj); /* name "alpha" again */
    assert_int_equal(send_req(BW_COAP_PUT, "/1024/0/0", -1, "", 0),
                     BW_COAP_CHANGED);
    assert_int_equal(bytes_at(0, &p), 0);
}

/* An empty payload where no empty value exists: an integer, a float, a
 * resource instance of an integer multiple resource (text/plain), a
 * string in octet-stream, and a string in TLV, SenML JSON and SenML CBOR
 * (an empty TLV or SenML payload names no value); and a Content-Format
 * nobody knows.  Must hold: 4.00 each (4.15 for the unknown format), no
 * write() and no begin() reached the object, values unchanged. */
static void test_write_empty_refused(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int format;
    } cases[] = {
        {"/1024/0/1", BW_COAP_FMT_TEXT},
        {"/1024/0/2", BW_COAP_FMT_TEXT},
        {"/1024/0/1", -1},
        {"/1024/0/3/0", BW_COAP_FMT_TEXT},
        {"/1024/0/0", BW_COAP_FMT_OPAQUE},
        {"/1024/0/0", BW_COAP_FMT_LWM2M_TLV},
        {"/1024/0/0", BW_COAP_FMT_SENML_JSON},
        {"/1024/0/0", BW_COAP_FMT_SENML_CBOR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int code = send_req(BW_COAP_PUT, cases[i].path, cases[i].format, "", 0);
        if (code != BW_COAP_BAD_REQUEST)
            fail_msg("case %zu %s: got %d.%02d", i, cases[i].path, code >> 5,
                     code & 31);
    }
    assert_int_equal(send_req(BW_COAP_PUT, "/1024/0/0", 50, "", 0),
                     BW_COAP_UNSUPPORTED_FORMAT);
    assert_int_equal(obj.writes, 0);
    assert_int_equal(obj.begins, 0);
    assert_name(0, "alpha");
    assert_int_equal(int_at(0, 1), 5);
    assert_int_equal(obj.inst[0].res[3].ri_val[0], 10);
}

static int location(char *buf, size_t cap)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    size_t n = 0;
    bw_coap_opt_iter_init(&it, &rsp);
    while (bw_coap_opt_next(&it, &o))
        if (o.number == BW_COAP_OPT_LOCATION_PATH && n + o.len + 2 < cap) {
            buf[n++] = '/';
            memcpy(buf + n, o.value, o.len);
            n += o.len;
        }
    buf[n] = '\0';
    return (int)n;
}

/* Create: the instance id from a TLV object instance, or the lowest free
 * one for bare resources; 2.01 with Location-Path; the values land. */
static void test_create(void **state)
{
    (void)state;
    char loc[32];
    static const uint8_t named[] = {0x08, 0x03, 0x08, 0xc3, 0x00, 'n',
                                    'e',  'w',  0xc1, 0x01, 0x02};
    assert_int_equal(send_req(BW_COAP_POST, "/1024", BW_COAP_FMT_LWM2M_TLV,
                              named, sizeof named),
                     BW_COAP_CREATED);
    location(loc, sizeof loc);
    assert_string_equal(loc, "/1024/3");
    assert_name(3, "new");
    assert_int_equal(obj.last_kind, BW_LWM2M_TXN_CREATE);

    static const uint8_t bare[] = {0xc3, 0x00, 'b', 'a', 'r', 0xc1, 0x01, 0x04};
    assert_int_equal(send_req(BW_COAP_POST, "/1024", BW_COAP_FMT_LWM2M_TLV,
                              bare, sizeof bare),
                     BW_COAP_CREATED);
    location(loc, sizeof loc);
    assert_string_equal(loc, "/1024/2");
    assert_name(2, "bar");
    assert_int_equal(int_at(2, 1), 4);
}

/* Create refusals: an existing instance (4.00), a missing mandatory
 * resource (4.00), a failing validate (4.00 and no instance left
 * behind), a single-instance object that has its instance (4.05), no
 * room for the instance (5.00). */
static void test_create_refused(void **state)
{
    (void)state;
    static const char exists[] =
        "[{\"n\":\"/1024/0/0\",\"vs\":\"x\"},{\"n\":\"/1024/0/1\",\"v\":1}]";
    assert_int_equal(send_req(BW_COAP_POST, "/1024", BW_COAP_FMT_SENML_JSON,
                              exists, strlen(exists)),
                     BW_COAP_BAD_REQUEST);
    static const char no_count[] = "[{\"n\":\"/1024/5/0\",\"vs\":\"x\"}]";
    assert_int_equal(send_req(BW_COAP_POST, "/1024", BW_COAP_FMT_SENML_JSON,
                              no_count, strlen(no_count)),
                     BW_COAP_BAD_REQUEST);
    static const char negative[] =
        "[{\"n\":\"/1024/5/0\",\"vs\":\"x\"},{\"n\":\"/1024/5/1\",\"v\":-3}]";
    assert_int_equal(send_req(BW_COAP_POST, "/1024", BW_COAP_FMT_SENML_JSON,
                              negative, strlen(negative)),
                     BW_COAP_BAD_REQUEST);
    assert_null(bw_sample_inst(&obj, 5));
    static const char two[] =
        "[{\"n\":\"/1024/5/0\",\"vs\":\"x\"},{\"n\":\"/1024/6/1\",\"v\":3}]";
    assert_int_equal(send_req(BW_COAP_POST, "/1024", BW_COAP_FMT_SENML_JSON,
                              two, strlen(two)),
                     BW_COAP_BAD_REQUEST);
    assert_int_equal(send_req(BW_COAP_POST, "/3", -1, "", 0),
                     BW_COAP_METHOD_NOT_ALLOWED);
    static const char ok[] =
        "[{\"n\":\"/1024/9/0\",\"vs\":\"x\"},{\"n\":\"/1024/9/1\",\"v\":3}]";
    bw_sample_add(&obj, 7);
    bw_sample_add(&obj, 8);
    assert_int_equal(
        send_req(BW_COAP_POST, "/1024", BW_COAP_FMT_SENML_JSON, ok, strlen(ok)),
        BW_COAP_INTERNAL_ERROR); /* four instances: full */
    assert_null(bw_sample_inst(&obj, 9));
}

/* Delete: 2.02 and gone; again 4.04; not on an object, a resource, or
 * the single-instance Device object. */
static void test_delete(void **state)
{
    (void)state;
    assert_int_equal(send_req(BW_COAP_DELETE, "/1024/1", -1, "", 0),
                     BW_COAP_DELETED);
    assert_null(bw_sample_inst(&obj, 1));
    assert_int_equal(send_req(BW_COAP_DELETE, "/1024/1", -1, "", 0),
                     BW_COAP_NOT_FOUND);
    assert_int_equal(send_req(BW_COAP_DELETE, "/1024", -1, "", 0),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(send_req(BW_COAP_DELETE, "/1024/0/1", -1, "", 0),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(send_req(BW_COAP_DELETE, "/3/0", -1, "", 0),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(send_req(BW_COAP_DELETE, "/77/0", -1, "", 0),
                     BW_COAP_NOT_FOUND);
    assert_int_equal(obj.removes, 1);
    assert_non_null(bw_sample_inst(&dev, 0));
}

/* Execute passes the argument bytes through; only E resources run. */
static void test_execute(void **state)
{
    (void)state;
    assert_int_equal(
        send_req(BW_COAP_POST, "/1024/0/4", BW_COAP_FMT_TEXT, "0='x'", 5),
        BW_COAP_CHANGED);
    assert_int_equal(obj.executes, 1);
    assert_int_equal(obj.exec_len, 5);
    assert_memory_equal(obj.exec_arg, "0='x'", 5);
    assert_int_equal(send_req(BW_COAP_POST, "/1024/0/4", -1, "", 0),
                     BW_COAP_CHANGED);
    assert_int_equal(obj.exec_len, 0);
    assert_int_equal(send_req(BW_COAP_POST, "/1024/0/1", -1, "", 0),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(send_req(BW_COAP_POST, "/1024/9/4", -1, "", 0),
                     BW_COAP_NOT_FOUND);
    assert_int_equal(send_req(BW_COAP_POST, "/1024/0/98", -1, "", 0),
                     BW_COAP_NOT_FOUND);
    assert_int_equal(obj.executes, 2);
}

/* The registry: sorted, no duplicates, a bounded table, unsorted
 * resource tables refused. */
static void test_registry(void **state)
{
    (void)state;
    static const bw_lwm2m_res_def_t unsorted[] = {
        {2, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_R, 0, 0},
        {1, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_R, 0, 0},
    };
    static bw_sample_t more[BW_LWM2M_DM_MAX_OBJECTS];
    bw_sample_t bad;
    bw_sample_init(&bad, 5, unsorted, 2, 1);
    bw_assert_err(bw_lwm2m_dm_add(&dm, &bad.obj), BW_EINVAL);
    bw_assert_err(bw_lwm2m_dm_add(&dm, &obj.obj), BW_EDUPKEY);
    assert_ptr_equal(bw_lwm2m_dm_object(&dm, 1024), &obj.obj);
    assert_null(bw_lwm2m_dm_object(&dm, 4));
    size_t added = 2;
    for (uint16_t i = 0; added < BW_LWM2M_DM_MAX_OBJECTS; i++, added++) {
        bw_sample_init(&more[i], (uint16_t)(2000 - i), bw_sample_res,
                       bw_sample_nres, 1);
        assert_int_equal(bw_lwm2m_dm_add(&dm, &more[i].obj), 0);
    }
    bw_sample_init(&more[15], 4, bw_sample_res, bw_sample_nres, 1);
    bw_assert_err(bw_lwm2m_dm_add(&dm, &more[15].obj), BW_ENOMEM);
    for (size_t i = 1; i < dm.nobjects; i++)
        assert_true(dm.objects[i - 1]->id < dm.objects[i]->id);
    assert_int_equal(bw_lwm2m_object_res(&obj.obj, 6)->type,
                     BW_LWM2M_TYPE_OPAQUE);
    assert_null(bw_lwm2m_object_res(&obj.obj, 8));
    assert_null(bw_lwm2m_object_res(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_write_resource, setup),
        cmocka_unit_test_setup(test_write_replace, setup),
        cmocka_unit_test_setup(test_write_partial, setup),
        cmocka_unit_test_setup(test_validate_fails, setup),
        cmocka_unit_test_setup(test_write_fails_midway, setup),
        cmocka_unit_test_setup(test_write_refused, setup),
        cmocka_unit_test_setup(test_write_too_large, setup),
        cmocka_unit_test_setup(test_write_empty_value, setup),
        cmocka_unit_test_setup(test_write_empty_refused, setup),
        cmocka_unit_test_setup(test_create, setup),
        cmocka_unit_test_setup(test_create_refused, setup),
        cmocka_unit_test_setup(test_delete, setup),
        cmocka_unit_test_setup(test_execute, setup),
        cmocka_unit_test_setup(test_registry, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
