/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small, bounded CBOR reader and writer (RFC 8949) for the subset that
 * SenML CBOR (RFC 8428), COSE_Sign1 (RFC 9052) and update manifests need.
 *
 * The reader walks a complete buffer in pull style: the caller asks what
 * comes next (bw_cbor_peek()) and reads one item at a time.  There is no
 * tree: the context holds one counter per open array or map, so reading
 * costs a fixed amount of memory whatever the input claims.  Byte and text
 * strings are returned as views into the caller's buffer.  The writer
 * appends items to a caller buffer in deterministic (shortest) form.
 *
 * What this module must never do: allocate, recurse on input, loop on a
 * count the input declared without first checking it against the bytes
 * that are actually there, or read one byte past the buffer it was given.
 * A view points into the caller's buffer; the buffer MUST outlive the view.
 *
 * Supported: unsigned and negative integers (full 64-bit range), byte
 * strings, UTF-8 text strings (validated), definite-length arrays and maps,
 * tags, half/single/double floats, and the simple values false, true, null
 * and undefined.  Not supported: indefinite lengths and every other simple
 * value.
 *
 * Every item starts with one initial byte:
 *
 *     7   6   5   4   3   2   1   0
 *   +-----------+-------------------+
 *   |   major   | additional info   |   then 0, 1, 2, 4 or 8 bytes of
 *   |  (0..7)   |     (0..31)       |   argument, big endian
 *   +-----------+-------------------+
 *
 *   additional info  0..23  the argument itself
 *                   24..27  argument follows in 1, 2, 4, 8 bytes
 *                   28..30  reserved: not well-formed  -> BW_EMALFORMED
 *                       31  indefinite length (majors 2..5) -> BW_EUNSUPPORTED
 *                           otherwise not well-formed  -> BW_EMALFORMED
 *
 *   major 0 uint     argument is the value
 *   major 1 nint     value is -1 - argument
 *   major 2 bytes    argument is the length, the bytes follow
 *   major 3 text     argument is the length, UTF-8 follows
 *   major 4 array    argument is the number of items that follow
 *   major 5 map      argument is the number of key/value pairs that follow
 *   major 6 tag      argument is the tag number, one item (the content)
 *                    follows
 *   major 7 simple   20 false, 21 true, 22 null, 23 undefined,
 *                    25/26/27 half/single/double float (IEEE 754)
 *
 * Conventions used in every Bulwark header: MUST/SHALL mark preconditions
 * the caller is responsible for; violating one is a bug and is answered
 * with BW_EINVAL or BW_ESTATE where it can be detected.  Output parameters
 * are zeroed when a function fails.
 */
#ifndef BULWARK_CBOR_H
#define BULWARK_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Deepest nesting of arrays and maps the reader accepts (BW_EDEPTH past
 * it).  SenML needs 2 (an array of maps), COSE_Sign1 with its header maps
 * 3, SUIT-style manifests 6 to 8; 16 leaves room for those while keeping
 * the reader context small (one size_t counter per level) and bounding
 * the work a hostile nesting bomb can cause.  Tags do not count as
 * nesting.
 */
#define BW_CBOR_MAX_DEPTH 16

/* Longest item head: the initial byte and an 8-byte argument. */
#define BW_CBOR_MAX_HEAD_LEN 9

/* What the next item is, as reported by bw_cbor_peek(). */
typedef enum {
    /*
     * No next item: the innermost open array or map has no items left
     * (call bw_cbor_leave()), or, outside any container, the input is
     * used up.
     */
    BW_CBOR_END = 0,
    BW_CBOR_UINT,      /* major 0: bw_cbor_read_uint(), bw_cbor_read_int() */
    BW_CBOR_NINT,      /* major 1: bw_cbor_read_int(), bw_cbor_read_nint() */
    BW_CBOR_BYTES,     /* major 2: bw_cbor_read_bytes() */
    BW_CBOR_TEXT,      /* major 3: bw_cbor_read_text() */
    BW_CBOR_ARRAY,     /* major 4: bw_cbor_enter_array() */
    BW_CBOR_MAP,       /* major 5: bw_cbor_enter_map() */
    BW_CBOR_TAG,       /* major 6: bw_cbor_read_tag() */
    BW_CBOR_FLOAT,     /* major 7, half/single/double: bw_cbor_read_double() */
    BW_CBOR_BOOL,      /* major 7, false/true: bw_cbor_read_bool() */
    BW_CBOR_NULL,      /* major 7, null: bw_cbor_read_null() */
    BW_CBOR_UNDEFINED, /* major 7, undefined: bw_cbor_read_undefined() */
} bw_cbor_kind_t;

