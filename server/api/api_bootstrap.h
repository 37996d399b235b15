/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-device bootstrap configuration through the API (docs/api.md,
 * "Bootstrap configuration"): which DM server, registration lifetime and
 * binding ("U", or "UQ" for queue mode) the bootstrap server gives a
 * device (server/app's provide() reads it with bw_db_bootstrap_get).
 *
 *   GET    /api/v1/devices/{ep}/bootstrap   (viewer)
 *   PUT    /api/v1/devices/{ep}/bootstrap   (admin) {"server_uri", "lifetime",
 *                                            "binding"}, each optional
 *   DELETE /api/v1/devices/{ep}/bootstrap   (admin) back to the defaults
 *
 * A change takes effect at the device's next bootstrap: a device keeps
 * what it was given until then (POST /devices/{ep}/rotate sends it back
 * to the bootstrap server at once).  Changes are audited.
 *
 * What it must never do: store a configuration the device cannot use (a
 * URI that is not coap:// or coaps://, a binding other than U or UQ, a
 * lifetime outside BW_API_BOOTSTRAP_LIFETIME_MIN..MAX).
 */
#ifndef BW_API_BOOTSTRAP_H
#define BW_API_BOOTSTRAP_H

#include <stdint.h>

#include "api.h"

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

#endif /* BW_API_BOOTSTRAP_H */
