/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoRE Link Format parser and writer: the RFC 6690 and LwM2M example
 * payloads, one exact error for each kind of malformed payload, every
 * truncation of a valid payload, and writer output byte for byte.
 *
 * Parsed payloads are rendered into a plain text form to compare with the
 * expected result: one line per link, "<target>" followed by ";name" for a
 * bare attribute, ";name=value" for a token and ";name:'value'" for a
 * quoted value with its escapes resolved.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap_link.h"

typedef struct {
    char out[4096];
    size_t len;
    unsigned calls;
    int stop_at; /* call index at which to return stop_rc, or -1 */
    int stop_rc;
} render_t;

static void append(render_t *r, const char *s, size_t n)
{
    assert_true(r->len + n < sizeof r->out);
    memcpy(r->out + r->len, s, n);
    r->len += n;
    r->out[r->len] = '\0';
}

static int render_cb(void *arg, const bw_coap_link_t *link)
{
    render_t *r = arg;
    bw_coap_link_attr_iter_t it;
    bw_coap_link_attr_t a;
    unsigned attrs = 0;

    assert_int_equal(link->index, r->calls);
    if (r->stop_at == (int)r->calls++)
        return r->stop_rc;
    if (r->len > 0)
        append(r, "\n", 1);
    append(r, "<", 1);
    append(r, link->target, link->target_len);
    append(r, ">", 1);
    bw_coap_link_attr_iter_init(&it, link);
    while (bw_coap_link_attr_next(&it, &a)) {
        attrs++;
        append(r, ";", 1);
        append(r, a.name, a.name_len);
        if (a.kind == BW_COAP_LINK_TOKEN) {
            append(r, "=", 1);
            append(r, a.value, a.value_len);
        } else if (a.kind == BW_COAP_LINK_QUOTED) {
            char buf[512];
            size_t n;
            assert_int_equal(bw_coap_link_attr_copy(&a, buf, sizeof buf, &n),
                             0);
            append(r, ":'", 2);
            append(r, buf, n);
            append(r, "'", 1);
        }
    }
    assert_int_equal(attrs, link->attr_count);
    return 0;
}

/* Parse an exact-size heap copy of text (ASan sees any overread). */
static int parse_render(const char *text, size_t len, render_t *r)
{
    char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    memset(r, 0, sizeof *r);
    r->stop_at = -1;
    int err = bw_coap_link_parse(copy, len, render_cb, r);
    free(copy);
    return err;
}

static void assert_renders(const char *payload, const char *want)
{
    render_t r;
    int err = parse_render(payload, strlen(payload), &r);
    if (err != 0)
        fail_msg("\"%s\": %s", payload, bw_err_name(err));
    assert_string_equal(r.out, want);
}

/* RFC 6690 section 5 examples come back link by link, attribute by
 * attribute, with the targets stripped of their angle brackets. */
static void test_rfc6690_examples(void **state)
{
    (void)state;
    assert_renders("</sensors/temp>;if=\"sensor\",</sensors/light>;if="
                   "\"sensor\"",
                   "</sensors/temp>;if:'sensor'\n</sensors/light>;if:'sensor'");
    assert_renders("</sensors>;ct=40", "</sensors>;ct=40");
    assert_renders(
        "</sensors>;ct=40;title=\"Sensor Index\",</sensors/temp>;rt="
        "\"temperature-c\";if=\"sensor\",</sensors/light>;rt=\"light-lux\";"
        "if=\"sensor\",<http://www.example.com/sensors/t123>;anchor="
        "\"/sensors/temp\";rel=\"describedby\",</t>;anchor=\"/sensors/temp\";"
        "rel=\"alternate\"",
        "</sensors>;ct=40;title:'Sensor Index'\n"
        "</sensors/temp>;rt:'temperature-c';if:'sensor'\n"
        "</sensors/light>;rt:'light-lux';if:'sensor'\n"
        "<http://www.example.com/sensors/t123>;anchor:'/sensors/temp';"
        "rel:'describedby'\n"
        "</t>;anchor:'/sensors/temp';rel:'alternate'");
    assert_renders("</firmware/v2.1>;rt=\"firmware\";sz=262144",
                   "</firmware/v2.1>;rt:'firmware';sz=262144");
    /* RFC 7641 "obs" is a bare attribute; title* is an ext-name-star. */
    assert_renders("</temp>;obs;title*=UTF-8'en'%e2%82%ac",
                   "</temp>;obs;title*=UTF-8'en'%e2%82%ac");
}

