/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observe, notifications and Cancel on the LwM2M server
 * (server/lwm2m/lwm2m_observe*.c, lwm2m_srv.c): the real DTLS engine on
 * loopback and a real OpenSSL DTLS client playing the device, which
 * answers the server's Observe and sends notifications built with the
 * project's CoAP writer.  Stored values are what the layer hands to its
 * notify_store callback (on its writer thread).
 */
#define _GNU_SOURCE
#include "dtls_fixture.h"
#include "dtls_client_fixture.h"

#include "lwm2m_srv.h"
#include "lwsrv_fixture.h"

/* What reached the store. */
#define STORED_MAX 16
static pthread_mutex_t st_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char ep[BW_LWSRV_EP_MAX + 1];
    char path[BW_LWM2M_PATH_STR_MAX];
    int64_t t_ms;
    bw_lwsrv_val_kind_t kind;
    double num;
    char text[32];
} stored[STORED_MAX];
static size_t nstored;

static int store(void *arg, const char *ep, const bw_lwsrv_sample_t *v,
                 size_t n, int64_t now_ms)
{
    (void)arg;
    (void)now_ms;
    pthread_mutex_lock(&st_lock);
    for (size_t i = 0; i < n && nstored < STORED_MAX; i++, nstored++) {
        snprintf(stored[nstored].ep, sizeof stored[nstored].ep, "%s", ep);
        snprintf(stored[nstored].path, sizeof stored[nstored].path, "%s",
                 v[i].path);
        stored[nstored].t_ms = v[i].t_ms;
        stored[nstored].kind = v[i].kind;
        stored[nstored].num = v[i].num;
        snprintf(stored[nstored].text, sizeof stored[nstored].text, "%.*s",
                 (int)(v[i].len < 31 ? v[i].len : 31),
                 v[i].bytes != NULL ? (const char *)v[i].bytes : "");
    }
    pthread_mutex_unlock(&st_lock);
    return 0;
}

static size_t stored_count(void)
{
    bw_lwsrv_notify_flush(lw);
    pthread_mutex_lock(&st_lock);
    size_t n = nstored;
    pthread_mutex_unlock(&st_lock);
    return n;
}

static void up(void)
{
    nstored = 0;
    h = fix_server_new();
    h->cfg.on_data = on_data;
    h->cfg.on_tick = on_tick;
    reg = bw_lwsrv_registry_new();
    assert_non_null(reg);
    fix_server_start(h);
    bw_lwsrv_config_t cfg = {.registry = reg,
                             .dtls = h->srv,
                             .authorize = authorize,
                             .notify_store = store};
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

/* ---- the device's side ------------------------------------------------- */

#define LINKS "</>;rt=\"oma.lwm2m\";ct=11543,</3/0>,</3303/0>"
#define PATH  "/3303/0/5700"

static char location[64];

static void parse(const uint8_t *b, int n, bw_coap_msg_t *m)
{
    assert_true(n > 0);
    assert_int_equal(bw_coap_parse(m, b, (size_t)n), 0);
}

/* Handshake as "device-a" and register; location gets the rd location. */
static fix_client_t *registered(void)
{
    fix_client_t *c = fix_client_psk(fix_port(h), "PSK-AES128-CCM8", "device-a",
                                     fix_key_a, sizeof fix_key_a);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    uint8_t req[256], b[512];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_POST, 9,
                        (const uint8_t *)"tok4", 4);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "rd", 2);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 40);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "ep=device-a", 11);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "lt=60", 5);
    bw_coap_writer_payload(&w, LINKS, strlen(LINKS));
    size_t n;
    assert_int_equal(bw_coap_writer_finish(&w, &n), 0);
    fix_client_write(c, req, n);
    bw_coap_msg_t m;
    parse(b, fix_client_read(c, b, sizeof b, FIX_WAIT_MS), &m);
    assert_int_equal(m.code, BW_COAP_CODE(2, 1));
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    location[0] = '\0';
    bw_coap_opt_iter_init(&it, &m);
    while (bw_coap_opt_next(&it, &o) == 1)
        if (o.number == 8 && o.len != 2)
            snprintf(location, sizeof location, "%.*s", (int)o.len,
                     (const char *)o.value);
    assert_int_equal(strlen(location), 32);
    return c;
}

/* A message from the device: type, code, mid, token (8 bytes), Observe
 * seq (seq < 0: none), content format (cf < 0: none), payload. */
