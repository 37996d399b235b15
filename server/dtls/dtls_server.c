/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine's outer shell: configuration and its defaults, one socket
 * per worker on a shared port (SO_REUSEPORT), threads, counters, stop.
 */
#include <errno.h>
#include <netdb.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dtls_int.h"

static void default_log(void *arg, bw_dtls_log_level_t level, const char *msg)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    struct timespec ts;
    (void)arg;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld dtls %s: %s\n", tm.tm_hour, tm.tm_min,
            tm.tm_sec, ts.tv_nsec / 1000000, names[level], msg);
}

__attribute__((format(printf, 3, 0))) static void
vlog(const bw_dtls_server_t *srv, bw_dtls_log_level_t level, const char *fmt,
     va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    void (*log)(void *, bw_dtls_log_level_t, const char *) =
        srv->cfg.log != NULL ? srv->cfg.log : default_log;
    log(srv->cfg.arg, level, msg);
}

void bw_dtls__log_srv(const bw_dtls_server_t *srv, bw_dtls_log_level_t level,
                      const char *fmt, ...)
{
    if (level > srv->cfg.log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(srv, level, fmt, ap);
    va_end(ap);
}

/* At most this many lines of each level per worker per second: a flood of
 * bad handshakes must not become a flood of log lines.  Errors always
 * pass. */
#define LOG_PER_SECOND 50

void bw_dtls__log(bw_dtls_worker_t *w, bw_dtls_log_level_t level,
                  const char *fmt, ...)
{
    const bw_dtls_server_t *srv = w->srv;
    if (level > srv->cfg.log_level)
        return;
    if (w->log_second != w->now_s) {
        if (w->log_suppressed > 0)
            bw_dtls__log_srv(srv, BW_DTLS_LOG_WARN,
                             "worker %u: %u messages suppressed", w->index,
                             w->log_suppressed);
        w->log_second = w->now_s;
        memset(w->log_count, 0, sizeof w->log_count);
        w->log_suppressed = 0;
    }
    if (level != BW_DTLS_LOG_ERROR && ++w->log_count[level] > LOG_PER_SECOND) {
        w->log_suppressed++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vlog(srv, level, fmt, ap);
    va_end(ap);
}

static int open_socket(bw_dtls_server_t *srv, uint16_t port, int *out,
                       const char **err_msg)
{
    static __thread char msg[256];
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_DGRAM,
                             .ai_flags =
                                 AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res;
    int rc = getaddrinfo(srv->bind_addr, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(msg, sizeof msg, "%s: %s", srv->bind_addr, gai_strerror(rc));
        *err_msg = msg;
        return BW_EINVAL;
    }
    int fd =
        socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1, rcvbuf = 4 << 20;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        snprintf(msg, sizeof msg, "bind %s port %u: %s", srv->bind_addr, port,
                 strerror(errno));
        *err_msg = msg;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return BW_ENET;
    }
    freeaddrinfo(res);
    /* Bursts of handshakes arrive faster than one turn of the loop. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    *out = fd;
    return 0;
}

static uint16_t bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    bw_dtls_addr_t a;
    if (bw_dtls__addr_from(&a, (struct sockaddr *)&ss, len) != 0)
        return 0;
    return (uint16_t)((a.port >> 8) | (a.port << 8));
}

static void worker_free(bw_dtls_worker_t *w)
{
    if (w == NULL)
        return;
    bw_dtls__run_jobs(w, 0);
    pthread_mutex_destroy(&w->jobs_lock);
    while (w->nhs > 0) {
        bw_dtls_session_t *s = bw_dtls__hs_session(w->hs_list[0]);
        bw_dtls__hs_free(w, s);
        bw_dtls__table_del(&w->table, s);
    }
    bw_dtls__table_free(&w->table);
    free(w->hs_list);
    bw_dtls_aead_free(w->aead);
    bw_dtls_crypto_free(w->crypto);
    if (w->fd >= 0)
        close(w->fd);
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    OPENSSL_cleanse(w->cookie_secret, sizeof w->cookie_secret);
    free(w);
}

static int worker_new(bw_dtls_server_t *srv, unsigned index,
                      bw_dtls_worker_t **out, const char **err_msg)
{
    bw_dtls_worker_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return BW_ENOMEM;
    w->srv = srv;
    w->index = index;
    w->fd = -1;
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&w->jobs_lock, NULL);
    w->jobs_tail = &w->jobs;
    w->hs_next_ms = UINT64_MAX;
    w->hs_list = calloc(srv->cfg.max_handshakes, sizeof *w->hs_list);
    w->aead = bw_dtls_aead_new();
    w->crypto = bw_dtls_crypto_new();
    /* Ticket nonces: the worker index on top, so no two workers seal
     * with one nonce under the shared ticket key. */
    w->ticket_counter = (uint64_t)index << 40;
    int err = BW_ENOMEM;
    if (w->wake_fd < 0 || w->hs_list == NULL || w->aead == NULL ||
        w->crypto == NULL || (err = bw_dtls__table_init(&w->table)) != 0)
        goto fail;
    if (RAND_bytes(&w->cookie_secret[0][0], sizeof w->cookie_secret) != 1) {
        err = BW_ECRYPTO;
        goto fail;
    }
    err = open_socket(srv, srv->port, &w->fd, err_msg);
    if (err != 0)
        goto fail;
    *out = w;
    return 0;
fail:
    worker_free(w);
    return err;
}

int bw_dtls_server_new(const bw_dtls_server_config_t *cfg,
                       bw_dtls_server_t **out, const char **err_msg)
{
    const char *dummy;
    if (err_msg == NULL)
        err_msg = &dummy;
    *err_msg = "out of memory";
    *out = NULL;
    if (cfg->psk_lookup == NULL && cfg->cert_file == NULL) {
        *err_msg = "no credentials: give a PSK lookup or a certificate";
        return BW_EINVAL;
    }
    if ((cfg->cert_file == NULL) != (cfg->key_file == NULL) ||
        (cfg->cert_file == NULL) != (cfg->ca_file == NULL)) {
        *err_msg = "certificate mode needs a certificate, a key and a CA";
        return BW_EINVAL;
    }
    if (cfg->workers > BW_DTLS_WORKERS_MAX) {
        *err_msg = "too many workers";
        return BW_EINVAL;
    }
    bw_dtls_server_t *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return BW_ENOMEM;
    srv->cfg = *cfg;
    bw_dtls_server_config_t *c = &srv->cfg;
    if (c->max_handshakes == 0)
        c->max_handshakes = 1024;
    if (c->handshakes_per_addr == 0)
        c->handshakes_per_addr = 64;
    if (c->handshake_timeout_ms == 0)
        c->handshake_timeout_ms = 30000;
    if (c->idle_timeout_s == 0)
        c->idle_timeout_s = 2 * 86400;
    if (c->mtu == 0)
        c->mtu = 1400;
    if (c->mtu < 256 || c->mtu > BW_DTLS_DATAGRAM_MAX) {
        *err_msg = "MTU must be 256..1500";
        free(srv);
        return BW_EINVAL;
    }
    if (c->workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->workers = n < 1                     ? 1
                     : n > BW_DTLS_WORKERS_MAX ? BW_DTLS_WORKERS_MAX
                                               : (unsigned)n;
    }
    srv->bind_addr = strdup(cfg->bind_addr != NULL ? cfg->bind_addr : "::");
    srv->state_file = cfg->state_file != NULL ? strdup(cfg->state_file) : NULL;
    c->bind_addr = srv->bind_addr;
    c->state_file = srv->state_file;
    srv->port = cfg->port;
    pthread_mutex_init(&srv->pool.lock, NULL);
    srv->workers = calloc(c->workers, sizeof *srv->workers);
    int err = BW_ENOMEM;
    if (srv->bind_addr == NULL || srv->workers == NULL ||
        (cfg->state_file != NULL && srv->state_file == NULL))
        goto fail;
    err = bw_dtls__ctx_new(srv, err_msg);
    if (err != 0)
        goto fail;
    for (unsigned i = 0; i < c->workers; i++) {
        err = worker_new(srv, i, &srv->workers[i], err_msg);
        if (err != 0)
            goto fail;
        srv->nworkers++;
        if (srv->port == 0)
            srv->port = bound_port(srv->workers[0]->fd);
    }
    err = bw_dtls__persist_load(srv);
    if (err != 0) {
        *err_msg = "state file unreadable";
        goto fail;
    }
    *out = srv;
    return 0;
fail:
    /* Never save over a state file we did not consume. */
    free(srv->state_file);
    srv->state_file = NULL;
    bw_dtls_server_free(srv);
    return err;
}

uint16_t bw_dtls_server_port(const bw_dtls_server_t *srv)
{
    return srv->port;
}

unsigned bw_dtls_server_workers(const bw_dtls_server_t *srv)
{
    return srv->nworkers;
}

int bw_dtls_server_post(bw_dtls_server_t *srv, unsigned index,
                        void (*fn)(void *arg, bw_dtls_worker_t *w), void *arg)
{
    if (index >= srv->nworkers || fn == NULL)
        return BW_EINVAL;
    if (__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE))
        return BW_ESTATE;
    bw_dtls_job_t *job = malloc(sizeof *job);
    if (job == NULL)
        return BW_ENOMEM;
    job->next = NULL;
    job->fn = fn;
    job->arg = arg;
    bw_dtls_worker_t *w = srv->workers[index];
    pthread_mutex_lock(&w->jobs_lock);
    *w->jobs_tail = job;
    w->jobs_tail = &job->next;
    pthread_mutex_unlock(&w->jobs_lock);
    uint64_t one = 1;
    ssize_t r = write(w->wake_fd, &one, sizeof one);
    (void)r; /* the counter saturating still leaves it readable */
    return 0;
}

