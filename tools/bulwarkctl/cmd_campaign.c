/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Update campaigns: create one (its selector, batches, concurrency,
 * failure threshold, time window and delivery checked here before they
 * are sent, so a typo is a usage error and not a half-understood
 * campaign), list, show (counts by state and the device table), one
 * device's history, and the pause / resume / abort transitions.  watch
 * is in cmd_watch.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Batches: cumulative percentages; more than this is not a rollout. */
#define BATCHES_MAX 20
/* Repeated selector options (--version, --tag, --endpoint). */
#define SELECT_MAX 256
/* Largest --max-concurrent: far above any DM server's session count. */
#define CONCURRENT_MAX 100000

static const char campaign_help[] =
    "usage: " CTL_NAME " campaign create --name N --firmware ID [options]\n"
    "       " CTL_NAME " campaign list\n"
    "       " CTL_NAME " campaign show ID\n"
    "       " CTL_NAME " campaign device ID EP\n"
    "       " CTL_NAME " campaign watch ID [--interval S]\n"
    "       " CTL_NAME " campaign pause|resume|abort ID\n"
    "\n"
    "create options:\n"
    "  --name N                the campaign's name (required)\n"
    "  --firmware ID           the image to roll out (required)\n"
    "  --model M               must be the image's model (the default)\n"
    "  --version V             only devices now reporting version V "
    "(repeatable)\n"
    "  --tag T                 only devices with tag T (repeatable: every "
    "tag)\n"
    "  --endpoint EP           only these devices (repeatable)\n"
    "  --batches P1,P2,..,100  cumulative percentages of the targets per "
    "batch,\n"
    "                          ascending, ending at 100 (default 100)\n"
    "  --max-concurrent N      devices updating at once (default 10)\n"
    "  --failure-threshold PCT halt when more than PCT % of a batch fails\n"
    "                          (default 1)\n"
    "  --window HH:MM-HH:MM    start devices only in this daily window "
    "(UTC)\n"
    "  --auto-upgrade          after completion, update matching devices "
    "that\n"
    "                          register later with an older version\n"
    "  --delivery pull|push    pull: devices fetch the image from the "
    "server\n"
    "                          (default); push: the server writes it into\n"
    "                          /5/0/0 block by block\n"
    "\n"
    "show prints the counts by state and the device table; device shows one\n"
    "device's history in the campaign.  watch follows a campaign until it\n"
    "ends: exit 0 completed, 3 halted, 4 aborted.\n";

/* "10,50,100" into an array: each 1..100, ascending, the last 100. */
static int parse_batches(const char *s, json_t **out)
{
    json_t *a = json_array();
    const char *p = s;
    long prev = 0;
    for (;;) {
        char *end;
        errno = 0;
        long v = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : -1;
        if (v < 1 || v > 100 || errno != 0 || v <= prev ||
            json_array_size(a) == BATCHES_MAX || (*end != ',' && *end != '\0'))
            break;
        json_array_append_new(a, json_integer(v));
        prev = v;
        if (*end == '\0') {
            if (v != 100)
                break;
            *out = a;
            return CTL_OK;
        }
        p = end + 1;
    }
    json_decref(a);
    return ctl_usage("campaign",
                     "--batches wants ascending percentages ending at 100, "
                     "like 10,50,100 (at most %d), not '%s'",
                     BATCHES_MAX, s);
}

/* "HH:MM" at s (exactly 5 characters). */
static int hhmm(const char *s)
{
    if (!(s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' &&
          s[2] == ':' && s[3] >= '0' && s[3] <= '5' && s[4] >= '0' &&
          s[4] <= '9'))
        return 0;
    return (s[0] - '0') * 10 + (s[1] - '0') < 24;
}

static int parse_window(const char *s, json_t **out)
{
    if (strlen(s) != 11 || s[5] != '-' || !hhmm(s) || !hhmm(s + 6) ||
        strncmp(s, s + 6, 5) == 0)
        return ctl_usage("campaign",
                         "--window wants HH:MM-HH:MM in UTC (start and end "
                         "differ), not '%s'",
                         s);
    char a[6], b[6];
    memcpy(a, s, 5);
    a[5] = '\0';
    memcpy(b, s + 6, 5);
    b[5] = '\0';
    *out = json_pack("{s:s, s:s}", "start", a, "end", b);
    return CTL_OK;
}

