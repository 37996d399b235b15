/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the CoAP parser with whole datagrams.  For every input the parser
 * accepts: the iterator must yield exactly option_count options in
 * ascending order, every uint decode must agree with the option length,
 * and rebuilding the message with the writer must give back the input
 * byte for byte.  That holds because RFC 7252's extended delta/length
 * fields are offsets (13 + byte, 269 + two bytes): every value has exactly
 * one encoding, so whatever the parser accepts is already the shortest
 * form the writer produces.  The rebuilt datagram must also parse to the
 * same view.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap.h"

static void check_same_options(const bw_coap_msg_t *a, const bw_coap_msg_t *b)
{
    bw_coap_opt_iter_t ia, ib;
    bw_coap_opt_t oa, ob;

    bw_coap_opt_iter_init(&ia, a);
    bw_coap_opt_iter_init(&ib, b);
    for (;;) {
        int ha = bw_coap_opt_next(&ia, &oa);
        int hb = bw_coap_opt_next(&ib, &ob);
        if (ha != hb)
            abort();
        if (!ha)
            break;
        if (oa.number != ob.number || oa.len != ob.len ||
            memcmp(oa.value, ob.value, oa.len) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_coap_msg_t msg, again;
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    bw_coap_writer_t w;
    uint32_t count = 0, prev = 0, v;
    uint16_t bad;
    size_t out_len;
    uint8_t *out;

    if (bw_coap_parse(&msg, data, size) != 0)
        return 0;

    bw_coap_opt_iter_init(&it, &msg);
    while (bw_coap_opt_next(&it, &opt)) {
        int err = bw_coap_opt_uint(&opt, &v);
        if (opt.number < prev || opt.len > BW_COAP_MAX_OPTION_LEN)
            abort();
        if ((opt.len <= 4) != (err == 0))
            abort();
        if (err != 0 && err != BW_EOVERFLOW)
            abort();
        prev = opt.number;
        count++;
    }
    if (count != msg.option_count)
        abort();
    int crit = bw_coap_check_critical(&msg, NULL, 0, &bad);
    if (crit != 0 && (crit != BW_ECRITICAL || !BW_COAP_OPT_IS_CRITICAL(bad)))
        abort();

    /* Rebuild into a block of exactly the input's size. */
    out = malloc(size);
    if (out == NULL)
        return 0;
    bw_coap_writer_init(&w, out, size, msg.type, msg.code, msg.mid, msg.token,
                        msg.token_len);
    bw_coap_opt_iter_init(&it, &msg);
    while (bw_coap_opt_next(&it, &opt))
        bw_coap_writer_add_opt(&w, opt.number, opt.value, opt.len);
    bw_coap_writer_payload(&w, msg.payload, msg.payload_len);
    if (bw_coap_writer_finish(&w, &out_len) != 0 || out_len != size ||
        memcmp(out, data, size) != 0)
        abort();
    if (bw_coap_parse(&again, out, out_len) != 0)
        abort();
    if (again.type != msg.type || again.code != msg.code ||
        again.mid != msg.mid || again.token_len != msg.token_len ||
        memcmp(again.token, msg.token, msg.token_len) != 0 ||
        again.option_count != msg.option_count ||
        again.payload_len != msg.payload_len ||
        (msg.payload_len > 0 &&
         memcmp(again.payload, msg.payload, msg.payload_len) != 0))
        abort();
    check_same_options(&msg, &again);
    free(out);
    return 0;
}
