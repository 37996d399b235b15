/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M Security (/0, OMA LwM2M 1.1 Core appendix E.1) and Server
 * (/1, appendix E.2) objects as bw_lwm2m_object_t over the client's
 * server set: one implementation of list, read, write, create, delete
 * and the write transaction, driven by a table of resources per object
 * (which member of the instance each resource is, and its kind).
 *
 * Security (/0).  Only the bootstrap server ever sees this object.
 * While the client is BOOTSTRAPPING the handlers act on c->staged
 * (Bootstrap-Write, -Delete, -Discover come through bw_lwm2m_dm_handle);
 * in every other state the object is empty to whoever asks, so a DM
 * server's Read, Write or Discover of /0 is answered 4.04 (Core 6.3: the
 * Security object is not accessible through the Device Management
 * interface).  Even during bootstrap the secrets (resources 3, 4, 5) are
 * write-only.  Resources kept: 0 URI, 1 Bootstrap-Server, 2 Security
 * Mode, 3 identity, 5 secret key, 10 Short Server ID (not on the
 * bootstrap account), 11 Client Hold Off Time.  The SMS resources
 * (6..9), the Server Public Key (4), the account timeout (12), matching
 * type, SNI and certificate usage (13..15) are accepted and dropped, so
 * a bootstrap server that writes whole instances succeeds; RPK and
 * certificate modes are then refused at Bootstrap-Finish.  A
 * Bootstrap-Delete leaves the Bootstrap-Server account (Core 6.1.7.5:
 * without it the device could never bootstrap again).
 *
 * Server (/1).  While BOOTSTRAPPING it acts on c->staged (Bootstrap-
 * Write, -Delete, -Read, -Discover); otherwise on c->set, the set in use,
 * where a DM server may Read, Write (lifetime, periods, binding,
 * notification storing) and Execute, but not Create or Delete (4.05).
 * A committed DM Write marks the set to be saved again (c->set_dirty);
 * when it touches a registered server's lifetime or binding, that
 * server's next step sends an Update with the new values.  Resources: 0 Short
 * Server ID, 1 Lifetime, 2 Default Minimum Period, 3 Default Maximum Period, 4
 * Disable (refused: 4.05), 5 Disable Timeout (accepted, not kept; reads 86400),
 * 6 Notification Storing, 7 Binding (U or UQ), 8 Registration Update Trigger, 9
 * Bootstrap-Request Trigger, 23 Mute Send (LwM2M 1.1: while true,
 * bw_lwm2m_client_send() refuses; kept with the set, default false).  Executes
 * only raise flags; the client acts on them at its next step, after the 2.04
 * went out.  A Replace puts the writable resources it does not name back to
 * their defaults.
 *
 * Transactions: begin() copies the instance into c->sec_txn or
 * c->srv_txn (or notes it is new), rollback() puts it back (or drops
 * it), commit() forgets the copy.  A Security copy holds a key: it is
 * wiped at the end either way.
 */
#include <stddef.h>

#include "bw_mem.h"
#include "lwm2m_client_int.h"

/* Both instance types start with inst, ssid, in_use: their common
 * initial sequence, read through this union. */
typedef union {
    bw_lwm2m_security_t sec;
    bw_lwm2m_server_t srv;
} inst_t;

/* What a resource is, and how it is read and written. */
enum {
    K_SKIP,  /* accepted and dropped; not readable */
    K_BOOL,  /* uint8_t 0 or 1 */
    K_MODE,  /* uint8_t 0 .. BW_LWM2M_SEC_NOSEC */
    K_ID,    /* uint16_t min .. BW_LWM2M_ID_MAX */
    K_U32,   /* uint32_t min .. UINT32_MAX */
    K_DAY,   /* not kept: a write is checked as K_U32, a read is 86400 */
    K_STR,   /* char[size], NUL-terminated, no NUL inside */
    K_BIND,  /* char[size]: "U" or "UQ" */
    K_BYTES, /* uint8_t[size] with its length byte at aux; write-only */
};
#define K_MASK    0x7Fu
#define K_HIDE_BS 0x80u /* not readable on the Bootstrap-Server account */

/* Largest value of the number kinds. */
static const uint32_t kind_max[] = {
    [K_MODE] = BW_LWM2M_SEC_NOSEC,
    [K_ID] = BW_LWM2M_ID_MAX,
    [K_U32] = UINT32_MAX,
    [K_DAY] = UINT32_MAX,
};

