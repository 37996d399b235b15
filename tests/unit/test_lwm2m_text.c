/* SPDX-License-Identifier: Apache-2.0 */
/* text/plain payloads: decoding through the sink, and the writer. */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m.h"

typedef struct {
    bw_lwm2m_type_t type; /* what type_of answers */
    int calls;            /* record callbacks seen */
    int ret;              /* what the record callback returns */
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
    return c->ret;
}

static int decode(const char *text, bw_lwm2m_type_t t, collect_t *c,
                  uint8_t *scratch, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->type = t;
    bw_lwm2m_sink_t sink = {type_of, on_record, c, scratch, cap};
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(3, 0, 9);
    return bw_lwm2m_text_decode((const uint8_t *)text, strlen(text), &base,
                                &sink);
}

/* Each type's text reaches the callback once, typed, at the base path. */
static void test_decode_types(void **state)
{
    (void)state;
    collect_t c;
    uint8_t scratch[16];
    bw_lwm2m_path_t want = BW_LWM2M_PATH_RES(3, 0, 9);

    assert_int_equal(decode("-42", BW_LWM2M_TYPE_INTEGER, &c, NULL, 0), 0);
    assert_int_equal(c.calls, 1);
    assert_true(bw_lwm2m_path_equal(&c.rec.path, &want));
    assert_int_equal(c.rec.value.type, BW_LWM2M_TYPE_INTEGER);
    assert_int_equal(c.rec.value.v.i, -42);

    assert_int_equal(decode("1367491215", BW_LWM2M_TYPE_TIME, &c, NULL, 0), 0);
    assert_int_equal(c.rec.value.type, BW_LWM2M_TYPE_TIME);
    assert_int_equal(c.rec.value.v.t, 1367491215);

    assert_int_equal(
        decode("18446744073709551615", BW_LWM2M_TYPE_UNSIGNED, &c, NULL, 0), 0);
    assert_true(c.rec.value.v.u == UINT64_MAX);

    assert_int_equal(decode("2.5", BW_LWM2M_TYPE_FLOAT, &c, NULL, 0), 0);
    assert_true(c.rec.value.v.f == 2.5);

    assert_int_equal(decode("1", BW_LWM2M_TYPE_BOOLEAN, &c, NULL, 0), 0);
    assert_true(c.rec.value.v.b);

    assert_int_equal(decode("1:2", BW_LWM2M_TYPE_OBJLNK, &c, NULL, 0), 0);
    assert_int_equal(c.rec.value.v.lnk.oid, 1);
    assert_int_equal(c.rec.value.v.lnk.iid, 2);

    const char *s = "Europe/Berlin";
    assert_int_equal(decode(s, BW_LWM2M_TYPE_STRING, &c, NULL, 0), 0);
    assert_int_equal(c.rec.value.v.bytes.len, strlen(s));
    assert_memory_equal(c.rec.value.v.bytes.ptr, s, strlen(s));

    assert_int_equal(decode("</3/0>", BW_LWM2M_TYPE_CORELNK, &c, NULL, 0), 0);
    assert_int_equal(c.rec.value.type, BW_LWM2M_TYPE_CORELNK);

    /* Opaque is base64 decoded into the scratch buffer. */
    assert_int_equal(
        decode("AQID", BW_LWM2M_TYPE_OPAQUE, &c, scratch, sizeof scratch), 0);
    assert_int_equal(c.rec.value.type, BW_LWM2M_TYPE_OPAQUE);
    assert_int_equal(c.rec.value.v.bytes.len, 3);
    assert_ptr_equal(c.rec.value.v.bytes.ptr, scratch);
    assert_memory_equal(scratch, "\x01\x02\x03", 3);

    /* Unknown type: the raw text as opaque bytes, no base64. */
    assert_int_equal(decode("AQID", BW_LWM2M_TYPE_NONE, &c, NULL, 0), 0);
    assert_int_equal(c.rec.value.type, BW_LWM2M_TYPE_OPAQUE);
    assert_int_equal(c.rec.value.v.bytes.len, 4);
    assert_memory_equal(c.rec.value.v.bytes.ptr, "AQID", 4);
}

/* Bad text fails with the parser's exact code and the callback never
 * runs. */
static void test_decode_errors(void **state)
{
    (void)state;
    collect_t c;
    uint8_t scratch[2];
    bw_assert_err(
        decode("9223372036854775808", BW_LWM2M_TYPE_INTEGER, &c, NULL, 0),
        BW_ERANGE);
    assert_int_equal(c.calls, 0);
    bw_assert_err(decode("+1", BW_LWM2M_TYPE_INTEGER, &c, NULL, 0),
                  BW_EMALFORMED);
    bw_assert_err(decode("2", BW_LWM2M_TYPE_BOOLEAN, &c, NULL, 0), BW_ERANGE);
    bw_assert_err(decode("\xff", BW_LWM2M_TYPE_STRING, &c, NULL, 0), BW_EUTF8);
    bw_assert_err(decode("AQI", BW_LWM2M_TYPE_OPAQUE, &c, scratch, 2),
                  BW_EMALFORMED);
    bw_assert_err(decode("AQID", BW_LWM2M_TYPE_OPAQUE, &c, scratch, 2),
                  BW_ENOSPC);
    bw_assert_err(decode("AQID", BW_LWM2M_TYPE_OPAQUE, &c, NULL, 0), BW_ENOSPC);
    assert_int_equal(c.calls, 0);
    /* An empty opaque needs no scratch. */
    assert_int_equal(decode("", BW_LWM2M_TYPE_OPAQUE, &c, NULL, 0), 0);
    assert_int_equal(c.rec.value.v.bytes.len, 0);
}

