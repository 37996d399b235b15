/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/fleet: fleet capacity of one bulwark-server.
 *
 * One bulwark-server (DM role only, its default worker count) runs on
 * 127.0.0.1 over a fresh database; this program is the load generator.
 * It provisions N devices (plus N/10 for the baseline) with an active DM
 * PSK credential each, through the storage layer (server/db, the same
 * bw_db_psk_import_for the bootstrap server uses when it issues a DM key),
 * while the server runs.  Then every device does, once: a full DTLS 1.2
 * PSK handshake with its own credentials (stock OpenSSL client, cookie
 * exchange included) from an address of its own (127.16.0.0 + i), a
 * LwM2M Register (POST /rd?ep=..&lt=86400&lwm2m=1.1&b=U, three object
 * links), waits for the 2.01 (the server answers once the registration is
 * committed), and closes its socket without a close_notify, as a device
 * going to sleep does: the server keeps the session and the registration.
 * Several hundred devices are in flight at once, each on its own
 * non-blocking UDP socket, in one epoll loop.  Nothing is kept per device
 * afterwards.
 *
 * Printed at the end:
 *   - registrations per wall second, and per CPU second of the server
 *     (utime + stime of the server process from /proc/PID/stat over the
 *     registration phase: the "per core" figure, target >= 8,000), beside
 *     the baseline measured in the same run: N/10 other devices doing the
 *     handshake alone, with a CoAP ping (empty CON, answered RST) instead
 *     of the Register, so the server frees the handshake the same way;
 *   - the server's VmRSS (/proc/PID/status) at start, after provisioning,
 *     after the baseline, after N/10 and after N registrations; bytes per
 *     registered device = growth over the registrations / N, beside the
 *     same at N/10, the marginal cost between the two, and the idle DTLS
 *     session alone (the growth over the baseline's second half, the
 *     first warming the server up; small and noisy, as the sessions
 *     reuse freed handshake memory: comparing a run with
 *     BENCH_FLEET_CLOSE_NOTIFY=1 is the better measure).  Target <= 1 KB
 *     per registered device (goal 0.5 KB);
 *   - the registrations the database holds (registrations table) once the
 *     run is over, which must be N.
 *
 * Usage: bench_fleet [--help]; settings come from the environment.
 *   BENCH_FLEET_DEVICES=N   registered devices (default 100000; 2000 is a
 *                           quick check)
 *   BENCH_FLEET_INFLIGHT=M  devices in flight at once (default 256)
 *   BENCH_FLEET_CLOSE_NOTIFY=1  devices end with a close_notify: the
 *                           server drops the session and keeps only the
 *                           registration
 *   BENCH_FLEET_DIR=D       where the work directory goes (default
 *                           /dev/shm, else $TMPDIR or /tmp).  On tmpfs
 *                           the database's fsyncs cost nothing, so the
 *                           wall-clock rate is not the disk's.
 *                           BENCH_FLEET_DIR=/tmp puts the database on
 *                           the disk (at 20,000 devices that gave the
 *                           same 3,700-4,400 registrations per server
 *                           CPU second)
 *   BENCH_FLEET_KEEP=1      keep the work directory (database, log)
 *   BW_BIN_DIR              where bulwark-server is (default: this
 *                           program's directory)
 *
 * Everything runs on loopback; the server is stopped and the work
 * directory removed at the end, also on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "fleet_proc.h"
#include "bulwark/coap.h"
#include "db.h"
#include "dtls_int.h"
#include "lwm2m_registry.h"

/* Endpoint names are dev-DDD-DDD (no run of 6 digits: an identity can
 * never contain a "serial" of the name, docs/storage.md). */
#define FLEET_MAX_DEVICES 999999u
#define GEN_MAX_INFLIGHT  1024u
/* Client addresses: 127.16.0.0 + i registers, 127.8.0.0 + i is the
 * baseline.  One address per device: the server admits at most 64 new
 * handshakes per source IP and second, and keys sessions by address. */
#define ADDR_REGISTER 0x7f100000u
#define ADDR_BASELINE 0x7f080000u
/* A device that has not finished in this time is given up (counted). */
#define GEN_GIVE_UP_S 30.0
/* How often retransmission timers are looked at. */
#define GEN_SCAN_S 0.02
/* CoAP ACK_TIMEOUT (RFC 7252): first retransmission of the request. */
#define COAP_ACK_TIMEOUT_S 2.0
#define PSK_LEN            32
#define IDENTITY_LEN       19 /* "dm-" and 16 hex digits */
#define LINKS              "</1/1>,</3/0>,</5/0>"
#define LIFETIME           "lt=86400"

typedef struct {
    char id[IDENTITY_LEN + 1];
    uint8_t psk[PSK_LEN];
} cred_t;

/* ---- the server process ----------------------------------------------- */

static int g_server = -1; /* fp_pid slot */

/* Start bulwark-server run (DM role) and return its DTLS port. */
static uint16_t start_server(const char *bin, const char *db, const char *key)
{
    char exe[1100], ready[FP_PATH];
    snprintf(exe, sizeof exe, "%s/bulwark-server", bin);
    snprintf(ready, sizeof ready, "%s/ready", fp_work);
    char *const args[] = {
        exe,         "run",    "--db",         (char *)db, "--master-key",
        (char *)key, "--bind", "127.0.0.1",    "--role",   "dm",
        "--dm-port", "0",      "--ready-file", ready,      NULL};
    g_server = fp_spawn(args, "server.log");
    for (int i = 0; i < 400; i++) { /* 20 s */
        FILE *f = fopen(ready, "r");
        unsigned port = 0;
        if (f != NULL) {
            int ok = fscanf(f, "%u", &port) == 1;
            fclose(f);
            if (ok && port > 0 && port < 65536)
                return (uint16_t)port;
        }
        fp_alive(g_server);
        usleep(50000);
    }
    fp_die("bulwark-server did not get ready");
}

static double server_cpu(void)
{
    return fp_cpu_ticks(fp_pid[g_server]);
}

static long server_rss_kb(void)
{
    return fp_rss_kb(fp_pid[g_server]);
}

/* ---- provisioning ----------------------------------------------------- */

static void endpoint_name(char *out, size_t cap, const char *prefix, uint32_t i)
{
    snprintf(out, cap, "%s-%03u-%03u", prefix, i / 1000, i % 1000);
}

/* Derive device i's credential from the run's seed. */
static void cred_make(cred_t *c, const uint8_t seed[32], char set, uint32_t i)
{
    uint8_t in[32 + 6], h[SHA256_DIGEST_LENGTH];
    memcpy(in, seed, 32);
    in[32] = (uint8_t)set;
    in[34] = (uint8_t)(i >> 24);
    in[35] = (uint8_t)(i >> 16);
    in[36] = (uint8_t)(i >> 8);
    in[37] = (uint8_t)i;
    in[33] = 'k';
    SHA256(in, sizeof in, c->psk);
    in[33] = 'i';
    SHA256(in, sizeof in, h);
    snprintf(c->id, sizeof c->id, "dm-");
    for (int k = 0; k < 8; k++)
        snprintf(c->id + 3 + 2 * k, 3, "%02x", h[k]);
    OPENSSL_cleanse(in, sizeof in);
}

static void provision(bw_db_t *db, cred_t *creds, uint32_t n,
                      const char *prefix, char set, const uint8_t seed[32])
{
    char ep[32];
    for (uint32_t i = 0; i < n; i++) {
        cred_make(&creds[i], seed, set, i);
        endpoint_name(ep, sizeof ep, prefix, i);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        int err = bw_db_device_add(db, ep, "bulwark-sim", NULL, now, NULL);
        if (err == 0)
            err = bw_db_psk_import_for(db, ep, BW_DB_PURPOSE_DM,
                                       (const uint8_t *)creds[i].id,
                                       IDENTITY_LEN, creds[i].psk, PSK_LEN,
                                       BW_DB_CRED_ACTIVE, now, NULL);
        if (err != 0)
            fp_die("provisioning %s: %s", ep, bw_strerror(err));
    }
}

/* ---- the load generator ----------------------------------------------- */

typedef struct {
    SSL *ssl;
    int fd;
    int sent;     /* handshake done, request sent */
    int tries;    /* CoAP retransmissions so far */
    uint32_t dev; /* index into the generator's devices */
    uint16_t mid;
    double started, sent_at;
} conn_t;

typedef struct {
    SSL_CTX *ctx;
    struct sockaddr_in server;
    int ep;
    const cred_t *creds;
    const char *prefix; /* endpoint names */
    uint32_t addr_base;
    uint32_t count, next; /* devices, next to start */
    int do_register;      /* else a CoAP ping */
    int close_notify;
    conn_t conns[GEN_MAX_INFLIGHT];
    unsigned inflight;
    uint64_t done, failed_hs, failed_answer, timed_out, resent;
    unsigned last_code; /* a wrong answer's code, for the report */
} gen_t;

static int g_conn_idx = -1; /* SSL ex_data index of the conn */

static unsigned gen_psk(SSL *ssl, const char *hint, char *identity,
                        unsigned max_identity, unsigned char *psk,
                        unsigned max_psk)
{
    (void)hint;
    const gen_t *g = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const conn_t *c = SSL_get_ex_data(ssl, g_conn_idx);
    if (g == NULL || c == NULL || max_identity <= IDENTITY_LEN ||
        max_psk < PSK_LEN)
        return 0;
    const cred_t *cr = &g->creds[c->dev];
    memcpy(identity, cr->id, IDENTITY_LEN + 1);
    memcpy(psk, cr->psk, PSK_LEN);
    return PSK_LEN;
}

static SSL_CTX *gen_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
    if (ctx == NULL)
        fp_die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_security_level(ctx, 0); /* CCM-8 sits below level 1 */
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
    if (SSL_CTX_set_cipher_list(ctx, "PSK-AES128-CCM8") != 1)
        fp_die("PSK-AES128-CCM8 not available");
    SSL_CTX_set_psk_client_callback(ctx, gen_psk);
    return ctx;
}

