/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Payloads transcribed from the specifications, decoded to exactly the
 * records the specification lists, and encoded back where our writer's
 * canonical form is the one the specification prints.
 *
 * Sources:
 *   [Core] OMA LwM2M Core technical specification, "Data Formats for
 *          Transferring Resource Information": subsections "TLV",
 *          "SenML JSON", "SenML CBOR".  Transcribed from the 1.2 text;
 *          section numbers are not repeated here because they differ
 *          between 1.1 (7.4.x) and 1.2.
 *   [8428] RFC 8428 (SenML), section 5.1 examples.
 *
 * Where a printed example contradicts itself (a length byte that does not
 * match the bytes after it, an unbalanced quote) the test says so, checks
 * what our decoder makes of the literal bytes, and uses the corrected
 * payload for the record comparison.
 *
 * Other examples of the same sections live next to their format's tests:
 * test_lwm2m_tlv.c (Read /3/0, Read /3, Read /2), test_lwm2m_senml_json.c
 * (Read /3/0), test_lwm2m_senml_cbor.c (Read /3/0, RFC 8428 section 6).
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "bulwark/lwm2m.h"
#include "bulwark/lwm2m_senml.h"
#include "lwm2m_records.h"

/*
 * Resource types of the objects the examples use, from the object
 * definitions: Server (1), Object 65/66/67 of the Core object-link
 * illustration, the hypothetical temperature object 72, IPSO Set Point
 * (3308, 5900 Float) and Light Control (3311, 5850 Boolean, 5851
 * Integer).
 */
static bw_lwm2m_type_t spec_types(void *ctx, const bw_lwm2m_path_t *p)
{
    (void)ctx;
    uint16_t o = p->id[0], r = p->id[2];
    switch (o) {
    case 1:
        if (r == 6)
            return BW_LWM2M_TYPE_BOOLEAN;
        return r == 7 ? BW_LWM2M_TYPE_STRING : BW_LWM2M_TYPE_INTEGER;
    case 65:
        if (r == 0)
            return BW_LWM2M_TYPE_OBJLNK;
        return r == 1 ? BW_LWM2M_TYPE_STRING : BW_LWM2M_TYPE_INTEGER;
    case 66:
        return r == 2 ? BW_LWM2M_TYPE_OBJLNK : BW_LWM2M_TYPE_STRING;
    case 67:
        return BW_LWM2M_TYPE_STRING;
    case 72:
    case 3308:
        return BW_LWM2M_TYPE_FLOAT;
    case 3311:
        return r == 5850 ? BW_LWM2M_TYPE_BOOLEAN : BW_LWM2M_TYPE_INTEGER;
    default:
        return BW_LWM2M_TYPE_NONE;
    }
}

#define STR(s)    bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, s, sizeof s - 1)
#define INT(i)    bw_lwm2m_value_int(i)
#define LNK(o, i) bw_lwm2m_value_objlnk(o, i)
#define NONE                                                                   \
    {                                                                          \
        BW_LWM2M_TYPE_NONE,                                                    \
        {                                                                      \
            .i = 0                                                             \
        }                                                                      \
    }
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- TLV ------------------------------------------------------------------
 */

static int tlv_decode(const char *hex, const bw_lwm2m_path_t *base,
                      bw_recs_t *g)
{
    uint8_t buf[256];
    size_t n = bw_test_hex(hex, buf, sizeof buf);
    memset(g, 0, sizeof *g);
    bw_lwm2m_sink_t sink = {spec_types, bw_recs_collect, g, NULL, 0};
    return bw_lwm2m_tlv_decode(buf, n, base, &sink);
}

/* Decode hex to exactly want[]; encode want[] to exactly hex. */
static void tlv_exact(const char *hex, const bw_lwm2m_path_t *base,
                      const bw_lwm2m_record_t *want, size_t n)
{
    bw_recs_t g;
    assert_int_equal(tlv_decode(hex, base, &g), 0);
    bw_recs_expect(&g, want, n);
    bw_recs_tlv_encodes_to(hex, base, want, n);
}

