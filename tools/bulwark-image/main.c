/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-image: sign, verify and inspect firmware images in MCUboot's
 * format.  This file only picks the subcommand; docs/bulwark-image.md is
 * the manual.
 */
#include <stdio.h>
#include <string.h>

#include "image_tool.h"

static const char main_help[] =
    "usage: " TOOL_NAME " COMMAND [options] [files]\n"
    "\n"
    "Firmware images in MCUboot's format (compatible with imgtool 2.x).\n"
    "\n"
    "  keygen   generate a signing key (ecdsa-p256, ed25519)\n"
    "  sign     sign a binary into an image (optionally padded to a slot)\n"
    "  verify   verify an image against trusted keys\n"
    "  info     show an image's header, TLVs and trailer (--json)\n"
    "  getpub   print a public key as a C array for the bootloader\n"
    "\n"
    "'" TOOL_NAME " COMMAND --help' describes each.\n"
    "Exit status: 0 ok, 1 verification or operation failed, 2 usage.\n";

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } cmds[] = {
        {"keygen", tool_cmd_keygen}, {"sign", tool_cmd_sign},
        {"verify", tool_cmd_verify}, {"info", tool_cmd_info},
        {"getpub", tool_cmd_getpub},
    };
    if (argc < 2) {
        fputs(main_help, stderr);
        return TOOL_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(main_help, stdout);
        return TOOL_OK;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n", TOOL_NAME,
            argv[1], TOOL_NAME);
    return TOOL_USAGE;
}
