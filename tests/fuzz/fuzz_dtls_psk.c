/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz our PSK handshake engine (server/dtls/dtls_psk.h) with arbitrary
 * datagrams fed into a handshake in progress.
 *
 * Input: one mode byte, then chunks of (length: 2 bytes, big endian)
 * datagram.  Mode bits:
 *   1  before the chunks, feed a valid ClientKeyExchange for device-a and
 *      a ChangeCipherSpec: the chunks then meet WAIT_FIN (epoch-1 records
 *      are opened, so most fail authentication: a clean BW_EAUTH);
 *   2  run the retransmission timer (1.5 s later) after each chunk;
 *   4  the first chunk is the ClientHello itself (parsed by
 *      bw_dtls_hello_parse, started only if it parses), instead of the
 *      built-in one with extended master secret and an empty ticket.
 * What must hold: no crash, no sanitizer report; every call returns 0 or
 * a negative code; after an error the engine is FAILED and refuses more
 * input with BW_ESTATE; every datagram the engine sends parses as
 * records of DTLS 1.2 (or is an alert).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_psk.h"

static bw_dtls_psk_t eng;
static bw_dtls_psk_env_t env;
static bw_dtls_ticket_key_t tkey = {{{1, 2, 3}, {4}}};
static uint64_t tcounter;

static int lookup(void *arg, const uint8_t *id, size_t n, uint8_t *psk,
                  size_t cap, size_t *len)
{
    (void)arg;
    if (n != 8 || memcmp(id, "device-a", 8) != 0 || cap < 16)
        return BW_ENOTFOUND;
    memset(psk, 0x42, 16);
    *len = 16;
    return 0;
}

static void sent(void *arg, const uint8_t *d, size_t n)
{
    (void)arg;
    bw_dtls_rec_t r;
    if (n == 0 || n > BW_DTLS_DATAGRAM_MAX)
        abort();
    while (n > 0) {
        if (bw_dtls_rec_next(&d, &n, &r) != 0 ||
            r.version != BW_DTLS_VERSION_12)
            abort();
    }
}

/* ClientHello: cookie of 16, our two suites and the SCSV, null
 * compression, extended_master_secret and an empty session_ticket. */
static const uint8_t
    hello[] =
        {
            22,   0xfe, 0xfd, 0,    0,    0,    0,    0,    0,  0,  1,
            0,    84, /* record
                       */
            1,    0,    0,    72,   0,    1,    0,    0,    0,  0,  0,
            72,         /* handshake
                           header */
            0xfe, 0xfd, /* client_version */
            1,    2,    3,    4,    5,    6,    7,    8,    9,  10, 11,
            12,   13,   14,   15,   16,   17,   18,   19,   20, 21, 22,
            23,   24,   25,   26,   27,   28,   29,   30,   31, 32, /* random */
            0, /* session id */
            16,   9,    9,    9,    9,    9,    9,    9,    9,  9,  9,
            9,    9,    9,    9,    9,    9,                /* cookie */
            0,    6,    0xc0, 0xa8, 0x00, 0xa8, 0x00, 0xff, /* suites */
            1,    0,                                        /* compression */
            0,    8,    0x00, 0x17, 0,    0,    0x00, 0x23, 0,  0, /* extensions
                                                                    */
};

/* ClientKeyExchange (message_seq 2) for device-a, then a CCS. */
static const uint8_t cke_ccs[] = {
    22,  0xfe, 0xfd, 0,    0, 0, 0, 0,  0, 0, 2,   0,   22,  16,  0,   0,   10,
    0,   2,    0,    0,    0, 0, 0, 10, 0, 8, 'd', 'e', 'v', 'i', 'c', 'e', '-',
    'a', 20,   0xfe, 0xfd, 0, 0, 0, 0,  0, 0, 0,   3,   0,   1,   1,
};

static void feed(const uint8_t *d, size_t n, int timer)
{
    if (eng.state == BW_DTLS_PSK_FAILED) {
        if (bw_dtls_psk_input(&eng, &env, d, n) != BW_ESTATE)
            abort();
        return;
    }
    int err = bw_dtls_psk_input(&eng, &env, d, n);
    if (err > 0 || (err != 0 && eng.state != BW_DTLS_PSK_FAILED))
        abort();
    if (timer && eng.state != BW_DTLS_PSK_FAILED) {
        env.now_ms += 1500;
        if (bw_dtls_psk_timer(&eng, &env) > 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (env.aead == NULL) {
        env.aead = bw_dtls_aead_new();
        env.crypto = bw_dtls_crypto_new();
        env.psk_lookup = lookup;
        env.ticket_key = &tkey;
        env.ticket_counter = &tcounter;
        env.send = sent;
        if (env.aead == NULL || env.crypto == NULL)
            abort();
    }
    env.now_ms = 5000;
    env.now_s = 5;
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;

    bw_dtls_hello_t h;
    const uint8_t *ch = hello;
    size_t ch_len = sizeof hello;
    if (mode & 4) {
        if (size < 2)
            return 0;
        size_t n = ((size_t)data[0] << 8) | data[1];
        if (n > size - 2)
            n = size - 2;
        ch = data + 2;
        ch_len = n;
        data += 2 + n;
        size -= 2 + n;
    }
    int builtin = !(mode & 4);
    if (bw_dtls_hello_parse(ch, ch_len, &h) != 0) {
        if (builtin)
            abort(); /* the built-in hello must parse */
        return 0;
    }
    int err = bw_dtls_psk_start(&eng, &env, &h, ch, ch_len);
    if (err > 0 || (err != 0 && eng.state != BW_DTLS_PSK_FAILED) ||
        (builtin && err != 0))
        abort();
    if (err == 0 && (mode & 1))
        feed(cke_ccs, sizeof cke_ccs, 0);
    while (size >= 2) {
        size_t n = ((size_t)data[0] << 8) | data[1];
        if (n > size - 2)
            n = size - 2;
        feed(data + 2, n, mode & 2);
        data += 2 + n;
        size -= 2 + n;
    }
    bw_dtls_psk_wipe(&eng);
    return 0;
}
