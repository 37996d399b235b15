/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the standard objects (objects_int.h).
 */
#include "bw_mem.h"
#include "objects_int.h"

int bw_objects__list_seq(uint16_t *ids, size_t cap, size_t *n, size_t count)
{
    *n = 0;
    if (count > cap)
        return BW_ENOSPC;
    for (size_t i = 0; i < count; i++)
        ids[i] = (uint16_t)i;
    *n = count;
    return 0;
}

size_t bw_objects__strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

int bw_objects__str(bw_lwm2m_value_t *v, const char *s)
{
    if (s == NULL)
        return BW_ENOTFOUND;
    *v = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, s, bw_objects__strlen(s));
    return 0;
}

int bw_objects__put_str(char *dst, size_t max, const bw_lwm2m_value_t *v)
{
    if (v->type != BW_LWM2M_TYPE_STRING)
        return BW_ETYPE;
    if (v->v.bytes.len > max)
        return BW_ERANGE;
    for (size_t i = 0; i < v->v.bytes.len; i++)
        if (v->v.bytes.ptr[i] == 0)
            return BW_EMALFORMED; /* a NUL would cut the stored string */
    bw__copy(dst, v->v.bytes.ptr, v->v.bytes.len);
    dst[v->v.bytes.len] = '\0';
    return 0;
}

void bw_objects__changed(bw_lwm2m_changed_fn changed, void *app, uint16_t oid,
                         uint16_t inst, uint16_t res)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(oid, inst, res);
    if (changed == NULL)
        return;
    if (res == BW_LWM2M_ID_NONE)
        bw_lwm2m_path_pop(&p);
    changed(app, &p);
}
