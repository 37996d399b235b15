/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M Security object (/0, OMA LwM2M 1.1 Core appendix E.1) as a
 * bw_lwm2m_object_t over the client's server set.
 *
 * Only the bootstrap server ever sees this object.  While the client is
 * BOOTSTRAPPING its handlers act on c->staged (Bootstrap-Write, -Delete,
 * -Discover come through bw_lwm2m_dm_handle); in every other state the
 * object is empty to whoever asks, so a DM server's Read, Write or
 * Discover of /0 is answered 4.04 (Core 6.3: the Security object is not
 * accessible through the Device Management interface).  Even during
 * bootstrap the secrets (resources 3, 4, 5) are write-only.
 *
 * Resources kept: 0 URI, 1 Bootstrap-Server, 2 Security Mode, 3 identity,
 * 5 secret key, 10 Short Server ID, 11 Client Hold Off Time.  The SMS
 * resources (6..9), the Server Public Key (4), the account timeout (12),
 * matching type, SNI and certificate usage (13..15) are accepted and
 * dropped, so a bootstrap server that writes whole instances succeeds;
 * RPK and certificate modes are then refused at Bootstrap-Finish.
 *
 * Transactions: begin() copies the instance into c->sec_txn (or notes it
 * is new), rollback() puts it back (or drops it), commit() forgets the
 * copy.  The copy holds a key: it is wiped at the end either way.
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"

/* Sorted by id.  No operations for anyone but the bootstrap server. */
static const bw_lwm2m_res_def_t sec_res[] = {
    {0, BW_LWM2M_TYPE_STRING, 0, 0, 1},   {1, BW_LWM2M_TYPE_BOOLEAN, 0, 0, 1},
    {2, BW_LWM2M_TYPE_INTEGER, 0, 0, 1},  {3, BW_LWM2M_TYPE_OPAQUE, 0, 0, 1},
    {4, BW_LWM2M_TYPE_OPAQUE, 0, 0, 1},   {5, BW_LWM2M_TYPE_OPAQUE, 0, 0, 1},
    {6, BW_LWM2M_TYPE_INTEGER, 0, 0, 0},  {7, BW_LWM2M_TYPE_OPAQUE, 0, 0, 0},
    {8, BW_LWM2M_TYPE_OPAQUE, 0, 0, 0},   {9, BW_LWM2M_TYPE_STRING, 0, 0, 0},
    {10, BW_LWM2M_TYPE_INTEGER, 0, 0, 0}, {11, BW_LWM2M_TYPE_INTEGER, 0, 0, 0},
    {12, BW_LWM2M_TYPE_INTEGER, 0, 0, 0}, {13, BW_LWM2M_TYPE_INTEGER, 0, 0, 0},
    {14, BW_LWM2M_TYPE_STRING, 0, 0, 0},  {15, BW_LWM2M_TYPE_INTEGER, 0, 0, 0},
};

void bw_lwm2m__security_defaults(bw_lwm2m_security_t *e, uint16_t inst)
{
    bw__zero(e, sizeof *e);
    e->inst = inst;
    e->in_use = 1;
    e->mode = BW_LWM2M_SEC_NOSEC;
}

static bw_lwm2m_client_t *client_of(bw_lwm2m_object_t *o)
{
    return o->ctx;
}

/* The instance inst of the staged set, or NULL (also outside bootstrap). */
static bw_lwm2m_security_t *find(bw_lwm2m_client_t *c, uint16_t inst)
{
    if (c->state != BW_LWM2M_STATE_BOOTSTRAPPING)
        return NULL;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++)
        if (c->staged.sec[i].in_use && c->staged.sec[i].inst == inst)
            return &c->staged.sec[i];
    return NULL;
}