static void device_send(fix_client_t *c, uint8_t type, uint8_t code,
                        uint16_t mid, const uint8_t *token, long seq, int cf,
                        const char *payload)
{
    uint8_t out[512];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, out, sizeof out, type, code, mid, token, 8);
    if (seq >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_OBSERVE, (uint32_t)seq);
    if (cf >= 0)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, (uint32_t)cf);
    if (payload != NULL)
        bw_coap_writer_payload(&w, payload, strlen(payload));
    size_t n;
    assert_int_equal(bw_coap_writer_finish(&w, &n), 0);
    fix_client_write(c, out, n);
}

/* The next message the device receives must be an empty type for mid. */
static void expect_empty(fix_client_t *c, uint8_t type, uint16_t mid)
{
    uint8_t b[256];
    bw_coap_msg_t m;
    parse(b, fix_client_read(c, b, sizeof b, FIX_WAIT_MS), &m);
    assert_int_equal(m.type, type);
    assert_int_equal(m.code, 0);
    assert_int_equal(m.mid, mid);
}

/* ---- the requester's side ---------------------------------------------- */

typedef struct {
    pthread_mutex_t lock;
    int done;
    bw_lwsrv_answer_t a; /* payload cleared */
} result_t;

static void done_ex(void *arg, const bw_lwsrv_answer_t *a)
{
    result_t *r = arg;
    pthread_mutex_lock(&r->lock);
    r->a = *a;
    r->a.payload = NULL;
    r->done = 1;
    pthread_mutex_unlock(&r->lock);
}

static int result_done(result_t *r)
{
    uint64_t end = fix_now_ms() + FIX_WAIT_MS;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int d = r->done;
        pthread_mutex_unlock(&r->lock);
        if (d || fix_now_ms() >= end)
            return d;
        fix_sleep_ms(5);
    }
}

/*
 * Observe PATH and answer it as the device does (2.05 with Observe 7 when
 * take, else without); the request's token into token.  Returns the id.
 */
static int64_t observed(fix_client_t *c, uint8_t token[8], int take)
{
    result_t r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    bw_assert_err(bw_lwsrv_observe(lw, "device-a", PATH, BW_COAP_FMT_SENML_JSON,
                                   "api:ops", done_ex, &r),
                  0);
    uint8_t b[512];
    bw_coap_msg_t m;
    parse(b, fix_client_read(c, b, sizeof b, FIX_WAIT_MS), &m);
    assert_int_equal(m.type, BW_COAP_CON);
    assert_int_equal(m.code, BW_COAP_GET);
    assert_int_equal(m.token_len, 8);
    uint32_t v = 99;
    bw_assert_err(bw_coap_msg_uint(&m, BW_COAP_OPT_OBSERVE, &v), 0);
    assert_int_equal(v, 0);
    bw_assert_err(bw_coap_msg_uint(&m, BW_COAP_OPT_ACCEPT, &v), 0);
    assert_int_equal(v, BW_COAP_FMT_SENML_JSON);
    memcpy(token, m.token, 8);
    uint8_t out[256];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, out, sizeof out, BW_COAP_ACK, BW_COAP_CONTENT,
                        m.mid, m.token, m.token_len);
    if (take)
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_OBSERVE, 7);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                            BW_COAP_FMT_SENML_JSON);
    const char *first = "[{\"n\":\"" PATH "\",\"v\":21.5}]";
    bw_coap_writer_payload(&w, first, strlen(first));
    size_t n;
    assert_int_equal(bw_coap_writer_finish(&w, &n), 0);
    fix_client_write(c, out, n);
    assert_true(result_done(&r));
    bw_assert_err(r.a.err, 0);
    assert_int_equal(r.a.code, BW_COAP_CONTENT);
    assert_int_equal(r.a.has_observe, take);
    if (take)
        assert_true(r.a.obs_id > 0);
    else
        assert_int_equal(r.a.obs_id, 0);
    return r.a.obs_id;
}

/* The observations of device-a: how many, and the first into *first. */
typedef struct {
    bw_lwsrv_obs_view_t first;
    size_t n;
} listing_t;

static int collect(void *arg, const bw_lwsrv_obs_view_t *v)
{
    listing_t *l = arg;
    if (l->n++ == 0)
        l->first = *v;
    return 0;
}

static size_t observations(bw_lwsrv_obs_view_t *first)
{
    listing_t l;
    memset(&l, 0, sizeof l);
    bw_assert_err(bw_lwsrv_observations(lw, "device-a", collect, &l), 0);
    *first = l.first;
    return l.n;
}

/*
 * Tried: Observe /3303/0/5700, taken by the device; then a CON
 * notification in SenML JSON with a device time (bt), the same CON again
 * (a retransmission: same MID), and a NON one in text/plain.
 * Must hold: the Observe went out as GET with Observe 0 and Accept 110;
 * each CON is ACKed with its MID; the store got exactly two values, the
 * first at the device's time 1700000000000 ms with 22.25, the second
 * 23.5 at the receive time; the listing shows one observation of PATH
 * by api:ops with 2 notifications.
 */