static void gen_init(gen_t *g, SSL_CTX *ctx, uint16_t port, const cred_t *creds,
                     uint32_t count, const char *prefix, uint32_t addr_base,
                     int do_register, int close_notify)
{
    memset(g, 0, sizeof *g);
    g->ctx = ctx;
    SSL_CTX_set_app_data(ctx, g);
    g->server.sin_family = AF_INET;
    g->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g->server.sin_port = htons(port);
    g->creds = creds;
    g->count = count;
    g->prefix = prefix;
    g->addr_base = addr_base;
    g->do_register = do_register;
    g->close_notify = close_notify;
    g->ep = epoll_create1(EPOLL_CLOEXEC);
    if (g->ep < 0)
        fp_die("epoll_create1: %s", strerror(errno));
}

/* The request of conn c: a Register, or a CoAP ping.  Returns its length. */
static size_t gen_request(const gen_t *g, const conn_t *c, uint8_t *buf,
                          size_t cap)
{
    bw_coap_writer_t w;
    size_t len = 0;
    if (!g->do_register) {
        bw_coap_writer_init(&w, buf, cap, BW_COAP_CON, BW_COAP_EMPTY, c->mid,
                            NULL, 0);
    } else {
        char ep[40], q[48];
        uint8_t token[8];
        for (int i = 0; i < 4; i++)
            token[i] = (uint8_t)(c->dev >> (8 * i));
        token[4] = (uint8_t)c->mid;
        token[5] = (uint8_t)(c->mid >> 8);
        token[6] = 0x5a;
        token[7] = 0xa5;
        endpoint_name(ep, sizeof ep, g->prefix, c->dev);
        int ql = snprintf(q, sizeof q, "ep=%s", ep);
        bw_coap_writer_init(&w, buf, cap, BW_COAP_CON, BW_COAP_POST, c->mid,
                            token, sizeof token);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "rd", 2);
        bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT,
                                BW_COAP_FMT_LINK);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, q, (size_t)ql);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, LIFETIME,
                               strlen(LIFETIME));
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "lwm2m=1.1", 9);
        bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_QUERY, "b=U", 3);
        bw_coap_writer_payload(&w, LINKS, strlen(LINKS));
    }
    if (bw_coap_writer_finish(&w, &len) != 0)
        fp_die("building a request");
    return len;
}

