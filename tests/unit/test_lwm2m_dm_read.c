/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request handler's Read (GET) path: content formats, Accept,
 * errors of the target, and Block2 for a payload larger than the
 * message, driven by real CoAP requests against the RAM object of
 * tests/lwm2m_sample_object.c.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_block.h"
#include "bulwark/lwm2m_dm.h"
#include "bulwark/lwm2m_senml.h"
#include "lwm2m_records.h"
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
    bw_sample_set_str(&dev, 0, 0, "Bulwark");
    assert_int_equal(bw_lwm2m_dm_add(&dm, &obj.obj), 0);
    assert_int_equal(bw_lwm2m_dm_add(&dm, &dev.obj), 0);
    return 0;
}

static int get(const char *path, int accept)
{
    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, path);
    q.accept = accept;
    return bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out, sizeof out, &rsp);
}

static uint32_t content_format(void)
{
    uint32_t cf = 0;
    assert_int_equal(bw_coap_msg_uint(&rsp, BW_COAP_OPT_CONTENT_FORMAT, &cf),
                     0);
    return cf;
}

static bw_lwm2m_type_t sample_types(void *ctx, const bw_lwm2m_path_t *p)
{
    (void)ctx;
    if (p->depth < 3)
        return BW_LWM2M_TYPE_NONE;
    const bw_lwm2m_res_def_t *d = bw_lwm2m_object_res(&obj.obj, p->id[2]);
    return d == NULL ? BW_LWM2M_TYPE_NONE : (bw_lwm2m_type_t)d->type;
}

/* Decode rsp's payload with the decoder of its Content-Format. */
static void decode(bw_recs_t *recs, const char *base)
{
    bw_lwm2m_path_t b;
    uint8_t scratch[256];
    memset(recs, 0, sizeof *recs);
    assert_int_equal(bw_lwm2m_path_parse(&b, base, strlen(base)), 0);
    bw_lwm2m_sink_t sink = {sample_types, bw_recs_collect, recs, scratch,
                            sizeof scratch};
    switch (content_format()) {
    case BW_COAP_FMT_LWM2M_TLV:
        assert_int_equal(
            bw_lwm2m_tlv_decode(rsp.payload, rsp.payload_len, &b, &sink), 0);
        break;
    case BW_COAP_FMT_SENML_JSON:
        assert_int_equal(
            bw_lwm2m_senml_json_decode(rsp.payload, rsp.payload_len, &b, &sink),
            0);
        break;
    case BW_COAP_FMT_SENML_CBOR:
        assert_int_equal(
            bw_lwm2m_senml_cbor_decode(rsp.payload, rsp.payload_len, &b, &sink),
            0);
        break;
    default:
        fail_msg("unexpected content format");
    }
}

/* A single resource without Accept comes as text/plain, an opaque one as
 * octet-stream, a resource instance as text too: the exact bytes. */
static void test_read_single(void **state)
{
    (void)state;
    assert_int_equal(get("/1024/0/0", -1), BW_COAP_CONTENT);
    assert_int_equal(content_format(), BW_COAP_FMT_TEXT);
    assert_int_equal(rsp.payload_len, 5);
    assert_memory_equal(rsp.payload, "alpha", 5);
    assert_memory_equal(rsp.token, "\xa1\xb2", 2);

    assert_int_equal(get("/1024/0/2", BW_COAP_FMT_TEXT), BW_COAP_CONTENT);
    assert_int_equal(rsp.payload_len, 3);
    assert_memory_equal(rsp.payload, "2.5", 3);

    assert_int_equal(get("/1024/0/6", -1), BW_COAP_CONTENT);
    assert_int_equal(content_format(), BW_COAP_FMT_OPAQUE);
    assert_int_equal(rsp.payload_len, 3);
    assert_memory_equal(rsp.payload, "\x01\x02\x03", 3);

    assert_int_equal(get("/1024/0/3/1", -1), BW_COAP_CONTENT);
    assert_int_equal(rsp.payload_len, 2);
    assert_memory_equal(rsp.payload, "20", 2);
}

