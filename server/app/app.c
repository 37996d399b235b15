/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-server's wiring (see app.h): the roles, the registrations'
 * group commit, events, the REST API, the firmware repository; the store
 * glue for telemetry, observations and the start-up load is app_store.c.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_bootstrap.h"
#include "api_events.h"
#include "api_queue.h"
#include "api_rotate.h"
#include "app.h"
#include "app_int.h"
#include "campaign.h"
#include "dtls_server.h"
#include "fw_repo.h"
#include "db_telemetry.h"
#include "lwm2m_bootstrap.h"
#include "lwm2m_send.h"
#include "lwm2m_srv.h"

/* Registration events written per transaction at most. */
#define BATCH_MAX 1000
/*
 * Group commit without a slow disk.  Where a commit is quick (a tmpfs,
 * a disk with a battery-backed cache) writes do not pile up behind it,
 * and batches of one or two pay the whole cost of a transaction each:
 * BEGIN, the WAL frames of every page touched, the commit, and the read
 * connections' page caches dropped by every commit.  So a writer that
 * wakes to fewer than GATHER_MIN writes sleeps GATHER_US first, once:
 * what arrives meanwhile shares the transaction.  The price is up to
 * GATHER_US more before a device's answer; behind a real fsync it is
 * small beside the commit itself.
 */
#define GATHER_MIN 16
#define GATHER_US  1000

int64_t bw_app__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bw_app__say(const app_t *a, const char *fmt, ...)
{
    (void)a;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    fprintf(stderr, "%02d:%02d:%02d bulwark-server: %s\n", tm.tm_hour,
            tm.tm_min, tm.tm_sec, line);
}

void bw_app__audit(app_t *a, const char *actor, const char *action,
                   const char *subject, const char *detail)
{
    int err = bw_db_audit_append(a->db, bw_app__wall_ms(), actor, action,
                                 subject != NULL && *subject ? subject : "-",
                                 detail, NULL);
    if (err != 0)
        bw_app__say(a, "audit log: %s", bw_strerror(err));
}

/* ---- the security store, per role ---------------------------------- */

static int psk_lookup(void *arg, const uint8_t *identity, size_t len,
                      uint8_t *psk, size_t cap, size_t *psk_len)
{
    role_t *r = arg;
    return r->bootstrap ? bw_db_psk_lookup_bootstrap(r->app->db, identity, len,
                                                     psk, cap, psk_len)
                        : bw_db_psk_lookup_dm(r->app->db, identity, len, psk,
                                              cap, psk_len);
}

/* The identity the handshake proved must belong to ep, in this role. */
static int authorize(void *arg, const bw_dtls_peer_info_t *peer, const char *ep,
                     int bootstrap, const char **why)
{
    role_t *r = arg;
    char owner[BW_DB_ENDPOINT_MAX + 1];
    bw_db_cred_state_t st;
    if (bootstrap != r->bootstrap) {
        *why = bootstrap ? "not a bootstrap server" : "not a DM server";
        return BW_EAUTH;
    }
    int err = bw_db_identity_lookup(
        r->app->db, peer->identity, peer->identity_len,
        r->bootstrap ? BW_DB_PURPOSE_BOOTSTRAP : BW_DB_PURPOSE_DM, owner,
        sizeof owner, &st);
    if (err != 0 || strcmp(owner, ep) != 0) {
        *why = "identity does not own this endpoint";
        return BW_EAUTH;
    }
    return 0;
}

/* ---- registrations: group commit ----------------------------------- */

/*
 * A Register, Update or De-register that passed the LwM2M layer's checks
 * comes here on the device's worker (bw_lwsrv_config_t.commit), which
 * never waits for the disk: the write is queued for the writer thread.
 * The writer commits what has gathered in one transaction (one fsync),
 * with the credential confirmation and the audit entries that go with
 * each registration, and only then hands every write back to the LwM2M
 * layer (bw_lwsrv_committed), which answers the device on its worker.
 * Writes that arrive while a transaction commits form the next one, so
 * batches grow with the load and a lone registration waits for one
 * fsync only.
 */
