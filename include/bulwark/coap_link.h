/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CoRE Link Format (RFC 6690, application/link-format, content format 40):
 * the payload of GET /.well-known/core, of the LwM2M Register and Update
 * requests, and of LwM2M Discover and Bootstrap-Discover responses.
 *
 * This header owns three things:
 *
 *   - a parser that validates a whole payload, then hands each link to a
 *     callback as a zero-copy view (target without the angle brackets,
 *     then its attributes through an iterator);
 *   - typed readers for attribute values, including the LwM2M 1.1 Core
 *     attributes (ssid, ver, lwm2m, dim, uri, pmin, pmax, gt, lt, st,
 *     epmin, epmax) and the CoRE ones LwM2M relies on (ct, rt, obs);
 *   - a writer with a sticky error that emits a payload such as
 *       </>;rt="oma.lwm2m";ct=11542,</1/0>,</3/0>;ver=1.1
 *     into a caller's buffer.
 *
 * What it must never do: allocate, copy a value the caller did not ask to
 * have copied, or read past the payload it was given.  Views point into
 * the caller's payload, which MUST outlive them.
 *
 * Grammar accepted (RFC 6690 section 2, which takes RFC 5988's link-value
 * without its implied whitespace; RFC 2616 quoted-string):
 *
 *   Link        = [ link-value *( "," link-value ) ]
 *   link-value  = "<" URI-Reference ">" *( ";" link-param )
 *   link-param  = parmname [ "*" ] [ "=" ( ptoken / quoted-string ) ]
 *   parmname    = 1*( ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-"
 *                     / "." / "^" / "_" / "`" / "|" / "~" )
 *   ptoken      = 1*ptokenchar   (printable ASCII except SP , ; " \)
 *   quoted-string = DQUOTE *( qdtext / "\" qchar ) DQUOTE
 *
 * The URI-Reference holds only RFC 3986 characters, with every "%"
 * followed by two hex digits.  qdtext is any byte but DQUOTE, backslash
 * and control characters other than HT, and together the quoted bytes
 * MUST be valid UTF-8.  qchar is printable ASCII, SP or HT: RFC 2616
 * would also allow an escaped control character, which this parser
 * refuses so that no NUL or escape sequence can hide in a value.  No
 * whitespace is allowed outside quoted strings (RFC 6690's examples break
 * lines for readability only).  An empty payload is a valid, empty list.
 */
#ifndef BULWARK_COAP_LINK_H
#define BULWARK_COAP_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest number of links a payload may hold, and attributes per link:
 * counters are 16 bits, and no LwM2M client has more than a few hundred
 * object instances and resources to list.  More is BW_EOVERFLOW. */
#define BW_COAP_LINK_MAX_LINKS 65535u
#define BW_COAP_LINK_MAX_ATTRS 65535u

/* How an attribute carries its value. */
enum {
    BW_COAP_LINK_BARE = 0,   /* ";obs": no value */
    BW_COAP_LINK_TOKEN = 1,  /* ";ct=40" */
    BW_COAP_LINK_QUOTED = 2, /* ";rt=\"oma.lwm2m\"" */
};

/*
 * One link, as handed to the callback.  params covers the validated
 * ";name=value..." text after the target (NULL when there is none); walk
 * it with bw_coap_link_attr_iter_init()/bw_coap_link_attr_next().
 */
typedef struct {
    const char *target; /* URI-Reference without "<" ">"; may be empty */
    size_t target_len;
    const char *params; /* first ";" or NULL */
    size_t params_len;
    uint16_t index;      /* 0 for the first link of the payload */
    uint16_t attr_count; /* number of link-params */
} bw_coap_link_t;

/*
 * One attribute.  value points at the token, or at the text between the
 * quotes with any backslash escapes still in place: when escaped is 0 the
 * view is the value itself, else bw_coap_link_attr_copy() resolves the
 * escapes into a caller buffer.  A bare attribute has value NULL.
 */
typedef struct {
    const char *name; /* parmname, including a trailing "*" if present */
    size_t name_len;
    const char *value;
    size_t value_len;
    uint8_t kind;    /* BW_COAP_LINK_BARE / _TOKEN / _QUOTED */
    uint8_t escaped; /* quoted value contains backslash escapes */
} bw_coap_link_attr_t;

typedef struct {
    const char *pos;
    const char *end;
} bw_coap_link_attr_iter_t;

/*
 * Called once per link, in payload order.  Return 0 to go on.  A negative
 * value stops parsing and bw_coap_link_parse() returns it unchanged; a
 * positive one stops it with BW_EABORTED.  link and the views it holds are
 * valid while the payload is.
 */
typedef int (*bw_coap_link_cb_t)(void *arg, const bw_coap_link_t *link);

/*
 * Validate the whole payload, then call cb for each link.  The callback
 * never sees a link of a payload that turns out to be malformed further
 * on: validation is a first pass over all of it.  cb may be NULL to
 * validate only.
 *
 * Errors, by what was found:
 *   BW_ETRUNC      input ends inside a link: after "<", ";", "=" or ",",
 *                  in the target, or inside a quoted string;
 *   BW_EMALFORMED  a byte the grammar does not allow where it stands
 *                  (no "<", bad URI character or "%" escape, empty or
 *                  bad parmname, empty value, whitespace, control or
 *                  non-ASCII byte outside quotes, bad escape, anything but
 *                  ";" "," or the end after a complete item);
 *   BW_EUTF8       quoted bytes that are not valid UTF-8;
 *   BW_EOVERFLOW   more than BW_COAP_LINK_MAX_LINKS links or
 *                  BW_COAP_LINK_MAX_ATTRS attributes in one link;
 *   BW_EABORTED    or the callback's own negative code (see above);
 *   BW_EINVAL      buf NULL with len > 0.
 */
int bw_coap_link_parse(const char *buf, size_t len, bw_coap_link_cb_t cb,
                       void *arg);

/* Walk a link's attributes in order.  next returns 1 with *attr filled,
 * or 0 at the end.  Only meaningful on a link from bw_coap_link_parse();
 * on anything else it stops at the first byte it cannot decode. */
void bw_coap_link_attr_iter_init(bw_coap_link_attr_iter_t *it,
                                 const bw_coap_link_t *link);
int bw_coap_link_attr_next(bw_coap_link_attr_iter_t *it,
                           bw_coap_link_attr_t *attr);

/* 1 when attr's name equals name (ASCII case-insensitive, as RFC 5988
 * parameter names are), else 0.  name is NUL-terminated. */
int bw_coap_link_attr_is(const bw_coap_link_attr_t *attr, const char *name);

/*
 * First attribute of link named name.  Returns 0 and fills *attr, or
 * BW_ENOTFOUND (attr zeroed), or BW_EINVAL for NULL arguments.
 */
int bw_coap_link_find(const bw_coap_link_t *link, const char *name,
                      bw_coap_link_attr_t *attr);

/*
 * Copy attr's value with escapes resolved into buf and NUL-terminate it;
 * *len gets the length without the NUL.  Returns 0, BW_ETYPE for a bare
 * attribute, BW_ENOSPC when cap < length + 1 (buf then holds "" if cap > 0
 * and *len is 0), BW_EINVAL for NULL arguments.
 */
int bw_coap_link_attr_copy(const bw_coap_link_attr_t *attr, char *buf,
                           size_t cap, size_t *len);

/*
 * Typed value readers.  Each accepts a token, or a quoted value without
 * escapes (ct="40" is as good as ct=40), and is strict: no sign where none
 * is allowed, no spaces, no trailing bytes, nothing out of range.  *out is
 * zeroed on failure.  Each returns 0, or BW_ETYPE for a bare attribute,
 * BW_EMALFORMED for text that is not of the type, BW_ERANGE for a value
 * past the limit, BW_EINVAL for NULL arguments.
 */

/* Decimal integer 0..max, leading zeros allowed ("pmin=010" is 10). */
int bw_coap_link_attr_uint(const bw_coap_link_attr_t *attr, uint32_t max,
                           uint32_t *out);

/*
 * Decimal number: ["-"] 1*DIGIT [ "." 1*DIGIT ], no exponent, as LwM2M
 * writes gt, lt and st.  At most BW_COAP_LINK_MAX_DECIMAL_DIGITS digits
 * in all (more cannot be held exactly), else BW_ERANGE.
 */
#define BW_COAP_LINK_MAX_DECIMAL_DIGITS 18
int bw_coap_link_attr_decimal(const bw_coap_link_attr_t *attr, double *out);

/* Version "major.minor", each 0..255 ("ver=1.1", "lwm2m=1.1"). */
int bw_coap_link_attr_version(const bw_coap_link_attr_t *attr, uint8_t *major,
                              uint8_t *minor);

/* Which LwM2M/CoRE attributes bw_coap_link_lwm2m() found. */
enum {
    BW_COAP_LINK_HAS_SSID = 1u << 0,
    BW_COAP_LINK_HAS_VER = 1u << 1,
    BW_COAP_LINK_HAS_LWM2M = 1u << 2,
    BW_COAP_LINK_HAS_DIM = 1u << 3,
    BW_COAP_LINK_HAS_URI = 1u << 4,
    BW_COAP_LINK_HAS_PMIN = 1u << 5,
    BW_COAP_LINK_HAS_PMAX = 1u << 6,
    BW_COAP_LINK_HAS_GT = 1u << 7,
    BW_COAP_LINK_HAS_LT = 1u << 8,
    BW_COAP_LINK_HAS_ST = 1u << 9,
    BW_COAP_LINK_HAS_EPMIN = 1u << 10,
    BW_COAP_LINK_HAS_EPMAX = 1u << 11,
    BW_COAP_LINK_HAS_CT = 1u << 12,
    BW_COAP_LINK_HAS_RT = 1u << 13,
    BW_COAP_LINK_HAS_OBS = 1u << 14,
};

/* Short Server ID range (LwM2M 1.1 Core, Server object): 0 and 65535 are
 * reserved. */
#define BW_COAP_LINK_SSID_MIN 1u
#define BW_COAP_LINK_SSID_MAX 65534u
/* dim counts resource instances, an Integer 0..255 in LwM2M 1.1 Core. */
#define BW_COAP_LINK_DIM_MAX 255u

/*
 * The LwM2M attributes of one link, typed.  Fields are valid only when
 * their BW_COAP_LINK_HAS_* bit is set in has.  uri and rt are views (see
 * bw_coap_link_attr_t; copy them if escaped).
 */
typedef struct {
    uint32_t has;
    uint32_t ssid;
    uint32_t ct;
    uint32_t dim;
    uint8_t ver[2];                    /* major, minor */
    uint8_t lwm2m[2];                  /* major, minor */
    uint32_t pmin, pmax, epmin, epmax; /* seconds */
    double gt, lt, st;
    bw_coap_link_attr_t uri;
    bw_coap_link_attr_t rt;
} bw_coap_link_lwm2m_t;

/*
 * Read the LwM2M attributes of link into *out (zeroed first).  Attributes
 * LwM2M does not define are ignored.  obs MUST be bare; the value ones
 * MUST have a value.  Returns 0, or BW_EDUPKEY when one of them appears
 * twice, BW_ETYPE, BW_EMALFORMED or BW_ERANGE from the typed readers
 * (ssid outside 1..65534, dim above 255, ct above 65535, st negative),
 * BW_EINVAL for NULL arguments.  *out is zeroed on failure.
 */
int bw_coap_link_lwm2m(const bw_coap_link_t *link, bw_coap_link_lwm2m_t *out);

/*
 * Writer: builds a link-format payload in a caller buffer, no NUL added.
 * Errors are sticky: after the first failure every call does nothing and
 * finish() returns that error.
 *
 *   bw_coap_link_writer_t w;
 *   bw_coap_link_writer_init(&w, buf, sizeof buf);
 *   bw_coap_link_writer_link(&w, "/", 1);
 *   bw_coap_link_writer_quoted(&w, "rt", "oma.lwm2m", 9);
 *   bw_coap_link_writer_uint(&w, "ct", 11542);
 *   bw_coap_link_writer_link(&w, "/1/0", 4);
 *   int err = bw_coap_link_writer_finish(&w, &len);
 *
 * Errors: BW_ENOSPC when the next piece does not fit (the writer never
 * writes at or past cap); BW_EORDER for an attribute before any link;
 * BW_EINVAL for a name that is not a parmname, a target with a byte that
 * is not allowed in a URI-Reference, a token value that is empty or not a
 * ptoken, a quoted value with a control character other than HT or
 * invalid UTF-8, BW_COAP_LINK_MAX_LINKS links, or NULL arguments.  Each
 * call writes all of its piece or nothing.
 */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    uint32_t links;
    int err;
} bw_coap_link_writer_t;

void bw_coap_link_writer_init(bw_coap_link_writer_t *w, char *buf, size_t cap);
/* Start a link: "," unless first, then "<target>". */
void bw_coap_link_writer_link(bw_coap_link_writer_t *w, const char *target,
                              size_t len);
/* ";name" */
void bw_coap_link_writer_flag(bw_coap_link_writer_t *w, const char *name);
/* ";name=value", value a ptoken */
void bw_coap_link_writer_token(bw_coap_link_writer_t *w, const char *name,
                               const char *value, size_t len);
/* ";name=\"value\"", escaping DQUOTE and backslash */
void bw_coap_link_writer_quoted(bw_coap_link_writer_t *w, const char *name,
                                const char *value, size_t len);
/* ";name=123" */
void bw_coap_link_writer_uint(bw_coap_link_writer_t *w, const char *name,
                              uint32_t value);
/* ";name=major.minor" */
void bw_coap_link_writer_version(bw_coap_link_writer_t *w, const char *name,
                                 uint8_t major, uint8_t minor);
/* Returns the sticky error, or 0 and the payload length in *len (0 on
 * failure).  BW_EINVAL when w or len is NULL. */
int bw_coap_link_writer_finish(const bw_coap_link_writer_t *w, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_COAP_LINK_H */
