/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's registration-interface parser (server/lwm2m/lwm2m_reg.c).
 * Requests are built with the project's CoAP writer and parsed back, as
 * they would arrive from a device.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m_reg.h"
#include "testutil.h"

static uint8_t dgram[1024];
static bw_coap_msg_t msg;

/*
 * Build a request: method, path ("rd" or "rd/<loc>", '/'-separated), the
 * queries (NULL-terminated list), payload (NULL for none) with
 * Content-Format ct (-1 for none).
 */
static const bw_coap_msg_t *req(uint8_t code, const char *path, int ct,
                                const char *payload, ...)
{
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, dgram, sizeof dgram, BW_COAP_CON, code, 0x1234,
                        (const uint8_t *)"tk", 2);
    const char *p = path;
    while (*p != '\0') {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, p, n);
        p += n + (slash != NULL);
    }
    if (ct >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, (uint32_t)ct);
    va_list ap;
    va_start(ap, payload);
    for (const char *q; (q = va_arg(ap, const char *)) != NULL;)
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, q, strlen(q));
    va_end(ap);
    if (payload != NULL)
        bw_coap_writer_payload(&w, payload, strlen(payload));
    size_t len;
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(&msg, dgram, len), 0);
    return &msg;
}

#define LINKS "</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>,</5>;ver=1.1"
#define LOC   "0123456789abcdef0123456789abcdef"

/* A Register as bulwark-device sends it: every field taken. */
static void test_register_full(void **state)
{
    (void)state;
    bw_lwsrv_reg_t r;
    const char *why = "x";
    const bw_coap_msg_t *m =
        req(BW_COAP_POST, "rd", 40, LINKS, "ep=urn:dev:0001", "lt=300",
            "lwm2m=1.1", "b=U", "Q", NULL);
    assert_int_equal(bw_lwsrv_classify(m), BW_LWSRV_REQ_REGISTER);
    bw_assert_err(bw_lwsrv_reg_parse(m, BW_LWSRV_REQ_REGISTER, &r, &why), 0);
    assert_null(why);
    assert_string_equal(r.ep, "urn:dev:0001");
    assert_int_equal(r.lifetime, 300);
    assert_int_equal(r.version_minor, 1);
    assert_string_equal(r.binding, "U");
    assert_int_equal(r.queue, 1);
    assert_int_equal(r.nlinks, 4);
    assert_int_equal(r.links_len, strlen(LINKS));
    assert_string_equal(r.alt_path, "");
}

/* Defaults when optional parameters are absent: lt 86400, lwm2m 1.0, U;
 * b=UQ (the 1.0 way) sets queue mode; unknown parameters are ignored. */
static void test_register_defaults(void **state)
{
    (void)state;
    bw_lwsrv_reg_t r;
    bw_assert_err(bw_lwsrv_reg_parse(req(BW_COAP_POST, "rd", 40, "</3/0>",
                                         "ep=dev", "sms=123", NULL),
                                     BW_LWSRV_REQ_REGISTER, &r, NULL),
                  0);
    assert_int_equal(r.lifetime, BW_LWSRV_LT_DEFAULT);
    assert_int_equal(r.version_minor, 0);
    assert_string_equal(r.binding, "U");
    assert_int_equal(r.queue, 0);
    bw_assert_err(bw_lwsrv_reg_parse(req(BW_COAP_POST, "rd", 40, "</3/0>",
                                         "ep=dev", "b=UQ", NULL),
                                     BW_LWSRV_REQ_REGISTER, &r, NULL),
                  0);
    assert_int_equal(r.queue, 1);
}

