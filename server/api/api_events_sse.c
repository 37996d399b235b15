/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /api/v1/events: the event bus (api_events.h) as Server-Sent Events
 * (text/event-stream; docs/api.md, "Live events").
 *
 * The API's daemon runs a pool of BW_API_THREADS threads, each with its
 * own epoll loop, so a stream must never hold a thread while it waits.
 * Each stream is a libmicrohttpd response whose content comes from a
 * callback (reader below).  When the reader has nothing to send it
 * suspends its connection (MHD_suspend_connection) and returns 0; the
 * pump, one thread per API, waits on the bus and resumes the suspended
 * streams that have something new, or whose heartbeat is due
 * (BW_API_EVENTS_HEARTBEAT_MS).  A resumed reader is called again on the
 * pool and sends what it finds.
 *
 * Locks: hub->m guards the stream list and every stream's fields; it is
 * taken before the bus's mutex, never after it.  The check "nothing to
 * send" and the suspension happen under hub->m, and the pump looks at
 * the suspended flag under it, so an event published between the two
 * cannot be missed: the pump either sees the stream suspended, or the
 * reader sees the event.
 *
 * Stopping (bw_api__events_stop, before the daemon stops): no stream
 * suspends any more, every suspended one is resumed, its reader ends the
 * stream, and the stop waits (at most STOP_WAIT_MS) for them to go:
 * libmicrohttpd must not be stopped with a connection suspended.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_events.h"
#include "api_int.h"

/* How often the pump looks at the streams when no event comes (the
 * heartbeat's and the stop's granularity). */
#define PUMP_MS 1000
/* How long the stop waits for the streams to end. */
#define STOP_WAIT_MS 2000
/* One round of a stream's output: a "lost" event and one event (its
 * data at most BW_EVENTS_DATA_MAX, its endpoint escaped at most 6x). */
#define SSE_BUF (1024 + BW_EVENTS_DATA_MAX + 6 * BW_DB_ENDPOINT_MAX)
/* The reconnection delay suggested to clients (the SSE "retry" field). */
#define RETRY_MS 2000

typedef struct bw_api_events hub_t;

typedef struct stream {
    struct stream *next;
    hub_t *hub;
    struct MHD_Connection *conn;
    uint64_t cursor; /* the next event id it wants */
    bw_events_filter_t filter;
    int suspended;       /* by its reader; only the pump resumes */
    int beat;            /* the pump asks for a heartbeat */
    uint64_t written_ms; /* monotonic: the last bytes handed out */
    size_t len, off;     /* buf[off..len) not yet handed out */
    char buf[SSE_BUF];
    bw_event_t ev; /* scratch for the reader */
} stream_t;

struct bw_api_events {
    bw_api_t *api;
    bw_events_t *bus;
    pthread_mutex_t m;
    pthread_cond_t gone; /* a stream ended (the stop waits for it) */
    stream_t *streams;
    size_t n;
    int stopping;
    pthread_t pump;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Append to s->buf; the sizes are bounded by SSE_BUF's reasoning, so a
 * cut can only be a bug: the stream then ends rather than send half. */
__attribute__((format(printf, 2, 3))) static int put(stream_t *s,
                                                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->buf + s->len, sizeof s->buf - s->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof s->buf - s->len)
        return BW_ENOSPC;
    s->len += (size_t)n;
    return 0;
}

/* A JSON string of ep (quoted, escaped): endpoint names from devices are
 * checked for length only. */
