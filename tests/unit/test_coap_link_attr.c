/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed link-format attribute readers (uint, decimal, version) and the
 * LwM2M 1.1 attribute set: accepted spellings give the exact value,
 * everything else its exact error, and the output is zeroed on failure.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_link.h"

/* An attribute view of a token, or of a quoted value when quoted. */
static bw_coap_link_attr_t attr_of(const char *value, int quoted)
{
    bw_coap_link_attr_t a;
    memset(&a, 0, sizeof a);
    a.name = "x";
    a.name_len = 1;
    a.value = value;
    a.value_len = strlen(value);
    a.kind = quoted ? BW_COAP_LINK_QUOTED : BW_COAP_LINK_TOKEN;
    a.escaped = quoted && strchr(value, '\\') != NULL;
    return a;
}

/* Integers: digits only, leading zeros fine, the limit is inclusive. */
static void test_uint(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int quoted;
        uint32_t max;
        int err;
        uint32_t want;
    } cases[] = {
        {"0", 0, UINT32_MAX, 0, 0},
        {"010", 0, UINT32_MAX, 0, 10},
        {"4294967295", 0, UINT32_MAX, 0, 4294967295u},
        {"00000000004294967295", 0, UINT32_MAX, 0, 4294967295u},
        {"4294967296", 0, UINT32_MAX, BW_ERANGE, 0},
        {"99999999999999999999999", 0, UINT32_MAX, BW_ERANGE, 0},
        {"255", 0, 255, 0, 255},
        {"256", 0, 255, BW_ERANGE, 0},
        {"40", 1, UINT32_MAX, 0, 40},
        {"", 1, UINT32_MAX, BW_EMALFORMED, 0},
        {"4\\0", 1, UINT32_MAX, BW_EMALFORMED, 0},
        {"0 40", 1, UINT32_MAX, BW_EMALFORMED, 0},
        {"-1", 0, UINT32_MAX, BW_EMALFORMED, 0},
        {"+1", 0, UINT32_MAX, BW_EMALFORMED, 0},
        {"1a", 0, UINT32_MAX, BW_EMALFORMED, 0},
        {"0x10", 0, UINT32_MAX, BW_EMALFORMED, 0},
        {"1.0", 0, UINT32_MAX, BW_EMALFORMED, 0},
        /* malformed wins over out of range */
        {"99999999999x", 0, UINT32_MAX, BW_EMALFORMED, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_coap_link_attr_t a = attr_of(cases[i].in, cases[i].quoted);
        uint32_t v = 12345;
        int err = bw_coap_link_attr_uint(&a, cases[i].max, &v);
        if (err != cases[i].err)
            fail_msg("\"%s\": got %s", cases[i].in, bw_err_name(err));
        assert_int_equal(v, cases[i].want);
    }
    bw_coap_link_attr_t bare = {.name = "obs", .name_len = 3};
    uint32_t v = 1;
    bw_assert_err(bw_coap_link_attr_uint(&bare, 10, &v), BW_ETYPE);
    assert_int_equal(v, 0);
    bw_assert_err(bw_coap_link_attr_uint(NULL, 10, &v), BW_EINVAL);
}

/* Decimals: the exact double the same literal gives, for the LwM2M
 * spellings; anything with a sign in the wrong place, an exponent, a lone
 * point or too many digits is refused. */
