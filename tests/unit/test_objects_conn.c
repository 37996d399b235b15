/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Connectivity Monitoring object (/4) through its handler table and
 * the application's setters: values read back, refused values change
 * nothing, unchanged values are not reported, and the object cannot be
 * written (no write handler: the request handler answers 4.05).
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m_objects.h"

typedef struct {
    bw_lwm2m_conn_t c;
    bw_lwm2m_object_t obj;
    int changed[5];
} fix_t;

static void on_changed(void *app, const bw_lwm2m_path_t *p)
{
    fix_t *f = app;
    assert_int_equal(p->depth, 3);
    assert_int_equal(p->id[0], 4);
    assert_int_equal(p->id[1], 0);
    assert_true(p->id[2] < 5);
    f->changed[p->id[2]]++;
}

static void setup(fix_t *f)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(bw_lwm2m_conn_init(&f->c, &f->obj, on_changed, f), 0);
}

static int64_t read_int(fix_t *f, uint16_t res)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(4, 0, res);
    bw_lwm2m_value_t v;
    assert_int_equal(f->obj.ops->read(&f->obj, &p, &v, NULL, 0), 0);
    assert_int_equal(v.type, BW_LWM2M_TYPE_INTEGER);
    return v.v.i;
}

static size_t list_ri(fix_t *f, uint16_t res)
{
    uint16_t ids[8];
    size_t n = 99;
    assert_int_equal(f->obj.ops->list_ri(&f->obj, 0, res, ids, 8, &n), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], i);
    return n;
}

/*
 * The object: /4, single instance, version 1.1, four mandatory
 * read-only resources, no write or transaction handlers.  Defaults are
 * bearer 0, signal 0, no bearers, no addresses (empty multiple
 * resources, which a Read encodes as empty containers).
 */
static void test_definition_and_defaults(void **state)
{
    (void)state;
    fix_t f;
    setup(&f);
    assert_int_equal(f.obj.id, 4);
    assert_int_equal(f.obj.multiple_instances, 0);
    assert_string_equal(f.obj.version, "1.1");
    assert_int_equal(f.obj.nres, 4);
    for (uint16_t i = 0; i < f.obj.nres; i++) {
        assert_true(f.obj.res[i].mandatory);
        assert_int_equal(f.obj.res[i].ops, BW_LWM2M_OP_R);
    }
    assert_null(f.obj.ops->write);
    assert_null(f.obj.ops->begin);
    assert_int_equal(read_int(&f, 0), 0);
    assert_int_equal(read_int(&f, 2), 0);
    assert_int_equal(list_ri(&f, 1), 0);
    assert_int_equal(list_ri(&f, 4), 0);
    bw_lwm2m_value_t v;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RI(4, 0, 4, 0);
    bw_assert_err(f.obj.ops->read(&f.obj, &p, &v, NULL, 0), BW_ENOTFOUND);
    bw_lwm2m_path_t q = BW_LWM2M_PATH_RES(4, 0, 3);
    bw_assert_err(f.obj.ops->read(&f.obj, &q, &v, NULL, 0), BW_ENOTFOUND);
    bw_lwm2m_path_t r = BW_LWM2M_PATH_RES(4, 1, 0);
    bw_assert_err(f.obj.ops->read(&f.obj, &r, &v, NULL, 0), BW_ENOTFOUND);
    uint16_t ids[2];
    size_t n;
    bw_assert_err(f.obj.ops->list_ri(&f.obj, 0, 0, ids, 2, &n), BW_ENOTFOUND);
    bw_assert_err(bw_lwm2m_conn_init(NULL, &f.obj, NULL, NULL), BW_EINVAL);
}

/*
 * Setters: values read back and each real change is reported once;
 * bearer values above 50 are BW_ERANGE; too many bearers or addresses
 * BW_ENOMEM, an address longer than 45 bytes BW_EOVERFLOW, a NULL one
 * BW_EINVAL: and a refused call leaves the old values.
 */
