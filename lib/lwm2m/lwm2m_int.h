/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the files of lib/lwm2m; never included from
 * outside the module.
 */
#ifndef BW_LWM2M_INT_H
#define BW_LWM2M_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/lwm2m.h"

/* Longest decimal uint64 ("18446744073709551615"). */
#define BW_LWM2M__U64_DIGITS 20

/*
 * Canonical decimal (no sign, no leading zero, "0" alone is fine) of at
 * most five digits, at most max.  Returns 0, BW_EMALFORMED or BW_ERANGE.
 */
int bw_lwm2m__dec_u16(const char *s, size_t len, uint32_t max, uint16_t *out);

/* Write v in decimal into out (room for BW_LWM2M__U64_DIGITS); returns n. */
size_t bw_lwm2m__fmt_u64(uint64_t v, char *out);

/* Longest object link text, "65535:65535". */
#define BW_LWM2M__OBJLNK_CHARS 11

/* Write an object link as "oid:iid" into out (room for
 * BW_LWM2M__OBJLNK_CHARS); returns n. */
size_t bw_lwm2m__fmt_objlnk(uint16_t oid, uint16_t iid, char *out);

/* Write v in decimal, '-' first when negative, into out (room for
 * BW_LWM2M__U64_DIGITS + 1); returns n. */
size_t bw_lwm2m__fmt_i64(int64_t v, char *out);

/* sink->type_of(path), or NONE without one. */
bw_lwm2m_type_t bw_lwm2m__type_of(const bw_lwm2m_sink_t *sink,
                                  const bw_lwm2m_path_t *path);

/* Hand a record to the sink: 0, the callback's negative code, or
 * BW_EABORTED for a positive one. */
int bw_lwm2m__emit(const bw_lwm2m_sink_t *sink, const bw_lwm2m_record_t *rec);

/*
 * Check a base path for the single-value formats (text, opaque): 0,
 * BW_EPATH when invalid, BW_EFORMAT when not a resource or resource
 * instance.
 */
int bw_lwm2m__single_base(const bw_lwm2m_path_t *base);

/*
 * The checks add() of a single-value writer (text, opaque) makes before
 * writing: the sticky error, then BW_EINVAL (NULL rec), BW_EFORMAT (a
 * value was already added) or BW_EPATH (rec is not at the base).
 */
int bw_lwm2m__single_add(const bw_lwm2m_text_writer_t *w,
                         const bw_lwm2m_record_t *rec);

/* ---- numbers as decimal text (lwm2m_number.c) ---------------------------
 *
 * The conversion every text format of the module shares (text/plain, SenML
 * JSON): exact, correctly rounded, no libc.  Syntax and layout stay with
 * each format; only digit strings and exponents pass through here.
 */

/*
 * Most significant digits bw_lwm2m__dec_to_double() takes.  The longest
 * text/plain float (BW_LWM2M_TEXT_FLOAT_MAX characters) and the SenML JSON
 * digit limit both fit; the big integers in lwm2m_number.c are sized for
 * it.
 */
#define BW_LWM2M__DEC_MAX_DIGITS 64

/* Significant digits that always identify a double (IEEE 754: 17). */
#define BW_LWM2M__DBL_DIGITS 17

/*
 * Exact decimal to double: digits[0..nd) (ASCII '0'..'9', the first one
 * nonzero unless nd is 0, nd <= BW_LWM2M__DEC_MAX_DIGITS) times 10^e10,
 * rounded to nearest, ties to even.  The sign is the caller's.  Returns 0
 * or BW_ERANGE when the result overflows the double range (*out is then
 * 0).  Values below half the smallest subnormal round to zero as IEEE 754
 * prescribes; nd 0 is zero.
 */
int bw_lwm2m__dec_to_double(const uint8_t *digits, size_t nd, int32_t e10,
                            double *out);

/*
 * Decimal digits of v, which MUST be positive and finite: out[0..n) as
 * ASCII, the first nonzero and the last nonzero, the first standing for
 * 10^*k (v ~ d0.d1d2... * 10^k).  prec 0 asks for the shortest digits that
 * read back (with bw_lwm2m__dec_to_double) to exactly v; prec 1..17 for v
 * correctly rounded (ties to even) to prec significant digits, trailing
 * zeros then dropped.  Returns n (1..BW_LWM2M__DBL_DIGITS), or 0 for a v
 * or prec outside those ranges.
 */
size_t bw_lwm2m__dbl_digits(double v, int prec,
                            uint8_t out[BW_LWM2M__DBL_DIGITS], int32_t *k);

