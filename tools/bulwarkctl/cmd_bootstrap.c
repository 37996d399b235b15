/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device's bootstrap configuration (docs/api.md, "Bootstrap
 * configuration"): the DM server URI, registration lifetime and binding
 * (U, or UQ for queue mode) the bootstrap server gives it.
 *
 *   bootstrap EP [--binding B] [--lifetime S] [--server-uri U]   set (admin)
 *   bootstrap EP --show                                          show
 *   bootstrap EP --reset                                 the defaults (admin)
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char bootstrap_help[] =
    "usage: " CTL_NAME " bootstrap EP [--binding U|UQ] [--lifetime S]\n"
    "                 [--server-uri URI]\n"
    "       " CTL_NAME " bootstrap EP --show\n"
    "       " CTL_NAME " bootstrap EP --reset\n"
    "\n"
    "What the bootstrap server gives device EP at its next bootstrap:\n"
    "  --binding B       U (always reachable) or UQ (queue mode: the device\n"
    "                    sleeps between updates; requests for it wait in the\n"
    "                    server's queue).  Default U\n"
    "  --lifetime S      registration lifetime, 10..31536000 seconds.\n"
    "                    Default: the server's --lifetime\n"
    "  --server-uri URI  the DM server, coap:// or coaps://.  Default: the\n"
    "                    server's own\n"
    "Options left out take their defaults (the configuration is replaced\n"
    "as a whole).  --show prints it, --reset puts the defaults back.\n"
    "A change takes effect at the device's next bootstrap: 'bulwarkctl\n"
    "rotate EP' sends a registered device through one now.  Setting and\n"
    "resetting need the admin role.\n";

int cmd_bootstrap(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"binding", required_argument, NULL, 'b'},
        {"lifetime", required_argument, NULL, 'l'},
        {"server-uri", required_argument, NULL, 'u'},
        {"show", no_argument, NULL, 's'},
        {"reset", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *binding = NULL, *uri = NULL;
    long lifetime = 0;
    int show = 0, reset = 0, v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        if (v == 'h') {
            fputs(bootstrap_help, stdout);
            return CTL_OK;
        }
        if (v == 'b') {
            if (strcmp(optarg, "U") != 0 && strcmp(optarg, "UQ") != 0)
                return ctl_usage(argv[0], "--binding is U or UQ, not '%s'",
                                 optarg);
            binding = optarg;
        } else if (v == 'l') {
            if (ctl_parse_long("--lifetime", optarg, 10, 31536000, &lifetime) !=
                0)
                return CTL_USAGE;
        } else if (v == 'u') {
            uri = optarg;
        } else if (v == 's') {
            show = 1;
        } else if (v == 'r') {
            reset = 1;
        } else {
            return CTL_USAGE;
        }
    }
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants EP");
    int sets = binding != NULL || uri != NULL || lifetime > 0;
    if (show + reset + (sets != 0) > 1)
        return ctl_usage(argv[0], "--show, --reset and the settings do not "
                                  "go together");
    char e[3 * 64 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(argv[optind], e, sizeof e) != 0 ||
        ctl_path(path, sizeof path, "/devices/%s/bootstrap", e) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc;
    if (show) {
        rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
    } else if (reset) {
        rc = ctl_call(c, "DELETE", path, 1, NULL, NULL, 0, &a);
    } else {
        json_t *body = json_object();
        if (body == NULL)
            return ctl_fail(CTL_API, "out of memory");
        if (binding != NULL)
            json_object_set_new(body, "binding", json_string(binding));
        if (lifetime > 0)
            json_object_set_new(body, "lifetime", json_integer(lifetime));
        if (uri != NULL &&
            json_object_set_new(body, "server_uri", json_string(uri)) != 0) {
            json_decref(body);
            return ctl_usage(argv[0], "--server-uri must be UTF-8");
        }
        rc = ctl_call_json(c, "PUT", path, body, &a);
        json_decref(body);
    }
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const names[] = {
            "endpoint", "server_uri", "lifetime", "binding",
            "default",  "applies",    NULL};
        ctl_print_fields(a.body, names);
    }
    ctl_answer_free(&a);
    return rc;
}