static void conn_close(gen_t *g, conn_t *c)
{
    if (g->close_notify)
        (void)SSL_shutdown(c->ssl); /* sends the alert; no wait */
    SSL_free(c->ssl);               /* closes the socket (BIO_CLOSE) */
    c->ssl = NULL;
    c->fd = -1;
    g->inflight--;
}

static void conn_start(gen_t *g, conn_t *c, unsigned slot)
{
    struct sockaddr_in me = {.sin_family = AF_INET};
    me.sin_addr.s_addr = htonl(g->addr_base + g->next);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fp_die("socket: %s (raise ulimit -n?)", strerror(errno));
    if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0 ||
        connect(fd, (struct sockaddr *)&g->server, sizeof g->server) != 0)
        fp_die("bind/connect from %s: %s", inet_ntoa(me.sin_addr),
               strerror(errno));
    SSL *ssl = SSL_new(g->ctx);
    BIO *bio = ssl != NULL ? BIO_new_dgram(fd, BIO_CLOSE) : NULL;
    if (bio == NULL)
        fp_die("SSL_new");
    BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &g->server);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_mtu(ssl, 1400);
    SSL_set_connect_state(ssl);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = slot};
    if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        fp_die("epoll_ctl: %s", strerror(errno));
    c->ssl = ssl;
    c->fd = fd;
    c->sent = 0;
    c->tries = 0;
    c->dev = g->next++;
    c->mid = (uint16_t)(c->dev * 7u + 1u);
    c->started = bench_now();
    SSL_set_ex_data(ssl, g_conn_idx, c);
    g->inflight++;
}

