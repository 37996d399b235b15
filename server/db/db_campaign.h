/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Update campaigns in the store (schema 6: campaigns, campaign_devices,
 * campaign_events; schema 8: campaigns.delivery; docs/campaigns.md).
 *
 * This header owns what a campaign is on disk: its settings, its state,
 * the devices it targets (fixed at creation, in a stable random order,
 * each in one batch), where each device stands, and the history of every
 * change.  It decides nothing about when a device starts or a campaign
 * halts: that is the planner's job (server/fleet/campaign_plan.h); this
 * file only records the planner's decisions, each change guarded by the
 * state it leaves, and each one with its campaign_events row in the same
 * transaction, committed before the call returns.
 *
 * What it must never do: record a device change without its history row;
 * apply a change to a device (or campaign) that is no longer in the state
 * the change was decided from.
 *
 * Threads and callbacks as in db.h: any thread; walks call back with the
 * write lock held and the callback MUST NOT call into the same bw_db_t.
 * Batches are numbered from 1.
 */
#ifndef BW_DB_CAMPAIGN_H
#define BW_DB_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "db_list.h"

/* Campaign names are labels for people. */
#define BW_DB_CAMPAIGN_NAME_MAX 128
/* Firmware ids: 8 bytes of SHA-256 as 16 lowercase hex digits. */
#define BW_DB_FW_ID_LEN 16
/* Firmware versions as images carry them ("1.2.3+4") and as devices
 * report them in /3/0/3 (a free string of the device). */
#define BW_DB_FW_VERSION_MAX 64
/* Batches: a handful of stages is what operators use; 16 is plenty. */
#define BW_DB_CAMPAIGN_BATCHES_MAX 16
/* Entries of each selector list (versions, tags, endpoints): one page
 * of the device list. */
#define BW_DB_SELECTOR_LIST_MAX 1000
/* Detail text of a device or event: one sentence. */
#define BW_DB_CAMPAIGN_DETAIL_MAX 255
/* Targets of one campaign: the largest fleet one campaign handles in a
 * single creation transaction. */
#define BW_DB_CAMPAIGN_TARGETS_MAX 100000

typedef enum {
    BW_DB_CAMP_RUNNING = 0,
    BW_DB_CAMP_PAUSED,
    BW_DB_CAMP_HALTED,
    BW_DB_CAMP_ABORTED,
    BW_DB_CAMP_COMPLETED,
    BW_DB_CAMP_COUNT_
} bw_db_camp_state_t;

/* Device states in a campaign.  Final: SUCCEEDED, FAILED, SKIPPED,
 * ABORTED.  In flight: DOWNLOADING, DOWNLOADED, UPDATING. */
typedef enum {
    BW_DB_CDEV_PENDING = 0,
    BW_DB_CDEV_DOWNLOADING,
    BW_DB_CDEV_DOWNLOADED,
    BW_DB_CDEV_UPDATING,
    BW_DB_CDEV_SUCCEEDED,
    BW_DB_CDEV_FAILED,
    BW_DB_CDEV_SKIPPED,
    BW_DB_CDEV_ABORTED,
    BW_DB_CDEV_COUNT_
} bw_db_cdev_state_t;

/* How a campaign delivers the image (schema 8, campaigns.delivery):
 * PULL writes the Package URI (/5/0/1) and the device fetches the image
 * from the DM server; PUSH writes the image itself into /5/0/0,
 * block-wise (docs/campaigns.md, "Delivery"). */
typedef enum {
    BW_DB_DELIVERY_PULL = 0,
    BW_DB_DELIVERY_PUSH,
    BW_DB_DELIVERY_COUNT_
} bw_db_delivery_t;

/* Names as stored and as the API shows them ("running", "pending"...);
 * NULL out of range.  _parse returns the value or -1. */
const char *bw_db_camp_state_name(bw_db_camp_state_t s);
int bw_db_camp_state_parse(const char *s);
const char *bw_db_cdev_state_name(bw_db_cdev_state_t s);
int bw_db_cdev_state_parse(const char *s);
/* "pull", "push". */
const char *bw_db_delivery_name(bw_db_delivery_t d);
int bw_db_delivery_parse(const char *s);

/* Who a campaign targets.  NULL lists (with n 0) are absent: no filter.
 * model NULL: the image's model. */
typedef struct {
    const char *model;
    const char *const *versions;
    size_t n_versions;
    const char *const *tags;
    size_t n_tags;
    const char *const *endpoints;
    size_t n_endpoints;
} bw_db_selector_t;

