/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the LwM2M client core from the server's side: the input is a
 * script of datagrams from the server, answers to what the client just
 * sent, channel reports and clock steps, played against one client that
 * starts either with a stored DM server (it registers) or with nothing
 * (it bootstraps, so Bootstrap-Write/Delete/Finish reach the objects).
 *
 * Input layout:
 *
 *   byte 0   bit 0: start with a stored set (else factory bootstrap);
 *            bit 1: that set's binding is UQ; bit 2: save() fails;
 *            bit 3: connect() answers BW_EAGAIN (reports follow);
 *            bit 4: the stored set has a second DM server (two channels)
 *   byte 1   PRNG seed
 *   then     operations, one selector byte and its arguments each:
 *     0 RAW      length byte, then that many bytes as a datagram
 *     1 REPLY    answer the last datagram the client sent: code byte,
 *                then a Location-Path length byte and bytes (ACK with its
 *                MID and token, so it matches)
 *     2 REQUEST  a CON request from the server: method byte, path length
 *                and bytes ("/"-separated), payload length and bytes,
 *                Content-Format byte (0xFF: none; else from a table)
 *     3 STEP     advance the clock by (2 bytes) * 16 ms and step()
 *     4 UP / 5 FAILED (error from a table) / 6 CHANGED / 7 OBJECTS /
 *     8 STOP
 *   bit 6 of the selector: RAW, REPLY, REQUEST, UP and FAILED act on
 *   channel 1 (else channel 0).
 *
 * Checks beyond not crashing or hanging: every datagram the client sends
 * parses and fits BW_LWM2M_DATAGRAM_MAX; step() never asks to be called
 * back in the past; the state is always a known one; nothing is sent on
 * a closed channel.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m_client.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            __builtin_trap();                                                  \
    } while (0)

typedef struct {
    int save_fails, eagain, stored;
    unsigned open;    /* bit ch: channel ch open */
    unsigned opening; /* bit ch: connect() answered BW_EAGAIN */
    unsigned ch;      /* the channel the current operation acts on */
    uint8_t last[BW_LWM2M_MAX_SERVERS][BW_LWM2M_DATAGRAM_MAX];
    size_t last_len[BW_LWM2M_MAX_SERVERS];
    uint8_t blob[BW_LWM2M_SERVERS_BLOB_ACL_MAX];
    size_t blob_len;
} port_t;

static int f_connect(void *arg, unsigned ch, const bw_lwm2m_security_t *sec,
                     uint64_t now)
{
    port_t *p = arg;
    (void)sec;
    (void)now;
    CHECK(ch < BW_LWM2M_MAX_SERVERS);
    CHECK(!((p->open | p->opening) & (1u << ch)));
    if (p->eagain) {
        p->opening |= 1u << ch;
        return BW_EAGAIN;
    }
    p->open |= 1u << ch;
    return 0;
}

static int f_send(void *arg, unsigned ch, const uint8_t *buf, size_t len)
{
    port_t *p = arg;
    bw_coap_msg_t m;
    CHECK(ch < BW_LWM2M_MAX_SERVERS);
    CHECK(p->open & (1u << ch));
    CHECK(len <= BW_LWM2M_DATAGRAM_MAX);
    CHECK(bw_coap_parse(&m, buf, len) == 0);
    memcpy(p->last[ch], buf, len);
    p->last_len[ch] = len;
    return 0;
}

static void f_close(void *arg, unsigned ch)
{
    port_t *p = arg;
    CHECK(ch < BW_LWM2M_MAX_SERVERS);
    p->open &= ~(1u << ch);
    p->opening &= ~(1u << ch);
}

static int f_save(void *arg, const uint8_t *blob, size_t len)
{
    port_t *p = arg;
    bw_lwm2m_servers_t s;
    uint32_t gen;
    if (p->save_fails)
        return BW_EIO;
    /* What the client saves always reads back. */
    CHECK(bw_lwm2m_servers_decode(blob, len, &s, &gen) == 0);
    CHECK(len <= sizeof p->blob);
    memcpy(p->blob, blob, len);
    p->blob_len = len;
    p->stored = 1;
    return 0;
}

static int f_load(void *arg, uint8_t *blob, size_t cap, size_t *len)
{
    port_t *p = arg;
    if (!p->stored)
        return BW_ENOTFOUND;
    if (p->blob_len > cap)
        return BW_EIO;
    memcpy(blob, p->blob, p->blob_len);
    *len = p->blob_len;
    return 0;
}

