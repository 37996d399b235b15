/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP builder: byte-exact output for the RFC 7252 examples, shortest
 * delta/length encodings at every boundary, round trips through the
 * parser, sticky errors, and a capacity sweep proving no byte at or past
 * cap is ever written.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/coap.h"

/* The expected bytes, from hex, compared with what the writer produced. */
static void assert_bytes(const uint8_t *got, size_t got_len, const char *hex)
{
    uint8_t want[2048];
    size_t n = bw_test_hex(hex, want, sizeof want);
    assert_int_equal(got_len, n);
    assert_memory_equal(got, want, n);
}

/* RFC 7252 figure A.1: CON GET /temperature, MID 0x7d34, and its answer. */
static void test_rfc_examples(void **state)
{
    (void)state;
    uint8_t buf[64];
    bw_coap_writer_t w;
    size_t len = 99;

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 0x7d34,
                        NULL, 0);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "temperature", 11);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_bytes(buf, len, "40 01 7d 34 bb 74 65 6d 70 65 72 61 74 75 72 65");

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_ACK, BW_COAP_CONTENT,
                        0x7d34, NULL, 0);
    bw_coap_writer_payload(&w, "22.3 C", 6);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_bytes(buf, len, "60 45 7d 34 ff 32 32 2e 33 20 43");

    /* A token, and payload added in two calls: one marker only. */
    static const uint8_t tok[] = {0x71, 0x2f};
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_NON, BW_COAP_CONTENT,
                        0xa123, tok, sizeof tok);
    bw_coap_writer_payload(&w, "22.", 3);
    bw_coap_writer_payload(&w, "", 0);
    bw_coap_writer_payload(&w, "3 C", 3);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_bytes(buf, len, "52 45 a1 23 71 2f ff 32 32 2e 33 20 43");
}

/* Empty messages are the bare header and accept nothing more. */
static void test_empty_message(void **state)
{
    (void)state;
    uint8_t buf[16];
    bw_coap_writer_t w;
    size_t len;
    static const uint8_t tok[] = {1};

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_RST, BW_COAP_EMPTY, 0xbeef,
                        NULL, 0);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_bytes(buf, len, "70 00 be ef");

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_ACK, BW_COAP_EMPTY, 1, tok,
                        1);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_ACK, BW_COAP_EMPTY, 1,
                        NULL, 0);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_MAX_AGE, 1);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_ACK, BW_COAP_EMPTY, 1,
                        NULL, 0);
    bw_coap_writer_payload(&w, "x", 1);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
    assert_int_equal(len, 0);
}

/*
 * Shortest encodings at every length and delta boundary, byte-exact, as
 * section 3.1 prescribes: 12 in the nibble, 13 -> 13 + 1 byte (0), 268 ->
 * 13 + 1 byte (255), 269 -> 14 + 2 bytes (0).
 */
static void test_encoding_boundaries(void **state)
{
    (void)state;
    static uint8_t value[BW_COAP_MAX_OPTION_LEN];
    uint8_t buf[1100];
    bw_coap_writer_t w;
    size_t len;
    static const struct {
        uint16_t number;
        size_t vlen;
        const char *hdr;
    } cases[] = {
        {12, 0, "c0"},
        {13, 0, "d0 00"},
        {268, 0, "d0 ff"},
        {269, 0, "e0 00 00"},
        {65535, 0, "e0 fe f2"},
        {1, 12, "1c"},
        {1, 13, "1d 00"},
        {1, 268, "1d ff"},
        {1, 269, "1e 00 00"},
        {1, BW_COAP_MAX_OPTION_LEN, "1e 02 fd"},
        {300, 300, "ee 00 1f 00 1f"},
    };
    memset(value, 'z', sizeof value);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t hdr[8];
        size_t hn = bw_test_hex(cases[i].hdr, hdr, sizeof hdr);

        bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1,
                            NULL, 0);
        bw_coap_writer_add_opt(&w, cases[i].number, value, cases[i].vlen);
        assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
        assert_int_equal(len, 4 + hn + cases[i].vlen);
        assert_memory_equal(buf + 4, hdr, hn);
        assert_memory_equal(buf + 4 + hn, value, cases[i].vlen);
    }
    /* One byte past the option limit is refused. */
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_coap_writer_add_opt(&w, 1, value, BW_COAP_MAX_OPTION_LEN + 1);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
}

/* uint options in their shortest form, at each byte-width boundary. */
static void test_uint_encoding(void **state)
{
    (void)state;
    uint8_t buf[32];
    bw_coap_writer_t w;
    size_t len;
    static const struct {
        uint32_t v;
        const char *hex;
    } cases[] = {
        {0, "60"},
        {1, "61 01"},
        {255, "61 ff"},
        {256, "62 01 00"},
        {0xffff, "62 ff ff"},
        {0x10000, "63 01 00 00"},
        {0xffffff, "63 ff ff ff"},
        {0x1000000, "64 01 00 00 00"},
        {0xffffffffu, "64 ff ff ff ff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1,
                            NULL, 0);
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_OBSERVE, cases[i].v);
        assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
        assert_bytes(buf + 4, len - 4, cases[i].hex);

        bw_coap_msg_t msg;
        uint32_t back;
        assert_int_equal(bw_coap_parse(&msg, buf, len), 0);
        assert_int_equal(bw_coap_msg_uint(&msg, BW_COAP_OPT_OBSERVE, &back), 0);
        assert_int_equal(back, cases[i].v);
    }
}

