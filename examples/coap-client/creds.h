/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-coap-client: the key store the DTLS client reads (creds.c).
 * A --keystore directory, with a PSK from the command line laid over its
 * "dm/psk-identity" and "dm/psk" items.
 */
#ifndef BW_COAP_CLIENT_CREDS_H
#define BW_COAP_CLIENT_CREDS_H

#include "bulwark/keystore.h"
#include "client.h"
#include "dtls_client.h"
#include "posix_keystore.h"

typedef struct {
    int has_dir;
    bw_posix_keystore_t dir;
    bw_keystore_t base; /* over dir, when has_dir */
    int has_psk;
    char psk_id[BW_DTLS_PSK_ID_MAX];
    size_t psk_id_len;
    uint8_t psk[BW_DTLS_PSK_MAX]; /* secret: wiped by cli_creds_wipe() */
    size_t psk_len;
} cli_creds_t;

/*
 * Open the key store directory (if any) and read the PSK file (if any).
 * Returns 0, or -1 with a reason (nothing secret in it); c is then wiped.
 */
int cli_creds_init(cli_creds_t *c, const cli_security_t *sec, char *err,
                   size_t cap);

/* The overlay as a key store; c MUST outlive its use. */
bw_keystore_t cli_creds_keystore(cli_creds_t *c);

/* Wipe the in-memory PSK (the DTLS client keeps its own copy). */
void cli_creds_wipe(cli_creds_t *c);

#endif /* BW_COAP_CLIENT_CREDS_H */
