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
 *   BOOTSTRAPPING   channel 0 to the bootstrap account; Bootstrap-
 *                   Request; the server's writes land in c->staged.
 *       Finish, staged set valid and saved ──> REGISTERING (EV_BOOTSTRAPPED)
 *       Finish, invalid ──> 4.06 + diagnostic, stay (old set untouched)
 *       timeout / error / save() failed ──> staged wiped, retry later
 *   REGISTERING     no DM server holds a registration (yet);
 *   REGISTERED      at least one does.  Each channel works on its own:
 *
 *     channel i (c->chan[i], the i-th usable DM server of the set; ch->st)
 *       OFF ──go_register──> WAIT ──Register 2.01──> ON (EV_REGISTERED)
 *       WAIT: 4.xx / timeout ──> WAIT, retry later (its own schedule)
 *       ON: Update at 90% of the lifetime or when asked; 2.04 ──> ON
 *           (EV_UPDATED); 4.04 ──> WAIT at once; other failure ──> WAIT,
 *           retry later; queue mode closes the channel when idle
 *       any: refused credentials, or bootstrap_after failures in a row
 *           while no channel is ON ──> the whole client BOOTSTRAPPING
 *
 *   DEREGISTERING   stop(): the ON channels are BYE, De-register in
 *                   flight; each answer or failure turns one OFF
 *       none BYE left ──> STOPPED (EV_DEREGISTERED per answer)
 *   STOPPED         nothing more; every channel is closed.
 *
 * What each state guarantees:
 *   - at most one request of ours is in flight per channel (ch->pending,
 *     its MID in ch->pending_mid), so NSTART = 1 never refuses one;
 *   - c->staged holds data only while BOOTSTRAPPING (wiped on the way
 *     out: it may hold keys);
 *   - c->set changes only by a saved Bootstrap-Finish or a committed DM
 *     Write to /1 (then saved at the next step);
 *   - each channel has its own CoAP endpoint, re-created each time the
 *     channel opens, so message IDs and duplicate detection never
 *     straddle two sessions or two servers.
 *
 * Order of one step (bw_lwm2m_client_step):
 *   1. every endpoint's timers (retransmissions, failed exchanges);
 *   2. flags raised by handlers (bootstrap trigger, set to save, objects
 *      changed);
 *   3. the bootstrap deadline;
 *   4. channel by channel: the request it wants, once its time has come
 *      (open the channel if needed, then send); its notifications due;
 *      queue mode: close it after queue_idle_ms without traffic;
 *   5. the time of the next thing due.
 *
 * The channels are the application's (connect/send/close by number).
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

uint16_t bw_lwm2m__ch_ssid(const bw_lwm2m_client_t *c,
                           const bw_lwm2m__chan_t *ch)
{
    return c->set.sec[ch->sec].ssid;
}

const bw_lwm2m_server_t *bw_lwm2m__client_srv(const bw_lwm2m_client_t *c,
                                              const bw_lwm2m__chan_t *ch)
{
    static const bw_lwm2m_server_t none = {0, 0, 0, 0, "U", 1, 0, 0, 0};
    uint16_t ssid = bw_lwm2m__ch_ssid(c, ch);
    for (size_t i = 0; i < BW_LWM2M_MAX_SERVERS; i++)
        if (c->set.srv[i].in_use && c->set.srv[i].ssid == ssid)
            return &c->set.srv[i];
    return &none;
}

bw_lwm2m_servers_t *bw_lwm2m__client_target(bw_lwm2m_client_t *c)
{
    return c->state == BW_LWM2M_STATE_BOOTSTRAPPING ? &c->staged : &c->set;
}

void bw_lwm2m__client_settle(bw_lwm2m_client_t *c)
{
    int on = 0, bye = 0;
    BW_LWM2M__FOR_CH(c, ch)
    {
        on |= ch->st == BW_LWM2M__CH_ON;
        bye |= ch->st == BW_LWM2M__CH_BYE;
    }
    if (c->state == BW_LWM2M_STATE_REGISTERING ||
        c->state == BW_LWM2M_STATE_REGISTERED)
        BW_LWM2M__SET_STATE(c, on ? BW_LWM2M_STATE_REGISTERED
                                  : BW_LWM2M_STATE_REGISTERING);
    else if (c->state == BW_LWM2M_STATE_DEREGISTERING && !bye)
        BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_STOPPED);
}

