/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OMA TLV against the examples of the LwM2M Core specification, "Data
 * Formats for Transferring Resource Information" > "TLV" (transcribed
 * from the 1.2 text): each payload decodes to the listed records, and the
 * writer turns those records back into the identical bytes.  Vectors not
 * taken from the specification say "constructed in the spec's layout,
 * not transcribed".  The other TLV examples of that section (Read /1,
 * the object-link examples) are in test_lwm2m_spec_vectors.c.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m.h"
#include "lwm2m_records.h"
#include "lwm2m_value_eq.h"

#define MAX_RECS 32

typedef struct {
    size_t n;
    bw_lwm2m_record_t rec[MAX_RECS];
} collect_t;

/* Resource types of the Device (3), Access Control (2) and Server (1)
 * objects, as far as the examples use them. */
static bw_lwm2m_type_t type_of(void *ctx, const bw_lwm2m_path_t *p)
{
    (void)ctx;
    uint16_t oid = p->id[0], rid = p->id[2];
    if (oid == 3) {
        if (rid <= 3 || rid == 14 || rid == 15 || rid == 16)
            return BW_LWM2M_TYPE_STRING;
        return rid == 13 ? BW_LWM2M_TYPE_TIME : BW_LWM2M_TYPE_INTEGER;
    }
    if (oid == 1) {
        if (rid == 6)
            return BW_LWM2M_TYPE_BOOLEAN;
        return rid == 7 ? BW_LWM2M_TYPE_STRING : BW_LWM2M_TYPE_INTEGER;
    }
    return oid == 2 ? BW_LWM2M_TYPE_INTEGER : BW_LWM2M_TYPE_NONE;
}

static int on_record(void *ctx, const bw_lwm2m_record_t *rec)
{
    collect_t *c = ctx;
    assert_true(c->n < MAX_RECS);
    c->rec[c->n++] = *rec;
    return 0;
}

static void assert_value_equal(const bw_lwm2m_value_t *a,
                               const bw_lwm2m_value_t *b)
{
    assert_int_equal(a->type, b->type);
    assert_true(bw_test_value_equal(a, b, false));
}

/* Decode hex under base; the records MUST equal want[0..n). */
static void expect_decode(const char *hex, const bw_lwm2m_path_t *base,
                          const bw_lwm2m_record_t *want, size_t n)
{
    uint8_t buf[512];
    size_t len = bw_test_hex(hex, buf, sizeof buf);
    collect_t c;
    memset(&c, 0, sizeof c);
    bw_lwm2m_sink_t sink = {type_of, on_record, &c, NULL, 0};
    assert_int_equal(bw_lwm2m_tlv_decode(buf, len, base, &sink), 0);
    assert_int_equal(c.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(bw_lwm2m_path_equal(&c.rec[i].path, &want[i].path));
        assert_value_equal(&c.rec[i].value, &want[i].value);
    }
}

#define STR(s)   bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, s, sizeof s - 1)
#define INT(i)   bw_lwm2m_value_int(i)
#define RES(r)   BW_LWM2M_PATH_RES(3, 0, r)
#define RI(r, i) BW_LWM2M_PATH_RI(3, 0, r, i)

/*
 * "Single Object Instance Request Example" (Read /3/0, 121 bytes),
 * transcribed from the example's table.  The hex listing printed above
 * the table has "4C 69 67 68 74 77 65 69 67 74" for the model number
 * ("Lightweigt", 21 bytes) under a length of 0x16; the table's value
 * ("Lightweight M2M Client", 22 bytes) and its 121-byte total agree with
 * the bytes below.
 */
static const char DEVICE_HEX[] =
    "C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65"
    "C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E"
    "74"
    "C8 02 09 33 34 35 30 30 30 31 32 33"
    "C3 03 31 2E 30"
    "86 06 41 00 01 41 01 05"
    "88 07 08 42 00 0E D8 42 01 13 88"
    "87 08 41 00 7D 42 01 03 84"
    "C1 09 64"
    "C1 0A 0F"
    "83 0B 41 00 00"
    "C4 0D 51 82 42 8F"
    "C6 0E 2B 30 32 3A 30 30"
    "C1 10 55";