/* Each bad Register, with the exact code and a reason; *out zeroed. */
static void test_register_bad(void **state)
{
    (void)state;
    struct {
        const char *q1, *q2, *payload;
        int ct;
        int err;
    } cases[] = {
        {"lt=300", NULL, "</3/0>", 40, BW_EMALFORMED},     /* no ep */
        {"ep=", NULL, "</3/0>", 40, BW_EMALFORMED},        /* empty */
        {"ep=a b", NULL, "</3/0>", 40, BW_EMALFORMED},     /* space */
        {"ep=a'b", NULL, "</3/0>", 40, BW_EMALFORMED},     /* quote */
        {"ep=dev", "ep=dev", "</3/0>", 40, BW_EMALFORMED}, /* twice */
        {"ep=dev", "lt=0", "</3/0>", 40, BW_ERANGE},
        {"ep=dev", "lt=31536001", "</3/0>", 40, BW_ERANGE},
        {"ep=dev", "lt=99999999999", "</3/0>", 40, BW_EMALFORMED},
        {"ep=dev", "lt=030", "</3/0>", 40, BW_EMALFORMED},
        {"ep=dev", "lt=-1", "</3/0>", 40, BW_EMALFORMED},
        {"ep=dev", "lwm2m=2.0", "</3/0>", 40, BW_EVERSION},
        {"ep=dev", "lwm2m=1.2", "</3/0>", 40, BW_EVERSION},
        {"ep=dev", "b=S", "</3/0>", 40, BW_EMALFORMED},
        {"ep=dev", "Q=1", "</3/0>", 40, BW_EMALFORMED},
        {"ep=dev", "lt", "</3/0>", 40, BW_EMALFORMED}, /* no value */
        {"ep=dev", "=x", "</3/0>", 40, BW_EMALFORMED},
        {"ep=dev", NULL, NULL, -1, BW_EMALFORMED},       /* no links */
        {"ep=dev", NULL, "</3/0>", 0, BW_EFORMAT},       /* text */
        {"ep=dev", NULL, "<3/0>", 40, BW_EMALFORMED},    /* relative */
        {"ep=dev", NULL, "</3/0/1>", 40, BW_EMALFORMED}, /* resource */
        {"ep=dev", NULL, "</65535>", 40, BW_EMALFORMED},
        {"ep=dev", NULL, "</03>", 40, BW_EMALFORMED},
        {"ep=dev", NULL, "</3>;obs", 40, BW_EMALFORMED}, /* attribute */
        {"ep=dev", NULL, "</3>;rt=\"x\"", 40, BW_EMALFORMED},
        {"ep=dev", NULL, "</3/0>,</>;rt=\"oma.lwm2m\"", 40, BW_EMALFORMED},
        {"ep=dev", NULL, "</3/0", 40, BW_EMALFORMED}, /* truncated */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bw_lwsrv_reg_t r;
        const char *why = NULL;
        memset(&r, 0xa5, sizeof r);
        const bw_coap_msg_t *m =
            req(BW_COAP_POST, "rd", cases[i].ct, cases[i].payload, cases[i].q1,
                cases[i].q2, NULL);
        int err = bw_lwsrv_reg_parse(m, BW_LWSRV_REQ_REGISTER, &r, &why);
        if (err != cases[i].err)
            fail_msg("case %zu (%s %s %s): got %s, want %s", i, cases[i].q1,
                     cases[i].q2 ? cases[i].q2 : "",
                     cases[i].payload ? cases[i].payload : "", bw_err_name(err),
                     bw_err_name(cases[i].err));
        assert_non_null(why);
        bw_lwsrv_reg_t zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&r, &zero, sizeof r);
    }
}

/* The endpoint-name rules at their edges: 64 bytes pass, 65 do not. */
static void test_endpoint_names(void **state)
{
    (void)state;
    char name[80];
    memset(name, 'a', sizeof name);
    assert_true(bw_lwsrv_ep_valid(name, 64));
    assert_false(bw_lwsrv_ep_valid(name, 65));
    assert_false(bw_lwsrv_ep_valid(name, 0));
    assert_true(bw_lwsrv_ep_valid("urn:uuid:4b6a-1f~x+y@z.q_r", 26));
    const char *bad = " /\\\"'<>%&;,=?#\x01\x7f\xc3";
    for (const char *b = bad; *b != '\0'; b++) {
        char one[3] = {'a', *b, 'c'};
        if (bw_lwsrv_ep_valid(one, 3))
            fail_msg("byte 0x%02x accepted in an endpoint name",
                     (unsigned char)*b);
    }
    assert_false(bw_lwsrv_ep_valid("a\0c", 3));
}

/* An alternate root path: links must live under it. */
static void test_alternate_path(void **state)
{
    (void)state;
    bw_lwsrv_reg_t r;
    bw_assert_err(bw_lwsrv_reg_parse(
                      req(BW_COAP_POST, "rd", 40,
                          "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/1/0>,</lwm2m/3>",
                          "ep=dev", NULL),
                      BW_LWSRV_REQ_REGISTER, &r, NULL),
                  0);
    assert_string_equal(r.alt_path, "lwm2m");
    assert_int_equal(r.nlinks, 3);
    bw_assert_err(bw_lwsrv_reg_parse(req(BW_COAP_POST, "rd", 40,
                                         "</lwm2m>;rt=\"oma.lwm2m\",</3/0>",
                                         "ep=dev", NULL),
                                     BW_LWSRV_REQ_REGISTER, &r, NULL),
                  BW_EMALFORMED);
    bw_assert_err(bw_lwsrv_reg_parse(req(BW_COAP_POST, "rd", 40,
                                         "</a/b>;rt=\"oma.lwm2m\",</a/b/3>",
                                         "ep=dev", NULL),
                                     BW_LWSRV_REQ_REGISTER, &r, NULL),
                  BW_EMALFORMED);
}

