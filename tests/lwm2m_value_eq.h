/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Equality of two LwM2M values, for tests and fuzz targets alike (header
 * only and free of cmocka, because fuzz targets do not link the test
 * helpers).
 */
#ifndef BW_LWM2M_VALUE_EQ_H
#define BW_LWM2M_VALUE_EQ_H

#include <stdbool.h>
#include <string.h>

#include "bulwark/lwm2m.h"

/*
 * Same type and same content.  Numbers compare bit for bit (so -0.0 and
 * 0.0 differ), except that with nan_any every NaN equals every NaN, for
 * codecs that do not keep NaN payloads.
 */
static inline bool bw_test_value_equal(const bw_lwm2m_value_t *a,
                                       const bw_lwm2m_value_t *b, bool nan_any)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case BW_LWM2M_TYPE_NONE:
        return true;
    case BW_LWM2M_TYPE_INTEGER:
        return a->v.i == b->v.i;
    case BW_LWM2M_TYPE_TIME:
        return a->v.t == b->v.t;
    case BW_LWM2M_TYPE_UNSIGNED:
        return a->v.u == b->v.u;
    case BW_LWM2M_TYPE_FLOAT:
        if (nan_any && a->v.f != a->v.f)
            return b->v.f != b->v.f;
        return memcmp(&a->v.f, &b->v.f, sizeof(double)) == 0;
    case BW_LWM2M_TYPE_BOOLEAN:
        return a->v.b == b->v.b;
    case BW_LWM2M_TYPE_OBJLNK:
        return a->v.lnk.oid == b->v.lnk.oid && a->v.lnk.iid == b->v.lnk.iid;
    default: /* STRING, OPAQUE, CORELNK */
        return a->v.bytes.len == b->v.bytes.len &&
               (a->v.bytes.len == 0 ||
                memcmp(a->v.bytes.ptr, b->v.bytes.ptr, a->v.bytes.len) == 0);
    }
}

#endif /* BW_LWM2M_VALUE_EQ_H */
