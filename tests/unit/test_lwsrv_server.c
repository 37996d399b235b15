/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LwM2M server's registration interface and its requests to devices
 * (server/lwm2m/lwm2m_srv.c), end to end: the real DTLS engine on
 * loopback, real OpenSSL DTLS clients speaking CoAP built with the
 * project's writer.  The security store's policy in these tests: a PSK
 * identity owns the endpoint name equal to it.
 */
#define _GNU_SOURCE
#include "dtls_fixture.h"
#include "dtls_client_fixture.h"

#include "bulwark/lwm2m.h"
#include "lwm2m_bootstrap.h"
#include "lwm2m_srv.h"
#include "lwsrv_fixture.h"

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned ev_count[BW_LWSRV_EV_BOOTSTRAP_REQUEST + 1];
static char ev_last_ep[BW_LWSRV_EP_MAX + 1];

static bw_lwsrv_bs_provider_t *bs_provider; /* set by the bootstrap tests */
static int bs_start_err = 1;

static void event(void *arg, const bw_lwsrv_event_t *ev)
{
    (void)arg;
    if (ev->kind == BW_LWSRV_EV_BOOTSTRAP_REQUEST && bs_provider != NULL)
        bs_start_err = bw_lwsrv_bootstrap_start(lw, bs_provider, ev);
    pthread_mutex_lock(&ev_lock);
    ev_count[ev->kind]++;
    snprintf(ev_last_ep, sizeof ev_last_ep, "%s", ev->ep);
    pthread_mutex_unlock(&ev_lock);
}

static unsigned events(bw_lwsrv_event_kind_t k)
{
    pthread_mutex_lock(&ev_lock);
    unsigned n = ev_count[k];
    pthread_mutex_unlock(&ev_lock);
    return n;
}

static void up(uint32_t ack_timeout_ms, uint32_t max_retransmit)
{
    memset(ev_count, 0, sizeof ev_count);
    h = fix_server_new();
    h->cfg.on_data = on_data;
    h->cfg.on_tick = on_tick;
    reg = bw_lwsrv_registry_new();
    assert_non_null(reg);
    fix_server_start(h);
    bw_lwsrv_config_t cfg = {.registry = reg,
                             .dtls = h->srv,
                             .authorize = authorize,
                             .event = event,
                             .ack_timeout_ms = ack_timeout_ms,
                             .max_retransmit = max_retransmit};
    lw = bw_lwsrv_new(&cfg, 1);
    assert_non_null(lw);
}

static void down(void)
{
    fix_server_free(h);
    bw_lwsrv_free(lw);
    bw_lwsrv_registry_free(reg);
    lw = NULL;
}

/* A CoAP message from the device: code, path "rd/..", queries "a&b". */
static size_t coap(uint8_t *out, size_t cap, uint8_t type, uint8_t code,
                   uint16_t mid, const char *path, const char *query,
                   const char *links)
{
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, out, cap, type, code, mid, (const uint8_t *)"tok4",
                        4);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save, *p = strtok_r(buf, "/", &save); p != NULL;
         p = strtok_r(NULL, "/", &save))
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, p, strlen(p));
    if (links != NULL)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 40);
    if (query != NULL) {
        snprintf(buf, sizeof buf, "%s", query);
        for (char *save, *q = strtok_r(buf, "&", &save); q != NULL;
             q = strtok_r(NULL, "&", &save))
            bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, q, strlen(q));
    }
    if (links != NULL)
        bw_coap_writer_payload(&w, links, strlen(links));
    size_t len;
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    return len;
}

/* Send a CON request and read the piggybacked answer into *m (buf). */
static void exchange(fix_client_t *c, uint16_t mid, uint8_t code,
                     const char *path, const char *query, const char *links,
                     uint8_t *buf, size_t cap, bw_coap_msg_t *m)
{
    uint8_t req[512];
    size_t n =
        coap(req, sizeof req, BW_COAP_CON, code, mid, path, query, links);
    fix_client_write(c, req, n);
    int got = fix_client_read(c, buf, cap, FIX_WAIT_MS);
    assert_true(got > 0);
    assert_int_equal(bw_coap_parse(m, buf, (size_t)got), 0);
    assert_int_equal(m->type, BW_COAP_ACK);
    assert_int_equal(m->mid, mid);
    assert_int_equal(m->token_len, 4);
    assert_memory_equal(m->token, "tok4", 4);
}