static void test_notifications_stored(void **state)
{
    (void)state;
    up();
    fix_client_t *c = registered();
    uint8_t tok[8];
    int64_t id = observed(c, tok, 1);
    int64_t before = (int64_t)time(NULL) * 1000;

    device_send(c, BW_COAP_CON, BW_COAP_CONTENT, 0x4001, tok, 8,
                BW_COAP_FMT_SENML_JSON,
                "[{\"bn\":\"" PATH "\",\"bt\":1700000000,\"v\":22.25}]");
    expect_empty(c, BW_COAP_ACK, 0x4001);
    device_send(c, BW_COAP_CON, BW_COAP_CONTENT, 0x4001, tok, 8,
                BW_COAP_FMT_SENML_JSON,
                "[{\"bn\":\"" PATH "\",\"bt\":1700000000,\"v\":22.25}]");
    expect_empty(c, BW_COAP_ACK, 0x4001);
    device_send(c, BW_COAP_NON, BW_COAP_CONTENT, 0x4002, tok, 9,
                BW_COAP_FMT_TEXT, "23.5");
    fix_expect_silence(c, 300);

    assert_int_equal(stored_count(), 2);
    assert_string_equal(stored[0].ep, "device-a");
    assert_string_equal(stored[0].path, PATH);
    assert_int_equal(stored[0].kind, BW_LWSRV_VAL_NUMBER);
    assert_true(stored[0].num == 22.25);
    assert_int_equal(stored[0].t_ms, 1700000000000LL);
    assert_string_equal(stored[1].path, PATH);
    assert_true(stored[1].num == 23.5);
    assert_true(stored[1].t_ms >= before);

    bw_lwsrv_obs_view_t v;
    assert_int_equal(observations(&v), 1);
    assert_int_equal(v.id, id);
    assert_string_equal(v.path, PATH);
    assert_string_equal(v.actor, "api:ops");
    assert_int_equal(v.notifications, 2);
    assert_int_equal(v.dropped, 0);
    assert_true(v.last_ms >= before);
    fix_client_free(c);
    down();
}

/*
 * Tried: notifications with tokens the server never handed out: a CON
 * with Observe, a NON with Observe, and a CON response of another token
 * length.
 * Must hold: each gets a RST with its own MID; nothing is stored.
 */
static void test_unknown_token_reset(void **state)
{
    (void)state;
    up();
    fix_client_t *c = registered();
    static const uint8_t stray[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    device_send(c, BW_COAP_CON, BW_COAP_CONTENT, 0x5001, stray, 3,
                BW_COAP_FMT_TEXT, "1");
    expect_empty(c, BW_COAP_RST, 0x5001);
    device_send(c, BW_COAP_NON, BW_COAP_CONTENT, 0x5002, stray, 4,
                BW_COAP_FMT_TEXT, "2");
    expect_empty(c, BW_COAP_RST, 0x5002);
    assert_int_equal(stored_count(), 0);
    fix_client_free(c);
    down();
}

/*
 * Tried: observe, then cancel it by path; the device answers the Cancel;
 * then a notification with the old token arrives.
 * Must hold: the Cancel is a GET of PATH with Observe 1 and the
 * observation's own token, its answer reaches the caller, the listing is
 * empty at once, and the late notification gets a RST and is not stored;
 * cancelling again is BW_ENOTFOUND.
 */
static void test_cancel(void **state)
{
    (void)state;
    up();
    fix_client_t *c = registered();
    uint8_t tok[8];
    int64_t id = observed(c, tok, 1);
    result_t r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    bw_lwsrv_obs_view_t ended;
    bw_assert_err(bw_lwsrv_cancel(lw, "device-a", 0, PATH, done_ex, &r, &ended),
                  0);
    assert_int_equal(ended.id, id);
    bw_lwsrv_obs_view_t v;
    assert_int_equal(observations(&v), 0);

    uint8_t b[256];
    bw_coap_msg_t m;
    parse(b, fix_client_read(c, b, sizeof b, FIX_WAIT_MS), &m);
    assert_int_equal(m.code, BW_COAP_GET);
    assert_int_equal(m.token_len, 8);
    assert_memory_equal(m.token, tok, 8);
    uint32_t obs = 0;
    bw_assert_err(bw_coap_msg_uint(&m, BW_COAP_OPT_OBSERVE, &obs), 0);
    assert_int_equal(obs, 1);
    device_send(c, BW_COAP_ACK, BW_COAP_CONTENT, m.mid, tok, -1,
                BW_COAP_FMT_TEXT, "20.0");
    assert_true(result_done(&r));
    bw_assert_err(r.a.err, 0);
    assert_int_equal(r.a.code, BW_COAP_CONTENT);

    device_send(c, BW_COAP_CON, BW_COAP_CONTENT, 0x6001, tok, 9,
                BW_COAP_FMT_TEXT, "24.0");
    expect_empty(c, BW_COAP_RST, 0x6001);
    assert_int_equal(stored_count(), 0);
    bw_assert_err(bw_lwsrv_cancel(lw, "device-a", id, NULL, done_ex, &r, NULL),
                  BW_ENOTFOUND);
    fix_client_free(c);
    down();
}

/*
 * Tried: observe, then the device de-registers; then it notifies with the
 * observation's token.
 * Must hold: the observation is gone with the registration (listing
 * empty), the notification gets a RST and nothing is stored.
 */
static void test_deregister_ends(void **state)
{
    (void)state;
    up();
    fix_client_t *c = registered();
    uint8_t tok[8];
    (void)observed(c, tok, 1);
    uint8_t req[128], b[256];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_DELETE, 10,
                        (const uint8_t *)"tok5", 4);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "rd", 2);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, location,
                           strlen(location));
    size_t n;
    assert_int_equal(bw_coap_writer_finish(&w, &n), 0);
    fix_client_write(c, req, n);
    bw_coap_msg_t m;
    parse(b, fix_client_read(c, b, sizeof b, FIX_WAIT_MS), &m);
    assert_int_equal(m.code, BW_COAP_CODE(2, 2));
    bw_lwsrv_obs_view_t v;
    assert_int_equal(observations(&v), 0);

    device_send(c, BW_COAP_CON, BW_COAP_CONTENT, 0x7001, tok, 8,
                BW_COAP_FMT_TEXT, "25.0");
    expect_empty(c, BW_COAP_RST, 0x7001);
    assert_int_equal(stored_count(), 0);
    fix_client_free(c);
    down();
}

