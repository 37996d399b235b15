/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request handler's front door: the object registry and the
 * dispatch of one CoAP request to the LwM2M operation it means (OMA
 * LwM2M 1.1 Transport, the tables mapping each operation to a CoAP
 * method mapping").  The operations live beside this file:
 *
 *   lwm2m_dm_content.c   2.05 responses, whole or in Block2 blocks
 *   lwm2m_dm_read.c      Read and Bootstrap-Read payloads
 *   lwm2m_dm_write.c     Write, partial update, Create, Bootstrap-Write
 *   lwm2m_dm_ops.c       Delete, Bootstrap-Delete, Execute
 *   lwm2m_dm_attr.c      Write-Attributes and their inheritance
 *   lwm2m_dm_discover.c  Discover, Bootstrap-Discover, Register links
 *   lwm2m_dm_observe.c   Observe, notifications
 *   lwm2m_dm_block1.c    block-wise Write (Block1) of an opaque resource
 *   lwm2m_dm_codec.c     the content formats, the configurations
 *
 * Discover, Write-Attributes and Block1 are optional features
 * (bw_lwm2m_dm_config_t): without one, its requests get the code
 * lwm2m_dm.h gives.
 *
 * Dispatch, in order (the first that applies answers):
 *
 *   (an open block-wise Write idle too long is dropped first)
 *   an unknown critical option            4.02
 *   a Uri-Path that is no LwM2M path      4.04
 *   DM, with an access table: the right
 *   the request needs is missing          4.01 (4.04 not covered),
 *                                         lwm2m_acl_dm.c
 *   a Block1 option                       block-wise Write, or 4.13 where
 *                                         it cannot be taken (see there)
 *   DM, object 0 (Security)               4.01
 *   GET        Accept 40: Discover / Bootstrap-Discover; else Read /
 *              Bootstrap-Read (with Observe on DM)
 *   PUT        DM: Uri-Query and no payload: Write-Attributes; else
 *              Write (replace).  Bootstrap: Bootstrap-Write
 *   POST       DM only: /O Create, /O/I partial update, /O/I/R Execute
 *   DELETE     DM: /O/I Delete.  Bootstrap: Bootstrap-Delete
 *   anything else                         4.05
 */
#include "bulwark/lwm2m_dm.h"

#include "bulwark/coap_block.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

/* Options the handler understands; other critical ones get 4.02. */
static const uint16_t known_opts[] = {
    BW_COAP_OPT_URI_HOST, BW_COAP_OPT_OBSERVE,   BW_COAP_OPT_URI_PORT,
    BW_COAP_OPT_URI_PATH, BW_COAP_OPT_URI_QUERY, BW_COAP_OPT_ACCEPT,
    BW_COAP_OPT_BLOCK2,   BW_COAP_OPT_BLOCK1,
};

int bw_lwm2m_dm_add(bw_lwm2m_dm_t *dm, bw_lwm2m_object_t *obj)
{
    if (dm == NULL || obj == NULL || obj->ops == NULL ||
        obj->id > BW_LWM2M_ID_MAX || (obj->res == NULL && obj->nres > 0))
        return BW_EINVAL;
    for (uint16_t i = 1; i < obj->nres; i++)
        if (obj->res[i - 1].id >= obj->res[i].id)
            return BW_EINVAL;
    size_t at = 0;
    while (at < dm->nobjects && dm->objects[at]->id < obj->id)
        at++;
    if (at < dm->nobjects && dm->objects[at]->id == obj->id)
        return BW_EDUPKEY;
    if (dm->nobjects == BW_LWM2M_DM_MAX_OBJECTS)
        return BW_ENOMEM;
    /* Insert by rotation (an open shift loop becomes a memmove call). */
    for (size_t i = at; i <= dm->nobjects; i++) {
        bw_lwm2m_object_t *next = i < dm->nobjects ? dm->objects[i] : NULL;
        dm->objects[i] = obj;
        obj = next;
    }
    dm->nobjects++;
    return 0;
}

bw_lwm2m_object_t *bw_lwm2m_dm_object(bw_lwm2m_dm_t *dm, uint16_t id)
{
    if (dm == NULL)
        return NULL;
    for (size_t i = 0; i < dm->nobjects; i++)
        if (dm->objects[i]->id == id)
            return dm->objects[i];
    return NULL;
}

uint8_t bw_lwm2m__dm_code(int err)
{
    switch (err) {
    case 0:
        return BW_COAP_CHANGED;
    case BW_ENOTFOUND:
        return BW_COAP_NOT_FOUND;
    case BW_ETYPE:
    case BW_ERANGE:
    case BW_EMALFORMED:
    case BW_EINVAL:
    case BW_EUTF8:
        return BW_COAP_BAD_REQUEST;
    case BW_ESTATE:
    case BW_EUNSUPPORTED:
        return BW_COAP_METHOD_NOT_ALLOWED;
    default:
        return BW_COAP_INTERNAL_ERROR;
    }
}

int bw_lwm2m__dm_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t *n)
{
    *n = 0;
    if (o->ops->list == NULL)
        return 0;
    int err = o->ops->list(o, ids, BW_LWM2M_DM_MAX_LIST, n);
    if (err == 0 && *n > BW_LWM2M_DM_MAX_LIST)
        err = BW_ENOSPC; /* a handler that broke its contract */
    if (err != 0)
        *n = 0;
    return err;
}

