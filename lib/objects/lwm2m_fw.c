/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Firmware Update object (/5, OMA LwM2M object 5 version 1.1,
 * urn:oma:lwm2m:oma:5:1.1; state machine of LwM2M 1.1 Core E.6) over a
 * bw_lwm2m_fw_t.  The diagram and the rules are in lwm2m_objects.h and
 * docs/objects.md; this file holds them as one table of steps and one
 * function, step(), through which every state change goes.
 *
 * The object keeps the state, the result and the Package URI; the package
 * itself and the download are the application's (hooks).  Writes are
 * transactional like every object's, with these particulars:
 *
 *   - write() runs the state machine on the live fields at once, so the
 *     checks a later record meets see the earlier ones (a second URI in
 *     one request finds DOWNLOADING and is refused);
 *   - begin() snapshots state, result, URI length and bytes received;
 *     rollback() restores them, and calls cancel() if the request started
 *     a package that chunk() took data of (a later block of a block-wise
 *     push that fails leaves the blocks before it, and DOWNLOADING);
 *   - commit() runs the hooks the request asked for: cancel() for a
 *     download or package it dropped, download() for a URI it started.
 *
 * The URI bytes are only ever written in IDLE, where the URI is empty
 * (entering IDLE empties it), and a request that cancels something held
 * before it may not start anything new (4.05): so restoring the length is
 * enough to restore the URI, and one cancel() never means two things.
 */
#include "bw_mem.h"
#include "objects_int.h"

#define R  BW_LWM2M_OP_R
#define W  BW_LWM2M_OP_W
#define RW BW_LWM2M_OP_RW
#define E  BW_LWM2M_OP_E

enum {
    RES_PACKAGE = 0,
    RES_URI = 1,
    RES_UPDATE = 2,
    RES_STATE = 3,
    RES_RESULT = 5,
    RES_PKG_NAME = 6,
    RES_PKG_VERSION = 7,
    RES_PROTOCOLS = 8,
    RES_DELIVERY = 9,
};

static const bw_lwm2m_res_def_t fw_res[] = {
    {RES_PACKAGE, BW_LWM2M_TYPE_OPAQUE, W, 0, 1},
    {RES_URI, BW_LWM2M_TYPE_STRING, RW, 0, 1},
    {RES_UPDATE, BW_LWM2M_TYPE_NONE, E, 0, 1},
    {RES_STATE, BW_LWM2M_TYPE_INTEGER, R, 0, 1},
    {RES_RESULT, BW_LWM2M_TYPE_INTEGER, R, 0, 1},
    {RES_PKG_NAME, BW_LWM2M_TYPE_STRING, R, 0, 0},
    {RES_PKG_VERSION, BW_LWM2M_TYPE_STRING, R, 0, 0},
    {RES_PROTOCOLS, BW_LWM2M_TYPE_INTEGER, R, 1, 0},
    {RES_DELIVERY, BW_LWM2M_TYPE_INTEGER, R, 0, 1},
};

/* ---- the state machine ------------------------------------------------- */

typedef enum {
    EV_START,      /* a URI or the first piece of a package, in IDLE */
    EV_RESET,      /* an empty URI or Package */
    EV_DOWNLOADED, /* the package is complete and checked */
    EV_FAILED,     /* the download or push failed (2..7, 9) */
    EV_UPDATE,     /* Execute Update */
    EV_UPDATED,    /* the update ended, package gone (1, 5) */
    EV_KEPT,       /* the update failed, package still held (8) */
} ev_t;

#define S(st) (1u << (st))

/* The legal steps; any other (state, event) is BW_ESTATE. */
static const struct {
    uint8_t from; /* mask of S(state) */
    uint8_t ev;
    uint8_t to;
} steps[] = {
    {S(BW_LWM2M_FW_IDLE), EV_START, BW_LWM2M_FW_DOWNLOADING},
    {S(BW_LWM2M_FW_IDLE) | S(BW_LWM2M_FW_DOWNLOADING) |
         S(BW_LWM2M_FW_DOWNLOADED),
     EV_RESET, BW_LWM2M_FW_IDLE},
    {S(BW_LWM2M_FW_DOWNLOADING), EV_DOWNLOADED, BW_LWM2M_FW_DOWNLOADED},
    {S(BW_LWM2M_FW_DOWNLOADING), EV_FAILED, BW_LWM2M_FW_IDLE},
    {S(BW_LWM2M_FW_DOWNLOADED), EV_UPDATE, BW_LWM2M_FW_UPDATING},
    {S(BW_LWM2M_FW_UPDATING), EV_UPDATED, BW_LWM2M_FW_IDLE},
    {S(BW_LWM2M_FW_UPDATING), EV_KEPT, BW_LWM2M_FW_DOWNLOADED},
};

