/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The 64-entry anti-replay window of RFC 6347 4.1.2.6, on plain integers.
 *
 *   top - 64                       top - 1    top
 *   ... | bit 63 | ... | bit 1 | bit 0 |      (next new number and above)
 *
 * Everything at or above top is new.  Below it, bit (top - 1 - seq) tells
 * whether seq was accepted; further left than 64 is stale and refused,
 * since we can no longer tell.  Sequence numbers are 48 bits, so top fits
 * in 64 bits without wrapping even after BW_DTLS_SEQ_MAX.
 */
#include "dtls_record.h"

int bw_dtls_replay_check(const bw_dtls_replay_t *w, uint64_t seq)
{
    if (seq >= w->top)
        return 0;
    uint64_t back = w->top - 1 - seq;
    if (back >= BW_DTLS_REPLAY_WINDOW)
        return BW_ESTALE;
    if ((w->bitmap >> back) & 1u)
        return BW_EREPLAY;
    return 0;
}

void bw_dtls_replay_update(bw_dtls_replay_t *w, uint64_t seq)
{
    if (seq >= w->top) {
        uint64_t shift = seq + 1 - w->top;
        /* A shift by 64 or more is undefined in C: the whole window is
         * behind us then, so start from an empty one. */
        w->bitmap = shift >= BW_DTLS_REPLAY_WINDOW ? 0 : w->bitmap << shift;
        w->bitmap |= 1u;
        w->top = seq + 1;
        return;
    }
    uint64_t back = w->top - 1 - seq;
    if (back < BW_DTLS_REPLAY_WINDOW)
        w->bitmap |= UINT64_C(1) << back;
}
