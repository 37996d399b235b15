/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Device object (/3, OMA LwM2M object 3 version 1.1,
 * urn:oma:lwm2m:oma:3:1.1) over a bw_lwm2m_device_t.
 *
 * Identity strings, the binding and the hooks come from the application's
 * configuration; power sources, battery level and error codes from its
 * setters; UTC Offset and Timezone are the only values a server writes
 * that the object keeps itself.  Current Time is the application's clock,
 * read and set through hooks.
 *
 * Error Code (11) always has at least one instance: with nothing raised
 * it is the single value 0, "no error" (object definition).  Reset Error
 * Code (12) clears them all.
 *
 * Writes: begin() snapshots the two strings, write() changes them in
 * place, rollback() puts the snapshot back.  A Current Time write is
 * staged and handed to set_time() at commit.  Write replace of /3/0
 * empties UTC Offset and Timezone unless the request names them.
 */
#include "bw_mem.h"
#include "objects_int.h"

#define R  BW_LWM2M_OP_R
#define RW BW_LWM2M_OP_RW
#define E  BW_LWM2M_OP_E

enum {
    RES_MANUFACTURER = 0,
    RES_MODEL = 1,
    RES_SERIAL = 2,
    RES_FW_VERSION = 3,
    RES_REBOOT = 4,
    RES_FACTORY_RESET = 5,
    RES_POWER = 6,
    RES_BATTERY = 9,
    RES_ERROR = 11,
    RES_RESET_ERROR = 12,
    RES_TIME = 13,
    RES_UTC_OFFSET = 14,
    RES_TIMEZONE = 15,
    RES_BINDING = 16,
    RES_SW_VERSION = 19,
};

/* Power source values 0..7 (resource 6). */
#define POWER_MAX 7

static const bw_lwm2m_res_def_t device_res[] = {
    {RES_MANUFACTURER, BW_LWM2M_TYPE_STRING, R, 0, 0},
    {RES_MODEL, BW_LWM2M_TYPE_STRING, R, 0, 0},
    {RES_SERIAL, BW_LWM2M_TYPE_STRING, R, 0, 0},
    {RES_FW_VERSION, BW_LWM2M_TYPE_STRING, R, 0, 0},
    {RES_REBOOT, BW_LWM2M_TYPE_NONE, E, 0, 1},
    {RES_FACTORY_RESET, BW_LWM2M_TYPE_NONE, E, 0, 0},
    {RES_POWER, BW_LWM2M_TYPE_INTEGER, R, 1, 0},
    {RES_BATTERY, BW_LWM2M_TYPE_INTEGER, R, 0, 0},
    {RES_ERROR, BW_LWM2M_TYPE_INTEGER, R, 1, 1},
    {RES_RESET_ERROR, BW_LWM2M_TYPE_NONE, E, 0, 0},
    {RES_TIME, BW_LWM2M_TYPE_TIME, RW, 0, 0},
    {RES_UTC_OFFSET, BW_LWM2M_TYPE_STRING, RW, 0, 0},
    {RES_TIMEZONE, BW_LWM2M_TYPE_STRING, RW, 0, 0},
    {RES_BINDING, BW_LWM2M_TYPE_STRING, R, 0, 1},
    {RES_SW_VERSION, BW_LWM2M_TYPE_STRING, R, 0, 0},
};

static void changed(const bw_lwm2m_device_t *d, uint16_t res)
{
    bw_objects__changed(d->cfg.changed, d->cfg.app, BW_LWM2M_OBJ_DEVICE,
                        BW_OBJECTS__INST, res);
}

static int dev_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    (void)o;
    return bw_objects__list_seq(ids, cap, n, 1);
}

/* Instances of a multiple resource: Error Code has at least one. */
static size_t ri_count(const bw_lwm2m_device_t *d, uint16_t res)
{
    if (res == RES_POWER)
        return d->npower;
    return d->nerrors > 0 ? d->nerrors : 1;
}

static int dev_list_ri(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                       uint16_t *ids, size_t cap, size_t *n)
{
    const bw_lwm2m_device_t *d = o->ctx;
    *n = 0;
    if (inst != BW_OBJECTS__INST || (res != RES_POWER && res != RES_ERROR))
        return BW_ENOTFOUND;
    return bw_objects__list_seq(ids, cap, n, ri_count(d, res));
}

