/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event bus (api_events.h): a ring of fixed-size slots under one
 * mutex.
 *
 * Ids of this run are first .. next - 1; the ring keeps the last
 * `capacity` of them, event id in slot (id - first) % capacity.  The
 * oldest id kept is therefore max(first, next - capacity).  A reader's
 * cursor c (the next id it wants) below that has lost
 * oldest - max(c, first) events of this run; below first, it also lost
 * what the earlier run published after it (restarted).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_events.h"
#include "bulwark/error.h"

struct bw_events {
    pthread_mutex_t m;
    pthread_cond_t c;
    uint64_t first, next; /* ids of this run: first .. next - 1 */
    uint64_t wakes;       /* bumped by bw_events_wake */
    size_t cap;
    bw_event_t *ring;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bw_events_new(size_t capacity, uint64_t first_id, bw_events_t **out)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || capacity == 0 || capacity > BW_EVENTS_RING_MAX)
        return BW_EINVAL;
    bw_events_t *b = calloc(1, sizeof *b);
    if (b == NULL)
        return BW_ENOMEM;
    b->ring = calloc(capacity, sizeof *b->ring);
    if (b->ring == NULL) {
        free(b);
        return BW_ENOMEM;
    }
    if (first_id == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        first_id =
            (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    }
    b->cap = capacity;
    b->first = b->next = first_id;
    pthread_mutex_init(&b->m, NULL);
    /* Waits are timed against CLOCK_MONOTONIC (a clock step must not
     * stretch them). */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->c, &ca);
    pthread_condattr_destroy(&ca);
    *out = b;
    return 0;
}

void bw_events_free(bw_events_t *bus)
{
    if (bus == NULL)
        return;
    pthread_mutex_destroy(&bus->m);
    pthread_cond_destroy(&bus->c);
    free(bus->ring);
    free(bus);
}

static int type_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '_' || ch == '-';
}

static int type_valid(const char *t)
{
    size_t n = t != NULL ? strlen(t) : 0;
    if (n == 0 || n > BW_EVENTS_TYPE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!type_char(t[i]))
            return 0;
    return 1;
}

int bw_events_publish(bw_events_t *bus, const char *type, const char *ep,
                      json_t *data)
{
    if (bus == NULL) {
        json_decref(data);
        return 0;
    }
    if (!type_valid(type) || (ep != NULL && strlen(ep) > BW_DB_ENDPOINT_MAX) ||
        (data != NULL && !json_is_object(data))) {
        json_decref(data);
        return BW_EINVAL;
    }
    /* Serialised before the lock: the mutex covers one copy only. */
    char text[BW_EVENTS_DATA_MAX + 1];
    int rc = 0;
    size_t n = 2;
    if (data == NULL) {
        memcpy(text, "{}", 3);
    } else {
        n = json_dumpb(data, text, sizeof text - 1, JSON_COMPACT);
        if (n == 0 || n > BW_EVENTS_DATA_MAX) {
            static const char cut[] = "{\"truncated\":true}";
            memcpy(text, cut, sizeof cut);
            n = sizeof cut - 1;
            rc = BW_EOVERFLOW;
        }
        text[n] = '\0';
    }
    json_decref(data);
    int64_t now = wall_ms();
    pthread_mutex_lock(&bus->m);
    bw_event_t *e = &bus->ring[(bus->next - bus->first) % bus->cap];
    e->id = bus->next++;
    e->time_ms = now;
    strcpy(e->type, type); /* checked: at most BW_EVENTS_TYPE_MAX */
    strcpy(e->ep, ep != NULL ? ep : "");
    memcpy(e->data, text, n + 1);
    pthread_cond_broadcast(&bus->c);
    pthread_mutex_unlock(&bus->m);
    return rc;
}

uint64_t bw_events_last_id(bw_events_t *bus)
{
    pthread_mutex_lock(&bus->m);
    uint64_t id = bus->next - 1;
    pthread_mutex_unlock(&bus->m);
    return id;
}

uint64_t bw_events_cursor_after(bw_events_t *bus, uint64_t last_id)
{
    pthread_mutex_lock(&bus->m);
    uint64_t c = last_id >= bus->next ? bus->next : last_id + 1;
    pthread_mutex_unlock(&bus->m);
    return c;
}

uint64_t bw_events_cursor_now(bw_events_t *bus)
{
    pthread_mutex_lock(&bus->m);
    uint64_t c = bus->next;
    pthread_mutex_unlock(&bus->m);
    return c;
}

