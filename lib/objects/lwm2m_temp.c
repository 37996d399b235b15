/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IPSO Temperature object (/3303, object version 1.1,
 * urn:oma:lwm2m:ext:3303:1.1) over a bw_lwm2m_temp_t: one instance per
 * sensor the application adds, fed with bw_lwm2m_temp_sample().
 *
 *   5601 Min Measured Value   float, lowest sample since the last reset
 *   5602 Max Measured Value   float, highest sample since the last reset
 *   5603 Min Range Value      float, what the sensor can measure
 *   5604 Max Range Value      float
 *   5605 Reset Min and Max Measured Values   Execute: both become the
 *                             current value
 *   5700 Sensor Value         float, the last sample (mandatory)
 *   5701 Sensor Units         string, "Cel" (SenML unit of degrees C)
 *
 * Before the first sample a sensor has no value: 5700, 5601 and 5602 are
 * absent (a Read of one is 4.04, a Read of the instance skips them).
 * Instances belong to the hardware: no Create, no Delete.
 *
 * The work on one instance (bw_lwm2m_temp_inst_*) is public, so that an
 * object keeping its own instance table answers as this one does; the
 * handlers here only find the instance and hand it over.
 */
#include "bw_float.h"
#include "bw_mem.h"
#include "objects_int.h"

#define R BW_LWM2M_OP_R
#define E BW_LWM2M_OP_E

/* bw_lwm2m_temp_inst_t.flags */
enum {
    F_VALUE = 1u, /* value, min and max hold samples */
    F_RANGE = 2u, /* range_min and range_max are set */
};

