/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the SenML JSON and SenML CBOR readers and writers share, private
 * to lib/lwm2m: the field table, the per-pack base state, the per-record
 * field set, resolution of a record (bn + n, bt + t, bv + v), the LwM2M
 * adapter (name to path, number to typed value) and the writers' choice
 * of bn and n.
 *
 * A reader walks one record's keys in whatever order they come, marks
 * each field in a bw_lwm2m__senml_fields_t (catching duplicates and a
 * second value field as it goes), stores base fields straight into the
 * pack state (they apply to the record that carries them), then calls
 * bw_lwm2m__senml_emit() at the end of the record.
 */
#ifndef BW_LWM2M_SENML_INT_H
#define BW_LWM2M_SENML_INT_H

#include "bulwark/lwm2m_senml.h"

/* Fields, in RFC 8428 order; a bit each in fields->seen. */
enum {
    BW_SENML_F_BN = 0,
    BW_SENML_F_BT,
    BW_SENML_F_BU,
    BW_SENML_F_BV,
    BW_SENML_F_BS,
    BW_SENML_F_BVER,
    BW_SENML_F_N,
    BW_SENML_F_U,
    BW_SENML_F_V,
    BW_SENML_F_VS,
    BW_SENML_F_VB,
    BW_SENML_F_S,
    BW_SENML_F_T,
    BW_SENML_F_UT,
    BW_SENML_F_VD,
    BW_SENML_F_VLO,
    BW_SENML_F_COUNT,
};

/* Answers of the key lookups besides a field number. */
#define BW_SENML_KEY_IGNORE          (-1) /* unknown: skip its value */
#define BW_SENML_KEY_MUST_UNDERSTAND (-2) /* unknown, ends in '_' */

/* A number as read: type INTEGER (i), UNSIGNED (u) or FLOAT (d); d is
 * set for FLOAT only (bw_lwm2m__senml_num_double() for any type). */
typedef struct {
    bw_lwm2m_type_t type;
    int64_t i;
    uint64_t u;
    double d;
    bool rounded; /* FLOAT: may differ from the number written */
} bw_lwm2m__senml_num_t;

/* The number as a double (rounded to nearest for a large integer). */
double bw_lwm2m__senml_num_double(const bw_lwm2m__senml_num_t *num);

/* What stays in force from record to record. */
typedef struct {
    /* Numbers first, the name last: short offsets for the hot fields. */
    size_t bn_len;
    bool has_bt;
    bool has_bv;
    int name_err; /* answer to an over-long name: EOVERFLOW, or EPATH */
    double bt;
    bw_lwm2m__senml_num_t bv;
    char bn[BW_LWM2M_SENML_NAME_MAX];
} bw_lwm2m__senml_pack_t;

/* One record's fields. */
typedef struct {
    uint32_t seen;   /* bit per BW_SENML_F_* */
    int value_field; /* the one value field present, or -1 */
    size_t n_len;
    bool has_t;
    double t;
    bw_lwm2m__senml_num_t v; /* for BW_SENML_F_V */
    bw_lwm2m_value_t value;  /* for vs, vb, vd, vlo */
    char n[BW_LWM2M_SENML_NAME_MAX];
} bw_lwm2m__senml_fields_t;

/* Text key ("bn", "vlo", ...) to field; or the two answers above. */
int bw_lwm2m__senml_key_text(const char *key, size_t len);

/* CBOR integer label to field, or BW_SENML_KEY_IGNORE. */
int bw_lwm2m__senml_key_label(int64_t label);

/* Start a record. */
void bw_lwm2m__senml_fields_init(bw_lwm2m__senml_fields_t *f);

/*
 * Mark field as present.  Returns 0, BW_EDUPKEY (seen before in this
 * record) or BW_EMALFORMED (a second, different value field).
 */
int bw_lwm2m__senml_mark(bw_lwm2m__senml_fields_t *f, int field);

/* Copy a name (bn or n) after checking its length: 0 or pack->name_err. */
int bw_lwm2m__senml_set_name(const bw_lwm2m__senml_pack_t *pack, char *dst,
                             size_t *dst_len, const char *src, size_t len);

/*
 * The readers, with the code for an over-long name: the SenML layer says
 * BW_EOVERFLOW, the LwM2M layer BW_EPATH (no path is that long).
 */
typedef int (*bw_lwm2m__senml_read_fn)(const uint8_t *payload, size_t len,
                                       bw_lwm2m_senml_fn fn, void *ctx,
                                       uint8_t *scratch, size_t scratch_cap,
                                       int name_err);
int bw_lwm2m__senml_json_read(const uint8_t *payload, size_t len,
                              bw_lwm2m_senml_fn fn, void *ctx, uint8_t *scratch,
                              size_t scratch_cap, int name_err);
int bw_lwm2m__senml_cbor_read(const uint8_t *payload, size_t len,
                              bw_lwm2m_senml_fn fn, void *ctx, uint8_t *scratch,
                              size_t scratch_cap, int name_err);

