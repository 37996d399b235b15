/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/fleet_client: what a simulated device context costs in
 * bulwark-device, and how many devices one core keeps registered.
 *
 * One bulwark-server (bootstrap and DM roles, registration lifetime 60 s
 * given at bootstrap) runs on 127.0.0.1.  Three bulwark-device processes
 * run against it at the same time: --fleet 1 (the baseline), --fleet 100
 * and --fleet 1000, every device with factory bootstrap credentials of its
 * own (written into the server through the storage layer and into the
 * device's key store through the POSIX key store).  Each device
 * bootstraps, receives its DM credentials and registers; once every
 * device of every process has registered (counted from their "registered
 * with" log lines) and a few seconds have passed, the window starts:
 *
 *   - memory: VmRSS of each device process (/proc/PID/status) at the end
 *     of the window, divided by its N, and the marginal cost of a context
 *     (RSS(1000) - RSS(100)) / 900;
 *   - CPU: each process's CPU time over the window (the scheduler's count,
 *     /proc/PID/task/PID/schedstat; utime + stime from /proc/PID/stat
 *     where the kernel keeps no schedstat), per second of wall time; devices
 * one core keeps registered = N / (CPU seconds per second).  The window (120 s
 * by default) spans about two registration Updates per device at lifetime 60 s
 * (the "registration updated" lines in it are counted);
 *   - the static sizes: sizeof(agent_dev_t) (one context, everything
 *     inside but mbedTLS's heap), sizeof(bw_lwm2m_client_t),
 *     sizeof(bw_dtls_client_t), and the heap mbedTLS takes when a DTLS
 *     client is set up (mbedtls_ssl_setup on a DTLS client configuration,
 *     measured here with mallinfo2: the record buffers, held while the
 *     channel is open and freed when it closes).
 *
 * Usage: bench_fleet_client [--help]; settings come from the environment.
 *   BENCH_FLEET_CLIENT_SECONDS=S  the measured window (default 120)
 *   BENCH_FLEET_CLIENT_BIG=N      the large fleet (default 1000, at most
 *                                 1000: one process's limit)
 *   BENCH_FLEET_KEEP=1            keep the work directory (logs)
 *   BW_BIN_DIR                    where bulwark-server and bulwark-device
 *                                 are (default: this program's directory)
 *
 * Everything runs on loopback; every process started here is stopped at
 * the end (devices first, with SIGTERM: they de-register), also on
 * failure, and the work directory (under /dev/shm when it exists: the
 * devices' state files) is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
#include <mbedtls/ssl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "bench.h"
#include "fleet_proc.h"
#include "db.h"
#include "posix_keystore.h"

#define PROCS      3
#define PSK_LEN    32
#define ID_LEN     19 /* "bs-" and 16 hex digits */
#define LIFETIME_S "60"

typedef struct {
    const char *what;
    const char *pattern; /* endpoint name, or a fleet pattern */
    unsigned n;
    int slot; /* fp_pid, fp_log */
    pid_t pid;
    const char *log;
    long registered, updated;
    double cpu0, cpu1, t0, t1;
    long rss_kb;
} proc_t;

static proc_t g_procs[PROCS];

/* CPU seconds of a device process (one thread): the scheduler's count,
 * else utime + stime.  *how says which. */
static double dev_cpu(pid_t pid, const char **how)
{
    double s = fp_cpu_sched(pid);
    *how = s >= 0 ? "schedstat" : "utime + stime";
    return s >= 0 ? s : fp_cpu_ticks(pid);
}

/* Lines of path holding what. */
static long count_lines(const char *path, const char *what)
{
    char line[1024];
    long n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, what) != NULL)
            n++;
    fclose(f);
    return n;
}

/* Factory bootstrap credentials for device ep: in the server's database
 * and in the device's key store dir. */
static void provision(bw_db_t *db, const char *ep, const char *dir)
{
    uint8_t psk[PSK_LEN], raw[8];
    char id[ID_LEN + 1] = "bs-";
    if (RAND_bytes(psk, sizeof psk) != 1 || RAND_bytes(raw, sizeof raw) != 1)
        fp_die("RAND_bytes");
    for (int k = 0; k < 8; k++)
        snprintf(id + 3 + 2 * k, 3, "%02x", raw[k]);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    bw_posix_keystore_t ks;
    int err = bw_db_device_add(db, ep, "bulwark-sim", NULL, now, NULL);
    if (err == 0)
        err = bw_db_psk_import_for(db, ep, BW_DB_PURPOSE_BOOTSTRAP,
                                   (const uint8_t *)id, ID_LEN, psk, PSK_LEN,
                                   BW_DB_CRED_ACTIVE, now, NULL);
    if (err == 0)
        err = bw_posix_keystore_init(&ks, dir);
    if (err == 0)
        err = bw_posix_keystore_put(&ks, "bs/psk-identity", (const uint8_t *)id,
                                    ID_LEN);
    if (err == 0)
        err = bw_posix_keystore_put(&ks, "bs/psk", psk, PSK_LEN);
    OPENSSL_cleanse(psk, sizeof psk);
    if (err != 0)
        fp_die("provisioning %s: %s", ep, bw_strerror(err));
}

/* Heap mbedTLS holds for one set-up DTLS client context. */
static long dtls_setup_heap(void)
{
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_init(&ssl);
    if (mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT,
                                    MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0)
        fp_die("mbedtls_ssl_config_defaults");
    struct mallinfo2 a = mallinfo2();
    if (mbedtls_ssl_setup(&ssl, &conf) != 0)
        fp_die("mbedtls_ssl_setup");
    struct mallinfo2 b = mallinfo2();
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    return (long)(b.uordblks - a.uordblks);
}

int main(int argc, char **argv)
{
    if (argc > 1 &&
        (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        puts("usage: bench_fleet_client [--help]\n\n"
             "Memory per simulated device context in bulwark-device and the\n"
             "devices one core keeps registered: fleets of 1, 100 and 1000\n"
             "devices registered with one bulwark-server over loopback\n"
             "(lifetime 60 s), measured over a window of Updates.\n\n"
             "Environment:\n"
             "  BENCH_FLEET_CLIENT_SECONDS=S  the measured window (120)\n"
             "  BENCH_FLEET_CLIENT_BIG=N      the large fleet (1000)\n"
             "  BENCH_FLEET_KEEP=1            keep the work directory\n"
             "  BW_BIN_DIR                    the built programs (default:\n"
             "                                this program's directory)");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "bench_fleet_client: no arguments (see --help)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    fp_name = "bench_fleet_client";
    double t_begin = bench_now();
    unsigned window = fp_env_uint("BENCH_FLEET_CLIENT_SECONDS", 120, 5, 3600);
    unsigned big =
        fp_env_uint("BENCH_FLEET_CLIENT_BIG", 1000, 101, AGENT_FLEET_MAX);
    char bin[1024];
    fp_bin_dir(bin, sizeof bin);
    char server_exe[1100], device_exe[1100];
    snprintf(server_exe, sizeof server_exe, "%s/bulwark-server", bin);
    snprintf(device_exe, sizeof device_exe, "%s/bulwark-device", bin);
    if (access(server_exe, X_OK) != 0 || access(device_exe, X_OK) != 0)
        fp_die("%s or %s missing: build them first", server_exe, device_exe);

    /* The devices' state files are written with fsync: in memory when
     * /dev/shm exists, so the disk is not what is timed. */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
    if (dir == NULL)
        dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    fp_workdir(dir);
    char db_path[600], key_path[600], ready[600], keys[600], state[600];
    snprintf(db_path, sizeof db_path, "%s/fleet.db", fp_work);
    snprintf(key_path, sizeof key_path, "%s/master.key", fp_work);
    snprintf(ready, sizeof ready, "%s/ready", fp_work);
    snprintf(keys, sizeof keys, "%s/keys", fp_work);
    snprintf(state, sizeof state, "%s/state", fp_work);
    if (mkdir(keys, 0700) != 0 || mkdir(state, 0700) != 0)
        fp_die("mkdir: %s", strerror(errno));

    g_procs[0] =
        (proc_t){.what = "1 device (baseline)", .pattern = "solo-0001", .n = 1};
    g_procs[1] =
        (proc_t){.what = "100 devices", .pattern = "fa-%04d", .n = 100};
    g_procs[2] = (proc_t){.what = "big fleet", .pattern = "fb-%04d", .n = big};

    int err = bw_db_master_key_create(key_path);
    bw_db_t *db = NULL;
    char why[256] = "";
    bw_db_config_t dc = {.path = db_path, .master_key_file = key_path};
    if (err == 0)
        err = bw_db_open(&dc, &db, why, sizeof why);
    if (err != 0)
        fp_die("database: %s %s", bw_strerror(err), why);
    for (int p = 0; p < PROCS; p++) {
        for (unsigned i = 1; i <= g_procs[p].n; i++) {
            char ep[32], kdir[700];
            if (g_procs[p].n == 1)
                snprintf(ep, sizeof ep, "%s", g_procs[p].pattern);
            else
                snprintf(ep, sizeof ep, p == 1 ? "fa-%04u" : "fb-%04u", i);
            snprintf(kdir, sizeof kdir, "%s/%s", keys, ep);
            provision(db, ep, kdir);
        }
    }
    bw_db_close(db);

    char *const srv_args[] = {
        server_exe,  "run",    "--db",       db_path,     "--master-key",
        key_path,    "--bind", "127.0.0.1",  "--dm-port", "0",
        "--bs-port", "0",      "--lifetime", LIFETIME_S,  "--ready-file",
        ready,       NULL};
    int server = fp_spawn(srv_args, "server.log");
    unsigned dm_port = 0, bs_port = 0;
    for (int i = 0; i < 400 && bs_port == 0; i++) {
        FILE *f = fopen(ready, "r");
        if (f != NULL) {
            if (fscanf(f, "%u %u", &dm_port, &bs_port) != 2)
                bs_port = 0;
            fclose(f);
        }
        fp_alive(server);
        if (bs_port == 0)
            usleep(50000);
    }
    if (bs_port == 0)
        fp_die("bulwark-server did not get ready");
    char bs_uri[64];
    snprintf(bs_uri, sizeof bs_uri, "coaps://127.0.0.1:%u", bs_port);

    for (int p = 0; p < PROCS; p++) {
        proc_t *pr = &g_procs[p];
        char n[16], kdir[700], sdir[700], log[32];
        snprintf(n, sizeof n, "%u", pr->n);
        snprintf(log, sizeof log, "device-%u.log", pr->n);
        /* One device is not a fleet: its directories are its own. */
        snprintf(kdir, sizeof kdir, "%s%s%s", keys, pr->n == 1 ? "/" : "",
                 pr->n == 1 ? pr->pattern : "");
        snprintf(sdir, sizeof sdir, "%s/p%d", state, p);
        char *const dev_args[] = {device_exe,
                                  "--fleet",
                                  n,
                                  "--endpoint",
                                  (char *)pr->pattern,
                                  "--bootstrap",
                                  bs_uri,
                                  "--keystore",
                                  kdir,
                                  "--state",
                                  sdir,
                                  NULL};
        pr->slot = fp_spawn(dev_args, log);
        pr->pid = fp_pid[pr->slot];
        pr->log = fp_log[pr->slot];
    }
    printf("bench_fleet_client: fleets of 1, 100 and %u devices against one "
           "server (lifetime %s s), window %u s, work directory %s\n",
           big, LIFETIME_S, window, fp_work);

    /* Every device registered. */
    double t0 = bench_now();
    for (;;) {
        int all = 1;
        for (int p = 0; p < PROCS; p++) {
            proc_t *pr = &g_procs[p];
            fp_alive(pr->slot);
            pr->registered = count_lines(pr->log, ": registered with ");
            if (pr->registered < (long)pr->n)
                all = 0;
        }
        if (all)
            break;
        if (bench_now() - t0 > 180)
            fp_die("not every device registered within 180 s (%ld, %ld, %ld)",
                   g_procs[0].registered, g_procs[1].registered,
                   g_procs[2].registered);
        usleep(250000);
    }
    printf("  all %u devices registered in %.1f s (bootstrap included)\n",
           1 + 100 + big, bench_now() - t0);
    sleep(5); /* settle: the last sessions' handshake buffers */

    const char *how = "?";
    for (int p = 0; p < PROCS; p++) {
        g_procs[p].updated =
            -count_lines(g_procs[p].log, "registration updated");
        g_procs[p].cpu0 = dev_cpu(g_procs[p].pid, &how);
        g_procs[p].t0 = bench_now();
    }
    sleep(window);
    for (int p = 0; p < PROCS; p++) {
        proc_t *pr = &g_procs[p];
        pr->cpu1 = dev_cpu(pr->pid, &how);
        pr->t1 = bench_now();
        pr->rss_kb = fp_rss_kb(pr->pid);
        pr->updated += count_lines(pr->log, "registration updated");
        pr->registered = count_lines(pr->log, ": registered with ");
    }

    printf("\nbench_fleet_client results (window %.0f s, CPU from %s):\n",
           g_procs[0].t1 - g_procs[0].t0, how);
    for (int p = 0; p < PROCS; p++) {
        const proc_t *pr = &g_procs[p];
        double cps = (pr->cpu1 - pr->cpu0) / (pr->t1 - pr->t0);
        printf("  %-20s N %4u  VmRSS %7ld kB  %7.0f bytes/device  CPU %.6f "
               "s/s  ",
               pr->what, pr->n, pr->rss_kb, pr->rss_kb * 1024.0 / pr->n, cps);
        if (cps > 0)
            printf("%9.0f devices/core", pr->n / cps);
        else
            printf("  (below the clock's resolution)");
        printf("  %ld Updates, %ld registrations\n", pr->updated,
               pr->registered);
    }
    double marg =
        (double)(g_procs[2].rss_kb - g_procs[1].rss_kb) * 1024 / (big - 100);
    printf("  marginal cost of a device context: %.0f bytes "
           "((RSS(%u) - RSS(100)) / %u)\n",
           marg, big, big - 100);
    printf("  sizeof(agent_dev_t) %zu, sizeof(bw_lwm2m_client_t) %zu, "
           "sizeof(agent_chan_t) %zu, sizeof(bw_dtls_client_t) %zu\n",
           sizeof(agent_dev_t), sizeof(bw_lwm2m_client_t), sizeof(agent_chan_t),
           sizeof(bw_dtls_client_t));
    long heap = dtls_setup_heap();
    if (heap > 0)
        printf("  DTLS client heap: %ld bytes while set up (mbedtls_ssl_setup: "
               "record buffers), 0 when closed\n",
               heap);
    else /* mallinfo2 sees glibc's heap only (not under ASan) */
        printf("  DTLS client heap: not measurable with this allocator\n");
    printf("  total run time %.0f s\n", bench_now() - t_begin);
    for (int p = 0; p < PROCS; p++)
        if (g_procs[p].updated < (long)g_procs[p].n)
            fp_die("%s: %ld Updates in the window for %u devices",
                   g_procs[p].what, g_procs[p].updated, g_procs[p].n);
    return 0;
}
