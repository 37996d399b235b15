/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Devices: health, the device list and one device, provisioning, and the
 * audit log (docs/api.md).  Device operations (read, write, exec) are in
 * cmd_ops.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

/* Bootstrap PSK: 1..64 bytes (docs/api.md, POST /devices). */
#define PSK_MAX 64

static const char health_help[] =
    "usage: " CTL_NAME " health\n"
    "\n"
    "Ask whether the API is up.  Needs no token; checks the certificate\n"
    "like every other command.  Prints \"ok\".\n";

int cmd_health(ctl_t *c, int argc, char **argv)
{
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", NULL)) != -1) {
        if (v == 'h') {
            fputs(health_help, stdout);
            return CTL_OK;
        }
        return CTL_USAGE;
    }
    if (optind != argc)
        return ctl_usage(argv[0], "no arguments expected");
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", "/health", 0, NULL, NULL, 0, &a);
    if (rc == CTL_OK) {
        if (c->json) {
            ctl_print_raw(&a);
        } else {
            char *s = ctl_cell(json_object_get(a.body, "status"), NULL);
            printf("%s\n", s);
            free(s);
        }
    }
    ctl_answer_free(&a);
    return rc;
}

static const char devices_help[] =
    "usage: " CTL_NAME " devices [--prefix P] [--model M] [--tag T]...\n"
    "         [--registered | --unregistered] [--seen-before MS]\n"
    "         [--seen-after MS] [--limit N | --all] [--after EP]\n"
    "\n"
    "List devices in endpoint-name order: endpoint, model, tags, whether\n"
    "registered now, when the DM server last heard from it (its last\n"
    "Register or Update; \"-\" when never) and the firmware version\n"
    "when the API gives it.\n"
    "The server applies the filters; they combine (all must hold).\n"
    "\n"
    "  --prefix P      endpoint names starting with P\n"
    "  --model M       devices of model M (\"\" for none)\n"
    "  --tag T         devices carrying tag T (repeatable: every tag)\n"
    "  --registered    devices registered with the DM server now\n"
    "  --unregistered  devices not registered now\n"
    "  --seen-before MS, --seen-after MS\n"
    "                  last seen before / after MS (Unix milliseconds)\n"
    "  --limit N       at most N devices (1..1000, default 100)\n"
    "  --all           every device that matches, page after page\n"
    "  --after EP      start after endpoint EP (the next page)\n"
    "\n"
    "When there are more, the command for the next page goes to stderr.\n";

