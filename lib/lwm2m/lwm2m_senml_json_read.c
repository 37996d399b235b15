/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SenML JSON reader (RFC 8428 section 5, LwM2M 1.1 Core 7.4.5): pulls
 * tokens from the bounded tokenizer in lwm2m_json.c, gathers one record's
 * fields, and hands the resolved record on before reading the next.
 * Field semantics are in lwm2m_senml_record.c.
 *
 *   [ {"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"}, {"n":"9","v":95} ]
 *   ^ pack: one array       ^ record: one object, keys in any order
 */
#include "lwm2m_json.h"
#include "bw_mem.h"
#include "lwm2m_senml_int.h"

/* The public limits describe the tokenizer's. */
_Static_assert(BW_LWM2M_JSON_MAX_DEPTH == BW_LWM2M_SENML_MAX_DEPTH,
               "depth limits differ");
_Static_assert(BW_LWM2M_JSON_MAX_DIGITS == BW_LWM2M_SENML_JSON_MAX_DIGITS,
               "digit limits differ");
_Static_assert(BW_LWM2M_JSON_MAX_NUMBER_LEN ==
                   BW_LWM2M_SENML_JSON_MAX_NUMBER_LEN,
               "number length limits differ");

/* Long enough for every known key ("bver") and a vlo ("65535:65535"). */
#define SHORT_MAX 16

typedef struct {
    bw_lwm2m_json_t js;
    bw_lwm2m__senml_pack_t pack;
    uint8_t *scratch;
    size_t scratch_cap;
} reader_t;

/* Which field a key names. */
static int key_field(const bw_lwm2m_json_tok_t *key)
{
    uint8_t buf[SHORT_MAX];
    size_t n;
    if (bw_lwm2m__json_unescape(key, buf, sizeof(buf), &n) == 0)
        return bw_lwm2m__senml_key_text((const char *)buf, n);
    /* Too long to be a known key; only its last character matters. */
    size_t pos = 0;
    int32_t cp, last = -1;
    while ((cp = bw_lwm2m__json_cp_next(key->str, key->str_len, &pos)) >= 0)
        last = cp;
    return last == '_' ? BW_SENML_KEY_MUST_UNDERSTAND : BW_SENML_KEY_IGNORE;
}

static int get_number(const bw_lwm2m_json_tok_t *tok,
                      bw_lwm2m__senml_num_t *num)
{
    if (tok->type != BW_LWM2M_JSON_NUMBER)
        return BW_ETYPE;
    bw__zero(num, sizeof(*num));
    num->d = tok->d;
    if (tok->num_kind == BW_LWM2M_JSON_INT) {
        num->type = BW_LWM2M_TYPE_INTEGER;
        num->i = tok->i;
    } else if (tok->num_kind == BW_LWM2M_JSON_UINT) {
        num->type = BW_LWM2M_TYPE_UNSIGNED;
        num->u = tok->u;
    } else {
        /* Integers below 2^53 are exact in a double; others may not be. */
        num->type = BW_LWM2M_TYPE_FLOAT;
        num->rounded = !tok->integral || tok->d >= 9007199254740992.0 ||
                       tok->d <= -9007199254740992.0;
    }
    return 0;
}

/* A name (bn or n) into dst: BW_ETYPE or the pack's name error. */
static int get_name(const reader_t *rd, const bw_lwm2m_json_tok_t *tok,
                    char *dst, size_t *len)
{
    if (tok->type != BW_LWM2M_JSON_STRING)
        return BW_ETYPE;
    int err = bw_lwm2m__json_unescape(tok, (uint8_t *)dst,
                                      BW_LWM2M_SENML_NAME_MAX, len);
    return err == BW_ENOSPC ? rd->pack.name_err : err;
}

/* A string value: a view into the payload, or unescaped into scratch. */
static int get_text(reader_t *rd, const bw_lwm2m_json_tok_t *tok,
                    const uint8_t **s, size_t *len)
{
    if (tok->type != BW_LWM2M_JSON_STRING)
        return BW_ETYPE;
    if (!tok->escaped) {
        *s = tok->str;
        *len = tok->str_len;
        return 0;
    }
    int err = bw_lwm2m__json_unescape(tok, rd->scratch, rd->scratch_cap, len);
    *s = rd->scratch;
    return err;
}

/* vd: base64url (no padding) decoded into scratch. */
static int get_data(reader_t *rd, const bw_lwm2m_json_tok_t *tok,
                    bw_lwm2m_value_t *v)
{
    const uint8_t *in = tok->str;
    size_t in_len = tok->str_len, out_len, out_cap = rd->scratch_cap;
    if (tok->type != BW_LWM2M_JSON_STRING)
        return BW_ETYPE;
    if (tok->escaped) {
        /*
         * Escapes are legal but odd here.  Unescape into the tail of
         * scratch and decode to its head; decoded data is shorter, so the
         * two do not meet when scratch holds both.
         */
        size_t need = 0;
        int32_t cp;
        size_t pos = 0;
        while ((cp = bw_lwm2m__json_cp_next(tok->str, tok->str_len, &pos)) >=
               0) {
            if (cp >= 0x80)
                return BW_EMALFORMED; /* outside any base64 alphabet */
            need++;
        }
        if (need > rd->scratch_cap)
            return BW_ENOSPC;
        uint8_t *tail = rd->scratch + rd->scratch_cap - need;
        int err = bw_lwm2m__json_unescape(tok, tail, need, &in_len);
        if (err)
            return err;
        in = tail;
        out_cap = rd->scratch_cap - need;
    }
    int err = bw_lwm2m_b64_decode((const char *)in, in_len, rd->scratch,
                                  out_cap, BW_LWM2M_B64_URL, &out_len);
    if (err)
        return err;
    *v = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, rd->scratch, out_len);
    return 0;
}

