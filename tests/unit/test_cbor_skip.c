/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Skipping: bw_cbor_skip(), bw_cbor_read_raw(), bw_cbor_skip_rest().
 * A skip must land exactly where reading the same item step by step
 * lands, refuse what reading refuses (with the same code), and count as
 * one item of its container.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "bulwark/cbor.h"

/*
 * Read one item step by step (entering containers, reading tags) and
 * return the first error; *end receives the offset after the item.
 */
static int read_stepwise(const uint8_t *buf, size_t len, size_t *end)
{
    bw_cbor_reader_t r;
    bw_cbor_kind_t k;
    size_t n;
    int err;
    bw_cbor_reader_init(&r, buf, len);
    do {
        err = bw_cbor_peek(&r, &k);
        if (err != 0)
            return err;
        switch (k) {
        case BW_CBOR_END:
            err = bw_cbor_leave(&r);
            break;
        case BW_CBOR_ARRAY:
            err = bw_cbor_enter_array(&r, &n);
            break;
        case BW_CBOR_MAP:
            err = bw_cbor_enter_map(&r, &n);
            break;
        case BW_CBOR_TEXT: {
            const char *s;
            err = bw_cbor_read_text(&r, &s, &n);
            break;
        }
        case BW_CBOR_TAG: {
            uint64_t t;
            err = bw_cbor_read_tag(&r, &t);
            break;
        }
        default:
            /* scalar: skipping one is trivially a step */
            err = bw_cbor_skip(&r);
            break;
        }
        if (err != 0)
            return err;
    } while (bw_cbor_depth(&r) > 0 || r.tagged);
    *end = r.pos;
    return 0;
}

/*
 * For well-formed and broken items alike, skip and the step-by-step read
 * agree on the verdict, and on success on where the item ends; read_raw
 * returns exactly the item's bytes.
 */
static void test_skip_matches_stepwise(void **state)
{
    (void)state;
    static const char *const rows[] = {
        "00 ff",
        "8301820203820405 01",
        "a26161016162820203 00",
        "c1c2c3 83 c4 80 a1 00 c5 40 61 61 f6",
        "d818 45 6449455446",
        "a1 81 a1 81 a0 80 99",
        "82 62 c0 80 00", /* bad UTF-8 inside */
        "82 01 1c",       /* reserved AI inside */
        "82 01 9f ff",    /* indefinite inside */
        "a2 01 02 03",    /* map one item short */
        "81 81 81 f8 10", /* bad simple value deep down */
        "83 01 02",       /* count checked at the head */
        "c1",             /* tag without content */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t tmp[64];
        size_t len = bw_test_hex(rows[i], tmp, sizeof tmp);
        uint8_t *buf = malloc(len);
        assert_non_null(buf);
        memcpy(buf, tmp, len);

        size_t end = 0;
        int want = read_stepwise(buf, len, &end);
        bw_cbor_reader_t r;
        const uint8_t *raw;
        size_t raw_len;
        bw_cbor_reader_init(&r, buf, len);
        int got = bw_cbor_read_raw(&r, &raw, &raw_len);
        if (got != want)
            fail_msg("%s: skip %s, stepwise %s", rows[i], bw_err_name(got),
                     bw_err_name(want));
        if (want == 0) {
            assert_ptr_equal(raw, buf);
            assert_int_equal(raw_len, end);
            assert_int_equal(r.pos, end);
        } else {
            assert_null(raw);
            assert_int_equal(raw_len, 0);
        }
        free(buf);
    }
}

/*
 * Skips inside containers count as one item each; skip_rest discards
 * whatever is left so that leave succeeds; a skip after a tag skips its
 * content only.
 */