static void device_records(bw_lwm2m_record_t *r, size_t *n)
{
    const bw_lwm2m_record_t recs[] = {
        {RES(0), STR("Open Mobile Alliance")},
        {RES(1), STR("Lightweight M2M Client")},
        {RES(2), STR("345000123")},
        {RES(3), STR("1.0")},
        {RI(6, 0), INT(1)},
        {RI(6, 1), INT(5)},
        {RI(7, 0), INT(3800)},
        {RI(7, 1), INT(5000)},
        {RI(8, 0), INT(125)},
        {RI(8, 1), INT(900)},
        {RES(9), INT(100)},
        {RES(10), INT(15)},
        {RI(11, 0), INT(0)},
        {RES(13), bw_lwm2m_value_time(1367491215)},
        {RES(14), STR("+02:00")},
        {RES(16), STR("U")},
    };
    memcpy(r, recs, sizeof recs);
    *n = sizeof recs / sizeof recs[0];
}

/* Read /3/0: resources and multiple resources at the top level. */
static void test_device_instance(void **state)
{
    (void)state;
    bw_lwm2m_record_t r[MAX_RECS];
    size_t n;
    device_records(r, &n);
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(3, 0);
    expect_decode(DEVICE_HEX, &base, r, n);
    bw_recs_tlv_encodes_to(DEVICE_HEX, &base, r, n);
}

/* "Multiple Object Instance Request Examples" A) Read /3: the same
 * resources wrapped in object instance 0 ("08 00 79", 124 bytes), whose
 * 121-byte length takes the 8-bit length form. */
static void test_device_object(void **state)
{
    (void)state;
    bw_lwm2m_record_t r[MAX_RECS];
    size_t n;
    device_records(r, &n);
    char hex[1024] = "08 00 79 ";
    strcat(hex, DEVICE_HEX);
    bw_lwm2m_path_t obj = BW_LWM2M_PATH_OBJ(3);
    expect_decode(hex, &obj, r, n);
    bw_recs_tlv_encodes_to(hex, &obj, r, n);
    /* Under /3/0 the wrapped form is accepted too. */
    bw_lwm2m_path_t inst = BW_LWM2M_PATH_INST(3, 0);
    expect_decode(hex, &inst, r, n);
}

/* Read /3/0/7 (multiple resource) and /3/0/0 (single resource), and a
 * resource instance /3/0/7/1 on its own: constructed in the spec's
 * layout, not transcribed (slices of the Read /3/0 example; the
 * specification prints no TLV for these reads). */
static void test_device_resources(void **state)
{
    (void)state;
    const bw_lwm2m_record_t volt[] = {{RI(7, 0), INT(3800)},
                                      {RI(7, 1), INT(5000)}};
    bw_lwm2m_path_t b7 = RES(7);
    expect_decode("88 07 08 42 00 0E D8 42 01 13 88", &b7, volt, 2);
    bw_recs_tlv_encodes_to("88 07 08 42 00 0E D8 42 01 13 88", &b7, volt, 2);

    const bw_lwm2m_record_t manu[] = {{RES(0), STR("Open Mobile Alliance")}};
    bw_lwm2m_path_t b0 = RES(0);
    const char *hex = "C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C"
                      "69 61 6E 63 65";
    expect_decode(hex, &b0, manu, 1);
    bw_recs_tlv_encodes_to(hex, &b0, manu, 1);

    const bw_lwm2m_record_t one[] = {{RI(7, 1), INT(5000)}};
    bw_lwm2m_path_t b71 = RI(7, 1);
    expect_decode("42 01 13 88", &b71, one, 1);
    bw_recs_tlv_encodes_to("42 01 13 88", &b71, one, 1);
}

/* "Multiple Object Instance Request Examples" B) Read /2 (38 bytes): two
 * Access Control instances, 0 and 2; instance 2's ACL has an entry for
 * server 310, whose id needs the 16-bit identifier form.  Transcribed;
 * the listing and the table agree. */
static void test_access_control(void **state)
{
    (void)state;
    const bw_lwm2m_record_t r[] = {
        {BW_LWM2M_PATH_RES(2, 0, 0), INT(1)},
        {BW_LWM2M_PATH_RES(2, 0, 1), INT(0)},
        {BW_LWM2M_PATH_RI(2, 0, 2, 127), INT(7)},
        {BW_LWM2M_PATH_RES(2, 0, 3), INT(127)},
        {BW_LWM2M_PATH_RES(2, 2, 0), INT(3)},
        {BW_LWM2M_PATH_RES(2, 2, 1), INT(0)},
        {BW_LWM2M_PATH_RI(2, 2, 2, 127), INT(7)},
        {BW_LWM2M_PATH_RI(2, 2, 2, 310), INT(1)},
        {BW_LWM2M_PATH_RES(2, 2, 3), INT(127)},
    };
    const char *hex = "08 00 0E C1 00 01 C1 01 00 83 02 41 7F 07 C1 03 7F"
                      "08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01"
                      "C1 03 7F";
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(2);
    expect_decode(hex, &base, r, 9);
    bw_recs_tlv_encodes_to(hex, &base, r, 9);
}

