/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Firmware Update object (/5) through its handler table, the way the
 * request handler drives it (begin, write..., validate, commit, or
 * rollback at the first failure), and through the application's calls.
 * The state machine is tried exhaustively: every event in every state,
 * each with the state, result and hook calls that must follow.  Then the
 * URI checks, the delivery method, the chunk hook's three kinds of
 * answer, requests that fail part-way, and change reports.
 */
#include "testutil.h"

#include <string.h>

#include "bulwark/lwm2m_objects.h"

#define ALL_PROTOCOLS 0x3fu

typedef struct {
    bw_lwm2m_fw_t fw;
    bw_lwm2m_object_t obj;
    bw_lwm2m_fw_cfg_t cfg;
    int downloads, chunks, cancels, applies;
    char uri[BW_LWM2M_FW_URI_MAX + 1];
    size_t chunk_off, chunk_len;
    int chunk_last;
    int chunk_ret, apply_ret;
    uint8_t fail_in_download; /* download() reports this result at once */
    int changed[10];          /* change reports per resource of /5/0 */
    int changed_other;
} fix_t;

static void on_download(void *app, const char *uri, size_t len)
{
    fix_t *f = app;
    f->downloads++;
    assert_true(len <= BW_LWM2M_FW_URI_MAX);
    memcpy(f->uri, uri, len);
    f->uri[len] = '\0';
    if (f->fail_in_download != 0)
        assert_int_equal(
            bw_lwm2m_fw_download_failed(&f->fw, f->fail_in_download), 0);
}

static int on_chunk(void *app, size_t off, const uint8_t *data, size_t len,
                    int last)
{
    fix_t *f = app;
    (void)data;
    f->chunks++;
    f->chunk_off = off;
    f->chunk_len = len;
    f->chunk_last = last;
    return f->chunk_ret;
}

static void on_cancel(void *app)
{
    ((fix_t *)app)->cancels++;
}

static int on_apply(void *app)
{
    fix_t *f = app;
    f->applies++;
    return f->apply_ret;
}

static void on_changed(void *app, const bw_lwm2m_path_t *p)
{
    fix_t *f = app;
    if (p->depth == 3 && p->id[0] == 5 && p->id[1] == 0 && p->id[2] < 10)
        f->changed[p->id[2]]++;
    else
        f->changed_other++;
}

static void setup_cfg(fix_t *f, uint8_t delivery, uint8_t protocols)
{
    memset(f, 0, sizeof *f);
    f->cfg.protocols = protocols;
    f->cfg.delivery = delivery;
    f->cfg.download = on_download;
    f->cfg.chunk = on_chunk;
    f->cfg.cancel = on_cancel;
    f->cfg.apply = on_apply;
    f->cfg.changed = on_changed;
    f->cfg.app = f;
}

static void setup(fix_t *f)
{
    setup_cfg(f, BW_LWM2M_FW_BOTH, ALL_PROTOCOLS);
    assert_int_equal(bw_lwm2m_fw_init(&f->fw, &f->obj, &f->cfg), 0);
}

/* ---- requests as the request handler makes them ------------------------ */

typedef struct {
    uint16_t res;
    bw_lwm2m_value_t v;
} wr_t;

static wr_t uri(const char *s)
{
    wr_t w = {1, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, s, strlen(s))};
    return w;
}

static wr_t pkg(const void *p, size_t n)
{
    wr_t w = {0, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_OPAQUE, p, n)};
    return w;
}

/* One write request on /5/0: the first error, after rollback. */
static int request(fix_t *f, bw_lwm2m_txn_t kind, const wr_t *w, size_t n)
{
    const bw_lwm2m_object_ops_t *ops = f->obj.ops;
    int err = ops->begin(&f->obj, 0, kind);
    if (err != 0)
        return err;
    for (size_t i = 0; err == 0 && i < n; i++) {
        bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(5, 0, w[i].res);
        err = ops->write(&f->obj, &p, &w[i].v);
    }
    if (err == 0 && ops->validate != NULL)
        err = ops->validate(&f->obj, 0);
    if (err != 0)
        ops->rollback(&f->obj, 0);
    else
        ops->commit(&f->obj, 0);
    return err;
}

static int write1(fix_t *f, wr_t w)
{
    return request(f, BW_LWM2M_TXN_UPDATE, &w, 1);
}

