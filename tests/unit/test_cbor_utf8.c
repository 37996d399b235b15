/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 validation of text strings, on read, on skip and on write.
 * Edge cases from RFC 3629 (overlong forms, surrogates, code points above
 * U+10FFFF, truncated and broken sequences) are listed by hand; then every
 * one- and two-byte string, and every three- and four-byte string built
 * from boundary bytes, is checked against a reference decoder written
 * here in a different way (decode the code point, then judge it).
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/cbor.h"

/* Verdict of the reader on a text string holding s[0..n). */
static int read_text(const uint8_t *s, size_t n)
{
    uint8_t buf[16];
    bw_cbor_reader_t r;
    const char *t;
    size_t tl;
    assert_true(n < 24 && n + 1 <= sizeof buf);
    buf[0] = (uint8_t)(0x60 | n);
    memcpy(buf + 1, s, n);
    bw_cbor_reader_init(&r, buf, n + 1);
    int err = bw_cbor_read_text(&r, &t, &tl);
    if (err == 0) {
        assert_ptr_equal(t, (const char *)buf + 1);
        assert_int_equal(tl, n);
        bw_assert_err(bw_cbor_finish(&r), 0);
    }
    /* skip must agree */
    bw_cbor_reader_init(&r, buf, n + 1);
    bw_assert_err(bw_cbor_skip(&r), err);
    return err;
}

/* Verdict of the writer on the same string. */
static int write_text(const uint8_t *s, size_t n)
{
    uint8_t buf[32];
    size_t len;
    bw_cbor_writer_t w;
    bw_cbor_writer_init(&w, buf, sizeof buf);
    bw_cbor_write_text(&w, (const char *)s, n);
    return bw_cbor_writer_finish(&w, &len);
}

/*
 * Reference: decode one sequence by its bit pattern and judge the code
 * point.  Returns the sequence length, or 0 when invalid.
 */
static size_t ref_one(const uint8_t *s, size_t n)
{
    uint32_t cp;
    size_t len;
    uint32_t min;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2, cp = s[0] & 0x1fu, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, cp = s[0] & 0x0fu, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, cp = s[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static int ref_check(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t l = ref_one(s + i, n - i);
        if (l == 0)
            return BW_EUTF8;
        i += l;
    }
    return 0;
}

/* Hand-picked edge cases with their verdicts. */
static void test_edge_cases(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        int err;
        const char *why;
    } rows[] = {
        {"", 0, "empty"},
        {"00", 0, "NUL is a character"},
        {"7f", 0, "last ASCII"},
        {"c280", 0, "U+0080, first two-byte"},
        {"dfbf", 0, "U+07FF, last two-byte"},
        {"e0a080", 0, "U+0800, first three-byte"},
        {"ed9fbf", 0, "U+D7FF, before the surrogates"},
        {"ee8080", 0, "U+E000, after the surrogates"},
        {"efbfbf", 0, "U+FFFF"},
        {"f0908080", 0, "U+10000, first four-byte"},
        {"f48fbfbf", 0, "U+10FFFF, last code point"},
        {"41c3bc e6b0b4 f0908591", 0, "mixed widths"},
        {"80", BW_EUTF8, "lone continuation byte"},
        {"bf", BW_EUTF8, "lone continuation byte"},
        {"c080", BW_EUTF8, "overlong NUL"},
        {"c1bf", BW_EUTF8, "overlong U+007F"},
        {"e08080", BW_EUTF8, "overlong three-byte NUL"},
        {"e09fbf", BW_EUTF8, "overlong U+07FF"},
        {"f0808080", BW_EUTF8, "overlong four-byte NUL"},
        {"f08fbfbf", BW_EUTF8, "overlong U+FFFF"},
        {"eda080", BW_EUTF8, "surrogate U+D800"},
        {"edbfbf", BW_EUTF8, "surrogate U+DFFF"},
        {"eda0bdedb2a9", BW_EUTF8, "CESU-8 surrogate pair"},
        {"f4908080", BW_EUTF8, "U+110000"},
        {"f5808080", BW_EUTF8, "lead byte F5"},
        {"f888808080", BW_EUTF8, "five-byte form"},
        {"fe", BW_EUTF8, "FE"},
        {"ff", BW_EUTF8, "FF"},
        {"c2", BW_EUTF8, "truncated two-byte"},
        {"e180", BW_EUTF8, "truncated three-byte"},
        {"f18080", BW_EUTF8, "truncated four-byte"},
        {"41c2", BW_EUTF8, "truncated at the end"},
        {"c241", BW_EUTF8, "ASCII where a continuation is due"},
        {"e18041", BW_EUTF8, "broken third byte"},
        {"f18080c0", BW_EUTF8, "broken fourth byte"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t s[16];
        size_t n = bw_test_hex(rows[i].hex, s, sizeof s);
        int got = read_text(s, n);
        if (got != rows[i].err)
            fail_msg("%s (%s): read %s", rows[i].hex, rows[i].why,
                     bw_err_name(got));
        bw_assert_err(write_text(s, n), rows[i].err);
        bw_assert_err(ref_check(s, n), rows[i].err);
    }
}

/* Every string of one and two bytes: reader and reference agree. */
static void test_all_short_strings(void **state)
{
    (void)state;
    uint8_t s[2];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (uint8_t)a;
        bw_assert_err(read_text(s, 1), ref_check(s, 1));
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (uint8_t)b;
            bw_assert_err(read_text(s, 2), ref_check(s, 2));
        }
    }
}

/*
 * Three- and four-byte strings: every lead byte from E0 up, every second
 * byte, and boundary values for the rest.
 */
static void test_long_sequences(void **state)
{
    (void)state;
    static const uint8_t edge[] = {0x00, 0x41, 0x7f, 0x80, 0x81, 0x8f, 0x90,
                                   0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xf4, 0xff};
    uint8_t s[4];
    for (unsigned a = 0xe0; a < 256; a++) {
        s[0] = (uint8_t)a;
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (uint8_t)b;
            for (size_t c = 0; c < sizeof edge; c++) {
                s[2] = edge[c];
                bw_assert_err(read_text(s, 3), ref_check(s, 3));
                for (size_t d = 0; d < sizeof edge; d++) {
                    s[3] = edge[d];
                    bw_assert_err(read_text(s, 4), ref_check(s, 4));
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_all_short_strings),
        cmocka_unit_test(test_long_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
