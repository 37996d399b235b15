/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET: Read, Bootstrap-Read, Discover and Bootstrap-Discover, and the
 * Observe option of a Read (OMA LwM2M 1.1 Core: Read, Discover,
 * Observe, Bootstrap-Read, Bootstrap-Discover; Transport for the CoAP
 * mapping).
 *
 * Before a payload is produced the target is checked, so that an error
 * answers with its own code rather than a half-built 2.05:
 *
 *   object not registered, instance not listed,
 *   resource not in the table, RI on a single resource    4.04
 *   resource without R (write-only or executable),
 *   DM Read or Discover of the root                       4.05
 *   Bootstrap-Read of anything but /1 and /2              4.01
 *   an Accept the target cannot be written in             4.06
 *
 * Content format when no Accept is given: text/plain for one value
 * (octet-stream for an opaque one), TLV for anything larger, as far as
 * the handler's configuration has them (see pick_codec).  Discover is
 * the optional feature bw_lwm2m_feature_discover.
 */
#include "bulwark/coap_block.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

/* Objects Bootstrap-Read may name (Core, "Bootstrap-Read"): Server and Access
 * Control; the Security object holds the keys and is never read. */
#define OBJ_SERVER 1u
#define OBJ_ACL    2u

static int single_value(const bw_lwm2m_path_t *p, const bw_lwm2m_res_def_t *def)
{
    return p->depth == BW_LWM2M_DEPTH_RES_INST ||
           (p->depth == BW_LWM2M_DEPTH_RESOURCE && !def->multiple);
}

/* The codec to answer in, or NULL when the Accept cannot be met (4.06).
 * Without Accept: text/plain for one value (octet-stream for an opaque
 * one) when the handler has it, else TLV, else SenML CBOR. */
static const bw_lwm2m_codec_t *pick_codec(const bw_lwm2m_dm_t *dm,
                                          const bw_lwm2m_path_t *p,
                                          const bw_lwm2m_res_def_t *def,
                                          int has_accept, uint32_t accept)
{
    int single = single_value(p, def);
    int opaque = def->type == BW_LWM2M_TYPE_OPAQUE;
    const bw_lwm2m_codec_t *k = NULL;
    if (has_accept) {
        k = bw_lwm2m__codec(dm, accept);
        if (k != NULL && (k->flags & BW_LWM2M__CODEC_SINGLE) && !single)
            return NULL;
        if (k != NULL && (k->flags & BW_LWM2M__CODEC_OPAQUE) && !opaque)
            return NULL;
        return k;
    }
    if (single)
        k = bw_lwm2m__codec(dm, opaque ? BW_COAP_FMT_OPAQUE : BW_COAP_FMT_TEXT);
    if (k == NULL)
        k = bw_lwm2m__codec(dm, BW_COAP_FMT_LWM2M_TLV);
    if (k == NULL)
        k = bw_lwm2m__codec(dm, BW_COAP_FMT_SENML_CBOR);
    return k;
}

/*
 * Check the target of a Read; *def gets its resource (or a placeholder
 * for shallower paths).  Returns 0 or the response code.
 */
static uint8_t check_target(const bw_lwm2m__req_t *r,
                            const bw_lwm2m_res_def_t **def)
{
    const bw_lwm2m_path_t *p = &r->path;
    *def = NULL;
    if (r->obj == NULL)
        return BW_COAP_NOT_FOUND;
    if (p->depth >= BW_LWM2M_DEPTH_INSTANCE) {
        int err = bw_lwm2m__dm_has_inst(r->obj, p->id[1]);
        if (err != 0)
            return bw_lwm2m__dm_code(err);
    }
    if (p->depth >= BW_LWM2M_DEPTH_RESOURCE) {
        *def = bw_lwm2m_object_res(r->obj, p->id[2]);
        if (*def == NULL ||
            (p->depth == BW_LWM2M_DEPTH_RES_INST && !(*def)->multiple))
            return BW_COAP_NOT_FOUND;
    }
    return 0;
}

/* Build the 2.05 for g, or the error response its failure means. */
static int content(const bw_lwm2m__req_t *r, bw_lwm2m__gen_t *g,
                   int has_observe, uint32_t seq)
{
    bw_lwm2m__rsp_t h;
    h.type = BW_COAP_ACK;
    h.mid = r->req->mid;
    h.token = r->req->token;
    h.token_len = r->req->token_len;
    h.has_observe = (uint8_t)has_observe;
    h.observe = seq;
    h.req = r->req;
    int err = bw_lwm2m__content(g, &h, r->out, r->cap, r->out_len);
    if (err == 0)
        return 0;
    if (has_observe) /* the observation never started */
        bw_lwm2m_dm_cancel_token(r->dm, r->server, r->req->token,
                                 r->req->token_len);
    if (err == g->err) {
        /* A handler's own refusal keeps its code; a value the writers
         * cannot encode is the object's fault: 5.00, not the peer's. */
        uint8_t code = bw_lwm2m__dm_code(err);
        if (code == BW_COAP_BAD_REQUEST)
            code = BW_COAP_INTERNAL_ERROR;
        return bw_lwm2m__dm_reply(r, code, NULL);
    }
    if (err == BW_ENOSPC)
        return BW_ENOSPC;
    return bw_lwm2m__dm_reply(r, BW_COAP_BAD_OPTION, NULL);
}

