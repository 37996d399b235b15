/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/dtls: the DTLS server engine (server/dtls), per server core.
 *
 * The server runs in a forked child with one worker, pinned to CPU 0;
 * the load generator runs here, pinned to CPU 1.  Rates are given per
 * second of the server child's own CPU time (its getrusage over the
 * measured interval), which is what "per server core" means when the
 * client cannot always keep the server busy, and per second of wall time.
 *
 *   1. PSK full handshakes (stock OpenSSL clients, cookie exchange, one
 *      echoed record each), target >= 10,000 per server CPU second.  The
 *      same run leaves one idle session per client on the server: the
 *      child's VmRSS after a warm-up and at the end, divided by the
 *      sessions added, is the idle cost of a session (target <= 512
 *      bytes, measured at 100,000 sessions).
 *   2. ECDHE-ECDSA P-256 full handshakes with client certificates,
 *      target >= 2,500 per server CPU second.
 *   3. 120-byte request/response on 1,000 established PSK sessions,
 *      target >= 100,000 per server CPU second.
 *
 * Beside them, measured in the same run (dtls_base.h): `openssl speed`
 * for the primitives, the handshake rate those primitives allow at most,
 * and stock OpenSSL's server state machine alone over memory.
 *
 * `bench_dtls --quick` (or BENCH_DTLS_QUICK=1) is a smoke run of about 10
 * seconds with small counts; its figures are not the published ones.
 * BENCH_DTLS_NO_TICKET=1: the clients ask for no session ticket.
 * BENCH_DTLS_ONLY=base|psk|cert|rr: run one part (for profiling).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "dtls_base.h"
#include "dtls_certs.h"
#include "dtls_child.h"
#include "dtls_int.h"
#include "dtls_load.h"
#include "dtls_rr.h"

#define ROUNDS 3

typedef struct {
    int quick;
    uint64_t psk_total; /* PSK handshakes, warm-up included */
    uint64_t psk_warmup;
    uint64_t cert_per_round;
    double rr_seconds;   /* per round */
    double base_seconds; /* in-memory baseline, per mode */
    unsigned inflight;   /* handshakes in flight */
    unsigned rr_sessions;
    unsigned rr_window; /* requests in flight */
} plan_t;

typedef struct {
    double best, sum;
    int n;
} figure_t;

static void figure_add(figure_t *f, double v)
{
    if (v > f->best)
        f->best = v;
    f->sum += v;
    f->n++;
}

static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* One measured round: server-side deltas between two reports. */
typedef struct {
    double server_cpu, wall, client_cpu;
    uint64_t handshakes, records, failed, refused, dropped;
} delta_t;

static void delta(const child_report_t *a, const child_report_t *b,
                  double client_cpu, delta_t *d)
{
    d->server_cpu = b->cpu_s - a->cpu_s;
    d->wall = b->wall_s - a->wall_s;
    d->client_cpu = client_cpu;
    d->handshakes = b->st.handshakes_done - a->st.handshakes_done;
    d->records = b->st.records_in - a->st.records_in;
    d->failed = (b->st.handshakes_failed - a->st.handshakes_failed) +
                (b->st.handshakes_timed_out - a->st.handshakes_timed_out);
    d->refused = b->st.refused_limit - a->st.refused_limit;
    d->dropped = (b->st.dropped_auth - a->st.dropped_auth) +
                 (b->st.dropped_replay - a->st.dropped_replay) +
                 (b->st.dropped_other - a->st.dropped_other);
}

static void print_round(const char *what, int round, const delta_t *d,
                        uint64_t ops)
{
    printf("  %s round %d: %8.0f /server-CPU-s  %8.0f /wall-s  server busy "
           "%3.0f%%  client busy %3.0f%%",
           what, round, (double)ops / d->server_cpu, (double)ops / d->wall,
           100 * d->server_cpu / d->wall, 100 * d->client_cpu / d->wall);
    if (d->failed || d->refused || d->dropped)
        printf("  (failed %llu, refused %llu, dropped %llu)",
               (unsigned long long)d->failed, (unsigned long long)d->refused,
               (unsigned long long)d->dropped);
    printf("\n");
}

