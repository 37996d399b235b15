/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LwM2M data model and the plain content formats (OMA LwM2M 1.1 Core,
 * section 7.4 "Data formats").
 *
 * This header owns the types every LwM2M content format shares: paths
 * (/object/instance/resource/resource-instance), typed resource values,
 * records (a path plus a value), and the two contracts each format
 * follows: a streaming decoder that hands records to a callback, and a
 * writer that builds a payload from records into a caller's buffer.  It
 * also holds three formats: text/plain (0), application/octet-stream (42)
 * and OMA TLV (11542).  SenML JSON and SenML CBOR live in
 * bulwark/lwm2m_senml.h and build on these same types.
 *
 * What this module must never do: allocate, keep a tree of decoded data,
 * or read one byte past the payload it was given.  Decoded strings and
 * opaque values are views into the caller's payload (or into the caller's
 * scratch buffer, see bw_lwm2m_sink_t); the payload MUST outlive them.
 *
 * Conventions used in every Bulwark header: MUST/SHALL mark preconditions
 * the caller is responsible for; violating one is a bug and is answered
 * with BW_EINVAL or BW_ESTATE where it can be detected.  Output parameters
 * are left in a defined state (zeroed or unchanged, as documented) when a
 * function fails.
 */
#ifndef BULWARK_LWM2M_H
#define BULWARK_LWM2M_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Paths
 * ------------------------------------------------------------------------ */

/*
 * Levels of a path.  A path of depth d uses id[0] .. id[d-1]; the ids of
 * unused levels are always BW_LWM2M_ID_NONE, so two equal paths are equal
 * field by field.
 *
 *   depth 0  /                 root
 *   depth 1  /3                object
 *   depth 2  /3/0              object instance
 *   depth 3  /3/0/7            resource
 *   depth 4  /3/0/7/1          resource instance
 */
enum {
    BW_LWM2M_OBJECT = 0, /* index into id[] */
    BW_LWM2M_INSTANCE = 1,
    BW_LWM2M_RESOURCE = 2,
    BW_LWM2M_RES_INST = 3,
};

enum {
    BW_LWM2M_DEPTH_ROOT = 0,
    BW_LWM2M_DEPTH_OBJECT = 1,
    BW_LWM2M_DEPTH_INSTANCE = 2,
    BW_LWM2M_DEPTH_RESOURCE = 3,
    BW_LWM2M_DEPTH_RES_INST = 4,
};

/* Four levels: the LwM2M data model has no deeper addressing. */
#define BW_LWM2M_PATH_MAX_DEPTH 4

/*
 * 65535 is reserved by the specification in every ID space (section 7.1:
 * IDs are 0..65534), so it can mark an unused level.  An object link may
 * still carry 65535:65535, the "null" link (appendix C).
 */
#define BW_LWM2M_ID_NONE 65535u
#define BW_LWM2M_ID_MAX  65534u

/*
 * Longest formatted path including the terminating NUL:
 * "/65534/65534/65534/65534" is 24 characters.
 */
#define BW_LWM2M_PATH_STR_MAX 25

typedef struct {
    uint16_t id[BW_LWM2M_PATH_MAX_DEPTH]; /* BW_LWM2M_ID_NONE when unused */
    uint8_t depth;                        /* 0 .. 4 */
} bw_lwm2m_path_t;

/* Initializers for literals, e.g. in tables: BW_LWM2M_PATH_RES(3, 0, 1). */
#define BW_LWM2M_PATH_ROOT                                                     \
    {                                                                          \
        {BW_LWM2M_ID_NONE, BW_LWM2M_ID_NONE, BW_LWM2M_ID_NONE,                 \
         BW_LWM2M_ID_NONE},                                                    \
            0                                                                  \
    }
#define BW_LWM2M_PATH_OBJ(o)                                                   \
    {                                                                          \
        {(o), BW_LWM2M_ID_NONE, BW_LWM2M_ID_NONE, BW_LWM2M_ID_NONE}, 1         \
    }
#define BW_LWM2M_PATH_INST(o, i)                                               \
    {                                                                          \
        {(o), (i), BW_LWM2M_ID_NONE, BW_LWM2M_ID_NONE}, 2                      \
    }
#define BW_LWM2M_PATH_RES(o, i, r)                                             \
    {                                                                          \
        {(o), (i), (r), BW_LWM2M_ID_NONE}, 3                                   \
    }
