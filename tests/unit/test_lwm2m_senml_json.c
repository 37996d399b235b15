/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SenML JSON (content format 110): examples of the LwM2M Core
 * specification ("Data Formats" > "SenML JSON", transcribed from the 1.2
 * text) and of RFC 8428 section 5.1, decoded and encoded; every value
 * type round-tripped; malformed packs refused with their exact codes.
 * Vectors not taken from a specification say "constructed in the spec's
 * layout, not transcribed".  The remaining printed examples (object-link
 * hierarchy, history, composite operations, RFC 8428 5.1.3 to 5.1.7) are
 * in test_lwm2m_spec_vectors.c.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m_senml.h"
#include "lwm2m_records.h"

static uint8_t scratch[256];

static int decode(const char *s, size_t len, const bw_lwm2m_path_t *base,
                  bool typed, bw_recs_t *g)
{
    bw_lwm2m_sink_t sink = {typed ? bw_recs_device_types : NULL,
                            bw_recs_collect, g, scratch, sizeof(scratch)};
    memset(g, 0, sizeof(*g));
    return bw_lwm2m_senml_json_decode((const uint8_t *)s, len, base, &sink);
}

static int decodes(const char *s, const bw_lwm2m_path_t *base, bool typed,
                   bw_recs_t *g)
{
    return decode(s, strlen(s), base, typed, g);
}

/* Encode records with a JSON writer into out; returns the length. */
static size_t encode(const bw_lwm2m_path_t *base, const bw_lwm2m_record_t *r,
                     size_t n, uint8_t *out, size_t cap)
{
    bw_lwm2m_senml_json_writer_t w;
    size_t len = 0;
    bw_lwm2m_senml_json_begin(&w, out, cap, base);
    for (size_t i = 0; i < n; i++)
        bw_lwm2m_senml_json_add(&w, &r[i]);
    assert_int_equal(bw_lwm2m_senml_json_finish(&w, &len), 0);
    return len;
}

static void check_path(const bw_lwm2m_record_t *r, const char *path)
{
    char buf[BW_LWM2M_PATH_STR_MAX];
    assert_int_equal(bw_lwm2m_path_format(&r->path, buf, sizeof(buf), NULL), 0);
    assert_string_equal(buf, path);
}

static void check_str(const bw_lwm2m_record_t *r, const char *s)
{
    assert_int_equal(r->value.type, BW_LWM2M_TYPE_STRING);
    assert_int_equal(r->value.v.bytes.len, strlen(s));
    assert_memory_equal(r->value.v.bytes.ptr, s, strlen(s));
}

/* ---- the specification examples -------------------------------------- */

/* Core "SenML JSON": Read /3/0, the Device object instance, transcribed.
 * The specification prints one record per line and gives 399 bytes; the
 * 384 here plus its 15 line breaks make that. */
static const char device_json[] =
    "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Open Mobile Alliance\"},"
    "{\"n\":\"1\",\"vs\":\"Lightweight M2M Client\"},"
    "{\"n\":\"2\",\"vs\":\"345000123\"},{\"n\":\"3\",\"vs\":\"1.0\"},"
    "{\"n\":\"6/0\",\"v\":1},{\"n\":\"6/1\",\"v\":5},"
    "{\"n\":\"7/0\",\"v\":3800},{\"n\":\"7/1\",\"v\":5000},"
    "{\"n\":\"8/0\",\"v\":125},{\"n\":\"8/1\",\"v\":900},"
    "{\"n\":\"9\",\"v\":100},{\"n\":\"10\",\"v\":15},"
    "{\"n\":\"11/0\",\"v\":0},{\"n\":\"13\",\"v\":1367491215},"
    "{\"n\":\"14\",\"vs\":\"+02:00\"},{\"n\":\"16\",\"vs\":\"U\"}]";

/*
 * Decoding the Device example with types gives 16 records with full paths
 * and the resource types (13 is TIME, 8 UNSIGNED); encoding those records
 * under base /3/0 gives back the example byte for byte.
 */
