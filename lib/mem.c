/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forward byte move (see bw_mem.h): with dst at or below src, every byte
 * is read before the copy can overwrite it.
 */
#include "bw_mem.h"

void bw__move_down(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}
