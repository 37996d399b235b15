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
 * Each value is encoded by the codec of g (lwm2m_dm_codec.c), which
 * hands the bytes to bw_lwm2m__gen_put(); a codec that needs the record
 * count first (SenML CBOR's array head) gets a counting pass over the
 * same walk.
 */
#include "bulwark/lwm2m_senml.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

typedef bw_lwm2m__enc_t enc_t;

static int encode(enc_t *e, const bw_lwm2m_record_t *rec)
{
    if (e->counting) {
        e->n++;
        return 0;
    }
    /* A piece larger than the chunk buffer is our limit, not the
     * peer's fault. */
    int err = e->g->codec->put(e, rec);
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
    const bw_lwm2m_codec_t *k = g->codec;
    enc_t e;
    int err;

    if (k == NULL)
        return BW_EFORMAT;
    bw__zero(&e, sizeof e);
    e.g = g;
    e.chunk = g->dm->buf + BW_LWM2M_DM_VALUE_MAX;
    e.chunk_cap = BW_LWM2M_DM_CHUNK_MAX;
    if (k->flags & BW_LWM2M__CODEC_COUNT) {
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
    if (err == 0 && k->finish != NULL)
        err = k->finish(&e);
    return err;
}