/*
 * Reader over one complete buffer holding a CBOR sequence (RFC 8742): zero
 * or more top-level items back to back.  Most formats hold exactly one;
 * read it, then call bw_cbor_finish(), which rejects anything after it.
 *
 * Fields are private by agreement.  The context holds no pointer into
 * itself, so it may be copied: a copy is a bookmark the caller can return
 * to (for example to look ahead in a map, then read it again).
 *
 * Errors.  The first failure is sticky (as in BearSSL): the code is kept
 * in the context and every later call fails with it, so a caller may run a
 * whole decode and check the result once.  Two answers are not failures
 * and are NOT sticky, because they say nothing bad about the input:
 *
 *   BW_ETYPE   the next item is well-formed but of another kind than the
 *              call reads (read_uint on a text string);
 *   BW_ERANGE  the next item is of the right kind but its value does not
 *              fit the type asked for (read_int on 2^63).
 *
 * Both leave the item unconsumed, so the caller can read it another way.
 *
 * Containers.  bw_cbor_enter_array()/bw_cbor_enter_map() open a container
 * and report its size; the reader then counts down its items (a map of n
 * pairs holds 2n items: key, value, key, value...).  When the count
 * reaches zero, bw_cbor_peek() answers BW_CBOR_END and the caller MUST
 * call bw_cbor_leave().  Reading past the end of a container, or leaving
 * one with items unread, is BW_ESTATE; bw_cbor_skip_rest() discards the
 * unread items first.
 *
 * Tags.  bw_cbor_read_tag() consumes only the tag number; the tagged item
 * that follows is read as usual, and the tag and its content count as one
 * item of the enclosing container.
 *
 * Malformed input is detected as early as possible: the head of the next
 * item is checked by bw_cbor_peek() and by every read, including its
 * declared length or count against the bytes left in the buffer, so a
 * 9-byte input declaring 2^64 array items fails at once with BW_ETRUNC.
 *
 *   bw_cbor_reader_t r;
 *   size_t n;
 *   uint64_t v;
 *   bw_cbor_reader_init(&r, buf, len);
 *   bw_cbor_enter_array(&r, &n);
 *   for (size_t i = 0; i < n; i++)
 *       bw_cbor_read_uint(&r, &v);
 *   bw_cbor_leave(&r);
 *   int err = bw_cbor_finish(&r);
 */
typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t pos;     /* next unread byte */
    int err;        /* sticky error, 0 while healthy */
    uint8_t depth;  /* open containers, 0..BW_CBOR_MAX_DEPTH */
    uint8_t tagged; /* a tag was read and its content is still due */
    size_t left[BW_CBOR_MAX_DEPTH]; /* items still unread, per open level */
} bw_cbor_reader_t;

/*
 * Start reading buf[0..len).  buf MUST stay valid, unchanged, while the
 * reader and any view it returned are in use.  buf may be NULL only when
 * len is 0; otherwise the reader fails every call with BW_EINVAL.
 */
void bw_cbor_reader_init(bw_cbor_reader_t *r, const uint8_t *buf, size_t len);

/*
 * Kind of the next item, without consuming it.
 *
 * Checks the item's head: reserved additional information, unsupported
 * simple values and indefinite lengths, and declared lengths and counts
 * against the bytes left.  It does not validate a text string's UTF-8
 * (bw_cbor_read_text() does) nor look inside containers.
 *
 * kind: OUT, BW_CBOR_END when the current container (or the input, at top
 *       level) has no item left; set to BW_CBOR_END on failure.
 * Returns 0, or the sticky error, or
 *   BW_ETRUNC        head or declared payload runs past the input, or the
 *                    input ended inside a container or after a tag;
 *   BW_EMALFORMED    not well-formed (additional info 28..30, 31 on a major
 *                    type without indefinite form, simple value below 32
 *                    in two-byte form);
 *   BW_EUNSUPPORTED  well-formed but outside the subset (indefinite
 *                    length, simple values other than the four above);
 *   BW_EOVERFLOW     a length or count too big for size_t (a map of more
 *                    than SIZE_MAX/2 pairs, any length > SIZE_MAX);
 *   BW_EINVAL        r or kind is NULL, or the reader was given a NULL
 *                    buffer with a non-zero length.
 */
int bw_cbor_peek(bw_cbor_reader_t *r, bw_cbor_kind_t *kind);

