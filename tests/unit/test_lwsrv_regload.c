/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registrations loaded at start (server/lwm2m/lwm2m_registry.c,
 * bw_lwsrv_registry_load and _adopt): an entry with every field but the
 * peer address, which takes no request (BW_ESTATE) until its device's
 * Update or another authorized message gives it one; exact errors for
 * each bad input; and the whole load from a real SQLite store
 * (bw_db_registration_walk into the registry), whose time for 100,000
 * rows is printed (docs/performance.md, "Fleet capacity").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>

#include "lwm2m_registry.h"
#include "test_db_fixture.h"

#define LOC_A "0123456789abcdef0123456789abcdef"
#define LOC_B "fedcba9876543210fedcba9876543210"

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return a;
}

static bw_lwsrv_loaded_t loaded(const char *ep, const char *loc,
                                const char *binding)
{
    bw_lwsrv_loaded_t l = {.ep = ep,
                           .location = loc,
                           .binding = binding,
                           .links = "</1/0>,</3/0>,</3303/0>",
                           .links_len = strlen("</1/0>,</3/0>,</3303/0>"),
                           .lifetime = 300,
                           .version_minor = 1,
                           .registered_ms = 5000,
                           .updated_ms = 7000,
                           .expires_ms = 307000};
    return l;
}

/*
 * Tried: load a queue-mode registration (stored binding "UQ"), read it
 * back, ask where its session is, then Update it by its location from an
 * IPv4 peer on worker 2 at t = 9000 ms.
 * Must hold: the view has every loaded field (binding "U" with queue 1,
 * the links, the three times) and addr_len 0; peer() answers BW_ESTATE
 * with its outputs zeroed and unheard() counts 1; the Update succeeds
 * (2.04, not 4.04) and names the endpoint, after which peer() gives
 * worker 2 and the address, registered_ms is still the loaded one,
 * expires_ms moved to 9000 + lifetime, and unheard() is 0.
 */
static void test_load_then_update(void **state)
{
    (void)state;
    bw_lwsrv_registry_t *r = bw_lwsrv_registry_new();
    assert_non_null(r);
    bw_lwsrv_loaded_t l = loaded("dev-q", LOC_A, "UQ");
    bw_assert_err(bw_lwsrv_registry_load(r, &l), 0);
    assert_int_equal(bw_lwsrv_registry_count(r), 1);
    assert_int_equal(bw_lwsrv_registry_unheard(r), 1);

    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    assert_non_null(v);
    bw_assert_err(bw_lwsrv_registry_get(r, "dev-q", v), 0);
    assert_string_equal(v->location, LOC_A);
    assert_string_equal(v->binding, "U");
    assert_int_equal(v->queue, 1);
    assert_int_equal(v->version_minor, 1);
    assert_int_equal(v->lifetime, 300);
    assert_string_equal(v->links, "</1/0>,</3/0>,</3303/0>");
    assert_int_equal(v->links_truncated, 0);
    assert_int_equal(v->registered_ms, 5000);
    assert_int_equal(v->updated_ms, 7000);
    assert_int_equal(v->expires_ms, 307000);
    assert_int_equal(v->addr_len, 0);

    unsigned worker = 99;
    struct sockaddr_storage ss;
    socklen_t len = 99;
    memset(&ss, 0xa5, sizeof ss);
    bw_assert_err(bw_lwsrv_registry_peer(r, "dev-q", &worker, &ss, &len),
                  BW_ESTATE);
    assert_int_equal(worker, 0);
    assert_int_equal(len, 0);
    assert_int_equal(((const uint8_t *)&ss)[0], 0);

    struct sockaddr_in a = v4("192.0.2.9", 40001);
    bw_lwsrv_reg_t q;
    memset(&q, 0, sizeof q);
    memcpy(q.location, LOC_A, sizeof q.location);
    char ep[BW_LWSRV_EP_MAX + 1];
    bw_assert_err(bw_lwsrv_registry_update(r, &q, 2,
                                           (const struct sockaddr *)&a,
                                           sizeof a, 9000, ep),
                  0);
    assert_string_equal(ep, "dev-q");
    bw_assert_err(bw_lwsrv_registry_peer(r, "dev-q", &worker, &ss, &len), 0);
    assert_int_equal(worker, 2);
    assert_int_equal(len, sizeof a);
    assert_memory_equal(&ss, &a, sizeof a);
    bw_assert_err(bw_lwsrv_registry_get(r, "dev-q", v), 0);
    assert_int_equal(v->registered_ms, 5000);
    assert_int_equal(v->updated_ms, 9000);
    assert_int_equal(v->expires_ms, 9000 + 300000);
    assert_int_equal(v->queue, 1);
    assert_string_equal(v->links, "</1/0>,</3/0>,</3303/0>");
    assert_int_equal(bw_lwsrv_registry_unheard(r), 0);
    free(v);
    bw_lwsrv_registry_free(r);
}

