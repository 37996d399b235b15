/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access control over the server set (OMA LwM2M 1.1 Core 7.3.1 "Access
 * Control Object" and appendix E.3): which rights a DM server holds on an
 * object instance, and the access table the client core hands its request
 * handler (bw_lwm2m_dm_set_access, see lwm2m_dm.h for which operation
 * needs which right).
 *
 * WHERE THE ACCESS CONTROL INSTANCES LIVE
 *
 * In the server set (bw_lwm2m_servers_t.acl), beside the Security and
 * Server instances, and so in the one blob save() writes: a bootstrap
 * that changes accounts and rights is applied by one save() or not at
 * all, and a power cut leaves the old accounts with the old rights or the
 * new with the new, never new accounts with old rights.  The staged copy
 * the bootstrap server writes carries them too, so Bootstrap-Delete "/"
 * and Finish validation treat them like the rest of the set.
 *
 * THE ALGORITHM (bw_lwm2m_acl_rights, Core 7.3.1 "Obtaining Access Right")
 *
 *   one DM server (or none) configured   every right (Core 7.3: with a
 *                                        single server the Access Control
 *                                        object is not needed)
 *   Access Control instance for /O/I:
 *     ACL resource instance <ssid>       its bits
 *     else the server is the owner       every right
 *     else ACL resource instance 0       its bits (the default)
 *     else                               no right
 *   none covers /O/I                     not found (4.04: the instance is
 *                                        not there for any DM server),
 *                                        except the requester's own Server
 *                                        instance: Read, Write, Execute
 *   Create in O                          the instance /O/65535 as above
 *   /2/x itself                          owner: Read, Write; anyone with a
 *                                        right on what x governs: Read
 *
 * Rights are looked up in the set in use only: requests on the bootstrap
 * interface are never checked.
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"
#include "lwm2m_int.h"

#define OBJ_SERVER 1u
#define OBJ_ACL    2u

size_t bw_lwm2m_acl_servers(const bw_lwm2m_servers_t *s)
{
    size_t n = 0;
    for (size_t i = 0; s != NULL && i < BW_LWM2M_MAX_SERVERS; i++)
        if (s->srv[i].in_use)
            n++;
    return n;
}

/* Index in s->acl of the instance covering /oid/iid, or -1. */
static int index_of(const bw_lwm2m_servers_t *s, uint16_t oid, uint16_t iid)
{
    for (size_t i = 0; s != NULL && i < BW_LWM2M_MAX_ACL; i++)
        if (s->acl[i].in_use && s->acl[i].oid == oid && s->acl[i].iid == iid)
            return (int)i;
    return -1;
}

const bw_lwm2m_acl_t *bw_lwm2m_acl_find(const bw_lwm2m_servers_t *s,
                                        uint16_t oid, uint16_t iid)
{
    int i = index_of(s, oid, iid);
    return i < 0 ? NULL : &s->acl[i];
}

static const bw_lwm2m_acl_t *by_inst(const bw_lwm2m_servers_t *s, uint16_t inst)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++)
        if (s->acl[i].in_use && s->acl[i].inst == inst)
            return &s->acl[i];
    return NULL;
}

/* The rights one Access Control instance gives ssid (the algorithm's
 * inner steps). */
static int entry_rights(const bw_lwm2m_acl_t *a, uint16_t ssid)
{
    const bw_lwm2m_acl_entry_t *dflt = NULL;
    for (size_t i = 0; i < a->nacl && i < BW_LWM2M_ACL_ENTRIES; i++) {
        if (a->acl[i].ssid == ssid)
            return a->acl[i].rights & BW_LWM2M_ACCESS_ALL;
        if (a->acl[i].ssid == 0)
            dflt = &a->acl[i];
    }
    if (a->owner == ssid)
        return BW_LWM2M_ACCESS_ALL;
    return dflt != NULL ? (dflt->rights & BW_LWM2M_ACCESS_ALL) : 0;
}

/* The Server instance iid belongs to ssid. */
static int own_account(const bw_lwm2m_servers_t *s, uint16_t ssid, uint16_t iid)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (s->srv[i].in_use && s->srv[i].inst == iid)
            return s->srv[i].ssid == ssid;
    return 0;
}

