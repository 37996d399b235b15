/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The delivery engine of queued requests (api_queue.h).
 *
 * One thread (engine_main) does everything that touches the store.  It
 * waits on one condition variable for three kinds of work, taken in
 * this order each time round:
 *   1. answers (the done list): a request came back from a device, or
 *      failed; it is recorded and the device's next request is sent;
 *   2. wakes (the wake list): a device registered or updated, or an
 *      asynchronous request was queued for a device that hears now;
 *      the device's oldest queued request is sent unless one of its
 *      requests is out already;
 *   3. the sweep, every BW_API_QUEUE_SWEEP_MS: requests past their time
 *      to live expire;
 *   4. the retention job, every BW_API_QUEUE_PURGE_MS when a retention
 *      is set: answered and expired requests older than it are deleted,
 *      BW_API_QUEUE_PURGE_BATCH per transaction, one batch per turn
 *      while nothing else waits (so answers and wakes are never held up
 *      by more than one batch), and the sweep audited once with its
 *      count when it ends.
 *
 * Per device at most one request is out (the busy list), so a device
 * gets its requests one at a time and in creation order: the next is
 * read from the store only after the previous one's answer is recorded.
 *
 * Sending one request (send_next):
 *   read the oldest QUEUED row  ->  rebuild the CoAP request from its
 *   body (bw_api__op_build)  ->  mark it SENT (committed)  ->
 *   bw_lwsrv_request_ex.  The answer (on_answer, on a DTLS worker) is
 *   copied onto the done list, with the Location-Path a Create's answer
 *   carries; the engine then stores it (bw_db_request_answer) or puts
 *   it back, counting the try in the store (bw_db_request_retry), and
 *   gives it up once bw_api_queue_after_failure says so.  The count is
 *   the store's, so a restart does not give a request its tries again.
 *
 * The seen table remembers when each device was last heard from
 * (an open-addressed hash of BW_API_QUEUE_SEEN_MAX slots; a slot older
 * than BW_API_QUEUE_AWAKE_MS is free for reuse, since it says nothing
 * any more).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_events.h"
#include "api_int.h"
#include "api_queue.h"

/* The longest answer copied from a device: one CoAP message. */
#define ANSWER_MAX BW_LWSRV_PAYLOAD_MAX
/* Probes of the seen table before giving up on a slot. */
#define SEEN_PROBES 32

typedef struct {
    char ep[BW_DB_ENDPOINT_MAX + 1];
    int64_t at_ms; /* 0: free */
} seen_t;

typedef struct wake {
    struct wake *next;
    char ep[BW_DB_ENDPOINT_MAX + 1];
} wake_t;

/* One request out to a device: its busy entry, and after the answer its
 * place on the done list. */
typedef struct flight {
    struct flight *next; /* busy list, then done list */
    bw_api_queue_t *q;
    int64_t id;
    bw_api_op_t kind;
    char ep[BW_DB_ENDPOINT_MAX + 1];
    char location[BW_LWSRV_PATH_MAX];
    char path[BW_LWSRV_PATH_MAX];
    int rewoken; /* woken again while out: go on even after a failure */
    /* The answer. */
    int err;
    uint8_t code;
    uint32_t cf;
    size_t len;
    char payload[ANSWER_MAX];
} flight_t;

struct bw_api_queue {
    bw_api_queue_config_t cfg;
    pthread_mutex_t m;
    pthread_cond_t c;
    pthread_t thread;
    int started, stopping;
    wake_t *wakes, **wakes_tail;
    size_t n_wakes;
    flight_t *busy; /* out to a device (engine thread only) */
    flight_t *done; /* answered, waiting for the engine */
    size_t n_busy;
    /* The retention job's sweep (engine thread only). */
    int purging;          /* under way */
    int64_t purge_before; /* its cutoff (wall clock, ms) */
    uint64_t purged;      /* deleted so far */
    pthread_mutex_t seen_m;
    seen_t *seen;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3))) static void say(const bw_api_queue_t *q,
                                                      const char *fmt, ...)
{
    if (q->cfg.log == NULL)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    q->cfg.log(q->cfg.log_arg, line);
}

static void audit(bw_api_queue_t *q, const char *action, const char *ep,
                  const char *detail)
{
    int err = bw_db_audit_append(q->cfg.db, wall_ms(), "queue", action, ep,
                                 detail, NULL);
    if (err != 0)
        say(q, "queue: audit log: %s", bw_strerror(err));
}

