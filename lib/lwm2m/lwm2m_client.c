/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M client core: set-up, the public entry points and the step
 * loop.  The contract is in include/bulwark/lwm2m_client.h; the requests
 * the client sends are built in lwm2m_client_reg.c (Register, Update,
 * De-register) and lwm2m_client_bs.c (Bootstrap-Request, -Finish), what
 * comes in is sorted in lwm2m_client_input.c, failures and the retry
 * schedule are lwm2m_client_retry.c, the server set's storage format is
 * lwm2m_servers.c and the three objects are lwm2m_set_object.c (/0 and
 * /1, one implementation) and lwm2m_acl_object.c (access control:
 * lwm2m_acl.c).
 *
 * DESIGN NOTES
 *
 * States (c->state, changed only through BW_LWM2M__SET_STATE):
 *
 *   IDLE ──start()──┬─(a usable DM server)──> REGISTERING
 *                   └─(none)──────────────> BOOTSTRAPPING
 *
 *   BOOTSTRAPPING   channel to the bootstrap account; Bootstrap-Request;
 *                   the server's writes land in c->staged.
 *       Finish, staged set valid and saved ──> REGISTERING (EV_BOOTSTRAPPED)
 *       Finish, invalid ──> 4.06 + diagnostic, stay (old set untouched)
 *       timeout / error / save() failed ──> staged wiped, retry later
 *   REGISTERING     channel to c->set.sec[c->current]; Register.
 *       2.01 ──> REGISTERED (EV_REGISTERED)
 *       failure ──> retry later, or BOOTSTRAPPING after bootstrap_after
 *                   failures in a row or BW_EAUTH / BW_ECERT
 *   REGISTERED      serves the DM server; Update at 90% of the lifetime
 *                   or when asked; queue mode closes the channel when idle
 *       2.04 ──> stay (EV_UPDATED);  4.04 ──> REGISTERING at once
 *       other failure ──> REGISTERING (retry later), as above
 *   DEREGISTERING   De-register in flight ──> STOPPED (EV_DEREGISTERED)
 *   STOPPED         nothing more; the channel is closed.
 *
 * What each state guarantees:
 *   - at most one request of ours is in flight (c->pending, its MID in
 *     c->pending_mid), so NSTART = 1 never refuses one;
 *   - c->staged holds data only while BOOTSTRAPPING (wiped on the way
 *     out: it may hold keys);
 *   - c->set changes only by a saved Bootstrap-Finish or a committed DM
 *     Write to /1 (then saved at the next step).
 *
 * Order of one step (bw_lwm2m_client_step):
 *   1. the endpoint's timers (retransmissions, failed exchanges);
 *   2. flags raised by handlers (bootstrap trigger, set to save);
 *   3. the bootstrap deadline;
 *   4. the request the state wants, once its time has come: open the
 *      channel if needed, then send;
 *   5. notifications due (REGISTERED, channel open);
 *   6. queue mode: close the channel after queue_idle_ms without
 *      traffic;
 *   7. the time of the next thing due.
 *
 * The channel is the application's (connect/send/close); the client
 * re-creates its CoAP endpoint each time a channel opens, so message IDs
 * and duplicate detection never straddle two sessions.
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"
#include "lwm2m_int.h"

_Static_assert(BW_LWM2M_SERVERS_BLOB_MAX <= BW_LWM2M_DATAGRAM_MAX,
               "the blob is built in the client's message buffer");
_Static_assert(BW_LWM2M_SERVERS_BLOB_ACL_MAX <= BW_LWM2M_DATAGRAM_MAX,
               "with its Access Control instances too");

/* ---- small shared pieces ---------------------------------------------- */

#ifndef NDEBUG
void bw_lwm2m__client_set_state(bw_lwm2m_client_t *c, bw_lwm2m_state_t st,
                                unsigned line)
{
    c->state = st;
    c->trace_line = (uint16_t)line;
}
#endif

void bw_lwm2m__client_emit(bw_lwm2m_client_t *c, bw_lwm2m_event_t ev)
{
    if (c->cfg.event != NULL)
        c->cfg.event(c->cfg.arg, ev);
}

const bw_lwm2m_server_t *bw_lwm2m__client_srv(const bw_lwm2m_client_t *c)
{
    static const bw_lwm2m_server_t none = {0, 0, 0, 0, "U", 1, 0, 0, 0};
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (c->set.srv[i].in_use &&
            c->set.srv[i].ssid == c->set.sec[c->current].ssid)
            return &c->set.srv[i];
    return &none;
}