/* Disable Timeout default (Core E.2): one day. */
#define DISABLE_TIMEOUT_S 86400

typedef struct {
    uint8_t res;  /* resource id */
    uint8_t kind; /* K_*, maybe with K_HIDE_BS */
    uint8_t aux;  /* numbers: least value; K_BYTES: offsetof the length */
    uint8_t size; /* K_STR, K_BIND, K_BYTES: bytes of the member */
    uint16_t off; /* offsetof the member */
} res_field_t;

#define SEC(r, k, m)                                                           \
    {                                                                          \
        r, k, 0, 0, offsetof(bw_lwm2m_security_t, m)                           \
    }
#define SRV(r, k, min, m)                                                      \
    {                                                                          \
        r, k, min, 0, offsetof(bw_lwm2m_server_t, m)                           \
    }
#define SKIP(r)                                                                \
    {                                                                          \
        r, K_SKIP, 0, 0, 0                                                     \
    }

_Static_assert(BW_LWM2M_URI_MAX <= 0xFF && BW_LWM2M_PSK_ID_MAX <= 0xFF &&
                   BW_LWM2M_PSK_MAX <= 0xFF,
               "member sizes are one byte in the field tables");
_Static_assert(offsetof(bw_lwm2m_security_t, psk_len) <= 0xFF,
               "length offsets are one byte in the field tables");

/* Security: sorted by id, each resource the object knows. */
static const res_field_t sec_fields[] = {
    {0, K_STR, 0, BW_LWM2M_URI_MAX, offsetof(bw_lwm2m_security_t, uri)},
    SEC(1, K_BOOL, bootstrap),
    SEC(2, K_MODE, mode),
    {3, K_BYTES, offsetof(bw_lwm2m_security_t, psk_id_len), BW_LWM2M_PSK_ID_MAX,
     offsetof(bw_lwm2m_security_t, psk_id)},
    SKIP(4),
    {5, K_BYTES, offsetof(bw_lwm2m_security_t, psk_len), BW_LWM2M_PSK_MAX,
     offsetof(bw_lwm2m_security_t, psk)},
    SKIP(6),
    SKIP(7),
    SKIP(8),
    SKIP(9),
    {10, K_ID | K_HIDE_BS, 1, 0, offsetof(bw_lwm2m_security_t, ssid)},
    SEC(11, K_U32, holdoff_s),
    SKIP(12),
    SKIP(13),
    SKIP(14),
    SKIP(15),
};

/* Server: the resources that hold values (4, 8, 9 are executables). */
static const res_field_t srv_fields[] = {
    SRV(0, K_ID, 1, ssid),
    SRV(1, K_U32, 1, lifetime_s),
    SRV(2, K_U32, 0, pmin_s),
    SRV(3, K_U32, 0, pmax_s),
    {5, K_DAY, 0, 0, 0},
    SRV(6, K_BOOL, 0, notif_storing),
    {7, K_BIND, 0, sizeof(((bw_lwm2m_server_t *)0)->binding),
     offsetof(bw_lwm2m_server_t, binding)},
    SRV(23, K_BOOL, 0, mute_send),
};

/* The resource definitions the handler checks operations against. */
#define RW BW_LWM2M_OP_RW
#define E  BW_LWM2M_OP_E

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

/* One object: its fields, and where its instances live. */
typedef struct {
    const res_field_t *fields;
    uint8_t nfields;
    uint8_t slots;   /* instances a set holds */
    uint16_t stride; /* sizeof one instance */
    uint16_t at;     /* offsetof the instance array in bw_lwm2m_servers_t */
    /* Create or Delete outside bootstrap: nothing there for /0 (4.04),
     * not allowed for /1 (4.05). */
    int8_t outside;
} desc_t;

static const desc_t descs[2] = {
    {sec_fields, sizeof sec_fields / sizeof sec_fields[0],
     BW_LWM2M_MAX_SECURITY, sizeof(bw_lwm2m_security_t),
     offsetof(bw_lwm2m_servers_t, sec), BW_ENOTFOUND},
    {srv_fields, sizeof srv_fields / sizeof srv_fields[0], BW_LWM2M_MAX_SERVERS,
     sizeof(bw_lwm2m_server_t), offsetof(bw_lwm2m_servers_t, srv),
     BW_EUNSUPPORTED},
};