static int execute(fix_t *f, uint16_t inst, uint16_t res)
{
    return f->obj.ops->execute(&f->obj, inst, res, NULL, 0);
}

static int64_t read_int(fix_t *f, uint16_t res)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(5, 0, res);
    bw_lwm2m_value_t v;
    int64_t x = -1;
    assert_int_equal(f->obj.ops->read(&f->obj, &p, &v, NULL, 0), 0);
    assert_int_equal(bw_lwm2m_value_get_int(&v, &x), 0);
    return x;
}

/* The Package URI as read by a server, NUL-terminated into buf. */
static const char *read_uri(fix_t *f, char *buf, size_t cap)
{
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(5, 0, 1);
    bw_lwm2m_value_t v;
    assert_int_equal(f->obj.ops->read(&f->obj, &p, &v, NULL, 0), 0);
    assert_int_equal(v.type, BW_LWM2M_TYPE_STRING);
    assert_true(v.v.bytes.len < cap);
    memcpy(buf, v.v.bytes.ptr, v.v.bytes.len);
    buf[v.v.bytes.len] = '\0';
    return buf;
}

static void expect(fix_t *f, int state, int result)
{
    assert_int_equal(read_int(f, 3), state);
    assert_int_equal(read_int(f, 5), result);
    assert_int_equal(bw_lwm2m_fw_state(&f->fw), state);
    assert_int_equal(bw_lwm2m_fw_result(&f->fw), result);
}

/* ---- the whole transition table ---------------------------------------- */

enum {
    EV_URI,
    EV_URI_EMPTY,
    EV_PKG,
    EV_PKG_EMPTY,
    EV_PKG_NUL,
    EV_UPDATE,
    EV_DOWNLOADED,
    EV_DL_FAILED,
    EV_DONE_1,
    EV_DONE_5,
    EV_DONE_8,
    EV_COUNT
};

static int fire(fix_t *f, int ev)
{
    static const uint8_t nul = 0, data[3] = {0xde, 0xad, 0x01};
    switch (ev) {
    case EV_URI:
        return write1(f, uri("coaps://fw.example/img"));
    case EV_URI_EMPTY:
        return write1(f, uri(""));
    case EV_PKG:
        return write1(f, pkg(data, sizeof data));
    case EV_PKG_EMPTY:
        return write1(f, pkg(NULL, 0));
    case EV_PKG_NUL:
        return write1(f, pkg(&nul, 1));
    case EV_UPDATE:
        return execute(f, 0, 2);
    case EV_DOWNLOADED:
        return bw_lwm2m_fw_downloaded(&f->fw);
    case EV_DL_FAILED:
        return bw_lwm2m_fw_download_failed(&f->fw, 4);
    case EV_DONE_1:
        return bw_lwm2m_fw_update_done(&f->fw, 1);
    case EV_DONE_5:
        return bw_lwm2m_fw_update_done(&f->fw, 5);
    default:
        return bw_lwm2m_fw_update_done(&f->fw, 8);
    }
}

/* Bring a fresh object into state st through legal steps.  IDLE starts
 * with result 4 (a failed download) so that a reset visibly clears it. */
static void reach(fix_t *f, int st)
{
    setup(f);
    assert_int_equal(bw_lwm2m_fw_restore(&f->fw, BW_LWM2M_FW_IDLE, 4), 0);
    if (st == BW_LWM2M_FW_DOWNLOADING)
        assert_int_equal(fire(f, EV_URI), 0);
    if (st >= BW_LWM2M_FW_DOWNLOADED)
        assert_int_equal(fire(f, EV_PKG), 0);
    if (st == BW_LWM2M_FW_UPDATING)
        assert_int_equal(fire(f, EV_UPDATE), 0);
    expect(f, st, st == BW_LWM2M_FW_IDLE ? 4 : 0);
    f->downloads = f->chunks = f->cancels = f->applies = 0;
}

typedef struct {
    int err, state, result;
    int8_t download, chunk, cancel, apply; /* hook calls expected */
} outcome_t;

#define NO                                                                     \
    {                                                                          \
        BW_ESTATE, -1, -1, 0, 0, 0, 0                                          \
    } /* refused, nothing changes */

