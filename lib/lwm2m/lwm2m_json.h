/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small, bounded JSON tokenizer (RFC 8259), private to lib/lwm2m.
 *
 * It exists for SenML JSON (content format 110) and owns nothing but a
 * cursor into the caller's payload and a tiny container stack.  It is a
 * pull tokenizer: each call to bw_lwm2m__json_next() returns the next
 * token and checks the grammar on the way (commas, colons, matching
 * brackets, one top-level value, nothing but whitespace after it).  It
 * never builds a tree and never copies: a string token points at its raw
 * bytes between the quotes; when those contain escapes the caller
 * unescapes them into a scratch buffer of its own.
 *
 * What it must never do: allocate, keep state outside the context, call
 * locale-dependent libc (its number parsing and printing), or read past
 * the payload.
 *
 * Everything the tokenizer returns has been validated: string bytes are
 * well-formed UTF-8, escapes are well-formed and \uXXXX surrogates are
 * paired, numbers follow the JSON grammar.  So unescaping a string token
 * it produced cannot fail except for lack of room.
 */
#ifndef BW_LWM2M_JSON_H
#define BW_LWM2M_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

/*
 * Deepest container nesting accepted.  SenML needs two levels (an array of
 * record objects); unknown keys may carry nested values that are skipped,
 * and 16 levels leave room for any sane extension.  The stack of container
 * kinds is one bit per level in a 32-bit word, so the limit also bounds
 * the context size.  Deeper input is answered with BW_EDEPTH.
 */
#define BW_LWM2M_JSON_MAX_DEPTH 16

/*
 * Most significant decimal digits accepted in one number (leading and
 * trailing zeros do not count).  A double needs at most 17 to round-trip
 * and no encoder emits more than a few dozen; the bound keeps the exact
 * decimal-to-binary rounding in a small fixed-size big integer.  Longer
 * numbers are answered with BW_ERANGE.
 */
#define BW_LWM2M_JSON_MAX_DIGITS 40

/*
 * Longest number token, in bytes.  Bounds the work spent on a number
 * made of zeros ("0.000...0001" or "1e0000...1") that the digit limit
 * would not catch.  Longer tokens are answered with BW_ERANGE.
 */
#define BW_LWM2M_JSON_MAX_NUMBER_LEN 64

/* Token types. */
typedef enum {
    BW_LWM2M_JSON_NONE = 0,
    BW_LWM2M_JSON_OBJECT,     /* '{' */
    BW_LWM2M_JSON_OBJECT_END, /* '}' */
    BW_LWM2M_JSON_ARRAY,      /* '[' */
    BW_LWM2M_JSON_ARRAY_END,  /* ']' */
    BW_LWM2M_JSON_KEY,        /* a member name; str/str_len/escaped set */
    BW_LWM2M_JSON_STRING,     /* a string value; str/str_len/escaped set */
    BW_LWM2M_JSON_NUMBER,     /* num_kind and i/u/d set */
    BW_LWM2M_JSON_TRUE,
    BW_LWM2M_JSON_FALSE,
    BW_LWM2M_JSON_NULL,
    BW_LWM2M_JSON_END, /* the top-level value is complete, nothing follows */
} bw_lwm2m_json_type_t;

/* How a number token was converted. */
typedef enum {
    /* No fraction, no exponent, fits int64: in i (and in d). */
    BW_LWM2M_JSON_INT = 1,
    /* No fraction, no exponent, above INT64_MAX but fits uint64: in u. */
    BW_LWM2M_JSON_UINT,
    /* Anything else: correctly rounded (ties to even) double in d. */
    BW_LWM2M_JSON_FLOAT,
} bw_lwm2m_json_num_t;

typedef struct {
    uint8_t type;       /* bw_lwm2m_json_type_t */
    uint8_t num_kind;   /* bw_lwm2m_json_num_t, for NUMBER */
    bool escaped;       /* STRING/KEY: raw bytes contain at least one '\' */
    bool integral;      /* NUMBER: the decimal value is an integer */
    const uint8_t *str; /* STRING/KEY: raw bytes between the quotes */
    size_t str_len;
    int64_t i;
    uint64_t u;
    double d;
    size_t offset; /* where the token starts in the payload */
} bw_lwm2m_json_tok_t;

/*
 * Tokenizer context.  Fields private; the payload pointer is the only
 * pointer held, so the context can be copied.
 */
typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    uint32_t stack; /* bit d-1 set: level d is an object, else an array */
    uint8_t depth;
    uint8_t expect; /* private grammar state */
    int err;        /* sticky first error */
} bw_lwm2m_json_t;

/* Start tokenizing buf[0..len).  buf MUST outlive every token. */
void bw_lwm2m__json_init(bw_lwm2m_json_t *js, const uint8_t *buf, size_t len);

/*
 * Next token into *tok.  Returns 0, or (sticky: later calls return the
 * same code):
 *   BW_ETRUNC      input ended inside a value
 *   BW_EMALFORMED  grammar violation, bad literal, bad escape, control
 *                  character in a string, number not per the grammar
 *   BW_EUTF8       invalid UTF-8 in a string, or an unpaired surrogate
 *                  escape
 *   BW_EDEPTH      nesting deeper than BW_LWM2M_JSON_MAX_DEPTH
 *   BW_ERANGE      number beyond the double range, or longer than the
 *                  digit/length limits above
 *   BW_ETRAILING   anything but whitespace after the top-level value
 * After END, further calls return END again.
 */
int bw_lwm2m__json_next(bw_lwm2m_json_t *js, bw_lwm2m_json_tok_t *tok);

/*
 * Skip the value that starts with tok (just returned by next): a scalar
 * is already consumed; for OBJECT/ARRAY consume up to its matching end.
 * Returns 0 or any error of bw_lwm2m__json_next().
 */
int bw_lwm2m__json_skip(bw_lwm2m_json_t *js, const bw_lwm2m_json_tok_t *tok);

/*
 * Decode one code point of a validated raw string (a STRING/KEY token's
 * str/str_len) starting at *pos; advance *pos.  Returns the code point,
 * or -1 at the end of the string or on invalid bytes (never for a string
 * the tokenizer produced).
 */
int32_t bw_lwm2m__json_cp_next(const uint8_t *raw, size_t len, size_t *pos);

/*
 * Unescape a STRING/KEY token into out[0..cap) as UTF-8 (no terminator).
 * *out_len gets the decoded length.  Returns 0, BW_ENOSPC when it does not
 * fit (*out_len then is 0), or BW_EMALFORMED for bytes the tokenizer would
 * not have produced.
 */
int bw_lwm2m__json_unescape(const bw_lwm2m_json_tok_t *tok, uint8_t *out,
                            size_t cap, size_t *out_len);

/* True when the decoded string of a STRING/KEY token equals lit (ASCII). */
bool bw_lwm2m__json_str_eq(const bw_lwm2m_json_tok_t *tok, const char *lit);

/*
 * Format a finite double as the shortest JSON number that reads back as
 * exactly the same double (under correct rounding).  Always contains '.'
 * or 'e' so a reader can tell it from an integer.  Writes at most
 * BW_LWM2M_JSON_DOUBLE_MAX bytes, no terminator; returns the length, or 0
 * for NaN and infinities, which JSON cannot carry.
 */
#define BW_LWM2M_JSON_DOUBLE_MAX 32
size_t bw_lwm2m__json_fmt_double(double v, char out[BW_LWM2M_JSON_DOUBLE_MAX]);

#endif /* BW_LWM2M_JSON_H */
