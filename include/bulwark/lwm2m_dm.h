/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device's request handler: what a LwM2M client does with a request
 * from a server (OMA LwM2M 1.1 Core, sections 6.1 Bootstrap, 6.3 Device
 * Management and Service Enablement, 6.4 Information Reporting; transport
 * binding section 8 of the Transport document).
 *
 * bw_lwm2m_dm_t holds the object registry (application objects plus the
 * client's own), the Write-Attributes store and the observations.  Given
 * one parsed CoAP request it calls the objects' handlers and builds the
 * complete response message; given the time it says which observations
 * must be notified and builds those notifications.  It owns no socket and
 * no message layer: the client core (lwm2m_client.h) feeds it requests
 * and sends what it builds through the CoAP endpoint.
 *
 * Operations, by interface:
 *   DM        GET (Read; with Accept; Observe 0/1), GET with
 *             Accept: application/link-format (Discover), PUT (Write
 *             replace, or Write-Attributes when the request has only
 *             Uri-Query and no payload), POST to a resource (Execute),
 *             POST to an object or instance (Create / partial update),
 *             DELETE (Delete).
 *   BOOTSTRAP PUT (Bootstrap-Write: may create instances, may write
 *             read-only resources), GET (Bootstrap-Read, only the Server
 *             object /1 and the Access Control object /2, Core
 *             "Bootstrap-Read"),
 *             GET link-format (Bootstrap-Discover), DELETE (Bootstrap-
 *             Delete, "/" allowed; never deletes the bootstrap server's
 *             Security instance nor the Device instance /3/0, Core
 *             "Bootstrap-Delete").
 * The Security object (/0) is the bootstrap interface's alone: any DM
 * request naming it is answered 4.01 Unauthorized.
 * Content formats written: TLV (11542) and SenML CBOR (112) for anything
 * larger than one resource; text/plain (0) or opaque (42) for a single
 * resource when asked or by default; SenML JSON (110) when asked.  Read:
 * all of those.  Unknown Accept: 4.06; unknown Content-Format: 4.15.
 * That is the full configuration (bw_lwm2m_dm_init); a handler set up
 * with bw_lwm2m_dm_init_with() speaks only the formats and optional
 * operations (Discover, Write-Attributes, Block1) its table lists, and
 * answers the others as unknown (see bw_lwm2m_dm_config_t).
 *
 * Large responses: a payload that does not fit one message is sent in
 * Block2 blocks; the handler re-reads the target for each block (reads
 * are expected to be stable for a few seconds) and serves the slice, so
 * no response is ever kept whole in RAM.
 *
 * Large writes: a PUT with Block1 (RFC 7959 section 2.5) to a single
 * OPAQUE writable resource of an object with a write_block handler
 * (lwm2m_object.h), in application/octet-stream (42) and on the DM
 * interface, is streamed: each block goes to the object as it arrives,
 * in its own transaction, and is answered 2.31 Continue (Block1 echoed,
 * at a smaller size when the block would not fit the response buffer
 * with room for a request's head) until the last one gets 2.04.  Blocks
 * come in order: one at another offset is 4.08 Request Entity
 * Incomplete and the transfer stays where it was; the block accepted
 * last may come again (a repeat as a new request) and gets 2.31 again
 * without reaching the object twice.  Block 0 to the resource of the open
 * transfer, from the same server, restarts it (the object is told to drop
 * the old one).  One transfer is open at a time: block 0 for another
 * resource, or from another server, is 5.03 Service Unavailable with
 * Max-Age saying when the open one expires; any later block of a transfer
 * that is not the open one is 4.08.  A transfer with no block accepted for
 * BW_LWM2M_DM_BLOCK1_IDLE_MS is dropped (object told) by the next call of
 * bw_lwm2m_dm_handle() or bw_lwm2m_dm_notify(); a Write without Block1
 * that succeeds at its resource (or an ancestor) ends it too.  Block1
 * anywhere else (another method, format, interface, type, a multiple
 * resource, an object without write_block) is 4.13 Request Entity Too
 * Large; a malformed Block1 option is 4.02.  TLV, SenML and text bodies
 * are never taken block-wise: they are decoded whole.
 *
 * Notifications honour pmin, pmax, gt, lt, st (Core "Attributes"): a change
 * reported by bw_lwm2m_dm_changed() is notified no sooner than pmin after
 * the previous notification and only if it crosses gt/lt or moves by at
 * least st (numeric resources); pmax forces a notification even without a
 * change.  Attributes are inherited: resource, then instance, then object,
 * then the server's default pmin/pmax (Server object resources 2 and 3).
 *
 * Access control (Core 7.3.1, object 2 in appendix E.3): a handler with an
 * access table (bw_lwm2m_dm_set_access) asks it, for every DM request that
 * names an object instance (or creates one), which rights the requesting
 * server holds there, before anything else is checked:
 *   Read, Observe, Discover, Write-Attributes   need R
 *   Write (also block-wise), partial update     need W
 *   Execute                                     needs E
 *   Delete                                      needs D
 *   Create on /O                                needs C on /O/65535
 * A right missing is 4.01 Unauthorized; an instance no Access Control
 * instance covers is 4.04 Not Found, as if absent.  A Read, Observe or
 * Discover of a whole object lists only the instances the server may read
 * (notifications too).  After a DM Create or Delete succeeds the table is
 * told, so that it can add or drop the instance's Access Control instance.
 * The bootstrap interface is never checked.  Without a table (the default
 * after bw_lwm2m_dm_init) every server has every right.
 *
 * What it never does: allocate, read a clock, send anything itself.
 */
#ifndef BULWARK_LWM2M_DM_H
#define BULWARK_LWM2M_DM_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/coap.h"
#include "bulwark/coap_observe.h"
#include "bulwark/error.h"
#include "bulwark/lwm2m.h"
#include "bulwark/lwm2m_object.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Objects one client holds, its own included (0, 1, 3, 4, 5, app). */
#ifndef BW_LWM2M_DM_MAX_OBJECTS
#define BW_LWM2M_DM_MAX_OBJECTS 16
#endif
/* Paths with Write-Attributes set at once. */
#ifndef BW_LWM2M_DM_MAX_ATTRS
#define BW_LWM2M_DM_MAX_ATTRS 16
#endif
/* Observations at once (all servers). */
#ifndef BW_LWM2M_DM_MAX_OBS
#define BW_LWM2M_DM_MAX_OBS 8
#endif
/*
 * Instances of one object, and resource instances of one resource, that
 * one request walks: the ids are listed into a stack array of this many
 * (64 bytes).  An object that lists more answers 5.00.
 */
#define BW_LWM2M_DM_MAX_LIST 32
/*
 * Object instances one write request (Bootstrap-Write of a whole object)
 * may touch, and multiple resources it may replace: each needs a slot in
 * the transaction on the stack.  More is 4.13 Request Entity Too Large.
 */
#define BW_LWM2M_DM_MAX_TXN 8
/*
 * The handler's working buffer, inside bw_lwm2m_dm_t so that nothing of
 * this size sits on the stack:
 *   VALUE_MAX  a string or opaque value a read handler copies out, and
 *              the decoded strings of a write (base64, JSON escapes);
 *   CHUNK_MAX  the largest piece a response is built from before it is
 *              sliced into the message: one link, one SenML record, one
 *              top-level TLV (a whole object instance when an object is
 *              read in TLV).  A larger piece answers 5.00.
 */
#ifndef BW_LWM2M_DM_VALUE_MAX
#define BW_LWM2M_DM_VALUE_MAX 256
#endif
#ifndef BW_LWM2M_DM_CHUNK_MAX
#define BW_LWM2M_DM_CHUNK_MAX 512
#endif
/*
 * A block-wise Write with no block accepted for this long is dropped:
 * EXCHANGE_LIFETIME of RFC 7252 section 4.8.2 with the default
 * transmission parameters (247 s), after which the server's last request
 * can no longer be in flight (RFC 7959 section 2.5 lets a server discard
 * a partial body after a timeout).
 */
#define BW_LWM2M_DM_BLOCK1_IDLE_MS 247000u
/*
 * Bytes of a request that are not its block: header, token, Uri-Path,
 * Content-Format, Block1, Size1 and more (RFC 7252: 4 + 8 + options).  Our
 * preferred block size is the largest that fits the response buffer with
 * this much to spare, so a request at that size fits a buffer like ours.
 */
#define BW_LWM2M_DM_BLOCK1_HEAD 128u

/*
 * Content formats and optional operations: what a handler speaks is
 * chosen at init (bw_lwm2m_dm_init_with) from the objects below, so that
 * a device linking with --gc-sections carries only what it lists.
 *
 * A codec is one content format (its decoder for writes, its encoder for
 * Read and notifications); a feature is one optional operation.  Both
 * are opaque const objects of the library.
 */
typedef struct bw_lwm2m_codec bw_lwm2m_codec_t;
typedef struct bw_lwm2m_feature bw_lwm2m_feature_t;

extern const bw_lwm2m_codec_t bw_lwm2m_codec_tlv;        /* 11542 */
extern const bw_lwm2m_codec_t bw_lwm2m_codec_senml_cbor; /* 112 */
extern const bw_lwm2m_codec_t bw_lwm2m_codec_senml_json; /* 110 */
extern const bw_lwm2m_codec_t bw_lwm2m_codec_text;       /* 0, one value */
extern const bw_lwm2m_codec_t bw_lwm2m_codec_opaque; /* 42, one OPAQUE value */

/* Discover and Bootstrap-Discover (GET with Accept: link-format). */
extern const bw_lwm2m_feature_t bw_lwm2m_feature_discover;
/* Write-Attributes, and the gt / lt / st filters of notifications. */
extern const bw_lwm2m_feature_t bw_lwm2m_feature_write_attrs;
/* Block-wise Write (Block1) of an opaque resource. */
extern const bw_lwm2m_feature_t bw_lwm2m_feature_block1;

/* Codecs one handler holds: the five formats the library has. */
#define BW_LWM2M_DM_MAX_CODECS 5

/*
 * What a handler speaks.  codecs: the formats, unused slots NULL (at
 * least one of TLV and SenML CBOR, which answer reads of more than one
 * value).  A feature left NULL answers its requests as an operation the
 * device does not implement:
 *   discover     NULL: a GET with Accept: link-format is 4.06 Not
 *                Acceptable (the link format is not spoken);
 *   write_attrs  NULL: Write-Attributes is 4.05 Method Not Allowed, and
 *                notifications follow the server's default pmin / pmax;
 *   block1       NULL: any request with Block1 is 4.13 Request Entity
 *                Too Large (as where block-wise is refused today).
 * Requests in a format not listed: Accept 4.06, Content-Format 4.15.
 * Default format of a Read: text/plain for one value when listed (for an
 * OPAQUE resource octet-stream when listed), else TLV, else SenML CBOR.
 */
typedef struct {
    const bw_lwm2m_codec_t *codecs[BW_LWM2M_DM_MAX_CODECS];
    const bw_lwm2m_feature_t *discover;
    const bw_lwm2m_feature_t *write_attrs;
    const bw_lwm2m_feature_t *block1;
} bw_lwm2m_dm_config_t;

/* Every format and feature (what bw_lwm2m_dm_init gives). */
extern const bw_lwm2m_dm_config_t bw_lwm2m_dm_full;
/* TLV, SenML CBOR and octet-stream; no text/plain (a single value is
 * answered in TLV unless asked otherwise), no Discover, Write-Attributes
 * or Block1 (the small-device profile, see lwm2m_client.h). */
extern const bw_lwm2m_dm_config_t bw_lwm2m_dm_min;

/* Which interface a request arrived on. */
typedef enum {
    BW_LWM2M_IFACE_DM = 1,
    BW_LWM2M_IFACE_BOOTSTRAP = 2,
} bw_lwm2m_iface_t;

/* Access rights: the bits of the ACL resource (Core appendix E.3). */
enum {
    BW_LWM2M_ACCESS_READ = 1u << 0, /* Read, Observe, Discover, Write-Attrs */
    BW_LWM2M_ACCESS_WRITE = 1u << 1,
    BW_LWM2M_ACCESS_EXECUTE = 1u << 2,
    BW_LWM2M_ACCESS_DELETE = 1u << 3,
    BW_LWM2M_ACCESS_CREATE = 1u << 4,
    BW_LWM2M_ACCESS_ALL = 0x1Fu,
};
/* The instance id an access question names for Create: "a new instance
 * of the object" (MAX_ID, Core appendix E.3, Object Instance ID). */
#define BW_LWM2M_ACCESS_NEW_INST 65535u

/*
 * The access table the handler asks (see the top of the file).  Every
 * field NULL (the zeroed default): no access control.
 *
 * rights:   the BW_LWM2M_ACCESS_* bits server holds on /oid/iid (iid
 *           BW_LWM2M_ACCESS_NEW_INST for Create), or BW_ENOTFOUND when no
 *           Access Control instance covers it, or another BW_E* code
 *           (answered as in lwm2m_object.h: BW_ENOMEM is 5.00).
 * created:  a DM Create by server made /oid/iid.
 * deleted:  a DM Delete removed /oid/iid.
 */
typedef struct {
    int (*rights)(void *arg, uint16_t server, uint16_t oid, uint16_t iid);
    void (*created)(void *arg, uint16_t server, uint16_t oid, uint16_t iid);
    void (*deleted)(void *arg, uint16_t oid, uint16_t iid);
    void *arg;
} bw_lwm2m_dm_access_t;

/* Attribute flags: which of the fields below are set. */
enum {
    BW_LWM2M_ATTR_PMIN = 1u << 0,
    BW_LWM2M_ATTR_PMAX = 1u << 1,
    BW_LWM2M_ATTR_GT = 1u << 2,
    BW_LWM2M_ATTR_LT = 1u << 3,
    BW_LWM2M_ATTR_ST = 1u << 4,
};

/* <NOTIFICATION> attributes attached to one path (fields private). */
typedef struct {
    bw_lwm2m_path_t path;
    uint16_t server; /* Short Server ID the attributes belong to */
    uint8_t flags;
    uint32_t pmin, pmax; /* seconds */
    double gt, lt, st;
} bw_lwm2m_attr_t;

/* One observation (fields private). */
typedef struct {
    bw_lwm2m_path_t path;
    uint16_t server;
    uint16_t format; /* content format of the notifications */
    uint8_t token[8];
    uint8_t token_len;
    uint8_t changed;  /* a change is waiting for pmin */
    uint8_t has_last; /* last_num holds the last notified number */
    double last_num;
    uint32_t seq;         /* Observe option value, 24 bits */
    uint64_t last_ms;     /* when the last notification went out */
    uint64_t last_con_ms; /* when the last CON went out (or registration) */
} bw_lwm2m_obs_t;

/* The block-wise Write being received (fields private). */
typedef struct {
    bw_lwm2m_path_t path; /* the resource */
    uint16_t server;      /* whose transfer it is */
    uint8_t open;
    uint16_t last_len; /* the block accepted last: [last_off, +last_len) */
    uint32_t last_off;
    uint32_t expected; /* next byte offset wanted */
    uint64_t last_ms;  /* when a block was last accepted */
} bw_lwm2m_block1_t;

typedef struct {
    /* Counts and pointers first: on a Thumb-2 core the first 124 bytes
     * are reached with 2-byte loads and stores. */
    size_t nobjects;
    size_t nattrs;
    size_t nobs;
    const bw_lwm2m_dm_config_t *cfg; /* formats and features */
    /* The handler's access checks, set with the table: reached only
     * through it, so a build that never installs one does not link them. */
    const struct bw_lwm2m__acl_ops *acl;
    /* Server defaults when no attribute says otherwise (seconds; pmax 0:
     * none). */
    uint32_t default_pmin, default_pmax;
    bw_lwm2m_dm_access_t access; /* zeroed: no access control */
    bw_lwm2m_object_t *objects[BW_LWM2M_DM_MAX_OBJECTS]; /* by id, ascending */
    bw_lwm2m_block1_t block1; /* at most one block-wise Write at a time */
    bw_lwm2m_obs_t obs[BW_LWM2M_DM_MAX_OBS];
    bw_lwm2m_attr_t attrs[BW_LWM2M_DM_MAX_ATTRS];
    /* Working buffer (see BW_LWM2M_DM_VALUE_MAX); nothing survives a call. */
    uint8_t buf[BW_LWM2M_DM_VALUE_MAX + BW_LWM2M_DM_CHUNK_MAX];
} bw_lwm2m_dm_t;

/* Set up a handler with every format and feature (bw_lwm2m_dm_full). */
void bw_lwm2m_dm_init(bw_lwm2m_dm_t *dm);

/*
 * Set up a handler speaking what cfg lists (bw_lwm2m_dm_full,
 * bw_lwm2m_dm_min or the application's own); cfg is not copied and MUST
 * outlive dm.  Returns 0, or BW_EINVAL (NULL, or neither TLV nor SenML
 * CBOR listed); dm is then zeroed and MUST NOT be used.
 */
int bw_lwm2m_dm_init_with(bw_lwm2m_dm_t *dm, const bw_lwm2m_dm_config_t *cfg);

/*
 * Add an object.  Returns 0, or BW_EDUPKEY (an object with this id is
 * registered), BW_ENOMEM (table full), BW_EINVAL (NULL, or its resource
 * table not sorted).
 */
int bw_lwm2m_dm_add(bw_lwm2m_dm_t *dm, bw_lwm2m_object_t *obj);

/*
 * Install the access table (copied; acc NULL or rights NULL removes it).
 * Its arg MUST outlive dm.
 */
void bw_lwm2m_dm_set_access(bw_lwm2m_dm_t *dm, const bw_lwm2m_dm_access_t *acc);

/* The registered object with this id, or NULL. */
bw_lwm2m_object_t *bw_lwm2m_dm_object(bw_lwm2m_dm_t *dm, uint16_t id);

/*
 * Handle one request from server (its Short Server ID; 0 for the
 * bootstrap server) arriving on iface.  Builds the whole response in
 * out (cap bytes): ACK/NON type and message ID are the message layer's
 * business (bw_coap_endpoint_respond rewrites them), the token is the
 * request's, the code and options and payload are the answer.
 * *out_len is its length.  An Observe GET registers (or cancels) an
 * observation as a side effect.
 *
 * Returns 0 (a response was built, whatever its code), or BW_ENOSPC (cap
 * too small even for an error response), BW_EINVAL (NULL pointers).
 * Errors of the request become response codes, never return values.
 * A block-wise Write idle for BW_LWM2M_DM_BLOCK1_IDLE_MS at now is
 * dropped first (see the top of the file).
 */
int bw_lwm2m_dm_handle(bw_lwm2m_dm_t *dm, uint64_t now, bw_lwm2m_iface_t iface,
                       uint16_t server, const bw_coap_msg_t *req, uint8_t *out,
                       size_t cap, size_t *out_len);

/*
 * Report that a value changed (the application calls this after it
 * changes a resource; the core calls it after a Write).  path may be an
 * instance or an object when many changed.
 */
void bw_lwm2m_dm_changed(bw_lwm2m_dm_t *dm, const bw_lwm2m_path_t *path,
                         uint64_t now);

/*
 * Build the next notification that is due at now, if any: a NON or CON
 * 2.05 Content message (CON at least every 24 hours, RFC 7641 4.5) with
 * the observation's token, Observe sequence and payload.  The message ID
 * is the endpoint's to assign (bw_coap_endpoint_send).
 * *server on entry: the SSID whose observations to look at, 0 for every
 * server's.  Returns 1 and *out_len, *server (whom it is for); 0 when
 * nothing is due; or BW_ENOSPC.  *next_ms (may be NULL) is when the next
 * one of those observations may be due,
 * or when an open block-wise Write expires if that comes sooner (it is
 * dropped by this call once expired).
 */
int bw_lwm2m_dm_notify(bw_lwm2m_dm_t *dm, uint64_t now, uint8_t *out,
                       size_t cap, size_t *out_len, uint16_t *server,
                       uint64_t *next_ms);

/* Drop every observation of server (it deregistered, or a RST came). */
void bw_lwm2m_dm_cancel_server(bw_lwm2m_dm_t *dm, uint16_t server);

/* Drop the observation with this token (a RST or a failed CON). */
void bw_lwm2m_dm_cancel_token(bw_lwm2m_dm_t *dm, uint16_t server,
                              const uint8_t *token, size_t token_len);

/*
 * The object links of a Register or Update payload (Core 6.2.1, e.g.
 * "</>;rt=\"oma.lwm2m\";ct=11542,</1/0>,</3>;ver=1.1,</3/0>,</5>"): every
 * object and instance except the Security object (and OSCORE, 21), an
 * object with no instance as "</5>", ver= on the object link where an
 * object has a version.  ct names TLV, the format this client answers in
 * by default.  Returns 0, or BW_ENOSPC, BW_EINVAL (NULL), or a list
 * handler's error (*out_len is then 0).
 */
int bw_lwm2m_dm_links(bw_lwm2m_dm_t *dm, char *out, size_t cap,
                      size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_LWM2M_DM_H */
