/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pull reader on bad and awkward input: reserved and indefinite
 * forms, unsupported simple values, truncated heads, length bombs,
 * nesting bombs, type mismatches (which must not consume), integer range,
 * container bounds, sticky errors and the final completeness check.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/cbor.h"

/* Reader over hex; the bytes live in a heap block of exactly their size,
 * so AddressSanitizer catches any read past the end. */
typedef struct {
    bw_cbor_reader_t r;
    uint8_t *buf;
    size_t len;
} fixture_t;

static void open_hex(fixture_t *f, const char *hex)
{
    uint8_t tmp[256];
    f->len = bw_test_hex(hex, tmp, sizeof tmp);
    f->buf = malloc(f->len ? f->len : 1);
    assert_non_null(f->buf);
    memcpy(f->buf, tmp, f->len);
    bw_cbor_reader_init(&f->r, f->buf, f->len);
}

static void close_hex(fixture_t *f)
{
    free(f->buf);
    f->buf = NULL;
}

/* Peek the first item of hex and return the verdict. */
static int peek_hex(const char *hex)
{
    fixture_t f;
    bw_cbor_kind_t k;
    open_hex(&f, hex);
    int err = bw_cbor_peek(&f.r, &k);
    if (err != 0)
        assert_int_equal(k, BW_CBOR_END);
    close_hex(&f);
    return err;
}

/* Skip the first item of hex and return the verdict. */
static int skip_hex(const char *hex)
{
    fixture_t f;
    open_hex(&f, hex);
    int err = bw_cbor_skip(&f.r);
    close_hex(&f);
    return err;
}

/*
 * Additional info 28..30 is reserved on every major type (RFC 8949
 * section 3): not well-formed, whatever follows, for peek and skip.
 */
static void test_reserved_ai(void **state)
{
    (void)state;
    char hex[8];
    for (unsigned major = 0; major < 8; major++) {
        for (unsigned ai = 28; ai <= 30; ai++) {
            snprintf(hex, sizeof hex, "%02x00", major << 5 | ai);
            bw_assert_err(peek_hex(hex), BW_EMALFORMED);
            bw_assert_err(skip_hex(hex), BW_EMALFORMED);
        }
    }
}

/*
 * Additional info 31: indefinite length on strings, arrays and maps is
 * well-formed but unsupported; on integers, tags and major 7 (a "break"
 * outside any indefinite item) it is not well-formed.
 */
static void test_indefinite(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        int err;
    } rows[] = {
        {"1f", BW_EMALFORMED},     {"3f", BW_EMALFORMED},
        {"5fff", BW_EUNSUPPORTED}, {"7fff", BW_EUNSUPPORTED},
        {"9fff", BW_EUNSUPPORTED}, {"bfff", BW_EUNSUPPORTED},
        {"df00", BW_EMALFORMED},   {"ff", BW_EMALFORMED},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        bw_assert_err(peek_hex(rows[i].hex), rows[i].err);
        bw_assert_err(skip_hex(rows[i].hex), rows[i].err);
    }
}

/*
 * Simple values: only false, true, null, undefined are in the subset.
 * 0..19 and two-byte 32..255 are well-formed but unsupported; the two-byte
 * form of a value below 32 is not well-formed (RFC 8949 section 3.3).
 */
static void test_simple_values(void **state)
{
    (void)state;
    char hex[8];
    for (unsigned v = 0; v < 20; v++) {
        snprintf(hex, sizeof hex, "%02x", 0xe0 | v);
        bw_assert_err(peek_hex(hex), BW_EUNSUPPORTED);
    }
    for (unsigned v = 0; v < 256; v++) {
        snprintf(hex, sizeof hex, "f8%02x", v);
        bw_assert_err(peek_hex(hex), v < 32 ? BW_EMALFORMED : BW_EUNSUPPORTED);
        bw_assert_err(skip_hex(hex), v < 32 ? BW_EMALFORMED : BW_EUNSUPPORTED);
    }
    bw_assert_err(peek_hex("f8"), BW_ETRUNC);
    for (unsigned v = 20; v < 24; v++) {
        snprintf(hex, sizeof hex, "%02x", 0xe0 | v);
        bw_assert_err(peek_hex(hex), 0);
    }
}

