/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credential rotation on demand and by policy (docs/server.md,
 * "Credentials and rotation"; docs/api.md, POST /devices/{ep}/rotate).
 *
 * A rotation is started by asking a registered device to go back to its
 * bootstrap server: LwM2M Execute of the Bootstrap-Request Trigger,
 * /1/<its Server object instance>/9.  The device answers 2.04, returns to
 * the bootstrap server with its factory credential, receives a fresh DM
 * credential (committed as pending before the device hears of it) and
 * registers with it; that registration confirms the new credential and
 * revokes the older ones (server/app).  This module only starts it: one
 * trigger (bw_api_rotate_request) shared by the API route and the policy,
 * so both leave the same audit trail: "rotation-requested" before the
 * Execute is sent (so it always precedes the bootstrap's
 * "credential-issued"), "rotation-failed" when the device does not
 * acknowledge.
 *
 * The policy (`bulwark-server run --rotate-days N`) finds registered
 * devices whose DM credential is older than N days (server/db/db_rotate.h
 * says exactly when a device is due) once a minute, and each device that
 * registers, and triggers at most BW_API_ROTATE_PER_MINUTE rotations a
 * minute.
 *
 * What it must never do: wait on a DTLS worker (answers come back through
 * callbacks that copy and return); rotate a device that is not
 * registered; run more rotations a minute than the budget; touch a
 * credential itself.
 */
#ifndef BW_API_ROTATE_H
#define BW_API_ROTATE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "lwm2m_registry.h"
#include "lwm2m_srv.h"

/* The Server object instance the bootstrap sequence writes (/1/1,
 * server/lwm2m/lwm2m_bootstrap.c): used when the registration's object
 * links do not say. */
#define BW_API_ROTATE_SERVER_INSTANCE 1
/* Rotations the policy starts per minute at most.  Each costs a
 * bootstrap handshake, four bootstrap requests and a new registration
 * handshake: 100 a minute is a light, steady load beside the devices'
 * own traffic, and still 144,000 devices a day, so a fleet provisioned
 * in one day does not turn its first due date into a bootstrap storm. */
#define BW_API_ROTATE_PER_MINUTE 100
/* How often the policy looks for due devices (and once at start). */
#define BW_API_ROTATE_SCAN_MS (60 * 1000)
/* Due devices read per scan: a few times the budget, so registered ones
 * are found behind stored registrations a restart left stale. */
#define BW_API_ROTATE_SCAN_MAX (4 * BW_API_ROTATE_PER_MINUTE)
/* A pending DM credential younger than this is a rotation under way
 * (a bootstrap and a registration take seconds); an older one was
 * abandoned and does not hold the device back. */
#define BW_API_ROTATE_PENDING_STALE_MS (60 * 60 * 1000)
/* Registrations noted between two ticks; past this, the next minute's
 * scan finds the rest. */
#define BW_API_ROTATE_NOTED_MAX 1024
/* Largest --rotate-days: 100 years. */
#define BW_API_ROTATE_DAYS_MAX 36500

/* What a rotation reaches: the store (audit, due devices) and the DM
 * role's LwM2M layer and registry (NULL when the DM role is not run). */
typedef struct {
    bw_db_t *db;
    bw_lwsrv_t *dm;
    bw_lwsrv_registry_t *reg;
} bw_api_rotate_env_t;

/*
 * The Server object instance a device lists in its registration's object
 * links (RFC 6690 link-format, `</1/0>,</3/0>;ver=1.1`): the one listed
 * if only one is, /1/BW_API_ROTATE_SERVER_INSTANCE if it is among
 * several, else the first listed.  Link parameters may hold quoted
 * strings (with commas and backslash escapes).
 * Returns 0 and *inst, or
 *   BW_ENOTFOUND   the links list no instance of object 1;
 *   BW_EMALFORMED  the text is not a link list: an item not in <...>,
 *                  an empty parameter name, an unterminated quoted
 *                  string, an empty item (",,", a trailing comma);
 *   BW_EINVAL      NULL links (with len > 0) or inst.
 * On failure *inst is 0.
 */
int bw_api_rotate_server_instance(const char *links, size_t len,
                                  uint16_t *inst);

/* The outcome of a trigger: err 0 and the device's CoAP code, or the LwM2M
 * layer's code (BW_ETIMEOUT, BW_ERESET, BW_ECLOSED, BW_ENOMEM,
 * BW_ESTATE).  Runs once, on a DTLS worker thread: copy and return. */
typedef void (*bw_api_rotate_done_t)(void *arg, const char *ep, int err,
                                     uint8_t code);

/*
 * Ask registered device ep to rotate: audit "rotation-requested" (actor,
 * e.g. "api:<token>" or "policy"; detail the Execute path), send Execute
 * /1/<instance>/9.  path (may be NULL) gets that path.  A device that
 * does not acknowledge with 2.04 is audited "rotation-failed" before
 * done runs.
 * Returns 0 (done will be called once), or
 *   BW_ENOTFOUND   ep is not registered;
 *   BW_ESTATE      the DM role is not run (env->dm or env->reg NULL), or
 *                  it is stopping;
 *   BW_ENOMEM;
 *   BW_EINVAL      NULL env, db, ep, actor or done.
 */
int bw_api_rotate_request(const bw_api_rotate_env_t *env, const char *ep,
                          const char *actor, bw_api_rotate_done_t done,
                          void *arg, char path[BW_LWSRV_PATH_MAX]);

/* ---- the policy ------------------------------------------------------ */

typedef struct bw_api_rotate_policy bw_api_rotate_policy_t;

typedef struct {
    bw_api_rotate_env_t env;
    uint32_t days;                           /* 1..BW_API_ROTATE_DAYS_MAX */
    void (*log)(void *arg, const char *msg); /* may be NULL */
    void *log_arg;
} bw_api_rotate_policy_config_t;

/* Returns NULL when out of memory or cfg is incomplete (no store, no DM
 * role, days out of range). */
bw_api_rotate_policy_t *
bw_api_rotate_policy_new(const bw_api_rotate_policy_config_t *cfg);

/* Note that ep registered (any thread, e.g. the DM role's event
 * callback; takes a mutex briefly, never the store).  The next tick
 * checks it. */
void bw_api_rotate_policy_registered(bw_api_rotate_policy_t *p, const char *ep);

/* Check the noted devices, and every BW_API_ROTATE_SCAN_MS (the first
 * call included) the store's due devices; start rotations within the
 * budget.  now_ms is wall-clock time (credential ages are).  One thread
 * (the server's main loop), every second or so. */
void bw_api_rotate_policy_tick(bw_api_rotate_policy_t *p, int64_t now_ms);

/* NULL is a no-op.  After the DM role stopped: the answers of rotations
 * in flight carry p as their argument. */
void bw_api_rotate_policy_free(bw_api_rotate_policy_t *p);

/* ---- shared by the files of server/api (not for other modules) ------ */

/*
 * POST /devices/{ep}/rotate for caller actor ("api:<token>"): 202
 * {"endpoint", "state": "rotation-requested", "path"} once the device
 * acknowledged with 2.04; 404 (unknown device), 409 (not registered, or
 * no DM role), 502 with "code" (the device refused), 504 (no answer in
 * BW_API_DEVICE_WAIT_MS, or the device is unreachable), 503, 500.
 * Waits on the calling (HTTPS) thread.
 */
struct bw_api;
struct json_t;
struct json_t *bw_api__device_rotate(struct bw_api *a, const char *ep,
                                     const char *actor, int *status);

#endif /* BW_API_ROTATE_H */