/* Location-Path of a 2.01: "rd" then 32 hex digits, copied to loc. */
static void location_of(const bw_coap_msg_t *m, char loc[33])
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    int n = 0;
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &o) == 1) {
        if (o.number != 8)
            continue;
        if (n == 0)
            assert_true(o.len == 2 && memcmp(o.value, "rd", 2) == 0);
        else {
            assert_int_equal(o.len, 32);
            memcpy(loc, o.value, 32);
            loc[32] = '\0';
        }
        n++;
    }
    assert_int_equal(n, 2);
}

#define LINKS "</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>"

/*
 * Tried: Register, the same Register retransmitted (same message ID),
 * Update with a new lifetime, an Update to an unknown location,
 * De-register.  Must hold: 2.01 with an unguessable location, the
 * retransmission answered with the same bytes and applied once; 2.04 and
 * the new lifetime stored; 4.04; 2.02 and the registration gone.
 */
static void test_register_lifecycle(void **state)
{
    (void)state;
    up(0, 0);
    fix_client_t *c = fix_client_psk(fix_port(h), "PSK-AES128-CCM8", "device-a",
                                     fix_key_a, sizeof fix_key_a);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    uint8_t b1[512], b2[512];
    bw_coap_msg_t m;
    char loc[33];
    exchange(c, 0x100, BW_COAP_POST, "rd", "ep=device-a&lt=60&lwm2m=1.1&b=U",
             LINKS, b1, sizeof b1, &m);
    assert_int_equal(m.code, BW_COAP_CODE(2, 1));
    location_of(&m, loc);
    bw_coap_msg_t m2;
    exchange(c, 0x100, BW_COAP_POST, "rd", "ep=device-a&lt=60&lwm2m=1.1&b=U",
             LINKS, b2, sizeof b2, &m2);
    assert_int_equal(m2.code, BW_COAP_CODE(2, 1));
    char loc2[33];
    location_of(&m2, loc2);
    assert_string_equal(loc, loc2); /* the same answer, not a new location */
    assert_int_equal(events(BW_LWSRV_EV_REGISTERED), 1);
    assert_int_equal(bw_lwsrv_registry_count(reg), 1);

    bw_lwsrv_regview_t v;
    bw_assert_err(bw_lwsrv_registry_get(reg, "device-a", &v), 0);
    assert_int_equal(v.lifetime, 60);
    assert_string_equal(v.links, LINKS);

    char path[64];
    snprintf(path, sizeof path, "rd/%s", loc);
    exchange(c, 0x101, BW_COAP_POST, path, "lt=120", NULL, b1, sizeof b1, &m);
    assert_int_equal(m.code, BW_COAP_CODE(2, 4));
    bw_assert_err(bw_lwsrv_registry_get(reg, "device-a", &v), 0);
    assert_int_equal(v.lifetime, 120);
    assert_int_equal(events(BW_LWSRV_EV_UPDATED), 1);

    exchange(c, 0x102, BW_COAP_POST, "rd/0123456789abcdef0123456789abcdef",
             NULL, NULL, b1, sizeof b1, &m);
    assert_int_equal(m.code, BW_COAP_CODE(4, 4));

    exchange(c, 0x103, BW_COAP_DELETE, path, NULL, NULL, b1, sizeof b1, &m);
    assert_int_equal(m.code, BW_COAP_CODE(2, 2));
    assert_int_equal(bw_lwsrv_registry_count(reg), 0);
    assert_int_equal(events(BW_LWSRV_EV_DEREGISTERED), 1);
    fix_client_free(c);
    down();
}

/*
 * Tried: device-a (proven by its PSK) registers as "device-b"; a Register
 * with a bad endpoint name; an unsupported LwM2M version; a GET to an
 * unknown path.  Must hold: 4.03 with a reason and a REFUSED event, no
 * registration; 4.00 with a diagnostic; 4.12; 4.04.
 */
