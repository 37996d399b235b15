/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 8949 Appendix A, as a table: every example inside our subset is
 * decoded and must give the listed items; every example in deterministic
 * form is encoded from the listed items and must give the listed bytes.
 * Examples outside the subset (indefinite lengths, other simple values)
 * must be refused with the listed code.
 *
 * Items are written as a compact token string, one token per item, so
 * that a row reads like the RFC's diagnostic notation:
 *
 *   u<N>     unsigned integer N          n<N>   negative integer -1-N
 *   f<G>     float (shortest %g form, inf, -inf, nan)
 *   b<hex>   byte string                 t:<s>  text string (no spaces)
 *   [<N>     array of N items            {<N>   map of N pairs
 *   #<N>     tag N                       T F N U  true false null undefined
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/cbor.h"

#define OUT_CAP 1024
#define BUF_CAP 128

/* Append a formatted token (and a separating space) to out. */
static void emit(char *out, size_t cap, size_t *n, const char *tok)
{
    size_t l = strlen(tok);
    assert_true(*n + l + 2 < cap);
    if (*n > 0)
        out[(*n)++] = ' ';
    memcpy(out + *n, tok, l);
    *n += l;
    out[*n] = '\0';
}

/* Shortest %g form that reads back as the same double. */
static void format_double(double d, char *tok, size_t cap)
{
    if (d != d) {
        snprintf(tok, cap, "fnan");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tok, cap, "f%.*g", prec, d);
        if (strtod(tok + 1, NULL) == d)
            return;
    }
}

/*
 * Walk the whole input generically, entering every container and leaving
 * it at its end, and describe each item as a token.  Returns the first
 * error, or bw_cbor_finish()'s verdict.
 */
static int describe(const uint8_t *in, size_t len, char *out, size_t cap)
{
    bw_cbor_reader_t r;
    size_t n = 0;
    char tok[OUT_CAP];
    int err = 0;

    out[0] = '\0';
    bw_cbor_reader_init(&r, in, len);
    for (;;) {
        bw_cbor_kind_t k;
        uint64_t u;
        size_t sz;
        const uint8_t *p;
        const char *s;
        double d;
        bool b;

        err = bw_cbor_peek(&r, &k);
        if (err != 0)
            return err;
        switch (k) {
        case BW_CBOR_END:
            if (bw_cbor_depth(&r) == 0)
                return bw_cbor_finish(&r);
            err = bw_cbor_leave(&r);
            tok[0] = '\0';
            break;
        case BW_CBOR_UINT:
            err = bw_cbor_read_uint(&r, &u);
            snprintf(tok, sizeof tok, "u%llu", (unsigned long long)u);
            break;
        case BW_CBOR_NINT:
            err = bw_cbor_read_nint(&r, &u);
            snprintf(tok, sizeof tok, "n%llu", (unsigned long long)u);
            break;
        case BW_CBOR_BYTES:
            err = bw_cbor_read_bytes(&r, &p, &sz);
            tok[0] = 'b';
            assert_true(2 * sz + 2 < sizeof tok);
            for (size_t i = 0; i < sz; i++)
                snprintf(tok + 1 + 2 * i, 3, "%02x", p[i]);
            tok[1 + 2 * sz] = '\0';
            break;
        case BW_CBOR_TEXT:
            err = bw_cbor_read_text(&r, &s, &sz);
            assert_true(sz + 3 < sizeof tok);
            snprintf(tok, sizeof tok, "t:%.*s", (int)sz, s);
            break;
        case BW_CBOR_ARRAY:
            err = bw_cbor_enter_array(&r, &sz);
            snprintf(tok, sizeof tok, "[%zu", sz);
            break;
        case BW_CBOR_MAP:
            err = bw_cbor_enter_map(&r, &sz);
            snprintf(tok, sizeof tok, "{%zu", sz);
            break;
        case BW_CBOR_TAG:
            err = bw_cbor_read_tag(&r, &u);
            snprintf(tok, sizeof tok, "#%llu", (unsigned long long)u);
            break;
        case BW_CBOR_FLOAT:
            err = bw_cbor_read_double(&r, &d);
            format_double(d, tok, sizeof tok);
            break;
        case BW_CBOR_BOOL:
            err = bw_cbor_read_bool(&r, &b);
            snprintf(tok, sizeof tok, "%s", b ? "T" : "F");
            break;
        case BW_CBOR_NULL:
            err = bw_cbor_read_null(&r);
            snprintf(tok, sizeof tok, "N");
            break;
        case BW_CBOR_UNDEFINED:
            err = bw_cbor_read_undefined(&r);
            snprintf(tok, sizeof tok, "U");
            break;
        }
        if (err != 0)
            return err;
        if (tok[0] != '\0')
            emit(out, cap, &n, tok);
    }
}

/* Encode a token string with the writer; returns finish()'s verdict. */
static int build(const char *tokens, uint8_t *buf, size_t cap, size_t *len)
{
    bw_cbor_writer_t w;
    char copy[OUT_CAP];
    uint8_t bytes[BUF_CAP];

    bw_cbor_writer_init(&w, buf, cap);
    snprintf(copy, sizeof copy, "%s", tokens);
    for (char *t = strtok(copy, " "); t != NULL; t = strtok(NULL, " ")) {
        switch (t[0]) {
        case 'u':
            bw_cbor_write_uint(&w, strtoull(t + 1, NULL, 10));
            break;
        case 'n':
            bw_cbor_write_nint(&w, strtoull(t + 1, NULL, 10));
            break;
        case 'f':
            bw_cbor_write_double(&w, strtod(t + 1, NULL));
            break;
        case 'b': {
            size_t n = bw_test_hex(t + 1, bytes, sizeof bytes);
            bw_cbor_write_bytes(&w, bytes, n);
            break;
        }
        case 't':
            bw_cbor_write_text(&w, t + 2, strlen(t + 2));
            break;
        case '[':
            bw_cbor_write_array(&w, strtoull(t + 1, NULL, 10));
            break;
        case '{':
            bw_cbor_write_map(&w, strtoull(t + 1, NULL, 10));
            break;
        case '#':
            bw_cbor_write_tag(&w, strtoull(t + 1, NULL, 10));
            break;
        case 'T':
        case 'F':
            bw_cbor_write_bool(&w, t[0] == 'T');
            break;
        case 'N':
            bw_cbor_write_null(&w);
            break;
        case 'U':
            bw_cbor_write_undefined(&w);
            break;
        default:
            fail_msg("bad token %s", t);
        }
    }
    return bw_cbor_writer_finish(&w, len);
}

typedef struct {
    const char *hex;    /* encoding as printed in the RFC */
    const char *items;  /* expected tokens, NULL when refused */
    int err;            /* expected code when refused */
    bool deterministic; /* the writer must produce exactly hex */
} vector_t;

#define OK(h, i)                                                               \
    {                                                                          \
        h, i, 0, true                                                          \
    }
#define DECODE_ONLY(h, i)                                                      \
    {                                                                          \
        h, i, 0, false                                                         \
    }
#define REFUSED(h, e)                                                          \
    {                                                                          \
        h, NULL, e, false                                                      \
    }

static const vector_t vectors[] = {
    /* integers */
    OK("00", "u0"),
    OK("01", "u1"),
    OK("0a", "u10"),
    OK("17", "u23"),
    OK("1818", "u24"),
    OK("1819", "u25"),
    OK("1864", "u100"),
    OK("1903e8", "u1000"),
    OK("1a000f4240", "u1000000"),
    OK("1b000000e8d4a51000", "u1000000000000"),
    OK("1bffffffffffffffff", "u18446744073709551615"),
    OK("c249010000000000000000", "#2 b010000000000000000"),
    OK("3bffffffffffffffff", "n18446744073709551615"),
    OK("c349010000000000000000", "#3 b010000000000000000"),
    OK("20", "n0"),
    OK("29", "n9"),
    OK("3863", "n99"),
    OK("3903e7", "n999"),
    /* floats */
    OK("f90000", "f0"),
    OK("f98000", "f-0"),
    OK("f93c00", "f1"),
    OK("fb3ff199999999999a", "f1.1"),
    OK("f93e00", "f1.5"),
    OK("f97bff", "f65504"),
    OK("fa47c35000", "f1e+05"),
    OK("fa7f7fffff", "f3.4028234663852886e+38"),
    OK("fb7e37e43c8800759c", "f1e+300"),
    OK("f90001", "f5.9604644775390625e-08"),
    OK("f90400", "f6.103515625e-05"),
    OK("f9c400", "f-4"),
    OK("fbc010666666666666", "f-4.1"),
    OK("f97c00", "finf"),
    OK("f97e00", "fnan"),
    OK("f9fc00", "f-inf"),
    DECODE_ONLY("fa7f800000", "finf"),
    DECODE_ONLY("fa7fc00000", "fnan"),
    DECODE_ONLY("faff800000", "f-inf"),
    DECODE_ONLY("fb7ff0000000000000", "finf"),
    DECODE_ONLY("fb7ff8000000000000", "fnan"),
    DECODE_ONLY("fbfff0000000000000", "f-inf"),
    /* simple values */
    OK("f4", "F"),
    OK("f5", "T"),
    OK("f6", "N"),
    OK("f7", "U"),
    REFUSED("f0", BW_EUNSUPPORTED),
    REFUSED("f8ff", BW_EUNSUPPORTED),
    /* tags */
    OK("c074323031332d30332d32315432303a30343a30305a",
       "#0 t:2013-03-21T20:04:00Z"),
    OK("c11a514b67b0", "#1 u1363896240"),
    OK("c1fb41d452d9ec200000", "#1 f1363896240.5"),
    OK("d74401020304", "#23 b01020304"),
    OK("d818456449455446", "#24 b6449455446"),
    OK("d82076687474703a2f2f7777772e6578616d706c652e636f6d",
       "#32 t:http://www.example.com"),
    /* strings */
    OK("40", "b"),
    OK("4401020304", "b01020304"),
    OK("60", "t:"),
    OK("6161", "t:a"),
    OK("6449455446", "t:IETF"),
    OK("62225c", "t:\"\\"),
    OK("62c3bc", "t:\xc3\xbc"),
    OK("63e6b0b4", "t:\xe6\xb0\xb4"),
    OK("64f0908591", "t:\xf0\x90\x85\x91"),
    /* arrays and maps */
    OK("80", "[0"),
    OK("83010203", "[3 u1 u2 u3"),
    OK("8301820203820405", "[3 u1 [2 u2 u3 [2 u4 u5"),
    OK("98190102030405060708090a0b0c0d0e0f101112131415161718181819",
       "[25 u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u11 u12 u13 u14 u15 u16 u17 "
       "u18 u19 u20 u21 u22 u23 u24 u25"),
    OK("a0", "{0"),
    OK("a201020304", "{2 u1 u2 u3 u4"),
    OK("a26161016162820203", "{2 t:a u1 t:b [2 u2 u3"),
    OK("826161a161626163", "[2 t:a {1 t:b t:c"),
    OK("a56161614161626142616361436164614461656145",
       "{5 t:a t:A t:b t:B t:c t:C t:d t:D t:e t:E"),
    /* indefinite lengths: well-formed, outside the subset */
    REFUSED("5f42010243030405ff", BW_EUNSUPPORTED),
    REFUSED("7f657374726561646d696e67ff", BW_EUNSUPPORTED),
    REFUSED("9fff", BW_EUNSUPPORTED),
    REFUSED("9f018202039f0405ffff", BW_EUNSUPPORTED),
    REFUSED("9f01820203820405ff", BW_EUNSUPPORTED),
    REFUSED("83018202039f0405ff", BW_EUNSUPPORTED),
    REFUSED("83019f0203ff820405", BW_EUNSUPPORTED),
    REFUSED("bf61610161629f0203ffff", BW_EUNSUPPORTED),
    REFUSED("826161bf61626163ff", BW_EUNSUPPORTED),
    REFUSED("bf6346756ef563416d7421ff", BW_EUNSUPPORTED),
};

#define N_VECTORS (sizeof vectors / sizeof vectors[0])

/*
 * Decode every row: the items must match the row exactly, or the error
 * must be exactly the one listed.
 */
static void test_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        uint8_t in[BUF_CAP];
        char out[OUT_CAP];
        size_t len = bw_test_hex(vectors[i].hex, in, sizeof in);
        int err = describe(in, len, out, sizeof out);
        if (vectors[i].items == NULL) {
            bw_assert_err(err, vectors[i].err);
            continue;
        }
        bw_assert_err(err, 0);
        if (strcmp(out, vectors[i].items) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", vectors[i].hex, out,
                     vectors[i].items);
    }
}

