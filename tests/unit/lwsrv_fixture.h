/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the LwM2M server's unit tests share (test_lwsrv_*.c that run the
 * real DTLS engine on loopback): the server under test (lw, created once
 * the engine runs: its callbacks see NULL until then), its registry, the
 * engine fixture, the engine callbacks that hand datagrams and ticks to
 * the LwM2M layer, and an authorize() where a PSK identity owns the
 * endpoint of the same name.  Each test still builds lw in its own up():
 * they differ in the configuration they give it.
 *
 * Included once per test program, after dtls_fixture.h and lwm2m_srv.h.
 */
#ifndef BW_TEST_LWSRV_FIXTURE_H
#define BW_TEST_LWSRV_FIXTURE_H

#include <string.h>

#include "dtls_fixture.h"
#include "lwm2m_srv.h"

static bw_lwsrv_t *volatile lw;
static bw_lwsrv_registry_t *reg;
static fix_server_t *h;

static void on_data(void *arg, bw_dtls_worker_t *w,
                    const bw_dtls_peer_info_t *peer, const uint8_t *data,
                    size_t len)
{
    (void)arg;
    if (lw != NULL) /* the engine starts before the LwM2M layer exists */
        bw_lwsrv_on_data(lw, w, peer, data, len);
}

static uint64_t on_tick(void *arg, bw_dtls_worker_t *w, uint64_t now)
{
    (void)arg;
    return lw != NULL ? bw_lwsrv_on_tick(lw, w, now) : now + 10;
}

/* A PSK identity owns the endpoint of the same name. */
static int authorize(void *arg, const bw_dtls_peer_info_t *peer, const char *ep,
                     int bootstrap, const char **why)
{
    (void)arg;
    (void)bootstrap;
    if (peer->identity_len == strlen(ep) &&
        memcmp(peer->identity, ep, peer->identity_len) == 0)
        return 0;
    *why = "identity does not own this endpoint";
    return BW_EAUTH;
}

#endif /* BW_TEST_LWSRV_FIXTURE_H */
