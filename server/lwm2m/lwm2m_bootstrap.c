/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bootstrap sequence (contract in lwm2m_bootstrap.h).  One heap
 * context per device being bootstrapped; each step's answer, on the
 * device's worker thread, sends the next step.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m.h"
#include "lwm2m_bootstrap.h"

/* Content-Format of OMA TLV. */
#define CT_TLV 11542

/* Content-Format of link-format (Bootstrap-Discover's answer). */
#define CT_LINK 40

/* The phases of the sequence, in order; the ones of additional servers
 * (DISCOVER, EXTRA_*, ACL) are skipped without them. */
enum {
    PH_DELETE,
    PH_DISCOVER,
    PH_SECURITY,
    PH_SERVER,
    PH_EXTRA_SECURITY,
    PH_EXTRA_SERVER,
    PH_ACL,
    PH_FINISH,
    PH_DONE,
};

typedef struct {
    bw_lwsrv_t *s;
    bw_lwsrv_bs_provider_t p;
    bw_lwsrv_bs_config_t cfg;
    char ep[BW_LWSRV_EP_MAX + 1];
    unsigned worker;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int phase;
    size_t idx; /* the additional server or ACL instance of the phase */
    char step[BW_LWSRV_PATH_MAX + 48]; /* the step in flight, for finished() */
    size_t n_acl;
    bw_lwsrv_bs_acl_t acl[BW_LWSRV_BS_ACL_MAX];
} bs_t;

static bw_lwm2m_record_t rec(uint16_t o, uint16_t i, uint16_t r,
                             bw_lwm2m_value_t v)
{
    bw_lwm2m_record_t x = {.path = BW_LWM2M_PATH_RES(o, i, r), .value = v};
    return x;
}

static bw_lwm2m_value_t bytes(bw_lwm2m_type_t t, const void *p, size_t n)
{
    bw_lwm2m_value_t v = {.type = t};
    v.v.bytes.ptr = p;
    v.v.bytes.len = n;
    return v;
}