bw_lwm2m_servers_t *bw_lwm2m__client_target(bw_lwm2m_client_t *c)
{
    return c->state == BW_LWM2M_STATE_BOOTSTRAPPING ? &c->staged : &c->set;
}

static void endpoint_reset(bw_lwm2m_client_t *c)
{
    (void)bw_coap_endpoint_init(&c->ep, NULL, bw__splitmix64(&c->rng), c->arena,
                                sizeof c->arena, BW_LWM2M_DATAGRAM_MAX);
}

void bw_lwm2m__client_close(bw_lwm2m_client_t *c)
{
    /* A Send cannot outlive its channel (its answer would never come). */
    bw_lwm2m__client_send_end(c, BW_ECLOSED);
    if (c->channel_open || c->channel_opening)
        c->cfg.close(c->cfg.arg);
    c->channel_open = 0;
    c->channel_opening = 0;
    c->pending = BW_LWM2M__REQ_NONE;
    endpoint_reset(c);
}

void bw_lwm2m__client_tx(bw_lwm2m_client_t *c, const uint8_t *buf, size_t len)
{
    /* A lost datagram is the message layer's to repeat; a dead channel
     * is reported by the application through channel_failed(). */
    if (c->channel_open)
        (void)c->cfg.send(c->cfg.arg, buf, len);
    c->last_exchange_ms = c->now;
}

int bw_lwm2m__client_request(bw_lwm2m_client_t *c, size_t len, uint8_t kind)
{
    uint16_t mid = 0;
    int err = bw_coap_endpoint_send(&c->ep, c->now, BW_LWM2M__PEER,
                                    BW_LWM2M__PEER_LEN, c->buf, len, &mid);
    if (err != 0)
        return err;
    c->pending = kind;
    c->pending_mid = mid;
    bw_lwm2m__client_tx(c, c->buf, len);
    return 0;
}

/* ---- Send, through the profile (lwm2m_client_send.c) ------------------- */

int bw_lwm2m_client_send(bw_lwm2m_client_t *c, const bw_lwm2m_path_t *paths,
                         size_t n, uint64_t now, int64_t time_ms)
{
    if (c == NULL || paths == NULL || n == 0 || n > BW_LWM2M_SEND_MAX_PATHS)
        return BW_EINVAL;
    if (c->profile == NULL || c->profile->send == NULL)
        return BW_EUNSUPPORTED;
    return c->profile->send->queue(c, paths, n, now, time_ms);
}

int bw_lwm2m__client_send_dp(bw_lwm2m_client_t *c)
{
    /* Only a Send queued through the feature gets here. */
    return c->profile->send->dp(c);
}

void bw_lwm2m__client_send_answer(bw_lwm2m_client_t *c,
                                  const bw_coap_msg_t *msg)
{
    c->profile->send->answer(c, msg);
}

/* ---- set-up ------------------------------------------------------------ */

const bw_lwm2m_client_profile_t bw_lwm2m_client_full = {
    &bw_lwm2m_dm_full,
    &bw_lwm2m_feature_acl,
    &bw_lwm2m_feature_send,
};

const bw_lwm2m_client_profile_t bw_lwm2m_client_min = {
    &bw_lwm2m_dm_min,
    NULL,
    NULL,
};

int bw_lwm2m_client_init(bw_lwm2m_client_t *c,
                         const bw_lwm2m_client_config_t *cfg, uint64_t seed)
{
    return bw_lwm2m_client_init_profile(c, cfg, seed, &bw_lwm2m_client_full);
}

