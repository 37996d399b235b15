/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed readers for CoRE Link Format attribute values (integers, decimals,
 * versions) and the LwM2M 1.1 attribute set built on them.  The parser
 * that produces the attribute views lives in coap_link.c; the accepted
 * syntax of each type is written out in include/bulwark/coap_link.h.
 *
 * Readers are strict on purpose: a value that is not exactly of its type
 * is refused rather than read up to the first odd byte, because a
 * half-read pmin or ssid would be silently wrong.
 */
#include "bulwark/coap_link.h"

#include <stddef.h>
#include <string.h>

#include "bw_mem.h"

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The text a typed reader works on: a token or an unescaped quote. */
static int value_text(const bw_coap_link_attr_t *attr, const char **s,
                      size_t *n)
{
    if (attr->kind == BW_COAP_LINK_BARE)
        return BW_ETYPE;
    if (attr->kind == BW_COAP_LINK_QUOTED && attr->escaped)
        return BW_EMALFORMED;
    *s = attr->value;
    *n = attr->value_len;
    return 0;
}

/* 1*DIGIT in [s, s+n) to a uint32 no larger than max. */
static int digits_uint(const char *s, size_t n, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;

    if (n == 0)
        return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return BW_EMALFORMED;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > max)
            return BW_ERANGE;
    }
    *out = (uint32_t)v;
    return 0;
}

int bw_coap_link_attr_uint(const bw_coap_link_attr_t *attr, uint32_t max,
                           uint32_t *out)
{
    const char *s;
    size_t n;
    int err;

    if (out != NULL)
        *out = 0;
    if (attr == NULL || out == NULL)
        return BW_EINVAL;
    err = value_text(attr, &s, &n);
    if (err != 0)
        return err;
    return digits_uint(s, n, max, out);
}

int bw_coap_link_attr_decimal(const bw_coap_link_attr_t *attr, double *out)
{
    const char *s;
    size_t n, i = 0, int_end, frac_digits = 0, significant = 0;
    uint64_t mant = 0;
    int neg = 0, err;
    double scale = 1.0, v;

    if (out != NULL)
        *out = 0.0;
    if (attr == NULL || out == NULL)
        return BW_EINVAL;
    err = value_text(attr, &s, &n);
    if (err != 0)
        return err;
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    while (i < n && is_digit((unsigned char)s[i]))
        i++;
    int_end = i;
    if (int_end == (size_t)neg)
        return BW_EMALFORMED;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit((unsigned char)s[i])) {
            i++;
            frac_digits++;
        }
        if (frac_digits == 0)
            return BW_EMALFORMED;
    }
    if (i != n)
        return BW_EMALFORMED;
    /* Accumulate every digit; leading zeros of the integer part are not
     * significant, fraction digits always are (they set the scale). */
    for (i = (size_t)neg; i < n; i++) {
        if (s[i] == '.')
            continue;
        if (mant == 0 && i < int_end && s[i] == '0')
            continue;
        if (++significant > BW_COAP_LINK_MAX_DECIMAL_DIGITS)
            return BW_ERANGE;
        mant = mant * 10 + (uint64_t)(s[i] - '0');
    }
    for (i = 0; i < frac_digits; i++)
        scale *= 10.0; /* exact: frac_digits <= 18 < 23 */
    v = (double)mant / scale;
    *out = neg ? -v : v;
    return 0;
}

int bw_coap_link_attr_version(const bw_coap_link_attr_t *attr, uint8_t *major,
                              uint8_t *minor)
{
    const char *s, *dot;
    size_t n;
    uint32_t a, b;
    int err;

    if (major != NULL)
        *major = 0;
    if (minor != NULL)
        *minor = 0;
    if (attr == NULL || major == NULL || minor == NULL)
        return BW_EINVAL;
    err = value_text(attr, &s, &n);
    if (err != 0)
        return err;
    dot = memchr(s, '.', n);
    if (dot == NULL)
        return BW_EMALFORMED;
    err = digits_uint(s, (size_t)(dot - s), UINT8_MAX, &a);
    if (err == 0)
        err = digits_uint(dot + 1, n - (size_t)(dot - s) - 1, UINT8_MAX, &b);
    if (err != 0)
        return err;
    *major = (uint8_t)a;
    *minor = (uint8_t)b;
    return 0;
}

/* ---- LwM2M attributes ------------------------------------------------- */

/* How to read each attribute bw_coap_link_lwm2m() knows, and where its
 * value goes: an ordered table rather than a chain of string compares. */
enum { RD_UINT, RD_DECIMAL, RD_VERSION, RD_STRING, RD_FLAG };