/* A head whose argument bytes are cut short is truncated, on every
 * major type and argument width; so is a tag with no content. */
static void test_truncated_heads(void **state)
{
    (void)state;
    static const char *const rows[] = {
        "18",   "1900",     "1a000000", "1b00000000000000",
        "38",   "3900",     "5a0000",   "7b",
        "99",   "b8",       "da0000",   "f9",
        "f900", "fa000000", "fb0000",   "c0",
        "d818", "61",       "6261",     "430102",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        fixture_t f;
        bw_cbor_kind_t k;
        open_hex(&f, rows[i]);
        bw_assert_err(bw_cbor_peek(&f.r, &k), BW_ETRUNC);
        close_hex(&f);
        bw_assert_err(skip_hex(rows[i]), BW_ETRUNC);
    }
}

/*
 * Length bombs: a few bytes declaring a 4 GiB or 2^64-1 byte string, or
 * 2^32-1 or 2^64-1 array items, must be refused by the very first peek,
 * before any loop over the declared count.  A map of more than SIZE_MAX/2
 * pairs cannot even be counted (2n items): BW_EOVERFLOW.
 */
static void test_length_bombs(void **state)
{
    (void)state;
    int big = SIZE_MAX > UINT32_MAX ? BW_ETRUNC : BW_EOVERFLOW;
    bw_assert_err(peek_hex("5affffffff"), BW_ETRUNC);
    bw_assert_err(peek_hex("7affffffff61"), BW_ETRUNC);
    bw_assert_err(peek_hex("5bffffffffffffffff"), big);
    bw_assert_err(peek_hex("7bffffffffffffffff"), big);
    bw_assert_err(peek_hex("9affffffff"), BW_ETRUNC);
    bw_assert_err(peek_hex("9bffffffffffffffff"), big);
    bw_assert_err(peek_hex("baffffffff"), BW_ETRUNC);
    bw_assert_err(peek_hex("bbffffffffffffffff"), BW_EOVERFLOW);
    bw_assert_err(skip_hex("9bffffffffffffffff00"), big);
    bw_assert_err(skip_hex("bbffffffffffffffff00"), BW_EOVERFLOW);
    /* Just enough bytes is fine; one item short is caught at the head. */
    bw_assert_err(peek_hex("8301020304"), 0);
    bw_assert_err(peek_hex("830102"), BW_ETRUNC);
    bw_assert_err(peek_hex("a201020304"), 0);
    bw_assert_err(peek_hex("a2010203"), BW_ETRUNC);
    /* The check is against the bytes left, inside a container too. */
    fixture_t f;
    size_t n;
    open_hex(&f, "82 01 5a00010000 00");
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    bw_assert_err(bw_cbor_skip(&f.r), 0);
    bw_assert_err(bw_cbor_skip(&f.r), BW_ETRUNC);
    close_hex(&f);
}

/* Walk a buffer entering every container; returns the first error or
 * the deepest depth reached (as a non-negative value). */
static int walk_depth(const uint8_t *buf, size_t len)
{
    bw_cbor_reader_t r;
    bw_cbor_kind_t k;
    size_t n;
    int deepest = 0;
    bw_cbor_reader_init(&r, buf, len);
    for (;;) {
        int err = bw_cbor_peek(&r, &k);
        if (err == 0 && k == BW_CBOR_END) {
            if (bw_cbor_depth(&r) == 0)
                break;
            err = bw_cbor_leave(&r);
        } else if (err == 0 && k == BW_CBOR_ARRAY) {
            err = bw_cbor_enter_array(&r, &n);
        } else if (err == 0 && k == BW_CBOR_TAG) {
            uint64_t t;
            err = bw_cbor_read_tag(&r, &t);
        } else if (err == 0) {
            err = bw_cbor_skip(&r);
        }
        if (err != 0)
            return err;
        if ((int)bw_cbor_depth(&r) > deepest)
            deepest = (int)bw_cbor_depth(&r);
    }
    int err = bw_cbor_finish(&r);
    return err != 0 ? err : deepest;
}

