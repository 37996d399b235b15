/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DM server's credentials, lent to the DTLS client.
 *
 * The DTLS client reads its PSK through the key-store seam, once, inside
 * bw_dtls_client_init().  The DM credentials are not in any key-store
 * directory: the bootstrap server wrote them into the Security object,
 * and the client core keeps them in its server set (saved as one blob in
 * the state directory).  So for a DM connection this file answers
 * "dm/psk-identity" and "dm/psk" from a copy of the Security instance's
 * resources, and channel.c wipes the copy as soon as init has returned:
 * after that only mbedTLS holds the key (wiped by bw_dtls_client_free()).
 */
#include <string.h>

#include "agent.h"
#include "bulwark/crypto.h"

void agent_dm_keys_set(agent_dm_keys_t *k, const bw_lwm2m_security_t *sec)
{
    agent_dm_keys_wipe(k);
    /* The client core bounds both lengths by the arrays' sizes; the
     * checks keep this file safe on its own. */
    size_t id_len = sec->psk_id_len, key_len = sec->psk_len;
    if (id_len > sizeof k->id || key_len > sizeof k->key)
        return;
    memcpy(k->id, sec->psk_id, id_len);
    memcpy(k->key, sec->psk, key_len);
    k->id_len = id_len;
    k->key_len = key_len;
}

static int get(void *ctx, const char *name, uint8_t *buf, size_t cap,
               size_t *len)
{
    agent_dm_keys_t *k = ctx;
    const uint8_t *item;
    size_t n;
    *len = 0;
    if (name == NULL)
        return BW_EINVAL;
    if (strcmp(name, BW_KEY_DM_PSK_ID) == 0) {
        item = k->id;
        n = k->id_len;
    } else if (strcmp(name, BW_KEY_DM_PSK) == 0) {
        item = k->key;
        n = k->key_len;
    } else {
        return BW_ENOTFOUND;
    }
    if (n == 0)
        return BW_ENOTFOUND;
    *len = n;
    if (buf == NULL || n > cap)
        return BW_ENOSPC;
    memcpy(buf, item, n);
    return 0;
}

static int put(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)name;
    (void)data;
    (void)len;
    return BW_EIO; /* a view: nothing behind it to write to */
}

static int erase(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return BW_EIO;
}

static const bw_keystore_ops_t dm_ops = {get, put, erase};

bw_keystore_t agent_dm_keys_store(agent_dm_keys_t *k)
{
    bw_keystore_t ks = {&dm_ops, k};
    return ks;
}

void agent_dm_keys_wipe(agent_dm_keys_t *k)
{
    bw_crypto_wipe(k, sizeof *k);
}
