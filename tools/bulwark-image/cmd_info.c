/* SPDX-License-Identifier: Apache-2.0 */
/* `info`: show what an image file holds (image_dump.c does the work). */
#include <getopt.h>
#include <stdlib.h>

#include "image_tool.h"

static const char info_help[] =
    "usage: " TOOL_NAME " info [--json] IMAGE\n"
    "\n"
    "Show the header fields, the TLVs of both areas (with their names) and\n"
    "the trailer's state.  Nothing is verified: use `verify` for that.\n"
    "\n"
    "  -j, --json   JSON in the shape of imgtool's `dumpinfo -f json`\n"
    "               (plus an \"error\" member when the file is malformed)\n"
    "  -h, --help   this text\n"
    "\n"
    "Exit status: 0 shown, 1 unreadable or malformed (what could be read is\n"
    "still shown), 2 usage.\n";

int tool_cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(info_help, stdout);
            return TOOL_OK;
        default:
            return tool_bad_option("info", c, argv);
        }
    }
    if (argc - optind != 1)
        return tool_usage("info", "want one IMAGE (got %d file names)",
                          argc - optind);
    const char *path = argv[optind];
    tool_msg_t m;
    uint8_t *data = NULL;
    size_t len = 0;
    int st = tool_read_file(path, &data, &len, &m);
    if (st == TOOL_OK)
        st = tool_image_dump(stdout, path, data, len, json, &m);
    free(data);
    return tool_report(st, &m);
}