/*
 * Nesting bomb: 100000 nested one-item arrays around a 0.  Reading must
 * stop with BW_EDEPTH after BW_CBOR_MAX_DEPTH levels, and so must
 * skipping (which keeps no unbounded state either).  Exactly
 * BW_CBOR_MAX_DEPTH levels are accepted by both.  100000 nested tags are
 * not nesting: accepted, in linear time.
 */
static void test_depth_bomb(void **state)
{
    (void)state;
    enum { BOMB = 100000 };
    uint8_t *buf = malloc(BOMB + 1);
    bw_cbor_reader_t r;
    assert_non_null(buf);

    memset(buf, 0x81, BOMB);
    buf[BOMB] = 0x00;
    bw_assert_err(walk_depth(buf, BOMB + 1), BW_EDEPTH);
    bw_cbor_reader_init(&r, buf, BOMB + 1);
    bw_assert_err(bw_cbor_skip(&r), BW_EDEPTH);

    size_t at = BOMB - BW_CBOR_MAX_DEPTH;
    assert_int_equal(walk_depth(buf + at, BW_CBOR_MAX_DEPTH + 1),
                     BW_CBOR_MAX_DEPTH);
    bw_cbor_reader_init(&r, buf + at, BW_CBOR_MAX_DEPTH + 1);
    bw_assert_err(bw_cbor_skip(&r), 0);
    bw_assert_err(bw_cbor_finish(&r), 0);
    assert_int_equal(walk_depth(buf + at - 1, BW_CBOR_MAX_DEPTH + 2),
                     BW_EDEPTH);

    /* Empty containers count as a level too. */
    buf[BOMB - 1] = 0x80;
    bw_cbor_reader_init(&r, buf + BOMB - BW_CBOR_MAX_DEPTH - 1,
                        BW_CBOR_MAX_DEPTH + 1);
    bw_assert_err(bw_cbor_skip(&r), BW_EDEPTH);

    memset(buf, 0xc1, BOMB);
    buf[BOMB] = 0x00;
    assert_int_equal(walk_depth(buf, BOMB + 1), 0);
    bw_cbor_reader_init(&r, buf, BOMB + 1);
    bw_assert_err(bw_cbor_skip(&r), 0);
    bw_assert_err(bw_cbor_finish(&r), 0);
    free(buf);
}

/* One sample item of every kind, and which reads accept it. */
enum {
    RD_UINT,
    RD_INT,
    RD_NINT,
    RD_BYTES,
    RD_TEXT,
    RD_DOUBLE,
    RD_BOOL,
    RD_NULL,
    RD_UNDEF,
    RD_TAG,
    RD_ARRAY,
    RD_MAP,
    RD_COUNT
};

static int read_as(bw_cbor_reader_t *r, int how)
{
    uint64_t u;
    int64_t i;
    const uint8_t *p;
    const char *s;
    size_t n;
    double d;
    bool b;
    switch (how) {
    case RD_UINT:
        return bw_cbor_read_uint(r, &u);
    case RD_INT:
        return bw_cbor_read_int(r, &i);
    case RD_NINT:
        return bw_cbor_read_nint(r, &u);
    case RD_BYTES:
        return bw_cbor_read_bytes(r, &p, &n);
    case RD_TEXT:
        return bw_cbor_read_text(r, &s, &n);
    case RD_DOUBLE:
        return bw_cbor_read_double(r, &d);
    case RD_BOOL:
        return bw_cbor_read_bool(r, &b);
    case RD_NULL:
        return bw_cbor_read_null(r);
    case RD_UNDEF:
        return bw_cbor_read_undefined(r);
    case RD_TAG:
        return bw_cbor_read_tag(r, &u);
    case RD_ARRAY:
        return bw_cbor_enter_array(r, &n);
    default:
        return bw_cbor_enter_map(r, &n);
    }
}

