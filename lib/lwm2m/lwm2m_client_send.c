/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Send, client side (OMA LwM2M 1.1 Core, Information Reporting interface,
 * "Send"; Transport: CON POST /dp, 2.04 Changed): the application names
 * the paths, the client reads them as a DM Read would and reports them in
 * SenML CBOR.  The contract is in include/bulwark/lwm2m_client.h.
 *
 * Life of one Send (c->send.state):
 *
 *   IDLE --send()--> QUEUED --step: REGISTERED, channel open,
 *                      |        nothing in flight--> SENT --2.04--> IDLE
 *                      |                               |   (EV_SEND_DONE)
 *                      +--channel closed, stop()-------+--error, timeout,
 *                         (EV_SEND_FAILED, ECLOSED)        RST--> IDLE
 *                                                          (EV_SEND_FAILED)
 *
 * The step loop (lwm2m_client.c) asks for the Send once an Update that is
 * due has gone, and never while another request of ours is in flight.
 *
 * The payload is built straight into c->buf behind the CoAP head, with
 * no copy of the values: each path is produced by the DM Read producer
 * (lwm2m_dm_read.c) in SenML CBOR, which writes its own array head; the
 * heads are cut out as the records are packed together, and one array
 * head for all of them goes in front at the end.  The first record's map
 * also gets the base time (bt, label -3) when the application gave a
 * wall clock:
 *
 *   before:  | reserve (RESERVE) | A(k1) M(2){0:n 2:v} .. | A(k2) M .. |
 *   packed:  | reserve (RESERVE) | M(2){..} .. M .. |
 *   final:   | A(k1+k2) M(3){-3:bt 0:n 2:v} .. M .. |
 *
 * Names are full paths (no bn): the server never has to resolve a base
 * name against a path it did not ask for.
 *
 * Send is an optional feature (bw_lwm2m_feature_send): the client calls
 * this file only through its profile, so a device without it does not
 * link it.
 */
#include "bulwark/cbor.h"
#include "bulwark/lwm2m_senml.h"
#include "bw_mem.h"
#include "lwm2m_client_int.h"
#include "lwm2m_int.h"

/* The final array head (at most BW_CBOR_MAX_HEAD_LEN), the bt label and
 * its value (a double: 9 bytes), less the first map head they replace. */
#define RESERVE (BW_CBOR_MAX_HEAD_LEN + 1 + 9 - 1)

/* SenML CBOR label of the base time (RFC 8428 section 6). */
#define SENML_BT 0x22 /* -3 */

/* The Send's channel and its server's SSID. */
static bw_lwm2m__chan_t *send_chan(bw_lwm2m_client_t *c)
{
    return BW_LWM2M__CH_AT(c, c->send.chan);
}

static int muted(const bw_lwm2m_client_t *c, const bw_lwm2m__chan_t *ch)
{
    return bw_lwm2m__client_srv(c, ch)->mute_send;
}

/* Whether path can be read for the Send's server: the checks of a DM
 * Read (lwm2m_dm_get.c), as error codes rather than response codes. */
static int check_path(bw_lwm2m_client_t *c, const bw_lwm2m_path_t *p)
{
    if (bw_lwm2m_path_check(p) != 0 || p->depth == BW_LWM2M_DEPTH_ROOT)
        return BW_EPATH;
    bw_lwm2m_object_t *o = bw_lwm2m_dm_object(&c->dm, p->id[0]);
    /* The Security object holds keys: never reported. */
    if (o == NULL || p->id[0] == 0)
        return BW_ENOTFOUND;
    if (o->ops == NULL || o->ops->read == NULL)
        return BW_EUNSUPPORTED;
    if (p->depth >= BW_LWM2M_DEPTH_INSTANCE) {
        int err = bw_lwm2m__dm_has_inst(o, p->id[1]);
        if (err != 0)
            return err;
        if (!bw_lwm2m__dm_visible(&c->dm, BW_LWM2M_IFACE_DM,
                                  bw_lwm2m__ch_ssid(c, send_chan(c)), p->id[0],
                                  p->id[1]))
            return BW_ENOTFOUND;
    }
    if (p->depth >= BW_LWM2M_DEPTH_RESOURCE) {
        const bw_lwm2m_res_def_t *def = bw_lwm2m_object_res(o, p->id[2]);
        if (def == NULL ||
            (p->depth == BW_LWM2M_DEPTH_RES_INST && !def->multiple))
            return BW_ENOTFOUND;
        if (!(def->ops & BW_LWM2M_OP_R) || def->type == BW_LWM2M_TYPE_NONE)
            return BW_EUNSUPPORTED;
    }
    return 0;
}