int bw_dtls_server_start(bw_dtls_server_t *srv)
{
    for (unsigned i = 0; i < srv->nworkers; i++) {
        bw_dtls_worker_t *w = srv->workers[i];
        if (pthread_create(&w->thread, NULL, bw_dtls__worker_main, w) != 0) {
            bw_dtls_server_stop(srv);
            return BW_ENOMEM;
        }
        w->started = 1;
    }
    bw_dtls__log_srv(srv, BW_DTLS_LOG_INFO,
                     "listening on %s port %u, %u worker%s", srv->bind_addr,
                     srv->port, srv->nworkers, srv->nworkers == 1 ? "" : "s");
    return 0;
}

void bw_dtls_server_stop(bw_dtls_server_t *srv)
{
    __atomic_store_n(&srv->stopping, 1, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < srv->nworkers; i++) {
        uint64_t one = 1;
        ssize_t r = write(srv->workers[i]->wake_fd, &one, sizeof one);
        (void)r;
    }
}

int bw_dtls_server_free(bw_dtls_server_t *srv)
{
    if (srv == NULL)
        return 0;
    bw_dtls_server_stop(srv);
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (srv->workers[i]->started)
            pthread_join(srv->workers[i]->thread, NULL);
    int err = 0;
    if (srv->state_file != NULL && srv->ssl_ctx != NULL)
        err = bw_dtls__persist_save(srv);
    for (unsigned i = 0; i < srv->nworkers; i++)
        worker_free(srv->workers[i]);
    free(srv->workers);
    if (srv->pool.loaded)
        bw_dtls__table_free(&srv->pool.table);
    pthread_mutex_destroy(&srv->pool.lock);
    bw_dtls__ctx_free(srv);
    free(srv->bind_addr);
    free(srv->state_file);
    free(srv);
    return err;
}

