/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OMA TLV decoder, and the writer behind it.
 *
 * Input: byte 0 picks the base path depth (1..4) and seeds the types the
 * lookup hands out; the rest is the payload.  Whatever decodes is written
 * back with the TLV writer (when the records are in the order the writer
 * requires) and decoded again: both decodes MUST give the same records,
 * and the writer MUST never fail for a reason other than order or room.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m.h"
#include "../lwm2m_value_eq.h"

/* Records kept for the comparison; more are decoded but not compared. */
#define FUZZ_MAX_RECS 256

typedef struct {
    uint8_t seed;
    size_t n;
    bool overflow;
    bw_lwm2m_record_t rec[FUZZ_MAX_RECS];
} fuzz_ctx_t;

static bw_lwm2m_type_t type_of(void *ctx, const bw_lwm2m_path_t *p)
{
    const fuzz_ctx_t *c = ctx;
    /* Vary the type with the resource id and the seed; 0 is NONE. */
    return (bw_lwm2m_type_t)((p->id[2] + c->seed) % 10);
}

static int on_record(void *ctx, const bw_lwm2m_record_t *rec)
{
    fuzz_ctx_t *c = ctx;
    if (bw_lwm2m_path_check(&rec->path) != 0 ||
        rec->path.depth < BW_LWM2M_DEPTH_INSTANCE)
        abort(); /* the decoder must only emit sound paths */
    if (c->n == FUZZ_MAX_RECS) {
        c->overflow = true;
        return 0;
    }
    c->rec[c->n++] = *rec;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const bw_lwm2m_path_t bases[4] = {
        BW_LWM2M_PATH_OBJ(3), BW_LWM2M_PATH_INST(3, 0),
        BW_LWM2M_PATH_RES(3, 0, 7), BW_LWM2M_PATH_RI(3, 0, 7, 1)};
    const bw_lwm2m_path_t *base = &bases[data[0] & 3];

    static fuzz_ctx_t first, second; /* large; the harness is not re-entrant */
    memset(&first, 0, sizeof first);
    first.seed = (uint8_t)(data[0] >> 2);
    bw_lwm2m_sink_t sink = {type_of, on_record, &first, NULL, 0};
    int err = bw_lwm2m_tlv_decode(data + 1, size - 1, base, &sink);
    if (err != 0 || first.overflow)
        return 0;

    /* Re-encoding uses the shortest forms, so only a NaN read from four
     * bytes grows (to eight): twice the input plus the container slack
     * always fits. */
    static uint8_t out[2 * 65536 + BW_LWM2M_TLV_SLACK];
    if (size - 1 > 65536)
        return 0;
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_tlv_begin(&w, out, sizeof out, base);
    for (size_t i = 0; i < first.n; i++)
        bw_lwm2m_tlv_add(&w, &first.rec[i]);
    size_t len;
    err = bw_lwm2m_tlv_finish(&w, &len);
    if (err == BW_EORDER)
        return 0; /* the payload listed records out of path order */
    if (err != 0)
        abort();

    memset(&second, 0, sizeof second);
    second.seed = first.seed;
    sink.ctx = &second;
    if (bw_lwm2m_tlv_decode(out, len, base, &sink) != 0)
        abort();
    if (second.n != first.n)
        abort();
    for (size_t i = 0; i < first.n; i++) {
        if (!bw_lwm2m_path_equal(&first.rec[i].path, &second.rec[i].path))
            abort();
        if (!bw_test_value_equal(&first.rec[i].value, &second.rec[i].value,
                                 false))
            abort();
    }
    return 0;
}