int bw_lwm2m_client_init_profile(bw_lwm2m_client_t *c,
                                 const bw_lwm2m_client_config_t *cfg,
                                 uint64_t seed,
                                 const bw_lwm2m_client_profile_t *profile)
{
    if (c == NULL || cfg == NULL)
        return BW_EINVAL;
    bw__zero(c, sizeof *c);
    if (profile == NULL)
        return BW_EINVAL;
    if (cfg->connect == NULL || cfg->send == NULL || cfg->close == NULL ||
        cfg->save == NULL || cfg->load == NULL || cfg->endpoint == NULL)
        return BW_EINVAL;
    size_t n = bw__strnlen(cfg->endpoint, BW_LWM2M_ENDPOINT_MAX + 1);
    if (n == 0 || n > BW_LWM2M_ENDPOINT_MAX)
        return BW_EINVAL;
    size_t u = 0;
    if (cfg->bootstrap_uri != NULL) {
        u = bw__strnlen(cfg->bootstrap_uri, BW_LWM2M_URI_MAX);
        if (u > BW_LWM2M_URI_MAX - 1)
            return BW_EINVAL;
    }
    bw__copy(&c->cfg, cfg, sizeof *cfg);
    bw__copy(c->endpoint, cfg->endpoint, n);
    if (u > 0)
        bw__copy(c->bootstrap_uri, cfg->bootstrap_uri, u);
    c->cfg.endpoint = c->endpoint;
    c->cfg.bootstrap_uri = c->bootstrap_uri;
    if (c->cfg.bootstrap_after == 0)
        c->cfg.bootstrap_after = 5;
    if (c->cfg.queue_idle_ms == 0)
        c->cfg.queue_idle_ms = 10000;
    if (c->cfg.bootstrap_timeout_ms == 0)
        c->cfg.bootstrap_timeout_ms = 120000;
    c->rng = seed;
    c->send.err = BW_ESTATE; /* no Send has ended yet */
    c->notify_ms = UINT64_MAX;
    c->update_ms = UINT64_MAX;
    c->profile = profile;
    int err = bw_lwm2m_dm_init_with(&c->dm, profile->dm);
    bw_lwm2m__set_objects(c);
    if (err == 0)
        err = bw_lwm2m_dm_add(&c->dm, &c->sec_obj);
    if (err == 0)
        err = bw_lwm2m_dm_add(&c->dm, &c->srv_obj);
    if (err == 0 && profile->acl != NULL)
        err = profile->acl->setup(c);
    if (err != 0) {
        bw__zero(c, sizeof *c);
        return err;
    }
    endpoint_reset(c);
    BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_IDLE);
    return 0;
}

int bw_lwm2m_client_add_object(bw_lwm2m_client_t *c, bw_lwm2m_object_t *o)
{
    if (c == NULL)
        return BW_EINVAL;
    return bw_lwm2m_dm_add(&c->dm, o);
}

/* The factory bootstrap account, in a free slot of the set in use. */
static void add_factory(bw_lwm2m_client_t *c)
{
    bw_lwm2m_servers_t *s = &c->set;
    uint16_t inst = 0;
    if (c->bootstrap_uri[0] == '\0')
        return;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++)
        if (s->sec[i].in_use && s->sec[i].bootstrap)
            return;
    /* The lowest instance id not taken. */
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++)
            if (s->sec[i].in_use && s->sec[i].inst == inst) {
                inst++;
                again = 1;
            }
    }
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++) {
        bw_lwm2m_security_t *e = &s->sec[i];
        if (e->in_use)
            continue;
        bw_lwm2m__security_defaults(e, inst);
        e->bootstrap = 1;
        bw__copy(e->uri, c->bootstrap_uri, sizeof e->uri - 1);
        /* "coaps": credentials come from the key store at connect(). */
        e->mode = (e->uri[4] == 's') ? BW_LWM2M_SEC_PSK : BW_LWM2M_SEC_NOSEC;
        return;
    }
}

int bw_lwm2m_client_start(bw_lwm2m_client_t *c, uint64_t now)
{
    if (c == NULL)
        return BW_EINVAL;
    if (c->state != BW_LWM2M_STATE_IDLE)
        return BW_ESTATE;
    c->now = now;
    size_t len = 0;
    int ret = 0;
    int err = c->cfg.load(c->cfg.arg, c->buf, sizeof c->buf, &len);
    if (err == 0 && len > sizeof c->buf)
        err = BW_EMALFORMED;
    if (err == 0) {
        if (bw_lwm2m_servers_decode(c->buf, len, &c->set, &c->generation) != 0)
            ret = BW_EMALFORMED;
    } else if (err != BW_ENOTFOUND) {
        ret = err;
    }
    bw__zero(c->buf, sizeof c->buf);
    add_factory(c);
    if (bw_lwm2m_servers_dm(&c->set) >= 0)
        bw_lwm2m__client_go_register(c);
    else
        bw_lwm2m__client_go_bootstrap(c);
    return ret;
}

/* ---- the step loop ----------------------------------------------------- */

