/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What comes in from the server, sorted: the CoAP endpoint classifies the
 * datagram (lib/coap/coap_endpoint_input.c), then
 *
 *   a request     BOOTSTRAPPING: Bootstrap-Finish (POST /bs) is ours
 *                 (lwm2m_client_bs.c); anything else goes to
 *                 bw_lwm2m_dm_handle on the bootstrap interface.
 *                 A channel registered (or De-registering):
 *                 bw_lwm2m_dm_handle on the DM interface, as the SSID
 *                 of that channel's server.
 *                 Otherwise there is no server to act for: 5.03.
 *   a response    to the request in flight: lwm2m_client_reg.c.
 *   a failure     (RST to our CON): the request failed, or an
 *                 observation ends.
 *   an RST the endpoint cannot place (it answers a NON notification,
 *                 which opened no exchange): looked up among the NON
 *                 notifications sent recently, and that observation ends.
 *   anything else is dropped and counted.
 *
 * Every answer goes out through bw_coap_endpoint_respond, which turns it
 * into the piggybacked ACK (and keeps it for duplicates).  Events posted
 * by handlers (Reboot, Factory Reset) are reported only after that.
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"

void bw_lwm2m__client_remember_note(bw_lwm2m_client_t *c, uint16_t mid,
                                    uint16_t server, const uint8_t *msg,
                                    size_t len)
{
    /* msg is the notification just built (RFC 7252 section 3: version,
     * type and token length in the first byte, the token after the
     * 4-byte header): read there, not parsed again. */
    size_t tkl = msg[0] & 0x0F;
    if (len < 4 + tkl || ((msg[0] >> 4) & 3) != BW_COAP_NON || tkl == 0 ||
        tkl > sizeof c->notes[0].token)
        return;
    bw_lwm2m_sent_note_t *n = &c->notes[c->note_next];
    c->note_next = (uint8_t)((c->note_next + 1) % BW_LWM2M_NON_NOTIFY_MEMORY);
    n->mid = mid;
    n->server = server;
    n->token_len = (uint8_t)tkl;
    bw__copy(n->token, msg + 4, tkl);
}

/* An RST nothing else claimed: does it answer a NON notification sent
 * to that server (message IDs are per channel)?  The endpoint parsed
 * the datagram before it found nothing of ours it answers (BW_ESTALE),
 * so the 4-byte header is there to read. */
static void rst_to_note(bw_lwm2m_client_t *c, uint16_t ssid,
                        const uint8_t *data)
{
    uint16_t mid = (uint16_t)(data[2] << 8 | data[3]);
    if (((data[0] >> 4) & 3) != BW_COAP_RST || data[1] != BW_COAP_EMPTY)
        return;
    /* At most one note matches: MIDs are unique per channel among the
     * few remembered (a loop that stops there, not unrolled). */
    bw_lwm2m_sent_note_t *n = c->notes;
    while (n->token_len == 0 || n->mid != mid || n->server != ssid)
        if (++n == c->notes + BW_LWM2M_NON_NOTIFY_MEMORY)
            return;
    bw_lwm2m_dm_cancel_token(&c->dm, n->server, n->token, n->token_len);
    bw__zero(n, sizeof *n);
}

static int is_finish(const bw_coap_msg_t *msg)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    int segs = 0, bs = 0;
    if (msg->code != BW_COAP_POST)
        return 0;
    bw_coap_opt_iter_init(&it, msg);
    while (bw_coap_opt_next(&it, &opt))
        if (opt.number == BW_COAP_OPT_URI_PATH) {
            segs++;
            bs = opt.len == 2 && opt.value[0] == 'b' && opt.value[1] == 's';
        }
    return segs == 1 && bs;
}

size_t bw_lwm2m__client_answer(bw_lwm2m_client_t *c, const bw_coap_msg_t *req,
                               uint8_t code, const char *why)
{
    bw_coap_writer_t w;
    size_t len = 0;
    bw_coap_writer_init(&w, c->buf, sizeof c->buf, BW_COAP_ACK, code, 0,
                        req->token, req->token_len);
    if (why != NULL && why[0] != '\0') {
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                BW_COAP_FMT_TEXT);
        bw_coap_writer_payload(&w, why, bw__strnlen(why, sizeof c->buf));
    }
    (void)bw_coap_writer_finish(&w, &len);
    return len;
}

