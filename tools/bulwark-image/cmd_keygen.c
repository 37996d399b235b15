/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `keygen`: a new signing key, saved as a PKCS#8 PEM file readable by its
 * owner only (0600).  An existing file is never replaced unless --force
 * says so, because losing a signing key strands every device that trusts
 * it.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "image_tool.h"

static const char keygen_help[] =
    "usage: " TOOL_NAME " keygen --type ecdsa-p256|ed25519 -o KEY.pem "
    "[--force]\n"
    "\n"
    "Generate a signing key and write it as a PKCS#8 PEM private key, mode\n"
    "0600.  The public key for the bootloader comes from `getpub`.\n"
    "\n"
    "  -t, --type TYPE     ecdsa-p256 (ECDSA on NIST P-256, TLV 0x22) or\n"
    "                      ed25519 (TLV 0x24)\n"
    "  -o, --output FILE   where to write the key (also -k, --key)\n"
    "  -f, --force         replace FILE if it exists\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 written, 1 failed (FILE exists, I/O), 2 usage.\n";

int tool_cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"type", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},
        {"key", required_argument, NULL, 'k'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *type_s = NULL, *out = NULL;
    int force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:o:k:fh", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            type_s = optarg;
            break;
        case 'o':
        case 'k':
            out = optarg;
            break;
        case 'f':
            force = 1;
            break;
        case 'h':
            fputs(keygen_help, stdout);
            return TOOL_OK;
        default:
            return tool_bad_option("keygen", c, argv);
        }
    }
    if (optind != argc)
        return tool_usage("keygen", "unexpected argument '%s'", argv[optind]);
    if (type_s == NULL || out == NULL)
        return tool_usage("keygen", "--type and --output are required");
    tool_key_type_t type;
    if (tool_key_type_parse(type_s, &type) != 0)
        return tool_usage("keygen",
                          "unknown key type '%s' (ecdsa-p256, "
                          "ed25519)",
                          type_s);

    tool_msg_t m;
    tool_key_t key;
    int st = tool_key_generate(type, &key, &m);
    if (st != TOOL_OK)
        return tool_report(st, &m);
    char *pem = NULL;
    size_t len = 0;
    st = tool_key_pem(&key, 1, &pem, &len, &m);
    tool_key_free(&key);
    if (st != TOOL_OK)
        return tool_report(st, &m);
    st = tool_write_file(out, pem, len, 0600, !force, &m);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (st != TOOL_OK)
        return tool_report(st, &m);
    printf("%s: new %s key\n", out, tool_key_type_name(type));
    return TOOL_OK;
}
