/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observe and notifications (OMA LwM2M 1.1 Core, "Information
 * Reporting Interface" and "Attributes"; RFC 7641).
 *
 * An observation is keyed by server and token.  A GET with Observe 0
 * registers one after a successful Read; the same server and token again
 * renews it in place (its sequence runs on), and a new token for a path
 * the server already observes replaces that observation.  Observe 1, a
 * RST (bw_lwm2m_dm_cancel_token) or a deregistration
 * (bw_lwm2m_dm_cancel_server) ends it.  When every slot is taken the Read
 * is answered without Observe, which tells the server it is not observing
 * (RFC 7641 section 4.1).
 *
 * When a notification is due, for each observation (attributes resolved
 * resource > instance > object > the dm's defaults, see lwm2m_dm_attr.c):
 *
 *   pmax       set and at least pmax seconds since the last notification:
 *              due, changed or not;
 *   change     reported by bw_lwm2m_dm_changed(), at least pmin seconds
 *              since the last notification, and, when gt / lt / st apply
 *              (a numeric resource), the value crossed gt or lt since the
 *              last notified value, or moved by at least st from it;
 *              a change that meets none of them is dropped.
 *
 * Sequence numbers (the Observe option) are 24 bits and grow by one per
 * notification.  A notification goes CON when 24 hours passed since the
 * last CON one (RFC 7641 section 4.5), else NON.  A target that is gone
 * (its instance deleted) gets a 4.04 without Observe, which ends the
 * observation (RFC 7641 section 4.2), and its slot is freed; so does a
 * target the server lost its Read right on (4.01, access control).  An
 * observed object lists only the instances the server may read.
 */
#include "bulwark/coap_observe.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

#define MS_PER_S 1000u

static int same_token(const bw_lwm2m_obs_t *o, uint16_t server,
                      const uint8_t *token, size_t len)
{
    return o->server == server && o->token_len == len &&
           (len == 0 || bw__equal(o->token, token, len));
}

static void drop(bw_lwm2m_dm_t *dm, size_t i)
{
    bw__remove_at(dm->obs, i, dm->nobs--, sizeof dm->obs[0]);
}

void bw_lwm2m_dm_cancel_server(bw_lwm2m_dm_t *dm, uint16_t server)
{
    if (dm == NULL)
        return;
    for (size_t i = dm->nobs; i-- > 0;)
        if (dm->obs[i].server == server)
            drop(dm, i);
}

void bw_lwm2m_dm_cancel_token(bw_lwm2m_dm_t *dm, uint16_t server,
                              const uint8_t *token, size_t token_len)
{
    if (dm == NULL || (token == NULL && token_len > 0))
        return;
    for (size_t i = dm->nobs; i-- > 0;)
        if (same_token(&dm->obs[i], server, token, token_len))
            drop(dm, i);
}

/* The observed value as a number, when it is one single value. */
static int read_number(bw_lwm2m_dm_t *dm, const bw_lwm2m_obs_t *o, double *x)
{
    bw_lwm2m_object_t *obj = bw_lwm2m_dm_object(dm, o->path.id[0]);
    bw_lwm2m_value_t v;
    if (o->path.depth < BW_LWM2M_DEPTH_RESOURCE || obj == NULL ||
        obj->ops->read == NULL)
        return BW_ETYPE;
    const bw_lwm2m_res_def_t *def = bw_lwm2m_object_res(obj, o->path.id[2]);
    if (def == NULL ||
        (def->multiple && o->path.depth == BW_LWM2M_DEPTH_RESOURCE))
        return BW_ETYPE;
    bw__zero(&v, sizeof v);
    int err = obj->ops->read(obj, &o->path, &v, dm->buf, BW_LWM2M_DM_VALUE_MAX);
    return err != 0 ? err : bw_lwm2m_value_get_float(&v, x);
}

int bw_lwm2m__dm_observe(const bw_lwm2m__req_t *r, uint16_t format,
                         uint32_t *seq)
{
    bw_lwm2m_dm_t *dm = r->dm;
    const bw_coap_msg_t *m = r->req;
    uint32_t value = 0;
    bw_lwm2m_obs_t *o = NULL;

    (void)bw_coap_msg_uint(m, BW_COAP_OPT_OBSERVE, &value);
    if (value == BW_COAP_OBS_DEREGISTER)
        bw_lwm2m_dm_cancel_token(dm, r->server, m->token, m->token_len);
    if (value != BW_COAP_OBS_REGISTER)
        return 0;
    for (size_t i = 0; o == NULL && i < dm->nobs; i++)
        if (same_token(&dm->obs[i], r->server, m->token, m->token_len))
            o = &dm->obs[i];
    if (o != NULL) {
        o->seq = (o->seq + 1) & BW_COAP_OBS_SEQ_MASK; /* renewed */
    } else {
        for (size_t i = 0; o == NULL && i < dm->nobs; i++)
            if (dm->obs[i].server == r->server &&
                bw_lwm2m_path_equal(&dm->obs[i].path, &r->path))
                o = &dm->obs[i]; /* replaced: a new token, a new count */
        if (o == NULL && dm->nobs == BW_LWM2M_DM_MAX_OBS)
            return 0;
        if (o == NULL)
            o = &dm->obs[dm->nobs++];
        bw__zero(o, sizeof *o);
    }
    o->path = r->path;
    o->server = r->server;
    o->format = format;
    o->token_len = m->token_len;
    bw__copy(o->token, m->token, m->token_len);
    o->changed = 0;
    o->last_ms = r->now;
    o->last_con_ms = r->now;
    if (dm->cfg->write_attrs != NULL)
        dm->cfg->write_attrs->snapshot(dm, o);
    *seq = o->seq;
    return 1;
}

void bw_lwm2m_dm_changed(bw_lwm2m_dm_t *dm, const bw_lwm2m_path_t *path,
                         uint64_t now)
{
    (void)now; /* pmin counts from the last notification, not the change */
    if (dm == NULL || path == NULL)
        return;
    for (size_t i = 0; i < dm->nobs; i++)
        if (bw_lwm2m_path_is_prefix(path, &dm->obs[i].path) ||
            bw_lwm2m_path_is_prefix(&dm->obs[i].path, path))
            dm->obs[i].changed = 1;
}

#define NUMERIC_ATTRS (BW_LWM2M_ATTR_GT | BW_LWM2M_ATTR_LT | BW_LWM2M_ATTR_ST)

void bw_lwm2m__obs_snapshot(bw_lwm2m_dm_t *dm, bw_lwm2m_obs_t *o)
{
    o->has_last = read_number(dm, o, &o->last_num) == 0;
}

/* Whether moving from last to x meets gt, lt or st (Core, "Attributes"). */
static int crossed(const bw_lwm2m_attr_t *a, double last, double x)
{
    if ((a->flags & BW_LWM2M_ATTR_GT) && (last > a->gt) != (x > a->gt))
        return 1;
    if ((a->flags & BW_LWM2M_ATTR_LT) && (last < a->lt) != (x < a->lt))
        return 1;
    if ((a->flags & BW_LWM2M_ATTR_ST) &&
        (x - last >= a->st || last - x >= a->st))
        return 1;
    return 0;
}

int bw_lwm2m__obs_crossed(bw_lwm2m_dm_t *dm, const bw_lwm2m_obs_t *o,
                          const bw_lwm2m_attr_t *a)
{
    double x;
    return !o->has_last || read_number(dm, o, &x) != 0 ||
           crossed(a, o->last_num, x);
}

/* 1 when o is due at now; else 0 and *next lowered to when it may be. */
static int due(bw_lwm2m_dm_t *dm, bw_lwm2m_obs_t *o, uint64_t now,
               uint64_t *next)
{
    const bw_lwm2m_feature_t *f = dm->cfg->write_attrs;
    bw_lwm2m_attr_t a;
    /* The attributes written for the path, then the server's defaults. */
    bw__zero(&a, sizeof a);
    if (f != NULL)
        f->attrs(dm, o->server, &o->path, &a);
    if (!(a.flags & BW_LWM2M_ATTR_PMIN))
        a.pmin = dm->default_pmin;
    if (!(a.flags & BW_LWM2M_ATTR_PMAX) && dm->default_pmax > 0) {
        a.pmax = dm->default_pmax;
        a.flags |= BW_LWM2M_ATTR_PMAX;
    }
    uint64_t pmin_at = o->last_ms + (uint64_t)a.pmin * MS_PER_S;
    uint64_t pmax = (a.flags & BW_LWM2M_ATTR_PMAX) ? a.pmax : 0;
    if (pmax > 0 && pmax < a.pmin)
        pmax = a.pmin; /* pmin wins over an inherited, smaller pmax */
    uint64_t pmax_at = o->last_ms + pmax * MS_PER_S;

    if (pmax > 0 && now >= pmax_at)
        return 1;
    if (o->changed && now >= pmin_at) {
        if (!(a.flags & NUMERIC_ATTRS) || f == NULL || f->crossed(dm, o, &a))
            return 1;
        o->changed = 0; /* a change below every threshold */
    }
    if (o->changed && pmin_at < *next)
        *next = pmin_at;
    if (pmax > 0 && pmax_at < *next)
        *next = pmax_at;
    return 0;
}

/* The final 4.xx of an observation whose target is gone. */
static int end_with(const bw_lwm2m_obs_t *o, uint8_t code, uint8_t *out,
                    size_t cap, size_t *out_len)
{
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, out, cap, BW_COAP_NON, code, 0, o->token,
                        o->token_len);
    return bw_coap_writer_finish(&w, out_len) == 0 ? 0 : BW_ENOSPC;
}

static int build(bw_lwm2m_dm_t *dm, size_t i, uint64_t now, uint8_t *out,
                 size_t cap, size_t *out_len)
{
    bw_lwm2m_obs_t *o = &dm->obs[i];
    bw_coap_msg_t none;
    bw_lwm2m__gen_t g;
    bw_lwm2m__rsp_t h;
    int err = 0;

    bw__zero(&g, sizeof g);
    bw__zero(&none, sizeof none);
    g.produce = bw_lwm2m__produce_read;
    g.dm = dm;
    g.obj = bw_lwm2m_dm_object(dm, o->path.id[0]);
    g.path = o->path;
    g.format = o->format;
    g.codec = bw_lwm2m__codec(dm, o->format);
    g.server = o->server;
    g.iface = BW_LWM2M_IFACE_DM;
    if (g.obj == NULL || g.obj->ops->read == NULL)
        err = BW_ENOTFOUND;
    else if (o->path.depth >= BW_LWM2M_DEPTH_INSTANCE)
        err = bw_lwm2m__dm_has_inst(g.obj, o->path.id[1]);

    int con = now - o->last_con_ms >= BW_COAP_OBS_DEFAULT_CON_INTERVAL_MS;
    h.type = con ? BW_COAP_CON : BW_COAP_NON;
    h.mid = 0;
    h.token = o->token;
    h.token_len = o->token_len;
    h.has_observe = 1;
    h.observe = (o->seq + 1) & BW_COAP_OBS_SEQ_MASK;
    h.req = &none;
    if (err == 0 && o->path.depth >= BW_LWM2M_DEPTH_INSTANCE &&
        !bw_lwm2m__dm_visible(dm, g.iface, o->server, o->path.id[0],
                              o->path.id[1])) {
        /* The Read right was taken away since (lwm2m_acl_dm.c): a 4.01
         * ends the observation (RFC 7641 section 4.2). */
        err = end_with(o, BW_COAP_UNAUTHORIZED, out, cap, out_len);
        if (err == 0)
            drop(dm, i);
        return err;
    }
    if (err == 0)
        err = bw_lwm2m__content(&g, &h, out, cap, out_len);
    if (err == BW_ENOSPC)
        return err;
    if (err != 0) {
        uint8_t code = bw_lwm2m__dm_code(err);
        err = end_with(
            o, code == BW_COAP_NOT_FOUND ? code : BW_COAP_INTERNAL_ERROR, out,
            cap, out_len);
        if (err == 0)
            drop(dm, i);
        return err;
    }
    o->seq = h.observe;
    o->last_ms = now;
    if (con)
        o->last_con_ms = now;
    o->changed = 0;
    if (dm->cfg->write_attrs != NULL)
        dm->cfg->write_attrs->snapshot(dm, o);
    return 0;
}

int bw_lwm2m_dm_notify(bw_lwm2m_dm_t *dm, uint64_t now, uint8_t *out,
                       size_t cap, size_t *out_len, uint16_t *server,
                       uint64_t *next_ms)
{
    uint64_t next = UINT64_MAX;

    if (out_len != NULL)
        *out_len = 0;
    if (dm == NULL || out == NULL || out_len == NULL || server == NULL ||
        dm->cfg == NULL)
        return BW_EINVAL;
    if (dm->cfg->block1 != NULL)
        dm->cfg->block1->expire(dm, now, &next);
    uint16_t only = *server;
    for (size_t i = 0; i < dm->nobs; i++) {
        if ((only != 0 && dm->obs[i].server != only) ||
            !due(dm, &dm->obs[i], now, &next))
            continue;
        *server = dm->obs[i].server;
        int err = build(dm, i, now, out, cap, out_len);
        if (next_ms != NULL)
            *next_ms = now; /* others may be due too: ask again */
        return err == 0 ? 1 : err;
    }
    if (next_ms != NULL)
        *next_ms = next;
    return 0;
}
