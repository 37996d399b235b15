/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OMA TLV writing (content format 11542, LwM2M 1.1 Core section 7.4.3).
 *
 * The caller hands in records in path order; the writer derives the
 * structure.  Design notes:
 *
 * Open containers: at most an object instance and, inside it, a multiple
 * resource (BW_LWM2M_TLV_MAX_OPEN).  Each is opened by reserving
 * BW_LWM2M_TLV_HDR_MAX bytes, since its length is not known yet.  When a
 * record arrives outside it (or at finish) it is closed: its content
 * length is now known, the shortest header is computed and the content
 * is moved down over the unused reserved bytes.  That move is the only
 * back-patching, it happens once per container, and it never leaves the
 * caller's buffer.
 *
 * Invariants between calls (when err is 0):
 *   1. buf[0 .. len) holds complete TLVs, except that each open container
 *      is a reserved header followed by its complete children so far.
 *   2. open[0 .. nopen) are nested, outermost first, and every one is an
 *      ancestor of last (the path of the last record).
 */
#include "bulwark/lwm2m.h"

#include "bw_float.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

/* Write the shortest header for (kind, id, len) into out; returns its
 * size (2 .. BW_LWM2M_TLV_HDR_MAX). */
static size_t put_hdr(uint8_t *out, uint8_t kind, uint16_t id, size_t len)
{
    size_t n = 1;
    uint8_t t = (uint8_t)(kind << 6);
    if (id > 0xFF) {
        t |= 0x20;
        out[n++] = (uint8_t)(id >> 8);
    }
    out[n++] = (uint8_t)id;
    if (len < 8) {
        t |= (uint8_t)len;
    } else {
        size_t lt = len <= 0xFF ? 1 : len <= 0xFFFF ? 2 : 3;
        t |= (uint8_t)(lt << 3);
        for (size_t k = lt; k > 0; k--)
            out[n++] = (uint8_t)(len >> (8 * (k - 1)));
    }
    out[0] = t;
    return n;
}

static void be_write(uint8_t *out, uint64_t v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        out[k] = (uint8_t)(v >> (8 * (n - 1 - k)));
}

/*
 * Shortest of 1, 2, 4, 8 bytes holding u: as two's complement when sign
 * (u is then the bits of an int64_t), else unsigned.  A negative value
 * needs as many bytes as its complement ~u, which is nonnegative; a signed
 * n-byte field holds 8n - 1 magnitude bits, an unsigned one 8n.
 */
static size_t int_size(uint64_t u, bool sign)
{
    if (sign && (u >> 63) != 0)
        u = ~u;
    size_t n = 1;
    while (n < 8 && (u >> (8 * n - sign)) != 0)
        n *= 2;
    return n;
}

/*
 * The value bytes of v: numbers are written into tmp (8 bytes); strings
 * and opaque point at the caller's data.  Returns 0, BW_ETYPE, BW_EUTF8.
 */
static int value_bytes(const bw_lwm2m_value_t *v, uint8_t *tmp,
                       const uint8_t **data, size_t *n)
{
    *data = tmp;
    switch (v->type) {
    case BW_LWM2M_TYPE_INTEGER:
    case BW_LWM2M_TYPE_TIME: {
        int64_t i = v->type == BW_LWM2M_TYPE_INTEGER ? v->v.i : v->v.t;
        *n = int_size((uint64_t)i, true);
        be_write(tmp, (uint64_t)i, *n);
        return 0;
    }
    case BW_LWM2M_TYPE_UNSIGNED:
        *n = int_size(v->v.u, false);
        be_write(tmp, v->v.u, *n);
        return 0;
    case BW_LWM2M_TYPE_FLOAT: {
        /* Four bytes when binary32 holds the same number (infinities
         * included); NaN keeps 8 bytes so its payload is not narrowed.
         * Decided on the bits (bw_float.h). */
        uint64_t bits = bw__f64_bits(v->v.f);
        uint32_t single;
        *n = bw__f_narrow(bits, BW__F32_EBITS, BW__F32_MBITS, &single) ? 4 : 8;
        be_write(tmp, *n == 4 ? single : bits, *n);
        return 0;
    }
    case BW_LWM2M_TYPE_BOOLEAN:
        tmp[0] = v->v.b ? 1 : 0;
        *n = 1;
        return 0;
    case BW_LWM2M_TYPE_OBJLNK:
        be_write(tmp, v->v.lnk.oid, 2);
        be_write(tmp + 2, v->v.lnk.iid, 2);
        *n = 4;
        return 0;
    case BW_LWM2M_TYPE_STRING:
    case BW_LWM2M_TYPE_CORELNK:
    case BW_LWM2M_TYPE_OPAQUE:
        if (v->v.bytes.ptr == NULL && v->v.bytes.len > 0)
            return BW_EINVAL;
        if (v->type != BW_LWM2M_TYPE_OPAQUE) {
            int err = bw_lwm2m_utf8_check(v->v.bytes.ptr, v->v.bytes.len);
            if (err != 0)
                return err;
        }
        *data = v->v.bytes.ptr;
        *n = v->v.bytes.len;
        return 0;
    default:
        return BW_ETYPE;
    }
}

