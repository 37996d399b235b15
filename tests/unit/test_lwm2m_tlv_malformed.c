/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OMA TLV decoding of hostile input: each malformed payload fails with
 * its exact code, and nothing past the payload is read (the sanitizer
 * build would flag it; every payload sits in an exact-size copy).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m.h"

typedef struct {
    bw_lwm2m_type_t type; /* answered for every path */
    int calls;
    int stop_at; /* return 1 from this call (1-based); 0 never */
} ctx_t;

static bw_lwm2m_type_t type_of(void *ctx, const bw_lwm2m_path_t *p)
{
    (void)p;
    return ((ctx_t *)ctx)->type;
}

static int on_record(void *ctx, const bw_lwm2m_record_t *rec)
{
    ctx_t *c = ctx;
    (void)rec;
    c->calls++;
    return c->calls == c->stop_at ? 1 : 0;
}

/* Decode hex under base with every value typed t, from a heap copy of
 * exactly the payload's size. */
static int decode_t(const char *hex, const bw_lwm2m_path_t *base,
                    bw_lwm2m_type_t t, ctx_t *c)
{
    uint8_t tmp[256];
    size_t n = bw_test_hex(hex, tmp, sizeof tmp);
    uint8_t *p = malloc(n > 0 ? n : 1);
    assert_non_null(p);
    memcpy(p, tmp, n);
    memset(c, 0, sizeof *c);
    c->type = t;
    bw_lwm2m_sink_t sink = {type_of, on_record, c, NULL, 0};
    int err = bw_lwm2m_tlv_decode(p, n, base, &sink);
    free(p);
    return err;
}

static int decode(const char *hex, const bw_lwm2m_path_t *base)
{
    ctx_t c;
    return decode_t(hex, base, BW_LWM2M_TYPE_NONE, &c);
}

static const bw_lwm2m_path_t OBJ3 = BW_LWM2M_PATH_OBJ(3);
static const bw_lwm2m_path_t INST = BW_LWM2M_PATH_INST(3, 0);
static const bw_lwm2m_path_t RES9 = BW_LWM2M_PATH_RES(3, 0, 9);

/* Headers cut short at the top level are BW_ETRUNC: no identifier, half
 * a 16-bit identifier, a missing length field. */
static void test_truncated_header(void **state)
{
    (void)state;
    bw_assert_err(decode("C1", &INST), BW_ETRUNC);
    bw_assert_err(decode("E1 00", &INST), BW_ETRUNC);    /* 16-bit id */
    bw_assert_err(decode("C8 00", &INST), BW_ETRUNC);    /* 8-bit length */
    bw_assert_err(decode("D0 00 01", &INST), BW_ETRUNC); /* 16-bit length */
    bw_assert_err(decode("F8 00 01 00 00", &INST), BW_ETRUNC); /* 24-bit */
}

/* A value longer than what is left of the payload is BW_ETRUNC, however
 * the length is written (up to the 24-bit maximum). */
static void test_length_past_end(void **state)
{
    (void)state;
    bw_assert_err(decode("C3 00 31 32", &INST), BW_ETRUNC);
    bw_assert_err(decode("C8 00 05 31 32 33 34", &INST), BW_ETRUNC);
    bw_assert_err(decode("D0 00 FF FF 31", &INST), BW_ETRUNC);
    bw_assert_err(decode("D8 00 FF FF FF 31 32", &INST), BW_ETRUNC);
    bw_assert_err(decode("18 00 FF FF FF C1 00 01", &OBJ3), BW_ETRUNC);
}

/* A 24-bit length that fits is fine: a 3-byte length field holding 2. */
static void test_long_length_forms(void **state)
{
    (void)state;
    assert_int_equal(decode("D8 00 00 00 02 31 32", &INST), 0);
    assert_int_equal(decode("D0 00 00 02 31 32", &INST), 0);
    assert_int_equal(decode("C8 00 02 31 32", &INST), 0);
    /* Bits 2-0 MUST be zero when a length field is present. */
    bw_assert_err(decode("C9 00 02 31 32", &INST), BW_EMALFORMED);
    bw_assert_err(decode("DF 00 00 00 02 31 32", &INST), BW_EMALFORMED);
}

/*
 * Cut a Device payload at every byte: a cut on a TLV boundary is a
 * shorter valid payload, any other cut is BW_ETRUNC.  The payload is
 * constructed in the spec's layout, not transcribed: six of the TLVs of
 * the Core "Single Object Instance Request Example".
 */
