/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a device context keeps what must survive a restart.
 *
 *   state directory   the server set (Security and Server instances, the
 *                     DM PSKs among them) as the client core's blob, one
 *                     item "lwm2m/servers" in a POSIX key store rooted at
 *                     --state (or --state/EP-0001 in a fleet).  save() is
 *                     one atomic put() (temporary file, fsync, rename,
 *                     fsync of the directory): after a crash the old set
 *                     or the new one, never a mix.  Directories 0700,
 *                     files 0600: the blob holds secrets.
 *   key store         the factory bootstrap credentials, "bs/psk-identity"
 *                     and "bs/psk", read by the DTLS client (channel.c).
 *                     --psk-identity/--psk-key-file write them at start
 *                     (tests and lab use).
 *
 *   objects/3303      the Temperature instances a server created
 *                     (temp.h's record), written the same way by
 *                     objects.c; a factory reset erases it with the set.
 *
 * The DM credentials are never written to the key store as items of
 * their own: they live only inside the blob, so the set and its keys
 * change together.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "bulwark/crypto.h"
#include "posix_err.h"

int agent_state_save(void *arg, const uint8_t *blob, size_t len)
{
    agent_dev_t *d = arg;
    int err = bw_posix_keystore_put(&d->state, AGENT_STATE_ITEM, blob, len);
    if (err != 0)
        agent_log(d, "saving the server set in %s failed: %s", d->state_dir,
                  bw_strerror(err));
    else
        AGENT_VLOG(d, "server set saved (%zu bytes)", len);
    return err;
}

int agent_state_load(void *arg, uint8_t *blob, size_t cap, size_t *len)
{
    agent_dev_t *d = arg;
    int err =
        bw_posix_keystore_get(&d->state, AGENT_STATE_ITEM, blob, cap, len);
    if (err == BW_ENOSPC) {
        /* Larger than any blob the client writes: not ours to trust. */
        bw_crypto_wipe(blob, cap);
        *len = 0;
        return BW_EMALFORMED;
    }
    return err;
}

int agent_state_wipe(agent_dev_t *d)
{
    int err = bw_posix_keystore_erase(&d->state, AGENT_STATE_ITEM);
    int e2 = bw_posix_keystore_erase(&d->state, AGENT_TEMP_ITEM);
    return err != 0 ? err : e2 == BW_ENOTFOUND ? 0 : e2;
}

int agent_state_put_factory(agent_dev_t *d, const char *identity,
                            const char *key_file, char *err, size_t cap)
{
    size_t id_len = strlen(identity);
    if (id_len == 0 || id_len > BW_DTLS_PSK_ID_MAX)
        return bw_posix_errf(err, cap, "--psk-identity must be 1..%u bytes",
                             BW_DTLS_PSK_ID_MAX);
    uint8_t key[BW_DTLS_PSK_MAX];
    size_t n;
    int rc = bw_posix_read_secret(key_file, key, sizeof key, &n, err, cap);
    int e = 0;
    if (rc == 0)
        e = bw_posix_keystore_put(&d->ks, BW_KEY_BS_PSK, key, n);
    if (rc == 0 && e == 0)
        e = bw_posix_keystore_put(&d->ks, BW_KEY_BS_PSK_ID,
                                  (const uint8_t *)identity, id_len);
    if (rc == 0 && e != 0)
        rc = bw_posix_errf(err, cap, "key store %s: %s", d->keystore_dir,
                           bw_strerror(e));
    bw_crypto_wipe(key, sizeof key);
    return rc;
}
