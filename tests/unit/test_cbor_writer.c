/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The writer: shortest heads at every width boundary, round trips through
 * the reader, every too-small buffer size (must fail cleanly, report the
 * size needed and never store past cap), sticky errors and misuse.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "bulwark/cbor.h"

#define CANARY 0xa5
#define SLACK  16

/*
 * Integer heads at each boundary between argument widths, for both
 * signs: the writer must pick the shortest form (RFC 8949 section 4.2.1).
 */
static void test_int_boundaries(void **state)
{
    (void)state;
    static const struct {
        int64_t value;
        const char *hex;
    } rows[] = {
        {0, "00"},
        {23, "17"},
        {24, "1818"},
        {255, "18ff"},
        {256, "190100"},
        {65535, "19ffff"},
        {65536, "1a00010000"},
        {4294967295, "1affffffff"},
        {4294967296, "1b0000000100000000"},
        {INT64_MAX, "1b7fffffffffffffff"},
        {-1, "20"},
        {-24, "37"},
        {-25, "3818"},
        {-256, "38ff"},
        {-257, "390100"},
        {-65537, "3a00010000"},
        {-4294967297, "3b0000000100000000"},
        {INT64_MIN, "3b7fffffffffffffff"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t want[9];
        uint8_t got[9];
        size_t len;
        size_t want_len = bw_test_hex(rows[i].hex, want, sizeof want);
        bw_cbor_writer_t w;
        bw_cbor_writer_init(&w, got, sizeof got);
        bw_cbor_write_int(&w, rows[i].value);
        bw_assert_err(bw_cbor_writer_finish(&w, &len), 0);
        assert_int_equal(len, want_len);
        assert_memory_equal(got, want, len);
    }
    /* uint and raw nint at the top of the range */
    uint8_t got[18];
    size_t len;
    bw_cbor_writer_t w;
    bw_cbor_writer_init(&w, got, sizeof got);
    bw_cbor_write_uint(&w, UINT64_MAX);
    bw_cbor_write_nint(&w, UINT64_MAX);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), 0);
    uint8_t want[18];
    assert_int_equal(len, bw_test_hex("1bffffffffffffffff 3bffffffffffffffff",
                                      want, sizeof want));
    assert_memory_equal(got, want, len);
}

/*
 * A document using every writer call, as a COSE_Sign1-like structure:
 * tag 18, [bstr, {1: -7}, bstr payload, text, float, bool, null,
 * undefined, raw item].
 */
static const uint8_t payload[] = {0xde, 0xad, 0xbe, 0xef};
static const uint8_t raw_item[] = {0x82, 0x01, 0x61, 0x7a}; /* [1, "z"] */

static void write_doc(bw_cbor_writer_t *w)
{
    bw_cbor_write_tag(w, 18);
    bw_cbor_write_array(w, 9);
    bw_cbor_write_bytes(w, "\xa1\x01\x26", 3);
    bw_cbor_write_map(w, 1);
    bw_cbor_write_uint(w, 1);
    bw_cbor_write_int(w, -7);
    bw_cbor_write_bytes(w, payload, sizeof payload);
    bw_cbor_write_text(w, "m\xc3\xa9tal", 6);
    bw_cbor_write_double(w, 21.5);
    bw_cbor_write_bool(w, false);
    bw_cbor_write_null(w);
    bw_cbor_write_undefined(w);
    bw_cbor_write_raw(w, raw_item, sizeof raw_item);
}

static const char doc_hex[] = "d2 89 43a10126 a1 01 26 44deadbeef"
                              "666dc3a974616c f94d60 f4 f6 f7 8201617a";

/* The document's bytes are exactly the expected deterministic encoding,
 * and the reader gives back every value written. */