int bw_lwm2m__dm_has_inst(bw_lwm2m_object_t *o, uint16_t inst)
{
    uint16_t ids[BW_LWM2M_DM_MAX_LIST];
    size_t n;
    int err = bw_lwm2m__dm_list(o, ids, &n);
    if (err != 0)
        return err;
    for (size_t i = 0; i < n; i++)
        if (ids[i] == inst)
            return 0;
    return BW_ENOTFOUND;
}

/* The response head: the request's token, ACK (the endpoint rewrites
 * type and message ID as its exchange needs). */
static void reply_init(const bw_lwm2m__req_t *r, bw_coap_writer_t *w,
                       uint8_t code)
{
    bw_coap_writer_init(w, r->out, r->cap, BW_COAP_ACK, code, r->req->mid,
                        r->req->token, r->req->token_len);
}

int bw_lwm2m__dm_reply(const bw_lwm2m__req_t *r, uint8_t code,
                       const bw_lwm2m_path_t *loc)
{
    bw_coap_writer_t w;
    reply_init(r, &w, code);
    for (uint8_t i = 0; loc != NULL && i < loc->depth; i++) {
        char seg[BW_LWM2M__U64_DIGITS];
        size_t n = bw_lwm2m__fmt_u64(loc->id[i], seg);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_LOCATION_PATH, seg, n);
    }
    int err = bw_coap_writer_finish(&w, r->out_len);
    return err == 0 ? 0 : BW_ENOSPC;
}

/*
 * The path of the Uri-Path options.  No option, or one empty option, is
 * the root; anything that is not a canonical LwM2M id is BW_EPATH.
 */
static int request_path(const bw_coap_msg_t *req, bw_lwm2m_path_t *path)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    int segs = 0, empty = 0;

    bw_lwm2m_path_init(path);
    bw_coap_opt_iter_init(&it, req);
    while (bw_coap_opt_next(&it, &opt)) {
        if (opt.number != BW_COAP_OPT_URI_PATH)
            continue;
        segs++;
        if (opt.len == 0) {
            empty++;
            continue;
        }
        if (bw_lwm2m_path_push_text(path, (const char *)opt.value, opt.len) !=
            0)
            return BW_EPATH;
    }
    if (empty > 0 && (empty > 1 || segs > 1))
        return BW_EPATH;
    return 0;
}

static int has_opt(const bw_coap_msg_t *m, uint16_t number)
{
    bw_coap_opt_t opt;
    return bw_coap_opt_find(m, number, &opt) == 0;
}

