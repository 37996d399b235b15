/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DTLS client's record-header scan (device/dtls/dtls_scan.c) on any
 * datagram: never reads outside it, every record it returns lies inside
 * it and the walk always advances, and the two classifiers agree with a
 * walk done here.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dtls_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    const uint8_t *dg = size > 0 ? data : empty;
    bw_devdtls_rec_t rec;
    size_t off = 0;
    int alert = -1;
    int enc_hs = 0;
    int rc;

    while ((rc = bw_devdtls__scan_next(dg, size, &off, &rec)) == 0) {
        if (rec.body < dg + BW_DEVDTLS_REC_HDR ||
            rec.body + rec.len > dg + size ||
            (size_t)(rec.body + rec.len - dg) != off)
            abort();
        if (rec.type == BW_DEVDTLS_CT_ALERT && rec.epoch == 0 && rec.len == 2 &&
            (rec.body[0] == 2 || rec.body[1] == 0))
            alert = rec.body[1];
        if (rec.type == BW_DEVDTLS_CT_HANDSHAKE && rec.epoch != 0)
            enc_hs = 1;
    }
    if (rc != BW_ENOTFOUND && rc != BW_ETRUNC)
        abort();
    if (rc == BW_ENOTFOUND && off != size)
        abort();
    if (bw_devdtls__scan_alert(dg, size) != alert ||
        bw_devdtls__scan_encrypted_hs(dg, size) != enc_hs)
        abort();
    return 0;
}