typedef struct {
    const char *name;
    const char *firmware_id;
    bw_db_selector_t selector;
    uint8_t batches[BW_DB_CAMPAIGN_BATCHES_MAX]; /* cumulative percent */
    size_t n_batches;
    uint32_t max_concurrent;
    uint32_t threshold_bp; /* failure threshold, 1/100 percent */
    int window_start;      /* minutes of the UTC day; -1: no window */
    int window_end;
    int auto_upgrade;
    const char *created_by;
    uint64_t seed;             /* the order of the targets; any value */
    bw_db_delivery_t delivery; /* [BW_DB_DELIVERY_PULL] (zero) */
} bw_db_campaign_spec_t;

/*
 * Does a device match a selector?  tags is the device's tags text: tags
 * separated by commas and/or spaces.  version may be NULL (never
 * reported): it then matches only a selector without versions.
 * Returns 1 or 0.
 */
int bw_db_selector_match(const bw_db_selector_t *sel, const char *model,
                         const char *tags, const char *version,
                         const char *endpoint);

/* Compare two version strings: dot-separated runs of digits compare as
 * numbers, anything else byte-wise.  <0, 0, >0 like strcmp. */
int bw_db_version_cmp(const char *a, const char *b);

/*
 * Batch bounds: bounds[k] is the number of targets in batches 1..k+1,
 * ceil(pct_k * n / 100).  pcts MUST be ascending and end at 100.
 */
void bw_db_campaign_batch_bounds(const uint8_t *pcts, size_t n_batches,
                                 size_t n, size_t *bounds);

/*
 * Create a campaign, in one transaction: read the firmware row, select
 * the targets (bw_db_selector_match over the devices of the model), put
 * them in a random order drawn from spec->seed, assign batches
 * (bw_db_campaign_batch_bounds), insert the campaign (state running,
 * current batch 1) and one row per target (pending, or skipped when it
 * already reports the image's version), each with its history row.
 * Returns 0, *id and *targets (both may be NULL), or
 *   BW_ENOTFOUND   no firmware with this id;
 *   BW_ENOMATCH    no device matches the selector;
 *   BW_EMALFORMED  name or a selector entry empty or with control
 *                  characters, firmware id not 16 lowercase hex digits,
 *                  an endpoint breaking the endpoint rule;
 *   BW_EOVERFLOW   a text or list above its maximum, more targets than
 *                  BW_DB_CAMPAIGN_TARGETS_MAX;
 *   BW_ERANGE      batches empty, not ascending, not ending at 100, a 0;
 *                  max_concurrent 0; threshold above 10000; a window
 *                  bound outside 0..1439 or start == end, or only one;
 *                  a delivery that is neither pull nor push;
 *   BW_ETIMEOUT, BW_EIO, BW_ENOMEM;
 *   BW_EINVAL      NULL pointers.
 */
int bw_db_campaign_create(bw_db_t *db, const bw_db_campaign_spec_t *spec,
                          int64_t now_ms, int64_t *id, uint64_t *targets);

typedef struct {
    int64_t id;
    char name[BW_DB_CAMPAIGN_NAME_MAX + 1];
    char firmware_id[BW_DB_FW_ID_LEN + 1];
    char version[BW_DB_FW_VERSION_MAX + 1]; /* the image's */
    char model[BW_DB_MODEL_MAX + 1];        /* the selector's */
    bw_db_camp_state_t state;
    unsigned current_batch; /* 1..n_batches */
    uint8_t batches[BW_DB_CAMPAIGN_BATCHES_MAX];
    size_t n_batches;
    uint32_t max_concurrent;
    uint32_t threshold_bp;
    int window_start, window_end; /* -1: none */
    int auto_upgrade;
    bw_db_delivery_t delivery;
    char halt_reason[BW_DB_CAMPAIGN_DETAIL_MAX + 1]; /* "" when none */
    char created_by[BW_DB_AUDIT_FIELD_MAX + 1];
    int64_t created_ms, updated_ms;
    uint64_t counts[BW_DB_CDEV_COUNT_];
    uint64_t total;
} bw_db_campaign_t;

/* One campaign with its counts.  Returns 0, BW_ENOTFOUND, BW_EIO,
 * BW_EMALFORMED (a corrupt row), BW_EINVAL.  On failure *out is zeroed. */
int bw_db_campaign_get(bw_db_t *db, int64_t id, bw_db_campaign_t *out);

/*
 * Call cb for up to max campaigns with id > after_id, in id order (c is
 * valid during the call).  A non-zero return from cb stops the walk and
 * is returned.  Returns 0, cb's code, BW_ERANGE (max 0 or above
 * BW_DB_LIST_MAX), BW_EIO, BW_EMALFORMED, BW_EINVAL.
 */
int bw_db_campaign_list(bw_db_t *db, int64_t after_id, size_t max,
                        int (*cb)(void *arg, const bw_db_campaign_t *c),
                        void *arg);

