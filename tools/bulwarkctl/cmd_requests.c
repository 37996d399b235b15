/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Queued requests (docs/api.md, "Queued and asynchronous operations"):
 *
 *   requests EP [--state S] [--limit N] [--after ID]   a device's requests
 *   request ID [--cancel]                              one, or cancel it
 *
 * An operation for a queue-mode device that sleeps, or one sent with
 * --async, is answered 202 with a request id; these commands follow it
 * through queued, sent, answered or expired.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char requests_help[] =
    "usage: " CTL_NAME " requests EP [--state S] [--limit N] [--after ID]\n"
    "\n"
    "The requests queued for device EP, oldest first: ID, OP, PATH,\n"
    "STATE (queued, sent, answered, expired), CODE (the device's answer),\n"
    "CREATED and EXPIRES.\n"
    "  --state S    only those in state S\n"
    "  --limit N    at most N (1..1000, default 100)\n"
    "  --after ID   those after request ID (the next page)\n"
    "When there are more, the command for the next page goes to stderr.\n";

static const char request_help[] =
    "usage: " CTL_NAME " request ID [--cancel]\n"
    "\n"
    "One queued request: its operation, state, times and, once answered,\n"
    "the device's code and payload (as the operation would have printed\n"
    "them); once expired, the reason.  With --cancel, cancel it while it\n"
    "is still queued (operator role; one already sent is 409).\n"
    "Exit 1 when the device answered with an error code.\n";

int cmd_requests(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"state", required_argument, NULL, 's'},
        CTL_LIMIT_OPTION,
        CTL_AFTER_OPTION,
        {NULL, 0, NULL, 0},
    };
    const char *state = NULL;
    ctl_page_t pg = ctl_page(argv[0], CTL_AFTER_ID);
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        if (v == 'h') {
            fputs(requests_help, stdout);
            return CTL_OK;
        }
        if (v == 's' &&
            (strcmp(optarg, "queued") == 0 || strcmp(optarg, "sent") == 0 ||
             strcmp(optarg, "answered") == 0 || strcmp(optarg, "expired") == 0))
            state = optarg;
        else if (v == 's')
            return ctl_usage(argv[0],
                             "--state is queued, sent, answered or "
                             "expired, not '%s'",
                             optarg);
        else if (ctl_page_opt(&pg, v, optarg) != CTL_OK)
            return CTL_USAGE;
    }
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants EP");
    char e[3 * 64 + 1], q[128], path[CTL_PATH_MAX];
    if (ctl_escape(argv[optind], e, sizeof e) != 0 ||
        ctl_page_query(&pg, q, sizeof q) != 0 ||
        ctl_path(path, sizeof path, "/devices/%s/requests?%s%s%s", e, q,
                 state != NULL ? "&state=" : "",
                 state != NULL ? state : "") != 0)
        return CTL_USAGE;
    static const char *const heads[] = {"ID",   "OP",      "PATH",    "STATE",
                                        "CODE", "CREATED", "EXPIRES", NULL};
    static const char *const cols[] = {
        "id", "op", "path", "state", "code", "created_at", "expires_at"};
    return ctl_list(c, path, "requests", heads, cols, NULL, &pg, argv[optind],
                    state != NULL);
}

int cmd_request(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"cancel", no_argument, NULL, 'x'},
        {NULL, 0, NULL, 0},
    };
    int cancel = 0, v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        if (v == 'h') {
            fputs(request_help, stdout);
            return CTL_OK;
        }
        if (v != 'x')
            return CTL_USAGE;
        cancel = 1;
    }
    long id;
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants ID");
    if (ctl_parse_long("ID", argv[optind], 1, 999999999999999999L, &id) != 0)
        return CTL_USAGE;
    char path[CTL_PATH_MAX];
    if (ctl_path(path, sizeof path, "/requests/%ld", id) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call(c, cancel ? "DELETE" : "GET", path, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const names[] = {
            "id",      "endpoint", "op",         "path",       "state",
            "code",    "reason",   "created_at", "updated_at", "expires_at",
            "payload", "location", NULL};
        ctl_print_fields(a.body, names);
    }
    const char *code = json_string_value(json_object_get(a.body, "code"));
    if (rc == CTL_OK && code != NULL && code[0] != '2')
        rc = CTL_API;
    ctl_answer_free(&a);
    return rc;
}
