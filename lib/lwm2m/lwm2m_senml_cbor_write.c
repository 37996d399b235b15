/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SenML CBOR writer (RFC 8428 section 6, LwM2M 1.1 Core 7.4.4) on top of
 * the deterministic CBOR writer of bulwark/cbor.h.
 *
 * The array head needs the record count, which is known only at the end,
 * so the buffer starts with room for the longest head and the records are
 * moved down over the unused part when finish() knows the count:
 *
 *   during:  [ 9 bytes reserved ][ record ][ record ] ...
 *   finish:  [ head ][ record ][ record ] ...      (head 1..9 bytes)
 *
 * Each record is a map with integer labels, in the order bn (-2), n (0),
 * value (2 v, 3 vs, 4 vb, 8 vd, or the text key "vlo").
 */
#include "bw_mem.h"
#include "lwm2m_int.h"
#include "lwm2m_senml_int.h"

void bw_lwm2m_senml_cbor_begin(bw_lwm2m_senml_cbor_writer_t *w, uint8_t *buf,
                               size_t cap, const bw_lwm2m_path_t *base)
{
    bw__zero(w, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
    w->err = bw_lwm2m__senml_begin(buf, cap, base, &w->base);
    if (w->err)
        return;
    /* Too small for the reserved head: count only, report BW_ENOSPC. */
    if (cap >= BW_CBOR_MAX_HEAD_LEN)
        bw_cbor_writer_init(&w->cw, buf + BW_CBOR_MAX_HEAD_LEN,
                            cap - BW_CBOR_MAX_HEAD_LEN);
    else
        bw_cbor_writer_init(&w->cw, NULL, 0);
}

static void put_value(bw_cbor_writer_t *cw, const bw_lwm2m_value_t *v)
{
    char lnk[BW_LWM2M__OBJLNK_CHARS];
    switch (v->type) {
    case BW_LWM2M_TYPE_INTEGER:
        bw_cbor_write_int(cw, 2);
        bw_cbor_write_int(cw, v->v.i);
        return;
    case BW_LWM2M_TYPE_TIME:
        bw_cbor_write_int(cw, 2);
        bw_cbor_write_int(cw, v->v.t);
        return;
    case BW_LWM2M_TYPE_UNSIGNED:
        bw_cbor_write_int(cw, 2);
        bw_cbor_write_uint(cw, v->v.u);
        return;
    case BW_LWM2M_TYPE_FLOAT:
        bw_cbor_write_int(cw, 2);
        bw_cbor_write_double(cw, v->v.f);
        return;
    case BW_LWM2M_TYPE_BOOLEAN:
        bw_cbor_write_int(cw, 4);
        bw_cbor_write_bool(cw, v->v.b);
        return;
    case BW_LWM2M_TYPE_STRING:
    case BW_LWM2M_TYPE_CORELNK:
        bw_cbor_write_int(cw, 3);
        bw_cbor_write_text(cw, (const char *)v->v.bytes.ptr, v->v.bytes.len);
        return;
    case BW_LWM2M_TYPE_OPAQUE:
        bw_cbor_write_int(cw, 8);
        bw_cbor_write_bytes(cw, v->v.bytes.ptr, v->v.bytes.len);
        return;
    case BW_LWM2M_TYPE_OBJLNK:
        bw_cbor_write_text(cw, "vlo", 3);
        bw_cbor_write_text(
            cw, lnk, bw_lwm2m__fmt_objlnk(v->v.lnk.oid, v->v.lnk.iid, lnk));
        return;
    default: /* NONE: no value field */
        return;
    }
}

void bw_lwm2m_senml_cbor_add(bw_lwm2m_senml_cbor_writer_t *w,
                             const bw_lwm2m_record_t *rec)
{
    bw_lwm2m__senml_names_t nm;
    if (w->err)
        return;
    w->err = bw_lwm2m__senml_prepare(&w->base, rec, w->bn, &w->bn_len,
                                     &w->has_bn, &nm);
    if (w->err)
        return;
    const bw_lwm2m_value_t *v = &rec->value;
    size_t pairs = (nm.emit_bn ? 1u : 0u) + (nm.n_len ? 1u : 0u) +
                   (v->type != BW_LWM2M_TYPE_NONE ? 1u : 0u);
    bw_cbor_write_map(&w->cw, pairs);
    if (nm.emit_bn) {
        bw_cbor_write_int(&w->cw, -2);
        bw_cbor_write_text(&w->cw, nm.text, nm.bn_len);
    }
    if (nm.n_len) {
        bw_cbor_write_int(&w->cw, 0);
        bw_cbor_write_text(&w->cw, nm.text + nm.bn_len, nm.n_len);
    }
    put_value(&w->cw, v);
    w->count++;
}

int bw_lwm2m__senml_cbor_record(const bw_lwm2m_record_t *rec, uint8_t *buf,
                                size_t cap, size_t *len)
{
    /* add() on a writer under the root whose CBOR writer starts at buf:
     * no room reserved for an array head, none written. */
    static const bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    bw_lwm2m_senml_cbor_writer_t w;
    bw__zero(&w, sizeof w);
    w.base = root;
    bw_cbor_writer_init(&w.cw, buf, cap);
    bw_lwm2m_senml_cbor_add(&w, rec);
    *len = 0;
    return w.err ? w.err : bw_cbor_writer_finish(&w.cw, len);
}

int bw_lwm2m_senml_cbor_finish(bw_lwm2m_senml_cbor_writer_t *w, size_t *len)
{
    uint8_t head[BW_CBOR_MAX_HEAD_LEN];
    size_t body = 0, hlen = 0;
    bw_cbor_writer_t hw;
    int err = w->err;
    if (!err)
        err = bw_cbor_writer_finish(&w->cw, &body);
    if (!err && w->cap < BW_CBOR_MAX_HEAD_LEN)
        err = BW_ENOSPC; /* no room even for the reserved head */
    if (!err) {
        bw_cbor_writer_init(&hw, head, sizeof(head));
        bw_cbor_write_array(&hw, w->count);
        err = bw_cbor_writer_finish(&hw, &hlen);
    }
    if (!err) {
        bw__move_down(w->buf + hlen, w->buf + BW_CBOR_MAX_HEAD_LEN, body);
        bw__copy(w->buf, head, hlen);
    }
    if (err) {
        w->err = err;
        if (len)
            *len = 0;
        return err;
    }
    if (len)
        *len = hlen + body;
    return 0;
}
