/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the client core's files (lwm2m_client*.c,
 * lwm2m_set_object.c, lwm2m_acl*.c); never included from outside the
 * module.  The state machine is drawn in lwm2m_client.c.
 */
#ifndef BW_LWM2M_CLIENT_INT_H
#define BW_LWM2M_CLIENT_INT_H

#include "bulwark/lwm2m_client.h"
#include "bw_u64.h"

/* The request in flight on a channel (ch->pending); at most one each. */
enum {
    BW_LWM2M__REQ_NONE = 0,
    BW_LWM2M__REQ_BOOTSTRAP,  /* POST /bs?ep= */
    BW_LWM2M__REQ_REGISTER,   /* POST /rd?ep=&lt=&lwm2m=&b= */
    BW_LWM2M__REQ_UPDATE,     /* POST <location> */
    BW_LWM2M__REQ_DEREGISTER, /* DELETE <location> */
    BW_LWM2M__REQ_SEND        /* POST /dp (lwm2m_client_send.c) */
};

/* A channel's registration (ch->st); the client's state follows from
 * them (bw_lwm2m__client_settle). */
enum {
    BW_LWM2M__CH_OFF = 0, /* no DM server on this channel */
    BW_LWM2M__CH_WAIT,    /* registering: Register due at next_ms */
    BW_LWM2M__CH_ON,      /* registered */
    BW_LWM2M__CH_BYE      /* stopping: De-register in flight */
};

/* c->send.state */
enum {
    BW_LWM2M__SEND_IDLE = 0,
    BW_LWM2M__SEND_QUEUED, /* waiting for the next step */
    BW_LWM2M__SEND_SENT    /* in flight: its channel's pending is REQ_SEND */
};

/* Posted events as bits, counted from the first one that can be posted
 * (REBOOT is 7: shifting by the enum value itself overflowed the byte). */
#define BW_LWM2M__EV_BIT(ev) ((uint8_t)(1u << ((ev)-BW_LWM2M_EV_REBOOT)))

/* Change state.  Debug builds record the caller's line in c->trace_line
 * for post-mortem inspection; NDEBUG builds leave it 0 and only store
 * the state (as the CoAP endpoint does with its own trace_line). */
#ifdef NDEBUG
#define BW_LWM2M__SET_STATE(c, st) ((void)((c)->state = (st)))
#else
void bw_lwm2m__client_set_state(bw_lwm2m_client_t *c, bw_lwm2m_state_t st,
                                unsigned line);
#define BW_LWM2M__SET_STATE(c, st)                                             \
    bw_lwm2m__client_set_state((c), (st), __LINE__)
#endif

/* Report an event to the application (no-op without a callback). */
void bw_lwm2m__client_emit(bw_lwm2m_client_t *c, bw_lwm2m_event_t ev);

/* The client's PRNG is bw__splitmix64(&c->rng) (bw_u64.h). */

/* Time: every public entry point that is given now stores it in c->now
 * first; the functions below read it there instead of taking it. */

/* Channels are passed as pointers into c->chan; their number (for the
 * callbacks) is BW_LWM2M__CH_NUM(c, ch), channel i is BW_LWM2M__CH_AT.
 * With one DM server both are constants: a small device pays nothing
 * for the channel numbers. */
typedef bw_lwm2m_client_chan_t bw_lwm2m__chan_t;
#define BW_LWM2M__ONE_CH (BW_LWM2M_MAX_SERVERS == 1)
#define BW_LWM2M__CH_NUM(c, ch)                                                \
    (BW_LWM2M__ONE_CH ? 0u : (unsigned)((ch) - (c)->chan))
#define BW_LWM2M__CH_AT(c, i) (BW_LWM2M__ONE_CH ? (c)->chan : &(c)->chan[(i)])
/* Whether ch is channel number i (i < BW_LWM2M_MAX_SERVERS). */
#define BW_LWM2M__IS_CH(c, ch, i)                                              \
    (BW_LWM2M__ONE_CH || BW_LWM2M__CH_NUM(c, ch) == (unsigned)(i))
/* The CoAP endpoint of channel ch. */
#define BW_LWM2M__EP(c, ch) (&(c)->ep[BW_LWM2M__CH_NUM(c, ch)])
#define BW_LWM2M__FOR_CH(c, ch)                                                \
    for (bw_lwm2m__chan_t *ch = (c)->chan;                                     \
         ch < (c)->chan + BW_LWM2M_MAX_SERVERS; ch++)

/* The SSID of the server on ch (0 for the bootstrap server). */
uint16_t bw_lwm2m__ch_ssid(const bw_lwm2m_client_t *c,
                           const bw_lwm2m__chan_t *ch);

/* ---- channel (lwm2m_client.c) ---- */

/* Close ch if open or opening (its endpoint forgets it too); a Send
 * queued for it or in flight on it ends with BW_ECLOSED. */
void bw_lwm2m__client_close(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch);

/* Transmit one datagram on ch if open; counts as traffic. */
void bw_lwm2m__client_tx(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                         const uint8_t *buf, size_t len);

/*
 * Hand a request built in c->buf (len bytes, any MID) to ch's endpoint
 * and transmit it; it becomes ch's request in flight of this kind.
 * Returns 0 or the endpoint's error.
 */
int bw_lwm2m__client_request(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                             size_t len, uint8_t kind);

/* The peer identity every endpoint call uses: each endpoint sees one
 * peer, whoever is at the end of its channel. */
#define BW_LWM2M__PEER     "S"
#define BW_LWM2M__PEER_LEN 1

