/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP parser (RFC 7252 section 3): the RFC's example messages, every
 * delta/length encoding boundary, and one exact error code for each kind
 * of malformed datagram.  Every datagram under test is copied into a heap
 * block of exactly its size, so AddressSanitizer flags a read past the end.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "bulwark/coap.h"

/* Parse a copy of buf that ends exactly at len bytes. */
static int parse_exact(bw_coap_msg_t *msg, const uint8_t *buf, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, buf, len);
    int err = bw_coap_parse(msg, copy, len);
    /* The view points into copy; callers here only look at scalars after
     * this, so the block is released once the pointers are cleared. */
    if (err == 0) {
        msg->options = NULL;
        msg->payload = NULL;
    }
    free(copy);
    return err;
}

static int parse_hex(bw_coap_msg_t *msg, const char *hex)
{
    uint8_t buf[2048];
    size_t n = bw_test_hex(hex, buf, sizeof buf);
    return parse_exact(msg, buf, n);
}

/*
 * RFC 7252 figure A.1: CON GET, MID 0x7d34, Uri-Path "temperature", no
 * token.  Every header field and the single option must come back.
 */
static void test_rfc_get_request(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = bw_test_hex("40 01 7d 34 bb 74 65 6d 70 65 72 61 74 75 72 65",
                           buf, sizeof buf);
    bw_coap_msg_t msg;
    bw_coap_opt_t opt;

    assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
    assert_int_equal(msg.type, BW_COAP_CON);
    assert_int_equal(msg.code, BW_COAP_GET);
    assert_int_equal(msg.mid, 0x7d34);
    assert_int_equal(msg.token_len, 0);
    assert_int_equal(msg.option_count, 1);
    assert_ptr_equal(msg.options, buf + 4);
    assert_int_equal(msg.options_len, 12);
    assert_null(msg.payload);
    assert_int_equal(msg.payload_len, 0);
    assert_int_equal(bw_coap_opt_find(&msg, BW_COAP_OPT_URI_PATH, &opt), 0);
    assert_int_equal(opt.len, 11);
    assert_memory_equal(opt.value, "temperature", 11);
}

/*
 * RFC 7252 figure A.1's answer: ACK 2.05 with payload "22.3 C" and no
 * options.  The payload view must cover exactly the bytes after 0xFF.
 */
static void test_rfc_piggybacked_response(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = bw_test_hex("60 45 7d 34 ff 32 32 2e 33 20 43", buf, sizeof buf);
    bw_coap_msg_t msg;

    assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
    assert_int_equal(msg.type, BW_COAP_ACK);
    assert_int_equal(msg.code, BW_COAP_CONTENT);
    assert_int_equal(msg.option_count, 0);
    assert_null(msg.options);
    assert_ptr_equal(msg.payload, buf + 5);
    assert_int_equal(msg.payload_len, 6);
    assert_memory_equal(msg.payload, "22.3 C", 6);
}

/*
 * RFC 7252 figure A.3 style: NON with a 2-byte token and a separate 2.05
 * response with a 4-byte token.  The token bytes are copied into the view.
 */
static void test_rfc_tokens(void **state)
{
    (void)state;
    bw_coap_msg_t msg;
    uint8_t buf[64];
    size_t n = bw_test_hex("52 01 a1 23 71 2f bb 74 65 6d 70 65 72 61 74 75 72"
                           "65",
                           buf, sizeof buf);

    assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
    assert_int_equal(msg.type, BW_COAP_NON);
    assert_int_equal(msg.token_len, 2);
    assert_int_equal(msg.token[0], 0x71);
    assert_int_equal(msg.token[1], 0x2f);

    n = bw_test_hex("44 45 12 34 01 02 03 04 ff 61", buf, sizeof buf);
    assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
    assert_int_equal(msg.type, BW_COAP_CON);
    assert_int_equal(msg.token_len, 4);
    assert_memory_equal(msg.token, "\x01\x02\x03\x04", 4);
    assert_int_equal(msg.payload_len, 1);
}

/*
 * An Empty message (code 0.00) is the bare 4-byte header: the empty ACK and
 * the RST of section 4.  Anything after the header, or a token, is a
 * message format error.
 */