static void gen_init(bw_lwm2m__gen_t *g, const bw_lwm2m__req_t *r,
                     bw_lwm2m__produce_fn fn, const bw_lwm2m_codec_t *k,
                     uint16_t format)
{
    bw__zero(g, sizeof *g);
    g->produce = fn;
    g->codec = k;
    g->dm = r->dm;
    g->obj = r->obj;
    g->path = r->path;
    g->format = format;
    g->server = r->server;
    g->iface = (uint8_t)r->iface;
}

/* Discover and Bootstrap-Discover: the handle of
 * bw_lwm2m_feature_discover (lwm2m_dm_discover.c). */
int bw_lwm2m__dm_discover(const bw_lwm2m__req_t *r)
{
    const bw_lwm2m_res_def_t *def;
    bw_lwm2m__gen_t g;
    uint8_t code = 0;

    if (r->iface == BW_LWM2M_IFACE_BOOTSTRAP) {
        /* Bootstrap-Discover: the root or one object (Core,
         * "Bootstrap-Discover"). */
        if (r->path.depth > BW_LWM2M_DEPTH_OBJECT)
            code = BW_COAP_BAD_REQUEST;
        else if (r->path.depth == BW_LWM2M_DEPTH_OBJECT && r->obj == NULL)
            code = BW_COAP_NOT_FOUND;
    } else if (r->path.depth == BW_LWM2M_DEPTH_ROOT) {
        code = BW_COAP_METHOD_NOT_ALLOWED;
    } else if (r->path.depth == BW_LWM2M_DEPTH_RES_INST) {
        code = BW_COAP_BAD_REQUEST; /* Discover names at most a resource */
    } else {
        code = check_target(r, &def);
    }
    if (code != 0)
        return bw_lwm2m__dm_reply(r, code, NULL);
    gen_init(&g, r, bw_lwm2m__produce_discover, NULL, BW_COAP_FMT_LINK);
    return content(r, &g, 0, 0);
}

int bw_lwm2m__dm_get(const bw_lwm2m__req_t *r)
{
    static const bw_lwm2m_res_def_t shallow = {0, BW_LWM2M_TYPE_NONE,
                                               BW_LWM2M_OP_R, 1, 0};
    const bw_lwm2m_path_t *p = &r->path;
    const bw_lwm2m_res_def_t *def;
    bw_lwm2m__gen_t g;
    uint32_t accept = 0, obs = 0, seq = 0;
    int bs = r->iface == BW_LWM2M_IFACE_BOOTSTRAP;
    int has_accept = bw_coap_msg_uint(r->req, BW_COAP_OPT_ACCEPT, &accept) == 0;
    uint8_t code;

    if (has_accept && accept == BW_COAP_FMT_LINK)
        return r->dm->cfg->discover != NULL
                   ? r->dm->cfg->discover->handle(r)
                   : bw_lwm2m__dm_reply(r, BW_COAP_NOT_ACCEPTABLE, NULL);
    if (p->depth == BW_LWM2M_DEPTH_ROOT)
        return bw_lwm2m__dm_reply(
            r, bs ? BW_COAP_BAD_REQUEST : BW_COAP_METHOD_NOT_ALLOWED, NULL);
    if (bs && p->id[0] != OBJ_SERVER && p->id[0] != OBJ_ACL)
        return bw_lwm2m__dm_reply(r, BW_COAP_UNAUTHORIZED, NULL);
    if (bs && p->depth > BW_LWM2M_DEPTH_INSTANCE)
        return bw_lwm2m__dm_reply(r, BW_COAP_BAD_REQUEST, NULL);
    code = check_target(r, &def);
    if (code == 0 && def != NULL &&
        (!(def->ops & BW_LWM2M_OP_R) || def->type == BW_LWM2M_TYPE_NONE))
        code = BW_COAP_METHOD_NOT_ALLOWED;
    if (code == 0 && r->obj->ops->read == NULL)
        code = BW_COAP_METHOD_NOT_ALLOWED;
    if (code != 0)
        return bw_lwm2m__dm_reply(r, code, NULL);

    const bw_lwm2m_codec_t *k =
        pick_codec(r->dm, p, def != NULL ? def : &shallow, has_accept, accept);
    if (k == NULL)
        return bw_lwm2m__dm_reply(r, BW_COAP_NOT_ACCEPTABLE, NULL);
    gen_init(&g, r, bw_lwm2m__produce_read, k, k->format);

    int observing = 0;
    if (!bs && bw_coap_msg_uint(r->req, BW_COAP_OPT_OBSERVE, &obs) == 0)
        observing = bw_lwm2m__dm_observe(r, k->format, &seq);
    return content(r, &g, observing, seq);
}
