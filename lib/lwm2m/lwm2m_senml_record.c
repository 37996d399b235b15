/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SenML record semantics shared by the JSON and CBOR readers and writers:
 * the field table (RFC 8428 sections 4 and 6), the readers' argument
 * checks and storing of numbers, resolution of base fields, the LwM2M
 * adapter that turns names into paths and numbers into typed values (and
 * the decode entry both formats use), and the writers' checks of base and
 * record and their choice of bn and n.  The wire syntax lives in
 * lwm2m_senml_{json,cbor}_{read,write}.c.
 */
#include "lwm2m_senml_int.h"

#include "bw_float.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

/* Field names and CBOR labels, indexed by BW_SENML_F_*.  The names are
 * stored with their lengths (the longest, "bver", is 4). */
#define FIELD_NAME_MAX 4
static const struct {
    char name[FIELD_NAME_MAX];
    uint8_t len;
    int8_t label; /* not for vlo, which is a text key only */
} fields[BW_SENML_F_COUNT] = {
    [BW_SENML_F_BN] = {"bn", 2, -2}, [BW_SENML_F_BT] = {"bt", 2, -3},
    [BW_SENML_F_BU] = {"bu", 2, -4}, [BW_SENML_F_BV] = {"bv", 2, -5},
    [BW_SENML_F_BS] = {"bs", 2, -6}, [BW_SENML_F_BVER] = {"bver", 4, -1},
    [BW_SENML_F_N] = {"n", 1, 0},    [BW_SENML_F_U] = {"u", 1, 1},
    [BW_SENML_F_V] = {"v", 1, 2},    [BW_SENML_F_VS] = {"vs", 2, 3},
    [BW_SENML_F_VB] = {"vb", 2, 4},  [BW_SENML_F_S] = {"s", 1, 5},
    [BW_SENML_F_T] = {"t", 1, 6},    [BW_SENML_F_UT] = {"ut", 2, 7},
    [BW_SENML_F_VD] = {"vd", 2, 8},  [BW_SENML_F_VLO] = {"vlo", 3, 0},
};

int bw_lwm2m__senml_key_text(const char *key, size_t len)
{
    for (int f = 0; f < BW_SENML_F_COUNT; f++) {
        if (fields[f].len == len && bw__equal(fields[f].name, key, len))
            return f;
    }
    if (len > 0 && key[len - 1] == '_')
        return BW_SENML_KEY_MUST_UNDERSTAND;
    return BW_SENML_KEY_IGNORE;
}

/* vlo, the one field without a label, comes last. */
_Static_assert(BW_SENML_F_VLO == BW_SENML_F_COUNT - 1, "vlo is not last");

int bw_lwm2m__senml_key_label(int64_t label)
{
    for (int f = 0; f < BW_SENML_F_VLO; f++) {
        if (fields[f].label == label)
            return f;
    }
    return BW_SENML_KEY_IGNORE;
}

static bool is_value_field(int f)
{
    return f == BW_SENML_F_V || f == BW_SENML_F_VS || f == BW_SENML_F_VB ||
           f == BW_SENML_F_VD || f == BW_SENML_F_VLO;
}

void bw_lwm2m__senml_fields_init(bw_lwm2m__senml_fields_t *f)
{
    bw__zero(f, sizeof(*f));
    f->value_field = -1;
}

int bw_lwm2m__senml_mark(bw_lwm2m__senml_fields_t *f, int field)
{
    if (f->seen & (1u << field))
        return BW_EDUPKEY;
    if (is_value_field(field)) {
        if (f->value_field >= 0)
            return BW_EMALFORMED;
        f->value_field = field;
    }
    f->seen |= 1u << field;
    return 0;
}

int bw_lwm2m__senml_set_name(const bw_lwm2m__senml_pack_t *pack, char *dst,
                             size_t *dst_len, const char *src, size_t len)
{
    if (len > BW_LWM2M_SENML_NAME_MAX)
        return pack->name_err;
    if (len)
        bw__copy(dst, src, len);
    *dst_len = len;
    return 0;
}

