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

static void retry_later(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    ch->next_ms = c->now + bw_lwm2m__client_backoff(c, ch->failures);
    bw_lwm2m__client_emit(c, BW_LWM2M_EV_RETRY);
}

/* ch forgets its registration: observations, location, timers. */
static void unregister(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    /* The server drops our observations with the registration. */
    if (ch->st != BW_LWM2M__CH_OFF)
        bw_lwm2m_dm_cancel_server(&c->dm, bw_lwm2m__ch_ssid(c, ch));
    ch->location[0] = '\0';
    ch->update_now = 0;
    ch->update_ms = UINT64_MAX;
    ch->notify_ms = UINT64_MAX;
}

void bw_lwm2m__client_go_bootstrap(bw_lwm2m_client_t *c)
{
    int bs = bootstrap_account(&c->set);
    /* Already bootstrapping, every channel is off and unregistered:
     * unregister() changes nothing then. */
    BW_LWM2M__FOR_CH(c, ch)
    {
        unregister(c, ch);
        bw_lwm2m__client_close(c, ch);
    }
    if (bs < 0) {
        /* No bootstrap account and no factory URI: keep trying the DM
         * servers on the slow end of the schedule. */
        BW_LWM2M__FOR_CH(c, ch)
        if (ch->st != BW_LWM2M__CH_OFF) {
            ch->st = BW_LWM2M__CH_WAIT;
            if (ch->failures == 0)
                ch->failures = 1;
            retry_later(c, ch);
        }
        BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_REGISTERING);
        return;
    }
    BW_LWM2M__FOR_CH(c, ch)
    {
        ch->st = BW_LWM2M__CH_OFF;
        ch->failures = 0;
    }
    /* Channel 0 carries the bootstrap server. */
    c->chan[0].sec = (uint8_t)bs;
    c->deadline_ms = UINT64_MAX;
    bw_lwm2m_servers_wipe(&c->staged);
    BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_BOOTSTRAPPING);
    /* Client Hold Off Time (/0/x/11) applies to a bootstrap we start. */
    c->chan[0].next_ms = c->now + (uint64_t)c->set.sec[bs].holdoff_s * 1000u;
}

void bw_lwm2m__client_register_again(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    unregister(c, ch);
    ch->next_ms = c->now;
    ch->st = BW_LWM2M__CH_WAIT;
    bw_lwm2m__client_settle(c);
}

void bw_lwm2m__client_go_register(bw_lwm2m_client_t *c)
{
    int dm = bw_lwm2m_servers_dm(&c->set, 0);
    if (dm < 0) {
        bw_lwm2m__client_go_bootstrap(c);
        return;
    }
    /* Channel i to the i-th usable DM server; the rest stay off. */
    BW_LWM2M__FOR_CH(c, ch)
    {
        bw_lwm2m__client_close(c, ch);
        ch->st = BW_LWM2M__CH_OFF;
        ch->failures = 0;
        if (dm < 0)
            continue;
        ch->sec = (uint8_t)dm;
        BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_REGISTERING);
        bw_lwm2m__client_register_again(c, ch);
        dm = bw_lwm2m_servers_dm(&c->set, (size_t)dm + 1);
    }
}

void bw_lwm2m__client_fail(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch, int err)
{
    bw_lwm2m__client_close(c, ch);
    switch (c->state) {
    case BW_LWM2M_STATE_DEREGISTERING:
        ch->st = BW_LWM2M__CH_OFF;
        bw_lwm2m__client_settle(c);
        return;
    case BW_LWM2M_STATE_BOOTSTRAPPING:
        /* Abandoned: whatever the server wrote so far is dropped; the
         * set in use was never touched. */
        bw_lwm2m_servers_wipe(&c->staged);
        c->deadline_ms = UINT64_MAX;
        ch->failures++;
        retry_later(c, ch);
        return;
    case BW_LWM2M_STATE_REGISTERING:
    case BW_LWM2M_STATE_REGISTERED: {
        /* WAIT again; retry_later below sets when. */
        bw_lwm2m__client_register_again(c, ch);
        ch->failures++;
        /* Refused credentials always go back to bootstrap; too many
         * failures only when no other server holds a registration. */
        if ((err == BW_EAUTH || err == BW_ECERT ||
             (ch->failures >= c->cfg.bootstrap_after &&
              c->state == BW_LWM2M_STATE_REGISTERING)) &&
            bootstrap_account(&c->set) >= 0) {
            bw_lwm2m__client_go_bootstrap(c);
            return;
        }
        retry_later(c, ch);
        return;
    }
    default:
        return;
    }
}
