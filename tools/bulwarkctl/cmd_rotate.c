/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credential rotation on demand (docs/api.md, POST /devices/{ep}/rotate):
 * the server asks the registered device to re-bootstrap; this command
 * prints the state the API reports once the device acknowledged.  The
 * rest of the rotation (new credential issued, the device registering
 * with it, the old one revoked) follows in the audit log.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char rotate_help[] =
    "usage: " CTL_NAME " rotate EP\n"
    "\n"
    "Rotate the DM credentials of registered device EP: the server asks\n"
    "it to go back to its bootstrap server (Execute /1/x/9), which issues\n"
    "a fresh DM credential; the old one stays valid until the device has\n"
    "registered with the new one, then it is revoked.  Prints the state\n"
    "once the device acknowledged (rotation-requested).  Exit 1 when the\n"
    "device is not registered (409), refuses (502) or does not answer\n"
    "(504).  Follow the rest in 'bulwarkctl audit'.\n";

int cmd_rotate(ctl_t *c, int argc, char **argv)
{
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", NULL)) != -1) {
        if (v == 'h') {
            fputs(rotate_help, stdout);
            return CTL_OK;
        }
        return CTL_USAGE;
    }
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants EP");
    char e[3 * 64 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(argv[optind], e, sizeof e) != 0 ||
        ctl_path(path, sizeof path, "/devices/%s/rotate", e) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call_json(c, "POST", path, NULL, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        const char *st = json_string_value(json_object_get(a.body, "state"));
        if (st == NULL) {
            rc = ctl_fail(CTL_API, "the answer has no state");
        } else {
            char *s = ctl_printf("%s: %s", argv[optind], st);
            ctl_sanitize(s);
            printf("%s\n", s);
            free(s);
            const json_t *p = json_object_get(a.body, "path");
            if (json_is_string(p)) {
                char *ps = ctl_cell(p, NULL);
                printf("Execute %s acknowledged; the device re-bootstraps\n",
                       ps);
                free(ps);
            }
        }
    }
    ctl_answer_free(&a);
    return rc;
}
