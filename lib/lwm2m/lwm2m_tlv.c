/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OMA TLV decoding (content format 11542, LwM2M 1.1 Core section 7.4.3).
 *
 * The layout is drawn in bulwark/lwm2m.h.  The decoder walks the payload
 * once, front to back, and hands each value to the sink as soon as it is
 * read; it keeps no tree.
 *
 * Design notes.
 *
 * Scope: a run of sibling TLVs that must fill a byte range exactly: the
 * whole payload, or the value of a container.  Every scope has a path
 * (the object for object instances, the instance for resources, the
 * resource for resource instances), and the identifier type of each
 * child must add exactly one level to it.  So nesting cannot exceed the
 * three levels of the data model, and the recursion in walk() is bounded
 * by the path depth (at most three frames below the top).
 *
 * Lengths: a container's declared length is checked against the bytes
 * left in its own scope when its header is read, so by induction no child
 * can reach past the payload.  Running out inside the payload itself is
 * BW_ETRUNC (the datagram is short); running out inside a container is
 * BW_EOVERFLOW (a child claims more than its parent holds).
 */
#include "bulwark/lwm2m.h"

#include "bw_float.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

/* One parsed TLV header. */
typedef struct {
    uint8_t kind; /* BW_LWM2M_TLV_OBJ_INST .. BW_LWM2M_TLV_RES */
    uint16_t id;
    size_t hdr_len; /* type byte + identifier + length field */
    size_t len;     /* value bytes */
} tlv_hdr_t;

/* Path depth a TLV of this identifier type stands at. */
static const uint8_t KIND_DEPTH[4] = {
    [BW_LWM2M_TLV_OBJ_INST] = BW_LWM2M_DEPTH_INSTANCE,
    [BW_LWM2M_TLV_RES_INST] = BW_LWM2M_DEPTH_RES_INST,
    [BW_LWM2M_TLV_MULTI_RES] = BW_LWM2M_DEPTH_RESOURCE,
    [BW_LWM2M_TLV_RES] = BW_LWM2M_DEPTH_RESOURCE,
};

/* A zeroed record has no value (an empty container's record). */
_Static_assert(BW_LWM2M_TYPE_NONE == 0, "zeroed value is not NONE");

static bool is_container(uint8_t kind)
{
    return kind == BW_LWM2M_TLV_OBJ_INST || kind == BW_LWM2M_TLV_MULTI_RES;
}

