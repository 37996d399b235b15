/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events: the server's live events (GET /api/v1/events, Server-Sent
 * Events; docs/api.md "Live events") printed as they arrive, one line
 * each.  The stream is parsed here (event blocks of "id:", "event:",
 * "data:" lines ended by a blank line; comments ignored), each event's
 * JSON is parsed and printed again (so nothing the server sends reaches
 * the terminal unescaped).
 *
 * A dropped connection (the server restarting, a proxy timing out) does
 * not end the command: it connects again with the id of the last event
 * it printed (Last-Event-ID), so the server replays what came meanwhile
 * and no event is printed twice or skipped without a "lost" notice.
 * SIGINT or SIGTERM ends it with status 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

/* Longest line of the stream: an event's JSON is at most a few hundred
 * bytes; anything near this is not our server. */
#define EV_LINE_MAX (64 * 1024)
/* Waits between reconnection attempts grow to this (seconds). */
#define EV_BACKOFF_MAX 10

static const char events_help[] =
    "usage: " CTL_NAME " events [--type T] [--endpoint EP] [--after ID]\n"
    "\n"
    "Print the server's live events as they happen, one line each:\n"
    "time, type, endpoint and the event's data.  With --json, the event's\n"
    "JSON, one object a line.  Runs until interrupted (Ctrl-C: exit 0);\n"
    "a dropped connection is resumed where it stopped.\n"
    "\n"
    "  --type T       only these types: a comma-separated list of types or\n"
    "                 prefixes such as device.* (docs/api.md lists them)\n"
    "  --endpoint EP  only events about this device\n"
    "  --after ID     first replay the events after ID that the server\n"
    "                 still keeps\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct {
    ctl_t *c;
    char last_id[24]; /* of the last event printed; "" for none */
    char *line;       /* the line being read */
    size_t len;
    char id[24];
    char type[64];
    char *data; /* the event's data lines, joined by '\n' */
    size_t dlen;
    int bad; /* a line too long: the event is dropped */
    int got; /* bytes arrived on this connection */
} ev_t;
_Static_assert(sizeof(((ev_t *)0)->last_id) > CTL_EVENT_ID_DIGITS,
               "an event id given to --after fits last_id");

static int stop_cb(void *arg)
{
    (void)arg;
    return interrupted;
}

static void print_event(ev_t *e)
{
    json_t *o = e->data != NULL ? json_loadb(e->data, e->dlen, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        fprintf(stderr, CTL_NAME ": an event that is not a JSON object "
                                 "was skipped\n");
        json_decref(o);
        return;
    }
    if (strcmp(e->type, "lost") == 0) {
        json_int_t n = json_integer_value(json_object_get(o, "lost"));
        int restarted = json_is_true(json_object_get(o, "restarted"));
        fprintf(stderr, CTL_NAME ": %lld event(s) lost%s\n", (long long)n,
                restarted ? " (the server restarted; more may be)" : "");
        if (e->c->json) {
            json_object_set_new(o, "type", json_string("lost"));
            char *t = json_dumps(o, JSON_COMPACT);
            if (t != NULL)
                printf("%s\n", t);
            ctl_json_free(t);
        }
        json_decref(o);
        fflush(stdout);
        return;
    }
    if (e->c->json) {
        char *t = json_dumps(o, JSON_COMPACT);
        if (t != NULL)
            printf("%s\n", t);
        ctl_json_free(t);
    } else {
        char *when = ctl_cell(json_object_get(o, "time_ms"), "time_ms");
        char *type = ctl_cell(json_object_get(o, "type"), NULL);
        char *ep = ctl_cell(json_object_get(o, "endpoint"), NULL);
        char *line = ctl_printf("%s  %s  %s", when, type, ep);
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(o, "data"), k, v)
        {
            char *cell = ctl_cell(v, k);
            char *key = ctl_strdup(k);
            ctl_sanitize(key);
            char *nl = ctl_printf("%s  %s=%s", line, key, cell);
            free(line);
            free(cell);
            free(key);
            line = nl;
        }
        printf("%s\n", line);
        free(line);
        free(when);
        free(type);
        free(ep);
    }
    fflush(stdout);
    json_decref(o);
    if (e->id[0] != '\0')
        memcpy(e->last_id, e->id, sizeof e->last_id);
}

static void reset_event(ev_t *e)
{
    e->id[0] = '\0';
    e->type[0] = '\0';
    free(e->data);
    e->data = NULL;
    e->dlen = 0;
    e->bad = 0;
}

