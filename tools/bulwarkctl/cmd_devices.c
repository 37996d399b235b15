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
#include <unistd.h>

#include "ctl.h"

/* Bootstrap PSK: 1..64 bytes (docs/api.md, POST /devices). */
#define PSK_MAX 64
/* Page size when filtering on the client: the API's largest page. */
#define PAGE_MAX 1000

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
    "usage: " CTL_NAME " devices [--model M] [--tag T] [--limit N] "
    "[--after EP]\n"
    "\n"
    "List devices in endpoint-name order: endpoint, model, tags, whether\n"
    "registered now, and firmware version and last report when the API\n"
    "gives them.\n"
    "\n"
    "  --limit N   at most N devices (1..1000, default 100)\n"
    "  --after EP  start after endpoint EP (the next page)\n"
    "  --model M   only devices of model M\n"
    "  --tag T     only devices with tag T (repeatable: every tag)\n"
    "\n"
    "When there are more, the command for the next page goes to stderr.\n";

/* Tags are free text; a tag matches a word between commas or spaces. */
static int has_tag(const char *tags, const char *tag)
{
    size_t n = strlen(tag);
    const char *p = tags;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t k = strcspn(p, ", ");
        if (k == n && strncmp(p, tag, n) == 0)
            return 1;
        p += k;
    }
    return 0;
}

static int matches(const json_t *d, const char *model, char **tags,
                   size_t ntags)
{
    const char *m = json_string_value(json_object_get(d, "model"));
    const char *t = json_string_value(json_object_get(d, "tags"));
    if (model != NULL && (m == NULL || strcmp(m, model) != 0))
        return 0;
    for (size_t i = 0; i < ntags; i++)
        if (t == NULL || !has_tag(t, tags[i]))
            return 0;
    return 1;
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
static const char *const seen_names[] = {"last_seen_ms", "fw_seen_ms",
                                         "fw_seen_at",   "last_seen_at",
                                         "last_seen",    NULL};

static void print_devices(const json_t *list)
{
    size_t i;
    const json_t *d;
    int fw = 0, seen = 0;
    json_array_foreach(list, i, d)
    {
        fw |= first_of(d, fw_names) != NULL;
        seen |= first_of(d, seen_names) != NULL;
    }
    const char *heads[7] = {"ENDPOINT", "MODEL", "TAGS", "REGISTERED"};
    size_t nh = 4;
    if (fw)
        heads[nh++] = "FIRMWARE";
    if (seen)
        heads[nh++] = "LAST SEEN";
    heads[nh] = NULL;
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
        if (fw) {
            const char *f = first_of(d, fw_names);
            row[k++] = ctl_cell(f ? json_object_get(d, f) : NULL, f);
        }
        if (seen) {
            const char *f = first_of(d, seen_names);
            row[k++] = ctl_cell(f ? json_object_get(d, f) : NULL, f);
        }
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t, stdout);
}

#define TAGS_MAX 16

int cmd_devices(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"model", required_argument, NULL, 'm'},
        {"tag", required_argument, NULL, 't'},
        {"limit", required_argument, NULL, 'n'},
        {"after", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *after = NULL;
    char *tags[TAGS_MAX];
    size_t ntags = 0;
    long limit = 100;
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        switch (v) {
        case 'h':
            fputs(devices_help, stdout);
            return CTL_OK;
        case 'm':
            model = optarg;
            break;
        case 't':
            if (ntags == TAGS_MAX)
                return ctl_usage(argv[0], "at most %d --tag", TAGS_MAX);
            tags[ntags++] = optarg;
            break;
        case 'n':
            if (ctl_parse_long("--limit", optarg, 1, PAGE_MAX, &limit) != 0)
                return CTL_USAGE;
            break;
        case 'a':
            after = optarg;
            break;
        default:
            return CTL_USAGE;
        }
    }
    if (optind != argc)
        return ctl_usage(argv[0], "unexpected argument '%s'", argv[optind]);
    int filter = model != NULL || ntags > 0;
    json_t *found = json_array();
    json_t *next = json_null();
    char cursor[3 * 64 + 1] = "";
    if (after != NULL && ctl_escape(after, cursor, sizeof cursor) != 0) {
        json_decref(found);
        return CTL_USAGE;
    }
    int rc = CTL_OK;
    ctl_answer_t a = {0};
    for (;;) {
        char path[CTL_PATH_MAX];
        if (ctl_path(path, sizeof path, "/devices?limit=%ld%s%s",
                     filter ? (long)PAGE_MAX : limit,
                     cursor[0] ? "&after=" : "", cursor) != 0) {
            rc = CTL_USAGE;
            break;
        }
        rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
        if (rc != CTL_OK)
            break;
        if (!filter && c->json) {
            ctl_print_raw(&a);
            break;
        }
        json_t *list = json_object_get(a.body, "devices");
        json_t *nx = json_object_get(a.body, "next");
        if (!json_is_array(list)) {
            rc = ctl_fail(CTL_API, "the answer has no device list");
            break;
        }
        size_t i;
        json_t *d;
        int full = 0;
        json_array_foreach(list, i, d)
        {
            if (!filter || matches(d, model, tags, ntags))
                json_array_append(found, d);
            if (json_array_size(found) == (size_t)limit) {
                full = 1;
                if (i + 1 < json_array_size(list) || json_is_string(nx)) {
                    json_decref(next);
                    next = json_copy(json_object_get(d, "endpoint"));
                }
                break;
            }
        }
        if (!filter && !full) {
            json_decref(next);
            next = json_copy(nx);
        }
        if (!filter || full || !json_is_string(nx))
            break;
        if (ctl_escape(json_string_value(nx), cursor, sizeof cursor) != 0) {
            rc = CTL_API;
            break;
        }
        ctl_answer_free(&a);
    }
    if (rc == CTL_OK && (filter || !c->json)) {
        if (c->json) {
            json_t *out =
                json_pack("{s:O, s:O}", "devices", found, "next", next);
            char *s = json_dumps(out, JSON_COMPACT);
            printf("%s\n", s != NULL ? s : "{}");
            ctl_json_free(s);
            json_decref(out);
        } else {
            print_devices(found);
            if (json_is_string(next)) {
                char *n = ctl_cell(next, NULL);
                fprintf(stderr, "(more: " CTL_NAME " devices --after %s)\n", n);
                free(n);
            }
        }
    }
    ctl_answer_free(&a);
    json_decref(found);
    json_decref(next);
    return rc;
}