typedef struct {
    int64_t device_id;
    char endpoint[BW_DB_ENDPOINT_MAX + 1];
    unsigned batch;
    bw_db_cdev_state_t state;
    int result; /* the last Update Result (/5/0/5) seen, 0 before */
    char detail[BW_DB_CAMPAIGN_DETAIL_MAX + 1];
    int64_t started_ms; /* when the download was started; 0 before */
    int64_t updated_ms; /* the last state change */
} bw_db_cdev_t;

/*
 * The devices of a campaign, by batch and then in the campaign's order
 * (the order they start in).  Returns 0, cb's code, BW_ENOTFOUND (no
 * such campaign), BW_EIO, BW_EMALFORMED, BW_EINVAL.
 */
int bw_db_campaign_devices(bw_db_t *db, int64_t campaign_id,
                           int (*cb)(void *arg, const bw_db_cdev_t *d),
                           void *arg);

/* One device of a campaign, by endpoint.  Returns 0, BW_ENOTFOUND (no
 * such campaign, or the device is not in it), BW_EMALFORMED, BW_EIO,
 * BW_EINVAL.  On failure *out is zeroed. */
int bw_db_campaign_device_get(bw_db_t *db, int64_t campaign_id,
                              const char *endpoint, bw_db_cdev_t *out);

typedef struct {
    int64_t at_ms;
    const char *state, *detail; /* valid during cb */
} bw_db_cevent_t;

/* The history of one device in a campaign, oldest first.  Returns 0,
 * cb's code, BW_ENOTFOUND, BW_EMALFORMED, BW_EIO, BW_EINVAL. */
int bw_db_campaign_history(bw_db_t *db, int64_t campaign_id,
                           const char *endpoint,
                           int (*cb)(void *arg, const bw_db_cevent_t *e),
                           void *arg);

/* A change of the campaign itself: applied only when its state is in
 * from_mask (bit 1 << state).  halt_reason NULL keeps it. */
typedef struct {
    unsigned from_mask;
    bw_db_camp_state_t to;
    unsigned current_batch; /* 0 keeps */
    const char *halt_reason;
    const char *detail; /* for the history row */
} bw_db_camp_change_t;

/* A change of one device: applied only when it is in state from.
 * result < 0 keeps the stored result.  applied is set by the call. */
typedef struct {
    int64_t device_id;
    bw_db_cdev_state_t from, to;
    int result;
    const char *detail;
    int applied;
} bw_db_cdev_change_t;

/*
 * Apply, in one transaction, an optional campaign change and n device
 * changes, each with its history row; committed before it returns.  A
 * device no longer in its from state is left alone (applied 0), the
 * others are applied.  A device entering DOWNLOADING from PENDING gets
 * started_at.
 * Returns 0, or
 *   BW_ESTATE      the campaign is not in from_mask: nothing applied;
 *   BW_ENOTFOUND   no such campaign;
 *   BW_EMALFORMED  a detail with control characters;
 *   BW_EOVERFLOW   a detail or reason above BW_DB_CAMPAIGN_DETAIL_MAX;
 *   BW_ETIMEOUT, BW_EIO;
 *   BW_EINVAL      NULL pointers, states out of range.
 */
int bw_db_campaign_apply(bw_db_t *db, int64_t campaign_id,
                         const bw_db_camp_change_t *camp,
                         bw_db_cdev_change_t *devs, size_t n, int64_t now_ms);

/* A device's row in one campaign, as found by endpoint across them. */
typedef struct {
    int64_t campaign_id, device_id;
    bw_db_cdev_state_t state;
    char version[BW_DB_FW_VERSION_MAX + 1]; /* the campaign's target */
} bw_db_cdev_ref_t;

/*
 * The campaigns in which endpoint is in flight (DOWNLOADING, DOWNLOADED
 * or UPDATING).  Returns 0, cb's code, BW_EMALFORMED, BW_EIO, BW_EINVAL.
 */
int bw_db_campaign_in_flight(bw_db_t *db, const char *endpoint,
                             int (*cb)(void *arg, const bw_db_cdev_ref_t *r),
                             void *arg);

/*
 * A device reported its firmware version (/3/0/3): store it in
 * devices.fw_version and fw_seen_at, and enrol it, pending, in every
 * completed campaign with auto_upgrade whose selector it matches, whose
 * target version is newer than the reported one and which it is not part
 * of yet (the last batch; history row "pending: enrolled").  One
 * transaction.  *enrolled (may be NULL) gets the number of campaigns.
 * Returns 0, BW_ENOTFOUND (device), BW_EMALFORMED (endpoint, version
 * empty or with control characters), BW_EOVERFLOW, BW_ETIMEOUT, BW_EIO,
 * BW_EINVAL.
 */
int bw_db_campaign_fw_reported(bw_db_t *db, const char *endpoint,
                               const char *version, int64_t now_ms,
                               uint64_t *enrolled);

#endif /* BW_DB_CAMPAIGN_H */
