/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the PSK handshake engine reads from a ClientHello besides the
 * fields of the cookie exchange (its extensions, its suites), and its
 * session tickets.  Contracts are in dtls_psk.h.
 *
 * Extensions (RFC 5246 7.4.1.4): type (2) | length (2) | data, each at
 * most once.  Read here: renegotiation_info (0xff01, RFC 5746: a single
 * zero byte, the empty renegotiated_connection, in an initial handshake),
 * extended_master_secret (0x0017, RFC 7627: empty), session_ticket
 * (0x0023, RFC 5077: empty, or a ticket).  Others are skipped.
 *
 * A ticket is a record of our own record layer, sealed with AES-128-GCM
 * under the server's ticket key, in an epoch no handshake uses:
 *
 *   record header (13) | nonce (8) | sealed:
 *     version 1 (1) | suite (2) | ems (1) | issued_s (4) | master (48)
 *     | identity_len (1) | identity
 *   | tag (16)
 *
 * The nonce is the caller's counter, so one key never seals twice with
 * one nonce.  The plaintext is wiped after sealing and after opening.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "dtls_psk.h"

#define EXT_EMS      0x0017
#define EXT_TICKET   0x0023
#define EXT_RENEG    0xff01
#define SCSV_RENEG   0x00ff
#define MAX_SEEN     64 /* extensions checked for repeats */
#define TICKET_VER   1
#define TICKET_EPOCH 0xb17c
#define TICKET_FIXED (1 + 2 + 1 + 4 + BW_DTLS_MASTER_LEN + 1)

static uint16_t u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

int bw_dtls_psk_eligible(const bw_dtls_hello_t *h, uint16_t *suite)
{
    int ccm8 = 0, gcm = 0, null_comp = 0;
    *suite = 0;
    if (h->client_version != BW_DTLS_VERSION_12)
        return 0;
    for (size_t i = 0; i + 1 < h->cipher_suites_len; i += 2) {
        uint16_t cs = u16(h->cipher_suites + i);
        ccm8 |= cs == BW_DTLS_SUITE_PSK_CCM8;
        gcm |= cs == BW_DTLS_SUITE_PSK_GCM;
    }
    for (size_t i = 0; i < h->compression_len; i++)
        null_comp |= h->compression[i] == 0;
    if (!null_comp || (!ccm8 && !gcm))
        return 0;
    /* The server's order, as the OpenSSL path's cipher list had it. */
    *suite = ccm8 ? BW_DTLS_SUITE_PSK_CCM8 : BW_DTLS_SUITE_PSK_GCM;
    return 1;
}

int bw_dtls_psk_exts(const bw_dtls_hello_t *h, bw_dtls_psk_exts_t *x)
{
    uint16_t seen[MAX_SEEN];
    unsigned nseen = 0;
    memset(x, 0, sizeof *x);
    for (size_t i = 0; i + 1 < h->cipher_suites_len; i += 2)
        if (u16(h->cipher_suites + i) == SCSV_RENEG)
            x->reneg = 1;
    const uint8_t *p = h->extensions;
    size_t left = h->extensions != NULL ? h->extensions_len : 0;
    while (left > 0) {
        if (left < 4 || (size_t)u16(p + 2) > left - 4)
            return BW_EMALFORMED;
        uint16_t type = u16(p), n = u16(p + 2);
        const uint8_t *data = p + 4;
        for (unsigned k = 0; k < nseen; k++)
            if (seen[k] == type)
                return BW_EMALFORMED; /* RFC 5246 7.4.1.4 */
        if (nseen < MAX_SEEN)
            seen[nseen++] = type;
        switch (type) {
        case EXT_RENEG:
            if (n != 1 || data[0] != 0)
                return BW_EMALFORMED;
            x->reneg = 1;
            break;
        case EXT_EMS:
            if (n != 0)
                return BW_EMALFORMED;
            x->ems = 1;
            break;
        case EXT_TICKET:
            x->ticket_ext = 1;
            x->ticket = n > 0 ? data : NULL;
            x->ticket_len = n;
            break;
        default:
            break;
        }
        p += 4 + n;
        left -= 4 + (size_t)n;
    }
    return 0;
}