static int parse_pct(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != s && *end == '%')
        end++;
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < 0 ||
        v > 100 || !((*s >= '0' && *s <= '9') || *s == '.'))
        return ctl_usage("campaign",
                         "--failure-threshold wants a percentage from 0 to "
                         "100, not '%s'",
                         s);
    *out = v;
    return CTL_OK;
}

static int create(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"name", required_argument, NULL, 'n'},
        {"firmware", required_argument, NULL, 'f'},
        {"model", required_argument, NULL, 'm'},
        {"version", required_argument, NULL, 'v'},
        {"tag", required_argument, NULL, 't'},
        {"endpoint", required_argument, NULL, 'e'},
        {"batches", required_argument, NULL, 'b'},
        {"max-concurrent", required_argument, NULL, 'c'},
        {"failure-threshold", required_argument, NULL, 'x'},
        {"window", required_argument, NULL, 'w'},
        {"auto-upgrade", no_argument, NULL, 'a'},
        {"delivery", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *fw = NULL, *model = NULL, *delivery = NULL;
    json_t *versions = json_array(), *tags = json_array(), *eps = json_array();
    json_t *batches = NULL, *window = NULL;
    long conc = -1;
    double thr = -1;
    int autoup = 0, rc = CTL_OK, v;
    while (rc == CTL_OK && (v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        json_t *list = NULL;
        switch (v) {
        case 'h':
            fputs(campaign_help, stdout);
            rc = -1;
            break;
        case 'n':
            name = optarg;
            break;
        case 'f':
            fw = optarg;
            break;
        case 'm':
            model = optarg;
            break;
        case 'v':
            list = versions;
            break;
        case 't':
            list = tags;
            break;
        case 'e':
            list = eps;
            break;
        case 'b':
            json_decref(batches);
            batches = NULL;
            rc = parse_batches(optarg, &batches);
            break;
        case 'c':
            if (ctl_parse_long("--max-concurrent", optarg, 1, CONCURRENT_MAX,
                               &conc) != 0)
                rc = CTL_USAGE;
            break;
        case 'x':
            rc = parse_pct(optarg, &thr);
            break;
        case 'w':
            json_decref(window);
            window = NULL;
            rc = parse_window(optarg, &window);
            break;
        case 'a':
            autoup = 1;
            break;
        case 'd':
            delivery = optarg;
            if (strcmp(delivery, "pull") != 0 && strcmp(delivery, "push") != 0)
                rc = ctl_usage("campaign",
                               "--delivery is pull or push, not "
                               "'%s'",
                               delivery);
            break;
        default:
            rc = CTL_USAGE;
        }
        if (list != NULL) {
            json_t *s = json_string(optarg);
            if (s == NULL || json_array_size(list) == SELECT_MAX)
                rc = ctl_usage("campaign",
                               "selector values are UTF-8, at most %d of each",
                               SELECT_MAX);
            json_array_append_new(list, s);
        }
    }
    if (rc == CTL_OK && optind != argc)
        rc = ctl_usage("campaign", "create: unexpected argument '%s'",
                       argv[optind]);
    if (rc == CTL_OK && (name == NULL || fw == NULL))
        rc =
            ctl_usage("campaign", "create: --name and --firmware are required");
    json_t *body = NULL;
    if (rc == CTL_OK) {
        json_t *sel = json_object();
        if (model != NULL)
            json_object_set_new(sel, "model", json_string(model));
        if (json_array_size(versions) > 0)
            json_object_set(sel, "versions", versions);
        if (json_array_size(tags) > 0)
            json_object_set(sel, "tags", tags);
        if (json_array_size(eps) > 0)
            json_object_set(sel, "endpoints", eps);
        body = json_pack("{s:s, s:s, s:o}", "name", name, "firmware", fw,
                         "selector", sel);
        if (body == NULL)
            rc = ctl_usage("campaign", "create: values must be UTF-8");
    }
    if (rc == CTL_OK) {
        if (batches != NULL)
            json_object_set(body, "batches", batches);
        if (conc > 0)
            json_object_set_new(body, "max_concurrent", json_integer(conc));
        if (thr >= 0)
            json_object_set_new(body, "failure_threshold", json_real(thr));
        if (window != NULL)
            json_object_set(body, "window", window);
        if (autoup)
            json_object_set_new(body, "auto_upgrade", json_true());
        if (delivery != NULL)
            json_object_set_new(body, "delivery", json_string(delivery));
        ctl_answer_t a;
        rc = ctl_call_json(c, "POST", "/campaigns", body, &a);
        if (rc == CTL_OK && c->json)
            ctl_print_raw(&a);
        else if (rc == CTL_OK)
            ctl_print_campaign(a.body);
        ctl_answer_free(&a);
    }
    json_decref(body);
    json_decref(versions);
    json_decref(tags);
    json_decref(eps);
    json_decref(batches);
    json_decref(window);
    return rc < 0 ? CTL_OK : rc;
}

static const char *const states[] = {"pending",  "downloading", "downloaded",
                                     "updating", "succeeded",   "failed",
                                     "skipped",  "aborted",     NULL};

void ctl_print_campaign(const json_t *o)
{
    static const char *const names[] = {"id",
                                        "name",
                                        "firmware",
                                        "version",
                                        "state",
                                        "halt_reason",
                                        "current_batch",
                                        "batches",
                                        "max_concurrent",
                                        "failure_threshold",
                                        "window",
                                        "auto_upgrade",
                                        "delivery",
                                        "created_at",
                                        "updated_at",
                                        NULL};
    ctl_print_fields(o, names);
    const json_t *counts = json_object_get(o, "counts");
    if (json_is_object(counts)) {
        printf("\n");
        static const char *const heads[] = {
            "PENDING", "DOWNLOADING", "DOWNLOADED", "UPDATING", "SUCCEEDED",
            "FAILED",  "SKIPPED",     "ABORTED",    "TOTAL",    NULL};
        ctl_table_t t;
        ctl_table_init(&t, heads);
        char *row[9];
        for (size_t i = 0; i < 8; i++)
            row[i] = ctl_cell(json_object_get(counts, states[i]), NULL);
        row[8] = ctl_cell(json_object_get(counts, "total"), NULL);
        ctl_table_row(&t, row);
        ctl_table_print(&t, stdout);
    }
    const json_t *devs = json_object_get(o, "devices");
    if (json_is_array(devs)) {
        printf("\n");
        static const char *const heads[] = {
            "ENDPOINT", "BATCH", "STATE", "RESULT", "UPDATED", "DETAIL", NULL};
        static const char *const keys[] = {"endpoint", "batch",      "state",
                                           "result",   "updated_at", "detail"};
        ctl_table_t t;
        ctl_table_init(&t, heads);
        size_t i;
        const json_t *d;
        json_array_foreach(devs, i, d)
        {
            char *row[6];
            for (size_t k = 0; k < 6; k++)
                row[k] = ctl_cell(json_object_get(d, keys[k]), keys[k]);
            ctl_table_row(&t, row);
        }
        ctl_table_print(&t, stdout);
    }
}

static void print_list(const json_t *items)
{
    static const char *const heads[] = {
        "ID",    "NAME", "FIRMWARE", "VERSION", "STATE",
        "BATCH", "DONE", "FAILED",   "CREATED", NULL};
    ctl_table_t t;
    ctl_table_init(&t, heads);
    size_t i;
    const json_t *o;
    json_array_foreach(items, i, o)
    {
        const json_t *n = json_object_get(o, "counts");
        json_int_t done = 0;
        for (size_t k = 4; k < 8; k++) /* succeeded .. aborted */
            done += json_integer_value(json_object_get(n, states[k]));
        char *row[9];
        row[0] = ctl_cell(json_object_get(o, "id"), NULL);
        row[1] = ctl_cell(json_object_get(o, "name"), NULL);
        row[2] = ctl_cell(json_object_get(o, "firmware"), NULL);
        row[3] = ctl_cell(json_object_get(o, "version"), NULL);
        row[4] = ctl_cell(json_object_get(o, "state"), NULL);
        row[5] = ctl_printf(
            "%lld/%zu",
            (long long)json_integer_value(json_object_get(o, "current_batch")),
            json_array_size(json_object_get(o, "batches")));
        row[6] = ctl_printf(
            "%lld/%lld", (long long)done,
            (long long)json_integer_value(json_object_get(n, "total")));
        row[7] = ctl_cell(json_object_get(n, "failed"), NULL);
        row[8] = ctl_cell(json_object_get(o, "created_at"), "created_at");
        ctl_table_row(&t, row);
    }
    ctl_table_print(&t, stdout);
}

/* GET or POST (with "{}": the API wants a JSON object in every POST) on
 * /campaigns/ID[/tail], printed with show. */
static int one(ctl_t *c, const char *method, const char *id, const char *tail)
{
    char e[3 * 64 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(id, e, sizeof e) != 0 ||
        ctl_path(path, sizeof path, "/campaigns/%s%s", e, tail) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc =
        strcmp(method, "GET") == 0
            ? ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a)
            : ctl_call(c, "POST", path, 1, "application/json", "{}", 2, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK && strcmp(method, "GET") == 0) {
        ctl_print_campaign(a.body);
    } else if (rc == CTL_OK) {
        char *i = ctl_cell(json_object_get(a.body, "id"), NULL);
        char *s = ctl_cell(json_object_get(a.body, "state"), NULL);
        printf("campaign %s: %s\n", i, s);
        free(i);
        free(s);
    }
    ctl_answer_free(&a);
    return rc;
}

static int device(ctl_t *c, const char *id, const char *ep)
{
    char e[3 * 64 + 1], d[3 * 64 + 1], path[CTL_PATH_MAX];
    if (ctl_escape(id, e, sizeof e) != 0 || ctl_escape(ep, d, sizeof d) != 0 ||
        ctl_path(path, sizeof path, "/campaigns/%s/devices/%s", e, d) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", path, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const names[] = {"endpoint", "batch",  "state",
                                            "result",   "detail", "updated_at",
                                            NULL};
        ctl_print_fields(a.body, names);
        const json_t *h = json_object_get(a.body, "history");
        if (json_is_array(h)) {
            printf("\n");
            static const char *const heads[] = {"AT", "STATE", "DETAIL", NULL};
            static const char *const keys[] = {"at", "state", "detail"};
            ctl_table_t t;
            ctl_table_init(&t, heads);
            size_t i;
            const json_t *r;
            json_array_foreach(h, i, r)
            {
                char *row[3];
                for (size_t k = 0; k < 3; k++)
                    row[k] = ctl_cell(json_object_get(r, keys[k]), "at");
                ctl_table_row(&t, row);
            }
            ctl_table_print(&t, stdout);
        }
    }
    ctl_answer_free(&a);
    return rc;
}