/* LwM2M 1.1 Register, Discover and Bootstrap-Discover payloads. */
static void test_lwm2m_payloads(void **state)
{
    (void)state;
    assert_renders("</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</1/1>,</3/0>,"
                   "</4/0>,</5>",
                   "</>;rt:'oma.lwm2m';ct=11543\n</1/0>\n</1/1>\n</3/0>\n"
                   "</4/0>\n</5>");
    assert_renders("</1>;ver=1.1,</1/0>,</3/0>,</3442/0>",
                   "</1>;ver=1.1\n</1/0>\n</3/0>\n</3442/0>");
    assert_renders("</3/0>;pmin=10;pmax=60,</3/0/1>,</3/0/6>;dim=8,"
                   "</3/0/7>;dim=8;gt=50;lt=42.2;st=0.5",
                   "</3/0>;pmin=10;pmax=60\n</3/0/1>\n</3/0/6>;dim=8\n"
                   "</3/0/7>;dim=8;gt=50;lt=42.2;st=0.5");
    assert_renders("</>;lwm2m=1.1,</0/0>;ssid=101;uri=\"coaps://"
                   "server_1.example.com\",</1/0>;ssid=101",
                   "</>;lwm2m=1.1\n</0/0>;ssid=101;uri:'coaps://"
                   "server_1.example.com'\n</1/0>;ssid=101");
}

/* An empty payload is an empty list; an empty target is a relative ref. */
static void test_empty(void **state)
{
    (void)state;
    render_t r;
    assert_int_equal(parse_render("", 0, &r), 0);
    assert_int_equal(r.calls, 0);
    assert_int_equal(bw_coap_link_parse(NULL, 0, render_cb, &r), 0);
    bw_assert_err(bw_coap_link_parse(NULL, 1, NULL, NULL), BW_EINVAL);
    assert_renders("<>", "<>");
    assert_renders("<>;a,<>", "<>;a\n<>");
}