/* ---- the request handler (lwm2m_dm*.c) ----------------------------------
 *
 * A response payload is never built whole: a producer emits it piece by
 * piece (one TLV, one SenML record, one link, each encoded by its own
 * writer into the dm's chunk buffer) through bw_lwm2m__gen_put(), which
 * keeps only the bytes inside a window (the message's payload, or one
 * Block2 block) and counts and hashes them all.  Running the producer
 * again gives the same bytes while the data is unchanged, so any block
 * can be served by re-running it.
 */
#include "bulwark/coap.h"
#include "bulwark/lwm2m_dm.h"
#include "bulwark/lwm2m_senml.h"

typedef struct bw_lwm2m__gen bw_lwm2m__gen_t;
typedef int (*bw_lwm2m__produce_fn)(bw_lwm2m__gen_t *g);

struct bw_lwm2m__gen {
    bw_lwm2m__produce_fn produce;
    bw_lwm2m_dm_t *dm;
    bw_lwm2m_object_t *obj; /* NULL for the root */
    bw_lwm2m_path_t path;
    const bw_lwm2m_codec_t *codec; /* produce_read's format */
    uint16_t format;
    uint16_t server;
    uint8_t iface;
    /* window: bytes [off, off + len) of the payload go to dst */
    uint8_t *dst;
    size_t off, len;
    size_t pos;     /* bytes produced so far */
    uint32_t hash;  /* FNV-1a of them, for the ETag */
    uint32_t count; /* records produced (the SenML CBOR array head) */
    int err;        /* the producer's error, kept across the Block2 helper */
};

/* Append n bytes to the payload being produced. */
void bw_lwm2m__gen_put(bw_lwm2m__gen_t *g, const void *p, size_t n);

/* How the response carrying a payload starts. */
typedef struct {
    uint8_t type;
    uint16_t mid;
    const uint8_t *token;
    uint8_t token_len;
    uint8_t has_observe;
    uint32_t observe;
    const bw_coap_msg_t *req; /* its Block2 option, if any, picks the block */
} bw_lwm2m__rsp_t;

/*
 * Build a 2.05 Content response (or notification) whose payload g
 * produces: whole when it fits, else the Block2 block req asks for
 * (block 0 without one), with an ETag over the whole payload.
 * Returns 0, the producer's error, BW_EBLOCK / BW_EOVERFLOW / BW_ERANGE
 * (req's Block2 is bad: 4.02), or BW_ENOSPC (cap too small).
 */
int bw_lwm2m__content(bw_lwm2m__gen_t *g, const bw_lwm2m__rsp_t *h,
                      uint8_t *out, size_t cap, size_t *out_len);

/* Producers: values under g->path in g->format (lwm2m_dm_read.c); the
 * Discover and Bootstrap-Discover links (lwm2m_dm_discover.c). */
int bw_lwm2m__produce_read(bw_lwm2m__gen_t *g);
int bw_lwm2m__produce_discover(bw_lwm2m__gen_t *g);

/* The response code for an error of a handler or a decoder (see the
 * table in lwm2m_object.h). */
uint8_t bw_lwm2m__dm_code(int err);

/* Whether instance inst of o exists: 0, BW_ENOTFOUND, or the list
 * handler's error (BW_ENOSPC past BW_LWM2M_DM_MAX_LIST). */
int bw_lwm2m__dm_has_inst(bw_lwm2m_object_t *o, uint16_t inst);

/* List o's instances into ids (BW_LWM2M_DM_MAX_LIST). */
int bw_lwm2m__dm_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t *n);

/* The effective attributes of path for server: the path's own, then
 * its ancestors' (resource > instance > object); none of the dm's
 * defaults.  Reached through the Write-Attributes feature (without it
 * nothing is ever stored). */
void bw_lwm2m__dm_attr_get(const bw_lwm2m_dm_t *dm, uint16_t server,
                           const bw_lwm2m_path_t *path, bw_lwm2m_attr_t *out);

/* The attributes stored for exactly this path and server, or NULL. */
const bw_lwm2m_attr_t *bw_lwm2m__dm_attr_at(const bw_lwm2m_dm_t *dm,
                                            uint16_t server,
                                            const bw_lwm2m_path_t *path);

/* Forget the attributes at or under path (its instance was deleted; its
 * observations end with their next notification). */
void bw_lwm2m__dm_forget(bw_lwm2m_dm_t *dm, const bw_lwm2m_path_t *path);

