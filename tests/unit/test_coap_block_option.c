/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block1/Block2 option values (RFC 7959 section 2.2): decoding known
 * vectors, the shortest encoding, round trips at every boundary, and the
 * exact error for every malformed value.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap_block.h"

/* Hand-computed values: NUM << 4 | M << 3 | SZX, big endian, shortest. */
static void test_decode_vectors(void **state)
{
    static const struct {
        const char *hex;
        uint32_t num;
        uint8_t more, szx;
    } v[] = {
        {"", 0, 0, 0},
        {"06", 0, 0, 6},
        {"0e", 0, 1, 6},
        {"1a", 1, 1, 2},
        {"f0", 15, 0, 0},
        {"01 00", 16, 0, 0},
        {"ff f6", 0xfff, 0, 6},
        {"01 00 0d", 0x1000, 1, 5},
        {"ff ff f6", 0xfffff, 0, 6},
        {"00 16", 1, 0, 6},    /* leading zero accepted */
        {"00 00 00", 0, 0, 0}, /* all zeros, three bytes */
    };
    uint8_t buf[4];
    bw_coap_block_t b;
    (void)state;

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = bw_test_hex(v[i].hex, buf, sizeof buf);
        assert_int_equal(bw_coap_block_decode(buf, n, &b), 0);
        assert_int_equal(b.num, v[i].num);
        assert_int_equal(b.more, v[i].more);
        assert_int_equal(b.szx, v[i].szx);
    }
}

/*
 * Malformed values: SZX 7 (reserved BERT) is BW_EBLOCK at any length;
 * four bytes or more are BW_EOVERFLOW even when they decode to a small
 * number; b is zeroed on failure; NULLs are BW_EINVAL.
 */
static void test_decode_errors(void **state)
{
    static const struct {
        const char *hex;
        int err;
    } v[] = {
        {"07", BW_EBLOCK},
        {"0f", BW_EBLOCK},
        {"ff ff ff", BW_EBLOCK},
        {"12 37", BW_EBLOCK},
        {"00 00 00 06", BW_EOVERFLOW},
        {"ff ff ff ff ff", BW_EOVERFLOW},
    };
    uint8_t buf[8];
    bw_coap_block_t b;
    (void)state;

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = bw_test_hex(v[i].hex, buf, sizeof buf);
        memset(&b, 0xa5, sizeof b);
        bw_assert_err(bw_coap_block_decode(buf, n, &b), v[i].err);
        assert_int_equal(b.num, 0);
        assert_int_equal(b.more, 0);
        assert_int_equal(b.szx, 0);
    }
    bw_assert_err(bw_coap_block_decode(NULL, 1, &b), BW_EINVAL);
    bw_assert_err(bw_coap_block_decode(buf, 1, NULL), BW_EINVAL);
}

/*
 * Encoding is the shortest form: 0 bytes for the zero value, and the
 * length steps at NUM 15/16 (1->2 bytes) and 4095/4096 (2->3 bytes).
 */
static void test_encode_lengths(void **state)
{
    static const struct {
        uint32_t num;
        uint8_t more, szx;
        const char *hex;
    } v[] = {
        {0, 0, 0, ""},
        {0, 0, 1, "01"},
        {0, 1, 0, "08"},
        {15, 1, 6, "fe"},
        {16, 0, 0, "01 00"},
        {4095, 0, 6, "ff f6"},
        {4096, 1, 5, "01 00 0d"},
        {0xfffff, 1, 6, "ff ff fe"},
    };
    uint8_t out[3], want[3];
    bw_coap_block_t b;
    size_t n;
    (void)state;

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t wn = bw_test_hex(v[i].hex, want, sizeof want);
        b.num = v[i].num;
        b.more = v[i].more;
        b.szx = v[i].szx;
        assert_int_equal(bw_coap_block_encode(&b, out, &n), 0);
        assert_int_equal(n, wn);
        assert_memory_equal(out, want, n);
    }
}

/* Values that cannot be encoded are BW_EINVAL with *len 0. */
static void test_encode_errors(void **state)
{
    bw_coap_block_t bad[] = {
        {BW_COAP_BLOCK_MAX_NUM + 1, 0, 0},
        {0, 2, 0},
        {0, 0, 7},
    };
    uint8_t out[3];
    size_t n;
    (void)state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = 99;
        bw_assert_err(bw_coap_block_encode(&bad[i], out, &n), BW_EINVAL);
        assert_int_equal(n, 0);
    }
    bw_assert_err(bw_coap_block_encode(NULL, out, &n), BW_EINVAL);
    bw_assert_err(bw_coap_block_encode(&bad[0], NULL, &n), BW_EINVAL);
}