/* One line of the stream (without its end). */
static void on_line(ev_t *e, const char *l, size_t n)
{
    if (n == 0) { /* the end of an event */
        if (!e->bad && (e->data != NULL || e->type[0] != '\0'))
            print_event(e);
        reset_event(e);
        return;
    }
    if (l[0] == ':') /* a comment: the greeting, the heartbeat */
        return;
    const char *colon = memchr(l, ':', n);
    size_t fn = colon != NULL ? (size_t)(colon - l) : n;
    const char *v = colon != NULL ? colon + 1 : l + n;
    if (v < l + n && *v == ' ')
        v++;
    size_t vn = (size_t)(l + n - v);
    if (fn == 2 && memcmp(l, "id", 2) == 0) {
        if (vn < sizeof e->id && strspn(v, "0123456789") >= vn) {
            memcpy(e->id, v, vn);
            e->id[vn] = '\0';
        }
    } else if (fn == 5 && memcmp(l, "event", 5) == 0) {
        if (vn < sizeof e->type) {
            memcpy(e->type, v, vn);
            e->type[vn] = '\0';
        }
    } else if (fn == 4 && memcmp(l, "data", 4) == 0) {
        char *nd = realloc(e->data, e->dlen + vn + 2);
        if (nd == NULL) {
            e->bad = 1;
            return;
        }
        e->data = nd;
        if (e->dlen > 0)
            e->data[e->dlen++] = '\n';
        memcpy(e->data + e->dlen, v, vn);
        e->dlen += vn;
        e->data[e->dlen] = '\0';
    }
}

static int on_bytes(void *arg, const char *p, size_t n)
{
    ev_t *e = arg;
    e->got = 1;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\n') {
            size_t len = e->len;
            if (len > 0 && e->line[len - 1] == '\r')
                len--;
            if (e->line != NULL)
                e->line[len] = '\0'; /* room: EV_LINE_MAX + 1 */
            on_line(e, e->line != NULL ? e->line : "", len);
            e->len = 0;
            continue;
        }
        if (e->len == EV_LINE_MAX) { /* dropped, with its event */
            e->bad = 1;
            continue;
        }
        if (e->line == NULL) {
            e->line = malloc(EV_LINE_MAX + 1);
            if (e->line == NULL)
                return 1;
        }
        e->line[e->len++] = ch;
    }
    return 0;
}

static void pause_s(long s)
{
    struct timespec ts = {.tv_sec = s, .tv_nsec = 0};
    while (!interrupted && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int cmd_events(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"type", required_argument, NULL, 't'},
        {"endpoint", required_argument, NULL, 'e'},
        CTL_AFTER_OPTION,
        {NULL, 0, NULL, 0},
    };
    const char *type = NULL, *ep = NULL;
    ctl_page_t pg = ctl_page("events", CTL_AFTER_EVENT);
    ev_t e = {.c = c};
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        switch (v) {
        case 'h':
            fputs(events_help, stdout);
            return CTL_OK;
        case 't':
            type = optarg;
            break;
        case 'e':
            ep = optarg;
            break;
        default:
            if (ctl_page_opt(&pg, v, optarg) != CTL_OK)
                return CTL_USAGE;
        }
    }
    if (pg.after != NULL) /* CTL_EVENT_ID_DIGITS at most: it fits */
        snprintf(e.last_id, sizeof e.last_id, "%s", pg.after);
    if (argc - optind != 0)
        return ctl_usage("events", "no arguments expected");
    char path[CTL_PATH_MAX] = "/events";
    char et[3 * 256 + 1], ee[3 * 64 + 1];
    if (type != NULL &&
        (ctl_escape(type, et, sizeof et) != 0 ||
         ctl_path(path, sizeof path, "/events?type=%s", et) != 0))
        return CTL_USAGE;
    if (ep != NULL) {
        char base[CTL_PATH_MAX];
        strcpy(base, path);
        if (ctl_escape(ep, ee, sizeof ee) != 0 ||
            ctl_path(path, sizeof path, "%s%cendpoint=%s", base,
                     type != NULL ? '&' : '?', ee) != 0)
            return CTL_USAGE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: waits end at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    long backoff = 1;
    int rc = CTL_OK;
    while (!interrupted) {
        long status = 0;
        e.got = 0;
        e.len = 0;
        reset_event(&e);
        rc = ctl_stream(c, path, e.last_id[0] != '\0' ? e.last_id : NULL,
                        on_bytes, stop_cb, &e, &status);
        if (interrupted) {
            rc = CTL_OK;
            break;
        }
        /* Refused for good: the token, the filter, the role. */
        if (rc == CTL_AUTH || (rc == CTL_API && status != 503))
            break;
        if (e.got)
            backoff = 1;
        fprintf(stderr, CTL_NAME ": %s; connecting again in %ld s\n",
                rc == CTL_OK    ? "the server ended the stream"
                : status == 503 ? "the server is busy"
                                : "connection lost",
                backoff);
        pause_s(backoff);
        backoff = backoff * 2 > EV_BACKOFF_MAX ? EV_BACKOFF_MAX : backoff * 2;
        rc = CTL_OK;
    }
    reset_event(&e);
    free(e.line);
    return rc;
}
