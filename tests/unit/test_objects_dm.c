/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The standard objects behind the real request handler: CoAP requests
 * built with the CoAP writer go through bw_lwm2m_dm_handle(), and the
 * responses are parsed and their payloads decoded with the library's own
 * decoders.  What must hold: a Read of /3/0 gives the same records in TLV
 * and in SenML CBOR, with absent resources skipped; Execute /3/0/4 runs
 * the reboot hook; the Firmware Update state machine moves under Write
 * and Execute requests and refuses illegal steps with 4.05; a write
 * request that fails part-way changes nothing; the other objects read.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "bulwark/coap.h"
#include "bulwark/lwm2m_dm.h"
#include "bulwark/lwm2m_objects.h"
#include "bulwark/lwm2m_senml.h"

#define MAX_RECS 32

typedef struct {
    bw_lwm2m_dm_t dm;
    bw_lwm2m_device_t dev;
    bw_lwm2m_conn_t conn;
    bw_lwm2m_fw_t fw;
    bw_lwm2m_temp_t temp;
    bw_lwm2m_object_t dev_obj, conn_obj, fw_obj, temp_obj;
    int reboots, downloads, chunks, cancels, applies;
    uint8_t out[1152]; /* one datagram, as the client core sends */
    bw_coap_msg_t rsp;
    uint16_t mid;
} fix_t;

static int on_reboot(void *app)
{
    ((fix_t *)app)->reboots++;
    return 0;
}

static int on_time(void *app, int64_t *now)
{
    (void)app;
    *now = 1700000000;
    return 0;
}

static void on_download(void *app, const char *uri, size_t len)
{
    fix_t *f = app;
    f->downloads++;
    assert_int_equal(len, strlen("coap://fw.example/a"));
    assert_memory_equal(uri, "coap://fw.example/a", len);
}

static int on_chunk(void *app, size_t off, const uint8_t *d, size_t n, int last)
{
    fix_t *f = app;
    f->chunks++;
    assert_int_equal(off, 0);
    assert_int_equal(n, 4);
    assert_memory_equal(d, "\x01\x02\x03\x04", 4);
    assert_true(last);
    return 0;
}

static void on_cancel(void *app)
{
    ((fix_t *)app)->cancels++;
}

static int on_apply(void *app)
{
    ((fix_t *)app)->applies++;
    return 0;
}

