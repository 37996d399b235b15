/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Byte moves shared by every module of the core.  Internal: declared here
 * for lib/ only, never installed and never included by an application.
 *
 * The writers that reserve room for a header and shrink it afterwards
 * (TLV containers, the SenML CBOR array head) only ever move bytes
 * towards the start of a buffer.  A plain forward copy does that safely
 * even when the ranges overlap, and costs a few instructions where a
 * general memmove on a microcontroller's libc costs a few hundred bytes.
 */
#ifndef BW_MEM_H
#define BW_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Move n bytes from src to dst, which MUST NOT be above src (the ranges
 * may overlap).
 */
void bw__move_down(uint8_t *dst, const uint8_t *src, size_t n);

/*
 * The core's memcpy, memset(p, 0, n) and memcmp(...) == 0, as byte loops
 * of a few instructions each: newlib-nano's speed-tuned versions cost
 * 570 bytes together on a Cortex-M4, and the core only ever moves tens of
 * bytes at a time.  (The compiler may still call memcpy/memset for a
 * large struct assignment or initializer; the core avoids those too.)
 *
 * bw__copy: dst and src MUST NOT overlap (n may be 0, pointers then
 * unused).  bw__zero: n bytes at p to 0; bw__fill: to v.  bw__equal: true when
 * the n bytes are the same (not constant time: never for secrets).
 */
void bw__copy(void *dst, const void *src, size_t n);
void bw__zero(void *p, size_t n);
void bw__fill(void *p, uint8_t v, size_t n);
bool bw__equal(const void *a, const void *b, size_t n);

/*
 * Remove element i of an array of n elements of size bytes each: the
 * ones after it move down one place (the last slot keeps a stale copy).
 * The open loop "a[i] = a[i + 1]" over structs becomes a memmove call.
 */
void bw__remove_at(void *a, size_t i, size_t n, size_t size);

/*
 * Length of the NUL-terminated s, at most max (s MUST hold a NUL within
 * max bytes or max bytes).  A plain counting loop becomes a strlen call,
 * which is 220 bytes in newlib-nano.
 */
size_t bw__strnlen(const char *s, size_t max);

#endif /* BW_MEM_H */
