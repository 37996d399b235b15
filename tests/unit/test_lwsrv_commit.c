/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registrations answered only once stored (server/lwm2m/lwm2m_srv.c,
 * bw_lwsrv_config_t.commit and bw_lwsrv_committed): the real DTLS engine
 * on loopback, a real OpenSSL DTLS client speaking CoAP built with the
 * project's writer.  The commit hook here holds each write until the
 * test decides how it ended, as the server's writer thread does until
 * its transaction is on disk.
 */
#define _GNU_SOURCE
#include "dtls_fixture.h"
#include "dtls_client_fixture.h"

#include "lwm2m_srv.h"
#include "lwsrv_fixture.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned ev_count[BW_LWSRV_EV_BOOTSTRAP_REQUEST + 1];
/* The writes handed to the hook and not yet completed, oldest first. */
static bw_lwsrv_pending_t *held[8];
static bw_lwsrv_write_t held_wr[8]; /* kind and the location only */
static char held_loc[8][BW_LWSRV_LOC_LEN + 1];
static size_t n_held, n_commits;
static int commit_err; /* what the hook returns */

static void event(void *arg, const bw_lwsrv_event_t *ev)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    ev_count[ev->kind]++;
    pthread_mutex_unlock(&lock);
}

static int commit(void *arg, bw_lwsrv_pending_t *p, const bw_lwsrv_write_t *wr)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    n_commits++;
    int err = commit_err;
    if (err == 0 && n_held < 8) {
        held[n_held] = p;
        held_wr[n_held].kind = wr->kind;
        snprintf(held_loc[n_held], sizeof held_loc[n_held], "%s", wr->location);
        n_held++;
    } else if (err == 0) {
        err = BW_ENOSPC;
    }
    pthread_mutex_unlock(&lock);
    return err;
}

static unsigned count(bw_lwsrv_event_kind_t k)
{
    pthread_mutex_lock(&lock);
    unsigned n = ev_count[k];
    pthread_mutex_unlock(&lock);
    return n;
}

static size_t commits(void)
{
    pthread_mutex_lock(&lock);
    size_t n = n_commits;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Until n writes were handed to the hook (a datagram takes a moment). */
static void wait_commits(size_t n)
{
    for (int i = 0; i < FIX_WAIT_MS && commits() < n; i++)
        usleep(1000);
    assert_int_equal(commits(), n);
}

/* Complete the oldest held write with err; its location into loc. */
static void complete(int err, char loc[BW_LWSRV_LOC_LEN + 1])
{
    pthread_mutex_lock(&lock);
    assert_true(n_held > 0);
    bw_lwsrv_pending_t *p = held[0];
    if (loc != NULL)
        memcpy(loc, held_loc[0], BW_LWSRV_LOC_LEN + 1);
    memmove(held, held + 1, (n_held - 1) * sizeof held[0]);
    memmove(held_wr, held_wr + 1, (n_held - 1) * sizeof held_wr[0]);
    memmove(held_loc, held_loc + 1, (n_held - 1) * sizeof held_loc[0]);
    n_held--;
    pthread_mutex_unlock(&lock);
    bw_lwsrv_committed(p, err); /* from this thread: any thread may */
}

static void up(void)
{
    memset(ev_count, 0, sizeof ev_count);
    n_held = n_commits = 0;
    commit_err = 0;
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
                             .commit = commit};
    lw = bw_lwsrv_new(&cfg, 1);
    assert_non_null(lw);
}

static void down(void)
{
    fix_server_free(h); /* writes still held are freed by their jobs */
    bw_lwsrv_free(lw);
    bw_lwsrv_registry_free(reg);
    lw = NULL;
}

static void request(fix_client_t *c, uint8_t code, uint16_t mid,
                    const char *path, const char *query, const char *links)
{
    uint8_t out[512];
    bw_coap_writer_t w;
    bw_coap_writer_init(&w, out, sizeof out, BW_COAP_CON, code, mid,
                        (const uint8_t *)"tok4", 4);
    char buf[128];
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
    fix_client_write(c, out, len);
}