/* Take event ev with Update Result result.  Returns 0 or BW_ESTATE. */
static int step(bw_lwm2m_fw_t *fw, ev_t ev, uint8_t result)
{
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (steps[i].ev != ev || !(steps[i].from & S(fw->state)))
            continue;
        fw->state = steps[i].to;
        fw->result = result;
        if (fw->state == BW_LWM2M_FW_IDLE || ev == EV_START)
            fw->received = 0;
        if (fw->state == BW_LWM2M_FW_IDLE)
            fw->uri_len = 0;
        return 0;
    }
    return BW_ESTATE;
}

static void changed(const bw_lwm2m_fw_t *fw, uint16_t res)
{
    bw_objects__changed(fw->cfg.changed, fw->cfg.app, BW_LWM2M_OBJ_FW,
                        BW_OBJECTS__INST, res);
}

/* Report what differs from the given earlier values. */
static void report(const bw_lwm2m_fw_t *fw, uint8_t state, uint8_t result,
                   uint16_t uri_len)
{
    if (fw->state != state)
        changed(fw, RES_STATE);
    if (fw->result != result)
        changed(fw, RES_RESULT);
    if (fw->uri_len != uri_len)
        changed(fw, RES_URI);
}

/* Results a failed download or a refused package may carry. */
static int download_result(int r)
{
    return (r >= BW_LWM2M_FW_RESULT_NO_STORAGE &&
            r <= BW_LWM2M_FW_RESULT_BAD_URI) ||
           r == BW_LWM2M_FW_RESULT_BAD_PROTOCOL;
}

/* ---- Package URI ----------------------------------------------------------
 */

/* URI schemes by Firmware Update Protocol Support value (resource 8). */
static const char *const schemes[] = {"coap",  "coaps",    "http",
                                      "https", "coap+tcp", "coaps+tcp"};

static int scheme_char(uint8_t c, int first)
{
    uint8_t l = (uint8_t)(c | 0x20);
    if (l >= 'a' && l <= 'z')
        return 1;
    return !first &&
           ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.');
}

/* The scheme p[0..n) names protocol i (schemes are case-insensitive,
 * RFC 3986 section 3.1). */
static int scheme_is(const char *p, size_t n, size_t i)
{
    const char *s = schemes[i];
    size_t k = 0;
    for (; k < n && s[k] != '\0'; k++)
        if ((p[k] | 0x20) != s[k]) /* p holds scheme characters only */
            return 0;
    return k == n && s[k] == '\0';
}

/*
 * What a download of this URI would end with at once: 0 (worth trying),
 * BW_LWM2M_FW_RESULT_BAD_URI (not "scheme://something") or _BAD_PROTOCOL
 * (a scheme the device does not fetch from).
 */
static uint8_t uri_check(const bw_lwm2m_fw_t *fw, const char *p, size_t n)
{
    size_t k = 0;
    while (k < n && scheme_char((uint8_t)p[k], k == 0))
        k++;
    if (k == 0 || n - k < 4 || p[k] != ':' || p[k + 1] != '/' ||
        p[k + 2] != '/')
        return BW_LWM2M_FW_RESULT_BAD_URI;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (scheme_is(p, k, i))
            return (fw->cfg.protocols >> i & 1u)
                       ? 0
                       : BW_LWM2M_FW_RESULT_BAD_PROTOCOL;
    return BW_LWM2M_FW_RESULT_BAD_PROTOCOL;
}

/* ---- writes ---------------------------------------------------------------
 */