static void respond(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                    const bw_coap_endpoint_event_t *ev, size_t len)
{
    if (len > 0 && bw_coap_endpoint_respond(BW_LWM2M__EP(c, ch), c->now, ev,
                                            c->buf, len) == 0)
        bw_lwm2m__client_tx(c, ch, c->buf, len);
}

static void handle_request(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                           const bw_coap_endpoint_event_t *ev)
{
    bw_lwm2m_iface_t iface = BW_LWM2M_IFACE_DM;
    uint16_t ssid = 0;
    uint8_t code = 0;
    size_t len = 0;
    if (c->state == BW_LWM2M_STATE_BOOTSTRAPPING) {
        if (is_finish(&ev->msg)) {
            int r = bw_lwm2m__client_bs_finish(c, &ev->msg, &len);
            respond(c, ch, ev, len);
            if (r == 1)
                bw_lwm2m__client_bs_done(c);
            else if (r < 0)
                bw_lwm2m__client_fail(c, ch, r);
            return;
        }
        iface = BW_LWM2M_IFACE_BOOTSTRAP;
    } else if (ch->st == BW_LWM2M__CH_ON || ch->st == BW_LWM2M__CH_BYE) {
        ssid = bw_lwm2m__ch_ssid(c, ch);
    } else {
        code = BW_COAP_SERVICE_UNAVAILABLE; /* no server to act for */
    }
    if (code == 0 && bw_lwm2m_dm_handle(&c->dm, c->now, iface, ssid, &ev->msg,
                                        c->buf, sizeof c->buf, &len) != 0)
        code = BW_COAP_INTERNAL_ERROR;
    if (code != 0)
        len = bw_lwm2m__client_answer(c, &ev->msg, code, NULL);
    respond(c, ch, ev, len);
}

int bw_lwm2m_client_input(bw_lwm2m_client_t *c, unsigned chan, uint64_t now,
                          const uint8_t *data, size_t len)
{
    bw_coap_endpoint_event_t ev;
    const uint8_t *tx;
    size_t tx_len;

    if (c == NULL || (data == NULL && len > 0))
        return BW_EINVAL;
    c->now = now;
    bw_lwm2m__chan_t *ch =
        BW_LWM2M__CH_AT(c, chan < BW_LWM2M_MAX_SERVERS ? chan : 0);
    if (chan >= BW_LWM2M_MAX_SERVERS || c->state == BW_LWM2M_STATE_IDLE ||
        c->state == BW_LWM2M_STATE_STOPPED || !ch->channel_open ||
        bw_coap_endpoint_input(BW_LWM2M__EP(c, ch), now, BW_LWM2M__PEER,
                               BW_LWM2M__PEER_LEN, data, len, &ev) != 0) {
        c->dropped++;
        return 0;
    }
    ch->last_exchange_ms = now;
    if (ev.tx_len > 0)
        bw_lwm2m__client_tx(c, ch, ev.tx, ev.tx_len);
    /* Counted as dropped: a response to nothing in flight, and what the
     * endpoint refused or could not match. */
    uint32_t drop = 1;
    switch (ev.kind) {
    case BW_COAP_ENDPOINT_EV_REQUEST:
        drop = 0;
        handle_request(c, ch, &ev);
        break;
    case BW_COAP_ENDPOINT_EV_RESPONSE:
        if (ch->pending != BW_LWM2M__REQ_NONE && ev.mid == ch->pending_mid) {
            drop = 0;
            bw_lwm2m__client_on_response(c, ch, &ev.msg);
        }
        break;
    case BW_COAP_ENDPOINT_EV_FAILED:
        drop = 0;
        bw_lwm2m__client_failed(c, ch, &ev);
        break;
    case BW_COAP_ENDPOINT_EV_UNMATCHED:
        /* We observe nothing: a response to no request is refused. */
        if (bw_coap_endpoint_reject(BW_LWM2M__EP(c, ch), now, &ev, &tx,
                                    &tx_len) == 0 &&
            tx_len > 0)
            bw_lwm2m__client_tx(c, ch, tx, tx_len);
        break;
    case BW_COAP_ENDPOINT_EV_REJECTED:
        if (ev.err == BW_ESTALE)
            rst_to_note(c, bw_lwm2m__ch_ssid(c, ch), data);
        break;
    default:
        drop = 0;
        break;
    }
    c->dropped += drop;
    bw_lwm2m__client_flush_events(c);
    return 0;
}
