/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A notification's payload into values (contract in lwm2m_observe.h,
 * bw_lwsrv_obs_decode).
 *
 * SenML goes through the Send decoder (lwm2m_send.c), so a value a device
 * notifies and one it sends are read by the same code; the formats that
 * carry no types (text/plain, octet-stream, TLV) go through lib/lwm2m's
 * readers here.  Every value must lie under the observed path.
 */
#include <math.h>
#include <string.h>

#include "bulwark/lwm2m.h"
#include "lwm2m_observe.h"

typedef struct {
    const bw_lwm2m_path_t *base;
    bw_lwsrv_sample_t *out;
    size_t cap, n;
    uint8_t *arena;
    size_t arena_cap, arena_used;
    int64_t now_ms;
    bw_lwsrv_val_kind_t kind; /* what a raw value becomes */
    const char *why;
} raw_t;

static int fail(raw_t *d, int err, const char *why)
{
    d->why = why;
    return err;
}

/* One value at path: the bytes copied into the arena as kind. */
static int add_bytes(raw_t *d, const bw_lwm2m_path_t *path,
                     bw_lwsrv_val_kind_t kind, const uint8_t *p, size_t len)
{
    if (!bw_lwm2m_path_is_prefix(d->base, path))
        return fail(d, BW_EPATH, "value outside the observed path");
    if (d->n == d->cap)
        return fail(d, BW_EOVERFLOW, "too many values");
    if (len > d->arena_cap - d->arena_used)
        return fail(d, BW_ENOSPC, "no room");
    bw_lwsrv_sample_t *s = &d->out[d->n];
    memset(s, 0, sizeof *s);
    if (bw_lwm2m_path_format(path, s->path, sizeof s->path, NULL) != 0)
        return fail(d, BW_EPATH, "not a resource path");
    s->t_ms = d->now_ms;
    s->kind = kind;
    if (len > 0)
        memcpy(d->arena + d->arena_used, p, len);
    s->bytes = d->arena + d->arena_used;
    s->len = len;
    d->arena_used += len;
    d->n++;
    return 0;
}

/* TLV records: every value as opaque bytes (no types on the server). */
static int on_tlv(void *ctx, const bw_lwm2m_record_t *rec)
{
    raw_t *d = ctx;
    const bw_lwm2m_value_t *v = &rec->value;
    if (v->type == BW_LWM2M_TYPE_NONE)
        return 0; /* an empty container: nothing to keep */
    if (v->type != BW_LWM2M_TYPE_OPAQUE)
        return fail(d, BW_ETYPE, "unexpected value type");
    return add_bytes(d, &rec->path, BW_LWSRV_VAL_OPAQUE, v->v.bytes.ptr,
                     v->v.bytes.len);
}

/* text/plain that is not a number: a string, if it is UTF-8. */
static bw_lwm2m_type_t as_string(void *ctx, const bw_lwm2m_path_t *path)
{
    (void)ctx;
    (void)path;
    return BW_LWM2M_TYPE_STRING;
}

static int on_text(void *ctx, const bw_lwm2m_record_t *rec)
{
    raw_t *d = ctx;
    const bw_lwm2m_value_t *v = &rec->value;
    if (v->type != BW_LWM2M_TYPE_STRING)
        return fail(d, BW_ETYPE, "unexpected value type");
    if (v->v.bytes.len > 0 &&
        memchr(v->v.bytes.ptr, '\0', v->v.bytes.len) != NULL)
        return fail(d, BW_EMALFORMED, "NUL in a string");
    return add_bytes(d, &rec->path, BW_LWSRV_VAL_STRING, v->v.bytes.ptr,
                     v->v.bytes.len);
}

/* A single value (text/plain, octet-stream) must name a resource. */
static int single(raw_t *d)
{
    return d->base->depth >= BW_LWM2M_DEPTH_RESOURCE
               ? 0
               : fail(d, BW_EPATH, "one value needs a resource path");
}