#define LOAD(w, f) __atomic_load_n(&(w)->st.f, __ATOMIC_RELAXED)

void bw_dtls_server_stats(const bw_dtls_server_t *srv, bw_dtls_stats_t *st)
{
    memset(st, 0, sizeof *st);
    for (unsigned i = 0; i < srv->nworkers; i++) {
        bw_dtls_worker_t *w = srv->workers[i];
        st->datagrams_in += LOAD(w, datagrams_in);
        st->hvr_sent += LOAD(w, hvr_sent);
        st->handshakes_started += LOAD(w, handshakes_started);
        st->handshakes_done += LOAD(w, handshakes_done);
        st->handshakes_failed += LOAD(w, handshakes_failed);
        st->handshakes_timed_out += LOAD(w, handshakes_timed_out);
        st->refused_limit += LOAD(w, refused_limit);
        st->records_in += LOAD(w, records_in);
        st->records_out += LOAD(w, records_out);
        st->dropped_auth += LOAD(w, dropped_auth);
        st->dropped_replay += LOAD(w, dropped_replay);
        st->dropped_other += LOAD(w, dropped_other);
        st->restored += LOAD(w, restored);
        st->sessions += __atomic_load_n(&w->table.count, __ATOMIC_RELAXED);
        st->handshakes += __atomic_load_n(&w->nhs, __ATOMIC_RELAXED);
    }
    /* Sessions with a handshake in progress are in the table too. */
    st->sessions -=
        st->handshakes < st->sessions ? st->handshakes : st->sessions;
}