static int conn_send(gen_t *g, conn_t *c)
{
    uint8_t req[256];
    size_t n = gen_request(g, c, req, sizeof req);
    c->sent_at = bench_now();
    return SSL_write(c->ssl, req, (int)n) == (int)n ? 0 : -1;
}

/* Is m the answer c waits for?  1 done, 0 not ours, -1 a wrong answer. */
static int answer_of(gen_t *g, const conn_t *c, const bw_coap_msg_t *m)
{
    if (m->mid != c->mid)
        return 0;
    if (!g->do_register)
        return m->type == BW_COAP_RST ? 1 : -1;
    if (m->type != BW_COAP_ACK)
        return 0;
    bw_coap_opt_t loc;
    if (m->code != BW_COAP_CREATED ||
        bw_coap_opt_find(m, BW_COAP_OPT_LOCATION_PATH, &loc) != 0) {
        g->last_code = m->code;
        return -1;
    }
    return 1;
}

/* Advance one device; returns 1 when it finished (or failed). */
static int conn_step(gen_t *g, conn_t *c)
{
    uint8_t buf[512];
    if (!c->sent) {
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return 0;
            g->failed_hs++;
            ERR_clear_error();
            return 1;
        }
        c->sent = 1;
        if (conn_send(g, c) != 0) {
            g->failed_answer++;
            ERR_clear_error();
            return 1;
        }
    }
    for (;;) {
        int r = SSL_read(c->ssl, buf, sizeof buf);
        if (r <= 0) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return 0;
            g->failed_answer++;
            ERR_clear_error();
            return 1;
        }
        bw_coap_msg_t m;
        if (bw_coap_parse(&m, buf, (size_t)r) != 0)
            continue;
        int a = answer_of(g, c, &m);
        if (a == 0)
            continue;
        if (a > 0)
            g->done++;
        else
            g->failed_answer++;
        return 1;
    }
}

/* Timers: handshake and CoAP retransmissions, giving up. */
static void gen_scan(gen_t *g, double now)
{
    for (unsigned i = 0; i < GEN_MAX_INFLIGHT; i++) {
        conn_t *c = &g->conns[i];
        if (c->ssl == NULL)
            continue;
        if (now - c->started > GEN_GIVE_UP_S) {
            g->timed_out++;
            conn_close(g, c);
        } else if (!c->sent) {
            (void)DTLSv1_handle_timeout(c->ssl);
        } else if (now - c->sent_at > COAP_ACK_TIMEOUT_S * (1 << c->tries)) {
            c->tries++;
            g->resent++;
            if (conn_send(g, c) != 0) {
                g->failed_answer++;
                ERR_clear_error();
                conn_close(g, c);
            }
        }
    }
}

