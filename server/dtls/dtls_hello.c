/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ClientHello view and the HelloVerifyRequest of the stateless cookie
 * exchange (RFC 6347 4.2.1); the cookie itself is made and checked in
 * dtls_cookie.c.  Contracts are in dtls_hello.h.
 *
 * A ClientHello datagram, as parsed here:
 *
 *   record header (13)   type 22 | version | epoch 0 | seq (48) | length
 *   handshake header (12)
 *     0      1          4          6          9          12
 *     +------+----------+----------+----------+----------+
 *     | 1    | length   | msg_seq  | frag_off | frag_len |
 *     +------+----------+----------+----------+----------+
 *   body (length bytes, RFC 6347 4.2.1 / RFC 5246 7.4.1.2)
 *     client_version (2) | random (32) | session_id <0..32>
 *     | cookie <0..255> | cipher_suites <2..2^16-2> | compression <1..255>
 *     | [ extensions <0..2^16-1> ]
 *
 * Error classes: a datagram that ends before the record, handshake header
 * or fragment it announces is BW_ETRUNC; a message body whose own length
 * fields do not fit the message is BW_EMALFORMED, because the message
 * length already said the message was complete.
 */
#include <string.h>

#include "dtls_hello.h"
#include "dtls_record.h"

#define HS_HDR_LEN      12
#define HS_CLIENT_HELLO 1
#define HS_HELLO_VERIFY 3
#define RANDOM_LEN      32
#define SESSION_ID_MAX  32 /* RFC 5246 7.4.1.2 */
/* HelloVerifyRequest body: server_version (2), cookie length (1), cookie. */
#define HVR_BODY_LEN (2 + 1 + BW_DTLS_COOKIE_LEN)
#define HVR_LEN      (BW_DTLS_HDR_LEN + HS_HDR_LEN + HVR_BODY_LEN)

static uint32_t get_u24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void put_u24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

static int dtls_version_ok(uint16_t v)
{
    return v == BW_DTLS_VERSION_10 || v == BW_DTLS_VERSION_12;
}

/* Cursor over the message body; every take checks what is left. */
typedef struct {
    const uint8_t *p;
    size_t left;
} cursor_t;

static const uint8_t *take(cursor_t *c, size_t n)
{
    if (n > c->left)
        return NULL;
    const uint8_t *at = c->p;
    c->p += n;
    c->left -= n;
    return at;
}

/* A 1- or 2-byte length followed by that many bytes. */
static const uint8_t *take_vec(cursor_t *c, size_t len_bytes, size_t *n)
{
    const uint8_t *l = take(c, len_bytes);
    if (l == NULL)
        return NULL;
    *n = len_bytes == 1 ? l[0] : get_u16(l);
    /* An empty vector yields a valid pointer (just past its length), so
     * the view never holds NULL for a field that is present. */
    return take(c, *n);
}

/* Extensions, if present, must fill the rest of the body exactly, each one
 * within the block (RFC 5246 7.4.1.2). */
static int check_extensions(cursor_t *c, bw_dtls_hello_t *h)
{
    size_t n;
    if (c->left == 0)
        return 0;
    const uint8_t *ext = take_vec(c, 2, &n);
    if (ext == NULL || c->left != 0)
        return BW_EMALFORMED;
    h->extensions = ext;
    h->extensions_len = (uint16_t)n;
    cursor_t e = {ext, n};
    while (e.left > 0) {
        size_t len;
        if (take(&e, 2) == NULL || take_vec(&e, 2, &len) == NULL)
            return BW_EMALFORMED;
    }
    return 0;
}

static int parse_body(cursor_t *c, bw_dtls_hello_t *h)
{
    size_t n;
    const uint8_t *v = take(c, 2);
    if (v == NULL)
        return BW_EMALFORMED;
    h->client_version = get_u16(v);
    if (!dtls_version_ok(h->client_version))
        return BW_EVERSION;
    if ((h->random = take(c, RANDOM_LEN)) == NULL)
        return BW_EMALFORMED;

    if ((h->session_id = take_vec(c, 1, &n)) == NULL || n > SESSION_ID_MAX)
        return BW_EMALFORMED;
    h->session_id_len = (uint8_t)n;
    if ((h->cookie = take_vec(c, 1, &n)) == NULL)
        return BW_EMALFORMED;
    h->cookie_len = (uint8_t)n;
    if ((h->cipher_suites = take_vec(c, 2, &n)) == NULL || n == 0 || n % 2 != 0)
        return BW_EMALFORMED;
    h->cipher_suites_len = (uint16_t)n;
    if ((h->compression = take_vec(c, 1, &n)) == NULL || n == 0)
        return BW_EMALFORMED;
    h->compression_len = (uint8_t)n;
    return check_extensions(c, h);
}

