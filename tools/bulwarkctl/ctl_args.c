/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command lines: the global options (accepted before the command and
 * after it), option values, and the usage and failure messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

enum {
    G_URL = 1000,
    G_TOKEN_FILE,
    G_CACERT,
    G_INSECURE,
    G_JSON,
    G_TIMEOUT,
    G_VERSION,
};

const struct option ctl_global_opts[] = {
    {"url", required_argument, NULL, G_URL},
    {"token-file", required_argument, NULL, G_TOKEN_FILE},
    {"cacert", required_argument, NULL, G_CACERT},
    {"insecure", no_argument, NULL, G_INSECURE},
    {"json", no_argument, NULL, G_JSON},
    {"timeout", required_argument, NULL, G_TIMEOUT},
    {"version", no_argument, NULL, G_VERSION},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int ctl_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(CTL_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return status;
}

int ctl_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, CTL_NAME "%s%s: ", cmd != NULL ? " " : "",
            cmd != NULL ? cmd : "");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '" CTL_NAME "%s%s --help'.\n",
            cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
    va_end(ap);
    return CTL_USAGE;
}

int ctl_parse_long(const char *opt, const char *s, long min, long max,
                   long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max ||
        (*s < '0' || *s > '9')) {
        ctl_usage(NULL, "%s wants a whole number from %ld to %ld, not '%s'",
                  opt, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int ctl_global_opt(ctl_t *c, int val, const char *arg)
{
    switch (val) {
    case G_URL:
        if (strncmp(arg, "https://", 8) != 0 && strncmp(arg, "http://", 7) != 0)
            return ctl_usage(NULL, "--url wants https://HOST[:PORT], not '%s'",
                             arg);
        c->url = arg;
        return CTL_OK;
    case G_TOKEN_FILE:
        c->token_file = arg;
        return CTL_OK;
    case G_CACERT:
        c->cacert = arg;
        return CTL_OK;
    case G_INSECURE:
        c->insecure = 1;
        return CTL_OK;
    case G_JSON:
        c->json = 1;
        return CTL_OK;
    case G_TIMEOUT:
        return ctl_parse_long("--timeout", arg, 1, CTL_TIMEOUT_MAX,
                              &c->timeout_s) == 0
                   ? CTL_OK
                   : CTL_USAGE;
    case G_VERSION:
        printf(CTL_NAME " " CTL_VERSION "\n");
        exit(CTL_OK);
    default:
        return CTL_USAGE;
    }
}

/* Room for a command's options plus the global ones. */
#define OPTS_MAX 40

int ctl_getopt(ctl_t *c, int argc, char **argv, const char *shortopts,
               const struct option *cmd)
{
    struct option all[OPTS_MAX];
    size_t n = 0;
    for (size_t i = 0; cmd != NULL && cmd[i].name != NULL && n < OPTS_MAX - 1;
         i++)
        all[n++] = cmd[i];
    for (size_t i = 0; ctl_global_opts[i].name != NULL && n < OPTS_MAX - 1; i++)
        all[n++] = ctl_global_opts[i];
    memset(&all[n], 0, sizeof all[n]);
    char so[64];
    snprintf(so, sizeof so, ":h%s", shortopts != NULL ? shortopts : "");
    opterr = 0;
    for (;;) {
        int prev = optind;
        int v = getopt_long(argc, argv, so, all, NULL);
        if (v == '?' || v == ':') {
            const char *what = optind > prev && optind - 1 < argc
                                   ? argv[optind - 1]
                                   : argv[prev < argc ? prev : argc - 1];
            if (optopt != 0 && optopt < 256 && strncmp(what, "--", 2) != 0)
                ctl_usage(argv[0],
                          v == ':' ? "option -%c needs a value"
                                   : "unknown option -%c",
                          optopt);
            else
                ctl_usage(argv[0],
                          v == ':' ? "option %s needs a value"
                                   : "unknown option %s",
                          what);
            return '?';
        }
        if (v >= G_URL && v <= G_VERSION) {
            if (ctl_global_opt(c, v, optarg) != CTL_OK)
                return '?';
            continue;
        }
        return v;
    }
}

/* ---- paging -------------------------------------------------------- */

ctl_page_t ctl_page(const char *cmd, ctl_after_kind_t kind)
{
    return (ctl_page_t){.cmd = cmd,
                        .kind = kind,
                        .limit = CTL_PAGE_DEFAULT,
                        .limit_given = 0,
                        .after = NULL,
                        .after_id = 0};
}

/* Whether s may be given to --after (or printed in the hint) for kind;
 * CTL_AFTER_ID is checked by ctl_parse_long instead. */
static int after_valid(ctl_after_kind_t kind, const char *s)
{
    size_t n = strlen(s);
    switch (kind) {
    case CTL_AFTER_ENDPOINT:
        return n <= CTL_EP_MAX;
    case CTL_AFTER_CURSOR:
        return n > 0 && n < CTL_CURSOR_MAX && strspn(s, "0123456789-") == n;
    case CTL_AFTER_EVENT: {
        if (n == 0 || n > CTL_EVENT_ID_DIGITS || strspn(s, "0123456789") != n)
            return 0;
        errno = 0;
        (void)strtoull(s, NULL, 10);
        return errno == 0; /* 20 digits may still be above 2^64 - 1 */
    }
    case CTL_AFTER_ID:
    default:
        return 0;
    }
}

int ctl_page_opt(ctl_page_t *p, int v, const char *arg)
{
    if (v == 'n') {
        if (ctl_parse_long("--limit", arg, 1, CTL_PAGE_MAX, &p->limit) != 0)
            return CTL_USAGE;
        p->limit_given = 1;
        return CTL_OK;
    }
    if (v != 'a')
        return CTL_USAGE;
    if (p->kind == CTL_AFTER_ID) {
        if (ctl_parse_long("--after", arg, 0, CTL_ID_MAX, &p->after_id) != 0)
            return CTL_USAGE;
    } else if (!after_valid(p->kind, arg)) {
        static const char *const want[] = {
            [CTL_AFTER_ENDPOINT] = "an endpoint name (at most 64 bytes)",
            [CTL_AFTER_CURSOR] = "the \"next\" of a previous page",
            [CTL_AFTER_EVENT] = "an event id",
        };
        return ctl_usage(p->cmd, "--after wants %s, not '%s'", want[p->kind],
                         arg);
    }
    p->after = arg;
    return CTL_OK;
}

int ctl_page_args(ctl_t *c, int argc, char **argv, const char *help,
                  ctl_page_t *p, int *status)
{
    static const struct option o[] = {
        CTL_LIMIT_OPTION,
        CTL_AFTER_OPTION,
        {NULL, 0, NULL, 0},
    };
    int v;
    while ((v = ctl_getopt(c, argc, argv, "", o)) != -1) {
        if (v == 'h') {
            fputs(help, stdout);
            *status = CTL_OK;
            return 1;
        }
        if (ctl_page_opt(p, v, optarg) != CTL_OK) {
            *status = CTL_USAGE;
            return 1;
        }
    }
    return 0;
}

int ctl_page_query(const ctl_page_t *p, char *out, size_t cap)
{
    char after[3 * CTL_EP_MAX + 1] = "";
    if (p->after != NULL && p->kind == CTL_AFTER_ID)
        snprintf(after, sizeof after, "%ld", p->after_id);
    else if (p->after != NULL && ctl_escape(p->after, after, sizeof after) != 0)
        return -1;
    return ctl_path(out, cap, "limit=%ld%s%s", p->limit,
                    p->after != NULL ? "&after=" : "", after);
}

void ctl_page_more(const ctl_page_t *p, const char *arg, const json_t *next,
                   int filtered)
{
    char *n = NULL;
    if (p->kind == CTL_AFTER_ID && json_is_integer(next) &&
        json_integer_value(next) >= 0)
        n = ctl_printf("%lld", (long long)json_integer_value(next));
    else if (p->kind != CTL_AFTER_ID && json_is_string(next) &&
             json_string_length(next) > 0 &&
             after_valid(p->kind, json_string_value(next)))
        n = ctl_strdup(json_string_value(next));
    if (n == NULL)
        return;
    char *s = ctl_printf("(more: " CTL_NAME " %s%s%s --after %s%s)", p->cmd,
                         arg != NULL ? " " : "", arg != NULL ? arg : "", n,
                         filtered ? " with the same filters" : "");
    ctl_sanitize(s);
    fprintf(stderr, "%s\n", s);
    free(s);
    free(n);
}