static void test_truncate_everywhere(void **state)
{
    (void)state;
    static const char hex[] =
        "C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65"
        "C3 03 31 2E 30 86 06 41 00 01 41 01 05 88 07 08 42 00 0E D8 42 01 13"
        "88 C1 09 64 C4 0D 51 82 42 8F";
    static const size_t sizes[] = {23, 5, 8, 11, 3, 6}; /* top-level TLVs */
    uint8_t full[128];
    size_t n = bw_test_hex(hex, full, sizeof full);
    for (size_t cut = 0; cut <= n; cut++) {
        size_t edge = 0;
        bool boundary = cut == 0;
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            edge += sizes[k];
            boundary = boundary || edge == cut;
        }
        uint8_t *p = malloc(cut > 0 ? cut : 1);
        memcpy(p, full, cut);
        ctx_t c;
        memset(&c, 0, sizeof c);
        bw_lwm2m_sink_t sink = {NULL, on_record, &c, NULL, 0};
        int err = bw_lwm2m_tlv_decode(p, cut, &INST, &sink);
        free(p);
        if (boundary)
            assert_int_equal(err, 0);
        else
            bw_assert_err(err, BW_ETRUNC);
    }
}

/* Children that do not fill their container exactly: running past it is
 * BW_EOVERFLOW even when the payload goes on. */
static void test_child_exceeds_parent(void **state)
{
    (void)state;
    /* Second resource instance wants 2 value bytes, the parent has 1. */
    bw_assert_err(decode("86 06 41 00 01 42 01 05 C1 09 64", &INST),
                  BW_EOVERFLOW);
    /* One byte left in the parent: a header cut in two. */
    bw_assert_err(decode("87 06 41 00 01 41 01 05 C1 C1 09 64", &INST),
                  BW_EOVERFLOW);
    /* Object instance whose resource claims a 16-bit length. */
    bw_assert_err(decode("05 00 D0 00 00 02 31 C1 00 01", &OBJ3), BW_EOVERFLOW);
    /* Huge 24-bit child length inside a small parent. */
    bw_assert_err(decode("06 00 D8 00 FF FF FF 31 32 33 34 35", &OBJ3),
                  BW_EOVERFLOW);
}

/* Identifier types that the base path or the parent does not allow. */
static void test_ident_type_vs_depth(void **state)
{
    (void)state;
    const bw_lwm2m_path_t ri = BW_LWM2M_PATH_RI(3, 0, 7, 1);
    /* Resource instance at the top of an instance. */
    bw_assert_err(decode("41 00 01", &INST), BW_EMALFORMED);
    /* Resource at the top of an object. */
    bw_assert_err(decode("C1 00 01", &OBJ3), BW_EMALFORMED);
    /* Object instance inside an object instance. */
    bw_assert_err(decode("02 00 00 01", &OBJ3), BW_EMALFORMED);
    /* Resource with value inside a multiple resource. */
    bw_assert_err(decode("83 06 C1 00 01", &INST), BW_EMALFORMED);
    /* Resource instance inside an object instance. */
    bw_assert_err(decode("03 00 41 00 01", &OBJ3), BW_EMALFORMED);
    /* An object instance after resources (not a wrapper). */
    bw_assert_err(decode("C1 09 64 00 00", &INST), BW_EMALFORMED);
    /* Resource where a resource instance is addressed. */
    bw_assert_err(decode("C1 07 01", &ri), BW_EMALFORMED);
    /* The top-level id MUST name the base's last level. */
    bw_assert_err(decode("C1 0A 01", &RES9), BW_EPATH);
    bw_assert_err(decode("08 01 03 C1 00 01", &INST), BW_EPATH);
    bw_assert_err(decode("41 02 01", &ri), BW_EPATH);
    /* And only one TLV may be there. */
    bw_assert_err(decode("C1 09 64 C1 09 64", &RES9), BW_ETRAILING);
    bw_assert_err(decode("00 00 00 00", &INST), BW_ETRAILING);
}

/* Nesting beyond object instance > multiple resource > resource
 * instance is BW_EDEPTH. */
static void test_nesting_limit(void **state)
{
    (void)state;
    bw_assert_err(decode("82 06 80 01", &INST), BW_EDEPTH);
    bw_assert_err(decode("82 06 00 01", &INST), BW_EDEPTH);
    bw_assert_err(decode("06 00 84 06 82 00 80 01", &OBJ3), BW_EDEPTH);
    /* A multiple resource where a resource instance is addressed. */
    const bw_lwm2m_path_t ri = BW_LWM2M_PATH_RI(3, 0, 7, 1);
    bw_assert_err(decode("80 01", &ri), BW_EDEPTH);
}

