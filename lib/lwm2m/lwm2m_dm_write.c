/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Write (replace and partial update), Create and Bootstrap-Write (OMA
 * LwM2M 1.1 Core, "Write", "Create", "Bootstrap-Write") as transactions over
 * the object's handlers (see lwm2m_object.h).
 *
 * A write request is decoded twice (the decoders stream, see the decoder
 * contract in lwm2m.h):
 *
 *   1. check   every record: resource known (else 4.04), writable unless
 *              bootstrapping, not executable (else 4.05), value of the
 *              resource's type and at the right depth (else 4.00); which
 *              instances are touched and which multiple resources are
 *              replaced (at most BW_LWM2M_DM_MAX_TXN each, else 4.13).
 *              Nothing is called but the decoders.
 *   2. apply   begin() every touched instance (create() first for a new
 *              one), then write() each record, then validate() each
 *              instance, then commit() each.  The first failure rolls
 *              back every instance begun, so the request changes all it
 *              names or nothing.
 *
 * Replacing a multiple resource (Write replace of it or of its instance,
 * Create, Bootstrap-Write) first writes a value of type NONE at the
 * resource's path: "drop every resource instance"; a partial update
 * leaves the instances it does not name in place (Core, "Write").
 *
 * Transaction kinds: PUT on an instance is REPLACE; PUT on a resource or
 * resource instance, and POST on an instance, are UPDATE (only what is
 * named changes); Create is CREATE; Bootstrap-Write is BOOTSTRAP (an
 * instance it names that does not exist is created within it).
 *
 * An empty payload aimed at a single value (a resource that is not
 * multiple, or one resource instance) is that value, empty: in text/plain
 * (or with no Content-Format) and application/octet-stream it decodes to
 * the empty STRING or OPAQUE, so writing "" to the Firmware Update
 * object's Package URI reaches the object and cancels a download.  Types
 * without an empty form (numbers, booleans, links) answer 4.00, and so
 * does an empty TLV or SenML payload there: it names no value to write.
 */
#include "bulwark/lwm2m_senml.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

typedef struct {
    uint16_t inst;
    uint8_t created; /* created by this request */
    uint8_t begun;
} txn_inst_t;

typedef struct {
    uint16_t inst, res;
    uint8_t cleared;
} txn_multi_t;

typedef struct {
    const bw_lwm2m__req_t *r;
    bw_lwm2m_object_t *obj;
    bw_lwm2m_txn_t kind;
    uint8_t bootstrap;
    uint8_t create;        /* DM Create: one new instance */
    uint8_t replace_multi; /* named multiple resources are replaced */
    uint8_t apply;         /* pass 2 */
    uint8_t too_large;     /* past BW_LWM2M_DM_MAX_TXN: 4.13 */
    uint8_t empty_value;   /* decode the empty payload: one empty value */
    int cb_err;            /* the error our callback returned */
    uint32_t seen[2];      /* Create: table rows written (first 64) */
    txn_inst_t inst[BW_LWM2M_DM_MAX_TXN];
    size_t ninst;
    txn_multi_t multi[BW_LWM2M_DM_MAX_TXN];
    size_t nmulti;
} wctx_t;

static bw_lwm2m_type_t type_of(void *ctx, const bw_lwm2m_path_t *p)
{
    const wctx_t *c = ctx;
    const bw_lwm2m_res_def_t *def;
    if (p->depth < BW_LWM2M_DEPTH_RESOURCE)
        return BW_LWM2M_TYPE_NONE;
    def = bw_lwm2m_object_res(c->obj, p->id[2]);
    return def == NULL ? BW_LWM2M_TYPE_NONE : (bw_lwm2m_type_t)def->type;
}

static txn_inst_t *find_inst(wctx_t *c, uint16_t inst)
{
    for (size_t i = 0; i < c->ninst; i++)
        if (c->inst[i].inst == inst)
            return &c->inst[i];
    return NULL;
}

static int add_inst(wctx_t *c, uint16_t inst)
{
    if (find_inst(c, inst) != NULL)
        return 0;
    if (c->ninst == BW_LWM2M_DM_MAX_TXN) {
        c->too_large = 1;
        return BW_EOVERFLOW;
    }
    bw__zero(&c->inst[c->ninst], sizeof c->inst[0]);
    c->inst[c->ninst++].inst = inst;
    return 0;
}

