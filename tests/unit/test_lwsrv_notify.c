/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parts of Observe on the server that need no network: the payload of
 * a notification into values (bw_lwsrv_obs_decode), the observation
 * registry's rules (replacement, limits, ending by endpoint, duplicate
 * message IDs) and the sink's hand-over to a store on its own thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m_observe.h"
#include "testutil.h"

#define LINKS "</>;rt=\"oma.lwm2m\",</3/0>,</3303/0>"
#define NOW   1700000000123LL

static bw_lwsrv_sample_t v[BW_LWSRV_OBS_VALUES_MAX];
static uint8_t arena[BW_LWSRV_OBS_PAYLOAD_MAX];
static size_t n;
static const char *why;

static int dec(uint32_t cf, const char *path, const void *p, size_t len)
{
    n = 99;
    why = NULL;
    return bw_lwsrv_obs_decode(cf, p, len, path, LINKS, 0, NOW, v,
                               BW_LWSRV_OBS_VALUES_MAX, &n, arena, sizeof arena,
                               &why);
}

#define DEC(cf, path, s) dec((cf), (path), (s), strlen(s))

/*
 * Tried: text/plain "21.75" and "-3" at a resource, "Bulwark" (not a
 * number) at another, octet-stream bytes at a resource.
 * Must hold: a NUMBER 21.75 / -3 at the path, at the receive time; a
 * STRING with its bytes; an OPAQUE with its three bytes.
 */
static void test_text_and_opaque(void **state)
{
    (void)state;
    bw_assert_err(DEC(BW_COAP_FMT_TEXT, "/3303/0/5700", "21.75"), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].path, "/3303/0/5700");
    assert_int_equal(v[0].kind, BW_LWSRV_VAL_NUMBER);
    assert_true(v[0].num == 21.75);
    assert_int_equal(v[0].t_ms, NOW);
    bw_assert_err(DEC(BW_COAP_FMT_TEXT, "/3303/0/5700", "-3"), 0);
    assert_true(v[0].num == -3.0);
    bw_assert_err(DEC(BW_COAP_FMT_TEXT, "/3/0/0", "Bulwark"), 0);
    assert_int_equal(v[0].kind, BW_LWSRV_VAL_STRING);
    assert_int_equal(v[0].len, 7);
    assert_memory_equal(v[0].bytes, "Bulwark", 7);
    static const uint8_t raw[3] = {0, 1, 0xff};
    bw_assert_err(dec(BW_COAP_FMT_OPAQUE, "/3/0/0", raw, sizeof raw), 0);
    assert_int_equal(v[0].kind, BW_LWSRV_VAL_OPAQUE);
    assert_int_equal(v[0].len, 3);
    assert_memory_equal(v[0].bytes, raw, 3);
}

/*
 * Tried: SenML JSON with a device time (bt) at the observed resource, and
 * two records under an observed instance.
 * Must hold: the device's time in ms; both records, in order, with their
 * kinds.
 */
static void test_senml(void **state)
{
    (void)state;
    bw_assert_err(DEC(BW_COAP_FMT_SENML_JSON, "/3303/0/5700",
                      "[{\"bn\":\"/3303/0/5700\",\"bt\":1600000000,"
                      "\"v\":22.5}]"),
                  0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].t_ms, 1600000000000LL);
    assert_true(v[0].num == 22.5);
    bw_assert_err(DEC(BW_COAP_FMT_SENML_JSON, "/3303/0",
                      "[{\"bn\":\"/3303/0/\",\"n\":\"5700\",\"v\":21},"
                      "{\"n\":\"5701\",\"vs\":\"Cel\"}]"),
                  0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].path, "/3303/0/5700");
    assert_string_equal(v[1].path, "/3303/0/5701");
    assert_int_equal(v[1].kind, BW_LWSRV_VAL_STRING);
    assert_int_equal(v[0].t_ms, NOW);
}

