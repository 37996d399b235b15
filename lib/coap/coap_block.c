/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block1/Block2 option values (RFC 7959 section 2.2): decode, encode, find
 * in a parsed message, add through the writer.  The value layout is drawn
 * in include/bulwark/coap_block.h.  The transfer helpers built on this live
 * in coap_block1.c (uploads) and coap_block2.c (downloads); the one path
 * both use to send a block read through a callback (Block1 client, Block2
 * server) is bw_coap__block_put() at the end of this file.
 */
#include "bulwark/coap_block.h"

#include "bw_mem.h"
#include "coap_block_int.h"

#define SZX_BITS     0x7u
#define M_BIT        0x8u
#define NUM_SHIFT    4
#define SZX_RESERVED 7 /* BERT: only over reliable transports (RFC 8323) */

int bw_coap_block_decode(const uint8_t *val, size_t len, bw_coap_block_t *b)
{
    uint32_t v = 0;

    if (b != NULL)
        bw__zero(b, sizeof *b);
    if (b == NULL || (val == NULL && len > 0))
        return BW_EINVAL;
    if (len > BW_COAP_BLOCK_MAX_VALUE_LEN)
        return BW_EOVERFLOW;
    for (size_t i = 0; i < len; i++)
        v = v << 8 | val[i];
    if ((v & SZX_BITS) == SZX_RESERVED)
        return BW_EBLOCK;
    b->num = v >> NUM_SHIFT;
    b->more = (v & M_BIT) != 0;
    b->szx = (uint8_t)(v & SZX_BITS);
    return 0;
}

static int block_ok(const bw_coap_block_t *b)
{
    return b->num <= BW_COAP_BLOCK_MAX_NUM && b->more <= 1 &&
           b->szx <= BW_COAP_BLOCK_MAX_SZX;
}

int bw_coap_block_encode(const bw_coap_block_t *b,
                         uint8_t out[BW_COAP_BLOCK_MAX_VALUE_LEN], size_t *len)
{
    uint32_t v;
    size_t n;

    if (len != NULL)
        *len = 0;
    if (b == NULL || out == NULL || len == NULL || !block_ok(b))
        return BW_EINVAL;
    v = b->num << NUM_SHIFT | (b->more ? M_BIT : 0u) | b->szx;
    /* Shortest form: as many bytes as the value needs, 0 for zero. */
    n = v == 0 ? 0 : v <= 0xffu ? 1 : v <= 0xffffu ? 2 : 3;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    *len = n;
    return 0;
}

static int is_block_opt(uint16_t number)
{
    return number == BW_COAP_OPT_BLOCK1 || number == BW_COAP_OPT_BLOCK2;
}

int bw_coap_block_get(const bw_coap_msg_t *msg, uint16_t number,
                      bw_coap_block_t *b)
{
    bw_coap_opt_t opt;
    int rc;

    if (b != NULL)
        bw__zero(b, sizeof *b);
    if (msg == NULL || b == NULL || !is_block_opt(number))
        return BW_EINVAL;
    rc = bw_coap_opt_find(msg, number, &opt);
    if (rc != 0)
        return rc;
    return bw_coap_block_decode(opt.value, opt.len, b);
}

int bw_coap_block_add(bw_coap_writer_t *w, uint16_t number,
                      const bw_coap_block_t *b)
{
    uint8_t val[BW_COAP_BLOCK_MAX_VALUE_LEN];
    size_t n;

    if (w == NULL || !is_block_opt(number) ||
        bw_coap_block_encode(b, val, &n) != 0)
        return BW_EINVAL;
    bw_coap_writer_add_opt(w, number, val, n);
    return 0;
}

int bw_coap_block_szx(size_t size, uint8_t *szx)
{
    if (szx == NULL)
        return BW_EINVAL;
    for (uint8_t s = 0; s <= BW_COAP_BLOCK_MAX_SZX; s++) {
        if (BW_COAP_BLOCK_SIZE(s) == size) {
            *szx = s;
            return 0;
        }
    }
    return BW_EINVAL;
}

int bw_coap_block_szx_fit(size_t cap)
{
    int szx = BW_COAP_BLOCK_MAX_SZX;

    if (cap < BW_COAP_BLOCK_MIN_SIZE)
        return BW_EINVAL;
    while (BW_COAP_BLOCK_SIZE(szx) > cap)
        szx--;
    return szx;
}

int bw_coap__block_put(bw_coap__block_put_t *j, bw_coap_writer_t *w,
                       uint8_t *scratch)
{
    bw_coap_block_t b;
    size_t size = BW_COAP_BLOCK_SIZE(j->szx), got = 0;
    int m = 0;
    int known = j->total != BW_COAP_BLOCK_SIZE_UNKNOWN;

    b.num = j->off >> (j->szx + BW_COAP__SZX_SHIFT);
    b.szx = j->szx;
    if (b.num > BW_COAP_BLOCK_MAX_NUM)
        return BW_ERANGE;
    if (known) {
        if (j->off > j->total || (j->off == j->total && j->off != 0))
            return BW_ERANGE;
        j->len = j->total - j->off < size ? j->total - j->off : size;
        if (j->len > 0 &&
            (j->read(j->arg, j->off, scratch, j->len, &got, &m) != 0 ||
             got != j->len))
            return BW_EABORTED;
        m = j->off + j->len < j->total;
    } else {
        if (j->read(j->arg, j->off, scratch, size, &got, &m) != 0 ||
            got > size || (m && got != size))
            return BW_EABORTED;
        /* Past the end of a body of unknown size (a Block2 request). */
        if (got == 0 && !m && j->off > 0 && j->opt == BW_COAP_OPT_BLOCK2)
            return BW_ERANGE;
        j->len = got;
    }
    j->more = m != 0;
    b.more = j->more;
    (void)bw_coap_block_add(w, j->opt, &b);
    if (known && (j->off == 0 || j->size_opt))
        bw_coap_writer_add_uint(w,
                                j->opt == BW_COAP_OPT_BLOCK1
                                    ? BW_COAP_OPT_SIZE1
                                    : BW_COAP_OPT_SIZE2,
                                j->total);
    bw_coap_writer_payload(w, scratch, j->len);
    return 0;
}
