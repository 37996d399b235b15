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

typedef struct {
    bw_lwsrv_t *s;
    bw_lwsrv_bs_provider_t p;
    bw_lwsrv_bs_config_t cfg;
    char ep[BW_LWSRV_EP_MAX + 1];
    unsigned worker;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int step;
} bs_t;

static const char *const step_names[] = {
    "Bootstrap-Delete /", "Bootstrap-Write /0/1", "Bootstrap-Write /1/1",
    "Bootstrap-Finish"};

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

int bw_lwsrv_bs_security_tlv(const bw_lwsrv_bs_config_t *c, uint8_t *out,
                             size_t cap, size_t *len)
{
    if (c->identity_len == 0 || c->key_len == 0 || c->ssid == 0 ||
        c->ssid == 65535)
        return BW_EINVAL;
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(0, 1);
    bw_lwm2m_value_t f = {.type = BW_LWM2M_TYPE_BOOLEAN, .v.b = false};
    bw_lwm2m_tlv_begin(&w, out, cap, &base);
    bw_lwm2m_record_t r[] = {
        rec(0, 1, 0, bytes(BW_LWM2M_TYPE_STRING, c->dm_uri, strlen(c->dm_uri))),
        rec(0, 1, 1, f),                     /* not a bootstrap server */
        rec(0, 1, 2, bw_lwm2m_value_int(0)), /* security mode: PSK */
        rec(0, 1, 3, bytes(BW_LWM2M_TYPE_OPAQUE, c->identity, c->identity_len)),
        rec(0, 1, 5, bytes(BW_LWM2M_TYPE_OPAQUE, c->key, c->key_len)),
        rec(0, 1, 10, bw_lwm2m_value_int(c->ssid)),
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        bw_lwm2m_tlv_add(&w, &r[i]);
    int err = bw_lwm2m_tlv_finish(&w, len);
    OPENSSL_cleanse(&w, sizeof w);
    OPENSSL_cleanse(r, sizeof r);
    return err;
}

int bw_lwsrv_bs_server_tlv(const bw_lwsrv_bs_config_t *c, uint8_t *out,
                           size_t cap, size_t *len)
{
    if (c->ssid == 0 || c->ssid == 65535 || c->lifetime_s == 0)
        return BW_EINVAL;
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(1, 1);
    bw_lwm2m_value_t f = {.type = BW_LWM2M_TYPE_BOOLEAN, .v.b = false};
    const char *b = c->binding[0] != '\0' ? c->binding : "U";
    bw_lwm2m_tlv_begin(&w, out, cap, &base);
    bw_lwm2m_record_t r[] = {
        rec(1, 1, 0, bw_lwm2m_value_int(c->ssid)),
        rec(1, 1, 1, bw_lwm2m_value_int(c->lifetime_s)),
        rec(1, 1, 6, f), /* notification storing when offline */
        rec(1, 1, 7, bytes(BW_LWM2M_TYPE_STRING, b, strlen(b))),
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        bw_lwm2m_tlv_add(&w, &r[i]);
    return bw_lwm2m_tlv_finish(&w, len);
}

static void end(bs_t *x, int err)
{
    x->p.finished(x->p.arg, x->ep, err,
                  x->step < 4 ? step_names[x->step] : "done");
    OPENSSL_cleanse(x, sizeof *x);
    free(x);
}

static void next_step(bs_t *x);

static void answered(void *arg, int err, uint8_t code, uint32_t cf,
                     const uint8_t *payload, size_t len)
{
    bs_t *x = arg;
    (void)cf;
    (void)payload;
    (void)len;
    if (err == 0 && BW_COAP_CODE_CLASS(code) != 2)
        err = BW_EHANDSHAKE; /* the device refused the step */
    if (err != 0) {
        end(x, err);
        return;
    }
    x->step++;
    if (x->step == 4) {
        end(x, 0);
        return;
    }
    next_step(x);
}

static void next_step(bs_t *x)
{
    bw_lwsrv_op_t *op = calloc(1, sizeof *op);
    int err = op == NULL ? BW_ENOMEM : 0;
    if (err == 0) {
        op->content_format = -1;
        op->accept = -1;
        switch (x->step) {
        case 0:
            op->method = BW_COAP_DELETE;
            strcpy(op->path, "/");
            break;
        case 1:
        case 2:
            op->method = BW_COAP_PUT;
            strcpy(op->path, x->step == 1 ? "/0/1" : "/1/1");
            op->content_format = CT_TLV;
            err = x->step == 1 ? bw_lwsrv_bs_security_tlv(&x->cfg, op->payload,
                                                          sizeof op->payload,
                                                          &op->payload_len)
                               : bw_lwsrv_bs_server_tlv(&x->cfg, op->payload,
                                                        sizeof op->payload,
                                                        &op->payload_len);
            break;
        default:
            op->method = BW_COAP_POST;
            strcpy(op->path, "/bs");
            break;
        }
    }
    if (err == 0)
        err = bw_lwsrv_request_to(x->s, x->worker,
                                  (const struct sockaddr *)&x->addr,
                                  x->addr_len, op, answered, x);
    if (op != NULL) {
        OPENSSL_cleanse(op, sizeof *op); /* the key, in step 2 */
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
    if (err != 0) {
        OPENSSL_cleanse(x, sizeof *x);
        free(x);
        return err;
    }
    next_step(x);
    return 0;
}
