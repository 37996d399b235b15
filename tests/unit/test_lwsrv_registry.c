/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry (server/lwm2m/lwm2m_registry.c) on its own: entries sized
 * to what was registered, so what must hold is that every field comes
 * back as it went in, through Updates that grow or shrink the links or
 * change the size of the peer address (an entry replaced in both
 * indexes), with links cut at what a view holds, and across many entries
 * (the indexes growing).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lwm2m_registry.h"
#include "testutil.h"

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return a;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    return a;
}

static bw_lwsrv_reg_t reg_req(const char *ep, const char *links)
{
    bw_lwsrv_reg_t q;
    memset(&q, 0, sizeof q);
    snprintf(q.ep, sizeof q.ep, "%s", ep);
    q.lifetime = 60;
    q.has_lifetime = 1;
    q.version_minor = 1;
    memcpy(q.binding, "U", 2);
    q.links = links;
    q.links_len = links != NULL ? strlen(links) : 0;
    return q;
}

static bw_lwsrv_reg_t upd_req(const char *loc, const char *links)
{
    bw_lwsrv_reg_t q;
    memset(&q, 0, sizeof q);
    snprintf(q.location, sizeof q.location, "%s", loc);
    q.links = links;
    q.links_len = links != NULL ? strlen(links) : 0;
    return q;
}

/*
 * Tried: Register with three links from IPv4; Update with longer links,
 * then shorter ones, then others of the same size, then none, then from an IPv6
 * address (a larger address), then a lifetime and binding change; De-register.
 * Must hold: after each step get() shows exactly the links and address
 * last given (no leftovers of a longer value), the location, endpoint,
 * registration time and the fields not updated stay, ep_of() and peer()
 * agree, the count stays 1; after De-register everything is BW_ENOTFOUND
 * and the outputs are cleared.
 */
