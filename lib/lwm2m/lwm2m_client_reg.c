/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registration interface, client side (OMA LwM2M 1.1 Core 6.2, Transport
 * binding 6.2): the Register, Update and De-register requests and what
 * their answers do to the state machine (drawn in lwm2m_client.c).
 *
 *   Register    CON POST /rd?ep={name}&lt={s}&lwm2m=1.1&b={U|UQ}
 *               Content-Format 40, the object links as payload.
 *               2.01 Created + Location-Path ("/rd/5a3f") -> REGISTERED.
 *   Update      CON POST {location}[?lt=..][&b=..], lt and b only when
 *               they differ from what the server last heard, the links
 *               only when objects were added or removed.  2.04 -> stay;
 *               4.04 -> the server forgot us: Register again at once.
 *   De-register CON DELETE {location}.  Any answer -> STOPPED.
 *
 * The Bootstrap-Request (CON POST /bs?ep={name}, lwm2m_client_bs.c) is
 * built by the same function as these three.
 *
 * Updates fall due at 90% of the lifetime after the last success, so one
 * retransmission cycle (about 93 s with the default CoAP parameters)
 * still lands before a lifetime of 15 minutes or more runs out.
 */
#include "bw_mem.h"
#include "lwm2m_client_int.h"
#include "lwm2m_int.h"

/* Longest Uri-Query built here: "ep=" and the endpoint name. */
#define QUERY_MAX (3 + BW_LWM2M_ENDPOINT_MAX)

/* Per mille of the lifetime after which the Update is sent. */
#define UPDATE_AT_PERMILLE 900u

static void add_query(bw_coap_writer_t *w, const char *key, const char *val,
                      size_t n)
{
    char q[QUERY_MAX];
    size_t k = bw__strnlen(key, sizeof q);
    if (k + n > sizeof q) {
        w->err = w->err != 0 ? w->err : BW_ENOSPC;
        return;
    }
    bw__copy(q, key, k);
    bw__copy(q + k, val, n);
    bw_coap_writer_add_opt(w, BW_COAP_OPT_URI_QUERY, q, k + n);
}

static void add_query_u32(bw_coap_writer_t *w, const char *key, uint32_t v)
{
    char num[BW_LWM2M__U64_DIGITS];
    add_query(w, key, num, bw_lwm2m__fmt_u64(v, num));
}

static void begin(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                  bw_coap_writer_t *w, uint8_t code)
{
    uint8_t tok[4];
    (void)bw_coap_endpoint_token(BW_LWM2M__EP(c, ch), tok, sizeof tok);
    bw_coap_writer_init(w, c->buf, sizeof c->buf, BW_COAP_CON, code, 0, tok,
                        sizeof tok);
}

static void add_location(bw_coap_writer_t *w, const char *loc)
{
    size_t i = 0;
    while (loc[i] == '/') {
        size_t s = ++i;
        while (loc[i] != '\0' && loc[i] != '/')
            i++;
        bw_coap_writer_add_opt(w, BW_COAP_OPT_URI_PATH, loc + s, i - s);
    }
}

/*
 * Finish the message with the object links as payload (written straight
 * into the buffer after the payload marker, no copy).  *len: total.
 */
static int finish_with_links(bw_lwm2m_client_t *c, bw_coap_writer_t *w,
                             size_t *len)
{
    size_t n = 0, head;
    int err = bw_coap_writer_finish(w, &head);
    if (err != 0)
        return err;
    if (head + 1 >= sizeof c->buf)
        return BW_ENOSPC;
    err = bw_lwm2m_dm_links(&c->dm, (char *)c->buf + head + 1,
                            sizeof c->buf - head - 1, &n);
    if (err != 0)
        return err;
    if (n > 0) {
        c->buf[head] = 0xFF;
        head += 1 + n;
    }
    *len = head;
    return 0;
}

int bw_lwm2m__client_send_reg(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                              uint8_t kind)
{
    const bw_lwm2m_server_t *srv = bw_lwm2m__client_srv(c, ch);
    /* A Register carries everything, an Update what changed since, a
     * De-register nothing; a Bootstrap-Request only the name. */
    int bs = kind == BW_LWM2M__REQ_BOOTSTRAP;
    int reg = kind == BW_LWM2M__REQ_REGISTER;
    int upd = kind == BW_LWM2M__REQ_UPDATE;
    int lt = reg || (upd && srv->lifetime_s != ch->reg_lifetime);
    int b = reg || (upd && !bw__equal(srv->binding, ch->reg_binding,
                                      sizeof ch->reg_binding));
    int links = reg || (upd && ch->links);
    bw_coap_writer_t w;
    size_t len;
    int err;
    begin(c, ch, &w,
          kind == BW_LWM2M__REQ_DEREGISTER ? BW_COAP_DELETE : BW_COAP_POST);
    if (reg || bs)
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, bs ? "bs" : "rd", 2);
    else
        add_location(&w, ch->location);
    if (links)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                BW_COAP_FMT_LINK);
    if (reg || bs)
        add_query(&w, "ep=", c->endpoint,
                  bw__strnlen(c->endpoint, sizeof c->endpoint));
    if (lt)
        add_query_u32(&w, "lt=", srv->lifetime_s);
    if (reg)
        add_query(&w, "lwm2m=", "1.1", 3);
    if (b)
        add_query(&w, "b=", srv->binding, bw__strnlen(srv->binding, 4));
    if (links)
        err = finish_with_links(c, &w, &len);
    else
        err = bw_coap_writer_finish(&w, &len);
    if (err == 0)
        err = bw_lwm2m__client_request(c, ch, len, kind);
    if (err != 0)
        return err;
    if (bs) {
        /* The bootstrap server writes over a copy of the set in use. */
        bw__copy(&c->staged, &c->set, sizeof c->staged);
        c->deadline_ms = c->now + c->cfg.bootstrap_timeout_ms;
        return 0;
    }
    ch->reg_lifetime = srv->lifetime_s;
    bw__copy(ch->reg_binding, srv->binding, sizeof ch->reg_binding);
    ch->links = 0;
    ch->update_now = 0;
    /* Not due again before the answer says how it went. */
    ch->update_ms = UINT64_MAX;
    return 0;
}

