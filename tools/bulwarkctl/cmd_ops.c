/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device operations through the DM server: LwM2M Read, Write, Execute,
 * Discover, Create, Delete and Write-Attributes on a registered device
 * (docs/api.md).  The device's CoAP code is shown with its name; a device
 * that answers with an error (4.xx, 5.xx) makes the command fail (exit 1)
 * even though the API call itself worked.
 *
 * An operation the server queues (--async, or a queue-mode device that
 * sleeps) is answered 202 with a request id: printed with the way to
 * follow it (`bulwarkctl request ID`), exit 0.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define QUEUE_HELP                                                             \
    "  --async    queue it and return its request id at once (202); the\n"     \
    "             server sends it when the device can hear it\n"               \
    "  --ttl S    a queued request expires after S seconds (default 86400)\n"  \
    "A queue-mode device that sleeps gets it queued even without --async;\n"   \
    "follow it with '" CTL_NAME " request ID'.\n"

static const char read_help[] =
    "usage: " CTL_NAME " read [--async] [--ttl S] EP PATH\n"
    "\n"
    "LwM2M Read of PATH (/3/0, /3/0/0, ...) on registered device EP.\n"
    "Prints the resources as NAME VALUE lines (SenML), or the "
    "payload.\n" QUEUE_HELP;

static const char write_help[] =
    "usage: " CTL_NAME " write [--senml] [--async] [--ttl S] EP PATH VALUE\n"
    "\n"
    "LwM2M Write of VALUE to resource PATH on registered device EP, sent\n"
    "as plain text.  With --senml, VALUE is a SenML JSON array, sent as\n"
    "SenML JSON.  A value starting with '-' goes after '--'.\n" QUEUE_HELP;

static const char exec_help[] =
    "usage: " CTL_NAME " exec [--async] [--ttl S] EP PATH [ARGS]\n"
    "\n"
    "LwM2M Execute of resource PATH on registered device EP, with the\n"
    "optional arguments as plain text (e.g. exec dev-1 /3/0/4 "
    "reboots).\n" QUEUE_HELP;

/* --async and --ttl of read, write and exec. */
typedef struct {
    int async;
    long ttl; /* 0: the server's default */
} queue_opts_t;

/* Add them to an operation's body. */
static void queue_body(json_t *body, const queue_opts_t *q)
{
    if (q->async)
        json_object_set_new(body, "async", json_true());
    if (q->ttl > 0)
        json_object_set_new(body, "ttl", json_integer(q->ttl));
}

/* A 202: the server queued the operation.  Prints its id and why (not
 * for --json) and returns 1; 0 for any other answer. */
static int queued(const ctl_t *c, const ctl_answer_t *a)
{
    if (a->status != 202)
        return 0;
    if (c->json)
        return 1;
    const json_t *id = json_object_get(a->body, "id");
    const char *why = json_string_value(json_object_get(a->body, "why"));
    char *s = ctl_printf("queued: request %lld%s%s",
                         (long long)json_integer_value(id),
                         why != NULL ? " (" : "", why != NULL ? why : "");
    ctl_sanitize(s);
    printf("%s%s\nfollow it: " CTL_NAME " request %lld\n", s,
           why != NULL ? ")" : "", (long long)json_integer_value(id));
    free(s);
    return 1;
}

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

/* Options of the commands: --help, --senml for write (senml not NULL),
 * --async and --ttl for read, write and exec (q not NULL). */