/* A request's outcome as a live event (api_events.h), once it is stored:
 * "request.answered" with the CoAP code, "request.expired" with why. */
static void publish(bw_api_queue_t *q, const flight_t *f, const char *type,
                    const char *why)
{
    char code[8];
    snprintf(code, sizeof code, "%u.%02u", f->code >> 5, f->code & 31u);
    (void)bw_events_publish(
        q->cfg.events, type, f->ep,
        json_pack("{s:I, s:s, s:s, s:s}", "request", (json_int_t)f->id,
                  "operation", bw_api__op_name(f->kind), "path", f->path,
                  why != NULL ? "reason" : "code", why != NULL ? why : code));
}

/* ---- the seen table -------------------------------------------------- */

/* FNV-1a: endpoint names are short and chosen by the operator. */
static size_t hash(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)(h % BW_API_QUEUE_SEEN_MAX);
}

void bw_api_queue_seen(bw_api_queue_t *q, const char *ep, int64_t now_ms)
{
    if (q == NULL || ep == NULL || strlen(ep) > BW_DB_ENDPOINT_MAX)
        return;
    size_t h = hash(ep);
    pthread_mutex_lock(&q->seen_m);
    seen_t *reuse = NULL;
    for (size_t i = 0; i < SEEN_PROBES; i++) {
        seen_t *s = &q->seen[(h + i) % BW_API_QUEUE_SEEN_MAX];
        if (s->at_ms != 0 && strcmp(s->ep, ep) == 0) {
            reuse = s;
            break;
        }
        if (reuse == NULL && !bw_api_queue_awake(s->at_ms, now_ms))
            reuse = s; /* free, or says nothing any more */
    }
    if (reuse != NULL) { /* else full: the device counts as asleep */
        snprintf(reuse->ep, sizeof reuse->ep, "%s", ep);
        reuse->at_ms = now_ms;
    }
    pthread_mutex_unlock(&q->seen_m);
}

int bw_api_queue_is_awake(bw_api_queue_t *q, const char *ep, int64_t now_ms)
{
    if (q == NULL || ep == NULL)
        return 0;
    size_t h = hash(ep);
    int64_t at = 0;
    pthread_mutex_lock(&q->seen_m);
    for (size_t i = 0; i < SEEN_PROBES && at == 0; i++) {
        const seen_t *s = &q->seen[(h + i) % BW_API_QUEUE_SEEN_MAX];
        if (s->at_ms != 0 && strcmp(s->ep, ep) == 0)
            at = s->at_ms;
    }
    pthread_mutex_unlock(&q->seen_m);
    return bw_api_queue_awake(at, now_ms);
}

/* ---- wakes ------------------------------------------------------------ */

void bw_api_queue_wake(bw_api_queue_t *q, const char *ep)
{
    if (q == NULL || ep == NULL || strlen(ep) > BW_DB_ENDPOINT_MAX)
        return;
    /* Nearly every device that registers has nothing queued: the store
     * knows it from memory, and the engine is not woken for it. */
    if (!bw_db_request_may_have_queued(q->cfg.db, ep))
        return;
    pthread_mutex_lock(&q->m);
    int known = 0;
    for (const wake_t *w = q->wakes; w != NULL && !known; w = w->next)
        known = strcmp(w->ep, ep) == 0;
    wake_t *w = NULL;
    int stopping = q->stopping;
    if (!known && !stopping && q->n_wakes < BW_API_QUEUE_WAKES_MAX &&
        (w = calloc(1, sizeof *w)) != NULL) {
        snprintf(w->ep, sizeof w->ep, "%s", ep);
        *q->wakes_tail = w;
        q->wakes_tail = &w->next;
        q->n_wakes++;
        pthread_cond_signal(&q->c);
    }
    pthread_mutex_unlock(&q->m);
    if (!known && w == NULL && !stopping)
        say(q,
            "queue: %s: wake dropped (%zu waiting); its requests go at "
            "its next update",
            ep, (size_t)BW_API_QUEUE_WAKES_MAX);
}

/* ---- sending ---------------------------------------------------------- */

/* Copy the answer into f and hand it over to the engine (any thread;
 * never blocks on anything but the engine's mutex).  location: the
 * answer's Location-Path ("" for none). */
