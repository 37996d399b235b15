/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message parser (RFC 7252 section 3): validates one datagram and
 * hands back a zero-copy view, then walks its options.
 *
 * The parser does all the checking once, up front, so that the option
 * iterator, the finders and the uint decoder work on bytes already known to
 * be well formed.  Judging whether an option is understood is left to
 * bw_coap_check_critical(); the meaning of options is left to the message
 * layer and to block-wise and observe.
 *
 * Wire layout of a message:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Ver| T |  TKL  |      Code     |          Message ID           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Token (if any, TKL bytes) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Options (if any) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |1 1 1 1 1 1 1 1|    Payload (if any) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * One option (numbers are delta-encoded against the previous option):
 *
 *     0   1   2   3   4   5   6   7
 *   +---------------+---------------+
 *   |  Option Delta | Option Length |   1 byte
 *   +---------------+---------------+
 *   |         Option Delta          |   0-2 bytes (nibble 13 or 14)
 *   |          (extended)           |
 *   +-------------------------------+
 *   |         Option Length         |   0-2 bytes (nibble 13 or 14)
 *   |          (extended)           |
 *   +-------------------------------+
 *   |         Option Value          |   0 or more bytes
 *   +-------------------------------+
 *
 * Nibble 0..12 is the value itself; 13 means one more byte holding
 * value - 13; 14 means two more bytes (big endian) holding value - 269;
 * 15 is reserved, and a whole 0xFF byte is the payload marker.
 */
#include "bulwark/coap.h"

#include "bw_mem.h"

/* Extended nibble encodings (section 3.1). */
#define NIBBLE_EXT8       13
#define NIBBLE_EXT16      14
#define NIBBLE_RESERVED   15
#define EXT8_BASE         13u
#define EXT16_BASE        269u
#define PAYLOAD_MARKER    0xFF
#define COAP_VERSION      1
#define MAX_OPTION_NUMBER 65535u

/*
 * Read one extended delta or length field.  *p advances past the extra
 * bytes.  Returns 0, BW_EOPTION for the reserved nibble, BW_ETRUNC when the
 * extra bytes are missing.
 */
static int read_ext(unsigned nibble, const uint8_t **p, const uint8_t *end,
                    uint32_t *out)
{
    if (nibble < NIBBLE_EXT8) {
        *out = nibble;
        return 0;
    }
    if (nibble == NIBBLE_EXT8) {
        if (end - *p < 1)
            return BW_ETRUNC;
        *out = EXT8_BASE + (*p)[0];
        *p += 1;
        return 0;
    }
    if (nibble == NIBBLE_EXT16) {
        if (end - *p < 2)
            return BW_ETRUNC;
        *out = EXT16_BASE + (((uint32_t)(*p)[0] << 8) | (*p)[1]);
        *p += 2;
        return 0;
    }
    return BW_EOPTION;
}

/*
 * Decode one option starting at *p (which MUST be before end and MUST NOT
 * be the payload marker).  On success *p points past the value and
 * *number is advanced by the delta.  Returns 0, or BW_EOPTION, BW_ETRUNC,
 * BW_EOVERFLOW.  Shared by the parser (which reports the error) and the
 * iterator (which stops on it, so it stays safe even on a view that did
 * not come from bw_coap_parse()).
 */
static int decode_opt(const uint8_t **p, const uint8_t *end, uint32_t *number,
                      bw_coap_opt_t *opt)
{
    const uint8_t *q = *p;
    unsigned dn = q[0] >> 4;
    unsigned ln = q[0] & 0x0f;
    uint32_t delta;
    uint32_t len;
    int err;

    q++;
    /* Both nibbles are judged before any extended byte is read, so a
     * reserved length nibble is reported as such even when truncated. */
    if (dn == NIBBLE_RESERVED || ln == NIBBLE_RESERVED)
        return BW_EOPTION;
    err = read_ext(dn, &q, end, &delta);
    if (err != 0)
        return err;
    if (*number + delta > MAX_OPTION_NUMBER)
        return BW_EOVERFLOW;
    err = read_ext(ln, &q, end, &len);
    if (err != 0)
        return err;
    if (len > BW_COAP_MAX_OPTION_LEN)
        return BW_EOVERFLOW;
    if ((size_t)(end - q) < len)
        return BW_ETRUNC;
    *number += delta;
    opt->number = (uint16_t)*number;
    opt->len = (uint16_t)len;
    opt->value = q;
    *p = q + len;
    return 0;
}

/* Validate the option area and find the payload; fills msg on success. */
static int parse_options(bw_coap_msg_t *msg, const uint8_t *p,
                         const uint8_t *end)
{
    const uint8_t *start = p;
    uint32_t number = 0;
    uint32_t count = 0;

    while (p < end) {
        bw_coap_opt_t opt;
        int err;

        if (p[0] == PAYLOAD_MARKER) {
            if (end - p < 2)
                return BW_EPAYLOAD;
            msg->payload = p + 1;
            msg->payload_len = (size_t)(end - p - 1);
            break;
        }
        err = decode_opt(&p, end, &number, &opt);
        if (err != 0)
            return err;
        /* option_count is 16 bits; a datagram that large is not CoAP. */
        if (++count > UINT16_MAX)
            return BW_EOVERFLOW;
    }
    if (p > start) {
        msg->options = start;
        msg->options_len = (size_t)(p - start);
    }
    msg->option_count = (uint16_t)count;
    return 0;
}