/* "12 s ago" from a Unix time in ms; "-" for none. */
static char *ago(const json_t *v, int64_t now_ms)
{
    if (!json_is_integer(v))
        return ctl_strdup("-");
    int64_t d = now_ms - (int64_t)json_integer_value(v);
    if (d < 0)
        d = 0; /* clocks apart: it was just now */
    d /= 1000;
    if (d < 120)
        return ctl_printf("%lld s ago", (long long)d);
    if (d < 120 * 60)
        return ctl_printf("%lld min ago", (long long)(d / 60));
    if (d < 48 * 3600)
        return ctl_printf("%lld h ago", (long long)(d / 3600));
    return ctl_printf("%lld d ago", (long long)(d / 86400));
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first of the names present in o (NULL if none). */
static const char *first_of(const json_t *o, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (json_object_get(o, names[i]) != NULL)
            return names[i];
    return NULL;
}

static const char *const fw_names[] = {"fw_version", "firmware_version",
                                       "firmware", NULL};

static void print_devices(const json_t *list)
{
    size_t i;
    const json_t *d;
    int fw = 0;
    json_array_foreach(list, i, d)
    {
        fw |= first_of(d, fw_names) != NULL;
    }
    /* LAST SEEN is "-" for a device never heard from (or whose stored
     * registration ended). */
    const char *heads[7] = {"ENDPOINT", "MODEL", "TAGS", "REGISTERED",
                            "LAST SEEN"};
    size_t nh = 5;
    if (fw)
        heads[nh++] = "FIRMWARE";
    heads[nh] = NULL;
    int64_t now = now_ms();
    ctl_table_t t;
    ctl_table_init(&t, heads);
    json_array_foreach(list, i, d)
    {
        char *row[6];
        size_t k = 0;
        row[k++] = ctl_cell(json_object_get(d, "endpoint"), NULL);
        row[k++] = ctl_cell(json_object_get(d, "model"), NULL);
        row[k++] = ctl_cell(json_object_get(d, "tags"), NULL);
        row[k++] = ctl_cell(json_object_get(d, "registered"), NULL);
        row[k++] = ago(json_object_get(d, "last_seen_ms"), now);
        if (fw) {
            const char *f = first_of(d, fw_names);
            row[k++] = ctl_cell(f ? json_object_get(d, f) : NULL, f);
        }
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t, stdout);
}

/* Filters given on the command line, as the query they make. */
#define QUERY_MAX CTL_PATH_MAX
#define TAGS_MAX  16

/* Append "&name=escaped(value)" to q.  0, or -1 (printed) when long. */
static int query_add(char *q, const char *name, const char *value)
{
    char esc[3 * 255 + 1];
    size_t n = strlen(q);
    if (ctl_escape(value, esc, sizeof esc) != 0)
        return -1;
    if (ctl_path(q + n, QUERY_MAX - n, "&%s=%s", name, esc) != 0)
        return -1;
    return 0;
}

/* Pages fetched before --all shows its progress on a terminal. */
#define PROGRESS_AFTER 3

int cmd_devices(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"prefix", required_argument, NULL, 'p'},
        {"model", required_argument, NULL, 'm'},
        {"tag", required_argument, NULL, 't'},
        {"registered", no_argument, NULL, 'r'},
        {"unregistered", no_argument, NULL, 'u'},
        {"seen-before", required_argument, NULL, 'B'},
        {"seen-after", required_argument, NULL, 'A'},
        CTL_LIMIT_OPTION,
        {"all", no_argument, NULL, 'L'},
        CTL_AFTER_OPTION,
        {NULL, 0, NULL, 0},
    };
    ctl_page_t pg = ctl_page(argv[0], CTL_AFTER_ENDPOINT);
    char query[QUERY_MAX] = "";
    size_t ntags = 0;
    long seen = 0;
    int v, all = 0, reg = -1;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        switch (v) {
        case 'h':
            fputs(devices_help, stdout);
            return CTL_OK;
        case 'p':
            if (query_add(query, "prefix", optarg) != 0)
                return CTL_USAGE;
            break;
        case 'm':
            if (query_add(query, "model", optarg) != 0)
                return CTL_USAGE;
            break;
        case 't':
            if (++ntags > TAGS_MAX)
                return ctl_usage(argv[0], "at most %d --tag", TAGS_MAX);
            if (query_add(query, "tag", optarg) != 0)
                return CTL_USAGE;
            break;
        case 'r':
        case 'u':
            if (reg >= 0 && reg != (v == 'r'))
                return ctl_usage(argv[0], "--registered or --unregistered, "
                                          "not both");
            reg = v == 'r';
            break;
        case 'B':
        case 'A':
            if (ctl_parse_long(v == 'B' ? "--seen-before" : "--seen-after",
                               optarg, 0, LONG_MAX, &seen) != 0)
                return CTL_USAGE;
            if (query_add(query, v == 'B' ? "seen_before" : "seen_after",
                          optarg) != 0)
                return CTL_USAGE;
            break;
        case 'L':
            all = 1;
            break;
        default:
            if (ctl_page_opt(&pg, v, optarg) != CTL_OK)
                return CTL_USAGE;
        }
    }
    if (optind != argc)
        return ctl_usage(argv[0], "unexpected argument '%s'", argv[optind]);
    if (all && pg.limit_given)
        return ctl_usage(argv[0], "--all or --limit, not both");
    if (reg >= 0 && query_add(query, "registered", reg ? "true" : "false"))
        return CTL_USAGE;
    char cursor[3 * CTL_EP_MAX + 1] = "";
    if (pg.after != NULL && ctl_escape(pg.after, cursor, sizeof cursor) != 0)
        return CTL_USAGE;
    json_t *found = json_array();
    json_t *next = json_null();
    int rc = CTL_OK, pages = 0;
    int progress = all && !c->json && isatty(STDERR_FILENO);
    ctl_answer_t a = {0};
    /* A page may come back short with next set (the server bounds what
     * one request reads): go on until limit devices or the end. */
    for (;;) {
        size_t want =
            all ? CTL_PAGE_MAX : (size_t)pg.limit - json_array_size(found);
        char path[CTL_PATH_MAX];
        if (ctl_path(path, sizeof path, "/devices?limit=%zu%s%s%s", want,
                     cursor[0] ? "&after=" : "", cursor, query) != 0) {
            rc = CTL_USAGE;
            break;
        }
        rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
        if (rc != CTL_OK)
            break;
        json_t *list = json_object_get(a.body, "devices");
        json_t *nx = json_object_get(a.body, "next");
        if (!json_is_array(list)) {
            rc = ctl_fail(CTL_API, "the answer has no device list");
            break;
        }
        json_array_extend(found, list);
        json_decref(next);
        next = json_copy(nx != NULL ? nx : json_null());
        pages++;
        if (progress && pages >= PROGRESS_AFTER)
            fprintf(stderr, "\r%zu devices, %d pages...",
                    json_array_size(found), pages);
        if (!json_is_string(nx) ||
            (!all && json_array_size(found) >= (size_t)pg.limit))
            break;
        if (ctl_escape(json_string_value(nx), cursor, sizeof cursor) != 0) {
            rc = CTL_API;
            break;
        }
        ctl_answer_free(&a);
    }
    if (progress && pages >= PROGRESS_AFTER)
        fprintf(stderr, "\r%*s\r", 40, "");
    if (rc == CTL_OK && c->json) {
        json_t *out = json_pack("{s:O, s:O}", "devices", found, "next", next);
        char *s = json_dumps(out, JSON_COMPACT);
        printf("%s\n", s != NULL ? s : "{}");
        ctl_json_free(s);
        json_decref(out);
    } else if (rc == CTL_OK) {
        print_devices(found);
        ctl_page_more(&pg, NULL, next, query[0] != '\0');
    }
    ctl_answer_free(&a);
    json_decref(found);
    json_decref(next);
    return rc;
}

