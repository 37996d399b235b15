/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M Access Control object (/2, OMA LwM2M 1.1 Core appendix E.3)
 * as a bw_lwm2m_object_t over the client's server set.
 *
 * While BOOTSTRAPPING it acts on c->staged: the bootstrap server creates,
 * writes (any resource), reads, discovers and deletes instances.  Otherwise
 * it acts on c->set, the set in use, where a DM server may Read what its
 * rights allow and, as the Access Control Owner, Write the ACL (2) and the
 * owner (3); who may do what is decided before the handlers run, by the
 * access table (lwm2m_acl.c).  Only the bootstrap server creates or
 * deletes instances (Core 7.3.1); the client itself adds and drops them
 * when a DM server creates or deletes the instance one governs.
 *
 * Resources: 0 Object ID (1..65534), 1 Object Instance ID (0..65535;
 * 65535 is the Create grant of the object), 2 ACL (multiple; resource
 * instance id = Short Server ID, 0 = every server not listed; value 16
 * bits: R 1, W 2, E 4, D 8, C 16), 3 Access Control Owner (0..65535;
 * 65535 = managed in bootstrap only).  An instance the bootstrap server
 * creates starts with Object ID 0 and owner 0: Bootstrap-Finish refuses
 * the set until both are written (bw_lwm2m_servers_check).
 *
 * Transactions: the first begin() of a request copies the whole table
 * (one request may write several instances, and BW_LWM2M_MAX_ACL of them
 * is small); the first rollback() puts it back; the last commit() forgets
 * the copy and, outside bootstrap, marks the set to be saved.
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"

#define R  BW_LWM2M_OP_R
#define RW BW_LWM2M_OP_RW

#define RES_OID   0u
#define RES_IID   1u
#define RES_ACL   2u
#define RES_OWNER 3u

static const bw_lwm2m_res_def_t acl_res[] = {
    {RES_OID, BW_LWM2M_TYPE_INTEGER, R, 0, 1},
    {RES_IID, BW_LWM2M_TYPE_INTEGER, R, 0, 1},
    {RES_ACL, BW_LWM2M_TYPE_INTEGER, RW, 1, 0},
    {RES_OWNER, BW_LWM2M_TYPE_INTEGER, RW, 0, 1},
};

static bw_lwm2m_client_t *client_of(bw_lwm2m_object_t *o)
{
    return o->ctx;
}

static int bootstrapping(const bw_lwm2m_client_t *c)
{
    return c->state == BW_LWM2M_STATE_BOOTSTRAPPING;
}

static bw_lwm2m_acl_t *find(bw_lwm2m_client_t *c, uint16_t inst)
{
    bw_lwm2m_servers_t *s = bw_lwm2m__client_target(c);
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++)
        if (s->acl[i].in_use && s->acl[i].inst == inst)
            return &s->acl[i];
    return NULL;
}

/* Insert id into ids[0..*n) keeping it ascending (cap checked). */
static int insert_sorted(uint16_t *ids, size_t cap, size_t *n, uint16_t id)
{
    if (*n == cap)
        return BW_ENOSPC;
    size_t k = *n;
    while (k > 0 && ids[k - 1] > id) {
        ids[k] = ids[k - 1];
        k--;
    }
    ids[k] = id;
    (*n)++;
    return 0;
}

static int acl_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    bw_lwm2m_servers_t *s = bw_lwm2m__client_target(client_of(o));
    int err = 0;
    *n = 0;
    for (size_t i = 0; err == 0 && i < BW_LWM2M_MAX_ACL; i++)
        if (s->acl[i].in_use)
            err = insert_sorted(ids, cap, n, s->acl[i].inst);
    return err;
}

static int acl_list_ri(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                       uint16_t *ids, size_t cap, size_t *n)
{
    const bw_lwm2m_acl_t *a = find(client_of(o), inst);
    int err = 0;
    *n = 0;
    if (a == NULL || res != RES_ACL)
        return BW_ENOTFOUND;
    for (size_t i = 0; err == 0 && i < a->nacl; i++)
        err = insert_sorted(ids, cap, n, a->acl[i].ssid);
    return err;
}

