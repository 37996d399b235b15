/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LwM2M Send on the DM server (contract and the order of the checks in
 * lwm2m_send.h).
 *
 * Decoding runs the SenML layer of lib/lwm2m (bw_lwm2m_senml_*_read):
 * each record arrives resolved (bn + n, bt + t, bv + v), is checked and
 * copied into the caller's table, strings and bytes into its arena.  The
 * request is answered only after the store returned, so a 2.04 means the
 * values are on disk.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwark/lwm2m_senml.h"
#include "lwm2m_send.h"

/* RFC 8428 4.5.3: times below 2^28 s are relative to now. */
#define REL_TIME_LIMIT 268435456.0
/* 9999-12-31T23:59:59Z: later times are a device's bug, not a date. */
#define MAX_TIME_S 253402300799.0
/* How long a retransmitted Send may come again (RFC 7252 4.8.2,
 * EXCHANGE_LIFETIME). */
#define DEDUP_MS 247000u
/* A diagnostic payload is one short phrase (the registry keeps answers of
 * up to BW_LWSRV_DEDUP_MAX bytes for retransmissions). */
#define DIAG_MAX 48

typedef struct {
    const char *links;
    int links_truncated;
    int64_t now_ms;
    bw_lwsrv_sample_t *out;
    size_t cap, n;
    size_t records;
    uint8_t *arena;
    size_t arena_cap, arena_used;
    const char *why;
} dec_t;

/* ---- object links ------------------------------------------------------ */

/* Numeric segment [s, s+len): its value, or -1. */
static long seg_id(const char *s, size_t len)
{
    long v = 0;
    if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= BW_LWM2M_ID_MAX ? v : -1;
}

/*
 * Look at every link target "<...>" of links: *has_obj when oid is
 * registered, *has_insts when instances of it are listed, *has_inst when
 * iid is one of them.  Leading non-numeric segments (an alternate root
 * path, "</lwm2m/3/0>") are skipped.
 */
static void scan_links(const char *links, long oid, long iid, int *has_obj,
                       int *has_insts, int *has_inst)
{
    *has_obj = *has_insts = *has_inst = 0;
    for (const char *p = links; p != NULL && *p != '\0'; p++) {
        if (*p != '<')
            continue;
        const char *end = strchr(p, '>');
        if (end == NULL)
            return;
        long id[2] = {-1, -1};
        size_t k = 0;
        const char *s = p + 1;
        while (s < end && *s == '/' && k < 2) {
            const char *e = s + 1;
            while (e < end && *e != '/')
                e++;
            long v = seg_id(s + 1, (size_t)(e - s - 1));
            if (v >= 0)
                id[k++] = v;
            else if (k > 0)
                break;
            s = e;
        }
        if (id[0] == oid) {
            *has_obj = 1;
            if (id[1] >= 0) {
                *has_insts = 1;
                *has_inst |= id[1] == iid;
            }
        }
        p = end;
    }
}

static int registered_path(const dec_t *d, const bw_lwm2m_path_t *p)
{
    int obj, insts, inst;
    if (d->links_truncated)
        return 1;
    scan_links(d->links, p->id[0], p->id[1], &obj, &insts, &inst);
    return obj && (!insts || inst);
}

/* ---- records ----------------------------------------------------------- */

static int fail(dec_t *d, int err, const char *why)
{
    d->why = why;
    return err;
}

static int take_bytes(dec_t *d, bw_lwsrv_sample_t *s, const uint8_t *p,
                      size_t len)
{
    if (len > d->arena_cap - d->arena_used)
        return fail(d, BW_ENOSPC, "no room");
    if (len > 0)
        memcpy(d->arena + d->arena_used, p, len);
    s->bytes = d->arena + d->arena_used;
    s->len = len;
    d->arena_used += len;
    return 0;
}

