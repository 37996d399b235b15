/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RAM object and request builder of lwm2m_sample_object.h.
 * Test code only.
 */
#include "lwm2m_sample_object.h"

#include <string.h>

#include "bulwark/coap_block.h"

/* Object 1024: one of each kind of resource the handler treats apart. */
const bw_lwm2m_res_def_t bw_sample_res[] = {
    {0, BW_LWM2M_TYPE_STRING, BW_LWM2M_OP_RW, 0, 1},  /* name */
    {1, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_RW, 0, 1}, /* count, >= 0 */
    {2, BW_LWM2M_TYPE_FLOAT, BW_LWM2M_OP_RW, 0, 0},   /* level */
    {3, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_RW, 1, 0}, /* readings[] */
    {4, BW_LWM2M_TYPE_NONE, BW_LWM2M_OP_E, 0, 0},     /* reset */
    {5, BW_LWM2M_TYPE_BOOLEAN, BW_LWM2M_OP_R, 0, 0},  /* ok, read-only */
    {6, BW_LWM2M_TYPE_OPAQUE, BW_LWM2M_OP_RW, 0, 0},  /* blob */
    {7, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_W, 0, 0},  /* secret, write-only */
};
const uint16_t bw_sample_nres = sizeof bw_sample_res / sizeof bw_sample_res[0];

const bw_lwm2m_res_def_t bw_sample_security_res[] = {
    {0, BW_LWM2M_TYPE_STRING, BW_LWM2M_OP_RW, 0, 1},   /* server URI */
    {1, BW_LWM2M_TYPE_BOOLEAN, BW_LWM2M_OP_RW, 0, 1},  /* bootstrap server */
    {2, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_RW, 0, 1},  /* security mode */
    {10, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_RW, 0, 0}, /* short server id */
};
const uint16_t bw_sample_security_nres =
    sizeof bw_sample_security_res / sizeof bw_sample_security_res[0];

const bw_lwm2m_res_def_t bw_sample_server_res[] = {
    {0, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_R, 0, 1},  /* short server id */
    {1, BW_LWM2M_TYPE_INTEGER, BW_LWM2M_OP_RW, 0, 1}, /* lifetime */
    {7, BW_LWM2M_TYPE_STRING, BW_LWM2M_OP_RW, 0, 1},  /* binding */
};
const uint16_t bw_sample_server_nres =
    sizeof bw_sample_server_res / sizeof bw_sample_server_res[0];

const bw_lwm2m_res_def_t bw_sample_device_res[] = {
    {0, BW_LWM2M_TYPE_STRING, BW_LWM2M_OP_R, 0, 0}, /* manufacturer */
    {4, BW_LWM2M_TYPE_NONE, BW_LWM2M_OP_E, 0, 1},   /* reboot */
    {13, BW_LWM2M_TYPE_TIME, BW_LWM2M_OP_RW, 0, 0}, /* current time */
};
const uint16_t bw_sample_device_nres =
    sizeof bw_sample_device_res / sizeof bw_sample_device_res[0];

static bw_sample_t *of(bw_lwm2m_object_t *o)
{
    return (bw_sample_t *)o->ctx;
}

static int row_of(const bw_sample_t *s, uint16_t res)
{
    for (int i = 0; i < s->obj.nres && i < BW_SAMPLE_MAX_RES; i++)
        if (s->obj.res[i].id == res)
            return i;
    return -1;
}

static int slot_of(const bw_sample_t *s, uint16_t id)
{
    for (int i = 0; i < BW_SAMPLE_MAX_INST; i++)
        if (s->inst[i].used && s->inst[i].id == id)
            return i;
    return -1;
}

bw_sample_inst_t *bw_sample_inst(bw_sample_t *s, uint16_t id)
{
    int i = slot_of(s, id);
    return i < 0 ? NULL : &s->inst[i];
}

static bw_sample_res_t *res_of(bw_sample_t *s, uint16_t inst, uint16_t res)
{
    bw_sample_inst_t *in = bw_sample_inst(s, inst);
    int row = row_of(s, res);
    return in == NULL || row < 0 ? NULL : &in->res[row];
}

