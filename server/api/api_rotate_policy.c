/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rotation policy (api_rotate.h): `--rotate-days N` rotates the DM
 * credential of every registered device once it is N days old.
 *
 * Two ways in, one budget.  Each tick checks the devices that registered
 * since the last one (a device that was offline when its credential
 * came due is rotated as soon as it is back), and once a minute (the
 * first tick included) the store's due devices, oldest first.  Both
 * start rotations through bw_api_rotate_request() and together stay
 * within BW_API_ROTATE_PER_MINUTE per minute; a device over budget is
 * left for a later scan.  A device with a rotation under way (a recent
 * pending credential) is not due (db_rotate.h), so the scans do not
 * trigger it twice.
 *
 * The policy's own state (noted registrations, the budget window) is
 * guarded by one mutex; the store and the LwM2M layer are called without
 * it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_rotate.h"
#include "db_rotate.h"

#define DAY_MS    (24LL * 60 * 60 * 1000)
#define WINDOW_MS (60 * 1000)

typedef char ep_t[BW_DB_ENDPOINT_MAX + 1];

struct bw_api_rotate_policy {
    bw_api_rotate_policy_config_t cfg;
    pthread_mutex_t lock;
    ep_t *noted; /* BW_API_ROTATE_NOTED_MAX, under lock */
    size_t n_noted;
    size_t dropped; /* noted while full, under lock */
    /* The main loop's only: */
    ep_t *work;    /* a copy of noted, or a scan's endpoints */
    ep_t *started; /* started in this tick (at most the budget) */
    size_t n_started;
    int64_t next_scan_ms;
    int64_t window_ms; /* start of the budget's minute */
    unsigned used;     /* rotations started in that minute */
};

__attribute__((format(printf, 2, 3))) static void
say(const bw_api_rotate_policy_t *p, const char *fmt, ...)
{
    if (p->cfg.log == NULL)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    p->cfg.log(p->cfg.log_arg, line);
}

bw_api_rotate_policy_t *
bw_api_rotate_policy_new(const bw_api_rotate_policy_config_t *cfg)
{
    if (cfg == NULL || cfg->env.db == NULL || cfg->env.dm == NULL ||
        cfg->env.reg == NULL || cfg->days == 0 ||
        cfg->days > BW_API_ROTATE_DAYS_MAX)
        return NULL;
    bw_api_rotate_policy_t *p = calloc(1, sizeof *p);
    size_t work = BW_API_ROTATE_NOTED_MAX > BW_API_ROTATE_SCAN_MAX
                      ? BW_API_ROTATE_NOTED_MAX
                      : BW_API_ROTATE_SCAN_MAX;
    if (p != NULL) {
        p->noted = calloc(BW_API_ROTATE_NOTED_MAX, sizeof *p->noted);
        p->work = calloc(work, sizeof *p->work);
        p->started = calloc(BW_API_ROTATE_PER_MINUTE, sizeof *p->started);
    }
    if (p == NULL || p->noted == NULL || p->work == NULL ||
        p->started == NULL) {
        if (p != NULL) {
            free(p->noted);
            free(p->work);
            free(p->started);
        }
        free(p);
        return NULL;
    }
    p->cfg = *cfg;
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

void bw_api_rotate_policy_free(bw_api_rotate_policy_t *p)
{
    if (p == NULL)
        return;
    pthread_mutex_destroy(&p->lock);
    free(p->noted);
    free(p->work);
    free(p->started);
    free(p);
}

void bw_api_rotate_policy_registered(bw_api_rotate_policy_t *p, const char *ep)
{
    if (p == NULL || ep == NULL || strlen(ep) > BW_DB_ENDPOINT_MAX)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->n_noted < BW_API_ROTATE_NOTED_MAX)
        snprintf(p->noted[p->n_noted++], sizeof(ep_t), "%s", ep);
    else
        p->dropped++;
    pthread_mutex_unlock(&p->lock);
}