static int reset(bw_lwm2m_fw_t *fw)
{
    int err = step(fw, EV_RESET, BW_LWM2M_FW_RESULT_INITIAL);
    if (err != 0)
        return err;
    if (fw->txn.state != BW_LWM2M_FW_IDLE || fw->txn.took)
        fw->txn.cancel = 1;
    fw->txn.started = 0;
    return 0;
}

/* Whether a new download or push may start: IDLE now and before the
 * request (see the file comment), and the delivery method allows it. */
static int may_start(const bw_lwm2m_fw_t *fw, int push)
{
    if (fw->state != BW_LWM2M_FW_IDLE || fw->txn.state != BW_LWM2M_FW_IDLE)
        return BW_ESTATE;
    if (fw->cfg.delivery == (push ? BW_LWM2M_FW_PULL : BW_LWM2M_FW_PUSH) ||
        (push ? fw->cfg.chunk == NULL : fw->cfg.download == NULL))
        return BW_EUNSUPPORTED;
    return 0;
}

static int write_uri(bw_lwm2m_fw_t *fw, const bw_lwm2m_value_t *v)
{
    const char *p = (const char *)v->v.bytes.ptr;
    size_t n = v->v.bytes.len;
    if (n == 0)
        return reset(fw);
    if (n > BW_LWM2M_FW_URI_MAX)
        return BW_ERANGE;
    int err = may_start(fw, 0);
    if (err != 0)
        return err;
    bw__copy(fw->uri, p, n);
    fw->uri[n] = '\0';
    (void)step(fw, EV_START, BW_LWM2M_FW_RESULT_INITIAL);
    fw->uri_len = (uint16_t)n;
    uint8_t r = uri_check(fw, p, n);
    if (r != 0)
        (void)step(fw, EV_FAILED, r); /* as a download would end */
    else
        fw->txn.started = 1;
    return 0;
}

/* A push is under way: DOWNLOADING with no URI (a pull keeps its URI). */
static int pushing(const bw_lwm2m_fw_t *fw)
{
    return fw->state == BW_LWM2M_FW_DOWNLOADING && fw->uri_len == 0;
}

/*
 * n bytes of the package at offset; last: no more follow.  A Write
 * without Block1 is the whole package (offset 0, last); a block-wise one
 * comes block by block, each in its own transaction.  Offset 0 starts a
 * push (may_start); a later block must continue the push under way
 * exactly where it stands, else BW_EBLOCK.
 */
static int write_package(bw_lwm2m_fw_t *fw, const uint8_t *p, size_t n,
                         uint32_t offset, int last)
{
    /* No byte, or the single byte 0 (object 5 version 1.1), cancels. */
    if (offset == 0 && last && (n == 0 || (n == 1 && p[0] == 0)))
        return reset(fw);
    if (offset == 0) {
        int err = may_start(fw, 1);
        if (err != 0)
            return err;
        (void)step(fw, EV_START, BW_LWM2M_FW_RESULT_INITIAL);
        fw->txn.took = 1; /* this request started the package */
    } else if (!pushing(fw) || fw->txn.state != BW_LWM2M_FW_DOWNLOADING ||
               offset != fw->received) {
        return BW_EBLOCK;
    }
    int r = fw->cfg.chunk(fw->cfg.app, offset, p, n, last);
    if (r < 0)
        return r;
    if (r > 0)
        return download_result(r) ? step(fw, EV_FAILED, (uint8_t)r) : BW_EINVAL;
    fw->received += (uint32_t)n;
    return last ? step(fw, EV_DOWNLOADED, BW_LWM2M_FW_RESULT_INITIAL) : 0;
}

