/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SenML JSON (content format 110) and SenML CBOR (112) for LwM2M:
 * RFC 8428 as profiled by OMA LwM2M 1.1 Core, sections 7.4.4 and 7.4.5.
 *
 * This header owns two layers.  The SenML layer reads a pack (an array of
 * records) and hands out each record fully resolved (base name + name,
 * base time + time, base value + value) as a bw_lwm2m_senml_rec_t; it
 * knows nothing of LwM2M and so also reads the packs of RFC 8428.  The
 * LwM2M layer follows the decoder and writer contracts of
 * bulwark/lwm2m.h: names become paths, numbers become typed values.
 *
 * What this module must never do: allocate, build a tree of the pack, or
 * read one byte past the payload.  Records stream to the callback as each
 * one is complete.  Names are resolved in a small buffer inside the
 * decoder (BW_LWM2M_SENML_NAME_MAX); string values are views into the
 * payload, or into the caller's scratch when they must be transformed
 * (JSON escapes, base64 "vd").
 *
 * Record fields understood (JSON key / CBOR label, RFC 8428 section 6):
 *
 *   bn  -2  base name     text, prepended to n of this and later records
 *   bt  -3  base time     number, added to t
 *   bu  -4  base unit     text, accepted and not used
 *   bv  -5  base value    number, added to v of this and later records
 *   bs  -6  base sum      number, accepted and not used
 *   bver -1 version       unsigned integer, at most 10 (else BW_EVERSION)
 *   n    0  name          text
 *   u    1  unit          text, accepted and not used
 *   v    2  value         number
 *   vs   3  string value  text
 *   vb   4  boolean value true / false
 *   s    5  sum           number, accepted and not used
 *   t    6  time          number
 *   ut   7  update time   number, accepted and not used
 *   vd   8  data value    JSON: base64url without padding; CBOR: bytes
 *   vlo "vlo" object link text "oid:iid" (LwM2M; a text key in CBOR too)
 *
 * In CBOR the text keys above are accepted as well as the integer labels
 * (an item named both ways is a duplicate).  Other keys are ignored,
 * except those ending in '_' (RFC 8428 section 4.4, must understand):
 * BW_EUNSUPPORTED.  A record carries at most one of v, vs, vb, vd, vlo.
 *
 * A record with no value field is delivered with value type NONE.  LwM2M
 * uses such records for the path lists of Read-Composite and
 * Observe-Composite requests; whether one is acceptable is the caller's
 * decision (a Write-Composite handler SHOULD refuse it).
 */
#ifndef BULWARK_LWM2M_SENML_H
#define BULWARK_LWM2M_SENML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/cbor.h"
#include "bulwark/error.h"
#include "bulwark/lwm2m.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Longest base name, name, and resolved name (bn + n) in bytes.  An LwM2M
 * path needs at most 24 ("/65534/65534/65534/65534"); 64 also holds the
 * URN names of RFC 8428 examples.  Longer names are BW_EOVERFLOW in the
 * SenML layer and BW_EPATH in the LwM2M layer (no path is that long).
 */
#define BW_LWM2M_SENML_NAME_MAX 64

/* Highest SenML version understood (RFC 8428 section 4.4: "bver"). */
#define BW_LWM2M_SENML_VERSION 10

/*
 * Deepest nesting read (the JSON tokenizer and the CBOR reader count the
 * same way): a pack is an array of maps; values of ignored keys may nest
 * further, up to 16 levels, past which BW_EDEPTH.
 */
#define BW_LWM2M_SENML_MAX_DEPTH 16

/*
 * Most significant digits in a JSON number (leading and trailing zeros
 * not counted), and longest JSON number token.  A double needs at most 17
 * digits; the limits keep exact rounding in a fixed-size big integer and
 * bound the work per number.  Past them: BW_ERANGE.
 */
#define BW_LWM2M_SENML_JSON_MAX_DIGITS     40
#define BW_LWM2M_SENML_JSON_MAX_NUMBER_LEN 64

/* ------------------------------------------------------------------------
 * SenML layer
 * ------------------------------------------------------------------------ */