static void test_empty_message(void **state)
{
    (void)state;
    bw_coap_msg_t msg;

    assert_int_equal(parse_hex(&msg, "60 00 12 34"), 0);
    assert_int_equal(msg.type, BW_COAP_ACK);
    assert_int_equal(msg.code, BW_COAP_EMPTY);
    assert_int_equal(parse_hex(&msg, "70 00 12 34"), 0);
    assert_int_equal(msg.type, BW_COAP_RST);
    /* "ping": an Empty CON. */
    assert_int_equal(parse_hex(&msg, "40 00 00 01"), 0);

    bw_assert_err(parse_hex(&msg, "41 00 12 34 aa"), BW_EMALFORMED);
    /* A token length with no token bytes is still a malformed Empty. */
    bw_assert_err(parse_hex(&msg, "42 00 12 34"), BW_EMALFORMED);
    bw_assert_err(parse_hex(&msg, "60 00 12 34 ff 01"), BW_EMALFORMED);
    bw_assert_err(parse_hex(&msg, "60 00 12 34 b1 61"), BW_EMALFORMED);
    bw_assert_err(parse_hex(&msg, "60 00 12 34 ff"), BW_EMALFORMED);
}

/* Version bits other than 1 are rejected, whatever follows. */
static void test_version(void **state)
{
    (void)state;
    bw_coap_msg_t msg;

    bw_assert_err(parse_hex(&msg, "00 01 00 01"), BW_EVERSION);
    bw_assert_err(parse_hex(&msg, "80 01 00 01"), BW_EVERSION);
    bw_assert_err(parse_hex(&msg, "c0 01 00 01"), BW_EVERSION);
    /* The header check comes first: three bytes is truncated. */
    bw_assert_err(parse_hex(&msg, "80 01 00"), BW_ETRUNC);
}

/* TKL 0..8 is accepted; 9..15 is BW_ETOKEN even with bytes to spare. */
static void test_token_length(void **state)
{
    (void)state;
    uint8_t buf[32];
    bw_coap_msg_t msg;

    memset(buf, 0xab, sizeof buf);
    buf[1] = BW_COAP_GET;
    buf[2] = 0;
    buf[3] = 1;
    for (unsigned tkl = 0; tkl <= 15; tkl++) {
        buf[0] = (uint8_t)(0x40 | tkl);
        int err = parse_exact(&msg, buf, 4 + tkl);
        if (tkl <= 8) {
            assert_int_equal(err, 0);
            assert_int_equal(msg.token_len, tkl);
        } else {
            bw_assert_err(err, BW_ETOKEN);
            /* A failed parse leaves the view zeroed. */
            assert_int_equal(msg.code, 0);
            assert_int_equal(msg.token_len, 0);
        }
    }
}

/* Build "header + one option with this raw option header and value". */
static size_t one_opt(uint8_t *buf, const uint8_t *ohdr, size_t ohdr_len,
                      size_t vlen)
{
    size_t n = bw_test_hex("40 01 00 01", buf, 4);
    memcpy(buf + n, ohdr, ohdr_len);
    n += ohdr_len;
    for (size_t i = 0; i < vlen; i++)
        buf[n++] = (uint8_t)('a' + i % 26);
    return n;
}

/*
 * Every length encoding boundary, written by hand from section 3.1: 12 is
 * the last in-nibble length, 13 the first one-byte extended (ext 0), 268
 * the last one-byte (ext 255), 269 the first two-byte (ext 0x0000), and
 * BW_COAP_MAX_OPTION_LEN the largest accepted.  Option number 11.
 */
