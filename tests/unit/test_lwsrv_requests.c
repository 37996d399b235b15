/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Many requests in flight to one device at once (server/lwm2m/
 * lwm2m_srv_request.c keeps them in a heap ordered by when each is next
 * due): the real DTLS engine on loopback, a real OpenSSL DTLS client
 * playing the device, which answers some requests, acknowledges others
 * (a separate response to follow) and ignores the rest.  The security
 * store's policy here: a PSK identity owns the endpoint name equal to it.
 */
#define _GNU_SOURCE
#include "dtls_fixture.h"
#include "dtls_client_fixture.h"

#include "lwm2m_srv.h"
#include "lwsrv_fixture.h"

static void up(uint32_t ack_timeout_ms, uint32_t max_retransmit)
{
    h = fix_server_new();
    h->cfg.on_data = on_data;
    h->cfg.on_tick = on_tick;
    reg = bw_lwsrv_registry_new();
    assert_non_null(reg);
    fix_server_start(h);
    bw_lwsrv_config_t cfg = {.registry = reg,
                             .dtls = h->srv,
                             .authorize = authorize,
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

/* device-a over DTLS, registered. */
static fix_client_t *registered(void)
{
    fix_client_t *c = fix_client_psk(fix_port(h), "PSK-AES128-CCM8", "device-a",
                                     fix_key_a, sizeof fix_key_a);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    uint8_t req[256], b[256];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, req, sizeof req, BW_COAP_CON, BW_COAP_POST, 9,
                        (const uint8_t *)"tk", 2);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "rd", 2);
    bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 40);
    bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "ep=device-a", 11);
    bw_coap_writer_payload(&w, "</3/0>", 6);
    size_t len;
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    fix_client_write(c, req, len);
    int n = fix_client_read(c, b, sizeof b, FIX_WAIT_MS);
    assert_true(n > 0);
    bw_coap_msg_t m;
    assert_int_equal(bw_coap_parse(&m, b, (size_t)n), 0);
    assert_int_equal(m.code, BW_COAP_CODE(2, 1));
    return c;
}

typedef struct {
    pthread_mutex_t lock;
    int done, err;
    uint8_t code;
    char payload[16];
} result_t;

static void done_cb(void *arg, int err, uint8_t code, uint32_t cf,
                    const uint8_t *payload, size_t len)
{
    result_t *r = arg;
    (void)cf;
    pthread_mutex_lock(&r->lock);
    r->err = err;
    r->code = code;
    snprintf(r->payload, sizeof r->payload, "%.*s", (int)len,
             payload != NULL ? (const char *)payload : "");
    r->done++;
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

/* Which request a message is: its second Uri-Path segment, "/9/<i>". */
static int index_of(const bw_coap_msg_t *m)
{
    bw_coap_opt_iter_t it;
    bw_coap_opt_t o;
    int seg = 0, i = -1;
    bw_coap_opt_iter_init(&it, m);
    while (bw_coap_opt_next(&it, &o) == 1)
        if (o.number == BW_COAP_OPT_URI_PATH && seg++ == 1) {
            char s[8];
            snprintf(s, sizeof s, "%.*s", (int)o.len, (const char *)o.value);
            i = atoi(s);
        }
    return i;
}

static void answer(fix_client_t *c, uint8_t type, uint8_t code, uint16_t mid,
                   const bw_coap_msg_t *req, const char *payload)
{
    uint8_t resp[64];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, resp, sizeof resp, type, code, mid,
                        code != 0 ? req->token : NULL,
                        code != 0 ? req->token_len : 0);
    if (payload != NULL)
        bw_coap_writer_payload(&w, payload, strlen(payload));
    size_t len;
    assert_int_equal(bw_coap_writer_finish(&w, &len), 0);
    fix_client_write(c, resp, len);
}

#define NREQ 30

/*
 * Tried: 30 Reads to one device at once, ACK_TIMEOUT 1 s, MAX_RETRANSMIT
 * 1.  The device answers every third at once (piggybacked 2.05), sends an
 * empty ACK for the next and ignores the third; later it sends separate
 * CON responses to half of the acknowledged ones.
 * Must hold: 30 distinct message IDs; only the ignored requests are sent
 * again, each exactly once and with its first message ID; they end
 * BW_ETIMEOUT; the answered ones end with their own payload; the
 * acknowledged ones are still waiting after the others timed out, those
 * answered later end with their own payload, the rest BW_ESTATE when the
 * server stops; every callback runs exactly once.
 */
