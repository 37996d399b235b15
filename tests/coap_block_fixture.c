/* SPDX-License-Identifier: Apache-2.0 */
#include "coap_block_fixture.h"

#include "testutil.h"

uint8_t bw_blkfix_body_at(uint32_t i)
{
    return (uint8_t)(i * 7 + 3);
}

int bw_blkfix_src_read(void *arg, uint32_t off, uint8_t *buf, size_t len,
                       size_t *got, int *more)
{
    bw_blkfix_src_t *s = arg;
    size_t n = 0;

    if (s->fail)
        return -1;
    while (n < len && off + n < s->total) {
        buf[n] = bw_blkfix_body_at(off + (uint32_t)n);
        n++;
    }
    *more = off + n < s->total;
    if (s->short_read && n > 1)
        n--;
    *got = n;
    return 0;
}

int bw_blkfix_sink_write(void *arg, uint32_t off, const uint8_t *data,
                         size_t len)
{
    bw_blkfix_sink_t *k = arg;

    (void)data;
    k->calls++;
    if (k->fail)
        return -1;
    k->bytes = off + (uint32_t)len;
    return 0;
}

void bw_blkfix_make(const bw_blkfix_spec_t *sp, uint8_t *buf, bw_coap_msg_t *m)
{
    static uint8_t pay[BW_BLKFIX_DGRAM];
    bw_coap_writer_t w;
    uint8_t etag[16];
    size_t len;

    bw_coap_writer_init(&w, buf, BW_BLKFIX_DGRAM, sp->type, sp->code, 1, NULL,
                        0);
    if (sp->etag != NULL) {
        size_t n = bw_test_hex(sp->etag, etag, sizeof etag);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_ETAG, etag, n);
    }
    if (sp->num >= 0) {
        bw_coap_block_t b = {(uint32_t)sp->num, sp->more, sp->szx};
        assert_int_equal(bw_coap_block_add(&w, sp->blk_opt, &b), 0);
    }
    if (sp->size_opt >= 0)
        bw_coap_writer_add_uint(&w, sp->size_num, (uint32_t)sp->size_opt);
    assert_true(sp->payload_len <= sizeof pay);
    for (size_t i = 0; i < sp->payload_len; i++)
        pay[i] = bw_blkfix_body_at(sp->payload_off + (uint32_t)i);
    bw_coap_writer_payload(&w, pay, sp->payload_len);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_coap_parse(m, buf, len), 0);
}

void bw_blkfix_block_msg(uint8_t *buf, bw_coap_msg_t *m, uint8_t type,
                         uint8_t code, uint16_t blk_opt, int32_t num,
                         uint8_t more, uint8_t szx, size_t len)
{
    bw_blkfix_spec_t sp = {type, code, blk_opt, num, more, szx,
                           NULL, -1,   0,       len, 0};
    if (num >= 0)
        sp.payload_off = (uint32_t)num << (szx + 4);
    bw_blkfix_make(&sp, buf, m);
}