static txn_multi_t *find_multi(wctx_t *c, uint16_t inst, uint16_t res)
{
    for (size_t i = 0; i < c->nmulti; i++)
        if (c->multi[i].inst == inst && c->multi[i].res == res)
            return &c->multi[i];
    return NULL;
}

/* Pass 1: judge one record without calling any handler. */
static int check_rec(wctx_t *c, const bw_lwm2m_record_t *rec)
{
    const bw_lwm2m_path_t *p = &rec->path;
    int none = rec->value.type == BW_LWM2M_TYPE_NONE;

    if (p->depth < BW_LWM2M_DEPTH_INSTANCE ||
        (none && p->depth == BW_LWM2M_DEPTH_RES_INST))
        return BW_EMALFORMED;
    if (c->create && c->ninst > 0 && c->inst[0].inst != p->id[1])
        return BW_EMALFORMED; /* one Create makes one instance */
    int err = add_inst(c, p->id[1]);
    if (err != 0 || p->depth == BW_LWM2M_DEPTH_INSTANCE)
        return err;

    const bw_lwm2m_res_def_t *def = bw_lwm2m_object_res(c->obj, p->id[2]);
    if (def == NULL || (p->depth == BW_LWM2M_DEPTH_RES_INST && !def->multiple))
        return BW_ENOTFOUND;
    if (def->type == BW_LWM2M_TYPE_NONE ||
        (!c->bootstrap && !(def->ops & BW_LWM2M_OP_W)))
        return BW_EUNSUPPORTED;
    if (p->depth == BW_LWM2M_DEPTH_RESOURCE && !!def->multiple != none)
        return BW_EMALFORMED; /* a value where instances belong, or
                                 the reverse */
    if (!none && rec->value.type != def->type)
        return BW_ETYPE;
    if (def->multiple && c->replace_multi &&
        find_multi(c, p->id[1], def->id) == NULL) {
        if (c->nmulti == BW_LWM2M_DM_MAX_TXN) {
            c->too_large = 1;
            return BW_EOVERFLOW;
        }
        c->multi[c->nmulti].inst = p->id[1];
        c->multi[c->nmulti].res = def->id;
        c->multi[c->nmulti++].cleared = 0;
    }
    size_t row = (size_t)(def - c->obj->res);
    if (row < 64)
        c->seen[row >> 5] |= 1u << (row & 31u);
    return 0;
}

/* Pass 2: stage one record. */
static int apply_rec(wctx_t *c, const bw_lwm2m_record_t *rec)
{
    bw_lwm2m_object_t *o = c->obj;
    const bw_lwm2m_path_t *p = &rec->path;
    if (p->depth < BW_LWM2M_DEPTH_RESOURCE)
        return 0;
    txn_multi_t *m = find_multi(c, p->id[1], p->id[2]);
    if (m != NULL && !m->cleared) {
        bw_lwm2m_path_t rp = BW_LWM2M_PATH_RES(o->id, p->id[1], p->id[2]);
        bw_lwm2m_value_t none;
        bw__zero(&none, sizeof none);
        m->cleared = 1;
        int err = o->ops->write(o, &rp, &none);
        if (err != 0)
            return err;
    }
    if (rec->value.type == BW_LWM2M_TYPE_NONE)
        return 0; /* an empty container: nothing more to stage */
    return o->ops->write(o, p, &rec->value);
}

static int on_record(void *ctx, const bw_lwm2m_record_t *rec)
{
    wctx_t *c = ctx;
    int err = c->apply ? apply_rec(c, rec) : check_rec(c, rec);
    c->cb_err = err;
    return err;
}

/* The response code for a failed decode (pass 1 or 2). */
static uint8_t decode_code(const wctx_t *c, int err)
{
    if (c->too_large || err == BW_ENOSPC)
        return BW_COAP_REQUEST_TOO_LARGE; /* more than our buffers */
    if (err == c->cb_err)
        return bw_lwm2m__dm_code(err);
    if (err == BW_EFORMAT)
        return BW_COAP_UNSUPPORTED_FORMAT;
    return BW_COAP_BAD_REQUEST;
}

static void rollback_all(wctx_t *c)
{
    bw_lwm2m_object_t *o = c->obj;
    for (size_t i = c->ninst; i-- > 0;)
        if (c->inst[i].begun && o->ops->rollback != NULL)
            o->ops->rollback(o, c->inst[i].inst);
}