/* Every kind of malformed payload gets its own exact code. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int err;
    } cases[] = {
        /* input ends inside a link */
        {"<", BW_ETRUNC},
        {"</a", BW_ETRUNC},
        {"</a>;", BW_ETRUNC},
        {"</a>;rt=", BW_ETRUNC},
        {"</a>,", BW_ETRUNC},
        {"</a>;rt=\"x", BW_ETRUNC},
        {"</a>;rt=\"x\\", BW_ETRUNC},
        {"</a%4", BW_ETRUNC},
        {"</a>;t=\"\xc3", BW_ETRUNC},
        /* a byte the grammar does not allow */
        {"/a", BW_EMALFORMED},
        {",</a>", BW_EMALFORMED},
        {"</a>,,</b>", BW_EMALFORMED},
        {"</a>x", BW_EMALFORMED},
        {"</a>;;x", BW_EMALFORMED},
        {"</a>;=1", BW_EMALFORMED},
        {"</a>;rt=;x", BW_EMALFORMED},
        {"</a>;rt=,", BW_EMALFORMED},
        {"</a>;r:t=1", BW_EMALFORMED},
        {"</a>;rt=\"x\"y", BW_EMALFORMED},
        {"</a>;ct=4\"0\"", BW_EMALFORMED},
        {"</a>;rt=a\\b", BW_EMALFORMED},
        {"</a b>", BW_EMALFORMED},
        {"</a\"b>", BW_EMALFORMED},
        {"</a<b>", BW_EMALFORMED},
        {"</a%4g>", BW_EMALFORMED},
        {"</a%>", BW_EMALFORMED},
        {"</\xc3\xa9>", BW_EMALFORMED},
        {"</a>;t=\xc3\xa9", BW_EMALFORMED},
        {"</a>;t=\"a\x01\"", BW_EMALFORMED},
        {"</a>;t=\"a\x7f\"", BW_EMALFORMED},
        {"</a>;t=\"a\\\x01\"", BW_EMALFORMED},
        {"</a>;t=\"a\\\xc3\xa9\"", BW_EMALFORMED},
        {"</a>;t*x=1", BW_EMALFORMED},
        {"</a>;*=1", BW_EMALFORMED},
        /* whitespace outside quotes, as the RFC 6690 ABNF has none */
        {"</a>, </b>", BW_EMALFORMED},
        {" </a>", BW_EMALFORMED},
        {"</a> ;ct=40", BW_EMALFORMED},
        {"</a>; ct=40", BW_EMALFORMED},
        {"</a>;ct =40", BW_EMALFORMED},
        {"</a>;ct= 40", BW_EMALFORMED},
        {"</a>\n", BW_EMALFORMED},
        {"</a>,\n</b>", BW_EMALFORMED},
        /* quoted bytes that are not UTF-8 */
        {"</a>;t=\"\xc0\x80\"", BW_EUTF8},
        {"</a>;t=\"\xed\xa0\x80\"", BW_EUTF8},
        {"</a>;t=\"\xf4\x90\x80\x80\"", BW_EUTF8},
        {"</a>;t=\"\xe0\x9f\xbf\"", BW_EUTF8},
        {"</a>;t=\"\x80\"", BW_EUTF8},
        {"</a>;t=\"\xc3(\"", BW_EUTF8},
        {"</a>;t=\"\xff\"", BW_EUTF8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        render_t r;
        int err = parse_render(cases[i].in, strlen(cases[i].in), &r);
        if (err != cases[i].err)
            fail_msg("case %zu \"%s\": got %s, want %s", i, cases[i].in,
                     bw_err_name(err), bw_err_name(cases[i].err));
        /* Validation comes first: no link of a bad payload is reported. */
        assert_int_equal(r.calls, 0);
    }
}

/* Values the grammar allows that look odd: "=" and "<" in a ptoken, ";"
 * and "," in a target or inside quotes, HT and UTF-8 in quotes. */
static void test_unusual_but_valid(void **state)
{
    (void)state;
    assert_renders("</a;b,c?x=1>;q=a=b<c>", "</a;b,c?x=1>;q=a=b<c>");
    assert_renders("</a>;t=\";,\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
                   "</a>;t:';,\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80'");
    assert_renders("</a%20b>;x=\"\"", "</a%20b>;x:''");
    assert_renders("</a>;A-z.0!#$&+^_`|~", "</a>;A-z.0!#$&+^_`|~");
}

/*
 * Quoted values without escapes are views into the payload (no copy);
 * with escapes, the flag is set and attr_copy resolves them, failing with
 * BW_ENOSPC one byte short of room for the NUL.
 */
static void test_quoted_values(void **state)
{
    (void)state;
    const char *p = "</a>;t=\"plain\";u=\"say \\\"hi\\\" \\\\ ok\"";
    bw_coap_link_t link;
    bw_coap_link_attr_t a;
    bw_coap_link_attr_iter_t it;
    char buf[32];
    size_t n;

    memset(&link, 0, sizeof link);
    link.params = p + 4;
    link.params_len = strlen(p) - 4;
    bw_coap_link_attr_iter_init(&it, &link);
    assert_int_equal(bw_coap_link_attr_next(&it, &a), 1);
    assert_int_equal(a.kind, BW_COAP_LINK_QUOTED);
    assert_int_equal(a.escaped, 0);
    assert_ptr_equal(a.value, p + 8);
    assert_int_equal(a.value_len, 5);

    assert_int_equal(bw_coap_link_attr_next(&it, &a), 1);
    assert_int_equal(a.escaped, 1);
    assert_int_equal(bw_coap_link_attr_copy(&a, buf, sizeof buf, &n), 0);
    assert_string_equal(buf, "say \"hi\" \\ ok");
    assert_int_equal(n, 13);
    bw_assert_err(bw_coap_link_attr_copy(&a, buf, 13, &n), BW_ENOSPC);
    assert_int_equal(n, 0);
    assert_string_equal(buf, "");
    assert_int_equal(bw_coap_link_attr_copy(&a, buf, 14, &n), 0);
    bw_assert_err(bw_coap_link_attr_copy(&a, NULL, 0, &n), BW_ENOSPC);
    assert_int_equal(bw_coap_link_attr_next(&it, &a), 0);

    /* A bare attribute has no value to copy. */
    bw_coap_link_attr_t bare = {.name = "obs", .name_len = 3};
    bw_assert_err(bw_coap_link_attr_copy(&bare, buf, sizeof buf, &n), BW_ETYPE);
}