static void print_figure(const char *what, const figure_t *f, double target,
                         const char *cmp)
{
    printf("%-40s best %8.0f  typical %8.0f  /server-CPU-s  (target %s "
           "%.0f: %s)\n",
           what, f->best, f->n ? f->sum / f->n : 0, cmp, target,
           (cmp[0] == '>' ? f->best >= target : f->best <= target) ? "met"
                                                                   : "MISSED");
}

static void print_base(const char *what, const char *suite, double rate,
                       const figure_t *engine)
{
    printf("  %s: stock OpenSSL server state machine alone, in memory (%s): "
           "%.0f /server-s",
           what, suite, rate);
    if (engine->n > 0)
        printf("; engine/OpenSSL %.2f", engine->best / rate);
    printf("\n");
}

/* 1. PSK handshakes and the idle cost of a session. */
static void run_psk(const plan_t *pl, const bench_certs_t *certs, figure_t *fig,
                    double *bytes_per_session)
{
    child_t ch;
    load_t l;
    child_report_t r0, a, b;
    child_start(&ch, certs, 0);
    SSL_CTX *ctx = load_ctx(certs, 0);
    load_init(&l, ctx, ch.port);
    load_run(&l, pl->psk_warmup, pl->inflight);
    child_report(&ch, &r0);
    uint64_t per_round = (pl->psk_total - pl->psk_warmup) / ROUNDS;
    for (int i = 0; i < ROUNDS; i++) {
        delta_t d;
        child_report(&ch, &a);
        double c0 = cpu_self();
        uint64_t n = load_run(&l, per_round, pl->inflight);
        double c1 = cpu_self();
        child_report(&ch, &b);
        delta(&a, &b, c1 - c0, &d);
        if (n != d.handshakes)
            printf("  (client finished %llu, server completed %llu)\n",
                   (unsigned long long)n, (unsigned long long)d.handshakes);
        print_round("psk", i + 1, &d, d.handshakes);
        figure_add(fig, (double)d.handshakes / d.server_cpu);
    }
    uint64_t sessions = b.st.sessions - r0.st.sessions;
    *bytes_per_session =
        sessions > 0 ? (double)(b.rss_kb - r0.rss_kb) * 1024 / (double)sessions
                     : 0;
    printf("  suite %s; %llu clients finished, %llu failed, %llu addresses "
           "skipped\n",
           l.suite != NULL ? l.suite : "?", (unsigned long long)l.done,
           (unsigned long long)l.failed, (unsigned long long)l.bind_skipped);
    printf("  server: %llu sessions, %llu handshakes in progress; VmRSS %ld "
           "kB after %llu warm-up sessions, %ld kB at the end\n",
           (unsigned long long)b.st.sessions,
           (unsigned long long)b.st.handshakes, r0.rss_kb,
           (unsigned long long)r0.st.sessions, b.rss_kb);
    load_free(&l);
    SSL_CTX_free(ctx);
    child_stop(&ch);
}

/* 2. ECDHE-ECDSA handshakes with client certificates. */
static void run_cert(const plan_t *pl, const bench_certs_t *certs,
                     figure_t *fig)
{
    child_t ch;
    load_t l;
    child_report_t a, b;
    child_start(&ch, certs, 1);
    SSL_CTX *ctx = load_ctx(certs, 1);
    load_init(&l, ctx, ch.port);
    load_run(&l, pl->cert_per_round / 4 + 1, pl->inflight);
    for (int i = 0; i < ROUNDS; i++) {
        delta_t d;
        child_report(&ch, &a);
        double c0 = cpu_self();
        load_run(&l, pl->cert_per_round, pl->inflight);
        double c1 = cpu_self();
        child_report(&ch, &b);
        delta(&a, &b, c1 - c0, &d);
        print_round("ecdsa", i + 1, &d, d.handshakes);
        figure_add(fig, (double)d.handshakes / d.server_cpu);
    }
    printf("  suite %s; %llu clients finished, %llu failed\n",
           l.suite != NULL ? l.suite : "?", (unsigned long long)l.done,
           (unsigned long long)l.failed);
    load_free(&l);
    SSL_CTX_free(ctx);
    child_stop(&ch);
}