/* The answer to mid, or 0 when none came within wait_ms. */
static uint8_t answer(fix_client_t *c, uint16_t mid, int wait_ms,
                      char loc[BW_LWSRV_LOC_LEN + 1])
{
    uint8_t buf[512];
    int got = fix_client_read(c, buf, sizeof buf, wait_ms);
    if (got <= 0)
        return 0;
    bw_coap_msg_t m;
    assert_int_equal(bw_coap_parse(&m, buf, (size_t)got), 0);
    assert_int_equal(m.type, BW_COAP_ACK);
    assert_int_equal(m.mid, mid);
    if (loc != NULL) {
        bw_coap_opt_iter_t it;
        bw_coap_opt_t o;
        loc[0] = '\0';
        bw_coap_opt_iter_init(&it, &m);
        while (bw_coap_opt_next(&it, &o) == 1)
            if (o.number == 8 && o.len == BW_LWSRV_LOC_LEN) {
                memcpy(loc, o.value, o.len);
                loc[o.len] = '\0';
            }
    }
    return m.code;
}

static fix_client_t *device_a(void)
{
    fix_client_t *c = fix_client_psk(fix_port(h), "PSK-AES128-CCM8", "device-a",
                                     fix_key_a, sizeof fix_key_a);
    assert_int_equal(fix_client_handshake(c, FIX_WAIT_MS), FIX_OK);
    return c;
}

#define REG_QUERY "ep=device-a&lt=60&lwm2m=1.1&b=U"
#define LINKS     "</1/0>,</3/0>"

/*
 * Tried: a Register whose write is held, the same Register retransmitted
 * while it is held, then the write completed; the retransmission again;
 * then an Update and a De-register, each completed.
 * Must hold: no answer and nothing in the registry while the write is
 * held, and the retransmission neither answered nor handed over twice;
 * after completion 2.01 with the location the write carried, the
 * registration and one REGISTERED event; the late retransmission gets
 * the same 2.01; 2.04 and 2.02 only after their writes complete.
 */
static void test_answer_after_commit(void **state)
{
    (void)state;
    up();
    fix_client_t *c = device_a();
    request(c, BW_COAP_POST, 0x200, "rd", REG_QUERY, LINKS);
    assert_int_equal(answer(c, 0x200, 300, NULL), 0);
    assert_int_equal(commits(), 1);
    assert_int_equal(bw_lwsrv_registry_count(reg), 0);
    request(c, BW_COAP_POST, 0x200, "rd", REG_QUERY, LINKS);
    assert_int_equal(answer(c, 0x200, 300, NULL), 0);
    assert_int_equal(commits(), 1);

    char stored[BW_LWSRV_LOC_LEN + 1], loc[BW_LWSRV_LOC_LEN + 1];
    complete(0, stored);
    assert_int_equal(answer(c, 0x200, FIX_WAIT_MS, loc), BW_COAP_CODE(2, 1));
    assert_string_equal(loc, stored);
    assert_int_equal(bw_lwsrv_registry_count(reg), 1);
    assert_int_equal(count(BW_LWSRV_EV_REGISTERED), 1);
    char again[BW_LWSRV_LOC_LEN + 1];
    request(c, BW_COAP_POST, 0x200, "rd", REG_QUERY, LINKS);
    assert_int_equal(answer(c, 0x200, FIX_WAIT_MS, again), BW_COAP_CODE(2, 1));
    assert_string_equal(again, stored);
    assert_int_equal(commits(), 1);

    char path[64];
    snprintf(path, sizeof path, "rd/%s", stored);
    request(c, BW_COAP_POST, 0x201, path, "lt=120", NULL);
    assert_int_equal(answer(c, 0x201, 300, NULL), 0);
    bw_lwsrv_regview_t v;
    bw_assert_err(bw_lwsrv_registry_get(reg, "device-a", &v), 0);
    assert_int_equal(v.lifetime, 60); /* not applied before the commit */
    complete(0, NULL);
    assert_int_equal(answer(c, 0x201, FIX_WAIT_MS, NULL), BW_COAP_CODE(2, 4));
    bw_assert_err(bw_lwsrv_registry_get(reg, "device-a", &v), 0);
    assert_int_equal(v.lifetime, 120);

    request(c, BW_COAP_DELETE, 0x202, path, NULL, NULL);
    assert_int_equal(answer(c, 0x202, 300, NULL), 0);
    assert_int_equal(bw_lwsrv_registry_count(reg), 1);
    complete(0, NULL);
    assert_int_equal(answer(c, 0x202, FIX_WAIT_MS, NULL), BW_COAP_CODE(2, 2));
    assert_int_equal(bw_lwsrv_registry_count(reg), 0);
    assert_int_equal(count(BW_LWSRV_EV_DEREGISTERED), 1);
    fix_client_free(c);
    down();
}