/* Values whose size their type forbids, and out-of-range booleans. */
static void test_bad_value_sizes(void **state)
{
    (void)state;
    ctx_t c;
    static const struct {
        bw_lwm2m_type_t t;
        const char *hex;
        int err;
    } cases[] = {
        {BW_LWM2M_TYPE_INTEGER, "C0 09", BW_EMALFORMED},
        {BW_LWM2M_TYPE_INTEGER, "C3 09 00 00 01", BW_EMALFORMED},
        {BW_LWM2M_TYPE_INTEGER, "C5 09 00 00 00 00 01", BW_EMALFORMED},
        {BW_LWM2M_TYPE_INTEGER, "C8 09 09 00 00 00 00 00 00 00 00 01",
         BW_EMALFORMED},
        {BW_LWM2M_TYPE_TIME, "C6 09 00 00 00 00 00 01", BW_EMALFORMED},
        {BW_LWM2M_TYPE_UNSIGNED, "C3 09 00 00 01", BW_EMALFORMED},
        {BW_LWM2M_TYPE_UNSIGNED, "C0 09", BW_EMALFORMED},
        {BW_LWM2M_TYPE_FLOAT, "C3 09 3F C0 00", BW_EMALFORMED},
        {BW_LWM2M_TYPE_FLOAT, "C2 09 3F C0", BW_EMALFORMED},
        {BW_LWM2M_TYPE_BOOLEAN, "C1 09 02", BW_ERANGE},
        {BW_LWM2M_TYPE_BOOLEAN, "C1 09 FF", BW_ERANGE},
        {BW_LWM2M_TYPE_BOOLEAN, "C2 09 00 01", BW_EMALFORMED},
        {BW_LWM2M_TYPE_BOOLEAN, "C0 09", BW_EMALFORMED},
        {BW_LWM2M_TYPE_OBJLNK, "C3 09 00 03 00", BW_EMALFORMED},
        {BW_LWM2M_TYPE_OBJLNK, "C5 09 00 03 00 00 01", BW_EMALFORMED},
        {BW_LWM2M_TYPE_STRING, "C2 09 C0 80", BW_EUTF8},
        {BW_LWM2M_TYPE_CORELNK, "C1 09 FF", BW_EUTF8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_assert_err(decode_t(cases[i].hex, &RES9, cases[i].t, &c),
                      cases[i].err);
        assert_int_equal(c.calls, 0);
    }
}

/* The reserved id 65535 is refused at every level. */
static void test_reserved_id(void **state)
{
    (void)state;
    bw_assert_err(decode("E1 FF FF 01", &INST), BW_EPATH);
    bw_assert_err(decode("20 FF FF", &OBJ3), BW_EPATH);
    bw_assert_err(decode("84 07 61 FF FF 01", &INST), BW_EPATH);
}

/* Bases the format cannot serve, and missing arguments. */
static void test_bad_base(void **state)
{
    (void)state;
    const bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    bw_lwm2m_path_t broken = BW_LWM2M_PATH_INST(3, 0);
    broken.id[2] = 1;
    bw_assert_err(decode("C1 09 64", &root), BW_EFORMAT);
    bw_assert_err(decode("C1 09 64", &broken), BW_EPATH);
    ctx_t c;
    memset(&c, 0, sizeof c);
    bw_lwm2m_sink_t sink = {NULL, on_record, &c, NULL, 0};
    bw_assert_err(bw_lwm2m_tlv_decode(NULL, 3, &INST, &sink), BW_EINVAL);
    bw_assert_err(
        bw_lwm2m_tlv_decode((const uint8_t *)"\xC1\x09\x64", 3, NULL, &sink),
        BW_EINVAL);
    bw_assert_err(
        bw_lwm2m_tlv_decode((const uint8_t *)"\xC1\x09\x64", 3, &INST, NULL),
        BW_EINVAL);
}

/*
 * Records stream out before a later fault is found (the documented
 * contract), and a callback's stop request ends decoding at once.
 */
static void test_streaming_and_stop(void **state)
{
    (void)state;
    ctx_t c;
    bw_assert_err(
        decode_t("C1 09 64 C1 0A 0F C3 0B 00", &INST, BW_LWM2M_TYPE_NONE, &c),
        BW_ETRUNC);
    assert_int_equal(c.calls, 2);

    uint8_t p[9];
    size_t n = bw_test_hex("C1 09 64 C1 0A 0F C1 0B 00", p, sizeof p);
    memset(&c, 0, sizeof c);
    c.stop_at = 2;
    bw_lwm2m_sink_t sink = {NULL, on_record, &c, NULL, 0};
    bw_assert_err(bw_lwm2m_tlv_decode(p, n, &INST, &sink), BW_EABORTED);
    assert_int_equal(c.calls, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_length_past_end),
        cmocka_unit_test(test_long_length_forms),
        cmocka_unit_test(test_truncate_everywhere),
        cmocka_unit_test(test_child_exceeds_parent),
        cmocka_unit_test(test_ident_type_vs_depth),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_bad_value_sizes),
        cmocka_unit_test(test_reserved_id),
        cmocka_unit_test(test_bad_base),
        cmocka_unit_test(test_streaming_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