/*
 * One resolved record.  name is bn + n (not NUL-terminated; valid until
 * the callback returns).  time is bt + t when either is present.  value
 * is one of:
 *   NONE      no value field
 *   INTEGER   v, integral and in int64 range (JSON: written without
 *             fraction or exponent; CBOR: an integer)
 *   UNSIGNED  v, an integer above INT64_MAX
 *   FLOAT     v, any other number (bv applied: an integer plus a float
 *             base value is a float)
 *   BOOLEAN   vb
 *   STRING    vs (UTF-8 checked)
 *   OPAQUE    vd (decoded bytes)
 *   OBJLNK    vlo
 */
typedef struct {
    const char *name;
    size_t name_len;
    bool has_time;
    double time;
    bw_lwm2m_value_t value;
    /*
     * FLOAT only: the double may differ from the number written (JSON
     * decimal text that is not an integer below 2^53 in magnitude, or a
     * sum with a float bv).  An integer-typed resource refuses it.
     */
    bool rounded;
} bw_lwm2m_senml_rec_t;

/* Nonzero return stops reading: negative passed through, positive
 * becomes BW_EABORTED (as bw_lwm2m_sink_t's record callback). */
typedef int (*bw_lwm2m_senml_fn)(void *ctx, const bw_lwm2m_senml_rec_t *rec);

/*
 * Read a SenML JSON or SenML CBOR pack and deliver each resolved record.
 * scratch (may be NULL with cap 0) receives vs values that contain JSON
 * escapes and vd values; such a view is valid until the callback returns.
 *
 * Returns 0, the callback's code, or:
 *   BW_ETRUNC       the input ends early
 *   BW_EMALFORMED   not JSON / not well-formed CBOR, the pack is not an
 *                   array of maps, two different value fields in a record,
 *                   vd not base64url (padding, alphabet, stray bits), vlo
 *                   not "oid:iid"
 *   BW_ETRAILING    bytes after the pack
 *   BW_EDEPTH       nesting deeper than BW_LWM2M_SENML_MAX_DEPTH
 *   BW_EUTF8        a string that is not UTF-8, an unpaired \u surrogate
 *   BW_EDUPKEY      one field twice in a record
 *   BW_ETYPE        a field of the wrong type (bn a number, v a string)
 *   BW_ERANGE       a number beyond the double range or the digit limits,
 *                   bv + v overflowing int64, vlo ids above 65535
 *   BW_EOVERFLOW    a name or bn + n longer than BW_LWM2M_SENML_NAME_MAX;
 *                   (CBOR) a declared length or count beyond size_t
 *   BW_EVERSION     bver above BW_LWM2M_SENML_VERSION
 *   BW_EUNSUPPORTED a key ending in '_'; CBOR indefinite lengths, tags
 *   BW_ENOSPC       scratch too small for a value
 *   BW_EINVAL       NULL payload with len > 0, NULL fn
 */
int bw_lwm2m_senml_json_read(const uint8_t *payload, size_t len,
                             bw_lwm2m_senml_fn fn, void *ctx, uint8_t *scratch,
                             size_t scratch_cap);
int bw_lwm2m_senml_cbor_read(const uint8_t *payload, size_t len,
                             bw_lwm2m_senml_fn fn, void *ctx, uint8_t *scratch,
                             size_t scratch_cap);

/* ------------------------------------------------------------------------
 * LwM2M layer: decoders (see "The decoder contract" in lwm2m.h)
 * ------------------------------------------------------------------------
 *
 * Each resolved name MUST be an absolute LwM2M path ("/3/0/1") under base
 * (the request path; the root for composite operations), else BW_EPATH.
 * A record with a value MUST name a resource or resource instance (depth
 * 3 or 4), else BW_EPATH; a record without one may name any depth and is
 * delivered as type NONE.
 *
 * Typing.  With sink->type_of answering a type for the path:
 *   INTEGER, TIME   v, integral and in int64 range
 *   UNSIGNED        v, integral, 0 .. UINT64_MAX
 *   FLOAT           v (integers converted, rounded to nearest)
 *   BOOLEAN         vb;  STRING, CORELNK  vs;  OPAQUE  vd;  OBJLNK  vlo
 * a number out of range (or with a fraction, for the integer types) is
 * BW_ERANGE; another value field than the type's is BW_ETYPE.  Without
 * type_of, or when it answers NONE, the SenML layer's types pass through.
 * The time of a record is checked but not delivered.
 *
 * Returns 0, the callback's code, the errors of the SenML layer (an
 * over-long name is BW_EPATH here), BW_EPATH, BW_ETYPE, BW_ERANGE, or
 * BW_EINVAL (NULL base, sink or sink->record).  sink->scratch serves as
 * the scratch above.
 */
