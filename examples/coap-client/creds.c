/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials for the DTLS client: the key store it reads, with the PSK
 * given on the command line laid over it.
 *
 * The DTLS client reads its credentials through the key-store seam
 * (include/bulwark/keystore.h) once, at init.  --psk-identity and
 * --psk-key-file are a convenience for tests and lab use: rather than
 * writing the key into a key store directory (a second copy of a secret
 * on disk), this file answers "dm/psk-identity" and "dm/psk" from memory
 * and passes every other item through to the --keystore directory, if
 * one was given.  The in-memory key is wiped as soon as the DTLS client
 * has taken its copy (cli_creds_wipe(), called right after init).
 *
 * The key file's bytes are the key as they are: a trailing newline is
 * part of the key, so write it with printf '%s', not echo.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bulwark/crypto.h"
#include "creds.h"
#include "posix_err.h"

static int ov_get(void *ctx, const char *name, uint8_t *buf, size_t cap,
                  size_t *len)
{
    cli_creds_t *c = ctx;
    const uint8_t *item = NULL;
    size_t n = 0;

    if (c->has_psk && strcmp(name, BW_KEY_DM_PSK_ID) == 0) {
        item = (const uint8_t *)c->psk_id;
        n = c->psk_id_len;
    } else if (c->has_psk && strcmp(name, BW_KEY_DM_PSK) == 0) {
        item = c->psk;
        n = c->psk_len;
    } else if (c->has_dir) {
        return c->base.ops->get(c->base.ctx, name, buf, cap, len);
    } else {
        return BW_ENOTFOUND;
    }
    *len = n;
    if (n > cap)
        return BW_ENOSPC;
    memcpy(buf, item, n);
    return 0;
}

static int ov_put(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    cli_creds_t *c = ctx;
    if (!c->has_dir)
        return BW_EIO; /* nothing to write to */
    return c->base.ops->put(c->base.ctx, name, data, len);
}

static int ov_erase(void *ctx, const char *name)
{
    cli_creds_t *c = ctx;
    if (!c->has_dir)
        return 0;
    return c->base.ops->erase(c->base.ctx, name);
}

static const bw_keystore_ops_t overlay_ops = {ov_get, ov_put, ov_erase};

/* Read the PSK file: 1..BW_DTLS_PSK_MAX bytes, wiped on every error. */
static int read_psk(cli_creds_t *c, const char *path, char *err, size_t cap)
{
    return bw_posix_read_secret(path, c->psk, sizeof c->psk, &c->psk_len, err,
                                cap);
}

int cli_creds_init(cli_creds_t *c, const cli_security_t *sec, char *err,
                   size_t cap)
{
    memset(c, 0, sizeof *c);
    if (sec->keystore_dir != NULL) {
        /* The port would create a missing directory; a client that is
         * pointed at the wrong place should say so instead. */
        struct stat st;
        if (stat(sec->keystore_dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return bw_posix_errf(err, cap, "key store %s: not a directory",
                                 sec->keystore_dir);
        int e = bw_posix_keystore_init(&c->dir, sec->keystore_dir);
        if (e != 0)
            return bw_posix_errf(err, cap, "key store %s: %s",
                                 sec->keystore_dir, bw_strerror(e));
        c->base = bw_posix_keystore(&c->dir);
        c->has_dir = 1;
    }
    if (sec->psk_identity != NULL) {
        size_t n = strlen(sec->psk_identity);
        if (n == 0 || n > BW_DTLS_PSK_ID_MAX)
            return bw_posix_errf(err, cap, "--psk-identity must be 1..%u bytes",
                                 BW_DTLS_PSK_ID_MAX);
        memcpy(c->psk_id, sec->psk_identity, n);
        c->psk_id_len = n;
        if (read_psk(c, sec->psk_key_file, err, cap) != 0) {
            cli_creds_wipe(c);
            return -1;
        }
        c->has_psk = 1;
    }
    return 0;
}

bw_keystore_t cli_creds_keystore(cli_creds_t *c)
{
    bw_keystore_t ks = {&overlay_ops, c};
    return ks;
}

void cli_creds_wipe(cli_creds_t *c)
{
    bw_crypto_wipe(c->psk, sizeof c->psk);
    c->psk_len = 0;
    c->has_psk = 0;
}
