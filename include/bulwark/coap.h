/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoAP for constrained devices and busy servers (RFC 7252, 7959, 7641, 6690).
 *
 * This header owns the wire codec: turning a datagram into a validated,
 * zero-copy view (bw_coap_msg_t) and building a datagram into a caller's
 * buffer (bw_coap_writer_t).  The message layer, block-wise transfer,
 * observe and link-format live in their own headers beside this one and
 * build on these types.
 *
 * What this module must never do: allocate, read a clock, touch a socket,
 * or read one byte past the buffer it was given.  A view points into the
 * caller's datagram; the datagram MUST outlive the view.
 *
 * Conventions used in every Bulwark header: MUST/SHALL mark preconditions
 * the caller is responsible for; violating one is a bug and is answered
 * with BW_EINVAL or BW_ESTATE where it can be detected.  Output parameters
 * are left in a defined state (zeroed or unchanged, as documented) when a
 * function fails.
 */
#ifndef BULWARK_COAP_H
#define BULWARK_COAP_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Message types (RFC 7252 section 3). */
enum {
    BW_COAP_CON = 0,
    BW_COAP_NON = 1,
    BW_COAP_ACK = 2,
    BW_COAP_RST = 3,
};

/* Codes: class in the top 3 bits, detail in the low 5 (c.dd). */
#define BW_COAP_CODE(c, dd)       ((uint8_t)(((c) << 5) | (dd)))
#define BW_COAP_CODE_CLASS(code)  ((uint8_t)((code) >> 5))
#define BW_COAP_CODE_DETAIL(code) ((uint8_t)((code)&0x1f))

enum {
    BW_COAP_EMPTY = BW_COAP_CODE(0, 0),
    BW_COAP_GET = BW_COAP_CODE(0, 1),
    BW_COAP_POST = BW_COAP_CODE(0, 2),
    BW_COAP_PUT = BW_COAP_CODE(0, 3),
    BW_COAP_DELETE = BW_COAP_CODE(0, 4),
    BW_COAP_FETCH = BW_COAP_CODE(0, 5),
    BW_COAP_PATCH = BW_COAP_CODE(0, 6),
    BW_COAP_IPATCH = BW_COAP_CODE(0, 7),

    BW_COAP_CREATED = BW_COAP_CODE(2, 1),
    BW_COAP_DELETED = BW_COAP_CODE(2, 2),
    BW_COAP_VALID = BW_COAP_CODE(2, 3),
    BW_COAP_CHANGED = BW_COAP_CODE(2, 4),
    BW_COAP_CONTENT = BW_COAP_CODE(2, 5),
    BW_COAP_CONTINUE = BW_COAP_CODE(2, 31),

    BW_COAP_BAD_REQUEST = BW_COAP_CODE(4, 0),
    BW_COAP_UNAUTHORIZED = BW_COAP_CODE(4, 1),
    BW_COAP_BAD_OPTION = BW_COAP_CODE(4, 2),
    BW_COAP_FORBIDDEN = BW_COAP_CODE(4, 3),
    BW_COAP_NOT_FOUND = BW_COAP_CODE(4, 4),
    BW_COAP_METHOD_NOT_ALLOWED = BW_COAP_CODE(4, 5),
    BW_COAP_NOT_ACCEPTABLE = BW_COAP_CODE(4, 6),
    BW_COAP_REQUEST_INCOMPLETE = BW_COAP_CODE(4, 8),
    BW_COAP_PRECONDITION_FAILED = BW_COAP_CODE(4, 12),
    BW_COAP_REQUEST_TOO_LARGE = BW_COAP_CODE(4, 13),
    BW_COAP_UNSUPPORTED_FORMAT = BW_COAP_CODE(4, 15),

    BW_COAP_INTERNAL_ERROR = BW_COAP_CODE(5, 0),
    BW_COAP_NOT_IMPLEMENTED = BW_COAP_CODE(5, 1),
    BW_COAP_SERVICE_UNAVAILABLE = BW_COAP_CODE(5, 3),
};

/* Option numbers (RFC 7252 section 5.10, RFC 7641, RFC 7959). */
enum {
    BW_COAP_OPT_IF_MATCH = 1,
    BW_COAP_OPT_URI_HOST = 3,
    BW_COAP_OPT_ETAG = 4,
    BW_COAP_OPT_IF_NONE_MATCH = 5,
    BW_COAP_OPT_OBSERVE = 6,
    BW_COAP_OPT_URI_PORT = 7,
    BW_COAP_OPT_LOCATION_PATH = 8,
    BW_COAP_OPT_URI_PATH = 11,
    BW_COAP_OPT_CONTENT_FORMAT = 12,
    BW_COAP_OPT_MAX_AGE = 14,
    BW_COAP_OPT_URI_QUERY = 15,
    BW_COAP_OPT_ACCEPT = 17,
    BW_COAP_OPT_LOCATION_QUERY = 20,
    BW_COAP_OPT_BLOCK2 = 23,
    BW_COAP_OPT_BLOCK1 = 27,
    BW_COAP_OPT_SIZE2 = 28,
    BW_COAP_OPT_PROXY_URI = 35,
    BW_COAP_OPT_PROXY_SCHEME = 39,
    BW_COAP_OPT_SIZE1 = 60,
};

