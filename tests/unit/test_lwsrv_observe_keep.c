/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observations kept in a store across restarts (lwm2m_observe_journal.c,
 * the journal hooks of lwm2m_observe.c, bw_lwsrv_observe_keep): the
 * registry with a journal over a recording store that keeps rows the way
 * the database does (a put of a taken id or token is refused, a delete
 * of a missing row is BW_ENOTFOUND).  What must hold throughout: one
 * store call per change of the registry, in the order of the changes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lwm2m_observe.h"
#include "lwm2m_srv.h"
#include "testutil.h"

#define LOG_MAX 64
#define ROWS    16

/* The store: a log of calls ("put 3 ep", "del 3 ep") and its rows. */
static struct {
    pthread_mutex_t lock;
    char log[LOG_MAX][96];
    size_t n;
    char last[96]; /* the last call, also past LOG_MAX */
    bw_lwsrv_obs_view_t rows[ROWS];
    char loc[ROWS][BW_LWSRV_LOC_LEN + 1];
    size_t nrows;
    int fail_put; /* next puts answer this */
    int hold;     /* 1: puts wait until released */
    int held;     /* a put is waiting */
    pthread_cond_t cond;
    int load_err; /* load answers this after the rows */
    int64_t last_id;
} st = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void reset(void)
{
    pthread_mutex_lock(&st.lock);
    st.n = st.nrows = 0;
    st.fail_put = st.hold = st.held = st.load_err = 0;
    st.last_id = 0;
    pthread_mutex_unlock(&st.lock);
}

static void note(const char *what, int64_t id, const char *ep)
{
    snprintf(st.last, sizeof st.last, "%s %lld %s", what, (long long)id, ep);
    if (st.n < LOG_MAX)
        memcpy(st.log[st.n++], st.last, sizeof st.last);
}

static int put(void *arg, const bw_lwsrv_obs_view_t *v, const char *location)
{
    (void)arg;
    pthread_mutex_lock(&st.lock);
    st.held = 1;
    pthread_cond_broadcast(&st.cond);
    while (st.hold)
        pthread_cond_wait(&st.cond, &st.lock);
    st.held = 0;
    note("put", v->id, v->ep);
    int err = st.fail_put;
    for (size_t i = 0; err == 0 && i < st.nrows; i++)
        if (st.rows[i].id == v->id ||
            memcmp(st.rows[i].token, v->token, sizeof v->token) == 0)
            err = BW_EEXIST;
    if (err == 0 && st.nrows < ROWS) {
        snprintf(st.loc[st.nrows], sizeof st.loc[0], "%s", location);
        st.rows[st.nrows++] = *v;
    }
    pthread_mutex_unlock(&st.lock);
    return err;
}

static int del(void *arg, const char *ep, int64_t id)
{
    (void)arg;
    pthread_mutex_lock(&st.lock);
    note("del", id, ep);
    int err = BW_ENOTFOUND;
    for (size_t i = 0; i < st.nrows; i++)
        if (st.rows[i].id == id && strcmp(st.rows[i].ep, ep) == 0) {
            st.rows[i] = st.rows[--st.nrows];
            memcpy(st.loc[i], st.loc[st.nrows], sizeof st.loc[0]);
            err = 0;
            break;
        }
    pthread_mutex_unlock(&st.lock);
    return err;
}

static int load(void *arg, int (*cb)(void *, const bw_lwsrv_obs_view_t *),
                void *cbarg, int64_t *last_id)
{
    (void)arg;
    for (size_t i = 0; i < st.nrows; i++) {
        int err = cb(cbarg, &st.rows[i]);
        if (err != 0)
            return err;
    }
    *last_id = st.last_id;
    return st.load_err;
}

static const bw_lwsrv_obs_store_t store = {load, put, del, NULL};

static bw_lwsrv_obs_view_t view(const char *ep, const char *path, uint8_t tok)
{
    bw_lwsrv_obs_view_t v;
    memset(&v, 0, sizeof v);
    snprintf(v.ep, sizeof v.ep, "%s", ep);
    snprintf(v.path, sizeof v.path, "%s", path);
    for (size_t i = 0; i < sizeof v.token; i++)
        v.token[i] = (uint8_t)(tok * 31 + i);
    v.accept = 110;
    v.content_format = 110;
    snprintf(v.actor, sizeof v.actor, "api:admin");
    v.since_ms = 1700000000000LL;
    return v;
}

/* The put the Observe path makes after an add. */
static int put_err;
static int put_calls;
static void then(void *arg, int err)
{
    (void)arg;
    put_err = err;
    put_calls++;
}

/* Compared outside the lock: a failed assertion leaves no lock held. */
static void expect_log(const char *const *want, size_t n)
{
    static char log[LOG_MAX][96];
    pthread_mutex_lock(&st.lock);
    size_t got = st.n;
    memcpy(log, st.log, sizeof log);
    pthread_mutex_unlock(&st.lock);
    if (got != n)
        fail_msg("store saw %zu calls, want %zu (first: %s)", got, n,
                 got > 0 ? log[0] : "-");
    for (size_t i = 0; i < n; i++)
        assert_string_equal(log[i], want[i]);
}

