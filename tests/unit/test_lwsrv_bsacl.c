/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access Control written by the bootstrap server for additional DM
 * servers (server/lwm2m/lwm2m_bootstrap_acl.c): the access map's paths,
 * letters and stored text, the device's Bootstrap-Discover answer, the
 * plan of /2 instances and their TLV.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bulwark/lwm2m_dm.h"
#include "lwm2m_bootstrap.h"
#include "testutil.h"

static int path_err(const char *s)
{
    uint16_t oid = 1, iid = 1;
    return bw_lwsrv_bs_access_path(s, strlen(s), &oid, &iid);
}

/* Tried: instance and object paths, then every malformed shape.  Must
 * hold: "/3/0" is (3, 0) and "/3303" the Create grant (3303, 65535);
 * not-a-path shapes are BW_EPATH, a resource BW_EDEPTH, objects 0, 1 and
 * 2 BW_ERANGE. */
static void test_access_path(void **state)
{
    (void)state;
    uint16_t oid = 0, iid = 0;
    bw_assert_err(bw_lwsrv_bs_access_path("/3/0", 4, &oid, &iid), 0);
    assert_int_equal(oid, 3);
    assert_int_equal(iid, 0);
    bw_assert_err(bw_lwsrv_bs_access_path("/3303", 5, &oid, &iid), 0);
    assert_int_equal(oid, 3303);
    assert_int_equal(iid, BW_LWSRV_BS_CREATE_IID);
    bw_assert_err(bw_lwsrv_bs_access_path("/65534/65534", 12, &oid, &iid), 0);
    assert_int_equal(oid, 65534);
    assert_int_equal(iid, 65534);
    /* Only len bytes count: "/3/0" of "/3/0/1". */
    bw_assert_err(bw_lwsrv_bs_access_path("/3/0/1", 4, &oid, &iid), 0);

    static const char *const not_paths[] = {
        "",       "/",    "3/0", "/3/",   "//3", "/03",     "/3/00",
        "/65535", "/3/x", "/ 3", "/3/0 ", "/-3", "/3/65535"};
    for (size_t i = 0; i < sizeof not_paths / sizeof not_paths[0]; i++)
        if (path_err(not_paths[i]) != BW_EPATH)
            fail_msg("\"%s\": %d, want BW_EPATH", not_paths[i],
                     path_err(not_paths[i]));
    bw_assert_err(path_err("/3/0/1"), BW_EDEPTH);
    bw_assert_err(path_err("/3/0/1/2"), BW_EDEPTH);
    bw_assert_err(path_err("/0/1"), BW_ERANGE);
    bw_assert_err(path_err("/1"), BW_ERANGE);
    bw_assert_err(path_err("/2/0"), BW_ERANGE);
    bw_assert_err(bw_lwsrv_bs_access_path(NULL, 0, &oid, &iid), BW_EINVAL);
    bw_assert_err(bw_lwsrv_bs_access_path("/3", 2, NULL, &iid), BW_EINVAL);
}

static int rights_err(const char *s, uint16_t iid)
{
    uint8_t r = 0xff;
    int err = bw_lwsrv_bs_access_rights(s, strlen(s), iid, &r);
    if (err != 0)
        assert_int_equal(r, 0); /* nothing half-set */
    return err;
}

/* Tried: letters in any order on instances and objects, then bad ones.
 * Must hold: the bits of Core E.3 (R 1, W 2, E 4, D 8, C 16); empty,
 * lower case, another letter or a NUL inside BW_EMALFORMED; a letter
 * twice BW_EDUPKEY; C on an instance, or anything but C alone on "/oid",
 * BW_ETYPE. */
static void test_access_rights(void **state)
{
    (void)state;
    uint8_t r = 0;
    bw_assert_err(bw_lwsrv_bs_access_rights("R", 1, 0, &r), 0);
    assert_int_equal(r, BW_LWM2M_ACCESS_READ);
    bw_assert_err(bw_lwsrv_bs_access_rights("DEWR", 4, 7, &r), 0);
    assert_int_equal(r, 1 | 2 | 4 | 8);
    bw_assert_err(bw_lwsrv_bs_access_rights("C", 1, 65535, &r), 0);
    assert_int_equal(r, 16);
    char txt[6];
    bw_lwsrv_bs_rights_text(1 | 4 | 8, txt);
    assert_string_equal(txt, "RED");
    bw_lwsrv_bs_rights_text(0x1f, txt);
    assert_string_equal(txt, "RWEDC");

    bw_assert_err(rights_err("", 0), BW_EMALFORMED);
    bw_assert_err(rights_err("r", 0), BW_EMALFORMED);
    bw_assert_err(rights_err("RX", 0), BW_EMALFORMED);
    bw_assert_err(rights_err("R W", 0), BW_EMALFORMED);
    bw_assert_err(bw_lwsrv_bs_access_rights("R\0W", 3, 0, &r), BW_EMALFORMED);
    bw_assert_err(rights_err("RR", 0), BW_EDUPKEY);
    bw_assert_err(rights_err("RWER", 0), BW_EDUPKEY);
    bw_assert_err(rights_err("C", 0), BW_ETYPE);
    bw_assert_err(rights_err("RC", 3), BW_ETYPE);
    bw_assert_err(rights_err("R", 65535), BW_ETYPE);
    bw_assert_err(rights_err("CR", 65535), BW_ETYPE);
    bw_assert_err(rights_err("CC", 65535), BW_EDUPKEY);
    bw_assert_err(bw_lwsrv_bs_access_rights(NULL, 0, 0, &r), BW_EINVAL);
}