static int read_multi(const bw_lwm2m_device_t *d, uint16_t res, uint16_t ri,
                      bw_lwm2m_value_t *v)
{
    if (ri >= ri_count(d, res))
        return BW_ENOTFOUND;
    if (res == RES_POWER)
        *v = bw_lwm2m_value_int(d->power[ri]);
    else
        *v = bw_lwm2m_value_int(d->nerrors > 0 ? d->errors[ri] : 0);
    return 0;
}

static int read_time(const bw_lwm2m_device_t *d, bw_lwm2m_value_t *v)
{
    int64_t now = 0;
    if (d->cfg.get_time == NULL)
        return BW_ENOTFOUND;
    int err = d->cfg.get_time(d->cfg.app, &now);
    if (err == 0)
        *v = bw_lwm2m_value_time(now);
    return err;
}

static int dev_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                    bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    const bw_lwm2m_device_t *d = o->ctx;
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    (void)scratch;
    (void)cap;
    if (path->id[BW_LWM2M_INSTANCE] != BW_OBJECTS__INST ||
        path->depth < BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    if (res == RES_POWER || res == RES_ERROR)
        return path->depth == BW_LWM2M_DEPTH_RES_INST
                   ? read_multi(d, res, path->id[BW_LWM2M_RES_INST], v)
                   : BW_ENOTFOUND;
    if (path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (res) {
    case RES_MANUFACTURER:
        return bw_objects__str(v, d->cfg.manufacturer);
    case RES_MODEL:
        return bw_objects__str(v, d->cfg.model);
    case RES_SERIAL:
        return bw_objects__str(v, d->cfg.serial);
    case RES_FW_VERSION:
        return bw_objects__str(v, d->cfg.firmware_version);
    case RES_SW_VERSION:
        return bw_objects__str(v, d->cfg.software_version);
    case RES_BINDING:
        return bw_objects__str(v,
                               d->cfg.binding != NULL ? d->cfg.binding : "U");
    case RES_BATTERY:
        if (d->battery < 0)
            return BW_ENOTFOUND;
        *v = bw_lwm2m_value_int(d->battery);
        return 0;
    case RES_TIME:
        return read_time(d, v);
    case RES_UTC_OFFSET:
        return bw_objects__str(v, d->utc_offset);
    case RES_TIMEZONE:
        return bw_objects__str(v, d->timezone);
    default:
        return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED
                                                   : BW_ENOTFOUND;
    }
}

static int dev_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                     const bw_lwm2m_value_t *v)
{
    bw_lwm2m_device_t *d = o->ctx;
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    int64_t t;
    int err;
    if (path->id[BW_LWM2M_INSTANCE] != BW_OBJECTS__INST ||
        path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (res) {
    case RES_TIME:
        if (d->cfg.set_time == NULL)
            return BW_EUNSUPPORTED; /* the device keeps its own time */
        err = bw_lwm2m_value_get_int(v, &t);
        if (err != 0)
            return err;
        d->txn.time = t;
        d->txn.time_set = 1;
        return 0;
    case RES_UTC_OFFSET:
        return bw_objects__put_str(d->utc_offset,
                                   BW_LWM2M_DEVICE_UTC_OFFSET_MAX, v);
    case RES_TIMEZONE:
        return bw_objects__put_str(d->timezone, BW_LWM2M_DEVICE_TIMEZONE_MAX,
                                   v);
    default:
        /* Bootstrap-Write may name read-only resources: none of them is
         * the server's to set. */
        return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED
                                                   : BW_ENOTFOUND;
    }
}

static int dev_execute(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                       const uint8_t *arg, size_t len)
{
    bw_lwm2m_device_t *d = o->ctx;
    int (*hook)(void *) = NULL;
    (void)arg;
    (void)len;
    if (inst != BW_OBJECTS__INST)
        return BW_ENOTFOUND;
    switch (res) {
    case RES_REBOOT:
        hook = d->cfg.reboot;
        break;
    case RES_FACTORY_RESET:
        hook = d->cfg.factory_reset;
        break;
    case RES_RESET_ERROR:
        return bw_lwm2m_device_clear_error(d, 0);
    default:
        return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED
                                                   : BW_ENOTFOUND;
    }
    return hook != NULL ? hook(d->cfg.app) : BW_EUNSUPPORTED;
}

static int dev_begin(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind)
{
    bw_lwm2m_device_t *d = o->ctx;
    if (inst != BW_OBJECTS__INST)
        return kind == BW_LWM2M_TXN_CREATE ? BW_EUNSUPPORTED : BW_ENOTFOUND;
    if (kind == BW_LWM2M_TXN_CREATE)
        return BW_EUNSUPPORTED; /* the one instance always exists */
    bw__copy(d->txn.utc_offset, d->utc_offset, sizeof d->utc_offset);
    bw__copy(d->txn.timezone, d->timezone, sizeof d->timezone);
    d->txn.time_set = 0;
    if (kind == BW_LWM2M_TXN_REPLACE) {
        d->utc_offset[0] = '\0';
        d->timezone[0] = '\0';
    }
    return 0;
}

static void dev_commit(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_device_t *d = o->ctx;
    (void)inst;
    if (d->txn.time_set && d->cfg.set_time != NULL)
        d->cfg.set_time(d->cfg.app, d->txn.time);
    d->txn.time_set = 0;
}

static void dev_rollback(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_device_t *d = o->ctx;
    (void)inst;
    bw__copy(d->utc_offset, d->txn.utc_offset, sizeof d->utc_offset);
    bw__copy(d->timezone, d->txn.timezone, sizeof d->timezone);
    d->txn.time_set = 0;
}

static const bw_lwm2m_object_ops_t device_ops = {
    .list = dev_list,
    .list_ri = dev_list_ri,
    .read = dev_read,
    .write = dev_write,
    .execute = dev_execute,
    .begin = dev_begin,
    .commit = dev_commit,
    .rollback = dev_rollback,
};

int bw_lwm2m_device_init(bw_lwm2m_device_t *d, bw_lwm2m_object_t *obj,
                         const bw_lwm2m_device_cfg_t *cfg)
{
    if (d == NULL || obj == NULL || cfg == NULL)
        return BW_EINVAL;
    bw__zero(d, sizeof *d);
    bw__copy(&d->cfg, cfg, sizeof d->cfg);
    d->battery = -1;
    bw__zero(obj, sizeof *obj);
    obj->id = BW_LWM2M_OBJ_DEVICE;
    obj->version = "1.1";
    obj->res = device_res;
    obj->nres = (uint16_t)(sizeof device_res / sizeof device_res[0]);
    obj->ops = &device_ops;
    obj->ctx = d;
    return 0;
}

int bw_lwm2m_device_set_error(bw_lwm2m_device_t *d, uint8_t code)
{
    if (d == NULL)
        return BW_EINVAL;
    if (code < BW_LWM2M_DEVICE_ERROR_MIN || code > BW_LWM2M_DEVICE_ERROR_MAX)
        return BW_ERANGE;
    for (size_t i = 0; i < d->nerrors; i++)
        if (d->errors[i] == code)
            return 0;
    if (d->nerrors == BW_LWM2M_DEVICE_ERRORS_MAX)
        return BW_ENOMEM;
    d->errors[d->nerrors++] = code;
    changed(d, RES_ERROR);
    return 0;
}

int bw_lwm2m_device_clear_error(bw_lwm2m_device_t *d, uint8_t code)
{
    if (d == NULL)
        return BW_EINVAL;
    if (code == 0 && d->nerrors == 0)
        return 0;
    size_t keep = 0;
    for (size_t i = 0; i < d->nerrors; i++)
        if (code != 0 && d->errors[i] != code)
            d->errors[keep++] = d->errors[i];
    if (keep == d->nerrors)
        return BW_ENOTFOUND;
    d->nerrors = (uint8_t)keep;
    changed(d, RES_ERROR);
    return 0;
}

int bw_lwm2m_device_set_power(bw_lwm2m_device_t *d, const uint8_t *src,
                              size_t n)
{
    if (d == NULL || (src == NULL && n > 0))
        return BW_EINVAL;
    if (n > BW_LWM2M_DEVICE_POWER_MAX)
        return BW_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (src[i] > POWER_MAX)
            return BW_ERANGE;
    if (n == d->npower && bw__equal(d->power, src, n))
        return 0;
    bw__copy(d->power, src, n);
    d->npower = (uint8_t)n;
    changed(d, RES_POWER);
    return 0;
}

int bw_lwm2m_device_set_battery(bw_lwm2m_device_t *d, int level)
{
    if (d == NULL)
        return BW_EINVAL;
    if (level < -1 || level > 100)
        return BW_ERANGE;
    if (d->battery != level) {
        d->battery = (int8_t)level;
        changed(d, RES_BATTERY);
    }
    return 0;
}

const char *bw_lwm2m_device_utc_offset(const bw_lwm2m_device_t *d)
{
    return d != NULL ? d->utc_offset : "";
}

const char *bw_lwm2m_device_timezone(const bw_lwm2m_device_t *d)
{
    return d != NULL ? d->timezone : "";
}