static const bw_lwm2m_res_def_t temp_res[] = {
    {BW_LWM2M_TEMP_RES_MIN, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {BW_LWM2M_TEMP_RES_MAX, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {BW_LWM2M_TEMP_RES_RANGE_MIN, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {BW_LWM2M_TEMP_RES_RANGE_MAX, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {BW_LWM2M_TEMP_RES_RESET, BW_LWM2M_TYPE_NONE, E, 0, 0},
    {BW_LWM2M_TEMP_RES_VALUE, BW_LWM2M_TYPE_FLOAT, R, 0, 1},
    {BW_LWM2M_TEMP_RES_UNITS, BW_LWM2M_TYPE_STRING, R, 0, 0},
};

/* ---- one instance -------------------------------------------------------- */

/* Bits of tell()'s mask, one per resource a sample or a reset moves, in
 * the order they are reported. */
enum {
    M_VALUE = 1u,
    M_MIN = 2u,
    M_MAX = 4u,
};

/* Tell `to` of each resource of s in mask. */
static void tell(const bw_lwm2m_temp_report_t *to,
                 const bw_lwm2m_temp_inst_t *s, unsigned mask)
{
    static const uint16_t res[] = {
        BW_LWM2M_TEMP_RES_VALUE, BW_LWM2M_TEMP_RES_MIN, BW_LWM2M_TEMP_RES_MAX};
    for (unsigned i = 0; i < sizeof res / sizeof res[0]; i++)
        if (mask & (1u << i))
            bw_objects__changed(to->changed, to->app, BW_LWM2M_OBJ_TEMP, s->id,
                                res[i]);
}

/* Whether d is finite, from its exponent bits: no soft-float call. */
static int is_finite(double d)
{
    return (bw__f64_bits(d) & BW__F64_INFINITY) != BW__F64_INFINITY;
}

/* The answer for a resource the switch does not serve: 4.05 if o defines
 * it, 4.04 if not. */
static int not_served(const bw_lwm2m_object_t *o, uint16_t res)
{
    return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED : BW_ENOTFOUND;
}

int bw_lwm2m_temp_inst_init(bw_lwm2m_temp_inst_t *s, uint16_t id,
                            double range_min, double range_max)
{
    if (s == NULL || id > BW_LWM2M_ID_MAX)
        return BW_EINVAL;
    int ranged = is_finite(range_min) && is_finite(range_max);
    if (ranged && range_min > range_max)
        return BW_ERANGE;
    bw__zero(s, sizeof *s);
    s->id = id;
    if (ranged) {
        s->flags = F_RANGE;
        s->range_min = range_min;
        s->range_max = range_max;
    }
    return 0;
}

int bw_lwm2m_temp_inst_read(const bw_lwm2m_object_t *o,
                            const bw_lwm2m_temp_inst_t *s,
                            const bw_lwm2m_path_t *path, const char *units,
                            const char *app_type, bw_lwm2m_value_t *v)
{
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    double x;
    if (s == NULL || path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (res) {
    case BW_LWM2M_TEMP_RES_VALUE:
    case BW_LWM2M_TEMP_RES_MIN:
    case BW_LWM2M_TEMP_RES_MAX:
        if (!(s->flags & F_VALUE))
            return BW_ENOTFOUND;
        x = res == BW_LWM2M_TEMP_RES_VALUE ? s->value
            : res == BW_LWM2M_TEMP_RES_MIN ? s->min
                                           : s->max;
        break;
    case BW_LWM2M_TEMP_RES_RANGE_MIN:
    case BW_LWM2M_TEMP_RES_RANGE_MAX:
        if (!(s->flags & F_RANGE))
            return BW_ENOTFOUND;
        x = res == BW_LWM2M_TEMP_RES_RANGE_MIN ? s->range_min : s->range_max;
        break;
    case BW_LWM2M_TEMP_RES_UNITS:
    case BW_LWM2M_TEMP_RES_APP_TYPE:
        return bw_objects__str(v, res == BW_LWM2M_TEMP_RES_UNITS ? units
                                                                 : app_type);
    default:
        return not_served(o, res);
    }
    *v = bw_lwm2m_value_float(x);
    return 0;
}

int bw_lwm2m_temp_inst_execute(const bw_lwm2m_object_t *o,
                               bw_lwm2m_temp_inst_t *s, uint16_t res,
                               const bw_lwm2m_temp_report_t *to)
{
    if (s == NULL)
        return BW_ENOTFOUND;
    if (res != BW_LWM2M_TEMP_RES_RESET)
        return not_served(o, res);
    if (!(s->flags & F_VALUE))
        return 0; /* nothing measured: nothing to reset */
    unsigned mask =
        (s->min != s->value ? M_MIN : 0u) | (s->max != s->value ? M_MAX : 0u);
    s->min = s->value;
    s->max = s->value;
    tell(to, s, mask);
    return 0;
}

int bw_lwm2m_temp_inst_sample(bw_lwm2m_temp_inst_t *s,
                              const bw_lwm2m_temp_report_t *to, double value)
{
    if (s == NULL || to == NULL)
        return BW_EINVAL;
    if (!is_finite(value))
        return BW_ERANGE;
    unsigned mask = M_VALUE | M_MIN | M_MAX; /* the first sample */
    if (s->flags & F_VALUE) {
        mask = (value != s->value ? M_VALUE : 0u) |
               (value < s->min ? M_MIN : 0u) | (value > s->max ? M_MAX : 0u);
    }
    s->flags |= F_VALUE;
    s->value = value;
    if (mask & M_MIN)
        s->min = value;
    if (mask & M_MAX)
        s->max = value;
    tell(to, s, mask);
    return 0;
}

/* ---- the object over bw_lwm2m_temp_t ------------------------------------- */

static bw_lwm2m_temp_inst_t *find(bw_lwm2m_temp_t *t, uint16_t inst)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->inst[i].id == inst)
            return &t->inst[i];
    return NULL;
}

static int temp_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    const bw_lwm2m_temp_t *t = o->ctx;
    *n = 0;
    if (t->n > cap)
        return BW_ENOSPC;
    for (size_t i = 0; i < t->n; i++)
        ids[i] = t->inst[i].id;
    *n = t->n;
    return 0;
}

static int temp_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                     bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    (void)scratch;
    (void)cap;
    return bw_lwm2m_temp_inst_read(o, find(o->ctx, path->id[BW_LWM2M_INSTANCE]),
                                   path, "Cel", NULL, v);
}

static int temp_execute(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                        const uint8_t *arg, size_t len)
{
    bw_lwm2m_temp_t *t = o->ctx;
    (void)arg;
    (void)len;
    return bw_lwm2m_temp_inst_execute(o, find(t, inst), res, &t->report);
}

static const bw_lwm2m_object_ops_t temp_ops = {
    .list = temp_list,
    .read = temp_read,
    .execute = temp_execute,
};

int bw_lwm2m_temp_init(bw_lwm2m_temp_t *t, bw_lwm2m_object_t *obj,
                       bw_lwm2m_changed_fn changed_fn, void *app)
{
    if (t == NULL || obj == NULL)
        return BW_EINVAL;
    bw__zero(t, sizeof *t);
    t->report.changed = changed_fn;
    t->report.app = app;
    bw__zero(obj, sizeof *obj);
    obj->id = BW_LWM2M_OBJ_TEMP;
    obj->multiple_instances = 1;
    obj->version = "1.1";
    obj->res = temp_res;
    obj->nres = (uint16_t)(sizeof temp_res / sizeof temp_res[0]);
    obj->ops = &temp_ops;
    obj->ctx = t;
    return 0;
}

int bw_lwm2m_temp_add(bw_lwm2m_temp_t *t, uint16_t inst, double range_min,
                      double range_max)
{
    bw_lwm2m_temp_inst_t s;
    if (t == NULL || inst > BW_LWM2M_ID_MAX)
        return BW_EINVAL;
    if (find(t, inst) != NULL)
        return BW_EDUPKEY;
    if (t->n == BW_LWM2M_TEMP_MAX_INST)
        return BW_ENOMEM;
    int err = bw_lwm2m_temp_inst_init(&s, inst, range_min, range_max);
    if (err != 0)
        return err;
    size_t at = t->n;
    while (at > 0 && t->inst[at - 1].id > inst) { /* keep them by id */
        bw__copy(&t->inst[at], &t->inst[at - 1], sizeof t->inst[0]);
        at--;
    }
    bw__copy(&t->inst[at], &s, sizeof s);
    t->n++;
    return 0;
}

int bw_lwm2m_temp_sample(bw_lwm2m_temp_t *t, uint16_t inst, double value)
{
    if (t == NULL)
        return BW_EINVAL;
    bw_lwm2m_temp_inst_t *s = find(t, inst);
    if (s == NULL)
        return BW_ENOTFOUND;
    return bw_lwm2m_temp_inst_sample(s, &t->report, value);
}