/* Tried: with a journal, an observation added and put, a second of the
 * same endpoint and path (replacing it) added and put, a third of
 * another path; one taken by id, then the endpoint's registration ended.
 * Must hold: the store sees put 1, del 1 (the replaced one), put 2, put
 * 3, del 3 (taken), del 2 (end_ep), in that order, each put's callback
 * ran with 0, and no row is left. */
static void test_one_call_per_change(void **state)
{
    (void)state;
    reset();
    bw_lwsrv_obs_t *o = bw_lwsrv_obs_new();
    assert_non_null(o);
    bw_lwsrv_obs_journal_t *j = bw_lwsrv_obs_journal_new(&store);
    assert_non_null(j);
    bw_lwsrv_obs_set_journal(o, j);
    assert_ptr_equal(bw_lwsrv_obs_journal_of(o), j);
    put_calls = 0;

    bw_lwsrv_obs_view_t a = view("dev-a", "/3303/0/5700", 1);
    int64_t id = 0;
    bw_assert_err(bw_lwsrv_obs_add(o, &a, &id), 0);
    assert_int_equal(id, 1);
    a.id = id;
    bw_assert_err(bw_lwsrv_obs_journal_put(j, &a, "loc-a", then, NULL), 0);
    bw_lwsrv_obs_view_t b = view("dev-a", "/3303/0/5700", 2);
    bw_assert_err(bw_lwsrv_obs_add(o, &b, &id), 0);
    b.id = id;
    bw_assert_err(bw_lwsrv_obs_journal_put(j, &b, "loc-a", then, NULL), 0);
    bw_lwsrv_obs_view_t c = view("dev-a", "/3/0/9", 3);
    bw_assert_err(bw_lwsrv_obs_add(o, &c, &id), 0);
    c.id = id;
    bw_assert_err(bw_lwsrv_obs_journal_put(j, &c, "loc-a", then, NULL), 0);
    bw_assert_err(bw_lwsrv_obs_take(o, NULL, "dev-a", 3, NULL, NULL), 0);
    assert_int_equal(bw_lwsrv_obs_end_ep(o, "dev-a"), 1);
    bw_lwsrv_obs_journal_flush(j);
    static const char *const want[] = {"put 1 dev-a", "del 1 dev-a",
                                       "put 2 dev-a", "put 3 dev-a",
                                       "del 3 dev-a", "del 2 dev-a"};
    expect_log(want, 6);
    assert_int_equal(put_calls, 3);
    bw_assert_err(put_err, 0);
    assert_int_equal(st.nrows, 0);
    bw_lwsrv_obs_free(o); /* frees the journal */
}

/* Tried: a put the store refuses; a put past BW_LWSRV_OBS_JOURNAL_MAX
 * while the store is held; arguments out of the contract; a journal
 * freed with changes still queued.
 * Must hold: the callback gets the store's code; the bound refuses a put
 * with BW_ELIMIT but still takes a deletion; BW_EINVAL for the bad
 * calls; free writes everything queued (every callback runs). */