static const outcome_t table[4][EV_COUNT] =
    {
        [BW_LWM2M_FW_IDLE] =
            {
                [EV_URI] = {0, BW_LWM2M_FW_DOWNLOADING, 0, 1, 0, 0, 0},
                [EV_URI_EMPTY] = {0, BW_LWM2M_FW_IDLE, 0, 0, 0, 0, 0},
                [EV_PKG] = {0, BW_LWM2M_FW_DOWNLOADED, 0, 0, 1, 0, 0},
                [EV_PKG_EMPTY] = {0, BW_LWM2M_FW_IDLE, 0, 0, 0, 0, 0},
                [EV_PKG_NUL] = {0, BW_LWM2M_FW_IDLE, 0, 0, 0, 0, 0},
                [EV_UPDATE] = NO,
                [EV_DOWNLOADED] = NO,
                [EV_DL_FAILED] = NO,
                [EV_DONE_1] = NO,
                [EV_DONE_5] = NO,
                [EV_DONE_8] = NO,
            },
        [BW_LWM2M_FW_DOWNLOADING] =
            {
                [EV_URI] = NO,
                [EV_URI_EMPTY] = {0, BW_LWM2M_FW_IDLE, 0, 0, 0, 1, 0},
                [EV_PKG] = NO,
                [EV_PKG_EMPTY] = {0, BW_LWM2M_FW_IDLE, 0, 0, 0, 1, 0},
                [EV_PKG_NUL] = {0, BW_LWM2M_FW_IDLE, 0, 0, 0, 1, 0},
                [EV_UPDATE] = NO,
                [EV_DOWNLOADED] = {0, BW_LWM2M_FW_DOWNLOADED, 0, 0, 0, 0, 0},
                [EV_DL_FAILED] = {0, BW_LWM2M_FW_IDLE, 4, 0, 0, 0, 0},
                [EV_DONE_1] = NO,
                [EV_DONE_5] = NO,
                [EV_DONE_8] = NO,
            },
        [BW_LWM2M_FW_DOWNLOADED] =
            {
                [EV_URI] = NO,
                [EV_URI_EMPTY] = {0, BW_LWM2M_FW_IDLE, 0, 0, 0, 1, 0},
                [EV_PKG] = NO,
                [EV_PKG_EMPTY] = {0, BW_LWM2M_FW_IDLE, 0, 0, 0, 1, 0},
                [EV_PKG_NUL] = {0, BW_LWM2M_FW_IDLE, 0, 0, 0, 1, 0},
                [EV_UPDATE] = {0, BW_LWM2M_FW_UPDATING, 0, 0, 0, 0, 1},
                [EV_DOWNLOADED] = NO,
                [EV_DL_FAILED] = NO,
                [EV_DONE_1] = NO,
                [EV_DONE_5] = NO,
                [EV_DONE_8] = NO,
            },
        [BW_LWM2M_FW_UPDATING] =
            {
                [EV_URI] = NO,
                [EV_URI_EMPTY] = NO,
                [EV_PKG] = NO,
                [EV_PKG_EMPTY] = NO,
                [EV_PKG_NUL] = NO,
                [EV_UPDATE] = NO,
                [EV_DOWNLOADED] = NO,
                [EV_DL_FAILED] = NO,
                [EV_DONE_1] = {0, BW_LWM2M_FW_IDLE, 1, 0, 0, 0, 0},
                [EV_DONE_5] = {0, BW_LWM2M_FW_IDLE, 5, 0, 0, 0, 0},
                [EV_DONE_8] = {0, BW_LWM2M_FW_DOWNLOADED, 8, 0, 0, 0, 0},
            },
};

/*
 * Every event in every state: a legal one moves to the state and result
 * of Core E.6 and calls exactly the hooks it should; an illegal one is
 * BW_ESTATE (4.05 on the wire) and changes nothing, calls nothing.
 */
static void test_transition_table(void **state)
{
    (void)state;
    fix_t f;
    for (int st = 0; st < 4; st++) {
        for (int ev = 0; ev < EV_COUNT; ev++) {
            const outcome_t *o = &table[st][ev];
            reach(&f, st);
            int before_result = (int)bw_lwm2m_fw_result(&f.fw);
            print_message("state %d event %d\n", st, ev);
            bw_assert_err(fire(&f, ev), o->err);
            if (o->state < 0)
                expect(&f, st, before_result);
            else
                expect(&f, o->state, o->result);
            assert_int_equal(f.downloads, o->download);
            assert_int_equal(f.chunks, o->chunk);
            assert_int_equal(f.cancels, o->cancel);
            assert_int_equal(f.applies, o->apply);
        }
    }
}