static int sample_time(dec_t *d, const bw_lwm2m_senml_rec_t *rec, int64_t *t)
{
    if (!rec->has_time) {
        *t = d->now_ms;
        return 0;
    }
    double s = rec->time;
    if (!isfinite(s))
        return fail(d, BW_ERANGE, "time not finite");
    if (s < REL_TIME_LIMIT)
        s = (double)d->now_ms / 1000.0 + s;
    if (s < 0 || s > MAX_TIME_S)
        return fail(d, BW_ERANGE, "time out of range");
    *t = (int64_t)(s * 1000.0 + 0.5); /* s >= 0: round to nearest */
    return 0;
}

static int on_record(void *ctx, const bw_lwm2m_senml_rec_t *rec)
{
    dec_t *d = ctx;
    bw_lwm2m_path_t p;
    int64_t t = 0;
    int err;

    if (++d->records > BW_LWSRV_SEND_MAX_RECORDS)
        return fail(d, BW_EOVERFLOW, "too many records");
    if (bw_lwm2m_path_parse(&p, rec->name, rec->name_len) != 0 ||
        p.depth < BW_LWM2M_DEPTH_RESOURCE)
        return fail(d, BW_EPATH, "name is not a resource path");
    err = sample_time(d, rec, &t);
    if (err != 0)
        return err;
    if (!registered_path(d, &p))
        return fail(d, BW_ENOTFOUND, "object not registered");
    if (rec->value.type == BW_LWM2M_TYPE_NONE)
        return 0; /* an empty multiple resource: nothing to keep */
    if (d->n == d->cap)
        return fail(d, BW_EOVERFLOW, "too many records");
    bw_lwsrv_sample_t *s = &d->out[d->n];
    memset(s, 0, sizeof *s);
    (void)bw_lwm2m_path_format(&p, s->path, sizeof s->path, NULL);
    s->t_ms = t;
    const bw_lwm2m_value_t *v = &rec->value;
    switch (v->type) {
    case BW_LWM2M_TYPE_INTEGER:
        s->kind = BW_LWSRV_VAL_NUMBER;
        s->num = (double)v->v.i;
        break;
    case BW_LWM2M_TYPE_TIME:
        s->kind = BW_LWSRV_VAL_NUMBER;
        s->num = (double)v->v.t;
        break;
    case BW_LWM2M_TYPE_UNSIGNED:
        s->kind = BW_LWSRV_VAL_NUMBER;
        s->num = (double)v->v.u;
        break;
    case BW_LWM2M_TYPE_FLOAT:
        if (!isfinite(v->v.f))
            return fail(d, BW_ERANGE, "number not finite");
        s->kind = BW_LWSRV_VAL_NUMBER;
        s->num = v->v.f;
        break;
    case BW_LWM2M_TYPE_BOOLEAN:
        s->kind = BW_LWSRV_VAL_BOOL;
        s->num = v->v.b ? 1.0 : 0.0;
        break;
    case BW_LWM2M_TYPE_STRING:
    case BW_LWM2M_TYPE_CORELNK:
    case BW_LWM2M_TYPE_OPAQUE:
        if (v->type != BW_LWM2M_TYPE_OPAQUE && v->v.bytes.len > 0 &&
            memchr(v->v.bytes.ptr, '\0', v->v.bytes.len) != NULL)
            return fail(d, BW_EMALFORMED, "NUL in a string");
        s->kind = v->type == BW_LWM2M_TYPE_OPAQUE ? BW_LWSRV_VAL_OPAQUE
                                                  : BW_LWSRV_VAL_STRING;
        err = take_bytes(d, s, v->v.bytes.ptr, v->v.bytes.len);
        if (err != 0)
            return err;
        break;
    case BW_LWM2M_TYPE_OBJLNK: {
        char txt[16];
        int k = snprintf(txt, sizeof txt, "%u:%u", v->v.lnk.oid, v->v.lnk.iid);
        s->kind = BW_LWSRV_VAL_STRING;
        err = take_bytes(d, s, (const uint8_t *)txt, (size_t)k);
        if (err != 0)
            return err;
        break;
    }
    default:
        return fail(d, BW_ETYPE, "unexpected value type");
    }
    d->n++;
    return 0;
}