/*
 * Every read on every kind of item: only the matching reads succeed; all
 * others answer BW_ETYPE, leave the item in place (the matching read
 * still works afterwards) and leave no sticky error.
 */
static void test_type_matrix(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        bw_cbor_kind_t kind;
        unsigned ok; /* bit per RD_* that accepts it */
    } samples[] = {
        {"05", BW_CBOR_UINT, 1u << RD_UINT | 1u << RD_INT},
        {"24", BW_CBOR_NINT, 1u << RD_NINT | 1u << RD_INT},
        {"4101", BW_CBOR_BYTES, 1u << RD_BYTES},
        {"6161", BW_CBOR_TEXT, 1u << RD_TEXT},
        {"f93c00", BW_CBOR_FLOAT, 1u << RD_DOUBLE},
        {"fa3f800000", BW_CBOR_FLOAT, 1u << RD_DOUBLE},
        {"fb3ff0000000000000", BW_CBOR_FLOAT, 1u << RD_DOUBLE},
        {"f4", BW_CBOR_BOOL, 1u << RD_BOOL},
        {"f6", BW_CBOR_NULL, 1u << RD_NULL},
        {"f7", BW_CBOR_UNDEFINED, 1u << RD_UNDEF},
        {"c100", BW_CBOR_TAG, 1u << RD_TAG},
        {"8100", BW_CBOR_ARRAY, 1u << RD_ARRAY},
        {"a10000", BW_CBOR_MAP, 1u << RD_MAP},
    };
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        for (int how = 0; how < RD_COUNT; how++) {
            fixture_t f;
            bw_cbor_kind_t k;
            open_hex(&f, samples[s].hex);
            bw_assert_err(bw_cbor_peek(&f.r, &k), 0);
            assert_int_equal(k, samples[s].kind);
            if (samples[s].ok & (1u << how)) {
                bw_assert_err(read_as(&f.r, how), 0);
                close_hex(&f);
                continue;
            }
            bw_assert_err(read_as(&f.r, how), BW_ETYPE);
            bw_assert_err(bw_cbor_reader_error(&f.r), 0);
            bw_assert_err(bw_cbor_peek(&f.r, &k), 0);
            assert_int_equal(k, samples[s].kind);
            /* the right read still gets the whole item */
            int right = 0;
            while (!(samples[s].ok & (1u << right)))
                right++;
            bw_assert_err(read_as(&f.r, right), 0);
            close_hex(&f);
        }
    }
}

/*
 * Integers at the edges of int64_t: INT64_MAX and INT64_MIN read; one
 * beyond either is BW_ERANGE, not sticky, not consumed, and still
 * readable as uint or raw nint.  Values and signs must be exact.
 */
static void test_int_range(void **state)
{
    (void)state;
    fixture_t f;
    int64_t i;
    uint64_t u;

    open_hex(&f, "1b7fffffffffffffff 3b7fffffffffffffff"
                 "1b8000000000000000 3b8000000000000000 3bffffffffffffffff");
    bw_assert_err(bw_cbor_read_int(&f.r, &i), 0);
    assert_true(i == INT64_MAX);
    bw_assert_err(bw_cbor_read_int(&f.r, &i), 0);
    assert_true(i == INT64_MIN);
    bw_assert_err(bw_cbor_read_int(&f.r, &i), BW_ERANGE);
    assert_true(i == 0);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    assert_true(u == UINT64_C(0x8000000000000000));
    bw_assert_err(bw_cbor_read_int(&f.r, &i), BW_ERANGE);
    bw_assert_err(bw_cbor_read_nint(&f.r, &u), 0);
    assert_true(u == UINT64_C(0x8000000000000000));
    bw_assert_err(bw_cbor_read_int(&f.r, &i), BW_ERANGE);
    bw_assert_err(bw_cbor_read_nint(&f.r, &u), 0);
    assert_true(u == UINT64_MAX);
    bw_assert_err(bw_cbor_finish(&f.r), 0);
    close_hex(&f);

    open_hex(&f, "20 37 3818 00 17");
    static const int64_t want[] = {-1, -24, -25, 0, 23};
    for (size_t k = 0; k < 5; k++) {
        bw_assert_err(bw_cbor_read_int(&f.r, &i), 0);
        assert_true(i == want[k]);
    }
    close_hex(&f);
}