static int commit(void *arg, bw_lwsrv_pending_t *lp, const bw_lwsrv_write_t *wr)
{
    role_t *r = arg;
    app_t *a = r->app;
    const bw_lwsrv_reg_t *req = wr->req;
    size_t links = wr->kind != BW_LWSRV_REQ_DEREGISTER && req->links != NULL
                       ? (req->links_len < BW_DB_LINKS_MAX ? req->links_len
                                                           : BW_DB_LINKS_MAX)
                       : 0;
    pending_t *p = calloc(1, sizeof *p + links + 1);
    if (p == NULL)
        return BW_ENOMEM;
    p->lp = lp;
    p->ev.op = wr->kind == BW_LWSRV_REQ_REGISTER ? BW_DB_REG_REGISTER
               : wr->kind == BW_LWSRV_REQ_UPDATE ? BW_DB_REG_UPDATE
                                                 : BW_DB_REG_DEREGISTER;
    snprintf(p->ev.location, sizeof p->ev.location, "%s", wr->location);
    snprintf(p->ep, sizeof p->ep, "%s", wr->ep);
    p->ev.endpoint = p->ep;
    p->ev.now_ms = bw_app__wall_ms();
    if (p->ev.op != BW_DB_REG_UPDATE)
        p->ev.audit_actor = "dm";
    if (p->ev.op != BW_DB_REG_DEREGISTER) {
        p->ev.lifetime_s = req->has_lifetime || p->ev.op == BW_DB_REG_REGISTER
                               ? req->lifetime
                               : 0;
        /* An Update without b= keeps the stored binding (a "UQ" device
         * stays in queue mode, also for the registry loaded at start). */
        if (req->has_binding || p->ev.op == BW_DB_REG_REGISTER) {
            snprintf(p->binding, sizeof p->binding, "%s%s",
                     req->binding[0] ? req->binding : "U",
                     req->queue ? "Q" : "");
            p->ev.binding = p->binding;
        }
        p->ev.version = req->version_minor == 1 ? "1.1" : "1.0";
        if (req->links != NULL) {
            memcpy(p->links, req->links, links);
            p->ev.object_links = p->links;
        } else if (p->ev.op == BW_DB_REG_REGISTER) {
            p->ev.object_links = "";
        }
    }
    /* A Register or Update is an exchange: a queue-mode device is awake
     * from now (api_queue.h).  Memory only; the disk is the writer's. */
    if (p->ev.op != BW_DB_REG_DEREGISTER)
        bw_api_queue_seen(__atomic_load_n(&a->requests, __ATOMIC_ACQUIRE),
                          p->ep, p->ev.now_ms);
    if (p->ev.op == BW_DB_REG_REGISTER &&
        wr->peer->identity_len <= sizeof p->identity) {
        /* The key it registered with: confirmed in the same commit. */
        memcpy(p->identity, wr->peer->identity, wr->peer->identity_len);
        p->ev.identity = p->identity;
        p->ev.identity_len = wr->peer->identity_len;
    }
    pthread_mutex_lock(&a->lock);
    int stopping = a->stopping;
    if (!stopping) {
        *a->tail = p;
        a->tail = &p->next;
        a->queued++;
        /* A busy writer takes this with its next batch: no wake-up. */
        if (a->writer_idle)
            pthread_cond_signal(&a->cond);
    }
    pthread_mutex_unlock(&a->lock);
    if (stopping) {
        free(p);
        return BW_ESTATE;
    }
    return 0;
}

static void *writer_main(void *arg)
{
    app_t *a = arg;
    static bw_db_reg_event_t evs[BATCH_MAX];
    pending_t *batch[BATCH_MAX];
    for (;;) {
        pthread_mutex_lock(&a->lock);
        while (a->queue == NULL && !a->stopping) {
            a->writer_idle = 1;
            pthread_cond_wait(&a->cond, &a->lock);
        }
        a->writer_idle = 0;
        if (a->queue == NULL && a->stopping) {
            pthread_mutex_unlock(&a->lock);
            return NULL;
        }
        if (!a->stopping && a->queued < GATHER_MIN) {
            /* Few writes: let more gather first (see GATHER_US). */
            pthread_mutex_unlock(&a->lock);
            struct timespec pause = {0, GATHER_US * 1000L};
            nanosleep(&pause, NULL);
            pthread_mutex_lock(&a->lock);
        }
        size_t n = 0;
        while (a->queue != NULL && n < BATCH_MAX) {
            pending_t *p = a->queue;
            a->queue = p->next;
            batch[n] = p;
            evs[n++] = p->ev;
        }
        a->queued -= n;
        if (a->queue == NULL)
            a->tail = &a->queue;
        pthread_mutex_unlock(&a->lock);
        int err = bw_db_registration_batch(a->db, evs, n);
        if (err != 0)
            bw_app__say(a, "registrations: %zu not stored: %s", n,
                        bw_strerror(err));
        for (size_t i = 0; i < n; i++) {
            if (evs[i].result == 0 && evs[i].revoked > 0) {
                bw_app__say(a, "%s: %llu older DM credential(s) revoked",
                            batch[i]->ep, (unsigned long long)evs[i].revoked);
                bw_events_publish(
                    a->events, "credential.rotated", batch[i]->ep,
                    json_pack("{s:I}", "revoked", (json_int_t)evs[i].revoked));
            }
            /* Answered now: committed, or 4.04 / 5.00 (lwm2m_srv.h). */
            bw_lwsrv_committed(batch[i]->lp, evs[i].result);
            OPENSSL_cleanse(batch[i]->identity, sizeof batch[i]->identity);
            free(batch[i]);
        }
    }
}

