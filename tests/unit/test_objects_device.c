/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Device object (/3) through its handler table, driven the way the
 * request handler drives it (begin, write..., commit, or rollback at the
 * first failure), and through the application's setters: identity and
 * optional resources, the Error Code list and its reset, power sources,
 * battery, the clock hooks, transactional writes of UTC Offset and
 * Timezone, and the Execute hooks.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m_objects.h"

typedef struct {
    bw_lwm2m_device_t d;
    bw_lwm2m_object_t obj;
    bw_lwm2m_device_cfg_t cfg;
    int reboots, resets, sets;
    int reboot_ret;
    int64_t clock;
    int changed[20]; /* change reports per resource of /3/0 */
} fix_t;

static int on_reboot(void *app)
{
    fix_t *f = app;
    f->reboots++;
    return f->reboot_ret;
}

static int on_factory_reset(void *app)
{
    ((fix_t *)app)->resets++;
    return 0;
}

static int on_get_time(void *app, int64_t *now)
{
    *now = ((fix_t *)app)->clock;
    return 0;
}

static void on_set_time(void *app, int64_t t)
{
    fix_t *f = app;
    f->sets++;
    f->clock = t;
}

static void on_changed(void *app, const bw_lwm2m_path_t *p)
{
    fix_t *f = app;
    assert_int_equal(p->depth, 3);
    assert_int_equal(p->id[0], 3);
    assert_int_equal(p->id[1], 0);
    assert_true(p->id[2] < 20);
    f->changed[p->id[2]]++;
}

static void setup(fix_t *f)
{
    memset(f, 0, sizeof *f);
    f->cfg.manufacturer = "Bulwark";
    f->cfg.model = "BW-1";
    f->cfg.serial = "0001";
    f->cfg.firmware_version = "1.0.0";
    f->cfg.reboot = on_reboot;
    f->cfg.factory_reset = on_factory_reset;
    f->cfg.get_time = on_get_time;
    f->cfg.set_time = on_set_time;
    f->cfg.changed = on_changed;
    f->cfg.app = f;
    f->clock = 1700000000;
    assert_int_equal(bw_lwm2m_device_init(&f->d, &f->obj, &f->cfg), 0);
}

static int rd(fix_t *f, const bw_lwm2m_path_t *p, bw_lwm2m_value_t *v)
{
    return f->obj.ops->read(&f->obj, p, v, NULL, 0);
}

static int read_res(fix_t *f, uint16_t res, bw_lwm2m_value_t *v)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(3, 0, res);
    return rd(f, &p, v);
}

static void expect_str(fix_t *f, uint16_t res, const char *want)
{
    bw_lwm2m_value_t v;
    assert_int_equal(read_res(f, res, &v), 0);
    assert_int_equal(v.type, BW_LWM2M_TYPE_STRING);
    assert_int_equal(v.v.bytes.len, strlen(want));
    assert_memory_equal(v.v.bytes.ptr, want, strlen(want));
}

/* The values of multiple resource res, via list_ri and read. */
static size_t read_multi(fix_t *f, uint16_t res, int64_t *out, size_t cap)
{
    uint16_t ids[16];
    size_t n = 0;
    assert_int_equal(f->obj.ops->list_ri(&f->obj, 0, res, ids, 16, &n), 0);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        bw_lwm2m_path_t p = BW_LWM2M_PATH_RI(3, 0, res, ids[i]);
        bw_lwm2m_value_t v;
        assert_int_equal(ids[i], i);
        assert_int_equal(rd(f, &p, &v), 0);
        assert_int_equal(v.type, BW_LWM2M_TYPE_INTEGER);
        out[i] = v.v.i;
    }
    return n;
}

typedef struct {
    uint16_t res;
    bw_lwm2m_value_t v;
} wr_t;

static wr_t str(uint16_t res, const char *s)
{
    wr_t w = {res, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, s, strlen(s))};
    return w;
}

static int request(fix_t *f, bw_lwm2m_txn_t kind, const wr_t *w, size_t n)
{
    const bw_lwm2m_object_ops_t *ops = f->obj.ops;
    int err = ops->begin(&f->obj, 0, kind);
    if (err != 0)
        return err;
    for (size_t i = 0; err == 0 && i < n; i++) {
        bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(3, 0, w[i].res);
        err = ops->write(&f->obj, &p, &w[i].v);
    }
    if (err == 0 && ops->validate != NULL)
        err = ops->validate(&f->obj, 0);
    if (err != 0)
        ops->rollback(&f->obj, 0);
    else
        ops->commit(&f->obj, 0);
    return err;
}