static void test_setters(void **state)
{
    (void)state;
    fix_t f;
    static const uint8_t bearers[3] = {0, 6, 41};
    static const uint8_t bad[2] = {6, 51};
    static const uint8_t many[5] = {0, 1, 2, 3, 4};
    setup(&f);
    assert_int_equal(bw_lwm2m_conn_set_bearer(&f.c, 41), 0);
    assert_int_equal(bw_lwm2m_conn_set_bearer(&f.c, 41), 0);
    bw_assert_err(bw_lwm2m_conn_set_bearer(&f.c, 51), BW_ERANGE);
    bw_assert_err(bw_lwm2m_conn_set_bearer(&f.c, -1), BW_ERANGE);
    assert_int_equal(read_int(&f, 0), 41);
    assert_int_equal(f.changed[0], 1);

    assert_int_equal(bw_lwm2m_conn_set_rssi(&f.c, -87), 0);
    assert_int_equal(read_int(&f, 2), -87);
    assert_int_equal(f.changed[2], 1);

    assert_int_equal(bw_lwm2m_conn_set_bearers(&f.c, bearers, 3), 0);
    assert_int_equal(bw_lwm2m_conn_set_bearers(&f.c, bearers, 3), 0);
    bw_assert_err(bw_lwm2m_conn_set_bearers(&f.c, bad, 2), BW_ERANGE);
    bw_assert_err(bw_lwm2m_conn_set_bearers(&f.c, many, 5), BW_ENOMEM);
    assert_int_equal(list_ri(&f, 1), 3);
    assert_int_equal(f.changed[1], 1);
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RI(4, 0, 1, 2);
    bw_lwm2m_value_t v;
    assert_int_equal(f.obj.ops->read(&f.obj, &p, &v, NULL, 0), 0);
    assert_int_equal(v.v.i, 41);

    const char *ips[2] = {"192.0.2.7", "2001:db8::7"};
    assert_int_equal(bw_lwm2m_conn_set_ips(&f.c, ips, 2), 0);
    assert_int_equal(bw_lwm2m_conn_set_ips(&f.c, ips, 2), 0);
    assert_int_equal(f.changed[4], 1);
    const char *three[3] = {"a", "b", "c"};
    bw_assert_err(bw_lwm2m_conn_set_ips(&f.c, three, 3), BW_ENOMEM);
    const char *longest[1] = {"0000:0000:0000:0000:0000:ffff:192.168.100.228"};
    assert_int_equal(strlen(longest[0]), BW_LWM2M_CONN_IP_LEN);
    const char *too_long[2] = {
        "192.0.2.8", "0000:0000:0000:0000:0000:ffff:192.168.100.2288"};
    bw_assert_err(bw_lwm2m_conn_set_ips(&f.c, too_long, 2), BW_EOVERFLOW);
    const char *null_ip[1] = {NULL};
    bw_assert_err(bw_lwm2m_conn_set_ips(&f.c, null_ip, 1), BW_EINVAL);
    assert_int_equal(list_ri(&f, 4), 2);
    bw_lwm2m_path_t ip1 = BW_LWM2M_PATH_RI(4, 0, 4, 1);
    assert_int_equal(f.obj.ops->read(&f.obj, &ip1, &v, NULL, 0), 0);
    assert_int_equal(v.type, BW_LWM2M_TYPE_STRING);
    assert_int_equal(v.v.bytes.len, strlen(ips[1]));
    assert_memory_equal(v.v.bytes.ptr, ips[1], strlen(ips[1]));

    assert_int_equal(bw_lwm2m_conn_set_ips(&f.c, longest, 1), 0);
    assert_int_equal(list_ri(&f, 4), 1);
    assert_int_equal(f.changed[4], 2);
    assert_int_equal(bw_lwm2m_conn_set_ips(&f.c, NULL, 0), 0);
    assert_int_equal(list_ri(&f, 4), 0);
    bw_assert_err(bw_lwm2m_conn_set_rssi(NULL, 0), BW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_definition_and_defaults),
        cmocka_unit_test(test_setters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