int cmd_campaign(ctl_t *c, int argc, char **argv)
{
    /* The subcommand comes first; options after it belong to it. */
    if (argc < 2 || argv[1][0] == '-') {
        int v;
        while ((v = ctl_getopt(c, argc, argv, "", NULL)) != -1) {
            if (v == 'h') {
                fputs(campaign_help, stdout);
                return CTL_OK;
            }
            return CTL_USAGE;
        }
        return ctl_usage(argv[0], "wants a subcommand: create, list, show, "
                                  "device, watch, pause, resume, abort");
    }
    const char *sub = argv[1];
    if (strcmp(sub, "create") == 0)
        return create(c, argc - 1, argv + 1);
    if (strcmp(sub, "watch") == 0)
        return cmd_campaign_watch(c, argc - 1, argv + 1);
    int v;
    while ((v = ctl_getopt(c, argc - 1, argv + 1, "", NULL)) != -1) {
        if (v == 'h') {
            fputs(campaign_help, stdout);
            return CTL_OK;
        }
        return CTL_USAGE;
    }
    int n = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (strcmp(sub, "list") == 0) {
        if (n != 0)
            return ctl_usage(argv[0], "list takes no arguments");
        ctl_answer_t a;
        int rc = ctl_call(c, "GET", "/campaigns", 1, NULL, NULL, 0, &a);
        if (rc == CTL_OK && c->json)
            ctl_print_raw(&a);
        else if (rc == CTL_OK &&
                 !json_is_array(json_object_get(a.body, "items")))
            rc = ctl_fail(CTL_API, "the answer has no item list");
        else if (rc == CTL_OK)
            print_list(json_object_get(a.body, "items"));
        ctl_answer_free(&a);
        return rc;
    }
    if (strcmp(sub, "device") == 0) {
        if (n != 2)
            return ctl_usage(argv[0], "device wants a campaign ID and EP");
        return device(c, args[0], args[1]);
    }
    static const char *const acts[] = {"show", "pause", "resume", "abort"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(sub, acts[i]) != 0)
            continue;
        if (n != 1)
            return ctl_usage(argv[0], "%s wants one campaign ID", sub);
        if (i == 0)
            return one(c, "GET", args[0], "");
        char tail[16];
        snprintf(tail, sizeof tail, "/%s", sub);
        return one(c, "POST", args[0], tail);
    }
    return ctl_usage(argv[0], "unknown subcommand '%s'", sub);
}