/*
 * Identity strings read back as configured; optional ones left NULL are
 * absent (BW_ENOTFOUND, so an instance Read skips them); the binding
 * defaults to "U"; the object is /3, single instance 0, version 1.1, and
 * its table is sorted (the request handler refuses it otherwise).
 */
static void test_identity(void **state)
{
    (void)state;
    fix_t f;
    bw_lwm2m_value_t v;
    uint16_t ids[4];
    size_t n;
    setup(&f);
    assert_int_equal(f.obj.id, 3);
    assert_int_equal(f.obj.multiple_instances, 0);
    assert_string_equal(f.obj.version, "1.1");
    for (uint16_t i = 1; i < f.obj.nres; i++)
        assert_true(f.obj.res[i - 1].id < f.obj.res[i].id);
    assert_int_equal(f.obj.ops->list(&f.obj, ids, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 0);
    bw_assert_err(f.obj.ops->list(&f.obj, ids, 0, &n), BW_ENOSPC);

    expect_str(&f, 0, "Bulwark");
    expect_str(&f, 1, "BW-1");
    expect_str(&f, 2, "0001");
    expect_str(&f, 3, "1.0.0");
    expect_str(&f, 16, "U");
    bw_assert_err(read_res(&f, 19, &v), BW_ENOTFOUND);
    bw_assert_err(read_res(&f, 9, &v), BW_ENOTFOUND);    /* no battery */
    bw_assert_err(read_res(&f, 4, &v), BW_EUNSUPPORTED); /* Execute only */
    bw_assert_err(read_res(&f, 17, &v), BW_ENOTFOUND);
    bw_lwm2m_path_t other = BW_LWM2M_PATH_RES(3, 1, 0);
    bw_assert_err(rd(&f, &other, &v), BW_ENOTFOUND);

    f.cfg.software_version = "agent-2";
    f.cfg.binding = "UQ";
    assert_int_equal(bw_lwm2m_device_init(&f.d, &f.obj, &f.cfg), 0);
    expect_str(&f, 19, "agent-2");
    expect_str(&f, 16, "UQ");
    bw_assert_err(bw_lwm2m_device_init(&f.d, NULL, &f.cfg), BW_EINVAL);
    bw_assert_err(bw_lwm2m_device_init(&f.d, &f.obj, NULL), BW_EINVAL);
}

/*
 * Error Code: with nothing raised it is one instance of value 0; raised
 * codes appear in order, once each; out-of-range codes are BW_ERANGE, a
 * ninth distinct one BW_ENOMEM; clearing a code not raised is
 * BW_ENOTFOUND; Execute Reset Error Code empties the list.  Each real
 * change is reported once.
 */
static void test_error_codes(void **state)
{
    (void)state;
    fix_t f;
    int64_t codes[16];
    setup(&f);
    assert_int_equal(read_multi(&f, 11, codes, 16), 1);
    assert_int_equal(codes[0], 0);

    assert_int_equal(bw_lwm2m_device_set_error(&f.d, 7), 0);
    assert_int_equal(bw_lwm2m_device_set_error(&f.d, 1), 0);
    assert_int_equal(bw_lwm2m_device_set_error(&f.d, 7), 0); /* again */
    assert_int_equal(f.changed[11], 2);
    assert_int_equal(read_multi(&f, 11, codes, 16), 2);
    assert_int_equal(codes[0], 7);
    assert_int_equal(codes[1], 1);
    bw_lwm2m_path_t past = BW_LWM2M_PATH_RI(3, 0, 11, 2);
    bw_lwm2m_value_t v;
    bw_assert_err(rd(&f, &past, &v), BW_ENOTFOUND);

    bw_assert_err(bw_lwm2m_device_set_error(&f.d, 0), BW_ERANGE);
    bw_assert_err(bw_lwm2m_device_set_error(&f.d, 33), BW_ERANGE);
    for (uint8_t c = 16; c < 22; c++)
        assert_int_equal(bw_lwm2m_device_set_error(&f.d, c), 0);
    bw_assert_err(bw_lwm2m_device_set_error(&f.d, 32), BW_ENOMEM);
    assert_int_equal(read_multi(&f, 11, codes, 16), 8);

    assert_int_equal(bw_lwm2m_device_clear_error(&f.d, 1), 0);
    bw_assert_err(bw_lwm2m_device_clear_error(&f.d, 1), BW_ENOTFOUND);
    assert_int_equal(read_multi(&f, 11, codes, 16), 7);
    assert_int_equal(codes[0], 7);
    assert_int_equal(codes[1], 16);
    int before = f.changed[11];
    assert_int_equal(f.obj.ops->execute(&f.obj, 0, 12, NULL, 0), 0);
    assert_int_equal(f.changed[11], before + 1);
    assert_int_equal(read_multi(&f, 11, codes, 16), 1);
    assert_int_equal(codes[0], 0);
    assert_int_equal(f.obj.ops->execute(&f.obj, 0, 12, NULL, 0), 0);
    assert_int_equal(f.changed[11], before + 1); /* nothing to clear */
    bw_assert_err(bw_lwm2m_device_set_error(NULL, 1), BW_EINVAL);
    bw_assert_err(bw_lwm2m_device_clear_error(NULL, 1), BW_EINVAL);
}

/*
 * Power sources and battery level: set values read back; a value out of
 * range or too many values is refused and nothing changes; setting the
 * same values again reports nothing; battery -1 makes it absent.
 */
static void test_power_and_battery(void **state)
{
    (void)state;
    fix_t f;
    int64_t got[8];
    bw_lwm2m_value_t v;
    static const uint8_t src[2] = {1, 5};
    static const uint8_t bad[2] = {1, 8};
    static const uint8_t many[5] = {0, 1, 2, 3, 4};
    setup(&f);
    assert_int_equal(read_multi(&f, 6, got, 8), 0);
    assert_int_equal(bw_lwm2m_device_set_power(&f.d, src, 2), 0);
    assert_int_equal(bw_lwm2m_device_set_power(&f.d, src, 2), 0);
    assert_int_equal(f.changed[6], 1);
    bw_assert_err(bw_lwm2m_device_set_power(&f.d, bad, 2), BW_ERANGE);
    bw_assert_err(bw_lwm2m_device_set_power(&f.d, many, 5), BW_ENOMEM);
    bw_assert_err(bw_lwm2m_device_set_power(&f.d, NULL, 1), BW_EINVAL);
    assert_int_equal(read_multi(&f, 6, got, 8), 2);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 5);

    assert_int_equal(bw_lwm2m_device_set_battery(&f.d, 87), 0);
    assert_int_equal(read_res(&f, 9, &v), 0);
    assert_int_equal(v.v.i, 87);
    bw_assert_err(bw_lwm2m_device_set_battery(&f.d, 101), BW_ERANGE);
    bw_assert_err(bw_lwm2m_device_set_battery(&f.d, -2), BW_ERANGE);
    assert_int_equal(bw_lwm2m_device_set_battery(&f.d, -1), 0);
    bw_assert_err(read_res(&f, 9, &v), BW_ENOTFOUND);
    assert_int_equal(f.changed[9], 2);
}