/* 3. Request/response on established sessions. */
static void run_rr(const plan_t *pl, const bench_certs_t *certs, figure_t *fig)
{
    child_t ch;
    load_t l;
    rr_t r;
    child_report_t a, b;
    uint16_t port;
    int fd = rr_socket(&port);
    child_start(&ch, certs, 0);
    SSL_CTX *ctx = load_ctx(certs, 0);
    load_init(&l, ctx, ch.port);
    /* 127.1.0.1, 127.1.0.2, ... all on the request socket's port */
    addr_block(&l.addrs, 0x7f010001u, port);
    l.keep = calloc(pl->rr_sessions, sizeof *l.keep);
    l.keep_cap = pl->rr_sessions;
    if (l.keep == NULL)
        certs_die("calloc");
    if (load_run(&l, pl->rr_sessions, pl->inflight) != pl->rr_sessions ||
        l.failed != 0)
        certs_die("request/response sessions");
    rr_init(&r, l.keep, pl->rr_sessions, fd, ch.port);
    rr_run(&r, pl->rr_window, 0.5);
    for (int i = 0; i < ROUNDS; i++) {
        delta_t d;
        child_report(&ch, &a);
        double c0 = cpu_self();
        uint64_t n = rr_run(&r, pl->rr_window, pl->rr_seconds);
        double c1 = cpu_self();
        child_report(&ch, &b);
        delta(&a, &b, c1 - c0, &d);
        print_round("echo", i + 1, &d, n);
        figure_add(fig, (double)n / d.server_cpu);
    }
    printf("  %u sessions (suite %s), %u requests in flight; %llu answered, "
           "%llu lost, %llu unexpected\n",
           pl->rr_sessions, l.suite != NULL ? l.suite : "?", pl->rr_window,
           (unsigned long long)r.done, (unsigned long long)r.lost,
           (unsigned long long)r.bad);
    OPENSSL_cleanse(l.keep, pl->rr_sessions * sizeof *l.keep);
    rr_free(&r);
    free(l.keep);
    l.keep = NULL;
    load_free(&l);
    SSL_CTX_free(ctx);
    child_stop(&ch);
    close(fd);
}

/* Removed however the run ends (certs_die() exits). */
static bench_certs_t run_certs;

static void remove_certs(void)
{
    certs_remove(&run_certs);
}

static void plan_make(plan_t *pl, int quick)
{
    memset(pl, 0, sizeof *pl);
    pl->quick = quick;
    pl->inflight = 64;
    pl->rr_sessions = 1000;
    pl->rr_window = 256;
    pl->psk_warmup = 1000;
    if (quick) {
        pl->psk_total = 7000;
        pl->cert_per_round = 300;
        pl->rr_seconds = 0.5;
        pl->base_seconds = 0.3;
    } else {
        pl->psk_total = 100000;
        pl->cert_per_round = 2000;
        pl->rr_seconds = 2.0;
        pl->base_seconds = 2.0;
    }
}