static int setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    bw_lwm2m_dm_init(&f->dm);

    bw_lwm2m_device_cfg_t dc;
    memset(&dc, 0, sizeof dc);
    dc.manufacturer = "Bulwark";
    dc.model = "BW-1";
    dc.serial = "0001";
    dc.firmware_version = "1.0.0";
    dc.reboot = on_reboot;
    dc.get_time = on_time;
    dc.app = f;
    assert_int_equal(bw_lwm2m_device_init(&f->dev, &f->dev_obj, &dc), 0);
    static const uint8_t power[2] = {1, 5};
    assert_int_equal(bw_lwm2m_device_set_power(&f->dev, power, 2), 0);
    assert_int_equal(bw_lwm2m_device_set_battery(&f->dev, 64), 0);

    assert_int_equal(bw_lwm2m_conn_init(&f->conn, &f->conn_obj, NULL, NULL), 0);
    const char *ips[2] = {"192.0.2.7", "2001:db8::7"};
    assert_int_equal(bw_lwm2m_conn_set_ips(&f->conn, ips, 2), 0);
    assert_int_equal(bw_lwm2m_conn_set_bearer(&f->conn, 41), 0);
    assert_int_equal(bw_lwm2m_conn_set_rssi(&f->conn, -70), 0);

    bw_lwm2m_fw_cfg_t fc;
    memset(&fc, 0, sizeof fc);
    fc.protocols = 1u << BW_LWM2M_FW_PROTO_COAP;
    fc.delivery = BW_LWM2M_FW_BOTH;
    fc.download = on_download;
    fc.chunk = on_chunk;
    fc.cancel = on_cancel;
    fc.apply = on_apply;
    fc.app = f;
    assert_int_equal(bw_lwm2m_fw_init(&f->fw, &f->fw_obj, &fc), 0);

    assert_int_equal(bw_lwm2m_temp_init(&f->temp, &f->temp_obj, NULL, NULL), 0);
    assert_int_equal(bw_lwm2m_temp_add(&f->temp, 0, -40.0, 125.0), 0);
    assert_int_equal(bw_lwm2m_temp_add(&f->temp, 1, -40.0, 125.0), 0);
    assert_int_equal(bw_lwm2m_temp_sample(&f->temp, 0, 21.5), 0);

    assert_int_equal(bw_lwm2m_dm_add(&f->dm, &f->dev_obj), 0);
    assert_int_equal(bw_lwm2m_dm_add(&f->dm, &f->conn_obj), 0);
    assert_int_equal(bw_lwm2m_dm_add(&f->dm, &f->fw_obj), 0);
    assert_int_equal(bw_lwm2m_dm_add(&f->dm, &f->temp_obj), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/*
 * Send one request: method, path ("5/0/1"), Content-Format (-1: none),
 * Accept (-1: none), payload.  Returns the response code; f->rsp holds
 * the parsed response.
 */
static uint8_t req(fix_t *f, uint8_t code, const char *path, int cf, int accept,
                   const void *payload, size_t len)
{
    uint8_t buf[1024];
    uint8_t token[2] = {0xab, (uint8_t)f->mid};
    bw_coap_writer_t w;
    size_t n;
    bw_coap_msg_t m;
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, code, ++f->mid, token,
                        sizeof token);
    for (const char *s = path; *s != '\0';) {
        const char *e = strchr(s, '/');
        size_t seg = e != NULL ? (size_t)(e - s) : strlen(s);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, s, seg);
        s += seg + (e != NULL);
    }
    if (cf >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, (uint32_t)cf);
    if (accept >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_ACCEPT, (uint32_t)accept);
    if (len > 0)
        bw_coap_writer_payload(&w, payload, len);
    assert_int_equal(bw_coap_writer_finish(&w, &n), 0);
    assert_int_equal(bw_coap_parse(&m, buf, n), 0);
    assert_int_equal(bw_lwm2m_dm_handle(&f->dm, 1000, BW_LWM2M_IFACE_DM, 101,
                                        &m, f->out, sizeof f->out, &n),
                     0);
    assert_int_equal(bw_coap_parse(&f->rsp, f->out, n), 0);
    assert_int_equal(f->rsp.token_len, 2);
    assert_memory_equal(f->rsp.token, token, 2);
    return f->rsp.code;
}

/* GET path as text/plain; the text NUL-terminated into buf. */
static const char *get_text(fix_t *f, const char *path, char *buf, size_t cap)
{
    assert_int_equal(req(f, BW_COAP_GET, path, -1, BW_COAP_FMT_TEXT, NULL, 0),
                     BW_COAP_CONTENT);
    assert_true(f->rsp.payload_len < cap);
    if (f->rsp.payload_len > 0)
        memcpy(buf, f->rsp.payload, f->rsp.payload_len);
    buf[f->rsp.payload_len] = '\0';
    return buf;
}

/* ---- decoding responses ---------------------------------------------------
 */

typedef struct {
    fix_t *f;
    size_t n;
    bw_lwm2m_record_t rec[MAX_RECS];
    uint8_t text[MAX_RECS][48]; /* string values copied out of the payload */
} recs_t;

static bw_lwm2m_type_t type_of(void *ctx, const bw_lwm2m_path_t *p)
{
    recs_t *r = ctx;
    bw_lwm2m_object_t *o = bw_lwm2m_dm_object(&r->f->dm, p->id[0]);
    const bw_lwm2m_res_def_t *def =
        o != NULL ? bw_lwm2m_object_res(o, p->id[2]) : NULL;
    return def != NULL ? (bw_lwm2m_type_t)def->type : BW_LWM2M_TYPE_NONE;
}