/*
 * Location-Path options of a 2.01 as "/seg/seg" into ch->location.
 * Segments must be non-empty and free of '/' and NUL (we split on '/'
 * to send them back).  Returns 0, BW_EMALFORMED or BW_EOVERFLOW.
 */
static int take_location(bw_lwm2m__chan_t *ch, const bw_coap_msg_t *msg)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    size_t n = 0;
    bw_coap_opt_iter_init(&it, msg);
    while (bw_coap_opt_next(&it, &opt)) {
        if (opt.number != BW_COAP_OPT_LOCATION_PATH)
            continue;
        if (opt.len == 0)
            return BW_EMALFORMED;
        if (n + 1 + opt.len >= sizeof ch->location)
            return BW_EOVERFLOW;
        for (size_t i = 0; i < opt.len; i++)
            if (opt.value[i] == '/' || opt.value[i] == '\0')
                return BW_EMALFORMED;
        ch->location[n++] = '/';
        bw__copy(ch->location + n, opt.value, opt.len);
        n += opt.len;
    }
    ch->location[n] = '\0';
    return n > 0 ? 0 : BW_EMALFORMED;
}

static void registered(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                       bw_lwm2m_event_t ev)
{
    ch->failures = 0;
    ch->update_ms = c->now + (uint64_t)ch->reg_lifetime * UPDATE_AT_PERMILLE;
    ch->notify_ms = c->now;
    ch->last_exchange_ms = c->now;
    ch->st = BW_LWM2M__CH_ON;
    bw_lwm2m__client_settle(c);
    bw_lwm2m__client_emit(c, ev);
}

/* The CoAP answer as a failure reason (only EAUTH/ECERT matter to the
 * schedule; the rest is for whoever traces it). */
static int code_err(uint8_t code)
{
    if (code == BW_COAP_UNAUTHORIZED || code == BW_COAP_FORBIDDEN)
        return BW_EKEY;
    return BW_COAP_CODE_CLASS(code) == 5 ? BW_EBUSY : BW_EUNSUPPORTED;
}

void bw_lwm2m__client_on_response(bw_lwm2m_client_t *c, bw_lwm2m__chan_t *ch,
                                  const bw_coap_msg_t *msg)
{
    uint8_t kind = ch->pending;
    int ok = BW_COAP_CODE_CLASS(msg->code) == 2;
    bw_lwm2m_event_t ev = BW_LWM2M_EV_REGISTERED;
    ch->pending = BW_LWM2M__REQ_NONE;
    switch (kind) {
    case BW_LWM2M__REQ_BOOTSTRAP:
        /* 2.04: the server's writes follow, Finish ends it (or the
         * deadline set when the request went out). */
        if (!ok)
            bw_lwm2m__client_fail(c, ch, code_err(msg->code));
        return;
    case BW_LWM2M__REQ_REGISTER: {
        int err = msg->code == BW_COAP_CREATED ? take_location(ch, msg)
                                               : code_err(msg->code);
        if (err != 0) {
            ch->location[0] = '\0';
            bw_lwm2m__client_fail(c, ch, err);
            return;
        }
        break;
    }
    case BW_LWM2M__REQ_UPDATE:
        if (msg->code == BW_COAP_NOT_FOUND) {
            bw_lwm2m__client_register_again(c, ch);
            return;
        }
        if (!ok) {
            bw_lwm2m__client_fail(c, ch, code_err(msg->code));
            return;
        }
        ev = BW_LWM2M_EV_UPDATED;
        break;
    case BW_LWM2M__REQ_SEND:
        bw_lwm2m__client_send_answer(c, msg);
        return;
    case BW_LWM2M__REQ_DEREGISTER:
        bw_lwm2m__client_close(c, ch);
        ch->location[0] = '\0';
        ch->st = BW_LWM2M__CH_OFF;
        bw_lwm2m__client_settle(c);
        if (ok)
            bw_lwm2m__client_emit(c, BW_LWM2M_EV_DEREGISTERED);
        return;
    default:
        return;
    }
    /* 2.01 to a Register, 2.xx to an Update. */
    registered(c, ch, ev);
}
