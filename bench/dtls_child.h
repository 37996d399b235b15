/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/dtls: the server under test, in a child process of its own.
 *
 * The child runs the real engine (bw_dtls_server_*) with one worker,
 * pinned to one CPU, as an echo server: on_data sends the datagram back
 * with bw_dtls_send().  The parent drives the load from the other CPU.
 * Over a pipe the parent asks for a report ('r') and the child answers
 * with its own CPU time (getrusage RUSAGE_SELF: the worker thread plus a
 * main thread that only waits on the pipe), the wall clock, the engine's
 * counters and its resident set size.  Figures per server CPU second are
 * the difference of two reports.  'q' stops the server and ends the child.
 *
 * Included by bench/dtls.c only.
 */
#ifndef BW_BENCH_DTLS_CHILD_H
#define BW_BENCH_DTLS_CHILD_H

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "dtls_certs.h"
#include "dtls_server.h"

/* The PSK every bench device shares; identities are "bench-<n>". */
static const uint8_t bench_psk[16] = {0x42, 0x75, 0x6c, 0x77, 0x61, 0x72,
                                      0x6b, 0x20, 0x62, 0x65, 0x6e, 0x63,
                                      0x68, 0x20, 0x31, 0x36};
#define BENCH_PSK_PREFIX "bench-"

typedef struct {
    double cpu_s;  /* user + system time of the child so far */
    double wall_s; /* monotonic clock */
    long rss_kb;   /* VmRSS */
    bw_dtls_stats_t st;
} child_report_t;

typedef struct {
    pid_t pid;
    int cmd; /* parent -> child */
    int rep; /* child -> parent */
    uint16_t port;
} child_t;

static void pin_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    /* Best effort: with fewer CPUs the figures are still per CPU second. */
    (void)sched_setaffinity(0, sizeof set, &set);
}

static int child_psk(void *arg, const uint8_t *identity, size_t len,
                     uint8_t *psk, size_t cap, size_t *psk_len)
{
    (void)arg;
    size_t plen = sizeof BENCH_PSK_PREFIX - 1;
    if (len <= plen || memcmp(identity, BENCH_PSK_PREFIX, plen) != 0)
        return BW_ENOTFOUND;
    if (cap < sizeof bench_psk)
        return BW_ENOSPC;
    memcpy(psk, bench_psk, sizeof bench_psk);
    *psk_len = sizeof bench_psk;
    return 0;
}

static void child_echo(void *arg, bw_dtls_worker_t *w,
                       const bw_dtls_peer_info_t *peer, const uint8_t *data,
                       size_t len)
{
    (void)arg;
    (void)bw_dtls_send(w, peer->addr, peer->addr_len, data, len);
}

static void child_log(void *arg, bw_dtls_log_level_t level, const char *msg)
{
    (void)arg;
    fprintf(stderr, "bench_dtls server [%d]: %s\n", (int)level, msg);
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static int read_full(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

static void child_run(const bench_certs_t *certs, int cert_mode, int cmd,
                      int rep)
{
    pin_cpu(0);
    bw_dtls_server_config_t cfg = {
        .bind_addr = "127.0.0.1",
        .workers = 1,
        .on_data = child_echo,
        .log = child_log,
        .log_level = BW_DTLS_LOG_ERROR,
        /* Admission must not throttle the load generator: every handshake
         * comes from 127.0.0.x, a handful of hosts. */
        .max_handshakes = 8192,
        .handshakes_per_addr = 1u << 30,
        .handshake_timeout_ms = 10000,
    };
    if (cert_mode) {
        cfg.cert_file = certs->server_cert;
        cfg.key_file = certs->server_key;
        cfg.ca_file = certs->ca;
    } else {
        cfg.psk_lookup = child_psk;
    }
    bw_dtls_server_t *srv;
    const char *why = NULL;
    int err = bw_dtls_server_new(&cfg, &srv, &why);
    if (err != 0 || bw_dtls_server_start(srv) != 0) {
        fprintf(stderr, "bench_dtls: server: %s (%s)\n", bw_strerror(err),
                why != NULL ? why : "start");
        _exit(1);
    }
    uint16_t port = bw_dtls_server_port(srv);
    if (write(rep, &port, sizeof port) != (ssize_t)sizeof port)
        _exit(1);
    char c;
    while (read(cmd, &c, 1) == 1 && c == 'r') {
        child_report_t r;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r.cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                  (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
        r.wall_s = bench_now();
        r.rss_kb = rss_kb(getpid());
        bw_dtls_server_stats(srv, &r.st);
        if (write(rep, &r, sizeof r) != (ssize_t)sizeof r)
            break;
    }
    bw_dtls_server_free(srv);
    _exit(0);
}

/* Fork the server; returns once it listens.  cert_mode 0: PSK. */
static void child_start(child_t *ch, const bench_certs_t *certs, int cert_mode)
{
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0)
        certs_die("pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        certs_die("fork");
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        child_run(certs, cert_mode, to_child[0], to_parent[1]);
    }
    close(to_child[0]);
    close(to_parent[1]);
    ch->pid = pid;
    ch->cmd = to_child[1];
    ch->rep = to_parent[0];
    if (read_full(ch->rep, &ch->port, sizeof ch->port) != 0)
        certs_die("server start");
}

static void child_report(const child_t *ch, child_report_t *r)
{
    if (write(ch->cmd, "r", 1) != 1 || read_full(ch->rep, r, sizeof *r) != 0)
        certs_die("server report");
}

static void child_stop(child_t *ch)
{
    int status;
    if (write(ch->cmd, "q", 1) != 1)
        kill(ch->pid, SIGTERM);
    close(ch->cmd);
    close(ch->rep);
    waitpid(ch->pid, &status, 0);
}

#endif /* BW_BENCH_DTLS_CHILD_H */