int bw_lwsrv_send_decode(uint32_t cf, const uint8_t *payload, size_t len,
                         const char *links, int links_truncated, int64_t now_ms,
                         bw_lwsrv_sample_t *out, size_t cap, size_t *n,
                         uint8_t *arena, size_t arena_cap, const char **why)
{
    static uint8_t none;
    dec_t d;
    int err;
    if (n != NULL)
        *n = 0;
    if (why != NULL)
        *why = NULL;
    if (n == NULL || out == NULL || links == NULL ||
        (payload == NULL && len > 0) || (arena == NULL && arena_cap > 0))
        return BW_EINVAL;
    memset(&d, 0, sizeof d);
    d.links = links;
    d.links_truncated = links_truncated;
    d.now_ms = now_ms;
    d.out = out;
    d.cap = cap;
    d.arena = arena != NULL ? arena : &none;
    d.arena_cap = arena_cap;
    if (cf != BW_COAP_FMT_SENML_CBOR && cf != BW_COAP_FMT_SENML_JSON) {
        err = fail(&d, BW_EFORMAT, "not SenML");
    } else if (len > BW_LWSRV_SEND_PAYLOAD_MAX) {
        err = fail(&d, BW_EOVERFLOW, "payload too large");
    } else {
        /* The readers' scratch (JSON escapes, base64): never more than
         * the payload itself; the values are copied out of it at once. */
        uint8_t scratch[BW_LWSRV_SEND_PAYLOAD_MAX];
        err = cf == BW_COAP_FMT_SENML_CBOR
                  ? bw_lwm2m_senml_cbor_read(payload, len, on_record, &d,
                                             scratch, sizeof scratch)
                  : bw_lwm2m_senml_json_read(payload, len, on_record, &d,
                                             scratch, sizeof scratch);
        if (err != 0 && d.why == NULL)
            d.why = "malformed SenML";
        if (err == 0 && d.n == 0)
            err = fail(&d, BW_EMALFORMED, "no value");
    }
    if (why != NULL)
        *why = d.why;
    if (err != 0)
        return err;
    *n = d.n;
    return 0;
}

uint8_t bw_lwsrv_send_code(int err)
{
    switch (err) {
    case 0:
        return BW_COAP_CHANGED;
    case BW_EFORMAT:
        return BW_COAP_UNSUPPORTED_FORMAT;
    case BW_EOVERFLOW:
        return BW_COAP_REQUEST_TOO_LARGE;
    case BW_ENOTFOUND:
        return BW_COAP_NOT_FOUND;
    case BW_ENOSPC:
    case BW_EINVAL:
        return BW_COAP_INTERNAL_ERROR;
    default:
        return BW_COAP_BAD_REQUEST;
    }
}

/* ---- the request ------------------------------------------------------- */

static int is_send(const bw_coap_msg_t *req)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    int segs = 0, dp = 0;
    if (req->code != BW_COAP_POST)
        return 0;
    bw_coap_opt_iter_init(&it, req);
    while (bw_coap_opt_next(&it, &o))
        if (o.number == BW_COAP_OPT_URI_PATH) {
            segs++;
            dp = o.len == 2 && memcmp(o.value, "dp", 2) == 0;
        }
    return segs == 1 && dp;
}