static void test_refusals(void **state)
{
    (void)state;
    up(0, 0);
    fix_client_t *c = fix_client_psk(fix_port(h), "PSK-AES128-CCM8", "device-a",
                                     fix_key_a, sizeof fix_key_a);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    uint8_t b[512];
    bw_coap_msg_t m;
    exchange(c, 1, BW_COAP_POST, "rd", "ep=device-b&lt=60", LINKS, b, sizeof b,
             &m);
    assert_int_equal(m.code, BW_COAP_CODE(4, 3));
    assert_true(m.payload_len > 0);
    assert_int_equal(events(BW_LWSRV_EV_REFUSED), 1);
    assert_string_equal(ev_last_ep, "device-b");
    assert_int_equal(bw_lwsrv_registry_count(reg), 0);

    exchange(c, 2, BW_COAP_POST, "rd", "ep=bad name", LINKS, b, sizeof b, &m);
    assert_int_equal(m.code, BW_COAP_CODE(4, 0));
    assert_true(m.payload_len > 0 &&
                memmem(m.payload, m.payload_len, "endpoint", 8) != NULL);
    exchange(c, 3, BW_COAP_POST, "rd", "ep=device-a&lwm2m=2.0", LINKS, b,
             sizeof b, &m);
    assert_int_equal(m.code, BW_COAP_CODE(4, 12));
    exchange(c, 4, BW_COAP_GET, "rd", NULL, NULL, b, sizeof b, &m);
    assert_int_equal(m.code, BW_COAP_CODE(4, 4));
    assert_int_equal(bw_lwsrv_registry_count(reg), 0);
    fix_client_free(c);
    down();
}

/* ---- requests from the server ---------------------------------------- */

typedef struct {
    pthread_mutex_t lock;
    int done, err;
    uint8_t code;
    uint32_t cf;
    char payload[64];
} result_t;

static void done_cb(void *arg, int err, uint8_t code, uint32_t cf,
                    const uint8_t *payload, size_t len)
{
    result_t *r = arg;
    pthread_mutex_lock(&r->lock);
    r->err = err;
    r->code = code;
    r->cf = cf;
    snprintf(r->payload, sizeof r->payload, "%.*s", (int)len,
             payload != NULL ? (const char *)payload : "");
    r->done = 1;
    pthread_mutex_unlock(&r->lock);
}

static int result_done(result_t *r, unsigned timeout_ms)
{
    uint64_t end = fix_now_ms() + timeout_ms;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int d = r->done;
        pthread_mutex_unlock(&r->lock);
        if (d || fix_now_ms() >= end)
            return d;
        fix_sleep_ms(5);
    }
}

static fix_client_t *registered(void)
{
    fix_client_t *c = fix_client_psk(fix_port(h), "PSK-AES128-CCM8", "device-a",
                                     fix_key_a, sizeof fix_key_a);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    uint8_t b[512];
    bw_coap_msg_t m;
    exchange(c, 9, BW_COAP_POST, "rd", "ep=device-a&lt=60", LINKS, b, sizeof b,
             &m);
    assert_int_equal(m.code, BW_COAP_CODE(2, 1));
    return c;
}

/*
 * Tried: Read /3/0 (Accept TLV) from the test thread; the device answers
 * with a piggybacked 2.05; then a second Read answered by an empty ACK and
 * later a separate CON 2.05.  Must hold: the device sees a CON GET with
 * Uri-Path 3, 0 and Accept 11542; the callback gets 2.05, the content
 * format and payload; the separate response is acknowledged by the server.
 */