/* bw_lwm2m_client_send() with the Send feature (arguments checked). */
static int send_queue(bw_lwm2m_client_t *c, const bw_lwm2m_path_t *paths,
                      size_t n, uint64_t now, int64_t time_ms)
{
    int err = BW_ESTATE;
    if (c->send.state != BW_LWM2M__SEND_IDLE)
        return c->state == BW_LWM2M_STATE_REGISTERED ? BW_EBUSY : BW_ESTATE;
    /* The first registered server that takes Sends. */
    BW_LWM2M__FOR_CH(c, ch)
    if (err != 0 && ch->st == BW_LWM2M__CH_ON &&
        c->state == BW_LWM2M_STATE_REGISTERED) {
        err = muted(c, ch) ? BW_EMUTED : 0;
        if (err == 0)
            c->send.chan = (uint8_t)BW_LWM2M__CH_NUM(c, ch);
    }
    if (err != 0)
        return err;
    for (size_t i = 0; i < n; i++) {
        err = check_path(c, &paths[i]);
        if (err != 0)
            return err;
    }
    bw__copy(c->send.paths, paths, n * sizeof paths[0]);
    c->send.n = (uint8_t)n;
    c->send.time_ms = time_ms;
    c->send.queued_ms = now;
    c->send.state = BW_LWM2M__SEND_QUEUED;
    return 0;
}

int bw_lwm2m_client_send_result(const bw_lwm2m_client_t *c, uint8_t *code)
{
    if (code != NULL)
        *code = 0;
    if (c == NULL)
        return BW_EINVAL;
    if (code != NULL)
        *code = c->send.code;
    return c->send.err;
}

void bw_lwm2m__client_send_end(bw_lwm2m_client_t *c, int err)
{
    if (c->send.state == BW_LWM2M__SEND_IDLE)
        return;
    c->send.state = BW_LWM2M__SEND_IDLE;
    c->send.err = err;
    bw_lwm2m__client_emit(c, err == 0 ? BW_LWM2M_EV_SEND_DONE
                                      : BW_LWM2M_EV_SEND_FAILED);
}

/* Length of the CBOR array head at p (n bytes) and its count; 0 when it
 * is not one (the producer wrote something else: our bug). */
static size_t array_head(const uint8_t *p, size_t n, uint64_t *count)
{
    static const uint8_t extra[4] = {1, 2, 4, 8};
    if (n == 0 || (p[0] >> 5) != 4)
        return 0;
    uint8_t ai = p[0] & 0x1f;
    if (ai < 24) {
        *count = ai;
        return 1;
    }
    if (ai > 27 || n < 1u + extra[ai - 24])
        return 0;
    *count = 0;
    for (size_t i = 0; i < extra[ai - 24]; i++)
        *count = (*count << 8) | p[1 + i];
    return 1u + extra[ai - 24];
}

/* The records of one path, packed at rec (room bytes free); *used and
 * *count grow by what was added. */
static int pack_path(bw_lwm2m_client_t *c, const bw_lwm2m_path_t *p,
                     uint8_t *rec, size_t room, size_t *used, uint64_t *count)
{
    bw_lwm2m__gen_t g;
    uint64_t k = 0;
    int err = check_path(c, p);
    if (err != 0)
        return err;
    bw__zero(&g, sizeof g);
    g.produce = bw_lwm2m__produce_read;
    g.dm = &c->dm;
    g.obj = bw_lwm2m_dm_object(&c->dm, p->id[0]);
    g.path = *p;
    g.format = BW_COAP_FMT_SENML_CBOR;
    g.codec = &bw_lwm2m_codec_senml_cbor;
    g.server = bw_lwm2m__ch_ssid(c, send_chan(c));
    g.iface = BW_LWM2M_IFACE_DM;
    g.dst = rec + *used;
    g.len = room - *used;
    err = bw_lwm2m__produce_read(&g);
    if (err != 0)
        return err;
    if (g.pos > room - *used)
        return BW_ENOSPC;
    size_t h = array_head(g.dst, g.pos, &k);
    if (h == 0)
        return BW_EMALFORMED;
    bw__move_down(g.dst, g.dst + h, g.pos - h);
    *used += g.pos - h;
    *count += k;
    return 0;
}

/*
 * The pack for the queued paths into out (cap bytes); *len its length.
 * Returns 0, or BW_ENOSPC, BW_ENOTFOUND (nothing to report), a read
 * handler's error.
 */