static int decode_text(raw_t *d, const uint8_t *payload, size_t len)
{
    int err = single(d);
    if (err != 0)
        return err;
    if (len == 0)
        return fail(d, BW_EMALFORMED, "no value");
    double x;
    if (bw_lwm2m_text_parse_float((const char *)payload, len, &x) == 0) {
        if (!isfinite(x))
            return fail(d, BW_ERANGE, "number not finite");
        err = add_bytes(d, d->base, BW_LWSRV_VAL_NUMBER, payload, 0);
        if (err == 0) {
            d->out[d->n - 1].num = x;
            d->out[d->n - 1].bytes = NULL;
        }
        return err;
    }
    bw_lwm2m_sink_t sink = {.type_of = as_string, .record = on_text, .ctx = d};
    err = bw_lwm2m_text_decode(payload, len, d->base, &sink);
    if (err != 0 && d->why == NULL)
        d->why = err == BW_EUTF8 ? "text is not UTF-8" : "malformed text";
    return err;
}

int bw_lwsrv_obs_decode(uint32_t cf, const uint8_t *payload, size_t len,
                        const char *path, const char *links,
                        int links_truncated, int64_t now_ms,
                        bw_lwsrv_sample_t *out, size_t cap, size_t *n,
                        uint8_t *arena, size_t arena_cap, const char **why)
{
    static uint8_t none;
    bw_lwm2m_path_t base;
    raw_t d;
    int err;
    if (n != NULL)
        *n = 0;
    if (why != NULL)
        *why = NULL;
    if (n == NULL || out == NULL || path == NULL || links == NULL ||
        (payload == NULL && len > 0) || (arena == NULL && arena_cap > 0))
        return BW_EINVAL;
    memset(&d, 0, sizeof d);
    d.base = &base;
    d.out = out;
    d.cap = cap;
    d.arena = arena != NULL ? arena : &none;
    d.arena_cap = arena_cap;
    d.now_ms = now_ms;
    if (payload == NULL)
        payload = &none;
    if (bw_lwm2m_path_parse(&base, path, strlen(path)) != 0 ||
        base.depth == BW_LWM2M_DEPTH_ROOT) {
        err = fail(&d, BW_EPATH, "observed path is not an LwM2M path");
    } else if (len > BW_LWSRV_OBS_PAYLOAD_MAX) {
        err = fail(&d, BW_EOVERFLOW, "payload too large");
    } else if (cf == BW_COAP_FMT_SENML_CBOR || cf == BW_COAP_FMT_SENML_JSON) {
        err = bw_lwsrv_send_decode(cf, payload, len, links, links_truncated,
                                   now_ms, out, cap, &d.n, d.arena, arena_cap,
                                   &d.why);
        for (size_t i = 0; err == 0 && i < d.n; i++) {
            bw_lwm2m_path_t p;
            if (bw_lwm2m_path_parse(&p, out[i].path, strlen(out[i].path)) !=
                    0 ||
                !bw_lwm2m_path_is_prefix(&base, &p))
                err = fail(&d, BW_EPATH, "value outside the observed path");
        }
    } else if (cf == BW_COAP_FMT_TEXT) {
        err = decode_text(&d, payload, len);
    } else if (cf == BW_COAP_FMT_OPAQUE) {
        err = single(&d);
        if (err == 0)
            err = add_bytes(&d, &base, BW_LWSRV_VAL_OPAQUE, payload, len);
    } else if (cf == BW_COAP_FMT_LWM2M_TLV) {
        bw_lwm2m_sink_t sink = {.record = on_tlv, .ctx = &d};
        err = bw_lwm2m_tlv_decode(payload, len, &base, &sink);
        if (err != 0 && d.why == NULL)
            d.why = "malformed TLV";
        if (err == 0 && d.n == 0)
            err = fail(&d, BW_EMALFORMED, "no value");
    } else {
        err = fail(&d, BW_EFORMAT, "unsupported content format");
    }
    if (why != NULL)
        *why = d.why;
    if (err != 0)
        return err;
    *n = d.n;
    return 0;
}