/* An EV_FAILED of ch's endpoint (from input or poll) about one of our
 * own messages: it ends the request in flight, the Send, or an
 * observation. */
void bw_lwm2m__client_failed(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                             const bw_coap_endpoint_event_t *ev);

/* Report the posted events (Reboot, Factory Reset) now. */
void bw_lwm2m__client_flush_events(bw_lwm2m_client_t *c);

/* REGISTERED while a channel is, else REGISTERING (in those two states);
 * DEREGISTERING becomes STOPPED once no De-register is in flight. */
void bw_lwm2m__client_settle(bw_lwm2m_client_t *c);

/* ---- input (lwm2m_client_input.c) ---- */

/* A response of code to req into c->buf, with why as a text/plain
 * payload unless NULL or "" (a diagnostic); its length, 0 if it did not
 * fit. */
size_t bw_lwm2m__client_answer(bw_lwm2m_client_t *c, const bw_coap_msg_t *req,
                               uint8_t code, const char *why);

/* Remember a notification just sent (msg, len) with MID mid, if NON, so
 * that an RST answering it cancels the observation. */
void bw_lwm2m__client_remember_note(bw_lwm2m_client_t *c, uint16_t mid,
                                    uint16_t server, const uint8_t *msg,
                                    size_t len);

/* ---- schedule (lwm2m_client_retry.c) ---- */

/*
 * The request in flight on ch failed (err: BW_ETIMEOUT, BW_ERESET, a 4.xx
 * or 5.xx mapped by the caller, a channel error): count it, close ch and
 * schedule its retry, or go to bootstrap (see the top of
 * lwm2m_client.h for when).
 */
void bw_lwm2m__client_fail(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch, int err);

/* Delay before attempt number failures + 1 (failures >= 1), jittered. */
uint64_t bw_lwm2m__client_backoff(bw_lwm2m_client_t *c, uint32_t failures);

/* Enter BOOTSTRAPPING now (every channel closed; staged wiped). */
void bw_lwm2m__client_go_bootstrap(bw_lwm2m_client_t *c);

/* Enter REGISTERING with every usable DM server (one channel each), or
 * bootstrap when there is none. */
void bw_lwm2m__client_go_register(bw_lwm2m_client_t *c);

/* ch's server forgot our registration (an Update answered 4.04):
 * Register again at once, on the same channel if it is up. */
void bw_lwm2m__client_register_again(bw_lwm2m_client_t *c,
                                     bw_lwm2m__chan_t *ch);

/* ---- requests (lwm2m_client_reg.c; Finish in lwm2m_client_bs.c) ---- */

/* Build and send on ch the request its state asks for: kind
 * BW_LWM2M__REQ_BOOTSTRAP, _REGISTER, _UPDATE or _DEREGISTER.  0 or an
 * error (which the caller treats as a failure). */
int bw_lwm2m__client_send_reg(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                              uint8_t kind);

/* ---- Send (lwm2m_client_send.c) ---- */

/* Build and transmit the queued Send on its channel.  Failures to build
 * it end the Send (EV_SEND_FAILED), never the registration: always
 * returns 0. */
int bw_lwm2m__client_send_dp(bw_lwm2m_client_t *c);

/* The answer to the Send in flight. */
void bw_lwm2m__client_send_answer(bw_lwm2m_client_t *c,
                                  const bw_coap_msg_t *msg);

/* End the queued or in-flight Send, if any, with err (EV_SEND_FAILED). */
void bw_lwm2m__client_send_end(bw_lwm2m_client_t *c, int err);

/* The response to ch's request in flight. */
void bw_lwm2m__client_on_response(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                                  const bw_coap_msg_t *msg);

/*
 * Bootstrap-Finish (POST /bs) from the bootstrap server: builds the
 * answer into c->buf (*len its length) and returns 1 when the staged set
 * was saved and is now in use (2.04), 0 when it was refused (4.06 with
 * the reason), or save()'s error (5.00; the old set stays).
 */
int bw_lwm2m__client_bs_finish(bw_lwm2m_client_t *c, const bw_coap_msg_t *req,
                               size_t *len);

/* After the answer to a successful Finish went out: close, register. */
void bw_lwm2m__client_bs_done(bw_lwm2m_client_t *c);

/* Save c->set with the next generation; 0 or save()'s error. */
int bw_lwm2m__client_save(bw_lwm2m_client_t *c, const bw_lwm2m_servers_t *s);

/* ---- objects (lwm2m_set_object.c, lwm2m_acl_object.c) ---- */

/* Fill c->sec_obj and c->srv_obj / c->acl_obj (ctx = c). */
void bw_lwm2m__set_objects(bw_lwm2m_client_t *c);
void bw_lwm2m__acl_object(bw_lwm2m_client_t *c);

/* Install the client's access table in c->dm (lwm2m_acl.c). */
void bw_lwm2m__acl_table(bw_lwm2m_client_t *c);

/* The Server instance of ch's DM server in the set in use; a blank one
 * (not in use, lifetime 1, binding U) when it has none. */
const bw_lwm2m_server_t *bw_lwm2m__client_srv(const bw_lwm2m_client_t *c,
                                              const bw_lwm2m__chan_t *ch);

/* The set the objects act on: staged while bootstrapping, else in use. */
bw_lwm2m_servers_t *bw_lwm2m__client_target(bw_lwm2m_client_t *c);

/* Defaults for a new instance. */
void bw_lwm2m__security_defaults(bw_lwm2m_security_t *e, uint16_t inst);
void bw_lwm2m__server_defaults(bw_lwm2m_server_t *e, uint16_t inst);

#endif /* BW_LWM2M_CLIENT_INT_H */