/* Run devices until `upto` have been started and all have finished. */
static void gen_run(gen_t *g, uint32_t upto, unsigned inflight)
{
    struct epoll_event evs[64];
    double next_scan = bench_now() + GEN_SCAN_S;
    if (upto > g->count)
        upto = g->count;
    for (;;) {
        for (unsigned i = 0; i < inflight && g->next < upto; i++) {
            conn_t *c = &g->conns[i];
            if (c->ssl != NULL)
                continue;
            conn_start(g, c, i);
            if (conn_step(g, c))
                conn_close(g, c);
        }
        if (g->inflight == 0 && g->next >= upto)
            break;
        int n = epoll_wait(g->ep, evs, 64, 10);
        for (int i = 0; i < n; i++) {
            conn_t *c = &g->conns[evs[i].data.u32];
            if (c->ssl != NULL && conn_step(g, c))
                conn_close(g, c);
        }
        double now = bench_now();
        if (now >= next_scan) {
            next_scan = now + GEN_SCAN_S;
            gen_scan(g, now);
        }
    }
}

static uint64_t gen_failed(const gen_t *g)
{
    return g->failed_hs + g->failed_answer + g->timed_out;
}

static void gen_free(gen_t *g)
{
    for (unsigned i = 0; i < GEN_MAX_INFLIGHT; i++)
        if (g->conns[i].ssl != NULL)
            conn_close(g, &g->conns[i]);
    close(g->ep);
}

/* ---- measurement ------------------------------------------------------ */

static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

typedef struct {
    const char *what;
    uint32_t devices;
    double wall, server_cpu, self_cpu;
    uint64_t failed;
} phase_t;

static void phase_print(const phase_t *p)
{
    printf("  %-28s %7u devices %7.2f s  %8.0f /wall-s  %8.0f "
           "/server-CPU-s  server busy %3.0f%%  generator busy %3.0f%%",
           p->what, p->devices, p->wall, p->devices / p->wall,
           p->devices / p->server_cpu, 100 * p->server_cpu / p->wall,
           100 * p->self_cpu / p->wall);
    if (p->failed)
        printf("  (%llu failed)", (unsigned long long)p->failed);
    printf("\n");
}

/* Run devices [g->next, upto) of g and measure the phase. */
static void phase_run(phase_t *p, const char *what, gen_t *g, uint32_t upto,
                      unsigned inflight)
{
    uint32_t first = g->next;
    uint64_t f0 = gen_failed(g);
    double s0 = server_cpu(), c0 = cpu_self(), t0 = bench_now();
    gen_run(g, upto, inflight);
    double t1 = bench_now(), c1 = cpu_self(), s1 = server_cpu();
    p->what = what;
    p->devices = g->next - first;
    p->wall = t1 - t0;
    p->server_cpu = s1 - s0 > 0 ? s1 - s0 : 1e-9;
    p->self_cpu = c1 - c0;
    p->failed = gen_failed(g) - f0;
    phase_print(p);
}

