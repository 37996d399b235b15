/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IPSO Temperature object (/3303) through its handler table and the
 * application's calls: instances listed by id, samples moving the value
 * and the min/max, the reset Execute, absent values before the first
 * sample, and the limits of add() and sample().
 */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "bulwark/lwm2m_objects.h"

typedef struct {
    bw_lwm2m_temp_t t;
    bw_lwm2m_object_t obj;
    int changed_value, changed_min, changed_max, changed_other;
    uint16_t last_inst;
} fix_t;

static void on_changed(void *app, const bw_lwm2m_path_t *p)
{
    fix_t *f = app;
    assert_int_equal(p->depth, 3);
    assert_int_equal(p->id[0], 3303);
    f->last_inst = p->id[1];
    if (p->id[2] == 5700)
        f->changed_value++;
    else if (p->id[2] == 5601)
        f->changed_min++;
    else if (p->id[2] == 5602)
        f->changed_max++;
    else
        f->changed_other++;
}

static void setup(fix_t *f)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(bw_lwm2m_temp_init(&f->t, &f->obj, on_changed, f), 0);
}

static int read_f(fix_t *f, uint16_t inst, uint16_t res, double *x)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(3303, inst, res);
    bw_lwm2m_value_t v;
    int err = f->obj.ops->read(&f->obj, &p, &v, NULL, 0);
    if (err == 0) {
        assert_int_equal(v.type, BW_LWM2M_TYPE_FLOAT);
        *x = v.v.f;
    }
    return err;
}

static double value(fix_t *f, uint16_t inst, uint16_t res)
{
    double x = NAN;
    assert_int_equal(read_f(f, inst, res, &x), 0);
    return x;
}

/*
 * Instances added out of order are listed ascending; duplicates are
 * BW_EDUPKEY, a fifth BW_ENOMEM, an inverted range BW_ERANGE, id 65535
 * BW_EINVAL.  A sensor with no sample has no value, min or max
 * (BW_ENOTFOUND); its range reads back, or is absent when not finite;
 * units are "Cel".
 */
