/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M Server object (/1, OMA LwM2M 1.1 Core appendix E.2) as a
 * bw_lwm2m_object_t over the client's server set.
 *
 * While BOOTSTRAPPING it acts on c->staged (Bootstrap-Write, -Delete,
 * -Read, -Discover); otherwise on c->set, the set in use, where a DM
 * server may Read, Write (lifetime, periods, binding, notification
 * storing) and Execute.  A committed DM Write marks the set to be saved
 * again (c->set_dirty) and, when it touches the current server's
 * lifetime or binding, asks for an Update with the new values.
 *
 * Resources: 0 Short Server ID, 1 Lifetime, 2 Default Minimum Period,
 * 3 Default Maximum Period, 4 Disable (refused: 4.05), 5 Disable Timeout
 * (accepted, not kept; reads 86400), 6 Notification Storing, 7 Binding
 * (U or UQ), 8 Registration Update Trigger, 9 Bootstrap-Request Trigger,
 * 23 Mute Send (LwM2M 1.1: while true, bw_lwm2m_client_send() refuses;
 * kept with the set, default false).
 * Executes only raise flags; the client acts on them at its next step,
 * after the 2.04 went out.
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"

#define RW BW_LWM2M_OP_RW
#define E  BW_LWM2M_OP_E

static const bw_lwm2m_res_def_t srv_res[] = {
    {0, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_R, 0, 1},
    {1, BW_LWM2M_TYPE_INTEGER, RW, 0, 1},
    {2, BW_LWM2M_TYPE_INTEGER, RW, 0, 0},
    {3, BW_LWM2M_TYPE_INTEGER, RW, 0, 0},
    {4, BW_LWM2M_TYPE_NONE, E, 0, 0},
    {5, BW_LWM2M_TYPE_INTEGER, RW, 0, 0},
    {6, BW_LWM2M_TYPE_BOOLEAN, RW, 0, 1},
    {7, BW_LWM2M_TYPE_STRING, RW, 0, 1},
    {8, BW_LWM2M_TYPE_NONE, E, 0, 1},
    {9, BW_LWM2M_TYPE_NONE, E, 0, 0},
    {23, BW_LWM2M_TYPE_BOOLEAN, RW, 0, 0},
};

/* Disable Timeout default (Core E.2): one day. */
#define DISABLE_TIMEOUT_S 86400

void bw_lwm2m__server_defaults(bw_lwm2m_server_t *e, uint16_t inst)
{
    bw__zero(e, sizeof *e);
    e->inst = inst;
    e->in_use = 1;
    e->binding[0] = 'U';
    e->lifetime_s = 86400;
    e->pmin_s = 0;
    e->pmax_s = 0;
}

static bw_lwm2m_client_t *client_of(bw_lwm2m_object_t *o)
{
    return o->ctx;
}

static int bootstrapping(const bw_lwm2m_client_t *c)
{
    return c->state == BW_LWM2M_STATE_BOOTSTRAPPING;
}

static bw_lwm2m_server_t *find(bw_lwm2m_client_t *c, uint16_t inst)
{
    bw_lwm2m_servers_t *s = bw_lwm2m__client_target(c);
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (s->srv[i].in_use && s->srv[i].inst == inst)
            return &s->srv[i];
    return NULL;
}

static int srv_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    bw_lwm2m_servers_t *s = bw_lwm2m__client_target(client_of(o));
    *n = 0;
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++) {
        if (!s->srv[i].in_use)
            continue;
        if (*n == cap)
            return BW_ENOSPC;
        uint16_t id = s->srv[i].inst;
        size_t k = *n;
        while (k > 0 && ids[k - 1] > id) {
            ids[k] = ids[k - 1];
            k--;
        }
        ids[k] = id;
        (*n)++;
    }
    return 0;
}

static size_t binding_len(const bw_lwm2m_server_t *e)
{
    size_t n = 0;
    while (n < sizeof e->binding && e->binding[n] != '\0')
        n++;
    return n;
}

/* A BOOLEAN value; not the constructor, whose union initializer is a
 * memset call. */
static void put_bool(bw_lwm2m_value_t *v, uint8_t b)
{
    bw__zero(v, sizeof *v);
    v->type = BW_LWM2M_TYPE_BOOLEAN;
    v->v.b = b != 0;
}

