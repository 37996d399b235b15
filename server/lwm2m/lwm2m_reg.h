/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's side of the LwM2M Registration interface (OMA LwM2M 1.1
 * Core 6.2, Transport 6.2.1): recognising and validating Register,
 * Update and De-register requests, and Bootstrap-Request (Core 6.1.3).
 *
 * Everything here is a pure function of one parsed CoAP request: no
 * state, no allocation, no I/O.  It is the first code that touches what a
 * device sends after the DTLS layer, so it is strict and fuzzed.
 *
 * Rules beyond the specification, and why:
 *   - Endpoint names are 1..BW_LWSRV_EP_MAX bytes of [A-Za-z0-9] and
 *     "-._:@~+" (enough for URNs such as "urn:imei:...", "urn:uuid:...",
 *     and no byte that needs quoting in a log line, SQL or a URL).
 *   - A query parameter given twice is malformed (which one would count?).
 *     Unknown parameters are ignored, as the specification asks.
 *   - Lifetime is 1 .. BW_LWSRV_LT_MAX seconds; absent: BW_LWSRV_LT_DEFAULT.
 *   - Object links: only "</>" or "</alt>" with rt="oma.lwm2m", "</o>"
 *     and "</o/i>" targets (under the alternate root when one is given),
 *     ids 0..65534, attributes ver, ct, rt only; at most
 *     BW_LWSRV_MAX_OBJLINKS links.
 */
#ifndef BW_LWSRV_REG_H
#define BW_LWSRV_REG_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap.h"
#include "bulwark/error.h"

#define BW_LWSRV_EP_MAX     64
#define BW_LWSRV_LT_DEFAULT 86400u
/* A year: longer lifetimes only hide dead devices. */
#define BW_LWSRV_LT_MAX 31536000u
/* Registration location: "rd" then a 128-bit random id in hex. */
#define BW_LWSRV_LOC_LEN      32
#define BW_LWSRV_MAX_OBJLINKS 512
#define BW_LWSRV_ALT_PATH_MAX 32

/* What a request to the server is. */
typedef enum {
    BW_LWSRV_REQ_OTHER = 0,  /* not a registration-interface request */
    BW_LWSRV_REQ_REGISTER,   /* POST /rd?ep=... */
    BW_LWSRV_REQ_UPDATE,     /* POST /rd/<loc> */
    BW_LWSRV_REQ_DEREGISTER, /* DELETE /rd/<loc> */
    BW_LWSRV_REQ_BOOTSTRAP,  /* POST /bs?ep=... */
    BW_LWSRV_REQ_SEND,       /* POST /dp (Send, Core 6.4.3) */
} bw_lwsrv_req_t;

/* A validated Register or Update (views point into the request). */
typedef struct {
    char ep[BW_LWSRV_EP_MAX + 1]; /* Register, Bootstrap-Request */
    uint32_t lifetime;
    uint8_t has_lifetime;
    uint8_t has_binding;
    uint8_t queue;         /* b=UQ (1.0) or Q (1.1) */
    uint8_t version_minor; /* lwm2m=1.x; Register only */
    char binding[4];       /* "U" */
    const char *links;     /* object links text, or NULL */
    size_t links_len;
    uint16_t nlinks;
    char alt_path[BW_LWSRV_ALT_PATH_MAX + 1]; /* "" for "/" */
    char location[BW_LWSRV_LOC_LEN + 1];      /* Update, De-register */
} bw_lwsrv_reg_t;

/*
 * What req is, from its method and Uri-Path alone (nothing validated).
 */
bw_lwsrv_req_t bw_lwsrv_classify(const bw_coap_msg_t *req);

/*
 * Validate a Register (kind REGISTER), Update, De-register or
 * Bootstrap-Request and fill *out.  *why (may be NULL) gets a short
 * static reason on failure, fit for a log line and a 4.00 diagnostic
 * payload.
 * Returns 0, or
 *   BW_EMALFORMED  a query parameter, the endpoint name, the location or
 *                  an object link that breaks the rules above;
 *   BW_ERANGE      a lifetime of 0 or above BW_LWSRV_LT_MAX;
 *   BW_EVERSION    lwm2m= other than 1.0 or 1.1 (answer 4.12);
 *   BW_EFORMAT     a payload whose Content-Format is not link-format;
 *   BW_EINVAL      kind OTHER or NULL pointers.
 * On failure *out is zeroed.
 */
int bw_lwsrv_reg_parse(const bw_coap_msg_t *req, bw_lwsrv_req_t kind,
                       bw_lwsrv_reg_t *out, const char **why);

/* Whether name is a valid endpoint name (see the rules above). */
int bw_lwsrv_ep_valid(const char *name, size_t len);

#endif /* BW_LWSRV_REG_H */