/*
 * A full pull cycle: the URI reaches download() at commit, reads back
 * while DOWNLOADING, and is emptied when the update ends in IDLE; a
 * push hands the whole package to chunk() at offset 0 as the last piece.
 */
static void test_pull_and_push_cycle(void **state)
{
    (void)state;
    fix_t f;
    char buf[300];
    setup(&f);
    assert_string_equal(read_uri(&f, buf, sizeof buf), "");
    assert_int_equal(write1(&f, uri("coap://[::1]:5683/fw/1")), 0);
    assert_int_equal(f.downloads, 1);
    assert_string_equal(f.uri, "coap://[::1]:5683/fw/1");
    assert_string_equal(read_uri(&f, buf, sizeof buf),
                        "coap://[::1]:5683/fw/1");
    assert_int_equal(bw_lwm2m_fw_downloaded(&f.fw), 0);
    assert_int_equal(execute(&f, 0, 2), 0);
    assert_int_equal(bw_lwm2m_fw_update_done(&f.fw, 1), 0);
    expect(&f, BW_LWM2M_FW_IDLE, 1);
    assert_string_equal(read_uri(&f, buf, sizeof buf), "");

    static const uint8_t img[5] = {1, 2, 3, 4, 5};
    assert_int_equal(write1(&f, pkg(img, sizeof img)), 0);
    assert_int_equal(f.chunks, 1);
    assert_int_equal(f.chunk_off, 0);
    assert_int_equal(f.chunk_len, 5);
    assert_int_equal(f.chunk_last, 1);
    expect(&f, BW_LWM2M_FW_DOWNLOADED, 0);
    /* A failed update keeps the package: Update may run again. */
    assert_int_equal(execute(&f, 0, 2), 0);
    assert_int_equal(bw_lwm2m_fw_update_done(&f.fw, 8), 0);
    expect(&f, BW_LWM2M_FW_DOWNLOADED, 8);
    assert_int_equal(execute(&f, 0, 2), 0);
    expect(&f, BW_LWM2M_FW_UPDATING, 0);
}

/*
 * URIs the device cannot use are accepted (2.04) and fail at once as a
 * download would: no "scheme://x" form is result 7, a scheme outside the
 * supported protocols result 9; download() is never called and the URI
 * reads "" again.  Schemes compare without case.  Over 255 bytes is
 * BW_ERANGE (the resource's range), and changes nothing.
 */
static void test_uri_checks(void **state)
{
    (void)state;
    static const struct {
        const char *uri;
        int result;
    } cases[] = {
        {"coap://h/fw", -1}, {"COAPS://h", -1}, {"Coap+TCP://h", -1},
        {"https://h", 9},    {"ftp://h/fw", 9}, {"coap+udp://h", 9},
        {"firmware.bin", 7}, {"coap:/h", 7},    {"coap://", 7},
        {"1coap://h", 7},    {"://h", 7},       {"co ap://h", 7},
    };
    fix_t f;
    char buf[300];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Supported: CoAP, CoAPS, CoAP over TCP; not HTTP(S). */
        setup_cfg(&f, BW_LWM2M_FW_PULL, 0x13u);
        assert_int_equal(bw_lwm2m_fw_init(&f.fw, &f.obj, &f.cfg), 0);
        print_message("%s\n", cases[i].uri);
        assert_int_equal(write1(&f, uri(cases[i].uri)), 0);
        if (cases[i].result < 0) {
            expect(&f, BW_LWM2M_FW_DOWNLOADING, 0);
            assert_int_equal(f.downloads, 1);
        } else {
            expect(&f, BW_LWM2M_FW_IDLE, cases[i].result);
            assert_int_equal(f.downloads, 0);
            assert_string_equal(read_uri(&f, buf, sizeof buf), "");
        }
    }

    char longest[BW_LWM2M_FW_URI_MAX + 2];
    memset(longest, 'a', sizeof longest);
    memcpy(longest, "coap://", 7);
    longest[BW_LWM2M_FW_URI_MAX + 1] = '\0';
    setup(&f);
    bw_assert_err(write1(&f, uri(longest)), BW_ERANGE);
    expect(&f, BW_LWM2M_FW_IDLE, 0);
    longest[BW_LWM2M_FW_URI_MAX] = '\0';
    assert_int_equal(write1(&f, uri(longest)), 0);
    assert_int_equal(strlen(f.uri), BW_LWM2M_FW_URI_MAX);
}

