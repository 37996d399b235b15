/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scaffolding for the block-wise error tests (tests/unit/
 * test_coap_block_*_errors.c): a body generated from its offset, a body
 * source and a sink that can be told to fail or to break their contract,
 * and a builder of datagrams carrying a Block option, an ETag, a size
 * option and a slice of the body.  Every datagram is written with the
 * CoAP writer and parsed back, so a test works on real messages.
 * Test code only.
 */
#ifndef BW_TEST_COAP_BLOCK_FIXTURE_H
#define BW_TEST_COAP_BLOCK_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap_block.h"

/* One datagram: a 1024-byte block plus header and options. */
#define BW_BLKFIX_DGRAM 1200

/* Byte i of the body: depends on i alone. */
uint8_t bw_blkfix_body_at(uint32_t i);

/* A body source (bw_coap_block_read_fn) over bw_blkfix_body_at(). */
typedef struct {
    uint32_t total; /* body length */
    int fail;       /* return an error */
    int short_read; /* break the contract: more=1 but fewer bytes */
} bw_blkfix_src_t;

/* arg is a bw_blkfix_src_t. */
int bw_blkfix_src_read(void *arg, uint32_t off, uint8_t *buf, size_t len,
                       size_t *got, int *more);

/* A body sink (bw_coap_block_write_fn) that records how far it got. */
typedef struct {
    uint32_t bytes; /* end of the last write */
    unsigned calls; /* writes attempted, failed ones included */
    int fail;       /* return an error */
} bw_blkfix_sink_t;

/* arg is a bw_blkfix_sink_t. */
int bw_blkfix_sink_write(void *arg, uint32_t off, const uint8_t *data,
                         size_t len);

/* A message with an optional Block option, ETag, size option and payload. */
typedef struct {
    uint8_t type, code;
    uint16_t blk_opt; /* BW_COAP_OPT_BLOCK1 or BW_COAP_OPT_BLOCK2 */
    int32_t num;      /* < 0: no block option */
    uint8_t more, szx;
    const char *etag;   /* hex, NULL: none */
    int64_t size_opt;   /* Size1/Size2 value, < 0: none */
    uint16_t size_num;  /* its option number */
    size_t payload_len; /* payload bytes (body from offset) */
    uint32_t payload_off;
} bw_blkfix_spec_t;

/*
 * Write the message sp into buf (BW_BLKFIX_DGRAM bytes) and parse it into
 * m; fails the test if either step fails.
 */
void bw_blkfix_make(const bw_blkfix_spec_t *sp, uint8_t *buf, bw_coap_msg_t *m);

/*
 * The common case: a message of type and code with block num/more/szx in
 * option blk_opt (num < 0: none) carrying len body bytes from the block's
 * offset, and no ETag or size option.
 */
void bw_blkfix_block_msg(uint8_t *buf, bw_coap_msg_t *m, uint8_t type,
                         uint8_t code, uint16_t blk_opt, int32_t num,
                         uint8_t more, uint8_t szx, size_t len);

#endif /* BW_TEST_COAP_BLOCK_FIXTURE_H */