static void test_server_request(void **state)
{
    (void)state;
    up(0, 0);
    fix_client_t *c = registered();
    bw_lwsrv_op_t op = {.method = BW_COAP_GET,
                        .path = "/3/0",
                        .content_format = -1,
                        .accept = 11542};
    result_t r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    bw_assert_err(bw_lwsrv_request(lw, "device-a", &op, done_cb, &r), 0);

    uint8_t b[512];
    int n = fix_client_read(c, b, sizeof b, FIX_WAIT_MS);
    assert_true(n > 0);
    bw_coap_msg_t m;
    assert_int_equal(bw_coap_parse(&m, b, (size_t)n), 0);
    assert_int_equal(m.type, BW_COAP_CON);
    assert_int_equal(m.code, BW_COAP_GET);
    uint32_t accept;
    bw_assert_err(bw_coap_msg_uint(&m, 17, &accept), 0);
    assert_int_equal(accept, 11542);
    char segs[16] = "";
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    bw_coap_opt_iter_init(&it, &m);
    while (bw_coap_opt_next(&it, &o) == 1)
        if (o.number == BW_COAP_OPT_URI_PATH)
            strncat(segs, (const char *)o.value, o.len);
    assert_string_equal(segs, "30");

    uint8_t resp[128];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, resp, sizeof resp, BW_COAP_ACK, BW_COAP_CODE(2, 5),
                        m.mid, m.token, m.token_len);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 11542);
    bw_coap_writer_payload(&w, "hello", 5);
    size_t len;
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    fix_client_write(c, resp, len);
    assert_true(result_done(&r, FIX_WAIT_MS));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.code, BW_COAP_CODE(2, 5));
    assert_int_equal(r.cf, 11542);
    assert_string_equal(r.payload, "hello");

    /* Separate response. */
    result_t r2 = {.lock = PTHREAD_MUTEX_INITIALIZER};
    bw_assert_err(bw_lwsrv_request(lw, "device-a", &op, done_cb, &r2), 0);
    n = fix_client_read(c, b, sizeof b, FIX_WAIT_MS);
    assert_true(n > 0);
    assert_int_equal(bw_coap_parse(&m, b, (size_t)n), 0);
    uint8_t ack[4] = {0x60, 0, (uint8_t)(m.mid >> 8), (uint8_t)m.mid};
    fix_client_write(c, ack, 4);
    fix_sleep_ms(50);
    bw_coap_writer_init(&w, resp, sizeof resp, BW_COAP_CON, BW_COAP_CODE(2, 5),
                        0x7777, m.token, m.token_len);
    bw_coap_writer_payload(&w, "later", 5);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    fix_client_write(c, resp, len);
    assert_true(result_done(&r2, FIX_WAIT_MS));
    assert_int_equal(r2.err, 0);
    assert_string_equal(r2.payload, "later");
    n = fix_client_read(c, b, sizeof b, FIX_WAIT_MS);
    assert_int_equal(n, 4); /* the server's empty ACK of our CON */
    assert_int_equal(b[0], 0x60);
    assert_int_equal(b[2] << 8 | b[3], 0x7777);

    /* Not registered: refused at once. */
    bw_assert_err(bw_lwsrv_request(lw, "nobody", &op, done_cb, &r2),
                  BW_ENOTFOUND);
    fix_client_free(c);
    down();
}

/*
 * Tried: a Read the device never answers, with ACK_TIMEOUT 100 ms and
 * MAX_RETRANSMIT 2.  Must hold: the device receives the request three
 * times with the same message ID, then the callback gets BW_ETIMEOUT.
 */
static void test_server_request_timeout(void **state)
{
    (void)state;
    up(100, 2);
    fix_client_t *c = registered();
    bw_lwsrv_op_t op = {.method = BW_COAP_GET,
                        .path = "/3303/0/5700",
                        .content_format = -1,
                        .accept = -1};
    result_t r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    bw_assert_err(bw_lwsrv_request(lw, "device-a", &op, done_cb, &r), 0);
    int copies = 0;
    uint16_t mid = 0;
    uint8_t b[512];
    for (;;) {
        int n = fix_client_read(c, b, sizeof b, 1500);
        if (n <= 0)
            break;
        bw_coap_msg_t m;
        assert_int_equal(bw_coap_parse(&m, b, (size_t)n), 0);
        if (copies == 0)
            mid = m.mid;
        assert_int_equal(m.mid, mid);
        copies++;
    }
    assert_int_equal(copies, 3);
    assert_true(result_done(&r, FIX_WAIT_MS));
    bw_assert_err(r.err, BW_ETIMEOUT);
    fix_client_free(c);
    down();
}

/* ---- the bootstrap sequence ------------------------------------------- */