static void test_device_object(void **state)
{
    (void)state;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(3, 0);
    bw_recs_t g;
    assert_int_equal(decodes(device_json, &base, true, &g), 0);
    assert_int_equal(g.n, 16);
    check_path(&g.rec[0], "/3/0/0");
    check_str(&g.rec[0], "Open Mobile Alliance");
    check_path(&g.rec[5], "/3/0/6/1");
    assert_int_equal(g.rec[5].value.type, BW_LWM2M_TYPE_INTEGER);
    assert_true(g.rec[5].value.v.i == 5);
    check_path(&g.rec[9], "/3/0/8/1");
    assert_int_equal(g.rec[9].value.type, BW_LWM2M_TYPE_UNSIGNED);
    assert_true(g.rec[9].value.v.u == 900);
    check_path(&g.rec[13], "/3/0/13");
    assert_int_equal(g.rec[13].value.type, BW_LWM2M_TYPE_TIME);
    assert_true(g.rec[13].value.v.t == 1367491215);
    check_path(&g.rec[15], "/3/0/16");
    check_str(&g.rec[15], "U");

    uint8_t out[1024];
    size_t len = encode(&base, g.rec, g.n, out, sizeof(out));
    assert_int_equal(len, strlen(device_json));
    assert_memory_equal(out, device_json, len);

    /* Untyped, numbers come out as INTEGER. */
    assert_int_equal(decodes(device_json, &base, false, &g), 0);
    assert_int_equal(g.rec[13].value.type, BW_LWM2M_TYPE_INTEGER);
}

/*
 * Read of a single resource (bn only) and of a multiple resource (bn of
 * the resource and instance names): decode, and encode byte for byte.
 * The /3/0/0 pack is the Core example with its missing closing quote
 * restored (see test_lwm2m_spec_vectors.c); the /3/0/7 and /3/0/7/1
 * packs are constructed in the spec's layout, not transcribed.
 */
static void test_resource_forms(void **state)
{
    (void)state;
    static const struct {
        bw_lwm2m_path_t base;
        const char *json;
        size_t n;
    } cases[] = {
        {BW_LWM2M_PATH_RES(3, 0, 0),
         "[{\"bn\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance\"}]", 1},
        {BW_LWM2M_PATH_RES(3, 0, 7),
         "[{\"bn\":\"/3/0/7/\",\"n\":\"0\",\"v\":3800},{\"n\":\"1\",\"v\":"
         "5000}]",
         2},
        {BW_LWM2M_PATH_RI(3, 0, 7, 1), "[{\"bn\":\"/3/0/7/1\",\"v\":5000}]", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bw_recs_t g;
        uint8_t out[256];
        assert_int_equal(decodes(cases[i].json, &cases[i].base, true, &g), 0);
        assert_int_equal(g.n, cases[i].n);
        size_t len = encode(&cases[i].base, g.rec, g.n, out, sizeof(out));
        assert_int_equal(len, strlen(cases[i].json));
        assert_memory_equal(out, cases[i].json, len);
    }
}

/*
 * Read-Composite request (names only: type NONE at any depth) and
 * Write-Composite request (full paths in n, no bn), base "/": decoded,
 * and encoded byte for byte.  Constructed in the spec's layout, not
 * transcribed: the request is the Core example plus a fourth path
 * ("/5"), the Write-Composite and the bn-form response are made up (the
 * printed ones are in test_lwm2m_spec_vectors.c).
 */
static void test_composite(void **state)
{
    (void)state;
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    const char *read_req =
        "[{\"n\":\"/3/0/0\"},{\"n\":\"/3/0/9\"},{\"n\":\"/1/0/1\"},{\"n\":"
        "\"/5\"}]";
    const char *write_req =
        "[{\"n\":\"/3/0/14\",\"vs\":\"+02:00\"},{\"n\":\"/1/0/1\",\"v\":86400}"
        "]";
    bw_recs_t g;
    uint8_t out[256];
    size_t len;
    assert_int_equal(decodes(read_req, &root, true, &g), 0);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.rec[1].value.type, BW_LWM2M_TYPE_NONE);
    check_path(&g.rec[2], "/1/0/1");
    check_path(&g.rec[3], "/5");
    len = encode(&root, g.rec, g.n, out, sizeof(out));
    assert_int_equal(len, strlen(read_req));
    assert_memory_equal(out, read_req, len);

    assert_int_equal(decodes(write_req, &root, true, &g), 0);
    assert_int_equal(g.n, 2);
    check_str(&g.rec[0], "+02:00");
    assert_true(g.rec[1].value.v.i == 86400);
    len = encode(&root, g.rec, g.n, out, sizeof(out));
    assert_int_equal(len, strlen(write_req));
    assert_memory_equal(out, write_req, len);

    /* Read-Composite response: bn changes between objects. */
    const char *resp = "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Open Mobile "
                       "Alliance\"},{\"n\":\"9\",\"v\":95},{\"bn\":\"/1/0/\","
                       "\"n\":\"1\",\"v\":86400}]";
    bw_recs_t g2;
    assert_int_equal(decodes(resp, &root, true, &g), 0);
    assert_int_equal(g.n, 3);
    check_path(&g.rec[2], "/1/0/1");
    len = encode(&root, g.rec, g.n, out, sizeof(out));
    assert_int_equal(decode((const char *)out, len, &root, true, &g2), 0);
    bw_recs_assert_same(&g, &g2);
}

