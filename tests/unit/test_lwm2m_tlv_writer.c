/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OMA TLV writer: shortest header forms at every boundary, containers
 * back-patched correctly, caller mistakes refused with their own codes,
 * and output that the decoder reads back to the same records.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m.h"

#define OPQ(p, n) bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, p, n)

static int write_all(const bw_lwm2m_path_t *base, const bw_lwm2m_record_t *r,
                     size_t n, uint8_t *out, size_t cap, size_t *len)
{
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_tlv_begin(&w, out, cap, base);
    for (size_t i = 0; i < n; i++)
        bw_lwm2m_tlv_add(&w, &r[i]);
    return bw_lwm2m_tlv_finish(&w, len);
}

/*
 * Identifier 255/256 and value lengths 7/8, 255/256, 65535/65536 sit on
 * the edges between header forms; each gets the shortest one.
 */
static void test_header_forms(void **state)
{
    (void)state;
    static const struct {
        uint16_t id;
        size_t len;
        uint8_t type;   /* expected type byte */
        size_t hdr_len; /* expected header size */
    } cases[] = {
        {0, 0, 0xC0, 2},     {255, 7, 0xC7, 2},   {256, 7, 0xE7, 3},
        {1, 8, 0xC8, 3},     {1, 255, 0xC8, 3},   {1, 256, 0xD0, 4},
        {1, 65535, 0xD0, 4}, {1, 65536, 0xD8, 5}, {65534, 65536, 0xF8, 6},
    };
    static uint8_t val[65536], out[65536 + 16];
    memset(val, 0xA5, sizeof val);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(3, 0, cases[i].id);
        bw_lwm2m_record_t r = {base, OPQ(val, cases[i].len)};
        size_t len = 0;
        assert_int_equal(write_all(&base, &r, 1, out, sizeof out, &len), 0);
        assert_int_equal(len, cases[i].hdr_len + cases[i].len);
        assert_int_equal(out[0], cases[i].type);
        /* The id and the length field read back big endian. */
        size_t idn = (out[0] & 0x20) ? 2 : 1, v = 0, id = 0;
        for (size_t k = 0; k < idn; k++)
            id = id << 8 | out[1 + k];
        for (size_t k = 1 + idn; k < cases[i].hdr_len; k++)
            v = v << 8 | out[k];
        assert_int_equal(id, cases[i].id);
        if (cases[i].hdr_len > 1 + idn)
            assert_int_equal(v, cases[i].len);
    }
}

/*
 * Containers are back-patched to the shortest header: an object instance
 * holding 300 bytes takes a 16-bit length and the content is moved down
 * intact; a small one takes the length inside the type byte.
 */
static void test_container_backpatch(void **state)
{
    (void)state;
    static uint8_t val[296], out[512];
    for (size_t i = 0; i < sizeof val; i++)
        val[i] = (uint8_t)i;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(5);
    bw_lwm2m_record_t r[] = {
        {BW_LWM2M_PATH_RES(5, 0, 0), OPQ(val, sizeof val)},
        {BW_LWM2M_PATH_RI(5, 1, 2, 300), bw_lwm2m_value_int(-2)},
    };
    size_t len = 0;
    assert_int_equal(write_all(&base, r, 2, out, sizeof out, &len), 0);
    /* 10 00 01 2C: instance 0, 16-bit length 300; D0 00 01 28: resource
     * 0 with 296 bytes. */
    static const uint8_t h0[] = {0x10, 0x00, 0x01, 0x2C,
                                 0xD0, 0x00, 0x01, 0x28};
    assert_memory_equal(out, h0, sizeof h0);
    assert_memory_equal(out + 8, val, sizeof val);
    /* 06 01 | 84 02 | 61 01 2C FE: instance 1 > resource 2 > inst 300. */
    static const uint8_t h1[] = {0x06, 0x01, 0x84, 0x02,
                                 0x61, 0x01, 0x2C, 0xFE};
    assert_int_equal(len, 8 + sizeof val + sizeof h1);
    assert_memory_equal(out + 8 + sizeof val, h1, sizeof h1);
}

/* Integers take the fewest bytes of 1, 2, 4, 8 that hold them; floats
 * take 4 bytes only when single precision is exact; NaN keeps 8. */
