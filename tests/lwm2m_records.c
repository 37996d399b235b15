/* SPDX-License-Identifier: Apache-2.0 */
#include "lwm2m_records.h"
#include "lwm2m_value_eq.h"

#include <string.h>

#include "testutil.h"

static bool has_bytes(bw_lwm2m_type_t t)
{
    return t == BW_LWM2M_TYPE_STRING || t == BW_LWM2M_TYPE_OPAQUE ||
           t == BW_LWM2M_TYPE_CORELNK;
}

/* Point v's bytes at a copy in dst (BW_RECS_BYTES_MAX bytes). */
static void copy_bytes(bw_lwm2m_value_t *v, uint8_t *dst)
{
    if (!has_bytes(v->type))
        return;
    assert_true(v->v.bytes.len <= BW_RECS_BYTES_MAX);
    if (v->v.bytes.len)
        memcpy(dst, v->v.bytes.ptr, v->v.bytes.len);
    v->v.bytes.ptr = dst;
}

int bw_recs_collect(void *ctx, const bw_lwm2m_record_t *r)
{
    bw_recs_t *g = ctx;
    assert_true(g->n < BW_RECS_MAX);
    g->rec[g->n] = *r;
    copy_bytes(&g->rec[g->n].value, g->bytes[g->n]);
    g->n++;
    return g->answer;
}

bw_lwm2m_type_t bw_recs_device_types(void *ctx, const bw_lwm2m_path_t *p)
{
    (void)ctx;
    if (p->id[0] != 3)
        return BW_LWM2M_TYPE_NONE;
    switch (p->id[2]) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 14:
    case 15:
    case 16:
        return BW_LWM2M_TYPE_STRING;
    case 13:
        return BW_LWM2M_TYPE_TIME;
    case 8:
        return BW_LWM2M_TYPE_UNSIGNED;
    case 20:
        return BW_LWM2M_TYPE_FLOAT;
    case 21:
        return BW_LWM2M_TYPE_OPAQUE;
    case 22:
        return BW_LWM2M_TYPE_OBJLNK;
    case 23:
        return BW_LWM2M_TYPE_BOOLEAN;
    case 24:
        return BW_LWM2M_TYPE_CORELNK;
    default:
        return BW_LWM2M_TYPE_INTEGER;
    }
}

bool bw_recs_value_equal(const bw_lwm2m_value_t *a, const bw_lwm2m_value_t *b)
{
    return bw_test_value_equal(a, b, false);
}

void bw_recs_assert_same(const bw_recs_t *a, const bw_recs_t *b)
{
    bw_recs_expect(a, b->rec, b->n);
}

void bw_recs_expect(const bw_recs_t *g, const bw_lwm2m_record_t *want, size_t n)
{
    assert_int_equal(g->n, n);
    for (size_t i = 0; i < n; i++) {
        if (!bw_lwm2m_path_equal(&g->rec[i].path, &want[i].path))
            fail_msg("record %zu: path differs", i);
        if (g->rec[i].value.type != want[i].value.type)
            fail_msg("record %zu: type %d, expected %d", i,
                     (int)g->rec[i].value.type, (int)want[i].value.type);
        if (!bw_recs_value_equal(&g->rec[i].value, &want[i].value))
            fail_msg("record %zu: value differs", i);
    }
}

int bw_recs_collect_raw(void *ctx, const bw_lwm2m_senml_rec_t *r)
{
    bw_recs_raw_t *g = ctx;
    assert_true(g->n < BW_RECS_MAX);
    assert_true(r->name_len <= sizeof g->name[0]);
    if (r->name_len)
        memcpy(g->name[g->n], r->name, r->name_len);
    g->rec[g->n] = *r;
    g->rec[g->n].name = g->name[g->n];
    copy_bytes(&g->rec[g->n].value, g->bytes[g->n]);
    g->n++;
    return 0;
}