/*
 * Round trip: a LwM2M Register-like request (repeated Uri-Path, several
 * Uri-Query, Content-Format, payload) and a spread of option numbers and
 * lengths come back from the parser exactly as written.
 */
static void test_round_trip(void **state)
{
    (void)state;
    static const struct {
        uint16_t number;
        const char *value;
        size_t len;
    } opts[] = {
        {BW_COAP_OPT_URI_PATH, "rd", 2},
        {BW_COAP_OPT_URI_PATH, "", 0},
        {BW_COAP_OPT_CONTENT_FORMAT, "\x28", 1},
        {BW_COAP_OPT_URI_QUERY, "ep=bulwark-0001", 15},
        {BW_COAP_OPT_URI_QUERY, "lt=86400", 8},
        {BW_COAP_OPT_URI_QUERY, "lwm2m=1.1", 9},
        {BW_COAP_OPT_BLOCK1, "\x0e", 1},
        {BW_COAP_OPT_SIZE1, "\x01\x00", 2},
        {2049, "abcdefghijklmnop", 16},
        {65535, "z", 1},
    };
    static const uint8_t tok[] = {1, 2, 3, 4, 5, 6, 7, 8};
    const char *body = "</1/0>,</3/0>;ver=1.1";
    uint8_t buf[256];
    bw_coap_writer_t w;
    size_t len;

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_POST, 4321,
                        tok, sizeof tok);
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        bw_coap_writer_add_opt(&w, opts[i].number, opts[i].value, opts[i].len);
    bw_coap_writer_payload(&w, body, strlen(body));
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);

    bw_coap_msg_t msg;
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    assert_int_equal(bw_coap_parse(&msg, buf, len), 0);
    assert_int_equal(msg.type, BW_COAP_CON);
    assert_int_equal(msg.code, BW_COAP_POST);
    assert_int_equal(msg.mid, 4321);
    assert_int_equal(msg.token_len, 8);
    assert_memory_equal(msg.token, tok, 8);
    assert_int_equal(msg.option_count, sizeof opts / sizeof opts[0]);
    bw_coap_opt_iter_init(&it, &msg);
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        assert_int_equal(bw_coap_opt_next(&it, &opt), 1);
        assert_int_equal(opt.number, opts[i].number);
        assert_int_equal(opt.len, opts[i].len);
        assert_memory_equal(opt.value, opts[i].value, opts[i].len);
    }
    assert_int_equal(bw_coap_opt_next(&it, &opt), 0);
    assert_int_equal(msg.payload_len, strlen(body));
    assert_memory_equal(msg.payload, body, strlen(body));
}

/*
 * Every (number, length) pair across the encoding boundaries, as a second
 * option after option 1, round-trips through the parser.
 */
static void test_round_trip_sweep(void **state)
{
    (void)state;
    static const uint16_t numbers[] = {1,   2,   13,  14,    268,  269,
                                       270, 281, 282, 65534, 65535};
    static const size_t lens[] = {0, 1, 12, 13, 14, 268, 269, 270, 1034};
    static uint8_t value[BW_COAP_MAX_OPTION_LEN];
    static uint8_t buf[1200];
    for (size_t i = 0; i < sizeof value; i++)
        value[i] = (uint8_t)(i * 7);

    for (size_t a = 0; a < sizeof numbers / sizeof numbers[0]; a++) {
        for (size_t b = 0; b < sizeof lens / sizeof lens[0]; b++) {
            bw_coap_writer_t w;
            bw_coap_msg_t msg;
            bw_coap_opt_t opt;
            size_t len;

            bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_NON, BW_COAP_PUT,
                                9, NULL, 0);
            bw_coap_writer_add_opt(&w, 1, "x", 1);
            bw_coap_writer_add_opt(&w, numbers[a], value, lens[b]);
            assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
            assert_int_equal(bw_coap_parse(&msg, buf, len), 0);
            assert_int_equal(msg.option_count, 2);
            assert_int_equal(msg.options_len, len - 4);
            if (numbers[a] == 1) {
                bw_coap_opt_iter_t it;
                bw_coap_opt_iter_init(&it, &msg);
                assert_int_equal(bw_coap_opt_next(&it, &opt), 1);
                assert_int_equal(bw_coap_opt_next(&it, &opt), 1);
            } else {
                assert_int_equal(bw_coap_opt_find(&msg, numbers[a], &opt), 0);
            }
            assert_int_equal(opt.number, numbers[a]);
            assert_int_equal(opt.len, lens[b]);
            assert_memory_equal(opt.value, value, lens[b]);
        }
    }
}

/*
 * Order errors: a lower option number after a higher one, and any option
 * after payload, are BW_EORDER; equal numbers are fine.  Errors stick: the
 * later good calls change nothing and finish reports the first error.
 */
