/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the DTLS server engine, shared by its files only.
 *
 *   dtls_server.c    configuration, sockets, threads, stats, stop
 *   dtls_worker.c    the event loop of one worker: receive, dispatch, send
 *   dtls_hs.c        handshake objects: our PSK engine (dtls_psk.c) or
 *                    OpenSSL (the SSL_CTX, SSL objects, their BIO)
 *   dtls_session.c   the compact session table of one worker
 *   dtls_persist.c   saving and restoring sessions across a restart
 *   dtls_admit.c     admission: per-address rate limit, peer addresses
 */
#ifndef BW_DTLS_INT_H
#define BW_DTLS_INT_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>

#include "dtls_hello.h"
#include "dtls_psk.h"
#include "dtls_record.h"
#include "dtls_server.h"

/*
 * A peer's address as a fixed-size key: family, port (network order as
 * received) and 16 address bytes (IPv4 in the first 4).  20 bytes instead
 * of a 128-byte sockaddr_storage in every session.
 */
typedef struct {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t zero;
    uint16_t port;
    uint8_t addr[16];
} bw_dtls_addr_t;

int bw_dtls__addr_from(bw_dtls_addr_t *a, const struct sockaddr *sa,
                       socklen_t len);
socklen_t bw_dtls__addr_to(const bw_dtls_addr_t *a,
                           struct sockaddr_storage *ss);
/* "192.0.2.1:5684" or "[2001:db8::1]:5684" */
void bw_dtls__addr_str(const bw_dtls_addr_t *a, char *buf, size_t cap);

typedef struct bw_dtls_hs bw_dtls_hs_t;

/*
 * An established (or establishing) session: everything a peer costs once
 * its handshake object is gone.  Fixed size, no pointers but hs.
 */
typedef struct {
    bw_dtls_addr_t peer;
    uint8_t alg;  /* bw_dtls_aead_t; 0 while no keys yet */
    uint8_t mode; /* bw_dtls_mode_t */
    uint8_t identity_len;
    uint8_t in_use;
    uint16_t epoch;
    uint16_t unused;
    uint32_t last_rx_s;   /* worker clock, seconds */
    uint64_t write_seq;   /* next sequence number to seal with */
    uint64_t write_limit; /* reserved up to here (what a save records) */
    bw_dtls_replay_t replay;
    bw_dtls_keys_t rx; /* client_write */
    bw_dtls_keys_t tx; /* server_write */
    bw_dtls_hs_t *hs;  /* while OpenSSL still holds the handshake */
    uint8_t identity[BW_DTLS_IDENTITY_MAX];
} bw_dtls_session_t;

/* Sequence numbers reserved at a time; a restored session starts above. */
#define BW_DTLS_SEQ_GAP (UINT64_C(1) << 20)

/* One worker's sessions: a slab of fixed-size sessions in chunks (so a
 * session never moves) and an open-addressing index keyed by address. */
#define BW_DTLS_CHUNK 1024
typedef struct {
    bw_dtls_session_t **chunks;
    uint32_t nchunks;
    uint32_t *free_ids; /* stack of free session ids */
    uint32_t nfree;
    uint32_t *slots; /* id + 1, 0 = empty; linear probing */
    uint32_t cap;    /* power of two */
    uint32_t count;
    uint64_t k0, k1; /* hash key: random per table */
} bw_dtls_table_t;

int bw_dtls__table_init(bw_dtls_table_t *t);
void bw_dtls__table_free(bw_dtls_table_t *t);
bw_dtls_session_t *bw_dtls__table_find(bw_dtls_table_t *t,
                                       const bw_dtls_addr_t *a);
/* A zeroed session for a, already indexed; NULL when out of memory. */
bw_dtls_session_t *bw_dtls__table_add(bw_dtls_table_t *t,
                                      const bw_dtls_addr_t *a);
/* Wipe and release (the caller has freed s->hs). */
void bw_dtls__table_del(bw_dtls_table_t *t, bw_dtls_session_t *s);
/* Session by slot position for sweeping: NULL if the slot is empty. */
bw_dtls_session_t *bw_dtls__table_at(bw_dtls_table_t *t, uint32_t pos);

/* Per-address admission buckets (one second windows). */
#define BW_DTLS_BUCKETS 4096
typedef struct {
    uint32_t key;
    uint32_t second;
    uint32_t count;
} bw_dtls_bucket_t;