/*
 * RFC 8949 allows non-shortest heads; the reader accepts them and reads
 * the same values as the shortest forms.
 */
static void test_non_shortest_accepted(void **state)
{
    (void)state;
    fixture_t f;
    uint64_t u;
    size_t n;
    const uint8_t *p;

    open_hex(&f, "1801 190001 1a00000001 1b0000000000000001"
                 "5801aa 9900010a b800");
    for (int k = 0; k < 4; k++) {
        bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
        assert_true(u == 1);
    }
    bw_assert_err(bw_cbor_read_bytes(&f.r, &p, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(p[0], 0xaa);
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    assert_int_equal(n, 1);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    assert_true(u == 10);
    bw_assert_err(bw_cbor_leave(&f.r), 0);
    bw_assert_err(bw_cbor_enter_map(&f.r, &n), 0);
    assert_int_equal(n, 0);
    bw_assert_err(bw_cbor_leave(&f.r), 0);
    bw_assert_err(bw_cbor_finish(&f.r), 0);
    close_hex(&f);
}

/*
 * Container bounds: peek says END at the end of an array; reading past it
 * is BW_ESTATE; leaving with items unread is BW_ESTATE; leaving at top
 * level is BW_ESTATE.  Each of these is sticky.
 */
static void test_container_bounds(void **state)
{
    (void)state;
    fixture_t f;
    size_t n;
    uint64_t u;
    bw_cbor_kind_t k;

    open_hex(&f, "82 01 02 03");
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    assert_int_equal(n, 2);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    bw_assert_err(bw_cbor_peek(&f.r, &k), 0);
    assert_int_equal(k, BW_CBOR_END);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), BW_ESTATE);
    assert_true(u == 0);
    bw_assert_err(bw_cbor_leave(&f.r), BW_ESTATE);
    close_hex(&f);

    open_hex(&f, "82 01 02");
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    bw_assert_err(bw_cbor_leave(&f.r), BW_ESTATE);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), BW_ESTATE);
    close_hex(&f);

    open_hex(&f, "01");
    bw_assert_err(bw_cbor_leave(&f.r), BW_ESTATE);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), BW_ESTATE);
    close_hex(&f);

    /* A map counts keys and values: 2 pairs are 4 items. */
    open_hex(&f, "a2 01 02 03 04");
    bw_assert_err(bw_cbor_enter_map(&f.r, &n), 0);
    assert_int_equal(n, 2);
    for (int i = 0; i < 4; i++)
        bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    bw_assert_err(bw_cbor_peek(&f.r, &k), 0);
    assert_int_equal(k, BW_CBOR_END);
    bw_assert_err(bw_cbor_leave(&f.r), 0);
    bw_assert_err(bw_cbor_finish(&f.r), 0);
    close_hex(&f);
}

/*
 * A tag and its content are one item of the container: [tag(1) 5] is an
 * array of one.  Leaving between the tag and its content is BW_ESTATE.
 */
static void test_tag_counts_once(void **state)
{
    (void)state;
    fixture_t f;
    size_t n;
    uint64_t u;
    bw_cbor_kind_t k;

    open_hex(&f, "81 c1 05");
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    bw_assert_err(bw_cbor_read_tag(&f.r, &u), 0);
    assert_true(u == 1);
    bw_assert_err(bw_cbor_peek(&f.r, &k), 0);
    assert_int_equal(k, BW_CBOR_UINT);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    assert_true(u == 5);
    bw_assert_err(bw_cbor_leave(&f.r), 0);
    bw_assert_err(bw_cbor_finish(&f.r), 0);
    close_hex(&f);

    open_hex(&f, "81 c1 05");
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    bw_assert_err(bw_cbor_read_tag(&f.r, &u), 0);
    bw_assert_err(bw_cbor_leave(&f.r), BW_ESTATE);
    close_hex(&f);
}

