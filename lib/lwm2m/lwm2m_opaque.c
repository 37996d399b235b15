/* SPDX-License-Identifier: Apache-2.0 */
/*
 * application/octet-stream (content format 42): the raw bytes of one
 * opaque resource, typically a firmware image or a certificate.
 *
 * Nothing in the payload can be malformed; what can be wrong is the path
 * (a whole object cannot be raw bytes) or the resource's type (an integer
 * resource has no octet-stream form).
 */
#include "bulwark/lwm2m.h"

#include "bw_mem.h"
#include "lwm2m_int.h"

int bw_lwm2m_opaque_decode(const uint8_t *payload, size_t len,
                           const bw_lwm2m_path_t *base,
                           const bw_lwm2m_sink_t *sink)
{
    if ((payload == NULL && len > 0) || base == NULL || sink == NULL ||
        sink->record == NULL)
        return BW_EINVAL;
    int err = bw_lwm2m__single_base(base);
    if (err != 0)
        return err;
    bw_lwm2m_type_t t = bw_lwm2m__type_of(sink, base);
    if (t != BW_LWM2M_TYPE_NONE && t != BW_LWM2M_TYPE_OPAQUE)
        return BW_ETYPE;
    bw_lwm2m_record_t rec;
    bw__zero(&rec, sizeof rec);
    rec.path = *base;
    rec.value = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, payload, len);
    return bw_lwm2m__emit(sink, &rec);
}

void bw_lwm2m_opaque_begin(bw_lwm2m_opaque_writer_t *w, uint8_t *buf,
                           size_t cap, const bw_lwm2m_path_t *base)
{
    /* Same base rules and bookkeeping as text/plain. */
    bw_lwm2m_text_begin(w, buf, cap, base);
}

void bw_lwm2m_opaque_add(bw_lwm2m_opaque_writer_t *w,
                         const bw_lwm2m_record_t *rec)
{
    w->err = bw_lwm2m__single_add(w, rec);
    if (w->err != 0)
        return;
    if (rec->value.type != BW_LWM2M_TYPE_OPAQUE) {
        w->err = BW_ETYPE;
        return;
    }
    size_t n = rec->value.v.bytes.len;
    if (n > w->cap) {
        w->err = BW_ENOSPC;
        return;
    }
    if (n > 0)
        bw__copy(w->buf, rec->value.v.bytes.ptr, n);
    w->len = n;
    w->count = 1;
}

int bw_lwm2m_opaque_finish(bw_lwm2m_opaque_writer_t *w, size_t *len)
{
    return bw_lwm2m_text_finish(w, len);
}
