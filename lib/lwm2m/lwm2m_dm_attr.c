/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Write-Attributes (OMA LwM2M 1.1 Core, "Attributes" and "Write-
 * Attributes"): the <NOTIFICATION> attributes a server attaches to an
 * object, instance, resource or resource instance, and how an
 * observation inherits them.
 *
 * The request is a PUT with no payload and one Uri-Query option per
 * attribute: "pmin=10", "gt=20.5", or a bare name ("pmax") to remove the
 * attribute.  Understood: pmin, pmax (seconds, 0 .. 2^32-1) and gt, lt,
 * st (decimal numbers, resource level and below, numeric resources only).
 * Anything else, a name twice, or a value that does not parse is 4.00.
 *
 * The result at the path (what was there, changed by the request) MUST
 * keep the rules of Core "Attributes", else 4.00 and nothing changes:
 *   pmin <= pmax        when both are set
 *   lt < gt             when both are set
 *   st >= 0
 *   lt + 2 * st < gt    when all three are set
 *
 * Storage: one entry per (server, path) in dm->attrs; an entry whose last
 * attribute is removed is dropped.  Attributes belong to the server that
 * wrote them (Core "Attributes": they are per LwM2M Server).
 */
#include "bulwark/coap_link.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

static const struct {
    const char *name;
    uint8_t flag;
} names[] = {
    {"pmin", BW_LWM2M_ATTR_PMIN}, {"pmax", BW_LWM2M_ATTR_PMAX},
    {"gt", BW_LWM2M_ATTR_GT},     {"lt", BW_LWM2M_ATTR_LT},
    {"st", BW_LWM2M_ATTR_ST},
};

#define NUMERIC_ATTRS (BW_LWM2M_ATTR_GT | BW_LWM2M_ATTR_LT | BW_LWM2M_ATTR_ST)

static long find(const bw_lwm2m_dm_t *dm, uint16_t server,
                 const bw_lwm2m_path_t *path)
{
    for (size_t i = 0; i < dm->nattrs; i++)
        if (dm->attrs[i].server == server &&
            bw_lwm2m_path_equal(&dm->attrs[i].path, path))
            return (long)i;
    return -1;
}

const bw_lwm2m_attr_t *bw_lwm2m__dm_attr_at(const bw_lwm2m_dm_t *dm,
                                            uint16_t server,
                                            const bw_lwm2m_path_t *path)
{
    long i = find(dm, server, path);
    return i < 0 ? NULL : &dm->attrs[i];
}

static void drop(bw_lwm2m_dm_t *dm, size_t i)
{
    bw__remove_at(dm->attrs, i, dm->nattrs--, sizeof dm->attrs[0]);
}

void bw_lwm2m__dm_forget(bw_lwm2m_dm_t *dm, const bw_lwm2m_path_t *path)
{
    for (size_t i = dm->nattrs; i-- > 0;)
        if (bw_lwm2m_path_is_prefix(path, &dm->attrs[i].path))
            drop(dm, i);
}

/* Take from src what dst does not have yet. */
static void inherit(bw_lwm2m_attr_t *dst, const bw_lwm2m_attr_t *src)
{
    uint8_t take = (uint8_t)(src->flags & ~dst->flags);
    if (take & BW_LWM2M_ATTR_PMIN)
        dst->pmin = src->pmin;
    if (take & BW_LWM2M_ATTR_PMAX)
        dst->pmax = src->pmax;
    if (take & BW_LWM2M_ATTR_GT)
        dst->gt = src->gt;
    if (take & BW_LWM2M_ATTR_LT)
        dst->lt = src->lt;
    if (take & BW_LWM2M_ATTR_ST)
        dst->st = src->st;
    dst->flags |= take;
}

void bw_lwm2m__dm_attr_get(const bw_lwm2m_dm_t *dm, uint16_t server,
                           const bw_lwm2m_path_t *path, bw_lwm2m_attr_t *out)
{
    bw_lwm2m_path_t p = *path;
    bw__zero(out, sizeof *out);
    out->path = *path;
    out->server = server;
    /* Resource instance, resource, instance, object: nearest first. */
    while (p.depth > 0) {
        const bw_lwm2m_attr_t *a = bw_lwm2m__dm_attr_at(dm, server, &p);
        if (a != NULL)
            inherit(out, a);
        bw_lwm2m_path_pop(&p);
    }
}

static int valid(const bw_lwm2m_attr_t *a)
{
    uint8_t f = a->flags;
    if ((f & BW_LWM2M_ATTR_PMIN) && (f & BW_LWM2M_ATTR_PMAX) &&
        a->pmin > a->pmax)
        return 0;
    if ((f & BW_LWM2M_ATTR_ST) && !(a->st >= 0.0))
        return 0;
    if ((f & BW_LWM2M_ATTR_LT) && (f & BW_LWM2M_ATTR_GT) && !(a->lt < a->gt))
        return 0;
    if ((f & NUMERIC_ATTRS) == NUMERIC_ATTRS && !(a->lt + 2 * a->st < a->gt))
        return 0;
    return 1;
}

/* Apply one Uri-Query to a; 0 or BW_EMALFORMED. */
static int apply_query(bw_lwm2m_attr_t *a, const bw_coap_opt_t *q,
                       uint8_t *given)
{
    const char *s = (const char *)q->value;
    size_t eq = 0;
    while (eq < q->len && s[eq] != '=')
        eq++;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t nl = 0;
        while (names[i].name[nl] != '\0')
            nl++;
        if (nl != eq || !bw__equal(s, names[i].name, nl))
            continue;
        uint8_t flag = names[i].flag;
        if (*given & flag)
            return BW_EMALFORMED; /* named twice */
        *given |= flag;
        if (eq == q->len) { /* bare name: remove it */
            a->flags &= (uint8_t)~flag;
            return 0;
        }
        bw_coap_link_attr_t v;
        bw__zero(&v, sizeof v);
        v.name = s;
        v.name_len = eq;
        v.value = s + eq + 1;
        v.value_len = q->len - eq - 1;
        v.kind = BW_COAP_LINK_TOKEN;
        int err;
        if (flag == BW_LWM2M_ATTR_PMIN)
            err = bw_coap_link_attr_uint(&v, UINT32_MAX, &a->pmin);
        else if (flag == BW_LWM2M_ATTR_PMAX)
            err = bw_coap_link_attr_uint(&v, UINT32_MAX, &a->pmax);
        else
            err = bw_coap_link_attr_decimal(
                &v, flag == BW_LWM2M_ATTR_GT   ? &a->gt
                    : flag == BW_LWM2M_ATTR_LT ? &a->lt
                                               : &a->st);
        if (err != 0)
            return BW_EMALFORMED;
        a->flags |= flag;
        return 0;
    }
    return BW_EMALFORMED; /* an attribute this client does not keep */
}