/*
 * [Core] TLV, "Multiple Object Instance Request Examples", C) Read /1 on
 * a Server object with one instance.  The printed payload opens with
 * "08 00 0D" (13 bytes) and the table says 13 bytes and a total of 16,
 * but the four resource TLVs it lists take 3 + 6 + 3 + 3 = 15 bytes and
 * the text says the payload is 18 bytes.  The literal bytes run the last
 * resource past its instance (BW_EOVERFLOW); with the length corrected
 * to 0x0F they decode to the table's records and encode back exactly.
 */
static void test_tlv_server_single_instance(void **state)
{
    (void)state;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(1);
    bw_recs_t g;
    bw_assert_err(tlv_decode("08 00 0D C1 00 01 C4 01 00 01 51 80 C1 06 01"
                             "C1 07 55",
                             &base, &g),
                  BW_EOVERFLOW);
    const bw_lwm2m_record_t want[] = {
        {BW_LWM2M_PATH_RES(1, 0, 0), INT(1)},
        {BW_LWM2M_PATH_RES(1, 0, 1), INT(86400)},
        {BW_LWM2M_PATH_RES(1, 0, 6), bw_lwm2m_value_bool(true)},
        {BW_LWM2M_PATH_RES(1, 0, 7), STR("U")},
    };
    tlv_exact("08 00 0F C1 00 01 C4 01 00 01 51 80 C1 06 01 C1 07 55", &base,
              want, NELEM(want));
}

/*
 * [Core] TLV, "Example of Request on an Object Instance containing an
 * Object Link Resource", Example 1) Read /65/0: a multiple resource of
 * two object links (66:0, 66:1), a 13-byte string, a 32-bit integer.
 * Printed lengths and bytes agree (37 bytes); exact both ways.
 */
static void test_tlv_objlnk_instance(void **state)
{
    (void)state;
    const bw_lwm2m_record_t want[] = {
        {BW_LWM2M_PATH_RI(65, 0, 0, 0), LNK(66, 0)},
        {BW_LWM2M_PATH_RI(65, 0, 0, 1), LNK(66, 1)},
        {BW_LWM2M_PATH_RES(65, 0, 1), STR("8613800755500")},
        {BW_LWM2M_PATH_RES(65, 0, 2), INT(0x12345678)},
    };
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(65, 0);
    tlv_exact("88 00 0C 44 00 00 42 00 00 44 01 00 42 00 01"
              "C8 01 0D 38 36 31 33 38 30 30 37 35 35 35 30 30"
              "C4 02 12 34 56 78",
              &base, want, NELEM(want));
}

/*
 * [Core] TLV, same section, Example 2) Read /66: two instances, each a
 * service name, an APN string and an object link (67:0, then the null
 * link FFFF:FFFF).  Each instance is printed as "08 0x 23" (35 bytes) but
 * holds 14 + 18 + 6 = 38 bytes (the table's row for resource 1 says 15
 * bytes where its header and 15-byte value make 18).  The literal bytes
 * put the object link past the instance's end (BW_EOVERFLOW); with 0x26
 * they decode to the table's records and encode back exactly.
 */