/* find is case-insensitive on names, returns the first match, and
 * reports BW_ENOTFOUND with a zeroed attribute otherwise. */
static int find_cb(void *arg, const bw_coap_link_t *link)
{
    bw_coap_link_attr_t a;
    (void)arg;
    assert_int_equal(bw_coap_link_find(link, "RT", &a), 0);
    assert_int_equal(a.value_len, 3);
    assert_memory_equal(a.value, "one", 3);
    assert_int_equal(bw_coap_link_find(link, "obs", &a), 0);
    assert_int_equal(a.kind, BW_COAP_LINK_BARE);
    bw_assert_err(bw_coap_link_find(link, "r", &a), BW_ENOTFOUND);
    assert_null(a.name);
    bw_assert_err(bw_coap_link_find(link, NULL, &a), BW_EINVAL);
    return 0;
}

static void test_find(void **state)
{
    (void)state;
    const char *p = "</a>;rt=one;Obs;rt=two";
    assert_int_equal(bw_coap_link_parse(p, strlen(p), find_cb, NULL), 0);
}

/* A positive callback answer stops with BW_EABORTED, a negative one is
 * passed through; links after the stop are not visited. */
static void test_callback_stops(void **state)
{
    (void)state;
    const char *p = "</a>,</b>,</c>";
    render_t r;

    memset(&r, 0, sizeof r);
    r.stop_at = 1;
    r.stop_rc = 7;
    bw_assert_err(bw_coap_link_parse(p, strlen(p), render_cb, &r), BW_EABORTED);
    assert_int_equal(r.calls, 2);
    assert_string_equal(r.out, "</a>");

    memset(&r, 0, sizeof r);
    r.stop_at = 0;
    r.stop_rc = BW_ENOMEM;
    bw_assert_err(bw_coap_link_parse(p, strlen(p), render_cb, &r), BW_ENOMEM);
    assert_int_equal(r.calls, 1);

    /* Validation only. */
    assert_int_equal(bw_coap_link_parse(p, strlen(p), NULL, NULL), 0);
}

/*
 * Cut a valid payload (targets with %-escapes, tokens, escaped quotes,
 * UTF-8) at every length: a prefix of a valid payload never holds a wrong
 * byte, so each prefix must parse or fail with BW_ETRUNC, and nothing
 * else.  Cuts inside a target or a quoted string must be BW_ETRUNC.
 */
static void test_truncate_every_length(void **state)
{
    (void)state;
    const char *p = "</a%20b>;rt=\"x\\\"y\xc3\xa9\";ct=40;obs,</c>;t*=z";
    size_t n = strlen(p);
    render_t r;

    assert_int_equal(parse_render(p, n, &r), 0);
    for (size_t cut = 0; cut < n; cut++) {
        int err = parse_render(p, cut, &r);
        if (err != 0 && err != BW_ETRUNC)
            fail_msg("cut %zu: %s", cut, bw_err_name(err));
        /* In the first target, the quoted rt value, the second target;
         * after a ";" and after an "=". */
        int inside = (cut >= 1 && cut <= 7) || (cut >= 12 && cut <= 19) ||
                     (cut >= 31 && cut <= 34) || cut == 36 || cut == 39;
        if (inside && err != BW_ETRUNC)
            fail_msg("cut %zu inside an item parsed", cut);
    }
}

