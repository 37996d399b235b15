/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /counter: a value that ticks, served to observers (RFC 7641) through
 * lib/coap's observer registry.  The registry decides sequence numbers and
 * CON or NON for each notification; the endpoint sends, retransmits and
 * reports what became of each CON; this file connects the two and keeps
 * what only the application knows: each observer's address and the
 * message ID of its last notification, to match an RST to a NON one.
 */
#include <stdio.h>
#include <string.h>

#include "demo.h"

/* The registry's key for /counter (the only observable resource). */
#define DEMO_RES_COUNTER 1u

void demo_observe_init(demo_t *d)
{
    bw_coap_obs_init(&d->obs, d->obs_slots, DEMO_MAX_OBSERVERS, 0, 0);
}

static size_t counter_text(const demo_t *d, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%llu", (unsigned long long)d->counter);
    return n < 0 ? 0 : (size_t)n;
}

void demo_observe_get(demo_t *d, const bw_coap_endpoint_event_t *req,
                      uint64_t now)
{
    uint8_t buf[DEMO_MAX_DATAGRAM];
    char text[24];
    size_t tlen = counter_text(d, text, sizeof text);
    bw_coap_writer_t w;
    uint32_t obs;
    int observing = 0;

    if (bw_coap_msg_uint(&req->msg, BW_COAP_OPT_OBSERVE, &obs) == 0) {
        if (obs == BW_COAP_OBS_REGISTER) {
            size_t i;
            uint32_t seq;
            int err = bw_coap_obs_register(&d->obs, req->peer.addr,
                                           req->peer.len, req->token,
                                           req->token_len, DEMO_RES_COUNTER,
                                           now, &i, &seq);
            if (err == 0) {
                bw_coap_obs_note_t note = {.type = BW_COAP_ACK,
                                           .observe = seq};
                d->obs_peer[i] = req->peer;
                bw_coap_obs_write(&d->obs, i, &note, BW_COAP_CONTENT, 0,
                                  NULL, 0, &w, buf, sizeof buf);
                observing = 1;
                demo_log(d, "observe: registered observer %zu of /counter", i);
            } else {
                /* Section 4.1: no room means a plain answer, no Observe. */
                demo_log(d, "observe: cannot register: %s", bw_strerror(err));
            }
        } else if (obs == BW_COAP_OBS_DEREGISTER) {
            if (bw_coap_obs_deregister(&d->obs, req->peer.addr, req->peer.len,
                                       req->token, req->token_len) == 0)
                demo_log(d, "observe: observer deregistered (Observe: 1)");
        }
    }
    if (!observing)
        demo_reply_start(&w, buf, sizeof buf, req, BW_COAP_CONTENT);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, BW_COAP_FMT_TEXT);
    bw_coap_writer_payload(&w, text, tlen);
    demo_reply_send(d, &w, req, now);
}

void demo_observe_notify(demo_t *d, uint64_t now)
{
    char text[24];
    size_t tlen = counter_text(d, text, sizeof text);

    for (size_t i = 0; bw_coap_obs_next(&d->obs, DEMO_RES_COUNTER, &i) == 0;
         i++) {
        uint8_t buf[DEMO_MAX_DATAGRAM];
        bw_coap_writer_t w;
        bw_coap_obs_note_t note;
        size_t len;
        uint16_t mid;

        if (bw_coap_obs_notify(&d->obs, i, now, 0, &note) != 0)
            continue;
        bw_coap_obs_write(&d->obs, i, &note, BW_COAP_CONTENT, 0, NULL, 0, &w,
                          buf, sizeof buf);
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                BW_COAP_FMT_TEXT);
        bw_coap_writer_payload(&w, text, tlen);
        int err = bw_coap_writer_finish(&w, &len);
        if (err == 0)
            err = bw_coap_endpoint_send(&d->ep, now, d->obs_peer[i].addr,
                                        d->obs_peer[i].len, buf, len, &mid);
        if (err != 0) {
            /* Exchange slots full of unacknowledged CONs: skip this one;
             * the next tick carries a newer value anyway. */
            demo_log(d, "observe: notification to %zu skipped: %s", i,
                     bw_strerror(err));
            continue;
        }
        d->obs_last_mid[i] = mid;
        demo_transmit(d, &d->obs_peer[i], buf, len);
    }
}

/* An RST the endpoint could not match: it may answer a NON notification. */
void demo_observe_reset(demo_t *d, const bw_coap_peer_t *peer,
                        const uint8_t *buf, size_t len)
{
    bw_coap_msg_t m;
    if (bw_coap_parse(&m, buf, len) != 0 || m.type != BW_COAP_RST)
        return;
    for (size_t i = 0; i < DEMO_MAX_OBSERVERS; i++) {
        if (bw_coap_obs_next(&d->obs, DEMO_RES_COUNTER, &i) != 0)
            break;
        if (d->obs_last_mid[i] == m.mid && d->obs_peer[i].len == peer->len &&
            memcmp(d->obs_peer[i].addr, peer->addr, peer->len) == 0) {
            bw_coap_obs_remove(&d->obs, i);
            demo_log(d, "observe: observer %zu removed (RST)", i);
            return;
        }
    }
}

/* A CON notification was reset or never acknowledged (section 4.5). */
void demo_observe_failed(demo_t *d, const bw_coap_endpoint_event_t *ev)
{
    if (bw_coap_obs_deregister(&d->obs, ev->peer.addr, ev->peer.len,
                               ev->token, ev->token_len) == 0)
        demo_log(d, "observe: observer removed (%s)", bw_strerror(ev->err));
}