/*
 * Start of either reader: check its arguments and clear the pack state.
 * Returns 0 or BW_EINVAL (NULL payload with len > 0, NULL fn, NULL scratch
 * with cap > 0).
 */
int bw_lwm2m__senml_read_begin(bw_lwm2m__senml_pack_t *pack,
                               const uint8_t *payload, size_t len,
                               bw_lwm2m_senml_fn fn, const uint8_t *scratch,
                               size_t scratch_cap, int name_err);

/*
 * Store a number read for field (bt, bv, t or v; the other number fields
 * are accepted and dropped) into the pack or the record.
 */
void bw_lwm2m__senml_set_number(bw_lwm2m__senml_pack_t *pack,
                                bw_lwm2m__senml_fields_t *f, int field,
                                const bw_lwm2m__senml_num_t *num);

/*
 * The LwM2M decoders over either reader: check the arguments, then read
 * with the LwM2M adapter.  Returns what bw_lwm2m_senml_json_decode()
 * documents: 0, BW_EINVAL, BW_EPATH, or the reader's and sink's codes.
 */
int bw_lwm2m__senml_decode(bw_lwm2m__senml_read_fn read, const uint8_t *payload,
                           size_t len, const bw_lwm2m_path_t *base,
                           const bw_lwm2m_sink_t *sink);

/* Check bver: an unsigned integer up to the version understood. */
int bw_lwm2m__senml_check_version(uint64_t v);

/* Parse a vlo text "oid:iid" into value (zeroed by the caller; only its
 * type and link are set): 0, BW_EMALFORMED or BW_ERANGE. */
int bw_lwm2m__senml_objlnk(const char *s, size_t len, bw_lwm2m_value_t *v);

/*
 * End of a record: resolve it against the pack state and deliver it to
 * fn.  Returns 0, pack->name_err (bn + n too long), BW_ERANGE (bv + v
 * overflows), or the callback's code (positive -> BW_EABORTED).
 */
int bw_lwm2m__senml_emit(const bw_lwm2m__senml_pack_t *pack,
                         const bw_lwm2m__senml_fields_t *f,
                         bw_lwm2m_senml_fn fn, void *ctx);

/* The LwM2M adapter: context for bw_lwm2m__senml_to_lwm2m(). */
typedef struct {
    const bw_lwm2m_path_t *base;
    const bw_lwm2m_sink_t *sink;
} bw_lwm2m__senml_adapter_t;

/* A bw_lwm2m_senml_fn that types a record and passes it to the sink. */
int bw_lwm2m__senml_to_lwm2m(void *adapter, const bw_lwm2m_senml_rec_t *rec);

/*
 * Writers' begin(): check the buffer and base and copy the base into
 * *dst.  Returns 0, BW_EINVAL (NULL buf with cap > 0, NULL base) or
 * BW_EPATH (invalid base).
 */
int bw_lwm2m__senml_begin(const uint8_t *buf, size_t cap,
                          const bw_lwm2m_path_t *base, bw_lwm2m_path_t *dst);

/*
 * The names of one record as a writer writes them: the record's path as
 * text, cut in two.  bn is text[0 .. bn_len) (with its trailing '/' when
 * n follows), n is the n_len bytes after it (no n field if n_len is 0).
 */
typedef struct {
    bool emit_bn; /* write a bn field first */
    char text[BW_LWM2M_PATH_STR_MAX];
    size_t bn_len;
    size_t n_len;
} bw_lwm2m__senml_names_t;

/*
 * Writers' add(): check rec and choose its names.  cur/cur_len/has_cur is
 * the writer's bn in force; when a new bn is to be written it becomes the
 * one in force.  Names follow the forms in lwm2m_senml.h.  Returns 0,
 * BW_EINVAL (NULL rec, NULL bytes with a length), BW_ETYPE (unknown type),
 * BW_EUTF8 (STRING or CORELNK not UTF-8) or BW_EPATH (invalid path, not
 * under base, a value above depth 3).
 */
int bw_lwm2m__senml_prepare(const bw_lwm2m_path_t *base,
                            const bw_lwm2m_record_t *rec,
                            char cur[BW_LWM2M_PATH_STR_MAX + 1],
                            uint8_t *cur_len, bool *has_cur,
                            bw_lwm2m__senml_names_t *names);

/*
 * One record as a SenML CBOR map with its full name (bn "/O/I/", n "R"
 * as the writer under the root gives them), no array head: what the
 * request handler's SenML CBOR codec emits per record.  Returns 0, what
 * bw_lwm2m__senml_prepare() returns, or BW_ENOSPC (cap too small; *len 0
 * on failure).
 */
int bw_lwm2m__senml_cbor_record(const bw_lwm2m_record_t *rec, uint8_t *buf,
                                size_t cap, size_t *len);

#endif /* BW_LWM2M_SENML_INT_H */
