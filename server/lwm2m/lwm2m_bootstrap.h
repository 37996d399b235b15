/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bootstrap server's sequence (OMA LwM2M 1.1 Core 6.1.3, client-
 * initiated bootstrap): after a device's Bootstrap-Request has been
 * authorized and answered (lwm2m_srv.c, BW_LWSRV_EV_BOOTSTRAP_REQUEST),
 *
 *   1. Bootstrap-Delete "/"   everything but the bootstrap server's own
 *                             Security instance goes
 *   2. Bootstrap-Write /0/1   Security: DM server URI, PSK mode, the new
 *                             identity and key, Short Server ID
 *   3. Bootstrap-Write /1/1   Server: Short Server ID, lifetime, binding
 *   4. Bootstrap-Finish       POST /bs
 *
 * each step sent when the previous one was answered 2.xx.  The new
 * credentials come from the provider (the security store), which MUST
 * have committed them (known to the DM side, not yet active for anything
 * else) before it returns them: so after any crash the device never holds
 * credentials the DM server does not know.  The provider hears how it
 * ended, so it can keep the old credentials valid until the device has
 * registered with the new ones.
 *
 * Secrets travel only inside the Write payload, which is wiped as soon as
 * it is handed over; nothing here logs them.
 */
#ifndef BW_LWSRV_BOOTSTRAP_H
#define BW_LWSRV_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m_srv.h"

#define BW_LWSRV_BS_ID_MAX  64
#define BW_LWSRV_BS_KEY_MAX 64

/* What the device gets for its DM server. */
typedef struct {
    char dm_uri[256]; /* "coaps://dm.example.net:5684" */
    uint8_t identity[BW_LWSRV_BS_ID_MAX];
    size_t identity_len;
    uint8_t key[BW_LWSRV_BS_KEY_MAX];
    size_t key_len;
    uint16_t ssid; /* Short Server ID, 1..65534 */
    uint32_t lifetime_s;
    char binding[4]; /* "U" */
} bw_lwsrv_bs_config_t;

typedef struct {
    /* Fresh credentials for ep, committed before returning (see above).
     * 0, or an error: the bootstrap is abandoned (the device retries). */
    int (*provide)(void *arg, const char *ep, bw_lwsrv_bs_config_t *out);
    /* How it ended: 0, or the error of the step that failed. */
    void (*finished)(void *arg, const char *ep, int err, const char *step);
    void *arg;
} bw_lwsrv_bs_provider_t;

/*
 * Start the sequence for the device of ev (a BOOTSTRAP_REQUEST event),
 * on its worker.  Returns 0 (finished() will be called), or the
 * provider's error, BW_ENOMEM, BW_ESTATE.
 */
int bw_lwsrv_bootstrap_start(bw_lwsrv_t *s, const bw_lwsrv_bs_provider_t *p,
                             const bw_lwsrv_event_t *ev);

/*
 * The TLV payloads of steps 2 and 3, for tests and tools.  Returns 0 and
 * *len, or BW_ENOSPC / BW_EINVAL.
 */
int bw_lwsrv_bs_security_tlv(const bw_lwsrv_bs_config_t *c, uint8_t *out,
                             size_t cap, size_t *len);
int bw_lwsrv_bs_server_tlv(const bw_lwsrv_bs_config_t *c, uint8_t *out,
                           size_t cap, size_t *len);

#endif /* BW_LWSRV_BOOTSTRAP_H */
