/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One worker's event loop.
 *
 * Each turn: wait on the socket (and the wake-up eventfd) until the next
 * timer, take up to BW_DTLS_BATCH datagrams with one recvmmsg(), dispatch
 * each, run the handshake timers that are due, let the application tick,
 * sweep a few table slots for idle sessions, and send everything queued
 * with one sendmmsg().
 *
 * Dispatch of a datagram, by what we hold for its source address:
 *   nothing          ClientHello: cookie exchange, then admission, then a
 *                    handshake object; anything else is dropped.
 *   a handshake      everything goes to OpenSSL until it completes.
 *   a session        application and alert records are opened here; a new
 *                    ClientHello starts the cookie exchange again (the
 *                    client lost its state); handshake records go to the
 *                    handshake object while it is still kept.
 * Records that fail any check are dropped silently (RFC 6347 4.1.2.7) and
 * counted; they never change the session.
 */
#include <errno.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dtls_int.h"

/* Cookie secrets are replaced this often; the previous one stays valid. */
#define COOKIE_ROTATE_MS (10u * 60u * 1000u)
/* Table slots checked for idle sessions per loop turn. */
#define SWEEP_PER_TURN 256

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void bw_dtls__queue(bw_dtls_worker_t *w, const bw_dtls_addr_t *to,
                    const uint8_t *data, size_t len)
{
    if (len > BW_DTLS_DATAGRAM_MAX)
        return;
    if (w->nout == BW_DTLS_BATCH)
        bw_dtls__flush(w);
    unsigned i = w->nout++;
    memcpy(w->out[i], data, len);
    w->out_len[i] = len;
    w->out_addr_len[i] = bw_dtls__addr_to(to, &w->out_addr[i]);
}

