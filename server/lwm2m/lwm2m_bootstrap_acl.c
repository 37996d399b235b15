/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access Control for additional DM servers (contract in
 * lwm2m_bootstrap.h): the access map's paths and letters, its stored
 * text, the device's Bootstrap-Discover answer, and the /2 instances and
 * their TLV.  Everything here is bounded by the caller's arrays and the
 * lengths given; nothing allocates.
 */
#include <stdio.h>
#include <string.h>

#include "bulwark/coap_link.h"
#include "bulwark/lwm2m.h"
#include "bulwark/lwm2m_dm.h"
#include "lwm2m_bootstrap.h"

/* The letters, in bit order (Core E.3: Read 1, Write 2, Execute 4,
 * Delete 8, Create 16). */
static const char letters[] = "RWEDC";

int bw_lwsrv_bs_access_path(const char *s, size_t len, uint16_t *oid,
                            uint16_t *iid)
{
    if (s == NULL || oid == NULL || iid == NULL)
        return BW_EINVAL;
    bw_lwm2m_path_t p;
    if (bw_lwm2m_path_parse(&p, s, len) != 0 || p.depth == 0)
        return BW_EPATH;
    if (p.depth > 2)
        return BW_EDEPTH;
    if (p.id[0] <= 2)
        return BW_ERANGE;
    *oid = p.id[0];
    *iid = p.depth == 2 ? p.id[1] : BW_LWSRV_BS_CREATE_IID;
    return 0;
}

int bw_lwsrv_bs_access_rights(const char *s, size_t len, uint16_t iid,
                              uint8_t *rights)
{
    if (s == NULL || rights == NULL)
        return BW_EINVAL;
    *rights = 0;
    if (len == 0)
        return BW_EMALFORMED;
    uint8_t bits = 0;
    for (size_t i = 0; i < len; i++) {
        const char *at = s[i] != '\0' ? strchr(letters, s[i]) : NULL;
        if (at == NULL)
            return BW_EMALFORMED;
        uint8_t b = (uint8_t)(1u << (at - letters));
        if (bits & b)
            return BW_EDUPKEY;
        bits |= b;
    }
    if (iid == BW_LWSRV_BS_CREATE_IID ? bits != BW_LWM2M_ACCESS_CREATE
                                      : (bits & BW_LWM2M_ACCESS_CREATE) != 0)
        return BW_ETYPE;
    *rights = bits;
    return 0;
}

void bw_lwsrv_bs_rights_text(uint8_t rights, char out[6])
{
    size_t k = 0;
    for (size_t i = 0; i < 5; i++)
        if (rights & (1u << i))
            out[k++] = letters[i];
    out[k] = '\0';
}

int bw_lwsrv_bs_access_parse(const char *text, size_t len,
                             bw_lwsrv_bs_access_t *out, size_t cap, size_t *n)
{
    if (n != NULL)
        *n = 0;
    if ((text == NULL && len > 0) || out == NULL || n == NULL)
        return BW_EINVAL;
    size_t k = 0, pos = 0;
    while (pos < len) {
        const char *e = memchr(text + pos, ';', len - pos);
        size_t end = e != NULL ? (size_t)(e - text) : len;
        const char *eq = memchr(text + pos, '=', end - pos);
        if (end == pos || eq == NULL || (e != NULL && end + 1 == len))
            return BW_EMALFORMED;
        if (k == cap)
            return BW_EOVERFLOW;
        size_t plen = (size_t)(eq - (text + pos));
        bw_lwsrv_bs_access_t a;
        int err = bw_lwsrv_bs_access_path(text + pos, plen, &a.oid, &a.iid);
        if (err == 0)
            err = bw_lwsrv_bs_access_rights(eq + 1, end - pos - plen - 1, a.iid,
                                            &a.rights);
        for (size_t j = 0; err == 0 && j < k; j++)
            if (out[j].oid == a.oid && out[j].iid == a.iid)
                err = BW_EDUPKEY;
        if (err != 0)
            return err;
        out[k++] = a;
        pos = end + (e != NULL);
    }
    *n = k;
    return 0;
}