#define BW_LWM2M_PATH_RI(o, i, r, ri)                                          \
    {                                                                          \
        {(o), (i), (r), (ri)}, 4                                               \
    }

/* Set *path to the root "/". */
void bw_lwm2m_path_init(bw_lwm2m_path_t *path);

/*
 * Append one level.  Returns 0, or BW_EPATH when id is 65535 or the path
 * already has four levels (path unchanged).
 */
int bw_lwm2m_path_push(bw_lwm2m_path_t *path, uint16_t id);

/*
 * Append one level given as decimal text, e.g. one CoAP Uri-Path option.
 * The segment follows the same rules as in bw_lwm2m_path_parse().
 * Returns 0, or BW_EPATH (path unchanged), or BW_EINVAL for a NULL seg
 * with a nonzero len.
 */
int bw_lwm2m_path_push_text(bw_lwm2m_path_t *path, const char *seg, size_t len);

/* Drop the last level; the root stays the root. */
void bw_lwm2m_path_pop(bw_lwm2m_path_t *path);

/*
 * Parse "/3/0/1".  Strict: a leading '/', then 0 to 4 segments separated
 * by single '/'; each segment is decimal 0..65534 with no sign and no
 * leading zero ("0" itself is fine).  "/" alone is the root.  Rejected:
 * "", "3/0", "/3/", "//3", "/03", "/65535", "/1/2/3/4/5", spaces.
 *
 * s need not be NUL-terminated; exactly len bytes are read.
 * Returns 0, or BW_EPATH (*path set to the root), or BW_EINVAL for NULL.
 */
int bw_lwm2m_path_parse(bw_lwm2m_path_t *path, const char *s, size_t len);

/*
 * Format as "/3/0/1" ("/" for the root) followed by a NUL.  *len (may be
 * NULL) receives the length without the NUL.  cap SHOULD be
 * BW_LWM2M_PATH_STR_MAX.  Returns 0, or BW_ENOSPC (buf set to "" when
 * cap > 0), or BW_EPATH when path is not valid (see bw_lwm2m_path_check).
 */
int bw_lwm2m_path_format(const bw_lwm2m_path_t *path, char *buf, size_t cap,
                         size_t *len);

/*
 * Whether path is well formed: depth 0..4, used ids 0..65534, unused ids
 * 65535.  Returns 0 or BW_EPATH.
 */
int bw_lwm2m_path_check(const bw_lwm2m_path_t *path);

/* Same depth and same ids. */
bool bw_lwm2m_path_equal(const bw_lwm2m_path_t *a, const bw_lwm2m_path_t *b);

/* prefix addresses path or one of its ancestors ("/3" covers "/3/0/1"). */
bool bw_lwm2m_path_is_prefix(const bw_lwm2m_path_t *prefix,
                             const bw_lwm2m_path_t *path);

/*
 * Total order: level by level by id, and an ancestor before its
 * descendants ("/3" < "/3/0" < "/3/0/1" < "/3/1" < "/4").  Returns <0, 0
 * or >0 like memcmp.
 */
int bw_lwm2m_path_compare(const bw_lwm2m_path_t *a, const bw_lwm2m_path_t *b);

/* ------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------ */

/* Resource data types (section 7.4 and appendix C). */
typedef enum {
    BW_LWM2M_TYPE_NONE = 0, /* unknown type, or a record without a value */
    BW_LWM2M_TYPE_INTEGER,  /* signed 64-bit */
    BW_LWM2M_TYPE_UNSIGNED, /* unsigned 64-bit */
    BW_LWM2M_TYPE_FLOAT,    /* IEEE 754 double */
    BW_LWM2M_TYPE_BOOLEAN,
    BW_LWM2M_TYPE_STRING,  /* UTF-8, not NUL-terminated */
    BW_LWM2M_TYPE_OPAQUE,  /* raw bytes */
    BW_LWM2M_TYPE_TIME,    /* signed seconds since 1970-01-01 UTC */
    BW_LWM2M_TYPE_OBJLNK,  /* object ID : instance ID */
    BW_LWM2M_TYPE_CORELNK, /* RFC 6690 link text, UTF-8 */
} bw_lwm2m_type_t;

/* Object link; 65535:65535 is the null link. */
typedef struct {
    uint16_t oid;
    uint16_t iid;
} bw_lwm2m_objlnk_t;