/*
 * Tried: every input load must refuse: NULL registry, entry, name,
 * location and binding; an endpoint with a space, an empty one, one of
 * 65 bytes; a location of 31 digits, in upper case, with a 'g'; bindings
 * "", "X", "UQTS" (4 letters) and "Q" (no transport); lifetime 0 and one
 * above BW_LWSRV_LT_MAX; then a name, and a location, held already.
 * Must hold: BW_EINVAL, BW_EMALFORMED, BW_ERANGE and BW_EEXIST exactly
 * as listed; the registry holds only the one good entry after all of it.
 */
static void test_load_errors(void **state)
{
    (void)state;
    bw_lwsrv_registry_t *r = bw_lwsrv_registry_new();
    assert_non_null(r);
    bw_lwsrv_loaded_t l = loaded("dev-1", LOC_A, "U");
    bw_assert_err(bw_lwsrv_registry_load(NULL, &l), BW_EINVAL);
    bw_assert_err(bw_lwsrv_registry_load(r, NULL), BW_EINVAL);
    l.ep = NULL;
    bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_EINVAL);
    l = loaded("dev-1", NULL, "U");
    bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_EINVAL);
    l = loaded("dev-1", LOC_A, NULL);
    bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_EINVAL);

    char long_ep[BW_LWSRV_EP_MAX + 2];
    memset(long_ep, 'e', sizeof long_ep - 1);
    long_ep[sizeof long_ep - 1] = '\0';
    const char *const bad_ep[] = {"dev 1", "", long_ep};
    for (size_t i = 0; i < 3; i++) {
        l = loaded(bad_ep[i], LOC_A, "U");
        bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_EMALFORMED);
    }
    static const char *const bad_loc[] = {"0123456789abcdef0123456789abcde",
                                          "0123456789ABCDEF0123456789abcdef",
                                          "0123456789abcdef0123456789abcdeg"};
    for (size_t i = 0; i < 3; i++) {
        l = loaded("dev-1", bad_loc[i], "U");
        bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_EMALFORMED);
    }
    static const char *const bad_binding[] = {"", "X", "UQTS", "Q"};
    for (size_t i = 0; i < 4; i++) {
        l = loaded("dev-1", LOC_A, bad_binding[i]);
        bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_EMALFORMED);
    }
    l = loaded("dev-1", LOC_A, "U");
    l.lifetime = 0;
    bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_ERANGE);
    l.lifetime = BW_LWSRV_LT_MAX + 1;
    bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_ERANGE);
    assert_int_equal(bw_lwsrv_registry_count(r), 0);

    l = loaded("dev-1", LOC_A, "U");
    bw_assert_err(bw_lwsrv_registry_load(r, &l), 0);
    l = loaded("dev-1", LOC_B, "U"); /* the name again */
    bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_EEXIST);
    l = loaded("dev-2", LOC_A, "U"); /* the location again */
    bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_EEXIST);
    assert_int_equal(bw_lwsrv_registry_count(r), 1);
    char ep[BW_LWSRV_EP_MAX + 1];
    bw_assert_err(bw_lwsrv_registry_ep_of(r, LOC_A, ep), 0);
    assert_string_equal(ep, "dev-1");
    bw_assert_err(bw_lwsrv_registry_ep_of(r, LOC_B, ep), BW_ENOTFOUND);
    bw_lwsrv_registry_free(r);
}

/*
 * Tried: a device that registered while the load ran (a live entry with
 * an address), then a load of the same name; adopt() on a loaded entry,
 * on it again, on the live entry and on an unknown name.
 * Must hold: the load answers BW_EEXIST and the live entry keeps its
 * location and address; the first adopt gives the loaded entry its
 * worker and address (peer() then answers 0) and keeps every other
 * field, the second is BW_EEXIST and changes nothing, the live one
 * BW_EEXIST, the unknown BW_ENOTFOUND.
 */
