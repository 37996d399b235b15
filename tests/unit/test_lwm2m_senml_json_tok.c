/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bounded JSON tokenizer behind SenML JSON (lib/lwm2m/lwm2m_json.c):
 * grammar, strings and escapes, UTF-8, numbers, depth, trailing bytes.
 */
#include "testutil.h"

#include <string.h>

#include "../../lib/lwm2m/lwm2m_json.h"

/* Tokenize s to the end; return the first error or 0. */
static int run(const char *s, size_t len)
{
    bw_lwm2m_json_t js;
    bw_lwm2m_json_tok_t tok;
    bw_lwm2m__json_init(&js, (const uint8_t *)s, len);
    for (int i = 0; i < 100000; i++) {
        int err = bw_lwm2m__json_next(&js, &tok);
        if (err)
            return err;
        if (tok.type == BW_LWM2M_JSON_END)
            return 0;
    }
    fail_msg("tokenizer did not finish");
    return 0;
}

static int runs(const char *s)
{
    return run(s, strlen(s));
}

/* Valid documents of every kind tokenize to END. */
static void test_valid(void **state)
{
    (void)state;
    static const char *ok[] = {
        "[]",
        "{}",
        " [ ] ",
        "\t\r\n[1]\n",
        "0",
        "-0",
        "1.5e+3",
        "1E-2",
        "true",
        "false",
        "null",
        "\"\"",
        "[[],{}]",
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"d\"}",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00\"",
        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
        "-9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (runs(ok[i]) != 0)
            fail_msg("rejected: %s (%d)", ok[i], runs(ok[i]));
}

/* Each malformed document fails with its exact code. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int err;
    } cases[] = {
        {"", BW_ETRUNC},
        {"[", BW_ETRUNC},
        {"[1,", BW_ETRUNC},
        {"{\"a\"", BW_ETRUNC},
        {"{\"a\":", BW_ETRUNC},
        {"\"abc", BW_ETRUNC},
        {"tru", BW_ETRUNC},
        {"-", BW_ETRUNC},
        {"1.", BW_ETRUNC},
        {"1e", BW_ETRUNC},
        {"[-]", BW_EMALFORMED},
        {"[1.]", BW_EMALFORMED},
        {"[1.e5]", BW_EMALFORMED},
        {"[01]", BW_EMALFORMED},
        {"[-01]", BW_EMALFORMED},
        {"[+1]", BW_EMALFORMED},
        {"[.5]", BW_EMALFORMED},
        {"[1e+]", BW_EMALFORMED},
        {"[1,]", BW_EMALFORMED},
        {"[,1]", BW_EMALFORMED},
        {"[1 2]", BW_EMALFORMED},
        {"{\"a\" 1}", BW_EMALFORMED},
        {"{\"a\":1,}", BW_EMALFORMED},
        {"{1:2}", BW_EMALFORMED},
        {"[}", BW_EMALFORMED},
        {"{]", BW_EMALFORMED},
        {"[truex]", BW_EMALFORMED},
        {"[nul]", BW_EMALFORMED},
        {"[True]", BW_EMALFORMED},
        {"[\"a\tb\"]", BW_EMALFORMED},    /* raw control character */
        {"[\"\\x\"]", BW_EMALFORMED},     /* unknown escape */
        {"[\"\\u12g4\"]", BW_EMALFORMED}, /* bad hex */
        {"[\"\\ud800\"]", BW_EUTF8},      /* lone high surrogate */
        {"[\"\\udc00\"]", BW_EUTF8},      /* lone low surrogate */
        {"[\"\\ud800\\u0041\"]", BW_EUTF8},
        {"[\"\\ud800x\"]", BW_EUTF8},
        {"[\"\xc0\xaf\"]", BW_EUTF8},         /* overlong */
        {"[\"\xed\xa0\x80\"]", BW_EUTF8},     /* encoded surrogate */
        {"[\"\xf4\x90\x80\x80\"]", BW_EUTF8}, /* above U+10FFFF */
        {"[\"\x80\"]", BW_EUTF8},             /* stray continuation */
        {"[\"\xe2\x82\"]", BW_EUTF8},         /* cut sequence */
        /* The input ends inside a sequence: a valid start is truncated
         * input, a start no byte could complete is invalid at once. */
        {"[\"\xe2\x82", BW_ETRUNC},
        {"[\"\xf0\x9f\x98", BW_ETRUNC},
        {"[\"\xe0\x80", BW_EUTF8}, /* overlong whatever follows */
        {"[\"\xed\xa0", BW_EUTF8}, /* surrogate whatever follows */
        {"[\"\xf4\x90", BW_EUTF8}, /* above U+10FFFF */
        {"[1] x", BW_ETRAILING},
        {"[1][2]", BW_ETRAILING},
        {"1 2", BW_ETRAILING},
        {"[1e400]", BW_ERANGE},
        {"\xef\xbb\xbf[]", BW_EMALFORMED}, /* a BOM is not JSON */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int err = runs(cases[i].s);
        if (err != cases[i].err)
            fail_msg("%s: got %s want %s", cases[i].s, bw_err_name(err),
                     bw_err_name(cases[i].err));
    }
}

/*
 * Nesting: exactly BW_LWM2M_JSON_MAX_DEPTH levels pass, one more is
 * BW_EDEPTH, and a 100000-level bomb fails fast with the same code.
 */