static void test_refusals_and_bound(void **state)
{
    (void)state;
    reset();
    bw_lwsrv_obs_journal_t *j = bw_lwsrv_obs_journal_new(&store);
    assert_non_null(j);
    bw_lwsrv_obs_view_t a = view("dev-a", "/3303/0/5700", 1);
    a.id = 5;
    put_calls = 0;
    st.fail_put = BW_EIO;
    bw_assert_err(bw_lwsrv_obs_journal_put(j, &a, "loc", then, NULL), 0);
    bw_lwsrv_obs_journal_flush(j);
    assert_int_equal(put_calls, 1);
    bw_assert_err(put_err, BW_EIO);
    st.fail_put = 0;

    bw_assert_err(bw_lwsrv_obs_journal_put(NULL, &a, "loc", then, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_lwsrv_obs_journal_put(j, &a, "loc", NULL, NULL),
                  BW_EINVAL);
    a.id = 0;
    bw_assert_err(bw_lwsrv_obs_journal_put(j, &a, "loc", then, NULL),
                  BW_EINVAL);
    bw_assert_err(bw_lwsrv_obs_journal_del(j, "dev-a", 0), BW_EINVAL);
    bw_assert_err(bw_lwsrv_obs_journal_del(j, NULL, 1), BW_EINVAL);

    /* Hold the store: one put taken by the writer, the bound behind it. */
    pthread_mutex_lock(&st.lock);
    st.hold = 1;
    pthread_mutex_unlock(&st.lock);
    put_calls = 0;
    size_t queued = 0;
    for (int64_t i = 1; i <= BW_LWSRV_OBS_JOURNAL_MAX + 1; i++) {
        bw_lwsrv_obs_view_t v = view("dev-b", "/1", 0);
        v.id = 100 + i;
        memcpy(v.token, &v.id, sizeof v.id); /* distinct tokens */
        bw_assert_err(bw_lwsrv_obs_journal_put(j, &v, "loc", then, NULL), 0);
        queued++;
        if (i == 1) { /* wait until the writer holds the first */
            pthread_mutex_lock(&st.lock);
            while (!st.held)
                pthread_cond_wait(&st.cond, &st.lock);
            pthread_mutex_unlock(&st.lock);
        }
    }
    bw_lwsrv_obs_view_t over = view("dev-b", "/2", 200);
    over.id = 999;
    bw_assert_err(bw_lwsrv_obs_journal_put(j, &over, "loc", then, NULL),
                  BW_ELIMIT);
    bw_assert_err(bw_lwsrv_obs_journal_del(j, "dev-b", 101), 0);
    pthread_mutex_lock(&st.lock);
    st.hold = 0;
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
    bw_lwsrv_obs_journal_free(j); /* writes what is queued */
    assert_int_equal(put_calls, (int)queued);
    /* The writer is gone: no lock needed. */
    assert_string_equal(st.last, "del 101 dev-b");
    assert_null(bw_lwsrv_obs_journal_new(NULL));
}

static int auth_any(void *arg, const bw_dtls_peer_info_t *peer, const char *ep,
                    int bootstrap, const char **why)
{
    (void)arg;
    (void)peer;
    (void)ep;
    (void)bootstrap;
    (void)why;
    return 0;
}

static int list_ids(void *arg, const bw_lwsrv_obs_view_t *v)
{
    char *out = arg;
    size_t n = strlen(out);
    snprintf(out + n, 64 - n, "%s%lld:%s", n ? " " : "", (long long)v->id,
             v->path);
    return 0;
}

/* Tried: a DM server started on a store holding three observations of
 * dev-a (ids 4, 6 and a duplicate path with id 8) and a highest id of 9;
 * then a new observation added; the keep called again; a server whose
 * store fails its load.
 * Must hold: 4 and 6 are listed as stored, the duplicate is refused and
 * deleted from the store once the journal runs; the new one gets id 10;
 * a second keep is BW_ESTATE; a failed load returns its code and starts
 * no journal. */
static void test_keep(void **state)
{
    (void)state;
    reset();
    st.rows[0] = view("dev-a", "/3303/0/5700", 1);
    st.rows[0].id = 4;
    st.rows[1] = view("dev-a", "/3/0/9", 2);
    st.rows[1].id = 6;
    st.rows[2] = view("dev-a", "/3303/0/5700", 3);
    st.rows[2].id = 8;
    st.nrows = 3;
    st.last_id = 9;
    bw_lwsrv_registry_t *r = bw_lwsrv_registry_new();
    assert_non_null(r);
    bw_lwsrv_config_t cfg = {.registry = r, .authorize = auth_any};
    bw_lwsrv_t *s = bw_lwsrv_new(&cfg, 1);
    assert_non_null(s);
    size_t n = 0;
    bw_assert_err(bw_lwsrv_observe_keep(s, &store, &n), 0);
    assert_int_equal(n, 2);
    char ids[64] = "";
    bw_assert_err(bw_lwsrv_observations(s, "dev-a", list_ids, ids), 0);
    assert_string_equal(ids, "4:/3303/0/5700 6:/3/0/9");
    bw_assert_err(bw_lwsrv_observe_keep(s, &store, &n), BW_ESTATE);
    bw_lwsrv_free(s); /* the journal writes the duplicate's deletion */
    static const char *const want[] = {"del 8 dev-a"};
    expect_log(want, 1);
    assert_int_equal(st.nrows, 2);

    /* The registry alone: ids continue above the highest kept. */
    bw_lwsrv_obs_t *o = bw_lwsrv_obs_new();
    bw_lwsrv_obs_view_t v = st.rows[0];
    bw_assert_err(bw_lwsrv_obs_restore(o, &v), 0);
    bw_assert_err(bw_lwsrv_obs_restore(o, &v), BW_EEXIST);
    v.id = 0;
    bw_assert_err(bw_lwsrv_obs_restore(o, &v), BW_EINVAL);
    bw_lwsrv_obs_seen_id(o, 9);
    bw_lwsrv_obs_view_t nv = view("dev-a", "/3/0/1", 7);
    int64_t id = 0;
    bw_assert_err(bw_lwsrv_obs_add(o, &nv, &id), 0);
    assert_int_equal(id, 10);
    bw_lwsrv_obs_free(o);

    /* A load that fails. */
    reset();
    st.load_err = BW_EIO;
    s = bw_lwsrv_new(&cfg, 1);
    assert_non_null(s);
    bw_assert_err(bw_lwsrv_observe_keep(s, &store, &n), BW_EIO);
    assert_int_equal(n, 0);
    bw_assert_err(bw_lwsrv_observe_keep(NULL, &store, &n), BW_EINVAL);
    bw_lwsrv_obs_store_t half = {NULL, put, del, NULL};
    bw_assert_err(bw_lwsrv_observe_keep(s, &half, &n), BW_EINVAL);
    bw_lwsrv_free(s);
    expect_log(NULL, 0);
    bw_lwsrv_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_call_per_change),
        cmocka_unit_test(test_refusals_and_bound),
        cmocka_unit_test(test_keep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