static int collect(void *ctx, const bw_lwm2m_record_t *rec)
{
    recs_t *r = ctx;
    assert_true(r->n < MAX_RECS);
    r->rec[r->n] = *rec;
    if (rec->value.type == BW_LWM2M_TYPE_STRING) {
        assert_true(rec->value.v.bytes.len < sizeof r->text[0]);
        memcpy(r->text[r->n], rec->value.v.bytes.ptr, rec->value.v.bytes.len);
        r->rec[r->n].value.v.bytes.ptr = r->text[r->n];
    }
    r->n++;
    return 0;
}

static void decode(fix_t *f, bw_lwm2m_decode_fn dec, const char *base,
                   recs_t *r)
{
    bw_lwm2m_path_t b;
    uint8_t scratch[256];
    memset(r, 0, sizeof *r);
    r->f = f;
    assert_int_equal(bw_lwm2m_path_parse(&b, base, strlen(base)), 0);
    bw_lwm2m_sink_t sink = {type_of, collect, r, scratch, sizeof scratch};
    assert_int_equal(dec(f->rsp.payload, f->rsp.payload_len, &b, &sink), 0);
}

static const bw_lwm2m_record_t *find(const recs_t *r, const char *path)
{
    bw_lwm2m_path_t p;
    assert_int_equal(bw_lwm2m_path_parse(&p, path, strlen(path)), 0);
    for (size_t i = 0; i < r->n; i++)
        if (bw_lwm2m_path_equal(&r->rec[i].path, &p))
            return &r->rec[i];
    return NULL;
}

static void expect_str(const recs_t *r, const char *path, const char *want)
{
    const bw_lwm2m_record_t *rec = find(r, path);
    assert_non_null(rec);
    assert_int_equal(rec->value.type, BW_LWM2M_TYPE_STRING);
    assert_int_equal(rec->value.v.bytes.len, strlen(want));
    assert_memory_equal(rec->value.v.bytes.ptr, want, strlen(want));
}

static void expect_int(const recs_t *r, const char *path, int64_t want)
{
    const bw_lwm2m_record_t *rec = find(r, path);
    int64_t x = 0;
    assert_non_null(rec);
    assert_int_equal(bw_lwm2m_value_get_int(&rec->value, &x), 0);
    assert_int_equal(x, want);
}

/* The Device instance as this fixture sets it up. */
static void expect_device(const recs_t *r)
{
    expect_str(r, "/3/0/0", "Bulwark");
    expect_str(r, "/3/0/1", "BW-1");
    expect_str(r, "/3/0/2", "0001");
    expect_str(r, "/3/0/3", "1.0.0");
    expect_int(r, "/3/0/6/0", 1);
    expect_int(r, "/3/0/6/1", 5);
    expect_int(r, "/3/0/9", 64);
    expect_int(r, "/3/0/11/0", 0);
    expect_int(r, "/3/0/13", 1700000000);
    expect_str(r, "/3/0/14", "");
    expect_str(r, "/3/0/15", "");
    expect_str(r, "/3/0/16", "U");
    assert_null(find(r, "/3/0/19")); /* absent */
    assert_null(find(r, "/3/0/4"));  /* Execute only */
    assert_int_equal(r->n, 12);
}

/*
 * Read /3/0 in TLV and in SenML CBOR: both decode (with the library's own
 * decoders) to the twelve values the fixture set, the absent Software
 * Version and the executable resources left out, and the two formats
 * carry the same records.
 */
