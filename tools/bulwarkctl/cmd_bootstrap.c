/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device's bootstrap configuration (docs/api.md, "Bootstrap
 * configuration"): the DM server URI, registration lifetime and binding
 * (U, or UQ for queue mode) the bootstrap server gives it, and additional
 * DM servers with the access they get (a JSON file: it holds their keys,
 * which never go on the command line).
 *
 *   bootstrap EP [--binding B] [--lifetime S] [--server-uri U]
 *                [--servers-file FILE]                           set (admin)
 *   bootstrap EP --show                                          show
 *   bootstrap EP --reset                                 the defaults (admin)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char bootstrap_help[] =
    "usage: " CTL_NAME " bootstrap EP [--binding U|UQ] [--lifetime S]\n"
    "                 [--server-uri URI] [--servers-file FILE]\n"
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
    "  --servers-file F  additional DM servers (a device holds as many as\n"
    "                    its build allows; the server takes 3): a JSON\n"
    "                    array as the API's \"servers\" (\"-\": standard\n"
    "                    input), e.g.\n"
    "                      [{\"uri\": \"coaps://dm2.example.net:5684\",\n"
    "                        \"short_server_id\": 2, \"lifetime\": 300,\n"
    "                        \"binding\": \"U\", \"psk_identity\": \"c-01\",\n"
    "                        \"psk_hex\": \"<16..64 bytes>\",\n"
    "                        \"access\": {\"/3/0\": \"R\", \"/3303\": "
    "\"C\"}}]\n"
    "                    Access letters R W E D C; \"/oid\" alone takes \"C\"\n"
    "                    (Create).  A server without psk_hex keeps the key\n"
    "                    stored for its short_server_id and psk_identity.\n"
    "                    Keep the file 0600: it holds the keys.  Without\n"
    "                    this option the device gets no additional server\n"
    "Options left out take their defaults (the configuration is replaced\n"
    "as a whole).  --show prints it, --reset puts the defaults back.\n"
    "A change takes effect at the device's next bootstrap: 'bulwarkctl\n"
    "rotate EP' sends a registered device through one now.  Setting and\n"
    "resetting need the admin role.\n";

/* One line per additional server: no key is ever in the answer. */
static void print_servers(const json_t *arr)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        static const char *const f[] = {"short_server_id", "uri",
                                        "lifetime",        "binding",
                                        "psk_identity",    "psk"};
        char *cell[6];
        for (size_t k = 0; k < 6; k++)
            cell[k] = ctl_cell(json_object_get(x, f[k]), NULL);
        printf("server %zu: ssid %s %s lifetime %s binding %s identity %s "
               "key %s access",
               i + 2, cell[0], cell[1], cell[2], cell[3], cell[4], cell[5]);
        for (size_t k = 0; k < 6; k++)
            free(cell[k]);
        const char *p;
        json_t *r;
        size_t n = 0;
        json_object_foreach(json_object_get(x, "access"), p, r)
        {
            char *rs = ctl_cell(r, NULL);
            char *ps = ctl_strdup(p);
            if (ps != NULL)
                ctl_sanitize(ps);
            printf(" %s=%s", ps != NULL ? ps : "?", rs);
            free(rs);
            free(ps);
            n++;
        }
        printf("%s\n", n == 0 ? " none" : "");
    }
}

int cmd_bootstrap(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"binding", required_argument, NULL, 'b'},
        {"lifetime", required_argument, NULL, 'l'},
        {"server-uri", required_argument, NULL, 'u'},
        {"servers-file", required_argument, NULL, 'S'},
        {"show", no_argument, NULL, 's'},
        {"reset", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *binding = NULL, *uri = NULL, *servers = NULL;
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
        } else if (v == 'S') {
            servers = optarg;
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
    int sets =
        binding != NULL || uri != NULL || lifetime > 0 || servers != NULL;
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
        if (servers != NULL) {
            json_error_t je;
            json_t *arr = strcmp(servers, "-") == 0
                              ? json_loadf(stdin, 0, &je)
                              : json_load_file(servers, 0, &je);
            if (arr == NULL) {
                json_decref(body);
                return ctl_usage(argv[0], "--servers-file %s: line %d: %s",
                                 servers, je.line, je.text);
            }
            if (!json_is_array(arr)) {
                json_decref(arr);
                json_decref(body);
                return ctl_usage(argv[0], "--servers-file %s: not a JSON array",
                                 servers);
            }
            json_object_set_new(body, "servers", arr);
        }
        rc = ctl_call_json(c, "PUT", path, body, &a);
        json_decref(body); /* the keys: wiped by the allocator */
    }
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const names[] = {
            "endpoint", "server_uri", "lifetime", "binding",
            "default",  "applies",    NULL};
        ctl_print_fields(a.body, names);
        print_servers(json_object_get(a.body, "servers"));
    }
    ctl_answer_free(&a);
    return rc;
}
