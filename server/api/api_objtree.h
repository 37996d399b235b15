/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The object tree of a registration (docs/api.md, GET /devices/{ep}):
 * the object links a device registered with (RFC 6690 link format, as
 * the LwM2M server accepted them at Register or Update, lwm2m_reg.h)
 * turned into what an operator reads:
 *
 *   </>;rt="oma.lwm2m";ct=11543,</1/0>,</3>;ver=1.1,</3/0>,</5>
 *   -> [{"id":1,"instances":[0]},
 *       {"id":3,"version":"1.1","instances":[0]},
 *       {"id":5,"instances":[]}]
 *
 * A pure function of the text: no network, no threads, no state.  The
 * bytes came from a device, so the parser is bounds-checked, strict about
 * targets and fuzzed (tests/fuzz/fuzz_api_objtree.c).
 *
 * What it must never do: read past the text it is given, or show an
 * object or instance the links do not name.
 */
#ifndef BW_API_OBJTREE_H
#define BW_API_OBJTREE_H

#include <jansson.h>
#include <stddef.h>

/* Links read at most: the LwM2M server accepts no more at Register
 * (BW_LWSRV_MAX_OBJLINKS); more is BW_EOVERFLOW. */
#define BW_API_OBJTREE_LINKS_MAX 512u
/* Object and instance ids: 0..65534 (LwM2M 1.1 Core: 65535 is
 * reserved). */
#define BW_API_OBJTREE_ID_MAX 65534u

/*
 * Object links as a tree: an array of {"id", "version"?, "instances"},
 * objects by id ascending, each with its instance ids ascending, each id
 * once.  An object named only by instance links ("</3/0>") is in it; one
 * named only by "</5>" has "instances": [].  "version" is the first
 * ver= attribute given on the object's links ("1.1"); absent when none
 * is.  The alternate-path link (rt="oma.lwm2m", "</>" or "</path>",
 * first) is not an object: the targets after it must lie under its path,
 * which is stripped.  Other attributes are ignored.
 * Returns 0 and *out (a new reference), or
 *   BW_ETRUNC, BW_EMALFORMED, BW_EUTF8, BW_EOVERFLOW  the text is not
 *                  link format (bw_coap_link_parse());
 *   BW_EOVERFLOW   more than BW_API_OBJTREE_LINKS_MAX links;
 *   BW_EMALFORMED  a target that is not "/o" or "/o/i" (decimal ids
 *                  0..65534 without leading zeros) under the alternate
 *                  path, a second or late alternate-path link, a ver=
 *                  that is not "major.minor";
 *   BW_ENOMEM;
 *   BW_EINVAL      out NULL, or links NULL with len above 0.
 * *out is NULL on failure.
 */
int bw_api_objtree_json(const char *links, size_t len, json_t **out);

#endif /* BW_API_OBJTREE_H */
