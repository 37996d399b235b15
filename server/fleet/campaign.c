/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The campaign engine (campaign.h): its tick, the operator's calls, and
 * the tracks it keeps for devices in flight.  The conversation with a
 * device is in campaign_device.c, the decisions in campaign_plan.c.
 *
 * One step of one campaign (step_one), under the engine's mutex:
 *   1. read the campaign and its devices from the store, and whether
 *      each pending device is registered (the registry);
 *   2. plan (bw_cplan_step);
 *   3. record every decision in one transaction (bw_db_campaign_apply):
 *      the campaign's new state or batch, timeouts, aborts, and
 *      pending -> downloading for the devices to start;
 *   4. only then act: write the Package URI to the devices started (or,
 *      for a campaign that pushes, send block 0 of the image), "" to
 *      the downloads cancelled (an empty Package for a push);
 *   5. make sure every device in flight has a track (after a restart
 *      the store is all there is).
 * The tick runs step_one for each campaign with something to do, drops
 * tracks no longer in flight, and sends the polls that are due.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign_int.h"
#include "campaign_plan.h"

uint64_t bw_campaign__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t bw_campaign__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bw_campaign__log(bw_campaign_t *e, const char *fmt, ...)
{
    if (e->cfg.log == NULL)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    e->cfg.log(e->cfg.log_arg, line);
}

/* ---- tracks ------------------------------------------------------------ */

track_t *bw_campaign__track(bw_campaign_t *e, int64_t campaign_id,
                            int64_t device_id)
{
    for (track_t *t = e->tracks; t != NULL; t = t->next)
        if (t->campaign_id == campaign_id && t->device_id == device_id)
            return t;
    return NULL;
}

track_t *bw_campaign__track_add(bw_campaign_t *e, int64_t campaign_id,
                                int64_t device_id, const char *ep,
                                const char *target, track_phase_t phase)
{
    track_t *t = bw_campaign__track(e, campaign_id, device_id);
    if (t != NULL)
        return t;
    t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->campaign_id = campaign_id;
    t->device_id = device_id;
    snprintf(t->ep, sizeof t->ep, "%s", ep);
    snprintf(t->target, sizeof t->target, "%s", target);
    t->phase = phase;
    t->next_ms = bw_campaign__mono_ms() + e->cfg.poll_ms;
    t->seen = 1;
    t->next = e->tracks;
    e->tracks = t;
    return t;
}

void bw_campaign__track_drop(bw_campaign_t *e, int64_t campaign_id,
                             int64_t device_id)
{
    for (track_t **p = &e->tracks; *p != NULL; p = &(*p)->next) {
        if ((*p)->campaign_id == campaign_id && (*p)->device_id == device_id) {
            track_t *t = *p;
            *p = t->next;
            free(t);
            return;
        }
    }
}

/* Every change the engine commits goes through here, so the changed
 * hook (live events) sees each one exactly once, after the commit. */
int bw_campaign__apply(bw_campaign_t *e, int64_t campaign_id,
                       const bw_db_camp_change_t *cc, bw_db_cdev_change_t *ch,
                       const char *const *eps, size_t n, int64_t now_ms)
{
    int err = bw_db_campaign_apply(e->cfg.db, campaign_id, cc, ch, n, now_ms);
    for (size_t i = 0; err == 0 && i < n; i++)
        if (ch[i].applied && bw_cplan_in_flight(ch[i].to))
            e->may_fly = 1;
    if (err != 0 || e->cfg.changed == NULL)
        return err;
    if (cc != NULL) {
        bw_campaign_change_t x = {.campaign_id = campaign_id,
                                  .to = bw_db_camp_state_name(cc->to),
                                  .result = -1,
                                  .detail = cc->detail};
        e->cfg.changed(e->cfg.changed_arg, &x);
    }
    for (size_t i = 0; i < n; i++) {
        if (!ch[i].applied)
            continue;
        const char *ep = eps != NULL ? eps[i] : NULL;
        if (ep == NULL) {
            const track_t *t =
                bw_campaign__track(e, campaign_id, ch[i].device_id);
            ep = t != NULL ? t->ep : NULL;
        }
        bw_campaign_change_t x = {campaign_id,
                                  ch[i].device_id,
                                  ep,
                                  bw_db_cdev_state_name(ch[i].from),
                                  bw_db_cdev_state_name(ch[i].to),
                                  ch[i].result,
                                  ch[i].detail};
        e->cfg.changed(e->cfg.changed_arg, &x);
    }
    return 0;
}

