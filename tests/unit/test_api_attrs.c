/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Uri-Query of a Write-Attributes from the API's body
 * (bw_api_dm_attrs_query) and the plain decimals it writes
 * (bw_api_dm_decimal), server/api/api_dm.h: every attribute, removal
 * with null, and every way a body can be refused, with the member named.
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

/* The query of a body given as JSON text. */
static int query_of(const char *json, char *q, size_t cap, bw_api_dm_fault_t *f)
{
    json_error_t je;
    json_t *body = json_loads(json, 0, &je);
    assert_non_null(body);
    memset(q, 'x', cap);
    int err = bw_api_dm_attrs_query(body, q, cap, f);
    /* The fault names a member of body, which is freed below: compare
     * through a copy. */
    static char field[32];
    if (f->field != NULL) {
        snprintf(field, sizeof field, "%s", f->field);
        f->field = field;
    }
    json_decref(body);
    return err;
}

/*
 * Tried: each attribute alone and all seven together, given in an order
 * other than the query's; null for removal; integers for gt/lt/st.
 * Must hold: "name=value" joined by "&" in the order pmin, pmax, gt, lt,
 * st, epmin, epmax; a bare name for null; no fault.
 */
static void test_queries(void **state)
{
    (void)state;
    static const struct {
        const char *body, *query;
    } cases[] = {
        {"{\"path\":\"/3303/0/5700\",\"pmin\":10}", "pmin=10"},
        {"{\"pmax\":60,\"pmin\":0}", "pmin=0&pmax=60"},
        {"{\"gt\":30.5}", "gt=30.5"},
        {"{\"lt\":-10}", "lt=-10"},
        {"{\"st\":0.5}", "st=0.5"},
        {"{\"epmax\":4294967295,\"epmin\":1}", "epmin=1&epmax=4294967295"},
        {"{\"pmin\":null}", "pmin"},
        {"{\"st\":null,\"gt\":null,\"lt\":null}", "gt&lt&st"},
        {"{\"epmax\":2,\"epmin\":1,\"st\":3,\"lt\":4,\"gt\":5,\"pmax\":6,"
         "\"pmin\":7}",
         "pmin=7&pmax=6&gt=5&lt=4&st=3&epmin=1&epmax=2"},
        {"{\"gt\":0.1,\"lt\":-0.001,\"st\":100}", "gt=0.1&lt=-0.001&st=100"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char q[BW_API_DM_QUERY_MAX];
        bw_api_dm_fault_t f;
        bw_assert_err(query_of(cases[i].body, q, sizeof q, &f), 0);
        assert_string_equal(q, cases[i].query);
        assert_null(f.field);
        assert_null(f.why);
    }
}

/*
 * Tried: every refusal: an unknown member (a misspelt one, one in
 * another case), each kind of attribute with the wrong JSON type (string,
 * boolean, array, a fraction for seconds), negative and too large
 * seconds, a negative st, numbers needing an exponent or more than 18
 * digits, an empty body and one with only the path.  Must hold: the
 * exact code, the member named (none for "no attribute"), a reason, and
 * an empty query.
 */
static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int err;
        const char *field; /* NULL: none */
    } cases[] = {
        {"{\"pmn\":10}", BW_EUNSUPPORTED, "pmn"},
        {"{\"pmin\":1,\"PMAX\":10}", BW_EUNSUPPORTED, "PMAX"},
        {"{\"path\":\"/3\",\"value\":1}", BW_EUNSUPPORTED, "value"},
        {"{\"pmin\":\"10\"}", BW_ETYPE, "pmin"},
        {"{\"pmax\":true}", BW_ETYPE, "pmax"},
        {"{\"epmin\":[1]}", BW_ETYPE, "epmin"},
        {"{\"epmax\":1.5}", BW_ETYPE, "epmax"},
        {"{\"pmin\":10.0}", BW_ETYPE, "pmin"},
        {"{\"gt\":\"30\"}", BW_ETYPE, "gt"},
        {"{\"lt\":{}}", BW_ETYPE, "lt"},
        {"{\"st\":false}", BW_ETYPE, "st"},
        {"{\"pmin\":-1}", BW_ERANGE, "pmin"},
        {"{\"pmax\":4294967296}", BW_ERANGE, "pmax"},
        {"{\"epmin\":-5}", BW_ERANGE, "epmin"},
        {"{\"st\":-0.5}", BW_ERANGE, "st"},
        {"{\"st\":-1}", BW_ERANGE, "st"},
        {"{\"gt\":1e18}", BW_ERANGE, "gt"},
        {"{\"lt\":1e-30}", BW_ERANGE, "lt"},
        {"{\"gt\":1234567890123456789}", BW_ERANGE, "gt"},
        {"{\"gt\":0.000012345678901234567}", BW_ERANGE, "gt"},
        {"{}", BW_ENOTFOUND, NULL},
        {"{\"path\":\"/3/0\"}", BW_ENOTFOUND, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char q[BW_API_DM_QUERY_MAX];
        bw_api_dm_fault_t f;
        int err = query_of(cases[i].body, q, sizeof q, &f);
        if (err != cases[i].err)
            fail_msg("case %zu (%s): %s, want %s", i, cases[i].body,
                     bw_err_name(err), bw_err_name(cases[i].err));
        if (cases[i].field == NULL)
            assert_null(f.field);
        else
            assert_string_equal(f.field, cases[i].field);
        assert_non_null(f.why);
        assert_string_equal(q, "");
    }
}