/* The object tree of GET /devices/{ep} as a table. */
static void print_objects(const json_t *objects)
{
    static const char *const heads[] = {"OBJECT", "VERSION", "INSTANCES", NULL};
    static const char *const keys[] = {"id", "version", "instances"};
    ctl_print_items(objects, heads, keys, NULL);
}

static const char device_help[] =
    "usage: " CTL_NAME " device EP\n"
    "       " CTL_NAME " device delete EP\n"
    "\n"
    "One device: model, tags, when it was provisioned, when the DM server\n"
    "last heard from it, and its registration with the DM server and the\n"
    "objects it registered when it is registered (times in UTC).\n"
    "\n"
    "delete  delete EP with its credentials, registration, bootstrap\n"
    "        configuration, queued requests, campaign membership and\n"
    "        telemetry; asks nothing, prints what was deleted.  A\n"
    "        registered device is cut off at once.  The audit log keeps\n"
    "        its entries.  Needs an admin token.\n";

int cmd_device(ctl_t *c, int argc, char **argv)
{
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", NULL)) != -1) {
        if (v == 'h') {
            fputs(device_help, stdout);
            return CTL_OK;
        }
        return CTL_USAGE;
    }
    if (argc - optind == 2 && strcmp(argv[optind], "delete") == 0)
        return ctl_device_delete(c, argv[optind + 1]);
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants one endpoint name, or delete EP");
    char ep[3 * 64 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(argv[optind], ep, sizeof ep) != 0 ||
        ctl_path(path, sizeof path, "/devices/%s", ep) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const names[] = {
            "endpoint",   "model",        "tags",       "created_ms",
            "registered", "last_seen_ms", "fw_version", NULL};
        static const char *const reg_names[] = {
            "location",      "lifetime",   "binding",    "queue", "version",
            "registered_ms", "updated_ms", "expires_ms", "links", NULL};
        ctl_print_fields(a.body, names);
        const json_t *r = json_object_get(a.body, "registration");
        if (json_is_object(r)) {
            printf("\nregistration\n");
            ctl_print_fields(r, reg_names);
        }
        const json_t *objs = json_object_get(a.body, "objects");
        if (json_is_array(objs)) {
            printf("\nobjects\n");
            print_objects(objs);
        }
    }
    ctl_answer_free(&a);
    return rc;
}