int bw_lwm2m__senml_check_version(uint64_t v)
{
    return v > BW_LWM2M_SENML_VERSION ? BW_EVERSION : 0;
}

int bw_lwm2m__senml_objlnk(const char *s, size_t len, bw_lwm2m_value_t *v)
{
    bw_lwm2m_objlnk_t lnk;
    int err = bw_lwm2m_text_parse_objlnk(s, len, &lnk);
    if (err)
        return err;
    v->type = BW_LWM2M_TYPE_OBJLNK;
    v->v.lnk = lnk;
    return 0;
}

int bw_lwm2m__senml_read_begin(bw_lwm2m__senml_pack_t *pack,
                               const uint8_t *payload, size_t len,
                               bw_lwm2m_senml_fn fn, const uint8_t *scratch,
                               size_t scratch_cap, int name_err)
{
    if ((!payload && len) || !fn || (!scratch && scratch_cap))
        return BW_EINVAL;
    bw__zero(pack, sizeof(*pack));
    pack->name_err = name_err;
    return 0;
}

double bw_lwm2m__senml_num_double(const bw_lwm2m__senml_num_t *num)
{
    if (num->type == BW_LWM2M_TYPE_INTEGER)
        return bw__f64_from_bits(bw__f64_from_i64(num->i));
    if (num->type == BW_LWM2M_TYPE_UNSIGNED)
        return bw__f64_from_bits(bw__f64_from_u64(num->u, false));
    return num->d;
}

/* a + b, rounded to nearest (bw_float.h: no soft-float library). */
static double add_f64(double a, double b)
{
    return bw__f64_from_bits(bw__f64_add(bw__f64_bits(a), bw__f64_bits(b)));
}

void bw_lwm2m__senml_set_number(bw_lwm2m__senml_pack_t *pack,
                                bw_lwm2m__senml_fields_t *f, int field,
                                const bw_lwm2m__senml_num_t *num)
{
    if (field == BW_SENML_F_BT) {
        pack->has_bt = true;
        pack->bt = bw_lwm2m__senml_num_double(num);
    } else if (field == BW_SENML_F_BV) {
        pack->has_bv = true;
        pack->bv = *num;
    } else if (field == BW_SENML_F_T) {
        f->has_t = true;
        f->t = bw_lwm2m__senml_num_double(num);
    } else if (field == BW_SENML_F_V) {
        f->v = *num;
    }
}

/*
 * bv + v into out: exact for integers (BW_ERANGE on overflow).  Returns 0,
 * BW_ERANGE, or 1 for a float sum, which may have been rounded.
 */
static int add_base(const bw_lwm2m__senml_num_t *bv,
                    const bw_lwm2m__senml_num_t *v, bw_lwm2m_value_t *out)
{
    const bw_lwm2m__senml_num_t *a = bv, *b = v;
    if (a->type == BW_LWM2M_TYPE_FLOAT || b->type == BW_LWM2M_TYPE_FLOAT) {
        *out = bw_lwm2m_value_float(add_f64(bw_lwm2m__senml_num_double(a),
                                            bw_lwm2m__senml_num_double(b)));
        return 1; /* the sum may have been rounded */
    }
    if (a->type == BW_LWM2M_TYPE_INTEGER && b->type == BW_LWM2M_TYPE_INTEGER) {
        if ((b->i > 0 && a->i > INT64_MAX - b->i) ||
            (b->i < 0 && a->i < INT64_MIN - b->i))
            return BW_ERANGE;
        *out = bw_lwm2m_value_int(a->i + b->i);
        return 0;
    }
    /* At least one is UNSIGNED (above INT64_MAX); let a be that one. */
    if (a->type != BW_LWM2M_TYPE_UNSIGNED) {
        const bw_lwm2m__senml_num_t *t = a;
        a = b;
        b = t;
    }
    uint64_t r;
    if (b->type == BW_LWM2M_TYPE_UNSIGNED || b->i >= 0) {
        uint64_t add =
            b->type == BW_LWM2M_TYPE_UNSIGNED ? b->u : (uint64_t)b->i;
        if (a->u > UINT64_MAX - add)
            return BW_ERANGE;
        r = a->u + add;
    } else {
        /* |b->i| <= 2^63 < a->u: no wrap. */
        r = a->u - ((uint64_t)(-(b->i + 1)) + 1);
    }
    *out = r > (uint64_t)INT64_MAX ? bw_lwm2m_value_uint(r)
                                   : bw_lwm2m_value_int((int64_t)r);
    return 0;
}