int bw_campaign__set(bw_campaign_t *e, int64_t campaign_id, int64_t device_id,
                     bw_db_cdev_state_t from, bw_db_cdev_state_t to, int result,
                     const char *detail)
{
    bw_db_cdev_change_t ch = {device_id, from, to, result, detail, 0};
    int err = bw_campaign__apply(e, campaign_id, NULL, &ch, NULL, 1,
                                 bw_campaign__wall_ms());
    if (err != 0)
        bw_campaign__log(e, "campaign %lld: device %lld: %s -> %s: %s",
                         (long long)campaign_id, (long long)device_id,
                         bw_db_cdev_state_name(from), bw_db_cdev_state_name(to),
                         bw_strerror(err));
    return err == 0 && ch.applied;
}

/* ---- one step of one campaign -------------------------------------- */

typedef struct {
    bw_db_cdev_t *d;
    size_t n, cap;
} devs_t;

static int collect_dev(void *arg, const bw_db_cdev_t *d)
{
    devs_t *v = arg;
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 64;
        bw_db_cdev_t *nd = realloc(v->d, nc * sizeof *nd);
        if (nd == NULL)
            return BW_ENOMEM;
        v->d = nd;
        v->cap = nc;
    }
    v->d[v->n++] = *d;
    return 0;
}

static int registered(bw_campaign_t *e, const char *ep,
                      bw_lwsrv_regview_t *view)
{
    return bw_lwsrv_registry_get(e->cfg.reg, ep, view) == 0;
}

/* The history text of a campaign change. */
static void camp_detail(const bw_db_campaign_t *c, const bw_cplan_out_t *o,
                        char *out, size_t cap)
{
    if (o->state == BW_DB_CAMP_HALTED)
        snprintf(out, cap, "halted: %s", o->reason);
    else if (o->state == BW_DB_CAMP_COMPLETED)
        snprintf(out, cap, "completed after batch %u", o->current_batch);
    else
        snprintf(out, cap, "batch %u of %zu started", o->current_batch,
                 c->n_batches);
}

/* A track for a device of c that is in flight or starts now.  A device
 * that starts is pushed to (TRACK_PUSH) or polled (TRACK_DOWNLOAD) by
 * the campaign's delivery; one found in flight after a restart is polled
 * first (campaign_device.c decides whether a push must start again). */
static track_t *track_for(bw_campaign_t *e, const bw_db_campaign_t *c,
                          const bw_db_cdev_t *d)
{
    int push = c->delivery == BW_DB_DELIVERY_PUSH;
    track_phase_t phase = d->state == BW_DB_CDEV_UPDATING ? TRACK_UPDATE
                          : d->state == BW_DB_CDEV_PENDING && push
                              ? TRACK_PUSH
                              : TRACK_DOWNLOAD;
    track_t *t = bw_campaign__track_add(e, c->id, d->device_id, d->endpoint,
                                        c->version, phase);
    if (t != NULL && !t->push && push) {
        t->push = 1;
        snprintf(t->firmware_id, sizeof t->firmware_id, "%s", c->firmware_id);
    }
    return t;
}