static int s_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    bw_sample_t *s = of(o);
    size_t k = 0;
    /* ascending: pick the next larger id each round */
    int32_t last = -1;
    for (;;) {
        int32_t best = 70000;
        for (int i = 0; i < BW_SAMPLE_MAX_INST; i++)
            if (s->inst[i].used && s->inst[i].id > last && s->inst[i].id < best)
                best = s->inst[i].id;
        if (best == 70000)
            break;
        if (k == cap)
            return BW_ENOSPC;
        ids[k++] = (uint16_t)best;
        last = best;
    }
    *n = k;
    return 0;
}

static int s_list_ri(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                     uint16_t *ids, size_t cap, size_t *n)
{
    bw_sample_res_t *r = res_of(of(o), inst, res);
    if (r == NULL)
        return BW_ENOTFOUND;
    if (r->nri > cap)
        return BW_ENOSPC;
    for (size_t i = 0; i < r->nri; i++)
        ids[i] = r->ri_id[i];
    *n = r->nri;
    return 0;
}

static int s_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *p,
                  bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    (void)scratch;
    (void)cap;
    bw_sample_res_t *r = res_of(of(o), p->id[1], p->id[2]);
    if (r == NULL)
        return BW_ENOTFOUND;
    if (p->depth == BW_LWM2M_DEPTH_RES_INST) {
        for (size_t i = 0; i < r->nri; i++)
            if (r->ri_id[i] == p->id[3]) {
                *v = bw_lwm2m_value_int(r->ri_val[i]);
                return 0;
            }
        return BW_ENOTFOUND;
    }
    if (!r->present)
        return BW_ENOTFOUND;
    *v = r->v;
    if (v->type == BW_LWM2M_TYPE_STRING || v->type == BW_LWM2M_TYPE_OPAQUE ||
        v->type == BW_LWM2M_TYPE_CORELNK)
        v->v.bytes.ptr = r->bytes;
    return 0;
}

static int store(bw_sample_res_t *r, const bw_lwm2m_value_t *v)
{
    if (v->type == BW_LWM2M_TYPE_STRING || v->type == BW_LWM2M_TYPE_OPAQUE ||
        v->type == BW_LWM2M_TYPE_CORELNK) {
        if (v->v.bytes.len > BW_SAMPLE_BYTES_MAX)
            return BW_ERANGE;
        if (v->v.bytes.len > 0)
            memcpy(r->bytes, v->v.bytes.ptr, v->v.bytes.len);
    }
    r->v = *v;
    r->v.type = v->type;
    if (v->type == BW_LWM2M_TYPE_STRING || v->type == BW_LWM2M_TYPE_OPAQUE ||
        v->type == BW_LWM2M_TYPE_CORELNK)
        r->v.v.bytes.ptr = NULL;
    r->present = 1;
    return 0;
}

static int s_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *p,
                   const bw_lwm2m_value_t *v)
{
    bw_sample_t *s = of(o);
    s->writes++;
    if (s->fail_write_after > 0 && s->writes >= s->fail_write_after)
        return BW_EIO;
    bw_sample_res_t *r = res_of(s, p->id[1], p->id[2]);
    if (r == NULL)
        return BW_ENOTFOUND;
    if (p->depth == BW_LWM2M_DEPTH_RESOURCE && v->type == BW_LWM2M_TYPE_NONE) {
        r->nri = 0; /* replace a multiple resource: drop its instances */
        return 0;
    }
    if (p->depth == BW_LWM2M_DEPTH_RES_INST) {
        int64_t x;
        if (bw_lwm2m_value_get_int(v, &x) != 0)
            return BW_ETYPE;
        for (size_t i = 0; i < r->nri; i++)
            if (r->ri_id[i] == p->id[3]) {
                r->ri_val[i] = x;
                return 0;
            }
        if (r->nri == BW_SAMPLE_MAX_RI)
            return BW_ENOMEM;
        size_t at = r->nri;
        while (at > 0 && r->ri_id[at - 1] > p->id[3]) {
            r->ri_id[at] = r->ri_id[at - 1];
            r->ri_val[at] = r->ri_val[at - 1];
            at--;
        }
        r->ri_id[at] = p->id[3];
        r->ri_val[at] = x;
        r->nri++;
        return 0;
    }
    return store(r, v);
}

