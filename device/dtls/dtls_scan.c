/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DTLS record header scan for the client's failure classification; see
 * dtls_scan.h for why it exists and what it may be trusted with.
 */
#include "dtls_scan.h"

#define ALERT_FATAL        2u
#define ALERT_CLOSE_NOTIFY 0u

int bw_devdtls__scan_next(const uint8_t *dg, size_t len, size_t *off,
                          bw_devdtls_rec_t *rec)
{
    const uint8_t *h;
    size_t body_len;

    if (dg == NULL || off == NULL || rec == NULL || *off > len)
        return BW_EINVAL;
    if (*off == len)
        return BW_ENOTFOUND;
    if (len - *off < BW_DEVDTLS_REC_HDR)
        return BW_ETRUNC;
    h = dg + *off;
    body_len = ((size_t)h[11] << 8) | h[12];
    if (body_len > len - *off - BW_DEVDTLS_REC_HDR)
        return BW_ETRUNC;
    rec->type = h[0];
    rec->version = (uint16_t)((h[1] << 8) | h[2]);
    rec->epoch = (uint16_t)((h[3] << 8) | h[4]);
    rec->body = h + BW_DEVDTLS_REC_HDR;
    rec->len = body_len;
    *off += BW_DEVDTLS_REC_HDR + body_len;
    return 0;
}

int bw_devdtls__scan_alert(const uint8_t *dg, size_t len)
{
    bw_devdtls_rec_t rec;
    size_t off = 0;
    int found = -1;

    while (bw_devdtls__scan_next(dg, len, &off, &rec) == 0) {
        if (rec.type != BW_DEVDTLS_CT_ALERT || rec.epoch != 0 || rec.len != 2)
            continue;
        if (rec.body[0] == ALERT_FATAL || rec.body[1] == ALERT_CLOSE_NOTIFY)
            found = rec.body[1];
    }
    return found;
}

int bw_devdtls__scan_encrypted_hs(const uint8_t *dg, size_t len)
{
    bw_devdtls_rec_t rec;
    size_t off = 0;

    while (bw_devdtls__scan_next(dg, len, &off, &rec) == 0) {
        if (rec.type == BW_DEVDTLS_CT_HANDSHAKE && rec.epoch != 0)
            return 1;
    }
    return 0;
}
