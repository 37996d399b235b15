/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resource values: reading one numeric type as another with exact range
 * checks, the public UTF-8 check (a wrapper of the common validator in
 * lib/utf8.c), and the small pieces every content format shares (handing
 * a record to the sink, asking it for a type).
 *
 * A conversion either is exact or fails with BW_ERANGE: a server's 2^63
 * written into an int64_t field, or 2^53 + 1 read as a double, must not
 * silently become another number.
 */
#include "bulwark/lwm2m.h"

#include "bw_u64.h"
#include "bw_utf8.h"
#include "lwm2m_int.h"

/* Every integer up to 2^53 in magnitude is exact in a double. */
#define DOUBLE_EXACT_INT (UINT64_C(1) << 53)

int bw_lwm2m_value_get_int(const bw_lwm2m_value_t *v, int64_t *out)
{
    switch (v->type) {
    case BW_LWM2M_TYPE_INTEGER:
        *out = v->v.i;
        return 0;
    case BW_LWM2M_TYPE_TIME:
        *out = v->v.t;
        return 0;
    case BW_LWM2M_TYPE_UNSIGNED:
        if (v->v.u > (uint64_t)INT64_MAX)
            return BW_ERANGE;
        *out = (int64_t)v->v.u;
        return 0;
    default:
        return BW_ETYPE;
    }
}

int bw_lwm2m_value_get_uint(const bw_lwm2m_value_t *v, uint64_t *out)
{
    int64_t i;
    switch (v->type) {
    case BW_LWM2M_TYPE_UNSIGNED:
        *out = v->v.u;
        return 0;
    case BW_LWM2M_TYPE_INTEGER:
    case BW_LWM2M_TYPE_TIME:
        i = v->type == BW_LWM2M_TYPE_INTEGER ? v->v.i : v->v.t;
        if (i < 0)
            return BW_ERANGE;
        *out = (uint64_t)i;
        return 0;
    default:
        return BW_ETYPE;
    }
}

/* Whether an integer of magnitude m survives a trip through a double. */
static bool u64_fits_double(uint64_t m)
{
    if (m <= DOUBLE_EXACT_INT)
        return true;
    /* Larger values are exact only when their odd part has <= 53 bits. */
    while ((m & 1u) == 0)
        m >>= 1;
    return m < DOUBLE_EXACT_INT;
}

int bw_lwm2m_value_get_float(const bw_lwm2m_value_t *v, double *out)
{
    uint64_t mag;
    int64_t i;
    switch (v->type) {
    case BW_LWM2M_TYPE_FLOAT:
        *out = v->v.f;
        return 0;
    case BW_LWM2M_TYPE_UNSIGNED:
        if (!u64_fits_double(v->v.u))
            return BW_ERANGE;
        *out = (double)v->v.u;
        return 0;
    case BW_LWM2M_TYPE_INTEGER:
    case BW_LWM2M_TYPE_TIME:
        i = v->type == BW_LWM2M_TYPE_INTEGER ? v->v.i : v->v.t;
        /* Magnitude without overflowing on INT64_MIN. */
        mag = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
        if (!u64_fits_double(mag))
            return BW_ERANGE;
        *out = (double)i;
        return 0;
    default:
        return BW_ETYPE;
    }
}

int bw_lwm2m_value_get_bool(const bw_lwm2m_value_t *v, bool *out)
{
    if (v->type != BW_LWM2M_TYPE_BOOLEAN)
        return BW_ETYPE;
    *out = v->v.b;
    return 0;
}

int bw_lwm2m_value_get_int_range(const bw_lwm2m_value_t *v, int64_t min,
                                 int64_t max, int64_t *out)
{
    int64_t i;
    int err = bw_lwm2m_value_get_int(v, &i);
    if (err != 0)
        return err;
    if (i < min || i > max)
        return BW_ERANGE;
    *out = i;
    return 0;
}

int bw_lwm2m_utf8_check(const uint8_t *s, size_t len)
{
    return bw__utf8_check(s, len);
}

size_t bw_lwm2m__fmt_u64(uint64_t v, char *out)
{
    char tmp[BW_LWM2M__U64_DIGITS];
    size_t n = 0;
    do {
        uint32_t digit;
        v = bw__u64_div(v, 10u, &digit); /* no 64-bit division routine */
        tmp[n++] = (char)('0' + digit);
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

size_t bw_lwm2m__fmt_objlnk(uint16_t oid, uint16_t iid, char *out)
{
    size_t n = bw_lwm2m__fmt_u64(oid, out);
    out[n++] = ':';
    return n + bw_lwm2m__fmt_u64(iid, out + n);
}

size_t bw_lwm2m__fmt_i64(int64_t v, char *out)
{
    if (v >= 0)
        return bw_lwm2m__fmt_u64((uint64_t)v, out);
    /* The magnitude in unsigned arithmetic: INT64_MIN has no positive. */
    out[0] = '-';
    return 1 + bw_lwm2m__fmt_u64((uint64_t)0 - (uint64_t)v, out + 1);
}

bw_lwm2m_type_t bw_lwm2m__type_of(const bw_lwm2m_sink_t *sink,
                                  const bw_lwm2m_path_t *path)
{
    if (sink->type_of == NULL)
        return BW_LWM2M_TYPE_NONE;
    bw_lwm2m_type_t t = sink->type_of(sink->ctx, path);
    /* An answer outside the enum is treated as "unknown". */
    if ((unsigned)t > (unsigned)BW_LWM2M_TYPE_CORELNK) /* negative too */
        return BW_LWM2M_TYPE_NONE;
    return t;
}

int bw_lwm2m__emit(const bw_lwm2m_sink_t *sink, const bw_lwm2m_record_t *rec)
{
    int rc = sink->record(sink->ctx, rec);
    if (rc > 0)
        return BW_EABORTED;
    return rc;
}

int bw_lwm2m__single_base(const bw_lwm2m_path_t *base)
{
    if (bw_lwm2m_path_check(base) != 0)
        return BW_EPATH;
    if (base->depth < BW_LWM2M_DEPTH_RESOURCE)
        return BW_EFORMAT;
    return 0;
}