static uint64_t be_read(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/*
 * Read the header at p with avail bytes left in the scope.  short_err is
 * what running out means here (BW_ETRUNC or BW_EOVERFLOW, see above).
 */
static int read_hdr(const uint8_t *p, size_t avail, int short_err, tlv_hdr_t *h)
{
    if (avail < 1)
        return short_err;
    uint8_t t = p[0];
    size_t id_len = (t & 0x20) ? 2 : 1;
    size_t len_type = (t >> 3) & 0x03;
    h->kind = (uint8_t)(t >> 6);
    h->hdr_len = 1 + id_len + len_type;
    if (avail < h->hdr_len)
        return short_err;
    if (len_type != 0 && (t & 0x07) != 0)
        return BW_EMALFORMED; /* bits 2-0 are only a length when LT = 0 */
    h->id = (uint16_t)be_read(p + 1, id_len);
    h->len = len_type == 0 ? (size_t)(t & 0x07)
                           : (size_t)be_read(p + 1 + id_len, len_type);
    if (h->len > avail - h->hdr_len)
        return short_err;
    if (h->id > BW_LWM2M_ID_MAX)
        return BW_EPATH;
    return 0;
}

/* Sign-extend an n-byte big-endian two's complement integer. */
static int64_t be_signed(const uint8_t *p, size_t n)
{
    uint64_t u = be_read(p, n);
    uint64_t sign = (uint64_t)1 << (n * 8 - 1);
    if (n < 8 && (u & sign))
        u |= ~((sign << 1) - 1);
    /* Two's complement reinterpretation without implementation-defined
     * conversion of out-of-range values. */
    if (u > (uint64_t)INT64_MAX)
        return -(int64_t)(~u) - 1;
    return (int64_t)u;
}

static bool int_len_ok(size_t n)
{
    return n == 1 || n == 2 || n == 4 || n == 8;
}

/* Decode a resource value of type t from n bytes at p. */
static int decode_value(const uint8_t *p, size_t n, bw_lwm2m_type_t t,
                        bw_lwm2m_value_t *v)
{
    v->type = t;
    switch (t) {
    case BW_LWM2M_TYPE_INTEGER:
    case BW_LWM2M_TYPE_TIME:
        if (!int_len_ok(n))
            return BW_EMALFORMED;
        if (t == BW_LWM2M_TYPE_INTEGER)
            v->v.i = be_signed(p, n);
        else
            v->v.t = be_signed(p, n);
        return 0;
    case BW_LWM2M_TYPE_UNSIGNED:
        if (!int_len_ok(n))
            return BW_EMALFORMED;
        v->v.u = be_read(p, n);
        return 0;
    case BW_LWM2M_TYPE_FLOAT:
        if (n != 4 && n != 8)
            return BW_EMALFORMED;
        /* binary32 widens exactly, NaN payloads included (bw_float.h). */
        uint64_t bits = be_read(p, n);
        if (n == 4)
            bits = bw__f_widen((uint32_t)bits, BW__F32_EBITS, BW__F32_MBITS);
        v->v.f = bw__f64_from_bits(bits);
        return 0;
    case BW_LWM2M_TYPE_BOOLEAN:
        if (n != 1)
            return BW_EMALFORMED;
        if (p[0] > 1)
            return BW_ERANGE;
        v->v.b = p[0] == 1;
        return 0;
    case BW_LWM2M_TYPE_OBJLNK:
        if (n != 4)
            return BW_EMALFORMED;
        v->v.lnk.oid = (uint16_t)be_read(p, 2);
        v->v.lnk.iid = (uint16_t)be_read(p + 2, 2);
        return 0;
    case BW_LWM2M_TYPE_STRING:
    case BW_LWM2M_TYPE_CORELNK:
        v->v.bytes.ptr = p;
        v->v.bytes.len = n;
        return bw_lwm2m_utf8_check(p, n);
    default:
        /* OPAQUE, or unknown: the raw bytes. */
        v->type = BW_LWM2M_TYPE_OPAQUE;
        v->v.bytes.ptr = p;
        v->v.bytes.len = n;
        return 0;
    }
}

/*
 * Walk the scope [p, p + len) whose path is scope.  short_err: see
 * read_hdr().  only_id: when not NULL the scope MUST hold exactly one TLV
 * and it MUST carry this id (the top level under a deep base path).
 */
static int walk(const bw_lwm2m_sink_t *sink, const uint8_t *p, size_t len,
                const bw_lwm2m_path_t *scope, int short_err,
                const uint16_t *only_id)
{
    size_t pos = 0;
    while (pos < len) {
        if (only_id != NULL && pos > 0)
            return BW_ETRAILING;
        tlv_hdr_t h;
        int err = read_hdr(p + pos, len - pos, short_err, &h);
        if (err != 0)
            return err;
        if (KIND_DEPTH[h.kind] != scope->depth + 1) {
            /* Inside a multiple resource only leaves may appear. */
            if (scope->depth == BW_LWM2M_DEPTH_RESOURCE && is_container(h.kind))
                return BW_EDEPTH;
            return BW_EMALFORMED;
        }
        if (only_id != NULL && h.id != *only_id)
            return BW_EPATH;

        bw_lwm2m_record_t rec;
        bw__zero(&rec, sizeof rec); /* value type NONE, see below */
        rec.path = *scope;
        err = bw_lwm2m_path_push(&rec.path, h.id);
        if (err != 0)
            return err;
        const uint8_t *val = p + pos + h.hdr_len;
        if (is_container(h.kind) && h.len > 0) {
            err = walk(sink, val, h.len, &rec.path, BW_EOVERFLOW, NULL);
        } else if (is_container(h.kind)) {
            /* An empty container is a record of type NONE; but an empty
             * wrapper under /O/I names nothing the base does not already:
             * it is the same as an empty payload. */
            if (only_id == NULL || h.kind != BW_LWM2M_TLV_OBJ_INST)
                err = bw_lwm2m__emit(sink, &rec);
        } else {
            err = decode_value(val, h.len, bw_lwm2m__type_of(sink, &rec.path),
                               &rec.value);
            if (err == 0)
                err = bw_lwm2m__emit(sink, &rec);
        }
        if (err != 0)
            return err;
        pos += h.hdr_len + h.len;
    }
    return 0;
}

int bw_lwm2m_tlv_decode(const uint8_t *payload, size_t len,
                        const bw_lwm2m_path_t *base,
                        const bw_lwm2m_sink_t *sink)
{
    if ((payload == NULL && len > 0) || base == NULL || sink == NULL ||
        sink->record == NULL)
        return BW_EINVAL;
    if (bw_lwm2m_path_check(base) != 0)
        return BW_EPATH;
    if (base->depth == BW_LWM2M_DEPTH_ROOT)
        return BW_EFORMAT;
    if (len == 0)
        return 0;

    /*
     * Under /O/I the payload is either the instance's resources, or one
     * object instance TLV wrapping them; under /O/I/R and /O/I/R/RI it is
     * exactly one TLV naming the base's last level.  Both wrapped forms
     * are a scope one level up that must hold that single TLV.
     */
    bool wrapped = base->depth >= BW_LWM2M_DEPTH_RESOURCE ||
                   (base->depth == BW_LWM2M_DEPTH_INSTANCE &&
                    (payload[0] >> 6) == BW_LWM2M_TLV_OBJ_INST);
    if (!wrapped)
        return walk(sink, payload, len, base, BW_ETRUNC, NULL);
    bw_lwm2m_path_t parent = *base;
    uint16_t last = base->id[base->depth - 1];
    bw_lwm2m_path_pop(&parent);
    return walk(sink, payload, len, &parent, BW_ETRUNC, &last);
}