static void test_value_widths(void **state)
{
    (void)state;
    static const struct {
        bw_lwm2m_value_t v;
        size_t n;
    } cases[] = {
        {{BW_LWM2M_TYPE_INTEGER, {.i = 127}}, 1},
        {{BW_LWM2M_TYPE_INTEGER, {.i = 128}}, 2},
        {{BW_LWM2M_TYPE_INTEGER, {.i = -128}}, 1},
        {{BW_LWM2M_TYPE_INTEGER, {.i = -129}}, 2},
        {{BW_LWM2M_TYPE_INTEGER, {.i = 32767}}, 2},
        {{BW_LWM2M_TYPE_INTEGER, {.i = 32768}}, 4},
        {{BW_LWM2M_TYPE_INTEGER, {.i = INT32_MIN}}, 4},
        {{BW_LWM2M_TYPE_INTEGER, {.i = (int64_t)INT32_MIN - 1}}, 8},
        {{BW_LWM2M_TYPE_TIME, {.t = 2147483648}}, 8},
        {{BW_LWM2M_TYPE_UNSIGNED, {.u = 255}}, 1},
        {{BW_LWM2M_TYPE_UNSIGNED, {.u = 256}}, 2},
        {{BW_LWM2M_TYPE_UNSIGNED, {.u = 65536}}, 4},
        {{BW_LWM2M_TYPE_UNSIGNED, {.u = 4294967296u}}, 8},
        {{BW_LWM2M_TYPE_FLOAT, {.f = 1.5}}, 4},
        {{BW_LWM2M_TYPE_FLOAT, {.f = 0.1}}, 8},
        {{BW_LWM2M_TYPE_FLOAT, {.f = 1e300}}, 8},
        {{BW_LWM2M_TYPE_FLOAT, {.f = INFINITY}}, 4},
        {{BW_LWM2M_TYPE_FLOAT, {.f = NAN}}, 8},
        {{BW_LWM2M_TYPE_BOOLEAN, {.b = true}}, 1},
        {{BW_LWM2M_TYPE_OBJLNK, {.lnk = {1, 2}}}, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(3, 0, 1);
        bw_lwm2m_record_t r = {base, cases[i].v};
        uint8_t out[16];
        size_t len = 0;
        assert_int_equal(write_all(&base, &r, 1, out, sizeof out, &len), 0);
        assert_int_equal(len, (cases[i].n < 8 ? 2 : 3) + cases[i].n);
    }
}

/* Records out of order, under one another, outside the base, or too
 * shallow for it are refused with BW_EORDER or BW_EPATH. */
static void test_order_and_paths(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t len = 5;
    bw_lwm2m_path_t inst = BW_LWM2M_PATH_INST(3, 0);
    bw_lwm2m_value_t one = bw_lwm2m_value_int(1);
    const bw_lwm2m_record_t same[] = {{BW_LWM2M_PATH_RES(3, 0, 1), one},
                                      {BW_LWM2M_PATH_RES(3, 0, 1), one}};
    bw_assert_err(write_all(&inst, same, 2, out, sizeof out, &len), BW_EORDER);
    assert_int_equal(len, 0);
    const bw_lwm2m_record_t down[] = {{BW_LWM2M_PATH_RES(3, 0, 2), one},
                                      {BW_LWM2M_PATH_RES(3, 0, 1), one}};
    bw_assert_err(write_all(&inst, down, 2, out, sizeof out, &len), BW_EORDER);
    const bw_lwm2m_record_t under[] = {{BW_LWM2M_PATH_RES(3, 0, 7), one},
                                       {BW_LWM2M_PATH_RI(3, 0, 7, 0), one}};
    bw_assert_err(write_all(&inst, under, 2, out, sizeof out, &len), BW_EORDER);
    const bw_lwm2m_record_t outside[] = {{BW_LWM2M_PATH_RES(3, 1, 7), one}};
    bw_assert_err(write_all(&inst, outside, 1, out, sizeof out, &len),
                  BW_EPATH);
    const bw_lwm2m_record_t shallow[] = {
        {BW_LWM2M_PATH_INST(3, 0), {BW_LWM2M_TYPE_NONE, {.i = 0}}}};
    bw_assert_err(write_all(&inst, shallow, 1, out, sizeof out, &len),
                  BW_EPATH);
    bw_lwm2m_record_t broken = {BW_LWM2M_PATH_RES(3, 0, 1), one};
    broken.path.id[3] = 4;
    bw_assert_err(write_all(&inst, &broken, 1, out, sizeof out, &len),
                  BW_EPATH);
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    bw_assert_err(write_all(&root, same, 1, out, sizeof out, &len), BW_EFORMAT);
}

/* Types that cannot stand where they are, and bad string bytes. */
static void test_types(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t len;
    bw_lwm2m_path_t obj = BW_LWM2M_PATH_OBJ(3);
    const bw_lwm2m_record_t none_ri[] = {
        {BW_LWM2M_PATH_RI(3, 0, 7, 0), {BW_LWM2M_TYPE_NONE, {.i = 0}}}};
    bw_assert_err(write_all(&obj, none_ri, 1, out, sizeof out, &len), BW_ETYPE);
    const bw_lwm2m_record_t val_inst[] = {
        {BW_LWM2M_PATH_INST(3, 0), bw_lwm2m_value_int(1)}};
    bw_assert_err(write_all(&obj, val_inst, 1, out, sizeof out, &len),
                  BW_ETYPE);
    const bw_lwm2m_record_t bad_str[] = {
        {BW_LWM2M_PATH_RES(3, 0, 0),
         bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "\xed\xa0\x80", 3)}};
    bw_assert_err(write_all(&obj, bad_str, 1, out, sizeof out, &len), BW_EUTF8);
    bw_lwm2m_record_t odd = {BW_LWM2M_PATH_RES(3, 0, 0), bw_lwm2m_value_int(1)};
    odd.value.type = (bw_lwm2m_type_t)99;
    bw_assert_err(write_all(&obj, &odd, 1, out, sizeof out, &len), BW_EINVAL);
    /* A value longer than 24 bits of length: refused before any copy. */
    bw_lwm2m_record_t huge = {BW_LWM2M_PATH_RES(3, 0, 0),
                              OPQ(out, BW_LWM2M_TLV_MAX_LEN + 1u)};
    bw_assert_err(write_all(&obj, &huge, 1, out, sizeof out, &len),
                  BW_EOVERFLOW);
}