/* Encode every deterministic row: the bytes must be the RFC's. */
static void test_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        uint8_t want[BUF_CAP];
        uint8_t got[BUF_CAP];
        size_t got_len;
        if (!vectors[i].deterministic)
            continue;
        size_t want_len = bw_test_hex(vectors[i].hex, want, sizeof want);
        bw_assert_err(build(vectors[i].items, got, sizeof got, &got_len), 0);
        assert_int_equal(got_len, want_len);
        assert_memory_equal(got, want, want_len);
    }
}

/*
 * Every non-empty proper prefix of an accepted row is a truncated item:
 * the walk must fail with BW_ETRUNC (never read past the prefix: the
 * prefix is copied into a buffer of exactly its size for ASan).
 */
static void test_every_prefix_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        uint8_t in[BUF_CAP];
        char out[OUT_CAP];
        if (vectors[i].items == NULL)
            continue;
        size_t len = bw_test_hex(vectors[i].hex, in, sizeof in);
        for (size_t cut = 1; cut < len; cut++) {
            uint8_t *copy = malloc(cut);
            assert_non_null(copy);
            memcpy(copy, in, cut);
            int err = describe(copy, cut, out, sizeof out);
            free(copy);
            if (err != BW_ETRUNC)
                fail_msg("%s cut at %zu: %s", vectors[i].hex, cut,
                         bw_err_name(err));
        }
    }
}

