/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The payload of a Create from the API's body
 * (bw_api_dm_create_payload) and the members a route accepts
 * (bw_api_dm_members), server/api/api_dm.h: records with full names,
 * records relative to an "instance", the location each names, and every
 * refusal with the member named.
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

typedef struct {
    char payload[1024 + 1];
    size_t len;
    char location[64];
    bw_api_dm_fault_t f;
} made_t;

/* Create on path from value and instance given as JSON text (NULL:
 * absent); cap bytes of payload room. */
static int make(const char *path, const char *value, const char *instance,
                size_t cap, made_t *m)
{
    json_t *v = value != NULL ? json_loads(value, JSON_DECODE_ANY, NULL) : NULL;
    json_t *in =
        instance != NULL ? json_loads(instance, JSON_DECODE_ANY, NULL) : NULL;
    if (value != NULL)
        assert_non_null(v);
    if (instance != NULL)
        assert_non_null(in);
    memset(m, 'x', sizeof *m);
    assert_true(cap <= sizeof m->payload - 1);
    int err = bw_api_dm_create_payload(path, v, in, m->payload, cap, &m->len,
                                       m->location, sizeof m->location, &m->f);
    m->payload[m->len] = '\0';
    json_decref(v);
    json_decref(in);
    return err;
}

/*
 * Tried: records with full SenML names (bn + n, or n alone), as the
 * caller wrote them; an empty array.  Must hold: the payload is the
 * array as compact JSON, unchanged; the location is the instance the
 * first name names, "" for [] (the device picks).
 */
static void test_full_names(void **state)
{
    (void)state;
    made_t m;
    bw_assert_err(make("/3303",
                       "[{\"bn\":\"/3303/1/\",\"n\":\"5700\",\"v\":21.5},"
                       "{\"n\":\"5701\",\"vs\":\"Cel\"}]",
                       NULL, 1024, &m),
                  0);
    assert_string_equal(m.payload,
                        "[{\"bn\":\"/3303/1/\",\"n\":\"5700\",\"v\":21.5},"
                        "{\"n\":\"5701\",\"vs\":\"Cel\"}]");
    assert_int_equal(m.len, strlen(m.payload));
    assert_string_equal(m.location, "/3303/1");
    assert_null(m.f.field);

    bw_assert_err(make("/1", "[{\"n\":\"/1/7/0\",\"v\":101}]", NULL, 1024, &m),
                  0);
    assert_string_equal(m.location, "/1/7");
    bw_assert_err(make("/3303", "[]", NULL, 1024, &m), 0);
    assert_string_equal(m.payload, "[]");
    assert_string_equal(m.location, "");
}

/*
 * Tried: names that do not name an instance of the object: another
 * object, a resource-less name, a leading zero, an id above 65534.
 * Must hold: the payload is sent as is (the device judges it) and no
 * location is claimed.
 */
static void test_no_location(void **state)
{
    (void)state;
    static const char *const values[] = {
        "[{\"n\":\"/3304/1/5700\",\"v\":1}]",
        "[{\"n\":\"/33031/1/5700\",\"v\":1}]",
        "[{\"n\":\"/3303\",\"v\":1}]",
        "[{\"n\":\"/3303/01/5700\",\"v\":1}]",
        "[{\"n\":\"/3303/65535/5700\",\"v\":1}]",
        "[{\"n\":\"/3303/1x\",\"v\":1}]",
        "[{\"v\":1}]",
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        made_t m;
        bw_assert_err(make("/3303", values[i], NULL, 1024, &m), 0);
        assert_string_equal(m.payload, values[i]);
        assert_string_equal(m.location, "");
    }
}

/*
 * Tried: "instance" with records named relative to it (n alone, no n).
 * Must hold: the first record opens with "bn":"/O/N/", the others are
 * unchanged, and the location is /O/N.
 */
static void test_instance(void **state)
{
    (void)state;
    made_t m;
    bw_assert_err(make("/3303",
                       "[{\"n\":\"5700\",\"v\":20},{\"n\":\"5701\",\"vs\":"
                       "\"Cel\"}]",
                       "4", 1024, &m),
                  0);
    assert_string_equal(m.payload,
                        "[{\"bn\":\"/3303/4/\",\"n\":\"5700\",\"v\":20},"
                        "{\"n\":\"5701\",\"vs\":\"Cel\"}]");
    assert_string_equal(m.location, "/3303/4");
    bw_assert_err(make("/0", "[{\"n\":\"0\",\"vs\":\"x\"}]", "65534", 1024, &m),
                  0);
    assert_string_equal(m.location, "/0/65534");
}

/*
 * Tried: every refusal: paths that are not one object (instance path,
 * no slash, leading zero, id 65535, trailing slash, empty); no value; a
 * value that is not an array or holds a non-object; an instance that is
 * not an integer, negative, 65535; a record with its own bn beside an
 * instance; an empty value with an instance; a payload one byte too
 * long for the room.  Must hold: the exact code, the member named, a
 * reason, *len 0 and no location.
 */
