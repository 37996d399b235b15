/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scripted LwM2M server of the client tests; see lwm2m_peer.h.
 */
#include "lwm2m_peer.h"

#include <string.h>

#include "testutil.h"

const uint8_t BW_PEER_PSK[16] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba,
                                 0xdc, 0xfe, 0x01, 0x23, 0x45, 0x67,
                                 0x89, 0xab, 0xcd, 0xef};

/* ---- the client's callbacks ------------------------------------------- */

static int cb_connect(void *arg, unsigned ch, const bw_lwm2m_security_t *sec,
                      uint64_t now)
{
    bw_lwm2m_peer_t *p = arg;
    (void)now;
    assert_true(ch < BW_LWM2M_MAX_SERVERS);
    assert_false(p->open & (1u << ch)); /* never opened twice */
    p->connects++;
    p->last_sec = *sec;
    p->last_ch = ch;
    if (p->connect_result == 0)
        p->open |= 1u << ch;
    return p->connect_result;
}

static int cb_send(void *arg, unsigned ch, const uint8_t *buf, size_t len)
{
    bw_lwm2m_peer_t *p = arg;
    assert_true(ch < BW_LWM2M_MAX_SERVERS);
    assert_true(p->open & (1u << ch));
    assert_true(len <= BW_LWM2M_DATAGRAM_MAX);
    assert_true(p->nsent - p->ntaken < BW_PEER_SLOTS);
    size_t slot = p->nsent % BW_PEER_SLOTS;
    memcpy(p->sent[slot], buf, len);
    p->sent_len[slot] = len;
    p->sent_ch[slot] = ch;
    p->nsent++;
    return 0;
}

static void cb_close(void *arg, unsigned ch)
{
    bw_lwm2m_peer_t *p = arg;
    assert_true(ch < BW_LWM2M_MAX_SERVERS);
    p->closes++;
    p->open &= ~(1u << ch);
}

static int cb_save(void *arg, const uint8_t *blob, size_t len)
{
    bw_lwm2m_peer_t *p = arg;
    p->saves++;
    if (p->save_result != 0)
        return p->save_result;
    assert_true(len <= sizeof p->store);
    memcpy(p->store, blob, len);
    p->store_len = len;
    p->has_store = 1;
    return 0;
}

static int cb_load(void *arg, uint8_t *blob, size_t cap, size_t *len)
{
    bw_lwm2m_peer_t *p = arg;
    p->loads++;
    if (p->load_result != 0)
        return p->load_result;
    if (!p->has_store)
        return BW_ENOTFOUND;
    assert_true(p->store_len <= cap);
    memcpy(blob, p->store, p->store_len);
    *len = p->store_len;
    return 0;
}

static void cb_event(void *arg, bw_lwm2m_event_t ev)
{
    bw_lwm2m_peer_t *p = arg;
    assert_true(p->nevents < BW_PEER_EVENTS);
    p->events[p->nevents++] = ev;
}

void bw_lwm2m_peer_init(bw_lwm2m_peer_t *p)
{
    memset(p, 0, sizeof *p);
    p->mid = 0x7000;
}

void bw_lwm2m_peer_config(bw_lwm2m_peer_t *p, bw_lwm2m_client_config_t *cfg,
                          const char *endpoint, const char *bootstrap_uri)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->endpoint = endpoint;
    cfg->bootstrap_uri = bootstrap_uri;
    cfg->connect = cb_connect;
    cfg->send = cb_send;
    cfg->close = cb_close;
    cfg->save = cb_save;
    cfg->load = cb_load;
    cfg->event = cb_event;
    cfg->arg = p;
}

/* ---- looking at what the client sent ----------------------------------- */

size_t bw_lwm2m_peer_pending(const bw_lwm2m_peer_t *p)
{
    return p->nsent - p->ntaken;
}

