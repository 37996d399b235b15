/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device operations through the DM server: LwM2M Read, Write and Execute
 * on a registered device (docs/api.md).  The device's CoAP code is shown
 * with its name; a device that answers with an error (4.xx, 5.xx) makes
 * the command fail (exit 1) even though the API call itself worked.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char read_help[] =
    "usage: " CTL_NAME " read EP PATH\n"
    "\n"
    "LwM2M Read of PATH (/3/0, /3/0/0, ...) on registered device EP.\n"
    "Prints the resources as NAME VALUE lines (SenML), or the payload.\n";

static const char write_help[] =
    "usage: " CTL_NAME " write [--senml] EP PATH VALUE\n"
    "\n"
    "LwM2M Write of VALUE to resource PATH on registered device EP, sent\n"
    "as plain text.  With --senml, VALUE is a SenML JSON array, sent as\n"
    "SenML JSON.  A value starting with '-' goes after '--'.\n";

static const char exec_help[] =
    "usage: " CTL_NAME " exec EP PATH [ARGS]\n"
    "\n"
    "LwM2M Execute of resource PATH on registered device EP, with the\n"
    "optional arguments as plain text (e.g. exec dev-1 /3/0/4 reboots).\n";

/* The device's code: shown, and an error code fails the command. */
static int device_code(const json_t *body)
{
    const char *code = json_string_value(json_object_get(body, "code"));
    if (code == NULL)
        return ctl_fail(CTL_API, "the answer has no device code");
    char *s = ctl_strdup(ctl_coap_name(code));
    ctl_sanitize(s);
    int rc = code[0] == '2' ? CTL_OK
                            : ctl_fail(CTL_API, "the device answered %s", s);
    if (rc == CTL_OK)
        printf("%s\n", s);
    free(s);
    return rc;
}

/* SenML records as NAME VALUE: names are the base name (bn, carried
 * forward) followed by n; the value is whichever of v, vs, vb, vd, vlo. */
static void print_senml(const json_t *recs)
{
    static const char *const heads[] = {"NAME", "VALUE", NULL};
    static const char *const vals[] = {"v", "vs", "vb", "vd", "vlo"};
    ctl_table_t t;
    ctl_table_init(&t, heads);
    const char *bn = "";
    size_t i;
    const json_t *r;
    json_array_foreach(recs, i, r)
    {
        const char *b = json_string_value(json_object_get(r, "bn"));
        const char *n = json_string_value(json_object_get(r, "n"));
        if (b != NULL)
            bn = b;
        const json_t *v = NULL;
        for (size_t k = 0; k < sizeof vals / sizeof vals[0] && v == NULL; k++)
            v = json_object_get(r, vals[k]);
        char *row[2];
        row[0] = ctl_printf("%s%s", bn, n != NULL ? n : "");
        ctl_sanitize(row[0]);
        row[1] = ctl_cell(v, NULL);
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t, stdout);
}

/* "/devices/EP/ACT" into path. */
static int op_path(const char *ep, const char *act, char *path, size_t cap)
{
    char e[3 * 64 + 1];
    if (ctl_escape(ep, e, sizeof e) != 0 ||
        ctl_path(path, cap, "/devices/%s/%s", e, act) != 0)
        return CTL_USAGE;
    return CTL_OK;
}