static void test_adopt_and_live_entry(void **state)
{
    (void)state;
    bw_lwsrv_registry_t *r = bw_lwsrv_registry_new();
    assert_non_null(r);
    struct sockaddr_in live = v4("198.51.100.1", 5000);
    bw_lwsrv_reg_t q;
    memset(&q, 0, sizeof q);
    snprintf(q.ep, sizeof q.ep, "dev-live");
    q.lifetime = 60;
    memcpy(q.binding, "U", 2);
    char loc[BW_LWSRV_LOC_LEN + 1];
    bw_assert_err(bw_lwsrv_registry_register(r, &q, 1,
                                             (const struct sockaddr *)&live,
                                             sizeof live, 100, loc),
                  0);
    bw_lwsrv_loaded_t l = loaded("dev-live", LOC_A, "U");
    bw_assert_err(bw_lwsrv_registry_load(r, &l), BW_EEXIST);
    l = loaded("dev-old", LOC_B, "U");
    bw_assert_err(bw_lwsrv_registry_load(r, &l), 0);

    struct sockaddr_in a = v4("192.0.2.33", 6000), b = v4("192.0.2.34", 6001);
    bw_assert_err(bw_lwsrv_registry_adopt(
                      r, "dev-old", 3, (const struct sockaddr *)&a, sizeof a),
                  0);
    bw_assert_err(bw_lwsrv_registry_adopt(
                      r, "dev-old", 0, (const struct sockaddr *)&b, sizeof b),
                  BW_EEXIST);
    bw_assert_err(bw_lwsrv_registry_adopt(
                      r, "dev-live", 0, (const struct sockaddr *)&b, sizeof b),
                  BW_EEXIST);
    bw_assert_err(bw_lwsrv_registry_adopt(
                      r, "nobody", 0, (const struct sockaddr *)&b, sizeof b),
                  BW_ENOTFOUND);
    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    assert_non_null(v);
    bw_assert_err(bw_lwsrv_registry_get(r, "dev-old", v), 0);
    assert_int_equal(v->worker, 3);
    assert_int_equal(v->addr_len, sizeof a);
    assert_memory_equal(&v->addr, &a, sizeof a);
    assert_string_equal(v->location, LOC_B);
    assert_string_equal(v->links, "</1/0>,</3/0>,</3303/0>");
    assert_int_equal(v->registered_ms, 5000);
    assert_int_equal(v->updated_ms, 7000);
    assert_int_equal(v->expires_ms, 307000);
    bw_assert_err(bw_lwsrv_registry_get(r, "dev-live", v), 0);
    assert_string_equal(v->location, loc);
    assert_memory_equal(&v->addr, &live, sizeof live);
    char ep[BW_LWSRV_EP_MAX + 1];
    bw_assert_err(bw_lwsrv_registry_ep_of(r, LOC_B, ep), 0);
    assert_string_equal(ep, "dev-old");
    assert_int_equal(bw_lwsrv_registry_unheard(r), 0);
    free(v);
    bw_lwsrv_registry_free(r);
}

static int expired_n;
static void on_expired(void *arg, const char *ep)
{
    (void)arg;
    assert_string_equal(ep, "dev-gone");
    expired_n++;
}

/*
 * Tried: two loaded entries on a monotonic clock near its zero: one
 * registered "before" zero (registered_ms wrapped to 2^64 - 60000) that
 * expires at 1000, one expiring at 500000; expire() at 2000 without
 * grace.
 * Must hold: the first goes (its expired callback names it), the second
 * stays and is still addressless; the wrapped time comes back as given
 * (differences from now stay right modulo 2^64).
 */
static void test_loaded_expiry(void **state)
{
    (void)state;
    bw_lwsrv_registry_t *r = bw_lwsrv_registry_new();
    assert_non_null(r);
    bw_lwsrv_loaded_t l = loaded("dev-gone", LOC_A, "U");
    l.registered_ms = l.updated_ms = (uint64_t)0 - 60000u;
    l.expires_ms = 1000;
    bw_assert_err(bw_lwsrv_registry_load(r, &l), 0);
    l = loaded("dev-stays", LOC_B, "U");
    l.expires_ms = 500000;
    bw_assert_err(bw_lwsrv_registry_load(r, &l), 0);
    expired_n = 0;
    assert_int_equal(bw_lwsrv_registry_expire(r, 2000, 0, on_expired, NULL), 1);
    assert_int_equal(expired_n, 1);
    assert_int_equal(bw_lwsrv_registry_count(r), 1);
    assert_int_equal(bw_lwsrv_registry_unheard(r), 1);
    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    assert_non_null(v);
    bw_assert_err(bw_lwsrv_registry_get(r, "dev-gone", v), BW_ENOTFOUND);
    bw_assert_err(bw_lwsrv_registry_get(r, "dev-stays", v), 0);
    assert_int_equal(v->addr_len, 0);
    free(v);
    bw_lwsrv_registry_free(r);
}

