/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M paths: strict parsing, formatting, comparisons. */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m.h"

static int parse(const char *s, bw_lwm2m_path_t *p)
{
    return bw_lwm2m_path_parse(p, s, strlen(s));
}

/* Every depth parses to the ids written, unused levels stay 65535. */
static void test_parse_valid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint8_t depth;
        uint16_t id[4];
    } cases[] = {
        {"/", 0, {65535, 65535, 65535, 65535}},
        {"/3", 1, {3, 65535, 65535, 65535}},
        {"/3/0", 2, {3, 0, 65535, 65535}},
        {"/3/0/1", 3, {3, 0, 1, 65535}},
        {"/3/0/7/1", 4, {3, 0, 7, 1}},
        {"/65534/65534/65534/65534", 4, {65534, 65534, 65534, 65534}},
        {"/0/0/0/0", 4, {0, 0, 0, 0}},
        {"/10241/12/3", 3, {10241, 12, 3, 65535}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_lwm2m_path_t p;
        assert_int_equal(parse(cases[i].s, &p), 0);
        assert_int_equal(p.depth, cases[i].depth);
        for (size_t k = 0; k < 4; k++)
            assert_int_equal(p.id[k], cases[i].id[k]);
        assert_int_equal(bw_lwm2m_path_check(&p), 0);
    }
}

/*
 * Every non-canonical or out-of-range spelling is BW_EPATH, and the
 * output is left at the root (never a half-parsed path).
 */
static void test_parse_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",           /* empty */
        "3/0",        /* no leading slash */
        "/3/",        /* trailing slash */
        "//3",        /* empty segment */
        "/3//0",      /* empty segment */
        "/03",        /* leading zero */
        "/00",        /* leading zero */
        "/65535",     /* reserved id */
        "/65536",     /* too large */
        "/99999",     /* too large */
        "/123456",    /* six digits */
        "/1/2/3/4/5", /* five levels */
        "/+3",        /* sign */
        "/-3",        /* sign */
        "/ 3",        /* space */
        "/3 ",        /* space */
        "/3a",        /* letter */
        "/3/0x1",     /* hex */
        "//",         /* root plus an empty segment */
        "/3/0/",      /* trailing slash deeper */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(1, 2, 3);
        bw_assert_err(parse(bad[i], &p), BW_EPATH);
        assert_int_equal(p.depth, 0);
        assert_int_equal(p.id[0], BW_LWM2M_ID_NONE);
    }
}

/* The length bounds the read: a NUL-free slice of a longer string. */
static void test_parse_exact_length(void **state)
{
    (void)state;
    bw_lwm2m_path_t p;
    const char *s = "/3/0/1/2";
    assert_int_equal(bw_lwm2m_path_parse(&p, s, 4), 0); /* "/3/0" */
    assert_int_equal(p.depth, 2);
    assert_int_equal(p.id[1], 0);
    /* "/3/" is the first three bytes: trailing slash. */
    bw_assert_err(bw_lwm2m_path_parse(&p, s, 3), BW_EPATH);
    bw_assert_err(bw_lwm2m_path_parse(NULL, s, 3), BW_EINVAL);
    bw_assert_err(bw_lwm2m_path_parse(&p, NULL, 3), BW_EINVAL);
}

/* Formatting gives the canonical text, which parses back to the path. */
static void test_format_roundtrip(void **state)
{
    (void)state;
    static const char *good[] = {
        "/", "/3", "/3/0", "/3/0/7", "/3/0/7/1", "/65534/65534/65534/65534"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        bw_lwm2m_path_t p, q;
        char buf[BW_LWM2M_PATH_STR_MAX];
        size_t n = 99;
        assert_int_equal(parse(good[i], &p), 0);
        assert_int_equal(bw_lwm2m_path_format(&p, buf, sizeof buf, &n), 0);
        assert_string_equal(buf, good[i]);
        assert_int_equal(n, strlen(good[i]));
        assert_int_equal(bw_lwm2m_path_parse(&q, buf, n), 0);
        assert_true(bw_lwm2m_path_equal(&p, &q));
    }
}

/* Too small a buffer is BW_ENOSPC with "" left behind; the exact size
 * (length + NUL) works; a broken path is BW_EPATH. */
