/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SenML JSON writer (RFC 8428 section 5, LwM2M 1.1 Core 7.4.5).  Builds
 * the pack straight into the caller's buffer, one record per add():
 *
 *   begin   '['
 *   add     [','] '{' ["bn":...] [,"n":...] [,value] '}'
 *   finish  ']'
 *
 * Strings are escaped per RFC 8259 (quote, backslash and control
 * characters; everything else is written as the UTF-8 it is).  Floats use
 * the shortest round-trip form from lwm2m_senml_json_num.c.  Names are
 * chosen in lwm2m_senml_record.c.
 */
#include "lwm2m_int.h"
#include "bw_mem.h"
#include "lwm2m_json.h"
#include "lwm2m_senml_int.h"

#include <string.h>

static void put(bw_lwm2m_senml_json_writer_t *w, const void *s, size_t n)
{
    if (w->err)
        return;
    if (n > w->cap - w->len) {
        w->err = BW_ENOSPC;
        return;
    }
    if (n)
        bw__copy(w->buf + w->len, s, n);
    w->len += n;
}

static void put_str(bw_lwm2m_senml_json_writer_t *w, const char *s)
{
    put(w, s, strlen(s));
}

static void put_u64(bw_lwm2m_senml_json_writer_t *w, uint64_t v)
{
    char tmp[BW_LWM2M__U64_DIGITS];
    put(w, tmp, bw_lwm2m__fmt_u64(v, tmp));
}

static void put_i64(bw_lwm2m_senml_json_writer_t *w, int64_t v)
{
    char tmp[BW_LWM2M__U64_DIGITS + 1];
    put(w, tmp, bw_lwm2m__fmt_i64(v, tmp));
}

/* A JSON string; s MUST be valid UTF-8 (checked by the caller). */
static void put_quoted(bw_lwm2m_senml_json_writer_t *w, const uint8_t *s,
                       size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    put(w, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        char esc[6];
        size_t elen = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, s + run, i - run);
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
            break;
        }
        put(w, esc, elen);
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

void bw_lwm2m_senml_json_begin(bw_lwm2m_senml_json_writer_t *w, uint8_t *buf,
                               size_t cap, const bw_lwm2m_path_t *base)
{
    bw__zero(w, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
    w->err = bw_lwm2m__senml_begin(buf, cap, base, &w->base);
    put(w, "[", 1);
}

/* The value field of a record (nothing for NONE). */
static void put_value(bw_lwm2m_senml_json_writer_t *w,
                      const bw_lwm2m_value_t *v, bool comma)
{
    const char *sep = comma ? "," : "";
    char tmp[BW_LWM2M_JSON_DOUBLE_MAX];
    size_t n;
    switch (v->type) {
    case BW_LWM2M_TYPE_NONE:
        return;
    case BW_LWM2M_TYPE_INTEGER:
    case BW_LWM2M_TYPE_TIME:
        put_str(w, sep);
        put_str(w, "\"v\":");
        put_i64(w, v->type == BW_LWM2M_TYPE_TIME ? v->v.t : v->v.i);
        return;
    case BW_LWM2M_TYPE_UNSIGNED:
        put_str(w, sep);
        put_str(w, "\"v\":");
        put_u64(w, v->v.u);
        return;
    case BW_LWM2M_TYPE_FLOAT:
        n = bw_lwm2m__json_fmt_double(v->v.f, tmp);
        if (n == 0) {
            if (!w->err)
                w->err = BW_ERANGE; /* NaN or infinite */
            return;
        }
        put_str(w, sep);
        put_str(w, "\"v\":");
        put(w, tmp, n);
        return;
    case BW_LWM2M_TYPE_BOOLEAN:
        put_str(w, sep);
        put_str(w, v->v.b ? "\"vb\":true" : "\"vb\":false");
        return;
    case BW_LWM2M_TYPE_STRING:
    case BW_LWM2M_TYPE_CORELNK:
        put_str(w, sep);
        put_str(w, "\"vs\":");
        put_quoted(w, v->v.bytes.ptr, v->v.bytes.len);
        return;
    case BW_LWM2M_TYPE_OPAQUE: {
        size_t need =
            bw_lwm2m_b64_encoded_len(v->v.bytes.len, BW_LWM2M_B64_URL);
        put_str(w, sep);
        put_str(w, "\"vd\":\"");
        if (w->err)
            return;
        if (need > w->cap - w->len) {
            w->err = BW_ENOSPC;
            return;
        }
        int err = bw_lwm2m_b64_encode(v->v.bytes.ptr, v->v.bytes.len,
                                      (char *)w->buf + w->len, w->cap - w->len,
                                      BW_LWM2M_B64_URL, &n);
        if (err) {
            w->err = err;
            return;
        }
        w->len += n;
        put(w, "\"", 1);
        return;
    }
    case BW_LWM2M_TYPE_OBJLNK: {
        char lnk[BW_LWM2M__OBJLNK_CHARS];
        n = bw_lwm2m__fmt_objlnk(v->v.lnk.oid, v->v.lnk.iid, lnk);
        put_str(w, sep);
        put_str(w, "\"vlo\":\"");
        put(w, lnk, n);
        put(w, "\"", 1);
        return;
    }
    default:
        if (!w->err)
            w->err = BW_ETYPE;
        return;
    }
}

void bw_lwm2m_senml_json_add(bw_lwm2m_senml_json_writer_t *w,
                             const bw_lwm2m_record_t *rec)
{
    bw_lwm2m__senml_names_t nm;
    if (w->err)
        return;
    w->err = bw_lwm2m__senml_prepare(&w->base, rec, w->bn, &w->bn_len,
                                     &w->has_bn, &nm);
    if (w->err)
        return;
    if (w->count)
        put(w, ",", 1);
    put(w, "{", 1);
    if (nm.emit_bn) {
        put_str(w, "\"bn\":");
        put_quoted(w, (const uint8_t *)nm.text, nm.bn_len);
    }
    if (nm.n_len) {
        put_str(w, nm.emit_bn ? ",\"n\":" : "\"n\":");
        put_quoted(w, (const uint8_t *)nm.text + nm.bn_len, nm.n_len);
    }
    put_value(w, &rec->value, nm.emit_bn || nm.n_len);
    put(w, "}", 1);
    w->count++;
}

int bw_lwm2m_senml_json_finish(bw_lwm2m_senml_json_writer_t *w, size_t *len)
{
    put(w, "]", 1);
    if (w->err) {
        if (len)
            *len = 0;
        return w->err;
    }
    if (len)
        *len = w->len;
    return 0;
}