/* A view of bytes owned by someone else (payload or scratch). */
typedef struct {
    const uint8_t *ptr; /* may be NULL when len is 0 */
    size_t len;
} bw_lwm2m_bytes_t;

/*
 * A tagged value.  type selects the union member:
 *   INTEGER -> i, UNSIGNED -> u, FLOAT -> f, BOOLEAN -> b, TIME -> t,
 *   OBJLNK -> lnk, STRING / OPAQUE / CORELNK -> bytes, NONE -> nothing.
 */
typedef struct {
    bw_lwm2m_type_t type;
    union {
        int64_t i;
        uint64_t u;
        double f;
        bool b;
        int64_t t;
        bw_lwm2m_objlnk_t lnk;
        bw_lwm2m_bytes_t bytes;
    } v;
} bw_lwm2m_value_t;

/*
 * The unit of decoding and encoding: one value at one path.  Values sit
 * at resources (depth 3) or resource instances (depth 4).  A record whose
 * value type is NONE carries no value; decoders emit one for an empty
 * container (an object instance or multiple resource with no children)
 * and writers turn it back into one.
 */
typedef struct {
    bw_lwm2m_path_t path;
    bw_lwm2m_value_t value;
} bw_lwm2m_record_t;

/* Constructors, for writers and tests. */
static inline bw_lwm2m_value_t bw_lwm2m_value_int(int64_t i)
{
    bw_lwm2m_value_t v = {BW_LWM2M_TYPE_INTEGER, {.i = i}};
    return v;
}
static inline bw_lwm2m_value_t bw_lwm2m_value_uint(uint64_t u)
{
    bw_lwm2m_value_t v = {BW_LWM2M_TYPE_UNSIGNED, {.u = u}};
    return v;
}
static inline bw_lwm2m_value_t bw_lwm2m_value_float(double f)
{
    bw_lwm2m_value_t v = {BW_LWM2M_TYPE_FLOAT, {.f = f}};
    return v;
}
static inline bw_lwm2m_value_t bw_lwm2m_value_bool(bool b)
{
    bw_lwm2m_value_t v = {BW_LWM2M_TYPE_BOOLEAN, {.b = b}};
    return v;
}
static inline bw_lwm2m_value_t bw_lwm2m_value_time(int64_t t)
{
    bw_lwm2m_value_t v = {BW_LWM2M_TYPE_TIME, {.t = t}};
    return v;
}
static inline bw_lwm2m_value_t bw_lwm2m_value_objlnk(uint16_t oid, uint16_t iid)
{
    bw_lwm2m_value_t v = {BW_LWM2M_TYPE_OBJLNK, {.lnk = {oid, iid}}};
    return v;
}
/* type MUST be STRING, OPAQUE or CORELNK; ptr MUST outlive the value. */
static inline bw_lwm2m_value_t bw_lwm2m_value_bytes(bw_lwm2m_type_t type,
                                                    const void *ptr, size_t len)
{
    bw_lwm2m_value_t v = {type, {.bytes = {(const uint8_t *)ptr, len}}};
    return v;
}

/*
 * Read a value as another numeric type, with exact range checks.
 *
 * get_int:    INTEGER, TIME, or UNSIGNED up to INT64_MAX.
 * get_uint:   UNSIGNED, or INTEGER / TIME that are >= 0.
 * get_float:  FLOAT, or INTEGER / UNSIGNED / TIME exactly representable
 *             as a double (|x| <= 2^53 always is).
 * get_bool:   BOOLEAN only.
 * get_int_range: as get_int, then min <= x <= max (for narrower fields).
 *
 * Returns 0, BW_ETYPE (not a numeric type, or BOOLEAN asked as a number),
 * or BW_ERANGE (value does not fit).  *out is unchanged on failure.
 */
int bw_lwm2m_value_get_int(const bw_lwm2m_value_t *v, int64_t *out);
int bw_lwm2m_value_get_uint(const bw_lwm2m_value_t *v, uint64_t *out);
int bw_lwm2m_value_get_float(const bw_lwm2m_value_t *v, double *out);
int bw_lwm2m_value_get_bool(const bw_lwm2m_value_t *v, bool *out);
int bw_lwm2m_value_get_int_range(const bw_lwm2m_value_t *v, int64_t min,
                                 int64_t max, int64_t *out);

