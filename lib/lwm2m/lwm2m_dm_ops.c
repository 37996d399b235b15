/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Delete, Bootstrap-Delete and Execute (OMA LwM2M 1.1 Core, "Delete",
 * "Bootstrap-Delete" and "Execute").
 *
 * Delete (DM) removes one object instance: 2.02, or 4.04 when it does
 * not exist, 4.05 for anything but /O/I, for a single-instance object
 * (its one instance is part of the device) and for an object with no
 * remove handler.
 *
 * Bootstrap-Delete (Core, "Bootstrap-Delete") takes "/", "/O" or "/O/I".  "/"
 * removes every instance of every object and "/O" every instance of O, with two
 * exceptions the specification names: the LwM2M Bootstrap-Server Account
 * (the Security instance whose resource 1, "Bootstrap-Server", is true)
 * and the single instance of the Device object (/3/0).  Both are skipped
 * silently by "/" and "/O"; naming one of them as /O/I is 4.00 Bad
 * Request.  Objects without a remove handler cannot lose instances and
 * are skipped the same way (4.05 when named as /O/I).
 *
 * The attributes under a deleted instance go with it.  Its observations
 * are not dropped at once: the instance is reported changed, and the next
 * notification finds it gone and ends the observation with 4.04
 * (lwm2m_dm_observe.c).
 */
#include "bw_mem.h"
#include "lwm2m_int.h"

#define OBJ_SECURITY      0u
#define OBJ_DEVICE        3u
#define RES_BOOTSTRAP_SRV 1u /* /0/x/1, Bootstrap-Server, boolean */

/* Whether /o/inst is one of the two instances Bootstrap-Delete spares. */
static int spared(bw_lwm2m_dm_t *dm, bw_lwm2m_object_t *o, uint16_t inst)
{
    if (o->id == OBJ_DEVICE)
        return 1;
    if (o->id != OBJ_SECURITY || o->ops->read == NULL)
        return 0;
    bw_lwm2m_path_t p =
        BW_LWM2M_PATH_RES(OBJ_SECURITY, inst, RES_BOOTSTRAP_SRV);
    bw_lwm2m_value_t v;
    bool b = false;
    bw__zero(&v, sizeof v);
    if (o->ops->read(o, &p, &v, dm->buf, BW_LWM2M_DM_VALUE_MAX) != 0)
        return 0;
    return bw_lwm2m_value_get_bool(&v, &b) == 0 && b;
}

static int remove_inst(const bw_lwm2m__req_t *r, bw_lwm2m_object_t *o,
                       uint16_t inst)
{
    int err = o->ops->remove(o, inst);
    if (err == 0) {
        bw_lwm2m_path_t p = BW_LWM2M_PATH_INST(o->id, inst);
        const bw_lwm2m_feature_t *f = r->dm->cfg->write_attrs;
        if (f != NULL) /* without it no attribute is ever stored */
            f->forget(r->dm, &p);
        bw_lwm2m_dm_changed(r->dm, &p, r->now);
    }
    return err;
}

/* Every instance of o but the spared ones. */
static int clear_object(const bw_lwm2m__req_t *r, bw_lwm2m_object_t *o)
{
    uint16_t ids[BW_LWM2M_DM_MAX_LIST];
    size_t n;
    if (o->ops->remove == NULL)
        return 0;
    int err = bw_lwm2m__dm_list(o, ids, &n);
    for (size_t i = 0; err == 0 && i < n; i++)
        if (!spared(r->dm, o, ids[i]))
            err = remove_inst(r, o, ids[i]);
    return err;
}

static uint8_t bootstrap_delete(const bw_lwm2m__req_t *r)
{
    const bw_lwm2m_path_t *p = &r->path;
    bw_lwm2m_object_t *o = r->obj;
    int err = 0;

    if (p->depth > BW_LWM2M_DEPTH_INSTANCE)
        return BW_COAP_BAD_REQUEST;
    if (p->depth == BW_LWM2M_DEPTH_ROOT) {
        for (size_t i = 0; err == 0 && i < r->dm->nobjects; i++)
            err = clear_object(r, r->dm->objects[i]);
        return err == 0 ? BW_COAP_DELETED : bw_lwm2m__dm_code(err);
    }
    if (o == NULL)
        return BW_COAP_NOT_FOUND;
    if (p->depth == BW_LWM2M_DEPTH_OBJECT)
        err = clear_object(r, o);
    else if ((err = bw_lwm2m__dm_has_inst(o, p->id[1])) != 0)
        return bw_lwm2m__dm_code(err);
    else if (spared(r->dm, o, p->id[1]))
        return BW_COAP_BAD_REQUEST;
    else if (o->ops->remove == NULL)
        return BW_COAP_METHOD_NOT_ALLOWED;
    else
        err = remove_inst(r, o, p->id[1]);
    return err == 0 ? BW_COAP_DELETED : bw_lwm2m__dm_code(err);
}

int bw_lwm2m__dm_delete(const bw_lwm2m__req_t *r)
{
    bw_lwm2m_object_t *o = r->obj;
    uint8_t code;

    if (r->iface == BW_LWM2M_IFACE_BOOTSTRAP)
        return bw_lwm2m__dm_reply(r, bootstrap_delete(r), NULL);
    if (r->path.depth != BW_LWM2M_DEPTH_INSTANCE)
        code = r->path.depth > 0 && o == NULL ? BW_COAP_NOT_FOUND
                                              : BW_COAP_METHOD_NOT_ALLOWED;
    else if (o == NULL)
        code = BW_COAP_NOT_FOUND;
    else {
        int err = bw_lwm2m__dm_has_inst(o, r->path.id[1]);
        if (err != 0)
            code = bw_lwm2m__dm_code(err);
        else if (!o->multiple_instances || o->ops->remove == NULL)
            code = BW_COAP_METHOD_NOT_ALLOWED;
        else {
            err = remove_inst(r, o, r->path.id[1]);
            if (err == 0)
                bw_lwm2m__dm_access_deleted(r, o->id, r->path.id[1]);
            code = err == 0 ? BW_COAP_DELETED : bw_lwm2m__dm_code(err);
        }
    }
    return bw_lwm2m__dm_reply(r, code, NULL);
}

int bw_lwm2m__dm_execute(const bw_lwm2m__req_t *r)
{
    const bw_lwm2m_path_t *p = &r->path;
    bw_lwm2m_object_t *o = r->obj;
    const bw_lwm2m_res_def_t *def;
    uint8_t code;
    int err;

    if (o == NULL || (def = bw_lwm2m_object_res(o, p->id[2])) == NULL)
        code = BW_COAP_NOT_FOUND;
    else if ((err = bw_lwm2m__dm_has_inst(o, p->id[1])) != 0)
        code = bw_lwm2m__dm_code(err);
    else if (!(def->ops & BW_LWM2M_OP_E) || o->ops->execute == NULL)
        code = BW_COAP_METHOD_NOT_ALLOWED;
    else {
        /* The argument bytes go through as they came (Core, "Execute": the
         * object defines their syntax). */
        err = o->ops->execute(o, p->id[1], p->id[2], r->req->payload,
                              r->req->payload_len);
        code = bw_lwm2m__dm_code(err);
    }
    return bw_lwm2m__dm_reply(r, code, NULL);
}