static int srv_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                    bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    (void)scratch;
    (void)cap;
    bw_lwm2m_server_t *e = find(client_of(o), path->id[BW_LWM2M_INSTANCE]);
    if (e == NULL || path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (path->id[BW_LWM2M_RESOURCE]) {
    case 0:
        *v = bw_lwm2m_value_int(e->ssid);
        return 0;
    case 1:
        *v = bw_lwm2m_value_int(e->lifetime_s);
        return 0;
    case 2:
        *v = bw_lwm2m_value_int(e->pmin_s);
        return 0;
    case 3:
        *v = bw_lwm2m_value_int(e->pmax_s);
        return 0;
    case 5:
        *v = bw_lwm2m_value_int(DISABLE_TIMEOUT_S);
        return 0;
    case 6:
        put_bool(v, e->notif_storing);
        return 0;
    case 7:
        *v = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, e->binding,
                                  binding_len(e));
        return 0;
    case 23:
        put_bool(v, e->mute_send);
        return 0;
    default:
        return BW_ENOTFOUND;
    }
}

static int put_u32(const bw_lwm2m_value_t *v, int64_t min, uint32_t *out)
{
    int64_t x;
    int err = bw_lwm2m_value_get_int_range(v, min, UINT32_MAX, &x);
    if (err == 0)
        *out = (uint32_t)x;
    return err;
}

static int put_binding(bw_lwm2m_server_t *e, const bw_lwm2m_value_t *v)
{
    const uint8_t *p = v->v.bytes.ptr;
    size_t n = v->v.bytes.len;
    if (v->type != BW_LWM2M_TYPE_STRING)
        return BW_ETYPE;
    /* The bindings this client can honour: UDP, with or without queue. */
    if (!((n == 1 && p[0] == 'U') || (n == 2 && p[0] == 'U' && p[1] == 'Q')))
        return BW_ERANGE;
    bw__zero(e->binding, sizeof e->binding);
    bw__copy(e->binding, p, n);
    return 0;
}