static const char provision_help[] =
    "usage: " CTL_NAME " provision EP [--psk-identity ID "
    "(--psk-file FILE | --psk-hex HEX)]\n"
    "         [--dm-psk-identity ID (--dm-psk-file FILE | --dm-psk-hex HEX)]\n"
    "         [--model M] [--tags T]\n"
    "\n"
    "Provision a device with its factory bootstrap PSK (1..64 bytes; the\n"
    "server refuses weak or reused ones), with a DM credential, or both.\n"
    "--psk-file reads the raw key bytes (the same file the device's\n"
    "--psk-key-file reads); --psk-hex shows the key in the process list,\n"
    "so prefer the file.  --tags is free text; tags are its words between\n"
    "commas and spaces (what `devices --tag` and campaign selectors\n"
    "match).\n"
    "  --dm-psk-identity ID, --dm-psk-file FILE, --dm-psk-hex HEX\n"
    "                    the PSK another bootstrap server gave the device\n"
    "                    for this server (this server is one of its\n"
    "                    additional DM servers): stored as an active DM\n"
    "                    credential, so the device may register here.\n";

/* Read the raw PSK from path into psk (1..PSK_MAX bytes). */
static int read_psk(const char *path, unsigned char *psk, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ctl_fail(CTL_API, "%s: %s", path, strerror(errno));
    unsigned char buf[PSK_MAX + 1];
    size_t len = 0;
    for (;;) {
        ssize_t k = read(fd, buf + len, sizeof buf - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        len += (size_t)k;
        if (len == sizeof buf)
            break;
    }
    close(fd);
    int rc = CTL_OK;
    if (len == 0 || len > PSK_MAX)
        rc = ctl_fail(CTL_API, "%s: a PSK is 1 to %d bytes", path, PSK_MAX);
    else
        memcpy(psk, buf, len);
    *n = rc == CTL_OK ? len : 0;
    ctl_wipe(buf, sizeof buf);
    return rc;
}

/* The key of --psk-file / --psk-hex (or the --dm- ones) as hex into
 * out (2 * PSK_MAX + 1 bytes); hex is wiped from the process list. */
static int key_hex(const char *cmd, const char *opt, const char *file,
                   char *hex, char *out)
{
    if (file != NULL) {
        unsigned char psk[PSK_MAX];
        size_t n = 0;
        int rc = read_psk(file, psk, &n);
        if (rc != CTL_OK)
            return rc;
        for (size_t i = 0; i < n; i++)
            snprintf(out + 2 * i, 3, "%02x", psk[i]);
        ctl_wipe(psk, sizeof psk);
        return CTL_OK;
    }
    if (strlen(hex) >= 2 * PSK_MAX + 1)
        return ctl_usage(cmd, "%s: a PSK is 1 to %d bytes", opt, PSK_MAX);
    memcpy(out, hex, strlen(hex) + 1);
    ctl_wipe(hex, strlen(hex)); /* out of the process list */
    return CTL_OK;
}

int cmd_provision(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"psk-identity", required_argument, NULL, 'i'},
        {"psk-file", required_argument, NULL, 'f'},
        {"psk-hex", required_argument, NULL, 'x'},
        {"dm-psk-identity", required_argument, NULL, 'I'},
        {"dm-psk-file", required_argument, NULL, 'F'},
        {"dm-psk-hex", required_argument, NULL, 'X'},
        {"model", required_argument, NULL, 'm'},
        {"tags", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    const char *id = NULL, *file = NULL, *model = NULL, *tags = NULL;
    const char *dm_id = NULL, *dm_file = NULL;
    char *hex = NULL, *dm_hex = NULL;
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        switch (v) {
        case 'h':
            fputs(provision_help, stdout);
            return CTL_OK;
        case 'i':
            id = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'x':
            hex = optarg;
            break;
        case 'I':
            dm_id = optarg;
            break;
        case 'F':
            dm_file = optarg;
            break;
        case 'X':
            dm_hex = optarg;
            break;
        case 'm':
            model = optarg;
            break;
        case 'T':
            tags = optarg;
            break;
        default:
            return CTL_USAGE;
        }
    }
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants one endpoint name");
    int fac = id != NULL || file != NULL || hex != NULL;
    int dm = dm_id != NULL || dm_file != NULL || dm_hex != NULL;
    if (!fac && !dm)
        return ctl_usage(argv[0], "give --psk-identity with a key, "
                                  "--dm-psk-identity with a key, or both");
    if (fac && id == NULL)
        return ctl_usage(argv[0], "--psk-identity is required");
    if (fac && (file == NULL) == (hex == NULL))
        return ctl_usage(argv[0], "give one of --psk-file and --psk-hex");
    if (dm && dm_id == NULL)
        return ctl_usage(argv[0], "--dm-psk-identity is required");
    if (dm && (dm_file == NULL) == (dm_hex == NULL))
        return ctl_usage(argv[0], "give one of --dm-psk-file and --dm-psk-hex");
    char psk_hex[2 * PSK_MAX + 1], dm_psk_hex[2 * PSK_MAX + 1];
    json_t *body = json_pack("{s:s}", "endpoint", argv[optind]);
    if (body == NULL)
        return ctl_usage(argv[0], "endpoint must be UTF-8");
    int rc = CTL_OK;
    if (fac) {
        rc = key_hex(argv[0], "--psk-hex", file, hex, psk_hex);
        if (rc == CTL_OK &&
            (json_object_set_new(body, "psk_identity", json_string(id)) != 0 ||
             json_object_set_new(body, "psk_hex", json_string(psk_hex)) != 0))
            rc = ctl_usage(argv[0], "--psk-identity must be UTF-8");
        ctl_wipe(psk_hex, sizeof psk_hex);
    }
    if (rc == CTL_OK && dm) {
        rc = key_hex(argv[0], "--dm-psk-hex", dm_file, dm_hex, dm_psk_hex);
        if (rc == CTL_OK && (json_object_set_new(body, "dm_psk_identity",
                                                 json_string(dm_id)) != 0 ||
                             json_object_set_new(body, "dm_psk_hex",
                                                 json_string(dm_psk_hex)) != 0))
            rc = ctl_usage(argv[0], "--dm-psk-identity must be UTF-8");
        ctl_wipe(dm_psk_hex, sizeof dm_psk_hex);
    }
    if (rc != CTL_OK) {
        json_decref(body);
        return rc;
    }
    if (model != NULL)
        json_object_set_new(body, "model", json_string(model));
    if (tags != NULL)
        json_object_set_new(body, "tags", json_string(tags));
    ctl_answer_t a;
    rc = ctl_call_json(c, "POST", "/devices", body, &a);
    json_decref(body); /* wiped by the allocator */
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        char *e = ctl_cell(json_object_get(a.body, "endpoint"), NULL);
        char *m = ctl_cell(json_object_get(a.body, "model"), NULL);
        printf("provisioned %s%s%s\n", e, *m ? ", model " : "", m);
        free(e);
        free(m);
    }
    ctl_answer_free(&a);
    return rc;
}