/*
 * The delivery method and the hooks given decide what a server may use:
 * pull-only refuses Package, push-only refuses Package URI, a missing
 * download() or chunk() refuses its method, all with BW_EUNSUPPORTED
 * (4.05) and no change; an empty write still cancels in every mode.
 */
static void test_delivery_method(void **state)
{
    (void)state;
    static const uint8_t b = 7;
    fix_t f;
    setup_cfg(&f, BW_LWM2M_FW_PULL, ALL_PROTOCOLS);
    assert_int_equal(bw_lwm2m_fw_init(&f.fw, &f.obj, &f.cfg), 0);
    bw_assert_err(write1(&f, pkg(&b, 1)), BW_EUNSUPPORTED);
    assert_int_equal(f.chunks, 0);
    assert_int_equal(write1(&f, pkg(NULL, 0)), 0);
    assert_int_equal(write1(&f, uri("coap://h")), 0);
    expect(&f, BW_LWM2M_FW_DOWNLOADING, 0);

    setup_cfg(&f, BW_LWM2M_FW_PUSH, ALL_PROTOCOLS);
    assert_int_equal(bw_lwm2m_fw_init(&f.fw, &f.obj, &f.cfg), 0);
    bw_assert_err(write1(&f, uri("coap://h")), BW_EUNSUPPORTED);
    expect(&f, BW_LWM2M_FW_IDLE, 0);
    assert_int_equal(write1(&f, pkg(&b, 1)), 0);
    assert_int_equal(write1(&f, uri("")), 0);
    expect(&f, BW_LWM2M_FW_IDLE, 0);
    assert_int_equal(f.cancels, 1);

    setup_cfg(&f, BW_LWM2M_FW_BOTH, ALL_PROTOCOLS);
    f.cfg.download = NULL;
    f.cfg.apply = NULL;
    assert_int_equal(bw_lwm2m_fw_init(&f.fw, &f.obj, &f.cfg), 0);
    bw_assert_err(write1(&f, uri("coap://h")), BW_EUNSUPPORTED);
    assert_int_equal(write1(&f, pkg(&b, 1)), 0);
    bw_assert_err(execute(&f, 0, 2), BW_EUNSUPPORTED); /* no apply() */
    expect(&f, BW_LWM2M_FW_DOWNLOADED, 0);

    setup_cfg(&f, BW_LWM2M_FW_BOTH, ALL_PROTOCOLS);
    f.cfg.chunk = NULL;
    assert_int_equal(bw_lwm2m_fw_init(&f.fw, &f.obj, &f.cfg), 0);
    bw_assert_err(write1(&f, pkg(&b, 1)), BW_EUNSUPPORTED);
    expect(&f, BW_LWM2M_FW_IDLE, 0);

    f.cfg.delivery = 3;
    bw_assert_err(bw_lwm2m_fw_init(&f.fw, &f.obj, &f.cfg), BW_EINVAL);
}

/*
 * chunk() answers three ways: a positive Update Result refuses the
 * package the object's way (write succeeds, IDLE with that result); a
 * BW_E* code fails the request, nothing changes and cancel() drops what
 * chunk() may have kept; a positive value that is no download result is
 * the application's bug, BW_EINVAL, rolled back the same way.
 */
static void test_chunk_answers(void **state)
{
    (void)state;
    static const uint8_t img[4] = {9, 9, 9, 9};
    fix_t f;
    setup(&f);
    f.chunk_ret = BW_LWM2M_FW_RESULT_NO_STORAGE;
    assert_int_equal(write1(&f, pkg(img, sizeof img)), 0);
    expect(&f, BW_LWM2M_FW_IDLE, 2);
    assert_int_equal(f.cancels, 0);

    f.chunk_ret = BW_EIO;
    bw_assert_err(write1(&f, pkg(img, sizeof img)), BW_EIO);
    expect(&f, BW_LWM2M_FW_IDLE, 2);
    assert_int_equal(f.cancels, 1);

    f.chunk_ret = BW_LWM2M_FW_RESULT_FAILED; /* 8 is no download result */
    bw_assert_err(write1(&f, pkg(img, sizeof img)), BW_EINVAL);
    expect(&f, BW_LWM2M_FW_IDLE, 2);
    assert_int_equal(f.cancels, 2);
    assert_int_equal(f.chunks, 3);
}