/*
 * Typed reads.  Each consumes exactly one item of its kind and returns 0,
 * or one of:
 *   BW_ETYPE   (not sticky, item not consumed) the next item is of
 *              another kind;
 *   BW_ERANGE  (not sticky, item not consumed) its value does not fit;
 *   BW_ESTATE  there is no next item: the innermost container has no
 *              items left (bw_cbor_peek() would say BW_CBOR_END);
 *   BW_ETRUNC  there is no next item because the input is used up (top
 *              level), or the item runs past the input;
 *   any other error bw_cbor_peek() can return.
 * The output is zeroed on every failure.
 */

/* Unsigned integer (major 0).  A negative integer is BW_ETYPE. */
int bw_cbor_read_uint(bw_cbor_reader_t *r, uint64_t *value);

/*
 * Integer of either sign (major 0 or 1) as int64_t.  BW_ERANGE for an
 * unsigned value above INT64_MAX or a negative one below INT64_MIN.
 */
int bw_cbor_read_int(bw_cbor_reader_t *r, int64_t *value);

/*
 * Negative integer (major 1) in raw form: the value is -1 - *n.  Covers
 * the whole range down to -2^64, which int64_t cannot hold.
 */
int bw_cbor_read_nint(bw_cbor_reader_t *r, uint64_t *n);

/*
 * Byte string (major 2): *data points into the reader's buffer, *len
 * bytes.  *data is non-NULL on success even when *len is 0.
 */
int bw_cbor_read_bytes(bw_cbor_reader_t *r, const uint8_t **data, size_t *len);

/*
 * Text string (major 3): *text points into the reader's buffer, *len
 * bytes, NOT NUL-terminated.  The bytes are checked to be valid UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF, no
 * truncated sequence); on failure BW_EUTF8 (sticky).
 */
int bw_cbor_read_text(bw_cbor_reader_t *r, const char **text, size_t *len);

/*
 * Half, single or double float (major 7, additional info 25..27) as a
 * double.  Every value converts exactly, half-precision subnormals,
 * infinities and NaN included.  Integers are BW_ETYPE: a caller that takes
 * either peeks first.
 */
int bw_cbor_read_double(bw_cbor_reader_t *r, double *value);

/* false or true. */
int bw_cbor_read_bool(bw_cbor_reader_t *r, bool *value);

/* null; undefined is BW_ETYPE. */
int bw_cbor_read_null(bw_cbor_reader_t *r);

/* undefined; null is BW_ETYPE. */
int bw_cbor_read_undefined(bw_cbor_reader_t *r);

/*
 * Tag number (major 6).  Only the tag is consumed; the tagged item is next
 * and MUST be read (or skipped) before the enclosing container is left.
 */
int bw_cbor_read_tag(bw_cbor_reader_t *r, uint64_t *tag);

/*
 * Open an array (major 4) and report its item count, or a map (major 5)
 * and report its number of key/value pairs.  The reader then expects
 * exactly that many items (twice as many for a map) before bw_cbor_leave().
 * Besides the typed-read errors: BW_EDEPTH when BW_CBOR_MAX_DEPTH
 * containers are already open.
 */
int bw_cbor_enter_array(bw_cbor_reader_t *r, size_t *count);
int bw_cbor_enter_map(bw_cbor_reader_t *r, size_t *pairs);

/*
 * Close the innermost open container.  Returns 0, the sticky error, or
 * BW_ESTATE when no container is open or it still has unread items.
 */
int bw_cbor_leave(bw_cbor_reader_t *r);

/*
 * Skip the next item whole: a tag with its content, a container with
 * everything inside it.  Iterative and bounded: it checks what a full walk
 * would (well-formedness, declared lengths, UTF-8 of text strings, nesting
 * within BW_CBOR_MAX_DEPTH counted from the current depth), so an input is
 * accepted or rejected the same way whether it is read or skipped.
 * Returns 0, or any error a typed read returns except BW_ETYPE/BW_ERANGE,
 * plus BW_EUTF8 and BW_EDEPTH.
 */
int bw_cbor_skip(bw_cbor_reader_t *r);

/*
 * Skip like bw_cbor_skip() and also report the item's encoded bytes
 * (head included; a tag's content included): a view into the reader's
 * buffer, suitable for hashing or for bw_cbor_write_raw().  Outputs are
 * zeroed on failure.
 */
int bw_cbor_read_raw(bw_cbor_reader_t *r, const uint8_t **data, size_t *len);

/*
 * Skip every unread item of the innermost open container, so that
 * bw_cbor_leave() can follow.  Returns 0, bw_cbor_skip()'s errors, or
 * BW_ESTATE when no container is open.
 */