/* begin() (and create()) every instance; 0 or the handler's error. */
static int begin_all(wctx_t *c)
{
    bw_lwm2m_object_t *o = c->obj;
    for (size_t i = 0; i < c->ninst; i++) {
        txn_inst_t *t = &c->inst[i];
        int err = bw_lwm2m__dm_has_inst(o, t->inst);
        if (err == BW_ENOTFOUND && (c->bootstrap || c->create)) {
            t->created = 1;
            err = 0;
        }
        if (err != 0)
            return err;
        if (t->created && o->ops->create == NULL)
            return BW_EUNSUPPORTED;
        if (o->ops->begin != NULL)
            err = o->ops->begin(o, t->inst, c->kind);
        if (err != 0)
            return err;
        t->begun = 1;
        if (t->created)
            err = o->ops->create(o, t->inst);
        if (err != 0)
            return err;
    }
    return 0;
}

/*
 * Decode payload twice under base and run the transaction.  Returns the
 * response code (2.04 on success).
 */
static uint8_t transact(wctx_t *c, const bw_lwm2m_path_t *base,
                        const bw_lwm2m_codec_t *k)
{
    bw_lwm2m_decode_fn dec = k != NULL ? k->decode : NULL;
    const bw_coap_msg_t *m = c->r->req;
    bw_lwm2m_object_t *o = c->obj;
    bw_lwm2m_sink_t sink = {type_of, on_record, c, c->r->dm->buf,
                            sizeof c->r->dm->buf};
    /* Never hand the decoders a NULL payload: an empty value's bytes
     * reach the object's write(), which may copy them. */
    static const uint8_t no_bytes[1] = {0};
    const uint8_t *payload = m->payload_len > 0 ? m->payload : no_bytes;
    int decode = m->payload_len > 0 || c->empty_value;
    int err = 0;

    if (decode)
        err = dec(payload, m->payload_len, base, &sink);
    if (err != 0)
        return decode_code(c, err);
    if (c->create && c->ninst == 0)
        return BW_COAP_INTERNAL_ERROR; /* the caller adds the instance */
    c->apply = 1;
    err = begin_all(c);
    if (err == 0 && decode) {
        err = dec(payload, m->payload_len, base, &sink);
        if (err != 0 && err != c->cb_err)
            err = BW_EMALFORMED; /* cannot happen: pass 1 decoded it */
    }
    for (size_t i = 0; err == 0 && i < c->ninst; i++)
        if (o->ops->validate != NULL)
            err = o->ops->validate(o, c->inst[i].inst);
    if (err != 0) {
        rollback_all(c);
        return bw_lwm2m__dm_code(err);
    }
    for (size_t i = 0; i < c->ninst; i++)
        if (o->ops->commit != NULL)
            o->ops->commit(o, c->inst[i].inst);
    return BW_COAP_CHANGED;
}

static void wctx_init(wctx_t *c, const bw_lwm2m__req_t *r)
{
    bw__zero(c, sizeof *c);
    c->r = r;
    c->obj = r->obj;
    c->bootstrap = r->iface == BW_LWM2M_IFACE_BOOTSTRAP;
}

/* The codec of the request's Content-Format, or NULL (4.15): one the
 * handler's configuration lists. */
static const bw_lwm2m_codec_t *request_codec(const bw_lwm2m__req_t *r)
{
    uint32_t cf;
    if (bw_coap_msg_uint(r->req, BW_COAP_OPT_CONTENT_FORMAT, &cf) != 0)
        return NULL;
    return bw_lwm2m__codec(r->dm, cf);
}

/* The request names one value: a single resource or a resource instance
 * (the path was checked against the object's table already). */
static int single_value(const bw_lwm2m__req_t *r)
{
    const bw_lwm2m_path_t *p = &r->path;
    if (p->depth == BW_LWM2M_DEPTH_RES_INST)
        return 1;
    if (p->depth != BW_LWM2M_DEPTH_RESOURCE)
        return 0;
    const bw_lwm2m_res_def_t *def = bw_lwm2m_object_res(r->obj, p->id[2]);
    return def != NULL && !def->multiple;
}