/*
 * Buffer room: leaves need exactly their size; open containers need at
 * most BW_LWM2M_TLV_SLACK more while open.  Every capacity below the
 * output size is BW_ENOSPC, and errors stick.
 */
static void test_capacity(void **state)
{
    (void)state;
    bw_lwm2m_path_t inst = BW_LWM2M_PATH_INST(3, 0);
    const bw_lwm2m_record_t leaf[] = {
        {BW_LWM2M_PATH_RES(3, 0, 9), bw_lwm2m_value_int(100)}};
    uint8_t out[64];
    size_t len;
    for (size_t cap = 0; cap < 3; cap++)
        bw_assert_err(write_all(&inst, leaf, 1, out, cap, &len), BW_ENOSPC);
    assert_int_equal(write_all(&inst, leaf, 1, out, 3, &len), 0);
    assert_int_equal(len, 3);

    /* /3 > instance 0 > resource 7 > two instances: 15 bytes final. */
    bw_lwm2m_path_t obj = BW_LWM2M_PATH_OBJ(3);
    const bw_lwm2m_record_t nest[] = {
        {BW_LWM2M_PATH_RI(3, 0, 7, 0), bw_lwm2m_value_int(3800)},
        {BW_LWM2M_PATH_RI(3, 0, 7, 1), bw_lwm2m_value_int(5000)},
    };
    assert_int_equal(write_all(&obj, nest, 2, out, sizeof out, &len), 0);
    static const uint8_t want[] = {0x08, 0x00, 0x0B, 0x88, 0x07, 0x08, 0x42,
                                   0x00, 0x0E, 0xD8, 0x42, 0x01, 0x13, 0x88};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    size_t final = len;
    for (size_t cap = 0; cap < final; cap++)
        bw_assert_err(write_all(&obj, nest, 2, out, cap, &len), BW_ENOSPC);
    assert_int_equal(
        write_all(&obj, nest, 2, out, final + BW_LWM2M_TLV_SLACK, &len), 0);
    assert_int_equal(len, final);
    assert_memory_equal(out, want, sizeof want);

    /* Sticky: after a failure nothing more is written. */
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_tlv_begin(&w, out, 2, &inst);
    bw_lwm2m_tlv_add(&w, &leaf[0]);
    bw_lwm2m_tlv_add(&w, &leaf[0]);
    bw_assert_err(bw_lwm2m_tlv_finish(&w, &len), BW_ENOSPC);
    bw_assert_err(bw_lwm2m_tlv_finish(&w, &len), BW_ENOSPC);
    assert_int_equal(len, 0);
}

typedef struct {
    size_t n;
    bw_lwm2m_record_t rec[64];
} collect_t;

static int on_record(void *ctx, const bw_lwm2m_record_t *rec)
{
    collect_t *c = ctx;
    assert_true(c->n < 64);
    c->rec[c->n++] = *rec;
    return 0;
}

static bw_lwm2m_type_t type_of(void *ctx, const bw_lwm2m_path_t *p)
{
    (void)ctx;
    return (bw_lwm2m_type_t)(1 + p->id[2] % 9); /* INTEGER .. CORELNK */
}

/*
 * Pseudo-random record sets of every type across instances, multiple
 * resources and empty containers, written and decoded back: the
 * records come back identical and in order.
 */
