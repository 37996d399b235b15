/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Byte loops (see bw_mem.h).  The forward move: with dst at or below
 * src, every byte is read before the copy can overwrite it.
 */
#include "bw_mem.h"

void bw__move_down(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

void bw__copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}

void bw__fill(void *p, uint8_t v, size_t n)
{
    /* volatile: a plain loop is turned back into a call to memset. */
    volatile uint8_t *d = p;
    for (size_t i = 0; i < n; i++)
        d[i] = v;
}

void bw__zero(void *p, size_t n)
{
    bw__fill(p, 0, n);
}

void bw__remove_at(void *a, size_t i, size_t n, size_t size)
{
    uint8_t *p = (uint8_t *)a + i * size;
    if (i + 1 < n)
        bw__move_down(p, p + size, (n - i - 1) * size);
}

size_t bw__strnlen(const char *s, size_t max)
{
    /* Bounded: not recognised as strlen. */
    size_t n = 0;
    while (n < max && s[n] != '\0')
        n++;
    return n;
}

bool bw__equal(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return false;
    return true;
}