/*
 * Objects 65, 66, 67 with vlo values and bn changing per instance:
 * decoded untyped (vlo gives OBJLNK), re-encoded under the root and
 * decoded again to the same records.  Constructed in the spec's layout,
 * not transcribed: the records of the Core object-link example, but with
 * a bn per instance, "myService 1" as in the TLV example, and the null
 * link as decimal "65535:65535".  (This vector used to be presented as the
 * specification's, which prints bn "/", relative names, "myService1" and
 * "FFFF:FFFF"; that printed example is in test_lwm2m_spec_vectors.c.)
 */
static void test_objlnk_example(void **state)
{
    (void)state;
    const char *s =
        "[{\"bn\":\"/65/0/\",\"n\":\"0/0\",\"vlo\":\"66:0\"},"
        "{\"n\":\"0/1\",\"vlo\":\"66:1\"},{\"n\":\"1\",\"vs\":"
        "\"8613800755500\"},{\"n\":\"2\",\"v\":1},{\"bn\":\"/66/0/\",\"n\":"
        "\"0\",\"vs\":\"myService 1\"},{\"n\":\"1\",\"vs\":"
        "\"Internet.15.234\"},{\"n\":\"2\",\"vlo\":\"67:0\"},{\"bn\":"
        "\"/66/1/\",\"n\":\"0\",\"vs\":\"myService 2\"},{\"n\":\"1\",\"vs\":"
        "\"Internet.15.235\"},{\"n\":\"2\",\"vlo\":\"65535:65535\"},{\"bn\":"
        "\"/67/0/\",\"n\":\"0\",\"vs\":\"85.76.76.84\"},{\"n\":\"1\",\"vs\":"
        "\"85.76.255.255\"}]";
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    bw_recs_t g, g2;
    uint8_t out[1024];
    assert_int_equal(decodes(s, &root, false, &g), 0);
    assert_int_equal(g.n, 12);
    check_path(&g.rec[1], "/65/0/0/1");
    assert_int_equal(g.rec[1].value.type, BW_LWM2M_TYPE_OBJLNK);
    assert_int_equal(g.rec[1].value.v.lnk.oid, 66);
    assert_int_equal(g.rec[1].value.v.lnk.iid, 1);
    check_path(&g.rec[9], "/66/1/2");
    assert_int_equal(g.rec[9].value.v.lnk.oid, 65535);
    size_t len = encode(&root, g.rec, g.n, out, sizeof(out));
    assert_int_equal(decode((const char *)out, len, &root, false, &g2), 0);
    bw_recs_assert_same(&g, &g2);
}

/* ---- RFC 8428 examples, at the SenML layer ------------------------------ */

static void check_raw(const bw_lwm2m_senml_rec_t *r, const char *name)
{
    assert_int_equal(r->name_len, strlen(name));
    assert_memory_equal(r->name, name, r->name_len);
}

/*
 * RFC 8428 5.1.1, 5.1.2 (both packs: base time, base unit, version,
 * relative times) and 5.1.5 (several value types), transcribed: names
 * resolve as bn + n, times as bt + t, vd decodes.  These names are URNs,
 * not LwM2M paths, so the LwM2M decoder refuses them with BW_EPATH.
 * (5.1.5's fourth name is "nfv-reader" in the RFC; this test used to
 * carry "nfc-reader".)
 */
