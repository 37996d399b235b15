/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the DTLS record layer with whole datagrams.
 *
 * Every record bw_dtls_rec_next() splits off must lie inside the input
 * and the split must consume the datagram exactly; every record is tried
 * with bw_dtls_open() under fixed keys for both ciphers (the seed corpus
 * holds records sealed under those keys, so the authenticated path is
 * reached too) and every error must be one the contract lists; alert
 * bodies go through bw_dtls_alert_parse().  The sequence numbers drive an
 * anti-replay window that is compared, step by step, with a plain model
 * (a list of accepted numbers).
 *
 * Round trip: the first bytes of the input, sealed under both ciphers,
 * must parse as one record and open to the same bytes, and flipping one
 * input-chosen bit of the sealed record must make it fail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_record.h"

#define MODEL_MAX 512
#define ROUND_MAX 600

static const bw_dtls_keys_t fixed_keys = {{0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                                           0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
                                           0x0c, 0x0d, 0x0e, 0x0f},
                                          {0xa0, 0xa1, 0xa2, 0xa3}};

static const bw_dtls_aead_t algs[2] = {BW_DTLS_AES128_CCM8, BW_DTLS_AES128_GCM};

/* The plain model of the window: numbers accepted so far. */
typedef struct {
    uint64_t seen[MODEL_MAX];
    size_t n;
    uint64_t top;
} model_t;

static int model_check(const model_t *m, uint64_t seq)
{
    if (seq >= m->top)
        return 0;
    if (m->top - 1 - seq >= BW_DTLS_REPLAY_WINDOW)
        return BW_ESTALE;
    for (size_t i = 0; i < m->n; i++)
        if (m->seen[i] == seq)
            return BW_EREPLAY;
    return 0;
}

static void model_accept(model_t *m, uint64_t seq)
{
    if (m->n < MODEL_MAX)
        m->seen[m->n++] = seq;
    if (seq >= m->top)
        m->top = seq + 1;
}

static bw_dtls_aead_ctx_t *aead;

static void try_open(const bw_dtls_rec_t *r, uint8_t *out, size_t cap)
{
    for (int a = 0; a < 2; a++) {
        size_t ol = 1;
        int err = bw_dtls_open(aead, algs[a], &fixed_keys, r, out, cap, &ol);
        size_t tag = algs[a] == BW_DTLS_AES128_CCM8 ? 8 : 16;
        if (err == 0) {
            if (ol + 8 + tag != r->fragment_len)
                abort();
            if (r->type == BW_DTLS_CT_ALERT) {
                uint8_t level, desc;
                (void)bw_dtls_alert_parse(out, ol, &level, &desc);
            }
            continue;
        }
        if (ol != 0)
            abort();
        if (r->epoch == 0
                ? err != BW_EINVAL
                : (err != BW_EAUTH && err != BW_ETRUNC && err != BW_EOVERFLOW))
            abort();
    }
}

static void walk(const uint8_t *data, size_t size)
{
    static uint8_t out[BW_DTLS_MAX_PLAINTEXT + 2048];
    static model_t model;
    bw_dtls_replay_t w = {0, 0};
    const uint8_t *p = data;
    size_t left = size;
    bw_dtls_rec_t r;
    int err;

    memset(&model, 0, sizeof model);
    while ((err = bw_dtls_rec_next(&p, &left, &r)) == 0) {
        if (r.fragment < data || r.fragment + r.fragment_len > data + size ||
            p != r.fragment + r.fragment_len ||
            (size_t)(p - data) + left != size || r.seq > BW_DTLS_SEQ_MAX)
            abort();
        try_open(&r, out, sizeof out);
        if (r.type == BW_DTLS_CT_ALERT) {
            uint8_t level, desc;
            int e =
                bw_dtls_alert_parse(r.fragment, r.fragment_len, &level, &desc);
            if (e != 0 && e != BW_ETRUNC && e != BW_ETRAILING &&
                e != BW_EMALFORMED)
                abort();
            if (e == 0 && level != 1 && level != 2)
                abort();
        }
        if (model.n == MODEL_MAX)
            continue; /* the model is full: stop comparing */
        int got = bw_dtls_replay_check(&w, r.seq);
        if (got != model_check(&model, r.seq))
            abort();
        if (got == 0) {
            bw_dtls_replay_update(&w, r.seq);
            model_accept(&model, r.seq);
            if (bw_dtls_replay_check(&w, r.seq) != BW_EREPLAY)
                abort();
        }
        if (w.top != model.top)
            abort();
    }
    if (err != BW_ETRUNC && err != BW_EVERSION && err != BW_EMALFORMED)
        abort();
    if (left == 0 && err != BW_ETRUNC)
        abort();
}

static void round_trip(const uint8_t *data, size_t size)
{
    static uint8_t rec[ROUND_MAX + 64], out[ROUND_MAX];
    if (size < 4)
        return;
    size_t n = size - 4 < ROUND_MAX ? size - 4 : ROUND_MAX;
    uint8_t type = (uint8_t)(20 + data[0] % 4);
    uint16_t epoch = (uint16_t)(1 + data[1]);
    uint64_t seq = (uint64_t)data[2] << 40 | data[3];
    const uint8_t *plain = data + 4;

    for (int a = 0; a < 2; a++) {
        size_t rl = 0, ol = 0, left;
        const uint8_t *p = rec;
        bw_dtls_rec_t r;
        if (bw_dtls_seal(aead, algs[a], &fixed_keys, type, epoch, seq, plain, n,
                         rec, sizeof rec, &rl) != 0 ||
            rl != n + bw_dtls_overhead(algs[a]))
            abort();
        left = rl;
        if (bw_dtls_rec_next(&p, &left, &r) != 0 || left != 0 ||
            r.type != type || r.epoch != epoch || r.seq != seq)
            abort();
        if (bw_dtls_open(aead, algs[a], &fixed_keys, &r, out, sizeof out,
                         &ol) != 0 ||
            ol != n || (n > 0 && memcmp(out, plain, n) != 0))
            abort();
        /* One bit of the protected part, chosen by the input. */
        size_t bit = ((size_t)data[1] << 8 | data[2]) % ((rl - 13) * 8);
        rec[13 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (bw_dtls_open(aead, algs[a], &fixed_keys, &r, out, sizeof out,
                         &ol) != BW_EAUTH ||
            ol != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (aead == NULL && (aead = bw_dtls_aead_new()) == NULL)
        abort();
    walk(data, size);
    round_trip(data, size);
    return 0;
}