static void test_tlv_objlnk_object(void **state)
{
    (void)state;
    static const char body0[] =
        "C8 00 0B 6D 79 53 65 72 76 69 63 65 20 31"
        "C8 01 0F 49 6E 74 65 72 6E 65 74 2E 31 35 2E 32 33 34"
        "C4 02 00 43 00 00";
    static const char body1[] =
        "C8 00 0B 6D 79 53 65 72 76 69 63 65 20 32"
        "C8 01 0F 49 6E 74 65 72 6E 65 74 2E 31 35 2E 32 33 35"
        "C4 02 FF FF FF FF";
    char hex[512];
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(66);
    bw_recs_t g;
    strcpy(hex, "08 00 23 ");
    strcat(hex, body0);
    strcat(hex, "08 01 23 ");
    strcat(hex, body1);
    bw_assert_err(tlv_decode(hex, &base, &g), BW_EOVERFLOW);

    const bw_lwm2m_record_t want[] = {
        {BW_LWM2M_PATH_RES(66, 0, 0), STR("myService 1")},
        {BW_LWM2M_PATH_RES(66, 0, 1), STR("Internet.15.234")},
        {BW_LWM2M_PATH_RES(66, 0, 2), LNK(67, 0)},
        {BW_LWM2M_PATH_RES(66, 1, 0), STR("myService 2")},
        {BW_LWM2M_PATH_RES(66, 1, 1), STR("Internet.15.235")},
        {BW_LWM2M_PATH_RES(66, 1, 2), LNK(65535, 65535)},
    };
    strcpy(hex, "08 00 26 ");
    strcat(hex, body0);
    strcat(hex, "08 01 26 ");
    strcat(hex, body1);
    tlv_exact(hex, &base, want, NELEM(want));
}

/* ---- SenML JSON -----------------------------------------------------------
 */

static uint8_t scratch[256];

static int json_decode(const char *s, const bw_lwm2m_path_t *base, bw_recs_t *g)
{
    bw_lwm2m_sink_t sink = {spec_types, bw_recs_collect, g, scratch,
                            sizeof scratch};
    memset(g, 0, sizeof *g);
    return bw_lwm2m_senml_json_decode((const uint8_t *)s, strlen(s), base,
                                      &sink);
}

static size_t json_encode(const bw_lwm2m_path_t *base, const bw_recs_t *g,
                          char *out, size_t cap)
{
    bw_lwm2m_senml_json_writer_t w;
    size_t len = 0;
    bw_lwm2m_senml_json_begin(&w, (uint8_t *)out, cap - 1, base);
    for (size_t i = 0; i < g->n; i++)
        bw_lwm2m_senml_json_add(&w, &g->rec[i]);
    assert_int_equal(bw_lwm2m_senml_json_finish(&w, &len), 0);
    out[len] = '\0';
    return len;
}

/*
 * Decode s to exactly want[]; then either encode to exactly canon (when
 * not NULL), or, when the printed form is not the one our writer makes,
 * check that our encoding decodes to the same records.
 */
static void json_check(const char *s, const bw_lwm2m_path_t *base,
                       const bw_lwm2m_record_t *want, size_t n,
                       const char *canon)
{
    bw_recs_t g, g2;
    char out[1024];
    assert_int_equal(json_decode(s, base, &g), 0);
    bw_recs_expect(&g, want, n);
    json_encode(base, &g, out, sizeof out);
    if (canon) {
        assert_string_equal(out, canon);
        return;
    }
    assert_int_equal(json_decode(out, base, &g2), 0);
    bw_recs_expect(&g2, want, n);
}

/*
 * [Core] SenML JSON: Read /3/0/0, printed as
 *   [{"bn":"/3/0/0","vs":"Open Mobile Alliance}]
 * with the closing quote of the value missing: the literal text is not
 * JSON (the string runs to the end: BW_ETRUNC).  With the quote restored
 * it is exactly what our writer makes for base /3/0/0.
 */
static void test_json_single_resource(void **state)
{
    (void)state;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(3, 0, 0);
    bw_recs_t g;
    bw_assert_err(
        json_decode("[{\"bn\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance}]",
                    &base, &g),
        BW_ETRUNC);
    const char *fixed = "[{\"bn\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance\"}]";
    const bw_lwm2m_record_t want[] = {
        {BW_LWM2M_PATH_RES(3, 0, 0), STR("Open Mobile Alliance")}};
    json_check(fixed, &base, want, 1, fixed);
}

