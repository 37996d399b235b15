/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Notifications, on the device's DTLS worker (contract in lwm2m_srv.h,
 * "Observe").  In order:
 *
 *   not a response with an 8-byte token, or an ACK   not ours (0)
 *   token of no live observation                     RST (a CON, or a NON
 *                                                    with Observe); else
 *                                                    not ours
 *   its endpoint no longer registered                RST, observation ends
 *   registered over another session                  RST (not this peer's)
 *   4.xx / 5.xx                                      ACK a CON, ends
 *   the message ID of the previous one               ACK a CON, not stored
 *   2.xx                                             ACK a CON, decoded and
 *                                                    queued for the store;
 *                                                    without Observe it was
 *                                                    the last one: ends
 *
 * A payload that does not decode, or a full queue, is counted as dropped
 * in the observation; the notification is still acknowledged (the device
 * did its part; a RST would end an observation over one bad value).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwm2m_observe_int.h"

/* Everything one notification needs, on the heap (a worker's stack stays
 * small). */
typedef struct {
    bw_lwsrv_obs_view_t obs;
    bw_lwsrv_regview_t reg;
    bw_lwsrv_sample_t v[BW_LWSRV_OBS_VALUES_MAX];
    uint8_t arena[BW_LWSRV_OBS_PAYLOAD_MAX];
} work_t;

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int same_peer(const bw_lwsrv_regview_t *r,
                     const bw_dtls_peer_info_t *peer)
{
    return r->addr_len == peer->addr_len &&
           memcmp(&r->addr, peer->addr, (size_t)peer->addr_len) == 0;
}

/* Decode and queue the values of an accepted 2.xx notification. */
static void keep(bw_lwsrv_t *s, work_t *wk, const bw_coap_msg_t *m, int64_t now)
{
    bw_lwsrv_obs_t *o = bw_lwsrv__obs(s);
    uint32_t cf = 0;
    size_t n = 0;
    if (bw_coap_msg_uint(m, BW_COAP_OPT_CONTENT_FORMAT, &cf) != 0)
        cf = wk->obs.content_format; /* the format of the first answer */
    int err = bw_lwsrv_obs_decode(cf, m->payload, m->payload_len, wk->obs.path,
                                  wk->reg.links, wk->reg.links_truncated, now,
                                  wk->v, BW_LWSRV_OBS_VALUES_MAX, &n, wk->arena,
                                  sizeof wk->arena, NULL);
    bw_lwsrv_obs_sink_t *k = bw_lwsrv__sink(s);
    if (err == 0 && k != NULL)
        err = bw_lwsrv_obs_sink_put(k, wk->obs.ep, wk->v, n, now);
    if (err != 0)
        bw_lwsrv_obs_dropped(o, wk->obs.token);
}

int bw_lwsrv__notification(bw_lwsrv_t *s, bw_dtls_worker_t *w,
                           const bw_dtls_peer_info_t *peer,
                           const bw_coap_msg_t *m)
{
    uint32_t seq;
    int has_obs = bw_coap_msg_uint(m, BW_COAP_OPT_OBSERVE, &seq) == 0;
    uint8_t cls = BW_COAP_CODE_CLASS(m->code);
    if (m->code == 0 || cls < 2 || m->type == BW_COAP_ACK ||
        m->type == BW_COAP_RST)
        return 0;
    int reject = m->type == BW_COAP_CON || has_obs;
    if (m->token_len != BW_LWSRV_OBS_TOKEN_LEN) {
        if (reject)
            bw_lwsrv__send_empty(s, w, peer, BW_COAP_RST, m->mid);
        return reject;
    }
    bw_lwsrv_obs_t *o = bw_lwsrv__obs(s);
    work_t *wk = malloc(sizeof *wk);
    if (wk == NULL)
        return 1; /* dropped unanswered: a CON comes again */
    if (bw_lwsrv_obs_get(o, m->token, &wk->obs) != 0) {
        /* Nobody observes this (any more): the device stops (3.6). */
        if (reject)
            bw_lwsrv__send_empty(s, w, peer, BW_COAP_RST, m->mid);
        free(wk);
        return reject;
    }
    int64_t now = real_ms();
    int err =
        bw_lwsrv_registry_get(bw_lwsrv__registry(s), wk->obs.ep, &wk->reg);
    if (err != 0 || !same_peer(&wk->reg, peer)) {
        /* Gone: the observation with it.  Another session: not its. */
        if (err != 0)
            (void)bw_lwsrv_obs_take(o, m->token, NULL, 0, NULL, NULL);
        bw_lwsrv__send_empty(s, w, peer, BW_COAP_RST, m->mid);
        free(wk);
        return 1;
    }
    if (m->type == BW_COAP_CON)
        bw_lwsrv__send_empty(s, w, peer, BW_COAP_ACK, m->mid);
    if (cls != 2) {
        (void)bw_lwsrv_obs_take(o, m->token, NULL, 0, NULL, NULL);
        free(wk);
        return 1;
    }
    int dup = 0;
    if (bw_lwsrv_obs_note(o, m->token, m->mid, now, &dup) == 0 && !dup)
        keep(s, wk, m, now);
    if (!has_obs) /* a final response: the device no longer notifies */
        (void)bw_lwsrv_obs_take(o, m->token, NULL, 0, NULL, NULL);
    free(wk);
    return 1;
}