#define FIELD(f) offsetof(bw_coap_link_lwm2m_t, f)
static const struct {
    const char *name;
    uint32_t bit;
    uint8_t reader;
    size_t field;
    uint32_t min, max; /* for RD_UINT */
} lwm2m_attrs[] = {
    {"ssid", BW_COAP_LINK_HAS_SSID, RD_UINT, FIELD(ssid), BW_COAP_LINK_SSID_MIN,
     BW_COAP_LINK_SSID_MAX},
    {"ver", BW_COAP_LINK_HAS_VER, RD_VERSION, FIELD(ver), 0, 0},
    {"lwm2m", BW_COAP_LINK_HAS_LWM2M, RD_VERSION, FIELD(lwm2m), 0, 0},
    {"dim", BW_COAP_LINK_HAS_DIM, RD_UINT, FIELD(dim), 0, BW_COAP_LINK_DIM_MAX},
    {"uri", BW_COAP_LINK_HAS_URI, RD_STRING, FIELD(uri), 0, 0},
    {"pmin", BW_COAP_LINK_HAS_PMIN, RD_UINT, FIELD(pmin), 0, UINT32_MAX},
    {"pmax", BW_COAP_LINK_HAS_PMAX, RD_UINT, FIELD(pmax), 0, UINT32_MAX},
    {"gt", BW_COAP_LINK_HAS_GT, RD_DECIMAL, FIELD(gt), 0, 0},
    {"lt", BW_COAP_LINK_HAS_LT, RD_DECIMAL, FIELD(lt), 0, 0},
    {"st", BW_COAP_LINK_HAS_ST, RD_DECIMAL, FIELD(st), 0, 0},
    {"epmin", BW_COAP_LINK_HAS_EPMIN, RD_UINT, FIELD(epmin), 0, UINT32_MAX},
    {"epmax", BW_COAP_LINK_HAS_EPMAX, RD_UINT, FIELD(epmax), 0, UINT32_MAX},
    {"ct", BW_COAP_LINK_HAS_CT, RD_UINT, FIELD(ct), 0, UINT16_MAX},
    {"rt", BW_COAP_LINK_HAS_RT, RD_STRING, FIELD(rt), 0, 0},
    {"obs", BW_COAP_LINK_HAS_OBS, RD_FLAG, 0, 0, 0},
};
#undef FIELD

/* Read attr as table entry k says and store it; 0 or the reader's error. */
static int lwm2m_read(size_t k, const bw_coap_link_attr_t *attr,
                      bw_coap_link_lwm2m_t *out)
{
    unsigned char *field = (unsigned char *)out + lwm2m_attrs[k].field;
    uint32_t u = 0;
    double d = 0.0;
    uint8_t ver[2] = {0, 0};
    int err = 0;

    switch (lwm2m_attrs[k].reader) {
    case RD_UINT:
        err = bw_coap_link_attr_uint(attr, lwm2m_attrs[k].max, &u);
        if (err == 0 && u < lwm2m_attrs[k].min)
            err = BW_ERANGE;
        if (err == 0)
            bw__copy(field, &u, sizeof u);
        break;
    case RD_DECIMAL:
        err = bw_coap_link_attr_decimal(attr, &d);
        /* A step is a distance: it cannot be negative. */
        if (err == 0 && lwm2m_attrs[k].bit == BW_COAP_LINK_HAS_ST && d < 0)
            err = BW_ERANGE;
        if (err == 0)
            bw__copy(field, &d, sizeof d);
        break;
    case RD_VERSION:
        err = bw_coap_link_attr_version(attr, &ver[0], &ver[1]);
        if (err == 0)
            bw__copy(field, ver, sizeof ver);
        break;
    case RD_STRING:
        if (attr->kind == BW_COAP_LINK_BARE)
            err = BW_ETYPE;
        else
            bw__copy(field, attr, sizeof *attr);
        break;
    default: /* RD_FLAG */
        if (attr->kind != BW_COAP_LINK_BARE)
            err = BW_ETYPE;
        break;
    }
    return err;
}

int bw_coap_link_lwm2m(const bw_coap_link_t *link, bw_coap_link_lwm2m_t *out)
{
    bw_coap_link_attr_iter_t it;
    bw_coap_link_attr_t attr;

    if (out != NULL)
        bw__zero(out, sizeof *out);
    if (link == NULL || out == NULL)
        return BW_EINVAL;
    bw_coap_link_attr_iter_init(&it, link);
    while (bw_coap_link_attr_next(&it, &attr)) {
        for (size_t k = 0; k < sizeof lwm2m_attrs / sizeof lwm2m_attrs[0];
             k++) {
            int err;
            if (!bw_coap_link_attr_is(&attr, lwm2m_attrs[k].name))
                continue;
            err = (out->has & lwm2m_attrs[k].bit) ? BW_EDUPKEY
                                                  : lwm2m_read(k, &attr, out);
            if (err != 0) {
                bw__zero(out, sizeof *out);
                return err;
            }
            out->has |= lwm2m_attrs[k].bit;
            break;
        }
    }
    return 0;
}