/*
 * [Core] SenML JSON: the object-link example, Read /65/0 answered with
 * bn "/" and the hierarchy reachable from /65/0 (66/0, 66/1, 67/0), in
 * the printed order.  Three points, each asserted:
 *   - the null link is printed "FFFF:FFFF", which is not the decimal
 *     "oid:iid" text the decoder reads (BW_EMALFORMED); the record list
 *     is compared on the payload with "65535:65535" in its place;
 *   - records outside /65/0 are refused under the request path /65/0
 *     (BW_EPATH), so the payload is decoded under the root;
 *   - bn "/" with relative names is not our writer's form (no bn, full
 *     names), so the check is decode -> encode -> decode.
 * The JSON strings differ from the TLV example's ("myService1" here,
 * "myService 1" there); each test keeps its own example's text.
 */
static void test_json_objlnk_hierarchy(void **state)
{
    (void)state;
    static const char head[] =
        "[{\"bn\":\"/\",\"n\":\"65/0/0/0\",\"vlo\":\"66:0\"},"
        "{\"n\":\"65/0/0/1\",\"vlo\":\"66:1\"},"
        "{\"n\":\"65/0/1\",\"vs\":\"8613800755500\"},"
        "{\"n\":\"65/0/2\",\"v\":1},"
        "{\"n\":\"66/0/0\",\"vs\":\"myService1\"},"
        "{\"n\":\"66/0/1\",\"vs\":\"Internet.15.234\"},"
        "{\"n\":\"66/0/2\",\"vlo\":\"67:0\"},"
        "{\"n\":\"66/1/0\",\"vs\":\"myService2\"},"
        "{\"n\":\"66/1/1\",\"vs\":\"Internet.15.235\"},"
        "{\"n\":\"66/1/2\",\"vlo\":\"";
    static const char tail[] = "\"},"
                               "{\"n\":\"67/0/0\",\"vs\":\"85.76.76.84\"},"
                               "{\"n\":\"67/0/1\",\"vs\":\"85.76.255.255\"}]";
    char s[1024];
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    bw_lwm2m_path_t inst = BW_LWM2M_PATH_INST(65, 0);
    bw_recs_t g;
    strcpy(s, head);
    strcat(s, "FFFF:FFFF");
    strcat(s, tail);
    bw_assert_err(json_decode(s, &root, &g), BW_EMALFORMED);

    strcpy(s, head);
    strcat(s, "65535:65535");
    strcat(s, tail);
    bw_assert_err(json_decode(s, &inst, &g), BW_EPATH);
    assert_int_equal(g.n, 4); /* the records under /65/0 came first */

    const bw_lwm2m_record_t want[] = {
        {BW_LWM2M_PATH_RI(65, 0, 0, 0), LNK(66, 0)},
        {BW_LWM2M_PATH_RI(65, 0, 0, 1), LNK(66, 1)},
        {BW_LWM2M_PATH_RES(65, 0, 1), STR("8613800755500")},
        {BW_LWM2M_PATH_RES(65, 0, 2), INT(1)},
        {BW_LWM2M_PATH_RES(66, 0, 0), STR("myService1")},
        {BW_LWM2M_PATH_RES(66, 0, 1), STR("Internet.15.234")},
        {BW_LWM2M_PATH_RES(66, 0, 2), LNK(67, 0)},
        {BW_LWM2M_PATH_RES(66, 1, 0), STR("myService2")},
        {BW_LWM2M_PATH_RES(66, 1, 1), STR("Internet.15.235")},
        {BW_LWM2M_PATH_RES(66, 1, 2), LNK(65535, 65535)},
        {BW_LWM2M_PATH_RES(67, 0, 0), STR("85.76.76.84")},
        {BW_LWM2M_PATH_RES(67, 0, 1), STR("85.76.255.255")},
    };
    json_check(s, &root, want, NELEM(want), NULL);
}

/*
 * [Core] SenML JSON: the notification with three historical values of
 * /72/1/2 (bn "/72/", bt 25462634, t -5, -30, -50).  The LwM2M layer
 * gives three FLOAT records of the same path (times are not delivered);
 * the SenML layer gives the times bt + t.  Our writer has no times, so
 * there is no encode comparison.
 */