static int parse(ctl_t *c, int argc, char **argv, const char *help, int *senml,
                 queue_opts_t *q)
{
    struct option o[4];
    size_t n = 0;
    if (senml != NULL)
        o[n++] = (struct option){"senml", no_argument, NULL, 's'};
    if (q != NULL) {
        o[n++] = (struct option){"async", no_argument, NULL, 'a'};
        o[n++] = (struct option){"ttl", required_argument, NULL, 't'};
    }
    o[n] = (struct option){NULL, 0, NULL, 0};
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        if (v == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (v == 's' && senml != NULL) {
            *senml = 1;
            continue;
        }
        if (v == 'a' && q != NULL) {
            q->async = 1;
            continue;
        }
        if (v == 't' && q != NULL &&
            ctl_parse_long("--ttl", optarg, 1, 2592000, &q->ttl) == 0)
            continue;
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

/* POST body (consumed) to path for an operation whose answer is only a
 * code (write, execute): prints a queued request or, with --json, the
 * answer; CTL_API unless the device answered 2.xx. */
static int post_op(ctl_t *c, const char *path, json_t *body,
                   const queue_opts_t *qo)
{
    queue_body(body, qo);
    ctl_answer_t a;
    int rc = ctl_call_json(c, "POST", path, body, &a);
    json_decref(body);
    if (rc == CTL_OK && queued(c, &a)) {
        if (c->json)
            ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        if (c->json)
            ctl_print_raw(&a);
        int d = c->json ? CTL_OK : device_code(a.body);
        const char *code = json_string_value(json_object_get(a.body, "code"));
        rc = d != CTL_OK || code == NULL || code[0] != '2' ? CTL_API : CTL_OK;
    }
    ctl_answer_free(&a);
    return rc;
}

int cmd_read(ctl_t *c, int argc, char **argv)
{
    queue_opts_t qo = {0, 0};
    int rc = parse(c, argc, argv, read_help, NULL, &qo);
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
    queue_body(body, &qo);
    ctl_answer_t a;
    rc = ctl_call_json(c, "POST", path, body, &a);
    json_decref(body);
    if (rc == CTL_OK && queued(c, &a)) {
        if (c->json)
            ctl_print_raw(&a);
    } else if (rc == CTL_OK && c->json) {
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
    queue_opts_t qo = {0, 0};
    int rc = parse(c, argc, argv, write_help, &senml, &qo);
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
    return post_op(c, path, body, &qo);
}

int cmd_exec(ctl_t *c, int argc, char **argv)
{
    queue_opts_t qo = {0, 0};
    int rc = parse(c, argc, argv, exec_help, NULL, &qo);
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
    return post_op(c, path, body, &qo);
}

static const char discover_help[] =
    "usage: " CTL_NAME " discover EP PATH\n"
    "\n"
    "LwM2M Discover of PATH (/3, /3/0, /3/0/7) on registered device EP:\n"
    "what is under it, with the attributes attached at each level.\n"
    "Prints PATH ATTRIBUTES lines.\n";

static const char create_help[] =
    "usage: " CTL_NAME " create EP PATH --value JSON [--instance N]\n"
    "\n"
    "LwM2M Create of an instance of object PATH (/3303) on registered\n"
    "device EP, with the resources in --value: a SenML JSON array with full\n"
    "names, e.g. '[{\"bn\":\"/3303/1/\",\"n\":\"5701\",\"vs\":\"Cel\"}]', or\n"
    "'[]' for the device to pick the instance and use defaults.  With\n"
    "--instance N the names are relative to /PATH/N: "
    "'[{\"n\":\"5701\",...}]'.\n"
    "Prints the device's code and the location of the new instance.\n";

static const char delete_help[] =
    "usage: " CTL_NAME " delete EP PATH\n"
    "\n"
    "LwM2M Delete of object instance PATH (/3303/1) on registered device\n"
    "EP.\n";

static const char attrs_help[] =
    "usage: " CTL_NAME " attrs EP PATH [--pmin N] [--pmax N] [--gt X] "
    "[--lt X]\n"
    "                 [--st X] [--epmin N] [--epmax N] [--clear NAME]...\n"
    "\n"
    "LwM2M Write-Attributes on PATH of registered device EP: the\n"
    "notification attributes observations of PATH use.\n"
    "  --pmin N, --pmax N    least and most seconds between notifications\n"
    "  --gt X, --lt X        notify when the value crosses above / below X\n"
    "  --st X                notify when the value moves by X or more\n"
    "  --epmin N, --epmax N  least and most seconds between evaluations\n"
    "  --clear NAME          remove attribute NAME (repeatable)\n"
    "N is a whole number 0..4294967295, X a decimal number.  Use\n"
    "'discover EP PATH' to see the attributes in place.\n";

/* dm_call's "queued (202), printed": callers print nothing more and
 * exit 0 (done()). */
#define DM_QUEUED (-100)
static int done(int rc)
{
    return rc == DM_QUEUED ? CTL_OK : rc;
}

/* Send body to the device operation act of EP; the answer in *a.  Prints
 * it for --json.  Returns the exit status: API errors, then the device's
 * code (an error code is 1; it is shown unless --json). */
static int dm_call(ctl_t *c, const char *ep, const char *act, json_t *body,
                   ctl_answer_t *a, int show_code)
{
    memset(a, 0, sizeof *a);
    char path[CTL_PATH_MAX];
    if (op_path(ep, act, path, sizeof path) != CTL_OK)
        return CTL_USAGE;
    int rc = ctl_call_json(c, "POST", path, body, a);
    if (rc != CTL_OK)
        return rc;
    if (c->json)
        ctl_print_raw(a);
    if (queued(c, a))
        return DM_QUEUED;
    const char *code = json_string_value(json_object_get(a->body, "code"));
    if (code == NULL || code[0] != '2')
        return c->json ? CTL_API : device_code(a->body);
    if (show_code && !c->json)
        return device_code(a->body);
    return CTL_OK;
}

/* The two positional arguments EP PATH after options; usage otherwise. */
static int ep_and_path(int argc, char **argv)
{
    if (argc - optind != 2)
        return ctl_usage(argv[0], "wants EP and PATH");
    return check_path(argv[0], argv[optind + 1]);
}

/* One link's attributes as "name=value name ..." (malloc'd, sanitized). */
static char *attrs_text(const json_t *attrs)
{
    char *out = ctl_strdup("");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)attrs, k, v)
    {
        char *val = json_is_true(v) ? NULL : ctl_cell(v, NULL);
        char *n = ctl_printf("%s%s%s%s%s", out, *out != '\0' ? " " : "", k,
                             val != NULL ? "=" : "", val != NULL ? val : "");
        free(val);
        free(out);
        out = n;
    }
    ctl_sanitize(out);
    if (*out == '\0') {
        free(out);
        out = ctl_strdup("-");
    }
    return out;
}

int cmd_discover(ctl_t *c, int argc, char **argv)
{
    int rc = parse(c, argc, argv, discover_help, NULL, NULL);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    if (ep_and_path(argc, argv) != CTL_OK)
        return CTL_USAGE;
    json_t *body = json_pack("{s:s}", "path", argv[optind + 1]);
    if (body == NULL)
        return ctl_usage(argv[0], "PATH must be UTF-8");
    ctl_answer_t a;
    rc = dm_call(c, argv[optind], "discover", body, &a, 0);
    json_decref(body);
    if (rc == CTL_OK && !c->json) {
        const json_t *links = json_object_get(a.body, "links");
        if (json_is_array(links)) {
            static const char *const heads[] = {"PATH", "ATTRIBUTES", NULL};
            ctl_table_t t;
            ctl_table_init(&t, heads);
            size_t i;
            const json_t *l;
            json_array_foreach(links, i, l)
            {
                char *row[2];
                row[0] = ctl_cell(json_object_get(l, "path"), NULL);
                row[1] = attrs_text(json_object_get(l, "attributes"));
                ctl_table_row(&t, row);
            }
            ctl_table_print(&t, stdout);
        } else { /* not link format: the payload as it came */
            char *s = ctl_cell(json_object_get(a.body, "payload"), NULL);
            printf("%s\n", s);
            free(s);
        }
    }
    ctl_answer_free(&a);
    return done(rc);
}

int cmd_create(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"value", required_argument, NULL, 'v'},
        {"instance", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    const char *value = NULL;
    long inst = -1;
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        if (v == 'h') {
            fputs(create_help, stdout);
            return CTL_OK;
        }
        if (v == 'v')
            value = optarg;
        else if (v != 'i' ||
                 ctl_parse_long("--instance", optarg, 0, 65534, &inst) != 0)
            return CTL_USAGE;
    }
    if (ep_and_path(argc, argv) != CTL_OK)
        return CTL_USAGE;
    if (value == NULL)
        return ctl_usage(argv[0], "--value JSON is required ('[]' for "
                                  "defaults)");
    json_error_t je;
    json_t *recs = json_loads(value, 0, &je);
    if (!json_is_array(recs)) {
        json_decref(recs);
        return ctl_usage(argv[0], "--value is not a JSON array%s%s",
                         recs == NULL ? ": " : "", recs == NULL ? je.text : "");
    }
    json_t *body =
        json_pack("{s:s, s:o}", "path", argv[optind + 1], "value", recs);
    if (body == NULL)
        return ctl_usage(argv[0], "PATH must be UTF-8");
    if (inst >= 0)
        json_object_set_new(body, "instance", json_integer(inst));
    ctl_answer_t a;
    int rc = dm_call(c, argv[optind], "create", body, &a, 1);
    json_decref(body);
    const char *loc = json_string_value(json_object_get(a.body, "location"));
    if (rc == CTL_OK && !c->json && loc != NULL) {
        char *s = ctl_strdup(loc);
        ctl_sanitize(s);
        printf("location: %s\n", s);
        free(s);
    }
    ctl_answer_free(&a);
    return done(rc);
}