int bw_lwsrv_bs_access_format(const bw_lwsrv_bs_access_t *a, size_t n,
                              char *out, size_t cap)
{
    if ((a == NULL && n > 0) || out == NULL || cap == 0)
        return BW_EINVAL;
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char r[6];
        uint8_t check;
        bw_lwsrv_bs_rights_text(a[i].rights, r);
        if (a[i].oid <= 2 || a[i].oid == 65535 ||
            bw_lwsrv_bs_access_rights(r, strlen(r), a[i].iid, &check) != 0 ||
            check != a[i].rights)
            return BW_EINVAL;
        int w = a[i].iid == BW_LWSRV_BS_CREATE_IID
                    ? snprintf(out + used, cap - used, "%s/%u=%s",
                               i > 0 ? ";" : "", (unsigned)a[i].oid, r)
                    : snprintf(out + used, cap - used, "%s/%u/%u=%s",
                               i > 0 ? ";" : "", (unsigned)a[i].oid,
                               (unsigned)a[i].iid, r);
        if (w < 0 || (size_t)w >= cap - used) {
            out[0] = '\0';
            return BW_ENOSPC;
        }
        used += (size_t)w;
    }
    return 0;
}

/* ---- Bootstrap-Discover ------------------------------------------------ */

typedef struct {
    bw_lwm2m_path_t *out;
    size_t cap;
    size_t n;
} found_t;

static int one_link(void *arg, const bw_coap_link_t *link)
{
    found_t *f = arg;
    bw_lwm2m_path_t p;
    if (bw_lwm2m_path_parse(&p, link->target, link->target_len) != 0)
        return BW_EPATH;
    if (p.depth > 2)
        return BW_EDEPTH;
    if (p.depth < 2 || p.id[0] <= 2)
        return 0;
    for (size_t i = 0; i < f->n; i++)
        if (bw_lwm2m_path_equal(&f->out[i], &p))
            return 0;
    if (f->n == f->cap)
        return BW_EOVERFLOW;
    f->out[f->n++] = p;
    return 0;
}

int bw_lwsrv_bs_discover(const uint8_t *payload, size_t len,
                         bw_lwm2m_path_t *out, size_t cap, size_t *n)
{
    if (n != NULL)
        *n = 0;
    if ((payload == NULL && len > 0) || out == NULL || n == NULL)
        return BW_EINVAL;
    found_t f = {out, cap, 0};
    int err = bw_coap_link_parse((const char *)payload, len, one_link, &f);
    if (err != 0)
        return err;
    *n = f.n;
    return 0;
}

/* ---- the /2 instances ---------------------------------------------------- */

static int push(bw_lwsrv_bs_acl_t *out, size_t cap, size_t *n, uint16_t oid,
                uint16_t iid, uint16_t owner)
{
    if (*n == cap)
        return BW_EOVERFLOW;
    bw_lwsrv_bs_acl_t *a = &out[(*n)++];
    memset(a, 0, sizeof *a);
    a->oid = oid;
    a->iid = iid;
    a->owner = owner;
    return 0;
}

/* Each additional server's rights on /oid/iid as ACL entries of a. */
static void grant(const bw_lwsrv_bs_config_t *c, bw_lwsrv_bs_acl_t *a)
{
    for (size_t s = 0; s < c->n_extra; s++) {
        const bw_lwsrv_bs_server_t *x = &c->extra[s];
        for (size_t i = 0; i < x->n_access; i++)
            if (x->access[i].oid == a->oid && x->access[i].iid == a->iid &&
                a->n_acl < BW_LWSRV_BS_EXTRA_MAX) {
                a->acl[a->n_acl].ssid = x->ssid;
                a->acl[a->n_acl].rights = x->access[i].rights;
                a->n_acl++;
            }
    }
}