static void test_rfc8428(void **state)
{
    (void)state;
    bw_recs_raw_t g;
    const char *single =
        "[{\"n\":\"urn:dev:ow:10e2073a01080063\",\"u\":\"Cel\",\"v\":23.1}]";
    memset(&g, 0, sizeof(g));
    assert_int_equal(bw_lwm2m_senml_json_read((const uint8_t *)single,
                                              strlen(single),
                                              bw_recs_collect_raw, &g, NULL, 0),
                     0);
    assert_int_equal(g.n, 1);
    check_raw(&g.rec[0], "urn:dev:ow:10e2073a01080063");
    assert_int_equal(g.rec[0].value.type, BW_LWM2M_TYPE_FLOAT);
    assert_true(g.rec[0].value.v.f == 23.1);
    assert_false(g.rec[0].has_time);

    const char *multi =
        "[{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"n\":\"voltage\",\"u\":"
        "\"V\",\"v\":120.1},{\"n\":\"current\",\"u\":\"A\",\"v\":1.2}]";
    memset(&g, 0, sizeof(g));
    assert_int_equal(bw_lwm2m_senml_json_read((const uint8_t *)multi,
                                              strlen(multi),
                                              bw_recs_collect_raw, &g, NULL, 0),
                     0);
    assert_int_equal(g.n, 2);
    check_raw(&g.rec[0], "urn:dev:ow:10e2073a01080063:voltage");
    check_raw(&g.rec[1], "urn:dev:ow:10e2073a01080063:current");
    assert_true(g.rec[1].value.v.f == 1.2);

    const char *times =
        "[{\"bn\":\"urn:dev:ow:10e2073a0108006:\",\"bt\":1.276020076001e+09,"
        "\"bu\":\"A\",\"bver\":5,\"n\":\"voltage\",\"u\":\"V\",\"v\":120.1},"
        "{\"n\":\"current\",\"t\":-5,\"v\":1.2},{\"n\":\"current\",\"t\":-4,"
        "\"v\":1.3},{\"n\":\"current\",\"t\":-3,\"v\":1.4},{\"n\":"
        "\"current\",\"t\":-2,\"v\":1.5},{\"n\":\"current\",\"t\":-1,\"v\":"
        "1.6},{\"n\":\"current\",\"v\":1.7}]";
    memset(&g, 0, sizeof(g));
    assert_int_equal(bw_lwm2m_senml_json_read((const uint8_t *)times,
                                              strlen(times),
                                              bw_recs_collect_raw, &g, NULL, 0),
                     0);
    assert_int_equal(g.n, 7);
    check_raw(&g.rec[1], "urn:dev:ow:10e2073a0108006:current");
    assert_true(g.rec[0].has_time && g.rec[0].time == 1.276020076001e+09);
    assert_true(g.rec[1].time == 1.276020076001e+09 - 5);
    assert_true(g.rec[6].has_time && g.rec[6].time == 1.276020076001e+09);
    assert_true(g.rec[6].value.v.f == 1.7);

    const char *types =
        "[{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"n\":\"temp\",\"u\":"
        "\"Cel\",\"v\":23.1},{\"n\":\"label\",\"vs\":\"Machine Room\"},{\"n\":"
        "\"open\",\"vb\":false},{\"n\":\"nfv-reader\",\"vd\":\"aGkgCg\"}]";
    memset(&g, 0, sizeof(g));
    assert_int_equal(bw_lwm2m_senml_json_read(
                         (const uint8_t *)types, strlen(types),
                         bw_recs_collect_raw, &g, scratch, sizeof(scratch)),
                     0);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.rec[2].value.type, BW_LWM2M_TYPE_BOOLEAN);
    assert_false(g.rec[2].value.v.b);
    check_raw(&g.rec[3], "urn:dev:ow:10e2073a01080063:nfv-reader");
    assert_int_equal(g.rec[3].value.type, BW_LWM2M_TYPE_OPAQUE);
    assert_int_equal(g.rec[3].value.v.bytes.len, 4);
    assert_memory_equal(g.rec[3].value.v.bytes.ptr, "hi \n", 4);

    bw_recs_t lg;
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    bw_assert_err(decodes(types, &root, false, &lg), BW_EPATH);
}

/* ---- every type, both ways --------------------------------------------- */

/*
 * Records of every type (extreme integers, floats needing 17 digits, tiny
 * and huge floats, strings needing escapes, empty and binary opaque, the
 * null object link, a CoRE link) encode and decode back to the same typed
 * values, and the JSON text of a few is as expected.
 */