int cmd_delete(ctl_t *c, int argc, char **argv)
{
    int rc = parse(c, argc, argv, delete_help, NULL, NULL);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    if (ep_and_path(argc, argv) != CTL_OK)
        return CTL_USAGE;
    json_t *body = json_pack("{s:s}", "path", argv[optind + 1]);
    if (body == NULL)
        return ctl_usage(argv[0], "PATH must be UTF-8");
    ctl_answer_t a;
    rc = dm_call(c, argv[optind], "delete", body, &a, 1);
    json_decref(body);
    ctl_answer_free(&a);
    return done(rc);
}

/* The attributes attrs takes, in --help's order; integer ones first. */
static const char *const attr_names[] = {"pmin", "pmax", "epmin", "epmax",
                                         "gt",   "lt",   "st",    NULL};
#define ATTR_INTEGERS 4

/* An attribute's value from its option: a whole number of seconds, or a
 * decimal number as JSON would carry it.  NULL (message printed) when it
 * is not. */
static json_t *attr_value(const char *name, int integer, const char *s)
{
    char opt[16];
    snprintf(opt, sizeof opt, "--%s", name);
    if (integer) {
        long n;
        return ctl_parse_long(opt, s, 0, 4294967295L, &n) == 0 ? json_integer(n)
                                                               : NULL;
    }
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(x) ||
        strspn(s, "+-0123456789.") != strlen(s)) {
        ctl_usage(NULL, "%s wants a decimal number such as 30.5, not '%s'", opt,
                  s);
        return NULL;
    }
    /* Whole numbers go as JSON integers, so they are written back as
     * they were typed. */
    long long w = strtoll(s, &end, 10);
    return *end == '\0' ? json_integer(w) : json_real(x);
}