static const uint8_t new_key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                    12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                    23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static int provide(void *arg, const char *ep, bw_lwsrv_bs_config_t *out)
{
    (void)arg;
    assert_string_equal(ep, "device-a");
    memset(out, 0, sizeof *out);
    snprintf(out->dm_uri, sizeof out->dm_uri, "coaps://127.0.0.1:5684");
    memcpy(out->identity, "dm-7f3a9c", 9);
    out->identity_len = 9;
    memcpy(out->key, new_key, sizeof new_key);
    out->key_len = sizeof new_key;
    out->ssid = 101;
    out->lifetime_s = 300;
    strcpy(out->binding, "U");
    return 0;
}

static result_t bs_result;
static char bs_step[64];

static void finished(void *arg, const char *ep, int err, const char *step)
{
    (void)arg;
    (void)ep;
    snprintf(bs_step, sizeof bs_step, "%s", step);
    done_cb(&bs_result, err, 0, 0, NULL, 0);
}

typedef struct {
    unsigned n;
    char uri[64];
    uint8_t id[16];
    size_t id_len;
    uint8_t key[32];
    size_t key_len;
    int64_t ssid, lifetime, mode;
    char binding[4];
} seen_t;

static int seen_rec(void *ctx, const bw_lwm2m_record_t *r)
{
    seen_t *x = ctx;
    uint16_t res = r->path.id[2];
    const bw_lwm2m_value_t *v = &r->value;
    x->n++;
    if (r->path.id[0] == 0 && res == 0)
        snprintf(x->uri, sizeof x->uri, "%.*s", (int)v->v.bytes.len,
                 (const char *)v->v.bytes.ptr);
    if (r->path.id[0] == 0 && res == 3 && v->v.bytes.len <= sizeof x->id)
        memcpy(x->id, v->v.bytes.ptr, x->id_len = v->v.bytes.len);
    if (r->path.id[0] == 0 && res == 5 && v->v.bytes.len <= sizeof x->key)
        memcpy(x->key, v->v.bytes.ptr, x->key_len = v->v.bytes.len);
    if (r->path.id[0] == 0 && res == 2)
        x->mode = v->v.i;
    if ((r->path.id[0] == 0 && res == 10) || (r->path.id[0] == 1 && res == 0))
        x->ssid = v->v.i;
    if (r->path.id[0] == 1 && res == 1)
        x->lifetime = v->v.i;
    if (r->path.id[0] == 1 && res == 7)
        snprintf(x->binding, sizeof x->binding, "%.*s", (int)v->v.bytes.len,
                 (const char *)v->v.bytes.ptr);
    return 0;
}

static bw_lwm2m_type_t seen_type(void *ctx, const bw_lwm2m_path_t *p)
{
    (void)ctx;
    uint16_t o = p->id[0], r = p->id[2];
    if ((o == 0 && r == 0) || (o == 1 && r == 7))
        return BW_LWM2M_TYPE_STRING;
    if (o == 0 && (r == 3 || r == 5))
        return BW_LWM2M_TYPE_OPAQUE;
    if (r == 1 || r == 6)
        return o == 0
                   ? BW_LWM2M_TYPE_BOOLEAN
                   : (r == 1 ? BW_LWM2M_TYPE_INTEGER : BW_LWM2M_TYPE_BOOLEAN);
    return BW_LWM2M_TYPE_INTEGER;
}

/* Read the next request; check method and path; return its message. */
static void expect_req(fix_client_t *c, uint8_t *b, size_t cap,
                       bw_coap_msg_t *m, uint8_t method, const char *path)
{
    int n = fix_client_read(c, b, cap, FIX_WAIT_MS);
    assert_true(n > 0);
    assert_int_equal(bw_coap_parse(m, b, (size_t)n), 0);
    assert_int_equal(m->type, BW_COAP_CON);
    assert_int_equal(m->code, method);
    char got[32] = "";
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &o) == 1)
        if (o.number == BW_COAP_OPT_URI_PATH)
            snprintf(got + strlen(got), sizeof got - strlen(got), "/%.*s",
                     (int)o.len, (const char *)o.value);
    assert_string_equal(got[0] ? got : "/", path);
}

static void reply(fix_client_t *c, const bw_coap_msg_t *m, uint8_t code)
{
    uint8_t r[64];
    bw_coap_writer_t w;
    size_t len;
    bw_coap_writer_init(&w, r, sizeof r, BW_COAP_ACK, code, m->mid, m->token,
                        m->token_len);
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    fix_client_write(c, r, len);
}