/* An instance in TLV (the default) holds every readable value, in path
 * order, and neither the write-only (7) nor the executable (4) one. */
static void test_read_instance_tlv(void **state)
{
    (void)state;
    bw_recs_t got;
    static const uint8_t blob[] = {1, 2, 3};
    const bw_lwm2m_record_t want[] = {
        {BW_LWM2M_PATH_RES(1024, 0, 0),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "alpha", 5)},
        {BW_LWM2M_PATH_RES(1024, 0, 1), bw_lwm2m_value_int(5)},
        {BW_LWM2M_PATH_RES(1024, 0, 2), bw_lwm2m_value_float(2.5)},
        {BW_LWM2M_PATH_RI(1024, 0, 3, 0), bw_lwm2m_value_int(10)},
        {BW_LWM2M_PATH_RI(1024, 0, 3, 1), bw_lwm2m_value_int(20)},
        {BW_LWM2M_PATH_RES(1024, 0, 5), bw_lwm2m_value_bool(true)},
        {BW_LWM2M_PATH_RES(1024, 0, 6),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, blob, 3)},
    };
    assert_int_equal(get("/1024/0", -1), BW_COAP_CONTENT);
    assert_int_equal(content_format(), BW_COAP_FMT_LWM2M_TLV);
    decode(&got, "/1024/0");
    bw_recs_expect(&got, want, sizeof want / sizeof want[0]);
}

/* The whole object read in TLV, SenML JSON and SenML CBOR decodes to the
 * same records; instance 1's absent resources are simply left out, and
 * its empty multiple resource is an empty container in every format. */
static void test_read_object_formats(void **state)
{
    (void)state;
    bw_recs_t tlv, json, cbor;
    assert_int_equal(get("/1024", BW_COAP_FMT_LWM2M_TLV), BW_COAP_CONTENT);
    decode(&tlv, "/1024");
    assert_int_equal(get("/1024", BW_COAP_FMT_SENML_JSON), BW_COAP_CONTENT);
    assert_int_equal(content_format(), BW_COAP_FMT_SENML_JSON);
    assert_int_equal(rsp.payload[0], '[');
    decode(&json, "/1024");
    assert_int_equal(get("/1024", BW_COAP_FMT_SENML_CBOR), BW_COAP_CONTENT);
    decode(&cbor, "/1024");
    assert_int_equal(tlv.n, 11); /* 7 of instance 0, 4 of instance 1 */
    bw_recs_assert_same(&tlv, &json);
    bw_recs_assert_same(&tlv, &cbor);
    bw_lwm2m_path_t empty = BW_LWM2M_PATH_RES(1024, 1, 3);
    assert_true(bw_lwm2m_path_equal(&tlv.rec[9].path, &empty));
    assert_int_equal(tlv.rec[9].value.type, BW_LWM2M_TYPE_NONE);
}