static void test_all_types_round_trip(void **state)
{
    (void)state;
    static const uint8_t bin[] = {0x00, 0xfb, 0xff, 0x3e, 0x80};
    const char *str = "tab\there \"quoted\" back\\slash \x01 \xc3\xa9";
    const char *lnk = "</3/0>;ct=110";
    bw_lwm2m_record_t r[] = {
        {BW_LWM2M_PATH_RES(3, 0, 9), bw_lwm2m_value_int(INT64_MIN)},
        {BW_LWM2M_PATH_RES(3, 0, 10), bw_lwm2m_value_int(INT64_MAX)},
        {BW_LWM2M_PATH_RI(3, 0, 8, 0), bw_lwm2m_value_uint(UINT64_MAX)},
        {BW_LWM2M_PATH_RES(3, 0, 13), bw_lwm2m_value_time(-1)},
        {BW_LWM2M_PATH_RES(3, 0, 20), bw_lwm2m_value_float(0.1 + 0.2)},
        {BW_LWM2M_PATH_RI(3, 0, 20, 1), bw_lwm2m_value_float(5e-324)},
        {BW_LWM2M_PATH_RI(3, 0, 20, 2), bw_lwm2m_value_float(-1.5e300)},
        {BW_LWM2M_PATH_RI(3, 0, 20, 3), bw_lwm2m_value_float(3.0)},
        {BW_LWM2M_PATH_RES(3, 0, 0),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, str, strlen(str))},
        {BW_LWM2M_PATH_RES(3, 0, 21),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, bin, sizeof(bin))},
        {BW_LWM2M_PATH_RI(3, 0, 21, 1),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, NULL, 0)},
        {BW_LWM2M_PATH_RES(3, 0, 22), bw_lwm2m_value_objlnk(65535, 65535)},
        {BW_LWM2M_PATH_RES(3, 0, 23), bw_lwm2m_value_bool(true)},
        {BW_LWM2M_PATH_RES(3, 0, 24),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_CORELNK, lnk, strlen(lnk))},
    };
    size_t n = sizeof(r) / sizeof(r[0]);
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(3);
    uint8_t out[1024];
    size_t len = encode(&base, r, n, out, sizeof(out));
    bw_recs_t g, want;
    assert_int_equal(decode((const char *)out, len, &base, true, &g), 0);
    memset(&want, 0, sizeof(want));
    for (size_t i = 0; i < n; i++)
        want.rec[want.n++] = r[i];
    bw_recs_assert_same(&g, &want);

    out[len] = '\0';
    assert_non_null(strstr((char *)out, "{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":"
                                        "-9223372036854775808}"));
    assert_non_null(strstr((char *)out, "\"v\":18446744073709551615}"));
    assert_non_null(strstr((char *)out, "\"v\":0.30000000000000004}"));
    assert_non_null(strstr((char *)out, "\"v\":3.0}"));
    assert_non_null(strstr((char *)out, "\"vs\":\"tab\\there \\\"quoted\\\" "
                                        "back\\\\slash \\u0001 \xc3\xa9\"}"));
    assert_non_null(strstr((char *)out, "\"vd\":\"APv_PoA\"}"));
    assert_non_null(strstr((char *)out, "\"vlo\":\"65535:65535\"}"));
}

/* ---- malformed input ---------------------------------------------------- */