/* Counting limits: one link past BW_COAP_LINK_MAX_LINKS, and one
 * attribute past BW_COAP_LINK_MAX_ATTRS, are BW_EOVERFLOW. */
static void test_limits(void **state)
{
    (void)state;
    size_t links = BW_COAP_LINK_MAX_LINKS + 1;
    char *p = malloc(links * 3);
    assert_non_null(p);
    for (size_t i = 0; i < links; i++)
        memcpy(p + 3 * i, "<>,", 3);
    assert_int_equal(bw_coap_link_parse(p, links * 3 - 4, NULL, NULL), 0);
    bw_assert_err(bw_coap_link_parse(p, links * 3 - 1, NULL, NULL),
                  BW_EOVERFLOW);
    free(p);

    size_t attrs = BW_COAP_LINK_MAX_ATTRS + 1;
    p = malloc(2 + attrs * 2);
    assert_non_null(p);
    memcpy(p, "<>", 2);
    for (size_t i = 0; i < attrs; i++)
        memcpy(p + 2 + 2 * i, ";a", 2);
    assert_int_equal(bw_coap_link_parse(p, attrs * 2, NULL, NULL), 0);
    bw_assert_err(bw_coap_link_parse(p, 2 + attrs * 2, NULL, NULL),
                  BW_EOVERFLOW);
    free(p);
}

/* Build one payload with every writer call; the helper is shared by the
 * exact-output test and the capacity sweep. */
static void write_register(bw_coap_link_writer_t *w)
{
    bw_coap_link_writer_link(w, "/", 1);
    bw_coap_link_writer_quoted(w, "rt", "oma.lwm2m", 9);
    bw_coap_link_writer_uint(w, "ct", 11542);
    bw_coap_link_writer_link(w, "/1/0", 4);
    bw_coap_link_writer_link(w, "/3/0", 4);
    bw_coap_link_writer_version(w, "ver", 1, 1);
    bw_coap_link_writer_link(w, "/3/0/13", 7);
    bw_coap_link_writer_flag(w, "obs");
    bw_coap_link_writer_token(w, "gt", "-1.5", 4);
    bw_coap_link_writer_quoted(w, "title*", "a\"b\\c", 5);
}

#define REGISTER_TEXT                                                          \
    "</>;rt=\"oma.lwm2m\";ct=11542,</1/0>,</3/0>;ver=1.1,</3/0/13>;obs;"       \
    "gt=-1.5;title*=\"a\\\"b\\\\c\""

/* The writer's output is exactly the expected text, and parses back. */
static void test_writer_output(void **state)
{
    (void)state;
    char buf[128];
    size_t len;
    bw_coap_link_writer_t w;

    bw_coap_link_writer_init(&w, buf, sizeof buf);
    write_register(&w);
    assert_int_equal(bw_coap_link_writer_finish(&w, &len), 0);
    assert_int_equal(len, strlen(REGISTER_TEXT));
    assert_memory_equal(buf, REGISTER_TEXT, len);
    assert_renders(REGISTER_TEXT,
                   "</>;rt:'oma.lwm2m';ct=11542\n</1/0>\n</3/0>;ver=1.1\n"
                   "</3/0/13>;obs;gt=-1.5;title*:'a\"b\\c'");

    /* uint edge values. */
    bw_coap_link_writer_init(&w, buf, sizeof buf);
    bw_coap_link_writer_link(&w, "", 0);
    bw_coap_link_writer_uint(&w, "a", 0);
    bw_coap_link_writer_uint(&w, "b", 4294967295u);
    bw_coap_link_writer_version(&w, "v", 255, 0);
    assert_int_equal(bw_coap_link_writer_finish(&w, &len), 0);
    assert_int_equal(len, strlen("<>;a=0;b=4294967295;v=255.0"));
    assert_memory_equal(buf, "<>;a=0;b=4294967295;v=255.0", len);
}

