/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which Server object instance a rotation executes
 * (bw_api_rotate_server_instance, server/api/api_rotate.h): registration
 * object links as devices send them, link parameters with quoted strings,
 * and malformed link lists.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_rotate.h"
#include "testutil.h"

static int inst_of(const char *links, uint16_t *inst)
{
    *inst = 0xbeef;
    return bw_api_rotate_server_instance(links, strlen(links), inst);
}

/*
 * Tried: link lists as devices register them: one Server instance (0, 1,
 * 7, 65534) among other objects, with a root link carrying rt="..." and
 * ct, with attributes on the instance itself.  Must hold: the listed
 * instance, whatever else is around it.
 */
static void test_single_instance(void **state)
{
    (void)state;
    static const struct {
        const char *links;
        uint16_t want;
    } cases[] = {
        {"</1/0>,</3/0>", 0},
        {"</>;rt=\"oma.lwm2m\";ct=110,</1/1>,</3/0>,</5/0>", 1},
        {"</3/0>,</1/7>;ver=1.1", 7},
        {"</1>,</1/65534>", 65534},
        {"</0/1>,</1/3>,</3303/0>", 3},
        {"</1/2>;ssid;x=\"a,</1/9>\"", 2},
        {"</1/4>;rt=\"a\\\"b,</1/5>\"", 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t inst;
        bw_assert_err(inst_of(cases[i].links, &inst), 0);
        assert_int_equal(inst, cases[i].want);
    }
}

/*
 * Tried: several Server instances: with /1/1 (what the bootstrap server
 * writes) among them, not first; without it.  Must hold: /1/1 when it is
 * listed, else the first listed.
 */
static void test_several_instances(void **state)
{
    (void)state;
    uint16_t inst;
    bw_assert_err(inst_of("</1/0>,</1/1>,</3/0>", &inst), 0);
    assert_int_equal(inst, BW_API_ROTATE_SERVER_INSTANCE);
    bw_assert_err(inst_of("</1/5>,</3/0>,</1/2>", &inst), 0);
    assert_int_equal(inst, 5);
}

/*
 * Tried: lists without a Server instance: other objects only, the Server
 * object without an instance, paths that look close (/10/1, /1/1/0,
 * /1/65535 reserved, /1/01 with a leading zero, /1/x, /1/ empty,
 * /1/123456), an empty text.  Must hold: BW_ENOTFOUND and *inst 0.
 */
static void test_no_instance(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "</3/0>,</5/0>", "</1>",    "</10/1>", "</1/1/0>",
        "</1/65535>",    "</1/01>", "</1/x>",  "</1/>",
        "</1/123456>",   "</11/1>", "<1/1>",   "",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t inst;
        bw_assert_err(inst_of(cases[i], &inst), BW_ENOTFOUND);
        assert_int_equal(inst, 0);
    }
}

/*
 * Tried: malformed lists: an item without '<', an unterminated link, a
 * '<' inside a link, an empty item, a trailing comma, junk after '>',
 * an empty parameter name, "name=" with no value, an unterminated quoted
 * string (also one ending in a backslash), a quote inside a token value,
 * the valid instance listed before the damage.  Must hold: BW_EMALFORMED
 * (never a guess) and *inst 0.
 */
static void test_malformed(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "/1/0",        "</1/0",           "</1</0>",        "</1/0>,,</3/0>",
        "</1/0>,",     "</1/0>x",         "</1/0>;",        "</1/0>;=3",
        "</1/0>;a=",   "</1/0>;a=\"x",    "</1/0>;a=\"x\\", "</1/0>;a=x\"y",
        "</1/0>;a\"b", "</1/0>;a=\"x\"y", ",</1/0>",        "</1/0>,<3/0",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t inst;
        int err = inst_of(cases[i], &inst);
        if (err != BW_EMALFORMED)
            fail_msg("'%s': %s, want BW_EMALFORMED", cases[i],
                     bw_err_name(err));
        assert_int_equal(inst, 0);
    }
}

/*
 * Tried: a length shorter than the text (the rest must not be read: a
 * link cut in half), NULL text with length 0 and with length 1, NULL
 * inst.  Must hold: the cut link is malformed, NULL with 0 is an empty
 * list (BW_ENOTFOUND), the others BW_EINVAL.
 */
static void test_bounds_and_args(void **state)
{
    (void)state;
    uint16_t inst;
    const char *t = "</1/3>,</1/4>";
    bw_assert_err(bw_api_rotate_server_instance(t, 4, &inst), BW_EMALFORMED);
    bw_assert_err(bw_api_rotate_server_instance(t, 6, &inst), 0);
    assert_int_equal(inst, 3);
    bw_assert_err(bw_api_rotate_server_instance(NULL, 0, &inst), BW_ENOTFOUND);
    bw_assert_err(bw_api_rotate_server_instance(NULL, 1, &inst), BW_EINVAL);
    bw_assert_err(bw_api_rotate_server_instance(t, strlen(t), NULL), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_instance),
        cmocka_unit_test(test_several_instances),
        cmocka_unit_test(test_no_instance),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bounds_and_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
