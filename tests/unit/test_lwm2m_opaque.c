/* SPDX-License-Identifier: Apache-2.0 */
/* application/octet-stream: raw bytes of one opaque resource, plus the
 * value conversions every format relies on. */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m.h"

typedef struct {
    bw_lwm2m_type_t type;
    int calls;
    bw_lwm2m_record_t rec;
} collect_t;

static bw_lwm2m_type_t type_of(void *ctx, const bw_lwm2m_path_t *path)
{
    (void)path;
    return ((collect_t *)ctx)->type;
}

static int on_record(void *ctx, const bw_lwm2m_record_t *rec)
{
    collect_t *c = ctx;
    c->calls++;
    c->rec = *rec;
    return 0;
}

/* The payload comes out as one zero-copy OPAQUE record at the base. */
static void test_decode(void **state)
{
    (void)state;
    static const uint8_t fw[] = {0x00, 0xff, 0x10, 0x00, 0x3d};
    collect_t c;
    memset(&c, 0, sizeof c);
    bw_lwm2m_sink_t sink = {type_of, on_record, &c, NULL, 0};
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(5, 0, 0);
    for (int t = 0; t < 2; t++) {
        c.type = t == 0 ? BW_LWM2M_TYPE_NONE : BW_LWM2M_TYPE_OPAQUE;
        c.calls = 0;
        assert_int_equal(bw_lwm2m_opaque_decode(fw, sizeof fw, &base, &sink),
                         0);
        assert_int_equal(c.calls, 1);
        assert_int_equal(c.rec.value.type, BW_LWM2M_TYPE_OPAQUE);
        assert_ptr_equal(c.rec.value.v.bytes.ptr, fw);
        assert_int_equal(c.rec.value.v.bytes.len, sizeof fw);
        assert_true(bw_lwm2m_path_equal(&c.rec.path, &base));
    }
    /* An empty payload is an empty value. */
    assert_int_equal(bw_lwm2m_opaque_decode(NULL, 0, &base, &sink), 0);
    assert_int_equal(c.rec.value.v.bytes.len, 0);
}

/* A non-opaque resource, a shallow path or a broken path is refused
 * before the callback runs. */
static void test_decode_errors(void **state)
{
    (void)state;
    collect_t c;
    memset(&c, 0, sizeof c);
    bw_lwm2m_sink_t sink = {type_of, on_record, &c, NULL, 0};
    bw_lwm2m_path_t res = BW_LWM2M_PATH_RES(3, 0, 9);
    bw_lwm2m_path_t inst = BW_LWM2M_PATH_INST(5, 0);
    bw_lwm2m_path_t bad = BW_LWM2M_PATH_RES(5, 0, 0);
    bad.depth = 7;
    c.type = BW_LWM2M_TYPE_INTEGER;
    bw_assert_err(
        bw_lwm2m_opaque_decode((const uint8_t *)"\x64", 1, &res, &sink),
        BW_ETYPE);
    c.type = BW_LWM2M_TYPE_STRING;
    bw_assert_err(bw_lwm2m_opaque_decode((const uint8_t *)"d", 1, &res, &sink),
                  BW_ETYPE);
    c.type = BW_LWM2M_TYPE_OPAQUE;
    bw_assert_err(bw_lwm2m_opaque_decode((const uint8_t *)"d", 1, &inst, &sink),
                  BW_EFORMAT);
    bw_assert_err(bw_lwm2m_opaque_decode((const uint8_t *)"d", 1, &bad, &sink),
                  BW_EPATH);
    bw_assert_err(bw_lwm2m_opaque_decode(NULL, 1, &res, &sink), BW_EINVAL);
    assert_int_equal(c.calls, 0);
}

/* The writer copies the bytes; any other type, path or count is
 * refused with its own code. */
static void test_writer(void **state)
{
    (void)state;
    uint8_t buf[4];
    size_t n = 9;
    bw_lwm2m_opaque_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RI(0, 0, 3, 1);
    bw_lwm2m_record_t rec = {
        base, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, "\x30\x82\x01", 3)};
    bw_lwm2m_opaque_begin(&w, buf, sizeof buf, &base);
    bw_lwm2m_opaque_add(&w, &rec);
    assert_int_equal(bw_lwm2m_opaque_finish(&w, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "\x30\x82\x01", 3);

    bw_lwm2m_opaque_begin(&w, buf, sizeof buf, &base);
    bw_lwm2m_opaque_add(&w, &rec);
    bw_lwm2m_opaque_add(&w, &rec);
    bw_assert_err(bw_lwm2m_opaque_finish(&w, &n), BW_EFORMAT);
    assert_int_equal(n, 0);

    bw_lwm2m_record_t str = {
        base, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "abc", 3)};
    bw_lwm2m_opaque_begin(&w, buf, sizeof buf, &base);
    bw_lwm2m_opaque_add(&w, &str);
    bw_assert_err(bw_lwm2m_opaque_finish(&w, &n), BW_ETYPE);

    bw_lwm2m_record_t big = {
        base, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, "12345", 5)};
    bw_lwm2m_opaque_begin(&w, buf, sizeof buf, &base);
    bw_lwm2m_opaque_add(&w, &big);
    bw_assert_err(bw_lwm2m_opaque_finish(&w, &n), BW_ENOSPC);

    bw_lwm2m_path_t obj = BW_LWM2M_PATH_OBJ(5);
    bw_lwm2m_opaque_begin(&w, buf, sizeof buf, &obj);
    bw_lwm2m_opaque_add(&w, &rec);
    bw_assert_err(bw_lwm2m_opaque_finish(&w, &n), BW_EFORMAT);

    rec.path = (bw_lwm2m_path_t)BW_LWM2M_PATH_RI(0, 0, 3, 2);
    bw_lwm2m_opaque_begin(&w, buf, sizeof buf, &base);
    bw_lwm2m_opaque_add(&w, &rec);
    bw_assert_err(bw_lwm2m_opaque_finish(&w, &n), BW_EPATH);
}