static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *path, *value, *instance;
        int err;
        const char *field;
    } cases[] = {
        {"/3303/0", "[]", NULL, BW_EPATH, "path"},
        {"3303", "[]", NULL, BW_EPATH, "path"},
        {"/03303", "[]", NULL, BW_EPATH, "path"},
        {"/65535", "[]", NULL, BW_EPATH, "path"},
        {"/3303/", "[]", NULL, BW_EPATH, "path"},
        {"/", "[]", NULL, BW_EPATH, "path"},
        {"/3303", NULL, NULL, BW_ENOTFOUND, "value"},
        {"/3303", "{\"n\":\"1\"}", NULL, BW_ETYPE, "value"},
        {"/3303", "\"[]\"", NULL, BW_ETYPE, "value"},
        {"/3303", "[{\"v\":1},2]", NULL, BW_ETYPE, "value"},
        {"/3303", "[{\"v\":1}]", "\"1\"", BW_ETYPE, "instance"},
        {"/3303", "[{\"v\":1}]", "1.0", BW_ETYPE, "instance"},
        {"/3303", "[{\"v\":1}]", "-1", BW_ERANGE, "instance"},
        {"/3303", "[{\"v\":1}]", "65535", BW_ERANGE, "instance"},
        {"/3303", "[{\"n\":\"1\",\"v\":1},{\"bn\":\"/3303/2/\",\"v\":2}]", "1",
         BW_EDUPKEY, "value"},
        {"/3303", "[]", "1", BW_ENOTFOUND, "value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        made_t m;
        int err =
            make(cases[i].path, cases[i].value, cases[i].instance, 1024, &m);
        if (err != cases[i].err)
            fail_msg("case %zu: %s, want %s", i, bw_err_name(err),
                     bw_err_name(cases[i].err));
        assert_string_equal(m.f.field, cases[i].field);
        assert_non_null(m.f.why);
        assert_int_equal(m.len, 0);
        assert_string_equal(m.location, "");
    }
    /* Room: "[{\"v\":1}]" is 9 bytes. */
    made_t m;
    bw_assert_err(make("/3303", "[{\"v\":1}]", NULL, 9, &m), 0);
    assert_int_equal(m.len, 9);
    bw_assert_err(make("/3303", "[{\"v\":1}]", NULL, 8, &m), BW_ENOSPC);
    assert_string_equal(m.f.field, "value");
    assert_int_equal(m.len, 0);
}

/*
 * Tried: bw_api_dm_members with a body of allowed members only, with one
 * more, with none; misuse (not an object, NULL list, NULL fault).  Must
 * hold: 0, BW_EUNSUPPORTED naming the other member, 0, BW_EINVAL.
 */
static void test_members(void **state)
{
    (void)state;
    static const char *const allowed[] = {"path", "value", NULL};
    bw_api_dm_fault_t f;
    json_t *ok = json_pack("{s:s, s:i}", "path", "/3", "value", 1);
    json_t *extra = json_pack("{s:s, s:i}", "path", "/3", "instnace", 1);
    json_t *empty = json_object();
    bw_assert_err(bw_api_dm_members(ok, allowed, &f), 0);
    assert_null(f.field);
    bw_assert_err(bw_api_dm_members(extra, allowed, &f), BW_EUNSUPPORTED);
    assert_string_equal(f.field, "instnace");
    assert_non_null(f.why);
    bw_assert_err(bw_api_dm_members(empty, allowed, &f), 0);
    json_t *arr = json_array();
    bw_assert_err(bw_api_dm_members(arr, allowed, &f), BW_EINVAL);
    bw_assert_err(bw_api_dm_members(ok, NULL, &f), BW_EINVAL);
    bw_assert_err(bw_api_dm_members(ok, allowed, NULL), BW_EINVAL);
    json_decref(ok);
    json_decref(extra);
    json_decref(empty);
    json_decref(arr);
}

/*
 * Tried: misuse of bw_api_dm_create_payload: each required pointer NULL,
 * location room 0.  Must hold: BW_EINVAL.
 */
static void test_misuse(void **state)
{
    (void)state;
    json_t *v = json_array();
    char out[16], loc[16];
    size_t len;
    bw_api_dm_fault_t f;
    bw_assert_err(bw_api_dm_create_payload(NULL, v, NULL, out, sizeof out, &len,
                                           loc, sizeof loc, &f),
                  BW_EINVAL);
    bw_assert_err(bw_api_dm_create_payload("/1", v, NULL, NULL, sizeof out,
                                           &len, loc, sizeof loc, &f),
                  BW_EINVAL);
    bw_assert_err(bw_api_dm_create_payload("/1", v, NULL, out, sizeof out, NULL,
                                           loc, sizeof loc, &f),
                  BW_EINVAL);
    bw_assert_err(bw_api_dm_create_payload("/1", v, NULL, out, sizeof out, &len,
                                           NULL, sizeof loc, &f),
                  BW_EINVAL);
    bw_assert_err(bw_api_dm_create_payload("/1", v, NULL, out, sizeof out, &len,
                                           loc, 0, &f),
                  BW_EINVAL);
    bw_assert_err(bw_api_dm_create_payload("/1", v, NULL, out, sizeof out, &len,
                                           loc, sizeof loc, NULL),
                  BW_EINVAL);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_names), cmocka_unit_test(test_no_location),
        cmocka_unit_test(test_instance),   cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_members),    cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