int bw_cbor_skip_rest(bw_cbor_reader_t *r);

/* Current depth: number of open containers, 0 at top level. */
size_t bw_cbor_depth(const bw_cbor_reader_t *r);

/* The sticky error, or 0. */
int bw_cbor_reader_error(const bw_cbor_reader_t *r);

/*
 * Check that the input was read completely: every container left, no tag
 * waiting for its content, no byte after the last item.  Returns 0, the
 * sticky error, or
 *   BW_ETRUNC     a container is still open or a tag has no content yet
 *                 (whether the bytes are missing or were not read);
 *   BW_ETRAILING  bytes remain after the last item read.
 * A failure here becomes the sticky error.
 */
int bw_cbor_finish(bw_cbor_reader_t *r);

/*
 * Writer into a caller buffer.
 *
 * Every item is written in deterministic form (RFC 8949 section 4.2.1):
 * each argument in its shortest head, each float in the shortest width
 * that holds it exactly.  The writer does not count container items: the
 * caller writes exactly the number of items it announced.
 *
 * Errors are sticky: after the first failure later calls write nothing and
 * bw_cbor_writer_finish() returns the first error.  Running out of room
 * (BW_ENOSPC) is the exception that still measures: the writer stops
 * writing but keeps adding up lengths, so finish reports the size the
 * whole encoding needs; an error of another kind found later (a bug in
 * the caller's data) replaces it.  The writer never writes at or beyond
 * buf + cap.
 * A writer initialised with (NULL, 0) is a pure size counter.
 *
 *   bw_cbor_writer_t w;
 *   bw_cbor_writer_init(&w, buf, sizeof buf);
 *   bw_cbor_write_array(&w, 2);
 *   bw_cbor_write_uint(&w, 1);
 *   bw_cbor_write_text(&w, "a", 1);
 *   int err = bw_cbor_writer_finish(&w, &len);
 */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len; /* bytes written, or needed once err is BW_ENOSPC */
    int err;    /* sticky error, 0 while healthy */
} bw_cbor_writer_t;

/* buf may be NULL only with cap 0 (else every call fails: BW_EINVAL). */
void bw_cbor_writer_init(bw_cbor_writer_t *w, uint8_t *buf, size_t cap);

void bw_cbor_write_uint(bw_cbor_writer_t *w, uint64_t value);
void bw_cbor_write_int(bw_cbor_writer_t *w, int64_t value);

/* Negative integer -1 - n (the whole range down to -2^64). */
void bw_cbor_write_nint(bw_cbor_writer_t *w, uint64_t n);

/* data may be NULL when len is 0 (else BW_EINVAL). */
void bw_cbor_write_bytes(bw_cbor_writer_t *w, const void *data, size_t len);

/* text MUST be valid UTF-8 (else BW_EUTF8); may be NULL when len is 0. */
void bw_cbor_write_text(bw_cbor_writer_t *w, const char *text, size_t len);

/* Heads only: the caller then writes count items, or 2 * pairs. */
void bw_cbor_write_array(bw_cbor_writer_t *w, size_t count);
void bw_cbor_write_map(bw_cbor_writer_t *w, size_t pairs);

/* Tag head: the caller then writes exactly one item, the content. */
void bw_cbor_write_tag(bw_cbor_writer_t *w, uint64_t tag);

void bw_cbor_write_bool(bw_cbor_writer_t *w, bool value);
void bw_cbor_write_null(bw_cbor_writer_t *w);
void bw_cbor_write_undefined(bw_cbor_writer_t *w);

/*
 * Float in the shortest exact width: half if the value survives the round
 * trip through half precision, else single if it survives that, else
 * double.  Infinities are written as half; every NaN as the half quiet
 * NaN f9 7e 00 (its payload and sign are not kept).
 */
void bw_cbor_write_double(bw_cbor_writer_t *w, double value);

/*
 * Append bytes that are already CBOR (for example from bw_cbor_read_raw()
 * or a cached encoding) as they are; the writer does not check them.
 * data may be NULL when len is 0 (else BW_EINVAL).
 */
void bw_cbor_write_raw(bw_cbor_writer_t *w, const void *data, size_t len);

/*
 * Result of the whole write.  Returns 0 and the encoded length in *len;
 * BW_ENOSPC with *len set to the length the encoding needs; or the first
 * other error (BW_EINVAL, BW_EUTF8, BW_EOVERFLOW when the total length
 * would pass SIZE_MAX) with *len set to 0.  len may be NULL.
 */
int bw_cbor_writer_finish(const bw_cbor_writer_t *w, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_CBOR_H */