/*
 * Current Time reads the application's clock; a write reaches set_time()
 * only when the request commits, never when it rolls back; without
 * set_time() the resource is read-only (BW_EUNSUPPORTED), without
 * get_time() it is absent.
 */
static void test_current_time(void **state)
{
    (void)state;
    fix_t f;
    bw_lwm2m_value_t v;
    setup(&f);
    assert_int_equal(read_res(&f, 13, &v), 0);
    assert_int_equal(v.type, BW_LWM2M_TYPE_TIME);
    assert_int_equal(v.v.t, 1700000000);

    wr_t t = {13, bw_lwm2m_value_time(1800000000)};
    assert_int_equal(request(&f, BW_LWM2M_TXN_UPDATE, &t, 1), 0);
    assert_int_equal(f.sets, 1);
    assert_int_equal(f.clock, 1800000000);

    wr_t a[2] = {{13, bw_lwm2m_value_time(5)}, {16, bw_lwm2m_value_int(1)}};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, a, 2), BW_EUNSUPPORTED);
    assert_int_equal(f.sets, 1);
    assert_int_equal(f.clock, 1800000000);

    f.cfg.set_time = NULL;
    f.cfg.get_time = NULL;
    assert_int_equal(bw_lwm2m_device_init(&f.d, &f.obj, &f.cfg), 0);
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, &t, 1), BW_EUNSUPPORTED);
    bw_assert_err(read_res(&f, 13, &v), BW_ENOTFOUND);
}

/*
 * UTC Offset and Timezone are transactional: a request writing a good
 * offset and then an over-long timezone (BW_ERANGE) changes neither; a
 * string with a NUL byte is BW_EMALFORMED, another type BW_ETYPE; Write
 * replace empties the one it does not name; partial update keeps it.
 */
