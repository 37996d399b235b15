/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resource table of an object: a lookup by resource id.  Tables are
 * sorted by id (bw_lwm2m_dm_add() checks), so a binary search finds a
 * row in a handful of steps even for the Device object's twenty-odd.
 */
#include "bulwark/lwm2m_object.h"

const bw_lwm2m_res_def_t *bw_lwm2m_object_res(const bw_lwm2m_object_t *o,
                                              uint16_t id)
{
    if (o == NULL || o->res == NULL)
        return NULL;
    size_t lo = 0, hi = o->nres;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->res[mid].id == id)
            return &o->res[mid];
        if (o->res[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