/* ---- events ------------------------------------------------------------ */

static void on_event(void *arg, const bw_lwsrv_event_t *ev);

static int provide(void *arg, const char *ep, bw_lwsrv_bs_config_t *out)
{
    app_t *a = arg;
    memset(out, 0, sizeof *out);
    bw_db_bootstrap_t bc;
    if (bw_db_bootstrap_get(a->db, ep, &bc) == 0) {
        snprintf(out->dm_uri, sizeof out->dm_uri, "%s", bc.server_uri);
        out->lifetime_s = bc.lifetime_s;
        snprintf(out->binding, sizeof out->binding, "%s", bc.binding);
    } else {
        snprintf(out->dm_uri, sizeof out->dm_uri, "%s", a->cfg.dm_uri);
        out->lifetime_s = a->cfg.lifetime_s;
        strcpy(out->binding, "U");
    }
    /* A fresh identity with no relation to the endpoint name, and a
     * 256-bit key, both from the CSPRNG. */
    uint8_t rnd[8];
    if (RAND_bytes(rnd, sizeof rnd) != 1 || RAND_bytes(out->key, 32) != 1)
        return BW_ECRYPTO;
    out->key_len = 32;
    out->identity_len =
        (size_t)snprintf((char *)out->identity, sizeof out->identity,
                         "dm-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
                         rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    out->ssid = BW_LWSRV_BS_PRIMARY_SSID;
    /* Additional DM servers of its configuration (api_bootstrap.h). */
    int xerr = bw_api_bootstrap_servers(a->db, ep, out);
    if (xerr != 0) {
        OPENSSL_cleanse(out, sizeof *out);
        bw_app__say(a, "%s: cannot read its additional DM servers: %s", ep,
                    bw_strerror(xerr));
        return xerr;
    }
    /* At most one pending key per device: an earlier bootstrap that never
     * led to a registration left one the device no longer uses. */
    uint64_t dropped = 0;
    int err =
        bw_db_credential_revoke_pending(a->db, ep, bw_app__wall_ms(), &dropped);
    if (err == 0 && dropped > 0)
        bw_app__audit(a, "bootstrap", "credential-revoked", ep,
                      "pending DM credential of an unfinished rotation");
    /* Committed (pending) before the device hears of it: after any crash
     * the device never holds a key the DM server does not know. */
    if (err == 0)
        err = bw_db_psk_import_for(a->db, ep, BW_DB_PURPOSE_DM, out->identity,
                                   out->identity_len, out->key, out->key_len,
                                   BW_DB_CRED_PENDING, bw_app__wall_ms(), NULL);
    if (err != 0) {
        OPENSSL_cleanse(out, sizeof *out);
        bw_app__say(a, "%s: cannot issue DM credentials: %s", ep,
                    bw_strerror(err));
        return err;
    }
    char detail[BW_LWSRV_BS_ID_MAX + sizeof out->dm_uri + 16];
    snprintf(detail, sizeof detail, "identity %.*s for %s",
             (int)out->identity_len, (const char *)out->identity, out->dm_uri);
    bw_app__audit(a, "bootstrap", "credential-issued", ep, detail);
    bw_events_publish(a->events, "credential.issued", ep,
                      json_pack("{s:s%, s:s}", "identity",
                                (const char *)out->identity, out->identity_len,
                                "server", out->dm_uri));
    return 0;
}

static void finished(void *arg, const char *ep, int err, const char *step)
{
    app_t *a = arg;
    bw_events_publish(a->events,
                      err == 0 ? "bootstrap.finished" : "bootstrap.failed", ep,
                      err == 0 ? NULL
                               : json_pack("{s:s?, s:s}", "step", step, "error",
                                           bw_strerror(err)));
    if (err == 0) {
        bw_app__say(a, "%s: bootstrap finished", ep);
        bw_app__audit(a, "bootstrap", "bootstrap-finished", ep, NULL);
    } else {
        bw_app__say(a, "%s: bootstrap failed at %s: %s", ep, step,
                    bw_strerror(err));
        bw_app__audit(a, "bootstrap", "bootstrap-failed", ep, step);
    }
}

/* A registration-interface event as a live event (api_events.h). */
static void publish_event(app_t *a, const role_t *r, const bw_lwsrv_event_t *ev)
{
    static const char *const types[] = {
        [BW_LWSRV_EV_REGISTERED] = "device.registered",
        [BW_LWSRV_EV_UPDATED] = "device.updated",
        [BW_LWSRV_EV_DEREGISTERED] = "device.deregistered",
        [BW_LWSRV_EV_EXPIRED] = "device.expired",
        [BW_LWSRV_EV_REFUSED] = "device.refused",
        [BW_LWSRV_EV_BOOTSTRAP_REQUEST] = "bootstrap.requested",
    };
    if ((size_t)ev->kind >= sizeof types / sizeof types[0] ||
        types[ev->kind] == NULL)
        return;
    json_t *d = json_pack("{s:s}", "server", r->bootstrap ? "bootstrap" : "dm");
    const bw_lwsrv_reg_t *q = ev->req;
    if (d != NULL && q != NULL && ev->kind != BW_LWSRV_EV_BOOTSTRAP_REQUEST) {
        if (q->has_lifetime || ev->kind == BW_LWSRV_EV_REGISTERED)
            json_object_set_new(d, "lifetime", json_integer(q->lifetime));
        if (q->has_binding || ev->kind == BW_LWSRV_EV_REGISTERED)
            json_object_set_new(d, "binding",
                                json_string(q->binding[0] ? q->binding : "U"));
        if (ev->kind == BW_LWSRV_EV_REGISTERED)
            json_object_set_new(d, "queue", json_boolean(q->queue));
    }
    /* Why the server refused a Register or ended a registration itself. */
    if (d != NULL && ev->why != NULL)
        json_object_set_new(d, "why", json_string(ev->why));
    bw_events_publish(a->events, types[ev->kind], ev->ep, d);
}

static void on_event(void *arg, const bw_lwsrv_event_t *ev)
{
    role_t *r = arg;
    app_t *a = r->app;
    publish_event(a, r, ev);
    /* Campaigns follow the DM server's devices (and read /3/0/3 of each
     * device that registers). */
    bw_campaign_t *camp = __atomic_load_n(&a->camp, __ATOMIC_ACQUIRE);
    if (!r->bootstrap && camp != NULL)
        bw_campaign_on_event(camp, ev->kind, ev->ep);
    switch (ev->kind) {
    case BW_LWSRV_EV_REGISTERED:
        /* Stored, audited and its key confirmed (the rotation's last
         * step) in the commit that preceded this event (writer_main). */
        bw_app__say(a, "%s: registered (lifetime %u s)", ev->ep,
                    ev->req->lifetime);
        if (!r->bootstrap) /* is its credential due? (next tick) */
            bw_api_rotate_policy_registered(
                __atomic_load_n(&a->rotate, __ATOMIC_ACQUIRE), ev->ep);
        /* Committed: what waits for it goes now (the queue's thread). */
        if (!r->bootstrap)
            bw_api_queue_wake(__atomic_load_n(&a->requests, __ATOMIC_ACQUIRE),
                              ev->ep);
        break;
    case BW_LWSRV_EV_UPDATED:
        if (a->cfg.verbose)
            bw_app__say(a, "%s: update", ev->ep);
        if (!r->bootstrap)
            bw_api_queue_wake(__atomic_load_n(&a->requests, __ATOMIC_ACQUIRE),
                              ev->ep);
        break;
    case BW_LWSRV_EV_DEREGISTERED:
        if (ev->why != NULL)
            bw_app__say(a, "%s: registration ended: %s", ev->ep, ev->why);
        else
            bw_app__say(a, "%s: de-registered", ev->ep);
        break;
    case BW_LWSRV_EV_EXPIRED:
        bw_app__say(a, "%s: registration expired", ev->ep);
        bw_app__audit(a, "dm", "expired", ev->ep, NULL);
        break;
    case BW_LWSRV_EV_REFUSED: {
        char detail[256];
        snprintf(detail, sizeof detail, "identity '%.*s': %s",
                 (int)ev->peer->identity_len, (const char *)ev->peer->identity,
                 ev->why);
        bw_app__say(a, "%s: refused: %s", ev->ep, detail);
        bw_app__audit(a, r->bootstrap ? "bootstrap" : "dm", "refused", ev->ep,
                      detail);
        break;
    }
    case BW_LWSRV_EV_BOOTSTRAP_REQUEST: {
        bw_lwsrv_bs_provider_t p = {
            .provide = provide, .finished = finished, .arg = a};
        bw_app__say(a, "%s: bootstrap request", ev->ep);
        int err = bw_lwsrv_bootstrap_start(r->lw, &p, ev);
        if (err != 0)
            bw_app__say(a, "%s: bootstrap not started: %s", ev->ep,
                        bw_strerror(err));
        break;
    }
    }
}

/* ---- the REST API ------------------------------------------------------ */

static void api_log(void *arg, const char *msg)
{
    bw_app__say(arg, "%s", msg);
}

/* A credential revoked or a device deleted through the API: the
 * sessions that proved the identity end on the role's DTLS server. */
static void api_close_identity(void *arg, bw_db_purpose_t purpose,
                               const uint8_t *identity, size_t len)
{
    app_t *a = arg;
    role_t *r = purpose == BW_DB_PURPOSE_BOOTSTRAP ? &a->bs : &a->dm;
    if (r->dtls == NULL)
        return;
    int err = bw_dtls_server_close_identity(r->dtls, identity, len);
    if (err != 0)
        bw_app__say(a, "closing the sessions of a revoked identity: %s",
                    bw_strerror(err));
}

static int api_start(app_t *a)
{
    const bw_app_config_t *c = &a->cfg;
    bw_api_config_t ac = {
        .bind_addr = c->api_bind != NULL ? c->api_bind : c->bind_addr,
        .port = c->api_port,
        .cert_file = c->api_cert,
        .key_file = c->api_key,
        .state_dir = c->state_dir != NULL ? c->state_dir : ".",
        .token_file = c->api_token_file,
        .db = a->db,
        .dm = a->dm.lw,
        .dm_reg = a->dm.reg,
        .campaigns = a->camp,
        .fwrepo = a->fw,
        .log = api_log,
        .log_arg = a,
        .close_identity = api_close_identity,
        .close_arg = a,
    };
    char why[256] = "";
    int err = bw_api_start(&ac, &a->api, why, sizeof why);
    if (err != 0) {
        bw_app__say(a, "REST API: %s (%s)", why, bw_strerror(err));
        return err;
    }
    bw_app__say(a, "REST API: https://%s%s%s:%u/api/v1/",
                strchr(ac.bind_addr, ':') ? "[" : "", ac.bind_addr,
                strchr(ac.bind_addr, ':') ? "]" : "", bw_api_port(a->api));
    return 0;
}

/* A committed campaign change as a live event (bw_campaign_config_t). */
static void campaign_changed(void *arg, const bw_campaign_change_t *ch)
{
    app_t *a = arg;
    json_t *d =
        json_pack("{s:I, s:s, s:s?}", "campaign", (json_int_t)ch->campaign_id,
                  "state", ch->to, "detail", ch->detail);
    if (d != NULL && ch->device_id != 0) {
        json_object_set_new(d, "from", json_string(ch->from));
        if (ch->result >= 0)
            json_object_set_new(d, "result", json_integer(ch->result));
    }
    bw_events_publish(a->events,
                      ch->device_id != 0 ? "campaign.device" : "campaign.state",
                      ch->ep, d);
}

/* ---- the firmware repository ------------------------------------------ */

/* Created before the DM role, whose workers serve its images. */
static int fw_start(app_t *a)
{
    bw_fwrepo_config_t fc = {.db = a->db};
    int err = bw_fwrepo_new(&fc, &a->fw);
    for (size_t i = 0; err == 0 && i < a->cfg.n_image_keys; i++) {
        char why[512] = "";
        err = bw_fwrepo_key_load(a->fw, a->cfg.image_keys[i], why, sizeof why);
        if (err != 0)
            bw_app__say(a, "--image-key %s (%s)", why, bw_strerror(err));
    }
    if (err != 0) {
        bw_app__say(a, "firmware repository: cannot start (%s)",
                    bw_strerror(err));
        return 1;
    }
    if (a->cfg.n_image_keys == 0)
        bw_app__say(a,
                    "firmware repository: no --image-key, every upload will be "
                    "refused");
    else
        bw_app__say(a, "firmware repository: %zu image key(s)",
                    bw_fwrepo_key_count(a->fw));
    return 0;
}

/* ---- DTLS engine glue ------------------------------------------------- */

static void on_data(void *arg, bw_dtls_worker_t *w,
                    const bw_dtls_peer_info_t *peer, const uint8_t *data,
                    size_t len)
{
    role_t *r = arg;
    bw_lwsrv_on_data(r->lw, w, peer, data, len);
}

static uint64_t on_tick(void *arg, bw_dtls_worker_t *w, uint64_t now)
{
    role_t *r = arg;
    return bw_lwsrv_on_tick(r->lw, w, now);
}

static void on_log(void *arg, bw_dtls_log_level_t level, const char *msg)
{
    role_t *r = arg;
    (void)level;
    bw_app__say(r->app, "%s: %s", r->bootstrap ? "bs" : "dm", msg);
}

static int role_start(app_t *a, role_t *r, int bootstrap, uint16_t port)
{
    char state[512];
    r->app = a;
    r->bootstrap = bootstrap;
    r->reg = bw_lwsrv_registry_new();
    if (r->reg == NULL)
        return BW_ENOMEM;
    if (a->cfg.state_dir != NULL)
        snprintf(state, sizeof state, "%s/%s-sessions", a->cfg.state_dir,
                 bootstrap ? "bs" : "dm");
    bw_dtls_server_config_t dc = {
        .bind_addr = a->cfg.bind_addr,
        .port = port,
        .workers = a->cfg.workers,
        .psk_lookup = psk_lookup,
        .on_data = on_data,
        .on_tick = on_tick,
        .arg = r,
        .log = on_log,
        .log_level = a->cfg.verbose ? BW_DTLS_LOG_INFO : BW_DTLS_LOG_WARN,
        .state_file = a->cfg.state_dir != NULL ? state : NULL,
    };
    const char *why = "?";
    int err = bw_dtls_server_new(&dc, &r->dtls, &why);
    if (err != 0) {
        bw_app__say(a, "%s DTLS on port %u: %s (%s)",
                    bootstrap ? "bootstrap" : "DM", port, why,
                    bw_strerror(err));
        return err;
    }
    bw_lwsrv_config_t lc = {.registry = r->reg,
                            .dtls = r->dtls,
                            .authorize = authorize,
                            .event = on_event,
                            .arg = r};
    if (!bootstrap) { /* images are served on the DM port only */
        a->send = (bw_lwsrv_send_config_t){.registry = r->reg,
                                           .owner = bw_app__send_owner,
                                           .store = bw_app__send_store,
                                           .report = bw_app__send_report,
                                           .arg = a};
        lc.resource = bw_app__dm_resource; /* Send, then firmware (/fw/<id>) */
        lc.resource_arg = a;
        lc.commit = commit; /* registrations answered once stored */
        /* Notified values: the Send table, off the workers (a thread). */
        lc.notify_store = bw_app__send_store;
        lc.notify_arg = a;
    }
    r->lw = bw_lwsrv_new(&lc, bw_dtls_server_workers(r->dtls));
    if (r->lw == NULL)
        return BW_ENOMEM;
    if (!bootstrap)
        bw_app__reg_load(a,
                         r); /* before any datagram, and before observations */
    if (!bootstrap) {
        /* Before any datagram: a notification must find its observation. */
        bw_lwsrv_obs_store_t os = {bw_app__obs_load, bw_app__obs_put,
                                   bw_app__obs_del, a};
        size_t n = 0;
        err = bw_lwsrv_observe_keep(r->lw, &os, &n);
        if (err != 0)
            bw_app__say(a, "observations: not kept across restarts: %s",
                        bw_strerror(err));
        else if (n > 0)
            bw_app__say(a, "observations: %zu restored", n);
    }
    return bw_dtls_server_start(r->dtls);
}

static void role_stop(role_t *r)
{
    if (r->dtls != NULL && bw_dtls_server_free(r->dtls) != 0)
        bw_app__say(r->app, "%s: sessions not saved",
                    r->bootstrap ? "bootstrap" : "DM");
    bw_lwsrv_free(r->lw);
    bw_lwsrv_registry_free(r->reg);
    memset(r, 0, sizeof *r);
}

int bw_app_run(const bw_app_config_t *cfg)
{
    static app_t a;
    char why[256] = "";
    a.cfg = *cfg;
    pthread_mutex_init(&a.lock, NULL);
    pthread_cond_init(&a.cond, NULL);
    a.tail = &a.queue;
    if (bw_events_new(BW_EVENTS_RING_DEFAULT, 0, &a.events) != 0) {
        bw_app__say(&a, "live events: out of memory");
        return 1;
    }
    bw_db_config_t dbc = {.path = cfg->db_path,
                          .master_key_file = cfg->master_key,
                          .readers = cfg->workers > 4 ? cfg->workers * 2 : 8};
    int err = bw_db_open(&dbc, &a.db, why, sizeof why);
    if (err != 0) {
        bw_app__say(&a, "database %s: %s (%s)", cfg->db_path, why,
                    bw_strerror(err));
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit: sigwait */
    if (pthread_create(&a.writer, NULL, writer_main, &a) != 0) {
        bw_db_close(a.db);
        return 1;
    }
    int rc = fw_start(&a);
    if (rc == 0 &&
        ((cfg->run_dm && role_start(&a, &a.dm, 0, cfg->dm_port) != 0) ||
         (cfg->run_bs && role_start(&a, &a.bs, 1, cfg->bs_port) != 0)))
        rc = 1;
    static char dm_uri[160];
    if (rc == 0 && a.cfg.dm_uri == NULL) {
        /* Default: this server's own DM port, as bound. */
        const char *host = strcmp(cfg->bind_addr, "::") == 0 ||
                                   strcmp(cfg->bind_addr, "0.0.0.0") == 0
                               ? "localhost"
                               : cfg->bind_addr;
        unsigned port =
            a.dm.dtls ? bw_dtls_server_port(a.dm.dtls) : cfg->dm_port;
        snprintf(dm_uri, sizeof dm_uri,
                 strchr(host, ':') ? "coaps://[%s]:%u" : "coaps://%s:%u", host,
                 port);
        a.cfg.dm_uri = dm_uri;
    }
    if (rc == 0 && bw_fwrepo_set_dm_uri(a.fw, a.cfg.dm_uri) != 0) {
        bw_app__say(&a, "firmware repository: DM URI %s too long",
                    a.cfg.dm_uri);
        rc = 1;
    }
    if (rc == 0 && a.dm.lw != NULL) {
        /* Package URIs point at this DM server: <dm_uri>/fw/<id>. */
        bw_campaign_config_t cc = {.db = a.db,
                                   .dm = a.dm.lw,
                                   .reg = a.dm.reg,
                                   .dm_uri = a.cfg.dm_uri,
                                   .log = api_log,
                                   .log_arg = &a,
                                   .changed = campaign_changed,
                                   .changed_arg = &a};
        bw_campaign_t *camp = bw_campaign_new(&cc);
        if (camp == NULL) {
            bw_app__say(&a, "campaigns: cannot start (DM URI %s)",
                        a.cfg.dm_uri);
            rc = 1;
        }
        __atomic_store_n(&a.camp, camp, __ATOMIC_RELEASE);
    }
    if (rc == 0 && cfg->rotate_days > 0) {
        bw_api_rotate_policy_config_t rc_cfg = {
            .env = {.db = a.db, .dm = a.dm.lw, .reg = a.dm.reg},
            .days = cfg->rotate_days,
            .log = api_log,
            .log_arg = &a};
        bw_api_rotate_policy_t *rot = bw_api_rotate_policy_new(&rc_cfg);
        if (rot == NULL) {
            bw_app__say(&a,
                        "--rotate-days needs the DM role (--role dm or both)");
            rc = 1;
        } else {
            bw_app__say(&a,
                        "rotation policy: DM credentials older than %u day(s), "
                        "at most %u a minute",
                        (unsigned)cfg->rotate_days, BW_API_ROTATE_PER_MINUTE);
        }
        __atomic_store_n(&a.rotate, rot, __ATOMIC_RELEASE);
    }
    if (rc == 0 && a.dm.lw != NULL) {
        /* Queued requests: delivered as devices register and update. */
        bw_api_queue_config_t qc = {.db = a.db,
                                    .dm = a.dm.lw,
                                    .reg = a.dm.reg,
                                    .log = api_log,
                                    .log_arg = &a,
                                    .events = a.events,
                                    .retention_days =
                                        cfg->request_retention_days};
        bw_api_queue_t *q = bw_api_queue_new(&qc);
        if (q == NULL) {
            bw_app__say(&a, "request queue: cannot start");
            rc = 1;
        }
        __atomic_store_n(&a.requests, q, __ATOMIC_RELEASE);
    }
    if (rc == 0 && cfg->run_api && api_start(&a) != 0)
        rc = 1;
    if (rc == 0 && a.api != NULL) {
        bw_api_queue_attach(a.api, a.requests);
        if (bw_api_events_attach(a.api, a.events) != 0)
            bw_app__say(&a,
                        "live events: not served (GET /events answers 503)");
        bw_api_bootstrap_defaults(a.api, a.cfg.dm_uri, a.cfg.lifetime_s);
    }
    if (rc == 0) {
        unsigned dm = a.dm.dtls ? bw_dtls_server_port(a.dm.dtls) : 0;
        unsigned bs = a.bs.dtls ? bw_dtls_server_port(a.bs.dtls) : 0;
        bw_app__say(&a, "serving: DM %s:%u, bootstrap %s:%u, database %s",
                    cfg->bind_addr, dm, cfg->bind_addr, bs, cfg->db_path);
        bw_app__audit(&a, "server", "started", NULL, NULL);
        if (cfg->ready_file != NULL) {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s.tmp", cfg->ready_file);
            FILE *f = fopen(tmp, "w");
            /* The API's port only when it runs: "dm bs [api]". */
            char api[16] = "";
            if (a.api != NULL)
                snprintf(api, sizeof api, " %u", bw_api_port(a.api));
            if (f == NULL || fprintf(f, "%u %u%s\n", dm, bs, api) < 0 ||
                fclose(f) != 0 || rename(tmp, cfg->ready_file) != 0) {
                bw_app__say(&a, "%s: %s", cfg->ready_file, strerror(errno));
                rc = 1;
            }
        }
    }
    while (rc == 0) {
        struct timespec ts = {1, 0};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            bw_app__say(&a, "signal %d: stopping", sig);
            break;
        }
        uint64_t now = 0;
        if (a.dm.lw != NULL)
            bw_lwsrv_expire(a.dm.lw, now);
        bw_campaign_tick(a.camp, bw_app__wall_ms());
        bw_api_rotate_policy_tick(a.rotate, bw_app__wall_ms());
    }
    bw_api_stop(a.api); /* first: its requests use the DM role */
    a.api = NULL;
    bw_campaign_stop(a.camp); /* answers failing from here are no news */
    /* No delivery starts from here; what is out stays SENT (requeued at
     * the next start). */
    bw_api_queue_stop(a.requests);
    /* The writer first: it commits what is queued and hands the answers
     * to the workers still running; registrations from here on are
     * answered 5.00 (commit). */
    pthread_mutex_lock(&a.lock);
    a.stopping = 1;
    pthread_cond_signal(&a.cond);
    pthread_mutex_unlock(&a.lock);
    pthread_join(a.writer, NULL);
    role_stop(&a.bs);
    role_stop(&a.dm);
    bw_campaign_t *camp = __atomic_exchange_n(&a.camp, NULL, __ATOMIC_ACQ_REL);
    bw_campaign_free(camp); /* no callback can come any more */
    /* After the DM role: its rotations in flight were answered. */
    bw_api_rotate_policy_free(
        __atomic_exchange_n(&a.rotate, NULL, __ATOMIC_ACQ_REL));
    bw_fwrepo_free(a.fw); /* after the DM role: no download in progress */
    /* After the DM role: its answers in flight have landed. */
    bw_api_queue_free(__atomic_exchange_n(&a.requests, NULL, __ATOMIC_ACQ_REL));
    a.fw = NULL;
    if (rc == 0)
        bw_app__audit(&a, "server", "stopped", NULL, NULL);
    bw_db_close(a.db);
    bw_events_free(a.events); /* every publisher is gone */
    a.events = NULL;
    return rc;
}
