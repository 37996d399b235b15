/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/config.c: "name = value" configuration text (bulwark/config.h).
 *
 * Each test hands a text to bw_config_parse with a callback that records
 * every setting, then checks the settings seen (name, value, line, order)
 * or the exact error code and the line it names.  The scratch buffer is
 * allocated on the heap at its exact size, so AddressSanitizer catches a
 * write one byte past it; limits are tried at the bound and one past it.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "bulwark/config.h"

#define REC_MAX 16

typedef struct {
    unsigned line;
    char name[64];
    char value[BW_CONFIG_LINE_MAX + 1];
} rec_t;

typedef struct {
    rec_t rec[REC_MAX];
    size_t n;
    int fail_at; /* callback returns fail_code at this setting (1-based) */
    int fail_code;
} seen_t;

static int record(void *arg, unsigned line, const char *name, const char *value)
{
    seen_t *s = arg;
    assert_true(s->n < REC_MAX);
    assert_true(strlen(name) < sizeof s->rec[0].name);
    rec_t *r = &s->rec[s->n++];
    r->line = line;
    strcpy(r->name, name);
    assert_true(strlen(value) < sizeof r->value);
    strcpy(r->value, value);
    if (s->fail_at > 0 && (size_t)s->fail_at == s->n)
        return s->fail_code;
    return 0;
}

/* Parse text[0..len) into a fresh seen_t; *diag and the code out. */
static int parse_n(const char *text, size_t len, seen_t **seen,
                   bw_config_diag_t *diag)
{
    seen_t *s = calloc(1, sizeof *s);
    bw_config_scratch_t *scratch = malloc(sizeof *scratch);
    assert_non_null(s);
    assert_non_null(scratch);
    int err = bw_config_parse(text, len, scratch, record, s, diag);
    free(scratch);
    *seen = s;
    return err;
}

static int parse(const char *text, seen_t **seen, bw_config_diag_t *diag)
{
    return parse_n(text, strlen(text), seen, diag);
}

static void expect(const seen_t *s, size_t i, unsigned line, const char *name,
                   const char *value)
{
    assert_true(i < s->n);
    assert_int_equal(s->rec[i].line, line);
    assert_string_equal(s->rec[i].name, name);
    assert_string_equal(s->rec[i].value, value);
}

/* The error code and line a text must be refused with, no setting on or
 * after that line seen, and a sentence saying why. */
static void refused(const char *text, size_t len, int code, unsigned line)
{
    seen_t *s;
    bw_config_diag_t d;
    int err = parse_n(text, len, &s, &d);
    bw_assert_err(err, code);
    assert_int_equal(d.line, line);
    assert_non_null(d.what);
    assert_true(d.what[0] != '\0');
    for (size_t i = 0; i < s->n; i++)
        assert_true(s->rec[i].line < line);
    free(s);
}
#define REFUSED(text, code, line) refused((text), sizeof(text) - 1, code, line)

/* Settings, blank lines, comments and blanks around names and values:
 * each setting arrives once, in order, trimmed, with its own line. */
static void test_settings_in_order(void **state)
{
    (void)state;
    seen_t *s;
    bw_config_diag_t d;
    int err = parse("# device\n"
                    "endpoint = dev-1\n"
                    "\n"
                    "   \t\n"
                    "\tdm-port=5684  \n"
                    "  # indented comment\n"
                    "state\t=\t/var/lib/x y\n",
                    &s, &d);
    assert_int_equal(err, 0);
    assert_int_equal(s->n, 3);
    expect(s, 0, 2, "endpoint", "dev-1");
    expect(s, 1, 5, "dm-port", "5684");
    expect(s, 2, 7, "state", "/var/lib/x y");
    assert_int_equal(d.line, 7);
    assert_string_equal(d.what, "");
    free(s);
}

/* '#' starts a comment at line start or after a blank only; the first
 * '=' ends the name; an empty value is a value. */