void bw_lwm2m__security_defaults(bw_lwm2m_security_t *e, uint16_t inst)
{
    bw__zero(e, sizeof *e);
    e->inst = inst;
    e->in_use = 1;
    e->mode = BW_LWM2M_SEC_NOSEC;
}

void bw_lwm2m__server_defaults(bw_lwm2m_server_t *e, uint16_t inst)
{
    bw__zero(e, sizeof *e);
    e->inst = inst;
    e->in_use = 1;
    e->binding[0] = 'U';
    e->lifetime_s = 86400;
}

static bw_lwm2m_client_t *client_of(const bw_lwm2m_object_t *o)
{
    return o->ctx;
}

static int bootstrapping(const bw_lwm2m_client_t *c)
{
    return c->state == BW_LWM2M_STATE_BOOTSTRAPPING;
}

static bw_lwm2m_client_txn_t *txn_of(const bw_lwm2m_object_t *o)
{
    bw_lwm2m_client_t *c = client_of(o);
    return o->id == 0 ? &c->sec_txn : &c->srv_txn;
}

/* Slot i of o's instances in the set it acts on, or NULL (/0 outside
 * bootstrap: empty). */
static inst_t *slot(const bw_lwm2m_object_t *o, size_t i)
{
    bw_lwm2m_client_t *c = client_of(o);
    const desc_t *d = &descs[o->id];
    if (o->id == 0 && !bootstrapping(c))
        return NULL;
    uint8_t *base = (uint8_t *)bw_lwm2m__client_target(c) + d->at;
    return (inst_t *)(void *)(base + i * d->stride);
}

/* The instance inst, or NULL. */
static inst_t *find(const bw_lwm2m_object_t *o, uint16_t inst)
{
    for (size_t i = 0; i < descs[o->id].slots; i++) {
        inst_t *e = slot(o, i);
        if (e != NULL && e->sec.in_use && e->sec.inst == inst)
            return e;
    }
    return NULL;
}

/* A free slot made into instance inst, or NULL. */
static inst_t *add(const bw_lwm2m_object_t *o, uint16_t inst)
{
    for (size_t i = 0; i < descs[o->id].slots; i++) {
        inst_t *e = slot(o, i);
        if (e == NULL || e->sec.in_use)
            continue;
        if (o->id == 0)
            bw_lwm2m__security_defaults(&e->sec, inst);
        else
            bw_lwm2m__server_defaults(&e->srv, inst);
        return e;
    }
    return NULL;
}