static int fw_write(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                    const bw_lwm2m_value_t *v)
{
    bw_lwm2m_fw_t *fw = o->ctx;
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    if (path->id[BW_LWM2M_INSTANCE] != BW_OBJECTS__INST ||
        path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    if (!fw->txn.open)
        return BW_ESTATE; /* writes come between begin and commit */
    if (res == RES_URI)
        return v->type == BW_LWM2M_TYPE_STRING ? write_uri(fw, v) : BW_ETYPE;
    if (res == RES_PACKAGE)
        return v->type == BW_LWM2M_TYPE_OPAQUE
                   ? write_package(fw, v->v.bytes.ptr, v->v.bytes.len, 0, 1)
                   : BW_ETYPE;
    return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED : BW_ENOTFOUND;
}

/*
 * A push dropped by the request handler (a restart at block 0, or no
 * block for too long): the package so far is lost as if the connection
 * had been, IDLE with result 4, and cancel() at commit.  Nothing under
 * way (a Write emptied it meanwhile, or a pull runs): nothing to do.
 */
static int drop_push(bw_lwm2m_fw_t *fw)
{
    if (!pushing(fw))
        return 0;
    int err = step(fw, EV_FAILED, BW_LWM2M_FW_RESULT_CONN_LOST);
    if (err == 0)
        fw->txn.cancel = 1;
    return err;
}

/* A block of a block-wise Write (Block1) of the Package. */
static int fw_write_block(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                          const bw_lwm2m_block_t *b)
{
    bw_lwm2m_fw_t *fw = o->ctx;
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    if (path->id[BW_LWM2M_INSTANCE] != BW_OBJECTS__INST ||
        path->depth != BW_LWM2M_DEPTH_RESOURCE)
        return BW_ENOTFOUND;
    if (!fw->txn.open)
        return BW_ESTATE; /* blocks come between begin and commit */
    if (res != RES_PACKAGE)
        return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED
                                                   : BW_ENOTFOUND;
    if (b->drop)
        return drop_push(fw);
    return write_package(fw, b->data, b->len, b->offset, !b->more);
}

static int fw_begin(bw_lwm2m_object_t *o, uint16_t inst, bw_lwm2m_txn_t kind)
{
    bw_lwm2m_fw_t *fw = o->ctx;
    if (kind == BW_LWM2M_TXN_CREATE)
        return BW_EUNSUPPORTED; /* the one instance always exists */
    if (inst != BW_OBJECTS__INST)
        return BW_ENOTFOUND;
    /* Write replace is taken as a partial update: the writable resources
     * are commands, and an unnamed one has nothing to go back to. */
    bw__zero(&fw->txn, sizeof fw->txn);
    fw->txn.open = 1;
    fw->txn.state = fw->state;
    fw->txn.result = fw->result;
    fw->txn.uri_len = fw->uri_len;
    fw->txn.received = fw->received;
    return 0;
}

static void fw_commit(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_fw_t *fw = o->ctx;
    (void)inst;
    int cancel = fw->txn.cancel;
    int start = fw->txn.started && fw->state == BW_LWM2M_FW_DOWNLOADING;
    uint8_t state = fw->txn.state, result = fw->txn.result;
    uint16_t uri_len = fw->txn.uri_len;
    bw__zero(&fw->txn, sizeof fw->txn);
    report(fw, state, result, uri_len);
    if (cancel && fw->cfg.cancel != NULL)
        fw->cfg.cancel(fw->cfg.app);
    if (start)
        fw->cfg.download(fw->cfg.app, fw->uri, fw->uri_len);
}

static void fw_rollback(bw_lwm2m_object_t *o, uint16_t inst)
{
    bw_lwm2m_fw_t *fw = o->ctx;
    (void)inst;
    int took = fw->txn.took;
    fw->state = fw->txn.state;
    fw->result = fw->txn.result;
    fw->uri_len = fw->txn.uri_len;
    fw->received = fw->txn.received;
    bw__zero(&fw->txn, sizeof fw->txn);
    if (took && fw->cfg.cancel != NULL)
        fw->cfg.cancel(fw->cfg.app);
}

/* ---- reads and Execute ------------------------------------------------ */

static size_t protocol_count(const bw_lwm2m_fw_t *fw)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        n += fw->cfg.protocols >> i & 1u;
    return n;
}

/* The ri-th protocol supported (ri < protocol_count). */
static int64_t protocol_at(const bw_lwm2m_fw_t *fw, size_t ri)
{
    size_t i = 0;
    for (;; i++)
        if ((fw->cfg.protocols >> i & 1u) && ri-- == 0)
            return (int64_t)i;
}

static int fw_list(bw_lwm2m_object_t *o, uint16_t *ids, size_t cap, size_t *n)
{
    (void)o;
    return bw_objects__list_seq(ids, cap, n, 1);
}