static void test_decimal(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int err;
        double want;
    } cases[] = {
        {"42.2", 0, 42.2},
        {"50", 0, 50.0},
        {"-1.5", 0, -1.5},
        {"0.5", 0, 0.5},
        {"-0.001", 0, -0.001},
        {"0", 0, 0.0},
        {"123456789012345678", 0, 123456789012345678.0},
        {"0.1234567890123456", 0, 0.1234567890123456},
        {"000000000000000000000001.25", 0, 1.25},
        {"1234567890123456789", BW_ERANGE, 0},
        {"0.0000000000000000001", BW_ERANGE, 0},
        {"", BW_EMALFORMED, 0},
        {"-", BW_EMALFORMED, 0},
        {"1.", BW_EMALFORMED, 0},
        {".5", BW_EMALFORMED, 0},
        {"-.5", BW_EMALFORMED, 0},
        {"+1", BW_EMALFORMED, 0},
        {"--1", BW_EMALFORMED, 0},
        {"1e3", BW_EMALFORMED, 0},
        {"1.2.3", BW_EMALFORMED, 0},
        {"1,5", BW_EMALFORMED, 0},
        {"nan", BW_EMALFORMED, 0},
        {"inf", BW_EMALFORMED, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_coap_link_attr_t a = attr_of(cases[i].in, 0);
        double v = 99.0;
        int err = bw_coap_link_attr_decimal(&a, &v);
        if (err != cases[i].err)
            fail_msg("\"%s\": got %s", cases[i].in, bw_err_name(err));
        if (v != cases[i].want)
            fail_msg("\"%s\": got %.17g want %.17g", cases[i].in, v,
                     cases[i].want);
    }
}

/* Versions: "major.minor" with each part 0..255. */
static void test_version(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int err;
        uint8_t maj, min;
    } cases[] = {
        {"1.1", 0, 1, 1},
        {"1.0", 0, 1, 0},
        {"255.255", 0, 255, 255},
        {"01.02", 0, 1, 2},
        {"256.0", BW_ERANGE, 0, 0},
        {"1.256", BW_ERANGE, 0, 0},
        {"1", BW_EMALFORMED, 0, 0},
        {"1.", BW_EMALFORMED, 0, 0},
        {".1", BW_EMALFORMED, 0, 0},
        {"1.1.1", BW_EMALFORMED, 0, 0},
        {"v1.1", BW_EMALFORMED, 0, 0},
        {"1.-1", BW_EMALFORMED, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_coap_link_attr_t a = attr_of(cases[i].in, 0);
        uint8_t maj = 9, min = 9;
        int err = bw_coap_link_attr_version(&a, &maj, &min);
        if (err != cases[i].err)
            fail_msg("\"%s\": got %s", cases[i].in, bw_err_name(err));
        assert_int_equal(maj, cases[i].maj);
        assert_int_equal(min, cases[i].min);
    }
}

/* Parse a one-link payload and read its LwM2M attributes. */
typedef struct {
    bw_coap_link_lwm2m_t attrs;
    int err;
} lwm2m_result_t;

static int lwm2m_cb(void *arg, const bw_coap_link_t *link)
{
    lwm2m_result_t *r = arg;
    r->err = bw_coap_link_lwm2m(link, &r->attrs);
    return 0;
}

static int read_lwm2m(const char *payload, bw_coap_link_lwm2m_t *out)
{
    lwm2m_result_t r;
    memset(&r, 0, sizeof r);
    assert_int_equal(bw_coap_link_parse(payload, strlen(payload), lwm2m_cb, &r),
                     0);
    *out = r.attrs;
    return r.err;
}

/* A Discover answer with every notification attribute (LwM2M 1.1 Core
 * section 5.1.2), names in any case, and an unknown one ignored. */
static void test_lwm2m_notification_attrs(void **state)
{
    (void)state;
    bw_coap_link_lwm2m_t a;

    assert_int_equal(read_lwm2m("</3/0/7>;dim=8;PMIN=10;pmax=60;gt=50;"
                                "lt=42.2;st=0.5;epmin=1;epmax=3600;foo=bar",
                                &a),
                     0);
    assert_int_equal(a.has, BW_COAP_LINK_HAS_DIM | BW_COAP_LINK_HAS_PMIN |
                                BW_COAP_LINK_HAS_PMAX | BW_COAP_LINK_HAS_GT |
                                BW_COAP_LINK_HAS_LT | BW_COAP_LINK_HAS_ST |
                                BW_COAP_LINK_HAS_EPMIN |
                                BW_COAP_LINK_HAS_EPMAX);
    assert_int_equal(a.dim, 8);
    assert_int_equal(a.pmin, 10);
    assert_int_equal(a.pmax, 60);
    assert_true(a.gt == 50.0);
    assert_true(a.lt == 42.2);
    assert_true(a.st == 0.5);
    assert_int_equal(a.epmin, 1);
    assert_int_equal(a.epmax, 3600);
}