static int collect_time(void *ctx, const bw_lwm2m_senml_rec_t *r)
{
    double *t = ctx;
    assert_true(r->has_time);
    for (size_t i = 0; i < 3; i++) {
        if (t[i] == 0) {
            t[i] = r->time;
            return 0;
        }
    }
    fail_msg("more than three records");
    return 0;
}

static void test_json_history(void **state)
{
    (void)state;
    const char *s = "[{\"bn\":\"/72/\",\"bt\":25462634,\"n\":\"1/2\",\"v\":22."
                    "4,\"t\":-5},{\"n\":\"1/2\",\"v\":22.9,\"t\":-30},{\"n\":"
                    "\"1/2\",\"v\":24.1,\"t\":-50}]";
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(72, 1, 2);
    bw_recs_t g;
    assert_int_equal(json_decode(s, &base, &g), 0);
    const bw_lwm2m_record_t want[] = {
        {BW_LWM2M_PATH_RES(72, 1, 2), bw_lwm2m_value_float(22.4)},
        {BW_LWM2M_PATH_RES(72, 1, 2), bw_lwm2m_value_float(22.9)},
        {BW_LWM2M_PATH_RES(72, 1, 2), bw_lwm2m_value_float(24.1)},
    };
    bw_recs_expect(&g, want, NELEM(want));
    double t[3] = {0, 0, 0};
    assert_int_equal(bw_lwm2m_senml_json_read((const uint8_t *)s, strlen(s),
                                              collect_time, t, NULL, 0),
                     0);
    assert_true(t[0] == 25462629.0);
    assert_true(t[1] == 25462604.0);
    assert_true(t[2] == 25462584.0);
}

/*
 * [Core] SenML JSON, Read-Composite of /3/0/0, /3/0/9, /1/0/1: the
 * request (names only, type NONE) is exactly our writer's form under the
 * root.  The printed response has blanks after commas and before a
 * colon ({"n" :"/3/0/9", ...}); our writer writes none, so its output is
 * compared with the response with those blanks removed.
 */
static void test_json_read_composite(void **state)
{
    (void)state;
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    const char *req =
        "[{\"n\":\"/3/0/0\"},{\"n\":\"/3/0/9\"},{\"n\":\"/1/0/1\"}]";
    const bw_lwm2m_record_t paths[] = {
        {BW_LWM2M_PATH_RES(3, 0, 0), NONE},
        {BW_LWM2M_PATH_RES(3, 0, 9), NONE},
        {BW_LWM2M_PATH_RES(1, 0, 1), NONE},
    };
    json_check(req, &root, paths, NELEM(paths), req);

    const char *resp = "[{\"n\":\"/3/0/0\", \"vs\":\"Open Mobile Alliance\"},"
                       "{\"n\" :\"/3/0/9\", \"v\":95},"
                       "{\"n\":\"/1/0/1\", \"v\":86400}]";
    const char *compact = "[{\"n\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance\"},"
                          "{\"n\":\"/3/0/9\",\"v\":95},"
                          "{\"n\":\"/1/0/1\",\"v\":86400}]";
    /* /3 is not in spec_types: numbers come out INTEGER, untyped. */
    const bw_lwm2m_record_t vals[] = {
        {BW_LWM2M_PATH_RES(3, 0, 0), STR("Open Mobile Alliance")},
        {BW_LWM2M_PATH_RES(3, 0, 9), INT(95)},
        {BW_LWM2M_PATH_RES(1, 0, 1), INT(86400)},
    };
    json_check(resp, &root, vals, NELEM(vals), compact);
}

/*
 * [Core] SenML JSON, the other Read-Composite requests: Location object
 * and three Connectivity Monitoring resources (bn "/4/0/", then bn
 * "/6/"), all objects ("/"), the Server object ("/1"), and instances 0
 * and 2 of it.  The last three are exactly our writer's form; the first
 * uses bn, which our writer does not under the root, so it is decoded,
 * encoded and decoded again.
 */
