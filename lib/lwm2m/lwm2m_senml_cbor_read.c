/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SenML CBOR reader (RFC 8428 section 6, LwM2M 1.1 Core 7.4.4) on top of
 * the bounded pull reader in bulwark/cbor.h.  One record at a time is
 * gathered and handed on; field semantics are in lwm2m_senml_record.c.
 *
 *   81                          array(1): the pack
 *     a3                        map(3): one record
 *       21 65 2f 33 2f 30 2f    -2 (bn): "/3/0/"
 *       00 61 30                 0 (n):  "0"
 *       02 18 5f                 2 (v):  95
 *
 * Keys are the integer labels of RFC 8428 or the same names as text
 * ("vlo" exists only as text).  Strings are views into the payload, so
 * this reader needs no scratch at all.
 */
#include "lwm2m_senml_int.h"

#include "bw_float.h"
#include "bw_mem.h"

/* -2^64 as binary64 bits: exponent 64, mantissa 0, sign set. */
#define F64_MINUS_2_64                                                         \
    (BW__F64_SIGN | (uint64_t)(BW__F64_BIAS + 64) << BW__F64_MBITS)

static int get_text(bw_cbor_reader_t *r, const uint8_t **s, size_t *len)
{
    const char *t = NULL;
    int err = bw_cbor_read_text(r, &t, len);
    *s = (const uint8_t *)t;
    return err;
}

static int get_number(bw_cbor_reader_t *r, bw_lwm2m__senml_num_t *num)
{
    bw_cbor_kind_t kind;
    int err;
    bw__zero(num, sizeof(*num));
    if ((err = bw_cbor_peek(r, &kind)) != 0)
        return err;
    if (kind == BW_CBOR_UINT) {
        uint64_t u;
        if ((err = bw_cbor_read_uint(r, &u)) != 0)
            return err;
        if (u > (uint64_t)INT64_MAX) {
            num->type = BW_LWM2M_TYPE_UNSIGNED;
            num->u = u;
        } else {
            num->type = BW_LWM2M_TYPE_INTEGER;
            num->i = (int64_t)u;
        }
        return 0;
    }
    if (kind == BW_CBOR_NINT) {
        int64_t i;
        err = bw_cbor_read_int(r, &i);
        if (err == 0) {
            num->type = BW_LWM2M_TYPE_INTEGER;
            num->i = i;
            return 0;
        }
        if (err != BW_ERANGE)
            return err;
        /* Below INT64_MIN: only a double can hold -1 - n, the double
         * nearest it (n + 1 = 2^64 for the last one). */
        uint64_t n;
        if ((err = bw_cbor_read_nint(r, &n)) != 0)
            return err;
        num->type = BW_LWM2M_TYPE_FLOAT;
        num->d = bw__f64_from_bits(
            n == UINT64_MAX ? F64_MINUS_2_64 : bw__f64_from_u64(n + 1, true));
        return 0;
    }
    if (kind == BW_CBOR_FLOAT) {
        num->type = BW_LWM2M_TYPE_FLOAT;
        return bw_cbor_read_double(r, &num->d);
    }
    return BW_ETYPE;
}

/* Which field a key names; the key is consumed. */
static int read_key(bw_cbor_reader_t *r, int *field)
{
    bw_cbor_kind_t kind;
    int err;
    if ((err = bw_cbor_peek(r, &kind)) != 0)
        return err;
    if (kind == BW_CBOR_UINT || kind == BW_CBOR_NINT) {
        int64_t label;
        err = bw_cbor_read_int(r, &label);
        if (err == BW_ERANGE) {
            /* No label is that large: unknown, skip it. */
            *field = BW_SENML_KEY_IGNORE;
            return bw_cbor_skip(r);
        }
        *field = err ? 0 : bw_lwm2m__senml_key_label(label);
        return err;
    }
    if (kind == BW_CBOR_TEXT) {
        const uint8_t *s;
        size_t len;
        if ((err = get_text(r, &s, &len)) != 0)
            return err;
        *field = bw_lwm2m__senml_key_text((const char *)s, len);
        return 0;
    }
    return BW_EMALFORMED; /* SenML keys are integers or text */
}

static int read_name(bw_cbor_reader_t *r, const bw_lwm2m__senml_pack_t *pk,
                     char *dst, size_t *dst_len)
{
    const uint8_t *s;
    size_t len;
    int err = get_text(r, &s, &len);
    if (err)
        return err;
    return bw_lwm2m__senml_set_name(pk, dst, dst_len, (const char *)s, len);
}

