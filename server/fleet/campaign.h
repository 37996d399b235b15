/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The campaign engine: runs update campaigns against registered devices.
 * docs/campaigns.md describes campaigns as an operator sees them.
 *
 * It turns the planner's decisions (campaign_plan.h) into LwM2M
 * operations through the DM server's bw_lwsrv_request(), and follows
 * each device through the Firmware Update object:
 *
 *   pending --Write /5/0/1 = Package URI (text/plain)--> downloading
 *       (a campaign with delivery push instead writes the image into
 *       /5/0/0 block by block, Block1, campaign_push.c; the device stays
 *       downloading until the last block is taken, then is polled)
 *   downloading --Read /5/0/3 and /5/0/5 every poll_ms-->
 *       State 2 (Downloaded): downloaded, then updating, Execute /5/0/2
 *       State 0 with Update Result 2..9: failed (the result's meaning)
 *   updating --the device registers again: Read /3/0/3 and /5/0/5-->
 *       version == target and result 1: succeeded
 *       result 8, or another version: failed ("update failed: reverted
 *       to <version>")
 *   timeouts, abort, batches, halting: the planner.
 *
 * Every state change is committed to the store (campaign_devices and one
 * campaign_events row) before the engine acts on the next step, so a
 * restarted server picks up where it was: devices downloading are polled
 * again, devices updating are checked when they register.
 *
 * It also reads /3/0/3 of every device that registers and stores the
 * version (devices.fw_version), enrolling the device in completed
 * auto-upgrade campaigns it matches (bw_db_campaign_fw_reported).
 *
 * Threads.  bw_campaign_tick() runs on the main loop (once a second);
 * answers from devices arrive on DTLS worker threads; the API calls
 * create and control from its own threads.  One mutex serialises all of
 * them; nothing waits for a device while holding it (requests are posted,
 * answers come by callback).
 *
 * What it must never do: act on a device before the change that leads to
 * the action is durable; start a device of a paused, halted or aborted
 * campaign; block a DTLS worker on anything but its mutex and the store.
 */
#ifndef BW_CAMPAIGN_H
#define BW_CAMPAIGN_H

#include <stdint.h>

#include "db_campaign.h"
#include "lwm2m_registry.h"
#include "lwm2m_srv.h"

/* Poll interval while a device downloads (the FOTA decisions: 2 s). */
#define BW_CAMPAIGN_POLL_MS 2000
/* Times an Execute is sent again to a device that came back on its old
 * image still holding the package (the Execute was lost, or the device
 * lost power before acting on it) before it is failed. */
#define BW_CAMPAIGN_EXEC_RETRIES 3
/* Campaigns looked at per tick (one page of the store's list). */
#define BW_CAMPAIGN_ACTIVE_MAX 1000
/* Base of Package URIs ("coaps://host:port"). */
#define BW_CAMPAIGN_URI_MAX 200

typedef struct bw_campaign bw_campaign_t;

/* A change the store committed (bw_campaign_config_t.changed): of the
 * campaign itself (device_id 0), or of one device in it. */
typedef struct {
    int64_t campaign_id;
    int64_t device_id; /* 0: the campaign's own state */
    const char *ep;    /* the device's endpoint; NULL when not known */
    const char *from;  /* state names; from is NULL for a campaign */
    const char *to;
    int result;         /* Update Result (/5/0/5); -1 when none */
    const char *detail; /* the history row's text; may be NULL */
} bw_campaign_change_t;

typedef struct {
    bw_db_t *db;
    bw_lwsrv_t *dm;           /* the DM server's LwM2M layer */
    bw_lwsrv_registry_t *reg; /* its registry: who is registered */
    /* The DM server's URI as devices reach it: the Package URI of image
     * <id> is <dm_uri>/fw/<id>, on the same DTLS port. */
    const char *dm_uri;
    uint32_t poll_ms;                        /* [BW_CAMPAIGN_POLL_MS] */
    void (*log)(void *arg, const char *msg); /* may be NULL */
    void *log_arg;
    /* Called once per change after it is committed, with the engine's
     * mutex held: it MUST NOT block or call the engine.  May be NULL. */
    void (*changed)(void *arg, const bw_campaign_change_t *ch);
    void *changed_arg;
} bw_campaign_config_t;

/* Returns NULL when out of memory or the configuration is incomplete
 * (db, dm, reg, dm_uri are required; dm_uri at most
 * BW_CAMPAIGN_URI_MAX). */
bw_campaign_t *bw_campaign_new(const bw_campaign_config_t *cfg);

/* From now on answers are dropped (the server is stopping: requests in
 * flight fail with BW_ESTATE, which is no device's fault).  Call before
 * the DM server stops. */
void bw_campaign_stop(bw_campaign_t *e);

/* After the DM server stopped (no callback can still come).  NULL is a
 * no-op. */
void bw_campaign_free(bw_campaign_t *e);

/* One round: plan every active campaign, record, act, poll.  now_ms is
 * Unix milliseconds (the UTC window and the timeouts use it). */
void bw_campaign_tick(bw_campaign_t *e, int64_t now_ms);

/* A registration event of the DM server (REGISTERED, UPDATED,
 * DEREGISTERED; others are ignored).  Any thread. */
void bw_campaign_on_event(bw_campaign_t *e, bw_lwsrv_event_kind_t kind,
                          const char *ep);

/*
 * Create a campaign (bw_db_campaign_create) and run its first step, so
 * the first devices start at once.  Same codes as
 * bw_db_campaign_create; BW_EINVAL for a NULL engine.
 */
int bw_campaign_create(bw_campaign_t *e, const bw_db_campaign_spec_t *spec,
                       int64_t now_ms, int64_t *id, uint64_t *targets);

typedef enum {
    BW_CAMPAIGN_PAUSE,  /* running -> paused */
    BW_CAMPAIGN_RESUME, /* paused -> running */
    BW_CAMPAIGN_ABORT,  /* running, paused, halted (and completed with
                           auto-upgrade) -> aborted */
} bw_campaign_op_t;

/*
 * Pause, resume or abort a campaign, then run its step (an abort marks
 * the pending devices aborted and cancels the downloads at once).
 * Returns 0, or BW_ESTATE (not allowed from the current state),
 * BW_ENOTFOUND, BW_ETIMEOUT, BW_EIO, BW_EINVAL.
 */
int bw_campaign_control(bw_campaign_t *e, int64_t id, bw_campaign_op_t op,
                        int64_t now_ms);

#endif /* BW_CAMPAIGN_H */
