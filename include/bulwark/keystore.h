/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key-store seam: where a device keeps its credentials.
 *
 * Credentials (PSK identities and keys, the device's private key and
 * certificate, the trust anchor of the servers) are named items, read and
 * replaced whole.  A port backs them with whatever the hardware offers: a
 * directory of 0600 files on Linux (device/port/posix/posix_keystore.c), a
 * secure element, an encrypted flash store.  Portable code never sees
 * where they live and never holds them longer than one use: read into a
 * caller buffer, use, wipe (bw_crypto_wipe()).
 *
 * put() is atomic per item: after a power cut the item holds its old
 * value or its new one, never a mix.  Atomic replacement of several items
 * together (a credential rotation) is built above this seam.
 *
 * Names are short ASCII strings, [a-z0-9._-] and '/', at most
 * BW_KEYSTORE_NAME_MAX bytes; the well-known ones are below.
 */
#ifndef BULWARK_KEYSTORE_H
#define BULWARK_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_KEYSTORE_NAME_MAX 64

/* Well-known items.  "bs" is the bootstrap server, "dm" the DM server. */
#define BW_KEY_BS_PSK_ID "bs/psk-identity"
#define BW_KEY_BS_PSK "bs/psk"
#define BW_KEY_DM_PSK_ID "dm/psk-identity"
#define BW_KEY_DM_PSK "dm/psk"
#define BW_KEY_DEVICE_CERT "device/cert.der" /* X.509, DER */
#define BW_KEY_DEVICE_KEY "device/key.der"   /* private key, DER */
#define BW_KEY_TRUST_ANCHOR "ca/cert.der"    /* servers' CA, DER */

/*
 * get:   copy the item into buf; 0 and *len, BW_ENOTFOUND, BW_ENOSPC
 *        (cap too small; *len is set to the size needed, so a call with
 *        buf NULL and cap 0 asks for the size), BW_EIO, BW_EINVAL (bad
 *        name).  *len is 0 after any other failure.
 * put:   replace the item atomically; 0, BW_EIO, BW_EINVAL (bad name).
 * erase: remove it; 0 (also when absent), BW_EIO, BW_EINVAL (bad name).
 * Implementations never log an item's contents.
 */
typedef struct {
    int (*get)(void *ctx, const char *name, uint8_t *buf, size_t cap,
               size_t *len);
    int (*put)(void *ctx, const char *name, const uint8_t *data, size_t len);
    int (*erase)(void *ctx, const char *name);
} bw_keystore_ops_t;

typedef struct {
    const bw_keystore_ops_t *ops;
    void *ctx;
} bw_keystore_t;

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_KEYSTORE_H */