/*
 * Each bad pack fails with its exact code (base "/", typed with the Device
 * table: /3/0/9 INTEGER, /3/0/8 UNSIGNED, /3/0/0 STRING, /3/0/20 FLOAT).
 */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int err;
    } cases[] = {
        /* structure */
        {"", BW_ETRUNC},
        {"{\"n\":\"/3/0/0\"}", BW_EMALFORMED},
        {"[1]", BW_EMALFORMED},
        {"[[]]", BW_EMALFORMED},
        {"[{\"n\":\"/3/0/9\",\"v\":1}] x", BW_ETRAILING},
        {"[{\"n\":\"/3/0/9\",\"v\":1}", BW_ETRUNC},
        /* duplicate keys and two values */
        {"[{\"n\":\"/3/0/0\",\"vs\":\"a\",\"vs\":\"b\"}]", BW_EDUPKEY},
        {"[{\"n\":\"/3/0/0\",\"n\":\"/3/0/0\"}]", BW_EDUPKEY},
        {"[{\"bn\":\"/3/0/\",\"\\u0062n\":\"/3/0/\"}]", BW_EDUPKEY},
        {"[{\"n\":\"/3/0/0\",\"vs\":\"a\",\"v\":1}]", BW_EMALFORMED},
        {"[{\"n\":\"/3/0/0\",\"vb\":true,\"vd\":\"\"}]", BW_EMALFORMED},
        /* wrong types for keys */
        {"[{\"bn\":5,\"n\":\"0\"}]", BW_ETYPE},
        {"[{\"n\":[\"/3/0/0\"]}]", BW_ETYPE},
        {"[{\"n\":\"/3/0/9\",\"v\":\"1\"}]", BW_ETYPE},
        {"[{\"n\":\"/3/0/9\",\"v\":null}]", BW_ETYPE},
        {"[{\"n\":\"/3/0/23\",\"vb\":1}]", BW_ETYPE},
        {"[{\"n\":\"/3/0/0\",\"vs\":false}]", BW_ETYPE},
        {"[{\"n\":\"/3/0/9\",\"t\":\"now\",\"v\":1}]", BW_ETYPE},
        {"[{\"n\":\"/3/0/9\",\"bver\":1.5,\"v\":1}]", BW_ETYPE},
        /* value field against the resource type */
        {"[{\"n\":\"/3/0/9\",\"vs\":\"1\"}]", BW_ETYPE},
        {"[{\"n\":\"/3/0/0\",\"v\":1}]", BW_ETYPE},
        {"[{\"n\":\"/3/0/22\",\"vs\":\"1:2\"}]", BW_ETYPE},
        /* numbers out of range */
        {"[{\"n\":\"/3/0/9\",\"v\":9223372036854775808}]", BW_ERANGE},
        {"[{\"n\":\"/3/0/9\",\"v\":-9223372036854775809}]", BW_ERANGE},
        {"[{\"n\":\"/3/0/9\",\"v\":1.5}]", BW_ERANGE},
        {"[{\"n\":\"/3/0/8/0\",\"v\":-1}]", BW_ERANGE},
        {"[{\"n\":\"/3/0/8/0\",\"v\":18446744073709551616}]", BW_ERANGE},
        {"[{\"n\":\"/3/0/20\",\"v\":1e309}]", BW_ERANGE},
        {"[{\"bv\":9223372036854775807,\"n\":\"/3/0/9\",\"v\":1}]", BW_ERANGE},
        /* names */
        {"[{\"n\":\"/3/0/\xff\"}]", BW_EUTF8},
        {"[{\"n\":\"/3/0/\\ud800\"}]", BW_EUTF8},
        {"[{\"n\":\"/3/0/\\udc00\\ud800\"}]", BW_EUTF8},
        {"[{\"bn\":\"/3/0/\",\"n\":\"/1\"}]", BW_EPATH},
        {"[{\"n\":\"/3/0/65535\",\"v\":1}]", BW_EPATH},
        {"[{\"n\":\"/3/0\",\"v\":1}]", BW_EPATH},
        {"[{\"v\":1}]", BW_EPATH},
        {"[{\"n\":\"3/0/0\",\"vs\":\"x\"}]", BW_EPATH},
        {"[{\"n\":\"/3/0/0/0/0\"}]", BW_EPATH},
        {"[{\"bn\":\"/33333333333333333333333333333333333333333333333333"
         "33333333333333\",\"n\":\"\"}]",
         BW_EPATH},
        /* vd and vlo */
        {"[{\"n\":\"/3/0/21\",\"vd\":\"AQ==\"}]", BW_EMALFORMED},
        {"[{\"n\":\"/3/0/21\",\"vd\":\"AQ=\"}]", BW_EMALFORMED},
        {"[{\"n\":\"/3/0/21\",\"vd\":\"A\"}]", BW_EMALFORMED},
        {"[{\"n\":\"/3/0/21\",\"vd\":\"+/8\"}]", BW_EMALFORMED},
        {"[{\"n\":\"/3/0/21\",\"vd\":\"AR\"}]", BW_EMALFORMED},
        {"[{\"n\":\"/3/0/22\",\"vlo\":\"66\"}]", BW_EMALFORMED},
        {"[{\"n\":\"/3/0/22\",\"vlo\":\"66:\"}]", BW_EMALFORMED},
        {"[{\"n\":\"/3/0/22\",\"vlo\":\"66:65536\"}]", BW_ERANGE},
        /* must-understand and version */
        {"[{\"n\":\"/3/0/9\",\"v\":1,\"foo_\":1}]", BW_EUNSUPPORTED},
        {"[{\"n\":\"/3/0/9\",\"v\":1,\"a_very_long_unknown_key_\":1}]",
         BW_EUNSUPPORTED},
        {"[{\"bver\":11,\"n\":\"/3/0/9\",\"v\":1}]", BW_EVERSION},
        {"[{\"bver\":18446744073709551615,\"n\":\"/3/0/9\",\"v\":1}]",
         BW_EVERSION},
        /* nesting inside an ignored key */
        {"[{\"x\":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]],\"n\":\"/3/0/9\"}]",
         BW_EDEPTH},
    };
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bw_recs_t g;
        int err = decodes(cases[i].s, &root, true, &g);
        if (err != cases[i].err)
            fail_msg("%s: got %s want %s", cases[i].s, bw_err_name(err),
                     bw_err_name(cases[i].err));
    }
}