/* Append one complete TLV. */
static int put_tlv(bw_lwm2m_tlv_writer_t *w, uint8_t kind, uint16_t id,
                   const uint8_t *data, size_t n)
{
    if (n > BW_LWM2M_TLV_MAX_LEN)
        return BW_EOVERFLOW;
    uint8_t hdr[BW_LWM2M_TLV_HDR_MAX];
    size_t h = put_hdr(hdr, kind, id, n);
    if (h > w->cap - w->len || n > w->cap - w->len - h)
        return BW_ENOSPC;
    bw__copy(w->buf + w->len, hdr, h);
    if (n > 0)
        bw__copy(w->buf + w->len + h, data, n);
    w->len += h + n;
    return 0;
}

static int open_container(bw_lwm2m_tlv_writer_t *w, uint8_t kind, uint16_t id)
{
    if (BW_LWM2M_TLV_HDR_MAX > w->cap - w->len)
        return BW_ENOSPC;
    bw_lwm2m_tlv_open_t *o = &w->open[w->nopen++];
    o->start = w->len;
    o->id = id;
    o->kind = kind;
    w->len += BW_LWM2M_TLV_HDR_MAX;
    return 0;
}

/* Close the innermost open container: shrink its header to fit. */
static int close_container(bw_lwm2m_tlv_writer_t *w)
{
    bw_lwm2m_tlv_open_t *o = &w->open[--w->nopen];
    size_t body = o->start + BW_LWM2M_TLV_HDR_MAX;
    size_t n = w->len - body;
    if (n > BW_LWM2M_TLV_MAX_LEN)
        return BW_EOVERFLOW;
    uint8_t hdr[BW_LWM2M_TLV_HDR_MAX];
    size_t h = put_hdr(hdr, o->kind, o->id, n);
    bw__move_down(w->buf + o->start + h, w->buf + body, n); /* h <= HDR_MAX */
    bw__copy(w->buf + o->start, hdr, h);
    w->len = o->start + h + n;
    return 0;
}

/* Path depth of an open container. */
static uint8_t open_depth(const bw_lwm2m_tlv_open_t *o)
{
    return o->kind == BW_LWM2M_TLV_OBJ_INST ? BW_LWM2M_DEPTH_INSTANCE
                                            : BW_LWM2M_DEPTH_RESOURCE;
}

