/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-device bootstrap configuration through the API (docs/api.md,
 * "Bootstrap configuration"): which DM server, registration lifetime and
 * binding ("U", or "UQ" for queue mode) the bootstrap server gives a
 * device (server/app's provide() reads it with bw_db_bootstrap_get).
 *
 *   GET    /api/v1/devices/{ep}/bootstrap   (viewer)
 *   PUT    /api/v1/devices/{ep}/bootstrap   (admin) {"server_uri", "lifetime",
 *                                            "binding", "servers"}, each
 *                                            optional
 *   DELETE /api/v1/devices/{ep}/bootstrap   (admin) back to the defaults
 *
 * A change takes effect at the device's next bootstrap: a device keeps
 * what it was given until then (POST /devices/{ep}/rotate sends it back
 * to the bootstrap server at once).  Changes are audited.
 *
 * "servers": additional DM servers (at most BW_DB_BS_SERVERS_MAX), each
 * with its URI, Short Server ID, lifetime, binding, the PSK identity and
 * key that server knows the device by, and its access map ("/3/0": "R",
 * "/3303": "C"), from which the bootstrap server writes Access Control
 * (lwm2m_bootstrap.h).  Their keys are stored sealed (db_bootstrap.c)
 * and never answered: GET shows "psk": "set".
 *
 * What it must never do: store a configuration the device cannot use (a
 * URI that is not coap:// or coaps://, a binding other than U or UQ, a
 * lifetime outside BW_API_BOOTSTRAP_LIFETIME_MIN..MAX, an additional
 * server with a clashing Short Server ID or an access path or letter the
 * device would refuse), or answer, log or audit a key.
 */
#ifndef BW_API_BOOTSTRAP_H
#define BW_API_BOOTSTRAP_H

#include <stdint.h>

#include "api.h"
#include "db.h"
#include "lwm2m_bootstrap.h"

/* Registration lifetimes a device may be given, seconds.  Below 10 s
 * a device would do little but update (it updates at 90 % of it); above
 * a year the server would not notice a dead device for a year. */
#define BW_API_BOOTSTRAP_LIFETIME_MIN 10
#define BW_API_BOOTSTRAP_LIFETIME_MAX (365 * 86400)

/*
 * The server's defaults, which a device without a configuration of its
 * own gets and which "server_uri" and "lifetime" fall back to: the DM
 * server's URI as the bootstrap server gives it, and --lifetime.  Call
 * once, after bw_api_start; until then PUT answers 503 (GET and DELETE
 * answer without the defaults' members).
 */
void bw_api_bootstrap_defaults(bw_api_t *api, const char *dm_uri,
                               uint32_t lifetime_s);

/*
 * The additional DM servers of ep's configuration into out->extra and
 * out->n_extra, keys opened and access maps parsed: for the bootstrap
 * server's provider, which wipes out after use.  A device without a
 * configuration of its own has none (n_extra 0).  Returns 0, or
 * bw_db_bootstrap_keys's errors (BW_EAUTH: a sealed key that does not
 * open), BW_EOVERFLOW or the access parser's codes for a stored row this
 * code would not have written, BW_ENOMEM, BW_EINVAL.  On failure n_extra
 * is 0 and extra wiped.
 */
int bw_api_bootstrap_servers(bw_db_t *db, const char *ep,
                             bw_lwsrv_bs_config_t *out);

#endif /* BW_API_BOOTSTRAP_H */