/*
 * Whether bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).  Returns 0 or BW_EUTF8.
 */
int bw_lwm2m_utf8_check(const uint8_t *s, size_t len);

/* ------------------------------------------------------------------------
 * The decoder contract, shared by every content format
 * ------------------------------------------------------------------------
 *
 *   int bw_lwm2m_<fmt>_decode(const uint8_t *payload, size_t len,
 *                             const bw_lwm2m_path_t *base,
 *                             const bw_lwm2m_sink_t *sink);
 *
 * base is the path of the request URI; records come out with full paths
 * (base plus whatever the payload adds).  Records stream into
 * sink->record in payload order as they are decoded: nothing is buffered,
 * so when decoding fails part-way the callback has already seen the
 * records before the fault.  Callers that apply writes SHOULD decode once
 * with a checking callback, then again to apply.
 *
 * Formats that carry no types (TLV, text/plain, octet-stream) ask
 * sink->type_of for the type of each value's path (depth 3 or 4: the
 * callee answers with the resource's type for a resource instance).  With
 * no type_of, or when it answers NONE, the raw bytes are delivered as
 * OPAQUE (text/plain delivers its raw text that way).
 *
 * A nonzero return from sink->record stops decoding at once.  A negative
 * return is passed through unchanged as the decoder's result (so a
 * callback may answer BW_ENOTFOUND, BW_ETYPE, ...); a positive return
 * becomes BW_EABORTED.
 */
typedef bw_lwm2m_type_t (*bw_lwm2m_type_fn)(void *ctx,
                                            const bw_lwm2m_path_t *path);
typedef int (*bw_lwm2m_record_fn)(void *ctx, const bw_lwm2m_record_t *rec);

typedef struct {
    bw_lwm2m_type_fn type_of;  /* optional */
    bw_lwm2m_record_fn record; /* required */
    void *ctx;                 /* passed to both */
    /*
     * Optional scratch for formats that must transform bytes before
     * handing them out (base64 opaque in text/plain, escaped JSON
     * strings).  A value that points into scratch is valid only until the
     * callback returns.  Needed but absent or too small: BW_ENOSPC.
     */
    uint8_t *scratch;
    size_t scratch_cap;
} bw_lwm2m_sink_t;

typedef int (*bw_lwm2m_decode_fn)(const uint8_t *payload, size_t len,
                                  const bw_lwm2m_path_t *base,
                                  const bw_lwm2m_sink_t *sink);

/* ------------------------------------------------------------------------
 * The writer contract, shared by every content format
 * ------------------------------------------------------------------------
 *
 *   bw_lwm2m_<fmt>_writer_t w;                         caller-allocated
 *   bw_lwm2m_<fmt>_begin(&w, buf, cap, &base);
 *   bw_lwm2m_<fmt>_add(&w, &record);                   once per record
 *   int err = bw_lwm2m_<fmt>_finish(&w, &len);
 *
 * Errors are sticky: after the first failure every call does nothing and
 * finish() reports that first error (and sets *len to 0).  The writer
 * holds pointers only into buf, never into itself, so it may be copied.
 * buf's contents are unspecified after a failure.
 */

/* ------------------------------------------------------------------------
 * text/plain (content format 0), appendix C / section 7.4.1
 * ------------------------------------------------------------------------
 *
 * One value of a single resource (depth 3) or resource instance (depth 4),
 * as text:
 *
 *   INTEGER, TIME   decimal, optional '-', no '+', no leading zeros, no
 *                   spaces: "-9223372036854775808" .. "9223372036854775807"
 *   UNSIGNED        decimal, no sign: "0" .. "18446744073709551615"
 *   FLOAT           decimal: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 *                   (the JSON number form); no "inf" or "nan"
 *   BOOLEAN         "0" or "1"
 *   OBJLNK          "oid:iid", each 0..65535 written as above
 *   STRING, CORELNK the UTF-8 text itself
 *   OPAQUE          base64 (RFC 4648 section 4, with strict padding)
 *
 * A base path of any other depth is BW_EFORMAT: text/plain cannot
 * express several values (the server answers 4.06 Not Acceptable).
 * A base path that is not valid is BW_EPATH.
 */

/*
 * Longest float text accepted, in characters.  The writer's shortest
 * round-trip form takes at most 24; peers that print 17 digits with an
 * exponent take about 25.  Anything longer is not a number a device
 * means, only work to parse: BW_EOVERFLOW.
 */
