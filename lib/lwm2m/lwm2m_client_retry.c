/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Failures and the retry schedule of the client core, and the two
 * transitions every failure path ends in: to BOOTSTRAPPING and to
 * REGISTERING (the state diagram is in lwm2m_client.c).
 *
 * The schedule: the n-th failure in a row waits 1 s * 2^(n-1), at most
 * 1 h, each delay scaled by a factor drawn uniformly from [0.75, 1.25]
 * with the client's seeded PRNG, so a fleet that lost its server at the
 * same moment does not come back in lock step.  A success (2.01, 2.04,
 * a saved bootstrap) sets the count back to 0.
 *
 * Which failures lead to bootstrap: bootstrap_after in a row while
 * registering or updating, or the DM server refusing our credentials
 * (BW_EAUTH, BW_ECERT from the channel).  An Update answered 4.04 is not
 * a failure at all: the server lost our registration, so we register
 * again at once (lwm2m_client_reg.c).
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"

uint64_t bw_lwm2m__client_backoff(bw_lwm2m_client_t *c, uint32_t failures)
{
    /* 32-bit arithmetic only (a small MCU has no 64-bit divide): every
     * base is a whole number of seconds, at most 3600 * 1250 ms. */
    uint32_t base = BW_LWM2M_RETRY_MAX_MS;
    if (failures == 0)
        failures = 1;
    /* 2^12 s is past the ceiling already: no shift can overflow. */
    if (failures - 1 < 12) {
        base = BW_LWM2M_RETRY_MIN_MS << (failures - 1);
        if (base > BW_LWM2M_RETRY_MAX_MS)
            base = BW_LWM2M_RETRY_MAX_MS;
    }
    /* r % 501 from the two halves: 2^32 = 8572789 * 501 + 7. */
    uint64_t r = bw__splitmix64(&c->rng);
    uint32_t hi = (uint32_t)(r >> 32) % 501u, lo = (uint32_t)r % 501u;
    uint32_t permille = 750u + (hi * 7u + lo) % 501u;
    return (uint64_t)(base / 1000u * permille);
}

static int bootstrap_account(const bw_lwm2m_servers_t *s)
{
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++)
        if (s->sec[i].in_use && s->sec[i].bootstrap)
            return (int)i;
    return -1;
}

static void retry_later(bw_lwm2m_client_t *c)
{
    c->next_ms = c->now + bw_lwm2m__client_backoff(c, c->failures);
    bw_lwm2m__client_emit(c, BW_LWM2M_EV_RETRY);
}

void bw_lwm2m__client_go_bootstrap(bw_lwm2m_client_t *c)
{
    int bs = bootstrap_account(&c->set);
    if (c->state == BW_LWM2M_STATE_REGISTERED ||
        c->state == BW_LWM2M_STATE_REGISTERING)
        bw_lwm2m_dm_cancel_server(&c->dm, c->set.sec[c->current].ssid);
    bw_lwm2m__client_close(c);
    c->location[0] = '\0';
    c->update_now = 0;
    c->update_ms = UINT64_MAX;
    c->notify_ms = UINT64_MAX;
    if (bs < 0) {
        /* No bootstrap account and no factory URI: keep trying the DM
         * server on the slow end of the schedule. */
        if (c->failures == 0)
            c->failures = 1;
        BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_REGISTERING);
        retry_later(c);
        return;
    }
    c->current = (uint16_t)bs;
    c->failures = 0;
    c->deadline_ms = 0;
    c->queue_mode = 0;
    bw_lwm2m_servers_wipe(&c->staged);
    BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_BOOTSTRAPPING);
    /* Client Hold Off Time (/0/x/11) applies to a bootstrap we start. */
    c->next_ms = c->now + (uint64_t)c->set.sec[bs].holdoff_s * 1000u;
}

void bw_lwm2m__client_go_register(bw_lwm2m_client_t *c)
{
    int dm = bw_lwm2m_servers_dm(&c->set);
    if (dm < 0) {
        bw_lwm2m__client_go_bootstrap(c);
        return;
    }
    /* Same server, channel up (an Update answered 4.04): keep it. */
    if (!(c->channel_open && c->current == (uint16_t)dm &&
          c->state != BW_LWM2M_STATE_BOOTSTRAPPING))
        bw_lwm2m__client_close(c);
    c->current = (uint16_t)dm;
    c->location[0] = '\0';
    c->update_ms = UINT64_MAX;
    c->notify_ms = UINT64_MAX;
    c->next_ms = c->now;
    c->queue_mode = 0;
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++) {
        const bw_lwm2m_server_t *srv = &c->set.srv[i];
        if (srv->in_use && srv->ssid == c->set.sec[dm].ssid) {
            c->queue_mode = srv->binding[1] == 'Q';
            c->dm.default_pmin = srv->pmin_s;
            c->dm.default_pmax = srv->pmax_s;
        }
    }
    BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_REGISTERING);
}

void bw_lwm2m__client_fail(bw_lwm2m_client_t *c, int err)
{
    bw_lwm2m__client_close(c);
    switch (c->state) {
    case BW_LWM2M_STATE_DEREGISTERING:
        BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_STOPPED);
        return;
    case BW_LWM2M_STATE_BOOTSTRAPPING:
        /* Abandoned: whatever the server wrote so far is dropped; the
         * set in use was never touched. */
        bw_lwm2m_servers_wipe(&c->staged);
        c->deadline_ms = 0;
        c->failures++;
        retry_later(c);
        return;
    case BW_LWM2M_STATE_REGISTERING:
    case BW_LWM2M_STATE_REGISTERED:
        /* The server drops our observations with the registration. */
        bw_lwm2m_dm_cancel_server(&c->dm, c->set.sec[c->current].ssid);
        c->failures++;
        c->location[0] = '\0';
        c->update_ms = UINT64_MAX;
        if ((err == BW_EAUTH || err == BW_ECERT ||
             c->failures >= c->cfg.bootstrap_after) &&
            bootstrap_account(&c->set) >= 0) {
            bw_lwm2m__client_go_bootstrap(c);
            return;
        }
        BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_REGISTERING);
        retry_later(c);
        return;
    default:
        return;
    }
}