void bw_lwm2m__client_failed(bw_lwm2m_client_t *c,
                             const bw_coap_endpoint_event_t *ev)
{
    if (c->pending != BW_LWM2M__REQ_NONE && ev->mid == c->pending_mid) {
        uint8_t kind = c->pending;
        c->pending = BW_LWM2M__REQ_NONE;
        /* A Send that failed is the Send's failure, not the
         * registration's: the next Update finds out about the server. */
        if (kind == BW_LWM2M__REQ_SEND)
            bw_lwm2m__client_send_end(c, ev->err);
        else
            bw_lwm2m__client_fail(c, ev->err);
        return;
    }
    /* A CON notification nobody acknowledged, or one the server reset:
     * the observation is over (RFC 7641 section 4.5). */
    bw_lwm2m_dm_cancel_token(&c->dm, c->set.sec[c->current].ssid, ev->token,
                             ev->token_len);
}

static void poll_endpoint(bw_lwm2m_client_t *c)
{
    bw_coap_endpoint_event_t ev;
    /* Bounded: each poll consumes one due timer, of which there are at
     * most BW_COAP_ENDPOINT_MAX_EXCHANGES. */
    for (int i = 0; c->channel_open && i < 2 * BW_COAP_ENDPOINT_MAX_EXCHANGES;
         i++) {
        if (bw_coap_endpoint_poll(&c->ep, c->now, &ev) != 1)
            break;
        if (ev.tx_len > 0)
            bw_lwm2m__client_tx(c, ev.tx, ev.tx_len);
        if (ev.kind == BW_COAP_ENDPOINT_EV_FAILED)
            bw_lwm2m__client_failed(c, &ev);
    }
}

void bw_lwm2m__client_flush_events(bw_lwm2m_client_t *c)
{
    static const bw_lwm2m_event_t order[] = {BW_LWM2M_EV_REBOOT,
                                             BW_LWM2M_EV_FACTORY_RESET};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (c->events & BW_LWM2M__EV_BIT(order[i])) {
            c->events &= (uint8_t)~BW_LWM2M__EV_BIT(order[i]);
            bw_lwm2m__client_emit(c, order[i]);
        }
}

/* Queue mode, channel closed: the server cannot reach us until we wake. */
static int asleep(const bw_lwm2m_client_t *c)
{
    return c->state == BW_LWM2M_STATE_REGISTERED && c->queue_mode &&
           !c->channel_open && !c->channel_opening;
}

static int params_changed(const bw_lwm2m_client_t *c)
{
    const bw_lwm2m_server_t *srv = bw_lwm2m__client_srv(c);
    return srv->in_use &&
           (srv->lifetime_s != c->reg_lifetime ||
            !bw__equal(srv->binding, c->reg_binding, sizeof c->reg_binding));
}

/* The request the state wants sent now (or BW_LWM2M__REQ_NONE). */
static uint8_t wanted(const bw_lwm2m_client_t *c)
{
    switch (c->state) {
    case BW_LWM2M_STATE_BOOTSTRAPPING:
        return c->deadline_ms == 0 ? BW_LWM2M__REQ_BOOTSTRAP
                                   : BW_LWM2M__REQ_NONE;
    case BW_LWM2M_STATE_REGISTERING:
        return BW_LWM2M__REQ_REGISTER;
    case BW_LWM2M_STATE_REGISTERED:
        if (c->update_now || c->objects_changed || c->now >= c->update_ms ||
            params_changed(c) ||
            (asleep(c) && (c->now >= c->notify_ms ||
                           c->send.state == BW_LWM2M__SEND_QUEUED)))
            return BW_LWM2M__REQ_UPDATE;
        if (c->send.state == BW_LWM2M__SEND_QUEUED)
            return BW_LWM2M__REQ_SEND;
        return BW_LWM2M__REQ_NONE;
    case BW_LWM2M_STATE_DEREGISTERING:
        return BW_LWM2M__REQ_DEREGISTER;
    default:
        return BW_LWM2M__REQ_NONE;
    }
}

/* Ask the application for a channel to the current server. */
static void open_channel(bw_lwm2m_client_t *c)
{
    const bw_lwm2m_security_t *sec = &c->set.sec[c->current];
    endpoint_reset(c);
    c->channel_opening = 1;
    int err = c->cfg.connect(c->cfg.arg, sec, c->now);
    if (err == 0 && c->channel_opening) {
        c->channel_opening = 0;
        c->channel_open = 1;
        c->last_exchange_ms = c->now;
    } else if (err != 0 && err != BW_EAGAIN && c->channel_opening) {
        c->channel_opening = 0;
        bw_lwm2m__client_fail(c, err);
    }
    /* BW_EAGAIN: channel_up() or channel_failed() follows; either may
     * already have come from inside connect(). */
}