static bw_lwm2m_value_t num_value(const bw_lwm2m__senml_num_t *n)
{
    if (n->type == BW_LWM2M_TYPE_INTEGER)
        return bw_lwm2m_value_int(n->i);
    if (n->type == BW_LWM2M_TYPE_UNSIGNED)
        return bw_lwm2m_value_uint(n->u);
    return bw_lwm2m_value_float(n->d);
}

int bw_lwm2m__senml_emit(const bw_lwm2m__senml_pack_t *pack,
                         const bw_lwm2m__senml_fields_t *f,
                         bw_lwm2m_senml_fn fn, void *ctx)
{
    char name[BW_LWM2M_SENML_NAME_MAX];
    bw_lwm2m_senml_rec_t rec;
    bw__zero(&rec, sizeof(rec));
    if (pack->bn_len + f->n_len > sizeof(name))
        return pack->name_err;
    bw__copy(name, pack->bn, pack->bn_len);
    bw__copy(name + pack->bn_len, f->n, f->n_len);
    rec.name = name;
    rec.name_len = pack->bn_len + f->n_len;
    rec.has_time = pack->has_bt || f->has_t;
    rec.time = add_f64(pack->has_bt ? pack->bt : 0, f->has_t ? f->t : 0);
    if (f->value_field == BW_SENML_F_V) {
        if (pack->has_bv) {
            int err = add_base(&pack->bv, &f->v, &rec.value);
            if (err < 0)
                return err;
            rec.rounded = err > 0;
        } else {
            rec.value = num_value(&f->v);
            rec.rounded = f->v.rounded;
        }
    } else if (f->value_field >= 0) {
        rec.value = f->value;
    } else {
        rec.value.type = BW_LWM2M_TYPE_NONE;
    }
    int err = fn(ctx, &rec);
    return err > 0 ? BW_EABORTED : err;
}

/* ---- LwM2M adapter ------------------------------------------------------ */