/*
 * Tried: a notification whose payload is not SenML (a broken pack), then
 * a 4.04 notification (the resource went away).
 * Must hold: both CONs are ACKed; the first is counted as dropped and
 * stores nothing; after the 4.04 the observation is over (listing empty)
 * and a later notification with its token gets a RST.
 */
static void test_bad_payload_and_error_end(void **state)
{
    (void)state;
    up();
    fix_client_t *c = registered();
    uint8_t tok[8];
    (void)observed(c, tok, 1);
    device_send(c, BW_COAP_CON, BW_COAP_CONTENT, 0x8001, tok, 8,
                BW_COAP_FMT_SENML_JSON, "[{\"n\":");
    expect_empty(c, BW_COAP_ACK, 0x8001);
    bw_lwsrv_obs_view_t v;
    assert_int_equal(observations(&v), 1);
    assert_int_equal(v.dropped, 1);
    assert_int_equal(v.notifications, 1);
    assert_int_equal(stored_count(), 0);

    device_send(c, BW_COAP_CON, BW_COAP_NOT_FOUND, 0x8002, tok, -1, -1, NULL);
    expect_empty(c, BW_COAP_ACK, 0x8002);
    assert_int_equal(observations(&v), 0);
    device_send(c, BW_COAP_NON, BW_COAP_CONTENT, 0x8003, tok, 9,
                BW_COAP_FMT_TEXT, "1");
    expect_empty(c, BW_COAP_RST, 0x8003);
    fix_client_free(c);
    down();
}

/*
 * Tried: an Observe the device answers 2.05 without Observe (it does not
 * take it), and one to a device that is not registered.
 * Must hold: obs_id 0 and no observation listed; BW_ENOTFOUND for the
 * unregistered endpoint; BW_EINVAL for a path that is not one.
 */
static void test_not_taken(void **state)
{
    (void)state;
    up();
    fix_client_t *c = registered();
    uint8_t tok[8];
    assert_int_equal(observed(c, tok, 0), 0);
    bw_lwsrv_obs_view_t v;
    assert_int_equal(observations(&v), 0);
    result_t r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    bw_assert_err(bw_lwsrv_observe(lw, "device-b", PATH, -1, NULL, done_ex, &r),
                  BW_ENOTFOUND);
    bw_assert_err(
        bw_lwsrv_observe(lw, "device-a", "/3303/x", -1, NULL, done_ex, &r),
        BW_EINVAL);
    fix_client_free(c);
    down();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notifications_stored),
        cmocka_unit_test(test_unknown_token_reset),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_deregister_ends),
        cmocka_unit_test(test_bad_payload_and_error_end),
        cmocka_unit_test(test_not_taken),
    };
    return cmocka_run_group_tests(tests, fix_group_setup, fix_group_teardown);
}