int bw_dtls_ticket_seal(bw_dtls_aead_ctx_t *aead, const bw_dtls_ticket_key_t *k,
                        uint64_t *counter, const bw_dtls_ticket_t *t,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t plain[TICKET_FIXED + BW_DTLS_IDENTITY_MAX];
    *out_len = 0;
    if (t->identity_len > BW_DTLS_IDENTITY_MAX)
        return BW_EINVAL;
    plain[0] = TICKET_VER;
    plain[1] = (uint8_t)(t->suite >> 8);
    plain[2] = (uint8_t)t->suite;
    plain[3] = t->ems;
    plain[4] = (uint8_t)(t->issued_s >> 24);
    plain[5] = (uint8_t)(t->issued_s >> 16);
    plain[6] = (uint8_t)(t->issued_s >> 8);
    plain[7] = (uint8_t)t->issued_s;
    memcpy(plain + 8, t->master, BW_DTLS_MASTER_LEN);
    plain[8 + BW_DTLS_MASTER_LEN] = t->identity_len;
    memcpy(plain + TICKET_FIXED, t->identity, t->identity_len);
    uint64_t seq = (*counter)++ & BW_DTLS_SEQ_MAX;
    int err = bw_dtls_seal(aead, BW_DTLS_AES128_GCM, &k->keys,
                           BW_DTLS_CT_HANDSHAKE, TICKET_EPOCH, seq, plain,
                           TICKET_FIXED + t->identity_len, out, cap, out_len);
    OPENSSL_cleanse(plain, sizeof plain);
    return err;
}

int bw_dtls_ticket_open(bw_dtls_aead_ctx_t *aead, const bw_dtls_ticket_key_t *k,
                        const uint8_t *ticket, size_t len, bw_dtls_ticket_t *t)
{
    uint8_t plain[TICKET_FIXED + BW_DTLS_IDENTITY_MAX];
    bw_dtls_rec_t rec;
    size_t n = 0;
    memset(t, 0, sizeof *t);
    int err = bw_dtls_rec_next(&ticket, &len, &rec);
    if (err != 0)
        return err == BW_ETRUNC ? BW_ETRUNC : BW_EAUTH;
    if (len != 0 || rec.type != BW_DTLS_CT_HANDSHAKE ||
        rec.epoch != TICKET_EPOCH)
        return BW_EAUTH; /* not one of ours */
    err = bw_dtls_open(aead, BW_DTLS_AES128_GCM, &k->keys, &rec, plain,
                       sizeof plain, &n);
    if (err != 0) {
        OPENSSL_cleanse(plain, sizeof plain);
        return err == BW_ETRUNC ? BW_ETRUNC : BW_EAUTH;
    }
    if (n < TICKET_FIXED || plain[0] != TICKET_VER ||
        plain[8 + BW_DTLS_MASTER_LEN] == 0 ||
        n != TICKET_FIXED + (size_t)plain[8 + BW_DTLS_MASTER_LEN]) {
        OPENSSL_cleanse(plain, sizeof plain);
        return BW_EMALFORMED;
    }
    t->suite = u16(plain + 1);
    t->ems = plain[3];
    t->issued_s = ((uint32_t)plain[4] << 24) | ((uint32_t)plain[5] << 16) |
                  ((uint32_t)plain[6] << 8) | plain[7];
    memcpy(t->master, plain + 8, BW_DTLS_MASTER_LEN);
    t->identity_len = plain[8 + BW_DTLS_MASTER_LEN];
    memcpy(t->identity, plain + TICKET_FIXED, t->identity_len);
    OPENSSL_cleanse(plain, sizeof plain);
    return 0;
}