static int dispatch(const bw_lwm2m__req_t *r)
{
    const bw_coap_msg_t *m = r->req;
    int dm = r->iface == BW_LWM2M_IFACE_DM;
    uint8_t depth = r->path.depth;

    if (dm && depth > 0 && r->path.id[0] == 0)
        return bw_lwm2m__dm_reply(r, BW_COAP_UNAUTHORIZED, NULL);
    switch (m->code) {
    case BW_COAP_GET:
        return bw_lwm2m__dm_get(r);
    case BW_COAP_PUT:
        if (dm && m->payload_len == 0 && has_opt(m, BW_COAP_OPT_URI_QUERY))
            return r->dm->cfg->write_attrs != NULL
                       ? r->dm->cfg->write_attrs->handle(r)
                       : bw_lwm2m__dm_reply(r, BW_COAP_METHOD_NOT_ALLOWED,
                                            NULL);
        if (depth == 0 || (dm && depth == 1) ||
            (!dm && depth > BW_LWM2M_DEPTH_RESOURCE))
            break;
        return bw_lwm2m__dm_write(r);
    case BW_COAP_POST:
        if (!dm)
            break;
        if (depth == BW_LWM2M_DEPTH_OBJECT)
            return bw_lwm2m__dm_create(r);
        if (depth == BW_LWM2M_DEPTH_INSTANCE)
            return bw_lwm2m__dm_write(r);
        if (depth == BW_LWM2M_DEPTH_RESOURCE)
            return bw_lwm2m__dm_execute(r);
        break;
    case BW_COAP_DELETE:
        return bw_lwm2m__dm_delete(r);
    default:
        break;
    }
    return bw_lwm2m__dm_reply(r, BW_COAP_METHOD_NOT_ALLOWED, NULL);
}

int bw_lwm2m_dm_handle(bw_lwm2m_dm_t *dm, uint64_t now, bw_lwm2m_iface_t iface,
                       uint16_t server, const bw_coap_msg_t *req, uint8_t *out,
                       size_t cap, size_t *out_len)
{
    if (out_len != NULL)
        *out_len = 0;
    if (dm == NULL || req == NULL || out == NULL || out_len == NULL ||
        (iface != BW_LWM2M_IFACE_DM && iface != BW_LWM2M_IFACE_BOOTSTRAP) ||
        req->code == BW_COAP_EMPTY || BW_COAP_CODE_CLASS(req->code) != 0 ||
        dm->cfg == NULL)
        return BW_EINVAL;

    bw_lwm2m__req_t r;
    r.dm = dm;
    r.req = req;
    r.iface = iface;
    r.server = server;
    r.now = now;
    r.out = out;
    r.cap = cap;
    r.out_len = out_len;
    r.obj = NULL;
    bw_lwm2m_path_init(&r.path);

    const bw_lwm2m_feature_t *block1 = dm->cfg->block1;
    if (block1 != NULL)
        block1->expire(dm, now, NULL);
    if (bw_coap_check_critical(req, known_opts,
                               sizeof known_opts / sizeof known_opts[0],
                               NULL) != 0)
        return bw_lwm2m__dm_reply(&r, BW_COAP_BAD_OPTION, NULL);
    if (request_path(req, &r.path) != 0)
        return bw_lwm2m__dm_reply(&r, BW_COAP_NOT_FOUND, NULL);
    if (r.path.depth > 0)
        r.obj = bw_lwm2m_dm_object(dm, r.path.id[0]);
    uint8_t denied = bw_lwm2m__dm_access(&r);
    if (denied != 0)
        return bw_lwm2m__dm_reply(&r, denied, NULL);
    if (has_opt(req, BW_COAP_OPT_BLOCK1))
        return block1 != NULL
                   ? block1->handle(&r)
                   : bw_lwm2m__dm_reply(&r, BW_COAP_REQUEST_TOO_LARGE, NULL);
    return dispatch(&r);
}
