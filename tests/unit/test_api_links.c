/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Discover answer into the API's JSON (bw_api_dm_links_json,
 * server/api/api_dm.h): answers as bulwark-device writes them
 * (lib/lwm2m/lwm2m_dm_discover.c), attributes of every kind, values that
 * do not read as their type, and malformed or oversized link lists.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_dm.h"
#include "bulwark/error.h"
#include "testutil.h"

static int links_of(const char *text, json_t **out)
{
    *out = (json_t *)1; /* must be reset */
    return bw_api_dm_links_json(text, strlen(text), out);
}

/* The compact JSON of v, for comparing whole answers. */
static char *dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(s);
    return s;
}

/*
 * Tried: a Discover of /3 as the device answers it: object with ver,
 * instance with pmax, resources bare and with dim.  Must hold: one entry
 * per link in order, each with its path and its attributes typed (ver a
 * string, pmax and dim integers), links without attributes with {}.
 */
static void test_discover_object(void **state)
{
    (void)state;
    json_t *a;
    bw_assert_err(
        links_of("</3>;ver=1.1,</3/0>;pmax=60,</3/0/0>,</3/0/6>;dim=2", &a), 0);
    char *s = dump(a);
    assert_string_equal(s,
                        "[{\"attributes\":{\"ver\":\"1.1\"},\"path\":\"/3\"},"
                        "{\"attributes\":{\"pmax\":60},\"path\":\"/3/0\"},"
                        "{\"attributes\":{},\"path\":\"/3/0/0\"},"
                        "{\"attributes\":{\"dim\":2},\"path\":\"/3/0/6\"}]");
    free(s);
    json_decref(a);
}

/*
 * Tried: every LwM2M notification attribute on one resource (pmin, pmax,
 * gt, lt, st, epmin, epmax), a negative decimal, ct, ssid, a bare obs, a
 * quoted rt with an escaped quote, an attribute no one defines.  Must
 * hold: integers for the second counts, numbers for gt/lt/st with their
 * exact values, true for obs, strings (escapes resolved) for the rest.
 */
static void test_all_attribute_kinds(void **state)
{
    (void)state;
    json_t *a;
    bw_assert_err(links_of("</3303/0/5700>;pmin=10;pmax=60;gt=30.5;lt=-10;"
                           "st=0.25;epmin=1;epmax=120;ct=110;ssid=101;obs;"
                           "rt=\"a\\\"b\";x-vendor=abc",
                           &a),
                  0);
    assert_int_equal(json_array_size(a), 1);
    const json_t *at = json_object_get(json_array_get(a, 0), "attributes");
    assert_int_equal(json_integer_value(json_object_get(at, "pmin")), 10);
    assert_int_equal(json_integer_value(json_object_get(at, "pmax")), 60);
    assert_int_equal(json_integer_value(json_object_get(at, "epmin")), 1);
    assert_int_equal(json_integer_value(json_object_get(at, "epmax")), 120);
    assert_int_equal(json_integer_value(json_object_get(at, "ct")), 110);
    assert_int_equal(json_integer_value(json_object_get(at, "ssid")), 101);
    assert_true(json_is_real(json_object_get(at, "gt")));
    assert_true(json_real_value(json_object_get(at, "gt")) == 30.5);
    assert_true(json_real_value(json_object_get(at, "lt")) == -10.0);
    assert_true(json_real_value(json_object_get(at, "st")) == 0.25);
    assert_true(json_is_true(json_object_get(at, "obs")));
    assert_string_equal(json_string_value(json_object_get(at, "rt")), "a\"b");
    assert_string_equal(json_string_value(json_object_get(at, "x-vendor")),
                        "abc");
    assert_int_equal(json_object_size(at), 12);
    json_decref(a);
}

/*
 * Tried: attribute names in another case (RFC 5988 names compare without
 * case), values of known names that do not read as their type (dim=two,
 * pmin=-1, gt=1e5, a 20-digit gt), a name given twice.  Must hold: typed
 * when the name matches without case; kept as the string sent, not
 * refused, when the value is not of the type; the first of two values.
 */
static void test_tolerant_values(void **state)
{
    (void)state;
    json_t *a;
    bw_assert_err(links_of("</1/0/1>;PMIN=5;dim=two;pmax=-1;gt=1e5;"
                           "lt=12345678901234567890;st=2;st=3",
                           &a),
                  0);
    const json_t *at = json_object_get(json_array_get(a, 0), "attributes");
    assert_int_equal(json_integer_value(json_object_get(at, "PMIN")), 5);
    assert_string_equal(json_string_value(json_object_get(at, "dim")), "two");
    assert_string_equal(json_string_value(json_object_get(at, "pmax")), "-1");
    assert_string_equal(json_string_value(json_object_get(at, "gt")), "1e5");
    assert_string_equal(json_string_value(json_object_get(at, "lt")),
                        "12345678901234567890");
    assert_true(json_real_value(json_object_get(at, "st")) == 2.0);
    json_decref(a);
}