const uint8_t *bw_lwm2m_peer_take(bw_lwm2m_peer_t *p, bw_coap_msg_t *msg)
{
    assert_true(bw_lwm2m_peer_pending(p) > 0);
    size_t slot = p->ntaken % BW_PEER_SLOTS;
    p->ntaken++;
    p->taken_ch = p->sent_ch[slot];
    assert_int_equal(bw_coap_parse(msg, p->sent[slot], p->sent_len[slot]), 0);
    return p->sent[slot];
}

size_t bw_lwm2m_peer_path(const bw_coap_msg_t *m, uint16_t num, char *out,
                          size_t cap)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    size_t n = 0;
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &opt)) {
        if (opt.number != num)
            continue;
        assert_true(n + 1 + opt.len < cap);
        out[n++] = '/';
        memcpy(out + n, opt.value, opt.len);
        n += opt.len;
    }
    out[n] = '\0';
    return n;
}

void bw_lwm2m_peer_expect(bw_lwm2m_peer_t *p, bw_coap_msg_t *msg, uint8_t code,
                          const char *path)
{
    char got[128];
    bw_lwm2m_peer_take(p, msg);
    assert_int_equal(msg->type, BW_COAP_CON);
    assert_int_equal(msg->code, code);
    bw_lwm2m_peer_path(msg, BW_COAP_OPT_URI_PATH, got, sizeof got);
    assert_string_equal(got, path);
}

int bw_lwm2m_peer_query(const bw_coap_msg_t *m, const char *key, char *out,
                        size_t cap)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    size_t k = strlen(key);
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &opt)) {
        if (opt.number != BW_COAP_OPT_URI_QUERY || opt.len < k + 1 ||
            memcmp(opt.value, key, k) != 0 || opt.value[k] != '=')
            continue;
        assert_true(opt.len - k - 1 < cap);
        memcpy(out, opt.value + k + 1, opt.len - k - 1);
        out[opt.len - k - 1] = '\0';
        return 1;
    }
    return 0;
}

int bw_lwm2m_peer_nqueries(const bw_coap_msg_t *m)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t opt;
    int n = 0;
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &opt))
        n += opt.number == BW_COAP_OPT_URI_QUERY;
    return n;
}

/* ---- talking to the client --------------------------------------------- */

void bw_lwm2m_peer_reply(bw_lwm2m_peer_t *p, bw_lwm2m_client_t *c, uint64_t now,
                         const bw_coap_msg_t *req, uint8_t code,
                         const char *location)
{
    uint8_t buf[256];
    bw_coap_writer_t w;
    size_t len;
    (void)p;
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_ACK, code, req->mid,
                        req->token, req->token_len);
    while (location != NULL && *location != '\0') {
        const char *slash = strchr(location, '/');
        size_t n = slash ? (size_t)(slash - location) : strlen(location);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_LOCATION_PATH, location, n);
        location += n + (slash ? 1 : 0);
    }
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    assert_int_equal(bw_lwm2m_client_input(c, p->ch, now, buf, len), 0);
}

uint8_t bw_lwm2m_peer_request(bw_lwm2m_peer_t *p, bw_lwm2m_client_t *c,
                              uint64_t now, uint8_t method, const char *path,
                              int cf, const void *payload, size_t plen,
                              bw_coap_msg_t *resp)
{
    uint8_t buf[BW_LWM2M_DATAGRAM_MAX];
    uint8_t tok[2] = {0xB5, ++p->tok};
    bw_coap_writer_t w;
    bw_coap_msg_t m;
    size_t len;
    uint16_t mid = ++p->mid;

    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, method, mid, tok,
                        sizeof tok);
    for (const char *s = path; *s == '/';) {
        const char *seg = s + 1;
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n > 0)
            bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, seg, n);
        s = seg + n;
    }
    if (cf >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, (uint32_t)cf);
    if (plen > 0)
        bw_coap_writer_payload(&w, payload, plen);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    size_t before = bw_lwm2m_peer_pending(p);
    assert_int_equal(bw_lwm2m_client_input(c, p->ch, now, buf, len), 0);
    assert_true(bw_lwm2m_peer_pending(p) > before);
    bw_lwm2m_peer_take(p, &m);
    assert_int_equal(p->taken_ch, p->ch); /* answered on the same channel */
    assert_int_equal(m.type, BW_COAP_ACK);
    assert_int_equal(m.mid, mid);
    assert_int_equal(m.token_len, sizeof tok);
    assert_memory_equal(m.token, tok, sizeof tok);
    if (resp != NULL)
        *resp = m;
    return m.code;
}