#define BW_LWM2M_TEXT_FLOAT_MAX 64

/*
 * Single-value text parsers.  Exactly len bytes are read (no NUL needed).
 * Returns 0, or BW_EMALFORMED (syntax), or BW_ERANGE (does not fit; a
 * float whose magnitude overflows a double), or BW_EOVERFLOW (a float
 * text longer than BW_LWM2M_TEXT_FLOAT_MAX).  *out is unchanged on
 * failure.
 */
int bw_lwm2m_text_parse_int(const char *s, size_t len, int64_t *out);
int bw_lwm2m_text_parse_uint(const char *s, size_t len, uint64_t *out);
int bw_lwm2m_text_parse_float(const char *s, size_t len, double *out);
int bw_lwm2m_text_parse_bool(const char *s, size_t len, bool *out);
int bw_lwm2m_text_parse_objlnk(const char *s, size_t len,
                               bw_lwm2m_objlnk_t *out);

/*
 * Single-value text formatters: write the text form of the value into buf
 * (no NUL) and its length into *len.  Floats are written in the shortest
 * form that reads back to the same double.
 * Returns 0, or BW_ENOSPC, or BW_ERANGE for an infinite or NaN float,
 * or BW_ETYPE for NONE.  STRING and CORELNK are copied unchanged (after a
 * UTF-8 check: BW_EUTF8); OPAQUE is base64-encoded.
 */
int bw_lwm2m_text_format(const bw_lwm2m_value_t *v, char *buf, size_t cap,
                         size_t *len);

/*
 * Decode a text/plain payload (see the decoder contract).  The type comes
 * from sink->type_of(base); NONE delivers the raw text as OPAQUE.  OPAQUE
 * base64 is decoded into sink->scratch.  Returns 0, the callback's code,
 * BW_EFORMAT, BW_EPATH, BW_EINVAL, the parsers' codes, BW_EUTF8 (STRING,
 * CORELNK), BW_EMALFORMED (bad base64), BW_ENOSPC (scratch too small).
 */
int bw_lwm2m_text_decode(const uint8_t *payload, size_t len,
                         const bw_lwm2m_path_t *base,
                         const bw_lwm2m_sink_t *sink);

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bw_lwm2m_path_t base;
    uint8_t count; /* records added: 0 or 1 */
    int err;
} bw_lwm2m_text_writer_t;

/*
 * Writer for one value.  begin() fails (sticky) with BW_EFORMAT for a base
 * that is not a resource or resource instance, BW_EPATH for an invalid
 * base, BW_EINVAL for NULL buf with cap > 0.  add() takes exactly one
 * record whose path equals base (else BW_EPATH); a second record is
 * BW_EFORMAT; then the errors of bw_lwm2m_text_format().  finish()
 * without a record is BW_ESTATE.
 */
void bw_lwm2m_text_begin(bw_lwm2m_text_writer_t *w, uint8_t *buf, size_t cap,
                         const bw_lwm2m_path_t *base);
void bw_lwm2m_text_add(bw_lwm2m_text_writer_t *w, const bw_lwm2m_record_t *rec);
int bw_lwm2m_text_finish(bw_lwm2m_text_writer_t *w, size_t *len);

/* ------------------------------------------------------------------------
 * base64 (RFC 4648), used by text/plain opaque values and SenML
 * ------------------------------------------------------------------------ */

typedef enum {
    BW_LWM2M_B64_STD = 0, /* section 4 alphabet, '=' padding required */
    BW_LWM2M_B64_URL = 1, /* section 5 alphabet, no padding (SenML "vd") */
} bw_lwm2m_b64_t;

/* Encoded size of n bytes. */
size_t bw_lwm2m_b64_encoded_len(size_t n, bw_lwm2m_b64_t variant);

/*
 * Encode n bytes into out (no NUL).  Returns 0 and *out_len, or BW_ENOSPC.
 */
int bw_lwm2m_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                        bw_lwm2m_b64_t variant, size_t *out_len);

/*
 * Decode strictly: only the variant's alphabet; STD needs length a
 * multiple of 4 with 0..2 '=' only at the end; URL forbids '=' and a
 * length of 1 mod 4; in both, the unused low bits of the last symbol MUST
 * be zero (so each byte string has exactly one encoding).  out may be
 * NULL when cap is 0 only if the decoded length is 0.
 * Returns 0 and *out_len, BW_EMALFORMED, or BW_ENOSPC.
 */
