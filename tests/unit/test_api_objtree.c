/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object links into the object tree GET /devices/{ep} shows
 * (bw_api_objtree_json, server/api/api_objtree.h): links as bulwark-device
 * registers them, an alternate path, order and duplicates, versions, and
 * every kind of malformed target.
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

#include "api_objtree.h"
#include "bulwark/error.h"
#include "testutil.h"

/* The compact JSON of the tree of text, or the error's name. */
static char *tree(const char *text)
{
    json_t *out = (json_t *)1; /* must be reset */
    int err = bw_api_objtree_json(text, strlen(text), &out);
    if (err != 0) {
        assert_null(out);
        return strdup(bw_err_name(err));
    }
    char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(s);
    json_decref(out);
    return s;
}

static void expect(const char *text, const char *want)
{
    char *got = tree(text);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n  got  %s\n  want %s", text, got, want);
    free(got);
}

/* Tried: the links bulwark-device registers with (root link with rt and
 * ct, instances of 1 and 3, an object link with ver), and an empty text.
 * Must hold: one entry per object by id, instances listed, the root link
 * not an object, the version as "major.minor"; empty text, empty tree. */
static void test_device_links(void **state)
{
    (void)state;
    expect("</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3>;ver=1.1,</3/0>,</5>",
           "[{\"id\":1,\"instances\":[0]},"
           "{\"id\":3,\"instances\":[0],\"version\":\"1.1\"},"
           "{\"id\":5,\"instances\":[]}]");
    expect("", "[]");
    expect("</3/0>", "[{\"id\":3,\"instances\":[0]}]");
}

/* Tried: links out of order, an instance listed twice, an object link
 * after its instances, two ver= on one object, ver on an instance link,
 * the largest ids.
 * Must hold: objects and instances ascending, each once; the first ver=
 * in the text wins; 65534 is a valid id. */
static void test_order_and_duplicates(void **state)
{
    (void)state;
    expect("</3303/1>,</3/2>,</3303/0>,</3/0>,</3/2>,</3>;ver=1.2,"
           "</3>;ver=1.0",
           "[{\"id\":3,\"instances\":[0,2],\"version\":\"1.2\"},"
           "{\"id\":3303,\"instances\":[0,1]}]");
    expect("</4/0>;ver=2.0,</4>",
           "[{\"id\":4,\"instances\":[0],\"version\":\"2.0\"}]");
    expect("</65534/65534>", "[{\"id\":65534,\"instances\":[65534]}]");
}

/* Tried: an alternate path "/lwm2m" with links under it, and the same
 * links outside it, a second root link, a root link not first.
 * Must hold: the path is stripped; a target outside it, a second root
 * and a late root are BW_EMALFORMED. */
static void test_alternate_path(void **state)
{
    (void)state;
    expect("</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/1/0>,</lwm2m/3/0>",
           "[{\"id\":1,\"instances\":[0]},{\"id\":3,\"instances\":[0]}]");
    expect("</lwm2m>;rt=\"oma.lwm2m\",</1/0>", "BW_EMALFORMED");
    expect("</lwm2m>;rt=\"oma.lwm2m\",</lwm2mx/1/0>", "BW_EMALFORMED");
    expect("</lwm2m>;rt=\"oma.lwm2m\",</lwm2m>", "BW_EMALFORMED");
    expect("</>;rt=\"oma.lwm2m\",</>;rt=\"oma.lwm2m\"", "BW_EMALFORMED");
    expect("</1/0>,</>;rt=\"oma.lwm2m\"", "BW_EMALFORMED");
    expect("</a/b>;rt=\"oma.lwm2m\"", "BW_EMALFORMED");
}

/* Tried: targets that are not /o or /o/i (resource paths, empty
 * segments, leading zeros, 65535, letters, relative, empty), ver= that
 * is not major.minor, text that is not link format, and more links than
 * the limit.
 * Must hold: BW_EMALFORMED for each target and ver; the link parser's
 * own code for the grammar (BW_ETRUNC, BW_EMALFORMED); BW_EOVERFLOW past
 * BW_API_OBJTREE_LINKS_MAX links, and exactly the limit accepted. */
static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "</3/0/1>",     "</3/>",          "<//0>",
        "</03>",        "</3/00>",        "</65535>",
        "</3/x>",       "<3/0>",          "<>",
        "</>",          "</3>;ver",       "</3>;ver=1",
        "</3>;ver=a.b", "</3>;ver=1.256",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(bad[i], "BW_EMALFORMED");
    expect("</3/0", "BW_ETRUNC");
    expect("</3/0>,", "BW_ETRUNC");
    expect("</3/0> ,</1>", "BW_EMALFORMED");

    size_t cap = (BW_API_OBJTREE_LINKS_MAX + 1) * 12 + 1;
    char *big = malloc(cap);
    assert_non_null(big);
    size_t n = 0;
    for (unsigned i = 0; i < BW_API_OBJTREE_LINKS_MAX; i++)
        n += (size_t)snprintf(big + n, cap - n, "%s</%u/0>", i ? "," : "", i);
    json_t *out = NULL;
    bw_assert_err(bw_api_objtree_json(big, n, &out), 0);
    assert_int_equal(json_array_size(out), BW_API_OBJTREE_LINKS_MAX);
    json_decref(out);
    snprintf(big + n, cap - n, ",</9999/0>");
    n += strlen(big + n);
    out = (json_t *)1;
    bw_assert_err(bw_api_objtree_json(big, n, &out), BW_EOVERFLOW);
    assert_null(out);
    free(big);
}

/* Tried: NULL out, NULL text with a length, and a length shorter than the
 * text (the rest must not be read).
 * Must hold: BW_EINVAL for the first two; the tree of the first len
 * bytes only. */
static void test_arguments(void **state)
{
    (void)state;
    bw_assert_err(bw_api_objtree_json("</3/0>", 6, NULL), BW_EINVAL);
    json_t *out = (json_t *)1;
    bw_assert_err(bw_api_objtree_json(NULL, 3, &out), BW_EINVAL);
    assert_null(out);
    bw_assert_err(bw_api_objtree_json("</3/0>,</4/0>", 6, &out), 0);
    assert_int_equal(json_array_size(out), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(out, 0), "id")), 3);
    json_decref(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_links),
        cmocka_unit_test(test_order_and_duplicates),
        cmocka_unit_test(test_alternate_path),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