static void test_update_resizes(void **state)
{
    (void)state;
    bw_lwsrv_registry_t *r = bw_lwsrv_registry_new();
    assert_non_null(r);
    struct sockaddr_in a4 = v4("192.0.2.7", 5683);
    char loc[BW_LWSRV_LOC_LEN + 1], ep[BW_LWSRV_EP_MAX + 1];
    bw_lwsrv_reg_t q = reg_req("sensor-17", "</1/0>,</3/0>,</5/0>");
    bw_assert_err(bw_lwsrv_registry_register(r, &q, 1,
                                             (const struct sockaddr *)&a4,
                                             sizeof a4, 1000, loc),
                  0);
    assert_int_equal(strlen(loc), BW_LWSRV_LOC_LEN);

    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    assert_non_null(v);
    bw_assert_err(bw_lwsrv_registry_get(r, "sensor-17", v), 0);
    assert_string_equal(v->ep, "sensor-17");
    assert_string_equal(v->location, loc);
    assert_string_equal(v->links, "</1/0>,</3/0>,</5/0>");
    assert_int_equal(v->links_truncated, 0);
    assert_int_equal(v->lifetime, 60);
    assert_int_equal(v->version_minor, 1);
    assert_string_equal(v->binding, "U");
    assert_int_equal(v->worker, 1);
    assert_int_equal(v->addr_len, sizeof a4);
    assert_memory_equal(&v->addr, &a4, sizeof a4);
    assert_int_equal(v->registered_ms, 1000);
    assert_int_equal(v->expires_ms, 61000);

    /* Longer links: the entry is replaced. */
    const char *longer = "</1/0>,</3/0>,</5/0>,</3303/0>,</3303/1>,</3304/0>";
    q = upd_req(loc, longer);
    bw_assert_err(bw_lwsrv_registry_update(r, &q, 1,
                                           (const struct sockaddr *)&a4,
                                           sizeof a4, 2000, ep),
                  0);
    assert_string_equal(ep, "sensor-17");
    bw_assert_err(bw_lwsrv_registry_get(r, "sensor-17", v), 0);
    assert_string_equal(v->links, longer);
    assert_string_equal(v->location, loc);
    assert_int_equal(v->registered_ms, 1000);
    assert_int_equal(v->updated_ms, 2000);
    assert_int_equal(v->expires_ms, 62000);
    assert_int_equal(v->lifetime, 60);
    bw_assert_err(bw_lwsrv_registry_ep_of(r, loc, ep), 0);
    assert_string_equal(ep, "sensor-17");

    /* Shorter, then none (kept). */
    q = upd_req(loc, "</3/0>");
    bw_assert_err(bw_lwsrv_registry_update(r, &q, 1,
                                           (const struct sockaddr *)&a4,
                                           sizeof a4, 3000, NULL),
                  0);
    bw_assert_err(bw_lwsrv_registry_get(r, "sensor-17", v), 0);
    assert_string_equal(v->links, "</3/0>");
    q = upd_req(loc, "</5/0>"); /* the same size: in place */
    bw_assert_err(bw_lwsrv_registry_update(r, &q, 1,
                                           (const struct sockaddr *)&a4,
                                           sizeof a4, 3200, NULL),
                  0);
    bw_assert_err(bw_lwsrv_registry_get(r, "sensor-17", v), 0);
    assert_string_equal(v->links, "</5/0>");
    q = upd_req(loc, NULL);
    bw_assert_err(bw_lwsrv_registry_update(r, &q, 1,
                                           (const struct sockaddr *)&a4,
                                           sizeof a4, 3500, NULL),
                  0);
    bw_assert_err(bw_lwsrv_registry_get(r, "sensor-17", v), 0);
    assert_string_equal(v->links, "</5/0>");

    /* A larger address on another worker, links untouched. */
    struct sockaddr_in6 a6 = v6("2001:db8::42", 40000);
    bw_assert_err(bw_lwsrv_registry_update(r, &q, 0,
                                           (const struct sockaddr *)&a6,
                                           sizeof a6, 4000, NULL),
                  0);
    bw_assert_err(bw_lwsrv_registry_get(r, "sensor-17", v), 0);
    assert_int_equal(v->addr_len, sizeof a6);
    assert_memory_equal(&v->addr, &a6, sizeof a6);
    assert_int_equal(v->worker, 0);
    assert_string_equal(v->links, "</5/0>");
    unsigned worker = 9;
    struct sockaddr_storage ss;
    socklen_t ss_len = 0;
    bw_assert_err(bw_lwsrv_registry_peer(r, "sensor-17", &worker, &ss, &ss_len),
                  0);
    assert_int_equal(worker, 0);
    assert_int_equal(ss_len, sizeof a6);
    assert_memory_equal(&ss, &a6, sizeof a6);

    /* Lifetime and binding. */
    q = upd_req(loc, NULL);
    q.has_lifetime = 1;
    q.lifetime = 300;
    q.has_binding = 1;
    q.queue = 1;
    memcpy(q.binding, "U", 2);
    bw_assert_err(bw_lwsrv_registry_update(r, &q, 0,
                                           (const struct sockaddr *)&a6,
                                           sizeof a6, 5000, NULL),
                  0);
    bw_assert_err(bw_lwsrv_registry_get(r, "sensor-17", v), 0);
    assert_int_equal(v->lifetime, 300);
    assert_int_equal(v->queue, 1);
    assert_int_equal(v->expires_ms, 305000);
    assert_int_equal(bw_lwsrv_registry_count(r), 1);

    bw_assert_err(bw_lwsrv_registry_deregister(r, loc, ep), 0);
    assert_string_equal(ep, "sensor-17");
    assert_int_equal(bw_lwsrv_registry_count(r), 0);
    bw_assert_err(bw_lwsrv_registry_get(r, "sensor-17", v), BW_ENOTFOUND);
    assert_string_equal(v->ep, "");
    assert_int_equal(v->addr_len, 0);
    bw_assert_err(bw_lwsrv_registry_peer(r, "sensor-17", &worker, &ss, &ss_len),
                  BW_ENOTFOUND);
    assert_int_equal(worker, 0);
    assert_int_equal(ss_len, 0);
    bw_assert_err(bw_lwsrv_registry_ep_of(r, loc, ep), BW_ENOTFOUND);
    assert_string_equal(ep, "");
    q = upd_req(loc, NULL);
    bw_assert_err(bw_lwsrv_registry_update(r, &q, 0,
                                           (const struct sockaddr *)&a6,
                                           sizeof a6, 6000, ep),
                  BW_ENOTFOUND);
    bw_assert_err(bw_lwsrv_registry_deregister(r, loc, ep), BW_ENOTFOUND);
    free(v);
    bw_lwsrv_registry_free(r);
}

/*
 * Tried: Register with 3,000 bytes of links (more than a view holds),
 * then an Update with short links; a Register at a location that is not
 * 32 characters.
 * Must hold: the view gets the first 1,023 bytes and links_truncated 1;
 * after the Update the short links and links_truncated 0; the bad
 * location BW_EINVAL and nothing registered.
 */
static void test_links_cut(void **state)
{
    (void)state;
    bw_lwsrv_registry_t *r = bw_lwsrv_registry_new();
    assert_non_null(r);
    char *big = malloc(3001);
    assert_non_null(big);
    for (size_t i = 0; i < 3000; i++)
        big[i] = (char)('a' + i % 26);
    big[3000] = '\0';
    struct sockaddr_in a4 = v4("198.51.100.1", 1000);
    char loc[BW_LWSRV_LOC_LEN + 1];
    bw_lwsrv_reg_t q = reg_req("big-one", big);
    bw_assert_err(bw_lwsrv_registry_register(r, &q, 0,
                                             (const struct sockaddr *)&a4,
                                             sizeof a4, 0, loc),
                  0);
    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    assert_non_null(v);
    bw_assert_err(bw_lwsrv_registry_get(r, "big-one", v), 0);
    assert_int_equal(strlen(v->links), sizeof v->links - 1);
    assert_memory_equal(v->links, big, sizeof v->links - 1);
    assert_int_equal(v->links_truncated, 1);

    q = upd_req(loc, "</3/0>");
    bw_assert_err(bw_lwsrv_registry_update(r, &q, 0,
                                           (const struct sockaddr *)&a4,
                                           sizeof a4, 10, NULL),
                  0);
    bw_assert_err(bw_lwsrv_registry_get(r, "big-one", v), 0);
    assert_string_equal(v->links, "</3/0>");
    assert_int_equal(v->links_truncated, 0);

    q = reg_req("other", NULL);
    bw_assert_err(bw_lwsrv_registry_register_at(r, &q, 0,
                                                (const struct sockaddr *)&a4,
                                                sizeof a4, 0, "0123"),
                  BW_EINVAL);
    bw_assert_err(bw_lwsrv_registry_get(r, "other", v), BW_ENOTFOUND);
    assert_int_equal(bw_lwsrv_registry_count(r), 1);
    free(v);
    free(big);
    bw_lwsrv_registry_free(r);
}