static int set_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < descs[o->id].slots; i++) {
        const inst_t *e = slot(o, i);
        if (e == NULL || !e->sec.in_use)
            continue;
        if (*n == cap)
            return BW_ENOSPC;
        /* Insertion keeps ids ascending: slots are not kept sorted. */
        uint16_t id = e->sec.inst;
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

/* The instance (*e) and field a resource path names; NULL when either
 * is missing (BW_ENOTFOUND). */
static const res_field_t *locate(const bw_lwm2m_object_t *o,
                                 const bw_lwm2m_path_t *path, inst_t **e)
{
    const desc_t *d = &descs[o->id];
    *e = find(o, path->id[BW_LWM2M_INSTANCE]);
    if (*e == NULL || path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return NULL;
    for (size_t i = 0; i < d->nfields; i++)
        if (d->fields[i].res == path->id[BW_LWM2M_RESOURCE])
            return &d->fields[i];
    return NULL;
}

static int set_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                    bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    (void)scratch;
    (void)cap;
    inst_t *e;
    const res_field_t *f = locate(o, path, &e);
    if (f == NULL || ((f->kind & K_HIDE_BS) && e->sec.bootstrap))
        return BW_ENOTFOUND;
    const uint8_t *m = (const uint8_t *)e + f->off;
    /* Not the value constructors: their union initializer is a memset
     * call. */
    bw__zero(v, sizeof *v);
    v->type = BW_LWM2M_TYPE_INTEGER;
    switch (f->kind & K_MASK) {
    case K_BOOL:
        v->type = BW_LWM2M_TYPE_BOOLEAN;
        v->v.b = *m != 0;
        return 0;
    case K_MODE:
        v->v.i = *m;
        return 0;
    case K_ID:
        v->v.i = *(const uint16_t *)(const void *)m;
        return 0;
    case K_U32:
        v->v.i = *(const uint32_t *)(const void *)m;
        return 0;
    case K_DAY:
        v->v.i = DISABLE_TIMEOUT_S;
        return 0;
    case K_STR:
    case K_BIND:
        v->type = BW_LWM2M_TYPE_STRING;
        v->v.bytes.ptr = m;
        v->v.bytes.len = bw__strnlen((const char *)m, f->size);
        return 0;
    default:
        /* Credentials are never read back; skipped ones are not kept. */
        return BW_ENOTFOUND;
    }
}

/* A string or byte member from v (STRING, or OPAQUE for K_BYTES). */
static int put_bytes(const res_field_t *f, uint8_t *e,
                     const bw_lwm2m_value_t *v)
{
    uint8_t *m = e + f->off;
    uint8_t kind = f->kind & K_MASK;
    const uint8_t *p = v->v.bytes.ptr;
    size_t n = v->v.bytes.len;
    if (v->type !=
        (kind == K_BYTES ? BW_LWM2M_TYPE_OPAQUE : BW_LWM2M_TYPE_STRING))
        return BW_ETYPE;
    if (kind == K_BIND) {
        /* The bindings this client can honour: UDP, with or without
         * queue. */
        if (!(n >= 1 && n <= 2 && p[0] == 'U' && (n == 1 || p[1] == 'Q')))
            return BW_ERANGE;
    } else if (n > (size_t)f->size - (kind == K_STR)) {
        return BW_ERANGE;
    }
    for (size_t i = 0; kind == K_STR && i < n; i++)
        if (p[i] == '\0')
            return BW_EMALFORMED;
    bw__zero(m, f->size);
    bw__copy(m, p, n);
    if (kind == K_BYTES)
        e[f->aux] = (uint8_t)n;
    return 0;
}

static int set_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                     const bw_lwm2m_value_t *v)
{
    inst_t *e;
    const res_field_t *f = locate(o, path, &e);
    uint8_t kind;
    int64_t x;
    bool b;
    int err;
    if (f == NULL)
        return BW_ENOTFOUND;
    uint8_t *m = (uint8_t *)e + f->off;
    kind = f->kind & K_MASK;
    switch (kind) {
    case K_SKIP:
        return 0; /* accepted, not kept (see the top of the file) */
    case K_BOOL:
        err = bw_lwm2m_value_get_bool(v, &b);
        if (err == 0)
            *m = b ? 1 : 0;
        return err;
    case K_STR:
    case K_BIND:
    case K_BYTES:
        return put_bytes(f, (uint8_t *)e, v);
    default:
        err = bw_lwm2m_value_get_int_range(v, f->aux, kind_max[kind], &x);
        if (err != 0 || kind == K_DAY)
            return err;
        if (kind == K_MODE)
            *m = (uint8_t)x;
        else if (kind == K_ID)
            *(uint16_t *)(void *)m = (uint16_t)x;
        else
            *(uint32_t *)(void *)m = (uint32_t)x;
        return 0;
    }
}

