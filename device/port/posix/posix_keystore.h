/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The POSIX port's key store: bw_keystore_t (include/bulwark/keystore.h)
 * backed by a directory, one file per item.
 *
 * Layout: the item "bs/psk" is the file <dir>/bs/psk.  Each '/' in a name
 * is a subdirectory, created on first put().  Directories are 0700, files
 * 0600 (set explicitly, whatever the umask).  A name must match
 * [a-z0-9._-]+ separated by single '/', no component may start with '.'
 * (so "..", "." and the temporary files below can never be named), and it
 * is at most BW_KEYSTORE_NAME_MAX bytes.  Anything else is BW_EINVAL.
 *
 * put() writes "<dir>/<sub>/.<base>.tmp", fsyncs it, renames it over the
 * item and fsyncs the directory: after a crash the item holds its old
 * value or its new one.  A temporary file left by a crash is never read
 * and is overwritten by the next put() of the same item.  One process
 * owns a key store: two writers of the same item at once are not
 * supported.
 *
 * What it must never do: log or print an item's contents, follow a
 * symbolic link at the item itself (O_NOFOLLOW), or leave a file readable
 * by others.
 */
#ifndef BW_POSIX_KEYSTORE_H
#define BW_POSIX_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"
#include "bulwark/keystore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest directory path: PATH_MAX (4096) less a '/', the longest name
 * and the temporary file's extra ".", ".tmp" and terminator. */
#define BW_POSIX_KEYSTORE_DIR_MAX (4096u - 1u - BW_KEYSTORE_NAME_MAX - 6u)

/* Largest item read or written (certificates and keys are a few KiB). */
#define BW_POSIX_KEYSTORE_ITEM_MAX (64u * 1024u)
/* Largest secret bw_posix_read_secret() reads (RFC 4279 PSKs in LwM2M are
 * 16..32 bytes; DTLS allows up to 64 here). */
#define BW_POSIX_SECRET_MAX 64u

typedef struct {
    char dir[BW_POSIX_KEYSTORE_DIR_MAX + 1];
} bw_posix_keystore_t;

/*
 * Use dir as the store: create it (0700) if missing, set its mode to 0700
 * if it exists.  Returns 0, BW_EINVAL (NULL or empty), BW_ENOSPC (path
 * longer than BW_POSIX_KEYSTORE_DIR_MAX), BW_EIO (cannot create it, or it
 * is not a directory).
 */
int bw_posix_keystore_init(bw_posix_keystore_t *ks, const char *dir);

/* The bw_keystore_t for ks (which MUST outlive it). */
bw_keystore_t bw_posix_keystore(bw_posix_keystore_t *ks);

/*
 * The operations behind bw_posix_keystore(), ctx being a
 * bw_posix_keystore_t.  As in keystore.h, and:
 *   get:   BW_EINVAL (bad name, NULL); on ENOSPC *len is the size needed;
 *          BW_EIO also for an item above BW_POSIX_KEYSTORE_ITEM_MAX
 *   put:   BW_EINVAL (bad name, NULL data with len > 0, len above
 *          BW_POSIX_KEYSTORE_ITEM_MAX)
 *   erase: BW_EINVAL (bad name)
 */
int bw_posix_keystore_get(void *ctx, const char *name, uint8_t *buf, size_t cap,
                          size_t *len);
int bw_posix_keystore_put(void *ctx, const char *name, const uint8_t *data,
                          size_t len);
int bw_posix_keystore_erase(void *ctx, const char *name);

/*
 * Read a secret (a PSK) from the file at path: 1..max bytes, taken byte
 * for byte (a trailing newline is part of it).  On success 0 and *len; on
 * failure -1 with one line in err (cap bytes) naming the file and what was
 * wrong (missing, unreadable, empty, longer than max); out is untouched
 * (the bytes read are wiped from the stack).
 * Programs use it for --psk-key-file; the secret never passes through the
 * command line.
 */
int bw_posix_read_secret(const char *path, uint8_t *out, size_t max,
                         size_t *len, char *err, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* BW_POSIX_KEYSTORE_H */