/* Steps 3 and 4 of the file comment, for a plan already made. */
static void record_and_act(bw_campaign_t *e, const bw_db_campaign_t *c,
                           const devs_t *v, const bw_cplan_out_t *o)
{
    bw_db_cdev_change_t *ch = calloc(o->n > 0 ? o->n : 1, sizeof *ch);
    const char **eps = calloc(o->n > 0 ? o->n : 1, sizeof *eps);
    if (ch == NULL || eps == NULL) {
        free(ch);
        free(eps);
        return;
    }
    for (size_t i = 0; i < o->n; i++) {
        const bw_db_cdev_t *d = &v->d[o->actions[i].index];
        eps[i] = d->endpoint;
        ch[i].device_id = d->device_id;
        ch[i].from = d->state;
        ch[i].result = -1;
        switch (o->actions[i].kind) {
        case BW_CPLAN_START:
            ch[i].to = BW_DB_CDEV_DOWNLOADING;
            ch[i].detail = c->delivery == BW_DB_DELIVERY_PUSH
                               ? "push /5/0/0: block-wise write"
                               : "write /5/0/1: package URI";
            break;
        case BW_CPLAN_TIMEOUT:
            ch[i].to = BW_DB_CDEV_FAILED;
            ch[i].detail = "timed out";
            break;
        case BW_CPLAN_ABORT:
            ch[i].to = BW_DB_CDEV_ABORTED;
            ch[i].detail = "campaign aborted";
            break;
        case BW_CPLAN_CANCEL:
            ch[i].to = BW_DB_CDEV_ABORTED;
            ch[i].detail = "campaign aborted: download cancelled";
            break;
        }
    }
    char detail[BW_DB_CAMPAIGN_DETAIL_MAX + 1];
    bw_db_camp_change_t cc = {
        .from_mask = 1u << c->state,
        .to = o->state,
        .current_batch = o->current_batch,
        .halt_reason = o->state == BW_DB_CAMP_HALTED ? o->reason : NULL,
        .detail = detail,
    };
    camp_detail(c, o, detail, sizeof detail);
    int err = bw_campaign__apply(e, c->id, o->changed ? &cc : NULL, ch, eps,
                                 o->n, bw_campaign__wall_ms());
    free(eps);
    if (err != 0) {
        /* BW_ESTATE: the operator changed the campaign meanwhile; the
         * next step plans again from what is stored. */
        if (err != BW_ESTATE)
            bw_campaign__log(e, "campaign %lld: not recorded: %s",
                             (long long)c->id, bw_strerror(err));
        free(ch);
        return;
    }
    if (o->changed)
        bw_campaign__log(e, "campaign %lld: %s", (long long)c->id, detail);
    /* Durable: now act. */
    for (size_t i = 0; i < o->n; i++) {
        if (!ch[i].applied)
            continue;
        const bw_db_cdev_t *d = &v->d[o->actions[i].index];
        bw_cplan_kind_t kind = o->actions[i].kind;
        if (kind == BW_CPLAN_START) {
            track_t *t = track_for(e, c, d);
            int serr = t == NULL ? BW_ENOMEM
                       : t->push ? bw_campaign__push_start(e, t)
                                 : bw_campaign__send_uri(e, t, c->firmware_id);
            if (serr != 0) {
                /* Gone between the registry check and the send: back to
                 * pending, it starts again when it is back. */
                char why[96];
                snprintf(why, sizeof why, "not started: %s", bw_strerror(serr));
                bw_campaign__set(e, c->id, d->device_id, BW_DB_CDEV_DOWNLOADING,
                                 BW_DB_CDEV_PENDING, -1, why);
                bw_campaign__track_drop(e, c->id, d->device_id);
            }
        } else {
            if (kind == BW_CPLAN_CANCEL && c->delivery == BW_DB_DELIVERY_PUSH)
                bw_campaign__push_cancel(e, d->endpoint);
            else if (kind == BW_CPLAN_CANCEL)
                bw_campaign__send_cancel(e, d->endpoint);
            bw_campaign__track_drop(e, c->id, d->device_id);
        }
    }
    free(ch);
}

/* Step 5: a track for each device in flight; mark them seen. */
static void reconcile(bw_campaign_t *e, const bw_db_campaign_t *c,
                      const devs_t *v)
{
    for (size_t i = 0; i < v->n; i++) {
        const bw_db_cdev_t *d = &v->d[i];
        track_t *t = bw_campaign__track(e, c->id, d->device_id);
        if (!bw_cplan_in_flight(d->state)) {
            continue;
        }
        if (t == NULL)
            t = track_for(e, c, d);
        if (t != NULL)
            t->seen = 1;
    }
}

static void step_one(bw_campaign_t *e, int64_t id, int64_t now_ms)
{
    bw_db_campaign_t *c = malloc(sizeof *c);
    bw_lwsrv_regview_t *view = malloc(sizeof *view);
    devs_t v = {0};
    bw_cplan_device_t *pd = NULL;
    bw_cplan_out_t o = {0};
    int err = c != NULL && view != NULL ? bw_db_campaign_get(e->cfg.db, id, c)
                                        : BW_ENOMEM;
    if (err == 0)
        err = bw_db_campaign_devices(e->cfg.db, id, collect_dev, &v);
    if (err == 0) {
        pd = calloc(v.n > 0 ? v.n : 1, sizeof *pd);
        o.actions = calloc(v.n > 0 ? v.n : 1, sizeof *o.actions);
        o.cap = v.n;
        if (pd == NULL || o.actions == NULL)
            err = BW_ENOMEM;
    }
    if (err == 0) {
        for (size_t i = 0; i < v.n; i++) {
            pd[i].state = v.d[i].state;
            pd[i].batch = v.d[i].batch;
            pd[i].started_ms = v.d[i].started_ms;
            pd[i].updated_ms = v.d[i].updated_ms;
            /* Only a pending device's registration matters. */
            pd[i].registered = v.d[i].state == BW_DB_CDEV_PENDING &&
                               registered(e, v.d[i].endpoint, view);
        }
        bw_cplan_campaign_t pc = {
            .state = c->state,
            .current_batch = c->current_batch,
            .n_batches = (unsigned)c->n_batches,
            .max_concurrent = c->max_concurrent,
            .threshold_bp = c->threshold_bp,
            .window_start = c->window_start,
            .window_end = c->window_end,
            .auto_upgrade = c->auto_upgrade,
        };
        err = bw_cplan_step(&pc, pd, v.n, now_ms, &o);
    }
    if (err == 0 && (o.n > 0 || o.changed))
        record_and_act(e, c, &v, &o);
    if (err == 0)
        reconcile(e, c, &v);
    else
        bw_campaign__log(e, "campaign %lld: step: %s", (long long)id,
                         bw_strerror(err));
    free(o.actions);
    free(pd);
    free(v.d);
    free(view);
    free(c);
}