/*
 * A request that fails part-way changes nothing: a good URI followed by
 * a write to the read-only State (BW_EUNSUPPORTED) leaves IDLE, an empty
 * URI and no download; a Package followed by a URI (refused: the object
 * is DOWNLOADED by then) leaves IDLE and cancels the package chunk()
 * took; a wrong value type is BW_ETYPE.
 */
static void test_failed_request_changes_nothing(void **state)
{
    (void)state;
    static const uint8_t img[2] = {1, 2};
    fix_t f;
    char buf[300];
    setup(&f);
    wr_t a[2] = {uri("coap://h/fw"), {3, bw_lwm2m_value_int(2)}};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, a, 2), BW_EUNSUPPORTED);
    expect(&f, BW_LWM2M_FW_IDLE, 0);
    assert_string_equal(read_uri(&f, buf, sizeof buf), "");
    assert_int_equal(f.downloads, 0);
    assert_int_equal(f.changed[1] + f.changed[3] + f.changed[5], 0);

    wr_t b[2] = {pkg(img, sizeof img), uri("coap://h/fw")};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, b, 2), BW_ESTATE);
    expect(&f, BW_LWM2M_FW_IDLE, 0);
    assert_int_equal(f.chunks, 1);
    assert_int_equal(f.cancels, 1);

    wr_t c = {1, bw_lwm2m_value_int(1)};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, &c, 1), BW_ETYPE);
    wr_t d = {0, bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "x", 1)};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, &d, 1), BW_ETYPE);
    wr_t e = {4, bw_lwm2m_value_int(1)};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, &e, 1), BW_ENOTFOUND);
    expect(&f, BW_LWM2M_FW_IDLE, 0);
}

/*
 * One request may not cancel a download and start another (the cancel
 * would reach the application only at commit, the new download before
 * it): BW_ESTATE, and the old download and its URI are intact.  A
 * request that starts and then cancels its own download calls neither
 * download() nor cancel().  Write replace acts as an update.
 */
static void test_cancel_and_restart(void **state)
{
    (void)state;
    fix_t f;
    char buf[300];
    setup(&f);
    assert_int_equal(write1(&f, uri("coap://old/fw")), 0);
    f.downloads = 0;
    wr_t a[2] = {uri(""), uri("coap://new/fw")};
    bw_assert_err(request(&f, BW_LWM2M_TXN_UPDATE, a, 2), BW_ESTATE);
    expect(&f, BW_LWM2M_FW_DOWNLOADING, 0);
    assert_string_equal(read_uri(&f, buf, sizeof buf), "coap://old/fw");
    assert_int_equal(f.downloads + f.cancels, 0);

    assert_int_equal(write1(&f, uri("")), 0);
    assert_int_equal(f.cancels, 1);
    wr_t b[2] = {uri("coap://new/fw"), uri("")};
    assert_int_equal(request(&f, BW_LWM2M_TXN_REPLACE, b, 2), 0);
    expect(&f, BW_LWM2M_FW_IDLE, 0);
    assert_int_equal(f.downloads, 0);
    assert_int_equal(f.cancels, 1);

    assert_int_equal(write1(&f, uri("coap://new/fw")), 0);
    assert_int_equal(request(&f, BW_LWM2M_TXN_REPLACE, NULL, 0), 0);
    expect(&f, BW_LWM2M_FW_DOWNLOADING, 0); /* replace kept the URI */
}

/*
 * download() may report a failure from inside (the transport refuses at
 * once): the object ends IDLE with that result.  apply() failing leaves
 * DOWNLOADED with the result it had and fails the Execute with its code.
 */
static void test_hook_failures(void **state)
{
    (void)state;
    static const uint8_t img[1] = {1};
    fix_t f;
    setup(&f);
    f.fail_in_download = BW_LWM2M_FW_RESULT_CONN_LOST;
    assert_int_equal(write1(&f, uri("coap://h/fw")), 0);
    assert_int_equal(f.downloads, 1);
    expect(&f, BW_LWM2M_FW_IDLE, 4);

    assert_int_equal(write1(&f, pkg(img, 1)), 0);
    assert_int_equal(execute(&f, 0, 2), 0);
    assert_int_equal(bw_lwm2m_fw_update_done(&f.fw, 8), 0);
    f.apply_ret = BW_EIO;
    bw_assert_err(execute(&f, 0, 2), BW_EIO);
    expect(&f, BW_LWM2M_FW_DOWNLOADED, 8);
    assert_int_equal(f.applies, 2);
}