static void test_read_device(void **state)
{
    fix_t *f = *state;
    recs_t tlv, cbor;
    uint32_t cf = 0;
    assert_int_equal(
        req(f, BW_COAP_GET, "3/0", -1, BW_COAP_FMT_LWM2M_TLV, NULL, 0),
        BW_COAP_CONTENT);
    assert_int_equal(bw_coap_msg_uint(&f->rsp, BW_COAP_OPT_CONTENT_FORMAT, &cf),
                     0);
    assert_int_equal(cf, BW_COAP_FMT_LWM2M_TLV);
    decode(f, bw_lwm2m_tlv_decode, "/3/0", &tlv);
    expect_device(&tlv);

    assert_int_equal(
        req(f, BW_COAP_GET, "3/0", -1, BW_COAP_FMT_SENML_CBOR, NULL, 0),
        BW_COAP_CONTENT);
    assert_int_equal(bw_coap_msg_uint(&f->rsp, BW_COAP_OPT_CONTENT_FORMAT, &cf),
                     0);
    assert_int_equal(cf, BW_COAP_FMT_SENML_CBOR);
    decode(f, bw_lwm2m_senml_cbor_decode, "/3/0", &cbor);
    expect_device(&cbor);
    for (size_t i = 0; i < tlv.n; i++)
        assert_true(bw_lwm2m_path_equal(&tlv.rec[i].path, &cbor.rec[i].path));

    /* Raised errors replace the single 0. */
    assert_int_equal(bw_lwm2m_device_set_error(&f->dev, 4), 0);
    assert_int_equal(bw_lwm2m_device_set_error(&f->dev, 2), 0);
    assert_int_equal(
        req(f, BW_COAP_GET, "3/0/11", -1, BW_COAP_FMT_LWM2M_TLV, NULL, 0),
        BW_COAP_CONTENT);
    decode(f, bw_lwm2m_tlv_decode, "/3/0/11", &tlv);
    assert_int_equal(tlv.n, 2);
    expect_int(&tlv, "/3/0/11/0", 4);
    expect_int(&tlv, "/3/0/11/1", 2);
    assert_int_equal(req(f, BW_COAP_POST, "3/0/12", -1, -1, NULL, 0),
                     BW_COAP_CHANGED);
    char buf[32];
    assert_string_equal(get_text(f, "3/0/11/0", buf, sizeof buf), "0");
    assert_int_equal(req(f, BW_COAP_GET, "3/0/19", -1, -1, NULL, 0),
                     BW_COAP_NOT_FOUND);
}

/*
 * Execute /3/0/4 answers 2.04 and calls the reboot hook once; Execute of
 * a read-only resource is 4.05 and calls nothing; Factory Reset without a
 * hook is 4.05; Execute on /3/1/4 is 4.04.
 */