/* ---- the whole load from a real store --------------------------------- */

#define FLEET 100000u

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int into_registry(void *arg, const bw_db_reg_row_t *row)
{
    bw_lwsrv_loaded_t l = {.ep = row->endpoint,
                           .location = row->location,
                           .binding = row->binding,
                           .links = row->object_links,
                           .links_len = row->object_links_len,
                           .lifetime = row->lifetime_s,
                           .version_minor = (uint8_t)(row->version[2] - '0'),
                           .registered_ms = (uint64_t)row->registered_ms,
                           .updated_ms = (uint64_t)row->updated_ms,
                           .expires_ms = (uint64_t)row->expires_ms};
    return bw_lwsrv_registry_load(arg, &l);
}

/*
 * Tried: 100,000 registrations committed to a real SQLite store (one
 * batch), plus 1,000 already expired; then the start-up load: the
 * store walked in pages of 4,096 rows into an empty registry.  The time
 * of the load is printed, not judged (timing is for docs/performance.md).
 * Must hold: 100,000 entries loaded, none refused, none bad, the expired
 * ones not among them; each can be found by name and by its stored
 * location; every one is addressless (BW_ESTATE from peer()).
 */
static void test_load_100k_from_store(void **state)
{
    (void)state;
    static dbfx_t f;
    dbfx_init(&f);
    dbfx_open(&f);
    const int64_t now = 1700000000000LL;
    bw_db_reg_event_t *ev = calloc(FLEET + 1000, sizeof *ev);
    char(*eps)[16] = calloc(FLEET + 1000, sizeof *eps);
    assert_non_null(ev);
    assert_non_null(eps);
    for (size_t i = 0; i < FLEET + 1000; i++) {
        snprintf(eps[i], sizeof eps[i], "%s-%06zu", i < FLEET ? "dev" : "old",
                 i);
        ev[i].op = BW_DB_REG_REGISTER;
        ev[i].endpoint = eps[i];
        ev[i].lifetime_s = 3600;
        ev[i].binding = "U";
        ev[i].version = "1.1";
        ev[i].object_links = "</1/0>,</3/0>,</5/0>,</3303/0>";
        ev[i].now_ms = i < FLEET ? now : now - 7200000; /* expired */
    }
    bw_assert_err(bw_db_registration_batch(f.db, ev, FLEET), 0);
    bw_assert_err(bw_db_registration_batch(f.db, ev + FLEET, 1000), 0);

    bw_lwsrv_registry_t *r = bw_lwsrv_registry_new();
    assert_non_null(r);
    bw_db_reg_walk_t st;
    uint64_t t0 = mono_ms();
    bw_assert_err(
        bw_db_registration_walk(f.db, now, 4096, into_registry, r, &st), 0);
    uint64_t ms = mono_ms() - t0;
    print_message("load of %u stored registrations: %llu ms (%llu pages)\n",
                  FLEET, (unsigned long long)ms, (unsigned long long)st.pages);
    assert_int_equal(st.rows, FLEET);
    assert_int_equal(st.bad, 0);
    assert_int_equal(bw_lwsrv_registry_count(r), FLEET);
    assert_int_equal(bw_lwsrv_registry_unheard(r), FLEET);

    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < FLEET + 1000; i += 997) {
        int err = bw_lwsrv_registry_get(r, eps[i], v);
        if (i >= FLEET) {
            bw_assert_err(err, BW_ENOTFOUND);
            continue;
        }
        bw_assert_err(err, 0);
        assert_string_equal(v->location, ev[i].location);
        char ep[BW_LWSRV_EP_MAX + 1];
        bw_assert_err(bw_lwsrv_registry_ep_of(r, ev[i].location, ep), 0);
        assert_string_equal(ep, eps[i]);
        unsigned w;
        struct sockaddr_storage ss;
        socklen_t len;
        bw_assert_err(bw_lwsrv_registry_peer(r, eps[i], &w, &ss, &len),
                      BW_ESTATE);
    }
    free(v);
    bw_lwsrv_registry_free(r);
    free(ev);
    free(eps);
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_then_update),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_adopt_and_live_entry),
        cmocka_unit_test(test_loaded_expiry),
        cmocka_unit_test(test_load_100k_from_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