static void test_length_boundaries(void **state)
{
    (void)state;
    static const struct {
        uint8_t hdr[3];
        size_t hdr_len;
        size_t vlen;
    } cases[] = {
        {{0xb0}, 1, 0},
        {{0xbc}, 1, 12},
        {{0xbd, 0x00}, 2, 13},
        {{0xbd, 0xff}, 2, 268},
        {{0xbe, 0x00, 0x00}, 3, 269},
        {{0xbe, 0x02, 0xfd}, 3, BW_COAP_MAX_OPTION_LEN},
    };
    uint8_t buf[1100];
    bw_coap_msg_t msg;
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = one_opt(buf, cases[i].hdr, cases[i].hdr_len, cases[i].vlen);
        assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
        assert_int_equal(msg.option_count, 1);
        bw_coap_opt_iter_init(&it, &msg);
        assert_int_equal(bw_coap_opt_next(&it, &opt), 1);
        assert_int_equal(opt.number, 11);
        assert_int_equal(opt.len, cases[i].vlen);
        assert_ptr_equal(opt.value, buf + 4 + cases[i].hdr_len);
        assert_int_equal(bw_coap_opt_next(&it, &opt), 0);
    }
}

/*
 * Delta boundaries likewise: 12, 13 (ext 0x00), 268 (ext 0xff), 269 (ext
 * 0x0000), and the largest number 65535 (ext 0xfef2).  One past 65535 must
 * overflow, both from zero and by summing two deltas.
 */
static void test_delta_boundaries(void **state)
{
    (void)state;
    static const struct {
        uint8_t hdr[3];
        size_t hdr_len;
        unsigned number;
    } cases[] = {
        {{0xc0}, 1, 12},
        {{0xd0, 0x00}, 2, 13},
        {{0xd0, 0xff}, 2, 268},
        {{0xe0, 0x00, 0x00}, 3, 269},
        {{0xe0, 0xfe, 0xf2}, 3, 65535},
    };
    uint8_t buf[64];
    bw_coap_msg_t msg;
    bw_coap_opt_t opt;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = one_opt(buf, cases[i].hdr, cases[i].hdr_len, 0);
        assert_int_equal(parse_exact(&msg, buf, n), 0);
        n = one_opt(buf, cases[i].hdr, cases[i].hdr_len, 0);
        assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
        assert_int_equal(
            bw_coap_opt_find(&msg, (uint16_t)cases[i].number, &opt), 0);
        assert_int_equal(opt.len, 0);
    }
    bw_assert_err(parse_hex(&msg, "40 01 00 01 e0 fe f3"), BW_EOVERFLOW);
    bw_assert_err(parse_hex(&msg, "40 01 00 01 e0 ff ff"), BW_EOVERFLOW);
    /* 65000 + 536 = 65536: the sum overflows, not either delta. */
    bw_assert_err(parse_hex(&msg, "40 01 00 01 e0 fc db e0 01 0b"),
                  BW_EOVERFLOW);
    assert_int_equal(parse_hex(&msg, "40 01 00 01 e0 fc db e0 01 0a"), 0);
}

/*
 * Repeated options (delta 0) are kept in order; the iterator sees each and
 * bw_coap_opt_find returns the first.  Uri-Path "rd", "ep" then Uri-Query.
 */
static void test_repeated_options(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = bw_test_hex("42 02 00 07 aa bb b2 72 64 02 65 70 42 6c 74 ff 78",
                           buf, sizeof buf);
    bw_coap_msg_t msg;
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;

    assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
    assert_int_equal(msg.option_count, 3);
    assert_int_equal(msg.options_len, 9);
    bw_coap_opt_iter_init(&it, &msg);
    assert_int_equal(bw_coap_opt_next(&it, &opt), 1);
    assert_int_equal(opt.number, BW_COAP_OPT_URI_PATH);
    assert_memory_equal(opt.value, "rd", 2);
    assert_int_equal(bw_coap_opt_next(&it, &opt), 1);
    assert_int_equal(opt.number, BW_COAP_OPT_URI_PATH);
    assert_memory_equal(opt.value, "ep", 2);
    assert_int_equal(bw_coap_opt_next(&it, &opt), 1);
    assert_int_equal(opt.number, BW_COAP_OPT_URI_QUERY);
    assert_memory_equal(opt.value, "lt", 2);
    assert_int_equal(bw_coap_opt_next(&it, &opt), 0);
    /* Exhausted iterators stay exhausted. */
    assert_int_equal(bw_coap_opt_next(&it, &opt), 0);

    assert_int_equal(bw_coap_opt_find(&msg, BW_COAP_OPT_URI_PATH, &opt), 0);
    assert_memory_equal(opt.value, "rd", 2);
    bw_assert_err(bw_coap_opt_find(&msg, BW_COAP_OPT_CONTENT_FORMAT, &opt),
                  BW_ENOTFOUND);
    assert_null(opt.value);
    bw_assert_err(bw_coap_opt_find(&msg, 60, &opt), BW_ENOTFOUND);
}

