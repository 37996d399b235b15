/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collecting and comparing the records an LwM2M decoder delivers, for
 * the format tests (tests/unit/test_lwm2m_*.c).  A decoder hands each
 * record to a callback with views into its input or its scratch buffer;
 * the collectors here copy the bytes of string-like values, so the
 * records stay valid after the decoder returns and can be compared with
 * an expected table or with the records of another decoding.
 * Test code only.
 */
#ifndef BW_TEST_LWM2M_RECORDS_H
#define BW_TEST_LWM2M_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/lwm2m.h"
#include "bulwark/lwm2m_senml.h"
#include "testutil.h"

/* Records one test payload holds at most (the Device object has 16). */
#define BW_RECS_MAX 32

/* Longest string, opaque or link value copied (the examples' are short). */
#define BW_RECS_BYTES_MAX 64

/* Decoded records, with copies of their bytes. */
typedef struct {
    bw_lwm2m_record_t rec[BW_RECS_MAX];
    uint8_t bytes[BW_RECS_MAX][BW_RECS_BYTES_MAX]; /* views die with the
                                                      callback: copies */
    size_t n;
    int answer; /* what bw_recs_collect() returns */
} bw_recs_t;

/*
 * bw_lwm2m_sink_t record callback; ctx is a bw_recs_t (zero it first).
 * Appends a copy of r, fails the test past BW_RECS_MAX records or
 * BW_RECS_BYTES_MAX value bytes, and returns ctx's answer.
 */
int bw_recs_collect(void *ctx, const bw_lwm2m_record_t *r);

/*
 * bw_lwm2m_sink_t type callback for the Device object (/3): strings
 * (0-3, 14-16), time (13), unsigned (8), float (20), opaque (21), object
 * link (22), boolean (23), core link (24), integer otherwise; other
 * objects have no known type.
 */
bw_lwm2m_type_t bw_recs_device_types(void *ctx, const bw_lwm2m_path_t *p);

/* Same type and same value (floats compared bit for bit). */
bool bw_recs_value_equal(const bw_lwm2m_value_t *a, const bw_lwm2m_value_t *b);

/* Fails the test unless a and b hold the same paths and values in order. */
void bw_recs_assert_same(const bw_recs_t *a, const bw_recs_t *b);

/* Fails the test unless g holds exactly want[0..n), in order. */
void bw_recs_expect(const bw_recs_t *g, const bw_lwm2m_record_t *want,
                    size_t n);

/* SenML records as the SenML layer delivers them, with copied names and
 * bytes. */
typedef struct {
    char name[BW_RECS_MAX][BW_LWM2M_SENML_NAME_MAX];
    bw_lwm2m_senml_rec_t rec[BW_RECS_MAX];
    uint8_t bytes[BW_RECS_MAX][BW_RECS_BYTES_MAX];
    size_t n;
} bw_recs_raw_t;

/*
 * Callback of bw_lwm2m_senml_{json,cbor}_read(); ctx is a bw_recs_raw_t
 * (zero it first).  Appends a copy of r; fails the test when anything
 * does not fit.
 */
int bw_recs_collect_raw(void *ctx, const bw_lwm2m_senml_rec_t *r);

/*
 * Encode want[0..n) with the TLV writer under base; fails the test
 * unless the bytes are exactly hex (at most 512 bytes).  Inline, so the
 * TLV writer is linked only into the tests that call it.
 */
static inline void bw_recs_tlv_encodes_to(const char *hex,
                                          const bw_lwm2m_path_t *base,
                                          const bw_lwm2m_record_t *want,
                                          size_t n)
{
    uint8_t expect[512], out[512];
    size_t elen = bw_test_hex(hex, expect, sizeof expect), len = 0;
    bw_lwm2m_tlv_writer_t w;
    bw_lwm2m_tlv_begin(&w, out, sizeof out, base);
    for (size_t i = 0; i < n; i++)
        bw_lwm2m_tlv_add(&w, &want[i]);
    assert_int_equal(bw_lwm2m_tlv_finish(&w, &len), 0);
    assert_int_equal(len, elen);
    assert_memory_equal(out, expect, len);
}

#endif /* BW_TEST_LWM2M_RECORDS_H */