static void test_instances(void **state)
{
    (void)state;
    fix_t f;
    uint16_t ids[8];
    size_t n;
    double x;
    bw_lwm2m_value_t v;
    setup(&f);
    assert_int_equal(f.obj.id, 3303);
    assert_int_equal(f.obj.multiple_instances, 1);
    assert_string_equal(f.obj.version, "1.1");
    assert_int_equal(f.obj.ops->list(&f.obj, ids, 8, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(bw_lwm2m_temp_add(&f.t, 7, -40.0, 125.0), 0);
    assert_int_equal(bw_lwm2m_temp_add(&f.t, 2, NAN, NAN), 0);
    assert_int_equal(bw_lwm2m_temp_add(&f.t, 4, -10.0, INFINITY), 0);
    bw_assert_err(bw_lwm2m_temp_add(&f.t, 7, 0, 1), BW_EDUPKEY);
    bw_assert_err(bw_lwm2m_temp_add(&f.t, 9, 5.0, 1.0), BW_ERANGE);
    bw_assert_err(bw_lwm2m_temp_add(&f.t, 65535, 0, 1), BW_EINVAL);
    assert_int_equal(bw_lwm2m_temp_add(&f.t, 0, 0, 1), 0);
    bw_assert_err(bw_lwm2m_temp_add(&f.t, 1, 0, 1), BW_ENOMEM);
    assert_int_equal(f.obj.ops->list(&f.obj, ids, 8, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 4);
    assert_int_equal(ids[3], 7);
    bw_assert_err(f.obj.ops->list(&f.obj, ids, 3, &n), BW_ENOSPC);

    bw_assert_err(read_f(&f, 7, 5700, &x), BW_ENOTFOUND);
    bw_assert_err(read_f(&f, 7, 5601, &x), BW_ENOTFOUND);
    bw_assert_err(read_f(&f, 7, 5602, &x), BW_ENOTFOUND);
    assert_true(value(&f, 7, 5603) == -40.0);
    assert_true(value(&f, 7, 5604) == 125.0);
    bw_assert_err(read_f(&f, 2, 5603, &x), BW_ENOTFOUND);
    bw_assert_err(read_f(&f, 4, 5604, &x), BW_ENOTFOUND);
    bw_assert_err(read_f(&f, 3, 5700, &x), BW_ENOTFOUND);
    bw_assert_err(read_f(&f, 7, 5605, &x), BW_EUNSUPPORTED);
    bw_assert_err(read_f(&f, 7, 5750, &x), BW_ENOTFOUND);
    bw_lwm2m_path_t u = BW_LWM2M_PATH_RES(3303, 2, 5701);
    assert_int_equal(f.obj.ops->read(&f.obj, &u, &v, NULL, 0), 0);
    assert_int_equal(v.type, BW_LWM2M_TYPE_STRING);
    assert_int_equal(v.v.bytes.len, 3);
    assert_memory_equal(v.v.bytes.ptr, "Cel", 3);
    assert_null(f.obj.ops->create);
    assert_null(f.obj.ops->remove);
    assert_null(f.obj.ops->write);
}

/*
 * Samples: the first sets value, min and max; later ones move min or
 * max only past them; a repeated value reports nothing; NaN and
 * infinities are BW_ERANGE and change nothing; an unknown instance is
 * BW_ENOTFOUND.  Reset Min and Max sets both to the current value and
 * reports what moved; before any sample it does nothing.
 */
static void test_samples_and_reset(void **state)
{
    (void)state;
    fix_t f;
    setup(&f);
    assert_int_equal(bw_lwm2m_temp_add(&f.t, 0, -40.0, 125.0), 0);
    assert_int_equal(bw_lwm2m_temp_add(&f.t, 1, NAN, NAN), 0);
    assert_int_equal(f.obj.ops->execute(&f.obj, 0, 5605, NULL, 0), 0);
    assert_int_equal(f.changed_min + f.changed_max, 0);

    assert_int_equal(bw_lwm2m_temp_sample(&f.t, 0, 21.5), 0);
    assert_true(value(&f, 0, 5700) == 21.5);
    assert_true(value(&f, 0, 5601) == 21.5);
    assert_true(value(&f, 0, 5602) == 21.5);
    assert_int_equal(f.changed_value, 1);
    assert_int_equal(f.changed_min, 1);
    assert_int_equal(f.changed_max, 1);

    assert_int_equal(bw_lwm2m_temp_sample(&f.t, 0, 19.25), 0);
    assert_int_equal(bw_lwm2m_temp_sample(&f.t, 0, 23.0), 0);
    assert_int_equal(bw_lwm2m_temp_sample(&f.t, 0, 22.0), 0);
    assert_int_equal(bw_lwm2m_temp_sample(&f.t, 0, 22.0), 0);
    assert_true(value(&f, 0, 5700) == 22.0);
    assert_true(value(&f, 0, 5601) == 19.25);
    assert_true(value(&f, 0, 5602) == 23.0);
    assert_int_equal(f.changed_value, 4);
    assert_int_equal(f.changed_min, 2);
    assert_int_equal(f.changed_max, 2);

    bw_assert_err(bw_lwm2m_temp_sample(&f.t, 0, NAN), BW_ERANGE);
    bw_assert_err(bw_lwm2m_temp_sample(&f.t, 0, -INFINITY), BW_ERANGE);
    bw_assert_err(bw_lwm2m_temp_sample(&f.t, 5, 1.0), BW_ENOTFOUND);
    bw_assert_err(bw_lwm2m_temp_sample(NULL, 0, 1.0), BW_EINVAL);
    assert_true(value(&f, 0, 5700) == 22.0);
    double x;
    bw_assert_err(read_f(&f, 1, 5700, &x), BW_ENOTFOUND);

    assert_int_equal(f.obj.ops->execute(&f.obj, 0, 5605, NULL, 0), 0);
    assert_true(value(&f, 0, 5601) == 22.0);
    assert_true(value(&f, 0, 5602) == 22.0);
    assert_int_equal(f.changed_min, 3);
    assert_int_equal(f.changed_max, 3);
    assert_int_equal(f.obj.ops->execute(&f.obj, 0, 5605, NULL, 0), 0);
    assert_int_equal(f.changed_min + f.changed_max, 6);
    assert_int_equal(f.changed_other, 0);

    bw_assert_err(f.obj.ops->execute(&f.obj, 0, 5700, NULL, 0),
                  BW_EUNSUPPORTED);
    bw_assert_err(f.obj.ops->execute(&f.obj, 0, 5606, NULL, 0), BW_ENOTFOUND);
    bw_assert_err(f.obj.ops->execute(&f.obj, 3, 5605, NULL, 0), BW_ENOTFOUND);
    assert_int_equal(bw_lwm2m_temp_sample(&f.t, 1, -5.0), 0);
    assert_int_equal(f.last_inst, 1);
}

/*
 * The per-instance layer on its own (what a multi-instance object of the
 * application builds on), with an instance outside any bw_lwm2m_temp_t:
 * init refuses an inverted range (BW_ERANGE) and id 65535 (BW_EINVAL),
 * leaving s as it was; read answers the caller's units and application
 * type (absent: BW_ENOTFOUND), BW_ENOTFOUND for a NULL instance, for the
 * value before the first sample and for a resource the object does not
 * define, BW_EUNSUPPORTED for the Reset resource; a sample moves value,
 * min and max and tells `to` of each (a NaN is BW_ERANGE and changes
 * nothing); execute of 5605 resets min and max to the value (only those
 * that moved are told), of 5700 is BW_EUNSUPPORTED, of a NULL instance
 * BW_ENOTFOUND.
 */
static void test_instance_layer(void **state)
{
    (void)state;
    fix_t f;
    setup(&f); /* for its object (the resource table) and on_changed */
    bw_lwm2m_temp_report_t to = {on_changed, &f};
    bw_lwm2m_temp_inst_t s, keep;
    bw_lwm2m_value_t v;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(3303, 7, 5700);

    assert_int_equal(bw_lwm2m_temp_inst_init(&s, 7, -40.0, 85.0), 0);
    keep = s;
    bw_assert_err(bw_lwm2m_temp_inst_init(&s, 8, 10.0, -10.0), BW_ERANGE);
    bw_assert_err(bw_lwm2m_temp_inst_init(&s, 65535, 0.0, 1.0), BW_EINVAL);
    assert_memory_equal(&s, &keep, sizeof s);

    bw_assert_err(bw_lwm2m_temp_inst_read(&f.obj, &s, &p, "Cel", NULL, &v),
                  BW_ENOTFOUND); /* no sample yet */
    bw_assert_err(bw_lwm2m_temp_inst_read(&f.obj, NULL, &p, "Cel", NULL, &v),
                  BW_ENOTFOUND);
    p.id[2] = BW_LWM2M_TEMP_RES_UNITS;
    assert_int_equal(bw_lwm2m_temp_inst_read(&f.obj, &s, &p, "Far", NULL, &v),
                     0);
    assert_int_equal(v.type, BW_LWM2M_TYPE_STRING);
    assert_int_equal(v.v.bytes.len, 3);
    assert_memory_equal(v.v.bytes.ptr, "Far", 3);
    p.id[2] = BW_LWM2M_TEMP_RES_APP_TYPE;
    bw_assert_err(bw_lwm2m_temp_inst_read(&f.obj, &s, &p, "Cel", NULL, &v),
                  BW_ENOTFOUND);
    p.id[2] = BW_LWM2M_TEMP_RES_RANGE_MAX;
    assert_int_equal(bw_lwm2m_temp_inst_read(&f.obj, &s, &p, "Cel", NULL, &v),
                     0);
    assert_true(v.v.f == 85.0);
    p.id[2] = BW_LWM2M_TEMP_RES_RESET;
    bw_assert_err(bw_lwm2m_temp_inst_read(&f.obj, &s, &p, "Cel", NULL, &v),
                  BW_EUNSUPPORTED);
    p.id[2] = 5999;
    bw_assert_err(bw_lwm2m_temp_inst_read(&f.obj, &s, &p, "Cel", NULL, &v),
                  BW_ENOTFOUND);

    assert_int_equal(bw_lwm2m_temp_inst_sample(&s, &to, 21.5), 0);
    assert_int_equal(f.changed_value, 1);
    assert_int_equal(f.changed_min, 1);
    assert_int_equal(f.changed_max, 1);
    assert_int_equal(f.last_inst, 7);
    assert_int_equal(bw_lwm2m_temp_inst_sample(&s, &to, 25.0), 0);
    assert_int_equal(f.changed_value, 2);
    assert_int_equal(f.changed_min, 1); /* 21.5 stays the min */
    assert_int_equal(f.changed_max, 2);
    keep = s;
    bw_assert_err(bw_lwm2m_temp_inst_sample(&s, &to, NAN), BW_ERANGE);
    assert_memory_equal(&s, &keep, sizeof s);
    bw_assert_err(bw_lwm2m_temp_inst_sample(NULL, &to, 1.0), BW_EINVAL);
    p.id[2] = BW_LWM2M_TEMP_RES_MIN;
    assert_int_equal(bw_lwm2m_temp_inst_read(&f.obj, &s, &p, "Cel", NULL, &v),
                     0);
    assert_true(v.v.f == 21.5);

    /* Reset: the min moves up to 25.0, the max is 25.0 already. */
    assert_int_equal(
        bw_lwm2m_temp_inst_execute(&f.obj, &s, BW_LWM2M_TEMP_RES_RESET, &to),
        0);
    assert_int_equal(f.changed_min, 2);
    assert_int_equal(f.changed_max, 2);
    assert_int_equal(bw_lwm2m_temp_inst_read(&f.obj, &s, &p, "Cel", NULL, &v),
                     0);
    assert_true(v.v.f == 25.0);
    bw_assert_err(
        bw_lwm2m_temp_inst_execute(&f.obj, &s, BW_LWM2M_TEMP_RES_VALUE, &to),
        BW_EUNSUPPORTED);
    bw_assert_err(
        bw_lwm2m_temp_inst_execute(&f.obj, NULL, BW_LWM2M_TEMP_RES_RESET, &to),
        BW_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_samples_and_reset),
        cmocka_unit_test(test_instance_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
