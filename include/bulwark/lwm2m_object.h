/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LwM2M objects as the client core sees them (OMA LwM2M 1.1 Core, section
 * 6 "Interfaces" and appendix D "Object template").
 *
 * An application object is a definition (its id, version and resource
 * table) and a table of handlers over the application's own state.  The
 * core never holds object data: it asks the handlers, one value at a time,
 * and encodes or decodes the content formats around them.  So an object
 * can live in RAM, in flash, or in a sensor register.
 *
 * Writes are transactional.  A request that writes (Write replace or
 * partial update, Create with values, Bootstrap-Write) runs as:
 *
 *     begin(inst, kind)  write(...)*  validate(inst)  commit(inst)
 *                                 \____ any failure ____ rollback(inst)
 *
 * begin() snapshots what rollback() must restore; write() stages one
 * value; validate() checks the instance as a whole (e.g. "a PSK security
 * mode needs a key"); commit() makes the staged values current, and MUST
 * NOT fail.  A request either changes everything it names or nothing.
 *
 * Handlers return 0 or a BW_E* code, which the core turns into the CoAP
 * response code:
 *   BW_ENOTFOUND        4.04 Not Found
 *   BW_ETYPE, BW_ERANGE, BW_EMALFORMED, BW_EINVAL, BW_EUTF8
 *                       4.00 Bad Request
 *   BW_ESTATE, BW_EUNSUPPORTED
 *                       4.05 Method Not Allowed (e.g. Execute refused now)
 *   BW_ENOMEM, BW_ENOSPC, anything else
 *                       5.00 Internal Server Error (no room for another
 *                       instance, a handler failure)
 *
 * What this header never does: allocate, hold a pointer the application
 * did not give it, or call a handler from outside bw_lwm2m_* entry points.
 */
#ifndef BULWARK_LWM2M_OBJECT_H
#define BULWARK_LWM2M_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/error.h"
#include "bulwark/lwm2m.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Operations a resource allows (appendix D, "Operations"). */
enum {
    BW_LWM2M_OP_R = 1u,
    BW_LWM2M_OP_W = 2u,
    BW_LWM2M_OP_RW = 3u,
    BW_LWM2M_OP_E = 4u,
};

/* One row of an object's resource table (sorted by id, ascending). */
typedef struct {
    uint16_t id;
    uint8_t type;     /* bw_lwm2m_type_t; BW_LWM2M_TYPE_NONE for Execute */
    uint8_t ops;      /* BW_LWM2M_OP_* */
    uint8_t multiple; /* multiple-instance resource */
    uint8_t mandatory;
} bw_lwm2m_res_def_t;

/* Why a write transaction was opened. */
typedef enum {
    BW_LWM2M_TXN_UPDATE = 1,    /* Write, partial update (POST), and
                                   Write (PUT) of one resource or resource
                                   instance: only what is named changes */
    BW_LWM2M_TXN_REPLACE = 2,   /* Write, replace (PUT) of an instance:
                                   unnamed writable resources go back to
                                   their defaults */
    BW_LWM2M_TXN_CREATE = 3,    /* Create: the instance is new */
    BW_LWM2M_TXN_BOOTSTRAP = 4, /* Bootstrap-Write: any resource, even
                                   read-only ones, may be written */
} bw_lwm2m_txn_t;

typedef struct bw_lwm2m_object bw_lwm2m_object_t;

/*
 * The handlers.  inst, res, ri name the target; a handler that is NULL
 * means the operation is not supported by this object (4.05).
 *
 * list:     instance ids, ascending, into ids (cap entries); *n = count.
 *           BW_ENOSPC if more exist than fit.
 * list_ri:  resource instance ids of a multiple resource, ascending.
 * read:     the value at path (depth 3 for a single resource, 4 for a
 *           resource instance).  Strings and opaque values may point into
 *           the object's own memory, or be copied into scratch (cap bytes)
 *           and point there; they MUST stay valid until the next handler
 *           call on this object.
 * write:    stage one value (between begin and commit).  v->type is the
 *           type of the resource definition (the core converts before
 *           calling, or answers 4.00).  A value of type NONE at a multiple
 *           resource (depth 3) means "drop all its resource instances":
 *           the core sends it before the instances of a multiple resource
 *           that a Write replace, Create or Bootstrap-Write names.
 * execute:  run the resource with the Execute argument bytes (may be 0).
 * create:   add instance inst with default values, inside a CREATE
 *           transaction, or a BOOTSTRAP one when Bootstrap-Write names an
 *           instance that does not exist; begin() comes first (for an
 *           instance that does not exist yet), and the values of the
 *           request follow as writes.  rollback() MUST remove it again.
 * remove:   delete instance inst (Delete, Bootstrap-Delete).
 * begin, validate, commit, rollback: the transaction of one instance.
 *           These four may be NULL for an object with nothing to stage
 *           (each is then a no-op); the others NULL mean 4.05.
 */
typedef struct {
    int (*list)(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n);
    int (*list_ri)(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                   uint16_t *ids, size_t cap, size_t *n);
    int (*read)(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap);
    int (*write)(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                 const bw_lwm2m_value_t *v);
    int (*execute)(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                   const uint8_t *arg, size_t len);
    int (*create)(bw_lwm2m_object_t *o, uint16_t inst);
    int (*remove)(bw_lwm2m_object_t *o, uint16_t inst);
    int (*begin)(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind);
    int (*validate)(bw_lwm2m_object_t *o, uint16_t inst);
    void (*commit)(bw_lwm2m_object_t *o, uint16_t inst);
    void (*rollback)(bw_lwm2m_object_t *o, uint16_t inst);
} bw_lwm2m_object_ops_t;

/*
 * One block of a block-wise Write (CoAP Block1, RFC 7959) of a single
 * OPAQUE resource, as write_block() below receives it.
 */
typedef struct {
    const uint8_t *data; /* this block's bytes; NULL when len is 0 */
    size_t len;          /* 0 only for a last block, or with drop */
    uint32_t offset;     /* where data starts in the whole value */
    uint8_t more;        /* 1: more blocks follow; 0: this one ends it */
    uint8_t drop;        /* 1: the transfer ends without its last block
                            (a new one restarts it at block 0, or no block
                            came for BW_LWM2M_DM_BLOCK1_IDLE_MS); offset
                            is the bytes accepted so far, no data */
} bw_lwm2m_block_t;

/*
 * An object: definition, handlers and the application's context.
 *
 * write_block: NULL for an object that takes whole values only, which is
 * every object unless it says otherwise: a Block1 request to it answers
 * 4.13 Request Entity Too Large.  Set, it receives block-wise Writes (PUT
 * with Block1, Content-Format application/octet-stream) of its single
 * OPAQUE writable resources as they arrive, never the whole value: each
 * block in its own transaction
 *
 *     begin(inst, UPDATE)  write_block(path, b)  validate(inst)  commit(inst)
 *
 * (rollback() on any failure: that block is refused, the ones committed
 * before it stay), in order, offsets without gaps, the first at 0.  A
 * block of a transfer that is dropped (b->drop, in a transaction of its
 * own) tells the object to forget what the earlier blocks left.  Errors
 * map as for write(), and BW_EBLOCK (nothing is under way at b->offset)
 * answers 4.08 Request Entity Incomplete and ends the transfer.  A Write
 * without Block1 still goes through write() with the whole value.  It
 * sits outside the ops table so that tables written before it stay
 * complete.
 */
struct bw_lwm2m_object {
    uint16_t id;
    uint8_t multiple_instances; /* 0: single-instance object */
    const char *version;        /* "1.1", or NULL for 1.0 ("ver" omitted) */
    const bw_lwm2m_res_def_t *res;
    uint16_t nres;
    const bw_lwm2m_object_ops_t *ops;
    void *ctx;
    int (*write_block)(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                       const bw_lwm2m_block_t *b);
};

/* The definition of resource id in o, or NULL. */
const bw_lwm2m_res_def_t *bw_lwm2m_object_res(const bw_lwm2m_object_t *o,
                                              uint16_t id);

#ifdef __cplusplus
}
#endif

#endif /* BULWARK_LWM2M_OBJECT_H */