/*
 * Tried: a TLV resource (4-byte value) at /3303/0/5700 and the same
 * wrapped in object instance 0 for an observation of /3303/0.
 * Must hold: one OPAQUE value of the 4 bytes at /3303/0/5700 each time.
 */
static void test_tlv(void **state)
{
    (void)state;
    static const uint8_t res[] = {0xe4, 0x16, 0x44, 0x41, 0xac, 0x00, 0x00};
    static const uint8_t inst[] = {0x08, 0x00, 0x07, 0xe4, 0x16,
                                   0x44, 0x41, 0xac, 0x00, 0x00};
    bw_assert_err(dec(BW_COAP_FMT_LWM2M_TLV, "/3303/0/5700", res, sizeof res),
                  0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].kind, BW_LWSRV_VAL_OPAQUE);
    assert_int_equal(v[0].len, 4);
    assert_memory_equal(v[0].bytes, res + 3, 4);
    bw_assert_err(dec(BW_COAP_FMT_LWM2M_TLV, "/3303/0", inst, sizeof inst), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].path, "/3303/0/5700");
}

/*
 * Tried: every refusal: another content format, text at an object path,
 * a value outside the observed path (SenML and TLV), text that is not
 * UTF-8, empty text, broken SenML, a truncated TLV, a payload above the
 * limit, an observed path that is not one, NULL output.
 * Must hold: the exact code of each, *n 0 and a reason.
 */
static void test_refused(void **state)
{
    (void)state;
    bw_assert_err(DEC(BW_COAP_FMT_LWM2M_JSON, "/3303/0/5700", "{}"),
                  BW_EFORMAT);
    assert_int_equal(n, 0);
    assert_non_null(why);
    bw_assert_err(DEC(BW_COAP_FMT_TEXT, "/3303/0", "1"), BW_EPATH);
    bw_assert_err(DEC(BW_COAP_FMT_OPAQUE, "/3303", "1"), BW_EPATH);
    bw_assert_err(DEC(BW_COAP_FMT_SENML_JSON, "/3303/0/5700",
                      "[{\"n\":\"/3/0/0\","
                      "\"vs\":\"x\"}]"),
                  BW_EPATH);
    assert_int_equal(n, 0);
    static const uint8_t other[] = {0xe4, 0x16, 0x45, 0x41, 0xac, 0x00, 0x00};
    bw_assert_err(
        dec(BW_COAP_FMT_LWM2M_TLV, "/3303/0/5700", other, sizeof other),
        BW_EPATH);
    static const uint8_t bad[] = {0xff, 0xfe};
    bw_assert_err(dec(BW_COAP_FMT_TEXT, "/3/0/0", bad, sizeof bad), BW_EUTF8);
    bw_assert_err(DEC(BW_COAP_FMT_TEXT, "/3/0/0", ""), BW_EMALFORMED);
    bw_assert_err(DEC(BW_COAP_FMT_SENML_JSON, "/3303/0/5700", "[{\"n\":"),
                  BW_ETRUNC);
    assert_int_equal(n, 0);
    static const uint8_t cut[] = {0xe4, 0x16, 0x44, 0x41};
    bw_assert_err(dec(BW_COAP_FMT_LWM2M_TLV, "/3303/0/5700", cut, sizeof cut),
                  BW_ETRUNC);
    static uint8_t big[BW_LWSRV_OBS_PAYLOAD_MAX + 1];
    memset(big, '1', sizeof big);
    bw_assert_err(dec(BW_COAP_FMT_TEXT, "/3/0/0", big, sizeof big),
                  BW_EOVERFLOW);
    bw_assert_err(DEC(BW_COAP_FMT_TEXT, "/3/x", "1"), BW_EPATH);
    bw_assert_err(DEC(BW_COAP_FMT_TEXT, "/", "1"), BW_EPATH);
    bw_assert_err(bw_lwsrv_obs_decode(BW_COAP_FMT_TEXT, (const uint8_t *)"1", 1,
                                      "/3/0/0", LINKS, 0, NOW, NULL, 1, &n,
                                      arena, sizeof arena, NULL),
                  BW_EINVAL);
}