/* One request being answered. */
typedef struct {
    bw_lwm2m_dm_t *dm;
    const bw_coap_msg_t *req;
    bw_lwm2m_iface_t iface;
    uint16_t server;
    uint64_t now;
    bw_lwm2m_path_t path;
    bw_lwm2m_object_t *obj; /* NULL for the root or an unknown object */
    uint8_t *out;
    size_t cap;
    size_t *out_len;
} bw_lwm2m__req_t;

/* A response with only a code (and Location-Path for 2.01 when loc is
 * not NULL: /loc[0]/loc[1]).  Returns 0 or BW_ENOSPC. */
int bw_lwm2m__dm_reply(const bw_lwm2m__req_t *r, uint8_t code,
                       const bw_lwm2m_path_t *loc);

/* The operations, each building the whole response (0 or BW_ENOSPC). */
int bw_lwm2m__dm_write(const bw_lwm2m__req_t *r);      /* PUT, POST /O/I */
int bw_lwm2m__dm_create(const bw_lwm2m__req_t *r);     /* POST /O */
int bw_lwm2m__dm_write_attr(const bw_lwm2m__req_t *r); /* PUT ?pmin.. */
int bw_lwm2m__dm_delete(const bw_lwm2m__req_t *r);     /* both interfaces */
int bw_lwm2m__dm_execute(const bw_lwm2m__req_t *r);
/* PUT with Block1: one block of a block-wise Write (lwm2m_dm_block1.c). */
int bw_lwm2m__dm_block1(const bw_lwm2m__req_t *r);
/* Drop the open block-wise Write if it has been idle too long at now;
 * when one stays open, lower *next (may be NULL) to when it expires. */
void bw_lwm2m__dm_block1_expire(bw_lwm2m_dm_t *dm, uint64_t now,
                                uint64_t *next);
/* A Write without Block1 to path succeeded: an open block-wise Write of
 * path or under it is over (the object has seen the new value). */
void bw_lwm2m__dm_block1_end(bw_lwm2m_dm_t *dm, const bw_lwm2m_path_t *path);
/* GET: Read, Bootstrap-Read, Discover, Bootstrap-Discover, Observe. */
int bw_lwm2m__dm_get(const bw_lwm2m__req_t *r);
/* GET with Accept: link-format (the Discover feature's handle). */
int bw_lwm2m__dm_discover(const bw_lwm2m__req_t *r);
/* ---- access control in the handler (lwm2m_acl_dm.c) ----
 *
 * Reached through dm->acl, which bw_lwm2m_dm_set_access() sets with the
 * table: without an access table (dm->acl NULL) every request may go on
 * and every instance is listed, and the checks are not linked.
 */
struct bw_lwm2m__acl_ops {
    /* The access check of a DM request (see lwm2m_dm.h): 0 when it may
     * go on, else the response code (4.01, 4.04, 5.00). */
    uint8_t (*access)(const bw_lwm2m__req_t *r);
    /* Whether /oid/iid is listed to server in a Read, Observe or
     * Discover of the whole object: the bootstrap interface, or the Read
     * right. */
    int (*visible)(bw_lwm2m_dm_t *dm, uint8_t iface, uint16_t server,
                   uint16_t oid, uint16_t iid);
    /* A DM Create / Delete of /oid/iid succeeded: tell the access table. */
    void (*created)(const bw_lwm2m__req_t *r, uint16_t oid, uint16_t iid);
    void (*deleted)(const bw_lwm2m__req_t *r, uint16_t oid, uint16_t iid);
};

static inline uint8_t bw_lwm2m__dm_access(const bw_lwm2m__req_t *r)
{
    return r->dm->acl != NULL ? r->dm->acl->access(r) : 0;
}
static inline int bw_lwm2m__dm_visible(bw_lwm2m_dm_t *dm, uint8_t iface,
                                       uint16_t server, uint16_t oid,
                                       uint16_t iid)
{
    return dm->acl == NULL || dm->acl->visible(dm, iface, server, oid, iid);
}
static inline void bw_lwm2m__dm_access_created(const bw_lwm2m__req_t *r,
                                               uint16_t oid, uint16_t iid)
{
    if (r->dm->acl != NULL)
        r->dm->acl->created(r, oid, iid);
}
static inline void bw_lwm2m__dm_access_deleted(const bw_lwm2m__req_t *r,
                                               uint16_t oid, uint16_t iid)
{
    if (r->dm->acl != NULL)
        r->dm->acl->deleted(r, oid, iid);
}

/* Register or cancel the observation of a successful Read; returns
 * whether one is now registered and its Observe value in *seq. */
int bw_lwm2m__dm_observe(const bw_lwm2m__req_t *r, uint16_t format,
                         uint32_t *seq);

