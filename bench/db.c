/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/db: the storage layer (server/db) on a real file.
 *
 *   1. Registrations per second, group-committed with
 *      bw_db_registration_batch (batches of 1,000), against the same
 *      events committed one transaction each (batches of 1).  With
 *      synchronous=FULL each commit waits for an fsync of the WAL, so the
 *      single-event figure is about the disk's fsync rate and the ratio is
 *      what group commit buys.
 *   2. PSK lookups per second through the security store (the DTLS
 *      engine's psk_lookup callback), on 1 and 2 threads, over 2,000
 *      sealed credentials: an indexed SELECT on a read connection, a
 *      BLAKE2b key derivation and a secretbox open.
 *   3. Disk per device: the database file size divided by the devices in
 *      it (device row, one PSK credential, one registration).
 *
 * The database lives in a temporary directory under $TMPDIR (or /tmp):
 * the figures are those of that file system.  `bench_db --quick` is a
 * smoke run of a few seconds.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "db.h"

#define CREDS     2000
#define BATCH_BIG 1000

static char dir[128], db_path[192], key_path[192];
static bw_db_t *db;
static unsigned reg_next; /* endpoint counter: every event a new device */

static void die(const char *what, int err)
{
    fprintf(stderr, "bench_db: %s: %s\n", what, bw_err_name(err));
    exit(1);
}

/* Commit registration events in batches of `batch` for `seconds`;
 * events per second. */
static double reg_rate(size_t batch, double seconds)
{
    static bw_db_reg_event_t ev[BATCH_BIG];
    static char names[BATCH_BIG][32];
    uint64_t events = 0;
    double start = bench_now(), now;
    do {
        for (size_t i = 0; i < batch; i++) {
            snprintf(names[i], sizeof names[i], "urn:dev:b%08u", reg_next++);
            memset(&ev[i], 0, sizeof ev[i]);
            ev[i].op = BW_DB_REG_REGISTER;
            ev[i].endpoint = names[i];
            ev[i].lifetime_s = 86400;
            ev[i].binding = "U";
            ev[i].version = "1.1";
            ev[i].object_links = "</1/0>,</3/0>,</4/0>,</5/0>";
            ev[i].now_ms = 1;
        }
        int err = bw_db_registration_batch(db, ev, batch);
        if (err != 0)
            die("registration batch", err);
        events += batch;
        now = bench_now();
    } while (now - start < seconds);
    return (double)events / (now - start);
}

static void psk_of(unsigned i, uint8_t psk[32])
{
    uint32_t x = 0x9e3779b9u * (i + 1);
    for (int k = 0; k < 32; k++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        psk[k] = (uint8_t)x;
    }
}

typedef struct {
    unsigned seed;
    double seconds, rate;
} lookup_arg_t;

static uint64_t one_lookup(void *arg)
{
    lookup_arg_t *a = arg;
    a->seed = a->seed * 1103515245u + 12345u;
    char id[32];
    snprintf(id, sizeof id, "id-%05u-Qx", (a->seed >> 8) % CREDS);
    uint8_t psk[64];
    size_t n = 0;
    int err = bw_db_psk_lookup(db, (const uint8_t *)id, strlen(id), psk,
                               sizeof psk, &n);
    if (err != 0)
        die("psk lookup", err);
    return psk[0] + n;
}

static void *lookup_thread(void *arg)
{
    lookup_arg_t *a = arg;
    a->rate = bench_rate(one_lookup, a, a->seconds);
    return NULL;
}

static double lookup_rate(int threads, double seconds)
{
    pthread_t th[2];
    lookup_arg_t a[2];
    double total = 0;
    for (int t = 0; t < threads; t++) {
        a[t] = (lookup_arg_t){.seed = 17u + (unsigned)t, .seconds = seconds};
        pthread_create(&th[t], NULL, lookup_thread, &a[t]);
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        total += a[t].rate;
    }
    return total;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

int main(int argc, char **argv)
{
    int quick = (argc > 1 && strcmp(argv[1], "--quick") == 0) ||
                getenv("BENCH_DB_QUICK") != NULL;
    double secs = quick ? 1.0 : 4.0;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/bw-bench-db-XXXXXX",
             tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(db_path, sizeof db_path, "%s/bench.db", dir);
    snprintf(key_path, sizeof key_path, "%s/master.key", dir);
    int err = bw_db_master_key_create(key_path);
    if (err != 0)
        die("master key", err);
    bw_db_config_t cfg = {.path = db_path, .master_key_file = key_path};
    char why[256];
    err = bw_db_open(&cfg, &db, why, sizeof why);
    if (err != 0) {
        fprintf(stderr, "bench_db: open: %s\n", why);
        return 1;
    }
    printf("bench_db%s: %s (synchronous=FULL, WAL)\n", quick ? " --quick" : "",
           dir);

    double single = reg_rate(1, secs);
    double batched = reg_rate(BATCH_BIG, secs);
    printf("registrations, one transaction each     %9.0f /s\n", single);
    printf("registrations, batches of %d          %9.0f /s  (batch/single "
           "%.0fx)\n",
           BATCH_BIG, batched, batched / single);

    /* Closing checkpoints the WAL into the file, so sizes are settled. */
    bw_db_close(db);
    long size_regs = file_size(db_path);
    err = bw_db_open(&cfg, &db, why, sizeof why);
    if (err != 0)
        die("reopen", err);

    double t0 = bench_now();
    for (unsigned i = 0; i < CREDS; i++) {
        char ep[32], id[32];
        uint8_t psk[32];
        snprintf(ep, sizeof ep, "urn:dev:b%08u", i);
        snprintf(id, sizeof id, "id-%05u-Qx", i);
        psk_of(i, psk);
        err = bw_db_device_add(db, ep, "bench", NULL, 1, NULL);
        if (err == 0)
            err = bw_db_psk_import(db, ep, (const uint8_t *)id, strlen(id), psk,
                                   sizeof psk, BW_DB_CRED_ACTIVE, 1, NULL);
        if (err != 0)
            die("import", err);
    }
    double import_s = bench_now() - t0;
    printf("PSK imports (device + credential, 2 commits) %6.0f /s\n",
           CREDS / import_s);

    bw_db_close(db);
    long size_creds = file_size(db_path);
    err = bw_db_open(&cfg, &db, why, sizeof why);
    if (err != 0)
        die("reopen", err);
    double l1 = lookup_rate(1, secs);
    double l2 = lookup_rate(2, secs);
    printf("PSK lookups, 1 thread                   %9.0f /s  (%.1f us each)\n",
           l1, 1e6 / l1);
    printf("PSK lookups, 2 threads                  %9.0f /s  (2 threads/1 "
           "%.2fx)\n",
           l2, l2 / l1);
    printf("PSK lookups per single-registration commit: %.0f\n", l1 / single);
    bw_db_close(db);

    printf("disk: %.0f bytes per registration (%u rows), %.0f bytes per "
           "device with one PSK credential\n",
           (double)size_regs / reg_next, reg_next,
           (double)(size_creds - size_regs) / CREDS);
    printf("RAM: no cache, 0 bytes per device; SQLite's page cache is "
           "bounded per connection\n");

    char p[256];
    static const char *const files[] = {"bench.db", "bench.db-wal",
                                        "bench.db-shm", "master.key"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        (void)unlink(p);
    }
    (void)rmdir(dir);
    return 0;
}