/* Capacity sweep: below the full size BW_ENOSPC, and never a byte
 * written at or past cap; at the full size the exact text. */
static void test_writer_capacity(void **state)
{
    (void)state;
    size_t full = strlen(REGISTER_TEXT);
    for (size_t cap = 0; cap <= full + 1; cap++) {
        char buf[128];
        size_t len = 9;
        bw_coap_link_writer_t w;

        memset(buf, '#', sizeof buf);
        bw_coap_link_writer_init(&w, buf, cap);
        write_register(&w);
        int err = bw_coap_link_writer_finish(&w, &len);
        if (cap < full) {
            bw_assert_err(err, BW_ENOSPC);
            assert_int_equal(len, 0);
        } else {
            assert_int_equal(err, 0);
            assert_memory_equal(buf, REGISTER_TEXT, full);
        }
        for (size_t i = cap; i < sizeof buf; i++)
            if (buf[i] != '#')
                fail_msg("cap %zu: byte %zu written", cap, i);
    }
}

/* Misuse: attributes before a link, bad names, targets and values. */
static void test_writer_errors(void **state)
{
    (void)state;
    static const struct {
        const char *target, *name, *token, *quoted;
        int err;
    } cases[] = {
        {NULL, "rt", "x", NULL, BW_EORDER},
        {"/a b", NULL, NULL, NULL, BW_EINVAL},
        {"/a>", NULL, NULL, NULL, BW_EINVAL},
        {"/a%2", NULL, NULL, NULL, BW_EINVAL},
        {"/a%zz", NULL, NULL, NULL, BW_EINVAL},
        {"/a", "", "x", NULL, BW_EINVAL},
        {"/a", "r t", "x", NULL, BW_EINVAL},
        {"/a", "*", "x", NULL, BW_EINVAL},
        {"/a", "a*b", "x", NULL, BW_EINVAL},
        {"/a", "rt", "", NULL, BW_EINVAL},
        {"/a", "rt", "a;b", NULL, BW_EINVAL},
        {"/a", "rt", "a\"", NULL, BW_EINVAL},
        {"/a", "rt", "a b", NULL, BW_EINVAL},
        {"/a", "rt", NULL, "a\nb", BW_EINVAL},
        {"/a", "rt", NULL, "\xc3", BW_EINVAL},
        {"/a", "rt", NULL, "\xed\xa0\x80", BW_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        size_t len;
        bw_coap_link_writer_t w;

        bw_coap_link_writer_init(&w, buf, sizeof buf);
        if (cases[i].target != NULL)
            bw_coap_link_writer_link(&w, cases[i].target,
                                     strlen(cases[i].target));
        if (cases[i].token != NULL)
            bw_coap_link_writer_token(&w, cases[i].name, cases[i].token,
                                      strlen(cases[i].token));
        if (cases[i].quoted != NULL)
            bw_coap_link_writer_quoted(&w, cases[i].name, cases[i].quoted,
                                       strlen(cases[i].quoted));
        /* Sticky: a later good call changes nothing. */
        size_t frozen = w.len;
        bw_coap_link_writer_link(&w, "/ok", 3);
        assert_int_equal(w.len, frozen);
        int err = bw_coap_link_writer_finish(&w, &len);
        if (err != cases[i].err)
            fail_msg("case %zu: got %s, want %s", i, bw_err_name(err),
                     bw_err_name(cases[i].err));
    }
    bw_coap_link_writer_t w;
    size_t len;
    bw_coap_link_writer_init(&w, NULL, 4);
    bw_assert_err(bw_coap_link_writer_finish(&w, &len), BW_EINVAL);
    bw_assert_err(bw_coap_link_writer_finish(NULL, &len), BW_EINVAL);
    bw_coap_link_writer_flag(NULL, "a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6690_examples),
        cmocka_unit_test(test_lwm2m_payloads),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_unusual_but_valid),
        cmocka_unit_test(test_quoted_values),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_truncate_every_length),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_writer_output),
        cmocka_unit_test(test_writer_capacity),
        cmocka_unit_test(test_writer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