/*
 * Tried: attributes that together pass the 63 bytes of query the request
 * carries; the same attributes with a buffer just large enough and one
 * byte short.  Must hold: BW_ENOSPC naming the attribute that did not
 * fit, an empty query; with room, the whole query.
 */
static void test_query_room(void **state)
{
    (void)state;
    char q[BW_API_DM_QUERY_MAX];
    bw_api_dm_fault_t f;
    bw_assert_err(query_of("{\"pmin\":4294967295,\"pmax\":4294967295,"
                           "\"gt\":-123456789.12345678,\"lt\":-1234567.5,"
                           "\"st\":1}",
                           q, sizeof q, &f),
                  BW_ENOSPC);
    assert_string_equal(f.field, "lt");
    assert_string_equal(q, "");
    /* "pmin=10&pmax=60" is 15 bytes: 16 with the NUL fits, 15 does not. */
    bw_assert_err(query_of("{\"pmin\":10,\"pmax\":60}", q, 16, &f), 0);
    assert_string_equal(q, "pmin=10&pmax=60");
    bw_assert_err(query_of("{\"pmin\":10,\"pmax\":60}", q, 15, &f), BW_ENOSPC);
    assert_string_equal(f.field, "pmax");
    assert_string_equal(q, "");
}

/*
 * Tried: misuse: a body that is not an object, no query buffer, cap 0,
 * no fault.  Must hold: BW_EINVAL each time.
 */
static void test_misuse(void **state)
{
    (void)state;
    char q[8];
    bw_api_dm_fault_t f;
    json_t *arr = json_array();
    json_t *obj = json_pack("{s:i}", "pmin", 1);
    bw_assert_err(bw_api_dm_attrs_query(arr, q, sizeof q, &f), BW_EINVAL);
    bw_assert_err(bw_api_dm_attrs_query(NULL, q, sizeof q, &f), BW_EINVAL);
    bw_assert_err(bw_api_dm_attrs_query(obj, NULL, sizeof q, &f), BW_EINVAL);
    bw_assert_err(bw_api_dm_attrs_query(obj, q, 0, &f), BW_EINVAL);
    bw_assert_err(bw_api_dm_attrs_query(obj, q, sizeof q, NULL), BW_EINVAL);
    json_decref(arr);
    json_decref(obj);
}

/*
 * Tried: numbers as JSON gives them (binary doubles): short ones, ones
 * whose shortest form needs 17 decimals, negative zero, the largest and
 * smallest that fit in 18 digits, and ones that do not (1e18, 1e-18,
 * infinity, NaN).  Must hold: the shortest plain text that reads back
 * as the same double, no exponent, at most 18 digits; BW_ERANGE and ""
 * otherwise; BW_ENOSPC when the caller's buffer is short.
 */
static void test_decimal(void **state)
{
    (void)state;
    static const struct {
        double x;
        const char *text;
    } ok[] = {
        {0.0, "0"},
        {30.5, "30.5"},
        {-10.25, "-10.25"},
        {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1e-7, "0.0000001"},
        {123456789012345678.0, "123456789012345680"},
        {-0.0, "-0"},
    };
    char s[64];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        bw_assert_err(bw_api_dm_decimal(ok[i].x, s, sizeof s), 0);
        assert_string_equal(s, ok[i].text);
        assert_true(strtod(s, NULL) == ok[i].x);
    }
    static const double bad[] = {1e18, -1e18, 1e-18, 1.0 / 3.0 * 1e-5};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s[0] = 'x';
        bw_assert_err(bw_api_dm_decimal(bad[i], s, sizeof s), BW_ERANGE);
        assert_string_equal(s, "");
    }
    double inf = strtod("inf", NULL), nan = strtod("nan", NULL);
    bw_assert_err(bw_api_dm_decimal(inf, s, sizeof s), BW_ERANGE);
    bw_assert_err(bw_api_dm_decimal(nan, s, sizeof s), BW_ERANGE);
    bw_assert_err(bw_api_dm_decimal(30.5, s, 4), BW_ENOSPC);
    assert_string_equal(s, "");
    bw_assert_err(bw_api_dm_decimal(30.5, s, 5), 0);
    assert_string_equal(s, "30.5");
    bw_assert_err(bw_api_dm_decimal(1.0, NULL, 4), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queries),    cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_query_room), cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_decimal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
