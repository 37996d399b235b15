/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of the API's Discover, Create and Write-Attributes
 * (docs/api.md, "Device operations"): what goes into the CoAP request
 * and what comes out of the device's answer, with no network and no
 * threads, so each is tested on its own (tests/unit/test_api_*.c).
 *
 *   - api_dm_links.c: a Discover answer (RFC 6690 link format, content
 *     format 40, bytes from the device) into a JSON array of
 *     {"path": ..., "attributes": {...}};
 *   - api_dm_attrs.c: the members of a Write-Attributes body into the
 *     Uri-Query text bw_lwsrv_op_t.query carries ("pmin=10&pmax=60&gt"),
 *     numbers as the plain decimals the device reads;
 *   - api_dm_create.c: the body of a Create into its SenML JSON payload,
 *     and the instance the request names; the check that a body holds
 *     only the members its route understands.
 *
 * What it must never do: read past the device's bytes, hand the device a
 * query or payload the API did not validate, or accept a body member it
 * does not understand (a misspelt attribute would silently do nothing).
 *
 * Failures name the body member at fault (bw_api_dm_fault_t.field, NULL
 * when it is the body as a whole) and say why in words for the 400's
 * detail (bw_api_dm_fault_t.why, a static string).
 */
#ifndef BW_API_DM_H
#define BW_API_DM_H

#include <jansson.h>
#include <stddef.h>

/* Links turned into JSON at most: a Discover answer is one CoAP message
 * of at most 1024 bytes of payload, and the shortest link ("<>" and a
 * comma) is 3 bytes, so 512 is beyond any answer; more is BW_EOVERFLOW. */
#define BW_API_DM_LINKS_MAX 512u
/* Attributes of one link at most: LwM2M 1.1 defines 15 (Core, "Attributes"
 * and the CoRE ones it uses); 32 leaves room for others, more is
 * BW_EOVERFLOW. */
#define BW_API_DM_LINK_ATTRS_MAX 32u
/* Room for a Write-Attributes query: bw_lwsrv_op_t.query (64 bytes with
 * its NUL). */
#define BW_API_DM_QUERY_MAX 64u
/* Largest pmin, pmax, epmin, epmax: seconds in 32 bits, as the device
 * stores them (LwM2M 1.1 Core, "Attributes": Integer). */
#define BW_API_DM_SECONDS_MAX 4294967295ll
/* Digits of gt, lt, st at most: what the device's link attribute reader
 * takes exactly (BW_COAP_LINK_MAX_DECIMAL_DIGITS). */
#define BW_API_DM_DECIMAL_DIGITS 18
/* Object instance ids a Create may name: 65535 is reserved (LwM2M 1.1
 * Core, "Object Instance ID": MAX_ID 65534). */
#define BW_API_DM_INSTANCE_MAX 65534

typedef struct {
    const char *field; /* the member at fault, NULL for the whole body */
    const char *why;   /* what is wrong with it, for a 400's detail */
} bw_api_dm_fault_t;

/*
 * A Discover answer (link format) as JSON: an array with one object per
 * link, in payload order:
 *   {"path": "/3/0/7", "attributes": {"dim": 2, "pmin": 10, "gt": 50.5}}
 * Attribute values: integers for dim, pmin, pmax, epmin, epmax, ssid, ct;
 * numbers for gt, lt, st; true for a bare attribute (";obs"); a string
 * for anything else (escapes resolved), and for a value of those names
 * that does not read as its type (kept as sent, not refused).  Names are
 * kept as the device wrote them; a name repeated in one link keeps its
 * first value.
 * Returns 0 and *out (a new reference), or BW_ETRUNC, BW_EMALFORMED,
 * BW_EUTF8 (bw_coap_link_parse() on the bytes), BW_EOVERFLOW (more than
 * BW_API_DM_LINKS_MAX links or BW_API_DM_LINK_ATTRS_MAX attributes in
 * one), BW_ENOMEM, BW_EINVAL (out NULL, or buf NULL with len > 0).
 * *out is NULL on failure.
 */