static int s_execute(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                     const uint8_t *arg, size_t len)
{
    bw_sample_t *s = of(o);
    (void)res;
    if (bw_sample_inst(s, inst) == NULL)
        return BW_ENOTFOUND;
    s->executes++;
    s->exec_len = len < sizeof s->exec_arg ? len : sizeof s->exec_arg;
    if (s->exec_len > 0)
        memcpy(s->exec_arg, arg, s->exec_len);
    return 0;
}

static int s_create(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_sample_t *s = of(o);
    int err = bw_sample_add(s, inst);
    if (err == 0)
        s->created[slot_of(s, inst)] = 1;
    return err;
}

static int s_remove(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_sample_t *s = of(o);
    int i = slot_of(s, inst);
    if (i < 0)
        return BW_ENOTFOUND;
    s->removes++;
    memset(&s->inst[i], 0, sizeof s->inst[i]);
    return 0;
}

static int s_begin(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind)
{
    bw_sample_t *s = of(o);
    int i = slot_of(s, inst);
    s->begins++;
    s->last_kind = kind;
    if (i < 0)
        return 0; /* CREATE / BOOTSTRAP: create() follows */
    s->snap[i] = s->inst[i];
    s->in_txn[i] = 1;
    if (kind == BW_LWM2M_TXN_REPLACE) /* unnamed writables to defaults */
        for (int r = 0; r < s->obj.nres && r < BW_SAMPLE_MAX_RES; r++)
            if (s->obj.res[r].ops & BW_LWM2M_OP_W)
                memset(&s->inst[i].res[r], 0, sizeof s->inst[i].res[r]);
    return 0;
}

static int s_validate(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_sample_t *s = of(o);
    if (s->fail_validate == inst + 1)
        return BW_EINVAL;
    bw_sample_res_t *r = res_of(s, inst, 1);
    if (r != NULL && r->present && r->v.type == BW_LWM2M_TYPE_INTEGER &&
        r->v.v.i < 0)
        return BW_ERANGE;
    return 0;
}

static void s_commit(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_sample_t *s = of(o);
    int i = slot_of(s, inst);
    s->commits++;
    if (i >= 0) {
        s->in_txn[i] = 0;
        s->created[i] = 0;
    }
}

static void s_rollback(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_sample_t *s = of(o);
    int i = slot_of(s, inst);
    s->rollbacks++;
    if (i < 0)
        return;
    if (s->created[i])
        memset(&s->inst[i], 0, sizeof s->inst[i]);
    else if (s->in_txn[i])
        s->inst[i] = s->snap[i];
    s->in_txn[i] = 0;
    s->created[i] = 0;
}

static const bw_lwm2m_object_ops_t sample_ops = {
    s_list,   s_list_ri, s_read,     s_write,  s_execute,  s_create,
    s_remove, s_begin,   s_validate, s_commit, s_rollback,
};

void bw_sample_init(bw_sample_t *s, uint16_t id, const bw_lwm2m_res_def_t *res,
                    uint16_t nres, int multiple_instances)
{
    memset(s, 0, sizeof *s);
    s->obj.id = id;
    s->obj.multiple_instances = (uint8_t)multiple_instances;
    s->obj.res = res;
    s->obj.nres = nres;
    s->obj.ops = &sample_ops;
    s->obj.ctx = s;
}

int bw_sample_add(bw_sample_t *s, uint16_t id)
{
    if (slot_of(s, id) >= 0)
        return BW_EDUPKEY;
    for (int i = 0; i < BW_SAMPLE_MAX_INST; i++)
        if (!s->inst[i].used) {
            memset(&s->inst[i], 0, sizeof s->inst[i]);
            s->inst[i].used = 1;
            s->inst[i].id = id;
            return 0;
        }
    return BW_ENOMEM;
}

void bw_sample_remove_all(bw_sample_t *s)
{
    memset(s->inst, 0, sizeof s->inst);
}

void bw_sample_set(bw_sample_t *s, uint16_t inst, uint16_t res,
                   bw_lwm2m_value_t v)
{
    bw_sample_res_t *r = res_of(s, inst, res);
    if (r != NULL)
        (void)store(r, &v);
}

void bw_sample_set_str(bw_sample_t *s, uint16_t inst, uint16_t res,
                       const char *str)
{
    bw_sample_set(s, inst, res,
                  bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, str, strlen(str)));
}