/* Number (INTEGER, UNSIGNED or FLOAT) as the resource's type. */
static int type_number(bw_lwm2m_value_t *v, bw_lwm2m_type_t want, bool rounded)
{
    if (rounded && want != BW_LWM2M_TYPE_FLOAT)
        return BW_ERANGE; /* not known to be that exact integer */
    bw_lwm2m_value_t in = *v;
    switch (want) {
    case BW_LWM2M_TYPE_INTEGER:
    case BW_LWM2M_TYPE_TIME:
    case BW_LWM2M_TYPE_UNSIGNED: {
        /* The number as sign and magnitude, then range-checked once. */
        uint64_t mag;
        bool neg = false;
        if (in.type == BW_LWM2M_TYPE_INTEGER) {
            neg = in.v.i < 0;
            /* |i| without overflowing at INT64_MIN. */
            mag = neg ? (uint64_t)(-(in.v.i + 1)) + 1u : (uint64_t)in.v.i;
        } else if (in.type == BW_LWM2M_TYPE_UNSIGNED) {
            if (want != BW_LWM2M_TYPE_UNSIGNED)
                return BW_ERANGE; /* only ever above INT64_MAX here */
            mag = in.v.u;
        } else if (!bw__f64_whole(bw__f64_bits(in.v.f), &mag, &neg)) {
            return BW_ERANGE; /* not a whole number */
        }
        if (want == BW_LWM2M_TYPE_UNSIGNED) {
            if (neg && mag != 0)
                return BW_ERANGE; /* [0, 2^64); -0 is 0 */
            *v = bw_lwm2m_value_uint(mag);
            return 0;
        }
        /* [-2^63, 2^63) */
        if (mag > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
            return BW_ERANGE;
        /* -mag as -(mag - 1) - 1: 2^63 itself is no int64_t. */
        int64_t i = neg && mag ? -(int64_t)(mag - 1u) - 1 : (int64_t)mag;
        *v = want == BW_LWM2M_TYPE_TIME ? bw_lwm2m_value_time(i)
                                        : bw_lwm2m_value_int(i);
        return 0;
    }
    case BW_LWM2M_TYPE_FLOAT:
        if (in.type == BW_LWM2M_TYPE_INTEGER)
            *v = bw_lwm2m_value_float(
                bw__f64_from_bits(bw__f64_from_i64(in.v.i)));
        else if (in.type == BW_LWM2M_TYPE_UNSIGNED)
            *v = bw_lwm2m_value_float(
                bw__f64_from_bits(bw__f64_from_u64(in.v.u, false)));
        return 0;
    default:
        return BW_ETYPE;
    }
}

int bw_lwm2m__senml_to_lwm2m(void *adapter, const bw_lwm2m_senml_rec_t *rec)
{
    bw_lwm2m__senml_adapter_t *ad = adapter;
    bw_lwm2m_record_t out;
    bw__zero(&out, sizeof(out));
    if (rec->name_len == 0 ||
        bw_lwm2m_path_parse(&out.path, rec->name, rec->name_len) != 0)
        return BW_EPATH;
    if (!bw_lwm2m_path_is_prefix(ad->base, &out.path))
        return BW_EPATH;
    out.value = rec->value;
    bw_lwm2m_type_t have = rec->value.type;
    if (have != BW_LWM2M_TYPE_NONE) {
        if (out.path.depth < BW_LWM2M_DEPTH_RESOURCE)
            return BW_EPATH;
        bw_lwm2m_type_t want = bw_lwm2m__type_of(ad->sink, &out.path);
        bool number = have == BW_LWM2M_TYPE_INTEGER ||
                      have == BW_LWM2M_TYPE_UNSIGNED ||
                      have == BW_LWM2M_TYPE_FLOAT;
        if (want == BW_LWM2M_TYPE_NONE) {
            /* untyped: pass through */
        } else if (number) {
            int err = type_number(&out.value, want, rec->rounded);
            if (err)
                return err;
        } else if (have == BW_LWM2M_TYPE_STRING &&
                   want == BW_LWM2M_TYPE_CORELNK) {
            out.value.type = BW_LWM2M_TYPE_CORELNK;
        } else if (have != want) {
            return BW_ETYPE;
        }
    }
    return bw_lwm2m__emit(ad->sink, &out);
}

/*
 * The entries of both layers bind a reader to its name error: the SenML
 * layer's readers say BW_EOVERFLOW for an over-long name, the LwM2M
 * decoders BW_EPATH.
 */
int bw_lwm2m_senml_json_read(const uint8_t *payload, size_t len,
                             bw_lwm2m_senml_fn fn, void *ctx, uint8_t *scratch,
                             size_t scratch_cap)
{
    return bw_lwm2m__senml_json_read(payload, len, fn, ctx, scratch,
                                     scratch_cap, BW_EOVERFLOW);
}

int bw_lwm2m_senml_cbor_read(const uint8_t *payload, size_t len,
                             bw_lwm2m_senml_fn fn, void *ctx, uint8_t *scratch,
                             size_t scratch_cap)
{
    return bw_lwm2m__senml_cbor_read(payload, len, fn, ctx, scratch,
                                     scratch_cap, BW_EOVERFLOW);
}

int bw_lwm2m__senml_decode(bw_lwm2m__senml_read_fn read, const uint8_t *payload,
                           size_t len, const bw_lwm2m_path_t *base,
                           const bw_lwm2m_sink_t *sink)
{
    if ((!payload && len) || !base || !sink || !sink->record)
        return BW_EINVAL;
    if (bw_lwm2m_path_check(base) != 0)
        return BW_EPATH;
    bw_lwm2m__senml_adapter_t ad = {base, sink};
    return read(payload, len, bw_lwm2m__senml_to_lwm2m, &ad, sink->scratch,
                sink->scratch_cap, BW_EPATH);
}

/* ---- writers ------------------------------------------------------------ */

int bw_lwm2m__senml_begin(const uint8_t *buf, size_t cap,
                          const bw_lwm2m_path_t *base, bw_lwm2m_path_t *dst)
{
    if ((!buf && cap) || !base)
        return BW_EINVAL;
    *dst = *base;
    return bw_lwm2m_path_check(base) != 0 ? BW_EPATH : 0;
}

/* The value of a record as a writer can take it: 0, EINVAL, ETYPE, EUTF8. */
static int check_value(const bw_lwm2m_value_t *v)
{
    if (v->type > BW_LWM2M_TYPE_CORELNK)
        return BW_ETYPE;
    bool text =
        v->type == BW_LWM2M_TYPE_STRING || v->type == BW_LWM2M_TYPE_CORELNK;
    if (!text && v->type != BW_LWM2M_TYPE_OPAQUE)
        return 0;
    if (!v->v.bytes.ptr && v->v.bytes.len)
        return BW_EINVAL;
    if (text && bw_lwm2m_utf8_check(v->v.bytes.ptr, v->v.bytes.len) != 0)
        return BW_EUTF8;
    return 0;
}

/*
 * The names of rec under base (see "Names" in lwm2m_senml.h), cut from
 * one formatting of the record's path: the bn its record needs is the
 * text of the first `keep` levels and a '/' (emit_bn when it differs from
 * the bn in force, cur), n the rest of the path.
 */
static int choose_names(const bw_lwm2m_path_t *base,
                        const bw_lwm2m_record_t *rec, const char *cur,
                        size_t cur_len, bool has_cur,
                        bw_lwm2m__senml_names_t *nm)
{
    const bw_lwm2m_path_t *path = &rec->path;
    size_t full_len, plen = 0;
    nm->emit_bn = false;
    nm->bn_len = 0;
    nm->n_len = 0;
    if (bw_lwm2m_path_check(path) != 0 || !bw_lwm2m_path_is_prefix(base, path))
        return BW_EPATH;
    if (rec->value.type != BW_LWM2M_TYPE_NONE &&
        path->depth < BW_LWM2M_DEPTH_RESOURCE)
        return BW_EPATH;
    if (bw_lwm2m_path_format(path, nm->text, sizeof(nm->text), &full_len) != 0)
        return BW_EPATH;
    if (base->depth == 0) {
        nm->n_len = full_len;
        return 0;
    }
    /* The prefix: the base itself, or the record's object instance.  Its
     * text ends where the '/' opening level keep + 1 is, if any. */
    unsigned keep = base->depth >= BW_LWM2M_DEPTH_RESOURCE
                        ? base->depth
                        : (path->depth < 2 ? path->depth : 2);
    for (unsigned level = 0; plen < full_len; plen++) {
        if (nm->text[plen] == '/' && level++ == keep)
            break;
    }
    if (plen < full_len) {
        plen++; /* bn keeps the '/' */
        nm->n_len = full_len - plen;
    }
    nm->bn_len = plen;
    nm->emit_bn =
        !has_cur || cur_len != plen || !bw__equal(cur, nm->text, plen);
    return 0;
}

int bw_lwm2m__senml_prepare(const bw_lwm2m_path_t *base,
                            const bw_lwm2m_record_t *rec,
                            char cur[BW_LWM2M_PATH_STR_MAX + 1],
                            uint8_t *cur_len, bool *has_cur,
                            bw_lwm2m__senml_names_t *names)
{
    if (!rec)
        return BW_EINVAL;
    int err = check_value(&rec->value);
    if (!err)
        err = choose_names(base, rec, cur, *cur_len, *has_cur, names);
    if (err || !names->emit_bn)
        return err;
    bw__copy(cur, names->text, names->bn_len);
    *cur_len = (uint8_t)names->bn_len;
    *has_cur = true;
    return 0;
}