int bw_api_dm_links_json(const char *buf, size_t len, json_t **out);

/*
 * The Uri-Query of a Write-Attributes (LwM2M 1.1 Core, "Write-Attributes")
 * from a request body {"path": ..., "pmin": 10, "pmax": null, "gt": 30.5}:
 * the members pmin, pmax, epmin, epmax (integers 0..BW_API_DM_SECONDS_MAX)
 * and gt, lt, st (numbers written as plain decimals of at most
 * BW_API_DM_DECIMAL_DIGITS digits, st not negative) in that order,
 * "name=value" joined by "&"; null removes the attribute: the bare name.
 * "path" is the only other member allowed.  The query is NUL-terminated
 * in query (cap bytes).
 * Returns 0, or (fault says which member and why):
 *   BW_EUNSUPPORTED  a member that is none of these;
 *   BW_ETYPE         a value of the wrong JSON type (an integer attribute
 *                    given a fraction, a string...);
 *   BW_ERANGE        a negative or too large integer, a negative st, a
 *                    number that needs an exponent or more digits;
 *   BW_ENOTFOUND     no attribute at all (fault.field NULL);
 *   BW_ENOSPC        the query does not fit in cap bytes (fault.field
 *                    the attribute that did not fit);
 *   BW_EINVAL        body not an object, query NULL or cap 0, fault NULL.
 * On failure query holds "" (when cap > 0).
 */
int bw_api_dm_attrs_query(const json_t *body, char *query, size_t cap,
                          bw_api_dm_fault_t *fault);

/*
 * The number x as a plain decimal ("30.5", "-0.001", "12"): the shortest
 * that reads back as x, no exponent, at most BW_API_DM_DECIMAL_DIGITS
 * digits.  Returns 0, or BW_ERANGE (x needs more digits or is not
 * finite), BW_ENOSPC (cap too small), BW_EINVAL (out NULL).  out holds
 * "" on failure (cap > 0).
 */
int bw_api_dm_decimal(double x, char *out, size_t cap);

/*
 * The payload of a Create on path (which MUST name an object, "/3303")
 * from the body's value (an array of SenML JSON records, NULL when
 * absent) and instance (NULL when absent, else an integer
 * 0..BW_API_DM_INSTANCE_MAX).  With an instance, the records' names are
 * relative to it: the first record gets "bn": "/O/N/" and no record may
 * carry its own bn.  The payload is the array as compact JSON, in out
 * (cap bytes, not NUL-terminated), *len its length.  location (loc_cap
 * bytes) gets "/O/I" when the first record's name (bn and n) names
 * instance I of the object, else "" (an empty array: the device picks the
 * instance).  That is what the request names, for a queued Create's
 * stored answer; a Create answered at once reports the device's own
 * Location-Path instead (bw_lwsrv_answer_t.location).
 * Returns 0, or (fault says which member and why):
 *   BW_EPATH      path is not "/" and an object id 0..65534;
 *   BW_ENOTFOUND  no value, or an empty value with an instance;
 *   BW_ETYPE      value not an array of objects, instance not an integer;
 *   BW_ERANGE     instance outside 0..BW_API_DM_INSTANCE_MAX;
 *   BW_EDUPKEY    a record with its own bn beside an instance;
 *   BW_ENOSPC     the payload does not fit in cap bytes;
 *   BW_ENOMEM;
 *   BW_EINVAL     NULL path, out, len, location or fault, loc_cap 0.
 * On failure *len is 0 and location "".
 */
int bw_api_dm_create_payload(const char *path, const json_t *value,
                             const json_t *instance, char *out, size_t cap,
                             size_t *len, char *location, size_t loc_cap,
                             bw_api_dm_fault_t *fault);

/*
 * Whether every member of body is one of allowed (NULL-terminated).
 * Returns 0, BW_EUNSUPPORTED with fault->field the first other member,
 * or BW_EINVAL (body not an object, NULL arguments).
 */
int bw_api_dm_members(const json_t *body, const char *const *allowed,
                      bw_api_dm_fault_t *fault);

#endif /* BW_API_DM_H */