static int numeric(uint8_t type)
{
    return type == BW_LWM2M_TYPE_INTEGER || type == BW_LWM2M_TYPE_UNSIGNED ||
           type == BW_LWM2M_TYPE_FLOAT || type == BW_LWM2M_TYPE_TIME;
}

/* Check the target; 0 or the response code. */
static uint8_t check_target(const bw_lwm2m__req_t *r,
                            const bw_lwm2m_res_def_t **def)
{
    const bw_lwm2m_path_t *p = &r->path;
    *def = NULL;
    if (p->depth == BW_LWM2M_DEPTH_ROOT)
        return BW_COAP_METHOD_NOT_ALLOWED;
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

int bw_lwm2m__dm_write_attr(const bw_lwm2m__req_t *r)
{
    bw_lwm2m_dm_t *dm = r->dm;
    const bw_lwm2m_res_def_t *def;
    bw_lwm2m_attr_t a;
    bw_coap_opt_iter_t it;
    bw_coap_opt_t q;
    uint8_t given = 0;

    uint8_t code = check_target(r, &def);
    if (code != 0)
        return bw_lwm2m__dm_reply(r, code, NULL);
    long at = find(dm, r->server, &r->path);
    if (at >= 0) {
        a = dm->attrs[at];
    } else {
        bw__zero(&a, sizeof a);
        a.path = r->path;
        a.server = r->server;
    }
    bw_coap_opt_iter_init(&it, r->req);
    while (code == 0 && bw_coap_opt_next(&it, &q))
        if (q.number == BW_COAP_OPT_URI_QUERY &&
            apply_query(&a, &q, &given) != 0)
            code = BW_COAP_BAD_REQUEST;
    /* gt, lt, st compare a number: resources (and their instances)
     * of a numeric type only (Core "Attributes"). */
    if (code == 0 && (a.flags & NUMERIC_ATTRS) &&
        (def == NULL || !numeric(def->type)))
        code = BW_COAP_BAD_REQUEST;
    if (code == 0 && !valid(&a))
        code = BW_COAP_BAD_REQUEST;
    if (code == 0) {
        if (at >= 0 && a.flags == 0)
            drop(dm, (size_t)at);
        else if (at >= 0)
            dm->attrs[at] = a;
        else if (a.flags != 0 && dm->nattrs == BW_LWM2M_DM_MAX_ATTRS)
            code = BW_COAP_INTERNAL_ERROR; /* no room: nothing changed */
        else if (a.flags != 0)
            dm->attrs[dm->nattrs++] = a;
    }
    return bw_lwm2m__dm_reply(r, code == 0 ? BW_COAP_CHANGED : code, NULL);
}

const bw_lwm2m_feature_t bw_lwm2m_feature_write_attrs = {
    .handle = bw_lwm2m__dm_write_attr,
    .snapshot = bw_lwm2m__obs_snapshot,
    .crossed = bw_lwm2m__obs_crossed,
    .attrs = bw_lwm2m__dm_attr_get,
    .forget = bw_lwm2m__dm_forget,
};
