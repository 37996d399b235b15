/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block-wise transfer for CoAP (RFC 7959): moving a body larger than one
 * datagram as a sequence of blocks, without ever holding the whole body.
 *
 * This header owns the Block1/Block2 option value codec and four small
 * streaming helpers, one per role:
 *
 *   Block2 server   serves a resource block by block from a read callback
 *   Block2 client   downloads one, handing each block to a sink callback
 *   Block1 client   uploads a body block by block from a read callback
 *   Block1 server   receives one into a sink callback
 *
 * Each helper looks at one parsed message (bw_coap_msg_t) and writes the
 * options (and payload) of the next one through the coap.h writer.  What
 * they must never do: send or receive (the message layer and the
 * application do that), allocate, or hold more than one block: bytes flow
 * from the read callback through a caller's scratch buffer into the
 * datagram, and from the datagram straight into the sink.  So a 1 MiB
 * transfer needs one block of RAM, not 1 MiB.
 *
 * Option order.  The writer takes options in ascending number order, so
 * these helpers add theirs at a fixed point: the caller adds every option
 * numbered below Block2 (23) or Block1 (27) first, then calls the helper,
 * which adds its block option, Size2 (28) or Size1 (60) and, where it says
 * so, the payload.  The caller adds nothing numbered lower afterwards.
 */
#ifndef BULWARK_COAP_BLOCK_H
#define BULWARK_COAP_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap.h"
#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Block option value (RFC 7959 section 2.2): an unsigned integer of 0 to 3
 * bytes, big endian, read as
 *
 *     MSB                                   LSB
 *    +------------------------------+---+-------+
 *    |             NUM              | M |  SZX  |
 *    +------------------------------+---+-------+
 *      4, 12 or 20 bits             1 bit 3 bits
 *
 * NUM   block number, counted in blocks of the size SZX gives;
 * M     more blocks follow (Block1 in a request, Block2 in a response);
 * SZX   block size 2^(SZX + 4): 0 = 16 bytes .. 6 = 1024 bytes; 7 is
 *       reserved (BERT, CoAP over TCP only) and refused here.
 *
 * So the byte offset of a block is NUM << (SZX + 4).
 */
#define BW_COAP_BLOCK_MAX_VALUE_LEN 3
#define BW_COAP_BLOCK_MAX_NUM       0xfffffu /* 20 bits: the 3-byte value */
#define BW_COAP_BLOCK_MAX_SZX       6        /* 1024 bytes; 7 is BERT */
#define BW_COAP_BLOCK_MIN_SIZE      16u
#define BW_COAP_BLOCK_MAX_SIZE      1024u

/* Block size for a valid SZX. */
#define BW_COAP_BLOCK_SIZE(szx) (BW_COAP_BLOCK_MIN_SIZE << (szx))

/* A total size that is not known in advance (for the *_init calls). */
#define BW_COAP_BLOCK_SIZE_UNKNOWN UINT32_MAX

/* An ETag is 1..8 bytes (RFC 7252 section 5.10.6). */
#define BW_COAP_BLOCK_MAX_ETAG_LEN 8

/* A decoded Block1 or Block2 option. */
typedef struct {
    uint32_t num;
    uint8_t more; /* 0 or 1 */
    uint8_t szx;  /* 0 .. BW_COAP_BLOCK_MAX_SZX */
} bw_coap_block_t;

/*
 * Decode an option value.  Leading zero bytes are accepted; an empty value
 * is NUM 0, M 0, SZX 0.  b is zeroed on failure.
 * Returns 0, or BW_EOVERFLOW (more than 3 bytes), BW_EBLOCK (SZX 7),
 * BW_EINVAL (b NULL, or val NULL with len > 0).
 */
int bw_coap_block_decode(const uint8_t *val, size_t len, bw_coap_block_t *b);

/*
 * Encode b as an option value in its shortest form into out (3 bytes);
 * *len gets 0..3.  Returns 0, or BW_EINVAL (NUM > BW_COAP_BLOCK_MAX_NUM,
 * M > 1, SZX > 6, NULL pointers); *len is then 0.
 */
int bw_coap_block_encode(const bw_coap_block_t *b,
                         uint8_t out[BW_COAP_BLOCK_MAX_VALUE_LEN], size_t *len);

/*
 * Find and decode option number (BW_COAP_OPT_BLOCK1 or _BLOCK2) in msg.
 * Returns 0, BW_ENOTFOUND, or the errors of bw_coap_block_decode(); b is
 * zeroed unless 0 is returned.  BW_EINVAL for another option number.
 */
int bw_coap_block_get(const bw_coap_msg_t *msg, uint16_t number,
                      bw_coap_block_t *b);

