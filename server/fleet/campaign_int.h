/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the campaign engine (campaign.c: the engine, its tick and
 * the operator's calls; campaign_device.c: the requests to one device
 * and what their answers mean; campaign_push.c: the block-wise Write of
 * the image into /5/0/0 for campaigns that push).
 *
 * A track is the engine's memory of one device in flight: what it is
 * waiting for and when it polls next.  Tracks are a cache of the store
 * (rebuilt by the tick from campaign_devices after a restart); the store
 * decides, a track only schedules.  Every field is guarded by e->m.
 */
#ifndef BW_CAMPAIGN_INT_H
#define BW_CAMPAIGN_INT_H

#include <pthread.h>

#include "campaign.h"

typedef enum {
    TRACK_PUSH,     /* send the image block by block (campaign_push.c) */
    TRACK_DOWNLOAD, /* poll /5/0/3 (and /5/0/5) */
    TRACK_UPDATE,   /* wait for the device to register again */
    TRACK_VERIFY,   /* it did: read /3/0/3 and /5/0/5 until decided */
} track_phase_t;

typedef struct track {
    struct track *next;
    int64_t campaign_id, device_id;
    char ep[BW_LWSRV_EP_MAX + 1];
    char target[BW_DB_FW_VERSION_MAX + 1];
    track_phase_t phase;
    int busy;         /* a request is out */
    /* Bumped when the device registers anew: a request sent before then
     * went out on a session that is gone, and its answer (a time-out,
     * a minute later) must not hold the track. */
    unsigned gen;
    unsigned exec_retries; /* Executes sent again (lost ones) */
    uint64_t next_ms; /* next poll, monotonic */
    int seen;         /* found in flight by the current tick */
    /* Push campaigns only (push set).  One block in flight at a time:
     * push_off is the offset of the block out (or next to send),
     * push_szx its size; push_gen tells the answers of a transfer that
     * was restarted from those of the new one.  pushed: the last block
     * was answered 2.04 in this track's life (a track rebuilt after a
     * restart has not, and pushes again from block 0). */
    int push, pushed;
    char firmware_id[BW_DB_FW_ID_LEN + 1];
    uint32_t push_off;
    uint8_t push_szx;
    unsigned push_restarts, push_gen;
    uint32_t push_blocks; /* blocks answered, for the log */
    uint64_t push_start_ms;
} track_t;

/* An image being pushed, kept in memory while a track pushes it. */
typedef struct push_image {
    struct push_image *next;
    char id[BW_DB_FW_ID_LEN + 1];
    uint8_t *data;
    size_t len;
} push_image_t;

struct bw_campaign {
    bw_campaign_config_t cfg;
    char dm_uri[BW_CAMPAIGN_URI_MAX + 1];
    pthread_mutex_t m;
    track_t *tracks;
    push_image_t *images;
    int stopping;
    /* Whether the store may hold devices in flight (downloading,
     * downloaded, updating) in any campaign: 1 until a tick has read
     * every campaign and found none, 1 again once the engine moves a
     * device into flight.  Under m, like every such move.  While 0, the
     * answer to a device's /3/0/3 looks up no campaign of it. */
    int may_fly;
};

/* campaign.c */
uint64_t bw_campaign__mono_ms(void);
int64_t bw_campaign__wall_ms(void);
void bw_campaign__log(bw_campaign_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
track_t *bw_campaign__track(bw_campaign_t *e, int64_t campaign_id,
                            int64_t device_id);
/* Find or add (NULL when out of memory). */
track_t *bw_campaign__track_add(bw_campaign_t *e, int64_t campaign_id,
                                int64_t device_id, const char *ep,
                                const char *target, track_phase_t phase);
void bw_campaign__track_drop(bw_campaign_t *e, int64_t campaign_id,
                             int64_t device_id);
/* bw_db_campaign_apply, then the config's changed hook for every change
 * applied (lock held).  eps: the endpoints of ch[] (NULL, or entries
 * NULL: looked up in the tracks).  Same codes as bw_db_campaign_apply. */
int bw_campaign__apply(bw_campaign_t *e, int64_t campaign_id,
                       const bw_db_camp_change_t *cc, bw_db_cdev_change_t *ch,
                       const char *const *eps, size_t n, int64_t now_ms);
/* One device change with its history row (lock held).  Returns 1 when
 * applied. */
int bw_campaign__set(bw_campaign_t *e, int64_t campaign_id, int64_t device_id,
                     bw_db_cdev_state_t from, bw_db_cdev_state_t to, int result,
                     const char *detail);

/* campaign_device.c (lock held for all) */
/* Write the Package URI of firmware_id.  0 or the request's error. */
int bw_campaign__send_uri(bw_campaign_t *e, track_t *t,
                          const char *firmware_id);
/* Write "" to /5/0/1 (cancel), answer ignored. */
void bw_campaign__send_cancel(bw_campaign_t *e, const char *ep);
/* The poll of a track that is due: /5/0/3 or /3/0/3. */
void bw_campaign__poll(bw_campaign_t *e, track_t *t);
/* The device registered: read /3/0/3 (stores the version; verifies
 * updating devices). */
void bw_campaign__registered(bw_campaign_t *e, const char *ep);
/* The device failed (from -> failed with result and detail, logged) and
 * its track is dropped. */
void bw_campaign__fail(bw_campaign_t *e, int64_t campaign_id, int64_t device_id,
                       const char *ep, bw_db_cdev_state_t from, int result,
                       const char *detail);
/* A text payload as a small non-negative integer; -1 if it is not one. */
int bw_campaign__text_int(const uint8_t *p, size_t len);

/* campaign_push.c (lock held for all) */
/* Start (or start again) the push of the track's image from block 0:
 * load the image, send block 0.  0, or BW_ENOTFOUND (the image is not in
 * the store, or the device is not registered), BW_ENOMEM, the store's
 * codes, or the request's error. */
int bw_campaign__push_start(bw_campaign_t *e, track_t *t);
/* Cancel a push: a Write of an empty Package (/5/0/0), answer ignored. */
void bw_campaign__push_cancel(bw_campaign_t *e, const char *ep);
/* Free the images no pushing track uses any more (all = 1: every one). */
void bw_campaign__push_images_sweep(bw_campaign_t *e, int all);

#endif /* BW_CAMPAIGN_INT_H */
