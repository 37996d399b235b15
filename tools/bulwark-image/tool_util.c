/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers every subcommand uses: error messages and hex. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "image_tool.h"

int tool_err(tool_msg_t *m, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->text, sizeof(m->text), fmt, ap);
    va_end(ap);
    return status;
}

void tool_hex(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0x0fu];
    }
    out[2 * len] = '\0';
}

int tool_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s %s: ", TOOL_NAME, cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s %s --help'.\n", TOOL_NAME, cmd);
    return TOOL_USAGE;
}

int tool_bad_option(const char *cmd, int ret, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (ret == ':')
        return tool_usage(cmd, "option '%s' needs a value", arg);
    return tool_usage(cmd, "unknown option '%s'", arg);
}

int tool_report(int st, const tool_msg_t *m)
{
    if (st != TOOL_OK)
        fprintf(stderr, "%s: %s\n", TOOL_NAME, m->text);
    return st;
}