static void test_comments_and_equals(void **state)
{
    (void)state;
    seen_t *s;
    bw_config_diag_t d;
    int err = parse("a = b#c\n"
                    "b = x # comment\n"
                    "c = # only a comment\n"
                    "d =#kept\n"
                    "e =\n"
                    "f = coaps://h:1/?x=y=z\n"
                    "g=h\t# tab before\n",
                    &s, &d);
    assert_int_equal(err, 0);
    assert_int_equal(s->n, 7);
    expect(s, 0, 1, "a", "b#c");
    expect(s, 1, 2, "b", "x");
    expect(s, 2, 3, "c", "");
    expect(s, 3, 4, "d", "#kept");
    expect(s, 4, 5, "e", "");
    expect(s, 5, 6, "f", "coaps://h:1/?x=y=z");
    expect(s, 6, 7, "g", "h");
    free(s);
}

/* Quotes keep blanks and '#'; \" and \\ are the only escapes; a comment
 * may follow the closing quote; backslashes outside quotes are literal. */
static void test_quoting(void **state)
{
    (void)state;
    seen_t *s;
    bw_config_diag_t d;
    int err = parse("a = \"  two # words  \"\n"
                    "b = \"say \\\"hi\\\" \\\\ done\"   # c\n"
                    "c = \"\"\n"
                    "d = C:\\dir\\\n"
                    "e = x\"y\"\n"
                    "f = \"=\"\n",
                    &s, &d);
    assert_int_equal(err, 0);
    assert_int_equal(s->n, 6);
    expect(s, 0, 1, "a", "  two # words  ");
    expect(s, 1, 2, "b", "say \"hi\" \\ done");
    expect(s, 2, 3, "c", "");
    expect(s, 3, 4, "d", "C:\\dir\\");
    expect(s, 4, 5, "e", "x\"y\"");
    expect(s, 5, 6, "f", "=");
    free(s);
}

/* A repeated name is handed over each time, in file order (the program
 * decides whether the last wins or each one adds). */
static void test_repeated_names(void **state)
{
    (void)state;
    seen_t *s;
    bw_config_diag_t d;
    int err = parse("image-key = a.pem\nimage-key = b.pem\nx=1\nimage-key "
                    "= c.pem",
                    &s, &d);
    assert_int_equal(err, 0);
    assert_int_equal(s->n, 4);
    expect(s, 0, 1, "image-key", "a.pem");
    expect(s, 1, 2, "image-key", "b.pem");
    expect(s, 3, 4, "image-key", "c.pem");
    free(s);
}

/* CRLF line ends read as LF; a last line without LF counts; bytes of
 * 0x80 and above (UTF-8) pass untouched; names take A-Z _ . too. */
static void test_line_ends_and_bytes(void **state)
{
    (void)state;
    seen_t *s;
    bw_config_diag_t d;
    int err = parse("a = 1\r\n\r\nb_B.2 = \xc3\xa9t\xc3\xa9\r\nc = 3", &s, &d);
    assert_int_equal(err, 0);
    assert_int_equal(s->n, 3);
    expect(s, 0, 1, "a", "1");
    expect(s, 1, 3, "b_B.2", "\xc3\xa9t\xc3\xa9");
    expect(s, 2, 4, "c", "3");
    assert_int_equal(d.line, 4);
    free(s);

    err = parse("", &s, &d);
    assert_int_equal(err, 0);
    assert_int_equal(s->n, 0);
    assert_int_equal(d.line, 0);
    free(s);
}

/* Lines that are not "name = value": no '=' (also when a comment hides
 * it), no name, a name with a blank or a foreign character, a name
 * written with its dashes.  Each is BW_EMALFORMED on its own line. */
static void test_malformed_lines(void **state)
{
    (void)state;
    REFUSED("a = 1\nendpoint\n", BW_EMALFORMED, 2);
    REFUSED("a = 1\n\nendpoint dev-1\n", BW_EMALFORMED, 3);
    REFUSED("endpoint # = dev-1\n", BW_EMALFORMED, 1);
    REFUSED("a = 1\n= dev-1\n", BW_EMALFORMED, 2);
    REFUSED("end point = x\n", BW_EMALFORMED, 1);
    REFUSED("a:b = x\n", BW_EMALFORMED, 1);
    REFUSED("a\"b\" = x\n", BW_EMALFORMED, 1);
    REFUSED("x = 1\n--endpoint = x\n", BW_EMALFORMED, 2);
    REFUSED("-v = true\n", BW_EMALFORMED, 1);
}