static void test_json_read_composite_paths(void **state)
{
    (void)state;
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    const bw_lwm2m_record_t loc[] = {
        {BW_LWM2M_PATH_RES(4, 0, 0), NONE},
        {BW_LWM2M_PATH_RES(4, 0, 1), NONE},
        {BW_LWM2M_PATH_RES(4, 0, 2), NONE},
        {BW_LWM2M_PATH_INST(6, 0), NONE},
    };
    json_check("[{\"bn\":\"/4/0/\", \"n\":\"0\"},{\"n\":\"1\"},{\"n\":\"2\"},"
               "{\"bn\":\"/6/\", \"n\":\"0\"}]",
               &root, loc, NELEM(loc), NULL);

    const bw_lwm2m_record_t all[] = {{BW_LWM2M_PATH_ROOT, NONE}};
    json_check("[{\"n\":\"/\"}]", &root, all, 1, "[{\"n\":\"/\"}]");
    const bw_lwm2m_record_t srv[] = {{BW_LWM2M_PATH_OBJ(1), NONE}};
    json_check("[{\"n\":\"/1\"}]", &root, srv, 1, "[{\"n\":\"/1\"}]");
    const bw_lwm2m_record_t two[] = {{BW_LWM2M_PATH_INST(1, 0), NONE},
                                     {BW_LWM2M_PATH_INST(1, 2), NONE}};
    json_check("[{\"n\":\"/1/0\"},{\"n\":\"/1/2\"}]", &root, two, 2,
               "[{\"n\":\"/1/0\"},{\"n\":\"/1/2\"}]");
}

/*
 * [Core] SenML JSON, Write-Composite: two lights off (/3311/x/5850 vb
 * false), a third dimmed to 20 (/3311/2/5851), the thermostat set to 18
 * (/3308/0/5900, a Float resource).  Our writer prints a Float with a
 * '.', so the set point comes out "18.0", and it drops the blanks after
 * the commas; the rest is the printed text.
 */
static void test_json_write_composite(void **state)
{
    (void)state;
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    const bw_lwm2m_record_t want[] = {
        {BW_LWM2M_PATH_RES(3311, 0, 5850), bw_lwm2m_value_bool(false)},
        {BW_LWM2M_PATH_RES(3311, 1, 5850), bw_lwm2m_value_bool(false)},
        {BW_LWM2M_PATH_RES(3311, 2, 5851), INT(20)},
        {BW_LWM2M_PATH_RES(3308, 0, 5900), bw_lwm2m_value_float(18.0)},
    };
    json_check("[{\"n\":\"/3311/0/5850\", \"vb\":false},"
               "{\"n\":\"/3311/1/5850\", \"vb\":false},"
               "{\"n\":\"/3311/2/5851\", \"v\":20},"
               "{\"n\":\"/3308/0/5900\", \"v\":18}]",
               &root, want, NELEM(want),
               "[{\"n\":\"/3311/0/5850\",\"vb\":false},"
               "{\"n\":\"/3311/1/5850\",\"vb\":false},"
               "{\"n\":\"/3311/2/5851\",\"v\":20},"
               "{\"n\":\"/3308/0/5900\",\"v\":18.0}]");
}

/* ---- RFC 8428 section 5.1, at the SenML layer -----------------------------
 */

static void read_raw(const char *s, bw_recs_raw_t *g)
{
    memset(g, 0, sizeof *g);
    assert_int_equal(bw_lwm2m_senml_json_read((const uint8_t *)s, strlen(s),
                                              bw_recs_collect_raw, g, NULL, 0),
                     0);
}

static void check_name(const bw_recs_raw_t *g, size_t i, const char *name)
{
    assert_int_equal(g->rec[i].name_len, strlen(name));
    assert_memory_equal(g->name[i], name, strlen(name));
}