/* ---- the engine -------------------------------------------------------- */

bw_campaign_t *bw_campaign_new(const bw_campaign_config_t *cfg)
{
    if (cfg == NULL || cfg->db == NULL || cfg->dm == NULL || cfg->reg == NULL ||
        cfg->dm_uri == NULL || strlen(cfg->dm_uri) > BW_CAMPAIGN_URI_MAX)
        return NULL;
    bw_campaign_t *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->cfg = *cfg;
    if (e->cfg.poll_ms == 0)
        e->cfg.poll_ms = BW_CAMPAIGN_POLL_MS;
    snprintf(e->dm_uri, sizeof e->dm_uri, "%s", cfg->dm_uri);
    e->cfg.dm_uri = e->dm_uri;
    pthread_mutex_init(&e->m, NULL);
    e->may_fly = 1; /* until the first tick has looked */
    return e;
}

void bw_campaign_stop(bw_campaign_t *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&e->m);
    e->stopping = 1;
    pthread_mutex_unlock(&e->m);
}

void bw_campaign_free(bw_campaign_t *e)
{
    if (e == NULL)
        return;
    while (e->tracks != NULL) {
        track_t *t = e->tracks;
        e->tracks = t->next;
        free(t);
    }
    bw_campaign__push_images_sweep(e, 1);
    pthread_mutex_destroy(&e->m);
    free(e);
}

typedef struct {
    int64_t ids[BW_CAMPAIGN_ACTIVE_MAX];
    size_t n;
    int64_t last;
    size_t listed;   /* campaigns of any state read */
    uint64_t flying; /* their devices in flight, all together */
} active_t;

/* Something to do: running (batches move), devices in flight (timeouts),
 * pending devices of an aborted campaign, or of a completed one that
 * keeps upgrading. */
static int collect_active(void *arg, const bw_db_campaign_t *c)
{
    active_t *a = arg;
    a->last = c->id;
    uint64_t flying = c->counts[BW_DB_CDEV_DOWNLOADING] +
                      c->counts[BW_DB_CDEV_DOWNLOADED] +
                      c->counts[BW_DB_CDEV_UPDATING];
    uint64_t pending = c->counts[BW_DB_CDEV_PENDING];
    a->listed++;
    a->flying += flying;
    if (c->state == BW_DB_CAMP_RUNNING || flying > 0 ||
        (c->state == BW_DB_CAMP_ABORTED && pending > 0) ||
        (c->state == BW_DB_CAMP_COMPLETED && c->auto_upgrade && pending > 0))
        a->ids[a->n++] = c->id;
    return 0;
}

