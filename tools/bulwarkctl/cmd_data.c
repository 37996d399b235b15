/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwarkctl data: the values a device reported with LwM2M Send or in
 * notifications (GET /api/v1/devices/{ep}/data, docs/api.md), newest
 * first.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* The API's largest page. */
#define PAGE_MAX 1000
/* A path filter: /65534/65534/65534/65534 and room to be refused by the
 * server rather than here. */
#define DATA_PATH_MAX 64
/* A paging cursor ("<t>-<id>"). */
#define CURSOR_MAX 48

static const char data_help[] =
    "usage: " CTL_NAME " data EP [--path P] [--source S] [--since T] "
    "[--limit N] [--after CURSOR]\n"
    "\n"
    "Values device EP reported with LwM2M Send or in notifications, newest\n"
    "first: sample time (UTC), path, kind, value, when the server stored\n"
    "it, and its source (send, notify; - when stored before the server\n"
    "recorded it).\n"
    "\n"
    "  --path P        only this resource, e.g. /3303/0/5700\n"
    "  --source S      only values of this source: send or notify\n"
    "  --since T       only samples at or after T, Unix time in ms\n"
    "  --limit N       at most N values (1..1000, default 100)\n"
    "  --after CURSOR  the next page (the command is printed on stderr)\n"
    "  --json          the API's JSON as is\n";

/* Characters a path or cursor may hold (no escaping needed). */
static int plain(const char *s, const char *extra)
{
    for (; *s != '\0'; s++)
        if (!((*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
            return 0;
    return 1;
}

int cmd_data(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"path", required_argument, NULL, 'p'},
        {"source", required_argument, NULL, 'o'},
        {"since", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'n'},
        {"after", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    const char *pfilter = NULL, *after = NULL, *source = NULL;
    long limit = 100, since = LONG_MIN;
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        switch (v) {
        case 'h':
            fputs(data_help, stdout);
            return CTL_OK;
        case 'p':
            if (strlen(optarg) > DATA_PATH_MAX || !plain(optarg, "/"))
                return ctl_usage(argv[0], "--path %s: expected /o/i/r", optarg);
            pfilter = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "send") != 0 && strcmp(optarg, "notify") != 0)
                return ctl_usage(argv[0], "--source %s: send or notify",
                                 optarg);
            source = optarg;
            break;
        case 's':
            if (ctl_parse_long("--since", optarg, LONG_MIN, LONG_MAX, &since) !=
                0)
                return CTL_USAGE;
            break;
        case 'n':
            if (ctl_parse_long("--limit", optarg, 1, PAGE_MAX, &limit) != 0)
                return CTL_USAGE;
            break;
        case 'a':
            if (strlen(optarg) >= CURSOR_MAX || !plain(optarg, "-"))
                return ctl_usage(argv[0], "--after %s: not a cursor", optarg);
            after = optarg;
            break;
        default:
            return CTL_USAGE;
        }
    }
    if (optind + 1 != argc)
        return ctl_usage(argv[0],
                         optind == argc ? "an endpoint is needed"
                                        : "unexpected argument '%s'",
                         argv[optind == argc ? 0 : optind + 1]);
    const char *ep = argv[optind];
    char esc[3 * 64 + 1], path[CTL_PATH_MAX], q[256];
    if (ctl_escape(ep, esc, sizeof esc) != 0)
        return CTL_USAGE;
    int k = snprintf(q, sizeof q, "limit=%ld", limit);
    if (pfilter != NULL)
        k += snprintf(q + k, sizeof q - (size_t)k, "&path=%s", pfilter);
    if (source != NULL)
        k += snprintf(q + k, sizeof q - (size_t)k, "&source=%s", source);
    if (since != LONG_MIN)
        k += snprintf(q + k, sizeof q - (size_t)k, "&since=%ld", since);
    if (after != NULL)
        k += snprintf(q + k, sizeof q - (size_t)k, "&after=%s", after);
    if (ctl_path(path, sizeof path, "/devices/%s/data?%s", esc, q) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const heads[] = {
            "TIME", "PATH", "KIND", "VALUE", "RECEIVED", "SOURCE", NULL};
        /* ctl_cell shows members named *_ms as UTC times. */
        static const char *const keys[] = {"t",     "path",        "kind",
                                           "value", "received_at", "source"};
        static const char *const as[] = {"t_ms",  "path",        "kind",
                                         "value", "received_at", "source"};
        ctl_print_items(json_object_get(a.body, "data"), heads, keys, as);
        const char *nx = json_string_value(json_object_get(a.body, "next"));
        if (nx != NULL && plain(nx, "-"))
            fprintf(stderr, "(more: " CTL_NAME " data %s --after %s)\n", ep,
                    nx);
    }
    ctl_answer_free(&a);
    return rc;
}