/*
 * Add option number (Block1 or Block2) with value b to w.  Returns 0, or
 * BW_EINVAL (b invalid as for encode, another number, NULL) without
 * touching w; writer errors stay in w, sticky, for bw_coap_writer_finish().
 */
int bw_coap_block_add(bw_coap_writer_t *w, uint16_t number,
                      const bw_coap_block_t *b);

/*
 * SZX of a block size (16, 32, .. 1024).  Returns 0, or BW_EINVAL for any
 * other size.
 */
int bw_coap_block_szx(size_t size, uint8_t *szx);

/*
 * Largest SZX whose block fits in cap bytes (6 for 1024 or more).
 * Returns it (0..6), or BW_EINVAL when cap is under 16 bytes.
 */
int bw_coap_block_szx_fit(size_t cap);

/*
 * Callbacks.  Both return 0, or anything else to stop the transfer, which
 * is then reported as BW_EABORTED.
 *
 * read:  copy up to len bytes of the body, starting at byte offset, into
 *        buf; set *got to the number copied and *more to 1 when bytes
 *        exist past offset + *got, else 0.  When *more is 1, *got MUST be
 *        len.  For a body of known total size, *more is ignored and *got
 *        MUST be len (the helper never asks past the end).
 * write: take len bytes of the body that start at byte offset.  Offsets
 *        arrive in increasing order without gaps.
 */
typedef int (*bw_coap_block_read_fn)(void *arg, uint32_t offset, uint8_t *buf,
                                     size_t len, size_t *got, int *more);
typedef int (*bw_coap_block_write_fn)(void *arg, uint32_t offset,
                                      const uint8_t *data, size_t len);

/* ------------------------------------------------------------------------
 * Block2 server: answer GET (or FETCH) requests for a resource one block
 * at a time.  Stateless between requests (every request names its block),
 * so one context serves any number of clients.
 */
typedef struct {
    bw_coap_block_read_fn read;
    void *arg;
    uint32_t total; /* or BW_COAP_BLOCK_SIZE_UNKNOWN */
    uint8_t max_szx;
} bw_coap_block2_server_t;

/*
 * max_szx: largest block this server sends (0..6).
 * total:   body size in bytes, or BW_COAP_BLOCK_SIZE_UNKNOWN (then the end
 *          is found through the read callback's *more).
 * Returns 0, or BW_EINVAL (NULL, max_szx > 6); s is then zeroed.
 */
int bw_coap_block2_server_init(bw_coap_block2_server_t *s, uint8_t max_szx,
                               uint32_t total, bw_coap_block_read_fn read,
                               void *arg);

/*
 * Answer req: add Block2 (and Size2, when the total is known and this is
 * block 0 or the request carried Size2) and the block's payload to w,
 * which the caller initialised with the response header (2.05 Content)
 * and options numbered below 23.
 *
 * The block size is the smallest of the client's (late negotiation: a
 * client asking for less gets less), max_szx, and what fits scratch; when
 * it is smaller than the client asked for, NUM is scaled so the block
 * still starts at the offset the client asked for (RFC 7959 section 2.4).
 * No Block2 in req means block 0.
 *
 * scratch: at least 16 bytes, holding one block on its way from the read
 *          callback into w.
 * Returns 0, or (w untouched in every case)
 *   BW_EBLOCK, BW_EOVERFLOW   req's Block2 is malformed: answer 4.02;
 *   BW_ERANGE                 the block starts past the end of the body,
 *                             or cannot be numbered at the chosen size:
 *                             answer 4.02 Bad Option;
 *   BW_EABORTED               the read callback failed or broke its
 *                             contract: answer 5.00;
 *   BW_EINVAL                 NULL pointers, scratch under 16 bytes.
 */
int bw_coap_block2_server_respond(const bw_coap_block2_server_t *s,
                                  const bw_coap_msg_t *req, bw_coap_writer_t *w,
                                  uint8_t *scratch, size_t scratch_len);

/* ------------------------------------------------------------------------
 * Block2 client: download a resource into a sink.
 *
 *   init -> loop { build request (options < 23), _request(), send;
 *                  on response: _response() } until *done.
 *
 * It checks that each response carries the block it asked for (same
 * offset, same or smaller size, full unless last, same ETag), hands the
 * payload to the sink at its offset, and asks for the next.  It can start
 * at any byte offset, so an interrupted download resumes where
 * bw_coap_block2_client_offset() says it stopped.
 */
typedef struct {
    bw_coap_block_write_fn sink;
    void *arg;
    uint32_t start;  /* first byte wanted */
    uint32_t offset; /* offset of the block asked for next */
    uint32_t prev;   /* offset of the block accepted last */
    uint32_t size2;  /* last Size2 seen, or BW_COAP_BLOCK_SIZE_UNKNOWN */
    uint8_t szx;     /* size asked for next */
    uint8_t state;   /* see coap_block2.c */
    uint8_t etag_len;
    uint8_t etag[BW_COAP_BLOCK_MAX_ETAG_LEN];
    int err; /* sticky */
} bw_coap_block2_client_t;