static void hand_over(flight_t *f, int err, uint8_t code, uint32_t cf,
                      const uint8_t *payload, size_t len, const char *location)
{
    bw_api_queue_t *q = f->q;
    if (err == 0 && len > sizeof f->payload)
        len = sizeof f->payload; /* cannot happen: one CoAP message */
    f->err = err;
    f->code = code;
    f->cf = cf;
    f->len = err == 0 ? len : 0;
    if (f->len > 0)
        memcpy(f->payload, payload, f->len);
    /* A Create's location is the device's word, never the instance its
     * records named (as in the synchronous call, api_ops.c). */
    snprintf(f->location, sizeof f->location, "%s",
             err == 0 && location != NULL ? location : "");
    if (err == 0)
        bw_api_queue_seen(q, f->ep, wall_ms());
    pthread_mutex_lock(&q->m);
    for (flight_t **pp = &q->busy; *pp != NULL; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    f->next = q->done;
    q->done = f;
    pthread_cond_signal(&q->c);
    pthread_mutex_unlock(&q->m);
}

/* On a DTLS worker. */
static void on_answer(void *arg, const bw_lwsrv_answer_t *a)
{
    hand_over(arg, a->err, a->code, a->content_format, a->payload, a->len,
              a->location);
}

/* The oldest queued request of a device, copied out of the walk. */
typedef struct {
    int found;
    int64_t id;
    bw_db_req_op_t op;
    unsigned tries;
    char path[BW_DB_PATH_MAX + 1];
    char *body; /* the stored body, NUL-terminated (malloc) */
} oldest_t;

static int take_oldest(void *arg, const bw_db_request_t *r)
{
    oldest_t *o = arg;
    o->found = 1;
    o->id = r->id;
    o->op = r->op;
    o->tries = r->tries;
    snprintf(o->path, sizeof o->path, "%s", r->path);
    o->body = malloc(r->payload_len + 1);
    if (o->body == NULL)
        return BW_ENOMEM;
    if (r->payload_len > 0)
        memcpy(o->body, r->payload, r->payload_len);
    o->body[r->payload_len] = '\0';
    return 0;
}

static int is_busy(bw_api_queue_t *q, const char *ep, int rewake)
{
    int busy = 0;
    pthread_mutex_lock(&q->m);
    for (flight_t *f = q->busy; f != NULL && !busy; f = f->next)
        if (strcmp(f->ep, ep) == 0) {
            busy = 1;
            f->rewoken |= rewake;
        }
    pthread_mutex_unlock(&q->m);
    return busy;
}

/*
 * Send ep's oldest queued request, if it has one and nothing is out to
 * it.  A request that cannot be rebuilt (a body this version no longer
 * reads) is given up and the next one tried.
 */
static void send_next(bw_api_queue_t *q, const char *ep, int rewake)
{
    for (;;) {
        if (__atomic_load_n(&q->stopping, __ATOMIC_ACQUIRE) ||
            !bw_db_request_may_have_queued(q->cfg.db, ep) ||
            is_busy(q, ep, rewake))
            return;
        bw_lwsrv_regview_t *view = malloc(sizeof *view);
        int registered =
            view != NULL && bw_lwsrv_registry_get(q->cfg.reg, ep, view) == 0;
        free(view);
        if (!registered)
            return; /* at its next registration */
        oldest_t o = {0};
        int err = bw_db_request_list(q->cfg.db, ep, BW_DB_REQ_QUEUED, 1,
                                     take_oldest, &o);
        if (err != 0 || !o.found) {
            if (err != 0 && err != BW_ENOTFOUND)
                say(q, "queue: %s: %s", ep, bw_strerror(err));
            free(o.body);
            return;
        }
        flight_t *f = calloc(1, sizeof *f);
        bw_lwsrv_op_t *op = calloc(1, sizeof *op);
        json_t *body = json_loads(o.body, 0, NULL);
        free(o.body);
        if (f == NULL || op == NULL) { /* stays queued: next wake */
            free(f);
            free(op);
            json_decref(body);
            say(q, "queue: %s: out of memory", ep);
            return;
        }
        /* Its tries spent already: a crash came between the count of the
         * last one and the give-up (finish); it is given up now. */
        int spent = bw_api_queue_tries_spent(o.tries);
        const char *why = NULL;
        char detail[256], named[BW_LWSRV_PATH_MAX];
        if (spent)
            why = "";
        else if (body == NULL)
            why = "the stored request does not read as JSON";
        else if (bw_api__queue_api_op(o.op, &f->kind) != 0)
            why = "not an operation the API sends";
        else /* named: the instance a Create names; the answer says */
            why = bw_api__op_build(body, f->kind, op, named, sizeof named,
                                   detail, sizeof detail);
        json_decref(body);
        if (why != NULL) {
            char reason[BW_DB_REQ_WHY_MAX + 1];
            if (spent)
                snprintf(reason, sizeof reason, "no answer after %u tries",
                         o.tries);
            else
                snprintf(reason, sizeof reason, "cannot be sent: %s", why);
            err = bw_db_request_give_up(q->cfg.db, o.id, BW_DB_REQ_QUEUED,
                                        reason, wall_ms());
            say(q, "queue: %s: request %lld %s", ep, (long long)o.id, reason);
            if (err == 0 && spent) { /* as finish() would have */
                snprintf(detail, sizeof detail, "%s: given up (request %lld)",
                         o.path, (long long)o.id);
                audit(q, "request-expired", ep, detail);
                f->id = o.id;
                snprintf(f->ep, sizeof f->ep, "%s", ep);
                snprintf(f->path, sizeof f->path, "%.*s",
                         (int)sizeof f->path - 1, o.path);
                if (bw_api__queue_api_op(o.op, &f->kind) == 0)
                    publish(q, f, "request.expired", reason);
            }
            free(f);
            free(op);
            if (err != 0)
                return; /* the store is in trouble: next wake */
            continue;
        }
        f->q = q;
        f->id = o.id;
        snprintf(f->ep, sizeof f->ep, "%s", ep);
        snprintf(f->path, sizeof f->path, "%s", op->path);
        /* SENT before it leaves: a crash from here on leaves it SENT,
         * and the next start requeues it. */
        err = bw_db_request_mark_sent(q->cfg.db, f->id, wall_ms());
        if (err != 0) { /* cancelled or expired meanwhile: the next */
            free(f);
            free(op);
            if (err == BW_ESTATE)
                continue;
            say(q, "queue: %s: request %lld not sent: %s", ep, (long long)o.id,
                bw_strerror(err));
            return;
        }
        pthread_mutex_lock(&q->m);
        f->next = q->busy;
        q->busy = f;
        q->n_busy++;
        pthread_mutex_unlock(&q->m);
        err = bw_lwsrv_request_ex(q->cfg.dm, ep, op, on_answer, f);
        free(op);
        if (err != 0) /* the callback will not run: as a failed answer */
            hand_over(f, err, 0, 0, NULL, 0, NULL);
        return;
    }
}

/* Record an answer (or a failure) and go on with the device. */
static void finish(bw_api_queue_t *q, flight_t *f)
{
    pthread_mutex_lock(&q->m);
    q->n_busy--;
    pthread_mutex_unlock(&q->m);
    int64_t now = wall_ms();
    int go_on = 1, err;
    char detail[BW_LWSRV_PATH_MAX + 64];
    if (f->err == 0) {
        json_t *ans = bw_api__op_answer(f->kind, f->code, f->cf, f->payload,
                                        f->len, f->location);
        char *text = ans != NULL ? json_dumps(ans, JSON_COMPACT) : NULL;
        json_decref(ans);
        err = text != NULL ? bw_db_request_answer(q->cfg.db, f->id, f->code,
                                                  (const uint8_t *)text,
                                                  strlen(text), now)
                           : BW_ENOMEM;
        if (text != NULL) {
            json_malloc_t m;
            json_free_t fr;
            json_get_alloc_funcs(&m, &fr);
            fr(text);
        }
        snprintf(detail, sizeof detail, "%s -> %u.%02u (request %lld)", f->path,
                 f->code >> 5, f->code & 31u, (long long)f->id);
        if (err == 0) {
            audit(q, bw_api__op_name(f->kind), f->ep, detail);
            publish(q, f, "request.answered", NULL);
        } else /* expired or cancelled while out: the answer is dropped */
            say(q, "queue: %s: answer to request %lld not stored: %s", f->ep,
                (long long)f->id, bw_strerror(err));
    } else {
        /* Nothing reached the device (REQUEUE): back, not counted.  Else
         * the try is counted in the transaction that puts the request
         * back, and the count as committed decides. */
        bw_api_queue_failure_t next = bw_api_queue_after_failure(f->err, 0);
        unsigned tries = 0;
        if (next == BW_API_QUEUE_REQUEUE) {
            err = bw_db_request_requeue(q->cfg.db, f->id, now);
        } else {
            err = bw_db_request_retry(q->cfg.db, f->id, now, &tries);
            if (err == 0)
                next = bw_api_queue_after_failure(f->err, tries);
        }
        char reason[BW_DB_REQ_WHY_MAX + 1];
        snprintf(reason, sizeof reason, "no answer after %u tries (%s)", tries,
                 bw_strerror(f->err));
        if (err == 0 && next == BW_API_QUEUE_GIVE_UP) {
            /* A crash before this commits leaves it queued with its tries
             * spent: send_next gives it up then. */
            err = bw_db_request_give_up(q->cfg.db, f->id, BW_DB_REQ_QUEUED,
                                        reason, now);
            snprintf(detail, sizeof detail, "%s: given up (request %lld)",
                     f->path, (long long)f->id);
            if (err == 0) {
                audit(q, "request-expired", f->ep, detail);
                publish(q, f, "request.expired", reason);
            }
        }
        if (err != 0) /* BW_ESTATE: expired or cancelled meanwhile */
            say(q, "queue: %s: request %lld: %s", f->ep, (long long)f->id,
                bw_strerror(err));
        else if (next == BW_API_QUEUE_REQUEUE)
            say(q,
                "queue: %s: request %lld back in the queue, no try counted: "
                "%s",
                f->ep, (long long)f->id, bw_strerror(f->err));
        else
            say(q,
                "queue: %s: request %lld: try %u of %u got no answer (%s); %s",
                f->ep, (long long)f->id, tries,
                (unsigned)BW_API_QUEUE_TRIES_MAX, bw_strerror(f->err),
                next == BW_API_QUEUE_GIVE_UP ? "given up"
                                             : "back in the queue");
        /* Asleep (or gone): the rest waits for its next wake, unless it
         * woke again while this one was out. */
        go_on = f->rewoken;
    }
    char ep[BW_DB_ENDPOINT_MAX + 1];
    snprintf(ep, sizeof ep, "%s", f->ep);
    free(f);
    if (go_on)
        send_next(q, ep, 0);
}

static void sweep(bw_api_queue_t *q)
{
    uint64_t n = 0;
    int err = bw_db_request_expire(q->cfg.db, wall_ms(), &n);
    if (err != 0)
        say(q, "queue: expiry: %s", bw_strerror(err));
    else if (n > 0)
        say(q, "queue: %llu request(s) past their time to live expired",
            (unsigned long long)n);
}

/* ---- the retention job (engine thread) -------------------------------- */

/* The sweep ends: audited once with its count (nothing when none). */
static void purge_end(bw_api_queue_t *q)
{
    if (q->purged > 0) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "%llu answered or expired request(s) older than %u day(s) "
                 "deleted",
                 (unsigned long long)q->purged,
                 (unsigned)q->cfg.retention_days);
        audit(q, "requests-purged", "", detail);
        say(q, "queue: %s", detail);
    }
    q->purging = 0;
    q->purged = 0;
}