static int get_objlnk(const bw_lwm2m_json_tok_t *tok, bw_lwm2m_value_t *v)
{
    uint8_t buf[SHORT_MAX];
    size_t n;
    if (tok->type != BW_LWM2M_JSON_STRING)
        return BW_ETYPE;
    if (bw_lwm2m__json_unescape(tok, buf, sizeof(buf), &n) != 0)
        return BW_EMALFORMED;
    return bw_lwm2m__senml_objlnk((const char *)buf, n, v);
}

/* One field's value (val) for a known field. */
static int read_field(reader_t *rd, bw_lwm2m__senml_fields_t *f, int field,
                      const bw_lwm2m_json_tok_t *val)
{
    bw_lwm2m__senml_pack_t *pk = &rd->pack;
    bw_lwm2m__senml_num_t num;
    const uint8_t *s;
    size_t len;
    int err;
    switch (field) {
    case BW_SENML_F_BN:
        return get_name(rd, val, pk->bn, &pk->bn_len);
    case BW_SENML_F_N:
        return get_name(rd, val, f->n, &f->n_len);
    case BW_SENML_F_BU:
    case BW_SENML_F_U:
        return val->type == BW_LWM2M_JSON_STRING ? 0 : BW_ETYPE;
    case BW_SENML_F_BVER:
        if (val->type != BW_LWM2M_JSON_NUMBER)
            return BW_ETYPE;
        if (val->num_kind == BW_LWM2M_JSON_UINT)
            return BW_EVERSION;
        if (val->num_kind != BW_LWM2M_JSON_INT || val->i < 0)
            return BW_ETYPE;
        return bw_lwm2m__senml_check_version((uint64_t)val->i);
    case BW_SENML_F_VS:
        if ((err = get_text(rd, val, &s, &len)) != 0)
            return err;
        f->value = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, s, len);
        return 0;
    case BW_SENML_F_VB:
        if (val->type != BW_LWM2M_JSON_TRUE && val->type != BW_LWM2M_JSON_FALSE)
            return BW_ETYPE;
        f->value = bw_lwm2m_value_bool(val->type == BW_LWM2M_JSON_TRUE);
        return 0;
    case BW_SENML_F_VD:
        return get_data(rd, val, &f->value);
    case BW_SENML_F_VLO:
        return get_objlnk(val, &f->value);
    default: /* the numbers: bt, bv, bs, v, s, t, ut */
        break;
    }
    if ((err = get_number(val, &num)) != 0)
        return err;
    bw_lwm2m__senml_set_number(pk, f, field, &num);
    return 0;
}

/* One record; the '{' has been read. */
static int read_record(reader_t *rd, bw_lwm2m_senml_fn fn, void *ctx)
{
    bw_lwm2m__senml_fields_t f;
    bw_lwm2m_json_tok_t key, val;
    int err;
    bw_lwm2m__senml_fields_init(&f);
    for (;;) {
        if ((err = bw_lwm2m__json_next(&rd->js, &key)) != 0)
            return err;
        if (key.type == BW_LWM2M_JSON_OBJECT_END)
            return bw_lwm2m__senml_emit(&rd->pack, &f, fn, ctx);
        /* The tokenizer only answers KEY or '}' inside an object. */
        int field = key_field(&key);
        if (field == BW_SENML_KEY_MUST_UNDERSTAND)
            return BW_EUNSUPPORTED;
        if ((err = bw_lwm2m__json_next(&rd->js, &val)) != 0)
            return err;
        if (field == BW_SENML_KEY_IGNORE) {
            if ((err = bw_lwm2m__json_skip(&rd->js, &val)) != 0)
                return err;
            continue;
        }
        if ((err = bw_lwm2m__senml_mark(&f, field)) != 0)
            return err;
        if (val.type == BW_LWM2M_JSON_OBJECT || val.type == BW_LWM2M_JSON_ARRAY)
            return BW_ETYPE;
        if ((err = read_field(rd, &f, field, &val)) != 0)
            return err;
    }
}

int bw_lwm2m__senml_json_read(const uint8_t *payload, size_t len,
                              bw_lwm2m_senml_fn fn, void *ctx, uint8_t *scratch,
                              size_t scratch_cap, int name_err)
{
    reader_t rd;
    bw_lwm2m_json_tok_t tok;
    int err;
    bw__zero(&rd, sizeof(rd));
    err = bw_lwm2m__senml_read_begin(&rd.pack, payload, len, fn, scratch,
                                     scratch_cap, name_err);
    if (err)
        return err;
    bw_lwm2m__json_init(&rd.js, payload, len);
    rd.scratch = scratch;
    rd.scratch_cap = scratch_cap;
    if ((err = bw_lwm2m__json_next(&rd.js, &tok)) != 0)
        return err;
    if (tok.type != BW_LWM2M_JSON_ARRAY)
        return BW_EMALFORMED;
    for (;;) {
        if ((err = bw_lwm2m__json_next(&rd.js, &tok)) != 0)
            return err;
        if (tok.type == BW_LWM2M_JSON_ARRAY_END)
            break;
        if (tok.type != BW_LWM2M_JSON_OBJECT)
            return BW_EMALFORMED;
        if ((err = read_record(&rd, fn, ctx)) != 0)
            return err;
    }
    if ((err = bw_lwm2m__json_next(&rd.js, &tok)) != 0)
        return err;
    return 0; /* tok is END: the tokenizer allows nothing else here */
}

int bw_lwm2m_senml_json_decode(const uint8_t *payload, size_t len,
                               const bw_lwm2m_path_t *base,
                               const bw_lwm2m_sink_t *sink)
{
    return bw_lwm2m__senml_decode(bw_lwm2m__senml_json_read, payload, len, base,
                                  sink);
}