/* An option number is critical when its lowest bit is set (section 5.4.1). */
#define BW_COAP_OPT_IS_CRITICAL(num) (((num)&1u) != 0)

/* Content formats used by LwM2M. */
enum {
    BW_COAP_FMT_TEXT = 0,
    BW_COAP_FMT_LINK = 40,
    BW_COAP_FMT_OPAQUE = 42,
    BW_COAP_FMT_CBOR = 60,
    BW_COAP_FMT_SENML_JSON = 110,
    BW_COAP_FMT_SENML_CBOR = 112,
    BW_COAP_FMT_LWM2M_TLV = 11542,
    BW_COAP_FMT_LWM2M_JSON = 11543,
};

/* Fixed header is 4 bytes; the token at most 8 (section 3). */
#define BW_COAP_HEADER_LEN    4
#define BW_COAP_MAX_TOKEN_LEN 8

/*
 * Largest option value this codec accepts.  The wire format allows up to
 * 65804 bytes; no option defined for CoAP or LwM2M exceeds 1034
 * (Proxy-Uri), so anything longer is treated as malformed rather than
 * letting a peer make us walk a huge, meaningless value.  The parser answers
 * BW_EOVERFLOW for a longer option; the writer refuses one with BW_EINVAL.
 */
#define BW_COAP_MAX_OPTION_LEN 1034

/*
 * A validated, zero-copy view of one CoAP message.
 *
 * Filled by bw_coap_parse().  options/options_len delimit the raw option
 * bytes inside the caller's datagram, already validated, so walking them
 * with bw_coap_opt_next() cannot fail.  Fields are public so sizeof works
 * and tests can inspect them; callers SHOULD use the accessors.
 */
typedef struct {
    uint8_t type;      /* BW_COAP_CON .. BW_COAP_RST */
    uint8_t code;      /* BW_COAP_CODE(c, dd) */
    uint16_t mid;      /* message ID, host order */
    uint8_t token_len; /* 0..8 */
    uint8_t token[BW_COAP_MAX_TOKEN_LEN];
    const uint8_t *options; /* first option byte, or NULL when none */
    size_t options_len;     /* bytes of options, excluding payload marker */
    uint16_t option_count;  /* number of options present */
    const uint8_t *payload; /* NULL when there is no payload */
    size_t payload_len;
} bw_coap_msg_t;

/* One option as seen by the iterator; value points into the datagram. */
typedef struct {
    uint16_t number;
    uint16_t len;
    const uint8_t *value;
} bw_coap_opt_t;

/* Iterator over a parsed message's options, in wire (ascending) order. */
typedef struct {
    const uint8_t *pos;
    const uint8_t *end;
    uint16_t number;
} bw_coap_opt_iter_t;

/*
 * Parse and fully validate one datagram.
 *
 * Checks version 1, token length 0..8, every option's delta and length
 * (nibble 15 is an error outside the payload marker), option numbers not
 * wrapping past 65535, option values not longer than BW_COAP_MAX_OPTION_LEN,
 * the payload marker being followed by at least one byte, and an Empty
 * message (code 0.00) carrying nothing after the message ID.
 *
 * It does not judge whether options are known: see bw_coap_check_critical().
 *
 * Checks run in this order, so one datagram has one answer: header shorter
 * than 4 bytes (BW_ETRUNC); version not 1 (BW_EVERSION); TKL 9..15
 * (BW_ETOKEN); an Empty message with a token or any byte after the message
 * ID (BW_EMALFORMED); token cut short (BW_ETRUNC); then each option in
 * turn: a reserved nibble 15 in delta or length (BW_EOPTION), extended
 * delta bytes missing (BW_ETRUNC), number past 65535 (BW_EOVERFLOW),
 * extended length bytes missing (BW_ETRUNC), length above
 * BW_COAP_MAX_OPTION_LEN (BW_EOVERFLOW, even when the value is also cut
 * short), value cut short (BW_ETRUNC); more than 65535 options
 * (BW_EOVERFLOW); a payload marker as the last byte (BW_EPAYLOAD).
 *
 * msg:  OUT, zeroed on failure.
 * buf:  the datagram; MUST stay valid while msg is used.
 * Returns 0, or BW_ETRUNC, BW_EVERSION, BW_ETOKEN, BW_EOPTION,
 * BW_EOVERFLOW, BW_EPAYLOAD, BW_EMALFORMED, or BW_EINVAL (msg NULL, or buf
 * NULL with len > 0).
 */