static int fw_list_ri(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                      uint16_t *ids, size_t cap, size_t *n)
{
    *n = 0;
    if (inst != BW_OBJECTS__INST || res != RES_PROTOCOLS)
        return BW_ENOTFOUND;
    return bw_objects__list_seq(ids, cap, n, protocol_count(o->ctx));
}

static int fw_read(bw_lwm2m_object_t *o, const bw_lwm2m_path_t *path,
                   bw_lwm2m_value_t *v, uint8_t *scratch, size_t cap)
{
    const bw_lwm2m_fw_t *fw = o->ctx;
    uint16_t res = path->id[BW_LWM2M_RESOURCE];
    uint16_t ri = path->id[BW_LWM2M_RES_INST];
    (void)scratch;
    (void)cap;
    if (path->id[BW_LWM2M_INSTANCE] != BW_OBJECTS__INST ||
        path->depth != (res == RES_PROTOCOLS ? BW_LWM2M_DEPTH_RES_INST
                                             : BW_LWM2M_DEPTH_RESOURCE))
        return BW_ENOTFOUND;
    switch (res) {
    case RES_URI:
        *v = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, fw->uri, fw->uri_len);
        return 0;
    case RES_STATE:
        *v = bw_lwm2m_value_int(fw->state);
        return 0;
    case RES_RESULT:
        *v = bw_lwm2m_value_int(fw->result);
        return 0;
    case RES_PKG_NAME:
        return bw_objects__str(v, fw->cfg.pkg_name);
    case RES_PKG_VERSION:
        return bw_objects__str(v, fw->cfg.pkg_version);
    case RES_PROTOCOLS:
        if (ri >= protocol_count(fw))
            return BW_ENOTFOUND;
        *v = bw_lwm2m_value_int(protocol_at(fw, ri));
        return 0;
    case RES_DELIVERY:
        *v = bw_lwm2m_value_int(fw->cfg.delivery);
        return 0;
    default:
        return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED
                                                   : BW_ENOTFOUND;
    }
}

static int fw_execute(bw_lwm2m_object_t *o, uint16_t inst, uint16_t res,
                      const uint8_t *arg, size_t len)
{
    bw_lwm2m_fw_t *fw = o->ctx;
    (void)arg;
    (void)len;
    if (inst != BW_OBJECTS__INST)
        return BW_ENOTFOUND;
    if (res != RES_UPDATE)
        return bw_lwm2m_object_res(o, res) != NULL ? BW_EUNSUPPORTED
                                                   : BW_ENOTFOUND;
    if (fw->cfg.apply == NULL)
        return BW_EUNSUPPORTED;
    uint8_t state = fw->state, result = fw->result;
    int err = step(fw, EV_UPDATE, BW_LWM2M_FW_RESULT_INITIAL);
    if (err != 0)
        return err;
    err = fw->cfg.apply(fw->cfg.app);
    if (err != 0) {
        fw->state = state;
        fw->result = result;
        return err;
    }
    report(fw, state, result, fw->uri_len);
    return 0;
}

static const bw_lwm2m_object_ops_t fw_ops = {
    .list = fw_list,
    .list_ri = fw_list_ri,
    .read = fw_read,
    .write = fw_write,
    .execute = fw_execute,
    .begin = fw_begin,
    .commit = fw_commit,
    .rollback = fw_rollback,
};

/* ---- the application's side ------------------------------------------- */

int bw_lwm2m_fw_init(bw_lwm2m_fw_t *fw, bw_lwm2m_object_t *obj,
                     const bw_lwm2m_fw_cfg_t *cfg)
{
    if (fw == NULL || obj == NULL || cfg == NULL ||
        cfg->delivery > BW_LWM2M_FW_BOTH)
        return BW_EINVAL;
    bw__zero(fw, sizeof *fw);
    bw__copy(&fw->cfg, cfg, sizeof fw->cfg);
    bw__zero(obj, sizeof *obj);
    obj->id = BW_LWM2M_OBJ_FW;
    obj->version = "1.1";
    obj->res = fw_res;
    obj->nres = (uint16_t)(sizeof fw_res / sizeof fw_res[0]);
    obj->ops = &fw_ops;
    obj->ctx = fw;
    obj->write_block = fw_write_block;
    return 0;
}