static int parse(const uint8_t *dgram, size_t len, bw_dtls_hello_t *h)
{
    bw_dtls_rec_t rec;
    size_t total = len;
    int err = bw_dtls_rec_next(&dgram, &len, &rec);
    /* A record of another (or unknown) content type is not a ClientHello,
     * whatever else is wrong with it.  rec_next leaves dgram unchanged on
     * error and only says BW_EMALFORMED after a full header. */
    if (err == BW_EMALFORMED && dgram[0] != BW_DTLS_CT_HANDSHAKE)
        return BW_ETYPE;
    if (err != 0)
        return err;
    if (rec.type != BW_DTLS_CT_HANDSHAKE || rec.epoch != 0)
        return BW_ETYPE;
    if (!dtls_version_ok(rec.version))
        return BW_EVERSION;
    h->record_version = rec.version;
    h->record_seq = rec.seq;

    if (rec.fragment_len < HS_HDR_LEN)
        return BW_ETRUNC;
    const uint8_t *hs = rec.fragment;
    if (hs[0] != HS_CLIENT_HELLO)
        return BW_ETYPE;
    uint32_t msg_len = get_u24(hs + 1);
    uint32_t frag_off = get_u24(hs + 6);
    uint32_t frag_len = get_u24(hs + 9);
    if (frag_off > msg_len || frag_len > msg_len - frag_off)
        return BW_EMALFORMED; /* a fragment reaching past its message */
    if (frag_off != 0 || frag_len != msg_len)
        return BW_EUNSUPPORTED;
    if (frag_len > rec.fragment_len - HS_HDR_LEN)
        return BW_ETRUNC;
    h->message_seq = get_u16(hs + 4);
    h->msg = hs;
    h->msg_len = HS_HDR_LEN + msg_len;
    h->record_len = total - len;

    /* Bytes after the message in the same record are left alone: another
     * handshake message may follow (RFC 6347 4.2.3). */
    cursor_t c = {hs + HS_HDR_LEN, msg_len};
    return parse_body(&c, h);
}

int bw_dtls_hello_parse(const uint8_t *dgram, size_t len,
                        bw_dtls_hello_t *hello)
{
    memset(hello, 0, sizeof(*hello));
    int err = parse(dgram, len, hello);
    if (err != 0)
        memset(hello, 0, sizeof(*hello));
    return err;
}

int bw_dtls_hvr_build(const bw_dtls_hello_t *hello,
                      const uint8_t cookie[BW_DTLS_COOKIE_LEN], uint8_t *out,
                      size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (cap < HVR_LEN)
        return BW_ENOSPC;

    uint8_t *p = out;
    bw_dtls_rec_header(p, BW_DTLS_CT_HANDSHAKE, hello->record_version, 0,
                       hello->record_seq, HS_HDR_LEN + HVR_BODY_LEN);
    p += BW_DTLS_HDR_LEN;

    p[0] = HS_HELLO_VERIFY;
    put_u24(p + 1, HVR_BODY_LEN);
    p[4] = (uint8_t)(hello->message_seq >> 8);
    p[5] = (uint8_t)hello->message_seq;
    put_u24(p + 6, 0);
    put_u24(p + 9, HVR_BODY_LEN);
    p += HS_HDR_LEN;

    /* RFC 6347 4.2.1: DTLS 1.0 here whatever version is negotiated later. */
    p[0] = (uint8_t)(BW_DTLS_VERSION_10 >> 8);
    p[1] = (uint8_t)BW_DTLS_VERSION_10;
    p[2] = BW_DTLS_COOKIE_LEN;
    memcpy(p + 3, cookie, BW_DTLS_COOKIE_LEN);

    *out_len = HVR_LEN;
    return 0;
}