/*
 * Tried: a Register whose write fails (BW_EIO); a Register the hook
 * refuses at once (BW_ESTATE); a registered device's Update whose write
 * finds no such registration in the store (BW_ENOTFOUND); a write
 * completed while the server stops.
 * Must hold: 5.00 and nothing in memory, no event, for both failures;
 * 4.04 for the Update, and the registration dropped from memory too;
 * a write completed as the server stops is not leaked (ASan).
 */
static void test_failed_commit(void **state)
{
    (void)state;
    up();
    fix_client_t *c = device_a();
    request(c, BW_COAP_POST, 0x300, "rd", REG_QUERY, LINKS);
    assert_int_equal(answer(c, 0x300, 300, NULL), 0);
    complete(BW_EIO, NULL);
    assert_int_equal(answer(c, 0x300, FIX_WAIT_MS, NULL), BW_COAP_CODE(5, 0));
    assert_int_equal(bw_lwsrv_registry_count(reg), 0);
    assert_int_equal(count(BW_LWSRV_EV_REGISTERED), 0);

    pthread_mutex_lock(&lock);
    commit_err = BW_ESTATE;
    pthread_mutex_unlock(&lock);
    request(c, BW_COAP_POST, 0x301, "rd", REG_QUERY, LINKS);
    assert_int_equal(answer(c, 0x301, FIX_WAIT_MS, NULL), BW_COAP_CODE(5, 0));
    assert_int_equal(bw_lwsrv_registry_count(reg), 0);
    pthread_mutex_lock(&lock);
    commit_err = 0;
    pthread_mutex_unlock(&lock);

    char loc[BW_LWSRV_LOC_LEN + 1];
    request(c, BW_COAP_POST, 0x302, "rd", REG_QUERY, LINKS);
    wait_commits(3);
    complete(0, NULL);
    assert_int_equal(answer(c, 0x302, FIX_WAIT_MS, loc), BW_COAP_CODE(2, 1));
    char path[64];
    snprintf(path, sizeof path, "rd/%s", loc);
    request(c, BW_COAP_POST, 0x303, path, "lt=90", NULL);
    assert_int_equal(answer(c, 0x303, 300, NULL), 0);
    complete(BW_ENOTFOUND, NULL);
    assert_int_equal(answer(c, 0x303, FIX_WAIT_MS, NULL), BW_COAP_CODE(4, 4));
    assert_int_equal(bw_lwsrv_registry_count(reg), 0);
    assert_int_equal(count(BW_LWSRV_EV_UPDATED), 0);

    request(c, BW_COAP_POST, 0x304, "rd", REG_QUERY, LINKS);
    assert_int_equal(answer(c, 0x304, 300, NULL), 0);
    assert_int_equal(commits(), 5);
    /* Completed as the server stops: answered, or freed by its job run
     * with no worker; never leaked (the engine runs queued jobs). */
    fix_client_free(c);
    complete(0, NULL);
    down();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_after_commit),
        cmocka_unit_test(test_failed_commit),
    };
    return cmocka_run_group_tests(tests, fix_group_setup, fix_group_teardown);
}
