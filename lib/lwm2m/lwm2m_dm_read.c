/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Read and Bootstrap-Read (OMA LwM2M 1.1 Core, "Read" and "Bootstrap-
 * Read"): the
 * GET that carries values, its content format, and the producer that
 * walks the values under a path.
 *
 * The walk visits, in path order, every readable value under the target:
 * the object's instances (ascending, from the list handler), each
 * instance's readable resources (in table order), each multiple
 * resource's instances.  A resource the read handler calls absent
 * (BW_ENOTFOUND: an optional resource the instance does not have) is
 * skipped unless it is the target itself; an empty multiple resource is
 * a value-less record, which every format writes as an empty container.
 *
 * Each value is encoded on its own or with its group, then handed to
 * bw_lwm2m__gen_put():
 *   TLV         one top-level TLV at a time: under /O an object instance,
 *               under /O/I one resource; the bytes are those the TLV
 *               writer gives for the whole payload, as top-level TLVs
 *               are independent;
 *   SenML JSON  "[" record "," record ... "]", each record written with
 *               its full name ({"n":"/3/0/0","vs":"x"}; no bn);
 *   SenML CBOR  the array head, then each record's map: the count comes
 *               from a first pass over the same walk;
 *   text, opaque one value.
 */
#include "bulwark/lwm2m_senml.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

/* The encoder state of one producer run. */
typedef struct {
    bw_lwm2m__gen_t *g;
    uint8_t *chunk; /* dm->buf after the value area */
    size_t chunk_cap;
    int counting; /* SenML CBOR: count records only */
    int open;     /* TLV: a group is open in w.tlv */
    uint16_t group;
    uint32_t n;
    union {
        bw_lwm2m_tlv_writer_t tlv;
        bw_lwm2m_text_writer_t text;
        bw_lwm2m_senml_json_writer_t json;
        bw_lwm2m_senml_cbor_writer_t cbor;
    } w;
} enc_t;

static int tlv_flush(enc_t *e)
{
    size_t len;
    if (!e->open)
        return 0;
    e->open = 0;
    int err = bw_lwm2m_tlv_finish(&e->w.tlv, &len);
    if (err == 0)
        bw_lwm2m__gen_put(e->g, e->chunk, len);
    return err;
}

static int encode(enc_t *e, const bw_lwm2m_record_t *rec)
{
    bw_lwm2m__gen_t *g = e->g;
    const bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    size_t len = 0;
    int err = 0;

    if (e->counting) {
        e->n++;
        return 0;
    }
    switch (g->format) {
    case BW_COAP_FMT_LWM2M_TLV: {
        uint16_t key = g->path.depth <= BW_LWM2M_DEPTH_INSTANCE
                           ? rec->path.id[g->path.depth]
                           : 0;
        if (e->open && key != e->group)
            err = tlv_flush(e);
        if (err == 0 && !e->open) {
            bw_lwm2m_tlv_begin(&e->w.tlv, e->chunk, e->chunk_cap, &g->path);
            e->open = 1;
            e->group = key;
        }
        bw_lwm2m_tlv_add(&e->w.tlv, rec);
        break;
    }
    case BW_COAP_FMT_TEXT:
        bw_lwm2m_text_begin(&e->w.text, e->chunk, e->chunk_cap, &g->path);
        bw_lwm2m_text_add(&e->w.text, rec);
        err = bw_lwm2m_text_finish(&e->w.text, &len);
        if (err == 0)
            bw_lwm2m__gen_put(g, e->chunk, len);
        break;
    case BW_COAP_FMT_OPAQUE:
        bw_lwm2m_opaque_begin(&e->w.text, e->chunk, e->chunk_cap, &g->path);
        bw_lwm2m_opaque_add(&e->w.text, rec);
        err = bw_lwm2m_opaque_finish(&e->w.text, &len);
        if (err == 0)
            bw_lwm2m__gen_put(g, e->chunk, len);
        break;
    case BW_COAP_FMT_SENML_JSON:
        bw_lwm2m_senml_json_begin(&e->w.json, e->chunk, e->chunk_cap, &root);
        bw_lwm2m_senml_json_add(&e->w.json, rec);
        err = bw_lwm2m_senml_json_finish(&e->w.json, &len);
        if (err == 0 && len >= 2) { /* "[" record "]" */
            bw_lwm2m__gen_put(g, e->n == 0 ? "[" : ",", 1);
            bw_lwm2m__gen_put(g, e->chunk + 1, len - 2);
        }
        break;
    default: /* SenML CBOR */
        bw_lwm2m_senml_cbor_begin(&e->w.cbor, e->chunk, e->chunk_cap, &root);
        bw_lwm2m_senml_cbor_add(&e->w.cbor, rec);
        err = bw_lwm2m_senml_cbor_finish(&e->w.cbor, &len);
        if (err == 0 && len >= 1) /* array(1) head, then the map */
            bw_lwm2m__gen_put(g, e->chunk + 1, len - 1);
        break;
    }
    /* A piece larger than the chunk buffer is our limit, not the
     * peer's fault. */
    e->n++;
    return err;
}

/* Read one value (depth 3 or 4) and encode it. */
static int read_one(enc_t *e, const bw_lwm2m_path_t *p)
{
    bw_lwm2m_object_t *o = e->g->obj;
    bw_lwm2m_record_t rec;
    bw__zero(&rec, sizeof rec);
    rec.path = *p;
    int err =
        o->ops->read(o, p, &rec.value, e->g->dm->buf, BW_LWM2M_DM_VALUE_MAX);
    if (err != 0)
        return err;
    if (rec.value.type == BW_LWM2M_TYPE_NONE)
        return BW_ETYPE; /* a read handler must give a value */
    return encode(e, &rec);
}

static int walk_res(enc_t *e, uint16_t inst, const bw_lwm2m_res_def_t *def,
                    int target)
{
    bw_lwm2m__gen_t *g = e->g;
    bw_lwm2m_object_t *o = g->obj;
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(o->id, inst, def->id);
    uint16_t ids[BW_LWM2M_DM_MAX_LIST];
    size_t n = 0;
    int err;

    if (!def->multiple) {
        err = read_one(e, &p);
    } else if (g->path.depth == BW_LWM2M_DEPTH_RES_INST) {
        p = g->path;
        err = read_one(e, &p);
    } else {
        err = o->ops->list_ri == NULL
                  ? 0
                  : o->ops->list_ri(o, inst, def->id, ids, BW_LWM2M_DM_MAX_LIST,
                                    &n);
        if (err == 0 && n > BW_LWM2M_DM_MAX_LIST)
            err = BW_ENOSPC;
        if (err == 0 && n == 0) {
            bw_lwm2m_record_t rec;
            bw__zero(&rec, sizeof rec);
            rec.path = p;
            err = encode(e, &rec); /* an empty multiple resource */
        }
        for (size_t i = 0; err == 0 && i < n; i++) {
            bw_lwm2m_path_t ri = p;
            err = bw_lwm2m_path_push(&ri, ids[i]);
            if (err == 0)
                err = read_one(e, &ri);
        }
    }
    if (err == BW_ENOTFOUND && !target)
        return 0;
    return err;
}

static int walk_inst(enc_t *e, uint16_t inst)
{
    bw_lwm2m__gen_t *g = e->g;
    const bw_lwm2m_object_t *o = g->obj;
    int err = 0;

    if (g->path.depth >= BW_LWM2M_DEPTH_RESOURCE) {
        const bw_lwm2m_res_def_t *def = bw_lwm2m_object_res(o, g->path.id[2]);
        return def == NULL ? BW_ENOTFOUND : walk_res(e, inst, def, 1);
    }
    for (uint16_t i = 0; err == 0 && i < o->nres; i++) {
        const bw_lwm2m_res_def_t *def = &o->res[i];
        if ((def->ops & BW_LWM2M_OP_R) && def->type != BW_LWM2M_TYPE_NONE)
            err = walk_res(e, inst, def, 0);
    }
    return err;
}

static int walk(enc_t *e)
{
    bw_lwm2m__gen_t *g = e->g;
    uint16_t ids[BW_LWM2M_DM_MAX_LIST];
    size_t n = 1;
    int err = 0;

    int whole = g->path.depth == BW_LWM2M_DEPTH_OBJECT;
    if (whole)
        err = bw_lwm2m__dm_list(g->obj, ids, &n);
    else
        ids[0] = g->path.id[1];
    for (size_t i = 0; err == 0 && i < n; i++)
        if (!whole || bw_lwm2m__dm_visible(g->dm, g->iface, g->server,
                                           g->obj->id, ids[i]))
            err = walk_inst(e, ids[i]); /* hidden: no Read right */
    return err;
}

int bw_lwm2m__produce_read(bw_lwm2m__gen_t *g)
{
    enc_t e;
    int err;

    bw__zero(&e, sizeof e);
    e.g = g;
    e.chunk = g->dm->buf + BW_LWM2M_DM_VALUE_MAX;
    e.chunk_cap = BW_LWM2M_DM_CHUNK_MAX;
    if (g->format == BW_COAP_FMT_SENML_CBOR) {
        uint8_t headbuf[BW_CBOR_MAX_HEAD_LEN];
        bw_cbor_writer_t cw;
        size_t hlen;
        e.counting = 1;
        err = walk(&e);
        if (err != 0)
            return err;
        bw_cbor_writer_init(&cw, headbuf, sizeof headbuf);
        bw_cbor_write_array(&cw, e.n);
        if (bw_cbor_writer_finish(&cw, &hlen) != 0)
            return BW_ENOSPC;
        bw_lwm2m__gen_put(g, headbuf, hlen);
        e.counting = 0;
        e.n = 0;
    }
    err = walk(&e);
    if (err == 0)
        err = tlv_flush(&e);
    if (err == 0 && g->format == BW_COAP_FMT_SENML_JSON)
        bw_lwm2m__gen_put(g, e.n == 0 ? "[]" : "]", e.n == 0 ? 2 : 1);
    if (err == 0 && e.n == 0 &&
        (g->format == BW_COAP_FMT_TEXT || g->format == BW_COAP_FMT_OPAQUE))
        err = BW_ENOTFOUND;
    return err;
}
