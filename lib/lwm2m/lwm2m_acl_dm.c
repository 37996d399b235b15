/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access control in the request handler (OMA LwM2M 1.1 Core 7.3.1): the
 * right each DM request needs, asked of the access table before the
 * operation runs, and the filter that hides instances a server may not
 * read from a Read, Observe or Discover of a whole object.  The rights
 * themselves come from the table (lwm2m_dm.h; the client's is
 * lwm2m_acl.c); this file only knows operations.
 *
 *   GET /O/I[/R[/RI]]           Read, Observe, Discover      R
 *   PUT ?attrs, no payload      Write-Attributes on /O/I...  R
 *   PUT /O/I... (Block1 too)    Write                        W
 *   POST /O                     Create                       C on /O/65535
 *   POST /O/I                   Write (partial update)       W
 *   POST /O/I/R                 Execute                      E
 *   DELETE /O/I                 Delete                       D
 *
 * Requests on an object as a whole (GET /O, Write-Attributes /O) are not
 * refused: the walk lists only what the server may read.  Requests the
 * handler refuses anyway (DELETE /O, PUT /O) are left to it, and so are
 * unknown objects (4.04) and the Security object (4.01).  Not covered
 * (no Access Control instance) answers 4.04, as if the instance were
 * absent, except for Create where it is 4.01: the object is there, the
 * grant is not.
 */
#include "bw_mem.h"
#include "lwm2m_int.h"

static int has_opt(const bw_coap_msg_t *m, uint16_t number)
{
    bw_coap_opt_t opt;
    return bw_coap_opt_find(m, number, &opt) == 0;
}

/* The right r needs, with *iid the instance it is asked about; 0 when
 * r names no instance the table governs. */
static uint8_t needed(const bw_lwm2m__req_t *r, uint16_t *iid)
{
    const bw_coap_msg_t *m = r->req;
    uint8_t depth = r->path.depth;
    int inst = depth >= BW_LWM2M_DEPTH_INSTANCE;

    *iid = inst ? r->path.id[1] : 0;
    switch (m->code) {
    case BW_COAP_GET:
        return inst ? BW_LWM2M_ACCESS_READ : 0;
    case BW_COAP_PUT:
        if (!inst)
            return 0;
        if (m->payload_len == 0 && has_opt(m, BW_COAP_OPT_URI_QUERY) &&
            !has_opt(m, BW_COAP_OPT_BLOCK1))
            return BW_LWM2M_ACCESS_READ; /* Write-Attributes */
        return BW_LWM2M_ACCESS_WRITE;
    case BW_COAP_POST:
        if (depth == BW_LWM2M_DEPTH_OBJECT) {
            *iid = BW_LWM2M_ACCESS_NEW_INST;
            return BW_LWM2M_ACCESS_CREATE;
        }
        if (depth == BW_LWM2M_DEPTH_INSTANCE)
            return BW_LWM2M_ACCESS_WRITE;
        return depth == BW_LWM2M_DEPTH_RESOURCE ? BW_LWM2M_ACCESS_EXECUTE : 0;
    case BW_COAP_DELETE:
        return depth == BW_LWM2M_DEPTH_INSTANCE ? BW_LWM2M_ACCESS_DELETE : 0;
    default:
        return 0;
    }
}

static uint8_t check(const bw_lwm2m__req_t *r)
{
    const bw_lwm2m_dm_access_t *acc = &r->dm->access;
    uint16_t iid;

    if (r->iface != BW_LWM2M_IFACE_DM || acc->rights == NULL ||
        r->obj == NULL || r->path.depth == BW_LWM2M_DEPTH_ROOT ||
        r->path.id[0] == 0)
        return 0;
    uint8_t need = needed(r, &iid);
    if (need == 0)
        return 0;
    int got = acc->rights(acc->arg, r->server, r->path.id[0], iid);
    if (got == BW_ENOTFOUND)
        return need == BW_LWM2M_ACCESS_CREATE ? BW_COAP_UNAUTHORIZED
                                              : BW_COAP_NOT_FOUND;
    if (got < 0)
        return bw_lwm2m__dm_code(got);
    return ((unsigned)got & need) != 0 ? 0 : BW_COAP_UNAUTHORIZED;
}

static int visible(bw_lwm2m_dm_t *dm, uint8_t iface, uint16_t server,
                   uint16_t oid, uint16_t iid)
{
    const bw_lwm2m_dm_access_t *acc = &dm->access;
    if (iface != BW_LWM2M_IFACE_DM || acc->rights == NULL)
        return 1;
    int got = acc->rights(acc->arg, server, oid, iid);
    return got > 0 && ((unsigned)got & BW_LWM2M_ACCESS_READ) != 0;
}

static void created(const bw_lwm2m__req_t *r, uint16_t oid, uint16_t iid)
{
    const bw_lwm2m_dm_access_t *acc = &r->dm->access;
    if (r->iface == BW_LWM2M_IFACE_DM && acc->rights != NULL &&
        acc->created != NULL)
        acc->created(acc->arg, r->server, oid, iid);
}

static void deleted(const bw_lwm2m__req_t *r, uint16_t oid, uint16_t iid)
{
    const bw_lwm2m_dm_access_t *acc = &r->dm->access;
    if (r->iface == BW_LWM2M_IFACE_DM && acc->rights != NULL &&
        acc->deleted != NULL)
        acc->deleted(acc->arg, oid, iid);
}

static const struct bw_lwm2m__acl_ops acl_ops = {check, visible, created,
                                                 deleted};

void bw_lwm2m_dm_set_access(bw_lwm2m_dm_t *dm, const bw_lwm2m_dm_access_t *acc)
{
    if (dm == NULL)
        return;
    if (acc == NULL || acc->rights == NULL) {
        bw__zero(&dm->access, sizeof dm->access);
        dm->acl = NULL;
    } else {
        dm->access = *acc;
        dm->acl = &acl_ops;
    }
}