/* encode then decode gives back every (NUM, M, SZX) at the boundaries. */
static void test_round_trip(void **state)
{
    static const uint32_t nums[] = {0,    1,      14,      15,     16,
                                    255,  4095,   4096,    65535,  65536,
                                    1000, 0x7fff, 0xffffe, 0xfffff};
    uint8_t out[3];
    size_t n;
    bw_coap_block_t b, back;
    (void)state;

    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        for (uint8_t m = 0; m <= 1; m++)
            for (uint8_t szx = 0; szx <= BW_COAP_BLOCK_MAX_SZX; szx++) {
                b.num = nums[i];
                b.more = m;
                b.szx = szx;
                assert_int_equal(bw_coap_block_encode(&b, out, &n), 0);
                assert_int_equal(bw_coap_block_decode(out, n, &back), 0);
                assert_int_equal(back.num, b.num);
                assert_int_equal(back.more, b.more);
                assert_int_equal(back.szx, b.szx);
            }
}

/*
 * Through a real message: add() writes Block2 and Block1 with the writer;
 * get() finds and decodes them after parsing, answers BW_ENOTFOUND when
 * absent, passes on a malformed value's error, and refuses a non-block
 * option number.
 */
static void test_get_and_add(void **state)
{
    uint8_t buf[64];
    bw_coap_writer_t w;
    bw_coap_msg_t m;
    bw_coap_block_t b2 = {5, 1, 4}, b1 = {0x12345, 0, 3}, got;
    size_t len;
    (void)state;

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_PUT, 1, NULL,
                        0);
    assert_int_equal(bw_coap_block_add(&w, BW_COAP_OPT_BLOCK2, &b2), 0);
    assert_int_equal(bw_coap_block_add(&w, BW_COAP_OPT_BLOCK1, &b1), 0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(&m, buf, len), 0);
    assert_int_equal(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK2, &got), 0);
    assert_int_equal(got.num, 5);
    assert_int_equal(got.more, 1);
    assert_int_equal(got.szx, 4);
    assert_int_equal(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK1, &got), 0);
    assert_int_equal(got.num, 0x12345);
    assert_int_equal(got.szx, 3);
    bw_assert_err(bw_coap_block_get(&m, BW_COAP_OPT_ETAG, &got), BW_EINVAL);

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(&m, buf, len), 0);
    bw_assert_err(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK2, &got),
                  BW_ENOTFOUND);

    /* Block2 with a 4-byte value (delta 13+10=23, length 4). */
    len = bw_test_hex("40 01 00 01 d4 0a 00 00 00 16", buf, sizeof buf);
    assert_int_equal(bw_coap_parse(&m, buf, len), 0);
    bw_assert_err(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK2, &got),
                  BW_EOVERFLOW);
    /* Block2 with SZX 7. */
    len = bw_test_hex("40 01 00 01 d1 0a 17", buf, sizeof buf);
    assert_int_equal(bw_coap_parse(&m, buf, len), 0);
    bw_assert_err(bw_coap_block_get(&m, BW_COAP_OPT_BLOCK2, &got), BW_EBLOCK);

    /* add() refuses invalid blocks and numbers without touching w. */
    bw_coap_block_t bad = {0, 0, 7};
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_assert_err(bw_coap_block_add(&w, BW_COAP_OPT_BLOCK2, &bad), BW_EINVAL);
    bw_assert_err(bw_coap_block_add(&w, BW_COAP_OPT_SIZE2, &b2), BW_EINVAL);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(len, 4);
}

/* Sizes map to SZX and back; the fit helper picks the largest that fits. */
static void test_sizes(void **state)
{
    uint8_t szx;
    (void)state;

    for (uint8_t s = 0; s <= BW_COAP_BLOCK_MAX_SZX; s++) {
        assert_int_equal(bw_coap_block_szx(BW_COAP_BLOCK_SIZE(s), &szx), 0);
        assert_int_equal(szx, s);
        assert_int_equal(bw_coap_block_szx_fit(BW_COAP_BLOCK_SIZE(s)), s);
        if (s < BW_COAP_BLOCK_MAX_SZX)
            assert_int_equal(
                bw_coap_block_szx_fit(BW_COAP_BLOCK_SIZE(s + 1) - 1), s);
    }
    assert_int_equal(BW_COAP_BLOCK_SIZE(0), 16);
    assert_int_equal(BW_COAP_BLOCK_SIZE(6), 1024);
    bw_assert_err(bw_coap_block_szx(0, &szx), BW_EINVAL);
    bw_assert_err(bw_coap_block_szx(48, &szx), BW_EINVAL);
    bw_assert_err(bw_coap_block_szx(2048, &szx), BW_EINVAL);
    bw_assert_err(bw_coap_block_szx(16, NULL), BW_EINVAL);
    assert_int_equal(bw_coap_block_szx_fit(1 << 20), 6);
    bw_assert_err(bw_coap_block_szx_fit(15), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_vectors),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_encode_lengths),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_get_and_add),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