static void test_format_limits(void **state)
{
    (void)state;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RI(65534, 65534, 65534, 65534);
    char buf[BW_LWM2M_PATH_STR_MAX];
    size_t n = 7;
    bw_assert_err(bw_lwm2m_path_format(&p, buf, 24, &n), BW_ENOSPC);
    assert_int_equal(n, 0);
    assert_string_equal(buf, "");
    assert_int_equal(bw_lwm2m_path_format(&p, buf, 25, &n), 0);
    assert_int_equal(n, 24);

    bw_lwm2m_path_t broken = BW_LWM2M_PATH_RES(3, 0, 1);
    broken.id[3] = 5; /* unused level not 65535 */
    bw_assert_err(bw_lwm2m_path_format(&broken, buf, sizeof buf, &n), BW_EPATH);
    broken = (bw_lwm2m_path_t)BW_LWM2M_PATH_RES(3, 65535, 1);
    bw_assert_err(bw_lwm2m_path_check(&broken), BW_EPATH);
    broken.depth = 5;
    bw_assert_err(bw_lwm2m_path_check(&broken), BW_EPATH);
}

/* push refuses 65535 and a fifth level; pop stops at the root;
 * push_text applies the parse rules to one segment. */
static void test_push_pop(void **state)
{
    (void)state;
    bw_lwm2m_path_t p;
    bw_lwm2m_path_init(&p);
    bw_assert_err(bw_lwm2m_path_push(&p, 65535), BW_EPATH);
    assert_int_equal(p.depth, 0);
    assert_int_equal(bw_lwm2m_path_push(&p, 3), 0);
    assert_int_equal(bw_lwm2m_path_push_text(&p, "0", 1), 0);
    bw_assert_err(bw_lwm2m_path_push_text(&p, "07", 2), BW_EPATH);
    bw_assert_err(bw_lwm2m_path_push_text(&p, "", 0), BW_EPATH);
    bw_assert_err(bw_lwm2m_path_push_text(&p, "65535", 5), BW_EPATH);
    assert_int_equal(bw_lwm2m_path_push_text(&p, "65534", 5), 0);
    assert_int_equal(bw_lwm2m_path_push(&p, 1), 0);
    bw_assert_err(bw_lwm2m_path_push(&p, 1), BW_EPATH);
    bw_lwm2m_path_t want = BW_LWM2M_PATH_RI(3, 0, 65534, 1);
    assert_true(bw_lwm2m_path_equal(&p, &want));
    for (int i = 0; i < 6; i++)
        bw_lwm2m_path_pop(&p);
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    assert_true(bw_lwm2m_path_equal(&p, &root));
    assert_int_equal(bw_lwm2m_path_check(&p), 0);
}

/* Ordering: ids level by level, ancestors first; prefix and equality
 * agree with it. */
static void test_compare_prefix(void **state)
{
    (void)state;
    static const char *sorted[] = {"/",        "/3",       "/3/0",   "/3/0/1",
                                   "/3/0/1/0", "/3/0/1/9", "/3/0/2", "/3/1",
                                   "/4",       "/65534"};
    size_t n = sizeof sorted / sizeof sorted[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            bw_lwm2m_path_t a, b;
            assert_int_equal(parse(sorted[i], &a), 0);
            assert_int_equal(parse(sorted[j], &b), 0);
            int c = bw_lwm2m_path_compare(&a, &b);
            if (i < j)
                assert_true(c < 0);
            else if (i > j)
                assert_true(c > 0);
            else
                assert_int_equal(c, 0);
            assert_int_equal(bw_lwm2m_path_equal(&a, &b), i == j);
            /* a is a prefix of b exactly when b's text starts with a's
             * text followed by '/' or the end (the root covers all). */
            size_t la = strlen(sorted[i]);
            bool want =
                i == 0 || (strncmp(sorted[i], sorted[j], la) == 0 &&
                           (sorted[j][la] == '\0' || sorted[j][la] == '/'));
            assert_int_equal(bw_lwm2m_path_is_prefix(&a, &b), want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_parse_exact_length),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_format_limits),
        cmocka_unit_test(test_push_pop),
        cmocka_unit_test(test_compare_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