#define MANY 5000

/*
 * Tried: 5,000 endpoints registered, each with links and a port of its
 * own (the indexes grow several times); one of them registers again;
 * every odd one de-registered; the rest expired.
 * Must hold: each is found by name and by location with its own links
 * and address; the re-registration replaces the old one (its old
 * location is gone, the count unchanged); after the de-registrations
 * exactly the even ones remain; expire() takes none before their
 * lifetime ran out, then reports each remaining one once and leaves none.
 */
static unsigned expired_n;

static void on_expired(void *arg, const char *ep)
{
    (void)arg;
    assert_int_equal(strncmp(ep, "dev-", 4), 0);
    assert_int_equal(atoi(ep + 4) % 2, 0);
    expired_n++;
}

static void test_many(void **state)
{
    (void)state;
    bw_lwsrv_registry_t *r = bw_lwsrv_registry_new();
    assert_non_null(r);
    static char locs[MANY][BW_LWSRV_LOC_LEN + 1];
    char ep[BW_LWSRV_EP_MAX + 1], links[64];
    for (unsigned i = 0; i < MANY; i++) {
        snprintf(ep, sizeof ep, "dev-%u", i);
        snprintf(links, sizeof links, "</3/0>,</3303/%u>", i);
        struct sockaddr_in a = v4("10.0.0.1", (uint16_t)(1000 + i));
        bw_lwsrv_reg_t q = reg_req(ep, links);
        bw_assert_err(bw_lwsrv_registry_register(r, &q, i % 2,
                                                 (const struct sockaddr *)&a,
                                                 sizeof a, i, locs[i]),
                      0);
    }
    assert_int_equal(bw_lwsrv_registry_count(r), MANY);
    bw_lwsrv_regview_t *v = malloc(sizeof *v);
    assert_non_null(v);
    for (unsigned i = 0; i < MANY; i++) {
        snprintf(ep, sizeof ep, "dev-%u", i);
        snprintf(links, sizeof links, "</3/0>,</3303/%u>", i);
        bw_assert_err(bw_lwsrv_registry_get(r, ep, v), 0);
        assert_string_equal(v->links, links);
        assert_string_equal(v->location, locs[i]);
        assert_int_equal(ntohs(((struct sockaddr_in *)&v->addr)->sin_port),
                         1000 + i);
        assert_int_equal(v->worker, i % 2);
        char back[BW_LWSRV_EP_MAX + 1];
        bw_assert_err(bw_lwsrv_registry_ep_of(r, locs[i], back), 0);
        assert_string_equal(back, ep);
    }
    /* dev-10 registers again: a new location, the old one gone. */
    char old[BW_LWSRV_LOC_LEN + 1];
    memcpy(old, locs[10], sizeof old);
    struct sockaddr_in a = v4("10.0.0.2", 7);
    bw_lwsrv_reg_t q = reg_req("dev-10", "</3/0>");
    bw_assert_err(bw_lwsrv_registry_register(r, &q, 0,
                                             (const struct sockaddr *)&a,
                                             sizeof a, 0, locs[10]),
                  0);
    assert_string_not_equal(old, locs[10]);
    bw_assert_err(bw_lwsrv_registry_ep_of(r, old, ep), BW_ENOTFOUND);
    assert_int_equal(bw_lwsrv_registry_count(r), MANY);

    for (unsigned i = 1; i < MANY; i += 2)
        bw_assert_err(bw_lwsrv_registry_deregister(r, locs[i], NULL), 0);
    assert_int_equal(bw_lwsrv_registry_count(r), MANY / 2);
    for (unsigned i = 0; i < MANY; i++) {
        snprintf(ep, sizeof ep, "dev-%u", i);
        bw_assert_err(bw_lwsrv_registry_get(r, ep, v),
                      i % 2 ? BW_ENOTFOUND : 0);
    }
    /* Lifetime 60 s from 0 .. 5 s: none expired before 60 s; with a
     * grace of 5 s all of them at 70 s. */
    expired_n = 0;
    assert_int_equal(bw_lwsrv_registry_expire(r, 59999, 0, on_expired, NULL),
                     0);
    assert_int_equal(bw_lwsrv_registry_expire(r, 70000, 5000, on_expired, NULL),
                     MANY / 2);
    assert_int_equal(expired_n, MANY / 2);
    assert_int_equal(bw_lwsrv_registry_count(r), 0);
    free(v);
    bw_lwsrv_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_resizes),
        cmocka_unit_test(test_links_cut),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
