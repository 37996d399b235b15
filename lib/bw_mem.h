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

#include <stddef.h>
#include <stdint.h>

/*
 * Move n bytes from src to dst, which MUST NOT be above src (the ranges
 * may overlap).
 */
void bw__move_down(uint8_t *dst, const uint8_t *src, size_t n);

#endif /* BW_MEM_H */
