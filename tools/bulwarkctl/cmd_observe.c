/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwarkctl observe, cancel, observations: LwM2M Observe through the DM
 * server (docs/api.md, "Observations").  The values a device notifies
 * are stored beside those of LwM2M Send; `observe --follow` prints them
 * as they arrive by polling GET /devices/{ep}/data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

/* A poll of --follow: once a second, one page of the newest values. */
#define FOLLOW_POLL_MS 1000
#define FOLLOW_PAGE    100
/* Longest --for, seconds (a day). */
#define FOLLOW_FOR_MAX 86400

static const char observe_help[] =
    "usage: " CTL_NAME " observe EP PATH [--follow [--for S]]\n"
    "\n"
    "LwM2M Observe of PATH (/3303/0/5700, ...) on registered device EP.\n"
    "Prints the device's code, the first value and the observation's id.\n"
    "The device then notifies as the attributes of PATH say (pmin, pmax,\n"
    "gt, lt, st: see 'attrs'); the server stores each value, shown by\n"
    "'data EP --path PATH'.\n"
    "\n"
    "  --follow   then print each stored value as it arrives (TIME PATH\n"
    "             VALUE), polling once a second, until interrupted\n"
    "  --for S    with --follow: stop after S seconds\n";

static const char cancel_help[] =
    "usage: " CTL_NAME " cancel EP (PATH | --id N)\n"
    "\n"
    "End the observation of PATH (or the one with id N) on device EP: the\n"
    "server stops storing its values at once and tells the device\n"
    "(Observe 1).  Prints the device's answer, or that it gave none.\n";

static const char observations_help[] =
    "usage: " CTL_NAME " observations EP\n"
    "\n"
    "The live observations of device EP: id, path, since when, how many\n"
    "notifications arrived (and were dropped) and the last one's time.\n";

static int device_path(const char *ep, const char *act, char *out, size_t cap)
{
    char e[3 * 64 + 1];
    if (ctl_escape(ep, e, sizeof e) != 0 ||
        ctl_path(out, cap, "/devices/%s/%s", e, act) != 0)
        return CTL_USAGE;
    return CTL_OK;
}

/* Only --help (and the global options). */
static int help_only(ctl_t *c, int argc, char **argv, const char *help)
{
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", NULL)) != -1) {
        if (v == 'h') {
            fputs(help, stdout);
            return -1;
        }
        return CTL_USAGE;
    }
    return CTL_OK;
}

/* The first value: SenML records as "value: NAME VALUE" lines (the base
 * name carried forward), anything else as it came. */
