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
