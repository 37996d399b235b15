/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the files of lib/objects; never included from
 * outside the module.  Small pieces every object needs: instance and
 * resource-instance lists, string values, change reports.
 */
#ifndef BW_OBJECTS_INT_H
#define BW_OBJECTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/lwm2m_objects.h"

/* Resource ids of an object's single instance (/O/0). */
#define BW_OBJECTS__INST 0u

/*
 * ids 0 .. count-1 into ids (cap entries): the list of a single-instance
 * object (count 1) or of a multiple resource.  Returns 0 or BW_ENOSPC.
 */
int bw_objects__list_seq(uint16_t *ids, size_t cap, size_t *n, size_t count);

/* Length of a NUL-terminated string. */
size_t bw_objects__strlen(const char *s);

/* *v = the string s; BW_ENOTFOUND (the resource is absent) for NULL. */
int bw_objects__str(bw_lwm2m_value_t *v, const char *s);

/*
 * Copy a STRING value into dst (room for max bytes and a NUL).  Returns 0,
 * BW_ETYPE (not a string), BW_ERANGE (longer than max), BW_EMALFORMED (it
 * holds a NUL byte).  dst is unchanged on failure.
 */
int bw_objects__put_str(char *dst, size_t max, const bw_lwm2m_value_t *v);

/* Tell the application /oid/inst/res changed (res BW_LWM2M_ID_NONE: the
 * instance).  changed may be NULL. */
void bw_objects__changed(bw_lwm2m_changed_fn changed, void *app, uint16_t oid,
                         uint16_t inst, uint16_t res);

/* v - v is 0 exactly for finite v (NaN and infinities give NaN). */
static inline int bw_objects__finite(double v)
{
    return v - v == 0.0;
}

#endif /* BW_OBJECTS_INT_H */