static int send_wanted(bw_lwm2m_client_t *c, uint8_t want)
{
    if (want == BW_LWM2M__REQ_SEND)
        return bw_lwm2m__client_send_dp(c);
    return bw_lwm2m__client_send_reg(c, want);
}

static void drive(bw_lwm2m_client_t *c)
{
    uint8_t want = wanted(c);
    if (want == BW_LWM2M__REQ_NONE || c->pending != BW_LWM2M__REQ_NONE ||
        c->now < c->next_ms)
        return;
    /* Waking from queue mode: the Update that says so is owed even if
     * the reason to wake (a change) no longer shows once the channel is
     * up. */
    if (want == BW_LWM2M__REQ_UPDATE && asleep(c))
        c->update_now = 1;
    if (!c->channel_open && !c->channel_opening)
        open_channel(c);
    if (!c->channel_open || wanted(c) != want)
        return;
    int err = send_wanted(c, want);
    if (err != 0)
        bw_lwm2m__client_fail(c, err);
}

static void send_notifications(bw_lwm2m_client_t *c)
{
    /* A handful per step: the rest stays due for the next one. */
    for (int i = 0; i < BW_LWM2M_DM_MAX_OBS; i++) {
        size_t len = 0;
        uint16_t server = 0;
        uint64_t next = UINT64_MAX;
        int r = bw_lwm2m_dm_notify(&c->dm, c->now, c->buf, sizeof c->buf, &len,
                                   &server, &next);
        c->notify_ms = next > c->now ? next : c->now + 1;
        if (r != 1)
            break;
        uint16_t mid = 0;
        if (bw_coap_endpoint_send(&c->ep, c->now, BW_LWM2M__PEER,
                                  BW_LWM2M__PEER_LEN, c->buf, len, &mid) != 0)
            continue; /* no exchange free: this one is lost, as a NON */
        bw_lwm2m__client_remember_note(c, mid, server, c->buf, len);
        bw_lwm2m__client_tx(c, c->buf, len);
    }
}

