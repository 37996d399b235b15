/* SPDX-License-Identifier: Apache-2.0 */
/*
 * coaps:// for the demo server: the same resources behind the DTLS server
 * engine (server/dtls) instead of a plain socket.
 *
 * The engine runs one worker thread here, and every demo callback runs on
 * it, so demo_t needs no lock; the main thread only waits for a signal.
 * PSKs come from a file (--psk-file, one "identity hex-key" per line),
 * never from the command line, where any local user could read them.
 */
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "dtls_server.h"

#define MAX_PSKS    64
#define MAX_PSK_LEN 64

typedef struct {
    char identity[BW_DTLS_IDENTITY_MAX + 1];
    uint8_t key[MAX_PSK_LEN];
    size_t key_len;
} psk_entry_t;

/* The DTLS side of one demo server; demo_t.dtls points here. */
typedef struct {
    demo_t *d;
    bw_dtls_worker_t *current; /* the worker running the callback */
    psk_entry_t psks[MAX_PSKS];
    size_t npsks;
} demo_dtls_t;

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int load_psks(demo_dtls_t *x, const char *path)
{
    psk_entry_t *psks = x->psks;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "bulwark-coap-demo: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *id = strtok(line, " \t\r\n");
        char *hex = id != NULL ? strtok(NULL, " \t\r\n") : NULL;
        if (id == NULL || id[0] == '#')
            continue;
        size_t hl = hex != NULL ? strlen(hex) : 0;
        psk_entry_t *e = &psks[x->npsks];
        if (x->npsks == MAX_PSKS || hl == 0 || hl % 2 != 0 ||
            hl / 2 > MAX_PSK_LEN || strlen(id) > BW_DTLS_IDENTITY_MAX) {
            fprintf(stderr,
                    "bulwark-coap-demo: %s:%d: want 'identity hexkey' "
                    "(key up to %d bytes, %d entries)\n",
                    path, lineno, MAX_PSK_LEN, MAX_PSKS);
            rc = -1;
            break;
        }
        for (size_t i = 0; i < hl / 2; i++) {
            int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                fprintf(stderr, "bulwark-coap-demo: %s:%d: key is not hex\n",
                        path, lineno);
                rc = -1;
                break;
            }
            e->key[i] = (uint8_t)(hi << 4 | lo);
        }
        strcpy(e->identity, id);
        e->key_len = hl / 2;
        x->npsks++;
    }
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    if (rc == 0 && x->npsks == 0) {
        fprintf(stderr, "bulwark-coap-demo: %s: no PSK in it\n", path);
        rc = -1;
    }
    return rc;
}

static int psk_lookup(void *arg, const uint8_t *identity, size_t len,
                      uint8_t *psk, size_t cap, size_t *psk_len)
{
    const demo_dtls_t *x = arg;
    const psk_entry_t *psks = x->psks;
    for (size_t i = 0; i < x->npsks; i++) {
        if (strlen(psks[i].identity) == len &&
            memcmp(psks[i].identity, identity, len) == 0) {
            if (psks[i].key_len > cap)
                return BW_ENOSPC;
            memcpy(psk, psks[i].key, psks[i].key_len);
            *psk_len = psks[i].key_len;
            return 0;
        }
    }
    return BW_ENOTFOUND;
}

static void on_data(void *arg, bw_dtls_worker_t *w,
                    const bw_dtls_peer_info_t *peer, const uint8_t *data,
                    size_t len)
{
    demo_dtls_t *x = arg;
    x->current = w;
    bw_coap_peer_t p;
    memset(&p, 0, sizeof p);
    size_t n = peer->addr_len < sizeof p.addr ? peer->addr_len : sizeof p.addr;
    memcpy(p.addr, peer->addr, n);
    p.len = (uint8_t)n;
    demo_handle_datagram(x->d, &p, data, len);
}

static uint64_t on_tick(void *arg, bw_dtls_worker_t *w, uint64_t now)
{
    demo_dtls_t *x = arg;
    (void)now;
    x->current = w;
    return demo_run_timers(x->d);
}

void demo_dtls_transmit(demo_t *d, const bw_coap_peer_t *peer,
                        const uint8_t *buf, size_t len)
{
    demo_dtls_t *x = d->dtls;
    if (x->current == NULL)
        return;
    int err = bw_dtls_send(x->current, (const struct sockaddr *)peer->addr,
                           peer->len, buf, len);
    if (err != 0)
        demo_log(d, "send: %s", bw_strerror(err));
}

static void log_line(void *arg, bw_dtls_log_level_t level, const char *msg)
{
    const demo_dtls_t *x = arg;
    (void)level;
    demo_log(x->d, "%s", msg);
}

int demo_dtls_serve(demo_t *d, const demo_dtls_opts_t *o)
{
    demo_dtls_t *x = calloc(1, sizeof *x);
    if (x == NULL)
        return 1;
    x->d = d;
    d->dtls = x;
    if (o->psk_file != NULL && load_psks(x, o->psk_file) != 0) {
        free(x);
        return 1;
    }
    bw_dtls_server_config_t cfg = {
        .bind_addr = o->bind_addr,
        .port = o->port,
        .workers = 1,
        .psk_lookup = x->npsks > 0 ? psk_lookup : NULL,
        .cert_file = o->cert,
        .key_file = o->key,
        .ca_file = o->ca,
        .crl_file = o->crl,
        .on_data = on_data,
        .on_tick = on_tick,
        .log = log_line,
        .arg = x,
        .log_level = d->quiet   ? BW_DTLS_LOG_ERROR
                     : o->debug ? BW_DTLS_LOG_DEBUG
                                : BW_DTLS_LOG_INFO,
        .state_file = o->state_file,
        .handshakes_per_addr = o->handshakes_per_addr,
        .handshake_timeout_ms = o->handshake_timeout_ms,
    };
    bw_dtls_server_t *srv;
    const char *why;
    int err = bw_dtls_server_new(&cfg, &srv, &why);
    if (err != 0) {
        fprintf(stderr, "bulwark-coap-demo: DTLS: %s (%s)\n", why,
                bw_strerror(err));
        OPENSSL_cleanse(x, sizeof *x);
        free(x);
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked before the worker starts, so it inherits the mask and the
     * signals wait for sigwait() below. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (demo_write_ready(d, bw_dtls_server_port(srv)) != 0 ||
        bw_dtls_server_start(srv) != 0) {
        bw_dtls_server_free(srv);
        OPENSSL_cleanse(x, sizeof *x);
        free(x);
        return 1;
    }
    demo_log(d, "listening on %s:%u (coaps)", o->bind_addr,
             bw_dtls_server_port(srv));
    int sig;
    sigwait(&set, &sig);
    demo_log(d, "signal %d: stopping", sig);
    bw_dtls_stats_t st;
    bw_dtls_server_stats(srv, &st);
    err = bw_dtls_server_free(srv);
    demo_log(
        d,
        "handshakes %llu done, %llu failed, %llu timed out, %llu refused; "
        "records %llu in, %llu out; dropped %llu auth, %llu replay, "
        "%llu other",
        (unsigned long long)st.handshakes_done,
        (unsigned long long)st.handshakes_failed,
        (unsigned long long)st.handshakes_timed_out,
        (unsigned long long)st.refused_limit, (unsigned long long)st.records_in,
        (unsigned long long)st.records_out, (unsigned long long)st.dropped_auth,
        (unsigned long long)st.dropped_replay,
        (unsigned long long)st.dropped_other);
    OPENSSL_cleanse(x, sizeof *x);
    free(x);
    d->dtls = NULL;
    return err == 0 ? 0 : 1;
}