/* Options of the three commands: only --help, and --senml for write. */
static int parse(ctl_t *c, int argc, char **argv, const char *help, int *senml)
{
    static const struct option o[] = {
        {"senml", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", senml != NULL ? o : NULL)) !=
           -1) {
        if (v == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (v == 's' && senml != NULL) {
            *senml = 1;
            continue;
        }
        return CTL_USAGE;
    }
    return CTL_OK;
}

static int check_path(const char *cmd, const char *p)
{
    if (p[0] != '/')
        return ctl_usage(cmd, "PATH is an LwM2M path like /3/0/0, not '%s'", p);
    return CTL_OK;
}

int cmd_read(ctl_t *c, int argc, char **argv)
{
    int rc = parse(c, argc, argv, read_help, NULL);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    if (argc - optind != 2)
        return ctl_usage(argv[0], "wants EP and PATH");
    char path[CTL_PATH_MAX];
    if (check_path(argv[0], argv[optind + 1]) != CTL_OK ||
        op_path(argv[optind], "read", path, sizeof path) != CTL_OK)
        return CTL_USAGE;
    json_t *body = json_pack("{s:s}", "path", argv[optind + 1]);
    if (body == NULL)
        return ctl_usage(argv[0], "PATH must be UTF-8");
    ctl_answer_t a;
    rc = ctl_call_json(c, "POST", path, body, &a);
    json_decref(body);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
        const char *code = json_string_value(json_object_get(a.body, "code"));
        if (code == NULL || code[0] != '2')
            rc = CTL_API;
    } else if (rc == CTL_OK) {
        const char *code = json_string_value(json_object_get(a.body, "code"));
        const json_t *p = json_object_get(a.body, "payload");
        if (code == NULL || code[0] != '2') {
            rc = device_code(a.body);
        } else if (json_is_array(p)) {
            print_senml(p);
        } else {
            char *s = ctl_cell(p, NULL);
            printf("%s\n", s);
            free(s);
        }
    }
    ctl_answer_free(&a);
    return rc;
}

int cmd_write(ctl_t *c, int argc, char **argv)
{
    int senml = 0;
    int rc = parse(c, argc, argv, write_help, &senml);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    if (argc - optind != 3)
        return ctl_usage(argv[0], "wants EP, PATH and VALUE");
    char path[CTL_PATH_MAX];
    if (check_path(argv[0], argv[optind + 1]) != CTL_OK ||
        op_path(argv[optind], "write", path, sizeof path) != CTL_OK)
        return CTL_USAGE;
    json_t *value;
    if (senml) {
        json_error_t je;
        value = json_loads(argv[optind + 2], 0, &je);
        if (!json_is_array(value)) {
            json_decref(value);
            return ctl_usage(argv[0], "--senml: VALUE is not a JSON array%s%s",
                             value == NULL ? ": " : "",
                             value == NULL ? je.text : "");
        }
    } else {
        value = json_string(argv[optind + 2]);
        if (value == NULL)
            return ctl_usage(argv[0], "VALUE must be UTF-8");
    }
    json_t *body =
        json_pack("{s:s, s:o}", "path", argv[optind + 1], "value", value);
    if (body == NULL)
        return ctl_usage(argv[0], "PATH must be UTF-8");
    ctl_answer_t a;
    rc = ctl_call_json(c, "POST", path, body, &a);
    json_decref(body);
    if (rc == CTL_OK) {
        if (c->json)
            ctl_print_raw(&a);
        int d = c->json ? CTL_OK : device_code(a.body);
        const char *code = json_string_value(json_object_get(a.body, "code"));
        rc = d != CTL_OK || code == NULL || code[0] != '2' ? CTL_API : CTL_OK;
    }
    ctl_answer_free(&a);
    return rc;
}

int cmd_exec(ctl_t *c, int argc, char **argv)
{
    int rc = parse(c, argc, argv, exec_help, NULL);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    if (argc - optind != 2 && argc - optind != 3)
        return ctl_usage(argv[0], "wants EP, PATH and maybe ARGS");
    char path[CTL_PATH_MAX];
    if (check_path(argv[0], argv[optind + 1]) != CTL_OK ||
        op_path(argv[optind], "execute", path, sizeof path) != CTL_OK)
        return CTL_USAGE;
    json_t *body = json_pack("{s:s, s:s}", "path", argv[optind + 1], "args",
                             argc - optind == 3 ? argv[optind + 2] : "");
    if (body == NULL)
        return ctl_usage(argv[0], "ARGS must be UTF-8");
    ctl_answer_t a;
    rc = ctl_call_json(c, "POST", path, body, &a);
    json_decref(body);
    if (rc == CTL_OK) {
        if (c->json)
            ctl_print_raw(&a);
        int d = c->json ? CTL_OK : device_code(a.body);
        const char *code = json_string_value(json_object_get(a.body, "code"));
        rc = d != CTL_OK || code == NULL || code[0] != '2' ? CTL_API : CTL_OK;
    }
    ctl_answer_free(&a);
    return rc;
}