static void test_skip_in_containers(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len =
        bw_test_hex("a3 01 82 0203 02 c1 a0 03 f5 07", buf, sizeof buf);
    bw_cbor_reader_t r;
    size_t n;
    uint64_t u;
    bool b;

    bw_cbor_reader_init(&r, buf, len);
    bw_assert_err(bw_cbor_enter_map(&r, &n), 0);
    assert_int_equal(n, 3);
    bw_assert_err(bw_cbor_read_uint(&r, &u), 0); /* key 1 */
    bw_assert_err(bw_cbor_skip(&r), 0);          /* [2, 3] */
    bw_assert_err(bw_cbor_read_uint(&r, &u), 0); /* key 2 */
    assert_true(u == 2);
    bw_assert_err(bw_cbor_read_tag(&r, &u), 0);
    bw_assert_err(bw_cbor_skip(&r), 0); /* content {} of tag 1 */
    bw_assert_err(bw_cbor_read_uint(&r, &u), 0);
    assert_true(u == 3);
    bw_assert_err(bw_cbor_read_bool(&r, &b), 0);
    assert_true(b);
    bw_assert_err(bw_cbor_skip(&r), BW_ESTATE); /* map is done */
    bw_assert_err(bw_cbor_finish(&r), BW_ESTATE);

    bw_cbor_reader_init(&r, buf, len);
    bw_assert_err(bw_cbor_enter_map(&r, &n), 0);
    bw_assert_err(bw_cbor_read_uint(&r, &u), 0);
    bw_assert_err(bw_cbor_skip_rest(&r), 0);
    bw_assert_err(bw_cbor_leave(&r), 0);
    bw_assert_err(bw_cbor_read_uint(&r, &u), 0);
    assert_true(u == 7);
    bw_assert_err(bw_cbor_finish(&r), 0);

    /* skip_rest on an already exhausted container is a no-op */
    bw_cbor_reader_init(&r, (const uint8_t *)"\x80", 1);
    bw_assert_err(bw_cbor_enter_array(&r, &n), 0);
    bw_assert_err(bw_cbor_skip_rest(&r), 0);
    bw_assert_err(bw_cbor_leave(&r), 0);
    bw_assert_err(bw_cbor_finish(&r), 0);
}

/* skip_rest at top level, and skip at the end of the input, are refused. */
static void test_skip_misuse(void **state)
{
    (void)state;
    bw_cbor_reader_t r;
    bw_cbor_reader_init(&r, (const uint8_t *)"\x01", 1);
    bw_assert_err(bw_cbor_skip_rest(&r), BW_ESTATE);

    bw_cbor_reader_init(&r, (const uint8_t *)"\x01", 1);
    bw_assert_err(bw_cbor_skip(&r), 0);
    bw_assert_err(bw_cbor_skip(&r), BW_ETRUNC);
}

/*
 * The nesting limit counts from the reader's current depth: after
 * entering d levels, a skipped item may open BW_CBOR_MAX_DEPTH - d more,
 * not one more.
 */
static void test_skip_depth_relative(void **state)
{
    (void)state;
    enum { ENTERED = 5 };
    uint8_t buf[2 * BW_CBOR_MAX_DEPTH + 2];
    bw_cbor_reader_t r;
    size_t n;

    for (size_t extra = BW_CBOR_MAX_DEPTH - ENTERED;
         extra <= BW_CBOR_MAX_DEPTH - ENTERED + 1; extra++) {
        size_t len = ENTERED + extra;
        memset(buf, 0x81, len);
        buf[len++] = 0x00;
        bw_cbor_reader_init(&r, buf, len);
        for (int i = 0; i < ENTERED; i++)
            bw_assert_err(bw_cbor_enter_array(&r, &n), 0);
        int want = extra + ENTERED > BW_CBOR_MAX_DEPTH ? BW_EDEPTH : 0;
        bw_assert_err(bw_cbor_skip(&r), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skip_matches_stepwise),
        cmocka_unit_test(test_skip_in_containers),
        cmocka_unit_test(test_skip_misuse),
        cmocka_unit_test(test_skip_depth_relative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