/*
 * bw_cbor_finish(): extra bytes after the item are BW_ETRAILING; an open
 * container or a tag without its content is BW_ETRUNC; an empty input is
 * a complete (empty) sequence, but reading an item from it is BW_ETRUNC.
 */
static void test_finish(void **state)
{
    (void)state;
    fixture_t f;
    uint64_t u;
    size_t n;
    bw_cbor_kind_t k;

    open_hex(&f, "01 02");
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    bw_assert_err(bw_cbor_finish(&f.r), BW_ETRAILING);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), BW_ETRAILING);
    close_hex(&f);

    open_hex(&f, "81 81 00");
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    bw_assert_err(bw_cbor_finish(&f.r), BW_ETRUNC);
    close_hex(&f);

    open_hex(&f, "81 00");
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    bw_assert_err(bw_cbor_finish(&f.r), BW_ETRUNC); /* not left */
    close_hex(&f);

    open_hex(&f, "c1 00");
    bw_assert_err(bw_cbor_read_tag(&f.r, &u), 0);
    bw_assert_err(bw_cbor_finish(&f.r), BW_ETRUNC);
    close_hex(&f);

    open_hex(&f, "");
    bw_assert_err(bw_cbor_peek(&f.r, &k), 0);
    assert_int_equal(k, BW_CBOR_END);
    bw_assert_err(bw_cbor_finish(&f.r), 0);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), BW_ETRUNC);
    bw_assert_err(bw_cbor_finish(&f.r), BW_ETRUNC);
    close_hex(&f);
}

/*
 * Sticky errors: after the first failure every call, whatever it is,
 * answers the same code, even calls that would succeed on their own, and
 * outputs are zeroed.
 */
static void test_sticky(void **state)
{
    (void)state;
    fixture_t f;
    size_t n;
    uint64_t u = 99;
    bw_cbor_kind_t k;
    const char *s;
    const uint8_t *p;

    open_hex(&f, "84 01 1c 02 03");
    bw_assert_err(bw_cbor_enter_array(&f.r, &n), 0);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), BW_EMALFORMED);
    assert_true(u == 0);
    bw_assert_err(bw_cbor_peek(&f.r, &k), BW_EMALFORMED);
    assert_int_equal(k, BW_CBOR_END);
    bw_assert_err(bw_cbor_read_text(&f.r, &s, &n), BW_EMALFORMED);
    assert_null(s);
    bw_assert_err(bw_cbor_read_bytes(&f.r, &p, &n), BW_EMALFORMED);
    assert_null(p);
    bw_assert_err(bw_cbor_skip(&f.r), BW_EMALFORMED);
    bw_assert_err(bw_cbor_skip_rest(&f.r), BW_EMALFORMED);
    bw_assert_err(bw_cbor_leave(&f.r), BW_EMALFORMED);
    bw_assert_err(bw_cbor_finish(&f.r), BW_EMALFORMED);
    bw_assert_err(bw_cbor_reader_error(&f.r), BW_EMALFORMED);
    close_hex(&f);

    /* A UTF-8 failure is sticky too, and the text is not returned. */
    open_hex(&f, "62 c0 80 01");
    bw_assert_err(bw_cbor_read_text(&f.r, &s, &n), BW_EUTF8);
    assert_null(s);
    assert_int_equal(n, 0);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), BW_EUTF8);
    close_hex(&f);

    /* ETYPE is not: the reader goes on. */
    open_hex(&f, "01");
    bw_assert_err(bw_cbor_read_null(&f.r), BW_ETYPE);
    bw_assert_err(bw_cbor_read_uint(&f.r, &u), 0);
    assert_true(u == 1);
    close_hex(&f);
}

/*
 * Misuse: NULL reader or outputs, NULL buffer with a length.  The output
 * pointers that are given are zeroed.
 */