/* Only a resource or resource instance can be text: shallower bases are
 * BW_EFORMAT, broken ones BW_EPATH, missing arguments BW_EINVAL. */
static void test_decode_paths(void **state)
{
    (void)state;
    collect_t c;
    memset(&c, 0, sizeof c);
    bw_lwm2m_sink_t sink = {NULL, on_record, &c, NULL, 0};
    const uint8_t *p = (const uint8_t *)"5";
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT, obj = BW_LWM2M_PATH_OBJ(3),
                    inst = BW_LWM2M_PATH_INST(3, 0),
                    ri = BW_LWM2M_PATH_RI(3, 0, 7, 1),
                    bad = BW_LWM2M_PATH_RES(3, 0, 65535);
    bw_assert_err(bw_lwm2m_text_decode(p, 1, &root, &sink), BW_EFORMAT);
    bw_assert_err(bw_lwm2m_text_decode(p, 1, &obj, &sink), BW_EFORMAT);
    bw_assert_err(bw_lwm2m_text_decode(p, 1, &inst, &sink), BW_EFORMAT);
    bw_assert_err(bw_lwm2m_text_decode(p, 1, &bad, &sink), BW_EPATH);
    bw_assert_err(bw_lwm2m_text_decode(NULL, 1, &ri, &sink), BW_EINVAL);
    bw_assert_err(bw_lwm2m_text_decode(p, 1, NULL, &sink), BW_EINVAL);
    sink.record = NULL;
    bw_assert_err(bw_lwm2m_text_decode(p, 1, &ri, &sink), BW_EINVAL);
    sink.record = on_record;
    assert_int_equal(c.calls, 0);
    assert_int_equal(bw_lwm2m_text_decode(p, 1, &ri, &sink), 0);
    assert_int_equal(c.calls, 1);
    assert_true(bw_lwm2m_path_equal(&c.rec.path, &ri));
}

/* The callback's negative code comes back unchanged; a positive return
 * becomes BW_EABORTED. */
static void test_callback_stop(void **state)
{
    (void)state;
    collect_t c;
    memset(&c, 0, sizeof c);
    bw_lwm2m_sink_t sink = {NULL, on_record, &c, NULL, 0};
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(3, 0, 1);
    c.ret = BW_ENOTFOUND;
    bw_assert_err(bw_lwm2m_text_decode((const uint8_t *)"x", 1, &base, &sink),
                  BW_ENOTFOUND);
    c.ret = 1;
    bw_assert_err(bw_lwm2m_text_decode((const uint8_t *)"x", 1, &base, &sink),
                  BW_EABORTED);
}

/* The writer produces the value text for a record at the base path. */
static void test_writer(void **state)
{
    (void)state;
    uint8_t buf[32];
    size_t n = 99;
    bw_lwm2m_text_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(3, 0, 13);
    bw_lwm2m_record_t rec = {base, bw_lwm2m_value_time(1367491215)};
    bw_lwm2m_text_begin(&w, buf, sizeof buf, &base);
    bw_lwm2m_text_add(&w, &rec);
    assert_int_equal(bw_lwm2m_text_finish(&w, &n), 0);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "1367491215", 10);

    /* And what it writes decodes back to the same value. */
    collect_t c;
    memset(&c, 0, sizeof c);
    c.type = BW_LWM2M_TYPE_TIME;
    bw_lwm2m_sink_t sink = {type_of, on_record, &c, NULL, 0};
    assert_int_equal(bw_lwm2m_text_decode(buf, n, &base, &sink), 0);
    assert_int_equal(c.rec.value.v.t, 1367491215);
}

/* Writer errors are sticky and finish reports the first one. */
static void test_writer_errors(void **state)
{
    (void)state;
    uint8_t buf[4];
    size_t n = 99;
    bw_lwm2m_text_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_RES(3, 0, 1);
    bw_lwm2m_path_t other = BW_LWM2M_PATH_RES(3, 0, 2);
    bw_lwm2m_path_t inst = BW_LWM2M_PATH_INST(3, 0);
    bw_lwm2m_record_t rec = {base, bw_lwm2m_value_int(7)};
    bw_lwm2m_record_t wrong = {other, bw_lwm2m_value_int(7)};

    bw_lwm2m_text_begin(&w, buf, sizeof buf, &inst);
    bw_lwm2m_text_add(&w, &rec);
    bw_assert_err(bw_lwm2m_text_finish(&w, &n), BW_EFORMAT);
    assert_int_equal(n, 0);

    bw_lwm2m_text_begin(&w, buf, sizeof buf, &base);
    bw_lwm2m_text_add(&w, &wrong);
    bw_lwm2m_text_add(&w, &rec); /* ignored: the error is sticky */
    bw_assert_err(bw_lwm2m_text_finish(&w, &n), BW_EPATH);

    bw_lwm2m_text_begin(&w, buf, sizeof buf, &base);
    bw_lwm2m_text_add(&w, &rec);
    bw_lwm2m_text_add(&w, &rec);
    bw_assert_err(bw_lwm2m_text_finish(&w, &n), BW_EFORMAT);

    bw_lwm2m_text_begin(&w, buf, sizeof buf, &base);
    bw_assert_err(bw_lwm2m_text_finish(&w, &n), BW_ESTATE);

    rec.value = bw_lwm2m_value_int(-10000);
    bw_lwm2m_text_begin(&w, buf, sizeof buf, &base);
    bw_lwm2m_text_add(&w, &rec);
    bw_assert_err(bw_lwm2m_text_finish(&w, &n), BW_ENOSPC);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_types),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_paths),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_writer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
