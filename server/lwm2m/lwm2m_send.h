/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LwM2M Send, server side (OMA LwM2M 1.1 Core, Information Reporting
 * interface, "Send"; Transport: POST /dp, 2.04 Changed): a registered
 * device reports values it chose, in SenML CBOR (112) or SenML JSON (110);
 * the server checks them and hands them to a store.
 *
 * Who is reporting comes from the DTLS session, never from the payload:
 * the identity the handshake proved names the device (the owner
 * callback: the security store), and that device must hold a
 * registration made over this very session (the registry's peer address
 * for it is this peer's).  Names in the pack are only paths.
 *
 * The checks, in order, each with its own answer (RFC 7252 5.9,
 * diagnostic payload saying which):
 *
 *   not POST /dp                           not ours: 0 (the caller goes on)
 *   the identity names no device            4.03 Forbidden
 *   the device is not registered over this
 *   session                                 4.04 Not Found
 *   Block1 (block-wise Send)                4.13 Request Entity Too Large
 *   no Content-Format, or not 110 / 112     4.15 Unsupported Content-Format
 *   payload above BW_LWSRV_SEND_PAYLOAD_MAX,
 *   more than BW_LWSRV_SEND_MAX_RECORDS     4.13 Request Entity Too Large
 *   SenML that does not parse, a name that
 *   is not /o/i/r or /o/i/r/ri, a number
 *   that is not finite, a time out of
 *   range, no record with a value           4.00 Bad Request
 *   a path whose object (or instance, when
 *   the registration lists instances) the
 *   device did not register                 4.04 Not Found
 *   the store failed                        5.00 Internal Server Error
 *   stored                                  2.04 Changed
 *
 * A record without a value (an empty multiple resource) is accepted and
 * not stored.  A request is all or nothing: one bad record and nothing is
 * stored.  Times (SenML bt + t, seconds): absent, the time of receipt; below
 * 2^28, relative to it (RFC 8428 4.5.3); else absolute, up to year 9999.
 * A retransmitted CON (same peer and message ID) gets the first answer
 * again and is stored once (the registry's deduplication).
 *
 * What this module never does: trust an endpoint name a device sends,
 * store part of a request, or read past the payload.  Decoding is the
 * bounded SenML readers of lib/lwm2m (no allocation per record).
 */
#ifndef BW_LWSRV_SEND_H
#define BW_LWSRV_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap.h"
#include "bulwark/lwm2m.h"
#include "dtls_server.h"
#include "lwm2m_registry.h"

/* Largest Send payload: one datagram of a constrained client (1152 bytes
 * in our core) and room to spare; block-wise Send is not taken. */
#define BW_LWSRV_SEND_PAYLOAD_MAX 2048
/* Records per Send: a handful of readings per report in practice. */
#define BW_LWSRV_SEND_MAX_RECORDS 64

typedef enum {
    BW_LWSRV_VAL_NUMBER = 1,
    BW_LWSRV_VAL_STRING = 2, /* vs, and vlo as "oid:iid" */
    BW_LWSRV_VAL_BOOL = 3,
    BW_LWSRV_VAL_OPAQUE = 4,
} bw_lwsrv_val_kind_t;

/* One value of a Send, as decoded.  bytes point into the caller's arena
 * (see bw_lwsrv_send_decode), valid as long as it is. */
typedef struct {
    char path[BW_LWM2M_PATH_STR_MAX]; /* "/3303/0/5700" */
    int64_t t_ms;                     /* Unix ms */
    bw_lwsrv_val_kind_t kind;
    double num; /* NUMBER; BOOL: 0 or 1 */
    const uint8_t *bytes;
    size_t len;
    /* Where it came from, set by the layer that hands it to the store:
     * BW_LWSRV_SRC_SEND (the Send handler) or BW_LWSRV_SRC_NOTIFY (the
     * notification sink); 0 from the decoders. */
    uint8_t source;
} bw_lwsrv_sample_t;

/* bw_lwsrv_sample_t.source; the same numbers as the store's
 * bw_db_tm_source_t. */
enum { BW_LWSRV_SRC_SEND = 1, BW_LWSRV_SRC_NOTIFY = 2 };

/*
 * Decode a Send payload in content format cf for a device registered
 * with the object links text links (links_truncated: the registry kept
 * only the start of them, so objects are not checked), received at
 * now_ms.  Values go to out (cap entries, *n used); string and opaque
 * bytes are copied into arena (arena_cap bytes; the payload's length
 * always suffices).  *why (may be NULL) gets a short static reason on
 * failure.
 * Returns 0, or
 *   BW_EFORMAT     cf is not SenML CBOR or SenML JSON (4.15);
 *   BW_EOVERFLOW   the payload or the record count above its limit, or
 *                  more than cap values (4.13);
 *   BW_ENOTFOUND   a path outside the registered objects (4.04);
 *   BW_EMALFORMED, BW_ETRUNC, BW_ETRAILING, BW_ETYPE, BW_ERANGE, BW_EPATH,
 *   BW_EUTF8, BW_EDEPTH, BW_EDUPKEY, BW_EVERSION, BW_EUNSUPPORTED
 *                  the pack is bad (4.00): see bw_lwm2m_senml_cbor_read;
 *                  BW_EPATH for a name that is not a resource path,
 *                  BW_ERANGE for a non-finite number or a time out of
 *                  range, BW_EMALFORMED for a pack with no value;
 *   BW_ENOSPC      arena too small;
 *   BW_EINVAL      NULL pointers.
 * On failure *n is 0.
 */
int bw_lwsrv_send_decode(uint32_t cf, const uint8_t *payload, size_t len,
                         const char *links, int links_truncated, int64_t now_ms,
                         bw_lwsrv_sample_t *out, size_t cap, size_t *n,
                         uint8_t *arena, size_t arena_cap, const char **why);

/* The CoAP answer for an error of bw_lwsrv_send_decode (4.00 for the
 * pack's own errors). */
uint8_t bw_lwsrv_send_code(int err);

typedef struct {
    bw_lwsrv_registry_t *registry; /* the DM server's */
    /* The endpoint the identity peer proved belongs to (a DM credential):
     * 0, or BW_ENOTFOUND. */
    int (*owner)(void *arg, const bw_dtls_peer_info_t *peer,
                 char ep[BW_LWSRV_EP_MAX + 1]);
    /* Store the n values of ep received at now_ms, all or none: 0 or an
     * error (answered 5.00). */
    int (*store)(void *arg, const char *ep, const bw_lwsrv_sample_t *v,
                 size_t n, int64_t now_ms);
    /* Each Send's outcome, for the log (may be NULL): ep ("" when
     * unknown), the answer's code, the number of values stored. */
    void (*report)(void *arg, const char *ep, uint8_t code, size_t stored,
                   const char *why);
    void *arg;
    /* Unix ms; NULL: CLOCK_REALTIME (tests set it). */
    int64_t (*wall_ms)(void *arg);
} bw_lwsrv_send_config_t;

/*
 * The LwM2M layer's resource hook for POST /dp (bw_lwsrv_config_t's
 * resource; arg is a bw_lwsrv_send_config_t that outlives the server):
 * answers a Send as above into out (cap bytes; at least 128) and returns
 * the answer's length, or 0 when req is not a Send.  Runs on the peer's
 * worker thread, possibly on several at once.
 */
size_t bw_lwsrv_send_resource(void *arg, const bw_dtls_peer_info_t *peer,
                              const bw_coap_msg_t *req, uint8_t *out,
                              size_t cap);

#endif /* BW_LWSRV_SEND_H */
