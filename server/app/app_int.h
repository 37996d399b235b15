/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-server's wiring, shared by its files (not a module interface):
 * the app and its roles (app.c), the store glue (app_store.c).
 */
#ifndef BW_APP_INT_H
#define BW_APP_INT_H

#include <pthread.h>
#include <stdint.h>

#include "api.h"
#include "api_events.h"
#include "api_queue.h"
#include "api_rotate.h"
#include "app.h"
#include "campaign.h"
#include "dtls_server.h"
#include "fw_repo.h"
#include "lwm2m_observe.h"
#include "lwm2m_send.h"
#include "lwm2m_srv.h"

typedef struct app app_t;

/* One server role: its DTLS engine and LwM2M layer. */
typedef struct {
    app_t *app;
    int bootstrap;
    bw_dtls_server_t *dtls;
    bw_lwsrv_t *lw;
    bw_lwsrv_registry_t *reg;
} role_t;

/* One write for the writer, sized to it: the object links (at most
 * BW_DB_LINKS_MAX bytes) are its last member. */
typedef struct pending {
    struct pending *next;
    bw_lwsrv_pending_t *lp; /* the LwM2M layer's, answered after commit */
    uint8_t identity[BW_DB_IDENTITY_MAX];
    bw_db_reg_event_t ev;
    char ep[BW_DB_ENDPOINT_MAX + 1];
    char binding[8];
    char links[]; /* NUL-terminated */
} pending_t;

struct app {
    bw_app_config_t cfg;
    bw_db_t *db;
    role_t dm, bs;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pending_t *queue, **tail;
    int stopping;
    int writer_idle; /* the writer waits on cond (under lock) */
    size_t queued;   /* writes in queue */
    pthread_t writer;
    bw_api_t *api;
    bw_campaign_t *camp; /* update campaigns (DM role); atomic pointer */
    bw_fwrepo_t *fw;     /* firmware repository; served on the DM role */
    /* --rotate-days (DM role); atomic pointer, read by the DM workers */
    bw_api_rotate_policy_t *rotate;
    bw_lwsrv_send_config_t send; /* LwM2M Send on the DM role */
    /* Requests queued for devices (DM role); atomic pointer, read by the
     * DM workers. */
    bw_api_queue_t *requests;
    /* Live events (api_events.h): made first, freed last, so every part
     * may publish for as long as it runs. */
    bw_events_t *events;
};

/* ---- app.c -------------------------------------------------------------- */

/* Unix time in milliseconds. */
int64_t bw_app__wall_ms(void);
/* One log line on stderr, "HH:MM:SS bulwark-server: ...". */
__attribute__((format(printf, 2, 3))) void bw_app__say(const app_t *a,
                                                       const char *fmt, ...);
/* An audit entry; a failure is logged, not returned. */
void bw_app__audit(app_t *a, const char *actor, const char *action,
                   const char *subject, const char *detail);

/* ---- app_store.c -------------------------------------------------------- */

/* LwM2M Send on the DM role (bw_lwsrv_send_config_t) and the DM port's
 * other resources: Send, then firmware downloads. */
int bw_app__send_owner(void *arg, const bw_dtls_peer_info_t *peer,
                       char ep[BW_LWSRV_EP_MAX + 1]);
int bw_app__send_store(void *arg, const char *ep, const bw_lwsrv_sample_t *v,
                       size_t n, int64_t now_ms);
void bw_app__send_report(void *arg, const char *ep, uint8_t code, size_t stored,
                         const char *why);
size_t bw_app__dm_resource(void *arg, const bw_dtls_peer_info_t *peer,
                           const bw_coap_msg_t *req, uint8_t *out, size_t cap);

/* The observations' rows (bw_lwsrv_obs_store_t, arg the app). */
int bw_app__obs_load(void *arg, int (*cb)(void *, const bw_lwsrv_obs_view_t *),
                     void *cbarg, int64_t *last_id);
int bw_app__obs_put(void *arg, const bw_lwsrv_obs_view_t *v, const char *loc);
int bw_app__obs_del(void *arg, const char *ep, int64_t id);

/* Before the DM port opens: the stored unexpired registrations into r's
 * registry; logged, never fatal (the devices then register again). */
void bw_app__reg_load(app_t *a, role_t *r);

#endif /* BW_APP_INT_H */