static bw_lwsrv_obs_view_t view(const char *ep, const char *path, uint8_t t)
{
    bw_lwsrv_obs_view_t x;
    memset(&x, 0, sizeof x);
    snprintf(x.ep, sizeof x.ep, "%s", ep);
    snprintf(x.path, sizeof x.path, "%s", path);
    memset(x.token, t, sizeof x.token);
    x.accept = -1;
    return x;
}

static int count_cb(void *arg, const bw_lwsrv_obs_view_t *x)
{
    (void)x;
    (*(size_t *)arg)++;
    return 0;
}

/*
 * Tried: two observations of one endpoint, a third on the same path (a
 * new token), notes with a repeated message ID, BW_LWSRV_OBS_PER_EP
 * observations on one endpoint and one more, ending by endpoint, taking
 * by id and by token.
 * Must hold: the same path replaces (the old token is gone, ids grow);
 * a repeated MID counts once and says dup; the limit is BW_ELIMIT and
 * leaves the others; end_ep removes only that endpoint's; take finds by
 * id, by path, by token and then BW_ENOTFOUND.
 */
static void test_registry(void **state)
{
    (void)state;
    bw_lwsrv_obs_t *o = bw_lwsrv_obs_new();
    assert_non_null(o);
    int64_t a, b, c;
    bw_lwsrv_obs_view_t x = view("dev-1", "/3303/0/5700", 1);
    bw_assert_err(bw_lwsrv_obs_add(o, &x, &a), 0);
    x = view("dev-1", "/3/0/9", 2);
    bw_assert_err(bw_lwsrv_obs_add(o, &x, &b), 0);
    x = view("dev-1", "/3303/0/5700", 3);
    bw_assert_err(bw_lwsrv_obs_add(o, &x, &c), 0);
    assert_true(a < b && b < c);
    assert_int_equal(bw_lwsrv_obs_count(o), 2);
    uint8_t t1[8], t3[8];
    memset(t1, 1, 8);
    memset(t3, 3, 8);
    bw_lwsrv_obs_view_t got;
    bw_assert_err(bw_lwsrv_obs_get(o, t1, &got), BW_ENOTFOUND);
    bw_assert_err(bw_lwsrv_obs_get(o, t3, &got), 0);
    assert_int_equal(got.id, c);

    int dup = 7;
    bw_assert_err(bw_lwsrv_obs_note(o, t3, 100, NOW, &dup), 0);
    assert_int_equal(dup, 0);
    bw_assert_err(bw_lwsrv_obs_note(o, t3, 100, NOW, &dup), 0);
    assert_int_equal(dup, 1);
    bw_assert_err(bw_lwsrv_obs_note(o, t3, 101, NOW + 5, &dup), 0);
    bw_assert_err(bw_lwsrv_obs_note(o, t1, 1, NOW, &dup), BW_ENOTFOUND);
    bw_assert_err(bw_lwsrv_obs_get(o, t3, &got), 0);
    assert_int_equal(got.notifications, 2);
    assert_int_equal(got.last_ms, NOW + 5);

    for (unsigned i = 2; i < BW_LWSRV_OBS_PER_EP; i++) {
        char p[32];
        snprintf(p, sizeof p, "/5/0/%u", i);
        x = view("dev-1", p, (uint8_t)(16 + i));
        bw_assert_err(bw_lwsrv_obs_add(o, &x, &a), 0);
    }
    x = view("dev-1", "/6/0/0", 200);
    bw_assert_err(bw_lwsrv_obs_add(o, &x, &a), BW_ELIMIT);
    assert_int_equal(a, 0);
    x = view("dev-2", "/6/0/0", 201);
    bw_assert_err(bw_lwsrv_obs_add(o, &x, &a), 0);
    size_t k = 0;
    bw_assert_err(bw_lwsrv_obs_list(o, "dev-1", count_cb, &k), 0);
    assert_int_equal(k, BW_LWSRV_OBS_PER_EP);

    bw_assert_err(bw_lwsrv_obs_take(o, NULL, "dev-1", b, NULL, &got), 0);
    assert_string_equal(got.path, "/3/0/9");
    bw_assert_err(bw_lwsrv_obs_take(o, NULL, "dev-1", b, NULL, NULL),
                  BW_ENOTFOUND);
    bw_assert_err(bw_lwsrv_obs_take(o, NULL, "dev-1", 0, "/3303/0/5700", &got),
                  0);
    assert_int_equal(got.id, c);
    assert_int_equal(bw_lwsrv_obs_end_ep(o, "dev-1"), BW_LWSRV_OBS_PER_EP - 2);
    assert_int_equal(bw_lwsrv_obs_count(o), 1);
    uint8_t t201[8];
    memset(t201, 201, 8);
    bw_assert_err(bw_lwsrv_obs_take(o, t201, NULL, 0, NULL, &got), 0);
    assert_string_equal(got.ep, "dev-2");
    assert_int_equal(bw_lwsrv_obs_count(o), 0);

    x = view("", "/3", 9);
    bw_assert_err(bw_lwsrv_obs_add(o, &x, &a), BW_EINVAL);
    x = view("dev-3", "3", 9);
    bw_assert_err(bw_lwsrv_obs_add(o, &x, &a), BW_EINVAL);
    bw_lwsrv_obs_free(o);
}

