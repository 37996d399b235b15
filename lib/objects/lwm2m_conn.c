/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Connectivity Monitoring object (/4, OMA LwM2M object 4 version 1.1,
 * urn:oma:lwm2m:oma:4:1.1) over a bw_lwm2m_conn_t: its four mandatory
 * resources, all read-only and all set by the application, which knows
 * its network.
 *
 *   0 Network Bearer            integer 0..50
 *   1 Available Network Bearer  integer 0..50, multiple
 *   2 Radio Signal Strength     integer, dBm
 *   4 IP Addresses              string, multiple
 *
 * Nothing here is writable, so the object has no transaction handlers: a
 * Write is 4.05 in the request handler before any handler runs.
 */
#include "bw_mem.h"
#include "objects_int.h"

#define R BW_LWM2M_OP_R

enum {
    RES_BEARER = 0,
    RES_BEARERS = 1,
    RES_RSSI = 2,
    RES_IPS = 4,
};

static const bw_lwm2m_res_def_t conn_res[] = {
    {RES_BEARER, BW_LWM2M_TYPE_INTEGER, R, 0, 1},
    {RES_BEARERS, BW_LWM2M_TYPE_INTEGER, R, 1, 1},
    {RES_RSSI, BW_LWM2M_TYPE_INTEGER, R, 0, 1},
    {RES_IPS, BW_LWM2M_TYPE_STRING, R, 1, 1},
};

static void changed(const bw_lwm2m_conn_t *c, uint16_t res)
{
    bw_objects__changed(c->changed, c->app, BW_LWM2M_OBJ_CONN, BW_OBJECTS__INST,
                        res);
}

static int conn_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    (void)o;
    return bw_objects__list_seq(ids, cap, n, 1);
}

static int conn_list_ri(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                        uint16_t *ids, size_t cap, size_t *n)
{
    const bw_lwm2m_conn_t *c = o->ctx;
    *n = 0;
    if (inst != BW_OBJECTS__INST || (res != RES_BEARERS && res != RES_IPS))
        return BW_ENOTFOUND;
    return bw_objects__list_seq(ids, cap, n,
                                res == RES_IPS ? c->nips : c->nbearers);
}

static int conn_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                     bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    const bw_lwm2m_conn_t *c = o->ctx;
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    uint16_t ri = path->id[BW_LWM2M_RES_INST];
    int multi = res == RES_BEARERS || res == RES_IPS;
    (void)scratch;
    (void)cap;
    if (path->id[BW_LWM2M_INSTANCE] != BW_OBJECTS__INST ||
        path->depth !=
            (multi ? BW_LWM2M_DEPTH_RES_INST : BW_LWM2M_DEPTH_RESOURCE))
        return BW_ENOTFOUND;
    switch (res) {
    case RES_BEARER:
        *v = bw_lwm2m_value_int(c->bearer);
        return 0;
    case RES_RSSI:
        *v = bw_lwm2m_value_int(c->rssi);
        return 0;
    case RES_BEARERS:
        if (ri >= c->nbearers)
            return BW_ENOTFOUND;
        *v = bw_lwm2m_value_int(c->bearers[ri]);
        return 0;
    case RES_IPS:
        return ri < c->nips ? bw_objects__str(v, c->ips[ri]) : BW_ENOTFOUND;
    default:
        return BW_ENOTFOUND;
    }
}

static const bw_lwm2m_object_ops_t conn_ops = {
    .list = conn_list,
    .list_ri = conn_list_ri,
    .read = conn_read,
};

int bw_lwm2m_conn_init(bw_lwm2m_conn_t *c, bw_lwm2m_object_t *obj,
                       bw_lwm2m_changed_fn changed_fn, void *app)
{
    if (c == NULL || obj == NULL)
        return BW_EINVAL;
    bw__zero(c, sizeof *c);
    c->changed = changed_fn;
    c->app = app;
    bw__zero(obj, sizeof *obj);
    obj->id = BW_LWM2M_OBJ_CONN;
    obj->version = "1.1";
    obj->res = conn_res;
    obj->nres = (uint16_t)(sizeof conn_res / sizeof conn_res[0]);
    obj->ops = &conn_ops;
    obj->ctx = c;
    return 0;
}

int bw_lwm2m_conn_set_bearer(bw_lwm2m_conn_t *c, int32_t bearer)
{
    if (c == NULL)
        return BW_EINVAL;
    if (bearer < 0 || bearer > BW_LWM2M_CONN_BEARER_MAX)
        return BW_ERANGE;
    if (c->bearer != bearer) {
        c->bearer = bearer;
        changed(c, RES_BEARER);
    }
    return 0;
}

int bw_lwm2m_conn_set_bearers(bw_lwm2m_conn_t *c, const uint8_t *list, size_t n)
{
    if (c == NULL || (list == NULL && n > 0))
        return BW_EINVAL;
    if (n > BW_LWM2M_CONN_BEARERS_MAX)
        return BW_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (list[i] > BW_LWM2M_CONN_BEARER_MAX)
            return BW_ERANGE;
    if (n == c->nbearers && bw__equal(c->bearers, list, n))
        return 0;
    bw__copy(c->bearers, list, n);
    c->nbearers = (uint8_t)n;
    changed(c, RES_BEARERS);
    return 0;
}

int bw_lwm2m_conn_set_rssi(bw_lwm2m_conn_t *c, int32_t dbm)
{
    if (c == NULL)
        return BW_EINVAL;
    if (c->rssi != dbm) {
        c->rssi = dbm;
        changed(c, RES_RSSI);
    }
    return 0;
}

int bw_lwm2m_conn_set_ips(bw_lwm2m_conn_t *c, const char *const *ips, size_t n)
{
    size_t len[BW_LWM2M_CONN_IPS_MAX];
    int same;
    if (c == NULL || (ips == NULL && n > 0))
        return BW_EINVAL;
    if (n > BW_LWM2M_CONN_IPS_MAX)
        return BW_ENOMEM;
    same = n == c->nips;
    for (size_t i = 0; i < n; i++) {
        if (ips[i] == NULL)
            return BW_EINVAL;
        len[i] = bw_objects__strlen(ips[i]);
        if (len[i] > BW_LWM2M_CONN_IP_LEN)
            return BW_EOVERFLOW;
        same = same && bw__equal(c->ips[i], ips[i], len[i] + 1);
    }
    if (same)
        return 0;
    for (size_t i = 0; i < n; i++)
        bw__copy(c->ips[i], ips[i], len[i] + 1);
    c->nips = (uint8_t)n;
    changed(c, RES_IPS);
    return 0;
}
