/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP message builder (RFC 7252 section 3): writes one datagram into a
 * caller's buffer, header first, then options in ascending number order
 * with the shortest delta/length encoding, then the payload.
 *
 * Every call checks capacity before it writes, so the builder never
 * touches a byte at or past cap, even on the call that fails.  Errors are
 * sticky (see bw_coap_writer_t in coap.h).  The layout it produces is drawn
 * in coap_msg.c, beside the parser that reads it back.
 */
#include "bulwark/coap.h"

#include "bw_mem.h"

#define NIBBLE_EXT8    13u
#define NIBBLE_EXT16   14u
#define EXT8_BASE      13u
#define EXT16_BASE     269u
#define PAYLOAD_MARKER 0xFF
#define COAP_VERSION   1u
#define MAX_TYPE       3u
/* One header byte plus at most two extended bytes each for delta/length. */
#define MAX_OPT_HEADER 5

static void fail(bw_coap_writer_t *w, int err)
{
    if (w->err == 0)
        w->err = err;
}

/* Nibble for a delta or length, and how many extended bytes follow. */
static unsigned nibble_for(uint32_t v, size_t *ext)
{
    if (v < EXT8_BASE) {
        *ext = 0;
        return v;
    }
    if (v < EXT16_BASE) {
        *ext = 1;
        return NIBBLE_EXT8;
    }
    *ext = 2;
    return NIBBLE_EXT16;
}

static size_t put_ext(uint8_t *p, uint32_t v, size_t ext)
{
    if (ext == 1) {
        p[0] = (uint8_t)(v - EXT8_BASE);
    } else if (ext == 2) {
        p[0] = (uint8_t)((v - EXT16_BASE) >> 8);
        p[1] = (uint8_t)(v - EXT16_BASE);
    }
    return ext;
}

void bw_coap_writer_init(bw_coap_writer_t *w, uint8_t *buf, size_t cap,
                         uint8_t type, uint8_t code, uint16_t mid,
                         const uint8_t *token, size_t token_len)
{
    if (w == NULL)
        return;
    bw__zero(w, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    if ((buf == NULL && cap > 0) || type > MAX_TYPE ||
        token_len > BW_COAP_MAX_TOKEN_LEN || (token == NULL && token_len > 0)) {
        fail(w, BW_EINVAL);
        return;
    }
    /* An Empty message carries nothing but the header (section 4.1). */
    if (code == BW_COAP_EMPTY && token_len > 0) {
        fail(w, BW_EINVAL);
        return;
    }
    if (cap < BW_COAP_HEADER_LEN + token_len) {
        fail(w, BW_ENOSPC);
        return;
    }
    buf[0] = (uint8_t)(COAP_VERSION << 6 | (unsigned)type << 4 | token_len);
    buf[1] = code;
    buf[2] = (uint8_t)(mid >> 8);
    buf[3] = (uint8_t)mid;
    if (token_len > 0)
        bw__copy(buf + BW_COAP_HEADER_LEN, token, token_len);
    w->len = BW_COAP_HEADER_LEN + token_len;
}

/* True when the message being built is an Empty one (code 0.00). */
static int is_empty(const bw_coap_writer_t *w)
{
    return w->len >= 2 && w->buf[1] == BW_COAP_EMPTY;
}

void bw_coap_writer_add_opt(bw_coap_writer_t *w, uint16_t number,
                            const void *value, size_t len)
{
    uint8_t hdr[MAX_OPT_HEADER];
    size_t dext, lext, n;
    unsigned dn, ln;
    uint32_t delta;

    if (w == NULL || w->err != 0)
        return;
    if ((value == NULL && len > 0) || len > BW_COAP_MAX_OPTION_LEN ||
        is_empty(w)) {
        fail(w, BW_EINVAL);
        return;
    }
    if (w->has_payload || number < w->last_opt) {
        fail(w, BW_EORDER);
        return;
    }
    delta = (uint32_t)number - w->last_opt;
    dn = nibble_for(delta, &dext);
    ln = nibble_for((uint32_t)len, &lext);
    hdr[0] = (uint8_t)(dn << 4 | ln);
    n = 1;
    n += put_ext(hdr + n, delta, dext);
    n += put_ext(hdr + n, (uint32_t)len, lext);
    if (w->cap - w->len < n || w->cap - w->len - n < len) {
        fail(w, BW_ENOSPC);
        return;
    }
    bw__copy(w->buf + w->len, hdr, n);
    if (len > 0)
        bw__copy(w->buf + w->len + n, value, len);
    w->len += n + len;
    w->last_opt = number;
}

void bw_coap_writer_add_uint(bw_coap_writer_t *w, uint16_t number,
                             uint32_t value)
{
    uint8_t be[4] = {0};
    size_t n = 0;

    /* Shortest form: no leading zero bytes, so 0 is the empty value. */
    for (int shift = 24; shift >= 0; shift -= 8) {
        uint8_t b = (uint8_t)(value >> shift);
        if (n > 0 || b != 0)
            be[n++] = b;
    }
    bw_coap_writer_add_opt(w, number, be, n);
}

void bw_coap_writer_payload(bw_coap_writer_t *w, const void *data, size_t len)
{
    size_t need;

    if (w == NULL || w->err != 0 || len == 0)
        return;
    if (data == NULL || is_empty(w)) {
        fail(w, BW_EINVAL);
        return;
    }
    need = w->has_payload ? 0 : 1;
    if (w->cap - w->len < need || w->cap - w->len - need < len) {
        fail(w, BW_ENOSPC);
        return;
    }
    if (!w->has_payload)
        w->buf[w->len] = PAYLOAD_MARKER;
    bw__copy(w->buf + w->len + need, data, len);
    w->len += need + len;
    w->has_payload = 1;
}

int bw_coap_writer_finish(const bw_coap_writer_t *w, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (w == NULL || len == NULL)
        return BW_EINVAL;
    if (w->err != 0)
        return w->err;
    *len = w->len;
    return 0;
}