static const char audit_help[] =
    "usage: " CTL_NAME " audit [--limit N] [--after ID]\n"
    "\n"
    "The audit log, oldest first: entries with an id above ID (default 0),\n"
    "at most N (1..1000, default 100).  When there are more, the command\n"
    "for the next page goes to stderr.\n";

int cmd_audit(ctl_t *c, int argc, char **argv)
{
    ctl_page_t pg = ctl_page(argv[0], CTL_AFTER_ID);
    int rc;
    if (ctl_page_args(c, argc, argv, audit_help, &pg, &rc) != 0)
        return rc;
    if (optind != argc)
        return ctl_usage(argv[0], "unexpected argument '%s'", argv[optind]);
    char q[128], path[CTL_PATH_MAX];
    if (ctl_page_query(&pg, q, sizeof q) != 0 ||
        ctl_path(path, sizeof path, "/audit?%s", q) != 0)
        return CTL_USAGE;
    static const char *const heads[] = {"ID",      "TIME",   "ACTOR", "ACTION",
                                        "SUBJECT", "DETAIL", NULL};
    static const char *const keys[] = {"id",     "at_ms",   "actor",
                                       "action", "subject", "detail"};
    return ctl_list(c, path, "entries", heads, keys, NULL, &pg, NULL, 0);
}