static void print_value(const json_t *p)
{
    static const char *const vals[] = {"v", "vs", "vb", "vd", "vlo"};
    if (!json_is_array(p)) {
        char *s = ctl_cell(p, NULL);
        printf("value: %s\n", s);
        free(s);
        return;
    }
    const char *bn = "";
    size_t i;
    const json_t *r;
    json_array_foreach(p, i, r)
    {
        const char *b = json_string_value(json_object_get(r, "bn"));
        const char *n = json_string_value(json_object_get(r, "n"));
        if (b != NULL)
            bn = b;
        const json_t *v = NULL;
        for (size_t k = 0; k < sizeof vals / sizeof vals[0] && v == NULL; k++)
            v = json_object_get(r, vals[k]);
        char *name = ctl_printf("%s%s", bn, n != NULL ? n : "");
        char *val = ctl_cell(v, NULL);
        ctl_sanitize(name);
        printf("value: %s %s\n", name, val);
        free(name);
        free(val);
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Print the values of ep at path sampled after *since (oldest first);
 * *since moves to the newest printed. */
static int follow_once(ctl_t *c, const char *ep, const char *path,
                       int64_t *since)
{
    char esc[3 * 64 + 1], url[CTL_PATH_MAX];
    if (ctl_escape(ep, esc, sizeof esc) != 0 ||
        ctl_path(url, sizeof url,
                 "/devices/%s/data?path=%s&since=%lld&limit=%d", esc, path,
                 (long long)(*since + 1), FOLLOW_PAGE) != 0)
        return CTL_USAGE;
    ctl_answer_t a;
    int rc = ctl_call(c, "GET", url, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK) {
        const json_t *d = json_object_get(a.body, "data");
        for (size_t i = json_array_size(d); i-- > 0;) { /* newest first */
            const json_t *e = json_array_get(d, i);
            json_int_t t = json_integer_value(json_object_get(e, "t"));
            char *tc = ctl_cell(json_object_get(e, "t"), "t_ms");
            char *pc = ctl_cell(json_object_get(e, "path"), NULL);
            char *vc = ctl_cell(json_object_get(e, "value"), NULL);
            printf("%s  %s  %s\n", tc, pc, vc);
            free(tc);
            free(pc);
            free(vc);
            if (t > *since)
                *since = t;
        }
        fflush(stdout);
    }
    ctl_answer_free(&a);
    return rc;
}

int cmd_observe(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"follow", no_argument, NULL, 'f'},
        {"for", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    int follow = 0, v;
    long for_s = 0;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        if (v == 'h') {
            fputs(observe_help, stdout);
            return CTL_OK;
        } else if (v == 'f') {
            follow = 1;
        } else if (v == 't') {
            if (ctl_parse_long("--for", optarg, 1, FOLLOW_FOR_MAX, &for_s) != 0)
                return CTL_USAGE;
        } else {
            return CTL_USAGE;
        }
    }
    if (argc - optind != 2)
        return ctl_usage(argv[0], "wants EP and PATH");
    const char *ep = argv[optind], *p = argv[optind + 1];
    if (p[0] != '/' || strspn(p, "/0123456789") != strlen(p))
        return ctl_usage(argv[0], "PATH is an LwM2M path like /3303/0/5700");
    char url[CTL_PATH_MAX];
    if (device_path(ep, "observe", url, sizeof url) != CTL_OK)
        return CTL_USAGE;
    json_t *body = json_pack("{s:s}", "path", p);
    if (body == NULL)
        return ctl_fail(CTL_API, "out of memory");
    int64_t start = now_ms();
    ctl_answer_t a;
    int rc = ctl_call_json(c, "POST", url, body, &a);
    json_decref(body);
    if (rc != CTL_OK) {
        ctl_answer_free(&a);
        return rc;
    }
    const char *code = json_string_value(json_object_get(a.body, "code"));
    const json_t *id = json_object_get(a.body, "observation");
    if (c->json) {
        ctl_print_raw(&a);
    } else {
        char *s = ctl_strdup(code != NULL ? ctl_coap_name(code) : "-");
        ctl_sanitize(s);
        printf("%s\n", s);
        free(s);
        print_value(json_object_get(a.body, "payload"));
        if (json_is_integer(id))
            printf("observation: %lld\n", (long long)json_integer_value(id));
        else
            printf("observation: none (the device did not take it)\n");
    }
    if (code == NULL || code[0] != '2' || !json_is_integer(id))
        rc = CTL_API;
    ctl_answer_free(&a);
    if (rc != CTL_OK || !follow)
        return rc;
    int64_t since = start, until = for_s > 0 ? start + for_s * 1000 : INT64_MAX;
    while (rc == CTL_OK && now_ms() < until) {
        sleep_ms(FOLLOW_POLL_MS);
        rc = follow_once(c, ep, p, &since);
    }
    return rc;
}

int cmd_cancel(ctl_t *c, int argc, char **argv)
{
    static const struct option o[] = {
        {"id", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    long id = 0;
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        if (v == 'h') {
            fputs(cancel_help, stdout);
            return CTL_OK;
        }
        if (v != 'i' || ctl_parse_long("--id", optarg, 1, INT32_MAX, &id) != 0)
            return CTL_USAGE;
    }
    int want = id > 0 ? 1 : 2;
    if (argc - optind != want)
        return ctl_usage(argv[0], id > 0 ? "wants EP (with --id)"
                                         : "wants EP and PATH, or EP --id N");
    const char *ep = argv[optind];
    char url[CTL_PATH_MAX], act[64];
    json_t *body = NULL;
    const char *method = "DELETE";
    if (id > 0) {
        snprintf(act, sizeof act, "observations/%ld", id);
    } else {
        const char *p = argv[optind + 1];
        if (p[0] != '/' || strspn(p, "/0123456789") != strlen(p))
            return ctl_usage(argv[0],
                             "PATH is an LwM2M path like /3303/0/5700");
        snprintf(act, sizeof act, "cancel");
        method = "POST";
        body = json_pack("{s:s}", "path", p);
        if (body == NULL)
            return ctl_fail(CTL_API, "out of memory");
    }
    if (device_path(ep, act, url, sizeof url) != CTL_OK) {
        json_decref(body);
        return CTL_USAGE;
    }
    ctl_answer_t a;
    int rc = body != NULL ? ctl_call_json(c, method, url, body, &a)
                          : ctl_call(c, method, url, 1, NULL, NULL, 0, &a);
    json_decref(body);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        const char *code = json_string_value(json_object_get(a.body, "code"));
        char *s = ctl_strdup(code != NULL ? ctl_coap_name(code)
                                          : "no answer from the device");
        ctl_sanitize(s);
        printf("observation %lld cancelled (%lld notifications); device: %s\n",
               (long long)json_integer_value(
                   json_object_get(a.body, "observation")),
               (long long)json_integer_value(
                   json_object_get(a.body, "notifications")),
               s);
        free(s);
    }
    ctl_answer_free(&a);
    return rc;
}

int cmd_observations(ctl_t *c, int argc, char **argv)
{
    int rc = help_only(c, argc, argv, observations_help);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    if (argc - optind != 1)
        return ctl_usage(argv[0], "wants EP");
    char url[CTL_PATH_MAX];
    if (device_path(argv[optind], "observations", url, sizeof url) != CTL_OK)
        return CTL_USAGE;
    ctl_answer_t a;
    rc = ctl_call(c, "GET", url, 1, NULL, NULL, 0, &a);
    if (rc == CTL_OK && c->json) {
        ctl_print_raw(&a);
    } else if (rc == CTL_OK) {
        static const char *const heads[] = {
            "ID", "PATH", "SINCE", "NOTIFIED", "DROPPED", "LAST", "BY", NULL};
        static const char *const keys[] = {
            "id", "path", "since", "notifications", "dropped", "last_at", "by"};
        /* ctl_cell shows members named *_ms and *_at as UTC times. */
        static const char *const as[] = {
            "id",      "path",    "since_ms", "notifications",
            "dropped", "last_at", "by"};
        ctl_print_items(json_object_get(a.body, "observations"), heads, keys,
                        as);
    }
    ctl_answer_free(&a);
    return rc;
}
