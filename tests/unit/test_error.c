/* SPDX-License-Identifier: Apache-2.0 */
/* The error list expands into names and messages that agree with it. */
#include "testutil.h"

#include <string.h>

#include "bulwark/error.h"

static void test_every_code_named(void **state)
{
    (void)state;
#define CHECK_(name, value, msg)                                               \
    assert_string_equal(bw_err_name(value), "BW_" #name);                      \
    assert_string_equal(bw_strerror(value), msg);                              \
    assert_true((value) < 0);
    BW_ERRNO_MAP(CHECK_)
#undef CHECK_
    assert_string_equal(bw_err_name(0), "BW_OK");
}

static void test_unknown_code(void **state)
{
    (void)state;
    assert_string_equal(bw_err_name(-9999), "BW_E?");
    assert_string_equal(bw_strerror(12345), "unknown error");
}

static void test_codes_unique(void **state)
{
    (void)state;
    static const int codes[] = {
#define LIST_(name, value, msg) value,
        BW_ERRNO_MAP(LIST_)
#undef LIST_
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_int_not_equal(codes[i], codes[j]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_named),
        cmocka_unit_test(test_unknown_code),
        cmocka_unit_test(test_codes_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