/* Read /1 with two Server instances: constructed in the spec's layout,
 * not transcribed.  Instance 0 is the specification's example C) with its
 * instance length corrected from 0x0D to 0x0F (see
 * test_lwm2m_spec_vectors.c); instance 1 is made up. */
static void test_server_instances(void **state)
{
    (void)state;
    const bw_lwm2m_record_t r[] = {
        {BW_LWM2M_PATH_RES(1, 0, 0), INT(1)},
        {BW_LWM2M_PATH_RES(1, 0, 1), INT(86400)},
        {BW_LWM2M_PATH_RES(1, 0, 6), bw_lwm2m_value_bool(true)},
        {BW_LWM2M_PATH_RES(1, 0, 7), STR("U")},
        {BW_LWM2M_PATH_RES(1, 1, 0), INT(2)},
        {BW_LWM2M_PATH_RES(1, 1, 1), INT(86400)},
        {BW_LWM2M_PATH_RES(1, 1, 6), bw_lwm2m_value_bool(false)},
        {BW_LWM2M_PATH_RES(1, 1, 7), STR("UQ")},
    };
    const char *hex = "08 00 0F C1 00 01 C4 01 00 01 51 80 C1 06 01 C1 07 55"
                      "08 01 10 C1 00 02 C4 01 00 01 51 80 C1 06 00 C2 07 55"
                      "51";
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(1);
    expect_decode(hex, &base, r, 8);
    bw_recs_tlv_encodes_to(hex, &base, r, 8);
}

/* Empty containers become NONE records and are written back as such. */
static void test_empty_containers(void **state)
{
    (void)state;
    bw_lwm2m_record_t r[] = {
        {BW_LWM2M_PATH_INST(3, 0), {BW_LWM2M_TYPE_NONE, {.i = 0}}},
        {BW_LWM2M_PATH_RES(3, 1, 6), {BW_LWM2M_TYPE_NONE, {.i = 0}}},
        {BW_LWM2M_PATH_RES(3, 1, 9), INT(5)},
    };
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(3);
    expect_decode("00 00 05 01 80 06 C1 09 05", &base, r, 3);
    bw_recs_tlv_encodes_to("00 00 05 01 80 06 C1 09 05", &base, r, 3);
    bw_lwm2m_path_t b6 = BW_LWM2M_PATH_RES(3, 1, 6);
    expect_decode("80 06", &b6, &r[1], 1);
    bw_recs_tlv_encodes_to("80 06", &b6, &r[1], 1);
    /* Under /3/0 an empty wrapping instance is an empty payload: no
     * record, since the writer could not name one at the base itself. */
    bw_lwm2m_path_t inst = BW_LWM2M_PATH_INST(3, 0);
    expect_decode("00 00", &inst, r, 0);
    /* An empty payload holds no records. */
    expect_decode("", &base, r, 0);
    bw_recs_tlv_encodes_to("", &base, r, 0);
}

/* Wrap n value bytes in a resource TLV with id 9; returns its size. */
static size_t res9(const uint8_t *val, size_t n, uint8_t *out)
{
    size_t h = 2;
    out[1] = 9;
    if (n < 8) {
        out[0] = (uint8_t)(0xC0 | n); /* length in the type byte */
    } else {
        out[0] = 0xC8; /* 8-bit length field */
        out[h++] = (uint8_t)n;
    }
    memcpy(out + h, val, n);
    return h + n;
}

/* Without a type_of answer every value comes out as OPAQUE, pointing at
 * the payload's own bytes (zero copy). */