typedef struct {
    const uint8_t *p;
    size_t n;
} in_t;

static int byte(in_t *in, uint8_t *b)
{
    if (in->n == 0)
        return 0;
    *b = *in->p++;
    in->n--;
    return 1;
}

static const uint8_t *bytes(in_t *in, size_t k)
{
    if (k > in->n)
        return NULL;
    const uint8_t *at = in->p;
    in->p += k;
    in->n -= k;
    return at;
}

/* DM server number k (1, 2): Security /0/k and Server /1/k, SSID k,
 * NoSec at uri. */
static void add_dm(bw_lwm2m_servers_t *s, uint16_t k, const char *uri,
                   uint32_t lifetime, const char *binding)
{
    s->sec[k].in_use = 1;
    s->sec[k].inst = k;
    s->sec[k].ssid = k;
    s->sec[k].mode = BW_LWM2M_SEC_NOSEC;
    memcpy(s->sec[k].uri, uri, strlen(uri));
    s->srv[k - 1].in_use = 1;
    s->srv[k - 1].inst = k;
    s->srv[k - 1].ssid = k;
    s->srv[k - 1].lifetime_s = lifetime;
    memcpy(s->srv[k - 1].binding, binding, strlen(binding));
}

static void stored_set(port_t *p, int queue, int two)
{
    bw_lwm2m_servers_t s;
    memset(&s, 0, sizeof s);
    s.sec[0].in_use = 1;
    s.sec[0].bootstrap = 1;
    s.sec[0].mode = BW_LWM2M_SEC_NOSEC;
    memcpy(s.sec[0].uri, "coap://bs", 9);
    add_dm(&s, 1, "coap://dm", 60, queue ? "UQ" : "U");
    /* A second DM server, always U; no Access Control instances, so its
     * requests are mostly refused (two servers: ACL enforced). */
    if (two && BW_LWM2M_MAX_SERVERS > 1)
        add_dm(&s, 2, "coap://dm2", 90, "U");
    CHECK(bw_lwm2m_servers_encode(&s, 1, p->blob, sizeof p->blob,
                                  &p->blob_len) == 0);
    p->stored = 1;
}

static void feed(bw_lwm2m_client_t *c, port_t *p, uint64_t now,
                 const uint8_t *d, size_t n)
{
    (void)p;
    CHECK(bw_lwm2m_client_input(c, p->ch, now, d, n) == 0);
}

static void op_reply(bw_lwm2m_client_t *c, port_t *p, uint64_t now, in_t *in)
{
    uint8_t code = 0, ll = 0, buf[256];
    bw_coap_msg_t m;
    bw_coap_writer_t w;
    size_t len;
    if (!byte(in, &code) || !byte(in, &ll))
        return;
    const uint8_t *loc = bytes(in, ll % 32);
    if (loc == NULL || p->last_len[p->ch] == 0 ||
        bw_coap_parse(&m, p->last[p->ch], p->last_len[p->ch]) != 0)
        return;
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_ACK, code, m.mid, m.token,
                        m.token_len);
    /* Location segments split on '/' in the script bytes. */
    size_t s = 0;
    for (size_t i = 0; i <= ll % 32; i++)
        if (i == ll % 32 || loc[i] == '/') {
            bw_coap_writer_add_opt(&w, BW_COAP_OPT_LOCATION_PATH, loc + s,
                                   i - s);
            s = i + 1;
        }
    if (bw_coap_writer_finish(&w, &len) == 0)
        feed(c, p, now, buf, len);
}