static int has_format(const bw_lwm2m__req_t *r)
{
    uint32_t cf;
    return bw_coap_msg_uint(r->req, BW_COAP_OPT_CONTENT_FORMAT, &cf) !=
           BW_ENOTFOUND;
}

int bw_lwm2m__dm_write(const bw_lwm2m__req_t *r)
{
    const bw_lwm2m_path_t *p = &r->path;
    wctx_t c;
    uint8_t code = 0;
    int err;

    wctx_init(&c, r);
    if (r->obj == NULL)
        return bw_lwm2m__dm_reply(r, BW_COAP_NOT_FOUND, NULL);
    if (p->depth >= BW_LWM2M_DEPTH_RESOURCE) {
        const bw_lwm2m_res_def_t *def = bw_lwm2m_object_res(r->obj, p->id[2]);
        if (def == NULL ||
            (p->depth == BW_LWM2M_DEPTH_RES_INST && !def->multiple))
            code = BW_COAP_NOT_FOUND;
        else if (def->type == BW_LWM2M_TYPE_NONE ||
                 (!c.bootstrap && !(def->ops & BW_LWM2M_OP_W)))
            code = BW_COAP_METHOD_NOT_ALLOWED;
    }
    if (code == 0 && p->depth >= BW_LWM2M_DEPTH_INSTANCE) {
        err = bw_lwm2m__dm_has_inst(r->obj, p->id[1]);
        if (err == BW_ENOTFOUND && c.bootstrap)
            err = 0; /* Bootstrap-Write creates it */
        code = err != 0 ? bw_lwm2m__dm_code(err) : 0;
    }
    if (code == 0 && r->obj->ops->write == NULL)
        code = BW_COAP_METHOD_NOT_ALLOWED;
    const bw_lwm2m_codec_t *dec = request_codec(r);
    if (code == 0 && dec == NULL && r->req->payload_len > 0)
        code = BW_COAP_UNSUPPORTED_FORMAT;
    if (code == 0 && r->req->payload_len == 0 && single_value(r)) {
        /* The empty value (see the top of the file). */
        if (dec == NULL && !has_format(r))
            dec = bw_lwm2m__codec(r->dm, BW_COAP_FMT_TEXT);
        if (dec != NULL && (dec->flags & BW_LWM2M__CODEC_SINGLE))
            c.empty_value = 1;
        else if (dec == NULL)
            code = BW_COAP_UNSUPPORTED_FORMAT;
        else
            code = BW_COAP_BAD_REQUEST;
    }
    if (code != 0)
        return bw_lwm2m__dm_reply(r, code, NULL);

    if (c.bootstrap) {
        c.kind = BW_LWM2M_TXN_BOOTSTRAP;
        c.replace_multi = 1;
    } else if (r->req->code == BW_COAP_PUT) {
        c.kind = p->depth == BW_LWM2M_DEPTH_INSTANCE ? BW_LWM2M_TXN_REPLACE
                                                     : BW_LWM2M_TXN_UPDATE;
        c.replace_multi = p->depth <= BW_LWM2M_DEPTH_RESOURCE;
    } else {
        c.kind = BW_LWM2M_TXN_UPDATE;
    }
    if (p->depth >= BW_LWM2M_DEPTH_INSTANCE)
        (void)add_inst(&c, p->id[1]); /* the target, even when empty */
    code = transact(&c, p, dec);
    if (code == BW_COAP_CHANGED) {
        if (r->dm->cfg->block1 != NULL)
            r->dm->cfg->block1->end(r->dm, p);
        bw_lwm2m_dm_changed(r->dm, p, r->now);
    }
    return bw_lwm2m__dm_reply(r, code, NULL);
}

/* The lowest instance id not in use: 0, or BW_ENOMEM, or list's error. */
static int free_id(bw_lwm2m_object_t *o, uint16_t *id, size_t *count)
{
    uint16_t ids[BW_LWM2M_DM_MAX_LIST];
    size_t n;
    int err = bw_lwm2m__dm_list(o, ids, &n);
    if (err != 0)
        return err;
    *count = n;
    uint32_t want = 0;
    for (size_t i = 0; i < n; i++) /* ascending: the first gap */
        if (ids[i] == want)
            want++;
    if (want > BW_LWM2M_ID_MAX)
        return BW_ENOMEM;
    *id = (uint16_t)want;
    return 0;
}