static size_t sink_calls, sink_values;
static double sink_sum;

static int sink_store(void *arg, const char *ep, const bw_lwsrv_sample_t *s,
                      size_t k, int64_t now_ms)
{
    (void)arg;
    assert_string_equal(ep, "dev-9");
    assert_int_equal(now_ms, NOW);
    sink_calls++;
    sink_values += k;
    for (size_t i = 0; i < k; i++) {
        sink_sum += s[i].num;
        if (s[i].kind == BW_LWSRV_VAL_STRING)
            assert_memory_equal(s[i].bytes, "Cel", 3);
    }
    return 0;
}

/*
 * Tried: 50 notifications of two values each (a number and a string whose
 * bytes live in a buffer that is overwritten right after the put), then
 * flush; bad puts.
 * Must hold: the store saw 50 calls, 100 values, the numbers' sum and the
 * string's own bytes (copied at put time); n of 0 or above the limit is
 * BW_EINVAL.
 */
static void test_sink(void **state)
{
    (void)state;
    bw_lwsrv_obs_sink_t *k = bw_lwsrv_obs_sink_new(sink_store, NULL);
    assert_non_null(k);
    bw_lwsrv_sample_t s[2];
    char text[4];
    memset(s, 0, sizeof s);
    s[0].kind = BW_LWSRV_VAL_NUMBER;
    s[1].kind = BW_LWSRV_VAL_STRING;
    for (int i = 0; i < 50; i++) {
        memcpy(text, "Cel", 3);
        s[0].num = i;
        s[1].bytes = (const uint8_t *)text;
        s[1].len = 3;
        bw_assert_err(bw_lwsrv_obs_sink_put(k, "dev-9", s, 2, NOW), 0);
        memset(text, 'X', sizeof text);
    }
    bw_lwsrv_obs_sink_flush(k);
    assert_int_equal(sink_calls, 50);
    assert_int_equal(sink_values, 100);
    assert_true(sink_sum == 50.0 * 49.0 / 2.0);
    bw_assert_err(bw_lwsrv_obs_sink_put(k, "dev-9", s, 0, NOW), BW_EINVAL);
    bw_assert_err(
        bw_lwsrv_obs_sink_put(k, "dev-9", s, BW_LWSRV_OBS_VALUES_MAX + 1, NOW),
        BW_EINVAL);
    bw_lwsrv_obs_sink_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_and_opaque),
        cmocka_unit_test(test_senml),
        cmocka_unit_test(test_tlv),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_sink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
