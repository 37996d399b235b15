/* SPDX-License-Identifier: Apache-2.0 */
/*
 * campaign watch: follow a campaign until it ends.  On a terminal one
 * status line (a progress bar, the state, the batch and the counts by
 * state) is redrawn in place; otherwise (a log, a pipe) a line with the
 * time is printed whenever something changes, and with --json the
 * campaign's JSON, one line per change.  The exit status says how the
 * campaign ended: 0 completed, 3 halted, 4 aborted.
 *
 * The server being briefly out of reach (a restart) does not end the
 * watch: requests are retried for WATCH_UNREACHABLE_S before the watch
 * gives up with exit 5.  Any answered error (401, 404, ...) ends it at
 * once.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

/* How long the server may stay out of reach during a watch. */
#define WATCH_UNREACHABLE_S 60
/* Polling period: the server polls devices every 2 s, so faster shows
 * nothing new. */
#define WATCH_INTERVAL_DEFAULT 2
#define WATCH_INTERVAL_MAX     3600
/* Progress bar width in characters. */
#define BAR 24

static const char watch_help[] =
    "usage: " CTL_NAME " campaign watch ID [--interval S]\n"
    "\n"
    "Follow campaign ID until it ends, polling every S seconds (default 2).\n"
    "On a terminal the progress line is redrawn in place; otherwise one\n"
    "line is printed per change (with --json: the campaign's JSON).\n"
    "Exit status: 0 completed, 3 halted, 4 aborted; 1, 5, 6 as for every\n"
    "command.\n";

static const char *const states[] = {"pending",  "downloading", "downloaded",
                                     "updating", "succeeded",   "failed",
                                     "skipped",  "aborted",     NULL};

static json_int_t count(const json_t *counts, const char *name)
{
    return json_integer_value(json_object_get(counts, name));
}

/* The status line (malloc'd): counts by state, zeros left out except for
 * succeeded and failed. */
static char *status_line(const json_t *o, int bar)
{
    const json_t *n = json_object_get(o, "counts");
    json_int_t total = count(n, "total"), done = 0;
    for (size_t k = 4; k < 8; k++)
        done += count(n, states[k]);
    char *st = ctl_cell(json_object_get(o, "state"), NULL);
    char *s;
    if (bar) {
        char b[BAR + 1];
        size_t fill = total > 0 ? (size_t)(done * BAR / total) : 0;
        for (size_t i = 0; i < BAR; i++)
            b[i] = i < fill ? '#' : '-';
        b[BAR] = '\0';
        s = ctl_printf("[%s] %3lld%% %s", b,
                       total > 0 ? (long long)(done * 100 / total) : 0LL, st);
    } else {
        s = ctl_printf("%s %lld/%lld done", st, (long long)done,
                       (long long)total);
    }
    free(st);
    char *t = ctl_printf(
        "%s  batch %lld/%zu", s,
        (long long)json_integer_value(json_object_get(o, "current_batch")),
        json_array_size(json_object_get(o, "batches")));
    free(s);
    s = t;
    for (size_t k = 0; states[k] != NULL; k++) {
        json_int_t v = count(n, states[k]);
        if (v == 0 && k != 4 && k != 5)
            continue;
        t = ctl_printf("%s  %s %lld", s, states[k], (long long)v);
        free(s);
        s = t;
    }
    ctl_sanitize(s);
    return s;
}

static void pause_s(long s)
{
    struct timespec ts = {.tv_sec = s, .tv_nsec = 0};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static size_t term_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        return ws.ws_col;
    return 80;
}

int cmd_campaign_watch(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"interval", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    long interval = WATCH_INTERVAL_DEFAULT;
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        switch (v) {
        case 'h':
            fputs(watch_help, stdout);
            return CTL_OK;
        case 'i':
            if (ctl_parse_long("--interval", optarg, 1, WATCH_INTERVAL_MAX,
                               &interval) != 0)
                return CTL_USAGE;
            break;
        default:
            return CTL_USAGE;
        }
    }
    if (argc - optind != 1)
        return ctl_usage("campaign", "watch wants one campaign ID");
    char e[3 * 64 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(argv[optind], e, sizeof e) != 0 ||
        ctl_path(path, sizeof path, "/campaigns/%s", e) != 0)
        return CTL_USAGE;
    int tty = !c->json && isatty(STDOUT_FILENO);
    char *last = NULL;
    time_t unreachable_since = 0;
    int rc;
    for (;;) {
        ctl_answer_t a;
        rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
        if (rc == CTL_NET) {
            time_t now = time(NULL);
            if (unreachable_since == 0)
                unreachable_since = now;
            ctl_answer_free(&a);
            if (now - unreachable_since >= WATCH_UNREACHABLE_S)
                break;
            fprintf(stderr, CTL_NAME ": retrying for up to %ld s\n",
                    (long)(WATCH_UNREACHABLE_S - (now - unreachable_since)));
            pause_s(interval);
            continue;
        }
        unreachable_since = 0;
        if (rc != CTL_OK) {
            ctl_answer_free(&a);
            break;
        }
        const char *state = json_string_value(json_object_get(a.body, "state"));
        if (state == NULL) {
            ctl_answer_free(&a);
            rc = ctl_fail(CTL_API, "the answer has no campaign state");
            break;
        }
        char *line = status_line(a.body, tty);
        int changed = last == NULL || strcmp(line, last) != 0;
        if (tty) {
            size_t w = term_width() - 1;
            printf("\r\033[K%.*s", (int)w, line);
            fflush(stdout);
        } else if (changed && c->json) {
            char *j = json_dumps(a.body, JSON_COMPACT);
            printf("%s\n", j != NULL ? j : "{}");
            ctl_json_free(j);
            fflush(stdout);
        } else if (changed) {
            char ts[32];
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            strftime(ts, sizeof ts, "%H:%M:%SZ", &tm);
            printf("%s %s\n", ts, line);
            fflush(stdout);
        }
        free(last);
        last = line;
        int end = strcmp(state, "completed") == 0 ? CTL_OK
                  : strcmp(state, "halted") == 0  ? CTL_HALTED
                  : strcmp(state, "aborted") == 0 ? CTL_ABORTED
                                                  : -1;
        if (end >= 0) {
            if (tty)
                printf("\n");
            if (end == CTL_HALTED && !c->json) {
                char *r =
                    ctl_cell(json_object_get(a.body, "halt_reason"), NULL);
                fprintf(stderr, CTL_NAME ": campaign halted: %s\n", r);
                free(r);
            } else if (end == CTL_ABORTED && !c->json) {
                fprintf(stderr, CTL_NAME ": campaign aborted\n");
            }
            ctl_answer_free(&a);
            rc = end;
            break;
        }
        ctl_answer_free(&a);
        pause_s(interval);
    }
    free(last);
    return rc;
}