static int set_execute(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                       const uint8_t *arg, size_t len)
{
    bw_lwm2m_client_t *c = client_of(o);
    (void)arg;
    (void)len;
    /* /0 has no executable resource: the handler answers 4.05 first. */
    if (o->id == 0 || find(o, inst) == NULL)
        return BW_ENOTFOUND;
    if (bootstrapping(c))
        return BW_ESTATE;
    switch (res) {
    case 8:
        /* An Update to the server of this instance, on its channel. */
        BW_LWM2M__FOR_CH(c, ch)
        if (bw_lwm2m__ch_ssid(c, ch) == find(o, inst)->srv.ssid)
            ch->update_now = 1;
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

static int set_begin(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind)
{
    bw_lwm2m_client_txn_t *t = txn_of(o);
    bw__zero(t, sizeof *t);
    t->inst = inst;
    inst_t *e = find(o, inst);
    if (e != NULL) {
        bw__copy(&t->before, e, descs[o->id].stride);
        t->state = 1;
        if (o->id == 1 && kind == BW_LWM2M_TXN_REPLACE) {
            /* Unnamed writable resources go back to their defaults. */
            uint16_t ssid = e->srv.ssid;
            bw_lwm2m__server_defaults(&e->srv, inst);
            e->srv.ssid = ssid;
        }
        return 0;
    }
    /* Only the bootstrap server makes instances. */
    if (!bootstrapping(client_of(o)))
        return kind == BW_LWM2M_TXN_CREATE ? descs[o->id].outside
                                           : BW_ENOTFOUND;
    if (kind != BW_LWM2M_TXN_CREATE && kind != BW_LWM2M_TXN_BOOTSTRAP)
        return BW_ENOTFOUND;
    if (add(o, inst) == NULL)
        return BW_ENOMEM;
    t->state = 2;
    return 0;
}

static int set_create(bw_lwm2m_object_t *o, uint16_t inst)
{
    const bw_lwm2m_client_txn_t *t = txn_of(o);
    if (!bootstrapping(client_of(o)))
        return descs[o->id].outside;
    if (find(o, inst) != NULL)
        /* begin() of this transaction may already have made it. */
        return (t->state == 2 && t->inst == inst) ? 0 : BW_EDUPKEY;
    return add(o, inst) != NULL ? 0 : BW_ENOMEM;
}

static int set_remove(bw_lwm2m_object_t *o, uint16_t inst)
{
    if (!bootstrapping(client_of(o)))
        return descs[o->id].outside;
    inst_t *e = find(o, inst);
    if (e == NULL)
        return BW_ENOTFOUND;
    /* The Bootstrap-Server account survives any Bootstrap-Delete. */
    if (o->id == 0 && e->sec.bootstrap)
        return 0;
    bw__zero(e, descs[o->id].stride);
    return 0;
}

static int set_validate(bw_lwm2m_object_t *o, uint16_t inst)
{
    const inst_t *e = find(o, inst);
    if (e == NULL)
        return BW_ENOTFOUND;
    /* A Security instance alone may be incomplete while the bootstrap
     * server is still writing: the whole set is judged at
     * Bootstrap-Finish.  A Server's pmax 0 means "no maximum"; otherwise
     * it cannot be below pmin. */
    if (o->id == 1 && e->srv.pmax_s != 0 && e->srv.pmax_s < e->srv.pmin_s)
        return BW_ERANGE;
    return 0;
}

static void set_end(bw_lwm2m_object_t *o, uint16_t inst, int undo)
{
    bw_lwm2m_client_txn_t *t = txn_of(o);
    inst_t *e = find(o, inst);
    size_t n = descs[o->id].stride;
    if (t->inst == inst && e != NULL) {
        if (undo && t->state == 1)
            bw__copy(e, &t->before, n);
        else if (undo && t->state == 2)
            bw__zero(e, n);
        else if (!undo && t->state == 1 && o->id == 1 &&
                 !bootstrapping(client_of(o)))
            /* A DM Write of /1 committed: save it.  A new lifetime or
             * binding goes to its server in an Update (the step compares
             * them with what it last sent). */
            client_of(o)->set_dirty = 1;
    }
    bw__zero(t, sizeof *t);
}

static void set_commit(bw_lwm2m_object_t *o, uint16_t inst)
{
    set_end(o, inst, 0);
}

static void set_rollback(bw_lwm2m_object_t *o, uint16_t inst)
{
    set_end(o, inst, 1);
}

static const bw_lwm2m_object_ops_t set_ops = {
    .list = set_list,
    .read = set_read,
    .write = set_write,
    .execute = set_execute,
    .create = set_create,
    .remove = set_remove,
    .begin = set_begin,
    .validate = set_validate,
    .commit = set_commit,
    .rollback = set_rollback,
};

static void setup(bw_lwm2m_client_t *c, bw_lwm2m_object_t *o, uint16_t id,
                  const bw_lwm2m_res_def_t *res, size_t nres)
{
    bw__zero(o, sizeof *o);
    o->id = id;
    o->multiple_instances = 1;
    o->version = "1.1";
    o->res = res;
    o->nres = (uint16_t)nres;
    o->ops = &set_ops;
    o->ctx = c;
}

void bw_lwm2m__set_objects(bw_lwm2m_client_t *c)
{
    setup(c, &c->sec_obj, 0, sec_res, sizeof sec_res / sizeof sec_res[0]);
    setup(c, &c->srv_obj, 1, srv_res, sizeof srv_res / sizeof srv_res[0]);
}