static double num(const bw_recs_raw_t *g, size_t i)
{
    if (g->rec[i].value.type == BW_LWM2M_TYPE_INTEGER)
        return (double)g->rec[i].value.v.i;
    assert_int_equal(g->rec[i].value.type, BW_LWM2M_TYPE_FLOAT);
    return g->rec[i].value.v.f;
}

/*
 * [8428] 5.1.3 (multiple measurements, records without n take bn as
 * their name, t relative to bt) against 5.1.4 (the same pack in resolved
 * form, which section 4.6 says it is): every record resolves to the same
 * name, time and value.  Units are not delivered by the reader.
 */
static void test_rfc8428_resolved(void **state)
{
    (void)state;
    const char *pack =
        "[{\"bn\":\"urn:dev:ow:10e2073a01080063\",\"bt\":1.320067464e+09,"
        "\"bu\":\"%RH\",\"v\":20},{\"u\":\"lon\",\"v\":24.30621},"
        "{\"u\":\"lat\",\"v\":60.07965},{\"t\":60,\"v\":20.3},"
        "{\"u\":\"lon\",\"t\":60,\"v\":24.30622},"
        "{\"u\":\"lat\",\"t\":60,\"v\":60.07965},{\"t\":120,\"v\":20.7},"
        "{\"u\":\"lon\",\"t\":120,\"v\":24.30623},"
        "{\"u\":\"lat\",\"t\":120,\"v\":60.07966},"
        "{\"u\":\"%EL\",\"t\":150,\"v\":98},{\"t\":180,\"v\":21.2},"
        "{\"u\":\"lon\",\"t\":180,\"v\":24.30628},"
        "{\"u\":\"lat\",\"t\":180,\"v\":60.07967}]";
    static const struct {
        const char *u;
        const char *t;
        const char *v;
    } res[] = {
        {"%RH", "1.320067464e+09", "20"},
        {"lon", "1.320067464e+09", "24.30621"},
        {"lat", "1.320067464e+09", "60.07965"},
        {"%RH", "1.320067524e+09", "20.3"},
        {"lon", "1.320067524e+09", "24.30622"},
        {"lat", "1.320067524e+09", "60.07965"},
        {"%RH", "1.320067584e+09", "20.7"},
        {"lon", "1.320067584e+09", "24.30623"},
        {"lat", "1.320067584e+09", "60.07966"},
        {"%EL", "1.320067614e+09", "98"},
        {"%RH", "1.320067644e+09", "21.2"},
        {"lon", "1.320067644e+09", "24.30628"},
        {"lat", "1.320067644e+09", "60.07967"},
    };
    char resolved[2048] = "[";
    for (size_t i = 0; i < NELEM(res); i++) {
        char rec[160];
        snprintf(rec, sizeof rec,
                 "%s{\"n\":\"urn:dev:ow:10e2073a01080063\",\"u\":\"%s\","
                 "\"t\":%s,\"v\":%s}",
                 i ? "," : "", res[i].u, res[i].t, res[i].v);
        strcat(resolved, rec);
    }
    strcat(resolved, "]");

    bw_recs_raw_t a, b;
    read_raw(pack, &a);
    read_raw(resolved, &b);
    assert_int_equal(a.n, 13);
    assert_int_equal(b.n, 13);
    for (size_t i = 0; i < a.n; i++) {
        check_name(&a, i, "urn:dev:ow:10e2073a01080063");
        check_name(&b, i, "urn:dev:ow:10e2073a01080063");
        assert_true(a.rec[i].has_time && b.rec[i].has_time);
        assert_true(a.rec[i].time == b.rec[i].time);
        assert_true(num(&a, i) == num(&b, i));
    }
    assert_true(a.rec[9].time == 1320067614.0);
    assert_true(num(&a, 12) == 60.07967);
}

