/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 2.05 Content responses and notifications, whole or in Block2 blocks
 * (RFC 7959 section 2.4), without ever holding the payload whole.
 *
 * A producer (see lwm2m_int.h) emits the payload through
 * bw_lwm2m__gen_put(), which copies only the bytes inside a window and
 * counts and hashes all of them.  The first run aims the window at the
 * message's payload space: when everything fit, the response is done.
 * Otherwise the response becomes a Block2 one: the block the request asks
 * for (block 0 without a Block2 option) is chosen here, its options
 * written, and the producer re-run with the window on that block, straight
 * into the message.  An ETag (FNV-1a over the whole payload) lets the
 * client see that the data changed between two blocks.  (coap_block.h's
 * Block2 server does the same for a body behind a read callback; this
 * one knows the total from the first run and needs no scratch block.)
 *
 *   | head, ETag, Observe, Content-Format | Block2 Size2 0xFF | block |
 *   0                                                          cap
 */
#include "bulwark/coap_block.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

#define FNV_OFFSET 2166136261u
#define FNV_PRIME  16777619u

/*
 * What a block adds after the head's options: Block2 (delta 11 from
 * Content-Format, 1 + 3 bytes), Size2 (delta 5, 1 + 4 bytes) and the
 * payload marker.
 */
#define BLOCK_OPTS_MAX 10

/* A Block2 value (RFC 7959 section 2.2): NUM << 4 | M << 3 | SZX; the
 * block size is 16 << SZX, SZX 7 (BERT) is for reliable transports only. */
#define SZX_BITS  7u
#define M_SHIFT   3
#define NUM_SHIFT 4

void bw_lwm2m__gen_put(bw_lwm2m__gen_t *g, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++, g->pos++) {
        g->hash = (g->hash ^ b[i]) * FNV_PRIME;
        if (g->pos >= g->off && g->pos - g->off < g->len)
            g->dst[g->pos - g->off] = b[i];
    }
}

static int run(bw_lwm2m__gen_t *g, uint8_t *dst, size_t off, size_t len)
{
    g->dst = dst;
    g->off = off;
    g->len = len;
    g->pos = 0;
    g->hash = FNV_OFFSET;
    g->count = 0;
    g->err = g->produce(g);
    return g->err;
}

static void head(bw_coap_writer_t *w, const bw_lwm2m__rsp_t *h,
                 const bw_lwm2m__gen_t *g, uint8_t *out, size_t cap,
                 const uint8_t *etag)
{
    bw_coap_writer_init(w, out, cap, h->type, BW_COAP_CONTENT, h->mid, h->token,
                        h->token_len);
    if (etag != NULL)
        bw_coap_writer_add_opt(w, BW_COAP_OPT_ETAG, etag, 4);
    if (h->has_observe)
        bw_coap_writer_add_uint(w, BW_COAP_OPT_OBSERVE, h->observe);
    bw_coap_writer_add_uint(w, BW_COAP_OPT_CONTENT_FORMAT, g->format);
}

/* The largest SZX whose block fits room bytes, or -1. */
static int szx_fit(size_t room)
{
    int szx = BW_COAP_BLOCK_MAX_SZX;
    while (szx >= 0 && BW_COAP_BLOCK_SIZE(szx) > room)
        szx--;
    return szx;
}

int bw_lwm2m__content(bw_lwm2m__gen_t *g, const bw_lwm2m__rsp_t *h,
                      uint8_t *out, size_t cap, size_t *out_len)
{
    bw_coap_writer_t w;
    bw_coap_opt_t b2;
    uint32_t asked = BW_COAP_BLOCK_MAX_SZX; /* block 0, our size */
    size_t hlen;
    int err;

    *out_len = 0;
    head(&w, h, g, out, cap, NULL);
    if (bw_coap_writer_finish(&w, &hlen) != 0)
        return BW_ENOSPC;
    int blockwise = bw_coap_opt_find(h->req, BW_COAP_OPT_BLOCK2, &b2) == 0;
    size_t room = cap > hlen ? cap - hlen - 1 : 0;
    err = run(g, room > 0 ? out + hlen + 1 : out, 0, blockwise ? 0 : room);
    if (err != 0)
        return err;
    if (!blockwise && g->pos <= room) {
        if (g->pos > 0)
            out[hlen] = 0xFF; /* the payload already sits behind it */
        *out_len = hlen + (g->pos > 0 ? 1 + g->pos : 0);
        return 0;
    }
    if (g->pos > UINT32_MAX - 1)
        return BW_ENOSPC;
    if (blockwise) {
        if (b2.len > BW_COAP_BLOCK_MAX_VALUE_LEN)
            return BW_EOVERFLOW;
        asked = 0;
        for (size_t i = 0; i < b2.len; i++)
            asked = asked << 8 | b2.value[i];
        if ((asked & SZX_BITS) == SZX_BITS)
            return BW_EBLOCK;
    }

    uint8_t etag[4];
    for (int i = 0; i < 4; i++)
        etag[i] = (uint8_t)(g->hash >> (24 - 8 * i));
    head(&w, h, g, out, cap, etag);
    if (bw_coap_writer_finish(&w, &hlen) != 0)
        return BW_ENOSPC;
    int fit =
        szx_fit(cap > hlen + BLOCK_OPTS_MAX ? cap - hlen - BLOCK_OPTS_MAX : 0);
    if (fit < 0)
        return BW_ENOSPC;
    /* Late negotiation (RFC 7959 section 2.4): never larger than asked,
     * the block number scaled to the offset asked for (a multiple of the
     * asked size, so of the smaller one too). */
    uint32_t total = (uint32_t)g->pos;
    uint8_t szx = (uint8_t)(asked & SZX_BITS);
    uint32_t off = (asked >> NUM_SHIFT) << (szx + NUM_SHIFT);
    if (szx > fit)
        szx = (uint8_t)fit;
    uint32_t num = off >> (szx + NUM_SHIFT);
    if (num > BW_COAP_BLOCK_MAX_NUM || off > total ||
        (off == total && off != 0))
        return BW_ERANGE;
    uint32_t len = total - off;
    if (len > BW_COAP_BLOCK_SIZE(szx))
        len = BW_COAP_BLOCK_SIZE(szx);
    uint32_t more = off + len < total;
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_BLOCK2,
                            num << NUM_SHIFT | more << M_SHIFT | szx);
    /* Size2 on the first block, and whenever the client asks (section 4). */
    if (off == 0 || bw_coap_opt_find(h->req, BW_COAP_OPT_SIZE2, &b2) == 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_SIZE2, total);
    if (bw_coap_writer_finish(&w, &hlen) != 0)
        return BW_ENOSPC;

    uint32_t hash = g->hash;
    if (run(g, out + hlen + 1, off, len) != 0)
        return g->err;
    if (g->hash != hash || g->pos != total)
        return g->err = BW_ESTALE; /* the data moved between two runs */
    if (len > 0)
        out[hlen++] = 0xFF;
    *out_len = hlen + len;
    return 0;
}
