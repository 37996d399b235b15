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
 * for (block 0 without a Block2 option) is served by the Block2 server
 * helper of coap_block.h, whose read callback re-runs the producer with
 * the window on that block.  An ETag (FNV-1a over the whole payload) lets
 * the client see that the data changed between two blocks.
 *
 * Layout of out while a block is built: the response head and the block
 * grow from the front; the helper's one-block scratch sits at the back.
 *
 *   | head, options | Block2 Size2 0xFF | block ...      |   scratch   |
 *   0                                                  cap-S         cap
 */
#include "bulwark/coap_block.h"
#include "bw_mem.h"
#include "lwm2m_int.h"

#define FNV_OFFSET 2166136261u
#define FNV_PRIME  16777619u

/*
 * What the helper adds after the caller's options: Block2 (delta 11 from
 * Content-Format, 1 + 3 bytes), Size2 (delta 5, 1 + 4 bytes) and the
 * payload marker.
 */
#define BLOCK_OPTS_MAX 10

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

/* The Block2 helper's read callback: re-run the producer on one block. */
static int block_read(void *arg, uint32_t offset, uint8_t *buf, size_t len,
                      size_t *got, int *more)
{
    bw_lwm2m__gen_t *g = arg;
    uint32_t hash = g->hash;
    size_t total = g->pos;

    if (run(g, buf, offset, len) != 0)
        return 1;
    if (g->hash != hash || g->pos != total) {
        g->err = BW_ESTALE; /* the data moved between two runs */
        return 1;
    }
    *got = len;
    *more = offset + len < total;
    return 0;
}

int bw_lwm2m__content(bw_lwm2m__gen_t *g, const bw_lwm2m__rsp_t *h,
                      uint8_t *out, size_t cap, size_t *out_len)
{
    bw_coap_writer_t w;
    bw_coap_opt_t b2;
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

    uint8_t etag[4];
    for (int i = 0; i < 4; i++)
        etag[i] = (uint8_t)(g->hash >> (24 - 8 * i));
    head(&w, h, g, out, cap, etag);
    if (bw_coap_writer_finish(&w, &hlen) != 0 ||
        cap < hlen + BLOCK_OPTS_MAX + 2 * BW_COAP_BLOCK_MIN_SIZE)
        return BW_ENOSPC;
    size_t half = (cap - hlen - BLOCK_OPTS_MAX) / 2;
    if (half > BW_COAP_BLOCK_MAX_SIZE)
        half = BW_COAP_BLOCK_MAX_SIZE;
    bw_coap_block2_server_t s;
    bw_coap_block2_server_init(&s, BW_COAP_BLOCK_MAX_SZX, (uint32_t)g->pos,
                               block_read, g);
    err = bw_coap_block2_server_respond(&s, h->req, &w, out + cap - half, half);
    if (err == BW_EABORTED)
        return g->err != 0 ? g->err : BW_EABORTED;
    if (err != 0)
        return err;
    return bw_coap_writer_finish(&w, out_len) == 0 ? 0 : BW_ENOSPC;
}