int bw_coap_parse(bw_coap_msg_t *msg, const uint8_t *buf, size_t len)
{
    unsigned tkl;
    int err;

    if (msg == NULL)
        return BW_EINVAL;
    bw__zero(msg, sizeof *msg);
    if (buf == NULL && len > 0)
        return BW_EINVAL;
    if (len < BW_COAP_HEADER_LEN)
        return BW_ETRUNC;
    if ((buf[0] >> 6) != COAP_VERSION)
        return BW_EVERSION;
    tkl = buf[0] & 0x0f;
    if (tkl > BW_COAP_MAX_TOKEN_LEN)
        return BW_ETOKEN;
    /* An Empty message is exactly the four header bytes (section 4.1). */
    if (buf[1] == BW_COAP_EMPTY && (tkl != 0 || len > BW_COAP_HEADER_LEN))
        return BW_EMALFORMED;
    if (len - BW_COAP_HEADER_LEN < tkl)
        return BW_ETRUNC;

    msg->type = (uint8_t)((buf[0] >> 4) & 0x03);
    msg->code = buf[1];
    msg->mid = (uint16_t)((buf[2] << 8) | buf[3]);
    msg->token_len = (uint8_t)tkl;
    bw__copy(msg->token, buf + BW_COAP_HEADER_LEN, tkl);

    err = parse_options(msg, buf + BW_COAP_HEADER_LEN + tkl, buf + len);
    if (err != 0) {
        bw__zero(msg, sizeof *msg);
        return err;
    }
    return 0;
}

void bw_coap_opt_iter_init(bw_coap_opt_iter_t *it, const bw_coap_msg_t *msg)
{
    if (it == NULL)
        return;
    bw__zero(it, sizeof *it);
    if (msg == NULL || msg->options == NULL)
        return;
    it->pos = msg->options;
    it->end = msg->options + msg->options_len;
}

int bw_coap_opt_next(bw_coap_opt_iter_t *it, bw_coap_opt_t *opt)
{
    uint32_t number;

    if (it == NULL || opt == NULL || it->pos == NULL || it->pos >= it->end)
        return 0;
    if (it->pos[0] == PAYLOAD_MARKER) {
        it->pos = it->end;
        return 0;
    }
    number = it->number;
    if (decode_opt(&it->pos, it->end, &number, opt) != 0) {
        /* Not reachable on a parsed view; stop rather than misread. */
        it->pos = it->end;
        bw__zero(opt, sizeof *opt);
        return 0;
    }
    it->number = (uint16_t)number;
    return 1;
}

int bw_coap_opt_find(const bw_coap_msg_t *msg, uint16_t number,
                     bw_coap_opt_t *opt)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t cur;

    if (opt != NULL)
        bw__zero(opt, sizeof *opt);
    if (msg == NULL || opt == NULL)
        return BW_EINVAL;
    bw_coap_opt_iter_init(&it, msg);
    while (bw_coap_opt_next(&it, &cur)) {
        if (cur.number == number) {
            *opt = cur;
            return 0;
        }
        /* Options are in ascending order: nothing further can match. */
        if (cur.number > number)
            break;
    }
    return BW_ENOTFOUND;
}

int bw_coap_opt_uint(const bw_coap_opt_t *opt, uint32_t *value)
{
    uint32_t v = 0;

    if (value != NULL)
        *value = 0;
    if (opt == NULL || value == NULL || (opt->len > 0 && opt->value == NULL))
        return BW_EINVAL;
    if (opt->len > 4)
        return BW_EOVERFLOW;
    for (uint16_t i = 0; i < opt->len; i++)
        v = (v << 8) | opt->value[i];
    *value = v;
    return 0;
}

int bw_coap_msg_uint(const bw_coap_msg_t *msg, uint16_t number, uint32_t *value)
{
    bw_coap_opt_t opt;
    int err;

    if (value != NULL)
        *value = 0;
    if (msg == NULL || value == NULL)
        return BW_EINVAL;
    err = bw_coap_opt_find(msg, number, &opt);
    if (err != 0)
        return err;
    return bw_coap_opt_uint(&opt, value);
}

int bw_coap_check_critical(const bw_coap_msg_t *msg, const uint16_t *known,
                           size_t known_count, uint16_t *bad)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;

    if (bad != NULL)
        *bad = 0;
    if (msg == NULL || (known == NULL && known_count > 0))
        return BW_EINVAL;
    bw_coap_opt_iter_init(&it, msg);
    while (bw_coap_opt_next(&it, &opt)) {
        size_t i;

        if (!BW_COAP_OPT_IS_CRITICAL(opt.number))
            continue;
        for (i = 0; i < known_count; i++)
            if (known[i] == opt.number)
                break;
        if (i == known_count) {
            if (bad != NULL)
                *bad = opt.number;
            return BW_ECRITICAL;
        }
    }
    return 0;
}
