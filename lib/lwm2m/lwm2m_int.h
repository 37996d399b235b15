/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the files of lib/lwm2m; never included from
 * outside the module.
 */
#ifndef BW_LWM2M_INT_H
#define BW_LWM2M_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/lwm2m.h"

/* Longest decimal uint64 ("18446744073709551615"). */
#define BW_LWM2M__U64_DIGITS 20

/*
 * Canonical decimal (no sign, no leading zero, "0" alone is fine) of at
 * most five digits, at most max.  Returns 0, BW_EMALFORMED or BW_ERANGE.
 */
int bw_lwm2m__dec_u16(const char *s, size_t len, uint32_t max, uint16_t *out);

/* Write v in decimal into out (room for BW_LWM2M__U64_DIGITS); returns n. */
size_t bw_lwm2m__fmt_u64(uint64_t v, char *out);

/* sink->type_of(path), or NONE without one. */
bw_lwm2m_type_t bw_lwm2m__type_of(const bw_lwm2m_sink_t *sink,
                                  const bw_lwm2m_path_t *path);

/* Hand a record to the sink: 0, the callback's negative code, or
 * BW_EABORTED for a positive one. */
int bw_lwm2m__emit(const bw_lwm2m_sink_t *sink, const bw_lwm2m_record_t *rec);

/*
 * Check a base path for the single-value formats (text, opaque): 0,
 * BW_EPATH when invalid, BW_EFORMAT when not a resource or resource
 * instance.
 */
int bw_lwm2m__single_base(const bw_lwm2m_path_t *base);

#endif /* BW_LWM2M_INT_H */