/*
 * Tried: an empty answer, a root link with a quoted rt and a comma inside
 * the quotes, an empty target.  Must hold: [] for nothing; the comma in
 * quotes does not split the link; an empty path is kept as "".
 */
static void test_edges(void **state)
{
    (void)state;
    json_t *a;
    bw_assert_err(links_of("", &a), 0);
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
    bw_assert_err(links_of("</>;rt=\"oma.lwm2m,x\";ct=110,<>", &a), 0);
    assert_int_equal(json_array_size(a), 2);
    const json_t *l0 = json_array_get(a, 0);
    assert_string_equal(json_string_value(json_object_get(l0, "path")), "/");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(l0, "attributes"), "rt")),
                        "oma.lwm2m,x");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(a, 1), "path")), "");
    json_decref(a);
}

/*
 * Tried: malformed answers: cut inside a target, inside a quoted value
 * and after ";"; no "<"; a space; a bad escape in the target; a quoted
 * value that is not UTF-8; a NUL byte inside.  Must hold: the parser's
 * exact code (BW_ETRUNC, BW_EMALFORMED, BW_EUTF8) and *out NULL.
 */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        int err;
    } cases[] = {
        {"</3/0", 0, BW_ETRUNC},
        {"</3/0>;rt=\"abc", 0, BW_ETRUNC},
        {"</3/0>;", 0, BW_ETRUNC},
        {"/3/0", 0, BW_EMALFORMED},
        {"</3/0>, </3/1>", 0, BW_EMALFORMED},
        {"</3/%zz>", 0, BW_EMALFORMED},
        {"</3>;rt=\"\xc3\x28\"", 0, BW_EUTF8},
        {"</3>\0,</4>", 10, BW_EMALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *a = (json_t *)1;
        size_t n = cases[i].len != 0 ? cases[i].len : strlen(cases[i].text);
        bw_assert_err(bw_api_dm_links_json(cases[i].text, n, &a), cases[i].err);
        assert_null(a);
    }
}

/*
 * Tried: exactly BW_API_DM_LINKS_MAX links, one more; a link with
 * BW_API_DM_LINK_ATTRS_MAX attributes and one with one more.  Must hold:
 * the limit itself passes, one past it is BW_EOVERFLOW with *out NULL.
 */
static void test_limits(void **state)
{
    (void)state;
    size_t cap = (BW_API_DM_LINKS_MAX + 1) * 4 + 1;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = 0;
    for (unsigned i = 0; i < BW_API_DM_LINKS_MAX; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s<>", i ? "," : "");
    json_t *a;
    bw_assert_err(bw_api_dm_links_json(buf, n, &a), 0);
    assert_int_equal(json_array_size(a), BW_API_DM_LINKS_MAX);
    json_decref(a);
    n += (size_t)snprintf(buf + n, cap - n, ",<>");
    a = (json_t *)1;
    bw_assert_err(bw_api_dm_links_json(buf, n, &a), BW_EOVERFLOW);
    assert_null(a);

    n = (size_t)snprintf(buf, cap, "</1>");
    for (unsigned i = 0; i < BW_API_DM_LINK_ATTRS_MAX; i++)
        n += (size_t)snprintf(buf + n, cap - n, ";a%u", i);
    bw_assert_err(bw_api_dm_links_json(buf, n, &a), 0);
    assert_int_equal(
        json_object_size(json_object_get(json_array_get(a, 0), "attributes")),
        BW_API_DM_LINK_ATTRS_MAX);
    json_decref(a);
    n += (size_t)snprintf(buf + n, cap - n, ";z");
    bw_assert_err(bw_api_dm_links_json(buf, n, &a), BW_EOVERFLOW);
    assert_null(a);
    free(buf);
}

/*
 * Tried: misuse: no out pointer; a NULL buffer with a length; a NULL
 * buffer of length 0.  Must hold: BW_EINVAL twice; the last is the empty
 * list.
 */
static void test_misuse(void **state)
{
    (void)state;
    json_t *a = (json_t *)1;
    bw_assert_err(bw_api_dm_links_json("<>", 2, NULL), BW_EINVAL);
    bw_assert_err(bw_api_dm_links_json(NULL, 1, &a), BW_EINVAL);
    assert_null(a);
    bw_assert_err(bw_api_dm_links_json(NULL, 0, &a), 0);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discover_object),
        cmocka_unit_test(test_all_attribute_kinds),
        cmocka_unit_test(test_tolerant_values),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