size_t bw_lwm2m_peer_count(const bw_lwm2m_peer_t *p, bw_lwm2m_event_t ev)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nevents; i++)
        n += p->events[i] == ev;
    return n;
}

bw_lwm2m_event_t bw_lwm2m_peer_last(const bw_lwm2m_peer_t *p)
{
    return p->nevents ? p->events[p->nevents - 1] : (bw_lwm2m_event_t)0;
}

/* ---- payloads and whole sequences --------------------------------------- */

static void tlv_add(bw_lwm2m_tlv_writer_t *w, uint16_t o, uint16_t i,
                    uint16_t r, bw_lwm2m_value_t v)
{
    bw_lwm2m_record_t rec = {BW_LWM2M_PATH_RES(o, i, r), v};
    bw_lwm2m_tlv_add(w, &rec);
}

size_t bw_lwm2m_peer_tlv_security(uint8_t *buf, size_t cap, uint16_t inst,
                                  const char *uri, int mode, const char *psk_id,
                                  const uint8_t *psk, size_t psk_len,
                                  uint16_t ssid)
{
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(0, inst);
    bw_lwm2m_tlv_writer_t w;
    size_t len;
    bw_lwm2m_tlv_begin(&w, buf, cap, &base);
    tlv_add(&w, 0, inst, 0,
            bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, uri, strlen(uri)));
    tlv_add(&w, 0, inst, 1, bw_lwm2m_value_bool(false));
    tlv_add(&w, 0, inst, 2, bw_lwm2m_value_int(mode));
    tlv_add(&w, 0, inst, 3,
            bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, psk_id,
                                 psk_id ? strlen(psk_id) : 0));
    tlv_add(&w, 0, inst, 4, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, "", 0));
    tlv_add(&w, 0, inst, 5,
            bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, psk, psk_len));
    tlv_add(&w, 0, inst, 10, bw_lwm2m_value_int(ssid));
    assert_int_equal(bw_lwm2m_tlv_finish(&w, &len), 0);
    return len;
}

size_t bw_lwm2m_peer_tlv_server(uint8_t *buf, size_t cap, uint16_t inst,
                                uint16_t ssid, uint32_t lifetime,
                                const char *binding)
{
    bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(1, inst);
    bw_lwm2m_tlv_writer_t w;
    size_t len;
    bw_lwm2m_tlv_begin(&w, buf, cap, &base);
    tlv_add(&w, 1, inst, 0, bw_lwm2m_value_int(ssid));
    tlv_add(&w, 1, inst, 1, bw_lwm2m_value_int(lifetime));
    tlv_add(&w, 1, inst, 6, bw_lwm2m_value_bool(false));
    tlv_add(
        &w, 1, inst, 7,
        bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, binding, strlen(binding)));
    assert_int_equal(bw_lwm2m_tlv_finish(&w, &len), 0);
    return len;
}