static void test_einval(void **state)
{
    (void)state;
    bw_cbor_reader_t r;
    bw_cbor_kind_t k;
    uint64_t u;
    const uint8_t *p;
    size_t n;
    uint8_t one = 0x01;

    bw_assert_err(bw_cbor_peek(NULL, &k), BW_EINVAL);
    bw_assert_err(bw_cbor_read_uint(NULL, &u), BW_EINVAL);
    bw_assert_err(bw_cbor_skip(NULL), BW_EINVAL);
    bw_assert_err(bw_cbor_leave(NULL), BW_EINVAL);
    bw_assert_err(bw_cbor_finish(NULL), BW_EINVAL);

    bw_cbor_reader_init(&r, NULL, 4);
    bw_assert_err(bw_cbor_peek(&r, &k), BW_EINVAL);

    bw_cbor_reader_init(&r, &one, 1);
    bw_assert_err(bw_cbor_read_uint(&r, NULL), BW_EINVAL);
    bw_assert_err(bw_cbor_read_uint(&r, &u), BW_EINVAL);

    bw_cbor_reader_init(&r, &one, 1);
    bw_assert_err(bw_cbor_peek(&r, NULL), BW_EINVAL);

    bw_cbor_reader_init(&r, (const uint8_t *)"\x41\x00", 2);
    bw_assert_err(bw_cbor_read_bytes(&r, &p, NULL), BW_EINVAL);
    assert_null(p);

    bw_cbor_reader_init(&r, (const uint8_t *)"\x41\x00", 2);
    bw_assert_err(bw_cbor_read_raw(&r, NULL, &n), BW_EINVAL);
    assert_int_equal(n, 0);
}

/*
 * Views point into the caller's buffer at the right place; an empty
 * string gives a non-NULL pointer and length 0.
 */
static void test_views(void **state)
{
    (void)state;
    fixture_t f;
    const uint8_t *p;
    const char *s;
    size_t n;

    open_hex(&f, "40 60 43 010203 63 616263");
    bw_assert_err(bw_cbor_read_bytes(&f.r, &p, &n), 0);
    assert_ptr_equal(p, f.buf + 1);
    assert_int_equal(n, 0);
    bw_assert_err(bw_cbor_read_text(&f.r, &s, &n), 0);
    assert_ptr_equal(s, f.buf + 2);
    assert_int_equal(n, 0);
    bw_assert_err(bw_cbor_read_bytes(&f.r, &p, &n), 0);
    assert_ptr_equal(p, f.buf + 3);
    assert_int_equal(n, 3);
    bw_assert_err(bw_cbor_read_text(&f.r, &s, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "abc", 3);
    bw_assert_err(bw_cbor_finish(&f.r), 0);
    close_hex(&f);
}

/*
 * A copy of the reader is a bookmark: reading ahead on the copy leaves
 * the original where it was, and both read the same items.
 */
static void test_bookmark(void **state)
{
    (void)state;
    fixture_t f;
    size_t n;
    uint64_t a;
    uint64_t b;

    open_hex(&f, "a2 01 18 2a 02 18 2b");
    bw_assert_err(bw_cbor_enter_map(&f.r, &n), 0);
    bw_cbor_reader_t ahead = f.r;
    bw_assert_err(bw_cbor_skip(&ahead), 0);
    bw_assert_err(bw_cbor_read_uint(&ahead, &a), 0);
    assert_true(a == 42);
    bw_assert_err(bw_cbor_read_uint(&f.r, &b), 0);
    assert_true(b == 1);
    bw_assert_err(bw_cbor_read_uint(&f.r, &b), 0);
    assert_true(b == 42);
    close_hex(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserved_ai),
        cmocka_unit_test(test_indefinite),
        cmocka_unit_test(test_simple_values),
        cmocka_unit_test(test_truncated_heads),
        cmocka_unit_test(test_length_bombs),
        cmocka_unit_test(test_depth_bomb),
        cmocka_unit_test(test_type_matrix),
        cmocka_unit_test(test_int_range),
        cmocka_unit_test(test_non_shortest_accepted),
        cmocka_unit_test(test_container_bounds),
        cmocka_unit_test(test_tag_counts_once),
        cmocka_unit_test(test_finish),
        cmocka_unit_test(test_sticky),
        cmocka_unit_test(test_einval),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_bookmark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