/* Accepted oddities: ignored keys of any shape, escaped keys, bv. */
static void test_lenient(void **state)
{
    (void)state;
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    bw_recs_t g;
    assert_int_equal(
        decodes("[{\"x\":{\"y\":[1,{}]},\"\\u006e\":\"/3/0/9\",\"u\":\"%\","
                "\"ut\":5,\"s\":1,\"bs\":2,\"bu\":\"A\",\"v\":7}]",
                &root, true, &g),
        0);
    assert_int_equal(g.n, 1);
    assert_true(g.rec[0].value.v.i == 7);
    /* Base value applies to later records; an integer plus a float base
     * value is a float. */
    assert_int_equal(decodes("[{\"bv\":10,\"n\":\"/3/0/9\",\"v\":-3},"
                             "{\"n\":\"/3/0/20\",\"v\":1},{\"bv\":0.5,\"n\":"
                             "\"/3/0/20\",\"v\":1}]",
                             &root, true, &g),
                     0);
    assert_true(g.rec[0].value.v.i == 7);
    assert_true(g.rec[1].value.v.f == 11.0);
    assert_true(g.rec[2].value.v.f == 1.5);
    /* A float for an integer resource is fine when integral. */
    assert_int_equal(
        decodes("[{\"n\":\"/3/0/9\",\"v\":4.0e1}]", &root, true, &g), 0);
    assert_true(g.rec[0].value.v.i == 40);
    /* An escaped vs lands in scratch; escaped vd is decoded too. */
    assert_int_equal(decodes("[{\"n\":\"/3/0/0\",\"vs\":\"a\\nb\"},{\"n\":"
                             "\"/3/0/21\",\"vd\":\"\\u0041Q\"}]",
                             &root, true, &g),
                     0);
    check_str(&g.rec[0], "a\nb");
    assert_int_equal(g.rec[1].value.v.bytes.len, 1);
    assert_int_equal(g.rec[1].value.v.bytes.ptr[0], 1);
    /* Empty pack: no records. */
    assert_int_equal(decodes(" [ ] ", &root, true, &g), 0);
    assert_int_equal(g.n, 0);
}

/* Caller-side failures: scratch too small, callback answers, arguments. */
static void test_caller(void **state)
{
    (void)state;
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    bw_lwm2m_path_t inst = BW_LWM2M_PATH_INST(3, 0);
    bw_recs_t g;
    memset(&g, 0, sizeof(g));
    const char *s = "[{\"n\":\"/3/0/0\",\"vs\":\"a\\nb\"}]";
    bw_lwm2m_sink_t sink = {NULL, bw_recs_collect, &g, scratch, 2};
    bw_assert_err(
        bw_lwm2m_senml_json_decode((const uint8_t *)s, strlen(s), &root, &sink),
        BW_ENOSPC);
    sink.scratch_cap = 3;
    assert_int_equal(
        bw_lwm2m_senml_json_decode((const uint8_t *)s, strlen(s), &root, &sink),
        0);
    g.n = 0;
    g.answer = 1;
    bw_assert_err(
        bw_lwm2m_senml_json_decode((const uint8_t *)s, strlen(s), &root, &sink),
        BW_EABORTED);
    g.n = 0;
    g.answer = BW_ENOTFOUND;
    bw_assert_err(
        bw_lwm2m_senml_json_decode((const uint8_t *)s, strlen(s), &root, &sink),
        BW_ENOTFOUND);
    g.n = 0;
    g.answer = BW_EOVERFLOW; /* passed through, not taken for a long name */
    bw_assert_err(
        bw_lwm2m_senml_json_decode((const uint8_t *)s, strlen(s), &root, &sink),
        BW_EOVERFLOW);
    g.answer = 0;
    /* A record outside the request path. */
    const char *other = "[{\"n\":\"/1/0/1\",\"v\":1}]";
    bw_assert_err(bw_lwm2m_senml_json_decode((const uint8_t *)other,
                                             strlen(other), &inst, &sink),
                  BW_EPATH);
    bw_assert_err(bw_lwm2m_senml_json_decode(NULL, 1, &root, &sink), BW_EINVAL);
    bw_assert_err(
        bw_lwm2m_senml_json_decode((const uint8_t *)s, strlen(s), NULL, &sink),
        BW_EINVAL);
    sink.record = NULL;
    bw_assert_err(
        bw_lwm2m_senml_json_decode((const uint8_t *)s, strlen(s), &root, &sink),
        BW_EINVAL);
}