static void test_many_in_flight(void **state)
{
    (void)state;
    up(1000, 1);
    fix_client_t *c = registered();
    static result_t r[NREQ];
    uint8_t token[NREQ][8];
    uint16_t mids[NREQ], order[NREQ];
    for (int i = 0; i < NREQ; i++) {
        memset(&r[i], 0, sizeof r[i]);
        pthread_mutex_init(&r[i].lock, NULL);
        bw_lwsrv_op_t op = {
            .method = BW_COAP_GET, .content_format = -1, .accept = -1};
        snprintf(op.path, sizeof op.path, "/9/%d/1", i);
        bw_assert_err(bw_lwsrv_request(lw, "device-a", &op, done_cb, &r[i]), 0);
    }
    uint8_t b[512];
    bw_coap_msg_t m;
    int seen[NREQ] = {0};
    for (int k = 0; k < NREQ; k++) {
        int n = fix_client_read(c, b, sizeof b, FIX_WAIT_MS);
        assert_true(n > 0);
        assert_int_equal(bw_coap_parse(&m, b, (size_t)n), 0);
        assert_int_equal(m.type, BW_COAP_CON);
        int i = index_of(&m);
        assert_true(i >= 0 && i < NREQ);
        assert_int_equal(seen[i]++, 0);
        assert_int_equal(m.token_len, 8);
        memcpy(token[i], m.token, 8);
        mids[i] = m.mid;
        for (int j = 0; j < k; j++) /* distinct message IDs */
            assert_int_not_equal(order[j], m.mid);
        order[k] = m.mid;
        char v[8];
        snprintf(v, sizeof v, "v%d", i);
        if (i % 3 == 0)
            answer(c, BW_COAP_ACK, BW_COAP_CODE(2, 5), m.mid, &m, v);
        else if (i % 3 == 1)
            answer(c, BW_COAP_ACK, 0, m.mid, &m, NULL);
    }
    /* Retransmissions: the ignored ones only, once each, same MID. */
    for (;;) {
        int n = fix_client_read(c, b, sizeof b, 2000);
        if (n <= 0)
            break;
        assert_int_equal(bw_coap_parse(&m, b, (size_t)n), 0);
        int i = index_of(&m);
        assert_true(i >= 0 && i < NREQ);
        assert_int_equal(i % 3, 2);
        assert_int_equal(m.mid, mids[i]);
        assert_int_equal(seen[i]++, 1);
    }
    for (int i = 2; i < NREQ; i += 3) {
        assert_int_equal(seen[i], 2);
        assert_true(result_done(&r[i], FIX_WAIT_MS));
        bw_assert_err(r[i].err, BW_ETIMEOUT);
    }
    for (int i = 0; i < NREQ; i += 3) {
        assert_true(result_done(&r[i], FIX_WAIT_MS));
        bw_assert_err(r[i].err, 0);
        assert_int_equal(r[i].code, BW_COAP_CODE(2, 5));
        char v[8];
        snprintf(v, sizeof v, "v%d", i);
        assert_string_equal(r[i].payload, v);
    }
    /* Acknowledged: still waiting; half of them answered now. */
    for (int i = 1; i < NREQ; i += 3) {
        assert_int_equal(result_done(&r[i], 0), 0);
        if (i % 2 == 0)
            continue;
        bw_coap_msg_t q;
        memset(&q, 0, sizeof q);
        memcpy(q.token, token[i], 8);
        q.token_len = 8;
        char v[8];
        snprintf(v, sizeof v, "s%d", i);
        answer(c, BW_COAP_CON, BW_COAP_CODE(2, 5), (uint16_t)(0x4000 + i), &q,
               v);
        assert_true(result_done(&r[i], FIX_WAIT_MS));
        bw_assert_err(r[i].err, 0);
        assert_string_equal(r[i].payload, v);
    }
    fix_client_free(c);
    down();
    for (int i = 0; i < NREQ; i++) {
        assert_int_equal(r[i].done, 1);
        if (i % 3 == 1 && i % 2 == 0)
            bw_assert_err(r[i].err, BW_ESTATE);
        pthread_mutex_destroy(&r[i].lock);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_in_flight),
    };
    return cmocka_run_group_tests(tests, fix_group_setup, fix_group_teardown);
}
