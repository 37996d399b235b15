/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Read-only scan of the DTLS record headers in one datagram (RFC 6347
 * section 4.1), private to the DTLS client.
 *
 * mbedTLS tells the client that a handshake failed, not which alert the
 * server sent nor whether our Finished had gone out; both decide between
 * BW_EAUTH, BW_ECERT and BW_EHANDSHAKE.  The client therefore looks at
 * the datagrams passing through its I/O callbacks: alerts sent before
 * the keys are in use travel in the clear (epoch 0), and our Finished is
 * the first handshake record we send with epoch 1.
 *
 * The scan never decrypts and never trusts what it reads beyond
 * classifying a failure that mbedTLS has already reported: an injected
 * plaintext alert could at worst change which error code a failing
 * handshake reports.
 *
 * Record header, 13 bytes, big-endian:
 *
 *    0      1      2      3      4      5 ... 10     11     12
 *   +------+------+------+------+------+-----------+------+------+
 *   | type |   version   |    epoch    | seq (48)  |   length    |
 *   +------+------+------+------+------+-----------+------+------+
 *   followed by length bytes of fragment.
 */
#ifndef BW_DTLS_SCAN_H
#define BW_DTLS_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#define BW_DEVDTLS_REC_HDR 13u

/* Content types (RFC 5246 section 6.2.1). */
#define BW_DEVDTLS_CT_CCS       20u
#define BW_DEVDTLS_CT_ALERT     21u
#define BW_DEVDTLS_CT_HANDSHAKE 22u
#define BW_DEVDTLS_CT_APP       23u

typedef struct {
    uint8_t type;
    uint16_t version; /* 0xfefd for DTLS 1.2 */
    uint16_t epoch;
    const uint8_t *body; /* points into the datagram */
    size_t len;
} bw_devdtls_rec_t;

/*
 * The record of dg (len bytes) starting at *off.  0: rec is filled and
 * *off moves past it.  BW_ENOTFOUND: *off == len (no more records).
 * BW_ETRUNC: fewer than 13 header bytes remain, or the declared length
 * runs past the datagram (*off and rec unchanged).  BW_EINVAL: NULL
 * arguments or *off > len.
 */
int bw_devdtls__scan_next(const uint8_t *dg, size_t len, size_t *off,
                          bw_devdtls_rec_t *rec);

/*
 * The description byte of the last fatal alert, or of a close_notify,
 * sent in the clear (epoch 0) in dg; -1 when there is none.  Records
 * after a truncated one are not looked at.
 */
int bw_devdtls__scan_alert(const uint8_t *dg, size_t len);

/* 1 when dg carries a handshake record with epoch > 0, else 0. */
int bw_devdtls__scan_encrypted_hs(const uint8_t *dg, size_t len);

#endif /* BW_DTLS_SCAN_H */