static void test_depth(void **state)
{
    (void)state;
    static char buf[200002];
    size_t d = BW_LWM2M_JSON_MAX_DEPTH;
    memset(buf, '[', d);
    memset(buf + d, ']', d);
    assert_int_equal(run(buf, 2 * d), 0);
    memset(buf, '[', d + 1);
    memset(buf + d + 1, ']', d + 1);
    bw_assert_err(run(buf, 2 * d + 2), BW_EDEPTH);
    memset(buf, '[', 100000);
    bw_assert_err(run(buf, 100000), BW_EDEPTH);
    for (size_t i = 0; i < 100000; i++)
        buf[i] = (i & 1) ? '[' : '{';
    bw_assert_err(run(buf, 100000), BW_EMALFORMED); /* '{' wants a key */
}

/*
 * Numbers: integers stay exact in int64/uint64, others become doubles;
 * too many digits and too long tokens are refused.
 */
static void test_numbers(void **state)
{
    (void)state;
    bw_lwm2m_json_t js;
    bw_lwm2m_json_tok_t t;
    const char *s = "[-9223372036854775808,18446744073709551615,"
                    "18446744073709551616,1.0,-0,5e0]";
    bw_lwm2m__json_init(&js, (const uint8_t *)s, strlen(s));
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.num_kind, BW_LWM2M_JSON_INT);
    assert_true(t.i == INT64_MIN);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.num_kind, BW_LWM2M_JSON_UINT);
    assert_true(t.u == UINT64_MAX);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.num_kind, BW_LWM2M_JSON_FLOAT);
    assert_true(t.d == 18446744073709551616.0);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.num_kind, BW_LWM2M_JSON_FLOAT);
    assert_true(t.d == 1.0);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.num_kind, BW_LWM2M_JSON_INT);
    assert_true(t.i == 0);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.num_kind, BW_LWM2M_JSON_FLOAT);
    assert_true(t.d == 5.0);

    /* 40 significant digits pass, 41 do not; zeros around do not count. */
    char num[128] = "1234567890123456789012345678901234567890";
    assert_int_equal(runs(num), 0);
    strcat(num, "000.000");
    assert_int_equal(runs(num), 0);
    bw_assert_err(runs("12345678901234567890123456789012345678901"), BW_ERANGE);
    /* 65 characters is one past BW_LWM2M_JSON_MAX_NUMBER_LEN. */
    memset(num, '0', 65);
    num[1] = '.';
    num[65] = '\0';
    bw_assert_err(runs(num), BW_ERANGE);
    num[64] = '\0';
    assert_int_equal(runs(num), 0);
}

/* Strings: raw views, escapes decoded, comparison through escapes. */
static void test_strings(void **state)
{
    (void)state;
    bw_lwm2m_json_t js;
    bw_lwm2m_json_tok_t t;
    const char *s = "{\"\\u0062n\":\"a\\u00e9\\ud83d\\ude00\\n\"}";
    bw_lwm2m__json_init(&js, (const uint8_t *)s, strlen(s));
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.type, BW_LWM2M_JSON_KEY);
    assert_true(t.escaped);
    assert_true(bw_lwm2m__json_str_eq(&t, "bn"));
    assert_false(bw_lwm2m__json_str_eq(&t, "b"));
    assert_false(bw_lwm2m__json_str_eq(&t, "bnx"));
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.type, BW_LWM2M_JSON_STRING);
    uint8_t out[16];
    size_t n;
    assert_int_equal(bw_lwm2m__json_unescape(&t, out, sizeof(out), &n), 0);
    assert_int_equal(n, 8);
    assert_memory_equal(out, "a\xc3\xa9\xf0\x9f\x98\x80\n", 8);
    /* One byte short: BW_ENOSPC and a zero length. */
    bw_assert_err(bw_lwm2m__json_unescape(&t, out, 7, &n), BW_ENOSPC);
    assert_int_equal(n, 0);
}

/* Errors are sticky; END repeats; skip() jumps over a nested value. */
static void test_sticky_and_skip(void **state)
{
    (void)state;
    bw_lwm2m_json_t js;
    bw_lwm2m_json_tok_t t;
    const char *bad = "[1,]";
    bw_lwm2m__json_init(&js, (const uint8_t *)bad, strlen(bad));
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    bw_assert_err(bw_lwm2m__json_next(&js, &t), BW_EMALFORMED);
    bw_assert_err(bw_lwm2m__json_next(&js, &t), BW_EMALFORMED);

    const char *s = "[{\"a\":[1,{\"b\":[]}]},2]";
    bw_lwm2m__json_init(&js, (const uint8_t *)s, strlen(s));
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0); /* [ */
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0); /* { */
    assert_int_equal(bw_lwm2m__json_skip(&js, &t), 0);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.type, BW_LWM2M_JSON_NUMBER);
    assert_true(t.i == 2);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.type, BW_LWM2M_JSON_ARRAY_END);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.type, BW_LWM2M_JSON_END);
    assert_int_equal(bw_lwm2m__json_next(&js, &t), 0);
    assert_int_equal(t.type, BW_LWM2M_JSON_END);
}

/*
 * Every proper prefix of a valid document is BW_ETRUNC (never a crash,
 * never success), except where the prefix is itself a complete number.
 */
static void test_truncation(void **state)
{
    (void)state;
    const char *s = "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"\\u00e9\\ud83d"
                    "\\ude00\xc3\xa9\"},{\"v\":-1.25e-3,\"vb\":true},null]";
    size_t len = strlen(s);
    assert_int_equal(run(s, len), 0);
    for (size_t i = 0; i < len; i++)
        bw_assert_err(run(s, i), BW_ETRUNC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_sticky_and_skip),
        cmocka_unit_test(test_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