static const char device_help[] =
    "usage: " CTL_NAME " device EP\n"
    "\n"
    "One device: model, tags, when it was provisioned, and its registration\n"
    "with the DM server when it is registered (times in UTC).\n";

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
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants one endpoint name");
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
            "endpoint",   "model",      "tags", "created_ms",
            "registered", "fw_version", NULL};
        static const char *const reg_names[] = {
            "location",      "lifetime",   "binding",    "queue", "version",
            "registered_ms", "updated_ms", "expires_ms", "links", NULL};
        ctl_print_fields(a.body, names);
        const json_t *r = json_object_get(a.body, "registration");
        if (json_is_object(r)) {
            printf("\nregistration\n");
            ctl_print_fields(r, reg_names);
        }
    }
    ctl_answer_free(&a);
    return rc;
}

static const char provision_help[] =
    "usage: " CTL_NAME " provision EP --psk-identity ID "
    "(--psk-file FILE | --psk-hex HEX) [--model M]\n"
    "\n"
    "Provision a device with its factory bootstrap PSK (1..64 bytes; the\n"
    "server refuses weak or reused ones).  --psk-file reads the raw key\n"
    "bytes (the same file the device's --psk-key-file reads); --psk-hex\n"
    "shows the key in the process list, so prefer the file.\n";

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

int cmd_provision(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"psk-identity", required_argument, NULL, 'i'},
        {"psk-file", required_argument, NULL, 'f'},
        {"psk-hex", required_argument, NULL, 'x'},
        {"model", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    const char *id = NULL, *file = NULL, *model = NULL;
    char *hex = NULL;
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
        case 'm':
            model = optarg;
            break;
        default:
            return CTL_USAGE;
        }
    }
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants one endpoint name");
    if (id == NULL)
        return ctl_usage(argv[0], "--psk-identity is required");
    if ((file == NULL) == (hex == NULL))
        return ctl_usage(argv[0], "give one of --psk-file and --psk-hex");
    char psk_hex[2 * PSK_MAX + 1];
    if (file != NULL) {
        unsigned char psk[PSK_MAX];
        size_t n = 0;
        int rc = read_psk(file, psk, &n);
        if (rc != CTL_OK)
            return rc;
        for (size_t i = 0; i < n; i++)
            snprintf(psk_hex + 2 * i, 3, "%02x", psk[i]);
        ctl_wipe(psk, sizeof psk);
    } else {
        if (strlen(hex) >= sizeof psk_hex)
            return ctl_usage(argv[0], "--psk-hex: a PSK is 1 to %d bytes",
                             PSK_MAX);
        memcpy(psk_hex, hex, strlen(hex) + 1);
        ctl_wipe(hex, strlen(hex)); /* out of the process list */
    }
    json_t *body = json_pack("{s:s, s:s, s:s}", "endpoint", argv[optind],
                             "psk_identity", id, "psk_hex", psk_hex);
    ctl_wipe(psk_hex, sizeof psk_hex);
    if (body == NULL)
        return ctl_usage(argv[0], "endpoint and identity must be UTF-8");
    if (model != NULL)
        json_object_set_new(body, "model", json_string(model));
    ctl_answer_t a;
    int rc = ctl_call_json(c, "POST", "/devices", body, &a);
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
    "at most N (1..1000, default 100).\n";

int cmd_audit(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"limit", required_argument, NULL, 'n'},
        {"after", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    long limit = 100, after = 0;
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        switch (v) {
        case 'h':
            fputs(audit_help, stdout);
            return CTL_OK;
        case 'n':
            if (ctl_parse_long("--limit", optarg, 1, PAGE_MAX, &limit) != 0)
                return CTL_USAGE;
            break;
        case 'a':
            if (ctl_parse_long("--after", optarg, 0, LONG_MAX, &after) != 0)
                return CTL_USAGE;
            break;
        default:
            return CTL_USAGE;
        }
    }
    if (optind != argc)
        return ctl_usage(argv[0], "unexpected argument '%s'", argv[optind]);
    char path[CTL_PATH_MAX];
    ctl_path(path, sizeof path, "/audit?limit=%ld&after=%ld", limit, after);
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const heads[] = {
            "ID", "TIME", "ACTOR", "ACTION", "SUBJECT", "DETAIL", NULL};
        static const char *const keys[] = {"id",     "at_ms",   "actor",
                                           "action", "subject", "detail"};
        ctl_table_t t;
        ctl_table_init(&t, heads);
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(a.body, "entries"), i, e)
        {
            char *row[6];
            for (size_t k = 0; k < 6; k++)
                row[k] = ctl_cell(json_object_get(e, keys[k]), keys[k]);
            ctl_table_row(&t, row);
        }
        ctl_table_print(&t, stdout);
        const json_t *nx = json_object_get(a.body, "next");
        if (json_is_integer(nx))
            fprintf(stderr, "(more: " CTL_NAME " audit --after %lld)\n",
                    (long long)json_integer_value(nx));
    }
    ctl_answer_free(&a);
    return rc;
}