int bw_lwm2m_senml_json_decode(const uint8_t *payload, size_t len,
                               const bw_lwm2m_path_t *base,
                               const bw_lwm2m_sink_t *sink);
int bw_lwm2m_senml_cbor_decode(const uint8_t *payload, size_t len,
                               const bw_lwm2m_path_t *base,
                               const bw_lwm2m_sink_t *sink);

/* ------------------------------------------------------------------------
 * LwM2M layer: writers (see "The writer contract" in lwm2m.h)
 * ------------------------------------------------------------------------
 *
 * Names follow the forms of the LwM2M examples:
 *   base "/"            no bn; n is the full path of each record
 *                       [{"n":"/3/0/0","vs":"x"},{"n":"/1/0/1","v":1}]
 *   base /O or /O/I     bn is the record's object instance and a '/',
 *                       written again whenever the instance changes
 *                       [{"bn":"/3/0/","n":"0","vs":"x"},{"n":"6/0","v":1}]
 *   base /O/I/R[/RI]    bn is the base; n the rest, if any
 *                       [{"bn":"/3/0/0","vs":"x"}]
 *
 * Values: INTEGER, TIME -> v integer; UNSIGNED -> v integer; FLOAT -> v
 * (JSON: shortest text that reads back exactly, always with '.' or 'e';
 * CBOR: shortest exact float width); BOOLEAN -> vb; STRING, CORELNK ->
 * vs; OPAQUE -> vd (JSON base64url, no padding; CBOR bytes); OBJLNK ->
 * vlo "oid:iid"; NONE -> a name-only record.  JSON keys and CBOR labels
 * come in the order bn, n, value.
 *
 * add() errors: BW_EPATH (invalid path, not under base, a value at depth
 * below 3), BW_EUTF8 (STRING, CORELNK), BW_ERANGE (JSON: NaN or an
 * infinity, which JSON cannot carry), BW_ETYPE (unknown type),
 * BW_ENOSPC, BW_EINVAL.  begin(): BW_EPATH for an invalid base, BW_EINVAL
 * for a NULL buffer with cap > 0.  Zero records give an empty pack.
 */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bw_lwm2m_path_t base;
    char bn[BW_LWM2M_PATH_STR_MAX + 1]; /* bn in force, with its '/' */
    uint8_t bn_len;
    bool has_bn;
    uint32_t count; /* records added */
    int err;
} bw_lwm2m_senml_json_writer_t;

void bw_lwm2m_senml_json_begin(bw_lwm2m_senml_json_writer_t *w, uint8_t *buf,
                               size_t cap, const bw_lwm2m_path_t *base);
void bw_lwm2m_senml_json_add(bw_lwm2m_senml_json_writer_t *w,
                             const bw_lwm2m_record_t *rec);
int bw_lwm2m_senml_json_finish(bw_lwm2m_senml_json_writer_t *w, size_t *len);

/*
 * The CBOR writer reserves the longest array head (9 bytes) in front and
 * moves the records down over the unused part at finish(), so it needs up
 * to this many bytes beyond the final size.
 */
#define BW_LWM2M_SENML_CBOR_SLACK (BW_CBOR_MAX_HEAD_LEN - 1)

typedef struct {
    bw_cbor_writer_t cw; /* writes after the reserved head */
    uint8_t *buf;
    size_t cap;
    bw_lwm2m_path_t base;
    char bn[BW_LWM2M_PATH_STR_MAX + 1];
    uint8_t bn_len;
    bool has_bn;
    uint32_t count;
    int err;
} bw_lwm2m_senml_cbor_writer_t;

void bw_lwm2m_senml_cbor_begin(bw_lwm2m_senml_cbor_writer_t *w, uint8_t *buf,
                               size_t cap, const bw_lwm2m_path_t *base);
void bw_lwm2m_senml_cbor_add(bw_lwm2m_senml_cbor_writer_t *w,
                             const bw_lwm2m_record_t *rec);
int bw_lwm2m_senml_cbor_finish(bw_lwm2m_senml_cbor_writer_t *w, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_LWM2M_SENML_H */