int bw_lwm2m_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                        bw_lwm2m_b64_t variant, size_t *out_len);

/* ------------------------------------------------------------------------
 * application/octet-stream (content format 42), section 7.4.2
 * ------------------------------------------------------------------------
 *
 * The raw bytes of one OPAQUE resource or resource instance.  Same path
 * rules as text/plain (BW_EFORMAT for another depth).  Decoding a path
 * whose type_of answers a type other than OPAQUE or NONE is BW_ETYPE:
 * this format exists for opaque resources only.
 */
int bw_lwm2m_opaque_decode(const uint8_t *payload, size_t len,
                           const bw_lwm2m_path_t *base,
                           const bw_lwm2m_sink_t *sink);

typedef bw_lwm2m_text_writer_t bw_lwm2m_opaque_writer_t;

/* As the text writer; a record of a type other than OPAQUE is BW_ETYPE. */
void bw_lwm2m_opaque_begin(bw_lwm2m_opaque_writer_t *w, uint8_t *buf,
                           size_t cap, const bw_lwm2m_path_t *base);
void bw_lwm2m_opaque_add(bw_lwm2m_opaque_writer_t *w,
                         const bw_lwm2m_record_t *rec);
int bw_lwm2m_opaque_finish(bw_lwm2m_opaque_writer_t *w, size_t *len);

/* ------------------------------------------------------------------------
 * OMA TLV (content format 11542), section 7.4.3
 * ------------------------------------------------------------------------
 *
 * Each TLV is a type byte, an identifier, an optional length, a value:
 *
 *     7   6   5   4   3   2   1   0
 *   +-------+---+-------+-----------+
 *   | ident | I |  len  |  length   |   type byte
 *   | type  |   |  type | if LT = 0 |
 *   +-------+---+-------+-----------+
 *   | identifier: 1 byte (I = 0) or 2 bytes (I = 1), big endian        |
 *   | length: absent (LT = 0) or 1, 2, 3 bytes (LT = 1, 2, 3), big end. |
 *   | value: length bytes                                               |
 *
 *   ident type 00  object instance       value: resource TLVs (10, 11)
 *              01  resource instance     value: one resource value
 *              10  multiple resource     value: resource instance TLVs
 *              11  resource with value   value: one resource value
 *
 * So nesting is at most three deep: object instance > multiple resource
 * > resource instance.  Containers' children must fill the container
 * exactly.  When LT != 0, bits 2-0 MUST be 0.
 *
 * Which TLVs may open the payload depends on the base path:
 *
 *   base /O        object instances
 *   base /O/I      resources and multiple resources of instance I, or one
 *                  object instance TLV with id I wrapping them
 *   base /O/I/R    one resource or one multiple resource, with id R
 *   base /O/I/R/RI one resource instance with id RI
 *   base /         BW_EFORMAT (TLV cannot carry object IDs)
 *
 * Values by type (all big endian):
 *
 *   INTEGER, TIME  1, 2, 4 or 8 bytes, two's complement
 *   UNSIGNED       1, 2, 4 or 8 bytes
 *   FLOAT          4 or 8 bytes IEEE 754
 *   BOOLEAN        1 byte, 0 or 1
 *   OBJLNK         4 bytes: object ID (16 bits), instance ID (16 bits)
 *   STRING, CORELNK UTF-8 bytes;  OPAQUE raw bytes
 */

/* The largest TLV length: the length field is at most 24 bits. */
#define BW_LWM2M_TLV_MAX_LEN 0xFFFFFFu

/* Identifier types, bits 7-6 of the type byte. */
enum {
    BW_LWM2M_TLV_OBJ_INST = 0,
    BW_LWM2M_TLV_RES_INST = 1,
    BW_LWM2M_TLV_MULTI_RES = 2,
    BW_LWM2M_TLV_RES = 3,
};

/*
 * Containers open at once: object instance and multiple resource.
 * Resource instances and single resources are leaves.
 */
#define BW_LWM2M_TLV_MAX_OPEN 2

/*
 * A container's header is written in its longest form (type, 2-byte id,
 * 3-byte length) and shrunk when the container closes, so the writer
 * needs this many spare bytes per open container beyond the final size.
 */