typedef struct {
    uint64_t datagrams_in, hvr_sent, handshakes_started, handshakes_done,
        handshakes_failed, handshakes_timed_out, refused_limit, records_in,
        records_out, dropped_auth, dropped_replay, dropped_other, restored;
} bw_dtls_counters_t;

/* A job handed to a worker by another thread (bw_dtls_server_post). */
typedef struct bw_dtls_job {
    struct bw_dtls_job *next;
    void (*fn)(void *arg, bw_dtls_worker_t *w);
    void *arg;
} bw_dtls_job_t;

/* Outgoing datagrams gathered for one sendmmsg(). */
#define BW_DTLS_BATCH 32

struct bw_dtls_worker {
    bw_dtls_server_t *srv;
    unsigned index;
    int fd;
    int wake_fd;
    pthread_t thread;
    pthread_mutex_t jobs_lock;
    bw_dtls_job_t *jobs, **jobs_tail;
    int started;

    bw_dtls_aead_ctx_t *aead;
    bw_dtls_crypto_t *crypto; /* fetched once: SHA-256, HMAC */
    uint64_t ticket_counter;  /* nonces of the tickets this worker seals */
    bw_dtls_rand_pool_t rand; /* server randoms drawn ahead */
    uint8_t cookie_secret[2][BW_DTLS_COOKIE_SECRET_LEN];
    uint64_t cookie_rotated_ms;

    bw_dtls_table_t table;
    bw_dtls_hs_t **hs_list;
    uint32_t nhs;
    uint64_t hs_next_ms; /* earliest handshake timer */
    bw_dtls_bucket_t buckets[BW_DTLS_BUCKETS];
    uint32_t sweep_pos;

    uint64_t now_ms;
    uint32_t now_s;

    /* log rate limit */
    uint32_t log_second;
    uint32_t log_count[4]; /* per level */
    uint32_t log_suppressed;

    bw_dtls_counters_t st;

    /* outgoing batch */
    unsigned nout;
    uint8_t out[BW_DTLS_BATCH][BW_DTLS_DATAGRAM_MAX];
    size_t out_len[BW_DTLS_BATCH];
    struct sockaddr_storage out_addr[BW_DTLS_BATCH];
    socklen_t out_addr_len[BW_DTLS_BATCH];

    /* decrypted application data */
    uint8_t plain[BW_DTLS_DATAGRAM_MAX];
};

/* Restored sessions not yet claimed by a worker (graceful restart). */
typedef struct {
    pthread_mutex_t lock;
    bw_dtls_table_t table;
    int loaded; /* table allocated */
    int active; /* may still hold sessions: workers look here */
} bw_dtls_pool_t;

struct bw_dtls_server {
    bw_dtls_server_config_t cfg;
    char *bind_addr, *state_file;
    uint16_t port;
    SSL_CTX *ssl_ctx;
    BIO_METHOD *bio_method;
    bw_dtls_ticket_key_t ticket_key; /* our PSK handshakes' tickets */
    unsigned nworkers;
    bw_dtls_worker_t **workers;
    bw_dtls_pool_t pool;
    volatile int stopping;
};

#define BW_DTLS_STAT(w, f)                                                     \
    __atomic_store_n(&(w)->st.f, (w)->st.f + 1, __ATOMIC_RELAXED)