static int sec_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    bw_lwm2m_client_t *c = client_of(o);
    *n = 0;
    if (c->state != BW_LWM2M_STATE_BOOTSTRAPPING)
        return 0;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++) {
        if (!c->staged.sec[i].in_use)
            continue;
        if (*n == cap)
            return BW_ENOSPC;
        /* Insertion keeps ids ascending: slots are not kept sorted. */
        uint16_t id = c->staged.sec[i].inst;
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

static int sec_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                    bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    (void)scratch;
    (void)cap;
    bw_lwm2m_security_t *e = find(client_of(o), path->id[BW_LWM2M_INSTANCE]);
    if (e == NULL || path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (path->id[BW_LWM2M_RESOURCE]) {
    case 0: {
        size_t n = 0;
        while (n < sizeof e->uri && e->uri[n] != '\0')
            n++;
        *v = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, e->uri, n);
        return 0;
    }
    case 1:
        /* Not the constructor: its union initializer is a memset call. */
        bw__zero(v, sizeof *v);
        v->type = BW_LWM2M_TYPE_BOOLEAN;
        v->v.b = e->bootstrap != 0;
        return 0;
    case 2:
        *v = bw_lwm2m_value_int(e->mode);
        return 0;
    case 10:
        if (e->bootstrap)
            return BW_ENOTFOUND;
        *v = bw_lwm2m_value_int(e->ssid);
        return 0;
    case 11:
        *v = bw_lwm2m_value_int(e->holdoff_s);
        return 0;
    default:
        /* 3, 4, 5: credentials are never read back; the rest: not kept. */
        return BW_ENOTFOUND;
    }
}

static int put_bytes(const bw_lwm2m_value_t *v, uint8_t *dst, size_t max,
                     uint8_t *len)
{
    if (v->v.bytes.len > max)
        return BW_ERANGE;
    bw__zero(dst, max);
    bw__copy(dst, v->v.bytes.ptr, v->v.bytes.len);
    *len = (uint8_t)v->v.bytes.len;
    return 0;
}

static int put_uri(bw_lwm2m_security_t *e, const bw_lwm2m_value_t *v)
{
    const uint8_t *p = v->v.bytes.ptr;
    size_t n = v->v.bytes.len;
    if (v->type != BW_LWM2M_TYPE_STRING)
        return BW_ETYPE;
    if (n > sizeof e->uri - 1)
        return BW_ERANGE;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\0')
            return BW_EMALFORMED;
    bw__zero(e->uri, sizeof e->uri);
    bw__copy(e->uri, p, n);
    return 0;
}

static int sec_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                     const bw_lwm2m_value_t *v)
{
    bw_lwm2m_security_t *e = find(client_of(o), path->id[BW_LWM2M_INSTANCE]);
    int64_t x = 0;
    bool b = false;
    int err;
    if (e == NULL || path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    switch (path->id[BW_LWM2M_RESOURCE]) {
    case 0:
        return put_uri(e, v);
    case 1:
        err = bw_lwm2m_value_get_bool(v, &b);
        if (err == 0)
            e->bootstrap = b ? 1 : 0;
        return err;
    case 2:
        err = bw_lwm2m_value_get_int_range(v, 0, BW_LWM2M_SEC_NOSEC, &x);
        if (err == 0)
            e->mode = (uint8_t)x;
        return err;
    case 3:
        if (v->type != BW_LWM2M_TYPE_OPAQUE)
            return BW_ETYPE;
        return put_bytes(v, e->psk_id, sizeof e->psk_id, &e->psk_id_len);
    case 5:
        if (v->type != BW_LWM2M_TYPE_OPAQUE)
            return BW_ETYPE;
        return put_bytes(v, e->psk, sizeof e->psk, &e->psk_len);
    case 10:
        err = bw_lwm2m_value_get_int_range(v, 1, BW_LWM2M_ID_MAX, &x);
        if (err == 0)
            e->ssid = (uint16_t)x;
        return err;
    case 11:
        err = bw_lwm2m_value_get_int_range(v, 0, UINT32_MAX, &x);
        if (err == 0)
            e->holdoff_s = (uint32_t)x;
        return err;
    case 4:
    case 6:
    case 7:
    case 8:
    case 9:
    case 12:
    case 13:
    case 14:
    case 15:
        return 0; /* accepted, not kept (see the top of the file) */
    default:
        return BW_ENOTFOUND;
    }
}

/* A free slot of the staged set made into instance inst, or NULL. */
static bw_lwm2m_security_t *add(bw_lwm2m_client_t *c, uint16_t inst)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++)
        if (!c->staged.sec[i].in_use) {
            bw_lwm2m__security_defaults(&c->staged.sec[i], inst);
            return &c->staged.sec[i];
        }
    return NULL;
}