/*
 * Skipping an accepted row as one item must consume it whole, and
 * read_raw must return exactly its bytes; a refused row must be refused
 * by skip with the same code.
 */
static void test_skip_agrees(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        uint8_t in[BUF_CAP];
        bw_cbor_reader_t r;
        const uint8_t *raw;
        size_t raw_len;
        size_t len = bw_test_hex(vectors[i].hex, in, sizeof in);

        bw_cbor_reader_init(&r, in, len);
        int err = bw_cbor_read_raw(&r, &raw, &raw_len);
        if (vectors[i].items == NULL) {
            bw_assert_err(err, vectors[i].err);
            continue;
        }
        bw_assert_err(err, 0);
        assert_ptr_equal(raw, in);
        assert_int_equal(raw_len, len);
        bw_assert_err(bw_cbor_finish(&r), 0);
    }
}

/*
 * All accepted rows back to back form one CBOR sequence (RFC 8742): the
 * walk must give every row's tokens in order and finish must accept it;
 * skipping item by item must find exactly one top-level item per row
 * (a tag and its content being one item).
 */
static void test_sequence(void **state)
{
    (void)state;
    static uint8_t in[4096];
    static char want[8192];
    static char out[8192];
    size_t len = 0;
    size_t wn = 0;
    size_t rows = 0;

    for (size_t i = 0; i < N_VECTORS; i++) {
        if (vectors[i].items == NULL)
            continue;
        len += bw_test_hex(vectors[i].hex, in + len, sizeof in - len);
        wn += (size_t)snprintf(want + wn, sizeof want - wn, "%s%s",
                               wn ? " " : "", vectors[i].items);
        rows++;
    }
    bw_assert_err(describe(in, len, out, sizeof out), 0);
    assert_string_equal(out, want);

    bw_cbor_reader_t r;
    bw_cbor_reader_init(&r, in, len);
    size_t items = 0;
    for (;;) {
        bw_cbor_kind_t k;
        bw_assert_err(bw_cbor_peek(&r, &k), 0);
        if (k == BW_CBOR_END)
            break;
        bw_assert_err(bw_cbor_skip(&r), 0);
        items++;
    }
    bw_assert_err(bw_cbor_finish(&r), 0);
    assert_int_equal(items, rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_every_prefix_truncated),
        cmocka_unit_test(test_skip_agrees),
        cmocka_unit_test(test_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
