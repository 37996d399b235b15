/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text/plain (content format 0): one resource value as text.
 *
 * The payload is the whole value, so decoding is: check the base path,
 * ask the sink for the type, parse.  Text of an unknown type goes out as
 * raw OPAQUE bytes so the caller can still decide.  Number and base64
 * syntax lives in lwm2m_text_number.c and lwm2m_base64.c.
 */
#include "bulwark/lwm2m.h"

#include "bw_mem.h"
#include "lwm2m_int.h"

/* Parse the text as type t into rec->value; bytes point into payload or
 * into sink->scratch (base64). */
static int parse_value(const uint8_t *p, size_t len, bw_lwm2m_type_t t,
                       const bw_lwm2m_sink_t *sink, bw_lwm2m_value_t *out)
{
    const char *s = (const char *)p;
    int err = 0;
    out->type = t;
    switch (t) {
    case BW_LWM2M_TYPE_INTEGER:
        return bw_lwm2m_text_parse_int(s, len, &out->v.i);
    case BW_LWM2M_TYPE_TIME:
        return bw_lwm2m_text_parse_int(s, len, &out->v.t);
    case BW_LWM2M_TYPE_UNSIGNED:
        return bw_lwm2m_text_parse_uint(s, len, &out->v.u);
    case BW_LWM2M_TYPE_FLOAT:
        return bw_lwm2m_text_parse_float(s, len, &out->v.f);
    case BW_LWM2M_TYPE_BOOLEAN:
        return bw_lwm2m_text_parse_bool(s, len, &out->v.b);
    case BW_LWM2M_TYPE_OBJLNK:
        return bw_lwm2m_text_parse_objlnk(s, len, &out->v.lnk);
    case BW_LWM2M_TYPE_STRING:
    case BW_LWM2M_TYPE_CORELNK:
        err = bw_lwm2m_utf8_check(p, len);
        out->v.bytes.ptr = p;
        out->v.bytes.len = len;
        return err;
    case BW_LWM2M_TYPE_OPAQUE:
        out->v.bytes.ptr = sink->scratch;
        return bw_lwm2m_b64_decode(s, len, sink->scratch, sink->scratch_cap,
                                   BW_LWM2M_B64_STD, &out->v.bytes.len);
    default:
        /* Unknown type: the raw text, for the caller to judge. */
        out->type = BW_LWM2M_TYPE_OPAQUE;
        out->v.bytes.ptr = p;
        out->v.bytes.len = len;
        return 0;
    }
}

int bw_lwm2m_text_decode(const uint8_t *payload, size_t len,
                         const bw_lwm2m_path_t *base,
                         const bw_lwm2m_sink_t *sink)
{
    if ((payload == NULL && len > 0) || base == NULL || sink == NULL ||
        sink->record == NULL || (sink->scratch == NULL && sink->scratch_cap))
        return BW_EINVAL;
    int err = bw_lwm2m__single_base(base);
    if (err != 0)
        return err;
    bw_lwm2m_record_t rec;
    bw__zero(&rec, sizeof rec);
    rec.path = *base;
    err = parse_value(payload, len, bw_lwm2m__type_of(sink, base), sink,
                      &rec.value);
    if (err != 0)
        return err;
    return bw_lwm2m__emit(sink, &rec);
}

void bw_lwm2m_text_begin(bw_lwm2m_text_writer_t *w, uint8_t *buf, size_t cap,
                         const bw_lwm2m_path_t *base)
{
    bw__zero(w, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    bw_lwm2m_path_init(&w->base);
    if (base == NULL || (buf == NULL && cap > 0)) {
        w->err = BW_EINVAL;
        return;
    }
    w->err = bw_lwm2m__single_base(base);
    if (w->err == 0)
        w->base = *base;
}

int bw_lwm2m__single_add(const bw_lwm2m_text_writer_t *w,
                         const bw_lwm2m_record_t *rec)
{
    if (w->err != 0)
        return w->err;
    if (rec == NULL)
        return BW_EINVAL;
    if (w->count > 0)
        return BW_EFORMAT; /* one value is all the format can hold */
    if (!bw_lwm2m_path_equal(&rec->path, &w->base))
        return BW_EPATH;
    return 0;
}

void bw_lwm2m_text_add(bw_lwm2m_text_writer_t *w, const bw_lwm2m_record_t *rec)
{
    w->err = bw_lwm2m__single_add(w, rec);
    if (w->err != 0)
        return;
    size_t n;
    w->err = bw_lwm2m_text_format(&rec->value, (char *)w->buf, w->cap, &n);
    if (w->err == 0) {
        w->len = n;
        w->count = 1;
    }
}

int bw_lwm2m_text_finish(bw_lwm2m_text_writer_t *w, size_t *len)
{
    *len = 0;
    if (w->err == 0 && w->count == 0)
        w->err = BW_ESTATE;
    if (w->err != 0)
        return w->err;
    *len = w->len;
    return 0;
}
