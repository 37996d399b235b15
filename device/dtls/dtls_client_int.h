/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the files of the DTLS client (dtls_client*.c);
 * never included from outside device/dtls.
 */
#ifndef BW_DTLS_CLIENT_INT_H
#define BW_DTLS_CLIENT_INT_H

#include <mbedtls/version.h>

#include "dtls_client.h"

/* Client states (the diagram is in dtls_client.h). */
enum {
    BW_DEVDTLS_IDLE = 0,
    BW_DEVDTLS_HANDSHAKE = 1,
    BW_DEVDTLS_CONNECTED = 2,
    BW_DEVDTLS_FAILED = 3,
};

/* mbedTLS 3 hides struct fields behind MBEDTLS_PRIVATE() and reworked a
 * few signatures; these keep one source for 2.28 and 3.6. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define BW_DEVDTLS_SESSION_MASTER(s) ((s)->MBEDTLS_PRIVATE(master))
#else
#define BW_DEVDTLS_SESSION_MASTER(s) ((s)->master)
#endif

/*
 * Read the credentials cfg names from ks into client->conf (PSK) or into
 * client->ca, own_cert and own_key (CERT), wiping every copy.  Errors as
 * for bw_dtls_client_init().
 */
int bw_devdtls__load_creds(bw_dtls_client_t *client,
                           const bw_dtls_client_config_t *cfg,
                           bw_keystore_t ks);

/*
 * Map an mbedTLS failure (ret < 0, not WANT_READ/WANT_WRITE) to a BW_E*
 * code, and write the reason into client->reason.  in_handshake selects
 * the handshake rules (alerts are classified; a timeout after our Finished
 * in PSK mode is BW_EAUTH) over those of an established channel (every
 * alert is BW_ECLOSED).
 */
int bw_devdtls__map_error(bw_dtls_client_t *client, int ret, int in_handshake);

/* Set client->reason to text (cut to fit). */
void bw_devdtls__reason(bw_dtls_client_t *client, const char *text);

#endif /* BW_DTLS_CLIENT_INT_H */