/* Take an event the application reports, outside any request. */
static int app_event(bw_lwm2m_fw_t *fw, ev_t ev, uint8_t result)
{
    uint8_t state = fw->state, before = fw->result;
    uint16_t uri_len = fw->uri_len;
    if (fw->txn.open)
        return BW_ESTATE; /* from inside a hook */
    int err = step(fw, ev, result);
    if (err == 0)
        report(fw, state, before, uri_len);
    return err;
}

int bw_lwm2m_fw_restore(bw_lwm2m_fw_t *fw, bw_lwm2m_fw_state_t state,
                        uint8_t result)
{
    if (fw == NULL || fw->txn.open ||
        !((state == BW_LWM2M_FW_IDLE &&
           result <= BW_LWM2M_FW_RESULT_BAD_PROTOCOL) ||
          (state == BW_LWM2M_FW_DOWNLOADED &&
           (result == BW_LWM2M_FW_RESULT_INITIAL ||
            result == BW_LWM2M_FW_RESULT_FAILED))))
        return BW_EINVAL;
    uint8_t old_state = fw->state, old_result = fw->result;
    uint16_t uri_len = fw->uri_len;
    fw->state = (uint8_t)state;
    fw->result = result;
    fw->uri_len = 0;
    fw->received = 0;
    report(fw, old_state, old_result, uri_len);
    return 0;
}

int bw_lwm2m_fw_restore_download(bw_lwm2m_fw_t *fw, const char *uri,
                                 size_t len)
{
    if (fw == NULL || uri == NULL || fw->txn.open)
        return BW_EINVAL;
    if (len == 0 || len > BW_LWM2M_FW_URI_MAX)
        return BW_ERANGE;
    uint8_t old_state = fw->state, old_result = fw->result;
    uint16_t uri_len = fw->uri_len;
    bw__copy(fw->uri, uri, len);
    fw->uri[len] = '\0';
    fw->uri_len = (uint16_t)len;
    fw->state = BW_LWM2M_FW_DOWNLOADING;
    fw->result = BW_LWM2M_FW_RESULT_INITIAL;
    fw->received = 0;
    report(fw, old_state, old_result, uri_len);
    return 0;
}

int bw_lwm2m_fw_downloaded(bw_lwm2m_fw_t *fw)
{
    if (fw == NULL)
        return BW_EINVAL;
    return app_event(fw, EV_DOWNLOADED, BW_LWM2M_FW_RESULT_INITIAL);
}

int bw_lwm2m_fw_download_failed(bw_lwm2m_fw_t *fw, uint8_t result)
{
    if (fw == NULL)
        return BW_EINVAL;
    if (!download_result(result))
        return BW_ERANGE;
    return app_event(fw, EV_FAILED, result);
}

int bw_lwm2m_fw_update_done(bw_lwm2m_fw_t *fw, uint8_t result)
{
    if (fw == NULL)
        return BW_EINVAL;
    if (result == BW_LWM2M_FW_RESULT_SUCCESS ||
        result == BW_LWM2M_FW_RESULT_INTEGRITY)
        return app_event(fw, EV_UPDATED, result);
    if (result == BW_LWM2M_FW_RESULT_FAILED)
        return app_event(fw, EV_KEPT, result);
    return BW_ERANGE;
}

int bw_lwm2m_fw_set_package_info(bw_lwm2m_fw_t *fw, const char *name,
                                 const char *version)
{
    if (fw == NULL)
        return BW_EINVAL;
    if (fw->cfg.pkg_name != name) {
        fw->cfg.pkg_name = name;
        changed(fw, RES_PKG_NAME);
    }
    if (fw->cfg.pkg_version != version) {
        fw->cfg.pkg_version = version;
        changed(fw, RES_PKG_VERSION);
    }
    return 0;
}

bw_lwm2m_fw_state_t bw_lwm2m_fw_state(const bw_lwm2m_fw_t *fw)
{
    return fw != NULL ? (bw_lwm2m_fw_state_t)fw->state : BW_LWM2M_FW_IDLE;
}

uint8_t bw_lwm2m_fw_result(const bw_lwm2m_fw_t *fw)
{
    return fw != NULL ? fw->result : BW_LWM2M_FW_RESULT_INITIAL;
}