/*
 * The application's calls check their arguments before the state:
 * results outside each call's set are BW_ERANGE, NULL is BW_EINVAL; a
 * call from inside a write (a hook calling back) is BW_ESTATE.
 * restore() takes only what can survive a reboot.
 */
static void test_application_calls(void **state)
{
    (void)state;
    fix_t f;
    setup(&f);
    for (int r = 0; r < 12; r++) {
        int ok = (r >= 2 && r <= 7) || r == 9;
        bw_assert_err(bw_lwm2m_fw_download_failed(&f.fw, (uint8_t)r),
                      ok ? BW_ESTATE : BW_ERANGE);
        ok = r == 1 || r == 5 || r == 8;
        bw_assert_err(bw_lwm2m_fw_update_done(&f.fw, (uint8_t)r),
                      ok ? BW_ESTATE : BW_ERANGE);
    }
    bw_assert_err(bw_lwm2m_fw_downloaded(NULL), BW_EINVAL);
    bw_assert_err(bw_lwm2m_fw_download_failed(NULL, 2), BW_EINVAL);
    bw_assert_err(bw_lwm2m_fw_update_done(NULL, 1), BW_EINVAL);
    bw_assert_err(bw_lwm2m_fw_set_package_info(NULL, NULL, NULL), BW_EINVAL);
    bw_assert_err(bw_lwm2m_fw_init(NULL, &f.obj, &f.cfg), BW_EINVAL);

    for (int st = 0; st < 5; st++)
        for (int r = 0; r < 11; r++) {
            int ok = (st == BW_LWM2M_FW_IDLE && r <= 9) ||
                     (st == BW_LWM2M_FW_DOWNLOADED && (r == 0 || r == 8));
            bw_assert_err(
                bw_lwm2m_fw_restore(&f.fw, (bw_lwm2m_fw_state_t)st, (uint8_t)r),
                ok ? 0 : BW_EINVAL);
            if (ok)
                expect(&f, st, r);
        }

    setup(&f);
    assert_int_equal(f.obj.ops->begin(&f.obj, 0, BW_LWM2M_TXN_UPDATE), 0);
    bw_assert_err(bw_lwm2m_fw_downloaded(&f.fw), BW_ESTATE);
    bw_assert_err(bw_lwm2m_fw_restore(&f.fw, BW_LWM2M_FW_IDLE, 1), BW_EINVAL);
    f.obj.ops->rollback(&f.obj, 0);
    /* A write outside a transaction is the caller's bug. */
    bw_lwm2m_path_t p = BW_LWM2M_PATH_RES(5, 0, 1);
    bw_lwm2m_value_t v = bw_lwm2m_value_bytes(BW_LWM2M_TYPE_STRING, "", 0);
    bw_assert_err(f.obj.ops->write(&f.obj, &p, &v), BW_ESTATE);
}

/*
 * Reads: the supported protocols are a multiple resource listing the
 * mask's values in order; PkgName/PkgVersion are absent until set; the
 * write-only Package is not readable; other instances do not exist.
 * Handlers refuse Create, other instances and non-executable resources.
 */