static int sec_begin(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind)
{
    bw_lwm2m_client_t *c = client_of(o);
    bw_lwm2m_client_txn_t *t = &c->sec_txn;
    if (c->state != BW_LWM2M_STATE_BOOTSTRAPPING)
        return BW_ENOTFOUND;
    bw__zero(t, sizeof *t);
    t->inst = inst;
    bw_lwm2m_security_t *e = find(c, inst);
    if (e != NULL) {
        bw__copy(&t->before.sec, e, sizeof *e);
        t->state = 1;
        return 0;
    }
    if (kind != BW_LWM2M_TXN_CREATE && kind != BW_LWM2M_TXN_BOOTSTRAP)
        return BW_ENOTFOUND;
    if (add(c, inst) == NULL)
        return BW_ENOMEM;
    t->state = 2;
    return 0;
}

static int sec_create(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_client_t *c = client_of(o);
    if (c->state != BW_LWM2M_STATE_BOOTSTRAPPING)
        return BW_ENOTFOUND;
    if (find(c, inst) != NULL)
        /* begin() of this transaction may already have made it. */
        return (c->sec_txn.state == 2 && c->sec_txn.inst == inst) ? 0
                                                                  : BW_EDUPKEY;
    return add(c, inst) != NULL ? 0 : BW_ENOMEM;
}

static int sec_remove(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_security_t *e = find(client_of(o), inst);
    if (e == NULL)
        return BW_ENOTFOUND;
    /* The Bootstrap-Server account survives any Bootstrap-Delete
     * (Core 6.1.7.5): without it the device could never bootstrap again. */
    if (e->bootstrap)
        return 0;
    bw__zero(e, sizeof *e);
    return 0;
}

static int sec_validate(bw_lwm2m_object_t *o, uint16_t inst)
{
    /* One instance alone may be incomplete while the bootstrap server is
     * still writing: the whole set is judged at Bootstrap-Finish. */
    return find(client_of(o), inst) != NULL ? 0 : BW_ENOTFOUND;
}

static void sec_end(bw_lwm2m_object_t *o, uint16_t inst, int undo)
{
    bw_lwm2m_client_t *c = client_of(o);
    bw_lwm2m_client_txn_t *t = &c->sec_txn;
    bw_lwm2m_security_t *e = find(c, inst);
    if (undo && t->inst == inst && e != NULL) {
        if (t->state == 1)
            bw__copy(e, &t->before.sec, sizeof *e);
        else if (t->state == 2)
            bw__zero(e, sizeof *e);
    }
    bw__zero(t, sizeof *t);
}

static void sec_commit(bw_lwm2m_object_t *o, uint16_t inst)
{
    sec_end(o, inst, 0);
}

static void sec_rollback(bw_lwm2m_object_t *o, uint16_t inst)
{
    sec_end(o, inst, 1);
}

static const bw_lwm2m_object_ops_t sec_ops = {
    .list = sec_list,
    .read = sec_read,
    .write = sec_write,
    .create = sec_create,
    .remove = sec_remove,
    .begin = sec_begin,
    .validate = sec_validate,
    .commit = sec_commit,
    .rollback = sec_rollback,
};

void bw_lwm2m__security_object(bw_lwm2m_client_t *c)
{
    bw__zero(&c->sec_obj, sizeof c->sec_obj);
    c->sec_obj.id = 0;
    c->sec_obj.multiple_instances = 1;
    c->sec_obj.version = "1.1";
    c->sec_obj.res = sec_res;
    c->sec_obj.nres = (uint16_t)(sizeof sec_res / sizeof sec_res[0]);
    c->sec_obj.ops = &sec_ops;
    c->sec_obj.ctx = c;
}