/* Register, Bootstrap-Discover and observe attributes. */
static void test_lwm2m_other_attrs(void **state)
{
    (void)state;
    bw_coap_link_lwm2m_t a;

    assert_int_equal(read_lwm2m("</>;rt=\"oma.lwm2m\";ct=11543", &a), 0);
    assert_int_equal(a.has, BW_COAP_LINK_HAS_RT | BW_COAP_LINK_HAS_CT);
    assert_int_equal(a.ct, 11543);
    assert_int_equal(a.rt.value_len, 9);
    assert_memory_equal(a.rt.value, "oma.lwm2m", 9);

    assert_int_equal(
        read_lwm2m("</0/0>;ssid=101;uri=\"coaps://s.example.com\"", &a), 0);
    assert_int_equal(a.has, BW_COAP_LINK_HAS_SSID | BW_COAP_LINK_HAS_URI);
    assert_int_equal(a.ssid, 101);
    assert_int_equal(a.uri.value_len, 21);

    assert_int_equal(read_lwm2m("</>;lwm2m=1.1", &a), 0);
    assert_int_equal(a.has, BW_COAP_LINK_HAS_LWM2M);
    assert_int_equal(a.lwm2m[0], 1);
    assert_int_equal(a.lwm2m[1], 1);
    assert_int_equal(read_lwm2m("</3>;ver=2.0;obs", &a), 0);
    assert_int_equal(a.has, BW_COAP_LINK_HAS_VER | BW_COAP_LINK_HAS_OBS);
    assert_int_equal(a.ver[0], 2);
    assert_int_equal(a.ver[1], 0);
    assert_int_equal(read_lwm2m("</3>", &a), 0);
    assert_int_equal(a.has, 0);
    /* Ranges at their edges. */
    assert_int_equal(read_lwm2m("</>;ssid=1;dim=255;ct=65535", &a), 0);
    assert_int_equal(read_lwm2m("</>;ssid=65534;st=0", &a), 0);
    assert_int_equal(a.ssid, 65534);
}

/* Each way a known attribute can be wrong, and the record zeroed. */
static void test_lwm2m_errors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int err;
    } cases[] = {
        {"</>;ssid=0", BW_ERANGE},
        {"</>;ssid=65535", BW_ERANGE},
        {"</>;dim=256", BW_ERANGE},
        {"</>;ct=65536", BW_ERANGE},
        {"</>;st=-1", BW_ERANGE},
        {"</>;pmin=4294967296", BW_ERANGE},
        {"</>;ver=1.256", BW_ERANGE},
        {"</>;pmin=10;pmin=20", BW_EDUPKEY},
        {"</>;pmin=10;PMIN=10", BW_EDUPKEY},
        {"</>;obs;obs", BW_EDUPKEY},
        {"</>;obs=1", BW_ETYPE},
        {"</>;rt", BW_ETYPE},
        {"</>;pmin", BW_ETYPE},
        {"</>;gt", BW_ETYPE},
        {"</>;ver", BW_ETYPE},
        {"</>;pmin=-1", BW_EMALFORMED},
        {"</>;pmin=\"1\\0\"", BW_EMALFORMED},
        {"</>;gt=1e3", BW_EMALFORMED},
        {"</>;ver=1", BW_EMALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_coap_link_lwm2m_t a;
        int err = read_lwm2m(cases[i].in, &a);
        if (err != cases[i].err)
            fail_msg("\"%s\": got %s, want %s", cases[i].in, bw_err_name(err),
                     bw_err_name(cases[i].err));
        assert_int_equal(a.has, 0);
        assert_int_equal(a.pmin, 0);
    }
    bw_coap_link_lwm2m_t a;
    bw_assert_err(bw_coap_link_lwm2m(NULL, &a), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_lwm2m_notification_attrs),
        cmocka_unit_test(test_lwm2m_other_attrs),
        cmocka_unit_test(test_lwm2m_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