static void test_reads_and_refusals(void **state)
{
    (void)state;
    fix_t f;
    uint16_t ids[8];
    size_t n = 0;
    bw_lwm2m_value_t v;
    setup_cfg(&f, BW_LWM2M_FW_PUSH, 0x2bu); /* CoAP, CoAPS, HTTPS, CoAPS+TCP */
    assert_int_equal(bw_lwm2m_fw_init(&f.fw, &f.obj, &f.cfg), 0);
    assert_int_equal(f.obj.id, 5);
    assert_string_equal(f.obj.version, "1.1");
    assert_int_equal(f.obj.multiple_instances, 0);
    assert_int_equal(f.obj.ops->list_ri(&f.obj, 0, 8, ids, 8, &n), 0);
    assert_int_equal(n, 4);
    static const int64_t want[4] = {0, 1, 3, 5};
    for (uint16_t i = 0; i < 4; i++) {
        bw_lwm2m_path_t p = BW_LWM2M_PATH_RI(5, 0, 8, i);
        int64_t x;
        assert_int_equal(ids[i], i);
        assert_int_equal(f.obj.ops->read(&f.obj, &p, &v, NULL, 0), 0);
        assert_int_equal(bw_lwm2m_value_get_int(&v, &x), 0);
        assert_int_equal(x, want[i]);
    }
    bw_lwm2m_path_t p4 = BW_LWM2M_PATH_RI(5, 0, 8, 4);
    bw_assert_err(f.obj.ops->read(&f.obj, &p4, &v, NULL, 0), BW_ENOTFOUND);
    bw_assert_err(f.obj.ops->list_ri(&f.obj, 0, 8, ids, 3, &n), BW_ENOSPC);
    bw_assert_err(f.obj.ops->list_ri(&f.obj, 0, 9, ids, 8, &n), BW_ENOTFOUND);
    assert_int_equal(read_int(&f, 9), BW_LWM2M_FW_PUSH);

    bw_lwm2m_path_t name = BW_LWM2M_PATH_RES(5, 0, 6);
    bw_assert_err(f.obj.ops->read(&f.obj, &name, &v, NULL, 0), BW_ENOTFOUND);
    assert_int_equal(bw_lwm2m_fw_set_package_info(&f.fw, "agent", "2.1"), 0);
    assert_int_equal(f.changed[6] + f.changed[7], 2);
    assert_int_equal(f.obj.ops->read(&f.obj, &name, &v, NULL, 0), 0);
    assert_int_equal(v.v.bytes.len, 5);
    assert_memory_equal(v.v.bytes.ptr, "agent", 5);
    assert_int_equal(bw_lwm2m_fw_set_package_info(&f.fw, "agent", "2.1"), 0);
    assert_int_equal(f.changed[6] + f.changed[7], 2); /* no change */

    bw_lwm2m_path_t package = BW_LWM2M_PATH_RES(5, 0, 0);
    bw_assert_err(f.obj.ops->read(&f.obj, &package, &v, NULL, 0),
                  BW_EUNSUPPORTED);
    bw_lwm2m_path_t other = BW_LWM2M_PATH_RES(5, 1, 3);
    bw_assert_err(f.obj.ops->read(&f.obj, &other, &v, NULL, 0), BW_ENOTFOUND);
    bw_assert_err(f.obj.ops->begin(&f.obj, 1, BW_LWM2M_TXN_CREATE),
                  BW_EUNSUPPORTED);
    bw_assert_err(f.obj.ops->begin(&f.obj, 1, BW_LWM2M_TXN_UPDATE),
                  BW_ENOTFOUND);
    bw_assert_err(execute(&f, 1, 2), BW_ENOTFOUND);
    bw_assert_err(execute(&f, 0, 3), BW_EUNSUPPORTED);
    bw_assert_err(execute(&f, 0, 4), BW_ENOTFOUND);
    assert_int_equal(f.obj.ops->list(&f.obj, ids, 8, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 0);
}

/*
 * Change reports: the values a write request changes besides the one it
 * names (State, Result, the URI) are reported once at commit, never from
 * a write that is rolled back; application calls report at once; a call
 * that changes nothing reports nothing.
 */
static void test_change_reports(void **state)
{
    (void)state;
    fix_t f;
    setup(&f);
    assert_int_equal(write1(&f, uri("coap://h/fw")), 0);
    assert_int_equal(f.changed[3], 1);
    assert_int_equal(f.changed[5], 0); /* 0 before and after */
    assert_int_equal(f.changed[1], 1);
    assert_int_equal(bw_lwm2m_fw_download_failed(&f.fw, 7), 0);
    assert_int_equal(f.changed[3], 2);
    assert_int_equal(f.changed[5], 1);
    assert_int_equal(f.changed[1], 2);
    assert_int_equal(bw_lwm2m_fw_restore(&f.fw, BW_LWM2M_FW_IDLE, 7), 0);
    assert_int_equal(f.changed[3] + f.changed[5] + f.changed[1], 5);
    assert_int_equal(f.changed_other, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transition_table),
        cmocka_unit_test(test_pull_and_push_cycle),
        cmocka_unit_test(test_uri_checks),
        cmocka_unit_test(test_delivery_method),
        cmocka_unit_test(test_chunk_answers),
        cmocka_unit_test(test_failed_request_changes_nothing),
        cmocka_unit_test(test_cancel_and_restart),
        cmocka_unit_test(test_hook_failures),
        cmocka_unit_test(test_application_calls),
        cmocka_unit_test(test_reads_and_refusals),
        cmocka_unit_test(test_change_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