int cmd_attrs(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"pmin", required_argument, NULL, 0x100},
        {"pmax", required_argument, NULL, 0x101},
        {"epmin", required_argument, NULL, 0x102},
        {"epmax", required_argument, NULL, 0x103},
        {"gt", required_argument, NULL, 0x104},
        {"lt", required_argument, NULL, 0x105},
        {"st", required_argument, NULL, 0x106},
        {"clear", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    json_t *body = json_object();
    if (body == NULL)
        return ctl_fail(CTL_API, "out of memory");
    int v, rc = CTL_OK;
    while (rc == CTL_OK && (v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        if (v == 'h') {
            fputs(attrs_help, stdout);
            json_decref(body);
            return CTL_OK;
        }
        int k = -1;
        if (v >= 0x100 && v <= 0x106)
            k = v - 0x100;
        else if (v == 'c')
            for (int i = 0; attr_names[i] != NULL && k < 0; i++)
                if (strcmp(optarg, attr_names[i]) == 0)
                    k = i;
        if (k < 0) {
            rc = v == 'c' ? ctl_usage(argv[0],
                                      "--clear wants one of pmin, pmax, "
                                      "epmin, epmax, gt, lt, st, not '%s'",
                                      optarg)
                          : CTL_USAGE;
            break;
        }
        if (json_object_get(body, attr_names[k]) != NULL) {
            rc = ctl_usage(argv[0], "%s is given twice", attr_names[k]);
            break;
        }
        json_t *val =
            v == 'c' ? json_null()
                     : attr_value(attr_names[k], k < ATTR_INTEGERS, optarg);
        if (val == NULL)
            rc = CTL_USAGE;
        else
            json_object_set_new(body, attr_names[k], val);
    }
    if (rc == CTL_OK && ep_and_path(argc, argv) != CTL_OK)
        rc = CTL_USAGE;
    if (rc == CTL_OK && json_object_size(body) == 0)
        rc = ctl_usage(argv[0], "give at least one attribute, or --clear");
    if (rc == CTL_OK &&
        json_object_set_new(body, "path", json_string(argv[optind + 1])) != 0)
        rc = ctl_usage(argv[0], "PATH must be UTF-8");
    if (rc != CTL_OK) {
        json_decref(body);
        return rc;
    }
    ctl_answer_t a;
    rc = dm_call(c, argv[optind], "attributes", body, &a, 1);
    json_decref(body);
    ctl_answer_free(&a);
    return done(rc);
}