/*
 * The Device example cut at every length fails with BW_ETRUNC, and
 * records before the cut were already delivered (streaming, no tree).
 */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(3, 0);
    size_t len = strlen(device_json);
    size_t last = 0;
    for (size_t i = 0; i < len; i++) {
        bw_recs_t g;
        bw_assert_err(decode(device_json, i, &base, true, &g), BW_ETRUNC);
        assert_true(g.n >= last); /* longer prefixes deliver no fewer */
        last = g.n;
    }
    assert_int_equal(last, 16); /* all but the closing ']' */
}

/* Writer errors are sticky and finish() reports the first. */
static void test_writer_errors(void **state)
{
    (void)state;
    bw_lwm2m_senml_json_writer_t w;
    uint8_t out[64];
    size_t len = 99;
    bw_lwm2m_path_t inst = BW_LWM2M_PATH_INST(3, 0);
    bw_lwm2m_record_t ok = {BW_LWM2M_PATH_RES(3, 0, 9), bw_lwm2m_value_int(1)};
    bw_lwm2m_record_t other = {BW_LWM2M_PATH_RES(1, 0, 9),
                               bw_lwm2m_value_int(1)};
    bw_lwm2m_record_t high = {BW_LWM2M_PATH_INST(3, 0), bw_lwm2m_value_int(1)};
    bw_lwm2m_record_t nan = {BW_LWM2M_PATH_RES(3, 0, 9),
                             bw_lwm2m_value_float(0.0 / 0.0)};
    bw_lwm2m_record_t bad = {
        BW_LWM2M_PATH_RES(3, 0, 9),
        bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "\xff", 1)};
    const struct {
        const bw_lwm2m_record_t *r;
        int err;
    } cases[] = {{&other, BW_EPATH},
                 {&high, BW_EPATH},
                 {&nan, BW_ERANGE},
                 {&bad, BW_EUTF8}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bw_lwm2m_senml_json_begin(&w, out, sizeof(out), &inst);
        bw_lwm2m_senml_json_add(&w, cases[i].r);
        bw_lwm2m_senml_json_add(&w, &ok);
        bw_assert_err(bw_lwm2m_senml_json_finish(&w, &len), cases[i].err);
        assert_int_equal(len, 0);
    }
    /* Room for exactly the pack succeeds; one byte less is BW_ENOSPC. */
    const char *want = "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":1}]";
    for (size_t cap = 0; cap <= strlen(want); cap++) {
        bw_lwm2m_senml_json_begin(&w, out, cap, &inst);
        bw_lwm2m_senml_json_add(&w, &ok);
        int err = bw_lwm2m_senml_json_finish(&w, &len);
        if (cap < strlen(want)) {
            bw_assert_err(err, BW_ENOSPC);
        } else {
            assert_int_equal(err, 0);
            assert_memory_equal(out, want, len);
        }
    }
    bw_lwm2m_path_t badbase = {{3, 65535, 1, 65535}, 3};
    bw_lwm2m_senml_json_begin(&w, out, sizeof(out), &badbase);
    bw_assert_err(bw_lwm2m_senml_json_finish(&w, &len), BW_EPATH);
    bw_lwm2m_senml_json_begin(&w, NULL, 5, &inst);
    bw_assert_err(bw_lwm2m_senml_json_finish(&w, &len), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_object),
        cmocka_unit_test(test_resource_forms),
        cmocka_unit_test(test_composite),
        cmocka_unit_test(test_objlnk_example),
        cmocka_unit_test(test_rfc8428),
        cmocka_unit_test(test_all_types_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_lenient),
        cmocka_unit_test(test_caller),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_writer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