/*
 * szx:   preferred block size (early negotiation); the server may lower it.
 * start: byte offset to start at (0, or where a previous attempt stopped);
 *        the first block asked for is the one containing it and the sink
 *        gets bytes from start on.
 * Returns 0, or BW_EINVAL (NULL, szx > 6); c is then zeroed.
 */
int bw_coap_block2_client_init(bw_coap_block2_client_t *c, uint8_t szx,
                               uint32_t start, bw_coap_block_write_fn sink,
                               void *arg);

/*
 * Add the Block2 option asking for the next block to w.
 * Returns 0, or the sticky error, BW_ESTATE (the transfer is over),
 * BW_ERANGE (the block number would pass BW_COAP_BLOCK_MAX_NUM at this
 * size; sticky), BW_EINVAL (NULL).
 */
int bw_coap_block2_client_request(bw_coap_block2_client_t *c,
                                  bw_coap_writer_t *w);

/*
 * Take the response to the last request.  *done becomes 1 when the
 * transfer is over: the last block arrived, or the response was not a
 * 2.xx (then nothing is delivered and the caller reads the code).
 * Returns 0, or
 *   BW_ESTALE     the block accepted last came again: ignored, ask again;
 *   BW_EBLOCK     a block other than the one asked for, a larger block
 *                 than asked for, a short block with M set, a body that
 *                 changed during the download (the ETag differs from the
 *                 first response's: other bytes, added or dropped), or no
 *                 Block2 in a later response;
 *   BW_EOPTION    an ETag not 1..8 bytes long;
 *   BW_EOVERFLOW  a Block2 or Size2 option longer than allowed;
 *   BW_EABORTED   the sink failed;
 *   BW_ESTATE     the transfer is already over;
 *   BW_EINVAL     NULL pointers.
 * BW_EBLOCK, BW_EOPTION, BW_EOVERFLOW and BW_EABORTED are sticky: the transfer
 * is dead; resume it with a new context from bw_coap_block2_client_offset().
 */
int bw_coap_block2_client_response(bw_coap_block2_client_t *c,
                                   const bw_coap_msg_t *rsp, int *done);

/* Bytes of the body delivered so far end here: the offset to resume at. */
uint32_t bw_coap_block2_client_offset(const bw_coap_block2_client_t *c);

/* Total size announced by the server (Size2), or BW_COAP_BLOCK_SIZE_UNKNOWN. */
uint32_t bw_coap_block2_client_size(const bw_coap_block2_client_t *c);

/* ------------------------------------------------------------------------
 * Block1 client: upload a body (PUT/POST) from a read callback.
 *
 *   init -> loop { build request (options < 27), _request(), send;
 *                  on response: _response() } until *done.
 *
 * It follows the server: 2.31 Continue moves on (at the server's smaller
 * block size if it asks for one, renumbering the blocks so the offset
 * stays right); 4.13 Request Entity Too Large with a smaller Block1 size
 * restarts at block 0 with that size, and with a Size1 below the body size
 * gives up.
 */
typedef struct {
    bw_coap_block_read_fn source;
    void *arg;
    uint32_t total;   /* or BW_COAP_BLOCK_SIZE_UNKNOWN */
    uint32_t offset;  /* start of the current block */
    uint32_t size1;   /* Size1 from a 4.13, or BW_COAP_BLOCK_SIZE_UNKNOWN */
    uint16_t cur_len; /* bytes in the current block, once built */
    uint8_t cur_more; /* the current block is not the last */
    uint8_t szx;
    uint8_t state; /* see coap_block1.c */
    int err;       /* sticky */
} bw_coap_block1_client_t;

/*
 * szx:   preferred block size; total: body size or
 *        BW_COAP_BLOCK_SIZE_UNKNOWN (sent as Size1 on block 0 when known).
 * Returns 0, or BW_EINVAL (NULL, szx > 6); c is then zeroed.
 */
int bw_coap_block1_client_init(bw_coap_block1_client_t *c, uint8_t szx,
                               uint32_t total, bw_coap_block_read_fn source,
                               void *arg);

/*
 * Add Block1 (and Size1 on block 0 when the total is known) and the
 * current block's payload to w.  Calling it again before the response
 * builds the same block again (for a retry with a new message).  The block
 * size shrinks to what fits scratch (at least 16 bytes).  Nothing may be
 * added to w afterwards.
 * Returns 0, or the sticky error, BW_ESTATE (the transfer is over),
 * BW_EABORTED (the source failed or broke its contract; sticky),
 * BW_ERANGE (the block number would pass BW_COAP_BLOCK_MAX_NUM; sticky),
 * BW_EINVAL (NULL, scratch under 16 bytes).
 */