static long count_registrations(const char *db_path)
{
    sqlite3 *s = NULL;
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_open_v2(db_path, &s, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(s,
                           "SELECT count(*) FROM registrations WHERE "
                           "endpoint LIKE 'dev-%'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(s);
    return n;
}

static void usage(void)
{
    puts("usage: bench_fleet [--help]\n\n"
         "Fleet capacity of one bulwark-server over loopback: registrations\n"
         "(full DTLS-PSK handshake + LwM2M Register) per server CPU second\n"
         "beside the handshake alone, and the server's RSS per registered\n"
         "device at N/10 and N beside the idle DTLS session.\n\n"
         "Environment: BENCH_FLEET_DEVICES=N (100000; 2000 is a quick\n"
         "check), BENCH_FLEET_INFLIGHT=M (256), BENCH_FLEET_CLOSE_NOTIFY=1,\n"
         "BENCH_FLEET_DIR=D (/dev/shm, else $TMPDIR or /tmp),\n"
         "BENCH_FLEET_KEEP=1, BW_BIN_DIR (default: this program's directory).\n"
         "Details: the comment at the top of bench/fleet.c.");
}

int main(int argc, char **argv)
{
    if (argc > 1 &&
        (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage();
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "bench_fleet: no arguments (see --help)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    fp_name = "bench_fleet";
    double t_begin = bench_now();
    uint32_t n =
        fp_env_uint("BENCH_FLEET_DEVICES", 100000, 10, FLEET_MAX_DEVICES);
    unsigned inflight =
        fp_env_uint("BENCH_FLEET_INFLIGHT", 256, 1, GEN_MAX_INFLIGHT);
    int close_notify = fp_env_uint("BENCH_FLEET_CLOSE_NOTIFY", 0, 0, 1) != 0;
    uint32_t nb = n / 10; /* baseline devices, and the first step */
    char bin[1024];
    fp_bin_dir(bin, sizeof bin);

    /* File descriptors: one socket per device in flight. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < inflight + 64) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }

    const char *dir = getenv("BENCH_FLEET_DIR");
    if ((dir == NULL || dir[0] == '\0') && access("/dev/shm", W_OK) == 0)
        dir = "/dev/shm";
    if (dir == NULL || dir[0] == '\0')
        dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    fp_workdir(dir);
    char db_path[600], key_path[600];
    snprintf(db_path, sizeof db_path, "%s/fleet.db", fp_work);
    snprintf(key_path, sizeof key_path, "%s/master.key", fp_work);
    printf("bench_fleet: %u devices (baseline %u), %u in flight, %s, work "
           "directory %s\n",
           n, nb, inflight,
           close_notify ? "close_notify at the end" : "no close_notify",
           fp_work);

    /* The database first (schema), then the server on it. */
    int err = bw_db_master_key_create(key_path);
    bw_db_t *db = NULL;
    char why[256] = "";
    bw_db_config_t dc = {.path = db_path, .master_key_file = key_path};
    if (err == 0)
        err = bw_db_open(&dc, &db, why, sizeof why);
    if (err != 0)
        fp_die("database: %s %s", bw_strerror(err), why);
    uint16_t port = start_server(bin, db_path, key_path);
    usleep(200000);
    long rss_start = server_rss_kb();

    uint8_t seed[32];
    if (RAND_bytes(seed, sizeof seed) != 1)
        fp_die("RAND_bytes");
    cred_t *reg = calloc(n, sizeof *reg), *base = calloc(nb, sizeof *base);
    if (reg == NULL || base == NULL)
        fp_die("out of memory");
    double t0 = bench_now();
    provision(db, reg, n, "dev", 'r', seed);
    provision(db, base, nb, "hs", 'b', seed);
    double t_prov = bench_now() - t0;
    OPENSSL_cleanse(seed, sizeof seed);
    bw_db_close(db);
    printf("  provisioned %u devices in %.1f s (%.0f /s, two commits each)\n",
           n + nb, t_prov, (n + nb) / t_prov);
    long rss_prov = server_rss_kb();

    g_conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    SSL_CTX *ctx = gen_ctx();
    phase_t r1, r2;
    gen_t *g = malloc(sizeof *g);
    if (g == NULL)
        fp_die("out of memory");
    /* The baseline in two halves: the first also warms the server up
     * (thread arenas, the database's page caches), the second gives the
     * idle session's own cost. */
    phase_t hs1, hs2;
    gen_init(g, ctx, port, base, nb, "hs", ADDR_BASELINE, 0, close_notify);
    phase_run(&hs1, "handshake + ping, warm-up", g, nb / 2, inflight);
    usleep(500000);
    long rss_warm = server_rss_kb();
    phase_run(&hs2, "handshake + ping (baseline)", g, nb, inflight);
    gen_free(g);
    usleep(500000);
    long rss_hs = server_rss_kb();
    phase_t hs = {.what = "handshake + ping (baseline)",
                  .devices = hs1.devices + hs2.devices,
                  .wall = hs1.wall + hs2.wall,
                  .server_cpu = hs1.server_cpu + hs2.server_cpu,
                  .self_cpu = hs1.self_cpu + hs2.self_cpu,
                  .failed = hs1.failed + hs2.failed};

    gen_init(g, ctx, port, reg, n, "dev", ADDR_REGISTER, 1, close_notify);
    phase_run(&r1, "handshake + Register, N/10", g, nb, inflight);
    usleep(500000);
    long rss_r1 = server_rss_kb();
    phase_run(&r2, "handshake + Register, rest", g, n, inflight);
    uint64_t done = g->done, failed = gen_failed(g), resent = g->resent;
    unsigned last_code = g->last_code;
    gen_free(g);
    free(g);
    usleep(500000);
    long rss_r2 = server_rss_kb();
    long held = count_registrations(db_path);
    SSL_CTX_free(ctx);
    OPENSSL_cleanse(reg, n * sizeof *reg);
    OPENSSL_cleanse(base, nb * sizeof *base);
    free(reg);
    free(base);

    phase_t all = {.what = "handshake + Register, all",
                   .devices = r1.devices + r2.devices,
                   .wall = r1.wall + r2.wall,
                   .server_cpu = r1.server_cpu + r2.server_cpu,
                   .self_cpu = r1.self_cpu + r2.self_cpu,
                   .failed = r1.failed + r2.failed};
    double b_sess = (double)(rss_hs - rss_warm) * 1024 / (nb - nb / 2);
    double b_r1 = (double)(rss_r1 - rss_hs) * 1024 / nb;
    double b_all = (double)(rss_r2 - rss_hs) * 1024 / n;
    double b_marg = (double)(rss_r2 - rss_r1) * 1024 / (n - nb);

    printf("\nbench_fleet results (%u registered devices):\n", n);
    phase_print(&hs);
    phase_print(&all);
    printf("  registrations: %.0f /server-CPU-s (target >= 8000: %s), "
           "%.1f us server CPU each; handshake alone %.0f /server-CPU-s "
           "(%.1f us each)\n",
           all.devices / all.server_cpu,
           all.devices / all.server_cpu >= 8000 ? "met" : "MISSED",
           1e6 * all.server_cpu / all.devices, hs.devices / hs.server_cpu,
           1e6 * hs.server_cpu / hs.devices);
    printf("  server VmRSS (kB): start %ld, provisioned %ld, baseline half "
           "%ld, baseline %ld, N/10 registered %ld, N registered %ld\n",
           rss_start, rss_prov, rss_warm, rss_hs, rss_r1, rss_r2);
    printf("  bytes per registered device: %.0f at N = %u (target <= 1024: "
           "%s, goal 512), %.0f at N/10, marginal %.0f; idle DTLS session "
           "alone %.0f (second half of the baseline)\n",
           b_all, n, b_all <= 1024 ? "met" : "MISSED", b_r1, b_marg, b_sess);
    printf("  server structures: sizeof(bw_dtls_session_t) %zu; a "
           "registry entry is sized to what was registered (the %zu-byte "
           "bw_lwsrv_regview_t is only the form copied out)\n",
           sizeof(bw_dtls_session_t), sizeof(bw_lwsrv_regview_t));
    printf("  registrations held in the database: %ld of %u; %llu finished, "
           "%llu failed, %llu CoAP retransmissions",
           held, n, (unsigned long long)done, (unsigned long long)failed,
           (unsigned long long)resent);
    if (last_code != 0)
        printf(" (a wrong answer: %u.%02u)", BW_COAP_CODE_CLASS(last_code),
               BW_COAP_CODE_DETAIL(last_code));
    printf("\n  total run time %.0f s (provisioning %.0f s)\n",
           bench_now() - t_begin, t_prov);
    fp_stop(g_server);
    if (held != (long)n || failed != 0)
        fp_die("%ld registrations held for %u devices, %llu failed", held, n,
               (unsigned long long)failed);
    return 0;
}