#define BW_LWM2M_TLV_HDR_MAX 6
#define BW_LWM2M_TLV_SLACK   (BW_LWM2M_TLV_MAX_OPEN * (BW_LWM2M_TLV_HDR_MAX - 2))

/*
 * Decode a TLV payload (see the decoder contract).  Records come out with
 * full paths; an empty object instance or multiple resource gives one
 * record of type NONE at the container's path (except an empty object
 * instance wrapping the payload under /O/I, which is the same as an
 * empty payload: no record).
 *
 * Returns 0, the callback's code, or:
 *   BW_ETRUNC      a header or value runs past the end of the payload
 *   BW_EOVERFLOW   a child runs past the end of its container
 *   BW_EMALFORMED  identifier type not allowed where it appears (against
 *                  the base path or the parent), nonzero bits 2-0 with a
 *                  length field, a value of a size its type forbids
 *                  (integer of 3 bytes, float of 3, boolean of 2 ...)
 *   BW_ETRAILING   more than the one TLV a /O/I/R or /O/I/R/RI base, or
 *                  an object instance wrapping /O/I, allows
 *   BW_EDEPTH      a container inside a multiple resource, or where a
 *                  resource instance is addressed
 *   BW_EPATH       an identifier of 65535, or a top-level id that differs
 *                  from the base path's; an invalid base
 *   BW_ERANGE      a boolean other than 0 or 1
 *   BW_EUTF8       a STRING or CORELNK that is not UTF-8
 *   BW_EFORMAT     base is the root
 *   BW_EINVAL      NULL payload with len > 0, NULL base, sink or record
 */
int bw_lwm2m_tlv_decode(const uint8_t *payload, size_t len,
                        const bw_lwm2m_path_t *base,
                        const bw_lwm2m_sink_t *sink);

/* One open container in the writer. */
typedef struct {
    size_t start; /* offset of its reserved BW_LWM2M_TLV_HDR_MAX bytes */
    uint16_t id;
    uint8_t kind; /* BW_LWM2M_TLV_OBJ_INST or BW_LWM2M_TLV_MULTI_RES */
} bw_lwm2m_tlv_open_t;

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bw_lwm2m_path_t base;
    bw_lwm2m_path_t last; /* path of the last record added */
    uint32_t count;       /* records added */
    bw_lwm2m_tlv_open_t open[BW_LWM2M_TLV_MAX_OPEN];
    uint8_t nopen;
    int err;
} bw_lwm2m_tlv_writer_t;

/*
 * TLV writer.  Headers take their shortest form.  The caller provides
 * records, not structure: the writer opens and closes object instance and
 * multiple resource TLVs itself from the paths.
 *
 * Records MUST come in strictly increasing bw_lwm2m_path_compare() order,
 * and no record may sit under an earlier one (a value at /3/0/7 and
 * another at /3/0/7/0 cannot both be encoded): else BW_EORDER.  Each
 * record's path MUST be under base (else BW_EPATH) and deep enough for
 * the base, as in the decoder's table (else BW_EPATH): records under base
 * /O need depth >= 2, under /O/I depth >= 3, and so on.  Values sit at
 * depth 3 or 4; a record of type NONE is an empty object instance (depth
 * 2) or an empty multiple resource (depth 3); NONE at depth 4 is BW_ETYPE.
 * A resource given as resource instances (depth 4) is written as a
 * multiple resource; given at depth 3 it is a single resource.
 *
 * begin(): BW_EFORMAT for the root, BW_EPATH for an invalid base.
 * add():   BW_EORDER, BW_EPATH, BW_ETYPE, BW_EUTF8 (STRING, CORELNK),
 *          BW_EOVERFLOW (a TLV longer than BW_LWM2M_TLV_MAX_LEN),
 *          BW_ENOSPC (see BW_LWM2M_TLV_SLACK), BW_EINVAL.
 * finish(): closes what is open; the same errors.  Zero records give an
 *          empty payload.
 */
void bw_lwm2m_tlv_begin(bw_lwm2m_tlv_writer_t *w, uint8_t *buf, size_t cap,
                        const bw_lwm2m_path_t *base);
void bw_lwm2m_tlv_add(bw_lwm2m_tlv_writer_t *w, const bw_lwm2m_record_t *rec);
int bw_lwm2m_tlv_finish(bw_lwm2m_tlv_writer_t *w, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_LWM2M_H */