/* NUL, other control bytes, DEL and a CR that does not end the line are
 * refused wherever they are, quoted values and comments included. */
static void test_control_bytes(void **state)
{
    (void)state;
    REFUSED("a = 1\nb = x\0y\n", BW_EMALFORMED, 2);
    REFUSED("\0", BW_EMALFORMED, 1);
    REFUSED("a = 1\n# comment \0\n", BW_EMALFORMED, 2);
    REFUSED("a = \"x\x01y\"\n", BW_EMALFORMED, 1);
    REFUSED("a = x\x7f\n", BW_EMALFORMED, 1);
    REFUSED("a = x\ry\n", BW_EMALFORMED, 1);
    REFUSED("a = x\r\r\n", BW_EMALFORMED, 1);
    REFUSED("a = \x1b[31m\n", BW_EMALFORMED, 1);
}

/* Quote errors: no closing quote (BW_ETRUNC, also when the last
 * character escapes it), an unknown escape (BW_EMALFORMED), text after
 * the closing quote (BW_ETRAILING, '#' glued to the quote included). */
static void test_quote_errors(void **state)
{
    (void)state;
    REFUSED("a = 1\nb = \"abc\n", BW_ETRUNC, 2);
    REFUSED("b = \"abc\\\"\n", BW_ETRUNC, 1);
    REFUSED("b = \"abc\\", BW_ETRUNC, 1);
    REFUSED("b = \"a\\nb\"\n", BW_EMALFORMED, 1);
    REFUSED("b = \"a\\tb\"\n", BW_EMALFORMED, 1);
    REFUSED("a = 1\n\nb = \"a\" b\n", BW_ETRAILING, 3);
    REFUSED("b = \"a\"#c\n", BW_ETRAILING, 1);
    REFUSED("b = \"a\"\"b\"\n", BW_ETRAILING, 1);
}

/* A line of BW_CONFIG_LINE_MAX bytes is read whole (the longest value
 * the scratch must hold); one byte more is BW_EOVERFLOW on that line.
 * The CR of a CRLF counts against the limit. */
static void test_line_limit(void **state)
{
    (void)state;
    size_t cap = 2 * BW_CONFIG_LINE_MAX + 16;
    char *t = malloc(cap);
    assert_non_null(t);
    /* "a=" + value: 4096 bytes, then a second line. */
    memcpy(t, "a=", 2);
    memset(t + 2, 'v', BW_CONFIG_LINE_MAX - 2);
    memcpy(t + BW_CONFIG_LINE_MAX, "\nb=1\n", 5);
    seen_t *s;
    bw_config_diag_t d;
    int err = parse_n(t, BW_CONFIG_LINE_MAX + 5, &s, &d);
    assert_int_equal(err, 0);
    assert_int_equal(s->n, 2);
    assert_int_equal(strlen(s->rec[0].value), BW_CONFIG_LINE_MAX - 2);
    expect(s, 1, 2, "b", "1");
    free(s);

    /* The same text with the first line one byte longer. */
    memcpy(t, "b=1\na=", 6);
    memset(t + 6, 'v', BW_CONFIG_LINE_MAX - 1);
    memcpy(t + 4 + BW_CONFIG_LINE_MAX + 1, "\n", 1);
    refused(t, 4 + BW_CONFIG_LINE_MAX + 2, BW_EOVERFLOW, 2);

    /* 4096 bytes then CR LF: the CR is the 4097th byte. */
    memcpy(t, "a=", 2);
    memset(t + 2, 'v', BW_CONFIG_LINE_MAX - 2);
    memcpy(t + BW_CONFIG_LINE_MAX, "\r\n", 2);
    refused(t, BW_CONFIG_LINE_MAX + 2, BW_EOVERFLOW, 1);

    free(t);
}

static int long_name(void *arg, unsigned line, const char *name,
                     const char *value)
{
    size_t *n = arg;
    assert_int_equal(line, 1);
    assert_string_equal(value, "");
    *n = strlen(name);
    return 0;
}

