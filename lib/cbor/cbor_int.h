/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the files of lib/cbor and by nothing else: the
 * head decoder every reader path goes through (UTF-8 validation and the
 * float conversions are the common ones in lib/bw_utf8.h and
 * lib/bw_float.h).  Never included from outside the module.
 */
#ifndef BULWARK_CBOR_INT_H
#define BULWARK_CBOR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/cbor.h"
#include "bw_float.h"
#include "bw_utf8.h"

/* Major types (the top three bits of the initial byte). */
enum {
    BW_CBOR__MT_UINT = 0,
    BW_CBOR__MT_NINT = 1,
    BW_CBOR__MT_BYTES = 2,
    BW_CBOR__MT_TEXT = 3,
    BW_CBOR__MT_ARRAY = 4,
    BW_CBOR__MT_MAP = 5,
    BW_CBOR__MT_TAG = 6,
    BW_CBOR__MT_SIMPLE = 7,
};

/* Additional information values with a meaning of their own. */
enum {
    BW_CBOR__AI_1BYTE = 24,
    BW_CBOR__AI_2BYTES = 25,
    BW_CBOR__AI_4BYTES = 26,
    BW_CBOR__AI_8BYTES = 27,
    BW_CBOR__AI_INDEFINITE = 31,
    BW_CBOR__SIMPLE_FALSE = 20,
    BW_CBOR__SIMPLE_TRUE = 21,
    BW_CBOR__SIMPLE_NULL = 22,
    BW_CBOR__SIMPLE_UNDEFINED = 23,
};

/*
 * One decoded and checked item head.  For floats, arg holds the raw
 * IEEE 754 bits (16, 32 or 64 of them) and hlen includes them.
 */
typedef struct {
    bw_cbor_kind_t kind;
    uint8_t ai;   /* additional information, 0..27 once checked */
    uint8_t hlen; /* bytes of head: 1..BW_CBOR_MAX_HEAD_LEN */
    uint64_t arg; /* the argument as written */
    size_t body;  /* bytes after the head: string length, else 0 */
    size_t items; /* items that follow: array count, 2 * map pairs */
} bw_cbor__head_t;

/*
 * Decode the head at p[0..avail) and check it against avail: reserved
 * and indefinite forms, simple values, and string lengths and container
 * counts against the bytes left after the head (each item takes at least
 * one byte).  avail MUST be at least 1.
 * Returns 0, or BW_ETRUNC, BW_EMALFORMED, BW_EUNSUPPORTED, BW_EOVERFLOW.
 */
int bw_cbor__head(const uint8_t *p, size_t avail, bw_cbor__head_t *h);

#endif /* BULWARK_CBOR_INT_H */
