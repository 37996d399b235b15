/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the block-wise files (coap_block.c, coap_block1.c,
 * coap_block2.c): the one path that sends a block of a body read through a
 * callback, shared by the Block1 client (request bodies) and the Block2
 * server (response bodies), whose send steps are the same.
 */
#ifndef BW_COAP_BLOCK_INT_H
#define BW_COAP_BLOCK_INT_H

#include "bulwark/coap_block.h"

#define BW_COAP__SZX_SHIFT 4 /* block size is 1 << (SZX + 4) */

/* Offset of block num at size szx. */
#define BW_COAP__BLOCK_OFF(num, szx)                                           \
    ((uint32_t)(num) << ((szx) + BW_COAP__SZX_SHIFT))

/*
 * One block to send.  In: read, arg, total (or BW_COAP_BLOCK_SIZE_UNKNOWN)
 * describe the body; off is where the block starts, a multiple of the
 * block size 1 << (szx + 4); opt is BW_COAP_OPT_BLOCK1 or _BLOCK2; size_opt
 * asks for the size option (Size1 / Size2) on a block other than the first.
 * Out: len bytes went into the payload, more says whether the body goes on.
 */
typedef struct {
    bw_coap_block_read_fn read;
    void *arg;
    uint32_t total;
    uint32_t off;
    uint8_t szx;
    uint8_t opt;
    uint8_t size_opt;
    uint8_t more;
    size_t len;
} bw_coap__block_put_t;

/*
 * Read the block j describes into scratch (at least the block size) and
 * write the Block option, the size option when the total is known and the
 * block is the first (or j->size_opt), and the payload into w.  A known
 * total is never read past; a callback may return fewer bytes than asked
 * only on the last block.  Errors, nothing written:
 *   BW_ERANGE    the block number does not fit the option, or the block
 *                starts past the end of the body (for Block2 also an
 *                empty last block at a nonzero offset of a body of
 *                unknown size)
 *   BW_EABORTED  the callback failed or broke its contract
 */
int bw_coap__block_put(bw_coap__block_put_t *j, bw_coap_writer_t *w,
                       uint8_t *scratch);

#endif