int bw_lwsrv_bs_acl_plan(const bw_lwsrv_bs_config_t *c,
                         const bw_lwm2m_path_t *inst, size_t n_inst,
                         bw_lwsrv_bs_acl_t *out, size_t cap, size_t *n)
{
    if (n != NULL)
        *n = 0;
    if (c == NULL || (inst == NULL && n_inst > 0) || out == NULL || n == NULL ||
        c->n_extra > BW_LWSRV_BS_EXTRA_MAX)
        return BW_EINVAL;
    size_t k = 0;
    int err = 0;
    for (size_t i = 0; i < n_inst && err == 0; i++) {
        if (inst[i].depth != 2 || inst[i].id[0] <= 2)
            continue;
        err = push(out, cap, &k, inst[i].id[0], inst[i].id[1], c->ssid);
        if (err == 0)
            grant(c, &out[k - 1]);
    }
    /* Create grants, each object once, in the order first named. */
    for (size_t s = 0; s < c->n_extra && err == 0; s++) {
        const bw_lwsrv_bs_server_t *x = &c->extra[s];
        for (size_t i = 0; i < x->n_access && err == 0; i++) {
            if (x->access[i].iid != BW_LWSRV_BS_CREATE_IID)
                continue;
            int seen = 0;
            for (size_t j = 0; j < k; j++)
                seen |= out[j].oid == x->access[i].oid &&
                        out[j].iid == BW_LWSRV_BS_CREATE_IID;
            if (seen)
                continue;
            err = push(out, cap, &k, x->access[i].oid, BW_LWSRV_BS_CREATE_IID,
                       c->ssid);
            if (err == 0)
                grant(c, &out[k - 1]);
        }
    }
    if (err != 0)
        return err;
    *n = k;
    return 0;
}

int bw_lwsrv_bs_acl_tlv(const bw_lwsrv_bs_acl_t *a, uint16_t inst, uint8_t *out,
                        size_t cap, size_t *len)
{
    if (a == NULL || out == NULL || len == NULL || inst == 65535 ||
        a->oid == 0 || a->oid == 65535 || a->owner == 0 ||
        a->n_acl > BW_LWSRV_BS_EXTRA_MAX)
        return BW_EINVAL;
    /* The ACL's resource instances go in increasing SSID order (the
     * writer's rule); sorted here on a copy. */
    uint16_t ssid[BW_LWSRV_BS_EXTRA_MAX];
    uint8_t rights[BW_LWSRV_BS_EXTRA_MAX];
    size_t n = a->n_acl;
    for (size_t i = 0; i < n; i++) {
        if (a->acl[i].ssid == 0 || a->acl[i].ssid == 65535)
            return BW_EINVAL;
        size_t j = i;
        while (j > 0 && ssid[j - 1] > a->acl[i].ssid) {
            ssid[j] = ssid[j - 1];
            rights[j] = rights[j - 1];
            j--;
        }
        if (j > 0 && ssid[j - 1] == a->acl[i].ssid)
            return BW_EINVAL;
        ssid[j] = a->acl[i].ssid;
        rights[j] = a->acl[i].rights;
    }
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(2, inst);
    bw_lwm2m_tlv_begin(&w, out, cap, &base);
    bw_lwm2m_record_t r = {.path = BW_LWM2M_PATH_RES(2, inst, 0),
                           .value = bw_lwm2m_value_int(a->oid)};
    bw_lwm2m_tlv_add(&w, &r);
    r.path.id[2] = 1;
    r.value = bw_lwm2m_value_int(a->iid);
    bw_lwm2m_tlv_add(&w, &r);
    for (size_t i = 0; i < n; i++) {
        bw_lwm2m_record_t e = {.path = BW_LWM2M_PATH_RI(2, inst, 2, ssid[i]),
                               .value = bw_lwm2m_value_int(rights[i])};
        bw_lwm2m_tlv_add(&w, &e);
    }
    r.path.id[2] = 3;
    r.value = bw_lwm2m_value_int(a->owner);
    bw_lwm2m_tlv_add(&w, &r);
    return bw_lwm2m_tlv_finish(&w, len);
}