void bw_campaign_tick(bw_campaign_t *e, int64_t now_ms)
{
    if (e == NULL)
        return;
    active_t *a = calloc(1, sizeof *a);
    if (a == NULL)
        return;
    pthread_mutex_lock(&e->m);
    if (e->stopping) {
        pthread_mutex_unlock(&e->m);
        free(a);
        return;
    }
    int err = bw_db_campaign_list(e->cfg.db, 0, BW_CAMPAIGN_ACTIVE_MAX,
                                  collect_active, a);
    if (err != 0)
        bw_campaign__log(e, "campaigns: %s", bw_strerror(err));
    /* Every campaign read (the page was not full) and none with a device
     * in flight: registering devices need no lookup until one is. */
    if (err == 0 && a->listed < BW_CAMPAIGN_ACTIVE_MAX)
        e->may_fly = a->flying > 0;
    for (track_t *t = e->tracks; t != NULL; t = t->next)
        t->seen = 0;
    for (size_t i = 0; err == 0 && i < a->n; i++)
        step_one(e, a->ids[i], now_ms);
    /* Tracks of devices no longer in flight go (a request still out
     * finds its track gone, which is harmless). */
    if (err == 0)
        for (track_t **p = &e->tracks; *p != NULL;) {
            if (!(*p)->seen) {
                track_t *t = *p;
                *p = t->next;
                free(t);
            } else {
                p = &(*p)->next;
            }
        }
    uint64_t mono = bw_campaign__mono_ms();
    for (track_t *t = e->tracks; t != NULL; t = t->next)
        if (!t->busy && t->next_ms <= mono)
            bw_campaign__poll(e, t);
    bw_campaign__push_images_sweep(e, 0);
    pthread_mutex_unlock(&e->m);
    free(a);
}

void bw_campaign_on_event(bw_campaign_t *e, bw_lwsrv_event_kind_t kind,
                          const char *ep)
{
    if (e == NULL || ep == NULL)
        return;
    pthread_mutex_lock(&e->m);
    if (!e->stopping) {
        if (kind == BW_LWSRV_EV_REGISTERED) {
            bw_campaign__registered(e, ep);
        } else if (kind == BW_LWSRV_EV_DEREGISTERED) {
            /* No polls into the void; registering again resumes them. */
            for (track_t *t = e->tracks; t != NULL; t = t->next)
                if (strcmp(t->ep, ep) == 0)
                    t->next_ms = bw_campaign__mono_ms() + 5 * e->cfg.poll_ms;
        }
        /* UPDATED: nothing to do; a device that rebooted registers. */
    }
    pthread_mutex_unlock(&e->m);
}

int bw_campaign_create(bw_campaign_t *e, const bw_db_campaign_spec_t *spec,
                       int64_t now_ms, int64_t *id, uint64_t *targets)
{
    int64_t new_id = 0;
    if (id != NULL)
        *id = 0;
    if (e == NULL)
        return BW_EINVAL;
    pthread_mutex_lock(&e->m);
    int err = bw_db_campaign_create(e->cfg.db, spec, now_ms, &new_id, targets);
    if (err == 0) {
        bw_campaign__log(e, "campaign %lld created: %s", (long long)new_id,
                         spec->name);
        if (!e->stopping)
            step_one(e, new_id, now_ms);
    }
    pthread_mutex_unlock(&e->m);
    if (id != NULL)
        *id = new_id;
    return err;
}

int bw_campaign_control(bw_campaign_t *e, int64_t id, bw_campaign_op_t op,
                        int64_t now_ms)
{
    if (e == NULL)
        return BW_EINVAL;
    bw_db_campaign_t *c = malloc(sizeof *c);
    if (c == NULL)
        return BW_ENOMEM;
    pthread_mutex_lock(&e->m);
    int err = bw_db_campaign_get(e->cfg.db, id, c);
    bw_db_camp_change_t cc = {0};
    const unsigned bit_run = 1u << BW_DB_CAMP_RUNNING;
    const unsigned bit_pause = 1u << BW_DB_CAMP_PAUSED;
    switch (op) {
    case BW_CAMPAIGN_PAUSE:
        cc = (bw_db_camp_change_t){bit_run, BW_DB_CAMP_PAUSED, 0, NULL,
                                   "paused by the operator"};
        break;
    case BW_CAMPAIGN_RESUME:
        cc = (bw_db_camp_change_t){bit_pause, BW_DB_CAMP_RUNNING, 0, NULL,
                                   "resumed by the operator"};
        break;
    case BW_CAMPAIGN_ABORT:
        cc = (bw_db_camp_change_t){
            bit_run | bit_pause | (1u << BW_DB_CAMP_HALTED) |
                (err == 0 && c->auto_upgrade ? 1u << BW_DB_CAMP_COMPLETED : 0),
            BW_DB_CAMP_ABORTED, 0, NULL, "aborted by the operator"};
        break;
    default:
        err = err == 0 ? BW_EINVAL : err;
    }
    if (err == 0)
        err = bw_campaign__apply(e, id, &cc, NULL, NULL, 0, now_ms);
    if (err == 0) {
        bw_campaign__log(e, "campaign %lld: %s", (long long)id, cc.detail);
        if (!e->stopping)
            step_one(e, id, now_ms);
    }
    pthread_mutex_unlock(&e->m);
    free(c);
    return err;
}