static void test_round_trip(void **state)
{
    (void)state;
    uint8_t buf[64];
    uint8_t want[64];
    size_t len;
    bw_cbor_writer_t w;
    bw_cbor_writer_init(&w, buf, sizeof buf);
    write_doc(&w);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), 0);
    size_t want_len = bw_test_hex(doc_hex, want, sizeof want);
    assert_int_equal(len, want_len);
    assert_memory_equal(buf, want, len);

    bw_cbor_reader_t r;
    uint64_t u;
    int64_t i;
    size_t n;
    const uint8_t *p;
    const char *s;
    double d;
    bool b;
    bw_cbor_reader_init(&r, buf, len);
    bw_assert_err(bw_cbor_read_tag(&r, &u), 0);
    assert_true(u == 18);
    bw_assert_err(bw_cbor_enter_array(&r, &n), 0);
    assert_int_equal(n, 9);
    bw_assert_err(bw_cbor_read_bytes(&r, &p, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(p, "\xa1\x01\x26", 3);
    bw_assert_err(bw_cbor_enter_map(&r, &n), 0);
    assert_int_equal(n, 1);
    bw_assert_err(bw_cbor_read_uint(&r, &u), 0);
    assert_true(u == 1);
    bw_assert_err(bw_cbor_read_int(&r, &i), 0);
    assert_true(i == -7);
    bw_assert_err(bw_cbor_leave(&r), 0);
    bw_assert_err(bw_cbor_read_bytes(&r, &p, &n), 0);
    assert_int_equal(n, sizeof payload);
    assert_memory_equal(p, payload, n);
    bw_assert_err(bw_cbor_read_text(&r, &s, &n), 0);
    assert_int_equal(n, 6);
    assert_memory_equal(s, "m\xc3\xa9tal", 6);
    bw_assert_err(bw_cbor_read_double(&r, &d), 0);
    assert_true(d == 21.5);
    bw_assert_err(bw_cbor_read_bool(&r, &b), 0);
    assert_false(b);
    bw_assert_err(bw_cbor_read_null(&r), 0);
    bw_assert_err(bw_cbor_read_undefined(&r), 0);
    bw_assert_err(bw_cbor_read_raw(&r, &p, &n), 0);
    assert_int_equal(n, sizeof raw_item);
    assert_memory_equal(p, raw_item, n);
    bw_assert_err(bw_cbor_leave(&r), 0);
    bw_assert_err(bw_cbor_finish(&r), 0);
}

/*
 * Every capacity from 0 to one short of the document: finish must say
 * BW_ENOSPC with the full size needed, the bytes stored must be a prefix
 * of the full encoding, and nothing may be stored at or past cap (the
 * buffer is a heap block of exactly cap bytes for ASan, followed in a
 * second copy by canary bytes that must survive).  At exactly the right
 * size the write succeeds.
 */
static void test_every_capacity(void **state)
{
    (void)state;
    uint8_t full[64];
    size_t full_len = bw_test_hex(doc_hex, full, sizeof full);
    size_t len;

    for (size_t cap = 0; cap <= full_len; cap++) {
        uint8_t *exact = malloc(cap ? cap : 1);
        uint8_t guarded[64 + SLACK];
        bw_cbor_writer_t w;
        assert_non_null(exact);
        memset(exact, CANARY, cap ? cap : 1);
        memset(guarded, CANARY, sizeof guarded);

        bw_cbor_writer_init(&w, cap ? exact : NULL, cap);
        write_doc(&w);
        int want = cap < full_len ? BW_ENOSPC : 0;
        bw_assert_err(bw_cbor_writer_finish(&w, &len), want);
        assert_int_equal(len, full_len);

        bw_cbor_writer_init(&w, guarded, cap);
        write_doc(&w);
        bw_assert_err(bw_cbor_writer_finish(&w, &len), want);
        for (size_t i = cap; i < sizeof guarded; i++)
            assert_int_equal(guarded[i], CANARY);
        /* what was stored is the start of the right encoding */
        size_t stored = 0;
        while (stored < cap && guarded[stored] == full[stored])
            stored++;
        for (size_t i = stored; i < cap; i++)
            assert_int_equal(guarded[i], CANARY);
        if (want == 0)
            assert_memory_equal(guarded, full, full_len);
        free(exact);
    }
}

/* A (NULL, 0) writer measures: ENOSPC with the exact size needed. */
static void test_measure(void **state)
{
    (void)state;
    bw_cbor_writer_t w;
    size_t len = 0;
    bw_cbor_writer_init(&w, NULL, 0);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), 0);
    assert_int_equal(len, 0);
    write_doc(&w);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), BW_ENOSPC);
    uint8_t full[64];
    assert_int_equal(len, bw_test_hex(doc_hex, full, sizeof full));
}

/*
 * Hard errors: invalid UTF-8 text is BW_EUTF8; NULL data with a length is
 * BW_EINVAL; both are sticky (later writes store nothing) and both take
 * precedence over BW_ENOSPC, whose length is then meaningless (0).
 */