int bw_lwm2m_acl_rights(const bw_lwm2m_servers_t *s, uint16_t ssid,
                        uint16_t oid, uint16_t iid)
{
    if (s == NULL)
        return BW_EINVAL;
    if (bw_lwm2m_acl_servers(s) < 2)
        return BW_LWM2M_ACCESS_ALL;
    if (oid == OBJ_ACL) {
        const bw_lwm2m_acl_t *a = by_inst(s, iid);
        if (a == NULL)
            return BW_ENOTFOUND;
        if (a->owner == ssid)
            return BW_LWM2M_ACCESS_READ | BW_LWM2M_ACCESS_WRITE;
        return entry_rights(a, ssid) != 0 ? BW_LWM2M_ACCESS_READ : 0;
    }
    const bw_lwm2m_acl_t *a = bw_lwm2m_acl_find(s, oid, iid);
    if (a != NULL)
        return entry_rights(a, ssid);
    if (oid == OBJ_SERVER && own_account(s, ssid, iid))
        return BW_LWM2M_ACCESS_READ | BW_LWM2M_ACCESS_WRITE |
               BW_LWM2M_ACCESS_EXECUTE;
    return BW_ENOTFOUND;
}

/* ---- the client's access table ---------------------------------------- */

static int free_inst(const bw_lwm2m_servers_t *s, uint16_t *inst)
{
    for (uint32_t id = 0; id <= BW_LWM2M_ID_MAX; id++)
        if (by_inst(s, (uint16_t)id) == NULL) {
            *inst = (uint16_t)id;
            return 0;
        }
    return BW_ENOMEM;
}

static bw_lwm2m_acl_t *free_slot(bw_lwm2m_servers_t *s)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_ACL; i++)
        if (!s->acl[i].in_use)
            return &s->acl[i];
    return NULL;
}

static int table_rights(void *arg, uint16_t server, uint16_t oid, uint16_t iid)
{
    bw_lwm2m_client_t *c = arg;
    int r = bw_lwm2m_acl_rights(&c->set, server, oid, iid);
    /* A Create the table could not follow with an Access Control
     * instance is refused before it happens: no room is 5.00. */
    if (r > 0 && iid == BW_LWM2M_ACCESS_NEW_INST &&
        (r & BW_LWM2M_ACCESS_CREATE) && bw_lwm2m_acl_servers(&c->set) >= 2 &&
        free_slot(&c->set) == NULL)
        return BW_ENOMEM;
    return r;
}

/* Core 7.3.1: the instance a server created is governed by a new Access
 * Control instance it owns, with no ACL entry (the owner's full rights). */
static void table_created(void *arg, uint16_t server, uint16_t oid,
                          uint16_t iid)
{
    bw_lwm2m_client_t *c = arg;
    bw_lwm2m_acl_t *a;
    uint16_t inst;
    if (bw_lwm2m_acl_servers(&c->set) < 2 || oid == OBJ_ACL ||
        bw_lwm2m_acl_find(&c->set, oid, iid) != NULL ||
        (a = free_slot(&c->set)) == NULL || free_inst(&c->set, &inst) != 0)
        return;
    bw__zero(a, sizeof *a);
    a->in_use = 1;
    a->inst = inst;
    a->oid = oid;
    a->iid = iid;
    a->owner = server;
    c->set_dirty = 1;
    c->objects_changed = 1; /* /2/inst is new in the Register links */
}

/* ... and goes with the instance. */
static void table_deleted(void *arg, uint16_t oid, uint16_t iid)
{
    bw_lwm2m_client_t *c = arg;
    int i = index_of(&c->set, oid, iid);
    if (i < 0 || oid == OBJ_ACL)
        return;
    bw__zero(&c->set.acl[i], sizeof c->set.acl[i]);
    c->set_dirty = 1;
    c->objects_changed = 1;
}

void bw_lwm2m__acl_table(bw_lwm2m_client_t *c)
{
    bw_lwm2m_dm_access_t acc = {
        .rights = table_rights,
        .created = table_created,
        .deleted = table_deleted,
        .arg = c,
    };
    bw_lwm2m_dm_set_access(&c->dm, &acc);
}

/* The Access Control feature: /2 over the set, and the access table. */
static int acl_setup(bw_lwm2m_client_t *c)
{
    bw_lwm2m__acl_object(c);
    bw_lwm2m__acl_table(c);
    return bw_lwm2m_dm_add(&c->dm, &c->acl_obj);
}

const bw_lwm2m_feature_t bw_lwm2m_feature_acl = {
    .setup = acl_setup,
};