static void endpoint_reset(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    (void)bw_coap_endpoint_init(BW_LWM2M__EP(c, ch), NULL,
                                bw__splitmix64(&c->rng),
                                c->arena[BW_LWM2M__CH_NUM(c, ch)],
                                sizeof c->arena[0], BW_LWM2M_DATAGRAM_MAX);
}

void bw_lwm2m__client_close(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    /* A Send cannot outlive its channel (its answer would never come). */
    if (BW_LWM2M__IS_CH(c, ch, c->send.chan))
        bw_lwm2m__client_send_end(c, BW_ECLOSED);
    if (ch->channel_open || ch->channel_opening)
        c->cfg.close(c->cfg.arg, BW_LWM2M__CH_NUM(c, ch));
    ch->channel_open = 0;
    ch->channel_opening = 0;
    ch->pending = BW_LWM2M__REQ_NONE;
    endpoint_reset(c, ch);
}

void bw_lwm2m__client_tx(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                         const uint8_t *buf, size_t len)
{
    /* A lost datagram is the message layer's to repeat; a dead channel
     * is reported by the application through channel_failed(). */
    if (ch->channel_open)
        (void)c->cfg.send(c->cfg.arg, BW_LWM2M__CH_NUM(c, ch), buf, len);
    ch->last_exchange_ms = c->now;
}

int bw_lwm2m__client_request(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                             size_t len, uint8_t kind)
{
    uint16_t mid = 0;
    int err = bw_coap_endpoint_send(BW_LWM2M__EP(c, ch), c->now, BW_LWM2M__PEER,
                                    BW_LWM2M__PEER_LEN, c->buf, len, &mid);
    if (err != 0)
        return err;
    ch->pending = kind;
    ch->pending_mid = mid;
    bw_lwm2m__client_tx(c, ch, c->buf, len);
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
    /* Channels need nothing yet: each endpoint is set up when its
     * channel opens, each registration when it starts (unregister). */
    BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_IDLE);
    return 0;
}

int bw_lwm2m_client_add_object(bw_lwm2m_client_t *c, bw_lwm2m_object_t *o)
{
    if (c == NULL)
        return BW_EINVAL;
    return bw_lwm2m_dm_add(&c->dm, o);
}

/* The factory bootstrap account, in the first free slot of the set in
 * use, unless the set has a bootstrap account already. */
static void add_factory(bw_lwm2m_client_t *c)
{
    bw_lwm2m_security_t *sec = c->set.sec, *e = NULL;
    uint16_t inst = 0;
    if (c->bootstrap_uri[0] == '\0')
        return;
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY; i++) {
        if (sec[i].in_use && sec[i].bootstrap)
            return;
        if (!sec[i].in_use && e == NULL)
            e = &sec[i];
    }
    if (e == NULL)
        return;
    /* The lowest instance id not taken: start over after each hit. */
    for (size_t i = 0; i < BW_LWM2M_MAX_SECURITY;) {
        if (sec[i].in_use && sec[i].inst == inst) {
            inst++;
            i = 0;
        } else {
            i++;
        }
    }
    bw_lwm2m__security_defaults(e, inst);
    e->bootstrap = 1;
    bw__copy(e->uri, c->bootstrap_uri, sizeof e->uri - 1);
    /* "coaps": credentials come from the key store at connect(). */
    e->mode = (e->uri[4] == 's') ? BW_LWM2M_SEC_PSK : BW_LWM2M_SEC_NOSEC;
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
    bw_lwm2m__client_go_register(c); /* or bootstrap, when no DM server */
    return ret;
}

/* ---- the step loop ----------------------------------------------------- */

void bw_lwm2m__client_failed(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                             const bw_coap_endpoint_event_t *ev)
{
    if (ch->pending != BW_LWM2M__REQ_NONE && ev->mid == ch->pending_mid) {
        uint8_t kind = ch->pending;
        ch->pending = BW_LWM2M__REQ_NONE;
        /* A Send that failed is the Send's failure, not the
         * registration's: the next Update finds out about the server. */
        if (kind == BW_LWM2M__REQ_SEND)
            bw_lwm2m__client_send_end(c, ev->err);
        else
            bw_lwm2m__client_fail(c, ch, ev->err);
        return;
    }
    /* A CON notification nobody acknowledged, or one the server reset:
     * the observation is over (RFC 7641 section 4.5). */
    bw_lwm2m_dm_cancel_token(&c->dm, bw_lwm2m__ch_ssid(c, ch), ev->token,
                             ev->token_len);
}