/*
 * [8428] 5.1.6 (collection of resources: the third record changes bn,
 * the fourth keeps that bn and the first record's bt) and 5.1.7
 * (actuation: a pack opening with a bn-only record, which has no name
 * of its own and so is a record named by bn with no value; and the two
 * light examples, relative t 0.1 on top of bt).
 */
static void test_rfc8428_collection_actuation(void **state)
{
    (void)state;
    bw_recs_raw_t g;
    read_raw("[{\"bn\":\"2001:db8::2/\",\"bt\":1.320078429e+09,"
             "\"n\":\"temperature\",\"u\":\"Cel\",\"v\":25.2},"
             "{\"n\":\"humidity\",\"u\":\"%RH\",\"v\":30},"
             "{\"bn\":\"2001:db8::1/\",\"n\":\"temperature\",\"u\":\"Cel\","
             "\"v\":12.3},{\"n\":\"humidity\",\"u\":\"%RH\",\"v\":67}]",
             &g);
    assert_int_equal(g.n, 4);
    check_name(&g, 0, "2001:db8::2/temperature");
    check_name(&g, 1, "2001:db8::2/humidity");
    check_name(&g, 2, "2001:db8::1/temperature");
    check_name(&g, 3, "2001:db8::1/humidity");
    for (size_t i = 0; i < 4; i++)
        assert_true(g.rec[i].has_time && g.rec[i].time == 1320078429.0);
    assert_true(num(&g, 2) == 12.3);
    assert_true(num(&g, 3) == 67);

    read_raw("[{\"bn\":\"urn:dev:ow:10e2073a01080063:\"},"
             "{\"n\":\"temp\",\"u\":\"Cel\",\"v\":23.1},"
             "{\"n\":\"heat\",\"u\":\"/\",\"v\":1},"
             "{\"n\":\"fan\",\"u\":\"/\",\"v\":0}]",
             &g);
    assert_int_equal(g.n, 4);
    check_name(&g, 0, "urn:dev:ow:10e2073a01080063:");
    assert_int_equal(g.rec[0].value.type, BW_LWM2M_TYPE_NONE);
    check_name(&g, 3, "urn:dev:ow:10e2073a01080063:fan");
    assert_true(num(&g, 1) == 23.1);
    assert_true(num(&g, 3) == 0);

    read_raw("[{\"bt\":1.320078429e+09,\"bu\":\"/\",\"n\":\"2001:db8::3\","
             "\"v\":1},{\"n\":\"2001:db8::4\",\"v\":1}]",
             &g);
    assert_int_equal(g.n, 2);
    check_name(&g, 1, "2001:db8::4");
    assert_true(g.rec[1].time == 1320078429.0);

    read_raw("[{\"bt\":1.320078429e+09,\"bu\":\"/\",\"n\":\"2001:db8::3\","
             "\"v\":0.5},{\"n\":\"2001:db8::4\",\"v\":0.5},"
             "{\"n\":\"2001:db8::3\",\"t\":0.1,\"v\":0},"
             "{\"n\":\"2001:db8::4\",\"t\":0.1,\"v\":0}]",
             &g);
    assert_int_equal(g.n, 4);
    assert_true(num(&g, 1) == 0.5);
    assert_true(g.rec[2].time == 1.320078429e+09 + 0.1);
    assert_true(g.rec[3].time == g.rec[2].time);
    assert_true(num(&g, 3) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlv_server_single_instance),
        cmocka_unit_test(test_tlv_objlnk_instance),
        cmocka_unit_test(test_tlv_objlnk_object),
        cmocka_unit_test(test_json_single_resource),
        cmocka_unit_test(test_json_objlnk_hierarchy),
        cmocka_unit_test(test_json_history),
        cmocka_unit_test(test_json_read_composite),
        cmocka_unit_test(test_json_read_composite_paths),
        cmocka_unit_test(test_json_write_composite),
        cmocka_unit_test(test_rfc8428_resolved),
        cmocka_unit_test(test_rfc8428_collection_actuation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