static void test_untyped_is_opaque(void **state)
{
    (void)state;
    static const char *vals[] = {"",
                                 "FF",
                                 "FF 7F",
                                 "3F C0 00 00",
                                 "80 00 00 00 00 00 00 00",
                                 "00 03 FF FF",
                                 "41 42 43"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t val[8], tlv[16];
        size_t n = bw_test_hex(vals[i], val, sizeof val);
        size_t tl = res9(val, n, tlv);
        collect_t c;
        memset(&c, 0, sizeof c);
        bw_lwm2m_path_t base = RES(9);
        bw_lwm2m_sink_t sink = {NULL, on_record, &c, NULL, 0};
        assert_int_equal(bw_lwm2m_tlv_decode(tlv, tl, &base, &sink), 0);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.rec[0].value.type, BW_LWM2M_TYPE_OPAQUE);
        assert_int_equal(c.rec[0].value.v.bytes.len, n);
        assert_ptr_equal(c.rec[0].value.v.bytes.ptr, tlv + tl - n);
    }
}

static bw_lwm2m_type_t ctx_type(void *ctx, const bw_lwm2m_path_t *p)
{
    (void)p;
    return *(const bw_lwm2m_type_t *)ctx;
}

typedef struct {
    bw_lwm2m_type_t t;
    bw_lwm2m_record_t rec;
} one_t;

static int on_one(void *ctx, const bw_lwm2m_record_t *rec)
{
    ((one_t *)ctx)->rec = *rec;
    return 0;
}

/* The same table with the type known: each value decodes exactly, and
 * the writer re-encodes it in no more bytes than were read. */
static void test_value_types_typed(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        bw_lwm2m_value_t want;
        size_t shortest;
    } cases[] = {
        {"FF", {BW_LWM2M_TYPE_INTEGER, {.i = -1}}, 1},
        {"FF FF FF FF", {BW_LWM2M_TYPE_INTEGER, {.i = -1}}, 1},
        {"FF 7F", {BW_LWM2M_TYPE_INTEGER, {.i = -129}}, 2},
        {"00 00 80 00", {BW_LWM2M_TYPE_INTEGER, {.i = 32768}}, 4},
        {"80 00 00 00 00 00 00 00",
         {BW_LWM2M_TYPE_INTEGER, {.i = INT64_MIN}},
         8},
        {"FF FF FF FF FF FF FF FF",
         {BW_LWM2M_TYPE_UNSIGNED, {.u = UINT64_MAX}},
         8},
        {"00 FF", {BW_LWM2M_TYPE_UNSIGNED, {.u = 255}}, 1},
        {"80 00", {BW_LWM2M_TYPE_TIME, {.t = -32768}}, 2},
        {"3F C0 00 00", {BW_LWM2M_TYPE_FLOAT, {.f = 1.5}}, 4},
        {"3F F8 00 00 00 00 00 00", {BW_LWM2M_TYPE_FLOAT, {.f = 1.5}}, 4},
        {"3F B9 99 99 99 99 99 9A", {BW_LWM2M_TYPE_FLOAT, {.f = 0.1}}, 8},
        {"01", {BW_LWM2M_TYPE_BOOLEAN, {.b = true}}, 1},
        {"00 03 FF FF", {BW_LWM2M_TYPE_OBJLNK, {.lnk = {3, 65535}}}, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t val[8], tlv[16], out[16];
        size_t n = bw_test_hex(cases[i].hex, val, sizeof val);
        size_t tl = res9(val, n, tlv);
        one_t o;
        memset(&o, 0, sizeof o);
        o.t = cases[i].want.type;
        bw_lwm2m_path_t base = RES(9);
        bw_lwm2m_sink_t sink = {ctx_type, on_one, &o, NULL, 0};
        assert_int_equal(bw_lwm2m_tlv_decode(tlv, tl, &base, &sink), 0);
        assert_value_equal(&o.rec.value, &cases[i].want);

        bw_lwm2m_tlv_writer_t w;
        size_t len;
        bw_lwm2m_tlv_begin(&w, out, sizeof out, &base);
        bw_lwm2m_tlv_add(&w, &o.rec);
        assert_int_equal(bw_lwm2m_tlv_finish(&w, &len), 0);
        uint8_t want[16];
        uint8_t zero[8] = {0};
        size_t wl = res9(zero, cases[i].shortest, want);
        assert_int_equal(len, wl);
        assert_memory_equal(out, want, 2); /* the shortest header form */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_instance),
        cmocka_unit_test(test_device_object),
        cmocka_unit_test(test_device_resources),
        cmocka_unit_test(test_access_control),
        cmocka_unit_test(test_server_instances),
        cmocka_unit_test(test_empty_containers),
        cmocka_unit_test(test_untyped_is_opaque),
        cmocka_unit_test(test_value_types_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