/* dtls_server.c */
void bw_dtls__log(bw_dtls_worker_t *w, bw_dtls_log_level_t level,
                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void bw_dtls__log_srv(const bw_dtls_server_t *srv, bw_dtls_log_level_t level,
                      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* dtls_worker.c */
void *bw_dtls__worker_main(void *arg);
/* Run (w) or drop (w NULL: fn(arg, NULL)) the jobs queued for w. */
void bw_dtls__run_jobs(bw_dtls_worker_t *w, int run);
/* Seal one record of type into w's batch for s's peer (s established).
 * Returns 0, BW_EINVAL (too long), BW_ESTATE (sequence numbers used up),
 * or bw_dtls_seal's error. */
int bw_dtls__send_record(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                         uint8_t type, const uint8_t *data, size_t len);
/* Forget s: its handshake object if any, then the session (wiped). */
void bw_dtls__drop_session(bw_dtls_worker_t *w, bw_dtls_session_t *s);
/* Queue one datagram to addr; flushed at the end of the loop turn. */
void bw_dtls__queue(bw_dtls_worker_t *w, const bw_dtls_addr_t *to,
                    const uint8_t *data, size_t len);
void bw_dtls__flush(bw_dtls_worker_t *w);

/*
 * A handshake in progress: OpenSSL's SSL object behind our BIO, or our
 * own PSK engine (own).  dtls_hs.c holds the OpenSSL side and the common
 * functions, dtls_hsown.c the glue to the engine.
 */
struct bw_dtls_hs {
    SSL *ssl; /* NULL when our engine runs it (own) */
    bw_dtls_worker_t *w;
    bw_dtls_session_t *s;
    uint32_t list_pos;
    int done;
    uint64_t deadline_ms;
    uint64_t timer_ms; /* next retransmission, or UINT64_MAX */
    uint8_t cookie[BW_DTLS_COOKIE_LEN];
    /* the datagram OpenSSL may read now */
    const uint8_t *in;
    size_t in_len;
    /* records OpenSSL wrote, not yet sent */
    uint8_t out[BW_DTLS_DATAGRAM_MAX];
    size_t out_len;
    size_t out_max;
    /* one more than the highest sequence number sent in epoch 0 and in
     * epoch 1, and received in epoch 1 */
    uint64_t epoch0_out;
    uint64_t epoch1_out;
    uint64_t epoch1_in;
    uint64_t app_seq0; /* the first number our record layer uses */
    /* why the handshake was refused, when we refused it (not OpenSSL) */
    const char *why;
    int own;           /* our PSK engine, not OpenSSL */
    bw_dtls_psk_t psk; /* its state (own only) */
};

/* dtls_hs.c */
void bw_dtls__hs_list_add(bw_dtls_worker_t *w, bw_dtls_hs_t *hs);
void bw_dtls__hs_list_del(bw_dtls_worker_t *w, bw_dtls_hs_t *hs);
void bw_dtls__hs_set_timer(bw_dtls_hs_t *hs);
/* OpenSSL's name of a PSK identity, printable (controls escaped). */
void bw_dtls__shown(const uint8_t *id, size_t len, char *out, size_t cap);

/* dtls_hsown.c: our PSK engine; contracts as bw_dtls__hs_* below. */
int bw_dtls__own_start(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                       const bw_dtls_hello_t *hello, const uint8_t *dgram,
                       size_t len);
int bw_dtls__own_input(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                       const uint8_t *dgram, size_t len);
int bw_dtls__own_timer(bw_dtls_worker_t *w, bw_dtls_session_t *s);

/* dtls_hs.c */
int bw_dtls__ctx_new(bw_dtls_server_t *srv, const char **err_msg);
void bw_dtls__ctx_free(bw_dtls_server_t *srv);
/*
 * Start a handshake for session s from a ClientHello whose cookie has been
 * checked.  Returns 0, or an error after which s->hs is NULL (the caller
 * deletes the session).
 */
int bw_dtls__hs_start(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                      const bw_dtls_hello_t *hello, const uint8_t *dgram,
                      size_t len);
/*
 * Feed a datagram to the handshake of s.  Returns 0 (more to come, or
 * done: s->alg is then set), or an error (the caller deletes s).
 */
int bw_dtls__hs_input(bw_dtls_worker_t *w, bw_dtls_session_t *s,
                      const uint8_t *dgram, size_t len);
/* Run s's retransmission timer.  Returns 0, or BW_ETIMEOUT / an error. */
int bw_dtls__hs_timer(bw_dtls_worker_t *w, bw_dtls_session_t *s);
/* Whether OpenSSL finished (keys derived, awaiting the first record). */
int bw_dtls__hs_done(const bw_dtls_hs_t *hs);
uint64_t bw_dtls__hs_deadline(const bw_dtls_hs_t *hs);
uint64_t bw_dtls__hs_next_timer(const bw_dtls_hs_t *hs);
bw_dtls_session_t *bw_dtls__hs_session(const bw_dtls_hs_t *hs);
/* Free the handshake object of s (wipes it). */
void bw_dtls__hs_free(bw_dtls_worker_t *w, bw_dtls_session_t *s);

/* dtls_admit.c */
int bw_dtls__admit(bw_dtls_worker_t *w, const bw_dtls_addr_t *a);

/* dtls_persist.c */
int bw_dtls__persist_load(bw_dtls_server_t *srv);
int bw_dtls__persist_save(bw_dtls_server_t *srv);
/* Move a restored session for a into w's table; NULL if none. */
bw_dtls_session_t *bw_dtls__persist_claim(bw_dtls_worker_t *w,
                                          const bw_dtls_addr_t *a);

#endif /* BW_DTLS_INT_H */