static void poll_endpoint(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    bw_coap_endpoint_event_t ev;
    /* Bounded: each poll consumes one due timer, of which there are at
     * most BW_COAP_ENDPOINT_MAX_EXCHANGES. */
    for (int i = 0; ch->channel_open && i < 2 * BW_COAP_ENDPOINT_MAX_EXCHANGES;
         i++) {
        if (bw_coap_endpoint_poll(BW_LWM2M__EP(c, ch), c->now, &ev) != 1)
            break;
        if (ev.tx_len > 0)
            bw_lwm2m__client_tx(c, ch, ev.tx, ev.tx_len);
        if (ev.kind == BW_COAP_ENDPOINT_EV_FAILED)
            bw_lwm2m__client_failed(c, ch, &ev);
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

/* Queue mode: the binding ch registered with (or last updated) is UQ. */
static int queue_mode(const bw_lwm2m__chan_t *ch)
{
    return ch->reg_binding[1] == 'Q';
}

/* Queue mode, channel closed: the server cannot reach us until we wake. */
static int asleep(const bw_lwm2m__chan_t *ch)
{
    return ch->st == BW_LWM2M__CH_ON && queue_mode(ch) && !ch->channel_open &&
           !ch->channel_opening;
}

static int params_changed(const bw_lwm2m_client_t *c,
                          const bw_lwm2m__chan_t *ch)
{
    const bw_lwm2m_server_t *srv = bw_lwm2m__client_srv(c, ch);
    return srv->in_use &&
           (srv->lifetime_s != ch->reg_lifetime ||
            !bw__equal(srv->binding, ch->reg_binding, sizeof ch->reg_binding));
}

/* The request ch wants sent now (or BW_LWM2M__REQ_NONE). */
static uint8_t wanted(const bw_lwm2m_client_t *c, const bw_lwm2m__chan_t *ch)
{
    int send = c->send.state == BW_LWM2M__SEND_QUEUED &&
               BW_LWM2M__IS_CH(c, ch, c->send.chan);
    if (c->state == BW_LWM2M_STATE_BOOTSTRAPPING)
        return BW_LWM2M__IS_CH(c, ch, 0) && c->deadline_ms == UINT64_MAX
                   ? BW_LWM2M__REQ_BOOTSTRAP
                   : BW_LWM2M__REQ_NONE;
    switch (ch->st) {
    case BW_LWM2M__CH_WAIT:
        return BW_LWM2M__REQ_REGISTER;
    case BW_LWM2M__CH_ON:
        if (ch->update_now || ch->links || c->now >= ch->update_ms ||
            params_changed(c, ch) ||
            (asleep(ch) && (c->now >= ch->notify_ms || send)))
            return BW_LWM2M__REQ_UPDATE;
        return send ? BW_LWM2M__REQ_SEND : BW_LWM2M__REQ_NONE;
    case BW_LWM2M__CH_BYE:
        return BW_LWM2M__REQ_DEREGISTER;
    default:
        return BW_LWM2M__REQ_NONE;
    }
}

/* Ask the application for channel ch to its server. */
static void open_channel(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    endpoint_reset(c, ch);
    ch->channel_opening = 1;
    int err = c->cfg.connect(c->cfg.arg, BW_LWM2M__CH_NUM(c, ch),
                             &c->set.sec[ch->sec], c->now);
    if (err == 0 && ch->channel_opening) {
        ch->channel_opening = 0;
        ch->channel_open = 1;
        ch->last_exchange_ms = c->now;
    } else if (err != 0 && err != BW_EAGAIN && ch->channel_opening) {
        ch->channel_opening = 0;
        bw_lwm2m__client_fail(c, ch, err);
    }
    /* BW_EAGAIN: channel_up() or channel_failed() follows; either may
     * already have come from inside connect(). */
}

static void drive(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    uint8_t want = wanted(c, ch);
    if (want == BW_LWM2M__REQ_NONE || ch->pending != BW_LWM2M__REQ_NONE ||
        c->now < ch->next_ms)
        return;
    /* Waking from queue mode: the Update that says so is owed even if
     * the reason to wake (a change) no longer shows once the channel is
     * up. */
    if (want == BW_LWM2M__REQ_UPDATE && asleep(ch))
        ch->update_now = 1;
    if (!ch->channel_open && !ch->channel_opening)
        open_channel(c, ch);
    if (!ch->channel_open || wanted(c, ch) != want)
        return;
    int err = want == BW_LWM2M__REQ_SEND
                  ? bw_lwm2m__client_send_dp(c)
                  : bw_lwm2m__client_send_reg(c, ch, want);
    if (err != 0)
        bw_lwm2m__client_fail(c, ch, err);
}

static void send_notifications(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    const bw_lwm2m_server_t *srv = bw_lwm2m__client_srv(c, ch);
    uint16_t ssid = bw_lwm2m__ch_ssid(c, ch);
    /* This server's observations; attributes without pmin or pmax take
     * its defaults (/1/x/2, /1/x/3) as they are now. */
    c->dm.default_pmin = srv->pmin_s;
    c->dm.default_pmax = srv->pmax_s;
    /* A handful per step: the rest stays due for the next one. */
    for (int i = 0; i < BW_LWM2M_DM_MAX_OBS; i++) {
        size_t len = 0;
        uint16_t server = ssid;
        uint64_t next = UINT64_MAX;
        int r = bw_lwm2m_dm_notify(&c->dm, c->now, c->buf, sizeof c->buf, &len,
                                   &server, &next);
        ch->notify_ms = next > c->now ? next : c->now + 1;
        if (r != 1)
            break;
        uint16_t mid = 0;
        if (bw_coap_endpoint_send(BW_LWM2M__EP(c, ch), c->now, BW_LWM2M__PEER,
                                  BW_LWM2M__PEER_LEN, c->buf, len, &mid) != 0)
            continue; /* no exchange free: this one is lost, as a NON */
        bw_lwm2m__client_remember_note(c, mid, server, c->buf, len);
        bw_lwm2m__client_tx(c, ch, c->buf, len);
    }
}

/* Queue mode: when ch, idle, closes (UINT64_MAX: not idle, or not in
 * queue mode): queue_idle_ms after its last traffic, once nothing of
 * ours is in flight and no retransmission is armed. */
static uint64_t sleep_ms(const bw_lwm2m_client_t *c, const bw_lwm2m__chan_t *ch)
{
    if (ch->st != BW_LWM2M__CH_ON || !queue_mode(ch) || !ch->channel_open ||
        ch->pending != BW_LWM2M__REQ_NONE ||
        bw_coap_endpoint_next_timeout(BW_LWM2M__EP(c, ch)) !=
            BW_COAP_ENDPOINT_NEVER)
        return UINT64_MAX;
    return ch->last_exchange_ms + c->cfg.queue_idle_ms;
}

static void maybe_sleep(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch)
{
    if (c->now < sleep_ms(c, ch))
        return;
    bw_lwm2m__client_close(c, ch);
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
    if (c->state == BW_LWM2M_STATE_BOOTSTRAPPING)
        n = min64(n, c->deadline_ms);
    for (const bw_lwm2m__chan_t *ch = c->chan;
         ch < c->chan + BW_LWM2M_MAX_SERVERS; ch++) {
        if (ch->channel_open)
            n = min64(n, bw_coap_endpoint_next_timeout(BW_LWM2M__EP(c, ch)));
        /* A time in the past becomes now + 1 below. */
        if (ch->pending == BW_LWM2M__REQ_NONE && !ch->channel_opening &&
            wanted(c, ch) != BW_LWM2M__REQ_NONE)
            n = min64(n, ch->next_ms);
        /* Waiting for channel_up() or for the answer to our request:
         * what is due then has to wait for that report, not a timer. */
        if (ch->st == BW_LWM2M__CH_ON && !ch->channel_opening &&
            ch->pending == BW_LWM2M__REQ_NONE) {
            n = min64(n, ch->update_ms);
            n = min64(n, ch->notify_ms);
        }
        n = min64(n, sleep_ms(c, ch));
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
    BW_LWM2M__FOR_CH(c, ch)
    poll_endpoint(c, ch);
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
    if (c->objects_changed) {
        c->objects_changed = 0;
        BW_LWM2M__FOR_CH(c, ch)
        ch->links = 1;
    }
    if (c->state == BW_LWM2M_STATE_BOOTSTRAPPING && now >= c->deadline_ms)
        bw_lwm2m__client_fail(c, c->chan, BW_ETIMEOUT);
    BW_LWM2M__FOR_CH(c, ch)
    {
        drive(c, ch);
        if (ch->st == BW_LWM2M__CH_ON && ch->channel_open)
            send_notifications(c, ch);
        maybe_sleep(c, ch);
    }
    *next_ms = next_due(c);
    return 0;
}

/* ---- the application's reports ---------------------------------------- */

/* Channel ch of c when it is open or opening, else NULL. */
static bw_lwm2m__chan_t *live_chan(bw_lwm2m_client_t *c, unsigned ch)
{
    if (c == NULL || ch >= BW_LWM2M_MAX_SERVERS)
        return NULL;
    bw_lwm2m__chan_t *h = BW_LWM2M__CH_AT(c, ch);
    return h->channel_open || h->channel_opening ? h : NULL;
}

void bw_lwm2m_client_channel_up(bw_lwm2m_client_t *c, unsigned ch, uint64_t now)
{
    bw_lwm2m__chan_t *h = live_chan(c, ch);
    if (h == NULL || !h->channel_opening)
        return;
    h->channel_opening = 0;
    h->channel_open = 1;
    h->last_exchange_ms = now;
}

void bw_lwm2m_client_channel_failed(bw_lwm2m_client_t *c, unsigned ch,
                                    uint64_t now, int err)
{
    bw_lwm2m__chan_t *h = live_chan(c, ch);
    if (h == NULL || c->state == BW_LWM2M_STATE_IDLE ||
        c->state == BW_LWM2M_STATE_STOPPED)
        return;
    c->now = now;
    bw_lwm2m__client_fail(c, h, err);
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
    BW_LWM2M__FOR_CH(c, ch)
    if (asleep(ch))
        ch->notify_ms = now;
}

int bw_lwm2m_client_stop(bw_lwm2m_client_t *c, uint64_t now)
{
    if (c == NULL)
        return BW_EINVAL;
    if (c->state == BW_LWM2M_STATE_IDLE || c->state == BW_LWM2M_STATE_STOPPED ||
        c->state == BW_LWM2M_STATE_DEREGISTERING)
        return BW_ESTATE;
    c->now = now;
    bw_lwm2m__client_send_end(c, BW_ECLOSED);
    int bye = 0;
    BW_LWM2M__FOR_CH(c, ch)
    {
        /* ON: a 2.01 gave it a location (never empty), and the client
         * is REGISTERED. */
        if (ch->st == BW_LWM2M__CH_ON) {
            if (ch->pending != BW_LWM2M__REQ_NONE)
                (void)bw_coap_endpoint_cancel(BW_LWM2M__EP(c, ch),
                                              ch->pending_mid);
            ch->pending = BW_LWM2M__REQ_NONE;
            ch->next_ms = now;
            ch->st = BW_LWM2M__CH_BYE;
            bye = 1;
        } else {
            bw_lwm2m__client_close(c, ch);
            ch->st = BW_LWM2M__CH_OFF;
        }
    }
    if (bye) {
        BW_LWM2M__SET_STATE(c, BW_LWM2M_STATE_DEREGISTERING);
        BW_LWM2M__FOR_CH(c, ch)
        drive(c, ch);
        return 0;
    }
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

uint16_t bw_lwm2m_client_registered(const bw_lwm2m_client_t *c, unsigned ch,
                                    const char **location)
{
    if (c == NULL || ch >= BW_LWM2M_MAX_SERVERS)
        return 0;
    const bw_lwm2m__chan_t *h = BW_LWM2M__CH_AT(c, ch);
    /* No channel is ON while the client bootstraps. */
    if (h->st != BW_LWM2M__CH_ON)
        return 0;
    if (location != NULL)
        *location = h->location;
    return bw_lwm2m__ch_ssid(c, h);
}

uint32_t bw_lwm2m_client_dropped(const bw_lwm2m_client_t *c)
{
    return c != NULL ? c->dropped : 0;
}