static size_t answer(const bw_coap_msg_t *req, uint8_t code, const char *why,
                     uint8_t *out, size_t cap)
{
    bw_coap_writer_t w;
    size_t len = 0;
    int con = req->type == BW_COAP_CON;
    /* A NON gets a NON; its message ID only has to differ from the
     * device's own recent ones, which the device never reuses for us. */
    bw_coap_writer_init(&w, out, cap, con ? BW_COAP_ACK : BW_COAP_NON, code,
                        con ? req->mid : (uint16_t)(req->mid ^ 0x8000u),
                        req->token, req->token_len);
    if (why != NULL && BW_COAP_CODE_CLASS(code) != 2) {
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                BW_COAP_FMT_TEXT);
        bw_coap_writer_payload(&w, why, strnlen(why, DIAG_MAX));
    }
    return bw_coap_writer_finish(&w, &len) == 0 ? len : 0;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Everything one Send needs on the heap (a worker's stack stays small). */
typedef struct {
    bw_lwsrv_regview_t reg;
    bw_lwsrv_sample_t v[BW_LWSRV_SEND_MAX_RECORDS];
    uint8_t arena[BW_LWSRV_SEND_PAYLOAD_MAX];
} work_t;

/* Decide the answer's code for req from peer (see the table in the
 * header); *stored counts what went to the store. */
static uint8_t handle(const bw_lwsrv_send_config_t *cfg, work_t *wk,
                      const bw_dtls_peer_info_t *peer, const bw_coap_msg_t *req,
                      char ep[BW_LWSRV_EP_MAX + 1], size_t *stored,
                      const char **why)
{
    uint32_t cf = 0;
    bw_coap_opt_t b1;
    size_t n = 0;

    if (cfg->owner(cfg->arg, peer, ep) != 0) {
        ep[0] = '\0';
        *why = "identity names no device";
        return BW_COAP_FORBIDDEN;
    }
    if (bw_lwsrv_registry_get(cfg->registry, ep, &wk->reg) != 0 ||
        wk->reg.addr_len != peer->addr_len ||
        memcmp(&wk->reg.addr, peer->addr, (size_t)peer->addr_len) != 0) {
        *why = "not registered";
        return BW_COAP_NOT_FOUND;
    }
    if (bw_coap_opt_find(req, BW_COAP_OPT_BLOCK1, &b1) == 0) {
        *why = "block-wise Send not supported";
        return BW_COAP_REQUEST_TOO_LARGE;
    }
    if (bw_coap_msg_uint(req, BW_COAP_OPT_CONTENT_FORMAT, &cf) != 0) {
        *why = "no Content-Format";
        return BW_COAP_UNSUPPORTED_FORMAT;
    }
    int64_t now = cfg->wall_ms != NULL ? cfg->wall_ms(cfg->arg) : real_ms();
    int err = bw_lwsrv_send_decode(cf, req->payload, req->payload_len,
                                   wk->reg.links, wk->reg.links_truncated, now,
                                   wk->v, BW_LWSRV_SEND_MAX_RECORDS, &n,
                                   wk->arena, sizeof wk->arena, why);
    if (err != 0)
        return bw_lwsrv_send_code(err);
    for (size_t i = 0; i < n; i++)
        wk->v[i].source = BW_LWSRV_SRC_SEND;
    if (cfg->store(cfg->arg, ep, wk->v, n, now) != 0) {
        *why = "store failed";
        return BW_COAP_INTERNAL_ERROR;
    }
    *stored = n;
    return BW_COAP_CHANGED;
}

size_t bw_lwsrv_send_resource(void *arg, const bw_dtls_peer_info_t *peer,
                              const bw_coap_msg_t *req, uint8_t *out,
                              size_t cap)
{
    const bw_lwsrv_send_config_t *cfg = arg;
    char ep[BW_LWSRV_EP_MAX + 1] = "";
    const char *why = NULL;
    size_t stored = 0, len = 0;
    uint8_t code;

    if (cfg == NULL || peer == NULL || req == NULL || !is_send(req))
        return 0;
    uint64_t mono = mono_ms();
    if (req->type == BW_COAP_CON &&
        bw_lwsrv_registry_recall(cfg->registry, peer->addr, peer->addr_len,
                                 req->mid, mono, DEDUP_MS, out, cap, &len))
        return len;
    work_t *wk = malloc(sizeof *wk);
    if (wk == NULL) {
        code = BW_COAP_SERVICE_UNAVAILABLE;
        why = "out of memory";
    } else {
        code = handle(cfg, wk, peer, req, ep, &stored, &why);
        free(wk);
    }
    len = answer(req, code, why, out, cap);
    if (len > 0 && req->type == BW_COAP_CON &&
        code != BW_COAP_SERVICE_UNAVAILABLE)
        bw_lwsrv_registry_remember(cfg->registry, peer->addr, peer->addr_len,
                                   req->mid, out, len, mono);
    if (cfg->report != NULL)
        cfg->report(cfg->arg, ep, code, stored, why);
    return len;
}