/* One batch of the sweep under way, in its own transaction. */
static void purge_step(bw_api_queue_t *q)
{
    uint64_t n = 0;
    int err = bw_db_request_purge(q->cfg.db, q->purge_before,
                                  BW_API_QUEUE_PURGE_BATCH, &n);
    q->purged += n;
    if (err != 0)
        say(q, "queue: retention: %s (the next sweep goes on)",
            bw_strerror(err));
    if (err != 0 || n < BW_API_QUEUE_PURGE_BATCH)
        purge_end(q);
}

/* ---- the engine's loop ------------------------------------------------- */

static int ts_due(const struct timespec *now, const struct timespec *t)
{
    return now->tv_sec > t->tv_sec ||
           (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

static struct timespec ts_plus(struct timespec t, long ms)
{
    t.tv_nsec += ms % 1000 * 1000000;
    t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000;
    t.tv_nsec %= 1000000000;
    return t;
}

static void *engine_main(void *arg)
{
    bw_api_queue_t *q = arg;
    struct timespec next, purge_next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    purge_next = next; /* the first retention sweep at start */
    pthread_mutex_lock(&q->m);
    while (!q->stopping) {
        if (q->done != NULL) {
            flight_t *f = q->done;
            q->done = f->next;
            pthread_mutex_unlock(&q->m);
            finish(q, f);
            pthread_mutex_lock(&q->m);
            continue;
        }
        if (q->wakes != NULL) {
            wake_t *w = q->wakes;
            q->wakes = w->next;
            if (q->wakes == NULL)
                q->wakes_tail = &q->wakes;
            q->n_wakes--;
            pthread_mutex_unlock(&q->m);
            send_next(q, w->ep, 1);
            free(w);
            pthread_mutex_lock(&q->m);
            continue;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (ts_due(&now, &next)) {
            pthread_mutex_unlock(&q->m);
            sweep(q);
            pthread_mutex_lock(&q->m);
            next = ts_plus(now, BW_API_QUEUE_SWEEP_MS);
            continue;
        }
        if (!q->purging && q->cfg.retention_days > 0 &&
            ts_due(&now, &purge_next)) {
            q->purging = 1;
            q->purge_before =
                bw_api_queue_retention_cutoff(wall_ms(), q->cfg.retention_days);
            purge_next = ts_plus(now, BW_API_QUEUE_PURGE_MS);
        }
        if (q->purging) { /* one batch, then answers and wakes again */
            pthread_mutex_unlock(&q->m);
            purge_step(q);
            pthread_mutex_lock(&q->m);
            continue;
        }
        const struct timespec *until = &next;
        if (q->cfg.retention_days > 0 && !ts_due(&purge_next, &next))
            until = &purge_next;
        pthread_cond_timedwait(&q->c, &q->m, until);
    }
    pthread_mutex_unlock(&q->m);
    if (q->purging) /* stopped halfway: what was deleted is audited */
        purge_end(q);
    return NULL;
}

/* ---- life ------------------------------------------------------------- */

bw_api_queue_t *bw_api_queue_new(const bw_api_queue_config_t *cfg)
{
    if (cfg == NULL || cfg->db == NULL || cfg->dm == NULL || cfg->reg == NULL)
        return NULL;
    bw_api_queue_t *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->seen = calloc(BW_API_QUEUE_SEEN_MAX, sizeof *q->seen);
    if (q->seen == NULL) {
        free(q);
        return NULL;
    }
    q->cfg = *cfg;
    q->wakes_tail = &q->wakes;
    pthread_mutex_init(&q->m, NULL);
    pthread_mutex_init(&q->seen_m, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->c, &ca);
    pthread_condattr_destroy(&ca);
    /* What a previous run had sent got no recorded answer: again. */
    uint64_t n = 0;
    int err = bw_db_request_requeue_sent(q->cfg.db, wall_ms(), &n);
    if (err != 0)
        say(q, "queue: requests left sent: %s", bw_strerror(err));
    else if (n > 0)
        say(q,
            "queue: %llu request(s) sent before the last stop are queued "
            "again",
            (unsigned long long)n);
    /* Which devices have requests waiting, from now on kept in memory
     * (bw_db_request_may_have_queued); without it every wake reads the
     * store, as it would for a device that has some. */
    err = bw_db_request_queued_load(q->cfg.db);
    if (err != 0)
        say(q, "queue: devices with queued requests not read: %s",
            bw_strerror(err));
    if (pthread_create(&q->thread, NULL, engine_main, q) != 0) {
        say(q, "queue: cannot start its thread");
        bw_api_queue_free(q);
        return NULL;
    }
    q->started = 1;
    return q;
}

void bw_api_queue_stop(bw_api_queue_t *q)
{
    if (q == NULL)
        return;
    pthread_mutex_lock(&q->m);
    __atomic_store_n(&q->stopping, 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&q->c);
    pthread_mutex_unlock(&q->m);
    if (q->started)
        pthread_join(q->thread, NULL);
    q->started = 0;
}

void bw_api_queue_free(bw_api_queue_t *q)
{
    if (q == NULL)
        return;
    bw_api_queue_stop(q);
    while (q->wakes != NULL) {
        wake_t *w = q->wakes;
        q->wakes = w->next;
        free(w);
    }
    /* Requests still busy were failed by the DM role as it stopped, and
     * are on the done list now; any other is the DM role's to free. */
    while (q->done != NULL) {
        flight_t *f = q->done;
        q->done = f->next;
        free(f);
    }
    pthread_mutex_destroy(&q->m);
    pthread_mutex_destroy(&q->seen_m);
    pthread_cond_destroy(&q->c);
    free(q->seen);
    free(q);
}

void bw_api_queue_attach(bw_api_t *api, bw_api_queue_t *q)
{
    if (api != NULL)
        __atomic_store_n(&api->queue, q, __ATOMIC_RELEASE);
}

bw_api_queue_t *bw_api__queue(bw_api_t *a)
{
    return a != NULL ? __atomic_load_n(&a->queue, __ATOMIC_ACQUIRE) : NULL;
}