void bw_sample_set_ri(bw_sample_t *s, uint16_t inst, uint16_t res, uint16_t ri,
                      int64_t v)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RI(s->obj.id, inst, res, ri);
    bw_lwm2m_value_t val = bw_lwm2m_value_int(v);
    int saved = s->writes, fail = s->fail_write_after;
    s->fail_write_after = 0;
    (void)s_write(&s->obj, &p, &val);
    s->writes = saved;
    s->fail_write_after = fail;
}

const bw_lwm2m_value_t *bw_sample_get(bw_sample_t *s, uint16_t inst,
                                      uint16_t res, bw_lwm2m_value_t *tmp)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(s->obj.id, inst, res);
    if (s_read(&s->obj, &p, tmp, NULL, 0) != 0)
        return NULL;
    return tmp;
}

void bw_sample_fill(bw_sample_t *s)
{
    static const uint8_t blob[] = {1, 2, 3};
    bw_sample_init(s, 1024, bw_sample_res, bw_sample_nres, 1);
    (void)bw_sample_add(s, 0);
    bw_sample_set_str(s, 0, 0, "alpha");
    bw_sample_set(s, 0, 1, bw_lwm2m_value_int(5));
    bw_sample_set(s, 0, 2, bw_lwm2m_value_float(2.5));
    bw_sample_set_ri(s, 0, 3, 0, 10);
    bw_sample_set_ri(s, 0, 3, 1, 20);
    bw_sample_set(s, 0, 5, bw_lwm2m_value_bool(true));
    bw_sample_set(s, 0, 6, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, blob, 3));
    (void)bw_sample_add(s, 1);
    bw_sample_set_str(s, 1, 0, "beta");
    bw_sample_set(s, 1, 1, bw_lwm2m_value_int(7));
    bw_sample_set(s, 1, 5, bw_lwm2m_value_bool(false));
}

bw_sample_req_t bw_sample_req(uint8_t code, const char *path)
{
    bw_sample_req_t q;
    memset(&q, 0, sizeof q);
    q.code = code;
    q.path = path;
    q.accept = q.format = q.observe = q.block2 = q.block1 = -1;
    return q;
}

size_t bw_sample_build(const bw_sample_req_t *q, uint8_t *buf, size_t cap)
{
    static const uint8_t tok[] = {0xa1, 0xb2};
    bw_coap_writer_t w;
    size_t len = 0;

    bw_coap_writer_init(&w, buf, cap, BW_COAP_CON, q->code, 0x1234,
                        q->token != NULL ? q->token : tok,
                        q->token != NULL ? q->token_len : sizeof tok);
    if (q->observe >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_OBSERVE, (uint32_t)q->observe);
    const char *p = q->path;
    while (p != NULL && *p == '/' && p[1] != '\0') {
        const char *seg = ++p;
        while (*p != '\0' && *p != '/')
            p++;
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, seg,
                               (size_t)(p - seg));
    }
    if (q->format >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                (uint32_t)q->format);
    for (int i = 0; i < 6 && q->query[i] != NULL; i++)
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, q->query[i],
                               strlen(q->query[i]));
    if (q->accept >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_ACCEPT, (uint32_t)q->accept);
    if (q->block2 >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_BLOCK2, (uint32_t)q->block2);
    if (q->block1 >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_BLOCK1, (uint32_t)q->block1);
    if (q->len > 0)
        bw_coap_writer_payload(&w, q->payload, q->len);
    return bw_coap_writer_finish(&w, &len) == 0 ? len : 0;
}

int bw_sample_do(bw_lwm2m_dm_t *dm, bw_lwm2m_iface_t iface, uint16_t server,
                 const bw_sample_req_t *q, uint8_t *out, size_t cap,
                 bw_coap_msg_t *rsp)
{
    uint8_t reqbuf[1400];
    bw_coap_msg_t req;
    size_t len = bw_sample_build(q, reqbuf, sizeof reqbuf), olen = 0;
    if (len == 0)
        return BW_ENOSPC;
    int err = bw_coap_parse(&req, reqbuf, len);
    if (err == 0)
        err = bw_lwm2m_dm_handle(dm, q->now, iface, server, &req, out, cap,
                                 &olen);
    if (err == 0)
        err = bw_coap_parse(rsp, out, olen);
    return err != 0 ? err : rsp->code;
}