/* ---- content formats and optional features (lwm2m_dm_codec.c) ----------
 *
 * A codec is one content format the handler speaks: its decoder (writes)
 * and how a Read payload is built from records (put once per record,
 * finish after the last).  The handler only reaches a codec through the
 * table of its bw_lwm2m_dm_config_t, so a format nobody lists is never
 * linked.
 */

/* The encoder state of one producer run (lwm2m_dm_read.c). */
typedef struct {
    bw_lwm2m__gen_t *g;
    uint8_t *chunk; /* dm->buf after the value area */
    size_t chunk_cap;
    int counting; /* a first pass that only counts records */
    int open;     /* TLV: a group is open in w.tlv */
    uint16_t group;
    uint32_t n; /* records encoded */
    union {
        bw_lwm2m_tlv_writer_t tlv;
        bw_lwm2m_text_writer_t text;
        bw_lwm2m_senml_json_writer_t json;
        bw_lwm2m_senml_cbor_writer_t cbor;
    } w;
} bw_lwm2m__enc_t;

/* Codec flags. */
enum {
    BW_LWM2M__CODEC_SINGLE = 1u << 0, /* one value only (text, opaque) */
    BW_LWM2M__CODEC_OPAQUE = 1u << 1, /* of an OPAQUE resource only */
    BW_LWM2M__CODEC_COUNT = 1u << 2,  /* a first pass counts the records */
};

struct bw_lwm2m_codec {
    uint16_t format; /* Content-Format number */
    uint8_t flags;   /* BW_LWM2M__CODEC_* */
    bw_lwm2m_decode_fn decode;
    /* Encode one record into e (bw_lwm2m__gen_put its bytes). */
    int (*put)(bw_lwm2m__enc_t *e, const bw_lwm2m_record_t *rec);
    /* After the last record (may be NULL). */
    int (*finish)(bw_lwm2m__enc_t *e);
};

/* The codec of dm's table for format, or NULL. */
const bw_lwm2m_codec_t *bw_lwm2m__codec(const bw_lwm2m_dm_t *dm,
                                        uint32_t format);

/*
 * An optional feature: only the hooks of its kind are set.  The handler
 * and the client call a feature only through the pointer their
 * configuration holds, so one left out is never linked.
 */
struct bw_lwm2m_client;
struct bw_lwm2m_feature {
    /* DM operations (Discover, Write-Attributes, Block1): answer r. */
    int (*handle)(const bw_lwm2m__req_t *r);
    /* Block1: drop an idle transfer / a Write ended the one at path. */
    void (*expire)(bw_lwm2m_dm_t *dm, uint64_t now, uint64_t *next);
    void (*end)(bw_lwm2m_dm_t *dm, const bw_lwm2m_path_t *path);
    /* Write-Attributes: remember the observed number (o->last_num), and
     * whether gt / lt / st let a change of o through. */
    void (*snapshot)(bw_lwm2m_dm_t *dm, bw_lwm2m_obs_t *o);
    int (*crossed)(bw_lwm2m_dm_t *dm, const bw_lwm2m_obs_t *o,
                   const bw_lwm2m_attr_t *a);
    /* Write-Attributes: the attribute store (bw_lwm2m__dm_attr_get,
     * bw_lwm2m__dm_forget). */
    void (*attrs)(const bw_lwm2m_dm_t *dm, uint16_t server,
                  const bw_lwm2m_path_t *path, bw_lwm2m_attr_t *out);
    void (*forget)(bw_lwm2m_dm_t *dm, const bw_lwm2m_path_t *path);
    /* Client, Access Control: add /2 and the access table. */
    int (*setup)(struct bw_lwm2m_client *c);
    /* Client, Send: queue (bw_lwm2m_client_send), build and transmit,
     * the answer, the end. */
    int (*queue)(struct bw_lwm2m_client *c, const bw_lwm2m_path_t *paths,
                 size_t n, uint64_t now, int64_t time_ms);
    int (*dp)(struct bw_lwm2m_client *c);
    void (*answer)(struct bw_lwm2m_client *c, const bw_coap_msg_t *msg);
    void (*stop)(struct bw_lwm2m_client *c, int err);
};

/* The Write-Attributes hooks (lwm2m_dm_observe.c). */
void bw_lwm2m__obs_snapshot(bw_lwm2m_dm_t *dm, bw_lwm2m_obs_t *o);
int bw_lwm2m__obs_crossed(bw_lwm2m_dm_t *dm, const bw_lwm2m_obs_t *o,
                          const bw_lwm2m_attr_t *a);

#endif /* BW_LWM2M_INT_H */