int bw_events_next(bw_events_t *bus, uint64_t *cursor,
                   const bw_events_filter_t *f, bw_event_t *out,
                   bw_events_gap_t *gap)
{
    if (gap != NULL)
        memset(gap, 0, sizeof *gap);
    if (bus == NULL || cursor == NULL || out == NULL || gap == NULL)
        return BW_EINVAL;
    pthread_mutex_lock(&bus->m);
    uint64_t oldest =
        bus->next - bus->first > bus->cap ? bus->next - bus->cap : bus->first;
    uint64_t c = *cursor;
    if (c > bus->next) /* a cursor from nowhere: nothing to replay */
        c = bus->next;
    if (c < bus->first) {
        gap->restarted = 1;
        c = bus->first;
    }
    if (c < oldest) {
        gap->lost = oldest - c;
        c = oldest;
    }
    int rc = BW_EAGAIN;
    for (; c < bus->next; c++) {
        const bw_event_t *e = &bus->ring[(c - bus->first) % bus->cap];
        if (bw_events_filter_match(f, e->type, e->ep)) {
            *out = *e;
            c++;
            rc = 0;
            break;
        }
    }
    *cursor = c;
    pthread_mutex_unlock(&bus->m);
    return rc;
}

int bw_events_wait(bw_events_t *bus, uint64_t last_id, int timeout_ms)
{
    if (bus == NULL)
        return BW_EINVAL;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout_ms < 0)
        timeout_ms = 0;
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&bus->m);
    uint64_t wakes = bus->wakes;
    while (bus->next - 1 <= last_id && bus->wakes == wakes) {
        if (pthread_cond_timedwait(&bus->c, &bus->m, &dl) != 0) {
            rc = bus->next - 1 > last_id || bus->wakes != wakes ? 0
                                                                : BW_ETIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&bus->m);
    return rc;
}

void bw_events_wake(bw_events_t *bus)
{
    if (bus == NULL)
        return;
    pthread_mutex_lock(&bus->m);
    bus->wakes++;
    pthread_cond_broadcast(&bus->c);
    pthread_mutex_unlock(&bus->m);
}

/* ---- filters ----------------------------------------------------------- */

/* One pattern: a type, "*", or a prefix ending in ".*". */
static int pattern_valid(const char *p, size_t n)
{
    if (n == 1 && p[0] == '*')
        return 1;
    size_t body = n >= 2 && p[n - 1] == '*' && p[n - 2] == '.' ? n - 1 : n;
    if (body == 0 || (body == 1 && p[0] == '.'))
        return 0;
    for (size_t i = 0; i < body; i++)
        if (!type_char(p[i]))
            return 0;
    return 1;
}

static int ep_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
           (ch >= '0' && ch <= '9') || (ch != '\0' && strchr("-._:@~+", ch));
}

int bw_events_filter_parse(const char *types, const char *ep,
                           bw_events_filter_t *f)
{
    if (f == NULL)
        return BW_EINVAL;
    memset(f, 0, sizeof *f);
    int rc = 0;
    if (ep != NULL && *ep != '\0') {
        size_t n = strlen(ep);
        if (n > BW_DB_ENDPOINT_MAX)
            rc = BW_EOVERFLOW;
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (!ep_char(ep[i]))
                rc = BW_EMALFORMED;
        if (rc == 0)
            memcpy(f->ep, ep, n + 1);
    }
    const char *p = types != NULL ? types : "";
    while (rc == 0 && *p != '\0') {
        size_t n = strcspn(p, ",");
        if (n > BW_EVENTS_TYPE_MAX)
            rc = BW_EOVERFLOW;
        else if (!pattern_valid(p, n))
            rc = BW_EMALFORMED;
        else if (f->ntypes == BW_EVENTS_FILTER_TYPES)
            rc = BW_EOVERFLOW;
        if (rc != 0)
            break;
        memcpy(f->types[f->ntypes], p, n);
        f->types[f->ntypes++][n] = '\0';
        p += n;
        if (*p == ',') {
            p++;
            if (*p == '\0') /* "a," has an empty last pattern */
                rc = BW_EMALFORMED;
        }
    }
    if (rc != 0)
        memset(f, 0, sizeof *f);
    return rc;
}

int bw_events_filter_match(const bw_events_filter_t *f, const char *type,
                           const char *ep)
{
    if (f == NULL)
        return 1;
    if (f->ep[0] != '\0' && strcmp(f->ep, ep != NULL ? ep : "") != 0)
        return 0;
    if (f->ntypes == 0)
        return 1;
    for (size_t i = 0; i < f->ntypes; i++) {
        const char *p = f->types[i];
        size_t n = strlen(p);
        if (n == 1 && p[0] == '*')
            return 1;
        if (p[n - 1] == '*') { /* "device.*": the prefix with its dot */
            if (strncmp(type, p, n - 1) == 0 && type[n - 1] != '\0')
                return 1;
        } else if (strcmp(type, p) == 0) {
            return 1;
        }
    }
    return 0;
}