/* Conversions between numeric types are exact or BW_ERANGE; non-numbers
 * are BW_ETYPE; outputs are untouched on failure. */
static void test_value_conversions(void **state)
{
    (void)state;
    int64_t i = 5;
    uint64_t u = 5;
    double d = 5;
    bool b = false;
    bw_lwm2m_value_t v = bw_lwm2m_value_uint((uint64_t)INT64_MAX + 1u);
    bw_assert_err(bw_lwm2m_value_get_int(&v, &i), BW_ERANGE);
    assert_int_equal(i, 5);
    v = bw_lwm2m_value_uint((uint64_t)INT64_MAX);
    assert_int_equal(bw_lwm2m_value_get_int(&v, &i), 0);
    assert_true(i == INT64_MAX);
    v = bw_lwm2m_value_int(-1);
    bw_assert_err(bw_lwm2m_value_get_uint(&v, &u), BW_ERANGE);
    assert_int_equal(u, 5);
    v = bw_lwm2m_value_time(0);
    assert_int_equal(bw_lwm2m_value_get_uint(&v, &u), 0);
    assert_int_equal(u, 0);

    /* 2^53 + 1 is not a double; 2^53, 2^63 and INT64_MIN are. */
    v = bw_lwm2m_value_int(((int64_t)1 << 53) + 1);
    bw_assert_err(bw_lwm2m_value_get_float(&v, &d), BW_ERANGE);
    v = bw_lwm2m_value_int((int64_t)1 << 53);
    assert_int_equal(bw_lwm2m_value_get_float(&v, &d), 0);
    assert_true(d == 9007199254740992.0);
    v = bw_lwm2m_value_int(INT64_MIN);
    assert_int_equal(bw_lwm2m_value_get_float(&v, &d), 0);
    assert_true(d == -9223372036854775808.0);
    v = bw_lwm2m_value_uint(UINT64_MAX);
    bw_assert_err(bw_lwm2m_value_get_float(&v, &d), BW_ERANGE);
    v = bw_lwm2m_value_uint((uint64_t)1 << 63);
    assert_int_equal(bw_lwm2m_value_get_float(&v, &d), 0);

    v = bw_lwm2m_value_int(300);
    bw_assert_err(bw_lwm2m_value_get_int_range(&v, 0, 255, &i), BW_ERANGE);
    assert_int_equal(bw_lwm2m_value_get_int_range(&v, 0, 300, &i), 0);
    assert_int_equal(i, 300);

    v = bw_lwm2m_value_bool(true);
    bw_assert_err(bw_lwm2m_value_get_int(&v, &i), BW_ETYPE);
    assert_int_equal(bw_lwm2m_value_get_bool(&v, &b), 0);
    assert_true(b);
    v = bw_lwm2m_value_int(1);
    bw_assert_err(bw_lwm2m_value_get_bool(&v, &b), BW_ETYPE);
    v = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "1", 1);
    bw_assert_err(bw_lwm2m_value_get_float(&v, &d), BW_ETYPE);
    bw_assert_err(bw_lwm2m_value_get_uint(&v, &u), BW_ETYPE);
}

/* UTF-8: valid edge code points pass; overlong forms, surrogates, values
 * above U+10FFFF and truncated sequences fail. */
static void test_utf8(void **state)
{
    (void)state;
    static const char *good[] = {"",
                                 "a",
                                 "\xc2\x80",
                                 "\xdf\xbf",
                                 "\xe0\xa0\x80",
                                 "\xed\x9f\xbf",
                                 "\xef\xbf\xbf",
                                 "\xf0\x90\x80\x80",
                                 "\xf4\x8f\xbf\xbf"};
    static const char *bad[] = {"\x80",
                                "\xc0\x80",
                                "\xc1\xbf",
                                "\xe0\x9f\xbf",
                                "\xed\xa0\x80",
                                "\xf0\x8f\xbf\xbf",
                                "\xf4\x90\x80\x80",
                                "\xf5\x80\x80\x80",
                                "\xc2",
                                "\xe0\xa0",
                                "\xf0\x90\x80",
                                "\xc2\x41"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(
            bw_lwm2m_utf8_check((const uint8_t *)good[i], strlen(good[i])), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        bw_assert_err(
            bw_lwm2m_utf8_check((const uint8_t *)bad[i], strlen(bad[i])),
            BW_EUTF8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode), cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_writer), cmocka_unit_test(test_value_conversions),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