/* Reserved nibble 15 in delta (not 0xFF) or in length is BW_EOPTION. */
static void test_reserved_nibbles(void **state)
{
    (void)state;
    bw_coap_msg_t msg;

    bw_assert_err(parse_hex(&msg, "40 01 00 01 f0"), BW_EOPTION);
    bw_assert_err(parse_hex(&msg, "40 01 00 01 f1 61"), BW_EOPTION);
    bw_assert_err(parse_hex(&msg, "40 01 00 01 bf 61"), BW_EOPTION);
    bw_assert_err(parse_hex(&msg, "40 01 00 01 0f"), BW_EOPTION);
    /* Reserved length with a truncated extended delta: still EOPTION. */
    bw_assert_err(parse_hex(&msg, "40 01 00 01 df"), BW_EOPTION);
    /* After a good option. */
    bw_assert_err(parse_hex(&msg, "40 01 00 01 b1 61 1f"), BW_EOPTION);
}

/* A payload marker with nothing behind it is BW_EPAYLOAD. */
static void test_payload_marker(void **state)
{
    (void)state;
    bw_coap_msg_t msg;

    bw_assert_err(parse_hex(&msg, "40 01 00 01 ff"), BW_EPAYLOAD);
    bw_assert_err(parse_hex(&msg, "41 01 00 01 aa b1 61 ff"), BW_EPAYLOAD);
    assert_int_equal(parse_hex(&msg, "40 01 00 01 ff ff"), 0);
    assert_int_equal(msg.payload_len, 1);
}

/*
 * Truncated extended fields and values, and declared lengths past the
 * limit (checked before truncation, so a huge claim costs nothing).
 */
static void test_truncated_and_huge_options(void **state)
{
    (void)state;
    bw_coap_msg_t msg;

    bw_assert_err(parse_hex(&msg, "40 01 00 01 d0"), BW_ETRUNC);
    bw_assert_err(parse_hex(&msg, "40 01 00 01 e0 01"), BW_ETRUNC);
    bw_assert_err(parse_hex(&msg, "40 01 00 01 bd"), BW_ETRUNC);
    bw_assert_err(parse_hex(&msg, "40 01 00 01 be 00"), BW_ETRUNC);
    bw_assert_err(parse_hex(&msg, "40 01 00 01 b3 61 62"), BW_ETRUNC);
    bw_assert_err(parse_hex(&msg, "40 01 00 01 bd 00 61"), BW_ETRUNC);
    /* 1035 = 269 + 0x2fe: one past the limit. */
    bw_assert_err(parse_hex(&msg, "40 01 00 01 be 02 fe"), BW_EOVERFLOW);
    /* 65804, the most the wire can declare. */
    bw_assert_err(parse_hex(&msg, "40 01 00 01 be ff ff 61"), BW_EOVERFLOW);
    /* Token shorter than TKL. */
    bw_assert_err(parse_hex(&msg, "48 01 00 01 01 02 03"), BW_ETRUNC);
    bw_assert_err(parse_hex(&msg, ""), BW_ETRUNC);
    bw_assert_err(parse_hex(&msg, "40"), BW_ETRUNC);
}

/*
 * Truncate a valid message (token, three options with one- and two-byte
 * extended fields, payload) at every length.  Each prefix either parses,
 * exactly when it ends on an item boundary, or fails with the expected
 * code: BW_ETRUNC inside the header, token or an option, BW_EPAYLOAD when
 * it ends on the marker.
 */
