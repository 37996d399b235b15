/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-keystore: fill or inspect a POSIX key store directory
 * (device/port/posix/posix_keystore.h) from the command line, as a
 * provisioning step or a test does before running a device program.
 *
 *   bulwark-keystore put DIR NAME FILE    item NAME := FILE's bytes ('-':
 *                                         stdin), replaced atomically
 *   bulwark-keystore get DIR NAME         item NAME to stdout
 *   bulwark-keystore erase DIR NAME       remove item NAME
 *
 * Items are secrets: this program writes them only where it is told to
 * (the store, or stdout for get), never into a message, and wipes its
 * buffer afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/crypto.h"
#include "posix_keystore.h"

#define NAME "bulwark-keystore"

static void usage(FILE *to)
{
    fputs("usage: " NAME " put DIR NAME FILE   store FILE ('-': stdin) as "
          "item NAME\n"
          "       " NAME " get DIR NAME        write item NAME to stdout\n"
          "       " NAME " erase DIR NAME      remove item NAME\n"
          "\n"
          "DIR is a key store directory (created 0700 if missing); each item\n"
          "is one 0600 file, NAME its path below DIR: dm/psk-identity,\n"
          "dm/psk, device/cert.der, device/key.der, ca/cert.der, ...\n"
          "Exit status: 0 done, 1 failed, 2 usage error.\n",
          to);
}

/* Read FILE (or stdin) whole into buf; 0, or -1 after a message. */
static int slurp(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, NAME ": %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* Ask for one byte more than fits: getting it means "too large". */
    size_t n = fread(buf, 1, cap, f);
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, NAME ": %s: read error\n", path);
        return -1;
    }
    if (n == cap) {
        fprintf(stderr, NAME ": %s: larger than %u bytes\n", path,
                BW_POSIX_KEYSTORE_ITEM_MAX);
        return -1;
    }
    *len = n;
    return 0;
}

int main(int argc, char **argv)
{
    static uint8_t buf[BW_POSIX_KEYSTORE_ITEM_MAX + 1];
    bw_posix_keystore_t ks;
    size_t len = 0;
    int err, rc = 1;

    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    const char *cmd = argc > 1 ? argv[1] : "";
    int want = strcmp(cmd, "put") == 0 ? 5 : 4;
    if (argc != want || (strcmp(cmd, "put") != 0 && strcmp(cmd, "get") != 0 &&
                         strcmp(cmd, "erase") != 0)) {
        usage(stderr);
        return 2;
    }
    err = bw_posix_keystore_init(&ks, argv[2]);
    if (err != 0) {
        fprintf(stderr, NAME ": %s: %s\n", argv[2], bw_strerror(err));
        return 1;
    }
    if (strcmp(cmd, "put") == 0) {
        if (slurp(argv[4], buf, sizeof buf, &len) != 0)
            goto out;
        err = bw_posix_keystore_put(&ks, argv[3], buf, len);
    } else if (strcmp(cmd, "get") == 0) {
        err = bw_posix_keystore_get(&ks, argv[3], buf, sizeof buf, &len);
        if (err == 0 &&
            (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)) {
            fprintf(stderr, NAME ": stdout: %s\n", strerror(errno));
            goto out;
        }
    } else {
        err = bw_posix_keystore_erase(&ks, argv[3]);
    }
    if (err != 0)
        fprintf(stderr, NAME ": %s %s: %s\n", cmd, argv[3],
                err == BW_EINVAL ? "invalid item name" : bw_strerror(err));
    else
        rc = 0;
out:
    bw_crypto_wipe(buf, len < sizeof buf ? len : sizeof buf);
    return rc;
}
