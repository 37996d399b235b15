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

/* A path filter: /65534/65534/65534/65534 and room to be refused by the
 * server rather than here. */
#define DATA_PATH_MAX 64

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
    "  --after CURSOR  the next page (the \"next\" of the previous one)\n"
    "  --json          the API's JSON as is\n"
    "When there are more, the command for the next page goes to stderr.\n";

/* Characters a path may hold (no escaping needed). */
static int plain_path(const char *s)
{
    return strspn(s, "0123456789/") == strlen(s);
}

int cmd_data(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"path", required_argument, NULL, 'p'},
        {"source", required_argument, NULL, 'o'},
        {"since", required_argument, NULL, 's'},
        CTL_LIMIT_OPTION,
        CTL_AFTER_OPTION,
        {NULL, 0, NULL, 0},
    };
    const char *pfilter = NULL, *source = NULL;
    ctl_page_t pg = ctl_page(argv[0], CTL_AFTER_CURSOR);
    long since = LONG_MIN;
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        switch (v) {
        case 'h':
            fputs(data_help, stdout);
            return CTL_OK;
        case 'p':
            if (strlen(optarg) > DATA_PATH_MAX || !plain_path(optarg))
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
        default:
            if (ctl_page_opt(&pg, v, optarg) != CTL_OK)
                return CTL_USAGE;
        }
    }
    if (optind + 1 != argc)
        return ctl_usage(argv[0],
                         optind == argc ? "an endpoint is needed"
                                        : "unexpected argument '%s'",
                         argv[optind == argc ? 0 : optind + 1]);
    const char *ep = argv[optind];
    char esc[3 * 64 + 1], pq[128], sq[32] = "", path[CTL_PATH_MAX];
    if (since != LONG_MIN)
        snprintf(sq, sizeof sq, "&since=%ld", since);
    if (ctl_escape(ep, esc, sizeof esc) != 0 ||
        ctl_page_query(&pg, pq, sizeof pq) != 0 ||
        ctl_path(path, sizeof path, "/devices/%s/data?%s%s%s%s%s%s", esc, pq,
                 pfilter != NULL ? "&path=" : "",
                 pfilter != NULL ? pfilter : "",
                 source != NULL ? "&source=" : "", source != NULL ? source : "",
                 sq) != 0)
        return CTL_USAGE;
    static const char *const heads[] = {"TIME",     "PATH",   "KIND", "VALUE",
                                        "RECEIVED", "SOURCE", NULL};
    /* ctl_cell shows members named *_ms as UTC times. */
    static const char *const keys[] = {"t",     "path",        "kind",
                                       "value", "received_at", "source"};
    static const char *const as[] = {"t_ms",  "path",        "kind",
                                     "value", "received_at", "source"};
    return ctl_list(c, path, "data", heads, keys, as, &pg, ep,
                    pfilter != NULL || source != NULL || since != LONG_MIN);
}