/* On a DTLS worker: log the outcome (the trigger audited a failure). */
static void on_done(void *arg, const char *ep, int err, uint8_t code)
{
    const bw_api_rotate_policy_t *p = arg;
    if (err != 0)
        say(p, "%s: rotation not acknowledged: %s", ep, bw_strerror(err));
    else if (code != ((2u << 5) | 4u))
        say(p, "%s: rotation refused by the device (%u.%02u)", ep, code >> 5,
            code & 31u);
    else
        say(p, "%s: rotation acknowledged, the device re-bootstraps", ep);
}

/* Start one rotation if the budget allows; 1 if the budget is spent. */
static int start(bw_api_rotate_policy_t *p, const char *ep)
{
    if (p->used >= BW_API_ROTATE_PER_MINUTE)
        return 1;
    /* Noted and found by the scan in one tick: once is enough. */
    for (size_t i = 0; i < p->n_started; i++)
        if (strcmp(p->started[i], ep) == 0)
            return 0;
    char path[BW_LWSRV_PATH_MAX];
    int err =
        bw_api_rotate_request(&p->cfg.env, ep, "policy", on_done, p, path);
    if (err == 0) {
        p->used++;
        snprintf(p->started[p->n_started++], sizeof(ep_t), "%s", ep);
        say(p,
            "%s: DM credential older than %u day(s): rotation requested "
            "(Execute %s)",
            ep, (unsigned)p->cfg.days, path);
    } else if (err != BW_ENOTFOUND) { /* not registered: nothing to do */
        say(p, "%s: rotation not started: %s", ep, bw_strerror(err));
    }
    return 0;
}

typedef struct {
    bw_api_rotate_policy_t *p;
    size_t n;
} scan_t;

static int collect(void *arg, const char *ep, int64_t created_ms)
{
    scan_t *s = arg;
    (void)created_ms;
    snprintf(s->p->work[s->n++], sizeof(ep_t), "%s", ep);
    return 0;
}

void bw_api_rotate_policy_tick(bw_api_rotate_policy_t *p, int64_t now_ms)
{
    if (p == NULL)
        return;
    if (now_ms - p->window_ms >= WINDOW_MS || now_ms < p->window_ms) {
        p->window_ms = now_ms;
        p->used = 0;
    }
    p->n_started = 0; /* never above the budget: used counts them too */
    bw_db_rotation_query_t q = {
        .active_before_ms = now_ms - (int64_t)p->cfg.days * DAY_MS,
        .pending_after_ms = now_ms - BW_API_ROTATE_PENDING_STALE_MS,
        .now_ms = now_ms,
    };
    /* The devices that registered since the last tick. */
    pthread_mutex_lock(&p->lock);
    size_t n = p->n_noted, dropped = p->dropped;
    memcpy(p->work, p->noted, n * sizeof *p->noted);
    p->n_noted = 0;
    p->dropped = 0;
    pthread_mutex_unlock(&p->lock);
    if (dropped > 0)
        say(p,
            "rotation policy: %zu registration(s) not checked at once "
            "(left to the next scan)",
            dropped);
    for (size_t i = 0; i < n; i++) {
        int due = 0;
        int err = bw_db_rotation_due(p->cfg.env.db, p->work[i], &q, &due);
        if (err != 0 && err != BW_ENOTFOUND)
            say(p, "%s: rotation policy: %s", p->work[i], bw_strerror(err));
        if (due && start(p, p->work[i]))
            break; /* over budget: the scan finds it later */
    }
    if (now_ms < p->next_scan_ms)
        return;
    p->next_scan_ms = now_ms + BW_API_ROTATE_SCAN_MS;
    if (p->used >= BW_API_ROTATE_PER_MINUTE)
        return;
    scan_t s = {.p = p};
    int err = bw_db_rotation_due_list(p->cfg.env.db, &q, BW_API_ROTATE_SCAN_MAX,
                                      collect, &s);
    if (err != 0) {
        say(p, "rotation policy: due devices not read: %s", bw_strerror(err));
        return;
    }
    for (size_t i = 0; i < s.n; i++)
        if (start(p, p->work[i]))
            break;
}
