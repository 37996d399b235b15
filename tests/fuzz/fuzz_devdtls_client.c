/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DTLS client (device/dtls) against a "server" that answers with the
 * fuzzer's datagrams.  Input: a sequence of [u16 big-endian length][bytes]
 * datagrams, delivered one per poll; when none is left the fake clock
 * jumps to the client's next deadline until the handshake ends.
 *
 * Must hold: no crash or sanitizer report, the handshake ends (success or
 * one of the documented codes) within the retransmission budget, and a
 * failure is sticky.  Credentials come from a small in-memory key store;
 * entropy is a fixed counter so runs are reproducible.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *in;
    size_t left;
} feed_t;

static int feed_send(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return 0;
}

static int feed_recv(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    feed_t *f = ctx;
    size_t n;

    *len = 0;
    if (f->left < 2)
        return BW_EAGAIN;
    n = ((size_t)f->in[0] << 8) | f->in[1];
    f->in += 2;
    f->left -= 2;
    if (n > f->left)
        n = f->left;
    f->in += n;
    f->left -= n;
    if (n > cap)
        return BW_ENOSPC;
    memcpy(buf, f->in - n, n);
    *len = n;
    return 0;
}

static const bw_dgram_ops_t feed_ops = {feed_send, feed_recv};

static int ks_get(void *ctx, const char *name, uint8_t *buf, size_t cap,
                  size_t *len)
{
    static const uint8_t psk[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                    9, 10, 11, 12, 13, 14, 15, 16};
    static const char id[] = "fuzz-endpoint";
    const void *src =
        strcmp(name, BW_KEY_DM_PSK) == 0 ? (const void *)psk : (const void *)id;
    size_t n = strcmp(name, BW_KEY_DM_PSK) == 0 ? sizeof psk : sizeof id - 1;

    (void)ctx;
    *len = n;
    if (n > cap)
        return BW_ENOSPC;
    memcpy(buf, src, n);
    return 0;
}

static const bw_keystore_ops_t ks_ops = {ks_get, NULL, NULL};

static int counter_entropy(void *ctx, uint8_t *buf, size_t len)
{
    uint8_t *ctr = ctx;
    size_t i;
    for (i = 0; i < len; i++)
        buf[i] = (*ctr)++;
    return 0;
}

static int documented(int rc)
{
    return rc == 0 || rc == BW_EHANDSHAKE || rc == BW_EAUTH || rc == BW_ECERT ||
           rc == BW_ETIMEOUT || rc == BW_ECLOSED || rc == BW_ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bw_dtls_client_t c; /* large; reused across runs */
    feed_t feed = {data, size};
    uint8_t ctr = 0;
    bw_dtls_client_config_t cfg = {.mode = BW_DTLS_MODE_PSK,
                                   .server = BW_DTLS_SERVER_DM,
                                   .hs_timeout_min_ms = 1000,
                                   .hs_timeout_max_ms = 4000};
    bw_dgram_t dg = {&feed_ops, &feed};
    bw_keystore_t ks = {&ks_ops, NULL};
    bw_dtls_entropy_t rng = {counter_entropy, &ctr};
    bw_transport_t *t;
    uint32_t now = 0;
    uint32_t next = 0;
    uint8_t buf[64];
    size_t len;
    int rc;
    int i;

    if (bw_dtls_client_init(&c, &cfg, dg, ks, rng) != 0)
        abort();
    t = bw_dtls_client_transport(&c);
    rc = bw_transport_connect(t, now);
    /* 1+2+4 s of retransmissions, then the 4 s cap: few polls without
     * input; each datagram costs one poll. */
    for (i = 0; rc == BW_EAGAIN && i < 10000; i++) {
        rc = bw_transport_poll(t, now, &next);
        if (rc == BW_EAGAIN && feed.left < 2) {
            if (next == BW_TRANSPORT_NEVER)
                abort(); /* waiting for nothing: would hang a device */
            now = next;
        }
    }
    if (rc == BW_EAGAIN || !documented(rc))
        abort();
    if (rc != 0) {
        if (bw_transport_poll(t, now, &next) != rc ||
            bw_transport_send(t, buf, 1, now) != rc ||
            bw_dtls_client_reason(&c)[0] == '\0')
            abort();
    } else {
        (void)bw_transport_recv(t, buf, sizeof buf, &len, now);
        (void)bw_transport_send(t, buf, 8, now);
    }
    bw_transport_close(t);
    bw_dtls_client_free(&c);
    return 0;
}