/* A name that fills the whole line is handed over whole (the scratch
 * holds name, value and both NULs at the bound). */
static void test_longest_name(void **state)
{
    (void)state;
    char *t = malloc(BW_CONFIG_LINE_MAX);
    bw_config_scratch_t *scratch = malloc(sizeof *scratch);
    assert_non_null(t);
    assert_non_null(scratch);
    memset(t, 'n', BW_CONFIG_LINE_MAX - 1);
    t[BW_CONFIG_LINE_MAX - 1] = '=';
    size_t n = 0;
    int err =
        bw_config_parse(t, BW_CONFIG_LINE_MAX, scratch, long_name, &n, NULL);
    assert_int_equal(err, 0);
    assert_int_equal(n, BW_CONFIG_LINE_MAX - 1);
    free(scratch);
    free(t);
}

/* A text of BW_CONFIG_TEXT_MAX bytes is read; one byte more is refused
 * as a whole (line 0) before any setting is handed over. */
static void test_text_limit(void **state)
{
    (void)state;
    char *t = malloc(BW_CONFIG_TEXT_MAX + 1);
    assert_non_null(t);
    /* Comment lines of 64 bytes, a setting at the start. */
    memset(t, '#', BW_CONFIG_TEXT_MAX + 1);
    for (size_t i = 63; i < BW_CONFIG_TEXT_MAX + 1; i += 64)
        t[i] = '\n';
    memcpy(t, "a = 1\n", 6);
    seen_t *s;
    bw_config_diag_t d;
    int err = parse_n(t, BW_CONFIG_TEXT_MAX, &s, &d);
    assert_int_equal(err, 0);
    assert_int_equal(s->n, 1);
    free(s);

    err = parse_n(t, BW_CONFIG_TEXT_MAX + 1, &s, &d);
    bw_assert_err(err, BW_EOVERFLOW);
    assert_int_equal(d.line, 0);
    assert_int_equal(s->n, 0);
    free(s);
    free(t);
}

/* The callback's error stops parsing at once and comes back unchanged,
 * with its line; settings before it were delivered, none after. */
static void test_callback_error(void **state)
{
    (void)state;
    seen_t *s = calloc(1, sizeof *s);
    bw_config_scratch_t *scratch = malloc(sizeof *scratch);
    assert_non_null(s);
    assert_non_null(scratch);
    s->fail_at = 2;
    s->fail_code = BW_ENOTFOUND;
    bw_config_diag_t d;
    const char *text = "a = 1\n# x\nbogus = 2\nc = 3\nthis is not valid\n";
    int err = bw_config_parse(text, strlen(text), scratch, record, s, &d);
    bw_assert_err(err, BW_ENOTFOUND);
    assert_int_equal(d.line, 3);
    assert_string_equal(d.what, "");
    assert_int_equal(s->n, 2);
    expect(s, 1, 3, "bogus", "2");
    free(scratch);
    free(s);
}

/* Misuse: a NULL text with a length, no scratch, no callback. */
static void test_invalid_arguments(void **state)
{
    (void)state;
    bw_config_scratch_t *scratch = malloc(sizeof *scratch);
    seen_t *s = calloc(1, sizeof *s);
    assert_non_null(scratch);
    assert_non_null(s);
    bw_config_diag_t d;
    bw_assert_err(bw_config_parse(NULL, 1, scratch, record, s, &d), BW_EINVAL);
    bw_assert_err(bw_config_parse("a=1", 3, NULL, record, s, &d), BW_EINVAL);
    bw_assert_err(bw_config_parse("a=1", 3, scratch, NULL, s, &d), BW_EINVAL);
    assert_int_equal(bw_config_parse(NULL, 0, scratch, record, s, NULL), 0);
    assert_int_equal(s->n, 0);
    free(s);
    free(scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_in_order),
        cmocka_unit_test(test_comments_and_equals),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_repeated_names),
        cmocka_unit_test(test_line_ends_and_bytes),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_control_bytes),
        cmocka_unit_test(test_quote_errors),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_longest_name),
        cmocka_unit_test(test_text_limit),
        cmocka_unit_test(test_callback_error),
        cmocka_unit_test(test_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