static int parse_err(const char *s, size_t cap)
{
    bw_lwsrv_bs_access_t a[4];
    size_t n = 99;
    int err = bw_lwsrv_bs_access_parse(s, strlen(s), a, cap, &n);
    if (err != 0)
        assert_int_equal(n, 0);
    return err;
}

/* Tried: a map through its stored text and back, the empty map, then
 * broken texts.  Must hold: the entries in order and the same text back;
 * a trailing or empty ";" and an entry without "=" BW_EMALFORMED; one
 * path twice BW_EDUPKEY; more entries than room BW_EOVERFLOW; an entry's
 * own path or letter error as such; format refuses an entry the parser
 * would refuse (BW_EINVAL) and a short buffer (BW_ENOSPC). */
static void test_access_text(void **state)
{
    (void)state;
    const char *t = "/3/0=R;/3303=C;/3303/0=RW;/5/0=RWED";
    bw_lwsrv_bs_access_t a[4];
    size_t n = 0;
    bw_assert_err(bw_lwsrv_bs_access_parse(t, strlen(t), a, 4, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(a[0].oid, 3);
    assert_int_equal(a[0].iid, 0);
    assert_int_equal(a[0].rights, 1);
    assert_int_equal(a[1].oid, 3303);
    assert_int_equal(a[1].iid, 65535);
    assert_int_equal(a[1].rights, 16);
    assert_int_equal(a[2].rights, 3);
    assert_int_equal(a[3].rights, 15);
    char out[BW_LWSRV_BS_ACCESS_TEXT_MAX + 1];
    bw_assert_err(bw_lwsrv_bs_access_format(a, n, out, sizeof out), 0);
    assert_string_equal(out, t);
    bw_assert_err(bw_lwsrv_bs_access_parse("", 0, a, 4, &n), 0);
    assert_int_equal(n, 0);
    bw_assert_err(bw_lwsrv_bs_access_format(a, 0, out, sizeof out), 0);
    assert_string_equal(out, "");

    bw_assert_err(parse_err("/3/0=R;", 4), BW_EMALFORMED);
    bw_assert_err(parse_err(";/3/0=R", 4), BW_EMALFORMED);
    bw_assert_err(parse_err("/3/0=R;;/4/0=R", 4), BW_EMALFORMED);
    bw_assert_err(parse_err("/3/0", 4), BW_EMALFORMED);
    bw_assert_err(parse_err("/3/0=", 4), BW_EMALFORMED);
    bw_assert_err(parse_err("/3/0=Q", 4), BW_EMALFORMED);
    bw_assert_err(parse_err("/3/0=R;/3/0=W", 4), BW_EDUPKEY);
    bw_assert_err(parse_err("/3/0=R;/4/0=R;/5/0=R", 2), BW_EOVERFLOW);
    bw_assert_err(parse_err("=R", 4), BW_EPATH);
    bw_assert_err(parse_err("/3/0/1=R", 4), BW_EDEPTH);
    bw_assert_err(parse_err("/1/0=R", 4), BW_ERANGE);
    bw_assert_err(parse_err("/3=R", 4), BW_ETYPE);

    bw_assert_err(bw_lwsrv_bs_access_format(a, 4, out, 10), BW_ENOSPC);
    assert_string_equal(out, "");
    bw_lwsrv_bs_access_t bad = {.oid = 3, .iid = 0, .rights = 16};
    bw_assert_err(bw_lwsrv_bs_access_format(&bad, 1, out, sizeof out),
                  BW_EINVAL);
    bad = (bw_lwsrv_bs_access_t){.oid = 1, .iid = 0, .rights = 1};
    bw_assert_err(bw_lwsrv_bs_access_format(&bad, 1, out, sizeof out),
                  BW_EINVAL);
}

/* Tried: the TLV of one Access Control instance with two ACL entries
 * given out of SSID order, and of a Create grant, against bytes written
 * out by hand from OMA LwM2M Core E.3 and the TLV rules (6.4.3).  Must
 * hold: resources 0, 1, 2 (multiple: resource instance id = SSID, value
 * the bits, in increasing SSID order) and 3, shortest integers; then the
 * refusals. */
static void test_acl_tlv(void **state)
{
    (void)state;
    bw_lwsrv_bs_acl_t a = {.oid = 3303,
                           .iid = 0,
                           .owner = 101,
                           .n_acl = 2,
                           .acl = {{5, 1}, {2, 3}}};
    uint8_t out[64], want[64];
    size_t len = 0;
    bw_assert_err(bw_lwsrv_bs_acl_tlv(&a, 3, out, sizeof out, &len), 0);
    size_t wl = bw_test_hex("C2000CE7" /* /2/3/0 Object ID 3303 */
                            "C10100"   /* /2/3/1 instance 0 */
                            "8602"     /* /2/3/2, 6 bytes: */
                            "410203"
                            "410501"  /* ... ri 2 = RW, ri 5 = R */
                            "C10365", /* /2/3/3 owner 101 */
                            want, sizeof want);
    assert_int_equal(len, wl);
    assert_memory_equal(out, want, wl);

    /* A Create grant: instance 65535 needs four bytes as a signed
     * integer; without ACL entries resource 2 is left out. */
    bw_lwsrv_bs_acl_t g = {.oid = 3303, .iid = 65535, .owner = 101};
    bw_assert_err(bw_lwsrv_bs_acl_tlv(&g, 0, out, sizeof out, &len), 0);
    wl = bw_test_hex("C2000CE7"
                     "C4010000FFFF"
                     "C10365",
                     want, sizeof want);
    assert_int_equal(len, wl);
    assert_memory_equal(out, want, wl);

    bw_assert_err(bw_lwsrv_bs_acl_tlv(&a, 65535, out, sizeof out, &len),
                  BW_EINVAL);
    bw_lwsrv_bs_acl_t b = a;
    b.oid = 0;
    bw_assert_err(bw_lwsrv_bs_acl_tlv(&b, 0, out, sizeof out, &len), BW_EINVAL);
    b = a;
    b.owner = 0;
    bw_assert_err(bw_lwsrv_bs_acl_tlv(&b, 0, out, sizeof out, &len), BW_EINVAL);
    b = a;
    b.acl[1].ssid = 5; /* two entries for SSID 5 */
    bw_assert_err(bw_lwsrv_bs_acl_tlv(&b, 0, out, sizeof out, &len), BW_EINVAL);
    b = a;
    b.acl[0].ssid = 65535;
    bw_assert_err(bw_lwsrv_bs_acl_tlv(&b, 0, out, sizeof out, &len), BW_EINVAL);
    b = a;
    b.n_acl = BW_LWSRV_BS_EXTRA_MAX + 1;
    bw_assert_err(bw_lwsrv_bs_acl_tlv(&b, 0, out, sizeof out, &len), BW_EINVAL);
    bw_assert_err(bw_lwsrv_bs_acl_tlv(&a, 3, out, 8, &len), BW_ENOSPC);
}

static int discover_err(const char *s, size_t cap)
{
    bw_lwm2m_path_t p[8];
    size_t n = 99;
    int err = bw_lwsrv_bs_discover((const uint8_t *)s, strlen(s), p, cap, &n);
    if (err != 0)
        assert_int_equal(n, 0);
    return err;
}

/* Tried: a Bootstrap-Discover answer as bulwark-device gives it (the
 * root with lwm2m=, the bootstrap Security instance, objects without
 * instances, one instance twice), then malformed answers.  Must hold:
 * the instances outside objects 0, 1, 2, once each, in order; a
 * resource BW_EDEPTH, a target that is no path BW_EPATH, the link
 * parser's own codes for broken link-format, more instances than room
 * BW_EOVERFLOW. */
static void test_discover(void **state)
{
    (void)state;
    const char *ans = "</>;lwm2m=\"1.1\",</0/0>;ssid=101,</1>,</2>,</3/0>,"
                      "</4>,</5/0>,</3303/0>,</3303/1>,</3/0>";
    bw_lwm2m_path_t p[8];
    size_t n = 0;
    bw_assert_err(
        bw_lwsrv_bs_discover((const uint8_t *)ans, strlen(ans), p, 8, &n), 0);
    assert_int_equal(n, 4);
    static const uint16_t want[4][2] = {{3, 0}, {5, 0}, {3303, 0}, {3303, 1}};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(p[i].depth, 2);
        assert_int_equal(p[i].id[0], want[i][0]);
        assert_int_equal(p[i].id[1], want[i][1]);
    }
    bw_assert_err(bw_lwsrv_bs_discover((const uint8_t *)"", 0, p, 8, &n), 0);
    assert_int_equal(n, 0);

    bw_assert_err(discover_err("</3/0/1>", 8), BW_EDEPTH);
    bw_assert_err(discover_err("</3/0>,</foo>", 8), BW_EPATH);
    bw_assert_err(discover_err("</3/03>", 8), BW_EPATH);
    bw_assert_err(discover_err("</3/0", 8), BW_ETRUNC);
    bw_assert_err(discover_err("</3/0>,x", 8), BW_EMALFORMED);
    bw_assert_err(discover_err("</3/0>;a=\"\xff\"", 8), BW_EUTF8);
    bw_assert_err(discover_err("</3/0>,</4/0>,</5/0>", 2), BW_EOVERFLOW);
    bw_assert_err(bw_lwsrv_bs_discover(NULL, 3, p, 8, &n), BW_EINVAL);
}

/* Tried: two additional servers (SSID 2 and 3) with overlapping access,
 * a grant on an instance the device lacks, Create on one object from
 * both, on a device with /3/0, /5/0, /3303/0.  Must hold: one instance
 * per device instance in its order, owner the primary's SSID, the ACL
 * entries of the servers that have access there; one Create grant for
 * 3303 holding both servers; nothing for /9/0; too little room
 * BW_EOVERFLOW. */
static void test_acl_plan(void **state)
{
    (void)state;
    bw_lwsrv_bs_config_t c;
    memset(&c, 0, sizeof c);
    c.ssid = 101;
    c.n_extra = 2;
    c.extra[0].ssid = 2;
    c.extra[0].n_access = 4;
    c.extra[0].access[0] = (bw_lwsrv_bs_access_t){3, 0, 1};
    c.extra[0].access[1] = (bw_lwsrv_bs_access_t){3303, 65535, 16};
    c.extra[0].access[2] = (bw_lwsrv_bs_access_t){3303, 0, 3};
    c.extra[0].access[3] = (bw_lwsrv_bs_access_t){9, 0, 1};
    c.extra[1].ssid = 3;
    c.extra[1].n_access = 2;
    c.extra[1].access[0] = (bw_lwsrv_bs_access_t){3303, 0, 1};
    c.extra[1].access[1] = (bw_lwsrv_bs_access_t){3303, 65535, 16};
    bw_lwm2m_path_t inst[3] = {BW_LWM2M_PATH_INST(3, 0),
                               BW_LWM2M_PATH_INST(5, 0),
                               BW_LWM2M_PATH_INST(3303, 0)};
    bw_lwsrv_bs_acl_t a[8];
    size_t n = 0;
    bw_assert_err(bw_lwsrv_bs_acl_plan(&c, inst, 3, a, 8, &n), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(a[i].owner, 101);
    assert_int_equal(a[0].oid, 3);
    assert_int_equal(a[0].n_acl, 1);
    assert_int_equal(a[0].acl[0].ssid, 2);
    assert_int_equal(a[0].acl[0].rights, 1);
    assert_int_equal(a[1].oid, 5);
    assert_int_equal(a[1].n_acl, 0);
    assert_int_equal(a[2].oid, 3303);
    assert_int_equal(a[2].iid, 0);
    assert_int_equal(a[2].n_acl, 2);
    assert_int_equal(a[2].acl[0].rights, 3);
    assert_int_equal(a[2].acl[1].ssid, 3);
    assert_int_equal(a[2].acl[1].rights, 1);
    assert_int_equal(a[3].oid, 3303);
    assert_int_equal(a[3].iid, 65535);
    assert_int_equal(a[3].n_acl, 2);
    assert_int_equal(a[3].acl[0].rights, 16);
    assert_int_equal(a[3].acl[1].rights, 16);

    bw_assert_err(bw_lwsrv_bs_acl_plan(&c, inst, 3, a, 3, &n), BW_EOVERFLOW);
    assert_int_equal(n, 0);
    c.n_extra = BW_LWSRV_BS_EXTRA_MAX + 1;
    bw_assert_err(bw_lwsrv_bs_acl_plan(&c, inst, 3, a, 8, &n), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_path),
        cmocka_unit_test(test_access_rights),
        cmocka_unit_test(test_access_text),
        cmocka_unit_test(test_acl_tlv),
        cmocka_unit_test(test_discover),
        cmocka_unit_test(test_acl_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