static int read_field(bw_cbor_reader_t *r, bw_lwm2m__senml_pack_t *pk,
                      bw_lwm2m__senml_fields_t *f, int field)
{
    bw_lwm2m__senml_num_t num;
    const uint8_t *s;
    size_t len;
    int err;
    switch (field) {
    case BW_SENML_F_BN:
        return read_name(r, pk, pk->bn, &pk->bn_len);
    case BW_SENML_F_N:
        return read_name(r, pk, f->n, &f->n_len);
    case BW_SENML_F_BU:
    case BW_SENML_F_U:
        return get_text(r, &s, &len);
    case BW_SENML_F_BVER: {
        uint64_t v;
        if ((err = bw_cbor_read_uint(r, &v)) != 0)
            return err;
        return bw_lwm2m__senml_check_version(v);
    }
    case BW_SENML_F_VS:
        if ((err = get_text(r, &s, &len)) != 0)
            return err;
        f->value = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, s, len);
        return 0;
    case BW_SENML_F_VB: {
        bool b;
        if ((err = bw_cbor_read_bool(r, &b)) != 0)
            return err;
        /* Set in place: f->value is zeroed at the start of the record
         * (the header's constructor would zero a copy again). */
        f->value.type = BW_LWM2M_TYPE_BOOLEAN;
        f->value.v.b = b;
        return 0;
    }
    case BW_SENML_F_VD:
        if ((err = bw_cbor_read_bytes(r, &s, &len)) != 0)
            return err;
        f->value = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, s, len);
        return 0;
    case BW_SENML_F_VLO:
        if ((err = get_text(r, &s, &len)) != 0)
            return err;
        return bw_lwm2m__senml_objlnk((const char *)s, len, &f->value);
    default: /* the numbers: bt, bv, bs, v, s, t, ut */
        break;
    }
    if ((err = get_number(r, &num)) != 0)
        return err;
    bw_lwm2m__senml_set_number(pk, f, field, &num);
    return 0;
}

static int read_record(bw_cbor_reader_t *r, bw_lwm2m__senml_pack_t *pk,
                       bw_lwm2m_senml_fn fn, void *ctx)
{
    bw_lwm2m__senml_fields_t f;
    bw_cbor_kind_t kind;
    size_t pairs;
    int err;
    if ((err = bw_cbor_peek(r, &kind)) != 0)
        return err;
    if (kind == BW_CBOR_TAG)
        return BW_EUNSUPPORTED;
    if (kind != BW_CBOR_MAP)
        return BW_EMALFORMED;
    if ((err = bw_cbor_enter_map(r, &pairs)) != 0)
        return err;
    bw_lwm2m__senml_fields_init(&f);
    for (size_t i = 0; i < pairs; i++) {
        int field;
        if ((err = read_key(r, &field)) != 0)
            return err;
        if (field == BW_SENML_KEY_MUST_UNDERSTAND)
            return BW_EUNSUPPORTED;
        if (field == BW_SENML_KEY_IGNORE) {
            if ((err = bw_cbor_skip(r)) != 0)
                return err;
            continue;
        }
        if ((err = bw_lwm2m__senml_mark(&f, field)) != 0)
            return err;
        if ((err = read_field(r, pk, &f, field)) != 0)
            return err;
    }
    if ((err = bw_cbor_leave(r)) != 0)
        return err;
    return bw_lwm2m__senml_emit(pk, &f, fn, ctx);
}

int bw_lwm2m__senml_cbor_read(const uint8_t *payload, size_t len,
                              bw_lwm2m_senml_fn fn, void *ctx, uint8_t *scratch,
                              size_t scratch_cap, int name_err)
{
    bw_cbor_reader_t r;
    bw_lwm2m__senml_pack_t pack;
    bw_cbor_kind_t kind;
    size_t count;
    int err;
    /* CBOR strings and bytes need no transformation: scratch stays unused. */
    err = bw_lwm2m__senml_read_begin(&pack, payload, len, fn, scratch,
                                     scratch_cap, name_err);
    if (err)
        return err;
    bw_cbor_reader_init(&r, payload, len);
    if ((err = bw_cbor_peek(&r, &kind)) != 0)
        return err;
    if (kind == BW_CBOR_END)
        return BW_ETRUNC; /* empty payload */
    if (kind == BW_CBOR_TAG)
        return BW_EUNSUPPORTED;
    if (kind != BW_CBOR_ARRAY)
        return BW_EMALFORMED;
    if ((err = bw_cbor_enter_array(&r, &count)) != 0)
        return err;
    for (size_t i = 0; i < count; i++) {
        if ((err = read_record(&r, &pack, fn, ctx)) != 0)
            return err;
    }
    if ((err = bw_cbor_leave(&r)) != 0)
        return err;
    return bw_cbor_finish(&r);
}

int bw_lwm2m_senml_cbor_decode(const uint8_t *payload, size_t len,
                               const bw_lwm2m_path_t *base,
                               const bw_lwm2m_sink_t *sink)
{
    return bw_lwm2m__senml_decode(bw_lwm2m__senml_cbor_read, payload, len, base,
                                  sink);
}
