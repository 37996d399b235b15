/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 64-bit division by a divisor below 2^16 in 32-bit steps (see
 * bw_u64.h): schoolbook long division in base 2^16; and the SplitMix64
 * generator the CoAP endpoint and the LwM2M client share.
 */
#include "bw_u64.h"

uint64_t bw__u64_div(uint64_t v, uint32_t d, uint32_t *rem)
{
    uint64_t q = 0;
    uint32_t r = 0;
    for (int shift = 48; shift >= 0; shift -= 16) {
        /* r < d <= 0xffff, so this is below 2^32. */
        uint32_t cur = r << 16 | ((uint32_t)(v >> shift) & 0xffffu);
        q = q << 16 | cur / d;
        r = cur % d;
    }
    if (rem)
        *rem = r;
    return q;
}

uint64_t bw__splitmix64(uint64_t *state)
{
    uint64_t z;
    *state += 0x9e3779b97f4a7c15u;
    z = *state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