/* Security /0/inst of a DM server in PSK mode. */
static int security_tlv(const char *uri, const uint8_t *id, size_t id_len,
                        const uint8_t *key, size_t key_len, uint16_t ssid,
                        uint16_t inst, uint8_t *out, size_t cap, size_t *len)
{
    if (id_len == 0 || key_len == 0 || ssid == 0 || ssid == 65535 ||
        inst == 0 || inst == 65535)
        return BW_EINVAL;
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(0, inst);
    bw_lwm2m_value_t f = {.type = BW_LWM2M_TYPE_BOOLEAN, .v.b = false};
    bw_lwm2m_tlv_begin(&w, out, cap, &base);
    bw_lwm2m_record_t r[] = {
        rec(0, inst, 0, bytes(BW_LWM2M_TYPE_STRING, uri, strlen(uri))),
        rec(0, inst, 1, f),                     /* not a bootstrap server */
        rec(0, inst, 2, bw_lwm2m_value_int(0)), /* security mode: PSK */
        rec(0, inst, 3, bytes(BW_LWM2M_TYPE_OPAQUE, id, id_len)),
        rec(0, inst, 5, bytes(BW_LWM2M_TYPE_OPAQUE, key, key_len)),
        rec(0, inst, 10, bw_lwm2m_value_int(ssid)),
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        bw_lwm2m_tlv_add(&w, &r[i]);
    int err = bw_lwm2m_tlv_finish(&w, len);
    OPENSSL_cleanse(&w, sizeof w);
    OPENSSL_cleanse(r, sizeof r);
    if (err != 0)
        OPENSSL_cleanse(out, cap);
    return err;
}

/* Server /1/inst. */
static int server_tlv(uint16_t ssid, uint32_t lifetime_s, const char *binding,
                      uint16_t inst, uint8_t *out, size_t cap, size_t *len)
{
    if (ssid == 0 || ssid == 65535 || lifetime_s == 0 || inst == 65535)
        return BW_EINVAL;
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(1, inst);
    bw_lwm2m_value_t f = {.type = BW_LWM2M_TYPE_BOOLEAN, .v.b = false};
    const char *b = binding[0] != '\0' ? binding : "U";
    bw_lwm2m_tlv_begin(&w, out, cap, &base);
    bw_lwm2m_record_t r[] = {
        rec(1, inst, 0, bw_lwm2m_value_int(ssid)),
        rec(1, inst, 1, bw_lwm2m_value_int(lifetime_s)),
        rec(1, inst, 6, f), /* notification storing when offline */
        rec(1, inst, 7, bytes(BW_LWM2M_TYPE_STRING, b, strlen(b))),
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        bw_lwm2m_tlv_add(&w, &r[i]);
    return bw_lwm2m_tlv_finish(&w, len);
}

int bw_lwsrv_bs_security_tlv(const bw_lwsrv_bs_config_t *c, uint8_t *out,
                             size_t cap, size_t *len)
{
    return security_tlv(c->dm_uri, c->identity, c->identity_len, c->key,
                        c->key_len, c->ssid, 1, out, cap, len);
}

int bw_lwsrv_bs_server_tlv(const bw_lwsrv_bs_config_t *c, uint8_t *out,
                           size_t cap, size_t *len)
{
    return server_tlv(c->ssid, c->lifetime_s, c->binding, 1, out, cap, len);
}

int bw_lwsrv_bs_extra_security_tlv(const bw_lwsrv_bs_server_t *x, uint16_t inst,
                                   uint8_t *out, size_t cap, size_t *len)
{
    if (x == NULL || inst < 2)
        return BW_EINVAL;
    return security_tlv(x->uri, x->identity, x->identity_len, x->key,
                        x->key_len, x->ssid, inst, out, cap, len);
}

int bw_lwsrv_bs_extra_server_tlv(const bw_lwsrv_bs_server_t *x, uint16_t inst,
                                 uint8_t *out, size_t cap, size_t *len)
{
    if (x == NULL || inst < 2)
        return BW_EINVAL;
    return server_tlv(x->ssid, x->lifetime_s, x->binding, inst, out, cap, len);
}

/* ---- the sequence -------------------------------------------------------- */

static void end(bs_t *x, int err)
{
    x->p.finished(x->p.arg, x->ep, err, x->phase == PH_DONE ? "done" : x->step);
    OPENSSL_cleanse(x, sizeof *x);
    free(x);
}

/* The phase after x's current one, skipping what has nothing to do. */
static void advance(bs_t *x)
{
    int extra = x->cfg.n_extra > 0;
    x->idx++;
    switch (x->phase) {
    case PH_EXTRA_SECURITY:
        x->phase = PH_EXTRA_SERVER;
        x->idx--;
        return;
    case PH_EXTRA_SERVER:
        if (x->idx < x->cfg.n_extra) {
            x->phase = PH_EXTRA_SECURITY;
            return;
        }
        break;
    case PH_ACL:
        if (x->idx < x->n_acl)
            return;
        break;
    default:
        break;
    }
    x->idx = 0;
    x->phase++;
    if (!extra && (x->phase == PH_DISCOVER || x->phase == PH_EXTRA_SECURITY))
        x->phase = x->phase == PH_DISCOVER ? PH_SECURITY : PH_FINISH;
    if (x->phase == PH_ACL && x->n_acl == 0)
        x->phase = PH_FINISH;
}

/* The Discover answer: the Access Control instances to write. */
static int discovered(bs_t *x, uint32_t cf, const uint8_t *payload, size_t len)
{
    if (cf != CT_LINK)
        return BW_EFORMAT;
    bw_lwm2m_path_t *inst = calloc(BW_LWSRV_BS_INST_MAX, sizeof *inst);
    if (inst == NULL)
        return BW_ENOMEM;
    size_t n = 0;
    int err =
        bw_lwsrv_bs_discover(payload, len, inst, BW_LWSRV_BS_INST_MAX, &n);
    if (err == 0)
        err = bw_lwsrv_bs_acl_plan(&x->cfg, inst, n, x->acl,
                                   BW_LWSRV_BS_ACL_MAX, &x->n_acl);
    free(inst);
    return err;
}

static void next_step(bs_t *x);

static void answered(void *arg, int err, uint8_t code, uint32_t cf,
                     const uint8_t *payload, size_t len)
{
    bs_t *x = arg;
    if (err == 0 && BW_COAP_CODE_CLASS(code) != 2) {
        /* The device refused the step: its answer goes into the log. */
        size_t n = strlen(x->step);
        snprintf(x->step + n, sizeof x->step - n, " (answered %u.%02u)",
                 (unsigned)BW_COAP_CODE_CLASS(code),
                 (unsigned)BW_COAP_CODE_DETAIL(code));
        err = BW_EHANDSHAKE;
    }
    if (err == 0 && x->phase == PH_DISCOVER)
        err = discovered(x, cf, payload, len);
    if (err != 0) {
        end(x, err);
        return;
    }
    advance(x);
    if (x->phase == PH_DONE) {
        end(x, 0);
        return;
    }
    next_step(x);
}

/* The request of x's phase into op, and its name into x->step. */
static int build(bs_t *x, bw_lwsrv_op_t *op)
{
    uint16_t inst = (uint16_t)(x->idx + 2);
    op->content_format = CT_TLV;
    op->method = BW_COAP_PUT;
    switch (x->phase) {
    case PH_DELETE:
        op->content_format = -1;
        op->method = BW_COAP_DELETE;
        strcpy(op->path, "/");
        break;
    case PH_DISCOVER:
        op->content_format = -1;
        op->accept = CT_LINK;
        op->method = BW_COAP_GET;
        strcpy(op->path, "/");
        break;
    case PH_SECURITY:
        strcpy(op->path, "/0/1");
        return bw_lwsrv_bs_security_tlv(&x->cfg, op->payload,
                                        sizeof op->payload, &op->payload_len);
    case PH_SERVER:
        strcpy(op->path, "/1/1");
        return bw_lwsrv_bs_server_tlv(&x->cfg, op->payload, sizeof op->payload,
                                      &op->payload_len);
    case PH_EXTRA_SECURITY:
        snprintf(op->path, sizeof op->path, "/0/%u", (unsigned)inst);
        return bw_lwsrv_bs_extra_security_tlv(&x->cfg.extra[x->idx], inst,
                                              op->payload, sizeof op->payload,
                                              &op->payload_len);
    case PH_EXTRA_SERVER:
        snprintf(op->path, sizeof op->path, "/1/%u", (unsigned)inst);
        return bw_lwsrv_bs_extra_server_tlv(&x->cfg.extra[x->idx], inst,
                                            op->payload, sizeof op->payload,
                                            &op->payload_len);
    case PH_ACL:
        snprintf(op->path, sizeof op->path, "/2/%u", (unsigned)x->idx);
        return bw_lwsrv_bs_acl_tlv(&x->acl[x->idx], (uint16_t)x->idx,
                                   op->payload, sizeof op->payload,
                                   &op->payload_len);
    default:
        op->content_format = -1;
        op->method = BW_COAP_POST;
        strcpy(op->path, "/bs");
        break;
    }
    return 0;
}

static void next_step(bs_t *x)
{
    bw_lwsrv_op_t *op = calloc(1, sizeof *op);
    int err = op == NULL ? BW_ENOMEM : 0;
    if (err == 0) {
        op->accept = -1;
        err = build(x, op);
        snprintf(x->step, sizeof x->step, "%s %s",
                 x->phase == PH_DELETE     ? "Bootstrap-Delete"
                 : x->phase == PH_DISCOVER ? "Bootstrap-Discover"
                 : x->phase == PH_FINISH   ? "Bootstrap-Finish"
                                           : "Bootstrap-Write",
                 op->path);
    }
    if (err == 0)
        err = bw_lwsrv_request_to(x->s, x->worker,
                                  (const struct sockaddr *)&x->addr,
                                  x->addr_len, op, answered, x);
    if (op != NULL) {
        OPENSSL_cleanse(op, sizeof *op); /* the keys, in Security writes */
        free(op);
    }
    if (err != 0)
        end(x, err);
}

int bw_lwsrv_bootstrap_start(bw_lwsrv_t *s, const bw_lwsrv_bs_provider_t *p,
                             const bw_lwsrv_event_t *ev)
{
    if (ev == NULL || ev->kind != BW_LWSRV_EV_BOOTSTRAP_REQUEST ||
        ev->peer == NULL || p == NULL || p->provide == NULL ||
        p->finished == NULL ||
        ev->peer->addr_len > (socklen_t)sizeof(struct sockaddr_storage))
        return BW_EINVAL;
    bs_t *x = calloc(1, sizeof *x);
    if (x == NULL)
        return BW_ENOMEM;
    x->s = s;
    x->p = *p;
    snprintf(x->ep, sizeof x->ep, "%s", ev->ep);
    x->worker = ev->worker;
    memcpy(&x->addr, ev->peer->addr, (size_t)ev->peer->addr_len);
    x->addr_len = ev->peer->addr_len;
    int err = p->provide(p->arg, x->ep, &x->cfg);
    if (err == 0 && x->cfg.n_extra > BW_LWSRV_BS_EXTRA_MAX)
        err = BW_EINVAL;
    if (err != 0) {
        OPENSSL_cleanse(x, sizeof *x);
        free(x);
        return err;
    }
    x->phase = PH_DELETE;
    next_step(x);
    return 0;
}