int bw_lwm2m__dm_create(const bw_lwm2m__req_t *r)
{
    const bw_coap_msg_t *m = r->req;
    bw_lwm2m_object_t *o = r->obj;
    wctx_t c;
    uint16_t id = 0;
    size_t count = 0;
    int err;

    if (o == NULL)
        return bw_lwm2m__dm_reply(r, BW_COAP_NOT_FOUND, NULL);
    if (o->ops->create == NULL || o->ops->write == NULL)
        return bw_lwm2m__dm_reply(r, BW_COAP_METHOD_NOT_ALLOWED, NULL);
    err = free_id(o, &id, &count);
    if (err != 0)
        return bw_lwm2m__dm_reply(r, bw_lwm2m__dm_code(err), NULL);
    if (!o->multiple_instances && count > 0)
        return bw_lwm2m__dm_reply(r, BW_COAP_METHOD_NOT_ALLOWED, NULL);
    const bw_lwm2m_codec_t *dec = request_codec(r);
    if (dec == NULL && m->payload_len > 0)
        return bw_lwm2m__dm_reply(r, BW_COAP_UNSUPPORTED_FORMAT, NULL);

    /* The instance id comes from the payload when it names one (a TLV
     * object instance, a SenML name), else it is the lowest free one
     * (Core, "Create"): a TLV of bare resources is decoded under /O/id. */
    bw_lwm2m_path_t base = BW_LWM2M_PATH_OBJ(o->id);
    if (dec != NULL && dec->format == BW_COAP_FMT_LWM2M_TLV &&
        m->payload_len > 0 && (m->payload[0] >> 6) != BW_LWM2M_TLV_OBJ_INST)
        (void)bw_lwm2m_path_push(&base, id);
    if (dec != NULL && (dec->flags & BW_LWM2M__CODEC_SINGLE))
        return bw_lwm2m__dm_reply(r, BW_COAP_UNSUPPORTED_FORMAT, NULL);

    wctx_init(&c, r);
    c.create = 1;
    c.kind = BW_LWM2M_TXN_CREATE;
    c.replace_multi = 1;
    if (base.depth == BW_LWM2M_DEPTH_INSTANCE || m->payload_len == 0)
        (void)add_inst(&c, id);
    /* Pass 1 alone first: the named instance must be new, and every
     * mandatory writable resource given (Core, "Create"). */
    bw_lwm2m_sink_t sink = {type_of, on_record, &c, r->dm->buf,
                            sizeof r->dm->buf};
    err = m->payload_len > 0
              ? dec->decode(m->payload, m->payload_len, &base, &sink)
              : 0;
    if (err != 0)
        return bw_lwm2m__dm_reply(r, decode_code(&c, err), NULL);
    if (c.ninst == 0)
        (void)add_inst(&c, id); /* SenML or TLV with no record */
    id = c.inst[0].inst;
    err = bw_lwm2m__dm_has_inst(o, id);
    if (err != BW_ENOTFOUND)
        return bw_lwm2m__dm_reply(
            r, err == 0 ? BW_COAP_BAD_REQUEST : bw_lwm2m__dm_code(err), NULL);
    for (uint16_t i = 0; i < o->nres && i < 64; i++) {
        const bw_lwm2m_res_def_t *def = &o->res[i];
        if (def->mandatory && (def->ops & BW_LWM2M_OP_W) &&
            def->type != BW_LWM2M_TYPE_NONE &&
            !(c.seen[i >> 5] >> (i & 31u) & 1u))
            return bw_lwm2m__dm_reply(r, BW_COAP_BAD_REQUEST, NULL);
    }

    c.nmulti = 0; /* pass 1 runs again inside transact() */
    c.seen[0] = c.seen[1] = 0;
    uint8_t code = transact(&c, &base, dec);
    if (code != BW_COAP_CHANGED)
        return bw_lwm2m__dm_reply(r, code, NULL);
    bw_lwm2m_path_t loc = BW_LWM2M_PATH_INST(o->id, id);
    bw_lwm2m_path_t objp = BW_LWM2M_PATH_OBJ(o->id);
    bw_lwm2m__dm_access_created(r, o->id, id);
    bw_lwm2m_dm_changed(r->dm, &objp, r->now);
    return bw_lwm2m__dm_reply(r, BW_COAP_CREATED, &loc);
}