static void op_request(bw_lwm2m_client_t *c, port_t *p, uint64_t now, in_t *in,
                       uint16_t *mid)
{
    static const uint16_t formats[] = {
        BW_COAP_FMT_TEXT,       BW_COAP_FMT_LINK,       BW_COAP_FMT_OPAQUE,
        BW_COAP_FMT_SENML_JSON, BW_COAP_FMT_SENML_CBOR, BW_COAP_FMT_LWM2M_TLV};
    uint8_t method = 0, pl = 0, bl = 0, cf = 0, tok = (uint8_t)*mid;
    uint8_t buf[BW_LWM2M_DATAGRAM_MAX];
    bw_coap_writer_t w;
    size_t len;
    if (!byte(in, &method) || !byte(in, &pl))
        return;
    const uint8_t *path = bytes(in, pl % 24);
    if (path == NULL || !byte(in, &bl))
        return;
    const uint8_t *body = bytes(in, bl);
    if (body == NULL || !byte(in, &cf))
        return;
    bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, method % 5, (*mid)++,
                        &tok, 1);
    size_t s = 0;
    for (size_t i = 0; i <= (size_t)(pl % 24); i++)
        if (i == (size_t)(pl % 24) || path[i] == '/') {
            if (i > s)
                bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, path + s,
                                       i - s);
            s = i + 1;
        }
    if (cf != 0xFF)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                formats[cf % 6]);
    bw_coap_writer_payload(&w, body, bl);
    if (bw_coap_writer_finish(&w, &len) == 0)
        feed(c, p, now, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bw_lwm2m_client_t c;
    static const int errs[] = {BW_EAUTH, BW_ECERT, BW_ENET, BW_ETIMEOUT,
                               BW_EHANDSHAKE};
    port_t p;
    bw_lwm2m_client_config_t cfg;
    in_t in = {data, size};
    uint8_t flags = 0, seed = 0, op = 0;
    uint64_t now = 1000, next;
    uint16_t mid = 0x100;

    if (!byte(&in, &flags) || !byte(&in, &seed))
        return 0;
    memset(&p, 0, sizeof p);
    p.save_fails = (flags >> 2) & 1;
    p.eagain = (flags >> 3) & 1;
    if (flags & 1)
        stored_set(&p, (flags >> 1) & 1, (flags >> 4) & 1);
    memset(&cfg, 0, sizeof cfg);
    cfg.endpoint = "fuzz";
    cfg.bootstrap_uri = "coap://bs";
    cfg.bootstrap_timeout_ms = 60000;
    cfg.connect = f_connect;
    cfg.send = f_send;
    cfg.close = f_close;
    cfg.save = f_save;
    cfg.load = f_load;
    cfg.arg = &p;
    CHECK(bw_lwm2m_client_init(&c, &cfg, seed) == 0);
    CHECK(bw_lwm2m_client_start(&c, now) == 0);
    CHECK(bw_lwm2m_client_step(&c, now, &next) == 0);

    for (int ops = 0; ops < 256 && byte(&in, &op); ops++) {
        uint8_t a = 0, b = 0;
        const uint8_t *d;
        bw_lwm2m_path_t path = BW_LWM2M_PATH_RES(1, 1, 1);
        p.ch = (op & 0x40) && BW_LWM2M_MAX_SERVERS > 1 ? 1 : 0;
        switch (op % 9) {
        case 0:
            if (byte(&in, &a) && (d = bytes(&in, a)) != NULL)
                feed(&c, &p, now, d, a);
            break;
        case 1:
            op_reply(&c, &p, now, &in);
            break;
        case 2:
            op_request(&c, &p, now, &in, &mid);
            break;
        case 3:
            if (byte(&in, &a) && byte(&in, &b))
                now += ((uint64_t)a << 8 | b) * 16u;
            break;
        case 4:
            if (p.opening & (1u << p.ch)) {
                p.opening &= ~(1u << p.ch);
                p.open |= 1u << p.ch;
            }
            bw_lwm2m_client_channel_up(&c, p.ch, now);
            break;
        case 5:
            if (byte(&in, &a))
                bw_lwm2m_client_channel_failed(&c, p.ch, now, errs[a % 5]);
            break;
        case 6:
            bw_lwm2m_client_changed(&c, &path, now);
            break;
        case 7:
            bw_lwm2m_client_objects_changed(&c);
            break;
        default:
            (void)bw_lwm2m_client_stop(&c, now);
            break;
        }
        CHECK(bw_lwm2m_client_step(&c, now, &next) == 0);
        CHECK(next >= now);
        CHECK(bw_lwm2m_client_state(&c) >= BW_LWM2M_STATE_BOOTSTRAPPING &&
              bw_lwm2m_client_state(&c) <= BW_LWM2M_STATE_STOPPED);
        /* Time runs on to what the client asked for, now and then. */
        if ((op & 0x80) && next != UINT64_MAX && next - now < 4000000u) {
            now = next;
            CHECK(bw_lwm2m_client_step(&c, now, &next) == 0);
        }
    }
    return 0;
}
