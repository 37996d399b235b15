/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-server: the program around the server modules.
 *
 *   server/db      the security store and everything kept on disk
 *   server/dtls    one DTLS engine per role (bootstrap on 5784, DM 5684)
 *   server/lwm2m   the LwM2M registration interface and bootstrap sequence
 *   server/api     the REST API over HTTPS (devices, DM operations, audit)
 *   server/fleet   the firmware repository (images served on the DM port
 *                  at /fw/<id>) and update campaigns
 *
 * app.c wires them: PSK lookups and identity binding go to the store for
 * the engine's role; the bootstrap server's provider issues fresh DM
 * credentials (committed as pending before the device is told); a device
 * registering with its new credential completes the rotation; events
 * become audit entries; registrations are group-committed to the store by
 * a writer thread.
 */
#ifndef BW_APP_H
#define BW_APP_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

typedef struct {
    const char *db_path;
    const char *master_key;
    const char *bind_addr;
    uint16_t dm_port, bs_port;
    const char *dm_uri;  /* given to devices at bootstrap */
    uint32_t lifetime_s; /* given to devices at bootstrap */
    unsigned workers;
    int run_dm, run_bs;
    const char *state_dir;  /* DTLS sessions across a restart */
    const char *ready_file; /* "dm_port bs_port api_port" once listening */
    int verbose;
    /* The REST API (server/api): HTTPS on api_bind (NULL: bind_addr). */
    int run_api;
    const char *api_bind;
    uint16_t api_port;
    const char *api_cert, *api_key; /* NULL: generated into state_dir */
    const char *api_token_file;
    /* Fleet image keys (PEM files) the firmware repository trusts for
     * uploads (server/fleet/fw_repo.h); none: every upload is refused. */
    const char *const *image_keys;
    size_t n_image_keys;
    /* Rotate DM credentials older than this many days (0: never;
     * server/api/api_rotate.h, the policy). */
    uint32_t rotate_days;
    /* Values kept per device from LwM2M Send (0: 10000). */
    uint64_t telemetry_max_rows;
    /* Days answered and expired queued requests are kept (0: for ever;
     * server/api/api_queue.h, the retention job). */
    uint32_t request_retention_days;
} bw_app_config_t;

/* Run until SIGTERM/SIGINT.  Returns the process exit code. */
int bw_app_run(const bw_app_config_t *cfg);

#endif /* BW_APP_H */