static void test_roundtrip(void **state)
{
    (void)state;
    static const char *strs[] = {"", "a", "h\xc3\xa9llo", "</1/0>"};
    uint32_t x = 12345;
    for (int round = 0; round < 200; round++) {
        bw_lwm2m_record_t in[48];
        size_t n = 0;
        for (uint16_t iid = 0; iid < 3 && n < 40; iid++) {
            x = x * 1103515245u + 12345u;
            if ((x >> 16) % 5 == 0) {
                in[n++] = (bw_lwm2m_record_t){BW_LWM2M_PATH_INST(9, iid),
                                              {BW_LWM2M_TYPE_NONE, {.i = 0}}};
                continue;
            }
            for (uint16_t rid = 0; rid < 12 && n < 40; rid++) {
                x = x * 1103515245u + 12345u;
                unsigned pick = (x >> 16) % 4;
                if (pick == 0)
                    continue;
                bw_lwm2m_type_t t = (bw_lwm2m_type_t)(1 + rid % 9);
                bw_lwm2m_value_t v;
                memset(&v, 0, sizeof v);
                v.type = t;
                int64_t big = (int64_t)((uint64_t)x << 32 | x) >> (x % 60);
                switch (t) {
                case BW_LWM2M_TYPE_INTEGER:
                    v.v.i = big;
                    break;
                case BW_LWM2M_TYPE_UNSIGNED:
                    v.v.u = (uint64_t)big;
                    break;
                case BW_LWM2M_TYPE_FLOAT:
                    v.v.f = (double)big / 7.0;
                    break;
                case BW_LWM2M_TYPE_BOOLEAN:
                    v.v.b = x & 1;
                    break;
                case BW_LWM2M_TYPE_TIME:
                    v.v.t = -big;
                    break;
                case BW_LWM2M_TYPE_OBJLNK:
                    v.v.lnk.oid = (uint16_t)x;
                    v.v.lnk.iid = (uint16_t)(x >> 8);
                    break;
                default:
                    v.v.bytes.ptr = (const uint8_t *)strs[x % 4];
                    v.v.bytes.len = strlen(strs[x % 4]);
                    break;
                }
                if (pick == 3) { /* a multiple resource, maybe empty */
                    uint16_t k = (uint16_t)((x >> 20) % 3);
                    if (k == 0) {
                        in[n++] =
                            (bw_lwm2m_record_t){BW_LWM2M_PATH_RES(9, iid, rid),
                                                {BW_LWM2M_TYPE_NONE, {.i = 0}}};
                    }
                    for (uint16_t ri = 0; ri < k; ri++)
                        in[n++] = (bw_lwm2m_record_t){
                            BW_LWM2M_PATH_RI(9, iid, rid, ri * 300u), v};
                } else {
                    in[n++] =
                        (bw_lwm2m_record_t){BW_LWM2M_PATH_RES(9, iid, rid), v};
                }
            }
        }
        uint8_t out[2048];
        size_t len;
        bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(9);
        assert_int_equal(write_all(&base, in, n, out, sizeof out, &len), 0);
        collect_t c;
        memset(&c, 0, sizeof c);
        bw_lwm2m_sink_t sink = {type_of, on_record, &c, NULL, 0};
        assert_int_equal(bw_lwm2m_tlv_decode(out, len, &base, &sink), 0);
        assert_int_equal(c.n, n);
        for (size_t i = 0; i < n; i++) {
            assert_true(bw_lwm2m_path_equal(&c.rec[i].path, &in[i].path));
            assert_int_equal(c.rec[i].value.type, in[i].value.type);
            switch (in[i].value.type) {
            case BW_LWM2M_TYPE_STRING:
            case BW_LWM2M_TYPE_OPAQUE:
            case BW_LWM2M_TYPE_CORELNK:
                assert_int_equal(c.rec[i].value.v.bytes.len,
                                 in[i].value.v.bytes.len);
                assert_memory_equal(c.rec[i].value.v.bytes.ptr,
                                    in[i].value.v.bytes.ptr,
                                    in[i].value.v.bytes.len);
                break;
            case BW_LWM2M_TYPE_BOOLEAN:
                assert_int_equal(c.rec[i].value.v.b, in[i].value.v.b);
                break;
            case BW_LWM2M_TYPE_OBJLNK:
                assert_memory_equal(&c.rec[i].value.v.lnk, &in[i].value.v.lnk,
                                    sizeof in[i].value.v.lnk);
                break;
            case BW_LWM2M_TYPE_NONE:
                break;
            default: /* the 8 bytes of i, u, f, t */
                assert_memory_equal(&c.rec[i].value.v.u, &in[i].value.v.u, 8);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_forms),
        cmocka_unit_test(test_container_backpatch),
        cmocka_unit_test(test_value_widths),
        cmocka_unit_test(test_order_and_paths),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
