/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the CoAP option area.  The input is placed behind a fixed, valid
 * header (CON POST, 4-byte token) so every mutation lands on options and
 * the payload marker.  Since the header is valid, the parser may only
 * answer 0 or an option/payload error.  Its answer is checked against a
 * deliberately naive second decoder written straight from RFC 7252
 * section 3.1, and an accepted message must rebuild byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/coap.h"

#define PREFIX_LEN 8

/* Reference: accept or reject the option area, counting options. */
static int reference(const uint8_t *p, size_t n, unsigned *count)
{
    size_t i = 0;
    unsigned long number = 0;

    *count = 0;
    while (i < n) {
        unsigned long field[2];
        if (p[i] == 0xff)
            return (i + 1 < n) ? 0 : BW_EPAYLOAD;
        field[0] = p[i] >> 4;
        field[1] = p[i] & 15;
        i++;
        if (field[0] == 15 || field[1] == 15)
            return BW_EOPTION;
        for (int k = 0; k < 2; k++) {
            if (field[k] == 13) {
                if (i + 1 > n)
                    return BW_ETRUNC;
                field[k] = 13 + p[i];
                i += 1;
            } else if (field[k] == 14) {
                if (i + 2 > n)
                    return BW_ETRUNC;
                field[k] = 269 + (p[i] * 256ul + p[i + 1]);
                i += 2;
            }
            if (k == 0 && number + field[0] > 65535)
                return BW_EOVERFLOW;
        }
        if (field[1] > BW_COAP_MAX_OPTION_LEN)
            return BW_EOVERFLOW;
        if (n - i < field[1])
            return BW_ETRUNC;
        number += field[0];
        i += field[1];
        ++*count;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t prefix[PREFIX_LEN] = {0x44, 0x02, 0x12, 0x34,
                                               't',  '0',  'k',  '3'};
    bw_coap_msg_t msg;
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    bw_coap_writer_t w;
    unsigned ref_count;
    size_t out_len;
    uint8_t *buf, *out;
    int err;

    if (size > 70000)
        return 0;
    buf = malloc(PREFIX_LEN + size);
    out = malloc(PREFIX_LEN + size);
    if (buf == NULL || out == NULL) {
        free(buf);
        free(out);
        return 0;
    }
    memcpy(buf, prefix, PREFIX_LEN);
    if (size > 0)
        memcpy(buf + PREFIX_LEN, data, size);

    err = bw_coap_parse(&msg, buf, PREFIX_LEN + size);
    if (err != reference(data, size, &ref_count))
        abort();
    if (err == 0) {
        if (msg.option_count != ref_count)
            abort();
        bw_coap_writer_init(&w, out, PREFIX_LEN + size, msg.type, msg.code,
                            msg.mid, msg.token, msg.token_len);
        bw_coap_opt_iter_init(&it, &msg);
        while (bw_coap_opt_next(&it, &opt)) {
            uint32_t v;
            if (bw_coap_opt_uint(&opt, &v) != (opt.len > 4 ? BW_EOVERFLOW : 0))
                abort();
            bw_coap_writer_add_opt(&w, opt.number, opt.value, opt.len);
        }
        bw_coap_writer_payload(&w, msg.payload, msg.payload_len);
        if (bw_coap_writer_finish(&w, &out_len) != 0 ||
            out_len != PREFIX_LEN + size || memcmp(out, buf, out_len) != 0)
            abort();
    }
    free(buf);
    free(out);
    return 0;
}