int bw_coap_block1_client_request(bw_coap_block1_client_t *c,
                                  bw_coap_writer_t *w, uint8_t *scratch,
                                  size_t scratch_len);

/*
 * Take the response to the current block.  *done becomes 1 when the
 * transfer is over: the final response to the last block, or any response
 * other than 2.xx, 4.08 and 4.13 (the caller reads its code).
 * Returns 0, or
 *   BW_EBLOCK     2.31 without Block1, for another block, with a larger
 *                 size, or after the last block; 4.08 Request Entity
 *                 Incomplete; a 2.xx without Block1 before the last block;
 *   BW_EOVERFLOW  4.13 that leaves nothing to try (Size1 below the body,
 *                 or no smaller block size offered), or an overlong option;
 *   BW_ESTATE     no block is waiting for its response;
 *   BW_EINVAL     NULL pointers.
 * All but BW_ESTATE and BW_EINVAL are sticky.
 */
int bw_coap_block1_client_response(bw_coap_block1_client_t *c,
                                   const bw_coap_msg_t *rsp, int *done);

/* Bytes the server has acknowledged so far. */
uint32_t bw_coap_block1_client_offset(const bw_coap_block1_client_t *c);

/* ------------------------------------------------------------------------
 * Block1 server: receive one body into a sink.  One context per body being
 * received (the caller keys them, e.g. by peer and URI).
 *
 * For each request: _receive() decides the answer; the caller initialises
 * the response writer with reply.code (or, when reply.code is 0, the body
 * is complete and the caller processes it and picks the final code such as
 * 2.04 Changed), adds its options below 27, then bw_coap_block1_reply_add().
 */
typedef struct {
    bw_coap_block_write_fn sink;
    void *arg;
    uint32_t max_body; /* larger bodies get 4.13 with this as Size1 */
    uint32_t expected; /* next byte offset wanted */
    uint32_t last_off; /* the block accepted last, for duplicates */
    uint16_t last_len;
    uint8_t max_szx;
    uint8_t state; /* see coap_block1.c */
} bw_coap_block1_server_t;

/* The answer bw_coap_block1_server_receive() decided on. */
typedef struct {
    uint8_t code; /* BW_COAP_CONTINUE, _REQUEST_INCOMPLETE, _REQUEST_TOO_LARGE,
                     _BAD_REQUEST, _INTERNAL_ERROR, or 0: body complete */
    uint8_t has_block1;
    uint8_t has_size1;
    bw_coap_block_t block1; /* the echo, at our preferred size */
    uint32_t size1;         /* our limit, with 4.13 */
} bw_coap_block1_reply_t;

/*
 * max_szx:  block size this server prefers (it asks the client to shrink
 *           to it in 2.31); max_body: largest body accepted.
 * Returns 0, or BW_EINVAL (NULL, max_szx > 6); s is then zeroed.
 */
int bw_coap_block1_server_init(bw_coap_block1_server_t *s, uint8_t max_szx,
                               uint32_t max_body, bw_coap_block_write_fn sink,
                               void *arg);

/*
 * Take one request (PUT/POST with or without Block1).  Block 0 starts a
 * new body; each later block must continue exactly where the last ended;
 * the block accepted last may come again and gets the same answer without
 * reaching the sink twice; the block with M = 0 completes the body.
 * A request without Block1 is a complete body on its own.
 *
 * reply: OUT, always filled when the return is 0 or one of the input
 * errors below, so the caller can answer the peer.
 * Returns 0 (reply.code 2.31, or 0 for a complete body), or
 *   BW_EBLOCK     out-of-order block (reply 4.08), or payload size not
 *                 matching the block (reply 4.00); the body so far is
 *                 kept for the block that was expected;
 *   BW_EOVERFLOW  body above max_body, or Size1 announcing one (reply 4.13
 *                 with Size1), or an overlong Block1 (reply 4.00);
 *   BW_EABORTED   the sink failed (reply 5.00); the body is dropped;
 *   BW_EINVAL     NULL pointers (reply zeroed).
 */
int bw_coap_block1_server_receive(bw_coap_block1_server_t *s,
                                  const bw_coap_msg_t *req,
                                  bw_coap_block1_reply_t *reply);

/*
 * Add the reply's Block1 and Size1 options to w.  Returns 0, or BW_EINVAL
 * (NULL); writer errors stay in w.
 */
int bw_coap_block1_reply_add(const bw_coap_block1_reply_t *reply,
                             bw_coap_writer_t *w);

/* Bytes of the current body received so far. */
uint32_t bw_coap_block1_server_received(const bw_coap_block1_server_t *s);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_COAP_BLOCK_H */