static void test_execute_reboot(void **state)
{
    fix_t *f = *state;
    assert_int_equal(req(f, BW_COAP_POST, "3/0/4", -1, -1, NULL, 0),
                     BW_COAP_CHANGED);
    assert_int_equal(f->reboots, 1);
    assert_int_equal(req(f, BW_COAP_POST, "3/0/0", -1, -1, NULL, 0),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(req(f, BW_COAP_POST, "3/0/5", -1, -1, NULL, 0),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(req(f, BW_COAP_POST, "3/1/4", -1, -1, NULL, 0),
                     BW_COAP_NOT_FOUND);
    assert_int_equal(f->reboots, 1);
}

/* A TLV payload of records under base, for a write request. */
static size_t tlv_payload(const char *base, const bw_lwm2m_record_t *recs,
                          size_t n, uint8_t *buf, size_t cap)
{
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_path_t b;
    size_t len;
    assert_int_equal(bw_lwm2m_path_parse(&b, base, strlen(base)), 0);
    bw_lwm2m_tlv_begin(&w, buf, cap, &b);
    for (size_t i = 0; i < n; i++)
        bw_lwm2m_tlv_add(&w, &recs[i]);
    assert_int_equal(bw_lwm2m_tlv_finish(&w, &len), 0);
    return len;
}

static bw_lwm2m_record_t str_rec(uint16_t o, uint16_t r, const char *s)
{
    bw_lwm2m_record_t rec = {
        BW_LWM2M_PATH_RES(o, 0, r),
        bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, s, strlen(s))};
    return rec;
}

/*
 * A partial update of /3/0 naming a good UTC Offset and an over-long
 * Timezone answers 4.00 and changes neither; the same request with a
 * good Timezone answers 2.04 and both read back.
 */
static void test_device_write_all_or_nothing(void **state)
{
    fix_t *f = *state;
    uint8_t buf[256];
    char text[64];
    char tz[BW_LWM2M_DEVICE_TIMEZONE_MAX + 2];
    memset(tz, 'z', sizeof tz - 1);
    tz[sizeof tz - 1] = '\0';
    bw_lwm2m_record_t bad[2] = {str_rec(3, 14, "+01:00"), str_rec(3, 15, tz)};
    size_t n = tlv_payload("/3/0", bad, 2, buf, sizeof buf);
    assert_int_equal(
        req(f, BW_COAP_POST, "3/0", BW_COAP_FMT_LWM2M_TLV, -1, buf, n),
        BW_COAP_BAD_REQUEST);
    assert_string_equal(get_text(f, "3/0/14", text, sizeof text), "");
    assert_string_equal(get_text(f, "3/0/15", text, sizeof text), "");

    bw_lwm2m_record_t ok[2] = {str_rec(3, 14, "+01:00"),
                               str_rec(3, 15, "Europe/Paris")};
    n = tlv_payload("/3/0", ok, 2, buf, sizeof buf);
    assert_int_equal(
        req(f, BW_COAP_POST, "3/0", BW_COAP_FMT_LWM2M_TLV, -1, buf, n),
        BW_COAP_CHANGED);
    assert_string_equal(get_text(f, "3/0/14", text, sizeof text), "+01:00");
    assert_string_equal(get_text(f, "3/0/15", text, sizeof text),
                        "Europe/Paris");
    /* Read-only and unknown resources refuse a write. */
    assert_int_equal(req(f, BW_COAP_PUT, "3/0/0", BW_COAP_FMT_TEXT, -1, "x", 1),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(req(f, BW_COAP_PUT, "4/0/0", BW_COAP_FMT_TEXT, -1, "1", 1),
                     BW_COAP_METHOD_NOT_ALLOWED);
}

static void expect_fw(fix_t *f, const char *st, const char *result)
{
    char buf[16];
    assert_string_equal(get_text(f, "5/0/3", buf, sizeof buf), st);
    assert_string_equal(get_text(f, "5/0/5", buf, sizeof buf), result);
}

/*
 * The Firmware Update state machine over CoAP: a URI written as
 * text/plain starts a download (2.04, download() called); Update while
 * DOWNLOADING is 4.05; once downloaded, Update is 2.04 and apply() runs;
 * while UPDATING even a cancel is 4.05; after success the result reads 1.
 * A package pushed as octet-stream reaches chunk() and makes DOWNLOADED;
 * the single byte 0 cancels (cancel() called).  A partial update of /5/0
 * carrying a URI and then a Package (refused once the URI started the
 * download) answers 4.05 and leaves IDLE with no download started.
 */
static void test_firmware_update(void **state)
{
    fix_t *f = *state;
    static const char uri[] = "coap://fw.example/a";
    uint8_t buf[128];
    char text[64];
    size_t n;
    expect_fw(f, "0", "0");
    assert_int_equal(
        req(f, BW_COAP_PUT, "5/0/1", BW_COAP_FMT_TEXT, -1, uri, strlen(uri)),
        BW_COAP_CHANGED);
    assert_int_equal(f->downloads, 1);
    expect_fw(f, "1", "0");
    assert_string_equal(get_text(f, "5/0/1", text, sizeof text), uri);
    assert_int_equal(req(f, BW_COAP_POST, "5/0/2", -1, -1, NULL, 0),
                     BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(
        req(f, BW_COAP_PUT, "5/0/1", BW_COAP_FMT_TEXT, -1, uri, strlen(uri)),
        BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(bw_lwm2m_fw_downloaded(&f->fw), 0);
    expect_fw(f, "2", "0");
    assert_int_equal(req(f, BW_COAP_POST, "5/0/2", -1, -1, NULL, 0),
                     BW_COAP_CHANGED);
    assert_int_equal(f->applies, 1);
    expect_fw(f, "3", "0");
    /* An empty URI, as a TLV resource of length 0 (a text/plain PUT
     * without payload is not a write in the request handler). */
    bw_lwm2m_record_t empty = str_rec(5, 1, "");
    n = tlv_payload("/5/0/1", &empty, 1, buf, sizeof buf);
    assert_int_equal(
        req(f, BW_COAP_PUT, "5/0/1", BW_COAP_FMT_LWM2M_TLV, -1, buf, n),
        BW_COAP_METHOD_NOT_ALLOWED);
    assert_int_equal(bw_lwm2m_fw_update_done(&f->fw, 1), 0);
    expect_fw(f, "0", "1");

    assert_int_equal(req(f, BW_COAP_PUT, "5/0/0", BW_COAP_FMT_OPAQUE, -1,
                         "\x01\x02\x03\x04", 4),
                     BW_COAP_CHANGED);
    assert_int_equal(f->chunks, 1);
    expect_fw(f, "2", "0");
    assert_int_equal(
        req(f, BW_COAP_PUT, "5/0/0", BW_COAP_FMT_OPAQUE, -1, "\0", 1),
        BW_COAP_CHANGED);
    assert_int_equal(f->cancels, 1);
    expect_fw(f, "0", "0");
    assert_int_equal(req(f, BW_COAP_GET, "5/0/0", -1, -1, NULL, 0),
                     BW_COAP_METHOD_NOT_ALLOWED); /* write-only */

    bw_lwm2m_record_t recs[2] = {
        {BW_LWM2M_PATH_RES(5, 0, 0),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, "\x01\x02\x03\x04", 4)},
        str_rec(5, 1, uri),
    };
    n = tlv_payload("/5/0", recs, 2, buf, sizeof buf);
    assert_int_equal(
        req(f, BW_COAP_POST, "5/0", BW_COAP_FMT_LWM2M_TLV, -1, buf, n),
        BW_COAP_METHOD_NOT_ALLOWED);
    expect_fw(f, "0", "0");
    assert_string_equal(get_text(f, "5/0/1", text, sizeof text), "");
    assert_int_equal(f->downloads, 1);
    assert_int_equal(f->chunks, 2);
    assert_int_equal(f->cancels, 2); /* the chunk taken is dropped */
}

/*
 * The other objects through the handler: /4/0 in TLV carries both IP
 * addresses and the bearer; /3303 in TLV lists both sensors, the one
 * without a sample without value, min or max; 5700 reads as text.
 */
static void test_conn_and_temp(void **state)
{
    fix_t *f = *state;
    recs_t r;
    char text[32];
    assert_int_equal(
        req(f, BW_COAP_GET, "4/0", -1, BW_COAP_FMT_LWM2M_TLV, NULL, 0),
        BW_COAP_CONTENT);
    decode(f, bw_lwm2m_tlv_decode, "/4/0", &r);
    expect_int(&r, "/4/0/0", 41);
    expect_int(&r, "/4/0/2", -70);
    expect_str(&r, "/4/0/4/0", "192.0.2.7");
    expect_str(&r, "/4/0/4/1", "2001:db8::7");
    assert_non_null(find(&r, "/4/0/1")); /* no bearers: empty container */

    assert_int_equal(
        req(f, BW_COAP_GET, "3303", -1, BW_COAP_FMT_LWM2M_TLV, NULL, 0),
        BW_COAP_CONTENT);
    decode(f, bw_lwm2m_tlv_decode, "/3303", &r);
    assert_non_null(find(&r, "/3303/0/5700"));
    assert_non_null(find(&r, "/3303/0/5601"));
    assert_null(find(&r, "/3303/1/5700"));
    assert_null(find(&r, "/3303/1/5602"));
    expect_str(&r, "/3303/1/5701", "Cel");
    assert_string_equal(get_text(f, "3303/0/5700", text, sizeof text), "21.5");
    assert_int_equal(req(f, BW_COAP_GET, "3303/1/5700", -1, -1, NULL, 0),
                     BW_COAP_NOT_FOUND);
    assert_int_equal(req(f, BW_COAP_POST, "3303/0/5605", -1, -1, NULL, 0),
                     BW_COAP_CHANGED);
    assert_int_equal(req(f, BW_COAP_DELETE, "3303/0", -1, -1, NULL, 0),
                     BW_COAP_METHOD_NOT_ALLOWED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_execute_reboot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_write_all_or_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_firmware_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conn_and_temp, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