void bw_lwm2m_tlv_begin(bw_lwm2m_tlv_writer_t *w, uint8_t *buf, size_t cap,
                        const bw_lwm2m_path_t *base)
{
    bw__zero(w, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    bw_lwm2m_path_init(&w->base);
    bw_lwm2m_path_init(&w->last);
    if (base == NULL || (buf == NULL && cap > 0)) {
        w->err = BW_EINVAL;
        return;
    }
    if (bw_lwm2m_path_check(base) != 0) {
        w->err = BW_EPATH;
        return;
    }
    if (base->depth == BW_LWM2M_DEPTH_ROOT) {
        w->err = BW_EFORMAT;
        return;
    }
    w->base = *base;
}

/* Check rec against base, type rules and order; 0 or an error code. */
static int check_record(const bw_lwm2m_tlv_writer_t *w,
                        const bw_lwm2m_record_t *rec)
{
    const bw_lwm2m_path_t *p = &rec->path;
    if (bw_lwm2m_path_check(p) != 0 || !bw_lwm2m_path_is_prefix(&w->base, p))
        return BW_EPATH;
    /* Under /O and /O/I a record names at least one more level. */
    uint8_t min = w->base.depth < BW_LWM2M_DEPTH_RESOURCE
                      ? (uint8_t)(w->base.depth + 1)
                      : w->base.depth;
    if (p->depth < min)
        return BW_EPATH;
    /* One unsigned compare also catches negative values, and stays valid
     * where enums are unsigned chars (arm-none-eabi's short enums). */
    if ((unsigned)rec->value.type > (unsigned)BW_LWM2M_TYPE_CORELNK)
        return BW_EINVAL;
    bool none = rec->value.type == BW_LWM2M_TYPE_NONE;
    if (none && p->depth == BW_LWM2M_DEPTH_RES_INST)
        return BW_ETYPE; /* a resource instance always has a value */
    if (!none && p->depth == BW_LWM2M_DEPTH_INSTANCE)
        return BW_ETYPE; /* an instance is not a value */
    if (w->count > 0 && (bw_lwm2m_path_compare(&w->last, p) >= 0 ||
                         bw_lwm2m_path_is_prefix(&w->last, p)))
        return BW_EORDER;
    return 0;
}

static int add_record(bw_lwm2m_tlv_writer_t *w, const bw_lwm2m_record_t *rec)
{
    const bw_lwm2m_path_t *p = &rec->path;
    int err = check_record(w, rec);
    if (err != 0)
        return err;

    /* Close containers the record is not inside (innermost first). */
    size_t keep = 0;
    while (keep < w->nopen) {
        uint8_t d = open_depth(&w->open[keep]);
        if (p->depth <= d || p->id[d - 1] != w->open[keep].id)
            break;
        keep++;
    }
    while (w->nopen > keep)
        if ((err = close_container(w)) != 0)
            return err;

    /* Open the object instance, unless base already names it. */
    if (w->base.depth == BW_LWM2M_DEPTH_OBJECT && w->nopen == 0 &&
        p->depth > BW_LWM2M_DEPTH_INSTANCE) {
        err =
            open_container(w, BW_LWM2M_TLV_OBJ_INST, p->id[BW_LWM2M_INSTANCE]);
        if (err != 0)
            return err;
    }
    /* Resource instances live in a multiple resource, unless base is the
     * resource instance itself. */
    if (p->depth == BW_LWM2M_DEPTH_RES_INST &&
        w->base.depth < BW_LWM2M_DEPTH_RES_INST &&
        (w->nopen == 0 ||
         w->open[w->nopen - 1].kind != BW_LWM2M_TLV_MULTI_RES)) {
        err =
            open_container(w, BW_LWM2M_TLV_MULTI_RES, p->id[BW_LWM2M_RESOURCE]);
        if (err != 0)
            return err;
    }

    uint16_t id = p->id[p->depth - 1];
    if (rec->value.type == BW_LWM2M_TYPE_NONE) {
        /* An empty container, written whole. */
        uint8_t kind = p->depth == BW_LWM2M_DEPTH_INSTANCE
                           ? BW_LWM2M_TLV_OBJ_INST
                           : BW_LWM2M_TLV_MULTI_RES;
        return put_tlv(w, kind, id, NULL, 0);
    }
    uint8_t tmp[8];
    const uint8_t *data;
    size_t n;
    err = value_bytes(&rec->value, tmp, &data, &n);
    if (err != 0)
        return err;
    uint8_t kind = p->depth == BW_LWM2M_DEPTH_RES_INST ? BW_LWM2M_TLV_RES_INST
                                                       : BW_LWM2M_TLV_RES;
    return put_tlv(w, kind, id, data, n);
}

void bw_lwm2m_tlv_add(bw_lwm2m_tlv_writer_t *w, const bw_lwm2m_record_t *rec)
{
    if (w->err != 0)
        return;
    if (rec == NULL) {
        w->err = BW_EINVAL;
        return;
    }
    w->err = add_record(w, rec);
    if (w->err == 0) {
        w->last = rec->path;
        w->count++;
    }
}

int bw_lwm2m_tlv_finish(bw_lwm2m_tlv_writer_t *w, size_t *len)
{
    *len = 0;
    while (w->err == 0 && w->nopen > 0)
        w->err = close_container(w);
    if (w->err != 0)
        return w->err;
    *len = w->len;
    return 0;
}