static void maybe_sleep(bw_lwm2m_client_t *c)
{
    if (c->state != BW_LWM2M_STATE_REGISTERED || !c->queue_mode ||
        !c->channel_open || c->pending != BW_LWM2M__REQ_NONE ||
        bw_coap_endpoint_next_timeout(&c->ep) != BW_COAP_ENDPOINT_NEVER ||
        c->now < c->last_exchange_ms + c->cfg.queue_idle_ms)
        return;
    bw_lwm2m__client_close(c);
    bw_lwm2m__client_emit(c, BW_LWM2M_EV_SLEEP);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t next_due(const bw_lwm2m_client_t *c)
{
    uint64_t n = UINT64_MAX;
    if (c->state == BW_LWM2M_STATE_STOPPED || c->state == BW_LWM2M_STATE_IDLE)
        return n;
    if (c->channel_open)
        n = min64(n, bw_coap_endpoint_next_timeout(&c->ep));
    if (c->pending == BW_LWM2M__REQ_NONE && !c->channel_opening &&
        wanted(c) != BW_LWM2M__REQ_NONE)
        n = min64(n, c->next_ms > c->now ? c->next_ms : c->now);
    if (c->state == BW_LWM2M_STATE_BOOTSTRAPPING && c->deadline_ms != 0)
        n = min64(n, c->deadline_ms);
    /* Waiting for channel_up() or for the answer to our request: what
     * is due then has to wait for that report, not for a timer. */
    if (c->state == BW_LWM2M_STATE_REGISTERED && !c->channel_opening &&
        c->pending == BW_LWM2M__REQ_NONE) {
        n = min64(n, c->update_ms);
        n = min64(n, c->notify_ms);
        if (c->queue_mode && c->channel_open &&
            bw_coap_endpoint_next_timeout(&c->ep) == BW_COAP_ENDPOINT_NEVER)
            n = min64(n, c->last_exchange_ms + c->cfg.queue_idle_ms);
    }
    /* Never in the past: what was due ran in this step. */
    return n > c->now ? n : c->now + 1;
}

int bw_lwm2m_client_step(bw_lwm2m_client_t *c, uint64_t now, uint64_t *next_ms)
{
    if (next_ms != NULL)
        *next_ms = UINT64_MAX;
    if (c == NULL || next_ms == NULL)
        return BW_EINVAL;
    if (c->state == BW_LWM2M_STATE_IDLE)
        return BW_ESTATE;
    c->now = now;
    poll_endpoint(c);
    bw_lwm2m__client_flush_events(c);
    if (c->state == BW_LWM2M_STATE_STOPPED)
        return 0;
    if (c->bootstrap_now) {
        c->bootstrap_now = 0;
        if (c->state == BW_LWM2M_STATE_REGISTERED ||
            c->state == BW_LWM2M_STATE_REGISTERING)
            bw_lwm2m__client_go_bootstrap(c);
    }
    if (c->set_dirty && c->state != BW_LWM2M_STATE_BOOTSTRAPPING) {
        /* A failed save leaves the change in RAM; the next change (or
         * bootstrap) saves again. */
        c->set_dirty = 0;
        (void)bw_lwm2m__client_save(c, &c->set);
    }
    if (c->state == BW_LWM2M_STATE_BOOTSTRAPPING && c->deadline_ms != 0 &&
        now >= c->deadline_ms)
        bw_lwm2m__client_fail(c, BW_ETIMEOUT);
    drive(c);
    if (c->state == BW_LWM2M_STATE_REGISTERED && c->channel_open)
        send_notifications(c);
    maybe_sleep(c);
    *next_ms = next_due(c);
    return 0;
}

/* ---- the application's reports ---------------------------------------- */

void bw_lwm2m_client_channel_up(bw_lwm2m_client_t *c, uint64_t now)
{
    if (c == NULL || !c->channel_opening)
        return;
    c->channel_opening = 0;
    c->channel_open = 1;
    c->last_exchange_ms = now;
}

void bw_lwm2m_client_channel_failed(bw_lwm2m_client_t *c, uint64_t now, int err)
{
    if (c == NULL || (!c->channel_open && !c->channel_opening))
        return;
    if (c->state == BW_LWM2M_STATE_IDLE || c->state == BW_LWM2M_STATE_STOPPED)
        return;
    c->now = now;
    bw_lwm2m__client_fail(c, err);
}

void bw_lwm2m_client_objects_changed(bw_lwm2m_client_t *c)
{
    if (c != NULL)
        c->objects_changed = 1;
}

void bw_lwm2m_client_changed(bw_lwm2m_client_t *c, const bw_lwm2m_path_t *path,
                             uint64_t now)
{
    if (c == NULL || path == NULL)
        return;
    bw_lwm2m_dm_changed(&c->dm, path, now);
    /* Asleep, the notification may be due after pmin: wake to find out
     * (the next step asks the handler, once the channel is back). */
    if (asleep(c))
        c->notify_ms = now;
}

int bw_lwm2m_client_stop(bw_lwm2m_client_t *c, uint64_t now)
{
    if (c == NULL)
        return BW_EINVAL;
    if (c->state == BW_LWM2M_STATE_IDLE || c->state == BW_LWM2M_STATE_STOPPED ||
        c->state == BW_LWM2M_STATE_DEREGISTERING)
        return BW_ESTATE;
    c->now = now;
    if (c->state == BW_LWM2M_STATE_REGISTERED && c->location[0] != '\0') {
        if (c->pending != BW_LWM2M__REQ_NONE)
            (void)bw_coap_endpoint_cancel(&c->ep, c->pending_mid);
        bw_lwm2m__client_send_end(c, BW_ECLOSED);
        c->pending = BW_LWM2M__REQ_NONE;
        c->next_ms = now;
        BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_DEREGISTERING);
        drive(c);
        return 0;
    }
    bw_lwm2m__client_close(c);
    bw_lwm2m_servers_wipe(&c->staged);
    BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_STOPPED);
    return 0;
}

bw_lwm2m_state_t bw_lwm2m_client_state(const bw_lwm2m_client_t *c)
{
    return c != NULL ? c->state : BW_LWM2M_STATE_IDLE;
}

const bw_lwm2m_servers_t *bw_lwm2m_client_servers(const bw_lwm2m_client_t *c)
{
    return c != NULL ? &c->set : NULL;
}

void bw_lwm2m_client_post_event(bw_lwm2m_client_t *c, bw_lwm2m_event_t ev)
{
    if (c != NULL &&
        (ev == BW_LWM2M_EV_REBOOT || ev == BW_LWM2M_EV_FACTORY_RESET))
        c->events |= BW_LWM2M__EV_BIT(ev);
}

uint32_t bw_lwm2m_client_dropped(const bw_lwm2m_client_t *c)
{
    return c != NULL ? c->dropped : 0;
}