/*
 * Tried: device-a sends Bootstrap-Request; the server runs the sequence;
 * the device answers every step 2.xx.  Must hold: 2.04 to the request,
 * then Delete "/", Write /0/1 (TLV: the DM URI, PSK mode, the provider's
 * identity and key, SSID 101), Write /1/1 (SSID 101, lifetime 300, "U"),
 * Finish; finished() reports success.  Then a second device answers the
 * first Write with 4.00: finished() reports the failing step.
 */
static void test_bootstrap_sequence(void **state)
{
    (void)state;
    bw_lwsrv_bs_provider_t p = {.provide = provide, .finished = finished};
    bs_provider = &p;
    for (int refuse = 0; refuse <= 1; refuse++) {
        up(0, 0);
        memset(&bs_result, 0, sizeof bs_result);
        pthread_mutex_init(&bs_result.lock, NULL);
        fix_client_t *c =
            fix_client_psk(fix_port(h), "PSK-AES128-CCM8", "device-a",
                           fix_key_a, sizeof fix_key_a);
        assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
        uint8_t b[1024];
        bw_coap_msg_t m;
        exchange(c, 1, BW_COAP_POST, "bs", "ep=device-a", NULL, b, sizeof b,
                 &m);
        assert_int_equal(m.code, BW_COAP_CODE(2, 4));
        expect_req(c, b, sizeof b, &m, BW_COAP_DELETE, "/");
        reply(c, &m, BW_COAP_CODE(2, 2));
        expect_req(c, b, sizeof b, &m, BW_COAP_PUT, "/0/1");
        seen_t x = {0};
        bw_lwm2m_sink_t sink = {
            .type_of = seen_type, .record = seen_rec, .ctx = &x};
        bw_lwm2m_path_t base = BW_LWM2M_PATH_INST(0, 1);
        bw_assert_err(
            bw_lwm2m_tlv_decode(m.payload, m.payload_len, &base, &sink), 0);
        assert_string_equal(x.uri, "coaps://127.0.0.1:5684");
        assert_int_equal(x.id_len, 9);
        assert_memory_equal(x.id, "dm-7f3a9c", 9);
        assert_int_equal(x.key_len, 32);
        assert_memory_equal(x.key, new_key, 32);
        assert_int_equal(x.mode, 0);
        assert_int_equal(x.ssid, 101);
        if (refuse) {
            reply(c, &m, BW_COAP_CODE(4, 0));
            assert_true(result_done(&bs_result, FIX_WAIT_MS));
            assert_int_not_equal(bs_result.err, 0);
            assert_string_equal(bs_step,
                                "Bootstrap-Write /0/1 (answered 4.00)");
            fix_client_free(c);
            down();
            continue;
        }
        reply(c, &m, BW_COAP_CODE(2, 4));
        expect_req(c, b, sizeof b, &m, BW_COAP_PUT, "/1/1");
        memset(&x, 0, sizeof x);
        base = (bw_lwm2m_path_t)BW_LWM2M_PATH_INST(1, 1);
        bw_assert_err(
            bw_lwm2m_tlv_decode(m.payload, m.payload_len, &base, &sink), 0);
        assert_int_equal(x.ssid, 101);
        assert_int_equal(x.lifetime, 300);
        assert_string_equal(x.binding, "U");
        reply(c, &m, BW_COAP_CODE(2, 4));
        expect_req(c, b, sizeof b, &m, BW_COAP_POST, "/bs");
        reply(c, &m, BW_COAP_CODE(2, 4));
        assert_true(result_done(&bs_result, FIX_WAIT_MS));
        bw_assert_err(bs_result.err, 0);
        assert_int_equal(bs_start_err, 0);
        assert_int_equal(events(BW_LWSRV_EV_BOOTSTRAP_REQUEST), 1);
        fix_client_free(c);
        down();
    }
    bs_provider = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_lifecycle),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_server_request),
        cmocka_unit_test(test_server_request_timeout),
        cmocka_unit_test(test_bootstrap_sequence),
    };
    return cmocka_run_group_tests(tests, fix_group_setup, fix_group_teardown);
}
