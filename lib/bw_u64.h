/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 64-bit division by a small divisor, shared by every module of the core
 * (decimal printing, CoAP's millisecond arithmetic).  Internal: declared
 * here for lib/ only, never installed and never included by an
 * application.
 *
 * A 32-bit microcontroller divides 32-bit numbers in hardware, but C's
 * 64-bit '/' and '%' call the compiler's general 64 by 64 bit routine,
 * which is large.  Dividing by a divisor below 2^16 needs only 32-bit
 * steps: the dividend is taken 16 bits at a time, most significant first,
 * and each partial remainder (below the divisor) shifted up by 16 bits
 * still fits in 32.
 */
#ifndef BW_U64_H
#define BW_U64_H

#include <stdint.h>

/*
 * v / d, with v % d in *rem when rem is not NULL.  d MUST be 1..65535.
 */
uint64_t bw__u64_div(uint64_t v, uint32_t d, uint32_t *rem);

/*
 * The next number of the SplitMix64 generator whose state is *state (the
 * state advances).  Not for secrets: it spreads retry times and picks
 * CoAP message IDs and tokens.  One copy for the CoAP endpoint and the
 * LwM2M client.
 */
uint64_t bw__splitmix64(uint64_t *state);

#endif /* BW_U64_H */
