/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The security store under concurrency: four threads look PSKs up (as
 * the DTLS engine's workers do) while the main thread keeps writing:
 * importing new credentials, revoking others, and group-committing
 * registrations.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "test_db_fixture.h"

#define STABLE  64 /* credentials that never change during the run */
#define WRITES  60 /* imports + revocations by the writer */
#define THREADS 4

static dbfx_t f;
static atomic_int stop;

typedef struct {
    unsigned seed;
    unsigned long lookups, wrong, errors, revoked_seen;
    int last_error;
} worker_t;

static void stable_identity(char *out, size_t cap, int i)
{
    snprintf(out, cap, "stable-%03d-x7", i);
}

static void *lookup_thread(void *arg)
{
    worker_t *w = arg;
    uint8_t want[32], got[64];
    char id[32];
    while (!atomic_load(&stop)) {
        w->seed = w->seed * 1103515245u + 12345u;
        int i = (int)((w->seed >> 8) % STABLE);
        stable_identity(id, sizeof id, i);
        size_t n = 0;
        int err = bw_db_psk_lookup(f.db, (const uint8_t *)id, strlen(id), got,
                                   sizeof got, &n);
        dbfx_psk(want, sizeof want, (unsigned)i);
        w->lookups++;
        if (err != 0) {
            w->errors++;
            w->last_error = err;
        } else if (n != 32 || memcmp(got, want, 32) != 0) {
            w->wrong++;
        }
        /* The writer's revoked identities must never come back. */
        err = bw_db_psk_lookup(f.db, (const uint8_t *)"churn-000-q", 11, got,
                               sizeof got, &n);
        if (err == 0)
            w->revoked_seen++;
    }
    return NULL;
}

/* Tried: 64 stable PSKs; four lookup threads run while the writer imports
 * 60 more credentials, revokes each right after importing it (the first
 * one before the threads start), and commits registration batches in
 * between.
 * Must hold: every lookup of a stable identity returns its own key
 * (no error, no wrong key), a revoked credential is never found, every
 * write succeeds, and the threads made progress while writes went on. */
static void test_lookups_during_writes(void **state)
{
    (void)state;
    dbfx_init(&f);
    dbfx_open(&f);
    uint8_t psk[32];
    char id[32], ep[32];
    for (int i = 0; i < STABLE; i++) {
        snprintf(ep, sizeof ep, "urn:dev:s%03d", i);
        stable_identity(id, sizeof id, i);
        dbfx_psk(psk, sizeof psk, (unsigned)i);
        bw_assert_err(bw_db_device_add(f.db, ep, NULL, NULL, 1, NULL), 0);
        bw_assert_err(bw_db_psk_import(f.db, ep, (const uint8_t *)id,
                                       strlen(id), psk, sizeof psk,
                                       BW_DB_CRED_ACTIVE, 1, NULL),
                      0);
    }
    bw_assert_err(bw_db_device_add(f.db, "urn:dev:churn", NULL, NULL, 1, NULL),
                  0);
    dbfx_psk(psk, sizeof psk, 1000);
    bw_assert_err(bw_db_psk_import(f.db, "urn:dev:churn",
                                   (const uint8_t *)"churn-000-q", 11, psk,
                                   sizeof psk, BW_DB_CRED_ACTIVE, 1, NULL),
                  0);
    bw_assert_err(bw_db_credential_set_state(f.db,
                                             (const uint8_t *)"churn-000-q", 11,
                                             BW_DB_CRED_REVOKED, 2),
                  0);

    pthread_t th[THREADS];
    worker_t w[THREADS];
    memset(w, 0, sizeof w);
    atomic_store(&stop, 0);
    for (int t = 0; t < THREADS; t++) {
        w[t].seed = (unsigned)t * 7919u + 1;
        assert_int_equal(pthread_create(&th[t], NULL, lookup_thread, &w[t]), 0);
    }
    unsigned long before = 0;
    for (int i = 1; i <= WRITES; i++) {
        snprintf(id, sizeof id, "churn-%03d-q", i);
        dbfx_psk(psk, sizeof psk, 1000u + (unsigned)i);
        bw_assert_err(bw_db_psk_import(f.db, "urn:dev:churn",
                                       (const uint8_t *)id, strlen(id), psk,
                                       sizeof psk, BW_DB_CRED_ACTIVE, 3, NULL),
                      0);
        bw_assert_err(bw_db_credential_set_state(f.db, (const uint8_t *)id,
                                                 strlen(id), BW_DB_CRED_REVOKED,
                                                 4),
                      0);
        bw_db_reg_event_t ev[50];
        memset(ev, 0, sizeof ev);
        for (int k = 0; k < 50; k++) {
            ev[k].op = BW_DB_REG_REGISTER;
            ev[k].endpoint = "urn:dev:churn";
            ev[k].lifetime_s = 60;
            ev[k].binding = "U";
            ev[k].version = "1.1";
            ev[k].object_links = "</3/0>";
            ev[k].now_ms = i;
        }
        bw_assert_err(bw_db_registration_batch(f.db, ev, 50), 0);
        if (i == WRITES / 2)
            for (int t = 0; t < THREADS; t++)
                before += w[t].lookups; /* racy read: a progress hint */
    }
    atomic_store(&stop, 1);
    unsigned long total = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        if (w[t].errors != 0)
            fail_msg("thread %d: %lu lookups failed, last %s", t, w[t].errors,
                     bw_err_name(w[t].last_error));
        assert_int_equal(w[t].wrong, 0);
        assert_int_equal(w[t].revoked_seen, 0);
        assert_true(w[t].lookups > 0);
        total += w[t].lookups;
    }
    assert_true(total > before);
    print_message("%lu lookups on %d threads during %d write rounds\n", total,
                  THREADS, WRITES);
    dbfx_done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups_during_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