int main(int argc, char **argv)
{
    const char *env = getenv("BENCH_DTLS_QUICK");
    int quick = (env != NULL && env[0] != '\0' && env[0] != '0') ||
                (argc > 1 && strcmp(argv[1], "--quick") == 0);
    plan_t pl;
    plan_make(&pl, quick);

    /* One socket per client in flight, a few hundred at most; raised to
     * the hard limit anyway. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    certs_create(&run_certs);
    atexit(remove_certs);
    pin_cpu(1);

    printf("bench_dtls%s: server child 1 worker on CPU 0, clients on CPU 1\n",
           quick ? " (quick smoke run, not the published figures)" : "");
    printf("sizeof(bw_dtls_session_t)                %zu bytes\n",
           sizeof(bw_dtls_session_t));

    speed_t sp;
    memset(&sp, 0, sizeof sp);
    if (!quick)
        speed_all(&sp);
    /* BENCH_DTLS_ONLY=base|psk|cert|rr runs one part (for profiling). */
    const char *only = getenv("BENCH_DTLS_ONLY");
#define PART(name) (only == NULL || strcmp(only, name) == 0)
    const char *psk_suite = NULL, *cert_suite = NULL;
    double base_psk = 0, base_cert = 0;
    if (PART("base")) {
        base_psk = base_run(&run_certs, 0, pl.base_seconds, &psk_suite);
        base_cert = base_run(&run_certs, 1, pl.base_seconds, &cert_suite);
    }
    figure_t f_psk = {0}, f_cert = {0}, f_rr = {0};
    double per_session = 0;
    if (PART("psk"))
        run_psk(&pl, &run_certs, &f_psk, &per_session);
    if (PART("cert"))
        run_cert(&pl, &run_certs, &f_cert);
    if (PART("rr"))
        run_rr(&pl, &run_certs, &f_rr);

    printf("\n");
    if (f_psk.n > 0) {
        print_figure("PSK full handshakes", &f_psk, 10000, ">=");
        if (sp.hmac128 > 0)
            printf("  openssl speed: hmac(sha256) 128 B %.0f/s (a PSK "
                   "handshake needs a few dozen)\n",
                   sp.hmac128);
    }
    if (f_cert.n > 0) {
        print_figure("ECDHE-ECDSA P-256 mutual handshakes", &f_cert, 2500,
                     ">=");
    }
    if (base_psk > 0)
        print_base("PSK", psk_suite, base_psk, &f_psk);
    if (base_cert > 0)
        print_base("ECDHE-ECDSA", cert_suite, base_cert, &f_cert);
    if (f_cert.n > 0 && sp.ecdh > 0 && sp.ecdsa_sign > 0 &&
        sp.ecdsa_verify > 0) {
        /* Server side of one handshake: an ephemeral key and the shared
         * secret (counted as two ECDH operations, a slight overestimate:
         * key generation uses the fixed base point), one signature (its
         * ServerKeyExchange), two verifications (the client certificate's
         * signature by the CA, and CertificateVerify). */
        double us = 2e6 / sp.ecdh + 1e6 / sp.ecdsa_sign + 2e6 / sp.ecdsa_verify;
        printf("  openssl speed: ecdh p256 %.0f/s, ecdsa p256 sign %.0f/s, "
               "verify %.0f/s\n",
               sp.ecdh, sp.ecdsa_sign, sp.ecdsa_verify);
        printf("  public-key work per server handshake about %.0f us: at "
               "most %.0f /CPU-s; engine at %.0f%% of that\n",
               us, 1e6 / us, 100 * f_cert.best * us / 1e6);
    }
    if (f_rr.n > 0) {
        print_figure("120-byte request/response", &f_rr, 100000, ">=");
        if (sp.gcm128 > 0)
            printf("  openssl speed: aes-128-gcm 128 B %.0f/s; one open and "
                   "one seal per request: at most %.0f /CPU-s\n",
                   sp.gcm128, sp.gcm128 / 2);
    }
    if (f_psk.n > 0)
        printf("%-36s %8.0f bytes per session at %llu sessions (target <= "
               "512: %s)\n",
               "Idle established session, VmRSS", per_session,
               (unsigned long long)pl.psk_total,
               per_session <= 512 ? "met" : "MISSED");
    return 0;
}