static int srv_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                     const bw_lwm2m_value_t *v)
{
    bw_lwm2m_server_t *e = find(client_of(o), path->id[BW_LWM2M_INSTANCE]);
    int64_t x;
    bool b;
    int err;
    if (e == NULL || path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (path->id[BW_LWM2M_RESOURCE]) {
    case 0:
        err = bw_lwm2m_value_get_int_range(v, 1, BW_LWM2M_ID_MAX, &x);
        if (err == 0)
            e->ssid = (uint16_t)x;
        return err;
    case 1:
        return put_u32(v, 1, &e->lifetime_s);
    case 2:
        return put_u32(v, 0, &e->pmin_s);
    case 3:
        return put_u32(v, 0, &e->pmax_s);
    case 5:
        return put_u32(v, 0, &(uint32_t){0});
    case 6:
        err = bw_lwm2m_value_get_bool(v, &b);
        if (err == 0)
            e->notif_storing = b ? 1 : 0;
        return err;
    case 7:
        return put_binding(e, v);
    case 23:
        err = bw_lwm2m_value_get_bool(v, &b);
        if (err == 0)
            e->mute_send = b ? 1 : 0;
        return err;
    default:
        return BW_ENOTFOUND;
    }
}

static int srv_execute(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                       const uint8_t *arg, size_t len)
{
    bw_lwm2m_client_t *c = client_of(o);
    (void)arg;
    (void)len;
    bw_lwm2m_server_t *e = find(c, inst);
    if (e == NULL)
        return BW_ENOTFOUND;
    if (bootstrapping(c))
        return BW_ESTATE;
    switch (res) {
    case 8:
        c->update_now = 1;
        return 0;
    case 9:
        c->bootstrap_now = 1;
        return 0;
    case 4:
        return BW_EUNSUPPORTED;
    default:
        return BW_ENOTFOUND;
    }
}

static bw_lwm2m_server_t *add(bw_lwm2m_client_t *c, uint16_t inst)
{
    bw_lwm2m_servers_t *s = bw_lwm2m__client_target(c);
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (!s->srv[i].in_use) {
            bw_lwm2m__server_defaults(&s->srv[i], inst);
            return &s->srv[i];
        }
    return NULL;
}

static int srv_begin(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind)
{
    bw_lwm2m_client_t *c = client_of(o);
    bw_lwm2m_client_txn_t *t = &c->srv_txn;
    bw__zero(t, sizeof *t);
    t->inst = inst;
    bw_lwm2m_server_t *e = find(c, inst);
    if (e != NULL) {
        bw__copy(&t->before.srv, e, sizeof *e);
        t->state = 1;
        if (kind == BW_LWM2M_TXN_REPLACE) {
            /* Unnamed writable resources go back to their defaults. */
            uint16_t ssid = e->ssid;
            bw_lwm2m__server_defaults(e, inst);
            e->ssid = ssid;
        }
        return 0;
    }
    /* Only the bootstrap server makes Server instances. */
    if (!bootstrapping(c))
        return kind == BW_LWM2M_TXN_CREATE ? BW_EUNSUPPORTED : BW_ENOTFOUND;
    if (kind != BW_LWM2M_TXN_CREATE && kind != BW_LWM2M_TXN_BOOTSTRAP)
        return BW_ENOTFOUND;
    if (add(c, inst) == NULL)
        return BW_ENOMEM;
    t->state = 2;
    return 0;
}

static int srv_create(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_client_t *c = client_of(o);
    if (!bootstrapping(c))
        return BW_EUNSUPPORTED;
    if (find(c, inst) != NULL)
        return (c->srv_txn.state == 2 && c->srv_txn.inst == inst) ? 0
                                                                  : BW_EDUPKEY;
    return add(c, inst) != NULL ? 0 : BW_ENOMEM;
}

static int srv_remove(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_client_t *c = client_of(o);
    if (!bootstrapping(c))
        return BW_EUNSUPPORTED;
    bw_lwm2m_server_t *e = find(c, inst);
    if (e == NULL)
        return BW_ENOTFOUND;
    bw__zero(e, sizeof *e);
    return 0;
}

static int srv_validate(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_server_t *e = find(client_of(o), inst);
    if (e == NULL)
        return BW_ENOTFOUND;
    /* pmax 0 means "no maximum"; otherwise it cannot be below pmin. */
    if (e->pmax_s != 0 && e->pmax_s < e->pmin_s)
        return BW_ERANGE;
    return 0;
}

/* A DM Write committed: persist, and tell the server what changed. */
static void dm_changed(bw_lwm2m_client_t *c, const bw_lwm2m_server_t *before,
                       const bw_lwm2m_server_t *now)
{
    const bw_lwm2m_security_t *cur = &c->set.sec[c->current];
    c->set_dirty = 1;
    if (!cur->in_use || cur->ssid != now->ssid)
        return;
    c->dm.default_pmin = now->pmin_s;
    c->dm.default_pmax = now->pmax_s;
    if (before->lifetime_s != now->lifetime_s ||
        !bw__equal(before->binding, now->binding, sizeof now->binding))
        c->update_now = 1;
}

static void srv_end(bw_lwm2m_object_t *o, uint16_t inst, int undo)
{
    bw_lwm2m_client_t *c = client_of(o);
    bw_lwm2m_client_txn_t *t = &c->srv_txn;
    bw_lwm2m_server_t *e = find(c, inst);
    if (t->inst == inst && e != NULL) {
        if (undo && t->state == 1)
            bw__copy(e, &t->before.srv, sizeof *e);
        else if (undo && t->state == 2)
            bw__zero(e, sizeof *e);
        else if (!undo && t->state == 1 && !bootstrapping(c))
            dm_changed(c, &t->before.srv, e);
    }
    bw__zero(t, sizeof *t);
}

static void srv_commit(bw_lwm2m_object_t *o, uint16_t inst)
{
    srv_end(o, inst, 0);
}

static void srv_rollback(bw_lwm2m_object_t *o, uint16_t inst)
{
    srv_end(o, inst, 1);
}

static const bw_lwm2m_object_ops_t srv_ops = {
    .list = srv_list,
    .read = srv_read,
    .write = srv_write,
    .execute = srv_execute,
    .create = srv_create,
    .remove = srv_remove,
    .begin = srv_begin,
    .validate = srv_validate,
    .commit = srv_commit,
    .rollback = srv_rollback,
};

void bw_lwm2m__server_object(bw_lwm2m_client_t *c)
{
    bw__zero(&c->srv_obj, sizeof c->srv_obj);
    c->srv_obj.id = 1;
    c->srv_obj.multiple_instances = 1;
    c->srv_obj.version = "1.1";
    c->srv_obj.res = srv_res;
    c->srv_obj.nres = (uint16_t)(sizeof srv_res / sizeof srv_res[0]);
    c->srv_obj.ops = &srv_ops;
    c->srv_obj.ctx = c;
}