static void test_timezone_transaction(void **state)
{
    (void)state;
    fix_t f;
    char tz[BW_LWM2M_DEVICE_TIMEZONE_MAX + 2];
    setup(&f);
    wr_t ok[2] = {str(14, "+01:00"), str(15, "Europe/Paris")};
    assert_int_equal(request(&f, BW_LWM2M_TXN_UPDATE, ok, 2), 0);
    expect_str(&f, 14, "+01:00");
    expect_str(&f, 15, "Europe/Paris");

    memset(tz, 'x', sizeof tz);
    tz[sizeof tz - 1] = '\0';
    wr_t bad[2] = {str(14, "-03:30"), str(15, tz)};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, bad, 2), BW_ERANGE);
    expect_str(&f, 14, "+01:00");
    expect_str(&f, 15, "Europe/Paris");
    assert_string_equal(bw_lwm2m_device_utc_offset(&f.d), "+01:00");

    tz[sizeof tz - 2] = '\0'; /* exactly the limit */
    wr_t longest = str(15, tz);
    assert_int_equal(request(&f, BW_LWM2M_TXN_UPDATE, &longest, 1), 0);
    assert_int_equal(strlen(bw_lwm2m_device_timezone(&f.d)),
                     BW_LWM2M_DEVICE_TIMEZONE_MAX);

    wr_t nul = {14, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "+0\0", 3)};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, &nul, 1), BW_EMALFORMED);
    wr_t num = {14, bw_lwm2m_value_int(1)};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, &num, 1), BW_ETYPE);
    expect_str(&f, 14, "+01:00");

    wr_t only = str(14, "+02:00");
    assert_int_equal(request(&f, BW_LWM2M_TXN_REPLACE, &only, 1), 0);
    expect_str(&f, 14, "+02:00");
    expect_str(&f, 15, "");
    wr_t zone = str(15, "Asia/Tokyo");
    assert_int_equal(request(&f, BW_LWM2M_TXN_UPDATE, &zone, 1), 0);
    expect_str(&f, 14, "+02:00");

    /* A failed replace restores what replace had emptied. */
    wr_t fail = {0, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "x", 1)};
    bw_assert_err(request(&f, BW_LWM2M_TXN_REPLACE, &fail, 1), BW_EUNSUPPORTED);
    expect_str(&f, 14, "+02:00");
    expect_str(&f, 15, "Asia/Tokyo");
    bw_assert_err(f.obj.ops->begin(&f.obj, 0, BW_LWM2M_TXN_CREATE),
                  BW_EUNSUPPORTED);
    bw_assert_err(f.obj.ops->begin(&f.obj, 1, BW_LWM2M_TXN_UPDATE),
                  BW_ENOTFOUND);
}

/*
 * Execute: Reboot and Factory Reset call their hooks and answer what the
 * hook answers; without a hook they are BW_EUNSUPPORTED; a resource that
 * is not executable is BW_EUNSUPPORTED, an unknown one or another
 * instance BW_ENOTFOUND.
 */
static void test_execute(void **state)
{
    (void)state;
    fix_t f;
    setup(&f);
    assert_int_equal(f.obj.ops->execute(&f.obj, 0, 4, NULL, 0), 0);
    assert_int_equal(f.reboots, 1);
    f.reboot_ret = BW_ESTATE;
    bw_assert_err(f.obj.ops->execute(&f.obj, 0, 4, NULL, 0), BW_ESTATE);
    assert_int_equal(f.reboots, 2);
    assert_int_equal(f.obj.ops->execute(&f.obj, 0, 5, NULL, 0), 0);
    assert_int_equal(f.resets, 1);
    bw_assert_err(f.obj.ops->execute(&f.obj, 0, 0, NULL, 0), BW_EUNSUPPORTED);
    bw_assert_err(f.obj.ops->execute(&f.obj, 0, 7, NULL, 0), BW_ENOTFOUND);
    bw_assert_err(f.obj.ops->execute(&f.obj, 1, 4, NULL, 0), BW_ENOTFOUND);

    f.cfg.reboot = NULL;
    f.cfg.factory_reset = NULL;
    assert_int_equal(bw_lwm2m_device_init(&f.d, &f.obj, &f.cfg), 0);
    bw_assert_err(f.obj.ops->execute(&f.obj, 0, 4, NULL, 0), BW_EUNSUPPORTED);
    bw_assert_err(f.obj.ops->execute(&f.obj, 0, 5, NULL, 0), BW_EUNSUPPORTED);
    assert_int_equal(f.reboots, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_power_and_battery),
        cmocka_unit_test(test_current_time),
        cmocka_unit_test(test_timezone_transaction),
        cmocka_unit_test(test_execute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