void bw_lwm2m_peer_bootstrap(bw_lwm2m_peer_t *p, bw_lwm2m_client_t *c,
                             uint64_t now, uint16_t ssid, uint32_t lifetime,
                             const char *binding)
{
    bw_coap_msg_t m;
    uint8_t tlv[512];
    size_t n;
    char ep[80];

    bw_lwm2m_peer_expect(p, &m, BW_COAP_POST, "/bs");
    assert_true(bw_lwm2m_peer_query(&m, "ep", ep, sizeof ep));
    assert_string_equal(ep, c->endpoint);
    bw_lwm2m_peer_reply(p, c, now, &m, BW_COAP_CHANGED, NULL);
    assert_int_equal(bw_lwm2m_peer_request(p, c, now, BW_COAP_DELETE, "/", -1,
                                           NULL, 0, NULL),
                     BW_COAP_DELETED);
    n = bw_lwm2m_peer_tlv_security(tlv, sizeof tlv, 1,
                                   "coaps://dm.example.net:5684", 0, "dev-id",
                                   BW_PEER_PSK, sizeof BW_PEER_PSK, ssid);
    assert_int_equal(bw_lwm2m_peer_request(p, c, now, BW_COAP_PUT, "/0/1",
                                           BW_COAP_FMT_LWM2M_TLV, tlv, n, NULL),
                     BW_COAP_CHANGED);
    n = bw_lwm2m_peer_tlv_server(tlv, sizeof tlv, 1, ssid, lifetime, binding);
    assert_int_equal(bw_lwm2m_peer_request(p, c, now, BW_COAP_PUT, "/1/1",
                                           BW_COAP_FMT_LWM2M_TLV, tlv, n, NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(bw_lwm2m_peer_request(p, c, now, BW_COAP_POST, "/bs", -1,
                                           NULL, 0, NULL),
                     BW_COAP_CHANGED);
    assert_int_equal(bw_lwm2m_client_state(c), BW_LWM2M_STATE_REGISTERING);
}

void bw_lwm2m_peer_register(bw_lwm2m_peer_t *p, bw_lwm2m_client_t *c,
                            uint64_t now, const char *location)
{
    bw_coap_msg_t m;
    bw_lwm2m_peer_expect(p, &m, BW_COAP_POST, "/rd");
    bw_lwm2m_peer_reply(p, c, now, &m, BW_COAP_CREATED, location);
    assert_int_equal(bw_lwm2m_client_state(c), BW_LWM2M_STATE_REGISTERED);
}

void bw_lwm2m_peer_set(bw_lwm2m_servers_t *s, uint16_t ssid, uint32_t lifetime,
                       const char *binding)
{
    memset(s, 0, sizeof *s);
    s->sec[0].in_use = 1;
    s->sec[0].inst = 0;
    s->sec[0].bootstrap = 1;
    s->sec[0].mode = BW_LWM2M_SEC_PSK;
    strcpy(s->sec[0].uri, "coaps://bs.example.net:5784");
    s->sec[1].in_use = 1;
    s->sec[1].inst = 1;
    s->sec[1].ssid = ssid;
    s->sec[1].mode = BW_LWM2M_SEC_PSK;
    strcpy(s->sec[1].uri, "coaps://dm.example.net:5684");
    memcpy(s->sec[1].psk_id, "dev-id", 6);
    s->sec[1].psk_id_len = 6;
    memcpy(s->sec[1].psk, BW_PEER_PSK, sizeof BW_PEER_PSK);
    s->sec[1].psk_len = sizeof BW_PEER_PSK;
    s->srv[0].in_use = 1;
    s->srv[0].inst = 1;
    s->srv[0].ssid = ssid;
    s->srv[0].lifetime_s = lifetime;
    assert_true(strlen(binding) < sizeof s->srv[0].binding);
    strcpy(s->srv[0].binding, binding);
}

void bw_lwm2m_peer_store(bw_lwm2m_peer_t *p, const bw_lwm2m_servers_t *s,
                         uint32_t gen)
{
    assert_int_equal(bw_lwm2m_servers_encode(s, gen, p->store, sizeof p->store,
                                             &p->store_len),
                     0);
    p->has_store = 1;
}

uint64_t bw_lwm2m_peer_step(bw_lwm2m_client_t *c, uint64_t now)
{
    uint64_t next = 0;
    assert_int_equal(bw_lwm2m_client_step(c, now, &next), 0);
    return next;
}
