/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The campaign planner: every decision of an update campaign, as a pure
 * function of the campaign, its devices' states, who is registered and
 * the time.  No I/O, no clock, no lock: the driver (campaign.h) feeds it
 * what the store and the registry say, records what it decides, and only
 * then talks to devices.  docs/campaigns.md describes the rules; the unit
 * tests (tests/unit/test_fleet_campaign_plan.c) pin them down.
 *
 * One step decides, in this order:
 *   1. timeouts: a device downloading (or downloaded) for longer than
 *      BW_CPLAN_DOWNLOAD_TIMEOUT_MS since its start, or updating for
 *      longer than BW_CPLAN_UPDATE_TIMEOUT_MS since it entered updating,
 *      fails ("timed out"), whatever the campaign's state;
 *   2. abort: in an aborted campaign, pending devices become aborted,
 *      and devices downloading or downloaded are cancelled (the driver
 *      writes "" to /5/0/1) and become aborted; updating ones finish;
 *   3. batches (running only): while every device of the current batch
 *      is finished (succeeded, failed, skipped, aborted): if failed /
 *      (devices of the batch not skipped) exceeds the threshold, the
 *      campaign halts (exactly at the threshold it does not); else the
 *      last batch completes the campaign, any other moves to the next;
 *   4. starts: in a running campaign, inside its UTC window, pending
 *      devices of batches up to the current one that are registered
 *      start in the campaign's order while fewer than max_concurrent are
 *      in flight (downloading, downloaded, updating).  A completed
 *      campaign with auto-upgrade starts its (enrolled) pending devices
 *      the same way.  Paused and halted campaigns start nobody.
 * Decisions of a step see the earlier ones of the same step (a device
 * timed out in 1 counts as failed in 3).
 */
#ifndef BW_CAMPAIGN_PLAN_H
#define BW_CAMPAIGN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "db_campaign.h"

/* From the start of a download to State Downloaded. */
#define BW_CPLAN_DOWNLOAD_TIMEOUT_MS (10 * 60 * 1000)
/* From Execute Update to the device back with its result. */
#define BW_CPLAN_UPDATE_TIMEOUT_MS (5 * 60 * 1000)
/* The longest halt reason written. */
#define BW_CPLAN_REASON_MAX 160

typedef struct {
    bw_db_camp_state_t state;
    unsigned current_batch; /* 1..n_batches */
    unsigned n_batches;
    uint32_t max_concurrent;
    uint32_t threshold_bp; /* 100 = 1 % */
    int window_start;      /* minutes of the UTC day, -1: always */
    int window_end;
    int auto_upgrade;
} bw_cplan_campaign_t;

typedef struct {
    bw_db_cdev_state_t state;
    unsigned batch;     /* 1..n_batches */
    int registered;     /* the registry's view now */
    int64_t started_ms; /* download start (DOWNLOADING, DOWNLOADED) */
    int64_t updated_ms; /* last state change (UPDATING: its start) */
} bw_cplan_device_t;

typedef enum {
    BW_CPLAN_START = 1, /* pending -> downloading: write the Package URI */
    BW_CPLAN_TIMEOUT,   /* in flight -> failed, "timed out" */
    BW_CPLAN_ABORT,     /* pending -> aborted */
    BW_CPLAN_CANCEL,    /* downloading/downloaded -> aborted, write "" */
} bw_cplan_kind_t;

typedef struct {
    bw_cplan_kind_t kind;
    size_t index; /* into the devices given */
} bw_cplan_action_t;

typedef struct {
    bw_cplan_action_t *actions; /* caller's array of cap entries */
    size_t cap;
    size_t n;
    /* The campaign's new state and batch (equal to the input when
     * nothing changed; changed says whether anything did). */
    int changed;
    bw_db_camp_state_t state;
    unsigned current_batch;
    char reason[BW_CPLAN_REASON_MAX]; /* halt reason, or "" */
} bw_cplan_out_t;

/*
 * One planning step at now_ms (Unix milliseconds; the UTC window is
 * taken from it).  out->actions MUST have room for n entries (one
 * action per device at most).
 * Returns 0, or BW_EINVAL (NULL pointers, n_batches 0 or above
 * BW_DB_CAMPAIGN_BATCHES_MAX, current_batch outside 1..n_batches, a
 * device's batch outside 1..n_batches, states out of range), BW_ENOSPC
 * (cap below n), BW_ENOMEM.  On failure out->n is 0 and changed 0.
 */
int bw_cplan_step(const bw_cplan_campaign_t *c, const bw_cplan_device_t *d,
                  size_t n, int64_t now_ms, bw_cplan_out_t *out);

/* Is minute m (0..1439) of the UTC day inside [start, end)?  A window
 * with start > end wraps midnight; start < 0 means always. */
int bw_cplan_in_window(int start, int end, int m);

/* Finished: succeeded, failed, skipped, aborted.  In flight: downloading,
 * downloaded, updating. */
int bw_cplan_finished(bw_db_cdev_state_t s);
int bw_cplan_in_flight(bw_db_cdev_state_t s);

/* The meaning of an LwM2M Firmware Update Result (/5/0/5), for details:
 * "integrity check failure" ...; "unknown result" out of 0..9. */
const char *bw_cplan_result_text(int result);

#endif /* BW_CAMPAIGN_PLAN_H */
