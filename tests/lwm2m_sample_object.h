/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An LwM2M object in RAM for the request handler's tests and fuzz target
 * (tests/unit/test_lwm2m_dm_*.c, tests/fuzz/fuzz_lwm2m_dm.c), and a small
 * CoAP request builder to drive bw_lwm2m_dm_handle().
 *
 * One bw_sample_t is one object over any sorted resource table: up to
 * BW_SAMPLE_MAX_INST instances, each value kept per table row; multiple
 * resources hold integer resource instances.  Its handlers follow
 * lwm2m_object.h to the letter: begin() snapshots the instance, write()
 * stages into it, validate() checks the one rule below, commit() drops
 * the snapshot, rollback() restores it (and frees an instance the
 * transaction created).  Faults can be injected: a write that fails
 * after N calls, a validate that fails for one instance.
 *
 * Validation rule (so that a validate failure can happen naturally): an
 * INTEGER resource with id 1 must not be negative (BW_ERANGE).
 *
 * No cmocka here: the fuzz target links it too (by including the .c).
 */
#ifndef BW_LWM2M_SAMPLE_OBJECT_H
#define BW_LWM2M_SAMPLE_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap.h"
#include "bulwark/lwm2m_dm.h"
#include "bulwark/lwm2m_object.h"

#define BW_SAMPLE_MAX_INST  4
#define BW_SAMPLE_MAX_RES   12
#define BW_SAMPLE_MAX_RI    4
#define BW_SAMPLE_BYTES_MAX 200

typedef struct {
    uint8_t present;
    bw_lwm2m_value_t v; /* bytes: len only; the bytes are in bytes[] */
    uint8_t bytes[BW_SAMPLE_BYTES_MAX];
    uint8_t nri;
    uint16_t ri_id[BW_SAMPLE_MAX_RI];
    int64_t ri_val[BW_SAMPLE_MAX_RI];
} bw_sample_res_t;

typedef struct {
    uint8_t used;
    uint16_t id;
    bw_sample_res_t res[BW_SAMPLE_MAX_RES];
} bw_sample_inst_t;

typedef struct {
    bw_lwm2m_object_t obj;
    bw_sample_inst_t inst[BW_SAMPLE_MAX_INST];
    bw_sample_inst_t snap[BW_SAMPLE_MAX_INST]; /* begin() copies */
    uint8_t in_txn[BW_SAMPLE_MAX_INST];
    uint8_t created[BW_SAMPLE_MAX_INST];
    /* faults */
    int fail_write_after; /* > 0: the write call with this number fails */
    int fail_validate;    /* instance id + 1 whose validate fails, or 0 */
    /* what happened */
    int writes, begins, commits, rollbacks, executes, removes;
    bw_lwm2m_txn_t last_kind;
    uint8_t exec_arg[32];
    size_t exec_len;
} bw_sample_t;

/* The sample object's table (object 1024): see the .c for the rows. */
extern const bw_lwm2m_res_def_t bw_sample_res[];
extern const uint16_t bw_sample_nres;
/* Minimal Security (0), Server (1) and Device (3) tables. */
extern const bw_lwm2m_res_def_t bw_sample_security_res[];
extern const uint16_t bw_sample_security_nres;
extern const bw_lwm2m_res_def_t bw_sample_server_res[];
extern const uint16_t bw_sample_server_nres;
extern const bw_lwm2m_res_def_t bw_sample_device_res[];
extern const uint16_t bw_sample_device_nres;

void bw_sample_init(bw_sample_t *s, uint16_t id, const bw_lwm2m_res_def_t *res,
                    uint16_t nres, int multiple_instances);
/* Add instance id (no values); returns 0 or BW_ENOMEM. */
int bw_sample_add(bw_sample_t *s, uint16_t id);
bw_sample_inst_t *bw_sample_inst(bw_sample_t *s, uint16_t id);
/* Drop every instance (no handler call is counted). */
void bw_sample_remove_all(bw_sample_t *s);
/* Set one value (the resource's row must exist). */
void bw_sample_set(bw_sample_t *s, uint16_t inst, uint16_t res,
                   bw_lwm2m_value_t v);
void bw_sample_set_str(bw_sample_t *s, uint16_t inst, uint16_t res,
                       const char *str);
void bw_sample_set_ri(bw_sample_t *s, uint16_t inst, uint16_t res, uint16_t ri,
                      int64_t v);
/* The stored value, or NULL when absent; bytes point into the store. */
const bw_lwm2m_value_t *bw_sample_get(bw_sample_t *s, uint16_t inst,
                                      uint16_t res, bw_lwm2m_value_t *tmp);

/* A request to build (fields left 0 / NULL are absent). */
typedef struct {
    uint8_t code;
    const char *path; /* "/1024/0/1"; NULL or "/" for the root */
    int accept;       /* -1: none */
    int format;       /* Content-Format, -1: none */
    int observe;      /* -1: none */
    int block2;       /* raw Block2 value, -1: none */
    int block1;       /* raw Block1 value, -1: none */
    const char *query[6];
    const void *payload;
    size_t len;
    const uint8_t *token;
    size_t token_len;
    uint64_t now; /* the time handed to the handler */
} bw_sample_req_t;

/*
 * The standard contents of object 1024 used by the tests: instance 0
 * {name "alpha", count 5, level 2.5, readings {0: 10, 1: 20}, ok true,
 * blob 01 02 03} and instance 1 {name "beta", count 7, ok false}.
 */
void bw_sample_fill(bw_sample_t *s);

/* A request with every option absent. */
bw_sample_req_t bw_sample_req(uint8_t code, const char *path);

/* Build q into buf; returns the length, 0 when it does not fit. */
size_t bw_sample_build(const bw_sample_req_t *q, uint8_t *buf, size_t cap);

/*
 * Build q, parse it, hand it to bw_lwm2m_dm_handle() with out[cap],
 * parse the response into *rsp.  Returns the response code, or a
 * negative BW_E* when building, handling or parsing failed.
 */
int bw_sample_do(bw_lwm2m_dm_t *dm, bw_lwm2m_iface_t iface, uint16_t server,
                 const bw_sample_req_t *q, uint8_t *out, size_t cap,
                 bw_coap_msg_t *rsp);

#endif /* BW_LWM2M_SAMPLE_OBJECT_H */