/* Each wrong target gets its own code and an empty payload. */
static void test_read_errors(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int accept;
        uint8_t code;
    } cases[] = {
        {"/1024/9", -1, BW_COAP_NOT_FOUND},            /* no such instance */
        {"/1024/0/99", -1, BW_COAP_NOT_FOUND},         /* no such resource */
        {"/1024/0/0/0", -1, BW_COAP_NOT_FOUND},        /* RI of a single one */
        {"/1024/0/3/7", -1, BW_COAP_NOT_FOUND},        /* absent RI */
        {"/1024/1/2", -1, BW_COAP_NOT_FOUND},          /* absent resource */
        {"/9999", -1, BW_COAP_NOT_FOUND},              /* no such object */
        {"/1024/0/7", -1, BW_COAP_METHOD_NOT_ALLOWED}, /* write-only */
        {"/1024/0/4", -1, BW_COAP_METHOD_NOT_ALLOWED}, /* executable */
        {"/", -1, BW_COAP_METHOD_NOT_ALLOWED},         /* root */
        {"/0/0", -1, BW_COAP_UNAUTHORIZED},            /* Security, DM side */
        {"/1024/0/3", BW_COAP_FMT_TEXT, BW_COAP_NOT_ACCEPTABLE},
        {"/1024/0", BW_COAP_FMT_TEXT, BW_COAP_NOT_ACCEPTABLE},
        {"/1024/0/0", BW_COAP_FMT_OPAQUE, BW_COAP_NOT_ACCEPTABLE},
        {"/1024/0/0", 50, BW_COAP_NOT_ACCEPTABLE}, /* JSON: not ours */
        {"/1024/0/0", 11543, BW_COAP_NOT_ACCEPTABLE},
        {"/1024/x", -1, BW_COAP_NOT_FOUND},  /* not an LwM2M path */
        {"/1024/01", -1, BW_COAP_NOT_FOUND}, /* not canonical */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int code = get(cases[i].path, cases[i].accept);
        if (code != cases[i].code)
            fail_msg("%s: got %d.%02d", cases[i].path, code >> 5, code & 31);
        assert_null(rsp.payload);
    }
}

/* Options the handler must refuse before anything else: Block1 (no
 * block-wise upload: 4.13), an unknown critical option (If-Match: 4.02),
 * and no room even for the error (BW_ENOSPC, never a truncated reply). */
static void test_refused_options(void **state)
{
    (void)state;
    bw_sample_req_t q = bw_sample_req(BW_COAP_PUT, "/1024/0/1");
    q.block1 = 0x08; /* NUM 0, M 1, SZX 0 */
    q.format = BW_COAP_FMT_TEXT;
    q.payload = "1";
    q.len = 1;
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 101, &q, out, sizeof out, &rsp),
        BW_COAP_REQUEST_TOO_LARGE);

    uint8_t req[64];
    bw_coap_writer_t w;
    size_t len, olen = 99;
    bw_coap_msg_t m;
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_IF_MATCH, "x", 1);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "1024", 4);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(&m, req, len), 0);
    assert_int_equal(bw_lwm2m_dm_handle(&dm, 0, BW_LWM2M_IFACE_DM, 1, &m, out,
                                        sizeof out, &olen),
                     0);
    assert_int_equal(out[1], BW_COAP_BAD_OPTION);
    bw_assert_err(
        bw_lwm2m_dm_handle(&dm, 0, BW_LWM2M_IFACE_DM, 1, &m, out, 3, &olen),
        BW_ENOSPC);
    assert_int_equal(olen, 0);
    bw_assert_err(bw_lwm2m_dm_handle(NULL, 0, BW_LWM2M_IFACE_DM, 1, &m, out,
                                     sizeof out, &olen),
                  BW_EINVAL);
}

/* Fill every instance with 200-byte names so the object is far larger
 * than one message. */
static void make_large(void)
{
    char name[201];
    for (uint16_t i = 0; i < BW_SAMPLE_MAX_INST; i++) {
        memset(name, 'a' + i, 200);
        name[200] = '\0';
        if (bw_sample_inst(&obj, i) == NULL)
            assert_int_equal(bw_sample_add(&obj, i), 0);
        bw_sample_set_str(&obj, i, 0, name);
    }
}

/*
 * A payload larger than the message goes in Block2 blocks: the first
 * response without a Block2 request is block 0 with Size2 and an ETag;
 * asking for each next block and joining them gives exactly the payload
 * a large buffer gets in one piece, in every format; the ETag never
 * changes while the data does not.
 */