static void test_order_and_sticky(void **state)
{
    (void)state;
    uint8_t buf[64];
    bw_coap_writer_t w;
    size_t len = 5;

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_coap_writer_add_opt(&w, 11, "a", 1);
    bw_coap_writer_add_opt(&w, 11, "b", 1);
    assert_int_equal(w.err, 0);
    bw_coap_writer_add_opt(&w, 4, "c", 1);
    size_t frozen = w.len;
    bw_coap_writer_add_opt(&w, 60, NULL, 0);
    bw_coap_writer_payload(&w, "p", 1);
    assert_int_equal(w.len, frozen);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EORDER);
    assert_int_equal(len, 0);

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_coap_writer_payload(&w, "p", 1);
    bw_coap_writer_add_opt(&w, 11, "a", 1);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EORDER);

    /* The first error wins: ENOSPC, then an order error. */
    bw_coap_writer_init(&w, buf, 6, BW_COAP_CON, BW_COAP_GET, 1, NULL, 0);
    bw_coap_writer_add_opt(&w, 11, "abc", 3);
    bw_coap_writer_add_opt(&w, 1, "a", 1);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_ENOSPC);

    /* A zero-length payload is no payload: options may still follow. */
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_coap_writer_payload(&w, NULL, 0);
    bw_coap_writer_add_opt(&w, 11, "a", 1);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(len, 6);
}

/* Caller misuse at init and in the add calls is BW_EINVAL. */
static void test_invalid_arguments(void **state)
{
    (void)state;
    uint8_t buf[64];
    static const uint8_t tok[9] = {0};
    bw_coap_writer_t w;
    size_t len;

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, tok,
                        9);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, tok,
                        8);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(len, 12);
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        2);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
    bw_coap_writer_init(&w, buf, sizeof buf, 4, BW_COAP_GET, 1, NULL, 0);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
    bw_coap_writer_init(&w, NULL, 16, BW_COAP_CON, BW_COAP_GET, 1, NULL, 0);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_coap_writer_add_opt(&w, 11, NULL, 3);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET, 1, NULL,
                        0);
    bw_coap_writer_payload(&w, NULL, 3);
    bw_assert_err(bw_coap_writer_finish(&w, &len), BW_EINVAL);

    bw_assert_err(bw_coap_writer_finish(NULL, &len), BW_EINVAL);
    bw_assert_err(bw_coap_writer_finish(&w, NULL), BW_EINVAL);
    /* NULL writers are ignored, not dereferenced. */
    bw_coap_writer_init(NULL, buf, sizeof buf, 0, 1, 1, NULL, 0);
    bw_coap_writer_add_opt(NULL, 1, "a", 1);
    bw_coap_writer_add_uint(NULL, 1, 1);
    bw_coap_writer_payload(NULL, "a", 1);
}

/*
 * Capacity sweep: build the same message into caps 0..n+2 of a buffer
 * filled with a canary.  Below n the result is BW_ENOSPC; at n and above
 * the bytes equal the reference.  Either way no byte at or past cap
 * changes.
 */
static void test_capacity_sweep(void **state)
{
    (void)state;
    static const uint8_t tok[] = {0xde, 0xad};
    uint8_t ref[128];
    size_t ref_len;
    bw_coap_writer_t w;

    bw_coap_writer_init(&w, ref, sizeof ref, BW_COAP_CON, BW_COAP_PUT, 77, tok,
                        sizeof tok);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "3", 1);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "0", 1);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 11542);
    bw_coap_writer_add_opt(&w, 300, "0123456789abcdef", 16);
    bw_coap_writer_payload(&w, "hello ", 6);
    bw_coap_writer_payload(&w, "world", 5);
    assert_int_equal(bw_coap_writer_finish(&w, &ref_len), 0);

    for (size_t cap = 0; cap <= ref_len + 2; cap++) {
        uint8_t buf[sizeof ref];
        size_t len = 1;
        memset(buf, 0xa5, sizeof buf);
        bw_coap_writer_init(&w, buf, cap, BW_COAP_CON, BW_COAP_PUT, 77, tok,
                            sizeof tok);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "3", 1);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "0", 1);
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 11542);
        bw_coap_writer_add_opt(&w, 300, "0123456789abcdef", 16);
        bw_coap_writer_payload(&w, "hello ", 6);
        bw_coap_writer_payload(&w, "world", 5);
        int err = bw_coap_writer_finish(&w, &len);
        if (cap < ref_len) {
            bw_assert_err(err, BW_ENOSPC);
            assert_int_equal(len, 0);
        } else {
            assert_int_equal(err, 0);
            assert_int_equal(len, ref_len);
            assert_memory_equal(buf, ref, ref_len);
        }
        for (size_t i = cap; i < sizeof buf; i++)
            if (buf[i] != 0xa5)
                fail_msg("cap %zu: byte %zu written", cap, i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_examples),
        cmocka_unit_test(test_empty_message),
        cmocka_unit_test(test_encoding_boundaries),
        cmocka_unit_test(test_uint_encoding),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_sweep),
        cmocka_unit_test(test_order_and_sticky),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_capacity_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