static void json_quote(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (o + 8 >= cap)
            break;
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

/* What the stream says next, into s->buf (lock held).  0, or BW_ENOSPC
 * (a bug: the stream ends). */
static int fill(stream_t *s)
{
    bw_events_gap_t gap;
    int rc = bw_events_next(s->hub->bus, &s->cursor, &s->filter, &s->ev, &gap);
    int err = 0;
    if (gap.lost > 0 || gap.restarted)
        /* No id: the client's Last-Event-ID stays where it was. */
        err =
            put(s,
                "event: lost\ndata: {\"lost\":%llu,\"restarted\":%s,"
                "\"next_id\":%llu}\n\n",
                (unsigned long long)gap.lost, gap.restarted ? "true" : "false",
                (unsigned long long)s->cursor);
    if (err == 0 && rc == 0) {
        const bw_event_t *e = &s->ev;
        char ep[6 * BW_DB_ENDPOINT_MAX + 3];
        if (e->ep[0] != '\0')
            json_quote(e->ep, ep, sizeof ep);
        else
            strcpy(ep, "null");
        err = put(s,
                  "id: %llu\nevent: %s\ndata: {\"id\":%llu,\"time_ms\":%lld,"
                  "\"type\":\"%s\",\"endpoint\":%s,\"data\":%s}\n\n",
                  (unsigned long long)e->id, e->type, (unsigned long long)e->id,
                  (long long)e->time_ms, e->type, ep, e->data);
    }
    if (err == 0 && s->len == 0 && s->beat)
        err = put(s, ": keep-alive\n\n");
    s->beat = 0;
    return err;
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
    stream_t *s = cls;
    hub_t *h = s->hub;
    (void)pos;
    pthread_mutex_lock(&h->m);
    if (h->stopping) {
        pthread_mutex_unlock(&h->m);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (s->off == s->len) {
        s->off = s->len = 0;
        if (fill(s) != 0) {
            pthread_mutex_unlock(&h->m);
            bw_api__log(h->api, "api: event stream: event too large");
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    if (s->len == 0) { /* nothing: wait for the pump */
        s->suspended = 1;
        MHD_suspend_connection(s->conn);
        pthread_mutex_unlock(&h->m);
        return 0;
    }
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(out, s->buf + s->off, n);
    s->off += n;
    s->written_ms = mono_ms();
    pthread_mutex_unlock(&h->m);
    return (ssize_t)n;
}

/* libmicrohttpd is done with the stream's response. */
static void stream_free(void *cls)
{
    stream_t *s = cls;
    hub_t *h = s->hub;
    pthread_mutex_lock(&h->m);
    for (stream_t **p = &h->streams; *p != NULL; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            h->n--;
            break;
        }
    }
    pthread_cond_broadcast(&h->gone);
    pthread_mutex_unlock(&h->m);
    free(s);
}

static void resume(stream_t *s)
{
    s->suspended = 0;
    MHD_resume_connection(s->conn);
}

static void *pump_main(void *arg)
{
    hub_t *h = arg;
    uint64_t seen = bw_events_last_id(h->bus);
    for (;;) {
        (void)bw_events_wait(h->bus, seen, PUMP_MS);
        seen = bw_events_last_id(h->bus);
        uint64_t now = mono_ms();
        pthread_mutex_lock(&h->m);
        if (h->stopping) {
            pthread_mutex_unlock(&h->m);
            return NULL;
        }
        for (stream_t *s = h->streams; s != NULL; s = s->next) {
            if (!s->suspended)
                continue;
            int due = now - s->written_ms >= BW_API_EVENTS_HEARTBEAT_MS;
            if (s->cursor <= seen || due) {
                s->beat = due;
                resume(s);
            }
        }
        pthread_mutex_unlock(&h->m);
    }
}

int bw_api_events_attach(struct bw_api *api, bw_events_t *bus)
{
    if (api == NULL || bus == NULL)
        return BW_EINVAL;
    if (__atomic_load_n(&api->events, __ATOMIC_ACQUIRE) != NULL)
        return BW_ESTATE;
    hub_t *h = calloc(1, sizeof *h);
    if (h == NULL)
        return BW_ENOMEM;
    h->api = api;
    h->bus = bus;
    pthread_mutex_init(&h->m, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->gone, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&h->pump, NULL, pump_main, h) != 0) {
        pthread_mutex_destroy(&h->m);
        pthread_cond_destroy(&h->gone);
        free(h);
        return BW_ENOMEM;
    }
    __atomic_store_n(&api->events, h, __ATOMIC_RELEASE);
    return 0;
}

/* Last-Event-ID: a decimal id.  1 and *id, 0 when absent, -1 if bad. */
static int last_event_id(const char *v, uint64_t *id)
{
    if (v == NULL)
        return 0;
    if (*v == '\0' || strlen(v) > 20)
        return -1;
    uint64_t x = 0;
    for (const char *p = v; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *id = x;
    return 1;
}

json_t *bw_api__events_open(bw_api_t *a, struct MHD_Connection *c, int *status,
                            int *mhd_ret)
{
    *mhd_ret = MHD_NO;
    hub_t *h = __atomic_load_n(&a->events, __ATOMIC_ACQUIRE);
    if (h == NULL)
        return bw_api__error(status, 503, "unavailable",
                             "live events are not enabled on this server");
    bw_events_filter_t f;
    int err = bw_events_filter_parse(
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "type"),
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "endpoint"), &f);
    if (err != 0)
        return bw_api__error(status, 400, "bad filter",
                             err == BW_EOVERFLOW
                                 ? "type: at most 8 patterns of 31 characters; "
                                   "endpoint: at most 64 characters"
                                 : "type: comma-separated event types or "
                                   "prefixes ending in .* (a-z 0-9 . _ -); "
                                   "endpoint: an endpoint name");
    const char *lv =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    if (lv == NULL)
        lv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                         "last_event_id");
    uint64_t last = 0;
    int has_last = last_event_id(lv, &last);
    if (has_last < 0)
        return bw_api__error(status, 400, "bad Last-Event-ID",
                             "an event id is a decimal number");
    stream_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return bw_api__error(status, 500, "internal", "out of memory");
    s->hub = h;
    s->conn = c;
    s->filter = f;
    s->cursor = has_last ? bw_events_cursor_after(h->bus, last)
                         : bw_events_cursor_now(h->bus);
    s->written_ms = mono_ms();
    /* The first bytes go out at once: the client knows it is connected. */
    if (put(s, ": bulwark events\nretry: %d\n\n", RETRY_MS) != 0) {
        free(s);
        return bw_api__error(status, 500, "internal", "stream");
    }
    pthread_mutex_lock(&h->m);
    int full = h->n >= BW_API_EVENTS_STREAMS_MAX, stopping = h->stopping;
    if (!full && !stopping) {
        s->next = h->streams;
        h->streams = s;
        h->n++;
    }
    pthread_mutex_unlock(&h->m);
    if (full || stopping) {
        free(s);
        char d[96];
        snprintf(d, sizeof d, "at most %d event streams are open at once",
                 BW_API_EVENTS_STREAMS_MAX);
        return bw_api__error(status, 503, "unavailable",
                             stopping ? "the server is stopping" : d);
    }
    struct MHD_Response *r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 4096, reader, s, stream_free);
    if (r == NULL) {
        stream_free(s);
        return bw_api__error(status, 500, "internal", "out of memory");
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    *mhd_ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r); /* the connection holds it (or it is freed) */
    *status = 200;
    return NULL;
}

void bw_api__events_stop(bw_api_t *a)
{
    hub_t *h = __atomic_load_n(&a->events, __ATOMIC_ACQUIRE);
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->m);
    h->stopping = 1;
    for (stream_t *s = h->streams; s != NULL; s = s->next)
        if (s->suspended)
            resume(s);
    pthread_mutex_unlock(&h->m);
    bw_events_wake(h->bus);
    pthread_join(h->pump, NULL);
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += STOP_WAIT_MS / 1000;
    pthread_mutex_lock(&h->m);
    while (h->n > 0)
        if (pthread_cond_timedwait(&h->gone, &h->m, &dl) == ETIMEDOUT)
            break;
    size_t left = h->n;
    pthread_mutex_unlock(&h->m);
    if (left > 0)
        bw_api__log(a, "api: %zu event stream(s) still open at stop", left);
}

void bw_api__events_free(bw_api_t *a)
{
    hub_t *h = __atomic_exchange_n(&a->events, NULL, __ATOMIC_ACQ_REL);
    if (h == NULL)
        return;
    pthread_mutex_destroy(&h->m);
    pthread_cond_destroy(&h->gone);
    free(h);
}
