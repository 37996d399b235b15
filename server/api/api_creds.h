/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device's credentials and the device itself through the API
 * (docs/api.md, "Credentials" and "DELETE /devices/{ep}"):
 *
 *   GET    /api/v1/devices/{ep}/credentials               (viewer)
 *   POST   /api/v1/devices/{ep}/credentials/{id}/revoke   (admin)
 *   DELETE /api/v1/devices/{ep}                           (admin)
 *
 * It owns the order of what a revocation or a deletion does: first the
 * store, in one committed transaction with its audit entry
 * (bw_db_credential_revoke, bw_db_device_purge), then the DM server's
 * memory: the registration made with the credential is ended as a
 * De-register would end it (bw_lwsrv_end: its observations go, the
 * campaigns and the "device.deregistered" live event hear of it).  From the commit on,
 * every request the device makes with the credential is refused by the
 * store (registration, Update, Send, firmware download: each checks
 * the identity), and a new handshake with it fails (the PSK lookup).
 *
 * What it must never do: put key material in an answer, a log line or
 * an audit entry (identities are not secret and are shown; keys never
 * leave the store); answer before the store has committed; revoke a
 * credential through an endpoint it does not belong to.
 *
 * The DTLS sessions that proved a revoked credential (or any credential
 * of a deleted device) are ended through cfg.close_identity, after the
 * commit: the DTLS server sends each a close_notify and forgets it.
 */
#ifndef BW_API_CREDS_H
#define BW_API_CREDS_H

#include "api.h"
#include "api_int.h"

/* ---- shared by the files of server/api (not for other modules) ------ */

/* GET and POST under /devices/{ep}/credentials; rest is what follows
 * "credentials" in the URL ("", "/12/revoke").  *allow is set for 405. */
json_t *bw_api__creds_route(bw_api_t *a, const char *rest,
                            const bw_api_req_t *r, int *status,
                            const char **allow);

/* DELETE /devices/{ep}. */
json_t *bw_api__device_delete(bw_api_t *a, const bw_api_req_t *r, int *status);

#endif /* BW_API_CREDS_H */