static int acl_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                    bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    (void)scratch;
    (void)cap;
    const bw_lwm2m_acl_t *a = find(client_of(o), path->id[BW_LWM2M_INSTANCE]);
    if (a == NULL || path->depth < BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    if (res == RES_ACL && path->depth == BW_LWM2M_DEPTH_RES_INST) {
        for (size_t i = 0; i < a->nacl; i++)
            if (a->acl[i].ssid == path->id[BW_LWM2M_RES_INST]) {
                *v = bw_lwm2m_value_int(a->acl[i].rights);
                return 0;
            }
        return BW_ENOTFOUND;
    }
    if (path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (res) {
    case RES_OID:
        *v = bw_lwm2m_value_int(a->oid);
        return 0;
    case RES_IID:
        *v = bw_lwm2m_value_int(a->iid);
        return 0;
    case RES_OWNER:
        *v = bw_lwm2m_value_int(a->owner);
        return 0;
    default:
        return BW_ENOTFOUND;
    }
}

/* Set the rights of ssid (a new entry goes in ssid order). */
static int put_entry(bw_lwm2m_acl_t *a, uint16_t ssid, uint16_t rights)
{
    size_t k = 0;
    while (k < a->nacl && a->acl[k].ssid < ssid)
        k++;
    if (k < a->nacl && a->acl[k].ssid == ssid) {
        a->acl[k].rights = rights;
        return 0;
    }
    if (a->nacl == BW_LWM2M_ACL_ENTRIES)
        return BW_ENOSPC;
    for (size_t i = a->nacl; i > k; i--)
        a->acl[i] = a->acl[i - 1];
    a->acl[k].ssid = ssid;
    a->acl[k].rights = rights;
    a->nacl++;
    return 0;
}

static int get_u16(const bw_lwm2m_value_t *v, int64_t min, int64_t max,
                   uint16_t *out)
{
    int64_t x;
    int err = bw_lwm2m_value_get_int_range(v, min, max, &x);
    if (err == 0)
        *out = (uint16_t)x;
    return err;
}

static int acl_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                     const bw_lwm2m_value_t *v)
{
    bw_lwm2m_acl_t *a = find(client_of(o), path->id[BW_LWM2M_INSTANCE]);
    uint16_t x;
    int err;
    if (a == NULL || path->depth < BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (path->id[BW_LWM2M_RESOURCE]) {
    case RES_OID:
        return get_u16(v, 1, BW_LWM2M_ID_MAX, &a->oid);
    case RES_IID:
        return get_u16(v, 0, UINT16_MAX, &a->iid);
    case RES_OWNER:
        return get_u16(v, 0, UINT16_MAX, &a->owner);
    case RES_ACL:
        if (path->depth == BW_LWM2M_DEPTH_RESOURCE) {
            if (v->type != BW_LWM2M_TYPE_NONE)
                return BW_ETYPE;
            a->nacl = 0; /* replaced: its instances follow */
            bw__zero(a->acl, sizeof a->acl);
            return 0;
        }
        /* The resource instance id is a Short Server ID (65535 is none). */
        if (path->id[BW_LWM2M_RES_INST] > BW_LWM2M_ID_MAX)
            return BW_ERANGE;
        err = get_u16(v, 0, UINT16_MAX, &x);
        return err != 0 ? err : put_entry(a, path->id[BW_LWM2M_RES_INST], x);
    default:
        return BW_ENOTFOUND;
    }
}

static int acl_create(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_client_t *c = client_of(o);
    bw_lwm2m_servers_t *s = bw_lwm2m__client_target(c);
    if (!bootstrapping(c))
        return BW_EUNSUPPORTED;
    if (find(c, inst) != NULL)
        return BW_EDUPKEY;
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++)
        if (!s->acl[i].in_use) {
            bw__zero(&s->acl[i], sizeof s->acl[i]);
            s->acl[i].in_use = 1;
            s->acl[i].inst = inst;
            return 0;
        }
    return BW_ENOMEM;
}

static int acl_remove(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_client_t *c = client_of(o);
    if (!bootstrapping(c))
        return BW_EUNSUPPORTED;
    bw_lwm2m_acl_t *a = find(c, inst);
    if (a == NULL)
        return BW_ENOTFOUND;
    bw__zero(a, sizeof *a);
    return 0;
}

static int acl_begin(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind)
{
    bw_lwm2m_client_t *c = client_of(o);
    bw_lwm2m_servers_t *s = bw_lwm2m__client_target(c);
    if (c->acl_txn.open == UINT8_MAX)
        return BW_ENOMEM;
    if (c->acl_txn.open == 0) {
        bw__copy(c->acl_txn.before, s->acl, sizeof s->acl);
        c->acl_txn.restored = 0;
    }
    c->acl_txn.open++;
    bw_lwm2m_acl_t *a = find(c, inst);
    if (a != NULL && kind == BW_LWM2M_TXN_REPLACE) {
        /* Write replace: the ACL goes; what names the instance and its
         * owner stay (not writable, or the writer's own standing). */
        a->nacl = 0;
        bw__zero(a->acl, sizeof a->acl);
    }
    return 0;
}

static void acl_end(bw_lwm2m_object_t *o, int undo)
{
    bw_lwm2m_client_t *c = client_of(o);
    bw_lwm2m_servers_t *s = bw_lwm2m__client_target(c);
    if (c->acl_txn.open == 0)
        return;
    if (undo && !c->acl_txn.restored) {
        bw__copy(s->acl, c->acl_txn.before, sizeof s->acl);
        c->acl_txn.restored = 1;
    }
    if (--c->acl_txn.open > 0)
        return;
    if (!c->acl_txn.restored && !bootstrapping(c))
        c->set_dirty = 1; /* an owner's DM Write: save at the next step */
    bw__zero(&c->acl_txn, sizeof c->acl_txn);
}

static void acl_commit(bw_lwm2m_object_t *o, uint16_t inst)
{
    (void)inst;
    acl_end(o, 0);
}

static void acl_rollback(bw_lwm2m_object_t *o, uint16_t inst)
{
    (void)inst;
    acl_end(o, 1);
}

static const bw_lwm2m_object_ops_t acl_ops = {
    .list = acl_list,
    .list_ri = acl_list_ri,
    .read = acl_read,
    .write = acl_write,
    .create = acl_create,
    .remove = acl_remove,
    .begin = acl_begin,
    .commit = acl_commit,
    .rollback = acl_rollback,
};

void bw_lwm2m__acl_object(bw_lwm2m_client_t *c)
{
    bw__zero(&c->acl_obj, sizeof c->acl_obj);
    c->acl_obj.id = 2;
    c->acl_obj.multiple_instances = 1;
    c->acl_obj.res = acl_res;
    c->acl_obj.nres = (uint16_t)(sizeof acl_res / sizeof acl_res[0]);
    c->acl_obj.ops = &acl_ops;
    c->acl_obj.ctx = c;
}