int bw_coap_parse(bw_coap_msg_t *msg, const uint8_t *buf, size_t len);

/* Start iterating msg's options. */
void bw_coap_opt_iter_init(bw_coap_opt_iter_t *it, const bw_coap_msg_t *msg);

/*
 * Next option, or 0 when done.  Returns 1 and fills opt when there is one.
 * Only meaningful on a message that bw_coap_parse() accepted; on any other
 * view it stops (returns 0) at the first byte it cannot decode and never
 * reads outside options .. options + options_len.
 */
int bw_coap_opt_next(bw_coap_opt_iter_t *it, bw_coap_opt_t *opt);

/*
 * First option with this number.  Returns 0 and fills opt, or BW_ENOTFOUND
 * (opt zeroed), or BW_EINVAL when msg or opt is NULL.
 */
int bw_coap_opt_find(const bw_coap_msg_t *msg, uint16_t number,
                     bw_coap_opt_t *opt);

/*
 * Decode a uint option value (0..4 bytes, big endian, leading zeros
 * allowed on receive).  Returns 0, or BW_EOVERFLOW if longer than 4 bytes,
 * or BW_EINVAL for NULL arguments.  *value is 0 on failure.
 */
int bw_coap_opt_uint(const bw_coap_opt_t *opt, uint32_t *value);

/*
 * Find option `number` and decode it as a uint.  Returns 0, BW_ENOTFOUND,
 * BW_EOVERFLOW or BW_EINVAL.  *value is 0 on failure.
 */
int bw_coap_msg_uint(const bw_coap_msg_t *msg, uint16_t number,
                     uint32_t *value);

/*
 * Reject messages carrying a critical option the caller does not know
 * (RFC 7252 section 5.4.1).  known is a list of option numbers the caller
 * handles.  Returns 0, or BW_ECRITICAL with *bad set to the first offender
 * (bad may be NULL; it is 0 when there is none), or BW_EINVAL when msg is
 * NULL or known is NULL with known_count > 0.
 */
int bw_coap_check_critical(const bw_coap_msg_t *msg, const uint16_t *known,
                           size_t known_count, uint16_t *bad);

/*
 * Builder for one datagram in a caller buffer.
 *
 * Usage: init, add options in non-decreasing number order, optionally a
 * payload, then finish.  Errors are sticky: once a call fails, later calls
 * do nothing and finish() returns the first error.  So callers may chain
 * calls and check once.
 *
 *   bw_coap_writer_t w;
 *   bw_coap_writer_init(&w, buf, sizeof buf, BW_COAP_CON, BW_COAP_GET,
 *                       mid, token, token_len);
 *   bw_coap_writer_add_opt(&w, BW_COAP_OPT_URI_PATH, "rd", 2);
 *   bw_coap_writer_add_uint(&w, BW_COAP_OPT_CONTENT_FORMAT, 11542);
 *   bw_coap_writer_payload(&w, body, body_len);
 *   int err = bw_coap_writer_finish(&w, &len);
 *
 * Errors: BW_ENOSPC when the next piece does not fit (nothing of it is
 * written; the builder never writes at or past cap); BW_EORDER for an
 * option number lower than the previous one or any option after payload;
 * BW_EINVAL for a token longer than 8 bytes, a type above 3, a NULL buffer
 * or value with a non-zero length, an option value longer than
 * BW_COAP_MAX_OPTION_LEN, or a token, option or payload on an Empty
 * message (code 0.00), which must be the bare header (section 4.1).
 */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint16_t last_opt;
    uint8_t has_payload;
    int err;
} bw_coap_writer_t;

void bw_coap_writer_init(bw_coap_writer_t *w, uint8_t *buf, size_t cap,
                         uint8_t type, uint8_t code, uint16_t mid,
                         const uint8_t *token, size_t token_len);

/* Add an option; numbers MUST be non-decreasing (else BW_EORDER). */
void bw_coap_writer_add_opt(bw_coap_writer_t *w, uint16_t number,
                            const void *value, size_t len);

/* Add a uint option in its shortest encoding (0 is zero bytes). */
void bw_coap_writer_add_uint(bw_coap_writer_t *w, uint16_t number,
                             uint32_t value);

/*
 * Append payload bytes (may be called more than once; the marker is
 * written once).  A zero-length call writes nothing.  After a payload, no
 * more options may be added (BW_EORDER).
 */
void bw_coap_writer_payload(bw_coap_writer_t *w, const void *data, size_t len);

/*
 * Returns the sticky error, or 0 and the datagram length in *len (0 on
 * failure).  BW_EINVAL when w or len is NULL.
 */
int bw_coap_writer_finish(const bw_coap_writer_t *w, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_COAP_H */