static void test_block2(void **state)
{
    (void)state;
    static const int formats[] = {BW_COAP_FMT_LWM2M_TLV, BW_COAP_FMT_SENML_JSON,
                                  BW_COAP_FMT_SENML_CBOR};
    static uint8_t whole[4096], joined[4096], small[300];
    make_large();
    for (size_t f = 0; f < 3; f++) {
        bw_sample_req_t q = bw_sample_req(BW_COAP_GET, "/1024");
        q.accept = formats[f];
        assert_int_equal(bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 1, &q, whole,
                                      sizeof whole, &rsp),
                         BW_COAP_CONTENT);
        bw_coap_opt_t none;
        bw_assert_err(bw_coap_opt_find(&rsp, BW_COAP_OPT_BLOCK2, &none),
                      BW_ENOTFOUND); /* whole: no Block2 */
        size_t total = rsp.payload_len;
        uint8_t copy[4096];
        memcpy(copy, rsp.payload, total);
        assert_true(total > sizeof small);

        size_t got = 0;
        uint8_t etag[8];
        size_t etag_len = 0;
        for (uint32_t num = 0;; num++) {
            bw_coap_block_t b;
            bw_coap_opt_t e;
            if (num > 0)
                q.block2 = (int)(num << 4 | 1); /* 32-byte blocks */
            assert_int_equal(bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 1, &q, small,
                                          sizeof small, &rsp),
                             BW_COAP_CONTENT);
            assert_int_equal(bw_coap_block_get(&rsp, BW_COAP_OPT_BLOCK2, &b),
                             0);
            assert_int_equal(bw_coap_opt_find(&rsp, BW_COAP_OPT_ETAG, &e), 0);
            if (num == 0) {
                uint32_t size2 = 0;
                assert_int_equal(
                    bw_coap_msg_uint(&rsp, BW_COAP_OPT_SIZE2, &size2), 0);
                assert_int_equal(size2, total);
                memcpy(etag, e.value, e.len);
                etag_len = e.len;
                /* the first block is as large as fits the message */
                assert_true(rsp.payload_len >= 64);
                /* from here on the client asks for 32-byte blocks */
                memcpy(joined, rsp.payload, 32);
                got = 32;
                num = 0;
                q.block2 = (int)(1u << 4 | 1);
                if (!b.more)
                    break;
                continue;
            }
            assert_int_equal(e.len, etag_len);
            assert_memory_equal(e.value, etag, etag_len);
            assert_int_equal(b.szx, 1);
            assert_int_equal(b.num * 32, got);
            memcpy(joined + got, rsp.payload, rsp.payload_len);
            got += rsp.payload_len;
            if (!b.more)
                break;
            assert_int_equal(rsp.payload_len, 32);
        }
        assert_int_equal(got, total);
        assert_memory_equal(joined, copy, total);
    }
}

/* A Block2 request for a block past the end is 4.02 Bad Option; a
 * Block2 of 0 on a small payload is still answered block-wise. */
static void test_block2_edges(void **state)
{
    (void)state;
    bw_sample_req_t q = bw_sample_req(BW_COAP_GET, "/1024/0/0");
    bw_coap_block_t b;
    q.block2 = 40 << 4 | 2; /* block 40 of 64 bytes */
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 1, &q, out, sizeof out, &rsp),
        BW_COAP_BAD_OPTION);
    q.block2 = 2; /* block 0 of 64 */
    assert_int_equal(
        bw_sample_do(&dm, BW_LWM2M_IFACE_DM, 1, &q, out, sizeof out, &rsp),
        BW_COAP_CONTENT);
    assert_int_equal(bw_coap_block_get(&rsp, BW_COAP_OPT_BLOCK2, &b), 0);
    assert_int_equal(b.more, 0);
    assert_int_equal(rsp.payload_len, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_read_single, setup),
        cmocka_unit_test_setup(test_read_instance_tlv, setup),
        cmocka_unit_test_setup(test_read_object_formats, setup),
        cmocka_unit_test_setup(test_read_errors, setup),
        cmocka_unit_test_setup(test_refused_options, setup),
        cmocka_unit_test_setup(test_block2, setup),
        cmocka_unit_test_setup(test_block2_edges, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
