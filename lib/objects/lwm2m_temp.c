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
 */
#include "bw_mem.h"
#include "objects_int.h"

#define R BW_LWM2M_OP_R
#define E BW_LWM2M_OP_E

enum {
    RES_MIN = 5601,
    RES_MAX = 5602,
    RES_RANGE_MIN = 5603,
    RES_RANGE_MAX = 5604,
    RES_RESET = 5605,
    RES_VALUE = 5700,
    RES_UNITS = 5701,
};

/* bw_lwm2m_temp_inst_t.flags */
enum {
    F_VALUE = 1u, /* value, min and max hold samples */
    F_RANGE = 2u, /* range_min and range_max are set */
};

static const bw_lwm2m_res_def_t temp_res[] = {
    {RES_MIN, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {RES_MAX, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {RES_RANGE_MIN, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {RES_RANGE_MAX, BW_LWM2M_TYPE_FLOAT, R, 0, 0},
    {RES_RESET, BW_LWM2M_TYPE_NONE, E, 0, 0},
    {RES_VALUE, BW_LWM2M_TYPE_FLOAT, R, 0, 1},
    {RES_UNITS, BW_LWM2M_TYPE_STRING, R, 0, 0},
};

static void changed(const bw_lwm2m_temp_t *t, uint16_t inst, uint16_t res)
{
    bw_objects__changed(t->changed, t->app, BW_LWM2M_OBJ_TEMP, inst, res);
}

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
    const bw_lwm2m_temp_inst_t *s = find(o->ctx, path->id[BW_LWM2M_INSTANCE]);
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    double x;
    (void)scratch;
    (void)cap;
    if (s == NULL || path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (res) {
    case RES_VALUE:
    case RES_MIN:
    case RES_MAX:
        if (!(s->flags & F_VALUE))
            return BW_ENOTFOUND;
        x = res == RES_VALUE ? s->value : res == RES_MIN ? s->min : s->max;
        break;
    case RES_RANGE_MIN:
    case RES_RANGE_MAX:
        if (!(s->flags & F_RANGE))
            return BW_ENOTFOUND;
        x = res == RES_RANGE_MIN ? s->range_min : s->range_max;
        break;
    case RES_UNITS:
        return bw_objects__str(v, "Cel");
    default:
        return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED
                                                   : BW_ENOTFOUND;
    }
    *v = bw_lwm2m_value_float(x);
    return 0;
}

static int temp_execute(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                        const uint8_t *arg, size_t len)
{
    bw_lwm2m_temp_t *t = o->ctx;
    bw_lwm2m_temp_inst_t *s = find(t, inst);
    (void)arg;
    (void)len;
    if (s == NULL)
        return BW_ENOTFOUND;
    if (res != RES_RESET)
        return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED
                                                   : BW_ENOTFOUND;
    if (!(s->flags & F_VALUE))
        return 0; /* nothing measured: nothing to reset */
    if (s->min != s->value) {
        s->min = s->value;
        changed(t, inst, RES_MIN);
    }
    if (s->max != s->value) {
        s->max = s->value;
        changed(t, inst, RES_MAX);
    }
    return 0;
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
    t->changed = changed_fn;
    t->app = app;
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
    int ranged = bw_objects__finite(range_min) && bw_objects__finite(range_max);
    if (t == NULL || inst > BW_LWM2M_ID_MAX)
        return BW_EINVAL;
    if (find(t, inst) != NULL)
        return BW_EDUPKEY;
    if (t->n == BW_LWM2M_TEMP_MAX_INST)
        return BW_ENOMEM;
    if (ranged && range_min > range_max)
        return BW_ERANGE;
    size_t at = t->n;
    while (at > 0 && t->inst[at - 1].id > inst) { /* keep them by id */
        bw__copy(&t->inst[at], &t->inst[at - 1], sizeof t->inst[0]);
        at--;
    }
    bw_lwm2m_temp_inst_t *s = &t->inst[at];
    bw__zero(s, sizeof *s);
    s->id = inst;
    if (ranged) {
        s->flags = F_RANGE;
        s->range_min = range_min;
        s->range_max = range_max;
    }
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
    if (!bw_objects__finite(value))
        return BW_ERANGE;
    int first = !(s->flags & F_VALUE);
    int moved = first || s->value != value;
    int lower = first || value < s->min;
    int higher = first || value > s->max;
    s->flags |= F_VALUE;
    s->value = value;
    if (lower)
        s->min = value;
    if (higher)
        s->max = value;
    if (moved)
        changed(t, inst, RES_VALUE);
    if (lower)
        changed(t, inst, RES_MIN);
    if (higher)
        changed(t, inst, RES_MAX);
    return 0;
}
