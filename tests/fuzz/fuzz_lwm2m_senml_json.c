/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz SenML decoding and the encode/decode round trip.
 *
 * The input is decoded as SenML JSON (or, when this file is included by
 * fuzz_lwm2m_senml_cbor.c with FUZZ_SENML_CBOR defined, as SenML CBOR)
 * with a type lookup derived from each path.  When it decodes, the
 * records are written in both formats, each result decoded again with the
 * same lookup, and the records compared: the writers must produce what
 * the readers accept, and nothing may be lost or changed on the way.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/lwm2m_senml.h"
#include "../lwm2m_value_eq.h"

#define FUZZ_MAXREC 64
#define FUZZ_ARENA  65536

typedef struct {
    bw_lwm2m_record_t rec[FUZZ_MAXREC];
    size_t n;
    uint8_t *arena; /* copies of string and opaque values */
    size_t used;
} fuzz_got_t;

/* A type for every path, so each typing rule is reached. */
static bw_lwm2m_type_t fuzz_type_of(void *ctx, const bw_lwm2m_path_t *p)
{
    static const bw_lwm2m_type_t types[10] = {
        BW_LWM2M_TYPE_NONE,    BW_LWM2M_TYPE_INTEGER, BW_LWM2M_TYPE_UNSIGNED,
        BW_LWM2M_TYPE_FLOAT,   BW_LWM2M_TYPE_BOOLEAN, BW_LWM2M_TYPE_STRING,
        BW_LWM2M_TYPE_OPAQUE,  BW_LWM2M_TYPE_TIME,    BW_LWM2M_TYPE_OBJLNK,
        BW_LWM2M_TYPE_CORELNK,
    };
    (void)ctx;
    return types[p->id[BW_LWM2M_RESOURCE] % 10];
}

static int fuzz_collect(void *ctx, const bw_lwm2m_record_t *r)
{
    fuzz_got_t *g = ctx;
    if (g->n == FUZZ_MAXREC)
        return 1; /* too many to compare: stop */
    g->rec[g->n] = *r;
    bw_lwm2m_type_t t = r->value.type;
    if (t == BW_LWM2M_TYPE_STRING || t == BW_LWM2M_TYPE_OPAQUE ||
        t == BW_LWM2M_TYPE_CORELNK) {
        size_t len = r->value.v.bytes.len;
        if (len > FUZZ_ARENA - g->used)
            return 1;
        if (len)
            memcpy(g->arena + g->used, r->value.v.bytes.ptr, len);
        g->rec[g->n].value.v.bytes.ptr = g->arena + g->used;
        g->used += len;
    }
    g->n++;
    return 0;
}

static int fuzz_decode(bool cbor, const uint8_t *data, size_t size,
                       fuzz_got_t *g, uint8_t *scratch, size_t cap)
{
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    bw_lwm2m_sink_t sink = {fuzz_type_of, fuzz_collect, g, scratch, cap};
    g->n = 0;
    g->used = 0;
    return cbor ? bw_lwm2m_senml_cbor_decode(data, size, &root, &sink)
                : bw_lwm2m_senml_json_decode(data, size, &root, &sink);
}
static void fuzz_compare(const fuzz_got_t *a, const fuzz_got_t *b)
{
    if (a->n != b->n)
        abort();
    for (size_t i = 0; i < a->n; i++) {
        if (!bw_lwm2m_path_equal(&a->rec[i].path, &b->rec[i].path) ||
            !bw_test_value_equal(&a->rec[i].value, &b->rec[i].value, true))
            abort();
    }
}

/* JSON cannot carry NaN or infinities; the JSON writer refuses them. */
static bool fuzz_json_able(const fuzz_got_t *g)
{
    for (size_t i = 0; i < g->n; i++) {
        const bw_lwm2m_value_t *v = &g->rec[i].value;
        if (v->type == BW_LWM2M_TYPE_FLOAT && v->v.f - v->v.f != 0)
            return false;
    }
    return true;
}

static void fuzz_round_trip(const fuzz_got_t *g, uint8_t *out, size_t cap,
                            uint8_t *scratch, size_t scap, uint8_t *arena)
{
    bw_lwm2m_path_t root = BW_LWM2M_PATH_ROOT;
    fuzz_got_t again = {.arena = arena};
    size_t len = 0;
    int err;

    bw_lwm2m_senml_cbor_writer_t cw;
    bw_lwm2m_senml_cbor_begin(&cw, out, cap, &root);
    for (size_t i = 0; i < g->n; i++)
        bw_lwm2m_senml_cbor_add(&cw, &g->rec[i]);
    if (bw_lwm2m_senml_cbor_finish(&cw, &len) != 0)
        abort();
    if ((err = fuzz_decode(true, out, len, &again, NULL, 0)) != 0)
        abort();
    fuzz_compare(g, &again);

    if (!fuzz_json_able(g))
        return;
    bw_lwm2m_senml_json_writer_t jw;
    bw_lwm2m_senml_json_begin(&jw, out, cap, &root);
    for (size_t i = 0; i < g->n; i++)
        bw_lwm2m_senml_json_add(&jw, &g->rec[i]);
    if (bw_lwm2m_senml_json_finish(&jw, &len) != 0)
        abort();
    if ((err = fuzz_decode(false, out, len, &again, scratch, scap)) != 0)
        abort();
    fuzz_compare(g, &again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_SENML_CBOR
    const bool cbor = true;
#else
    const bool cbor = false;
#endif
    size_t scap = size + 16, cap = 8 * size + 4096;
    uint8_t *scratch = malloc(scap), *out = malloc(cap);
    uint8_t *arena1 = malloc(FUZZ_ARENA), *arena2 = malloc(FUZZ_ARENA);
    fuzz_got_t g = {.arena = arena1};
    if (!scratch || !out || !arena1 || !arena2)
        abort();
    if (fuzz_decode(cbor, data, size, &g, scratch, scap) == 0)
        fuzz_round_trip(&g, out, cap, scratch, scap, arena2);
    free(scratch);
    free(out);
    free(arena1);
    free(arena2);
    return 0;
}