/* Update: location checked, optional lt/b/links, no ep or lwm2m. */
static void test_update(void **state)
{
    (void)state;
    bw_lwsrv_reg_t r;
    const bw_coap_msg_t *m = req(BW_COAP_POST, "rd/" LOC, -1, NULL, NULL);
    assert_int_equal(bw_lwsrv_classify(m), BW_LWSRV_REQ_UPDATE);
    bw_assert_err(bw_lwsrv_reg_parse(m, BW_LWSRV_REQ_UPDATE, &r, NULL), 0);
    assert_string_equal(r.location, LOC);
    assert_int_equal(r.has_lifetime, 0);
    assert_null(r.links);
    bw_assert_err(bw_lwsrv_reg_parse(
                      req(BW_COAP_POST, "rd/" LOC, 40, "</3/0>", "lt=60", NULL),
                      BW_LWSRV_REQ_UPDATE, &r, NULL),
                  0);
    assert_int_equal(r.lifetime, 60);
    assert_int_equal(r.nlinks, 1);
    bw_assert_err(bw_lwsrv_reg_parse(
                      req(BW_COAP_POST, "rd/" LOC, -1, NULL, "ep=dev", NULL),
                      BW_LWSRV_REQ_UPDATE, &r, NULL),
                  BW_EMALFORMED);
    const char *bad_locs[] = {"rd/0123", "rd/0123456789ABCDEF0123456789abcdef",
                              "rd/0123456789abcdef0123456789abcdeg",
                              "rd/0123456789abcdef0123456789abcdef0"};
    for (size_t i = 0; i < 4; i++)
        bw_assert_err(
            bw_lwsrv_reg_parse(req(BW_COAP_POST, bad_locs[i], -1, NULL, NULL),
                               BW_LWSRV_REQ_UPDATE, &r, NULL),
            BW_EMALFORMED);
}

/* De-register and Bootstrap-Request; classification of everything else. */
static void test_other_kinds(void **state)
{
    (void)state;
    bw_lwsrv_reg_t r;
    const bw_coap_msg_t *m = req(BW_COAP_DELETE, "rd/" LOC, -1, NULL, NULL);
    assert_int_equal(bw_lwsrv_classify(m), BW_LWSRV_REQ_DEREGISTER);
    bw_assert_err(bw_lwsrv_reg_parse(m, BW_LWSRV_REQ_DEREGISTER, &r, NULL), 0);
    assert_string_equal(r.location, LOC);
    bw_assert_err(
        bw_lwsrv_reg_parse(req(BW_COAP_DELETE, "rd/" LOC, 40, "</3>", NULL),
                           BW_LWSRV_REQ_DEREGISTER, &r, NULL),
        BW_EMALFORMED);
    m = req(BW_COAP_POST, "bs", -1, NULL, "ep=dev-7", "pct=112", NULL);
    assert_int_equal(bw_lwsrv_classify(m), BW_LWSRV_REQ_BOOTSTRAP);
    bw_assert_err(bw_lwsrv_reg_parse(m, BW_LWSRV_REQ_BOOTSTRAP, &r, NULL), 0);
    assert_string_equal(r.ep, "dev-7");
    assert_int_equal(bw_lwsrv_classify(req(BW_COAP_POST, "dp", -1, NULL, NULL)),
                     BW_LWSRV_REQ_SEND);
    assert_int_equal(bw_lwsrv_classify(req(BW_COAP_GET, "rd", -1, NULL, NULL)),
                     BW_LWSRV_REQ_OTHER);
    assert_int_equal(
        bw_lwsrv_classify(req(BW_COAP_PUT, "rd/" LOC, -1, NULL, NULL)),
        BW_LWSRV_REQ_OTHER);
    assert_int_equal(
        bw_lwsrv_classify(req(BW_COAP_POST, "rd/a/b", -1, NULL, NULL)),
        BW_LWSRV_REQ_OTHER);
    assert_int_equal(bw_lwsrv_classify(req(BW_COAP_POST, "", -1, NULL, NULL)),
                     BW_LWSRV_REQ_OTHER);
    bw_assert_err(bw_lwsrv_reg_parse(m, BW_LWSRV_REQ_OTHER, &r, NULL),
                  BW_EINVAL);
}

/* More object links than the limit are refused; exactly the limit passes. */
static void test_link_limit(void **state)
{
    (void)state;
    static char payload[BW_LWSRV_MAX_OBJLINKS * 8 + 16];
    static uint8_t big[sizeof payload + 256];
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = 0;
        for (int i = 0; i < BW_LWSRV_MAX_OBJLINKS + extra; i++)
            n += (size_t)snprintf(payload + n, sizeof payload - n, "%s</%d>",
                                  i ? "," : "", i);
        bw_coap_writer_t w;
        bw_coap_writer_init(&w, big, sizeof big, BW_COAP_CON, BW_COAP_POST, 1,
                            NULL, 0);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "rd", 2);
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 40);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "ep=dev", 6);
        bw_coap_writer_payload(&w, payload, n);
        size_t len;
        bw_coap_msg_t m;
        assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
        assert_int_equal(bw_coap_parse(&m, big, len), 0);
        bw_lwsrv_reg_t r;
        bw_assert_err(bw_lwsrv_reg_parse(&m, BW_LWSRV_REQ_REGISTER, &r, NULL),
                      extra ? BW_EMALFORMED : 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_full),
        cmocka_unit_test(test_register_defaults),
        cmocka_unit_test(test_register_bad),
        cmocka_unit_test(test_endpoint_names),
        cmocka_unit_test(test_alternate_path),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_other_kinds),
        cmocka_unit_test(test_link_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