static void test_errors(void **state)
{
    (void)state;
    uint8_t buf[8];
    size_t len = 99;
    bw_cbor_writer_t w;

    bw_cbor_writer_init(&w, buf, sizeof buf);
    bw_cbor_write_uint(&w, 1);
    bw_cbor_write_text(&w, "\xed\xa0\x80", 3);
    memset(buf + 1, CANARY, sizeof buf - 1);
    bw_cbor_write_uint(&w, 2);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), BW_EUTF8);
    assert_int_equal(len, 0);
    assert_int_equal(buf[1], CANARY);

    bw_cbor_writer_init(&w, buf, 1);
    bw_cbor_write_uint(&w, 1000); /* needs 3: ENOSPC */
    bw_cbor_write_bytes(&w, NULL, 4);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), BW_EINVAL);
    assert_int_equal(len, 0);

    bw_cbor_writer_init(&w, buf, sizeof buf);
    bw_cbor_write_raw(&w, NULL, 1);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), BW_EINVAL);

    bw_cbor_writer_init(&w, buf, sizeof buf);
    bw_cbor_write_text(&w, NULL, 2);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), BW_EINVAL);

    bw_cbor_writer_init(&w, NULL, 5);
    bw_cbor_write_uint(&w, 1);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), BW_EINVAL);

    bw_assert_err(bw_cbor_writer_finish(NULL, &len), BW_EINVAL);
    assert_int_equal(len, 0);

    /* Empty strings and raw runs are fine with NULL. */
    bw_cbor_writer_init(&w, buf, sizeof buf);
    bw_cbor_write_bytes(&w, NULL, 0);
    bw_cbor_write_text(&w, NULL, 0);
    bw_cbor_write_raw(&w, NULL, 0);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), 0);
    assert_int_equal(len, 2);
    assert_int_equal(buf[0], 0x40);
    assert_int_equal(buf[1], 0x60);
}

/*
 * Long strings get 2- and 4-byte length heads; the payload follows
 * intact.
 */
static void test_long_strings(void **state)
{
    (void)state;
    enum { LONG = 70000 };
    uint8_t *data = malloc(LONG);
    uint8_t *buf = malloc(LONG + 400);
    assert_non_null(data);
    assert_non_null(buf);
    for (size_t i = 0; i < LONG; i++)
        data[i] = (uint8_t)('a' + i % 26);
    size_t len;
    bw_cbor_writer_t w;
    bw_cbor_writer_init(&w, buf, LONG + 400);
    bw_cbor_write_bytes(&w, data, 300);
    bw_cbor_write_text(&w, (const char *)data, LONG);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), 0);
    assert_int_equal(len, 3 + 300 + 5 + LONG);
    assert_int_equal(buf[0], 0x59);
    assert_int_equal(buf[303], 0x7a);

    bw_cbor_reader_t r;
    const uint8_t *p;
    const char *s;
    size_t n;
    bw_cbor_reader_init(&r, buf, len);
    bw_assert_err(bw_cbor_read_bytes(&r, &p, &n), 0);
    assert_int_equal(n, 300);
    bw_assert_err(bw_cbor_read_text(&r, &s, &n), 0);
    assert_int_equal(n, LONG);
    assert_memory_equal(s, data, LONG);
    bw_assert_err(bw_cbor_finish(&r), 0);
    free(data);
    free(buf);
}

/*
 * Measuring cannot wrap: once the total would pass SIZE_MAX the writer
 * answers BW_EOVERFLOW (a measuring writer stores nothing, so the huge
 * length is never dereferenced).
 */
static void test_length_overflow(void **state)
{
    (void)state;
    bw_cbor_writer_t w;
    size_t len = 99;
    uint8_t one = 0;
    bw_cbor_writer_init(&w, NULL, 0);
    bw_cbor_write_raw(&w, &one, 1);
    bw_cbor_write_raw(&w, &one, SIZE_MAX);
    bw_assert_err(bw_cbor_writer_finish(&w, &len), BW_EOVERFLOW);
    assert_int_equal(len, 0);

    bw_cbor_writer_init(&w, NULL, 0);
    bw_cbor_write_raw(&w, &one, SIZE_MAX - 2);
    bw_cbor_write_uint(&w, 1000); /* a 3-byte head: one too many */
    bw_assert_err(bw_cbor_writer_finish(&w, &len), BW_EOVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_boundaries),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_capacity),
        cmocka_unit_test(test_measure),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_length_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