void bw_dtls__flush(bw_dtls_worker_t *w)
{
    struct mmsghdr msgs[BW_DTLS_BATCH];
    struct iovec iov[BW_DTLS_BATCH];
    unsigned n = w->nout;
    memset(msgs, 0, sizeof msgs[0] * n);
    for (unsigned i = 0; i < n; i++) {
        iov[i].iov_base = w->out[i];
        iov[i].iov_len = w->out_len[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &w->out_addr[i];
        msgs[i].msg_hdr.msg_namelen = w->out_addr_len[i];
    }
    unsigned done = 0;
    while (done < n) {
        int r = sendmmsg(w->fd, msgs + done, n - done, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            /* A full socket buffer or an unreachable peer: UDP is lossy,
             * the protocols above retransmit. */
            break;
        }
        done += (unsigned)r;
    }
    w->nout = 0;
}

static void send_hvr(bw_dtls_worker_t *w, const bw_dtls_addr_t *a,
                     const bw_dtls_hello_t *h)
{
    uint8_t cookie[BW_DTLS_COOKIE_LEN], out[128];
    size_t len;
    if (bw_dtls_cookie_make(w->cookie_secret[0], a, sizeof *a, h, cookie) !=
            0 ||
        bw_dtls_hvr_build(h, cookie, out, sizeof out, &len) != 0)
        return;
    bw_dtls__queue(w, a, out, len);
    BW_DTLS_STAT(w, hvr_sent);
}

void bw_dtls__drop_session(bw_dtls_worker_t *w, bw_dtls_session_t *s)
{
    bw_dtls__hs_free(w, s);
    bw_dtls__table_del(&w->table, s);
}

/* A ClientHello from an address with no handshake in progress. */
static void hello(bw_dtls_worker_t *w, const bw_dtls_addr_t *a,
                  bw_dtls_session_t *old, const uint8_t *data, size_t len)
{
    bw_dtls_hello_t h;
    char who[64];
    int err = bw_dtls_hello_parse(data, len, &h);
    if (err != 0) {
        BW_DTLS_STAT(w, dropped_other);
        if (w->srv->cfg.log_level >= BW_DTLS_LOG_DEBUG) {
            bw_dtls__addr_str(a, who, sizeof who);
            bw_dtls__log(w, BW_DTLS_LOG_DEBUG, "%s: dropped %zu bytes: %s", who,
                         len, bw_strerror(err));
        }
        return;
    }
    if (h.cookie_len != BW_DTLS_COOKIE_LEN ||
        bw_dtls_cookie_check(w->cookie_secret[0], w->cookie_secret[1], a,
                             sizeof *a, &h) != 0) {
        send_hvr(w, a, &h);
        return;
    }
    if (bw_dtls__admit(w, a) != 0) {
        BW_DTLS_STAT(w, refused_limit);
        bw_dtls__addr_str(a, who, sizeof who);
        bw_dtls__log(w, BW_DTLS_LOG_WARN,
                     "%s: handshake refused: %u in progress, limit %u/s per "
                     "address",
                     who, w->nhs, w->srv->cfg.handshakes_per_addr);
        return;
    }
    /* The client proved it receives at this address and starts over: the
     * old association is of no more use to it (RFC 6347 4.2.8). */
    if (old != NULL)
        bw_dtls__drop_session(w, old);
    bw_dtls_session_t *s = bw_dtls__table_add(&w->table, a);
    if (s == NULL) {
        bw_dtls__log(w, BW_DTLS_LOG_ERROR, "session table: out of memory");
        return;
    }
    if (bw_dtls__hs_start(w, s, &h, data, len) != 0)
        bw_dtls__table_del(&w->table, s);
}

static void deliver(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                    const uint8_t *data, size_t len)
{
    const bw_dtls_server_config_t *cfg = &w->srv->cfg;
    if (cfg->on_data == NULL)
        return;
    struct sockaddr_storage ss;
    bw_dtls_peer_info_t info = {
        .addr = (const struct sockaddr *)&ss,
        .addr_len = bw_dtls__addr_to(&s->peer, &ss),
        .mode = (bw_dtls_mode_t)s->mode,
        .identity = s->identity,
        .identity_len = s->identity_len,
    };
    cfg->on_data(cfg->arg, w, &info, data, len);
}

/* Application and alert records of an established session. */
static void records(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                    const uint8_t *data, size_t len)
{
    while (len > 0) {
        bw_dtls_rec_t rec;
        if (bw_dtls_rec_next(&data, &len, &rec) != 0) {
            BW_DTLS_STAT(w, dropped_other);
            return;
        }
        if (s->alg == 0 || rec.epoch != s->epoch ||
            (rec.type != BW_DTLS_CT_APPDATA && rec.type != BW_DTLS_CT_ALERT)) {
            BW_DTLS_STAT(w, dropped_other);
            continue;
        }
        if (bw_dtls_replay_check(&s->replay, rec.seq) != 0) {
            BW_DTLS_STAT(w, dropped_replay);
            continue;
        }
        size_t n;
        if (bw_dtls_open(w->aead, (bw_dtls_aead_t)s->alg, &s->rx, &rec,
                         w->plain, sizeof w->plain, &n) != 0) {
            BW_DTLS_STAT(w, dropped_auth);
            continue;
        }
        bw_dtls_replay_update(&s->replay, rec.seq);
        s->last_rx_s = w->now_s;
        /* An authentic record under the new keys: the client has our
         * Finished, OpenSSL's part is over. */
        if (s->hs != NULL)
            bw_dtls__hs_free(w, s);
        if (rec.type == BW_DTLS_CT_ALERT) {
            uint8_t level, desc;
            if (bw_dtls_alert_parse(w->plain, n, &level, &desc) == 0 &&
                (desc == BW_DTLS_ALERT_CLOSE_NOTIFY ||
                 level == BW_DTLS_ALERT_FATAL)) {
                char who[64];
                bw_dtls__addr_str(&s->peer, who, sizeof who);
                bw_dtls__log(w, BW_DTLS_LOG_INFO,
                             "%s: closed by peer (alert %u)", who, desc);
                bw_dtls__drop_session(w, s);
                return;
            }
            continue;
        }
        BW_DTLS_STAT(w, records_in);
        deliver(w, s, w->plain, n);
    }
}

static int is_client_hello(const uint8_t *data, size_t len)
{
    /* type handshake, epoch 0, handshake type client_hello */
    return len > BW_DTLS_HDR_LEN && data[0] == BW_DTLS_CT_HANDSHAKE &&
           data[3] == 0 && data[4] == 0 && data[BW_DTLS_HDR_LEN] == 1;
}

static void datagram(bw_dtls_worker_t *w, const struct sockaddr *sa,
                     socklen_t salen, const uint8_t *data, size_t len)
{
    bw_dtls_addr_t a;
    BW_DTLS_STAT(w, datagrams_in);
    if (bw_dtls__addr_from(&a, sa, salen) != 0)
        return;
    bw_dtls_session_t *s = bw_dtls__table_find(&w->table, &a);
    if (s == NULL)
        s = bw_dtls__persist_claim(w, &a);
    if (s == NULL) {
        hello(w, &a, NULL, data, len);
        return;
    }
    if (s->hs != NULL && !bw_dtls__hs_done(s->hs)) {
        /* Including a retransmitted ClientHello: OpenSSL answers it. */
        if (bw_dtls__hs_input(w, s, data, len) != 0)
            bw_dtls__table_del(&w->table, s);
        return;
    }
    if (is_client_hello(data, len)) {
        hello(w, &a, s, data, len);
        return;
    }
    if (len >= BW_DTLS_HDR_LEN && s->hs != NULL &&
        (data[0] == BW_DTLS_CT_HANDSHAKE || data[0] == BW_DTLS_CT_CCS)) {
        if (bw_dtls__hs_input(w, s, data, len) != 0)
            bw_dtls__table_del(&w->table, s);
        return;
    }
    records(w, s, data, len);
}

static void run_timers(bw_dtls_worker_t *w)
{
    if (w->now_ms < w->hs_next_ms)
        return;
    w->hs_next_ms = UINT64_MAX;
    for (uint32_t i = 0; i < w->nhs;) {
        bw_dtls_hs_t *hs = w->hs_list[i];
        bw_dtls_session_t *s = bw_dtls__hs_session(hs);
        if (bw_dtls__hs_timer(w, s) == 0) {
            uint64_t next = bw_dtls__hs_next_timer(hs);
            if (next < w->hs_next_ms)
                w->hs_next_ms = next;
            i++;
            continue;
        }
        /* hs_free() moves the last handshake into slot i: do not advance. */
        if (bw_dtls__hs_done(hs)) {
            /* The keys are good; only the proof of our Finished never
             * came.  Keep the compact session. */
            bw_dtls__hs_free(w, s);
            continue;
        }
        char who[64];
        bw_dtls__addr_str(&s->peer, who, sizeof who);
        bw_dtls__log(w, BW_DTLS_LOG_WARN, "%s: handshake timed out", who);
        BW_DTLS_STAT(w, handshakes_timed_out);
        bw_dtls__drop_session(w, s);
    }
}

static void sweep(bw_dtls_worker_t *w)
{
    uint32_t idle = w->srv->cfg.idle_timeout_s;
    for (unsigned k = 0; k < SWEEP_PER_TURN; k++) {
        bw_dtls_session_t *s = bw_dtls__table_at(&w->table, w->sweep_pos++);
        if (s != NULL && s->hs == NULL && w->now_s - s->last_rx_s > idle)
            bw_dtls__table_del(&w->table, s);
    }
}

static void tick_clock(bw_dtls_worker_t *w)
{
    w->now_ms = now_ms();
    w->now_s = (uint32_t)(w->now_ms / 1000u);
    if (w->now_ms - w->cookie_rotated_ms >= COOKIE_ROTATE_MS) {
        memcpy(w->cookie_secret[1], w->cookie_secret[0],
               BW_DTLS_COOKIE_SECRET_LEN);
        if (RAND_bytes(w->cookie_secret[0], BW_DTLS_COOKIE_SECRET_LEN) == 1)
            w->cookie_rotated_ms = w->now_ms;
    }
}

void *bw_dtls__worker_main(void *arg)
{
    bw_dtls_worker_t *w = arg;
    bw_dtls_server_t *srv = w->srv;
    static __thread uint8_t bufs[BW_DTLS_BATCH][BW_DTLS_DATAGRAM_MAX + 1];
    struct sockaddr_storage addrs[BW_DTLS_BATCH];
    struct mmsghdr msgs[BW_DTLS_BATCH];
    struct iovec iov[BW_DTLS_BATCH];
    uint64_t app_next = 0;

    tick_clock(w);
    w->cookie_rotated_ms = w->now_ms;
    while (!__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE)) {
        tick_clock(w);
        uint64_t due = w->hs_next_ms < app_next ? w->hs_next_ms : app_next;
        uint64_t wait = due <= w->now_ms ? 0 : due - w->now_ms;
        if (wait > 1000)
            wait = 1000; /* the idle sweep and cookie rotation */
        struct pollfd pfd[2] = {{.fd = w->fd, .events = POLLIN},
                                {.fd = w->wake_fd, .events = POLLIN}};
        int pr = poll(pfd, 2, (int)wait);
        if (pr < 0 && errno != EINTR)
            break;
        tick_clock(w);
        if (pr > 0 && (pfd[0].revents & POLLIN)) {
            for (unsigned i = 0; i < BW_DTLS_BATCH; i++) {
                iov[i].iov_base = bufs[i];
                iov[i].iov_len = sizeof bufs[i];
                memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
                msgs[i].msg_hdr.msg_name = &addrs[i];
                msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
            }
            int n = recvmmsg(w->fd, msgs, BW_DTLS_BATCH, MSG_DONTWAIT, NULL);
            for (int i = 0; i < n; i++) {
                size_t len = msgs[i].msg_len;
                if (len > BW_DTLS_DATAGRAM_MAX ||
                    (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
                    BW_DTLS_STAT(w, dropped_other);
                    continue;
                }
                datagram(w, (const struct sockaddr *)&addrs[i],
                         msgs[i].msg_hdr.msg_namelen, bufs[i], len);
            }
        }
        if (pr > 0 && (pfd[1].revents & POLLIN)) {
            uint64_t count;
            ssize_t r = read(w->wake_fd, &count, sizeof count);
            (void)r;
            bw_dtls__run_jobs(w, 1);
        }
        run_timers(w);
        if (srv->cfg.on_tick != NULL && w->now_ms >= app_next)
            app_next = srv->cfg.on_tick(srv->cfg.arg, w, w->now_ms);
        else if (srv->cfg.on_tick == NULL)
            app_next = UINT64_MAX;
        sweep(w);
        bw_dtls__flush(w);
    }
    return NULL;
}

int bw_dtls_send(bw_dtls_worker_t *w, const struct sockaddr *addr,
                 socklen_t addr_len, const uint8_t *data, size_t len)
{
    bw_dtls_addr_t a;
    if (bw_dtls__addr_from(&a, addr, addr_len) != 0)
        return BW_EINVAL;
    bw_dtls_session_t *s = bw_dtls__table_find(&w->table, &a);
    if (s == NULL || s->alg == 0)
        return BW_ENOTFOUND;
    return bw_dtls__send_record(w, s, BW_DTLS_CT_APPDATA, data, len);
}

int bw_dtls__send_record(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                         uint8_t type, const uint8_t *data, size_t len)
{
    size_t over = bw_dtls_overhead((bw_dtls_aead_t)s->alg);
    if (len + over > BW_DTLS_DATAGRAM_MAX)
        return BW_EINVAL;
    if (s->write_seq > BW_DTLS_SEQ_MAX)
        return BW_ESTATE; /* 2^48 records: the session must be renewed */
    if (w->nout == BW_DTLS_BATCH)
        bw_dtls__flush(w);
    unsigned i = w->nout;
    size_t n;
    int err = bw_dtls_seal(w->aead, (bw_dtls_aead_t)s->alg, &s->tx, type,
                           s->epoch, s->write_seq, data, len, w->out[i],
                           sizeof w->out[i], &n);
    if (err != 0)
        return err;
    /* Never seal twice with one number, whatever happens next. */
    s->write_seq++;
    if (s->write_seq >= s->write_limit)
        s->write_limit = s->write_seq + BW_DTLS_SEQ_GAP;
    w->out_len[i] = n;
    w->out_addr_len[i] = bw_dtls__addr_to(&s->peer, &w->out_addr[i]);
    w->nout++;
    BW_DTLS_STAT(w, records_out);
    return 0;
}

void bw_dtls__run_jobs(bw_dtls_worker_t *w, int run)
{
    pthread_mutex_lock(&w->jobs_lock);
    bw_dtls_job_t *job = w->jobs;
    w->jobs = NULL;
    w->jobs_tail = &w->jobs;
    pthread_mutex_unlock(&w->jobs_lock);
    while (job != NULL) {
        bw_dtls_job_t *next = job->next;
        job->fn(job->arg, run ? w : NULL);
        free(job);
        job = next;
    }
}

unsigned bw_dtls_worker_index(const bw_dtls_worker_t *w)
{
    return w->index;
}