static void test_truncate_every_length(void **state)
{
    (void)state;
    uint8_t buf[600];
    size_t n = bw_test_hex("43 02 12 34 01 02 03", buf, sizeof buf);
    size_t ok_at[8];
    size_t ok_n = 0;
    size_t marker_at;

    ok_at[ok_n++] = n; /* after the token */
    /* Uri-Path "rd" (delta 11). */
    n += bw_test_hex("b2 72 64", buf + n, sizeof buf - n);
    ok_at[ok_n++] = n;
    /* Option 300 (delta 289, two-byte ext), 20-byte value (one-byte ext). */
    n += bw_test_hex("ed 00 14 07", buf + n, sizeof buf - n);
    memset(buf + n, 'v', 20);
    n += 20;
    ok_at[ok_n++] = n;
    /* Option 300 again, 300-byte value (two-byte length). */
    n += bw_test_hex("0e 00 1f", buf + n, sizeof buf - n);
    memset(buf + n, 'w', 300);
    n += 300;
    ok_at[ok_n++] = n;
    marker_at = n;
    buf[n++] = 0xff;
    n += bw_test_hex("70 61 79", buf + n, sizeof buf - n);

    bw_coap_msg_t msg;
    assert_int_equal(parse_exact(&msg, buf, n), 0);
    assert_int_equal(msg.option_count, 3);
    assert_int_equal(msg.payload_len, 3);

    for (size_t cut = 0; cut < n; cut++) {
        int err = parse_exact(&msg, buf, cut);
        int want = BW_ETRUNC;
        for (size_t i = 0; i < ok_n; i++)
            if (cut == ok_at[i])
                want = 0;
        if (cut == marker_at + 1)
            want = BW_EPAYLOAD;
        if (cut > marker_at + 1)
            want = 0; /* a shorter payload is still a payload */
        if (err != want)
            fail_msg("cut at %zu: got %s, want %s", cut, bw_err_name(err),
                     bw_err_name(want));
    }
}

/*
 * uint options: 0..4 bytes big endian, leading zeros allowed on receive,
 * five bytes overflow.  Content-Format 11542 (2 bytes), Max-Age 0 (empty),
 * Size1 0x00000102 (leading zeros), Observe with 5 bytes.
 */