static int build_pack(bw_lwm2m_client_t *c, uint8_t *out, size_t cap,
                      size_t *len)
{
    uint8_t *rec = out + RESERVE;
    uint8_t head[RESERVE + 1];
    size_t used = 0, hlen = 0, skip = 0;
    uint64_t count = 0;
    bw_cbor_writer_t w;
    int err = 0;

    if (cap <= RESERVE)
        return BW_ENOSPC;
    for (size_t i = 0; err == 0 && i < c->send.n; i++)
        err =
            pack_path(c, &c->send.paths[i], rec, cap - RESERVE, &used, &count);
    if (err != 0)
        return err;
    if (count == 0)
        return BW_ENOTFOUND; /* e.g. an object with no instance */
    bw_cbor_writer_init(&w, head, sizeof head);
    bw_cbor_write_array(&w, count);
    /* A record map has a name and one value: its head is one byte. */
    if (c->send.time_ms != 0 && rec[0] >= 0xA0 && rec[0] < 0xB7) {
        int64_t t = c->send.time_ms + (int64_t)(c->now - c->send.queued_ms);
        bw_cbor_write_raw(&w, (uint8_t[]){(uint8_t)(rec[0] + 1), SENML_BT}, 2);
        if (t % 1000 == 0)
            bw_cbor_write_int(&w, t / 1000);
        else
            bw_cbor_write_double(&w, (double)t / 1000.0);
        skip = 1; /* the old map head */
    }
    if (bw_cbor_writer_finish(&w, &hlen) != 0 || hlen > RESERVE + skip)
        return BW_ENOSPC;
    /* The records (minus the map head it replaced) down behind the head:
     * hlen <= RESERVE + skip, so they only ever move towards out. */
    bw__move_down(out + hlen, rec + skip, used - skip);
    bw__copy(out, head, hlen);
    *len = hlen + used - skip;
    return 0;
}

static int send_dp(bw_lwm2m_client_t *c)
{
    bw_coap_writer_t w;
    uint8_t tok[4];
    size_t head = 0, plen = 0;
    int err;

    if (muted(c, send_chan(c))) {
        bw_lwm2m__client_send_end(c, BW_EMUTED);
        return 0;
    }
    (void)bw_coap_endpoint_token(BW_LWM2M__EP(c, send_chan(c)), tok,
                                 sizeof tok);
    bw_coap_writer_init(&w, c->buf, sizeof c->buf, BW_COAP_CON, BW_COAP_POST, 0,
                        tok, sizeof tok);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "dp", 2);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                            BW_COAP_FMT_SENML_CBOR);
    err = bw_coap_writer_finish(&w, &head);
    if (err == 0 && head + 1 >= sizeof c->buf)
        err = BW_ENOSPC;
    if (err == 0)
        err = build_pack(c, c->buf + head + 1, sizeof c->buf - head - 1, &plen);
    if (err == 0) {
        c->buf[head] = 0xFF;
        err = bw_lwm2m__client_request(c, send_chan(c), head + 1 + plen,
                                       BW_LWM2M__REQ_SEND);
    }
    if (err != 0) {
        bw_lwm2m__client_send_end(c, err);
        return 0;
    }
    c->send.state = BW_LWM2M__SEND_SENT;
    c->send.code = 0;
    return 0;
}

/* The CoAP error code as the result (see bw_lwm2m_client_send_result). */
static int answer_err(uint8_t code)
{
    switch (code) {
    case BW_COAP_BAD_REQUEST:
        return BW_EMALFORMED;
    case BW_COAP_NOT_FOUND:
        return BW_ENOTFOUND;
    case BW_COAP_REQUEST_TOO_LARGE:
        return BW_EOVERFLOW;
    case BW_COAP_UNSUPPORTED_FORMAT:
        return BW_EFORMAT;
    case BW_COAP_UNAUTHORIZED:
    case BW_COAP_FORBIDDEN:
        return BW_EKEY;
    default:
        return BW_COAP_CODE_CLASS(code) == 5 ? BW_EBUSY : BW_EUNSUPPORTED;
    }
}

static void send_answer(bw_lwm2m_client_t *c, const bw_coap_msg_t *msg)
{
    c->send.code = msg->code;
    /* 2.04 is the answer the specification names; another success code
     * still says the server took the values. */
    if (BW_COAP_CODE_CLASS(msg->code) == 2) {
        bw_lwm2m__client_send_end(c, 0);
        return;
    }
    /* 4.04: the server may have lost our registration; an Update tells
     * (answered 4.04 itself, it registers again). */
    if (msg->code == BW_COAP_NOT_FOUND)
        send_chan(c)->update_now = 1;
    bw_lwm2m__client_send_end(c, answer_err(msg->code));
}

const bw_lwm2m_feature_t bw_lwm2m_feature_send = {
    .queue = send_queue,
    .dp = send_dp,
    .answer = send_answer,
};