static void test_uint_options(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = bw_test_hex("40 01 00 01 62 00 07 62 2d 16 20 d4 21 00 00 "
                           "01 02",
                           buf, sizeof buf);
    bw_coap_msg_t msg;
    uint32_t v = 99;

    assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
    assert_int_equal(bw_coap_msg_uint(&msg, BW_COAP_OPT_OBSERVE, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(bw_coap_msg_uint(&msg, BW_COAP_OPT_CONTENT_FORMAT, &v), 0);
    assert_int_equal(v, 11542);
    assert_int_equal(bw_coap_msg_uint(&msg, BW_COAP_OPT_MAX_AGE, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(bw_coap_msg_uint(&msg, BW_COAP_OPT_SIZE1, &v), 0);
    assert_int_equal(v, 0x102);
    v = 99;
    bw_assert_err(bw_coap_msg_uint(&msg, BW_COAP_OPT_ACCEPT, &v), BW_ENOTFOUND);
    assert_int_equal(v, 0);

    n = bw_test_hex("40 01 00 01 65 01 02 03 04 05", buf, sizeof buf);
    assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
    v = 99;
    bw_assert_err(bw_coap_msg_uint(&msg, BW_COAP_OPT_OBSERVE, &v),
                  BW_EOVERFLOW);
    assert_int_equal(v, 0);

    bw_coap_opt_t opt = {.number = 6, .len = 4, .value = buf};
    memcpy(buf, "\xff\xff\xff\xff", 4);
    assert_int_equal(bw_coap_opt_uint(&opt, &v), 0);
    assert_int_equal(v, 0xffffffffu);
}

/*
 * Critical options (odd numbers) the caller does not list are refused and
 * named; elective ones (even) pass whether listed or not.
 */
static void test_check_critical(void **state)
{
    (void)state;
    uint8_t buf[64];
    /* Uri-Path (11, critical), Content-Format (12, elective), option 2048
     * (elective, unknown), option 2049 (critical, unknown). */
    size_t n = bw_test_hex("40 02 00 01 b1 61 10 e0 06 e7 10", buf, sizeof buf);
    bw_coap_msg_t msg;
    uint16_t bad = 1;
    static const uint16_t known[] = {BW_COAP_OPT_URI_PATH,
                                     BW_COAP_OPT_URI_QUERY};
    static const uint16_t known_more[] = {BW_COAP_OPT_URI_PATH, 2049};

    assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
    assert_int_equal(msg.option_count, 4);
    bw_assert_err(bw_coap_check_critical(&msg, known, 2, &bad), BW_ECRITICAL);
    assert_int_equal(bad, 2049);
    assert_int_equal(bw_coap_check_critical(&msg, known_more, 2, &bad), 0);
    assert_int_equal(bad, 0);
    /* Nothing known: Uri-Path is the first offender. */
    bw_assert_err(bw_coap_check_critical(&msg, NULL, 0, &bad), BW_ECRITICAL);
    assert_int_equal(bad, BW_COAP_OPT_URI_PATH);
    bw_assert_err(bw_coap_check_critical(&msg, NULL, 0, NULL), BW_ECRITICAL);
    bw_assert_err(bw_coap_check_critical(&msg, NULL, 1, &bad), BW_EINVAL);

    /* Only elective options: accepted with an empty list. */
    n = bw_test_hex("40 02 00 01 c0 e0 06 e3", buf, sizeof buf);
    assert_int_equal(bw_coap_parse(&msg, buf, n), 0);
    assert_int_equal(bw_coap_check_critical(&msg, NULL, 0, &bad), 0);
}

/* NULL arguments are caller errors, never crashes. */
static void test_null_arguments(void **state)
{
    (void)state;
    bw_coap_msg_t msg;
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    uint32_t v;

    bw_assert_err(bw_coap_parse(NULL, (const uint8_t *)"\x40\x01\0\0", 4),
                  BW_EINVAL);
    bw_assert_err(bw_coap_parse(&msg, NULL, 4), BW_EINVAL);
    bw_assert_err(bw_coap_parse(&msg, NULL, 0), BW_ETRUNC);
    bw_assert_err(bw_coap_opt_find(NULL, 11, &opt), BW_EINVAL);
    bw_assert_err(bw_coap_opt_uint(NULL, &v), BW_EINVAL);
    bw_assert_err(bw_coap_msg_uint(NULL, 11, &v), BW_EINVAL);
    bw_assert_err(bw_coap_check_critical(NULL, NULL, 0, NULL), BW_EINVAL);
    bw_coap_opt_iter_init(&it, NULL);
    assert_int_equal(bw_coap_opt_next(&it, &opt), 0);
    assert_int_equal(bw_coap_opt_next(NULL, &opt), 0);
}

/*
 * The iterator is safe on a view that did not come from the parser: a
 * hand-made view whose option bytes are garbage stops, it does not read
 * past options_len.
 */
static void test_iterator_on_forged_view(void **state)
{
    (void)state;
    uint8_t *bytes = malloc(3);
    assert_non_null(bytes);
    memcpy(bytes, "\xbe\xff\xff", 3); /* claims 65804 bytes */
    bw_coap_msg_t msg;
    memset(&msg, 0, sizeof msg);
    msg.options = bytes;
    msg.options_len = 3;
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;

    bw_coap_opt_iter_init(&it, &msg);
    assert_int_equal(bw_coap_opt_next(&it, &opt), 0);
    assert_null(opt.value);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_get_request),
        cmocka_unit_test(test_rfc_piggybacked_response),
        cmocka_unit_test(test_rfc_tokens),
        cmocka_unit_test(test_empty_message),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_token_length),
        cmocka_unit_test(test_length_boundaries),
        cmocka_unit_test(test_delta_boundaries),
        cmocka_unit_test(test_repeated_options),
        cmocka_unit_test(test_reserved_nibbles),
        cmocka_unit_test(test_payload_marker),
        cmocka_unit_test(test_truncated_and_huge_options),
        cmocka_unit_test(test_truncate_every_length),
        cmocka_unit_test(test_uint_options),
        cmocka_unit_test(test_check_critical),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_iterator_on_forged_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
